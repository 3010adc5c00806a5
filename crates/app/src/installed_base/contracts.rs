//! Service contracts (合同服务): covered units for a period, coverage overriding the
//! warranty per item, a service level name, an inspection plan, and renewal reminders.

use crate::{AppError, Ctx, Idempotency, Page, cursor};
use aftersales_domain::installed_base::{parse_date, parse_opt_notes, parse_text};
use aftersales_domain::warranty::ChargeBasis;
use aftersales_domain::{CustomerId, FieldError, FieldErrors, Permission, UnitId};
use aftersales_store::{
    StoreError, installed_base::contracts as store, installed_base::customers as customer_store,
    installed_base::units as unit_store,
};
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
    let remind_on = end
        .checked_sub(jiff::Span::new().days(c.remind_days_before))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| c.end_date.clone());
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

impl crate::App {
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
        let mut errs = FieldErrors::new();
        let customer_id = errs.take(
            input
                .customer_id
                .trim()
                .parse::<CustomerId>()
                .map_err(|_| FieldError::new("customer_id", "invalid_id")),
        );
        let start = errs.take(parse_date("start_date", &input.start_date));
        let end = errs.take(parse_date("end_date", &input.end_date));

        let level = errs.take(parse_text("service_level", &input.service_level, 50));
        let parts = charge("parts", input.parts.as_deref(), &mut errs);
        let labor = charge("labor", input.labor.as_deref(), &mut errs);
        let travel = charge("travel", input.travel.as_deref(), &mut errs);
        for (i, step) in input.inspection_plan.iter().enumerate() {
            if !matches!(step.kind.as_str(), "call" | "visit") {
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
        let remind = input.remind_days_before.unwrap_or(30);
        if !(0..=365).contains(&remind) {
            errs.push(
                FieldError::new("remind_days_before", "out_of_range")
                    .with("min", 0)
                    .with("max", 365),
            );
        }
        let unit_ids: Vec<UnitId> = input
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
        let notes = errs.take(parse_opt_notes("notes", input.notes.as_deref(), 2000));
        errs.clone().into_result()?;
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
        let now = self.now();
        let r = async {
            let mut tx = self.db.begin().await?;
            self.idem_claim(&mut tx, ctx, idem).await?;
            customer_store::get(tx.conn(), customer_id)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => {
                        AppError::conflict_on("customer_id", "unknown_customer")
                    }
                    e => e.into(),
                })?;
            for (i, u) in unit_ids.iter().enumerate() {
                let unit = unit_store::get(tx.conn(), *u).await.map_err(|e| match e {
                    StoreError::NotFound => {
                        AppError::conflict_on(&format!("unit_ids[{i}]"), "unknown_unit")
                    }
                    e => e.into(),
                })?;
                if unit.customer_id != Some(customer_id) {
                    return Err(AppError::conflict_on(
                        &format!("unit_ids[{i}]"),
                        "unit_of_another_customer",
                    ));
                }
            }
            let n = aftersales_store::counters::next(tx.conn(), "contract").await?;
            let rec = store::ContractRecord {
                id: uuid::Uuid::now_v7().to_string(),
                number: format!("HT{n:06}"),
                customer_id,
                start_date: start.to_string(),
                end_date: end.to_string(),
                service_level: level,
                parts: parts.map(|c| c.as_str().to_owned()),
                labor: labor.map(|c| c.as_str().to_owned()),
                travel: travel.map(|c| c.as_str().to_owned()),
                inspection_plan: serde_json::to_string(&input.inspection_plan)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                remind_days_before: remind,
                notes,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            store::insert(tx.conn(), &rec).await?;
            let mut ids = Vec::new();
            for u in &unit_ids {
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
                "contract",
                &rec.id,
                "create",
                None,
                serde_json::to_value(&v).ok(),
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

    pub async fn get_contract(&self, ctx: &Ctx, id: &str) -> Result<ContractView, AppError> {
        ctx.require(Permission::UnitsRead)?;
        let c = store::get(self.db.pool(), id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("contract"),
            e => e.into(),
        })?;
        view(&c, store::units_of(self.db.pool(), id).await?)
    }

    /// Contracts by end date; with `expiring_within_days`, the renewal reminder list.
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
            f.ends_until = today
                .checked_add(jiff::Span::new().days(days))
                .ok()
                .map(|d| d.to_string());
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
