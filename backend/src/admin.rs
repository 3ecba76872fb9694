//! Administration, online: offices, users, their devices and sessions, and each person's
//! own password. Rules (who may manage whom) come from `common::desk::admin`.

use crate::auth::{hash_password, load_user, verify_password, CurrentUser};
use crate::db::now_ms;
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use common::desk::admin::{
    may_grant, may_manage_offices, may_manage_users_of, Device, Invalid, NewUser, Office, OfficeForm, Paper,
    PasswordChange, User, UserPatch,
};
use common::desk::permissions::Role;
use common::engine::ids::{ClientId, OfficeCode};
use rusqlite::{params, Connection, OptionalExtension};

impl From<Invalid> for AppError {
    fn from(e: Invalid) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.message).with_field(e.field)
    }
}

fn not_yours() -> AppError {
    AppError::forbidden("you may not administer this office's users")
}

fn office_code(code: &str) -> Result<OfficeCode, AppError> {
    OfficeCode::parse(code).map_err(|_| {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "an office code is 2 to 8 capital letters or digits")
            .with_field("code")
    })
}

fn read_offices(conn: &Connection) -> Result<Vec<Office>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT code, name, is_hq, utc_offset_minutes, paper, notice_hour, receipt_days
             FROM offices ORDER BY is_hq DESC, code",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, bool>(2)?,
            r.get::<_, i32>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, u32>(5)?,
            r.get::<_, u32>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (code, name, is_hq, utc_offset_minutes, paper, notice_hour, receipt_days) = row?;
        let code = OfficeCode::parse(&code).map_err(AppError::internal)?;
        let paper = Paper::parse(&paper).unwrap_or_default();
        out.push(Office { code, name, is_hq, utc_offset_minutes, paper, notice_hour, receipt_days });
    }
    Ok(out)
}

/// Every office: anyone logged in may see the list (it names where orders come from).
pub async fn offices(State(state): State<AppState>, _user: CurrentUser) -> Result<Json<Vec<Office>>, AppError> {
    Ok(Json(state.db.read(read_offices).await?))
}

/// Creates a branch office, or changes one (head office's admins only).
pub async fn put_office(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    ApiJson(form): ApiJson<OfficeForm>,
) -> Result<Json<Vec<Office>>, AppError> {
    if !may_manage_offices(&user.actor) {
        return Err(AppError::forbidden("only head office's administrators manage offices"));
    }
    let code = office_code(&code)?;
    form.check()?;
    let list = state
        .db
        .call(move |inner| {
            let tx = inner.conn.transaction()?;
            tx.execute(
                "INSERT INTO offices(code, name, is_hq, utc_offset_minutes, paper, notice_hour, receipt_days)
                 VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6)
                 ON CONFLICT(code) DO UPDATE SET name = excluded.name,
                   utc_offset_minutes = excluded.utc_offset_minutes, paper = excluded.paper,
                   notice_hour = excluded.notice_hour, receipt_days = excluded.receipt_days",
                params![
                    code.as_str(),
                    form.name.trim(),
                    form.utc_offset_minutes,
                    form.paper.code(),
                    form.notice_hour,
                    form.receipt_days
                ],
            )?;
            let list = read_offices(&tx)?;
            tx.commit()?;
            tracing::info!(by = %user.actor.username, office = %code, "office saved");
            Ok(list)
        })
        .await?;
    Ok(Json(list))
}

fn read_users(conn: &Connection, office: Option<&str>) -> Result<Vec<User>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT username, display_name, role, office, active FROM users
         WHERE ?1 IS NULL OR office = ?1 ORDER BY office, username",
    )?;
    let rows = stmt.query_map(params![office], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, bool>(4)?,
        ))
    })?;
    let mut users = Vec::new();
    for row in rows {
        let (username, display_name, role, office, active) = row?;
        let role = Role::parse(&role).ok_or_else(|| AppError::internal(format!("unknown role {role}")))?;
        let office = OfficeCode::parse(&office).map_err(AppError::internal)?;
        let devices = read_devices(conn, &username)?;
        users.push(User { username, display_name, role, office, active, devices });
    }
    Ok(users)
}

