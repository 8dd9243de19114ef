//! Cohort's calls to Stripe (or the built-in simulator, which speaks the same wire format),
//! through async-stripe. Each call that moves money carries an idempotency key derived from
//! what it is for, so a retry — after a timeout, a 500, or a restart — can never charge twice.

use std::collections::HashMap;
use std::time::Duration;

use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, CreateCheckoutSessionSetupIntentData,
    ExpireCheckoutSession, ProductData, RetrieveCheckoutSession,
};
use stripe_client_core::{RequestBuilder, StripeMethod};
use stripe_core::customer::CreateCustomer;
use stripe_core::payment_intent::{
    CreatePaymentIntent, CreatePaymentIntentOffSession, RetrievePaymentIntent,
};
use stripe_core::refund::CreateRefund;
use stripe_core::setup_intent::RetrieveSetupIntent;
use stripe_shared::{CheckoutSessionMode, CheckoutSessionPaymentStatus, PaymentIntentStatus};

use crate::backend::config::StripeSettings;
use crate::money::Currency;

#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// The card was refused; `code` is Stripe's decline code (e.g. `insufficient_funds`).
    #[error("card declined: {message}")]
    Declined {
        code: String,
        message: String,
        payment_intent: Option<String>,
    },
    /// Stripe refused the request itself (a bug on our side or a bad id).
    #[error("Stripe refused the request: {0}")]
    Refused(String),
    /// The object does not exist (`resource_missing`).
    #[error("no such object: {0}")]
    Missing(String),
    /// Stripe could not be reached or failed; the same call may be retried.
    #[error("Stripe is unavailable: {0}")]
    Unavailable(String),
}

pub type PayResult<T> = Result<T, PayError>;

/// How a Checkout session collects money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutMode {
    /// Save the card, charge later (all-or-nothing pledges).
    Setup,
    /// Charge now.
    Payment,
}

pub struct CheckoutRequest<'a> {
    pub key: String,
    pub mode: CheckoutMode,
    pub customer: &'a str,
    pub currency: Currency,
    pub amount: i64,
    pub product: &'a str,
    pub success_url: String,
    pub cancel_url: String,
    pub expires_at: i64,
    pub metadata: HashMap<String, String>,
}

/// What Cohort needs to know of a Checkout session.
#[derive(Debug, Clone)]
pub struct SessionFacts {
    pub id: String,
    pub complete: bool,
    pub expired: bool,
    pub paid: bool,
    pub setup: bool,
    pub setup_intent: Option<String>,
    pub payment_intent: Option<String>,
    pub metadata: HashMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct IntentFacts {
    pub id: String,
    pub succeeded: bool,
    /// What the intent asks for, in minor units of `currency` (lowercase, as Stripe writes it).
    pub amount: i64,
    pub currency: String,
    pub customer: Option<String>,
    pub amount_received: i64,
    /// Stripe's processing fee, read from the charge's balance transaction.
    pub fee: i64,
    /// What the charge has refunded so far.
    pub refunded: i64,
    pub metadata: HashMap<String, String>,
    pub failure: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct RefundFacts {
    pub id: String,
    pub amount: i64,
}

/// Where a dispute (chargeback) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeStatus {
    /// Open: the money has left the balance while the bank decides.
    Open,
    Won,
    Lost,
    /// An inquiry (`warning_…`) or a prevented dispute: no money moved.
    NoFunds,
}

/// What Cohort needs to know of a dispute.
#[derive(Debug, Clone)]
pub struct DisputeFacts {
    pub id: String,
    pub payment_intent: Option<String>,
    pub amount: i64,
    pub status: DisputeStatus,
    /// Stripe's dispute fee, from the withdrawal's balance transaction.
    pub fee: i64,
    /// The part of that fee Stripe gave back when the dispute was won.
    pub fee_returned: i64,
}

#[derive(Clone)]
pub struct Payments {
    client: Client,
}

fn key(k: &str) -> PayResult<RequestStrategy> {
    IdempotencyKey::new(k)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| PayError::Refused(format!("idempotency key: {e}")))
}

fn stripe_currency(c: Currency) -> stripe_types::Currency {
    c.code()
        .to_ascii_lowercase()
        .parse()
        .unwrap_or(stripe_types::Currency::USD)
}

fn classify(e: StripeError) -> PayError {
    match e {
        StripeError::Stripe(err, status) => {
            let message = err.message.clone().unwrap_or_else(|| "declined".into());
            if status == 402 || err.type_.as_str() == "card_error" {
                PayError::Declined {
                    code: err
                        .decline_code
                        .clone()
                        .or_else(|| err.code.as_ref().map(|c| c.as_str().to_string()))
                        .unwrap_or_else(|| "card_declined".into()),
                    message,
                    payment_intent: err.payment_intent.as_ref().map(|p| p.id.to_string()),
                }
            } else if status == 404 {
                PayError::Missing(message)
            } else if status >= 500 || status == 409 || status == 429 {
                PayError::Unavailable(format!("{status}: {message}"))
            } else {
                PayError::Refused(format!("{status}: {message}"))
            }
        }
        StripeError::ClientError(m) | StripeError::JSONDeserialize(m) => PayError::Unavailable(m),
        StripeError::Timeout => PayError::Unavailable("timeout".into()),
        StripeError::ConfigError(m) => PayError::Refused(m),
    }
}

