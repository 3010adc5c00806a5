//! Checking uploaded images (photos of a visit, the customer's signature) before they are
//! kept: the type by its signature, the file's structure walked to its end marker (nothing
//! may follow it: a "PNG" that goes on with HTML is refused), and the image decoded in full
//! within a size bound. What passes is served back as the image it is.

/// Why an image was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageProblem {
    /// Not JPEG, PNG or WebP by its first bytes.
    UnknownType,
    /// The structure is broken, data follows the image's end, it does not decode, or it
    /// is larger than allowed.
    Corrupt,
}

/// The largest side and area of a photo (a 50-megapixel phone camera fits).
pub const PHOTO_MAX_SIDE: u32 = 16_384;
pub const PHOTO_MAX_PIXELS: u64 = 50_000_000;

/// The image type of `bytes` by its signature, if it is one we keep.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(PNG_SIGNATURE) {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

const PNG_SIGNATURE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Checks a photo in full; returns its content type and how many of its bytes are the
/// image. A JPEG is kept up to its end marker: phones append data after it (a "motion
/// photo"'s video, maker trailers), which is cut off rather than refused, so what is kept
/// is the picture and nothing else. A PNG or WebP must end where it says.
pub fn check_photo(bytes: &[u8]) -> Result<(&'static str, usize), ImageProblem> {
    let t = image_type(bytes).ok_or(ImageProblem::UnknownType)?;
    let kept = match t {
        "image/png" => png_ok(bytes, PHOTO_MAX_SIDE, PHOTO_MAX_PIXELS).then_some(bytes.len()),
        "image/jpeg" => jpeg_end(bytes).filter(|end| jpeg_ok(&bytes[..*end])),
        _ => webp_ok(bytes).then_some(bytes.len()),
    };
    kept.map(|n| (t, n)).ok_or(ImageProblem::Corrupt)
}

fn within(w: u32, h: u32, max_side: u32, max_pixels: u64) -> bool {
    w > 0 && h > 0 && w <= max_side && h <= max_side && u64::from(w) * u64::from(h) <= max_pixels
}

/// A PNG that ends at its `IEND` chunk and decodes whole within the bounds.
pub fn png_ok(bytes: &[u8], max_side: u32, max_pixels: u64) -> bool {
    if png_end(bytes) != Some(bytes.len()) {
        return false;
    }
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(bytes),
        png::Limits {
            bytes: 256 * 1024 * 1024,
        },
    );
    decoder.set_ignore_text_chunk(true);
    let Ok(mut reader) = decoder.read_info() else {
        return false;
    };
    let info = reader.info();
    if !within(info.width, info.height, max_side, max_pixels) {
        return false;
    }
    let Some(size) = reader.output_buffer_size() else {
        return false;
    };
    let mut buf = vec![0; size];
    if reader.next_frame(&mut buf).is_err() {
        return false;
    }
    reader.finish().is_ok()
}

/// Where a PNG ends: just after its `IEND` chunk (walking the chunks' declared lengths).
fn png_end(b: &[u8]) -> Option<usize> {
    if !b.starts_with(PNG_SIGNATURE) {
        return None;
    }
    let mut i = PNG_SIGNATURE.len();
    loop {
        let len = u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?) as usize;
        let kind = b.get(i + 4..i + 8)?;
        let end = i.checked_add(12)?.checked_add(len)?;
        if end > b.len() {
            return None;
        }
        if kind == b"IEND" {
            return Some(end);
        }
        i = end;
    }
}

/// Where a JPEG ends: just after its `EOI` marker (walking the segments and the
/// entropy-coded data of each scan).
fn jpeg_end(b: &[u8]) -> Option<usize> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        while *b.get(i)? == 0xFF {
            i += 1;
        }
        let marker = b[i];
        i += 1;
        match marker {
            0xD9 => return Some(i),
            0xD0..=0xD7 | 0x01 => continue,
            0x00 => return None,
            _ => {
                let len = usize::from(u16::from_be_bytes(b.get(i..i + 2)?.try_into().ok()?));
                if len < 2 {
                    return None;
                }
                i += len;
                if i > b.len() {
                    return None;
                }
                if marker == 0xDA {
                    // Entropy-coded data: up to the next marker that is not a stuffed
                    // 0xFF00 or a restart marker.
                    loop {
                        if *b.get(i)? == 0xFF {
                            match *b.get(i + 1)? {
                                0x00 | 0xD0..=0xD7 => i += 2,
                                0xFF => i += 1,
                                _ => break,
                            }
                        } else {
                            i += 1;
                        }
                    }
                }
            }
        }
    }
}

