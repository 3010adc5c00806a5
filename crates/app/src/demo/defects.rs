//! The demo's failure-code catalog (docs/defects.md): a few codes per key-part category and
//! some for any part, so the warehouse can classify a defective part on the first day.

use crate::{AppError, Ctx, FailureCodeInput};

/// (code, 中文, English, category or any)
const CODES: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "M-WINDING",
        "电机绕组烧毁",
        "Motor winding burnt",
        Some("motor"),
    ),
    (
        "M-BEARING",
        "电机轴承异响卡死",
        "Motor bearing noisy or seized",
        Some("motor"),
    ),
    (
        "C-LEAK",
        "压缩机泄漏",
        "Compressor leaking",
        Some("compressor"),
    ),
    (
        "B-BURNT",
        "控制板元件烧毁",
        "Control board component burnt",
        Some("control_board"),
    ),
    (
        "B-SOLDER",
        "控制板虚焊",
        "Control board dry joint",
        Some("control_board"),
    ),
    ("S-DRIFT", "传感器漂移", "Sensor drift", Some("sensor")),
    ("X-WEAR", "正常磨损", "Normal wear", None),
    ("X-NFF", "复检无故障", "No fault found", None),
];

impl crate::App {
    /// Adds the demo failure codes (called once, with the demo parts).
    pub(crate) async fn load_demo_defects(&self) -> Result<(), AppError> {
        let ctx = Ctx::system("demo");
        for (code, zh, en, category) in CODES {
            let input = FailureCodeInput {
                code: (*code).into(),
                name_zh: (*zh).into(),
                name_en: (*en).into(),
                category: category.map(str::to_owned),
            };
            match self.create_failure_code(&ctx, &input).await {
                Ok(_) | Err(AppError::FieldConflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
