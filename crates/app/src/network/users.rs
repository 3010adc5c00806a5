//! Accounts: list, read, create, change, reset password.

use crate::{AppError, Ctx, Idempotency, Page, Principal, cursor};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::{
    DisplayName, FieldError, FieldErrors, Locale, OrgUnitId, OrgUnitKind, Password, Permission,
    Role, UserId, Username,
};
use aftersales_store::{
    StoreError, accounts::sessions, accounts::tokens, network::org as org_store,
    network::users as store,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user as the API and the pages show it (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = String, example = "agent")]
    pub role: Role,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<OrgUnitId>,
    #[schema(value_type = String, example = "zh-CN")]
    pub locale: Locale,
    pub disabled: bool,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<&store::UserRecord> for UserView {
    fn from(u: &store::UserRecord) -> Self {
        UserView {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            org_unit_id: u.org_unit_id,
            locale: u.locale,
            disabled: u.disabled,
            version: u.version,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// Input of "create a user", as typed (parsed inside).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewUser {
    /// 3–64 of `a-z 0-9 . _ -` (stored lowercase).
    #[schema(min_length = 3, max_length = 64, pattern = r"^[A-Za-z0-9._-]{3,64}$")]
    pub username: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub display_name: String,
    #[schema(value_type = crate::schema::RoleName)]
    pub role: String,
    /// The user's unit; empty or absent for none.
    #[schema(
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub org_unit_id: Option<String>,
    #[schema(format = Password, min_length = 8, max_length = 256, pattern = r"^[\s\S]*\S[\s\S]*$")]
    pub password: String,
    /// `zh-CN` (default) or `en`.
    #[schema(value_type = Option<crate::schema::LocaleName>)]
    pub locale: Option<String>,
}

/// A change to a user; absent fields stay as they are. `version` must be the version read.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct UserPatch {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub display_name: Option<String>,
    #[schema(value_type = Option<crate::schema::RoleName>)]
    pub role: Option<String>,
    /// A unit id, or an empty string to clear it.
    #[schema(
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub org_unit_id: Option<String>,
    #[schema(value_type = Option<crate::schema::LocaleName>)]
    pub locale: Option<String>,
    pub disabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of the user name or display name.
    pub q: Option<String>,
    #[param(value_type = Option<crate::schema::RoleName>)]
    pub role: Option<String>,
    pub include_disabled: Option<bool>,
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

fn parse_role(field: &str, s: &str) -> Result<Role, FieldError> {
    Role::parse(s.trim()).ok_or_else(|| FieldError::new(field, "invalid_choice"))
}

fn parse_locale(field: &str, s: &str) -> Result<Locale, FieldError> {
    match s.trim() {
        "zh-CN" => Ok(Locale::ZhCn),
        "en" => Ok(Locale::En),
        _ => Err(FieldError::new(field, "invalid_choice")),
    }
}

fn parse_org_id(field: &str, s: &str) -> Result<OrgUnitId, FieldError> {
    s.trim()
        .parse()
        .map_err(|_| FieldError::new(field, "invalid_id"))
}

fn snapshot(u: &store::UserRecord) -> serde_json::Value {
    serde_json::json!({
        "username": u.username, "display_name": u.display_name, "role": u.role.as_str(),
        "org_unit_id": u.org_unit_id.map(|o| o.to_string()), "locale": u.locale.as_str(),
        "disabled": u.disabled, "version": u.version,
    })
}

impl crate::App {
    /// Which users the caller may see: all for admins and the system, their own subtree for
    /// managers; `None` means "all".
    async fn user_scope(&self, ctx: &Ctx) -> Result<Option<String>, AppError> {
        ctx.require(Permission::UsersRead)?;
        match &ctx.principal {
            Principal::System(_) => Ok(None),
            Principal::User(a) if a.role.can(Permission::UsersManage) => Ok(None),
            Principal::User(a) => a.org_path.clone().map(Some).ok_or(AppError::Forbidden),
        }
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_users(&self, ctx: &Ctx, q: &UserQuery) -> Result<Page<UserView>, AppError> {
        let scope = self.user_scope(ctx).await?;
        let limit = cursor::limit(q.limit)?;
        let after = cursor::decode(q.cursor.as_deref())?;
        let role = match q.role.as_deref() {
            Some(r) => Some(parse_role("role", r).map_err(AppError::invalid)?),
            None => None,
        };
        let f = store::UserFilter {
            org_path_prefix: scope,
            role,
            q: q.q
                .clone()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            include_disabled: q.include_disabled.unwrap_or(false),
        };
        let page = store::list(self.db.pool(), &f, after.as_deref(), limit).await?;
        Ok(Page {
            items: page.items.iter().map(UserView::from).collect(),
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn get_user(&self, ctx: &Ctx, id: UserId) -> Result<UserView, AppError> {
        let scope = self.user_scope(ctx).await?;
        let u = store::get(self.db.pool(), id).await.map_err(not_found)?;
        self.check_in_scope(scope.as_deref(), u.org_unit_id).await?;
        Ok(UserView::from(&u))
    }

    /// A user outside the caller's scope is answered as "not found", so scope does not leak
    /// which accounts exist.
    async fn check_in_scope(
        &self,
        scope: Option<&str>,
        org: Option<OrgUnitId>,
    ) -> Result<(), AppError> {
        let Some(prefix) = scope else { return Ok(()) };
        let Some(org) = org else {
            return Err(AppError::NotFound("user"));
        };
        let unit = org_store::get(self.db.pool(), org).await?;
        if unit.path.starts_with(prefix) {
            Ok(())
        } else {
            Err(AppError::NotFound("user"))
        }
    }

    /// Checks the role/unit combination: partner staff belong to a partner unit; customers
    /// belong to no unit (they are tied to customer records instead).
    async fn check_unit_for_role(
        &self,
        role: Role,
        org: Option<OrgUnitId>,
    ) -> Result<(), AppError> {
        let unit = match org {
            Some(id) => match org_store::get(self.db.pool(), id).await {
                Ok(u) => Some(u),
                Err(StoreError::NotFound) => {
                    return Err(AppError::conflict_on("org_unit_id", "unknown_org_unit"));
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let refused = match (role, &unit) {
            (Role::Customer, Some(_)) => Some("customer_without_unit"),
            (Role::Partner, Some(u)) if u.kind != OrgUnitKind::Partner => {
                Some("partner_needs_partner_unit")
            }
            (Role::Partner, None) => Some("partner_needs_partner_unit"),
            _ => None,
        };
        match refused {
            Some(code) => Err(AppError::conflict_on("org_unit_id", code)),
            None => Ok(()),
        }
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_user(
        &self,
        ctx: &Ctx,
        input: &NewUser,
        idem: Option<&Idempotency>,
    ) -> Result<UserView, AppError> {
        ctx.require(Permission::UsersManage)?;
        if let Some(v) = self.idem_replay(ctx, idem).await? {
            return Ok(v);
        }
        let mut errs = FieldErrors::new();
        let username = errs.take(Username::parse("username", &input.username));
        let display_name = errs.take(DisplayName::parse("display_name", &input.display_name));
        let role = errs.take(parse_role("role", &input.role));
        let password = errs.take(Password::parse(
            "password",
            &input.password,
            &input.username,
        ));
        let locale = match input.locale.as_deref() {
            Some(l) => errs.take(parse_locale("locale", l)),
            None => Some(Locale::ZhCn),
        };
        let org = match input
            .org_unit_id
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            Some(s) => errs.take(parse_org_id("org_unit_id", s)).map(Some),
            None => Some(None),
        };
        errs.clone().into_result()?;
        if let (Some(role), Some(org)) = (role, org) {
            self.check_unit_for_role(role, org).await?;
        }
        let (
            Some(username),
            Some(display_name),
            Some(role),
            Some(password),
            Some(locale),
            Some(org),
        ) = (username, display_name, role, password, locale, org)
        else {
            return Err(AppError::Validation(errs));
        };
        match self
            .insert_user(
                ctx,
                &username,
                &display_name,
                role,
                org,
                &password,
                locale,
                idem,
            )
            .await
        {
            Ok(v) => Ok(v),
            Err(e) => self.idem_replay_after_race(ctx, idem, e).await,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_user(
        &self,
        ctx: &Ctx,
        username: &Username,
        display_name: &DisplayName,
        role: Role,
        org: Option<OrgUnitId>,
        password: &Password,
        locale: Locale,
        idem: Option<&Idempotency>,
    ) -> Result<UserView, AppError> {
        let password_hash = self.cfg.password_cost.hash(password.expose())?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.idem_claim(&mut tx, ctx, idem).await?;
        if store::find_by_username(tx.conn(), username.as_str())
            .await?
            .is_some()
        {
            return Err(AppError::conflict_on("username", "username_taken"));
        }
        let rec = store::UserRecord {
            id: UserId::new(),
            username: username.as_str().to_owned(),
            display_name: display_name.as_str().to_owned(),
            role,
            org_unit_id: org,
            password_hash,
            locale,
            disabled: false,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        match store::insert(tx.conn(), &rec).await {
            Ok(()) => {}
            Err(StoreError::Constraint(_)) => {
                return Err(AppError::conflict_on("username", "username_taken"));
            }
            Err(e) => return Err(e.into()),
        }
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::User,
            &rec.id.to_string(),
            AuditAction::Create,
            None,
            Some(snapshot(&rec)),
        )
        .await?;
        let view = UserView::from(&rec);
        self.idem_complete(&mut tx, ctx, idem, &view).await?;
        tx.commit().await?;
        tracing::info!(user_id = %rec.id, username = %rec.username, role = %rec.role, "user created");
        Ok(view)
    }

    /// Changes a user's display name, role, unit, language or disabled flag.
    #[tracing::instrument(skip_all)]
    pub async fn update_user(
        &self,
        ctx: &Ctx,
        id: UserId,
        patch: &UserPatch,
    ) -> Result<UserView, AppError> {
        ctx.require(Permission::UsersManage)?;
        let mut errs = FieldErrors::new();
        let display_name = patch
            .display_name
            .as_deref()
            .and_then(|s| errs.take(DisplayName::parse("display_name", s)));
        let role = patch
            .role
            .as_deref()
            .and_then(|s| errs.take(parse_role("role", s)));
        let locale = patch
            .locale
            .as_deref()
            .and_then(|s| errs.take(parse_locale("locale", s)));
        let org = match patch.org_unit_id.as_deref() {
            None => None,
            Some(s) if s.trim().is_empty() => Some(None),
            Some(s) => errs.take(parse_org_id("org_unit_id", s)).map(Some),
        };
        errs.clone().into_result()?;

        let mut tx = self.db.begin().await?;
        let before = store::get(tx.conn(), id).await.map_err(not_found)?;
        if before.version != patch.version {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        let mut after = before.clone();
        if let Some(d) = display_name {
            after.display_name = d.as_str().to_owned();
        }
        if let Some(r) = role {
            after.role = r;
        }
        if let Some(l) = locale {
            after.locale = l;
        }
        if let Some(o) = org {
            after.org_unit_id = o;
        }
        if let Some(d) = patch.disabled {
            after.disabled = d;
        }
        if after.role != before.role || after.org_unit_id != before.org_unit_id {
            self.check_unit_for_role(after.role, after.org_unit_id)
                .await?;
        }
        // An admin cannot lock themselves out, and the last active admin stays one.
        if let Some(me) = ctx.actor()
            && me.id == id
            && (after.disabled || after.role != Role::Admin)
            && before.role == Role::Admin
        {
            return Err(AppError::Conflict("cannot_demote_self"));
        }
        if before.role == Role::Admin
            && !before.disabled
            && (after.disabled || after.role != Role::Admin)
            && self.count_active_admins(&mut tx).await? <= 1
        {
            return Err(AppError::Conflict("last_admin"));
        }
        after.version = before.version + 1;
        after.updated_at = self.now();
        if !store::update(tx.conn(), &after, before.version).await? {
            let current = store::get(tx.conn(), id).await?.version;
            return Err(AppError::StaleVersion { current });
        }
        if after.disabled && !before.disabled {
            sessions::delete_for_user(tx.conn(), id).await?;
            tokens::revoke_all_for_user(tx.conn(), id, after.updated_at).await?;
        }
        let action = match (before.disabled, after.disabled) {
            (false, true) => AuditAction::Disable,
            (true, false) => AuditAction::Enable,
            _ => AuditAction::Update,
        };
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::User,
            &id.to_string(),
            action,
            Some(snapshot(&before)),
            Some(snapshot(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(UserView::from(&after))
    }

    async fn count_active_admins(&self, tx: &mut aftersales_store::Tx) -> Result<i64, AppError> {
        Ok(store::count_active_with_role(tx.conn(), Role::Admin).await?)
    }

    /// Sets a new password for a user (by an admin, or the system). Every credential of
    /// the account ends — web sessions, API login tokens and personal tokens — except
    /// `keep`, the secret the caller is signed in with (when an admin resets their own
    /// password); the audit row lists what was revoked.
    #[tracing::instrument(skip_all)]
    pub async fn reset_password(
        &self,
        ctx: &Ctx,
        id: UserId,
        new_password: &str,
        keep: Option<&str>,
    ) -> Result<(), AppError> {
        ctx.require(Permission::UsersManage)?;
        let rec = store::get(self.db.pool(), id).await.map_err(not_found)?;
        let password =
            Password::parse("password", new_password, &rec.username).map_err(AppError::invalid)?;
        self.set_password(ctx, id, &password, AuditAction::ResetPassword, keep)
            .await
    }

    /// Links a customer-role account to the customer record it acts for in the portal
    /// (or unlinks it with `None`). Audited.
    #[tracing::instrument(skip_all)]
    pub async fn set_user_customer(
        &self,
        ctx: &Ctx,
        id: UserId,
        customer_id: Option<aftersales_domain::CustomerId>,
    ) -> Result<(), AppError> {
        ctx.require(Permission::UsersManage)?;
        let mut tx = self.db.begin().await?;
        let u = store::get(tx.conn(), id).await.map_err(not_found)?;
        if u.role != Role::Customer {
            return Err(AppError::conflict_on("user_id", "not_a_customer_account"));
        }
        if let Some(c) = customer_id {
            aftersales_store::installed_base::customers::get(tx.conn(), c)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => {
                        AppError::conflict_on("customer_id", "unknown_customer")
                    }
                    e => e.into(),
                })?;
        }
        let before = store::customer_of(tx.conn(), id).await?;
        let after = customer_id.map(|c| c.to_string());
        store::set_customer(tx.conn(), id, after.as_deref()).await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::User,
            &id.to_string(),
            AuditAction::LinkCustomer,
            Some(serde_json::json!({"customer_id": before})),
            Some(serde_json::json!({"customer_id": after})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The caller changes their own password, proving the current one. Every other
    /// credential of the account ends (sessions, login tokens, personal tokens); `keep` is
    /// the secret of the session or token making the change, which stays valid.
    #[tracing::instrument(skip_all)]
    pub async fn change_own_password(
        &self,
        ctx: &Ctx,
        current: &str,
        new_password: &str,
        keep: Option<&str>,
    ) -> Result<(), AppError> {
        ctx.require(Permission::OwnProfile)?;
        let me = ctx.actor().ok_or(AppError::Forbidden)?;
        let password = Password::parse("new_password", new_password, &me.username)
            .map_err(AppError::invalid)?;
        let rec = store::get(self.db.pool(), me.id).await?;
        if !self.cfg.password_cost.verify(current, &rec.password_hash)? {
            return Err(AppError::conflict_on("current_password", "wrong_password"));
        }
        self.set_password(ctx, me.id, &password, AuditAction::ChangePassword, keep)
            .await
    }

    pub(crate) async fn set_password(
        &self,
        ctx: &Ctx,
        id: UserId,
        password: &Password,
        action: AuditAction,
        keep: Option<&str>,
    ) -> Result<(), AppError> {
        let hash = self.cfg.password_cost.hash(password.expose())?;
        let keep = keep.map(crate::accounts::auth::hash_secret);
        let mut tx = self.db.begin().await?;
        let before = store::get(tx.conn(), id).await.map_err(not_found)?;
        let mut after = before.clone();
        after.password_hash = hash;
        after.version += 1;
        after.updated_at = self.now();
        if !store::update(tx.conn(), &after, before.version).await? {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        let ended = sessions::delete_for_user_except(tx.conn(), id, keep.as_deref()).await?;
        let tokens =
            tokens::revoke_all_for_user_except(tx.conn(), id, keep.as_deref(), after.updated_at)
                .await?;
        let count = |k| ended.iter().filter(|e| **e == k).count();
        let mut after_json = snapshot(&after);
        after_json["revoked"] = serde_json::json!({
            "web_sessions": count(sessions::SessionKind::Web),
            "login_tokens": count(sessions::SessionKind::Api),
            "personal_tokens": tokens.iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        // The before/after summary says that the password changed, never what it is.
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::User,
            &id.to_string(),
            action,
            Some(snapshot(&before)),
            Some(after_json),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    pub async fn find_user_by_username(
        &self,
        username: &str,
    ) -> Result<Option<UserView>, AppError> {
        Ok(
            store::find_by_username(self.db.pool(), &username.trim().to_lowercase())
                .await?
                .as_ref()
                .map(UserView::from),
        )
    }
}

pub(crate) fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("user"),
        e => e.into(),
    }
}

impl crate::App {
    /// The caller's own account.
    #[tracing::instrument(skip_all)]
    pub async fn me(&self, ctx: &Ctx) -> Result<UserView, AppError> {
        ctx.require(Permission::OwnProfile)?;
        let me = ctx.actor().ok_or(AppError::Forbidden)?;
        Ok(UserView::from(
            &store::get(self.db.pool(), me.id).await.map_err(not_found)?,
        ))
    }
}
