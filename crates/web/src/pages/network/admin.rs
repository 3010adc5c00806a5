//! Administration pages: users, the audit trail and the service network.

use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::shell::{FormErrors, PageError, Shell, WebUser};
use aftersales_app::{
    AppError, AuditQuery, AuditView, CoveringView, NewOrgUnit, NewUser, OrgUnitView, OverlapView,
    RegionView, UnitCoverageSummary, UserPatch, UserQuery, UserView,
};
use aftersales_domain::{OrgUnitKind, Permission, Role};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;

/// A choice of a select box.
pub struct Choice {
    pub value: String,
    pub label: String,
}

fn role_choices(tr: crate::i18n::Tr) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: tr.t_dyn(&format!("role.{r}")),
        })
        .collect()
}

/// All units the caller may see, for names and select boxes.
pub(crate) async fn all_units(s: &AppState, u: &WebUser) -> Result<Vec<OrgUnitView>, AppError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s
            .app
            .list_org_units(&u.ctx, cursor.as_deref(), Some(aftersales_app::MAX_LIMIT))
            .await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

pub(crate) fn unit_choices(units: &[OrgUnitView]) -> Vec<Choice> {
    units
        .iter()
        .map(|o| Choice {
            value: o.id.to_string(),
            label: format!("{}{} ({})", "　".repeat(o.depth as usize), o.name, o.code),
        })
        .collect()
}

pub struct UserRow {
    pub user: UserView,
    pub role_label: String,
    pub unit_name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "network/users.html")]
pub struct UsersPage {
    pub shell: Shell,
    pub rows: Vec<UserRow>,
    pub q: String,
    pub role: String,
    pub roles: Vec<Choice>,
    pub include_disabled: bool,
    pub next_url: Option<String>,
    pub can_manage: bool,
}

