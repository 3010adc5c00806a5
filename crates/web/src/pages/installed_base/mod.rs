//! The installed base: customers, units, products and warranty policies, contracts,
//! transfers.

pub(crate) mod catalog;
pub(crate) mod contract_pages;
pub(crate) mod customer_form;
pub(crate) mod customers;
pub(crate) mod history;
pub(crate) mod policies;
pub(crate) mod product_pages;
pub(crate) mod record_history;
pub(crate) mod unit_transfer;

use crate::i18n::Tr;

/// A customer site's name: its label, or — none given — "主地址" / "Main address" for the
/// first and "地址 2" / "Address 2" for the others, in the reader's language.
pub fn site_label(tr: Tr, label: &str, index0: usize) -> String {
    match (label.trim().is_empty(), index0) {
        (false, _) => label.to_owned(),
        (true, 0) => tr.t("customers.site_main").to_owned(),
        (true, i) => tr.f("customers.site_n", &[("n", &(i + 1).to_string())]),
    }
}
