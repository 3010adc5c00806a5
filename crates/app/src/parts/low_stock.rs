//! Low-stock alerts (issue 14, point 7): a job, not a page refresh. The outflow that takes a
//! balance of new stock from above its reorder point to at or below it arms a `stock.low`
//! job in its own transaction; the job tells the location's keepers — a van's engineer, else
//! the warehouse keepers and managers of the keeping unit or the nearest unit above it — if
//! the balance is still low when it runs. One alert per crossing: later outflows while the
//! balance stays low arm nothing, a receipt that lifts it above the point re-arms the next.

use crate::AppError;
use crate::notifications::{keepers_of, same, users_as_recipients};
use aftersales_domain::parts::{Qty, crosses_reorder_point};
use aftersales_store::administration::jobs::{self as job_store, NewJob};
use aftersales_store::parts::catalog::part_by_id;
use aftersales_store::parts::stock::{self as store, BalanceKey};
use aftersales_store::{StoreError, Tx};
use serde_json::json;

/// The job kind that tells a location's keepers a part is low.
pub const STOCK_LOW: &str = "stock.low";

impl crate::App {
    /// Arms the low-stock job when this outflow crossed the reorder point.
    pub(crate) async fn arm_low_stock(
        &self,
        tx: &mut Tx,
        k: &BalanceKey,
        before: Qty,
        after: Qty,
        move_id: &str,
    ) -> Result<(), AppError> {
        let Some((point, _)) = store::reorder_point(tx.conn(), &k.location_id, &k.part_id).await?
        else {
            return Ok(());
        };
        if !crosses_reorder_point(before, after, Qty(point)) {
            return Ok(());
        }
        let now = self.now();
        let job = NewJob::new(
            STOCK_LOW,
            format!("stock.low:{move_id}"),
            json!({ "location_id": k.location_id, "part_id": k.part_id }),
            now,
        );
        job_store::arm(tx.conn(), &job, now).await?;
        Ok(())
    }

    /// Runs the `stock.low` job of one part at one location.
    #[tracing::instrument(skip_all, fields(location = %location_id, part = %part_id))]
    pub async fn run_stock_low(&self, location_id: &str, part_id: &str) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        let (Some(location), Some(part)) = (
            store::location_by_id(tx.conn(), location_id).await?,
            part_by_id(tx.conn(), part_id).await?,
        ) else {
            return Ok(());
        };
        let Some((point, qty)) = store::reorder_point(tx.conn(), location_id, part_id).await?
        else {
            return Ok(());
        };
        let key = BalanceKey {
            location_id: location_id.to_owned(),
            part_id: part_id.to_owned(),
            condition: aftersales_domain::parts::Condition::New.as_str().to_owned(),
        };
        let held = store::balance(tx.conn(), &key).await?;
        if held.on_hand > point {
            // Refilled before the job ran: nothing to tell.
            return Ok(());
        }
        let to = match (&location.user_id, &location.org_unit_id) {
            (Some(user), _) => users_as_recipients(tx.conn(), std::slice::from_ref(user)).await?,
            (None, Some(unit)) => keepers_of(tx.conn(), unit).await?,
            (None, None) => return Err(StoreError::NotFound.into()),
        };
        let link = self.link(&format!(
            "/stock?location={}&part={}",
            location.code, part.part_no
        ));
        let params = [
            same("part", part.part_no.clone()),
            same("name_zh", part.name_zh.clone()),
            same("name_en", part.name_en.clone()),
            same("location", location.code.clone()),
            same("on_hand", Qty(held.on_hand).display()),
            same("point", Qty(point).display()),
            same("qty", Qty(qty).display()),
            same("link", link.clone()),
        ];
        for t in &to {
            self.notify(&mut tx, t, "stock_low", None, Some(&link), &params)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
