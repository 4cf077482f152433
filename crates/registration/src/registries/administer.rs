//! The changes an administrator makes to trusted registries, each checked and audited here
//! once, for the admin JSON API, the console and the CLI alike. The audit detail is a compact
//! before/after summary; never key material.

use super::input::{KeyInput, RegistryInput, RegistryPatch};
use crate::admin::{record, Actor, AdminError};
use crate::services::code_ok;
use crate::{
    Approval, NewRegistry, Registration, RegistrationError, Registry, RegistryKey, RegistryStatus,
    RegistryUpdate, Terminations,
};

/// How long a registry's older keys stay accepted after a rotation, by default (seconds): the
/// longest a hand-off signed just before may live.
pub const DEFAULT_OVERLAP_SECS: i64 = crate::handoff::MAX_LIFETIME;
/// Longest overlap accepted (seconds): 30 days.
pub const MAX_OVERLAP_SECS: i64 = 30 * 86_400;
/// Most member identifiers in one imported list.
pub const MAX_MEMBERS: usize = 10_000;

/// A registry's refusal, in the words of its administrators' errors.
pub fn refused(e: RegistrationError) -> AdminError {
    match e {
        RegistrationError::NotFound | RegistrationError::UnknownRegistry => not_found(),
        RegistrationError::Db(e) => AdminError::Storage(e.to_string()),
        RegistrationError::Account(e) => AdminError::Storage(e.to_string()),
        RegistrationError::RegistryTerminated => {
            invalid("the registry is terminated; that is final")
        }
        RegistrationError::Invalid("alg") => invalid("alg must be ES256 or RS256"),
        RegistrationError::Invalid("public key") => {
            invalid("public_key_pem is not a public key (SubjectPublicKeyInfo PEM) of the alg")
        }
        RegistrationError::Invalid("approved_until") => {
            invalid("approved_until must be after approved_from")
        }
        RegistrationError::Invalid("eligible_classes") => AdminError::invalid(
            "eligible_classes",
            "eligible_classes: at most 20 classes of at most 100 characters each",
        ),
        RegistrationError::Invalid(f) => invalid(format!("{f} is not acceptable")),
        RegistrationError::UnknownOrganization(id) => AdminError::invalid(
            "sponsor_id",
            format!("sponsor_id {id:?} is not an organization"),
        ),
        RegistrationError::NoSponsor => AdminError::invalid(
            "sponsor_id",
            "sponsor_id is required: every identity enters through a sponsor (004 §5.6)",
        ),
        e => invalid(e.to_string()),
    }
}

/// A value refused, with no field in particular.
fn invalid(message: impl Into<String>) -> AdminError {
    AdminError::invalid("", message)
}

/// No such registry.
pub fn not_found() -> AdminError {
    AdminError::NotFound("no such registry".into())
}

fn parse_approval(s: Option<&str>) -> Result<Option<Approval>, AdminError> {
    match s {
        None => Ok(None),
        Some(a) => Approval::parse(a.trim())
            .map(Some)
            .ok_or_else(|| invalid("approval must be general or limited")),
    }
}

/// The key's algorithm: `alg` when given (checked against the key), else the one it fits.
fn key_alg(alg: Option<&str>, pem: &str) -> Result<&'static str, AdminError> {
    let bad = || {
        invalid("public_key_pem is not an EC P-256 or RSA public key (SubjectPublicKeyInfo PEM)")
    };
    let candidates: &[&'static str] = match alg.map(str::trim) {
        None => &["ES256", "RS256"],
        Some(a) if a.eq_ignore_ascii_case("ES256") => &["ES256"],
        Some(a) if a.eq_ignore_ascii_case("RS256") => &["RS256"],
        Some(_) => return Err(invalid("alg must be ES256 or RS256")),
    };
    if pem.len() > 16 * 1024 || pem.contains("PRIVATE KEY") {
        return Err(bad());
    }
    let found = candidates
        .iter()
        .copied()
        .find(|a| super::verifier(a, pem).is_ok());
    match (found, candidates) {
        (Some(a), _) => Ok(a),
        (None, [one]) => Err(invalid(format!(
            "public_key_pem is not an {} public key (SubjectPublicKeyInfo PEM)",
            if *one == "ES256" {
                "EC P-256 (ES256)"
            } else {
                "RSA (RS256)"
            }
        ))),
        (None, _) => Err(bad()),
    }
}

