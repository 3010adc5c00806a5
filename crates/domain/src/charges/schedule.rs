//! The fee schedule (有偿服务收费标准, R-FEE-2): one version's terms, as data. The pricing
//! engine ([`super::engine`]) reads it; the app keeps its versions by effective date.
//!
//! What is here and what is not: the schedule says what labor, travel and surcharges cost
//! and what the site's policies are (pay first, a unit without a serial). How each item of a
//! job is charged (free, at cost, at list) is the warranty decision's (`warranty.rs`), so
//! the sources' policies ("year 4 on: parts at cost, labor free") are warranty-policy data,
//! and parts prices are the parts catalog's (cost and list).

use super::money::{Currency, Rate};
use crate::parts::MAX_PRICE_FEN;
use crate::region::RegionClass;
use crate::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use std::fmt;

crate::service::named_enum!(
    /// What the site does with a unit that has no serial number (seed 004:
    /// 凡是无机身编码的我司产品，一律不提供售后服务).
    NoSerialPolicy {
        /// No service at all: intake refuses it, with the reason shown to the agent.
        Refuse => "refuse",
        /// Served, everything at list price.
        ChargeAll => "charge_all",
    }
);

/// The hourly rate of one skill (a product line, as certifications name it); the empty
/// skill is the default for any other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaborRate {
    pub skill: String,
    /// What the customer pays per hour, in fen.
    pub rate_fen_per_hour: i64,
    /// What an hour costs the company (for the cost of free and contract work, R-FEE-1).
    pub internal_cost_fen_per_hour: i64,
}

/// Labor: rates per skill, a minimum charge and a rounding step (per started half hour).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaborTerms {
    pub rates: Vec<LaborRate>,
    /// The least time charged for a visit with any labor, in minutes (e.g. 60).
    pub minimum_minutes: u32,
    /// Time is charged per started step, in minutes (30 = per started half hour).
    pub step_minutes: u32,
}

/// A distance band: up to `up_to_km` (inclusive) the travel fee is `fee_fen`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistanceBand {
    pub up_to_km: u32,
    pub fee_fen: i64,
}

/// Travel (上门费): by how far the site is from the unit (region class), or by distance
/// bands when the distance is known; beyond the last band, the last band's fee plus
/// `per_km_beyond_fen` per started kilometre.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TravelFees {
    pub same_city_fen: i64,
    pub same_province_fen: i64,
    pub other_province_fen: i64,
    #[serde(default)]
    pub bands: Vec<DistanceBand>,
    #[serde(default)]
    pub per_km_beyond_fen: i64,
}

impl TravelFees {
    pub fn by_class(&self, class: RegionClass) -> i64 {
        match class {
            RegionClass::SameCity => self.same_city_fen,
            RegionClass::SameProvince => self.same_province_fen,
            RegionClass::OtherProvince => self.other_province_fen,
        }
    }
}

/// Surcharges on labor: urgent service, night work, a statutory holiday (the SLA calendars
/// say which day is one; a make-up workday is not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Surcharges {
    pub urgent: Rate,
    pub night: Rate,
    pub holiday: Rate,
    /// Night is from this hour (local, 0–23) ...
    pub night_from_hour: u8,
    /// ... until this hour (exclusive); `night_from_hour > night_until_hour` spans midnight.
    pub night_until_hour: u8,
}

impl Surcharges {
    /// Whether a local hour is night.
    pub fn is_night(&self, hour: u8) -> bool {
        let (from, until) = (self.night_from_hour, self.night_until_hour);
        if from == until {
            false
        } else if from < until {
            from <= hour && hour < until
        } else {
            hour >= from || hour < until
        }
    }
}

/// A partner's own terms (服务商结算标准), replacing the network's where given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerOverride {
    /// The partner's org-unit code.
    pub org_code: String,
    /// Replaces every skill's hourly rate.
    pub labor_rate_fen_per_hour: Option<i64>,
    /// A flat travel fee replacing the class and distance fees.
    pub travel_fen: Option<i64>,
}

/// One version of the fee schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSchedule {
    pub currency: Currency,
    pub labor: LaborTerms,
    pub travel: TravelFees,
    pub surcharges: Surcharges,
    /// VAT on what the customer pays, rounded half up once per document (engine); a
    /// partner's lines are invoiced in its settlement.
    pub vat: Rate,
    /// Paid work waits for payment as well as confirmation before it starts (R-FEE-3:
    /// 先付款后维修).
    pub pay_first: bool,
    pub no_serial: NoSerialPolicy,
    /// How long a quote holds, in days (1–90).
    pub quote_valid_days: u32,
    #[serde(default)]
    pub partners: Vec<PartnerOverride>,
}

/// How many labor rates, bands and partner overrides one version may hold.
pub const MAX_ENTRIES: usize = 200;

