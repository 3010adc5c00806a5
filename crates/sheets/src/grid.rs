//! The shape of what is read: the formats, why a file cannot be read, cells, rows, the
//! table, the raw grid the readers hand over before the header is found, and the caps of
//! one file. A leaf: every reader uses it, it uses none of them.

use thiserror::Error;

/// How many data rows one file may hold.
pub const MAX_ROWS: usize = 50_000;
/// How many columns one file may hold.
pub const MAX_COLUMNS: usize = 200;

/// The kinds of file this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Xls,
    /// OpenDocument spreadsheet (LibreOffice, WPS).
    Ods,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
        }
    }
}

/// Why a file cannot be read as a table. `code()` is stable (clients and messages use it).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("the file is empty")]
    Empty,
    #[error("not a CSV or Excel file")]
    Unsupported,
    #[error("the text is neither UTF-8, GB18030 nor UTF-16")]
    Encoding,
    #[error("the spreadsheet cannot be read: {0}")]
    Corrupt(String),
    #[error("no sheet named {0}")]
    SheetNotFound(String),
    #[error("no header row")]
    NoHeader,
    #[error("a header but no data rows")]
    NoRows,
    #[error("more than {max} data rows")]
    TooManyRows { max: usize },
    #[error("more than {max} columns")]
    TooManyColumns { max: usize },
    /// A workbook whose parts would expand beyond what any real sheet of the allowed size
    /// needs (a "zip bomb").
    #[error("the workbook would expand to more than {max_mib} MiB")]
    Expands { max_mib: u64 },
}

impl ReadError {
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Empty => "empty_file",
            ReadError::Unsupported => "unsupported_file_type",
            ReadError::Encoding => "unknown_encoding",
            ReadError::Corrupt(_) => "unreadable_file",
            ReadError::SheetNotFound(_) => "sheet_not_found",
            ReadError::NoHeader => "no_header",
            ReadError::NoRows => "no_data_rows",
            ReadError::TooManyRows { .. } => "too_many_rows",
            ReadError::TooManyColumns { .. } => "too_many_columns",
            ReadError::Expands { .. } => "workbook_expands",
        }
    }
}

/// What a cell held before it became text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    Empty,
    Text,
    /// A number cell of a spreadsheet (CSV cells are always text).
    Number,
    /// A date or date-time cell of a spreadsheet, written `YYYY-MM-DD[ HH:MM:SS]`.
    Date,
    Bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub kind: CellKind,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        let text = s.into();
        let kind = if text.is_empty() {
            CellKind::Empty
        } else {
            CellKind::Text
        };
        Cell { text, kind }
    }

    pub fn empty() -> Cell {
        Cell {
            text: String::new(),
            kind: CellKind::Empty,
        }
    }

    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// A data row: its number as the spreadsheet shows it (the header is usually row 1) and one
/// cell per column of the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub line: u32,
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub format: Format,
    /// The sheet read (spreadsheets only), and all sheets of the workbook.
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
    /// For CSV: the text encoding found (`UTF-8`, `GB18030`, `UTF-16LE`, `UTF-16BE`).
    pub encoding: Option<&'static str>,
    /// The header's row number.
    pub header_line: u32,
    /// Column names, trimmed; an empty header cell is named by its column letter in
    /// parentheses, e.g. `(D)`, and a repeated name gets ` (2)`, ` (3)`…
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// Rows of cells with their spreadsheet row numbers, before the header is found.
pub(crate) type Grid = Vec<(u32, Vec<Cell>)>;
