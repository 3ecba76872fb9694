//! Who is logged in: the log-in call's bodies, the user and their office. Part of the
//! HTTP API's contract (docs/sync-protocol.md, section 2).

use crate::desk::permissions::Role;
use crate::engine::hlc::Hlc;
use crate::engine::ids::{ClientId, OfficeCode};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The device logging in; it gets a device number within its office.
    pub client: ClientId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeInfo {
    pub code: OfficeCode,
    pub name: String,
    pub is_hq: bool,
    /// The office's zone, minutes east of UTC (Asia/Shanghai: 480).
    pub utc_offset_minutes: i32,
    /// The paper the office prints its forms on.
    #[serde(default)]
    pub paper: crate::desk::admin::Paper,
    /// The hour (office time) by which the morning's shipment calls are due.
    #[serde(default = "crate::desk::admin::default_notice_hour")]
    pub notice_hour: u32,
    /// Days after which a shipment not signed for is listed.
    #[serde(default = "crate::desk::admin::default_receipt_days")]
    pub receipt_days: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub office: OfficeInfo,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token for every later request; valid for weeks so offline work continues.
    pub token: String,
    pub user: UserInfo,
    /// This device's number within the office, part of every order number it issues.
    pub device_no: u32,
    /// The last change of this device the server has settled: a device whose storage went
    /// back in time (restored from a backup) numbers its next changes after it.
    #[serde(default)]
    pub last_seq: u64,
    pub server_time: Hlc,
    /// The identity of the server's store (see `wire::RecoverRequest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// The company's name, for the header of printed forms.
    #[serde(default)]
    pub company: String,
}
