//! The symptom and fault-cause catalog (故障现象/故障原因): codes with names in both
//! languages, per product line or for all. The agent console offers symptoms, the
//! engineer's service record causes. The demo seed covers the demo product lines.

use crate::{AppError, Ctx};
use aftersales_domain::service::CodeKind;
use aftersales_domain::{FieldError, Locale, Permission};
use aftersales_store::service::catalog::{self as store, CodeRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A code of the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CatalogCode {
    /// `symptom` or `cause`.
    pub kind: String,
    /// e.g. `S-AC-NOCOOL`.
    pub code: String,
    /// The product line it belongs to; none when it applies to every line.
    pub product_line: Option<String>,
    pub name_zh: String,
    pub name_en: String,
}

impl CatalogCode {
    /// The name in a language.
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_zh, &self.name_en)
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CodeQuery {
    /// `symptom` or `cause`.
    #[param(pattern = "^(symptom|cause)$")]
    pub kind: String,
    /// Only the codes for every line and this line's own; every code when absent.
    #[param(max_length = 50)]
    pub product_line: Option<String>,
}

fn view(r: CodeRow) -> CatalogCode {
    CatalogCode {
        kind: r.kind,
        code: r.code,
        product_line: Some(r.product_line).filter(|l| !l.is_empty()),
        name_zh: r.name_zh,
        name_en: r.name_en,
    }
}

impl crate::App {
    /// The active codes of a kind, for one product line (with those for every line) or,
    /// without one, all of them; by code.
    #[tracing::instrument(skip_all)]
    pub async fn list_codes(
        &self,
        ctx: &Ctx,
        kind: &str,
        product_line: Option<&str>,
    ) -> Result<Vec<CatalogCode>, AppError> {
        ctx.require(Permission::ProductsRead)?;
        let kind = CodeKind::parse(kind.trim())
            .ok_or_else(|| AppError::invalid(FieldError::new("kind", "invalid_choice")))?;
        let line = product_line.map(str::trim).filter(|l| !l.is_empty());
        if line.is_some_and(|l| l.chars().count() > 50) {
            return Err(AppError::invalid(
                FieldError::new("product_line", "too_long").with("max", 50),
            ));
        }
        Ok(store::list(self.db.pool(), kind.as_str(), line)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }
}
