//! The quote (报价单, R-FEE-3): header, the customer and the job, the itemized lines with who
//! pays each, the totals with VAT, the reasons, and how to confirm. One table that moves to
//! the next page row by row, repeating its header.

use crate::font::Weight;
use crate::layout::{
    ACCENT, Align, BAND_FILL, CONTENT_W, INK, LEADING, Layout, MARGIN_X, MUTED, RULE, Running,
};
use crate::pdf::{self, Info};
use crate::{DocError, Lang, QuoteDoc};

const SIZE: f32 = 8.5;
const SMALL: f32 = 7.0;

struct Words {
    title: &'static str,
    number: &'static str,
    version: &'static str,
    issued: &'static str,
    valid_until: &'static str,
    customer: &'static str,
    request: &'static str,
    work_order: &'static str,
    unit: &'static str,
    item: &'static str,
    qty: &'static str,
    unit_price: &'static str,
    amount: &'static str,
    payer: &'static str,
    net: &'static str,
    vat: &'static str,
    gross: &'static str,
    reasons: &'static str,
    yuan: &'static str,
    continued: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::ZhCn => Words {
            title: "报价单",
            number: "报价单号",
            version: "版本",
            issued: "开具日期",
            valid_until: "有效期至",
            customer: "客户",
            request: "服务单",
            work_order: "派工单",
            unit: "设备",
            item: "项目",
            qty: "数量",
            unit_price: "单价（元）",
            amount: "金额（元）",
            payer: "承担方",
            net: "客户应付（不含税）",
            vat: "增值税",
            gross: "客户应付合计（含税）",
            reasons: "收费依据",
            yuan: "元",
            continued: "续",
        },
        Lang::En => Words {
            title: "Quote",
            number: "Quote no.",
            version: "Version",
            issued: "Issued",
            valid_until: "Valid until",
            customer: "Customer",
            request: "Service request",
            work_order: "Work order",
            unit: "Unit",
            item: "Item",
            qty: "Qty",
            unit_price: "Unit price (CNY)",
            amount: "Amount (CNY)",
            payer: "Paid by",
            net: "Customer pays (net)",
            vat: "VAT",
            gross: "Customer pays in total (incl. VAT)",
            reasons: "Why",
            yuan: "CNY",
            continued: "continued",
        },
    }
}

/// Column x offsets and widths: item, qty, unit price, amount, payer.
const COLS: [(f32, f32); 5] = [
    (0.0, 215.0),
    (215.0, 45.0),
    (260.0, 80.0),
    (340.0, 80.0),
    (420.0, CONTENT_W - 420.0),
];

