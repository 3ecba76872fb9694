//! The HTTP API against a real server on loopback and a real SQLite file.

use crate::helpers::*;
use common::engine::ids::RecordId;
use common::engine::record::{Kind, RecordState};
use common::engine::wire::{ErrorBody, Outcome, PullAsk, PushRequest, ScopeDigest, PACKED_RECORDS, PROTOCOL_VERSION};
use serde_json::json;

async fn error_of(resp: reqwest::Response) -> (u16, ErrorBody) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body: ErrorBody =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not a JSON error body ({status}): {text}"));
    (status, body)
}

#[tokio::test]
async fn health_answers_ok() {
    let app = spawn_app().await;
    let body: serde_json::Value = app.http.get(app.url("/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["protocol"], PROTOCOL_VERSION);
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_json_error() {
    let app = spawn_app().await;
    for (user, password) in [("fs_clerk", "nope"), ("nobody", "demo1234")] {
        let resp = app
            .http
            .post(app.url("/api/login"))
            .json(&json!({"username": user, "password": password, "client": new_client()}))
            .send()
            .await
            .unwrap();
        let (status, body) = error_of(resp).await;
        assert_eq!((status, body.error.as_str()), (401, "bad_credentials"));
    }
}

#[tokio::test]
async fn the_demo_data_has_every_role_in_every_office_and_a_catalogue() {
    let app = spawn_app().await;
    for office in ["hq", "fs", "sz"] {
        for role in ["clerk", "reviewer", "cashier", "logistics", "salesperson", "manager"] {
            let d = login(&app.url(""), &format!("{office}_{role}")).await;
            assert_eq!(d.login.user.role.code(), role);
        }
    }
    let admin = login(&app.url(""), "hq_admin").await;
    assert!(admin.login.user.office.is_hq);
    let all = admin.pull_all().await;
    let count = |k: Kind| all.iter().filter(|r| r.kind == k).count();
    assert_eq!(count(Kind::PRODUCT), 50);
    assert_eq!(count(Kind::STATION), 10);
    assert_eq!(count(Kind::CUSTOMER), 30);
}

#[tokio::test]
async fn every_api_call_needs_a_valid_session() {
    let app = spawn_app().await;
    for path in ["/api/me", "/api/sync/pull"] {
        let (status, body) = error_of(app.http.get(app.url(path)).send().await.unwrap()).await;
        assert_eq!((status, body.error.as_str()), (401, "unauthenticated"), "{path} without a token");
        let (status, _) = error_of(app.http.get(app.url(path)).bearer_auth("forged").send().await.unwrap()).await;
        assert_eq!(status, 401, "{path} with a forged token");
    }
    let resp = app.http.post(app.url("/api/sync/push")).json(&json!({})).send().await.unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn replaying_the_same_push_stores_one_order() {
    let app = spawn_app().await;
    let mut clerk = login(&app.url(""), "fs_clerk").await;
    let order = clerk.new_order(1);
    for _ in 0..5 {
        let resp = clerk.push(vec![order.clone()]).await;
        assert_eq!(resp.acked_through, 1);
        assert_eq!(resp.results[0].outcome, Outcome::Applied);
    }
    let orders = clerk.orders().await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].get_str("number"), clerk.number(1));
    // A later push that repeats the batch and adds one more stores just the new one.
    let second = clerk.new_order(2);
    let resp = clerk.push(vec![order, second]).await;
    assert_eq!(resp.acked_through, 2);
    assert_eq!(clerk.orders().await.len(), 2);
}

#[tokio::test]
async fn a_gap_in_the_sequence_is_refused_and_nothing_after_it_applies() {
    let app = spawn_app().await;
    let mut clerk = login(&app.url(""), "fs_clerk").await;
    let first = clerk.new_order(1);
    let _lost = clerk.new_order(2);
    let third = clerk.new_order(3);
    let resp = clerk
        .push_raw(&PushRequest {
            protocol: PROTOCOL_VERSION,
            client: clerk.client,
            changes: vec![first, third],
            pull: None,
        })
        .await;
    assert_eq!(resp.status(), 409);
    let body: common::engine::wire::PushResponse = resp.json().await.unwrap();
    assert_eq!(body.acked_through, 1);
    assert_eq!(body.gap, Some(common::engine::wire::Gap { expected: 2, got: 3 }));
    let numbers: Vec<String> = clerk.orders().await.iter().map(|o| o.get_str("number").to_string()).collect();
    assert_eq!(numbers, vec![clerk.number(1)]);
}

#[tokio::test]
async fn a_branch_cannot_read_or_write_another_offices_orders() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut sz = login(&base, "sz_clerk").await;
    let mut fs = login(&base, "fs_clerk").await;
    let sz_order = sz.new_order(1);
    assert_eq!(sz.push(vec![sz_order.clone()]).await.results[0].outcome, Outcome::Applied);

    assert!(fs.orders().await.is_empty(), "FS must not see SZ's order");
    let hq = login(&base, "hq_clerk").await;
    assert_eq!(hq.orders().await.len(), 1, "head office sees every office");

    // FS tries to overwrite SZ's order, claiming the SZ office in the change.
    let stored = sz.orders().await.remove(0);
    let sz_office = office("SZ");
    let forged = fs.change(
        Kind::ORDER,
        sz_order.record,
        &sz_office,
        Some(&stored),
        order_values("SZ-261128-01-001", "hijacked", 99),
    );
    let resp = fs.push(vec![forged]).await;
    assert_eq!(resp.results[0].outcome, Outcome::Refused);
    assert_eq!(resp.results[0].code.as_deref(), Some("forbidden"));
    // ... or says it is its own office's record, to move it.
    let fs_office = office("FS");
    let moved = fs.change(
        Kind::ORDER,
        sz_order.record,
        &fs_office,
        Some(&stored),
        order_values("SZ-261128-01-001", "moved", 99),
    );
    let resp = fs.push(vec![moved]).await;
    assert_eq!(resp.results[0].outcome, Outcome::Refused);
    assert_eq!(resp.results[0].code.as_deref(), Some("office_mismatch"));
    // ... or signs it with SZ's clerk's name.
    let mut spoofed = fs.new_order(1);
    spoofed.by = "sz_clerk".into();
    assert_eq!(fs.push(vec![spoofed]).await.results[0].code.as_deref(), Some("forbidden"));

    let after = sz.orders().await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].get_str("customer_name"), "美居建材", "SZ's order is untouched");
}

