//! The sync protocol as docs/sync-protocol.md states it, checked against the server one
//! finding at a time: what a client that follows the document to the letter meets, and
//! what one device can no longer do to another.

use crate::helpers::*;
use common::engine::ids::RecordId;
use common::engine::record::{Change, Kind};
use common::engine::wire::{Outcome, PushResponse, PROTOCOL_VERSION};
use serde_json::{json, Value};

/// RFC 8785 canonical JSON, written here from the document alone (not the server's code).
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| k.encode_utf16().collect::<Vec<u16>>());
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(k, out);
                out.push(':');
                canonical(&map[*k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::String(s) => string(s, out),
        Value::Number(n) => out.push_str(&n.as_i64().expect("records hold integers only").to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
    }
}

fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn digest32(record: &Value) -> u64 {
    let mut text = String::new();
    canonical(record, &mut text);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h >> 32
}

impl Device {
    /// Pushes changes given as JSON, exactly as written.
    async fn push_json(&self, changes: Vec<Value>) -> (u16, Value) {
        let body = json!({"protocol": PROTOCOL_VERSION, "client": self.client, "changes": changes});
        let resp = self
            .http
            .post(format!("{}/api/sync/push", self.base))
            .bearer_auth(self.token())
            .json(&body)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    fn as_json(c: &Change) -> Value {
        serde_json::to_value(c).unwrap()
    }
}

fn result(body: &Value, i: usize) -> (String, String, String) {
    let r = &body["results"][i];
    let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
    (s("outcome"), s("code"), s("message"))
}

#[tokio::test]
async fn digests_computed_from_the_document_match_the_servers_for_every_kind_of_record() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut fs = login(&base, "fs_clerk").await;
    let order = fs.new_order(1);
    fs.push(vec![order]).await;
    let hq = login(&base, "hq_admin").await;
    let mut cursor = 0;
    let (mut count, mut sum) = (0u64, 0u64);
    let mut kinds = std::collections::BTreeSet::new();
    loop {
        let page: Value = hq
            .http
            .get(format!("{base}/api/sync/pull?cursor={cursor}&limit=7"))
            .bearer_auth(hq.token())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for r in page["records"].as_array().unwrap() {
            kinds.insert(r["kind"].as_str().unwrap().to_string());
            count += 1;
            sum = sum.wrapping_add(digest32(r));
        }
        cursor = page["cursor"].as_u64().unwrap();
        if !page["more"].as_bool().unwrap() {
            assert_eq!(page["digest"], json!({"count": count, "sum": sum}), "the server's digest, recomputed");
            break;
        }
    }
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["customer", "order", "product", "station"]);
}

#[tokio::test]
async fn an_unknown_key_inside_a_line_refuses_that_change_naming_the_line_and_the_key() {
    let app = spawn_app().await;
    let mut fs = login(&app.url(""), "fs_clerk").await;
    let mut bad = Device::as_json(&fs.new_order(1));
    let lines = bad["set"]["lines"]["value"].as_array_mut().unwrap();
    lines[0]["colour"] = json!("red");
    let good = Device::as_json(&fs.new_order(2));
    let (status, body) = fs.push_json(vec![bad, good]).await;
    assert_eq!(status, 200);
    let (outcome, code, message) = result(&body, 0);
    assert_eq!((outcome.as_str(), code.as_str()), ("refused", "invalid"));
    assert!(message.contains("lines.0.colour"), "{message}");
    assert_eq!(result(&body, 1).0, "applied", "the device goes on");
    // A misspelt key is no different, and a missing one is named too.
    let mut typo = Device::as_json(&fs.new_order(3));
    let line = &mut typo["set"]["lines"]["value"][0];
    let price = line.as_object_mut().unwrap().remove("unit_price").unwrap();
    line["unitprice"] = price;
    let (_, body) = fs.push_json(vec![typo]).await;
    assert!(result(&body, 0).2.contains("lines.0.unitprice"), "{:?}", result(&body, 0));
}

