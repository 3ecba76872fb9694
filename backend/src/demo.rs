//! Demo data for a new, empty database: a head office, two branches, a user of every
//! role in each, and a catalogue of sanitary-ware products, customers and freight
//! stations, as at the seed's 爱嘉水暖洁具 desk.

use crate::auth::hash_password;
use crate::db::Inner;
use crate::error::AppError;
use crate::sync::RecordWriter;
use common::desk::permissions::Role;
use common::engine::hlc::{Clock, Hlc};
use common::engine::ids::{ChangeId, OfficeCode, RecordId};
use common::engine::record::{Change, FieldWrite, Kind, RecordState};
use rusqlite::params;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Every demo account's password.
pub const DEMO_PASSWORD: &str = "demo1234";

/// A real argon2 hash of nothing useful, verified against when a user name is unknown
/// so that a failed log-in takes as long whether or not the name exists.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Fz3Oq4wQ3Hq1v1PpCDbVkN2ykqv0L3k5W6t1y5c6rE";

pub const OFFICES: [(&str, &str, bool); 3] =
    [("HQ", "总部", true), ("FS", "佛山分公司", false), ("SZ", "深圳办事处", false)];

const ROLES: [(Role, &str); 6] = [
    (Role::Clerk, "内勤"),
    (Role::Reviewer, "复核"),
    (Role::Cashier, "收银"),
    (Role::Logistics, "物流"),
    (Role::Salesperson, "业务员"),
    (Role::Manager, "经理"),
];

const PAYMENTS: [&str; 3] = ["prepay", "on_arrival", "monthly"];

const SURNAMES: [&str; 7] = ["王", "李", "张", "刘", "陈", "杨", "黄"];
const GIVEN: [&str; 7] = ["芳", "伟", "敏", "静", "强", "磊", "娜"];

/// (model prefix, name, initials, unit, price in yuan)
const PRODUCTS: [(&str, &str, &str, &str, i64); 10] = [
    ("AJ-88", "单把手面盆龙头", "dbsmplt", "个", 128),
    ("AJ-66", "恒温淋浴花洒", "hwlyhs", "套", 460),
    ("AJ-12", "三角阀", "sjf", "个", 18),
    ("AJ-15", "不锈钢编织软管", "bxgbzrg", "根", 9),
    ("AJ-31", "防臭地漏", "fcdl", "个", 35),
    ("AJ-70", "连体座便器", "ltzbq", "台", 980),
    ("AJ-52", "台上盆", "tsp", "个", 260),
    ("AJ-40", "厨房水槽", "cfsc", "个", 320),
    ("AJ-23", "角阀", "jf", "个", 22),
    ("AJ-95", "浴室柜组合", "ysgzh", "套", 1680),
];

const STATIONS: [(&str, &str, &str); 10] = [
    ("德邦物流", "0757-8223 1001", "DB-6601"),
    ("安能物流", "0757-8223 1002", "AN-2290"),
    ("顺丰快运", "95338", "SF-88123"),
    ("中通快运", "0757-8223 1004", ""),
    ("百世快运", "0757-8223 1005", "BS-7710"),
    ("壹米滴答", "0757-8223 1006", ""),
    ("天地华宇", "0757-8223 1007", "TD-3021"),
    ("佳吉快运", "0757-8223 1008", "JJ-1188"),
    ("新邦物流", "0757-8223 1009", ""),
    ("盛辉物流", "0757-8223 1010", "SH-5002"),
];

/// Districts of Guangzhou (HQ), Foshan (FS) and Shenzhen (SZ), for addresses.
const DISTRICTS: [[&str; 5]; 3] = [
    ["天河区体育西路", "越秀区北京路", "海珠区江南大道", "白云区机场路", "番禺区市桥街道"],
    ["顺德区大良街道", "南海区桂城街道", "禅城区祖庙街道", "三水区西南街道", "高明区荷城街道"],
    ["南山区科技园", "福田区华强北", "宝安区西乡街道", "龙岗区布吉街道", "罗湖区东门"],
];

/// (name, pinyin initials) of customers; each office gets ten.
const CUSTOMERS: [(&str, &str); 10] = [
    ("美居建材商行", "mjjcsh"),
    ("恒发水暖批发部", "hfsnpfb"),
    ("金鑫五金店", "jxwjd"),
    ("华美装饰工程公司", "hmzsgcgs"),
    ("宏达建材城", "hdjcc"),
    ("新时代卫浴馆", "xsdwyg"),
    ("众诚水电安装部", "zcsdazb"),
    ("佳家乐装修队", "jjlzxd"),
    ("利民五金水暖", "lmwjsn"),
    ("安居房产开发公司", "ajfckfgs"),
];

fn office(code: &str) -> OfficeCode {
    OfficeCode::parse(code).unwrap_or_else(|_| unreachable!("demo office codes are valid"))
}

