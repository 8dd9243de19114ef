//! Stripe's documented test cards and how each behaves, plus the simulated processing fee.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// `4242 4242 4242 4242`: every charge succeeds.
    Succeeds,
    /// `4000 0000 0000 0002`: declined (`generic_decline`).
    Declines,
    /// `4000 0000 0000 9995`: declined (`insufficient_funds`).
    InsufficientFunds,
    /// `4000 0000 0000 0341`: can be saved, but every later charge is declined.
    AttachesThenFails,
    /// `4000 0000 0000 0259`: the charge succeeds, then the cardholder disputes it as
    /// fraudulent.
    Disputed,
    /// `4000 0000 0000 9987`: declined (`lost_card`).
    LostCard,
    /// `4000 0000 0000 9979`: declined (`stolen_card`).
    StolenCard,
    /// `4000 0000 0000 0069`: declined (`expired_card`).
    ExpiredCard,
    /// `4000 0000 0000 0127`: declined (`incorrect_cvc`).
    IncorrectCvc,
    /// `4000 0000 0000 0119`: declined (`processing_error`).
    ProcessingError,
    /// `4100 0000 0000 0019`: blocked as fraudulent (`fraudulent`).
    Fraudulent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline {
    pub code: &'static str,
    pub decline_code: &'static str,
    pub message: &'static str,
}

