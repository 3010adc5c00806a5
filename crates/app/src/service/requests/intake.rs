//! Intake (DOMAIN.md R-REQ-1, R-REQ-2): a new request from any channel, with the warranty
//! decision of the day stored, its owner and responsible unit chosen.

use super::{IntakeWarning, ServiceRequestView};
use super::{RequestScope, opt_id, parse_instant};
use crate::installed_base::units::WarrantyView;
use crate::{AppError, Ctx, Idempotency};
use aftersales_domain::installed_base::{Phone, parse_opt_notes, parse_opt_text};
use aftersales_domain::region::RegionCode;
use aftersales_domain::service::{
    Channel, Creation, Priority, RequestEvent, RequestKind, RequestStatus,
};
use aftersales_domain::warranty::Cause;
use aftersales_domain::warranty::WarrantyClass;
use aftersales_domain::{
    CustomerId, FieldError, FieldErrors, OrgUnitId, Permission, Role, UnitId, UserId,
};
use aftersales_store::installed_base::customers::{
    self as customer_store, CustomerRecord, SiteRow,
};
use aftersales_store::installed_base::units::{self as unit_store, UnitRecord};
use aftersales_store::service::{self as store, RequestRow};
use aftersales_store::{StoreError, network::org as org_store, network::users as user_store, time};
use jiff::Timestamp;
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

/// A new request whose every field is well-formed on its own ([`NewServiceRequest::parse`]);
/// whether they fit the records (the customer, the unit, the owner) is the use-case's.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidNewServiceRequest {
    pub customer_id: CustomerId,
    pub unit_id: Option<UnitId>,
    pub kind: RequestKind,
    pub channel: Channel,
    pub priority: Priority,
    pub symptom_code: Option<String>,
    pub symptom: String,
    pub customer_request: Option<String>,
    pub contact_name: Option<String>,
    /// As typed (checked as a phone number).
    pub contact_phone: Option<String>,
    pub site_id: Option<String>,
    pub address: Option<String>,
    pub region_code: Option<String>,
    pub preferred_from: Option<Timestamp>,
    pub preferred_to: Option<Timestamp>,
    pub owner_id: Option<UserId>,
    pub org_unit_id: Option<OrgUnitId>,
    pub external_ref: Option<String>,
}

