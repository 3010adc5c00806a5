//! The users of the service network, for admins (all) and managers (their unit's subtree,
//! read only): the list, the form to create and change one, and a password reset.

use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::pages::network::org::{all_units, unit_choices};
use crate::shell::{Banner, Choice, FormErrors, PageError, Shell, WebUser};
use aftersales_app::{AppError, NewUser, UserPatch, UserQuery, UserView};
use aftersales_domain::{Locale, Permission, Role};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;

fn role_choices(tr: crate::i18n::Tr) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: tr.t_dyn(&format!("role.{r}")),
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

pub async fn users(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<UserQuery>,
) -> Result<Response, PageError> {
    let mut q = q;
    q.role = q.role.filter(|r| !r.is_empty());
    let tr = u.tr();
    let page = s.app.list_users(&u.ctx, &q).await?;
    let units = all_units(&s, &u).await?;
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
    Ok(UsersPage {
        rows,
        q: q.q.clone().unwrap_or_default(),
        role: q.role.clone().unwrap_or_default(),
        roles: role_choices(tr),
        include_disabled: q.include_disabled.unwrap_or(false),
        next_url: page.next_cursor.as_deref().map(qs),
        can_manage: u.actor.role.can(Permission::UsersManage),
        shell: u.shell,
    }
    .into_response())
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

impl UserFormPage {
    /// The languages to choose from, each named in itself, the form's own selected.
    pub fn locales(&self) -> Vec<crate::shell::Pick> {
        Locale::ALL
            .into_iter()
            .map(|l| crate::shell::Pick {
                value: l.as_str().to_owned(),
                label: l.own_name().to_owned(),
                selected: self.form.locale == l.as_str(),
            })
            .collect()
    }
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

async fn user_form_page(
    s: &AppState,
    u: WebUser,
    user: Option<UserView>,
    form: UserFormValues,
    errors: FormErrors,
    banner: Banner,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (alert, notice) = banner.split();
    let tr = u.tr();
    if !u.actor.role.can(Permission::UsersManage) {
        return Err(AppError::Forbidden.into());
    }
    let units = all_units(s, &u).await?;
    let title = match &user {
        Some(_) => tr.t_dyn("users.edit_title"),
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
    Ok((status, page).into_response())
}

pub async fn new_user(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    let form = UserFormValues {
        role: "agent".into(),
        locale: Locale::default().as_str().into(),
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
) -> Result<Response, PageError> {
    let input = NewUser {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        role: f.role.clone(),
        org_unit_id: Some(f.org_unit_id.clone()).filter(|s| !s.is_empty()),
        password: f.password.clone(),
        locale: Some(f.locale.clone()).filter(|s| !s.is_empty()),
    };
    match s.app.create_user(&u.ctx, &input, None).await {
        Ok(created) => Ok(crate::shell::redirect(&format!(
            "/admin/users/{}?created=1",
            created.id
        ))
        .into_response()),
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
        Err(e) => Err(e.into()),
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
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("user").into());
    };
    if !u.actor.role.can(Permission::UsersManage) {
        return Err(AppError::Forbidden.into());
    }
    let user = s.app.get_user(&u.ctx, id).await?;
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
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("user").into());
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
        Ok(_) => Ok(crate::shell::redirect(&format!("/admin/users/{id}?saved=1")).into_response()),
        Err(
            e @ (AppError::Validation(_)
            | AppError::FieldConflict(_)
            | AppError::StaleVersion { .. }
            | AppError::Conflict(_)),
        ) => {
            let current = s.app.get_user(&u.ctx, id).await?;
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
        Err(e) => Err(e.into()),
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
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("user").into());
    };
    match s
        .app
        .reset_password(&u.ctx, id, &f.password, Some(&u.token))
        .await
    {
        Ok(()) => Ok(crate::shell::redirect(&format!("/admin/users/{id}?reset=1")).into_response()),
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            let errors = FormErrors::from_fields(&errs, u.tr());
            let user = s.app.get_user(&u.ctx, id).await?;
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
        Err(e) => Err(e.into()),
    }
}
