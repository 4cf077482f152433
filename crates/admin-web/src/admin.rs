//! Administration of the signing keys: a JSON API for automation (bearer access token with
//! the `oneid:admin` scope, from a client registered for it), a console page for people
//! (SSO session of an account with the `administrator` role; CSRF on every form), and
//! Prometheus metrics with the age of each active key.

use askama::Template;
use authorization_server::keys::{KeyError, KeyInfo, SigAlg};
use authorization_server::tokens::live_access_token;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use platform::i18n::Text;
use platform::Locale;
use serde_json::json;
use std::sync::Arc;
use web::error::{OAuthError, OrPage, PageError, WebError, WebResult};
use web::http::{bearer, csrf_token, parse_form, parse_query, Params};

/// Scope a client needs for the admin API.
pub const ADMIN_SCOPE: &str = "oneid:admin";
/// Role an account needs for the console.
pub const ADMIN_ROLE: &str = "administrator";

fn key_error(e: KeyError) -> OAuthError {
    match e {
        KeyError::Invalid(m) => OAuthError::invalid_request(m),
        e => OAuthError::internal(e),
    }
}

/// Who calls an administration API.
#[derive(Debug, Clone)]
pub(crate) struct ApiCaller {
    /// The client whose access token it is.
    pub client_id: String,
    /// The administrator behind a person's token; none for a client acting for itself.
    pub account_id: Option<String>,
}

impl ApiCaller {
    /// The audit actor: the administrator's account id (as the console records it), else
    /// `client:<id>`.
    pub fn actor(&self) -> String {
        match &self.account_id {
            Some(a) => a.clone(),
            None => format!("client:{}", self.client_id),
        }
    }
}

