//! Signing in and out, sessions, bearer tokens and personal API tokens.

use crate::{Actor, AppError, Ctx, Principal};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::{DisplayName, FieldError, Permission, TokenId, UserId};
use aftersales_store::accounts::sessions::SessionKind;
use aftersales_store::{
    StoreError, accounts::sessions, accounts::throttle, accounts::tokens,
    network::org as org_store, network::users as user_store,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

const LOGIN_TOKEN_PREFIX: &str = "ast_";
const PERSONAL_TOKEN_PREFIX: &str = "asp_";

/// An address a user signed in from shields them from the account-wide limit this long.
pub const LOGIN_KNOWN_ADDRESS_DAYS: i64 = 90;

/// The throttle's counter keys of one attempt.
struct ThrottleKeys {
    name: String,
    /// The client's address as counted: an IPv4 address, or the /64 network of an IPv6
    /// address (one host usually holds a whole /64); `unknown` without one.
    address: String,
    account_address: String,
    address_key: String,
    account: String,
}

impl ThrottleKeys {
    fn new(name: &str, client: Option<std::net::IpAddr>) -> Self {
        use std::net::IpAddr;
        let address = match client.map(|ip| ip.to_canonical()) {
            Some(IpAddr::V4(v4)) => v4.to_string(),
            Some(IpAddr::V6(v6)) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            None => "unknown".to_owned(),
        };
        ThrottleKeys {
            name: name.to_owned(),
            account_address: format!("acct_addr:{name}|{address}"),
            address_key: format!("addr:{address}"),
            account: format!("acct:{name}"),
            address,
        }
    }
}

/// A fresh secret: 32 random bytes, base64url.
pub(crate) fn secret() -> Result<String, AppError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("random: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

pub(crate) fn hash_secret(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A configured lifetime as jiff counts it. Only a duration beyond `i64::MAX` seconds (no
/// setting anyone writes) cannot be converted; it falls back to the default 12 hours rather
/// than to a bound that would overflow every instant it is added to.
fn ttl(d: std::time::Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::from_hours(12))
}

/// What a successful sign-in gives: the secret for the cookie or the bearer header.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub token: String,
    pub expires_at: Timestamp,
    pub actor: Actor,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenView {
    #[schema(value_type = String, format = Uuid)]
    pub id: TokenId,
    pub name: String,
    /// The first characters of the token, to recognize it.
    pub prefix: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

impl From<&tokens::TokenRecord> for TokenView {
    fn from(t: &tokens::TokenRecord) -> Self {
        TokenView {
            id: t.id,
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A token just created: the secret is shown this once and never again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewToken {
    #[serde(flatten)]
    pub token: TokenView,
    pub secret: String,
}

impl crate::App {
    /// Signs a user in from `client` (the peer's address, when known). Before the password
    /// is checked an attempt is reserved atomically against three counters (see
    /// [`Self::reserve_login`]); past a limit the attempt is refused with `RateLimited`
    /// without checking the password. Unknown users and disabled accounts look like a
    /// wrong password, and cost the same time.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        web: bool,
        client: Option<std::net::IpAddr>,
        request_id: Option<String>,
    ) -> Result<LoginOutcome, AppError> {
        let name = username.trim().to_lowercase();
        // No user name holds a control character (NUL cannot even be stored on PostgreSQL):
        // such a name is a wrong sign-in on both backends, counted nowhere.
        if name.is_empty()
            || password.is_empty()
            || name.len() > 256
            || password.len() > 1024
            || name.chars().any(char::is_control)
        {
            return Err(AppError::InvalidCredentials);
        }
        let now = self.now();
        let keys = ThrottleKeys::new(&name, client);
        self.reserve_login(&keys, now).await?;
        self.login_checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let user = user_store::find_by_username(self.db.pool(), &name).await?;
        let ok = match &user {
            Some(u) => self.cfg.password_cost.verify(password, &u.password_hash)? && !u.disabled,
            None => {
                // Spend the time a real check would take.
                let _ = self.cfg.password_cost.hash(password);
                false
            }
        };
        let Some(user) = user.filter(|_| ok) else {
            // The reserved attempt stays counted: it was a failure.
            tracing::info!(username = %name, client = %keys.address, "login failed");
            return Err(AppError::InvalidCredentials);
        };
        let token = if web {
            secret()?
        } else {
            format!("{LOGIN_TOKEN_PREFIX}{}", secret()?)
        };
        let (kind, life) = if web {
            (SessionKind::Web, ttl(self.cfg.web_session_ttl))
        } else {
            (SessionKind::Api, ttl(self.cfg.api_login_ttl))
        };
        let expires_at = now + life;
        let actor = self.actor_of(&user).await?;
        let ctx = Ctx::user(actor.clone(), request_id);
        let mut tx = self.db.begin().await?;
        // A success clears this address's count for the account and gives the attempt
        // back to the address's and the account's counters.
        throttle::clear(tx.conn(), &keys.account_address).await?;
        throttle::release(tx.conn(), &keys.address_key).await?;
        throttle::release(tx.conn(), &keys.account).await?;
        throttle::remember_address(tx.conn(), &name, &keys.address, now).await?;
        sessions::insert(
            tx.conn(),
            &hash_secret(&token),
            user.id,
            kind,
            now,
            expires_at,
        )
        .await?;
        let via = serde_json::json!({ "via": if web { "web" } else { "api" } });
        self.audit(
            &mut tx,
            &ctx,
            AuditEntity::User,
            &user.id.to_string(),
            AuditAction::Login,
            None,
            Some(via),
        )
        .await?;
        tx.commit().await?;
        Ok(LoginOutcome {
            token,
            expires_at,
            actor,
        })
    }

    /// Reserves one login attempt, in one transaction, against three counters of the
    /// window (`login_window`, starting with its first attempt):
    /// - this account from this address: at most `login_max_failures`;
    /// - this address, any account: at most `login_max_failures_per_address`;
    /// - this account, any address: at most `login_max_failures_per_account`;
    ///
    /// the last two except for an address the account signed in from within
    /// `LOGIN_KNOWN_ADDRESS_DAYS`, so neither an attack from elsewhere nor a neighbour
    /// behind the same address locks the owner (e.g. `admin`) out.
    ///
    /// Each counter is bumped atomically and the transaction rolled back when one refuses,
    /// so concurrent attempts never pass a limit and refused ones do not count. Successes
    /// give their attempt back (see `login`), so the counts are failures.
    async fn reserve_login(&self, k: &ThrottleKeys, now: Timestamp) -> Result<(), AppError> {
        let window = ttl(self.cfg.login_window);
        let expired = now - window;
        let refuse = |start: Timestamp| {
            // At least one second, so the conversion cannot lose anything.
            let secs = (start + window).duration_since(now).as_secs().max(1);
            tracing::warn!(key = %k.account_address, "login throttled");
            AppError::RateLimited {
                retry_after_secs: secs.unsigned_abs(),
            }
        };
        let mut tx = self.db.begin().await?;
        // An address the account signed in from lately is the owner's: neither the
        // address's budget (an office behind one NAT, or a proxy) nor the account's (a
        // distributed attack) locks the owner out there; the account+address limit holds.
        let known = throttle::is_known_address(
            tx.conn(),
            &k.name,
            &k.address,
            now - SignedDuration::from_hours(24 * LOGIN_KNOWN_ADDRESS_DAYS),
        )
        .await?;
        let (n, start) = throttle::bump(tx.conn(), &k.account_address, now, expired).await?;
        if n > self.cfg.login_max_failures {
            return Err(refuse(start));
        }
        let (n, start) = throttle::bump(tx.conn(), &k.address_key, now, expired).await?;
        if n > self.cfg.login_max_failures_per_address && !known {
            return Err(refuse(start));
        }
        let (n, start) = throttle::bump(tx.conn(), &k.account, now, expired).await?;
        if n > self.cfg.login_max_failures_per_account && !known {
            return Err(refuse(start));
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many passwords `login` has checked since start (tests and /metrics read it:
    /// the throttle's limits bound it).
    pub fn login_checks(&self) -> u64 {
        self.login_checks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The CSRF token bound to `binding` (the web layer's session or pre-session secret):
    /// HMAC-SHA256 under the server's CSRF key, which lives in the database so every app
    /// node agrees. Another binding — another session — has another token.
    #[tracing::instrument(skip_all)]
    pub async fn csrf_token(&self, binding: &str) -> Result<String, AppError> {
        use hmac::{Hmac, KeyInit, Mac};
        let key = self
            .csrf_key
            .get_or_try_init(|| async {
                let mut tx = self.db.begin().await?;
                let v = aftersales_store::accounts::secrets::get_or_create(
                    tx.conn(),
                    "csrf",
                    &secret()?,
                    self.now(),
                )
                .await?;
                tx.commit().await?;
                Ok::<String, AppError>(v)
            })
            .await?;
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
            .map_err(|e| AppError::Internal(format!("hmac: {e}")))?;
        mac.update(b"csrf:");
        mac.update(hash_secret(binding).as_bytes());
        Ok(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    /// Ends the session or login token `token` (the caller's own).
    #[tracing::instrument(skip_all)]
    pub async fn logout(&self, ctx: &Ctx, token: &str) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        if sessions::delete(tx.conn(), &hash_secret(token)).await?
            && let Some(a) = ctx.actor()
        {
            self.audit(
                &mut tx,
                ctx,
                AuditEntity::User,
                &a.id.to_string(),
                AuditAction::Logout,
                None,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn actor_of(&self, u: &user_store::UserRecord) -> Result<Actor, AppError> {
        let org_path = match u.org_unit_id {
            Some(id) => Some(org_store::get(self.db.pool(), id).await?.path),
            None => None,
        };
        Ok(Actor {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            org_unit_id: u.org_unit_id,
            org_path,
            locale: u.locale,
        })
    }

    /// A context acting as a named user (the demo loader, so its events carry real names).
    pub(crate) async fn ctx_as(&self, username: &str) -> Result<crate::Ctx, AppError> {
        let u = self
            .find_user_by_username(username)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        Ok(crate::Ctx::user(self.live_actor(u.id).await?, None))
    }

    async fn live_actor(&self, id: UserId) -> Result<Actor, AppError> {
        // A user who is gone signs in no more; a failure to read is an error, not a sign-out.
        let u = user_store::get(self.db.pool(), id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::Unauthenticated,
                e => e.into(),
            })?;
        if u.disabled {
            return Err(AppError::Unauthenticated);
        }
        self.actor_of(&u).await
    }

    /// The user of a web session cookie.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate_session(&self, token: &str) -> Result<Actor, AppError> {
        let id = sessions::user_of(
            self.db.pool(),
            &hash_secret(token),
            SessionKind::Web,
            self.now(),
        )
        .await?
        .ok_or(AppError::Unauthenticated)?;
        self.live_actor(id).await
    }

    /// The user of an `Authorization: Bearer` token: a login token or a personal token.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate_bearer(&self, token: &str) -> Result<Actor, AppError> {
        let h = hash_secret(token);
        let now = self.now();
        let id = if token.starts_with(PERSONAL_TOKEN_PREFIX) {
            tokens::find_live(self.db.pool(), &h, now)
                .await?
                .map(|t| t.user_id)
        } else {
            sessions::user_of(self.db.pool(), &h, SessionKind::Api, now).await?
        };
        self.live_actor(id.ok_or(AppError::Unauthenticated)?).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_tokens(&self, ctx: &Ctx) -> Result<Vec<TokenView>, AppError> {
        ctx.require(Permission::OwnTokens)?;
        let me = ctx.actor().ok_or(AppError::Forbidden)?;
        Ok(tokens::list_for_user(self.db.pool(), me.id)
            .await?
            .iter()
            .map(TokenView::from)
            .collect())
    }

    /// Creates a personal token for the caller, valid `days` days (or without end).
    #[tracing::instrument(skip_all)]
    pub async fn create_token(
        &self,
        ctx: &Ctx,
        name: &str,
        days: Option<i64>,
    ) -> Result<NewToken, AppError> {
        ctx.require(Permission::OwnTokens)?;
        let me = ctx.actor().ok_or(AppError::Forbidden)?;
        let name = DisplayName::parse("name", name).map_err(AppError::invalid)?;
        let name = name.as_str();
        if let Some(d) = days
            && !(1..=3650).contains(&d)
        {
            return Err(AppError::invalid(
                FieldError::new("expires_in_days", "out_of_range")
                    .with("min", 1)
                    .with("max", 3650),
            ));
        }
        let now = self.now();
        let secret = format!("{PERSONAL_TOKEN_PREFIX}{}", secret()?);
        let rec = tokens::TokenRecord {
            id: TokenId::new(),
            user_id: me.id,
            name: name.to_owned(),
            token_hash: hash_secret(&secret),
            prefix: secret.chars().take(10).collect(),
            created_at: now,
            expires_at: days.map(|d| now + SignedDuration::from_hours(24 * d)),
            revoked_at: None,
        };
        let mut tx = self.db.begin().await?;
        tokens::insert(tx.conn(), &rec).await?;
        let after = serde_json::json!({ "name": rec.name, "prefix": rec.prefix, "user_id": me.id.to_string() });
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::ApiToken,
            &rec.id.to_string(),
            AuditAction::Create,
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(NewToken {
            token: TokenView::from(&rec),
            secret,
        })
    }

    /// Revokes one of the caller's personal tokens (an admin may revoke anyone's).
    #[tracing::instrument(skip_all)]
    pub async fn revoke_token(&self, ctx: &Ctx, id: TokenId) -> Result<TokenView, AppError> {
        ctx.require(Permission::OwnTokens)?;
        let mut tx = self.db.begin().await?;
        let t = tokens::get(tx.conn(), id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("token"),
            e => e.into(),
        })?;
        let mine = match &ctx.principal {
            Principal::User(a) => a.id == t.user_id || a.role.can(Permission::UsersManage),
            Principal::System(_) => true,
        };
        if !mine {
            return Err(AppError::NotFound("token"));
        }
        if t.revoked_at.is_some() {
            return Ok(TokenView::from(&t));
        }
        let now = self.now();
        tokens::revoke(tx.conn(), id, now).await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::ApiToken,
            &id.to_string(),
            AuditAction::Revoke,
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        let mut t = t;
        t.revoked_at = Some(now);
        Ok(TokenView::from(&t))
    }
}