impl Behaviour {
    /// What happens when the card is used: saved (`setup`) or charged.
    pub fn outcome(self, charging: bool) -> Result<(), Decline> {
        let decline = |code, decline_code, message| {
            Err(Decline {
                code,
                decline_code,
                message,
            })
        };
        match (self, charging) {
            (Behaviour::Succeeds | Behaviour::Disputed, _)
            | (Behaviour::AttachesThenFails, false) => Ok(()),
            (Behaviour::InsufficientFunds, _) => decline(
                "card_declined",
                "insufficient_funds",
                "Your card has insufficient funds.",
            ),
            (Behaviour::LostCard, _) => {
                decline("card_declined", "lost_card", "Your card was declined.")
            }
            (Behaviour::StolenCard, _) => {
                decline("card_declined", "stolen_card", "Your card was declined.")
            }
            (Behaviour::ExpiredCard, _) => {
                decline("expired_card", "expired_card", "Your card has expired.")
            }
            (Behaviour::IncorrectCvc, _) => decline(
                "incorrect_cvc",
                "incorrect_cvc",
                "Your card's security code is incorrect.",
            ),
            (Behaviour::ProcessingError, _) => decline(
                "processing_error",
                "processing_error",
                "An error occurred while processing your card. Try again in a little bit.",
            ),
            (Behaviour::Fraudulent, _) => {
                decline("card_declined", "fraudulent", "Your card was declined.")
            }
            _ => decline(
                "card_declined",
                "generic_decline",
                "Your card was declined.",
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardError {
    /// Fails the Luhn check or has the wrong length.
    InvalidNumber,
    /// A real card number in test mode.
    NotATestCard,
}

/// The behaviour of a test card number (spaces allowed).
pub fn lookup(number: &str) -> Result<(Behaviour, String), CardError> {
    let digits: String = number.chars().filter(|c| !c.is_whitespace()).collect();
    if !(12..=19).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(CardError::InvalidNumber);
    }
    if !luhn(&digits) {
        return Err(CardError::InvalidNumber);
    }
    let behaviour = match digits.as_str() {
        "4242424242424242" | "5555555555554444" => Behaviour::Succeeds,
        "4000000000000002" => Behaviour::Declines,
        "4000000000009995" => Behaviour::InsufficientFunds,
        "4000000000000341" => Behaviour::AttachesThenFails,
        "4000000000000259" => Behaviour::Disputed,
        "4000000000009987" => Behaviour::LostCard,
        "4000000000009979" => Behaviour::StolenCard,
        "4000000000000069" => Behaviour::ExpiredCard,
        "4000000000000127" => Behaviour::IncorrectCvc,
        "4000000000000119" => Behaviour::ProcessingError,
        "4100000000000019" => Behaviour::Fraudulent,
        _ => return Err(CardError::NotATestCard),
    };
    Ok((behaviour, digits[digits.len() - 4..].to_string()))
}

/// Stripe's test PaymentMethods (`pm_card_visa`, `pm_card_chargeDeclined`, …) usable by id in
/// API calls, as on Stripe's testing page: the behaviour and the card's last four digits.
pub fn test_payment_method(id: &str) -> Option<(Behaviour, &'static str)> {
    Some(match id {
        "pm_card_visa" => (Behaviour::Succeeds, "4242"),
        "pm_card_visa_debit" => (Behaviour::Succeeds, "5556"),
        "pm_card_mastercard" => (Behaviour::Succeeds, "4444"),
        "pm_card_amex" => (Behaviour::Succeeds, "8431"),
        "pm_card_us" => (Behaviour::Succeeds, "4242"),
        "pm_card_chargeDeclined" => (Behaviour::Declines, "0002"),
        "pm_card_chargeDeclinedInsufficientFunds" => (Behaviour::InsufficientFunds, "9995"),
        "pm_card_chargeDeclinedLostCard" => (Behaviour::LostCard, "9987"),
        "pm_card_chargeDeclinedStolenCard" => (Behaviour::StolenCard, "9979"),
        "pm_card_chargeDeclinedExpiredCard" => (Behaviour::ExpiredCard, "0069"),
        "pm_card_chargeDeclinedIncorrectCvc" => (Behaviour::IncorrectCvc, "0127"),
        "pm_card_chargeDeclinedProcessingError" => (Behaviour::ProcessingError, "0119"),
        "pm_card_chargeDeclinedFraudulent" => (Behaviour::Fraudulent, "0019"),
        "pm_card_chargeCustomerFail" => (Behaviour::AttachesThenFails, "0341"),
        "pm_card_createDispute" => (Behaviour::Disputed, "0259"),
        _ => return None,
    })
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 {
                    d2 - 9
                } else {
                    d2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The simulator's processing fee: 2.9 % + 30 minor units (2.9 % alone for currencies without
/// decimals), rounded half up — the shape of Stripe's standard card pricing.
pub fn fee(amount: i64, currency: &str) -> i64 {
    let pct = (amount * 29 + 500) / 1000;
    if currency.eq_ignore_ascii_case("jpy") {
        pct
    } else {
        pct + 30
    }
}

/// What Stripe charges for handling a dispute: 15.00 in the charge's currency (¥1,500 for
/// currencies without decimals, as Stripe Japan charges). Withdrawn with the disputed amount.
pub fn dispute_fee(_currency: &str) -> i64 {
    1_500
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_cards_behave_like_stripes() {
        assert_eq!(
            lookup("4242 4242 4242 4242").unwrap().0,
            Behaviour::Succeeds
        );
        let (b, last4) = lookup("4000000000000341").unwrap();
        assert_eq!(last4, "0341");
        assert!(b.outcome(false).is_ok());
        assert!(b.outcome(true).is_err());
        assert_eq!(
            lookup("4000000000009995")
                .unwrap()
                .0
                .outcome(true)
                .unwrap_err()
                .decline_code,
            "insufficient_funds"
        );
        assert!(lookup("4000000000000002")
            .unwrap()
            .0
            .outcome(false)
            .is_err());
    }

    #[test]
    fn the_dispute_card_is_charged_like_a_good_card() {
        let (b, last4) = lookup("4000 0000 0000 0259").unwrap();
        assert_eq!((b, last4.as_str()), (Behaviour::Disputed, "0259"));
        assert!(b.outcome(true).is_ok());
        assert_eq!(dispute_fee("usd"), 1_500);
    }

    #[test]
    fn bad_numbers_are_refused() {
        assert_eq!(lookup("4242424242424241"), Err(CardError::InvalidNumber));
        assert_eq!(lookup("abcd"), Err(CardError::InvalidNumber));
        // Luhn-valid but not a test card.
        assert_eq!(lookup("4111111111111111"), Err(CardError::NotATestCard));
    }

    #[test]
    fn fee_matches_the_published_shape() {
        assert_eq!(fee(10_000, "usd"), 320);
        assert_eq!(fee(1_000, "jpy"), 29);
    }
}
