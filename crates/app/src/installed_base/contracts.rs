//! Service contracts (合同服务): covered units for a period, coverage overriding the
//! warranty per item, a service level name, an inspection plan, and renewal reminders.

use crate::{AppError, Ctx, Idempotency, Page, cursor};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::installed_base::{InspectionKind, parse_date, parse_opt_notes, parse_text};
use aftersales_domain::warranty::ChargeBasis;
use aftersales_domain::{CustomerId, FieldError, FieldErrors, Permission, UnitId};
use aftersales_store::{
    StoreError, installed_base::contracts as store, installed_base::customers as customer_store,
    installed_base::units as unit_store,
};
#[cfg(test)]
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A recurring contact the contract promises (R-FUP-2): a call or a visit every n months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InspectionStep {
    #[schema(value_type = crate::schema::InspectionKindName)]
    pub kind: String,
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1, maximum = 24)]
    pub every_months: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewContract {
    #[schema(value_type = String, format = Uuid)]
    pub customer_id: String,
    /// Years 1990–2100.
    #[schema(value_type = String, format = Date, pattern = r"^(199[0-9]|20[0-9]{2}|2100)-")]
    pub start_date: String,
    /// The last day covered (inclusive).
    /// Years 1990–2100.
    #[schema(value_type = String, format = Date, pattern = r"^(199[0-9]|20[0-9]{2}|2100)-")]
    pub end_date: String,
    /// The promised service level, e.g. `gold`; the SLA rules give it meaning.
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub service_level: String,
    /// How the contract charges parts, labor and travel; absent items follow the warranty.
    #[schema(value_type = Option<crate::schema::ChargeName>)]
    pub parts: Option<String>,
    #[schema(value_type = Option<crate::schema::ChargeName>)]
    pub labor: Option<String>,
    #[schema(value_type = Option<crate::schema::ChargeName>)]
    pub travel: Option<String>,
    #[serde(default)]
    pub inspection_plan: Vec<InspectionStep>,
    /// Remind this many days before the end (default 30).
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 0, maximum = 365)]
    pub remind_days_before: Option<i64>,
    /// The units covered; they must belong to the customer.
    #[serde(default)]
    #[schema(inline, value_type = Vec<crate::schema::UuidText>)]
    pub unit_ids: Vec<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub notes: Option<String>,
}

/// A contract as it should be after a change: the whole editable record with the version it
/// is based on. The number and the customer never change; the covered units are those
/// listed (each the customer's).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ContractEdit {
    /// The version the change is based on; a stale one is refused with 409.
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    /// Years 1990–2100.
    #[schema(value_type = String, format = Date, pattern = r"^(199[0-9]|20[0-9]{2}|2100)-")]
    pub start_date: String,
    /// The last day covered (inclusive). Years 1990–2100.
    #[schema(value_type = String, format = Date, pattern = r"^(199[0-9]|20[0-9]{2}|2100)-")]
    pub end_date: String,
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub service_level: String,
    #[schema(value_type = Option<crate::schema::ChargeName>)]
    pub parts: Option<String>,
    #[schema(value_type = Option<crate::schema::ChargeName>)]
    pub labor: Option<String>,
    #[schema(value_type = Option<crate::schema::ChargeName>)]
    pub travel: Option<String>,
    #[serde(default)]
    pub inspection_plan: Vec<InspectionStep>,
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 0, maximum = 365)]
    pub remind_days_before: Option<i64>,
    #[serde(default)]
    #[schema(inline, value_type = Vec<crate::schema::UuidText>)]
    pub unit_ids: Vec<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub notes: Option<String>,
}

