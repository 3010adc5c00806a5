//! Each role's home page.

use crate::AppState;
use crate::shell::{PageError, Shell, WebUser, nav_for};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

pub struct Link {
    pub href: &'static str,
    pub label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub shell: Shell,
    pub title: String,
    pub me: aftersales_app::Actor,
    pub role_label: String,
    pub org_name: String,
    pub intro: String,
    pub links: Vec<Link>,
}

pub async fn home(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    let tr = u.tr();
    let role = u.actor.role;
    let org_name = match u.actor.org_unit_id {
        Some(id) => {
            s.app
                .get_org_unit(&aftersales_app::Ctx::system("home"), id)
                .await?
                .name
        }
        None => tr.t("common.none").to_owned(),
    };
    let links = nav_for(role)
        .into_iter()
        .filter(|(href, _)| *href != "/")
        .map(|(href, key)| Link {
            href,
            label: tr.t_dyn(key),
        })
        .collect();
    Ok(HomePage {
        title: tr.t_dyn(&format!("home.title.{role}")),
        role_label: tr.t_dyn(&format!("role.{role}")),
        intro: tr.t_dyn(&format!("home.intro.{role}")),
        org_name,
        links,
        me: u.actor,
        shell: u.shell,
    }
    .into_response())
}