/// A JPEG that ends at its `EOI` marker and decodes whole within the bounds.
fn jpeg_ok(bytes: &[u8]) -> bool {
    if jpeg_end(bytes) != Some(bytes.len()) {
        return false;
    }
    let opts = zune_jpeg::zune_core::options::DecoderOptions::default()
        .set_max_width(PHOTO_MAX_SIDE as usize)
        .set_max_height(PHOTO_MAX_SIDE as usize)
        .set_strict_mode(true);
    let mut d = zune_jpeg::JpegDecoder::new_with_options(std::io::Cursor::new(bytes), opts);
    if d.decode_headers().is_err() {
        return false;
    }
    let Some((w, h)) = d.dimensions() else {
        return false;
    };
    let (Ok(w), Ok(h)) = (u32::try_from(w), u32::try_from(h)) else {
        return false;
    };
    if !within(w, h, PHOTO_MAX_SIDE, PHOTO_MAX_PIXELS) {
        return false;
    }
    d.decode().is_ok()
}

/// A WebP whose RIFF size is the file's and that decodes whole within the bounds.
fn webp_ok(bytes: &[u8]) -> bool {
    let Some(declared) = bytes.get(4..8).and_then(|s| s.try_into().ok()) else {
        return false;
    };
    let declared = u32::from_le_bytes(declared) as usize;
    if declared.checked_add(8) != Some(bytes.len()) {
        return false;
    }
    let Ok(mut d) = image_webp::WebPDecoder::new(std::io::Cursor::new(bytes)) else {
        return false;
    };
    let (w, h) = d.dimensions();
    if !within(w, h, PHOTO_MAX_SIDE, PHOTO_MAX_PIXELS) {
        return false;
    }
    let Some(size) = d.output_buffer_size() else {
        return false;
    };
    let mut buf = vec![0; size];
    d.read_image(&mut buf).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().expect("header");
        wr.write_image_data(&vec![200u8; (w * h) as usize])
            .expect("data");
        wr.finish().expect("finish");
        out
    }

    #[test]
    fn a_png_followed_by_html_is_refused() {
        let good = png(8, 4);
        assert_eq!(check_photo(&good), Ok(("image/png", good.len())));
        let mut bad = good.clone();
        bad.extend_from_slice(b"<html><script>alert(1)</script></html>");
        assert_eq!(check_photo(&bad), Err(ImageProblem::Corrupt));
        // Cut short, or its pixels damaged: refused too.
        assert_eq!(
            check_photo(&good[..good.len() - 20]),
            Err(ImageProblem::Corrupt)
        );
        assert_eq!(
            check_photo(b"<html>not an image</html>"),
            Err(ImageProblem::UnknownType)
        );
    }

    #[test]
    fn a_jpeg_is_walked_to_its_end_marker() {
        // SOI, a comment, SOS with stuffed bytes and a restart marker, EOI.
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x04, b'h', b'i'];
        j.extend_from_slice(&[
            0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56,
        ]);
        j.extend_from_slice(&[0xFF, 0xD9]);
        assert_eq!(jpeg_end(&j), Some(j.len()));
        let mut more = j.clone();
        more.extend_from_slice(b"<html>");
        assert_eq!(jpeg_end(&more), Some(j.len()));
        assert!(!jpeg_ok(&more));
        assert_eq!(jpeg_end(&j[..j.len() - 1]), None);
    }

    #[test]
    fn a_webp_must_be_as_long_as_it_says() {
        let mut w = b"RIFF\x04\x00\x00\x00WEBP".to_vec();
        assert!(!webp_ok(&w)); // declared 4 + 8 = 12 bytes, but the chunk is empty: no image
        w.extend_from_slice(b"<html>");
        assert!(!webp_ok(&w));
    }
}
