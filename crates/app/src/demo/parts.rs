//! The demo's spare parts (issue 14): two suppliers, parts for the demo's air conditioners,
//! water purifiers and elevators, a stocked central warehouse, two station stores, a partner's
//! store and the demo engineer's van, with reorder points, so a new user sees a living
//! warehouse. Loaded once: when any part exists, nothing is added.

use crate::{AppError, Ctx, NewLocation, NewMove, PartInput, SupplierInput};
use aftersales_store::parts::{catalog, stock};

/// (code, name, contact, phone, warranty months)
const SUPPLIERS: &[(&str, &str, &str, &str, i64)] = &[
    ("SUP-GL", "珠海格力电器配件部", "黄海", "0756-8668888", 12),
    (
        "SUP-HW",
        "杭州恒伟电梯部件有限公司",
        "周静",
        "0571-86001234",
        18,
    ),
];

/// (part number, 中文, English, category, uom, cost fen, list fen, supplier, models, serialized)
type DemoPart = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
    &'static str,
    &'static [&'static str],
    bool,
);

const PARTS: &[DemoPart] = &[
    (
        "KT-CAP-35UF",
        "压缩机启动电容 35μF",
        "Compressor start capacitor 35 µF",
        "electrical",
        "pcs",
        1_800,
        4_500,
        "SUP-GL",
        &["KT-2P", "KT-5P"],
        false,
    ),
    (
        "KT-FAN-MTR",
        "室外风机电机",
        "Outdoor fan motor",
        "motor",
        "pcs",
        16_500,
        32_000,
        "SUP-GL",
        &["KT-2P"],
        false,
    ),
    (
        "KT-CMP-5P",
        "5匹涡旋压缩机",
        "5 HP scroll compressor",
        "compressor",
        "pcs",
        185_000,
        320_000,
        "SUP-GL",
        &["KT-5P"],
        true,
    ),
    (
        "KT-PCB-2P",
        "室内机主控板",
        "Indoor unit control board",
        "control_board",
        "pcs",
        21_000,
        45_000,
        "SUP-GL",
        &["KT-2P"],
        false,
    ),
    (
        "KT-SNS-T",
        "管温传感器",
        "Pipe temperature sensor",
        "sensor",
        "pcs",
        600,
        2_000,
        "SUP-GL",
        &["KT-2P", "KT-5P"],
        false,
    ),
    (
        "KT-R410A",
        "R410A 制冷剂",
        "R410A refrigerant",
        "consumable",
        "kg",
        4_500,
        9_000,
        "SUP-GL",
        &["KT-2P", "KT-5P"],
        false,
    ),
    (
        "JSQ-RO-400",
        "400G 反渗透膜",
        "400G RO membrane",
        "consumable",
        "pcs",
        9_000,
        19_800,
        "SUP-GL",
        &["JSQ-400"],
        false,
    ),
    (
        "JSQ-PP",
        "PP 棉滤芯",
        "PP sediment filter",
        "consumable",
        "pcs",
        800,
        3_000,
        "SUP-GL",
        &["JSQ-400"],
        false,
    ),
    (
        "DT-DOOR-MTR",
        "门机电机",
        "Door operator motor",
        "motor",
        "pcs",
        98_000,
        180_000,
        "SUP-HW",
        &["DT-1000"],
        true,
    ),
    (
        "DT-ROPE-10",
        "曳引钢丝绳 Φ10",
        "Traction rope Φ10",
        "mechanical",
        "m",
        2_600,
        5_200,
        "SUP-HW",
        &["DT-1000"],
        false,
    ),
];

/// (code, name, kind, org unit, user)
const LOCATIONS: &[(&str, &str, &str, &str, &str)] = &[
    ("WH-MAIN", "中心备件库", "warehouse", "WH", ""),
    ("ST-SY-HP", "沈阳和平服务站备件库", "store", "SY-HP", ""),
    ("ST-DL-ZS", "大连中山服务站备件库", "store", "DL-ZS", ""),
    ("PS-P-HT", "恒通机电备件库", "partner_store", "P-HT", ""),
    ("VAN-ZW", "张伟的车载库", "van", "", "engineer"),
];

/// A demo move: (kind, part, qty, from, to, unit cost, serial).
type DemoMove = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<i64>,
    &'static str,
);

