//! Shipments (发货) and the freight-station log (货站进返货): records of their own, never
//! edits of the order. What an order has shipped, still has to ship and got back is
//! derived from them ([`summarize`]), so two offices recording shipments of one order at
//! once, offline, both count, and too much shipped shows instead of vanishing.
//!
//! Both kinds are facts once made ([`Workflow::fixed`]): the goods left or came back. A
//! wrong one is put right by a manager's 更正 with a reason, kept in its history.

use crate::desk::money::Fen;
use crate::desk::order::{self, check_phone, check_text, FieldError, OrderView, Problem, MAX_QUANTITY};
use crate::desk::permissions::Role;
use crate::desk::stored;
use crate::desk::time::{local, Date};
use crate::engine::hlc::Hlc;
use crate::engine::ids::{OfficeCode, RecordId};
use crate::engine::record::{Event, RecordState, StepWrite};
use crate::engine::workflow::{self, Progress, StepKind, StepSpec, Workflow};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const MAX_WAYBILLS: usize = 20;
pub const MAX_WAYBILL: usize = order::MAX_WAYBILL;
pub const MAX_PACKAGES: u32 = order::MAX_PACKAGES;
/// The desk calls about a shipment by this hour of the morning after it left, unless the
/// office sets another.
pub const DEFAULT_NOTICE_HOUR: u32 = 10;
/// A shipment neither signed for nor returned after this many days is listed.
pub const DEFAULT_RECEIPT_DAYS: i64 = 7;

/// The field names of a shipment.
pub mod field {
    pub const ORDER: &str = "order";
    pub const ORDER_NUMBER: &str = "order_number";
    pub const CUSTOMER_NAME: &str = "customer_name";
    pub const PHONE: &str = "phone";
    pub const STATION: &str = "station";
    pub const STATION_PHONE: &str = "station_phone";
    pub const STATION_CONTRACT: &str = "station_contract";
    pub const SHIP_DATE: &str = "ship_date";
    pub const EXPECTED: &str = "expected_arrival";
    pub const WAYBILLS: &str = "waybills";
    pub const LINES: &str = "lines";
    /// 直发: shipped straight to the customer, bearing their full legal name.
    pub const DIRECT: &str = "direct";
    pub const FULL_NAME: &str = "full_name";
    /// Goods for a branch: a packing list goes in the box (内有清单).
    pub const TO_BRANCH: &str = "to_branch";
    pub const NOTES: &str = "notes";
    pub const ALL: [&str; 15] = [
        ORDER,
        ORDER_NUMBER,
        CUSTOMER_NAME,
        PHONE,
        STATION,
        STATION_PHONE,
        STATION_CONTRACT,
        SHIP_DATE,
        EXPECTED,
        WAYBILLS,
        LINES,
        DIRECT,
        FULL_NAME,
        TO_BRANCH,
        NOTES,
    ];
    pub const REQUIRED: [&str; 5] = [ORDER, STATION, SHIP_DATE, WAYBILLS, LINES];
}

/// One waybill (运单) of a shipment and the packages it covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waybill {
    pub number: String,
    pub packages: u32,
}

/// A quantity of one of the order's lines, shipped or returned. `line` is the line's
/// place in the order; `model` says which product it was when recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineQty {
    pub line: usize,
    pub model: String,
    #[serde(default)]
    pub name: String,
    pub quantity: i64,
}

const CLERK: &str = Role::Clerk.code();
const REVIEWER: &str = Role::Reviewer.code();
const LOGISTICS: &str = Role::Logistics.code();
const SALESPERSON: &str = Role::Salesperson.code();
const MANAGER: &str = Role::Manager.code();
const ADMIN: &str = Role::Admin.code();

/// Who records a shipment: logistics, and managers.
pub const SHIPPERS: &[Role] = &[Role::Logistics, Role::Manager, Role::Admin];
/// Who writes the freight-station log: the desk takes the station's calls.
pub const STATION_LOGGERS: &[Role] = &[Role::Clerk, Role::Reviewer, Role::Logistics, Role::Manager, Role::Admin];

/// A shipment's steps: the morning call (发货通知) and the receipt (签收) are notes that
/// approve nothing; a correction (更正) by a manager is the only change after it is made.
pub const SHIPMENT_WORKFLOW: Workflow = Workflow {
    guarded: &[
        field::ORDER,
        field::STATION,
        field::STATION_CONTRACT,
        field::SHIP_DATE,
        field::EXPECTED,
        field::WAYBILLS,
        field::LINES,
        field::DIRECT,
        field::FULL_NAME,
        field::TO_BRANCH,
    ],
    steps: &[
        StepSpec {
            code: "notify",
            kind: StepKind::Note,
            after: &[],
            who: &[CLERK, REVIEWER, SALESPERSON, LOGISTICS, MANAGER, ADMIN],
        },
        StepSpec {
            code: "receipt",
            kind: StepKind::Note,
            after: &[],
            who: &[CLERK, REVIEWER, SALESPERSON, LOGISTICS, MANAGER, ADMIN],
        },
        StepSpec { code: "correct", kind: StepKind::Correction, after: &[], who: &[MANAGER, ADMIN] },
        StepSpec {
            code: "print",
            kind: StepKind::Note,
            after: &[],
            who: &[CLERK, REVIEWER, SALESPERSON, LOGISTICS, MANAGER, ADMIN],
        },
    ],
    edits: &[workflow::EditRow {
        stage: "",
        guarded: &[LOGISTICS, MANAGER, ADMIN],
        other: &[LOGISTICS, MANAGER, ADMIN],
    }],
    fixed: true,
};

