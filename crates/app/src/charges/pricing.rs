//! The facts of a work order as the pricing engine reads them (docs/charges.md "Pricing"):
//! the warranty decision for the unit on the service day and the cause, the fee schedule in
//! force, the time worked, the travel, the parts issued, and whether it is urgent, at night
//! or on a holiday. The preview prices the order as it stands; a quote prices an estimate.

use crate::{AppError, Ctx};
use aftersales_domain::Permission;
use aftersales_domain::calendar::DayKind;
use aftersales_domain::charges::{
    self, FeeSchedule, GateFacts, JobFacts, PartFact, Priced, Travel,
};
use aftersales_domain::org::OrgUnitKind;
use aftersales_domain::parts::Qty;
use aftersales_domain::service::Priority;
use aftersales_domain::warranty::{self, Cause, ChargeBasis, UnitFacts, WarrantyDecision};
use aftersales_store::Conn;
use aftersales_store::service::{RequestRow, WorkOrderRow};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One line as the API and the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LineView {
    #[schema(value_type = String, example = "labor")]
    pub kind: String,
    pub code: String,
    pub description_zh: String,
    pub description_en: String,
    /// The quantity as a decimal (`1.5`); hours for labor.
    pub qty: String,
    pub unit_fen: i64,
    pub amount_fen: i64,
    /// free, cost_price or list_price.
    #[schema(value_type = String, example = "list_price")]
    pub basis: String,
    /// warranty, contract, customer, partner or internal.
    #[schema(value_type = String, example = "customer")]
    pub payer: String,
    pub reason_code: String,
    pub reason_zh: String,
    pub reason_en: String,
}

/// What one payer owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PayerTotalView {
    #[schema(value_type = String, example = "customer")]
    pub payer: String,
    pub amount_fen: i64,
}

/// The totals of a priced job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TotalsView {
    pub by_payer: Vec<PayerTotalView>,
    pub customer_net_fen: i64,
    /// The VAT rate as a decimal (`0.13`).
    pub vat_rate: String,
    pub customer_vat_fen: i64,
    pub customer_gross_fen: i64,
    /// free, contract, paid or internal (R-FEE-1).
    #[schema(value_type = String, example = "paid")]
    pub service_type: String,
}

pub(crate) fn line_views(p: &Priced) -> Vec<LineView> {
    p.lines
        .iter()
        .map(|l| LineView {
            kind: l.kind.as_str().into(),
            code: l.code.clone(),
            description_zh: l.description_zh.clone(),
            description_en: l.description_en.clone(),
            qty: l.qty.display(),
            unit_fen: l.unit_fen,
            amount_fen: l.amount_fen,
            basis: l.basis.as_str().into(),
            payer: l.payer.as_str().into(),
            reason_code: l.reason.code.into(),
            reason_zh: l.reason.zh.clone(),
            reason_en: l.reason.en.clone(),
        })
        .collect()
}

pub(crate) fn totals_view(p: &Priced) -> TotalsView {
    let t = &p.totals;
    TotalsView {
        by_payer: t
            .by_payer
            .iter()
            .map(|b| PayerTotalView {
                payer: b.payer.as_str().into(),
                amount_fen: b.amount_fen,
            })
            .collect(),
        customer_net_fen: t.customer_net_fen,
        vat_rate: t.vat_rate.decimal(),
        customer_vat_fen: t.customer_vat_fen,
        customer_gross_fen: t.customer_gross_fen,
        service_type: p.service_type.as_str().into(),
    }
}

/// Where the start gate stands for a work order (R-FEE-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GateView {
    /// Something is left for the customer to pay (the warranty decision charges an item).
    pub chargeable: bool,
    /// The work may enter "in service".
    pub may_start: bool,
    /// Why not: `quote_not_confirmed` or `payment_required`.
    pub refused: Option<String>,
    /// The confirmed quote's number and version, when there is one.
    pub confirmed_quote: Option<String>,
    pub confirmed_total_fen: Option<i64>,
    pub paid_fen: i64,
    pub pay_first: bool,
    pub overridden: bool,
}

/// The engine's lines for a work order as it stands (read-only preview).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChargesView {
    pub work_order: String,
    pub request: String,
    #[schema(value_type = String, example = "B")]
    pub warranty_class: String,
    #[schema(value_type = String, example = "normal_failure")]
    pub cause: String,
    /// The warranty decision's reasons, in both languages.
    pub warranty_reasons: Vec<ChargeReasonView>,
    /// The fee schedule version priced with.
    pub schedule_id: String,
    pub lines: Vec<LineView>,
    pub totals: TotalsView,
    pub gate: GateView,
    /// Once the order is completed: its service type and what each payer bore, as priced
    /// at completion (R-FEE-1).
    pub recorded: Option<RecordedCostView>,
}

