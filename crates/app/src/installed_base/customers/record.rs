//! A new customer record: the input as typed, its rules field by field (the form, the API
//! and imports share them), and the rows that store it.

use crate::AppError;
use aftersales_domain::installed_base::{CustomerKind, Phone, parse_opt_text, parse_text};
use aftersales_domain::region::RegionCode;
use aftersales_domain::{CustomerId, FieldError, FieldErrors};
use aftersales_store::installed_base::customers as store;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewContact {
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub title: Option<String>,
    /// Phone numbers as typed (`+86 138-0013-8000`, `024-2345 6789`).
    #[serde(default)]
    #[schema(inline, value_type = Vec<crate::schema::PhoneText>)]
    pub phones: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewSite {
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub label: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub address: String,
    /// GB/T 2260 code (6 digits) of the district, city or province.
    #[schema(pattern = r"^([0-9]{6})?$")]
    pub region_code: Option<String>,
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewCustomer {
    #[schema(value_type = crate::schema::CustomerKindName)]
    pub kind: String,
    /// The person, or the company's usual name.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[schema(max_length = 100, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub company: Option<String>,
    #[schema(pattern = r"^([0-9]{6})?$")]
    pub region_code: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub notes: Option<String>,
    #[serde(default)]
    pub contacts: Vec<NewContact>,
    #[serde(default)]
    pub sites: Vec<NewSite>,
    /// File the record even though one of its phones is already on another customer's
    /// record. Without it such a record is refused (409, `duplicate_phone` on each phone
    /// concerned), so a caller is not filed twice; `GET /api/v1/customers/by-phone` lists
    /// who has the number.
    #[serde(default)]
    pub confirm_duplicate: bool,
}

fn region(field: &str, s: Option<&str>, errs: &mut FieldErrors) -> Option<Option<RegionCode>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(s) => errs.take(RegionCode::parse(field, s)).map(Some),
    }
}

/// When the only faults are region codes, they conflict with the reference data and read
/// `unknown_region`; otherwise the faults stay as found.
fn region_conflicts(errs: FieldErrors) -> FieldErrors {
    if !errs.0.is_empty() && errs.0.iter().all(|e| e.code == "invalid_region") {
        let fields = errs
            .0
            .into_iter()
            .map(|e| FieldError::new(e.field, "unknown_region"))
            .collect();
        FieldErrors(fields)
    } else {
        errs
    }
}

/// A refused record as the form and the API answer it: a conflict with the reference data
/// (409) when every fault is an unknown region, else invalid input (422).
pub(crate) fn refused(errs: FieldErrors) -> AppError {
    if !errs.0.is_empty() && errs.0.iter().all(|e| e.code == "unknown_region") {
        AppError::FieldConflict(errs)
    } else {
        AppError::Validation(errs)
    }
}

fn search_text(name: &str, company: Option<&str>) -> String {
    let mut t = name.to_lowercase();
    if let Some(c) = company {
        t.push(' ');
        t.push_str(&c.to_lowercase());
    }
    let initials: String = [Some(name), company]
        .into_iter()
        .flatten()
        .map(crate::pinyin_initials)
        .collect::<Vec<_>>()
        .join(" ");
    if !initials.trim().is_empty() {
        t.push(' ');
        t.push_str(&initials);
    }
    t
}

/// A customer's input that passed the rules of `create_customer`, ready to store.
#[derive(Debug, Clone)]
pub(crate) struct ValidCustomer {
    pub kind: CustomerKind,
    pub name: String,
    pub company: Option<String>,
    pub region_code: Option<RegionCode>,
    pub notes: Option<String>,
    /// (name, title, phones)
    pub contacts: Vec<(String, Option<String>, Vec<Phone>)>,
    /// (label, address, region, latitude, longitude)
    pub sites: Vec<ValidSite>,
}

pub(crate) type ValidSite = (
    Option<String>,
    String,
    Option<RegionCode>,
    Option<f64>,
    Option<f64>,
);

impl NewCustomer {
    /// The rules of a customer record, field by field (the form, the API and imports share
    /// them). The faults come back as the callers report them: region codes the table does
    /// not have read `unknown_region` when nothing else is wrong (see [`refused`]).
    pub(crate) fn parse(&self) -> Result<ValidCustomer, FieldErrors> {
        let input = self;
        let mut errs = FieldErrors::new();
        let kind = errs.take(
            CustomerKind::parse(input.kind.trim())
                .ok_or_else(|| FieldError::new("kind", "invalid_choice")),
        );
        let name = errs.take(parse_text("name", &input.name, 100));
        let company = errs.take(parse_opt_text("company", input.company.as_deref(), 100));
        let region_code = region("region_code", input.region_code.as_deref(), &mut errs);
        let notes = errs.take(aftersales_domain::installed_base::parse_opt_notes(
            "notes",
            input.notes.as_deref(),
            2000,
        ));
        let mut contacts = Vec::new();
        for (i, c) in input.contacts.iter().enumerate() {
            let cname = errs.take(parse_text(&format!("contacts[{i}].name"), &c.name, 50));
            let title = errs.take(parse_opt_text(
                &format!("contacts[{i}].title"),
                c.title.as_deref(),
                50,
            ));
            let phones: Vec<Phone> = c
                .phones
                .iter()
                .enumerate()
                .filter_map(|(j, p)| {
                    errs.take(Phone::parse(&format!("contacts[{i}].phones[{j}]"), p))
                })
                .collect();
            if let (Some(n), Some(t)) = (cname, title) {
                contacts.push((n, t, phones));
            }
        }
        let mut sites = Vec::new();
        for (i, s) in input.sites.iter().enumerate() {
            let label = errs.take(parse_opt_text(
                &format!("sites[{i}].label"),
                s.label.as_deref(),
                50,
            ));
            let address = errs.take(parse_text(&format!("sites[{i}].address"), &s.address, 200));
            let rc = region(
                &format!("sites[{i}].region_code"),
                s.region_code.as_deref(),
                &mut errs,
            );
            errs.take(aftersales_domain::bounds::check_latitude(
                &format!("sites[{i}].latitude"),
                s.latitude,
            ));
            errs.take(aftersales_domain::bounds::check_longitude(
                &format!("sites[{i}].longitude"),
                s.longitude,
            ));
            if let (Some(l), Some(a), Some(r)) = (label, address, rc) {
                sites.push((l, a, r, s.latitude, s.longitude));
            }
        }
        if !errs.is_empty() {
            return Err(region_conflicts(errs));
        }
        // Every `None` above pushed its fault, so with no faults every part is here.
        let (Some(kind), Some(name), Some(company), Some(region_code), Some(notes)) =
            (kind, name, company, region_code, notes)
        else {
            return Err(errs);
        };
        Ok(ValidCustomer {
            kind,
            name,
            company,
            region_code,
            notes,
            contacts,
            sites,
        })
    }
}

