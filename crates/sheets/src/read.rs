//! Reading a file into a table: the format told from the bytes, CSV decoded and split, the
//! workbook formats handed to their readers, and the header found in the grid they return.

use crate::grid::{Cell, Format, Grid, MAX_COLUMNS, MAX_ROWS, ReadError, Row, Table};
use crate::workbook::{
    HEADER_ROWS, MAX_EXPANDED_MIB, MAX_SHEETS, Sparse, cell_of, check_expansion, guarded,
    pick_sheet,
};
use crate::xls::OLE;
use std::io::Cursor;

const PK: &[u8] = b"PK\x03\x04";
const ODS_MIME: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// Tells the format from the bytes themselves (a file's name or declared type can lie).
pub fn sniff(bytes: &[u8]) -> Result<Format, ReadError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ReadError::Empty);
    }
    if bytes.starts_with(PK) {
        // ODF packages start with an uncompressed `mimetype` entry naming their type.
        if bytes.get(30..38) == Some(b"mimetype")
            && bytes
                .get(38..)
                .is_some_and(|rest| rest.windows(ODS_MIME.len()).take(64).any(|w| w == ODS_MIME))
        {
            return Ok(Format::Ods);
        }
        return Ok(Format::Xlsx);
    }
    if bytes.starts_with(OLE) {
        return Ok(Format::Xls);
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Ok(Format::Csv);
    }
    // Text has no NUL and hardly any other control bytes.
    let controls = head
        .iter()
        .filter(|b| **b < 0x20 && !matches!(**b, b'\t' | b'\r' | b'\n' | 0x0C))
        .count();
    if controls > 0 {
        return Err(ReadError::Unsupported);
    }
    for magic in [
        &b"%PDF"[..],
        b"\x89PNG",
        b"GIF8",
        b"\xFF\xD8\xFF",
        b"{\\rtf",
    ] {
        if head.starts_with(magic) {
            return Err(ReadError::Unsupported);
        }
    }
    Ok(Format::Csv)
}

pub(crate) fn read(
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
    max_rows: usize,
) -> Result<Table, ReadError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ReadError::Empty);
    }
    let (grid, sheet, sheets, encoding) = match format {
        Format::Csv => {
            let (text, enc) = decode(bytes)?;
            (csv_grid(&text, max_rows)?, None, Vec::new(), Some(enc))
        }
        Format::Xlsx | Format::Xls | Format::Ods => {
            let (g, s, all) = workbook_grid(bytes, format, sheet, max_rows)?;
            (g, Some(s), all, None)
        }
    };
    table(grid, format, sheet, sheets, encoding, max_rows)
}

fn table(
    grid: Grid,
    format: Format,
    sheet: Option<String>,
    sheets: Vec<String>,
    encoding: Option<&'static str>,
    max_rows: usize,
) -> Result<Table, ReadError> {
    let non_empty = |cells: &[Cell]| cells.iter().filter(|c| !c.is_blank()).count();
    let header_at = grid
        .iter()
        .position(|(_, c)| non_empty(c) >= 2)
        .or_else(|| grid.iter().position(|(_, c)| non_empty(c) >= 1))
        .ok_or(ReadError::NoHeader)?;
    let width = grid[header_at..]
        .iter()
        .map(|(_, c)| {
            c.iter()
                .rposition(|x| !x.is_blank())
                .map(|i| i + 1)
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    if width > MAX_COLUMNS {
        return Err(ReadError::TooManyColumns { max: MAX_COLUMNS });
    }
    let (header_line, header_cells) = grid[header_at].clone();
    let mut headers: Vec<String> = Vec::with_capacity(width);
    for i in 0..width {
        let raw = header_cells
            .get(i)
            .map(|c| c.text.trim().trim_start_matches('\u{feff}').trim())
            .unwrap_or("");
        let base = if raw.is_empty() {
            format!("({})", column_letter(i))
        } else {
            raw.to_owned()
        };
        let mut name = base.clone();
        let mut n = 1;
        while headers.contains(&name) {
            n += 1;
            name = format!("{base} ({n})");
        }
        headers.push(name);
    }
    let mut rows = Vec::new();
    for (line, mut cells) in grid.into_iter().skip(header_at + 1) {
        if non_empty(&cells) == 0 {
            continue;
        }
        if rows.len() >= max_rows {
            return Err(ReadError::TooManyRows { max: max_rows });
        }
        cells.resize_with(width, Cell::empty);
        rows.push(Row { line, cells });
    }
    if rows.is_empty() {
        return Err(ReadError::NoRows);
    }
    Ok(Table {
        format,
        sheet,
        sheets,
        encoding,
        header_line,
        headers,
        rows,
    })
}

/// `A`, `B`, … `Z`, `AA`, … for the 0-based column `i`.
pub fn column_letter(i: usize) -> String {
    let mut n = i + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

/// The text of a CSV file: UTF-8 (a BOM is dropped), UTF-16 with a BOM, else GB18030.
fn decode(bytes: &[u8]) -> Result<(String, &'static str), ReadError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_owned(), "UTF-8"))
            .map_err(|_| ReadError::Encoding);
    }
    for (bom, enc, name) in [
        (&[0xFF, 0xFE], encoding_rs::UTF_16LE, "UTF-16LE"),
        (&[0xFE, 0xFF], encoding_rs::UTF_16BE, "UTF-16BE"),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return enc
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(|s| (s.into_owned(), name))
                .ok_or(ReadError::Encoding);
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_owned(), "UTF-8"));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| (s.into_owned(), "GB18030"))
        .ok_or(ReadError::Encoding)
}

