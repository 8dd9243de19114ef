//! Buying a course on its own (server only): Checkout in `payment` mode, confirmed by Stripe's
//! webhook (never by the redirect), then one transaction that marks the order paid, writes the
//! ledger and enrols the buyer. A refund reverses all three in one transaction, so access never
//! outlives the money.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use serde::Deserialize;

use super::model::{CourseProblem, Grant};
use super::store::{self, problem, CourseRow};
use super::{coupons, rules};
use crate::backend::AppState;
use crate::error::{AppError, AppResult};
use crate::money::{Currency, Money};
use crate::payments::flow::{customer_of, unavailable};
use crate::payments::ledger::{sale_legs, sale_refund_legs};
use crate::payments::stripe::{CheckoutMode, CheckoutRequest, IntentFacts, SessionFacts};
use crate::payments::verify::{Asked, Via};
use crate::vars;

/// The platform's share of a course sale, in basis points (as for campaigns).
pub const COURSE_FEE_BPS: u32 = 500;

#[derive(Debug, Clone, Deserialize)]
pub struct OrderRow {
    pub id: String,
    pub course: String,
    pub buyer: String,
    pub amount: i64,
    pub currency: Currency,
    pub state: String,
    pub checkout_session: Option<String>,
    pub checkout_url: Option<String>,
    pub payment_intent: Option<String>,
    pub paid: i64,
    pub platform_fee: i64,
    pub paid_at: Option<chrono::DateTime<Utc>>,
    pub coupon: Option<String>,
    pub recipient: Option<String>,
    /// The dispute (`dp_…`) last applied to this order, if any.
    #[serde(default)]
    pub dispute: Option<String>,
}

const ORDER_FIELDS: &str = "record::id(id) AS id, record::id(course) AS course, \
    record::id(buyer) AS buyer, amount, currency, state, checkout_session, checkout_url, \
    payment_intent, paid, platform_fee, paid_at, coupon, dispute, \
    IF recipient THEN record::id(recipient) ELSE NONE END AS recipient";

pub async fn order(state: &AppState, id: &str) -> AppResult<Option<OrderRow>> {
    Ok(state
        .db
        .row(
            &format!("SELECT {ORDER_FIELDS} FROM type::record('course_order', $id)"),
            vars!("id" => id),
        )
        .await?)
}

/// The buyer's newest order for a course (for themselves, or as a gift for `recipient`) that is
/// pending or paid.
pub async fn open_order(
    state: &AppState,
    course: &str,
    buyer: &str,
    recipient: Option<&str>,
) -> AppResult<Option<OrderRow>> {
    Ok(state
        .db
        .row(
            &format!(
                "SELECT {ORDER_FIELDS}, created_at FROM course_order
                 WHERE buyer = type::record('user', $u) AND course = type::record('course', $c)
                    AND recipient = (IF $r THEN type::record('user', $r) ELSE NONE END)
                    AND state IN ['pending', 'paid'] ORDER BY created_at DESC LIMIT 1"
            ),
            vars!("u" => buyer, "c" => course, "r" => recipient),
        )
        .await?)
}

/// What buying led to.
pub enum Begun {
    /// Pay on Stripe's Checkout page at this address.
    Checkout(String),
    /// A coupon made it free: the learner is enrolled already.
    Enrolled,
}

/// A purchase of `course` by `buyer`, for themselves or (`recipient`) as a gift, optionally
/// with a coupon.
pub struct Purchase<'a> {
    pub course: &'a CourseRow,
    pub buyer: &'a str,
    pub recipient: Option<&'a str>,
    pub coupon: Option<&'a str>,
}

