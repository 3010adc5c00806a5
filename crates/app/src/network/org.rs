//! The service network: list, read, create and change units.

use crate::{AppError, Ctx, Idempotency, Page, Principal, cursor};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::{
    FieldError, FieldErrors, OrgCode, OrgUnitId, OrgUnitKind, OrgUnitName, Permission, Role,
};
use aftersales_store::{StoreError, network::org as store};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrgUnitView {
    #[schema(value_type = String, format = Uuid)]
    pub id: OrgUnitId,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub parent_id: Option<OrgUnitId>,
    #[schema(value_type = String, example = "station")]
    pub kind: OrgUnitKind,
    pub code: String,
    pub name: String,
    /// How deep in the tree: 0 for the center.
    pub depth: i64,
    pub active: bool,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<&store::OrgUnitRecord> for OrgUnitView {
    fn from(o: &store::OrgUnitRecord) -> Self {
        OrgUnitView {
            id: o.id,
            parent_id: o.parent_id,
            kind: o.kind,
            code: o.code.clone(),
            name: o.name.clone(),
            depth: o.path.matches('/').count().saturating_sub(2) as i64,
            active: o.active,
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewOrgUnit {
    /// The unit above; absent only for the center (the root).
    #[schema(
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub parent_id: Option<String>,
    #[schema(value_type = crate::schema::OrgKindName)]
    pub kind: String,
    /// 1–32 of `A-Z 0-9 -` (stored uppercase).
    #[schema(min_length = 1, max_length = 32, pattern = r"^[A-Za-z0-9-]{1,32}$")]
    pub code: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct OrgUnitPatch {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(min_length = 1, max_length = 32, pattern = r"^[A-Za-z0-9-]{1,32}$")]
    pub code: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    pub active: Option<bool>,
}

fn snapshot(o: &store::OrgUnitRecord) -> serde_json::Value {
    serde_json::json!({
        "parent_id": o.parent_id.map(|p| p.to_string()), "kind": o.kind.as_str(), "code": o.code,
        "name": o.name, "active": o.active, "version": o.version,
    })
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("org_unit"),
        e => e.into(),
    }
}

impl crate::App {
    /// Partners see their own unit and what is below it; staff see the whole network.
    pub(crate) fn org_scope(&self, ctx: &Ctx) -> Result<Option<String>, AppError> {
        ctx.require(Permission::OrgRead)?;
        match &ctx.principal {
            Principal::User(a) if a.role == Role::Partner => {
                a.org_path.clone().map(Some).ok_or(AppError::Forbidden)
            }
            _ => Ok(None),
        }
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_org_units(
        &self,
        ctx: &Ctx,
        cursor_in: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Page<OrgUnitView>, AppError> {
        let scope = self.org_scope(ctx)?;
        let limit = cursor::limit(limit)?;
        let after = cursor::decode(cursor_in)?;
        let page = store::list(self.db.pool(), scope.as_deref(), after.as_deref(), limit).await?;
        Ok(Page {
            items: page.items.iter().map(OrgUnitView::from).collect(),
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn get_org_unit(&self, ctx: &Ctx, id: OrgUnitId) -> Result<OrgUnitView, AppError> {
        let scope = self.org_scope(ctx)?;
        let o = store::get(self.db.pool(), id).await.map_err(not_found)?;
        if scope.is_some_and(|p| !o.path.starts_with(&p)) {
            return Err(AppError::NotFound("org_unit"));
        }
        Ok(OrgUnitView::from(&o))
    }

    #[tracing::instrument(skip_all)]
    pub async fn find_org_unit_by_code(&self, code: &str) -> Result<Option<OrgUnitView>, AppError> {
        Ok(
            store::find_by_code(self.db.pool(), &code.trim().to_uppercase())
                .await?
                .as_ref()
                .map(OrgUnitView::from),
        )
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_org_unit(
        &self,
        ctx: &Ctx,
        input: &NewOrgUnit,
        idem: Option<&Idempotency>,
    ) -> Result<OrgUnitView, AppError> {
        ctx.require(Permission::OrgManage)?;
        if let Some(v) = self.idem_replay(ctx, idem).await? {
            return Ok(v);
        }
        let mut errs = FieldErrors::new();
        let kind = errs.take(
            OrgUnitKind::parse(input.kind.trim())
                .ok_or_else(|| FieldError::new("kind", "invalid_choice")),
        );
        let code = errs.take(OrgCode::parse("code", &input.code));
        let name = errs.take(OrgUnitName::parse("name", &input.name));
        let parent_id = match input.parent_id.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => errs
                .take(
                    s.trim()
                        .parse::<OrgUnitId>()
                        .map_err(|_| FieldError::new("parent_id", "invalid_id")),
                )
                .map(Some),
            None => Some(None),
        };
        errs.clone().into_result()?;
        let (Some(kind), Some(code), Some(name), Some(parent_id)) = (kind, code, name, parent_id)
        else {
            return Err(AppError::Validation(errs));
        };
        let r = async {
            let mut tx = self.db.begin().await?;
            self.idem_claim(&mut tx, ctx, idem).await?;
            let parent = match parent_id {
                Some(p) => match store::get(tx.conn(), p).await {
                    Ok(p) => Some(p),
                    Err(StoreError::NotFound) => {
                        return Err(AppError::conflict_on("parent_id", "unknown_org_unit"));
                    }
                    Err(e) => return Err(e.into()),
                },
                None => None,
            };
            match &parent {
                None if kind != OrgUnitKind::Center => {
                    return Err(AppError::conflict_on("parent_id", "parent_required"));
                }
                Some(p) if !p.kind.may_contain(kind) => {
                    return Err(AppError::conflict_on("kind", "not_allowed_under_parent"));
                }
                _ => {}
            }
            if store::find_by_code(tx.conn(), code.as_str())
                .await?
                .is_some()
            {
                return Err(AppError::conflict_on("code", "code_taken"));
            }
            let now = self.now();
            let id = OrgUnitId::new();
            let rec = store::OrgUnitRecord {
                id,
                parent_id: parent.as_ref().map(|p| p.id),
                kind,
                code: code.as_str().to_owned(),
                name: name.as_str().to_owned(),
                path: store::OrgUnitRecord::child_path(parent.as_ref(), id),
                active: true,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            store::insert(tx.conn(), &rec).await.map_err(|e| match e {
                StoreError::Constraint(_) => AppError::conflict_on("code", "code_taken"),
                e => e.into(),
            })?;
            self.audit(
                &mut tx,
                ctx,
                AuditEntity::OrgUnit,
                &id.to_string(),
                AuditAction::Create,
                None,
                Some(snapshot(&rec)),
            )
            .await?;
            let view = OrgUnitView::from(&rec);
            self.idem_complete(&mut tx, ctx, idem, &view).await?;
            tx.commit().await?;
            Ok(view)
        }
        .await;
        match r {
            Ok(v) => Ok(v),
            Err(e) => self.idem_replay_after_race(ctx, idem, e).await,
        }
    }

    #[tracing::instrument(skip_all)]
    pub async fn update_org_unit(
        &self,
        ctx: &Ctx,
        id: OrgUnitId,
        patch: &OrgUnitPatch,
    ) -> Result<OrgUnitView, AppError> {
        ctx.require(Permission::OrgManage)?;
        let mut errs = FieldErrors::new();
        let code = patch
            .code
            .as_deref()
            .and_then(|s| errs.take(OrgCode::parse("code", s)));
        let name = patch
            .name
            .as_deref()
            .and_then(|s| errs.take(OrgUnitName::parse("name", s)));
        errs.into_result()?;
        let mut tx = self.db.begin().await?;
        let before = store::get(tx.conn(), id).await.map_err(not_found)?;
        if before.version != patch.version {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        let mut after = before.clone();
        if let Some(c) = code {
            if c.as_str() != before.code
                && store::find_by_code(tx.conn(), c.as_str()).await?.is_some()
            {
                return Err(AppError::conflict_on("code", "code_taken"));
            }
            after.code = c.as_str().to_owned();
        }
        if let Some(n) = name {
            after.name = n.as_str().to_owned();
        }
        if let Some(a) = patch.active {
            after.active = a;
        }
        after.version += 1;
        after.updated_at = self.now();
        if !store::update(tx.conn(), &after, before.version).await? {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::OrgUnit,
            &id.to_string(),
            AuditAction::Update,
            Some(snapshot(&before)),
            Some(snapshot(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(OrgUnitView::from(&after))
    }
}