fn check_kid(kid: Option<&str>) -> Result<(), AdminError> {
    match kid {
        Some(k) if !code_ok(k) => Err(invalid("kid must be 1 to 64 letters, digits, - or _")),
        _ => Ok(()),
    }
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string)
}

/// A one-line summary of a registry for the audit trail.
pub fn summary(r: &Registry) -> String {
    format!(
        "name={:?} owner={:?} contact={:?} college={} id_scheme={:?} level={} approval={} \
         from={} until={} status={} sponsor={} services={}",
        r.name,
        r.owner,
        r.contact,
        r.college,
        r.id_scheme,
        r.assurance_level,
        r.approval.as_str(),
        opt(&r.approved_from),
        opt(&r.approved_until),
        r.status.as_str(),
        opt(&r.sponsor_id),
        if r.services.is_empty() {
            "-".to_owned()
        } else {
            r.services.join(",")
        }
    )
}

/// What changed between two versions of a registry, as `field: old -> new; ...`.
pub fn changes(before: &Registry, after: &Registry) -> String {
    let mut out = Vec::new();
    let mut diff = |field: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{field}: {a} -> {b}"));
        }
    };
    diff(
        "name",
        format!("{:?}", before.name),
        format!("{:?}", after.name),
    );
    diff(
        "owner",
        format!("{:?}", before.owner),
        format!("{:?}", after.owner),
    );
    diff(
        "contact",
        format!("{:?}", before.contact),
        format!("{:?}", after.contact),
    );
    diff(
        "level",
        before.assurance_level.to_string(),
        after.assurance_level.to_string(),
    );
    diff(
        "approval",
        before.approval.as_str().into(),
        after.approval.as_str().into(),
    );
    diff(
        "from",
        opt(&before.approved_from),
        opt(&after.approved_from),
    );
    diff(
        "until",
        opt(&before.approved_until),
        opt(&after.approved_until),
    );
    diff("sponsor", opt(&before.sponsor_id), opt(&after.sponsor_id));
    let list = |l: &[String]| {
        if l.is_empty() {
            "-".to_owned()
        } else {
            l.join(",")
        }
    };
    diff("services", list(&before.services), list(&after.services));
    diff(
        "classes",
        list(&before.eligible_classes),
        list(&after.eligible_classes),
    );
    diff(
        "status",
        before.status.as_str().into(),
        after.status.as_str().into(),
    );
    if out.is_empty() {
        "no change".into()
    } else {
        out.join("; ")
    }
}

