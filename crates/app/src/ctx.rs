//! Who is asking: a signed-in user, or the system itself (CLI, bootstrap, jobs).

use crate::AppError;
use aftersales_domain::{Locale, OrgUnitId, Permission, Role, UserId};

/// A signed-in user, with the organization scope resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_unit_id: Option<OrgUnitId>,
    /// Materialized path of the user's unit; the scope of partners and managers.
    pub org_path: Option<String>,
    pub locale: Locale,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User(Actor),
    /// The program acting on an operator's command (`aftersales user add`, bootstrap).
    System(&'static str),
}

/// The caller of a use-case and the request it belongs to (for the audit trail and logs).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub principal: Principal,
    pub request_id: Option<String>,
}

impl Ctx {
    pub fn user(actor: Actor, request_id: Option<String>) -> Self {
        Self {
            principal: Principal::User(actor),
            request_id,
        }
    }

    pub fn system(name: &'static str) -> Self {
        Self {
            principal: Principal::System(name),
            request_id: None,
        }
    }

    pub fn actor(&self) -> Option<&Actor> {
        match &self.principal {
            Principal::User(a) => Some(a),
            Principal::System(_) => None,
        }
    }

    /// Whether the caller holds `p` (for the flags pages show or hide a form by). The
    /// system holds everything.
    pub fn can(&self, p: Permission) -> bool {
        match &self.principal {
            Principal::System(_) => true,
            Principal::User(a) => a.role.can(p),
        }
    }

    /// Refuses unless the caller holds `p`.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.can(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub(crate) fn audit_actor(&self) -> (Option<String>, String) {
        match &self.principal {
            Principal::User(a) => (Some(a.id.to_string()), a.username.clone()),
            Principal::System(name) => (None, aftersales_domain::user::system_actor_name(name)),
        }
    }

    /// Who acts, as events record it: a person's id and display name, or the system's
    /// process by its name.
    pub(crate) fn event_actor(&self) -> (Option<String>, String) {
        match &self.principal {
            Principal::User(a) => (Some(a.id.to_string()), a.display_name.clone()),
            Principal::System(n) => (None, aftersales_domain::user::system_actor_name(n)),
        }
    }
}
