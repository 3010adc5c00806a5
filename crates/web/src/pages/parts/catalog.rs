//! The parts catalog (`/parts`, search by number or name) and one part in full
//! (`/parts/{part_no}`) with what each location the reader may see holds of it.

use super::{BalanceRow, part_name, yuan};
use crate::AppState;
use crate::extract::{Path, Query};
use crate::shell::{PageError, Shell, WebUser};
use aftersales_app::{BalanceQuery, PartView};
use aftersales_domain::Permission;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// A part as a row or a page: every word in the reader's language.
pub struct PartRow {
    pub part_no: String,
    pub name: String,
    /// The name in the other language, for the detail page.
    pub other_name: String,
    pub category: &'static str,
    pub uom: &'static str,
    pub cost: String,
    pub list_price: String,
    pub supplier: Option<String>,
    pub models: String,
    pub successor: Option<String>,
    pub discontinued: bool,
    pub href: String,
}

impl PartRow {
    fn of(p: &PartView, tr: crate::i18n::Tr) -> Self {
        let l = tr.locale;
        let name = part_name(l, &p.name_zh, &p.name_en);
        let other_name = if name == p.name_zh {
            p.name_en.clone()
        } else {
            p.name_zh.clone()
        };
        PartRow {
            href: format!("/parts/{}", crate::shell::encode_component(&p.part_no)),
            part_no: p.part_no.clone(),
            name,
            other_name,
            category: p.category.words(l),
            uom: p.uom.words(l),
            cost: yuan(p.cost_fen),
            list_price: yuan(p.list_price_fen),
            supplier: match (&p.supplier_code, &p.supplier_name) {
                (Some(c), Some(n)) => Some(format!("{c} {n}")),
                (Some(c), None) => Some(c.clone()),
                _ => None,
            },
            models: p.models.join(", "),
            successor: p.successor.clone(),
            discontinued: p.discontinued,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/parts.html")]
pub struct PartsPage {
    pub shell: Shell,
    pub q: String,
    pub rows: Vec<PartRow>,
    pub more: Option<String>,
    /// Import and export of the catalog (docs/parts.md "Import and export").
    pub can_io: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PartsFilter {
    q: String,
    cursor: String,
}

pub async fn parts(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<PartsFilter>,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let q: String = f.q.trim().chars().take(100).collect();
    let cursor = Some(f.cursor.trim()).filter(|c| !c.is_empty());
    let page = s
        .app
        .list_parts(
            &u.ctx,
            Some(q.as_str()).filter(|q| !q.is_empty()),
            cursor,
            Some(50),
        )
        .await?;
    let more = page.next_cursor.map(|c| {
        format!(
            "/parts?q={}&cursor={}",
            crate::shell::encode_component(&q),
            crate::shell::encode_component(&c)
        )
    });
    let p = PartsPage {
        rows: page.items.iter().map(|p| PartRow::of(p, tr)).collect(),
        q,
        more,
        can_io: u.ctx.can(Permission::PartsManage),
        shell: u.shell,
    };
    Ok(p.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/part.html")]
pub struct PartPage {
    pub shell: Shell,
    pub part: PartRow,
    /// The reader sees stock: the balances are shown.
    pub sees_stock: bool,
    pub balances: Vec<BalanceRow>,
}

pub async fn part(
    State(s): State<AppState>,
    u: WebUser,
    Path(part_no): Path<String>,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let p = s.app.get_part(&u.ctx, &part_no).await?;
    let sees_stock = u.ctx.can(Permission::StockRead);
    let balances = if sees_stock {
        let q = BalanceQuery {
            location: None,
            part: Some(p.part_no.clone()),
            low: false,
        };
        s.app
            .stock_balances(&u.ctx, &q)
            .await?
            .iter()
            .map(|b| BalanceRow::of(b, tr))
            .collect()
    } else {
        Vec::new()
    };
    let page = PartPage {
        part: PartRow::of(&p, tr),
        sees_stock,
        balances,
        shell: u.shell,
    };
    Ok(page.into_response())
}
