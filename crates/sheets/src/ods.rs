//! OpenDocument spreadsheets (`.ods`), read as a stream of XML events from `content.xml`.
//!
//! calamine's ODS reader builds every sheet of the file as a dense range, expanding repeated
//! rows and cells, so we read the chosen sheet ourselves: repeated empty rows and cells only
//! move the position (LibreOffice ends a sheet with one row repeated a million times), and
//! repeated non-empty ones are refused as soon as they would cross a cap.

use crate::grid::{Cell, CellKind, Grid, MAX_COLUMNS, ReadError};
use crate::workbook::{
    MAX_EXPANDED_MIB, MAX_SHEETS, Sparse, check_cell_len, number_text, pick_sheet,
};
use quick_xml::events::{BytesStart, Event};
use std::io::{BufRead, BufReader, Cursor};

fn corrupt(e: impl std::fmt::Display) -> ReadError {
    ReadError::Corrupt(e.to_string())
}

/// Reads the table of the chosen sheet of an ODS file.
pub(crate) fn grid(
    bytes: &[u8],
    sheet: Option<&str>,
    max_rows: usize,
) -> Result<(Grid, String, Vec<String>), ReadError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    let names = {
        let mut xml = content(&mut zip)?;
        sheet_names(&mut xml)?
    };
    let name = pick_sheet(&names, sheet)?;
    let index = names.iter().position(|n| *n == name).unwrap_or(0);
    let mut xml = content(&mut zip)?;
    let sparse = read_sheet(&mut xml, index, max_rows)?;
    if sparse.rows() == 0 {
        return Err(ReadError::NoHeader);
    }
    Ok((sparse.grid(), name, names))
}

fn content<'z>(
    zip: &'z mut zip::ZipArchive<Cursor<&[u8]>>,
) -> Result<quick_xml::Reader<impl BufRead + 'z>, ReadError> {
    let f = zip.by_name("content.xml").map_err(corrupt)?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(f));
    xml.config_mut().check_end_names = false;
    Ok(xml)
}

fn attr(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, ReadError> {
    match e.try_get_attribute(key).map_err(corrupt)? {
        Some(a) => Ok(Some(
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(corrupt)?
                .into_owned(),
        )),
        None => Ok(None),
    }
}

/// A repeat count: 1 when absent; a malformed one makes the file unreadable.
fn repeat(e: &BytesStart<'_>, key: &str) -> Result<u64, ReadError> {
    match attr(e, key)? {
        None => Ok(1),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ReadError::Corrupt(format!("bad repeat count {v}"))),
    }
}

fn sheet_names<R: BufRead>(xml: &mut quick_xml::Reader<R>) -> Result<Vec<String>, ReadError> {
    let mut names = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(corrupt)? {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "table:table" => {
                names.push(attr(&e, "table:name")?.unwrap_or_default());
                if names.len() > MAX_SHEETS {
                    return Err(ReadError::Expands {
                        max_mib: MAX_EXPANDED_MIB,
                    });
                }
            }
            Event::Eof => return Ok(names),
            _ => {}
        }
    }
}

/// Reads the `index`-th table (tables nested in cells are not counted).
fn read_sheet<R: BufRead>(
    xml: &mut quick_xml::Reader<R>,
    index: usize,
    max_rows: usize,
) -> Result<Sparse, ReadError> {
    let mut sparse = Sparse::new(max_rows);
    let mut buf = Vec::new();
    let mut seen = 0usize;
    // Find the table.
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(corrupt)? {
            Event::Start(e) if e.name().as_ref() == "table:table" => {
                if seen == index {
                    break;
                }
                seen += 1;
                xml.read_to_end_into(e.name(), &mut Vec::new())
                    .map_err(corrupt)?;
            }
            Event::Empty(e) if e.name().as_ref() == "table:table" => {
                if seen == index {
                    return Ok(sparse);
                }
                seen += 1;
            }
            Event::Eof => return Ok(sparse),
            _ => {}
        }
    }
    let mut row: u64 = 0;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(corrupt)? {
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                let times = repeat(&e, "table:number-rows-repeated")?;
                let cells = read_row(xml)?;
                if !cells.is_empty() {
                    // Each copy is a row of its own; the caps stop a large repeat early.
                    for k in 0..times {
                        for (col, cell) in &cells {
                            sparse.put(row.saturating_add(k), *col, cell.clone())?;
                        }
                    }
                }
                row = row.saturating_add(times);
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                row = row.saturating_add(repeat(&e, "table:number-rows-repeated")?);
            }
            // Columns, shapes and the like have no cells.
            Event::Start(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-columns"
                        | "table:table-column-group"
                        | "table:table-header-columns"
                        | "table:shapes"
                        | "table:named-expressions"
                        | "office:forms"
                ) =>
            {
                xml.read_to_end_into(e.name(), &mut Vec::new())
                    .map_err(corrupt)?;
            }
            Event::End(e) if e.name().as_ref() == "table:table" => return Ok(sparse),
            Event::Eof => return Err(corrupt("the sheet is cut off")),
            _ => {}
        }
    }
}

