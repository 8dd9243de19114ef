//! Outgoing mail. Without `SMTP_URL` the outbox is the delivery channel (development and tests:
//! admins read it at /admin/outbox, tests read it too) and keeps each message whole. With
//! `SMTP_URL` set, mail is delivered through lettre and the outbox keeps only a record of it
//! (recipient, subject, outcome, and the body with its one-time links redacted), so nobody who
//! can read the outbox or the database can use someone else's reset or verification link.

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

    /// Stores the message (redacted when SMTP delivers it), then delivers it in the background
    /// when SMTP is configured, so a slow mail server never slows a page down.
    pub async fn send(&self, to: &Email, subject: &str, body: &str) -> Result<(), DbError> {
        #[derive(Deserialize)]
        struct Created {
            id: String,
        }
        let kept = if self.smtp.is_some() {
            redact_links(body)
        } else {
            body.to_string()
        };
        let created: Option<Created> = self
            .db
            .row(
                "CREATE outbox SET to = $to, subject = $subject, body = $body, status = 'stored'
                 RETURN record::id(id) AS id",
                vars!("to" => to.as_str(), "subject" => subject, "body" => kept),
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

/// What stands in for a one-time token in a stored mail.
pub const REDACTED: &str = "[redacted]";

/// `body` with every secret-looking part of its links replaced by [`REDACTED`]: a run of 32 or
/// more URL-safe characters mixing upper and lower case, which is what `random_token` makes and
/// what slugs, handles and host names never are.
pub fn redact_links(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = ["http://", "https://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        out.push_str(&rest[..start]);
        let len = rest[start..]
            .find(char::is_whitespace)
            .unwrap_or(rest.len() - start);
        out.push_str(&redact_url(&rest[start..start + len]));
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

fn redact_url(url: &str) -> String {
    fn flush(out: &mut String, run: &mut String) {
        let secret = run.len() >= 32
            && run.chars().any(|c| c.is_ascii_uppercase())
            && run.chars().any(|c| c.is_ascii_lowercase());
        out.push_str(if secret { REDACTED } else { run.as_str() });
        run.clear();
    }
    let mut out = String::with_capacity(url.len());
    let mut run = String::new();
    for c in url.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            run.push(c);
        } else {
            flush(&mut out, &mut run);
            out.push(c);
        }
    }
    flush(&mut out, &mut run);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_links_are_redacted_and_the_rest_is_kept() {
        let token = crate::backend::security::random_token();
        let body = format!(
            "Hi,\n\nhttps://cohort.example/reset/{token}\n\nSee https://cohort.example/c/reliable-rust-web-services-for-everyone?ref=x and http://h/verify/{token}?a=1\n"
        );
        let kept = redact_links(&body);
        assert!(!kept.contains(&token), "{kept}");
        assert!(
            kept.contains("https://cohort.example/reset/[redacted]\n"),
            "{kept}"
        );
        assert!(kept.contains("http://h/verify/[redacted]?a=1"), "{kept}");
        assert!(
            kept.contains("/c/reliable-rust-web-services-for-everyone?ref=x"),
            "{kept}"
        );
        assert!(kept.starts_with("Hi,\n\n"));
        assert_eq!(redact_links("no links here"), "no links here");
    }
}
