//! The demo installed base as a plan: a small seeded generator, phone numbers and serials
//! that never repeat, and the customers with their units built from `data`, the same on
//! every call.

use super::data::*;
use crate::{NewContact, NewCustomer, NewSite, NewUnit};
use aftersales_domain::installed_base::Serial;
use jiff::civil::{Date, date};
use std::collections::HashSet;

/// A small xorshift64* generator with a fixed seed: the same numbers on every machine.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) const SEED: u64 = 0x5EED_2026_0A17_E5A1;

    pub(crate) fn new(seed: u64) -> Self {
        // xorshift never leaves zero.
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // The top bits are the best ones of xorshift64*.
        ((self.next_u64() >> 11) % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below(usize::try_from(hi - lo + 1).unwrap_or(1)) as i64
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// `(item, weight)` pairs.
    fn weighted<'a, T>(&mut self, xs: &'a [(T, usize)]) -> &'a T {
        let total: usize = xs.iter().map(|(_, w)| w).sum();
        let mut n = self.below(total);
        for (x, w) in xs {
            if n < *w {
                return x;
            }
            n -= w;
        }
        &xs[xs.len() - 1].0
    }

    fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }
}

/// Mobile and landline numbers, never the same twice.
pub(crate) struct Phones {
    used: HashSet<String>,
}

impl Phones {
    pub(crate) fn new() -> Self {
        Self {
            used: HashSet::new(),
        }
    }

    fn fresh(&mut self, rng: &mut Rng, make: impl Fn(&mut Rng) -> String) -> String {
        loop {
            let n = make(rng);
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            // "4567" reads as made up (and the browser tests type it to find their own
            // customer); skip it.
            if !digits.contains("4567") && self.used.insert(digits) {
                return n;
            }
        }
    }

    /// 11 digits: 13x, 15x or 18x.
    pub(crate) fn mobile(&mut self, rng: &mut Rng) -> String {
        self.fresh(rng, |rng| {
            let prefix = *rng.pick(&[
                "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                "155", "156", "158", "159", "180", "182", "183", "185", "186", "187", "188", "189",
            ]);
            format!("{prefix}{:08}", rng.below(100_000_000))
        })
    }

    /// `024-23456789`, `0412-5123456`: the area code and a local number not starting with 0/1.
    fn landline(&mut self, rng: &mut Rng, d: &District) -> String {
        self.fresh(rng, |rng| {
            let rest = 10usize.pow(d.local_len - 1);
            format!(
                "{}-{}{:0width$}",
                d.area,
                2 + rng.below(7),
                rng.below(rest),
                width = (d.local_len - 1) as usize
            )
        })
    }
}

/// Serial numbers per maker's scheme, never the same twice.
pub(crate) struct Serials {
    next: Vec<(String, u64)>,
    used: HashSet<String>,
}

impl Serials {
    pub(crate) fn new() -> Self {
        Self {
            next: Vec::new(),
            used: HashSet::new(),
        }
    }

    /// Ours: `KT5P-2023-000123` (model without dash, year made, running number).
    pub(crate) fn own(&mut self, rng: &mut Rng, model: &str, year: i16) -> String {
        let key: String = model.chars().filter(|c| *c != '-').collect();
        let step = 1 + rng.below(37) as u64;
        let n = match self.next.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => {
                *n += step;
                *n
            }
            None => {
                let n = 100 + rng.below(400) as u64;
                self.next.push((key.clone(), n));
                n
            }
        };
        let s = format!("{key}-{year}-{n:06}");
        self.used.insert(Serial::normalize(&s));
        s
    }

    /// 格力: `GL` + two-digit year + 9 digits; 美的: `MD` + year + month + 8 digits.
    pub(crate) fn third_party(&mut self, rng: &mut Rng, maker: &str, made: Date) -> String {
        loop {
            let s = if maker == "格力" {
                format!("GL{:02}{:09}", made.year() % 100, rng.below(1_000_000_000))
            } else {
                format!(
                    "MD{}{:02}{:08}",
                    made.year(),
                    made.month(),
                    rng.below(100_000_000)
                )
            };
            if self.used.insert(Serial::normalize(&s)) {
                return s;
            }
        }
    }
}

fn person_name(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN_NAMES))
}

