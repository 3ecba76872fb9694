//! Customers, and the head office's catalogue (products, freight stations): their
//! fields, the rules for each, and how screens read them.

use crate::desk::money::Fen;
use crate::desk::order::{check_phone, check_text, FieldError, OrderFields, PaymentTerms, Problem};
use crate::desk::pinyin;
use crate::engine::ids::RecordId;
use crate::engine::record::RecordState;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub const CUSTOMER_FIELDS: &[&str] = &[
    "name",
    "phone",
    "address",
    "contact",
    "station",
    "station_contract",
    "payment",
    "initials",
    "full_name",
    "credit_limit",
    "class",
    "salesperson",
    "notes",
    "contacts",
    "addresses",
];

/// Most other contacts or delivery addresses kept on one customer.
pub const MAX_ALTERNATIVES: usize = 20;

/// Another person at the customer, besides the main `contact` and `phone`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub phone: String,
}

/// Reads contacts typed one per line, "姓名 电话" (the phone last; either may be alone).
pub fn parse_contacts(text: &str) -> Result<Vec<Contact>, FieldError> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let phone_at = words.iter().rposition(|w| w.chars().filter(char::is_ascii_digit).count() >= 5);
        let (name, phone) = match phone_at {
            // A phone typed with spaces ("0757 2233 4455"): every word from the first
            // number on is the phone.
            Some(_) => {
                let first = words.iter().position(|w| w.chars().any(|c| c.is_ascii_digit())).unwrap_or(0);
                (words[..first].join(" "), words[first..].join(" "))
            }
            None => (line.to_string(), String::new()),
        };
        out.push(Contact { name, phone });
    }
    // The same rule the server holds the stored list to.
    let value = serde_json::to_value(&out).map_err(|_| FieldError::new("contacts", Problem::WrongType))?;
    check_customer_deep("contacts", &value).unwrap_or(Ok(()))?;
    Ok(out)
}

/// Reads delivery addresses typed one per line.
pub fn parse_addresses(text: &str) -> Result<Vec<String>, FieldError> {
    let out: Vec<String> = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect();
    check_customer_deep("addresses", &Value::from(out.clone())).unwrap_or(Ok(()))?;
    Ok(out)
}

/// The deeper rule for a customer's lists: each contact a name ≤ 60 and a phone, each
/// address ≤ 200, at most [`MAX_ALTERNATIVES`] of each.
pub fn check_customer_deep(name: &str, value: &Value) -> Option<Result<(), FieldError>> {
    match name {
        "contacts" => Some((|| {
            let items = value.as_array().ok_or_else(|| FieldError::new("contacts", Problem::WrongType))?;
            if items.len() > MAX_ALTERNATIVES {
                return Err(FieldError::new("contacts", Problem::TooLarge).with_limit(MAX_ALTERNATIVES));
            }
            for (n, raw) in items.iter().enumerate() {
                let at = |p: Problem| FieldError::new(format!("contacts.{n}"), p);
                let c: Contact = serde::Deserialize::deserialize(raw).map_err(|_| at(Problem::WrongType))?;
                check_text(&Value::String(c.name.clone()), 60, false).map_err(at)?;
                if !c.phone.is_empty() {
                    check_phone(&Value::String(c.phone)).map_err(at)?;
                }
            }
            Ok(())
        })()),
        "addresses" => Some((|| {
            let items = value.as_array().ok_or_else(|| FieldError::new("addresses", Problem::WrongType))?;
            if items.len() > MAX_ALTERNATIVES {
                return Err(FieldError::new("addresses", Problem::TooLarge).with_limit(MAX_ALTERNATIVES));
            }
            for (n, a) in items.iter().enumerate() {
                check_text(a, 200, false).map_err(|p| FieldError::new(format!("addresses.{n}"), p))?;
            }
            Ok(())
        })()),
        _ => None,
    }
}

