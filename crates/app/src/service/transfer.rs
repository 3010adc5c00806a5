//! Handing a job nobody here may take to another station or a partner covering the place
//! (issue 13, defect 6; docs/service-flow.md, "When nobody may be sent").
//!
//! Decisions where the issue is silent:
//! - **Who may receive**: an active station or partner unit, other than the order's own,
//!   whose coverage includes the request's region (district, city or province), and which
//!   has someone there to arrange it: an active dispatcher or manager whose unit is that
//!   unit (a partner's manager dispatches the partner's technicians). Without one, nobody
//!   would take the job: the unit is not offered.
//! - **What moves**: the work order's unit and the request's responsible unit become the
//!   receiving unit, and the order is marked handed to it (`work_orders.handed_to`): it
//!   then shows only on the boards of people in that unit or below it (admins see every
//!   board), so it leaves the board of the station that handed it.
//! - **Who is told**: the receiving unit's dispatchers and managers, in the bell and by
//!   their channels, in their language, with a link to the job on the board.

use crate::notifications::{Param, same, users_as_recipients};
use crate::service::requests::NamedRef;
use crate::service::work_orders::{WorkOrderView, status_of};
use crate::{AppError, Ctx, Principal};
use aftersales_domain::dispatch::CoverageMatch;
use aftersales_domain::org::OrgUnitKind;
use aftersales_domain::service::{RequestEvent, WoStatus};
use aftersales_domain::{FieldError, OrgUnitId, Permission, Role};
use aftersales_store::network::org as org_store;
use aftersales_store::service::{self as store, RequestRow, WorkOrderRow};
use aftersales_store::{Conn, sla::users_with_role_in_unit};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A unit the job may be handed to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransferTarget {
    /// The unit: id, code, name.
    pub unit: NamedRef,
    /// `station` or `partner`.
    #[schema(value_type = String)]
    pub kind: OrgUnitKind,
    /// How specifically it covers the place: `district`, `city` or `province`.
    pub coverage: String,
    /// Who there would be told (its dispatchers and managers), by name.
    pub receivers: Vec<String>,
}

/// The hand-over: to which unit, why, on which version of the order.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TransferInput {
    #[schema(format = Uuid)]
    pub org_unit_id: String,
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: String,
    pub version: i64,
}

/// The order as handed over, and who was told.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransferView {
    pub work_order: WorkOrderView,
    pub to: NamedRef,
    pub told: Vec<String>,
}

impl crate::App {
    /// The units a work order may be handed to, best coverage first, then by name.
    #[tracing::instrument(skip_all)]
    pub async fn transfer_targets(
        &self,
        ctx: &Ctx,
        key: &str,
    ) -> Result<Vec<TransferTarget>, AppError> {
        ctx.require(Permission::DispatchTransfer)?;
        let mut conn = self.db.acquire().await?;
        let (w, r) = self.load_order(&mut conn, ctx, key).await?;
        self.targets_of(&mut conn, &w, &r).await
    }

