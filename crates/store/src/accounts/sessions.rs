//! Web sessions and API login tokens. The secret lives only with the client; the table
//! keeps its SHA-256, so a leaked backup cannot be replayed.

use crate::error::StoreError;
use crate::time;
use aftersales_domain::UserId;
use jiff::Timestamp;
use sqlx::{Any, Executor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id_hash: &str,
    user_id: UserId,
    kind: SessionKind,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sessions (id_hash, user_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id_hash)
        .bind(user_id.to_string())
        .bind(kind.as_str())
        .bind(time::to_db(now)?)
        .bind(time::to_db(expires_at)?)
        .execute(e)
        .await?;
    Ok(())
}

/// The user of a live session of this kind.
pub async fn user_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id_hash: &str,
    kind: SessionKind,
    now: Timestamp,
) -> Result<Option<UserId>, StoreError> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT user_id FROM sessions WHERE id_hash = $1 AND kind = $2 AND expires_at > $3",
    )
    .bind(id_hash)
    .bind(kind.as_str())
    .bind(time::to_db(now)?)
    .fetch_optional(e)
    .await?;
    id.map(|s| {
        s.parse()
            .map_err(|_| crate::error::corrupt("sessions.user_id", s))
    })
    .transpose()
}

pub async fn delete<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id_hash: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(e)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Ends every session of a user (disabled account, password reset).
pub async fn delete_for_user<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: UserId,
) -> Result<u64, StoreError> {
    let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id.to_string())
        .execute(e)
        .await?;
    Ok(r.rows_affected())
}

/// Ends every session and login token of a user except the one whose hash is `keep`
/// (the caller's own, when they change their password). Returns the kinds ended, one
/// entry per session, for the audit.
pub async fn delete_for_user_except<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: UserId,
    keep: Option<&str>,
) -> Result<Vec<SessionKind>, StoreError> {
    let kinds: Vec<String> = sqlx::query_scalar(
        "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2 RETURNING kind",
    )
    .bind(user_id.to_string())
    .bind(keep.unwrap_or(""))
    .fetch_all(e)
    .await?;
    kinds
        .into_iter()
        .map(|k| match k.as_str() {
            "web" => Ok(SessionKind::Web),
            "api" => Ok(SessionKind::Api),
            _ => Err(crate::error::corrupt("sessions.kind", k)),
        })
        .collect()
}

pub async fn delete_expired<'e, E: Executor<'e, Database = Any>>(
    e: E,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(time::to_db(now)?)
        .execute(e)
        .await?;
    Ok(r.rows_affected())
}
