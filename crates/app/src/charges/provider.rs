//! The payment-provider interface (docs/charges.md, "Payment providers"). No real
//! gateway is connected: every payment carries the reference the payer's bank, WeChat Pay,
//! Alipay or the POS terminal printed, and a provider checks it before the payment is
//! written. [`TestProvider`] is the adapter used by default and in tests; a real gateway
//! implements [`PaymentProvider`] and is given to the app with
//! [`crate::App::with_payment_provider`].

use aftersales_domain::charges::PaymentMethod;

/// What a provider confirmed about a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The reference as the provider knows it (normalized), kept on the payment.
    pub reference: Option<String>,
}

/// Why a provider did not confirm a payment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused it (declined, unknown reference, wrong amount): 409
    /// `payment_declined`, nothing written.
    #[error("declined by the payment provider")]
    Declined,
    /// The provider could not be asked: 503-like, reported as an internal error.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
}

/// Checks a payment's reference with whoever took the money. Called inside the recording
/// use-case, before anything is written; it must not block for long.
pub trait PaymentProvider: Send + Sync {
    fn verify(
        &self,
        method: PaymentMethod,
        reference: Option<&str>,
        amount_fen: i64,
    ) -> Result<Verified, ProviderError>;
}

/// The test adapter: cash needs no reference; any other method accepts a reference of 4 to
/// 64 letters, digits, `-`, `_` or `/`, except one starting with `DECLINED` (any case),
/// which is refused as a gateway would refuse a declined card.
#[derive(Debug, Clone, Copy, Default)]
pub struct TestProvider;

impl PaymentProvider for TestProvider {
    fn verify(
        &self,
        method: PaymentMethod,
        reference: Option<&str>,
        _amount_fen: i64,
    ) -> Result<Verified, ProviderError> {
        let reference = reference.map(str::trim).filter(|r| !r.is_empty());
        match (method, reference) {
            (PaymentMethod::Cash, r) => Ok(Verified {
                reference: r.map(str::to_owned),
            }),
            (_, None) => Err(ProviderError::Declined),
            (_, Some(r)) if r.to_ascii_uppercase().starts_with("DECLINED") => {
                Err(ProviderError::Declined)
            }
            (_, Some(r))
                if (4..=64).contains(&r.len())
                    && r.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/')) =>
            {
                Ok(Verified {
                    reference: Some(r.to_owned()),
                })
            }
            _ => Err(ProviderError::Declined),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_provider_accepts_references_and_refuses_declined_ones() {
        let p = TestProvider;
        assert!(p.verify(PaymentMethod::Cash, None, 100).is_ok());
        assert_eq!(
            p.verify(PaymentMethod::WechatPay, Some("4200001234"), 100),
            Ok(Verified {
                reference: Some("4200001234".into())
            })
        );
        assert_eq!(
            p.verify(PaymentMethod::PosCard, Some("declined-77"), 100),
            Err(ProviderError::Declined)
        );
        assert_eq!(
            p.verify(PaymentMethod::Alipay, None, 100),
            Err(ProviderError::Declined)
        );
        assert_eq!(
            p.verify(PaymentMethod::Alipay, Some("a b"), 100),
            Err(ProviderError::Declined)
        );
    }
}
