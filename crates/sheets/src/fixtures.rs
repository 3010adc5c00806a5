//! Workbooks made in memory for tests, hostile ones included (a sparse sheet whose furthest
//! cell is at the format's limit, lying dimensions, huge declared counts). Compiled for this
//! crate's tests and, with the `fixtures` feature, for other crates' tests; never shipped in
//! the binary.

use std::io::{Cursor, Write};

fn zip_of(parts: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes, stored) in parts {
        let method = if *stored {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        w.start_file(*name, opts).expect("zip entry");
        w.write_all(bytes).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// An XLSX workbook of one sheet: `sheet_data` is the inside of `<sheetData>`, `dimension`
/// the `<dimension ref>` it declares, `shared` the inside of `<sst …>` with its attributes.
pub fn xlsx(sheet_data: &str, dimension: &str, shared: Option<(&str, &str)>) -> Vec<u8> {
    let sst = shared.map(|(attrs, inner)| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" {attrs}>{inner}</sst>"#
        )
    });
    xlsx_parts(sheet_data, dimension, sst.as_deref())
}

/// A workbook like [`xlsx`] whose shared-strings part is `sst`, written out whole.
pub fn xlsx_with_shared_part(sheet_data: &str, sst: &str) -> Vec<u8> {
    xlsx_parts(sheet_data, "A1", Some(sst))
}

fn xlsx_parts(sheet_data: &str, dimension: &str, sst: Option<&str>) -> Vec<u8> {
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
    let rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let wb_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
    );
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/><sheetData>{sheet_data}</sheetData></worksheet>"#
    );
    let mut parts: Vec<(&str, &[u8], bool)> = vec![
        ("[Content_Types].xml", types.as_bytes(), false),
        ("_rels/.rels", rels.as_bytes(), false),
        ("xl/workbook.xml", workbook.as_bytes(), false),
        ("xl/_rels/workbook.xml.rels", wb_rels.as_bytes(), false),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes(), false),
    ];
    if let Some(s) = sst {
        parts.push(("xl/sharedStrings.xml", s.as_bytes(), false));
    }
    zip_of(&parts)
}

