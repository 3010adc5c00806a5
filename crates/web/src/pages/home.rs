//! Each role's home is its work (issue 13, defect 9): the agent lands on the console, the
//! dispatcher on the board, the engineer (and a partner's technician) on their day, the
//! customer on their requests; a manager and an admin on the figures of their scope. The
//! warehouse keeps the account page until the parts issue gives it its work.

use crate::AppState;
use crate::shell::{PageError, Shell, WebUser, home_of, redirect};
use aftersales_app::{HomeFigures, SlaBoardRow};
use aftersales_domain::Permission;
use aftersales_domain::sla::board::Attainment;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub shell: Shell,
    pub title: String,
    pub me: aftersales_app::Actor,
    pub role_label: String,
    pub org_name: String,
    pub intro: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home_figures.html")]
pub struct FiguresPage {
    pub shell: Shell,
    pub title: String,
    pub f: HomeFigures,
}

impl FiguresPage {
    /// "92 %" or "—" when nothing fell due.
    pub fn percent(&self, a: &Attainment) -> String {
        a.percent()
            .map_or_else(|| "—".to_owned(), |p| format!("{p} %"))
    }

    /// "kept 12 · missed 1".
    pub fn kept_missed(&self, a: &Attainment) -> String {
        self.shell.tr.f(
            "home.kept_missed",
            &[
                ("kept", &a.on_time.to_string()),
                ("missed", &a.late.to_string()),
            ],
        )
    }

    pub fn band(&self, b: &impl std::fmt::Display) -> String {
        self.shell.tr.t_dyn(&format!("home.age.{b}"))
    }

    /// The largest band (at least 1), the scale of the bars.
    pub fn widest(&self) -> i64 {
        self.f
            .backlog
            .iter()
            .map(|b| b.count)
            .max()
            .unwrap_or(0)
            .max(1)
    }

    pub fn state_label(&self, s: impl std::fmt::Display) -> String {
        self.shell.tr.t_dyn(&format!("sla.state.{s}"))
    }

    pub fn left(&self, r: &SlaBoardRow) -> String {
        let Some(s) = r.seconds_left else {
            return "—".into();
        };
        let d = aftersales_domain::sla::duration_text(s.abs(), self.shell.tr.locale);
        if s >= 0 {
            self.shell.tr.f("sla.left", &[("time", &d)])
        } else {
            self.shell.tr.f("sla.overdue", &[("time", &d)])
        }
    }
}

pub async fn home(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    let tr = u.tr();
    let role = u.actor.role;
    if let Some(path) = home_of(role) {
        return Ok(redirect(path).into_response());
    }
    if role.can(Permission::FiguresRead) {
        let f = s.app.home_figures(&u.ctx, tr.locale).await?;
        return Ok(FiguresPage {
            title: tr.t_dyn(&format!("home.title.{role}")),
            f,
            shell: u.shell,
        }
        .into_response());
    }
    let org_name = match u.actor.org_unit_id {
        Some(id) => {
            s.app
                .get_org_unit(&aftersales_app::Ctx::system("home"), id)
                .await?
                .name
        }
        None => tr.t("common.none").to_owned(),
    };
    Ok(HomePage {
        title: tr.t_dyn(&format!("home.title.{role}")),
        role_label: tr.t_dyn(&format!("role.{role}")),
        intro: tr.t_dyn(&format!("home.intro.{role}")),
        org_name,
        me: u.actor,
        shell: u.shell,
    }
    .into_response())
}