/// Opens Checkout for the purchase. An unfinished earlier Checkout for the same learner is
/// reused instead of opening a second one; a coupon that takes the whole price enrols at once.
pub async fn begin(state: &AppState, p: Purchase<'_>) -> AppResult<Begun> {
    let course = p.course;
    let price = course.price.ok_or(problem(CourseProblem::NotForSale))?;
    if let Some(o) = open_order(state, &course.id, p.buyer, p.recipient).await? {
        match (o.state.as_str(), o.checkout_url.clone()) {
            ("paid", _) => return Err(problem(CourseProblem::AlreadyEnrolled)),
            // The same purchase again: the Checkout already open serves it.
            ("pending", Some(url)) if p.coupon.is_none() || p.coupon == o.coupon.as_deref() => {
                return Ok(Begun::Checkout(url))
            }
            // Back with a coupon the open Checkout does not carry: that order is replaced.
            ("pending", _) => replace_pending(state, &o).await?,
            _ => {}
        }
    }
    let amount = match p.coupon {
        Some(code) => {
            rules::discounted(price, coupons::reserve(&state.db, &course.id, code).await?)
        }
        None => price,
    };
    let learner = p.recipient.unwrap_or(p.buyer);
    if amount == 0 {
        let source = format!("coupon:{}", p.coupon.unwrap_or_default());
        let via = if p.recipient.is_some() {
            Grant::Gift
        } else {
            Grant::Coupon
        };
        store::grant(&state.db, &course.id, learner, via, Some(&source)).await?;
        return Ok(Begun::Enrolled);
    }
    let given_back = || async {
        if let Some(code) = p.coupon {
            coupons::release(&state.db, &course.id, code).await?;
        }
        AppResult::Ok(())
    };
    let id = store::new_id();
    state
        .db
        .run(
            "CREATE type::record('course_order', $id) SET course = type::record('course', $c),
                buyer = type::record('user', $u), amount = $a, currency = $cur, state = 'pending',
                coupon = IF $coupon THEN $coupon ELSE NONE END,
                recipient = IF $r THEN type::record('user', $r) ELSE NONE END",
            vars!("id" => &id, "c" => &course.id, "u" => p.buyer, "a" => amount,
                "cur" => course.currency.code(), "coupon" => p.coupon, "r" => p.recipient),
        )
        .await?;
    let customer = match customer_of(state, p.buyer).await {
        Ok(c) => c,
        Err(e) => {
            expire(state, &id).await?;
            given_back().await?;
            return Err(e);
        }
    };
    let base = &state.settings.public_url;
    let opened = state
        .payments
        .create_checkout(CheckoutRequest {
            key: format!("course-checkout-{id}"),
            mode: CheckoutMode::Payment,
            customer: &customer,
            currency: course.currency,
            amount,
            product: &course.title,
            success_url: format!("{base}/courses/{}?order={id}", course.slug),
            cancel_url: format!("{base}/courses/{}?cancelled=1", course.slug),
            // Stripe's shortest allowed lifetime is 30 minutes.
            expires_at: (Utc::now() + Duration::minutes(31)).timestamp(),
            metadata: HashMap::from([
                ("order".to_string(), id.clone()),
                ("course".to_string(), course.id.clone()),
            ]),
        })
        .await;
    let (session, url) = match opened {
        Ok(s) => s,
        Err(e) => {
            expire(state, &id).await?;
            given_back().await?;
            return Err(unavailable(e));
        }
    };
    state
        .db
        .run(
            "UPDATE type::record('course_order', $id) SET checkout_session = $s, checkout_url = $url",
            vars!("id" => &id, "s" => &session, "url" => &url),
        )
        .await?;
    Ok(Begun::Checkout(url))
}

