//! Small objects read from a record's stored JSON in place, as serde reads them: an order's
//! lines, a customer's contacts and addresses, a shipment's waybills and lines. The lists
//! and forms read these from thousands of records. Why by hand: serde's reader from a
//! `serde_json::Value` is a second copy of each type's reader (beside the one from text)
//! in the app a phone downloads first. Each reader is checked against serde's below.

use crate::desk::customer::Contact;
use crate::desk::money::Fen;
use crate::desk::order::{OrderLine, LINE_KEYS};
use crate::desk::shipping::{LineQty, Waybill};
use crate::engine::ids::RecordId;
use serde_json::{Map, Value};

/// An object's fields; `known`, where given, are all it may have (serde's
/// `deny_unknown_fields`).
struct Obj<'a>(&'a Map<String, Value>);

impl<'a> Obj<'a> {
    fn new(v: &'a Value, known: Option<&[&str]>) -> Option<Obj<'a>> {
        let o = v.as_object()?;
        match known {
            Some(known) if o.keys().any(|k| !known.contains(&k.as_str())) => None,
            _ => Some(Obj(o)),
        }
    }
    fn text(&self, key: &str) -> Option<String> {
        self.0.get(key)?.as_str().map(str::to_string)
    }
    /// A text with `#[serde(default)]`: missing is empty, anything but a text is wrong.
    fn text_or_empty(&self, key: &str) -> Option<String> {
        match self.0.get(key) {
            None => Some(String::new()),
            Some(v) => v.as_str().map(str::to_string),
        }
    }
    fn int(&self, key: &str) -> Option<i64> {
        self.0.get(key)?.as_i64()
    }
    fn uint(&self, key: &str) -> Option<u64> {
        self.0.get(key)?.as_u64()
    }
}

/// A list of `one`, or empty if the value is missing or anything in it is wrong (as
/// `deserialize(v).ok().unwrap_or_default()` was).
pub fn list<T>(v: Option<&Value>, one: impl Fn(&Value) -> Option<T>) -> Vec<T> {
    v.and_then(|v| v.as_array()?.iter().map(one).collect()).unwrap_or_default()
}

pub fn order_line(v: &Value) -> Option<OrderLine> {
    let o = Obj::new(v, Some(&LINE_KEYS))?;
    Some(OrderLine {
        product: match o.0.get("product") {
            None | Some(Value::Null) => None,
            Some(p) => Some(RecordId::parse(p.as_str()?).ok()?),
        },
        model: o.text("model")?,
        name: o.text("name")?,
        quantity: o.int("quantity")?,
        unit: o.text_or_empty("unit")?,
        unit_price: Fen(o.int("unit_price")?),
    })
}

pub fn contact(v: &Value) -> Option<Contact> {
    let o = Obj::new(v, None)?;
    Some(Contact { name: o.text("name")?, phone: o.text_or_empty("phone")? })
}

pub fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

pub fn waybill(v: &Value) -> Option<Waybill> {
    let o = Obj::new(v, Some(&["number", "packages"]))?;
    Some(Waybill { number: o.text("number")?, packages: u32::try_from(o.uint("packages")?).ok()? })
}

pub fn line_qty(v: &Value) -> Option<LineQty> {
    let o = Obj::new(v, Some(&["line", "model", "name", "quantity"]))?;
    Some(LineQty {
        line: usize::try_from(o.uint("line")?).ok()?,
        model: o.text("model")?,
        name: o.text_or_empty("name")?,
        quantity: o.int("quantity")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use serde_json::json;

    /// Every case reads as serde reads it: the same value, or nothing where serde refuses.
    fn check<T: DeserializeOwned + PartialEq + std::fmt::Debug>(one: fn(&Value) -> Option<T>, cases: &[Value]) {
        for v in cases {
            let ours = list(Some(v), one);
            let serde: Vec<T> = serde_json::from_value(v.clone()).unwrap_or_default();
            assert_eq!(ours, serde, "{v}");
        }
    }

    const ID: &str = "0190f0e4-7b1c-7000-8000-000000000001";

    #[test]
    fn an_orders_lines_read_as_serde_reads_them() {
        let line = json!({"model": "AJ-8801", "name": "水龙头", "quantity": 3, "unit_price": 12800});
        let with = |k: &str, v: Value| {
            let mut l = line.clone();
            l[k] = v;
            json!([l])
        };
        let without = |k: &str| {
            let mut l = line.clone();
            l.as_object_mut().unwrap().remove(k);
            json!([l])
        };
        let mut cases = vec![json!([]), json!([line.clone(), line.clone()]), json!({}), json!(null), json!([1])];
        cases.extend([
            with("product", json!(ID)),
            with("product", Value::Null),
            with("product", json!("not an id")),
            with("product", json!(5)),
            with("unit", json!("个")),
            with("unit", Value::Null),
            with("quantity", json!(-2)),
            with("quantity", json!(2.5)),
            with("quantity", json!(u64::MAX)),
            with("quantity", json!("3")),
            with("unit_price", json!(i64::MIN)),
            with("unit_price", json!(1.0)),
            with("name", json!(7)),
            with("colour", json!("red")),
        ]);
        cases.extend(["model", "name", "quantity", "unit_price", "unit"].map(without));
        check(order_line, &cases);
    }

    #[test]
    fn contacts_addresses_waybills_and_shipped_lines_read_as_serde_reads_them() {
        check(
            contact,
            &[
                json!([{"name": "王工", "phone": "138"}, {"name": "李姐"}]),
                json!([{"name": "王工", "phone": null}]),
                json!([{"phone": "138"}]),
                json!([{"name": "王工", "extra": 1}]),
                json!(["王工"]),
            ],
        );
        check(text, &[json!(["东区 1 号", "西区"]), json!(["东区", 1]), json!("东区")]);
        check(
            waybill,
            &[
                json!([{"number": "DB-1", "packages": 2}]),
                json!([{"number": "DB-1", "packages": -1}]),
                json!([{"number": "DB-1", "packages": 5_000_000_000u64}]),
                json!([{"number": "DB-1"}]),
                json!([{"number": "DB-1", "packages": 1, "x": 0}]),
            ],
        );
        check(
            line_qty,
            &[
                json!([{"line": 0, "model": "AJ", "quantity": 2}, {"line": 1, "model": "B", "name": "n", "quantity": -1}]),
                json!([{"line": -1, "model": "AJ", "quantity": 2}]),
                json!([{"line": 0, "model": "AJ", "quantity": 2, "packages": 1}]),
                json!([{"line": 0, "quantity": 2}]),
                json!([{"line": 0, "model": "AJ", "name": null, "quantity": 2}]),
            ],
        );
    }
}
