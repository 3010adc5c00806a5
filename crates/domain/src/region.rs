//! China's administrative divisions (GB/T 2260 codes): provinces, prefecture-level cities
//! and districts/counties, shipped as data (`data/regions.tsv`, see `data/README.md`) and
//! parsed once into a static table. Pure: no I/O at run time.
//!
//! The table is normalized so that every city has a province parent and every district a
//! city parent:
//! - a municipality (北京, 天津, 上海, 重庆) has exactly one city, `XX0100`, named like the
//!   municipality, holding all its districts and counties (重庆's counties included);
//! - the county-level units that a province administers directly (省直辖县级行政区划, e.g.
//!   仙桃市 429004, 济源市 419001, 石河子市 659001) are cities in their own right, directly
//!   below the province, with no districts, like 东莞市, 中山市, 儋州市 and 嘉峪关市.
//!
//! So a city's code does not always end in `00`: levels come from the table, not the digits.

use crate::validation::FieldError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

const DATA: &str = include_str!("../data/regions.tsv");

/// A province, city or district by its 6-digit code; always one of the table's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    District,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::District => "district",
        }
    }
}

/// How far apart two places are, for SLA arrival promises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionClass {
    SameCity,
    SameProvince,
    OtherProvince,
}

impl RegionClass {
    pub const ALL: &'static [RegionClass] = &[
        RegionClass::SameCity,
        RegionClass::SameProvince,
        RegionClass::OtherProvince,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RegionClass::SameCity => "same_city",
            RegionClass::SameProvince => "same_province",
            RegionClass::OtherProvince => "other_province",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for RegionClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

struct Entry {
    code: u32,
    name: &'static str,
    parent: Option<u32>,
    level: RegionLevel,
}

struct Table {
    /// Sorted by code.
    entries: Vec<Entry>,
    /// Children by parent (`None`: the provinces), each list sorted by code.
    children: HashMap<Option<u32>, Vec<RegionCode>>,
    /// How many data lines the file has, to check that none was skipped.
    #[cfg(test)]
    lines: usize,
}

impl Table {
    fn get(&self, code: u32) -> Option<&Entry> {
        self.entries
            .binary_search_by_key(&code, |e| e.code)
            .ok()
            .map(|i| &self.entries[i])
    }
}

fn six_digits(s: &str) -> Option<u32> {
    if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut raw: Vec<(u32, &'static str, Option<u32>)> = Vec::new();
        let mut lines = 0;
        // A line that does not parse is skipped here; the tests check that none is.
        for line in DATA.lines().skip(1).filter(|l| !l.is_empty()) {
            lines += 1;
            let mut cols = line.split('\t');
            let (Some(code), Some(name), Some(parent)) = (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            let Some(code) = six_digits(code) else {
                continue;
            };
            let parent = if parent.is_empty() {
                None
            } else {
                match six_digits(parent) {
                    Some(p) => Some(p),
                    None => continue,
                }
            };
            if !name.is_empty() {
                raw.push((code, name, parent));
            }
        }
        #[cfg(not(test))]
        let _ = lines;
        raw.sort_by_key(|r| r.0);
        raw.dedup_by_key(|r| r.0);

        let parent_of: HashMap<u32, Option<u32>> = raw.iter().map(|r| (r.0, r.2)).collect();
        let depth = |mut code: u32| {
            let mut d = 0;
            while let Some(Some(p)) = parent_of.get(&code) {
                d += 1;
                code = *p;
                if d > 3 {
                    break;
                }
            }
            d
        };
        let entries: Vec<Entry> = raw
            .iter()
            .map(|&(code, name, parent)| Entry {
                code,
                name,
                parent,
                level: match depth(code) {
                    0 => RegionLevel::Province,
                    1 => RegionLevel::City,
                    _ => RegionLevel::District,
                },
            })
            .collect();
        let mut children: HashMap<Option<u32>, Vec<RegionCode>> = HashMap::new();
        for e in &entries {
            children
                .entry(e.parent)
                .or_default()
                .push(RegionCode(e.code));
        }
        Table {
            entries,
            children,
            #[cfg(test)]
            lines,
        }
    })
}

impl RegionCode {
    /// A code as a form or an API sends it: trimmed, 6 digits, and one of the table's rows.
    pub fn parse(field: &str, raw: &str) -> Result<RegionCode, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        six_digits(s)
            .and_then(RegionCode::from_u32)
            .ok_or_else(|| FieldError::new(field, "invalid_region"))
    }