#[tokio::test]
async fn pushing_under_another_devices_client_id_is_forbidden() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut fs = login(&base, "fs_clerk").await;
    let other = login(&base, "fs_clerk").await;
    let change = fs.new_order(1);
    let resp = fs
        .push_raw(&PushRequest { protocol: PROTOCOL_VERSION, client: other.client, changes: vec![change], pull: None })
        .await;
    let (status, body) = error_of(resp).await;
    assert_eq!((status, body.error.as_str()), (403, "forbidden"));
}

#[tokio::test]
async fn a_change_id_already_used_by_another_device_is_refused_not_an_error() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut a = login(&base, "fs_clerk").await;
    let mut b = login(&base, "fs_clerk").await;
    let original = a.new_order(1);
    a.push(vec![original.clone()]).await;
    let mut copy = b.new_order(1);
    copy.id = original.id;
    let resp = b.push(vec![copy]).await;
    assert_eq!(resp.results[0].code.as_deref(), Some("duplicate_id"));
    // The device's stream goes on: its next change is accepted.
    let next = b.new_order(2);
    assert_eq!(b.push(vec![next]).await.results[0].outcome, Outcome::Applied);
}

#[tokio::test]
async fn roles_are_checked_on_the_server() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut cashier = login(&base, "fs_cashier").await;
    let order = cashier.new_order(1);
    let resp = cashier.push(vec![order]).await;
    assert_eq!(resp.results[0].code.as_deref(), Some("forbidden"), "a cashier does not take orders");

    let mut clerk = login(&base, "fs_clerk").await;
    let product = RecordId::new_v7(now_ms(), random10());
    let hq = office("HQ");
    let change = clerk.change(
        Kind::PRODUCT,
        product,
        &hq,
        None,
        [("model".to_string(), json!("X-1")), ("name".to_string(), json!("x"))].into(),
    );
    assert_eq!(
        clerk.push(vec![change]).await.results[0].code.as_deref(),
        Some("forbidden"),
        "only head office edits the catalogue"
    );
}

