//! The forms of the phone's charges card (`charges_card.rs`): sending a quote, and the
//! customer's confirmation signed on the phone.

use super::order::{OrderState, after_step, order_page};
use super::{Pairs, field, opt_text};
use crate::AppState;
use crate::extract::{Form, Path};
use crate::i18n::Tr;
use crate::shell::{PageError, WebUser};
use aftersales_app::{NewQuoteInput, QuoteAnswerInput};
use aftersales_domain::charges::QuoteAction;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

/// Sends a quote from the phone: the time estimate and the cause found.
pub async fn send_quote(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Result<Response, PageError> {
    let minutes = field(&p, "labor_minutes").trim();
    let input = NewQuoteInput {
        work_order: id.clone(),
        cause: opt_text(&p, "cause"),
        labor_minutes: if minutes.is_empty() {
            None
        } else {
            // Not a whole number: out of range, said beside the field.
            Some(minutes.parse().unwrap_or(-1))
        },
        locale: opt_text(&p, "locale"),
        ..Default::default()
    };
    match s.app.create_quote(&u.ctx, &input).await {
        Ok(q) => {
            let tr: Tr = u.tr();
            let mut st = OrderState::plain(Some(tr.t("engineer.done.quote_sent").to_owned()));
            st.quote_link = Some(q.link);
            Ok(order_page(&s, u, &id, st).await?.into_response())
        }
        Err(e) => after_step(&s, u, &id, &p, "quote", "", "#charges", Err(e)).await,
    }
}

/// The customer confirms the quote on the engineer's phone, by name.
pub async fn sign_quote(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Result<Response, PageError> {
    let input = QuoteAnswerInput {
        version: field(&p, "quote_version").trim().parse().unwrap_or(0),
        signer_name: opt_text(&p, "signer_name"),
        signature_png: opt_text(&p, "signature_png"),
        note: None,
    };
    let number = field(&p, "quote").trim().to_owned();
    let res = s
        .app
        .answer_quote_on_site(&u.ctx, &number, QuoteAction::Confirm, &input)
        .await;
    match res {
        Ok(_) => Ok(crate::shell::redirect(&format!(
            "/m/orders/{}?done=quote_confirmed#charges",
            crate::shell::encode_component(&id)
        ))
        .into_response()),
        Err(e) => after_step(&s, u, &id, &p, "quote_sign", "", "#charges", Err(e)).await,
    }
}
