//! First start and administration: setting up an empty installation, offices, users,
//! their devices and sessions, and each person's own password.

use crate::helpers::*;
use common::desk::admin::{Office, User};
use common::engine::record::Kind;
use common::engine::wire::ErrorBody;
use serde_json::json;

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    if !body.is_null() {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

async fn login_with(app: &TestApp, user: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/login"))
        .json(&json!({"username": user, "password": password, "client": new_client()}))
        .send()
        .await
        .unwrap()
}

async fn token_of(app: &TestApp, user: &str, password: &str) -> String {
    let resp = login_with(app, user, password).await;
    assert_eq!(resp.status(), 200, "log-in of {user}");
    resp.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

async fn pull_status(app: &TestApp, token: &str) -> u16 {
    app.http.get(app.url("/api/sync/pull")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn an_empty_installation_is_set_up_once_from_the_set_up_page() {
    let app = spawn_empty_app().await;
    let status: serde_json::Value = app.http.get(app.url("/api/setup")).send().await.unwrap().json().await.unwrap();
    assert_eq!(status["needed"], true);
    let setup = json!({"company": "安居卫浴有限公司", "office_code": "GZ", "office_name": "广州总部",
        "utc_offset_minutes": 480, "admin": "boss", "admin_name": "陈总", "password": "short"});
    let resp = app.http.post(app.url("/api/setup")).json(&setup).send().await.unwrap();
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.json::<ErrorBody>().await.unwrap().field.as_deref(), Some("password"));
    let mut setup = setup;
    setup["password"] = json!("安居卫浴2026!");
    assert_eq!(app.http.post(app.url("/api/setup")).json(&setup).send().await.unwrap().status(), 201);
    // Once anyone exists, the page is closed for good.
    setup["admin"] = json!("intruder");
    let again = app.http.post(app.url("/api/setup")).json(&setup).send().await.unwrap();
    assert_eq!(again.status(), 409);
    let status: serde_json::Value = app.http.get(app.url("/api/setup")).send().await.unwrap().json().await.unwrap();
    assert_eq!(status["needed"], false);
    assert_eq!(login_with(&app, "intruder", "安居卫浴2026!").await.status(), 401);
    let resp = login_with(&app, "boss", "安居卫浴2026!").await;
    let body: common::desk::account::LoginResponse = resp.json().await.unwrap();
    // A new server has stamped nothing yet: it still tells devices the time now.
    assert!(body.server_time.wall_ms.abs_diff(now_ms()) < 60_000, "{:?}", body.server_time);
    let token = body.token;
    let me: serde_json::Value =
        send(&app, reqwest::Method::GET, "/api/me", &token, json!(null)).await.json().await.unwrap();
    assert_eq!(me["role"], "admin");
    assert_eq!(me["office"]["code"], "GZ");
    assert_eq!(me["office"]["is_hq"], true);
}

#[tokio::test]
async fn salesdesk_init_sets_up_a_new_data_directory_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = std::process::Command::new(tests::process::salesdesk_bin())
        .args(["init", "--company", "安居卫浴", "--office-code", "HQ", "--office-name", "总部", "--admin", "boss"])
        .args(["--admin-name", "陈总", "--data"])
        .arg(&data)
        .env("SALESDESK_ADMIN_PASSWORD", "correct horse battery")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = std::process::Command::new(tests::process::salesdesk_bin())
        .args(["init", "--company", "x", "--admin", "boss2", "--admin-name", "x", "--data"])
        .arg(&data)
        .env("SALESDESK_ADMIN_PASSWORD", "correct horse battery")
        .output()
        .unwrap();
    assert!(!again.status.success(), "a second init was accepted");
    let server = ServerProcess::start_plain(free_port(), &data, None).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/login", server.base()))
        .json(&json!({"username": "boss", "password": "correct horse battery", "client": new_client()}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_head_office_admin_adds_a_branch_and_a_clerk_who_can_then_log_in() {
    let app = spawn_app().await;
    let admin = token_of(&app, "hq_admin", PASSWORD).await;
    let resp = send(
        &app,
        reqwest::Method::PUT,
        "/api/admin/offices/GZ",
        &admin,
        json!({"name": "广州分公司", "utc_offset_minutes": 480, "paper": "form241_third"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let offices: Vec<Office> = resp.json().await.unwrap();
    let gz = offices.iter().find(|o| o.code.as_str() == "GZ").unwrap();
    assert_eq!(gz.name, "广州分公司");
    assert!(!gz.is_hq);
    let resp = send(
        &app,
        reqwest::Method::POST,
        "/api/admin/users",
        &admin,
        json!({"username": "gz_li", "display_name": "李娜", "role": "clerk", "office": "GZ", "password": "gz-li-2026"}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let token = token_of(&app, "gz_li", "gz-li-2026").await;
    let me: serde_json::Value =
        send(&app, reqwest::Method::GET, "/api/me", &token, json!(null)).await.json().await.unwrap();
    assert_eq!(me["office"]["name"], "广州分公司");
    // The same user name cannot be given twice; bad input is named by field.
    let resp = send(
        &app,
        reqwest::Method::POST,
        "/api/admin/users",
        &admin,
        json!({"username": "gz_li", "display_name": "x", "role": "clerk", "office": "GZ", "password": "12345678"}),
    )
    .await;
    assert_eq!(resp.status(), 409);
    let resp = send(
        &app,
        reqwest::Method::POST,
        "/api/admin/users",
        &admin,
        json!({"username": "Gz Wang", "display_name": "x", "role": "clerk", "office": "GZ", "password": "12345678"}),
    )
    .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.json::<ErrorBody>().await.unwrap().field.as_deref(), Some("username"));
}

#[tokio::test]
async fn a_branch_manager_manages_only_their_own_office_and_never_makes_admins() {
    let app = spawn_app().await;
    let manager = token_of(&app, "fs_manager", PASSWORD).await;
    let users: Vec<User> =
        send(&app, reqwest::Method::GET, "/api/admin/users", &manager, json!(null)).await.json().await.unwrap();
    assert!(!users.is_empty());
    assert!(users.iter().all(|u| u.office.as_str() == "FS"), "a branch manager saw other offices' people");
    let add = |office: &str, role: &str| json!({"username": format!("new_{}", role), "display_name": "新人", "role": role, "office": office, "password": "12345678"});
    assert_eq!(send(&app, reqwest::Method::POST, "/api/admin/users", &manager, add("SZ", "clerk")).await.status(), 403);
    assert_eq!(send(&app, reqwest::Method::POST, "/api/admin/users", &manager, add("FS", "admin")).await.status(), 403);
    assert_eq!(
        send(&app, reqwest::Method::POST, "/api/admin/users", &manager, add("FS", "cashier")).await.status(),
        201
    );
    assert_eq!(
        send(&app, reqwest::Method::PATCH, "/api/admin/users/sz_clerk", &manager, json!({"active": false}))
            .await
            .status(),
        403
    );
    assert_eq!(
        send(
            &app,
            reqwest::Method::PUT,
            "/api/admin/offices/GZ",
            &manager,
            json!({"name": "x", "utc_offset_minutes": 480})
        )
        .await
        .status(),
        403
    );
    // A clerk administers nobody.
    let clerk = token_of(&app, "fs_clerk", PASSWORD).await;
    assert_eq!(send(&app, reqwest::Method::GET, "/api/admin/users", &clerk, json!(null)).await.status(), 403);
}

#[tokio::test]
async fn disabling_a_user_or_resetting_their_password_ends_every_session_at_once() {
    let app = spawn_app().await;
    let admin = token_of(&app, "hq_admin", PASSWORD).await;
    let phone = token_of(&app, "fs_clerk", PASSWORD).await;
    let laptop = token_of(&app, "fs_clerk", PASSWORD).await;
    assert_eq!(pull_status(&app, &phone).await, 200);
    let resp =
        send(&app, reqwest::Method::PATCH, "/api/admin/users/fs_clerk", &admin, json!({"password": "new-pass-2026"}))
            .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(pull_status(&app, &phone).await, 401);
    assert_eq!(pull_status(&app, &laptop).await, 401);
    assert_eq!(login_with(&app, "fs_clerk", PASSWORD).await.status(), 401);
    let fresh = token_of(&app, "fs_clerk", "new-pass-2026").await;
    let resp = send(&app, reqwest::Method::PATCH, "/api/admin/users/fs_clerk", &admin, json!({"active": false})).await;
    assert!(!resp.json::<User>().await.unwrap().active);
    assert_eq!(pull_status(&app, &fresh).await, 401);
    assert_eq!(login_with(&app, "fs_clerk", "new-pass-2026").await.status(), 401);
    // An admin cannot lock themselves out.
    assert_eq!(
        send(&app, reqwest::Method::PATCH, "/api/admin/users/hq_admin", &admin, json!({"active": false}))
            .await
            .status(),
        409
    );
}

#[tokio::test]
async fn an_admin_sees_each_device_and_signs_a_lost_phone_out() {
    let app = spawn_app().await;
    let admin = token_of(&app, "hq_admin", PASSWORD).await;
    let phone = login(&format!("http://{}", app.addr), "fs_salesperson").await;
    let laptop = token_of(&app, "fs_salesperson", PASSWORD).await;
    // The phone syncs, saying three changes wait on it.
    let url = app.url("/api/sync/pull?cursor=0&pending=3");
    assert_eq!(app.http.get(url).bearer_auth(phone.token()).send().await.unwrap().status(), 200);
    let users: Vec<User> =
        send(&app, reqwest::Method::GET, "/api/admin/users", &admin, json!(null)).await.json().await.unwrap();
    let sales = users.iter().find(|u| u.username == "fs_salesperson").unwrap();
    assert_eq!(sales.devices.len(), 2);
    let on_phone = sales.devices.iter().find(|d| d.client == phone.client).unwrap();
    assert_eq!(on_phone.pending, 3);
    assert!(on_phone.signed_in && on_phone.last_seen_ms > 0);
    let path = format!("/api/admin/users/fs_salesperson/devices/{}", phone.client);
    assert_eq!(send(&app, reqwest::Method::DELETE, &path, &admin, json!(null)).await.status(), 204);
    assert_eq!(pull_status(&app, phone.token()).await, 401, "the lost phone still syncs");
    assert_eq!(pull_status(&app, &laptop).await, 200, "the other device was signed out too");
    let users: Vec<User> =
        send(&app, reqwest::Method::GET, "/api/admin/users", &admin, json!(null)).await.json().await.unwrap();
    let sales = users.iter().find(|u| u.username == "fs_salesperson").unwrap();
    assert!(!sales.devices.iter().find(|d| d.client == phone.client).unwrap().signed_in);
}

#[tokio::test]
async fn a_person_changes_their_own_password_and_their_other_sessions_end() {
    let app = spawn_app().await;
    let here = token_of(&app, "sz_clerk", PASSWORD).await;
    let elsewhere = token_of(&app, "sz_clerk", PASSWORD).await;
    let wrong = send(
        &app,
        reqwest::Method::POST,
        "/api/me/password",
        &here,
        json!({"current": "nope", "new": "新的密码很长很长"}),
    )
    .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(wrong.json::<ErrorBody>().await.unwrap().field.as_deref(), Some("current"));
    let short =
        send(&app, reqwest::Method::POST, "/api/me/password", &here, json!({"current": PASSWORD, "new": "short"}))
            .await;
    assert_eq!(short.json::<ErrorBody>().await.unwrap().field.as_deref(), Some("new"));
    let ok = send(
        &app,
        reqwest::Method::POST,
        "/api/me/password",
        &here,
        json!({"current": PASSWORD, "new": "新的密码很长很长"}),
    )
    .await;
    assert_eq!(ok.status(), 204);
    assert_eq!(pull_status(&app, &here).await, 200);
    assert_eq!(pull_status(&app, &elsewhere).await, 401);
    assert_eq!(login_with(&app, "sz_clerk", "新的密码很长很长").await.status(), 200);
}

#[tokio::test]
async fn one_persons_sessions_are_capped_and_the_oldest_ends_first() {
    let app = spawn_app().await;
    let first = token_of(&app, "sz_cashier", PASSWORD).await;
    let mut last = String::new();
    for _ in 0..common::desk::admin::MAX_SESSIONS_PER_USER {
        last = token_of(&app, "sz_cashier", PASSWORD).await;
    }
    assert_eq!(pull_status(&app, &first).await, 401);
    assert_eq!(pull_status(&app, &last).await, 200);
}

#[tokio::test]
async fn a_product_model_belongs_to_one_product_as_an_order_number_to_one_order() {
    let app = spawn_app().await;
    let base = format!("http://{}", app.addr);
    let mut hq = login(&base, "hq_manager").await;
    let existing = hq.pull_all().await.into_iter().find(|r| r.kind == Kind::PRODUCT).unwrap();
    let model = existing.get_str("model").to_string();
    let values =
        [("model".to_string(), json!(model)), ("name".to_string(), json!("另一个")), ("price".to_string(), json!(100))];
    let id = common::engine::ids::RecordId::new_v7(now_ms(), random10());
    let twin = hq.change(Kind::PRODUCT, id, &office("HQ"), None, values.into());
    let r = hq.push(vec![twin]).await;
    assert_eq!(r.results[0].code.as_deref(), Some("duplicate"), "{:?}", r.results[0]);
    // Renaming the product itself keeps its model.
    let rename = hq.change(
        Kind::PRODUCT,
        existing.id,
        &existing.office,
        Some(&existing),
        [("name".to_string(), json!("新名字"))].into(),
    );
    assert_eq!(hq.push(vec![rename]).await.results[0].outcome, common::engine::wire::Outcome::Applied);
}