    async fn targets_of(
        &self,
        conn: &mut Conn,
        w: &WorkOrderRow,
        r: &RequestRow,
    ) -> Result<Vec<TransferTarget>, AppError> {
        let job = self.dispatch_job(&mut *conn, w, r).await?;
        let own = w.org_unit_id.as_deref().or(r.org_unit_id.as_deref());
        let mut out = Vec::new();
        for u in org_store::all(&mut *conn).await? {
            if !u.active
                || !matches!(u.kind, OrgUnitKind::Station | OrgUnitKind::Partner)
                || own == Some(u.id.to_string().as_str())
            {
                continue;
            }
            let coverage = job.coverage_of(Some(u.id));
            if coverage == CoverageMatch::None {
                continue;
            }
            let mut receivers = Vec::new();
            for role in [Role::Dispatcher, Role::Manager] {
                for c in
                    users_with_role_in_unit(&mut *conn, role.as_str(), &u.id.to_string()).await?
                {
                    receivers.push((c.id, c.display_name));
                }
            }
            if receivers.is_empty() {
                continue;
            }
            out.push((
                coverage,
                TransferTarget {
                    unit: NamedRef {
                        id: u.id.to_string(),
                        code: u.code,
                        name: u.name,
                    },
                    kind: u.kind,
                    coverage: coverage.as_str().to_owned(),
                    receivers: receivers.into_iter().map(|(_, n)| n).collect(),
                },
            ));
        }
        out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.unit.name.cmp(&b.1.unit.name)));
        Ok(out.into_iter().map(|(_, t)| t).collect())
    }

    /// Hands a job nobody here may take to another unit covering the place, with the
    /// reason: the order and its request move there, leave this board, and the receiving
    /// unit's dispatchers and managers are told. Only a job still waiting for an engineer
    /// (`pending`) is handed over; a unit not among [`Self::transfer_targets`] is refused
    /// (`org_unit_id: not_a_transfer_target`).
    #[tracing::instrument(skip_all)]
    pub async fn transfer_work_order(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &TransferInput,
    ) -> Result<TransferView, AppError> {
        ctx.require(Permission::DispatchTransfer)?;
        let mut errs = aftersales_domain::FieldErrors::new();
        let reason = match crate::service::requests::required_notes("reason", &input.reason) {
            Ok(r) => Some(r),
            Err(e) => {
                e.0.into_iter().for_each(|x| errs.push(x));
                None
            }
        };
        let unit = errs.take(
            input
                .org_unit_id
                .trim()
                .parse::<OrgUnitId>()
                .map_err(|_| FieldError::new("org_unit_id", "invalid_id")),
        );
        errs.into_result()?;
        let (Some(reason), Some(unit)) = (reason, unit) else {
            return Err(AppError::Internal("checked fields".into()));
        };
        let mut c = self
            .change_order(
                ctx,
                key,
                Some(input.version),
                crate::service::work_orders::Who::Dispatcher,
            )
            .await?;
        if status_of(&c.before)? != WoStatus::Pending {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let targets = self.targets_of(c.tx.conn(), &c.before, &c.request).await?;
        let Some(target) = targets.into_iter().find(|t| t.unit.id == unit.to_string()) else {
            return Err(AppError::conflict_on(
                "org_unit_id",
                "not_a_transfer_target",
            ));
        };
        let from_unit = c
            .before
            .org_unit_id
            .as_deref()
            .or(c.request.org_unit_id.as_deref())
            .and_then(|u| u.parse::<OrgUnitId>().ok());
        let from_name = match from_unit {
            Some(u) => org_store::get(c.tx.conn(), u).await?.name,
            None => String::new(),
        };
        c.after.org_unit_id = Some(target.unit.id.clone());
        let mut request = c.request.clone();
        request.org_unit_id = Some(target.unit.id.clone());
        request.version = c.request.version + 1;
        request.updated_at = aftersales_store::time::to_db(self.now())?;
        if !store::update_request(c.tx.conn(), &request, c.request.version).await? {
            return Err(AppError::StaleVersion {
                current: c.before.version,
            });
        }
        c.request = request;
        store::set_handed_to(c.tx.conn(), &c.before.id, &target.unit.id).await?;
        let event = RequestEvent::Transferred {
            from_unit,
            to_unit: unit,
            to_name: target.unit.name.clone(),
            reason: reason.clone(),
        };
        self.save_order_change(ctx, &mut c, event, None).await?;
        let told = self
            .tell_receivers(&mut c, &actor_name(ctx), &target, &from_name, &reason)
            .await?;
        let to = target.unit;
        let work_order = self.finish_order_change(c).await?;
        Ok(TransferView {
            work_order,
            to,
            told,
        })
    }

    /// The receiving unit's dispatchers and managers, told in the order's transaction.
    async fn tell_receivers(
        &self,
        c: &mut crate::service::work_orders::OrderChange,
        by: &str,
        target: &TransferTarget,
        from_name: &str,
        reason: &str,
    ) -> Result<Vec<String>, AppError> {
        let mut ids = Vec::new();
        for role in [Role::Dispatcher, Role::Manager] {
            for u in users_with_role_in_unit(c.tx.conn(), role.as_str(), &target.unit.id).await? {
                ids.push(u.id);
            }
        }
        let to = users_as_recipients(c.tx.conn(), &ids).await?;
        let customer =
            store::customer_names_of_requests(c.tx.conn(), std::slice::from_ref(&c.request.id))
                .await?
                .into_iter()
                .next()
                .map(|(_, n)| n)
                .unwrap_or_default();
        let link = format!(
            "{}/dispatch?job={}",
            self.cfg
                .public_url
                .as_deref()
                .unwrap_or("")
                .trim_end_matches('/'),
            c.before.number
        );
        let params: Vec<Param<'_>> = vec![
            same("number", c.before.number.clone()),
            same("by", by.to_owned()),
            same("from", from_name.to_owned()),
            same("to", target.unit.name.clone()),
            same("customer", customer),
            same("address", c.request.address.clone()),
            same("reason", reason.to_owned()),
            same("link", link.clone()),
        ];
        for t in &to {
            self.notify(
                &mut c.tx,
                t,
                "job_transferred",
                Some(&c.request.id),
                Some(&link),
                &params,
            )
            .await?;
        }
        Ok(to.iter().map(|t| t.name.clone()).collect())
    }
}

/// The name of who acted, as the notices say it.
fn actor_name(ctx: &Ctx) -> String {
    match &ctx.principal {
        Principal::User(a) => a.display_name.clone(),
        Principal::System(n) => format!("system:{n}"),
    }
}