fn days(d: Date, n: i64) -> Date {
    d.saturating_add(jiff::SignedDuration::from_hours(24 * n))
}

fn street_address(rng: &mut Rng, d: &District, home: bool) -> String {
    let street = rng.pick(d.streets);
    let no = rng.range(1, 360);
    if home {
        format!(
            "{}{}{street}{no}号{}单元{}0{}室",
            d.city,
            d.district,
            rng.range(1, 6),
            rng.range(1, 18),
            rng.range(1, 4)
        )
    } else {
        format!("{}{}{street}{no}号", d.city, d.district)
    }
}

fn site(label: Option<&str>, address: String, d: &District) -> NewSite {
    NewSite {
        label: label.map(str::to_owned),
        address,
        region_code: Some(d.code.to_owned()),
        latitude: None,
        longitude: None,
    }
}

/// One unit to register, its owner's site by position.
#[derive(Debug, Clone)]
pub(crate) struct PlannedUnit {
    pub unit: NewUnit,
    pub site: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct PlannedCustomer {
    pub customer: NewCustomer,
    pub units: Vec<PlannedUnit>,
}

/// What a customer buys (before units are generated).
struct Draft {
    customer: NewCustomer,
    district: usize,
    models: &'static [(&'static str, usize)],
    company: bool,
    units: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum UnitKind {
    Own,
    Oem,
    ThirdParty,
    NoSerial,
}

fn weighted_district(rng: &mut Rng) -> usize {
    let total: usize = DISTRICTS.iter().map(|d| d.weight).sum();
    let mut n = rng.below(total);
    for (i, d) in DISTRICTS.iter().enumerate() {
        if n < d.weight {
            return i;
        }
        n -= d.weight;
    }
    0
}

fn individual(rng: &mut Rng, phones: &mut Phones, name: String) -> Draft {
    let di = weighted_district(rng);
    let d = &DISTRICTS[di];
    let mut numbers = vec![phones.mobile(rng)];
    if rng.chance(20) {
        numbers.push(phones.landline(rng, d));
    }
    let mut sites = vec![site(None, street_address(rng, d, true), d)];
    if rng.chance(12) {
        let other = &DISTRICTS[weighted_district(rng)];
        sites.push(site(
            Some("老房子"),
            street_address(rng, other, true),
            other,
        ));
    }
    Draft {
        customer: NewCustomer {
            kind: "individual".into(),
            name: name.clone(),
            company: None,
            region_code: Some(d.code.into()),
            notes: None,
            contacts: vec![NewContact {
                name,
                title: None,
                phones: numbers,
            }],
            sites,
            // The demo adds its records beside whatever is already on file.
            confirm_duplicate: true,
        },
        district: di,
        models: HOUSEHOLD_MODELS,
        company: false,
        units: 1,
    }
}

fn company(rng: &mut Rng, phones: &mut Phones, trade: &str) -> Draft {
    let di = weighted_district(rng);
    let d = &DISTRICTS[di];
    let ind = rng.pick(INDUSTRIES);
    let full = format!("{}{trade}{}", d.city.trim_end_matches('市'), ind.business);
    let short = format!(
        "{trade}{}",
        ind.business
            .trim_end_matches("有限公司")
            .trim_end_matches("管理")
    );
    let mut contacts = Vec::new();
    let mut titles: Vec<&str> = TITLES.to_vec();
    rng.shuffle(&mut titles);
    for title in titles.iter().take(1 + rng.below(3)) {
        let mut numbers = vec![phones.mobile(rng)];
        if rng.chance(50) {
            numbers.push(phones.landline(rng, d));
        }
        contacts.push(NewContact {
            name: person_name(rng),
            title: Some((*title).into()),
            phones: numbers,
        });
    }
    let mut sites = vec![site(Some(ind.sites[0]), street_address(rng, d, false), d)];
    if rng.chance(35) {
        sites.push(site(Some(ind.sites[1]), street_address(rng, d, false), d));
    }
    Draft {
        customer: NewCustomer {
            kind: "company".into(),
            name: short,
            company: Some(full),
            region_code: Some(d.code.into()),
            notes: None,
            contacts,
            sites,
            // The demo adds its records beside whatever is already on file.
            confirm_duplicate: true,
        },
        district: di,
        models: ind.models,
        company: true,
        units: 3,
    }
}