impl Registration {
    /// Adds a registry, with its first key when one is given (checked before anything is stored).
    pub async fn add_registry(
        &self,
        r: RegistryInput,
        actor: Actor<'_>,
    ) -> Result<(Registry, Vec<RegistryKey>), AdminError> {
        let approval = parse_approval(r.approval.as_deref())?;
        let key = match r.public_key_pem.as_deref().map(str::trim) {
            Some(pem) if !pem.is_empty() => {
                check_kid(r.kid.as_deref())?;
                Some((key_alg(r.alg.as_deref(), pem)?, pem.to_owned()))
            }
            _ if r.alg.is_some() || r.kid.is_some() => {
                return Err(invalid("alg and kid go with public_key_pem"))
            }
            _ => None,
        };
        let id = r.id.trim().to_owned();
        let reg = self
            .registries
            .add(NewRegistry {
                id: id.clone(),
                name: r.name,
                owner: r.owner,
                contact: r.contact,
                college: r.college,
                id_scheme: r.id_scheme,
                assurance_level: r.assurance_level,
                approval,
                approved_from: r.approved_from,
                approved_until: r.approved_until,
                sponsor_id: r.sponsor_id.filter(|s| !s.trim().is_empty()),
                services: r.services,
                eligible_classes: r.eligible_classes,
            })
            .await
            .map_err(|e| match e {
                RegistrationError::Exists => invalid(format!("registry {id} already exists")),
                e => refused(e),
            })?;
        record(
            &self.audit,
            "registry.added",
            actor,
            &reg.id,
            &summary(&reg),
        )
        .await;
        if let Some((alg, pem)) = key {
            let k = self
                .registries
                .add_key(&reg.id, alg, &pem, r.kid.as_deref(), None)
                .await
                .map_err(refused)?;
            let detail = format!("kid={} alg={}", k.kid, k.alg);
            record(&self.audit, "registry.key_added", actor, &reg.id, &detail).await;
        }
        let keys = self.registries.keys(&reg.id).await.map_err(refused)?;
        Ok((reg, keys))
    }

    /// Changes a registry (absent fields kept).
    pub async fn update_registry(
        &self,
        id: &str,
        u: RegistryPatch,
        actor: Actor<'_>,
    ) -> Result<Registry, AdminError> {
        let before = self
            .registries
            .get(id)
            .await
            .map_err(refused)?
            .ok_or_else(not_found)?;
        let after = self
            .registries
            .update(
                id,
                RegistryUpdate {
                    name: u.name,
                    owner: u.owner,
                    contact: u.contact,
                    assurance_level: u.assurance_level,
                    approval: parse_approval(u.approval.as_deref())?,
                    approved_from: u.approved_from,
                    approved_until: u.approved_until,
                    sponsor_id: u.sponsor_id.map(|s| s.filter(|s| !s.trim().is_empty())),
                    services: u.services,
                    eligible_classes: u.eligible_classes,
                },
            )
            .await
            .map_err(refused)?;
        record(
            &self.audit,
            "registry.updated",
            actor,
            id,
            &changes(&before, &after),
        )
        .await;
        Ok(after)
    }

    /// Suspends (`Suspended`), reinstates (`Approved`) or terminates (`Terminated`) a registry.
    /// Setting the status it already has changes nothing and records nothing.
    pub async fn set_registry_status(
        &self,
        id: &str,
        status: RegistryStatus,
        actor: Actor<'_>,
    ) -> Result<Registry, AdminError> {
        let before = self
            .registries
            .get(id)
            .await
            .map_err(refused)?
            .ok_or_else(not_found)?;
        if before.status == status {
            return Ok(before);
        }
        let after = self
            .registries
            .set_status(id, status)
            .await
            .map_err(refused)?;
        let event = match status {
            RegistryStatus::Approved => "registry.reinstated",
            RegistryStatus::Suspended => "registry.suspended",
            RegistryStatus::Terminated => "registry.terminated",
        };
        let detail = format!(
            "status: {} -> {}; approval={}",
            before.status.as_str(),
            after.status.as_str(),
            after.approval.as_str()
        );
        record(&self.audit, event, actor, id, &detail).await;
        Ok(after)
    }

