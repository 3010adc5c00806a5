//! The symptom (故障现象) and fault-cause (故障原因) catalog (migration 0008): short codes the
//! agent console and the engineer's record pick from, per product line or for all (`''`).

use crate::error::StoreError;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CodeRow {
    /// `symptom` or `cause`.
    pub kind: String,
    pub code: String,
    /// A product line, or `''` for every line.
    pub product_line: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: i64,
}

/// Active codes of a kind: those for every product line, and with `product_line` also that
/// line's own; by code.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    e: E,
    kind: &str,
    product_line: Option<&str>,
) -> Result<Vec<CodeRow>, StoreError> {
    let rows = match product_line {
        Some(line) => {
            sqlx::query_as(
                "SELECT kind, code, product_line, name_zh, name_en, active FROM catalog_codes \
                 WHERE kind = $1 AND active = 1 AND (product_line = '' OR product_line = $2) ORDER BY code",
            )
            .bind(kind)
            .bind(line)
            .fetch_all(e)
            .await?
        }
        None => {
            sqlx::query_as(
                "SELECT kind, code, product_line, name_zh, name_en, active FROM catalog_codes \
                 WHERE kind = $1 AND active = 1 ORDER BY code",
            )
            .bind(kind)
            .fetch_all(e)
            .await?
        }
    };
    Ok(rows)
}

/// One code (active or not).
pub async fn get<'e, E: Executor<'e, Database = Any>>(
    e: E,
    kind: &str,
    code: &str,
) -> Result<Option<CodeRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT kind, code, product_line, name_zh, name_en, active FROM catalog_codes WHERE kind = $1 AND code = $2",
    )
    .bind(kind)
    .bind(code)
    .fetch_optional(e)
    .await?)
}

/// Adds a code or rewrites its names, line and flag.
pub async fn upsert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    r: &CodeRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO catalog_codes (kind, code, product_line, name_zh, name_en, active) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (kind, code) DO UPDATE SET product_line = excluded.product_line, name_zh = excluded.name_zh, \
         name_en = excluded.name_en, active = excluded.active",
    )
    .bind(&r.kind)
    .bind(&r.code)
    .bind(&r.product_line)
    .bind(&r.name_zh)
    .bind(&r.name_en)
    .bind(r.active)
    .execute(e)
    .await?;
    Ok(())
}
