//! The service record's layout: header, the sections of the visit as a bordered form, the
//! parts and charges tables, the signature with the QR code, then the corrections made
//! after signing.

use crate::font::Weight;
use crate::image::decode_png;
use crate::labels::{self, Labels};
use crate::layout::{
    ACCENT, Align, BAND_FILL, CONTENT_W, INK, LABEL_FILL, LEADING, Layout, MARGIN_X, MUTED, RULE,
    Running,
};
use crate::pdf::{self, Info};
use crate::qr::Matrix;
use crate::{DocError, Lang, ServiceRecordDoc, Signature, TestRun};

const VALUE_SIZE: f32 = 9.0;
const LABEL_SIZE: f32 = 8.5;
const HEADING_SIZE: f32 = 10.0;
const SMALL_SIZE: f32 = 6.5;
const PAD_X: f32 = 5.0;
const PAD_Y: f32 = 3.0;
const BORDER: f32 = 0.5;
const SECTION_GAP: f32 = 7.0;

pub(crate) fn render(doc: &ServiceRecordDoc) -> Result<Vec<u8>, DocError> {
    for rating in [doc.quality_rating, doc.attitude_rating]
        .into_iter()
        .flatten()
    {
        if !(1..=5).contains(&rating) {
            return Err(DocError::Rating(rating));
        }
    }
    let t = Labels::of(doc.lang);
    let lang = doc.lang;
    let continued = match lang {
        Lang::ZhCn => format!("{}（{}）", t.title, t.continued),
        Lang::En => format!("{} ({})", t.title, t.continued),
    };
    let mut l = Layout::new(Running {
        head_left: format!("{} · {continued}", doc.company.name),
        head_right: format!("{} {}", t.record_number, doc.record_number),
        foot_left: format!(
            "{} {} · {} {}",
            t.record_number, doc.record_number, t.request_number, doc.request_number
        ),
        page_number: Box::new(move |p, n| labels::page_number(lang, p, n)),
    })?;
    if let Signature::Signed { png, .. } = &doc.signature {
        l.images.push(decode_png(png)?);
    }
    l.qrs.push(Matrix::encode(&doc.verify_url)?);

    let mut f = Form::new(doc.lang);
    header(&mut l, doc, t);

    f.section(&mut l, t.section_service);
    f.pair(
        &mut l,
        (t.service_kind, &doc.service_kind),
        (t.engineers, &doc.engineers.join(list_sep(lang))),
    );
    f.pair(
        &mut l,
        (t.dispatched_at, &doc.dispatched_at),
        (t.arrived_at, &doc.arrived_at),
    );
    f.pair(
        &mut l,
        (t.completed_at, &doc.completed_at),
        (t.labor_hours, &doc.labor_hours),
    );

    f.section(&mut l, t.section_customer);
    f.pair(
        &mut l,
        (t.customer_name, &doc.customer.name),
        (t.customer_number, &doc.customer.number),
    );
    f.pair(
        &mut l,
        (t.contact_person, &doc.customer.contact_person),
        (t.phone, &doc.customer.phone),
    );
    f.full(&mut l, t.address, &doc.customer.address);

    f.section(&mut l, t.section_unit);
    let model = match (
        doc.unit.model_name.is_empty(),
        doc.unit.model_code.is_empty(),
    ) {
        (false, false) => match lang {
            Lang::ZhCn => format!("{}（{}）", doc.unit.model_name, doc.unit.model_code),
            Lang::En => format!("{} ({})", doc.unit.model_name, doc.unit.model_code),
        },
        _ => format!("{}{}", doc.unit.model_name, doc.unit.model_code),
    };
    f.pair(&mut l, (t.model, &model), (t.serial, &doc.unit.serial));
    f.pair(
        &mut l,
        (t.warranty_class, &doc.unit.warranty_class),
        (t.warranty_status, &doc.unit.warranty_status),
    );

    f.section(&mut l, t.section_work);
    f.full(&mut l, t.fault_symptom, &doc.fault_symptom);
    let cause = match (
        doc.fault_cause.code.is_empty(),
        doc.fault_cause.text.is_empty(),
    ) {
        (false, false) => format!("[{}] {}", doc.fault_cause.code, doc.fault_cause.text),
        _ => format!("{}{}", doc.fault_cause.code, doc.fault_cause.text),
    };
    f.full(&mut l, t.fault_cause, &cause);
    f.full(&mut l, t.action_taken, &doc.action_taken);
    if !doc.notes.trim().is_empty() {
        f.full(&mut l, t.notes, &doc.notes);
    }

    f.section(&mut l, t.section_parts);
    if doc.parts.is_empty() {
        f.note_row(&mut l, t.no_parts);
    } else {
        let cols = [
            Col::new(t.col_no, 36.0, Align::Center),
            Col::new(t.col_part_number, 112.0, Align::Left),
            Col::new(t.col_part_name, 0.0, Align::Left),
            Col::new(t.col_quantity, 52.0, Align::Right),
            Col::new(t.col_charge_basis, 112.0, Align::Left),
        ];
        let rows: Vec<Vec<String>> = doc
            .parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                vec![
                    (i + 1).to_string(),
                    p.part_number.clone(),
                    p.name.clone(),
                    p.quantity.clone(),
                    p.charge_basis.clone(),
                ]
            })
            .collect();
        table(&mut l, &cols, &rows, None);
    }

    f.section(&mut l, t.section_charges);
    if doc.charges.is_empty() {
        f.note_row(&mut l, t.no_charges);
    } else {
        let cols = [
            Col::new(t.col_item, 0.0, Align::Left),
            Col::new(t.col_amount, 130.0, Align::Right),
        ];
        let rows: Vec<Vec<String>> = doc
            .charges
            .iter()
            .map(|c| vec![c.text.clone(), c.amount.clone()])
            .collect();
        let total = doc
            .charges_total
            .as_ref()
            .map(|amount| vec![t.total.to_owned(), amount.clone()]);
        table(&mut l, &cols, &rows, total.as_deref());
    }

    f.section(&mut l, t.section_completion);
    let test_run = match &doc.test_run {
        TestRun::Done => t.test_run_done.to_owned(),
        TestRun::FollowUp { due } => format!("{}：{}", t.test_run_follow_up, or_dash(due)),
    };
    let test_run = if lang == Lang::En {
        test_run.replace('：', ": ")
    } else {
        test_run
    };
    let trained = if doc.customer_trained { t.yes } else { t.no };
    f.pair(
        &mut l,
        (t.test_run, &test_run),
        (t.customer_trained, trained),
    );
    let rating = |r: Option<u8>| r.map_or_else(|| t.not_rated.to_owned(), labels::rating);
    f.pair(
        &mut l,
        (t.quality_rating, &rating(doc.quality_rating)),
        (t.attitude_rating, &rating(doc.attitude_rating)),
    );

    signature_block(&mut l, doc, t);

    if !doc.addenda.is_empty() {
        f.section(&mut l, t.section_addenda);
        l.gap(2.0);
        let lines = l.wrap(Weight::Regular, LABEL_SIZE, CONTENT_W, t.addenda_note);
        l.ensure(lines.len() as f32 * LABEL_SIZE * LEADING + 40.0);
        let top = l.y;
        l.lines(
            MARGIN_X,
            CONTENT_W,
            Align::Left,
            top,
            Weight::Regular,
            LABEL_SIZE,
            MUTED,
            &lines,
        );
        l.gap(lines.len() as f32 * LABEL_SIZE * LEADING + 3.0);
        let cols = [
            Col::new(t.addendum_at, 110.0, Align::Left),
            Col::new(t.addendum_by, 90.0, Align::Left),
            Col::new(t.addendum_text, 0.0, Align::Left),
        ];
        let rows: Vec<Vec<String>> = doc
            .addenda
            .iter()
            .map(|a| vec![a.at.clone(), a.by.clone(), a.text.clone()])
            .collect();
        table(&mut l, &cols, &rows, None);
    }

    let author = doc.company.name.clone();
    let title = format!("{} {}", t.title, doc.record_number);
    pdf::write(
        l.finish(),
        &Info {
            title: &title,
            author: &author,
        },
    )
}

