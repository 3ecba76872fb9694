//! Log-in, sessions and the [`CurrentUser`] extractor that guards every API call.

use crate::db::now_ms;
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::AppState;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequest, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use common::desk::account::{LoginRequest, LoginResponse, OfficeInfo, UserInfo};
use common::desk::permissions::{Actor, Role};
use common::engine::ids::{ClientId, OfficeCode};
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

/// Sessions last a month: a branch that logged in once keeps working through outages.
const SESSION_MS: u64 = 30 * 24 * 3600 * 1000;

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(AppError::internal)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The authenticated person and device behind a request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub actor: Actor,
    pub info: UserInfo,
    pub client: ClientId,
    /// The device's number within the user's office (0 if it never logged in there).
    pub device_no: u32,
    /// This session: its token's hash, and when its device last synced.
    pub session: Session,
}

#[derive(Clone, Debug, Default)]
pub struct Session {
    pub token_hash: String,
    pub last_seen_ms: u64,
    pub pending: u32,
}

pub fn load_user(conn: &rusqlite::Connection, username: &str) -> Result<Option<(UserInfo, String)>, AppError> {
    let row = conn
        .query_row(
            "SELECT u.username, u.display_name, u.role, u.password_hash, o.code, o.name, o.is_hq, o.utc_offset_minutes, o.paper,
                    o.notice_hour, o.receipt_days
             FROM users u JOIN offices o ON o.code = u.office WHERE u.username = ?1 AND u.active = 1",
            params![username],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, bool>(6)?,
                    r.get::<_, i32>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, u32>(9)?,
                    r.get::<_, u32>(10)?,
                ))
            },
        )
        .optional()?;
    let Some((username, display_name, role, hash, code, name, is_hq, offset, paper, notice_hour, receipt_days)) = row
    else {
        return Ok(None);
    };
    let role = Role::parse(&role).ok_or_else(|| AppError::internal(format!("unknown role {role}")))?;
    let code = OfficeCode::parse(&code).map_err(AppError::internal)?;
    let paper = common::desk::admin::Paper::parse(&paper).unwrap_or_default();
    let office = OfficeInfo { code, name, is_hq, utc_offset_minutes: offset, paper, notice_hour, receipt_days };
    Ok(Some((UserInfo { username, display_name, role, office }, hash)))
}

impl CurrentUser {
    fn from_info(info: UserInfo, client: ClientId, device_no: u32, session: Session) -> CurrentUser {
        let actor = Actor {
            username: info.username.clone(),
            role: info.role,
            office: info.office.code.clone(),
            is_hq: info.office.is_hq,
        };
        CurrentUser { actor, info, client, device_no, session }
    }

