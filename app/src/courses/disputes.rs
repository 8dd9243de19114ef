//! Disputes (chargebacks) on course orders (server only). Like a refund, each step is one
//! transaction: a compare-and-set on the order's state, the ledger entry and the enrolment the
//! order granted. Opened: `paid → disputed`, the course closes for the learner. Won:
//! `disputed → paid`, the same enrolment opens again. Lost: `disputed → charged_back`, it stays
//! closed. The course's creator bears the disputed money and Stripe's fee (see docs/payments.md).

use super::purchase::{grant_source, order, sync_intent, OrderRow};
use crate::backend::AppState;
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::payments::ledger::{sale_dispute_legs, sale_dispute_won_legs, Leg};
use crate::payments::stripe::{DisputeFacts, DisputeStatus, IntentFacts};
use crate::vars;

/// Applies dispute `d` to the order paid by the intent `facts` describes.
pub async fn sync(state: &AppState, facts: &IntentFacts, d: &DisputeFacts) -> AppResult<()> {
    let Some(id) = facts.metadata.get("order") else {
        return Ok(());
    };
    let Some(mut o) = order(state, id).await? else {
        tracing::info!(dispute = %d.id, "dispute for an unknown order; ignored");
        return Ok(());
    };
    // The payment's own events may not have arrived yet: the dispute proves it succeeded.
    if o.state == "pending" && facts.succeeded {
        sync_intent(state, facts).await?;
        o = reload(state, &o.id).await?;
    }
    if o.payment_intent.as_deref() != Some(facts.id.as_str()) {
        return Ok(());
    }
    if o.state == "paid" && o.dispute.as_deref() != Some(d.id.as_str()) {
        let legs = sale_dispute_legs(&o.course, o.paid, o.platform_fee, d.amount, d.fee);
        if step(state, &o, d, Step::Open, legs).await? {
            tracing::info!(order = %o.id, dispute = %d.id, "course order disputed; access revoked");
            notify(state, &o, d, Step::Open).await;
        }
        o = reload(state, &o.id).await?;
    }
    if o.state != "disputed" || o.dispute.as_deref() != Some(d.id.as_str()) {
        return Ok(());
    }
    let (s, legs) = match d.status {
        DisputeStatus::Won => (
            Step::Won,
            sale_dispute_won_legs(&o.course, o.paid, o.platform_fee, d.amount, d.fee_returned),
        ),
        DisputeStatus::Lost => (Step::Lost, Vec::new()),
        DisputeStatus::Open | DisputeStatus::NoFunds => return Ok(()),
    };
    if step(state, &o, d, s, legs).await? {
        tracing::info!(order = %o.id, dispute = %d.id, step = ?s, "course order dispute closed");
        notify(state, &o, d, s).await;
    }
    Ok(())
}

async fn reload(state: &AppState, id: &str) -> AppResult<OrderRow> {
    order(state, id).await?.ok_or(AppError::NotFound)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Open,
    Won,
    Lost,
}