fn list_sep(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "、",
        Lang::En => ", ",
    }
}

fn or_dash(text: &str) -> &str {
    if text.trim().is_empty() { "—" } else { text }
}

/// The first page's header: company on the left, title and numbers on the right.
fn header(l: &mut Layout, doc: &ServiceRecordDoc, t: &Labels) {
    let right_w = 200.0;
    let left_w = CONTENT_W - right_w - 12.0;
    let top = l.y;

    let name_size = 14.0;
    let name_lines = l.wrap(Weight::Bold, name_size, left_w, &doc.company.name);
    l.lines(
        MARGIN_X,
        left_w,
        Align::Left,
        top,
        Weight::Bold,
        name_size,
        INK,
        &name_lines,
    );
    let mut left_bottom = top - name_lines.len() as f32 * name_size * LEADING;
    if let Some(contact) = doc
        .company
        .contact_line
        .as_deref()
        .filter(|c| !c.is_empty())
    {
        let lines = l.wrap(Weight::Regular, 8.0, left_w, contact);
        l.lines(
            MARGIN_X,
            left_w,
            Align::Left,
            left_bottom - 1.0,
            Weight::Regular,
            8.0,
            MUTED,
            &lines,
        );
        left_bottom -= 1.0 + lines.len() as f32 * 8.0 * LEADING;
    }

    let x = MARGIN_X + CONTENT_W - right_w;
    let title_size = 19.0;
    l.lines(
        x,
        right_w,
        Align::Right,
        top + 1.0,
        Weight::Bold,
        title_size,
        ACCENT,
        &[t.title.to_owned()],
    );
    let mut right_bottom = top + 1.0 - title_size * LEADING;
    let number = format!("{} {}", t.record_number, doc.record_number);
    l.lines(
        x,
        right_w,
        Align::Right,
        right_bottom,
        Weight::Bold,
        9.5,
        INK,
        &[number],
    );
    right_bottom -= 9.5 * LEADING;
    let request = format!("{} {}", t.request_number, or_dash(&doc.request_number));
    l.lines(
        x,
        right_w,
        Align::Right,
        right_bottom,
        Weight::Regular,
        8.0,
        MUTED,
        &[request],
    );
    right_bottom -= 8.0 * LEADING;

    let rule = left_bottom.min(right_bottom) - 5.0;
    l.hline(MARGIN_X, MARGIN_X + CONTENT_W, rule, 1.6, ACCENT);
    l.y = rule - 4.0;
}