/// The freight-station log's steps: printing its two-part note, and corrections.
pub const STATION_LOG_WORKFLOW: Workflow = Workflow {
    guarded: &[],
    steps: &[
        StepSpec {
            code: "print",
            kind: StepKind::Note,
            after: &[],
            who: &[CLERK, REVIEWER, LOGISTICS, MANAGER, ADMIN],
        },
        StepSpec { code: "correct", kind: StepKind::Correction, after: &[], who: &[MANAGER, ADMIN] },
    ],
    edits: &[workflow::EditRow {
        stage: "",
        guarded: &[CLERK, REVIEWER, LOGISTICS, MANAGER, ADMIN],
        other: &[CLERK, REVIEWER, LOGISTICS, MANAGER, ADMIN],
    }],
    fixed: true,
};

/// A step on a shipment or a station-log entry, typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ShipAction {
    /// 发货通知: the customer was told; whom the desk spoke to and what was said.
    Notify {
        spoke_to: String,
        #[serde(default)]
        said: String,
    },
    /// 签收: the customer confirmed receipt; when, who signed, whether the confirmation
    /// letter (收货确认函) came back.
    Receipt {
        date: String,
        signer: String,
        #[serde(default)]
        letter: bool,
    },
    /// 更正: a manager puts a shipment or a log entry right, with a reason.
    Correct { reason: String },
    /// A paper printed from it (each press counts): `form` names which (the station's
    /// two-part note, a shipment's confirmation letter or packing list).
    Print {
        #[serde(default)]
        form: String,
    },
}

pub const MAX_NOTE: usize = 200;
/// What can be printed from a shipment or a station-log entry.
pub const PRINT_FORMS: [&str; 3] = ["station_note", "letter", "packing"];

impl ShipAction {
    pub fn code(&self) -> &'static str {
        match self {
            ShipAction::Notify { .. } => "notify",
            ShipAction::Receipt { .. } => "receipt",
            ShipAction::Correct { .. } => "correct",
            ShipAction::Print { .. } => "print",
        }
    }

    pub fn data(&self) -> BTreeMap<String, Value> {
        order::step_data(self)
    }

    pub fn to_write(&self, wf: &Workflow, state: Option<&RecordState>) -> StepWrite {
        wf.step_write(state, self.code(), self.data())
    }

    /// Reads and checks a step's details: every detail known, the required ones given.
    pub fn from_parts(step: &str, data: &BTreeMap<String, Value>) -> Result<ShipAction, FieldError> {
        let d = order::Details { data, named: false };
        let action = match step {
            "notify" => {
                d.only(&["said", "spoke_to"])?;
                ShipAction::Notify { spoke_to: d.text("spoke_to")?, said: d.text_or_empty("said")? }
            }
            "receipt" => {
                d.only(&["date", "letter", "signer"])?;
                ShipAction::Receipt { date: d.text("date")?, signer: d.text("signer")?, letter: d.flag("letter")? }
            }
            "correct" => {
                d.only(&["reason"])?;
                ShipAction::Correct { reason: d.text("reason")? }
            }
            "print" => {
                d.only(&["form"])?;
                ShipAction::Print { form: d.text_or_empty("form")? }
            }
            _ => return Err(FieldError::new("data", Problem::WrongType)),
        };
        let text = |f: &str, v: &str, required: bool| {
            if required && v.trim().is_empty() {
                Err(FieldError::new(f, Problem::Required))
            } else if v.chars().count() > MAX_NOTE {
                Err(FieldError::new(f, Problem::TooLong).with_limit(MAX_NOTE))
            } else {
                Ok(())
            }
        };
        match &action {
            ShipAction::Notify { spoke_to, said } => {
                text("spoke_to", spoke_to, true)?;
                text("said", said, false)?;
            }
            ShipAction::Receipt { date, signer, .. } => {
                if Date::parse(date).is_none() {
                    return Err(FieldError::new("date", Problem::InvalidDate));
                }
                text("signer", signer, true)?;
            }
            ShipAction::Correct { reason } => text("reason", reason, true)?,
            ShipAction::Print { form } => {
                if !PRINT_FORMS.contains(&form.as_str()) {
                    return Err(FieldError::new("form", Problem::UnknownChoice));
                }
            }
        }
        Ok(action)
    }

    pub fn from_event(e: &Event) -> Result<ShipAction, FieldError> {
        ShipAction::from_parts(&e.step, &e.data)
    }
}

fn check_date(value: &Value, required: bool) -> Result<(), Problem> {
    let s = value.as_str().ok_or(Problem::WrongType)?;
    match (s.is_empty(), Date::parse(s)) {
        (true, _) if required => Err(Problem::Required),
        (true, _) | (false, Some(_)) => Ok(()),
        (false, None) => Err(Problem::InvalidDate),
    }
}

