//! Excel out: every list and a customer's statement as .xlsx, built here rather than in
//! the browser (rust_xlsxwriter would add its weight to the app every phone downloads).
//! Each export reads the records the person may read and computes the figures with the
//! same `common` functions as the screens; money is written as numbers (yuan, two
//! decimals) and dates as dates.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use common::desk::ageing::{self, By, BUCKETS};
use common::desk::books::Books;
use common::desk::customer::{CustomerView, ProductView, StationView};
use common::desk::labels;
use common::desk::money::Fen;
use common::desk::order::OrderView;
use common::desk::payments::open_amount;
use common::desk::statement::RowKind;
use common::desk::time::{local_date, Date};
use common::engine::ids::RecordId;
use common::engine::record::{Kind, RecordState};
use rusqlite::{params, Connection};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::ApiQuery;
use crate::AppState;

/// One cell of an export.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Money(Fen),
    Int(i64),
    Date(Date),
    Blank,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<Fen> for Cell {
    fn from(f: Fen) -> Cell {
        Cell::Money(f)
    }
}
impl From<Option<Date>> for Cell {
    fn from(d: Option<Date>) -> Cell {
        d.map_or(Cell::Blank, Cell::Date)
    }
}

/// A sheet: a title, a few facts above the table (customer, period, balances), the
/// header and the rows.
#[derive(Clone, Debug, Default)]
pub struct Sheet {
    pub name: String,
    pub facts: Vec<(String, Cell)>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::internal(format!("xlsx: {e}"))
}

/// The workbook's bytes.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, AppError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let head = Format::new().set_bold().set_background_color("#E8EEF4");
    let money = Format::new().set_num_format("#,##0.00");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for s in sheets {
        let ws = wb.add_worksheet();
        // Sheet names: at most 31 characters, none of []:*?/\.
        let name: String = s.name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
        ws.set_name(name).map_err(xlsx_error)?;
        let write = |ws: &mut rust_xlsxwriter::Worksheet, r: u32, c: u16, cell: &Cell| -> Result<(), XlsxError> {
            match cell {
                Cell::Text(t) => ws.write_string(r, c, t).map(|_| ()),
                Cell::Money(f) => ws.write_number_with_format(r, c, f.0 as f64 / 100.0, &money).map(|_| ()),
                Cell::Int(n) => ws.write_number(r, c, *n as f64).map(|_| ()),
                Cell::Date(d) => {
                    let dt = ExcelDateTime::from_ymd(d.year as u16, d.month as u8, d.day as u8)?;
                    ws.write_datetime_with_format(r, c, &dt, &date).map(|_| ())
                }
                Cell::Blank => Ok(()),
            }
        };
        let mut r = 0u32;
        for (label, value) in &s.facts {
            ws.write_string_with_format(r, 0, label, &bold).map_err(xlsx_error)?;
            write(ws, r, 1, value).map_err(xlsx_error)?;
            r += 1;
        }
        if !s.facts.is_empty() {
            r += 1;
        }
        let header_row = r;
        for (c, h) in s.headers.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, h, &head).map_err(xlsx_error)?;
            let width =
                s.rows.iter().filter_map(|row| row.get(c)).map(cell_width).max().unwrap_or(0).max(display_width(h));
            ws.set_column_width(c as u16, (width + 2).min(60) as f64).map_err(xlsx_error)?;
        }
        for row in &s.rows {
            r += 1;
            for (c, cell) in row.iter().enumerate() {
                write(ws, r, c as u16, cell).map_err(xlsx_error)?;
            }
        }
        if !s.headers.is_empty() {
            ws.set_freeze_panes(header_row + 1, 0).map_err(xlsx_error)?;
            ws.autofilter(header_row, 0, r.max(header_row), s.headers.len() as u16 - 1).map_err(xlsx_error)?;
        }
        ws.set_paper_size(9); // A4
    }
    wb.save_to_buffer().map_err(xlsx_error)
}