/// Runs `call` up to three times while Stripe is unavailable. Every attempt sends the same
/// idempotency key, so Stripe applies the request once whatever happened to the earlier ones.
async fn with_retries<T, F, Fut>(mut call: F) -> PayResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StripeError>>,
{
    let mut wait = Duration::from_millis(200);
    let mut attempt = 0;
    loop {
        attempt += 1;
        match call().await.map_err(classify) {
            Err(PayError::Unavailable(m)) if attempt < 3 => {
                tracing::warn!(attempt, error = %m, "Stripe unavailable; retrying");
                tokio::time::sleep(wait).await;
                wait *= 4;
            }
            other => return other,
        }
    }
}

impl Payments {
    pub fn new(settings: &StripeSettings) -> PayResult<Payments> {
        let mut builder =
            ClientBuilder::new(settings.secret_key.expose()).timeout(Duration::from_secs(20));
        if let Some(base) = &settings.api_base {
            builder = builder.url(base.clone());
        }
        let client = builder
            .build()
            .map_err(|e| PayError::Refused(e.to_string()))?;
        Ok(Payments { client })
    }

    pub async fn create_customer(&self, user: &str, email: &str, name: &str) -> PayResult<String> {
        let req = CreateCustomer::new()
            .email(email)
            .name(name)
            .metadata(HashMap::from([("user".to_string(), user.to_string())]));
        let strategy = key(&format!("customer-{user}"))?;
        let customer = with_retries(|| {
            req.clone()
                .customize()
                .request_strategy(strategy.clone())
                .send(&self.client)
        })
        .await?;
        Ok(customer.id.to_string())
    }

    pub async fn create_checkout(&self, r: CheckoutRequest<'_>) -> PayResult<(String, String)> {
        let mut req = CreateCheckoutSession::new()
            .customer(r.customer)
            .currency(stripe_currency(r.currency))
            .success_url(r.success_url)
            .cancel_url(r.cancel_url)
            .expires_at(r.expires_at)
            .metadata(r.metadata.clone());
        req = match r.mode {
            CheckoutMode::Setup => req.mode(CheckoutSessionMode::Setup).setup_intent_data(
                CreateCheckoutSessionSetupIntentData {
                    metadata: Some(r.metadata.clone()),
                    ..Default::default()
                },
            ),
            CheckoutMode::Payment => {
                let mut price =
                    CreateCheckoutSessionLineItemsPriceData::new(stripe_currency(r.currency));
                price.unit_amount = Some(r.amount);
                price.product_data = Some(ProductData::new(r.product));
                let mut item = CreateCheckoutSessionLineItems::new();
                item.price_data = Some(price);
                item.quantity = Some(1);
                req.mode(CheckoutSessionMode::Payment)
                    .line_items(vec![item])
                    .payment_intent_data(CreateCheckoutSessionPaymentIntentData {
                        metadata: Some(r.metadata.clone()),
                        ..Default::default()
                    })
            }
        };
        let strategy = key(&r.key)?;
        let session = with_retries(|| {
            req.clone()
                .customize()
                .request_strategy(strategy.clone())
                .send(&self.client)
        })
        .await?;
        let url = session
            .url
            .clone()
            .ok_or_else(|| PayError::Refused("Checkout session without a URL".into()))?;
        Ok((session.id.to_string(), url))
    }

    pub async fn session(&self, id: &str) -> PayResult<SessionFacts> {
        let req = RetrieveCheckoutSession::new(id);
        let s = with_retries(|| req.send(&self.client)).await?;
        Ok(SessionFacts {
            id: s.id.to_string(),
            complete: s.status.as_ref().map(|x| x.as_str()) == Some("complete"),
            expired: s.status.as_ref().map(|x| x.as_str()) == Some("expired"),
            paid: s.payment_status == CheckoutSessionPaymentStatus::Paid,
            setup: s.mode == CheckoutSessionMode::Setup,
            setup_intent: s.setup_intent.as_ref().map(|x| x.id().to_string()),
            payment_intent: s.payment_intent.as_ref().map(|x| x.id().to_string()),
            metadata: s.metadata.clone().unwrap_or_default(),
        })
    }

    /// Ends an open session early (a backer cancelled before paying).
    pub async fn expire_session(&self, id: &str) -> PayResult<()> {
        let req = ExpireCheckoutSession::new(id);
        with_retries(|| req.send(&self.client)).await.map(|_| ())
    }

    /// The saved card of a finished `setup` session.
    pub async fn saved_card(&self, setup_intent: &str) -> PayResult<Option<String>> {
        let req = RetrieveSetupIntent::new(setup_intent);
        let si = with_retries(|| req.send(&self.client)).await?;
        if si.status.as_str() != "succeeded" {
            return Ok(None);
        }
        Ok(si.payment_method.as_ref().map(|p| p.id().to_string()))
    }