fn check_id(value: &Value, required: bool) -> Result<(), Problem> {
    match value {
        Value::String(s) if s.is_empty() && !required => Ok(()),
        Value::String(s) => RecordId::parse(s).map(|_| ()).map_err(|_| Problem::WrongType),
        Value::Null if !required => Ok(()),
        _ => Err(Problem::WrongType),
    }
}

/// A list of line quantities arriving in a change: at least one, each positive and
/// within the limits.
pub fn check_line_qtys(name: &str, value: &Value, required: bool) -> Result<(), FieldError> {
    let at = |path: String, p: Problem| FieldError::new(path, p);
    let items = value.as_array().ok_or_else(|| at(name.into(), Problem::WrongType))?;
    if items.is_empty() && required {
        return Err(at(name.into(), Problem::NoLines));
    }
    if items.len() > order::MAX_LINES {
        return Err(at(name.into(), Problem::TooLarge).with_limit(order::MAX_LINES));
    }
    for (i, raw) in items.iter().enumerate() {
        let q: LineQty =
            serde::Deserialize::deserialize(raw).map_err(|_| at(format!("{name}.{i}"), Problem::WrongType))?;
        if q.line >= order::MAX_LINES {
            return Err(at(format!("{name}.{i}.line"), Problem::TooLarge));
        }
        if q.quantity <= 0 {
            return Err(at(format!("{name}.{i}.quantity"), Problem::MustBePositive));
        }
        if q.quantity > MAX_QUANTITY {
            return Err(at(format!("{name}.{i}.quantity"), Problem::TooLarge).with_limit(MAX_QUANTITY));
        }
        if q.model.chars().count() > 60 || q.name.chars().count() > 100 {
            return Err(at(format!("{name}.{i}.model"), Problem::TooLong));
        }
        if items[..i].iter().any(|o| o.get("line") == raw.get("line")) {
            return Err(at(format!("{name}.{i}.line"), Problem::Taken));
        }
    }
    Ok(())
}

/// A shipment's waybills arriving in a change: one to [`MAX_WAYBILLS`], each with a
/// number and at least one package, no number twice.
pub fn check_waybills(value: &Value) -> Result<(), FieldError> {
    let at = |path: String, p: Problem| FieldError::new(path, p);
    let items = value.as_array().ok_or_else(|| at(field::WAYBILLS.into(), Problem::WrongType))?;
    if items.is_empty() {
        return Err(at(field::WAYBILLS.into(), Problem::Required));
    }
    if items.len() > MAX_WAYBILLS {
        return Err(at(field::WAYBILLS.into(), Problem::TooLarge).with_limit(MAX_WAYBILLS));
    }
    let mut seen: Vec<String> = Vec::new();
    for (i, raw) in items.iter().enumerate() {
        let w: Waybill =
            serde::Deserialize::deserialize(raw).map_err(|_| at(format!("waybills.{i}"), Problem::WrongType))?;
        let number = w.number.trim().to_string();
        if number.is_empty() {
            return Err(at(format!("waybills.{i}.number"), Problem::Required));
        }
        if number.chars().count() > MAX_WAYBILL {
            return Err(at(format!("waybills.{i}.number"), Problem::TooLong).with_limit(MAX_WAYBILL));
        }
        if seen.contains(&number) {
            return Err(at(format!("waybills.{i}.number"), Problem::Taken));
        }
        seen.push(number);
        if w.packages == 0 {
            return Err(at(format!("waybills.{i}.packages"), Problem::MustBePositive));
        }
        if w.packages > MAX_PACKAGES {
            return Err(at(format!("waybills.{i}.packages"), Problem::TooLarge).with_limit(MAX_PACKAGES));
        }
    }
    Ok(())
}

/// The rule for one field of a shipment (waybills and lines go through [`check_shipment_deep`]).
pub fn check_shipment_field(name: &str, value: &Value) -> Result<(), Problem> {
    match name {
        field::ORDER => check_id(value, true),
        field::ORDER_NUMBER => check_text(value, 40, false),
        field::CUSTOMER_NAME | field::FULL_NAME => check_text(value, 100, false),
        field::PHONE | field::STATION_PHONE => check_phone(value),
        field::STATION => check_text(value, 100, true),
        field::STATION_CONTRACT => check_text(value, 60, false),
        field::SHIP_DATE => check_date(value, true),
        field::EXPECTED => check_date(value, false),
        field::DIRECT => value.as_bool().map(|_| ()).ok_or(Problem::WrongType),
        field::TO_BRANCH => {
            let s = value.as_str().ok_or(Problem::WrongType)?;
            if s.is_empty() || OfficeCode::parse(s).is_ok() {
                Ok(())
            } else {
                Err(Problem::UnknownChoice)
            }
        }
        field::NOTES => check_text(value, order::MAX_NOTES, false),
        field::WAYBILLS => check_waybills(value).map_err(|e| e.problem),
        field::LINES => check_line_qtys(field::LINES, value, true).map_err(|e| e.problem),
        _ => Err(Problem::UnknownField),
    }
}

