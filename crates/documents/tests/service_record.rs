//! The service record PDF read back with an independent parser (lopdf): structure, fonts,
//! text, signature, QR code, page breaks, both languages.

mod common;

use aftersales_documents::{
    DocError, Lang, PartRow, ServiceRecordDoc, Signature, qr_png, qr_svg, service_record_pdf,
};
use common::{SIGNATURE_PNG, VERIFY_URL, sample};
use lopdf::{Document, Object, ObjectId};

fn render(doc: &ServiceRecordDoc) -> (Vec<u8>, Document) {
    let bytes = service_record_pdf(doc).expect("rendered");
    let parsed = Document::load_mem(&bytes).expect("a PDF lopdf can read");
    (bytes, parsed)
}

/// The text of every page, in order, read through the fonts' /ToUnicode maps.
fn page_texts(pdf: &Document) -> Vec<String> {
    pdf.get_pages()
        .keys()
        .map(|n| pdf.extract_text(&[*n]).expect("text extracted"))
        .collect()
}

fn all_text(pdf: &Document) -> String {
    page_texts(pdf).concat()
}

fn name<'a>(dict: &'a lopdf::Dictionary, key: &[u8]) -> &'a [u8] {
    dict.get(key)
        .and_then(Object::as_name)
        .unwrap_or_else(|_| panic!("/{} is a name", String::from_utf8_lossy(key)))
}

fn deref<'a>(pdf: &'a Document, obj: &'a Object) -> &'a Object {
    match obj {
        Object::Reference(id) => pdf.get_object(*id).expect("reference resolves"),
        other => other,
    }
}

/// The XObjects of a page by resource name.
fn xobjects(pdf: &Document, page: ObjectId) -> Vec<(Vec<u8>, ObjectId)> {
    let (resources, _) = pdf.get_page_resources(page).expect("resources");
    let Some(resources) = resources else {
        return Vec::new();
    };
    let Ok(x) = resources.get(b"XObject") else {
        return Vec::new();
    };
    deref(pdf, x)
        .as_dict()
        .expect("XObject dict")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_reference().expect("XObject by reference")))
        .collect()
}

fn number(o: &Object) -> f32 {
    match o {
        Object::Integer(i) => *i as f32,
        Object::Real(r) => *r,
        other => panic!("not a number: {other:?}"),
    }
}

/// Decodes a QR code from a bitmap with rqrr.
fn decode_qr(width: usize, height: usize, dark: impl Fn(usize, usize) -> bool) -> String {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        if dark(x, y) { 0 } else { 255 }
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code found");
    grids[0].decode().expect("QR code decodes").1
}

#[test]
fn the_record_is_an_a4_pdf_with_numbered_pages_in_chinese() {
    let (bytes, pdf) = render(&sample(Lang::ZhCn));
    assert!(bytes.starts_with(b"%PDF-"));
    let pages = pdf.get_pages();
    assert_eq!(pages.len(), 2, "the corrections go on a second page");
    for id in pages.values() {
        let page = pdf.get_dictionary(*id).expect("page dict");
        let media: Vec<f32> = page
            .get(b"MediaBox")
            .and_then(Object::as_array)
            .expect("MediaBox")
            .iter()
            .map(number)
            .collect();
        assert!(
            (media[2] - 595.28).abs() < 0.1 && (media[3] - 841.89).abs() < 0.1,
            "{media:?}"
        );
    }
    let texts = page_texts(&pdf);
    assert!(texts[0].contains("第 1/2 页"), "{}", texts[0]);
    assert!(texts[1].contains("第 2/2 页"));
}

