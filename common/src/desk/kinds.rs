//! The kinds of record the desk keeps, declared to the engine: their fields and the rule
//! for each, their steps (orders: [`crate::desk::order::WORKFLOW`]), who may edit them,
//! and who may read them. [`DeskRules`] is what the server runs on every change.

use crate::desk::customer;
use crate::desk::money::Fen;
use crate::desk::numbering::OrderNumber;
use crate::desk::order::{self, Action, FieldError, PaymentStamp, Problem};
use crate::desk::payments;
use crate::desk::permissions::{Actor, Role};
use crate::desk::shipping::{self, LineQty};
use crate::desk::time::local_date;
use crate::desk::{cash, opening, reconciliation, stock};
use crate::engine::ids::OfficeCode;
use crate::engine::ids::RecordId;
use crate::engine::push::Rules;
use crate::engine::record::{Change, Kind, RecordState};
use crate::engine::workflow::{self, Refusal, StepKind, Workflow};
use serde_json::Value;

impl Kind {
    pub const ORDER: Kind = Kind::new("order");
    pub const CUSTOMER: Kind = Kind::new("customer");
    pub const PRODUCT: Kind = Kind::new("product");
    pub const STATION: Kind = Kind::new("station");
    pub const SHIPMENT: Kind = Kind::new("shipment");
    /// 货站进返货: a freight station's calls about arrivals and returns.
    pub const STATION_LOG: Kind = Kind::new("station_log");
    /// 回款: a payment received, allocated to orders.
    pub const PAYMENT: Kind = Kind::new("payment");
    /// 对账: a statement sent to a customer and their answer.
    pub const RECONCILIATION: Kind = Kind::new("reconciliation");
    /// 日资金报表: an office's money for one day.
    pub const CASH_DAY: Kind = Kind::new("cash_day");
    /// 期初应收: what a customer owed when the company started on Salesdesk.
    pub const OPENING: Kind = Kind::new("opening");
    /// 月度盘点差异: an office's stock count for one month.
    pub const STOCK_COUNT: Kind = Kind::new("stock_count");
    pub const ALL: [Kind; 11] = [
        Kind::ORDER,
        Kind::CUSTOMER,
        Kind::PRODUCT,
        Kind::STATION,
        Kind::SHIPMENT,
        Kind::STATION_LOG,
        Kind::PAYMENT,
        Kind::RECONCILIATION,
        Kind::CASH_DAY,
        Kind::OPENING,
        Kind::STOCK_COUNT,
    ];

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

static SPECS: [KindSpec; 11] = [
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
        check_deep: customer::check_customer_deep,
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
    KindSpec {
        kind: Kind::SHIPMENT,
        fields: &shipping::field::ALL,
        required: &shipping::field::REQUIRED,
        check: shipping::check_shipment_field,
        check_deep: shipping::check_shipment_deep,
        workflow: Some(&shipping::SHIPMENT_WORKFLOW),
        editors: shipping::SHIPPERS,
        catalogue: false,
        branch_editors: &[],
    },
    KindSpec {
        kind: Kind::STATION_LOG,
        fields: &shipping::log_field::ALL,
        required: &shipping::log_field::REQUIRED,
        check: shipping::check_log_field,
        check_deep: shipping::check_log_deep,
        workflow: Some(&shipping::STATION_LOG_WORKFLOW),
        editors: shipping::STATION_LOGGERS,
        catalogue: false,
        branch_editors: &[],
    },
    KindSpec {
        kind: Kind::PAYMENT,
        fields: &payments::field::ALL,
        required: &payments::field::REQUIRED,
        check: payments::check_payment_field,
        check_deep: payments::check_payment_deep,
        workflow: Some(&payments::PAYMENT_WORKFLOW),
        editors: payments::RECORDERS,
        catalogue: false,
        branch_editors: &[],
    },
    KindSpec {
        kind: Kind::RECONCILIATION,
        fields: &reconciliation::field::ALL,
        required: &reconciliation::field::REQUIRED,
        check: reconciliation::check_field,
        check_deep: |_, _| None,
        workflow: None,
        editors: reconciliation::KEEPERS,
        catalogue: false,
        branch_editors: &[],
    },
    KindSpec {
        kind: Kind::OPENING,
        fields: &opening::field::ALL,
        required: &opening::field::REQUIRED,
        check: opening::check_field,
        check_deep: |_, _| None,
        workflow: None,
        editors: opening::KEEPERS,
        catalogue: false,
        branch_editors: &[],
    },
    KindSpec {
        kind: Kind::CASH_DAY,
        fields: &cash::field::ALL,
        required: &cash::field::REQUIRED,
        check: cash::check_field,
        check_deep: |_, _| None,
        workflow: None,
        editors: cash::KEEPERS,
        catalogue: false,
        branch_editors: &[],
    },
    KindSpec {
        kind: Kind::STOCK_COUNT,
        fields: &stock::field::ALL,
        required: &stock::field::REQUIRED,
        check: stock::check_field,
        check_deep: stock::check_deep,
        workflow: None,
        editors: stock::KEEPERS,
        catalogue: false,
        branch_editors: &[],
    },
];

pub fn spec(kind: Kind) -> Option<&'static KindSpec> {
    SPECS.iter().find(|s| s.kind == kind)
}

