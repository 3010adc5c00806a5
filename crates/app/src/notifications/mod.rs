//! Notifications (docs/sla.md, "Notifications"): what users and customers are told, in
//! their language, through the bell, e-mail and SMS/WeChat.
//!
//! A notification is written in the transaction of the event that causes it: an in-app
//! row for the bell, and for each outward channel a row plus a `notify.deliver` job that
//! the worker sends (the jobs crate holds the SMTP and webhook adapters). Nothing is sent
//! for a change that did not commit, and nothing committed is forgotten.

mod customer;
mod staff;

use crate::{AppError, Ctx, Principal};
use aftersales_domain::Locale;
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::notifications::{NotificationChannel, NotificationStatus};
use aftersales_store::administration::jobs::{self as job_store, NewJob};
use aftersales_store::sla::{self as store, NotificationRow};
use aftersales_store::{Conn, Tx, time};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The job kind that delivers one outward notification.
pub const NOTIFY_DELIVER: &str = "notify.deliver";

/// Who is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: Option<String>,
    pub name: String,
    pub locale: Locale,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Whether a text goes to `phone`: always for a customer; for staff only when the
    /// notice says so ([`aftersales_domain::service::StaffNotice::texts_the_engineer`]).
    pub texts: bool,
}

/// The templates: (event, zh-CN subject, zh-CN body, en subject, en body). `{name}` is
/// replaced by the parameter of that name.
const TEMPLATES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "request_received",
        "报修已受理：{number}",
        "您好，您的报修已受理，服务单号 {number}。我们将尽快与您联系。",
        "Service request received: {number}",
        "Your service request {number} has been received. We will contact you shortly.",
    ),
    (
        "engineer_assigned",
        "工程师已派出：{number}",
        "您的服务单 {number} 已安排工程师 {engineer} 处理。",
        "Engineer assigned: {number}",
        "Engineer {engineer} has been assigned to your service request {number}.",
    ),
    (
        "visit_booked",
        "上门已预约：{number}",
        "您的服务单 {number} 已安排工程师 {engineer} 上门，时间：{window}。如需改约请联系客服。",
        "Visit booked: {number}",
        "Engineer {engineer} will visit for your service request {number} on {window}. Call us to change the time.",
    ),
    (
        "quote_sent",
        "报价单：{number}",
        "您的服务报价单 {number}：应付 {total} 元，有效期至 {until}。请打开链接查看并确认：{url}",
        "Quote {number}",
        "Your service quote {number}: {total} yuan to pay, valid until {until}. Open the link to read and confirm it: {url}",
    ),
    (
        "appointment",
        "上门时间已预约：{number}",
        "您的服务单 {number} 已预约上门时间：{window}。",
        "Visit scheduled: {number}",
        "The visit for your service request {number} is scheduled for {window}.",
    ),
    (
        "engineer_on_the_way",
        "工程师已出发：{number}",
        "工程师 {engineer} 已出发前往，服务单 {number}。",
        "Engineer on the way: {number}",
        "Engineer {engineer} is on the way for your service request {number}.",
    ),
    (
        "work_completed",
        "服务已完成：{number}",
        "您的服务单 {number} 已完成。感谢您的支持，欢迎对本次服务进行评价。",
        "Work completed: {number}",
        "The work on your service request {number} is completed. Thank you; we welcome your rating of the service.",
    ),
    (
        "new_request",
        "新报修：{number}",
        "{customer}报修（{channel}）：{symptom}\n地址：{address}\n请及时处理。\n{link}",
        "New service request: {number}",
        "{customer} ({channel}): {symptom}\nAddress: {address}\nPlease take it.\n{link}",
    ),
    (
        "job_assigned",
        "新工单：{wo}",
        "您有新的工单 {wo}：{customer}，{address}。故障：{symptom}。{window}请在手机上接单或拒单。\n{link}",
        "New job: {wo}",
        "You have a new job {wo}: {customer}, {address}. Fault: {symptom}. {window}Please accept or decline it on your phone.\n{link}",
    ),
    (
        "job_withdrawn",
        "工单已改派：{wo}",
        "工单 {wo}（{customer}）已改派给其他工程师，您无需再前往。",
        "Job reassigned: {wo}",
        "Job {wo} ({customer}) has been given to another engineer; you need not go.",
    ),
    (
        "job_declined",
        "工单被拒：{wo}",
        "工程师 {engineer} 拒绝了工单 {wo}（{customer}）：{reason}\n请重新派工。\n{link}",
        "Job declined: {wo}",
        "Engineer {engineer} declined job {wo} ({customer}): {reason}\nPlease assign it again.\n{link}",
    ),
    (
        "parts_arrived",
        "备件已到：{wo}",
        "工单 {wo} 所需备件已到工程师车载库（申领单 {number}），可以安排继续维修。\n{link}",
        "Parts arrived: {wo}",
        "The parts work order {wo} waited for are in the engineer's van (requisition {number}); the repair can go on.\n{link}",
    ),
    (
        "sla_warning",
        "【时效预警】{number} {milestone}将于 {due} 到期",
        "服务单 {number}（{customer}）的{milestone}时限将于 {due} 到期，已用去 80%。请及时处理。\n{link}",
        "[SLA warning] {number}: {milestone} due {due}",
        "Service request {number} ({customer}): {milestone} is due {due}; 80% of the time is used. Please act now.\n{link}",
    ),
    (
        "sla_breached",
        "【时效超时】{number} {milestone}已超时",
        "服务单 {number}（{customer}）的{milestone}已于 {due} 超时。升级第 {step} 级：{role}。请尽快处理，并在服务单页面确认。\n{link}",
        "[SLA breach] {number}: {milestone} overdue",
        "Service request {number} ({customer}): {milestone} was due {due} and is overdue. Escalation step {step}: {role}. Please act and acknowledge on the request's page.\n{link}",
    ),
    (
        "dispatch_escalated",
        "【派工升级】{number} 无人可派",
        "调度 {by} 为工单 {number} 找不到可派的工程师（资质、区域或排班不符），请协调：转派服务商或其他服务站，或安排人员。{note}\n{link}",
        "[Dispatch escalated] {number}: nobody can be sent",
        "Dispatcher {by} found nobody who may be sent to work order {number} (certification, territory or shift). Please arrange it: hand it to a partner or another station, or staff it. {note}\n{link}",
    ),
    (
        "job_transferred",
        "【转交工单】{number} 转交本单位",
        "{by}（{from}）将工单 {number}（{customer}，{address}）转交给{to}：{reason}\n请在派工台安排。\n{link}",
        "[Job handed over] {number} is now yours",
        "{by} ({from}) handed work order {number} ({customer}, {address}) to {to}: {reason}\nPlease dispatch it from the board.\n{link}",
    ),
    (
        "stock_low",
        "【低库存】{part} 在 {location} 仅剩 {on_hand}",
        "备件 {part}（{name_zh}）在 {location} 的库存为 {on_hand}，已不高于补货点 {point}，建议补货 {qty}。\n{link}",
        "[Low stock] {part} at {location}: {on_hand} left",
        "Part {part} ({name_en}) at {location} is down to {on_hand}, at or below its reorder point of {point}; reorder {qty}.\n{link}",
    ),
    (
        "emergency_plan",
        "【应急方案】{number} 未在时限内修复",
        "服务单 {number}（{customer}）未在 {due} 前修复，已启动应急方案，并建议为客户提供备用机。\n{link}",
        "[Emergency plan] {number} not resolved in time",
        "Service request {number} ({customer}) was not resolved by {due}: the emergency plan is open and a loaner is proposed.\n{link}",
    ),
    (
        "loaner_overdue",
        "【备用机逾期】{serial} 应于 {due} 归还",
        "备用机 {serial}（{model}）借给 {customer}（服务单 {number}），应于 {due} 归还，至今未还。请联系客户取回。\n{link}",
        "[Loaner overdue] {serial} was due back {due}",
        "Loaner {serial} ({model}), lent to {customer} (service request {number}), was due back {due} and has not come back. Please contact the customer.\n{link}",
    ),
    (
        "quality_alert",
        "质量预警：{part}",
        "{part} 近 {days} 天已有 {failures} 件故障旧件入库，请质量部门分析批次。",
        "Quality alert: {part}",
        "{failures} defective {part} received in the last {days} days; please analyse the batches.",
    ),
];

