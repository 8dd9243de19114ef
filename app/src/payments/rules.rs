//! The pledge lifecycle as one pure function. Webhooks, the settlement job and people all move
//! pledges through [`transition`]; the store records what it returns with a compare-and-set.
//!
//! ```text
//! pending_checkout → authorized (card saved) → charging → paid → refunded
//!                  → paid (charged at checkout)          ↘ retrying → charging …
//!                  → expired                               ↘ dropped (after the last retry)
//!                  → cancelled ← authorized / retrying
//! paid → disputed (the cardholder's bank took the money back) → paid (dispute won)
//!                                                             → charged_back (dispute lost)
//! ```
//!
//! A disputed pledge no longer counts (nor opens its reward) but keeps its place until the
//! dispute is decided; a lost one is final.
//!
//! A failed settlement charge is recorded as `retrying` (with the decline reason and the next
//! attempt's time) or, after the last attempt, `dropped`: the design's `charge_failed` is the
//! moment between the two, never a resting state.

use serde::{Deserialize, Serialize};

use crate::campaigns::model::CampaignMode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PledgeState {
    PendingCheckout,
    Authorized,
    Charging,
    Paid,
    Retrying,
    Dropped,
    Refunded,
    Cancelled,
    Expired,
    /// The cardholder disputed the charge; the money is withheld until the bank decides.
    Disputed,
    /// The dispute was lost: the money went back to the cardholder for good.
    ChargedBack,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PledgeEvent {
    /// Checkout in `setup` mode finished: the card is saved, nobody is charged yet.
    CardSaved,
    /// Money arrived (Checkout in `payment` mode, or a settlement charge).
    Paid,
    /// The Checkout session ran out before the backer finished.
    CheckoutExpired,
    Cancel,
    /// The settlement job starts a charge attempt.
    StartCharge,
    /// A charge attempt was declined; `last` when no retry remains.
    ChargeDeclined {
        last: bool,
    },
    /// Everything paid went back to the backer.
    RefundedInFull,
    /// The cardholder disputed the charge (Stripe withdrew the money and its fee).
    DisputeOpened,
    /// The bank decided for the creator: the money is reinstated.
    DisputeWon,
    /// The bank decided for the cardholder.
    DisputeLost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("a pledge that is {from:?} cannot take {event:?}")]
pub struct PledgeTransitionError {
    pub from: PledgeState,
    pub event: PledgeEvent,
}

impl PledgeState {
    pub const ALL: [PledgeState; 11] = [
        PledgeState::PendingCheckout,
        PledgeState::Authorized,
        PledgeState::Charging,
        PledgeState::Paid,
        PledgeState::Retrying,
        PledgeState::Dropped,
        PledgeState::Refunded,
        PledgeState::Cancelled,
        PledgeState::Expired,
        PledgeState::Disputed,
        PledgeState::ChargedBack,
    ];

    /// States that count towards the campaign's total (a saved card included). Who counts as a
    /// *backer* is narrower: see [`is_backer`]. towards the campaign's total and make someone a backer.
    pub const COUNTED: [PledgeState; 4] = [
        PledgeState::Authorized,
        PledgeState::Charging,
        PledgeState::Paid,
        PledgeState::Retrying,
    ];

    pub fn is_counted(self) -> bool {
        Self::COUNTED.contains(&self)
    }

    /// No further change is possible (a refunded or dropped pledge stays so).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PledgeState::Dropped
                | PledgeState::Refunded
                | PledgeState::Cancelled
                | PledgeState::Expired
                | PledgeState::ChargedBack
        )
    }

    /// The backer still holds a place (and possibly a limited reward) in the campaign.
    pub fn holds_place(self) -> bool {
        !self.is_final()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PledgeState::PendingCheckout => "pending_checkout",
            PledgeState::Authorized => "authorized",
            PledgeState::Charging => "charging",
            PledgeState::Paid => "paid",
            PledgeState::Retrying => "retrying",
            PledgeState::Dropped => "dropped",
            PledgeState::Refunded => "refunded",
            PledgeState::Cancelled => "cancelled",
            PledgeState::Expired => "expired",
            PledgeState::Disputed => "disputed",
            PledgeState::ChargedBack => "charged_back",
        }
    }
}

/// The filter on "My pledges": pledges still under way, paid ones, and those that ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PledgeFilter {
    #[default]
    All,
    Open,
    Paid,
    Ended,
}