/// The bordered form: label cells on a tint, value cells on white.
struct Form {
    label_w: f32,
}

impl Form {
    fn new(lang: Lang) -> Self {
        Self {
            label_w: match lang {
                Lang::ZhCn => 70.0,
                Lang::En => 88.0,
            },
        }
    }

    fn value_w(&self) -> f32 {
        (CONTENT_W - 2.0 * self.label_w) / 2.0
    }

    /// A section heading; moves to the next page if the heading and a first row would not
    /// fit, so a heading never ends a page.
    fn section(&mut self, l: &mut Layout, title: &str) {
        let band = HEADING_SIZE * LEADING + 3.0;
        l.gap(SECTION_GAP);
        if l.ensure(band + 2.0 * (VALUE_SIZE * LEADING + 2.0 * PAD_Y)) {
            // The running header already left its own space.
        }
        let top = l.y;
        l.fill_rect(MARGIN_X, top, CONTENT_W, band, BAND_FILL);
        l.fill_rect(MARGIN_X, top, 3.0, band, ACCENT);
        l.lines(
            MARGIN_X + 9.0,
            CONTENT_W,
            Align::Left,
            top - 1.5,
            Weight::Bold,
            HEADING_SIZE,
            ACCENT,
            &[title.to_owned()],
        );
        l.gap(band);
    }

    /// Two label/value pairs side by side.
    fn pair(&mut self, l: &mut Layout, a: (&str, &str), b: (&str, &str)) {
        let (lw, vw) = (self.label_w, self.value_w());
        let inner = |w: f32| w - 2.0 * PAD_X;
        let la = l.wrap(Weight::Regular, LABEL_SIZE, inner(lw), a.0);
        let va = l.wrap(Weight::Regular, VALUE_SIZE, inner(vw), or_dash(a.1));
        let lb = l.wrap(Weight::Regular, LABEL_SIZE, inner(lw), b.0);
        let vb = l.wrap(Weight::Regular, VALUE_SIZE, inner(vw), or_dash(b.1));
        let height = [
            la.len() as f32 * LABEL_SIZE * LEADING,
            va.len() as f32 * VALUE_SIZE * LEADING,
            lb.len() as f32 * LABEL_SIZE * LEADING,
            vb.len() as f32 * VALUE_SIZE * LEADING,
        ]
        .into_iter()
        .fold(0.0, f32::max)
            + 2.0 * PAD_Y;
        l.ensure(height);
        let top = l.y;
        let mut x = MARGIN_X;
        for (label, value) in [(&la, &va), (&lb, &vb)] {
            self.label_cell(l, x, top, height, label);
            self.value_cell(l, x + lw, vw, top, height, value);
            x += lw + vw;
        }
        l.gap(height);
    }

