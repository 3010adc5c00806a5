//! What the API and the pages share for imports and exports: reading an upload (multipart
//! or a raw body), messages of row errors in the caller's language, streaming an export as
//! CSV or XLSX, and the file of rejected rows.

use crate::i18n::Tr;
use aftersales_app::{
    App, AppError, Ctx, ExportCell, ExportFilter, ExportList, ImportKind, ImportMode,
    ImportRejects, ImportReport, ImportRequest, RowError,
};
use aftersales_domain::FieldError;
use aftersales_sheets::{Out, XlsxSheet, csv_bom, csv_rows};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

/// Uploads may be this large (the rest of the site takes 2 MiB).
pub const UPLOAD_LIMIT: usize = 20 * 1024 * 1024;
/// Every other request body.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV_TYPE: &str = "text/csv; charset=utf-8";

/// Paths that take file uploads.
pub fn is_upload_path(path: &str) -> bool {
    path.starts_with("/api/v1/imports/")
        || path == "/imports"
        // Photos of a visit (the use-case keeps each to 5 MiB).
        || ((path.starts_with("/api/v1/work-orders/") || path.starts_with("/m/orders/"))
            && path.ends_with("/photos"))
}

/// Limits request bodies: uploads to [`UPLOAD_LIMIT`], the rest to [`BODY_LIMIT`]. A body
/// declared too large is refused at once (problem+json under `/api`); a body that turns
/// out too large fails its extractor with 413.
pub async fn body_limit(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let limit = if is_upload_path(req.uri().path()) {
        UPLOAD_LIMIT
    } else {
        BODY_LIMIT
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        if req.uri().path().starts_with("/api/") {
            return crate::problem::problem_response(crate::problem::problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                Tr::new(crate::request::locale_of(req.headers())),
                crate::request::request_id_of(req.headers()),
            ));
        }
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let req = req.map(|b| Body::new(http_body_util::Limited::new(b, limit)));
    next.run(req).await
}

/// An upload as it arrived: the file, its name, and form fields beside it.
#[derive(Default)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub file_name: Option<String>,
    pub fields: BTreeMap<String, String>,
}

/// Reads a multipart form (a `file` part and text fields) or a raw body.
pub async fn read_upload(headers: &HeaderMap, body: Body) -> Result<Upload, AppError> {
    let raw_ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // The boundary is case-sensitive; only the media type is compared without case.
    let ct = raw_ct.to_ascii_lowercase();
    let too_large = |e: &dyn std::fmt::Display| {
        tracing::warn!(error = %e, "upload not read");
        if e.to_string().to_lowercase().contains("length limit") {
            AppError::BadFile("file_too_large")
        } else {
            AppError::BadFile("unreadable_upload")
        }
    };
    if ct.starts_with("multipart/form-data") {
        let boundary = multer::parse_boundary(raw_ct).map_err(|e| too_large(&e))?;
        let mut mp = multer::Multipart::new(body.into_data_stream(), boundary);
        let mut up = Upload::default();
        let mut saw_file = false;
        while let Some(field) = mp.next_field().await.map_err(|e| too_large(&e))? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                up.file_name = field
                    .file_name()
                    .map(str::to_owned)
                    .filter(|s| !s.is_empty());
                up.bytes = field.bytes().await.map_err(|e| too_large(&e))?.to_vec();
                saw_file = true;
            } else {
                let text = field.text().await.map_err(|e| too_large(&e))?;
                up.fields.insert(name, text);
            }
        }
        if !saw_file {
            return Err(AppError::BadFile("empty_file"));
        }
        return Ok(up);
    }
    let accepted = [
        "text/csv",
        "text/plain",
        "text/tab-separated-values",
        "application/csv",
        "application/octet-stream",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.spreadsheet",
    ];
    if !accepted.iter().any(|a| ct.starts_with(a)) {
        return Err(AppError::BadFile("unsupported_media_type"));
    }
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| too_large(&e))?;
    Ok(Upload {
        bytes: bytes.to_vec(),
        ..Upload::default()
    })
}

/// A mapping as JSON text: `{"file header": "field", …}` (null or "" skips a column).
pub fn parse_mapping(s: Option<&str>) -> Result<BTreeMap<String, String>, AppError> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(BTreeMap::new());
    };
    let v: BTreeMap<String, Option<String>> = serde_json::from_str(s)
        .map_err(|_| AppError::invalid(FieldError::new("mapping", "invalid_mapping")))?;
    Ok(v.into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

pub fn parse_mode(s: Option<&str>) -> Result<ImportMode, AppError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(ImportMode::DryRun),
        Some(m) => ImportMode::parse(m)
            .ok_or_else(|| AppError::invalid(FieldError::new("mode", "invalid_choice"))),
    }
}

