//! A payment receipt (收据, issue 15 point 4; docs/charges.md): one A4 page with the
//! receipt number, the customer, the work order, the method and its reference, the amount
//! in yuan in bold, who collected it and when, and a QR code carrying the verification URL
//! (printed under it) so anyone can check the receipt on the public page `/r/{number}`.

use crate::font::Weight;
use crate::layout::{
    Align, INK, LEADING, Layout, MARGIN_TOP, MARGIN_X, MUTED, PAGE_H, PAGE_W, Running,
};
use crate::pdf::{self, Info};
use crate::qr::Matrix;
use crate::{DocError, Lang, ReceiptDoc};

const MM: f32 = 72.0 / 25.4;
const TITLE_SIZE: f32 = 18.0;
const BODY_SIZE: f32 = 11.0;
const AMOUNT_SIZE: f32 = 16.0;
const QR_SIDE: f32 = 40.0 * MM;

struct Words {
    title: &'static str,
    refund_title: &'static str,
    number: &'static str,
    customer: &'static str,
    work_order: &'static str,
    request: &'static str,
    method: &'static str,
    reference: &'static str,
    reason: &'static str,
    amount: &'static str,
    collected_by: &'static str,
    collected_at: &'static str,
    verify: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::ZhCn => Words {
            title: "收款收据",
            refund_title: "退款凭证",
            number: "收据编号",
            customer: "客户",
            work_order: "工单",
            request: "服务单",
            method: "支付方式",
            reference: "交易参考号",
            reason: "退款原因",
            amount: "金额（元）",
            collected_by: "收款人",
            collected_at: "收款时间",
            verify: "扫码验证收据真伪",
        },
        Lang::En => Words {
            title: "Payment receipt",
            refund_title: "Refund note",
            number: "Receipt no.",
            customer: "Customer",
            work_order: "Work order",
            request: "Service request",
            method: "Method",
            reference: "Reference",
            reason: "Reason for refund",
            amount: "Amount (CNY)",
            collected_by: "Collected by",
            collected_at: "Collected at",
            verify: "Scan to verify this receipt",
        },
    }
}

pub(crate) fn render(doc: &ReceiptDoc) -> Result<Vec<u8>, DocError> {
    let w = words(doc.lang);
    let mut l = Layout::new(Running {
        head_left: String::new(),
        head_right: String::new(),
        foot_left: String::new(),
        page_number: Box::new(|_, _| String::new()),
    })?;
    l.qrs.push(Matrix::encode(&doc.verify_url)?);
    let width = PAGE_W - 2.0 * MARGIN_X;
    let mut y = PAGE_H - MARGIN_TOP;
    if !doc.company.trim().is_empty() {
        l.lines(
            MARGIN_X,
            width,
            Align::Center,
            y,
            Weight::Regular,
            BODY_SIZE,
            MUTED,
            std::slice::from_ref(&doc.company),
        );
        y -= BODY_SIZE * LEADING + 4.0;
    }
    let title = if doc.refund { w.refund_title } else { w.title };
    l.lines(
        MARGIN_X,
        width,
        Align::Center,
        y,
        Weight::Bold,
        TITLE_SIZE,
        INK,
        &[title.to_owned()],
    );
    y -= TITLE_SIZE * LEADING + 8.0 * MM;
    let label_w = 32.0 * MM;
    let value_x = MARGIN_X + label_w;
    let value_w = width - label_w - QR_SIDE - 4.0 * MM;
    let mut rows: Vec<(&str, &str, Weight, f32)> = vec![
        (w.number, &doc.receipt_no, Weight::Bold, BODY_SIZE),
        (w.customer, &doc.customer, Weight::Regular, BODY_SIZE),
        (w.work_order, &doc.work_order, Weight::Regular, BODY_SIZE),
        (w.request, &doc.request, Weight::Regular, BODY_SIZE),
        (w.method, &doc.method, Weight::Regular, BODY_SIZE),
    ];
    if let Some(r) = doc.reference.as_deref() {
        rows.push((w.reference, r, Weight::Regular, BODY_SIZE));
    }
    if let Some(r) = doc.reason.as_deref() {
        rows.push((w.reason, r, Weight::Regular, BODY_SIZE));
    }
    rows.push((w.amount, &doc.amount, Weight::Bold, AMOUNT_SIZE));
    rows.push((
        w.collected_by,
        &doc.collected_by,
        Weight::Regular,
        BODY_SIZE,
    ));
    rows.push((
        w.collected_at,
        &doc.collected_at,
        Weight::Regular,
        BODY_SIZE,
    ));
    let qr_top = y;
    for (label, value, weight, size) in rows {
        l.lines(
            MARGIN_X,
            label_w,
            Align::Left,
            y,
            Weight::Regular,
            BODY_SIZE,
            MUTED,
            &[label.to_owned()],
        );
        let lines = l.wrap(weight, size, value_w, value.trim());
        l.lines(value_x, value_w, Align::Left, y, weight, size, INK, &lines);
        y -= lines.len().max(1) as f32 * size * LEADING + 3.0 * MM;
    }
    let qr_x = PAGE_W - MARGIN_X - QR_SIDE;
    l.qr_code(0, qr_x, qr_top, QR_SIDE);
    let under = qr_top - QR_SIDE - 2.0;
    l.lines(
        qr_x,
        QR_SIDE,
        Align::Center,
        under,
        Weight::Regular,
        7.0,
        MUTED,
        &[w.verify.to_owned()],
    );
    let url = l.wrap(Weight::Regular, 6.0, QR_SIDE, &doc.verify_url);
    l.lines(
        qr_x,
        QR_SIDE,
        Align::Center,
        under - 7.0 * LEADING,
        Weight::Regular,
        6.0,
        MUTED,
        &url,
    );
    pdf::write(
        l.finish_bare(),
        &Info {
            title: &format!("{title} {}", doc.receipt_no),
            author: &doc.company,
        },
    )
}
