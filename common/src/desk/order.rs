//! Orders (销售单): fields, lines, validation, and status derived from events.

pub use crate::desk::admin::Paper;
use crate::desk::money::{Fen, MoneyError};
use crate::desk::permissions::Role;
use crate::desk::time::Date;
use crate::engine::hlc::Hlc;
use crate::engine::ids::{OfficeCode, RecordId};
use crate::engine::record::{Event, FieldConflict, RecordState, StepWrite};
use crate::engine::workflow::{self, Cancelled, EditEffect, EditRow, Progress, Refusal, StepKind, StepSpec, Workflow};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// How the customer pays (结款方式).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentTerms {
    /// 款到发货: ship only once paid.
    Prepay,
    /// 货到付款: chase payment after arrival.
    OnArrival,
    /// 月结: settled monthly.
    Monthly,
    /// 现款: paid at the counter.
    Cash,
}

impl PaymentTerms {
    pub const ALL: [PaymentTerms; 4] =
        [PaymentTerms::Prepay, PaymentTerms::OnArrival, PaymentTerms::Monthly, PaymentTerms::Cash];

    pub fn code(self) -> &'static str {
        match self {
            PaymentTerms::Prepay => "prepay",
            PaymentTerms::OnArrival => "on_arrival",
            PaymentTerms::Monthly => "monthly",
            PaymentTerms::Cash => "cash",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentTerms> {
        PaymentTerms::ALL.into_iter().find(|p| p.code() == s)
    }
}

/// The cashier's stamp (收银章).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStamp {
    /// 代收: the carrier collects on delivery.
    Collect,
    /// 外地应收: an out-of-town receivable.
    Receivable,
    /// 取款: paid / collected.
    Paid,
}

impl PaymentStamp {
    /// The stamp's code, as serde writes it (and the list index stores it).
    pub fn code(self) -> &'static str {
        match self {
            PaymentStamp::Collect => "collect",
            PaymentStamp::Receivable => "receivable",
            PaymentStamp::Paid => "paid",
        }
    }

    /// The stamp from its code, as serde reads it (the list reads stamps from thousands
    /// of stored steps without a reader per type).
    pub fn parse(code: &str) -> Option<PaymentStamp> {
        match code {
            "collect" => Some(PaymentStamp::Collect),
            "receivable" => Some(PaymentStamp::Receivable),
            "paid" => Some(PaymentStamp::Paid),
            _ => None,
        }
    }
}

/// A step on an order, typed. On the wire and in the record it is a generic step event
/// ([`StepWrite`]): its code, its details as `data`, and what it approved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// 复核: the person who took the order checked the typed form.
    Review,
    /// 收银审核: the cashier audited it and stamped the payment mode.
    Audit { stamp: PaymentStamp },
    /// 交物流: picking, customer and warehouse copies handed to logistics: who there
    /// received them (the person who counts twice, 点二遍人员) and which copies. Both may
    /// be missing from hand-overs recorded before they were asked for.
    HandOver {
        #[serde(default)]
        received_by: String,
        #[serde(default)]
        copies: Vec<String>,
    },
    /// 发货: left with a freight station. The first shipment record closes the order; its
    /// waybills and packages are summed here, the details are in the shipment.
    Ship {
        waybill: String,
        packages: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shipment: Option<RecordId>,
    },
    /// 作废: voided; the record stays.
    Void { reason: String },
    /// 撤销作废: a void that met a shipment is withdrawn; the order stays shipped.
    Unvoid,
    /// 确认作废并通知物流拦截: the void stands over the shipment; logistics intercepts the goods.
    ConfirmVoid,
    /// 更正: a manager changes a shipped order, with a reason.
    Correct { reason: String },
    /// 打印: a form printed from this order (the first, or a reprint: each press counts).
    Print { form: PrintForm, paper: Paper },
    /// 放行: a manager lets the order past a rule about money (a prepay order not yet
    /// covered by payments), with the reason.
    Override { rule: MoneyRule, reason: String },
}

/// A rule about money a manager may override for one order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoneyRule {
    /// 款到发货: goes to logistics once payments cover it.
    Prepay,
    /// 信用额度: a credit order (月结, 货到付款) that takes the customer over their limit.
    Credit,
}

/// What is printed from an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintForm {
    /// 销售单四联: picking, cashier, customer, warehouse stub.
    Order,
    /// 送货单三联: a local delivery's note: stub, customer, receipt to bring back.
    Delivery,
}

/// A typed step's details as its event carries them: its fields, without the `type` tag
/// that names the step.
pub(crate) fn step_data<T: Serialize>(step: &T) -> BTreeMap<String, Value> {
    match serde_json::to_value(step) {
        Ok(Value::Object(mut m)) => {
            m.remove("type");
            crate::sort::map_of(m)
        }
        _ => BTreeMap::new(),
    }
}

pub const MAX_WAYBILL: usize = 40;
pub const MAX_PACKAGES: u32 = 9_999;
pub const MAX_REASON: usize = 200;
pub const MAX_RECEIVER: usize = 40;
/// The copies of the four-part form that can go to logistics: picking, customer, warehouse
/// stub (the cashier keeps hers).
pub const HAND_OVER_COPIES: [&str; 4] = ["picking", "customer", "stub", "cashier"];