/// Subject and body of an event's message in a language.
/// A parameter's value in each language (most are the same in both).
pub type Param<'a> = (&'a str, String, String);

/// The same value in both languages.
pub fn same<'a>(name: &'a str, v: impl Into<String>) -> Param<'a> {
    let v = v.into();
    (name, v.clone(), v)
}

pub fn render(event: &str, locale: Locale, params: &[Param<'_>]) -> (String, String) {
    let (subject, body) = TEMPLATES
        .iter()
        .find(|t| t.0 == event)
        .map(|t| match locale {
            Locale::ZhCn => (t.1, t.2),
            Locale::En => (t.3, t.4),
        })
        .unwrap_or((event, event));
    // One pass over the template: a value that holds `{…}` stays as it is.
    let fill = |s: &str| {
        let mut out = String::with_capacity(s.len() + 64);
        let mut rest = s;
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let Some(j) = after.find('}') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let name = &after[..j];
            match params.iter().find(|p| p.0 == name) {
                Some((_, zh, en)) => out.push_str(match locale {
                    Locale::ZhCn => zh,
                    Locale::En => en,
                }),
                None => out.push_str(&rest[i..i + j + 2]),
            }
            rest = &after[j + 1..];
        }
        out.push_str(rest);
        out.trim_end().to_owned()
    };
    (fill(subject), fill(body))
}

