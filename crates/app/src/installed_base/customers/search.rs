//! The agent's search box: a phone number, a serial, a customer number, or part of a name
//! or company (pinyin initials too). How it stays fast: docs/installed-base.md, "Search".

use super::display_phone;
use crate::{AppError, Ctx};
use aftersales_domain::installed_base::{Phone, SearchMatch, Serial};
use aftersales_domain::{CustomerId, FieldError, Permission};
use aftersales_store::installed_base::customers as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A line of the search results.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    #[schema(value_type = String, format = Uuid)]
    pub customer_id: CustomerId,
    pub number: String,
    pub name: String,
    pub company: Option<String>,
    /// `phone`, `serial` or `name`: what the query matched.
    #[schema(value_type = crate::schema::SearchMatchName)]
    pub matched: SearchMatch,
    /// The first phone, grouped.
    pub phone: Option<String>,
}

impl crate::App {
    /// The agent's search box: a phone number (any contact's, with or without +86 and
    /// separators), a serial number, a customer number, or part of a name or company
    /// (pinyin initials too), or the tail of a serial (4 characters at least). Phone matches
    /// first, then serials (by their start, then their end), then names.
    #[tracing::instrument(skip_all)]
    pub async fn search_customers(
        &self,
        ctx: &Ctx,
        q: &str,
        limit: i64,
    ) -> Result<Vec<SearchHit>, AppError> {
        ctx.require(Permission::CustomersRead)?;
        if q.chars().count() > 100 {
            return Err(AppError::invalid(
                FieldError::new("q", "too_long").with("max", 100),
            ));
        }
        if !(1..=50).contains(&limit) {
            return Err(AppError::invalid(
                FieldError::new("limit", "out_of_range")
                    .with("min", 1)
                    .with("max", 50),
            ));
        }
        let q = q.trim();
        let mut hits: Vec<SearchHit> = Vec::new();
        // One Chinese character (a surname) is a useful query; one Latin letter or digit is not.
        if q.is_empty() || (q.chars().count() < 2 && q.is_ascii()) {
            return Ok(hits);
        }
        let pool = self.db.pool();
        let push =
            |found: Vec<store::CustomerRecord>, matched: SearchMatch, hits: &mut Vec<SearchHit>| {
                for c in found {
                    if hits.len() as i64 >= limit || hits.iter().any(|h| h.customer_id == c.id) {
                        continue;
                    }
                    hits.push(SearchHit {
                        customer_id: c.id,
                        number: c.number,
                        name: c.name,
                        company: c.company,
                        matched,
                        phone: None,
                    });
                }
            };
        let digits = Phone::digits_of(q);
        let mostly_digits = q.chars().filter(char::is_ascii_digit).count() * 2 > q.chars().count();
        if mostly_digits && digits.len() >= 3 {
            push(
                store::by_phone_digits(pool, &digits, limit).await?,
                SearchMatch::Phone,
                &mut hits,
            );
        }
        let serial = Serial::normalize(q);
        if serial.len() >= 3 && serial.chars().all(|c| c.is_ascii_alphanumeric()) {
            push(
                store::by_serial_prefix(pool, &serial, limit).await?,
                SearchMatch::Serial,
                &mut hits,
            );
        }
        // A serial's tail as read off a label or said on the phone ("…000450").
        if let Some(tail) = Serial::search_tail(q) {
            push(
                store::by_serial_tail(pool, &tail, limit).await?,
                SearchMatch::Serial,
                &mut hits,
            );
        }
        push(
            store::by_text(pool, &q.to_lowercase(), limit).await?,
            SearchMatch::Name,
            &mut hits,
        );
        for h in &mut hits {
            let phones = store::phones(pool, h.customer_id).await?;
            h.phone = phones.first().map(|p| display_phone(&p.number));
        }
        Ok(hits)
    }
}

impl crate::App {
    /// The customers who already have this phone number (exactly, compared as stored
    /// digits: separators and a +86 dropped), by number: the check before a new record is
    /// filed with it. A number that is not a phone number has no owners.
    #[tracing::instrument(skip_all)]
    pub async fn customers_with_phone(
        &self,
        ctx: &Ctx,
        phone: &str,
    ) -> Result<Vec<SearchHit>, AppError> {
        ctx.require(Permission::CustomersRead)?;
        let phone = Phone::parse("phone", phone).map_err(AppError::invalid)?;
        let pool = self.db.pool();
        let mut hits = Vec::new();
        for c in store::by_phone_exact(pool, phone.digits(), 20).await? {
            let phones = store::phones(pool, c.id).await?;
            hits.push(SearchHit {
                customer_id: c.id,
                number: c.number,
                name: c.name,
                company: c.company,
                matched: SearchMatch::Phone,
                phone: phones
                    .iter()
                    .find(|p| p.digits == phone.digits())
                    .or(phones.first())
                    .map(|p| display_phone(&p.number)),
            });
        }
        Ok(hits)
    }
}
