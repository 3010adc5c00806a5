//! Exports: every list as rows of typed cells, page by page, with the same permission and
//! the same filters as reading the list. The web layer turns the pages into CSV or XLSX in
//! the caller's language while it streams them, so a list of 100,000 customers is never
//! held in memory at once.
//!
//! Customers and units are read in pages of 500 with their contacts, phones, sites, models
//! and owners fetched per page (a handful of queries per page, not per record); the other
//! lists reuse their list use-cases.

use crate::{AppError, AuditQuery, ContractQuery, Ctx, UnitQuery, UserQuery, cursor};
use aftersales_domain::Permission;
use aftersales_store::{
    installed_base::customers as customer_store, installed_base::units as unit_store,
};
use jiff::Timestamp;

/// The lists that can be exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportList {
    Customers,
    Units,
    Products,
    WarrantyPolicies,
    Contracts,
    OrgUnits,
    Users,
    Audit,
    /// The parts catalog, as its import reads it back (docs/parts.md).
    Parts,
    Suppliers,
}

impl ExportList {
    pub const ALL: [ExportList; 10] = [
        ExportList::Customers,
        ExportList::Units,
        ExportList::Products,
        ExportList::WarrantyPolicies,
        ExportList::Contracts,
        ExportList::OrgUnits,
        ExportList::Users,
        ExportList::Audit,
        ExportList::Parts,
        ExportList::Suppliers,
    ];

    /// As in the URL (`/api/v1/exports/{list}`) and the file name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportList::Customers => "customers",
            ExportList::Units => "units",
            ExportList::Products => "products",
            ExportList::WarrantyPolicies => "warranty-policies",
            ExportList::Contracts => "contracts",
            ExportList::OrgUnits => "org-units",
            ExportList::Users => "users",
            ExportList::Audit => "audit",
            ExportList::Parts => "parts",
            ExportList::Suppliers => "suppliers",
        }
    }

    pub fn parse(s: &str) -> Option<ExportList> {
        ExportList::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The columns: a key (the web layer's label is `io.col.<key>`) and a width in
    /// characters.
    pub fn columns(self) -> &'static [(&'static str, f64)] {
        match self {
            ExportList::Customers => &[
                ("customer_number", 11.0),
                ("kind", 8.0),
                ("name", 16.0),
                ("company", 24.0),
                ("region_code", 10.0),
                ("region_name", 22.0),
                ("contact", 12.0),
                ("phone", 30.0),
                ("address", 36.0),
                ("notes", 24.0),
                ("created_at", 19.0),
            ],
            ExportList::Units => &[
                ("serial", 20.0),
                ("manufacturer", 10.0),
                ("product_code", 14.0),
                ("product_name", 18.0),
                ("product_line", 10.0),
                ("customer_number", 11.0),
                ("customer_name", 16.0),
                ("manufacture_date", 12.0),
                ("ship_date", 12.0),
                ("sale_date", 12.0),
                ("installation_date", 12.0),
                ("acceptance_date", 12.0),
                ("dealer", 18.0),
                ("oem", 6.0),
                ("third_party", 8.0),
                ("created_at", 19.0),
            ],
            ExportList::Products => &[
                ("code", 14.0),
                ("name", 20.0),
                ("product_line", 12.0),
                ("maintenance_interval_months", 10.0),
                ("policy_code", 12.0),
            ],
            ExportList::WarrantyPolicies => &[
                ("policy_code", 12.0),
                ("name", 24.0),
                ("effective_from", 12.0),
                ("months", 8.0),
                ("start_basis", 14.0),
                ("parts", 14.0),
                ("labor", 14.0),
                ("travel", 14.0),
                ("exclusion_charge", 14.0),
                ("after_terms", 40.0),
                ("notes", 24.0),
            ],
            ExportList::Contracts => &[
                ("contract_number", 12.0),
                ("customer_id", 38.0),
                ("start_date", 12.0),
                ("end_date", 12.0),
                ("service_level", 14.0),
                ("parts", 14.0),
                ("labor", 14.0),
                ("travel", 14.0),
                ("units", 8.0),
                ("remind_on", 12.0),
                ("notes", 24.0),
            ],
            ExportList::OrgUnits => &[
                ("code", 12.0),
                ("name", 24.0),
                ("org_kind", 10.0),
                ("parent_code", 12.0),
                ("depth", 6.0),
                ("active", 6.0),
                ("created_at", 19.0),
            ],
            ExportList::Users => &[
                ("username", 14.0),
                ("display_name", 14.0),
                ("role", 10.0),
                ("org_unit", 12.0),
                ("locale", 8.0),
                ("disabled", 8.0),
                ("created_at", 19.0),
            ],
            ExportList::Audit => &[
                ("at", 19.0),
                ("actor", 14.0),
                ("entity", 12.0),
                ("entity_id", 38.0),
                ("action", 10.0),
                ("request_id", 38.0),
                ("before", 40.0),
                ("after", 40.0),
            ],
            ExportList::Parts => &[
                ("part_no", 16.0),
                ("name_zh", 20.0),
                ("name_en", 24.0),
                ("category", 12.0),
                ("uom", 6.0),
                ("cost", 12.0),
                ("list_price", 12.0),
                ("original_only", 8.0),
                ("serialized", 8.0),
                ("supplier_code", 12.0),
                ("supplier_warranty_months", 10.0),
                ("models", 24.0),
                ("discontinued", 8.0),
                ("successor", 16.0),
                ("note", 24.0),
            ],
            ExportList::Suppliers => &[
                ("supplier_code", 12.0),
                ("name", 24.0),
                ("contact", 12.0),
                ("phone", 16.0),
                ("email", 24.0),
                ("address", 36.0),
                ("warranty_months", 10.0),
                ("note", 24.0),
            ],
        }
    }
}

