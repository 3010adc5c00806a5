//! A small page layout engine for forms: A4 pages, a cursor moving down, text that wraps
//! (Chinese per character, Latin per word), bordered rows that move to the next page when
//! they do not fit (long paragraphs split, tables repeat their header), and the running
//! header and page numbers. Only what the documents here need.

use pdf_writer::{Content, Name, Str, TextStr};

use crate::DocError;
use crate::font::{FontUse, Weight};
use crate::image::Raster;
use crate::qr::Matrix;

pub(crate) const PAGE_W: f32 = 595.276;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const MARGIN_X: f32 = 42.5;
pub(crate) const MARGIN_TOP: f32 = 36.0;
/// The lowest a block may reach; the footer lives below.
pub(crate) const MARGIN_BOTTOM: f32 = 50.0;
pub(crate) const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

/// Line height as a multiple of the font size.
pub(crate) const LEADING: f32 = 1.36;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Color(pub f32, pub f32, pub f32);

pub(crate) const INK: Color = Color(0.10, 0.11, 0.13);
pub(crate) const MUTED: Color = Color(0.38, 0.40, 0.44);
pub(crate) const ACCENT: Color = Color(0.10, 0.23, 0.40);
pub(crate) const RULE: Color = Color(0.70, 0.73, 0.78);
pub(crate) const LABEL_FILL: Color = Color(0.945, 0.953, 0.965);
pub(crate) const BAND_FILL: Color = Color(0.89, 0.915, 0.945);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// What the running header and footer print.
pub(crate) struct Running {
    /// Top left of every page after the first.
    pub head_left: String,
    /// Top right of every page after the first.
    pub head_right: String,
    /// Bottom left of every page.
    pub foot_left: String,
    /// "第 {}/{} 页" as a function of page and page count.
    pub page_number: Box<dyn Fn(usize, usize) -> String>,
}

pub(crate) struct Layout {
    fonts: [FontUse; 2],
    pages: Vec<Content>,
    /// The page drawn on.
    current: usize,
    pub images: Vec<Raster>,
    /// The QR codes of the document, drawn with [`Self::qr_code`] by index.
    pub qrs: Vec<Matrix>,
    /// Which QR codes each page draws (its resources name only those).
    page_qrs: Vec<Vec<usize>>,
    running: Running,
    /// The top of the next block, in PDF coordinates (from the bottom of the page).
    pub y: f32,
}

/// A finished layout, ready to be written as PDF.
pub(crate) struct Finished {
    pub fonts: [FontUse; 2],
    pub pages: Vec<Vec<u8>>,
    pub images: Vec<Raster>,
    pub qrs: Vec<Matrix>,
    pub page_qrs: Vec<Vec<usize>>,
}

impl Layout {
    pub(crate) fn new(running: Running) -> Result<Self, DocError> {
        Ok(Self {
            fonts: [FontUse::new(Weight::Regular)?, FontUse::new(Weight::Bold)?],
            pages: vec![Content::new()],
            current: 0,
            images: Vec::new(),
            qrs: Vec::new(),
            page_qrs: vec![Vec::new()],
            running,
            y: PAGE_H - MARGIN_TOP,
        })
    }

    fn font(&self, weight: Weight) -> &FontUse {
        &self.fonts[weight as usize]
    }

    fn page(&mut self) -> &mut Content {
        &mut self.pages[self.current]
    }

    /// Room left on this page above the bottom margin.
    pub(crate) fn room(&self) -> f32 {
        self.y - MARGIN_BOTTOM
    }

    /// Starts a new page with nothing on it (no running header).
    pub(crate) fn new_blank_page(&mut self) {
        self.pages.push(Content::new());
        self.page_qrs.push(Vec::new());
        self.current = self.pages.len() - 1;
        self.y = PAGE_H - MARGIN_TOP;
    }