/// A completed order's service type and what each payer bore, in fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordedCostView {
    /// free, contract, paid or internal.
    #[schema(value_type = String, example = "free")]
    pub service_type: String,
    /// The cost the warranty bore (parts at cost, labor at internal cost, travel).
    pub warranty_fen: i64,
    pub contract_fen: i64,
    /// Service revenue: the customer's lines, net of VAT.
    pub customer_fen: i64,
    pub vat_fen: i64,
    pub partner_fen: i64,
    pub internal_fen: i64,
    pub priced_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChargeReasonView {
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// `?cause=`: the cause of the failure as found (default: a normal failure).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChargesQuery {
    #[param(value_type = Option<crate::schema::CauseName>)]
    pub cause: Option<String>,
}

pub(crate) fn parse_cause(raw: Option<&str>) -> Result<Cause, AppError> {
    match raw.map(str::trim) {
        None => Ok(Cause::NormalFailure),
        Some(s) => Cause::parse(s).ok_or_else(|| {
            AppError::invalid(aftersales_domain::FieldError::new(
                "cause",
                "invalid_choice",
            ))
        }),
    }
}

/// What an estimate (a quote) or the order as it stands says of the work.
pub(crate) struct Work {
    pub labor_minutes: u32,
    pub parts: Vec<PartFact>,
    /// A known distance overrides the region class.
    pub distance_km: Option<u32>,
}

/// Everything the engine needs about one order, gathered once.
pub(crate) struct Pricing {
    pub schedule_id: String,
    pub schedule: FeeSchedule,
    pub decision: WarrantyDecision,
    pub facts: JobFacts,
}

impl crate::App {
    /// The warranty decision for the request's unit on `on` for `cause`; a request without
    /// a unit is priced like a unit without a serial (nothing to hold a warranty).
    pub(crate) async fn decision_for(
        &self,
        conn: &mut Conn,
        r: &RequestRow,
        on: Date,
        cause: Cause,
    ) -> Result<(WarrantyDecision, String), AppError> {
        let Some(unit_id) = r.unit_id.as_deref() else {
            let facts = UnitFacts {
                made_by_us: true,
                ..UnitFacts::default()
            };
            return Ok((
                warranty::resolve(&facts, None, None, on, cause),
                String::new(),
            ));
        };
        let id = unit_id
            .parse()
            .map_err(|_| AppError::Internal(format!("request {}: unit id unreadable", r.id)))?;
        let u = aftersales_store::installed_base::units::get(&mut *conn, id).await?;
        let product =
            aftersales_store::installed_base::products::get_product(&mut *conn, u.product_id)
                .await?;
        let view = self.warranty_of_on(conn, &u, on, cause).await?;
        Ok((view.decision, product.product_line))
    }

    /// Gathers the facts of `w` for the engine: the schedule in force on `on`, the warranty
    /// decision, the travel by region class (or distance), surcharges from the request's
    /// priority, the hour and the site's holidays.
    pub(crate) async fn pricing_of(
        &self,
        conn: &mut Conn,
        w: &WorkOrderRow,
        r: &RequestRow,
        cause: Cause,
        work: Work,
    ) -> Result<Pricing, AppError> {
        let on = self.today();
        let Some((version, schedule)) = self.fee_schedule_on(conn, on).await? else {
            return Err(AppError::Conflict("no_fee_schedule"));
        };
        let (decision, skill) = self.decision_for(conn, r, on, cause).await?;
        let chain = crate::network::unit_chain(conn, w.org_unit_id.as_deref()).await?;
        let travel = match work.distance_km {
            Some(km) => Travel::Distance { km },
            None => match crate::sla::clocks::region_class_for(conn, r, &chain).await? {
                Some(class) => Travel::Region(class),
                // A place we cannot place is charged as the same city (the cheapest).
                None => Travel::Region(aftersales_domain::region::RegionClass::SameCity),
            },
        };
        let days = crate::sla::calendars::special_days_for(conn, &chain).await?;
        let holiday = days
            .get(on)
            .filter(|d| d.kind == DayKind::Holiday)
            .map(|d| d.name.clone());
        let hour = self.site().local(self.now()).hour();
        let night = schedule
            .surcharges
            .is_night(u8::try_from(hour).unwrap_or_default());
        let partner = match w.org_unit_id.as_deref().and_then(|id| id.parse().ok()) {
            Some(id) => {
                let unit = aftersales_store::network::org::get(&mut *conn, id).await?;
                (unit.kind == OrgUnitKind::Partner).then_some(unit.code)
            }
            None => None,
        };
        let facts = JobFacts {
            internal: false,
            skill,
            labor_minutes: work.labor_minutes,
            travel,
            parts: work.parts,
            urgent: Priority::parse(&r.priority) == Some(Priority::Urgent),
            night,
            holiday,
            urgent_freight: None,
            partner,
        };
        Ok(Pricing {
            schedule_id: version.id,
            schedule,
            decision,
            facts,
        })
    }