impl PledgeFilter {
    pub const ALL: [PledgeFilter; 4] = [Self::All, Self::Open, Self::Paid, Self::Ended];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Ended => "ended",
        }
    }

    /// Unknown values read as "all": the filter comes from a URL anyone can type.
    pub fn parse(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .unwrap_or_default()
    }

    /// The states a pledge may be in to be listed (an expired Checkout is never listed: the
    /// backer never finished it).
    pub fn states(self) -> &'static [PledgeState] {
        use PledgeState as S;
        match self {
            Self::All => &[
                S::PendingCheckout,
                S::Authorized,
                S::Charging,
                S::Paid,
                S::Retrying,
                S::Dropped,
                S::Refunded,
                S::Cancelled,
                S::Disputed,
                S::ChargedBack,
            ],
            Self::Open => &[S::PendingCheckout, S::Authorized, S::Charging, S::Retrying],
            Self::Paid => &[S::Paid, S::Disputed],
            Self::Ended => &[S::Dropped, S::Refunded, S::Cancelled, S::ChargedBack],
        }
    }
}

/// Who counts as a backer: the one definition behind backers-only updates (and their mails),
/// the "backer" badge on comments, course entitlements and so reviews (docs/payments.md, "Who
/// counts as a backer"). A backer is someone whose money the campaign holds now:
///
/// - all-or-nothing: only once the card was charged (`paid`). A saved card (`authorized`), a
///   charge under way or being retried is a promise, not money: it counts towards the total
///   but opens nothing;
/// - flexible and milestone: charged at checkout, so `paid` as well (milestone money waits in
///   escrow, but it was paid).
///
/// A refunded, disputed or charged-back pledge is no longer backing anything.
pub fn is_backer(mode: CampaignMode, state: PledgeState) -> bool {
    match mode {
        CampaignMode::AllOrNothing => state == PledgeState::Paid,
        CampaignMode::Flexible | CampaignMode::Milestone => state == PledgeState::Paid,
    }
}

/// The states [`is_backer`] accepts for `mode`, as stored, for queries to bind.
pub fn backer_states(mode: CampaignMode) -> Vec<&'static str> {
    PledgeState::ALL
        .into_iter()
        .filter(|s| is_backer(mode, *s))
        .map(PledgeState::as_str)
        .collect()
}

