//! Importing product models (R-WAR-1): the columns, a row as the input of `create_product`,
//! and the checks of code and warranty policy against the database and the earlier rows.

use super::batch::{BatchWriter, write_conflict};
use super::mapping::{Columns, FieldDef, column_for, f, req};
use super::report::row_error;
use super::rows::{Candidate, RowCells, fail};
use crate::AppError;
use crate::installed_base::products::{NewProduct, ValidProduct, validate_product};
use aftersales_domain::FieldError;
use aftersales_domain::ProductId;
use aftersales_sheets::Table;
use aftersales_store::installed_base::products as product_store;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

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

pub(super) struct ProductCand {
    pub(super) valid: ValidProduct,
    pub(super) interval: Option<i64>,
    pub(super) policy_id: Option<String>,
}

/// Months as written: `6`, `6.0`, `6个月`, `6 months`. Anything else is `None`, which the row
/// reports as `invalid_number`.
pub(super) fn parse_months(s: &str) -> Option<i64> {
    let t = s
        .trim()
        .trim_end_matches("个月")
        .trim_end_matches('月')
        .trim_end_matches("months")
        .trim_end_matches("month")
        .trim();
    if let Ok(n) = t.parse::<i64>() {
        return Some(n);
    }
    match t.parse::<f64>() {
        // A whole number as spreadsheets store numbers (`12.0`), small enough to be exact.
        Ok(f) if f.fract() == 0.0 && f.abs() < 1e9 => Some(f as i64),
        _ => None,
    }
}

pub(super) fn prepare_product(r: &RowCells, line: u32) -> Candidate<ProductCand> {
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

pub(super) async fn check_products(
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

pub(super) fn product_preview(d: &ProductCand) -> Value {
    json!({
        "code": d.valid.code,
        "name": d.valid.name,
        "product_line": d.valid.product_line,
        "maintenance_interval_months": d.interval,
        "policy_code": d.valid.policy_code,
    })
}

/// Writes the valid product models, an audit row each. Returns how many were created.
pub(super) async fn write_products(
    conn: &mut aftersales_store::Conn,
    cands: Vec<Candidate<ProductCand>>,
    w: &mut BatchWriter<'_>,
) -> Result<u64, AppError> {
    let mut products = Vec::new();
    for c in cands {
        let Some(d) = c.data else { continue };
        let rec = product_store::ProductRecord {
            id: ProductId::new(),
            code: d.valid.code.clone(),
            name: d.valid.name.clone(),
            product_line: d.valid.product_line.clone(),
            maintenance_interval_months: d.interval,
            policy_id: d.policy_id.clone(),
            version: 1,
            created_at: w.now,
            updated_at: w.now,
        };
        w.preview(c.line, || product_preview(&d));
        w.created(
            aftersales_domain::audit::AuditEntity::Product,
            rec.id.to_string(),
            product_preview(&d),
        );
        products.push(rec);
    }
    product_store::insert_many(conn, &products)
        .await
        .map_err(write_conflict)?;
    Ok(products.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_as_spreadsheets_write_them() {
        assert_eq!(parse_months("6个月"), Some(6));
        assert_eq!(parse_months("12.0"), Some(12));
        assert_eq!(parse_months("半年"), None);
    }
}
