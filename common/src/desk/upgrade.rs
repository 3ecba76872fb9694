//! Reading what sync protocol 1 wrote, so that an upgrade loses nothing: the server's
//! stored records, and the changes still waiting in a browser's outbox.
//!
//! Protocol 1 kept an order's steps as `{"action": {"type": "review"}, "by": "…"}` and
//! recorded nothing of what a step approved. Protocol 2 keeps `{"step": "review", "data":
//! {…}, "approved": {…}, "by": "…"}`. A step carried over approves the order's values as
//! they stand at the upgrade (what the person saw is no longer known; nothing has changed
//! since, as far as this copy knows). Fields are the same in both versions.

use crate::desk::order::{Action, WORKFLOW};
use crate::engine::record::{Change, Event, Kind, RecordState};
use serde_json::{Map, Value};

/// A protocol-1 action (`{"type": "ship", "waybill": …}`) as the step a person took on
/// `seen`. `None` if it is not an action protocol 1 knew.
pub fn step_from_v1(action: &Value, seen: Option<&RecordState>) -> Option<crate::engine::record::StepWrite> {
    let mut data = action.as_object()?.clone();
    let Some(Value::String(step)) = data.remove("type") else { return None };
    let action = Action::read_parts(&step, &data.into_iter().collect()).ok()?;
    Some(action.to_write(seen))
}

/// A record as protocol 1 stored it, in protocol 2's shape. Records that are already
/// protocol 2 come back unchanged.
pub fn record_from_v1(mut value: Value) -> Option<RecordState> {
    let obj = value.as_object_mut()?;
    let old_events = match obj.remove("events") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let mut state: RecordState = serde_json::from_value(value).ok()?;
    for (ts, event) in old_events {
        let ts = crate::engine::hlc::Hlc::parse(&ts).ok()?;
        let by = event.get("by").and_then(Value::as_str).unwrap_or_default().to_string();
        let step = match (event.get("action"), state.kind) {
            (Some(action), Kind::ORDER) => step_from_v1(action, Some(&state))?,
            (None, _) => serde_json::from_value::<Event>(event).ok().map(|e| crate::engine::record::StepWrite {
                step: e.step,
                data: e.data,
                approved: e.approved,
                seen: Vec::new(),
            })?,
            _ => return None,
        };
        state.events.insert(ts, Event::new(&step, &by));
    }
    Some(state)
}

/// An outbox change as a protocol-1 browser stored it, in protocol 2's shape; `seen` is
/// the record as that browser showed it when the change was made (as best known now).
pub fn change_from_v1(mut value: Value, seen: Option<&RecordState>) -> Option<Change> {
    let obj = value.as_object_mut()?;
    let event = obj.remove("event");
    let mut change: Change = serde_json::from_value(value).ok()?;
    change.event = match event {
        None | Some(Value::Null) => None,
        Some(e) if e.get("step").is_some() => Some(serde_json::from_value(e).ok()?),
        Some(action) => Some(step_from_v1(&action, seen)?),
    };
    Some(change)
}

/// Whether stored JSON of a record or change is in protocol 1's shape.
pub fn is_v1(value: &Value) -> bool {
    let old_event = |e: &Value| e.get("type").is_some();
    value.get("event").is_some_and(old_event)
        || value.get("events").and_then(Value::as_object).is_some_and(|m| m.values().any(|e| e.get("action").is_some()))
}

/// The guarded values a carried-over step approves: the record's, now.
pub fn snapshot(state: &RecordState) -> std::collections::BTreeMap<String, Value> {
    WORKFLOW.snapshot(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::order::{OrderView, PaymentStamp, Status};
    use serde_json::json;

    fn v1_order() -> Value {
        json!({
            "kind": "order", "id": "0193a1b2-c3d4-7000-8000-00000000abcd", "office": "FS",
            "fields": {
                "number": {"v": {"0193a1b2c3d4-0000-0000000000000001": "FS-261128-01-001"}},
                "customer_name": {"v": {"0193a1b2c3d4-0000-0000000000000001": "美居"}},
                "payment": {"v": {"0193a1b2c3d4-0000-0000000000000001": "on_arrival"}},
                "lines": {"v": {"0193a1b2c3d4-0000-0000000000000001":
                    [{"model": "AJ-8801", "name": "龙头", "quantity": 3, "unit": "个", "unit_price": 2200}]}}
            },
            "events": {
                "0193a1b2c3d5-0000-0000000000000002": {"action": {"type": "review"}, "by": "fs_reviewer"},
                "0193a1b2c3d6-0000-0000000000000003": {"action": {"type": "audit", "stamp": "paid"}, "by": "fs_cashier"}
            }
        })
    }

    #[test]
    fn a_protocol_1_order_keeps_its_steps_which_approve_it_as_it_stands() {
        let v1 = v1_order();
        assert!(is_v1(&v1));
        let state = record_from_v1(v1).unwrap();
        let view = OrderView::from_record(&state);
        assert_eq!(view.status, Status::Audited);
        assert_eq!(view.stamp, Some(PaymentStamp::Paid));
        assert!(!is_v1(&serde_json::to_value(&state).unwrap()));
        assert_eq!(record_from_v1(serde_json::to_value(&state).unwrap()), Some(state), "protocol 2 passes through");
    }

    #[test]
    fn a_protocol_1_outbox_step_becomes_a_step_approving_what_the_device_shows() {
        let state = record_from_v1(v1_order()).unwrap();
        let change = json!({
            "id": "0193a1b2-c3d4-7000-8000-0000000000ff", "seq": 0, "kind": "order",
            "record": "0193a1b2-c3d4-7000-8000-00000000abcd", "office": "FS",
            "ts": "0193a1b2c3d7-0000-0000000000000004", "by": "fs_logistics",
            "event": {"type": "ship", "waybill": "DB-1", "packages": 2}
        });
        assert!(is_v1(&change));
        let c = change_from_v1(change, Some(&state)).unwrap();
        let step = c.event.unwrap();
        assert_eq!(step.step, "ship");
        assert_eq!(step.data.get("waybill"), Some(&json!("DB-1")));
        assert_eq!(step.approved, snapshot(&state));
    }
}