    pub async fn intent(&self, id: &str) -> PayResult<IntentFacts> {
        let req = RetrievePaymentIntent::new(id)
            .expand(vec!["latest_charge.balance_transaction".to_string()]);
        let pi = with_retries(|| req.send(&self.client)).await?;
        Ok(intent_facts(&pi))
    }

    /// A dispute, fetched with a plain typed GET: async-stripe's `dispute` request feature
    /// would recompile the whole stripe-core crate for one call, while the `Dispute` type is
    /// already compiled in stripe-shared.
    pub async fn dispute(&self, id: &str) -> PayResult<DisputeFacts> {
        if !id.starts_with("dp_") || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(PayError::Missing(format!("not a dispute id: {id}")));
        }
        let path = format!("/disputes/{id}");
        let d = with_retries(|| {
            RequestBuilder::new(StripeMethod::Get, path.clone())
                .customize::<stripe_shared::Dispute>()
                .send(&self.client)
        })
        .await?;
        Ok(dispute_facts(&d))
    }

    /// Charges a saved card without the backer present. A decline is `Err(Declined)`.
    pub async fn charge_saved_card(
        &self,
        idempotency: &str,
        customer: &str,
        payment_method: &str,
        amount: i64,
        currency: Currency,
        metadata: HashMap<String, String>,
    ) -> PayResult<IntentFacts> {
        let req = CreatePaymentIntent::new(amount, stripe_currency(currency))
            .customer(customer)
            .payment_method(payment_method)
            .off_session(CreatePaymentIntentOffSession::Bool(true))
            .confirm(true)
            .metadata(metadata)
            .expand(vec!["latest_charge.balance_transaction".to_string()]);
        let strategy = key(idempotency)?;
        let pi = with_retries(|| {
            req.clone()
                .customize()
                .request_strategy(strategy.clone())
                .send(&self.client)
        })
        .await?;
        Ok(intent_facts(&pi))
    }

    pub async fn refund(
        &self,
        idempotency: &str,
        payment_intent: &str,
        amount: i64,
        metadata: HashMap<String, String>,
    ) -> PayResult<RefundFacts> {
        let req = CreateRefund::new()
            .payment_intent(payment_intent)
            .amount(amount)
            .metadata(metadata);
        let strategy = key(idempotency)?;
        let r = with_retries(|| {
            req.clone()
                .customize()
                .request_strategy(strategy.clone())
                .send(&self.client)
        })
        .await?;
        Ok(RefundFacts {
            id: r.id.to_string(),
            amount: r.amount,
        })
    }
}

fn intent_facts(pi: &stripe_shared::PaymentIntent) -> IntentFacts {
    let fee = pi
        .latest_charge
        .as_ref()
        .and_then(|c| c.as_object())
        .and_then(|c| c.balance_transaction.as_ref())
        .and_then(|b| b.as_object())
        .map(|b| b.fee)
        .unwrap_or(0);
    let refunded = pi
        .latest_charge
        .as_ref()
        .and_then(|c| c.as_object())
        .map(|c| c.amount_refunded)
        .unwrap_or(0);
    IntentFacts {
        id: pi.id.to_string(),
        refunded,
        succeeded: pi.status == PaymentIntentStatus::Succeeded,
        amount: pi.amount,
        currency: pi.currency.to_string().to_ascii_lowercase(),
        customer: pi.customer.as_ref().map(|c| c.id().to_string()),
        amount_received: pi.amount_received,
        fee,
        metadata: pi.metadata.clone(),
        failure: pi.last_payment_error.as_ref().map(|e| {
            (
                e.decline_code
                    .clone()
                    .or_else(|| e.code.as_ref().map(|c| c.as_str().to_string()))
                    .unwrap_or_else(|| "card_declined".into()),
                e.message.clone().unwrap_or_default(),
            )
        }),
    }
}

fn dispute_facts(d: &stripe_shared::Dispute) -> DisputeFacts {
    use stripe_shared::DisputeStatus as S;
    let status = match d.status {
        S::Won => DisputeStatus::Won,
        S::Lost => DisputeStatus::Lost,
        S::NeedsResponse | S::UnderReview => DisputeStatus::Open,
        _ => DisputeStatus::NoFunds,
    };
    let fee = d
        .balance_transactions
        .iter()
        .filter(|t| t.amount < 0)
        .map(|t| t.fee)
        .sum();
    // A reinstatement that returns the fee reports it as a negative fee.
    let fee_returned = d
        .balance_transactions
        .iter()
        .filter(|t| t.amount > 0)
        .map(|t| -t.fee)
        .sum::<i64>()
        .max(0);
    DisputeFacts {
        id: d.id.to_string(),
        payment_intent: d.payment_intent.as_ref().map(|p| p.id().to_string()),
        amount: d.amount,
        status,
        fee,
        fee_returned,
    }
}
