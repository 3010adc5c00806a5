//! The audit trail as a manager reads it (docs/operations.md, "The audit trail"): one
//! sentence per entry — who did what to which record, by its number and name, linked —
//! with the fields that changed as "label: old → new" in the reader's language. Filters: the
//! kind of record, the actor, a range of days and "hide sign-ins" (on by default). The
//! entries of requests and work orders come from their event log and read as their timeline
//! does.

use crate::AppState;
use crate::extract::Query;
use crate::i18n::Tr;
use crate::shell::{PageError, Pick, Shell, WebUser, encode_component};
use aftersales_app::{AppError, FieldChange, TrailDeed, TrailEntry, TrailQuery, TrailSubject};
use aftersales_domain::audit::AuditEntity;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

#[derive(Template, WebTemplate)]
#[template(path = "administration/audit.html")]
pub struct AuditPage {
    pub shell: Shell,
    pub lines: Vec<Line>,
    pub q: AuditQueryForm,
    pub kinds: Vec<Pick>,
    pub hide_sign_ins: bool,
    /// The kind filtered on when it is one the export reads (`audit_log`'s own kinds).
    pub export_entity: String,
    /// The export reads the whole trail: only for those who read it all (admins).
    pub can_export: bool,
    pub next_url: Option<String>,
    pub error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AuditQueryForm {
    /// A kind of record (`AuditEntity`), or empty for all.
    pub kind: String,
    pub actor: String,
    /// First day shown, `YYYY-MM-DD` in the site's time zone.
    pub from: String,
    /// Last day shown (inclusive).
    pub to: String,
    /// `1` when the form was sent: an unticked box then means "show sign-ins". Without it
    /// (the menu's link) sign-ins are hidden.
    pub filtered: String,
    pub hide_sign_ins: String,
    pub cursor: String,
}

/// One entry in words; every text in the reader's language, computed here.
pub struct Line {
    pub at: String,
    /// The actor's role in words ("坐席"), when the name does not say it.
    pub actor_role: Option<String>,
    /// The actor's name, or "系统" for the system.
    pub actor: String,
    /// What was done, e.g. "修改了客户" / "updated customer"; for a request's event its
    /// timeline sentence ("派工给 李工").
    pub deed: String,
    /// What the sentence says after the record ("的密码" in "重置了用户 李娜 的密码").
    pub deed_tail: String,
    /// The record: its number or code and name ("C000012 王小明"); empty when the sentence
    /// names no record (signing in and out).
    pub record: String,
    /// Where the record's page is, when it has one.
    pub href: Option<String>,
    /// The record's kind when the deed does not say it (a request's events).
    pub record_kind: Option<String>,
    pub changes: Vec<ChangeLine>,
    /// Further changed fields that have no words of their own (internal to the record).
    pub more: Option<String>,
}

pub struct ChangeLine {
    pub label: String,
    pub before: String,
    pub after: String,
}

/// The start of a calendar day in the site's zone, for date filters.
fn day_start(s: &str, next: bool) -> Result<Option<jiff::Timestamp>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let d: jiff::civil::Date = s.parse().map_err(|_| ())?;
    let d = if next {
        d.tomorrow().map_err(|_| ())?
    } else {
        d
    };
    let tz = crate::site::get().tz().clone();
    d.to_zoned(tz).map(|z| Some(z.timestamp())).map_err(|_| ())
}