/// The import request of an upload.
pub fn request(
    kind: ImportKind,
    mode: ImportMode,
    up: Upload,
    file_name: Option<String>,
    sheet: Option<String>,
    mapping: BTreeMap<String, String>,
) -> ImportRequest {
    ImportRequest {
        kind,
        mode,
        action: aftersales_app::ImportAction::Create,
        bytes: up.bytes,
        file_name: up.file_name.or(file_name),
        sheet: sheet.filter(|s| !s.trim().is_empty()),
        mapping,
    }
}

/// The sentence for a row error: the field rule's message, with the colliding record or
/// the earlier row when there is one.
pub fn row_message(tr: Tr, e: &RowError) -> String {
    let params: Vec<(&str, String)> = e
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_string()))
        .collect();
    let args: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let cat = crate::i18n::catalog(tr.locale);
    let mut m = [
        format!("field.{}", e.code),
        format!("io.field_error.{}", e.code),
    ]
    .into_iter()
    .find(|k| cat.contains_key(k))
    .map(|k| tr.f(&k, &args))
    .unwrap_or_else(|| e.code.clone());
    if let Some(h) = &e.hint {
        m.push_str(&format!(" ({h})"));
    }
    m
}

/// Fills in the messages of a report's errors.
pub fn localize(report: &mut ImportReport, tr: Tr) {
    for e in &mut report.errors {
        e.message = row_message(tr, e);
    }
}