/// Columns: a Chinese character is two wide.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn cell_width(c: &Cell) -> usize {
    match c {
        Cell::Text(t) => display_width(t),
        Cell::Money(f) => f.to_string().len(),
        Cell::Int(n) => n.to_string().len(),
        Cell::Date(_) => 10,
        Cell::Blank => 0,
    }
}

/// What an export asks for.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `zh` (default) or `en`: the headers' language.
    pub lang: Option<String>,
    /// A statement's customer.
    pub customer: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Ageing: `office`, `salesperson` (default) or `customer`.
    pub by: Option<String>,
    /// The cash report's or stock count's office (head office may ask for any; default the person's).
    pub office: Option<String>,
    /// The stock count's month, `YYYY-MM` (default this month).
    pub month: Option<String>,
}

/// The export names, for the error that lists them.
pub const EXPORTS: &[&str] = &[
    "orders",
    "customers",
    "payments",
    "shipments",
    "products",
    "stations",
    "ageing",
    "statement",
    "cash",
    "stock",
    "collections",
];

/// `GET /api/export/{name}.xlsx`: the list or statement as a workbook.
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(file): Path<String>,
    ApiQuery(q): ApiQuery<ExportParams>,
) -> Result<Response, AppError> {
    let Some(name) = file.strip_suffix(".xlsx").filter(|n| EXPORTS.contains(n)).map(str::to_string) else {
        return Err(AppError::not_found(format!("no export {file}; there are {}", EXPORTS.join(".xlsx, ") + ".xlsx")));
    };
    let en = q.lang.as_deref() == Some("en");
    if let Some(o) = q.office.as_deref() {
        if o != user.actor.office.as_str() && !user.actor.is_hq {
            return Err(AppError::forbidden("only head office reads another office's cash report or stock count"));
        }
    }
    let own_office = user.actor.office.to_string();
    let only_mine =
        (user.actor.role == common::desk::permissions::Role::Salesperson).then(|| user.actor.username.clone());
    let offset = user.info.office.utc_offset_minutes;
    let today = local_date(crate::db::now_ms(), offset);
    let (sheet, filename) = state
        .db
        .read(move |conn| {
            let kinds: &[Kind] = match name.as_str() {
                "products" => &[Kind::PRODUCT],
                "stations" => &[Kind::STATION],
                "customers" => &[Kind::CUSTOMER],
                "cash" => &[Kind::CASH_DAY, Kind::PAYMENT],
                "stock" => &[Kind::STOCK_COUNT],
                _ => &[Kind::ORDER, Kind::SHIPMENT, Kind::STATION_LOG, Kind::PAYMENT, Kind::CUSTOMER, Kind::OPENING],
            };
            let records = readable(conn, &user, kinds)?;
            if name == "cash" {
                return cash_sheet(&records, &q, en, today, &own_office);
            }
            if name == "stock" {
                return stock_sheet(&records, &q, en, today, &own_office);
            }
            let (mut sheet, filename) = build(&name, &records, &q, en, today, offset)?;
            // A salesperson's collections are their own customers', as on their phone.
            if let Some(me) = only_mine.filter(|_| name == "collections") {
                sheet.rows.retain(|r| r.get(1) == Some(&Cell::Text(me.clone())));
            }
            Ok((sheet, filename))
        })
        .await?;
    let bytes = workbook(&[sheet])?;
    let disposition =
        format!("attachment; filename=\"{}\"; filename*=UTF-8''{}", ascii_name(&filename), encode(&filename));
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

fn ascii_name(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The records of `kinds` the person may read: their office's, or all at head office,
/// and the catalogue. A record that cannot be read is left out.
fn readable(conn: &Connection, user: &CurrentUser, kinds: &[Kind]) -> Result<Vec<RecordState>, AppError> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT state FROM records WHERE kind = ?1 AND (?2 OR office = ?3 OR kind IN ('product', 'station'))",
    )?;
    for kind in kinds {
        let rows = stmt.query_map(params![kind.as_str(), user.actor.is_hq, user.actor.office.as_str()], |r| {
            r.get::<_, String>(0)
        })?;
        for text in rows {
            if let Ok(state) = serde_json::from_str::<RecordState>(&text?) {
                out.push(state);
            }
        }
    }
    Ok(out)
}

