//! What the tests of signed client objects share: claims with a few changed, a JWT signed
//! with a given signer, and a form posted with an optional `DPoP` proof.

use josekit::jws::{JwsHeader, JwsSigner};
use josekit::jwt::{self, JwtPayload};
use serde_json::Value;

/// `base` with `changes` applied (a `null` removes the claim).
pub fn with_changes(mut base: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().expect("changes are an object") {
        if v.is_null() {
            base.as_object_mut().unwrap().remove(k);
        } else {
            base[k] = v.clone();
        }
    }
    base
}

/// `claims` as a compact JWT with `header`, signed by `signer`.
pub fn sign(claims: &Value, header: &JwsHeader, signer: &dyn JwsSigner) -> String {
    let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
    jwt::encode_with_signer(&payload, header, signer).unwrap()
}

/// POSTs `form` to `url` (no redirects followed), with Basic client credentials and a `DPoP`
/// proof when given; (status, JSON body, the `DPoP-Nonce` answered).
pub async fn post_form(
    url: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
    dpop: Option<&str>,
) -> (u16, Value, Option<String>) {
    let mut r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(url)
        .form(form);
    if let Some((id, secret)) = basic {
        r = r.basic_auth(id, Some(secret));
    }
    if let Some(p) = dpop {
        r = r.header("DPoP", p);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let nonce = r
        .headers()
        .get("dpop-nonce")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, r.json().await.unwrap_or_default(), nonce)
}