pub fn check_shipment_deep(name: &str, value: &Value) -> Option<Result<(), FieldError>> {
    match name {
        field::WAYBILLS => Some(check_waybills(value)),
        field::LINES => Some(check_line_qtys(field::LINES, value, true)),
        _ => None,
    }
}

/// What a person types to record a shipment: every box a string, one quantity per order line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShipmentDraft {
    pub station: String,
    pub station_phone: String,
    pub station_contract: String,
    pub ship_date: String,
    pub expected_arrival: String,
    /// (number, packages) as typed.
    pub waybills: Vec<(String, String)>,
    /// One per order line, as typed; blank ships none of it.
    pub quantities: Vec<String>,
    pub direct: bool,
    pub full_name: String,
    pub to_branch: String,
    pub notes: String,
}

/// A validated shipment, ready to become the record's values.
#[derive(Clone, Debug, PartialEq)]
pub struct ShipmentFields {
    pub order: RecordId,
    pub order_number: String,
    pub customer_name: String,
    pub phone: String,
    pub station: String,
    pub station_phone: String,
    pub station_contract: String,
    pub ship_date: Date,
    pub expected_arrival: Option<Date>,
    pub waybills: Vec<Waybill>,
    pub lines: Vec<LineQty>,
    pub direct: bool,
    pub full_name: String,
    pub to_branch: Option<OfficeCode>,
    pub notes: String,
}

impl ShipmentDraft {
    /// The form for shipping what `order` still has to ship: its station, today, and the
    /// remaining quantities.
    pub fn for_order(order: &OrderView, shipping: &Shipping, today: Date, station_phone: &str) -> ShipmentDraft {
        ShipmentDraft {
            station: order.station.clone(),
            station_phone: station_phone.to_string(),
            station_contract: order.station_contract.clone(),
            ship_date: today.to_string(),
            waybills: vec![(String::new(), String::new())],
            quantities: (0..order.lines.len())
                .map(|i| match shipping.lines.get(i).map(|l| l.remaining).unwrap_or(0) {
                    q if q > 0 => q.to_string(),
                    _ => String::new(),
                })
                .collect(),
            ..ShipmentDraft::default()
        }
    }

    /// Every problem at once, each tied to its box (`waybills.1.packages`, `lines.0`).
    pub fn validate(&self, order: &OrderView, today: Date) -> Result<ShipmentFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let text = |errors: &mut Vec<FieldError>, f: &str, v: &str, required: bool, max: usize| {
            let v = v.trim();
            if required && v.is_empty() {
                errors.push(FieldError::new(f, Problem::Required));
            } else if v.chars().count() > max {
                errors.push(FieldError::new(f, Problem::TooLong).with_limit(max));
            }
            v.to_string()
        };
        let station = text(&mut errors, field::STATION, &self.station, true, 100);
        let station_phone = text(&mut errors, field::STATION_PHONE, &self.station_phone, false, 40);
        if !station_phone.is_empty() && !order::is_phone(&station_phone) {
            errors.push(FieldError::new(field::STATION_PHONE, Problem::InvalidPhone));
        }
        let station_contract = text(&mut errors, field::STATION_CONTRACT, &self.station_contract, false, 60);
        let notes = text(&mut errors, field::NOTES, &self.notes, false, order::MAX_NOTES);
        let ship_date = match Date::from_input(&self.ship_date, today).or_else(|| Date::parse(self.ship_date.trim())) {
            Some(d) => d,
            None => {
                let p = if self.ship_date.trim().is_empty() { Problem::Required } else { Problem::InvalidDate };
                errors.push(FieldError::new(field::SHIP_DATE, p));
                today
            }
        };
        let expected_arrival = match self.expected_arrival.trim() {
            "" => None,
            s => {
                let d = Date::from_input(s, today).or_else(|| Date::parse(s));
                if d.is_none() {
                    errors.push(FieldError::new(field::EXPECTED, Problem::InvalidDate));
                }
                d
            }
        };
        let mut waybills = Vec::new();
        for (i, (number, packages)) in self.waybills.iter().enumerate() {
            let (number, packages) = (number.trim(), packages.trim());
            if number.is_empty() && packages.is_empty() {
                continue;
            }
            if number.is_empty() {
                errors.push(FieldError::new(format!("waybills.{i}.number"), Problem::Required));
            } else if number.chars().count() > MAX_WAYBILL {
                errors.push(FieldError::new(format!("waybills.{i}.number"), Problem::TooLong).with_limit(MAX_WAYBILL));
            } else if waybills.iter().any(|w: &Waybill| w.number == number) {
                errors.push(FieldError::new(format!("waybills.{i}.number"), Problem::Taken));
            }
            let n = match packages.parse::<u32>() {
                Ok(0) => {
                    errors.push(FieldError::new(format!("waybills.{i}.packages"), Problem::MustBePositive));
                    0
                }
                Ok(n) if n > MAX_PACKAGES => {
                    errors.push(
                        FieldError::new(format!("waybills.{i}.packages"), Problem::TooLarge).with_limit(MAX_PACKAGES),
                    );
                    0
                }
                Ok(n) => n,
                Err(_) => {
                    let p = if packages.is_empty() { Problem::Required } else { Problem::NotAWholeNumber };
                    errors.push(FieldError::new(format!("waybills.{i}.packages"), p));
                    0
                }
            };
            waybills.push(Waybill { number: number.to_string(), packages: n });
        }
        if waybills.is_empty() {
            errors.push(FieldError::new("waybills.0.number", Problem::Required));
        }
        let mut lines = Vec::new();
        for (i, typed) in self.quantities.iter().enumerate() {
            let typed = typed.trim();
            if typed.is_empty() || typed == "0" {
                continue;
            }
            let Some(line) = order.lines.get(i) else { continue };
            match Fen::parse_whole(typed) {
                Some(q) if q > MAX_QUANTITY => {
                    errors.push(FieldError::new(format!("lines.{i}"), Problem::TooLarge).with_limit(MAX_QUANTITY))
                }
                Some(q) if q > 0 => {
                    lines.push(LineQty { line: i, model: line.model.clone(), name: line.name.clone(), quantity: q })
                }
                Some(_) => errors.push(FieldError::new(format!("lines.{i}"), Problem::Negative)),
                None => errors.push(FieldError::new(format!("lines.{i}"), Problem::NotAWholeNumber)),
            }
        }
        if lines.is_empty() && !errors.iter().any(|e| e.field.starts_with("lines.")) {
            errors.push(FieldError::new(field::LINES, Problem::NoLines));
        }
        let full_name = text(&mut errors, field::FULL_NAME, &self.full_name, self.direct, 100);
        let to_branch = match self.to_branch.trim() {
            "" => None,
            s => OfficeCode::parse(s).ok().or_else(|| {
                errors.push(FieldError::new(field::TO_BRANCH, Problem::UnknownChoice));
                None
            }),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ShipmentFields {
            order: order.id,
            order_number: order.number.clone(),
            customer_name: order.customer_name.clone(),
            phone: order.phone.clone(),
            station,
            station_phone,
            station_contract,
            ship_date,
            expected_arrival,
            waybills,
            lines,
            direct: self.direct,
            full_name,
            to_branch,
            notes,
        })
    }
}

