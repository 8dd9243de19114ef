//! Campaigns: a creator's funding drive for a knowledge product. So far the pure domain rules
//! (lifecycle and forecast); pages, server functions and storage come with the campaigns issue.

pub mod forecast;
pub mod rules;