fn seed_record(
    clock: &mut Clock,
    writer: &mut RecordWriter,
    tx: &rusqlite::Transaction<'_>,
    kind: Kind,
    office: OfficeCode,
    n: u128,
    values: Value,
) -> Result<(), AppError> {
    let ts: Hlc = clock.tick(crate::db::now_ms());
    let set: BTreeMap<String, FieldWrite> = values
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), FieldWrite { value: v.clone(), replaces: vec![] }))
        .collect();
    // Fixed ids, so demo records are the same in every fresh database.
    let index = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u128;
    let id = RecordId(uuid::Uuid::from_u128((index + 1) << 64 | n));
    let change =
        Change { id: ChangeId(id.0), seq: 0, kind, record: id, office, ts, by: "system".into(), set, event: None };
    writer.store(tx, &RecordState::from_change(&change), Some(None))?;
    Ok(())
}

/// Fills an empty database; does nothing if any office exists already.
pub fn seed_if_empty(inner: &mut Inner) -> Result<bool, AppError> {
    let offices: i64 = inner.conn.query_row("SELECT COUNT(*) FROM offices", [], |r| r.get(0))?;
    if offices > 0 {
        return Ok(false);
    }
    // One hash for all demo accounts: they share a password, and hashing nineteen
    // times would slow every test that starts a server.
    let hash = hash_password(DEMO_PASSWORD)?;
    let Inner { conn, clock, uniques } = inner;
    let tx = conn.transaction()?;
    let mut writer = RecordWriter::default();
    {
        for (i, (code, name, is_hq)) in OFFICES.iter().enumerate() {
            tx.execute(
                "INSERT INTO offices(code, name, is_hq, utc_offset_minutes) VALUES (?1, ?2, ?3, 480)",
                params![code, name, is_hq],
            )?;
            for (j, (role, label)) in ROLES.iter().enumerate() {
                let username = format!("{}_{}", code.to_lowercase(), role.code());
                let person = format!("{}{}", SURNAMES[(i + j) % 7], GIVEN[(i * 2 + j) % 7]);
                tx.execute(
                    "INSERT INTO users(username, display_name, password_hash, role, office) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![username, format!("{name}{label} {person}"), hash, role.code(), code],
                )?;
            }
        }
        tx.execute(
            "INSERT INTO users(username, display_name, password_hash, role, office) VALUES ('hq_admin', '总部管理员', ?1, 'admin', 'HQ')",
            params![hash],
        )?;
        let mut n = 0u128;
        for (prefix, name, initials, unit, price) in PRODUCTS {
            for (v, variant) in ["01", "02", "03", "05", "08"].iter().enumerate() {
                n += 1;
                let values = json!({
                    "model": format!("{prefix}{variant}"),
                    "name": name,
                    "unit": unit,
                    "price": (price + 10 * v as i64) * 100 + if v % 2 == 1 { 50 } else { 0 },
                    "initials": initials,
                });
                seed_record(clock, &mut writer, &tx, Kind::PRODUCT, office("HQ"), n, values)?;
            }
        }
        for (i, (name, phone, contract)) in STATIONS.iter().enumerate() {
            seed_record(
                clock,
                &mut writer,
                &tx,
                Kind::STATION,
                office("HQ"),
                i as u128,
                json!({"name": name, "phone": phone, "contract": contract}),
            )?;
        }
        for (o, (code, _, _)) in OFFICES.iter().enumerate() {
            let city = ["广州市", "佛山市", "深圳市"][o];
            for (i, (name, initials)) in CUSTOMERS.iter().enumerate() {
                let district = DISTRICTS[o][i % 5];
                let station = STATIONS[(i + o) % STATIONS.len()];
                let values = json!({
                    "name": format!("{city}{name}"),
                    "initials": initials,
                    "phone": format!("13{}{:08}", 5 + o, 12_340_000 + i * 1111),
                    "contact": format!("{}先生", SURNAMES[i % 7]),
                    "address": format!("{city}{district}{}号", 10 + i * 7),
                    "station": station.0,
                    "station_contract": station.2,
                    "payment": PAYMENTS[i % 3],
                });
                seed_record(clock, &mut writer, &tx, Kind::CUSTOMER, office(code), (o * 100 + i) as u128, values)?;
            }
        }
        tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('clock_last', ?1)", params![clock.last.encode()])?;
        tx.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('company', '安居卫浴有限公司')", [])?;
    }
    writer.finish(&tx)?;
    // Demo records skip the push rules, so their unique values are claimed here; a store
    // still on an old schema claims them when it migrates.
    let has_table: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'unique_values')",
        [],
        |r| r.get(0),
    )?;
    if has_table {
        crate::upgrade::claim_unique_values(&tx)?;
    }
    tx.commit()?;
    // Claimed in SQL alone (above): the server's copy in memory is read again.
    if has_table {
        *uniques = crate::uniques::Uniques::load(conn)?;
    }
    Ok(true)
}
