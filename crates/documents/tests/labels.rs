//! The label sheet read back with lopdf: every QR code decodes (rqrr) to the code printed
//! beside it, 24 labels to an A4 page, bounded input.

use aftersales_documents::{
    DocError, Label, LabelKind, LabelSheetDoc, Lang, MAX_LABELS, label_sheet_pdf,
};
use lopdf::{Document, Object};
use std::collections::BTreeMap;

fn number(o: &Object) -> f32 {
    match o {
        Object::Integer(i) => *i as f32,
        Object::Real(r) => *r,
        other => panic!("not a number: {other:?}"),
    }
}

/// Rasterizes a QR form XObject (unit square, white background first) and decodes it.
fn decode_form(pdf: &Document, id: lopdf::ObjectId) -> String {
    let content = pdf
        .get_object(id)
        .and_then(Object::as_stream)
        .expect("form")
        .decompressed_content()
        .expect("inflates");
    let ops = lopdf::content::Content::decode(&content)
        .expect("content parses")
        .operations;
    let px = 300usize;
    let mut dark = vec![false; px * px];
    let rects: Vec<[f32; 4]> = ops
        .iter()
        .filter(|op| op.operator == "re")
        .map(|op| [0, 1, 2, 3].map(|i| number(&op.operands[i])))
        .collect();
    for [x, y, w, h] in &rects[1..] {
        let (x0, x1) = (
            (x * px as f32).round() as usize,
            ((x + w) * px as f32).round() as usize,
        );
        let (y0, y1) = (
            ((1.0 - y - h) * px as f32).round() as usize,
            ((1.0 - y) * px as f32).round() as usize,
        );
        for row in y0..y1.min(px) {
            for col in x0..x1.min(px) {
                dark[row * px + col] = true;
            }
        }
    }
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(
            px,
            px,
            |x, y| {
                if dark[y * px + x] { 0 } else { 255 }
            },
        );
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code found");
    grids[0].decode().expect("QR code decodes").1
}

/// For each page: the decoded QR codes it draws, in the order its content draws them.
fn page_codes(pdf: &Document) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (_, page) in pdf.get_pages() {
        let (resources, _) = pdf.get_page_resources(page).expect("resources");
        let xobjects: BTreeMap<Vec<u8>, lopdf::ObjectId> = resources
            .and_then(|r| r.get(b"XObject").ok())
            .map(|x| match x {
                Object::Reference(id) => pdf.get_object(*id).expect("resolves"),
                o => o,
            })
            .map(|d| {
                d.as_dict()
                    .expect("dict")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_reference().expect("ref")))
                    .collect()
            })
            .unwrap_or_default();
        let content = pdf.get_page_content(page);
        let ops = lopdf::content::Content::decode(&content)
            .expect("parses")
            .operations;
        let mut codes = Vec::new();
        for op in ops.iter().filter(|op| op.operator == "Do") {
            let name = op.operands[0].as_name().expect("name").to_vec();
            codes.push(decode_form(pdf, xobjects[&name]));
        }
        out.push(codes);
    }
    out
}

fn text(pdf: &Document) -> String {
    pdf.get_pages()
        .keys()
        .map(|n| pdf.extract_text(&[*n]).expect("text"))
        .collect()
}

fn part(code: &str, name: &str) -> Label {
    Label {
        kind: LabelKind::Part,
        code: code.into(),
        name: name.into(),
        detail: None,
    }
}

fn sheet(lang: Lang, labels: Vec<Label>) -> LabelSheetDoc {
    LabelSheetDoc {
        lang,
        author: "沈阳北方暖通".into(),
        labels,
    }
}

