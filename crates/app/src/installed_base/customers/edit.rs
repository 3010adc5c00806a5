//! Changing a customer record (R-CUS-1) as a whole: fields, contacts, phones and sites,
//! keeping the ids of what stays; the audit trail keeps the record before and after.

use super::CustomerView;
use super::record::{
    CustomerRows, NewContact, NewCustomer, NewSite, customer_rows, refused, snapshot,
};
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::{CustomerId, FieldError, FieldErrors, Permission};
use aftersales_store::installed_base::customers as store;
use serde::Deserialize;
use utoipa::ToSchema;

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
            // Read only for the record's field rules; an edit's shared phone stays a
            // warning (likely duplicates), as the record is the customer's already.
            confirm_duplicate: true,
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

/// The ids an edit keeps: per contact and per site of the input, the id of the record's
/// own contact or site that it changes, or `None` for a new one.
struct Kept {
    contacts: Vec<Option<String>>,
    sites: Vec<Option<String>>,
}

impl Kept {
    /// The ids of the input; each must be the record's own and used once (else a fault).
    fn of(input: &CustomerEdit, before: &CustomerView, errs: &mut FieldErrors) -> Kept {
        let id = |x: &Option<String>| x.clone().filter(|x| !x.trim().is_empty());
        let kept = Kept {
            contacts: input.contacts.iter().map(|c| id(&c.id)).collect(),
            sites: input.sites.iter().map(|s| id(&s.id)).collect(),
        };
        let mut seen = std::collections::HashSet::new();
        for (i, cid) in kept.contacts.iter().enumerate() {
            if let Some(cid) = cid
                && (!before.contacts.iter().any(|k| &k.id == cid) || !seen.insert(cid.clone()))
            {
                errs.push(FieldError::new(
                    format!("contacts[{i}].id"),
                    "unknown_contact",
                ));
            }
        }
        for (i, sid) in kept.sites.iter().enumerate() {
            if let Some(sid) = sid
                && (!before.sites.iter().any(|k| &k.id == sid) || !seen.insert(sid.clone()))
            {
                errs.push(FieldError::new(format!("sites[{i}].id"), "unknown_site"));
            }
        }
        kept
    }

    fn keeps_contact(&self, id: &str) -> bool {
        self.contacts.iter().flatten().any(|c| c == id)
    }

    fn keeps_site(&self, id: &str) -> bool {
        self.sites.iter().flatten().any(|s| s == id)
    }

    /// Gives the new rows of what is kept their old ids back (phones follow their contact).
    fn restore_ids(&self, rows: &mut CustomerRows) {
        for (row, keep) in rows.contacts.iter_mut().zip(&self.contacts) {
            if let Some(k) = keep {
                for p in rows.phones.iter_mut() {
                    if p.contact_id.as_deref() == Some(row.id.as_str()) {
                        p.contact_id = Some(k.clone());
                    }
                }
                row.id = k.clone();
            }
        }
        for (row, keep) in rows.sites.iter_mut().zip(&self.sites) {
            if let Some(k) = keep {
                row.id = k.clone();
            }
        }
    }
}

/// Writes the record as it will be: what was left out removed, what is kept changed in place,
/// the rest added; phones anew with their contacts.
async fn write_edit(
    conn: &mut aftersales_store::Conn,
    before: &CustomerView,
    rows: &CustomerRows,
    kept: &Kept,
) -> Result<(), AppError> {
    let id = before.id;
    if !store::update(&mut *conn, &rows.record, before.version).await? {
        return Err(AppError::StaleVersion {
            current: before.version,
        });
    }
    store::delete_phones(&mut *conn, id).await?;
    for old in before
        .contacts
        .iter()
        .filter(|c| !kept.keeps_contact(&c.id))
    {
        store::delete_contact(&mut *conn, id, &old.id).await?;
    }
    for old in before.sites.iter().filter(|s| !kept.keeps_site(&s.id)) {
        store::delete_site(&mut *conn, id, &old.id).await?;
    }
    for (c, keep) in rows.contacts.iter().zip(&kept.contacts) {
        if keep.is_some() {
            store::update_contact(&mut *conn, c).await?;
        } else {
            store::insert_contact(&mut *conn, c).await?;
        }
    }
    for p in &rows.phones {
        store::insert_phone(&mut *conn, p).await?;
    }
    for (st, keep) in rows.sites.iter().zip(&kept.sites) {
        if keep.is_some() {
            store::update_site(&mut *conn, st).await?;
        } else {
            store::insert_site(&mut *conn, st).await?;
        }
    }
    Ok(())
}

impl crate::App {
    /// Changes a record (R-CUS-1): its fields, contacts, phones and sites as a whole. The
    /// change is refused on a stale version (409), on an id that is not the record's (409),
    /// and on removing a site where units are placed (409). The audit trail keeps the record
    /// before and after, which is the history the customer page shows.
    #[tracing::instrument(skip_all)]
    pub async fn update_customer(
        &self,
        ctx: &Ctx,
        id: CustomerId,
        input: &CustomerEdit,
    ) -> Result<CustomerView, AppError> {
        ctx.require(Permission::CustomersManage)?;
        let valid = input.as_new().parse().map_err(refused)?;
        let mut tx = self.db.begin().await?;
        let before = self.customer_view(tx.conn(), id).await?;
        if before.version != input.version {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        let mut errs = FieldErrors::new();
        let kept = Kept::of(input, &before, &mut errs);
        // A site where units are placed stays until they move.
        for old in before.sites.iter().filter(|s| !kept.keeps_site(&s.id)) {
            let units = store::units_at_site(tx.conn(), &old.id).await?;
            if !units.is_empty() {
                errs.push(
                    FieldError::new("sites", "site_in_use").with("units", units.len() as i64),
                );
            }
        }
        if !errs.is_empty() {
            return Err(AppError::FieldConflict(errs));
        }
        // The record as it will be: new rows, then the ids of what is kept put back.
        let mut rows = customer_rows(valid, id, before.number.clone(), self.now());
        rows.record.version = before.version + 1;
        rows.record.created_at = before.created_at;
        kept.restore_ids(&mut rows);
        write_edit(tx.conn(), &before, &rows, &kept).await?;
        let view = self.customer_view(tx.conn(), id).await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Customer,
            &id.to_string(),
            AuditAction::Update,
            Some(view_snapshot(&before)),
            Some(snapshot(&rows)),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }
}
