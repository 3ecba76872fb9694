//! Who is logged in: the log-in call's bodies, the user and their office. Part of the
//! HTTP API's contract (docs/sync-protocol.md, section 2).

use crate::desk::permissions::Role;
use crate::engine::hlc::Hlc;
use crate::engine::ids::{ClientId, OfficeCode};
use crate::from_map;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The device logging in; it gets a device number within its office.
    pub client: ClientId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OfficeInfo {
    pub code: OfficeCode,
    pub name: String,
    pub is_hq: bool,
    /// The office's zone, minutes east of UTC (Asia/Shanghai: 480).
    pub utc_offset_minutes: i32,
    /// The paper the office prints its forms on.
    pub paper: crate::desk::admin::Paper,
    /// The hour (office time) by which the morning's shipment calls are due.
    pub notice_hour: u32,
    /// Days after which a shipment not signed for is listed.
    pub receipt_days: u32,
}

from_map!(OfficeInfo, "an office", false, {
    code: "code",
    name: "name",
    is_hq: "is_hq",
    utc_offset_minutes: "utc_offset_minutes",
    paper: "paper" or Default::default(),
    notice_hour: "notice_hour" or crate::desk::admin::default_notice_hour(),
    receipt_days: "receipt_days" or crate::desk::admin::default_receipt_days(),
});

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub office: OfficeInfo,
}

from_map!(UserInfo, "a user", false, { username: "username", display_name: "display_name", role: "role", office: "office" });

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoginResponse {
    /// Bearer token for every later request; valid for weeks so offline work continues.
    pub token: String,
    pub user: UserInfo,
    /// This device's number within the office, part of every order number it issues.
    pub device_no: u32,
    /// The last change of this device the server has settled: a device whose storage went
    /// back in time (restored from a backup) numbers its next changes after it.
    pub last_seq: u64,
    pub server_time: Hlc,
    /// The identity of the server's store (see `wire::RecoverRequest`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// The company's name, for the header of printed forms.
    pub company: String,
}

from_map!(LoginResponse, "a log-in answer", false, {
    token: "token",
    user: "user",
    device_no: "device_no",
    last_seq: "last_seq" or 0,
    server_time: "server_time",
    store: "store" or None,
    company: "company" or Default::default(),
});
