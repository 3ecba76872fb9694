//! A new installation, set up in one step: the company, its head office and the first
//! administrator — from the command line (`salesdesk init`) or, while the database has no
//! user at all, from a one-time set-up page (`/api/setup`).

use crate::auth::hash_password;
use crate::db::Inner;
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rusqlite::params;
use serde::Serialize;

pub use common::desk::admin::Setup;

/// Whether the database has anyone who can log in.
pub fn has_users(conn: &rusqlite::Connection) -> Result<bool, AppError> {
    Ok(conn.query_row("SELECT EXISTS(SELECT 1 FROM users)", [], |r| r.get(0))?)
}

/// Sets up an empty installation; refused once anyone exists.
pub fn init(inner: &mut Inner, setup: &Setup) -> Result<(), AppError> {
    let code = setup.check()?;
    let hash = hash_password(&setup.password)?;
    let tx = inner.conn.transaction()?;
    if has_users(&tx)? {
        return Err(AppError::new(StatusCode::CONFLICT, "already_set_up", "this installation is set up already"));
    }
    tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('company', ?1)", params![setup.company.trim()])?;
    tx.execute(
        "INSERT INTO offices(code, name, is_hq, utc_offset_minutes) VALUES (?1, ?2, 1, ?3)",
        params![code.as_str(), setup.office_name.trim(), setup.utc_offset_minutes],
    )?;
    tx.execute(
        "INSERT INTO users(username, display_name, password_hash, role, office) VALUES (?1, ?2, ?3, 'admin', ?4)",
        params![setup.admin, setup.admin_name.trim(), hash, code.as_str()],
    )?;
    tx.commit()?;
    tracing::info!(admin = %setup.admin, office = %code, "installation set up");
    Ok(())
}

#[derive(Serialize)]
pub struct SetupStatus {
    /// Nobody can log in yet: the set-up page answers.
    pub needed: bool,
}

pub async fn status(State(state): State<AppState>) -> Result<Json<SetupStatus>, AppError> {
    let needed = !state.db.read(has_users).await?;
    Ok(Json(SetupStatus { needed }))
}

/// The one-time set-up page's call: answers only while nobody exists.
pub async fn run(State(state): State<AppState>, ApiJson(setup): ApiJson<Setup>) -> Result<StatusCode, AppError> {
    state.db.call(move |inner| init(inner, &setup)).await?;
    Ok(StatusCode::CREATED)
}
