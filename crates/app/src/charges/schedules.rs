//! Fee schedule versions (有偿服务收费标准, R-FEE-2; docs/charges.md "Fee schedules"): an
//! admin adds a version effective from a day (today or later; the past is never
//! rewritten), everyone who prices reads the version in force on a day.
//!
//! The body is the domain's `FeeSchedule` stored as JSON; it is checked before it is
//! written and again when it is read: a stored body that no longer reads or checks is an
//! internal error, never a silent default.

use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::bounds::parse_service_day;
use aftersales_domain::charges::{
    Currency, DistanceBand, FeeSchedule, LaborRate, LaborTerms, NoSerialPolicy, PartnerOverride,
    Rate, Surcharges, TravelFees,
};
use aftersales_domain::installed_base::parse_opt_notes;
use aftersales_domain::parts::MAX_PRICE_FEN;
use aftersales_domain::{FieldError, FieldErrors, Permission};
use aftersales_store::charges::schedules::{self as store, FeeScheduleRow};
use aftersales_store::{Conn, time};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::Number;
use utoipa::ToSchema;

/// The longest note of a version.
const NOTE_MAX: usize = 500;

/// One hourly rate: a skill (product line; empty for any other) and its rates in fen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LaborRateInput {
    /// The product line (e.g. `空调`); empty for the default rate.
    #[serde(default)]
    pub skill: String,
    /// What the customer pays per hour, in fen.
    #[schema(value_type = i64, minimum = 0, maximum = 1_000_000_000)]
    pub rate_fen_per_hour: Number,
    /// What an hour costs the company, in fen.
    #[schema(value_type = i64, minimum = 0, maximum = 1_000_000_000)]
    pub internal_cost_fen_per_hour: Number,
}

/// Labor: hourly rates, the least time charged and the rounding step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LaborInput {
    pub rates: Vec<LaborRateInput>,
    /// The least time charged for a visit with any labor, in minutes (0–1440).
    #[schema(value_type = i64, minimum = 0, maximum = 1440)]
    pub minimum_minutes: Number,
    /// Time is charged per started step, in minutes (1–240; 30 = per started half hour).
    #[schema(value_type = i64, minimum = 1, maximum = 240)]
    pub step_minutes: Number,
}

/// A distance band: up to `up_to_km` (inclusive) the travel fee is `fee_fen`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TravelBandInput {
    #[schema(value_type = i64, minimum = 1, maximum = 10_000)]
    pub up_to_km: Number,
    #[schema(value_type = i64, minimum = 0, maximum = 1_000_000_000)]
    pub fee_fen: Number,
}

/// Travel fees by region class, and optional distance bands (ascending).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TravelInput {
    #[schema(value_type = i64, minimum = 0, maximum = 1_000_000_000)]
    pub same_city_fen: Number,
    #[schema(value_type = i64, minimum = 0, maximum = 1_000_000_000)]
    pub same_province_fen: Number,
    #[schema(value_type = i64, minimum = 0, maximum = 1_000_000_000)]
    pub other_province_fen: Number,
    #[serde(default)]
    pub bands: Vec<TravelBandInput>,
    /// Beyond the last band, per started kilometre; absent means 0.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1_000_000_000)]
    pub per_km_beyond_fen: Option<Number>,
}

/// Surcharges on labor as decimal rates (`"0.5"` = +50 %, at most 6 decimals, 0–10), and
/// the night hours (local, 0–23; from > until spans midnight).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SurchargesInput {
    #[schema(example = "0.5")]
    pub urgent: String,
    #[schema(example = "0.3")]
    pub night: String,
    #[schema(example = "1")]
    pub holiday: String,
    #[schema(value_type = i64, minimum = 0, maximum = 23)]
    pub night_from_hour: Number,
    #[schema(value_type = i64, minimum = 0, maximum = 23)]
    pub night_until_hour: Number,
}

/// A partner's own terms, replacing the network's where given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PartnerInput {
    /// The partner's org-unit code.
    #[schema(min_length = 1, max_length = 32)]
    pub org_code: String,
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1_000_000_000)]
    pub labor_rate_fen_per_hour: Option<Number>,
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1_000_000_000)]
    pub travel_fen: Option<Number>,
}