impl Action {
    /// 交物流 to `received_by`, with the picking, customer and warehouse copies.
    pub fn hand_over(received_by: &str) -> Action {
        Action::HandOver {
            received_by: received_by.to_string(),
            copies: ["picking", "customer", "stub"].map(String::from).to_vec(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Action::Review => "review",
            Action::Audit { .. } => "audit",
            Action::HandOver { .. } => "hand_over",
            Action::Ship { .. } => "ship",
            Action::Void { .. } => "void",
            Action::Unvoid => "unvoid",
            Action::ConfirmVoid => "confirm_void",
            Action::Correct { .. } => "correct",
            Action::Print { .. } => "print",
            Action::Override { .. } => "override",
        }
    }

    /// The step's details, as the step event carries them.
    pub fn data(&self) -> BTreeMap<String, Value> {
        step_data(self)
    }

    /// The step event a person makes on the order as they see it (`state`).
    pub fn to_write(&self, state: Option<&RecordState>) -> StepWrite {
        WORKFLOW.step_write(state, self.code(), self.data())
    }

    /// Reads and checks a step event's details: every detail known, none missing, each
    /// within its limits (a waybill number and at least one package to ship; a reason to
    /// void or correct).
    pub fn from_write(write: &StepWrite) -> Result<Action, FieldError> {
        Action::from_parts(&write.step, &write.data)
    }

    pub fn from_event(event: &Event) -> Result<Action, FieldError> {
        Action::from_parts(&event.step, &event.data)
    }

    fn from_parts(step: &str, data: &BTreeMap<String, Value>) -> Result<Action, FieldError> {
        let action = Action::read_parts(step, data)?;
        Action::check(action, data)
    }

    /// The step `step` with its details `data`, as they are (their shape, not their limits).
    pub(crate) fn read_parts(step: &str, data: &BTreeMap<String, Value>) -> Result<Action, FieldError> {
        let d = Details { data, named: true };
        let action = match step {
            "review" => d.only(&[]).map(|()| Action::Review)?,
            "audit" => {
                d.only(&["stamp"])?;
                Action::Audit { stamp: d.choice("stamp")? }
            }
            "hand_over" => {
                d.only(&["copies", "received_by"])?;
                Action::HandOver { received_by: d.text_or_empty("received_by")?, copies: d.texts("copies")? }
            }
            "ship" => {
                d.only(&["packages", "shipment", "waybill"])?;
                Action::Ship {
                    waybill: d.text("waybill")?,
                    packages: d.count("packages")?,
                    shipment: d.id("shipment")?,
                }
            }
            "void" => {
                d.only(&["reason"])?;
                Action::Void { reason: d.text("reason")? }
            }
            "unvoid" => d.only(&[]).map(|()| Action::Unvoid)?,
            "confirm_void" => d.only(&[]).map(|()| Action::ConfirmVoid)?,
            "correct" => {
                d.only(&["reason"])?;
                Action::Correct { reason: d.text("reason")? }
            }
            "print" => {
                d.only(&["form", "paper"])?;
                Action::Print { form: d.choice("form")?, paper: d.choice("paper")? }
            }
            "override" => {
                d.only(&["reason", "rule"])?;
                Action::Override { rule: d.choice("rule")?, reason: d.text("reason")? }
            }
            _ => return Err(FieldError::new("step", Problem::UnknownChoice)),
        };
        Ok(action)
    }

    /// A step read from its details, within its limits.
    fn check(action: Action, data: &BTreeMap<String, Value>) -> Result<Action, FieldError> {
        // A detail the step does not have is named, even where serde would let it pass.
        let known = action.data();
        if let Some(extra) = data.keys().find(|k| !known.contains_key(*k)) {
            return Err(FieldError::new(extra.clone(), Problem::UnknownField));
        }
        let text = |field: &str, value: &str, max: usize| {
            if value.trim().is_empty() {
                Err(FieldError::new(field, Problem::Required))
            } else if value.chars().count() > max {
                Err(FieldError::new(field, Problem::TooLong))
            } else {
                Ok(())
            }
        };
        match &action {
            Action::Ship { waybill, packages, .. } => {
                text("waybill", waybill, MAX_WAYBILL)?;
                if *packages == 0 {
                    return Err(FieldError::new("packages", Problem::MustBePositive));
                }
                if *packages > MAX_PACKAGES {
                    return Err(FieldError::new("packages", Problem::TooLarge));
                }
            }
            Action::Void { reason } | Action::Correct { reason } | Action::Override { reason, .. } => {
                text("reason", reason, MAX_REASON)?
            }
            Action::HandOver { received_by, copies } => {
                if received_by.chars().count() > MAX_RECEIVER {
                    return Err(FieldError::new("received_by", Problem::TooLong).with_limit(MAX_RECEIVER));
                }
                if copies.iter().any(|c| !HAND_OVER_COPIES.contains(&c.as_str())) {
                    return Err(FieldError::new("copies", Problem::UnknownChoice));
                }
            }
            _ => {}
        }
        Ok(action)
    }
}

/// A step's details, read by hand rather than by a derived reader over JSON values (which
/// was 17 KB of the browser app for `Action`). Problems are named as serde named them: an
/// unknown detail, a missing one, a value of the wrong type; `named: false` puts them all
/// on `data` (shipment steps).
pub(crate) struct Details<'a> {
    pub data: &'a BTreeMap<String, Value>,
    pub named: bool,
}

impl Details<'_> {
    fn at(&self, key: &str, problem: Problem) -> FieldError {
        FieldError::new(if self.named { key } else { "data" }, problem)
    }

    fn wrong(&self) -> FieldError {
        FieldError::new("data", Problem::WrongType)
    }

    /// Every detail is one of `known`; else the first that is not is named.
    pub fn only(&self, known: &[&str]) -> Result<(), FieldError> {
        match self.data.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(self.at(k, Problem::UnknownField)),
            None => Ok(()),
        }
    }

    fn get(&self, key: &str) -> Result<&Value, FieldError> {
        self.data.get(key).ok_or_else(|| self.at(key, Problem::Required))
    }

    pub fn text(&self, key: &str) -> Result<String, FieldError> {
        self.get(key)?.as_str().map(str::to_string).ok_or_else(|| self.wrong())
    }

    /// A text that older records may not have.
    pub fn text_or_empty(&self, key: &str) -> Result<String, FieldError> {
        if self.data.contains_key(key) {
            self.text(key)
        } else {
            Ok(String::new())
        }
    }

    /// A list of texts that older records may not have.
    pub fn texts(&self, key: &str) -> Result<Vec<String>, FieldError> {
        match self.data.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                items.iter().map(|v| v.as_str().map(str::to_string).ok_or_else(|| self.wrong())).collect()
            }
            Some(_) => Err(self.wrong()),
        }
    }

    pub fn flag(&self, key: &str) -> Result<bool, FieldError> {
        match self.data.get(key) {
            None => Ok(false),
            Some(v) => v.as_bool().ok_or_else(|| self.wrong()),
        }
    }

    fn count(&self, key: &str) -> Result<u32, FieldError> {
        self.get(key)?.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| self.wrong())
    }

    fn id(&self, key: &str) -> Result<Option<RecordId>, FieldError> {
        match self.data.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_str().and_then(|s| RecordId::parse(s).ok()).map(Some).ok_or_else(|| self.wrong()),
        }
    }

    /// One of a few codes (a stamp, a form, a paper, a rule): an unknown one is an unknown
    /// choice of step, as serde's "unknown variant" was read.
    fn choice<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<T, FieldError> {
        let v = self.get(key)?;
        match v.as_str() {
            Some(s) => serde_json::from_value(Value::String(s.to_string()))
                .map_err(|_| FieldError::new("step", Problem::UnknownChoice)),
            None => Err(self.wrong()),
        }
    }
}

const CLERK: &str = Role::Clerk.code();
const REVIEWER: &str = Role::Reviewer.code();
const CASHIER: &str = Role::Cashier.code();
const LOGISTICS: &str = Role::Logistics.code();
const SALESPERSON: &str = Role::Salesperson.code();
const MANAGER: &str = Role::Manager.code();
const ADMIN: &str = Role::Admin.code();

