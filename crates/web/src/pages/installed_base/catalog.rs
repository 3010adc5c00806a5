//! The installed base as lists: units filtered by serial, model and owner, and the product
//! catalog (models and warranty policies with every version, in words).

use crate::AppState;
use crate::extract::Query;
use crate::shell::{PageError, Shell, WebUser};
use aftersales_app::{ContractQuery, ContractView, ProductView, UnitQuery, UnitView};
use aftersales_domain::installed_base::ContractStanding;
use aftersales_domain::warranty::Cause;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// A unit row with today's warranty status.
pub struct UnitRow {
    pub unit: UnitView,
    pub in_warranty: Option<bool>,
    pub until: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/units.html")]
pub struct UnitsPage {
    pub shell: Shell,
    pub rows: Vec<UnitRow>,
    pub products: Vec<ProductView>,
    pub serial: String,
    pub product: String,
    pub customer_id: String,
    pub next_url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UnitsForm {
    serial: String,
    product: String,
    customer_id: String,
    cursor: String,
}

/// Every product model, for select boxes (the catalog is short).
async fn all_products(
    s: &AppState,
    u: &WebUser,
) -> Result<Vec<ProductView>, aftersales_app::AppError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s
            .app
            .list_products(&u.ctx, cursor.as_deref(), Some(aftersales_app::MAX_LIMIT))
            .await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

pub async fn units(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<UnitsForm>,
) -> Result<Response, PageError> {
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let q = UnitQuery {
        serial: opt(&f.serial),
        product: opt(&f.product),
        customer_id: opt(&f.customer_id),
        cursor: opt(&f.cursor),
        limit: Some(50),
    };
    let page = s.app.list_units(&u.ctx, &q).await?;
    let products = all_products(&s, &u).await?;
    let today = crate::pages::installed_base::customers::today(&s);
    let mut rows = Vec::new();
    for unit in page.items {
        let w = s
            .app
            .warranty_for_unit(&u.ctx, unit.id, today, Cause::NormalFailure)
            .await
            .ok();
        rows.push(UnitRow {
            in_warranty: w.as_ref().map(|w| w.decision.in_warranty),
            until: w.and_then(|w| w.decision.end.map(|d| d.to_string())),
            unit,
        });
    }
    let next_url = page.next_cursor.as_deref().map(|c| {
        format!(
            "/units?serial={}&product={}&customer_id={}&cursor={c}",
            crate::shell::encode_component(f.serial.trim()),
            crate::shell::encode_component(f.product.trim()),
            crate::shell::encode_component(f.customer_id.trim()),
        )
    });
    Ok(UnitsPage {
        rows,
        products,
        serial: f.serial.trim().to_owned(),
        product: f.product.trim().to_owned(),
        customer_id: f.customer_id.trim().to_owned(),
        next_url,
        shell: u.shell,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/products.html")]
pub struct ProductsPage {
    pub shell: Shell,
    pub products: Vec<ProductView>,
    pub can_manage: bool,
}

impl ProductsPage {
    /// "36 个月" / "36 months".
    pub fn months(&self, m: &i64) -> String {
        self.shell.tr.f("catalog.months", &[("n", &m.to_string())])
    }
}

pub async fn products(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    let products = all_products(&s, &u).await?;
    Ok(ProductsPage {
        products,
        can_manage: u
            .actor
            .role
            .can(aftersales_domain::Permission::ProductsManage),
        shell: u.shell,
    }
    .into_response())
}

/// A contract row with its customer's name and where it stands today.
pub struct ContractRow {
    pub contract: ContractView,
    pub customer_name: String,
    pub customer_number: String,
    pub state: ContractStanding,
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/contracts.html")]
pub struct ContractsPage {
    pub shell: Shell,
    pub rows: Vec<ContractRow>,
    pub expiring: String,
    pub next_url: Option<String>,
    pub can_manage: bool,
}

impl ContractsPage {
    pub fn state_label(&self, s: &ContractStanding) -> String {
        self.shell.tr.t_dyn(&format!("contracts.state.{s}"))
    }

    /// The badge's color beside the words.
    pub fn state_class(&self, s: &ContractStanding) -> &'static str {
        match s {
            ContractStanding::Active => "ok",
            ContractStanding::Ending => "warn",
            ContractStanding::Future | ContractStanding::Ended => "off",
        }
    }

    pub fn charge_or_warranty(&self, c: &Option<String>) -> String {
        match c {
            Some(c) => self.shell.tr.t_dyn(&format!("warranty.charge.{c}")),
            None => self.shell.tr.t("contracts.as_warranty").to_owned(),
        }
    }

    pub fn plan(&self, k: &ContractView) -> String {
        k.inspection_plan
            .iter()
            .map(|p| {
                self.shell.tr.f(
                    &format!("contracts.every.{}", p.kind),
                    &[("n", &p.every_months.to_string())],
                )
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContractsForm {
    expiring: String,
    cursor: String,
}

pub async fn contracts(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<ContractsForm>,
) -> Result<Response, PageError> {
    let expiring = f.expiring.trim().parse::<i64>().ok();
    let q = ContractQuery {
        expiring_within_days: expiring,
        cursor: Some(f.cursor.trim().to_owned()).filter(|c| !c.is_empty()),
        limit: Some(50),
        ..Default::default()
    };
    let page = s.app.list_contracts(&u.ctx, &q).await?;
    let today = crate::pages::installed_base::customers::today(&s).to_string();
    let mut rows = Vec::new();
    for contract in page.items {
        let c = s.app.get_customer(&u.ctx, contract.customer_id).await?;
        // Dates are ISO text, so they compare as text.
        let state = ContractStanding::on(
            contract.start_date.as_str(),
            contract.end_date.as_str(),
            contract.remind_on.as_str(),
            today.as_str(),
        );
        rows.push(ContractRow {
            customer_name: c.name,
            customer_number: c.number,
            state,
            contract,
        });
    }
    let next_url = page.next_cursor.as_deref().map(|c| {
        format!(
            "/contracts?expiring={}&cursor={c}",
            expiring.map(|d| d.to_string()).unwrap_or_default()
        )
    });
    Ok(ContractsPage {
        rows,
        expiring: expiring.map(|d| d.to_string()).unwrap_or_default(),
        next_url,
        can_manage: u.actor.role.can(aftersales_domain::Permission::UnitsManage),
        shell: u.shell,
    }
    .into_response())
}
