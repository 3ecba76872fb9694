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
use common::engine::ids::OfficeCode;
use rusqlite::params;
use serde::{Deserialize, Serialize};

/// What a new installation needs.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// The company's name, shown in the app.
    pub company: String,
    /// The head office's code (`HQ`) and name (`总部`).
    pub office_code: String,
    pub office_name: String,
    /// Minutes east of UTC (China: 480).
    #[serde(default = "china")]
    pub utc_offset_minutes: i32,
    /// The first administrator.
    pub admin: String,
    pub admin_name: String,
    pub password: String,
}

fn china() -> i32 {
    480
}

pub const MIN_PASSWORD: usize = 8;

impl Setup {
    fn check(&self) -> Result<OfficeCode, AppError> {
        let bad =
            |field: &str, msg: &str| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", msg).with_field(field);
        if self.company.trim().is_empty() || self.company.chars().count() > 100 {
            return Err(bad("company", "the company's name is required (at most 100 characters)"));
        }
        let code = OfficeCode::parse(self.office_code.trim())
            .map_err(|_| bad("office_code", "an office code is 2 to 8 capital letters or digits, e.g. HQ"))?;
        if self.office_name.trim().is_empty() || self.office_name.chars().count() > 60 {
            return Err(bad("office_name", "the head office's name is required (at most 60 characters)"));
        }
        if !(-12 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            return Err(bad("utc_offset_minutes", "a UTC offset is between -720 and 840 minutes"));
        }
        let user_ok = (2..=32).contains(&self.admin.len())
            && self.admin.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !user_ok {
            return Err(bad("admin", "a user name is 2 to 32 of a-z, 0-9 and _"));
        }
        if self.admin_name.trim().is_empty() || self.admin_name.chars().count() > 60 {
            return Err(bad("admin_name", "the administrator's name is required (at most 60 characters)"));
        }
        if self.password.chars().count() < MIN_PASSWORD || self.password.len() > 256 {
            return Err(bad("password", "a password has at least 8 characters"));
        }
        Ok(code)
    }
}

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
