//! Serial-numbered units (R-WAR-2): registration, ownership transfers, and the warranty
//! decision for a service date and a reported cause.

use crate::{AppError, Ctx, Idempotency, Page, cursor};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::installed_base::{Serial, parse_date, parse_opt_text};
use aftersales_domain::warranty::{self, Cause, ContractCover, UnitFacts, WarrantyDecision};
use aftersales_domain::{CustomerId, FieldError, FieldErrors, Permission, UnitId};
use aftersales_store::{
    StoreError, installed_base::customers as customer_store,
    installed_base::products as product_store, installed_base::units as store,
};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The maker of our own products, as units record it.
pub const OWN_MANUFACTURER: &str = "self";

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewUnit {
    /// As printed on the unit; absent for a unit without a serial (no warranty service).
    #[schema(
        max_length = 64,
        pattern = r"^([ ._/-]*[A-Za-z0-9][A-Za-z0-9 ._/-]*)?$"
    )]
    pub serial: Option<String>,
    /// The maker; `self` (default) for our own products.
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub manufacturer: Option<String>,
    /// The product model's code.
    #[schema(min_length = 1, max_length = 32, pattern = r"^[A-Za-z0-9-]{1,32}$")]
    pub product_code: String,
    #[schema(
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub customer_id: Option<String>,
    #[schema(max_length = 64)]
    pub site_id: Option<String>,
    /// From 1990-01-01 to today (plus two days).
    #[schema(value_type = Option<String>, format = Date, pattern = r"^$|^(199[0-9]|20[0-9]{2}|2100)-")]
    pub manufacture_date: Option<String>,
    /// From 1990-01-01 to today (plus two days).
    #[schema(value_type = Option<String>, format = Date, pattern = r"^$|^(199[0-9]|20[0-9]{2}|2100)-")]
    pub ship_date: Option<String>,
    /// From 1990-01-01 to today (plus two days).
    #[schema(value_type = Option<String>, format = Date, pattern = r"^$|^(199[0-9]|20[0-9]{2}|2100)-")]
    pub sale_date: Option<String>,
    /// From 1990-01-01 to today (plus two days).
    #[schema(value_type = Option<String>, format = Date, pattern = r"^$|^(199[0-9]|20[0-9]{2}|2100)-")]
    pub installation_date: Option<String>,
    /// From 1990-01-01 to today (plus two days).
    #[schema(value_type = Option<String>, format = Date, pattern = r"^$|^(199[0-9]|20[0-9]{2}|2100)-")]
    pub acceptance_date: Option<String>,
    /// The selling dealer.
    #[schema(max_length = 100, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub dealer: Option<String>,
    #[serde(default)]
    pub oem: bool,
    /// A product not made by us, serviced on the customer's behalf (class C).
    #[serde(default)]
    pub third_party: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitProduct {
    pub code: String,
    pub name: String,
    pub product_line: String,
    pub policy_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitOwner {
    #[schema(value_type = String, format = Uuid)]
    pub id: CustomerId,
    pub number: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OwnershipView {
    #[schema(value_type = Option<String>, format = Uuid)]
    pub customer_id: Option<String>,
    /// The owner's number and name, for reading (null when the unit was in stock).
    pub customer_number: Option<String>,
    pub customer_name: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub since: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitView {
    #[schema(value_type = String, format = Uuid)]
    pub id: UnitId,
    pub serial: Option<String>,
    pub manufacturer: String,
    pub product: UnitProduct,
    pub owner: Option<UnitOwner>,
    pub site_id: Option<String>,
    pub manufacture_date: Option<String>,
    pub ship_date: Option<String>,
    pub sale_date: Option<String>,
    pub installation_date: Option<String>,
    pub acceptance_date: Option<String>,
    pub dealer: Option<String>,
    pub oem: bool,
    pub third_party: bool,
    pub ownerships: Vec<OwnershipView>,
    pub version: i64,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// The start of a serial (separators and case do not matter).
    #[param(max_length = 64)]
    pub serial: Option<String>,
    /// A product model's code.
    pub product: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub customer_id: Option<String>,
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WarrantyQuery {
    /// The service date (`YYYY-MM-DD`); today when absent.
    /// Years 1990–2100.
    #[param(value_type = Option<String>, format = Date, pattern = r"^(199[0-9]|20[0-9]{2}|2100)-")]
    pub on: Option<String>,
    /// The reported cause; a normal failure when absent.
    #[param(value_type = Option<crate::schema::CauseName>)]
    pub cause: Option<String>,
    /// The maker, when the same serial exists for several makers.
    pub manufacturer: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WarrantyView {
    #[schema(value_type = String, format = Uuid)]
    pub unit_id: UnitId,
    pub serial: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub on: Date,
    #[schema(value_type = crate::schema::CauseName)]
    pub cause: Cause,
    pub policy_code: Option<String>,
    /// The policy version applied (its effective date).
    #[schema(value_type = Option<String>, format = Date)]
    pub policy_version: Option<Date>,
    #[schema(value_type = Object)]
    pub decision: WarrantyDecision,
}

/// A date field: absent, null or empty means none (JSON Schema's `format: date` is only an
/// annotation, so an empty string is valid input); anything else must be a date.
/// The date of a past event: from 1990 to today plus a small margin (`bounds`).
fn opt_date(
    field: &str,
    s: Option<&str>,
    today: Date,
    errs: &mut FieldErrors,
) -> Option<Option<Date>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(s) => errs
            .take(
                parse_date(field, s)
                    .and_then(|d| aftersales_domain::bounds::check_past_date(field, d, today)),
            )
            .map(Some),
    }
}

fn not_found_unit(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("unit"),
        e => e.into(),
    }
}

/// A unit's input that passed the rules of `create_unit`; references (model, owner, site,
/// serial taken) are checked against the database by the caller.
#[derive(Debug, Clone)]
pub(crate) struct ValidUnit {
    pub serial: Option<Serial>,
    pub manufacturer: String,
    /// Trimmed and upper case, as models are stored.
    pub product_code: String,
    pub customer_id: Option<CustomerId>,
    pub site_id: Option<String>,
    /// manufacture, ship, sale, installation, acceptance (`YYYY-MM-DD`).
    pub dates: [Option<String>; 5],
    pub dealer: Option<String>,
    pub oem: bool,
    pub third_party: bool,
}

/// The field rules of a unit (the API and imports share them).
pub(crate) fn validate_unit(input: &NewUnit, today: Date) -> Result<ValidUnit, FieldErrors> {
    let mut errs = FieldErrors::new();
    // Only separators, or nothing, means "no serial".
    let serial = match input
        .serial
        .as_deref()
        .map(str::trim)
        .filter(|s| !Serial::normalize(s).is_empty())
    {
        Some(s) => errs.take(Serial::parse("serial", s)).map(Some),
        None => Some(None),
    };
    let manufacturer = errs
        .take(parse_opt_text(
            "manufacturer",
            input.manufacturer.as_deref(),
            50,
        ))
        .map(|m| m.unwrap_or_else(|| OWN_MANUFACTURER.to_owned()));
    let customer_id = match input
        .customer_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => errs
            .take(
                s.parse::<CustomerId>()
                    .map_err(|_| FieldError::new("customer_id", "invalid_id")),
            )
            .map(Some),
        None => Some(None),
    };
    let dates = [
        opt_date(
            "manufacture_date",
            input.manufacture_date.as_deref(),
            today,
            &mut errs,
        ),
        opt_date("ship_date", input.ship_date.as_deref(), today, &mut errs),
        opt_date("sale_date", input.sale_date.as_deref(), today, &mut errs),
        opt_date(
            "installation_date",
            input.installation_date.as_deref(),
            today,
            &mut errs,
        ),
        opt_date(
            "acceptance_date",
            input.acceptance_date.as_deref(),
            today,
            &mut errs,
        ),
    ];
    let dealer = errs.take(parse_opt_text("dealer", input.dealer.as_deref(), 100));
    errs.clone().into_result()?;
    let (Some(serial), Some(manufacturer), Some(customer_id), Some(dealer)) =
        (serial, manufacturer, customer_id, dealer)
    else {
        return Err(errs);
    };
    Ok(ValidUnit {
        serial,
        manufacturer,
        product_code: input.product_code.trim().to_uppercase(),
        customer_id,
        site_id: input.site_id.clone().filter(|s| !s.trim().is_empty()),
        dates: dates.map(|d| d.flatten().map(|d| d.to_string())),
        dealer,
        oem: input.oem,
        third_party: input.third_party,
    })
}

/// The stored unit and its first ownership row (since the sale date, else the installation
/// date, else today).
pub(crate) fn unit_rows(
    v: &ValidUnit,
    product_id: aftersales_domain::ProductId,
    now: Timestamp,
    site: &crate::Site,
) -> Result<(store::UnitRecord, store::OwnershipRow), AppError> {
    let [
        manufacture_date,
        ship_date,
        sale_date,
        installation_date,
        acceptance_date,
    ] = v.dates.clone();
    let rec = store::UnitRecord {
        id: UnitId::new(),
        manufacturer: v.manufacturer.clone(),
        serial: v.serial.as_ref().map(|s| s.raw().to_owned()),
        serial_norm: v.serial.as_ref().map(|s| s.normalized().to_owned()),
        product_id,
        customer_id: v.customer_id,
        site_id: v.site_id.clone(),
        manufacture_date,
        ship_date,
        sale_date,
        installation_date,
        acceptance_date,
        dealer: v.dealer.clone(),
        oem: v.oem,
        third_party: v.third_party,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let since = rec
        .sale_date
        .clone()
        .or(rec.installation_date.clone())
        .unwrap_or_else(|| site.date(now).to_string());
    let own = store::OwnershipRow {
        id: uuid::Uuid::now_v7().to_string(),
        unit_id: rec.id.to_string(),
        customer_id: rec.customer_id.map(|c| c.to_string()),
        since,
        note: None,
        recorded_at: aftersales_store::time::to_db(now)?,
    };
    Ok((rec, own))
}

impl crate::App {
    #[tracing::instrument(skip_all)]
    pub async fn create_unit(
        &self,
        ctx: &Ctx,
        input: &NewUnit,
        idem: Option<&Idempotency>,
    ) -> Result<UnitView, AppError> {
        ctx.require(Permission::UnitsManage)?;
        if let Some(v) = self.idem_replay(ctx, idem).await? {
            return Ok(v);
        }
        let valid = validate_unit(input, self.today())?;
        let now = self.now();
        let r = async {
            let mut tx = self.db.begin().await?;
            self.idem_claim(&mut tx, ctx, idem).await?;
            let product = product_store::find_product_by_code(tx.conn(), &valid.product_code)
                .await?
                .ok_or_else(|| AppError::conflict_on("product_code", "unknown_product"))?;
            if let Some(c) = valid.customer_id {
                customer_store::get(tx.conn(), c)
                    .await
                    .map_err(|e| match e {
                        StoreError::NotFound => {
                            AppError::conflict_on("customer_id", "unknown_customer")
                        }
                        e => e.into(),
                    })?;
            }
            if let Some(site) = &valid.site_id {
                let sites = match valid.customer_id {
                    Some(c) => customer_store::sites(tx.conn(), c).await?,
                    None => Vec::new(),
                };
                if !sites.iter().any(|s| &s.id == site) {
                    return Err(AppError::conflict_on("site_id", "unknown_site"));
                }
            }
            if let Some(s) = &valid.serial
                && store::by_serial(tx.conn(), s.normalized())
                    .await?
                    .iter()
                    .any(|u| u.manufacturer == valid.manufacturer)
            {
                return Err(AppError::conflict_on("serial", "serial_taken"));
            }
            let (rec, own) = unit_rows(&valid, product.id, now, self.site())?;
            store::insert(tx.conn(), &rec).await.map_err(|e| match e {
                StoreError::Constraint(_) => AppError::conflict_on("serial", "serial_taken"),
                e => e.into(),
            })?;
            store::insert_ownership(tx.conn(), &own).await?;
            let view = self.unit_view_in(tx.conn(), &rec).await?;
            self.audit(
                &mut tx,
                ctx,
                AuditEntity::Unit,
                &rec.id.to_string(),
                AuditAction::Create,
                None,
                Some(crate::administration::audit::audit_value(&view)?),
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

    pub(crate) async fn unit_view(&self, u: &store::UnitRecord) -> Result<UnitView, AppError> {
        let mut conn = self.db.acquire().await?;
        self.unit_view_in(&mut conn, u).await
    }

    async fn unit_view_in(
        &self,
        conn: &mut aftersales_store::Conn,
        u: &store::UnitRecord,
    ) -> Result<UnitView, AppError> {
        let p = product_store::get_product(&mut *conn, u.product_id).await?;
        let policy_code = match &p.policy_id {
            Some(id) => Some(product_store::get_policy(&mut *conn, id).await?.code),
            None => None,
        };
        let owner = match u.customer_id {
            Some(c) => {
                let c = customer_store::get(&mut *conn, c).await?;
                Some(UnitOwner {
                    id: c.id,
                    number: c.number,
                    name: c.name,
                })
            }
            None => None,
        };
        let mut ownerships = Vec::new();
        for o in store::ownerships(&mut *conn, u.id).await? {
            let who = match o.customer_id.as_deref().map(str::parse::<CustomerId>) {
                Some(Ok(c)) => Some(customer_store::get(&mut *conn, c).await?),
                _ => None,
            };
            ownerships.push(OwnershipView {
                customer_id: o.customer_id,
                customer_number: who.as_ref().map(|c| c.number.clone()),
                customer_name: who.map(|c| c.name),
                since: o.since,
                note: o.note,
            });
        }
        Ok(UnitView {
            id: u.id,
            serial: u.serial.clone(),
            manufacturer: u.manufacturer.clone(),
            product: UnitProduct {
                code: p.code,
                name: p.name,
                product_line: p.product_line,
                policy_code,
            },
            owner,
            site_id: u.site_id.clone(),
            manufacture_date: u.manufacture_date.clone(),
            ship_date: u.ship_date.clone(),
            sale_date: u.sale_date.clone(),
            installation_date: u.installation_date.clone(),
            acceptance_date: u.acceptance_date.clone(),
            dealer: u.dealer.clone(),
            oem: u.oem,
            third_party: u.third_party,
            ownerships,
            version: u.version,
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn get_unit(&self, ctx: &Ctx, id: UnitId) -> Result<UnitView, AppError> {
        ctx.require(Permission::UnitsRead)?;
        let u = store::get(self.db.pool(), id)
            .await
            .map_err(not_found_unit)?;
        self.unit_view(&u).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_units(&self, ctx: &Ctx, q: &UnitQuery) -> Result<Page<UnitView>, AppError> {
        ctx.require(Permission::UnitsRead)?;
        let limit = cursor::limit(q.limit)?;
        let after = cursor::decode(q.cursor.as_deref())?;
        let Some(f) = self.unit_filter(q).await? else {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        };
        let page = store::list(self.db.pool(), &f, after.as_deref(), limit).await?;
        let mut items = Vec::new();
        for u in &page.items {
            items.push(self.unit_view(u).await?);
        }
        Ok(Page {
            items,
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }

    /// The store's filter for a unit query; `None` when nothing can match (an unknown model).
    pub(crate) async fn unit_filter(
        &self,
        q: &UnitQuery,
    ) -> Result<Option<store::UnitFilter>, AppError> {
        if q.serial.as_deref().is_some_and(|s| s.chars().count() > 64) {
            return Err(AppError::invalid(
                FieldError::new("serial", "too_long").with("max", 64),
            ));
        }
        // An empty customer_id is not an id (the schema says uuid), so it is refused.
        let customer_id = match q.customer_id.as_deref() {
            Some(s) => Some(
                s.parse::<CustomerId>()
                    .map_err(|_| AppError::invalid(FieldError::new("customer_id", "invalid_id")))?,
            ),
            None => None,
        };
        // Every parameter is checked before an unknown model answers "nothing".
        let product_id = match q
            .product
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(code) => {
                match product_store::find_product_by_code(self.db.pool(), &code.to_uppercase())
                    .await?
                {
                    Some(p) => Some(p.id),
                    None => return Ok(None),
                }
            }
            None => None,
        };
        Ok(Some(store::UnitFilter {
            serial_prefix: q
                .serial
                .as_deref()
                .map(Serial::normalize)
                .filter(|s| !s.is_empty()),
            product_id,
            customer_id,
        }))
    }

    /// The unit with this serial (normalized), for the given maker or, when there is only
    /// one, that one.
    #[tracing::instrument(skip_all)]
    pub async fn find_unit_by_serial(
        &self,
        ctx: &Ctx,
        serial: &str,
        manufacturer: Option<&str>,
    ) -> Result<UnitView, AppError> {
        ctx.require(Permission::UnitsRead)?;
        let u = self.unit_by_serial(serial, manufacturer).await?;
        self.unit_view(&u).await
    }

    async fn unit_by_serial(
        &self,
        serial: &str,
        manufacturer: Option<&str>,
    ) -> Result<store::UnitRecord, AppError> {
        let all = store::by_serial(self.db.pool(), &Serial::normalize(serial)).await?;
        let mut matching: Vec<store::UnitRecord> = all
            .into_iter()
            .filter(|u| {
                manufacturer.is_none_or(|m| m.trim().is_empty() || u.manufacturer == m.trim())
            })
            .collect();
        match matching.len() {
            0 => Err(AppError::NotFound("unit")),
            1 => Ok(matching.remove(0)),
            _ => Err(AppError::conflict_on("manufacturer", "serial_ambiguous")),
        }
    }

    /// The warranty decision for the unit with `serial` on a service date for a cause.
    #[tracing::instrument(skip_all)]
    pub async fn warranty_for_serial(
        &self,
        ctx: &Ctx,
        serial: &str,
        q: &WarrantyQuery,
    ) -> Result<WarrantyView, AppError> {
        ctx.require(Permission::UnitsRead)?;
        let mut errs = FieldErrors::new();
        let on = match q.on.as_deref() {
            Some(s) => errs.take(parse_date("on", s)),
            None => Some(self.today()),
        };
        let cause = match q.cause.as_deref() {
            Some(s) => {
                errs.take(Cause::parse(s).ok_or_else(|| FieldError::new("cause", "invalid_choice")))
            }
            None => Some(Cause::NormalFailure),
        };
        errs.clone().into_result()?;
        let (Some(on), Some(cause)) = (on, cause) else {
            return Err(AppError::Validation(errs));
        };
        let u = self
            .unit_by_serial(serial, q.manufacturer.as_deref())
            .await?;
        self.warranty_of(&u, on, cause).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn warranty_for_unit(
        &self,
        ctx: &Ctx,
        id: UnitId,
        on: Date,
        cause: Cause,
    ) -> Result<WarrantyView, AppError> {
        ctx.require(Permission::UnitsRead)?;
        aftersales_domain::bounds::RECORD_YEARS
            .check_date("on", on)
            .map_err(AppError::invalid)?;
        let u = store::get(self.db.pool(), id)
            .await
            .map_err(not_found_unit)?;
        self.warranty_of(&u, on, cause).await
    }

    pub(crate) async fn warranty_of(
        &self,
        u: &store::UnitRecord,
        on: Date,
        cause: Cause,
    ) -> Result<WarrantyView, AppError> {
        let mut c = self.db.acquire().await?;
        self.warranty_of_on(&mut c, u, on, cause).await
    }

    /// The warranty decision read through `c` (a use-case's own transaction, so a decision
    /// taken inside one needs no second connection).
    pub(crate) async fn warranty_of_on(
        &self,
        c: &mut aftersales_store::Conn,
        u: &store::UnitRecord,
        on: Date,
        cause: Cause,
    ) -> Result<WarrantyView, AppError> {
        let p = product_store::get_product(&mut *c, u.product_id).await?;
        let (versions, policy_code) = match &p.policy_id {
            Some(id) => (
                crate::installed_base::products::domain_versions(&mut *c, id).await?,
                Some(product_store::get_policy(&mut *c, id).await?.code),
            ),
            None => (Vec::new(), None),
        };
        // A stored date that does not read back is an error: as "no date" it would move the
        // warranty's start to a fall-back date without a word.
        let d = |column: &str, s: &Option<String>| {
            s.as_deref()
                .map(|s| {
                    s.parse::<Date>().map_err(|_| {
                        AppError::Internal(format!(
                            "unit {}: stored {column} {s:?} unreadable",
                            u.id
                        ))
                    })
                })
                .transpose()
        };
        let facts = UnitFacts {
            has_serial: u.serial_norm.is_some(),
            made_by_us: !u.third_party,
            oem: u.oem,
            manufacture_date: d("manufacture_date", &u.manufacture_date)?,
            ship_date: d("ship_date", &u.ship_date)?,
            sale_date: d("sale_date", &u.sale_date)?,
            installation_date: d("installation_date", &u.installation_date)?,
            acceptance_date: d("acceptance_date", &u.acceptance_date)?,
        };
        let version = warranty::select_version(&versions, &facts);
        // The contract covering the unit on that day, if any (the latest to start wins).
        let covers: Vec<ContractCover> =
            aftersales_store::installed_base::contracts::for_unit(&mut *c, u.id)
                .await?
                .iter()
                .map(super::cover)
                .collect::<Result<_, _>>()?;
        // Else the latest one, so the decision can say that it has expired or not begun.
        let contract = covers
            .iter()
            .find(|c| c.start <= on && on <= c.end)
            .or(covers.first());
        let decision = warranty::resolve(&facts, version, contract, on, cause);
        Ok(WarrantyView {
            unit_id: u.id,
            serial: u.serial.clone(),
            on,
            cause,
            policy_code,
            policy_version: version.map(|v| v.effective_from),
            decision,
        })
    }
}

/// A change of owner (and site) of a unit; the history keeps every owner.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UnitTransfer {
    /// The version of the unit as read.
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    /// The new owner; absent or null when the unit goes back to stock.
    #[schema(inline, value_type = Option<crate::schema::UuidText>)]
    pub customer_id: Option<String>,
    #[schema(max_length = 64)]
    pub site_id: Option<String>,
    /// Since when (`YYYY-MM-DD`); today when absent.
    /// From 1990-01-01 to today (plus two days).
    #[schema(value_type = Option<String>, format = Date, pattern = r"^$|^(199[0-9]|20[0-9]{2}|2100)-")]
    pub since: Option<String>,
    #[schema(
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

impl crate::App {
    /// Moves a unit (by serial, or by id for one without a serial) to another owner.
    #[tracing::instrument(skip_all)]
    pub async fn transfer_unit(
        &self,
        ctx: &Ctx,
        key: &str,
        t: &UnitTransfer,
    ) -> Result<UnitView, AppError> {
        ctx.require(Permission::UnitsManage)?;
        let mut errs = FieldErrors::new();
        let customer_id = match t.customer_id.as_deref() {
            Some(s) => errs
                .take(
                    s.trim()
                        .parse::<CustomerId>()
                        .map_err(|_| FieldError::new("customer_id", "invalid_id")),
                )
                .map(Some),
            None => Some(None),
        };
        let since = opt_date("since", t.since.as_deref(), self.today(), &mut errs);
        let note = errs.take(aftersales_domain::installed_base::parse_opt_notes(
            "note",
            t.note.as_deref(),
            500,
        ));
        errs.clone().into_result()?;
        let (Some(customer_id), Some(since), Some(note)) = (customer_id, since, note) else {
            return Err(AppError::Validation(errs));
        };
        let current = match key.parse::<UnitId>() {
            Ok(id) => store::get(self.db.pool(), id)
                .await
                .map_err(not_found_unit)?,
            Err(_) => self.unit_by_serial(key, None).await?,
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if let Some(c) = customer_id {
            customer_store::get(tx.conn(), c)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => {
                        AppError::conflict_on("customer_id", "unknown_customer")
                    }
                    e => e.into(),
                })?;
        }
        let site_id = t.site_id.clone().filter(|s| !s.trim().is_empty());
        if let Some(site) = &site_id {
            let sites = match customer_id {
                Some(c) => customer_store::sites(tx.conn(), c).await?,
                None => Vec::new(),
            };
            if !sites.iter().any(|s| &s.id == site) {
                return Err(AppError::conflict_on("site_id", "unknown_site"));
            }
        }
        if current.version != t.version {
            return Err(AppError::StaleVersion {
                current: current.version,
            });
        }
        if !store::set_owner(
            tx.conn(),
            current.id,
            customer_id,
            site_id.as_deref(),
            t.version,
            now,
        )
        .await?
        {
            let v = store::get(tx.conn(), current.id).await?.version;
            return Err(AppError::StaleVersion { current: v });
        }
        let since = since.unwrap_or_else(|| self.site().date(now)).to_string();
        store::insert_ownership(
            tx.conn(),
            &store::OwnershipRow {
                id: uuid::Uuid::now_v7().to_string(),
                unit_id: current.id.to_string(),
                customer_id: customer_id.map(|c| c.to_string()),
                since: since.clone(),
                note,
                recorded_at: aftersales_store::time::to_db(now)?,
            },
        )
        .await?;
        let after = store::get(tx.conn(), current.id).await?;
        let before = serde_json::json!({"customer_id": current.customer_id.map(|c| c.to_string()), "site_id": current.site_id});
        let after_json = serde_json::json!({"customer_id": after.customer_id.map(|c| c.to_string()), "site_id": after.site_id, "since": since});
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Unit,
            &current.id.to_string(),
            AuditAction::Transfer,
            Some(before),
            Some(after_json),
        )
        .await?;
        let view = self.unit_view_in(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(view)
    }
}
