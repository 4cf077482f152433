//! The answer to a checked SAML request (or an IdP-initiated one), like `/authorize`'s: from
//! the live SSO session when it satisfies the request (after a step-up when only a second
//! factor is missing), else after the login page (`/saml/continue`). The requested
//! authentication context maps onto the acr ladder; the gate runs; the signed (and maybe
//! encrypted) assertion goes to the ACS by HTTP-POST and the SP joins the session's
//! participants. What cannot be met is told to the SP as a signed error Response.

use super::pages::{post_page, Post};
use super::sso::{pending_key, refuse, Pending, Refusal};
use crate::authorize::{AuthRequest, Ticket};
use authorization_server::saml::response::{self, status, AssertionFacts, Envelope};
use authorization_server::saml::sps::ServiceProvider;
use authorization_server::saml::{attributes, context, encrypt, nameid, Participant};
use authorization_server::Provider;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use credential_store::Account;
use platform::audit::AuditEvent;
use platform::crypto::random_token;
use platform::ephemeral::{put_json, take_json};
use platform::Locale;
use std::sync::Arc;
use web::error::{OrPage, PageError, WebResult};
use web::http::{self, parse_query};
use web::session::{self, SsoSession};

/// What the SP requires of every sign-in, whatever it asks: a passkey, a second factor, or
/// nothing more than a password.
fn sp_strength(sp: &ServiceProvider) -> step_up::acr::Strength {
    use step_up::acr::Strength;
    if sp.require_phishing_resistant {
        Strength::Phr
    } else if sp.require_mfa {
        Strength::Mfa
    } else {
        Strength::Password
    }
}

/// The acr values the request needs (for the step-up and the ladder checks); empty when it
/// asks for nothing.
fn wanted(pending: &Pending, sp: &ServiceProvider) -> Vec<String> {
    context::need(&pending.comparison, &pending.class_refs, sp_strength(sp)).unwrap_or_default()
}

/// The class reference the assertion states, when the session satisfies the request.
fn class_ref_for(pending: &Pending, sp: &ServiceProvider, session_acr: &str) -> Option<String> {
    context::statement(
        &pending.comparison,
        &pending.class_refs,
        sp_strength(sp),
        session_acr,
    )
}

/// The parked sign-in: the login page (or the step-up) comes back to `/saml/continue`.
fn auth_request(pending: &Pending, sp: &ServiceProvider, token: &str) -> AuthRequest {
    AuthRequest {
        client_id: String::new(),
        client_name: sp.name.clone(),
        redirect_uri: String::new(),
        scope: String::new(),
        audience: None,
        launch: None,
        state: None,
        nonce: None,
        code_challenge: None,
        prompt_none: pending.is_passive,
        prompt_login: pending.force_authn,
        prompt_consent: false,
        pick_patient: false,
        pick_encounter: false,
        max_age: None,
        hint_sub: None,
        login_hint: None,
        ui_locales: None,
        id_token_claims: Vec::new(),
        ticket: Ticket::Saml {
            token: token.to_owned(),
        },
        acr_values: wanted(pending, sp),
        // The SP's RequestedAuthnContext must be honoured or refused (SAML core §3.3.2.2.1).
        acr_essential: true,
    }
}

