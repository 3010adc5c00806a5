//! Import batches: one row per import that wrote something (strict or lenient), with its
//! counts and, for lenient imports, the rejected rows so they can be downloaded later.

use crate::error::StoreError;
use crate::time;
use jiff::Timestamp;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq)]
pub struct ImportBatch {
    pub id: String,
    pub kind: String,
    pub mode: String,
    pub file_name: Option<String>,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub total_rows: i64,
    pub created_rows: i64,
    pub rejected_rows: i64,
    /// JSON: the header and each rejected row with its cells and errors.
    pub rejects_json: Option<String>,
    pub created_at: Timestamp,
}

#[derive(FromRow)]
struct Row {
    id: String,
    kind: String,
    mode: String,
    file_name: Option<String>,
    actor_id: Option<String>,
    actor_name: String,
    total_rows: i64,
    created_rows: i64,
    rejected_rows: i64,
    rejects_json: Option<String>,
    created_at: String,
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    b: &ImportBatch,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO import_batches (id, kind, mode, file_name, actor_id, actor_name, total_rows, created_rows, \
         rejected_rows, rejects_json, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&b.id)
    .bind(&b.kind)
    .bind(&b.mode)
    .bind(b.file_name.clone())
    .bind(b.actor_id.clone())
    .bind(&b.actor_name)
    .bind(b.total_rows)
    .bind(b.created_rows)
    .bind(b.rejected_rows)
    .bind(b.rejects_json.clone())
    .bind(time::to_db(b.created_at)?)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<ImportBatch, StoreError> {
    let r: Row = sqlx::query_as(
        "SELECT id, kind, mode, file_name, actor_id, actor_name, total_rows, created_rows, rejected_rows, \
         rejects_json, created_at FROM import_batches WHERE id = $1",
    )
    .bind(id)
    .fetch_one(e)
    .await?;
    Ok(ImportBatch {
        created_at: time::from_db("import_batches.created_at", &r.created_at)?,
        id: r.id,
        kind: r.kind,
        mode: r.mode,
        file_name: r.file_name,
        actor_id: r.actor_id,
        actor_name: r.actor_name,
        total_rows: r.total_rows,
        created_rows: r.created_rows,
        rejected_rows: r.rejected_rows,
        rejects_json: r.rejects_json,
    })
}