/// The non-empty cells of one row, by column; a repeated non-empty cell beyond the column cap
/// is refused before it is copied.
fn read_row<R: BufRead>(xml: &mut quick_xml::Reader<R>) -> Result<Vec<(u64, Cell)>, ReadError> {
    let mut cells = Vec::new();
    let mut col: u64 = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let (e, has_body) = match xml.read_event_into(&mut buf).map_err(corrupt)? {
            Event::Start(e) => (e.into_owned(), true),
            Event::Empty(e) => (e.into_owned(), false),
            Event::End(e) if e.name().as_ref() == "table:table-row" => return Ok(cells),
            Event::Eof => return Err(corrupt("a row is cut off")),
            _ => continue,
        };
        let name = e.name().as_ref().to_owned();
        if name != "table:table-cell" && name != "table:covered-table-cell" {
            if has_body {
                xml.read_to_end_into(e.name(), &mut Vec::new())
                    .map_err(corrupt)?;
            }
            continue;
        }
        let times = repeat(&e, "table:number-columns-repeated")?;
        let text = if has_body {
            cell_text(xml, &name)?
        } else {
            String::new()
        };
        let cell = value(&e, text)?;
        if !cell.text.is_empty() {
            let last = col.saturating_add(times - 1);
            if last >= MAX_COLUMNS as u64 {
                return Err(ReadError::TooManyColumns { max: MAX_COLUMNS });
            }
            for k in 0..times {
                cells.push((col + k, cell.clone()));
            }
        }
        col = col.saturating_add(times);
    }
}

/// The displayed text of a cell: its paragraphs joined by line breaks (annotations left out).
fn cell_text<R: BufRead>(xml: &mut quick_xml::Reader<R>, end: &str) -> Result<String, ReadError> {
    let mut out = String::new();
    let mut paragraphs = 0;
    let mut buf = Vec::new();
    loop {
        // `text:s` repeats and long runs cannot build a cell past the cap.
        check_cell_len(&out)?;
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(corrupt)? {
            Event::Start(e) if e.name().as_ref() == "office:annotation" => {
                xml.read_to_end_into(e.name(), &mut Vec::new())
                    .map_err(corrupt)?;
            }
            Event::Start(e) if e.name().as_ref() == "text:p" => {
                if paragraphs > 0 {
                    out.push('\n');
                }
                paragraphs += 1;
            }
            Event::Empty(e) if e.name().as_ref() == "text:p" => {
                if paragraphs > 0 {
                    out.push('\n');
                }
                paragraphs += 1;
            }
            Event::Empty(e) if e.name().as_ref() == "text:s" => {
                let n = repeat(&e, "text:c")?.min(1024);
                out.extend(std::iter::repeat_n(' ', n as usize));
            }
            Event::Empty(e) if e.name().as_ref() == "text:tab" => out.push('\t'),
            Event::Empty(e) if e.name().as_ref() == "text:line-break" => out.push('\n'),
            Event::Text(t) => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(corrupt)? {
                    out.push(c);
                } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r) {
                    out.push_str(s);
                } else {
                    return Err(corrupt(format!("unknown entity &{};", &*r)));
                }
            }
            Event::End(e) if e.name().as_ref() == end => return Ok(out),
            Event::Eof => return Err(corrupt("a cell is cut off")),
            _ => {}
        }
    }
}

/// A cell's value from its type attribute (the text for strings and times).
fn value(e: &BytesStart<'_>, text: String) -> Result<Cell, ReadError> {
    let kind = attr(e, "office:value-type")?;
    let cell = match kind.as_deref() {
        None => Cell::empty(),
        Some("float" | "percentage" | "currency") => {
            match attr(e, "office:value")?.and_then(|v| v.trim().parse::<f64>().ok()) {
                Some(f) => Cell {
                    text: number_text(f),
                    kind: CellKind::Number,
                },
                None => Cell::text(text),
            }
        }
        Some("date") => match attr(e, "office:date-value")? {
            Some(v) => {
                let v = v.split('.').next().unwrap_or_default().replace('T', " ");
                let v = v.strip_suffix(" 00:00:00").unwrap_or(&v).to_owned();
                Cell {
                    text: v,
                    kind: CellKind::Date,
                }
            }
            None => Cell::text(text),
        },
        Some("boolean") => match attr(e, "office:boolean-value")?.as_deref() {
            Some("true") => Cell {
                text: "TRUE".into(),
                kind: CellKind::Bool,
            },
            Some("false") => Cell {
                text: "FALSE".into(),
                kind: CellKind::Bool,
            },
            _ => Cell::text(text),
        },
        Some(_) => Cell::text(text),
    };
    Ok(if cell.text.is_empty() {
        Cell::empty()
    } else {
        cell
    })
}