/// A cell of an export, before the caller's language is applied.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportCell {
    Empty,
    Text(String),
    Int(i64),
    /// `YYYY-MM-DD`.
    Date(String),
    /// Shown in the site's time zone.
    Instant(Timestamp),
    Bool(bool),
    /// A code whose label is the message `{prefix}{code}` (e.g. `role.` + `agent`).
    Code(&'static str, String),
    /// A value of a domain vocabulary: its words in Chinese and in English.
    Words(&'static str, &'static str),
}

impl ExportCell {
    fn text(s: impl Into<String>) -> Self {
        ExportCell::Text(s.into())
    }

    fn opt(s: Option<impl Into<String>>) -> Self {
        s.map(|s| ExportCell::Text(s.into()))
            .unwrap_or(ExportCell::Empty)
    }

    fn date(s: Option<&String>) -> Self {
        s.map(|d| ExportCell::Date(d.clone()))
            .unwrap_or(ExportCell::Empty)
    }
}

/// The filters of an export: those of the list it exports.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    pub units: UnitQuery,
    pub contracts: ContractQuery,
    pub users: UserQuery,
    pub audit: AuditQuery,
}

/// A page of rows and where the next one starts.
#[derive(Debug, Clone)]
pub struct ExportPage {
    pub rows: Vec<Vec<ExportCell>>,
    pub next: Option<String>,
}

/// Rows per page read for customers and units.
const PAGE: i64 = 500;

impl ExportList {
    /// The permission reading the list needs (the list use-cases check it again).
    pub fn permission(self) -> Permission {
        match self {
            ExportList::Customers => Permission::CustomersRead,
            ExportList::Units | ExportList::Contracts => Permission::UnitsRead,
            ExportList::Products | ExportList::WarrantyPolicies => Permission::ProductsRead,
            ExportList::OrgUnits => Permission::OrgRead,
            ExportList::Users => Permission::UsersRead,
            ExportList::Audit => Permission::AuditRead,
            // Costs and supplier contacts are the warehouse's, and the file is meant to be
            // imported again (docs/parts.md "Import and export").
            ExportList::Parts | ExportList::Suppliers => Permission::PartsManage,
        }
    }
}

