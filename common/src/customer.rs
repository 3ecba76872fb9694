//! Customers, and the head office's catalogue (products, freight stations): their
//! fields, the rules for each, and how screens read them.

use crate::ids::RecordId;
use crate::money::Fen;
use crate::order::{self, check_phone, check_text, PaymentTerms, Problem};
use crate::record::{Kind, RecordState};
use serde_json::Value;

/// The fields each kind has, and which a new record must have.
pub fn fields(kind: Kind) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        Kind::Order => (&order::field::ALL, &order::field::REQUIRED),
        Kind::Customer => {
            (&["name", "phone", "address", "contact", "station", "station_contract", "payment", "initials"], &["name"])
        }
        Kind::Product => (&["model", "name", "unit", "price", "initials"], &["model", "name"]),
        Kind::Station => (&["name", "phone", "contract"], &["name"]),
    }
}

/// Checks one field value arriving in a change for a record of `kind`.
pub fn check_field(kind: Kind, name: &str, value: &Value) -> Result<(), Problem> {
    match (kind, name) {
        (Kind::Order, _) => order::check_field(name, value),
        (Kind::Customer | Kind::Station, "name") => check_text(value, 100, true),
        (Kind::Customer | Kind::Station, "phone") => check_phone(value),
        (Kind::Customer, "address") => check_text(value, 200, false),
        (Kind::Customer, "contact" | "station" | "station_contract" | "initials") => check_text(value, 60, false),
        (Kind::Customer, "payment") => {
            let s = value.as_str().ok_or(Problem::WrongType)?;
            if s.is_empty() || PaymentTerms::parse(s).is_some() {
                Ok(())
            } else {
                Err(Problem::UnknownChoice)
            }
        }
        (Kind::Station, "contract") => check_text(value, 60, false),
        (Kind::Product, "model") => check_text(value, 60, true),
        (Kind::Product, "name") => check_text(value, 100, true),
        (Kind::Product, "unit" | "initials") => check_text(value, 20, false),
        (Kind::Product, "price") => {
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
        assert_eq!(check_field(Kind::Customer, "name", &json!("")), Err(Problem::Required));
        assert_eq!(check_field(Kind::Customer, "phone", &json!("138 0000 1111")), Ok(()));
        assert_eq!(check_field(Kind::Customer, "price", &json!(1)), Err(Problem::UnknownField));
        assert_eq!(check_field(Kind::Product, "price", &json!(-5)), Err(Problem::Negative));
        assert_eq!(check_field(Kind::Product, "price", &json!(12.5)), Err(Problem::WrongType));
        assert_eq!(check_field(Kind::Station, "contract", &json!("M-1")), Ok(()));
        for kind in Kind::ALL {
            let (all, required) = fields(kind);
            assert!(required.iter().all(|r| all.contains(r)), "{kind:?}");
        }
    }
}
