//! The agent's pages: find a customer while the caller talks, the customer's page with
//! units and history, and a unit's page with its warranty decision.

use super::history::{self, HistorySection};
use crate::AppState;
use crate::extract::{Path, Query};
use crate::shell::{PageError, Shell, WebUser};
use aftersales_app::{
    AppError, AuditView, ContractQuery, ContractView, CustomerView, SearchHit, UnitView,
    WarrantyView,
};
use aftersales_domain::Permission;
use aftersales_domain::audit::AuditEntity;
use aftersales_domain::warranty::Cause;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/customers.html")]
pub struct SearchPage {
    pub shell: Shell,
    pub q: String,
    pub hits: Vec<SearchHit>,
    pub searched: bool,
    pub can_manage: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchForm {
    q: String,
}

impl SearchPage {
    /// The query as the new record's phone (mostly digits) or name.
    pub fn prefill(&self) -> String {
        let digits = self.q.chars().filter(char::is_ascii_digit).count();
        if digits * 2 > self.q.chars().count() {
            format!("phone={}", crate::shell::encode_component(&self.q))
        } else {
            format!("name={}", crate::shell::encode_component(&self.q))
        }
    }

    pub fn matched_label(&self, m: impl std::fmt::Display) -> String {
        self.shell.tr.t_dyn(&format!("customers.matched.{m}"))
    }
}

pub async fn search(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<SearchForm>,
) -> Result<Response, PageError> {
    let q = f.q.trim().to_owned();
    let hits = if q.is_empty() {
        // Opening the page is allowed only to those who may search.
        s.app.search_customers(&u.ctx, "", 1).await?;
        Vec::new()
    } else {
        s.app.search_customers(&u.ctx, &q, 20).await?
    };
    Ok(SearchPage {
        can_manage: u.actor.role.can(Permission::CustomersManage),
        searched: !q.is_empty(),
        q,
        hits,
        shell: u.shell,
    }
    .into_response())
}

/// A unit line on the customer's page, with today's warranty decision.
pub struct UnitLine {
    pub unit: UnitView,
    pub warranty: Option<WarrantyView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/customer.html")]
pub struct CustomerPage {
    pub shell: Shell,
    pub c: CustomerView,
    pub units: Vec<UnitLine>,
    pub contracts: Vec<ContractView>,
    pub history: Vec<AuditView>,
    /// The customer's requests and visits; none for a reader who may not see requests.
    pub service: Option<HistorySection>,
    pub can_manage: bool,
    /// May sign a service contract for the customer.
    pub can_contract: bool,
    pub saved: bool,
}

impl CustomerPage {
    pub fn site_label(&self, label: &str, index0: &usize) -> String {
        super::site_label(self.shell.tr, label, *index0)
    }

    pub fn kind_label(&self) -> String {
        self.shell
            .tr
            .t_dyn(&format!("customers.kind.{}", self.c.kind))
    }

    pub fn missing_label(&self, m: &str) -> String {
        self.shell.tr.t_dyn(&format!("customers.missing.{m}"))
    }

