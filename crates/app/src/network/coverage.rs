//! The regions each unit of the service network covers (R-ORG-1), who serves a place
//! (for dispatch, R-DSP-1), and the GB/T 2260 table for region pickers.

use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::coverage::{self, UnitCoverage};
use aftersales_domain::region::{self, RegionCode};
use aftersales_domain::{FieldError, FieldErrors, OrgUnitId, OrgUnitKind, Permission};
use aftersales_store::{StoreError, network::coverage as store, network::org as org_store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A province, city or district of the shipped GB/T 2260 table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RegionView {
    /// Six digits, e.g. `210102`.
    #[schema(example = "210102")]
    pub code: String,
    /// e.g. `和平区`.
    pub name: String,
    /// Province, city and district, e.g. `辽宁省 沈阳市 和平区`.
    pub full_name: String,
    /// `province`, `city` or `district`.
    #[schema(example = "district")]
    pub level: String,
    /// Whether regions lie below it (for cascading pickers).
    pub has_children: bool,
}

impl RegionView {
    pub fn of(r: RegionCode) -> RegionView {
        RegionView {
            code: r.to_string(),
            name: r.name().to_owned(),
            full_name: r.full_name(),
            level: r.level().as_str().to_owned(),
            has_children: !region::children(Some(r)).is_empty(),
        }
    }
}

/// Another unit covering some of the same ground (neither is above the other).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OverlapView {
    #[schema(value_type = String, format = Uuid)]
    pub org_unit_id: OrgUnitId,
    pub code: String,
    pub name: String,
    /// The region both cover.
    pub region: RegionView,
}

/// The regions a unit covers and where it overlaps with others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CoverageView {
    #[schema(value_type = String, format = Uuid)]
    pub org_unit_id: OrgUnitId,
    /// The unit's version: send it back to change the regions.
    pub version: i64,
    pub regions: Vec<RegionView>,
    /// Overlaps with active units elsewhere in the tree (a warning, never a refusal).
    pub overlaps: Vec<OverlapView>,
}

/// The new set of regions of a unit; `version` is the unit's version as read.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CoveragePut {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    /// GB/T 2260 codes (province, city or district); duplicates count once.
    #[schema(max_items = 500, inline, value_type = Vec<crate::schema::RegionCodeText>)]
    pub regions: Vec<String>,
}

/// A reason with a stable code and a sentence in each language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReasonView {
    /// A stable code: for coverage `covers_district`, `covers_city` or `covers_province`;
    /// for dispatch suggestions also `certified`, `load`, `distance`, `not_certified`, ….
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// One unit that serves a place, most responsible first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResponsibleView {
    #[schema(value_type = String, format = Uuid)]
    pub org_unit_id: OrgUnitId,
    pub code: String,
    pub name: String,
    #[schema(value_type = crate::schema::OrgKindName)]
    pub kind: OrgUnitKind,
    /// 1 for the most responsible; tied units share a rank.
    pub rank: i64,
    /// Another unit has the same rank: dispatch chooses.
    pub tied: bool,
    /// The unit's own region that contains the place.
    pub matched_region: RegionView,
    /// `district`, `city` or `province`: the level of `matched_region`.
    pub match_level: String,
    pub reason: ReasonView,
}

/// The units serving a place, ranked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CoveringView {
    pub region: RegionView,
    pub items: Vec<ResponsibleView>,
    /// Always null: the ranking comes whole.
    pub next_cursor: Option<String>,
}

/// A unit's regions and overlaps, for the network page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitCoverageSummary {
    pub regions: Vec<RegionView>,
    pub overlaps: Vec<OverlapView>,
}

/// The maximum number of regions of one unit.
pub const MAX_REGIONS: usize = 500;

