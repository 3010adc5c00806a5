//! The embedded fonts: measuring text, turning it into glyph ids as they will be numbered in
//! the document's subset, and remembering what each glyph stands for (the `/ToUnicode` map
//! that lets readers copy and search the text).

use std::collections::BTreeMap;

use subsetter::GlyphRemapper;

/// Noto Sans CJK SC Regular, cut down to GB2312 + Latin by `scripts/make-cjk-font`.
pub(crate) static REGULAR: &[u8] = include_bytes!("../fonts/NotoSansSC-Regular-GB2312.otf");
/// Noto Sans CJK SC Bold, the same characters.
pub(crate) static BOLD: &[u8] = include_bytes!("../fonts/NotoSansSC-Bold-GB2312.otf");

/// Printed for a character the font lacks: 〓, the geta mark Chinese typesetting uses for a
/// missing character.
pub(crate) const REPLACEMENT: char = '〓';

/// Which of the two faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// One face as used by one document.
pub(crate) struct FontUse {
    pub data: &'static [u8],
    pub face: ttf_parser::Face<'static>,
    /// The PostScript name, without the subset tag.
    pub ps_name: String,
    pub remapper: GlyphRemapper,
    /// New glyph id → the text it stands for.
    pub to_unicode: BTreeMap<u16, char>,
    /// New glyph id → advance in thousandths of an em.
    pub widths: BTreeMap<u16, f32>,
    units_per_em: f32,
    replacement: ttf_parser::GlyphId,
}

/// A run of text as glyphs: the bytes for a `Tj` (two per glyph, Identity-H), and the
/// original text when some character had to be replaced.
pub(crate) struct Encoded {
    pub bytes: Vec<u8>,
    pub actual_text: Option<String>,
}

impl FontUse {
    pub(crate) fn new(weight: Weight) -> Result<Self, crate::DocError> {
        let data = match weight {
            Weight::Regular => REGULAR,
            Weight::Bold => BOLD,
        };
        let face = ttf_parser::Face::parse(data, 0)
            .map_err(|e| crate::DocError::Font(format!("embedded font unreadable: {e}")))?;
        let ps_name = face
            .names()
            .into_iter()
            .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME && n.is_unicode())
            .and_then(|n| n.to_string())
            .unwrap_or_else(|| "NotoSansCJKsc".to_owned());
        let replacement = face
            .glyph_index(REPLACEMENT)
            .ok_or_else(|| crate::DocError::Font("no replacement glyph".to_owned()))?;
        Ok(Self {
            data,
            units_per_em: f32::from(face.units_per_em()),
            face,
            ps_name,
            remapper: GlyphRemapper::new(),
            to_unicode: BTreeMap::new(),
            widths: BTreeMap::new(),
            replacement,
        })
    }

    /// The glyph for a character, or the replacement glyph.
    fn glyph(&self, c: char) -> (ttf_parser::GlyphId, bool) {
        match self.face.glyph_index(c) {
            Some(g) if g.0 != 0 => (g, false),
            _ => (self.replacement, true),
        }
    }

    /// How wide `c` is at `size` points.
    pub(crate) fn advance(&self, c: char, size: f32) -> f32 {
        let (g, _) = self.glyph(c);
        f32::from(self.face.glyph_hor_advance(g).unwrap_or(0)) / self.units_per_em * size
    }

    /// How wide `text` is at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c, size)).sum()
    }

    /// Ascender and descender (negative) as fractions of the size.
    pub(crate) fn metrics(&self) -> (f32, f32) {
        (
            f32::from(self.face.ascender()) / self.units_per_em,
            f32::from(self.face.descender()) / self.units_per_em,
        )
    }

    pub(crate) fn bbox(&self) -> [f32; 4] {
        let b = self.face.global_bounding_box();
        let k = 1000.0 / self.units_per_em;
        [
            f32::from(b.x_min) * k,
            f32::from(b.y_min) * k,
            f32::from(b.x_max) * k,
            f32::from(b.y_max) * k,
        ]
    }

    pub(crate) fn units_per_em(&self) -> f32 {
        self.units_per_em
    }

    /// The glyphs for `text`, numbered as in this document's subset.
    pub(crate) fn encode(&mut self, text: &str) -> Encoded {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        let mut replaced = false;
        for c in text.chars() {
            let (g, missing) = self.glyph(c);
            replaced |= missing;
            let new = self.remapper.remap(g.0);
            self.to_unicode
                .entry(new)
                .or_insert(if missing { REPLACEMENT } else { c });
            let advance = f32::from(self.face.glyph_hor_advance(g).unwrap_or(0));
            self.widths
                .entry(new)
                .or_insert(advance * 1000.0 / self.units_per_em);
            bytes.extend_from_slice(&new.to_be_bytes());
        }
        Encoded {
            bytes,
            actual_text: replaced.then(|| text.to_owned()),
        }
    }

    /// Whether the font has a glyph for `c`.
    #[cfg(test)]
    pub(crate) fn has(&self, c: char) -> bool {
        !self.glyph(c).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fonts_cover_common_chinese_latin_and_the_symbols_the_record_prints() {
        for weight in [Weight::Regular, Weight::Bold] {
            let font = FontUse::new(weight).expect("font");
            for c in
                "服务报告派工单沈阳重型机械有限公司ABCxyz0123456789¥，。：；（）—★☆〓№℃".chars()
            {
                assert!(font.has(c), "{c} missing from {weight:?}");
            }
        }
    }

    #[test]
    fn a_character_outside_the_subset_is_replaced_and_keeps_its_text() {
        let mut font = FontUse::new(Weight::Regular).expect("font");
        // 𠮷 (U+20BB7) is outside GB2312 and the basic CJK block.
        assert!(!font.has('𠮷'));
        let encoded = font.encode("吉𠮷");
        assert_eq!(encoded.bytes.len(), 4);
        assert_eq!(encoded.actual_text.as_deref(), Some("吉𠮷"));
        assert!(font.to_unicode.values().any(|&c| c == REPLACEMENT));
        assert!(font.encode("吉").actual_text.is_none());
    }
}
