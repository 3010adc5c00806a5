//! Customer records (R-CUS-1..4): individuals and companies with contacts, phones and
//! sites; likely duplicates; completeness; the agent's search box.
//!
//! The folder: `record` (the input of a new record, its rules and the rows that store it),
//! `edit` (changing a record as a whole), `search` (the agent's search box), `caller` (a new
//! caller filed from the console), `completeness`
//! (R-CUS-3: per record and for all), `duplicates` (records that look like the same
//! customer), and here the record as read, creating it and its units and history.

mod caller;
mod completeness;
mod duplicates;
mod edit;
mod record;
mod search;

pub use caller::{CALLER_NAME_MAX, NewCaller};
pub use completeness::{
    COMPLETENESS_TARGET_PERCENT, Completeness, CompletenessSummary, IncompleteView, MissingCount,
};
pub use duplicates::DuplicateHint;
pub use edit::{ContactEdit, CustomerEdit, SiteEdit};
pub use record::{NewContact, NewCustomer, NewSite};
pub(crate) use record::{ValidCustomer, customer_rows, snapshot};
pub use search::SearchHit;

use crate::{AppError, Ctx, Idempotency, Page, cursor};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::installed_base::{CustomerKind, Phone};
use aftersales_domain::region::RegionCode;
use aftersales_domain::{CustomerId, FieldError, FieldErrors, Permission};
use aftersales_store::{installed_base::customers as store, installed_base::units as unit_store};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

impl crate::App {
    #[tracing::instrument(skip_all)]
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
        let valid = input.parse().map_err(record::refused)?;
        if !input.confirm_duplicate {
            let mut conn = self.db.acquire().await?;
            let taken = duplicate_phones(&mut conn, &valid).await?;
            if !taken.is_empty() {
                return Err(AppError::FieldConflict(taken));
            }
        }
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
                AuditEntity::Customer,
                &id.to_string(),
                AuditAction::Create,
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

    #[tracing::instrument(skip_all)]
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
        let kind = CustomerKind::parse(&c.kind).ok_or_else(|| {
            AppError::Internal(format!("customer {id}: stored kind {:?} unknown", c.kind))
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
                kind_company: kind == CustomerKind::Company,
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

    #[tracing::instrument(skip_all)]
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

    /// Units of a customer, for their page.
    #[tracing::instrument(skip_all)]
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

/// A fault `duplicate_phone` on every phone of a new record that is already on another
/// customer's record (the stored digits compared: separators and +86 dropped). A conflict
/// with what is on file, so it comes back as `FieldConflict` (409).
async fn duplicate_phones(
    conn: &mut aftersales_store::Conn,
    valid: &ValidCustomer,
) -> Result<FieldErrors, AppError> {
    let mut digits: Vec<String> = valid
        .contacts
        .iter()
        .flat_map(|(_, _, phones)| phones.iter().map(|p| p.digits().to_owned()))
        .collect();
    let mut errs = FieldErrors::new();
    if digits.is_empty() {
        return Ok(errs);
    }
    digits.sort();
    digits.dedup();
    let taken: std::collections::HashSet<String> = store::owners_of_phones(&mut *conn, &digits)
        .await?
        .into_iter()
        .map(|(d, _, _)| d)
        .collect();
    for (i, (_, _, phones)) in valid.contacts.iter().enumerate() {
        for (j, p) in phones.iter().enumerate() {
            if taken.contains(p.digits()) {
                errs.push(FieldError::new(
                    format!("contacts[{i}].phones[{j}]"),
                    "duplicate_phone",
                ));
            }
        }
    }
    Ok(errs)
}

/// A stored phone number grouped for reading aloud. Every number is checked when written; one
/// that no longer parses (a rule tightened later, a hand-made change) is shown as stored,
/// since the number itself is what the agent needs.
pub(super) fn display_phone(raw: &str) -> String {
    match Phone::parse("phone", raw) {
        Ok(p) => p.display(),
        Err(_) => raw.to_owned(),
    }
}

/// The full name of a stored region code ("辽宁省 沈阳市 和平区"). A code that the table no
/// longer has (a newer list dropped it) has no name: the record and its exports still show
/// the code itself, which is what was stored.
pub(crate) fn region_name(code: &str) -> Option<String> {
    match RegionCode::parse("region_code", code) {
        Ok(r) => Some(r.full_name()),
        Err(_) => None,
    }
}

impl crate::App {
    /// What happened to a customer's record, newest first: its own changes and those of
    /// its units (R-CUS-1 history; later issues add requests, visits, payments…).
    #[tracing::instrument(skip_all)]
    pub async fn customer_history(
        &self,
        ctx: &Ctx,
        id: CustomerId,
    ) -> Result<Vec<crate::AuditView>, AppError> {
        ctx.require(Permission::CustomersRead)?;
        let pool = self.db.pool();
        let mut entries = Vec::new();
        let f = aftersales_store::administration::audit::AuditFilter {
            entity: Some(AuditEntity::Customer),
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
                entity: Some(AuditEntity::Unit),
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
