//! Importing customer records (R-CUS-1): the columns, a row as the input of `create_customer`,
//! and the checks for likely duplicates against the database and the earlier rows.

use super::batch::{BatchWriter, write_conflict};
use super::mapping::{Columns, FieldDef, column_for, f, req};
use super::report::{RowError, row_error};
use super::rows::{Candidate, RowCells, fail, phones_of};
use crate::AppError;
use crate::installed_base::customers::{
    NewContact, NewCustomer, NewSite, ValidCustomer, customer_rows, snapshot,
};
use aftersales_domain::CustomerId;
use aftersales_domain::installed_base::CustomerKind;
use aftersales_domain::{FieldError, FieldErrors};
use aftersales_sheets::Table;
use aftersales_store::installed_base::customers as customer_store;
use serde_json::{Value, json};
use std::collections::HashMap;

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

fn customer_kind(s: &str, has_company: bool) -> String {
    match s.trim().to_lowercase().as_str() {
        "" if has_company => CustomerKind::Company.as_str().into(),
        "" => CustomerKind::Individual.as_str().into(),
        "个人" | "个体" | "私人" | "家庭" | "individual" | "person" | "personal" => {
            CustomerKind::Individual.as_str().into()
        }
        "企业" | "公司" | "单位" | "机构" | "company" | "business" | "organization"
        | "organisation" => CustomerKind::Company.as_str().into(),
        other => other.to_owned(),
    }
}

/// A customer row: the valid record and what the checks against others need.
pub(super) struct CustomerCand {
    pub(super) valid: ValidCustomer,
    /// (digits, column) of each phone.
    pub(super) phones: Vec<(String, Option<String>)>,
    pub(super) address: Option<String>,
}

pub(super) fn prepare_customer(r: &RowCells, line: u32) -> Candidate<CustomerCand> {
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
        // Imports judge duplicates themselves (their own rules, see the module).
        confirm_duplicate: false,
    };
    match input.parse() {
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
        Err(e) => Candidate {
            line,
            errors: row_errors(&e, r, line, derived_contact, &phone_cols),
            data: None,
        },
    }
}

/// The record's faults as the row's: each on the column it came from, once per field and
/// code; a contact named after the customer (no contact column) is not the row's fault.
fn row_errors(
    e: &FieldErrors,
    r: &RowCells,
    line: u32,
    derived_contact: bool,
    phone_cols: &[String],
) -> Vec<RowError> {
    let mut errors: Vec<RowError> = Vec::new();
    for fe in &e.0 {
        let (field, column) = match fe.field.as_str() {
            "contacts[0].name" if derived_contact => continue,
            "contacts[0].name" => ("contact", r.column_of("contact")),
            "contacts[0].title" => ("contact_title", r.column_of("contact_title")),
            "sites[0].address" => ("address", r.column_of("address")),
            "sites[0].region_code" => ("region_code", r.column_of("region_code")),
            p if p.starts_with("contacts[0].phones[") => {
                let j = p
                    .trim_start_matches("contacts[0].phones[")
                    .trim_end_matches(']');
                // The path is ours; were its shape ever to change, the fault still shows,
                // only without its column.
                let column = match j.parse::<usize>() {
                    Ok(j) => phone_cols.get(j).cloned(),
                    Err(_) => None,
                };
                ("phone", column)
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
    errors
}

/// Checks customers against each other and the database: a phone, or a name with an
/// address, already known is a likely duplicate; repeated in the file, a duplicate row.
pub(super) async fn check_customers(
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

pub(super) fn customer_preview(v: &ValidCustomer, number: Option<&str>) -> Value {
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

/// Writes the valid customers: their numbers from one reservation of the counter, the rows
/// in multi-row inserts, an audit row each. Returns how many were created.
pub(super) async fn write_customers(
    conn: &mut aftersales_store::Conn,
    cands: Vec<Candidate<CustomerCand>>,
    w: &mut BatchWriter<'_>,
) -> Result<u64, AppError> {
    let good: Vec<(u32, CustomerCand)> = cands
        .into_iter()
        .filter_map(|c| c.data.map(|d| (c.line, d)))
        .collect();
    if good.is_empty() {
        return Ok(0);
    }
    let first =
        aftersales_store::counters::reserve(&mut *conn, "customer", good.len() as i64).await?;
    let (mut contacts, mut phones, mut sites) = (Vec::new(), Vec::new(), Vec::new());
    let mut records = Vec::with_capacity(good.len());
    for (i, (line, d)) in good.into_iter().enumerate() {
        let id = CustomerId::new();
        let number = format!("CU{:06}", first + i as i64);
        w.preview(line, || customer_preview(&d.valid, Some(&number)));
        let rows = customer_rows(d.valid, id, number, w.now);
        w.created(
            aftersales_domain::audit::AuditEntity::Customer,
            id.to_string(),
            snapshot(&rows),
        );
        records.push(rows.record);
        contacts.extend(rows.contacts);
        phones.extend(rows.phones);
        sites.extend(rows.sites);
    }
    customer_store::insert_many(conn, &records, &contacts, &phones, &sites)
        .await
        .map_err(write_conflict)?;
    Ok(records.len() as u64)
}
