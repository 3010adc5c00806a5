//! Intake (DOMAIN.md R-REQ-1, R-REQ-2): a new request from any channel, with the warranty
//! decision of the day stored, its owner and responsible unit chosen.

use super::{IntakeWarning, ServiceRequestView};
use super::{RequestScope, opt_id, parse_instant};
use crate::{AppError, Ctx, Idempotency};
use aftersales_domain::installed_base::{parse_opt_notes, parse_opt_text};
use aftersales_domain::service::{
    Channel, Creation, Priority, RequestEvent, RequestKind, RequestStatus,
};
use aftersales_domain::warranty::Cause;
use aftersales_domain::{
    CustomerId, FieldError, FieldErrors, OrgUnitId, Permission, Role, UnitId, UserId,
};
use aftersales_store::service::{self as store, RequestRow};
use aftersales_store::{
    StoreError, installed_base::customers as customer_store, network::org as org_store,
};
use aftersales_store::{installed_base::units as unit_store, network::users as user_store, time};
use serde::Deserialize;
use utoipa::ToSchema;

/// A new request, as the agent console, the portal and API clients send it. Contact,
/// address and region default to the customer's (and the unit's site).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewServiceRequest {
    #[schema(value_type = String, format = Uuid)]
    pub customer_id: String,
    /// The unit concerned, if any (by id).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub unit_id: Option<String>,
    #[schema(value_type = crate::schema::RequestKindName)]
    pub kind: String,
    /// `phone` when absent (the portal always records `portal`).
    #[schema(value_type = Option<crate::schema::ChannelName>)]
    pub channel: Option<String>,
    /// `normal` when absent.
    #[schema(value_type = Option<crate::schema::PriorityName>)]
    pub priority: Option<String>,
    #[schema(max_length = 32, pattern = r"^[A-Za-z0-9_.-]*$")]
    pub symptom_code: Option<String>,
    /// The fault as the customer describes it (故障现象).
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub symptom: String,
    /// What the customer asks for.
    #[schema(
        max_length = 1000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub customer_request: Option<String>,
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub contact_name: Option<String>,
    #[schema(inline, value_type = Option<crate::schema::PhoneText>)]
    pub contact_phone: Option<String>,
    /// One of the customer's sites; else the unit's, else the customer's first.
    #[schema(max_length = 64)]
    pub site_id: Option<String>,
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub address: Option<String>,
    #[schema(pattern = r"^([0-9]{6})?$")]
    pub region_code: Option<String>,
    /// The window the customer prefers (RFC 3339 instants).
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[schema(value_type = Option<String>, format = DateTime, pattern = r"^$|^(20[0-9]{2}|2100)-")]
    pub preferred_from: Option<String>,
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[schema(value_type = Option<String>, format = DateTime, pattern = r"^$|^(20[0-9]{2}|2100)-")]
    pub preferred_to: Option<String>,
    /// The owner; the caller when they may own requests, else the intake desk.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub owner_id: Option<String>,
    /// The responsible unit; by default the one covering the region most specifically.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<String>,
    /// The caller's own reference (an alarm id, a ticket in another system).
    #[schema(max_length = 100, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub external_ref: Option<String>,
}

impl crate::App {
    /// The user who takes requests nobody on the desk filed (portal, alarms): the first
    /// active agent, else dispatcher, else admin.
    pub(crate) async fn intake_owner(&self) -> Result<String, AppError> {
        for role in ["agent", "dispatcher", "admin"] {
            if let Some((id, _, _)) = user_store::active_with_role(self.db.pool(), role)
                .await?
                .into_iter()
                .next()
            {
                return Ok(id);
            }
        }
        Err(AppError::Internal("no active user may own requests".into()))
    }

