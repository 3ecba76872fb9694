//! Roles, the person behind a request, and which offices' records they may read and
//! write. What each role may do to each kind of record is declared with the kind
//! ([`crate::desk::kinds`], and for orders the step and edit table in
//! [`crate::desk::order::WORKFLOW`]). The server enforces all of it on every change; the
//! client uses the same functions only to offer what a person could do anyway.

use crate::engine::ids::OfficeCode;
use crate::engine::record::{Change, Kind};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 内勤: takes phone orders.
    Clerk,
    /// 复核: checks typed orders.
    Reviewer,
    /// 收银
    Cashier,
    /// 物流/仓库
    Logistics,
    /// 业务员
    Salesperson,
    /// 经理
    Manager,
    /// 系统管理员 (head office)
    Admin,
}

impl Role {
    pub const ALL: [Role; 7] =
        [Role::Clerk, Role::Reviewer, Role::Cashier, Role::Logistics, Role::Salesperson, Role::Manager, Role::Admin];

    pub const fn code(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Reviewer => "reviewer",
            Role::Cashier => "cashier",
            Role::Logistics => "logistics",
            Role::Salesperson => "salesperson",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s)
    }
}

/// The person behind a request, as the server knows them from their session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub username: String,
    pub role: Role,
    pub office: OfficeCode,
    /// Head office sees and may write every office's records.
    pub is_hq: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("the change says it was made by {claimed:?}, but you are logged in as {actual:?}")]
    NotTheAuthor { claimed: String, actual: String },
    #[error("records of office {record_office} are not yours to change (you are in {your_office})")]
    OtherOffice { record_office: OfficeCode, your_office: OfficeCode },
    #[error("only head office may change the {0} catalogue (a branch only its own stations)")]
    Catalogue(String),
}

impl Actor {
    pub fn can_read(&self, kind: Kind, office: &OfficeCode) -> bool {
        kind.is_catalogue() || self.is_hq || *office == self.office
    }

    /// Whether this person may write records of the change's office at all. Office and
    /// author come from the session, never from the change, so a forged office field or
    /// client id gets nowhere. Roles are checked per kind and step ([`crate::desk::kinds`]).
    pub fn authorize(&self, change: &Change) -> Result<(), Denied> {
        if change.by != self.username {
            return Err(Denied::NotTheAuthor { claimed: change.by.clone(), actual: self.username.clone() });
        }
        if self.may_write(change.kind, &change.office) {
            return Ok(());
        }
        if change.kind.is_catalogue() {
            return Err(Denied::Catalogue(change.kind.to_string()));
        }
        Err(Denied::OtherOffice { record_office: change.office.clone(), your_office: self.office.clone() })
    }

    /// Whether records of `kind` belonging to `office` are this person's office's to write
    /// (roles aside): head office writes everything; a branch its own records, and of the
    /// catalogue only what the kind lets a branch keep (its own freight stations).
    pub fn may_write(&self, kind: Kind, office: &OfficeCode) -> bool {
        if self.is_hq {
            return true;
        }
        if kind.is_catalogue() {
            let branch_keeps = crate::desk::kinds::spec(kind).is_some_and(|s| !s.branch_editors.is_empty());
            return branch_keeps && *office == self.office;
        }
        *office == self.office
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::hlc::Hlc;
    use crate::engine::ids::{ChangeId, RecordId};

    fn actor(role: Role, office: &str) -> Actor {
        Actor { username: "u".into(), role, office: OfficeCode::parse(office).unwrap(), is_hq: office == "HQ" }
    }

    fn change(kind: Kind, office: &str) -> Change {
        let mut set = std::collections::BTreeMap::new();
        set.insert(
            "notes".into(),
            crate::engine::record::FieldWrite { value: serde_json::json!("x"), replaces: vec![] },
        );
        Change {
            id: ChangeId(uuid::Uuid::from_u128(1)),
            seq: 1,
            kind,
            record: RecordId(uuid::Uuid::from_u128(2)),
            office: OfficeCode::parse(office).unwrap(),
            ts: Hlc::ZERO,
            by: "u".into(),
            set,
            event: None,
        }
    }

    #[test]
    fn a_branch_keeps_its_own_freight_stations_but_never_products_or_other_stations() {
        let fs = OfficeCode::parse("FS").unwrap();
        let hq = OfficeCode::parse("HQ").unwrap();
        let clerk = actor(Role::Clerk, "FS");
        assert!(clerk.may_write(Kind::STATION, &fs));
        assert!(!clerk.may_write(Kind::STATION, &hq));
        assert!(!clerk.may_write(Kind::PRODUCT, &fs));
        assert!(matches!(clerk.authorize(&change(Kind::PRODUCT, "FS")), Err(Denied::Catalogue(_))));
        assert!(actor(Role::Manager, "HQ").may_write(Kind::STATION, &fs));
    }

    #[test]
    fn a_branch_writes_only_its_own_office() {
        assert!(actor(Role::Clerk, "GZ").authorize(&change(Kind::ORDER, "GZ")).is_ok());
        assert!(matches!(
            actor(Role::Clerk, "GZ").authorize(&change(Kind::ORDER, "FS")),
            Err(Denied::OtherOffice { .. })
        ));
        assert!(actor(Role::Clerk, "HQ").authorize(&change(Kind::ORDER, "FS")).is_ok());
        assert!(!actor(Role::Clerk, "GZ").can_read(Kind::ORDER, &OfficeCode::parse("FS").unwrap()));
        assert!(actor(Role::Clerk, "GZ").can_read(Kind::PRODUCT, &OfficeCode::parse("HQ").unwrap()));
        assert!(matches!(
            actor(Role::Manager, "GZ").authorize(&change(Kind::PRODUCT, "HQ")),
            Err(Denied::Catalogue(_))
        ));
    }

    #[test]
    fn the_author_must_be_the_session_user() {
        let mut c = change(Kind::ORDER, "GZ");
        c.by = "someone_else".into();
        assert!(matches!(actor(Role::Clerk, "GZ").authorize(&c), Err(Denied::NotTheAuthor { .. })));
    }
}