impl ShipmentDraft {
    /// [`ShipmentDraft::validate`], and no line shipping more than it still has to ship
    /// (`shipping`: what the order has shipped so far). Only the form can ask this: two
    /// places shipping at once each see the whole remainder, and both shipments stand.
    pub fn validate_against(
        &self,
        order: &OrderView,
        shipping: &Shipping,
        today: Date,
    ) -> Result<ShipmentFields, Vec<FieldError>> {
        let too_much: Vec<FieldError> = self
            .quantities
            .iter()
            .enumerate()
            .filter_map(|(i, typed)| {
                let q = Fen::parse_whole(typed.trim())?;
                let left = shipping.lines.get(i).map_or(0, |l| l.remaining);
                (q > left).then(|| FieldError::new(format!("lines.{i}"), Problem::TooLarge).with_limit(left))
            })
            .collect();
        match self.validate(order, today) {
            Ok(_) if !too_much.is_empty() => Err(too_much),
            Ok(fields) => Ok(fields),
            Err(mut es) => {
                let extra: Vec<FieldError> =
                    too_much.into_iter().filter(|e| !es.iter().any(|x| x.field == e.field)).collect();
                es.extend(extra);
                Err(es)
            }
        }
    }
}

impl ShipmentFields {
    pub fn to_values(&self) -> BTreeMap<String, Value> {
        let mut m = BTreeMap::new();
        m.insert(field::ORDER.into(), json!(self.order));
        m.insert(field::ORDER_NUMBER.into(), json!(self.order_number));
        m.insert(field::CUSTOMER_NAME.into(), json!(self.customer_name));
        m.insert(field::PHONE.into(), json!(self.phone));
        m.insert(field::STATION.into(), json!(self.station));
        m.insert(field::STATION_PHONE.into(), json!(self.station_phone));
        m.insert(field::STATION_CONTRACT.into(), json!(self.station_contract));
        m.insert(field::SHIP_DATE.into(), json!(self.ship_date.to_string()));
        m.insert(field::EXPECTED.into(), json!(self.expected_arrival.map(|d| d.to_string()).unwrap_or_default()));
        m.insert(field::WAYBILLS.into(), serde_json::to_value(&self.waybills).unwrap_or(Value::Null));
        m.insert(field::LINES.into(), serde_json::to_value(&self.lines).unwrap_or(Value::Null));
        m.insert(field::DIRECT.into(), json!(self.direct));
        m.insert(field::FULL_NAME.into(), json!(self.full_name));
        m.insert(field::TO_BRANCH.into(), json!(self.to_branch.as_ref().map(|o| o.as_str()).unwrap_or_default()));
        m.insert(field::NOTES.into(), json!(self.notes));
        m
    }

    /// The order's 发货 step for its first shipment: the waybills and packages in one.
    pub fn ship_action(&self, shipment: RecordId) -> order::Action {
        let first = self.waybills.first().map(|w| w.number.clone()).unwrap_or_default();
        let waybill = match self.waybills.len() {
            0 | 1 => first,
            n => format!("{first} +{}", n - 1),
        };
        let waybill: String = waybill.chars().take(MAX_WAYBILL).collect();
        let packages = self.waybills.iter().map(|w| w.packages).sum::<u32>().clamp(1, MAX_PACKAGES);
        order::Action::Ship { waybill, packages, shipment: Some(shipment) }
    }
}