pub(crate) fn render(doc: &QuoteDoc) -> Result<Vec<u8>, DocError> {
    let w = words(doc.lang);
    let lang = doc.lang;
    let mut l = Layout::new(Running {
        head_left: format!("{} · {} ({})", doc.company, w.title, w.continued),
        head_right: format!("{} {} v{}", w.number, doc.number, doc.version),
        foot_left: format!(
            "{} {} v{} · {} {}",
            w.number, doc.number, doc.version, w.valid_until, doc.valid_until
        ),
        page_number: Box::new(move |p, n| crate::labels::page_number(lang, p, n)),
    })?;
    // Header.
    l.text(
        MARGIN_X,
        l.y - 16.0,
        Weight::Bold,
        16.0,
        ACCENT,
        &doc.company,
    );
    l.text_aligned(
        MARGIN_X,
        CONTENT_W,
        Align::Right,
        l.y - 16.0,
        Weight::Bold,
        16.0,
        INK,
        w.title,
    );
    l.gap(26.0);
    l.hline(MARGIN_X, MARGIN_X + CONTENT_W, l.y, 0.8, RULE);
    l.gap(8.0);
    let facts = [
        (
            w.number,
            format!("{}  ({} {})", doc.number, w.version, doc.version),
        ),
        (w.issued, doc.issued.clone()),
        (w.valid_until, doc.valid_until.clone()),
        (w.customer, doc.customer.clone()),
        (w.request, doc.request.clone()),
        (w.work_order, doc.work_order.clone()),
        (w.unit, doc.unit.clone()),
    ];
    for (label, value) in facts {
        let lines = l.wrap(Weight::Regular, SIZE, CONTENT_W - 110.0, &value);
        let h = lines.len().max(1) as f32 * SIZE * LEADING;
        l.ensure(h);
        l.lines(
            MARGIN_X,
            105.0,
            Align::Left,
            l.y,
            Weight::Bold,
            SIZE,
            MUTED,
            &[label.to_owned()],
        );
        l.lines(
            MARGIN_X + 110.0,
            CONTENT_W - 110.0,
            Align::Left,
            l.y,
            Weight::Regular,
            SIZE,
            INK,
            &lines,
        );
        l.gap(h + 2.0);
    }
    l.gap(8.0);
    // The table.
    let header = [w.item, w.qty, w.unit_price, w.amount, w.payer];
    table_header(&mut l, &header);
    for line in &doc.lines {
        let item = l.wrap(Weight::Regular, SIZE, COLS[0].1 - 6.0, &line.item);
        let payer = l.wrap(Weight::Regular, SIZE, COLS[4].1 - 6.0, &line.payer);
        let rows = item.len().max(payer.len()).max(1);
        let h = rows as f32 * SIZE * LEADING + 6.0;
        if l.ensure(h) {
            table_header(&mut l, &header);
        }
        let top = l.y - 3.0;
        l.lines(
            MARGIN_X + 3.0,
            COLS[0].1 - 6.0,
            Align::Left,
            top,
            Weight::Regular,
            SIZE,
            INK,
            &item,
        );
        let cells = [&line.qty, &line.unit_price, &line.amount];
        for (i, text) in cells.into_iter().enumerate() {
            let (x, cw) = COLS[i + 1];
            l.lines(
                MARGIN_X + x,
                cw - 4.0,
                Align::Right,
                top,
                Weight::Regular,
                SIZE,
                INK,
                std::slice::from_ref(text),
            );
        }
        l.lines(
            MARGIN_X + COLS[4].0 + 6.0,
            COLS[4].1 - 6.0,
            Align::Left,
            top,
            Weight::Regular,
            SIZE,
            MUTED,
            &payer,
        );
        l.gap(h);
        l.hline(MARGIN_X, MARGIN_X + CONTENT_W, l.y, 0.3, RULE);
    }
    // Totals.
    l.gap(6.0);
    for (label, value, weight) in [
        (w.net, &doc.net, Weight::Regular),
        (w.vat, &doc.vat, Weight::Regular),
        (w.gross, &doc.gross, Weight::Bold),
    ] {
        let h = 10.0 * LEADING + 2.0;
        l.ensure(h);
        let base = l.y - 10.0;
        l.text_aligned(
            MARGIN_X,
            330.0,
            Align::Right,
            base,
            weight,
            10.0,
            INK,
            label,
        );
        let text = format!("{value} {}", w.yuan);
        l.text_aligned(
            MARGIN_X + 340.0,
            80.0 - 4.0,
            Align::Right,
            base,
            weight,
            10.0,
            INK,
            &text,
        );
        l.gap(h);
    }
    // Reasons and how to answer.
    if !doc.reasons.is_empty() {
        l.gap(10.0);
        l.ensure(SIZE * LEADING * 2.0);
        l.lines(
            MARGIN_X,
            CONTENT_W,
            Align::Left,
            l.y,
            Weight::Bold,
            SIZE,
            INK,
            &[w.reasons.to_owned()],
        );
        l.gap(SIZE * LEADING + 2.0);
        for r in &doc.reasons {
            let lines = l.wrap(Weight::Regular, SMALL, CONTENT_W - 10.0, &format!("· {r}"));
            let h = lines.len() as f32 * SMALL * LEADING;
            l.ensure(h);
            l.lines(
                MARGIN_X + 4.0,
                CONTENT_W - 10.0,
                Align::Left,
                l.y,
                Weight::Regular,
                SMALL,
                MUTED,
                &lines,
            );
            l.gap(h + 1.0);
        }
    }
    if !doc.how_to_answer.is_empty() {
        l.gap(10.0);
        let lines = l.wrap(Weight::Regular, SIZE, CONTENT_W, &doc.how_to_answer);
        let h = lines.len() as f32 * SIZE * LEADING;
        l.ensure(h);
        l.lines(
            MARGIN_X,
            CONTENT_W,
            Align::Left,
            l.y,
            Weight::Regular,
            SIZE,
            INK,
            &lines,
        );
        l.gap(h);
    }
    let title = format!("{} {} v{}", w.title, doc.number, doc.version);
    pdf::write(
        l.finish(),
        &Info {
            title: &title,
            author: &doc.company,
        },
    )
}

fn table_header(l: &mut Layout, header: &[&str; 5]) {
    let h = SIZE * LEADING + 6.0;
    l.ensure(h * 2.0);
    l.fill_rect(MARGIN_X, l.y, CONTENT_W, h, BAND_FILL);
    let top = l.y - 3.0;
    for (i, text) in header.iter().enumerate() {
        let (x, cw) = COLS[i];
        let align = if (1..=3).contains(&i) {
            Align::Right
        } else {
            Align::Left
        };
        let (x, cw) = if align == Align::Left {
            (x + 3.0, cw - 6.0)
        } else {
            (x, cw - 4.0)
        };
        l.lines(
            MARGIN_X + x,
            cw,
            align,
            top,
            Weight::Bold,
            SIZE,
            INK,
            &[(*text).to_owned()],
        );
    }
    l.gap(h);
}
