//! The kinds of record the desk keeps, declared to the engine: their fields and the rule
//! for each, their steps (orders: [`crate::desk::order::WORKFLOW`]), who may edit them,
//! and who may read them. [`DeskRules`] is what the server runs on every change.

use crate::desk::customer;
use crate::desk::numbering::OrderNumber;
use crate::desk::order::{self, Action, FieldError, PaymentStamp, Problem};
use crate::desk::permissions::{Actor, Role};
use crate::desk::time::local_date;
use crate::engine::push::Rules;
use crate::engine::record::{Change, Kind, RecordState};
use crate::engine::workflow::{self, Refusal, StepKind, Workflow};
use serde_json::Value;

impl Kind {
    pub const ORDER: Kind = Kind::new("order");
    pub const CUSTOMER: Kind = Kind::new("customer");
    pub const PRODUCT: Kind = Kind::new("product");
    pub const STATION: Kind = Kind::new("station");
    pub const ALL: [Kind; 4] = [Kind::ORDER, Kind::CUSTOMER, Kind::PRODUCT, Kind::STATION];

    /// Catalogue kinds are kept by head office and readable by every office.
    pub fn is_catalogue(self) -> bool {
        spec(self).is_some_and(|s| s.catalogue)
    }
}

/// What the desk declares about one kind of record.
pub struct KindSpec {
    pub kind: Kind,
    pub fields: &'static [&'static str],
    /// Fields a new record must set.
    pub required: &'static [&'static str],
    /// The rule for one field's value.
    pub check: fn(&str, &Value) -> Result<(), Problem>,
    /// Fields whose values are checked deeper, naming the inner key (an order's lines).
    pub check_deep: fn(&str, &Value) -> Option<Result<(), FieldError>>,
    /// Steps and the edit table, for kinds that have steps.
    pub workflow: Option<&'static Workflow>,
    /// Kinds without steps: the roles that may edit them (and only at head office for the catalogue).
    pub editors: &'static [Role],
    /// Kept by head office, readable by every office.
    pub catalogue: bool,
    /// For the catalogue: roles at a branch that keep the branch's own records of this
    /// kind (its local carriers); empty if only head office keeps it.
    pub branch_editors: &'static [Role],
}

const DESK: &[Role] = &[Role::Clerk, Role::Reviewer, Role::Salesperson, Role::Manager, Role::Admin];
const HQ_KEEPERS: &[Role] = &[Role::Manager, Role::Admin];
const BRANCH_STATION_KEEPERS: &[Role] = &[Role::Clerk, Role::Manager, Role::Admin];

static SPECS: [KindSpec; 4] = [
    KindSpec {
        kind: Kind::ORDER,
        fields: &order::field::ALL,
        required: &order::field::REQUIRED,
        check: order::check_field,
        check_deep: |name, v| (name == order::field::LINES).then(|| order::check_lines(v)),
        workflow: Some(&order::WORKFLOW),
        editors: DESK,
        catalogue: false,
        branch_editors: &[],
    },
    KindSpec {
        kind: Kind::CUSTOMER,
        fields: customer::CUSTOMER_FIELDS,
        required: &["name"],
        check: customer::check_customer_field,
        check_deep: |_, _| None,
        workflow: None,
        editors: DESK,
        catalogue: false,
        branch_editors: &[],
    },
    KindSpec {
        kind: Kind::PRODUCT,
        fields: customer::PRODUCT_FIELDS,
        required: &["model", "name"],
        check: customer::check_product_field,
        check_deep: |_, _| None,
        workflow: None,
        editors: HQ_KEEPERS,
        catalogue: true,
        branch_editors: &[],
    },
    KindSpec {
        kind: Kind::STATION,
        fields: customer::STATION_FIELDS,
        required: &["name"],
        check: customer::check_station_field,
        check_deep: |_, _| None,
        workflow: None,
        editors: HQ_KEEPERS,
        catalogue: true,
        branch_editors: BRANCH_STATION_KEEPERS,
    },
];

pub fn spec(kind: Kind) -> Option<&'static KindSpec> {
    SPECS.iter().find(|s| s.kind == kind)
}

/// Which kinds a full device drops first (lowest): orders, then customers; the catalogue
/// last, since lookups need it while taking orders.
pub fn eviction_rank(kind: Kind) -> u8 {
    match kind {
        Kind::ORDER => 0,
        Kind::CUSTOMER => 1,
        _ => 2,
    }
}