    /// What an update changed, one line per field, contact or site: "姓名: 张三 → 张伟",
    /// "+ 联系人 李四 139 0000 0000", "− 地址 …". Read from the audit entry's before and after.
    pub fn changes(&self, a: &AuditView) -> Vec<String> {
        let (Some(before), Some(after)) = (&a.before, &a.after) else {
            return Vec::new();
        };
        if a.entity != AuditEntity::Customer {
            return Vec::new();
        }
        let tr = self.shell.tr;
        let text = |v: Option<&serde_json::Value>| -> String {
            match v {
                Some(serde_json::Value::String(s)) => s.clone(),
                _ => "—".into(),
            }
        };
        let mut out = Vec::new();
        for (key, label) in [
            ("name", "customers.name"),
            ("kind", "customers.kind_label"),
            ("company", "customers.company"),
            ("region_code", "customers.region_code"),
            ("notes", "customers.notes"),
        ] {
            let (b, n) = (before.get(key), after.get(key));
            if b != n {
                let (mut b, mut n) = (text(b), text(n));
                if key == "kind" {
                    b = tr.t_dyn(&format!("customers.kind.{b}"));
                    n = tr.t_dyn(&format!("customers.kind.{n}"));
                }
                out.push(format!("{}: {b} → {n}", tr.t_dyn(label)));
            }
        }
        let items = |v: &serde_json::Value, key: &str| -> Vec<String> {
            v.get(key)
                .and_then(|x| x.as_array())
                .map(|arr| {
                    arr.iter()
                        .map(|i| {
                            i.as_object()
                                .map(|o| {
                                    o.values()
                                        .map(|x| match x {
                                            serde_json::Value::String(s) => s.clone(),
                                            serde_json::Value::Array(a) => a
                                                .iter()
                                                .filter_map(|p| p.as_str())
                                                .collect::<Vec<_>>()
                                                .join(", "),
                                            serde_json::Value::Null => String::new(),
                                            x => x.to_string(),
                                        })
                                        .filter(|s| !s.is_empty())
                                        .collect::<Vec<_>>()
                                        .join(" ")
                                })
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        for (key, label) in [
            ("contacts", "customers.contact"),
            ("sites", "customers.site"),
        ] {
            let (b, n) = (items(before, key), items(after, key));
            for gone in b.iter().filter(|x| !n.contains(x)) {
                out.push(format!("− {} {gone}", tr.t_dyn(label)));
            }
            for new in n.iter().filter(|x| !b.contains(x)) {
                out.push(format!("+ {} {new}", tr.t_dyn(label)));
            }
        }
        out
    }

    pub fn action_label(&self, a: &AuditView) -> String {
        let key = format!("history.{}.{}", a.entity, a.action);
        let mut s = self.shell.tr.t_dyn(&key);
        if s == key {
            // Imports keep their labels in their own section.
            let io_key = format!("io.{key}");
            let t = self.shell.tr.t_dyn(&io_key);
            if t != io_key {
                s = t;
            }
        }
        let s = if s == key {
            format!("{} {}", a.entity, a.action)
        } else {
            s
        };
        // Name the unit an entry is about.
        match a
            .after
            .as_ref()
            .and_then(|v| v.get("serial"))
            .and_then(|v| v.as_str())
        {
            Some(serial) if a.entity == AuditEntity::Unit => format!("{s} {serial}"),
            _ => s,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CustomerQuery {
    saved: Option<String>,
}

pub async fn customer(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<CustomerQuery>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("customer").into());
    };
    let c = s.app.get_customer(&u.ctx, id).await?;
    let units = s.app.customer_units(&u.ctx, id).await?;
    let today = today(&s);
    let mut lines = Vec::new();
    for unit in units {
        let warranty = s
            .app
            .warranty_for_unit(&u.ctx, unit.id, today, Cause::NormalFailure)
            .await
            .ok();
        lines.push(UnitLine { unit, warranty });
    }
    let history = s.app.customer_history(&u.ctx, id).await?;
    let service = history::section(
        u.tr(),
        s.app.customer_service_history(&u.ctx, id).await,
        format!("/requests?customer={id}"),
    )?;
    let contracts = s
        .app
        .list_contracts(
            &u.ctx,
            &ContractQuery {
                customer_id: Some(id.to_string()),
                limit: Some(aftersales_app::MAX_LIMIT),
                ..Default::default()
            },
        )
        .await?
        .items;
    Ok(CustomerPage {
        can_manage: u.actor.role.can(Permission::CustomersManage),
        can_contract: u.actor.role.can(Permission::UnitsManage),
        saved: q.saved.is_some(),
        shell: u.shell,
        c,
        units: lines,
        contracts,
        history,
        service,
    }
    .into_response())
}

pub(crate) fn today(s: &AppState) -> jiff::civil::Date {
    s.app.today()
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/unit.html")]
pub struct UnitPage {
    pub shell: Shell,
    pub can_manage: bool,
    pub saved: bool,
    pub unit: UnitView,
    pub w: WarrantyView,
    pub on: String,
    pub cause: String,
    pub causes: Vec<(String, String)>,
    /// The unit's requests and visits; none for a reader who may not see requests.
    pub service: Option<HistorySection>,
}

impl UnitPage {
    /// Made by us (the record says `self`): named in words, not by the stored mark.
    pub fn own_make(&self) -> bool {
        self.unit.manufacturer == aftersales_app::OWN_MANUFACTURER
    }

    pub fn charge_label(&self, c: &str) -> String {
        self.shell.tr.t_dyn(&format!("warranty.charge.{c}"))
    }

    /// The reason's sentence in the page's language.
    pub fn reason_text(&self, zh: &str, en: &str) -> String {
        self.shell.tr.locale.pick(zh, en).to_owned()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WarrantyForm {
    on: String,
    cause: String,
    saved: Option<String>,
}

pub async fn unit(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(f): Query<WarrantyForm>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("unit").into());
    };
    let unit = s.app.get_unit(&u.ctx, id).await?;
    let on =
        f.on.trim()
            .parse::<jiff::civil::Date>()
            .unwrap_or_else(|_| today(&s));
    let cause = Cause::parse(f.cause.trim()).unwrap_or(Cause::NormalFailure);
    let w = s.app.warranty_for_unit(&u.ctx, id, on, cause).await?;
    let service = history::section(
        u.tr(),
        s.app.unit_service_history(&u.ctx, &id.to_string()).await,
        format!("/requests?unit={id}"),
    )?;
    let tr = u.tr();
    let causes = Cause::ALL
        .iter()
        .map(|c| {
            (
                c.as_str().to_owned(),
                tr.t_dyn(&format!("warranty.cause.{}", c.as_str())),
            )
        })
        .collect();
    Ok(UnitPage {
        can_manage: u.actor.role.can(Permission::UnitsManage),
        saved: f.saved.is_some(),
        shell: u.shell,
        unit,
        w,
        on: on.to_string(),
        cause: cause.as_str().to_owned(),
        causes,
        service,
    }
    .into_response())
}