/// The order's steps and its edit table: who may take each step, and who may still
/// change an order at each stage. An edit of a guarded field after a step sends the order
/// back for that step (it shows 已改,需重新复核 with old → new); an edit the table does not
/// allow is refused. After 发货 or 作废 nothing is edited: a manager's 更正 is the only way.
///
/// | stage (furthest step that counts) | may change what approvals hold | may change phone, notes |
/// |---|---|---|
/// | entered (none) | clerk, reviewer, salesperson, manager, admin | the same |
/// | reviewed (复核) | clerk, reviewer, manager, admin — back to 复核 | clerk, reviewer, manager, admin |
/// | audited (收银审核) | manager, admin — back to 复核 and 收银审核 | clerk, reviewer, manager, admin |
/// | handed over (交物流) | manager, admin — back to every step | clerk, reviewer, manager, admin |
/// | shipped (发货), voided (作废) | nobody: refused; 更正 by manager, admin | nobody |
pub const WORKFLOW: Workflow = Workflow {
    guarded: &[
        field::CUSTOMER,
        field::CUSTOMER_NAME,
        field::LINES,
        field::PAYMENT,
        field::STATION,
        field::STATION_CONTRACT,
        field::ADDRESS,
        field::DELIVERY_DATE,
    ],
    steps: &[
        StepSpec { code: "review", kind: StepKind::Approval, after: &[], who: &[CLERK, REVIEWER, MANAGER, ADMIN] },
        StepSpec { code: "audit", kind: StepKind::Approval, after: &["review"], who: &[CASHIER, MANAGER, ADMIN] },
        StepSpec {
            code: "hand_over",
            kind: StepKind::Approval,
            after: &["audit"],
            who: &[CLERK, LOGISTICS, MANAGER, ADMIN],
        },
        StepSpec {
            code: "ship",
            kind: StepKind::Fact,
            after: &["audit", "hand_over"],
            who: &[LOGISTICS, MANAGER, ADMIN],
        },
        StepSpec { code: "void", kind: StepKind::Cancel, after: &[], who: &[CLERK, MANAGER, ADMIN] },
        StepSpec { code: "unvoid", kind: StepKind::Uncancel, after: &[], who: &[MANAGER, ADMIN] },
        StepSpec { code: "confirm_void", kind: StepKind::ConfirmCancel, after: &[], who: &[MANAGER, ADMIN] },
        StepSpec { code: "correct", kind: StepKind::Correction, after: &[], who: &[MANAGER, ADMIN] },
        StepSpec {
            code: "print",
            kind: StepKind::Note,
            after: &["review"],
            who: &[CLERK, REVIEWER, CASHIER, LOGISTICS, SALESPERSON, MANAGER, ADMIN],
        },
        StepSpec { code: "override", kind: StepKind::Note, after: &[], who: &[MANAGER, ADMIN] },
    ],
    edits: &[
        EditRow {
            stage: "",
            guarded: &[CLERK, REVIEWER, SALESPERSON, MANAGER, ADMIN],
            other: &[CLERK, REVIEWER, SALESPERSON, MANAGER, ADMIN],
        },
        EditRow {
            stage: "review",
            guarded: &[CLERK, REVIEWER, MANAGER, ADMIN],
            other: &[CLERK, REVIEWER, MANAGER, ADMIN],
        },
        EditRow { stage: "audit", guarded: &[MANAGER, ADMIN], other: &[CLERK, REVIEWER, MANAGER, ADMIN] },
        EditRow { stage: "hand_over", guarded: &[MANAGER, ADMIN], other: &[CLERK, REVIEWER, MANAGER, ADMIN] },
    ],
    fixed: false,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 已录入
    Entered,
    /// 已复核
    Reviewed,
    /// 已审核
    Audited,
    /// 已交物流
    HandedOver,
    /// 部分发货: some goods left, some are still to ship.
    PartlyShipped,
    /// 已发货
    Shipped,
    /// 已作废
    Voided,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Entered,
        Status::Reviewed,
        Status::Audited,
        Status::HandedOver,
        Status::PartlyShipped,
        Status::Shipped,
        Status::Voided,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Entered => "entered",
            Status::Reviewed => "reviewed",
            Status::Audited => "audited",
            Status::HandedOver => "handed_over",
            Status::PartlyShipped => "partly_shipped",
            Status::Shipped => "shipped",
            Status::Voided => "voided",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.code() == s)
    }

    /// The status the steps that count give. A void contested by a shipment shows as
    /// shipped (the goods left) with the conflict beside it.
    pub fn of(progress: &Progress) -> Status {
        match (&progress.cancelled, progress.stage) {
            (Cancelled::Yes { .. } | Cancelled::OverFact { .. }, _) => Status::Voided,
            (_, Some("ship")) => Status::Shipped,
            (_, Some("hand_over")) => Status::HandedOver,
            (_, Some("audit")) => Status::Audited,
            (_, Some("review")) => Status::Reviewed,
            _ => Status::Entered,
        }
    }
}

/// One row of the order grid (明细).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<RecordId>,
    pub model: String,
    pub name: String,
    pub quantity: i64,
    #[serde(default)]
    pub unit: String,
    pub unit_price: Fen,
}

impl OrderLine {
    pub fn amount(&self) -> Result<Fen, MoneyError> {
        self.unit_price.times(self.quantity)
    }
}

/// What can be wrong with a field, in words the UI translates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    Required,
    TooLong,
    NotANumber,
    NotAWholeNumber,
    MustBePositive,
    Negative,
    TooManyDecimals,
    TooLarge,
    InvalidDate,
    InvalidPhone,
    NoLines,
    LineWithoutProduct,
    UnknownChoice,
    WrongType,
    UnknownField,
    /// Another record holds this value (a product's model).
    Taken,
}

impl Problem {
    /// Plain English, for API error messages; the UI has its own translations.
    pub fn message(self) -> &'static str {
        match self {
            Problem::Required => "is required",
            Problem::TooLong => "is too long",
            Problem::NotANumber => "is not a number",
            Problem::NotAWholeNumber => "must be a whole number",
            Problem::MustBePositive => "must be greater than zero",
            Problem::Negative => "must not be negative",
            Problem::TooManyDecimals => "has more than two decimals",
            Problem::TooLarge => "is too large",
            Problem::InvalidDate => "is not a valid date (YYYY-MM-DD)",
            Problem::InvalidPhone => "is not a phone number",
            Problem::NoLines => "needs at least one line",
            Problem::LineWithoutProduct => "has a quantity or price but no product",
            Problem::UnknownChoice => "is not one of the allowed choices",
            Problem::WrongType => "has the wrong type",
            Problem::UnknownField => {
                "is not a known key (a field of this record, a key of a line or a detail of the step)"
            }
            Problem::Taken => "is already used by another record",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// `customer_name`, or `lines.2.quantity` for a cell of the grid.
    pub field: String,
    pub problem: Problem,
    /// The limit broken, for messages that state it ("最多 500 字", "1–1,000,000").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: Problem) -> FieldError {
        FieldError { field: field.into(), problem, limit: None }
    }

    pub fn with_limit(mut self, limit: impl TryInto<i64>) -> FieldError {
        self.limit = limit.try_into().ok();
        self
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.field, self.problem.message())
    }
}

pub const MAX_QUANTITY: i64 = 1_000_000;
pub const MAX_NOTES: usize = 500;
pub const MAX_LINES: usize = 200;

/// The field names of an order record. Anything else in a change is refused.
pub mod field {
    pub const NUMBER: &str = "number";
    pub const CUSTOMER: &str = "customer";
    pub const CUSTOMER_NAME: &str = "customer_name";
    pub const PHONE: &str = "phone";
    pub const ADDRESS: &str = "address";
    pub const LINES: &str = "lines";
    pub const STATION: &str = "station";
    pub const STATION_CONTRACT: &str = "station_contract";
    pub const DELIVERY_DATE: &str = "delivery_date";
    pub const PAYMENT: &str = "payment";
    pub const NOTES: &str = "notes";
    /// The desk read the order back to the customer (当客户报完产品后,内勤要再重复一遍).
    pub const READ_BACK: &str = "read_back";
    pub const ALL: [&str; 12] = [
        NUMBER,
        CUSTOMER,
        CUSTOMER_NAME,
        PHONE,
        ADDRESS,
        LINES,
        STATION,
        STATION_CONTRACT,
        DELIVERY_DATE,
        PAYMENT,
        NOTES,
        READ_BACK,
    ];
    /// Fields a new order must have.
    pub const REQUIRED: [&str; 4] = [NUMBER, CUSTOMER_NAME, LINES, PAYMENT];
}

/// The order form as typed: every box a string, lines as the grid shows them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderDraft {
    pub customer: Option<RecordId>,
    pub customer_name: String,
    pub phone: String,
    pub address: String,
    pub station: String,
    pub station_contract: String,
    pub delivery_date: String,
    pub payment: String,
    pub notes: String,
    pub lines: Vec<LineDraft>,
    /// Read back to the customer before saving.
    #[serde(default)]
    pub read_back: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LineDraft {
    pub product: Option<RecordId>,
    pub model: String,
    pub name: String,
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
}