    /// Starts a new page with the running header.
    pub(crate) fn new_page(&mut self) {
        self.new_blank_page();
        let (left, right) = (
            self.running.head_left.clone(),
            self.running.head_right.clone(),
        );
        let size = 8.5;
        let base = self.y - size;
        self.text(MARGIN_X, base, Weight::Regular, size, MUTED, &left);
        self.text_aligned(
            MARGIN_X,
            CONTENT_W,
            Align::Right,
            base,
            Weight::Regular,
            size,
            MUTED,
            &right,
        );
        let rule = base - 6.0;
        self.hline(MARGIN_X, MARGIN_X + CONTENT_W, rule, 0.6, RULE);
        self.y = rule - 12.0;
    }

    /// Moves to a new page unless `height` fits on this one.
    pub(crate) fn ensure(&mut self, height: f32) -> bool {
        if height > self.room() {
            self.new_page();
            true
        } else {
            false
        }
    }

    pub(crate) fn gap(&mut self, height: f32) {
        self.y -= height;
    }

    // ---- measuring and wrapping ----

    pub(crate) fn width(&self, weight: Weight, size: f32, text: &str) -> f32 {
        self.font(weight).width(text, size)
    }

    /// Splits `text` into lines no wider than `width`: Chinese may break between any two
    /// characters, Latin only between words (a word longer than a line breaks anywhere);
    /// closing punctuation never starts a line and opening punctuation never ends one.
    /// Line breaks in the text are kept.
    pub(crate) fn wrap(&self, weight: Weight, size: f32, width: f32, text: &str) -> Vec<String> {
        let font = self.font(weight);
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let paragraph: String = paragraph
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .filter(|c| !c.is_control())
                .collect();
            let mut line = String::new();
            let mut line_w = 0.0;
            for segment in segments(&paragraph) {
                let seg_w = font.width(segment.trim_end(), size);
                if seg_w > width {
                    // Wider than a whole line: break it anywhere, filling this line first.
                    for c in segment.chars() {
                        let w = font.advance(c, size);
                        if !line.is_empty() && line_w + w > width {
                            lines.push(std::mem::take(&mut line).trim_end().to_owned());
                            line_w = 0.0;
                        }
                        if line.is_empty() && c == ' ' {
                            continue;
                        }
                        line.push(c);
                        line_w += w;
                    }
                } else if line.is_empty() || line_w + seg_w <= width {
                    line.push_str(segment);
                    line_w += font.width(segment, size);
                } else {
                    lines.push(line.trim_end().to_owned());
                    line = segment.trim_start().to_owned();
                    line_w = font.width(&line, size);
                }
            }
            lines.push(line.trim_end().to_owned());
        }
        lines
    }

    // ---- drawing ----

    /// Draws one line of text with its baseline at `baseline`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text(
        &mut self,
        x: f32,
        baseline: f32,
        weight: Weight,
        size: f32,
        color: Color,
        text: &str,
    ) {
        if text.is_empty() {
            return;
        }
        let encoded = self.fonts[weight as usize].encode(text);
        let font_name = match weight {
            Weight::Regular => Name(b"F1"),
            Weight::Bold => Name(b"F2"),
        };
        let content = self.page();
        if let Some(actual) = &encoded.actual_text {
            content
                .begin_marked_content_with_properties(Name(b"Span"))
                .properties()
                .actual_text(TextStr(actual));
        }
        content.set_fill_rgb(color.0, color.1, color.2);
        content
            .begin_text()
            .set_font(font_name, size)
            .next_line(x, baseline)
            .show(Str(&encoded.bytes))
            .end_text();
        if encoded.actual_text.is_some() {
            content.end_marked_content();
        }
    }

    /// Draws one line of text aligned within `[x, x + width]`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text_aligned(
        &mut self,
        x: f32,
        width: f32,
        align: Align,
        baseline: f32,
        weight: Weight,
        size: f32,
        color: Color,
        text: &str,
    ) {
        let w = self.width(weight, size, text);
        let x = match align {
            Align::Left => x,
            Align::Center => x + (width - w) / 2.0,
            Align::Right => x + width - w,
        };
        self.text(x, baseline, weight, size, color, text);
    }

    /// Draws lines of text from `top` down, each `size * LEADING` apart.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn lines(
        &mut self,
        x: f32,
        width: f32,
        align: Align,
        top: f32,
        weight: Weight,
        size: f32,
        color: Color,
        lines: &[String],
    ) {
        let lh = size * LEADING;
        for (i, line) in lines.iter().enumerate() {
            let baseline = top - i as f32 * lh - baseline_offset(size);
            self.text_aligned(x, width, align, baseline, weight, size, color, line);
        }
    }

    pub(crate) fn fill_rect(&mut self, x: f32, top: f32, w: f32, h: f32, color: Color) {
        let content = self.page();
        content.set_fill_rgb(color.0, color.1, color.2);
        content.rect(x, top - h, w, h).fill_nonzero();
    }

    pub(crate) fn stroke_rect(&mut self, x: f32, top: f32, w: f32, h: f32, width: f32, c: Color) {
        let content = self.page();
        content.set_stroke_rgb(c.0, c.1, c.2).set_line_width(width);
        content.rect(x, top - h, w, h).stroke();
    }

    pub(crate) fn hline(&mut self, x1: f32, x2: f32, y: f32, width: f32, c: Color) {
        let content = self.page();
        content.set_stroke_rgb(c.0, c.1, c.2).set_line_width(width);
        content.move_to(x1, y).line_to(x2, y).stroke();
    }

    /// Places image `index` (of [`Self::images`]) scaled to fit `w × h` at its centre,
    /// keeping its proportions.
    pub(crate) fn image_fit(&mut self, index: usize, x: f32, top: f32, w: f32, h: f32) {
        let (iw, ih) = (
            self.images[index].width as f32,
            self.images[index].height as f32,
        );
        let scale = (w / iw).min(h / ih);
        let (dw, dh) = (iw * scale, ih * scale);
        let (dx, dy) = (x + (w - dw) / 2.0, top - h + (h - dh) / 2.0);
        let name = format!("Im{}", index + 1);
        let content = self.page();
        content
            .save_state()
            .transform([dw, 0.0, 0.0, dh, dx, dy])
            .x_object(Name(name.as_bytes()))
            .restore_state();
    }

    /// Places QR code `index` (of [`Self::qrs`], its quiet zone included) as a `side`-point
    /// square.
    pub(crate) fn qr_code(&mut self, index: usize, x: f32, top: f32, side: f32) {
        let used = &mut self.page_qrs[self.current];
        if !used.contains(&index) {
            used.push(index);
        }
        let name = qr_name(index);
        self.page()
            .save_state()
            .transform([side, 0.0, 0.0, side, x, top - side])
            .x_object(Name(name.as_bytes()))
            .restore_state();
    }

    /// Hands the pages over as drawn, without running footers (a sheet of labels).
    pub(crate) fn finish_bare(self) -> Finished {
        Finished {
            fonts: self.fonts,
            pages: self
                .pages
                .into_iter()
                .map(|p| p.finish().into_vec())
                .collect(),
            images: self.images,
            qrs: self.qrs,
            page_qrs: self.page_qrs,
        }
    }

    /// Adds the footers (which need the page count) and hands the pages over.
    pub(crate) fn finish(mut self) -> Finished {
        let count = self.pages.len();
        for i in 0..count {
            self.current = i;
            let size = 7.5;
            let rule = MARGIN_BOTTOM - 16.0;
            self.hline(MARGIN_X, MARGIN_X + CONTENT_W, rule, 0.5, RULE);
            let base = rule - 11.0;
            let left = self.running.foot_left.clone();
            self.text(MARGIN_X, base, Weight::Regular, size, MUTED, &left);
            let number = (self.running.page_number)(i + 1, count);
            self.text_aligned(
                MARGIN_X,
                CONTENT_W,
                Align::Right,
                base,
                Weight::Regular,
                size,
                MUTED,
                &number,
            );
        }
        self.finish_bare()
    }
}