/// The label of a field of a kind, e.g. "手机" for `phone`.
pub fn field_label(tr: Tr, field: &str) -> String {
    tr.t_dyn(&format!("io.field.{field}"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Xlsx,
    Csv,
}

impl FileFormat {
    pub fn parse(s: Option<&str>) -> Result<FileFormat, AppError> {
        // Absent means XLSX; present, it must be one of the two (an empty value is not).
        match s.map(str::trim) {
            None | Some("xlsx") => Ok(FileFormat::Xlsx),
            Some("csv") => Ok(FileFormat::Csv),
            Some(_) => Err(AppError::invalid(FieldError::new(
                "format",
                "invalid_choice",
            ))),
        }
    }

    fn ext(self) -> &'static str {
        match self {
            FileFormat::Xlsx => "xlsx",
            FileFormat::Csv => "csv",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            FileFormat::Xlsx => XLSX_TYPE,
            FileFormat::Csv => CSV_TYPE,
        }
    }
}

fn today() -> String {
    crate::site::get()
        .date(jiff::Timestamp::now())
        .strftime("%Y%m%d")
        .to_string()
}

fn attachment(format: FileFormat, stem: &str, body: Body) -> Response {
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{stem}-{}.{}\"",
        today(),
        format.ext()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A cell in the caller's language.
fn out(tr: Tr, c: ExportCell) -> Out {
    match c {
        ExportCell::Empty => Out::Empty,
        ExportCell::Text(s) => Out::Text(s),
        ExportCell::Int(i) => Out::Int(i),
        ExportCell::Date(d) => match d.parse::<jiff::civil::Date>() {
            Ok(d) => Out::Date(d),
            Err(_) => Out::Text(d),
        },
        ExportCell::Instant(t) => Out::DateTime(crate::site::get().local(t).datetime()),
        ExportCell::Bool(b) => Out::Text(tr.t_dyn(if b { "io.yes" } else { "io.no" })),
        ExportCell::Code(prefix, code) => {
            let key = format!("{prefix}{code}");
            let label = tr.t_dyn(&key);
            Out::Text(if label == key { code } else { label })
        }
        ExportCell::Words(zh, en) => Out::Text(
            match tr.locale {
                aftersales_domain::Locale::ZhCn => zh,
                aftersales_domain::Locale::En => en,
            }
            .to_owned(),
        ),
    }
}

/// Streams an export. The first page is read before the answer starts, so a refused
/// permission or a bad filter is a proper error status; later pages follow as they are
/// read (CSV), or are written to a constant-memory workbook on a blocking thread (XLSX).
pub async fn export(
    app: App,
    ctx: Ctx,
    list: ExportList,
    filter: ExportFilter,
    format: FileFormat,
    tr: Tr,
) -> Result<Response, AppError> {
    let first = app.export_page(&ctx, list, &filter, None).await?;
    let cols = list.columns();
    let headers: Vec<String> = cols
        .iter()
        .map(|(k, _)| tr.t_dyn(&format!("io.col.{k}")))
        .collect();
    let stem = list.as_str();
    match format {
        FileFormat::Csv => {
            let mut head = csv_bom().to_vec();
            head.extend(csv_rows(&[headers.into_iter().map(Out::Text).collect()]));
            let first_rows: Vec<Vec<Out>> = first
                .rows
                .into_iter()
                .map(|r| r.into_iter().map(|c| out(tr, c)).collect())
                .collect();
            head.extend(csv_rows(&first_rows));
            struct State {
                app: App,
                ctx: Ctx,
                filter: ExportFilter,
                head: Option<Vec<u8>>,
                next: Option<String>,
            }
            let state = State {
                app,
                ctx,
                filter,
                head: Some(head),
                next: first.next,
            };
            let stream = futures_util::stream::unfold(state, move |mut st| async move {
                if let Some(h) = st.head.take() {
                    return Some((Ok::<_, std::io::Error>(h), st));
                }
                let after = st.next.take()?;
                match st
                    .app
                    .export_page(&st.ctx, list, &st.filter, Some(&after))
                    .await
                {
                    Ok(p) => {
                        st.next = p.next;
                        let rows: Vec<Vec<Out>> = p
                            .rows
                            .into_iter()
                            .map(|r| r.into_iter().map(|c| out(tr, c)).collect())
                            .collect();
                        Some((Ok(csv_rows(&rows)), st))
                    }
                    Err(e) => {
                        tracing::error!(error = %e, list = list.as_str(), "export stopped");
                        Some((Err(std::io::Error::other(e.to_string())), st))
                    }
                }
            });
            Ok(attachment(format, stem, Body::from_stream(stream)))
        }
        FileFormat::Xlsx => {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Vec<Out>>>(2);
            let sheet_name = tr.t_dyn(&format!("io.sheet.{stem}"));
            let widths: Vec<f64> = cols.iter().map(|(_, w)| *w).collect();
            let writer = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
                let mut sheet = XlsxSheet::new(&sheet_name, &headers, &widths)?;
                for page in rx {
                    for row in page {
                        sheet.write_row(&row)?;
                    }
                }
                sheet.finish()
            });
            let conv = |rows: Vec<Vec<ExportCell>>| -> Vec<Vec<Out>> {
                rows.into_iter()
                    .map(|r| r.into_iter().map(|c| out(tr, c)).collect())
                    .collect()
            };
            let mut next = first.next;
            let sent = tx.send(conv(first.rows)).is_ok();
            while sent && let Some(after) = next.take() {
                let p = app.export_page(&ctx, list, &filter, Some(&after)).await?;
                next = p.next;
                if tx.send(conv(p.rows)).is_err() {
                    break;
                }
            }
            drop(tx);
            let bytes = writer
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
                .map_err(AppError::Internal)?;
            Ok(attachment(format, stem, Body::from(bytes)))
        }
    }
}