const MOVES: &[DemoMove] = &[
    (
        "receipt",
        "KT-CAP-35UF",
        "120",
        "",
        "WH-MAIN",
        Some(1_750),
        "",
    ),
    (
        "receipt",
        "KT-CAP-35UF",
        "80",
        "",
        "WH-MAIN",
        Some(1_880),
        "",
    ),
    ("receipt", "KT-FAN-MTR", "24", "", "WH-MAIN", None, ""),
    (
        "receipt",
        "KT-CMP-5P",
        "1",
        "",
        "WH-MAIN",
        None,
        "CMP5P-2611-0001",
    ),
    (
        "receipt",
        "KT-CMP-5P",
        "1",
        "",
        "WH-MAIN",
        None,
        "CMP5P-2611-0002",
    ),
    ("receipt", "KT-PCB-2P", "30", "", "WH-MAIN", None, ""),
    ("receipt", "KT-SNS-T", "200", "", "WH-MAIN", None, ""),
    ("receipt", "KT-R410A", "150.5", "", "WH-MAIN", None, ""),
    ("receipt", "JSQ-RO-400", "60", "", "WH-MAIN", None, ""),
    ("receipt", "JSQ-PP", "400", "", "WH-MAIN", None, ""),
    (
        "receipt",
        "DT-DOOR-MTR",
        "1",
        "",
        "WH-MAIN",
        None,
        "DM-2609-0117",
    ),
    ("receipt", "DT-ROPE-10", "500", "", "WH-MAIN", None, ""),
    (
        "transfer",
        "KT-CAP-35UF",
        "20",
        "WH-MAIN",
        "ST-SY-HP",
        None,
        "",
    ),
    (
        "transfer", "KT-SNS-T", "30", "WH-MAIN", "ST-SY-HP", None, "",
    ),
    (
        "transfer",
        "KT-PCB-2P",
        "2",
        "WH-MAIN",
        "ST-SY-HP",
        None,
        "",
    ),
    ("transfer", "JSQ-PP", "40", "WH-MAIN", "ST-DL-ZS", None, ""),
    (
        "transfer",
        "KT-CAP-35UF",
        "10",
        "WH-MAIN",
        "PS-P-HT",
        None,
        "",
    ),
    (
        "transfer",
        "KT-CAP-35UF",
        "6",
        "ST-SY-HP",
        "VAN-ZW",
        None,
        "",
    ),
    ("transfer", "KT-SNS-T", "4", "ST-SY-HP", "VAN-ZW", None, ""),
    ("transfer", "KT-FAN-MTR", "1", "WH-MAIN", "VAN-ZW", None, ""),
    ("transfer", "KT-R410A", "5", "WH-MAIN", "VAN-ZW", None, ""),
];

/// (location, part, reorder point, reorder quantity) in units.
const REORDER: &[(&str, &str, i64, i64)] = &[
    ("WH-MAIN", "KT-CAP-35UF", 50, 200),
    ("WH-MAIN", "KT-FAN-MTR", 25, 20),
    ("WH-MAIN", "KT-PCB-2P", 10, 20),
    ("ST-SY-HP", "KT-CAP-35UF", 10, 20),
    ("ST-SY-HP", "KT-PCB-2P", 3, 5),
    ("VAN-ZW", "KT-CAP-35UF", 4, 6),
];

impl crate::App {
    /// Loads the demo parts and stock unless some part exists already; answers how many
    /// parts it added.
    pub(crate) async fn load_demo_parts(&self) -> Result<usize, AppError> {
        if !catalog::search_parts(self.db.pool(), "", None, 1)
            .await?
            .is_empty()
        {
            return Ok(0);
        }
        let ctx = Ctx::system("demo");
        for (code, name, contact, phone, months) in SUPPLIERS {
            let input = SupplierInput {
                version: None,
                code: (*code).into(),
                name: (*name).into(),
                contact: Some((*contact).into()),
                phone: Some((*phone).into()),
                email: None,
                address: None,
                warranty_months: Some(*months),
                note: None,
            };
            self.create_supplier(&ctx, &input).await?;
        }
        for (no, zh, en, category, uom, cost, list, supplier, models, serialized) in PARTS {
            let input = PartInput {
                version: None,
                part_no: (*no).into(),
                name_zh: (*zh).into(),
                name_en: (*en).into(),
                category: (*category).into(),
                uom: (*uom).into(),
                serialized: *serialized,
                original_only: *serialized,
                cost_fen: *cost,
                list_price_fen: *list,
                supplier: Some((*supplier).into()),
                supplier_warranty_months: None,
                models: models.iter().map(|m| (*m).to_owned()).collect(),
                discontinued: false,
                successor: None,
                note: None,
            };
            self.create_part(&ctx, &input).await?;
        }
        for (code, name, kind, unit, user) in LOCATIONS {
            let input = NewLocation {
                code: (*code).into(),
                name: (*name).into(),
                kind: (*kind).into(),
                org_unit: (!unit.is_empty()).then(|| (*unit).to_owned()),
                user: (!user.is_empty()).then(|| (*user).to_owned()),
            };
            self.create_stock_location(&ctx, &input).await?;
        }
        for (kind, part, qty, from, to, cost, serial) in MOVES {
            let input = NewMove {
                kind: (*kind).into(),
                part: (*part).into(),
                condition: None,
                qty: serde_json::Value::String((*qty).into()),
                from: (!from.is_empty()).then(|| (*from).to_owned()),
                to: Some((*to).into()),
                unit_cost_fen: *cost,
                serial: (!serial.is_empty()).then(|| (*serial).to_owned()),
                work_order: None,
                reference: None,
                reason: None,
                note: None,
            };
            self.post_move(&ctx, &input).await?;
        }
        let mut tx = self.db.begin().await?;
        let at = aftersales_store::time::to_db(self.now())?;
        for (loc, part, point, qty) in REORDER {
            let (Some(l), Some(p)) = (
                stock::find_location(tx.conn(), loc).await?,
                catalog::find_part(tx.conn(), part).await?,
            ) else {
                continue;
            };
            let unit = aftersales_domain::parts::Qty::SCALE;
            stock::set_reorder_point(tx.conn(), &l.id, &p.id, point * unit, qty * unit, &at)
                .await?;
        }
        tx.commit().await?;
        self.load_demo_requisitions().await?;
        self.load_demo_defects().await?;
        Ok(PARTS.len())
    }
}