/// The resource name of QR code `index`: `Qr` for the first (the service record's only
/// one), then `Qr1`, `Qr2`…
pub(crate) fn qr_name(index: usize) -> String {
    if index == 0 {
        "Qr".to_owned()
    } else {
        format!("Qr{index}")
    }
}

/// From the top of a line box to its baseline.
pub(crate) fn baseline_offset(size: f32) -> f32 {
    // Noto Sans CJK: typographic ascender 0.88 em; the line box adds (LEADING - 1) / 2 above.
    size * ((LEADING - 1.0) / 2.0 + 0.88)
}

/// Wide characters: CJK ideographs, kana, CJK punctuation, full-width forms. A line may
/// break before or after any of them.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// Characters that never start a line.
fn no_break_before(c: char) -> bool {
    "，。、；：？！）】》」』〉〕”’…·%‰℃,.;:?!)]}".contains(c)
}

/// Characters that never end a line.
fn no_break_after(c: char) -> bool {
    "（【《「『〈〔“‘([{¥$".contains(c)
}

/// Splits a paragraph at every place a line may break. Spaces stay at the end of the
/// segment they follow.
fn segments(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if let Some(p) = prev {
            let may_break = !no_break_before(c)
                && !no_break_after(p)
                && !c.is_whitespace()
                && (p.is_whitespace() || is_wide(p) || is_wide(c));
            if may_break {
                out.push(&text[start..i]);
                start = i;
            }
        }
        prev = Some(c);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout::new(Running {
            head_left: String::new(),
            head_right: String::new(),
            foot_left: String::new(),
            page_number: Box::new(|p, n| format!("{p}/{n}")),
        })
        .expect("layout")
    }

    #[test]
    fn chinese_breaks_between_characters_and_latin_between_words() {
        assert_eq!(segments("更换压缩机"), vec!["更", "换", "压", "缩", "机"]);
        assert_eq!(
            segments("Replaced the fan motor"),
            vec!["Replaced ", "the ", "fan ", "motor"]
        );
        assert_eq!(
            segments("更换KT-5P电机"),
            vec!["更", "换", "KT-5P", "电", "机"]
        );
    }

    #[test]
    fn closing_punctuation_stays_on_the_line_before_and_opening_on_the_line_after() {
        assert_eq!(segments("好，（是）"), vec!["好，", "（是）"]);
    }

    #[test]
    fn wrapped_lines_fit_the_width_and_lose_no_text() {
        let l = layout();
        let text = "客户反映空调制冷效果差，外机有异响。Checked the refrigerant pressure and \
                    replaced the capacitor of the outdoor fan motor (model KT-5P-CAP).";
        let lines = l.wrap(Weight::Regular, 10.0, 120.0, text);
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(
                l.width(Weight::Regular, 10.0, line) <= 120.0 + 0.01,
                "{line}"
            );
        }
        let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
        let original: String = text.chars().filter(|c| *c != ' ').collect();
        assert_eq!(joined, original);
        assert!(
            lines
                .iter()
                .all(|l| !l.starts_with('，') && !l.starts_with('。'))
        );
    }

    #[test]
    fn a_word_longer_than_the_line_breaks_anywhere_and_line_breaks_are_kept() {
        let l = layout();
        let url = "https://service.example.com/verify/WO202611300001?h=0123456789abcdef";
        let lines = l.wrap(Weight::Regular, 8.0, 80.0, url);
        assert!(lines.len() > 2);
        assert_eq!(lines.concat(), url);
        assert_eq!(
            l.wrap(Weight::Regular, 8.0, 300.0, "一\n\n二"),
            vec!["一", "", "二"]
        );
    }
}
