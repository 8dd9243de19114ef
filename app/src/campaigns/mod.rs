//! Campaigns: a creator's funding drive for a knowledge product. Types (`model`), pure rules
//! (`rules`, `validate`, `review`, `forecast`), server functions (`api`, `talk`), storage
//! (`store`, `talk_store`, ssr only) and pages (`pages`, `editor`, `dashboard_page`).

pub mod api;
pub mod dashboard_page;
pub mod editor;
pub mod forecast;
pub mod fuzzy;
pub mod model;
pub mod pages;
pub mod review;
pub mod rules;
pub mod talk;
pub mod text;
pub mod validate;
pub mod widgets;

#[cfg(feature = "ssr")]
pub mod dashboard;
#[cfg(feature = "ssr")]
pub mod page_data;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod talk_store;