/// What only a manager (or an admin) sets on a customer: the terms and the credit the
/// company gives them, their class and who owns them. A customer first typed at order
/// entry starts on prepay with no credit.
pub const MANAGED_FIELDS: &[&str] = &["payment", "credit_limit", "class", "salesperson"];

/// The largest credit limit: ¥100,000,000.
pub const MAX_CREDIT: i64 = 10_000_000_000;
/// The longest initials a product keeps (characters).
pub const PRODUCT_INITIALS_MAX: usize = 20;
pub const PRODUCT_FIELDS: &[&str] = &["model", "name", "unit", "price", "initials", "is_new"];
pub const STATION_FIELDS: &[&str] = &["name", "phone", "contract"];

/// The rule for one field of a customer.
pub fn check_customer_field(name: &str, value: &Value) -> Result<(), Problem> {
    match name {
        "name" => check_text(value, 100, true),
        // 全称: the customer's full legal name, which a direct shipment bears.
        "full_name" => check_text(value, 100, false),
        "credit_limit" => match value.as_i64() {
            Some(n) if n < 0 => Err(Problem::Negative),
            Some(n) if n > MAX_CREDIT => Err(Problem::TooLarge),
            Some(_) => Ok(()),
            None => Err(Problem::WrongType),
        },
        "class" => match value.as_str() {
            Some("" | "A" | "B" | "C") => Ok(()),
            Some(_) => Err(Problem::UnknownChoice),
            None => Err(Problem::WrongType),
        },
        "salesperson" => check_text(value, 40, false),
        "notes" => check_text(value, 500, false),
        "phone" => check_phone(value),
        "address" => check_text(value, 200, false),
        "contact" | "station" | "station_contract" | "initials" => check_text(value, 60, false),
        "contacts" | "addresses" => check_customer_deep(name, value).unwrap_or(Ok(())).map_err(|e| e.problem),
        "payment" => {
            let s = value.as_str().ok_or(Problem::WrongType)?;
            if s.is_empty() || PaymentTerms::parse(s).is_some() {
                Ok(())
            } else {
                Err(Problem::UnknownChoice)
            }
        }
        _ => Err(Problem::UnknownField),
    }
}

/// The rule for one field of a product in the catalogue.
pub fn check_product_field(name: &str, value: &Value) -> Result<(), Problem> {
    match name {
        "model" => check_text(value, 60, true),
        "name" => check_text(value, 100, true),
        "unit" => check_text(value, 20, false),
        "initials" => check_text(value, PRODUCT_INITIALS_MAX, false),
        "is_new" => value.as_bool().map(|_| ()).ok_or(Problem::WrongType),
        "price" => {
            let fen = value.as_i64().ok_or(Problem::WrongType)?;
            if fen < 0 {
                Err(Problem::Negative)
            } else {
                Ok(())
            }
        }
        _ => Err(Problem::UnknownField),
    }
}

/// The rule for one field of a freight station.
pub fn check_station_field(name: &str, value: &Value) -> Result<(), Problem> {
    match name {
        "name" => check_text(value, 100, true),
        "phone" => check_phone(value),
        "contract" => check_text(value, 60, false),
        _ => Err(Problem::UnknownField),
    }
}

/// A customer's editable fields, ready to become writes: the one way customers are
/// written, as [`crate::desk::order::OrderFields`] is for orders.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerFields {
    pub name: String,
    pub phone: String,
    pub address: String,
    pub contact: String,
    pub station: String,
    pub station_contract: String,
    pub payment: Option<PaymentTerms>,
}

impl CustomerFields {
    /// A customer first typed at order entry, from what the order says of them: on prepay
    /// (款到发货) until a manager sets their terms and credit.
    pub fn from_order(o: &OrderFields) -> CustomerFields {
        CustomerFields {
            name: o.customer_name.clone(),
            phone: o.phone.clone(),
            address: o.address.clone(),
            contact: String::new(),
            station: o.station.clone(),
            station_contract: o.station_contract.clone(),
            payment: Some(PaymentTerms::Prepay),
        }
    }

