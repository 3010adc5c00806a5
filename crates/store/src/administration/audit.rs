//! The audit trail (R-REC-1): who did what to which record, when, with a before/after
//! summary. Rows are only ever inserted; the schema's triggers refuse UPDATE and DELETE on
//! both backends, so no code path can rewrite history.

use crate::Page;
use crate::error::{StoreError, corrupt};
use crate::time;
use jiff::Timestamp;
use sqlx::{Any, Executor, FromRow};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: Timestamp,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}

#[derive(FromRow)]
struct Row {
    id: String,
    at: String,
    actor_id: Option<String>,
    actor_name: String,
    entity: String,
    entity_id: String,
    action: String,
    before_json: Option<String>,
    after_json: Option<String>,
    request_id: Option<String>,
}

impl TryFrom<Row> for AuditEntry {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let json = |col: &'static str, s: Option<String>| {
            s.map(|s| serde_json::from_str(&s).map_err(|_| corrupt(col, s)))
                .transpose()
        };
        Ok(AuditEntry {
            id: r.id.parse().map_err(|_| corrupt("audit_log.id", &r.id))?,
            at: time::from_db("audit_log.at", &r.at)?,
            before: json("audit_log.before_json", r.before_json)?,
            after: json("audit_log.after_json", r.after_json)?,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            entity: r.entity,
            entity_id: r.entity_id,
            action: r.action,
            request_id: r.request_id,
        })
    }
}

pub async fn append<'e, E: Executor<'e, Database = Any>>(
    e: E,
    a: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_id, actor_name, entity, entity_id, action, before_json, after_json, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(a.id.to_string())
    .bind(time::to_db(a.at)?)
    .bind(a.actor_id.clone())
    .bind(&a.actor_name)
    .bind(&a.entity)
    .bind(&a.entity_id)
    .bind(&a.action)
    .bind(a.before.as_ref().map(|v| v.to_string()))
    .bind(a.after.as_ref().map(|v| v.to_string()))
    .bind(a.request_id.clone())
    .execute(e)
    .await?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// Newest first, continuing before `before_id` (ids are time-ordered UUIDv7).
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &AuditFilter,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Page<AuditEntry>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, at, actor_id, actor_name, entity, entity_id, action, before_json, after_json, request_id \
         FROM audit_log \
         WHERE ($1 IS NULL OR entity = $1) AND ($2 IS NULL OR entity_id = $2) \
           AND ($3 IS NULL OR actor_name = $3 OR actor_id = $3) AND ($4 IS NULL OR action = $4) \
           AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6) AND ($7 IS NULL OR id < $7) \
         ORDER BY id DESC LIMIT $8",
    )
    .bind(f.entity.clone())
    .bind(f.entity_id.clone())
    .bind(f.actor.clone())
    .bind(f.action.clone())
    .bind(f.from.map(time::to_db).transpose()?)
    .bind(f.to.map(time::to_db).transpose()?)
    .bind(before_id.map(str::to_owned))
    .bind(limit + 1)
    .fetch_all(e)
    .await?;
    let items = rows
        .into_iter()
        .map(TryInto::try_into)
        .collect::<Result<Vec<AuditEntry>, _>>()?;
    Ok(Page::from_rows(items, limit, |a| a.id.to_string()))
}

/// Appends many entries in a few statements (an import's records).
pub async fn append_many(
    conn: &mut sqlx::AnyConnection,
    entries: &[AuditEntry],
) -> Result<(), StoreError> {
    use crate::bulk::{self, Val};
    bulk::insert_rows(
        conn,
        "audit_log",
        &[
            "id",
            "at",
            "actor_id",
            "actor_name",
            "entity",
            "entity_id",
            "action",
            "before_json",
            "after_json",
            "request_id",
        ],
        entries
            .iter()
            .map(|a| -> Result<Vec<Val>, StoreError> {
                Ok(vec![
                    Val::text(a.id.to_string()),
                    Val::text(time::to_db(a.at)?),
                    Val::Text(a.actor_id.clone()),
                    Val::text(&a.actor_name),
                    Val::text(&a.entity),
                    Val::text(&a.entity_id),
                    Val::text(&a.action),
                    Val::Text(a.before.as_ref().map(|v| v.to_string())),
                    Val::Text(a.after.as_ref().map(|v| v.to_string())),
                    Val::Text(a.request_id.clone()),
                ])
            })
            .collect::<Result<Vec<_>, _>>()?,
    )
    .await?;
    Ok(())
}
