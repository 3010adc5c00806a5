//! Device alarms from the monitoring center (R-REQ-1, docs/service-flow.md "Alarms"): a
//! signed POST per alarm. A repeat of the same `(source, alarm_id)` answers the first
//! result; an alarm for a unit whose open request heard from it (or was filed) within the
//! merge window attaches to that request (`alarm_merged`); otherwise it files a request of
//! its own (repair, channel alarm, priority high).

use crate::{AppError, Ctx, Idempotency, NewServiceRequest};
use aftersales_domain::installed_base::{Serial, parse_opt_notes, parse_opt_text, parse_text};
use aftersales_domain::service::{AlarmFacts, RequestEvent};
use aftersales_domain::{FieldError, FieldErrors, Permission};
use aftersales_store::service as service_store;
use aftersales_store::service::alarms::{self as store, AlarmRow};
use aftersales_store::{
    StoreError, installed_base::units as unit_store, network::users as user_store, time,
};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How far the sender's clock (the signed timestamp) may be from ours.
pub const ALARM_CLOCK_SKEW_SECS: i64 = 300;

/// An alarm as the monitoring center sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AlarmInput {
    /// The sending system (one monitoring center, a gateway…).
    #[schema(min_length = 1, max_length = 50, pattern = r"^[A-Za-z0-9_.:-]+$")]
    pub source: String,
    /// The sender's id of this alarm: a repeat with the same `source` and `alarm_id`
    /// answers the first result.
    #[schema(min_length = 1, max_length = 100, pattern = r"^[!-~]+$")]
    pub alarm_id: String,
    /// The unit's serial number (机身编码) as the device reports it.
    #[schema(min_length = 1, max_length = 64)]
    pub serial: String,
    /// The device's alarm code.
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub code: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub message: Option<String>,
    /// When the device raised it (RFC 3339).
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[schema(value_type = Option<String>, format = DateTime, pattern = r"^$|^(20[0-9]{2}|2100)-")]
    pub occurred_at: Option<String>,
}

/// What became of an alarm.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlarmResult {
    /// Our id of the alarm.
    pub id: String,
    pub source: String,
    pub alarm_id: String,
    /// The request it created or was attached to.
    #[schema(value_type = String, format = Uuid)]
    pub request_id: String,
    pub request_number: String,
    /// True when attached to a request already open (no new request).
    pub merged: bool,
}

type HmacSha256 = Hmac<sha2::Sha256>;

/// The signature the sender must give: hex HMAC-SHA256 of `"{timestamp}.{body}"`.
pub fn alarm_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

