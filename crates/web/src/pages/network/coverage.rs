//! The service network's pages, part 2: a unit's covered regions with a region picker and
//! overlap warnings, who serves a place, and engineers' certifications with their expiry.

use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::i18n::Tr;
use crate::shell::{Banner, Choice, FormErrors, PageError, Shell, WebUser};
use aftersales_app::{
    AppError, CertHolderView, CertificationPatch, CertificationQuery, CertificationView,
    CoveragePut, CoverageView, CoveringView, NewCertification, OrgUnitView, OverlapView,
    RegionView,
};
use aftersales_domain::certification::{CertLevel, ExpiryState};
use aftersales_domain::{CertificationId, OrgUnitId, Permission, UserId};
use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

// ---------------------------------------------------------------------------------------
// Regions for pickers

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegionLookup {
    parent: String,
    q: String,
    limit: Option<usize>,
}

/// The picker's data: the provinces, the regions below one, or matches of a name or code.
pub async fn regions_json(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<RegionLookup>,
) -> Response {
    match s.app.regions(
        &u.ctx,
        Some(q.parent.as_str()),
        Some(q.q.as_str()),
        q.limit.unwrap_or(10),
    ) {
        Ok(items) => Json(items).into_response(),
        Err(e) => (
            crate::problem::status_of(&e),
            Json(Vec::<RegionView>::new()),
        )
            .into_response(),
    }
}

// ---------------------------------------------------------------------------------------
// A unit's coverage

#[derive(Template, WebTemplate)]
#[template(path = "network/org_unit.html")]
pub struct OrgUnitPage {
    pub shell: Shell,
    pub unit: OrgUnitView,
    pub parent_name: Option<String>,
    pub coverage: CoverageView,
    pub provinces: Vec<RegionView>,
    pub can_manage: bool,
    pub notice: Option<String>,
    pub alert: Option<String>,
}

impl OrgUnitPage {
    pub fn kind_label(&self) -> String {
        self.shell
            .tr
            .t_dyn(&format!("org_kind.{}", self.unit.kind.as_str()))
    }

    pub fn overlap_text(&self, o: &OverlapView) -> String {
        overlap_text(self.shell.tr, o)
    }