/// Parses region codes: a malformed code is invalid input (422); a well-formed code that
/// the table does not have conflicts with the reference data (409 `unknown_region`).
pub(crate) fn parse_codes(field: &str, raw: &[String]) -> Result<Vec<RegionCode>, AppError> {
    let mut malformed = FieldErrors::new();
    let mut unknown = FieldErrors::new();
    let mut out = Vec::new();
    if raw.len() > MAX_REGIONS {
        return Err(AppError::invalid(
            FieldError::new(field, "too_many").with("max", MAX_REGIONS as i64),
        ));
    }
    for (i, s) in raw.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let t = s.trim();
        if t.len() != 6 || !t.bytes().all(|b| b.is_ascii_digit()) {
            malformed.push(FieldError::new(
                f,
                if t.is_empty() {
                    "required"
                } else {
                    "invalid_region"
                },
            ));
            continue;
        }
        match RegionCode::parse(&f, t) {
            Ok(r) => out.push(r),
            Err(_) => unknown.push(FieldError::new(f, "unknown_region")),
        }
    }
    if !malformed.is_empty() {
        for e in unknown.0 {
            malformed.push(e);
        }
        return Err(AppError::Validation(malformed));
    }
    if !unknown.is_empty() {
        return Err(AppError::FieldConflict(unknown));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// A region asked about in a query: malformed is invalid input (422); well-formed but not in
/// the table, there is no such place (404).
fn lookup_region(field: &str, raw: &str) -> Result<RegionCode, AppError> {
    let t = raw.trim();
    if t.len() != 6 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid(FieldError::new(field, "invalid_region")));
    }
    RegionCode::parse(field, t).map_err(|_| AppError::NotFound("region"))
}

/// The units above a unit, from its materialized path `/root/…/self/`. A segment that is
/// not a unit id is a damaged path, an error: skipping it would rank the unit wrongly.
fn ancestors(path: &str, me: OrgUnitId) -> Result<Vec<OrgUnitId>, AppError> {
    let mut out = Vec::new();
    for s in path.split('/').filter(|s| !s.is_empty()) {
        let id = s.parse::<OrgUnitId>().map_err(|_| {
            AppError::Internal(format!("org unit {me}: stored path {path:?} unreadable"))
        })?;
        if id != me {
            out.push(id);
        }
    }
    Ok(out)
}

/// A stored coverage row's region. Text that is not six digits is an error (the app never
/// writes it; only a hand-made change could). A code of six digits that the table no longer
/// has (a newer list dropped it) covers nothing: `None`, with a warning, so one retired code
/// does not stop dispatch for every place.
fn stored_region(r: &store::CoverageRow) -> Result<Option<RegionCode>, AppError> {
    let c = r.region_code.as_bytes();
    if c.len() != 6 || !c.iter().all(u8::is_ascii_digit) {
        return Err(AppError::Internal(format!(
            "org unit {}: stored region {:?} unreadable",
            r.org_unit_id, r.region_code
        )));
    }
    let n = c.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let code = RegionCode::from_u32(n);
    if code.is_none() {
        tracing::warn!(unit = %r.org_unit_id, code = %r.region_code, "stored region not in the table");
    }
    Ok(code)
}

/// Stored coverage rows grouped per unit, for the domain's rules.
pub(crate) fn group(rows: &[store::CoverageRow]) -> Result<Vec<UnitCoverage>, AppError> {
    let mut by_unit: BTreeMap<String, UnitCoverage> = BTreeMap::new();
    for r in rows {
        let Some(code) = stored_region(r)? else {
            continue;
        };
        let unit = match by_unit.entry(r.path.clone()) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(UnitCoverage {
                unit: r.org_unit_id,
                code: r.code.clone(),
                ancestors: ancestors(&r.path, r.org_unit_id)?,
                active: r.active,
                regions: Vec::new(),
            }),
        };
        unit.regions.push(code);
    }
    Ok(by_unit.into_values().collect())
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("org_unit"),
        e => e.into(),
    }
}

fn region_codes_json(codes: &[String]) -> serde_json::Value {
    serde_json::json!(codes)
}