fn pick(en: bool, (zh, e): (&str, &str)) -> String {
    if en { e } else { zh }.to_string()
}

fn headers(en: bool, cols: &[(&str, &str)]) -> Vec<String> {
    cols.iter().map(|c| pick(en, *c)).collect()
}

fn day(hlc: Option<common::engine::hlc::Hlc>, offset: i32) -> Cell {
    hlc.map_or(Cell::Blank, |h| Cell::Date(local_date(h.wall_ms, offset)))
}

fn build(
    name: &str,
    records: &[RecordState],
    q: &ExportParams,
    en: bool,
    today: Date,
    offset: i32,
) -> Result<(Sheet, String), AppError> {
    let stamp = today.compact();
    match name {
        "products" => {
            let mut ps: Vec<ProductView> = records.iter().map(ProductView::from_record).collect();
            ps.sort_by(|a, b| a.model.cmp(&b.model));
            let sheet = Sheet {
                name: pick(en, ("产品", "Products")),
                headers: headers(
                    en,
                    &[
                        ("型号", "Model"),
                        ("名称", "Name"),
                        ("单位", "Unit"),
                        ("单价", "Unit price"),
                        ("拼音首字母", "Initials"),
                    ],
                ),
                rows: ps
                    .into_iter()
                    .map(|p| vec![p.model.into(), p.name.into(), p.unit.into(), p.price.into(), p.initials.into()])
                    .collect(),
                ..Default::default()
            };
            Ok((sheet, format!("products-{stamp}.xlsx")))
        }
        "stations" => {
            let mut ss: Vec<StationView> = records.iter().map(StationView::from_record).collect();
            ss.sort_by(|a, b| a.name.cmp(&b.name));
            let sheet = Sheet {
                name: pick(en, ("货站", "Stations")),
                headers: headers(
                    en,
                    &[("货站", "Station"), ("电话", "Phone"), ("合同号/会员号", "Contract / member no.")],
                ),
                rows: ss.into_iter().map(|s| vec![s.name.into(), s.phone.into(), s.contract.into()]).collect(),
                ..Default::default()
            };
            Ok((sheet, format!("stations-{stamp}.xlsx")))
        }
        "customers" => {
            let mut cs: Vec<CustomerView> = records.iter().map(CustomerView::from_record).collect();
            cs.sort_by(|a, b| (&a.office, &a.name).cmp(&(&b.office, &b.name)));
            let sheet = Sheet {
                name: pick(en, ("客户", "Customers")),
                headers: headers(
                    en,
                    &[
                        ("客户名称", "Name"),
                        ("全称", "Full name"),
                        ("联系人", "Contact"),
                        ("电话", "Phone"),
                        ("送货地址", "Address"),
                        ("货站", "Station"),
                        ("会员号", "Member number"),
                        ("结款方式", "Payment terms"),
                        ("信用额度", "Credit limit"),
                        ("等级", "Class"),
                        ("业务员", "Salesperson"),
                        ("备注", "Notes"),
                        ("机构", "Office"),
                    ],
                ),
                rows: cs
                    .into_iter()
                    .map(|c| {
                        vec![
                            c.name.into(),
                            c.full_name.into(),
                            c.contact.into(),
                            c.phone.into(),
                            c.address.into(),
                            c.station.into(),
                            c.station_contract.into(),
                            c.payment.map_or(Cell::Blank, |p| pick(en, labels::terms(p)).into()),
                            c.credit_limit.map_or(Cell::Blank, Cell::Money),
                            c.class.into(),
                            c.salesperson.into(),
                            c.notes.into(),
                            c.office.into(),
                        ]
                    })
                    .collect(),
                ..Default::default()
            };
            Ok((sheet, format!("customers-{stamp}.xlsx")))
        }
        _ => {
            let books = Books::read(records);
            build_books(name, &books, q, en, today, offset)
        }
    }
}

