//! Secrets of the server shared by every app node (the key that binds CSRF tokens to
//! sessions). Created once, by whichever node needs one first; never shown.

use crate::error::StoreError;
use crate::time;
use jiff::Timestamp;
use sqlx::{Any, AnyConnection};

/// The secret named `name`: the stored one, or `candidate`, stored now, if there is none
/// yet. Two nodes racing both get the one stored first.
pub async fn get_or_create(
    c: &mut AnyConnection,
    name: &str,
    candidate: &str,
    now: Timestamp,
) -> Result<String, StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(candidate)
    .bind(time::to_db(now)?)
    .execute(&mut *c)
    .await?;
    let v: String =
        sqlx::query_scalar::<Any, String>("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *c)
            .await?;
    Ok(v)
}
