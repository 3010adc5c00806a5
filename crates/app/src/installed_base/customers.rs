//! Customer records (R-CUS-1..4): individuals and companies with contacts, phones and
//! sites; likely duplicates; completeness; the agent's search box.

use crate::{AppError, Ctx, Idempotency, Page, cursor};
use aftersales_domain::installed_base::{CustomerKind, Phone, Serial, parse_opt_text, parse_text};
use aftersales_domain::region::RegionCode;
use aftersales_domain::{CustomerId, FieldError, FieldErrors, Permission};
use aftersales_store::{installed_base::customers as store, installed_base::units as unit_store};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
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
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PhoneView {
    pub number: String,
    /// Grouped for reading aloud (`138 0013 8000`).
    pub display: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContactView {
    pub id: String,
    pub name: String,
    pub title: Option<String>,
    pub is_primary: bool,
    pub phones: Vec<PhoneView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SiteView {
    pub id: String,
    pub label: String,
    pub address: String,
    pub region_code: Option<String>,
    /// e.g. "辽宁省 沈阳市 和平区".
    pub region_name: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// How complete the record is (R-CUS-3): the share of the expected facts present, and
/// which are missing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Completeness {
    /// 0–100.
    pub percent: i64,
    /// Codes of what is missing: `phone`, `contact`, `address`, `region`, `company`.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DuplicateHint {
    pub id: String,
    pub number: String,
    /// `phone` or `name_address`.
    pub matched: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerView {
    #[schema(value_type = String, format = Uuid)]
    pub id: CustomerId,
    /// The number people say on the phone, e.g. `CU000123`.
    pub number: String,
    #[schema(value_type = crate::schema::CustomerKindName)]
    pub kind: String,
    pub name: String,
    pub company: Option<String>,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub notes: Option<String>,
    pub contacts: Vec<ContactView>,
    pub sites: Vec<SiteView>,
    pub completeness: Completeness,
    /// Other records that look like the same customer.
    pub likely_duplicates: Vec<DuplicateHint>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// A line of the search results.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    #[schema(value_type = String, format = Uuid)]
    pub customer_id: CustomerId,
    pub number: String,
    pub name: String,
    pub company: Option<String>,
    /// `phone`, `serial` or `name`: what the query matched.
    pub matched: String,
    /// The first phone, grouped.
    pub phone: Option<String>,
}

/// The share of complete records a service center aims for (R-CUS-3: one source measured
/// 68 % and set 85 % as the target).
pub const COMPLETENESS_TARGET_PERCENT: f64 = 85.0;

/// A line of the incomplete records list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncompleteView {
    #[schema(value_type = String, format = Uuid)]
    pub customer_id: CustomerId,
    pub number: String,
    #[schema(value_type = crate::schema::CustomerKindName)]
    pub kind: String,
    pub name: String,
    pub company: Option<String>,
    /// The first phone, grouped.
    pub phone: Option<String>,
    pub completeness: Completeness,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MissingCount {
    /// `phone`, `contact`, `address`, `region` or `company`.
    pub item: String,
    /// Records lacking it.
    pub count: i64,
}

/// How complete the customer records are as a whole (R-CUS-3).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CompletenessSummary {
    pub total: i64,
    pub complete: i64,
    /// complete / total, in percent with one decimal (100 when there are no records).
    pub complete_percent: f64,
    pub target_percent: f64,
    pub missing: Vec<MissingCount>,
}

fn region(field: &str, s: Option<&str>, errs: &mut FieldErrors) -> Option<Option<RegionCode>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(s) => errs.take(RegionCode::parse(field, s)).map(Some),
    }
}