/// The delimiter used most in the first line (outside quotes): `,`, `;` or tab.
fn delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|i| (counts[*i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

fn csv_grid(text: &str, max_rows: usize) -> Result<Grid, ReadError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let mut grid = Vec::new();
    let mut rec = csv::StringRecord::new();
    let mut row: u32 = 0;
    let bytes = text.as_bytes();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(ReadError::Corrupt(e.to_string())),
        }
        // Blank lines the reader skipped (they start the record's span) are rows of the
        // spreadsheet too; a cell spanning lines is still one row.
        let start = rec
            .position()
            .map(|p| usize::try_from(p.byte()).unwrap_or(0))
            .unwrap_or(0);
        let blanks = blank_lines_before(bytes, start);
        row += 1 + u32::try_from(blanks).unwrap_or(0);
        if rec.len() > MAX_COLUMNS {
            return Err(ReadError::TooManyColumns { max: MAX_COLUMNS });
        }
        grid.push((row, rec.iter().map(Cell::text).collect()));
        // The header and a few title rows come on top of the data rows.
        if grid.len() > max_rows + 20 {
            return Err(ReadError::TooManyRows { max: max_rows });
        }
    }
    Ok(grid)
}

/// Line breaks (CRLF, LF or CR) starting at `start`, not counting the LF that completes the
/// previous record's CRLF.
fn blank_lines_before(bytes: &[u8], start: usize) -> usize {
    let run = bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .count();
    let mut i = start;
    if start > 0 && bytes.get(start - 1) == Some(&b'\r') && bytes.get(start) == Some(&b'\n') {
        i += 1;
    }
    let mut n = 0;
    while i < start + run {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 2;
        } else {
            i += 1;
        }
        n += 1;
    }
    n
}

fn workbook_grid(
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
    max_rows: usize,
) -> Result<(Grid, String, Vec<String>), ReadError> {
    match format {
        Format::Xls => crate::xls::grid(bytes, sheet, max_rows),
        Format::Ods => {
            check_expansion(bytes)?;
            crate::ods::grid(bytes, sheet, max_rows)
        }
        _ => {
            check_expansion(bytes)?;
            check_shared_strings(bytes)?;
            guarded(|| xlsx_grid(bytes, sheet, max_rows))
        }
    }
}

