//! The service history as the customer's and the unit's pages show it (R-CUS-2): one row
//! per request, newest first, with its visits (work order, status, engineer, date,
//! outcome, parts used), in the reader's words. The same partial template
//! (`installed_base/service_history.html`) draws it on both pages.

use crate::i18n::Tr;
use crate::pages::service::requests::{at, request_status_label, status_class, wo_status_label};
use aftersales_app::{AppError, ServiceHistory};

/// A visit of a request, ready to show.
pub struct VisitRow {
    pub number: String,
    pub status: String,
    pub status_class: String,
    pub engineer: Option<String>,
    /// The appointment's start, when one was booked.
    pub when: Option<String>,
    pub outcome: Option<String>,
    /// "压缩机 ×1, 电容 ×2".
    pub parts: Option<String>,
}

/// A request of the history, ready to show.
pub struct HistoryRow {
    pub number: String,
    pub created: String,
    pub status: String,
    pub status_class: String,
    pub kind: String,
    pub unit: Option<String>,
    pub symptom: String,
    pub visits: Vec<VisitRow>,
}

/// The history section of a page: the rows, whether more exist than shown, and where
/// the request list shows them all.
pub struct HistorySection {
    pub rows: Vec<HistoryRow>,
    pub more: bool,
    pub list_href: String,
}

/// The history for a page; `None` for a reader who may see the record but not its requests
/// (the warehouse), whose page then has no history section.
pub fn section(
    tr: Tr,
    history: Result<ServiceHistory, AppError>,
    list_href: String,
) -> Result<Option<HistorySection>, AppError> {
    let h = match history {
        Ok(h) => h,
        Err(AppError::Forbidden) => return Ok(None),
        Err(e) => return Err(e),
    };
    let rows = h
        .items
        .into_iter()
        .map(|e| {
            let r = e.request;
            HistoryRow {
                created: at(r.created_at),
                status: request_status_label(tr, r.status),
                status_class: status_class(&r.status),
                kind: tr.t_dyn(&format!("requests.kind.{}", r.kind)),
                unit: r.unit.as_ref().map(|u| {
                    [u.serial.clone(), Some(u.product_name.clone())]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ")
                }),
                symptom: r.symptom,
                number: r.number,
                visits: e
                    .visits
                    .into_iter()
                    .map(|v| VisitRow {
                        status: wo_status_label(tr, v.order.status, v.order.waiting_reason),
                        status_class: status_class(&v.order.status),
                        engineer: v.order.engineer.map(|x| x.name),
                        when: v.order.appointment_start.map(at),
                        outcome: v
                            .order
                            .outcome
                            .map(|o| tr.t_dyn(&format!("requests.outcome.{}", o.as_str()))),
                        parts: (!v.parts.is_empty()).then(|| {
                            v.parts
                                .iter()
                                .map(|p| format!("{} ×{}", p.name, p.qty))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }),
                        number: v.order.number,
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(Some(HistorySection {
        rows,
        more: h.more,
        list_href,
    }))
}
