//! Engineers' skills and certifications per product line (R-ORG-3): kept by admins and by
//! managers for their own subtree, read by dispatchers, managers, the engineer themself
//! and a partner for its own unit. Every change and removal is audited in its
//! transaction; a removed record stays, marked removed.

use crate::{AppError, Ctx, Idempotency, Page, Principal, cursor};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::certification::{
    self as rules, CertLevel, Certification, CertificationInput, DateProblem, EXPIRY_WARNING_DAYS,
    Expiry, ExpiryState,
};
use aftersales_domain::installed_base::parse_date;
use aftersales_domain::{
    CertificationId, FieldError, FieldErrors, OrgUnitId, Permission, Role, UserId,
};
use aftersales_store::{
    StoreError, network::certifications as store, network::org as org_store,
    network::users as user_store,
};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One record of a person for one product line, as the API and the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CertificationView {
    #[schema(value_type = String, format = Uuid)]
    pub id: CertificationId,
    #[schema(value_type = String, format = Uuid)]
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<OrgUnitId>,
    pub org_unit_name: Option<String>,
    /// e.g. `空调`: the product line of the product models.
    pub product_line: String,
    /// Whether a product model has this product line (an unknown one is kept, with this
    /// warning, so training can be recorded before the product arrives).
    pub product_line_known: bool,
    #[schema(value_type = crate::schema::CertLevelName)]
    pub level: CertLevel,
    /// The certificate number (证书编号).
    pub number: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub issued_on: Option<Date>,
    /// The last valid day; null: does not expire.
    #[schema(value_type = Option<String>, format = Date)]
    pub expires_on: Option<Date>,
    /// The trainer or issuing body.
    pub issuer: Option<String>,
    /// Whether this record allows dispatch today (a counting level, valid today).
    pub valid_today: bool,
    /// `never`, `valid`, `soon` (within 30 days, today included) or `expired`.
    #[schema(value_type = crate::schema::ExpiryName, example = "soon")]
    pub expiry: ExpiryState,
    /// Days from today to the last valid day (0 on it, negative once expired).
    pub days_left: Option<i64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub removed_at: Option<Timestamp>,
    pub removed_by: Option<String>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// A new record for a person.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewCertification {
    /// The product line, e.g. `空调` (as product models spell it).
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub product_line: String,
    #[schema(value_type = crate::schema::CertLevelName)]
    pub level: String,
    #[schema(max_length = 64, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub number: Option<String>,
    /// The day of issue, or for a trainee the day the training began.
    /// Years 1990–2100.
    #[schema(required = true, value_type = String, format = Date, pattern = r"^(199[0-9]|20[0-9]{2}|2100)-")]
    pub issued_on: Option<String>,
    /// The last valid day; absent: does not expire.
    /// Years 1990–2100.
    #[schema(value_type = Option<String>, format = Date, pattern = r"^$|^(199[0-9]|20[0-9]{2}|2100)-")]
    pub expires_on: Option<String>,
    #[schema(max_length = 100, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub issuer: Option<String>,
}

/// A change to a record; absent fields stay, an empty string clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CertificationPatch {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub product_line: Option<String>,
    #[schema(value_type = Option<crate::schema::CertLevelName>)]
    pub level: Option<String>,
    #[schema(max_length = 64, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub number: Option<String>,
    /// A new day of issue (it cannot be cleared).
    /// Years 1990–2100.
    #[schema(value_type = Option<String>, format = Date, min_length = 10, pattern = r"^$|^(199[0-9]|20[0-9]{2}|2100)-")]
    pub issued_on: Option<String>,
    /// A new last valid day, or an empty string: does not expire.
    /// Years 1990–2100.
    #[schema(value_type = Option<String>, format = Date, pattern = r"^$|^(199[0-9]|20[0-9]{2}|2100)-")]
    pub expires_on: Option<String>,
    #[schema(max_length = 100, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub issuer: Option<String>,
}

/// The person whose records a page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertHolderView {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_unit_name: Option<String>,
    /// Whether this person can hold certifications (engineers, partner technicians).
    pub technician: bool,
}