#[tokio::test]
async fn a_first_sync_can_stop_after_any_page_and_resume_from_its_cursor() {
    let app = spawn_app().await;
    let hq = login(&app.url(""), "hq_admin").await;
    let everything = hq.pull_all().await;
    // Two pages, then the device goes away; later it resumes from the cursor it stored.
    let first = hq.pull_page(0, 7).await;
    let second = hq.pull_page(first.cursor, 7).await;
    assert!(first.more && second.more && first.records.len() == 7);
    let mut got: Vec<_> = first.records.into_iter().chain(second.records).collect();
    let mut cursor = second.cursor;
    loop {
        let p = hq.pull_page(cursor, 7).await;
        got.extend(p.records);
        cursor = p.cursor;
        if !p.more {
            break;
        }
    }
    let ids = |v: &[common::engine::record::RecordState]| {
        v.iter().map(|r| (r.kind, r.id)).collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(got.len(), everything.len(), "nothing twice");
    assert_eq!(ids(&got), ids(&everything), "nothing missing");
}

#[tokio::test]
async fn the_scope_digest_matches_what_each_user_was_sent() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut fs = login(&base, "fs_clerk").await;
    let mut hq = login(&base, "hq_manager").await;
    let order = fs.new_order(1);
    let second = fs.new_order(2);
    fs.push(vec![order.clone(), second]).await;
    let seen = fs.orders().await.into_iter().find(|o| o.id == order.record).unwrap();
    let fs_office = office("FS");
    let edit =
        hq.change(Kind::ORDER, order.record, &fs_office, Some(&seen), [("notes".to_string(), json!("改过"))].into());
    let hq_order = hq.new_order(1);
    hq.push(vec![edit, hq_order]).await;
    for user in ["fs_clerk", "sz_clerk", "hq_admin"] {
        let d = login(&base, user).await;
        let records = d.pull_all().await;
        let last = d.pull_page(0, 1000).await;
        assert!(!last.more);
        assert_eq!(last.digest, Some(common::engine::wire::ScopeDigest::of(&records)), "{user}");
    }
}

#[tokio::test]
async fn edits_of_different_fields_from_two_offices_both_stand() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut fs = login(&base, "fs_clerk").await;
    let mut hq = login(&base, "hq_manager").await;
    let order = fs.new_order(1);
    fs.push(vec![order.clone()]).await;
    let seen = fs.orders().await.remove(0);
    let fs_office = office("FS");
    let a = fs.change(
        Kind::ORDER,
        order.record,
        &fs_office,
        Some(&seen),
        [("phone".to_string(), json!("139 0000 0000"))].into(),
    );
    let b = hq.change(
        Kind::ORDER,
        order.record,
        &fs_office,
        Some(&seen),
        [("notes".to_string(), json!("先打电话再送"))].into(),
    );
    assert_eq!(hq.push(vec![b]).await.results[0].outcome, Outcome::Applied);
    assert_eq!(fs.push(vec![a]).await.results[0].outcome, Outcome::Applied);
    let merged = fs.orders().await.remove(0);
    assert_eq!(merged.get_str("phone"), "139 0000 0000");
    assert_eq!(merged.get_str("notes"), "先打电话再送");
    assert!(merged.conflicts().is_empty());
}

#[tokio::test]
async fn an_invalid_order_is_refused_with_its_reason_and_not_stored() {
    let app = spawn_app().await;
    let mut fs = login(&app.url(""), "fs_clerk").await;
    let mut bad = fs.new_order(1);
    bad.set.get_mut("lines").unwrap().value = json!([{"model": "AJ-1", "name": "x", "quantity": 0, "unit_price": 100}]);
    let resp = fs.push(vec![bad]).await;
    assert_eq!(resp.results[0].outcome, Outcome::Refused);
    assert_eq!(resp.results[0].code.as_deref(), Some("invalid"));
    assert!(resp.results[0].message.as_deref().unwrap().contains("lines"), "{:?}", resp.results[0].message);
    let mut incomplete = fs.new_order(2);
    incomplete.set.remove("customer_name");
    assert_eq!(fs.push(vec![incomplete]).await.results[0].code.as_deref(), Some("incomplete"));
    assert!(fs.orders().await.is_empty());
}

