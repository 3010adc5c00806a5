//! Quality monitoring and KPIs (DOMAIN.md section 14). For now the figures a manager's
//! home opens on (issue 13): the backlog by age, the promise kept today and over 30 days,
//! the breaches open now, work orders waiting for dispatch or for something, and the
//! requests most at risk. The KPI issue adds the reports (R-KPI-1..3).
//!
//! What counts as kept or missed is the domain's (`sla::board::attainment`); here the
//! reader's scope is applied (a manager sees their subtree).

use crate::sla::board::{SlaBoardQuery, SlaBoardRow};
use crate::{AppError, Ctx};
use aftersales_domain::Permission;
use aftersales_domain::locale::Locale;
use aftersales_domain::service::{AgeBand, RequestStatus, WoStatus};
use aftersales_domain::sla::board::{Attainment, BoardState, KeptClock, attainment};
use aftersales_store::kpis as store;
use aftersales_store::network::org as org_store;
use aftersales_store::time;
use serde::Serialize;

/// How many requests have waited how long.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacklogBand {
    pub band: AgeBand,
    pub count: i64,
}

/// What a manager's home shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HomeFigures {
    /// Requests open or in progress.
    pub unfinished: i64,
    /// Those, by how long they have waited (every band, in order).
    pub backlog: Vec<BacklogBand>,
    /// Requests with a promise broken and not yet kept, now.
    pub breached_now: i64,
    /// Milestones decided today (site's day): kept and missed.
    pub today: Attainment,
    /// The same over the last 30 days (today included).
    pub last_30_days: Attainment,
    /// Work orders nobody has been sent on yet.
    pub pending_orders: i64,
    /// Work orders held (parts, the customer, a quote).
    pub waiting_orders: i64,
    /// The open requests nearest to (or past) a breach, at most 8.
    pub at_risk: Vec<SlaBoardRow>,
}

impl crate::App {
    /// The figures of the caller's scope. Managers (their subtree) and admins.
    #[tracing::instrument(skip_all)]
    pub async fn home_figures(&self, ctx: &Ctx, locale: Locale) -> Result<HomeFigures, AppError> {
        ctx.require(Permission::FiguresRead)?;
        let units = match self.request_scope(ctx).await? {
            crate::service::requests::RequestScope::All => None,
            crate::service::requests::RequestScope::Subtree(path) => {
                let mut conn = self.db.acquire().await?;
                Some(
                    org_store::all(&mut *conn)
                        .await?
                        .into_iter()
                        .filter(|o| o.path.starts_with(&path))
                        .map(|o| o.id.to_string())
                        .collect::<Vec<_>>(),
                )
            }
            _ => return Err(AppError::Forbidden),
        };
        let units = units.as_deref();
        let now = self.now();
        let today = self.site().day_bounds(self.today())?;
        let month_start = self
            .site()
            .day_bounds(self.today().saturating_sub(jiff::Span::new().days(29)))?
            .0;
        let mut conn = self.db.acquire().await?;

        let active: Vec<&str> = RequestStatus::ALL
            .iter()
            .filter(|s| s.is_active())
            .map(|s| s.as_str())
            .collect();
        let mut backlog: Vec<BacklogBand> = AgeBand::ALL
            .iter()
            .map(|b| BacklogBand { band: *b, count: 0 })
            .collect();
        let filed = store::request_times(&mut *conn, &active, units).await?;
        for t in &filed {
            let band = AgeBand::of(time::from_db("service_requests.created_at", t)?, now);
            if let Some(b) = backlog.iter_mut().find(|b| b.band == band) {
                b.count += 1;
            }
        }

        let mut clocks: Vec<KeptClock> = vec![];
        for json in store::clocks_since(&mut *conn, &time::to_db(month_start)?, units).await? {
            let kept: Vec<KeptClock> = serde_json::from_str(&json)
                .map_err(|e| AppError::Internal(format!("sla_status.clocks: {e}")))?;
            clocks.extend(kept);
        }

        let held = [WoStatus::Pending, WoStatus::Waiting];
        let held_names: Vec<&str> = held.iter().map(|s| s.as_str()).collect();
        let counts = store::work_order_counts(&mut *conn, &held_names, units).await?;
        let count_of = |s: WoStatus| {
            counts
                .iter()
                .find(|(name, _)| name == s.as_str())
                .map_or(0, |(_, n)| *n)
        };
        drop(conn);

        let board = self
            .sla_board(ctx, &SlaBoardQuery::default(), locale)
            .await?;
        let breached_now = board
            .iter()
            .filter(|r| r.state == BoardState::Breached)
            .count();
        let mut at_risk: Vec<SlaBoardRow> = board
            .into_iter()
            .filter(|r| r.state >= BoardState::Warning)
            .collect();
        at_risk.truncate(8);
        Ok(HomeFigures {
            unfinished: i64::try_from(filed.len()).unwrap_or(i64::MAX),
            backlog,
            breached_now: i64::try_from(breached_now).unwrap_or(i64::MAX),
            today: attainment(&clocks, today.0, today.1, now),
            last_30_days: attainment(&clocks, month_start, today.1, now),
            pending_orders: count_of(WoStatus::Pending),
            waiting_orders: count_of(WoStatus::Waiting),
            at_risk,
        })
    }
}