/// The rejected rows of a lenient import as a file: the original columns, then the
/// original row number and the errors in the caller's language.
pub fn rejects_file(r: ImportRejects, format: FileFormat, tr: Tr) -> Result<Response, AppError> {
    let mut headers = r.headers.clone();
    headers.push(tr.t_dyn("io.rejects.row"));
    headers.push(tr.t_dyn("io.rejects.errors"));
    let rows: Vec<Vec<Out>> = r
        .rows
        .iter()
        .map(|row| {
            let mut cells: Vec<Out> = row.cells.iter().map(|c| Out::Text(c.clone())).collect();
            cells.resize(r.headers.len(), Out::Empty);
            cells.push(Out::Int(i64::from(row.row)));
            cells.push(Out::Text(
                row.errors
                    .iter()
                    .map(|e| {
                        let col = e.column.clone().unwrap_or_else(|| e.field.clone());
                        format!("{col}: {}", row_message(tr, e))
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
            cells
        })
        .collect();
    let stem = format!("{}-rejects", r.kind.as_str());
    match format {
        FileFormat::Csv => {
            let mut bytes = csv_bom().to_vec();
            bytes.extend(csv_rows(&[headers.into_iter().map(Out::Text).collect()]));
            bytes.extend(csv_rows(&rows));
            Ok(attachment(format, &stem, Body::from(bytes)))
        }
        FileFormat::Xlsx => {
            let mut widths = vec![14.0; r.headers.len()];
            widths.push(8.0);
            widths.push(60.0);
            let mut sheet = XlsxSheet::new(&tr.t_dyn("io.rejects.sheet"), &headers, &widths)
                .map_err(AppError::Internal)?;
            for row in &rows {
                sheet.write_row(row).map_err(AppError::Internal)?;
            }
            let bytes = sheet.finish().map_err(AppError::Internal)?;
            Ok(attachment(format, &stem, Body::from(bytes)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aftersales_domain::Locale;

    #[test]
    fn every_import_code_has_a_sentence_in_both_languages() {
        let file_codes = [
            "empty_file",
            "unsupported_file_type",
            "unsupported_media_type",
            "unknown_encoding",
            "unreadable_file",
            "unreadable_upload",
            "sheet_not_found",
            "no_header",
            "no_data_rows",
            "too_many_rows",
            "too_many_columns",
            "file_too_large",
            "workbook_expands",
            "import_rejected",
            "import_conflict",
        ];
        let row_codes = [
            "likely_duplicate",
            "duplicate_in_file",
            "customer_ambiguous",
            "customer_mismatch",
            "invalid_flag",
            "invalid_number",
            "unknown_column",
            "duplicate_mapping",
            "column_missing",
            "invalid_mapping",
            "required",
            "serial_taken",
            "unknown_product",
            "unknown_customer",
            "unknown_policy",
            "code_taken",
            "phone_length",
            "invalid_date",
        ];
        for l in Locale::ALL {
            let tr = Tr::new(l);
            let generic = tr.t_dyn("error.generic");
            for c in file_codes {
                assert_ne!(tr.t_error(c), generic, "{l:?} {c}");
            }
            let cat = crate::i18n::catalog(l);
            for c in row_codes {
                assert!(
                    cat.contains_key(&format!("field.{c}"))
                        || cat.contains_key(&format!("io.field_error.{c}")),
                    "{l:?} {c}"
                );
            }
            for k in aftersales_app::ImportKind::ALL {
                for f in k.fields() {
                    assert!(
                        cat.contains_key(&format!("io.field.{}", f.name)),
                        "{l:?} {}",
                        f.name
                    );
                }
            }
            for list in ExportList::ALL {
                assert!(cat.contains_key(&format!("io.sheet.{}", list.as_str())));
                for (c, _) in list.columns() {
                    assert!(cat.contains_key(&format!("io.col.{c}")), "{l:?} io.col.{c}");
                }
            }
        }
        let e = RowError {
            row: 7,
            column: Some("手机".into()),
            field: "phone".into(),
            code: "duplicate_in_file".into(),
            params: [("row".to_string(), 3)].into(),
            hint: None,
            message: String::new(),
        };
        assert_eq!(row_message(Tr::new(Locale::ZhCn), &e), "与第 3 行重复");
        assert_eq!(row_message(Tr::new(Locale::En), &e), "repeats row 3");
    }

    #[test]
    fn export_headers_are_read_back_by_the_default_mapping() {
        // What we export, we can import again without a mapping.
        for (list, kind) in [
            (ExportList::Customers, aftersales_app::ImportKind::Customers),
            (ExportList::Units, aftersales_app::ImportKind::Units),
            (ExportList::Products, aftersales_app::ImportKind::Products),
            (ExportList::Parts, aftersales_app::ImportKind::Parts),
            (ExportList::Suppliers, aftersales_app::ImportKind::Suppliers),
        ] {
            for l in Locale::ALL {
                let tr = Tr::new(l);
                let labels: Vec<String> = list
                    .columns()
                    .iter()
                    .map(|(k, _)| {
                        aftersales_app::normalize_header(&tr.t_dyn(&format!("io.col.{k}")))
                    })
                    .collect();
                for f in kind.fields().iter().filter(|f| f.required) {
                    assert!(
                        labels
                            .iter()
                            .any(|lab| *lab == aftersales_app::normalize_header(f.name)
                                || f.aliases
                                    .iter()
                                    .any(|a| aftersales_app::normalize_header(a) == *lab)),
                        "{l:?}: {} export lacks a header for {}",
                        list.as_str(),
                        f.name
                    );
                }
            }
        }
    }
}
