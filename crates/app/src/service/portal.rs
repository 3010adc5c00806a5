//! The customer portal (R-ORG-2, R-REQ-1): a `customer` account acts for one customer
//! record (linked by an admin, `set_user_customer`). It sees that record's units with
//! today's warranty, its requests with their status, and a customer-safe timeline; it
//! files requests for its own units (channel `portal`, see `create_service_request`).
//!
//! What the customer sees of a timeline (decision): what happened and when, in the
//! customer's words — filed, being handled remotely or on site, a visit planned, the
//! engineer assigned (by name: they come to the door), the agreed window and its changes,
//! on the way, arrived, repair started, waiting (with its kind: parts, the customer, a
//! quote), repair done, resolved, closed, cancelled (with the reason given), reopened.
//! Never shown: internal notes, owner changes, an engineer's decline, record drafts,
//! photos and addenda events, follow-up tasks, and who inside the service network acted.
//! The rule is the event's (`EventKind::customer_fields`, `RequestEvent::for_customer` in
//! the domain); the timeline's use-case applies it for customer accounts.

use crate::{AppError, Ctx, NamedRef, Principal, ServiceRequestView, UnitView, WarrantyView};
use aftersales_domain::warranty::Cause;
use aftersales_domain::{CustomerId, Permission, Role};
use aftersales_store::{
    installed_base::customers as customer_store, installed_base::units as unit_store,
    network::users as user_store,
};
use serde::Serialize;
use utoipa::ToSchema;

/// A unit of the customer with today's warranty decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PortalUnit {
    #[schema(value_type = Object)]
    pub unit: UnitView,
    #[schema(value_type = Option<Object>)]
    pub warranty: Option<WarrantyView>,
}

/// What the portal's first page shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PortalOverview {
    /// The customer record the account acts for; none while not linked.
    pub customer: Option<NamedRef>,
    pub units: Vec<PortalUnit>,
    /// The customer's requests, newest first (the last 50).
    pub requests: Vec<ServiceRequestView>,
}

impl crate::App {
    /// The customer record a portal account acts for (None while not linked).
    #[tracing::instrument(skip_all)]
    pub async fn portal_customer(&self, ctx: &Ctx) -> Result<Option<CustomerId>, AppError> {
        let a = match &ctx.principal {
            Principal::User(a) if a.role == Role::Customer => a,
            _ => return Err(AppError::Forbidden),
        };
        Ok(user_store::customer_of(self.db.pool(), a.id)
            .await?
            .and_then(|c| c.parse().ok()))
    }

    /// The portal's first page: the customer's units with today's warranty, and their
    /// requests.
    #[tracing::instrument(skip_all)]
    pub async fn portal_overview(&self, ctx: &Ctx) -> Result<PortalOverview, AppError> {
        ctx.require(Permission::RequestsCreate)?;
        let Some(cid) = self.portal_customer(ctx).await? else {
            return Ok(PortalOverview {
                customer: None,
                units: Vec::new(),
                requests: Vec::new(),
            });
        };
        let pool = self.db.pool();
        let c = customer_store::get(pool, cid).await?;
        let f = unit_store::UnitFilter {
            customer_id: Some(cid),
            ..Default::default()
        };
        let page = unit_store::list(pool, &f, None, crate::MAX_LIMIT).await?;
        let today = self.today();
        let mut units = Vec::new();
        for u in &page.items {
            units.push(PortalUnit {
                unit: self.unit_view(u).await?,
                warranty: Some(self.warranty_of(u, today, Cause::NormalFailure).await?),
            });
        }
        let requests = self
            .list_service_requests(
                ctx,
                &crate::RequestQuery {
                    limit: Some(50),
                    ..Default::default()
                },
            )
            .await?
            .items;
        Ok(PortalOverview {
            customer: Some(NamedRef {
                id: c.id.to_string(),
                code: c.number,
                name: c.name,
            }),
            units,
            requests,
        })
    }
}

/// Which customer record a portal account acts for.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct UserCustomerLink {
    #[schema(value_type = String, format = Uuid)]
    pub user_id: String,
    /// None when the account is not linked.
    pub customer: Option<NamedRef>,
}

/// The body of `PUT /users/{id}/customer`.
#[derive(Debug, Clone, Default, serde::Deserialize, ToSchema)]
pub struct UserCustomerInput {
    /// The customer record (id); null or absent unlinks the account.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub customer_id: Option<String>,
}

impl crate::App {
    /// The customer record an account acts for (admins and managers, who read accounts).
    #[tracing::instrument(skip_all)]
    pub async fn user_customer(
        &self,
        ctx: &Ctx,
        id: aftersales_domain::UserId,
    ) -> Result<UserCustomerLink, AppError> {
        ctx.require(Permission::UsersRead)?;
        let pool = self.db.pool();
        user_store::get(pool, id)
            .await
            .map_err(crate::network::users::not_found)?;
        let customer = match user_store::customer_of(pool, id)
            .await?
            .and_then(|c| c.parse::<CustomerId>().ok())
        {
            Some(cid) => {
                let c = customer_store::get(pool, cid).await?;
                Some(NamedRef {
                    id: c.id.to_string(),
                    code: c.number,
                    name: c.name,
                })
            }
            None => None,
        };
        Ok(UserCustomerLink {
            user_id: id.to_string(),
            customer,
        })
    }

    /// Links a customer-role account to a customer record, or unlinks it (admins).
    #[tracing::instrument(skip_all)]
    pub async fn link_user_customer(
        &self,
        ctx: &Ctx,
        id: aftersales_domain::UserId,
        input: &UserCustomerInput,
    ) -> Result<UserCustomerLink, AppError> {
        ctx.require(Permission::UsersManage)?;
        let customer = match input
            .customer_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(s.parse::<CustomerId>().map_err(|_| {
                AppError::invalid(aftersales_domain::FieldError::new(
                    "customer_id",
                    "invalid_id",
                ))
            })?),
        };
        self.set_user_customer(ctx, id, customer).await?;
        self.user_customer(ctx, id).await
    }
}

impl crate::App {
    /// Who may own requests (active admins, agents, dispatchers and managers), by role
    /// then user name: the choices when handing a request over.
    #[tracing::instrument(skip_all)]
    pub async fn request_owner_candidates(&self, ctx: &Ctx) -> Result<Vec<NamedRef>, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let mut out = Vec::new();
        for role in ["agent", "dispatcher", "manager", "admin"] {
            for (id, username, display_name) in
                user_store::active_with_role(self.db.pool(), role).await?
            {
                out.push(NamedRef {
                    id,
                    code: username,
                    name: display_name,
                });
            }
        }
        Ok(out)
    }
}
