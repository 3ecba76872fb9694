//! Excel in and out over HTTP against the real server: imports are previewed, refused
//! whole with each bad row's number and reason, and written all at once; exports are
//! workbooks whose cells are numbers and dates, of what the person may read.

use crate::helpers::*;
use calamine::{Data, Reader};
use common::desk::customer::{CustomerView, ProductView};
use common::desk::import::ImportReport;
use common::engine::ids::ClientId;
use common::engine::record::Kind;
use std::io::Cursor;

/// A workbook of one sheet with these rows (the first the headers); cells that parse as
/// numbers are written as numbers, as people type them into Excel.
pub(crate) fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(n) if r > 0 => ws.write_number(r as u32, c as u16, n).map(|_| ()),
                _ => ws.write_string(r as u32, c as u16, *cell).map(|_| ()),
            }
            .unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn import(d: &Device, target: &str, query: &str, file: Vec<u8>) -> (u16, ImportReport) {
    let resp = d
        .http
        .post(format!("{}/api/import/{target}?{query}", d.base))
        .bearer_auth(d.token())
        .body(file)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    if v.get("count").is_some() {
        return (status, serde_json::from_value(v).unwrap());
    }
    // A plain error body: {error, message}.
    let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str).map(str::to_string);
    (status, ImportReport { error: text("error"), message: text("message"), ..Default::default() })
}

async fn customers_named(d: &Device, prefix: &str) -> Vec<CustomerView> {
    d.pull_all()
        .await
        .iter()
        .filter(|r| r.kind == Kind::CUSTOMER)
        .map(CustomerView::from_record)
        .filter(|c| c.name.starts_with(prefix))
        .collect()
}

const CUSTOMERS: &[&[&str]] = &[
    &["客户名称", "电话", "结款方式", "信用额度", "等级", "业务员"],
    &["导入建材", "0757-8888 0001", "月结", "50000", "A", "fs_sales"],
    &["导入五金", "13800000002", "货到付款", "20000.5", "b", "fs_sales"],
    &["导入水暖", "0757-8888 0003", "款到发货", "", "", ""],
];

#[tokio::test]
async fn a_customer_file_with_one_bad_row_is_refused_with_that_rows_number_and_nothing_is_written() {
    let app = spawn_app().await;
    let manager = login(&app.url(""), "fs_manager").await;
    let mut bad: Vec<&[&str]> = CUSTOMERS.to_vec();
    bad[3] = &["导入水暖", "0757-8888 0003", "赊账", "", "", ""];
    let id = ClientId::new_v7(now_ms(), random10());
    let (status, report) = import(&manager, "customers", &format!("commit=true&id={id}"), xlsx(&bad)).await;
    assert_eq!(status, 422);
    assert_eq!(report.error.as_deref(), Some("import_refused"));
    assert!(!report.written);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!((report.errors[0].row, report.errors[0].column.as_str()), (4, "结款方式"));
    assert!(report.message.as_deref().unwrap_or("").contains("row 4"), "{:?}", report.message);
    assert!(customers_named(&manager, "导入").await.is_empty(), "nothing was written");

    // Corrected, the preview shows what would be written and still writes nothing.
    let (status, preview) = import(&manager, "customers", "", xlsx(CUSTOMERS)).await;
    assert_eq!(status, 200, "{preview:?}");
    assert_eq!((preview.count, preview.written), (3, false));
    assert_eq!(preview.rows[1].values["credit_limit"], serde_json::json!(2_000_050));
    assert!(customers_named(&manager, "导入").await.is_empty(), "a preview writes nothing");

    // Written, all three at once; the same commit retried writes nothing twice.
    let id = ClientId::new_v7(now_ms(), random10());
    for _ in 0..2 {
        let (status, done) = import(&manager, "customers", &format!("commit=true&id={id}"), xlsx(CUSTOMERS)).await;
        assert_eq!((status, done.written, done.count), (200, true, 3), "{done:?}");
    }
    let mut got = customers_named(&manager, "导入").await;
    got.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<&str> = got.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["导入五金", "导入建材", "导入水暖"]);
    let jiancai = got.iter().find(|c| c.name == "导入建材").unwrap();
    assert_eq!(jiancai.credit_limit, Some(common::desk::money::Fen(5_000_000)));
    assert_eq!(jiancai.phone, "0757-8888 0001");
    assert_eq!(jiancai.class, "A");
    let wujin = got.iter().find(|c| c.name == "导入五金").unwrap();
    assert_eq!(wujin.phone, "13800000002", "a phone typed as a number keeps its digits");
    assert_eq!(wujin.payment, Some(common::desk::order::PaymentTerms::OnArrival));

    // The same file again: every row names a customer that exists.
    let (status, again) = import(
        &manager,
        "customers",
        &format!("commit=true&id={}", ClientId::new_v7(now_ms(), random10())),
        xlsx(CUSTOMERS),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(again.errors.iter().map(|e| e.row).collect::<Vec<_>>(), vec![2, 3, 4]);
}

