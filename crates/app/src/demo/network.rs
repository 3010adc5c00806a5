//! Demo data of the service network, part 2: the regions the demo units cover and the demo
//! technicians' certifications, so the pages show something real. Dates of the
//! certifications are relative to the day of loading: one expires soon, one has expired.

use crate::{AppError, CoveragePut, Ctx, DemoSummary, NewCertification};
use aftersales_store::{
    network::certifications as cert_store, network::coverage as coverage_store,
};

/// (unit code, regions). 沈阳浑南 also lists 沈河区, which 沈阳和平 covers: an overlap
/// the network page points out. The partner covers 铁岭 and, across the provincial border,
/// 内蒙古通辽.
pub(crate) const DEMO_COVERAGE: &[(&str, &[&str])] = &[
    ("HQ", &["210000"]),
    ("SY", &["210100"]),
    ("DL", &["210200"]),
    ("AS", &["210300"]),
    ("YK", &["210800"]),
    ("PJ", &["211100"]),
    ("SY-HP", &["210102", "210103"]),
    ("SY-TX", &["210106", "210114"]),
    ("SY-HN", &["210112", "210111", "210103"]),
    ("DL-ZS", &["210202", "210203", "210204"]),
    ("DL-JZ", &["210213"]),
    ("AS-TD", &["210302"]),
    ("YK-ZQ", &["210802"]),
    ("YK-BYQ", &["210804"]),
    ("PJ-XLT", &["211103"]),
    ("P-HT", &["211200", "150500"]),
];

/// (user, product line, level, number, issued, expires in days from today (None: never),
/// issuer)
type DemoCert = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<i64>,
    &'static str,
);

pub(crate) const DEMO_CERTIFICATIONS: &[DemoCert] = &[
    (
        "engineer",
        "空调",
        "senior",
        Some("KT-2024-0117"),
        "2024-03-01",
        Some(20),
        "厂家技术培训中心",
    ),
    (
        "engineer",
        "水处理设备",
        "certified",
        Some("SC-2023-0452"),
        "2023-05-10",
        Some(-15),
        "厂家技术培训中心",
    ),
    (
        "engineer",
        "电梯",
        "trainee",
        None,
        "2026-01-05",
        None,
        "沈阳分公司",
    ),
    (
        "partner",
        "空调",
        "certified",
        Some("SG-P-2025-0031"),
        "2025-04-18",
        Some(300),
        "厂家上岗培训",
    ),
    (
        "partner",
        "数控机床",
        "trainee",
        None,
        "2026-02-20",
        None,
        "厂家上岗培训",
    ),
];

impl crate::App {
    /// Sets the demo coverage of units that cover nothing yet, and gives the demo
    /// technicians their certifications if they have none. Safe to run again.
    pub(crate) async fn load_demo_service_network(
        &self,
        s: &mut DemoSummary,
    ) -> Result<(), AppError> {
        let ctx = Ctx::system("demo");
        for (code, regions) in DEMO_COVERAGE {
            let Some(unit) = self.find_org_unit_by_code(code).await? else {
                continue;
            };
            if !coverage_store::regions_of(self.db.pool(), unit.id)
                .await?
                .is_empty()
            {
                continue;
            }
            let input = CoveragePut {
                version: unit.version,
                regions: regions.iter().map(|r| (*r).to_owned()).collect(),
            };
            self.set_unit_regions(&ctx, unit.id, &input).await?;
            s.units_with_regions += 1;
        }
        let today = self.today();
        for (user, line, level, number, issued, expires, issuer) in DEMO_CERTIFICATIONS {
            let Some(u) = self.find_user_by_username(user).await? else {
                continue;
            };
            if cert_store::current_lines(self.db.pool(), u.id)
                .await?
                .iter()
                .any(|(_, l)| l == line)
            {
                continue;
            }
            let expires_on = expires.and_then(|d| {
                today
                    .checked_add(jiff::Span::new().days(d))
                    .ok()
                    .map(|d| d.to_string())
            });
            let input = NewCertification {
                product_line: (*line).into(),
                level: (*level).into(),
                number: number.map(str::to_owned),
                issued_on: Some((*issued).into()),
                expires_on,
                issuer: Some((*issuer).into()),
            };
            self.add_certification(&ctx, u.id, &input, None).await?;
            s.certifications_created += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aftersales_domain::region::RegionCode;

    #[test]
    fn every_demo_region_is_in_the_table_and_every_demo_line_is_a_demo_product_line() {
        for (unit, regions) in DEMO_COVERAGE {
            for r in *regions {
                assert!(RegionCode::parse("r", r).is_ok(), "{unit}: {r}");
            }
        }
        let lines: Vec<&str> = crate::demo::installed_base::PRODUCTS
            .iter()
            .map(|p| p.2)
            .collect();
        for c in DEMO_CERTIFICATIONS {
            assert!(lines.contains(&c.1), "{}", c.1);
        }
        assert!(
            DEMO_CERTIFICATIONS
                .iter()
                .any(|c| c.5.is_some_and(|d| (0..=30).contains(&d)))
        );
        assert!(
            DEMO_CERTIFICATIONS
                .iter()
                .any(|c| c.5.is_some_and(|d| d < 0))
        );
    }
}
