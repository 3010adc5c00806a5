//! Imports of customers, units, products, parts and suppliers from CSV and Excel files as people export them
//! from their ERP.
//!
//! One use-case, [`App::import`](crate::App::import): read the file (`aftersales-sheets`),
//! map its columns to our fields (the caller's mapping, else the headers people use, in
//! Chinese and English), turn every row into the input of the create use-case of its kind
//! and apply the *same* field rules (`NewCustomer::parse`, `validate_unit`,
//! `validate_product`), then check the rows against each other and against the database
//! (duplicates, unknown models, owners, policies), and finally, by mode:
//! - `dry_run`: write nothing; answer counts, the mapping, every row error and a preview;
//! - `strict`: all or nothing, in one transaction; one bad row and nothing is written;
//! - `lenient`: the good rows in one transaction; the bad ones are kept with the batch so
//!   they can be downloaded as a file with an error column, fixed and imported again.
//!
//! Speed: the checks against the database are chunked `IN (…)` lookups and the writes are
//! multi-row inserts, so 10,000 rows take a few dozen statements instead of 50,000 round
//! trips. Each created record gets its audit row (action `import`, with the batch id), and
//! the batch one more with the counts.
//!
//! Where an import is stricter than the form: a customer whose phone number, or name and
//! address, is already on file (or on an earlier row) is a row error, not a warning, so
//! that importing the same file twice creates nothing twice.
//!
//! The folder: `mapping` (our fields, the headers people use, the caller's mapping), `rows`
//! (a row's cells by field, the spreadsheet quirks undone, a row with the errors it
//! collected), one file per kind (`customers`, `units`, `products`: its columns, a row turned
//! into the create use-case's input, the checks against the database and the earlier rows,
//! its preview and its writes), `report` (what the import answers), `batch` (the audit rows
//! of a batch's records, its rejected rows and its own record), and here the pipeline that
//! runs them.

mod batch;
mod customers;
mod mapping;
mod parts;
mod products;
mod report;
mod rows;
mod suppliers;
mod units;

pub use mapping::{FieldDef, normalize_header};
pub use report::{
    ColumnMap, FieldInfo, ImportFileInfo, ImportRejects, ImportReport, PreviewRow, RejectedRow,
    RowError,
};

use crate::{AppError, Ctx};
use aftersales_domain::{FieldError, FieldErrors, Permission, Role};
use aftersales_sheets::{self as sheets, Table};
use aftersales_store::administration::imports as batch_store;
use batch::{BatchWriter, write_conflict};
use customers::{
    CUSTOMER_FIELDS, CustomerCand, check_customers, customer_preview, prepare_customer,
    write_customers,
};
use mapping::{Columns, resolve_columns};
use parts::{PART_FIELDS, PartCand, check_parts, part_preview, prepare_part, write_parts};
use products::{
    PRODUCT_FIELDS, ProductCand, check_products, prepare_product, product_preview, write_products,
};
use rows::{Candidate, RowCells};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use suppliers::{
    SUPPLIER_FIELDS, SupplierCand, check_suppliers, prepare_supplier, supplier_preview,
    write_suppliers,
};
use units::{UNIT_FIELDS, UnitCand, check_units, prepare_unit, unit_preview, write_units};
use utoipa::ToSchema;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Customers,
    Units,
    Products,
    /// The parts catalog (issue 14; docs/parts.md "Import and export").
    Parts,
    Suppliers,
}

impl ImportKind {
    pub const ALL: [ImportKind; 5] = [
        ImportKind::Customers,
        ImportKind::Units,
        ImportKind::Products,
        ImportKind::Parts,
        ImportKind::Suppliers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Customers => "customers",
            ImportKind::Units => "units",
            ImportKind::Products => "products",
            ImportKind::Parts => "parts",
            ImportKind::Suppliers => "suppliers",
        }
    }

    pub fn parse(s: &str) -> Option<ImportKind> {
        ImportKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Importing a kind also needs the permission to create it one by one.
    pub fn manage_permission(self) -> Permission {
        match self {
            ImportKind::Customers => Permission::CustomersManage,
            ImportKind::Units => Permission::UnitsManage,
            ImportKind::Products => Permission::ProductsManage,
            ImportKind::Parts | ImportKind::Suppliers => Permission::PartsManage,
        }
    }

    /// The parts catalog is the warehouse's: managing it is enough to import it (the
    /// warehouse is not front office and has no `ImportData`). The other kinds need
    /// `ImportData` as well.
    fn needs_import_data(self) -> bool {
        !matches!(self, ImportKind::Parts | ImportKind::Suppliers)
    }

    /// Whether a row may update the record its key names (`update`, `upsert`).
    pub fn updatable(self) -> bool {
        matches!(self, ImportKind::Parts | ImportKind::Suppliers)
    }

    /// May `role` import this kind?
    pub fn allowed_for(self, role: Role) -> bool {
        (!self.needs_import_data() || role.can(Permission::ImportData))
            && role.can(self.manage_permission())
    }

    pub fn fields(self) -> &'static [FieldDef] {
        match self {
            ImportKind::Customers => CUSTOMER_FIELDS,
            ImportKind::Units => UNIT_FIELDS,
            ImportKind::Products => PRODUCT_FIELDS,
            ImportKind::Parts => PART_FIELDS,
            ImportKind::Suppliers => SUPPLIER_FIELDS,
        }
    }
}

