//! Demo loaners (docs/loaners.md): a small pool at the central parts warehouse and at the
//! Shenyang branch, one lent against an open demo request (its timeline shows it and its
//! "loaner by" milestone is met), one lent until today (overdue from tomorrow, when the
//! warehouse keeper is told). Made through the use-cases as the demo warehouse keeper and
//! manager, so the histories carry their names.

use crate::{AppError, Ctx, IssueLoaner, LoanerQuery, NewLoaner, RequestQuery};

/// (serial, model, accessories, owner: the warehouse keeper or the branch manager)
const POOL: &[(&str, &str, &[&str], &str)] = &[
    (
        "LN2P001",
        "KT-2P 2匹柜式空调",
        &["遥控器", "电源线"],
        "warehouse",
    ),
    (
        "LN2P002",
        "KT-2P 2匹柜式空调",
        &["遥控器", "电源线"],
        "warehouse",
    ),
    (
        "LN5P001",
        "KT-5P 5匹柜式空调",
        &["遥控器", "电源线", "排水管"],
        "warehouse",
    ),
    ("LN2P101", "KT-2P 2匹柜式空调", &["遥控器"], "manager"),
];

impl crate::App {
    /// Loads the demo pool unless some loaner exists already. Returns how many loaners.
    pub(crate) async fn load_demo_loaners(&self) -> Result<usize, AppError> {
        let system = Ctx::system("demo");
        let any = self
            .list_loaners(
                &system,
                &LoanerQuery {
                    limit: Some(1),
                    ..Default::default()
                },
            )
            .await?;
        if !any.items.is_empty() {
            return Ok(0);
        }
        let (Ok(warehouse), Ok(manager)) =
            (self.ctx_as("warehouse").await, self.ctx_as("manager").await)
        else {
            return Ok(0);
        };
        let mut made = vec![];
        for (serial, model, accessories, owner) in POOL {
            let ctx = if *owner == "manager" {
                &manager
            } else {
                &warehouse
            };
            let d = self
                .register_loaner(
                    ctx,
                    &NewLoaner {
                        serial: (*serial).into(),
                        model: (*model).into(),
                        owner_unit_id: None,
                        accessories: accessories.iter().map(|a| (*a).to_owned()).collect(),
                        note: None,
                    },
                    None,
                )
                .await?;
            made.push(d.loaner.id.to_string());
        }
        // Open requests, oldest first: the first waits long for its repair, the second
        // promised its loaner back today.
        let open = self
            .list_service_requests(
                &system,
                &RequestQuery {
                    status: Some("in_progress".into()),
                    limit: Some(20),
                    ..Default::default()
                },
            )
            .await?;
        let today = self.today();
        let lend = [
            (
                0usize,
                today
                    .checked_add(jiff::Span::new().days(14))
                    .unwrap_or(today),
            ),
            (1usize, today),
        ];
        for ((loaner, due), r) in lend.iter().zip(open.items.iter().rev()) {
            self.issue_loaner(
                &warehouse,
                &made[*loaner],
                &IssueLoaner {
                    request: r.number.clone(),
                    expected_return: due.to_string(),
                    note: Some("维修周期较长，先借备用机".into()),
                },
            )
            .await?;
        }
        Ok(made.len())
    }
}