/// Answers from the live session, steps it up, or parks the request for the login page.
pub(crate) async fn proceed(
    p: &Provider,
    headers: &HeaderMap,
    pending: Pending,
    sp: &ServiceProvider,
    locale: Locale,
) -> WebResult {
    if context::need(&pending.comparison, &pending.class_refs, sp_strength(sp)).is_none() {
        // Nothing asked for is on the ladder (or nothing is better than it).
        return Ok(to_sp(
            p,
            sp,
            &pending,
            (status::RESPONDER, Some(status::NO_AUTHN_CONTEXT)),
            "authn_context_not_on_ladder",
            locale,
        )
        .await);
    }
    let live = session::signed_in(p, headers).await.or_page(locale)?;
    let token = random_token(24);
    let req = auth_request(&pending, sp, &token);
    // A session whose account has not accepted the agreement in force answers no SAML request:
    // the person signs in again, and the sign-in asks for the agreement.
    let live = live.filter(|(_, _, a)| !authorization_server::agreement::due(p, a));
    if let Some((key, s, account)) = live.filter(|_| !pending.force_authn) {
        let level = crate::authorize::level_of(&s.acr);
        if crate::stepup::essential_acr_unreachable(&req, level) {
            return Ok(to_sp(
                p,
                sp,
                &pending,
                (status::RESPONDER, Some(status::NO_AUTHN_CONTEXT)),
                "authn_context_unreachable",
                locale,
            )
            .await);
        }
        if class_ref_for(&pending, sp, &s.acr).is_some() {
            return Ok(respond(p, sp, &pending, &key, s, &account, locale).await);
        }
        if pending.is_passive {
            return Ok(to_sp(
                p,
                sp,
                &pending,
                (status::RESPONDER, Some(status::NO_PASSIVE)),
                "passive_needs_step_up",
                locale,
            )
            .await);
        }
        park(p, &token, &pending).await.or_page(locale)?;
        // Only a passkey reaches what the SP asks: the step-up offers nothing else.
        let passkey_only = step_up::acr::wants_phr(&req.acr_values, level);
        return crate::authorize::step_up_session(p, headers, req, key, s, passkey_only, locale)
            .await;
    }
    if pending.is_passive {
        return Ok(to_sp(
            p,
            sp,
            &pending,
            (status::RESPONDER, Some(status::NO_PASSIVE)),
            "passive_not_signed_in",
            locale,
        )
        .await);
    }
    park(p, &token, &pending).await.or_page(locale)?;
    crate::authorize::start_login(p, headers, req, locale).await
}

async fn park(
    p: &Provider,
    token: &str,
    pending: &Pending,
) -> Result<(), platform::EphemeralError> {
    put_json(
        p.store.as_ref(),
        &pending_key(token),
        pending,
        p.cfg.login_ttl,
    )
    .await
}

