//! The audit trail (R-REC-1): who did what to which record, when, with a before/after
//! summary. Rows are only ever inserted; the schema's triggers refuse UPDATE and DELETE on
//! both backends, so no code path can rewrite history.

use crate::Page;
use crate::error::{StoreError, corrupt};
use crate::time;
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::service::RequestEvent;
use jiff::Timestamp;
use sqlx::{Any, Executor, FromRow};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: Timestamp,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub entity: AuditEntity,
    pub entity_id: String,
    pub action: AuditAction,
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
            entity: AuditEntity::parse(&r.entity)
                .ok_or_else(|| corrupt("audit_log.entity", &r.entity))?,
            action: AuditAction::parse(&r.action)
                .ok_or_else(|| corrupt("audit_log.action", &r.action))?,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            entity_id: r.entity_id,
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
    .bind(a.entity.as_str())
    .bind(&a.entity_id)
    .bind(a.action.as_str())
    .bind(a.before.as_ref().map(|v| v.to_string()))
    .bind(a.after.as_ref().map(|v| v.to_string()))
    .bind(a.request_id.clone())
    .execute(e)
    .await?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub entity: Option<AuditEntity>,
    pub entity_id: Option<String>,
    /// The actor's user name, display name or user id.
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Leaves out signing in and out (`AuditAction::SIGN_INS`).
    pub hide_sign_ins: bool,
    /// Only the records of this subtree (a materialized org path; `trail` only): the kinds
    /// of `AuditEntity::IN_UNIT_SCOPE`, each placed in the network as [`subtree_clause`]
    /// says.
    pub org_path_prefix: Option<String>,
}

impl AuditFilter {
    /// The actions left out, as SQL text literals (names of the domain's enum).
    fn hidden_actions(&self) -> String {
        let hidden: &[AuditAction] = if self.hide_sign_ins {
            AuditAction::SIGN_INS
        } else {
            &[]
        };
        let mut names: Vec<String> = hidden.iter().map(|a| format!("'{a}'")).collect();
        // `NOT IN ()` is not SQL; a name no row has stands for "none".
        names.push("''".into());
        names.join(", ")
    }
}

/// Newest first, continuing before `before_id` (ids are time-ordered UUIDv7).
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &AuditFilter,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Page<AuditEntry>, StoreError> {
    let sql = format!(
        "SELECT id, at, actor_id, actor_name, entity, entity_id, action, before_json, after_json, request_id \
         FROM audit_log \
         WHERE ($1 IS NULL OR entity = $1) AND ($2 IS NULL OR entity_id = $2) \
           AND ($3 IS NULL OR actor_name = $3 OR actor_id = $3) AND ($4 IS NULL OR action = $4) \
           AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6) AND ($7 IS NULL OR id < $7) \
           AND action NOT IN ({}) \
         ORDER BY id DESC LIMIT $8",
        f.hidden_actions()
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(f.entity.map(AuditEntity::as_str))
        .bind(f.entity_id.clone())
        .bind(f.actor.clone())
        .bind(f.action.map(AuditAction::as_str))
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

/// What the trail page shows of a record beside its kind: its human number or code and its
/// name, read from the record as it is now (absent when it is gone; the page then reads the
/// entry's own snapshot). `name_en` is the English name of a record that keeps one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subject {
    pub code: Option<String>,
    pub name: Option<String>,
    pub name_en: Option<String>,
}

/// An entry with the names the trail page shows: the actor's display name and the record's.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub entry: AuditEntry,
    pub actor_display: Option<String>,
    /// The actor's role now (`users.role`), when the account exists.
    pub actor_role: Option<String>,
    pub subject: Subject,
}

#[derive(FromRow)]
struct ListedRow {
    #[sqlx(flatten)]
    row: Row,
    actor_display: Option<String>,
    actor_role: Option<String>,
    subject_code: Option<String>,
    subject_name: Option<String>,
    subject_name_en: Option<String>,
}

