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
        match (self, charging) {
            (Behaviour::Succeeds | Behaviour::Disputed, _)
            | (Behaviour::AttachesThenFails, false) => Ok(()),
            (Behaviour::InsufficientFunds, _) => Err(Decline {
                code: "card_declined",
                decline_code: "insufficient_funds",
                message: "Your card has insufficient funds.",
            }),
            _ => Err(Decline {
                code: "card_declined",
                decline_code: "generic_decline",
                message: "Your card was declined.",
            }),
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
        _ => return Err(CardError::NotATestCard),
    };
    Ok((behaviour, digits[digits.len() - 4..].to_string()))
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