    /// The person as a record's history names them.
    pub fn author(&self) -> common::engine::push::Author {
        common::engine::push::Author {
            username: self.info.username.clone(),
            name: self.info.display_name.clone(),
            role: self.info.role.code().to_string(),
            office: self.info.office.code.clone(),
            device: self.device_no,
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let who = parts.extensions.get::<crate::http::Who>().cloned();
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        let token = header.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(AppError::unauthorized("log in first: this request has no session token"));
        };
        let hash = token_hash(token);
        // Checked before: the same answer, unless an account or session changed since.
        let generation = state.db.auth_generation();
        let cached = {
            let sessions = state.db.sessions.lock().unwrap_or_else(|p| p.into_inner());
            sessions.get(&hash).filter(|(g, _, _)| *g == generation).map(|(_, user, expires)| (user.clone(), *expires))
        };
        if let Some((user, expires)) = cached {
            if expires >= now_ms() {
                if let Some(who) = &who {
                    who.set(&user.info.username, user.info.office.code.as_str());
                }
                return Ok(user);
            }
        }
        let db = state.db.clone();
        state
            .db
            .read(move |conn| {
                let row: Option<(String, String, u64, u64, u32)> = conn
                    .prepare_cached(
                        "SELECT username, client, expires_ms, last_seen_ms, pending FROM sessions WHERE token_hash = ?1",
                    )?
                    .query_row(params![hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                    .optional()?;
                let Some((username, client, expires, last_seen_ms, pending)) = row else {
                    return Err(AppError::unauthorized("the session is not valid; log in again"));
                };
                if expires < now_ms() {
                    return Err(AppError::unauthorized("the session has expired; log in again"));
                }
                let (info, _) =
                    load_user(conn, &username)?.ok_or_else(|| AppError::unauthorized("this account is disabled"))?;
                let device_no: u32 = conn
                    .prepare_cached("SELECT device_no FROM device_numbers WHERE client = ?1 AND office = ?2")?
                    .query_row(params![client, info.office.code.as_str()], |r| r.get(0))
                    .optional()?
                    .unwrap_or(0);
                let client = ClientId::parse(&client).map_err(AppError::internal)?;
                let session = Session { token_hash: hash.clone(), last_seen_ms, pending };
                let user = CurrentUser::from_info(info, client, device_no, session);
                let mut sessions = db.sessions.lock().unwrap_or_else(|p| p.into_inner());
                if sessions.len() >= MAX_CACHED_SESSIONS {
                    sessions.clear();
                }
                sessions.insert(hash, (generation, user.clone(), expires));
                Ok(user)
            })
            .await
            .inspect(|user| {
                if let Some(who) = &who {
                    who.set(&user.info.username, user.info.office.code.as_str());
                }
            })
    }
}

/// Sessions checked, by token hash: the generation of accounts they were read at (see
/// [`crate::db::Db::call`]), the person, and when the session expires.
pub(crate) type SessionCache = std::sync::Mutex<std::collections::HashMap<String, (u64, CurrentUser, u64)>>;

/// Sessions kept checked in memory; past this many, the cache starts again.
const MAX_CACHED_SESSIONS: usize = 10_000;

/// A session's device synced: its cached copy learns when, so that the next pull does not
/// write it again.
pub(crate) fn noted(db: &crate::db::Db, token_hash: &str, last_seen_ms: u64, pending: u32) {
    if let Some((_, user, _)) = db.sessions.lock().unwrap_or_else(|p| p.into_inner()).get_mut(token_hash) {
        user.session.last_seen_ms = last_seen_ms;
        user.session.pending = pending;
    }
}

/// Wrong log-ins are slowed down, then locked out for a while (`429`, `Retry-After`).
fn locked_out(wait: std::time::Duration) -> axum::response::Response {
    let secs = wait.as_secs().max(1);
    let mut resp = AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!("too many wrong passwords: try again in {secs} seconds"),
    )
    .into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    resp
}

pub async fn login(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Json<LoginResponse>, axum::response::Response> {
    let ip = crate::http::client_ip(&request, &state.trusted_proxies);
    let ApiJson(req) =
        ApiJson::<LoginRequest>::from_request(request, &state).await.map_err(IntoResponse::into_response)?;
    let name = req.username.trim().to_string();
    let now = std::time::Instant::now();
    let wait = state.throttle.lock().unwrap_or_else(|p| p.into_inner()).wait(&name, ip, now);
    if let Some(wait) = wait {
        return Err(locked_out(wait));
    }
    let result = check_login(&state, req).await;
    if let Err(e) = &result {
        if e.code == "bad_credentials" {
            let delay = state.throttle.lock().unwrap_or_else(|p| p.into_inner()).failed(&name, ip, now);
            tokio::time::sleep(delay).await;
        }
    } else {
        state.throttle.lock().unwrap_or_else(|p| p.into_inner()).succeeded(&name);
    }
    result.map_err(IntoResponse::into_response)
}

async fn check_login(state: &AppState, req: LoginRequest) -> Result<Json<LoginResponse>, AppError> {
    if req.username.len() > 64 || req.password.len() > 256 {
        return Err(AppError::bad_request("too_long", "user name or password is too long"));
    }
    let username = req.username.trim().to_string();
    let found = state.db.read(move |conn| load_user(conn, &username)).await?;
    // Verify even for an unknown user, so timing does not tell which names exist.
    let (info, hash) = match found {
        Some(f) => f,
        None => {
            let _ = tokio::task::spawn_blocking(move || verify_password(&req.password, crate::demo::DUMMY_HASH)).await;
            return Err(AppError::new(StatusCode::UNAUTHORIZED, "bad_credentials", "wrong user name or password"));
        }
    };
    let password = req.password;
    let ok =
        tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.map_err(AppError::internal)?;
    if !ok {
        return Err(AppError::new(StatusCode::UNAUTHORIZED, "bad_credentials", "wrong user name or password"));
    }
    let token = hex::encode(rand::random::<[u8; 32]>());
    let client = req.client;
    let token_h = token_hash(&token);
    let info2 = info.clone();
    let (device_no, last_seq, company) = state
        .db
        .call(move |inner| {
            let now = now_ms();
            let tx = inner.conn.transaction()?;
            // A device id belongs to whoever used it first: another person on the same
            // browser gets a new one (the app makes it), so nobody pushes under another's
            // sequence or sees their waiting work go out under their own name.
            let bound: Option<(Option<String>, u64)> = tx
                .query_row(
                    "SELECT username, last_seq FROM clients WHERE client = ?1",
                    params![client.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let last_seq = match bound {
                Some((Some(owner), _)) if owner != info2.username => {
                    return Err(AppError::new(
                        StatusCode::CONFLICT,
                        "client_in_use",
                        "this device id belongs to another person; log in with a new device id",
                    ));
                }
                Some((Some(_), last)) => last,
                Some((None, last)) => {
                    tx.execute(
                        "UPDATE clients SET username = ?2, office = ?3 WHERE client = ?1",
                        params![client.to_string(), info2.username, info2.office.code.as_str()],
                    )?;
                    last
                }
                None => {
                    tx.execute(
                        "INSERT INTO clients(client, last_seq, username, office) VALUES (?1, 0, ?2, ?3)",
                        params![client.to_string(), info2.username, info2.office.code.as_str()],
                    )?;
                    0
                }
            };
            tx.execute(
                "INSERT INTO sessions(token_hash, username, client, created_ms, expires_ms, last_seen_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
                params![token_h, info2.username, client.to_string(), now, now + SESSION_MS],
            )?;
            // One person's sessions are capped: the oldest end first.
            tx.execute(
                "DELETE FROM sessions WHERE username = ?1 AND token_hash NOT IN
                   (SELECT token_hash FROM sessions WHERE username = ?1 ORDER BY created_ms DESC LIMIT ?2)",
                params![info2.username, common::desk::admin::MAX_SESSIONS_PER_USER as i64],
            )?;
            let office = info2.office.code.as_str();
            let existing: Option<u32> = tx
                .query_row(
                    "SELECT device_no FROM device_numbers WHERE client = ?1 AND office = ?2",
                    params![client.to_string(), office],
                    |r| r.get(0),
                )
                .optional()?;
            let device_no = match existing {
                Some(n) => n,
                None => {
                    let n: u32 = tx.query_row(
                        "SELECT COALESCE(MAX(device_no), 0) + 1 FROM device_numbers WHERE office = ?1",
                        params![office],
                        |r| r.get(0),
                    )?;
                    tx.execute(
                        "INSERT INTO device_numbers(client, office, device_no, created_ms) VALUES (?1, ?2, ?3, ?4)",
                        params![client.to_string(), office, n, now],
                    )?;
                    n
                }
            };
            let company: Option<String> =
                tx.query_row("SELECT value FROM meta WHERE key = 'company'", [], |r| r.get(0)).optional()?;
            tx.commit()?;
            Ok((device_no, last_seq, company.unwrap_or_default()))
        })
        .await?;
    let store = Some(state.db.store_id().to_string());
    let server_time = state.db.server_time();
    Ok(Json(LoginResponse { token, user: info, device_no, last_seq, server_time, store, company }))
}

pub async fn logout(
    State(state): State<AppState>,
    parts: axum::http::HeaderMap,
    _user: CurrentUser,
) -> Result<StatusCode, AppError> {
    let token = parts
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim()
        .to_string();
    let hash = token_hash(&token);
    state
        .db
        .call(move |inner| Ok(inner.conn.execute("DELETE FROM sessions WHERE token_hash = ?1", params![hash])?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(user: CurrentUser) -> Json<UserInfo> {
    Json(user.info)
}