#[tokio::test]
async fn a_timestamp_from_a_clock_days_ahead_is_refused() {
    let app = spawn_app().await;
    let mut fs = login(&app.url(""), "fs_clerk").await;
    let mut order = fs.new_order(1);
    order.ts.wall_ms += 3 * 24 * 3600 * 1000;
    let resp = fs.push(vec![order]).await;
    assert_eq!(resp.results[0].code.as_deref(), Some("clock_ahead"));
}

#[tokio::test]
async fn malformed_requests_get_clear_4xx_json_errors_and_change_nothing() {
    let app = spawn_app().await;
    let mut fs = login(&app.url(""), "fs_clerk").await;
    let push = app.url("/api/sync/push");
    let token = fs.token().to_string();
    let send = |body: String| {
        app.http
            .post(push.clone())
            .bearer_auth(token.clone())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let (status, body) = error_of(send("{\"protocol\": 1,".into()).await.unwrap()).await;
    assert_eq!((status, body.error.as_str()), (400, "malformed_json"));

    let (status, body) =
        error_of(send(json!({"protocol": "one", "client": fs.client, "changes": []}).to_string()).await.unwrap()).await;
    assert_eq!((status, body.error.as_str()), (422, "invalid_body"));
    assert!(body.message.contains("protocol"), "{}", body.message);

    let (status, body) = error_of(
        send(json!({"protocol": PROTOCOL_VERSION, "client": fs.client, "changes": [], "admin": true}).to_string())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body.error.as_str()), (422, "invalid_body"));
    assert!(body.message.contains("admin"), "{}", body.message);

    // A change whose seq cannot be read cannot be settled: the whole push is refused.
    let mut change = serde_json::to_value(fs.new_order(1)).unwrap();
    change["seq"] = json!("first");
    let (status, body) = error_of(
        send(json!({"protocol": PROTOCOL_VERSION, "client": fs.client, "changes": [change]}).to_string())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body.error.as_str()), (422, "invalid_body"));
    assert!(body.message.contains("seq"), "{}", body.message);

    let huge = format!(
        "{{\"protocol\": {PROTOCOL_VERSION}, \"client\": \"{}\", \"changes\": [], \"pad\": \"{}\"}}",
        fs.client,
        "x".repeat(5 * 1024 * 1024)
    );
    let (status, body) = error_of(send(huge).await.unwrap()).await;
    assert_eq!((status, body.error.as_str()), (413, "body_too_large"));

    let (status, body) =
        error_of(send(json!({"protocol": 99, "client": fs.client, "changes": []}).to_string()).await.unwrap()).await;
    assert_eq!((status, body.error.as_str()), (400, "unsupported_protocol"));

    let many: Vec<_> = (0..501).map(|n| fs.new_order(n)).collect();
    let (status, body) = error_of(
        fs.push_raw(&PushRequest { protocol: PROTOCOL_VERSION, client: fs.client, changes: many, pull: None }).await,
    )
    .await;
    assert_eq!((status, body.error.as_str()), (413, "too_many_changes"));

    let resp = app.http.post(push.clone()).bearer_auth(fs.token()).body("{}").send().await.unwrap();
    assert_eq!(error_of(resp).await.0, 415, "not declared as JSON");

    let resp = app.http.get(app.url("/api/sync/pull?cursor=abc")).bearer_auth(fs.token()).send().await.unwrap();
    let (status, body) = error_of(resp).await;
    assert_eq!((status, body.error.as_str()), (400, "invalid_query"));
    let resp = app.http.get(app.url("/api/sync/pull?limit=100000")).bearer_auth(fs.token()).send().await.unwrap();
    assert_eq!(error_of(resp).await.0, 400);
    let resp = app.http.get(app.url("/api/nothing/here")).bearer_auth(fs.token()).send().await.unwrap();
    assert_eq!(error_of(resp).await.0, 404);

    assert!(fs.orders().await.is_empty(), "nothing was stored");
}

#[tokio::test]
async fn the_database_file_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    {
        let state = backend::open_state(&path, None, true).unwrap_or_else(|e| panic!("{}", e.message));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, backend::app(state)).await.unwrap() });
        let mut fs = login(&format!("http://{addr}"), "fs_clerk").await;
        let order = fs.new_order(1);
        fs.push(vec![order]).await;
        server.abort();
    }
    let app = spawn_app_in(dir).await;
    let fs = login(&app.url(""), "fs_clerk").await;
    assert_eq!(fs.orders().await.len(), 1);
    let products = fs.pull_all().await.into_iter().filter(|r| r.kind == Kind::PRODUCT).count();
    assert_eq!(products, 50, "demo data is seeded once, not again on restart");
}

