//! Customers, and the head office's catalogue (products, freight stations): their
//! fields, the rules for each, and how screens read them.

use crate::desk::money::Fen;
use crate::desk::order::{check_phone, check_text, OrderFields, PaymentTerms, Problem};
use crate::engine::ids::RecordId;
use crate::engine::record::RecordState;
use serde_json::Value;
use std::collections::BTreeMap;

pub const CUSTOMER_FIELDS: &[&str] =
    &["name", "phone", "address", "contact", "station", "station_contract", "payment", "initials"];
pub const PRODUCT_FIELDS: &[&str] = &["model", "name", "unit", "price", "initials"];
pub const STATION_FIELDS: &[&str] = &["name", "phone", "contract"];

/// The rule for one field of a customer.
pub fn check_customer_field(name: &str, value: &Value) -> Result<(), Problem> {
    match name {
        "name" => check_text(value, 100, true),
        "phone" => check_phone(value),
        "address" => check_text(value, 200, false),
        "contact" | "station" | "station_contract" | "initials" => check_text(value, 60, false),
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
        "unit" | "initials" => check_text(value, 20, false),
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
    /// A customer first typed at order entry, from what the order says of them.
    pub fn from_order(o: &OrderFields) -> CustomerFields {
        CustomerFields {
            name: o.customer_name.clone(),
            phone: o.phone.clone(),
            address: o.address.clone(),
            contact: String::new(),
            station: o.station.clone(),
            station_contract: o.station_contract.clone(),
            payment: Some(o.payment),
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
}

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
    pub initials: String,
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
            initials: s("initials"),
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
    pub initials: String,
}

impl ProductView {
    pub fn from_record(r: &RecordState) -> ProductView {
        ProductView {
            id: r.id,
            model: r.get_str("model").to_string(),
            name: r.get_str("name").to_string(),
            unit: r.get_str("unit").to_string(),
            price: Fen(r.get("price").and_then(Value::as_i64).unwrap_or(0)),
            initials: r.get_str("initials").to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StationView {
    pub id: RecordId,
    pub name: String,
    pub phone: String,
    pub contract: String,
}

impl StationView {
    pub fn from_record(r: &RecordState) -> StationView {
        StationView {
            id: r.id,
            name: r.get_str("name").to_string(),
            phone: r.get_str("phone").to_string(),
            contract: r.get_str("contract").to_string(),
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
