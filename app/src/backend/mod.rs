//! Server-only plumbing: configuration, the database, sessions, mail and security helpers.
//! Compiled only with feature `ssr`, so none of it reaches the WebAssembly bundle.

pub mod cache;
pub mod config;
pub mod db;
pub mod highlight;
pub mod mail;
pub mod markdown;
pub mod migrations;
pub mod rate_limit;
pub mod request;
pub mod secrets;
pub mod security;
pub mod session_store;
pub mod state;
pub mod visits;

pub use state::AppState;