/// A new version of the fee schedule, as posted; also how a version reads back
/// (`FeeScheduleVersionView::schedule`), so "a new version from this one" is a copy.
/// Amounts are integer fen; rates are decimal strings (`"0.13"`), at most 6 decimals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FeeScheduleInput {
    /// In force from this day (`YYYY-MM-DD`), today or later.
    #[schema(example = "2027-01-01")]
    pub effective_from: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: Option<String>,
    /// Only `CNY` is kept.
    #[schema(example = "CNY")]
    pub currency: String,
    pub labor: LaborInput,
    pub travel: TravelInput,
    pub surcharges: SurchargesInput,
    /// VAT on what the customer (or a partner) pays, as a decimal rate (0–1).
    #[schema(example = "0.13")]
    pub vat: String,
    /// Paid work waits for payment as well as confirmation before it starts.
    pub pay_first: bool,
    /// `refuse` (no service for a unit without a serial) or `charge_all`.
    #[schema(example = "refuse")]
    pub no_serial: String,
    /// How long a quote holds, in days (1–90).
    #[schema(value_type = i64, minimum = 1, maximum = 90)]
    pub quote_valid_days: Number,
    #[serde(default)]
    pub partners: Vec<PartnerInput>,
}

/// An integer field: whole (a zero fraction is accepted as JSON Schema's `integer` does),
/// within `min ..= max`. Codes: `whole_number`, `out_of_range`.
fn int(errs: &mut FieldErrors, field: &str, n: &Number, min: i64, max: i64) -> Option<i64> {
    let v = n.as_i64().or_else(|| {
        if n.is_u64() {
            return Some(i64::MAX);
        }
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    });
    match v {
        Some(v) if (min..=max).contains(&v) => Some(v),
        Some(_) => {
            errs.push(
                FieldError::new(field, "out_of_range")
                    .with("min", min)
                    .with("max", max),
            );
            None
        }
        None => {
            errs.push(FieldError::new(field, "whole_number"));
            None
        }
    }
}

fn fen(errs: &mut FieldErrors, field: &str, n: &Number) -> Option<i64> {
    int(errs, field, n, 0, MAX_PRICE_FEN)
}

fn opt_fen(errs: &mut FieldErrors, field: &str, n: &Option<Number>) -> Option<Option<i64>> {
    match n {
        None => Some(None),
        Some(n) => fen(errs, field, n).map(Some),
    }
}

fn small(errs: &mut FieldErrors, field: &str, n: &Number, min: u32, max: u32) -> Option<u32> {
    int(errs, field, n, i64::from(min), i64::from(max)).and_then(|v| u32::try_from(v).ok())
}

/// A rate as typed (`Rate::parse`); a rate out of range says both bounds.
fn rate(field: &str, raw: &str) -> Result<Rate, FieldError> {
    Rate::parse(field, raw).map_err(|e| {
        if e.code == "out_of_range" && !e.params.iter().any(|(k, _)| *k == "min") {
            FieldError::new(field, "out_of_range")
                .with("min", 0)
                .with("max", 10)
        } else {
            e
        }
    })
}

