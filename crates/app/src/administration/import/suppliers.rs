//! Importing suppliers (issue 14, point 1): the columns, a row as the input of
//! `create_supplier` (checked by the same `SupplierInput::parse`), and the check of its code
//! against the database and the earlier rows; created or updated by the import's action.

use super::ImportAction;
use super::batch::{BatchWriter, write_conflict};
use super::mapping::{Columns, FieldDef, column_for, f, req};
use super::products::parse_months;
use super::report::row_error;
use super::rows::{Candidate, RowCells, fail};
use crate::AppError;
use crate::parts::catalog::{SupplierInput, ValidSupplier};
use aftersales_domain::audit::AuditEntity;
use aftersales_domain::{FieldError, OrgCode};
use aftersales_sheets::Table;
use aftersales_store::parts::catalog as store;
use aftersales_store::time;
use serde_json::{Value, json};
use std::collections::HashMap;

pub const SUPPLIER_FIELDS: &[FieldDef] = &[
    req(
        "supplier_code",
        &[
            "供应商编码",
            "供应商代码",
            "供应商编号",
            "编码",
            "代码",
            "supplier code",
            "code",
        ],
    ),
    req(
        "name",
        &[
            "供应商名称",
            "供应商",
            "名称",
            "厂商",
            "supplier name",
            "supplier",
            "name",
        ],
    ),
    f("contact", &["联系人", "contact person", "contact"]),
    f(
        "phone",
        &["电话", "联系电话", "手机", "phone number", "tel", "phone"],
    ),
    f(
        "email",
        &["邮箱", "电子邮箱", "电子邮件", "e-mail", "email"],
    ),
    f("address", &["地址", "联系地址", "address"]),
    f(
        "warranty_months",
        &[
            "质保期",
            "保修期",
            "质保月数",
            "质保期（月）",
            "warranty",
            "warranty terms",
            "warranty months",
        ],
    ),
    f("note", &["备注", "说明", "note", "notes", "remark"]),
];

/// The field of a rule's error as the file's columns name it.
fn field_of(rule_field: &str) -> &'static str {
    match rule_field {
        "code" => "supplier_code",
        f => SUPPLIER_FIELDS
            .iter()
            .find(|d| d.name == f)
            .map(|d| d.name)
            .unwrap_or("name"),
    }
}

pub(super) struct SupplierCand {
    pub(super) code: String,
    pub(super) input: SupplierInput,
    pub(super) valid: Option<ValidSupplier>,
    /// The supplier on file with this code (update, upsert).
    pub(super) existing: Option<store::SupplierRow>,
}

pub(super) fn prepare_supplier(r: &RowCells, line: u32) -> Candidate<SupplierCand> {
    let mut errors = Vec::new();
    let warranty_months = match r.text("warranty_months") {
        None => None,
        Some(t) => match parse_months(&t) {
            Some(m) => Some(m),
            None => {
                errors.push(row_error(
                    line,
                    r.column_of("warranty_months"),
                    "warranty_months",
                    &FieldError::new("warranty_months", "invalid_number"),
                    None,
                ));
                None
            }
        },
    };
    let input = SupplierInput {
        version: None,
        code: r.text("supplier_code").unwrap_or_default(),
        name: r.text("name").unwrap_or_default(),
        contact: r.text("contact"),
        phone: r.text("phone"),
        email: r.text("email"),
        address: r.text("address"),
        warranty_months,
        note: r.text("note"),
    };
    let mut push = |fe: &FieldError| {
        let field = field_of(&fe.field);
        errors.push(row_error(line, r.column_of(field), field, fe, None));
    };
    let code = OrgCode::parse("code", &input.code)
        .map_err(|e| push(&e))
        .ok();
    let valid = input
        .parse()
        .map_err(|e| e.0.iter().for_each(&mut push))
        .ok();
    let data = match (code, valid) {
        (Some(code), Some(valid)) if errors.is_empty() => Some(SupplierCand {
            code: code.as_str().to_owned(),
            input,
            valid: Some(valid),
            existing: None,
        }),
        _ => None,
    };
    Candidate { line, errors, data }
}

pub(super) async fn check_suppliers(
    conn: &mut aftersales_store::Conn,
    table: &Table,
    cols: &Columns,
    action: ImportAction,
    cands: &mut [Candidate<SupplierCand>],
) -> Result<(), AppError> {
    let col = |f: &str| column_for(table, cols, f);
    let mut seen: HashMap<String, u32> = HashMap::new();
    for c in cands.iter_mut() {
        let Some(d) = c.data.as_mut() else {
            continue;
        };
        let existing = store::find_supplier(&mut *conn, &d.code).await?;
        let problem = if let Some(first) = seen.get(&d.code) {
            Some(FieldError::new("code", "duplicate_in_file").with("row", i64::from(*first)))
        } else {
            match (action, &existing) {
                (ImportAction::Create, Some(_)) => Some(FieldError::new("code", "code_taken")),
                (ImportAction::Update, None) => Some(FieldError::new("code", "unknown_supplier")),
                _ => None,
            }
        };
        match problem {
            Some(e) => fail(c, col("supplier_code"), "supplier_code", e, None),
            None => {
                d.existing = existing;
                seen.insert(d.code.clone(), c.line);
            }
        }
    }
    Ok(())
}

pub(super) fn supplier_preview(d: &SupplierCand) -> Value {
    json!({
        "supplier_code": d.code,
        "name": d.input.name.trim(),
        "contact": d.input.contact,
        "phone": d.input.phone,
        "email": d.input.email,
        "address": d.input.address,
        "warranty_months": d.input.warranty_months,
        "note": d.input.note,
        "update": d.existing.is_some(),
    })
}

fn snapshot(r: &store::SupplierRow) -> Value {
    json!({
        "code": r.code, "name": r.name, "contact": r.contact, "phone": r.phone,
        "email": r.email, "address": r.address, "warranty_months": r.warranty_months,
        "note": r.note, "version": r.version,
    })
}

/// Writes the valid suppliers, an audit row each. Returns how many were created and
/// updated.
pub(super) async fn write_suppliers(
    conn: &mut aftersales_store::Conn,
    cands: Vec<Candidate<SupplierCand>>,
    w: &mut BatchWriter<'_>,
) -> Result<(u64, u64), AppError> {
    let now = time::to_db(w.now)?;
    let (mut created, mut updated) = (0, 0);
    for c in cands {
        let Some(mut d) = c.data else { continue };
        let Some(valid) = d.valid.take() else {
            continue;
        };
        w.preview(c.line, || supplier_preview(&d));
        match d.existing.take() {
            None => {
                let row = valid.new_row(d.code.clone(), now.clone());
                store::insert_supplier(conn, &row)
                    .await
                    .map_err(write_conflict)?;
                w.created(AuditEntity::Supplier, row.id.clone(), snapshot(&row));
                created += 1;
            }
            Some(old) => {
                let before = snapshot(&old);
                let expected = old.version;
                let row = valid.updated_row(old, now.clone());
                if !store::update_supplier(conn, &row, expected).await? {
                    return Err(AppError::Conflict("import_conflict"));
                }
                w.updated(
                    AuditEntity::Supplier,
                    row.id.clone(),
                    before,
                    snapshot(&row),
                );
                updated += 1;
            }
        }
    }
    Ok((created, updated))
}
