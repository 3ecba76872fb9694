//! Customers, and the head office's catalogue (products, freight stations): their
//! fields, the rules for each, and how screens read them.

use crate::desk::money::Fen;
use crate::desk::order::{check_phone, check_text, PaymentTerms, Problem};
use crate::engine::ids::RecordId;
use crate::engine::record::RecordState;
use serde_json::Value;

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
    fn each_kind_checks_its_own_fields() {
        assert_eq!(check_customer_field("name", &json!("")), Err(Problem::Required));
        assert_eq!(check_customer_field("phone", &json!("138 0000 1111")), Ok(()));
        assert_eq!(check_customer_field("price", &json!(1)), Err(Problem::UnknownField));
        assert_eq!(check_product_field("price", &json!(-5)), Err(Problem::Negative));
        assert_eq!(check_product_field("price", &json!(12.5)), Err(Problem::WrongType));
        assert_eq!(check_station_field("contract", &json!("M-1")), Ok(()));
    }
}