    pub fn level_label(&self, r: &RegionView) -> String {
        self.shell.tr.t_dyn(&format!("network.level.{}", r.level))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    saved: Option<String>,
}

async fn unit_page(
    s: &AppState,
    u: WebUser,
    id: OrgUnitId,
    banner: Banner,
    status: StatusCode,
) -> Result<Response, PageError> {
    let unit = s.app.get_org_unit(&u.ctx, id).await?;
    let coverage = s.app.unit_coverage(&u.ctx, id).await?;
    let parent_name = match unit.parent_id {
        Some(p) => s.app.get_org_unit(&u.ctx, p).await.ok().map(|p| p.name),
        None => None,
    };
    let provinces = s.app.regions(&u.ctx, None, None, 50).unwrap_or_default();
    let (alert, notice) = banner.split();
    let page = OrgUnitPage {
        can_manage: u.actor.role.can(Permission::OrgManage),
        unit,
        parent_name,
        coverage,
        provinces,
        notice,
        alert,
        shell: u.shell,
    };
    Ok((status, page).into_response())
}

pub async fn org_unit(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("org_unit").into());
    };
    let banner = if q.saved.is_some() {
        Banner::Notice(u.tr().t_dyn("common.saved"))
    } else {
        Banner::None
    };
    unit_page(&s, u, id, banner, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddRegionForm {
    version: i64,
    province: String,
    city: String,
    district: String,
    /// Chosen by name in the search box; wins over the selects.
    region: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RemoveRegionForm {
    version: i64,
    code: String,
}

/// An error of a coverage change as a sentence above the page.
fn coverage_alert(e: &AppError, tr: Tr) -> String {
    match e.field_errors() {
        Some(errs) if !errs.0.is_empty() => errs
            .0
            .iter()
            .map(|f| tr.field_error(f))
            .collect::<Vec<_>>()
            .join(" "),
        _ => tr.t_error(e.code()),
    }
}

async fn change_regions(
    s: &AppState,
    u: WebUser,
    id: OrgUnitId,
    version: i64,
    change: impl FnOnce(Vec<String>) -> Vec<String>,
) -> Result<Response, PageError> {
    let current = s.app.unit_coverage(&u.ctx, id).await?;
    let codes = change(current.regions.into_iter().map(|r| r.code).collect());
    let input = CoveragePut {
        version,
        regions: codes,
    };
    match s.app.set_unit_regions(&u.ctx, id, &input).await {
        Ok(_) => Ok(crate::shell::redirect(&format!("/org-units/{id}?saved=1")).into_response()),
        Err(
            e @ (AppError::Validation(_)
            | AppError::FieldConflict(_)
            | AppError::StaleVersion { .. }
            | AppError::Conflict(_)),
        ) => {
            let alert = coverage_alert(&e, u.tr());
            let status = crate::problem::status_of(&e);
            unit_page(s, u, id, Banner::Alert(alert), status).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn add_region(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<AddRegionForm>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("org_unit").into());
    };
    let picked = [&f.region, &f.district, &f.city, &f.province]
        .into_iter()
        .map(|s| s.trim())
        .find(|s| !s.is_empty())
        .map(str::to_owned);
    let Some(code) = picked else {
        let alert = u.tr().t_dyn("network.pick_a_region");
        return unit_page(
            &s,
            u,
            id,
            Banner::Alert(alert),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    change_regions(&s, u, id, f.version, |mut codes| {
        codes.push(code);
        codes
    })
    .await
}

pub async fn remove_region(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<RemoveRegionForm>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("org_unit").into());
    };
    let gone = f.code.trim().to_owned();
    change_regions(&s, u, id, f.version, |codes| {
        codes.into_iter().filter(|c| *c != gone).collect()
    })
    .await
}

/// "Also covered by 沈阳浑南服务站 (SY-HN): 和平区".
pub fn overlap_text(tr: Tr, o: &OverlapView) -> String {
    tr.f(
        "network.overlaps_with",
        &[
            ("unit", &format!("{} ({})", o.name, o.code)),
            ("region", &o.region.full_name),
        ],
    )
}

/// Who serves a place, for the network page: `None` when no place was asked about.
pub async fn covering_for_page(
    s: &AppState,
    u: &WebUser,
    region: &str,
) -> (Option<CoveringView>, Option<String>) {
    let region = region.trim();
    if region.is_empty() {
        return (None, None);
    }
    match s.app.covering_units(&u.ctx, region).await {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(coverage_alert(&e, u.tr()))),
    }
}

// ---------------------------------------------------------------------------------------
// Certifications

/// How a record's expiry reads on a page: a color and words (never color alone), and a
/// warning sign when it needs attention.
pub struct ExpiryBadge {
    pub class: &'static str,
    pub text: String,
    pub warn: bool,
}

pub fn expiry_badge(tr: Tr, c: &CertificationView) -> ExpiryBadge {
    let badge = |class: &'static str, text: String| ExpiryBadge {
        class,
        text,
        warn: true,
    };
    let fine = |text: String| ExpiryBadge {
        class: "ok",
        text,
        warn: false,
    };
    if c.removed_at.is_some() {
        return badge("off", tr.t_dyn("network.cert.removed"));
    }
    let n = c.days_left.unwrap_or(0);
    match c.expiry {
        ExpiryState::Expired => badge(
            "danger",
            tr.f("network.cert.expired_days", &[("n", &(-n).to_string())]),
        ),
        ExpiryState::Soon if n == 0 => badge("warn", tr.t_dyn("network.cert.expires_today")),
        ExpiryState::Soon => badge(
            "warn",
            tr.f("network.cert.expires_in", &[("n", &n.to_string())]),
        ),
        ExpiryState::Valid => fine(tr.t_dyn("network.cert.valid")),
        ExpiryState::Never => fine(tr.t_dyn("network.cert.no_expiry")),
    }
}

fn level_label(tr: Tr, l: CertLevel) -> String {
    tr.t_dyn(&format!("network.level_name.{}", l.as_str()))
}

#[derive(Template, WebTemplate)]
#[template(path = "network/certifications.html")]
pub struct CertListPage {
    pub shell: Shell,
    pub rows: Vec<CertificationView>,
    pub days: String,
    pub include_expired: bool,
    pub next_url: Option<String>,
    pub error: Option<String>,
}

impl CertListPage {
    pub fn badge(&self, c: &CertificationView) -> ExpiryBadge {
        expiry_badge(self.shell.tr, c)
    }

    pub fn level(&self, c: &CertificationView) -> String {
        level_label(self.shell.tr, c.level)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CertListForm {
    days: Option<String>,
    include_expired: Option<String>,
    cursor: String,
}

pub async fn certifications(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<CertListForm>,
) -> Result<Response, PageError> {
    // Managers come for what expires soon; an engineer for all of their own records.
    let default_days = if u.actor.role == aftersales_domain::Role::Engineer {
        ""
    } else {
        "30"
    };
    let days = f.days.clone().unwrap_or_else(|| default_days.into());
    let include_expired = f.include_expired.is_some();
    let parsed = days.trim();
    let within = if parsed.is_empty() {
        Ok(None)
    } else {
        parsed.parse::<i64>().map(Some)
    };
    let Ok(within) = within else {
        let error = Some(u.tr().t_error("invalid_query"));
        return Ok(CertListPage {
            shell: u.shell,
            rows: Vec::new(),
            days,
            include_expired,
            next_url: None,
            error,
        }
        .into_response());
    };
    let q = CertificationQuery {
        expiring_within_days: within,
        include_expired: Some(include_expired),
        cursor: Some(f.cursor.clone()).filter(|c| !c.is_empty()),
        ..Default::default()
    };
    let (rows, next, error) = match s.app.list_certifications(&u.ctx, &q).await {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(e @ AppError::Validation(_)) => (Vec::new(), None, Some(coverage_alert(&e, u.tr()))),
        Err(e) => return Err(e.into()),
    };
    let next_url = next.map(|c| {
        format!(
            "/certifications?days={}{}&cursor={c}",
            crate::shell::encode_component(&days),
            if include_expired {
                "&include_expired=on"
            } else {
                ""
            }
        )
    });
    Ok(CertListPage {
        shell: u.shell,
        rows,
        days,
        include_expired,
        next_url,
        error,
    }
    .into_response())
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CertForm {
    pub product_line: String,
    pub level: String,
    pub number: String,
    pub issued_on: String,
    pub expires_on: String,
    pub issuer: String,
    pub version: i64,
}

impl CertForm {
    fn of(c: &CertificationView) -> CertForm {
        let d = |d: Option<jiff::civil::Date>| d.map(|d| d.to_string()).unwrap_or_default();
        CertForm {
            product_line: c.product_line.clone(),
            level: c.level.as_str().into(),
            number: c.number.clone().unwrap_or_default(),
            issued_on: d(c.issued_on),
            expires_on: d(c.expires_on),
            issuer: c.issuer.clone().unwrap_or_default(),
            version: c.version,
        }
    }
}

/// One form of the page: the add form (`None`) or a record's edit form.
pub struct CertFormView {
    /// Prefix of the element ids (`new` or the record's id).
    pub prefix: String,
    pub action: String,
    pub values: CertForm,
    pub errors: FormErrors,
    pub open: bool,
}

pub struct CertRow {
    pub cert: CertificationView,
    pub badge: ExpiryBadge,
    pub level: String,
    pub form: CertFormView,
}

#[derive(Template, WebTemplate)]
#[template(path = "network/user_certifications.html")]
pub struct UserCertsPage {
    pub shell: Shell,
    pub person: CertHolderView,
    pub role_label: String,
    pub rows: Vec<CertRow>,
    pub removed: Vec<CertRow>,
    pub can_manage: bool,
    pub add: CertFormView,
    pub levels: Vec<Choice>,
    pub product_lines: Vec<String>,
    pub notice: Option<String>,
    pub alert: Option<String>,
}

impl UserCertsPage {
    pub fn title(&self) -> String {
        self.shell
            .tr
            .f("network.certs_of", &[("name", &self.person.display_name)])
    }
}

/// What went wrong in one of the page's forms, to show again.
struct Failed {
    /// `None`: the add form.
    target: Option<CertificationId>,
    values: CertForm,
    errors: FormErrors,
}

async fn certs_page(
    s: &AppState,
    u: WebUser,
    user: UserId,
    banner: Banner,
    failed: Option<Failed>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let person = s.app.certification_holder(&u.ctx, user).await?;
    let all = s.app.user_certifications(&u.ctx, user, true).await?;
    let can_manage = person.technician && s.app.may_manage_certifications_of(&u.ctx, user).await?;
    let product_lines = s.app.product_lines(&u.ctx).await.unwrap_or_default();
    let (mut rows, mut removed) = (Vec::new(), Vec::new());
    let mut failed = failed;
    for c in all {
        let (values, errors, open) = match failed.take_if(|f| f.target == Some(c.id)) {
            Some(f) => (f.values, f.errors, true),
            None => (CertForm::of(&c), FormErrors::default(), false),
        };
        let row = CertRow {
            badge: expiry_badge(tr, &c),
            level: level_label(tr, c.level),
            form: CertFormView {
                prefix: format!("c{}", c.id.0.simple()),
                action: format!("/users/{user}/certifications/{}", c.id),
                values,
                errors,
                open,
            },
            cert: c,
        };
        if row.cert.removed_at.is_some() {
            removed.push(row);
        } else {
            rows.push(row);
        }
    }
    let add = match failed.take_if(|f| f.target.is_none()) {
        Some(f) => CertFormView {
            prefix: "new".into(),
            action: format!("/users/{user}/certifications"),
            values: f.values,
            errors: f.errors,
            open: true,
        },
        None => CertFormView {
            prefix: "new".into(),
            action: format!("/users/{user}/certifications"),
            values: CertForm {
                level: "certified".into(),
                ..Default::default()
            },
            errors: FormErrors::default(),
            open: false,
        },
    };
    let (alert, notice) = banner.split();
    let page = UserCertsPage {
        role_label: tr.t_dyn(&format!("role.{}", person.role)),
        person,
        rows,
        removed,
        can_manage,
        add,
        levels: CertLevel::ALL
            .iter()
            .map(|l| Choice {
                value: l.as_str().into(),
                label: level_label(tr, *l),
            })
            .collect(),
        product_lines,
        notice,
        alert,
        shell: u.shell,
    };
    Ok((status, page).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CertDone {
    saved: Option<String>,
    added: Option<String>,
    removed: Option<String>,
}

pub async fn user_certifications(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<CertDone>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("user").into());
    };
    let tr = u.tr();
    let banner = if q.added.is_some() {
        Banner::Notice(tr.t_dyn("network.cert.added"))
    } else if q.removed.is_some() {
        Banner::Notice(tr.t_dyn("network.cert.removed_done"))
    } else if q.saved.is_some() {
        Banner::Notice(tr.t_dyn("common.saved"))
    } else {
        Banner::None
    };
    certs_page(&s, u, id, banner, None, StatusCode::OK).await
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Field errors go beside the fields of the form; other refusals above the page.
async fn cert_failure(
    s: &AppState,
    u: WebUser,
    user: UserId,
    target: Option<CertificationId>,
    values: CertForm,
    e: AppError,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let status = crate::problem::status_of(&e);
    match &e {
        AppError::Validation(errs) | AppError::FieldConflict(errs) => {
            let failed = Failed {
                target,
                values,
                errors: FormErrors::from_fields(errs, tr),
            };
            let banner = Banner::Alert(tr.t_error(e.code()));
            certs_page(s, u, user, banner, Some(failed), status).await
        }
        AppError::StaleVersion { .. } | AppError::Conflict(_) => {
            let banner = Banner::Alert(tr.t_error(e.code()));
            certs_page(s, u, user, banner, None, status).await
        }
        _ => Err(e.into()),
    }
}

pub async fn add_certification(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<CertForm>,
) -> Result<Response, PageError> {
    let Ok(user) = id.parse() else {
        return Err(AppError::NotFound("user").into());
    };
    let input = NewCertification {
        product_line: f.product_line.clone(),
        level: f.level.clone(),
        number: opt(&f.number),
        issued_on: opt(&f.issued_on),
        expires_on: opt(&f.expires_on),
        issuer: opt(&f.issuer),
    };
    match s.app.add_certification(&u.ctx, user, &input, None).await {
        Ok(_) => Ok(
            crate::shell::redirect(&format!("/users/{user}/certifications?added=1"))
                .into_response(),
        ),
        Err(e) => cert_failure(&s, u, user, None, f, e).await,
    }
}

pub async fn update_certification(
    State(s): State<AppState>,
    u: WebUser,
    Path((id, cert)): Path<(String, String)>,
    Form(f): Form<CertForm>,
) -> Result<Response, PageError> {
    let (Ok(user), Ok(cert)) = (id.parse::<UserId>(), cert.parse::<CertificationId>()) else {
        return Err(AppError::NotFound("certification").into());
    };
    let patch = CertificationPatch {
        version: f.version,
        product_line: Some(f.product_line.clone()),
        level: Some(f.level.clone()),
        number: Some(f.number.clone()),
        issued_on: Some(f.issued_on.clone()),
        expires_on: Some(f.expires_on.clone()),
        issuer: Some(f.issuer.clone()),
    };
    match s.app.update_certification(&u.ctx, user, cert, &patch).await {
        Ok(_) => Ok(
            crate::shell::redirect(&format!("/users/{user}/certifications?saved=1"))
                .into_response(),
        ),
        Err(e) => cert_failure(&s, u, user, Some(cert), f, e).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RemoveCertForm {
    version: i64,
}

pub async fn remove_certification(
    State(s): State<AppState>,
    u: WebUser,
    Path((id, cert)): Path<(String, String)>,
    Form(f): Form<RemoveCertForm>,
) -> Result<Response, PageError> {
    let (Ok(user), Ok(cert)) = (id.parse::<UserId>(), cert.parse::<CertificationId>()) else {
        return Err(AppError::NotFound("certification").into());
    };
    match s
        .app
        .remove_certification(&u.ctx, user, cert, Some(f.version))
        .await
    {
        Ok(()) => Ok(
            crate::shell::redirect(&format!("/users/{user}/certifications?removed=1"))
                .into_response(),
        ),
        Err(e) => cert_failure(&s, u, user, None, CertForm::default(), e).await,
    }
}