#[test]
fn both_fonts_are_embedded_as_small_subsets_with_unicode_maps() {
    let (bytes, pdf) = render(&sample(Lang::ZhCn));
    assert!(bytes.len() < 500_000, "{} bytes", bytes.len());
    let mut type0 = 0;
    for obj in pdf.objects.values() {
        let Ok(font) = obj.as_dict() else { continue };
        if font.get(b"Type").and_then(Object::as_name).ok() != Some(b"Font".as_slice())
            || name(font, b"Subtype") != b"Type0"
        {
            continue;
        }
        type0 += 1;
        assert_eq!(name(font, b"Encoding"), b"Identity-H");
        let base = String::from_utf8_lossy(name(font, b"BaseFont")).into_owned();
        let (tag, rest) = base.split_once('+').expect("subset tag");
        assert!(
            tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()),
            "{base}"
        );
        assert!(rest.starts_with("NotoSansCJKsc-"), "{base}");

        let to_unicode = deref(&pdf, font.get(b"ToUnicode").expect("/ToUnicode"))
            .as_stream()
            .expect("ToUnicode stream")
            .decompressed_content()
            .expect("inflates");
        assert!(String::from_utf8_lossy(&to_unicode).contains("beginbfchar"));

        let descendants = deref(&pdf, font.get(b"DescendantFonts").expect("descendants"))
            .as_array()
            .expect("array");
        let cid = deref(&pdf, &descendants[0]).as_dict().expect("CID font");
        assert_eq!(name(cid, b"Subtype"), b"CIDFontType0");
        let descriptor = deref(&pdf, cid.get(b"FontDescriptor").expect("descriptor"))
            .as_dict()
            .expect("descriptor dict");
        let file = deref(&pdf, descriptor.get(b"FontFile3").expect("/FontFile3"))
            .as_stream()
            .expect("font stream");
        assert_eq!(name(&file.dict, b"Subtype"), b"CIDFontType0C");
        let cff = file.decompressed_content().expect("inflates");
        // The whole face is 1.6 MB; the subset holds the record's few hundred glyphs.
        assert!(
            cff.len() > 1_000 && cff.len() < 250_000,
            "{} bytes of CFF",
            cff.len()
        );
        assert_eq!(cff[0], 1, "a CFF table (major version 1)");
    }
    assert_eq!(type0, 2, "regular and bold");
}