/// Reads the chosen sheet of an XLSX workbook cell by cell (calamine's streaming reader),
/// never building the range the sheet declares.
fn xlsx_grid(
    bytes: &[u8],
    sheet: Option<&str>,
    max_rows: usize,
) -> Result<(Grid, String, Vec<String>), ReadError> {
    use calamine::Reader;
    let corrupt = |e: &dyn std::fmt::Display| ReadError::Corrupt(e.to_string());
    let mut wb: calamine::Xlsx<_> =
        calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| corrupt(&e))?;
    let names = wb.sheet_names().to_owned();
    if names.len() > MAX_SHEETS {
        return Err(ReadError::Expands {
            max_mib: MAX_EXPANDED_MIB,
        });
    }
    let name = pick_sheet(&names, sheet)?;
    let mut cells = wb.worksheet_cells_reader(&name).map_err(|e| corrupt(&e))?;
    let mut sparse = Sparse::new(max_rows);
    while let Some(c) = cells.next_cell().map_err(|e| corrupt(&e))? {
        let (row, col) = c.get_position();
        let value: calamine::Data = c.get_value().clone().into();
        sparse.put(u64::from(row), u64::from(col), cell_of(&value))?;
    }
    if sparse.rows() == 0 {
        return Err(ReadError::NoHeader);
    }
    Ok((sparse.grid(), name, names))
}

/// The most shared strings a workbook may declare: one per cell of a full import.
const MAX_SHARED_STRINGS: u64 = ((MAX_ROWS + HEADER_ROWS) * MAX_COLUMNS) as u64;

