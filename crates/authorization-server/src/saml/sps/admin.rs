//! The changes an administrator makes to the service providers: registered, updated in
//! place, removed; each audited here once, for the admin API and the CLI alike.

use super::{NewSp, ServiceProvider, SpError, SpUpdate};
use crate::Provider;
use platform::AuditEvent;

/// One-line summary for the audit trail.
pub fn summary(sp: &ServiceProvider) -> String {
    format!(
        "name={:?} acs={} service={} nameid={} idp_initiated={} sign_response={} encrypt={}",
        sp.name,
        sp.acs
            .iter()
            .map(|a| a.location.as_str())
            .collect::<Vec<_>>()
            .join(","),
        sp.service_id.as_deref().unwrap_or("-"),
        sp.nameid_format,
        sp.allow_idp_initiated,
        sp.sign_response,
        sp.encrypt_assertions
    )
}

/// Registers an SP and audits it (for the admin API and the CLI alike).
pub async fn register(p: &Provider, n: NewSp, actor: &str) -> Result<ServiceProvider, SpError> {
    let sp = p.saml.sps.add(n).await?;
    let detail = summary(&sp);
    let _ = p
        .audit
        .record(AuditEvent {
            event: "saml.sp_added",
            actor: Some(actor),
            client_id: Some(&sp.entity_id),
            detail: Some(&detail),
            ..Default::default()
        })
        .await;
    Ok(sp)
}

/// Updates an SP and audits it with what changed (for the admin API and the CLI alike); `None` when there
/// is no such SP.
pub async fn modify(
    p: &Provider,
    entity_id: &str,
    u: SpUpdate,
    actor: &str,
) -> Result<Option<ServiceProvider>, SpError> {
    let before = p.saml.sps.get(entity_id).await?;
    let refreshed = u.metadata.is_some();
    let Some(sp) = p.saml.sps.update(entity_id, u).await? else {
        return Ok(None);
    };
    let mut detail = match before {
        Some(b) => format!("{} -> {}", summary(&b), summary(&sp)),
        None => summary(&sp),
    };
    if refreshed {
        detail.push_str(" (metadata refreshed)");
    }
    let _ = p
        .audit
        .record(AuditEvent {
            event: "saml.sp_updated",
            actor: Some(actor),
            client_id: Some(&sp.entity_id),
            detail: Some(&detail),
            ..Default::default()
        })
        .await;
    Ok(Some(sp))
}

/// Removes an SP and audits it (for the admin API and the CLI alike); false when there was none.
pub async fn unregister(p: &Provider, entity_id: &str, actor: &str) -> Result<bool, SpError> {
    let gone = p.saml.sps.remove(entity_id).await?;
    if gone {
        let _ = p
            .audit
            .record(AuditEvent {
                event: "saml.sp_removed",
                actor: Some(actor),
                client_id: Some(entity_id),
                ..Default::default()
            })
            .await;
    }
    Ok(gone)
}
