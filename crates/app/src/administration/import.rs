//! Imports of customers, units and products from CSV and Excel files as people export them
//! from their ERP.
//!
//! One use-case, [`App::import`](crate::App::import): read the file (`aftersales-sheets`),
//! map its columns to our fields (the caller's mapping, else the headers people use, in
//! Chinese and English), turn every row into the input of the create use-case of its kind
//! and apply the *same* field rules (`validate_customer`, `validate_unit`,
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
//! Over 1,200 lines: the three imports share one pipeline (mapping, row checks, chunked
//! lookups, bulk writes); issue 12 splits it into an `import/` folder, one file per kind beside
//! the shared pipeline.

use crate::installed_base::customers::{
    NewContact, NewCustomer, NewSite, ValidCustomer, customer_rows, snapshot, validate_customer,
};
use crate::installed_base::products::{NewProduct, ValidProduct, validate_product};
use crate::installed_base::units::{NewUnit, ValidUnit, unit_rows, validate_unit};
use crate::{AppError, Ctx};
use aftersales_domain::installed_base::{Phone, Serial};
use aftersales_domain::{CustomerId, FieldError, FieldErrors, Permission, ProductId, Role};
use aftersales_sheets::{self as sheets, Cell, CellKind, Table};
use aftersales_store::{
    administration::audit as audit_store, administration::imports as batch_store,
    installed_base::customers as customer_store, installed_base::products as product_store,
    installed_base::units as unit_store,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Customers,
    Units,
    Products,
}

impl ImportKind {
    pub const ALL: [ImportKind; 3] = [
        ImportKind::Customers,
        ImportKind::Units,
        ImportKind::Products,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Customers => "customers",
            ImportKind::Units => "units",
            ImportKind::Products => "products",
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
        }
    }

    /// May `role` import this kind?
    pub fn allowed_for(self, role: Role) -> bool {
        role.can(Permission::ImportData) && role.can(self.manage_permission())
    }

    pub fn fields(self) -> &'static [FieldDef] {
        match self {
            ImportKind::Customers => CUSTOMER_FIELDS,
            ImportKind::Units => UNIT_FIELDS,
            ImportKind::Products => PRODUCT_FIELDS,
        }
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

/// One of our fields that a column can feed.
#[derive(Debug)]
pub struct FieldDef {
    pub name: &'static str,
    pub required: bool,
    /// Several columns may feed it (phone numbers).
    pub multi: bool,
    /// Headers recognized without a mapping (compared without case, spaces, punctuation
    /// and text in parentheses).
    pub aliases: &'static [&'static str],
}