fn sale_date(rng: &mut Rng) -> Date {
    let year = *rng.weighted(SALE_YEARS);
    let start = date(year, 1, 1);
    let end = if year == LAST_SALE.year() {
        LAST_SALE
    } else {
        date(year, 12, 31)
    };
    let span = i64::from(end.day_of_year() - start.day_of_year());
    days(start, rng.range(0, span))
}

fn has_acceptance(model: &str) -> bool {
    PRODUCTS
        .iter()
        .any(|(code, _, _, _, policy)| *code == model && *policy == "ACC24")
}

/// The whole demo installed base, the same on every call. The steps below draw from one
/// generator in a fixed order: reordering them changes every record, and the demo's
/// marker (the first unit's serial) with them.
pub(crate) fn plan() -> Vec<PlannedCustomer> {
    let mut rng = Rng::new(Rng::SEED);
    let mut phones = Phones::new();
    let mut serials = Serials::new();
    let mut drafts = customers(&mut rng, &mut phones);
    open_gaps(&mut rng, &mut drafts);
    add_duplicates(&mut drafts);
    // Records were opened over the years in no particular order: mix persons and companies
    // (the first stays first).
    rng.shuffle(&mut drafts[1..]);
    share_units(&mut rng, &mut drafts);
    let mut kinds = unit_kinds(&mut rng, &drafts).into_iter();
    drafts
        .iter()
        .map(|d| PlannedCustomer {
            customer: d.customer.clone(),
            units: units_of(&mut rng, &mut serials, d, &mut kinds),
        })
        .collect()
}

/// The persons, then the companies. The first is the demo `customer` user's person.
fn customers(rng: &mut Rng, phones: &mut Phones) -> Vec<Draft> {
    let mut drafts: Vec<Draft> = Vec::new();
    for i in 0..INDIVIDUALS {
        let name = if i == 0 {
            "孙建国".to_owned()
        } else {
            person_name(rng)
        };
        drafts.push(individual(rng, phones, name));
    }
    let mut trades: Vec<&str> = TRADE_NAMES.to_vec();
    rng.shuffle(&mut trades);
    for trade in trades.iter().take(COMPANIES) {
        drafts.push(company(rng, phones, trade));
    }
    drafts
}

/// Gaps, for the "incomplete records" list: no phone, no site, no region; never the first
/// customer.
fn open_gaps(rng: &mut Rng, drafts: &mut [Draft]) {
    let mut order: Vec<usize> = (1..drafts.len()).collect();
    rng.shuffle(&mut order);
    let mut gaps = order.into_iter();
    for _ in 0..INCOMPLETE_EACH {
        if let Some(i) = gaps.next() {
            for c in &mut drafts[i].customer.contacts {
                c.phones.clear();
            }
            drafts[i].customer.notes = Some("客户未留电话，来电时请补登。".into());
        }
        if let Some(i) = gaps.next() {
            drafts[i].customer.sites.clear();
        }
        if let Some(i) = gaps.next() {
            drafts[i].customer.region_code = None;
            for s in &mut drafts[i].customer.sites {
                s.region_code = None;
            }
        }
    }
}

/// Likely duplicates: the same person registered again with the same phone and another
/// spelling of the address (without the city; one also writes 3-502 for 3单元502室).
fn add_duplicates(drafts: &mut Vec<Draft>) {
    let complete: Vec<usize> = (1..INDIVIDUALS)
        .filter(|i| {
            let c = &drafts[*i].customer;
            c.region_code.is_some()
                && !c.sites.is_empty()
                && c.contacts.iter().any(|k| !k.phones.is_empty())
        })
        .collect();
    for k in 0..DUPLICATE_PAIRS {
        let Some(&i) = complete.get(10 + k * 37) else {
            continue;
        };
        let mut again = drafts[i].customer.clone();
        let d = &DISTRICTS[drafts[i].district];
        for s in &mut again.sites {
            s.address = s.address.trim_start_matches(d.city).to_owned();
            if k == 1 {
                s.address = s.address.replace("单元", "-").replace('室', "");
            }
        }
        again.contacts.truncate(1);
        for c in &mut again.contacts {
            c.phones.truncate(1);
        }
        again.notes = Some("电话报修时新建的档案".into());
        drafts.push(Draft {
            customer: again,
            district: drafts[i].district,
            models: HOUSEHOLD_MODELS,
            company: false,
            units: 1,
        });
    }
}

