//! A sheet of labels (issue 14 point 9, docs/labels.md): A4 cut into 3 × 8 labels of
//! 70 × 37 mm (the common "24 per sheet" self-adhesive stock, e.g. Herma 4453 / Avery
//! 3475), no gaps between labels, 0.5 mm above the first row and below the last. Each
//! label: its QR code on the left (32 mm square, quiet zone included), and on the right the
//! kind of label, the code in bold (what the QR carries, so it can be typed when a scan
//! fails) and up to three lines of name, the last cut with "…" when the name is longer.
//! A sheet holds at most [`MAX_LABELS`]; more labels run onto more pages.

use crate::font::Weight;
use crate::layout::{Align, INK, Layout, MUTED, Running};
use crate::pdf::{self, Info};
use crate::qr::Matrix;
use crate::{DocError, Label, LabelKind, LabelSheetDoc, Lang};

/// The most labels one PDF takes (ten pages).
pub const MAX_LABELS: usize = 240;
/// The longest code a label carries, in characters.
pub const MAX_CODE_CHARS: usize = 64;

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;
const COLS: usize = 3;
const ROWS: usize = 8;
const LABEL_W: f32 = 70.0 * MM;
const LABEL_H: f32 = 37.0 * MM;
/// Above the first row (297 mm − 8 × 37 mm = 1 mm, split top and bottom).
const SHEET_TOP: f32 = 0.5 * MM;
/// Inside each label, around what it prints.
const PAD: f32 = 2.5 * MM;
const QR_SIDE: f32 = 32.0 * MM;
const KIND_SIZE: f32 = 7.0;
const CODE_SIZE: f32 = 10.0;
const NAME_SIZE: f32 = 8.0;
const NAME_LINES: usize = 3;

pub(crate) fn render(doc: &LabelSheetDoc) -> Result<Vec<u8>, DocError> {
    if doc.labels.is_empty() {
        return Err(DocError::NoLabels);
    }
    if doc.labels.len() > MAX_LABELS {
        return Err(DocError::TooManyLabels(doc.labels.len()));
    }
    let mut l = Layout::new(Running {
        head_left: String::new(),
        head_right: String::new(),
        foot_left: String::new(),
        page_number: Box::new(|_, _| String::new()),
    })?;
    for label in &doc.labels {
        let code = label.code.trim();
        if code.is_empty() || code.chars().count() > MAX_CODE_CHARS {
            return Err(DocError::LabelCode(code.chars().take(80).collect()));
        }
        l.qrs.push(Matrix::encode(code)?);
    }
    let per_page = COLS * ROWS;
    for (i, label) in doc.labels.iter().enumerate() {
        if i > 0 && i % per_page == 0 {
            l.new_blank_page();
        }
        let slot = i % per_page;
        let (col, row) = (slot % COLS, slot / COLS);
        let x = col as f32 * LABEL_W;
        let top = crate::layout::PAGE_H - SHEET_TOP - row as f32 * LABEL_H;
        draw(&mut l, doc.lang, i, label, x, top);
    }
    let title = match doc.lang {
        Lang::ZhCn => "标签",
        Lang::En => "Labels",
    };
    pdf::write(
        l.finish_bare(),
        &Info {
            title,
            author: &doc.author,
        },
    )
}

fn kind_text(lang: Lang, kind: LabelKind) -> &'static str {
    match (lang, kind) {
        (Lang::ZhCn, LabelKind::Part) => "备件",
        (Lang::ZhCn, LabelKind::Bin) => "库位",
        (Lang::ZhCn, LabelKind::Loaner) => "备用机",
        (Lang::En, LabelKind::Part) => "Part",
        (Lang::En, LabelKind::Bin) => "Bin",
        (Lang::En, LabelKind::Loaner) => "Loaner",
    }
}

fn draw(l: &mut Layout, lang: Lang, index: usize, label: &Label, x: f32, top: f32) {
    let qr_top = top - (LABEL_H - QR_SIDE) / 2.0;
    l.qr_code(index, x + PAD, qr_top, QR_SIDE);
    let tx = x + PAD + QR_SIDE + 1.0 * MM;
    let tw = x + LABEL_W - PAD - tx;
    let mut y = top - PAD - 1.0 * MM;
    l.lines(
        tx,
        tw,
        Align::Left,
        y,
        Weight::Regular,
        KIND_SIZE,
        MUTED,
        &[kind_text(lang, label.kind).to_owned()],
    );
    y -= KIND_SIZE * crate::layout::LEADING + 1.0;
    let code = cut(l, Weight::Bold, CODE_SIZE, tw, label.code.trim(), 2);
    l.lines(tx, tw, Align::Left, y, Weight::Bold, CODE_SIZE, INK, &code);
    y -= code.len() as f32 * CODE_SIZE * crate::layout::LEADING + 2.0;
    let name = cut(
        l,
        Weight::Regular,
        NAME_SIZE,
        tw,
        label.name.trim(),
        NAME_LINES,
    );
    l.lines(
        tx,
        tw,
        Align::Left,
        y,
        Weight::Regular,
        NAME_SIZE,
        INK,
        &name,
    );
    y -= name.len() as f32 * NAME_SIZE * crate::layout::LEADING;
    if let Some(detail) = label
        .detail
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        let room = ((y - (top - LABEL_H + PAD)) / (NAME_SIZE * crate::layout::LEADING)) as usize;
        let lines = cut(l, Weight::Regular, NAME_SIZE, tw, detail, room.min(2));
        l.lines(
            tx,
            tw,
            Align::Left,
            y,
            Weight::Regular,
            NAME_SIZE,
            MUTED,
            &lines,
        );
    }
}

/// `text` wrapped to `width`, at most `max` lines, the last cut with "…" when text is left.
fn cut(l: &Layout, weight: Weight, size: f32, width: f32, text: &str, max: usize) -> Vec<String> {
    if max == 0 {
        return Vec::new();
    }
    let flat = text.replace(['\n', '\r'], " ");
    let mut lines = l.wrap(weight, size, width, &flat);
    if lines.len() > max {
        lines.truncate(max);
        let last = &mut lines[max - 1];
        while !last.is_empty() && l.width(weight, size, &format!("{last}…")) > width {
            last.pop();
        }
        last.push('…');
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn twenty_four_labels_fill_an_a4_sheet() {
        use super::*;
        assert!((COLS as f32 * LABEL_W - crate::layout::PAGE_W).abs() < 1.0);
        let used = ROWS as f32 * LABEL_H + 2.0 * SHEET_TOP;
        assert!((used - crate::layout::PAGE_H).abs() < 1.0);
    }
}