/// What a row does to the record its key names (parts and suppliers; the other kinds only
/// create).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportAction {
    /// New records only; a key on file is a row error.
    #[default]
    Create,
    /// Records on file only; an unknown key is a row error.
    Update,
    /// Updates what is on file, creates the rest.
    Upsert,
}

impl ImportAction {
    pub const ALL: [ImportAction; 3] = [
        ImportAction::Create,
        ImportAction::Update,
        ImportAction::Upsert,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportAction::Create => "create",
            ImportAction::Update => "update",
            ImportAction::Upsert => "upsert",
        }
    }

    pub fn parse(s: &str) -> Option<ImportAction> {
        ImportAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Check everything, write nothing.
    DryRun,
    /// All rows or none.
    Strict,
    /// The good rows; the bad ones come back as a file.
    Lenient,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::DryRun => "dry_run",
            ImportMode::Strict => "strict",
            ImportMode::Lenient => "lenient",
        }
    }

    pub fn parse(s: &str) -> Option<ImportMode> {
        [ImportMode::DryRun, ImportMode::Strict, ImportMode::Lenient]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// An import as asked: the file and how to read it.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub kind: ImportKind,
    pub mode: ImportMode,
    /// Create (the default), update or upsert; only parts and suppliers update.
    pub action: ImportAction,
    pub bytes: Vec<u8>,
    pub file_name: Option<String>,
    /// A sheet of a workbook (the first when absent).
    pub sheet: Option<String>,
    /// File header → our field; an empty value skips the column. Headers not named here
    /// are recognized as usual.
    pub mapping: BTreeMap<String, String>,
}

/// How many valid rows a report shows.
pub const PREVIEW_ROWS: usize = 20;

fn bad_file(e: sheets::ReadError) -> AppError {
    AppError::BadFile(e.code())
}

/// The report before any row is read: the file, where each column goes, and the required
/// fields that no column feeds.
fn first_report(req: &ImportRequest, table: &Table, cols: &Columns) -> ImportReport {
    let fields = req.kind.fields();
    ImportReport {
        kind: req.kind,
        mode: req.mode,
        action: req.action,
        batch_id: None,
        file: ImportFileInfo {
            format: table.format.as_str().into(),
            sheet: table.sheet.clone(),
            sheets: table.sheets.clone(),
            encoding: table.encoding.map(str::to_owned),
            header_row: table.header_line,
        },
        unknown_columns: cols
            .maps
            .iter()
            .filter(|m| m.source.is_unknown())
            .map(|m| m.column.clone())
            .collect(),
        columns: cols.maps.clone(),
        fields: fields
            .iter()
            .map(|f| FieldInfo {
                name: f.name.into(),
                required: f.required,
            })
            .collect(),
        missing_fields: fields
            .iter()
            .filter(|f| {
                f.required
                    && !cols
                        .field_of
                        .iter()
                        .any(|c| c.is_some_and(|c| c.name == f.name))
            })
            .map(|f| f.name.to_owned())
            .collect(),
        total_rows: table.rows.len() as u64,
        valid_rows: 0,
        invalid_rows: 0,
        created: 0,
        updated: 0,
        errors: Vec::new(),
        preview: Vec::new(),
        duration_ms: 0,
    }
}

/// The rows of a kind, prepared and then checked.
enum Prepared {
    Customers(Vec<Candidate<CustomerCand>>),
    Units(Vec<Candidate<UnitCand>>),
    Products(Vec<Candidate<ProductCand>>),
    Parts(Vec<Candidate<PartCand>>),
    Suppliers(Vec<Candidate<SupplierCand>>),
}