/// A step note (a call, a receipt) with who took it and when.
#[derive(Clone, Debug, PartialEq)]
pub struct Noted {
    pub at: Hlc,
    pub by: String,
    pub action: ShipAction,
}

/// A shipment as the screens show it.
#[derive(Clone, Debug, PartialEq)]
pub struct ShipmentView {
    pub id: RecordId,
    pub office: OfficeCode,
    pub order: Option<RecordId>,
    pub order_number: String,
    pub customer_name: String,
    pub phone: String,
    pub station: String,
    pub station_phone: String,
    pub station_contract: String,
    pub ship_date: Option<Date>,
    pub expected_arrival: Option<Date>,
    pub waybills: Vec<Waybill>,
    pub lines: Vec<LineQty>,
    pub direct: bool,
    pub full_name: String,
    pub to_branch: Option<OfficeCode>,
    pub notes: String,
    pub created: Option<Hlc>,
    /// The call that counts: the latest one after the latest correction (a corrected
    /// shipment is called about again).
    pub notified: Option<Noted>,
    /// Calls made before a correction: the customer heard something else.
    pub stale_notice: Option<Noted>,
    pub receipt: Option<Noted>,
    pub corrections: usize,
    /// Two offices corrected it at once: someone must settle which stands.
    pub conflict: bool,
    pub progress: Progress,
}

fn noted<'a>(state: &'a RecordState, step: &'a str) -> impl DoubleEndedIterator<Item = Noted> + 'a {
    state
        .events
        .iter()
        .filter(move |(_, e)| e.step == step)
        .filter_map(|(at, e)| ShipAction::from_event(e).ok().map(|action| Noted { at: *at, by: e.by.clone(), action }))
}

impl ShipmentView {
    pub fn from_record(state: &RecordState) -> ShipmentView {
        let s = |f: &str| state.get_str(f).to_string();
        let last_correction = noted(state, "correct").map(|n| n.at).next_back();
        let last_notice = noted(state, "notify").next_back();
        let (notified, stale_notice) = match last_notice {
            Some(n) if last_correction.is_some_and(|c| c > n.at) => (None, Some(n)),
            n => (n, None),
        };
        ShipmentView {
            id: state.id,
            office: state.office.clone(),
            order: RecordId::parse(state.get_str(field::ORDER)).ok(),
            order_number: s(field::ORDER_NUMBER),
            customer_name: s(field::CUSTOMER_NAME),
            phone: s(field::PHONE),
            station: s(field::STATION),
            station_phone: s(field::STATION_PHONE),
            station_contract: s(field::STATION_CONTRACT),
            ship_date: Date::parse(state.get_str(field::SHIP_DATE)),
            expected_arrival: Date::parse(state.get_str(field::EXPECTED)),
            waybills: stored::list(state.get(field::WAYBILLS), stored::waybill),
            lines: stored::list(state.get(field::LINES), stored::line_qty),
            direct: state.get(field::DIRECT).and_then(Value::as_bool).unwrap_or(false),
            full_name: s(field::FULL_NAME),
            to_branch: OfficeCode::parse(state.get_str(field::TO_BRANCH)).ok(),
            notes: s(field::NOTES),
            created: state.created(),
            notified,
            stale_notice,
            receipt: noted(state, "receipt").next_back(),
            corrections: noted(state, "correct").count(),
            conflict: !state.conflicts().is_empty(),
            progress: workflow::progress(&SHIPMENT_WORKFLOW, state),
        }
    }

    pub fn packages(&self) -> u32 {
        self.waybills.iter().map(|w| w.packages).sum()
    }

    /// Whether the morning call is late: not made by `hour` o'clock (office time) of the
    /// day after the shipment left.
    pub fn notice_overdue(&self, now_ms: u64, offset_minutes: i32, hour: u32) -> bool {
        self.call_owed().is_some_and(|shipped| call_late(shipped, now_ms, offset_minutes, hour))
    }

    /// The day it left, while its morning call is still owed (nobody called, not signed for).
    fn call_owed(&self) -> Option<Date> {
        if self.notified.is_some() || self.receipt.is_some() {
            return None;
        }
        self.ship_date
    }
}

/// Whether the call for goods that left on `shipped` is late: not made by `hour` o'clock
/// (office time) of the day after.
fn call_late(shipped: Date, now_ms: u64, offset_minutes: i32, hour: u32) -> bool {
    let (today, h, _) = local(now_ms, offset_minutes);
    today > shipped.plus_days(1) || today == shipped.plus_days(1) && h >= hour
}

/// The menu's count of late morning calls over every shipment on a device, deriving again
/// only the shipments whose record moved: a busy branch holds thousands, and the menu
/// counts again whenever a sync brings something.
#[derive(Default)]
pub struct LateCalls {
    /// Per shipment: the record's version when seen, and the day it left if the call is owed.
    seen: std::collections::HashMap<RecordId, (u64, Option<Date>)>,
}

