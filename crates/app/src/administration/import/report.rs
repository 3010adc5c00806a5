//! What an import answers: where each column went, the errors of each row, a preview, the
//! counts, and the rejected rows of a lenient import.

use super::{ImportAction, ImportKind, ImportMode};
use aftersales_domain::FieldError;
use aftersales_domain::import::ColumnSource;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Where a column goes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ColumnMap {
    /// The header as in the file.
    pub column: String,
    /// Our field, or null when the column is not imported.
    pub field: Option<String>,
    /// `mapping` (the caller's), `default` (recognized header), `ignored` (a column this
    /// product adds, like the error column), or `unknown`.
    #[schema(value_type = crate::schema::ColumnSourceName)]
    pub source: ColumnSource,
}

/// A field of the kind, for mapping screens.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FieldInfo {
    pub name: String,
    pub required: bool,
}

/// One problem of one row. `row` is the row number as the spreadsheet shows it (the header
/// is row 1 unless title rows sit above it); `column` is the file's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    pub row: u32,
    pub column: Option<String>,
    /// Our field.
    pub field: String,
    /// A stable code (the same as the create API's field errors, plus import's own).
    pub code: String,
    /// Numbers the message uses (e.g. `max`, or `row` of an earlier duplicate).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, i64>,
    /// The record this row collides with, e.g. `CU000123`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// In the caller's language.
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreviewRow {
    pub row: u32,
    /// The values as they would be stored (our field names).
    #[schema(value_type = Object)]
    pub values: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportFileInfo {
    /// `csv`, `xlsx`, `xls` or `ods`.
    pub format: String,
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
    /// For CSV: `UTF-8`, `GB18030`, `UTF-16LE` or `UTF-16BE`.
    pub encoding: Option<String>,
    pub header_row: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub kind: ImportKind,
    pub mode: ImportMode,
    /// What rows do to records on file (parts and suppliers; `create` for the others).
    pub action: ImportAction,
    /// The batch, when rows were written; its rejected rows are at
    /// `/api/v1/imports/{batch_id}/rejects`.
    pub batch_id: Option<String>,
    pub file: ImportFileInfo,
    pub columns: Vec<ColumnMap>,
    pub fields: Vec<FieldInfo>,
    /// Required fields that no column feeds: no row can be imported until it is mapped.
    pub missing_fields: Vec<String>,
    /// Columns neither mapped nor recognized (not an error).
    pub unknown_columns: Vec<String>,
    pub total_rows: u64,
    pub valid_rows: u64,
    pub invalid_rows: u64,
    /// Records created (0 for a dry run and for a refused strict import).
    pub created: u64,
    /// Records on file that rows updated (`update`, `upsert`).
    pub updated: u64,
    pub errors: Vec<RowError>,
    /// The first valid rows as they would be (or were) stored.
    pub preview: Vec<PreviewRow>,
    pub duration_ms: u64,
}

/// The rejected rows of a lenient import, for download.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportRejects {
    pub kind: ImportKind,
    pub file_name: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<RejectedRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RejectedRow {
    pub row: u32,
    pub cells: Vec<String>,
    pub errors: Vec<RowError>,
}

pub(super) fn row_error(
    line: u32,
    column: Option<String>,
    field: &str,
    e: &FieldError,
    hint: Option<String>,
) -> RowError {
    RowError {
        row: line,
        column,
        field: field.to_owned(),
        code: e.code.to_owned(),
        params: e
            .params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect(),
        hint,
        message: String::new(),
    }
}
