//! The SLA board (docs/sla.md, "The SLA board"): open requests by the time to their next
//! breach, read from `sla_status` with each clock's state re-judged against "now".

use crate::{AppError, Ctx};
use aftersales_domain::locale::Locale;
use aftersales_domain::sla::Milestone;
use aftersales_domain::sla::board::{BoardState, KeptClock};
use aftersales_domain::{FieldError, Permission};
use aftersales_store::network::org as org_store;
use aftersales_store::sla as store;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Filters of the SLA board.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlaBoardQuery {
    /// Only this unit and the units below it.
    #[param(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<String>,
    /// Only requests with an open work order of this engineer.
    #[param(value_type = Option<String>, format = Uuid)]
    pub engineer_id: Option<String>,
    /// Only requests with this milestone open (`response`, `arrival`, …).
    #[param(value_type = Option<crate::schema::MilestoneName>)]
    pub milestone: Option<String>,
    /// At most this many rows (default 200).
    pub limit: Option<i64>,
}

/// One milestone on the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoardClock {
    #[schema(value_type = crate::schema::MilestoneName)]
    pub milestone: Milestone,
    pub label: String,
    #[schema(value_type = crate::schema::BoardStateName)]
    pub state: BoardState,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    /// When its breach was acknowledged, and by whom (null until then).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<String>,
}

/// One open request on the SLA board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SlaBoardRow {
    pub request_id: String,
    pub number: String,
    pub customer_name: String,
    pub priority: String,
    pub org_unit_name: Option<String>,
    pub owner_name: String,
    pub engineer_id: Option<String>,
    pub engineer_name: Option<String>,
    /// The open milestone due first.
    #[schema(value_type = Option<crate::schema::MilestoneName>)]
    pub next_milestone: Option<Milestone>,
    pub next_label: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_due_at: Option<Timestamp>,
    /// Seconds from now to that due time (negative once past).
    pub seconds_left: Option<i64>,
    /// The worst state now: `breached`, `warning` (past 80 %), `running` or `paused`.
    #[schema(value_type = crate::schema::BoardStateName)]
    pub state: BoardState,
    pub clocks: Vec<BoardClock>,
}

impl crate::App {
    /// Open requests by time to their next breach. Staff within their request scope (an
    /// engineer sees the requests of their own orders).
    #[tracing::instrument(skip_all)]
    pub async fn sla_board(
        &self,
        ctx: &Ctx,
        q: &SlaBoardQuery,
        locale: Locale,
    ) -> Result<Vec<SlaBoardRow>, AppError> {
        let scope = self.request_scope(ctx).await?;
        let mut conn = self.db.acquire().await?;
        let id_of = |field: &'static str, v: Option<&str>| -> Result<Option<String>, AppError> {
            match v.map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s
                    .parse::<uuid::Uuid>()
                    .map(|u| Some(u.to_string()))
                    .map_err(|_| AppError::invalid(FieldError::new(field, "invalid_id"))),
            }
        };
        let org_unit = id_of("org_unit_id", q.org_unit_id.as_deref())?;
        let mut f = store::BoardFilter {
            org_units: None,
            engineer_id: id_of("engineer_id", q.engineer_id.as_deref())?,
            limit: q.limit.unwrap_or(200).clamp(1, 1000),
        };
        let all_units = org_store::all(&mut *conn).await?;
        let under = |path: &str| -> Vec<String> {
            all_units
                .iter()
                .filter(|o| o.path.starts_with(path))
                .map(|o| o.id.to_string())
                .collect()
        };
        match &scope {
            crate::service::requests::RequestScope::All => {}
            crate::service::requests::RequestScope::Subtree(p) => f.org_units = Some(under(p)),
            crate::service::requests::RequestScope::Engineer(id) => {
                f.engineer_id = Some(id.clone())
            }
            crate::service::requests::RequestScope::Customer(_) => return Err(AppError::Forbidden),
        }
        if let Some(u) = org_unit {
            // A filter by a unit that does not exist matches nothing, as the lists' filters.
            let mine = all_units
                .iter()
                .find(|o| o.id.to_string() == u)
                .map_or_else(Vec::new, |unit| under(&unit.path));
            f.org_units = Some(match f.org_units {
                Some(allowed) => mine.into_iter().filter(|m| allowed.contains(m)).collect(),
                None => mine,
            });
        }
        let milestone = match q.milestone.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(m) => Some(Milestone::parse(m.trim()).ok_or_else(|| {
                AppError::invalid(FieldError::new("milestone", "invalid_choice"))
            })?),
            None => None,
        };
        // The milestone and "live clocks" filters are applied below: fetch enough rows.
        let wanted = f.limit;
        f.limit = if milestone.is_some() {
            1000
        } else {
            (wanted * 2).min(1000)
        };
        let rows = store::board(&mut *conn, &f).await?;
        let now = self.now();
        let mut out = vec![];
        for r in rows {
            let kept: Vec<KeptClock> = serde_json::from_str(&r.clocks)
                .map_err(|e| super::internal("sla_status.clocks", e))?;
            let board_clocks: Vec<BoardClock> = kept
                .iter()
                .filter_map(|c| {
                    Some(BoardClock {
                        state: c.board_state(now)?,
                        milestone: c.milestone,
                        label: c.milestone.label(locale).to_owned(),
                        due_at: c.due_at,
                        acknowledged_at: c.acknowledged.as_ref().map(|a| a.at),
                        acknowledged_by: c.acknowledged.as_ref().map(|a| a.by.clone()),
                    })
                })
                .collect();
            let Some(worst) = board_clocks.iter().map(|c| c.state).max() else {
                continue;
            };
            if let Some(m) = milestone
                && !board_clocks.iter().any(|c| c.milestone == m)
            {
                continue;
            }
            let next_due_at = r
                .next_due_at
                .as_deref()
                .map(str::parse::<Timestamp>)
                .transpose()
                .map_err(|e| super::internal("sla_status.next_due_at", e))?;
            let next = crate::service::requests::stored_opt(
                "sla_status.next_milestone",
                r.next_milestone.as_deref(),
                Milestone::parse,
            )?;
            out.push(SlaBoardRow {
                request_id: r.request_id,
                number: r.number,
                customer_name: r.customer_name,
                priority: r.priority,
                org_unit_name: r.org_unit_name,
                owner_name: r.owner_name,
                engineer_id: r.engineer_id,
                engineer_name: r.engineer_name,
                next_milestone: next,
                next_label: next.map(|m| m.label(locale).to_owned()),
                seconds_left: next_due_at.map(|d| d.duration_since(now).as_secs()),
                next_due_at,
                state: worst,
                clocks: board_clocks,
            });
        }
        out.truncate(usize::try_from(wanted).unwrap_or(200));
        Ok(out)
    }
}

impl crate::App {
    /// The units a user may pick in the SLA pages' filters: (id, name indented by depth),
    /// in tree order. Empty for those who may not read the network.
    #[tracing::instrument(skip_all)]
    pub async fn org_unit_choices(&self, ctx: &Ctx) -> Result<Vec<(String, String)>, AppError> {
        if ctx.require(Permission::OrgRead).is_err() {
            return Ok(vec![]);
        }
        let mut conn = self.db.acquire().await?;
        Ok(org_store::all(&mut *conn)
            .await?
            .into_iter()
            .map(|o| {
                let depth = o.path.matches('/').count().saturating_sub(2);
                (
                    o.id.to_string(),
                    format!("{}{}", "　".repeat(depth), o.name),
                )
            })
            .collect())
    }
}