impl Prepared {
    /// Every row turned into the input of its kind's create use-case and checked by the
    /// same rules; a cell with a control character refuses its row.
    fn prepare(kind: ImportKind, table: &Table, cols: &Columns, today: jiff::civil::Date) -> Self {
        let rows = table.rows.iter().map(|row| {
            (
                row.line,
                RowCells {
                    cells: &row.cells,
                    cols,
                    headers: &table.headers,
                    today,
                },
            )
        });
        match kind {
            ImportKind::Customers => Prepared::Customers(
                rows.map(|(l, r)| prepare_customer(&r, l).refuse_control_chars(&r))
                    .collect(),
            ),
            ImportKind::Units => Prepared::Units(
                rows.map(|(l, r)| prepare_unit(&r, l).refuse_control_chars(&r))
                    .collect(),
            ),
            ImportKind::Products => Prepared::Products(
                rows.map(|(l, r)| prepare_product(&r, l).refuse_control_chars(&r))
                    .collect(),
            ),
            ImportKind::Parts => Prepared::Parts(
                rows.map(|(l, r)| prepare_part(&r, l).refuse_control_chars(&r))
                    .collect(),
            ),
            ImportKind::Suppliers => Prepared::Suppliers(
                rows.map(|(l, r)| prepare_supplier(&r, l).refuse_control_chars(&r))
                    .collect(),
            ),
        }
    }

    /// The rows against each other and against the database.
    async fn check(
        &mut self,
        conn: &mut aftersales_store::Conn,
        table: &Table,
        cols: &Columns,
        action: ImportAction,
    ) -> Result<(), AppError> {
        match self {
            Prepared::Customers(v) => check_customers(conn, table, cols, v).await,
            Prepared::Units(v) => check_units(conn, table, cols, v).await,
            Prepared::Products(v) => check_products(conn, table, cols, v).await,
            Prepared::Parts(v) => check_parts(conn, table, cols, action, v).await,
            Prepared::Suppliers(v) => check_suppliers(conn, table, cols, action, v).await,
        }
    }

    /// Writes the valid rows; returns how many records were created and updated.
    async fn write(
        self,
        conn: &mut aftersales_store::Conn,
        w: &mut BatchWriter<'_>,
    ) -> Result<(u64, u64), AppError> {
        match self {
            Prepared::Customers(v) => Ok((write_customers(conn, v, w).await?, 0)),
            Prepared::Units(v) => Ok((write_units(conn, v, w).await?, 0)),
            Prepared::Products(v) => Ok((write_products(conn, v, w).await?, 0)),
            Prepared::Parts(v) => write_parts(conn, v, w).await,
            Prepared::Suppliers(v) => write_suppliers(conn, v, w).await,
        }
    }

    fn lines_and_errors(&self) -> Vec<(u32, &[RowError], bool)> {
        fn of<T>(v: &[Candidate<T>]) -> Vec<(u32, &[RowError], bool)> {
            v.iter()
                .map(|c| (c.line, c.errors.as_slice(), c.data.is_some()))
                .collect()
        }
        match self {
            Prepared::Customers(v) => of(v),
            Prepared::Units(v) => of(v),
            Prepared::Products(v) => of(v),
            Prepared::Parts(v) => of(v),
            Prepared::Suppliers(v) => of(v),
        }
    }

    fn preview(&self, n: usize) -> Vec<PreviewRow> {
        match self {
            Prepared::Customers(v) => v
                .iter()
                .filter_map(|c| {
                    c.data
                        .as_ref()
                        .map(|d| (c.line, customer_preview(&d.valid, None)))
                })
                .take(n)
                .map(|(row, values)| PreviewRow { row, values })
                .collect(),
            Prepared::Units(v) => v
                .iter()
                .filter_map(|c| c.data.as_ref().map(|d| (c.line, unit_preview(d))))
                .take(n)
                .map(|(row, values)| PreviewRow { row, values })
                .collect(),
            Prepared::Products(v) => v
                .iter()
                .filter_map(|c| c.data.as_ref().map(|d| (c.line, product_preview(d))))
                .take(n)
                .map(|(row, values)| PreviewRow { row, values })
                .collect(),
            Prepared::Parts(v) => v
                .iter()
                .filter_map(|c| c.data.as_ref().map(|d| (c.line, part_preview(d))))
                .take(n)
                .map(|(row, values)| PreviewRow { row, values })
                .collect(),
            Prepared::Suppliers(v) => v
                .iter()
                .filter_map(|c| c.data.as_ref().map(|d| (c.line, supplier_preview(d))))
                .take(n)
                .map(|(row, values)| PreviewRow { row, values })
                .collect(),
        }
    }
}

impl crate::App {
    /// Refuses unless the caller may import `kind` (before an upload is even read).
    pub fn check_import(&self, ctx: &Ctx, kind: ImportKind) -> Result<(), AppError> {
        if kind.needs_import_data() {
            ctx.require(Permission::ImportData)?;
        }
        ctx.require(kind.manage_permission())
    }