/// Filters of the certification list; without `expiring_within_days` every current record.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificationQuery {
    /// Only records whose last valid day is within this many days from today.
    #[param(minimum = 0, maximum = 3650)]
    pub expiring_within_days: Option<i64>,
    /// With `expiring_within_days`: also the records that have already expired.
    pub include_expired: Option<bool>,
    /// Only this person's records; empty means everyone the caller may see.
    #[param(
        value_type = Option<String>,
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub user_id: Option<String>,
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Which records the caller may see or keep.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CertScope {
    All,
    /// Holders whose unit lies below this path.
    Subtree(String),
    /// Only the caller's own records.
    Own(UserId),
}

impl CertScope {
    fn allows(&self, user: UserId, org_path: Option<&str>) -> bool {
        match self {
            CertScope::All => true,
            CertScope::Subtree(p) => org_path.is_some_and(|o| o.starts_with(p.as_str())),
            CertScope::Own(me) => *me == user,
        }
    }
}

fn snapshot(c: &store::CertificationRecord, h: &store::Holder) -> serde_json::Value {
    serde_json::json!({
        "user_id": c.user_id.to_string(), "username": h.username,
        "product_line": c.product_line, "level": c.level.as_str(), "number": c.number,
        "issued_on": c.issued_on.map(|d| d.to_string()),
        "expires_on": c.expires_on.map(|d| d.to_string()), "issuer": c.issuer,
        "removed_at": c.removed_at.map(|t| t.to_string()), "removed_by": c.removed_by,
        "version": c.version,
    })
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("certification"),
        e => e.into(),
    }
}

fn not_found_user(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("user"),
        e => e.into(),
    }
}

/// An optional date of a patch: `None` unchanged, `Some(None)` cleared.
fn patch_date(
    field: &str,
    s: Option<&str>,
    errs: &mut FieldErrors,
) -> Option<Option<Option<Date>>> {
    match s.map(str::trim) {
        None => Some(None),
        Some("") => Some(Some(None)),
        Some(v) => errs.take(parse_date(field, v)).map(|d| Some(Some(d))),
    }
}

/// Every record has a day it stands from: the day of issue, or the start of training.
fn parse_date_required(field: &str, s: Option<&str>) -> Result<Date, FieldError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Err(FieldError::new(field, "required")),
        Some(v) => parse_date(field, v),
    }
}

/// A patch that passed the field rules; each part `None` when it is left unchanged.
struct ValidPatch {
    product_line: Option<String>,
    level: Option<CertLevel>,
    number: Option<Option<String>>,
    issuer: Option<Option<String>>,
    issued_on: Option<Date>,
    expires_on: Option<Option<Date>>,
}

impl CertificationPatch {
    /// The field rules of the parts sent (invalid input, 422, with every fault at once).
    fn parse(&self) -> Result<ValidPatch, AppError> {
        let mut errs = FieldErrors::new();
        let product_line = self
            .product_line
            .as_deref()
            .and_then(|s| errs.take(rules::parse_product_line("product_line", s)));
        let level = self
            .level
            .as_deref()
            .and_then(|s| errs.take(rules::parse_level("level", s)));
        let number = match self.number.as_deref() {
            None => Some(None),
            Some(s) => errs.take(rules::parse_number("number", Some(s))).map(Some),
        };
        let issuer = match self.issuer.as_deref() {
            None => Some(None),
            Some(s) => errs.take(rules::parse_issuer("issuer", Some(s))).map(Some),
        };
        let issued_on = match self.issued_on.as_deref() {
            None => Some(None),
            Some(v) => errs
                .take(parse_date_required("issued_on", Some(v)))
                .map(Some),
        };
        let expires_on = patch_date("expires_on", self.expires_on.as_deref(), &mut errs);
        errs.clone().into_result()?;
        // Every `None` above pushed its fault, so with no faults every part is here.
        let (Some(number), Some(issuer), Some(issued_on), Some(expires_on)) =
            (number, issuer, issued_on, expires_on)
        else {
            return Err(AppError::Validation(errs));
        };
        Ok(ValidPatch {
            product_line,
            level,
            number,
            issuer,
            issued_on,
            expires_on,
        })
    }
}