    /// One label with a value across the whole width; a long value continues on the next
    /// page, the label repeated.
    fn full(&mut self, l: &mut Layout, label: &str, value: &str) {
        let lw = self.label_w;
        let vw = CONTENT_W - lw;
        let labels = l.wrap(Weight::Regular, LABEL_SIZE, lw - 2.0 * PAD_X, label);
        let mut values = l.wrap(
            Weight::Regular,
            VALUE_SIZE,
            vw - 2.0 * PAD_X,
            or_dash(value),
        );
        let lh = VALUE_SIZE * LEADING;
        let label_h = labels.len() as f32 * LABEL_SIZE * LEADING;
        loop {
            let fits = ((l.room() - 2.0 * PAD_Y) / lh).floor().max(0.0) as usize;
            // Keep at least two lines together (one if that is all there is).
            let min = values.len().min(2);
            if fits < min {
                l.new_page();
                continue;
            }
            let take = fits.min(values.len());
            let rest = values.split_off(take);
            let height = (take as f32 * lh).max(label_h) + 2.0 * PAD_Y;
            let top = l.y;
            self.label_cell(l, MARGIN_X, top, height, &labels);
            self.value_cell(l, MARGIN_X + lw, vw, top, height, &values);
            l.gap(height);
            if rest.is_empty() {
                break;
            }
            values = rest;
            l.new_page();
        }
    }

    /// A row of muted text across the whole width ("no parts were used").
    fn note_row(&mut self, l: &mut Layout, text: &str) {
        let lines = l.wrap(Weight::Regular, VALUE_SIZE, CONTENT_W - 2.0 * PAD_X, text);
        let height = lines.len() as f32 * VALUE_SIZE * LEADING + 2.0 * PAD_Y;
        l.ensure(height);
        let top = l.y;
        l.stroke_rect(MARGIN_X, top, CONTENT_W, height, BORDER, RULE);
        l.lines(
            MARGIN_X + PAD_X,
            CONTENT_W,
            Align::Left,
            top - PAD_Y,
            Weight::Regular,
            VALUE_SIZE,
            MUTED,
            &lines,
        );
        l.gap(height);
    }

    fn label_cell(&self, l: &mut Layout, x: f32, top: f32, height: f32, lines: &[String]) {
        let w = self.label_w;
        l.fill_rect(x, top, w, height, LABEL_FILL);
        l.stroke_rect(x, top, w, height, BORDER, RULE);
        // Labels are smaller than values: drop them to share the first line's baseline.
        let drop = (VALUE_SIZE - LABEL_SIZE) * 0.9;
        l.lines(
            x + PAD_X,
            w,
            Align::Left,
            top - PAD_Y - drop,
            Weight::Regular,
            LABEL_SIZE,
            MUTED,
            lines,
        );
    }

    fn value_cell(&self, l: &mut Layout, x: f32, w: f32, top: f32, height: f32, lines: &[String]) {
        l.stroke_rect(x, top, w, height, BORDER, RULE);
        l.lines(
            x + PAD_X,
            w,
            Align::Left,
            top - PAD_Y,
            Weight::Regular,
            VALUE_SIZE,
            INK,
            lines,
        );
    }
}

/// A table column; width 0 takes what the others leave.
#[derive(Clone, Copy)]
struct Col<'a> {
    title: &'a str,
    width: f32,
    align: Align,
}

impl<'a> Col<'a> {
    fn new(title: &'a str, width: f32, align: Align) -> Self {
        Self {
            title,
            width,
            align,
        }
    }
}