impl LineDraft {
    /// The grid always ends in an empty row; empty rows are not lines.
    pub fn is_blank(&self) -> bool {
        self.product.is_none()
            && [&self.model, &self.name, &self.quantity, &self.unit, &self.unit_price]
                .iter()
                .all(|s| s.trim().is_empty())
    }

    /// The amount shown live in the grid while typing, if the row parses.
    pub fn amount(&self) -> Option<Fen> {
        let q = Fen::parse_whole(&self.quantity)?;
        Fen::parse(&self.unit_price).ok()?.times(q).ok()
    }
}

/// A validated order's editable fields, ready to become writes.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderFields {
    pub customer: Option<RecordId>,
    pub customer_name: String,
    pub phone: String,
    pub address: String,
    pub station: String,
    pub station_contract: String,
    pub delivery_date: Option<Date>,
    pub payment: PaymentTerms,
    pub notes: String,
    pub lines: Vec<OrderLine>,
    pub read_back: bool,
}

fn text(errors: &mut Vec<FieldError>, field: &str, value: &str, required: bool, max_chars: usize) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        errors.push(FieldError::new(field, Problem::Required));
    } else if v.chars().count() > max_chars {
        errors.push(FieldError::new(field, Problem::TooLong).with_limit(max_chars));
    }
    v.to_string()
}

/// Phone numbers as the desk writes them: digits with optional `+`, spaces, dashes, and
/// an extension; 5 to 20 digits.
pub fn is_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (5..=20).contains(&digits) && s.chars().all(|c| c.is_ascii_digit() || " +-()转#".contains(c))
}

pub fn money_problem(e: MoneyError) -> Problem {
    match e {
        MoneyError::Empty => Problem::Required,
        MoneyError::Invalid(_) => Problem::NotANumber,
        MoneyError::TooManyDecimals => Problem::TooManyDecimals,
        MoneyError::TooLarge => Problem::TooLarge,
    }
}

fn check_line(errors: &mut Vec<FieldError>, i: usize, line: &OrderLine) {
    let f = |name: &str| format!("lines.{i}.{name}");
    if line.product.is_none() && line.model.trim().is_empty() && line.name.trim().is_empty() {
        errors.push(FieldError::new(f("model"), Problem::LineWithoutProduct));
    }
    if line.model.chars().count() > 60 {
        errors.push(FieldError::new(f("model"), Problem::TooLong).with_limit(60));
    }
    if line.name.chars().count() > 100 {
        errors.push(FieldError::new(f("name"), Problem::TooLong).with_limit(100));
    }
    if line.unit.chars().count() > 10 {
        errors.push(FieldError::new(f("unit"), Problem::TooLong).with_limit(10));
    }
    if line.quantity <= 0 {
        errors.push(FieldError::new(f("quantity"), Problem::MustBePositive).with_limit(MAX_QUANTITY));
    } else if line.quantity > MAX_QUANTITY {
        errors.push(FieldError::new(f("quantity"), Problem::TooLarge).with_limit(MAX_QUANTITY));
    }
    if line.unit_price.0 < 0 {
        errors.push(FieldError::new(f("unit_price"), Problem::Negative));
    } else if line.amount().is_err() {
        errors.push(FieldError::new(f("unit_price"), Problem::TooLarge));
    }
}

impl OrderDraft {
    /// Every problem at once, each tied to its field, so the form can mark them all.
    pub fn validate(&self) -> Result<OrderFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let customer_name = text(&mut errors, field::CUSTOMER_NAME, &self.customer_name, true, 100);
        let phone = text(&mut errors, field::PHONE, &self.phone, false, 40);
        if !phone.is_empty() && !is_phone(&phone) {
            errors.push(FieldError::new(field::PHONE, Problem::InvalidPhone));
        }
        let address = text(&mut errors, field::ADDRESS, &self.address, false, 200);
        let station = text(&mut errors, field::STATION, &self.station, false, 60);
        let station_contract = text(&mut errors, field::STATION_CONTRACT, &self.station_contract, false, 60);
        let notes = text(&mut errors, field::NOTES, &self.notes, false, MAX_NOTES);
        let delivery_date = match self.delivery_date.trim() {
            "" => None,
            s => {
                let d = Date::parse(s);
                if d.is_none() {
                    errors.push(FieldError::new(field::DELIVERY_DATE, Problem::InvalidDate));
                }
                d
            }
        };
        let payment = match self.payment.trim() {
            "" => {
                errors.push(FieldError::new(field::PAYMENT, Problem::Required));
                PaymentTerms::Prepay
            }
            s => PaymentTerms::parse(s).unwrap_or_else(|| {
                errors.push(FieldError::new(field::PAYMENT, Problem::UnknownChoice));
                PaymentTerms::Prepay
            }),
        };
        let mut lines = Vec::new();
        for (i, draft) in self.lines.iter().enumerate().filter(|(_, l)| !l.is_blank()) {
            let before = errors.len();
            let quantity = match draft.quantity.trim() {
                "" => {
                    errors.push(FieldError::new(format!("lines.{i}.quantity"), Problem::Required));
                    0
                }
                q => Fen::parse_whole(q).unwrap_or_else(|| {
                    let p = if Fen::parse(q).is_ok() { Problem::NotAWholeNumber } else { Problem::NotANumber };
                    errors.push(FieldError::new(format!("lines.{i}.quantity"), p).with_limit(MAX_QUANTITY));
                    0
                }),
            };
            let unit_price = Fen::parse(&draft.unit_price).unwrap_or_else(|e| {
                errors.push(FieldError::new(format!("lines.{i}.unit_price"), money_problem(e)));
                Fen::ZERO
            });
            let line = OrderLine {
                product: draft.product,
                model: draft.model.trim().to_string(),
                name: draft.name.trim().to_string(),
                quantity,
                unit: draft.unit.trim().to_string(),
                unit_price,
            };
            // Every problem of the line at once; a box that did not parse keeps that one.
            let mut rules = Vec::new();
            check_line(&mut rules, i, &line);
            let unparsed: Vec<String> = errors[before..].iter().map(|e| e.field.clone()).collect();
            errors.extend(rules.into_iter().filter(|e| !unparsed.contains(&e.field)));
            lines.push(line);
        }
        if lines.is_empty() {
            errors.push(FieldError::new(field::LINES, Problem::NoLines));
        } else if lines.len() > MAX_LINES {
            errors.push(FieldError::new(field::LINES, Problem::TooLarge));
        }
        if errors.is_empty() {
            Ok(OrderFields {
                customer: self.customer,
                customer_name,
                phone,
                address,
                station,
                station_contract,
                delivery_date,
                payment,
                notes,
                lines,
                read_back: self.read_back,
            })
        } else {
            Err(errors)
        }
    }

    /// The form filled in from a stored order, for editing.
    pub fn from_view(order: &OrderView) -> OrderDraft {
        OrderDraft {
            customer: order.customer,
            customer_name: order.customer_name.clone(),
            phone: order.phone.clone(),
            address: order.address.clone(),
            station: order.station.clone(),
            station_contract: order.station_contract.clone(),
            delivery_date: order.delivery_date.clone(),
            payment: order.payment.map(|p| p.code().to_string()).unwrap_or_default(),
            notes: order.notes.clone(),
            lines: order
                .lines
                .iter()
                .map(|l| LineDraft {
                    product: l.product,
                    model: l.model.clone(),
                    name: l.name.clone(),
                    quantity: l.quantity.to_string(),
                    unit: l.unit.clone(),
                    unit_price: l.unit_price.to_plain(),
                })
                .collect(),
            read_back: order.read_back,
        }
    }

    pub fn total(&self) -> Fen {
        self.lines.iter().filter_map(LineDraft::amount).fold(Fen::ZERO, |a, b| a.checked_add(b).unwrap_or(a))
    }
}