pub async fn audit(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<AuditQueryForm>,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let hide_sign_ins = f.filtered.is_empty() || !f.hide_sign_ins.is_empty();
    // A manager filters by the kinds of their subtree's trail only (issue 13, defect 11).
    let offered = s.app.audit_kinds(&u.ctx)?;
    let kind = AuditEntity::parse(f.kind.trim());
    let names: Vec<&'static str> = offered.iter().map(|k| k.as_str()).collect();
    let kinds = Pick::all(tr, &names, "audit.kind", kind.map(AuditEntity::as_str));
    let export_entity = kind
        .filter(|k| !k.in_event_log())
        .map(|k| k.as_str().to_owned())
        .unwrap_or_default();
    let (lines, next_url, error) = match (day_start(&f.from, false), day_start(&f.to, true)) {
        (Ok(from), Ok(to)) => {
            let q = TrailQuery {
                kind,
                actor: Some(f.actor.clone()),
                from,
                to,
                hide_sign_ins,
                cursor: Some(f.cursor.clone()),
                limit: None,
            };
            match s.app.audit_trail(&u.ctx, &q).await {
                Ok(p) => {
                    let next_url = p.next_cursor.map(|c| {
                        format!(
                            "/admin/audit?kind={}&actor={}&from={}&to={}&filtered=1&hide_sign_ins={}&cursor={}",
                            encode_component(&f.kind),
                            encode_component(&f.actor),
                            encode_component(&f.from),
                            encode_component(&f.to),
                            if hide_sign_ins { "1" } else { "" },
                            c
                        )
                    });
                    (
                        p.items.iter().map(|e| line(tr, e)).collect(),
                        next_url,
                        None,
                    )
                }
                Err(AppError::Validation(_)) => {
                    (Vec::new(), None, Some(tr.t_error("invalid_query")))
                }
                Err(e) => return Err(e.into()),
            }
        }
        _ => (Vec::new(), None, Some(tr.t_error("invalid_query"))),
    };
    Ok(AuditPage {
        shell: u.shell,
        lines,
        q: f,
        kinds,
        hide_sign_ins,
        export_entity,
        can_export: s.app.reads_whole_audit(&u.ctx),
        next_url,
        error,
    }
    .into_response())
}

/// The words of one entry.
fn line(tr: Tr, e: &TrailEntry) -> Line {
    // "坐席 张三"; the role is left out when the name already says it ("王丽(坐席)").
    let (actor_role, actor) = if e.actor.system {
        (None, tr.t("audit.system").to_owned())
    } else {
        let role = e
            .actor
            .role
            .map(|r| tr.t_dyn(&format!("role.{}", r.as_str())))
            .filter(|words| !e.actor.name.contains(words.as_str()));
        (role, e.actor.name.clone())
    };
    let s = &e.subject;
    let kind_word = tr.t_dyn(&format!("audit.kind.{}", s.kind.as_str()));
    match &e.deed {
        TrailDeed::Audit { action, changes } => {
            let sign_in = action.is_sign_in();
            let (shown, unnamed): (Vec<&FieldChange>, Vec<&FieldChange>) = changes
                .iter()
                .partition(|c| field_label(tr, &c.field).is_some());
            // The catalogs place the record with `{record}`, else it ends the sentence.
            let did = tr.f(
                &format!("audit.did.{}", action.as_str()),
                &[("kind", &kind_word)],
            );
            let (deed, deed_tail) = match did.split_once("{record}") {
                Some((head, tail)) => (head.trim_end().to_owned(), tail.to_owned()),
                None => (did, String::new()),
            };
            Line {
                at: crate::shell::fmt_time(e.at),
                actor_role,
                actor,
                deed,
                deed_tail,
                record: if sign_in {
                    String::new()
                } else {
                    record_text(tr, s)
                },
                href: if sign_in { None } else { href(s) },
                record_kind: None,
                changes: shown
                    .into_iter()
                    .map(|c| ChangeLine {
                        label: field_label(tr, &c.field).unwrap_or_default(),
                        before: value_text(tr, s.kind, &c.field, c.before.as_ref()),
                        after: value_text(tr, s.kind, &c.field, c.after.as_ref()),
                    })
                    .collect(),
                more: (!unnamed.is_empty())
                    .then(|| tr.f("audit.more_changes", &[("n", &unnamed.len().to_string())])),
            }
        }
        TrailDeed::Event(ev) => Line {
            at: crate::shell::fmt_time(e.at),
            actor_role,
            actor,
            deed: crate::pages::service::requests::event_text(tr, ev),
            deed_tail: String::new(),
            record: record_text(tr, s),
            href: href(s),
            record_kind: Some(kind_word),
            changes: Vec::new(),
            more: None,
        },
    }
}

/// "C000012 王小明": the number or code and the name, whichever are known; a record known
/// by neither reads as its kind's "(unnamed)".
fn record_text(tr: Tr, s: &TrailSubject) -> String {
    let name = match tr.locale {
        aftersales_domain::Locale::En => s.name_en.as_ref().or(s.name.as_ref()),
        aftersales_domain::Locale::ZhCn => s.name.as_ref(),
    };
    let parts: Vec<&str> = [s.code.as_deref(), name.map(String::as_str)]
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        tr.t("audit.unnamed").to_owned()
    } else {
        parts.join(" ")
    }
}