/// GET /saml/continue?r=TOKEN[&unmet=1]: after the login page or the step-up.
#[tracing::instrument(skip_all)]
pub async fn resume(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let locale = http::locale(&headers, None);
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let Some(token) = params.get("r") else {
        return Ok(refuse(&p, locale, Refusal::Expired, None, "saml.request_refused").await);
    };
    let pending: Option<Pending> = take_json(p.store.as_ref(), &pending_key(token))
        .await
        .or_page(locale)?;
    let Some(pending) = pending else {
        return Ok(refuse(&p, locale, Refusal::Expired, None, "saml.request_refused").await);
    };
    let sp = match p.saml.sps.get(&pending.entity_id).await {
        Ok(Some(sp)) => sp,
        Ok(None) => {
            return Ok(refuse(
                &p,
                locale,
                Refusal::UnknownSp,
                Some(&pending.entity_id),
                "saml.request_refused",
            )
            .await)
        }
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    if params.contains_key("unmet") {
        return Ok(to_sp(
            &p,
            &sp,
            &pending,
            (status::RESPONDER, Some(status::NO_AUTHN_CONTEXT)),
            "authn_context_unmet",
            locale,
        )
        .await);
    }
    let live = session::signed_in(&p, &headers).await.or_page(locale)?;
    // The session must be the one this sign-in made (ForceAuthn: begun after the request).
    let Some((key, s, account)) =
        live.filter(|(_, s, _)| !pending.force_authn || s.auth_time >= pending.created)
    else {
        return Ok(refuse(
            &p,
            locale,
            Refusal::Expired,
            Some(&sp.entity_id),
            "saml.request_refused",
        )
        .await);
    };
    if class_ref_for(&pending, &sp, &s.acr).is_none() {
        return Ok(to_sp(
            &p,
            &sp,
            &pending,
            (status::RESPONDER, Some(status::NO_AUTHN_CONTEXT)),
            "authn_context_unmet",
            locale,
        )
        .await);
    }
    Ok(respond(&p, &sp, &pending, &key, s, &account, locale).await)
}

/// Notes an error Response to the SP: a log line and an audit row (`saml.refused`) naming the
/// SP, the status and why (never anything secret).
pub(crate) async fn note_refusal(
    p: &Provider,
    sp: &ServiceProvider,
    code: (&str, Option<&str>),
    reason: &str,
    subject: Option<&str>,
) {
    let short = |c: &str| c.rsplit(':').next().unwrap_or(c).to_owned();
    let status = match code.1 {
        Some(second) => format!("{}/{}", short(code.0), short(second)),
        None => short(code.0),
    };
    let sp_id = sp.entity_id.as_str();
    if code.1 == Some(status::NO_PASSIVE) {
        // Routine: a passive check while no one is signed in.
        tracing::info!(sp = sp_id, %status, reason, "SAML error Response to the SP");
    } else {
        tracing::warn!(sp = sp_id, %status, reason, "SAML request refused: error Response");
    }
    let detail = format!("status={status} reason={reason}");
    let _ = p
        .audit
        .record(AuditEvent {
            event: "saml.refused",
            subject,
            client_id: Some(&sp.entity_id),
            detail: Some(&detail),
            ..Default::default()
        })
        .await;
}

/// An error Response to the SP (signed), posted at once; logged and audited with `reason`.
pub(crate) async fn to_sp(
    p: &Provider,
    sp: &ServiceProvider,
    pending: &Pending,
    code: (&str, Option<&str>),
    reason: &str,
    locale: Locale,
) -> Response {
    note_refusal(p, sp, code, reason, None).await;
    match error_response(p, pending, code) {
        Ok(b64) => post_page(&Post {
            locale,
            sp_name: &sp.name,
            title: None,
            button: None,
            messages: Vec::new(),
            action: &pending.acs,
            field: "SAMLResponse",
            value: &b64,
            relay_state: pending.relay_state.as_deref(),
            auto: true,
            frames: &[],
            status: StatusCode::OK,
            framed: false,
        }),
        Err(e) => web::error::PageError::internal(locale, e).into_response(),
    }
}

fn error_response(
    p: &Provider,
    pending: &Pending,
    code: (&str, Option<&str>),
) -> Result<String, String> {
    let key = p.saml.signing_key().ok_or("no SAML signing key")?;
    let issuer = p.saml_entity_id();
    let xml = response::response(
        &Envelope {
            issuer: &issuer,
            destination: &pending.acs,
            in_response_to: pending.request_id.as_deref(),
            now: p.clock.now(),
            status: code,
            message: None,
        },
        "",
        Some(&key),
    )?;
    Ok(STANDARD.encode(xml))
}

/// The NameID for this account at this SP in `format`; `None` when it has none (no email).
async fn name_id(
    p: &Provider,
    sp: &ServiceProvider,
    account: &Account,
    format: &str,
) -> Result<Option<String>, String> {
    Ok(match format {
        nameid::PERSISTENT => Some(
            p.saml
                .sps
                .persistent_id(&account.id, &sp.entity_id)
                .await
                .map_err(|e| e.to_string())?,
        ),
        nameid::TRANSIENT => Some(format!("_{}", random_token(20))),
        nameid::EMAIL => account.email.clone().filter(|e| !e.is_empty()),
        _ => Some(account.login_id.clone()),
    })
}

/// The answer: the gate, then the assertion, posted to the ACS; the SP joins the session's
/// participants (for logout).
async fn respond(
    p: &Provider,
    sp: &ServiceProvider,
    pending: &Pending,
    key: &str,
    mut s: SsoSession,
    account: &Account,
    locale: Locale,
) -> Response {
    let internal = |e: String| web::error::PageError::internal(locale, e).into_response();
    // The gate, as for OIDC: an SP left in no service admits no one.
    let service = sp.service_id.as_deref();
    match crate::authorize::gate_text(p, service, &account.id, &sp.entity_id, locale).await {
        Ok(None) => {}
        Ok(Some(_)) if pending.is_passive => {
            // IsPassive shows nothing (like prompt=none): the SP is told at once.
            return to_sp(
                p,
                sp,
                pending,
                (status::RESPONDER, Some(status::REQUEST_DENIED)),
                "not_enrolled",
                locale,
            )
            .await;
        }
        Ok(Some(why)) => {
            // The sign-in stands; only this SP is refused. The way back tells it so.
            let code = (status::RESPONDER, Some(status::REQUEST_DENIED));
            note_refusal(p, sp, code, "not_enrolled", Some(&account.id)).await;
            let gate = web::gate_text::GateText::get(locale);
            return match error_response(
                p,
                pending,
                (status::RESPONDER, Some(status::REQUEST_DENIED)),
            ) {
                Ok(b64) => post_page(&Post {
                    locale,
                    sp_name: &sp.name,
                    title: Some(gate.title.to_owned()),
                    button: Some(gate.back.replace("{client}", &sp.name)),
                    messages: vec![why],
                    action: &pending.acs,
                    field: "SAMLResponse",
                    value: &b64,
                    relay_state: pending.relay_state.as_deref(),
                    auto: false,
                    frames: &[],
                    status: StatusCode::FORBIDDEN,
                    framed: false,
                }),
                Err(e) => internal(e),
            };
        }
        Err(e) => return internal(e),
    }
    let Some(class_ref) = class_ref_for(pending, sp, &s.acr) else {
        return to_sp(
            p,
            sp,
            pending,
            (status::RESPONDER, Some(status::NO_AUTHN_CONTEXT)),
            "authn_context_unmet",
            locale,
        )
        .await;
    };
    let name = match name_id(p, sp, account, &pending.nameid_format).await {
        Ok(Some(n)) => n,
        Ok(None) => {
            return to_sp(
                p,
                sp,
                pending,
                (status::REQUESTER, Some(status::INVALID_NAMEID_POLICY)),
                "no_email_for_nameid",
                locale,
            )
            .await
        }
        Err(e) => return internal(e),
    };
    let designations = match p.accounts.designations(&account.id).await {
        Ok(d) => d,
        Err(e) => return internal(e.to_string()),
    };
    let attrs = attributes::values(&sp.attributes, account, &designations);
    let b64 = match build(p, sp, pending, &s, &name, &class_ref, &attrs) {
        Ok(x) => x,
        Err(e) => return internal(e),
    };
    let me = Participant {
        entity_id: sp.entity_id.clone(),
        name_id: name,
        format: pending.nameid_format.clone(),
        session_index: s.sid.clone(),
    };
    s.saml.retain(|x| x.entity_id != me.entity_id);
    s.saml.push(me);
    if let Err(e) = session::save(p, key, &s).await {
        return internal(e.to_string());
    }
    let how = if pending.request_id.is_some() {
        "sp_initiated"
    } else {
        "idp_initiated"
    };
    p.metrics
        .inc("oneid_saml_assertions_total", format!("start=\"{how}\""));
    let _ = p
        .audit
        .record(AuditEvent {
            event: "saml.assertion_issued",
            actor: Some(&account.id),
            subject: Some(&account.id),
            client_id: Some(&sp.entity_id),
            session_id: Some(&s.sid),
            detail: Some(how),
            ..Default::default()
        })
        .await;
    post_page(&Post {
        locale,
        sp_name: &sp.name,
        title: None,
        button: None,
        messages: Vec::new(),
        action: &pending.acs,
        field: "SAMLResponse",
        value: &b64,
        relay_state: pending.relay_state.as_deref(),
        auto: true,
        frames: &[],
        status: StatusCode::OK,
        framed: false,
    })
}

fn build(
    p: &Provider,
    sp: &ServiceProvider,
    pending: &Pending,
    s: &SsoSession,
    name: &str,
    class_ref: &str,
    attrs: &[(&'static attributes::AttributeDef, Vec<String>)],
) -> Result<String, String> {
    let key = p.saml.signing_key().ok_or("no SAML signing key")?;
    let issuer = p.saml_entity_id();
    let now = p.clock.now();
    let facts = AssertionFacts {
        issuer: &issuer,
        audience: &sp.entity_id,
        recipient: &pending.acs,
        in_response_to: pending.request_id.as_deref(),
        name_id: name,
        name_id_format: &pending.nameid_format,
        now,
        lifetime: p.saml.cfg.assertion_ttl_secs,
        authn_instant: s.auth_time,
        session_not_on_or_after: s.auth_time + p.cfg.session_ttl,
        session_index: &s.sid,
        class_ref,
        attributes: attrs,
    };
    let (assertion, _) = response::assertion(&facts, &key)?;
    let body = if sp.encrypt_assertions {
        let cert = sp
            .encryption_cert
            .as_deref()
            .ok_or("the SP has no encryption certificate")?;
        encrypt::encrypt_assertion(
            &assertion,
            &authorization_server::saml::sps::cert_from_b64(cert)?,
        )?
    } else {
        assertion
    };
    let xml = response::response(
        &Envelope {
            issuer: &issuer,
            destination: &pending.acs,
            in_response_to: pending.request_id.as_deref(),
            now,
            status: (status::SUCCESS, None),
            message: None,
        },
        &body,
        sp.sign_response.then_some(&*key),
    )?;
    Ok(STANDARD.encode(xml))
}