fn build_books(
    name: &str,
    books: &Books,
    q: &ExportParams,
    en: bool,
    today: Date,
    offset: i32,
) -> Result<(Sheet, String), AppError> {
    let stamp = today.compact();
    match name {
        "orders" => {
            let paid = ageing::paid_by_order(&books.payments);
            let mut orders: Vec<&OrderView> = books.orders.iter().collect();
            orders.sort_by_key(|o| (o.created, o.number.clone()));
            let sheet = Sheet {
                name: pick(en, ("订单", "Orders")),
                headers: headers(
                    en,
                    &[
                        ("单号", "Number"),
                        ("开单日期", "Date"),
                        ("客户", "Customer"),
                        ("电话", "Phone"),
                        ("要货日期", "Delivery date"),
                        ("结款方式", "Payment terms"),
                        ("状态", "Status"),
                        ("金额", "Total"),
                        ("已收", "Paid"),
                        ("未收", "Open"),
                        ("运单", "Waybill"),
                        ("机构", "Office"),
                    ],
                ),
                rows: orders
                    .into_iter()
                    .map(|o| {
                        let p = paid.get(&o.id).copied().unwrap_or(Fen::ZERO);
                        vec![
                            o.number.clone().into(),
                            day(o.created, offset),
                            o.customer_name.clone().into(),
                            o.phone.clone().into(),
                            Date::parse(&o.delivery_date).into(),
                            o.payment.map_or(Cell::Blank, |t| pick(en, labels::terms(t)).into()),
                            pick(en, labels::status(o.status)).into(),
                            o.total.into(),
                            p.into(),
                            open_amount(o, p).into(),
                            o.shipment.as_ref().map_or(Cell::Blank, |(w, _)| w.clone().into()),
                            o.office.to_string().into(),
                        ]
                    })
                    .collect(),
                ..Default::default()
            };
            Ok((sheet, format!("orders-{stamp}.xlsx")))
        }
        "payments" => {
            let mut ps = books.payments.clone();
            ps.sort_by_key(|p| (p.date, p.created));
            let sheet = Sheet {
                name: pick(en, ("回款", "Payments")),
                headers: headers(
                    en,
                    &[
                        ("日期", "Date"),
                        ("客户", "Customer"),
                        ("金额", "Amount"),
                        ("方式", "Method"),
                        ("银行水单号", "Bank slip"),
                        ("冲抵订单", "Set against"),
                        ("未冲抵", "On account"),
                        ("已确认", "Confirmed"),
                        ("备注", "Notes"),
                        ("机构", "Office"),
                    ],
                ),
                rows: ps
                    .into_iter()
                    .map(|p| {
                        let against: Vec<String> =
                            p.allocations.iter().map(|a| format!("{} {}", a.order_number, a.amount)).collect();
                        let unallocated = p.unallocated();
                        vec![
                            p.date.into(),
                            p.customer_name.into(),
                            p.amount.into(),
                            p.method.map_or(Cell::Blank, |m| pick(en, labels::method(m)).into()),
                            p.reference.into(),
                            against.join(", ").into(),
                            unallocated.into(),
                            pick(en, if p.confirmed { ("是", "yes") } else { ("否", "no") }).into(),
                            p.notes.into(),
                            p.office.to_string().into(),
                        ]
                    })
                    .collect(),
                ..Default::default()
            };
            Ok((sheet, format!("payments-{stamp}.xlsx")))
        }
        "collections" => {
            // 催款: pay-on-arrival orders arrived and unpaid, then everything overdue.
            let chase = books.chase(today);
            let mut rows: Vec<Vec<Cell>> = chase
                .into_iter()
                .map(|c| {
                    vec![
                        pick(en, ("货到未付", "Arrived, unpaid")).into(),
                        c.salesperson.into(),
                        Cell::Date(c.arrived),
                        c.customer.into(),
                        c.number.into(),
                        c.open.into(),
                    ]
                })
                .collect();
            rows.extend(books.aged(today).into_iter().filter(|a| a.bucket() > 0).map(|a| {
                vec![
                    pick(en, ("逾期", "Overdue")).into(),
                    a.salesperson.into(),
                    Cell::Date(a.shipped),
                    a.customer_name.into(),
                    a.number.into(),
                    a.open.into(),
                ]
            }));
            let sheet = Sheet {
                name: pick(en, ("催款", "Collections")),
                headers: headers(
                    en,
                    &[
                        ("类别", "Kind"),
                        ("业务员", "Salesperson"),
                        ("到货/发货", "Arrived / shipped"),
                        ("客户", "Customer"),
                        ("单号", "Number"),
                        ("未收", "Open"),
                    ],
                ),
                rows,
                ..Default::default()
            };
            Ok((sheet, format!("collections-{stamp}.xlsx")))
        }
        "shipments" => {
            let mut ss = books.shipments.clone();
            ss.sort_by_key(|s| (s.ship_date, s.created));
            let sheet = Sheet {
                name: pick(en, ("发货", "Shipments")),
                headers: headers(
                    en,
                    &[
                        ("发货日期", "Ship date"),
                        ("订单", "Order"),
                        ("客户", "Customer"),
                        ("货站", "Station"),
                        ("运单号", "Waybills"),
                        ("件数", "Packages"),
                        ("预计到达", "Expected arrival"),
                        ("已通知", "Notified"),
                        ("已签收", "Signed for"),
                        ("机构", "Office"),
                    ],
                ),
                rows: ss
                    .into_iter()
                    .map(|s| {
                        let waybills: Vec<&str> = s.waybills.iter().map(|w| w.number.as_str()).collect();
                        let packages: i64 = s.waybills.iter().map(|w| i64::from(w.packages)).sum();
                        let yes_no = |b: bool| pick(en, if b { ("是", "yes") } else { ("否", "no") });
                        vec![
                            s.ship_date.into(),
                            s.order_number.clone().into(),
                            s.customer_name.clone().into(),
                            s.station.clone().into(),
                            waybills.join(", ").into(),
                            Cell::Int(packages),
                            s.expected_arrival.into(),
                            yes_no(s.notified.is_some()).into(),
                            yes_no(s.receipt.is_some()).into(),
                            s.office.to_string().into(),
                        ]
                    })
                    .collect(),
                ..Default::default()
            };
            Ok((sheet, format!("shipments-{stamp}.xlsx")))
        }
        "ageing" => {
            let by = match q.by.as_deref() {
                None => By::Salesperson,
                Some(b) => By::parse(b).ok_or_else(|| {
                    AppError::bad_request("invalid_query", "by must be office, salesperson or customer")
                        .with_field("by")
                })?,
            };
            let aged = books.aged(today);
            let (rows, total) = ageing::ageing(&aged, by);
            let first = match by {
                By::Office => ("机构", "Office"),
                By::Salesperson => ("业务员", "Salesperson"),
                By::Customer => ("客户", "Customer"),
            };
            let line = |r: &ageing::AgeingRow, key: Cell| {
                let mut v = vec![key];
                v.extend(r.buckets.iter().map(|b| Cell::Money(*b)));
                v.push(r.total.into());
                v.push(Cell::Int(r.orders as i64));
                v
            };
            let mut out: Vec<Vec<Cell>> = rows
                .iter()
                .map(|r| {
                    let key = if r.key.is_empty() { pick(en, ("(未指定)", "(none)")) } else { r.key.clone() };
                    line(r, key.into())
                })
                .collect();
            out.push(line(&total, pick(en, ("合计", "Total")).into()));
            debug_assert_eq!(BUCKETS, 4);
            let sheet = Sheet {
                name: pick(en, ("应收账龄", "Receivables ageing")),
                facts: vec![(pick(en, ("截至", "As of")), Cell::Date(today))],
                headers: headers(
                    en,
                    &[
                        first,
                        ("0–30 天", "0–30 days"),
                        ("31–60 天", "31–60 days"),
                        ("61–90 天", "61–90 days"),
                        ("90 天以上", "Over 90 days"),
                        ("合计", "Total"),
                        ("订单数", "Orders"),
                    ],
                ),
                rows: out,
            };
            Ok((sheet, format!("ageing-{}-{stamp}.xlsx", by.code())))
        }
        "statement" => statement_sheet(books, q, en, today),
        _ => Err(AppError::not_found(format!("no export {name}"))),
    }
}