pub async fn users(State(s): State<AppState>, u: WebUser, Query(q): Query<UserQuery>) -> Response {
    let mut q = q;
    q.role = q.role.filter(|r| !r.is_empty());
    let tr = u.tr();
    let page = match s.app.list_users(&u.ctx, &q).await {
        Ok(p) => p,
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let units = match all_units(&s, &u).await {
        Ok(x) => x,
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let names: HashMap<_, _> = units.iter().map(|o| (o.id, o.name.clone())).collect();
    let rows = page
        .items
        .into_iter()
        .map(|user| UserRow {
            role_label: tr.t_dyn(&format!("role.{}", user.role)),
            unit_name: user
                .org_unit_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_default(),
            user,
        })
        .collect();
    let qs = |c: &str| {
        format!(
            "/admin/users?q={}&role={}&include_disabled={}&cursor={}",
            crate::shell::encode_component(q.q.as_deref().unwrap_or("")),
            crate::shell::encode_component(q.role.as_deref().unwrap_or("")),
            q.include_disabled.unwrap_or(false),
            c
        )
    };
    UsersPage {
        rows,
        q: q.q.clone().unwrap_or_default(),
        role: q.role.clone().unwrap_or_default(),
        roles: role_choices(tr),
        include_disabled: q.include_disabled.unwrap_or(false),
        next_url: page.next_cursor.as_deref().map(qs),
        can_manage: u.actor.role.can(Permission::UsersManage),
        shell: u.shell,
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "network/user_form.html")]
pub struct UserFormPage {
    pub shell: Shell,
    pub title: String,
    /// None when creating.
    pub user: Option<UserView>,
    pub form: UserFormValues,
    pub roles: Vec<Choice>,
    pub units: Vec<Choice>,
    pub errors: FormErrors,
    pub alert: Option<String>,
    pub notice: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct UserFormValues {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub org_unit_id: String,
    pub password: String,
    pub locale: String,
    pub disabled: Option<String>,
    pub version: i64,
}

/// A message above a form.
pub enum Banner {
    None,
    Notice(String),
    Alert(String),
}

async fn user_form_page(
    s: &AppState,
    u: WebUser,
    user: Option<UserView>,
    form: UserFormValues,
    errors: FormErrors,
    banner: Banner,
    status: StatusCode,
) -> Response {
    let (alert, notice) = match banner {
        Banner::None => (None, None),
        Banner::Notice(n) => (None, Some(n)),
        Banner::Alert(a) => (Some(a), None),
    };
    let tr = u.tr();
    if !u.actor.role.can(Permission::UsersManage) {
        return PageError::for_user(AppError::Forbidden, u).into_response();
    }
    let units = match all_units(s, &u).await {
        Ok(x) => x,
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let title = match &user {
        Some(x) => tr.f("users.edit_title", &[("name", &x.username)]),
        None => tr.t_dyn("users.new_title"),
    };
    let page = UserFormPage {
        title,
        user,
        form,
        roles: role_choices(tr),
        units: unit_choices(&units),
        errors,
        alert,
        notice,
        shell: u.shell,
    };
    (status, page).into_response()
}

pub async fn new_user(State(s): State<AppState>, u: WebUser) -> Response {
    let form = UserFormValues {
        role: "agent".into(),
        locale: "zh-CN".into(),
        ..Default::default()
    };
    user_form_page(
        &s,
        u,
        None,
        form,
        FormErrors::default(),
        Banner::None,
        StatusCode::OK,
    )
    .await
}

pub async fn create_user(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<UserFormValues>,
) -> Response {
    let input = NewUser {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        role: f.role.clone(),
        org_unit_id: Some(f.org_unit_id.clone()).filter(|s| !s.is_empty()),
        password: f.password.clone(),
        locale: Some(f.locale.clone()).filter(|s| !s.is_empty()),
    };
    match s.app.create_user(&u.ctx, &input, None).await {
        Ok(created) => crate::shell::redirect(&format!("/admin/users/{}?created=1", created.id))
            .into_response(),
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            let errors = FormErrors::from_fields(&errs, u.tr());
            let form = UserFormValues {
                password: String::new(),
                ..f
            };
            user_form_page(
                &s,
                u,
                None,
                form,
                errors,
                Banner::None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => PageError::for_user(e, u).into_response(),
    }
}

fn values_of(v: &UserView) -> UserFormValues {
    UserFormValues {
        username: v.username.clone(),
        display_name: v.display_name.clone(),
        role: v.role.as_str().into(),
        org_unit_id: v.org_unit_id.map(|o| o.to_string()).unwrap_or_default(),
        password: String::new(),
        locale: v.locale.as_str().into(),
        disabled: v.disabled.then(|| "on".into()),
        version: v.version,
    }
}

#[derive(Deserialize, Default)]
pub struct EditQuery {
    created: Option<String>,
    saved: Option<String>,
    reset: Option<String>,
}

pub async fn edit_user(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<EditQuery>,
) -> Response {
    let Ok(id) = id.parse() else {
        return PageError::for_user(AppError::NotFound("user"), u).into_response();
    };
    if !u.actor.role.can(Permission::UsersManage) {
        return PageError::for_user(AppError::Forbidden, u).into_response();
    }
    let user = match s.app.get_user(&u.ctx, id).await {
        Ok(x) => x,
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let tr = u.tr();
    let banner = if q.created.is_some() {
        Banner::Notice(tr.t_dyn("users.created"))
    } else if q.saved.is_some() {
        Banner::Notice(tr.t_dyn("common.saved"))
    } else if q.reset.is_some() {
        Banner::Notice(tr.t_dyn("users.password_reset_done"))
    } else {
        Banner::None
    };
    let form = values_of(&user);
    user_form_page(
        &s,
        u,
        Some(user),
        form,
        FormErrors::default(),
        banner,
        StatusCode::OK,
    )
    .await
}

pub async fn update_user(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<UserFormValues>,
) -> Response {
    let Ok(id) = id.parse() else {
        return PageError::for_user(AppError::NotFound("user"), u).into_response();
    };
    let patch = UserPatch {
        version: f.version,
        display_name: Some(f.display_name.clone()),
        role: Some(f.role.clone()),
        org_unit_id: Some(f.org_unit_id.clone()),
        locale: Some(f.locale.clone()),
        disabled: Some(f.disabled.is_some()),
    };
    let tr = u.tr();
    match s.app.update_user(&u.ctx, id, &patch).await {
        Ok(_) => crate::shell::redirect(&format!("/admin/users/{id}?saved=1")).into_response(),
        Err(
            e @ (AppError::Validation(_)
            | AppError::FieldConflict(_)
            | AppError::StaleVersion { .. }
            | AppError::Conflict(_)),
        ) => {
            let current = match s.app.get_user(&u.ctx, id).await {
                Ok(x) => x,
                Err(e) => return PageError::for_user(e, u).into_response(),
            };
            let (errors, banner, form) = match &e {
                AppError::Validation(errs) | AppError::FieldConflict(errs) => (
                    FormErrors::from_fields(errs, tr),
                    Banner::None,
                    UserFormValues {
                        version: current.version,
                        ..f
                    },
                ),
                // Stale: show what is stored now, and say so; the user re-applies the change.
                AppError::StaleVersion { .. } => (
                    FormErrors::default(),
                    Banner::Alert(tr.t_error("stale_version")),
                    values_of(&current),
                ),
                other => (
                    FormErrors::default(),
                    Banner::Alert(tr.t_error(other.code())),
                    values_of(&current),
                ),
            };
            let status = crate::problem::status_of(&e);
            user_form_page(&s, u, Some(current), form, errors, banner, status).await
        }
        Err(e) => PageError::for_user(e, u).into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    password: String,
}

pub async fn reset_password(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<ResetForm>,
) -> Response {
    let Ok(id) = id.parse() else {
        return PageError::for_user(AppError::NotFound("user"), u).into_response();
    };
    match s
        .app
        .reset_password(&u.ctx, id, &f.password, Some(&u.token))
        .await
    {
        Ok(()) => crate::shell::redirect(&format!("/admin/users/{id}?reset=1")).into_response(),
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            let errors = FormErrors::from_fields(&errs, u.tr());
            let user = match s.app.get_user(&u.ctx, id).await {
                Ok(x) => x,
                Err(e) => return PageError::for_user(e, u).into_response(),
            };
            let form = values_of(&user);
            user_form_page(
                &s,
                u,
                Some(user),
                form,
                errors,
                Banner::None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => PageError::for_user(e, u).into_response(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "administration/audit.html")]
pub struct AuditPage {
    pub shell: Shell,
    pub items: Vec<AuditView>,
    pub q: AuditQueryForm,
    pub next_url: Option<String>,
    pub error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AuditQueryForm {
    pub entity: String,
    pub actor: String,
    pub action: String,
    /// First day shown, `YYYY-MM-DD` in the site's time zone.
    pub from: String,
    /// Last day shown (inclusive).
    pub to: String,
    pub cursor: String,
}

/// The start of a calendar day in the site's zone, for date filters.
fn day_start(s: &str, next: bool) -> Result<Option<jiff::Timestamp>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let d: jiff::civil::Date = s.parse().map_err(|_| ())?;
    let d = if next {
        d.tomorrow().map_err(|_| ())?
    } else {
        d
    };
    let tz = crate::site::get().tz().clone();
    d.to_zoned(tz).map(|z| Some(z.timestamp())).map_err(|_| ())
}

pub async fn audit(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<AuditQueryForm>,
) -> Response {
    let (Ok(from), Ok(to)) = (day_start(&f.from, false), day_start(&f.to, true)) else {
        let error = Some(u.tr().t_error("invalid_query"));
        return AuditPage {
            shell: u.shell,
            items: Vec::new(),
            q: f,
            next_url: None,
            error,
        }
        .into_response();
    };
    let q = AuditQuery {
        from,
        to,
        entity: Some(f.entity.clone()),
        actor: Some(f.actor.clone()),
        action: Some(f.action.clone()),
        cursor: Some(f.cursor.clone()),
        ..Default::default()
    };
    let (items, next, error) = match s.app.list_audit(&u.ctx, &q).await {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(AppError::Validation(_)) => (Vec::new(), None, Some(u.tr().t_error("invalid_query"))),
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let next_url = next.map(|c| {
        format!(
            "/admin/audit?entity={}&actor={}&action={}&from={}&to={}&cursor={}",
            crate::shell::encode_component(&f.entity),
            crate::shell::encode_component(&f.actor),
            crate::shell::encode_component(&f.action),
            crate::shell::encode_component(&f.from),
            crate::shell::encode_component(&f.to),
            c
        )
    });
    AuditPage {
        shell: u.shell,
        items,
        q: f,
        next_url,
        error,
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "network/org_units.html")]
pub struct OrgUnitsPage {
    pub shell: Shell,
    pub units: Vec<OrgUnitView>,
    pub kinds: Vec<Choice>,
    pub parents: Vec<Choice>,
    pub can_manage: bool,
    pub form: OrgForm,
    pub errors: FormErrors,
    /// Each unit's covered regions and overlaps (units without regions are absent).
    pub coverage: std::collections::BTreeMap<aftersales_domain::OrgUnitId, UnitCoverageSummary>,
    /// The place asked about in "who serves here", as typed.
    pub region: String,
    pub covering: Option<CoveringView>,
    pub covering_error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct OrgForm {
    pub parent_id: String,
    pub kind: String,
    pub code: String,
    pub name: String,
}

impl OrgUnitsPage {
    pub fn kind_label(&self, k: &OrgUnitKind) -> String {
        self.shell.tr.t_dyn(&format!("org_kind.{}", k.as_str()))
    }

    pub fn indent(&self, depth: &i64) -> String {
        "　".repeat(usize::try_from(*depth).unwrap_or(0))
    }

    /// The unit's regions, named as short as they read (e.g. `和平区、沈河区`).
    pub fn regions_of(&self, o: &OrgUnitView) -> Vec<RegionView> {
        self.coverage
            .get(&o.id)
            .map(|c| c.regions.clone())
            .unwrap_or_default()
    }

    pub fn overlaps_of(&self, o: &OrgUnitView) -> Vec<OverlapView> {
        self.coverage
            .get(&o.id)
            .map(|c| c.overlaps.clone())
            .unwrap_or_default()
    }

    pub fn overlap_count(&self) -> usize {
        self.coverage
            .values()
            .map(|c| c.overlaps.len())
            .sum::<usize>()
            / 2
    }

    pub fn serving_title(&self, c: &CoveringView) -> String {
        self.shell.tr.f(
            "network.serving",
            &[(
                "place",
                &format!("{} {}", c.region.full_name, c.region.code),
            )],
        )
    }

    pub fn overlap_summary(&self) -> String {
        self.shell.tr.f(
            "network.overlap_summary",
            &[("n", &self.overlap_count().to_string())],
        )
    }

    pub fn overlap_text(&self, o: &OverlapView) -> String {
        crate::pages::network::coverage::overlap_text(self.shell.tr, o)
    }

    pub fn kind_name(&self, k: &str) -> String {
        self.shell.tr.t_dyn(&format!("org_kind.{k}"))
    }

    pub fn reason_text(&self, r: &aftersales_app::ReasonView) -> String {
        if self.shell.tr.lang() == "en" {
            r.en.clone()
        } else {
            r.zh.clone()
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OrgPageQuery {
    pub region: String,
}

async fn org_page(
    s: &AppState,
    u: WebUser,
    form: OrgForm,
    errors: FormErrors,
    status: StatusCode,
    region: String,
) -> Response {
    let tr = u.tr();
    let units = match all_units(s, &u).await {
        Ok(x) => x,
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let coverage = match s.app.coverage_overview(&u.ctx).await {
        Ok(x) => x,
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let (covering, covering_error) =
        crate::pages::network::coverage::covering_for_page(s, &u, &region).await;
    let page = OrgUnitsPage {
        kinds: OrgUnitKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: tr.t_dyn(&format!("org_kind.{}", k.as_str())),
            })
            .collect(),
        parents: unit_choices(&units),
        can_manage: u.actor.role.can(Permission::OrgManage),
        units,
        form,
        errors,
        coverage,
        region,
        covering,
        covering_error,
        shell: u.shell,
    };
    (status, page).into_response()
}

pub async fn org_units(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<OrgPageQuery>,
) -> Response {
    org_page(
        &s,
        u,
        OrgForm {
            kind: "station".into(),
            ..Default::default()
        },
        FormErrors::default(),
        StatusCode::OK,
        q.region,
    )
    .await
}

pub async fn create_org_unit(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<OrgForm>,
) -> Response {
    let input = NewOrgUnit {
        parent_id: Some(f.parent_id.clone()).filter(|s| !s.is_empty()),
        kind: f.kind.clone(),
        code: f.code.clone(),
        name: f.name.clone(),
    };
    match s.app.create_org_unit(&u.ctx, &input, None).await {
        Ok(_) => crate::shell::redirect("/org-units").into_response(),
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            let errors = FormErrors::from_fields(&errs, u.tr());
            org_page(
                &s,
                u,
                f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
            )
            .await
        }
        Err(e) => PageError::for_user(e, u).into_response(),
    }
}
