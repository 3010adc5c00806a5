//! Demo service contracts: a dozen company customers with their units under contract, dated
//! around the day the demo is loaded so that the renewal list, a lapsed contract and a
//! contract that keeps a unit covered past its warranty are there to see.

use crate::{AppError, ContractQuery, Ctx, InspectionStep, NewContract, UnitQuery};
use jiff::ToSpan;

/// (service level, start days before today, length in months, parts, labor, travel,
/// inspection plan, note)
type Plan = (
    &'static str,
    i64,
    i64,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    &'static [(&'static str, i64)],
    &'static str,
);

const PLANS: &[Plan] = &[
    (
        "gold",
        180,
        12,
        Some("free"),
        Some("free"),
        Some("free"),
        &[("visit", 3), ("call", 1)],
        "全包维保：配件、人工、上门全免，每季度巡检一次。",
    ),
    (
        "silver",
        90,
        12,
        Some("cost_price"),
        Some("free"),
        Some("free"),
        &[("visit", 6)],
        "人工和上门免费，配件按成本价。",
    ),
    // Ends in about 20 days: on the renewal list.
    (
        "gold",
        345,
        12,
        Some("free"),
        Some("free"),
        Some("free"),
        &[("visit", 3)],
        "即将到期，提醒续签。",
    ),
    (
        "bronze",
        30,
        24,
        None,
        Some("free"),
        None,
        &[("call", 3)],
        "只保人工，其余按保修政策。",
    ),
    // Lapsed: the warranty decision says the contract has ended.
    (
        "silver",
        420,
        12,
        Some("cost_price"),
        Some("free"),
        Some("free"),
        &[("visit", 6)],
        "已过期未续签。",
    ),
    (
        "gold",
        60,
        36,
        Some("free"),
        Some("free"),
        Some("free"),
        &[("visit", 1)],
        "三年全包，每月巡检（医院设备）。",
    ),
    (
        "silver",
        240,
        12,
        None,
        Some("free"),
        Some("free"),
        &[],
        "人工、上门免费。",
    ),
    // Starts in 30 days: signed, not yet in force.
    (
        "gold",
        -30,
        12,
        Some("free"),
        Some("free"),
        Some("free"),
        &[("visit", 3)],
        "已签订，下月生效。",
    ),
    (
        "bronze",
        150,
        12,
        None,
        None,
        Some("free"),
        &[("call", 6)],
        "仅免上门费。",
    ),
    (
        "silver",
        300,
        24,
        Some("cost_price"),
        Some("free"),
        None,
        &[("visit", 6), ("call", 2)],
        "两年期。",
    ),
];

impl crate::App {
    /// Loads the demo contracts unless some contract exists already.
    pub(crate) async fn load_demo_contracts(&self) -> Result<usize, AppError> {
        let ctx = Ctx::system("demo");
        let existing = self
            .list_contracts(
                &ctx,
                &ContractQuery {
                    limit: Some(1),
                    ..Default::default()
                },
            )
            .await?;
        if !existing.items.is_empty() {
            return Ok(0);
        }
        let today = self.today();
        // Company customers with units, in number order: the demo is deterministic.
        let mut chosen = Vec::new();
        let mut cursor: Option<String> = None;
        'pages: loop {
            let page = self
                .list_customers(&ctx, cursor.as_deref(), Some(crate::MAX_LIMIT))
                .await?;
            for c in page.items {
                if c.kind != "company" {
                    continue;
                }
                let units = self
                    .list_units(
                        &ctx,
                        &UnitQuery {
                            customer_id: Some(c.id.to_string()),
                            ..Default::default()
                        },
                    )
                    .await?;
                let ids: Vec<String> = units
                    .items
                    .iter()
                    .filter(|u| u.serial.is_some())
                    .map(|u| u.id.to_string())
                    .collect();
                if !ids.is_empty() {
                    chosen.push((c.id, ids));
                    if chosen.len() == PLANS.len() {
                        break 'pages;
                    }
                }
            }
            match page.next_cursor {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        let mut n = 0;
        for ((customer, units), plan) in chosen.into_iter().zip(PLANS) {
            let (level, back, months, parts, labor, travel, steps, note) = *plan;
            let start = today
                .checked_sub(back.days())
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let end = start
                .checked_add(months.months())
                .and_then(|d| d.checked_sub(1.day()))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let input = NewContract {
                customer_id: customer.to_string(),
                start_date: start.to_string(),
                end_date: end.to_string(),
                service_level: level.into(),
                parts: parts.map(Into::into),
                labor: labor.map(Into::into),
                travel: travel.map(Into::into),
                inspection_plan: steps
                    .iter()
                    .map(|(kind, every)| InspectionStep {
                        kind: (*kind).into(),
                        every_months: *every,
                    })
                    .collect(),
                remind_days_before: Some(30),
                unit_ids: units,
                notes: Some(note.into()),
            };
            self.create_contract(&ctx, &input, None).await?;
            n += 1;
        }
        Ok(n)
    }
}