impl FeeScheduleInput {
    /// The version's first day, its terms and its note; every field error at once.
    /// `today` is the site's: a version never starts in the past (`in_the_past`).
    pub fn parse(&self, today: Date) -> Result<(Date, FeeSchedule, Option<String>), FieldErrors> {
        let mut errs = FieldErrors::new();
        let effective_from = errs
            .take(parse_service_day("effective_from", &self.effective_from))
            .and_then(|d| {
                if d < today {
                    errs.push(FieldError::new("effective_from", "in_the_past"));
                    None
                } else {
                    Some(d)
                }
            });
        let note = errs.take(parse_opt_notes("note", self.note.as_deref(), NOTE_MAX));
        let currency = Currency::parse_code(&self.currency);
        if currency.is_none() {
            errs.push(FieldError::new("currency", "unknown_currency"));
        }
        let max = aftersales_domain::charges::schedule::MAX_ENTRIES;
        for (field, n) in [
            ("labor.rates", self.labor.rates.len()),
            ("travel.bands", self.travel.bands.len()),
            ("partners", self.partners.len()),
        ] {
            if n > max {
                errs.push(FieldError::new(field, "too_many").with("max", max as i64));
            }
        }
        if !errs.is_empty() && errs.0.iter().any(|e| e.code == "too_many") {
            return Err(errs);
        }
        let rates: Vec<Option<LaborRate>> = self
            .labor
            .rates
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let rate = fen(
                    &mut errs,
                    &format!("labor.rates[{i}].rate_fen_per_hour"),
                    &r.rate_fen_per_hour,
                );
                let cost = fen(
                    &mut errs,
                    &format!("labor.rates[{i}].internal_cost_fen_per_hour"),
                    &r.internal_cost_fen_per_hour,
                );
                Some(LaborRate {
                    skill: r.skill.trim().to_owned(),
                    rate_fen_per_hour: rate?,
                    internal_cost_fen_per_hour: cost?,
                })
            })
            .collect();
        let minimum = small(
            &mut errs,
            "labor.minimum_minutes",
            &self.labor.minimum_minutes,
            0,
            1440,
        );
        let step = small(
            &mut errs,
            "labor.step_minutes",
            &self.labor.step_minutes,
            1,
            240,
        );
        let t = &self.travel;
        let same_city = fen(&mut errs, "travel.same_city_fen", &t.same_city_fen);
        let same_province = fen(&mut errs, "travel.same_province_fen", &t.same_province_fen);
        let other_province = fen(
            &mut errs,
            "travel.other_province_fen",
            &t.other_province_fen,
        );
        let per_km = opt_fen(&mut errs, "travel.per_km_beyond_fen", &t.per_km_beyond_fen);
        let bands: Vec<Option<DistanceBand>> = t
            .bands
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let km = small(
                    &mut errs,
                    &format!("travel.bands[{i}].up_to_km"),
                    &b.up_to_km,
                    1,
                    10_000,
                );
                let fee = fen(&mut errs, &format!("travel.bands[{i}].fee_fen"), &b.fee_fen);
                Some(DistanceBand {
                    up_to_km: km?,
                    fee_fen: fee?,
                })
            })
            .collect();
        let s = &self.surcharges;
        let urgent = errs.take(rate("surcharges.urgent", &s.urgent));
        let night = errs.take(rate("surcharges.night", &s.night));
        let holiday = errs.take(rate("surcharges.holiday", &s.holiday));
        let night_from = small(
            &mut errs,
            "surcharges.night_from_hour",
            &s.night_from_hour,
            0,
            23,
        );
        let night_until = small(
            &mut errs,
            "surcharges.night_until_hour",
            &s.night_until_hour,
            0,
            23,
        );
        let vat = errs.take(rate("vat", &self.vat)).and_then(|r| {
            if r > Rate(Rate::PPM) {
                errs.push(
                    FieldError::new("vat", "out_of_range")
                        .with("min", 0)
                        .with("max", 1),
                );
                None
            } else {
                Some(r)
            }
        });
        let no_serial = NoSerialPolicy::parse(self.no_serial.trim());
        if no_serial.is_none() {
            errs.push(FieldError::new("no_serial", "invalid_choice"));
        }
        let valid_days = small(&mut errs, "quote_valid_days", &self.quote_valid_days, 1, 90);
        let partners: Vec<Option<PartnerOverride>> = self
            .partners
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let labor = opt_fen(
                    &mut errs,
                    &format!("partners[{i}].labor_rate_fen_per_hour"),
                    &p.labor_rate_fen_per_hour,
                );
                let travel = opt_fen(
                    &mut errs,
                    &format!("partners[{i}].travel_fen"),
                    &p.travel_fen,
                );
                Some(PartnerOverride {
                    org_code: p.org_code.trim().to_uppercase(),
                    labor_rate_fen_per_hour: labor?,
                    travel_fen: travel?,
                })
            })
            .collect();
        let (effective_from, schedule, note) = errs.finish(|| {
            let schedule = FeeSchedule {
                currency: currency?,
                labor: LaborTerms {
                    rates: rates.into_iter().collect::<Option<Vec<_>>>()?,
                    minimum_minutes: minimum?,
                    step_minutes: step?,
                },
                travel: TravelFees {
                    same_city_fen: same_city?,
                    same_province_fen: same_province?,
                    other_province_fen: other_province?,
                    bands: bands.into_iter().collect::<Option<Vec<_>>>()?,
                    per_km_beyond_fen: per_km?.unwrap_or(0),
                },
                surcharges: Surcharges {
                    urgent: urgent?,
                    night: night?,
                    holiday: holiday?,
                    night_from_hour: u8::try_from(night_from?).ok()?,
                    night_until_hour: u8::try_from(night_until?).ok()?,
                },
                vat: vat?,
                pay_first: self.pay_first,
                no_serial: no_serial?,
                quote_valid_days: valid_days?,
                partners: partners.into_iter().collect::<Option<Vec<_>>>()?,
            };
            Some((effective_from?, schedule, note?))
        })?;
        schedule.check()?;
        Ok((effective_from, schedule, note))
    }

    /// A version's terms in the shape they are posted.
    pub fn from_schedule(effective_from: Date, s: &FeeSchedule, note: Option<String>) -> Self {
        let n = |v: i64| Number::from(v);
        FeeScheduleInput {
            effective_from: effective_from.to_string(),
            note,
            currency: s.currency.as_str().to_owned(),
            labor: LaborInput {
                rates: s
                    .labor
                    .rates
                    .iter()
                    .map(|r| LaborRateInput {
                        skill: r.skill.clone(),
                        rate_fen_per_hour: n(r.rate_fen_per_hour),
                        internal_cost_fen_per_hour: n(r.internal_cost_fen_per_hour),
                    })
                    .collect(),
                minimum_minutes: Number::from(s.labor.minimum_minutes),
                step_minutes: Number::from(s.labor.step_minutes),
            },
            travel: TravelInput {
                same_city_fen: n(s.travel.same_city_fen),
                same_province_fen: n(s.travel.same_province_fen),
                other_province_fen: n(s.travel.other_province_fen),
                bands: s
                    .travel
                    .bands
                    .iter()
                    .map(|b| TravelBandInput {
                        up_to_km: Number::from(b.up_to_km),
                        fee_fen: n(b.fee_fen),
                    })
                    .collect(),
                per_km_beyond_fen: Some(n(s.travel.per_km_beyond_fen)),
            },
            surcharges: SurchargesInput {
                urgent: s.surcharges.urgent.decimal(),
                night: s.surcharges.night.decimal(),
                holiday: s.surcharges.holiday.decimal(),
                night_from_hour: Number::from(s.surcharges.night_from_hour),
                night_until_hour: Number::from(s.surcharges.night_until_hour),
            },
            vat: s.vat.decimal(),
            pay_first: s.pay_first,
            no_serial: s.no_serial.as_str().to_owned(),
            quote_valid_days: Number::from(s.quote_valid_days),
            partners: s
                .partners
                .iter()
                .map(|p| PartnerInput {
                    org_code: p.org_code.clone(),
                    labor_rate_fen_per_hour: p.labor_rate_fen_per_hour.map(n),
                    travel_fen: p.travel_fen.map(n),
                })
                .collect(),
        }
    }
}

