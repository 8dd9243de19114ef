//! Accounts: sign-up, email verification, log-in and -out, password reset, profiles and roles.

pub mod api;
#[cfg(feature = "ssr")]
pub mod mails;
pub mod model;
#[cfg(feature = "ssr")]
pub mod oidc;
mod pages;
#[cfg(feature = "ssr")]
pub mod store;

pub use pages::{
    ForgotPage, LoginPage, ProfilePage, ResetPage, SettingsPage, SignupPage, VerifyPage,
};
