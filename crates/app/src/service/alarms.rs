//! Device alarms from the monitoring center (R-REQ-1, docs/service-flow.md "Alarms"): a
//! signed POST per alarm. A repeat of the same `(source, alarm_id)` answers the first
//! result; an alarm for a unit whose open request heard from it (or was filed) within the
//! merge window attaches to that request (`alarm_merged`); otherwise it files a request of
//! its own (repair, channel alarm, priority high).

use crate::{AppError, Ctx, Idempotency, NewServiceRequest};
use aftersales_domain::installed_base::{Serial, parse_opt_notes, parse_opt_text, parse_text};
use aftersales_domain::service::{AlarmFacts, Channel, Priority, RequestEvent, RequestKind};
use aftersales_domain::{CustomerId, FieldError, FieldErrors, Permission, Role};
use aftersales_store::installed_base::units::UnitRecord;
use aftersales_store::service::alarms::{self as store, AlarmRow};
use aftersales_store::service::{self as service_store, RequestRow};
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

/// An alarm whose every field is well-formed ([`AlarmInput::parse`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAlarm {
    pub source: String,
    pub alarm_id: String,
    pub serial: String,
    pub code: Option<String>,
    pub message: Option<String>,
    pub occurred_at: Option<jiff::Timestamp>,
}

impl AlarmInput {
    /// Every field checked on its own, all errors at once.
    pub fn parse(&self) -> Result<ValidAlarm, FieldErrors> {
        let mut errs = FieldErrors::new();
        let source = errs.take(parse_text("source", &self.source, 50).and_then(|s| {
            if s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.:-".contains(c))
            {
                Ok(s)
            } else {
                Err(FieldError::new("source", "code_chars"))
            }
        }));
        let alarm_id = errs.take(parse_text("alarm_id", &self.alarm_id, 100).and_then(|s| {
            if s.chars().all(|c| c.is_ascii_graphic()) {
                Ok(s)
            } else {
                Err(FieldError::new("alarm_id", "control_chars"))
            }
        }));
        let serial = errs.take(parse_text("serial", &self.serial, 64));
        let code = errs.take(parse_opt_text("code", self.code.as_deref(), 50));
        let message = errs.take(parse_opt_notes("message", self.message.as_deref(), 2000));
        let occurred_at = errs.take(aftersales_domain::bounds::parse_opt_instant(
            "occurred_at",
            self.occurred_at.as_deref(),
        ));
        errs.finish(|| {
            Some(ValidAlarm {
                source: source?,
                alarm_id: alarm_id?,
                serial: serial?,
                code: code?,
                message: message?,
                occurred_at: occurred_at?,
            })
        })
    }
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
    #[tracing::instrument(skip_all)]
    pub async fn receive_alarm(
        &self,
        ctx: &Ctx,
        input: &AlarmInput,
    ) -> Result<(AlarmResult, bool), AppError> {
        ctx.require(Permission::RequestsCreate)?;
        let a = input.parse()?;
        if let Some(first) = store::find(self.db.pool(), &a.source, &a.alarm_id).await? {
            return self.alarm_result(&first).await;
        }
        let (unit, customer_id) = self.alarm_unit(&a.serial).await?;
        let row = AlarmRow {
            id: uuid::Uuid::now_v7().to_string(),
            source: a.source.clone(),
            external_id: Some(a.alarm_id.clone()),
            serial_norm: Serial::normalize(&a.serial),
            code: a.code.clone(),
            message: a.message.clone(),
            occurred_at: a.occurred_at.map(time::to_db).transpose()?,
            received_at: time::to_db(self.now())?,
            request_id: None,
            merged: 0,
        };
        let facts = AlarmFacts {
            source: a.source.clone(),
            alarm_id: a.alarm_id.clone(),
            code: a.code.clone(),
            message: a.message.clone(),
            occurred_at: a.occurred_at,
        };
        if let Some(r) = self.alarm_merge_target(&unit).await? {
            let row = AlarmRow {
                request_id: Some(r.id.clone()),
                merged: 1,
                ..row
            };
            let event = RequestEvent::AlarmMerged(facts);
            return self.record_alarm(ctx, &a, row, r.number, event).await;
        }
        // A request of its own. Its idempotency key makes a crash between the two
        // transactions harmless: the repeat finds the request and records the alarm.
        let created = self.alarm_request(ctx, &a, &unit, customer_id).await?;
        let row = AlarmRow {
            request_id: Some(created.id.clone()),
            ..row
        };
        let event = RequestEvent::AlarmReceived(facts);
        self.record_alarm(ctx, &a, row, created.number, event).await
    }

