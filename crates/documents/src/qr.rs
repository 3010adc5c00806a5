//! The verification QR code: one module matrix, drawn as PDF rectangles, as SVG, or as PNG.

use crate::DocError;

/// Light modules around the code, as the QR standard asks.
pub(crate) const QUIET_ZONE: usize = 4;

/// The code's dark modules, row by row, without the quiet zone.
pub(crate) struct Matrix {
    pub size: usize,
    dark: Vec<bool>,
}

impl Matrix {
    pub(crate) fn encode(url: &str) -> Result<Self, DocError> {
        // Level M survives a smudge or a fold (15 % of the modules) at a moderate size.
        let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M)
            .map_err(|e| DocError::QrCode(e.to_string()))?;
        let size = code.width();
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        Ok(Self { size, dark })
    }

    pub(crate) fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.size + x]
    }

    /// Horizontal runs of dark modules: (row, first column, length). Fewer, larger
    /// rectangles than one per module, with no hairline seams between them.
    pub(crate) fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for y in 0..self.size {
            let mut x = 0;
            while x < self.size {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.size && self.is_dark(x, y) {
                        x += 1;
                    }
                    runs.push((y, start, x - start));
                } else {
                    x += 1;
                }
            }
        }
        runs
    }
}

/// The QR code for `url` as an SVG image (one path, black on white, with its quiet zone),
/// scalable by CSS: it has a `viewBox` in modules and no fixed size.
pub fn qr_svg(url: &str) -> Result<String, DocError> {
    let m = Matrix::encode(url)?;
    let side = m.size + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (y, x, len) in m.runs() {
        path.push_str(&format!(
            "M{} {}h{len}v1h-{len}z",
            x + QUIET_ZONE,
            y + QUIET_ZONE
        ));
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\" role=\"img\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

/// The QR code for `url` as a grayscale PNG, `module_px` pixels per module (at least 1),
/// with its quiet zone.
pub fn qr_png(url: &str, module_px: u32) -> Result<Vec<u8>, DocError> {
    let m = Matrix::encode(url)?;
    let scale = module_px.clamp(1, 64) as usize;
    let side = (m.size + 2 * QUIET_ZONE) * scale;
    let mut pixels = vec![255u8; side * side];
    for (y, x, len) in m.runs() {
        for py in (y + QUIET_ZONE) * scale..(y + QUIET_ZONE + 1) * scale {
            let row = &mut pixels[py * side..(py + 1) * side];
            row[(x + QUIET_ZONE) * scale..(x + QUIET_ZONE + len) * scale].fill(0);
        }
    }
    let mut out = Vec::new();
    let side_u32 = u32::try_from(side).map_err(|e| DocError::QrCode(e.to_string()))?;
    let mut encoder = png::Encoder::new(&mut out, side_u32, side_u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let png_err = |e: png::EncodingError| DocError::QrCode(e.to_string());
    let mut writer = encoder.write_header().map_err(png_err)?;
    writer.write_image_data(&pixels).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(out)
}