impl LateCalls {
    pub fn count(&mut self, r: &crate::engine::replica::Replica, now_ms: u64, offset_minutes: i32, hour: u32) -> usize {
        let kind = crate::engine::record::Kind::SHIPMENT;
        let mut seen = std::collections::HashMap::with_capacity(self.seen.len());
        let mut late = 0;
        for s in r.all(kind) {
            let version = r.version(kind, s.id);
            let owed = match self.seen.remove(&s.id) {
                Some((was, owed)) if was == version => owed,
                _ => ShipmentView::from_record(s).call_owed(),
            };
            late += usize::from(owed.is_some_and(|d| call_late(d, now_ms, offset_minutes, hour)));
            seen.insert(s.id, (version, owed));
        }
        self.seen = seen;
        late
    }
}

/// A freight station's call (货站进返货): goods arrived at it for us, or came back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    /// 到货
    Arrival,
    /// 返货
    Return,
}

impl LogKind {
    pub fn code(self) -> &'static str {
        match self {
            LogKind::Arrival => "arrival",
            LogKind::Return => "return",
        }
    }

    pub fn parse(s: &str) -> Option<LogKind> {
        [LogKind::Arrival, LogKind::Return].into_iter().find(|k| k.code() == s)
    }
}

/// The field names of a freight-station log entry.
pub mod log_field {
    pub const KIND: &str = "kind";
    pub const STATION: &str = "station";
    pub const STATION_PHONE: &str = "station_phone";
    pub const PACKAGES: &str = "packages";
    /// The freight charge, in fen.
    pub const FREIGHT: &str = "freight";
    pub const ORDER: &str = "order";
    pub const ORDER_NUMBER: &str = "order_number";
    pub const SHIPMENT: &str = "shipment";
    /// What came back, for a return.
    pub const LINES: &str = "lines";
    pub const DATE: &str = "date";
    pub const NOTES: &str = "notes";
    pub const ALL: [&str; 11] =
        [KIND, STATION, STATION_PHONE, PACKAGES, FREIGHT, ORDER, ORDER_NUMBER, SHIPMENT, LINES, DATE, NOTES];
    pub const REQUIRED: [&str; 4] = [KIND, STATION, PACKAGES, DATE];
}

pub fn check_log_field(name: &str, value: &Value) -> Result<(), Problem> {
    match name {
        log_field::KIND => value.as_str().and_then(LogKind::parse).map(|_| ()).ok_or(Problem::UnknownChoice),
        log_field::STATION => check_text(value, 100, true),
        log_field::STATION_PHONE => check_phone(value),
        log_field::PACKAGES => match value.as_i64() {
            Some(n) if n < 0 => Err(Problem::Negative),
            Some(n) if n > i64::from(MAX_PACKAGES) => Err(Problem::TooLarge),
            Some(_) => Ok(()),
            None => Err(Problem::WrongType),
        },
        log_field::FREIGHT => match value.as_i64() {
            Some(n) if n < 0 => Err(Problem::Negative),
            Some(n) if n > 10_000_000_000 => Err(Problem::TooLarge),
            Some(_) => Ok(()),
            None => Err(Problem::WrongType),
        },
        log_field::ORDER | log_field::SHIPMENT => check_id(value, false),
        log_field::ORDER_NUMBER => check_text(value, 40, false),
        log_field::LINES => check_line_qtys(log_field::LINES, value, false).map_err(|e| e.problem),
        log_field::DATE => check_date(value, true),
        log_field::NOTES => check_text(value, order::MAX_NOTES, false),
        _ => Err(Problem::UnknownField),
    }
}

pub fn check_log_deep(name: &str, value: &Value) -> Option<Result<(), FieldError>> {
    (name == log_field::LINES).then(|| check_line_qtys(log_field::LINES, value, false))
}

/// A station-log entry as the screens show it.
#[derive(Clone, Debug, PartialEq)]
pub struct LogView {
    pub id: RecordId,
    pub office: OfficeCode,
    pub kind: Option<LogKind>,
    pub station: String,
    pub station_phone: String,
    pub packages: i64,
    pub freight: Fen,
    pub order: Option<RecordId>,
    pub order_number: String,
    pub shipment: Option<RecordId>,
    pub lines: Vec<LineQty>,
    pub date: Option<Date>,
    pub notes: String,
    pub created: Option<Hlc>,
    /// Presses of 打印 for its two-part note.
    pub prints: usize,
}

impl LogView {
    pub fn from_record(state: &RecordState) -> LogView {
        let s = |f: &str| state.get_str(f).to_string();
        LogView {
            id: state.id,
            office: state.office.clone(),
            kind: LogKind::parse(state.get_str(log_field::KIND)),
            station: s(log_field::STATION),
            station_phone: s(log_field::STATION_PHONE),
            packages: state.get(log_field::PACKAGES).and_then(Value::as_i64).unwrap_or(0),
            freight: Fen(state.get(log_field::FREIGHT).and_then(Value::as_i64).unwrap_or(0)),
            order: RecordId::parse(state.get_str(log_field::ORDER)).ok(),
            order_number: s(log_field::ORDER_NUMBER),
            shipment: RecordId::parse(state.get_str(log_field::SHIPMENT)).ok(),
            lines: stored::list(state.get(log_field::LINES), stored::line_qty),
            date: Date::parse(state.get_str(log_field::DATE)),
            notes: s(log_field::NOTES),
            created: state.created(),
            prints: state.events.values().filter(|e| e.step == "print").count(),
        }
    }
}

