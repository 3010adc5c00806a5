//! Demo data, loaded by `--demo` and `load-demo` (never by a production use-case): the
//! service network and one user per role here; the installed base, contracts, the network's
//! regions and certifications, the catalog and the service requests in the modules below.

mod catalog;
mod charges;
mod contracts;
mod defects;
mod installed_base;
mod loaners;
mod network;
mod parts;
mod requisitions;
mod service;

use crate::{AppError, Ctx, NewOrgUnit, NewUser};
use aftersales_domain::Role;
use aftersales_domain::installed_base::Serial;
use aftersales_store::{installed_base::units as unit_store, network::users as user_store};

/// The password of every demo user except `admin`. Printed at start with a warning.
pub const DEMO_PASSWORD: &str = "demo-2026";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// Units of the service network (org units).
    pub org_units_created: usize,
    pub users_created: usize,
    pub policies_created: usize,
    pub products_created: usize,
    pub customers_created: usize,
    /// Installed units (serial-numbered equipment at customers).
    pub units_created: usize,
    /// Org units given their demo coverage regions.
    pub units_with_regions: usize,
    /// Demo engineers' and partner technicians' certifications.
    pub certifications_created: usize,
    /// Service contracts of demo customers.
    pub contracts_created: usize,
    /// Service requests in every state of the flow.
    pub requests_created: usize,
    /// Symptom and fault-cause codes of the catalog.
    pub catalog_codes_created: usize,
    /// Spare parts of the demo catalog (with their stock).
    pub parts_created: usize,
    /// Loaner units of the pool (some lent against open requests).
    pub loaners_created: usize,
    /// Fee schedule versions (the starter one and the demo partner's terms).
    pub fee_schedules_created: usize,
    /// Whether the demo `customer` account was linked to its customer record now.
    pub portal_account_linked: bool,
    /// (user name, role) of every demo account.
    pub accounts: Vec<(String, Role)>,
}

/// The demo service network, shaped like the source documents: a center, five branches in
/// Liaoning, nine stations, a parts warehouse and a partner dealer.
/// (code, parent code, kind, name)
const DEMO_UNITS: &[(&str, &str, &str, &str)] = &[
    ("HQ", "", "center", "辽宁客服中心"),
    ("WH", "HQ", "warehouse", "中心备件库"),
    ("SY", "HQ", "branch", "沈阳分公司"),
    ("DL", "HQ", "branch", "大连分公司"),
    ("AS", "HQ", "branch", "鞍山分公司"),
    ("YK", "HQ", "branch", "营口分公司"),
    ("PJ", "HQ", "branch", "盘锦分公司"),
    ("SY-HP", "SY", "station", "沈阳和平服务站"),
    ("SY-TX", "SY", "station", "沈阳铁西服务站"),
    ("SY-HN", "SY", "station", "沈阳浑南服务站"),
    ("DL-ZS", "DL", "station", "大连中山服务站"),
    ("DL-JZ", "DL", "station", "大连金州服务站"),
    ("AS-TD", "AS", "station", "鞍山铁东服务站"),
    ("YK-ZQ", "YK", "station", "营口站前服务站"),
    ("YK-BYQ", "YK", "station", "营口鲅鱼圈服务站"),
    ("PJ-XLT", "PJ", "station", "盘锦兴隆台服务站"),
    ("P-HT", "SY", "partner", "沈阳恒通机电设备有限公司"),
];

/// (user name, display name, role, unit code)
const DEMO_USERS: &[(&str, &str, &str, &str)] = &[
    ("agent", "王丽", "agent", "HQ"),
    ("dispatcher", "李强", "dispatcher", "HQ"),
    ("engineer", "张伟", "engineer", "SY-HP"),
    ("warehouse", "赵敏", "warehouse", "WH"),
    ("manager", "刘洋", "manager", "SY"),
    ("partner", "陈刚", "partner", "P-HT"),
    ("customer", "孙建国", "customer", ""),
];

