//! The campaign lifecycle as one pure function. Every change of state goes through
//! [`transition`], which knows who may do what; the store only records what it returns.
//!
//! ```text
//! draft → in_review → rejected → (edited) draft
//!                   → scheduled → live → succeeded → settling → settled
//!                                      → failed
//!                                      → cancelled (also from draft, in_review, scheduled)
//! ```

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    Draft,
    InReview,
    Rejected,
    Scheduled,
    Live,
    Succeeded,
    Failed,
    Cancelled,
    Settling,
    Settled,
}

/// Who asks for a change. The deadline job is `System`; only it and admins move `Live` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    Creator,
    Admin,
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CampaignEvent {
    Submit,
    Approve,
    Reject,
    /// A rejected campaign goes back to draft when its creator edits it.
    Revise,
    /// The start date arrived.
    Launch,
    /// The end date arrived; `goal_met` decides the outcome.
    Deadline {
        goal_met: bool,
    },
    Cancel,
    BeginSettlement,
    FinishSettlement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TransitionError {
    #[error("a campaign that is {from:?} cannot {event:?}")]
    NotAllowedFrom {
        from: CampaignState,
        event: CampaignEvent,
    },
    #[error("{actor:?} may not {event:?} a campaign")]
    WrongActor { actor: Actor, event: CampaignEvent },
}

impl CampaignState {
    /// Whether backers can pledge now.
    pub fn accepts_pledges(self) -> bool {
        self == CampaignState::Live
    }

    /// Whether the creator may still change goal, mode and dates.
    pub fn terms_editable(self) -> bool {
        matches!(self, CampaignState::Draft | CampaignState::Rejected)
    }

    /// States visitors can see (everything else is between the creator and the admins).
    pub fn is_public(self) -> bool {
        !matches!(
            self,
            CampaignState::Draft | CampaignState::InReview | CampaignState::Rejected
        )
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            CampaignState::Failed | CampaignState::Cancelled | CampaignState::Settled
        )
    }
}

fn allowed(actor: Actor, event: CampaignEvent) -> bool {
    use Actor::*;
    use CampaignEvent::*;
    match event {
        Submit | Revise => actor == Creator,
        Approve | Reject => actor == Admin,
        Launch | BeginSettlement | FinishSettlement => actor == System,
        Deadline { .. } => matches!(actor, System | Admin),
        Cancel => true,
    }
}

/// The state after `event`, or why it cannot happen. Pure: no clock, no I/O.
pub fn transition(
    from: CampaignState,
    event: CampaignEvent,
    actor: Actor,
) -> Result<CampaignState, TransitionError> {
    use CampaignEvent as E;
    use CampaignState as S;
    if !allowed(actor, event) {
        return Err(TransitionError::WrongActor { actor, event });
    }
    let to = match (from, event) {
        (S::Draft, E::Submit) => S::InReview,
        (S::InReview, E::Approve) => S::Scheduled,
        (S::InReview, E::Reject) => S::Rejected,
        (S::Rejected, E::Revise) => S::Draft,
        (S::Scheduled, E::Launch) => S::Live,
        (S::Live, E::Deadline { goal_met: true }) => S::Succeeded,
        (S::Live, E::Deadline { goal_met: false }) => S::Failed,
        // Creators may pull a campaign before it takes money; once live only an admin may.
        (S::Draft | S::InReview | S::Rejected | S::Scheduled, E::Cancel)
            if actor != Actor::System =>
        {
            S::Cancelled
        }
        (S::Live, E::Cancel) if actor == Actor::Admin => S::Cancelled,
        (S::Succeeded, E::BeginSettlement) => S::Settling,
        (S::Settling, E::FinishSettlement) => S::Settled,
        _ => return Err(TransitionError::NotAllowedFrom { from, event }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CampaignEvent as E;
    use CampaignState as S;

    #[test]
    fn the_happy_path_runs_from_draft_to_settled() {
        let steps = [
            (E::Submit, Actor::Creator, S::InReview),
            (E::Approve, Actor::Admin, S::Scheduled),
            (E::Launch, Actor::System, S::Live),
            (E::Deadline { goal_met: true }, Actor::System, S::Succeeded),
            (E::BeginSettlement, Actor::System, S::Settling),
            (E::FinishSettlement, Actor::System, S::Settled),
        ];
        let mut state = S::Draft;
        for (event, actor, expected) in steps {
            state = transition(state, event, actor).unwrap();
            assert_eq!(state, expected);
        }
        assert!(state.is_final());
    }

    #[test]
    fn a_missed_goal_fails_and_a_rejection_can_be_revised() {
        assert_eq!(
            transition(S::Live, E::Deadline { goal_met: false }, Actor::System),
            Ok(S::Failed)
        );
        assert_eq!(
            transition(S::InReview, E::Reject, Actor::Admin),
            Ok(S::Rejected)
        );
        assert_eq!(
            transition(S::Rejected, E::Revise, Actor::Creator),
            Ok(S::Draft)
        );
    }

    #[test]
    fn only_the_job_and_admins_move_a_live_campaign_on() {
        assert!(matches!(
            transition(S::Live, E::Deadline { goal_met: true }, Actor::Creator),
            Err(TransitionError::WrongActor { .. })
        ));
        assert!(transition(S::Live, E::Cancel, Actor::Creator).is_err());
        assert_eq!(
            transition(S::Live, E::Cancel, Actor::Admin),
            Ok(S::Cancelled)
        );
        assert!(transition(S::Live, E::Deadline { goal_met: true }, Actor::Admin).is_ok());
    }

    #[test]
    fn nobody_approves_a_campaign_that_is_not_in_review() {
        for from in [S::Draft, S::Scheduled, S::Live, S::Rejected, S::Settled] {
            assert_eq!(
                transition(from, E::Approve, Actor::Admin),
                Err(TransitionError::NotAllowedFrom {
                    from,
                    event: E::Approve
                })
            );
        }
        assert!(matches!(
            transition(S::InReview, E::Approve, Actor::Creator),
            Err(TransitionError::WrongActor { .. })
        ));
    }

    #[test]
    fn final_states_accept_no_event() {
        let events = [
            E::Submit,
            E::Approve,
            E::Reject,
            E::Revise,
            E::Launch,
            E::Deadline { goal_met: true },
            E::Cancel,
            E::BeginSettlement,
            E::FinishSettlement,
        ];
        for from in [S::Failed, S::Cancelled, S::Settled] {
            for event in events {
                for actor in [Actor::Creator, Actor::Admin, Actor::System] {
                    assert!(
                        transition(from, event, actor).is_err(),
                        "{from:?} {event:?} {actor:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn terms_lock_at_submission_and_pledges_only_while_live() {
        assert!(S::Draft.terms_editable() && S::Rejected.terms_editable());
        assert!(!S::InReview.terms_editable() && !S::Live.terms_editable());
        assert!(
            S::Live.accepts_pledges()
                && !S::Scheduled.accepts_pledges()
                && !S::Succeeded.accepts_pledges()
        );
        assert!(!S::Draft.is_public() && S::Live.is_public());
    }
}