impl crate::App {
    /// One page of an export; pass the previous page's `next` to continue.
    #[tracing::instrument(skip_all)]
    pub async fn export_page(
        &self,
        ctx: &Ctx,
        list: ExportList,
        filter: &ExportFilter,
        after: Option<&str>,
    ) -> Result<ExportPage, AppError> {
        ctx.require(list.permission())?;
        let page = match list {
            ExportList::Customers => {
                let mut conn = self.db.acquire().await?;
                let page = customer_store::list_full(&mut conn, after, PAGE).await?;
                ExportPage {
                    rows: page.items.iter().map(customer_row).collect(),
                    next: page.next,
                }
            }
            ExportList::Units => {
                let Some(f) = self.unit_filter(&filter.units).await? else {
                    return Ok(ExportPage {
                        rows: Vec::new(),
                        next: None,
                    });
                };
                let mut conn = self.db.acquire().await?;
                let page = unit_store::list_lines(&mut conn, &f, after, PAGE).await?;
                ExportPage {
                    rows: page.items.iter().map(unit_row).collect::<Result<_, _>>()?,
                    next: page.next,
                }
            }
            ExportList::Products => {
                let p = self
                    .list_products(ctx, after.map(cursor::encode).as_deref(), Some(200))
                    .await?;
                ExportPage {
                    rows: p.items.into_iter().map(product_row).collect(),
                    next: decode_next(p.next_cursor)?,
                }
            }
            ExportList::WarrantyPolicies => {
                let mut rows = Vec::new();
                for p in self.list_policies(ctx).await? {
                    for v in &p.versions {
                        rows.push(policy_version_row(&p, v)?);
                    }
                }
                ExportPage { rows, next: None }
            }
            ExportList::Contracts => {
                let mut q = filter.contracts.clone();
                q.cursor = after.map(cursor::encode);
                q.limit = Some(200);
                let p = self.list_contracts(ctx, &q).await?;
                ExportPage {
                    rows: p.items.into_iter().map(contract_row).collect(),
                    next: decode_next(p.next_cursor)?,
                }
            }
            ExportList::OrgUnits => {
                let p = self
                    .list_org_units(ctx, after.map(cursor::encode).as_deref(), Some(200))
                    .await?;
                let codes = self.org_codes(ctx).await?;
                ExportPage {
                    rows: p.items.into_iter().map(|o| org_row(o, &codes)).collect(),
                    next: decode_next(p.next_cursor)?,
                }
            }
            ExportList::Users => {
                let mut q = filter.users.clone();
                q.cursor = after.map(cursor::encode);
                q.limit = Some(200);
                let p = self.list_users(ctx, &q).await?;
                let codes = self.org_codes(ctx).await?;
                ExportPage {
                    rows: p.items.into_iter().map(|u| user_row(u, &codes)).collect(),
                    next: decode_next(p.next_cursor)?,
                }
            }
            ExportList::Audit => {
                let mut q = filter.audit.clone();
                q.cursor = after.map(cursor::encode);
                q.limit = Some(200);
                let p = self.list_audit(ctx, &q).await?;
                ExportPage {
                    rows: p.items.into_iter().map(audit_row).collect(),
                    next: decode_next(p.next_cursor)?,
                }
            }
            ExportList::Parts => {
                let p = self
                    .list_parts(ctx, None, after.map(cursor::encode).as_deref(), Some(200))
                    .await?;
                ExportPage {
                    rows: p.items.into_iter().map(part_row).collect(),
                    next: decode_next(p.next_cursor)?,
                }
            }
            ExportList::Suppliers => {
                let rows = self.suppliers_after(ctx, after, PAGE).await?;
                let next = (rows.len() as i64 == PAGE)
                    .then(|| rows.last().map(|s| s.code.clone()))
                    .flatten();
                ExportPage {
                    rows: rows.into_iter().map(supplier_row).collect(),
                    next,
                }
            }
        };
        Ok(page)
    }

    /// Org unit id → code, for the units the caller may see.
    async fn org_codes(
        &self,
        ctx: &Ctx,
    ) -> Result<std::collections::HashMap<String, String>, AppError> {
        let mut out = std::collections::HashMap::new();
        let mut next: Option<String> = None;
        loop {
            let p = self.list_org_units(ctx, next.as_deref(), Some(200)).await?;
            for o in p.items {
                out.insert(o.id.to_string(), o.code);
            }
            match p.next_cursor {
                Some(c) => next = Some(c),
                None => return Ok(out),
            }
        }
    }
}

/// The list use-cases answer an encoded cursor; exports pass the plain key around.
fn decode_next(c: Option<String>) -> Result<Option<String>, AppError> {
    cursor::decode(c.as_deref())
}

