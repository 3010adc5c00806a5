//! Importing units (R-WAR-2): the columns, a row as the input of `create_unit`, and the
//! checks of model, owner and serial against the database and the earlier rows.

use super::batch::{BatchWriter, write_conflict};
use super::mapping::{Columns, FieldDef, column_for, f, req};
use super::report::row_error;
use super::rows::{Candidate, RowCells, fail, normalize_date, parse_flag, phones_of};
use crate::AppError;
use crate::installed_base::units::{NewUnit, ValidUnit, unit_rows, validate_unit};
use aftersales_domain::installed_base::{Phone, Serial};
use aftersales_domain::{CustomerId, FieldError, ProductId};
use aftersales_sheets::{Cell, CellKind, Table};
use aftersales_store::{
    installed_base::customers as customer_store, installed_base::products as product_store,
    installed_base::units as unit_store,
};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

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

/// A unit row: the valid unit, how its owner was named, and its model.
pub(super) struct UnitCand {
    pub(super) valid: ValidUnit,
    pub(super) owner_number: Option<String>,
    pub(super) owner_phone: Option<String>,
    pub(super) owner: Option<(CustomerId, String)>,
    pub(super) product_id: Option<ProductId>,
}

const UNIT_DATES: [&str; 5] = [
    "manufacture_date",
    "ship_date",
    "sale_date",
    "installation_date",
    "acceptance_date",
];

pub(super) fn prepare_unit(r: &RowCells, line: u32) -> Candidate<UnitCand> {
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

/// An id as stored. One that does not read back is an error: as "unknown" it would refuse
/// the row for the wrong reason, or import a unit without its owner.
fn stored_id<T: std::str::FromStr>(what: &str, id: &str) -> Result<T, AppError> {
    id.parse()
        .map_err(|_| AppError::Internal(format!("stored {what} id {id:?} unreadable")))
}

/// A row's problems: (field, fault, hint).
type Problems = Vec<(&'static str, FieldError, Option<String>)>;

/// A unit row's owner, as (customer id, customer number) as stored: by number, by phone, or
/// both agreeing. A number not found, or (without a number) a phone not found or shared by
/// several customers, or a number and a phone naming different customers, is a problem.
fn owner_of(
    d: &UnitCand,
    by_number: &HashMap<String, String>,
    by_phone: &HashMap<String, Vec<(String, String)>>,
    problems: &mut Problems,
) -> Option<(String, String)> {
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
    match (from_number, from_phone) {
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
    }
}

/// Checks units: their model exists, their owner is found (by number, by phone, or both
/// agreeing), their serial is not taken by the same maker, here or earlier in the file.
pub(super) async fn check_units(
    conn: &mut aftersales_store::Conn,
    table: &Table,
    cols: &Columns,
    cands: &mut [Candidate<UnitCand>],
) -> Result<(), AppError> {
    let products: HashMap<String, ProductId> = product_store::all_codes(&mut *conn)
        .await?
        .into_iter()
        .map(|(code, id)| Ok((code, stored_id("product", &id)?)))
        .collect::<Result<_, AppError>>()?;
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
        let mut problems: Problems = Vec::new();
        match products.get(&d.valid.product_code) {
            Some(id) => d.product_id = Some(*id),
            None => problems.push((
                "product_code",
                FieldError::new("product_code", "unknown_product"),
                None,
            )),
        }
        let owner = owner_of(d, &by_number, &by_phone, &mut problems);
        d.owner = match owner {
            Some((id, n)) => Some((stored_id("customer", &id)?, n)),
            None => None,
        };
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

pub(super) fn unit_preview(d: &UnitCand) -> Value {
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

/// Writes the valid units, each with an owner placed at the owner's first site, their
/// ownership rows, an audit row each. Returns how many were created.
pub(super) async fn write_units(
    conn: &mut aftersales_store::Conn,
    cands: Vec<Candidate<UnitCand>>,
    w: &mut BatchWriter<'_>,
) -> Result<u64, AppError> {
    let good: Vec<(u32, UnitCand)> = cands
        .into_iter()
        .filter_map(|c| c.data.map(|d| (c.line, d)))
        .collect();
    let owners: Vec<String> = good
        .iter()
        .filter_map(|(_, d)| d.owner.as_ref().map(|o| o.0.to_string()))
        .collect();
    let sites: HashMap<String, String> = customer_store::first_sites(&mut *conn, &owners)
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
        let (rec, own) = unit_rows(&d.valid, product_id, w.now, w.site)?;
        w.preview(line, || unit_preview(&d));
        w.created(
            aftersales_domain::audit::AuditEntity::Unit,
            rec.id.to_string(),
            unit_preview(&d),
        );
        units.push(rec);
        owns.push(own);
    }
    unit_store::insert_many(conn, &units, &owns)
        .await
        .map_err(write_conflict)?;
    Ok(units.len() as u64)
}