/// The `from`..`to` of a query (this month so far when not given), at most `max_days` long.
fn period(q: &ExportParams, today: Date, max_days: Option<i64>) -> Result<(Date, Date), AppError> {
    let bad =
        |field: &'static str, msg: &str| AppError::bad_request("invalid_query", msg.to_string()).with_field(field);
    let from = match q.from.as_deref() {
        Some(d) => Date::parse(d).ok_or_else(|| bad("from", "from must be a date (YYYY-MM-DD)"))?,
        None => Date::new(today.year, today.month, 1).unwrap_or(today),
    };
    let to = match q.to.as_deref() {
        Some(d) => Date::parse(d).ok_or_else(|| bad("to", "to must be a date (YYYY-MM-DD)"))?,
        None => today,
    };
    if to < from {
        return Err(bad("to", "the period ends before it starts"));
    }
    if max_days.is_some_and(|m| to.days() - from.days() > m) {
        return Err(bad("to", "the period is longer than a year"));
    }
    Ok((from, to))
}

fn statement_sheet(books: &Books, q: &ExportParams, en: bool, today: Date) -> Result<(Sheet, String), AppError> {
    let bad =
        |field: &'static str, msg: &str| AppError::bad_request("invalid_query", msg.to_string()).with_field(field);
    let customer = q
        .customer
        .as_deref()
        .and_then(|c| RecordId::parse(c).ok())
        .ok_or_else(|| bad("customer", "customer must be a customer's id"))?;
    let (from, to) = period(q, today, None)?;
    let Some(c) = books.customers.iter().find(|c| c.id == customer) else {
        return Err(AppError::not_found("no such customer here"));
    };
    let st = books.statement_of(c, from, to);
    let kind = |k: RowKind| match k {
        RowKind::Opening => pick(en, common::desk::opening::LABEL),
        RowKind::Delivery => pick(en, ("发货", "Delivery")),
        RowKind::Return => pick(en, ("退货", "Return")),
        RowKind::Payment => pick(en, ("回款", "Payment")),
    };
    let mut rows: Vec<Vec<Cell>> = st
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Date(r.date),
                kind(r.kind).into(),
                r.document.clone().into(),
                if r.debit.0 != 0 { r.debit.into() } else { Cell::Blank },
                if r.credit.0 != 0 { r.credit.into() } else { Cell::Blank },
                r.balance.into(),
            ]
        })
        .collect();
    rows.push(vec![
        Cell::Blank,
        pick(en, ("本期合计", "Period totals")).into(),
        Cell::Blank,
        st.debits.into(),
        st.credits.into(),
        st.closing.into(),
    ]);
    let name = if c.full_name.is_empty() { c.name.clone() } else { c.full_name.clone() };
    let sheet = Sheet {
        name: pick(en, ("对账单", "Statement")),
        facts: vec![
            (pick(en, ("客户", "Customer")), name.clone().into()),
            (pick(en, ("期间自", "From")), Cell::Date(from)),
            (pick(en, ("期间至", "To")), Cell::Date(to)),
            (pick(en, ("期初余额", "Brought forward")), st.opening.into()),
            (pick(en, ("期末余额", "Carried forward")), st.closing.into()),
        ],
        headers: headers(
            en,
            &[
                ("日期", "Date"),
                ("摘要", "Item"),
                ("单据", "Document"),
                ("借方(应收)", "Debit"),
                ("贷方(收回)", "Credit"),
                ("余额", "Balance"),
            ],
        ),
        rows,
    };
    Ok((sheet, format!("对账单-{}-{}-{}.xlsx", c.name, from.compact(), to.compact())))
}

