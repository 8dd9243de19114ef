//! Account queries (server only).

use serde::Deserialize;

use super::model::{Bio, DisplayName, Email, Handle, PublicProfile, Role, Viewer};
use crate::backend::db::{Db, DbError};
use crate::error::{AppError, Problem};
use crate::vars;

/// A user row as stored. The password hash never leaves the server.
#[derive(Debug, Clone, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: Email,
    pub handle: Handle,
    pub display_name: DisplayName,
    #[serde(default)]
    pub bio: Bio,
    pub avatar: Option<String>,
    pub email_verified_at: Option<chrono::DateTime<chrono::Utc>>,
    pub password_hash: Option<String>,
    #[serde(default)]
    pub roles: Vec<Role>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl UserRow {
    pub fn avatar_url(&self) -> Option<String> {
        self.avatar.as_ref().map(|f| format!("/media/avatars/{f}"))
    }

    pub fn into_viewer(self) -> Viewer {
        Viewer {
            avatar_url: self.avatar_url(),
            email_verified: self.email_verified_at.is_some(),
            id: self.id,
            email: self.email,
            handle: self.handle,
            display_name: self.display_name,
            bio: self.bio,
            roles: self.roles,
        }
    }

    pub fn into_profile(self) -> PublicProfile {
        PublicProfile {
            avatar_url: self.avatar_url(),
            is_creator: self.roles.contains(&Role::Creator),
            handle: self.handle,
            display_name: self.display_name,
            bio: self.bio,
            joined: self.created_at,
        }
    }
}

const USER_FIELDS: &str =
    "record::id(id) AS id, email, handle, display_name, bio, avatar, email_verified_at, password_hash, roles, created_at";

pub(crate) fn db_err(e: DbError) -> AppError {
    tracing::error!(error = %e, "database error");
    AppError::Internal
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        db_err(e)
    }
}

fn unique_problem(e: DbError) -> AppError {
    if e.is_unique_violation("user_email") {
        Problem::EmailTaken.into()
    } else if e.is_unique_violation("user_handle") {
        Problem::HandleTaken.into()
    } else {
        db_err(e)
    }
}

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub handle: &'a Handle,
    pub display_name: &'a DisplayName,
    pub password_hash: Option<&'a str>,
    pub roles: &'a [Role],
    pub verified: bool,
}

pub async fn create_user(db: &Db, u: NewUser<'_>) -> Result<UserRow, AppError> {
    // Friendly answers for the common case; the unique indexes settle races.
    if find_by_email(db, u.email).await?.is_some() {
        return Err(Problem::EmailTaken.into());
    }
    if find_by_handle(db, u.handle).await?.is_some() {
        return Err(Problem::HandleTaken.into());
    }
    let sql = format!(
        "CREATE user SET email = $email, handle = $handle, display_name = $name, password_hash = $hash ?? NONE,
             roles = $roles, email_verified_at = IF $verified THEN time::now() ELSE NONE END
         RETURN {USER_FIELDS}"
    );
    db.row(
        &sql,
        vars!("email" => u.email, "handle" => u.handle, "name" => u.display_name,
              "hash" => u.password_hash, "roles" => u.roles, "verified" => u.verified),
    )
    .await
    .map_err(unique_problem)?
    .ok_or(AppError::Internal)
}

pub async fn get_user(db: &Db, id: &str) -> Result<Option<UserRow>, AppError> {
    let sql = format!("SELECT {USER_FIELDS} FROM type::record('user', $id)");
    Ok(db.row(&sql, vars!("id" => id)).await?)
}

pub async fn find_by_email(db: &Db, email: &Email) -> Result<Option<UserRow>, AppError> {
    let sql = format!("SELECT {USER_FIELDS} FROM user WHERE email = $email LIMIT 1");
    Ok(db.row(&sql, vars!("email" => email)).await?)
}

pub async fn find_by_handle(db: &Db, handle: &Handle) -> Result<Option<UserRow>, AppError> {
    let sql = format!("SELECT {USER_FIELDS} FROM user WHERE handle = $handle LIMIT 1");
    Ok(db.row(&sql, vars!("handle" => handle)).await?)
}

pub async fn update_profile(
    db: &Db,
    id: &str,
    name: &DisplayName,
    handle: &Handle,
    bio: &Bio,
) -> Result<(), AppError> {
    if let Some(other) = find_by_handle(db, handle).await? {
        if other.id != id {
            return Err(Problem::HandleTaken.into());
        }
    }
    db.run(
        "UPDATE type::record('user', $id) SET display_name = $name, handle = $handle, bio = $bio",
        vars!("id" => id, "name" => name, "handle" => handle, "bio" => bio),
    )
    .await
    .map_err(unique_problem)
}

