//! Administration: offices, users and their devices. Online only (a password reset must
//! not wait in an outbox), so these are plain request and answer bodies, not records.
//! The rules (who may manage whom, what a user name or password must be) live here so the
//! server enforces them and the app explains them field by field.

use crate::desk::permissions::{Actor, Role};
use crate::engine::ids::{ClientId, OfficeCode};
use serde::{Deserialize, Serialize};

pub const MIN_PASSWORD: usize = 8;
/// Sessions one person may have open at once; logging in again ends the oldest.
pub const MAX_SESSIONS_PER_USER: usize = 20;

/// What went wrong with one field of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: &'static str,
}

fn invalid(field: &'static str, message: &'static str) -> Invalid {
    Invalid { field, message }
}

/// A user name: 2 to 32 of a-z, 0-9 and `_` (typed on phones, shown in history).
pub fn check_username(s: &str) -> Result<(), Invalid> {
    let ok =
        (2..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then_some(()).ok_or(invalid("username", "a user name is 2 to 32 of a-z, 0-9 and _"))
}

pub fn check_display_name(s: &str) -> Result<(), Invalid> {
    let n = s.trim().chars().count();
    (1..=60).contains(&n).then_some(()).ok_or(invalid("display_name", "a name is required (at most 60 characters)"))
}

pub fn check_password(field: &'static str, s: &str) -> Result<(), Invalid> {
    (s.chars().count() >= MIN_PASSWORD && s.len() <= 256)
        .then_some(())
        .ok_or(invalid(field, "a password has at least 8 characters"))
}

/// A new installation: the company, its head office and the first administrator
/// (`salesdesk init`, or the one-time set-up page: `POST /api/setup`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

impl Setup {
    pub fn check(&self) -> Result<OfficeCode, Invalid> {
        let n = self.company.trim().chars().count();
        if !(1..=100).contains(&n) {
            return Err(invalid("company", "the company's name is required (at most 100 characters)"));
        }
        let code = OfficeCode::parse(self.office_code.trim())
            .map_err(|_| invalid("office_code", "an office code is 2 to 8 capital letters or digits, e.g. HQ"))?;
        OfficeForm {
            name: self.office_name.clone(),
            utc_offset_minutes: self.utc_offset_minutes,
            paper: Paper::A4,
            notice_hour: default_notice_hour(),
            receipt_days: default_receipt_days(),
        }
        .check()
        .map_err(|e| Invalid { field: if e.field == "name" { "office_name" } else { e.field }, ..e })?;
        check_username(&self.admin).map_err(|e| Invalid { field: "admin", ..e })?;
        check_display_name(&self.admin_name).map_err(|e| Invalid { field: "admin_name", ..e })?;
        check_password("password", &self.password)?;
        Ok(code)
    }
}

/// The paper an office prints orders on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paper {
    #[default]
    A4,
    A5,
    /// Continuous form for dot-matrix printers, 241 mm wide, a third of a sheet (93 mm).
    Form241Third,
    /// The same, half a sheet (140 mm).
    Form241Half,
}

impl Paper {
    pub const ALL: [Paper; 4] = [Paper::A4, Paper::A5, Paper::Form241Third, Paper::Form241Half];

    pub fn code(self) -> &'static str {
        match self {
            Paper::A4 => "a4",
            Paper::A5 => "a5",
            Paper::Form241Third => "form241_third",
            Paper::Form241Half => "form241_half",
        }
    }

    pub fn parse(s: &str) -> Option<Paper> {
        Paper::ALL.into_iter().find(|p| p.code() == s)
    }
}

/// An office as the admin screens show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    pub code: OfficeCode,
    pub name: String,
    pub is_hq: bool,
    pub utc_offset_minutes: i32,
    pub paper: Paper,
    /// Shipments not called about by this hour (office time) the morning after show red.
    #[serde(default = "default_notice_hour")]
    pub notice_hour: u32,
    /// Shipments neither signed for nor returned after this many days are listed.
    #[serde(default = "default_receipt_days")]
    pub receipt_days: u32,
}

pub fn default_notice_hour() -> u32 {
    10
}

pub fn default_receipt_days() -> u32 {
    7
}

/// `PUT /api/admin/offices/{code}`: creates or changes a branch office.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeForm {
    pub name: String,
    pub utc_offset_minutes: i32,
    #[serde(default)]
    pub paper: Paper,
    #[serde(default = "default_notice_hour")]
    pub notice_hour: u32,
    #[serde(default = "default_receipt_days")]
    pub receipt_days: u32,
}

impl OfficeForm {
    pub fn check(&self) -> Result<(), Invalid> {
        let n = self.name.trim().chars().count();
        if !(1..=60).contains(&n) {
            return Err(invalid("name", "an office's name is required (at most 60 characters)"));
        }
        if !(-12 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            return Err(invalid("utc_offset_minutes", "a UTC offset is between -720 and 840 minutes"));
        }
        if self.notice_hour > 23 {
            return Err(invalid("notice_hour", "the hour for the morning calls is 0 to 23"));
        }
        if !(1..=90).contains(&self.receipt_days) {
            return Err(invalid("receipt_days", "the days to wait for a receipt are 1 to 90"));
        }
        Ok(())
    }
}