    /// The parts issued to the order, with the catalog's cost and list price.
    pub(crate) async fn issued_parts(
        &self,
        conn: &mut Conn,
        w: &WorkOrderRow,
    ) -> Result<Vec<PartFact>, AppError> {
        let mut out = Vec::new();
        for i in aftersales_store::parts::defects::issues_of(&mut *conn, &w.id).await? {
            let p = aftersales_store::parts::catalog::part_by_id(&mut *conn, &i.part_id)
                .await?
                .ok_or_else(|| AppError::Internal(format!("part issue {}: part missing", i.id)))?;
            out.push(PartFact {
                part_no: p.part_no,
                name_zh: p.name_zh,
                name_en: p.name_en,
                qty: Qty(i.qty),
                cost_fen: p.cost_fen,
                list_fen: p.list_price_fen,
            });
        }
        Ok(out)
    }

    /// The work order's charges as it stands: the record's time, the parts issued.
    #[tracing::instrument(skip_all)]
    pub async fn work_order_charges(
        &self,
        ctx: &Ctx,
        key: &str,
        q: &ChargesQuery,
    ) -> Result<ChargesView, AppError> {
        ctx.require(Permission::ChargesRead)?;
        let cause = parse_cause(q.cause.as_deref())?;
        let mut conn = self.db.acquire().await?;
        let (w, r) = self.load_order(&mut conn, ctx, key).await?;
        let work = self.work_so_far(&mut conn, &w).await?;
        let p = self.pricing_of(&mut conn, &w, &r, cause, work).await?;
        let priced = price(&p)?;
        let gate = self.gate_of(&mut conn, &w, &r).await?;
        let recorded = aftersales_store::charges::quotes::cost_of(&mut *conn, &w.id)
            .await?
            .map(|c| RecordedCostView {
                service_type: c.service_type,
                warranty_fen: c.warranty_fen,
                contract_fen: c.contract_fen,
                customer_fen: c.customer_fen,
                vat_fen: c.vat_fen,
                partner_fen: c.partner_fen,
                internal_fen: c.internal_fen,
                priced_at: c.priced_at,
            });
        Ok(ChargesView {
            work_order: w.number.clone(),
            request: r.number.clone(),
            warranty_class: p.decision.class.as_str().into(),
            cause: cause.as_str().into(),
            warranty_reasons: p
                .decision
                .reasons
                .iter()
                .map(|x| ChargeReasonView {
                    code: x.code.into(),
                    zh: x.zh.clone(),
                    en: x.en.clone(),
                })
                .collect(),
            schedule_id: p.schedule_id,
            lines: line_views(&priced),
            totals: totals_view(&priced),
            gate,
            recorded,
        })
    }

    /// The work as it stands: the record's minutes and the parts issued.
    async fn work_so_far(&self, conn: &mut Conn, w: &WorkOrderRow) -> Result<Work, AppError> {
        let minutes = aftersales_store::service::get_record(&mut *conn, &w.id)
            .await?
            .and_then(|rec| rec.labor_minutes)
            .unwrap_or(0);
        Ok(Work {
            labor_minutes: u32::try_from(minutes.clamp(0, 100 * 60)).unwrap_or(0),
            parts: self.issued_parts(conn, w).await?,
            distance_km: None,
        })
    }