/// The rows that store a valid customer.
#[derive(Debug, Clone)]
pub(crate) struct CustomerRows {
    pub record: store::CustomerRecord,
    pub contacts: Vec<store::ContactRow>,
    pub phones: Vec<store::PhoneRow>,
    pub sites: Vec<store::SiteRow>,
}

pub(crate) fn customer_rows(
    v: ValidCustomer,
    id: CustomerId,
    number: String,
    now: Timestamp,
) -> CustomerRows {
    let (complete_pct, missing) = aftersales_domain::installed_base::completeness(
        aftersales_domain::installed_base::RecordFacts {
            kind_company: v.kind == CustomerKind::Company,
            has_phone: v.contacts.iter().any(|c| !c.2.is_empty()),
            has_contact: !v.contacts.is_empty(),
            has_address: !v.sites.is_empty(),
            has_region: v.region_code.is_some() || v.sites.iter().any(|s| s.2.is_some()),
            has_company_name: v.company.is_some(),
        },
    );
    let record = store::CustomerRecord {
        id,
        number,
        kind: v.kind.as_str().into(),
        search_text: search_text(&v.name, v.company.as_deref()),
        complete_pct,
        missing: missing.join(" "),
        name: v.name,
        company: v.company,
        region_code: v.region_code.map(|r| r.to_string()),
        notes: v.notes,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut contacts = Vec::new();
    let mut phones = Vec::new();
    let mut pos = 0;
    for (i, (cname, title, ps)) in v.contacts.into_iter().enumerate() {
        let cid = uuid::Uuid::now_v7().to_string();
        for p in ps {
            pos += 1;
            phones.push(store::PhoneRow {
                id: uuid::Uuid::now_v7().to_string(),
                customer_id: id.to_string(),
                contact_id: Some(cid.clone()),
                number: p.raw().into(),
                digits: p.digits().into(),
                position: pos,
            });
        }
        contacts.push(store::ContactRow {
            id: cid,
            customer_id: id.to_string(),
            name: cname,
            title,
            is_primary: i64::from(i == 0),
            position: i as i64,
        });
    }
    let sites = v
        .sites
        .into_iter()
        .enumerate()
        .map(|(i, (label, address, rc, lat, lng))| store::SiteRow {
            id: uuid::Uuid::now_v7().to_string(),
            customer_id: id.to_string(),
            // No label given: none stored; pages name the site in the reader's language
            // ("主地址" / "Main address", "地址 2" / "Address 2").
            label: label.unwrap_or_default(),
            address,
            region_code: rc.map(|r| r.to_string()),
            latitude: lat,
            longitude: lng,
            position: i as i64,
        })
        .collect();
    CustomerRows {
        record,
        contacts,
        phones,
        sites,
    }
}

/// What the audit trail keeps of a customer.
pub(crate) fn snapshot(r: &CustomerRows) -> serde_json::Value {
    let c = &r.record;
    serde_json::json!({
        "number": c.number, "kind": c.kind, "name": c.name, "company": c.company,
        "region_code": c.region_code, "notes": c.notes,
        "contacts": r.contacts.iter().map(|k| serde_json::json!({"name": k.name, "phones": r.phones.iter().filter(|p| p.contact_id.as_deref() == Some(k.id.as_str())).map(|p| &p.number).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        "sites": r.sites.iter().map(|s| serde_json::json!({"label": s.label, "address": s.address, "region_code": s.region_code})).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(region: &str, site_region: &str) -> NewCustomer {
        NewCustomer {
            kind: "individual".into(),
            name: "张伟".into(),
            region_code: Some(region.into()),
            sites: vec![NewSite {
                address: "沈阳市和平区南京北街1号".into(),
                region_code: Some(site_region.into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn unknown_regions_alone_conflict_and_anything_else_is_invalid() {
        let v = input("210102", "210102").parse().expect("valid");
        assert_eq!(v.sites.len(), 1);
        let e = input("999999", "999998").parse().expect_err("refused");
        let codes: Vec<_> = e.0.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("region_code", "unknown_region"),
                ("sites[0].region_code", "unknown_region")
            ]
        );
        assert!(matches!(refused(e), AppError::FieldConflict(_)));
        let mut bad = input("999999", "210102");
        bad.kind = "alien".into();
        let e = bad.parse().expect_err("refused");
        let codes: Vec<_> = e.0.iter().map(|e| e.code).collect();
        assert_eq!(codes, vec!["invalid_choice", "invalid_region"]);
        assert!(matches!(refused(e), AppError::Validation(_)));
    }
}