/// One version of the fee schedule.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FeeScheduleVersionView {
    #[schema(format = Uuid)]
    pub id: String,
    /// Versions are numbered 1, 2, … in the order they were added.
    pub number: i64,
    /// In force from this day until a later version takes over.
    #[schema(value_type = String, format = Date)]
    pub effective_from: Date,
    pub note: Option<String>,
    pub created_by_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// The terms as a body for `POST /api/v1/fee-schedules` (a new version from this one).
    pub schedule: FeeScheduleInput,
    /// The terms as the domain reads them (pages show them from here).
    #[serde(skip)]
    pub terms: FeeSchedule,
}

/// A stored version read back: the date, the body and its bounds must all hold.
fn view(row: &FeeScheduleRow) -> Result<FeeScheduleVersionView, AppError> {
    let effective_from: Date = row.effective_from.parse().map_err(|_| {
        AppError::Internal(format!(
            "fee_schedule_versions.effective_from holds {:?}",
            row.effective_from
        ))
    })?;
    let terms: FeeSchedule = serde_json::from_str(&row.body_json).map_err(|e| {
        AppError::Internal(format!(
            "fee schedule version {} does not read: {e}",
            row.number
        ))
    })?;
    terms.check().map_err(|e| {
        AppError::Internal(format!(
            "fee schedule version {} fails its bounds: {:?}",
            row.number, e.0
        ))
    })?;
    Ok(FeeScheduleVersionView {
        id: row.id.clone(),
        number: row.number,
        effective_from,
        note: row.note.clone(),
        created_by_name: row.created_by_name.clone(),
        created_at: time::from_db("fee_schedule_versions.created_at", &row.created_at)?,
        schedule: FeeScheduleInput::from_schedule(effective_from, &terms, row.note.clone()),
        terms,
    })
}