const fn f(name: &'static str, aliases: &'static [&'static str]) -> FieldDef {
    FieldDef {
        name,
        required: false,
        multi: false,
        aliases,
    }
}

const fn req(name: &'static str, aliases: &'static [&'static str]) -> FieldDef {
    FieldDef {
        name,
        required: true,
        multi: false,
        aliases,
    }
}

pub const CUSTOMER_FIELDS: &[FieldDef] = &[
    req(
        "name",
        &[
            "客户名称",
            "客户姓名",
            "姓名",
            "名称",
            "客户",
            "用户名称",
            "用户姓名",
            "客户名",
            "customer name",
            "customer",
        ],
    ),
    f(
        "kind",
        &["客户类型", "类型", "客户类别", "type", "customer type"],
    ),
    f(
        "company",
        &[
            "公司",
            "公司名称",
            "单位",
            "单位名称",
            "企业名称",
            "company name",
        ],
    ),
    f(
        "region_code",
        &[
            "行政区划代码",
            "区划代码",
            "地区代码",
            "区域代码",
            "region code",
            "region",
        ],
    ),
    f(
        "contact",
        &["联系人", "联系人姓名", "contact name", "contact person"],
    ),
    f("contact_title", &["职务", "职位", "联系人职务", "title"]),
    FieldDef {
        name: "phone",
        required: false,
        multi: true,
        aliases: &[
            "电话",
            "手机",
            "手机号",
            "手机号码",
            "联系电话",
            "电话号码",
            "联系方式",
            "座机",
            "固定电话",
            "mobile",
            "tel",
            "telephone",
            "phone number",
            "phones",
        ],
    },
    f(
        "address",
        &[
            "地址",
            "详细地址",
            "安装地址",
            "联系地址",
            "客户地址",
            "用户地址",
        ],
    ),
    f("notes", &["备注", "说明", "note", "remark", "remarks"]),
];

pub const UNIT_FIELDS: &[FieldDef] = &[
    f(
        "serial",
        &[
            "机身编码",
            "机身号",
            "机身条码",
            "序列号",
            "出厂编号",
            "产品序列号",
            "产品编号",
            "条码",
            "sn",
            "serial number",
            "serial no",
        ],
    ),
    req(
        "product_code",
        &[
            "型号",
            "产品型号",
            "机型",
            "规格型号",
            "产品编码",
            "物料编码",
            "model",
            "product",
        ],
    ),
    f(
        "manufacturer",
        &["制造商", "厂家", "生产厂家", "品牌", "maker", "brand"],
    ),
    f(
        "customer_number",
        &[
            "客户编号",
            "客户号",
            "客户代码",
            "客户编码",
            "customer no",
            "customer",
        ],
    ),
    f(
        "customer_phone",
        &[
            "客户电话",
            "用户电话",
            "客户手机",
            "用户手机",
            "电话",
            "手机",
            "联系电话",
            "phone",
            "mobile",
        ],
    ),
    f(
        "manufacture_date",
        &["出厂日期", "生产日期", "制造日期", "production date"],
    ),
    f(
        "ship_date",
        &["发货日期", "出库日期", "shipping date", "shipped"],
    ),
    f(
        "sale_date",
        &[
            "销售日期",
            "购买日期",
            "购机日期",
            "开票日期",
            "purchase date",
            "sold",
        ],
    ),
    f("installation_date", &["安装日期", "install date"]),
    f("acceptance_date", &["验收日期"]),
    f(
        "dealer",
        &["经销商", "销售商", "代理商", "销售单位", "reseller"],
    ),
    f("oem", &["贴牌", "是否oem", "是否贴牌"]),
    f(
        "third_party",
        &["第三方", "是否第三方", "非本厂产品", "third party"],
    ),
];

pub const PRODUCT_FIELDS: &[FieldDef] = &[
    req(
        "code",
        &[
            "产品编码",
            "型号",
            "产品型号",
            "编码",
            "代码",
            "物料编码",
            "model",
            "product code",
        ],
    ),
    req("name", &["产品名称", "名称", "品名", "product name"]),
    req(
        "product_line",
        &["产品线", "品类", "产品类别", "类别", "category"],
    ),
    f(
        "maintenance_interval_months",
        &[
            "保养周期",
            "保养间隔",
            "维保周期",
            "保养周期月",
            "maintenance interval",
        ],
    ),
    f(
        "policy_code",
        &[
            "保修政策",
            "保修政策代码",
            "保修政策编码",
            "保修代码",
            "warranty policy",
            "policy",
        ],
    ),
];

/// Columns of files this product wrote (the error column of a rejects file), skipped
/// without being reported as unknown.
const IGNORED_HEADERS: &[&str] = &[
    "导入错误",
    "import errors",
    "错误原因",
    "原行号",
    "original row",
];

/// A header as compared: lower case, without spaces, punctuation, `*` marks and text in
/// parentheses ("客户名称（必填）" → "客户名称", "S/N" → "sn", "Sale_Date" → "saledate").
pub fn normalize_header(h: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in h.chars() {
        match c {
            '(' | '（' | '[' | '【' => depth += 1,
            ')' | '）' | ']' | '】' => depth = (depth - 1).max(0),
            _ if depth > 0 => {}
            c if c.is_whitespace()
                || matches!(
                    c,
                    '_' | '-' | '.' | '/' | '*' | '＊' | ':' | '：' | '#' | '\u{feff}'
                ) => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Where a column goes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ColumnMap {
    /// The header as in the file.
    pub column: String,
    /// Our field, or null when the column is not imported.
    pub field: Option<String>,
    /// `mapping` (the caller's), `default` (recognized header), `ignored` (a column this
    /// product adds, like the error column), or `unknown`.
    pub source: String,
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
    /// Records written (0 for a dry run and for a refused strict import).
    pub created: u64,
    pub errors: Vec<RowError>,
    /// The first valid rows as they would be (or were) stored.
    pub preview: Vec<PreviewRow>,
    pub duration_ms: u64,
}

/// An import as asked: the file and how to read it.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub kind: ImportKind,
    pub mode: ImportMode,
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

fn bad_file(e: sheets::ReadError) -> AppError {
    AppError::BadFile(e.code())
}

/// Resolved columns: for each column of the file, the field it feeds.
struct Columns {
    field_of: Vec<Option<&'static FieldDef>>,
    maps: Vec<ColumnMap>,
}

fn resolve_columns(
    kind: ImportKind,
    headers: &[String],
    mapping: &BTreeMap<String, String>,
) -> Result<Columns, AppError> {
    let fields = kind.fields();
    let mut errs = FieldErrors::new();
    for (h, _) in mapping.iter() {
        if !headers.contains(h) {
            errs.push(FieldError::new(format!("mapping.{h}"), "unknown_column"));
        }
    }
    let mut field_of: Vec<Option<&'static FieldDef>> = vec![None; headers.len()];
    let mut source: Vec<&str> = vec!["unknown"; headers.len()];
    let mut taken: HashSet<&str> = HashSet::new();
    // The caller's mapping first.
    for (i, h) in headers.iter().enumerate() {
        let Some(target) = mapping.get(h) else {
            continue;
        };
        let target = target.trim();
        if target.is_empty() || target == "ignore" {
            source[i] = "mapping";
            continue;
        }
        match fields.iter().find(|f| f.name == target) {
            None => errs.push(FieldError::new(format!("mapping.{h}"), "invalid_choice")),
            Some(f) if !f.multi && taken.contains(f.name) => {
                errs.push(FieldError::new(format!("mapping.{h}"), "duplicate_mapping"));
            }
            Some(f) => {
                taken.insert(f.name);
                field_of[i] = Some(f);
                source[i] = "mapping";
            }
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    // Then the headers people use; a field already fed keeps its first column.
    let ignored: Vec<String> = IGNORED_HEADERS
        .iter()
        .map(|h| normalize_header(h))
        .collect();
    for (i, h) in headers.iter().enumerate() {
        if source[i] != "unknown" {
            continue;
        }
        let n = normalize_header(h);
        if ignored.contains(&n) {
            source[i] = "ignored";
            continue;
        }
        let found = fields.iter().find(|f| {
            normalize_header(f.name) == n || f.aliases.iter().any(|a| normalize_header(a) == n)
        });
        if let Some(f) = found
            && (f.multi || !taken.contains(f.name))
        {
            taken.insert(f.name);
            field_of[i] = Some(f);
            source[i] = "default";
        }
    }
    let maps = headers
        .iter()
        .enumerate()
        .map(|(i, h)| ColumnMap {
            column: h.clone(),
            field: field_of[i].map(|f| f.name.to_owned()),
            source: source[i].to_owned(),
        })
        .collect();
    Ok(Columns { field_of, maps })
}

/// One row's cells by field.
struct RowCells<'a> {
    cells: &'a [Cell],
    cols: &'a Columns,
    headers: &'a [String],
    /// Today in the site's zone: dates of past events may not lie after it (`bounds`).
    today: jiff::civil::Date,
}

impl<'a> RowCells<'a> {
    /// The first column feeding `field` and its cell.
    fn get(&self, field: &str) -> Option<(usize, &'a Cell)> {
        self.cols
            .field_of
            .iter()
            .position(|f| f.is_some_and(|f| f.name == field))
            .map(|i| (i, &self.cells[i]))
    }

    /// The trimmed text of `field`, if any and not blank.
    fn text(&self, field: &str) -> Option<String> {
        self.get(field)
            .map(|(_, c)| c.text.trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    fn all(&self, field: &str) -> Vec<(usize, &'a Cell)> {
        self.cols
            .field_of
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_some_and(|f| f.name == field))
            .map(|(i, _)| (i, &self.cells[i]))
            .collect()
    }

    fn column_of(&self, field: &str) -> Option<String> {
        self.get(field).map(|(i, _)| self.headers[i].clone())
    }

    /// A row error for every mapped cell holding a control character other than line
    /// breaks and tabs (NUL above all, which PostgreSQL cannot store): whatever field the
    /// cell feeds, the row is refused before any lookup or write.
    fn control_errors(&self, line: u32) -> Vec<RowError> {
        self.cols
            .field_of
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.map(|f| (i, f)))
            .filter(|(i, _)| {
                self.cells[*i]
                    .text
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            })
            .map(|(i, f)| {
                row_error(
                    line,
                    Some(self.headers[i].clone()),
                    f.name,
                    &FieldError::new(f.name, "control_chars"),
                    None,
                )
            })
            .collect()
    }
}

impl<T> Candidate<T> {
    /// Refuses the row if any of its cells holds a control character.
    fn refuse_control_chars(mut self, r: &RowCells) -> Self {
        let errs: Vec<RowError> = r
            .control_errors(self.line)
            .into_iter()
            .filter(|e| {
                !self
                    .errors
                    .iter()
                    .any(|x| x.field == e.field && x.code == e.code)
            })
            .collect();
        if !errs.is_empty() {
            self.errors.extend(errs);
            self.data = None;
        }
        self
    }
}

/// A row on its way: its number, its errors so far and, while it has none, its data.
struct Candidate<T> {
    line: u32,
    errors: Vec<RowError>,
    data: Option<T>,
}

fn row_error(
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

/// Dates as spreadsheets and ERPs write them, as `YYYY-MM-DD`: date cells, serial numbers,
/// `2023/3/5`, `2023.03.05`, `2023年3月5日`, `20230305`, with or without a time. Anything
/// else is passed on unchanged, for the date rule to refuse.
pub fn normalize_date(c: &Cell) -> String {
    let t = c.text.trim();
    if c.kind == CellKind::Number
        && let Ok(serial) = t.parse::<f64>()
        && (20_000.0..80_000.0).contains(&serial)
        && let Some(d) = sheets::excel_serial_to_date(serial)
    {
        return d.to_string();
    }
    let day = t.split([' ', 'T']).next().unwrap_or(t);
    if day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()) {
        return format!("{}-{}-{}", &day[..4], &day[4..6], &day[6..]);
    }
    let parts: Vec<&str> = day
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() == 3
        && parts[0].len() == 4
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && parts[1].len() <= 2
        && parts[2].len() <= 2
    {
        return format!("{}-{:0>2}-{:0>2}", parts[0], parts[1], parts[2]);
    }
    t.to_owned()
}

/// Yes/no as people write it: 是/否, Y/N, yes/no, true/false, 1/0, √/×; blank is no.
pub fn parse_flag(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "" | "否" | "n" | "no" | "false" | "0" | "×" | "✗" | "-" | "无" | "不是" => {
            Some(false)
        }
        "是" | "y" | "yes" | "true" | "1" | "√" | "✓" | "✔" | "有" | "oem" => Some(true),
        _ => None,
    }
}

/// Phone numbers of a cell: several separated by `/`, `;`, `、` or `,`. A number cell that
/// lost the leading 0 of a landline to the spreadsheet (`2423456789`) gets it back.
fn phones_of(c: &Cell) -> Vec<String> {
    c.text
        .split(['/', ';', '；', '、', ',', '，', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            if c.kind == CellKind::Number
                && !s.starts_with('1')
                && !s.starts_with('0')
                && (9..=11).contains(&s.len())
            {
                format!("0{s}")
            } else {
                s.to_owned()
            }
        })
        .collect()
}

fn customer_kind(s: &str, has_company: bool) -> String {
    match s.trim().to_lowercase().as_str() {
        "" if has_company => "company".into(),
        "" => "individual".into(),
        "个人" | "个体" | "私人" | "家庭" | "individual" | "person" | "personal" => {
            "individual".into()
        }
        "企业" | "公司" | "单位" | "机构" | "company" | "business" | "organization"
        | "organisation" => "company".into(),
        other => other.to_owned(),
    }
}

/// A customer row: the valid record and what the checks against others need.
struct CustomerCand {
    valid: ValidCustomer,
    /// (digits, column) of each phone.
    phones: Vec<(String, Option<String>)>,
    address: Option<String>,
}

fn prepare_customer(r: &RowCells, line: u32) -> Candidate<CustomerCand> {
    let name = r.text("name").unwrap_or_default();
    let company = r.text("company");
    let kind = customer_kind(&r.text("kind").unwrap_or_default(), company.is_some());
    let region_code = r.text("region_code");
    let address = r.text("address");
    let mut phones = Vec::new();
    let mut phone_cols = Vec::new();
    for (i, c) in r.all("phone") {
        for p in phones_of(c) {
            phones.push(p);
            phone_cols.push(r.headers[i].clone());
        }
    }
    let contact = r.text("contact");
    let derived_contact = contact.is_none();
    let contacts = if contact.is_some() || !phones.is_empty() {
        vec![NewContact {
            name: contact.unwrap_or_else(|| name.clone()),
            title: r.text("contact_title"),
            phones: phones.clone(),
        }]
    } else {
        Vec::new()
    };
    let sites = address
        .iter()
        .map(|a| NewSite {
            label: None,
            address: a.clone(),
            region_code: region_code.clone(),
            latitude: None,
            longitude: None,
        })
        .collect();
    let input = NewCustomer {
        kind,
        name,
        company,
        region_code,
        notes: r.text("notes"),
        contacts,
        sites,
    };
    match validate_customer(&input) {
        Ok(valid) => {
            let phones = valid
                .contacts
                .iter()
                .flat_map(|(_, _, ps)| ps.iter().map(|p| p.digits().to_owned()))
                .zip(phone_cols.into_iter().map(Some))
                .collect();
            Candidate {
                line,
                errors: Vec::new(),
                data: Some(CustomerCand {
                    phones,
                    address: valid.sites.first().map(|s| s.1.clone()),
                    valid,
                }),
            }
        }
        Err(e) => {
            let mut errors: Vec<RowError> = Vec::new();
            for fe in e.field_errors().map(|e| e.0.as_slice()).unwrap_or_default() {
                let (field, column) = match fe.field.as_str() {
                    "contacts[0].name" if derived_contact => continue,
                    "contacts[0].name" => ("contact", r.column_of("contact")),
                    "contacts[0].title" => ("contact_title", r.column_of("contact_title")),
                    "sites[0].address" => ("address", r.column_of("address")),
                    "sites[0].region_code" => ("region_code", r.column_of("region_code")),
                    p if p.starts_with("contacts[0].phones[") => {
                        let j: usize = p
                            .trim_start_matches("contacts[0].phones[")
                            .trim_end_matches(']')
                            .parse()
                            .unwrap_or(0);
                        ("phone", phone_cols.get(j).cloned())
                    }
                    other => {
                        let f = CUSTOMER_FIELDS
                            .iter()
                            .find(|f| f.name == other)
                            .map(|f| f.name)
                            .unwrap_or("name");
                        (f, r.column_of(f))
                    }
                };
                let e = row_error(line, column, field, fe, None);
                if !errors
                    .iter()
                    .any(|x| x.field == e.field && x.code == e.code)
                {
                    errors.push(e);
                }
            }
            Candidate {
                line,
                errors,
                data: None,
            }
        }
    }
}

/// A unit row: the valid unit, how its owner was named, and its model.
struct UnitCand {
    valid: ValidUnit,
    owner_number: Option<String>,
    owner_phone: Option<String>,
    owner: Option<(CustomerId, String)>,
    product_id: Option<ProductId>,
}

const UNIT_DATES: [&str; 5] = [
    "manufacture_date",
    "ship_date",
    "sale_date",
    "installation_date",
    "acceptance_date",
];

fn prepare_unit(r: &RowCells, line: u32) -> Candidate<UnitCand> {
    let mut errors = Vec::new();
    let mut flag = |field: &str| -> bool {
        let Some(t) = r.text(field) else {
            return false;
        };
        match parse_flag(&t) {
            Some(b) => b,
            None => {
                errors.push(row_error(
                    line,
                    r.column_of(field),
                    field,
                    &FieldError::new(field, "invalid_flag"),
                    None,
                ));
                false
            }
        }
    };
    let oem = flag("oem");
    let third_party = flag("third_party");
    let date = |field: &str| r.get(field).map(|(_, c)| normalize_date(c));
    let product_code = r.text("product_code");
    if product_code.is_none() {
        errors.push(row_error(
            line,
            r.column_of("product_code"),
            "product_code",
            &FieldError::new("product_code", "required"),
            None,
        ));
    }
    let owner_phone = match r.text("customer_phone") {
        None => None,
        Some(p) => match Phone::parse(
            "customer_phone",
            &phones_of(&Cell {
                text: p.clone(),
                kind: r
                    .get("customer_phone")
                    .map(|(_, c)| c.kind)
                    .unwrap_or(CellKind::Text),
            })
            .first()
            .cloned()
            .unwrap_or(p),
        ) {
            Ok(ph) => Some(ph.digits().to_owned()),
            Err(e) => {
                errors.push(row_error(
                    line,
                    r.column_of("customer_phone"),
                    "customer_phone",
                    &e,
                    None,
                ));
                None
            }
        },
    };
    let input = NewUnit {
        serial: r.text("serial"),
        manufacturer: r.text("manufacturer"),
        product_code: product_code.unwrap_or_default(),
        customer_id: None,
        site_id: None,
        manufacture_date: date(UNIT_DATES[0]),
        ship_date: date(UNIT_DATES[1]),
        sale_date: date(UNIT_DATES[2]),
        installation_date: date(UNIT_DATES[3]),
        acceptance_date: date(UNIT_DATES[4]),
        dealer: r.text("dealer"),
        oem,
        third_party,
    };
    let valid = match validate_unit(&input, r.today) {
        Ok(v) => Some(v),
        Err(e) => {
            for fe in &e.0 {
                let field = UNIT_FIELDS
                    .iter()
                    .find(|f| f.name == fe.field)
                    .map(|f| f.name)
                    .unwrap_or("serial");
                errors.push(row_error(line, r.column_of(field), field, fe, None));
            }
            None
        }
    };
    let data = match valid {
        Some(valid) if errors.is_empty() => Some(UnitCand {
            valid,
            owner_number: r.text("customer_number").map(|s| s.to_uppercase()),
            owner_phone,
            owner: None,
            product_id: None,
        }),
        _ => None,
    };
    Candidate { line, errors, data }
}

struct ProductCand {
    valid: ValidProduct,
    interval: Option<i64>,
    policy_id: Option<String>,
}

/// Months as written: `6`, `6.0`, `6个月`, `6 months`.
fn parse_months(s: &str) -> Option<i64> {
    let t = s
        .trim()
        .trim_end_matches("个月")
        .trim_end_matches('月')
        .trim_end_matches("months")
        .trim_end_matches("month")
        .trim();
    t.parse::<i64>().ok().or_else(|| {
        t.parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e9)
            .map(|f| f as i64)
    })
}

fn prepare_product(r: &RowCells, line: u32) -> Candidate<ProductCand> {
    let mut errors = Vec::new();
    let interval = match r.text("maintenance_interval_months") {
        None => None,
        Some(t) => match parse_months(&t) {
            Some(m) => Some(m),
            None => {
                errors.push(row_error(
                    line,
                    r.column_of("maintenance_interval_months"),
                    "maintenance_interval_months",
                    &FieldError::new("maintenance_interval_months", "invalid_number"),
                    None,
                ));
                None
            }
        },
    };
    let input = NewProduct {
        code: r.text("code").unwrap_or_default(),
        name: r.text("name").unwrap_or_default(),
        product_line: r.text("product_line").unwrap_or_default(),
        maintenance_interval_months: interval,
        policy_code: r.text("policy_code"),
    };
    let valid = match validate_product(&input) {
        Ok(v) => Some(v),
        Err(e) => {
            for fe in &e.0 {
                let field = PRODUCT_FIELDS
                    .iter()
                    .find(|f| f.name == fe.field)
                    .map(|f| f.name)
                    .unwrap_or("code");
                errors.push(row_error(line, r.column_of(field), field, fe, None));
            }
            None
        }
    };
    let data = match valid {
        Some(valid) if errors.is_empty() => Some(ProductCand {
            valid,
            interval,
            policy_id: None,
        }),
        _ => None,
    };
    Candidate { line, errors, data }
}

fn fail<T>(
    c: &mut Candidate<T>,
    column: Option<String>,
    field: &str,
    e: FieldError,
    hint: Option<String>,
) {
    c.errors.push(row_error(c.line, column, field, &e, hint));
    c.data = None;
}

fn column_for(table: &Table, cols: &Columns, field: &str) -> Option<String> {
    cols.field_of
        .iter()
        .position(|f| f.is_some_and(|f| f.name == field))
        .map(|i| table.headers[i].clone())
}

/// Checks customers against each other and the database: a phone, or a name with an
/// address, already known is a likely duplicate; repeated in the file, a duplicate row.
async fn check_customers(
    conn: &mut aftersales_store::Conn,
    table: &Table,
    cols: &Columns,
    cands: &mut [Candidate<CustomerCand>],
) -> Result<(), AppError> {
    let digits: Vec<String> = cands
        .iter()
        .filter_map(|c| c.data.as_ref())
        .flat_map(|d| d.phones.iter().map(|(p, _)| p.clone()))
        .collect();
    let names: Vec<String> = cands
        .iter()
        .filter_map(|c| c.data.as_ref())
        .filter(|d| d.address.is_some())
        .map(|d| d.valid.name.clone())
        .collect();
    let known_phones: HashMap<String, String> = customer_store::owners_of_phones(conn, &digits)
        .await?
        .into_iter()
        .map(|(d, _, number)| (d, number))
        .collect();
    let known_addresses: HashMap<(String, String), String> =
        customer_store::addresses_of_names(conn, &names)
            .await?
            .into_iter()
            .map(|(n, a, number)| ((n, a), number))
            .collect();
    let name_col = column_for(table, cols, "name");
    let mut seen_phone: HashMap<String, u32> = HashMap::new();
    let mut seen_name_address: HashMap<(String, String), u32> = HashMap::new();
    for c in cands.iter_mut() {
        let Some(d) = c.data.as_ref() else {
            continue;
        };
        let mut problems = Vec::new();
        for (p, col) in &d.phones {
            if let Some(number) = known_phones.get(p) {
                problems.push((
                    col.clone(),
                    "phone",
                    FieldError::new("phone", "likely_duplicate"),
                    Some(number.clone()),
                ));
            } else if let Some(first) = seen_phone.get(p) {
                problems.push((
                    col.clone(),
                    "phone",
                    FieldError::new("phone", "duplicate_in_file").with("row", i64::from(*first)),
                    None,
                ));
            }
        }
        if let Some(a) = &d.address {
            let key = (d.valid.name.clone(), a.clone());
            if let Some(number) = known_addresses.get(&key) {
                problems.push((
                    name_col.clone(),
                    "name",
                    FieldError::new("name", "likely_duplicate"),
                    Some(number.clone()),
                ));
            } else if let Some(first) = seen_name_address.get(&key) {
                problems.push((
                    name_col.clone(),
                    "name",
                    FieldError::new("name", "duplicate_in_file").with("row", i64::from(*first)),
                    None,
                ));
            }
        }
        if problems.is_empty() {
            for (p, _) in &d.phones {
                seen_phone.entry(p.clone()).or_insert(c.line);
            }
            if let Some(a) = &d.address {
                seen_name_address
                    .entry((d.valid.name.clone(), a.clone()))
                    .or_insert(c.line);
            }
        } else {
            for (col, field, e, hint) in problems {
                fail(c, col, field, e, hint);
            }
        }
    }
    Ok(())
}

/// Checks units: their model exists, their owner is found (by number, by phone, or both
/// agreeing), their serial is not taken by the same maker, here or earlier in the file.
async fn check_units(
    conn: &mut aftersales_store::Conn,
    table: &Table,
    cols: &Columns,
    cands: &mut [Candidate<UnitCand>],
) -> Result<(), AppError> {
    let products: HashMap<String, ProductId> = product_store::all_codes(&mut *conn)
        .await?
        .into_iter()
        .filter_map(|(code, id)| id.parse().ok().map(|id| (code, id)))
        .collect();
    let data = || cands.iter().filter_map(|c| c.data.as_ref());
    let numbers: Vec<String> = data().filter_map(|d| d.owner_number.clone()).collect();
    let phones: Vec<String> = data().filter_map(|d| d.owner_phone.clone()).collect();
    let serials: Vec<String> = data()
        .filter_map(|d| d.valid.serial.as_ref().map(|s| s.normalized().to_owned()))
        .collect();
    let by_number: HashMap<String, String> = customer_store::ids_by_number(conn, &numbers)
        .await?
        .into_iter()
        .collect();
    let mut by_phone: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (d, id, number) in customer_store::owners_of_phones(conn, &phones).await? {
        let v = by_phone.entry(d).or_default();
        if !v.iter().any(|(i, _)| *i == id) {
            v.push((id, number));
        }
    }
    let taken: HashSet<(String, String)> = unit_store::taken_serials(conn, &serials)
        .await?
        .into_iter()
        .collect();
    let col = |f: &str| column_for(table, cols, f);
    let mut seen: HashMap<(String, String), u32> = HashMap::new();
    for c in cands.iter_mut() {
        let Some(d) = c.data.as_mut() else {
            continue;
        };
        let mut problems: Vec<(&str, FieldError, Option<String>)> = Vec::new();
        match products.get(&d.valid.product_code) {
            Some(id) => d.product_id = Some(*id),
            None => problems.push((
                "product_code",
                FieldError::new("product_code", "unknown_product"),
                None,
            )),
        }
        let from_number = match &d.owner_number {
            Some(n) => match by_number.get(n) {
                Some(id) => Some((id.clone(), n.clone())),
                None => {
                    problems.push((
                        "customer_number",
                        FieldError::new("customer_number", "unknown_customer"),
                        None,
                    ));
                    None
                }
            },
            None => None,
        };
        let from_phone = match &d.owner_phone {
            Some(p) => match by_phone.get(p).map(Vec::as_slice) {
                Some([one]) => Some(one.clone()),
                Some([]) | None => {
                    if d.owner_number.is_none() {
                        problems.push((
                            "customer_phone",
                            FieldError::new("customer_phone", "unknown_customer"),
                            None,
                        ));
                    }
                    None
                }
                Some(many) => {
                    if d.owner_number.is_none() {
                        problems.push((
                            "customer_phone",
                            FieldError::new("customer_phone", "customer_ambiguous"),
                            Some(
                                many.iter()
                                    .map(|(_, n)| n.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            ),
                        ));
                    }
                    None
                }
            },
            None => None,
        };
        let owner = match (from_number, from_phone) {
            (Some(a), Some(b)) if a.0 != b.0 => {
                problems.push((
                    "customer_phone",
                    FieldError::new("customer_phone", "customer_mismatch"),
                    Some(b.1),
                ));
                None
            }
            (Some(a), _) => Some(a),
            (None, b) => b,
        };
        d.owner = owner.and_then(|(id, n)| id.parse().ok().map(|id| (id, n)));
        if let Some(s) = &d.valid.serial {
            let key = (d.valid.manufacturer.clone(), s.normalized().to_owned());
            if taken.contains(&key) {
                problems.push(("serial", FieldError::new("serial", "serial_taken"), None));
            } else if let Some(first) = seen.get(&key) {
                problems.push((
                    "serial",
                    FieldError::new("serial", "duplicate_in_file").with("row", i64::from(*first)),
                    None,
                ));
            } else if problems.is_empty() {
                seen.insert(key, c.line);
            }
        }
        for (field, e, hint) in problems {
            fail(c, col(field), field, e, hint);
        }
    }
    Ok(())
}

async fn check_products(
    conn: &mut aftersales_store::Conn,
    table: &Table,
    cols: &Columns,
    cands: &mut [Candidate<ProductCand>],
) -> Result<(), AppError> {
    let codes: HashSet<String> = product_store::all_codes(&mut *conn)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let policies: HashMap<String, String> = product_store::list_policies(&mut *conn)
        .await?
        .into_iter()
        .map(|p| (p.code, p.id))
        .collect();
    let col = |f: &str| column_for(table, cols, f);
    let mut seen: HashMap<String, u32> = HashMap::new();
    for c in cands.iter_mut() {
        let Some(d) = c.data.as_mut() else {
            continue;
        };
        let mut problems: Vec<(&str, FieldError)> = Vec::new();
        if let Some(pc) = &d.valid.policy_code {
            match policies.get(pc) {
                Some(id) => d.policy_id = Some(id.clone()),
                None => problems.push((
                    "policy_code",
                    FieldError::new("policy_code", "unknown_policy"),
                )),
            }
        }
        if codes.contains(&d.valid.code) {
            problems.push(("code", FieldError::new("code", "code_taken")));
        } else if let Some(first) = seen.get(&d.valid.code) {
            problems.push((
                "code",
                FieldError::new("code", "duplicate_in_file").with("row", i64::from(*first)),
            ));
        } else if problems.is_empty() {
            seen.insert(d.valid.code.clone(), c.line);
        }
        for (field, e) in problems {
            fail(c, col(field), field, e, None);
        }
    }
    Ok(())
}

fn customer_preview(v: &ValidCustomer, number: Option<&str>) -> Value {
    json!({
        "number": number,
        "kind": v.kind.as_str(),
        "name": v.name,
        "company": v.company,
        "region_code": v.region_code.map(|r| r.to_string()),
        "contact": v.contacts.first().map(|c| &c.0),
        "contact_title": v.contacts.first().and_then(|c| c.1.as_ref()),
        "phones": v.contacts.iter().flat_map(|c| c.2.iter().map(|p| p.raw().to_owned())).collect::<Vec<_>>(),
        "address": v.sites.first().map(|s| &s.1),
        "notes": v.notes,
    })
}

fn unit_preview(d: &UnitCand) -> Value {
    let v = &d.valid;
    json!({
        "serial": v.serial.as_ref().map(Serial::raw),
        "manufacturer": v.manufacturer,
        "product_code": v.product_code,
        "customer_number": d.owner.as_ref().map(|o| &o.1),
        "manufacture_date": v.dates[0],
        "ship_date": v.dates[1],
        "sale_date": v.dates[2],
        "installation_date": v.dates[3],
        "acceptance_date": v.dates[4],
        "dealer": v.dealer,
        "oem": v.oem,
        "third_party": v.third_party,
    })
}

fn product_preview(d: &ProductCand) -> Value {
    json!({
        "code": d.valid.code,
        "name": d.valid.name,
        "product_line": d.valid.product_line,
        "maintenance_interval_months": d.interval,
        "policy_code": d.valid.policy_code,
    })
}

/// The rows of a kind, prepared and then checked.
enum Prepared {
    Customers(Vec<Candidate<CustomerCand>>),
    Units(Vec<Candidate<UnitCand>>),
    Products(Vec<Candidate<ProductCand>>),
}

impl Prepared {
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
        }
    }
}

impl crate::App {
    /// Refuses unless the caller may import `kind` (before an upload is even read).
    pub fn check_import(&self, ctx: &Ctx, kind: ImportKind) -> Result<(), AppError> {
        ctx.require(Permission::ImportData)?;
        ctx.require(kind.manage_permission())
    }

    /// Imports a file of customers, units or products (see the module documentation).
    pub async fn import(&self, ctx: &Ctx, req: &ImportRequest) -> Result<ImportReport, AppError> {
        self.check_import(ctx, req.kind)?;
        let started = std::time::Instant::now();
        let format = sheets::sniff(&req.bytes).map_err(bad_file)?;
        let table = sheets::read(&req.bytes, format, req.sheet.as_deref()).map_err(bad_file)?;
        let cols = resolve_columns(req.kind, &table.headers, &req.mapping)?;
        let fields = req.kind.fields();
        let missing_fields: Vec<String> = fields
            .iter()
            .filter(|f| {
                f.required
                    && !cols
                        .field_of
                        .iter()
                        .any(|c| c.is_some_and(|c| c.name == f.name))
            })
            .map(|f| f.name.to_owned())
            .collect();
        let mut report = ImportReport {
            kind: req.kind,
            mode: req.mode,
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
                .filter(|m| m.source == "unknown")
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
            missing_fields: missing_fields.clone(),
            total_rows: table.rows.len() as u64,
            valid_rows: 0,
            invalid_rows: 0,
            created: 0,
            errors: Vec::new(),
            preview: Vec::new(),
            duration_ms: 0,
        };
        if !missing_fields.is_empty() {
            if req.mode == ImportMode::DryRun {
                report.invalid_rows = report.total_rows;
                report.duration_ms = started.elapsed().as_millis() as u64;
                return Ok(report);
            }
            return Err(AppError::Validation(FieldErrors(
                missing_fields
                    .iter()
                    .map(|f| FieldError::new(format!("mapping.{f}"), "column_missing"))
                    .collect(),
            )));
        }
        let mut prepared = {
            let rows = table.rows.iter().map(|row| {
                (
                    row.line,
                    RowCells {
                        cells: &row.cells,
                        cols: &cols,
                        headers: &table.headers,
                        today: self.today(),
                    },
                )
            });
            match req.kind {
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
            }
        };
        // The checks against the database run in the transaction that writes, so what
        // they saw is what the writes meet (a dry run reads outside any transaction).
        let mut tx = match req.mode {
            ImportMode::DryRun => None,
            _ => Some(self.db.begin().await?),
        };
        {
            let mut pooled: Option<aftersales_store::PooledConn> = None;
            let conn: &mut aftersales_store::Conn = match tx.as_mut() {
                Some(tx) => tx.conn(),
                None => pooled.insert(self.db.acquire().await?),
            };
            match &mut prepared {
                Prepared::Customers(v) => check_customers(conn, &table, &cols, v).await?,
                Prepared::Units(v) => check_units(conn, &table, &cols, v).await?,
                Prepared::Products(v) => check_products(conn, &table, &cols, v).await?,
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
            let created = self
                .write_rows(&mut tx, ctx, &batch_id, prepared, &mut report)
                .await?;
            report.created = created;
            let rejects = (report.invalid_rows > 0).then(|| {
                let bad: HashSet<u32> = report.errors.iter().map(|e| e.row).collect();
                ImportRejects {
                    kind: req.kind,
                    file_name: req.file_name.clone(),
                    headers: table.headers.clone(),
                    rows: table
                        .rows
                        .iter()
                        .filter(|r| bad.contains(&r.line))
                        .map(|r| RejectedRow {
                            row: r.line,
                            cells: r.cells.iter().map(|c| c.text.clone()).collect(),
                            errors: report
                                .errors
                                .iter()
                                .filter(|e| e.row == r.line)
                                .cloned()
                                .collect(),
                        })
                        .collect(),
                }
            });
            let (actor_id, actor_name) = ctx.audit_actor();
            let now = self.now();
            batch_store::insert(
                tx.conn(),
                &batch_store::ImportBatch {
                    id: batch_id.clone(),
                    kind: req.kind.as_str().into(),
                    mode: req.mode.as_str().into(),
                    file_name: req.file_name.clone(),
                    actor_id,
                    actor_name,
                    total_rows: report.total_rows as i64,
                    created_rows: created as i64,
                    rejected_rows: report.invalid_rows as i64,
                    rejects_json: rejects
                        .map(|r| serde_json::to_string(&r))
                        .transpose()
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                    created_at: now,
                },
            )
            .await?;
            self.audit(
                &mut tx,
                ctx,
                "import_batch",
                &batch_id,
                "create",
                None,
                Some(json!({
                    "kind": req.kind.as_str(), "mode": req.mode.as_str(), "file_name": req.file_name,
                    "total_rows": report.total_rows, "created": created, "rejected": report.invalid_rows,
                })),
            )
            .await?;
            tx.commit().await.map_err(|e| match e {
                aftersales_store::StoreError::Constraint(_) => {
                    AppError::Conflict("import_conflict")
                }
                e => e.into(),
            })?;
            report.batch_id = Some(batch_id);
        }
        report.duration_ms = started.elapsed().as_millis() as u64;
        tracing::info!(
            kind = req.kind.as_str(),
            mode = req.mode.as_str(),
            rows = report.total_rows,
            created = report.created,
            rejected = report.invalid_rows,
            ms = report.duration_ms,
            "import"
        );
        Ok(report)
    }

    /// Writes the valid rows and their audit rows; returns how many records were created.
    async fn write_rows(
        &self,
        tx: &mut aftersales_store::Tx,
        ctx: &Ctx,
        batch_id: &str,
        prepared: Prepared,
        report: &mut ImportReport,
    ) -> Result<u64, AppError> {
        let now = self.now();
        let (actor_id, actor_name) = ctx.audit_actor();
        let entry = |entity: &str, id: String, after: Value| audit_store::AuditEntry {
            id: uuid::Uuid::now_v7(),
            at: now,
            actor_id: actor_id.clone(),
            actor_name: actor_name.clone(),
            entity: entity.to_owned(),
            entity_id: id,
            action: "import".into(),
            before: None,
            after: Some(after),
            request_id: ctx.request_id.clone(),
        };
        let constraint = |e: aftersales_store::StoreError| match e {
            aftersales_store::StoreError::Constraint(_) => AppError::Conflict("import_conflict"),
            e => e.into(),
        };
        let mut audits = Vec::new();
        let mut preview = Vec::new();
        let created = match prepared {
            Prepared::Customers(v) => {
                let good: Vec<(u32, CustomerCand)> = v
                    .into_iter()
                    .filter_map(|c| c.data.map(|d| (c.line, d)))
                    .collect();
                if good.is_empty() {
                    return Ok(0);
                }
                let first =
                    aftersales_store::counters::reserve(tx.conn(), "customer", good.len() as i64)
                        .await?;
                let (mut contacts, mut phones, mut sites) = (Vec::new(), Vec::new(), Vec::new());
                let mut records = Vec::with_capacity(good.len());
                for (i, (line, d)) in good.into_iter().enumerate() {
                    let id = CustomerId::new();
                    let number = format!("CU{:06}", first + i as i64);
                    if preview.len() < PREVIEW_ROWS {
                        preview.push(PreviewRow {
                            row: line,
                            values: customer_preview(&d.valid, Some(&number)),
                        });
                    }
                    let rows = customer_rows(d.valid, id, number, now);
                    let mut snap = snapshot(&rows);
                    snap["batch"] = json!(batch_id);
                    audits.push(entry("customer", id.to_string(), snap));
                    records.push(rows.record);
                    contacts.extend(rows.contacts);
                    phones.extend(rows.phones);
                    sites.extend(rows.sites);
                }
                customer_store::insert_many(tx.conn(), &records, &contacts, &phones, &sites)
                    .await
                    .map_err(constraint)?;
                records.len() as u64
            }
            Prepared::Units(v) => {
                let good: Vec<(u32, UnitCand)> = v
                    .into_iter()
                    .filter_map(|c| c.data.map(|d| (c.line, d)))
                    .collect();
                let owners: Vec<String> = good
                    .iter()
                    .filter_map(|(_, d)| d.owner.as_ref().map(|o| o.0.to_string()))
                    .collect();
                let sites: HashMap<String, String> =
                    customer_store::first_sites(tx.conn(), &owners)
                        .await?
                        .into_iter()
                        .collect();
                let mut units = Vec::with_capacity(good.len());
                let mut owns = Vec::with_capacity(good.len());
                for (line, mut d) in good {
                    let Some(product_id) = d.product_id else {
                        continue;
                    };
                    d.valid.customer_id = d.owner.as_ref().map(|o| o.0);
                    // A unit placed with an owner stands at the owner's first site.
                    d.valid.site_id = d
                        .owner
                        .as_ref()
                        .and_then(|o| sites.get(&o.0.to_string()).cloned());
                    let (rec, own) = unit_rows(&d.valid, product_id, now, self.site())?;
                    if preview.len() < PREVIEW_ROWS {
                        preview.push(PreviewRow {
                            row: line,
                            values: unit_preview(&d),
                        });
                    }
                    let mut snap = unit_preview(&d);
                    snap["batch"] = json!(batch_id);
                    audits.push(entry("unit", rec.id.to_string(), snap));
                    units.push(rec);
                    owns.push(own);
                }
                unit_store::insert_many(tx.conn(), &units, &owns)
                    .await
                    .map_err(constraint)?;
                units.len() as u64
            }
            Prepared::Products(v) => {
                let mut products = Vec::new();
                for c in v {
                    let Some(d) = c.data else { continue };
                    let rec = product_store::ProductRecord {
                        id: ProductId::new(),
                        code: d.valid.code.clone(),
                        name: d.valid.name.clone(),
                        product_line: d.valid.product_line.clone(),
                        maintenance_interval_months: d.interval,
                        policy_id: d.policy_id.clone(),
                        version: 1,
                        created_at: now,
                        updated_at: now,
                    };
                    if preview.len() < PREVIEW_ROWS {
                        preview.push(PreviewRow {
                            row: c.line,
                            values: product_preview(&d),
                        });
                    }
                    let mut snap = product_preview(&d);
                    snap["batch"] = json!(batch_id);
                    audits.push(entry("product", rec.id.to_string(), snap));
                    products.push(rec);
                }
                product_store::insert_many(tx.conn(), &products)
                    .await
                    .map_err(constraint)?;
                products.len() as u64
            }
        };
        audit_store::append_many(tx.conn(), &audits).await?;
        report.preview = preview;
        Ok(created)
    }

    /// The rejected rows of a lenient import, for the one who ran it (and admins).
    pub async fn import_rejects(
        &self,
        ctx: &Ctx,
        batch_id: &str,
    ) -> Result<ImportRejects, AppError> {
        ctx.require(Permission::ImportData)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(s: &str, kind: CellKind) -> Cell {
        Cell {
            text: s.into(),
            kind,
        }
    }

    #[test]
    fn headers_are_recognized_in_chinese_and_english() {
        let headers: Vec<String> = [
            "客户名称（必填）",
            "手机",
            "联系电话",
            "Address",
            "S/N",
            "备注",
            "导入错误",
            "生日",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let c = resolve_columns(ImportKind::Customers, &headers, &BTreeMap::new()).expect("ok");
        let fields: Vec<Option<String>> = c.maps.iter().map(|m| m.field.clone()).collect();
        assert_eq!(
            fields,
            vec![
                Some("name".into()),
                Some("phone".into()),
                Some("phone".into()),
                Some("address".into()),
                None,
                Some("notes".into()),
                None,
                None
            ]
        );
        assert_eq!(c.maps[6].source, "ignored");
        assert_eq!(c.maps[7].source, "unknown");
        let u = resolve_columns(
            ImportKind::Units,
            &[
                "机身编码".into(),
                "型号".into(),
                "销售日期".into(),
                "Sale Date".into(),
            ],
            &BTreeMap::new(),
        )
        .expect("ok");
        let fields: Vec<Option<String>> = u.maps.iter().map(|m| m.field.clone()).collect();
        assert_eq!(
            fields,
            vec![
                Some("serial".into()),
                Some("product_code".into()),
                Some("sale_date".into()),
                None
            ]
        );
    }

    #[test]
    fn a_mapping_overrides_and_is_checked() {
        let headers: Vec<String> = vec!["甲".into(), "乙".into(), "客户名称".into()];
        let m: BTreeMap<String, String> = [
            ("甲".to_string(), "name".to_string()),
            ("客户名称".to_string(), "".to_string()),
        ]
        .into();
        let c = resolve_columns(ImportKind::Customers, &headers, &m).expect("ok");
        assert_eq!(c.maps[0].field.as_deref(), Some("name"));
        assert_eq!(c.maps[2].field, None);
        let bad: BTreeMap<String, String> = [
            ("丙".to_string(), "name".to_string()),
            ("甲".to_string(), "nonsense".to_string()),
        ]
        .into();
        let Err(AppError::Validation(e)) = resolve_columns(ImportKind::Customers, &headers, &bad)
        else {
            panic!("refused")
        };
        let codes: Vec<&str> = e.0.iter().map(|e| e.code).collect();
        assert!(
            codes.contains(&"unknown_column") && codes.contains(&"invalid_choice"),
            "{codes:?}"
        );
    }

    #[test]
    fn dates_flags_phones_and_months_as_spreadsheets_write_them() {
        for (t, k, want) in [
            ("2023-03-15", CellKind::Date, "2023-03-15"),
            ("2023-03-15 10:00:00", CellKind::Date, "2023-03-15"),
            ("45000", CellKind::Number, "2023-03-15"),
            ("2023/3/5", CellKind::Text, "2023-03-05"),
            ("2023.03.05", CellKind::Text, "2023-03-05"),
            ("2023年3月5日", CellKind::Text, "2023-03-05"),
            ("20230305", CellKind::Text, "2023-03-05"),
            ("3/5/2023", CellKind::Text, "3/5/2023"),
        ] {
            assert_eq!(normalize_date(&cell(t, k)), want, "{t}");
        }
        assert_eq!(parse_flag("是"), Some(true));
        assert_eq!(parse_flag(" N "), Some(false));
        assert_eq!(parse_flag(""), Some(false));
        assert_eq!(parse_flag("maybe"), None);
        assert_eq!(
            phones_of(&cell(
                "138 0013 8000/024-2345 6789、13900001111",
                CellKind::Text
            )),
            vec!["138 0013 8000", "024-2345 6789", "13900001111"]
        );
        assert_eq!(
            phones_of(&cell("2423456789", CellKind::Number)),
            vec!["02423456789"]
        );
        assert_eq!(
            phones_of(&cell("13800138000", CellKind::Number)),
            vec!["13800138000"]
        );
        assert_eq!(parse_months("6个月"), Some(6));
        assert_eq!(parse_months("12.0"), Some(12));
        assert_eq!(parse_months("半年"), None);
    }
}
