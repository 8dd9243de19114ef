//! Outgoing mail. Every message is stored in the outbox (admins read it at /admin/outbox, tests
//! read it too); with `SMTP_URL` set it is also delivered through lettre, and the outbox records
//! whether that worked.

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::config::Settings;
use super::db::{Db, DbError};
use crate::accounts::model::Email;
use crate::vars;

#[derive(Clone)]
pub struct Mailer {
    db: Db,
    from: Mailbox,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("MAIL_FROM is not a mailbox: {0}")]
    From(#[from] lettre::address::AddressError),
    #[error("SMTP_URL is not usable: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

/// One stored message, as the admin outbox shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutboxRow {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl Mailer {
    pub fn new(db: Db, settings: &Settings) -> Result<Mailer, MailError> {
        let from: Mailbox = settings.mail_from.parse()?;
        let smtp = match &settings.smtp_url {
            Some(url) => {
                Some(AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())?.build())
            }
            None => None,
        };
        Ok(Mailer { db, from, smtp })
    }

    /// Stores the message, then delivers it in the background when SMTP is configured, so a slow
    /// mail server never slows a page down.
    pub async fn send(&self, to: &Email, subject: &str, body: &str) -> Result<(), DbError> {
        #[derive(Deserialize)]
        struct Created {
            id: String,
        }
        let created: Option<Created> = self
            .db
            .row(
                "CREATE outbox SET to = $to, subject = $subject, body = $body, status = 'stored'
                 RETURN record::id(id) AS id",
                vars!("to" => to.as_str(), "subject" => subject, "body" => body),
            )
            .await?;
        tracing::info!(to = %to, subject, "mail stored in outbox");
        let (Some(smtp), Some(created)) = (self.smtp.clone(), created) else {
            return Ok(());
        };
        let (from, to, subject, body) = (
            self.from.clone(),
            to.as_str().to_string(),
            subject.to_string(),
            body.to_string(),
        );
        let db = self.db.clone();
        tokio::spawn(async move {
            let outcome = async {
                let to: Mailbox = to
                    .parse()
                    .map_err(|e: lettre::address::AddressError| e.to_string())?;
                let message = Message::builder()
                    .from(from)
                    .to(to)
                    .subject(subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(body)
                    .map_err(|e| e.to_string())?;
                smtp.send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            .await;
            let (status, error) = match outcome {
                Ok(()) => ("sent", None),
                Err(e) => {
                    tracing::warn!(error = %e, "SMTP delivery failed");
                    ("failed", Some(e))
                }
            };
            let _ = db
                .run(
                    "UPDATE type::record('outbox', $id) SET status = $status, error = $error ?? NONE",
                    vars!("id" => created.id, "status" => status, "error" => error),
                )
                .await
                .map_err(|e| tracing::error!(error = %e, "recording SMTP outcome failed"));
        });
        Ok(())
    }

    pub async fn outbox(&self, limit: usize) -> Result<Vec<OutboxRow>, DbError> {
        self.db
            .rows(
                "SELECT record::id(id) AS id, to, subject, body, status, error, created_at
                 FROM outbox ORDER BY created_at DESC LIMIT $limit",
                vars!("limit" => limit),
            )
            .await
    }
}