#[tokio::test]
async fn a_change_that_cannot_be_read_is_refused_by_itself_and_the_device_goes_on() {
    let app = spawn_app().await;
    let mut fs = login(&app.url(""), "fs_clerk").await;
    let mut bad_stamp = Device::as_json(&fs.new_order(1));
    bad_stamp["ts"] = json!("yesterday");
    let mut bad_id = Device::as_json(&fs.new_order(2));
    bad_id["record"] = json!("order-2");
    let mut stray_key = Device::as_json(&fs.new_order(3));
    stray_key["sneaky"] = json!(true);
    let good = Device::as_json(&fs.new_order(4));
    let (status, body) = fs.push_json(vec![bad_stamp, bad_id, stray_key, good]).await;
    assert_eq!(status, 200);
    for i in 0..3 {
        let (outcome, code, _) = result(&body, i);
        assert_eq!((outcome.as_str(), code.as_str()), ("refused", "malformed"), "change {i}");
    }
    assert!(result(&body, 2).2.contains("sneaky"), "the message names the key");
    assert_eq!(result(&body, 3).0, "applied");
    assert_eq!(body["acked_through"], json!(4), "every seq is settled: nothing waits behind them");
    // Sent again, they are answered the same.
    let (_, again) = fs.push_json(vec![]).await;
    assert_eq!(again["acked_through"], json!(4));
}

#[tokio::test]
async fn a_write_that_replaces_its_own_version_is_refused() {
    let app = spawn_app().await;
    let mut fs = login(&app.url(""), "fs_clerk").await;
    let order = fs.new_order(1);
    fs.push(vec![order.clone()]).await;
    let seen = fs.order(order.record).await;
    let mut c = fs.change(Kind::ORDER, order.record, &seen.office, Some(&seen), [("notes".into(), json!("x"))].into());
    let own = c.ts;
    c.set.get_mut("notes").unwrap().replaces.push(own);
    let r = fs.push(vec![c]).await.results.remove(0);
    assert_eq!((r.outcome, r.code.as_deref()), (Outcome::Refused, Some("invalid")));
    assert_eq!(fs.order(order.record).await.get_str("notes"), "", "nothing stored");
}

#[tokio::test]
async fn a_device_id_belongs_to_the_person_who_first_used_it() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut fs = login(&base, "fs_clerk").await;
    let first = fs.new_order(1);
    fs.push(vec![first]).await;
    // Another person presents the same device id: refused, and nothing of the first is touched.
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/login"))
        .json(&json!({"username": "sz_clerk", "password": PASSWORD, "client": fs.client}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "client_in_use");
    let second = fs.new_order(2);
    assert_eq!(fs.push(vec![second]).await.results[0].outcome, Outcome::Applied, "the owner's sequence goes on");
}

#[tokio::test]
async fn log_in_tells_a_device_the_last_of_its_changes_the_server_settled() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut fs = login(&base, "fs_clerk").await;
    assert_eq!(fs.login.last_seq, 0);
    let changes = vec![fs.new_order(1), fs.new_order(2), fs.new_order(3)];
    fs.push(changes).await;
    // The same device logs in again, its storage restored from an older copy.
    let again: common::desk::account::LoginResponse = reqwest::Client::new()
        .post(format!("{base}/api/login"))
        .json(&json!({"username": "fs_clerk", "password": PASSWORD, "client": fs.client}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again.last_seq, 3);
}

#[tokio::test]
async fn one_fast_device_clock_does_not_move_the_time_the_server_tells_everyone() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut fast = login(&base, "fs_clerk").await;
    let mut order = fast.new_order(1);
    order.ts.wall_ms = now_ms() + 35 * 3600 * 1000;
    let resp: PushResponse = fast.push(vec![order]).await;
    assert_eq!(resp.results[0].outcome, Outcome::Applied, "35 hours ahead is still accepted");
    let near = |wall: u64| wall.abs_diff(now_ms()) < 60_000;
    assert!(near(resp.server_time.wall_ms), "the server's time stays the server's");
    let other = login(&base, "sz_clerk").await;
    assert!(near(other.login.server_time.wall_ms), "and other devices are told the true time");
}