#[tokio::test]
async fn the_desks_rules_judge_every_imported_row_and_the_catalogue_is_head_offices() {
    let app = spawn_app().await;
    let base = app.url("");
    // A clerk may add customers, but not set their terms: the rows that do are refused.
    let clerk = login(&base, "fs_clerk").await;
    let (status, report) = import(&clerk, "customers", "", xlsx(CUSTOMERS)).await;
    assert_eq!(status, 422);
    let refused: Vec<(usize, Option<&str>)> = report.errors.iter().map(|e| (e.row, e.code.as_deref())).collect();
    assert_eq!(refused, vec![(2, Some("forbidden")), (3, Some("forbidden"))], "row 4 starts on prepay, as a clerk may");
    let plain: &[&[&str]] = &[&["name", "phone"], &["导入卫浴", "0757-1111 2222"]];
    let id = ClientId::new_v7(now_ms(), random10());
    let (status, done) = import(&clerk, "customers", &format!("commit=true&id={id}"), xlsx(plain)).await;
    assert_eq!((status, done.written), (200, true), "{done:?}");
    // Head office's customers are not a branch's to import into.
    let (status, _) = import(&clerk, "customers", "office=SZ", xlsx(plain)).await;
    assert_eq!(status, 403);
    // Nor is an office that does not exist anyone's.
    let hq = login(&base, "hq_manager").await;
    let (status, report) = import(&hq, "customers", "office=ZZ", xlsx(plain)).await;
    assert_eq!((status, report.error.as_deref()), (400, Some("invalid_query")));
    let sz = login(&base, "sz_clerk").await;
    assert!(customers_named(&sz, "导入").await.is_empty(), "another branch does not see them");
    // Products belong to head office's catalogue: a branch cannot import them.
    let products = "型号,名称,单位,单价\nDR-100,导入角阀,个,12.5\n";
    let (status, _) = import(&clerk, "products", "", products.as_bytes().to_vec()).await;
    assert_eq!(status, 403);

    // Head office imports a CSV saved by Chinese Excel (GB18030), and every office sees it.
    let admin = login(&base, "hq_manager").await;
    let (gbk, _, _) = encoding_rs::GB18030.encode(products);
    let id = ClientId::new_v7(now_ms(), random10());
    let (status, done) = import(&admin, "products", &format!("commit=true&id={id}"), gbk.into_owned()).await;
    assert_eq!((status, done.written), (200, true), "{done:?}");
    let seen: Vec<ProductView> =
        clerk.pull_all().await.iter().filter(|r| r.kind == Kind::PRODUCT).map(ProductView::from_record).collect();
    let p = seen.iter().find(|p| p.model == "DR-100").expect("the branch sees the imported product");
    assert_eq!((p.name.as_str(), p.price.0), ("导入角阀", 1250));
    // A model already in the catalogue is named by its row.
    let (status, again) = import(&admin, "products", "", products.as_bytes().to_vec()).await;
    assert_eq!((status, again.errors[0].row, again.errors[0].column.as_str()), (422, 2, "型号"));
    // A damaged workbook.
    let (status, garbage) = import(&admin, "products", "", b"PK\x03\x04 not really a workbook".to_vec()).await;
    assert_eq!((status, garbage.error.as_deref()), (400, Some("unreadable_file")));
}

/// The first sheet of an exported workbook.
pub(crate) async fn export(d: &Device, path: &str) -> (u16, Vec<Vec<Data>>) {
    let resp = d.http.get(format!("{}/api/export/{path}", d.base)).bearer_auth(d.token()).send().await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    if status != 200 {
        return (status, Vec::new());
    }
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    (status, range.rows().map(<[Data]>::to_vec).collect())
}