/// (kind, table, alias, code column, name column).
type SubjectJoin = (
    AuditEntity,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

/// The kinds whose records are joined for their number and name: (kind, table, alias,
/// code column, name column). One LEFT JOIN each, on the kind and the id, so a page of
/// entries is read in one query whatever it holds.
const SUBJECTS: &[SubjectJoin] = &[
    (
        AuditEntity::User,
        "users",
        "s_user",
        Some("username"),
        Some("display_name"),
    ),
    (
        AuditEntity::ApiToken,
        "api_tokens",
        "s_token",
        None,
        Some("name"),
    ),
    (
        AuditEntity::OrgUnit,
        "org_units",
        "s_org",
        Some("code"),
        Some("name"),
    ),
    (
        AuditEntity::Certification,
        "certifications",
        "s_cert",
        Some("number"),
        None,
    ),
    (
        AuditEntity::Customer,
        "customers",
        "s_customer",
        Some("number"),
        Some("name"),
    ),
    (AuditEntity::Unit, "units", "s_unit", Some("serial"), None),
    (
        AuditEntity::Product,
        "product_models",
        "s_product",
        Some("code"),
        Some("name"),
    ),
    (
        AuditEntity::WarrantyPolicy,
        "warranty_policies",
        "s_policy",
        Some("code"),
        Some("name"),
    ),
    (
        AuditEntity::Contract,
        "service_contracts",
        "s_contract",
        Some("number"),
        None,
    ),
    (
        AuditEntity::SlaRule,
        "sla_rules",
        "s_rule",
        None,
        Some("name"),
    ),
    (
        AuditEntity::ImportBatch,
        "import_batches",
        "s_batch",
        None,
        Some("file_name"),
    ),
];

/// Whether the entry `a` is about a record of the subtree whose path pattern (`path/%`) is
/// the parameter `p`: a request or work order by its request's responsible unit (or the
/// order's own), a customer or unit by a request of theirs there, a certification by its
/// holder's unit, a unit of the network by its path. Other kinds are never in a subtree.
fn subtree_clause(p: &str) -> String {
    let in_subtree =
        |col: &str| format!("{col} IN (SELECT o.id FROM org_units o WHERE o.path LIKE {p})");
    let mut kinds = Vec::new();
    for k in AuditEntity::IN_UNIT_SCOPE {
        let cond = match k {
            AuditEntity::ServiceRequest => format!(
                "EXISTS (SELECT 1 FROM service_requests r WHERE r.id = a.entity_id AND {})",
                in_subtree("r.org_unit_id")
            ),
            AuditEntity::WorkOrder => format!(
                "EXISTS (SELECT 1 FROM work_orders w JOIN service_requests r ON r.id = w.request_id \
                 WHERE w.id = a.entity_id AND ({} OR {}))",
                in_subtree("r.org_unit_id"),
                in_subtree("w.org_unit_id")
            ),
            AuditEntity::Customer => format!(
                "EXISTS (SELECT 1 FROM service_requests r WHERE r.customer_id = a.entity_id AND {})",
                in_subtree("r.org_unit_id")
            ),
            AuditEntity::Unit => format!(
                "EXISTS (SELECT 1 FROM service_requests r WHERE r.unit_id = a.entity_id AND {})",
                in_subtree("r.org_unit_id")
            ),
            AuditEntity::Certification => format!(
                "EXISTS (SELECT 1 FROM certifications c JOIN users cu ON cu.id = c.user_id \
                 WHERE c.id = a.entity_id AND {})",
                in_subtree("cu.org_unit_id")
            ),
            AuditEntity::OrgUnit => in_subtree("a.entity_id"),
            _ => "1 = 0".to_owned(),
        };
        kinds.push(format!("(a.entity = '{k}' AND {cond})"));
    }
    format!("({})", kinds.join(" OR "))
}

/// Newest first, continuing before `before_id`, with the actor's display name and each
/// record's number and name (one query; `limit` rows at most).
pub async fn trail<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &AuditFilter,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Listed>, StoreError> {
    let mut joins = String::new();
    let (mut codes, mut names) = (Vec::new(), Vec::new());
    for (kind, table, alias, code, name) in SUBJECTS {
        joins.push_str(&format!(
            " LEFT JOIN {table} {alias} ON a.entity = '{kind}' AND {alias}.id = a.entity_id"
        ));
        if let Some(c) = code {
            codes.push(format!("{alias}.{c}"));
        }
        if let Some(n) = name {
            names.push(format!("{alias}.{n}"));
        }
    }
    // A unit is named by its product model; a calendar by its key, in both languages.
    joins.push_str(&format!(
        " LEFT JOIN product_models s_unit_model ON s_unit_model.id = s_unit.product_id \
          LEFT JOIN calendars s_cal ON a.entity = '{}' AND s_cal.key = a.entity_id",
        AuditEntity::Calendar
    ));
    names.push("s_unit_model.name".into());
    names.push("s_cal.name_zh".into());
    let sql = format!(
        "SELECT a.id, a.at, a.actor_id, a.actor_name, a.entity, a.entity_id, a.action, a.before_json, \
           a.after_json, a.request_id, actor.display_name AS actor_display, actor.role AS actor_role, \
           COALESCE({codes}) AS subject_code, COALESCE({names}) AS subject_name, \
           s_cal.name_en AS subject_name_en \
         FROM audit_log a LEFT JOIN users actor ON actor.id = a.actor_id{joins} \
         WHERE ($1 IS NULL OR a.entity = $1) AND ($2 IS NULL OR a.entity_id = $2) \
           AND ($3 IS NULL OR a.actor_name = $3 OR a.actor_id = $3 OR actor.display_name = $3) \
           AND ($4 IS NULL OR a.action = $4) \
           AND ($5 IS NULL OR a.at >= $5) AND ($6 IS NULL OR a.at < $6) AND ($7 IS NULL OR a.id < $7) \
           AND a.action NOT IN ({hidden}){scope} \
         ORDER BY a.id DESC LIMIT $8",
        codes = codes.join(", "),
        names = names.join(", "),
        hidden = f.hidden_actions(),
        scope = if f.org_path_prefix.is_some() {
            format!(" AND {}", subtree_clause("$9"))
        } else {
            String::new()
        },
    );
    let rows = sqlx::query_as::<_, ListedRow>(sqlx::AssertSqlSafe(sql))
        .bind(f.entity.map(AuditEntity::as_str))
        .bind(f.entity_id.clone())
        .bind(f.actor.clone())
        .bind(f.action.map(AuditAction::as_str))
        .bind(f.from.map(time::to_db).transpose()?)
        .bind(f.to.map(time::to_db).transpose()?)
        .bind(before_id.map(str::to_owned))
        .bind(limit);
    let rows: Vec<ListedRow> = match &f.org_path_prefix {
        Some(p) => rows.bind(format!("{p}%")),
        None => rows,
    }
    .fetch_all(e)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Listed {
                entry: r.row.try_into()?,
                actor_display: r.actor_display,
                actor_role: r.actor_role,
                subject: Subject {
                    code: r.subject_code,
                    name: r.subject_name,
                    name_en: r.subject_name_en,
                },
            })
        })
        .collect()
}