/// One device a person logged in with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub client: ClientId,
    pub device_no: u32,
    /// When it last synced (UTC ms), 0 if never.
    pub last_seen_ms: u64,
    /// Changes it said were waiting to be sent, when it last synced.
    pub pending: u32,
    /// It has an open session (it can sync without logging in).
    pub signed_in: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub office: OfficeCode,
    pub active: bool,
    pub devices: Vec<Device>,
}

/// `POST /api/admin/users`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub office: OfficeCode,
    pub password: String,
}

impl NewUser {
    pub fn check(&self) -> Result<(), Invalid> {
        check_username(&self.username)?;
        check_display_name(&self.display_name)?;
        check_password("password", &self.password)
    }
}

/// `PATCH /api/admin/users/{username}`: what to change. Disabling a user or setting a new
/// password ends all of their sessions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<OfficeCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl UserPatch {
    pub fn check(&self) -> Result<(), Invalid> {
        if let Some(n) = &self.display_name {
            check_display_name(n)?;
        }
        if let Some(p) = &self.password {
            check_password("password", p)?;
        }
        Ok(())
    }

    /// Whether the person's sessions end with this change.
    pub fn ends_sessions(&self) -> bool {
        self.active == Some(false) || self.password.is_some() || self.office.is_some() || self.role.is_some()
    }
}

/// `POST /api/me/password`: a person changes their own password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// Who may administer what: head office's admins manage every office and user; a branch
/// manager (or admin) manages the users of their own office.
pub fn may_manage_offices(actor: &Actor) -> bool {
    actor.is_hq && actor.role == Role::Admin
}

pub fn may_manage_users_of(actor: &Actor, office: &OfficeCode) -> bool {
    may_manage_offices(actor) || (matches!(actor.role, Role::Manager | Role::Admin) && actor.office == *office)
}

/// Roles a manager may hand out: never more than their own.
pub fn may_grant(actor: &Actor, role: Role) -> bool {
    may_manage_offices(actor) || role != Role::Admin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, office: &str) -> Actor {
        Actor { username: "u".into(), role, office: OfficeCode::parse(office).unwrap(), is_hq: office == "HQ" }
    }

    #[test]
    fn user_names_are_short_lower_case_words() {
        assert!(check_username("fs_clerk2").is_ok());
        for bad in ["", "a", "FS", "王芳", "a b", &"x".repeat(33)] {
            assert_eq!(check_username(bad).unwrap_err().field, "username", "{bad:?}");
        }
    }

    #[test]
    fn a_password_has_at_least_eight_characters_of_any_script() {
        assert!(check_password("password", "短密码").is_err());
        assert!(check_password("password", "销售内勤工作台密码").is_ok());
        assert!(check_password("password", "1234567").is_err());
    }

    #[test]
    fn head_office_admins_manage_everyone_and_branch_managers_their_own_office() {
        let fs = OfficeCode::parse("FS").unwrap();
        let sz = OfficeCode::parse("SZ").unwrap();
        assert!(may_manage_offices(&actor(Role::Admin, "HQ")));
        assert!(!may_manage_offices(&actor(Role::Manager, "HQ")));
        assert!(!may_manage_offices(&actor(Role::Manager, "FS")));
        assert!(may_manage_users_of(&actor(Role::Admin, "HQ"), &fs));
        assert!(may_manage_users_of(&actor(Role::Manager, "FS"), &fs));
        assert!(!may_manage_users_of(&actor(Role::Manager, "FS"), &sz));
        assert!(!may_manage_users_of(&actor(Role::Clerk, "FS"), &fs));
        assert!(!may_grant(&actor(Role::Manager, "FS"), Role::Admin));
        assert!(may_grant(&actor(Role::Manager, "FS"), Role::Cashier));
    }

    #[test]
    fn paper_sizes_round_trip_through_their_codes() {
        for p in Paper::ALL {
            assert_eq!(Paper::parse(p.code()), Some(p));
        }
        assert_eq!(Paper::parse("letter"), None);
    }

    #[test]
    fn an_office_sets_its_hour_for_the_morning_calls_and_its_days_to_wait_for_a_receipt() {
        let form = |json: &str| serde_json::from_str::<OfficeForm>(json).unwrap();
        let old = form(r#"{"name": "佛山分公司", "utc_offset_minutes": 480}"#);
        assert_eq!((old.notice_hour, old.receipt_days), (10, 7), "offices saved before these existed");
        assert!(old.check().is_ok());
        let late = form(r#"{"name": "佛山", "utc_offset_minutes": 480, "notice_hour": 24}"#);
        assert_eq!(late.check().unwrap_err().field, "notice_hour");
        let never = form(r#"{"name": "佛山", "utc_offset_minutes": 480, "receipt_days": 0}"#);
        assert_eq!(never.check().unwrap_err().field, "receipt_days");
    }
}
