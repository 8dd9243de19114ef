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
    /// A cardholder disputed a charge: the money and Stripe's dispute fee left.
    Dispute,
    /// A dispute was won: the money came back.
    DisputeWon,
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

/// The platform fee a refund returns when `before` was refunded already: what the refunds
/// up to and including this one return in total, less what the earlier ones returned. Each
/// total is rounded down, so several partial refunds add up to exactly the fee of the whole
/// (a fee returned refund by refund, each rounded down, would fall short).
pub fn fee_back(paid: i64, platform_fee: i64, before: i64, refund: i64) -> i64 {
    if paid <= 0 {
        return 0;
    }
    let upto = |r: i64| ((platform_fee as i128 * r.clamp(0, paid) as i128) / paid as i128) as i64;
    upto(before + refund) - upto(before)
}

/// Like [`refund_legs`] for a refund that follows `before` already refunded: the platform's
/// fee comes back by [`fee_back`], so partial refunds return the whole fee in the end.
pub fn refund_legs_after(
    campaign: &str,
    paid: i64,
    platform_fee: i64,
    before: i64,
    refund: i64,
    escrow: bool,
) -> Vec<Leg> {
    let back = fee_back(paid, platform_fee, before, refund);
    vec![
        leg(Account::Backers, refund),
        leg(Account::Platform, -back),
        leg(holder(campaign, escrow), -(refund - back)),
    ]
}

/// [`milestone_refund_legs`] with the fee returned by [`fee_back`].
pub fn milestone_refund_legs_after(
    campaign: &str,
    paid: i64,
    platform_fee: i64,
    before: i64,
    refund: i64,
    held: i64,
) -> Vec<Leg> {
    let legs = refund_legs_after(campaign, paid, platform_fee, before, refund, true);
    cap_escrow(campaign, legs, held)
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
    let legs = refund_legs_from(Account::Escrow(campaign.into()), paid, platform_fee, refund);
    cap_escrow(campaign, legs, held)
}

/// Lets the escrow's legs in `legs` take at most what it `held`; the creator's released share
/// gives the rest. Unchanged when the escrow can pay it all.
fn cap_escrow(campaign: &str, legs: Vec<Leg>, held: i64) -> Vec<Leg> {
    let escrow = Account::Escrow(campaign.into()).key();
    let owed: i64 = -legs
        .iter()
        .filter(|l| l.account == escrow)
        .map(|l| l.amount)
        .sum::<i64>();
    let from_escrow = owed.min(held.max(0));
    if owed == from_escrow {
        return legs;
    }
    let mut capped: Vec<Leg> = Vec::with_capacity(legs.len() + 1);
    for l in legs {
        if l.account != escrow {
            capped.push(l);
        } else if !capped.iter().any(|c| c.account == escrow) {
            capped.push(leg(Account::Escrow(campaign.into()), -from_escrow));
        }
    }
    capped.push(leg(
        Account::Creator(campaign.into()),
        -(owed - from_escrow),
    ));
    capped
}

/// A dispute opened on a pledge: `amount` went back to the cardholder through their bank and
/// Stripe kept `fee` for handling it. As with a refund the platform returns its fee in
/// proportion; the creator's share (or the escrow) bears the rest and the dispute fee, as on
/// Teachable or Stripe Connect where the seller carries chargebacks.
pub fn dispute_legs(
    campaign: &str,
    paid: i64,
    platform_fee: i64,
    amount: i64,
    fee: i64,
    escrow: bool,
) -> Vec<Leg> {
    dispute_legs_from(holder(campaign, escrow), paid, platform_fee, amount, fee)
}

/// A won dispute on a pledge: the movement of [`dispute_legs`] reversed, except the part of
/// the dispute fee Stripe kept (`fee_returned` is what it gave back).
pub fn dispute_won_legs(
    campaign: &str,
    paid: i64,
    platform_fee: i64,
    amount: i64,
    fee_returned: i64,
    escrow: bool,
) -> Vec<Leg> {
    reversed(dispute_legs(
        campaign,
        paid,
        platform_fee,
        amount,
        fee_returned,
        escrow,
    ))
}