/// Unknown region codes of a well-formed shape conflict with the reference data (409);
/// anything else is invalid input (422).
fn region_conflicts(errs: FieldErrors) -> AppError {
    if !errs.0.is_empty() && errs.0.iter().all(|e| e.code == "invalid_region") {
        let fields = errs
            .0
            .into_iter()
            .map(|e| FieldError::new(e.field, "unknown_region"))
            .collect();
        AppError::FieldConflict(FieldErrors(fields))
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

/// The rules of a customer record, field by field (the form, the API and imports share
/// them). Unknown region codes of a valid shape are a conflict; the rest is invalid input.
pub(crate) fn validate_customer(input: &NewCustomer) -> Result<ValidCustomer, AppError> {
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
            .filter_map(|(j, p)| errs.take(Phone::parse(&format!("contacts[{i}].phones[{j}]"), p)))
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
    let (Some(kind), Some(name), Some(company), Some(region_code), Some(notes)) =
        (kind, name, company, region_code, notes)
    else {
        return Err(AppError::Validation(errs));
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
            label: label.unwrap_or_else(|| {
                if i == 0 {
                    "主地址".into()
                } else {
                    format!("地址{}", i + 1)
                }
            }),
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

/// A contact of an edited record: with the id of an existing contact to change it, without
/// (or empty) to add one. Contacts of the record left out are removed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ContactEdit {
    #[schema(pattern = r"^[0-9a-fA-F-]{0,36}$")]
    pub id: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub title: Option<String>,
    #[serde(default)]
    #[schema(inline, value_type = Vec<crate::schema::PhoneText>)]
    pub phones: Vec<String>,
}

/// A site of an edited record: with the id of an existing site to change it (units placed
/// there stay), without to add one. Sites left out are removed, unless a unit is there.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SiteEdit {
    #[schema(pattern = r"^[0-9a-fA-F-]{0,36}$")]
    pub id: Option<String>,
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub label: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub address: String,
    #[schema(pattern = r"^([0-9]{6})?$")]
    pub region_code: Option<String>,
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
}

/// The whole editable record as it should be after the change (the number never changes).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CustomerEdit {
    /// The version the change is based on; a stale one is refused with 409.
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(value_type = crate::schema::CustomerKindName)]
    pub kind: String,
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
    pub contacts: Vec<ContactEdit>,
    #[serde(default)]
    pub sites: Vec<SiteEdit>,
}

impl CustomerEdit {
    fn as_new(&self) -> NewCustomer {
        NewCustomer {
            kind: self.kind.clone(),
            name: self.name.clone(),
            company: self.company.clone(),
            region_code: self.region_code.clone(),
            notes: self.notes.clone(),
            contacts: self
                .contacts
                .iter()
                .map(|c| NewContact {
                    name: c.name.clone(),
                    title: c.title.clone(),
                    phones: c.phones.clone(),
                })
                .collect(),
            sites: self
                .sites
                .iter()
                .map(|s| NewSite {
                    label: s.label.clone(),
                    address: s.address.clone(),
                    region_code: s.region_code.clone(),
                    latitude: s.latitude,
                    longitude: s.longitude,
                })
                .collect(),
        }
    }
}