#[test]
fn the_chinese_text_extracts_back_and_every_section_is_labelled() {
    let (_, pdf) = render(&sample(Lang::ZhCn));
    let text = all_text(&pdf);
    for expected in [
        "沈阳北方暖通设备有限公司",
        "服务报告",
        "WO202611300001",
        "SR202611300007",
        "沈阳重型机械有限公司",
        "王磊（设备科）",
        "KT-2023-0002",
        "室外风机电容失效",
        "风机电容 5μF/450V",
        "CAP-5UF-450V",
        "2小时35分",
        "¥0.00",
        "★★★★☆ 4/5",
        "更正机身编码",
        "服务信息",
        "客户信息",
        "设备信息",
        "故障与处理",
        "使用配件",
        "服务费用",
        "完工确认",
        "客户签字",
        "签字后更正",
        "扫码核验本报告",
        "9f2c4e1ab37d5c08",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert!(!text.contains("Parts used"));
}

#[test]
fn the_english_record_has_english_labels() {
    let (_, pdf) = render(&sample(Lang::En));
    let text = all_text(&pdf);
    for expected in [
        "Service Report",
        "Work order WO202611300001",
        "Fault and repair",
        "Cause found",
        "Parts used",
        "Charged as",
        "Charges",
        "Completion",
        "Scan to verify this report",
        "Corrections after signing",
        "Page 1 of 2",
        "Li Qiang, Zhao Ming",
        "沈阳重型机械有限公司",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert!(!text.contains("故障原因"));
}

#[test]
fn the_signature_is_an_image_with_its_transparency() {
    let (_, pdf) = render(&sample(Lang::ZhCn));
    let pages = pdf.get_pages();
    let images: Vec<_> = pages
        .values()
        .flat_map(|p| xobjects(&pdf, *p))
        .filter(|(_, id)| {
            let stream = pdf
                .get_object(*id)
                .and_then(Object::as_stream)
                .expect("stream");
            name(&stream.dict, b"Subtype") == b"Image"
        })
        .collect();
    assert!(!images.is_empty());
    let image = pdf
        .get_object(images[0].1)
        .and_then(Object::as_stream)
        .expect("image");
    assert_eq!(
        image.dict.get(b"Width").and_then(Object::as_i64).ok(),
        Some(600)
    );
    assert_eq!(
        image.dict.get(b"Height").and_then(Object::as_i64).ok(),
        Some(200)
    );
    let mask = deref(&pdf, image.dict.get(b"SMask").expect("/SMask"))
        .as_stream()
        .expect("mask");
    let alpha = mask.decompressed_content().expect("inflates");
    assert_eq!(alpha.len(), 600 * 200);
    assert!(alpha.contains(&0) && alpha.contains(&255));
    // It is drawn on the page that holds the signature block.
    let first = pdf.get_page_content(pages[&1]);
    assert!(String::from_utf8_lossy(&first).contains("/Im1 Do"));
}

#[test]
fn a_declined_signature_prints_the_reason_and_no_image() {
    let mut doc = sample(Lang::ZhCn);
    doc.signature = Signature::Declined {
        reason: "客户对维修结果不满意，要求主管上门复查".into(),
    };
    let (_, pdf) = render(&doc);
    let text = all_text(&pdf);
    assert!(text.contains("客户拒签"), "{text}");
    assert!(text.contains("客户对维修结果不满意"), "{text}");
    for page in pdf.get_pages().values() {
        for (_, id) in xobjects(&pdf, *page) {
            let stream = pdf
                .get_object(id)
                .and_then(Object::as_stream)
                .expect("stream");
            assert_ne!(name(&stream.dict, b"Subtype"), b"Image");
        }
    }
}

#[test]
fn the_qr_code_in_the_pdf_decodes_to_the_verification_url() {
    let (_, pdf) = render(&sample(Lang::En));
    // Only the page that draws the code names it among its resources.
    let with_qr: Vec<ObjectId> = pdf
        .get_pages()
        .values()
        .flat_map(|page| xobjects(&pdf, *page))
        .filter(|(n, _)| n == b"Qr")
        .map(|(_, id)| id)
        .collect();
    assert_eq!(with_qr.len(), 1, "one page draws the QR code");
    let qr_id = with_qr[0];
    let content = pdf
        .get_object(qr_id)
        .and_then(Object::as_stream)
        .expect("form")
        .decompressed_content()
        .expect("inflates");
    let ops = lopdf::content::Content::decode(&content)
        .expect("content parses")
        .operations;
    // Rasterize the dark rectangles (all after the first, the white background) of the
    // unit square at 400 × 400 pixels.
    let px = 400usize;
    let mut dark = vec![false; px * px];
    let rects: Vec<[f32; 4]> = ops
        .iter()
        .filter(|op| op.operator == "re")
        .map(|op| [0, 1, 2, 3].map(|i| number(&op.operands[i])))
        .collect();
    assert!(rects.len() > 20);
    for [x, y, w, h] in &rects[1..] {
        let (x0, x1) = (
            (x * px as f32).round() as usize,
            ((x + w) * px as f32).round() as usize,
        );
        // PDF y grows upwards; image rows grow downwards.
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
    assert_eq!(decode_qr(px, px, |x, y| dark[y * px + x]), VERIFY_URL);
    assert!(all_text(&pdf).contains("service.example.com"));
}

#[test]
fn the_svg_and_png_qr_codes_decode_to_the_url() {
    let url = "https://service.example.com/verify/WO202611300002?h=abc";
    let svg = qr_svg(url).expect("svg");
    assert!(svg.starts_with("<svg") && svg.contains("viewBox"));
    // Parse "M{x} {y}h{len}v1h-{len}z" runs back into modules, 8 px each.
    let side: usize = svg
        .split("viewBox=\"0 0 ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .expect("side");
    let d = svg
        .split(" d=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("path");
    let scale = 8;
    let mut dark = vec![false; side * side];
    for run in d.split('M').filter(|s| !s.is_empty()) {
        let (xy, rest) = run.split_once('h').expect("h");
        let (x, y) = xy.split_once(' ').expect("x y");
        let len: usize = rest
            .split('v')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("len");
        let (x, y): (usize, usize) = (x.parse().expect("x"), y.parse().expect("y"));
        for col in x..x + len {
            dark[y * side + col] = true;
        }
    }
    let decoded = decode_qr(side * scale, side * scale, |x, y| {
        dark[(y / scale) * side + x / scale]
    });
    assert_eq!(decoded, url);

    let png_bytes = qr_png(url, 6).expect("png");
    let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
        .read_info()
        .expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    let (w, h) = (info.width as usize, info.height as usize);
    assert_eq!(decode_qr(w, h, |x, y| buf[y * w + x] < 128), url);
}

#[test]
fn many_parts_break_across_pages_and_each_page_repeats_the_table_header() {
    let mut doc = sample(Lang::ZhCn);
    doc.parts = (1..=90)
        .map(|i| PartRow {
            part_number: format!("PN-{i:04}"),
            name: format!("配件名称 {i}"),
            quantity: "1".into(),
            charge_basis: "按成本价".into(),
        })
        .collect();
    let (_, pdf) = render(&doc);
    let texts = page_texts(&pdf);
    assert!(texts.len() >= 3, "{} pages", texts.len());
    let with_parts: Vec<&String> = texts.iter().filter(|t| t.contains("PN-0")).collect();
    assert!(with_parts.len() >= 2);
    for t in &with_parts {
        assert!(
            t.contains("配件编号") && t.contains("计费方式"),
            "header repeated:\n{t}"
        );
    }
    let all = texts.concat();
    for i in 1..=90 {
        assert_eq!(
            all.matches(&format!("PN-{i:04}")).count(),
            1,
            "PN-{i:04} once"
        );
    }
    let n = texts.len();
    assert!(texts[n - 1].contains(&format!("第 {n}/{n} 页")));
}

#[test]
fn a_very_long_text_continues_on_the_next_page() {
    let mut doc = sample(Lang::ZhCn);
    doc.action_taken = "检查并更换室外风机电容，清洗冷凝器翅片。".repeat(150);
    let (_, pdf) = render(&doc);
    let texts = page_texts(&pdf);
    let pages_with_label = texts.iter().filter(|t| t.contains("处理措施")).count();
    assert!(
        pages_with_label >= 2,
        "the label repeats where the text continues"
    );
    let chars: usize = texts.concat().matches("清洗冷凝器翅片").count();
    // Lines may split the phrase; most occurrences survive whole.
    assert!(chars > 100, "{chars}");
}

#[test]
fn a_character_outside_the_font_prints_as_a_replacement_and_extracts_as_itself() {
    let mut doc = sample(Lang::ZhCn);
    doc.customer.contact_person = "吉𠮷先生".into();
    let (bytes, pdf) = render(&doc);
    let text = all_text(&pdf);
    assert!(text.contains("吉〓先生"), "{text}");
    let first = pdf.get_page_content(pdf.get_pages()[&1]);
    assert!(String::from_utf8_lossy(&first).contains("/ActualText"));
    assert!(bytes.len() < 500_000);
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let mut doc = sample(Lang::ZhCn);
    doc.quality_rating = Some(6);
    assert!(matches!(service_record_pdf(&doc), Err(DocError::Rating(6))));

    let mut doc = sample(Lang::ZhCn);
    doc.signature = Signature::Signed {
        png: b"not a png".to_vec(),
        signer: "王磊".into(),
        signed_at: String::new(),
    };
    assert!(matches!(
        service_record_pdf(&doc),
        Err(DocError::SignatureImage(_))
    ));

    let mut doc = sample(Lang::ZhCn);
    doc.verify_url = "https://example.com/".to_owned() + &"x".repeat(5000);
    assert!(matches!(service_record_pdf(&doc), Err(DocError::QrCode(_))));
}

#[test]
fn an_almost_empty_record_still_renders() {
    let doc = ServiceRecordDoc {
        verify_url: "https://example.com/v/1".into(),
        ..ServiceRecordDoc::default()
    };
    let (_, pdf) = render(&doc);
    let text = all_text(&pdf);
    assert!(text.contains("本次服务未使用配件") && text.contains("本次服务不收费"));
    assert!(text.contains("客户拒签"));
}

#[test]
fn the_same_record_gives_the_same_bytes() {
    let doc = sample(Lang::ZhCn);
    assert_eq!(service_record_pdf(&doc).ok(), service_record_pdf(&doc).ok());
}

#[test]
fn the_input_is_plain_json() {
    let doc = sample(Lang::En);
    let json = serde_json::to_value(&doc).expect("serializes");
    assert_eq!(json["lang"], "en");
    assert_eq!(json["signature"]["kind"], "signed");
    assert_eq!(json["test_run"]["kind"], "done");
    let back: ServiceRecordDoc = serde_json::from_value(json).expect("deserializes");
    assert_eq!(back, doc);
    assert_eq!(
        serde_json::from_str::<Lang>("\"zh-CN\"").expect("lang"),
        Lang::ZhCn
    );
    assert_eq!(SIGNATURE_PNG[..4], *b"\x89PNG");
}
