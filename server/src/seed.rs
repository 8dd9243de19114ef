//! Demo data (`server --seed-demo`) and `server create-admin`.

use app::accounts::model::{DisplayName, Email, Handle, Password, Role};
use app::accounts::store::{self, NewUser};
use app::backend::security::{hash_password, random_token};
use app::backend::AppState;
use app::error::AppError;

/// The demo admin, documented in README.md. Only ever created by `--seed-demo`.
pub const DEMO_ADMIN_EMAIL: &str = "admin@cohort.local";
pub const DEMO_ADMIN_PASSWORD: &str = "cohort-demo-admin";
/// Every other demo account shares this password.
pub const DEMO_PASSWORD: &str = "cohort-demo-pass";

struct DemoUser {
    email: &'static str,
    handle: &'static str,
    name: &'static str,
    bio: &'static str,
    roles: &'static [Role],
}

const DEMO_USERS: &[DemoUser] = &[
    DemoUser { email: "lin.wei@cohort.local", handle: "linwei", name: "林薇 Lin Wei", bio: "Data engineer turned teacher. I write about SQL, pipelines and the craft of explaining things clearly.", roles: &[Role::Creator] },
    DemoUser { email: "maya@cohort.local", handle: "maya_okafor", name: "Maya Okafor", bio: "Illustrator and picture-book author. Running a 6-week workshop on visual storytelling.", roles: &[Role::Creator] },
    DemoUser { email: "tomas@cohort.local", handle: "tomas_rivera", name: "Tomás Rivera", bio: "Independent Rust consultant. Writing a book on building reliable web services.", roles: &[Role::Creator] },
    DemoUser { email: "zhang.min@cohort.local", handle: "zhangmin", name: "张敏", bio: "中学物理老师，正在制作一套面向自学者的力学视频课。", roles: &[Role::Creator] },
    DemoUser { email: "sam@cohort.local", handle: "sam_learns", name: "Sam Patel", bio: "Backing courses on data and design. Always learning.", roles: &[] },
    DemoUser { email: "ana@cohort.local", handle: "ana_s", name: "Ana Souza", bio: "Product designer in São Paulo.", roles: &[] },
    DemoUser { email: "chen@cohort.local", handle: "chen_yu", name: "陈宇", bio: "喜欢支持独立创作者。", roles: &[] },
];

/// Fills an empty database. On a database that has users it does nothing, so it is safe on
/// every start.
pub async fn seed_demo(state: &AppState) -> Result<(), AppError> {
    if store::count_users(&state.db).await? > 0 {
        tracing::info!("database has data; demo seed skipped");
        return Ok(());
    }
    let admin_hash = hash_password(&parse_password(DEMO_ADMIN_PASSWORD)?).await?;
    create(
        state,
        DEMO_ADMIN_EMAIL,
        "admin",
        "Cohort Admin",
        &admin_hash,
        &[Role::Admin],
    )
    .await?;
    let hash = hash_password(&parse_password(DEMO_PASSWORD)?).await?;
    for u in DEMO_USERS {
        let row = create(state, u.email, u.handle, u.name, &hash, u.roles).await?;
        state
            .db
            .run(
                "UPDATE type::record('user', $id) SET bio = $bio",
                serde_json::json!({ "id": row.id, "bio": u.bio }),
            )
            .await?;
    }
    crate::seed_campaigns::seed(state).await?;
    crate::seed_courses::seed(state).await?;
    tracing::info!(users = DEMO_USERS.len() + 1, "demo data seeded");
    println!("Demo data ready. Admin: {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}; other demo accounts use {DEMO_PASSWORD}.");
    Ok(())
}

fn parse_password(p: &str) -> Result<Password, AppError> {
    Password::parse(p).map_err(AppError::from)
}

async fn create(
    state: &AppState,
    email: &str,
    handle: &str,
    name: &str,
    hash: &str,
    roles: &[Role],
) -> Result<store::UserRow, AppError> {
    store::create_user(
        &state.db,
        NewUser {
            email: &Email::parse(email)?,
            handle: &Handle::parse(handle)?,
            display_name: &DisplayName::parse(name)?,
            password_hash: Some(hash),
            roles,
            verified: true,
        },
    )
    .await
}

/// Why `create-admin` did not make an admin.
#[derive(Debug, thiserror::Error)]
pub enum CreateAdminError {
    /// Anyone can sign up with an address they do not own; promoting such an account would hand
    /// the platform to whoever registered it first.
    #[error(
        "{0} has an account whose address is not verified; it is not promoted. The owner of the \
         address should verify it (the link in the sign-up mail, or \"Forgot password\", which \
         also signs out whoever else knew the password), then run create-admin again"
    )]
    Unverified(String),
    #[error(transparent)]
    App(#[from] AppError),
}

/// Makes `email` an admin, creating a verified account when there is none. An existing account
/// is promoted only when its address is verified.
pub async fn create_admin(state: &AppState, email: &str) -> Result<String, CreateAdminError> {
    let email = Email::parse(email).map_err(AppError::from)?;
    if let Some(user) = store::find_by_email(&state.db, &email).await? {
        if user.email_verified_at.is_none() {
            tracing::warn!(user = %user.id, "create-admin refused: address not verified");
            return Err(CreateAdminError::Unverified(email.to_string()));
        }
        store::add_role(&state.db, &user.id, Role::Admin).await?;
        return Ok(format!("{email} is now an admin."));
    }
    let (password, printed) = match std::env::var("COHORT_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (random_token(), true),
    };
    let hash = hash_password(&parse_password(&password)?).await?;
    let local = email.as_str().split('@').next().unwrap_or("admin");
    let mut handle: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .map(|c| c.to_ascii_lowercase())
        .take(20)
        .collect();
    if !handle.starts_with(|c: char| c.is_ascii_lowercase()) {
        handle.insert(0, 'a');
    }
    handle.push('_');
    handle.push_str(
        &random_token()
            .chars()
            .filter(char::is_ascii_digit)
            .take(4)
            .collect::<String>(),
    );
    while handle.len() < 3 {
        handle.push('0');
    }
    create(state, email.as_str(), &handle, local, &hash, &[Role::Admin]).await?;
    Ok(if printed {
        format!("Created admin {email} with password: {password}")
    } else {
        format!("Created admin {email} with the password from COHORT_ADMIN_PASSWORD.")
    })
}