    /// The region with this numeric code, if the table has it (e.g. when reading storage).
    pub fn from_u32(code: u32) -> Option<RegionCode> {
        table().get(code).map(|e| RegionCode(e.code))
    }

    pub fn as_u32(self) -> u32 {
        self.0
    }

    fn entry(self) -> Option<&'static Entry> {
        table().get(self.0)
    }

    pub fn level(self) -> RegionLevel {
        self.entry().map_or(RegionLevel::District, |e| e.level)
    }

    /// The region's own name, e.g. `和平区`.
    pub fn name(self) -> &'static str {
        self.entry().map_or("", |e| e.name)
    }

    /// Province, city and district names separated by spaces, e.g. `辽宁省 沈阳市 和平区`; a
    /// municipality's city, named like the municipality, is said once: `北京市 东城区`.
    pub fn full_name(self) -> String {
        let mut names: Vec<&'static str> = self.lineage().iter().map(|r| r.name()).collect();
        names.dedup();
        names.join(" ")
    }

    /// Province first, then the city, then the region itself.
    fn lineage(self) -> Vec<RegionCode> {
        let mut chain = vec![self];
        let mut current = self;
        while let Some(p) = current.parent() {
            if chain.len() > 3 {
                break;
            }
            chain.push(p);
            current = p;
        }
        chain.reverse();
        chain
    }

    pub fn parent(self) -> Option<RegionCode> {
        self.entry().and_then(|e| e.parent).map(RegionCode)
    }

    pub fn province(self) -> RegionCode {
        self.lineage().first().copied().unwrap_or(self)
    }

    /// The prefecture-level city: the region itself for a city, its parent for a district,
    /// `None` for a province.
    pub fn city(self) -> Option<RegionCode> {
        match self.level() {
            RegionLevel::Province => None,
            RegionLevel::City => Some(self),
            RegionLevel::District => self.parent(),
        }
    }

    /// Whether this is a municipality (北京, 天津, 上海, 重庆): a province with one city,
    /// named like itself.
    pub fn is_municipality(self) -> bool {
        self.municipality_city().is_some()
    }

    fn municipality_city(self) -> Option<RegionCode> {
        if self.level() != RegionLevel::Province {
            return None;
        }
        match table().children.get(&Some(self.0)).map(Vec::as_slice) {
            Some([only]) if only.name() == self.name() => Some(*only),
            _ => None,
        }
    }

    /// A province contains its cities and districts, a city its districts; a region
    /// contains itself.
    pub fn contains(self, other: RegionCode) -> bool {
        other.lineage().contains(&self)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl Serialize for RegionCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RegionCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        RegionCode::parse("region", &s)
            .map_err(|_| serde::de::Error::custom(format!("unknown region code {s:?}")))
    }
}

/// How far apart two places are: both within the same prefecture-level city (a
/// municipality counts as one city, so its province code is in it too), the same province,
/// or not. A province code is in no city, so against anything but a municipality it is at
/// best [`RegionClass::SameProvince`].
pub fn region_class(a: RegionCode, b: RegionCode) -> RegionClass {
    let city = |r: RegionCode| r.city().or_else(|| r.municipality_city());
    match (city(a), city(b)) {
        (Some(x), Some(y)) if x == y => RegionClass::SameCity,
        _ if a.province() == b.province() => RegionClass::SameProvince,
        _ => RegionClass::OtherProvince,
    }
}

