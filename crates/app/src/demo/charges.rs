//! The demo's fee schedule: the starter schedule in force from 2026-01-01, and a version
//! with the demo partner's own terms (P-HT, 沈阳恒通机电设备有限公司) in force from
//! 2026-01-01 or, when a later version exists (a site's first start adds the starter one
//! from its first day), from today, so the partner's terms are those in force.

use crate::{AppError, Ctx};
use aftersales_domain::charges::{FeeSchedule, PartnerOverride};
use aftersales_store::charges::schedules as store;
use jiff::civil::{Date, date};

/// The demo partner unit (demo/mod.rs `DEMO_UNITS`).
const DEMO_PARTNER: &str = "P-HT";
const DEMO_FROM: Date = date(2026, 1, 1);

impl crate::App {
    /// Adds the demo's versions unless they are there. Returns how many were added.
    pub(crate) async fn load_demo_fee_schedules(&self) -> Result<usize, AppError> {
        let ctx = Ctx::system("demo");
        let mut added = 0;
        let mut tx = self.db.begin().await?;
        let versions = store::list(tx.conn()).await?;
        if !versions
            .iter()
            .any(|v| v.effective_from == DEMO_FROM.to_string())
        {
            self.insert_fee_schedule(&mut tx, &ctx, DEMO_FROM, &FeeSchedule::starter(), None)
                .await?;
            added += 1;
        }
        let on = self.today().max(DEMO_FROM);
        let current = self
            .fee_schedule_on(tx.conn(), on)
            .await?
            .map(|(_, s)| s)
            .unwrap_or_else(FeeSchedule::starter);
        if current.partner(Some(DEMO_PARTNER)).is_none() {
            let mut s = current;
            s.partners.push(PartnerOverride {
                org_code: DEMO_PARTNER.into(),
                labor_rate_fen_per_hour: Some(10_000),
                travel_fen: Some(8_000),
            });
            self.insert_fee_schedule(&mut tx, &ctx, on, &s, None)
                .await?;
            added += 1;
        }
        tx.commit().await?;
        Ok(added)
    }
}
