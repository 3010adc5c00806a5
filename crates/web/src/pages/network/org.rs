//! The organization units of the service network: the tree with each unit's regions and
//! overlaps, "who serves here", and the form to add a unit.

use crate::AppState;
use crate::extract::{Form, Query};
use crate::pages::network::coverage::{covering_for_page, overlap_text};
use crate::shell::{Choice, FormErrors, PageError, Shell, WebUser};
use aftersales_app::{
    AppError, CoveringView, NewOrgUnit, OrgUnitView, OverlapView, RegionView, UnitCoverageSummary,
};
use aftersales_domain::{OrgUnitKind, Permission};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// All units the caller may see, for names and select boxes.
pub(crate) async fn all_units(s: &AppState, u: &WebUser) -> Result<Vec<OrgUnitView>, AppError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s
            .app
            .list_org_units(&u.ctx, cursor.as_deref(), Some(aftersales_app::MAX_LIMIT))
            .await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

pub(crate) fn unit_choices(units: &[OrgUnitView]) -> Vec<Choice> {
    units
        .iter()
        .map(|o| Choice {
            value: o.id.to_string(),
            label: format!("{}{} ({})", "　".repeat(o.depth as usize), o.name, o.code),
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "network/org_units.html")]
pub struct OrgUnitsPage {
    pub shell: Shell,
    pub units: Vec<OrgUnitView>,
    pub kinds: Vec<Choice>,
    pub parents: Vec<Choice>,
    pub can_manage: bool,
    pub form: OrgForm,
    pub errors: FormErrors,
    /// Each unit's covered regions and overlaps (units without regions are absent).
    pub coverage: std::collections::BTreeMap<aftersales_domain::OrgUnitId, UnitCoverageSummary>,
    /// The place asked about in "who serves here", as typed.
    pub region: String,
    pub covering: Option<CoveringView>,
    pub covering_error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct OrgForm {
    pub parent_id: String,
    pub kind: String,
    pub code: String,
    pub name: String,
}

impl OrgUnitsPage {
    pub fn kind_label(&self, k: &OrgUnitKind) -> String {
        self.shell.tr.t_dyn(&format!("org_kind.{}", k.as_str()))
    }

    pub fn indent(&self, depth: &i64) -> String {
        "　".repeat(usize::try_from(*depth).unwrap_or(0))
    }

    /// The unit's regions, named as short as they read (e.g. `和平区、沈河区`).
    pub fn regions_of(&self, o: &OrgUnitView) -> Vec<RegionView> {
        self.coverage
            .get(&o.id)
            .map(|c| c.regions.clone())
            .unwrap_or_default()
    }

    pub fn overlaps_of(&self, o: &OrgUnitView) -> Vec<OverlapView> {
        self.coverage
            .get(&o.id)
            .map(|c| c.overlaps.clone())
            .unwrap_or_default()
    }

    pub fn overlap_count(&self) -> usize {
        self.coverage
            .values()
            .map(|c| c.overlaps.len())
            .sum::<usize>()
            / 2
    }

    pub fn serving_title(&self, c: &CoveringView) -> String {
        self.shell.tr.f(
            "network.serving",
            &[(
                "place",
                &format!("{} {}", c.region.full_name, c.region.code),
            )],
        )
    }

    pub fn overlap_summary(&self) -> String {
        self.shell.tr.f(
            "network.overlap_summary",
            &[("n", &self.overlap_count().to_string())],
        )
    }

    pub fn overlap_text(&self, o: &OverlapView) -> String {
        overlap_text(self.shell.tr, o)
    }

    pub fn kind_name(&self, k: &str) -> String {
        self.shell.tr.t_dyn(&format!("org_kind.{k}"))
    }

    pub fn reason_text(&self, r: &aftersales_app::ReasonView) -> String {
        self.shell.tr.locale.pick(&r.zh, &r.en).clone()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OrgPageQuery {
    pub region: String,
}

async fn org_page(
    s: &AppState,
    u: WebUser,
    form: OrgForm,
    errors: FormErrors,
    status: StatusCode,
    region: String,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let units = all_units(s, &u).await?;
    let coverage = s.app.coverage_overview(&u.ctx).await?;
    let (covering, covering_error) = covering_for_page(s, &u, &region).await;
    let page = OrgUnitsPage {
        kinds: OrgUnitKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: tr.t_dyn(&format!("org_kind.{}", k.as_str())),
            })
            .collect(),
        parents: unit_choices(&units),
        can_manage: u.actor.role.can(Permission::OrgManage),
        units,
        form,
        errors,
        coverage,
        region,
        covering,
        covering_error,
        shell: u.shell,
    };
    Ok((status, page).into_response())
}

pub async fn org_units(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<OrgPageQuery>,
) -> Result<Response, PageError> {
    org_page(
        &s,
        u,
        OrgForm {
            kind: "station".into(),
            ..Default::default()
        },
        FormErrors::default(),
        StatusCode::OK,
        q.region,
    )
    .await
}

pub async fn create_org_unit(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<OrgForm>,
) -> Result<Response, PageError> {
    let input = NewOrgUnit {
        parent_id: Some(f.parent_id.clone()).filter(|s| !s.is_empty()),
        kind: f.kind.clone(),
        code: f.code.clone(),
        name: f.name.clone(),
    };
    match s.app.create_org_unit(&u.ctx, &input, None).await {
        Ok(_) => Ok(crate::shell::redirect("/org-units").into_response()),
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            let errors = FormErrors::from_fields(&errs, u.tr());
            org_page(
                &s,
                u,
                f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
