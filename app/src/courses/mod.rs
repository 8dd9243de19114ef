//! Courses: the knowledge product a campaign funds. Authoring (the studio), one entitlement
//! model whatever granted it (`access`), lessons with media served by Range, progress, notes,
//! quizzes and certificates. Pure rules (`rules`) and shared types (`model`) compile
//! everywhere; storage, access and purchases only on the server. See docs/courses.md.

pub mod api;
pub mod attempts;
pub mod model;
pub mod pages;
pub mod report;
pub mod rules;
pub mod sales;
pub mod studio;
pub mod studio_api;
pub mod text;

#[cfg(feature = "ssr")]
pub mod access;
#[cfg(feature = "ssr")]
pub mod assessment;
#[cfg(feature = "ssr")]
pub mod coupons;
#[cfg(feature = "ssr")]
pub mod disputes;
#[cfg(feature = "ssr")]
pub mod purchase;
#[cfg(feature = "ssr")]
pub mod store;