/// Something to confirm before saving: not wrong, but unusual enough to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// The delivery date has passed.
    PastDeliveryDate,
    /// The total is beyond [`LARGE_TOTAL`]: a slipped digit?
    LargeTotal,
    /// The same customer ordered the same lines minutes ago: this order's number.
    Duplicate(String),
    /// A credit order that takes the customer over their limit: the cashier cannot stamp
    /// it until a manager lets it go. What they owe already, and the limit.
    OverCredit { exposure: Fen, limit: Fen },
}

/// Totals above this are confirmed before saving (¥1,000,000).
pub const LARGE_TOTAL: Fen = Fen(100_000_000);
/// The same order for the same customer within this window is asked about.
pub const DUPLICATE_WINDOW_MS: u64 = 10 * 60 * 1000;

impl OrderFields {
    /// What to confirm before saving this order, taken at `now_ms` on `today`.
    /// `others`: orders on this device; `editing`: the order being changed, if any.
    pub fn warnings<'a>(
        &self,
        today: Date,
        now_ms: u64,
        others: impl IntoIterator<Item = &'a OrderView>,
        editing: Option<RecordId>,
    ) -> Vec<Warning> {
        let mut out = Vec::new();
        if self.delivery_date.is_some_and(|d| d < today) {
            out.push(Warning::PastDeliveryDate);
        }
        if self.total() > LARGE_TOTAL {
            out.push(Warning::LargeTotal);
        }
        let same_lines = |o: &OrderView| {
            o.lines.len() == self.lines.len()
                && o.lines.iter().zip(&self.lines).all(|(a, b)| {
                    (a.model.as_str(), a.quantity, a.unit_price) == (b.model.as_str(), b.quantity, b.unit_price)
                })
        };
        let twin = others.into_iter().find(|o| {
            Some(o.id) != editing
                && o.status != Status::Voided
                && o.customer_name.trim() == self.customer_name.trim()
                && o.created.is_some_and(|c| now_ms.saturating_sub(c.wall_ms) <= DUPLICATE_WINDOW_MS)
                && same_lines(o)
        });
        if let Some(o) = twin {
            out.push(Warning::Duplicate(o.number.clone()));
        }
        out
    }
}

impl OrderDraft {
    /// The form as the rules read it: a delivery date typed the short way (`明天`, `+3`,
    /// `12-05`) made a full date; anything else left for [`OrderDraft::validate`] to judge.
    pub fn normalized(&self, today: Date) -> OrderDraft {
        let mut d = self.clone();
        if let Some(date) = Date::from_input(&d.delivery_date, today) {
            d.delivery_date = date.to_string();
        }
        d
    }

    /// A typical phone order: a branch customer, four lines of sanitary ware. Benchmarks and
    /// tests use it so that they all measure the same thing.
    pub fn sample(n: usize) -> OrderDraft {
        OrderDraft {
            customer_name: format!("佛山市美居建材商行{n}"),
            phone: "0757-2233 4455".into(),
            address: "佛山市顺德区大良街道 88 号".into(),
            station: "德邦物流".into(),
            station_contract: "DB-6601".into(),
            payment: "on_arrival".into(),
            lines: (0..4)
                .map(|i| LineDraft {
                    model: format!("AJ-88{i:02}"),
                    name: "单把手面盆龙头".into(),
                    quantity: "12".into(),
                    unit: "个".into(),
                    unit_price: "128.50".into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }
}

impl OrderFields {
    /// The record fields these values set (all but the number, which is fixed at creation).
    pub fn to_values(&self) -> BTreeMap<String, Value> {
        let mut m = BTreeMap::new();
        m.insert(field::CUSTOMER.into(), self.customer.map(|c| json!(c)).unwrap_or(Value::Null));
        m.insert(field::CUSTOMER_NAME.into(), json!(self.customer_name));
        m.insert(field::PHONE.into(), json!(self.phone));
        m.insert(field::ADDRESS.into(), json!(self.address));
        m.insert(field::STATION.into(), json!(self.station));
        m.insert(field::STATION_CONTRACT.into(), json!(self.station_contract));
        m.insert(field::DELIVERY_DATE.into(), json!(self.delivery_date.map(|d| d.to_string()).unwrap_or_default()));
        m.insert(field::PAYMENT.into(), json!(self.payment.code()));
        m.insert(field::NOTES.into(), json!(self.notes));
        m.insert(field::LINES.into(), serde_json::to_value(&self.lines).unwrap_or(Value::Null));
        if self.read_back {
            m.insert(field::READ_BACK.into(), json!(true));
        }
        m
    }

    pub fn total(&self) -> Fen {
        self.lines.iter().filter_map(|l| l.amount().ok()).fold(Fen::ZERO, |a, b| a.checked_add(b).unwrap_or(a))
    }

    /// The fields whose values differ from what `order` holds: what saving would write,
    /// and so what the edit table is asked about.
    pub fn changed(&self, order: &RecordState) -> Vec<&'static str> {
        let values = self.to_values();
        field::ALL.iter().copied().filter(|f| values.get(*f).is_some_and(|v| order.get(f) != Some(v))).collect()
    }
}

/// Checks one field value arriving in a change, with the same rules as the form.
/// A text field arriving in a change: a string, not blank if required, at most `max` characters.
/// A field naming another record by id: a UUID, or empty for none (and `null` where
/// `null_too`: a payment's customer).
pub(crate) fn check_link(value: &Value, null_too: bool) -> Result<(), Problem> {
    match value {
        Value::Null if null_too => Ok(()),
        Value::String(s) if s.is_empty() => Ok(()),
        Value::String(s) => RecordId::parse(s).map(|_| ()).map_err(|_| Problem::WrongType),
        _ => Err(Problem::WrongType),
    }
}

pub(crate) fn check_text(value: &Value, max: usize, required: bool) -> Result<(), Problem> {
    let s = value.as_str().ok_or(Problem::WrongType)?;
    if required && s.trim().is_empty() {
        return Err(Problem::Required);
    }
    if s.chars().count() > max {
        return Err(Problem::TooLong);
    }
    Ok(())
}

/// A phone field arriving in a change: empty, or a phone number.
pub(crate) fn check_phone(value: &Value) -> Result<(), Problem> {
    check_text(value, 40, false)?;
    let s = value.as_str().unwrap_or("").trim();
    if s.is_empty() || is_phone(s) {
        Ok(())
    } else {
        Err(Problem::InvalidPhone)
    }
}

pub fn check_field(name: &str, value: &Value) -> Result<(), Problem> {
    let as_text = |max: usize, required: bool| check_text(value, max, required);
    match name {
        field::NUMBER => {
            let s = value.as_str().ok_or(Problem::WrongType)?;
            crate::desk::numbering::OrderNumber::parse(s).map(|_| ()).ok_or(Problem::UnknownChoice)
        }
        field::CUSTOMER => match value {
            Value::Null => Ok(()),
            Value::String(s) => RecordId::parse(s).map(|_| ()).map_err(|_| Problem::WrongType),
            _ => Err(Problem::WrongType),
        },
        field::CUSTOMER_NAME => as_text(100, true),
        field::PHONE => check_phone(value),
        field::ADDRESS => as_text(200, false),
        field::STATION | field::STATION_CONTRACT => as_text(60, false),
        field::NOTES => as_text(MAX_NOTES, false),
        field::READ_BACK => value.as_bool().map(|_| ()).ok_or(Problem::WrongType),
        field::DELIVERY_DATE => {
            let s = value.as_str().ok_or(Problem::WrongType)?;
            if s.is_empty() || Date::parse(s).is_some() {
                Ok(())
            } else {
                Err(Problem::InvalidDate)
            }
        }
        field::PAYMENT => {
            let s = value.as_str().ok_or(Problem::WrongType)?;
            PaymentTerms::parse(s).map(|_| ()).ok_or(Problem::UnknownChoice)
        }
        field::LINES => check_lines(value).map_err(|e| e.problem),
        _ => Err(Problem::UnknownField),
    }
}

/// The keys of a line: `product` and `unit` may be left out, the others are required.
pub const LINE_KEYS: [&str; 6] = ["product", "model", "name", "quantity", "unit", "unit_price"];
pub const LINE_REQUIRED: [&str; 4] = ["model", "name", "quantity", "unit_price"];

/// The `lines` of an order arriving in a change, checked key by key: the first problem,
/// named down to its line and key (`lines.2.colour`, `lines.0.quantity`).
pub fn check_lines(value: &Value) -> Result<(), FieldError> {
    let at = |path: String, p: Problem| FieldError::new(path, p);
    let lines = value.as_array().ok_or_else(|| at(field::LINES.into(), Problem::WrongType))?;
    if lines.is_empty() {
        return Err(at(field::LINES.into(), Problem::NoLines));
    }
    if lines.len() > MAX_LINES {
        return Err(at(field::LINES.into(), Problem::TooLarge).with_limit(MAX_LINES));
    }
    let mut errors = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let obj = raw.as_object().ok_or_else(|| at(format!("lines.{i}"), Problem::WrongType))?;
        if let Some(key) = obj.keys().find(|k| !LINE_KEYS.contains(&k.as_str())) {
            return Err(at(format!("lines.{i}.{key}"), Problem::UnknownField));
        }
        if let Some(key) = LINE_REQUIRED.iter().find(|k| !obj.contains_key(**k)) {
            return Err(at(format!("lines.{i}.{key}"), Problem::Required));
        }
        let line = OrderLine::deserialize(raw).map_err(|_| {
            let bad = LINE_KEYS.iter().find(|k| {
                let v = obj.get(**k);
                let ok = match **k {
                    "product" => v.is_none_or(|v| v.as_str().is_some_and(|s| RecordId::parse(s).is_ok())),
                    "quantity" | "unit_price" => v.is_some_and(|v| v.as_i64().is_some()),
                    _ => v.is_none_or(Value::is_string),
                };
                !ok
            });
            at(format!("lines.{i}.{}", bad.unwrap_or(&"quantity")), Problem::WrongType)
        })?;
        check_line(&mut errors, i, &line);
        if let Some(e) = errors.first() {
            return Err(e.clone());
        }
    }
    Ok(())
}

/// An order as the screens show it, read from the merged record.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderView {
    pub id: RecordId,
    pub office: OfficeCode,
    pub number: String,
    pub customer: Option<RecordId>,
    pub customer_name: String,
    pub phone: String,
    pub address: String,
    pub station: String,
    pub station_contract: String,
    pub delivery_date: String,
    pub payment: Option<PaymentTerms>,
    pub notes: String,
    pub lines: Vec<OrderLine>,
    /// Read back to the customer.
    pub read_back: bool,
    pub total: Fen,
    pub status: Status,
    /// Where the order stands in its steps: what counts, what was sent back, what clashes.
    pub progress: Progress,
    /// The cashier's stamp, while the audit counts.
    pub stamp: Option<PaymentStamp>,
    /// The waybill and package count of the latest shipment.
    pub shipment: Option<(String, u32)>,
    /// Why it was voided, while it is.
    pub void_reason: Option<String>,
    pub created: Option<Hlc>,
    pub field_conflicts: Vec<FieldConflict>,
    /// The number, customer name and phone as the order list's search compares them
    /// ([`crate::desk::search::searchable`]): worked out once, not on every keystroke.
    pub search: String,
}

