//! Pledges left behind by a crash between creating them and attaching their Checkout session:
//! the backer never saw a payment page, so the pledge is cancelled and its tier place and
//! backing are released (a Checkout session Stripe made meanwhile names a pledge that no
//! longer waits for it, so anything paid through it is refunded as a stray payment).

use chrono::{Duration, Utc};

use super::rules::{PledgeEvent, PledgeState};
use super::store::{self, Move};
use crate::backend::db::Db;
use crate::error::AppResult;
use crate::vars;

/// Cancels `pending_checkout` pledges without a session created more than `older_than` ago.
/// Answers how many it cancelled.
pub async fn unattached_pledges(db: &Db, older_than: Duration) -> AppResult<usize> {
    let ids: Vec<String> = db
        .rows(
            "SELECT VALUE record::id(id) FROM pledge WHERE state = 'pending_checkout' \
             AND checkout_session = NONE AND created_at < <datetime>$before LIMIT 500",
            vars!("before" => Utc::now() - older_than),
        )
        .await?;
    let mut cancelled = 0;
    for id in ids {
        let moved = store::apply(
            db,
            &id,
            PledgeState::PendingCheckout,
            Move::new(PledgeEvent::Cancel),
        )
        .await?;
        if moved.is_some() {
            tracing::warn!(pledge = %id, "pledge without a Checkout session swept");
            cancelled += 1;
        }
    }
    Ok(cancelled)
}