impl crate::App {
    /// Checks an alarm's signature headers against the shared secret and our clock:
    /// `timestamp` (Unix seconds, at most 5 minutes off) and `signature` (`sha256=<hex>`).
    /// Compared in constant time. Without a configured secret every alarm is refused.
    pub fn verify_alarm_signature(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), AppError> {
        let Some(secret) = self.cfg.alarm_secret.as_deref().filter(|s| !s.is_empty()) else {
            tracing::warn!("an alarm arrived but no alarm secret is configured");
            return Err(AppError::BadSignature("alarms_disabled"));
        };
        let (Some(ts), Some(sig)) = (timestamp.map(str::trim), signature.map(str::trim)) else {
            return Err(AppError::BadSignature("invalid_signature"));
        };
        let Ok(secs) = ts.parse::<i64>() else {
            return Err(AppError::BadSignature("invalid_signature"));
        };
        let Some(hex_sig) = sig.strip_prefix("sha256=") else {
            return Err(AppError::BadSignature("invalid_signature"));
        };
        let Ok(given) = hex::decode(hex_sig) else {
            return Err(AppError::BadSignature("invalid_signature"));
        };
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes())
            .map_err(|_| AppError::Internal("hmac key".into()))?;
        mac.update(ts.as_bytes());
        mac.update(b".");
        mac.update(body);
        if mac.verify_slice(&given).is_err() {
            return Err(AppError::BadSignature("invalid_signature"));
        }
        // Checked after the signature: a forged request learns nothing about our clock.
        if (self.now().as_second() - secs).abs() > ALARM_CLOCK_SKEW_SECS {
            return Err(AppError::BadSignature("stale_timestamp"));
        }
        Ok(())
    }

    /// Takes a (verified) alarm: the first result for a repeat, else merged into the open
    /// request of the unit when within the window, else a new request. Returns the result
    /// and whether a request was created.
    pub async fn receive_alarm(
        &self,
        ctx: &Ctx,
        input: &AlarmInput,
    ) -> Result<(AlarmResult, bool), AppError> {
        ctx.require(Permission::RequestsCreate)?;
        let mut errs = FieldErrors::new();
        let source = errs.take(parse_text("source", &input.source, 50).and_then(|s| {
            if s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.:-".contains(c))
            {
                Ok(s)
            } else {
                Err(FieldError::new("source", "code_chars"))
            }
        }));
        let alarm_id = errs.take(parse_text("alarm_id", &input.alarm_id, 100).and_then(|s| {
            if s.chars().all(|c| c.is_ascii_graphic()) {
                Ok(s)
            } else {
                Err(FieldError::new("alarm_id", "control_chars"))
            }
        }));
        let serial = errs.take(parse_text("serial", &input.serial, 64));
        let code = errs.take(parse_opt_text("code", input.code.as_deref(), 50));
        let message = errs.take(parse_opt_notes("message", input.message.as_deref(), 2000));
        let occurred_at = errs.take(aftersales_domain::bounds::parse_opt_instant(
            "occurred_at",
            input.occurred_at.as_deref(),
        ));
        errs.clone().into_result()?;
        let (
            Some(source),
            Some(alarm_id),
            Some(serial),
            Some(code),
            Some(message),
            Some(occurred_at),
        ) = (source, alarm_id, serial, code, message, occurred_at)
        else {
            return Err(AppError::Validation(errs));
        };
        let pool = self.db.pool();
        if let Some(first) = store::find(pool, &source, &alarm_id).await? {
            return self.alarm_result(&first).await;
        }

        // The unit: ours first when several makers share the serial.
        let serial_norm = Serial::normalize(&serial);
        let units = unit_store::by_serial(pool, &serial_norm).await?;
        let unit = match units.as_slice() {
            [] => return Err(AppError::conflict_on("serial", "unknown_serial")),
            [one] => one.clone(),
            many => match many
                .iter()
                .find(|u| u.manufacturer == crate::OWN_MANUFACTURER)
            {
                Some(u) => u.clone(),
                None => return Err(AppError::conflict_on("serial", "serial_ambiguous")),
            },
        };
        let Some(customer_id) = unit.customer_id else {
            return Err(AppError::conflict_on("serial", "unit_without_customer"));
        };

        let now = self.now();
        let row = AlarmRow {
            id: uuid::Uuid::now_v7().to_string(),
            source: source.clone(),
            external_id: Some(alarm_id.clone()),
            serial_norm: serial_norm.clone(),
            code: code.clone(),
            message: message.clone(),
            occurred_at: occurred_at.map(time::to_db).transpose()?,
            received_at: time::to_db(now)?,
            request_id: None,
            merged: 0,
        };
        let details = AlarmFacts {
            source: source.clone(),
            alarm_id: alarm_id.clone(),
            code: code.clone(),
            message: message.clone(),
            occurred_at,
        };

        // An open request of the unit with activity (filed, or an alarm) within the window.
        let window = jiff::SignedDuration::try_from(self.cfg.alarm_merge_window)
            .unwrap_or(jiff::SignedDuration::from_hours(24));
        let since = time::to_db(now - window)?;
        let mut target = None;
        for r in service_store::open_requests_for_unit(pool, &unit.id.to_string()).await? {
            let last_alarm = store::last_received_for_request(pool, &r.id).await?;
            let last = match last_alarm {
                Some(a) if a > r.created_at => a,
                _ => r.created_at.clone(),
            };
            if last >= since {
                target = Some(r);
                break;
            }
        }

        if let Some(r) = target {
            let row = AlarmRow {
                request_id: Some(r.id.clone()),
                merged: 1,
                ..row
            };
            let mut tx = self.db.begin().await?;
            match store::insert(tx.conn(), &row).await {
                Ok(()) => {}
                Err(StoreError::Constraint(_)) => {
                    drop(tx);
                    return self.repeat_after_race(&source, &alarm_id).await;
                }
                Err(e) => return Err(e.into()),
            }
            self.event(
                &mut tx,
                ctx,
                &r.id,
                None,
                RequestEvent::AlarmMerged(details),
                None,
            )
            .await?;
            tx.commit().await?;
            return Ok((
                AlarmResult {
                    id: row.id,
                    source,
                    alarm_id,
                    request_id: r.id,
                    request_number: r.number,
                    merged: true,
                },
                false,
            ));
        }

        // A request of its own. Its idempotency key makes a crash between the two
        // transactions harmless: the repeat finds the request and records the alarm.
        let owner = self.alarm_owner().await?;
        let symptom = match (&code, &message) {
            (Some(c), Some(m)) => format!("设备报警 {c}：{m}"),
            (Some(c), None) => format!("设备报警 {c}"),
            (None, Some(m)) => format!("设备报警：{m}"),
            (None, None) => "设备报警".to_owned(),
        };
        let new = NewServiceRequest {
            customer_id: customer_id.to_string(),
            unit_id: Some(unit.id.to_string()),
            kind: "repair".into(),
            channel: Some("alarm".into()),
            priority: Some("high".into()),
            symptom: symptom.chars().take(2000).collect(),
            owner_id: Some(owner),
            external_ref: Some(format!("{source}:{alarm_id}").chars().take(100).collect()),
            ..Default::default()
        };
        let idem = Idempotency {
            key: format!("alarm:{source}:{alarm_id}")
                .chars()
                .take(200)
                .collect(),
            fingerprint: format!("alarm {serial_norm}"),
        };
        let created = self
            .create_service_request(ctx, &new, Some(&idem))
            .await
            .map_err(|e| match e {
                // The customer's record lacks what a request needs: say so for the serial.
                AppError::Validation(errs) => {
                    tracing::warn!(?errs, "an alarm's customer record is incomplete");
                    AppError::conflict_on("serial", "customer_record_incomplete")
                }
                e => e,
            })?;
        let row = AlarmRow {
            request_id: Some(created.id.clone()),
            ..row
        };
        let mut tx = self.db.begin().await?;
        match store::insert(tx.conn(), &row).await {
            Ok(()) => {}
            Err(StoreError::Constraint(_)) => {
                drop(tx);
                return self.repeat_after_race(&source, &alarm_id).await;
            }
            Err(e) => return Err(e.into()),
        }
        self.event(
            &mut tx,
            ctx,
            &created.id,
            None,
            RequestEvent::AlarmReceived(details),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok((
            AlarmResult {
                id: row.id,
                source,
                alarm_id,
                request_id: created.id,
                request_number: created.number,
                merged: false,
            },
            true,
        ))
    }

    async fn repeat_after_race(
        &self,
        source: &str,
        alarm_id: &str,
    ) -> Result<(AlarmResult, bool), AppError> {
        match store::find(self.db.pool(), source, alarm_id).await? {
            Some(first) => self.alarm_result(&first).await,
            None => Err(AppError::Conflict("idempotency_key_in_use")),
        }
    }

    /// The first result of an alarm already taken (created: it made its request).
    async fn alarm_result(&self, a: &AlarmRow) -> Result<(AlarmResult, bool), AppError> {
        let Some(request_id) = a.request_id.clone() else {
            return Err(AppError::Internal("alarm without request".into()));
        };
        let r = service_store::get_request(self.db.pool(), &request_id).await?;
        Ok((
            AlarmResult {
                id: a.id.clone(),
                source: a.source.clone(),
                alarm_id: a.external_id.clone().unwrap_or_default(),
                request_id,
                request_number: r.number,
                merged: a.merged != 0,
            },
            a.merged == 0,
        ))
    }

    /// Who owns a request filed by an alarm: the configured user (when active and able to
    /// own requests), else the first active dispatcher, else the intake desk.
    async fn alarm_owner(&self) -> Result<String, AppError> {
        let pool = self.db.pool();
        if let Some(name) = self.cfg.alarm_owner.as_deref().filter(|n| !n.is_empty()) {
            match user_store::find_by_username(pool, &name.trim().to_lowercase()).await? {
                Some(u) if !u.disabled && u.role.can(Permission::RequestsManage) => {
                    return Ok(u.id.to_string());
                }
                _ => tracing::warn!(
                    user = name,
                    "the configured alarm owner cannot own requests; using a dispatcher"
                ),
            }
        }
        if let Some((id, _, _)) = user_store::active_with_role(pool, "dispatcher")
            .await?
            .into_iter()
            .next()
        {
            return Ok(id);
        }
        self.intake_owner().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signed text is "{timestamp}.{body}"; the MAC is RFC 4231's HMAC-SHA256.
    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        let sig = alarm_signature("Jefe", "1700000000", br#"{"a":1}"#);
        let mut mac = HmacSha256::new_from_slice(b"Jefe").expect("key");
        mac.update(br#"1700000000.{"a":1}"#);
        assert_eq!(sig, hex::encode(mac.finalize().into_bytes()));
        let mut rfc = HmacSha256::new_from_slice(b"Jefe").expect("key");
        rfc.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(rfc.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