#[test]
fn every_qr_code_decodes_to_its_part_number_serial_or_bin() {
    let labels = vec![
        part("KT-5P-CAP", "室外风机电容 5μF"),
        Label {
            kind: LabelKind::Bin,
            code: "WH-SY/A-03-2".into(),
            name: "沈阳中心仓".into(),
            detail: None,
        },
        Label {
            kind: LabelKind::Loaner,
            code: "LN2026000017".into(),
            name: "KFR-35GW 挂机".into(),
            detail: Some("沈阳分公司".into()),
        },
    ];
    let bytes = label_sheet_pdf(&sheet(Lang::ZhCn, labels)).expect("rendered");
    let pdf = Document::load_mem(&bytes).expect("a PDF lopdf reads");
    assert_eq!(
        page_codes(&pdf),
        vec![vec!["KT-5P-CAP", "WH-SY/A-03-2", "LN2026000017"]]
    );
    let t = text(&pdf);
    for s in [
        "KT-5P-CAP",
        "室外风机电容",
        "备件",
        "库位",
        "备用机",
        "沈阳分公司",
    ] {
        assert!(t.contains(s), "{s} in {t}");
    }
    // A4 portrait.
    let page = pdf.get_pages()[&1];
    let mb = pdf
        .get_dictionary(page)
        .and_then(|d| d.get(b"MediaBox"))
        .and_then(Object::as_array)
        .expect("media box")
        .iter()
        .map(number)
        .collect::<Vec<_>>();
    assert!((mb[2] - 595.28).abs() < 0.1 && (mb[3] - 841.89).abs() < 0.1);
}

#[test]
fn twenty_four_labels_to_a_page_and_the_rest_on_the_next() {
    let labels: Vec<Label> = (1..=26)
        .map(|i| part(&format!("P-{i:04}"), &format!("Part {i}")))
        .collect();
    let bytes = label_sheet_pdf(&sheet(Lang::En, labels)).expect("rendered");
    let pdf = Document::load_mem(&bytes).expect("reads");
    let pages = page_codes(&pdf);
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].len(), 24);
    assert_eq!(pages[1], vec!["P-0025", "P-0026"]);
    assert_eq!(pages[0][0], "P-0001");
    assert_eq!(pages[0][23], "P-0024");
    let t = text(&pdf);
    assert!(t.contains("Part") && !t.contains("备件"));
}

#[test]
fn a_long_name_is_cut_with_an_ellipsis_and_the_label_keeps_its_code() {
    let long = "Outdoor fan motor capacitor for the split air conditioner of the KFR-35GW \
                series with the long mounting bracket and the extended warranty terms";
    let bytes = label_sheet_pdf(&sheet(Lang::En, vec![part("KT-5P-CAP", long)])).expect("ok");
    let pdf = Document::load_mem(&bytes).expect("reads");
    let t = text(&pdf);
    assert!(t.contains('…'), "{t}");
    assert!(!t.contains("extended warranty terms"));
    assert_eq!(page_codes(&pdf), vec![vec!["KT-5P-CAP"]]);
}

#[test]
fn bad_input_is_refused() {
    assert!(matches!(
        label_sheet_pdf(&sheet(Lang::ZhCn, vec![])),
        Err(DocError::NoLabels)
    ));
    let many: Vec<Label> = (0..=MAX_LABELS)
        .map(|i| part(&format!("P{i}"), "x"))
        .collect();
    assert!(matches!(
        label_sheet_pdf(&sheet(Lang::ZhCn, many)),
        Err(DocError::TooManyLabels(241))
    ));
    assert!(matches!(
        label_sheet_pdf(&sheet(Lang::ZhCn, vec![part("  ", "x")])),
        Err(DocError::LabelCode(_))
    ));
    assert!(matches!(
        label_sheet_pdf(&sheet(Lang::ZhCn, vec![part(&"A".repeat(65), "x")])),
        Err(DocError::LabelCode(_))
    ));
}

#[test]
fn a_full_sheet_of_240_labels_renders() {
    let labels: Vec<Label> = (0..MAX_LABELS)
        .map(|i| part(&format!("PN-{i:05}"), "压缩机 Compressor"))
        .collect();
    let bytes = label_sheet_pdf(&sheet(Lang::ZhCn, labels)).expect("rendered");
    let pdf = Document::load_mem(&bytes).expect("reads");
    assert_eq!(pdf.get_pages().len(), 10);
}