/// The regions directly below `of` (the provinces for `None`), by code: for cascading
/// select boxes. Empty for a district, and for a city without districts (e.g. 东莞市).
pub fn children(of: Option<RegionCode>) -> Vec<RegionCode> {
    table()
        .children
        .get(&of.map(|r| r.0))
        .cloned()
        .unwrap_or_default()
}

/// Up to `limit` regions whose code starts with the query when it is all digits, or whose
/// name contains it otherwise. Names that equal the query come first, then names that
/// start with it, then the rest; provinces before cities before districts, then by code.
pub fn search(prefix_or_name: &str, limit: usize) -> Vec<RegionCode> {
    let q = prefix_or_name.trim();
    if q.is_empty() || limit == 0 {
        return Vec::new();
    }
    let entries = &table().entries;
    if q.bytes().all(|b| b.is_ascii_digit()) {
        if q.len() > 6 {
            return Vec::new();
        }
        return entries
            .iter()
            .filter(|e| format!("{:06}", e.code).starts_with(q))
            .take(limit)
            .map(|e| RegionCode(e.code))
            .collect();
    }
    let mut hits: Vec<(u8, RegionLevel, u32)> = entries
        .iter()
        .filter(|e| e.name.contains(q))
        .map(|e| {
            let rank = if e.name == q {
                0
            } else if e.name.starts_with(q) {
                1
            } else {
                2
            };
            (rank, e.level, e.code)
        })
        .collect();
    hits.sort_by_key(|&(rank, level, code)| (rank, level as u8, code));
    hits.into_iter()
        .take(limit)
        .map(|(_, _, code)| RegionCode(code))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    fn code(s: &str) -> RegionCode {
        RegionCode::parse("region", s).expect("a code in the table")
    }

    #[test]
    fn region_classes_read_back_by_their_names() {
        for c in RegionClass::ALL {
            assert_eq!(RegionClass::parse(c.as_str()), Some(*c));
            let json = serde_json::to_value(c).expect("name");
            assert_eq!(json.as_str(), Some(c.as_str()));
        }
        assert_eq!(RegionClass::parse("same city"), None);
    }

    #[test]
    fn liaoning_and_its_cities_and_districts_are_present() {
        for (c, name, level) in [
            ("210000", "辽宁省", RegionLevel::Province),
            ("210100", "沈阳市", RegionLevel::City),
            ("210102", "和平区", RegionLevel::District),
            ("210200", "大连市", RegionLevel::City),
            ("210300", "鞍山市", RegionLevel::City),
            ("210800", "营口市", RegionLevel::City),
            ("211100", "盘锦市", RegionLevel::City),
        ] {
            let r = code(c);
            assert_eq!(r.name(), name, "{c}");
            assert_eq!(r.level(), level, "{c}");
            assert_eq!(r.province(), code("210000"), "{c}");
        }
        assert_eq!(code("210102").full_name(), "辽宁省 沈阳市 和平区");
        assert_eq!(code("210102").city(), Some(code("210100")));
        assert_eq!(code("210100").city(), Some(code("210100")));
        assert_eq!(code("210000").city(), None);
        assert_eq!(children(Some(code("210000"))).len(), 14);
    }

    #[test]
    fn municipality_districts_and_counties_sit_in_one_city_named_like_it() {
        let dongcheng = code("110101");
        assert_eq!(dongcheng.name(), "东城区");
        assert_eq!(dongcheng.parent(), Some(code("110100")));
        assert_eq!(dongcheng.city(), Some(code("110100")));
        assert_eq!(code("110100").name(), "北京市");
        assert_eq!(code("110100").level(), RegionLevel::City);
        assert_eq!(dongcheng.province(), code("110000"));
        assert_eq!(dongcheng.full_name(), "北京市 东城区");
        assert_eq!(code("110100").full_name(), "北京市");
        assert_eq!(
            region_class(dongcheng, code("110108")),
            RegionClass::SameCity
        );
        // 重庆's counties (5002xx) are in the same city as its districts.
        assert_eq!(code("500229").city(), Some(code("500100")));
        assert_eq!(
            region_class(code("500103"), code("500229")),
            RegionClass::SameCity
        );
        for m in ["110000", "120000", "310000", "500000"] {
            assert!(code(m).is_municipality(), "{m}");
            assert_eq!(children(Some(code(m))).len(), 1, "{m}");
        }
        assert!(!code("210000").is_municipality());
        // The municipality's own code counts as its city.
        assert_eq!(
            region_class(code("110000"), dongcheng),
            RegionClass::SameCity
        );
    }

    #[test]
    fn directly_administered_county_level_cities_are_cities_of_their_province() {
        let xiantao = code("429004");
        assert_eq!(xiantao.name(), "仙桃市");
        assert_eq!(xiantao.level(), RegionLevel::City);
        assert_eq!(xiantao.parent(), Some(code("420000")));
        assert_eq!(xiantao.full_name(), "湖北省 仙桃市");
        assert_eq!(code("419001").name(), "济源市");
        assert_eq!(code("659001").level(), RegionLevel::City);
        assert!(children(Some(xiantao)).is_empty());
        assert!(
            children(Some(code("441900"))).is_empty(),
            "东莞 has no districts"
        );
        assert_eq!(
            RegionCode::parse("r", "429000").map_err(|e| e.code),
            Err("invalid_region")
        );
    }

    #[test]
    fn region_class_tells_same_city_same_province_and_other_province() {
        let heping = code("210102");
        assert_eq!(region_class(heping, heping), RegionClass::SameCity);
        assert_eq!(region_class(heping, code("210103")), RegionClass::SameCity);
        assert_eq!(region_class(heping, code("210100")), RegionClass::SameCity);
        assert_eq!(
            region_class(heping, code("210202")),
            RegionClass::SameProvince
        );
        assert_eq!(
            region_class(code("211100"), code("210800")),
            RegionClass::SameProvince
        );
        assert_eq!(
            region_class(heping, code("210000")),
            RegionClass::SameProvince
        );
        assert_eq!(
            region_class(code("429004"), code("429006")),
            RegionClass::SameProvince
        );
        // 和平区 of 天津 is not 和平区 of 沈阳.
        assert_eq!(
            region_class(heping, code("120101")),
            RegionClass::OtherProvince
        );
        assert_eq!(
            region_class(code("110101"), code("120101")),
            RegionClass::OtherProvince
        );
        assert_eq!(RegionClass::SameProvince.as_str(), "same_province");
    }

    #[test]
    fn parse_trims_and_refuses_empty_malformed_and_unknown_codes() {
        assert_eq!(RegionCode::parse("region", " 210102\t"), Ok(code("210102")));
        for blank in ["", "   "] {
            let e = RegionCode::parse("region", blank).expect_err("blank");
            assert_eq!((e.field.as_str(), e.code), ("region", "required"));
        }
        for bad in [
            "21010",
            "2101020",
            "21a102",
            "+21010",
            "２１０１０２",
            "210 102",
            "999999",
            "000000",
            "210101",
            "130171",
        ] {
            let e = RegionCode::parse("region", bad).expect_err(bad);
            assert_eq!(e.code, "invalid_region", "{bad}");
        }
        assert_eq!(RegionCode::from_u32(210102), Some(code("210102")));
        assert_eq!(RegionCode::from_u32(999999), None);
    }

    #[test]
    fn every_row_parses_and_its_parent_exists_one_level_up() {
        let t = table();
        assert_eq!(t.entries.len(), t.lines, "no line skipped or duplicated");
        for w in t.entries.windows(2) {
            assert!(w[0].code < w[1].code);
        }
        for e in &t.entries {
            let r = RegionCode(e.code);
            assert!(!e.name.trim().is_empty() && e.name.trim() == e.name, "{r}");
            match (e.level, r.parent()) {
                (RegionLevel::Province, None) => assert_eq!(e.code % 10000, 0, "{r}"),
                (RegionLevel::City, Some(p)) => {
                    assert_eq!(p.level(), RegionLevel::Province, "{r}")
                }
                (RegionLevel::District, Some(p)) => {
                    assert_eq!(p.level(), RegionLevel::City, "{r}")
                }
                (level, parent) => panic!("{r} is a {level:?} with parent {parent:?}"),
            }
            if let Some(p) = e.parent {
                assert!(t.get(p).is_some(), "{r}: parent {p} missing");
                assert_eq!(p / 10000, e.code / 10000, "{r}: parent in another province");
                assert!(children(Some(RegionCode(p))).contains(&r));
            }
        }
    }

    #[test]
    fn the_table_has_over_three_thousand_rows_at_all_three_levels() {
        let t = table();
        assert!(t.entries.len() > 3000, "{}", t.entries.len());
        let count = |l| t.entries.iter().filter(|e| e.level == l).count();
        assert_eq!(count(RegionLevel::Province), 31);
        assert!(count(RegionLevel::City) > 330);
        assert!(count(RegionLevel::District) > 2700);
        assert_eq!(children(None).len(), 31);
        assert_eq!(children(None)[0], code("110000"));
    }

    #[test]
    fn display_and_parse_round_trip_for_every_row() {
        for e in &table().entries {
            let r = RegionCode(e.code);
            let shown = r.to_string();
            assert_eq!(shown.len(), 6);
            assert_eq!(code(&shown), r);
            assert_eq!(RegionCode::from_u32(r.as_u32()), Some(r));
        }
    }

    #[test]
    fn deserializes_from_a_string_and_refuses_unknown_codes() {
        let de: StrDeserializer<'_, DeError> = "210102".into_deserializer();
        assert_eq!(RegionCode::deserialize(de), Ok(code("210102")));
        let de: StrDeserializer<'_, DeError> = "210101".into_deserializer();
        assert!(RegionCode::deserialize(de).is_err());
    }

    #[test]
    fn contains_covers_the_region_and_everything_below_it() {
        let liaoning = code("210000");
        let shenyang = code("210100");
        let heping = code("210102");
        assert!(liaoning.contains(shenyang));
        assert!(liaoning.contains(heping));
        assert!(shenyang.contains(heping));
        assert!(heping.contains(heping));
        assert!(!heping.contains(shenyang));
        assert!(!shenyang.contains(code("210202")));
        assert!(!liaoning.contains(code("110101")));
        assert!(code("500000").contains(code("500229")));
    }

    #[test]
    fn children_list_the_next_level_for_cascading_selects() {
        let shenyang = children(Some(code("210100")));
        assert!(shenyang.contains(&code("210102")));
        assert!(shenyang.iter().all(|r| r.parent() == Some(code("210100"))));
        assert!(children(Some(code("210102"))).is_empty());
        let hubei = children(Some(code("420000")));
        assert!(hubei.contains(&code("420100")) && hubei.contains(&code("429004")));
    }

    #[test]
    fn search_finds_by_code_prefix_or_part_of_the_name() {
        assert_eq!(search("2101", 2), vec![code("210100"), code("210102")]);
        assert_eq!(search("210102", 10), vec![code("210102")]);
        assert_eq!(search("21", 1), vec![code("210000")]);
        assert!(search("1234567", 10).is_empty());
        let heping = search("和平区", 10);
        assert!(heping.contains(&code("210102")) && heping.contains(&code("120101")));
        assert!(heping.iter().all(|r| r.name() == "和平区"));
        assert_eq!(search("沈阳", 5), vec![code("210100")]);
        assert_eq!(search("辽宁", 5)[0], code("210000"));
        let some = search("和平", 50);
        assert!(some.len() > 2 && some.iter().all(|r| r.name().contains("和平")));
        assert_eq!(search("和平", 2).len(), 2);
        assert!(search("  ", 10).is_empty());
        assert!(search("沈阳", 0).is_empty());
        assert!(search("不存在的地方", 10).is_empty());
    }
}