/// A dispute opened on a milestone pledge: as [`dispute_legs`] from the escrow, which gives only
/// what it still `held` (stages may have been released); the creator's share bears the rest.
pub fn milestone_dispute_legs(
    campaign: &str,
    paid: i64,
    platform_fee: i64,
    amount: i64,
    fee: i64,
    held: i64,
) -> Vec<Leg> {
    let legs = dispute_legs(campaign, paid, platform_fee, amount, fee, true);
    cap_escrow(campaign, legs, held)
}

/// A won dispute on a milestone pledge: what the opening legs (`opened`, as recorded) took goes
/// back where it came from, except the part of the dispute `fee` Stripe kept, which stays a cost
/// of the creator's share.
pub fn milestone_dispute_won_legs(
    campaign: &str,
    opened: &[Leg],
    fee: i64,
    fee_returned: i64,
) -> Vec<Leg> {
    let mut legs = reversed(opened.to_vec());
    let kept = fee - fee_returned;
    if kept != 0 {
        legs.push(leg(Account::StripeFees, kept));
        legs.push(leg(Account::Creator(campaign.into()), -kept));
    }
    legs
}

/// A dispute opened on a course sale (the course's creator bears it, as for a pledge).
pub fn sale_dispute_legs(
    course: &str,
    paid: i64,
    platform_fee: i64,
    amount: i64,
    fee: i64,
) -> Vec<Leg> {
    dispute_legs_from(
        Account::Course(course.into()),
        paid,
        platform_fee,
        amount,
        fee,
    )
}

/// A won dispute on a course sale.
pub fn sale_dispute_won_legs(
    course: &str,
    paid: i64,
    platform_fee: i64,
    amount: i64,
    fee_returned: i64,
) -> Vec<Leg> {
    reversed(sale_dispute_legs(
        course,
        paid,
        platform_fee,
        amount,
        fee_returned,
    ))
}

fn dispute_legs_from(
    holder: Account,
    paid: i64,
    platform_fee: i64,
    amount: i64,
    fee: i64,
) -> Vec<Leg> {
    let mut legs = refund_legs_from(holder.clone(), paid, platform_fee, amount);
    if fee != 0 {
        legs.push(leg(Account::StripeFees, fee));
        legs.push(leg(holder, -fee));
    }
    legs
}

fn reversed(legs: Vec<Leg>) -> Vec<Leg> {
    legs.into_iter()
        .map(|l| Leg {
            amount: -l.amount,
            ..l
        })
        .collect()
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
    /// Taken back by cardholders' banks in disputes still open or lost (won ones came back).
    #[serde(default)]
    pub disputed: i64,
}