/// The page of the record (ids go into links, never into the text).
fn href(s: &TrailSubject) -> Option<String> {
    let id = encode_component(&s.id);
    Some(match s.kind {
        AuditEntity::Customer => format!("/customers/{id}"),
        AuditEntity::Unit => format!("/units/{id}"),
        AuditEntity::User => format!("/admin/users/{id}"),
        AuditEntity::OrgUnit => format!("/org-units/{id}"),
        AuditEntity::ServiceRequest | AuditEntity::WorkOrder => {
            format!("/requests/{}", encode_component(s.request_id.as_deref()?))
        }
        AuditEntity::Certification => "/certifications".to_owned(),
        AuditEntity::Product => format!("/products/{id}"),
        AuditEntity::WarrantyPolicy => match s.code.as_deref() {
            Some(code) => format!("/warranty-policies/{}", encode_component(code)),
            None => "/warranty-policies".to_owned(),
        },
        AuditEntity::Contract => format!("/contracts/{id}"),
        AuditEntity::SlaRule
        | AuditEntity::Calendar
        | AuditEntity::SpecialDays
        | AuditEntity::SpecialDay
        | AuditEntity::CalendarOverride => "/admin/calendars".to_owned(),
        AuditEntity::Job => "/admin/jobs".to_owned(),
        AuditEntity::ImportBatch => "/imports".to_owned(),
        AuditEntity::Part => format!("/parts/{}", encode_component(s.code.as_deref()?)),
        AuditEntity::Supplier => "/parts/suppliers".to_owned(),
        AuditEntity::StockLocation
        | AuditEntity::StockMove
        | AuditEntity::ReorderPoint
        | AuditEntity::Requisition
        | AuditEntity::Shipment
        | AuditEntity::DefectReturn
        | AuditEntity::FailureCode
        | AuditEntity::StockCount => "/stock".to_owned(),
        AuditEntity::Loaner => format!("/loaners/{id}"),
        AuditEntity::FeeSchedule => "/fee-schedules".to_owned(),
        AuditEntity::Quote => format!("/quotes/{}", encode_component(s.code.as_deref()?)),
        AuditEntity::Payment | AuditEntity::CashHandover => "/cash".to_owned(),
        AuditEntity::ApiToken => return None,
    })
}

/// The words of a snapshot's field, when the catalogs have them (`audit.field.*`).
fn field_label(tr: Tr, field: &str) -> Option<String> {
    let key = format!("audit.field.{field}");
    let t = tr.t_dyn(&key);
    (t != key).then_some(t)
}

/// Where the words of a field's values are, for fields that hold a closed vocabulary.
fn value_words(kind: AuditEntity, field: &str) -> Option<&'static str> {
    match (kind, field) {
        (_, "role") => Some("role"),
        (AuditEntity::Customer, "kind") => Some("customers.kind"),
        (AuditEntity::OrgUnit, "kind") => Some("org_kind"),
        (AuditEntity::Contract, "parts" | "labor" | "travel") => Some("warranty.charge"),
        (_, "locale") => Some("audit.locale"),
        (AuditEntity::Loaner, "status") => Some("loaners.status"),
        (AuditEntity::Loaner, "condition") => Some("loaners.condition"),
        _ => None,
    }
}

/// A value in words: text as written (a vocabulary's name in the reader's words), yes/no,
/// numbers, lists joined; "—" for none. Never JSON.
fn value_text(tr: Tr, kind: AuditEntity, field: &str, v: Option<&Value>) -> String {
    fn plain(tr: Tr, v: &Value) -> String {
        let sep = tr.t("audit.list_separator");
        match v {
            Value::Null => String::new(),
            Value::Bool(b) => tr.t(if *b { "common.yes" } else { "common.no" }).to_owned(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|i| plain(tr, i))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(sep),
            // An item of a list (a contact, a site): its values, ids left out.
            Value::Object(o) => o
                .iter()
                .filter(|(k, _)| !aftersales_domain::audit::is_internal_field(k))
                .map(|(_, v)| match v {
                    Value::Array(a) => a.iter().map(|x| plain(tr, x)).collect::<Vec<_>>().join(" "),
                    v => plain(tr, v),
                })
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
    let text = match (v, value_words(kind, field)) {
        (Some(Value::String(s)), Some(words)) => {
            let key = format!("{words}.{s}");
            let t = tr.t_dyn(&key);
            if t == key { s.clone() } else { t }
        }
        (Some(v), _) => plain(tr, v),
        (None, _) => String::new(),
    };
    if text.trim().is_empty() {
        "—".to_owned()
    } else {
        text
    }
}
