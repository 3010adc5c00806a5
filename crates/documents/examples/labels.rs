//! Writes a sample label sheet to /tmp/labels-zh.pdf, to look at:
//!
//! ```sh
//! cargo run -p aftersales-documents --example labels
//! pdftoppm -r 80 -png /tmp/labels-zh.pdf /tmp/labels-zh
//! ```

use aftersales_documents::{Label, LabelKind, LabelSheetDoc, Lang, label_sheet_pdf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut labels = vec![
        Label {
            kind: LabelKind::Bin,
            code: "WH-SY/A-03-2".into(),
            name: "沈阳中心仓".into(),
            detail: Some("A 区 3 排 2 层".into()),
        },
        Label {
            kind: LabelKind::Loaner,
            code: "LN2026000017".into(),
            name: "KFR-35GW/BP3 变频挂机".into(),
            detail: Some("沈阳分公司".into()),
        },
    ];
    for i in 0..22 {
        labels.push(Label {
            kind: LabelKind::Part,
            code: format!("KT-5P-CAP-{i:03}"),
            name: "室外风机电容 5μF 450V（KFR-35GW 系列用，带安装支架和延长线）".into(),
            detail: None,
        });
    }
    let pdf = label_sheet_pdf(&LabelSheetDoc {
        lang: Lang::ZhCn,
        author: "沈阳北方暖通".into(),
        labels,
    })?;
    std::fs::write("/tmp/labels-zh.pdf", pdf)?;
    Ok(())
}
