//! Demo service requests: a day in the life of the hotline, so every page has something
//! real to show. Requests of demo customers who own air conditioners (the demo engineer is
//! certified for 空调) in each state: just taken, being helped by phone, solved by phone,
//! waiting for dispatch, dispatched, booked for today, on the way, waiting for parts,
//! finished and signed today, finished without a signature. Made through the use-cases as
//! the demo agent, dispatcher and engineer, so the timelines carry their names.

use crate::{
    AppError, Ctx, DispatchInput, NewServiceRequest, PositionInput, RecordInput, RemoteOutcome,
    RequestQuery, SignatureInput, TransitionInput, TriageInput, UnitQuery,
};
use jiff::{SignedDuration, Timestamp};

/// (symptom, customer's request, priority)
const CALLS: &[(&str, &str, &str)] = &[
    ("不制冷，外机不转", "尽快上门", "high"),
    ("室内机漏水", "今天下午上门", "normal"),
    ("遥控器失灵，按键无反应", "电话指导", "low"),
    ("开机后显示E1故障码", "上门检修", "normal"),
    ("运行噪音大，有异响", "上门检查", "normal"),
    ("制热效果差", "上门检修", "normal"),
    ("外机结霜严重", "尽快处理", "high"),
    ("出风有异味", "清洗保养", "low"),
    ("开机几分钟就自动停机", "上门检修", "high"),
    ("压缩机启动困难", "上门检修", "urgent"),
    ("面板指示灯闪烁", "上门检修", "normal"),
    ("制冷慢，温度降不下来", "上门检修", "normal"),
];