    /// The unit of a serial: ours first when several makers share it; it must have a
    /// customer.
    async fn alarm_unit(&self, serial: &str) -> Result<(UnitRecord, CustomerId), AppError> {
        let units = unit_store::by_serial(self.db.pool(), &Serial::normalize(serial)).await?;
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
        Ok((unit, customer_id))
    }

    /// An open request of the unit with activity (filed, or an alarm) within the merge
    /// window, if any.
    async fn alarm_merge_target(&self, unit: &UnitRecord) -> Result<Option<RequestRow>, AppError> {
        let pool = self.db.pool();
        // A window too long for a signed duration (centuries) merges everything: the
        // longest one there is.
        let window = jiff::SignedDuration::try_from(self.cfg.alarm_merge_window)
            .unwrap_or(jiff::SignedDuration::MAX);
        let since = time::to_db(
            self.now()
                .checked_sub(window)
                .unwrap_or(jiff::Timestamp::MIN),
        )?;
        for r in service_store::open_requests_for_unit(pool, &unit.id.to_string()).await? {
            let last = match store::last_received_for_request(pool, &r.id).await? {
                Some(a) if a > r.created_at => a,
                _ => r.created_at.clone(),
            };
            if last >= since {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }

    /// Files the request of an alarm (repair, channel alarm, priority high), once per alarm.
    async fn alarm_request(
        &self,
        ctx: &Ctx,
        a: &ValidAlarm,
        unit: &UnitRecord,
        customer_id: CustomerId,
    ) -> Result<crate::ServiceRequestView, AppError> {
        let symptom = match (&a.code, &a.message) {
            (Some(c), Some(m)) => format!("设备报警 {c}：{m}"),
            (Some(c), None) => format!("设备报警 {c}"),
            (None, Some(m)) => format!("设备报警：{m}"),
            (None, None) => "设备报警".to_owned(),
        };
        let (source, alarm_id) = (&a.source, &a.alarm_id);
        let new = NewServiceRequest {
            customer_id: customer_id.to_string(),
            unit_id: Some(unit.id.to_string()),
            kind: RequestKind::Repair.as_str().into(),
            channel: Some(Channel::Alarm.as_str().into()),
            priority: Some(Priority::High.as_str().into()),
            symptom: symptom.chars().take(2000).collect(),
            owner_id: Some(self.alarm_owner().await?),
            external_ref: Some(format!("{source}:{alarm_id}").chars().take(100).collect()),
            ..Default::default()
        };
        let idem = Idempotency {
            key: format!("alarm:{source}:{alarm_id}")
                .chars()
                .take(200)
                .collect(),
            fingerprint: format!("alarm {}", Serial::normalize(&a.serial)),
        };
        self.create_service_request(ctx, &new, Some(&idem))
            .await
            .map_err(|e| match e {
                // The customer's record lacks what a request needs: say so for the serial.
                AppError::Validation(errs) => {
                    tracing::warn!(?errs, "an alarm's customer record is incomplete");
                    AppError::conflict_on("serial", "customer_record_incomplete")
                }
                e => e,
            })
    }

    /// Records the alarm with its request and the request's event (a repeat that raced
    /// this one answers the first result).
    async fn record_alarm(
        &self,
        ctx: &Ctx,
        a: &ValidAlarm,
        row: AlarmRow,
        request_number: String,
        event: RequestEvent,
    ) -> Result<(AlarmResult, bool), AppError> {
        let request_id = row
            .request_id
            .clone()
            .ok_or_else(|| AppError::Internal("alarm without request".into()))?;
        let mut tx = self.db.begin().await?;
        match store::insert(tx.conn(), &row).await {
            Ok(()) => {}
            Err(StoreError::Constraint(_)) => {
                drop(tx);
                return self.repeat_after_race(&a.source, &a.alarm_id).await;
            }
            Err(e) => return Err(e.into()),
        }
        self.event(&mut tx, ctx, &request_id, None, event, None)
            .await?;
        tx.commit().await?;
        let merged = row.merged != 0;
        Ok((
            AlarmResult {
                id: row.id,
                source: a.source.clone(),
                alarm_id: a.alarm_id.clone(),
                request_id,
                request_number,
                merged,
            },
            !merged,
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
        if let Some((id, _, _)) = user_store::active_with_role(pool, Role::Dispatcher.as_str())
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
