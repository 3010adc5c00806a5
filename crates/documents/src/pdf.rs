//! Writes a finished layout as a PDF file: pages, the two font subsets as CID-keyed CFF
//! fonts with their `/ToUnicode` maps, the signature image with its soft mask, and the QR
//! code as a form XObject. Every stream is Flate-compressed. Nothing depends on the clock,
//! so the same input gives the same bytes.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::DocError;
use crate::font::FontUse;
use crate::layout::{Finished, PAGE_H, PAGE_W, qr_name};
use crate::qr::{Matrix, QUIET_ZONE};

/// Document information: title and author are shown by PDF readers.
pub(crate) struct Info<'a> {
    pub title: &'a str,
    pub author: &'a str,
}

struct Refs(i32);

impl Refs {
    fn next(&mut self) -> Ref {
        self.0 += 1;
        Ref::new(self.0)
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

pub(crate) fn write(doc: Finished, info: &Info) -> Result<Vec<u8>, DocError> {
    let mut refs = Refs(0);
    let catalog_id = refs.next();
    let tree_id = refs.next();
    let info_id = refs.next();
    let page_ids: Vec<Ref> = doc.pages.iter().map(|_| refs.next()).collect();
    let content_ids: Vec<Ref> = doc.pages.iter().map(|_| refs.next()).collect();
    let font_ids: Vec<Ref> = doc.fonts.iter().map(|_| refs.next()).collect();
    let image_ids: Vec<Ref> = doc.images.iter().map(|_| refs.next()).collect();
    let qr_ids: Vec<Ref> = doc.qrs.iter().map(|_| refs.next()).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    {
        let mut info_dict = pdf.document_info(info_id);
        info_dict.title(TextStr(info.title));
        info_dict.author(TextStr(info.author));
        info_dict.producer(TextStr("aftersales"));
    }

    for (i, content) in doc.pages.iter().enumerate() {
        let mut page = pdf.page(page_ids[i]);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree_id)
            .contents(content_ids[i]);
        let mut resources = page.resources();
        {
            let mut fonts = resources.fonts();
            fonts.pair(Name(b"F1"), font_ids[0]);
            fonts.pair(Name(b"F2"), font_ids[1]);
        }
        let mut xobjects = resources.x_objects();
        for (n, id) in image_ids.iter().enumerate() {
            let name = format!("Im{}", n + 1);
            xobjects.pair(Name(name.as_bytes()), *id);
        }
        for &q in &doc.page_qrs[i] {
            let name = qr_name(q);
            xobjects.pair(Name(name.as_bytes()), qr_ids[q]);
        }
        xobjects.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_ids[i], &deflate(content))
            .filter(Filter::FlateDecode);
    }

    for (font, id) in doc.fonts.iter().zip(&font_ids) {
        write_font(&mut pdf, &mut refs, *id, font)?;
    }
    for (raster, id) in doc.images.iter().zip(&image_ids) {
        let mask_id = raster.alpha.as_ref().map(|_| refs.next());
        let samples = deflate(&raster.samples);
        let mut image = pdf.image_xobject(*id, &samples);
        image.filter(Filter::FlateDecode);
        image
            .width(raster.width as i32)
            .height(raster.height as i32)
            .bits_per_component(8);
        if raster.gray {
            image.color_space().device_gray();
        } else {
            image.color_space().device_rgb();
        }
        if let Some(mask_id) = mask_id {
            image.s_mask(mask_id);
        }
        image.finish();
        if let (Some(mask_id), Some(alpha)) = (mask_id, &raster.alpha) {
            let alpha = deflate(alpha);
            let mut mask = pdf.image_xobject(mask_id, &alpha);
            mask.filter(Filter::FlateDecode);
            mask.width(raster.width as i32)
                .height(raster.height as i32)
                .bits_per_component(8);
            mask.color_space().device_gray();
        }
    }
    for (matrix, id) in doc.qrs.iter().zip(&qr_ids) {
        let content = deflate(&qr_content(matrix));
        let mut form = pdf.form_xobject(*id, &content);
        form.filter(Filter::FlateDecode);
        form.bbox(Rect::new(0.0, 0.0, 1.0, 1.0));
    }
    Ok(pdf.finish())
}

