//! Which registration classes of a registry may self-register (000: the physician agreement is
//! for "members with active certificates of registration"). A registry that declares none
//! admits every class; one that declares some refuses a hand-off of any other class, or of
//! none, with a page that says why.

use super::Registries;
use crate::RegistrationError;
use platform::DbError;

/// At most this many classes per registry.
pub const MAX_CLASSES: usize = 20;

impl Registries {
    /// The classes `id` admits (empty: every class).
    pub async fn eligible_classes(&self, id: &str) -> Result<Vec<String>, RegistrationError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT class FROM registry_classes WHERE registry_id = $1 ORDER BY class",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }
}

impl super::Registry {
    /// Whether it admits a member of `class` to self-registration (compared without regard to
    /// case and spaces); `Err(ClassNotEligible)` when not.
    pub fn admits_class(&self, class: Option<&str>) -> Result<(), RegistrationError> {
        if self.eligible_classes.is_empty() {
            return Ok(());
        }
        let norm = |s: &str| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        let ok = class.is_some_and(|c| self.eligible_classes.iter().any(|e| norm(e) == norm(c)));
        if ok {
            Ok(())
        } else {
            Err(RegistrationError::ClassNotEligible)
        }
    }
}

/// Replaces the classes of `id` inside `tx` (trimmed, without repeats).
pub(super) async fn set_classes(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    classes: &[String],
) -> Result<(), RegistrationError> {
    let mut clean: Vec<String> = classes
        .iter()
        .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|c| !c.is_empty())
        .collect();
    clean.sort();
    clean.dedup();
    if clean.len() > MAX_CLASSES
        || clean
            .iter()
            .any(|c| c.chars().count() > 100 || c.chars().any(char::is_control))
    {
        return Err(RegistrationError::Invalid("eligible_classes"));
    }
    sqlx::query("DELETE FROM registry_classes WHERE registry_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(DbError::from)?;
    for c in &clean {
        sqlx::query("INSERT INTO registry_classes (registry_id, class) VALUES ($1, $2)")
            .bind(id)
            .bind(c)
            .execute(&mut **tx)
            .await
            .map_err(DbError::from)?;
    }
    Ok(())
}