/// Closes a pending order the buyer left for a new Checkout (say, with a coupon). Its session
/// is expired in Stripe first; one that completed meanwhile is applied instead, and the buyer,
/// now enrolled, is told so. The order's coupon use is given back.
async fn replace_pending(state: &AppState, o: &OrderRow) -> AppResult<()> {
    if let Some(id) = &o.checkout_session {
        let s = state.payments.session(id).await.map_err(unavailable)?;
        if !s.complete && !s.expired {
            if let Err(e) = state.payments.expire_session(id).await {
                tracing::info!(session = %id, error = %e, "expiring the session failed");
            }
        }
        let s = state.payments.session(id).await.map_err(unavailable)?;
        sync_session(state, &s).await?;
    }
    match order(state, &o.id).await?.map(|o| o.state) {
        Some(st) if st == "paid" => Err(problem(CourseProblem::AlreadyEnrolled)),
        Some(st) if st == "pending" => {
            if expire(state, &o.id).await? {
                if let Some(code) = &o.coupon {
                    coupons::release(&state.db, &o.course, code).await?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Closes a pending order that will never be paid; answers whether this call closed it.
async fn expire(state: &AppState, id: &str) -> AppResult<bool> {
    let moved: Vec<serde_json::Value> = state
        .db
        .rows(
            "UPDATE type::record('course_order', $id) SET state = 'expired' WHERE state = 'pending'
             RETURN VALUE id",
            vars!("id" => id),
        )
        .await?;
    Ok(!moved.is_empty())
}

/// Expires pending orders left without a Checkout session (a crash between creating the
/// order and attaching its session) for more than `older_than`, giving their coupon use
/// back. Answers how many it expired.
pub async fn sweep_unattached(state: &AppState, older_than: Duration) -> AppResult<usize> {
    #[derive(Deserialize)]
    struct Left {
        id: String,
        course: String,
        coupon: Option<String>,
    }
    let left: Vec<Left> = state
        .db
        .rows(
            "SELECT record::id(id) AS id, record::id(course) AS course, coupon FROM course_order \
             WHERE state = 'pending' AND checkout_session = NONE \
             AND created_at < <datetime>$before LIMIT 500",
            vars!("before" => Utc::now() - older_than),
        )
        .await?;
    let mut expired = 0;
    for o in left {
        if expire(state, &o.id).await? {
            if let Some(code) = &o.coupon {
                coupons::release(&state.db, &o.course, code).await?;
            }
            tracing::warn!(order = %o.id, "order without a Checkout session swept");
            expired += 1;
        }
    }
    Ok(expired)
}

/// A Checkout session for an order changed: expired ones close the order, completed ones are
/// settled through their PaymentIntent.
pub async fn sync_session(state: &AppState, s: &SessionFacts) -> AppResult<()> {
    let Some(o) = (match s.metadata.get("order") {
        Some(id) => order(state, id).await?,
        None => None,
    }) else {
        tracing::info!(session = %s.id, "session for an unknown order; ignored");
        return Ok(());
    };
    if o.state != "pending" || o.checkout_session.as_deref() != Some(s.id.as_str()) {
        // A payment the order no longer waits for is looked at (and refunded) by intent.
        if let (true, Some(pi)) = (s.complete, &s.payment_intent) {
            let facts = state.payments.intent(pi).await.map_err(unavailable)?;
            sync_intent(state, &facts).await?;
        }
        return Ok(());
    }
    if s.expired {
        // Only the call that closed the order gives its coupon use back.
        if expire(state, &o.id).await? {
            if let Some(code) = &o.coupon {
                coupons::release(&state.db, &o.course, code).await?;
            }
        }
        return Ok(());
    }
    if let (true, Some(pi)) = (s.complete, &s.payment_intent) {
        let facts = state.payments.intent(pi).await.map_err(unavailable)?;
        sync_intent(state, &facts).await?;
    }
    Ok(())
}

/// Money arrived for an order: paid, in the ledger and enrolled, in one transaction that a
/// duplicate or reordered webhook finds already done.
pub async fn sync_intent(state: &AppState, facts: &IntentFacts) -> AppResult<()> {
    let Some(o) = (match facts.metadata.get("order") {
        Some(id) => order(state, id).await?,
        None => None,
    }) else {
        return Ok(());
    };
    if !facts.succeeded {
        return Ok(());
    }
    if o.state != "pending" {
        return refund_if_stray(state, &o, facts).await;
    }
    // Only the payment of this order's own Checkout session, for its amount, counts.
    let asked = Asked {
        via: Via::Checkout(o.checkout_session.as_deref()),
        amount: o.amount,
        currency: o.currency,
    };
    if !crate::payments::verify::confirm(state, "order", &o.id, asked, facts).await? {
        return Ok(());
    }
    let amount = facts.amount_received;
    let fee = Money::new(amount, o.currency).fee(COURSE_FEE_BPS).minor;
    let legs = sale_legs(&o.course, amount, fee, facts.fee);
    let res = state
        .db
        .run(
            "BEGIN TRANSACTION;
             LET $o = type::record('course_order', $id);
             LET $moved = (UPDATE $o SET state = 'paid', paid = $amount, platform_fee = $fee,
                stripe_fee = $sfee, payment_intent = $pi, paid_at = time::now()
                WHERE state = 'pending' RETURN VALUE id);
             IF array::len($moved) > 0 {
                CREATE ledger_tx SET kind = 'charge', course = $o.course, currency = $o.currency,
                    source = $source, memo = $memo, legs = $legs;
                LET $learner = $o.recipient ?? $o.buyer;
                UPSERT type::record('enrolment', [record::id($o.course), record::id($learner)]) SET
                    course = $o.course, user = $learner,
                    via = IF $o.recipient THEN 'gift' ELSE 'purchase' END, source = $grant,
                    granted_at = time::now(), revoked_at = NONE;
             };
             COMMIT TRANSACTION;",
            vars!("id" => &o.id, "amount" => amount, "fee" => fee, "sfee" => facts.fee,
                "pi" => &facts.id, "source" => format!("charge:{}", facts.id),
                "memo" => format!("course order {}", o.id), "legs" => legs,
                "grant" => grant_source(&o.id)),
        )
        .await;
    match res {
        Ok(()) => {
            let now = order(state, &o.id).await?.ok_or(AppError::NotFound)?;
            if now.payment_intent.as_deref() != Some(facts.id.as_str()) {
                // The order stopped waiting between our read and our write.
                return refund_if_stray(state, &now, facts).await;
            }
            tracing::info!(order = %o.id, course = %o.course, "course purchased");
            receipt(state, &o, Money::new(amount, o.currency), false).await;
            Ok(())
        }
        // Recorded before (the ledger holds this charge already).
        Err(e) if e.is_unique_violation("ledger_source") => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A succeeded payment for an order that no longer waits for it (expired, or paid by another
/// payment) goes back to the buyer (see `payments::stray`).
async fn refund_if_stray(state: &AppState, o: &OrderRow, facts: &IntentFacts) -> AppResult<()> {
    if o.state == "pending" || o.payment_intent.as_deref() == Some(facts.id.as_str()) {
        return Ok(());
    }
    crate::payments::stray::refund(state, facts, &format!("course order {}", o.id), o.currency)
        .await
}

/// What an order's enrolment names as its source, so a refund revokes only what it granted.
pub fn grant_source(order: &str) -> String {
    format!("order:{order}")
}

/// Refunds a paid order in full through Stripe and takes the course back, in one transaction.
/// `self_service` holds the buyer to the refund window.
pub async fn refund(state: &AppState, o: &OrderRow, self_service: bool) -> AppResult<()> {
    use crate::payments::model::PledgeProblem;
    if o.state != "paid" {
        return Err(AppError::Invalid(crate::error::Problem::Pledge(
            PledgeProblem::NotNow,
        )));
    }
    if self_service {
        let window = state.settings.stripe.refund_period();
        if o.paid_at.is_none_or(|at| Utc::now() - at > window) {
            return Err(AppError::Invalid(crate::error::Problem::Pledge(
                PledgeProblem::RefundWindowClosed,
            )));
        }
    }
    let intent = o.payment_intent.clone().ok_or(AppError::Internal)?;
    let r = state
        .payments
        .refund(
            &format!("refund-order-{}", o.id),
            &intent,
            o.paid,
            HashMap::from([("order".to_string(), o.id.clone())]),
        )
        .await
        .map_err(unavailable)?;
    let legs = sale_refund_legs(&o.course, o.paid, o.platform_fee, r.amount);
    let res = state
        .db
        .run(
            "BEGIN TRANSACTION;
             LET $o = type::record('course_order', $id);
             LET $moved = (UPDATE $o SET state = 'refunded', refunded_at = time::now()
                WHERE state = 'paid' RETURN VALUE id);
             IF array::len($moved) > 0 {
                CREATE ledger_tx SET kind = 'refund', course = $o.course, currency = $o.currency,
                    source = $source, memo = $memo, legs = $legs;
                LET $learner = $o.recipient ?? $o.buyer;
                UPDATE type::record('enrolment', [record::id($o.course), record::id($learner)])
                    SET revoked_at = time::now() WHERE source = $grant AND revoked_at = NONE;
             };
             COMMIT TRANSACTION;",
            vars!("id" => &o.id, "source" => format!("refund:{}", r.id),
                "memo" => format!("course order {}", o.id), "legs" => legs,
                "grant" => grant_source(&o.id)),
        )
        .await;
    match res {
        Ok(()) => {}
        Err(e) if e.is_unique_violation("ledger_source") => {}
        Err(e) => return Err(e.into()),
    }
    tracing::info!(order = %o.id, "course order refunded; access revoked");
    receipt(state, o, Money::new(r.amount, o.currency), true).await;
    Ok(())
}

/// Who an order's mails go to and what they name: the buyer's address, the course's title
/// and address (never its content), and for a gift its recipient.
pub(super) struct OrderContact {
    pub to: crate::accounts::model::Email,
    pub buyer_name: String,
    pub recipient: Option<crate::accounts::model::Email>,
    pub title: String,
    pub link: String,
}

/// `None` (after logging a failed lookup) when there is nobody to write to.
pub(super) async fn order_contact(state: &AppState, order: &str) -> Option<OrderContact> {
    use crate::accounts::model::Email;
    #[derive(Deserialize)]
    struct Row {
        email: String,
        buyer_name: String,
        recipient_email: Option<String>,
        title: String,
        slug: String,
    }
    let row: Row = match state
        .db
        .row(
            "SELECT buyer.email AS email, buyer.display_name AS buyer_name,
                recipient.email AS recipient_email, course.title AS title, course.slug AS slug
             FROM type::record('course_order', $id)",
            vars!("id" => order),
        )
        .await
    {
        Ok(r) => r?,
        Err(e) => {
            tracing::warn!(error = %e, "looking up a buyer's email failed");
            return None;
        }
    };
    Some(OrderContact {
        to: Email::parse(&row.email).ok()?,
        buyer_name: row.buyer_name,
        recipient: row
            .recipient_email
            .as_deref()
            .and_then(|e| Email::parse(e).ok()),
        link: format!("{}/courses/{}", state.settings.public_url, row.slug),
        title: row.title,
    })
}

/// The buyer's receipt (or refund notice), and a gift's note to its recipient. Failures are
/// logged, never fatal to the payment.
async fn receipt(state: &AppState, o: &OrderRow, amount: Money, refund: bool) {
    let Some(row) = order_contact(state, &o.id).await else {
        return;
    };
    let link = &row.link;
    let (subject, body) = if refund {
        (
            format!("Refund: {amount} for {} / 退款", row.title),
            format!(
                "{amount} for {} is on its way back to your card; the course is closed for you.\n\n\
                 「{}」的 {amount} 已退回原卡，课程已对你关闭。\n\n{link}\n",
                row.title, row.title
            ),
        )
    } else {
        (
            format!("Receipt: {} ({amount}) / 收据", row.title),
            format!(
                "Thank you! You paid {amount} for {}. Every lesson is open to you now.\n\n\
                 感谢购买「{}」（{amount}），全部课时已向你开放。\n\n{link}\n",
                row.title, row.title
            ),
        )
    };
    if let Err(e) = state.mailer.send(&row.to, &subject, &body).await {
        tracing::warn!(error = %e, "course receipt mail failed");
    }
    if let (Some(to), false) = (&row.recipient, refund) {
        let subject = format!("{} gave you {} / 礼物", row.buyer_name, row.title);
        let body = format!(
            "{} gave you the course {}. Every lesson is open to you now.\n\n\
             {} 送给你课程「{}」，全部课时已向你开放。\n\n{link}\n",
            row.buyer_name, row.title, row.buyer_name, row.title
        );
        if let Err(e) = state.mailer.send(to, &subject, &body).await {
            tracing::warn!(error = %e, "gift mail failed");
        }
    }
}