/// A table whose header row repeats on every page it spans; a row never splits. `total`
/// is a last row in bold, its first cell spanning all columns but the last.
fn table(l: &mut Layout, cols: &[Col], rows: &[Vec<String>], total: Option<&[String]>) {
    let fixed: f32 = cols.iter().map(|c| c.width).sum();
    let flexible = cols.iter().filter(|c| c.width == 0.0).count().max(1) as f32;
    let widths: Vec<f32> = cols
        .iter()
        .map(|c| {
            if c.width == 0.0 {
                (CONTENT_W - fixed) / flexible
            } else {
                c.width
            }
        })
        .collect();
    let lh = VALUE_SIZE * LEADING;

    let header = |l: &mut Layout| {
        let titles: Vec<Vec<String>> = cols
            .iter()
            .zip(&widths)
            .map(|(c, w)| l.wrap(Weight::Bold, LABEL_SIZE, w - 2.0 * PAD_X, c.title))
            .collect();
        let n = titles.iter().map(Vec::len).max().unwrap_or(1);
        let height = n as f32 * LABEL_SIZE * LEADING + 2.0 * PAD_Y;
        let top = l.y;
        let mut x = MARGIN_X;
        for ((c, w), lines) in cols.iter().zip(&widths).zip(&titles) {
            l.fill_rect(x, top, *w, height, LABEL_FILL);
            l.stroke_rect(x, top, *w, height, BORDER, RULE);
            l.lines(
                x + PAD_X,
                w - 2.0 * PAD_X,
                c.align,
                top - PAD_Y,
                Weight::Bold,
                LABEL_SIZE,
                INK,
                lines,
            );
            x += w;
        }
        l.gap(height);
        height
    };

    let first_row = rows
        .first()
        .map_or(lh, |r| row_height(l, &widths, r, Weight::Regular));
    l.ensure(LABEL_SIZE * LEADING + 2.0 * PAD_Y + first_row);
    header(l);
    for row in rows {
        let height = row_height(l, &widths, row, Weight::Regular);
        if l.ensure(height) {
            header(l);
        }
        draw_row(l, cols, &widths, row, height, Weight::Regular);
    }
    if let Some(total) = total {
        let span = CONTENT_W - widths[widths.len() - 1];
        let w2 = [span, widths[widths.len() - 1]];
        let height = row_height(l, &w2, total, Weight::Bold);
        if l.ensure(height) {
            header(l);
        }
        let cols2 = [Col::new("", span, Align::Right), cols[cols.len() - 1]];
        draw_row(l, &cols2, &w2, total, height, Weight::Bold);
    }
}

fn row_height(l: &Layout, widths: &[f32], row: &[String], weight: Weight) -> f32 {
    let n = row
        .iter()
        .zip(widths)
        .map(|(text, w)| {
            l.wrap(weight, VALUE_SIZE, w - 2.0 * PAD_X, or_dash(text))
                .len()
        })
        .max()
        .unwrap_or(1);
    n as f32 * VALUE_SIZE * LEADING + 2.0 * PAD_Y
}

fn draw_row(
    l: &mut Layout,
    cols: &[Col],
    widths: &[f32],
    row: &[String],
    height: f32,
    weight: Weight,
) {
    let top = l.y;
    let mut x = MARGIN_X;
    for ((c, w), text) in cols.iter().zip(widths).zip(row) {
        let lines = l.wrap(weight, VALUE_SIZE, w - 2.0 * PAD_X, or_dash(text));
        l.stroke_rect(x, top, *w, height, BORDER, RULE);
        l.lines(
            x + PAD_X,
            w - 2.0 * PAD_X,
            c.align,
            top - PAD_Y,
            weight,
            VALUE_SIZE,
            INK,
            &lines,
        );
        x += w;
    }
    l.gap(height);
}