/// The caller, if its live bearer token carries one of `scopes`: a client acting for itself
/// (`client_credentials`, for automation), or a person who holds the `administrator` role now
/// and signed in with a second factor (`acr` ending in `:mfa`) at a relying party allowed the
/// scope. 401 without a live token; 403 `insufficient_scope` for anything else, an LRA's or a
/// clinician's token included.
pub(crate) async fn api_caller(
    p: &Provider,
    headers: &HeaderMap,
    scopes: &[&'static str],
) -> Result<ApiCaller, OAuthError> {
    let token = bearer(headers)
        .ok_or_else(|| OAuthError::invalid_token("a bearer access token is required"))?;
    let c = live_access_token(p, token)
        .await
        .map_err(OAuthError::unavailable)?
        .ok_or_else(|| {
            OAuthError::invalid_token("the access token is invalid, expired or revoked")
        })?;
    // A DPoP-bound token is worth nothing without its key's proof, which this bearer API
    // does not take: sent as a bearer token, it is refused (RFC 9449 §7.2).
    if c.cnf.is_some() {
        return Err(OAuthError::invalid_token(
            "a DPoP-bound access token is not accepted as a bearer token",
        ));
    }
    let wanted = scopes.last().copied().unwrap_or(ADMIN_SCOPE);
    if !c.scope.split(' ').any(|s| scopes.contains(&s)) {
        return Err(OAuthError::insufficient_scope(wanted));
    }
    let account_id = if c.has_person() {
        let stepped_up = c.acr.as_deref().is_some_and(|a| a.ends_with(":mfa"));
        // The subject is the one the token's client knows the person by.
        let account = authorization_server::subjects::account_of_client_id(p, &c.client_id, &c.sub)
            .await
            .map_err(OAuthError::unavailable)?
            .unwrap_or_default();
        let admin = stepped_up
            && p.accounts
                .find_by_id(&account)
                .await
                .map_err(OAuthError::unavailable)?
                .is_some_and(|a| a.status == credential_store::AccountStatus::Active)
            && p.accounts
                .has_role(&account, ADMIN_ROLE)
                .await
                .map_err(OAuthError::unavailable)?;
        if !admin {
            return Err(OAuthError::insufficient_scope(wanted));
        }
        Some(account)
    } else {
        None
    };
    // A removed client's tokens stop working here (within the client cache's lifetime).
    if p.clients
        .get(&c.client_id)
        .await
        .map_err(OAuthError::unavailable)?
        .is_none()
    {
        return Err(OAuthError::invalid_token(
            "the access token is invalid, expired or revoked",
        ));
    }
    Ok(ApiCaller {
        client_id: c.client_id,
        account_id,
    })
}

/// The caller, if its token may administer (`oneid:admin`); see `api_caller`.
pub(crate) async fn admin_client(
    p: &Provider,
    headers: &HeaderMap,
) -> Result<ApiCaller, OAuthError> {
    api_caller(p, headers, &[ADMIN_SCOPE]).await
}

fn key_json(k: &KeyInfo, now: i64) -> serde_json::Value {
    json!({
        "kid": k.kid, "alg": k.alg, "state": k.state,
        "created_at": k.created_at, "activated_at": k.activated_at,
        "activate_after": k.activate_after, "retired_at": k.retired_at,
        "revoked_at": k.revoked_at, "removed_at": k.removed_at,
        "age_seconds": k.activated_at.map(|a| now - a),
    })
}

/// GET /admin/api/keys
#[tracing::instrument(skip_all)]
pub async fn api_list(State(p): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    let r = async {
        admin_client(&p, &headers).await?;
        let now = p.clock.now();
        let keys = p.keys.list().await.map_err(key_error)?;
        let signing: serde_json::Map<String, serde_json::Value> = p
            .keys
            .active_kids()
            .into_iter()
            .map(|(a, k)| (a.as_str().to_owned(), k.into()))
            .collect();
        Ok::<_, OAuthError>(web::http::json_no_store(
            json!({
                "keys": keys.iter().map(|k| key_json(k, now)).collect::<Vec<_>>(),
                "signing_on_this_node": signing,
                "policy": p.keys.policy(),
            })
            .to_string(),
        ))
    }
    .await;
    r.unwrap_or_else(IntoResponse::into_response)
}

/// POST /admin/api/keys/rotate (form: `alg`, optional `now=true`)
#[tracing::instrument(skip_all)]
pub async fn api_rotate(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = async {
        let caller = admin_client(&p, &headers).await?;
        let form = parse_form(&headers, &body).map_err(|e| e.oauth())?;
        let alg = form
            .get("alg")
            .and_then(|a| SigAlg::parse(a))
            .ok_or_else(|| {
                OAuthError::invalid_request("alg must be RS256, ES256, PS256 or EdDSA")
            })?;
        let now = form.get("now").map(String::as_str) == Some("true");
        let r = p
            .keys
            .rotate(alg, now, &caller.actor())
            .await
            .map_err(key_error)?;
        Ok::<_, OAuthError>(web::http::json_no_store(json!(r).to_string()))
    }
    .await;
    r.unwrap_or_else(IntoResponse::into_response)
}

/// POST /admin/api/keys/{kid}/{activate|retire|revoke}
#[tracing::instrument(skip_all)]
pub async fn api_key_op(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((kid, op)): Path<(String, String)>,
) -> Response {
    let r = async {
        let actor = admin_client(&p, &headers).await?.actor();
        let detail = run_op(&p, &op, &kid, &actor).await.map_err(key_error)?;
        Ok::<_, OAuthError>(web::http::json_no_store(
            json!({ "kid": kid, "op": op, "result": detail }).to_string(),
        ))
    }
    .await;
    r.unwrap_or_else(IntoResponse::into_response)
}

async fn run_op(p: &Provider, op: &str, kid: &str, actor: &str) -> Result<String, KeyError> {
    match op {
        "activate" => p.keys.activate(kid, actor).await.map(|old| match old {
            Some(o) => format!("{kid} active, {o} retired"),
            None => format!("{kid} active"),
        }),
        "retire" => p
            .keys
            .retire(kid, actor)
            .await
            .map(|_| format!("{kid} retired")),
        "revoke" => p.keys.revoke(kid, actor).await.map(|r| match r {
            Some(n) => format!("{kid} revoked, {n} signs in its place"),
            None => format!("{kid} revoked"),
        }),
        _ => Err(KeyError::Invalid(format!("unknown operation {op}"))),
    }
}

struct Row {
    kid: String,
    alg: String,
    state: String,
    created: String,
    signs: String,
    retired: String,
    state_text: &'static str,
    actions: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage<'a> {
    lang: &'static str,
    other_lang: &'static str,
    other_lang_href: String,
    nav: Vec<(String, String)>,
    t: &'static Text,
    rows: Vec<Row>,
    algs: Vec<&'static str>,
    csrf: &'a str,
    message: Option<String>,
}

/// A key's moment: the date and time, and how long ago or how soon, in words.
fn when(locale: Locale, now: i64, at: Option<i64>) -> String {
    let Some(at) = at else { return "–".into() };
    format!("{} ({})", web::widgets::datetime(at), ago(locale, now, at))
}

/// "5 min ago", "in 3 days", "il y a 2 h": the largest whole unit.
fn ago(locale: Locale, now: i64, at: i64) -> String {
    let d = (now - at).abs();
    let (n, unit) = match d {
        d if d < 60 => (d, ["s", "s"]),
        d if d < 3600 => (d / 60, ["min", "min"]),
        d if d < 86_400 => (d / 3600, ["h", "h"]),
        d => (
            d / 86_400,
            [
                if d / 86_400 == 1 { "day" } else { "days" },
                if d / 86_400 == 1 { "jour" } else { "jours" },
            ],
        ),
    };
    let fr = locale == Locale::Fr;
    let unit = if fr { unit[1] } else { unit[0] };
    match (at <= now, fr) {
        (true, false) => format!("{n} {unit} ago"),
        (true, true) => format!("il y a {n}\u{a0}{unit}"),
        (false, false) => format!("in {n} {unit}"),
        (false, true) => format!("dans {n}\u{a0}{unit}"),
    }
}

/// The signed-in, recently stepped-up administrator (the console's one check), or the
/// response to send instead (sign in, step up, refusal).
async fn console_admin(
    p: &Provider,
    headers: &HeaderMap,
    params: &Params,
) -> Result<crate::admin_console::Admin, WebError> {
    crate::admin_console::administrator(p, headers, params, "/admin/keys").await
}

async fn keys_page(
    p: &Provider,
    headers: &HeaderMap,
    a: &crate::admin_console::Admin,
    message: Option<String>,
) -> WebResult {
    let locale = a.locale;
    let t = locale.text();
    let now = p.clock.now();
    let keys = p.keys.list().await.or_page(locale)?;
    let rows = keys
        .into_iter()
        .filter(|k| k.state != "removed")
        .map(|k| {
            let actions: Vec<(&'static str, &'static str)> = match k.state.as_str() {
                "next" => vec![
                    ("activate", t.action_activate),
                    ("retire", t.action_retire),
                    ("revoke", t.action_revoke),
                ],
                "active" => vec![("retire", t.action_retire), ("revoke", t.action_revoke)],
                "retired" => vec![("activate", t.action_activate), ("revoke", t.action_revoke)],
                _ => vec![],
            };
            Row {
                created: when(locale, now, Some(k.created_at)),
                signs: when(locale, now, k.activated_at.or(k.activate_after)),
                retired: when(locale, now, k.retired_at.or(k.revoked_at)),
                state_text: state_text(t, &k.state),
                kid: k.kid,
                alg: k.alg,
                state: k.state,
                actions,
            }
        })
        .collect();
    let (csrf, set) = csrf_token(p, headers);
    let page = KeysPage {
        lang: locale.tag(),
        other_lang: locale.other().tag(),
        other_lang_href: format!("/admin/keys?ui_locales={}", locale.other().tag()),
        nav: crate::admin_console::nav(a),
        t,
        rows,
        algs: SigAlg::ALL.iter().map(|a| a.as_str()).collect(),
        csrf: &csrf,
        message,
    };
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page.render().or_page(locale)?,
    )
        .into_response();
    web::http::page_headers(&mut r);
    if let Some(v) = set {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// GET /admin/keys
#[tracing::instrument(skip_all)]
pub async fn console(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let a = console_admin(&p, &headers, &params).await?;
    keys_page(&p, &headers, &a, None).await
}

/// POST /admin/keys (op = rotate | activate | retire | revoke)
#[tracing::instrument(skip_all)]
pub async fn console_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Bytes,
) -> WebResult {
    let a = console_admin(&p, &headers, &Params::new()).await?;
    let (account, locale) = (a.account.id.clone(), a.locale);
    let form = web::forms::checked(&p, &headers, &body, locale)?;
    let t = locale.text();
    let actor = format!("account:{account}");
    let op = form.get("op").map(String::as_str).unwrap_or("");
    let result = if op == "rotate" {
        match form.get("alg").and_then(|a| SigAlg::parse(a)) {
            Some(alg) => p
                .keys
                .rotate(
                    alg,
                    form.get("now").map(String::as_str) == Some("true"),
                    &actor,
                )
                .await
                .map(|r| format!("{} {}", r.alg, r.kid)),
            None => Err(KeyError::Invalid("alg".into())),
        }
    } else {
        run_op(
            &p,
            op,
            form.get("kid").map(String::as_str).unwrap_or(""),
            &actor,
        )
        .await
    };
    let message = match result {
        Ok(m) => format!("{} {m}", t.operation_done),
        Err(KeyError::Invalid(m)) => format!("{} {m}", t.operation_failed),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    keys_page(&p, &headers, &a, Some(message)).await
}

/// A key's state in words.
fn state_text(t: &Text, state: &str) -> &'static str {
    match state {
        "next" => t.state_next,
        "active" => t.state_active,
        "retired" => t.state_retired,
        "revoked" => t.state_revoked,
        _ => "–",
    }
}

/// The signing-key part of the metrics: the age of each active key and the keys by state.
pub async fn key_metrics(p: &Provider) -> Result<String, KeyError> {
    let now = p.clock.now();
    let keys = p.keys.list().await?;
    let mut out = String::from(
        "# HELP oneid_signing_key_age_seconds Seconds since each active signing key started signing.\n\
         # TYPE oneid_signing_key_age_seconds gauge\n",
    );
    for k in keys.iter().filter(|k| k.state == "active") {
        out.push_str(&format!(
            "oneid_signing_key_age_seconds{{alg=\"{}\",kid=\"{}\"}} {}\n",
            k.alg,
            k.kid,
            k.activated_at.map_or(0, |a| now - a)
        ));
    }
    out.push_str(
        "# HELP oneid_signing_keys Keys in the ring by state.\n# TYPE oneid_signing_keys gauge\n",
    );
    for state in ["next", "active", "retired", "revoked", "removed"] {
        let n = keys.iter().filter(|k| k.state == state).count();
        out.push_str(&format!("oneid_signing_keys{{state=\"{state}\"}} {n}\n"));
    }
    Ok(out)
}