/// Presses of 打印 for `form` on a shipment or a station-log entry.
pub fn prints(state: &RecordState, form: &str) -> usize {
    state
        .events
        .values()
        .filter(|e| e.step == "print")
        .filter(|e| matches!(ShipAction::from_event(e), Ok(ShipAction::Print { form: f }) if f == form))
        .count()
}

/// One order line's quantities, derived.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineShipping {
    pub ordered: i64,
    pub shipped: i64,
    pub returned: i64,
    /// Still to ship: ordered less shipped, never below zero.
    pub remaining: i64,
}

/// Where an order's goods are, derived from its shipments and the station log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shipping {
    pub lines: Vec<LineShipping>,
    pub shipments: usize,
    /// Lines shipped beyond what was ordered (two offices shipped the same goods).
    pub over_shipped: Vec<usize>,
    /// Shipped or returned quantities recorded against a line that is now another
    /// product, or no line at all (the order was corrected after): shown, not counted.
    pub mismatched: Vec<LineQty>,
    /// Every waybill of every shipment, oldest shipment first.
    pub waybills: Vec<Waybill>,
}

impl Shipping {
    pub fn any_shipped(&self) -> bool {
        self.shipments > 0
    }

    /// Every line has left in full.
    pub fn complete(&self) -> bool {
        self.any_shipped() && self.lines.iter().all(|l| l.remaining == 0)
    }

    /// Something has left and something is still to ship: 部分发货.
    pub fn partial(&self) -> bool {
        self.any_shipped() && !self.complete()
    }

    pub fn returned_any(&self) -> bool {
        self.lines.iter().any(|l| l.returned > 0)
    }
}

/// What `order` has shipped, still has to ship and got back, from every shipment and
/// station-log return that names it. Shipments are separate records, so concurrent ones
/// add up; a corrected one counts as corrected.
pub fn summarize<'a>(
    order: &OrderView,
    shipments: impl IntoIterator<Item = &'a ShipmentView>,
    log: impl IntoIterator<Item = &'a LogView>,
) -> Shipping {
    let mut out = Shipping {
        lines: order.lines.iter().map(|l| LineShipping { ordered: l.quantity, ..LineShipping::default() }).collect(),
        ..Shipping::default()
    };
    let fits = |q: &LineQty| order.lines.get(q.line).is_some_and(|l| l.model == q.model);
    let mut mine: Vec<&ShipmentView> = shipments.into_iter().filter(|s| s.order == Some(order.id)).collect();
    crate::sort::sort_by_key(&mut mine, |s| (s.ship_date, s.created));
    for s in mine {
        out.shipments += 1;
        out.waybills.extend(s.waybills.iter().cloned());
        for q in &s.lines {
            if fits(q) {
                out.lines[q.line].shipped = out.lines[q.line].shipped.saturating_add(q.quantity);
            } else {
                out.mismatched.push(q.clone());
            }
        }
    }
    for entry in log.into_iter().filter(|e| e.order == Some(order.id) && e.kind == Some(LogKind::Return)) {
        for q in &entry.lines {
            if fits(q) {
                out.lines[q.line].returned = out.lines[q.line].returned.saturating_add(q.quantity);
            } else {
                out.mismatched.push(q.clone());
            }
        }
    }
    for (i, l) in out.lines.iter_mut().enumerate() {
        l.remaining = (l.ordered - l.shipped).max(0);
        if l.shipped > l.ordered {
            out.over_shipped.push(i);
        }
    }
    out
}

/// The morning notice list (发货通知): every shipment whose customer has not been told,
/// oldest first, so Saturday's are still at the top on Monday.
pub fn notice_list<'a>(shipments: impl IntoIterator<Item = &'a ShipmentView>) -> Vec<&'a ShipmentView> {
    // Signed for: the customer has the goods, there is nothing left to tell them.
    let mut out: Vec<&ShipmentView> =
        shipments.into_iter().filter(|s| s.notified.is_none() && s.receipt.is_none()).collect();
    crate::sort::sort_by_key(&mut out, |s| (s.ship_date, s.created));
    out
}

/// Shipments neither signed for nor returned `days` after they left.
pub fn unconfirmed<'a>(
    shipments: impl IntoIterator<Item = &'a ShipmentView>,
    log: &[LogView],
    today: Date,
    days: i64,
) -> Vec<&'a ShipmentView> {
    let returned = |s: &ShipmentView| {
        log.iter().any(|e| {
            e.kind == Some(LogKind::Return) && (e.shipment == Some(s.id) || e.shipment.is_none() && e.order == s.order)
        })
    };
    let mut out: Vec<&ShipmentView> = shipments
        .into_iter()
        .filter(|s| s.receipt.is_none() && s.ship_date.is_some_and(|d| d.plus_days(days) < today) && !returned(s))
        .collect();
    crate::sort::sort_by_key(&mut out, |s| (s.ship_date, s.created));
    out
}