impl crate::App {
    /// The regions directly below `parent` (the provinces without one), or the regions
    /// whose name contains `q` (or whose code starts with it), for pickers.
    pub fn regions(
        &self,
        ctx: &Ctx,
        parent: Option<&str>,
        q: Option<&str>,
        limit: usize,
    ) -> Result<Vec<RegionView>, AppError> {
        ctx.require(Permission::RegionsRead)?;
        if q.is_some_and(|q| q.chars().count() > 50) {
            return Err(AppError::invalid(
                FieldError::new("q", "too_long").with("max", 50),
            ));
        }
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            return Ok(region::search(q, limit.clamp(1, 200))
                .into_iter()
                .map(RegionView::of)
                .collect());
        }
        let parent = match parent.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(lookup_region("parent", p)?),
            None => None,
        };
        Ok(region::children(parent)
            .into_iter()
            .map(RegionView::of)
            .collect())
    }

    /// Every unit's regions and overlaps, for the units the caller may see.
    #[tracing::instrument(skip_all)]
    pub async fn coverage_overview(
        &self,
        ctx: &Ctx,
    ) -> Result<BTreeMap<OrgUnitId, UnitCoverageSummary>, AppError> {
        let scope = self.org_scope(ctx)?;
        let rows = store::all(self.db.pool()).await?;
        let in_scope =
            |r: &store::CoverageRow| scope.as_deref().is_none_or(|p| r.path.starts_with(p));
        // Overlaps name only units the caller may see.
        let names: BTreeMap<OrgUnitId, (String, String)> = rows
            .iter()
            .filter(|r| in_scope(r))
            .map(|r| (r.org_unit_id, (r.code.clone(), r.name.clone())))
            .collect();
        let units = group(&rows)?;
        let overlaps = coverage::overlaps(&units);
        let mut out: BTreeMap<OrgUnitId, UnitCoverageSummary> = BTreeMap::new();
        for r in &rows {
            if !in_scope(r) {
                continue;
            }
            let entry = out
                .entry(r.org_unit_id)
                .or_insert_with(|| UnitCoverageSummary {
                    regions: Vec::new(),
                    overlaps: Vec::new(),
                });
            if let Some(code) = stored_region(r)? {
                entry.regions.push(RegionView::of(code));
            }
        }
        for o in overlaps {
            for (me, other) in [(o.units.0, o.units.1), (o.units.1, o.units.0)] {
                let (Some(entry), Some((code, name))) = (out.get_mut(&me), names.get(&other))
                else {
                    continue;
                };
                entry.overlaps.push(OverlapView {
                    org_unit_id: other,
                    code: code.clone(),
                    name: name.clone(),
                    region: RegionView::of(o.region),
                });
            }
        }
        Ok(out)
    }

    /// A unit's regions and its overlaps with others.
    #[tracing::instrument(skip_all)]
    pub async fn unit_coverage(&self, ctx: &Ctx, id: OrgUnitId) -> Result<CoverageView, AppError> {
        let unit = self.get_org_unit(ctx, id).await?;
        let mut all = self.coverage_overview(ctx).await?;
        let summary = all.remove(&id).unwrap_or(UnitCoverageSummary {
            regions: Vec::new(),
            overlaps: Vec::new(),
        });
        Ok(CoverageView {
            org_unit_id: id,
            version: unit.version,
            regions: summary.regions,
            overlaps: summary.overlaps,
        })
    }

    /// Replaces the regions a unit covers. Bumps the unit's version; audited with the
    /// regions before and after.
    #[tracing::instrument(skip_all)]
    pub async fn set_unit_regions(
        &self,
        ctx: &Ctx,
        id: OrgUnitId,
        input: &CoveragePut,
    ) -> Result<CoverageView, AppError> {
        ctx.require(Permission::OrgManage)?;
        let codes: Vec<String> = parse_codes("regions", &input.regions)?
            .into_iter()
            .map(|r| r.to_string())
            .collect();
        let mut tx = self.db.begin().await?;
        let before = org_store::get(tx.conn(), id).await.map_err(not_found)?;
        if before.version != input.version {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        // A warehouse keeps parts; it serves no customers' places.
        if before.kind == OrgUnitKind::Warehouse && !codes.is_empty() {
            return Err(AppError::conflict_on("regions", "kind_cannot_cover"));
        }
        let before_codes = store::regions_of(tx.conn(), id).await?;
        let mut after = before.clone();
        after.version += 1;
        after.updated_at = self.now();
        if !org_store::update(tx.conn(), &after, before.version).await? {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        store::replace(tx.conn(), id, &codes).await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::OrgUnit,
            &id.to_string(),
            AuditAction::SetRegions,
            Some(serde_json::json!({"regions": region_codes_json(&before_codes), "version": before.version})),
            Some(serde_json::json!({"regions": region_codes_json(&codes), "version": after.version})),
        )
        .await?;
        tx.commit().await?;
        self.unit_coverage(ctx, id).await
    }

    /// The active units serving a place, most responsible first, each with its reason.
    /// Partners see only their own subtree's part of the ranking.
    #[tracing::instrument(skip_all)]
    pub async fn covering_units(&self, ctx: &Ctx, region: &str) -> Result<CoveringView, AppError> {
        let scope = self.org_scope(ctx)?;
        let place = lookup_region("region", region)?;
        let mut above = vec![place];
        while let Some(p) = above.last().and_then(|r| r.parent()) {
            if above.len() >= 3 {
                break;
            }
            above.push(p);
        }
        let codes: Vec<String> = above.iter().map(|r| r.to_string()).collect();
        let rows = store::holding_any(self.db.pool(), &codes).await?;
        let units = group(&rows)?;
        let info: BTreeMap<OrgUnitId, &store::CoverageRow> =
            rows.iter().map(|r| (r.org_unit_id, r)).collect();
        let items = coverage::responsible_units(place, &units)
            .into_iter()
            .filter_map(|r| {
                let row = info.get(&r.unit)?;
                if scope.as_deref().is_some_and(|p| !row.path.starts_with(p)) {
                    return None;
                }
                Some(ResponsibleView {
                    org_unit_id: r.unit,
                    code: row.code.clone(),
                    name: row.name.clone(),
                    kind: row.kind,
                    rank: r.rank as i64,
                    tied: r.tied,
                    matched_region: RegionView::of(r.matched),
                    match_level: r.level.as_str().to_owned(),
                    reason: ReasonView {
                        code: r.reason.code.to_owned(),
                        zh: r.reason.zh,
                        en: r.reason.en,
                    },
                })
            })
            .collect();
        Ok(CoveringView {
            region: RegionView::of(place),
            items,
            next_cursor: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn malformed_codes_are_invalid_and_unknown_ones_conflict() {
        let ok = parse_codes("regions", &codes(&["210102", " 210100 ", "210102"])).expect("valid");
        assert_eq!(
            ok.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            vec!["210100", "210102"]
        );
        match parse_codes("regions", &codes(&["210102", "999999"])) {
            Err(AppError::FieldConflict(e)) => {
                assert_eq!(e.0[0].field, "regions[1]");
                assert_eq!(e.0[0].code, "unknown_region");
            }
            other => panic!("{other:?}"),
        }
        match parse_codes("regions", &codes(&["21a102", "999999", ""])) {
            Err(AppError::Validation(e)) => {
                let got: Vec<_> = e.0.iter().map(|f| (f.field.as_str(), f.code)).collect();
                assert_eq!(
                    got,
                    vec![
                        ("regions[0]", "invalid_region"),
                        ("regions[2]", "required"),
                        ("regions[1]", "unknown_region"),
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_stored_region_reads_back_is_skipped_when_retired_and_refused_when_damaged() {
        let row = |code: &str| store::CoverageRow {
            org_unit_id: OrgUnitId::new(),
            region_code: code.into(),
            code: "SY".into(),
            name: "沈阳分公司".into(),
            kind: aftersales_domain::OrgUnitKind::Branch,
            path: "/x/".into(),
            active: true,
        };
        assert_eq!(
            stored_region(&row("210102")).expect("read"),
            Some(RegionCode::from_u32(210102).expect("in the table"))
        );
        assert_eq!(stored_region(&row("999999")).expect("read"), None);
        for damaged in ["21a102", "21010", ""] {
            assert!(
                matches!(stored_region(&row(damaged)), Err(AppError::Internal(_))),
                "{damaged:?}"
            );
        }
        assert!(matches!(
            group(&[row("2101x2")]),
            Err(AppError::Internal(_))
        ));
    }

    #[test]
    fn ancestors_come_from_the_path_without_the_unit_itself() {
        let a = OrgUnitId::new();
        let b = OrgUnitId::new();
        let c = OrgUnitId::new();
        assert_eq!(
            ancestors(&format!("/{a}/{b}/{c}/"), c).expect("read"),
            vec![a, b]
        );
        assert!(ancestors(&format!("/{a}/"), a).expect("read").is_empty());
        assert!(matches!(
            ancestors(&format!("/{a}/x/{c}/"), c),
            Err(AppError::Internal(_))
        ));
    }
}
