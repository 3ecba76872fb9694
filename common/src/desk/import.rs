//! Customers and products from a spreadsheet: which column is which field (by its header,
//! in 中文 or English), each cell read and checked by the same rules a device's change
//! meets, and every problem named by the spreadsheet's row number before anything is
//! written. The server reads the file (.xlsx or .csv) into rows of text; this decides.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::desk::customer::{check_customer_field, check_product_field};
use crate::desk::labels::parse_terms;
use crate::desk::money::{Fen, MoneyError};
use crate::desk::order::{FieldError, Problem};

/// What a file brings in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Customers,
    Products,
    /// 期初应收: what each (existing) customer owed when the company started.
    Openings,
}

impl Target {
    pub fn code(self) -> &'static str {
        match self {
            Target::Customers => "customers",
            Target::Products => "products",
            Target::Openings => "openings",
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        [Target::Customers, Target::Products, Target::Openings].into_iter().find(|t| t.code() == s)
    }

    /// Field, then the headers people give that column (the first is the one the
    /// template uses).
    pub fn columns(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Target::Customers => &[
                ("name", &["客户名称", "名称", "简称", "客户", "name", "customer", "customer name"]),
                ("full_name", &["全称", "客户全称", "full name", "full_name"]),
                ("contact", &["联系人", "contact", "contact person"]),
                ("phone", &["电话", "联系电话", "手机", "phone"]),
                ("address", &["送货地址", "地址", "address", "delivery address"]),
                ("station", &["货站", "station"]),
                ("station_contract", &["会员号", "合同号", "合同号/会员号", "member number", "station_contract"]),
                ("payment", &["结款方式", "付款方式", "payment terms", "payment"]),
                ("credit_limit", &["信用额度", "credit limit", "credit_limit"]),
                ("class", &["等级", "客户等级", "class"]),
                ("salesperson", &["业务员", "salesperson"]),
                ("notes", &["备注", "notes"]),
                ("initials", &["拼音首字母", "拼音", "initials", "pinyin initials"]),
            ],
            Target::Products => &[
                ("model", &["型号", "model"]),
                ("name", &["名称", "品名", "产品名称", "name"]),
                ("unit", &["单位", "unit"]),
                ("price", &["单价", "价格", "price", "unit price"]),
                ("initials", &["拼音首字母", "拼音", "initials"]),
            ],
            Target::Openings => &[
                ("customer_name", &["客户名称", "客户", "名称", "name", "customer", "customer name"]),
                ("amount", &["期初应收", "期初余额", "金额", "欠款", "amount", "opening balance"]),
                ("as_of", &["截至日期", "日期", "as of", "date"]),
                ("notes", &["备注", "notes"]),
            ],
        }
    }

    /// The field two rows (or a row and a stored record) may not share.
    pub fn key(self) -> &'static str {
        match self {
            Target::Customers => "name",
            Target::Products => "model",
            Target::Openings => "customer_name",
        }
    }

    fn required(self) -> &'static [&'static str] {
        match self {
            Target::Customers => &["name"],
            Target::Products => &["model", "name"],
            Target::Openings => &["customer_name", "amount", "as_of"],
        }
    }

    fn check(self, field: &str, value: &Value) -> Result<(), Problem> {
        match self {
            Target::Customers => check_customer_field(field, value),
            Target::Products => check_product_field(field, value),
            Target::Openings => crate::desk::opening::check_field(field, value),
        }
    }
}

/// One problem, where the spreadsheet shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// The row number as the spreadsheet shows it (the header is usually row 1).
    pub row: usize,
    /// The column's header as written in the file (or the template's, for a missing
    /// column; empty when the rules refused the row as a whole).
    pub column: String,
    /// The field, with the problem and its limit, for a message in the reader's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FieldError>,
    /// The server's refusal code when its rules refused the row (`forbidden`, `duplicate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// In English, e.g. "row 3, 信用额度: is not a number".
    pub message: String,
}