/// One notification in the bell's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    pub event: String,
    pub subject: String,
    pub body: String,
    /// The language the message was written in (the recipient's when it was sent): pages
    /// in the other language mark it as such.
    #[schema(value_type = String, example = "zh-CN")]
    pub locale: Locale,
    pub link: Option<String>,
    pub request_id: Option<String>,
    /// `unread` or `read`.
    #[schema(value_type = crate::schema::InboxStatusName)]
    pub status: NotificationStatus,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// The bell: the newest notifications and how many are unread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Inbox {
    pub unread: i64,
    pub items: Vec<NotificationView>,
}

/// A notification as the delivery job needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: String,
    pub channel: NotificationChannel,
    pub address: String,
    pub subject: String,
    pub body: String,
    pub locale: String,
    pub already_sent: bool,
}

impl crate::App {
    /// Writes a notification for `to` in the caller's transaction: the bell (for a user),
    /// and e-mail and SMS where the recipient has an address and the channel is set up.
    pub(crate) async fn notify(
        &self,
        tx: &mut Tx,
        to: &Recipient,
        event: &str,
        request_id: Option<&str>,
        link: Option<&str>,
        params: &[Param<'_>],
    ) -> Result<(), AppError> {
        let now = self.now();
        let (subject, body) = render(event, to.locale, params);
        let created_at = time::to_db(now)?;
        let row =
            |channel: NotificationChannel, address: Option<String>, status: &str| NotificationRow {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: to.user_id.clone(),
                channel: channel.as_str().to_owned(),
                address,
                locale: to.locale.as_str().to_owned(),
                event: event.to_owned(),
                request_id: request_id.map(str::to_owned),
                subject: subject.clone(),
                body: body.clone(),
                link: link.map(str::to_owned),
                status: status.to_owned(),
                last_error: None,
                created_at: created_at.clone(),
                read_at: None,
                sent_at: None,
            };
        let mut rows = vec![];
        if to.user_id.is_some() {
            rows.push((
                NotificationChannel::InApp,
                row(
                    NotificationChannel::InApp,
                    None,
                    NotificationStatus::Unread.as_str(),
                ),
            ));
        }
        if self.cfg.email_enabled
            && let Some(e) = to.email.as_deref().filter(|e| !e.trim().is_empty())
        {
            rows.push((
                NotificationChannel::Email,
                row(
                    NotificationChannel::Email,
                    Some(e.trim().to_owned()),
                    NotificationStatus::Queued.as_str(),
                ),
            ));
        }
        if self.cfg.sms_enabled
            && to.texts
            && let Some(p) = to.phone.as_deref().filter(|p| !p.trim().is_empty())
        {
            rows.push((
                NotificationChannel::Sms,
                row(
                    NotificationChannel::Sms,
                    Some(p.trim().to_owned()),
                    NotificationStatus::Queued.as_str(),
                ),
            ));
        }
        for (channel, n) in rows {
            store::insert_notification(tx.conn(), &n).await?;
            if channel.is_outward() {
                job_store::arm(
                    tx.conn(),
                    &NewJob::new(
                        NOTIFY_DELIVER,
                        format!("notify:{}", n.id),
                        serde_json::json!({ "notification_id": n.id }),
                        now,
                    ),
                    now,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// What the delivery job sends; `None` when the notification does not exist.
    #[tracing::instrument(skip_all)]
    pub async fn outgoing_notification(&self, id: &str) -> Result<Option<Outgoing>, AppError> {
        let mut conn = self.db.acquire().await?;
        let Some(n) = store::notification(&mut *conn, id).await? else {
            return Ok(None);
        };
        Ok(Some(Outgoing {
            already_sent: NotificationStatus::parse(&n.status) == Some(NotificationStatus::Sent),
            address: n.address.clone().unwrap_or_default(),
            channel: crate::service::requests::stored(
                "notifications.channel",
                &n.channel,
                NotificationChannel::parse,
            )?,
            id: n.id,
            subject: n.subject,
            body: n.body,
            locale: n.locale,
        }))
    }

    /// Records a delivery: sent now, or failed with the error (the job retries).
    #[tracing::instrument(skip_all)]
    pub async fn record_delivery(&self, id: &str, error: Option<&str>) -> Result<(), AppError> {
        let now = time::to_db(self.now())?;
        let mut tx = self.db.begin().await?;
        store::mark_delivery(
            tx.conn(),
            id,
            error.is_none().then_some(now.as_str()),
            error,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The caller's bell.
    #[tracing::instrument(skip_all)]
    pub async fn inbox(&self, ctx: &Ctx, limit: i64) -> Result<Inbox, AppError> {
        let Principal::User(a) = &ctx.principal else {
            return Err(AppError::Forbidden);
        };
        let mut conn = self.db.acquire().await?;
        let id = a.id.to_string();
        let unread = store::unread_count(&mut *conn, &id).await?;
        let items = store::inbox(&mut *conn, &id, limit)
            .await?
            .into_iter()
            .map(view)
            .collect::<Result<_, _>>()?;
        Ok(Inbox { unread, items })
    }

    /// Marks one of the caller's notifications read, or all of them.
    #[tracing::instrument(skip_all)]
    pub async fn mark_notifications_read(
        &self,
        ctx: &Ctx,
        id: Option<&str>,
    ) -> Result<u64, AppError> {
        let Principal::User(a) = &ctx.principal else {
            return Err(AppError::Forbidden);
        };
        let mut tx = self.db.begin().await?;
        let n =
            store::mark_read(tx.conn(), &a.id.to_string(), id, &time::to_db(self.now())?).await?;
        if id.is_some() && n == 0 {
            return Err(AppError::NotFound("notification"));
        }
        tx.commit().await?;
        Ok(n)
    }

    /// A link to a request's page, absolute when the public address is known.
    pub(crate) fn request_link(&self, number: &str) -> String {
        self.link(&format!("/requests/{number}"))
    }

    /// A link to a page of this site, absolute when the public address is known.
    pub(crate) fn link(&self, path: &str) -> String {
        let base = self
            .cfg
            .public_url
            .as_deref()
            .unwrap_or("")
            .trim_end_matches('/');
        format!("{base}{path}")
    }
}

fn view(n: NotificationRow) -> Result<NotificationView, AppError> {
    Ok(NotificationView {
        created_at: time::from_db("notifications.created_at", &n.created_at)?,
        id: n.id,
        event: n.event,
        subject: n.subject,
        body: n.body,
        locale: crate::service::requests::stored("notifications.locale", &n.locale, |s| {
            Locale::ALL.into_iter().find(|l| l.as_str() == s)
        })?,
        link: n.link,
        request_id: n.request_id,
        status: crate::service::requests::stored(
            "notifications.status",
            &n.status,
            NotificationStatus::parse,
        )?,
    })
}

/// Users to tell, as recipients.
pub(crate) async fn users_as_recipients(
    conn: &mut Conn,
    ids: &[String],
) -> Result<Vec<Recipient>, AppError> {
    Ok(store::contacts_of_users(&mut *conn, ids)
        .await?
        .into_iter()
        .map(|u| Recipient {
            user_id: Some(u.id),
            name: u.display_name,
            locale: Locale::from_tag(&u.locale).unwrap_or_default(),
            email: u.email,
            phone: u.phone,
            texts: false,
        })
        .collect())
}

/// Who keeps a unit's stock and loaners: its warehouse keepers and managers, else those of
/// the nearest unit above it that has any (loaners overdue, stock below its reorder point).
pub(crate) async fn keepers_of(conn: &mut Conn, unit: &str) -> Result<Vec<Recipient>, AppError> {
    let chain = crate::network::unit_chain(conn, Some(unit)).await?;
    for u in chain.iter().rev() {
        let mut ids = vec![];
        for role in [
            aftersales_domain::Role::Warehouse,
            aftersales_domain::Role::Manager,
        ] {
            ids.extend(
                store::users_with_role_in_unit(&mut *conn, role.as_str(), u)
                    .await?
                    .into_iter()
                    .map(|u| u.id),
            );
        }
        if !ids.is_empty() {
            return users_as_recipients(conn, &ids).await;
        }
    }
    Ok(vec![])
}

/// A user's addresses for notifications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserContactInput {
    /// An e-mail address, or empty to clear it.
    #[schema(
        max_length = 254,
        pattern = r"^\s*(?:[^\s@,;\u0000-\u001F\u007F-\u009F]+@[^\s@,;.\u0000-\u001F\u007F-\u009F][^\s@,;\u0000-\u001F\u007F-\u009F]*\.[^\s@,;\u0000-\u001F\u007F-\u009F]*[^\s@,;.\u0000-\u001F\u007F-\u009F])?\s*$"
    )]
    pub email: Option<String>,
    /// A mobile number, or empty to clear it.
    #[schema(max_length = 40, pattern = r"^(?:[ +()-]*(?:[0-9][ +()-]*){5,20})?$")]
    pub phone: Option<String>,
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.chars().count() <= 254
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == ';')
}

impl crate::App {
    /// Sets where a user is told things besides the bell: admins for anyone, every user
    /// for themself.
    #[tracing::instrument(skip_all)]
    pub async fn set_user_contact(
        &self,
        ctx: &Ctx,
        user_id: aftersales_domain::UserId,
        input: &UserContactInput,
    ) -> Result<UserContactInput, AppError> {
        let own = matches!(&ctx.principal, Principal::User(a) if a.id == user_id);
        if !own {
            ctx.require(aftersales_domain::Permission::UsersManage)?;
        }
        let mut errs = aftersales_domain::FieldErrors::new();
        let email = input
            .email
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if email.is_some_and(|e| !valid_email(e)) {
            errs.push(aftersales_domain::FieldError::new("email", "invalid_email"));
        }
        let phone = input
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if phone.is_some_and(|p| {
            let digits = p.chars().filter(|c| c.is_ascii_digit()).count();
            !(5..=20).contains(&digits)
                || p.chars().count() > 40
                || p.chars()
                    .any(|c| !(c.is_ascii_digit() || "+-() ".contains(c)))
        }) {
            errs.push(aftersales_domain::FieldError::new("phone", "invalid_phone"));
        }
        errs.into_result().map_err(AppError::Validation)?;
        let mut tx = self.db.begin().await?;
        if !store::set_user_contact(tx.conn(), &user_id.to_string(), email, phone).await? {
            return Err(AppError::NotFound("user"));
        }
        let out = UserContactInput {
            email: email.map(str::to_owned),
            phone: phone.map(str::to_owned),
        };
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::User,
            &user_id.to_string(),
            AuditAction::SetContact,
            None,
            serde_json::to_value(&out).ok(),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_in_one_pass_in_the_reader_s_language() {
        let params = [
            same("number", "SR1"),
            same("customer", "{link} & Co"),
            ("milestone", "响应".into(), "response".into()),
            same("due", "2026-03-02 11:00"),
            same("link", "https://x/requests/SR1"),
        ];
        let (subject, body) = render("sla_warning", Locale::En, &params);
        assert_eq!(subject, "[SLA warning] SR1: response due 2026-03-02 11:00");
        assert!(
            body.starts_with("Service request SR1 ({link} & Co): response is due"),
            "{body}"
        );
        assert!(body.ends_with("https://x/requests/SR1"), "{body}");
        let (subject, _) = render("sla_warning", Locale::ZhCn, &params);
        assert_eq!(subject, "【时效预警】SR1 响应将于 2026-03-02 11:00 到期");
        // An unknown placeholder stays as written.
        let (_, body) = render("request_received", Locale::En, &[]);
        assert!(body.contains("{number}"), "{body}");
    }
}
