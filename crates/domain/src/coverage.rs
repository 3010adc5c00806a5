//! Which units of the service network serve a place (R-ORG-1), for dispatch (R-DSP-1):
//! each unit covers a set of GB/T 2260 regions; a province covers all its cities and
//! districts, a city all its districts.
//!
//! The ranking, most responsible first:
//! 1. **Specificity of the match**: a unit covering the district itself comes before one
//!    covering its city, which comes before one covering its province.
//! 2. **Closer to the field**: at equal specificity the deeper unit comes first, so a
//!    station's own coverage beats its branch's (and a branch's beats the center's).
//! 3. Units still equal are **tied** (e.g. two stations both covering one district): they
//!    share a rank, are listed by code, and each is marked `tied` so dispatch knows a
//!    choice is left to make.
//!
//! Inactive units never answer. A unit answers for its own coverage only: a station
//! without regions does not inherit its branch's (the branch itself answers instead), so
//! the list never names units that nobody assigned to the place.

use crate::OrgUnitId;
use crate::region::{RegionCode, RegionLevel};
use crate::warranty::Reason;
use std::collections::{BTreeSet, HashMap};

/// What the ranking needs to know about one unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitCoverage {
    pub unit: OrgUnitId,
    /// The unit's code, for a stable order among ties.
    pub code: String,
    /// The units above it, from the root down to its parent.
    pub ancestors: Vec<OrgUnitId>,
    pub active: bool,
    pub regions: Vec<RegionCode>,
}

impl UnitCoverage {
    fn depth(&self) -> usize {
        self.ancestors.len()
    }

    fn is_ancestor_of(&self, other: &UnitCoverage) -> bool {
        other.ancestors.contains(&self.unit)
    }

    /// Whether one of the two units is above the other.
    pub fn related_to(&self, other: &UnitCoverage) -> bool {
        self.is_ancestor_of(other) || other.is_ancestor_of(self)
    }
}

/// One unit that serves the place, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Responsible {
    pub unit: OrgUnitId,
    /// 1 for the most responsible; tied units share a rank.
    pub rank: usize,
    /// The unit's own region that contains the place (the most specific one it has).
    pub matched: RegionCode,
    /// The level of `matched`: district, city or province.
    pub level: RegionLevel,
    /// Another unit has the same rank.
    pub tied: bool,
    pub reason: Reason,
}

fn specificity(level: RegionLevel) -> u8 {
    match level {
        RegionLevel::District => 3,
        RegionLevel::City => 2,
        RegionLevel::Province => 1,
    }
}

/// The region itself, then its city, then its province.
fn self_and_above(region: RegionCode) -> Vec<RegionCode> {
    let mut out = vec![region];
    let mut cur = region;
    while let Some(p) = cur.parent() {
        if out.len() > 3 {
            break;
        }
        out.push(p);
        cur = p;
    }
    out
}

fn reason(region: RegionCode, matched: RegionCode, level: RegionLevel, tied: bool) -> Reason {
    let (code, zh_level, en_level) = match level {
        RegionLevel::District => ("covers_district", "区县", "district"),
        RegionLevel::City => ("covers_city", "地市", "city"),
        RegionLevel::Province => ("covers_province", "省份", "province"),
    };
    let mut zh = format!("本单位覆盖{zh_level}{}（{}）", matched.full_name(), matched);
    let mut en = format!(
        "The unit covers the {en_level} {} ({matched})",
        matched.full_name()
    );
    if matched != region {
        zh.push_str(&format!("，包含{}（{}）", region.full_name(), region));
        en.push_str(&format!(
            ", which contains {} ({region})",
            region.full_name()
        ));
    }
    if tied {
        zh.push_str("；另有同级单位同样覆盖，需由调度选择");
        en.push_str("; another unit ranks the same, dispatch chooses");
    }
    zh.push('。');
    en.push('.');
    Reason::new(code, zh, en)
}

/// The active units whose coverage contains `region`, most responsible first (see the
/// module documentation for the order).
pub fn responsible_units(region: RegionCode, coverage: &[UnitCoverage]) -> Vec<Responsible> {
    let above = self_and_above(region);
    // (unit, matched region) for every active unit that covers the place.
    let mut hits: Vec<(&UnitCoverage, RegionCode)> = coverage
        .iter()
        .filter(|u| u.active)
        .filter_map(|u| {
            u.regions
                .iter()
                .filter(|r| above.contains(r))
                .max_by_key(|r| specificity(r.level()))
                .map(|r| (u, *r))
        })
        .collect();
    let key = |(u, r): &(&UnitCoverage, RegionCode)| (specificity(r.level()), u.depth());
    hits.sort_by(|a, b| {
        key(b)
            .cmp(&key(a))
            .then_with(|| a.0.code.cmp(&b.0.code))
            .then_with(|| a.0.unit.cmp(&b.0.unit))
    });
    let mut out: Vec<Responsible> = Vec::with_capacity(hits.len());
    let mut rank = 0;
    for (i, hit) in hits.iter().enumerate() {
        if i == 0 || key(&hits[i - 1]) != key(hit) {
            rank += 1;
        }
        let tied = hits.iter().filter(|h| key(h) == key(hit)).count() > 1;
        let (u, matched) = *hit;
        let level = matched.level();
        out.push(Responsible {
            unit: u.unit,
            rank,
            matched,
            level,
            tied,
            reason: reason(region, matched, level, tied),
        });
    }
    out
}