/// An inline-string cell for [`xlsx`].
pub fn xlsx_cell(at: &str, text: &str) -> String {
    format!(r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// The header and one good customer row, as `<row>` elements for [`xlsx`].
pub fn xlsx_customer_rows() -> String {
    format!(
        r#"<row r="1">{}{}</row><row r="2">{}{}</row>"#,
        xlsx_cell("A1", "客户名称"),
        xlsx_cell("B1", "手机"),
        xlsx_cell("A2", "张三"),
        xlsx_cell("B2", "13800000001"),
    )
}

/// The workbook of the report: a customer list whose sheet also holds one cell at XFD1048576
/// (the last cell a sheet can have), declaring the whole sheet as its dimension.
pub fn sparse_xlsx() -> Vec<u8> {
    let far = format!(r#"<row r="1048576">{}</row>"#, xlsx_cell("XFD1048576", "x"));
    xlsx(
        &format!("{}{far}", xlsx_customer_rows()),
        "A1:XFD1048576",
        None,
    )
}

fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

fn bof(dt: u16) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend_from_slice(&0x0600u16.to_le_bytes());
    d.extend_from_slice(&dt.to_le_bytes());
    d.extend_from_slice(&0x0DBBu16.to_le_bytes());
    d.extend_from_slice(&0x07CCu16.to_le_bytes());
    d.extend_from_slice(&0u32.to_le_bytes());
    d.extend_from_slice(&0x0006u32.to_le_bytes());
    d
}

/// A BIFF8 workbook stream of one sheet `Sheet1` holding text cells (row, column, text), with
/// a `DIMENSIONS` record declaring (first row, last row + 1, first column, last column + 1).
pub fn biff8(cells: &[(u16, u16, &str)], dimensions: (u32, u32, u16, u16)) -> Vec<u8> {
    let mut globals = Vec::new();
    record(&mut globals, 0x0809, &bof(0x0005));
    let name = b"Sheet1";
    let boundsheet_len = 4 + 4 + 4 + name.len();
    // The sheet starts after this BoundSheet8 record and the globals' EOF.
    let pos = globals.len() + boundsheet_len + 4;
    let mut bs = Vec::new();
    bs.extend_from_slice(&(pos as u32).to_le_bytes());
    bs.extend_from_slice(&[0, 0, name.len() as u8, 0]);
    bs.extend_from_slice(name);
    record(&mut globals, 0x0085, &bs);
    record(&mut globals, 0x000A, &[]);
    assert_eq!(globals.len(), pos);
    let mut sheet = Vec::new();
    record(&mut sheet, 0x0809, &bof(0x0010));
    let (r0, r1, c0, c1) = dimensions;
    let mut dim = Vec::new();
    dim.extend_from_slice(&r0.to_le_bytes());
    dim.extend_from_slice(&r1.to_le_bytes());
    dim.extend_from_slice(&c0.to_le_bytes());
    dim.extend_from_slice(&c1.to_le_bytes());
    dim.extend_from_slice(&0u16.to_le_bytes());
    record(&mut sheet, 0x0200, &dim);
    for (r, c, text) in cells {
        let units: Vec<u16> = text.encode_utf16().collect();
        let mut d = Vec::new();
        d.extend_from_slice(&r.to_le_bytes());
        d.extend_from_slice(&c.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        d.extend_from_slice(&(units.len() as u16).to_le_bytes());
        d.push(1);
        for u in units {
            d.extend_from_slice(&u.to_le_bytes());
        }
        record(&mut sheet, 0x0204, &d);
    }
    record(&mut sheet, 0x000A, &[]);
    globals.extend(sheet);
    globals
}

/// An XLS file (an OLE compound file) holding a BIFF8 workbook stream.
pub fn xls(stream: &[u8]) -> Vec<u8> {
    crate::xls::write_compound(stream)
}

/// The header and one good customer row, as cells for [`biff8`].
pub const XLS_CUSTOMER_CELLS: [(u16, u16, &str); 4] = [
    (0, 0, "客户名称"),
    (0, 1, "手机"),
    (1, 0, "张三"),
    (1, 1, "13800000001"),
];

/// A customer list in XLS whose sheet also holds a cell at IV65536, the last cell of an XLS
/// sheet.
pub fn sparse_xls() -> Vec<u8> {
    let mut cells = XLS_CUSTOMER_CELLS.to_vec();
    cells.push((65_535, 255, "x"));
    xls(&biff8(&cells, (0, 65_536, 0, 256)))
}

/// An ODS file whose `content.xml` body (inside `<office:spreadsheet>`) is `tables`.
pub fn ods(tables: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    zip_of(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
            true,
        ),
        ("META-INF/manifest.xml", manifest.as_bytes(), false),
        ("content.xml", content.as_bytes(), false),
    ])
}

/// A string cell for [`ods`].
pub fn ods_cell(text: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#
    )
}

/// The header and one good customer row, as `<table:table-row>` elements for [`ods`].
pub fn ods_customer_rows() -> String {
    format!(
        "<table:table-row>{}{}</table:table-row><table:table-row>{}{}</table:table-row>",
        ods_cell("客户名称"),
        ods_cell("手机"),
        ods_cell("张三"),
        ods_cell("13800000001"),
    )
}

/// A customer list in ODS ending as LibreOffice ends a sheet (a million empty rows in one
/// repeated row) and then one cell at the last column of the last row.
pub fn sparse_ods() -> Vec<u8> {
    ods(&format!(
        r#"<table:table table:name="Sheet1"><table:table-column table:number-columns-repeated="16384"/>{}<table:table-row table:number-rows-repeated="1048573"><table:table-cell table:number-columns-repeated="16384"/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="16383"/>{}</table:table-row></table:table>"#,
        ods_customer_rows(),
        ods_cell("x"),
    ))
}

/// A workbook of about 700 KB whose one part declares (and holds) 600 MiB of blanks.
pub fn expanding_xlsx() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    w.start_file("xl/worksheets/sheet1.xml", opts)
        .expect("zip entry");
    let blanks = vec![b' '; 1024 * 1024];
    for _ in 0..600 {
        w.write_all(&blanks).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}
