//! Account types both sides share. Newtypes parse once and cannot hold a bad value, so the
//! browser checks a form with exactly the rules the server trusts.

use crate::error::Problem;
use serde::{Deserialize, Serialize};

/// A syntactically valid, lower-cased email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, Problem> {
        let s = raw.trim().to_lowercase();
        let (local, domain) = s.split_once('@').ok_or(Problem::InvalidEmail)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && domain.len() <= 253
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if local_ok && domain_ok && s.len() <= 254 {
            Ok(Email(s))
        } else {
            Err(Problem::InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A public handle: `/u/{handle}`. 3–30 of `[a-z0-9_]`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Handle(String);

impl Handle {
    pub fn parse(raw: &str) -> Result<Handle, Problem> {
        let s = raw.trim().trim_start_matches('@');
        let ok = (3..=30).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Handle(s.to_string()))
        } else {
            Err(Problem::InvalidHandle)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the policy. Never serialised: it only travels inward.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Password, Problem> {
        let n = raw.chars().count();
        if n > Self::MAX_CHARS {
            return Err(Problem::PasswordTooLong);
        }
        let mut chars = raw.chars();
        let first = chars.next();
        let one_repeated_char = first.is_some_and(|f| chars.all(|c| c == f));
        if n < Self::MIN_CHARS || one_repeated_char {
            return Err(Problem::WeakPassword);
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// 1–60 characters, trimmed, with no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<DisplayName, Problem> {
        let s = raw.trim();
        let n = s.chars().count();
        if (1..=60).contains(&n) && !s.chars().any(char::is_control) {
            Ok(DisplayName(s.to_string()))
        } else {
            Err(Problem::InvalidDisplayName)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Plain text, up to 500 characters; rendered as text (never as HTML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(try_from = "String", into = "String")]
pub struct Bio(String);

impl Bio {
    pub fn parse(raw: &str) -> Result<Bio, Problem> {
        let s = raw.trim().replace("\r\n", "\n");
        if s.chars().count() <= 500 {
            Ok(Bio(s))
        } else {
            Err(Problem::BioTooLong)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype_serde {
    ($($t:ident),*) => {$(
        impl TryFrom<String> for $t {
            type Error = Problem;
            fn try_from(s: String) -> Result<Self, Problem> {
                $t::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
string_newtype_serde!(Email, Handle, DisplayName, Bio);

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Creator,
    Admin,
}

/// The signed-in person, as every page sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub id: String,
    pub email: Email,
    pub handle: Handle,
    pub display_name: DisplayName,
    pub bio: Bio,
    pub avatar_url: Option<String>,
    pub email_verified: bool,
    pub roles: Vec<Role>,
}

impl Viewer {
    pub fn has(&self, role: Role) -> bool {
        role == Role::User || self.roles.contains(&role)
    }
}

/// What every page needs about the request: who is asking and the CSRF token its forms carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SessionInfo {
    pub viewer: Option<Viewer>,
    pub csrf: String,
    /// The label of the configured OpenID Connect provider, if any.
    pub sso: Option<String>,
    /// No Stripe account is configured (the built-in simulator, or another fake): no real money
    /// moves, and every page says so.
    #[serde(default)]
    pub test_mode: bool,
}

/// A public profile page. Carries no email: that stays private.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicProfile {
    pub handle: Handle,
    pub display_name: DisplayName,
    pub bio: Bio,
    pub avatar_url: Option<String>,
    pub is_creator: bool,
    pub joined: chrono::DateTime<chrono::Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert!(Email::parse("a.b+tag@sub.example.org").is_ok());
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a..b@example.com",
            "ada@exa mple.com",
            "ada@-x.com",
            "ada@example.c0m",
            "<script>@x.com",
        ] {
            assert_eq!(Email::parse(bad), Err(Problem::InvalidEmail), "{bad}");
        }
    }

    #[test]
    fn handles_follow_the_documented_shape() {
        assert_eq!(Handle::parse("@ada_99").unwrap().as_str(), "ada_99");
        for bad in ["ab", "9lives", "Ada", "a-b", "x".repeat(31).as_str(), "A!"] {
            assert_eq!(Handle::parse(bad), Err(Problem::InvalidHandle), "{bad}");
        }
    }

    #[test]
    fn short_or_monotonous_passwords_are_weak() {
        assert_eq!(Password::parse("short").unwrap_err(), Problem::WeakPassword);
        assert_eq!(
            Password::parse("aaaaaaaaaaaa").unwrap_err(),
            Problem::WeakPassword
        );
        assert_eq!(
            Password::parse(&"x1".repeat(65)).unwrap_err(),
            Problem::PasswordTooLong
        );
        assert!(Password::parse("correct horse").is_ok());
        // Counted in characters, not bytes.
        assert!(Password::parse("密码密码密码密码密码").is_ok());
    }

    #[test]
    fn password_debug_never_shows_the_secret() {
        let p = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter"));
    }

    #[test]
    fn display_names_and_bios_have_limits() {
        assert!(DisplayName::parse("  ").is_err());
        assert!(DisplayName::parse("林黛玉").is_ok());
        assert!(DisplayName::parse("a\u{7}b").is_err());
        assert!(Bio::parse(&"字".repeat(500)).is_ok());
        assert_eq!(Bio::parse(&"字".repeat(501)), Err(Problem::BioTooLong));
    }

    #[test]
    fn newtypes_refuse_bad_values_when_deserialised() {
        assert!(serde_json::from_str::<Handle>("\"Bad Handle\"").is_err());
        assert!(serde_json::from_str::<Email>("\"ada@example.com\"").is_ok());
    }
}