/// What a search of orders matches (number, customer name, phone; see
/// [`crate::desk::search::TextQuery::matches`]): the list's rows hold it, and the server
/// keeps it beside each stored order so a search reads no order it does not send.
pub fn search_text(state: &RecordState) -> String {
    search_of(state.get_str(field::NUMBER), state.get_str(field::CUSTOMER_NAME), state.get_str(field::PHONE))
}

/// [`search_text`] from the number, customer name and phone themselves (the list index
/// stores them, not the search text).
pub fn search_of(number: &str, customer_name: &str, phone: &str) -> String {
    crate::desk::search::searchable(&[number, customer_name, phone])
}

impl OrderView {
    pub fn from_record(state: &RecordState) -> OrderView {
        let s = |f: &str| state.get_str(f).to_string();
        // Read from the stored JSON in place (a list derives thousands of these).
        let lines: Vec<OrderLine> = crate::desk::stored::list(state.get(field::LINES), crate::desk::stored::order_line);
        let total = lines.iter().filter_map(|l| l.amount().ok()).fold(Fen::ZERO, |a, b| a.checked_add(b).unwrap_or(a));
        let progress = workflow::progress(&WORKFLOW, state);
        // A detail of the step `step` at `at`, read where it lies: every step was checked
        // whole when it was written and again by the server, and reading it whole here
        // (`Action::from_event`) would bring every step's reader into the core app.
        let detail = |at: Option<&Hlc>, step: &str, key: &str| {
            at.and_then(|t| state.events.get(t)).filter(|e| e.step == step).and_then(|e| e.data.get(key))
        };
        let text = |at, step, key| detail(at, step, key).and_then(Value::as_str).map(str::to_string);
        let stamp = detail(progress.counting.get("audit"), "audit", "stamp")
            .and_then(Value::as_str)
            .and_then(PaymentStamp::parse);
        let shipped = progress.fact.as_ref().map(|(_, t)| t);
        let shipment = text(shipped, "ship", "waybill")
            .zip(detail(shipped, "ship", "packages").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()));
        let void_reason = match &progress.cancelled {
            Cancelled::Yes { at, .. } | Cancelled::OverFact { at, .. } | Cancelled::Contested { at, .. } => {
                text(Some(at), "void", "reason")
            }
            Cancelled::No => None,
        };
        let number = s(field::NUMBER);
        let customer_name = s(field::CUSTOMER_NAME);
        let phone = s(field::PHONE);
        OrderView {
            id: state.id,
            office: state.office.clone(),
            search: search_text(state),
            number,
            customer: state.get(field::CUSTOMER).and_then(Value::as_str).and_then(|c| RecordId::parse(c).ok()),
            customer_name,
            phone,
            address: s(field::ADDRESS),
            station: s(field::STATION),
            station_contract: s(field::STATION_CONTRACT),
            delivery_date: s(field::DELIVERY_DATE),
            payment: PaymentTerms::parse(state.get_str(field::PAYMENT)),
            notes: s(field::NOTES),
            lines,
            read_back: state.get(field::READ_BACK).and_then(Value::as_bool).unwrap_or(false),
            total,
            status: Status::of(&progress),
            progress,
            stamp,
            shipment,
            void_reason,
            created: state.created(),
            field_conflicts: state.conflicts(),
        }
    }

    /// A same-field conflict or a clash of steps: someone must settle it.
    pub fn has_conflict(&self) -> bool {
        !self.field_conflicts.is_empty() || !self.progress.conflicts.is_empty()
    }

    /// The status once its shipments are known: 部分发货 while goods are still to ship.
    pub fn apply_shipping(&mut self, shipping: &crate::desk::shipping::Shipping) {
        if self.status == Status::Shipped && shipping.partial() {
            self.status = Status::PartlyShipped;
        }
        if !shipping.waybills.is_empty() {
            let numbers: Vec<&str> = shipping.waybills.iter().map(|w| w.number.as_str()).collect();
            let packages = shipping.waybills.iter().map(|w| w.packages).sum();
            self.shipment = Some((numbers.join(", "), packages));
        }
    }

    /// Whether a manager let this order past `rule` (放行).
    pub fn overridden(state: &RecordState, rule: MoneyRule) -> bool {
        state
            .events
            .values()
            .any(|e| matches!(Action::from_event(e), Ok(Action::Override { rule: r, .. }) if r == rule))
    }

    /// How many times a form was printed from this order: the first press and reprints.
    pub fn prints(&self, state: &RecordState, form: PrintForm) -> usize {
        state
            .events
            .values()
            .filter(|e| e.step == "print")
            .filter(|e| matches!(Action::from_event(e), Ok(Action::Print { form: f, .. }) if f == form))
            .count()
    }

    /// Steps the order must take again because it changed after them (复核, 收银审核, ...).
    pub fn needs_again(&self) -> Vec<&'static str> {
        self.progress.sent_back.iter().map(|s| s.step).collect()
    }
}