    /// Imports a file of customers, units or products (see the module documentation).
    #[tracing::instrument(skip_all)]
    pub async fn import(&self, ctx: &Ctx, req: &ImportRequest) -> Result<ImportReport, AppError> {
        self.check_import(ctx, req.kind)?;
        if req.action != ImportAction::Create && !req.kind.updatable() {
            return Err(AppError::invalid(FieldError::new(
                "action",
                "invalid_choice",
            )));
        }
        let started = std::time::Instant::now();
        let format = sheets::sniff(&req.bytes).map_err(bad_file)?;
        let table = sheets::read(&req.bytes, format, req.sheet.as_deref()).map_err(bad_file)?;
        let cols = resolve_columns(req.kind, &table.headers, &req.mapping)?;
        let mut report = first_report(req, &table, &cols);
        if !report.missing_fields.is_empty() {
            if req.mode == ImportMode::DryRun {
                report.invalid_rows = report.total_rows;
                report.duration_ms = started.elapsed().as_millis() as u64;
                return Ok(report);
            }
            return Err(AppError::Validation(FieldErrors(
                report
                    .missing_fields
                    .iter()
                    .map(|f| FieldError::new(format!("mapping.{f}"), "column_missing"))
                    .collect(),
            )));
        }
        let today = self.today();
        let mut prepared = Prepared::prepare(req.kind, &table, &cols, today);
        // The checks against the database run in the transaction that writes, so what
        // they saw is what the writes meet (a dry run reads outside any transaction).
        let mut tx = match req.mode {
            ImportMode::DryRun => None,
            _ => Some(self.db.begin().await?),
        };
        match tx.as_mut() {
            Some(tx) => prepared.check(tx.conn(), &table, &cols, req.action).await?,
            None => {
                let mut conn = self.db.acquire().await?;
                prepared.check(&mut conn, &table, &cols, req.action).await?;
            }
        }
        let summary = prepared.lines_and_errors();
        report.valid_rows = summary.iter().filter(|s| s.2).count() as u64;
        report.invalid_rows = report.total_rows - report.valid_rows;
        report.errors = summary.iter().flat_map(|s| s.1.iter().cloned()).collect();
        report.preview = prepared.preview(PREVIEW_ROWS);
        let write = match req.mode {
            ImportMode::DryRun => false,
            ImportMode::Strict => report.invalid_rows == 0,
            ImportMode::Lenient => true,
        };
        if let (true, Some(mut tx)) = (write, tx) {
            let batch_id = uuid::Uuid::now_v7().to_string();
            let mut w = BatchWriter::new(&batch_id, self.now(), self.site(), ctx);
            (report.created, report.updated) = prepared.write(tx.conn(), &mut w).await?;
            w.finish(tx.conn(), &mut report).await?;
            let rejects = (report.invalid_rows > 0).then(|| batch::rejects(req, &table, &report));
            self.record_batch(&mut tx, ctx, req, &batch_id, &report, rejects)
                .await?;
            tx.commit().await.map_err(write_conflict)?;
            report.batch_id = Some(batch_id);
        }
        report.duration_ms = started.elapsed().as_millis() as u64;
        tracing::info!(
            kind = req.kind.as_str(),
            mode = req.mode.as_str(),
            rows = report.total_rows,
            created = report.created,
            updated = report.updated,
            rejected = report.invalid_rows,
            ms = report.duration_ms,
            "import"
        );
        Ok(report)
    }

    /// The rejected rows of a lenient import, for the one who ran it (and admins).
    #[tracing::instrument(skip_all)]
    pub async fn import_rejects(
        &self,
        ctx: &Ctx,
        batch_id: &str,
    ) -> Result<ImportRejects, AppError> {
        // Anyone who may import some kind; the batch's own kind is checked once it is read.
        if !ctx.can(Permission::ImportData) {
            ctx.require(Permission::PartsManage)?;
        }
        let b = batch_store::get(self.db.pool(), batch_id)
            .await
            .map_err(|e| match e {
                aftersales_store::StoreError::NotFound => AppError::NotFound("import_batch"),
                e => e.into(),
            })?;
        if let Some(a) = ctx.actor()
            && a.role != Role::Admin
            && b.actor_id.as_deref() != Some(a.id.to_string().as_str())
        {
            return Err(AppError::NotFound("import_batch"));
        }
        let kind = ImportKind::parse(&b.kind)
            .ok_or_else(|| AppError::Internal(format!("import kind {}", b.kind)))?;
        if ctx.actor().is_some() && self.check_import(ctx, kind).is_err() {
            return Err(AppError::NotFound("import_batch"));
        }
        match b.rejects_json {
            Some(j) => serde_json::from_str(&j).map_err(|e| AppError::Internal(e.to_string())),
            None => Ok(ImportRejects {
                kind,
                file_name: b.file_name,
                headers: Vec::new(),
                rows: Vec::new(),
            }),
        }
    }
}