#[tokio::test]
async fn pushed_orders_reach_the_database_file_itself_soon_not_only_its_write_ahead_log() {
    // Copied by a file-level backup without its `-wal`, the file holds what was answered a
    // moment ago, and the log stays small: checkpoints do not wait for a thousand pages.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(backend::ops::DB_FILE);
    let app = spawn_app_in(dir).await;
    let mut fs = login(&app.url(""), "fs_clerk").await;
    let orders = (1..=20).map(|k| fs.new_order(k)).collect();
    fs.push(orders).await;
    // The file without its log, copied aside: it holds only what was checkpointed (a copy
    // torn by a checkpoint under way reads as not yet).
    let copy = tempfile::tempdir().unwrap();
    let aside = copy.path().join("file-alone.sqlite3");
    let orders_in_file = || -> Option<i64> {
        std::fs::copy(&file, &aside).ok()?;
        let conn = rusqlite::Connection::open(&aside).ok()?;
        conn.query_row("SELECT count(*) FROM records WHERE kind = 'order'", [], |r| r.get(0)).ok()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while orders_in_file() != Some(20) {
        assert!(std::time::Instant::now() < deadline, "the orders are still only in the write-ahead log");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// What a device reads from `cursor` on, page by page: records, cursors, whether more, digests.
async fn pages_from(
    d: &Device,
    mut cursor: u64,
    limit: u32,
) -> Vec<(Vec<RecordState>, u64, bool, Option<ScopeDigest>)> {
    let mut out = Vec::new();
    loop {
        let page = d.pull_page(cursor, limit).await;
        cursor = page.cursor;
        let more = page.more;
        out.push((page.records, page.cursor, page.more, page.digest));
        if !more {
            return out;
        }
    }
}

#[tokio::test]
async fn pulls_answered_from_memory_match_the_stores_own_answers_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let serve = |path: std::path::PathBuf| async move {
        let state = backend::open_state(&path, None, true).unwrap_or_else(|e| panic!("{}", e.message));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, backend::app(state)).await.unwrap() });
        (format!("http://{addr}"), server)
    };
    let (base, server) = serve(path.clone()).await;
    let hq = login(&base, "hq_clerk").await;
    let start = pages_from(&hq, 0, 1000).await.last().unwrap().1;
    let mut fs = login(&base, "fs_clerk").await;
    let mut sz = login(&base, "sz_clerk").await;
    let (a, b, c) = (fs.new_order(1), fs.new_order(2), sz.new_order(1));
    fs.push(vec![a.clone(), b]).await;
    sz.push(vec![c]).await;
    // An order changed again: only its newest state is sent.
    let stored = fs.order(a.record).await;
    let office = fs.office();
    let edit = fs.change(Kind::ORDER, a.record, &office, Some(&stored), [("notes".to_string(), json!("again"))].into());
    let d = fs.new_order(3);
    fs.push(vec![edit, d]).await;
    let mut before = Vec::new();
    for d in [&hq, &fs, &sz] {
        for limit in [1, 2, 100] {
            before.push(pages_from(d, start, limit).await);
        }
    }
    assert_eq!(before[2].last().unwrap().0.len(), 4, "hq sees three orders of FS (one changed twice) and one of SZ");
    server.abort();
    let _ = server.await;

    // A new server's memory starts empty: the same pulls are answered by the store.
    let (base, _server) = serve(path).await;
    let mut after = Vec::new();
    for user in ["hq_clerk", "fs_clerk", "sz_clerk"] {
        let d = login(&base, user).await;
        for limit in [1, 2, 100] {
            after.push(pages_from(&d, start, limit).await);
        }
    }
    assert_eq!(before, after);
    drop(dir);
}

