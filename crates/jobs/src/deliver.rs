//! The handlers of the service-level work: `sla.check` (the escalation ladder, in `app`)
//! and `notify.deliver`, which sends one outward notification: e-mail over SMTP, SMS and
//! WeChat through an HTTP webhook (docs/sla.md, "Notifications").

use crate::{Handlers, JobError};
use aftersales_app::{
    App, DEFECT_OVERDUE, Job, LOANER_OVERDUE, NOTIFY_DELIVER, Outgoing, SLA_CHECK, SLA_RECALC,
    STOCK_LOW,
};
use aftersales_domain::notifications::NotificationChannel;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (a relay on the same host or network).
    None,
    /// STARTTLS after connecting (port 587).
    StartTls,
    /// TLS from the start (port 465).
    Tls,
}

impl SmtpTls {
    pub fn parse(s: &str) -> Option<SmtpTls> {
        match s {
            "none" => Some(SmtpTls::None),
            "starttls" => Some(SmtpTls::StartTls),
            "tls" => Some(SmtpTls::Tls),
            _ => None,
        }
    }
}

/// Where e-mail goes: an SMTP server and the sender's address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(
        host: &str,
        port: u16,
        tls: SmtpTls,
        credentials: Option<(String, String)>,
        from: &str,
    ) -> Result<Mailer, String> {
        let mut b = match tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| format!("SMTP host {host}: {e}"))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| format!("SMTP host {host}: {e}"))?,
        }
        .port(port)
        .timeout(Some(Duration::from_secs(30)));
        if let Some((user, pass)) = credentials {
            b = b.credentials(lettre::transport::smtp::authentication::Credentials::new(
                user, pass,
            ));
        }
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("sender address {from}: {e}"))?;
        Ok(Mailer {
            transport: b.build(),
            from,
        })
    }

    async fn send(&self, n: &Outgoing) -> Result<(), JobError> {
        let to: Mailbox = n
            .address
            .parse()
            .map_err(|e| JobError::permanent(format!("recipient {}: {e}", n.address)))?;
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(n.subject.clone())
            .message_id(Some(format!("<{}@aftersales>", n.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(n.body.clone())
            .map_err(|e| JobError::permanent(format!("message: {e}")))?;
        self.transport
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| JobError::retry(format!("SMTP: {e}")))
    }
}

/// Where SMS and WeChat messages go: a gateway's webhook, which gets
/// `{"id","channel","to","locale","subject","text"}` as JSON with `Idempotency-Key: <id>`.
#[derive(Clone)]
pub struct MessageWebhook {
    url: String,
    client: reqwest::Client,
}

impl MessageWebhook {
    pub fn new(url: &str) -> Result<MessageWebhook, String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("the SMS webhook must be an http(s) URL: {url}"));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(MessageWebhook {
            url: url.to_owned(),
            client,
        })
    }

    async fn send(&self, n: &Outgoing) -> Result<(), JobError> {
        let r = self
            .client
            .post(&self.url)
            .header("Idempotency-Key", &n.id)
            .json(&serde_json::json!({
                "id": n.id, "channel": n.channel, "to": n.address, "locale": n.locale,
                "subject": n.subject, "text": n.body,
            }))
            .send()
            .await
            .map_err(|e| JobError::retry(format!("webhook: {e}")))?;
        if r.status().is_success() {
            Ok(())
        } else {
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            Err(JobError::retry(format!(
                "webhook answered {status}: {}",
                body.chars().take(300).collect::<String>()
            )))
        }
    }
}

/// Registers `sla.check`, `sla.recalc`, `loaner.overdue`, `stock.low` and `notify.deliver`.
pub fn register(h: &mut Handlers, mailer: Option<Mailer>, webhook: Option<MessageWebhook>) {
    h.register(SLA_RECALC, |app: App, job: Job| async move {
        let marker = job
            .payload
            .get("marker")
            .and_then(|v| v.as_str())
            .unwrap_or(&job.key)
            .to_owned();
        app.run_sla_recalc(&marker).await.map_err(JobError::from)
    });
    h.register(DEFECT_OVERDUE, |app: App, job: Job| async move {
        let id = job
            .payload
            .get("return_id")
            .and_then(|v| v.as_str())
            .ok_or_else(|| JobError::permanent("defects.overdue without return_id"))?
            .to_owned();
        app.run_defect_overdue(&id).await.map_err(JobError::from)
    });
    h.register(SLA_CHECK, |app: App, job: Job| async move {
        let id = job
            .payload
            .get("request_id")
            .and_then(|v| v.as_str())
            .ok_or_else(|| JobError::permanent("sla.check without request_id"))?
            .to_owned();
        app.run_sla_check(&id).await.map_err(JobError::from)
    });
    h.register(LOANER_OVERDUE, |app: App, job: Job| async move {
        let id = job
            .payload
            .get("loan_id")
            .and_then(|v| v.as_str())
            .ok_or_else(|| JobError::permanent("loaner.overdue without loan_id"))?
            .to_owned();
        app.run_loaner_overdue(&id).await.map_err(JobError::from)
    });
    h.register(STOCK_LOW, |app: App, job: Job| async move {
        let field = |k: &str| {
            job.payload
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| JobError::permanent("stock.low without location_id or part_id"))
        };
        let (location, part) = (field("location_id")?, field("part_id")?);
        app.run_stock_low(&location, &part)
            .await
            .map_err(JobError::from)
    });
    h.register(NOTIFY_DELIVER, move |app: App, job: Job| {
        let mailer = mailer.clone();
        let webhook = webhook.clone();
        async move {
            let id = job
                .payload
                .get("notification_id")
                .and_then(|v| v.as_str())
                .ok_or_else(|| JobError::permanent("notify.deliver without notification_id"))?
                .to_owned();
            let Some(n) = app.outgoing_notification(&id).await? else {
                return Err(JobError::permanent(format!("no notification {id}")));
            };
            if n.already_sent {
                return Ok(());
            }
            let sent = match n.channel {
                NotificationChannel::Email => match &mailer {
                    Some(m) => m.send(&n).await,
                    None => Err(JobError::retry(
                        "no SMTP server is configured (AFTERSALES_SMTP_URL)",
                    )),
                },
                NotificationChannel::Sms | NotificationChannel::Wechat => match &webhook {
                    Some(w) => w.send(&n).await,
                    None => Err(JobError::retry(
                        "no SMS webhook is configured (AFTERSALES_SMS_WEBHOOK_URL)",
                    )),
                },
                NotificationChannel::InApp => Err(JobError::permanent(
                    "an in-app notification is not delivered",
                )),
            };
            if let Err(e) = app
                .record_delivery(&id, sent.as_ref().err().map(|e| e.message.as_str()))
                .await
            {
                // Sent but not recorded: do not send it again for that.
                tracing::warn!(notification = %id, error = %e, "delivery not recorded");
            }
            sent
        }
    });
}
