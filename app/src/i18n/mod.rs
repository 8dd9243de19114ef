//! English and Simplified Chinese. Every string the UI shows is a field of [`Strings`], so a
//! missing translation is a compile error rather than a blank on the page.

mod en;
mod zh;

use crate::error::{AppError, Problem};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Lang {
    #[default]
    En,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];
    pub const COOKIE: &'static str = "cohort_lang";

    /// The BCP 47 tag used in `<html lang>`, cookies and `/lang/{tag}`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag == "en" || tag.starts_with("en-") {
            Some(Lang::En)
        } else if tag == "zh" || tag.starts_with("zh-") {
            Some(Lang::ZhCn)
        } else {
            None
        }
    }

    /// Picks the best supported language from an `Accept-Language` header, honouring q-values.
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in accept_language.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::from_tag(tag) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &en::EN,
            Lang::ZhCn => &zh::ZH,
        }
    }

    /// The language's own name, as shown in the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhCn => "中文",
        }
    }
}

/// The current language, provided once by `App`.
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_default()
}

/// Shorthand for the current language's strings.
pub fn t() -> &'static Strings {
    use_lang().strings()
}

pub struct Strings {
    pub tagline: &'static str,
    pub nav_discover: &'static str,
    pub nav_login: &'static str,
    pub nav_signup: &'static str,
    pub nav_profile: &'static str,
    pub nav_settings: &'static str,
    pub nav_outbox: &'static str,
    pub nav_logout: &'static str,
    pub nav_language: &'static str,
    pub skip_to_content: &'static str,
    pub home_title: &'static str,
    pub home_lead: &'static str,
    pub home_fund: &'static str,
    pub home_fund_body: &'static str,
    pub home_deliver: &'static str,
    pub home_deliver_body: &'static str,
    pub home_grow: &'static str,
    pub home_grow_body: &'static str,
    pub home_cta: &'static str,
    pub home_creators: &'static str,
    pub home_no_creators: &'static str,
    pub field_email: &'static str,
    pub field_password: &'static str,
    pub field_new_password: &'static str,
    pub field_display_name: &'static str,
    pub field_handle: &'static str,
    pub field_bio: &'static str,
    pub field_avatar: &'static str,
    pub hint_password: &'static str,
    pub hint_handle: &'static str,
    pub hint_avatar: &'static str,
    pub signup_title: &'static str,
    pub signup_submit: &'static str,
    pub signup_done: &'static str,
    pub signup_have_account: &'static str,
    pub login_title: &'static str,
    pub login_submit: &'static str,
    pub login_forgot: &'static str,
    pub login_no_account: &'static str,
    /// Followed by the provider's label.
    pub login_sso: &'static str,
    pub login_or: &'static str,
    pub err_sso_failed: &'static str,
    pub err_sso_email_unverified: &'static str,
    pub err_sso_local_unverified: &'static str,
    pub verify_title: &'static str,
    pub verify_done: &'static str,
    pub verify_banner: &'static str,
    /// Shown on every page while no Stripe account is configured.
    pub test_mode_banner: &'static str,
    pub verify_resend: &'static str,
    pub verify_resent: &'static str,
    pub forgot_title: &'static str,
    pub forgot_lead: &'static str,
    pub forgot_submit: &'static str,
    pub forgot_done: &'static str,
    pub reset_title: &'static str,
    pub reset_submit: &'static str,
    pub reset_done: &'static str,
    pub settings_title: &'static str,
    pub settings_profile: &'static str,
    pub settings_save: &'static str,
    pub settings_saved: &'static str,
    pub settings_avatar_upload: &'static str,
    pub settings_avatar_done: &'static str,
    pub settings_creator: &'static str,
    pub settings_creator_lead: &'static str,
    pub settings_become_creator: &'static str,
    pub settings_creator_done: &'static str,
    pub settings_is_creator: &'static str,
    pub profile_creator_badge: &'static str,
    pub profile_joined: &'static str,
    pub profile_no_bio: &'static str,
    pub avatar_of: &'static str,
    pub outbox_title: &'static str,
    pub outbox_empty: &'static str,
    pub outbox_to: &'static str,
    pub outbox_sent: &'static str,
    pub outbox_stored: &'static str,
    pub outbox_failed: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub back_home: &'static str,
    pub error_title: &'static str,
    pub loading: &'static str,
    pub working: &'static str,
    pub footer_made: &'static str,
    pub err_invalid_email: &'static str,
    pub err_weak_password: &'static str,
    pub err_password_too_long: &'static str,
    pub err_invalid_handle: &'static str,
    pub err_invalid_display_name: &'static str,
    pub err_bio_too_long: &'static str,
    pub err_query_too_long: &'static str,
    pub err_email_taken: &'static str,
    pub err_handle_taken: &'static str,
    pub err_wrong_credentials: &'static str,
    pub err_invalid_verify_link: &'static str,
    pub err_invalid_reset_link: &'static str,
    pub err_avatar_type: &'static str,
    pub err_avatar_size: &'static str,
    pub err_unauthenticated: &'static str,
    pub err_forbidden: &'static str,
    pub err_admin_only: &'static str,
    pub err_not_found: &'static str,
    pub err_csrf: &'static str,
    /// Text before and after a number of minutes.
    pub err_rate_limited: (&'static str, &'static str),
    pub err_internal: &'static str,
    pub err_transport: &'static str,
    pub err_conflict: &'static str,
    /// Campaign pages, editor, review and dashboard.
    pub campaign: &'static crate::campaigns::text::CampaignText,
    /// Pledges, payments, refunds and ledgers.
    pub pay: &'static crate::payments::text::PayText,
    /// Courses: catalogue, studio, lessons, quizzes and certificates.
    pub course: &'static crate::courses::text::CourseText,
}