    pub async fn create_service_request(
        &self,
        ctx: &Ctx,
        input: &NewServiceRequest,
        idem: Option<&Idempotency>,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsCreate)?;
        if let Some(v) = self.idem_replay(ctx, idem).await? {
            return Ok(v);
        }
        let role = ctx.actor().map(|a| a.role);
        let mut errs = FieldErrors::new();
        let customer_id = errs.take(
            input
                .customer_id
                .trim()
                .parse::<CustomerId>()
                .map_err(|_| FieldError::new("customer_id", "invalid_id")),
        );
        let unit_id = opt_id::<UnitId>("unit_id", input.unit_id.as_deref(), &mut errs);
        let kind = errs.take(
            RequestKind::parse(input.kind.trim())
                .ok_or_else(|| FieldError::new("kind", "invalid_choice")),
        );
        let channel = match input
            .channel
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(Channel::Phone),
            Some(c) => errs.take(
                Channel::parse(c).ok_or_else(|| FieldError::new("channel", "invalid_choice")),
            ),
        };
        let priority = match input
            .priority
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(Priority::Normal),
            Some(p) => errs.take(
                Priority::parse(p).ok_or_else(|| FieldError::new("priority", "invalid_choice")),
            ),
        };
        let symptom_code = errs.take(parse_opt_text(
            "symptom_code",
            input.symptom_code.as_deref(),
            32,
        ));
        let symptom = errs.take(
            parse_opt_notes("symptom", Some(&input.symptom), 2000)
                .and_then(|s| s.ok_or_else(|| FieldError::new("symptom", "required"))),
        );
        let customer_request = errs.take(parse_opt_notes(
            "customer_request",
            input.customer_request.as_deref(),
            1000,
        ));
        let contact_name = errs.take(parse_opt_text(
            "contact_name",
            input.contact_name.as_deref(),
            50,
        ));
        let contact_phone = match input
            .contact_phone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(None),
            Some(p) => errs
                .take(aftersales_domain::installed_base::Phone::parse(
                    "contact_phone",
                    p,
                ))
                .map(|p| Some(p.raw().to_owned())),
        };
        let address = errs.take(parse_opt_text("address", input.address.as_deref(), 200));
        let region_code = match input
            .region_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(None),
            Some(c) => errs
                .take(aftersales_domain::region::RegionCode::parse(
                    "region_code",
                    c,
                ))
                .map(|r| Some(r.to_string())),
        };
        let preferred_from =
            parse_instant("preferred_from", input.preferred_from.as_deref(), &mut errs);
        let preferred_to = parse_instant("preferred_to", input.preferred_to.as_deref(), &mut errs);
        let owner_id = opt_id::<UserId>("owner_id", input.owner_id.as_deref(), &mut errs);
        let org_unit_id =
            opt_id::<OrgUnitId>("org_unit_id", input.org_unit_id.as_deref(), &mut errs);
        let external_ref = errs.take(parse_opt_text(
            "external_ref",
            input.external_ref.as_deref(),
            100,
        ));
        errs.clone().into_result()?;
        // Each field is fine on its own; together they contradict each other (409, as
        // contradictory contract dates).
        if let (Some(Some(f)), Some(Some(t))) = (preferred_from, preferred_to)
            && t <= f
        {
            return Err(AppError::conflict_on("preferred_to", "before_start"));
        }
        let (
            Some(customer_id),
            Some(unit_id),
            Some(kind),
            Some(mut channel),
            Some(priority),
            Some(symptom_code),
            Some(symptom),
            Some(customer_request),
            Some(contact_name),
            Some(contact_phone),
            Some(address),
            Some(region_code),
            Some(preferred_from),
            Some(preferred_to),
            Some(owner_id),
            Some(org_unit_id),
            Some(external_ref),
        ) = (
            customer_id,
            unit_id,
            kind,
            channel,
            priority,
            symptom_code,
            symptom,
            customer_request,
            contact_name,
            contact_phone,
            address,
            region_code,
            preferred_from,
            preferred_to,
            owner_id,
            org_unit_id,
            external_ref,
        )
        else {
            return Err(AppError::Validation(errs));
        };

        // Who may file for whom: a customer only for themself, from the portal.
        if role == Some(Role::Customer) {
            let RequestScope::Customer(own) = self.request_scope(ctx).await? else {
                return Err(AppError::Forbidden);
            };
            if own != customer_id.to_string() {
                return Err(AppError::conflict_on("customer_id", "not_your_customer"));
            }
            channel = Channel::Portal;
        }

        let pool = self.db.pool();
        let customer = customer_store::get(pool, customer_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::conflict_on("customer_id", "unknown_customer"),
                e => e.into(),
            })?;
        let sites = customer_store::sites(pool, customer_id).await?;
        let unit = match unit_id {
            Some(u) => {
                let rec = unit_store::get(pool, u).await.map_err(|e| match e {
                    StoreError::NotFound => AppError::conflict_on("unit_id", "unknown_unit"),
                    e => e.into(),
                })?;
                if rec.customer_id != Some(customer_id) {
                    return Err(AppError::conflict_on("unit_id", "unit_of_another_customer"));
                }
                Some(rec)
            }
            None => None,
        };
        let site_id = input
            .site_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let site = match site_id {
            Some(s) => Some(
                sites
                    .iter()
                    .find(|x| x.id == s)
                    .ok_or_else(|| AppError::conflict_on("site_id", "unknown_site"))?,
            ),
            None => unit
                .as_ref()
                .and_then(|u| u.site_id.as_deref())
                .and_then(|s| sites.iter().find(|x| x.id == s))
                .or(sites.first()),
        };
        let contacts = customer_store::contacts(pool, customer_id).await?;
        let phones = customer_store::phones(pool, customer_id).await?;
        let contact_name = contact_name
            .or_else(|| contacts.first().map(|c| c.name.clone()))
            .unwrap_or_else(|| customer.name.clone());
        let Some(contact_phone) =
            contact_phone.or_else(|| phones.first().map(|p| p.number.clone()))
        else {
            // The customer's record has no phone to default to: a conflict with the data.
            return Err(AppError::conflict_on("contact_phone", "required"));
        };
        let Some(address) = address.or_else(|| site.map(|s| s.address.clone())) else {
            return Err(AppError::conflict_on("address", "required"));
        };
        let region_code = region_code
            .or_else(|| site.and_then(|s| s.region_code.clone()))
            .or_else(|| customer.region_code.clone());

        // The warranty decision of the day, stored with the request (R-WAR-3).
        let now = self.now();
        let today = crate::installed_base::units::today(now);
        let warranty = match &unit {
            Some(u) => Some(self.warranty_of(u, today, Cause::NormalFailure).await?),
            None => None,
        };

        // The owner and the responsible unit.
        let owner = match owner_id {
            Some(o) => {
                let u = user_store::get(pool, o).await.map_err(|e| match e {
                    StoreError::NotFound => AppError::conflict_on("owner_id", "unknown_user"),
                    e => e.into(),
                })?;
                if u.disabled || !u.role.can(Permission::RequestsManage) {
                    return Err(AppError::conflict_on("owner_id", "cannot_own_requests"));
                }
                o.to_string()
            }
            None => match ctx.actor() {
                Some(a) if a.role.can(Permission::RequestsManage) => a.id.to_string(),
                _ => self.intake_owner().await?,
            },
        };
        let org_unit = match org_unit_id {
            Some(o) => {
                org_store::get(pool, o).await.map_err(|e| match e {
                    StoreError::NotFound => {
                        AppError::conflict_on("org_unit_id", "unknown_org_unit")
                    }
                    e => e.into(),
                })?;
                Some(o.to_string())
            }
            None => {
                let by_region = match &region_code {
                    Some(rc) => self
                        .covering_units(&Ctx::system("intake"), rc)
                        .await
                        .ok()
                        .and_then(|c| c.items.first().map(|i| i.org_unit_id.to_string())),
                    None => None,
                };
                match by_region {
                    Some(o) => Some(o),
                    None => user_store::get(
                        pool,
                        owner
                            .parse()
                            .map_err(|_| AppError::Internal("owner id".into()))?,
                    )
                    .await?
                    .org_unit_id
                    .map(|o| o.to_string()),
                }
            }
        };

        let open = match &unit {
            Some(u) => store::open_requests_for_unit(pool, &u.id.to_string()).await?,
            None => Vec::new(),
        };
        let warnings: Vec<IntakeWarning> = open
            .iter()
            .map(|r| IntakeWarning {
                code: "open_request_for_unit".into(),
                number: r.number.clone(),
            })
            .collect();

        let id = uuid::Uuid::now_v7().to_string();
        let r = async {
            let mut tx = self.db.begin().await?;
            self.idem_claim(&mut tx, ctx, idem).await?;
            let number = self.next_number(&mut tx, "SR").await?;
            let row = RequestRow {
                id: id.clone(),
                number,
                customer_id: customer_id.to_string(),
                unit_id: unit.as_ref().map(|u| u.id.to_string()),
                kind: kind.as_str().into(),
                channel: channel.as_str().into(),
                priority: priority.as_str().into(),
                status: RequestStatus::Open.as_str().into(),
                triage: None,
                symptom_code: symptom_code.clone(),
                symptom: symptom.clone(),
                customer_request: customer_request.clone(),
                contact_name: contact_name.clone(),
                contact_phone: contact_phone.clone(),
                site_id: site.map(|s| s.id.clone()),
                address: address.clone(),
                region_code: region_code.clone(),
                latitude: site.and_then(|s| s.latitude),
                longitude: site.and_then(|s| s.longitude),
                preferred_from: preferred_from.map(time::to_db).transpose()?,
                preferred_to: preferred_to.map(time::to_db).transpose()?,
                warranty_class: warranty
                    .as_ref()
                    .map(|w| w.decision.class.as_str().to_owned()),
                in_warranty: warranty.as_ref().map(|w| i64::from(w.decision.in_warranty)),
                warranty_json: warranty
                    .as_ref()
                    .and_then(|w| serde_json::to_string(w).ok()),
                org_unit_id: org_unit.clone(),
                owner_id: owner.clone(),
                reopened_from: None,
                follow_up_due_at: None,
                external_ref: external_ref.clone(),
                created_by: ctx.actor().map(|a| a.id.to_string()),
                created_at: time::to_db(now)?,
                updated_at: time::to_db(now)?,
                resolved_at: None,
                closed_at: None,
                version: 1,
            };
            store::insert_request(tx.conn(), &row).await?;
            let internal = |what: &str| AppError::Internal(format!("{what} id"));
            let created = RequestEvent::Created(Creation::Intake {
                number: row.number.clone(),
                channel,
                kind,
                priority,
                warranty_class: warranty.as_ref().map(|w| w.decision.class),
                owner_id: owner.parse().map_err(|_| internal("owner"))?,
                org_unit_id: org_unit
                    .as_deref()
                    .map(str::parse)
                    .transpose()
                    .map_err(|_| internal("org unit"))?,
                open_requests_for_unit: warnings.iter().map(|w| w.number.clone()).collect(),
            });
            self.event(&mut tx, ctx, &row.id, None, created, None)
                .await?;
            // The answer is read inside the transaction only when it is stored for replays;
            // otherwise after the commit, so the writer lock (SQLite) is held for the
            // writes alone.
            if idem.is_some() {
                let mut view = self.request_view(tx.conn(), &row).await?;
                view.warnings = warnings.clone();
                self.idem_complete(&mut tx, ctx, idem, &view).await?;
                tx.commit().await?;
                return Ok(view);
            }
            tx.commit().await?;
            let mut conn = self.db.acquire().await?;
            let mut view = self.request_view(&mut conn, &row).await?;
            view.warnings = warnings.clone();
            Ok(view)
        }
        .await;
        match r {
            Ok(v) => Ok(v),
            Err(e) => self.idem_replay_after_race(ctx, idem, e).await,
        }
    }
}