/// How many units each owns: 1 per person and 3 per company to start, then the rest mostly
/// to companies (a person has at most 3).
fn share_units(rng: &mut Rng, drafts: &mut [Draft]) {
    let mut total: usize = drafts.iter().map(|d| d.units).sum();
    let companies: Vec<usize> = (0..drafts.len()).filter(|i| drafts[*i].company).collect();
    while total < UNITS {
        let i = if rng.chance(75) {
            companies[rng.below(companies.len())]
        } else {
            rng.below(drafts.len())
        };
        let cap = if drafts[i].company { 20 } else { 3 };
        if drafts[i].units < cap {
            drafts[i].units += 1;
            total += 1;
        }
    }
}

/// Which units are special, in the order the units are made: OEM only at companies;
/// third-party and serial-less anywhere but the very first unit (the marker of a loaded
/// demo).
fn unit_kinds(rng: &mut Rng, drafts: &[Draft]) -> Vec<UnitKind> {
    let slots: Vec<(usize, usize)> = drafts
        .iter()
        .enumerate()
        .flat_map(|(i, d)| (0..d.units).map(move |j| (i, j)))
        .collect();
    let mut kinds = vec![UnitKind::Own; slots.len()];
    let mut free: Vec<usize> = (1..slots.len()).collect();
    rng.shuffle(&mut free);
    let mut oem = 0;
    let mut third = 0;
    let mut bare = 0;
    for s in free {
        let at_company = drafts[slots[s].0].company;
        if oem < OEM_UNITS && at_company {
            kinds[s] = UnitKind::Oem;
            oem += 1;
        } else if third < THIRD_PARTY_UNITS {
            kinds[s] = UnitKind::ThirdParty;
            third += 1;
        } else if bare < UNITS_WITHOUT_SERIAL {
            kinds[s] = UnitKind::NoSerial;
            bare += 1;
        }
    }
    kinds
}

/// A customer's units, each of the next kind. Companies often buy several of a model at once.
fn units_of(
    rng: &mut Rng,
    serials: &mut Serials,
    d: &Draft,
    kinds: &mut impl Iterator<Item = UnitKind>,
) -> Vec<PlannedUnit> {
    let mut units = Vec::with_capacity(d.units);
    let mut last: Option<(&str, Date)> = None;
    for kind in kinds.take(d.units) {
        let (model, sold) = match last {
            Some(batch) if d.company && kind != UnitKind::ThirdParty && rng.chance(40) => batch,
            _ => {
                let model = if kind == UnitKind::ThirdParty {
                    *rng.pick(&["KT-2P", "KT-5P"])
                } else {
                    *rng.weighted(d.models)
                };
                (model, sale_date(rng))
            }
        };
        if kind != UnitKind::ThirdParty {
            last = Some((model, sold));
        }
        units.push(unit(rng, serials, d, kind, model, sold));
    }
    units
}

