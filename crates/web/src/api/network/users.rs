//! Accounts, for admins (all) and managers (their unit's subtree, read only).

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery, IdempotentJson};
use crate::problem::ApiError;
use aftersales_app::{NewUser, Page, UserPatch, UserQuery, UserView};
use aftersales_domain::UserId;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

/// List users, ordered by user name.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, description = "A page of users.", body = Page<UserView>)))]
pub async fn list(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<UserQuery>,
) -> Result<Json<Page<UserView>>, ApiError> {
    Ok(Json(s.app.list_users(&c.ctx, &q).await?))
}

/// Create a user. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key (up to 200 visible ASCII characters).", min_length = 1, max_length = 200, pattern = "^[!-~]{1,200}$")),
    responses(
        (status = 201, description = "Created (or the first result of this Idempotency-Key).", body = UserView),
        (status = 409, description = "Another request with this Idempotency-Key is in progress.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(s): State<AppState>,
    c: ApiCtx,
    body: IdempotentJson<NewUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let u = s
        .app
        .create_user(&c.ctx, &body.value, body.idempotency.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(u)))
}

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "The user.", body = UserView)))]
pub async fn get(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let id: UserId = crate::api::parse_id(&id, "user")?;
    Ok(Json(s.app.get_user(&c.ctx, id).await?))
}

/// Change a user: display name, role, unit, language, disabled. `version` must be the one
/// read; a stale version is a 409 with the current one.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserPatch,
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The changed user.", body = UserView),
        (status = 409, description = "Stale `version`, or a rule refused it (e.g. the last admin).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<UserPatch>,
) -> Result<Json<UserView>, ApiError> {
    let id: UserId = crate::api::parse_id(&id, "user")?;
    Ok(Json(s.app.update_user(&c.ctx, id, &body.value).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetPassword {
    #[schema(format = Password, min_length = 8, max_length = 256, pattern = r"^[\s\S]*\S[\s\S]*$")]
    pub password: String,
}

/// Set a new password for a user; every session, login token and personal token of theirs
/// ends (except the caller's own, when admins reset their own password).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", request_body = ResetPassword,
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Done."),
        (status = 409, description = "The user changed meanwhile; retry.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn reset_password(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<ResetPassword>,
) -> Result<StatusCode, ApiError> {
    let id: UserId = crate::api::parse_id(&id, "user")?;
    s.app
        .reset_password(&c.ctx, id, &body.value.password, Some(&c.token))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
