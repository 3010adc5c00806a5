//! What people on staff are told when work arrives (issue 13, defect 8): dispatchers of a
//! new request and of a declined job, an engineer of a job put on them or taken off them.
//!
//! Which events tell whom is the domain's decision ([`RequestEvent::staff_notices`]); here
//! the people are found and the message is written in each one's language, in the
//! transaction that writes the event (`App::event`), so nobody is told of a change that did
//! not commit. The one who acted is never told of their own act.

use crate::AppError;
use crate::notifications::{Param, Recipient, same, users_as_recipients};
use aftersales_domain::service::{Channel, RequestEvent, StaffNotice};
use aftersales_domain::{Locale, Role, UserId};
use aftersales_store::service::{self as service_store, RequestRow, WorkOrderRow};
use aftersales_store::sla as sla_store;
use aftersales_store::{Conn, Tx, time};

impl crate::App {
    /// Tells staff what `event` brings them, if anything; in the caller's transaction.
    /// `actor`: the user who acted (not told); `actor_name`: their name then.
    pub(crate) async fn tell_staff(
        &self,
        tx: &mut Tx,
        request_id: &str,
        work_order_id: Option<&str>,
        event: &RequestEvent,
        actor: Option<UserId>,
        actor_name: &str,
    ) -> Result<(), AppError> {
        let notices = event.staff_notices();
        if notices.is_empty() {
            return Ok(());
        }
        let r = service_store::get_request(tx.conn(), request_id).await?;
        let wo = match work_order_id {
            Some(id) => Some(service_store::get_work_order(tx.conn(), id).await?),
            None => None,
        };
        let customer = sla_store::customer_name(tx.conn(), &r.customer_id)
            .await?
            .unwrap_or_default();
        for notice in notices {
            let (template, unit, engineer) = match &notice {
                StaffNotice::NewRequest => ("new_request", r.org_unit_id.as_deref(), None),
                StaffNotice::JobAssigned { engineer_id } => {
                    ("job_assigned", None, Some(*engineer_id))
                }
                StaffNotice::JobWithdrawn { engineer_id } => {
                    ("job_withdrawn", None, Some(*engineer_id))
                }
                StaffNotice::JobDeclined { .. } => (
                    "job_declined",
                    wo.as_ref()
                        .and_then(|w| w.org_unit_id.as_deref())
                        .or(r.org_unit_id.as_deref()),
                    None,
                ),
            };
            let mut to = match engineer {
                Some(id) => users_as_recipients(tx.conn(), &[id.to_string()]).await?,
                None => dispatchers_of(tx.conn(), unit).await?,
            };
            to.retain(|t| actor.is_none_or(|a| t.user_id.as_deref() != Some(&a.to_string())));
            let texts = notice.texts_the_engineer();
            for t in &mut to {
                t.texts = texts;
            }
            let (link, params) =
                self.staff_params(&notice, &r, wo.as_ref(), &customer, actor_name)?;
            for t in &to {
                self.notify(tx, t, template, Some(&r.id), Some(&link), &params)
                    .await?;
            }
        }
        Ok(())
    }

    /// Tells the engineer and the dispatchers of a work order's unit that the parts it
    /// waited for arrived at the engineer's van (issue 14 point 4); in the receipt's
    /// transaction. The one who received them is not told.
    pub(crate) async fn tell_parts_arrived(
        &self,
        tx: &mut Tx,
        ctx: &crate::Ctx,
        work_order_id: &str,
        engineer_id: Option<&str>,
        requisition: &str,
    ) -> Result<(), AppError> {
        let wo = service_store::get_work_order(tx.conn(), work_order_id).await?;
        let mut to = match engineer_id.or(wo.engineer_id.as_deref()) {
            Some(id) => users_as_recipients(tx.conn(), &[id.to_owned()]).await?,
            None => Vec::new(),
        };
        for d in dispatchers_of(tx.conn(), wo.org_unit_id.as_deref()).await? {
            if !to.iter().any(|t| t.user_id == d.user_id) {
                to.push(d);
            }
        }
        let me = ctx.actor().map(|a| a.id.to_string());
        to.retain(|t| me.is_none() || t.user_id != me);
        let link = self.link(&format!("/requisitions/{requisition}"));
        let params = [
            same("wo", wo.number.clone()),
            same("number", requisition.to_owned()),
            same("link", link.clone()),
        ];
        for t in &to {
            self.notify(
                tx,
                t,
                "parts_arrived",
                Some(&wo.request_id),
                Some(&link),
                &params,
            )
            .await?;
        }
        Ok(())
    }

    /// The link and the named values of a staff message.
    fn staff_params(
        &self,
        notice: &StaffNotice,
        r: &RequestRow,
        wo: Option<&WorkOrderRow>,
        customer: &str,
        actor_name: &str,
    ) -> Result<(String, Vec<Param<'static>>), AppError> {
        let channel = Channel::parse(&r.channel);
        let mut p = vec![
            same("number", r.number.clone()),
            same("customer", customer.to_owned()),
            same("address", r.address.clone()),
            same("symptom", r.symptom.clone()),
            (
                "channel",
                channel.map_or(r.channel.clone(), |c| c.label(Locale::ZhCn).to_owned()),
                channel.map_or(r.channel.clone(), |c| c.label(Locale::En).to_owned()),
            ),
            same("wo", wo.map(|w| w.number.clone()).unwrap_or_default()),
            same("engineer", actor_name.to_owned()),
        ];
        if let StaffNotice::JobDeclined { reason } = notice {
            p.push(same("reason", reason.clone()));
        }
        let window = match wo.map(|w| (&w.appointment_start, &w.appointment_end)) {
            Some((Some(a), Some(b))) => {
                let a = time::from_db("work_orders.appointment_start", a)?;
                let b = time::from_db("work_orders.appointment_end", b)?;
                let w = format!(
                    "{}–{}",
                    self.site().minute_text(a),
                    self.site().local(b).strftime("%H:%M")
                );
                (format!("预约时间：{w}。"), format!("Visit window: {w}. "))
            }
            _ => (String::new(), String::new()),
        };
        p.push(("window", window.0, window.1));
        let path = match (notice, wo) {
            (StaffNotice::JobAssigned { .. }, Some(w)) => format!("/m/orders/{}", w.id),
            (StaffNotice::JobWithdrawn { .. }, _) => "/m".to_owned(),
            (StaffNotice::JobDeclined { .. }, _) => "/dispatch".to_owned(),
            _ => format!("/requests/{}", r.number),
        };
        let link = self.link(&path);
        p.push(same("link", link.clone()));
        Ok((link, p))
    }
}

/// The dispatchers of a unit: the nearest unit up the tree that has any; everyone who
/// dispatches when the request has no unit yet or no unit above it has a dispatcher (a
/// new request must reach someone).
async fn dispatchers_of(conn: &mut Conn, unit: Option<&str>) -> Result<Vec<Recipient>, AppError> {
    let chain = crate::network::unit_chain(conn, unit).await?;
    for u in chain.iter().rev() {
        let users =
            sla_store::users_with_role_in_unit(&mut *conn, Role::Dispatcher.as_str(), u).await?;
        if !users.is_empty() {
            let ids: Vec<String> = users.into_iter().map(|u| u.id).collect();
            return users_as_recipients(conn, &ids).await;
        }
    }
    let ids: Vec<String> = sla_store::users_with_role(&mut *conn, Role::Dispatcher.as_str())
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    users_as_recipients(conn, &ids).await
}