impl crate::App {
    /// Loads the demo network, one user per role, the installed base (warranty
    /// policies, product models, customers and their units), the regions the units cover
    /// and the technicians' certifications. Safe to run again: what exists stays.
    #[tracing::instrument(skip_all)]
    pub async fn load_demo(&self) -> Result<DemoSummary, AppError> {
        let mut s = self.load_demo_network().await?;
        self.load_demo_installed_base(&mut s).await?;
        s.contracts_created = self.load_demo_contracts().await?;
        self.load_demo_service_network(&mut s).await?;
        // Before the service data: a completed work order is priced with the schedule in
        // force (docs/charges.md "Service type and cost").
        s.fee_schedules_created = self.load_demo_fee_schedules().await?;
        s.catalog_codes_created = self.load_demo_catalog().await?;
        s.parts_created = self.load_demo_parts().await?;
        s.portal_account_linked = self.link_demo_portal_account().await?;
        // Last: it dispatches to the demo engineer, certified just above.
        s.requests_created = self.load_demo_service().await?;
        // After the requests: some loaners are lent against them.
        s.loaners_created = self.load_demo_loaners().await?;
        Ok(s)
    }

    /// Loads only the demo network and one user per role (what most tests need). Safe to
    /// run again: what exists stays.
    #[tracing::instrument(skip_all)]
    pub async fn load_demo_network(&self) -> Result<DemoSummary, AppError> {
        let ctx = Ctx::system("demo");
        let mut s = DemoSummary::default();
        self.ensure_sla_defaults().await?;
        for (code, parent, kind, name) in DEMO_UNITS {
            if self.find_org_unit_by_code(code).await?.is_some() {
                continue;
            }
            let parent_id = match *parent {
                "" => None,
                p => self
                    .find_org_unit_by_code(p)
                    .await?
                    .map(|o| o.id.to_string()),
            };
            let input = NewOrgUnit {
                parent_id,
                kind: (*kind).into(),
                code: (*code).into(),
                name: (*name).into(),
            };
            self.create_org_unit(&ctx, &input, None).await?;
            s.org_units_created += 1;
        }
        for (username, display_name, role, unit) in DEMO_USERS {
            s.accounts.push((
                (*username).into(),
                Role::parse(role).unwrap_or(Role::Customer),
            ));
            if self.find_user_by_username(username).await?.is_some() {
                continue;
            }
            let org_unit_id = match *unit {
                "" => None,
                code => self
                    .find_org_unit_by_code(code)
                    .await?
                    .map(|o| o.id.to_string()),
            };
            let input = NewUser {
                username: (*username).into(),
                display_name: (*display_name).into(),
                role: (*role).into(),
                org_unit_id,
                password: DEMO_PASSWORD.into(),
                locale: None,
            };
            self.create_user(&ctx, &input, None).await?;
            s.users_created += 1;
        }
        Ok(s)
    }

    /// Links the demo `customer` account to the demo's first customer (孙建国, who owns
    /// units), unless it is linked already. True when it linked it now.
    pub(crate) async fn link_demo_portal_account(&self) -> Result<bool, AppError> {
        let pool = self.db.pool();
        let Some(user) = user_store::find_by_username(pool, "customer").await? else {
            return Ok(false);
        };
        if user.role != Role::Customer || user_store::customer_of(pool, user.id).await?.is_some() {
            return Ok(false);
        }
        let plan = installed_base::plan();
        let Some(serial) = plan
            .first()
            .and_then(|c| c.units.first())
            .and_then(|u| u.unit.serial.as_deref())
        else {
            return Ok(false);
        };
        let Some(customer) = unit_store::by_serial(pool, &Serial::normalize(serial))
            .await?
            .into_iter()
            .find_map(|u| u.customer_id)
        else {
            return Ok(false);
        };
        self.set_user_customer(&Ctx::system("demo"), user.id, Some(customer))
            .await?;
        Ok(true)
    }
}
