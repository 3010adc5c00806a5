//! A customer's or a unit's service history (R-CUS-2; issue 13, defect 7): their requests,
//! newest first, each with its work orders (number, status, engineer, appointment, outcome)
//! and the parts used on each visit as its service record lists them. Complaints, payments
//! and follow-ups join when their issues add them.
//!
//! Who sees it: those who may read the customer record (or the unit) and requests, and of
//! the requests only those their request scope shows (an engineer: the requests with an
//! order of theirs).

use crate::service::requests::{RequestQuery, ServiceRequestView, WorkOrderLine};
use crate::service::work_orders::PartUsed;
use crate::{AppError, Ctx};
use aftersales_domain::{CustomerId, Permission, UnitId};
use aftersales_store::installed_base::{customers as customer_store, units as unit_store};
use aftersales_store::service as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How many requests a history shows; the request list filtered by the customer (or the
/// API's `GET /api/v1/requests?customer_id=`) pages through all of them.
pub const HISTORY_LIMIT: i64 = 50;

/// One visit (work order) of a request in a history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryVisit {
    pub order: WorkOrderLine,
    /// The parts used, as the visit's service record lists them (empty without a record).
    pub parts: Vec<PartUsed>,
}

/// One request of a history with its visits.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    pub request: ServiceRequestView,
    pub visits: Vec<HistoryVisit>,
}

/// A customer's or a unit's service history, newest request first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServiceHistory {
    pub items: Vec<HistoryEntry>,
    /// More requests exist than the history shows (see [`HISTORY_LIMIT`]).
    pub more: bool,
}

impl crate::App {
    /// A customer's service history; see the module.
    #[tracing::instrument(skip_all)]
    pub async fn customer_service_history(
        &self,
        ctx: &Ctx,
        id: CustomerId,
    ) -> Result<ServiceHistory, AppError> {
        ctx.require(Permission::CustomersRead)?;
        ctx.require(Permission::RequestsRead)?;
        match customer_store::get(self.db.pool(), id).await {
            Ok(_) => {}
            Err(aftersales_store::StoreError::NotFound) => {
                return Err(AppError::NotFound("customer"));
            }
            Err(e) => return Err(e.into()),
        }
        self.service_history(
            ctx,
            RequestQuery {
                customer_id: Some(id.to_string()),
                limit: Some(HISTORY_LIMIT),
                ..Default::default()
            },
        )
        .await
    }

    /// A unit's service history, the unit named by its id or its serial; see the module.
    #[tracing::instrument(skip_all)]
    pub async fn unit_service_history(
        &self,
        ctx: &Ctx,
        key: &str,
    ) -> Result<ServiceHistory, AppError> {
        ctx.require(Permission::UnitsRead)?;
        ctx.require(Permission::RequestsRead)?;
        let id = match key.trim().parse::<UnitId>() {
            Ok(id) => match unit_store::get(self.db.pool(), id).await {
                Ok(_) => id,
                Err(aftersales_store::StoreError::NotFound) => {
                    return Err(AppError::NotFound("unit"));
                }
                Err(e) => return Err(e.into()),
            },
            Err(_) => self.find_unit_by_serial(ctx, key, None).await?.id,
        };
        self.service_history(
            ctx,
            RequestQuery {
                unit_id: Some(id.to_string()),
                limit: Some(HISTORY_LIMIT),
                ..Default::default()
            },
        )
        .await
    }

    async fn service_history(
        &self,
        ctx: &Ctx,
        q: RequestQuery,
    ) -> Result<ServiceHistory, AppError> {
        let page = self.list_service_requests(ctx, &q).await?;
        let mut conn = self.db.acquire().await?;
        let mut items = Vec::new();
        for request in page.items {
            let mut visits = Vec::new();
            for order in &request.work_orders {
                let parts = match store::get_record(&mut *conn, &order.id).await? {
                    Some(r) => parts_of(&order.number, &r.parts_json),
                    None => Vec::new(),
                };
                visits.push(HistoryVisit {
                    order: order.clone(),
                    parts,
                });
            }
            items.push(HistoryEntry { request, visits });
        }
        Ok(ServiceHistory {
            items,
            more: page.next_cursor.is_some(),
        })
    }
}

/// The parts of a stored record. A damaged list (a damaged database) leaves the history
/// readable: the visit shows no parts, as the work order's own page does.
fn parts_of(order: &str, json: &str) -> Vec<PartUsed> {
    match serde_json::from_str(json) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(work_order = %order, error = %e, "unreadable parts list left out of a history");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parts_of;

    #[test]
    fn parts_are_read_from_the_record_and_a_damaged_list_is_none() {
        let parts = parts_of("WO1", r#"[{"part_no":"P-1","name":"压缩机","qty":1}]"#);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].name, "压缩机");
        assert!(parts_of("WO1", "not json").is_empty());
    }
}