    pub fn to_values(&self) -> BTreeMap<String, Value> {
        let mut m = BTreeMap::new();
        for (k, v) in [
            ("name", &self.name),
            ("phone", &self.phone),
            ("address", &self.address),
            ("contact", &self.contact),
            ("station", &self.station),
            ("station_contract", &self.station_contract),
        ] {
            m.insert(k.to_string(), Value::String(v.clone()));
        }
        m.insert("payment".into(), Value::String(self.payment.map(|p| p.code()).unwrap_or_default().into()));
        m
    }

    /// A new customer's values: these, and no credit until a manager gives some.
    pub fn new_values(&self) -> BTreeMap<String, Value> {
        let mut m = self.to_values();
        m.insert("credit_limit".into(), Value::from(NEW_CUSTOMER_CREDIT.0));
        m
    }
}

/// The credit limit of a customer first typed at order entry: none, until a manager
/// gives some.
pub const NEW_CUSTOMER_CREDIT: Fen = Fen(0);

#[derive(Clone, Debug, PartialEq)]
pub struct CustomerView {
    pub id: RecordId,
    pub name: String,
    pub phone: String,
    pub address: String,
    pub contact: String,
    pub station: String,
    pub station_contract: String,
    pub payment: Option<PaymentTerms>,
    /// For lookups: those stored, or else computed from the name ([`lookup_initials`]).
    pub initials: String,
    /// 全称: the full legal name, for direct shipments.
    pub full_name: String,
    /// The credit the company gives them (fen): `None` when never set (customers from
    /// before credit limits: no limit is checked), `Some(0)` for none.
    pub credit_limit: Option<Fen>,
    /// A, B or C (empty: not classed).
    pub class: String,
    /// The salesperson who owns the customer (a user name).
    pub salesperson: String,
    pub notes: String,
    pub office: String,
    /// Others at the customer, besides `contact` and `phone`.
    pub contacts: Vec<Contact>,
    /// Other delivery addresses, besides `address`.
    pub addresses: Vec<String>,
}

/// The pinyin initials a customer or product is looked up by: those stored (the demo's,
/// a product's typed ones), or else computed from its name, so one typed at order entry
/// or in an editor is found by them too (华北建新 by `hbjx`). Computed when read rather
/// than stored, they follow a change of name.
pub fn lookup_initials(stored: &str, name: &str) -> String {
    match stored.trim() {
        "" => pinyin::initials(name),
        s => s.to_string(),
    }
}