pub async fn set_avatar(db: &Db, id: &str, file: &str) -> Result<Option<String>, AppError> {
    #[derive(Deserialize)]
    struct Before {
        avatar: Option<String>,
    }
    let before: Option<Before> = db
        .row(
            "UPDATE type::record('user', $id) SET avatar = $file RETURN BEFORE",
            vars!("id" => id, "file" => file),
        )
        .await?;
    Ok(before.and_then(|b| b.avatar))
}

pub async fn add_role(db: &Db, id: &str, role: Role) -> Result<(), AppError> {
    Ok(db
        .run(
            "UPDATE type::record('user', $id) SET roles = array::union(roles, [$role])",
            vars!("id" => id, "role" => role),
        )
        .await?)
}

pub async fn set_password(db: &Db, id: &str, hash: &str) -> Result<(), AppError> {
    Ok(db
        .run(
            "UPDATE type::record('user', $id) SET password_hash = $hash",
            vars!("id" => id, "hash" => hash),
        )
        .await?)
}

pub async fn mark_verified(db: &Db, id: &str) -> Result<(), AppError> {
    Ok(db
        .run(
            "UPDATE type::record('user', $id) SET email_verified_at = email_verified_at ?? time::now()",
            vars!("id" => id),
        )
        .await?)
}

pub async fn list_creators(db: &Db, limit: usize) -> Result<Vec<UserRow>, AppError> {
    let sql = format!("SELECT {USER_FIELDS} FROM user WHERE roles CONTAINS 'creator' ORDER BY created_at DESC LIMIT $limit");
    Ok(db.rows(&sql, vars!("limit" => limit)).await?)
}

pub async fn count_users(db: &Db) -> Result<u64, AppError> {
    #[derive(Deserialize)]
    struct Count {
        n: u64,
    }
    let c: Option<Count> = db
        .row("SELECT count() AS n FROM user GROUP ALL", vars!())
        .await?;
    Ok(c.map(|c| c.n).unwrap_or(0))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    VerifyEmail,
    ResetPassword,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::VerifyEmail => "verify_email",
            TokenKind::ResetPassword => "reset_password",
        }
    }
}

/// Stores the hash of a new one-time token for `user_id`, valid for `ttl_minutes`.
pub async fn create_token(
    db: &Db,
    user_id: &str,
    kind: TokenKind,
    hash: &str,
    ttl_minutes: i64,
) -> Result<(), AppError> {
    Ok(db
        .run(
            "CREATE token SET kind = $kind, user = type::record('user', $user), hash = $hash,
                 expires_at = time::now() + <duration>$ttl",
            vars!("kind" => kind.as_str(), "user" => user_id, "hash" => hash, "ttl" => format!("{ttl_minutes}m")),
        )
        .await?)
}

/// Marks an unused, unexpired token used and returns its user. A token works exactly once,
/// even when two requests race: the conditional UPDATE is atomic.
pub async fn consume_token(
    db: &Db,
    kind: TokenKind,
    hash: &str,
) -> Result<Option<String>, AppError> {
    #[derive(Deserialize)]
    struct Used {
        user: String,
    }
    let used: Option<Used> = db
        .row(
            "UPDATE token SET used_at = time::now()
             WHERE hash = $hash AND kind = $kind AND used_at IS NONE AND expires_at > time::now()
             RETURN record::id(user) AS user",
            vars!("hash" => hash, "kind" => kind.as_str()),
        )
        .await?;
    Ok(used.map(|u| u.user))
}

/// Invalidates a user's other outstanding tokens of a kind (a new reset link voids the old).
pub async fn revoke_tokens(db: &Db, user_id: &str, kind: TokenKind) -> Result<(), AppError> {
    Ok(db
        .run(
            "UPDATE token SET used_at = time::now()
             WHERE user = type::record('user', $user) AND kind = $kind AND used_at IS NONE",
            vars!("user" => user_id, "kind" => kind.as_str()),
        )
        .await?)
}

pub async fn sweep_tokens(db: &Db) -> Result<(), AppError> {
    Ok(db
        .run("DELETE token WHERE expires_at < time::now() - 7d", vars!())
        .await?)
}