fn part_row(p: crate::PartView) -> Vec<ExportCell> {
    use aftersales_domain::Locale;
    use aftersales_domain::parts::yuan_plain;
    vec![
        ExportCell::text(p.part_no),
        ExportCell::text(p.name_zh),
        ExportCell::text(p.name_en),
        ExportCell::Words(p.category.words(Locale::ZhCn), p.category.words(Locale::En)),
        ExportCell::Words(p.uom.words(Locale::ZhCn), p.uom.words(Locale::En)),
        ExportCell::text(yuan_plain(p.cost_fen)),
        ExportCell::text(yuan_plain(p.list_price_fen)),
        ExportCell::Bool(p.original_only),
        ExportCell::Bool(p.serialized),
        ExportCell::opt(p.supplier_code),
        p.supplier_warranty_months
            .map(ExportCell::Int)
            .unwrap_or(ExportCell::Empty),
        ExportCell::text(p.models.join(", ")),
        ExportCell::Bool(p.discontinued),
        ExportCell::opt(p.successor),
        ExportCell::opt(p.note),
    ]
}

fn supplier_row(s: crate::SupplierView) -> Vec<ExportCell> {
    vec![
        ExportCell::text(s.code),
        ExportCell::text(s.name),
        ExportCell::opt(s.contact),
        ExportCell::opt(s.phone),
        ExportCell::opt(s.email),
        ExportCell::opt(s.address),
        s.warranty_months
            .map(ExportCell::Int)
            .unwrap_or(ExportCell::Empty),
        ExportCell::opt(s.note),
    ]
}

fn product_row(p: crate::ProductView) -> Vec<ExportCell> {
    vec![
        ExportCell::text(p.code),
        ExportCell::text(p.name),
        ExportCell::text(p.product_line),
        p.maintenance_interval_months
            .map(ExportCell::Int)
            .unwrap_or(ExportCell::Empty),
        ExportCell::opt(p.policy_code),
    ]
}

/// One version of a policy. After-terms that do not serialize are an error, not an empty cell.
fn policy_version_row(
    p: &crate::PolicyView,
    v: &crate::PolicyVersionDto,
) -> Result<Vec<ExportCell>, AppError> {
    Ok(vec![
        ExportCell::text(&p.code),
        ExportCell::text(&p.name),
        ExportCell::Date(v.effective_from.clone()),
        ExportCell::Int(v.months),
        ExportCell::Code("io.start_basis.", v.start_basis.clone()),
        ExportCell::Code("warranty.charge.", v.in_warranty.parts.clone()),
        ExportCell::Code("warranty.charge.", v.in_warranty.labor.clone()),
        ExportCell::Code("warranty.charge.", v.in_warranty.travel.clone()),
        ExportCell::Code("warranty.charge.", v.exclusion_charge.clone()),
        ExportCell::text(
            serde_json::to_string(&v.after)
                .map_err(|e| AppError::Internal(format!("after-terms of {}: {e}", p.code)))?,
        ),
        ExportCell::opt(v.note.clone()),
    ])
}

fn contract_row(c: crate::ContractView) -> Vec<ExportCell> {
    let charge = |c: Option<String>| {
        c.map(|c| ExportCell::Code("warranty.charge.", c))
            .unwrap_or(ExportCell::Empty)
    };
    vec![
        ExportCell::text(c.number),
        ExportCell::text(c.customer_id.to_string()),
        ExportCell::Date(c.start_date),
        ExportCell::Date(c.end_date),
        ExportCell::text(c.service_level),
        charge(c.parts),
        charge(c.labor),
        charge(c.travel),
        ExportCell::Int(c.unit_ids.len() as i64),
        ExportCell::Date(c.remind_on),
        ExportCell::opt(c.notes),
    ]
}

/// `codes`: org unit id → code, for the parent's code.
fn org_row(
    o: crate::OrgUnitView,
    codes: &std::collections::HashMap<String, String>,
) -> Vec<ExportCell> {
    vec![
        ExportCell::text(o.code),
        ExportCell::text(o.name),
        ExportCell::Code("org_kind.", o.kind.as_str().to_owned()),
        ExportCell::opt(o.parent_id.and_then(|p| codes.get(&p.to_string()).cloned())),
        ExportCell::Int(o.depth),
        ExportCell::Bool(o.active),
        ExportCell::Instant(o.created_at),
    ]
}

