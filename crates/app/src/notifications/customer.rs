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
        CustomerNotice::EngineerAssigned { engineer_name } => {
            ("engineer_assigned", engineer_name, String::new())
        }
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
        // The customer by the contact's phone (SMS), and their portal accounts' bells.
        let mut to = vec![Recipient {
            user_id: None,
            name: r.contact_name.clone(),
            locale: Locale::ZhCn,
            email: None,
            phone: Some(r.contact_phone.clone()),
            texts: true,
        }];
        let portal = sla_store::portal_users(tx.conn(), &r.customer_id).await?;
        to.extend(users_as_recipients(tx.conn(), &portal).await?);
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
        for notice in [
            CustomerNotice::RequestReceived,
            CustomerNotice::EngineerAssigned {
                engineer_name: "李强".into(),
            },
            CustomerNotice::WorkCompleted,
        ] {
            let (template, _, _) = wording(&site, notice, "x");
            let (subject, _) = crate::notifications::render(template, Locale::ZhCn, &[]);
            assert_ne!(subject, template, "a template exists for {template}");
        }
    }
}
