//! The one error type server functions return. Variants are codes, not prose: the UI turns each
//! into a sentence in the reader's language, and the server maps each to an HTTP status.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// Why a piece of input was refused. Each has one sentence per language in `i18n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    InvalidEmail,
    WeakPassword,
    PasswordTooLong,
    InvalidHandle,
    InvalidDisplayName,
    BioTooLong,
    EmailTaken,
    HandleTaken,
    WrongCredentials,
    InvalidVerifyLink,
    InvalidResetLink,
    AvatarType,
    AvatarSize,
    /// A search query longer than `campaigns::fuzzy::QUERY_MAX_CHARS`.
    QueryTooLong,
    Campaign(crate::campaigns::model::CampaignProblem),
    Pledge(crate::payments::model::PledgeProblem),
    Course(crate::courses::model::CourseProblem),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("invalid input: {0:?}")]
    Invalid(Problem),
    #[error("sign in required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// The thing changed under the request (another admin acted first).
    #[error("conflict")]
    Conflict,
    #[error("the form expired or was forged")]
    Csrf,
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The cause is logged on the server; clients only learn that something failed.
    #[error("internal error")]
    Internal,
    /// Transport-level failure seen by the client (network down, bad response).
    #[error("request failed: {0}")]
    Transport(String),
}

impl AppError {
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::Invalid(Problem::EmailTaken | Problem::HandleTaken) => S::CONFLICT,
            AppError::Invalid(Problem::WrongCredentials) => S::UNAUTHORIZED,
            AppError::Invalid(Problem::AvatarSize) => S::PAYLOAD_TOO_LARGE,
            AppError::Invalid(Problem::QueryTooLong) => S::BAD_REQUEST,
            AppError::Invalid(Problem::AvatarType) => S::UNSUPPORTED_MEDIA_TYPE,
            AppError::Invalid(Problem::Campaign(p)) => p.status(),
            AppError::Invalid(Problem::Pledge(p)) => p.status(),
            AppError::Invalid(Problem::Course(p)) => p.status(),
            AppError::Invalid(_) => S::UNPROCESSABLE_ENTITY,
            AppError::Unauthenticated => S::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => S::FORBIDDEN,
            AppError::NotFound => S::NOT_FOUND,
            AppError::Conflict => S::CONFLICT,
            AppError::RateLimited { .. } => S::TOO_MANY_REQUESTS,
            AppError::Internal | AppError::Transport(_) => S::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<Problem> for AppError {
    fn from(p: Problem) -> Self {
        AppError::Invalid(p)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
