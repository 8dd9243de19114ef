//! Pledges and payments: Stripe Checkout (or the built-in simulator), webhooks, settlement,
//! refunds and the double-entry ledger. Pure rules (`rules`, `ledger`) and shared types
//! (`model`) compile everywhere; the rest only on the server. See docs/payments.md.

pub mod api;
pub mod ledger;
pub mod milestones;
pub mod model;
pub mod pages;
pub mod reconcile;
pub mod refunds;
pub mod rules;
pub mod survey;
pub mod text;

#[cfg(feature = "ssr")]
pub mod claims;
#[cfg(feature = "ssr")]
pub mod disputes;
#[cfg(feature = "ssr")]
pub mod failures;
#[cfg(feature = "ssr")]
pub mod flow;
#[cfg(feature = "ssr")]
pub mod mails;
#[cfg(feature = "ssr")]
pub mod settle;
#[cfg(feature = "ssr")]
pub mod signature;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod stray;
#[cfg(feature = "ssr")]
pub mod stripe;
#[cfg(feature = "ssr")]
pub mod sweep;
#[cfg(feature = "ssr")]
pub mod verify;
#[cfg(feature = "ssr")]
pub mod webhook;
