//! Writing and reading the audit trail (docs/operations.md, "The audit trail").
//!
//! Two readers: the audit API (`list_audit`, the rows as written, for tools and exports),
//! and the trail page (`audit_trail`), which reads like sentences: who did what to which
//! record, by its number and name, with the fields that changed. The page merges in the
//! service event log, where the changes of requests and work orders are kept.

use crate::{AppError, Ctx, Page, RequestEventView, cursor};
use aftersales_domain::audit::{AuditAction, AuditEntity, is_internal_field};
use aftersales_domain::{Permission, Role};
use aftersales_store::{Tx, administration::audit as store};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
        entity: AuditEntity,
        entity_id: &str,
        action: AuditAction,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), AppError> {
        let (actor_id, actor_name) = ctx.audit_actor();
        let entry = store::AuditEntry {
            id: uuid::Uuid::now_v7(),
            at: self.now(),
            actor_id,
            actor_name,
            entity,
            entity_id: entity_id.to_owned(),
            action,
            before,
            after,
            request_id: ctx.request_id.clone(),
        };
        store::append(tx.conn(), &entry).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_audit(&self, ctx: &Ctx, q: &AuditQuery) -> Result<Page<AuditView>, AppError> {
        ctx.require(Permission::AuditRead)?;
        let limit = cursor::limit(q.limit)?;
        let after = cursor::decode(q.cursor.as_deref())?;
        check_instants(q.from, q.to)?;
        // A name outside the vocabulary matches no row (the schema holds none): an empty
        // page, as the API always answered for it.
        let named = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        let entity = match named(&q.entity) {
            None => None,
            Some(e) => match AuditEntity::parse(&e) {
                Some(e) => Some(e),
                None => return Ok(nothing()),
            },
        };
        let action = match named(&q.action) {
            None => None,
            Some(a) => match AuditAction::parse(&a) {
                Some(a) => Some(a),
                None => return Ok(nothing()),
            },
        };
        let f = store::AuditFilter {
            entity,
            entity_id: named(&q.entity_id),
            actor: named(&q.actor),
            action,
            from: q.from,
            to: q.to,
            hide_sign_ins: false,
            org_path_prefix: None,
        };
        let page = store::list(self.db.pool(), &f, after.as_deref(), limit).await?;
        Ok(Page {
            items: page.items.into_iter().map(AuditView::from).collect(),
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }

    /// The trail as the audit page reads it, newest first: the audit rows and the service
    /// event log merged by time (both keep time-ordered ids), each entry with the actor's
    /// name, the record's number and name, and the fields that changed. Two queries a page,
    /// whatever it holds.
    #[tracing::instrument(skip_all)]
    pub async fn audit_trail(
        &self,
        ctx: &Ctx,
        q: &TrailQuery,
    ) -> Result<Page<TrailEntry>, AppError> {
        let scope = self.audit_scope(ctx)?;
        if scope.is_some() && q.kind.is_some_and(|k| !k.in_unit_scope()) {
            return Ok(nothing());
        }
        let limit = cursor::limit(q.limit)?;
        let after = cursor::decode(q.cursor.as_deref())?;
        check_instants(q.from, q.to)?;
        let actor = q.actor.clone().filter(|s| !s.trim().is_empty());
        let pool = self.db.pool();
        let mut items: Vec<TrailEntry> = Vec::new();
        if q.kind.is_none_or(|k| !k.in_event_log()) {
            let f = store::AuditFilter {
                entity: q.kind,
                actor: actor.clone(),
                from: q.from,
                to: q.to,
                hide_sign_ins: q.hide_sign_ins,
                org_path_prefix: scope.clone(),
                ..Default::default()
            };
            let rows = store::trail(pool, &f, after.as_deref(), limit + 1).await?;
            for r in rows {
                items.push(TrailEntry::from_audit(r)?);
            }
        }
        if q.kind.is_none_or(AuditEntity::in_event_log) {
            let f = store::EventFilter {
                actor,
                from: q.from,
                to: q.to,
                of_work_orders: q.kind.map(|k| k == AuditEntity::WorkOrder),
                org_path_prefix: scope,
            };
            let rows = store::service_events(pool, &f, after.as_deref(), limit + 1).await?;
            for r in rows {
                items.push(TrailEntry::from_event(r)?);
            }
        }
        items.sort_by(|a, b| b.id.cmp(&a.id));
        let limit = usize::try_from(limit).unwrap_or(0);
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|e| cursor::encode(&e.id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}

impl crate::App {
    /// Which part of the trail the caller reads: all of it (`None`: admins, `AuditRead`),
    /// or the records of their own subtree (`Some(path)`: managers, `AuditReadUnits`).
    fn audit_scope(&self, ctx: &Ctx) -> Result<Option<String>, AppError> {
        if ctx.require(Permission::AuditRead).is_ok() {
            return Ok(None);
        }
        ctx.require(Permission::AuditReadUnits)?;
        match ctx.actor() {
            Some(a) => a.org_path.clone().map(Some).ok_or(AppError::Forbidden),
            None => Err(AppError::Forbidden),
        }
    }

    /// The kinds of record the caller may filter the trail by (the page's choices).
    pub fn audit_kinds(&self, ctx: &Ctx) -> Result<Vec<AuditEntity>, AppError> {
        Ok(match self.audit_scope(ctx)? {
            None => AuditEntity::ALL.to_vec(),
            Some(_) => AuditEntity::IN_UNIT_SCOPE.to_vec(),
        })
    }

    /// Whether the caller reads the whole trail (and may export it), not only their
    /// subtree's.
    pub fn reads_whole_audit(&self, ctx: &Ctx) -> bool {
        ctx.require(Permission::AuditRead).is_ok()
    }
}

/// The page of a filter that cannot match.
fn nothing<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        next_cursor: None,
    }
}

fn check_instants(from: Option<Timestamp>, to: Option<Timestamp>) -> Result<(), AppError> {
    let mut errs = aftersales_domain::FieldErrors::new();
    for (field, t) in [("from", from), ("to", to)] {
        if let Some(t) = t {
            errs.take(aftersales_domain::bounds::check_instant(field, t));
        }
    }
    errs.into_result()?;
    Ok(())
}

/// Filters of the audit list; all optional.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Kind of record, one of the names of `AuditEntityName`, e.g. `user`, `org_unit` (a
    /// name outside the list matches nothing, so it is not refused).
    #[param(value_type = Option<String>)]
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// User name or user id of the actor.
    pub actor: Option<String>,
    /// One of the names of `AuditActionName`, e.g. `create`, `update`, `login` (a name
    /// outside the list matches nothing, so it is not refused).
    #[param(value_type = Option<String>)]
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
    #[schema(value_type = AuditEntityName)]
    pub entity: AuditEntity,
    pub entity_id: String,
    #[schema(value_type = AuditActionName)]
    pub action: AuditAction,
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

/// The kinds of records of the audit trail (the domain's `AuditEntity`).
pub struct AuditEntityName;

impl utoipa::PartialSchema for AuditEntityName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::schema::text_enum(
            "The kind of record an audit entry is about.",
            AuditEntity::ALL.iter().map(|k| k.as_str()),
        )
    }
}

