//! The receipt read back with lopdf: its text carries the number and the amount, in both
//! languages.

use aftersales_documents::{Lang, ReceiptDoc, receipt_pdf};
use lopdf::Document;

fn sample(lang: Lang) -> ReceiptDoc {
    ReceiptDoc {
        lang,
        company: "华东服务站".into(),
        refund: false,
        receipt_no: "RC202612070001".into(),
        customer: "上海明达制造有限公司".into(),
        work_order: "WO202612070003".into(),
        request: "SR202612070002".into(),
        method: "WeChat Pay".into(),
        reference: Some("4200001234".into()),
        reason: None,
        amount: "¥1,280.50".into(),
        collected_by: "Zhang Wei".into(),
        collected_at: "2026-12-07 10:30".into(),
        verify_url: "https://service.example.cn/r/RC202612070001?v=abc".into(),
    }
}

fn text(bytes: &[u8]) -> String {
    let pdf = Document::load_mem(bytes).expect("a readable PDF");
    pdf.get_pages()
        .keys()
        .map(|n| pdf.extract_text(&[*n]).expect("text extracted"))
        .collect()
}

#[test]
fn a_receipt_reads_back_with_its_number_and_amount() {
    for lang in [Lang::ZhCn, Lang::En] {
        let bytes = receipt_pdf(&sample(lang)).expect("renders");
        assert!(bytes.starts_with(b"%PDF"));
        let t = text(&bytes);
        assert!(t.contains("RC202612070001"), "{t}");
        assert!(t.contains("1,280.50"), "{t}");
        assert!(t.contains("4200001234"), "{t}");
    }
    let t = text(&receipt_pdf(&sample(Lang::ZhCn)).expect("renders"));
    assert!(t.contains("收款收据"), "{t}");
}
