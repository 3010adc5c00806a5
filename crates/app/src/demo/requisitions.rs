//! Demo requisitions (issue 14): a few open ones at each step, so the warehouse sees work to
//! approve, ship and receive, and one received shipment behind the accuracy figure.

use crate::{
    AppError, ApproveInput, Ctx, LineQty, NewRequisition, NewRequisitionLine, ReceiveInput,
    ShipInput,
};

/// How far a demo requisition goes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Upto {
    Submitted,
    Approved,
    Shipped,
    Received,
}

/// A demo requisition: (requesting location, priority, lines (part, qty), how far it goes).
type DemoRequisition = (
    &'static str,
    &'static str,
    &'static [(&'static str, i64)],
    Upto,
);

const REQUISITIONS: &[DemoRequisition] = &[
    (
        "ST-SY-HP",
        "monthly",
        &[("KT-CAP-35UF", 20), ("KT-SNS-T", 10)],
        Upto::Submitted,
    ),
    ("VAN-ZW", "urgent", &[("KT-PCB-2P", 1)], Upto::Approved),
    ("PS-P-HT", "monthly", &[("JSQ-PP", 30)], Upto::Shipped),
    ("ST-DL-ZS", "monthly", &[("JSQ-RO-400", 5)], Upto::Received),
];

impl crate::App {
    /// Raises the demo requisitions and takes each as far as it goes.
    pub(crate) async fn load_demo_requisitions(&self) -> Result<(), AppError> {
        let ctx = Ctx::system("demo");
        for (at, priority, lines, upto) in REQUISITIONS {
            let r = self
                .create_requisition(
                    &ctx,
                    &NewRequisition {
                        requesting: (*at).into(),
                        supplying: None,
                        priority: Some((*priority).into()),
                        work_order: None,
                        note: None,
                        lines: lines
                            .iter()
                            .map(|(part, qty)| NewRequisitionLine {
                                part: (*part).into(),
                                qty: serde_json::json!(qty),
                            })
                            .collect(),
                    },
                )
                .await?;
            if *upto >= Upto::Approved {
                self.approve_requisition(&ctx, &r.number, &ApproveInput::default())
                    .await?;
            }
            if *upto >= Upto::Shipped {
                let ship = ShipInput {
                    carrier: Some("顺丰速运".into()),
                    tracking_no: Some(format!("SF{}", r.number.trim_start_matches("RQ"))),
                    ..ShipInput::default()
                };
                let shipped = self.ship_requisition(&ctx, &r.number, &ship).await?;
                if *upto >= Upto::Received
                    && let Some(s) = shipped.shipment
                {
                    let lines = s
                        .lines
                        .iter()
                        .map(|l| LineQty {
                            line: l.line,
                            qty: serde_json::json!(l.qty_shipped),
                            wrong_part: false,
                        })
                        .collect();
                    self.receive_shipment(&ctx, &s.number, &ReceiveInput { lines })
                        .await?;
                }
            }
        }
        Ok(())
    }
}
