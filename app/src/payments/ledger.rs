//! The double-entry ledger's shape (pure): accounts, and the legs each kind of money movement
//! writes. Every transaction's legs sum to zero in its currency; balances are sums of legs.
//!
//! Signs: a positive leg means the account now holds (or is owed) more. `backers` is the
//! outside world: it goes negative by what backers paid and back up by what they got back.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "campaign")]
pub enum Account {
    /// Money that came from (or went back to) backers' cards.
    Backers,
    /// What Stripe kept for processing.
    StripeFees,
    /// The platform's fee income.
    Platform,
    /// What a campaign's creator is owed (and has not been paid out).
    Creator(String),
    /// Milestone campaigns: money held until a stage is released.
    Escrow(String),
    /// Money paid out to a creator's bank.
    Payouts,
    /// What a course's creator is owed from its sales.
    Course(String),
}

impl Account {
    /// The key stored with each leg, e.g. `creator:abc123`.
    pub fn key(&self) -> String {
        match self {
            Account::Backers => "backers".into(),
            Account::StripeFees => "stripe_fees".into(),
            Account::Platform => "platform".into(),
            Account::Creator(c) => format!("creator:{c}"),
            Account::Escrow(c) => format!("escrow:{c}"),
            Account::Payouts => "payouts".into(),
            Account::Course(c) => format!("course:{c}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxKind {
    Charge,
    Refund,
    Release,
    Payout,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    pub account: String,
    pub amount: i64,
}

fn leg(account: Account, amount: i64) -> Leg {
    Leg {
        account: account.key(),
        amount,
    }
}

/// Where a campaign's money sits: with its creator, or in escrow for milestone campaigns.
fn holder(campaign: &str, escrow: bool) -> Account {
    if escrow {
        Account::Escrow(campaign.into())
    } else {
        Account::Creator(campaign.into())
    }
}

/// A backer paid `amount`: Stripe kept `stripe_fee`, the platform `platform_fee`, the rest is
/// the creator's (or held in escrow for milestone campaigns).
pub fn charge_legs(
    campaign: &str,
    amount: i64,
    platform_fee: i64,
    stripe_fee: i64,
    escrow: bool,
) -> Vec<Leg> {
    charge_legs_to(holder(campaign, escrow), amount, platform_fee, stripe_fee)
}

/// A learner bought a course: like a pledge, the rest after fees is its creator's.
pub fn sale_legs(course: &str, amount: i64, platform_fee: i64, stripe_fee: i64) -> Vec<Leg> {
    charge_legs_to(
        Account::Course(course.into()),
        amount,
        platform_fee,
        stripe_fee,
    )
}

/// A course sale refunded (in full or in part).
pub fn sale_refund_legs(course: &str, paid: i64, platform_fee: i64, refund: i64) -> Vec<Leg> {
    refund_legs_from(Account::Course(course.into()), paid, platform_fee, refund)
}

fn charge_legs_to(holder: Account, amount: i64, platform_fee: i64, stripe_fee: i64) -> Vec<Leg> {
    let rest = amount - platform_fee - stripe_fee;
    vec![
        leg(Account::Backers, -amount),
        leg(Account::StripeFees, stripe_fee),
        leg(Account::Platform, platform_fee),
        leg(holder, rest),
    ]
}

/// `refund` of a pledge that paid `paid` with `platform_fee` goes back to the backer. The
/// platform returns its fee in proportion; Stripe keeps its fee, so the creator's share (or the
/// escrow) carries the rest.
pub fn refund_legs(
    campaign: &str,
    paid: i64,
    platform_fee: i64,
    refund: i64,
    escrow: bool,
) -> Vec<Leg> {
    refund_legs_from(holder(campaign, escrow), paid, platform_fee, refund)
}

fn refund_legs_from(holder: Account, paid: i64, platform_fee: i64, refund: i64) -> Vec<Leg> {
    let fee_back = if paid > 0 {
        // Rounded down: the platform never returns more fee than it took.
        ((platform_fee as i128 * refund as i128) / paid as i128) as i64
    } else {
        0
    };
    vec![
        leg(Account::Backers, refund),
        leg(Account::Platform, -fee_back),
        leg(holder, -(refund - fee_back)),
    ]
}

/// A refund on a milestone campaign, some of whose money may already be released: the share
/// that is not the platform's fee comes out of what the escrow still `held` first, and only the
/// rest out of the creator's released share, so the escrow never goes below zero.
pub fn milestone_refund_legs(
    campaign: &str,
    paid: i64,
    platform_fee: i64,
    refund: i64,
    held: i64,
) -> Vec<Leg> {
    let mut legs = refund_legs_from(Account::Escrow(campaign.into()), paid, platform_fee, refund);
    let owed = -legs[2].amount;
    let from_escrow = owed.min(held.max(0));
    legs[2].amount = -from_escrow;
    if owed > from_escrow {
        legs.push(leg(
            Account::Creator(campaign.into()),
            -(owed - from_escrow),
        ));
    }
    legs
}

/// A milestone stage released: held money becomes the creator's.
pub fn release_legs(campaign: &str, amount: i64) -> Vec<Leg> {
    vec![
        leg(Account::Escrow(campaign.into()), -amount),
        leg(Account::Creator(campaign.into()), amount),
    ]
}

pub fn balanced(legs: &[Leg]) -> bool {
    legs.iter().map(|l| l.amount as i128).sum::<i128>() == 0
}

/// Where a campaign's money went, for its public page (like Open Collective's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneySummary {
    /// Charged from backers.
    pub raised: i64,
    pub refunded: i64,
    pub platform_fees: i64,
    pub processing_fees: i64,
    /// Held for milestones not yet released.
    pub held: i64,
    /// The creator's share (released, not yet paid out).
    pub to_creator: i64,
    pub paid_out: i64,
}

impl MoneySummary {
    /// Folds legs of one campaign's transactions into the summary.
    pub fn add(&mut self, kind: TxKind, legs: &[Leg]) {
        for l in legs {
            match (kind, l.account.as_str()) {
                (TxKind::Charge, "backers") => self.raised -= l.amount,
                (TxKind::Refund, "backers") => self.refunded += l.amount,
                (_, "platform") => self.platform_fees += l.amount,
                (_, "stripe_fees") => self.processing_fees += l.amount,
                (_, "payouts") => self.paid_out += l.amount,
                (_, a) if a.starts_with("escrow:") => self.held += l.amount,
                (_, a) if a.starts_with("creator:") => self.to_creator += l.amount,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_movement_balances() {
        assert!(balanced(&charge_legs("c", 10_000, 500, 320, false)));
        assert!(balanced(&charge_legs("c", 10_000, 500, 320, true)));
        assert!(balanced(&refund_legs("c", 10_000, 500, 3_333, false)));
        assert!(balanced(&refund_legs("c", 10_000, 500, 10_000, true)));
        assert!(balanced(&release_legs("c", 4_000)));
    }

    #[test]
    fn a_full_refund_returns_the_platform_fee_but_not_stripes() {
        let mut s = MoneySummary::default();
        s.add(TxKind::Charge, &charge_legs("c", 10_000, 500, 320, false));
        s.add(
            TxKind::Refund,
            &refund_legs("c", 10_000, 500, 10_000, false),
        );
        assert_eq!(s.raised, 10_000);
        assert_eq!(s.refunded, 10_000);
        assert_eq!(s.platform_fees, 0);
        assert_eq!(s.processing_fees, 320);
        // The creator carries Stripe's kept fee.
        assert_eq!(s.to_creator, -320);
    }

    #[test]
    fn partial_refunds_never_return_more_fee_than_taken() {
        let mut fee_back = 0;
        for _ in 0..3 {
            fee_back -= refund_legs("c", 10_000, 500, 3_333, false)[1].amount;
        }
        assert!(fee_back <= 500);
    }

    #[test]
    fn milestone_refunds_draw_on_escrow_first_and_never_below_zero() {
        let c = "c1";
        let escrow = |legs: &[Leg]| -> i64 {
            legs.iter()
                .filter(|l| l.account == "escrow:c1")
                .map(|l| l.amount)
                .sum()
        };
        let creator = |legs: &[Leg]| -> i64 {
            legs.iter()
                .filter(|l| l.account == "creator:c1")
                .map(|l| l.amount)
                .sum()
        };
        // Plenty held: all of it from escrow, exactly like a plain refund.
        let plenty = milestone_refund_legs(c, 10_000, 500, 10_000, 50_000);
        assert!(balanced(&plenty));
        assert_eq!(plenty, refund_legs(c, 10_000, 500, 10_000, true));
        // Only 3 000 left in escrow: 3 000 from it, the other 6 500 from the creator's share.
        let short = milestone_refund_legs(c, 10_000, 500, 10_000, 3_000);
        assert!(balanced(&short));
        assert_eq!((escrow(&short), creator(&short)), (-3_000, -6_500));
        // Everything released (or a negative balance from before): nothing from escrow.
        for held in [0, -200] {
            let none = milestone_refund_legs(c, 10_000, 500, 4_000, held);
            assert!(balanced(&none));
            assert_eq!(escrow(&none), 0);
        }
    }

    #[test]
    fn release_moves_escrow_to_creator() {
        let mut s = MoneySummary::default();
        s.add(TxKind::Charge, &charge_legs("c", 10_000, 500, 320, true));
        assert_eq!(s.held, 9_180);
        s.add(TxKind::Release, &release_legs("c", 4_000));
        assert_eq!((s.held, s.to_creator), (5_180, 4_000));
    }
}