/// The devices a person logged in with: from their device ids, with their sessions.
fn read_devices(conn: &Connection, username: &str) -> Result<Vec<Device>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.client, COALESCE(d.device_no, 0),
                COALESCE((SELECT MAX(last_seen_ms) FROM sessions s WHERE s.client = c.client AND s.username = c.username), 0),
                COALESCE((SELECT pending FROM sessions s WHERE s.client = c.client AND s.username = c.username
                          ORDER BY last_seen_ms DESC LIMIT 1), 0),
                EXISTS(SELECT 1 FROM sessions s WHERE s.client = c.client AND s.username = c.username AND s.expires_ms > ?2)
         FROM clients c LEFT JOIN device_numbers d ON d.client = c.client AND d.office = c.office
         WHERE c.username = ?1 ORDER BY 3 DESC",
    )?;
    let rows = stmt.query_map(params![username, now_ms()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, u32>(1)?,
            r.get::<_, u64>(2)?,
            r.get::<_, u32>(3)?,
            r.get::<_, bool>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (client, device_no, last_seen_ms, pending, signed_in) = row?;
        let client = ClientId::parse(&client).map_err(AppError::internal)?;
        out.push(Device { client, device_no, last_seen_ms, pending, signed_in });
    }
    Ok(out)
}

/// The users this person administers: everyone for head office's admins, their office's
/// for a branch manager.
pub async fn users(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Vec<User>>, AppError> {
    let office = if may_manage_offices(&user.actor) {
        None
    } else if may_manage_users_of(&user.actor, &user.actor.office) {
        Some(user.actor.office.as_str().to_string())
    } else {
        return Err(not_yours());
    };
    Ok(Json(state.db.read(move |conn| read_users(conn, office.as_deref())).await?))
}

fn office_exists(conn: &Connection, office: &OfficeCode) -> Result<bool, AppError> {
    Ok(conn.query_row("SELECT EXISTS(SELECT 1 FROM offices WHERE code = ?1)", params![office.as_str()], |r| r.get(0))?)
}

pub async fn add_user(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<User>), AppError> {
    if !may_manage_users_of(&user.actor, &new.office) {
        return Err(not_yours());
    }
    if !may_grant(&user.actor, new.role) {
        return Err(AppError::forbidden("only head office's administrators make administrators").with_field("role"));
    }
    new.check()?;
    let password = new.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(AppError::internal)??;
    let created = state
        .db
        .call(move |inner| {
            let tx = inner.conn.transaction()?;
            if !office_exists(&tx, &new.office)? {
                return Err(
                    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "no such office").with_field("office")
                );
            }
            let taken: bool =
                tx.query_row("SELECT EXISTS(SELECT 1 FROM users WHERE username = ?1)", params![new.username], |r| {
                    r.get(0)
                })?;
            if taken {
                return Err(AppError::new(StatusCode::CONFLICT, "username_taken", "this user name is taken")
                    .with_field("username"));
            }
            tx.execute(
                "INSERT INTO users(username, display_name, password_hash, role, office) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![new.username, new.display_name.trim(), hash, new.role.code(), new.office.as_str()],
            )?;
            tx.commit()?;
            tracing::info!(by = %user.actor.username, user = %new.username, office = %new.office, "user added");
            Ok(User {
                username: new.username,
                display_name: new.display_name.trim().to_string(),
                role: new.role,
                office: new.office,
                active: true,
                devices: Vec::new(),
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Another person's account as stored: their office and role, for the permission check.
fn account(conn: &Connection, username: &str) -> Result<(OfficeCode, Role), AppError> {
    let row: Option<(String, String)> = conn
        .query_row("SELECT office, role FROM users WHERE username = ?1", params![username], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (office, role) = row.ok_or_else(|| AppError::not_found("no such user"))?;
    Ok((OfficeCode::parse(&office).map_err(AppError::internal)?, Role::parse(&role).unwrap_or(Role::Clerk)))
}

pub async fn patch_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(username): Path<String>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> Result<Json<User>, AppError> {
    patch.check()?;
    if username == user.actor.username
        && (patch.active == Some(false) || patch.role.is_some() || patch.office.is_some())
    {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "own_account",
            "you cannot disable yourself or change your own role or office; ask another administrator",
        ));
    }
    let hash = match patch.password.clone() {
        Some(p) => Some(tokio::task::spawn_blocking(move || hash_password(&p)).await.map_err(AppError::internal)??),
        None => None,
    };
    let actor = user.actor.clone();
    let updated = state
        .db
        .call(move |inner| {
            let tx = inner.conn.transaction()?;
            let (office, role) = account(&tx, &username)?;
            if !may_manage_users_of(&actor, &office) || !may_grant(&actor, role) {
                return Err(not_yours());
            }
            if let Some(to) = &patch.office {
                if !may_manage_users_of(&actor, to) {
                    return Err(not_yours().with_field("office"));
                }
                if !office_exists(&tx, to)? {
                    return Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "no such office")
                        .with_field("office"));
                }
                tx.execute("UPDATE users SET office = ?2 WHERE username = ?1", params![username, to.as_str()])?;
            }
            if let Some(r) = patch.role {
                if !may_grant(&actor, r) {
                    return Err(
                        AppError::forbidden("only head office's administrators make administrators").with_field("role")
                    );
                }
                tx.execute("UPDATE users SET role = ?2 WHERE username = ?1", params![username, r.code()])?;
            }
            if let Some(n) = &patch.display_name {
                tx.execute("UPDATE users SET display_name = ?2 WHERE username = ?1", params![username, n.trim()])?;
            }
            if let Some(a) = patch.active {
                tx.execute("UPDATE users SET active = ?2 WHERE username = ?1", params![username, a])?;
            }
            if let Some(h) = &hash {
                tx.execute("UPDATE users SET password_hash = ?2 WHERE username = ?1", params![username, h])?;
            }
            if patch.ends_sessions() {
                // Every device of theirs must log in again; what they have not synced stays on it.
                let ended = tx.execute("DELETE FROM sessions WHERE username = ?1", params![username])?;
                tracing::info!(by = %actor.username, user = %username, sessions = ended, "sessions ended");
            }
            let mut list = read_users(&tx, None)?;
            tx.commit()?;
            let pos =
                list.iter().position(|u| u.username == username).ok_or_else(|| AppError::not_found("no such user"))?;
            Ok(list.swap_remove(pos))
        })
        .await?;
    Ok(Json(updated))
}

/// Signs one device of a person out (a lost phone): its sessions end; it keeps what it
/// has not synced and asks for a log-in.
pub async fn sign_out_device(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((username, client)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let client = ClientId::parse(&client).map_err(|_| AppError::bad_request("invalid", "not a device id"))?;
    let actor = user.actor.clone();
    state
        .db
        .call(move |inner| {
            let (office, _) = account(&inner.conn, &username)?;
            if username != actor.username && !may_manage_users_of(&actor, &office) {
                return Err(not_yours());
            }
            let ended = inner.conn.execute(
                "DELETE FROM sessions WHERE username = ?1 AND client = ?2",
                params![username, client.to_string()],
            )?;
            tracing::info!(by = %actor.username, user = %username, client = %client, sessions = ended, "device signed out");
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A person changes their own password; their other sessions end.
pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<StatusCode, AppError> {
    common::desk::admin::check_password("new", &req.new)?;
    let name = user.actor.username.clone();
    let found = state.db.read(move |conn| load_user(conn, &name)).await?;
    let (_, stored) = found.ok_or_else(|| AppError::unauthorized("this account is disabled"))?;
    let current = req.current.clone();
    let ok =
        tokio::task::spawn_blocking(move || verify_password(&current, &stored)).await.map_err(AppError::internal)?;
    if !ok {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_credentials",
            "the current password is wrong",
        )
        .with_field("current"));
    }
    let new = req.new.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&new)).await.map_err(AppError::internal)??;
    let keep = user.session.token_hash.clone();
    let name = user.actor.username.clone();
    state
        .db
        .call(move |inner| {
            let tx = inner.conn.transaction()?;
            tx.execute("UPDATE users SET password_hash = ?2 WHERE username = ?1", params![name, hash])?;
            tx.execute("DELETE FROM sessions WHERE username = ?1 AND token_hash <> ?2", params![name, keep])?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