impl utoipa::ToSchema for AuditEntityName {}

/// What an audit entry says was done (the domain's `AuditAction`).
pub struct AuditActionName;

impl utoipa::PartialSchema for AuditActionName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::schema::text_enum(
            "What was done to the record.",
            AuditAction::ALL.iter().map(|k| k.as_str()),
        )
    }
}

impl utoipa::ToSchema for AuditActionName {}

/// What the trail page asks for; all optional but `hide_sign_ins`.
#[derive(Debug, Default, Clone)]
pub struct TrailQuery {
    /// One kind of record; `service_request` and `work_order` read the service event log.
    pub kind: Option<AuditEntity>,
    /// The actor's user name, display name or user id.
    pub actor: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Leaves out signing in and out.
    pub hide_sign_ins: bool,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Who did it: a person (by display name when the account still exists) or the system.
#[derive(Debug, Clone)]
pub struct TrailActor {
    pub user_id: Option<String>,
    /// The person's role, when the account exists.
    pub role: Option<Role>,
    /// The display name, else the user name as written then; empty for the system.
    pub name: String,
    /// The system (a job, the SLA ladder, the demo loader) rather than a person.
    pub system: bool,
}

/// Which record: its kind, id (for the link) and, when known, its number or code and name.
#[derive(Debug, Clone)]
pub struct TrailSubject {
    pub kind: AuditEntity,
    pub id: String,
    pub code: Option<String>,
    pub name: Option<String>,
    /// The English name of a record that keeps one (a calendar).
    pub name_en: Option<String>,
    /// For a work order: its request (the page the link opens).
    pub request_id: Option<String>,
}

/// One field that changed: its name in the record's snapshot, the value before (absent for
/// a field that was not there) and after.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// What was done.
#[derive(Debug, Clone)]
pub enum TrailDeed {
    /// An entry of the audit trail, with the fields it changed.
    Audit {
        action: AuditAction,
        changes: Vec<FieldChange>,
    },
    /// An entry of a request's event log (the page words it as the request's timeline does).
    Event(Box<RequestEventView>),
}

#[derive(Debug, Clone)]
pub struct TrailEntry {
    pub id: String,
    pub at: Timestamp,
    pub actor: TrailActor,
    pub subject: TrailSubject,
    pub deed: TrailDeed,
}

impl TrailEntry {
    fn from_audit(l: store::Listed) -> Result<TrailEntry, AppError> {
        let a = l.entry;
        let role = stored_role(l.actor_role)?;
        // A record that is gone (or never had a row: a calendar day) is named by the
        // entry's own snapshot.
        let snap = |keys: &[&str]| -> Option<String> {
            [a.after.as_ref(), a.before.as_ref()]
                .into_iter()
                .flatten()
                .find_map(|v| {
                    keys.iter()
                        .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_owned))
                })
        };
        // A user is named by their login; anything else that mentions one (a certificate
        // without a number names its holder's login) by its own fields.
        let code = l
            .subject
            .code
            .or_else(|| snap(&["number", "code", "serial"]))
            .or_else(|| {
                (a.entity == AuditEntity::User)
                    .then(|| snap(&["username"]))
                    .flatten()
            });
        let name = l
            .subject
            .name
            .or_else(|| snap(&["name", "display_name", "label", "file_name", "product_line"]));
        // A creation is its record (named in the sentence); a sign-in changes no record.
        let changes = if matches!(a.action, AuditAction::Create | AuditAction::Import)
            || a.action.is_sign_in()
        {
            Vec::new()
        } else {
            field_changes(a.before.as_ref(), a.after.as_ref())
        };
        Ok(TrailEntry {
            id: a.id.to_string(),
            at: a.at,
            actor: TrailActor {
                role,
                system: a.actor_id.is_none(),
                name: match (&a.actor_id, l.actor_display) {
                    (None, _) => String::new(),
                    (Some(_), Some(d)) => d,
                    (Some(_), None) => a.actor_name,
                },
                user_id: a.actor_id,
            },
            subject: TrailSubject {
                kind: a.entity,
                id: a.entity_id,
                code,
                name,
                name_en: l.subject.name_en,
                request_id: None,
            },
            deed: TrailDeed::Audit {
                action: a.action,
                changes,
            },
        })
    }

    fn from_event(e: store::ServiceEvent) -> Result<TrailEntry, AppError> {
        let role = stored_role(e.actor_role)?;
        let change = e.event.status_change();
        let view = RequestEventView {
            id: e.id.clone(),
            at: e.at,
            actor_id: e.actor_id.clone(),
            actor_name: e.actor_name.clone(),
            kind: e.event.kind(),
            work_order_id: e.work_order_id.clone(),
            // The trail names the work order as the entry's record; its timeline words
            // need not say it again.
            work_order_number: None,
            from_status: change.and_then(|c| c.from_text()),
            to_status: change.map(|c| c.to_text()),
            data: None,
            latitude: None,
            longitude: None,
            event: e.event,
        };
        let subject = match (e.work_order_id, e.work_order_number) {
            (Some(id), number) => TrailSubject {
                kind: AuditEntity::WorkOrder,
                id,
                code: number,
                name: e.customer_name,
                name_en: None,
                request_id: Some(e.request_id),
            },
            (None, _) => TrailSubject {
                kind: AuditEntity::ServiceRequest,
                id: e.request_id.clone(),
                code: Some(e.request_number),
                name: e.customer_name,
                name_en: None,
                request_id: Some(e.request_id),
            },
        };
        Ok(TrailEntry {
            id: e.id,
            at: e.at,
            actor: TrailActor {
                role,
                system: e.actor_id.is_none(),
                name: match (&e.actor_id, e.actor_display) {
                    (None, _) => String::new(),
                    (Some(_), Some(d)) => d,
                    (Some(_), None) => e.actor_name,
                },
                user_id: e.actor_id,
            },
            subject,
            deed: TrailDeed::Event(Box::new(view)),
        })
    }
}

