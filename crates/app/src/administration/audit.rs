//! Writing and reading the audit trail.

use crate::{AppError, Ctx, Page, cursor};
use aftersales_domain::Permission;
use aftersales_store::{Tx, administration::audit as store};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A record as the audit trail keeps it (its view, serialized). Our views serialize without
/// fail today; should one ever fail, the change is refused rather than written without its
/// audit row.
pub(crate) fn audit_value(view: &impl Serialize) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(view).map_err(|e| AppError::Internal(format!("audit snapshot: {e}")))
}

impl crate::App {
    /// Records one change in the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn audit(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        entity: &str,
        entity_id: &str,
        action: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), AppError> {
        let (actor_id, actor_name) = ctx.audit_actor();
        let entry = store::AuditEntry {
            id: uuid::Uuid::now_v7(),
            at: self.now(),
            actor_id,
            actor_name,
            entity: entity.to_owned(),
            entity_id: entity_id.to_owned(),
            action: action.to_owned(),
            before,
            after,
            request_id: ctx.request_id.clone(),
        };
        store::append(tx.conn(), &entry).await?;
        Ok(())
    }

    pub async fn list_audit(&self, ctx: &Ctx, q: &AuditQuery) -> Result<Page<AuditView>, AppError> {
        ctx.require(Permission::AuditRead)?;
        let limit = cursor::limit(q.limit)?;
        let after = cursor::decode(q.cursor.as_deref())?;
        let mut errs = aftersales_domain::FieldErrors::new();
        for (field, t) in [("from", q.from), ("to", q.to)] {
            if let Some(t) = t {
                errs.take(aftersales_domain::bounds::check_instant(field, t));
            }
        }
        errs.into_result()?;
        let f = store::AuditFilter {
            entity: q.entity.clone().filter(|s| !s.is_empty()),
            entity_id: q.entity_id.clone().filter(|s| !s.is_empty()),
            actor: q.actor.clone().filter(|s| !s.is_empty()),
            action: q.action.clone().filter(|s| !s.is_empty()),
            from: q.from,
            to: q.to,
        };
        let page = store::list(self.db.pool(), &f, after.as_deref(), limit).await?;
        Ok(Page {
            items: page.items.into_iter().map(AuditView::from).collect(),
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }
}

/// Filters of the audit list; all optional.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Kind of record, e.g. `user`, `org_unit`.
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// User name or user id of the actor.
    pub actor: Option<String>,
    /// e.g. `create`, `update`, `login`.
    pub action: Option<String>,
    /// From this instant (inclusive, RFC 3339; years 2000–2100).
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[param(value_type = Option<String>, format = DateTime, pattern = r"^(20[0-9]{2}|2100)-")]
    #[serde(default, deserialize_with = "crate::schema::bounded_instant")]
    pub from: Option<Timestamp>,
    /// Until this instant (exclusive, RFC 3339; years 2000–2100).
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[param(value_type = Option<String>, format = DateTime, pattern = r"^(20[0-9]{2}|2100)-")]
    #[serde(default, deserialize_with = "crate::schema::bounded_instant")]
    pub to: Option<Timestamp>,
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditView {
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
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

impl From<store::AuditEntry> for AuditView {
    fn from(a: store::AuditEntry) -> Self {
        AuditView {
            id: a.id.to_string(),
            at: a.at,
            actor_id: a.actor_id,
            actor_name: a.actor_name,
            entity: a.entity,
            entity_id: a.entity_id,
            action: a.action,
            before: a.before,
            after: a.after,
            request_id: a.request_id,
        }
    }
}
