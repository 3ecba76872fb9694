//! The online calls of administration and set-up: plain request and answer, no outbox
//! (a password reset must take effect now, or say it could not).

use crate::sync::origin;
use common::desk::admin::{NewUser, Office, OfficeForm, PasswordChange, Setup, User, UserPatch};
use common::engine::ids::ClientId;
use common::engine::wire::ErrorBody;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why a call failed: offline, or the server's answer (its message and the field).
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    Offline,
    Server { code: String, message: String, field: Option<String> },
}

impl ApiError {
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Server { field, .. } => field.as_deref(),
            ApiError::Offline => None,
        }
    }

    /// A sentence for people, in both languages (the server's message is English).
    pub fn text(&self) -> (String, String) {
        match self {
            ApiError::Offline => (
                "连不上服务器:管理操作需要联网。".into(),
                "Cannot reach the server: administration needs a connection.".into(),
            ),
            ApiError::Server { code, message, .. } => {
                let zh = match code.as_str() {
                    "forbidden" => "没有权限进行此操作。",
                    "username_taken" => "该用户名已被使用。",
                    "own_account" => "不能停用自己,也不能修改自己的角色或所属机构。",
                    "bad_credentials" => "当前密码不正确。",
                    "already_set_up" => "系统已经设置过了。",
                    "unauthenticated" => "登录已失效,请重新登录。",
                    _ => "",
                };
                let zh = if zh.is_empty() { format!("服务器拒绝:{message}") } else { zh.to_string() };
                (zh, message.clone())
            }
        }
    }
}

async fn call<T: DeserializeOwned>(
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&impl Serialize>,
) -> Result<Option<T>, ApiError> {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", origin()));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req.send().await.map_err(|_| ApiError::Offline)?;
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        // An answer without a body (201, 204) reads as JSON `null`: `()` for the caller.
        let text = resp.text().await.map_err(|_| ApiError::Offline)?;
        let text = if text.is_empty() { "null" } else { &text };
        return serde_json::from_str::<T>(text).map(Some).map_err(|e| ApiError::Server {
            code: "unreadable".into(),
            message: e.to_string(),
            field: None,
        });
    }
    let e = crate::sync::read_json::<ErrorBody>(resp).await.unwrap_or(ErrorBody {
        error: "http".into(),
        message: format!("the server answered {status}"),
        field: None,
    });
    Err(ApiError::Server { code: e.error, message: e.message, field: e.field })
}

const NO_BODY: Option<&()> = None;

pub async fn setup(form: &Setup) -> Result<(), ApiError> {
    call::<()>(reqwest::Method::POST, "/api/setup", None, Some(form)).await.map(|_| ())
}

pub async fn offices(token: &str) -> Result<Vec<Office>, ApiError> {
    call(reqwest::Method::GET, "/api/admin/offices", Some(token), NO_BODY).await.map(Option::unwrap_or_default)
}

pub async fn put_office(token: &str, code: &str, form: &OfficeForm) -> Result<Vec<Office>, ApiError> {
    let path = format!("/api/admin/offices/{code}");
    call(reqwest::Method::PUT, &path, Some(token), Some(form)).await.map(Option::unwrap_or_default)
}

pub async fn users(token: &str) -> Result<Vec<User>, ApiError> {
    call(reqwest::Method::GET, "/api/admin/users", Some(token), NO_BODY).await.map(Option::unwrap_or_default)
}

pub async fn add_user(token: &str, new: &NewUser) -> Result<(), ApiError> {
    call::<User>(reqwest::Method::POST, "/api/admin/users", Some(token), Some(new)).await.map(|_| ())
}

pub async fn patch_user(token: &str, username: &str, patch: &UserPatch) -> Result<(), ApiError> {
    let path = format!("/api/admin/users/{username}");
    call::<User>(reqwest::Method::PATCH, &path, Some(token), Some(patch)).await.map(|_| ())
}

pub async fn sign_out(token: &str, username: &str, client: ClientId) -> Result<(), ApiError> {
    let path = format!("/api/admin/users/{username}/devices/{client}");
    call::<()>(reqwest::Method::DELETE, &path, Some(token), NO_BODY).await.map(|_| ())
}

pub async fn change_password(token: &str, change: &PasswordChange) -> Result<(), ApiError> {
    call::<()>(reqwest::Method::POST, "/api/me/password", Some(token), Some(change)).await.map(|_| ())
}