impl crate::App {
    /// The versions, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn list_fee_schedules(
        &self,
        ctx: &Ctx,
    ) -> Result<Vec<FeeScheduleVersionView>, AppError> {
        ctx.require(Permission::FeeSchedulesRead)?;
        store::list(self.db.pool())
            .await?
            .iter()
            .map(view)
            .collect()
    }

    #[tracing::instrument(skip_all)]
    pub async fn get_fee_schedule(
        &self,
        ctx: &Ctx,
        id: &str,
    ) -> Result<FeeScheduleVersionView, AppError> {
        ctx.require(Permission::FeeSchedulesRead)?;
        let row = store::get(self.db.pool(), id.trim())
            .await?
            .ok_or(AppError::NotFound("fee_schedule"))?;
        view(&row)
    }

    /// The version in force on `on` (`YYYY-MM-DD`; today when absent), 404 when none is.
    #[tracing::instrument(skip_all)]
    pub async fn current_fee_schedule(
        &self,
        ctx: &Ctx,
        on: Option<&str>,
    ) -> Result<FeeScheduleVersionView, AppError> {
        ctx.require(Permission::FeeSchedulesRead)?;
        let on = match on.map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => parse_service_day("on", raw).map_err(AppError::invalid)?,
            None => self.today(),
        };
        let mut conn = self.db.acquire().await?;
        self.fee_schedule_on(&mut conn, on)
            .await?
            .map(|(v, _)| v)
            .ok_or(AppError::NotFound("fee_schedule"))
    }

    /// Adds a version; earlier versions stay as they were (audited `add_version`).
    #[tracing::instrument(skip_all)]
    pub async fn add_fee_schedule(
        &self,
        ctx: &Ctx,
        input: &FeeScheduleInput,
    ) -> Result<FeeScheduleVersionView, AppError> {
        ctx.require(Permission::FeeSchedulesManage)?;
        let (effective_from, schedule, note) = input.parse(self.today())?;
        let mut tx = self.db.begin().await?;
        let v = self
            .insert_fee_schedule(&mut tx, ctx, effective_from, &schedule, note)
            .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Writes a checked version with its audit row, inside the caller's transaction.
    pub(crate) async fn insert_fee_schedule(
        &self,
        tx: &mut aftersales_store::Tx,
        ctx: &Ctx,
        effective_from: Date,
        schedule: &FeeSchedule,
        note: Option<String>,
    ) -> Result<FeeScheduleVersionView, AppError> {
        schedule.check()?;
        let body_json = serde_json::to_string(schedule)
            .map_err(|e| AppError::Internal(format!("fee schedule to JSON: {e}")))?;
        let number = aftersales_store::counters::next(tx.conn(), "fee_schedule").await?;
        let (created_by, created_by_name) = ctx.event_actor();
        let row = FeeScheduleRow {
            id: uuid::Uuid::now_v7().to_string(),
            number,
            effective_from: effective_from.to_string(),
            body_json,
            note,
            created_by,
            created_by_name,
            created_at: time::to_db(self.now())?,
        };
        store::insert(tx.conn(), &row).await?;
        let v = view(&row)?;
        self.audit(
            tx,
            ctx,
            AuditEntity::FeeSchedule,
            &row.id,
            AuditAction::AddVersion,
            None,
            Some(crate::administration::audit::audit_value(&v)?),
        )
        .await?;
        Ok(v)
    }

    /// The version in force on `on` and its terms, for the use-cases that price (quotes).
    /// `None` when no version starts on or before that day.
    pub(crate) async fn fee_schedule_on(
        &self,
        conn: &mut Conn,
        on: Date,
    ) -> Result<Option<(FeeScheduleVersionView, FeeSchedule)>, AppError> {
        match store::in_force(conn, &on.to_string()).await? {
            None => Ok(None),
            Some(row) => {
                let v = view(&row)?;
                let terms = v.terms.clone();
                Ok(Some((v, terms)))
            }
        }
    }
}