#[tokio::test]
async fn an_exported_order_list_has_numbers_as_numbers_dates_as_dates_and_only_what_the_office_may_read() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut fs = login(&base, "fs_clerk").await;
    let c = fs.new_order(1);
    let number = fs.number(1);
    fs.push(vec![c]).await;
    let mut sz = login(&base, "sz_clerk").await;
    let c = sz.new_order(1);
    let sz_number = sz.number(1);
    sz.push(vec![c]).await;

    let (status, rows) = export(&fs, "orders.xlsx").await;
    assert_eq!(status, 200);
    assert_eq!(rows[0][0], Data::String("单号".into()));
    let row = rows.iter().find(|r| r[0] == Data::String(number.clone())).expect("the branch's order is listed");
    assert_eq!(row[7], Data::Float(384.0), "3 × ¥128.00, a number");
    assert!(matches!(row[1], Data::DateTime(_)), "the date is a date: {:?}", row[1]);
    assert!(rows.iter().all(|r| r[0] != Data::String(sz_number.clone())), "another branch's order is not");

    let hq = login(&base, "hq_manager").await;
    let (_, rows) = export(&hq, "orders.xlsx?lang=en").await;
    assert_eq!(rows[0][0], Data::String("Number".into()));
    assert!(rows.iter().any(|r| r[0] == Data::String(sz_number.clone())), "head office reads every office");

    assert_eq!(export(&fs, "ageing.xlsx?by=colour").await.0, 400);
    for list in ["customers", "payments", "shipments", "products", "stations", "ageing", "collections", "cash", "stock"]
    {
        let (status, rows) = export(&fs, &format!("{list}.xlsx")).await;
        assert_eq!(status, 200, "{list}");
        assert!(!rows.is_empty(), "{list} has at least its header");
    }
    assert_eq!(export(&fs, "secrets.xlsx").await.0, 404);
    let resp = reqwest::get(format!("{base}/api/export/orders.xlsx")).await.unwrap();
    assert_eq!(resp.status(), 401, "every export is authenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_imports_customers_in_the_browser_after_seeing_the_bad_rows_reason_and_the_preview() {
    use crate::browser::{log_in, Rig};
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let b = driver.session(&tmp.path().join("manager"), 1280, 900).await;
    log_in(&b, &base, "fs_manager").await;
    b.click_on("nav.main-nav a[href='/customers']", 10).await;
    b.click_on("#import-customers summary", 10).await;

    // One bad row: its number and reason, and nothing imported.
    let mut bad: Vec<&[&str]> = CUSTOMERS.to_vec();
    bad[3] = &["导入水暖", "0757-8888 0003", "赊账", "", "", ""];
    let bad_file = tmp.path().join("客户-有错.xlsx");
    std::fs::write(&bad_file, xlsx(&bad)).unwrap();
    let input = b.wait_for("#import-file-customers", 5).await;
    b.type_into(&input, &bad_file.to_string_lossy()).await;
    b.wait_for_text(".import-errors tr[data-row='4']", &["4", "结款方式"], 30).await;
    b.wait_for_text(".import-report .notice.refused", &["没有导入任何数据"], 5).await;
    assert!(b.find("#import-commit").await.is_none(), "no import is offered while a row is wrong");

    // The corrected file: the preview, then all three at once.
    let good_file = tmp.path().join("客户.xlsx");
    std::fs::write(&good_file, xlsx(CUSTOMERS)).unwrap();
    let input = b.wait_for("#import-file-customers", 5).await;
    b.type_into(&input, &good_file.to_string_lossy()).await;
    b.wait_for_text(".import-preview", &["导入建材", "导入五金", "导入水暖"], 30).await;
    b.click_on("#import-commit", 5).await;
    b.wait_for_text(".import-report[data-written='true']", &["已导入 3 行"], 30).await;
    // Synced to this browser, the list shows them.
    b.wait_for("tr[data-customer='导入五金']", 30).await;
    b.close().await;
}