/// Which of the service event log's entries the trail page shows.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    /// The actor's user name, display name or user id.
    pub actor: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Only the entries of work orders (`Some(true)`), or of requests themselves
    /// (`Some(false)`).
    pub of_work_orders: Option<bool>,
    /// Only the requests (and their orders) whose responsible unit lies in this subtree.
    pub org_path_prefix: Option<String>,
}

/// An entry of a request's event log, with the numbers and names the trail page shows.
#[derive(Debug, Clone)]
pub struct ServiceEvent {
    pub id: String,
    pub at: Timestamp,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub actor_display: Option<String>,
    /// The actor's role now (`users.role`), when the account exists.
    pub actor_role: Option<String>,
    pub request_id: String,
    pub request_number: String,
    pub customer_name: Option<String>,
    pub work_order_id: Option<String>,
    pub work_order_number: Option<String>,
    pub event: RequestEvent,
}

#[derive(FromRow)]
struct ServiceEventRow {
    id: String,
    at: String,
    actor_id: Option<String>,
    actor_name: String,
    actor_display: Option<String>,
    actor_role: Option<String>,
    request_id: String,
    request_number: String,
    customer_name: Option<String>,
    work_order_id: Option<String>,
    work_order_number: Option<String>,
    kind: String,
    from_status: Option<String>,
    to_status: Option<String>,
    data: Option<String>,
}

