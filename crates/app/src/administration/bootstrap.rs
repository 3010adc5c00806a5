//! First start: the admin account and the starter fee schedule.

use crate::{AppError, Ctx, NewUser};
use aftersales_domain::Password;
use aftersales_domain::audit::AuditAction;
use aftersales_domain::charges::FeeSchedule;
use aftersales_store::charges::schedules as schedule_store;
use aftersales_store::network::users as user_store;
use base64::Engine;

fn generated_password() -> Result<String, AppError> {
    let mut b = [0u8; 15];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("random: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

impl crate::App {
    /// Makes sure an `admin` account exists. On an empty database it is created with
    /// `password` or, when none is given, a generated one that is returned to be printed
    /// once. When `password` is given it always decides the admin's password.
    #[tracing::instrument(skip_all)]
    pub async fn ensure_admin(&self, password: Option<&str>) -> Result<Option<String>, AppError> {
        let ctx = Ctx::system("bootstrap");
        self.ensure_fee_schedule().await?;
        match user_store::find_by_username(self.db.pool(), "admin").await? {
            Some(admin) => {
                let Some(p) = password else { return Ok(None) };
                if self.cfg.password_cost.verify(p, &admin.password_hash)? {
                    // The password in force stays usable after an upgrade whose rules
                    // would refuse it as a new one; the log says to change it.
                    if let Err(e) = Password::parse("AFTERSALES_ADMIN_PASSWORD", p, "admin") {
                        tracing::warn!(
                            reason = e.code,
                            "the admin password is too weak for today's rules: change it"
                        );
                    }
                } else {
                    // A new password: today's rules apply.
                    let p = Password::parse("AFTERSALES_ADMIN_PASSWORD", p, "admin")
                        .map_err(AppError::invalid)?;
                    self.set_password(&ctx, admin.id, &p, AuditAction::ResetPassword, None)
                        .await?;
                }
                Ok(None)
            }
            None if user_store::count(self.db.pool()).await? > 0 && password.is_none() => Ok(None),
            None => {
                let (p, generated) = match password {
                    Some(p) => (p.to_owned(), false),
                    None => (generated_password()?, true),
                };
                let input = NewUser {
                    username: "admin".into(),
                    display_name: "系统管理员".into(),
                    role: "admin".into(),
                    org_unit_id: None,
                    password: p.clone(),
                    locale: None,
                };
                self.create_user(&ctx, &input, None).await?;
                Ok(generated.then_some(p))
            }
        }
    }

    /// A site without any fee schedule gets the starter one (`FeeSchedule::starter`), in
    /// force from the day of its first start; a site with one is left as it is. True when
    /// it was added now.
    #[tracing::instrument(skip_all)]
    pub async fn ensure_fee_schedule(&self) -> Result<bool, AppError> {
        let mut tx = self.db.begin().await?;
        if schedule_store::any(tx.conn()).await? {
            return Ok(false);
        }
        self.insert_fee_schedule(
            &mut tx,
            &Ctx::system("bootstrap"),
            self.today(),
            &FeeSchedule::starter(),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