/// What an import did, or would do: the answer of `POST /api/import/{target}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub target: Option<Target>,
    /// Rows that are (or would be) written.
    pub count: usize,
    /// The first rows, as they would be written, for the preview.
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
    /// Headers understood, with their field.
    pub columns: Vec<(String, String)>,
    /// Headers not imported.
    pub ignored: Vec<String>,
    /// Written, in one transaction; false for a preview or a refusal.
    pub written: bool,
    /// When refused: `import_refused`, and the first problem in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A row ready to be written: its spreadsheet row number and the record's values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportRow {
    pub row: usize,
    pub values: BTreeMap<String, Value>,
}

/// What a file holds, read: the rows to write, the problems, and which columns were
/// understood (header → field) and which were left out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Parsed {
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
    pub columns: Vec<(String, String)>,
    pub ignored: Vec<String>,
}

fn field_of(target: Target, header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('*').trim();
    target.columns().iter().find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(h))).map(|(f, _)| *f)
}

fn money_problem(e: MoneyError) -> Problem {
    match e {
        MoneyError::TooManyDecimals => Problem::TooManyDecimals,
        MoneyError::TooLarge => Problem::TooLarge,
        _ => Problem::NotANumber,
    }
}

/// A cell's text as the record's value, or why it cannot be.
fn value_of(target: Target, field: &str, text: &str) -> Result<Value, Problem> {
    let text = text.trim();
    let value = match field {
        "payment" if text.is_empty() => json!(""),
        "payment" => json!(parse_terms(text).ok_or(Problem::UnknownChoice)?.code()),
        "class" => json!(text.to_uppercase()),
        "credit_limit" | "price" => {
            let fen = Fen::parse(text).map_err(money_problem)?;
            if fen.0 < 0 {
                return Err(Problem::Negative);
            }
            json!(fen.0)
        }
        // An opening balance may be negative: the customer had paid ahead.
        "amount" => json!(Fen::parse(text).map_err(money_problem)?.0),
        "as_of" => json!(text.replace(['/', '.'], "-")),
        _ => json!(text),
    };
    target.check(field, &value)?;
    Ok(value)
}