/// A role read back from `users.role`, whose CHECK holds the vocabulary: another name is a
/// fault, not a guess.
fn stored_role(r: Option<String>) -> Result<Option<Role>, AppError> {
    r.map(|r| {
        Role::parse(&r).ok_or_else(|| AppError::Internal(format!("stored role {r:?} unreadable")))
    })
    .transpose()
}

/// The fields of a snapshot that differ between `before` and `after`, by field name
/// (`after`'s, then those only `before` had), leaving out internal ones (ids, versions, stamps,
/// secrets: `is_internal_field`). A snapshot that is not an object changes nothing here.
pub fn field_changes(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
    keys.filter(|k| !is_internal_field(k))
        .filter_map(|k| {
            let (old, new) = (
                b.get(k).filter(|v| !v.is_null()),
                a.get(k).filter(|v| !v.is_null()),
            );
            (old != new).then(|| FieldChange {
                field: k.clone(),
                before: old.cloned(),
                after: new.cloned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_fields_that_changed_and_no_internal_ones() {
        let before = json!({"name": "王伟", "phone": "139", "version": 1, "org_unit_id": "a", "notes": null});
        let after = json!({"name": "王伟", "phone": "138", "version": 2, "org_unit_id": "b", "notes": "", "kind": "company"});
        let c = field_changes(Some(&before), Some(&after));
        let fields: Vec<&str> = c.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["kind", "notes", "phone"], "by field name");
        assert_eq!(c[2].before, Some(json!("139")));
        assert_eq!(c[2].after, Some(json!("138")));
        assert_eq!(c[1].before, None, "null reads as absent");
        assert_eq!(c[0].before, None);
    }

    #[test]
    fn a_field_only_before_is_a_removal_and_non_objects_change_nothing() {
        let c = field_changes(Some(&json!({"tier": "gold"})), Some(&json!({})));
        assert_eq!(
            c,
            [FieldChange {
                field: "tier".into(),
                before: Some(json!("gold")),
                after: None
            }]
        );
        assert!(field_changes(Some(&json!("x")), Some(&json!([1]))).is_empty());
        assert!(field_changes(None, None).is_empty());
    }
}