#[tokio::test]
async fn a_days_money_is_the_branchs_own_kept_once_per_day_and_read_only_by_it_and_head_office() {
    use common::desk::cash::{day_id, day_values};
    use common::engine::wire::Outcome;
    let app = spawn_app().await;
    let base = app.url("");
    let today = common::desk::time::local_date(now_ms(), 480);
    let fs_office = office("FS");
    // Two devices of the branch fill in the same day, each its own boxes: one record,
    // both writes on it (the date, written by both, is the same value: no conflict).
    let mut cashier = login(&base, "fs_cashier").await;
    let mut clerk = login(&base, "fs_clerk").await;
    let id = day_id(&fs_office, today);
    let a = cashier.change(Kind::CASH_DAY, id, &fs_office, None, day_values(today, "1000", "", "").unwrap());
    let b = clerk.change(Kind::CASH_DAY, id, &fs_office, None, day_values(today, "", "30", "快递费").unwrap());
    assert_eq!(cashier.push(vec![a]).await.results[0].outcome, Outcome::Applied);
    assert_eq!(clerk.push(vec![b]).await.results[0].outcome, Outcome::Applied);
    let days: Vec<_> = cashier.pull_all().await.into_iter().filter(|r| r.kind == Kind::CASH_DAY).collect();
    assert_eq!(days.len(), 1, "one record for the day");
    // A salesperson keeps neither the day's money nor the statements sent.
    let mut sales = login(&base, "fs_salesperson").await;
    let c = sales.change(
        Kind::CASH_DAY,
        day_id(&fs_office, today.plus_days(-1)),
        &fs_office,
        None,
        day_values(today, "5", "", "").unwrap(),
    );
    assert_eq!(sales.push(vec![c]).await.results[0].code.as_deref(), Some("forbidden"));

    let (status, cells) = export(&cashier, "cash.xlsx").await;
    assert_eq!(status, 200);
    let row =
        cells.iter().find(|r| matches!(r[0], Data::DateTime(_)) && r[2] == Data::Float(1000.0)).expect("today's row");
    assert_eq!(
        (row[6].clone(), row[7].clone(), row[8].clone()),
        (Data::Float(30.0), Data::Float(970.0), Data::String("快递费".into()))
    );
    let sz = login(&base, "sz_clerk").await;
    assert_eq!(export(&sz, "cash.xlsx?office=FS").await.0, 403, "another branch's money is not this one's to read");
    let hq = login(&base, "hq_manager").await;
    assert_eq!(export(&hq, "cash.xlsx?office=FS").await.0, 200);
}

#[tokio::test]
async fn a_months_stock_count_is_the_branchs_own_its_differences_give_reasons_and_head_office_reads_it() {
    use common::desk::stock::{count_id, count_values, LineDraft, Month};
    use common::engine::wire::Outcome;
    let app = spawn_app().await;
    let base = app.url("");
    let today = common::desk::time::local_date(now_ms(), 480);
    let month = Month::of(today);
    let fs_office = office("FS");
    let id = count_id(&fs_office, month);
    let row = |model: &str, name: &str, expected: &str, counted: &str, reason: &str| LineDraft {
        model: model.into(),
        name: name.into(),
        expected: expected.into(),
        counted: counted.into(),
        reason: reason.into(),
    };
    let rows = [row("AJ-8801", "面盆龙头", "120", "118", "运输破损"), row("AJ-2002", "角阀", "40", "40", "")];

    // The warehouse writes the month's count.
    let mut logistics = login(&base, "fs_logistics").await;
    let c = logistics.change(Kind::STOCK_COUNT, id, &fs_office, None, count_values(month, &rows, "", None).unwrap());
    assert_eq!(logistics.push(vec![c]).await.results[0].outcome, Outcome::Applied);

    // A difference without a reason is refused by the server, naming the line and key.
    let mut values = count_values(month, &rows, "", None).unwrap();
    values.insert(
        "lines".into(),
        serde_json::json!([{"model": "AJ-8801", "name": "面盆龙头", "expected": 120, "counted": 117}]),
    );
    let c = logistics.change(Kind::STOCK_COUNT, id, &fs_office, None, values);
    let r = &logistics.push(vec![c]).await.results[0];
    assert_eq!(r.code.as_deref(), Some("invalid"), "{r:?}");
    assert!(r.message.as_deref().unwrap_or("").contains("lines.0.reason"), "{r:?}");

    // A salesperson does not keep the stock count.
    let mut sales = login(&base, "fs_salesperson").await;
    let c = sales.change(
        Kind::STOCK_COUNT,
        count_id(&fs_office, month.previous()),
        &fs_office,
        None,
        count_values(month.previous(), &rows, "", None).unwrap(),
    );
    assert_eq!(sales.push(vec![c]).await.results[0].code.as_deref(), Some("forbidden"));

    // The desk reports it to head office from another device: the same one record.
    let mut clerk = login(&base, "fs_clerk").await;
    let held: Vec<_> = clerk.pull_all().await.into_iter().filter(|r| r.kind == Kind::STOCK_COUNT).collect();
    assert_eq!(held.len(), 1, "one record for the month");
    let c = clerk.change(
        Kind::STOCK_COUNT,
        id,
        &fs_office,
        Some(&held[0]),
        count_values(month, &rows, "月底盘点", Some(today)).unwrap(),
    );
    assert_eq!(clerk.push(vec![c]).await.results[0].outcome, Outcome::Applied);

    let (status, cells) = export(&clerk, &format!("stock.xlsx?month={month}")).await;
    assert_eq!(status, 200);
    let fact = |label: &str| {
        cells.iter().find(|r| r[0] == Data::String(label.into())).map(|r| r[1].clone()).unwrap_or(Data::Empty)
    };
    assert_eq!(fact("机构"), Data::String("FS".into()));
    assert_eq!(fact("月份"), Data::String(month.to_string()));
    assert!(matches!(fact("上报总部"), Data::DateTime(_)), "reported on a date: {:?}", fact("上报总部"));
    assert_eq!(
        (fact("有差异的行"), fact("盘亏"), fact("盘盈")),
        (Data::Float(1.0), Data::Float(2.0), Data::Float(0.0))
    );
    let line = |model: &str| cells.iter().find(|r| r[0] == Data::String(model.into())).cloned().expect(model);
    assert_eq!(
        line("AJ-8801"),
        vec![
            Data::String("AJ-8801".into()),
            Data::String("面盆龙头".into()),
            Data::Float(120.0),
            Data::Float(118.0),
            Data::Float(-2.0),
            Data::String("运输破损".into()),
        ]
    );
    assert_eq!(line("AJ-2002")[4], Data::Float(0.0));
    assert_eq!(export(&clerk, "stock.xlsx?month=2026-13").await.0, 400);

    let sz = login(&base, "sz_clerk").await;
    let path = format!("stock.xlsx?office=FS&month={month}");
    assert_eq!(export(&sz, &path).await.0, 403, "another branch's count is not this one's to read");
    let hq = login(&base, "hq_manager").await;
    let (status, cells) = export(&hq, &format!("{path}&lang=en")).await;
    assert_eq!(status, 200);
    assert!(
        cells.iter().any(|r| r[0] == Data::String("AJ-8801".into()) && r[4] == Data::Float(-2.0)),
        "head office reads it"
    );
}

