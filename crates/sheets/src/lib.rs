//! Spreadsheets as people exchange them with their ERP: reading CSV and Excel files into a
//! table of text cells (with row numbers as the spreadsheet shows them), and writing CSV and
//! XLSX files. No knowledge of customers or units lives here; `app` maps columns to fields.
//!
//! Reading:
//! - **CSV**: UTF-8 with or without a byte-order mark; otherwise GB18030 (what Chinese Excel
//!   writes as "CSV"), or UTF-16 with a byte-order mark (Excel's "Unicode text"). The
//!   delimiter is the one of `,` `;` and tab found most often in the first line.
//! - **XLSX** (and the older XLS) through calamine, **ODS** with our own streaming reader: the
//!   first sheet, or a named one, read cell by cell with the caps checked per cell (nothing is
//!   allocated from a size the file merely declares; see docs/decisions.md). Numbers
//!   that are whole come out without ".0" (phone numbers and serials typed as numbers);
//!   date cells come out as `YYYY-MM-DD` (with ` HH:MM:SS` when they carry a time).
//! - The header is the first row with at least two non-empty cells (a title row above it is
//!   skipped); wholly empty rows below it are skipped but keep their numbers counted.
//!
//! Writing: CSV in UTF-8 with a byte-order mark (so Excel opens Chinese text correctly), and
//! XLSX with real date cells, text cells for phone numbers and serials, and a bold, frozen
//! header row.
//!
//! Inside, from the ground up: `grid` (the shape of what is read, a leaf), `workbook` (what
//! the workbook readers share: caps, the sparse grid, sheet choice), `xls` and `ods` (their
//! own bounded readers), `read` (the format sniffed, CSV and XLSX, the header found), and
//! `write`.

#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
mod grid;
#[cfg(test)]
mod hostile;
mod ods;
mod read;
mod workbook;
mod write;
mod xls;

pub use grid::{Cell, CellKind, Format, MAX_COLUMNS, MAX_ROWS, ReadError, Row, Table};
pub use read::sniff;
pub use write::{Out, XlsxSheet, csv_bom, csv_rows, excel_serial_to_date};

/// Reads a table from a file's bytes. `format` comes from [`sniff`].
pub fn read(bytes: &[u8], format: Format, sheet: Option<&str>) -> Result<Table, ReadError> {
    read::read(bytes, format, sheet, MAX_ROWS)
}

/// Like [`read`] with another row limit (tests).
pub fn read_with_limit(
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
    max_rows: usize,
) -> Result<Table, ReadError> {
    read::read(bytes, format, sheet, max_rows)
}
