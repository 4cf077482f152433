//! Consent to third-party apps: what a person allowed an app (a client registered
//! `third_party`), remembered per person and app, listed in My Profile and taken back there
//! (with the app's refresh tokens for that person). Province viewers (not third-party) are
//! pre-authorized and never ask.

use crate::smart_scopes::{ClinicalScope, Context};
use crate::Provider;
use platform::Locale;
use sqlx::Row;

/// The scopes a sign-in cannot leave out: who the person is, and the launch it came with (a
/// record system's, or the patient picked for a standalone one).
pub const REQUIRED: &[&str] = &["openid", "launch", "launch/patient", "launch/encounter"];

/// A remembered consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// The app.
    pub client_id: String,
    /// What was allowed.
    pub scopes: Vec<String>,
    /// When, unix seconds.
    pub granted_at: i64,
}

/// What `account_id` allowed `client_id`, if anything was remembered.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn granted(
    p: &Provider,
    account_id: &str,
    client_id: &str,
) -> Result<Option<Vec<String>>, sqlx::Error> {
    let row = sqlx::query("SELECT scopes FROM consents WHERE account_id = $1 AND client_id = $2")
        .bind(account_id)
        .bind(client_id)
        .fetch_optional(p.db.pool())
        .await?;
    row.map(|r| {
        r.try_get::<String, _>("scopes")
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
    })
    .transpose()
}

/// Whether a request for `asked` needs the person's consent: a third-party app, and
/// something asked that was not allowed before (or `prompt=consent`).
pub fn needed(remembered: Option<&[String]>, asked: &str, prompt_consent: bool) -> bool {
    let Some(had) = remembered else {
        return true;
    };
    prompt_consent
        || asked
            .split_whitespace()
            .any(|s| !had.iter().any(|h| h == s))
}

/// Remembers that `account_id` allowed `client_id` `scopes` (replacing what was remembered).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn remember(
    p: &Provider,
    account_id: &str,
    client_id: &str,
    scopes: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO consents (account_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes, \
         granted_at = excluded.granted_at",
    )
    .bind(account_id)
    .bind(client_id)
    .bind(scopes)
    .bind(p.clock.now())
    .execute(p.db.pool())
    .await?;
    Ok(())
}

/// Every app `account_id` consented to, most recent first (at most 200).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(p: &Provider, account_id: &str) -> Result<Vec<Consent>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT client_id, scopes, granted_at FROM consents WHERE account_id = $1 \
         ORDER BY granted_at DESC, client_id LIMIT 200",
    )
    .bind(account_id)
    .fetch_all(p.db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Consent {
                client_id: r.try_get("client_id")?,
                scopes: r
                    .try_get::<String, _>("scopes")?
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
                granted_at: r.try_get("granted_at")?,
            })
        })
        .collect()
}