impl ValidPatch {
    /// The record as the patch leaves it (version and time of change not yet moved).
    fn apply(self, c: &mut store::CertificationRecord) {
        if let Some(l) = self.product_line {
            c.product_line = l;
        }
        if let Some(l) = self.level {
            c.level = l;
        }
        if let Some(n) = self.number {
            c.number = n;
        }
        if let Some(i) = self.issuer {
            c.issuer = i;
        }
        if let Some(d) = self.issued_on {
            c.issued_on = Some(d);
        }
        if let Some(d) = self.expires_on {
            c.expires_on = d;
        }
    }
}

fn opt_date(field: &str, s: Option<&str>, errs: &mut FieldErrors) -> Option<Option<Date>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(v) => errs.take(parse_date(field, v)).map(Some),
    }
}

fn date_rules(input: &CertificationInput) -> Result<(), AppError> {
    match rules::check_dates(input) {
        Ok(()) => Ok(()),
        Err(DateProblem::IssuedOnRequired) => {
            Err(AppError::invalid(FieldError::new("issued_on", "required")))
        }
        Err(DateProblem::ExpiresBeforeIssued) => {
            Err(AppError::conflict_on("expires_on", "expires_before_issued"))
        }
    }
}

impl crate::App {
    fn cert_scope(&self, ctx: &Ctx, p: Permission) -> Result<CertScope, AppError> {
        ctx.require(p)?;
        match &ctx.principal {
            Principal::System(_) => Ok(CertScope::All),
            Principal::User(a) => match a.role {
                Role::Admin | Role::Dispatcher => Ok(CertScope::All),
                Role::Manager | Role::Partner => a
                    .org_path
                    .clone()
                    .map(CertScope::Subtree)
                    .ok_or(AppError::Forbidden),
                Role::Engineer => Ok(CertScope::Own(a.id)),
                _ => Err(AppError::Forbidden),
            },
        }
    }

    /// The holder, if the scope shows them; otherwise "not found".
    async fn holder_in_scope(
        &self,
        scope: &CertScope,
        user: UserId,
    ) -> Result<user_store::UserRecord, AppError> {
        let u = user_store::get(self.db.pool(), user)
            .await
            .map_err(not_found_user)?;
        let path = match u.org_unit_id {
            Some(o) => Some(org_store::get(self.db.pool(), o).await?.path),
            None => None,
        };
        if scope.allows(u.id, path.as_deref()) {
            Ok(u)
        } else {
            Err(AppError::NotFound("user"))
        }
    }

    async fn known_lines(&self) -> Result<Vec<String>, AppError> {
        Ok(store::known_product_lines(self.db.pool()).await?)
    }

    fn cert_view(&self, h: &store::HeldCertification, known: &[String]) -> CertificationView {
        let c = &h.cert;
        let today = self.today();
        let as_rule = Certification {
            product_line: c.product_line.clone(),
            level: c.level,
            issued_on: c.issued_on,
            expires_on: c.expires_on,
        };
        let exp = rules::expiry(c.expires_on, today, EXPIRY_WARNING_DAYS);
        let days_left = match exp {
            Expiry::Never => None,
            Expiry::Valid { days_left } | Expiry::Soon { days_left } => Some(days_left),
            Expiry::Expired { days_ago } => Some(-days_ago),
        };
        CertificationView {
            id: c.id,
            user_id: c.user_id,
            username: h.holder.username.clone(),
            display_name: h.holder.display_name.clone(),
            org_unit_id: h.holder.org_unit_id,
            org_unit_name: h.holder.org_unit_name.clone(),
            product_line: c.product_line.clone(),
            product_line_known: known
                .iter()
                .any(|k| rules::same_product_line(k, &c.product_line)),
            level: c.level,
            number: c.number.clone(),
            issued_on: c.issued_on,
            expires_on: c.expires_on,
            issuer: c.issuer.clone(),
            valid_today: c.removed_at.is_none()
                && rules::is_certified(&[as_rule], &c.product_line, today),
            expiry: exp.state(),
            days_left,
            removed_at: c.removed_at,
            removed_by: c.removed_by.clone(),
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }

    /// The product lines of the product models, for suggestions.
    #[tracing::instrument(skip_all)]
    pub async fn product_lines(&self, ctx: &Ctx) -> Result<Vec<String>, AppError> {
        ctx.require(Permission::CertificationsRead)?;
        self.known_lines().await
    }

    /// A person's records by product line; removed ones too with `include_removed`.
    #[tracing::instrument(skip_all)]
    pub async fn user_certifications(
        &self,
        ctx: &Ctx,
        user: UserId,
        include_removed: bool,
    ) -> Result<Vec<CertificationView>, AppError> {
        let scope = self.cert_scope(ctx, Permission::CertificationsRead)?;
        self.holder_in_scope(&scope, user).await?;
        let known = self.known_lines().await?;
        Ok(store::for_user(self.db.pool(), user, include_removed)
            .await?
            .iter()
            .map(|h| self.cert_view(h, &known))
            .collect())
    }

    /// The person, if the caller may read their records.
    #[tracing::instrument(skip_all)]
    pub async fn certification_holder(
        &self,
        ctx: &Ctx,
        user: UserId,
    ) -> Result<CertHolderView, AppError> {
        let scope = self.cert_scope(ctx, Permission::CertificationsRead)?;
        let u = self.holder_in_scope(&scope, user).await?;
        let org_unit_name = match u.org_unit_id {
            Some(o) => Some(org_store::get(self.db.pool(), o).await?.name),
            None => None,
        };
        Ok(CertHolderView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            org_unit_name,
            technician: u.role.holds_certifications(),
        })
    }