/// A trimmed optional text; `None` when blank.
fn given(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// One of a closed set, or `default` when not given.
fn choice<T>(
    field: &str,
    s: Option<&str>,
    default: T,
    parse: impl Fn(&str) -> Option<T>,
    errs: &mut FieldErrors,
) -> Option<T> {
    match given(s) {
        None => Some(default),
        Some(v) => errs.take(parse(v).ok_or_else(|| FieldError::new(field, "invalid_choice"))),
    }
}

impl NewServiceRequest {
    /// Every field checked on its own, all errors at once, each named by its field.
    pub fn parse(&self) -> Result<ValidNewServiceRequest, FieldErrors> {
        let mut errs = FieldErrors::new();
        let e = &mut errs;
        let customer_id = e.take(
            self.customer_id
                .trim()
                .parse::<CustomerId>()
                .map_err(|_| FieldError::new("customer_id", "invalid_id")),
        );
        let unit_id = opt_id::<UnitId>("unit_id", self.unit_id.as_deref(), e);
        let kind = e.take(
            RequestKind::parse(self.kind.trim())
                .ok_or_else(|| FieldError::new("kind", "invalid_choice")),
        );
        let channel = choice(
            "channel",
            self.channel.as_deref(),
            Channel::Phone,
            Channel::parse,
            e,
        );
        let priority = choice(
            "priority",
            self.priority.as_deref(),
            Priority::Normal,
            Priority::parse,
            e,
        );
        let symptom_code = e.take(parse_opt_text(
            "symptom_code",
            self.symptom_code.as_deref(),
            32,
        ));
        let symptom = e.take(
            parse_opt_notes("symptom", Some(&self.symptom), 2000)
                .and_then(|s| s.ok_or_else(|| FieldError::new("symptom", "required"))),
        );
        let customer_request = e.take(parse_opt_notes(
            "customer_request",
            self.customer_request.as_deref(),
            1000,
        ));
        let contact_name = e.take(parse_opt_text(
            "contact_name",
            self.contact_name.as_deref(),
            50,
        ));
        let contact_phone = match given(self.contact_phone.as_deref()) {
            None => Some(None),
            Some(p) => e
                .take(Phone::parse("contact_phone", p))
                .map(|p| Some(p.raw().to_owned())),
        };
        let address = e.take(parse_opt_text("address", self.address.as_deref(), 200));
        let region_code = match given(self.region_code.as_deref()) {
            None => Some(None),
            Some(c) => e
                .take(RegionCode::parse("region_code", c))
                .map(|r| Some(r.to_string())),
        };
        let preferred_from = parse_instant("preferred_from", self.preferred_from.as_deref(), e);
        let preferred_to = parse_instant("preferred_to", self.preferred_to.as_deref(), e);
        let owner_id = opt_id::<UserId>("owner_id", self.owner_id.as_deref(), e);
        let org_unit_id = opt_id::<OrgUnitId>("org_unit_id", self.org_unit_id.as_deref(), e);
        let external_ref = e.take(parse_opt_text(
            "external_ref",
            self.external_ref.as_deref(),
            100,
        ));
        errs.finish(|| {
            Some(ValidNewServiceRequest {
                customer_id: customer_id?,
                unit_id: unit_id?,
                kind: kind?,
                channel: channel?,
                priority: priority?,
                symptom_code: symptom_code?,
                symptom: symptom?,
                customer_request: customer_request?,
                contact_name: contact_name?,
                contact_phone: contact_phone?,
                site_id: given(self.site_id.as_deref()).map(str::to_owned),
                address: address?,
                region_code: region_code?,
                preferred_from: preferred_from?,
                preferred_to: preferred_to?,
                owner_id: owner_id?,
                org_unit_id: org_unit_id?,
                external_ref: external_ref?,
            })
        })
    }
}

/// What the intake decided from the records: the request's row before it has a number,
/// and what the agent should know.
struct Intake {
    row: RequestRow,
    warnings: Vec<IntakeWarning>,
    /// The warranty decision's class, when the request names a unit.
    warranty_class: Option<WarrantyClass>,
}

/// Where the request is and whom to call: as given, else the customer's record (the unit's
/// site, else the first; the first contact and phone; the site's region, else the
/// customer's).
struct Whereabouts {
    site: Option<SiteRow>,
    contact_name: String,
    contact_phone: String,
    address: String,
    region_code: Option<String>,
}

/// Maps the store's "not found" to a conflict on `field` (the id names nothing on record).
fn unknown(field: &'static str, code: &'static str) -> impl FnOnce(StoreError) -> AppError {
    move |e| match e {
        StoreError::NotFound => AppError::conflict_on(field, code),
        e => e.into(),
    }
}

impl crate::App {
    /// The user who takes requests nobody on the desk filed (portal, alarms): the first
    /// active agent, else dispatcher, else admin.
    pub(crate) async fn intake_owner(&self) -> Result<String, AppError> {
        for role in [Role::Agent, Role::Dispatcher, Role::Admin] {
            if let Some((id, _, _)) = user_store::active_with_role(self.db.pool(), role.as_str())
                .await?
                .into_iter()
                .next()
            {
                return Ok(id);
            }
        }
        Err(AppError::Internal("no active user may own requests".into()))
    }

    /// Files a request (R-REQ-1, R-REQ-2): the desk for any customer, a customer for their
    /// own record from the portal.
    #[tracing::instrument(skip_all)]
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
        let mut req = input.parse()?;
        // The window the customer asks for lies ahead, within half a year, its end after
        // its start (the domain's rule, issue 13: every problem beside its field).
        aftersales_domain::service::check_preferred_window(
            req.preferred_from,
            req.preferred_to,
            self.now(),
        )?;
        self.check_filer(ctx, &mut req).await?;
        let Intake {
            row,
            warnings,
            warranty_class,
        } = self.intake(ctx, &req).await?;
        let r = async {
            let mut tx = self.db.begin().await?;
            self.idem_claim(&mut tx, ctx, idem).await?;
            let row = RequestRow {
                number: self.next_number(&mut tx, "SR").await?,
                ..row
            };
            store::insert_request(tx.conn(), &row).await?;
            let internal = |what: &str| AppError::Internal(format!("{what} id"));
            let created = RequestEvent::Created(Creation::Intake {
                number: row.number.clone(),
                channel: req.channel,
                kind: req.kind,
                priority: req.priority,
                warranty_class,
                owner_id: row.owner_id.parse().map_err(|_| internal("owner"))?,
                org_unit_id: row
                    .org_unit_id
                    .as_deref()
                    .map(str::parse)
                    .transpose()
                    .map_err(|_| internal("org unit"))?,
                open_requests_for_unit: warnings.iter().map(|w| w.number.clone()).collect(),
                preferred_from: req.preferred_from,
                preferred_to: req.preferred_to,
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

    /// Who may file for whom: the desk for anyone; without it (a customer), only for one's
    /// own record, and the channel is the portal.
    async fn check_filer(
        &self,
        ctx: &Ctx,
        req: &mut ValidNewServiceRequest,
    ) -> Result<(), AppError> {
        if ctx.require(Permission::RequestsIntake).is_ok() {
            return Ok(());
        }
        let RequestScope::Customer(own) = self.request_scope(ctx).await? else {
            return Err(AppError::Forbidden);
        };
        if own != req.customer_id.to_string() {
            return Err(AppError::conflict_on("customer_id", "not_your_customer"));
        }
        req.channel = Channel::Portal;
        Ok(())
    }

    /// Reads what the request needs from the records and decides the rest: where and whom
    /// to call, the warranty decision of the day (R-WAR-3), the owner, the responsible
    /// unit, the unit's other open requests.
    async fn intake(&self, ctx: &Ctx, req: &ValidNewServiceRequest) -> Result<Intake, AppError> {
        let pool = self.db.pool();
        let customer = customer_store::get(pool, req.customer_id)
            .await
            .map_err(unknown("customer_id", "unknown_customer"))?;
        let unit = match req.unit_id {
            Some(u) => {
                let rec = unit_store::get(pool, u)
                    .await
                    .map_err(unknown("unit_id", "unknown_unit"))?;
                if rec.customer_id != Some(req.customer_id) {
                    return Err(AppError::conflict_on("unit_id", "unit_of_another_customer"));
                }
                self.serve_without_serial(&rec).await?;
                Some(rec)
            }
            None => None,
        };
        let at = self.whereabouts(req, &customer, unit.as_ref()).await?;
        let now = self.now();
        let warranty = match &unit {
            Some(u) => {
                let today = self.site().date(now);
                Some(self.warranty_of(u, today, Cause::NormalFailure).await?)
            }
            None => None,
        };
        let owner = self.intake_owner_of(ctx, req.owner_id).await?;
        let org_unit = self
            .intake_org_unit(req.org_unit_id, at.region_code.as_deref(), &owner)
            .await?;
        let warnings = match &unit {
            Some(u) => store::open_requests_for_unit(pool, &u.id.to_string())
                .await?
                .into_iter()
                .map(|r| IntakeWarning {
                    code: "open_request_for_unit".into(),
                    number: r.number,
                })
                .collect(),
            None => Vec::new(),
        };
        let row = new_request_row(
            ctx,
            req,
            unit.as_ref(),
            at,
            warranty.as_ref(),
            owner,
            org_unit,
            now,
        )?;
        Ok(Intake {
            row,
            warnings,
            warranty_class: warranty.map(|w| w.decision.class),
        })
    }

    /// Where the request is and whom to call, from the input and the customer's record.
    async fn whereabouts(
        &self,
        req: &ValidNewServiceRequest,
        customer: &CustomerRecord,
        unit: Option<&UnitRecord>,
    ) -> Result<Whereabouts, AppError> {
        let pool = self.db.pool();
        let mut sites = customer_store::sites(pool, req.customer_id).await?;
        let at = match req.site_id.as_deref() {
            Some(s) => Some(
                sites
                    .iter()
                    .position(|x| x.id == s)
                    .ok_or_else(|| AppError::conflict_on("site_id", "unknown_site"))?,
            ),
            None => unit
                .and_then(|u| u.site_id.as_deref())
                .and_then(|s| sites.iter().position(|x| x.id == s))
                .or((!sites.is_empty()).then_some(0)),
        };
        let site = at.map(|i| sites.swap_remove(i));
        let contacts = customer_store::contacts(pool, req.customer_id).await?;
        let phones = customer_store::phones(pool, req.customer_id).await?;
        let contact_name = req
            .contact_name
            .clone()
            .or_else(|| contacts.first().map(|c| c.name.clone()))
            .unwrap_or_else(|| customer.name.clone());
        let Some(contact_phone) = req
            .contact_phone
            .clone()
            .or_else(|| phones.first().map(|p| p.number.clone()))
        else {
            // The customer's record has no phone to default to: a conflict with the data.
            return Err(AppError::conflict_on("contact_phone", "required"));
        };
        let Some(address) = req
            .address
            .clone()
            .or_else(|| site.as_ref().map(|s| s.address.clone()))
        else {
            return Err(AppError::conflict_on("address", "required"));
        };
        let region_code = req
            .region_code
            .clone()
            .or_else(|| site.as_ref().and_then(|s| s.region_code.clone()))
            .or_else(|| customer.region_code.clone());
        Ok(Whereabouts {
            site,
            contact_name,
            contact_phone,
            address,
            region_code,
        })
    }

    /// The owner: the one named (who may own requests), else the caller when they may,
    /// else the intake desk (R-REQ-3).
    async fn intake_owner_of(&self, ctx: &Ctx, named: Option<UserId>) -> Result<String, AppError> {
        match named {
            Some(o) => {
                let u = user_store::get(self.db.pool(), o)
                    .await
                    .map_err(unknown("owner_id", "unknown_user"))?;
                if u.disabled || !u.role.can(Permission::RequestsManage) {
                    return Err(AppError::conflict_on("owner_id", "cannot_own_requests"));
                }
                Ok(o.to_string())
            }
            None => match ctx.actor() {
                Some(a) if a.role.can(Permission::RequestsManage) => Ok(a.id.to_string()),
                _ => self.intake_owner().await,
            },
        }
    }

    /// The responsible unit: the one named, else the one covering the region most
    /// specifically (R-DSP-1), else the owner's.
    async fn intake_org_unit(
        &self,
        named: Option<OrgUnitId>,
        region_code: Option<&str>,
        owner: &str,
    ) -> Result<Option<String>, AppError> {
        let pool = self.db.pool();
        if let Some(o) = named {
            org_store::get(pool, o)
                .await
                .map_err(unknown("org_unit_id", "unknown_org_unit"))?;
            return Ok(Some(o.to_string()));
        }
        if let Some(rc) = region_code {
            match self.covering_units(&Ctx::system("intake"), rc).await {
                Ok(c) => {
                    if let Some(first) = c.items.first() {
                        return Ok(Some(first.org_unit_id.to_string()));
                    }
                }
                // A region on the customer's record the region table does not know (a
                // record older than the table): nobody covers it, so the owner's unit
                // answers as for a region nobody covers, and the record is worth a look.
                Err(AppError::Validation(e)) => {
                    tracing::warn!(region = rc, errors = ?e, "intake: region not in the table; the owner's unit takes the request");
                }
                Err(e) => return Err(e),
            }
        }
        let owner: UserId = owner
            .parse()
            .map_err(|_| AppError::Internal("owner id".into()))?;
        Ok(user_store::get(pool, owner)
            .await?
            .org_unit_id
            .map(|o| o.to_string()))
    }
}

/// The new request's row (numbered in the transaction).
#[allow(clippy::too_many_arguments)]
fn new_request_row(
    ctx: &Ctx,
    req: &ValidNewServiceRequest,
    unit: Option<&UnitRecord>,
    at: Whereabouts,
    warranty: Option<&WarrantyView>,
    owner: String,
    org_unit: Option<String>,
    now: Timestamp,
) -> Result<RequestRow, AppError> {
    let site = at.site.as_ref();
    Ok(RequestRow {
        id: uuid::Uuid::now_v7().to_string(),
        number: String::new(),
        customer_id: req.customer_id.to_string(),
        unit_id: unit.map(|u| u.id.to_string()),
        kind: req.kind.as_str().into(),
        channel: req.channel.as_str().into(),
        priority: req.priority.as_str().into(),
        status: RequestStatus::Open.as_str().into(),
        triage: None,
        symptom_code: req.symptom_code.clone(),
        symptom: req.symptom.clone(),
        customer_request: req.customer_request.clone(),
        contact_name: at.contact_name,
        contact_phone: at.contact_phone,
        site_id: site.map(|s| s.id.clone()),
        address: at.address,
        region_code: at.region_code,
        latitude: site.and_then(|s| s.latitude),
        longitude: site.and_then(|s| s.longitude),
        preferred_from: req.preferred_from.map(time::to_db).transpose()?,
        preferred_to: req.preferred_to.map(time::to_db).transpose()?,
        warranty_class: warranty.map(|w| w.decision.class.as_str().to_owned()),
        in_warranty: warranty.map(|w| i64::from(w.decision.in_warranty)),
        warranty_json: warranty
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| AppError::Internal(format!("warranty decision as JSON: {e}")))?,
        org_unit_id: org_unit,
        owner_id: owner,
        reopened_from: None,
        follow_up_due_at: None,
        external_ref: req.external_ref.clone(),
        created_by: ctx.actor().map(|a| a.id.to_string()),
        created_at: time::to_db(now)?,
        updated_at: time::to_db(now)?,
        resolved_at: None,
        closed_at: None,
        version: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: &FieldErrors) -> Vec<(&str, &str)> {
        e.0.iter().map(|e| (e.field.as_str(), e.code)).collect()
    }

    #[test]
    fn a_new_request_parses_itself_with_defaults_or_names_every_bad_field() {
        let customer = uuid::Uuid::now_v7().to_string();
        let ok = NewServiceRequest {
            customer_id: format!(" {customer} "),
            kind: "repair".into(),
            symptom: " 不制冷 ".into(),
            contact_phone: Some("138 0013 8000".into()),
            preferred_from: Some("2026-12-01T09:00:00+08:00".into()),
            site_id: Some("  ".into()),
            ..Default::default()
        }
        .parse()
        .expect("valid");
        assert_eq!(ok.customer_id.to_string(), customer);
        assert_eq!(
            (ok.kind, ok.channel, ok.priority),
            (RequestKind::Repair, Channel::Phone, Priority::Normal)
        );
        assert_eq!(ok.symptom, "不制冷");
        assert_eq!(ok.contact_phone.as_deref(), Some("138 0013 8000"));
        assert_eq!(
            ok.preferred_from,
            Some("2026-12-01T01:00:00Z".parse().expect("instant"))
        );
        assert_eq!((ok.site_id, ok.unit_id, ok.owner_id), (None, None, None));

        let bad = NewServiceRequest {
            customer_id: "nobody".into(),
            unit_id: Some("x".into()),
            kind: "party".into(),
            channel: Some("pigeon".into()),
            priority: Some("asap".into()),
            symptom: "  ".into(),
            contact_phone: Some("call me".into()),
            region_code: Some("999999".into()),
            preferred_to: Some("tomorrow".into()),
            owner_id: Some("me".into()),
            org_unit_id: Some("hq".into()),
            ..Default::default()
        }
        .parse()
        .expect_err("invalid");
        let got: Vec<&str> = fields(&bad).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            got,
            [
                "customer_id",
                "unit_id",
                "kind",
                "channel",
                "priority",
                "symptom",
                "contact_phone",
                "region_code",
                "preferred_to",
                "owner_id",
                "org_unit_id"
            ]
        );
        let codes = fields(&bad);
        assert!(codes.contains(&("customer_id", "invalid_id")));
        assert!(codes.contains(&("kind", "invalid_choice")));
        assert!(codes.contains(&("symptom", "required")));
    }
}