    /// Prices a work order being completed, as it stands, and keeps its service type and
    /// what each payer bore (R-FEE-1: the warranty-cost KPI reads the cost of free and
    /// contract work, the revenue KPI the customer's share). The cause is the newest
    /// quote's, else a normal failure. In the completion's transaction.
    pub(crate) async fn record_costs(
        &self,
        conn: &mut Conn,
        w: &WorkOrderRow,
        r: &RequestRow,
    ) -> Result<(), AppError> {
        use aftersales_domain::charges::Payer;
        let newest = aftersales_store::charges::quotes::of_work_order(&mut *conn, &w.id).await?;
        let cause = match newest.first() {
            Some(q) => super::cause_of(q)?,
            None => Cause::NormalFailure,
        };
        let work = self.work_so_far(conn, w).await?;
        let p = self.pricing_of(conn, w, r, cause, work).await?;
        let priced = price(&p)?;
        let t = &priced.totals;
        let of = |payer: Payer| {
            t.by_payer
                .iter()
                .find(|b| b.payer == payer)
                .map_or(0, |b| b.amount_fen)
        };
        let row = aftersales_store::charges::quotes::CostRow {
            work_order_id: w.id.clone(),
            service_type: priced.service_type.as_str().into(),
            warranty_fen: of(Payer::Warranty),
            contract_fen: of(Payer::Contract),
            customer_fen: t.customer_net_fen,
            vat_fen: t.customer_vat_fen,
            partner_fen: of(Payer::Partner),
            internal_fen: of(Payer::Internal),
            schedule_id: Some(p.schedule_id),
            lines_json: serde_json::to_string(&line_views(&priced))
                .map_err(|e| AppError::Internal(format!("cost lines: {e}")))?,
            priced_at: aftersales_store::time::to_db(self.now())?,
        };
        aftersales_store::charges::quotes::insert_cost(&mut *conn, &row).await?;
        Ok(())
    }

    /// Where the start gate stands: chargeable (by the warranty decision for the cause of
    /// the newest quote, else a normal failure), the newest quote's answer, what is paid,
    /// the schedule's pay-first rule and any manager's override.
    pub(crate) async fn gate_of(
        &self,
        conn: &mut Conn,
        w: &WorkOrderRow,
        r: &RequestRow,
    ) -> Result<GateView, AppError> {
        Ok(self.gate_verdict(conn, w, r).await?.0)
    }

    /// The gate's view and, when it is closed, why.
    pub(crate) async fn gate_verdict(
        &self,
        conn: &mut Conn,
        w: &WorkOrderRow,
        r: &RequestRow,
    ) -> Result<(GateView, Option<charges::GateRefusal>), AppError> {
        use aftersales_store::charges::quotes as store;
        let quotes = store::of_work_order(&mut *conn, &w.id).await?;
        let newest = quotes.first();
        let cause = match newest {
            Some(q) => super::cause_of(q)?,
            None => Cause::NormalFailure,
        };
        let (decision, _) = self.decision_for(conn, r, self.today(), cause).await?;
        let c = decision.coverage;
        let chargeable = [c.parts, c.labor, c.travel]
            .iter()
            .any(|b| *b != ChargeBasis::Free);
        let confirmed = newest.filter(|q| {
            aftersales_domain::charges::QuoteStatus::parse(&q.status)
                == Some(aftersales_domain::charges::QuoteStatus::Confirmed)
        });
        let pay_first = match self.fee_schedule_on(conn, self.today()).await? {
            Some((_, s)) => s.pay_first,
            None => false,
        };
        let paid_fen = crate::charges::payments::paid_for_work_order(conn, &w.id).await?;
        let overridden = !store::overrides_of(&mut *conn, &w.id).await?.is_empty();
        let facts = GateFacts {
            chargeable,
            confirmed_total_fen: confirmed.map(|q| q.gross_fen),
            paid_fen,
            pay_first,
            overridden,
        };
        let verdict = charges::may_start(facts);
        let view = GateView {
            chargeable,
            may_start: verdict.is_ok(),
            refused: verdict.err().map(|e| e.code().to_owned()),
            confirmed_quote: confirmed.map(|q| format!("{} v{}", q.number, q.version)),
            confirmed_total_fen: confirmed.map(|q| q.gross_fen),
            paid_fen,
            pay_first,
            overridden,
        };
        Ok((view, verdict.err()))
    }
}

/// Prices the gathered facts; a schedule without a rate for the skill is a conflict the
/// admin resolves on the fee schedule page.
pub(crate) fn price(p: &Pricing) -> Result<Priced, AppError> {
    charges::price(&p.schedule, &p.decision, &p.facts)
        .map_err(|_| AppError::Conflict("no_labor_rate"))
}