fn cash_sheet(
    records: &[RecordState],
    q: &ExportParams,
    en: bool,
    today: Date,
    own_office: &str,
) -> Result<(Sheet, String), AppError> {
    use common::desk::cash::{report, DayView};
    use common::desk::payments::{Method, PaymentView};
    let office = q.office.clone().unwrap_or_else(|| own_office.to_string());
    let (from, to) = period(q, today, Some(366))?;
    let days: Vec<DayView> = records.iter().filter(|r| r.kind == Kind::CASH_DAY).map(DayView::from_record).collect();
    let pays: Vec<PaymentView> =
        records.iter().filter(|r| r.kind == Kind::PAYMENT).map(PaymentView::from_record).collect();
    let mut headers = vec![pick(en, ("日期", "Date")), pick(en, ("机构", "Office")), pick(en, ("期初", "Opening"))];
    headers.extend(Method::ALL.iter().map(|m| pick(en, labels::method(*m))));
    headers.extend([pick(en, ("支出", "Paid out")), pick(en, ("期末", "Closing")), pick(en, ("备注", "Notes"))]);
    let rows = report(&days, &pays, &office, from, to)
        .into_iter()
        .map(|d| {
            let mut row = vec![Cell::Date(d.date), d.office.clone().into(), d.opening.into()];
            row.extend(d.received.iter().map(|f| Cell::Money(*f)));
            row.extend([d.paid_out.into(), d.closing.into(), d.notes.into()]);
            row
        })
        .collect();
    let sheet = Sheet { name: pick(en, ("日资金报表", "Daily cash report")), headers, rows, ..Default::default() };
    Ok((sheet, format!("cash-{office}-{}-{}.xlsx", from.compact(), to.compact())))
}