#[tokio::test]
async fn a_pull_that_waits_answers_as_soon_as_something_new_is_committed() {
    let app = spawn_app().await;
    let hq = login(&app.url(""), "hq_clerk").await;
    let end = pages_from(&hq, 0, 1000).await.last().unwrap().1;
    let pull = |wait: u32| {
        let url = format!("{}/api/sync/pull?cursor={end}&wait={wait}", hq.base);
        hq.http.get(url).bearer_auth(hq.token()).send()
    };
    // Nothing new: the answer comes when the wait is over, empty, with the digest.
    let started = std::time::Instant::now();
    let page: common::engine::wire::PullResponse = pull(1).await.unwrap().json().await.unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(900), "{:?}", started.elapsed());
    assert_eq!((page.records.len(), page.cursor, page.more), (0, end, false));
    assert!(page.digest.is_some());
    // Something new from another office: the waiting pull answers with it at once.
    let mut fs = login(&app.url(""), "fs_clerk").await;
    let order = fs.new_order(1);
    let waiting = tokio::spawn(pull(20));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    fs.push(vec![order.clone()]).await;
    let page: common::engine::wire::PullResponse = waiting.await.unwrap().unwrap().json().await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(page.records.iter().map(|r| r.id).collect::<Vec<_>>(), [order.record]);
    // Longer than the server holds an answer: refused.
    assert_eq!(pull(26).await.unwrap().status(), 400);
}

/// A device's cursor at the end of what it may see.
async fn cursor_at_end(device: &Device) -> u64 {
    let mut cursor = 0;
    loop {
        let page = device.pull_page(cursor, 1000).await;
        cursor = page.cursor;
        if !page.more {
            return cursor;
        }
    }
}

/// `change` pushed by `device` asking for the pull from `cursor`: the answer, and the page in it.
async fn push_asking(
    device: &Device,
    change: common::engine::record::Change,
    cursor: u64,
) -> (common::engine::wire::PushResponse, common::engine::wire::PullResponse) {
    let ask = Some(common::engine::wire::PullAsk { cursor, pending: 0 });
    let req = PushRequest { protocol: PROTOCOL_VERSION, client: device.client, changes: vec![change], pull: ask };
    let resp = device.push_raw(&req).await;
    assert_eq!(resp.status(), 200);
    let mut answer: common::engine::wire::PushResponse = resp.json().await.unwrap();
    let page = answer.page.take().expect("no page in the push's answer");
    (answer, serde_json::from_str(page.0.get()).unwrap())
}

/// The records of a page as sent, each as its JSON text (an object, or a packed string).
fn sent_records(page: &str) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Page {
        records: Vec<Box<serde_json::value::RawValue>>,
    }
    let page: Page = serde_json::from_str(page).unwrap();
    page.records.iter().map(|r| r.get().to_string()).collect()
}

