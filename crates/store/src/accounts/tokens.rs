//! Personal API tokens: named, revocable, stored as a hash plus a short visible prefix.

use crate::error::{StoreError, corrupt};
use crate::time;
use aftersales_domain::{TokenId, UserId};
use jiff::Timestamp;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(FromRow)]
struct Row {
    id: String,
    user_id: String,
    name: String,
    token_hash: String,
    prefix: String,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
}

const SELECT: &str = "SELECT id, user_id, name, token_hash, prefix, created_at, expires_at, revoked_at FROM api_tokens";

impl TryFrom<Row> for TokenRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(TokenRecord {
            id: r.id.parse().map_err(|_| corrupt("api_tokens.id", &r.id))?,
            user_id: r
                .user_id
                .parse()
                .map_err(|_| corrupt("api_tokens.user_id", &r.user_id))?,
            created_at: time::from_db("api_tokens.created_at", &r.created_at)?,
            expires_at: time::opt_from_db("api_tokens.expires_at", r.expires_at.as_deref())?,
            revoked_at: time::opt_from_db("api_tokens.revoked_at", r.revoked_at.as_deref())?,
            name: r.name,
            token_hash: r.token_hash,
            prefix: r.prefix,
        })
    }
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    t: &TokenRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at, expires_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(t.id.to_string())
    .bind(t.user_id.to_string())
    .bind(&t.name)
    .bind(&t.token_hash)
    .bind(&t.prefix)
    .bind(time::to_db(t.created_at)?)
    .bind(t.expires_at.map(time::to_db).transpose()?)
    .bind(t.revoked_at.map(time::to_db).transpose()?)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: TokenId,
) -> Result<TokenRecord, StoreError> {
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id.to_string())
        .fetch_one(e)
        .await?;
    row.try_into()
}

/// A token by hash that is neither revoked nor expired.
pub async fn find_live<'e, E: Executor<'e, Database = Any>>(
    e: E,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<TokenRecord>, StoreError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"
    )))
    .bind(token_hash)
    .bind(time::to_db(now)?)
    .fetch_optional(e)
    .await?;
    row.map(TryInto::try_into).transpose()
}

pub async fn list_for_user<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: UserId,
) -> Result<Vec<TokenRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
    )))
    .bind(user_id.to_string())
    .fetch_all(e)
    .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Marks a token revoked (kept, so the list still shows when it was revoked).
pub async fn revoke<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: TokenId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let r =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(time::to_db(now)?)
            .bind(id.to_string())
            .execute(e)
            .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn revoke_all_for_user<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: UserId,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let r = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(time::to_db(now)?)
    .bind(user_id.to_string())
    .execute(e)
    .await?;
    Ok(r.rows_affected())
}

/// Revokes every live personal token of a user except the one whose hash is `keep` (the
/// caller's own); returns the ids revoked, for the audit.
pub async fn revoke_all_for_user_except<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: UserId,
    keep: Option<&str>,
    now: Timestamp,
) -> Result<Vec<TokenId>, StoreError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND token_hash <> $3 RETURNING id",
    )
    .bind(time::to_db(now)?)
    .bind(user_id.to_string())
    .bind(keep.unwrap_or(""))
    .fetch_all(e)
    .await?;
    ids.into_iter()
        .map(|s| s.parse().map_err(|_| corrupt("api_tokens.id", s)))
        .collect()
}