impl CustomerView {
    pub fn from_record(r: &RecordState) -> CustomerView {
        let s = |f: &str| r.get_str(f).to_string();
        CustomerView {
            id: r.id,
            name: s("name"),
            phone: s("phone"),
            address: s("address"),
            contact: s("contact"),
            station: s("station"),
            station_contract: s("station_contract"),
            payment: PaymentTerms::parse(r.get_str("payment")),
            initials: lookup_initials(r.get_str("initials"), r.get_str("name")),
            full_name: s("full_name"),
            credit_limit: r.get("credit_limit").and_then(Value::as_i64).map(Fen),
            class: s("class"),
            salesperson: s("salesperson"),
            notes: s("notes"),
            office: r.office.as_str().to_string(),
            contacts: crate::desk::stored::list(r.get("contacts"), crate::desk::stored::contact),
            addresses: crate::desk::stored::list(r.get("addresses"), crate::desk::stored::text),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProductView {
    pub id: RecordId,
    pub model: String,
    pub name: String,
    pub unit: String,
    pub price: Fen,
    /// For lookups: those stored, or else computed from the name ([`lookup_initials`]).
    pub initials: String,
    /// A new product: order entry marks it, so the desk can say so on the phone.
    pub is_new: bool,
    /// The office that keeps it.
    pub office: String,
}

impl ProductView {
    pub fn from_record(r: &RecordState) -> ProductView {
        ProductView {
            id: r.id,
            model: r.get_str("model").to_string(),
            name: r.get_str("name").to_string(),
            unit: r.get_str("unit").to_string(),
            price: Fen(r.get("price").and_then(Value::as_i64).unwrap_or(0)),
            initials: lookup_initials(r.get_str("initials"), r.get_str("name")),
            is_new: r.get("is_new").and_then(Value::as_bool).unwrap_or(false),
            office: r.office.as_str().to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StationView {
    pub id: RecordId,
    pub name: String,
    pub phone: String,
    pub contract: String,
    /// Head office's, or a branch's own local carrier.
    pub office: String,
}

impl StationView {
    pub fn from_record(r: &RecordState) -> StationView {
        StationView {
            id: r.id,
            name: r.get_str("name").to_string(),
            phone: r.get_str("phone").to_string(),
            contract: r.get_str("contract").to_string(),
            office: r.office.as_str().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_customer_typed_at_order_entry_passes_the_customer_rules() {
        let draft = crate::desk::order::OrderDraft::sample(1);
        let fields = CustomerFields::from_order(&draft.validate().unwrap());
        for (name, value) in fields.to_values() {
            assert!(CUSTOMER_FIELDS.contains(&name.as_str()), "{name}");
            assert_eq!(check_customer_field(&name, &value), Ok(()), "{name}");
        }
    }

    #[test]
    fn each_kind_checks_its_own_fields() {
        assert_eq!(check_customer_field("name", &json!("")), Err(Problem::Required));
        assert_eq!(check_customer_field("phone", &json!("138 0000 1111")), Ok(()));
        assert_eq!(check_customer_field("price", &json!(1)), Err(Problem::UnknownField));
        assert_eq!(check_product_field("price", &json!(-5)), Err(Problem::Negative));
        assert_eq!(check_product_field("price", &json!(12.5)), Err(Problem::WrongType));
        assert_eq!(check_station_field("contract", &json!("M-1")), Ok(()));
    }
}

/// A product as typed on the catalogue screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductForm {
    pub model: String,
    pub name: String,
    pub unit: String,
    pub price: String,
    /// Left blank: computed from the name when saved ([`ProductForm::auto_initials`]).
    pub initials: String,
    pub is_new: bool,
}

impl ProductForm {
    /// The form for a product. Initials that are just what its name gives show blank, so
    /// a product renamed in the form gets the new name's initials, not the old ones.
    pub fn from_view(p: &ProductView) -> ProductForm {
        let automatic = p.initials == pinyin::initials(&p.name) || p.initials == ProductForm::auto_initials(&p.name);
        ProductForm {
            model: p.model.clone(),
            name: p.name.clone(),
            unit: p.unit.clone(),
            price: p.price.to_plain(),
            initials: if automatic { String::new() } else { p.initials.clone() },
            is_new: p.is_new,
        }
    }

    /// The initials saved when the box is left blank: the name's, as many as the field holds.
    pub fn auto_initials(name: &str) -> String {
        pinyin::initials(name).chars().take(PRODUCT_INITIALS_MAX).collect()
    }

    /// The values to write, or every field's problem.
    pub fn validate(&self) -> Result<BTreeMap<String, Value>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut values = BTreeMap::new();
        let mut text = |name: &str, v: &str| {
            let v = Value::String(v.trim().to_string());
            match check_product_field(name, &v) {
                Ok(()) => {
                    values.insert(name.to_string(), v);
                }
                Err(p) => errors.push(FieldError::new(name, p)),
            }
        };
        text("model", &self.model);
        text("name", &self.name);
        text("unit", &self.unit);
        let initials = match self.initials.trim() {
            "" => ProductForm::auto_initials(&self.name),
            typed => typed.to_ascii_lowercase(),
        };
        text("initials", &initials);
        match Fen::parse(&self.price) {
            Ok(f) if f.0 < 0 => errors.push(FieldError::new("price", Problem::Negative)),
            Ok(f) => {
                values.insert("price".into(), Value::from(f.0));
            }
            Err(e) => errors.push(FieldError::new("price", crate::desk::order::money_problem(e))),
        }
        values.insert("is_new".into(), Value::Bool(self.is_new));
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(errors)
        }
    }
}

/// A freight station as typed on the catalogue screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StationForm {
    pub name: String,
    pub phone: String,
    pub contract: String,
}

impl StationForm {
    pub fn from_view(s: &StationView) -> StationForm {
        StationForm { name: s.name.clone(), phone: s.phone.clone(), contract: s.contract.clone() }
    }

    pub fn validate(&self) -> Result<BTreeMap<String, Value>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut values = BTreeMap::new();
        for (name, v) in [("name", &self.name), ("phone", &self.phone), ("contract", &self.contract)] {
            let v = Value::String(v.trim().to_string());
            match check_station_field(name, &v) {
                Ok(()) => {
                    values.insert(name.to_string(), v);
                }
                Err(p) => errors.push(FieldError::new(name, p)),
            }
        }
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod catalogue_tests {
    use super::*;

    #[test]
    fn a_product_form_names_every_bad_field_and_writes_fen() {
        let bad = ProductForm { model: " ".into(), price: "12.345".into(), ..Default::default() };
        let errors = bad.validate().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["model", "name", "price"]);
        let good = ProductForm {
            model: "AJ-9901".into(),
            name: "恒温花洒".into(),
            unit: "套".into(),
            price: "１，２８０．５".into(),
            initials: "HWHS".into(),
            is_new: true,
        };
        let values = good.validate().unwrap();
        assert_eq!(values["price"], Value::from(128_050));
        assert_eq!(values["initials"], Value::from("hwhs"));
        assert_eq!(values["is_new"], Value::Bool(true));
        for (k, v) in &values {
            assert!(check_product_field(k, v).is_ok(), "{k}");
        }
    }

    #[test]
    fn a_product_read_back_into_the_form_saves_the_same_values() {
        let form = ProductForm {
            model: "AJ-1".into(),
            name: "龙头".into(),
            unit: "个".into(),
            price: "128.00".into(),
            initials: "lts".into(),
            is_new: false,
        };
        let (kind, id) = (crate::engine::record::Kind::PRODUCT, RecordId(uuid::Uuid::from_u128(1)));
        let office = crate::engine::ids::OfficeCode::parse("HQ").unwrap();
        let set = RecordState::new(kind, id, office.clone()).writes_for(&form.validate().unwrap());
        let state = RecordState::from_change(&crate::engine::record::Change {
            id: crate::engine::ids::ChangeId(uuid::Uuid::from_u128(2)),
            seq: 1,
            kind,
            record: id,
            office,
            ts: crate::engine::hlc::Hlc::ZERO,
            by: "hq_manager".into(),
            set,
            event: None,
        });
        assert_eq!(ProductForm::from_view(&ProductView::from_record(&state)), form);
        // Initials that are just the name's read back blank, and save the same.
        let plain = ProductForm { initials: "lt".into(), ..form };
        let read_back = ProductForm::from_view(&ProductView::from_record(&product(&plain.validate().unwrap())));
        assert_eq!(read_back, ProductForm { initials: String::new(), ..plain.clone() });
        assert_eq!(read_back.validate(), plain.validate());
    }

    fn product(values: &BTreeMap<String, Value>) -> RecordState {
        let (kind, id) = (crate::engine::record::Kind::PRODUCT, RecordId(uuid::Uuid::from_u128(1)));
        let office = crate::engine::ids::OfficeCode::parse("HQ").unwrap();
        let set = RecordState::new(kind, id, office.clone()).writes_for(values);
        RecordState::from_change(&crate::engine::record::Change {
            id: crate::engine::ids::ChangeId(uuid::Uuid::from_u128(2)),
            seq: 1,
            kind,
            record: id,
            office,
            ts: crate::engine::hlc::Hlc::ZERO,
            by: "hq_manager".into(),
            set,
            event: None,
        })
    }

    #[test]
    fn blank_initials_are_the_names_and_follow_a_rename() {
        let form = ProductForm {
            model: "AJ-7".into(),
            name: "恒温花洒".into(),
            unit: "套".into(),
            price: "99".into(),
            ..Default::default()
        };
        assert_eq!(form.validate().unwrap()["initials"], Value::from("hwhs"));
        // A product stored without initials is found by its name's all the same.
        let mut values = form.validate().unwrap();
        values.remove("initials");
        assert_eq!(ProductView::from_record(&product(&values)).initials, "hwhs");
        // Opened, renamed and saved: the new name's initials, not the old ones.
        let stored = ProductView::from_record(&product(&form.validate().unwrap()));
        let renamed = ProductForm { name: "淋浴花洒".into(), ..ProductForm::from_view(&stored) };
        assert_eq!(renamed.validate().unwrap()["initials"], Value::from("lyhs"));
        // Typed ones are kept; a long name's are cut to what the field holds.
        let typed = ProductForm { initials: " HS ".into(), ..form.clone() };
        assert_eq!(
            ProductForm::from_view(&ProductView::from_record(&product(&typed.validate().unwrap()))).initials,
            "hs"
        );
        let long =
            ProductForm { name: "不锈钢编织软管不锈钢编织软管不锈钢编织软管".into(), ..form };
        assert_eq!(long.validate().unwrap()["initials"], Value::from("bxgbzrgbxgbzrgbxgbzr"));
    }

    #[test]
    fn a_station_needs_a_name_and_a_real_phone_number() {
        let errors = StationForm { name: "".into(), phone: "abc".into(), contract: "".into() }.validate().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "phone"]);
        assert!(StationForm { name: "顺心物流".into(), phone: "0757-8888 1234".into(), contract: "SX-01".into() }
            .validate()
            .is_ok());
    }
}

#[cfg(test)]
mod contact_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contacts_are_typed_one_per_line_name_then_phone() {
        let got = parse_contacts("王经理 13800000001\n\n  财务 陈姐 0757-2233 4455 \n仓库\n").unwrap();
        assert_eq!(
            got,
            vec![
                Contact { name: "王经理".into(), phone: "13800000001".into() },
                Contact { name: "财务 陈姐".into(), phone: "0757-2233 4455".into() },
                Contact { name: "仓库".into(), phone: String::new() },
            ]
        );
        assert_eq!(parse_contacts("李 12345abc!!").unwrap_err().field, "contacts.0");
        let many = (0..=MAX_ALTERNATIVES).map(|n| format!("人{n}")).collect::<Vec<_>>().join("\n");
        assert_eq!(parse_contacts(&many).unwrap_err().problem, Problem::TooLarge);
    }

    #[test]
    fn the_lists_are_checked_on_the_server_too() {
        let ok = json!([{"name": "王经理", "phone": "13800000001"}]);
        assert_eq!(check_customer_deep("contacts", &ok), Some(Ok(())));
        let bad = json!([{"name": "王经理", "phone": "x"}]);
        assert_eq!(check_customer_deep("contacts", &bad).unwrap().unwrap_err().field, "contacts.0");
        assert_eq!(check_customer_field("addresses", &json!(["佛山市顺德区大良街道10号"])), Ok(()));
        assert_eq!(check_customer_field("addresses", &json!("one")), Err(Problem::WrongType));
        assert_eq!(parse_addresses(" A \n\nB").unwrap(), vec!["A".to_string(), "B".to_string()]);
    }
}
