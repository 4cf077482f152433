//! Roles (administrator, service desk, LRA, in a scope or everywhere) and what makes an
//! account staff.

use super::*;

impl Accounts {
    /// Grants `role` (e.g. `administrator`) to an account; `by` is who granted it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn grant_role(
        &self,
        account_id: &str,
        role: &str,
        by: &str,
    ) -> Result<(), CredentialError> {
        self.grant_scoped_role(account_id, role, "", by)
            .await
            .map(|_| ())
    }

    /// Grants `role` limited to `scope` (e.g. the `lra` role of one organization; `""`:
    /// everywhere). Returns false when the account already held it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn grant_scoped_role(
        &self,
        account_id: &str,
        role: &str,
        scope: &str,
        by: &str,
    ) -> Result<bool, CredentialError> {
        // A staff role is never held without a second factor its holder set up: a password
        // alone (which the service desk could have reset) never opens a console.
        if is_staff_role(role) && !self.has_second_factor(account_id).await? {
            return Err(CredentialError::NoSecondFactor);
        }
        let r = sqlx::query(
            "INSERT INTO account_roles (account_id, role, scope, granted_at, granted_by) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(account_id)
        .bind(role)
        .bind(scope)
        .bind(self.clock.now())
        .bind(by)
        .execute(self.db.pool())
        .await
        .map_err(DbError::from);
        match r {
            Ok(_) => Ok(true),
            Err(e) if e.is_unique_violation() => Ok(false), // already held
            Err(e) => Err(e.into()),
        }
    }

    /// Takes `role` in `scope` away. Returns false when the account did not hold it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn revoke_role(
        &self,
        account_id: &str,
        role: &str,
        scope: &str,
    ) -> Result<bool, CredentialError> {
        let r = sqlx::query(
            "DELETE FROM account_roles WHERE account_id = $1 AND role = $2 AND scope = $3",
        )
        .bind(account_id)
        .bind(role)
        .bind(scope)
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Every role the account holds with its scope (`""`: everywhere), by role.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn roles(&self, account_id: &str) -> Result<Vec<(String, String)>, CredentialError> {
        let rows = sqlx::query(
            "SELECT role, scope FROM account_roles WHERE account_id = $1 ORDER BY role, scope",
        )
        .bind(account_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("role")?, r.try_get("scope")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| DbError::from(e).into())
    }

    /// True if the account holds `role`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn has_role(&self, account_id: &str, role: &str) -> Result<bool, CredentialError> {
        let row =
            sqlx::query("SELECT 1 AS one FROM account_roles WHERE account_id = $1 AND role = $2")
                .bind(account_id)
                .bind(role)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(row.is_some())
    }
}

impl Accounts {
    /// True if the account holds a staff role (administrator, service desk or LRA, in any
    /// scope): the service desk does not act on it, and its second factors change only
    /// after a step-up with one it already has.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn is_staff(&self, account_id: &str) -> Result<bool, CredentialError> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM account_roles WHERE account_id = $1 \
             AND role IN ($2, $3, $4)",
        )
        .bind(account_id)
        .bind(STAFF_ROLES[0])
        .bind(STAFF_ROLES[1])
        .bind(STAFF_ROLES[2])
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.is_some())
    }

    /// True if the account has a second factor of its own that step-up uses: an
    /// authenticator app, or a challenge phone (unless it says it has no direct number).
    /// Challenge questions do not count.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn has_second_factor(&self, account_id: &str) -> Result<bool, CredentialError> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM accounts a WHERE a.id = $1 AND (a.totp_enrolled_at IS NOT NULL \
             OR (a.no_direct_number = 0 AND EXISTS \
             (SELECT 1 FROM challenge_phones c WHERE c.account_id = a.id)))",
        )
        .bind(account_id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.is_some())
    }
}

/// The roles that make an account staff: administrator, service desk, local registration
/// authority.
pub const STAFF_ROLES: [&str; 3] = ["administrator", "service_desk", "lra"];

/// True for a staff role (see [`STAFF_ROLES`]).
pub fn is_staff_role(role: &str) -> bool {
    STAFF_ROLES.contains(&role)
}