/// The desk's rules for the changes of one logged-in person on one device.
pub struct DeskRules<'a> {
    pub actor: &'a Actor,
    /// The device's number within the person's office: the one its order numbers carry.
    pub device: u32,
    /// The contract / member number the catalogue has for a freight station, by name.
    pub station_contract: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> DeskRules<'a> {
    /// Rules for someone on device `device`, with no station catalogue to consult.
    pub fn for_actor(actor: &'a Actor, device: u32) -> DeskRules<'a> {
        DeskRules { actor, device, station_contract: &|_| None }
    }

    /// A new order's number names its office, this device and a real day no later than
    /// tomorrow anywhere; once given it never changes.
    fn check_number(&self, change: &Change, existing: Option<&RecordState>, now_ms: u64) -> Result<(), Refusal> {
        let Some(write) = change.set.get(order::field::NUMBER) else { return Ok(()) };
        if existing.is_some() {
            return Err(invalid("an order's number never changes once given".into()));
        }
        let text = write.value.as_str().unwrap_or_default();
        let Some(n) = OrderNumber::parse(text) else {
            return Err(invalid(format!("number {text:?} is not an order number")));
        };
        if n.office != change.office {
            return Err(invalid(format!("number {text} names office {}, the order is {}'s", n.office, change.office)));
        }
        if n.device != self.device {
            return Err(invalid(format!("number {text} names device {}, this is device {}", n.device, self.device)));
        }
        let latest = local_date(now_ms, 14 * 60).plus_days(1);
        match n.day() {
            Some(day) if day <= latest => Ok(()),
            Some(_) => Err(invalid(format!("number {text} is dated after tomorrow"))),
            None => Err(invalid(format!("number {text} does not name a real day"))),
        }
    }
}

fn invalid(message: String) -> Refusal {
    Refusal { code: "invalid", message }
}

impl Rules for DeskRules<'_> {
    fn unique_fields(&self, kind: Kind) -> &'static [&'static str] {
        match kind {
            Kind::ORDER => &[order::field::NUMBER],
            Kind::PRODUCT => &["model"],
            _ => &[],
        }
    }

    fn check(&self, change: &Change, existing: Option<&RecordState>, now_ms: u64) -> Result<(), Refusal> {
        let kind = change.kind;
        let spec = spec(kind).ok_or_else(|| invalid(format!("{kind} is not a kind of record")))?;
        self.actor.authorize(change).map_err(|d| Refusal::new("forbidden", d.to_string()))?;
        for (name, write) in &change.set {
            if !spec.fields.contains(&name.as_str()) {
                return Err(invalid(format!("{name} is not a field of a {kind} record")));
            }
            match (spec.check_deep)(name, &write.value) {
                Some(deep) => deep.map_err(|e| invalid(e.to_string()))?,
                None => (spec.check)(name, &write.value).map_err(|p| invalid(format!("{name} {}", p.message())))?,
            }
        }
        if existing.is_none() {
            if let Some(missing) = spec.required.iter().find(|f| !change.set.contains_key(**f)) {
                return Err(Refusal::new("incomplete", format!("a new {kind} record needs {missing}")));
            }
        }
        let role = self.actor.role;
        let Some(wf) = spec.workflow else {
            if change.event.is_some() {
                return Err(invalid(format!("{kind} records have no steps")));
            }
            let may = if spec.catalogue && !self.actor.is_hq {
                spec.branch_editors.contains(&role)
            } else {
                spec.editors.contains(&role)
            };
            if !may {
                return Err(Refusal::new("forbidden", format!("the {} role may not edit {kind} records", role.code())));
            }
            return Ok(());
        };
        self.check_number(change, existing, now_ms)?;
        let blank;
        let before = match existing {
            Some(s) => s,
            None => {
                blank = RecordState::new(kind, change.record, change.office.clone());
                &blank
            }
        };
        let progress = workflow::progress(wf, before);
        let mut correction = false;
        if let Some(step) = &change.event {
            workflow::check_step(wf, before, &progress, role.code(), step)?;
            let action = Action::from_write(step).map_err(|e| invalid(format!("{} {e}", step.step)))?;
            if let Action::Audit { stamp: PaymentStamp::Collect } = action {
                let view = order::OrderView::from_record(before);
                if order::collect_needs_contract(&view, (self.station_contract)(&view.station).as_deref()) {
                    return Err(invalid(format!(
                        "collect on delivery needs the contract / member number of {}; add it to the order first",
                        view.station
                    )));
                }
            }
            let kind_of_step = wf.step(&step.step).map(|s| s.kind);
            correction = kind_of_step == Some(StepKind::Correction);
            let approves = matches!(kind_of_step, Some(StepKind::Approval | StepKind::Fact));
            if approves && change.set.keys().any(|f| wf.guarded.contains(&f.as_str())) {
                return Err(invalid(format!("a {} step cannot change what it approves in the same change", step.step)));
            }
        }
        if !change.set.is_empty() && !correction {
            if existing.is_none() && !spec.editors.contains(&role) {
                return Err(Refusal::new("forbidden", format!("the {} role may not take orders", role.code())));
            }
            workflow::check_edit(wf, &progress, role.code(), change.set.keys().map(String::as_str))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_declared_once_and_its_required_fields_are_fields() {
        for kind in Kind::ALL {
            let s = spec(kind).unwrap();
            assert_eq!(s.kind, kind);
            assert!(s.required.iter().all(|r| s.fields.contains(r)), "{kind:?}");
        }
        assert!(Kind::PRODUCT.is_catalogue() && Kind::STATION.is_catalogue());
        assert!(!Kind::ORDER.is_catalogue() && !Kind::CUSTOMER.is_catalogue());
        assert!(spec(Kind::new("invoice")).is_none());
    }
}