impl ContractEdit {
    /// The same field rules as a new contract, for the contract's own customer.
    fn as_new(&self, customer_id: CustomerId) -> NewContract {
        NewContract {
            customer_id: customer_id.to_string(),
            start_date: self.start_date.clone(),
            end_date: self.end_date.clone(),
            service_level: self.service_level.clone(),
            parts: self.parts.clone(),
            labor: self.labor.clone(),
            travel: self.travel.clone(),
            inspection_plan: self.inspection_plan.clone(),
            remind_days_before: self.remind_days_before,
            unit_ids: self.unit_ids.clone(),
            notes: self.notes.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractView {
    pub id: String,
    /// e.g. `HT000012`.
    pub number: String,
    #[schema(value_type = String, format = Uuid)]
    pub customer_id: CustomerId,
    #[schema(value_type = String, format = Date)]
    pub start_date: String,
    #[schema(value_type = String, format = Date)]
    pub end_date: String,
    pub service_level: String,
    #[schema(value_type = Option<crate::schema::ChargeName>)]
    pub parts: Option<String>,
    #[schema(value_type = Option<crate::schema::ChargeName>)]
    pub labor: Option<String>,
    #[schema(value_type = Option<crate::schema::ChargeName>)]
    pub travel: Option<String>,
    pub inspection_plan: Vec<InspectionStep>,
    pub remind_days_before: i64,
    /// The day the renewal reminder is due.
    #[schema(value_type = String, format = Date)]
    pub remind_on: String,
    pub unit_ids: Vec<String>,
    pub notes: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractQuery {
    #[param(value_type = Option<String>, format = Uuid)]
    pub customer_id: Option<String>,
    /// Only contracts ending within this many days from today (renewal reminders).
    #[param(minimum = 0, maximum = 3650)]
    pub expiring_within_days: Option<i64>,
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

fn charge(field: &str, s: Option<&str>, errs: &mut FieldErrors) -> Option<Option<ChargeBasis>> {
    match s {
        None => Some(None),
        Some(v) => errs
            .take(
                ChargeBasis::parse(v.trim())
                    .ok_or_else(|| FieldError::new(field, "invalid_choice")),
            )
            .map(Some),
    }
}

fn view(c: &store::ContractRecord, unit_ids: Vec<String>) -> Result<ContractView, AppError> {
    let end: Date = c
        .end_date
        .parse()
        .map_err(|_| AppError::Internal("stored end_date unreadable".into()))?;
    // `remind_days_before` is checked to lie in 0..=365 when written, so only a contract
    // ending in the first year of the calendar could reach its start; it is reminded then.
    let remind_on = end
        .saturating_sub(jiff::Span::new().days(c.remind_days_before))
        .to_string();
    Ok(ContractView {
        id: c.id.clone(),
        number: c.number.clone(),
        customer_id: c.customer_id,
        start_date: c.start_date.clone(),
        end_date: c.end_date.clone(),
        service_level: c.service_level.clone(),
        parts: c.parts.clone(),
        labor: c.labor.clone(),
        travel: c.travel.clone(),
        inspection_plan: serde_json::from_str(&c.inspection_plan)
            .map_err(|e| AppError::Internal(format!("inspection_plan: {e}")))?,
        remind_days_before: c.remind_days_before,
        remind_on,
        unit_ids,
        notes: c.notes.clone(),
        version: c.version,
    })
}

/// A contract's input that passed the field rules, ready to check against the records.
struct ValidContract {
    customer_id: CustomerId,
    start: Date,
    end: Date,
    level: String,
    parts: Option<ChargeBasis>,
    labor: Option<ChargeBasis>,
    travel: Option<ChargeBasis>,
    remind_days_before: i64,
    unit_ids: Vec<UnitId>,
    notes: Option<String>,
}

impl NewContract {
    /// The field rules (invalid input, 422, with every fault at once); an end before the
    /// start is well-formed input that cannot be applied (409).
    fn parse(&self) -> Result<ValidContract, AppError> {
        let mut errs = FieldErrors::new();
        let customer_id = errs.take(
            self.customer_id
                .trim()
                .parse::<CustomerId>()
                .map_err(|_| FieldError::new("customer_id", "invalid_id")),
        );
        let start = errs.take(parse_date("start_date", &self.start_date));
        let end = errs.take(parse_date("end_date", &self.end_date));
        let level = errs.take(parse_text("service_level", &self.service_level, 50));
        let parts = charge("parts", self.parts.as_deref(), &mut errs);
        let labor = charge("labor", self.labor.as_deref(), &mut errs);
        let travel = charge("travel", self.travel.as_deref(), &mut errs);
        for (i, step) in self.inspection_plan.iter().enumerate() {
            if InspectionKind::parse(&step.kind).is_none() {
                errs.push(FieldError::new(
                    format!("inspection_plan[{i}].kind"),
                    "invalid_choice",
                ));
            }
            if !(1..=24).contains(&step.every_months) {
                errs.push(
                    FieldError::new(format!("inspection_plan[{i}].every_months"), "out_of_range")
                        .with("min", 1)
                        .with("max", 24),
                );
            }
        }
        let remind_days_before = self.remind_days_before.unwrap_or(30);
        if !(0..=365).contains(&remind_days_before) {
            errs.push(
                FieldError::new("remind_days_before", "out_of_range")
                    .with("min", 0)
                    .with("max", 365),
            );
        }
        let unit_ids: Vec<UnitId> = self
            .unit_ids
            .iter()
            .enumerate()
            .filter_map(|(i, u)| {
                errs.take(
                    u.trim()
                        .parse::<UnitId>()
                        .map_err(|_| FieldError::new(format!("unit_ids[{i}]"), "invalid_id")),
                )
            })
            .collect();
        let notes = errs.take(parse_opt_notes("notes", self.notes.as_deref(), 2000));
        errs.clone().into_result()?;
        // Every `None` above pushed its fault, so with no faults every part is here.
        let (
            Some(customer_id),
            Some(start),
            Some(end),
            Some(level),
            Some(parts),
            Some(labor),
            Some(travel),
            Some(notes),
        ) = (customer_id, start, end, level, parts, labor, travel, notes)
        else {
            return Err(AppError::Validation(errs));
        };
        // The two dates contradict each other: well-formed input that cannot be applied.
        if end < start {
            return Err(AppError::conflict_on("end_date", "before_start"));
        }
        Ok(ValidContract {
            customer_id,
            start,
            end,
            level,
            parts,
            labor,
            travel,
            remind_days_before,
            unit_ids,
            notes,
        })
    }
}

/// The customer exists and every unit is theirs (each a conflict, 409, when not).
async fn check_parties(
    conn: &mut aftersales_store::Conn,
    v: &ValidContract,
) -> Result<(), AppError> {
    customer_store::get(&mut *conn, v.customer_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => AppError::conflict_on("customer_id", "unknown_customer"),
            e => e.into(),
        })?;
    for (i, u) in v.unit_ids.iter().enumerate() {
        let unit = unit_store::get(&mut *conn, *u).await.map_err(|e| match e {
            StoreError::NotFound => {
                AppError::conflict_on(&format!("unit_ids[{i}]"), "unknown_unit")
            }
            e => e.into(),
        })?;
        if unit.customer_id != Some(v.customer_id) {
            return Err(AppError::conflict_on(
                &format!("unit_ids[{i}]"),
                "unit_of_another_customer",
            ));
        }
    }
    Ok(())
}

impl crate::App {
    #[tracing::instrument(skip_all)]
    pub async fn create_contract(
        &self,
        ctx: &Ctx,
        input: &NewContract,
        idem: Option<&Idempotency>,
    ) -> Result<ContractView, AppError> {
        ctx.require(Permission::UnitsManage)?;
        if let Some(v) = self.idem_replay(ctx, idem).await? {
            return Ok(v);
        }
        let valid = input.parse()?;
        let inspection_plan = serde_json::to_string(&input.inspection_plan)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let now = self.now();
        let r = async {
            let mut tx = self.db.begin().await?;
            self.idem_claim(&mut tx, ctx, idem).await?;
            check_parties(tx.conn(), &valid).await?;
            let n = aftersales_store::counters::next(tx.conn(), "contract").await?;
            let rec = store::ContractRecord {
                id: uuid::Uuid::now_v7().to_string(),
                number: format!("HT{n:06}"),
                customer_id: valid.customer_id,
                start_date: valid.start.to_string(),
                end_date: valid.end.to_string(),
                service_level: valid.level.clone(),
                parts: valid.parts.map(|c| c.as_str().to_owned()),
                labor: valid.labor.map(|c| c.as_str().to_owned()),
                travel: valid.travel.map(|c| c.as_str().to_owned()),
                inspection_plan: inspection_plan.clone(),
                remind_days_before: valid.remind_days_before,
                notes: valid.notes.clone(),
                version: 1,
                created_at: now,
                updated_at: now,
            };
            store::insert(tx.conn(), &rec).await?;
            let mut ids = Vec::new();
            for u in &valid.unit_ids {
                if !ids.contains(&u.to_string()) {
                    store::add_unit(tx.conn(), &rec.id, *u).await?;
                    ids.push(u.to_string());
                }
            }
            ids.sort();
            let v = view(&rec, ids)?;
            self.audit(
                &mut tx,
                ctx,
                AuditEntity::Contract,
                &rec.id,
                AuditAction::Create,
                None,
                Some(crate::administration::audit::audit_value(&v)?),
            )
            .await?;
            self.idem_complete(&mut tx, ctx, idem, &v).await?;
            tx.commit().await?;
            Ok(v)
        }
        .await;
        match r {
            Ok(v) => Ok(v),
            Err(e) => self.idem_replay_after_race(ctx, idem, e).await,
        }
    }

    /// Changes a contract's terms and covered units (not its number or customer); the audit
    /// trail keeps it before and after.
    #[tracing::instrument(skip_all)]
    pub async fn update_contract(
        &self,
        ctx: &Ctx,
        id: &str,
        input: &ContractEdit,
    ) -> Result<ContractView, AppError> {
        ctx.require(Permission::UnitsManage)?;
        let mut tx = self.db.begin().await?;
        let current = store::get(tx.conn(), id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("contract"),
            e => e.into(),
        })?;
        let valid = input.as_new(current.customer_id).parse()?;
        if current.version != input.version {
            return Err(AppError::StaleVersion {
                current: current.version,
            });
        }
        check_parties(tx.conn(), &valid).await?;
        let before = view(&current, store::units_of(tx.conn(), id).await?)?;
        let rec = store::ContractRecord {
            start_date: valid.start.to_string(),
            end_date: valid.end.to_string(),
            service_level: valid.level.clone(),
            parts: valid.parts.map(|c| c.as_str().to_owned()),
            labor: valid.labor.map(|c| c.as_str().to_owned()),
            travel: valid.travel.map(|c| c.as_str().to_owned()),
            inspection_plan: serde_json::to_string(&input.inspection_plan)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            remind_days_before: valid.remind_days_before,
            notes: valid.notes.clone(),
            version: current.version + 1,
            updated_at: self.now(),
            ..current.clone()
        };
        if !store::update(tx.conn(), &rec, current.version).await? {
            let v = store::get(tx.conn(), id).await?.version;
            return Err(AppError::StaleVersion { current: v });
        }
        store::clear_units(tx.conn(), id).await?;
        let mut ids = Vec::new();
        for u in &valid.unit_ids {
            if !ids.contains(&u.to_string()) {
                store::add_unit(tx.conn(), id, *u).await?;
                ids.push(u.to_string());
            }
        }
        ids.sort();
        let after = view(&rec, ids)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Contract,
            id,
            AuditAction::Update,
            Some(crate::administration::audit::audit_value(&before)?),
            Some(crate::administration::audit::audit_value(&after)?),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// A contract's entries in the audit trail, newest first (its page's history).
    #[tracing::instrument(skip_all)]
    pub async fn contract_history(
        &self,
        ctx: &Ctx,
        id: &str,
    ) -> Result<Vec<crate::AuditView>, AppError> {
        ctx.require(Permission::UnitsRead)?;
        super::record_history(&self.db, AuditEntity::Contract, id).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn get_contract(&self, ctx: &Ctx, id: &str) -> Result<ContractView, AppError> {
        ctx.require(Permission::UnitsRead)?;
        let c = store::get(self.db.pool(), id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("contract"),
            e => e.into(),
        })?;
        view(&c, store::units_of(self.db.pool(), id).await?)
    }

    /// Contracts by end date; with `expiring_within_days`, the renewal reminder list.
    #[tracing::instrument(skip_all)]
    pub async fn list_contracts(
        &self,
        ctx: &Ctx,
        q: &ContractQuery,
    ) -> Result<Page<ContractView>, AppError> {
        ctx.require(Permission::UnitsRead)?;
        let limit = cursor::limit(q.limit)?;
        let after = cursor::decode(q.cursor.as_deref())?;
        let customer_id =
            match q.customer_id.as_deref() {
                Some(s) => Some(s.trim().parse::<CustomerId>().map_err(|_| {
                    AppError::invalid(FieldError::new("customer_id", "invalid_id"))
                })?),
                None => None,
            };
        let mut f = store::ContractFilter {
            customer_id,
            ..Default::default()
        };
        if let Some(days) = q.expiring_within_days {
            if !(0..=3650).contains(&days) {
                return Err(AppError::invalid(
                    FieldError::new("expiring_within_days", "out_of_range")
                        .with("min", 0)
                        .with("max", 3650),
                ));
            }
            let today = self.today();
            f.ends_from = Some(today.to_string());
            // `days` is bounded above, so only the calendar's end can stop the addition,
            // and then the list runs to it.
            f.ends_until = Some(
                today
                    .saturating_add(jiff::Span::new().days(days))
                    .to_string(),
            );
        }
        let page = store::list(self.db.pool(), &f, after.as_deref(), limit).await?;
        let mut items = Vec::new();
        for c in &page.items {
            items.push(view(c, store::units_of(self.db.pool(), &c.id).await?)?);
        }
        Ok(Page {
            items,
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::installed_base::cover;

    fn record() -> store::ContractRecord {
        store::ContractRecord {
            id: "c1".into(),
            number: "HT000001".into(),
            customer_id: CustomerId::new(),
            start_date: "2026-01-01".into(),
            end_date: "2026-12-31".into(),
            service_level: "gold".into(),
            parts: Some("free".into()),
            labor: None,
            travel: None,
            inspection_plan: "[]".into(),
            remind_days_before: 30,
            notes: None,
            version: 1,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_stored_contract_that_does_not_read_back_is_an_error_not_no_cover() {
        let c = cover(&record()).expect("reads");
        assert_eq!(c.end, jiff::civil::date(2026, 12, 31));
        assert_eq!(c.parts, Some(ChargeBasis::Free));
        assert_eq!(c.labor, None);
        let mut bad_date = record();
        bad_date.start_date = "2026-13-01".into();
        assert!(matches!(cover(&bad_date), Err(AppError::Internal(_))));
        let mut bad_basis = record();
        bad_basis.travel = Some("gratis".into());
        assert!(matches!(cover(&bad_basis), Err(AppError::Internal(_))));
    }

    #[test]
    fn the_reminder_day_is_the_end_less_the_days_before() {
        let v = view(&record(), Vec::new()).expect("view");
        assert_eq!(v.remind_on, "2026-12-01");
    }
}
