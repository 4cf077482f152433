//! A real relying party: the `openidconnect` crate discovers the provider, builds the
//! authorization request (PKCE S256, state, nonce), redeems the code, verifies the ID token
//! against the JWKS (signature, issuer, audience, expiry, nonce, at_hash) and calls userinfo.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::browser::{Browser, Resp};
use crate::RpConfig;
use base64::Engine as _;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreTokenResponse, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A relying party bound to one registered client.
pub struct Rp {
    /// The openidconnect client.
    pub client: Client,
    /// Its HTTP client (no redirects).
    pub http: reqwest::Client,
    /// Registration.
    pub cfg: RpConfig,
    /// Algorithms the RP accepts for ID tokens.
    pub algs: Vec<CoreJwsSigningAlgorithm>,
}

/// An authorization request in flight.
pub struct Started {
    /// URL to send the browser to.
    pub url: String,
    /// state.
    pub state: String,
    /// nonce.
    pub nonce: Nonce,
    /// PKCE verifier.
    pub verifier: PkceCodeVerifier,
}

/// What a finished flow yields.
pub struct Tokens {
    /// The token response.
    pub response: CoreTokenResponse,
    /// Verified ID token claims.
    pub claims: CoreIdTokenClaims,
    /// The raw ID token's payload as JSON (for claims the crate does not model, e.g. sid).
    pub raw: serde_json::Value,
    /// The raw ID token.
    pub id_token: String,
}

impl Tokens {
    /// The access token.
    pub fn access_token(&self) -> String {
        self.response.access_token().secret().clone()
    }
    /// The refresh token.
    pub fn refresh_token(&self) -> Option<String> {
        self.response.refresh_token().map(|r| r.secret().clone())
    }
    /// `sid` claim.
    pub fn sid(&self) -> String {
        self.raw["sid"].as_str().unwrap().to_owned()
    }
}

/// Decodes a JWT's payload without verifying it.
pub fn jwt_payload(jwt: &str) -> serde_json::Value {
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Decodes a JWT's header without verifying it.
pub fn jwt_header(jwt: &str) -> serde_json::Value {
    let part = jwt.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

impl Rp {
    /// Discovers the provider and configures the client.
    pub async fn discover(cfg: &RpConfig) -> Rp {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let meta = CoreProviderMetadata::discover_async(
            IssuerUrl::new(cfg.issuer.clone()).unwrap(),
            &http,
        )
        .await
        .expect("discovery");
        let client = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(cfg.client_id.clone()),
            cfg.secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(cfg.redirect_uri.clone()).unwrap());
        Rp {
            client,
            http,
            cfg: cfg.clone(),
            algs: vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        }
    }

    /// Builds an authorization request; `extra` adds parameters (prompt, max_age, ...).
    pub fn start(&self, scopes: &[&str], extra: &[(&str, &str)]) -> Started {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = self.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for s in scopes {
            req = req.add_scope(Scope::new((*s).to_owned()));
        }
        for (k, v) in extra {
            req = req.add_extra_param(*k, *v);
        }
        let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
        Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce,
            verifier,
        }
    }

    /// Pushes an authorization request (RFC 9126) built as `start` builds one, authenticated
    /// with the client's secret (Basic); returns the flow whose `url` carries only
    /// `client_id` and the `request_uri`, and the endpoint's JSON answer.
    pub async fn push(
        &self,
        scopes: &[&str],
        extra: &[(&str, &str)],
    ) -> (Started, serde_json::Value) {
        let mut s = self.start(scopes, extra);
        let url = url::Url::parse(&s.url).unwrap();
        let form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let mut req = self
            .http
            .post(format!("{}/par", self.cfg.issuer))
            .form(&form);
        if let Some(secret) = &self.cfg.secret {
            req = req.basic_auth(&self.cfg.client_id, Some(secret));
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 201, "the push is accepted");
        assert_eq!(
            r.headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let answer: serde_json::Value = r.json().await.unwrap();
        let uri = answer["request_uri"].as_str().expect("a request_uri");
        let mut to = url::Url::parse(&format!("{}/authorize", self.cfg.issuer)).unwrap();
        to.query_pairs_mut()
            .append_pair("client_id", &self.cfg.client_id)
            .append_pair("request_uri", uri);
        s.url = to.to_string();
        (s, answer)
    }

    /// Checks the callback redirect (state, iss) and returns the code.
    pub fn code_from(&self, started: &Started, callback: &Resp) -> String {
        assert_eq!(
            callback.status, 303,
            "expected a redirect, got {} {}",
            callback.status, callback.body
        );
        let loc = callback.location().unwrap();
        assert!(
            loc.starts_with(&self.cfg.redirect_uri),
            "redirected to {loc}"
        );
        let q = callback.location_params();
        assert_eq!(
            q.get("state"),
            Some(&started.state),
            "state must round-trip"
        );
        assert_eq!(q.get("iss"), Some(&self.cfg.issuer), "RFC 9207 iss");
        q.get("code")
            .unwrap_or_else(|| panic!("no code in {loc}"))
            .clone()
    }

    /// Redeems the code and verifies the ID token (signature against JWKS, nonce, at_hash).
    pub async fn finish(&self, started: Started, code: &str) -> Tokens {
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .unwrap()
            .set_pkce_verifier(started.verifier)
            .request_async(&self.http)
            .await
            .expect("code exchange");
        let id_token = response.id_token().expect("an ID token").clone();
        let verifier = self
            .client
            .id_token_verifier()
            .set_allowed_algs(self.algs.clone());
        let claims = id_token
            .claims(&verifier, &started.nonce)
            .expect("ID token verifies")
            .clone();
        let expected = claims.access_token_hash().expect("at_hash");
        let actual = AccessTokenHash::from_token(
            response.access_token(),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(*expected, actual, "at_hash matches the access token");
        let raw_token = id_token.to_string();
        Tokens {
            raw: jwt_payload(&raw_token),
            id_token: raw_token,
            claims,
            response,
        }
    }

    /// Calls userinfo with the access token.
    pub async fn userinfo(&self, tokens: &Tokens) -> CoreUserInfoClaims {
        self.client
            .user_info(tokens.response.access_token().clone(), None)
            .unwrap()
            .request_async(&self.http)
            .await
            .expect("userinfo")
    }

    /// A whole first login: authorize, login page, credentials, code, tokens.
    pub async fn login(&self, browser: &Browser, login_id: &str, password: &str) -> Tokens {
        let s = self.start(&["profile", "email"], &[]);
        let page = browser.get(&s.url).await;
        let cb = browser
            .login(&self.cfg.issuer, &page, login_id, password)
            .await;
        let code = self.code_from(&s, &cb);
        self.finish(s, &code).await
    }

    /// A flow that must complete without a login page (SSO).
    pub async fn sso(&self, browser: &Browser, extra: &[(&str, &str)]) -> Tokens {
        let s = self.start(&["profile"], extra);
        let cb = browser.get(&s.url).await;
        assert!(!cb.is_login_page(), "SSO must not show the login page");
        let code = self.code_from(&s, &cb);
        self.finish(s, &code).await
    }
}
