//! Mails about a backer's money: confirmations, receipts, failed charges, refunds. Sent from
//! background work with no request language, so each carries English and Chinese.

use super::store::{CampaignTerms, PledgeRow};
use crate::accounts::model::Email;
use crate::backend::AppState;
use crate::money::Money;
use crate::vars;

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Card saved for an all-or-nothing campaign.
    Authorized,
    Receipt,
    /// A settlement charge was declined; another attempt follows.
    ChargeFailed,
    /// The last attempt failed; the pledge is gone.
    Dropped,
    /// The campaign missed its goal; nobody was charged.
    GoalMissed,
    Refunded(i64),
    /// The backer's bank disputed the charge: the pledge no longer counts, its reward is closed.
    Disputed,
    /// The dispute was decided for the creator: the pledge counts again.
    DisputeWon,
    /// The dispute was decided for the backer: the pledge is over.
    DisputeLost,
}

fn texts(kind: Kind, campaign: &str, amount: &str, link: &str) -> (String, String) {
    match kind {
        Kind::Authorized => (
            format!("Your pledge to {campaign} is in / 你对「{campaign}」的支持已确认"),
            format!(
                "Thank you! You pledged {amount} to {campaign}. Your card is saved and is only \
                 charged if the campaign reaches its goal.\n\n谢谢！你支持了 {amount}。只有项目达到目标时才会扣款。\n\n{link}\n"
            ),
        ),
        Kind::Receipt => (
            format!("Receipt: {amount} to {campaign} / 收据"),
            format!(
                "We charged {amount} for your pledge to {campaign}.\n\n已为你对「{campaign}」的支持扣款 {amount}。\n\n{link}\n"
            ),
        ),
        Kind::ChargeFailed => (
            format!("Action needed: your payment to {campaign} failed / 扣款失败"),
            format!(
                "{campaign} reached its goal, but charging {amount} to your card failed. Update \
                 your card so we can try again:\n{link}\n\n项目已达成目标，但扣款 {amount} 失败。请更新银行卡：\n{link}\n"
            ),
        ),
        Kind::Dropped => (
            format!("Your pledge to {campaign} was dropped / 支持已取消"),
            format!(
                "We could not charge {amount} after several attempts, so your pledge to {campaign} \
                 was dropped. Nothing was charged.\n\n多次扣款失败，你的支持已取消，未扣任何费用。\n\n{link}\n"
            ),
        ),
        Kind::GoalMissed => (
            format!("{campaign} did not reach its goal / 项目未达成目标"),
            format!(
                "{campaign} did not reach its goal, so your pledge of {amount} was cancelled and \
                 nothing was charged.\n\n项目未达成目标，你的 {amount} 支持已取消，未扣任何费用。\n\n{link}\n"
            ),
        ),
        Kind::Refunded(_) => (
            format!("Refund: {amount} from {campaign} / 退款"),
            format!(
                "{amount} of your pledge to {campaign} is on its way back to your card.\n\n\
                 你对「{campaign}」的 {amount} 已退回原卡。\n\n{link}\n"
            ),
        ),
        Kind::Disputed => (
            format!("Your payment to {campaign} is disputed / 付款争议"),
            format!(
                "Your bank told us you dispute the {amount} paid to {campaign}. While the bank \
                 decides, the pledge no longer counts and its reward is closed to you. If this \
                 was a mistake, please tell your bank.\n\n你的银行通知我们，你对支付给「{campaign}」的 \
                 {amount} 提出了争议。银行处理期间，该支持不再计入，相应回报暂停开放。如有误会，请联系你的银行。\n\n{link}\n"
            ),
        ),
        Kind::DisputeWon => (
            format!("The dispute about {campaign} is closed / 争议已结束"),
            format!(
                "Your bank closed the dispute about {amount} for {campaign} in the creator's \
                 favour. Your pledge counts again and its reward is open to you.\n\n银行已结束关于\
                 「{campaign}」{amount} 的争议，结果支持创作者。你的支持重新计入，回报恢复开放。\n\n{link}\n"
            ),
        ),
        Kind::DisputeLost => (
            format!("The dispute about {campaign} is closed / 争议已结束"),
            format!(
                "Your bank closed the dispute about {amount} for {campaign} in your favour and \
                 returned the money. The pledge and its reward have ended.\n\n银行已结束关于\
                 「{campaign}」{amount} 的争议并退回款项。该支持及其回报已终止。\n\n{link}\n"
            ),
        ),
    }
}

/// Stores (and, with SMTP, sends) the mail; failures are logged, never fatal to the payment.
pub async fn send(state: &AppState, p: &PledgeRow, terms: &CampaignTerms, kind: Kind) {
    let email: Option<String> = match state
        .db
        .row(
            "SELECT VALUE email FROM type::record('user', $u)",
            vars!("u" => &p.backer),
        )
        .await
    {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "looking up a backer's email failed");
            return;
        }
    };
    let Some(to) = email.and_then(|e| Email::parse(&e).ok()) else {
        return;
    };
    let amount = match kind {
        Kind::Refunded(a) => Money::new(a, p.currency),
        _ => Money::new(p.amount, p.currency),
    };
    let base = &state.settings.public_url;
    let link = match kind {
        Kind::ChargeFailed => format!("{base}/pledges?card={}", p.id),
        _ => format!("{base}/pledges"),
    };
    let (subject, body) = texts(kind, &terms.title, &amount.to_string(), &link);
    if let Err(e) = state.mailer.send(&to, &subject, &body).await {
        tracing::warn!(error = %e, "payment mail failed");
    }
}