/// Reads `table` (its first non-blank row the headers; row numbers count from 1 as a
/// spreadsheet shows them). `exists`: whether a stored record already has a row's key
/// (a customer's name in the office, a product's model, a customer's opening balance).
/// `customer_of`: the id of the office's customer of that name (opening balances name a
/// customer that exists).
pub fn parse(
    target: Target,
    table: &[Vec<String>],
    exists: impl Fn(&str) -> bool,
    customer_of: impl Fn(&str) -> Option<String>,
) -> Parsed {
    let blank = |r: &Vec<String>| r.iter().all(|c| c.trim().is_empty());
    let mut out = Parsed::default();
    let Some(head_at) = table.iter().position(|r| !blank(r)) else {
        let error = FieldError::new(target.key(), Problem::Required);
        out.errors.push(RowError {
            row: 1,
            column: target.key().into(),
            message: "the file is empty".into(),
            error: Some(error),
            code: None,
        });
        return out;
    };
    let headers = &table[head_at];
    let mut fields: Vec<Option<&'static str>> = Vec::with_capacity(headers.len());
    let mut seen = BTreeSet::new();
    for h in headers {
        let f = field_of(target, h).filter(|f| seen.insert(*f));
        match f {
            Some(f) => out.columns.push((h.trim().to_string(), f.to_string())),
            None if !h.trim().is_empty() => out.ignored.push(h.trim().to_string()),
            None => {}
        }
        fields.push(f);
    }
    let header_of = |field: &str| {
        fields.iter().position(|f| *f == Some(field)).map(|i| headers[i].trim().to_string()).unwrap_or(field.into())
    };
    let missing: Vec<&str> = target.required().iter().copied().filter(|f| !seen.contains(f)).collect();
    for f in &missing {
        let message = format!("row {}: no column for {f} (e.g. {})", head_at + 1, header_of_template(target, f));
        out.errors.push(RowError {
            row: head_at + 1,
            column: header_of_template(target, f).into(),
            error: Some(FieldError::new(*f, Problem::Required)),
            code: None,
            message,
        });
    }
    if !missing.is_empty() {
        return out;
    }
    let mut keys: BTreeMap<String, usize> = BTreeMap::new();
    for (i, cells) in table.iter().enumerate().skip(head_at + 1) {
        if blank(cells) {
            continue;
        }
        let row = i + 1;
        let mut values = BTreeMap::new();
        let mut bad = Vec::new();
        for (c, f) in fields.iter().enumerate() {
            let Some(f) = f else { continue };
            let text = cells.get(c).map(String::as_str).unwrap_or("");
            if text.trim().is_empty() && !target.required().contains(f) {
                continue;
            }
            match value_of(target, f, text) {
                Ok(v) => {
                    values.insert(f.to_string(), v);
                }
                Err(problem) => bad.push((f, problem)),
            }
        }
        if bad.is_empty() && target == Target::Customers {
            // A new customer starts on prepay with no credit until a manager says otherwise.
            values.entry("payment".to_string()).or_insert_with(|| json!("prepay"));
            values.entry("credit_limit".to_string()).or_insert_with(|| json!(0));
        }
        if bad.is_empty() {
            let key = values.get(target.key()).and_then(Value::as_str).unwrap_or("").to_string();
            if let Some(first) = keys.get(&key) {
                let message = format!("row {row}, {}: {key} is also on row {first}", header_of(target.key()));
                let e = FieldError::new(target.key(), Problem::Taken).with_limit(*first);
                key_row(&mut out, row, header_of(target.key()), e, "repeated", message);
                continue;
            }
            keys.insert(key.clone(), row);
            if exists(&key) {
                let message = format!("row {row}, {}: {key} already exists", header_of(target.key()));
                let e = FieldError::new(target.key(), Problem::Taken);
                key_row(&mut out, row, header_of(target.key()), e, "exists", message);
                continue;
            }
            if target == Target::Openings {
                let Some(id) = customer_of(&key) else {
                    let message = format!("row {row}, {}: no customer named {key} here", header_of(target.key()));
                    let e = FieldError::new(target.key(), Problem::UnknownChoice);
                    key_row(&mut out, row, header_of(target.key()), e, "unknown_customer", message);
                    continue;
                };
                values.insert("customer".to_string(), json!(id));
            }
            out.rows.push(ImportRow { row, values });
        }
        for (f, problem) in bad {
            let column = header_of(f);
            let message = format!("row {row}, {column}: {}", problem.message());
            bad_row(&mut out, row, column, FieldError::new(*f, problem), message);
        }
    }
    out
}

fn bad_row(out: &mut Parsed, row: usize, column: String, error: FieldError, message: String) {
    out.errors.push(RowError { row, column, error: Some(error), code: None, message });
}

/// A row refused for its key, with why: `repeated` (twice in the file), `exists` (already
/// stored), `unknown_customer` (an opening balance for no customer of the office).
fn key_row(out: &mut Parsed, row: usize, column: String, error: FieldError, code: &str, message: String) {
    out.errors.push(RowError { row, column, error: Some(error), code: Some(code.to_string()), message });
}

fn header_of_template(target: Target, field: &str) -> &'static str {
    target.columns().iter().find(|(f, _)| *f == field).map(|(_, names)| names[0]).unwrap_or("")
}

/// The header row of a template to fill in.
pub fn template(target: Target) -> Vec<&'static str> {
    target.columns().iter().map(|(_, names)| names[0]).collect()
}