/// Which kinds a full device drops first (lowest): orders, then customers; the catalogue
/// last, since lookups need it while taking orders.
pub fn eviction_rank(kind: Kind) -> u8 {
    match kind {
        Kind::ORDER
        | Kind::SHIPMENT
        | Kind::STATION_LOG
        | Kind::PAYMENT
        | Kind::RECONCILIATION
        | Kind::CASH_DAY
        | Kind::OPENING
        | Kind::STOCK_COUNT => 0,
        Kind::CUSTOMER => 1,
        _ => 2,
    }
}

/// What the desk's rules consult beyond the record a change is about. The server reads
/// it from its store; each default knows nothing, so a test gives only what it needs.
pub trait DeskLookup {
    /// The contract / member number the catalogue has for a freight station, by name.
    fn station_contract(&self, _name: &str) -> Option<String> {
        None
    }

    /// An order as the server holds it, for the shipments and returns that name it.
    fn order(&self, _id: RecordId) -> Option<RecordState> {
        None
    }

    /// What the office's confirmed payments have paid towards an order.
    fn paid_for(&self, _office: &OfficeCode, _order: RecordId) -> Fen {
        Fen::ZERO
    }

    /// A customer's credit limit, if one is set, and what they owe or are committed to
    /// besides `order`: (limit, exposure).
    fn credit_of(&self, _office: &OfficeCode, _customer: RecordId, _order: RecordId) -> Option<(Fen, Fen)> {
        None
    }
}

/// A lookup that knows nothing.
pub struct KnowsNothing;

impl DeskLookup for KnowsNothing {}

/// The desk's rules for the changes of one logged-in person on one device.
pub struct DeskRules<'a> {
    pub actor: &'a Actor,
    /// The device's number within the person's office: the one its order numbers carry.
    pub device: u32,
    pub lookup: &'a dyn DeskLookup,
}

