//! A registry's own signed report of the registrations it deleted or terminated (004 §5.7.2):
//! checked, used up, acted on and audited here once, for `POST /registries/terminations`.

use crate::{Registration, RegistrationError, Terminations};
use platform::AuditEvent;

/// Why a report was not acted on.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Not a live, signed, unused report addressed to `issuer` (audited
    /// `registry.report_refused` with the reason's code).
    #[error("the report was refused: {0}")]
    Refused(RegistrationError),
    /// Storage failed (the message is for logs only).
    #[error("storage: {0}")]
    Storage(String),
}

impl Registration {
    /// Takes a registry's signed termination report addressed to `issuer`, sent from
    /// `source`: the matching accounts are terminated and every member listed is kept from
    /// registering (`terminate_members`, actor `registry:<id>`), audited
    /// `registry.terminations_reported`. A suspended or terminated registry may still report.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn take_report(
        &self,
        issuer: &str,
        token: &str,
        source: &str,
    ) -> Result<Terminations, ReportError> {
        let (registry, members) = match self.verifier(issuer).accept_report(token).await {
            Ok(x) => x,
            Err(RegistrationError::Db(e)) => return Err(ReportError::Storage(e.to_string())),
            Err(e) => {
                tracing::warn!(reason = e.code(), "registry termination report refused");
                let _ = self
                    .audit
                    .record(AuditEvent {
                        event: "registry.report_refused",
                        source: Some(source),
                        detail: Some(e.code()),
                        ..Default::default()
                    })
                    .await;
                return Err(ReportError::Refused(e));
            }
        };
        let actor = format!("registry:{}", registry.id);
        let t = self
            .terminate_members(&registry.id, &members, &actor)
            .await
            .map_err(|e| ReportError::Storage(e.to_string()))?;
        let detail = format!(
            "terminated={} already={} unknown={}",
            t.terminated.len(),
            t.already.len(),
            t.unknown.len()
        );
        let _ = self
            .audit
            .record(AuditEvent {
                event: "registry.terminations_reported",
                actor: Some(&actor),
                subject: Some(&registry.id),
                source: Some(source),
                detail: Some(&detail),
                ..Default::default()
            })
            .await;
        Ok(t)
    }
}