/// The same in English (the last English header each column is known by).
pub fn template_en(target: Target) -> Vec<&'static str> {
    target
        .columns()
        .iter()
        .map(|(_, names)| names.iter().rev().find(|n| n.is_ascii()).copied().unwrap_or(names[0]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
    }

    #[test]
    fn customers_are_read_by_their_chinese_or_english_headers() {
        let t = table(&[
            &["客户名称", "电话", "结款方式", "信用额度", "等级", "颜色"],
            &["华北建新", "0311-8888 1234", "月结", "50,000", "a", "红"],
            &["", "", "", "", "", ""],
            &["美居建材", "", "Prepay", "", "", ""],
        ]);
        let p = parse(Target::Customers, &t, |_| false, |_| None);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.ignored, vec!["颜色"]);
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].row, 2);
        assert_eq!(p.rows[0].values["payment"], json!("monthly"));
        assert_eq!(p.rows[0].values["credit_limit"], json!(5_000_000));
        assert_eq!(p.rows[0].values["class"], json!("A"));
        assert_eq!(p.rows[1].row, 4, "the blank row still counts in the numbering");
        assert_eq!(p.rows[1].values["payment"], json!("prepay"));
        assert!(!p.rows[1].values.contains_key("phone"), "an empty cell writes nothing");
        assert_eq!(p.rows[1].values["credit_limit"], json!(0), "no credit until a manager gives it");
    }

    #[test]
    fn each_bad_row_is_named_by_its_number_and_reason() {
        let t = table(&[
            &["name", "payment", "credit limit"],
            &["A", "monthly", "100"],
            &["B", "赊账", "1.234"],
            &["A", "", ""],
            &["", "cash", ""],
            &["C", "", ""],
        ]);
        let p = parse(Target::Customers, &t, |name| name == "C", |_| None);
        let got: Vec<(usize, &str, Problem)> = p
            .errors
            .iter()
            .map(|e| (e.row, e.error.as_ref().unwrap().field.as_str(), e.error.as_ref().unwrap().problem))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, "payment", Problem::UnknownChoice),
                (3, "credit_limit", Problem::TooManyDecimals),
                (4, "name", Problem::Taken),
                (5, "name", Problem::Required),
                (6, "name", Problem::Taken),
            ]
        );
        assert_eq!(p.errors[0].message, "row 3, payment: is not one of the allowed choices");
        assert!(p.errors[2].message.contains("row 2"), "{}", p.errors[2].message);
        assert_eq!(p.rows.len(), 1);
    }

    #[test]
    fn a_file_without_the_key_column_is_refused_at_its_header() {
        let t = table(&[&[""], &["电话", "地址"], &["123", "x"]]);
        let p = parse(Target::Customers, &t, |_| false, |_| None);
        assert_eq!(p.errors.len(), 1);
        assert_eq!((p.errors[0].row, p.errors[0].column.as_str()), (2, "客户名称"));
        assert!(p.rows.is_empty());
        assert_eq!(parse(Target::Products, &[], |_| false, |_| None).errors.len(), 1, "an empty file");
    }

    #[test]
    fn products_need_a_model_and_a_name_and_a_price_in_yuan() {
        let t = table(&[&["型号", "名称", "单价"], &["AJ-1", "角阀", "12.5"], &["AJ-2", "", "-1"]]);
        let p = parse(Target::Products, &t, |_| false, |_| None);
        assert_eq!(p.rows[0].values["price"], json!(1250));
        let got: Vec<(usize, &str)> =
            p.errors.iter().map(|e| (e.row, e.error.as_ref().unwrap().field.as_str())).collect();
        assert_eq!(got, vec![(3, "name"), (3, "price")]);
        assert_eq!(template(Target::Products), vec!["型号", "名称", "单位", "单价", "拼音首字母"]);
    }

    #[test]
    fn opening_balances_name_a_customer_that_exists_once() {
        let t = table(&[
            &["客户名称", "期初应收", "截至日期"],
            &["美居建材", "12,000.50", "2026/09/30"],
            &["华北建新", "-300", "2026-09-30"],
            &["不存在的", "1", "2026-09-30"],
            &["美居建材", "5", "2026-09-30"],
            &["老客户", "0", "2026-09-30"],
        ]);
        let p = parse(
            Target::Openings,
            &t,
            |name| name == "老客户",
            |name| (name != "不存在的").then(|| format!("id-{name}")),
        );
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].values["amount"], json!(1_200_050));
        assert_eq!(p.rows[0].values["as_of"], json!("2026-09-30"));
        assert_eq!(p.rows[0].values["customer"], json!("id-美居建材"));
        assert_eq!(p.rows[1].values["amount"], json!(-30_000), "paid ahead");
        let got: Vec<(usize, Problem)> = p.errors.iter().map(|e| (e.row, e.error.as_ref().unwrap().problem)).collect();
        assert_eq!(got, vec![(4, Problem::UnknownChoice), (5, Problem::Taken), (6, Problem::MustBePositive)]);
    }
}