#[tokio::test]
async fn opening_balances_are_imported_for_existing_customers_and_owed_from_their_date() {
    let app = spawn_app().await;
    let base = app.url("");
    let manager = login(&base, "fs_manager").await;
    let customer = manager.pull_all().await.into_iter().find(|r| r.kind == Kind::CUSTOMER).unwrap();
    let name = customer.get_str("name").to_string();
    let rows = |who: &str| {
        format!("客户名称,期初应收,截至日期,备注\n{name},\"12,000.50\",2026/08/31,旧账结转\n{who},300,2026-08-31,\n")
    };

    // A clerk may not; a name that is no customer of the office is named by its row.
    let clerk = login(&base, "fs_clerk").await;
    assert_eq!(import(&clerk, "openings", "", rows("x").into_bytes()).await.0, 403);
    let (status, report) = import(&manager, "openings", "", rows("不存在的客户").into_bytes()).await;
    assert_eq!((status, report.errors.len()), (422, 1));
    assert_eq!((report.errors[0].row, report.errors[0].column.as_str()), (3, "客户名称"));

    let file = format!("客户名称,期初应收,截至日期,备注\n{name},\"12,000.50\",2026/08/31,旧账结转\n");
    let id = ClientId::new_v7(now_ms(), random10());
    let (status, done) = import(&manager, "openings", &format!("commit=true&id={id}"), file.clone().into_bytes()).await;
    assert_eq!((status, done.written, done.count), (200, true, 1), "{done:?}");
    // Only one opening balance per customer.
    let (status, again) = import(&manager, "openings", "", file.into_bytes()).await;
    assert_eq!((status, again.errors[0].row), (422, 2));

    // It is brought forward on the customer's statement, and aged from its date.
    let (status, cells) =
        export(&manager, &format!("statement.xlsx?customer={}&from=2026-09-01&to=2026-09-30", customer.id)).await;
    assert_eq!(status, 200);
    let fact = |label: &str| cells.iter().find(|r| r[0] == Data::String(label.into())).unwrap()[1].clone();
    assert_eq!((fact("期初余额"), fact("期末余额")), (Data::Float(12_000.5), Data::Float(12_000.5)));
    let (_, cells) = export(&manager, "ageing.xlsx?by=customer").await;
    let row = cells.iter().find(|r| r[0] == Data::String(name.clone())).expect("the customer in the ageing");
    assert_eq!(row[5], Data::Float(12_000.5), "total owed");
    assert!(row[1..5].iter().filter(|c| **c == Data::Float(12_000.5)).count() == 1, "in one bucket: {row:?}");
}