/// One compare-and-set step with its ledger entry and enrolment change; answers whether this
/// call made it (false: another delivery did it first).
async fn step(
    state: &AppState,
    o: &OrderRow,
    d: &DisputeFacts,
    s: Step,
    legs: Vec<Leg>,
) -> AppResult<bool> {
    let (from, to, kind, source) = match s {
        Step::Open => ("paid", "disputed", "dispute", format!("dispute:{}", d.id)),
        Step::Won => (
            "disputed",
            "paid",
            "dispute_won",
            format!("dispute_won:{}", d.id),
        ),
        Step::Lost => ("disputed", "charged_back", "", String::new()),
    };
    let sql = "BEGIN TRANSACTION;
        LET $o = type::record('course_order', $id);
        LET $moved = (UPDATE $o SET state = $to, dispute = $dp,
                disputed = IF $to = 'paid' THEN 0 ELSE $amount END,
                disputed_at = IF $to = 'disputed' THEN time::now() ELSE disputed_at END
            WHERE state = $from
                AND (IF $from = 'paid' THEN dispute != $dp ELSE dispute = $dp END)
            RETURN VALUE id);
        IF array::len($moved) > 0 {
            IF $kind != '' {
                CREATE ledger_tx SET kind = $kind, course = $o.course, currency = $o.currency,
                    source = $source, memo = $memo, legs = $legs;
            };
            LET $e = type::record('enrolment', [record::id($o.course), record::id($o.recipient ?? $o.buyer)]);
            IF $to = 'disputed' {
                UPDATE $e SET revoked_at = time::now() WHERE source = $grant AND revoked_at = NONE;
            } ELSE IF $to = 'paid' {
                UPDATE $e SET revoked_at = NONE WHERE source = $grant AND revoked_at != NONE;
            };
        };
        COMMIT TRANSACTION;
        RETURN $moved;";
    let res: Result<Vec<serde_json::Value>, _> = state
        .db
        .rows_retrying(
            sql,
            vars!(
                "id" => &o.id, "from" => from, "to" => to, "dp" => &d.id, "amount" => d.amount,
                "kind" => kind, "source" => source, "legs" => legs,
                "memo" => format!("course order {} ({to})", o.id), "grant" => grant_source(&o.id),
            ),
        )
        .await;
    match res {
        Ok(moved) => Ok(!moved.is_empty()),
        // The ledger holds this movement already: an earlier delivery applied it.
        Err(e) if e.is_unique_violation("ledger_source") => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A short note to the buyer: the course's name and address, never its content. Failures are
/// logged, never fatal.
async fn notify(state: &AppState, o: &OrderRow, d: &DisputeFacts, s: Step) {
    let Some(row) = super::purchase::order_contact(state, &o.id).await else {
        return;
    };
    let (subject, body) = texts(
        s,
        &row.title,
        &Money::new(d.amount, o.currency).to_string(),
        &row.link,
    );
    if let Err(e) = state.mailer.send(&row.to, &subject, &body).await {
        tracing::warn!(error = %e, "dispute mail failed");
    }
}

fn texts(s: Step, title: &str, amount: &str, link: &str) -> (String, String) {
    match s {
        Step::Open => (
            format!("Your payment for {title} is disputed / 付款争议"),
            format!(
                "Your bank told us you dispute the {amount} paid for {title}. While the bank \
                 decides, the course is closed to you. If this was a mistake, please tell your \
                 bank.\n\n你的银行通知我们，你对购买「{title}」的 {amount} 提出了争议。银行处理期间，\
                 课程暂停开放。如有误会，请联系你的银行。\n\n{link}\n"
            ),
        ),
        Step::Won => (
            format!("The dispute about {title} is closed / 争议已结束"),
            format!(
                "Your bank closed the dispute about {amount} for {title} in the creator's \
                 favour. The course is open to you again.\n\n银行已结束关于「{title}」{amount} \
                 的争议，结果支持创作者。课程已重新向你开放。\n\n{link}\n"
            ),
        ),
        Step::Lost => (
            format!("The dispute about {title} is closed / 争议已结束"),
            format!(
                "Your bank closed the dispute about {amount} for {title} in your favour and \
                 returned the money. The course stays closed.\n\n银行已结束关于「{title}」\
                 {amount} 的争议并退回款项，课程不再开放。\n\n{link}\n"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispute_mails_speak_both_languages_and_name_only_the_course() {
        for s in [Step::Open, Step::Won, Step::Lost] {
            let (subject, body) = texts(s, "SQL", "$20.00", "https://x/courses/sql");
            assert!(
                subject.contains("SQL") && subject.contains("争议"),
                "{subject}"
            );
            assert!(body.contains("dispute") && body.contains("争议"), "{body}");
            assert!(body.ends_with("https://x/courses/sql\n"));
        }
    }
}