/// A drawn-looking signature: a few loops of ink on white, as a PNG.
fn demo_signature() -> Result<String, AppError> {
    use base64::Engine;
    let (w, h) = (240u32, 90u32);
    let mut px = vec![255u8; (w * h) as usize];
    for t in 0..1800 {
        let t = t as f64;
        let x = 12.0 + t * 0.12;
        let y = 45.0 + 26.0 * (t / 70.0).sin() * (1.0 - t / 3600.0);
        for dx in -1..=1 {
            for dy in -1..=1 {
                let (xx, yy) = (x as i64 + dx, y as i64 + dy);
                if (0..w as i64).contains(&xx) && (0..h as i64).contains(&yy) {
                    px[(yy as u32 * w + xx as u32) as usize] = 25;
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc
            .write_header()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        writer
            .write_image_data(&px)
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(out)
    ))
}

impl crate::App {
    /// Loads the demo requests unless some request exists already. Returns how many.
    pub(crate) async fn load_demo_service(&self) -> Result<usize, AppError> {
        let system = Ctx::system("demo");
        let any = self
            .list_service_requests(
                &system,
                &RequestQuery {
                    limit: Some(1),
                    ..Default::default()
                },
            )
            .await?;
        if !any.items.is_empty() {
            return Ok(0);
        }
        let (Ok(agent), Ok(dispatcher), Ok(engineer)) = (
            self.ctx_as("agent").await,
            self.ctx_as("dispatcher").await,
            self.ctx_as("engineer").await,
        ) else {
            return Ok(0);
        };
        let engineer_id = engineer
            .actor()
            .map(|a| a.id.to_string())
            .unwrap_or_default();
        // Owned air conditioners, in serial order: the demo is deterministic.
        let mut units = Vec::new();
        for product in ["KT-5P", "KT-2P"] {
            let page = self
                .list_units(
                    &system,
                    &UnitQuery {
                        product: Some(product.into()),
                        limit: Some(40),
                        ..Default::default()
                    },
                )
                .await?;
            units.extend(
                page.items
                    .into_iter()
                    .filter(|u| u.serial.is_some() && u.owner.is_some()),
            );
        }
        let signature = demo_signature()?;
        let now = self.now();
        let mut n = 0;
        for (i, (unit, (symptom, ask, priority))) in units.iter().zip(CALLS).enumerate() {
            let Some(owner) = &unit.owner else { continue };
            let r = self
                .create_service_request(
                    &agent,
                    &NewServiceRequest {
                        customer_id: owner.id.to_string(),
                        unit_id: Some(unit.id.to_string()),
                        kind: "repair".into(),
                        priority: Some((*priority).into()),
                        symptom: (*symptom).into(),
                        customer_request: Some((*ask).into()),
                        ..Default::default()
                    },
                    None,
                )
                .await?;
            n += 1;
            let id = r.id.clone();
            match i {
                // Just taken: waiting for triage.
                0 | 1 => continue,
                // Being helped by phone, and solved by phone.
                2 | 3 => {
                    let r = self
                        .triage_request(
                            &agent,
                            &id,
                            &TriageInput {
                                version: r.version,
                                mode: "remote".into(),
                                note: Some("电话指导客户检查电源与遥控器电池".into()),
                            },
                        )
                        .await?;
                    if i == 3 {
                        self.remote_outcome(
                            &agent,
                            &id,
                            &RemoteOutcome {
                                version: r.version,
                                solved: true,
                                note: Some("更换遥控器电池后恢复正常".into()),
                            },
                        )
                        .await?;
                    }
                    continue;
                }
                _ => {}
            }
            let r = self
                .triage_request(
                    &agent,
                    &id,
                    &TriageInput {
                        version: r.version,
                        mode: "onsite".into(),
                        note: Some("需上门检修".into()),
                    },
                )
                .await?;
            let Some(wo) = r.work_orders.first() else {
                continue;
            };
            let wo_id = wo.id.clone();
            // Waiting for dispatch.
            if i <= 5 {
                continue;
            }
            let mut o = self
                .dispatch_work_order(
                    &dispatcher,
                    &wo_id,
                    &DispatchInput {
                        version: 1,
                        engineer_id: engineer_id.clone(),
                        org_unit_id: None,
                        note: None,
                        ..DispatchInput::default()
                    },
                )
                .await?;
            if i == 6 {
                continue;
            }
            o = self
                .accept_work_order(
                    &engineer,
                    &wo_id,
                    &PositionInput {
                        version: o.version,
                        ..Default::default()
                    },
                )
                .await?;
            // Booked for today, hour by hour from now.
            let start = now + SignedDuration::from_hours(1 + i as i64 - 7);
            o = self
                .set_appointment(
                    &engineer,
                    &wo_id,
                    &crate::AppointmentInput {
                        version: o.version,
                        starts_at: start.to_string(),
                        ends_at: (start + SignedDuration::from_hours(2)).to_string(),
                        reason: None,
                        customer_agreed: true,
                    },
                )
                .await?;
            if i == 7 {
                continue;
            }
            let step = |action: &str, version: i64, wait: Option<&str>| TransitionInput {
                version,
                action: action.into(),
                wait_reason: wait.map(Into::into),
                reason: wait.map(|_| "压缩机需从总仓调拨".into()),
                latitude: Some(41.796 + i as f64 * 0.002),
                longitude: Some(123.42 + i as f64 * 0.002),
            };
            o = self
                .transition_work_order(&engineer, &wo_id, &step("depart", o.version, None))
                .await?;
            if i == 8 {
                continue;
            }
            o = self
                .transition_work_order(&engineer, &wo_id, &step("arrive", o.version, None))
                .await?;
            o = self
                .transition_work_order(&engineer, &wo_id, &step("start", o.version, None))
                .await?;
            if i == 9 {
                self.transition_work_order(
                    &engineer,
                    &wo_id,
                    &step("wait", o.version, Some("parts")),
                )
                .await?;
                continue;
            }
            let done = self
                .save_record(
                    &engineer,
                    &wo_id,
                    &RecordInput {
                        version: 0,
                        fault_cause_code: Some("C-AC-CAP".into()),
                        diagnosis: Some("外机风扇电机启动电容击穿".into()),
                        action_taken: Some("更换启动电容，清洗冷凝器，试机运行正常".into()),
                        notes: Some("建议每季度清洗滤网".into()),
                        parts: vec![crate::PartUsed {
                            part_no: Some("C-35UF".into()),
                            name: "启动电容 35μF".into(),
                            qty: 1,
                        }],
                        labor_minutes: Some(60 + 15 * i as i64),
                        test_run_done: Some(i != 11),
                        customer_trained: Some(true),
                        rating_quality: Some(5),
                        rating_attitude: Some(if i == 11 { 4 } else { 5 }),
                        no_parts: false,
                        cause_at_center: false,
                        ready: true,
                    },
                )
                .await?;
            let _ = done;
            self.sign_record(
                &engineer,
                &wo_id,
                &if i == 11 {
                    SignatureInput {
                        declined_reason: Some("客户外出，由物业值班人员确认完工".into()),
                        ..Default::default()
                    }
                } else {
                    SignatureInput {
                        signature_png: Some(signature.clone()),
                        signer_name: Some(owner.name.clone()),
                        ..Default::default()
                    }
                },
            )
            .await?;
            self.complete_work_order(
                &engineer,
                &wo_id,
                &crate::CompleteInput {
                    version: o.version,
                    outcome: "fixed".into(),
                    ..Default::default()
                },
            )
            .await?;
        }
        let _: Timestamp = now;
        Ok(n)
    }
}