pub fn transition(
    from: PledgeState,
    event: PledgeEvent,
) -> Result<PledgeState, PledgeTransitionError> {
    use PledgeEvent as E;
    use PledgeState as S;
    let to = match (from, event) {
        (S::PendingCheckout, E::CardSaved) => S::Authorized,
        (S::PendingCheckout | S::Charging, E::Paid) => S::Paid,
        (S::PendingCheckout, E::CheckoutExpired) => S::Expired,
        (S::PendingCheckout | S::Authorized | S::Retrying, E::Cancel) => S::Cancelled,
        (S::Authorized | S::Retrying, E::StartCharge) => S::Charging,
        (S::Charging, E::ChargeDeclined { last: false }) => S::Retrying,
        (S::Charging, E::ChargeDeclined { last: true }) => S::Dropped,
        (S::Paid, E::RefundedInFull) => S::Refunded,
        (S::Paid, E::DisputeOpened) => S::Disputed,
        (S::Disputed, E::DisputeWon) => S::Paid,
        (S::Disputed, E::DisputeLost) => S::ChargedBack,
        _ => return Err(PledgeTransitionError { from, event }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use PledgeEvent as E;
    use PledgeState as S;

    #[test]
    fn every_listed_state_is_in_exactly_one_narrow_filter_and_all_lists_them_all() {
        for state in ALL {
            let narrow = [PledgeFilter::Open, PledgeFilter::Paid, PledgeFilter::Ended]
                .into_iter()
                .filter(|f| f.states().contains(&state))
                .count();
            let listed = PledgeFilter::All.states().contains(&state);
            assert_eq!(narrow, usize::from(listed), "{state:?}");
            assert_eq!(listed, state != S::Expired, "{state:?}");
        }
        assert_eq!(PledgeFilter::parse("paid"), PledgeFilter::Paid);
        assert_eq!(PledgeFilter::parse("<script>"), PledgeFilter::All);
    }

    const ALL: [PledgeState; 11] = PledgeState::ALL;

    #[test]
    fn a_saved_card_counts_towards_the_total_but_does_not_make_a_backer() {
        assert!(S::Authorized.is_counted());
        assert!(!is_backer(CampaignMode::AllOrNothing, S::Authorized));
        for s in [S::Charging, S::Retrying, S::PendingCheckout] {
            assert!(!is_backer(CampaignMode::AllOrNothing, s), "{s:?}");
        }
        assert!(is_backer(CampaignMode::AllOrNothing, S::Paid));
    }

    #[test]
    fn in_every_mode_only_money_held_makes_a_backer() {
        for mode in CampaignMode::ALL {
            assert_eq!(backer_states(mode), ["paid"], "{mode:?}");
            for s in [
                S::Refunded,
                S::Disputed,
                S::ChargedBack,
                S::Cancelled,
                S::Dropped,
            ] {
                assert!(!is_backer(mode, s), "{mode:?} {s:?}");
            }
        }
    }

    #[test]
    fn all_or_nothing_happy_path() {
        let s = transition(S::PendingCheckout, E::CardSaved).unwrap();
        let s = transition(s, E::StartCharge).unwrap();
        assert_eq!(transition(s, E::Paid), Ok(S::Paid));
    }

    #[test]
    fn declines_retry_then_drop() {
        let s = transition(S::Charging, E::ChargeDeclined { last: false }).unwrap();
        assert_eq!(s, S::Retrying);
        let s = transition(s, E::StartCharge).unwrap();
        assert_eq!(
            transition(s, E::ChargeDeclined { last: true }),
            Ok(S::Dropped)
        );
    }

    #[test]
    fn final_states_take_nothing() {
        let events = [
            E::CardSaved,
            E::Paid,
            E::CheckoutExpired,
            E::Cancel,
            E::StartCharge,
            E::ChargeDeclined { last: false },
            E::ChargeDeclined { last: true },
            E::RefundedInFull,
            E::DisputeOpened,
            E::DisputeWon,
            E::DisputeLost,
        ];
        for s in ALL.into_iter().filter(|s| s.is_final()) {
            for e in events {
                assert!(transition(s, e).is_err(), "{s:?} took {e:?}");
            }
        }
    }

    #[test]
    fn paid_pledges_cannot_be_cancelled_only_refunded() {
        assert!(transition(S::Paid, E::Cancel).is_err());
        assert!(transition(S::Charging, E::Cancel).is_err());
        assert_eq!(transition(S::Paid, E::RefundedInFull), Ok(S::Refunded));
    }

    #[test]
    fn a_paid_pledge_can_be_disputed_then_won_back_or_lost() {
        let s = transition(S::Paid, E::DisputeOpened).unwrap();
        assert_eq!(s, S::Disputed);
        assert!(!s.is_counted(), "a disputed pledge no longer counts");
        assert!(s.holds_place(), "its place waits for the bank's decision");
        assert_eq!(transition(s, E::DisputeWon), Ok(S::Paid));
        let lost = transition(s, E::DisputeLost).unwrap();
        assert_eq!(lost, S::ChargedBack);
        assert!(lost.is_final() && !lost.is_counted());
    }

    #[test]
    fn only_paid_pledges_are_disputed_and_only_disputed_ones_are_decided() {
        for s in ALL {
            assert_eq!(
                transition(s, E::DisputeOpened).is_ok(),
                s == S::Paid,
                "{s:?}"
            );
            for e in [E::DisputeWon, E::DisputeLost] {
                assert_eq!(transition(s, e).is_ok(), s == S::Disputed, "{s:?} {e:?}");
            }
        }
        // A disputed pledge is neither refunded, cancelled nor charged again meanwhile.
        for e in [E::RefundedInFull, E::Cancel, E::Paid, E::StartCharge] {
            assert!(transition(S::Disputed, e).is_err(), "{e:?}");
        }
    }

    #[test]
    fn a_card_is_saved_once() {
        assert!(transition(S::Authorized, E::CardSaved).is_err());
        assert!(transition(S::Paid, E::Paid).is_err());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_campaign_queries_count_the_same_states() {
        let names: Vec<&str> = PledgeState::COUNTED.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, crate::campaigns::store::COUNTED_PLEDGES);
    }

    #[test]
    fn names_round_trip_through_serde() {
        for s in ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }
}
