//! A catalog record's own history (issue 13, defect 16) as its page shows it: one line per
//! audit entry, newest first — when, who, what was done — and for a change the fields that
//! changed as "label: before → after", in the reader's words (never JSON, never ids).

use crate::i18n::Tr;
use aftersales_app::{AuditView, field_changes};
use aftersales_domain::audit::AuditAction;
use serde_json::Value;

/// One entry in words.
pub struct HistoryLine {
    pub at: String,
    pub actor: String,
    /// "建立型号" / "created the model".
    pub deed: String,
    pub changes: Vec<ChangeLine>,
}

/// A field that changed: its label in the reader's words, the values as data (they may be
/// in any language: names, codes, service levels), so the page marks them `translate="no"`.
pub struct ChangeLine {
    pub label: String,
    pub before: String,
    pub after: String,
}

/// The entries in words; `kind` names the record's section of the catalogs
/// (`record_history.<kind>.<action>`).
pub fn lines(tr: Tr, kind: &str, entries: &[AuditView]) -> Vec<HistoryLine> {
    entries
        .iter()
        .map(|a| HistoryLine {
            at: crate::shell::fmt_time(a.at),
            actor: crate::shell::actor_words(tr, &a.actor_name),
            deed: deed(tr, kind, a.action),
            changes: if a.action == AuditAction::Update {
                changes(tr, a)
            } else {
                Vec::new()
            },
        })
        .collect()
}

fn deed(tr: Tr, kind: &str, action: AuditAction) -> String {
    let key = format!("record_history.{kind}.{}", action.as_str());
    let t = tr.t_dyn(&key);
    if t == key {
        // Imports and other deeds without words of their own here.
        tr.t_dyn(&format!("record_history.action.{}", action.as_str()))
    } else {
        t
    }
}

/// The fields that changed, in words. Covered units (ids) are told as their count.
fn changes(tr: Tr, a: &AuditView) -> Vec<ChangeLine> {
    let mut out: Vec<ChangeLine> = field_changes(a.before.as_ref(), a.after.as_ref())
        .into_iter()
        // The reminder day follows from the end date and the days before it.
        .filter(|c| c.field != "remind_on")
        .map(|c| {
            let label = {
                let key = format!("audit.field.{}", c.field);
                let t = tr.t_dyn(&key);
                if t == key { c.field.clone() } else { t }
            };
            ChangeLine {
                label,
                before: value(tr, &c.field, c.before.as_ref()),
                after: value(tr, &c.field, c.after.as_ref()),
            }
        })
        .collect();
    let count = |v: &Option<Value>| {
        v.as_ref()
            .and_then(|v| v.get("unit_ids"))
            .and_then(Value::as_array)
            .map(|a| {
                let mut ids: Vec<String> = a.iter().map(Value::to_string).collect();
                ids.sort();
                ids
            })
    };
    if let (Some(b), Some(n)) = (count(&a.before), count(&a.after))
        && b != n
    {
        out.push(ChangeLine {
            label: tr.t("contracts.units").to_owned(),
            before: b.len().to_string(),
            after: n.len().to_string(),
        });
    }
    out
}

/// A value in words: a charge basis or start basis in the reader's words, an inspection plan
/// as sentences, numbers and text as they are, "—" for none.
fn value(tr: Tr, field: &str, v: Option<&Value>) -> String {
    match (field, v) {
        (_, None | Some(Value::Null)) => "—".into(),
        ("parts" | "labor" | "travel" | "exclusion_charge", Some(Value::String(s))) => {
            tr.t_dyn(&format!("warranty.charge.{s}"))
        }
        ("inspection_plan", Some(Value::Array(steps))) => {
            let words: Vec<String> = steps
                .iter()
                .filter_map(|s| {
                    let kind = s.get("kind")?.as_str()?;
                    let n = s.get("every_months")?.as_i64()?;
                    Some(tr.f(&format!("contracts.every.{kind}"), &[("n", &n.to_string())]))
                })
                .collect();
            if words.is_empty() {
                "—".into()
            } else {
                words.join(" · ")
            }
        }
        (_, Some(Value::String(s))) if s.is_empty() => "—".into(),
        (_, Some(Value::String(s))) => s.clone(),
        (_, Some(v)) => v.to_string(),
    }
}