/// Takes back `account_id`'s consent to `client_id`, and the app's refresh tokens for them,
/// in one transaction; false if there was none.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke(p: &Provider, account_id: &str, client_id: &str) -> Result<bool, sqlx::Error> {
    let mut tx = p.db.pool().begin().await?;
    let r = sqlx::query("DELETE FROM consents WHERE account_id = $1 AND client_id = $2")
        .bind(account_id)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
    if r.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query(
        "UPDATE refresh_tokens SET revoked = 1 WHERE account_id = $1 AND client_id = $2 \
         AND revoked = 0",
    )
    .bind(account_id)
    .bind(client_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// What a scope gives, in plain words.
pub fn describe(scope: &str, locale: Locale) -> String {
    let fr = locale == Locale::Fr;
    let plain = |en: &str, f: &str| if fr { f.to_owned() } else { en.to_owned() };
    match scope {
        "openid" => plain(
            "Who you are: your oneid sign-in",
            "Qui vous êtes : votre connexion oneid",
        ),
        "profile" => plain("Your name", "Votre nom"),
        "email" => plain("Your email address", "Votre adresse courriel"),
        "phone" => plain("Your phone number", "Votre numéro de téléphone"),
        "clinician" => plain(
            "Your professional designations and level of assurance",
            "Vos titres professionnels et votre niveau d’assurance",
        ),
        "fhirUser" => plain(
            "Your identity in the clinical record (FHIR)",
            "Votre identité dans le dossier clinique (FHIR)",
        ),
        "offline_access" => plain(
            "Keep its access when you are signed out",
            "Garder son accès quand vous êtes déconnecté",
        ),
        "online_access" => plain(
            "Keep its access while you are signed in",
            "Garder son accès tant que vous êtes connecté",
        ),
        "launch" => plain(
            "The patient and encounter open in your record system",
            "Le patient et la rencontre ouverts dans votre dossier",
        ),
        "launch/patient" => plain(
            "The patient you choose next",
            "Le patient que vous choisirez ensuite",
        ),
        "launch/encounter" => plain(
            "The encounter to open, and its patient",
            "La rencontre à ouvrir, et son patient",
        ),
        s => match ClinicalScope::parse(s) {
            Ok(Some(c)) => clinical(&c, s, fr),
            _ => {
                if fr {
                    format!("L’accès « {s} »")
                } else {
                    format!("Access “{s}”")
                }
            }
        },
    }
}

fn clinical(c: &ClinicalScope, written: &str, fr: bool) -> String {
    let letters = c.permission_letters();
    let verbs: Vec<&str> = letters
        .chars()
        .filter_map(|l| {
            Some(match (l, fr) {
                ('c', false) => "create",
                ('r', false) => "read",
                ('u', false) => "update",
                ('d', false) => "delete",
                ('s', false) => "search",
                ('c', true) => "créer",
                ('r', true) => "lire",
                ('u', true) => "modifier",
                ('d', true) => "supprimer",
                ('s', true) => "chercher",
                _ => return None,
            })
        })
        .collect();
    let what = match (&c.resource, fr) {
        (Some(r), false) => format!("{r} records"),
        (Some(r), true) => format!("les ressources {r}"),
        (None, false) => "all clinical records".to_owned(),
        (None, true) => "toutes les données cliniques".to_owned(),
    };
    let whose = match (c.context, fr) {
        (Context::Patient, false) => "of the patient in context",
        (Context::Patient, true) => "du patient en contexte",
        (_, false) => "you can reach",
        (_, true) => "auxquelles vous avez accès",
    };
    let and = if fr { " et " } else { " and " };
    let mut v = verbs.join(", ");
    if let Some(i) = v.rfind(", ") {
        v.replace_range(i..i + 2, and);
    }
    let mut first = v.chars();
    let v = first
        .next()
        .map(|f| f.to_uppercase().chain(first).collect::<String>())
        .unwrap_or_default();
    let only = if c.filter.is_empty() {
        String::new()
    } else {
        let f: Vec<String> = c.filter.iter().map(|(k, x)| format!("{k}={x}")).collect();
        if fr {
            format!(" (seulement {})", f.join(", "))
        } else {
            format!(" (only {})", f.join(", "))
        }
    };
    format!("{v} {what} {whose}{only} — {written}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_as_plain_words_in_both_languages() {
        assert_eq!(describe("profile", Locale::En), "Your name");
        assert_eq!(describe("profile", Locale::Fr), "Votre nom");
        assert_eq!(
            describe("patient/Observation.rs", Locale::En),
            "Read and search Observation records of the patient in context — patient/Observation.rs"
        );
        assert_eq!(
            describe("user/*.cruds?category=laboratory", Locale::Fr),
            "Créer, lire, modifier, supprimer et chercher toutes les données cliniques \
             auxquelles vous avez accès (seulement category=laboratory) — \
             user/*.cruds?category=laboratory"
        );
        assert_eq!(describe("api:read", Locale::En), "Access “api:read”");
    }

    #[test]
    fn consent_is_asked_for_anything_not_allowed_before_or_when_prompted() {
        let had = vec!["openid".to_owned(), "patient/Observation.rs".to_owned()];
        assert!(needed(None, "openid", false));
        assert!(!needed(Some(&had), "openid patient/Observation.rs", false));
        assert!(!needed(Some(&had), "openid", false));
        assert!(needed(Some(&had), "openid offline_access", false));
        assert!(needed(Some(&had), "openid", true));
    }
}