impl MoneySummary {
    /// Folds legs of one campaign's transactions into the summary.
    pub fn add(&mut self, kind: TxKind, legs: &[Leg]) {
        for l in legs {
            match (kind, l.account.as_str()) {
                (TxKind::Charge, "backers") => self.raised -= l.amount,
                (TxKind::Refund, "backers") => self.refunded += l.amount,
                (TxKind::Dispute | TxKind::DisputeWon, "backers") => self.disputed += l.amount,
                (_, "platform") => self.platform_fees += l.amount,
                (_, "stripe_fees") => self.processing_fees += l.amount,
                (_, "payouts") => self.paid_out += l.amount,
                (_, a) if a.starts_with("escrow:") => self.held += l.amount,
                (_, a) if a.starts_with("creator:") || a.starts_with("course:") => {
                    self.to_creator += l.amount
                }
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
    fn partial_refunds_return_exactly_the_whole_fee_in_the_end() {
        let (paid, fee) = (10_000, 500);
        let mut before = 0;
        let mut returned = 0;
        for part in [3_333, 3_333, 3_334] {
            let legs = refund_legs_after("c", paid, fee, before, part, false);
            assert!(balanced(&legs));
            returned -= legs[1].amount;
            before += part;
        }
        assert_eq!(returned, fee, "three thirds return the whole fee");
        // The old per-refund rounding fell short: 166 + 166 + 166 = 498.
        let old: i64 = [3_333, 3_333, 3_334]
            .iter()
            .map(|r| -refund_legs("c", paid, fee, *r, false)[1].amount)
            .sum();
        assert!(old < fee);
        assert_eq!(fee_back(paid, fee, 0, paid), fee);
        assert_eq!(fee_back(paid, fee, paid, 1), 0, "nothing beyond the whole");
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
    fn a_dispute_costs_the_creator_the_money_and_the_fee_and_a_win_brings_the_money_back() {
        let mut s = MoneySummary::default();
        s.add(TxKind::Charge, &charge_legs("c", 10_000, 500, 320, false));
        let opened = dispute_legs("c", 10_000, 500, 10_000, 1_500, false);
        assert!(balanced(&opened));
        s.add(TxKind::Dispute, &opened);
        assert_eq!(s.disputed, 10_000);
        assert_eq!(
            s.platform_fees, 0,
            "the platform returns its fee, as for a refund"
        );
        assert_eq!(s.processing_fees, 320 + 1_500);
        assert_eq!(
            s.to_creator,
            -320 - 1_500,
            "the creator bears Stripe's fees"
        );
        let won = dispute_won_legs("c", 10_000, 500, 10_000, 0, false);
        assert!(balanced(&won));
        s.add(TxKind::DisputeWon, &won);
        assert_eq!(s.disputed, 0);
        assert_eq!(s.platform_fees, 500);
        assert_eq!(
            s.to_creator,
            10_000 - 500 - 320 - 1_500,
            "the kept fee stays a cost"
        );
    }

    #[test]
    fn a_milestone_dispute_never_overdraws_the_escrow_and_a_win_puts_each_part_back() {
        let sum = |legs: &[Leg], account: &str| -> i64 {
            legs.iter()
                .filter(|l| l.account == account)
                .map(|l| l.amount)
                .sum()
        };
        // Plenty held: exactly the plain escrow dispute.
        let plenty = milestone_dispute_legs("m", 10_000, 500, 10_000, 1_500, 50_000);
        assert_eq!(plenty, dispute_legs("m", 10_000, 500, 10_000, 1_500, true));
        // 2 000 held: the escrow gives 2 000, the creator's share the other 9 000 (9 500 + fee).
        let short = milestone_dispute_legs("m", 10_000, 500, 10_000, 1_500, 2_000);
        assert!(balanced(&short));
        assert_eq!(sum(&short, "escrow:m"), -2_000);
        assert_eq!(sum(&short, "creator:m"), -9_000);
        // Won with 1 000 of the fee returned: each account gets back what it gave, minus the
        // 500 of fee Stripe kept, which the creator bears.
        let won = milestone_dispute_won_legs("m", &short, 1_500, 1_000);
        assert!(balanced(&won));
        assert_eq!(sum(&won, "escrow:m"), 2_000);
        assert_eq!(sum(&won, "creator:m"), 9_000 - 500);
        assert_eq!(sum(&short, "stripe_fees") + sum(&won, "stripe_fees"), 500);
    }

    #[test]
    fn course_disputes_balance_and_a_returned_fee_comes_back_to_the_course() {
        let opened = sale_dispute_legs("k", 2_000, 100, 2_000, 1_500);
        let won = sale_dispute_won_legs("k", 2_000, 100, 2_000, 1_500);
        assert!(balanced(&opened) && balanced(&won));
        let net: i64 = opened
            .iter()
            .chain(&won)
            .filter(|l| l.account == "course:k")
            .map(|l| l.amount)
            .sum();
        assert_eq!(net, 0);
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