impl<'a> DeskRules<'a> {
    /// Rules for someone on device `device`, with nothing to consult.
    pub fn for_actor(actor: &'a Actor, device: u32) -> DeskRules<'a> {
        DeskRules { actor, device, lookup: &KnowsNothing }
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

impl DeskRules<'_> {
    /// The order's own rules beyond its workflow: 代收 needs the station's contract number;
    /// a prepay order goes to logistics (交物流, 发货) once confirmed payments cover it,
    /// unless a manager let it go (放行).
    fn check_order_step(&self, action: &Action, before: &RecordState) -> Result<(), Refusal> {
        if matches!(action, Action::HandOver { .. } | Action::Ship { .. }) {
            let view = order::OrderView::from_record(before);
            let paid = self.lookup.paid_for(&before.office, before.id);
            if payments::prepay_blocks(&view, paid, order::OrderView::overridden(before, order::MoneyRule::Prepay)) {
                return Err(Refusal::new(
                    "unpaid",
                    format!(
                        "a prepay order goes to logistics once payments cover it: {paid} of {} received; a manager may let it go, with a reason",
                        view.total
                    ),
                ));
            }
        }
        // 信用额度: a credit order over the customer's limit is not stamped until a manager
        // lets it go; checked again here because two offline devices may each stay under it.
        if let Action::Audit { .. } = action {
            let view = order::OrderView::from_record(before);
            if let Some(customer) = view.customer {
                let credit = self.lookup.credit_of(&before.office, customer, before.id);
                let over = credit.and_then(|(limit, exposure)| payments::over_credit(&view, Some(limit), exposure));
                if let Some((exposure, limit)) = over {
                    if !order::OrderView::overridden(before, order::MoneyRule::Credit) {
                        return Err(Refusal::new(
                            "over_credit",
                            format!(
                                "the customer owes {exposure} with a limit of {limit}; this order of {} goes over it: a manager may let it go, with a reason",
                                view.total
                            ),
                        ));
                    }
                }
            }
        }
        if let Action::Audit { stamp: PaymentStamp::Collect } = action {
            let view = order::OrderView::from_record(before);
            if order::collect_needs_contract(&view, self.lookup.station_contract(&view.station).as_deref()) {
                return Err(invalid(format!(
                    "collect on delivery needs the contract / member number of {}; add it to the order first",
                    view.station
                )));
            }
        }
        Ok(())
    }

    /// Terms, credit, class and owner of a customer are a manager's to set; a customer
    /// someone else creates starts on prepay with no credit.
    fn check_customer_terms(&self, change: &Change, existing: Option<&RecordState>) -> Result<(), Refusal> {
        for (field, write) in change.set.iter().filter(|(f, _)| customer::MANAGED_FIELDS.contains(&f.as_str())) {
            let starting = existing.is_none()
                && match field.as_str() {
                    "payment" => matches!(write.value.as_str(), Some("prepay" | "")),
                    "credit_limit" => write.value.as_i64() == Some(0),
                    _ => write.value.as_str() == Some(""),
                };
            if !starting {
                return Err(Refusal::new(
                    "forbidden",
                    format!("a customer's {field} is set by a manager; a new customer starts on prepay with no credit"),
                ));
            }
        }
        Ok(())
    }

    /// A shipment or a station-log return names an order of its own office that exists
    /// (and, for a shipment, that has left: its 发货 step), and lines the order has.
    fn check_links(&self, change: &Change, existing: Option<&RecordState>) -> Result<(), Refusal> {
        let (order_field, lines_field, needs_order) = match change.kind {
            Kind::SHIPMENT => (shipping::field::ORDER, shipping::field::LINES, true),
            Kind::STATION_LOG => (shipping::log_field::ORDER, shipping::log_field::LINES, false),
            Kind::PAYMENT => ("", "", false),
            _ => return Ok(()),
        };
        let value = |f: &str| change.set.get(f).map(|w| &w.value).or_else(|| existing.and_then(|e| e.get(f)));
        if change.kind == Kind::PAYMENT {
            // Set against orders: never more than the payment, as it will stand.
            let amount = value(payments::field::AMOUNT).and_then(Value::as_i64).map(Fen);
            if let Some(allocations) = value(payments::field::ALLOCATIONS) {
                payments::check_allocations(allocations, amount).map_err(|e| invalid(e.to_string()))?;
            }
            return Ok(());
        }
        if change.kind == Kind::SHIPMENT {
            let direct = value(shipping::field::DIRECT).and_then(Value::as_bool).unwrap_or(false);
            let full = value(shipping::field::FULL_NAME).and_then(Value::as_str).unwrap_or("");
            if direct && full.trim().is_empty() {
                return Err(invalid("a direct shipment (直发) bears the customer's full legal name: full_name".into()));
            }
        }
        if existing.is_some() && !change.set.contains_key(order_field) && !change.set.contains_key(lines_field) {
            return Ok(());
        }
        let order_id = value(order_field).and_then(Value::as_str).unwrap_or("");
        if order_id.is_empty() && !needs_order {
            return Ok(());
        }
        let id = RecordId::parse(order_id).map_err(|_| invalid(format!("{order_field} is not a record id")))?;
        let Some(order_state) = self.lookup.order(id) else {
            return Err(Refusal::new("not_found", format!("order {order_id} is not known here")));
        };
        // A shipment to a branch is the branch's record (its morning list tells it the
        // goods are coming), made by head office for an order of its own.
        let to_branch = value(shipping::field::TO_BRANCH).and_then(Value::as_str).unwrap_or("");
        let for_branch = change.kind == Kind::SHIPMENT
            && self.actor.is_hq
            && to_branch == change.office.as_str()
            && order_state.office == self.actor.office;
        if order_state.kind != Kind::ORDER || (order_state.office != change.office && !for_branch) {
            return Err(Refusal::new("forbidden", "the order belongs to another office"));
        }
        let view = order::OrderView::from_record(&order_state);
        if change.kind == Kind::SHIPMENT && view.progress.fact.is_none() {
            return Err(Refusal::new("not_ready", "record the order's 发货 step before its shipments"));
        }
        let lines: Vec<LineQty> =
            value(lines_field).and_then(|v| serde::Deserialize::deserialize(v).ok()).unwrap_or_default();
        if let Some(q) = lines.iter().find(|q| q.line >= view.lines.len()) {
            return Err(invalid(format!("the order has no line {}", q.line)));
        }
        Ok(())
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
        if kind == Kind::CUSTOMER && !matches!(role, Role::Manager | Role::Admin) {
            self.check_customer_terms(change, existing)?;
        }
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
        self.check_links(change, existing)?;
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
            if kind == Kind::ORDER {
                let action = Action::from_write(step).map_err(|e| invalid(format!("{} {e}", step.step)))?;
                self.check_order_step(&action, before)?;
            } else if kind == Kind::PAYMENT {
                if let Some(extra) = step.data.keys().next() {
                    return Err(invalid(format!("{} has no detail {extra}", step.step)));
                }
            } else {
                shipping::ShipAction::from_parts(&step.step, &step.data)
                    .map_err(|e| invalid(format!("{} {e}", step.step)))?;
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
                return Err(Refusal::new("forbidden", format!("the {} role may not make {kind} records", role.code())));
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