#[tokio::test]
async fn order_numbers_name_their_office_device_and_a_real_day_are_unique_and_never_change() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut fs = login(&base, "fs_clerk").await;
    let today = &fs.number(1)[3..9].to_string();
    let device = fs.login.device_no;
    let numbered = |fs: &mut Device, number: String| {
        let mut c = fs.new_order(1);
        c.set.get_mut("number").unwrap().value = json!(number);
        c
    };
    let cases = [
        (format!("SZ-{today}-{device:02}-001"), "another office's code"),
        (format!("FS-{today}-{:02}-001", device + 1), "another device's number"),
        (format!("FS-261301-{device:02}-001"), "month 13"),
        (format!("FS-991231-{device:02}-001"), "a day years ahead"),
    ];
    for (number, what) in cases {
        let c = numbered(&mut fs, number);
        let r = fs.push(vec![c]).await.results.remove(0);
        assert_eq!((r.outcome, r.code.as_deref()), (Outcome::Refused, Some("invalid")), "{what}: {:?}", r.message);
    }
    let first = fs.new_order(7);
    assert_eq!(fs.push(vec![first.clone()]).await.results[0].outcome, Outcome::Applied);
    let twin = fs.new_order(7);
    let r = fs.push(vec![twin]).await.results.remove(0);
    assert_eq!((r.outcome, r.code.as_deref()), (Outcome::Refused, Some("duplicate")), "the same number twice");
    let seen = fs.order(first.record).await;
    let renumber = fs.change(
        Kind::ORDER,
        first.record,
        &seen.office,
        Some(&seen),
        [("number".into(), json!(fs.number(8)))].into(),
    );
    let r = fs.push(vec![renumber]).await.results.remove(0);
    assert_eq!((r.outcome, r.code.as_deref()), (Outcome::Refused, Some("invalid")), "a number never changes");
}

#[tokio::test]
async fn a_step_impossible_from_what_its_author_saw_is_refused_with_the_reason() {
    use common::desk::order::{Action, PaymentStamp};
    let app = spawn_app().await;
    let base = app.url("");
    let mut fs = login(&base, "fs_clerk").await;
    let order = fs.new_order(1);
    fs.push(vec![order.clone()]).await;
    let id = order.record;
    let mut logistics = login(&base, "fs_logistics").await;
    let step = |d: &mut Device, seen: &common::engine::record::RecordState, a: Action| {
        let mut c = d.change(Kind::ORDER, id, &seen.office, Some(seen), Default::default());
        c.event = Some(a.to_write(Some(seen)));
        c
    };
    let entered = logistics.order(id).await;
    let ship = step(&mut logistics, &entered, Action::Ship { waybill: "DB-1".into(), packages: 1, shipment: None });
    let r = logistics.push(vec![ship]).await.results.remove(0);
    assert_eq!((r.outcome, r.code.as_deref()), (Outcome::Refused, Some("not_ready")), "{:?}", r.message);

    let review = step(&mut fs, &entered, Action::Review);
    assert_eq!(fs.push(vec![review]).await.results[0].outcome, Outcome::Applied);
    let reviewed = fs.order(id).await;
    let again = step(&mut fs, &reviewed, Action::Review);
    let r = fs.push(vec![again]).await.results.remove(0);
    assert_eq!((r.outcome, r.code.as_deref()), (Outcome::Refused, Some("already_done")));

    let void = step(&mut fs, &reviewed, Action::Void { reason: "客户取消".into() });
    assert_eq!(fs.push(vec![void]).await.results[0].outcome, Outcome::Applied);
    let voided = fs.order(id).await;
    let mut cashier = login(&base, "fs_cashier").await;
    let audit = step(&mut cashier, &voided, Action::Audit { stamp: PaymentStamp::Paid });
    let r = cashier.push(vec![audit]).await.results.remove(0);
    assert_eq!((r.outcome, r.code.as_deref()), (Outcome::Refused, Some("closed")));
    let edit = fs.change(Kind::ORDER, id, &voided.office, Some(&voided), [("notes".into(), json!("改"))].into());
    let r = fs.push(vec![edit]).await.results.remove(0);
    assert_eq!((r.outcome, r.code.as_deref()), (Outcome::Refused, Some("closed")), "edits of a voided order");
}

