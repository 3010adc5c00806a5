//! The demo installed base: warranty policies (R-WAR-1), product models, about 200 customers
//! (R-CUS-1..3) and 500 serial-numbered units (R-WAR-2) in Liaoning, in Chinese.
//!
//! Everything comes from a fixed-seed generator and fixed dates, never the clock, so every
//! demo database holds the same records (only ids and timestamps differ). The whole plan is
//! built in memory first, then written through the use-cases, so the audit trail shows it.
//!
//! Safe to run again: policies and products are looked up by code; the customers and units
//! are skipped when the first demo unit's serial is already on file (the first customer and
//! its units are written first, so a second run never creates a second copy of them).
//!
//! The folder: `data` (policies, models, places, names, industries and the counts, written as
//! code so the demo needs no files), `generate` (the seeded generator and the plan built from
//! the data), and here the loader that writes the plan through the use-cases.

mod data;
mod generate;

// The demo network and catalog tests check their product lines against these models.
#[cfg(test)]
pub(crate) use data::PRODUCTS;
pub(crate) use generate::plan;

use crate::{AppError, Ctx, DemoSummary};
use aftersales_domain::installed_base::Serial;
use aftersales_store::{
    installed_base::products as product_store, installed_base::units as unit_store,
};
use data::{ACC24_V2_FROM, acc24_2025, policies, products};

impl crate::App {
    /// Loads the demo policies, product models, customers and units. What exists stays.
    pub(crate) async fn load_demo_installed_base(
        &self,
        s: &mut DemoSummary,
    ) -> Result<(), AppError> {
        let ctx = Ctx::system("demo");
        let pool = self.db.pool();
        for p in policies() {
            if product_store::find_policy_by_code(pool, &p.code)
                .await?
                .is_none()
            {
                self.create_policy(&ctx, &p).await?;
                s.policies_created += 1;
            }
        }
        if let Some(acc) = product_store::find_policy_by_code(pool, "ACC24").await?
            && !product_store::versions(pool, &acc.id)
                .await?
                .iter()
                .any(|v| v.effective_from == ACC24_V2_FROM)
        {
            self.add_policy_version(&ctx, "ACC24", &acc24_2025())
                .await?;
        }
        for p in products() {
            if self.find_product_by_code(&p.code).await?.is_none() {
                self.create_product(&ctx, &p).await?;
                s.products_created += 1;
            }
        }
        let plan = plan();
        let marker = plan
            .first()
            .and_then(|c| c.units.first())
            .and_then(|u| u.unit.serial.as_deref());
        if let Some(serial) = marker
            && !unit_store::by_serial(pool, &Serial::normalize(serial))
                .await?
                .is_empty()
        {
            return Ok(());
        }
        for c in &plan {
            let view = self.create_customer(&ctx, &c.customer, None).await?;
            s.customers_created += 1;
            for u in &c.units {
                let mut input = u.unit.clone();
                input.customer_id = Some(view.id.to_string());
                input.site_id = u
                    .site
                    .and_then(|i| view.sites.get(i))
                    .map(|site| site.id.clone());
                self.create_unit(&ctx, &input, None).await?;
                s.units_created += 1;
            }
        }
        Ok(())
    }
}
