//! The caller's own account: password and personal API tokens.

use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::shell::{FormErrors, PageError, Shell, WebUser};
use aftersales_app::{AppError, NewToken, TokenView};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "accounts/password.html")]
pub struct PasswordPage {
    pub shell: Shell,
    pub errors: FormErrors,
    /// The password was just changed (the other sessions and the tokens ended).
    pub changed: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordQuery {
    changed: Option<String>,
}

pub async fn password_form(u: WebUser, Query(q): Query<PasswordQuery>) -> Response {
    PasswordPage {
        shell: u.shell,
        errors: FormErrors::default(),
        changed: q.changed.is_some(),
    }
    .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    match s
        .app
        .change_own_password(&u.ctx, &f.current_password, &f.new_password, Some(&u.token))
        .await
    {
        // Every other session and token of the account ended; this one goes on.
        Ok(()) => Ok(crate::shell::redirect("/me/password?changed=1").into_response()),
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            let errors = FormErrors::from_fields(&errs, u.tr());
            let page = PasswordPage {
                shell: u.shell,
                errors,
                changed: false,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/tokens.html")]
pub struct TokensPage {
    pub shell: Shell,
    pub tokens: Vec<TokenView>,
    pub created: Option<NewToken>,
    pub errors: FormErrors,
    pub name: String,
}

async fn tokens_page(
    s: &AppState,
    u: WebUser,
    created: Option<NewToken>,
    errors: FormErrors,
    name: String,
) -> Result<Response, PageError> {
    let tokens = s.app.list_tokens(&u.ctx).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = TokensPage {
        shell: u.shell,
        tokens,
        created,
        errors,
        name,
    };
    Ok((status, page).into_response())
}

pub async fn tokens(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    tokens_page(&s, u, None, FormErrors::default(), String::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    name: String,
    expires_in_days: String,
}

pub async fn create_token(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    let days = match f.expires_in_days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let e = aftersales_domain::FieldError::new("expires_in_days", "out_of_range")
                    .with("min", 1)
                    .with("max", 3650);
                let errors = FormErrors::from_fields(&e.into(), u.tr());
                return tokens_page(&s, u, None, errors, f.name).await;
            }
        },
    };
    match s.app.create_token(&u.ctx, &f.name, days).await {
        Ok(t) => tokens_page(&s, u, Some(t), FormErrors::default(), String::new()).await,
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            let errors = FormErrors::from_fields(&errs, u.tr());
            tokens_page(&s, u, None, errors, f.name).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("token").into());
    };
    s.app.revoke_token(&u.ctx, id).await?;
    Ok(crate::shell::redirect("/me/tokens").into_response())
}
