//! First start and demo data.

use crate::{AppError, Ctx, NewOrgUnit, NewUser};
use aftersales_domain::{Password, Role};
use aftersales_store::users as user_store;
use base64::Engine;

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
    /// Whether the demo `customer` account was linked to its customer record now.
    pub portal_account_linked: bool,
    /// (user name, role) of every demo account.
    pub accounts: Vec<(String, Role)>,
}

/// The demo service network, shaped like the source documents: a center, five branches in
/// Liaoning, nine stations, a parts warehouse and a partner dealer.
/// (code, parent code, kind, name)
const DEMO_UNITS: &[(&str, &str, &str, &str)] = &[
    ("HQ", "", "center", "客服中心"),
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
    (
        "P-HT",
        "SY",
        "partner",
        "沈阳恒通机电设备有限公司(委托服务商)",
    ),
];

/// (user name, display name, role, unit code)
const DEMO_USERS: &[(&str, &str, &str, &str)] = &[
    ("agent", "王丽(坐席)", "agent", "HQ"),
    ("dispatcher", "李强(调度)", "dispatcher", "HQ"),
    ("engineer", "张伟(工程师)", "engineer", "SY-HP"),
    ("warehouse", "赵敏(库管)", "warehouse", "WH"),
    ("manager", "刘洋(主管)", "manager", "SY"),
    ("partner", "陈刚(服务商)", "partner", "P-HT"),
    ("customer", "孙建国(客户)", "customer", ""),
];

fn generated_password() -> Result<String, AppError> {
    let mut b = [0u8; 15];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("random: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

impl crate::App {
    /// Makes sure an `admin` account exists. On an empty database it is created with
    /// `password` or, when none is given, a generated one that is returned to be printed
    /// once. When `password` is given it always decides the admin's password.
    pub async fn ensure_admin(&self, password: Option<&str>) -> Result<Option<String>, AppError> {
        let ctx = Ctx::system("bootstrap");
        match user_store::find_by_username(self.db.pool(), "admin").await? {
            Some(admin) => {
                let Some(p) = password else { return Ok(None) };
                if self.cfg.password_cost.verify(p, &admin.password_hash)? {
                    // The password in force stays usable after an upgrade whose rules
                    // would refuse it as a new one; the log says to change it.
                    if let Err(e) = Password::parse("AFTERSALES_ADMIN_PASSWORD", p, "admin") {
                        tracing::warn!(
                            reason = e.code,
                            "the admin password is too weak for today's rules: change it"
                        );
                    }
                } else {
                    // A new password: today's rules apply.
                    let p = Password::parse("AFTERSALES_ADMIN_PASSWORD", p, "admin")
                        .map_err(AppError::invalid)?;
                    self.set_password(&ctx, admin.id, &p, "reset_password", None)
                        .await?;
                }
                Ok(None)
            }
            None if user_store::count(self.db.pool()).await? > 0 && password.is_none() => Ok(None),
            None => {
                let (p, generated) = match password {
                    Some(p) => (p.to_owned(), false),
                    None => (generated_password()?, true),
                };
                let input = NewUser {
                    username: "admin".into(),
                    display_name: "系统管理员".into(),
                    role: "admin".into(),
                    org_unit_id: None,
                    password: p.clone(),
                    locale: None,
                };
                self.create_user(&ctx, &input, None).await?;
                Ok(generated.then_some(p))
            }
        }
    }

    /// Loads the demo network, one user per role, the installed base (warranty
    /// policies, product models, customers and their units), the regions the units cover
    /// and the technicians' certifications. Safe to run again: what exists stays.
    pub async fn load_demo(&self) -> Result<DemoSummary, AppError> {
        let mut s = self.load_demo_network().await?;
        self.load_demo_installed_base(&mut s).await?;
        s.contracts_created = self.load_demo_contracts().await?;
        self.load_demo_service_network(&mut s).await?;
        s.catalog_codes_created = self.load_demo_catalog().await?;
        s.portal_account_linked = self.link_demo_portal_account().await?;
        // Last: it dispatches to the demo engineer, certified just above.
        s.requests_created = self.load_demo_service().await?;
        Ok(s)
    }

    /// Loads only the demo network and one user per role (what most tests need). Safe to
    /// run again: what exists stays.
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
}
