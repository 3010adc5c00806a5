//! Payments on the engineer's phone, the receipt download, the public check of a
//! receipt's QR code, and the cash page (docs/charges.md): what each engineer
//! holds (older than a day highlighted), the hand-over and the manager's confirmation.

use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::request::locale_of;
use crate::shell::{FormErrors, PageError, Shell, WebUser};
use aftersales_app::{
    AppError, CashHolding, HandoverConfirm, HandoverView, NewHandover, NewPayment, PaymentView,
    ReceiptCheck,
};
use aftersales_domain::Permission;
use aftersales_domain::charges::PaymentMethod;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// A choice of the method select: value and words.
pub struct MethodChoice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "charges/m_payments.html")]
pub struct PhonePaymentsPage {
    pub shell: Shell,
    pub order: String,
    pub payments: Vec<PaymentView>,
    pub methods: Vec<MethodChoice>,
    pub form: PaymentForm,
    pub errors: FormErrors,
    pub alert: Option<String>,
    pub done: Option<String>,
}

impl PhonePaymentsPage {
    pub fn method_text(&self, p: &PaymentView) -> String {
        self.shell
            .tr
            .t_dyn(&format!("charges.method.{}", p.method.as_str()))
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct PaymentForm {
    /// Yuan as typed (`128.50`), turned into fen here.
    pub amount: String,
    pub method: String,
    pub reference: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    pub done: String,
}

/// Yuan as typed (at most two decimals) into fen; anything else is sent on as text so the
/// use-case refuses it with `not_an_integer`.
fn fen_of(yuan: &str) -> serde_json::Value {
    let t = yuan.trim().replace([',', '，', '¥', ' '], "");
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    let ok = !whole.is_empty()
        && whole.len() <= 11
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return serde_json::Value::String(t);
    }
    let w: i64 = whole.parse().unwrap_or(0);
    let f: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
    serde_json::Value::from(w * 100 + f)
}

#[allow(clippy::too_many_arguments)]
async fn phone_page(
    s: &AppState,
    u: WebUser,
    order: &str,
    form: PaymentForm,
    errors: FormErrors,
    alert: Option<String>,
    done: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let payments = s.app.work_order_payments(&u.ctx, order).await?;
    let tr = u.tr();
    let methods = PaymentMethod::ALL
        .iter()
        .map(|m| MethodChoice {
            value: m.as_str(),
            label: tr.t_dyn(&format!("charges.method.{}", m.as_str())),
            selected: form.method == m.as_str(),
        })
        .collect();
    let page = PhonePaymentsPage {
        shell: u.shell,
        order: order.to_owned(),
        payments,
        methods,
        form,
        errors,
        alert,
        done,
    };
    Ok((status, page).into_response())
}

/// The payments of a work order on the phone, with the form to record one.
pub async fn phone(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let done = Some(q.done.trim().to_owned()).filter(|d| d.starts_with("RC") && d.len() <= 40);
    let form = PaymentForm {
        method: "cash".into(),
        ..Default::default()
    };
    phone_page(
        &s,
        u,
        &id,
        form,
        FormErrors::default(),
        None,
        done,
        StatusCode::OK,
    )
    .await
}

pub async fn record(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<PaymentForm>,
) -> Result<Response, PageError> {
    let input = NewPayment {
        work_order: id.clone(),
        amount_fen: fen_of(&f.amount),
        currency: None,
        method: f.method.clone(),
        reference: Some(f.reference.clone()),
        quote_number: None,
    };
    match s.app.record_payment(&u.ctx, &input).await {
        Ok(p) => Ok(crate::shell::redirect(&format!(
            "/m/orders/{id}/payments?done={}",
            p.receipt_no
        ))
        .into_response()),
        Err(AppError::Validation(errs)) => {
            let mut errors = FormErrors::from_fields(&errs, u.tr());
            if let Some(e) = errors.0.remove("amount_fen") {
                errors.0.insert("amount".into(), e);
            }
            phone_page(
                &s,
                u,
                &id,
                f,
                errors,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e @ AppError::Conflict(_)) => {
            let alert = Some(u.tr().t_error(e.code()));
            phone_page(
                &s,
                u,
                &id,
                f,
                FormErrors::default(),
                alert,
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The receipt PDF for a signed-in user (the page's download link).
pub async fn receipt_pdf(
    State(s): State<AppState>,
    u: WebUser,
    Path(receipt): Path<String>,
) -> Result<Response, PageError> {
    let locale = u.shell.tr.locale;
    let company = crate::api::labels::label_print(&s, locale).author;
    let pdf = s
        .app
        .receipt_pdf(&u.ctx, &receipt, locale, &company)
        .await?;
    Ok(crate::records::pdf_response(receipt.trim(), pdf))
}

#[derive(Template, WebTemplate)]
#[template(path = "charges/verify.html")]
pub struct VerifyReceiptPage {
    pub shell: Shell,
    pub v: Option<ReceiptCheck>,
    pub number: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VerifyQuery {
    pub v: String,
}

/// The public page a receipt's QR code opens: "valid receipt, amount, date" when the
/// signature matches, else 404 with "not a valid receipt".
pub async fn verify(
    State(s): State<AppState>,
    Path(number): Path<String>,
    Query(q): Query<VerifyQuery>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let tr = crate::i18n::Tr::new(locale_of(&parts.headers));
    let shell = Shell::new(&parts, None);
    let v = match s.app.verify_receipt(&number, q.v.trim()).await {
        Ok(v) => Some(v),
        Err(AppError::NotFound(_)) => None,
        Err(e) => {
            tracing::error!(error = %e, "receipt verification failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                tr.t("error.internal").to_owned(),
            )
                .into_response();
        }
    };
    let status = if v.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let number: String = number.chars().take(40).collect();
    (status, VerifyReceiptPage { shell, v, number }).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "charges/cash.html")]
pub struct CashPage {
    pub shell: Shell,
    pub held: Vec<CashHolding>,
    pub handovers: Vec<HandoverView>,
    pub can_confirm: bool,
    /// Whether the caller holds cash of their own (the hand-over button).
    pub holds_cash: bool,
    pub alert: Option<String>,
}

impl CashPage {
    pub fn time(&self, t: &jiff::Timestamp) -> String {
        crate::shell::fmt_time(t)
    }
    pub fn yuan(&self, fen: &Option<i64>) -> String {
        fen.map(aftersales_domain::charges::yuan)
            .unwrap_or_else(|| "—".into())
    }
    /// The counted sum prefilled in the confirm form, in fen.
    pub fn open(&self, h: &HandoverView) -> bool {
        h.confirmed_at.is_none()
    }
}

async fn cash_page(
    s: &AppState,
    u: WebUser,
    alert: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let held = s.app.cash_held(&u.ctx).await?;
    let handovers = s.app.cash_handovers(&u.ctx).await?;
    let me = u.actor.id.to_string();
    let page = CashPage {
        holds_cash: held.iter().any(|h| h.engineer_id == me),
        can_confirm: u.ctx.can(Permission::CashConfirm),
        held,
        handovers,
        alert,
        shell: u.shell,
    };
    Ok((status, page).into_response())
}

pub async fn cash(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    cash_page(&s, u, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HandOverForm {
    pub note: String,
}

pub async fn hand_over(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<HandOverForm>,
) -> Result<Response, PageError> {
    let input = NewHandover { note: Some(f.note) };
    match s.app.hand_over_cash(&u.ctx, &input).await {
        Ok(_) => Ok(crate::shell::redirect("/cash").into_response()),
        Err(e @ (AppError::Conflict(_) | AppError::Validation(_))) => {
            let alert = Some(u.tr().t_error(e.code()));
            cash_page(&s, u, alert, crate::problem::status_of(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    /// Yuan as counted.
    pub counted: String,
    pub note: String,
}

pub async fn confirm(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    let input = HandoverConfirm {
        counted_fen: fen_of(&f.counted),
        note: Some(f.note),
    };
    match s.app.confirm_handover(&u.ctx, &id, &input).await {
        Ok(_) => Ok(crate::shell::redirect("/cash").into_response()),
        Err(e @ (AppError::Conflict(_) | AppError::Validation(_))) => {
            let alert = Some(u.tr().t_error(e.code()));
            cash_page(&s, u, alert, crate::problem::status_of(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn yuan_as_typed_becomes_fen() {
        use super::fen_of;
        assert_eq!(fen_of("128.5"), serde_json::json!(12850));
        assert_eq!(fen_of("¥1,280.50"), serde_json::json!(128050));
        assert_eq!(fen_of("3"), serde_json::json!(300));
        assert_eq!(fen_of("1.234"), serde_json::json!("1.234"));
        assert_eq!(fen_of("-5"), serde_json::json!("-5"));
    }
}