/// The service event log newest first, continuing before `before_id` (its ids are
/// time-ordered UUIDv7 as the audit trail's are, so the two merge by id), with the request's
/// number and customer and the work order's number (one query; `limit` rows at most).
pub async fn service_events<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &EventFilter,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Vec<ServiceEvent>, StoreError> {
    let rows: Vec<ServiceEventRow> = sqlx::query_as(
        "SELECT e.id, e.at, e.actor_id, e.actor_name, actor.display_name AS actor_display, actor.role AS actor_role, \
           e.request_id, sr.number AS request_number, c.name AS customer_name, \
           e.work_order_id, wo.number AS work_order_number, e.kind, e.from_status, e.to_status, e.data \
         FROM request_events e \
         JOIN service_requests sr ON sr.id = e.request_id \
         LEFT JOIN customers c ON c.id = sr.customer_id \
         LEFT JOIN work_orders wo ON wo.id = e.work_order_id \
         LEFT JOIN users actor ON actor.id = e.actor_id \
         WHERE ($1 IS NULL OR e.actor_name = $1 OR e.actor_id = $1 OR actor.display_name = $1) \
           AND ($2 IS NULL OR e.at >= $2) AND ($3 IS NULL OR e.at < $3) \
           AND ($4 = 0 OR e.work_order_id IS NOT NULL) AND ($5 = 0 OR e.work_order_id IS NULL) \
           AND ($6 IS NULL OR e.id < $6) \
           AND ($8 IS NULL OR sr.org_unit_id IN (SELECT o.id FROM org_units o WHERE o.path LIKE $8) \
             OR wo.org_unit_id IN (SELECT o.id FROM org_units o WHERE o.path LIKE $8)) \
         ORDER BY e.id DESC LIMIT $7",
    )
    .bind(f.actor.clone())
    .bind(f.from.map(time::to_db).transpose()?)
    .bind(f.to.map(time::to_db).transpose()?)
    .bind(i64::from(f.of_work_orders == Some(true)))
    .bind(i64::from(f.of_work_orders == Some(false)))
    .bind(before_id.map(str::to_owned))
    .bind(limit)
    .bind(f.org_path_prefix.as_ref().map(|p| format!("{p}%")))
    .fetch_all(e)
    .await?;
    rows.into_iter()
        .map(|r| {
            let event = RequestEvent::from_stored(
                &r.kind,
                r.from_status.as_deref(),
                r.to_status.as_deref(),
                r.data.as_deref(),
            )
            .map_err(|err| corrupt("request_events.data", format!("{}: {err}", r.id)))?;
            Ok(ServiceEvent {
                at: time::from_db("request_events.at", &r.at)?,
                id: r.id,
                actor_id: r.actor_id,
                actor_name: r.actor_name,
                actor_display: r.actor_display,
                actor_role: r.actor_role,
                request_id: r.request_id,
                request_number: r.request_number,
                customer_name: r.customer_name,
                work_order_id: r.work_order_id,
                work_order_number: r.work_order_number,
                event,
            })
        })
        .collect()
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
                    Val::text(a.entity.as_str()),
                    Val::text(&a.entity_id),
                    Val::text(a.action.as_str()),
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