    /// Adds a signing key to a registry; with `rotate`, its other keys stop being accepted after
    /// the overlap.
    pub async fn add_registry_key(
        &self,
        id: &str,
        k: KeyInput,
        actor: Actor<'_>,
    ) -> Result<RegistryKey, AdminError> {
        let pem = k.public_key_pem.trim();
        check_kid(k.kid.as_deref())?;
        let alg = key_alg(k.alg.as_deref(), pem)?;
        let overlap = match (k.rotate, k.overlap_secs) {
            (true, o) => {
                let o = o.unwrap_or(DEFAULT_OVERLAP_SECS);
                if !(0..=MAX_OVERLAP_SECS).contains(&o) {
                    return Err(invalid(format!(
                        "overlap_secs must be between 0 and {MAX_OVERLAP_SECS}"
                    )));
                }
                Some(o)
            }
            (false, None) => None,
            (false, Some(_)) => return Err(invalid("overlap_secs goes with rotate=true")),
        };
        let older = self.registries.live_keys(id).await.map_err(refused)?;
        let key = self
            .registries
            .add_key(id, alg, pem, k.kid.as_deref(), overlap)
            .await
            .map_err(|e| match e {
                RegistrationError::Exists => {
                    invalid("the registry already has this key (or this kid)")
                }
                e => refused(e),
            })?;
        let (event, detail) = match overlap {
            Some(o) => (
                "registry.key_rotated",
                format!(
                    "kid={} alg={} retiring={} overlap_secs={o}",
                    key.kid,
                    key.alg,
                    older
                        .iter()
                        .map(|k| k.kid.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            ),
            None => (
                "registry.key_added",
                format!("kid={} alg={}", key.kid, key.alg),
            ),
        };
        record(&self.audit, event, actor, id, &detail).await;
        Ok(key)
    }

    /// Terminates the accounts of members a registry's owner reported as deleted or terminated
    /// (an administrator imports the list).
    pub async fn import_terminations(
        &self,
        id: &str,
        members: &[String],
        actor: Actor<'_>,
    ) -> Result<Terminations, AdminError> {
        let members = member_list(members)?;
        let t = self
            .terminate_members(id, &members, actor.name)
            .await
            .map_err(refused)?;
        let detail = format!(
            "terminated={} already={} unknown={}",
            t.terminated.len(),
            t.already.len(),
            t.unknown.len()
        );
        record(
            &self.audit,
            "registry.terminations_imported",
            actor,
            id,
            &detail,
        )
        .await;
        Ok(t)
    }
}

/// Cleans a list of member identifiers: trimmed, blanks dropped, duplicates once.
pub fn member_list<I, S>(members: I) -> Result<Vec<String>, AdminError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for m in members {
        let m = m.as_ref().trim();
        if m.is_empty() {
            continue;
        }
        if m.chars().count() > 100 || m.chars().any(char::is_control) {
            return Err(invalid(format!(
                "member identifier {:?} is not acceptable",
                m.chars().take(40).collect::<String>()
            )));
        }
        if seen.insert(m.to_owned()) {
            out.push(m.to_owned());
        }
    }
    if out.is_empty() {
        return Err(invalid("the list names no member"));
    }
    if out.len() > MAX_MEMBERS {
        return Err(invalid(format!("at most {MAX_MEMBERS} members per list")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_lists_are_trimmed_deduplicated_and_bounded() {
        let l = member_list(["  a ", "", "b", "a"]).unwrap();
        assert_eq!(l, vec!["a".to_string(), "b".to_string()]);
        assert!(member_list(["", " "]).is_err());
        assert!(member_list(["x".repeat(101)]).is_err());
        assert!(member_list(["a\u{7}"]).is_err());
    }

    #[test]
    fn a_patch_tells_absent_from_null() {
        let p: RegistryPatch =
            serde_json::from_str(r#"{"sponsor_id": null, "approved_until": 5}"#).unwrap();
        assert_eq!(p.sponsor_id, Some(None));
        assert_eq!(p.approved_until, Some(Some(5)));
        assert_eq!(p.approved_from, None);
        assert!(serde_json::from_str::<RegistryPatch>(r#"{"college": "X"}"#).is_err());
    }

    #[test]
    fn private_keys_and_unknown_algs_are_refused() {
        assert!(key_alg(Some("HS256"), "x").is_err());
        assert!(key_alg(None, "-----BEGIN PRIVATE KEY-----").is_err());
        assert!(key_alg(None, "not a key").is_err());
    }
}
