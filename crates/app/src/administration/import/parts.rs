//! Importing the parts catalog (issue 14, point 1): the columns, a row as the input of
//! `create_part` (checked by the same `PartInput::parse` and `part_refs`), and the checks of
//! its number and references against the database and the earlier rows; created or updated
//! by the import's action.
//!
//! Prices are written in yuan with at most two decimals and kept in fen; category and unit
//! by name or by their words in either language; the models it fits as codes separated by
//! `,`, `;`, `、` (half or full width). A successor may be a part on file or one on an
//! earlier row of the same file. A part's unit and whether it is serialized cannot change
//! on update (the ledger counts it by them): a file that says otherwise is a row error.

use super::ImportAction;
use super::batch::{BatchWriter, write_conflict};
use super::mapping::{Columns, FieldDef, column_for, f, req};
use super::products::parse_months;
use super::report::row_error;
use super::rows::{Candidate, RowCells, fail, parse_flag};
use crate::AppError;
use crate::parts::catalog::{PartInput, Refs, ValidPart, part_refs};
use aftersales_domain::audit::AuditEntity;
use aftersales_domain::parts::{PartCategory, Uom, parse_part_no, parse_yuan};
use aftersales_domain::{FieldError, FieldErrors};
use aftersales_sheets::Table;
use aftersales_store::parts::catalog as store;
use aftersales_store::time;
use serde_json::{Value, json};
use std::collections::HashMap;

pub const PART_FIELDS: &[FieldDef] = &[
    req(
        "part_no",
        &[
            "备件号",
            "备件编码",
            "配件编码",
            "配件号",
            "零件号",
            "物料编码",
            "物料号",
            "料号",
            "part number",
            "part no",
            "part_no",
        ],
    ),
    req(
        "name_zh",
        &[
            "中文名称",
            "备件名称",
            "配件名称",
            "名称（中文）",
            "name zh",
            "chinese name",
        ],
    ),
    req(
        "name_en",
        &["英文名称", "名称（英文）", "name en", "english name"],
    ),
    req(
        "category",
        &["关键件类别", "配件类别", "类别", "分类", "category"],
    ),
    f(
        "uom",
        &["单位", "计量单位", "unit", "uom", "unit of measure"],
    ),
    req(
        "cost",
        &["成本", "成本价", "成本（元）", "cost", "unit cost"],
    ),
    req(
        "list_price",
        &[
            "售价",
            "零售价",
            "价格",
            "销售价",
            "价格（元）",
            "list price",
            "price",
        ],
    ),
    f("original_only", &["仅限原厂", "原厂件", "original only"]),
    f("serialized", &["序列号管理", "按序列号", "serialized"]),
    f(
        "supplier",
        &[
            "供应商编码",
            "供应商代码",
            "供应商",
            "supplier code",
            "supplier",
        ],
    ),
    f(
        "supplier_warranty_months",
        &[
            "供应商质保期",
            "供应商质保（月）",
            "质保期",
            "supplier warranty",
            "supplier warranty months",
        ],
    ),
    f(
        "models",
        &["适用机型", "适用型号", "适配机型", "models", "fits models"],
    ),
    f("discontinued", &["已停产", "停产", "discontinued"]),
    f(
        "successor",
        &["替代件", "替代配件", "后继件", "successor", "replacement"],
    ),
    f("note", &["备注", "说明", "note", "notes", "remark"]),
];

/// The field of a rule's error as the file's columns name it.
fn field_of(rule_field: &str) -> &'static str {
    match rule_field {
        "cost_fen" => "cost",
        "list_price_fen" => "list_price",
        f if f.starts_with("models") => "models",
        f => PART_FIELDS
            .iter()
            .find(|d| d.name == f)
            .map(|d| d.name)
            .unwrap_or("part_no"),
    }
}

pub(super) struct PartCand {
    pub(super) part_no: String,
    pub(super) input: PartInput,
    pub(super) valid: Option<ValidPart>,
    pub(super) refs: Option<Refs>,
    /// A successor on an earlier row of the file, found once that row is written.
    pub(super) successor_in_file: Option<String>,
    /// The part on file with this number (update, upsert).
    pub(super) existing: Option<store::PartRow>,
}

