//! Who may read and write what. The server enforces these on every change; the client
//! uses the same functions only to hide buttons a person could not use anyway.

use crate::ids::OfficeCode;
use crate::order::Action;
use crate::record::{Change, Kind};
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

    pub fn code(self) -> &'static str {
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
    #[error("only head office may change the {0} catalogue")]
    Catalogue(&'static str),
    #[error("the {role} role may not edit {kind} records")]
    EditRole { role: &'static str, kind: &'static str },
    #[error("the {role} role may not {action} an order")]
    ActionRole { role: &'static str, action: &'static str },
    #[error("only orders have status actions")]
    ActionOnKind,
}

impl Actor {
    pub fn can_read(&self, kind: Kind, office: &OfficeCode) -> bool {
        kind.is_catalogue() || self.is_hq || *office == self.office
    }

    pub fn can_edit(&self, kind: Kind) -> bool {
        use Role::*;
        if kind.is_catalogue() {
            return self.is_hq && matches!(self.role, Admin | Manager);
        }
        matches!(self.role, Clerk | Reviewer | Salesperson | Manager | Admin)
    }

    pub fn can_act(&self, action: &Action) -> bool {
        use Role::*;
        match action {
            Action::Review => matches!(self.role, Clerk | Reviewer | Manager | Admin),
            Action::Audit { .. } => matches!(self.role, Cashier | Manager | Admin),
            Action::HandOver => matches!(self.role, Clerk | Logistics | Manager | Admin),
            Action::Ship { .. } => matches!(self.role, Logistics | Manager | Admin),
            Action::Void { .. } => matches!(self.role, Clerk | Manager | Admin),
        }
    }

    /// Whether this person may make `change`. Office and author come from the session,
    /// never from the change, so a forged office field or client id gets nowhere.
    pub fn authorize(&self, change: &Change) -> Result<(), Denied> {
        if change.by != self.username {
            return Err(Denied::NotTheAuthor { claimed: change.by.clone(), actual: self.username.clone() });
        }
        if change.kind.is_catalogue() {
            if !self.can_edit(change.kind) {
                return Err(Denied::Catalogue(change.kind.as_str()));
            }
        } else if !self.is_hq && change.office != self.office {
            return Err(Denied::OtherOffice { record_office: change.office.clone(), your_office: self.office.clone() });
        }
        if !change.set.is_empty() && !self.can_edit(change.kind) {
            return Err(Denied::EditRole { role: self.role.code(), kind: change.kind.as_str() });
        }
        if let Some(action) = &change.event {
            if change.kind != Kind::Order {
                return Err(Denied::ActionOnKind);
            }
            if !self.can_act(action) {
                return Err(Denied::ActionRole { role: self.role.code(), action: action.code() });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hlc::Hlc;
    use crate::ids::{ChangeId, RecordId};
    use crate::order::PaymentStamp;

    fn actor(role: Role, office: &str) -> Actor {
        Actor { username: "u".into(), role, office: OfficeCode::parse(office).unwrap(), is_hq: office == "HQ" }
    }

    fn change(kind: Kind, office: &str, edits: bool, event: Option<Action>) -> Change {
        let mut set = std::collections::BTreeMap::new();
        if edits {
            set.insert("notes".into(), crate::record::FieldWrite { value: serde_json::json!("x"), replaces: vec![] });
        }
        Change {
            id: ChangeId(uuid::Uuid::from_u128(1)),
            seq: 1,
            kind,
            record: RecordId(uuid::Uuid::from_u128(2)),
            office: OfficeCode::parse(office).unwrap(),
            ts: Hlc::ZERO,
            by: "u".into(),
            set,
            event,
        }
    }

    #[test]
    fn a_branch_writes_only_its_own_office() {
        assert!(actor(Role::Clerk, "GZ").authorize(&change(Kind::Order, "GZ", true, None)).is_ok());
        assert!(matches!(
            actor(Role::Clerk, "GZ").authorize(&change(Kind::Order, "FS", true, None)),
            Err(Denied::OtherOffice { .. })
        ));
        assert!(actor(Role::Clerk, "HQ").authorize(&change(Kind::Order, "FS", true, None)).is_ok());
        assert!(!actor(Role::Clerk, "GZ").can_read(Kind::Order, &OfficeCode::parse("FS").unwrap()));
        assert!(actor(Role::Clerk, "GZ").can_read(Kind::Product, &OfficeCode::parse("HQ").unwrap()));
    }

    #[test]
    fn roles_are_checked_per_change() {
        let audit = Some(Action::Audit { stamp: PaymentStamp::Paid });
        assert!(actor(Role::Cashier, "GZ").authorize(&change(Kind::Order, "GZ", false, audit.clone())).is_ok());
        assert!(actor(Role::Clerk, "GZ").authorize(&change(Kind::Order, "GZ", false, audit)).is_err());
        assert!(actor(Role::Cashier, "GZ").authorize(&change(Kind::Order, "GZ", true, None)).is_err());
        assert!(actor(Role::Clerk, "GZ").authorize(&change(Kind::Product, "HQ", true, None)).is_err());
        assert!(actor(Role::Clerk, "HQ").authorize(&change(Kind::Product, "HQ", true, None)).is_err());
        assert!(actor(Role::Admin, "HQ").authorize(&change(Kind::Product, "HQ", true, None)).is_ok());
    }

    #[test]
    fn the_author_must_be_the_session_user() {
        let mut c = change(Kind::Order, "GZ", true, None);
        c.by = "someone_else".into();
        assert!(matches!(actor(Role::Clerk, "GZ").authorize(&c), Err(Denied::NotTheAuthor { .. })));
    }
}