/// What the audit trail keeps of a customer as read: the same shape as `snapshot`.
fn view_snapshot(v: &CustomerView) -> serde_json::Value {
    serde_json::json!({
        "number": v.number, "kind": v.kind, "name": v.name, "company": v.company,
        "region_code": v.region_code, "notes": v.notes,
        "contacts": v.contacts.iter().map(|c| serde_json::json!({"name": c.name, "phones": c.phones.iter().map(|p| &p.number).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        "sites": v.sites.iter().map(|s| serde_json::json!({"label": s.label, "address": s.address, "region_code": s.region_code})).collect::<Vec<_>>(),
    })
}

impl crate::App {
    pub async fn create_customer(
        &self,
        ctx: &Ctx,
        input: &NewCustomer,
        idem: Option<&Idempotency>,
    ) -> Result<CustomerView, AppError> {
        ctx.require(Permission::CustomersManage)?;
        if let Some(v) = self.idem_replay(ctx, idem).await? {
            return Ok(v);
        }
        let valid = validate_customer(input)?;
        let now = self.now();
        let id = CustomerId::new();
        let r = async {
            let mut tx = self.db.begin().await?;
            self.idem_claim(&mut tx, ctx, idem).await?;
            let n = aftersales_store::counters::next(tx.conn(), "customer").await?;
            let rows = customer_rows(valid, id, format!("CU{n:06}"), now);
            store::insert(tx.conn(), &rows.record).await?;
            for c in &rows.contacts {
                store::insert_contact(tx.conn(), c).await?;
            }
            for p in &rows.phones {
                store::insert_phone(tx.conn(), p).await?;
            }
            for s in &rows.sites {
                store::insert_site(tx.conn(), s).await?;
            }
            let view = self.customer_view(tx.conn(), id).await?;
            self.audit(
                &mut tx,
                ctx,
                "customer",
                &id.to_string(),
                "create",
                None,
                Some(snapshot(&rows)),
            )
            .await?;
            self.idem_complete(&mut tx, ctx, idem, &view).await?;
            tx.commit().await?;
            Ok(view)
        }
        .await;
        match r {
            Ok(v) => Ok(v),
            Err(e) => self.idem_replay_after_race(ctx, idem, e).await,
        }
    }

    /// Changes a record (R-CUS-1): its fields, contacts, phones and sites as a whole. The
    /// change is refused on a stale version (409), on an id that is not the record's (409),
    /// and on removing a site where units are placed (409). The audit trail keeps the record
    /// before and after, which is the history the customer page shows.
    pub async fn update_customer(
        &self,
        ctx: &Ctx,
        id: CustomerId,
        input: &CustomerEdit,
    ) -> Result<CustomerView, AppError> {
        ctx.require(Permission::CustomersManage)?;
        let valid = validate_customer(&input.as_new())?;
        let mut tx = self.db.begin().await?;
        let before = self.customer_view(tx.conn(), id).await?;
        if before.version != input.version {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        // Ids must be the record's own, each used once.
        let mut errs = FieldErrors::new();
        let mut seen = std::collections::HashSet::new();
        let contact_ids: Vec<Option<String>> = input
            .contacts
            .iter()
            .map(|c| c.id.clone().filter(|x| !x.trim().is_empty()))
            .collect();
        for (i, cid) in contact_ids.iter().enumerate() {
            if let Some(cid) = cid
                && (!before.contacts.iter().any(|k| &k.id == cid) || !seen.insert(cid.clone()))
            {
                errs.push(FieldError::new(
                    format!("contacts[{i}].id"),
                    "unknown_contact",
                ));
            }
        }
        let site_ids: Vec<Option<String>> = input
            .sites
            .iter()
            .map(|s| s.id.clone().filter(|x| !x.trim().is_empty()))
            .collect();
        for (i, sid) in site_ids.iter().enumerate() {
            if let Some(sid) = sid
                && (!before.sites.iter().any(|k| &k.id == sid) || !seen.insert(sid.clone()))
            {
                errs.push(FieldError::new(format!("sites[{i}].id"), "unknown_site"));
            }
        }
        // A site where units are placed stays until they move.
        for old in &before.sites {
            if !site_ids.iter().flatten().any(|s| s == &old.id) {
                let units = store::units_at_site(tx.conn(), &old.id).await?;
                if !units.is_empty() {
                    errs.push(
                        FieldError::new("sites", "site_in_use").with("units", units.len() as i64),
                    );
                }
            }
        }
        if !errs.is_empty() {
            return Err(AppError::FieldConflict(errs));
        }
        // The record as it will be: new rows, then the ids of what is kept put back.
        let mut rows = customer_rows(valid, id, before.number.clone(), self.now());
        rows.record.version = before.version + 1;
        rows.record.created_at = before.created_at;
        for (row, keep) in rows.contacts.iter_mut().zip(&contact_ids) {
            if let Some(k) = keep {
                for p in rows.phones.iter_mut() {
                    if p.contact_id.as_deref() == Some(row.id.as_str()) {
                        p.contact_id = Some(k.clone());
                    }
                }
                row.id = k.clone();
            }
        }
        for (row, keep) in rows.sites.iter_mut().zip(&site_ids) {
            if let Some(k) = keep {
                row.id = k.clone();
            }
        }
        if !store::update(tx.conn(), &rows.record, before.version).await? {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        store::delete_phones(tx.conn(), id).await?;
        for old in &before.contacts {
            if !contact_ids.iter().flatten().any(|c| c == &old.id) {
                store::delete_contact(tx.conn(), id, &old.id).await?;
            }
        }
        for old in &before.sites {
            if !site_ids.iter().flatten().any(|s| s == &old.id) {
                store::delete_site(tx.conn(), id, &old.id).await?;
            }
        }
        for (c, keep) in rows.contacts.iter().zip(&contact_ids) {
            if keep.is_some() {
                store::update_contact(tx.conn(), c).await?;
            } else {
                store::insert_contact(tx.conn(), c).await?;
            }
        }
        for p in &rows.phones {
            store::insert_phone(tx.conn(), p).await?;
        }
        for (st, keep) in rows.sites.iter().zip(&site_ids) {
            if keep.is_some() {
                store::update_site(tx.conn(), st).await?;
            } else {
                store::insert_site(tx.conn(), st).await?;
            }
        }
        let view = self.customer_view(tx.conn(), id).await?;
        self.audit(
            &mut tx,
            ctx,
            "customer",
            &id.to_string(),
            "update",
            Some(view_snapshot(&before)),
            Some(snapshot(&rows)),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn get_customer(&self, ctx: &Ctx, id: CustomerId) -> Result<CustomerView, AppError> {
        ctx.require(Permission::CustomersRead)?;
        let mut conn = self.db.acquire().await?;
        self.customer_view(&mut conn, id).await
    }

    pub(crate) async fn customer_view(
        &self,
        conn: &mut aftersales_store::Conn,
        id: CustomerId,
    ) -> Result<CustomerView, AppError> {
        let c = store::get(&mut *conn, id).await.map_err(|e| match e {
            aftersales_store::StoreError::NotFound => AppError::NotFound("customer"),
            e => e.into(),
        })?;
        let contacts = store::contacts(&mut *conn, id).await?;
        let phones = store::phones(&mut *conn, id).await?;
        let sites = store::sites(&mut *conn, id).await?;
        let contact_views: Vec<ContactView> = contacts
            .iter()
            .map(|k| ContactView {
                id: k.id.clone(),
                name: k.name.clone(),
                title: k.title.clone(),
                is_primary: k.is_primary != 0,
                phones: phones
                    .iter()
                    .filter(|p| p.contact_id.as_deref() == Some(&k.id))
                    .map(|p| PhoneView {
                        number: p.number.clone(),
                        display: display_phone(&p.number),
                    })
                    .collect(),
            })
            .collect();
        let site_views: Vec<SiteView> = sites
            .iter()
            .map(|s| SiteView {
                id: s.id.clone(),
                label: s.label.clone(),
                address: s.address.clone(),
                region_name: s.region_code.as_deref().and_then(region_name),
                region_code: s.region_code.clone(),
                latitude: s.latitude,
                longitude: s.longitude,
            })
            .collect();
        let (percent, missing) = aftersales_domain::installed_base::completeness(
            aftersales_domain::installed_base::RecordFacts {
                kind_company: c.kind == "company",
                has_phone: !phones.is_empty(),
                has_contact: !contacts.is_empty(),
                has_address: !sites.is_empty(),
                has_region: c.region_code.is_some()
                    || sites.iter().any(|s| s.region_code.is_some()),
                has_company_name: c.company.is_some(),
            },
        );
        let missing: Vec<String> = missing.into_iter().map(str::to_owned).collect();
        let digits: Vec<String> = phones.iter().map(|p| p.digits.clone()).collect();
        let addresses: Vec<String> = sites.iter().map(|s| s.address.clone()).collect();
        let likely_duplicates = store::likely_duplicates(&mut *conn, &digits, &c.name, &addresses)
            .await?
            .into_iter()
            .filter(|(cid, _, _)| *cid != id.to_string())
            .map(|(cid, number, matched)| DuplicateHint {
                id: cid,
                number,
                matched,
            })
            .collect();
        Ok(CustomerView {
            id: c.id,
            number: c.number,
            kind: c.kind,
            region_name: c.region_code.as_deref().and_then(region_name),
            name: c.name,
            company: c.company,
            region_code: c.region_code,
            notes: c.notes,
            contacts: contact_views,
            sites: site_views,
            completeness: Completeness { percent, missing },
            likely_duplicates,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        })
    }

    pub async fn list_customers(
        &self,
        ctx: &Ctx,
        cursor_in: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Page<CustomerView>, AppError> {
        ctx.require(Permission::CustomersRead)?;
        let limit = cursor::limit(limit)?;
        let after = cursor::decode(cursor_in)?;
        let page = store::list(self.db.pool(), after.as_deref(), limit).await?;
        let mut conn = self.db.acquire().await?;
        let mut items = Vec::new();
        for c in &page.items {
            items.push(self.customer_view(&mut conn, c.id).await?);
        }
        Ok(Page {
            items,
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }

    /// Incomplete records (R-CUS-3) by number, optionally only those lacking one item
    /// (`phone`, `contact`, `address`, `region`, `company`).
    pub async fn list_incomplete_customers(
        &self,
        ctx: &Ctx,
        missing: Option<&str>,
        cursor_in: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Page<IncompleteView>, AppError> {
        ctx.require(Permission::CustomersRead)?;
        let missing = missing.map(str::trim).filter(|m| !m.is_empty());
        if let Some(m) = missing
            && !aftersales_domain::installed_base::COMPLETENESS_ITEMS.contains(&m)
        {
            return Err(AppError::invalid(FieldError::new(
                "missing",
                "invalid_choice",
            )));
        }
        let limit = cursor::limit(limit)?;
        let after = cursor::decode(cursor_in)?;
        let page = store::list_incomplete(self.db.pool(), missing, after.as_deref(), limit).await?;
        let mut items = Vec::new();
        for r in page.items {
            let phones = store::phones(self.db.pool(), r.id).await?;
            items.push(IncompleteView {
                customer_id: r.id,
                number: r.number,
                kind: r.kind,
                name: r.name,
                company: r.company,
                phone: phones.first().map(|p| display_phone(&p.number)),
                completeness: Completeness {
                    percent: r.complete_pct,
                    missing: r.missing.split_whitespace().map(str::to_owned).collect(),
                },
                updated_at: r.updated_at,
            });
        }
        Ok(Page {
            items,
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }

    /// The share of complete records against the target, and what is missing how often.
    pub async fn completeness_summary(&self, ctx: &Ctx) -> Result<CompletenessSummary, AppError> {
        ctx.require(Permission::CustomersRead)?;
        let items = aftersales_domain::installed_base::COMPLETENESS_ITEMS;
        let c = store::completeness_counts(self.db.pool(), &items).await?;
        Ok(CompletenessSummary {
            total: c.total,
            complete: c.complete,
            complete_percent: if c.total == 0 {
                100.0
            } else {
                (c.complete as f64 * 1000.0 / c.total as f64).round() / 10.0
            },
            target_percent: COMPLETENESS_TARGET_PERCENT,
            missing: c
                .missing
                .into_iter()
                .map(|(item, count)| MissingCount { item, count })
                .collect(),
        })
    }

    /// The agent's search box: a phone number (any contact's, with or without +86 and
    /// separators), a serial number, a customer number, or part of a name or company
    /// (pinyin initials too). Phone matches first, then serials, then names.
    pub async fn search_customers(
        &self,
        ctx: &Ctx,
        q: &str,
        limit: i64,
    ) -> Result<Vec<SearchHit>, AppError> {
        ctx.require(Permission::CustomersRead)?;
        if q.chars().count() > 100 {
            return Err(AppError::invalid(
                FieldError::new("q", "too_long").with("max", 100),
            ));
        }
        if !(1..=50).contains(&limit) {
            return Err(AppError::invalid(
                FieldError::new("limit", "out_of_range")
                    .with("min", 1)
                    .with("max", 50),
            ));
        }
        let q = q.trim();
        let mut hits: Vec<SearchHit> = Vec::new();
        // One Chinese character (a surname) is a useful query; one Latin letter or digit is not.
        if q.is_empty() || (q.chars().count() < 2 && q.is_ascii()) {
            return Ok(hits);
        }
        let pool = self.db.pool();
        let push = |found: Vec<store::CustomerRecord>, matched: &str, hits: &mut Vec<SearchHit>| {
            for c in found {
                if hits.len() as i64 >= limit || hits.iter().any(|h| h.customer_id == c.id) {
                    continue;
                }
                hits.push(SearchHit {
                    customer_id: c.id,
                    number: c.number,
                    name: c.name,
                    company: c.company,
                    matched: matched.to_owned(),
                    phone: None,
                });
            }
        };
        let digits = Phone::digits_of(q);
        let mostly_digits = q.chars().filter(char::is_ascii_digit).count() * 2 > q.chars().count();
        if mostly_digits && digits.len() >= 3 {
            push(
                store::by_phone_digits(pool, &digits, limit).await?,
                "phone",
                &mut hits,
            );
        }
        let serial = Serial::normalize(q);
        if serial.len() >= 3 && serial.chars().all(|c| c.is_ascii_alphanumeric()) {
            push(
                store::by_serial_prefix(pool, &serial, limit).await?,
                "serial",
                &mut hits,
            );
        }
        push(
            store::by_text(pool, &q.to_lowercase(), limit).await?,
            "name",
            &mut hits,
        );
        for h in &mut hits {
            let phones = store::phones(pool, h.customer_id).await?;
            h.phone = phones.first().map(|p| display_phone(&p.number));
        }
        Ok(hits)
    }

    /// Units of a customer, for their page.
    pub async fn customer_units(
        &self,
        ctx: &Ctx,
        id: CustomerId,
    ) -> Result<Vec<crate::UnitView>, AppError> {
        ctx.require(Permission::UnitsRead)?;
        let f = unit_store::UnitFilter {
            customer_id: Some(id),
            ..Default::default()
        };
        let page = unit_store::list(self.db.pool(), &f, None, crate::MAX_LIMIT).await?;
        let mut out = Vec::new();
        for u in &page.items {
            out.push(self.unit_view(u).await?);
        }
        Ok(out)
    }
}

fn display_phone(raw: &str) -> String {
    Phone::parse("phone", raw)
        .map(|p| p.display())
        .unwrap_or_else(|_| raw.to_owned())
}

fn region_name(code: &str) -> Option<String> {
    RegionCode::parse("region_code", code)
        .ok()
        .map(|r| r.full_name())
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

impl crate::App {
    /// What happened to a customer's record, newest first: its own changes and those of
    /// its units (R-CUS-1 history; later issues add requests, visits, payments…).
    pub async fn customer_history(
        &self,
        ctx: &Ctx,
        id: CustomerId,
    ) -> Result<Vec<crate::AuditView>, AppError> {
        ctx.require(Permission::CustomersRead)?;
        let pool = self.db.pool();
        let mut entries = Vec::new();
        let f = aftersales_store::administration::audit::AuditFilter {
            entity: Some("customer".into()),
            entity_id: Some(id.to_string()),
            ..Default::default()
        };
        entries.extend(
            aftersales_store::administration::audit::list(pool, &f, None, 100)
                .await?
                .items,
        );
        let units = unit_store::list(
            pool,
            &unit_store::UnitFilter {
                customer_id: Some(id),
                ..Default::default()
            },
            None,
            50,
        )
        .await?;
        for u in units.items {
            let f = aftersales_store::administration::audit::AuditFilter {
                entity: Some("unit".into()),
                entity_id: Some(u.id.to_string()),
                ..Default::default()
            };
            entries.extend(
                aftersales_store::administration::audit::list(pool, &f, None, 20)
                    .await?
                    .items,
            );
        }
        entries.sort_by_key(|a| std::cmp::Reverse(a.id));
        Ok(entries.into_iter().map(crate::AuditView::from).collect())
    }
}
