//! The demo symptom and fault-cause codes, for the demo product lines.

use crate::AppError;
use aftersales_store::service::catalog::{self as store, CodeRow};

/// (kind, code, product line or '', 中文, English)
const DEMO_CODES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "symptom",
        "S-NOPOWER",
        "",
        "不通电/无法开机",
        "No power, will not start",
    ),
    (
        "symptom",
        "S-NOISE",
        "",
        "运行噪音大",
        "Loud noise when running",
    ),
    ("symptom", "S-LEAK", "", "漏水", "Water leak"),
    (
        "symptom",
        "S-ERRCODE",
        "",
        "显示故障代码",
        "Shows an error code",
    ),
    ("symptom", "S-SMELL", "", "有焦糊味", "Burning smell"),
    ("symptom", "S-AC-NOCOOL", "空调", "不制冷", "Not cooling"),
    ("symptom", "S-AC-NOHEAT", "空调", "不制热", "Not heating"),
    (
        "symptom",
        "S-AC-ODU",
        "空调",
        "外机不转",
        "Outdoor unit not running",
    ),
    (
        "symptom",
        "S-AC-ICE",
        "空调",
        "蒸发器结霜结冰",
        "Evaporator icing up",
    ),
    (
        "symptom",
        "S-WT-LOWFLOW",
        "水处理设备",
        "出水量小",
        "Low water output",
    ),
    (
        "symptom",
        "S-WT-TDS",
        "水处理设备",
        "出水水质超标（TDS 高）",
        "Water quality out of limits (high TDS)",
    ),
    (
        "symptom",
        "S-WT-NONSTOP",
        "水处理设备",
        "不停机、一直制水",
        "Never stops producing water",
    ),
    (
        "symptom",
        "S-EL-STUCK",
        "电梯",
        "停梯/困人",
        "Car stopped, passengers trapped",
    ),
    (
        "symptom",
        "S-EL-DOOR",
        "电梯",
        "门不能正常开关",
        "Doors do not open or close properly",
    ),
    (
        "symptom",
        "S-EL-LEVEL",
        "电梯",
        "平层不准",
        "Car does not level at floors",
    ),
    (
        "symptom",
        "S-CNC-ALARM",
        "数控机床",
        "系统报警停机",
        "Control alarm, machine stopped",
    ),
    (
        "symptom",
        "S-CNC-SPINDLE",
        "数控机床",
        "主轴异响或过热",
        "Spindle noise or overheating",
    ),
    (
        "symptom",
        "S-CNC-ACCURACY",
        "数控机床",
        "加工精度超差",
        "Machining out of tolerance",
    ),
    (
        "cause",
        "C-POWER",
        "",
        "供电异常（电压、缺相）",
        "Supply problem (voltage, missing phase)",
    ),
    ("cause", "C-MISUSE", "", "使用不当", "Misuse"),
    ("cause", "C-WEAR", "", "正常磨损", "Normal wear"),
    (
        "cause",
        "C-BOARD",
        "",
        "控制板故障",
        "Control board failure",
    ),
    ("cause", "C-SENSOR", "", "传感器故障", "Sensor failure"),
    (
        "cause",
        "C-WIRING",
        "",
        "接线松动或断线",
        "Loose or broken wiring",
    ),
    (
        "cause",
        "C-INSTALL",
        "",
        "安装不规范",
        "Faulty installation",
    ),
    (
        "cause",
        "C-AC-REFRIG",
        "空调",
        "制冷剂泄漏或不足",
        "Refrigerant leak or shortage",
    ),
    (
        "cause",
        "C-AC-COMP",
        "空调",
        "压缩机故障",
        "Compressor failure",
    ),
    ("cause", "C-AC-CAP", "空调", "电容损坏", "Failed capacitor"),
    (
        "cause",
        "C-WT-MEMBRANE",
        "水处理设备",
        "反渗透膜污堵或老化",
        "RO membrane fouled or aged",
    ),
    (
        "cause",
        "C-WT-FILTER",
        "水处理设备",
        "滤芯到期未更换",
        "Filter cartridge overdue",
    ),
    (
        "cause",
        "C-EL-DOORLOCK",
        "电梯",
        "门锁回路故障",
        "Door lock circuit fault",
    ),
    (
        "cause",
        "C-EL-ENCODER",
        "电梯",
        "编码器故障",
        "Encoder failure",
    ),
    (
        "cause",
        "C-CNC-BEARING",
        "数控机床",
        "主轴轴承损坏",
        "Spindle bearing damaged",
    ),
    (
        "cause",
        "C-CNC-LUBE",
        "数控机床",
        "润滑不良",
        "Poor lubrication",
    ),
];

impl crate::App {
    /// Loads the demo symptom and cause codes; a code already on file stays as it is.
    /// Returns how many were added.
    #[tracing::instrument(skip_all)]
    pub async fn load_demo_catalog(&self) -> Result<usize, AppError> {
        let mut n = 0;
        let mut tx = self.db.begin().await?;
        for (kind, code, line, zh, en) in DEMO_CODES {
            if store::get(tx.conn(), kind, code).await?.is_some() {
                continue;
            }
            store::upsert(
                tx.conn(),
                &CodeRow {
                    kind: (*kind).into(),
                    code: (*code).into(),
                    product_line: (*line).into(),
                    name_zh: (*zh).into(),
                    name_en: (*en).into(),
                    active: 1,
                },
            )
            .await?;
            n += 1;
        }
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_codes_are_well_formed_and_unique() {
        let mut seen = std::collections::HashSet::new();
        let lines: Vec<&str> = crate::demo::installed_base::PRODUCTS
            .iter()
            .map(|p| p.2)
            .collect();
        for (kind, code, line, zh, en) in DEMO_CODES {
            assert!(matches!(*kind, "symptom" | "cause"));
            assert!(seen.insert((*kind, *code)), "{code} twice");
            assert!(code.len() <= 32);
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            );
            assert!(line.is_empty() || lines.contains(line), "{line}");
            assert!(!zh.is_empty() && !en.is_empty());
        }
        let symptoms = DEMO_CODES.iter().filter(|c| c.0 == "symptom").count();
        assert!(symptoms >= 15 && DEMO_CODES.len() - symptoms >= 15);
    }
}