/// One unit of `model` sold on `sold`: its dates around the sale, serial, dealer and site.
fn unit(
    rng: &mut Rng,
    serials: &mut Serials,
    d: &Draft,
    kind: UnitKind,
    model: &str,
    sold: Date,
) -> PlannedUnit {
    let made = days(sold, -rng.range(20, 120));
    let shipped = days(sold, -rng.range(2, 12));
    let installed = days(sold, rng.range(3, 20));
    let accepted = if has_acceptance(model) && kind != UnitKind::ThirdParty {
        // Some of this year's are still waiting for the acceptance signature.
        let pending = sold.year() == LAST_SALE.year() && rng.chance(30);
        Some(days(installed, rng.range(5, 30))).filter(|a| !pending && *a <= LAST_ACCEPTANCE)
    } else {
        None
    };
    let maker = match kind {
        UnitKind::ThirdParty => Some(if rng.chance(50) { "格力" } else { "美的" }),
        _ => None,
    };
    let serial = match (kind, maker) {
        (UnitKind::NoSerial, _) => None,
        (UnitKind::ThirdParty, Some(m)) => Some(serials.third_party(rng, m, made)),
        _ => Some(serials.own(rng, model, made.year())),
    };
    let dealer = (kind != UnitKind::ThirdParty && rng.chance(55))
        .then(|| DISTRICTS[d.district].dealer.to_owned());
    let site = match d.customer.sites.len() {
        0 => None,
        n => Some(rng.below(n)),
    };
    PlannedUnit {
        unit: NewUnit {
            serial,
            manufacturer: maker.map(str::to_owned),
            product_code: model.into(),
            customer_id: None,
            site_id: None,
            manufacture_date: Some(made.to_string()),
            ship_date: Some(shipped.to_string()),
            sale_date: Some(sold.to_string()),
            installation_date: Some(installed.to_string()),
            acceptance_date: accepted.map(|a| a.to_string()),
            dealer,
            oem: kind == UnitKind::Oem,
            third_party: kind == UnitKind::ThirdParty,
        },
        site,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aftersales_domain::installed_base::Phone;
    use aftersales_domain::region::RegionCode;
    use std::collections::HashMap;

    #[test]
    fn the_generator_repeats_itself_for_a_seed_and_differs_between_seeds() {
        let a: Vec<u64> = {
            let mut r = Rng::new(Rng::SEED);
            (0..1000).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(Rng::SEED);
            (0..1000).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        let mut c = Rng::new(Rng::SEED + 1);
        assert_ne!(a[0], c.next_u64());
        let mut z = Rng::new(0);
        assert_ne!(z.next_u64(), 0, "a zero seed still moves");
        let mut r = Rng::new(7);
        for n in [1, 2, 3, 10, 1000] {
            for _ in 0..200 {
                assert!(r.below(n) < n);
            }
        }
        assert_eq!(r.below(0), 0);
        // Every value of a small range shows up.
        let mut seen = [false; 6];
        for _ in 0..200 {
            seen[r.below(6)] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn the_plan_is_the_same_every_time() {
        let a = format!("{:?}", plan());
        let b = format!("{:?}", plan());
        assert_eq!(a, b);
    }

    #[test]
    fn generated_phones_and_serials_are_valid_and_never_repeat() {
        let mut rng = Rng::new(Rng::SEED);
        let mut phones = Phones::new();
        let mut seen = HashSet::new();
        for _ in 0..5000 {
            let m = phones.mobile(&mut rng);
            assert_eq!(m.len(), 11, "{m}");
            assert!(["13", "15", "18"].iter().any(|p| m.starts_with(p)), "{m}");
            assert!(Phone::parse("p", &m).is_ok(), "{m}");
            assert!(seen.insert(m));
        }
        for d in DISTRICTS {
            for _ in 0..200 {
                let l = phones.landline(&mut rng, d);
                assert!(l.starts_with(&format!("{}-", d.area)), "{l}");
                assert!(Phone::parse("p", &l).is_ok(), "{l}");
                assert!(seen.insert(l));
            }
        }
        let mut serials = Serials::new();
        let mut seen = HashSet::new();
        for i in 0..3000 {
            let (model, _, _, _, _) = PRODUCTS[i % PRODUCTS.len()];
            let s = serials.own(&mut rng, model, 2018 + (i % 9) as i16);
            assert!(Serial::parse("s", &s).is_ok(), "{s}");
            assert!(seen.insert(Serial::normalize(&s)), "{s}");
        }
        for i in 0..2000 {
            let maker = if i % 2 == 0 { "格力" } else { "美的" };
            let s = serials.third_party(&mut rng, maker, date(2020, 5, 1));
            assert!(Serial::parse("s", &s).is_ok(), "{s}");
            assert!(seen.insert(Serial::normalize(&s)), "{s}");
        }
        assert_eq!(
            Serials::new().own(&mut Rng::new(1), "KT-5P", 2023).len(),
            "KT5P-2023-000123".len()
        );
    }

    #[test]
    fn the_plan_has_the_promised_shape() {
        let p = plan();
        assert_eq!(p.len(), INDIVIDUALS + COMPANIES + DUPLICATE_PAIRS);
        let kinds = |k: &str| p.iter().filter(|c| c.customer.kind == k).count();
        assert_eq!(kinds("individual"), INDIVIDUALS + DUPLICATE_PAIRS);
        assert_eq!(kinds("company"), COMPANIES);
        let units: Vec<&NewUnit> = p
            .iter()
            .flat_map(|c| c.units.iter().map(|u| &u.unit))
            .collect();
        assert_eq!(units.len(), UNITS);
        assert_eq!(units.iter().filter(|u| u.oem).count(), OEM_UNITS);
        assert_eq!(
            units.iter().filter(|u| u.third_party).count(),
            THIRD_PARTY_UNITS
        );
        assert_eq!(
            units.iter().filter(|u| u.serial.is_none()).count(),
            UNITS_WITHOUT_SERIAL
        );
        assert!(
            p[0].units[0].unit.serial.is_some(),
            "the marker has a serial"
        );

        // Serials are unique and valid; own ones follow the model's scheme.
        let mut seen = HashSet::new();
        for u in &units {
            if let Some(s) = &u.serial {
                assert!(Serial::parse("s", s).is_ok(), "{s}");
                assert!(seen.insert(Serial::normalize(s)), "{s}");
                if !u.third_party {
                    let key: String = u.product_code.chars().filter(|c| *c != '-').collect();
                    assert!(s.starts_with(&format!("{key}-")), "{s}");
                }
            }
            assert!(PRODUCTS.iter().any(|p| p.0 == u.product_code));
            let d = |s: &Option<String>| s.as_deref().map(|s| s.parse::<Date>().expect("date"));
            let sold = d(&u.sale_date).expect("sold");
            let installed = d(&u.installation_date).expect("installed");
            assert!(date(2018, 1, 1) <= sold && sold <= LAST_SALE);
            let gap = (installed - sold).get_days();
            assert!((3..=20).contains(&gap), "{gap}");
            if let Some(a) = d(&u.acceptance_date) {
                assert!(has_acceptance(&u.product_code) && a > installed);
            }
            if u.third_party {
                assert!(matches!(u.manufacturer.as_deref(), Some("格力" | "美的")));
            }
        }
        // Some units of every year, and some of each policy inside and outside the period.
        for y in 2018..=2026 {
            assert!(units.iter().any(|u| {
                u.sale_date
                    .as_deref()
                    .is_some_and(|s| s.starts_with(&y.to_string()))
            }));
        }
        assert!(
            units
                .iter()
                .any(|u| has_acceptance(&u.product_code) && u.acceptance_date.is_none())
        );

        // Phones: unique except for the two planted duplicate pairs.
        let mut count: HashMap<String, usize> = HashMap::new();
        for c in &p {
            let mut mine = HashSet::new();
            for k in &c.customer.contacts {
                for n in &k.phones {
                    let ph = Phone::parse("p", n).expect("phone");
                    if mine.insert(ph.digits().to_owned()) {
                        *count.entry(ph.digits().to_owned()).or_default() += 1;
                    }
                }
            }
        }
        assert!(count.values().all(|n| *n <= 2));
        assert_eq!(count.values().filter(|n| **n == 2).count(), DUPLICATE_PAIRS);

        // Region codes are real districts and the address names them.
        for d in DISTRICTS {
            let r = RegionCode::parse("r", d.code).expect(d.code);
            assert_eq!(r.name(), d.district);
            assert!(r.full_name().contains(d.city), "{}", r.full_name());
        }
        for c in &p {
            for s in &c.customer.sites {
                if let Some(code) = &s.region_code {
                    let d = DISTRICTS.iter().find(|d| d.code == code).expect("district");
                    assert!(s.address.contains(d.district), "{}", s.address);
                }
            }
        }
        // The incomplete records.
        let no_phone = p
            .iter()
            .filter(|c| c.customer.contacts.iter().all(|k| k.phones.is_empty()))
            .count();
        let no_site = p.iter().filter(|c| c.customer.sites.is_empty()).count();
        let no_region = p
            .iter()
            .filter(|c| {
                c.customer.region_code.is_none()
                    && c.customer.sites.iter().all(|s| s.region_code.is_none())
            })
            .count();
        assert_eq!((no_phone, no_site, no_region), (5, 5, 5));
        // Company names are unique.
        let names: HashSet<&str> = p
            .iter()
            .filter_map(|c| c.customer.company.as_deref())
            .collect();
        assert_eq!(names.len(), COMPANIES);
    }
}
