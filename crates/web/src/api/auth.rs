//! Signing in and out, the caller's own account and personal API tokens.

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson};
use crate::problem::ApiError;
use crate::request::request_id_of;
use aftersales_app::{NewToken, TokenView, UserView};
use aftersales_domain::TokenId;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    #[schema(format = Password)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

/// Sign in and get a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in.", body = LoginResponse),
        (status = 401, description = "Wrong user name or password.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts for this user name or from this address; see Retry-After.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(s): State<AppState>,
    parts: Parts,
    body: AppJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let rid = request_id_of(&parts.headers);
    let client = crate::client::client_ip(&parts, s.cfg.client_ip_header.as_deref());
    let out = s
        .app
        .login(
            &body.value.username,
            &body.value.password,
            false,
            client,
            rid,
        )
        .await?;
    Ok(Json(LoginResponse {
        token: out.token,
        expires_at: out.expires_at,
    }))
}

/// Sign out: the bearer token used for this request stops working (login tokens only;
/// personal tokens are revoked with DELETE /api/v1/me/tokens/{id}).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out.")))]
pub async fn logout(State(s): State<AppState>, c: ApiCtx) -> Result<StatusCode, ApiError> {
    s.app.logout(&c.ctx, &c.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, description = "The signed-in user.", body = UserView)))]
pub async fn me(State(s): State<AppState>, c: ApiCtx) -> Result<Json<UserView>, ApiError> {
    Ok(s.app.me(&c.ctx).await.map(Json)?)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePassword {
    #[schema(format = Password)]
    pub current_password: String,
    #[schema(format = Password, min_length = 8, max_length = 256, pattern = r"^[\s\S]*\S[\s\S]*$")]
    pub new_password: String,
}

/// Change the caller's own password: every other session, login token and personal token
/// of the account ends; the token of this request stays valid.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = ChangePassword,
    responses((status = 204, description = "Changed.")))]
pub async fn change_password(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<ChangePassword>,
) -> Result<StatusCode, ApiError> {
    s.app
        .change_own_password(
            &c.ctx,
            &body.value.current_password,
            &body.value.new_password,
            Some(&c.token),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
    /// Always null: the list is short and comes whole.
    pub next_cursor: Option<String>,
}

/// The caller's personal API tokens (without their secrets).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth",
    responses((status = 200, description = "Tokens, newest first.", body = TokenList)))]
pub async fn list_tokens(
    State(s): State<AppState>,
    c: ApiCtx,
) -> Result<Json<TokenList>, ApiError> {
    let items = s.app.list_tokens(&c.ctx).await?;
    Ok(Json(TokenList {
        items,
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateToken {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// 1–3650 days; absent for a token without end.
    #[serde(default, deserialize_with = "aftersales_app::schema::opt_int")]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i64>,
}

/// Create a personal API token. The secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "auth", request_body = CreateToken,
    responses((status = 201, description = "Created; `secret` is shown this once.", body = NewToken)))]
pub async fn create_token(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<CreateToken>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let t = s
        .app
        .create_token(&c.ctx, &body.value.name, body.value.expires_in_days)
        .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Revoke one of the caller's personal tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "auth",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 200, description = "Revoked (also when it already was).", body = TokenView)))]
pub async fn revoke_token(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<TokenView>, ApiError> {
    let id: TokenId = crate::api::parse_id(&id, "token")?;
    Ok(Json(s.app.revoke_token(&c.ctx, id).await?))
}