fn stock_sheet(
    records: &[RecordState],
    q: &ExportParams,
    en: bool,
    today: Date,
    own_office: &str,
) -> Result<(Sheet, String), AppError> {
    use common::desk::stock::{CountView, Month};
    let office = q.office.clone().unwrap_or_else(|| own_office.to_string());
    let month = match q.month.as_deref() {
        Some(m) => Month::parse(m).ok_or_else(|| {
            AppError::bad_request("invalid_query", "month must be a month (YYYY-MM)".to_string()).with_field("month")
        })?,
        None => Month::of(today),
    };
    let count = records
        .iter()
        .filter(|r| r.kind == Kind::STOCK_COUNT && r.office.as_str() == office)
        .map(CountView::from_record)
        .find(|c| c.month == Some(month))
        .unwrap_or_default();
    let s = count.summary();
    let headers = headers(
        en,
        &[
            ("型号", "Model"),
            ("名称", "Name"),
            ("账面数", "Expected"),
            ("实盘数", "Counted"),
            ("差异", "Difference"),
            ("原因", "Reason"),
        ],
    );
    let rows = count
        .lines
        .iter()
        .map(|l| {
            vec![
                l.model.clone().into(),
                l.name.clone().into(),
                Cell::Int(l.expected),
                Cell::Int(l.counted),
                Cell::Int(l.difference()),
                l.reason.clone().into(),
            ]
        })
        .collect();
    let sheet = Sheet {
        name: pick(en, ("月度盘点差异", "Stock count")),
        facts: vec![
            (pick(en, ("机构", "Office")), office.clone().into()),
            (pick(en, ("月份", "Month")), month.to_string().into()),
            (pick(en, ("上报总部", "Reported")), count.reported_on.into()),
            (pick(en, ("有差异的行", "Lines differing")), Cell::Int(s.differing as i64)),
            (pick(en, ("盘盈", "Over")), Cell::Int(s.over)),
            (pick(en, ("盘亏", "Short")), Cell::Int(s.short)),
            (pick(en, ("备注", "Notes")), count.notes.clone().into()),
        ],
        headers,
        rows,
    };
    Ok((sheet, format!("stock-{office}-{}.xlsx", month.compact())))
}