/// The customer's confirmation and signature (or the reason there is none) on the left,
/// the QR code with the URL and the content hash on the right. Kept on one page.
fn signature_block(l: &mut Layout, doc: &ServiceRecordDoc, t: &Labels) {
    let qr_col = 170.0;
    let gap = 14.0;
    let left_w = CONTENT_W - qr_col - gap;
    let qr_x = MARGIN_X + CONTENT_W - qr_col;
    let qr_side = 76.0;

    let confirmation = l.wrap(Weight::Bold, VALUE_SIZE, left_w, t.confirmation);
    let url_lines = l.wrap(Weight::Regular, SMALL_SIZE, qr_col, &doc.verify_url);
    let hash_lines = l.wrap(
        Weight::Regular,
        SMALL_SIZE - 0.5,
        qr_col,
        &format!("{} {}", t.content_hash, or_dash(&doc.content_hash)),
    );
    let caption_h = LABEL_SIZE * LEADING;
    let right_h = caption_h
        + qr_side
        + 2.0
        + (url_lines.len() as f32) * SMALL_SIZE * LEADING
        + (hash_lines.len() as f32) * (SMALL_SIZE - 0.5) * LEADING;

    let box_h: f32 = 70.0;
    let (detail_lines, declined) = match &doc.signature {
        Signature::Signed {
            signer, signed_at, ..
        } => (
            vec![format!(
                "{}：{}    {}：{}",
                t.signer,
                or_dash(signer),
                t.signed_at,
                or_dash(signed_at)
            )],
            false,
        ),
        Signature::Declined { reason } => (
            l.wrap(
                Weight::Regular,
                VALUE_SIZE,
                left_w - 2.0 * PAD_X - 4.0,
                &format!("{}：{}", t.declined_reason, or_dash(reason)),
            ),
            true,
        ),
    };
    let detail_lines: Vec<String> = if doc.lang == Lang::En {
        detail_lines
            .into_iter()
            .map(|s| s.replace('：', ": "))
            .collect()
    } else {
        detail_lines
    };
    let declined_h = if declined {
        HEADING_SIZE * LEADING
            + detail_lines.len() as f32 * VALUE_SIZE * LEADING
            + 2.0 * PAD_Y
            + 6.0
    } else {
        0.0
    };
    let left_h = confirmation.len() as f32 * VALUE_SIZE * LEADING
        + 6.0
        + box_h.max(declined_h)
        + if declined {
            0.0
        } else {
            4.0 + VALUE_SIZE * LEADING
        };

    // A rule across the page, then the block, all on one page.
    l.gap(SECTION_GAP + 1.0);
    if !l.ensure(9.0 + left_h.max(right_h)) {
        // On a new page the running header's rule already sets the block apart.
        l.hline(MARGIN_X, MARGIN_X + CONTENT_W, l.y, 0.8, ACCENT);
        l.gap(9.0);
    }
    let top = l.y;

    // Left: confirmation, the box, who and when.
    l.lines(
        MARGIN_X,
        left_w,
        Align::Left,
        top,
        Weight::Bold,
        VALUE_SIZE,
        INK,
        &confirmation,
    );
    let box_top = top - confirmation.len() as f32 * VALUE_SIZE * LEADING - 6.0;
    let box_h = box_h.max(declined_h);
    l.stroke_rect(MARGIN_X, box_top, left_w, box_h, 0.8, RULE);
    if !declined {
        l.lines(
            MARGIN_X + PAD_X,
            left_w,
            Align::Left,
            box_top - 2.0,
            Weight::Regular,
            SMALL_SIZE,
            MUTED,
            &[t.section_signature.to_owned()],
        );
    }
    if declined {
        l.lines(
            MARGIN_X + PAD_X + 2.0,
            left_w,
            Align::Left,
            box_top - PAD_Y - 2.0,
            Weight::Bold,
            HEADING_SIZE,
            Color::DECLINED,
            &[t.declined.to_owned()],
        );
        l.lines(
            MARGIN_X + PAD_X + 2.0,
            left_w,
            Align::Left,
            box_top - PAD_Y - 2.0 - HEADING_SIZE * LEADING,
            Weight::Regular,
            VALUE_SIZE,
            INK,
            &detail_lines,
        );
    } else {
        // The signature, inside a margin, above a signing line.
        let (ix, iw) = (MARGIN_X + 40.0, left_w - 80.0);
        let line_y = box_top - box_h + 14.0;
        l.hline(ix - 10.0, ix + iw + 10.0, line_y, 0.5, RULE);
        l.image_fit(0, ix, box_top - 6.0, iw, box_h - 6.0 - 16.0);
        l.lines(
            MARGIN_X,
            left_w,
            Align::Left,
            box_top - box_h - 4.0,
            Weight::Regular,
            VALUE_SIZE,
            INK,
            &detail_lines,
        );
    }

    // Right: caption, the code, the URL and the hash.
    l.lines(
        qr_x,
        qr_col,
        Align::Center,
        top,
        Weight::Bold,
        LABEL_SIZE,
        ACCENT,
        &[t.verify.to_owned()],
    );
    let code_top = top - caption_h;
    l.qr_code(0, qr_x + (qr_col - qr_side) / 2.0, code_top, qr_side);
    let url_top = code_top - qr_side - 2.0;
    l.lines(
        qr_x,
        qr_col,
        Align::Center,
        url_top,
        Weight::Regular,
        SMALL_SIZE,
        MUTED,
        &url_lines,
    );
    let hash_top = url_top - url_lines.len() as f32 * SMALL_SIZE * LEADING;
    l.lines(
        qr_x,
        qr_col,
        Align::Center,
        hash_top,
        Weight::Regular,
        SMALL_SIZE - 0.5,
        MUTED,
        &hash_lines,
    );

    l.y = top - left_h.max(right_h);
}

struct Color;

impl Color {
    const DECLINED: crate::layout::Color = crate::layout::Color(0.62, 0.18, 0.12);
}
