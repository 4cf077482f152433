//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): a logout token posted to each
//! relying party of an ending session that registered a back-channel logout URI, in the
//! background, with a few retries, audited; and the end of a session its browser replaced by
//! signing in again.

use crate::sso::SsoSession;
use crate::tokens::logout_token;
use crate::{Client, Provider};
use platform::audit::AuditEvent;
use std::time::Duration;

/// Attempts per back-channel delivery, and the pause before each retry.
const BACKCHANNEL_BACKOFF: [Duration; 2] = [Duration::from_millis(200), Duration::from_millis(400)];
/// How long one back-channel request may take.
const BACKCHANNEL_TIMEOUT: Duration = Duration::from_secs(3);

/// The HTTP client of the back-channel deliveries: it follows no redirect (a logout token goes
/// to the registered URI and nowhere else) and gives up after `BACKCHANNEL_TIMEOUT`. Built once
/// at start; an error stops the start rather than falling back to a client without them.
pub fn backchannel_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(BACKCHANNEL_TIMEOUT)
        .build()
}

/// Posts a logout token to the client's back-channel logout URI (if it has one) in the
/// background, retrying network errors and 5xx answers, and audits the outcome (never the
/// token).
pub fn backchannel(p: &Provider, client: &Client, sub: &str, sid: &str) {
    let Some(uri) = client.backchannel_logout_uri.clone() else {
        return;
    };
    let token = logout_token(p, client, sub, sid);
    let audit = p.audit.clone();
    let http = p.backchannel.clone();
    let (client_id, sub, sid) = (client.client_id.clone(), sub.to_owned(), sid.to_owned());
    tokio::spawn(async move {
        let outcome = match token {
            Ok(token) => deliver(&http, &uri, &token).await,
            Err(e) => {
                tracing::error!(error = %e, %client_id, "logout token not signed");
                "failed: signing".to_owned()
            }
        };
        if outcome != "delivered" {
            tracing::warn!(%client_id, %outcome, "back-channel logout not delivered");
        }
        let _ = audit
            .record(AuditEvent {
                event: "logout.backchannel",
                actor: Some(&sub),
                subject: Some(&sub),
                client_id: Some(&client_id),
                session_id: Some(&sid),
                detail: Some(&outcome),
                ..Default::default()
            })
            .await;
    });
}

/// Ends the SSO session stored under `key` because its browser signed in again (as anyone):
/// the session is deleted, its sign-in grants revoked as at logout, the end audited
/// (`logout`, detail `replaced`), and its relying parties with a back-channel logout URI told.
/// (Front-channel and SAML participants are told by frames in a page, which a sign-in does
/// not show.)
#[tracing::instrument(level = "debug", skip_all)]
pub async fn end_replaced(p: &Provider, key: &str, ip: &str) -> Result<(), String> {
    let Some(bytes) = p.store.take(key).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let Ok(s) = serde_json::from_slice::<SsoSession>(&bytes) else {
        return Ok(());
    };
    crate::grants::revoke_session_grants(p, &s.sid)
        .await
        .map_err(|e| e.to_string())?;
    let _ = p
        .audit
        .record(AuditEvent {
            event: "logout",
            actor: Some(&s.account_id),
            subject: Some(&s.account_id),
            session_id: Some(&s.sid),
            source: Some(ip),
            detail: Some("replaced"),
            ..Default::default()
        })
        .await;
    for client_id in &s.clients {
        match p.clients.get(client_id).await {
            Ok(Some(client)) => backchannel(p, &client, &s.account_id, &s.sid),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, client_id, "logout: client lookup failed"),
        }
    }
    Ok(())
}

/// One delivery with its retries: `delivered`, or `failed: <status>` / `failed: unreachable`.
async fn deliver(http: &reqwest::Client, uri: &str, token: &str) -> String {
    let mut attempt = 0;
    loop {
        let outcome = match http.post(uri).form(&[("logout_token", token)]).send().await {
            Ok(r) if r.status().is_success() => return "delivered".to_owned(),
            Ok(r) if r.status().is_server_error() => format!("failed: {}", r.status().as_u16()),
            Ok(r) => return format!("failed: {}", r.status().as_u16()),
            Err(_) => "failed: unreachable".to_owned(),
        };
        match BACKCHANNEL_BACKOFF.get(attempt) {
            Some(pause) => tokio::time::sleep(*pause).await,
            None => return outcome,
        }
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A relying party whose back-channel URI redirects elsewhere: the token is not carried
    /// there, and the delivery is reported as failed with the redirect's status.
    #[tokio::test]
    async fn the_backchannel_client_follows_no_redirect() {
        let elsewhere = Arc::new(AtomicUsize::new(0));
        let hits = elsewhere.clone();
        let app = axum::Router::new()
            .route(
                "/logout",
                axum::routing::post(|| async {
                    (
                        axum::http::StatusCode::TEMPORARY_REDIRECT,
                        [(header::LOCATION, "/elsewhere")],
                    )
                }),
            )
            .route(
                "/elsewhere",
                axum::routing::post(move || async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    axum::http::StatusCode::OK
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let http = backchannel_client().unwrap();
        let outcome = deliver(&http, &format!("http://{addr}/logout"), "token").await;
        assert_eq!(outcome, "failed: 307");
        assert_eq!(
            elsewhere.load(Ordering::SeqCst),
            0,
            "the redirect was not followed"
        );
    }
}
