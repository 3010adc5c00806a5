//! A new caller filed from the agent console (issue 13, defect 2): a short record of name,
//! phone, address and region. The phone is required, since the next call finds the caller
//! by it, and a number already on another record is refused as a duplicate unless the
//! agent confirms the caller is someone else (docs/installed-base.md, "A new caller").

use super::{NewContact, NewCustomer, NewSite};
use crate::{AppError, Ctx, Idempotency};
use aftersales_domain::installed_base::{Phone, parse_opt_text, parse_text};
use aftersales_domain::region::RegionCode;
use aftersales_domain::{FieldError, FieldErrors, Permission};
use serde::Deserialize;

/// The console's new-caller form as typed. Its fields are named as the form names them
/// (`name`, `phone`, `address`, `region_code`), and so are its errors.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewCaller {
    /// The person's name, also the record's first contact (hence at most 50 characters).
    pub name: String,
    pub phone: String,
    pub address: String,
    pub region_code: String,
    /// File even though the phone is already on another customer's record.
    pub confirm_duplicate: bool,
}

/// The longest caller name: the name is the record's name and its first contact's.
pub const CALLER_NAME_MAX: usize = 50;

impl NewCaller {
    /// Every field's rule at once; the record as `create_customer` takes it.
    fn parse(&self) -> Result<NewCustomer, FieldErrors> {
        let mut errs = FieldErrors::new();
        let name = errs.take(parse_text("name", &self.name, CALLER_NAME_MAX));
        let phone = errs.take(Phone::parse("phone", &self.phone));
        let address = errs.take(parse_opt_text("address", Some(&self.address), 200));
        let region = match self.region_code.trim() {
            "" => Some(None),
            code => errs.take(RegionCode::parse("region_code", code).map(Some)),
        };
        errs.finish(|| {
            let (name, phone, address, region) = (name?, phone?, address?, region?);
            let region_code = region.map(|r| format!("{:06}", r.as_u32()));
            Some(NewCustomer {
                kind: aftersales_domain::installed_base::CustomerKind::Individual
                    .as_str()
                    .into(),
                name: name.clone(),
                company: None,
                region_code: region_code.clone(),
                notes: None,
                contacts: vec![NewContact {
                    name,
                    title: None,
                    phones: vec![phone.raw().to_owned()],
                }],
                sites: address
                    .into_iter()
                    .map(|address| NewSite {
                        label: None,
                        address,
                        region_code: region_code.clone(),
                        latitude: None,
                        longitude: None,
                    })
                    .collect(),
                confirm_duplicate: self.confirm_duplicate,
            })
        })
    }
}

/// A fault of the record named as the caller's form names its fields.
fn caller_field(e: FieldError) -> FieldError {
    let field = match e.field.as_str() {
        "contacts[0].name" => "name",
        f if f.starts_with("contacts[0].phones") => "phone",
        "sites[0].address" => "address",
        "sites[0].region_code" => "region_code",
        f => f,
    }
    .to_owned();
    FieldError { field, ..e }
}

impl crate::App {
    /// Files a new caller's record; see the module. A phone already on file is a conflict
    /// (409, `duplicate_phone` on `phone`) unless confirmed.
    #[tracing::instrument(skip_all)]
    pub async fn file_new_caller(
        &self,
        ctx: &Ctx,
        input: &NewCaller,
        idem: Option<&Idempotency>,
    ) -> Result<crate::CustomerView, AppError> {
        ctx.require(Permission::CustomersManage)?;
        let customer = input.parse().map_err(AppError::Validation)?;
        let rename = |errs: FieldErrors| -> FieldErrors {
            let mut out = FieldErrors::new();
            for e in errs.0.into_iter().map(caller_field) {
                // The name is checked once, though it is the contact's name too.
                if !out.0.iter().any(|x| x.field == e.field && x.code == e.code) {
                    out.push(e);
                }
            }
            out
        };
        match self.create_customer(ctx, &customer, idem).await {
            Err(AppError::Validation(errs)) => Err(AppError::Validation(rename(errs))),
            Err(AppError::FieldConflict(errs)) => Err(AppError::FieldConflict(rename(errs))),
            r => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_of_a_new_caller_is_reported_at_once() {
        let bad = NewCaller {
            name: "张".repeat(CALLER_NAME_MAX + 1),
            phone: String::new(),
            address: " ".into(),
            region_code: "12".into(),
            confirm_duplicate: false,
        };
        let errs = bad.parse().expect_err("refused");
        let mut got: Vec<(&str, &str)> =
            errs.0.iter().map(|e| (e.field.as_str(), e.code)).collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("name", "too_long"),
                ("phone", "required"),
                ("region_code", "invalid_region")
            ]
        );
    }

    #[test]
    fn a_caller_becomes_one_contact_with_the_phone_and_an_optional_site() {
        let ok = NewCaller {
            name: " 王小明 ".into(),
            phone: "139-0000-1234".into(),
            address: String::new(),
            region_code: String::new(),
            confirm_duplicate: true,
        };
        let c = ok.parse().expect("valid");
        assert_eq!(c.name, "王小明");
        assert_eq!(c.contacts[0].phones, ["139-0000-1234"]);
        assert!(c.sites.is_empty());
        assert!(c.confirm_duplicate);
        let with_site = NewCaller {
            address: "沈阳市和平区1号".into(),
            ..ok
        };
        assert_eq!(with_site.parse().expect("valid").sites.len(), 1);
    }
}
