//! Admin tools: the mail outbox (every message Cohort sent or stored) here, and the moderation
//! queue for reports in `reports`.

pub mod reports;

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::i18n::t;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[server(endpoint = "list_outbox")]
pub async fn list_outbox() -> Result<Vec<OutboxMail>, AppError> {
    use crate::accounts::model::Role;
    use crate::backend::request::{require_role, respond, state};
    respond(
        async {
            require_role(Role::Admin).await?;
            let rows = state()?.mailer.outbox(200).await?;
            Ok(rows
                .into_iter()
                .map(|r| OutboxMail {
                    id: r.id,
                    to: r.to,
                    subject: r.subject,
                    body: r.body,
                    status: r.status,
                    created_at: r.created_at,
                })
                .collect())
        }
        .await,
    )
}

#[component]
pub fn OutboxPage() -> impl IntoView {
    let s = t();
    let mails = Resource::new(|| (), |_| list_outbox());
    view! {
        <Title text=s.outbox_title/>
        <section class="page">
            <h1>{s.outbox_title}</h1>
            <Suspense fallback=move || view! { <p aria-busy="true">{s.loading}</p> }>
                {move || Suspend::new(async move {
                    match mails.await {
                        Err(AppError::Forbidden) => view! { <p class="form-error" role="alert">{s.err_admin_only}</p> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="empty-state">{s.outbox_empty}</p> }.into_any(),
                        Ok(list) => list
                            .into_iter()
                            .map(|m| {
                                let status = match m.status.as_str() {
                                    "sent" => s.outbox_sent,
                                    "failed" => s.outbox_failed,
                                    _ => s.outbox_stored,
                                };
                                view! {
                                    <article class="mail card">
                                        <h2>{m.subject}</h2>
                                        <p class="mail-meta">
                                            {s.outbox_to}": "<span class="mail-to">{m.to}</span>
                                            " · "<time datetime=m.created_at.to_rfc3339()>{m.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}</time>
                                            " · "{status}
                                        </p>
                                        <pre class="mail-body">{m.body}</pre>
                                    </article>
                                }
                            })
                            .collect_view()
                            .into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