    /// Whether the caller may keep this person's records (for the pages' buttons). No right,
    /// or a person outside the caller's part of the network, is `false`; a failure to read
    /// is an error, never a silent "no".
    #[tracing::instrument(skip_all)]
    pub async fn may_manage_certifications_of(
        &self,
        ctx: &Ctx,
        user: UserId,
    ) -> Result<bool, AppError> {
        let scope = match self.cert_scope(ctx, Permission::CertificationsManage) {
            Ok(scope) => scope,
            Err(AppError::Forbidden) => return Ok(false),
            Err(e) => return Err(e),
        };
        match self.holder_in_scope(&scope, user).await {
            Ok(_) => Ok(true),
            Err(AppError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    #[tracing::instrument(skip_all)]
    pub async fn add_certification(
        &self,
        ctx: &Ctx,
        user: UserId,
        input: &NewCertification,
        idem: Option<&Idempotency>,
    ) -> Result<CertificationView, AppError> {
        let scope = self.cert_scope(ctx, Permission::CertificationsManage)?;
        if let Some(v) = self.idem_replay(ctx, idem).await? {
            return Ok(v);
        }
        let mut errs = FieldErrors::new();
        let line = errs.take(rules::parse_product_line(
            "product_line",
            &input.product_line,
        ));
        let level = errs.take(rules::parse_level("level", &input.level));
        let number = errs.take(rules::parse_number("number", input.number.as_deref()));
        let issued_on = errs
            .take(parse_date_required("issued_on", input.issued_on.as_deref()))
            .map(Some);
        let expires_on = opt_date("expires_on", input.expires_on.as_deref(), &mut errs);
        let issuer = errs.take(rules::parse_issuer("issuer", input.issuer.as_deref()));
        errs.clone().into_result()?;
        let (
            Some(product_line),
            Some(level),
            Some(number),
            Some(issued_on),
            Some(expires_on),
            Some(issuer),
        ) = (line, level, number, issued_on, expires_on, issuer)
        else {
            return Err(AppError::Validation(errs));
        };
        let parsed = CertificationInput {
            product_line,
            level,
            number,
            issued_on,
            expires_on,
            issuer,
        };
        date_rules(&parsed)?;
        let holder = self.holder_in_scope(&scope, user).await?;
        if !holder.role.holds_certifications() {
            return Err(AppError::Conflict("not_a_technician"));
        }
        let known = self.known_lines().await?;
        let r = async {
            let mut tx = self.db.begin().await?;
            self.idem_claim(&mut tx, ctx, idem).await?;
            let taken = store::current_lines(tx.conn(), user).await?;
            if taken
                .iter()
                .any(|(_, l)| rules::same_product_line(l, &parsed.product_line))
            {
                return Err(AppError::conflict_on(
                    "product_line",
                    "certification_exists",
                ));
            }
            let now = self.now();
            let rec = store::CertificationRecord {
                id: CertificationId::new(),
                user_id: user,
                product_line: parsed.product_line.clone(),
                level: parsed.level,
                number: parsed.number.clone(),
                issued_on: parsed.issued_on,
                expires_on: parsed.expires_on,
                issuer: parsed.issuer.clone(),
                removed_at: None,
                removed_by: None,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            store::insert(tx.conn(), &rec).await.map_err(|e| match e {
                StoreError::Constraint(_) => {
                    AppError::conflict_on("product_line", "certification_exists")
                }
                e => e.into(),
            })?;
            let held = store::get(tx.conn(), rec.id).await?;
            self.audit(
                &mut tx,
                ctx,
                AuditEntity::Certification,
                &rec.id.to_string(),
                AuditAction::Create,
                None,
                Some(snapshot(&rec, &held.holder)),
            )
            .await?;
            let view = self.cert_view(&held, &known);
            self.idem_complete(&mut tx, ctx, idem, &view).await?;
            tx.commit().await?;
            Ok(view)
        }
        .await;
        match r {
            Ok(v) => Ok(v),
            Err(e) => self.idem_replay_after_race(ctx, idem, e).await,
        }
    }

    /// The record, if it belongs to `user` and the scope shows it.
    async fn cert_of(
        &self,
        conn: &mut aftersales_store::Conn,
        scope: &CertScope,
        user: UserId,
        id: CertificationId,
    ) -> Result<store::HeldCertification, AppError> {
        let h = store::get(&mut *conn, id).await.map_err(not_found)?;
        if h.cert.user_id != user || !scope.allows(user, h.holder.org_path.as_deref()) {
            return Err(AppError::NotFound("certification"));
        }
        Ok(h)
    }

    #[tracing::instrument(skip_all)]
    pub async fn update_certification(
        &self,
        ctx: &Ctx,
        user: UserId,
        id: CertificationId,
        patch: &CertificationPatch,
    ) -> Result<CertificationView, AppError> {
        let scope = self.cert_scope(ctx, Permission::CertificationsManage)?;
        let valid = patch.parse()?;
        let known = self.known_lines().await?;
        let mut tx = self.db.begin().await?;
        let before = self.cert_of(tx.conn(), &scope, user, id).await?;
        if before.cert.removed_at.is_some() {
            return Err(AppError::Conflict("certification_removed"));
        }
        if before.cert.version != patch.version {
            return Err(AppError::StaleVersion {
                current: before.cert.version,
            });
        }
        let mut after = before.cert.clone();
        valid.apply(&mut after);
        date_rules(&CertificationInput {
            product_line: after.product_line.clone(),
            level: after.level,
            number: after.number.clone(),
            issued_on: after.issued_on,
            expires_on: after.expires_on,
            issuer: after.issuer.clone(),
        })?;
        if !rules::same_product_line(&after.product_line, &before.cert.product_line) {
            let taken = store::current_lines(tx.conn(), user).await?;
            if taken
                .iter()
                .any(|(other, l)| *other != id && rules::same_product_line(l, &after.product_line))
            {
                return Err(AppError::conflict_on(
                    "product_line",
                    "certification_exists",
                ));
            }
        }
        after.version = before.cert.version + 1;
        after.updated_at = self.now();
        let written = store::update(tx.conn(), &after, before.cert.version)
            .await
            .map_err(|e| match e {
                StoreError::Constraint(_) => {
                    AppError::conflict_on("product_line", "certification_exists")
                }
                e => e.into(),
            })?;
        if !written {
            return Err(AppError::StaleVersion {
                current: before.cert.version,
            });
        }
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Certification,
            &id.to_string(),
            AuditAction::Update,
            Some(snapshot(&before.cert, &before.holder)),
            Some(snapshot(&after, &before.holder)),
        )
        .await?;
        tx.commit().await?;
        Ok(self.cert_view(
            &store::HeldCertification {
                cert: after,
                holder: before.holder,
            },
            &known,
        ))
    }

    /// Marks a record removed; it stays readable with `include_removed` and in the audit
    /// trail. With `version`, a stale one is refused.
    #[tracing::instrument(skip_all)]
    pub async fn remove_certification(
        &self,
        ctx: &Ctx,
        user: UserId,
        id: CertificationId,
        version: Option<i64>,
    ) -> Result<(), AppError> {
        let scope = self.cert_scope(ctx, Permission::CertificationsManage)?;
        let mut tx = self.db.begin().await?;
        let before = self.cert_of(tx.conn(), &scope, user, id).await?;
        if before.cert.removed_at.is_some() {
            return Err(AppError::Conflict("certification_removed"));
        }
        if version.is_some_and(|v| v != before.cert.version) {
            return Err(AppError::StaleVersion {
                current: before.cert.version,
            });
        }
        let mut after = before.cert.clone();
        after.version += 1;
        after.updated_at = self.now();
        after.removed_at = Some(after.updated_at);
        after.removed_by = Some(ctx.audit_actor().1);
        if !store::update(tx.conn(), &after, before.cert.version).await? {
            return Err(AppError::StaleVersion {
                current: before.cert.version,
            });
        }
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Certification,
            &id.to_string(),
            AuditAction::Remove,
            Some(snapshot(&before.cert, &before.holder)),
            Some(snapshot(&after, &before.holder)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Current records in the caller's scope by expiry date (none last); with
    /// `expiring_within_days`, the list managers act on.
    #[tracing::instrument(skip_all)]
    pub async fn list_certifications(
        &self,
        ctx: &Ctx,
        q: &CertificationQuery,
    ) -> Result<Page<CertificationView>, AppError> {
        let scope = self.cert_scope(ctx, Permission::CertificationsRead)?;
        let limit = cursor::limit(q.limit)?;
        let after = cursor::decode(q.cursor.as_deref())?;
        let mut f = store::CertFilter::default();
        match &scope {
            CertScope::All => {}
            CertScope::Subtree(p) => f.org_path_prefix = Some(p.clone()),
            CertScope::Own(me) => f.user_id = Some(*me),
        }
        if let Some(u) = q.user_id.as_deref().filter(|s| !s.trim().is_empty()) {
            let id: UserId = u
                .trim()
                .parse()
                .map_err(|_| AppError::invalid(FieldError::new("user_id", "invalid_id")))?;
            if f.user_id.is_some_and(|me| me != id) {
                // Someone else's records: an empty list, like any filter that matches none.
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
            f.user_id = Some(id);
        }
        if let Some(days) = q.expiring_within_days {
            if !(0..=3650).contains(&days) {
                return Err(AppError::invalid(
                    FieldError::new("expiring_within_days", "out_of_range")
                        .with("min", 0)
                        .with("max", 3650),
                ));
            }
            let today = self.today();
            // `days` is bounded above, so only the calendar's end can stop the addition,
            // and then the list runs to it.
            f.expires_until = Some(
                today
                    .saturating_add(jiff::Span::new().days(days))
                    .to_string(),
            );
            if !q.include_expired.unwrap_or(false) {
                f.expires_from = Some(today.to_string());
            }
        }
        let known = self.known_lines().await?;
        let page = store::list(self.db.pool(), &f, after.as_deref(), limit).await?;
        Ok(Page {
            items: page
                .items
                .iter()
                .map(|h| self.cert_view(h, &known))
                .collect(),
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_allow_what_they_say() {
        let me = UserId::new();
        let other = UserId::new();
        assert!(CertScope::All.allows(other, None));
        let sub = CertScope::Subtree("/a/b/".into());
        assert!(sub.allows(other, Some("/a/b/c/")));
        assert!(sub.allows(other, Some("/a/b/")));
        assert!(!sub.allows(other, Some("/a/x/")));
        assert!(!sub.allows(other, None));
        assert!(CertScope::Own(me).allows(me, None));
        assert!(!CertScope::Own(me).allows(other, Some("/a/b/")));
    }

    #[test]
    fn a_patch_date_is_unchanged_cleared_or_set() {
        let mut errs = FieldErrors::new();
        assert_eq!(patch_date("d", None, &mut errs), Some(None));
        assert_eq!(patch_date("d", Some(" "), &mut errs), Some(Some(None)));
        assert_eq!(
            patch_date("d", Some("2026-01-31"), &mut errs),
            Some(Some(Some(jiff::civil::date(2026, 1, 31))))
        );
        assert!(errs.is_empty());
        assert_eq!(patch_date("d", Some("31.01.2026"), &mut errs), None);
        assert_eq!(errs.0[0].code, "invalid_date");
    }
}