/// Two active units, neither above the other, that both cover `region` (the more specific
/// of their two overlapping regions). Overlaps are allowed; the admin page shows them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Overlap {
    /// The two units, the smaller id first.
    pub units: (OrgUnitId, OrgUnitId),
    pub region: RegionCode,
}

/// Every overlap between the coverage of unrelated active units. A branch covering a city
/// and its own station covering a district of it is the normal shape of the tree, not an
/// overlap.
pub fn overlaps(coverage: &[UnitCoverage]) -> Vec<Overlap> {
    let active: Vec<&UnitCoverage> = coverage.iter().filter(|u| u.active).collect();
    let mut by_region: HashMap<RegionCode, Vec<usize>> = HashMap::new();
    for (i, u) in active.iter().enumerate() {
        for r in &u.regions {
            by_region.entry(*r).or_default().push(i);
        }
    }
    let mut found = BTreeSet::new();
    for (i, a) in active.iter().enumerate() {
        for r in &a.regions {
            // Another unit holding this region or one containing it overlaps here.
            for outer in self_and_above(*r) {
                for &j in by_region.get(&outer).map(Vec::as_slice).unwrap_or_default() {
                    let b = active[j];
                    if j == i || a.unit == b.unit || a.related_to(b) {
                        continue;
                    }
                    let units = if a.unit < b.unit {
                        (a.unit, b.unit)
                    } else {
                        (b.unit, a.unit)
                    };
                    found.insert(Overlap { units, region: *r });
                }
            }
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse("r", s).expect("a code of the table")
    }

    fn id(n: u128) -> OrgUnitId {
        OrgUnitId(Uuid::from_u128(n))
    }

    /// (id, code, ancestors, active, regions)
    fn unit(n: u128, c: &str, ancestors: &[u128], active: bool, regions: &[&str]) -> UnitCoverage {
        UnitCoverage {
            unit: id(n),
            code: c.into(),
            ancestors: ancestors.iter().map(|a| id(*a)).collect(),
            active,
            regions: regions.iter().map(|r| code(r)).collect(),
        }
    }

    /// The demo-like network: HQ(1) > SY(2) > SY-HP(3), SY-TX(4), P-HT(5); HQ > DL(6) > DL-ZS(7).
    fn network() -> Vec<UnitCoverage> {
        vec![
            unit(1, "HQ", &[], true, &["210000"]),
            unit(2, "SY", &[1], true, &["210100"]),
            unit(3, "SY-HP", &[1, 2], true, &["210102", "210103"]),
            unit(4, "SY-TX", &[1, 2], true, &["210106"]),
            unit(5, "P-HT", &[1, 2], true, &["211200", "150500"]),
            unit(6, "DL", &[1], true, &["210200"]),
            unit(7, "DL-ZS", &[1, 6], true, &["210202"]),
        ]
    }

    fn ranked(region: &str, cov: &[UnitCoverage]) -> Vec<(String, usize, &'static str, bool)> {
        responsible_units(code(region), cov)
            .into_iter()
            .map(|r| {
                let c = cov
                    .iter()
                    .find(|u| u.unit == r.unit)
                    .map(|u| u.code.clone())
                    .unwrap_or_default();
                (c, r.rank, r.level.as_str(), r.tied)
            })
            .collect()
    }

    fn row(
        c: &str,
        rank: usize,
        level: &'static str,
        tied: bool,
    ) -> (String, usize, &'static str, bool) {
        (c.into(), rank, level, tied)
    }

    #[test]
    fn a_district_match_beats_a_city_match_which_beats_a_province_match() {
        let cov = network();
        assert_eq!(
            ranked("210102", &cov),
            vec![
                row("SY-HP", 1, "district", false),
                row("SY", 2, "city", false),
                row("HQ", 3, "province", false),
            ]
        );
        // A district of 沈阳 that no station covers falls to the branch, then the center.
        assert_eq!(
            ranked("210112", &cov),
            vec![row("SY", 1, "city", false), row("HQ", 2, "province", false)]
        );
        // Outside every coverage but the partner's city in another province.
        assert_eq!(ranked("150502", &cov), vec![row("P-HT", 1, "city", false)]);
        assert!(ranked("110101", &cov).is_empty(), "北京 is nobody's");
    }

    #[test]
    fn the_place_asked_about_may_be_a_city_or_a_province() {
        let cov = network();
        // Only units whose region contains the whole city answer for the city.
        assert_eq!(
            ranked("210100", &cov),
            vec![row("SY", 1, "city", false), row("HQ", 2, "province", false)]
        );
        assert_eq!(
            ranked("210000", &cov),
            vec![row("HQ", 1, "province", false)]
        );
    }

    #[test]
    fn the_most_specific_of_a_units_own_regions_is_the_one_that_counts() {
        // The branch also lists the district itself: it matches on the district now, and
        // being above the station it still comes second.
        let mut cov = network();
        cov[1].regions.push(code("210102"));
        assert_eq!(
            ranked("210102", &cov),
            vec![
                row("SY-HP", 1, "district", false),
                row("SY", 2, "district", false),
                row("HQ", 3, "province", false),
            ]
        );
        let sy = responsible_units(code("210102"), &cov)
            .into_iter()
            .find(|r| r.unit == id(2))
            .expect("SY answers");
        assert_eq!(sy.matched, code("210102"));
    }

    #[test]
    fn inactive_units_never_answer() {
        let mut cov = network();
        cov[2].active = false;
        assert_eq!(
            ranked("210102", &cov),
            vec![row("SY", 1, "city", false), row("HQ", 2, "province", false)]
        );
    }

    #[test]
    fn equal_units_are_tied_share_a_rank_and_are_listed_by_code() {
        let mut cov = network();
        cov.push(unit(8, "SY-AA", &[1, 2], true, &["210102"]));
        assert_eq!(
            ranked("210102", &cov),
            vec![
                row("SY-AA", 1, "district", true),
                row("SY-HP", 1, "district", true),
                row("SY", 2, "city", false),
                row("HQ", 3, "province", false),
            ]
        );
        let first = &responsible_units(code("210102"), &cov)[0];
        assert_eq!(first.reason.code, "covers_district");
        assert!(
            first.reason.zh.contains("需由调度选择"),
            "{}",
            first.reason.zh
        );
        assert!(
            first.reason.en.contains("dispatch chooses"),
            "{}",
            first.reason.en
        );
    }

    #[test]
    fn a_deeper_unit_beats_a_shallower_unrelated_one_at_equal_specificity() {
        // Another branch lists the district too; the station, closer to the field, wins.
        let mut cov = network();
        cov[5].regions.push(code("210102"));
        assert_eq!(
            ranked("210102", &cov),
            vec![
                row("SY-HP", 1, "district", false),
                row("DL", 2, "district", false),
                row("SY", 3, "city", false),
                row("HQ", 4, "province", false),
            ]
        );
    }

    #[test]
    fn reasons_name_the_matched_region_and_the_place() {
        let cov = network();
        let r = responsible_units(code("210102"), &cov);
        assert_eq!(r[1].reason.code, "covers_city");
        assert!(
            r[1].reason.zh.contains("辽宁省 沈阳市")
                && r[1].reason.zh.contains("210102")
                && r[1].reason.zh.contains("和平区"),
            "{}",
            r[1].reason.zh
        );
        assert!(
            r[1].reason.en.starts_with("The unit covers the city"),
            "{}",
            r[1].reason.en
        );
        assert_eq!(r[0].reason.code, "covers_district");
        assert!(!r[0].reason.zh.contains("包含"), "{}", r[0].reason.zh);
        assert_eq!(r[2].reason.code, "covers_province");
    }

    #[test]
    fn a_municipality_district_is_found_through_its_single_city() {
        let cov = vec![
            unit(1, "BJ", &[], true, &["110000"]),
            unit(2, "BJ-DC", &[1], true, &["110101"]),
        ];
        assert_eq!(
            ranked("110101", &cov),
            vec![
                row("BJ-DC", 1, "district", false),
                row("BJ", 2, "province", false)
            ]
        );
    }

    #[test]
    fn overlaps_are_between_unrelated_units_only() {
        let mut cov = network();
        // Nested coverage along the tree is no overlap.
        assert!(overlaps(&cov).is_empty(), "{:?}", overlaps(&cov));
        // Two stations on one district, and a station of 大连 reaching into 沈阳.
        cov.push(unit(8, "SY-AA", &[1, 2], true, &["210102"]));
        cov[6].regions.push(code("210100"));
        let found = overlaps(&cov);
        let pairs: Vec<(u128, u128, String)> = found
            .iter()
            .map(|o| {
                (
                    o.units.0.0.as_u128(),
                    o.units.1.0.as_u128(),
                    o.region.to_string(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            vec![
                (2, 7, "210100".to_owned()),
                (3, 7, "210102".to_owned()),
                (3, 7, "210103".to_owned()),
                (3, 8, "210102".to_owned()),
                (4, 7, "210106".to_owned()),
                (7, 8, "210102".to_owned()),
            ]
        );
        // An inactive unit overlaps with nobody.
        cov[6].active = false;
        let pairs: Vec<_> = overlaps(&cov)
            .iter()
            .map(|o| (o.units.0.0.as_u128(), o.units.1.0.as_u128()))
            .collect();
        assert_eq!(pairs, vec![(3, 8)]);
    }
}