impl Strings {
    pub fn problem(&self, p: Problem) -> &'static str {
        match p {
            Problem::InvalidEmail => self.err_invalid_email,
            Problem::WeakPassword => self.err_weak_password,
            Problem::PasswordTooLong => self.err_password_too_long,
            Problem::InvalidHandle => self.err_invalid_handle,
            Problem::InvalidDisplayName => self.err_invalid_display_name,
            Problem::BioTooLong => self.err_bio_too_long,
            Problem::EmailTaken => self.err_email_taken,
            Problem::HandleTaken => self.err_handle_taken,
            Problem::WrongCredentials => self.err_wrong_credentials,
            Problem::InvalidVerifyLink => self.err_invalid_verify_link,
            Problem::InvalidResetLink => self.err_invalid_reset_link,
            Problem::AvatarType => self.err_avatar_type,
            Problem::AvatarSize => self.err_avatar_size,
            Problem::QueryTooLong => self.err_query_too_long,
            Problem::Campaign(p) => self.campaign.problem(p),
            Problem::Pledge(p) => self.pay.problem(p),
            Problem::Course(p) => self.course.problem(p),
        }
    }

    /// A sentence for people, never the cause (that stays in the server log).
    pub fn error(&self, e: &AppError) -> String {
        match e {
            AppError::Invalid(p) => self.problem(*p).to_string(),
            AppError::Unauthenticated => self.err_unauthenticated.to_string(),
            AppError::Forbidden => self.err_forbidden.to_string(),
            AppError::NotFound => self.err_not_found.to_string(),
            AppError::Conflict => self.err_conflict.to_string(),
            AppError::Csrf => self.err_csrf.to_string(),
            AppError::RateLimited { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60).max(1);
                let (before, after) = self.err_rate_limited;
                format!("{before}{minutes}{after}")
            }
            AppError::Internal => self.err_internal.to_string(),
            AppError::Transport(_) => self.err_transport.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_the_highest_quality_supported_tag() {
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("fr-FR,en;q=0.5,zh;q=0.4"), Lang::En);
        assert_eq!(Lang::negotiate("de, zh-TW;q=0.7"), Lang::ZhCn);
        assert_eq!(Lang::negotiate(""), Lang::En);
        assert_eq!(Lang::negotiate("fr"), Lang::En);
    }

    #[test]
    fn tags_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        }
        assert_eq!(Lang::from_tag("xx"), None);
    }

    #[test]
    fn rate_limit_message_rounds_up_to_whole_minutes() {
        let s = Lang::En.strings();
        let msg = s.error(&AppError::RateLimited {
            retry_after_secs: 61,
        });
        assert!(msg.starts_with("Too many attempts"));
        assert!(msg.contains("2 min"), "{msg}");
    }
}
