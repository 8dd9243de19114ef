//! The simulator's hosted Checkout page: a plain HTML card form (no script) that takes Stripe's
//! test cards, then redirects to the session's `success_url` like Stripe does.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{confirm, intent};
use super::cards::{self, CardError};
use super::{new_id, Sim};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn amount_text(s: &Value) -> String {
    let cur = s["currency"].as_str().unwrap_or("usd").to_ascii_uppercase();
    match s["amount_total"].as_i64() {
        Some(a) if cur == "JPY" => format!("{a} {cur}"),
        Some(a) => format!("{}.{:02} {cur}", a / 100, a % 100),
        None => format!("{cur} — saved now, charged later"),
    }
}

fn render(s: &Value, error: Option<&str>, status: StatusCode) -> Response {
    let id = escape(s["id"].as_str().unwrap_or_default());
    let product = escape(s["_product"].as_str().unwrap_or("Cohort pledge"));
    let setup = s["mode"] == "setup";
    let cancel = s["cancel_url"]
        .as_str()
        .map(|u| format!(r#"<a href="{}">← Cancel and go back</a>"#, escape(u)))
        .unwrap_or_default();
    let err = error
        .map(|e| {
            format!(
                r#"<p class="err" role="alert" id="card-error">{}</p>"#,
                escape(e)
            )
        })
        .unwrap_or_default();
    let action = if setup { "Save card" } else { "Pay" };
    let open = s["status"] == "open";
    let form = if open {
        format!(
            r#"<form method="post" action="/_stripe/checkout/{id}">
  <label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email">
  <label for="card">Card number</label><input id="card" name="card" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" required aria-describedby="cards">
  <div class="row"><div><label for="exp">Expiry (MM/YY)</label><input id="exp" name="exp" placeholder="12/34" required autocomplete="cc-exp"></div>
  <div><label for="cvc">CVC</label><input id="cvc" name="cvc" inputmode="numeric" placeholder="123" required autocomplete="cc-csc"></div></div>
  <label for="name">Name on card</label><input id="name" name="name" autocomplete="cc-name">
  {err}
  <button type="submit">{action}</button>
</form>"#
        )
    } else {
        format!(
            "<p class=\"err\" role=\"alert\">This checkout session is {}.</p>",
            escape(s["status"].as_str().unwrap_or("closed"))
        )
    };
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Checkout · {product}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7fb;color:#1a1a2e}}main{{max-width:26rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:12px;box-shadow:0 2px 12px #0002}}
label{{display:block;margin-top:.8rem;font-weight:600}}input{{width:100%;box-sizing:border-box;padding:.6rem;font:inherit;border:1px solid #889;border-radius:6px}}
.row{{display:flex;gap:1rem}}.row>div{{flex:1}}button{{margin-top:1.2rem;width:100%;padding:.8rem;font:inherit;font-weight:700;color:#fff;background:#4b3fd6;border:0;border-radius:6px;cursor:pointer}}
.err{{color:#b00020;font-weight:600}}.test{{background:#fff4d6;padding:.5rem .8rem;border-radius:6px;font-size:.9rem}}code{{font-size:.9rem}}</style></head>
<body><main><p class="test"><strong>Test mode</strong> · Cohort's Stripe simulator. No real money moves.</p>
<h1>{product}</h1><p><strong>{amount}</strong></p>
{form}
<details id="cards"><summary>Test cards</summary><ul>
<li><code>4242 4242 4242 4242</code> succeeds</li><li><code>4000 0000 0000 0002</code> is declined</li>
<li><code>4000 0000 0000 9995</code> has insufficient funds</li><li><code>4000 0000 0000 0341</code> saves, then every charge fails</li>
<li><code>4000 0000 0000 0259</code> is charged, then disputed as fraudulent</li>
</ul><p>Any future expiry date and any 3 digits for CVC.</p></details>
<p>{cancel}</p></main></body></html>"#,
        amount = escape(&amount_text(s)),
    );
    (status, Html(html)).into_response()
}

pub async fn page(State(sim): State<Sim>, Path(id): Path<String>) -> Response {
    match sim.get(&id).await {
        Some(s) if s["object"] == "checkout.session" => render(&s, None, StatusCode::OK),
        _ => (StatusCode::NOT_FOUND, Html("No such checkout session.")).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CardForm {
    card: String,
    exp: String,
    cvc: String,
}

fn expiry_ok(exp: &str, now: chrono::DateTime<chrono::Utc>) -> bool {
    use chrono::Datelike;
    let Some((m, y)) = exp.trim().split_once('/') else {
        return false;
    };
    let (Ok(m), Ok(y)) = (m.trim().parse::<u32>(), y.trim().parse::<i32>()) else {
        return false;
    };
    let y = if y < 100 { 2000 + y } else { y };
    (1..=12).contains(&m) && (y, m) >= (now.year(), now.month())
}

pub async fn submit(
    State(sim): State<Sim>,
    Path(id): Path<String>,
    Form(form): Form<CardForm>,
) -> Response {
    let _guard = sim.lock.lock().await;
    let Some(mut s) = sim
        .get(&id)
        .await
        .filter(|s| s["object"] == "checkout.session")
    else {
        return (StatusCode::NOT_FOUND, Html("No such checkout session.")).into_response();
    };
    if s["status"] != "open" {
        return render(&s, None, StatusCode::CONFLICT);
    }
    if s["expires_at"].as_i64().is_some_and(|t| t <= sim.now()) {
        return render(
            &s,
            Some("This checkout session has expired."),
            StatusCode::GONE,
        );
    }
    let now = chrono::DateTime::from_timestamp(sim.now(), 0).unwrap_or_else(chrono::Utc::now);
    let (behaviour, last4) = match cards::lookup(&form.card) {
        Ok(c) => c,
        Err(CardError::InvalidNumber) => {
            return render(
                &s,
                Some("Your card number is incorrect."),
                StatusCode::PAYMENT_REQUIRED,
            )
        }
        Err(CardError::NotATestCard) => {
            return render(
                &s,
                Some("Your card was declined. Test mode only accepts Stripe's test cards."),
                StatusCode::PAYMENT_REQUIRED,
            )
        }
    };
    if !expiry_ok(&form.exp, now) {
        return render(
            &s,
            Some("Your card's expiration date is incomplete or in the past."),
            StatusCode::PAYMENT_REQUIRED,
        );
    }
    let cvc = form.cvc.trim();
    if !(3..=4).contains(&cvc.len()) || !cvc.chars().all(|c| c.is_ascii_digit()) {
        return render(
            &s,
            Some("Your card's security code is incomplete."),
            StatusCode::PAYMENT_REQUIRED,
        );
    }
    let setup = s["mode"] == "setup";
    if let Err(d) = behaviour.outcome(!setup) {
        return render(&s, Some(d.message), StatusCode::PAYMENT_REQUIRED);
    }
    match complete(&sim, &mut s, behaviour, &last4).await {
        Ok(()) => {
            let url = s["success_url"]
                .as_str()
                .unwrap_or("/")
                .replace("{CHECKOUT_SESSION_ID}", &id);
            Redirect::to(&url).into_response()
        }
        Err(res) => res,
    }
}

/// The card is good: attach it, then finish the session (save it, or charge it).
async fn complete(
    sim: &Sim,
    s: &mut Value,
    behaviour: cards::Behaviour,
    last4: &str,
) -> Result<(), Response> {
    let customer = s["customer"].as_str().map(String::from);
    let pm = json!({
        "id": new_id("pm"), "object": "payment_method", "type": "card", "created": sim.now(),
        "livemode": false, "customer": customer,
        "card": { "brand": "visa", "last4": last4, "exp_month": 12, "exp_year": 2034, "funding": "credit" },
        "billing_details": { "address": null, "email": null, "name": null, "phone": null, "tax_id": null },
    });
    sim.put_card(&pm, behaviour).await?;
    let pm_id = pm["id"].as_str().unwrap_or_default().to_string();
    let meta = s["_intent_metadata"].clone();
    if s["mode"] == "setup" {
        let si = json!({
            "id": new_id("seti"), "object": "setup_intent", "created": sim.now(), "livemode": false,
            "customer": customer, "payment_method": pm_id, "payment_method_types": ["card"],
            "status": "succeeded", "usage": "off_session", "metadata": meta,
        });
        sim.put(&si).await?;
        sim.emit("setup_intent.succeeded", &si).await?;
        s["setup_intent"] = si["id"].clone();
    } else if s["mode"] == "subscription" {
        match super::billing::start(sim, s, &pm_id, behaviour).await? {
            Ok(sub) => {
                s["subscription"] = json!(sub);
                s["payment_status"] = json!("paid");
            }
            Err(message) => return Err(render(s, Some(message), StatusCode::PAYMENT_REQUIRED)),
        }
    } else {
        let amount = s["amount_total"].as_i64().unwrap_or(0);
        let currency = s["currency"].as_str().unwrap_or("usd").to_string();
        let mut pi = intent(
            sim,
            &new_id("pi"),
            amount,
            &currency,
            customer.as_deref(),
            &pm_id,
            meta,
        );
        if let Some(d) = confirm(sim, &mut pi, behaviour).await? {
            return Err(render(s, Some(d.message), StatusCode::PAYMENT_REQUIRED));
        }
        s["payment_intent"] = pi["id"].clone();
        s["payment_status"] = json!("paid");
    }
    s["status"] = json!("complete");
    sim.put(s).await?;
    sim.emit("checkout.session.completed", s).await?;
    Ok(())
}
