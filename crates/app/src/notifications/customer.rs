//! What customers are told as their request moves (docs/sla.md, "Notifications"): the
//! request received, the engineer assigned, the visit window agreed or moved, the engineer
//! on the way, the work completed.
//!
//! Which events tell the customer something is the domain's decision
//! ([`RequestEvent::customer_notice`]); here it is worded with the templates and written for
//! the request's contact (SMS) and the customer's portal accounts (the bell), in the
//! transaction that writes the event (`App::event`), so nothing is told of a change that did
//! not commit.

use crate::AppError;
use crate::notifications::{Recipient, same, users_as_recipients};
use aftersales_domain::Locale;
use aftersales_domain::service::{CustomerNotice, RequestEvent};
use aftersales_store::Tx;
use aftersales_store::service as service_store;
use aftersales_store::sla as sla_store;
use jiff::Timestamp;

/// The template of a notice and what it names: (template, engineer, window).
fn wording(
    site: &crate::Site,
    notice: CustomerNotice,
    actor_name: &str,
) -> (&'static str, String, String) {
    match notice {
        CustomerNotice::RequestReceived => ("request_received", String::new(), String::new()),
        CustomerNotice::EngineerAssigned {
            engineer_name,
            window: None,
        } => ("engineer_assigned", engineer_name, String::new()),
        // Booked at dispatch: the engineer and the window in one notice.
        CustomerNotice::EngineerAssigned {
            engineer_name,
            window: Some((from, to)),
        } => ("visit_booked", engineer_name, window(site, from, to)),
        CustomerNotice::Appointment { starts_at, ends_at } => (
            "appointment",
            String::new(),
            window(site, starts_at, ends_at),
        ),
        CustomerNotice::EngineerOnTheWay => {
            ("engineer_on_the_way", actor_name.to_owned(), String::new())
        }
        CustomerNotice::WorkCompleted => ("work_completed", String::new(), String::new()),
    }
}

/// `2026-11-23 09:00–11:00` in the site's time zone.
fn window(site: &crate::Site, from: Timestamp, to: Timestamp) -> String {
    format!(
        "{}–{}",
        site.minute_text(from),
        site.local(to).strftime("%H:%M")
    )
}

impl crate::App {
    /// Tells the customer of a request what `event` means for them, if anything; in the
    /// caller's transaction. `actor_name`: who acted (the engineer on the way).
    pub(crate) async fn tell_customer(
        &self,
        tx: &mut Tx,
        request_id: &str,
        event: &RequestEvent,
        actor_name: &str,
    ) -> Result<(), AppError> {
        let Some(notice) = event.customer_notice() else {
            return Ok(());
        };
        let (template, engineer, window) = wording(self.site(), notice, actor_name);
        let r = service_store::get_request(tx.conn(), request_id).await?;
        let params = [
            same("number", r.number.clone()),
            same("engineer", engineer),
            same("window", window),
        ];
        // The customer by the contact's phone (SMS), and their portal accounts' bells,
        // each in the customer's language: a portal account's own; the text in the
        // language of the customer's first portal account, else Chinese (decision: the
        // customer record has no language of its own).
        let portal = sla_store::portal_users(tx.conn(), &r.customer_id).await?;
        let accounts = users_as_recipients(tx.conn(), &portal).await?;
        let mut to = vec![Recipient {
            user_id: None,
            name: r.contact_name.clone(),
            locale: accounts.first().map(|a| a.locale).unwrap_or(Locale::ZhCn),
            email: None,
            phone: Some(r.contact_phone.clone()),
            texts: true,
        }];
        to.extend(accounts);
        let link = format!("/portal/requests/{}", r.number);
        for t in &to {
            self.notify(tx, t, template, Some(&r.id), Some(&link), &params)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_notice_has_its_template_and_names() {
        let t = |s: &str| s.parse::<Timestamp>().expect("instant");
        let site = crate::Site::default();
        assert_eq!(
            wording(&site, CustomerNotice::EngineerOnTheWay, "张伟"),
            ("engineer_on_the_way", "张伟".to_owned(), String::new())
        );
        let (template, _, window) = wording(
            &site,
            CustomerNotice::Appointment {
                starts_at: t("2026-11-23T01:00:00Z"),
                ends_at: t("2026-11-23T03:00:00Z"),
            },
            "x",
        );
        assert_eq!(
            (template, window.as_str()),
            ("appointment", "2026-11-23 09:00–11:00")
        );
        // Booked with the assignment: one notice with the engineer and the window.
        let booked = wording(
            &site,
            CustomerNotice::EngineerAssigned {
                engineer_name: "张伟".into(),
                window: Some((t("2026-11-23T01:00:00Z"), t("2026-11-23T03:00:00Z"))),
            },
            "x",
        );
        assert_eq!(
            booked,
            (
                "visit_booked",
                "张伟".to_owned(),
                "2026-11-23 09:00–11:00".to_owned()
            )
        );
        let params = [
            same("number", "SR1"),
            same("engineer", booked.1.clone()),
            same("window", booked.2.clone()),
        ];
        let (_, zh) = crate::notifications::render("visit_booked", Locale::ZhCn, &params);
        assert!(
            zh.contains("张伟") && zh.contains("2026-11-23 09:00–11:00"),
            "{zh}"
        );
        let (_, en) = crate::notifications::render("visit_booked", Locale::En, &params);
        assert!(en.starts_with("Engineer 张伟 will visit"), "{en}");
        for notice in [
            CustomerNotice::RequestReceived,
            CustomerNotice::EngineerAssigned {
                engineer_name: "李强".into(),
                window: None,
            },
            CustomerNotice::WorkCompleted,
        ] {
            let (template, _, _) = wording(&site, notice, "x");
            let (subject, _) = crate::notifications::render(template, Locale::ZhCn, &[]);
            assert_ne!(subject, template, "a template exists for {template}");
        }
    }
}
