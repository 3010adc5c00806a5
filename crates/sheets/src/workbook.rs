//! What the workbook readers (XLSX here in `read`, XLS in `xls`, ODS in `ods`) share: the
//! caps of a sheet, the sparse grid that enforces them cell by cell, the zip expansion check,
//! the choice of a sheet, calamine's cells as ours, and the guard around third-party parsers.

use crate::grid::{Cell, CellKind, Grid, MAX_COLUMNS, ReadError};
use std::io::Cursor;

/// How far below the row cap a non-empty cell may still sit (title rows, blank rows between
/// the data); a cell further down is refused before anything is stored for it.
pub(crate) const ROW_SLACK: usize = 10_020;
/// Non-empty rows allowed on top of the data rows (the header and a few title rows).
pub(crate) const HEADER_ROWS: usize = 20;
/// Sheets a workbook may declare (the XLS and ODS readers look at every sheet).
pub(crate) const MAX_SHEETS: usize = 1_024;

/// The non-empty cells of a sheet as they arrive, by row. The caps are enforced per cell,
/// before it is stored, so a sparse sheet costs only its cells and a cell far out is refused
/// at once, whatever the sheet declares its dimension to be.
pub(crate) struct Sparse {
    rows: std::collections::BTreeMap<u32, Vec<Cell>>,
    max_rows: usize,
    /// The bytes of text kept so far: a few cells repeated (ODS repeats, one shared string
    /// used everywhere) may not add up to more than [`MAX_TEXT_BYTES`].
    text_bytes: usize,
}

/// The longest cell (Excel's own limit, in characters).
pub(crate) const MAX_CELL_CHARS: usize = 32_767;
/// The text of all kept cells together: 50,000 rows of 200 real cells stay far below it.
pub(crate) const MAX_TEXT_BYTES: usize = 256 * 1024 * 1024;

/// Refuses a cell's text longer than [`MAX_CELL_CHARS`] (checked on bytes first, cheaply).
pub(crate) fn check_cell_len(text: &str) -> Result<(), ReadError> {
    if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
        return Err(ReadError::Corrupt(format!(
            "a cell longer than {MAX_CELL_CHARS} characters"
        )));
    }
    Ok(())
}

impl Sparse {
    pub(crate) fn new(max_rows: usize) -> Sparse {
        Sparse {
            rows: std::collections::BTreeMap::new(),
            max_rows,
            text_bytes: 0,
        }
    }

    /// Refuses a position outside the caps (0-based row and column).
    pub(crate) fn check(&self, row: u64, col: u64) -> Result<(), ReadError> {
        if col >= MAX_COLUMNS as u64 {
            return Err(ReadError::TooManyColumns { max: MAX_COLUMNS });
        }
        if row >= (self.max_rows + ROW_SLACK) as u64 {
            return Err(ReadError::TooManyRows { max: self.max_rows });
        }
        Ok(())
    }

    /// Stores a cell (an empty one is dropped, wherever it is).
    pub(crate) fn put(&mut self, row: u64, col: u64, cell: Cell) -> Result<(), ReadError> {
        if cell.text.is_empty() {
            return Ok(());
        }
        self.check(row, col)?;
        check_cell_len(&cell.text)?;
        self.text_bytes = self.text_bytes.saturating_add(cell.text.len());
        if self.text_bytes > MAX_TEXT_BYTES {
            return Err(ReadError::Expands {
                max_mib: (MAX_TEXT_BYTES / (1024 * 1024)) as u64,
            });
        }
        let full = self.rows.len() >= self.max_rows + HEADER_ROWS;
        let cells = match self.rows.entry(row as u32) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                if full {
                    return Err(ReadError::TooManyRows { max: self.max_rows });
                }
                e.insert(Vec::new())
            }
        };
        let col = col as usize;
        if cells.len() <= col {
            cells.resize_with(col + 1, Cell::empty);
        }
        cells[col] = cell;
        Ok(())
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows.len()
    }

    /// The rows with their 1-based numbers.
    pub(crate) fn grid(self) -> Grid {
        self.rows.into_iter().map(|(r, c)| (r + 1, c)).collect()
    }
}

/// Runs a third-party parser, turning a panic on a malformed file into an unreadable file
/// (the server must answer, not unwind a worker).
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, ReadError>) -> Result<T, ReadError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(ReadError::Corrupt(
            "the spreadsheet parser gave up on this file".to_owned(),
        ))
    })
}

/// What the parts of a workbook may add up to, uncompressed: 50,000 rows of 200 columns of
/// real data stay far below it. (The zip reader itself stops an entry that inflates beyond
/// its declared size, so the declared sizes bound the actual ones.)
pub(crate) const MAX_EXPANDED_MIB: u64 = 512;

/// Refuses a workbook whose parts declare more than [`MAX_EXPANDED_MIB`] uncompressed,
/// before any of it is inflated. (An archive that is not a zip is left to calamine, which
/// reports it as unreadable.)
pub(crate) fn check_expansion(bytes: &[u8]) -> Result<(), ReadError> {
    let Ok(mut z) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut total: u64 = 0;
    for i in 0..z.len() {
        if let Ok(f) = z.by_index_raw(i) {
            total = total.saturating_add(f.size());
        }
    }
    if total > MAX_EXPANDED_MIB * 1024 * 1024 {
        return Err(ReadError::Expands {
            max_mib: MAX_EXPANDED_MIB,
        });
    }
    Ok(())
}

pub(crate) fn pick_sheet(names: &[String], wanted: Option<&str>) -> Result<String, ReadError> {
    match wanted.map(str::trim).filter(|s| !s.is_empty()) {
        Some(w) => names
            .iter()
            .find(|n| n.as_str() == w)
            .or_else(|| names.iter().find(|n| n.trim().eq_ignore_ascii_case(w)))
            .cloned()
            .ok_or_else(|| ReadError::SheetNotFound(w.to_owned())),
        None => names.first().cloned().ok_or(ReadError::NoHeader),
    }
}

/// A whole number as an integer ("13800138000", not "13800138000.0"); others as the
/// shortest text that reads back the same.
pub(crate) fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

pub(crate) fn cell_of(d: &calamine::Data) -> Cell {
    use calamine::Data;
    let (text, kind) = match d {
        Data::Empty => (String::new(), CellKind::Empty),
        Data::String(s) => (s.clone(), CellKind::Text),
        Data::Int(i) => (i.to_string(), CellKind::Number),
        Data::Float(f) => (number_text(*f), CellKind::Number),
        Data::Bool(b) => (if *b { "TRUE" } else { "FALSE" }.to_owned(), CellKind::Bool),
        Data::DateTime(dt) => {
            if dt.is_datetime() && (1.0..2_958_466.0).contains(&dt.as_f64()) {
                // Both the 1900 and the 1904 date systems.
                let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
                let day = format!("{y:04}-{mo:02}-{d:02}");
                if (h, mi, s) == (0, 0, 0) {
                    (day, CellKind::Date)
                } else {
                    (format!("{day} {h:02}:{mi:02}:{s:02}"), CellKind::Date)
                }
            } else {
                (number_text(dt.as_f64()), CellKind::Number)
            }
        }
        Data::DateTimeIso(s) => (s.replace('T', " "), CellKind::Date),
        Data::DurationIso(s) => (s.clone(), CellKind::Text),
        Data::Error(e) => (format!("{e}"), CellKind::Text),
    };
    if text.is_empty() {
        Cell::empty()
    } else {
        Cell { text, kind }
    }
}