/// Whether `role` takes orders (开单) at all: the edit table's first row.
pub fn may_take_orders(role: Role) -> bool {
    WORKFLOW.edits.first().is_some_and(|row| row.guarded.contains(&role.code()))
}

/// The stamp a cashier is offered first, following the order's terms: 货到付款 is collected
/// by the carrier (代收), 月结 is an out-of-town receivable (外地应收), prepay and cash are
/// paid (取款).
pub fn default_stamp(terms: Option<PaymentTerms>) -> PaymentStamp {
    match terms {
        Some(PaymentTerms::OnArrival) => PaymentStamp::Collect,
        Some(PaymentTerms::Monthly) => PaymentStamp::Receivable,
        _ => PaymentStamp::Paid,
    }
}

pub fn stamp_code(s: PaymentStamp) -> &'static str {
    match s {
        PaymentStamp::Collect => "collect",
        PaymentStamp::Receivable => "receivable",
        PaymentStamp::Paid => "paid",
    }
}

/// A 代收 order must carry its station's contract / member number when the station has
/// one: the station asks for it when it hands over the money it collected.
/// `station_contract`: the number the catalogue has for the order's station, if any.
pub fn collect_needs_contract(order: &OrderView, station_contract: Option<&str>) -> bool {
    station_contract.is_some_and(|c| !c.trim().is_empty()) && order.station_contract.trim().is_empty()
}

/// The steps `role` can take on this order now, in workflow order: the same rules the
/// server applies, so a button shown is a step the server accepts.
pub fn offered_steps(state: &RecordState, role: Role) -> Vec<&'static str> {
    workflow::offered(&WORKFLOW, state, role.code())
}

