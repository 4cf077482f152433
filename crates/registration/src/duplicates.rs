//! One person, one account. A self-registration whose registry identity (legal names and date
//! of birth) matches an existing account that the registry's number or member identifier did
//! not find creates no second account silently: the person either proves the account is theirs
//! (signs in with it; the registration is then linked to it), or the registration is held for
//! an LRA or the service desk, who link it or release it (a different person: a new account
//! may then be made). Audited either way.

use crate::admin::{record, Actor, AdminError};
use crate::handoff::Handoff;
use crate::{services, Registration, RegistrationError};
use platform::{AuditEvent, DbError};
use serde::Serialize;

/// A registration held for review.
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    /// The registry.
    pub registry_id: String,
    /// Its identifier of the member.
    pub member_id: String,
    /// The account whose identity matched.
    pub account_id: String,
    /// The registry's identity of the member (names, date of birth, college, number).
    pub identity: String,
    /// `held`, `linked` or `released`.
    pub status: String,
    /// When it was held.
    pub held_at: i64,
}

fn st(e: impl Into<DbError>) -> AdminError {
    AdminError::Storage(e.into().to_string())
}

impl Registration {
    /// The existing account (not terminated) with the hand-off's legal names and date of
    /// birth, unless the desk released this member to register anew.
    pub async fn same_person(&self, h: &Handoff) -> Result<Option<String>, RegistrationError> {
        let released: Option<(String,)> = sqlx::query_as(
            "SELECT status FROM held_registrations WHERE registry_id = $1 AND member_id = $2 \
             AND status = 'released'",
        )
        .bind(&h.registry_id)
        .bind(&h.member_id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(DbError::from)?;
        if released.is_some() {
            return Ok(None);
        }
        let found = self
            .accounts
            .find_by_legal_identity(&h.given_name, &h.family_name, &h.birth_date, false)
            .await?;
        Ok(found.map(|a| a.id))
    }

    /// Links the registration `h` to the existing account `account_id` in one transaction: the
    /// registry record, the registry's designation (when the account has none for that
    /// college), the sponsorship and enrolments through the registry's sponsor, and the
    /// registry's level when it is higher. Audited `registration.linked` with `by` (the
    /// account holder who signed in, or the desk).
    pub async fn link_existing(
        &self,
        h: &Handoff,
        account_id: &str,
        by: &str,
    ) -> Result<(), RegistrationError> {
        let registry = self
            .registries
            .get(&h.registry_id)
            .await?
            .ok_or(RegistrationError::UnknownRegistry)?;
        let now = self.clock.now();
        registry.accepts_at(now)?;
        let sponsor = registry
            .sponsor_id
            .clone()
            .ok_or(RegistrationError::NoSponsor)?;
        let services: Vec<String> = self
            .directory
            .services()
            .await?
            .into_iter()
            .filter(|s| registry.services.contains(&s.id))
            .filter(|s| s.min_assurance_level <= registry.assurance_level)
            .map(|s| s.id)
            .collect();
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        crate::insert_member(&mut tx, account_id, &registry, h, now).await?;
        sqlx::query(
            "INSERT INTO professional_designations (account_id, college, registration_number, \
             created_at) SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM \
             professional_designations WHERE account_id = $1 AND college = $2)",
        )
        .bind(account_id)
        .bind(&h.college)
        .bind(&h.registration_number)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        sqlx::query(
            "UPDATE accounts SET assurance_level = $2, updated_at = $3 \
             WHERE id = $1 AND assurance_level < $2",
        )
        .bind(account_id)
        .bind(registry.assurance_level)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        let via = format!("registry:{}", registry.id);
        services::sponsor_in(&mut tx, account_id, &sponsor, None, &via, now).await?;
        for s in &services {
            services::enrol_in(&mut tx, account_id, s, &sponsor, &via, now).await?;
        }
        sqlx::query(
            "UPDATE held_registrations SET status = 'linked', resolved_by = $3, resolved_at = $4 \
             WHERE registry_id = $1 AND member_id = $2",
        )
        .bind(&h.registry_id)
        .bind(&h.member_id)
        .bind(by)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        let detail = format!(
            "registry={} member={} linked to the existing account with the same legal name and \
             date of birth; services={}",
            registry.id,
            h.member_id,
            services.join(",")
        );
        self.audit
            .record_in(
                &mut tx,
                AuditEvent {
                    event: "registration.linked",
                    actor: Some(by),
                    subject: Some(account_id),
                    detail: Some(&detail),
                    ..Default::default()
                },
            )
            .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    /// Holds the registration `h`, whose identity matched `account_id`, for an LRA or the desk
    /// (the person says the account is not theirs, or could not sign in). Audited
    /// `registration.held`.
    pub async fn hold(
        &self,
        h: &Handoff,
        account_id: &str,
        source: &str,
    ) -> Result<(), RegistrationError> {
        let now = self.clock.now();
        let handoff = serde_json::to_string(h).map_err(|_| RegistrationError::Malformed)?;
        sqlx::query(
            "INSERT INTO held_registrations (registry_id, member_id, account_id, handoff, \
             status, held_at) VALUES ($1, $2, $3, $4, 'held', $5) \
             ON CONFLICT (registry_id, member_id) DO UPDATE SET account_id = $3, handoff = $4, \
             status = 'held', held_at = $5, resolved_by = NULL, resolved_at = NULL",
        )
        .bind(&h.registry_id)
        .bind(&h.member_id)
        .bind(account_id)
        .bind(&handoff)
        .bind(now)
        .execute(self.db.pool())
        .await
        .map_err(DbError::from)?;
        let detail = format!(
            "registry={} member={} held: its identity matches an existing account",
            h.registry_id, h.member_id
        );
        let _ = self
            .audit
            .record(AuditEvent {
                event: "registration.held",
                subject: Some(account_id),
                source: Some(source),
                detail: Some(&detail),
                ..Default::default()
            })
            .await;
        Ok(())
    }

    /// The registrations held for review.
    pub async fn held(&self) -> Result<Vec<Held>, AdminError> {
        let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT registry_id, member_id, account_id, handoff, status, held_at \
             FROM held_registrations WHERE status = 'held' ORDER BY held_at, registry_id, member_id",
        )
        .fetch_all(self.db.pool())
        .await
        .map_err(st)?;
        Ok(rows
            .into_iter()
            .map(
                |(registry_id, member_id, account_id, handoff, status, held_at)| {
                    let identity = serde_json::from_str::<Handoff>(&handoff)
                        .map(|h| {
                            format!(
                                "{} {}, born {}, {} {}",
                                h.given_name,
                                h.family_name,
                                h.birth_date,
                                h.college,
                                h.registration_number
                            )
                        })
                        .unwrap_or_default();
                    Held {
                        registry_id,
                        member_id,
                        account_id,
                        identity,
                        status,
                        held_at,
                    }
                },
            )
            .collect())
    }

    /// Resolves a held registration: `link` (the same person: linked to the matched account)
    /// or `release` (a different person: the member may register anew). Audited
    /// `registration.released` (a link is audited `registration.linked`).
    pub async fn resolve_held(
        &self,
        registry_id: &str,
        member_id: &str,
        action: &str,
        actor: Actor<'_>,
    ) -> Result<(), AdminError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT account_id, handoff FROM held_registrations WHERE registry_id = $1 \
             AND member_id = $2 AND status = 'held'",
        )
        .bind(registry_id)
        .bind(member_id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(st)?;
        let Some((account, handoff)) = row else {
            return Err(AdminError::NotFound("no such held registration".into()));
        };
        match action {
            "link" => {
                let h: Handoff = serde_json::from_str(&handoff)
                    .map_err(|e| AdminError::Storage(e.to_string()))?;
                self.link_existing(&h, &account, actor.name)
                    .await
                    .map_err(crate::registries::refused)
            }
            "release" => {
                sqlx::query(
                    "UPDATE held_registrations SET status = 'released', resolved_by = $3, \
                     resolved_at = $4 WHERE registry_id = $1 AND member_id = $2",
                )
                .bind(registry_id)
                .bind(member_id)
                .bind(actor.name)
                .bind(self.clock.now())
                .execute(self.db.pool())
                .await
                .map_err(st)?;
                let detail = format!(
                    "registry={registry_id} member={member_id} released: a different person; \
                     may register anew"
                );
                record(
                    &self.audit,
                    "registration.released",
                    actor,
                    &account,
                    &detail,
                )
                .await;
                Ok(())
            }
            _ => Err(AdminError::invalid("", "no such action: link or release")),
        }
    }
}