/// The models of a cell: codes separated by commas, semicolons or `、`.
fn models_of(s: &str) -> Vec<String> {
    s.split([',', '，', ';', '；', '、', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(super) fn prepare_part(r: &RowCells, line: u32) -> Candidate<PartCand> {
    let mut errs = FieldErrors::new();
    let mut flag = |field: &'static str| match r.text(field).map(|t| parse_flag(&t)) {
        None => false,
        Some(Some(b)) => b,
        Some(None) => {
            errs.push(FieldError::new(field, "invalid_flag"));
            false
        }
    };
    let serialized = flag("serialized");
    let original_only = flag("original_only");
    let discontinued = flag("discontinued");
    let mut fen = |field: &'static str| match r.text(field) {
        None => 0,
        Some(t) => parse_yuan(&t).unwrap_or_else(|| {
            errs.push(FieldError::new(field, "invalid_amount"));
            0
        }),
    };
    let cost_fen = fen("cost");
    let list_price_fen = fen("list_price");
    let supplier_warranty_months = match r.text("supplier_warranty_months") {
        None => None,
        Some(t) => parse_months(&t).or_else(|| {
            errs.push(FieldError::new(
                "supplier_warranty_months",
                "invalid_number",
            ));
            None
        }),
    };
    // A category or unit in either language's words is passed on by its name; anything
    // else as written, for the rule to refuse.
    let category = r.text("category").unwrap_or_default();
    let uom = r.text("uom").unwrap_or_else(|| Uom::Piece.as_str().into());
    let input = PartInput {
        version: None,
        part_no: r.text("part_no").unwrap_or_default(),
        name_zh: r.text("name_zh").unwrap_or_default(),
        name_en: r.text("name_en").unwrap_or_default(),
        category: PartCategory::parse_words(&category)
            .map(|c| c.as_str().to_owned())
            .unwrap_or(category),
        uom: Uom::parse_words(&uom)
            .map(|u| u.as_str().to_owned())
            .unwrap_or(uom),
        serialized,
        original_only,
        cost_fen,
        list_price_fen,
        supplier: r.text("supplier"),
        supplier_warranty_months,
        models: r.text("models").map(|m| models_of(&m)).unwrap_or_default(),
        discontinued,
        successor: r.text("successor"),
        note: r.text("note"),
    };
    let part_no = errs.take(parse_part_no("part_no", &input.part_no));
    let valid = match input.parse() {
        Ok(v) => Some(v),
        Err(e) => {
            // A cell that did not read as an amount already said so.
            for fe in e.0 {
                if !errs
                    .0
                    .iter()
                    .any(|x| field_of(&x.field) == field_of(&fe.field))
                {
                    errs.push(fe);
                }
            }
            None
        }
    };
    let errors = errs
        .0
        .iter()
        .map(|fe| {
            let field = field_of(&fe.field);
            row_error(line, r.column_of(field), field, fe, None)
        })
        .collect::<Vec<_>>();
    let data = match (part_no, valid) {
        (Some(part_no), Some(valid)) if errors.is_empty() => Some(PartCand {
            part_no,
            input,
            valid: Some(valid),
            refs: None,
            successor_in_file: None,
            existing: None,
        }),
        _ => None,
    };
    Candidate { line, errors, data }
}

pub(super) async fn check_parts(
    conn: &mut aftersales_store::Conn,
    table: &Table,
    cols: &Columns,
    action: ImportAction,
    cands: &mut [Candidate<PartCand>],
) -> Result<(), AppError> {
    let col = |f: &str| column_for(table, cols, f);
    let mut seen: HashMap<String, u32> = HashMap::new();
    for c in cands.iter_mut() {
        let Some(d) = c.data.as_mut() else {
            continue;
        };
        let existing = store::find_part(&mut *conn, &d.part_no).await?;
        let mut problems: Vec<FieldError> = Vec::new();
        if let Some(first) = seen.get(&d.part_no) {
            problems.push(
                FieldError::new("part_no", "duplicate_in_file").with("row", i64::from(*first)),
            );
        } else {
            match (action, &existing) {
                (ImportAction::Create, Some(_)) => {
                    problems.push(FieldError::new("part_no", "part_no_taken"))
                }
                (ImportAction::Update, None) => {
                    problems.push(FieldError::new("part_no", "unknown_part"))
                }
                _ => {}
            }
        }
        if let Some(old) = &existing {
            if old.uom != d.input.uom {
                problems.push(FieldError::new("uom", "unchangeable"));
            }
            if (old.serialized != 0) != d.input.serialized {
                problems.push(FieldError::new("serialized", "unchangeable"));
            }
        }
        // A successor on an earlier row is not on file yet: it is looked up when written.
        let mut lookup = d.input.clone();
        if let Some(s) = d
            .input
            .successor
            .as_deref()
            .map(|s| s.trim().to_uppercase())
            && seen.contains_key(&s)
            && s != d.part_no
        {
            lookup.successor = None;
            d.successor_in_file = Some(s);
        }
        match part_refs(
            &mut *conn,
            &lookup,
            existing.as_ref().map(|p| p.id.as_str()),
        )
        .await
        {
            Ok(refs) => d.refs = Some(refs),
            Err(AppError::FieldConflict(e)) => problems.extend(e.0),
            Err(e) => return Err(e),
        }
        if problems.is_empty() {
            d.existing = existing;
            seen.insert(d.part_no.clone(), c.line);
        } else {
            for e in problems {
                let field = field_of(&e.field);
                fail(c, col(field), field, e, None);
            }
        }
    }
    Ok(())
}

pub(super) fn part_preview(d: &PartCand) -> Value {
    let i = &d.input;
    json!({
        "part_no": d.part_no,
        "name_zh": i.name_zh.trim(),
        "name_en": i.name_en.trim(),
        "category": i.category,
        "uom": i.uom,
        "cost_fen": i.cost_fen,
        "list_price_fen": i.list_price_fen,
        "original_only": i.original_only,
        "serialized": i.serialized,
        "supplier": i.supplier,
        "supplier_warranty_months": i.supplier_warranty_months,
        "models": i.models,
        "discontinued": i.discontinued,
        "successor": i.successor,
        "note": i.note,
        "update": d.existing.is_some(),
    })
}

fn snapshot(r: &store::PartRow, models: &[String]) -> Value {
    json!({
        "part_no": r.part_no, "name_zh": r.name_zh, "name_en": r.name_en,
        "category": r.category, "uom": r.uom, "serialized": r.serialized != 0,
        "original_only": r.original_only != 0, "cost_fen": r.cost_fen,
        "list_price_fen": r.list_price_fen, "supplier_id": r.supplier_id,
        "supplier_warranty_months": r.supplier_warranty_months,
        "models": models, "discontinued": r.discontinued != 0,
        "successor_id": r.successor_id, "note": r.note, "version": r.version,
    })
}

/// Writes the valid parts in the file's order (so that a successor on an earlier row is on
/// file), an audit row each. Returns how many were created and updated.
pub(super) async fn write_parts(
    conn: &mut aftersales_store::Conn,
    cands: Vec<Candidate<PartCand>>,
    w: &mut BatchWriter<'_>,
) -> Result<(u64, u64), AppError> {
    let now = time::to_db(w.now)?;
    let (mut created, mut updated) = (0, 0);
    for c in cands {
        let Some(mut d) = c.data else { continue };
        let (Some(valid), Some(mut refs)) = (d.valid.take(), d.refs.take()) else {
            continue;
        };
        if let Some(s) = &d.successor_in_file {
            let p = store::find_part(&mut *conn, s)
                .await?
                .ok_or_else(|| AppError::Internal(format!("successor {s} not written")))?;
            refs.successor_id = Some(p.id);
        }
        w.preview(c.line, || part_preview(&d));
        let models = &refs.model_ids;
        match d.existing.take() {
            None => {
                let row = valid.new_row(d.part_no.clone(), &d.input, &refs, now.clone());
                store::insert_part(conn, &row)
                    .await
                    .map_err(write_conflict)?;
                store::set_part_models(conn, &row.id, models).await?;
                let codes = store::part_models(&mut *conn, &row.id).await?;
                w.created(AuditEntity::Part, row.id.clone(), snapshot(&row, &codes));
                created += 1;
            }
            Some(old) => {
                let before_models = store::part_models(&mut *conn, &old.id).await?;
                let before = snapshot(&old, &before_models);
                let expected = old.version;
                let row = valid.updated_row(old, &d.input, &refs, now.clone());
                if !store::update_part(conn, &row, expected).await? {
                    return Err(AppError::Conflict("import_conflict"));
                }
                store::set_part_models(conn, &row.id, models).await?;
                let codes = store::part_models(&mut *conn, &row.id).await?;
                w.updated(
                    AuditEntity::Part,
                    row.id.clone(),
                    before,
                    snapshot(&row, &codes),
                );
                updated += 1;
            }
        }
    }
    Ok((created, updated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_split_as_people_write_them() {
        assert_eq!(
            models_of("AC-1, AC-2；AC-3、AC-4"),
            vec!["AC-1", "AC-2", "AC-3", "AC-4"]
        );
        assert!(models_of(" ; ").is_empty());
        assert_eq!(field_of("models[3]"), "models");
        assert_eq!(field_of("cost_fen"), "cost");
    }
}
