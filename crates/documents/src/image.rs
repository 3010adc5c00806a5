//! The signature image: any PNG decoded to 8-bit samples, its transparency split off as a
//! soft mask, as a PDF image wants them.

use crate::DocError;

/// The largest signature accepted, in pixels per side (a signature pad makes ~1000 × 400).
const MAX_SIDE: u32 = 4000;

pub(crate) struct Raster {
    pub width: u32,
    pub height: u32,
    /// `true`: one sample per pixel (gray); `false`: three (RGB).
    pub gray: bool,
    pub samples: Vec<u8>,
    /// One alpha sample per pixel, if the image has any transparency.
    pub alpha: Option<Vec<u8>>,
}

pub(crate) fn decode_png(bytes: &[u8]) -> Result<Raster, DocError> {
    let bad = |e: &dyn std::fmt::Display| DocError::SignatureImage(e.to_string());
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(bytes),
        png::Limits {
            bytes: 64 * 1024 * 1024,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| bad(&e))?;
    let (width, height) = (reader.info().width, reader.info().height);
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(DocError::SignatureImage(format!(
            "{width} × {height} pixels (at most {MAX_SIDE} per side)"
        )));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| DocError::SignatureImage("too large".to_owned()))?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(|e| bad(&e))?;
    buf.truncate(frame.buffer_size());

    let (channels, gray) = match frame.color_type {
        png::ColorType::Grayscale => (1, true),
        png::ColorType::GrayscaleAlpha => (2, true),
        png::ColorType::Rgb => (3, false),
        png::ColorType::Rgba => (4, false),
        png::ColorType::Indexed => {
            return Err(DocError::SignatureImage("palette not expanded".to_owned()));
        }
    };
    let has_alpha = channels == 2 || channels == 4;
    let color_channels = if gray { 1 } else { 3 };
    let pixels = buf.len() / channels;
    let mut samples = Vec::with_capacity(pixels * color_channels);
    let mut alpha = Vec::with_capacity(if has_alpha { pixels } else { 0 });
    for px in buf.chunks_exact(channels) {
        samples.extend_from_slice(&px[..color_channels]);
        if has_alpha {
            alpha.push(px[channels - 1]);
        }
    }
    let alpha = (has_alpha && alpha.iter().any(|&a| a != 255)).then_some(alpha);
    Ok(Raster {
        width,
        height,
        gray,
        samples,
        alpha,
    })
}