#[tokio::test]
async fn an_order_dropped_from_a_full_device_is_fetched_by_id_by_its_office_and_head_office_only() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut fs = login(&base, "fs_clerk").await;
    let order = fs.new_order(1);
    let (id, number) = (order.record, fs.number(1));
    assert_eq!(fs.push(vec![order]).await.results[0].outcome, Outcome::Applied);
    let unknown = RecordId::new_v7(now_ms(), random10());
    let (status, body) = fetch(&fs, &format!("kind=order&ids={id},{unknown}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(fetched_numbers(&body), vec![number.clone()], "the unknown id is left out");
    let hq = login(&base, "hq_manager").await;
    assert_eq!(fetched_numbers(&fetch(&hq, &format!("kind=order&ids={id}")).await.1), vec![number]);
    let sz = login(&base, "sz_clerk").await;
    let (status, body) = fetch(&sz, &format!("kind=order&ids={id}")).await;
    assert_eq!(status, 200);
    assert!(fetched_numbers(&body).is_empty(), "another branch's order is not sent: {body}");
}

#[tokio::test]
async fn a_search_of_the_servers_orders_matches_as_the_order_list_does_within_the_office() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut fs = login(&base, "fs_clerk").await;
    let office = fs.office();
    let mut changes = Vec::new();
    for (seq, customer) in [(1, "顺德美居建材"), (2, "南海华艺卫浴"), (3, "美居装饰")] {
        let id = RecordId::new_v7(now_ms(), random10());
        let number = fs.number(seq);
        changes.push(fs.change(Kind::ORDER, id, &office, None, order_values(&number, customer, 2)));
    }
    fs.push(changes).await;
    let mut sz = login(&base, "sz_clerk").await;
    let sz_office = sz.office();
    let id = RecordId::new_v7(now_ms(), random10());
    let number = sz.number(1);
    let c = sz.change(Kind::ORDER, id, &sz_office, None, order_values(&number, "深圳美居", 1));
    sz.push(vec![c]).await;

    // By part of a name, or by number: only this office's orders.
    let (status, body) = fetch(&fs, &format!("kind=order&q={}", urlencode("美居"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(fetched_numbers(&body), vec![fs.number(1), fs.number(3)]);
    assert_eq!(body["more"], false);
    assert_eq!(
        fetched_numbers(&fetch(&fs, &format!("kind=order&q={}", urlencode("华艺"))).await.1),
        vec![fs.number(2)]
    );
    assert_eq!(fetched_numbers(&fetch(&fs, &format!("kind=order&q={}", fs.number(2))).await.1), vec![fs.number(2)]);
    // A limit below what matches sends the newest and says there is more.
    let (_, body) = fetch(&fs, &format!("kind=order&limit=1&q={}", urlencode("美居"))).await;
    assert_eq!((fetched_numbers(&body), &body["more"]), (vec![fs.number(3)], &serde_json::json!(true)));
    // Head office searches every office.
    let hq = login(&base, "hq_manager").await;
    assert_eq!(fetched_numbers(&fetch(&hq, &format!("kind=order&q={}", urlencode("美居"))).await.1).len(), 3);

    // An order found by what it says now: the customer of the second is renamed.
    let second = fs.orders().await.into_iter().find(|o| o.get_str("number") == fs.number(2)).unwrap();
    let rename = [("customer_name".to_string(), serde_json::json!("佛山美居新店"))].into();
    let edit = fs.change(Kind::ORDER, second.id, &office, Some(&second), rename);
    assert_eq!(fs.push(vec![edit]).await.results[0].outcome, Outcome::Applied);
    assert!(fetched_numbers(&fetch(&fs, &format!("kind=order&q={}", urlencode("华艺"))).await.1).is_empty());
    assert_eq!(
        fetched_numbers(&fetch(&fs, &format!("kind=order&q={}", urlencode("美居 新店"))).await.1),
        vec![fs.number(2)]
    );
    // Newest change first: the renamed order now comes before the others.
    let (_, body) = fetch(&fs, &format!("kind=order&limit=1&q={}", urlencode("美居"))).await;
    assert_eq!((fetched_numbers(&body), &body["more"]), (vec![fs.number(2)], &serde_json::json!(true)));
}

#[tokio::test]
async fn a_fetch_that_cannot_be_answered_is_refused_naming_the_parameter() {
    let app = spawn_app().await;
    let fs = login(&app.url(""), "fs_clerk").await;
    for (query, field) in [
        ("kind=order", "ids"),
        ("kind=order&ids=not-an-id", "ids"),
        ("kind=parcel&ids=0193a1b2-c3d4-7000-8000-00000000abcd", "kind"),
        ("kind=customer&q=abc", "q"),
        ("kind=order&q=%20", "q"),
        ("kind=order&q=abc&limit=0", "limit"),
        ("kind=order&q=abc&limit=101", "limit"),
    ] {
        let (status, body) = fetch(&fs, query).await;
        assert_eq!((status, body["field"].as_str()), (400, Some(field)), "{query}: {body}");
    }
    let anonymous = reqwest::get(app.url("/api/sync/records?kind=order&q=abc")).await.unwrap();
    assert_eq!(anonymous.status(), 401);
}