/// `codes`: org unit id → code, for the user's unit.
fn user_row(
    u: crate::UserView,
    codes: &std::collections::HashMap<String, String>,
) -> Vec<ExportCell> {
    vec![
        ExportCell::text(u.username),
        ExportCell::text(u.display_name),
        ExportCell::Code("role.", u.role.as_str().to_owned()),
        ExportCell::opt(
            u.org_unit_id
                .and_then(|o| codes.get(&o.to_string()).cloned()),
        ),
        ExportCell::text(u.locale.as_str()),
        ExportCell::Bool(u.disabled),
        ExportCell::Instant(u.created_at),
    ]
}

fn audit_row(a: crate::AuditView) -> Vec<ExportCell> {
    let json = |v: Option<serde_json::Value>| ExportCell::opt(v.map(|v| v.to_string()));
    vec![
        ExportCell::Instant(a.at),
        ExportCell::text(a.actor_name),
        ExportCell::text(a.entity.as_str()),
        ExportCell::text(a.entity_id),
        ExportCell::text(a.action.as_str()),
        ExportCell::opt(a.request_id),
        json(a.before),
        json(a.after),
    ]
}

fn customer_row(f: &customer_store::CustomerFull) -> Vec<ExportCell> {
    let c = &f.customer;
    let site = f.sites.first();
    vec![
        ExportCell::text(&c.number),
        ExportCell::Code("customers.kind.", c.kind.clone()),
        ExportCell::text(&c.name),
        ExportCell::opt(c.company.clone()),
        ExportCell::opt(c.region_code.clone()),
        ExportCell::opt(
            c.region_code
                .as_deref()
                .or(site.and_then(|s| s.region_code.as_deref()))
                .and_then(crate::installed_base::customers::region_name),
        ),
        ExportCell::opt(f.contacts.first().map(|k| k.name.clone())),
        if f.phones.is_empty() {
            ExportCell::Empty
        } else {
            ExportCell::text(
                f.phones
                    .iter()
                    .map(|p| p.number.as_str())
                    .collect::<Vec<_>>()
                    .join(" / "),
            )
        },
        ExportCell::opt(site.map(|s| s.address.clone())),
        ExportCell::opt(c.notes.clone()),
        ExportCell::Instant(c.created_at),
    ]
}

/// A unit's line. A stored instant that does not read back is an error: an empty cell would
/// pass for a unit without one.
fn unit_row(u: &unit_store::UnitLine) -> Result<Vec<ExportCell>, AppError> {
    Ok(vec![
        ExportCell::opt(u.serial.clone()),
        ExportCell::text(&u.manufacturer),
        ExportCell::text(&u.product_code),
        ExportCell::text(&u.product_name),
        ExportCell::text(&u.product_line),
        ExportCell::opt(u.customer_number.clone()),
        ExportCell::opt(u.customer_name.clone()),
        ExportCell::date(u.manufacture_date.as_ref()),
        ExportCell::date(u.ship_date.as_ref()),
        ExportCell::date(u.sale_date.as_ref()),
        ExportCell::date(u.installation_date.as_ref()),
        ExportCell::date(u.acceptance_date.as_ref()),
        ExportCell::opt(u.dealer.clone()),
        ExportCell::Bool(u.oem != 0),
        ExportCell::Bool(u.third_party != 0),
        ExportCell::Instant(aftersales_store::time::from_db(
            "units.created_at",
            &u.created_at,
        )?),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_whose_stored_instant_does_not_read_back_is_an_error_not_an_empty_cell() {
        let mut u = unit_store::UnitLine {
            id: "u1".into(),
            serial: Some("KT5P-2023-000123".into()),
            manufacturer: "self".into(),
            product_code: "KT-5P".into(),
            product_name: "柜式空调 5匹".into(),
            product_line: "空调".into(),
            customer_number: None,
            customer_name: None,
            manufacture_date: None,
            ship_date: None,
            sale_date: Some("2023-03-15".into()),
            installation_date: None,
            acceptance_date: None,
            dealer: None,
            oem: 0,
            third_party: 0,
            created_at: "2026-01-02T03:04:05Z".into(),
        };
        let row = unit_row(&u).expect("reads");
        assert_eq!(row.len(), ExportList::Units.columns().len());
        assert!(matches!(row.last(), Some(ExportCell::Instant(_))));
        u.created_at = "yesterday".into();
        assert!(matches!(unit_row(&u), Err(AppError::Internal(_))));
    }
}