/// Whether `role` may edit this order now, and which steps an edit of what approvals
/// hold would send it back for.
pub fn edit_effect(state: &RecordState, role: Role, fields: &[&str]) -> Result<EditEffect, Refusal> {
    let progress = workflow::progress(&WORKFLOW, state);
    workflow::check_edit(&WORKFLOW, &progress, role.code(), fields.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_parses_from_the_code_serde_writes_and_nothing_else() {
        for stamp in [PaymentStamp::Collect, PaymentStamp::Receivable, PaymentStamp::Paid] {
            let code = serde_json::to_value(stamp).unwrap();
            assert_eq!(PaymentStamp::parse(code.as_str().unwrap()), Some(stamp));
        }
        assert_eq!(PaymentStamp::parse("Paid"), None);
        assert_eq!(PaymentStamp::parse(""), None);
    }

    #[test]
    fn every_step_reads_back_from_its_details_and_bad_details_are_named() {
        let shipment = RecordId(uuid::Uuid::from_u128(5));
        for a in [
            Action::Review,
            Action::Audit { stamp: PaymentStamp::Collect },
            Action::hand_over("王工"),
            Action::Ship { waybill: "DB-1".into(), packages: 2, shipment: Some(shipment) },
            Action::Ship { waybill: "DB-2".into(), packages: 1, shipment: None },
            Action::Void { reason: "重复下单".into() },
            Action::Unvoid,
            Action::ConfirmVoid,
            Action::Correct { reason: "改价".into() },
            Action::Print { form: PrintForm::Delivery, paper: crate::desk::admin::Paper::A5 },
            Action::Override { rule: MoneyRule::Credit, reason: "老客户".into() },
        ] {
            assert_eq!(Action::from_parts(a.code(), &a.data()), Ok(a.clone()), "{a:?}");
        }
        // Hand-overs recorded before whom and which copies were asked for still read.
        assert_eq!(
            Action::from_parts("hand_over", &BTreeMap::new()),
            Ok(Action::HandOver { received_by: String::new(), copies: Vec::new() })
        );
        let data = |pairs: &[(&str, Value)]| pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        let problem = |step: &str, pairs: &[(&str, Value)]| {
            let e = Action::from_parts(step, &data(pairs)).unwrap_err();
            (e.field, e.problem)
        };
        let named = |f: &str, p: Problem| (f.to_string(), p);
        assert_eq!(problem("ship", &[("packages", json!(1))]), named("waybill", Problem::Required));
        assert_eq!(
            problem("ship", &[("waybill", json!("DB-1")), ("packages", json!("two"))]),
            named("data", Problem::WrongType)
        );
        assert_eq!(
            problem("ship", &[("waybill", json!("DB-1")), ("packages", json!(-1))]),
            named("data", Problem::WrongType)
        );
        assert_eq!(problem("audit", &[("stamp", json!("cash"))]), named("step", Problem::UnknownChoice));
        assert_eq!(problem("audit", &[("stamp", json!(1))]), named("data", Problem::WrongType));
        assert_eq!(
            problem("void", &[("reason", json!("x")), ("why", json!("y"))]),
            named("why", Problem::UnknownField)
        );
        assert_eq!(problem("review", &[("type", json!("audit"))]), named("type", Problem::UnknownField));
        assert_eq!(problem("dance", &[]), named("step", Problem::UnknownChoice));
        assert_eq!(problem("hand_over", &[("copies", json!(["picking", 3]))]), named("data", Problem::WrongType));

        // Shipment steps put every problem on `data`.
        use crate::desk::shipping::ShipAction;
        let receipt = data(&[("date", json!("2026-12-01")), ("signer", json!("陈"))]);
        assert_eq!(
            ShipAction::from_parts("receipt", &receipt),
            Ok(ShipAction::Receipt { date: "2026-12-01".into(), signer: "陈".into(), letter: false })
        );
        let e = ShipAction::from_parts("notify", &BTreeMap::new()).unwrap_err();
        assert_eq!((e.field.as_str(), e.problem), ("data", Problem::Required));
        let e = ShipAction::from_parts("print", &data(&[("copies", json!(2))])).unwrap_err();
        assert_eq!((e.field.as_str(), e.problem), ("data", Problem::UnknownField));
    }

    fn good_draft() -> OrderDraft {
        OrderDraft {
            customer_name: "佛山市顺德区美居建材".into(),
            phone: "0757-2233 4455".into(),
            address: "顺德区大良街道 88 号".into(),
            station: "德邦物流".into(),
            station_contract: "HY-2231".into(),
            delivery_date: "2026-12-01".into(),
            payment: "on_arrival".into(),
            lines: vec![
                LineDraft {
                    model: "AJ-8801".into(),
                    name: "单把手面盆龙头".into(),
                    quantity: "12".into(),
                    unit: "个".into(),
                    unit_price: "128.50".into(),
                    ..Default::default()
                },
                LineDraft::default(),
            ],
            ..Default::default()
        }
    }

    fn problems(d: &OrderDraft) -> Vec<(String, Problem)> {
        d.validate().unwrap_err().into_iter().map(|e| (e.field, e.problem)).collect()
    }

    #[test]
    fn a_complete_draft_validates_and_the_blank_row_is_ignored() {
        let fields = good_draft().validate().unwrap();
        assert_eq!(fields.lines.len(), 1);
        assert_eq!(fields.total(), Fen(154_200));
        assert_eq!(fields.payment, PaymentTerms::OnArrival);
    }

    #[test]
    fn errors_name_the_field_in_plain_terms() {
        let mut d = good_draft();
        d.customer_name = "  ".into();
        d.lines[0].quantity = "0".into();
        d.lines.push(LineDraft { quantity: "3".into(), unit_price: "-1".into(), ..Default::default() });
        assert_eq!(
            problems(&d),
            vec![
                ("customer_name".into(), Problem::Required),
                ("lines.0.quantity".into(), Problem::MustBePositive),
                ("lines.2.model".into(), Problem::LineWithoutProduct),
                ("lines.2.unit_price".into(), Problem::Negative),
            ]
        );
    }

    #[test]
    fn every_problem_of_a_line_is_named_at_once_with_its_limit() {
        let mut d = good_draft();
        d.lines[0].quantity = "0".into();
        d.lines[0].unit_price = String::new();
        let errs = d.validate().unwrap_err();
        let got: Vec<(&str, Problem, Option<i64>)> =
            errs.iter().map(|e| (e.field.as_str(), e.problem, e.limit)).collect();
        assert_eq!(
            got,
            vec![
                ("lines.0.unit_price", Problem::Required, None),
                ("lines.0.quantity", Problem::MustBePositive, Some(MAX_QUANTITY)),
            ]
        );
        d.lines[0].quantity = "1".into();
        d.lines[0].unit_price = "1".into();
        d.notes = "备".repeat(MAX_NOTES + 120);
        let errs = d.validate().unwrap_err();
        assert_eq!((errs[0].field.as_str(), errs[0].problem, errs[0].limit), ("notes", Problem::TooLong, Some(500)));
    }

    #[test]
    fn an_order_needs_a_line_and_payment_terms() {
        let mut d = good_draft();
        d.lines = vec![LineDraft::default()];
        d.payment = String::new();
        assert_eq!(problems(&d), vec![("payment".into(), Problem::Required), ("lines".into(), Problem::NoLines)]);
    }

    #[test]
    fn bad_numbers_and_dates_are_named() {
        let mut d = good_draft();
        d.lines[0].quantity = "1.5".into();
        d.lines[0].unit_price = "12.345".into();
        d.delivery_date = "2026-02-30".into();
        d.phone = "call me".into();
        assert_eq!(
            problems(&d),
            vec![
                ("phone".into(), Problem::InvalidPhone),
                ("delivery_date".into(), Problem::InvalidDate),
                ("lines.0.quantity".into(), Problem::NotAWholeNumber),
                ("lines.0.unit_price".into(), Problem::TooManyDecimals),
            ]
        );
    }

    #[test]
    fn an_edit_is_known_by_the_fields_it_changes() {
        let fields = good_draft().validate().unwrap();
        let id = RecordId(uuid::Uuid::from_u128(3));
        let office = crate::engine::ids::OfficeCode::parse("FS").unwrap();
        let mut state = RecordState::new(crate::engine::record::Kind::ORDER, id, office);
        let writes = state.writes_for(&fields.to_values());
        for (name, w) in writes {
            state.fields.or_default(name.as_str()).heads.insert(Hlc::ZERO, w.value);
        }
        assert!(fields.changed(&state).is_empty());
        let mut notes_only = fields.clone();
        notes_only.notes = "下午送".into();
        assert_eq!(notes_only.changed(&state), vec![field::NOTES]);
        let mut more = fields;
        more.lines[0].quantity = 30;
        assert_eq!(more.changed(&state), vec![field::LINES]);
    }

    #[test]
    fn unusual_orders_are_asked_about_before_saving() {
        let today = Date::parse("2026-11-29").unwrap();
        let mut d = good_draft();
        d.delivery_date = "2026-11-28".into();
        let f = d.validate().unwrap();
        assert_eq!(f.warnings(today, 0, [], None), vec![Warning::PastDeliveryDate]);
        d.delivery_date = "明天".into();
        let f = d.normalized(today).validate().unwrap();
        assert_eq!(f.delivery_date.map(|x| x.to_string()).as_deref(), Some("2026-11-30"));
        assert!(f.warnings(today, 0, [], None).is_empty());
        d.lines[0].quantity = "1000000".into();
        d.lines[0].unit_price = "128.50".into();
        assert_eq!(d.normalized(today).validate().unwrap().warnings(today, 0, [], None), vec![Warning::LargeTotal]);
        // The same order for the same customer, five minutes after the first.
        let first = good_draft().validate().unwrap();
        let mut values = first.to_values();
        values.insert("number".into(), json!("FS-261129-01-001"));
        let id = RecordId(uuid::Uuid::from_u128(7));
        let office = crate::engine::ids::OfficeCode::parse("FS").unwrap();
        let blank = RecordState::new(crate::engine::record::Kind::ORDER, id, office.clone());
        let c = crate::engine::record::Change {
            id: crate::engine::ids::ChangeId(uuid::Uuid::from_u128(8)),
            seq: 0,
            kind: crate::engine::record::Kind::ORDER,
            record: id,
            office,
            ts: Hlc { wall_ms: 1_000_000, counter: 0, node: 1 },
            by: "u".into(),
            set: blank.writes_for(&values),
            event: None,
        };
        let earlier = OrderView::from_record(&RecordState::from_change(&c));
        let again = good_draft().validate().unwrap();
        let five_min_later = 1_000_000 + 5 * 60 * 1000;
        assert_eq!(
            again.warnings(today, five_min_later, [&earlier], None),
            vec![Warning::Duplicate("FS-261129-01-001".into())]
        );
        assert!(again.warnings(today, five_min_later, [&earlier], Some(id)).is_empty(), "editing it is not a twin");
        assert!(again.warnings(today, five_min_later + DUPLICATE_WINDOW_MS, [&earlier], None).is_empty());
    }

    #[test]
    fn the_server_checks_fields_with_the_same_rules() {
        let fields = good_draft().validate().unwrap();
        for (name, value) in fields.to_values() {
            assert_eq!(check_field(&name, &value), Ok(()), "{name}");
        }
        assert_eq!(check_field("lines", &json!([])), Err(Problem::NoLines));
        assert_eq!(
            check_field("lines", &json!([{"model": "X", "name": "", "quantity": 0, "unit_price": 5}])),
            Err(Problem::MustBePositive)
        );
        assert_eq!(
            check_field("lines", &json!([{"model": "X", "name": "", "quantity": 1, "unit_price": "5"}])),
            Err(Problem::WrongType)
        );
        assert_eq!(check_field("customer_name", &json!(42)), Err(Problem::WrongType));
        assert_eq!(check_field("payment", &json!("barter")), Err(Problem::UnknownChoice));
        assert_eq!(check_field("discount", &json!(1)), Err(Problem::UnknownField));
    }
}
