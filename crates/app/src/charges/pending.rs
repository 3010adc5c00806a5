//! TEMPORARY until the fee-schedule and payment branches merge: the two functions other
//! helpers provide. Deleted at the merge (their names collide on purpose).

use crate::AppError;
use aftersales_domain::charges::FeeSchedule;

pub struct TempVersion {
    pub id: String,
}

impl crate::App {
    pub(crate) async fn fee_schedule_on(
        &self,
        _conn: &mut aftersales_store::Conn,
        _on: jiff::civil::Date,
    ) -> Result<Option<(TempVersion, FeeSchedule)>, AppError> {
        Ok(Some((
            TempVersion {
                id: "starter".into(),
            },
            FeeSchedule::starter(),
        )))
    }

    pub(crate) async fn paid_for_work_order(
        &self,
        _conn: &mut aftersales_store::Conn,
        _work_order_id: &str,
    ) -> Result<i64, AppError> {
        Ok(0)
    }
}