/// A pull page's text, with the packed-records header set to `packed` if given.
async fn pull_text(device: &Device, url: String, packed: Option<&str>) -> String {
    let mut req = device.http.get(url).bearer_auth(device.token());
    if let Some(value) = packed {
        req = req.header(PACKED_RECORDS.0, value);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

#[tokio::test]
async fn a_device_that_reads_packed_records_gets_the_same_bytes_in_little_more_than_half_the_size() {
    let app = spawn_app().await;
    let mut fs = login(&app.url(""), "fs_clerk").await;
    let at = cursor_at_end(&fs).await;
    let orders: Vec<_> = (1..=3).map(|n| fs.new_order(n)).collect();
    fs.push(orders.clone()).await;
    let url = app.url(&format!("/api/sync/pull?cursor={at}"));

    let plain = sent_records(&pull_text(&fs, url.clone(), None).await);
    assert_eq!(plain.len(), 3);
    assert!(plain.iter().all(|r| r.starts_with('{')), "without the header, whole states");
    let packed = sent_records(&pull_text(&fs, url.clone(), Some(PACKED_RECORDS.1)).await);
    let unpacked: Vec<String> = packed
        .iter()
        .map(|r| {
            let text: String = serde_json::from_str(r).expect("a packed record is a JSON string");
            common::engine::packed::unpack(&text).expect("base64 of DEFLATE")
        })
        .collect();
    assert_eq!(unpacked, plain, "exactly the canonical bytes, so digests and storage are unchanged");
    let size = |v: &[String]| v.iter().map(String::len).sum::<usize>();
    assert!(size(&packed) * 10 < size(&plain) * 6, "{} bytes packed, {} whole", size(&packed), size(&plain));
    // Another value of the header is not a request for packed records.
    let other = sent_records(&pull_text(&fs, url, Some("gzip")).await);
    assert_eq!(other, plain);
    // A first sync, read from the database rather than the newest states in memory
    // (the catalogue seeded before the server started): packed too.
    let first = app.url("/api/sync/pull?cursor=0&limit=1000");
    let (plain, packed) =
        (pull_text(&fs, first.clone(), None).await, pull_text(&fs, first, Some(PACKED_RECORDS.1)).await);
    let (plain, packed) = (sent_records(&plain), sent_records(&packed));
    assert!(plain.len() > 3 && packed.len() == plain.len());
    for (p, r) in packed.iter().zip(&plain) {
        let text: String = serde_json::from_str(p).expect("packed from the database too");
        assert_eq!(common::engine::packed::unpack(&text).as_ref(), Some(r));
    }

    // The page in a push's answer too.
    let next = fs.new_order(4);
    let req = PushRequest {
        protocol: PROTOCOL_VERSION,
        client: fs.client,
        changes: vec![next.clone()],
        pull: Some(PullAsk { cursor: at, pending: 0 }),
    };
    let resp = fs
        .http
        .post(app.url("/api/sync/push"))
        .bearer_auth(fs.token())
        .header(PACKED_RECORDS.0, PACKED_RECORDS.1)
        .json(&req)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut answer: common::engine::wire::PushResponse = resp.json().await.unwrap();
    let page = sent_records(answer.page.take().expect("a page").0.get());
    let states: Vec<RecordState> = page
        .iter()
        .map(|r| {
            serde_json::from_str(&common::engine::packed::unpack(&serde_json::from_str::<String>(r).unwrap()).unwrap())
                .unwrap()
        })
        .collect();
    let ids: Vec<RecordId> = states.iter().map(|s| s.id).collect();
    assert_eq!(ids, orders.iter().chain([&next]).map(|c| c.record).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_push_that_asks_for_the_pull_brings_in_its_answer_the_page_the_pull_would_give() {
    let app = spawn_app().await;
    let mut hq = login(&app.url(""), "hq_clerk").await;
    let mut fs = login(&app.url(""), "fs_clerk").await;
    let mut sz = login(&app.url(""), "sz_clerk").await;
    let (hq_at, fs_at) = (cursor_at_end(&hq).await, cursor_at_end(&fs).await);
    let (fs_order, sz_order) = (fs.new_order(1), sz.new_order(1));
    fs.push(vec![fs_order.clone()]).await;
    sz.push(vec![sz_order.clone()]).await;

    // Head office pushes its own order and asks for what came since its cursor, in one request.
    let hq_order = hq.new_order(1);
    let (answer, page) = push_asking(&hq, hq_order.clone(), hq_at).await;
    assert_eq!(answer.results[0].outcome, Outcome::Applied);
    let ids: Vec<RecordId> = page.records.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        vec![fs_order.record, sz_order.record, hq_order.record],
        "the others' orders and its own, in order"
    );
    assert!(!page.more && page.digest.is_some(), "the last page carries the digest");
    // Exactly what the pull answers from the same cursor.
    let pulled = hq.pull_page(hq_at, 500).await;
    assert_eq!((page.records, page.cursor, page.digest), (pulled.records, pulled.cursor, pulled.digest));

    // A branch's device is sent its own office's records only.
    let fs_second = fs.new_order(2);
    let (_, page) = push_asking(&fs, fs_second.clone(), fs_at).await;
    let ids: Vec<RecordId> = page.records.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![fs_order.record, fs_second.record]);

    // Not asked, not sent; a bad ask is refused whole, with nothing stored.
    let third = fs.new_order(3);
    assert!(fs.push(vec![third]).await.page.is_none());
    let before = fs.orders().await.len();
    let bad = serde_json::json!({"protocol": PROTOCOL_VERSION, "client": fs.client, "changes": [fs.new_order(4)], "pull": {"cursor": -1}});
    let resp = fs.http.post(app.url("/api/sync/push")).bearer_auth(fs.token()).json(&bad).send().await.unwrap();
    let (status, body) = error_of(resp).await;
    assert_eq!((status, body.error.as_str()), (422, "invalid_body"));
    assert_eq!(fs.orders().await.len(), before, "the refused push stored nothing");
}
