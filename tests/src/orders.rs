//! Realistic phone orders for the benchmarks, made like `../shared/anchors/pouchdb/gen.js`
//! makes its documents (the PouchDB side of the speed comparison): people's names,
//! addresses over several districts, 1–6 lines from a catalogue of twenty appliances,
//! stations, payment terms and the occasional note, from a seeded generator so that every
//! run stores the same orders. Same-sized orders make the capacity figures honest: the
//! same order ten thousand times compresses far better than a branch's real year.

use common::desk::order::{LineDraft, OrderDraft};

/// SplitMix64: small, seeded, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next_u64() as usize % items.len()]
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀兰", "霞", "建华", "志强", "晓东", "海燕", "子涵", "浩然", "雨桐", "欣怡", "宇轩", "思远",
];
const DISTRICTS: &[(&str, &str, &[&str])] = &[
    ("广东省佛山市", "顺德区", &["大良街道", "容桂街道", "伦教街道", "北滘镇", "陈村镇"]),
    ("广东省佛山市", "南海区", &["桂城街道", "大沥镇", "里水镇", "狮山镇"]),
    ("广东省佛山市", "禅城区", &["祖庙街道", "石湾镇街道", "张槎街道", "南庄镇"]),
    ("广东省广州市", "番禺区", &["市桥街道", "大石街道", "洛浦街道"]),
    ("广东省中山市", "小榄镇", &["升平路", "民安路", "绩东一社区"]),
    ("广东省江门市", "蓬江区", &["环市街道", "白沙街道", "潮连街道"]),
];
const COMMUNITY: &[&str] = &["花园", "新村", "小区", "公寓", "苑", "家园", "名邸", "城"];
const COMMUNITY_PREFIX: &[&str] =
    &["阳光", "锦绣", "翠湖", "东方", "世纪", "金色", "碧云", "绿洲", "万科", "中海", "保利", "新城", "明珠", "春江"];
const SHOPS: &[&str] = &["建材商行", "五金店", "水暖器材部", "装饰工程部", "卫浴专卖店", "家居广场", "洁具经营部"];
/// Model, name, unit, price in fen: the demo catalogue's kind of goods.
const PRODUCTS: &[(&str, &str, &str, u64)] = &[
    ("AJ-8801", "单把手面盆龙头", "个", 12850),
    ("AJ-8802", "双把手面盆龙头 铜镀铬", "个", 16800),
    ("AJ-8810", "厨房冷热水龙头 可旋转", "个", 19900),
    ("AJ-9901", "淋浴花洒套装 恒温", "套", 89900),
    ("AJ-9902", "淋浴花洒套装 增压", "套", 59900),
    ("AJ-9910", "浴缸龙头 入墙式", "套", 45800),
    ("JD-2201", "连体坐便器 虹吸式 400坑距", "台", 139900),
    ("JD-2202", "智能坐便器 即热式 一体机", "台", 429900),
    ("JD-2301", "挂墙式小便斗 感应冲水", "台", 89900),
    ("JD-3101", "台上盆 陶瓷 600mm", "个", 35900),
    ("JD-3102", "台下盆 陶瓷 500mm", "个", 29900),
    ("YG-5001", "浴室柜 实木 800mm 含镜柜", "套", 259900),
    ("YG-5002", "浴室柜 PVC 600mm", "套", 119900),
    ("WJ-0101", "角阀 全铜 冷热通用", "个", 2800),
    ("WJ-0102", "不锈钢编织软管 60cm", "根", 1600),
    ("WJ-0201", "地漏 防臭 不锈钢", "个", 4500),
    ("WJ-0301", "置物架 太空铝 三层", "个", 13900),
    ("WJ-0302", "毛巾架 不锈钢 60cm", "个", 9800),
    ("RS-8001", "燃气热水器 16升 零冷水", "台", 329900),
    ("RS-8002", "电热水器 60升 一级能效", "台", 159900),
];
const STATIONS: &[(&str, &str)] = &[
    ("德邦物流", "DB-6601"),
    ("安能物流", "AN-2231"),
    ("中通快运", "ZT-0757"),
    ("顺丰快运", "SF-1188"),
    ("客户自提", ""),
];
const PAYMENTS: &[&str] = &["prepay", "on_arrival", "monthly", "cash"];
const NOTES: &[&str] = &[
    "",
    "",
    "",
    "客户要求下午送货,送货前请电话联系。",
    "老客户,按上月价格。",
    "需要开增值税专用发票,抬头见客户资料。",
    "电梯房18楼,请安排上楼。",
    "周末送货,工作日无人。",
    "客户已付定金500元,余款货到收取。",
    "与门店活动价一致,经理已同意。",
];

/// The `k`th order of a seeded run, as the desk types it.
pub fn realistic_order(rng: &mut Rng) -> OrderDraft {
    let person = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN));
    let (city, district, streets) = *rng.pick(DISTRICTS);
    let customer_name = if rng.range(0, 2) == 0 {
        person.clone()
    } else {
        format!("{}{}{}", district.trim_end_matches(['区', '镇']), rng.pick(COMMUNITY_PREFIX), rng.pick(SHOPS))
    };
    let address = format!(
        "{city}{district}{}{}号{}{}{}栋{}室",
        rng.pick(streets),
        rng.range(1, 388),
        rng.pick(COMMUNITY_PREFIX),
        rng.pick(COMMUNITY),
        rng.range(1, 30),
        rng.range(101, 2805)
    );
    let (station, contract) = *rng.pick(STATIONS);
    let lines = (0..rng.range(1, 6))
        .map(|_| {
            let (model, name, unit, price) = *rng.pick(PRODUCTS);
            // Now and then a price agreed on the phone.
            let price = if rng.range(0, 4) == 0 { price - price / 20 } else { price };
            LineDraft {
                model: model.into(),
                name: name.into(),
                quantity: rng.range(1, 40).to_string(),
                unit: unit.into(),
                unit_price: format!("{}.{:02}", price / 100, price % 100),
                ..Default::default()
            }
        })
        .collect();
    OrderDraft {
        customer_name,
        phone: format!("1{}{:08}", rng.pick(&["36", "38", "39", "59", "86", "88"]), rng.range(0, 99_999_999)),
        address,
        station: station.into(),
        station_contract: contract.into(),
        payment: (*rng.pick(PAYMENTS)).into(),
        notes: (*rng.pick(NOTES)).into(),
        lines,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_orders_are_valid_varied_and_the_same_every_run() {
        let a: Vec<OrderDraft> = (0..200)
            .map({
                let mut rng = Rng::new(7);
                move |_| realistic_order(&mut rng)
            })
            .collect();
        let b: Vec<OrderDraft> = (0..200)
            .map({
                let mut rng = Rng::new(7);
                move |_| realistic_order(&mut rng)
            })
            .collect();
        assert_eq!(a, b);
        for o in &a {
            o.validate().unwrap();
        }
        let names: std::collections::BTreeSet<&str> = a.iter().map(|o| o.customer_name.as_str()).collect();
        assert!(names.len() > 150, "{} names", names.len());
    }
}