/// The QR code in a unit square (quiet zone included): a white square, then one rectangle
/// per horizontal run of dark modules, y growing upwards as PDF wants.
fn qr_content(m: &Matrix) -> Vec<u8> {
    let side = (m.size + 2 * QUIET_ZONE) as f32;
    let module = 1.0 / side;
    let mut c = pdf_writer::Content::new();
    c.set_fill_rgb(1.0, 1.0, 1.0)
        .rect(0.0, 0.0, 1.0, 1.0)
        .fill_nonzero();
    c.set_fill_rgb(0.0, 0.0, 0.0);
    for (y, x, len) in m.runs() {
        let top = 1.0 - (y + QUIET_ZONE) as f32 * module;
        c.rect(
            (x + QUIET_ZONE) as f32 * module,
            top - module,
            len as f32 * module,
            module,
        );
    }
    c.fill_nonzero();
    c.finish().into_vec()
}

/// A six-letter subset tag derived from the glyphs kept (the same glyphs, the same tag).
fn subset_tag(font: &FontUse) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for gid in font.to_unicode.keys() {
        for b in gid.to_be_bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 8)) % 26) as u8))
        .collect()
}

fn write_font(
    pdf: &mut Pdf,
    refs: &mut Refs,
    type0_id: Ref,
    font: &FontUse,
) -> Result<(), DocError> {
    let cid_id = refs.next();
    let descriptor_id = refs.next();
    let file_id = refs.next();
    let cmap_id = refs.next();

    let subset = subsetter::subset(font.data, 0, &font.remapper)
        .map_err(|e| DocError::Font(format!("{e:?}")))?;
    let raw = ttf_parser::RawFace::parse(&subset, 0)
        .map_err(|e| DocError::Font(format!("subset unreadable: {e}")))?;
    let cff = raw
        .table(ttf_parser::Tag::from_bytes(b"CFF "))
        .ok_or_else(|| DocError::Font("subset has no CFF table".to_owned()))?;

    let base_font = format!("{}+{}", subset_tag(font), font.ps_name);
    let system_info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };

    pdf.type0_font(type0_id)
        .base_font(Name(base_font.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);

    {
        let mut cid = pdf.cid_font(cid_id);
        cid.subtype(CidFontType::Type0)
            .base_font(Name(base_font.as_bytes()))
            .system_info(system_info)
            .font_descriptor(descriptor_id)
            .default_width(1000.0);
        let mut widths = cid.widths();
        // Runs of consecutive glyph ids, each with its list of widths.
        let entries: Vec<(u16, f32)> = font.widths.iter().map(|(g, w)| (*g, *w)).collect();
        let mut i = 0;
        while i < entries.len() {
            let start = entries[i].0;
            let mut j = i;
            while j + 1 < entries.len() && entries[j + 1].0 == entries[j].0 + 1 {
                j += 1;
            }
            widths.consecutive(start, entries[i..=j].iter().map(|(_, w)| *w));
            i = j + 1;
        }
    }

    let (ascent, descent) = font.metrics();
    let bbox = font.bbox();
    pdf.font_descriptor(descriptor_id)
        .name(Name(base_font.as_bytes()))
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(bbox[0], bbox[1], bbox[2], bbox[3]))
        .italic_angle(0.0)
        .ascent(ascent * 1000.0)
        .descent(descent * 1000.0)
        .cap_height(733.0 * 1000.0 / font.units_per_em())
        .stem_v(if font.ps_name.contains("Bold") {
            140.0
        } else {
            80.0
        })
        .font_file3(file_id);

    let compressed = deflate(cff);
    pdf.stream(file_id, &compressed)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Subtype"), Name(b"CIDFontType0C"));

    let mut cmap = UnicodeCmap::new(
        Name(b"Custom"),
        SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"UCS"),
            supplement: 0,
        },
    );
    for (gid, c) in &font.to_unicode {
        cmap.pair(*gid, *c);
    }
    let cmap = cmap.finish();
    pdf.cmap(cmap_id, &deflate(&cmap))
        .filter(Filter::FlateDecode);
    Ok(())
}