/// calamine reserves room for as many shared strings as the table declares before reading
/// one: refuse a count that its part cannot hold (each `<si>` takes at least 10 bytes) or that
/// no import needs.
fn check_shared_strings(bytes: &[u8]) -> Result<(), ReadError> {
    use quick_xml::events::Event;
    let Ok(mut z) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    for i in 0..z.len() {
        let Ok(f) = z.by_index(i) else { continue };
        let is_sst = f
            .name()
            .is_ok_and(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"));
        if !is_sst {
            continue;
        }
        let size = f.size();
        let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(f));
        let mut buf = Vec::new();
        // Read up to the table's element, whatever comes before it (calamine does too,
        // and reserves room for `uniqueCount` entries when it gets there).
        loop {
            buf.clear();
            match xml.read_event_into(&mut buf) {
                Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "sst" => {
                    for key in ["uniqueCount", "count"] {
                        let Ok(Some(a)) = e.try_get_attribute(key) else {
                            continue;
                        };
                        let n: u64 = a.value.trim().parse().unwrap_or(u64::MAX);
                        if key == "uniqueCount" && n > size / 10 + 1 {
                            return Err(ReadError::Corrupt(format!(
                                "the shared strings declare {n} entries in {size} bytes"
                            )));
                        }
                        if n > MAX_SHARED_STRINGS && key == "uniqueCount" {
                            return Err(ReadError::Expands {
                                max_mib: MAX_EXPANDED_MIB,
                            });
                        }
                    }
                    break;
                }
                Ok(Event::Eof) => break,
                Err(e) => return Err(ReadError::Corrupt(e.to_string())),
                Ok(_) => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::CellKind;
    use crate::workbook::number_text;

    fn csv(bytes: &[u8]) -> Table {
        let f = sniff(bytes).expect("sniff");
        assert_eq!(f, Format::Csv);
        read(bytes, f, None, 1000).expect("read")
    }

    fn texts(t: &Table) -> Vec<(u32, Vec<String>)> {
        t.rows
            .iter()
            .map(|r| (r.line, r.cells.iter().map(|c| c.text.clone()).collect()))
            .collect()
    }

    #[test]
    fn utf8_with_and_without_bom_reads_the_same() {
        let plain = "客户名称,手机\n张伟,13800138000\n".as_bytes().to_vec();
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(&plain);
        let a = csv(&plain);
        let b = csv(&bom);
        assert_eq!(a.headers, vec!["客户名称", "手机"]);
        assert_eq!(a.headers, b.headers);
        assert_eq!(texts(&a), texts(&b));
        assert_eq!(
            texts(&a),
            vec![(2, vec!["张伟".into(), "13800138000".into()])]
        );
        assert_eq!(a.encoding, Some("UTF-8"));
    }

    #[test]
    fn gb18030_as_chinese_excel_saves_csv_is_decoded() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("客户名称,地址\n李娜,沈阳市和平区\n");
        assert!(std::str::from_utf8(&bytes).is_err());
        let t = csv(&bytes);
        assert_eq!(t.encoding, Some("GB18030"));
        assert_eq!(t.headers, vec!["客户名称", "地址"]);
        assert_eq!(t.rows[0].cells[1].text, "沈阳市和平区");
    }

    #[test]
    fn utf16_text_with_tabs_is_read() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "名称\t电话\r\n王五\t024-2345 6789\r\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let t = csv(&bytes);
        assert_eq!(t.encoding, Some("UTF-16LE"));
        assert_eq!(t.headers, vec!["名称", "电话"]);
        assert_eq!(t.rows[0].cells[1].text, "024-2345 6789");
    }

    #[test]
    fn row_numbers_are_those_a_spreadsheet_shows() {
        // A title row, the header on row 2, a blank row 4, a cell spanning two lines on row 5.
        let t = csv("客户清单\n名称,地址\n甲,一号\n\n乙,\"二号\n后楼\"\n丙,三号\n".as_bytes());
        assert_eq!(t.header_line, 2);
        let lines: Vec<u32> = t.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 5, 6]);
        assert_eq!(t.rows[1].cells[1].text, "二号\n后楼");
    }

    #[test]
    fn crlf_lines_count_once_and_blank_crlf_lines_count_as_rows() {
        let t = csv("a,b\r\n1,2\r\n\r\n3,4\r\n5,6\r\n".as_bytes());
        let lines: Vec<u32> = t.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 4, 5]);
    }

    #[test]
    fn semicolons_and_odd_headers() {
        let t = csv("Name;;Name;Phone\nA;x;B;1\nC;;D;2;extra\n".as_bytes());
        assert_eq!(t.headers, vec!["Name", "(B)", "Name (2)", "Phone", "(E)"]);
        assert_eq!(t.rows[1].cells[4].text, "extra");
        assert_eq!(t.rows[0].cells[4].kind, CellKind::Empty);
    }

    #[test]
    fn bad_files_are_named_by_a_code() {
        assert_eq!(sniff(b"").expect_err("empty").code(), "empty_file");
        assert_eq!(sniff(b"  \n ").expect_err("blank").code(), "empty_file");
        assert_eq!(
            sniff(b"%PDF-1.7\n...").expect_err("pdf").code(),
            "unsupported_file_type"
        );
        assert_eq!(
            sniff(&[0x00, 0x01, 0x02, 0x41]).expect_err("binary").code(),
            "unsupported_file_type"
        );
        assert_eq!(
            read(b"name,phone\n", Format::Csv, None, 10)
                .expect_err("header only")
                .code(),
            "no_data_rows"
        );
        assert_eq!(
            read(b"a,b\n1,2\n3,4\n5,6\n", Format::Csv, None, 2)
                .expect_err("too many")
                .code(),
            "too_many_rows"
        );
        assert_eq!(
            read(b"PK\x03\x04garbage", Format::Xlsx, None, 10)
                .expect_err("broken zip")
                .code(),
            "unreadable_file"
        );
        assert_eq!(
            read(&[0xFF, 0xFE, 0x00, 0xD8], Format::Csv, None, 10)
                .expect_err("bad utf-16")
                .code(),
            "unknown_encoding"
        );
    }

    #[test]
    fn a_workbook_that_would_expand_too_far_is_refused_before_inflating() {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .large_file(true);
        w.start_file("xl/worksheets/sheet1.xml", opts)
            .expect("entry");
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..(MAX_EXPANDED_MIB + 1) {
            w.write_all(&zeros).expect("write");
        }
        let bytes = w.finish().expect("finish").into_inner();
        assert!(
            bytes.len() < 8 * 1024 * 1024,
            "small on the wire: {}",
            bytes.len()
        );
        assert_eq!(
            read(&bytes, Format::Xlsx, None, 10)
                .expect_err("refused")
                .code(),
            "workbook_expands"
        );
    }

    #[test]
    fn numbers_lose_no_digits_and_gain_no_decimals() {
        assert_eq!(number_text(13800138000.0), "13800138000");
        assert_eq!(number_text(6.0), "6");
        assert_eq!(number_text(0.5), "0.5");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
    }
}