impl FeeSchedule {
    /// The hourly rates for a skill: the partner's override, else the skill's own rate,
    /// else the default (empty skill). `None` when there is no rate at all.
    pub fn labor_rate(&self, skill: &str, partner: Option<&str>) -> Option<LaborRate> {
        let own = self
            .labor
            .rates
            .iter()
            .find(|r| {
                !r.skill.is_empty() && crate::certification::same_product_line(&r.skill, skill)
            })
            .or_else(|| self.labor.rates.iter().find(|r| r.skill.is_empty()))
            .cloned()?;
        match self
            .partner(partner)
            .and_then(|p| p.labor_rate_fen_per_hour)
        {
            Some(rate) => Some(LaborRate {
                rate_fen_per_hour: rate,
                ..own
            }),
            None => Some(own),
        }
    }

    pub fn partner(&self, code: Option<&str>) -> Option<&PartnerOverride> {
        let code = code?;
        self.partners
            .iter()
            .find(|p| p.org_code.eq_ignore_ascii_case(code))
    }

    /// Every bound, so a stored version never makes a later read or sum fail: each fee
    /// 0 ..= ten million yuan, rates in range, steps and hours sane, no skill or partner
    /// twice, bands strictly ascending.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut errs = FieldErrors::new();
        let fen = |errs: &mut FieldErrors, field: String, v: i64| {
            if !(0..=MAX_PRICE_FEN).contains(&v) {
                errs.push(
                    FieldError::new(field, "out_of_range")
                        .with("min", 0)
                        .with("max", MAX_PRICE_FEN),
                );
            }
        };
        if self.labor.rates.len() > MAX_ENTRIES
            || self.travel.bands.len() > MAX_ENTRIES
            || self.partners.len() > MAX_ENTRIES
        {
            errs.push(FieldError::new("labor.rates", "too_many").with("max", MAX_ENTRIES as i64));
            return errs.into_result();
        }
        for (i, r) in self.labor.rates.iter().enumerate() {
            if r.skill.chars().count() > 60 {
                errs.push(
                    FieldError::new(format!("labor.rates[{i}].skill"), "too_long").with("max", 60),
                );
            }
            if self.labor.rates[..i]
                .iter()
                .any(|o| o.skill.trim().eq_ignore_ascii_case(r.skill.trim()))
            {
                errs.push(FieldError::new(
                    format!("labor.rates[{i}].skill"),
                    "duplicate",
                ));
            }
            fen(
                &mut errs,
                format!("labor.rates[{i}].rate_fen_per_hour"),
                r.rate_fen_per_hour,
            );
            fen(
                &mut errs,
                format!("labor.rates[{i}].internal_cost_fen_per_hour"),
                r.internal_cost_fen_per_hour,
            );
        }
        if self.labor.minimum_minutes > 24 * 60 {
            errs.push(
                FieldError::new("labor.minimum_minutes", "out_of_range")
                    .with("min", 0)
                    .with("max", 1440),
            );
        }
        if !(1..=240).contains(&self.labor.step_minutes) {
            errs.push(
                FieldError::new("labor.step_minutes", "out_of_range")
                    .with("min", 1)
                    .with("max", 240),
            );
        }
        fen(
            &mut errs,
            "travel.same_city_fen".into(),
            self.travel.same_city_fen,
        );
        fen(
            &mut errs,
            "travel.same_province_fen".into(),
            self.travel.same_province_fen,
        );
        fen(
            &mut errs,
            "travel.other_province_fen".into(),
            self.travel.other_province_fen,
        );
        fen(
            &mut errs,
            "travel.per_km_beyond_fen".into(),
            self.travel.per_km_beyond_fen,
        );
        for (i, b) in self.travel.bands.iter().enumerate() {
            fen(&mut errs, format!("travel.bands[{i}].fee_fen"), b.fee_fen);
            if b.up_to_km == 0 || b.up_to_km > 10_000 {
                errs.push(
                    FieldError::new(format!("travel.bands[{i}].up_to_km"), "out_of_range")
                        .with("min", 1)
                        .with("max", 10_000),
                );
            }
            if i > 0 && self.travel.bands[i - 1].up_to_km >= b.up_to_km {
                errs.push(FieldError::new(
                    format!("travel.bands[{i}].up_to_km"),
                    "not_ascending",
                ));
            }
        }
        let s = &self.surcharges;
        for (field, r) in [
            ("surcharges.urgent", s.urgent),
            ("surcharges.night", s.night),
            ("surcharges.holiday", s.holiday),
        ] {
            if !r.is_valid() {
                errs.push(FieldError::new(field, "out_of_range").with("max", 10));
            }
        }
        for (field, h) in [
            ("surcharges.night_from_hour", s.night_from_hour),
            ("surcharges.night_until_hour", s.night_until_hour),
        ] {
            if h > 23 {
                errs.push(
                    FieldError::new(field, "out_of_range")
                        .with("min", 0)
                        .with("max", 23),
                );
            }
        }
        if self.vat > Rate(Rate::PPM) {
            errs.push(FieldError::new("vat", "out_of_range").with("max", 1));
        }
        if !(1..=90).contains(&self.quote_valid_days) {
            errs.push(
                FieldError::new("quote_valid_days", "out_of_range")
                    .with("min", 1)
                    .with("max", 90),
            );
        }
        for (i, p) in self.partners.iter().enumerate() {
            if p.org_code.trim().is_empty() || p.org_code.chars().count() > 32 {
                errs.push(FieldError::new(
                    format!("partners[{i}].org_code"),
                    "invalid",
                ));
            }
            if self.partners[..i]
                .iter()
                .any(|o| o.org_code.eq_ignore_ascii_case(&p.org_code))
            {
                errs.push(FieldError::new(
                    format!("partners[{i}].org_code"),
                    "duplicate",
                ));
            }
            if let Some(v) = p.labor_rate_fen_per_hour {
                fen(
                    &mut errs,
                    format!("partners[{i}].labor_rate_fen_per_hour"),
                    v,
                );
            }
            if let Some(v) = p.travel_fen {
                fen(&mut errs, format!("partners[{i}].travel_fen"), v);
            }
        }
        errs.into_result()
    }

    /// A schedule to start from: the figures of the demo and of a new site's first version
    /// (labor 120 yuan an hour, at least one hour, per started half hour; travel 50/150/300
    /// yuan; urgent +50 %, night +30 %, holiday +100 %; VAT 13 %; confirm and pay first;
    /// no serial, no service; a quote holds 7 days).
    pub fn starter() -> FeeSchedule {
        FeeSchedule {
            currency: Currency::Cny,
            labor: LaborTerms {
                rates: vec![LaborRate {
                    skill: String::new(),
                    rate_fen_per_hour: 12_000,
                    internal_cost_fen_per_hour: 6_000,
                }],
                minimum_minutes: 60,
                step_minutes: 30,
            },
            travel: TravelFees {
                same_city_fen: 5_000,
                same_province_fen: 15_000,
                other_province_fen: 30_000,
                bands: Vec::new(),
                per_km_beyond_fen: 0,
            },
            surcharges: Surcharges {
                urgent: Rate(500_000),
                night: Rate(300_000),
                holiday: Rate(1_000_000),
                night_from_hour: 20,
                night_until_hour: 8,
            },
            vat: Rate(130_000),
            pay_first: true,
            no_serial: NoSerialPolicy::Refuse,
            quote_valid_days: 7,
            partners: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_schedule_is_valid_and_reads_back() {
        let s = FeeSchedule::starter();
        s.check().expect("valid");
        let json = serde_json::to_string(&s).expect("json");
        let back: FeeSchedule = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, s);
    }

    #[test]
    fn bounds_are_checked_field_by_field() {
        let mut s = FeeSchedule::starter();
        s.labor.rates.push(LaborRate {
            skill: String::new(),
            rate_fen_per_hour: -1,
            internal_cost_fen_per_hour: 0,
        });
        s.labor.step_minutes = 0;
        s.travel.bands = vec![
            DistanceBand {
                up_to_km: 20,
                fee_fen: 100,
            },
            DistanceBand {
                up_to_km: 20,
                fee_fen: 200,
            },
        ];
        s.vat = Rate(1_000_001);
        s.quote_valid_days = 0;
        let errs: Vec<(String, &str)> = s
            .check()
            .expect_err("invalid")
            .0
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect();
        for want in [
            ("labor.rates[1].skill", "duplicate"),
            ("labor.rates[1].rate_fen_per_hour", "out_of_range"),
            ("labor.step_minutes", "out_of_range"),
            ("travel.bands[1].up_to_km", "not_ascending"),
            ("vat", "out_of_range"),
            ("quote_valid_days", "out_of_range"),
        ] {
            assert!(
                errs.iter().any(|(f, c)| f == want.0 && *c == want.1),
                "{want:?} in {errs:?}"
            );
        }
    }

    #[test]
    fn night_may_span_midnight() {
        let s = FeeSchedule::starter().surcharges;
        assert!(s.is_night(20) && s.is_night(23) && s.is_night(0) && s.is_night(7));
        assert!(!s.is_night(8) && !s.is_night(19));
    }

    #[test]
    fn a_partner_override_replaces_the_hourly_rate_only() {
        let mut s = FeeSchedule::starter();
        s.labor.rates.push(LaborRate {
            skill: "空调".into(),
            rate_fen_per_hour: 15_000,
            internal_cost_fen_per_hour: 7_000,
        });
        s.partners.push(PartnerOverride {
            org_code: "P-HZ".into(),
            labor_rate_fen_per_hour: Some(10_000),
            travel_fen: None,
        });
        assert_eq!(
            s.labor_rate("空调", None).map(|r| r.rate_fen_per_hour),
            Some(15_000)
        );
        assert_eq!(
            s.labor_rate("冰箱", None).map(|r| r.rate_fen_per_hour),
            Some(12_000)
        );
        let p = s.labor_rate("空调", Some("p-hz")).expect("rate");
        assert_eq!(
            (p.rate_fen_per_hour, p.internal_cost_fen_per_hour),
            (10_000, 7_000)
        );
    }
}
