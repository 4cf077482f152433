//! Registering a client: every field checked (its id, addresses, grants, scopes, algorithms,
//! credentials, sector), the secret generated when none is given, and one row stored.

use super::*;

impl ClientStore {
    /// Registers a client; returns it and, when the server generated one, its secret (shown
    /// once: only its digest is kept).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add(&self, n: NewClient) -> Result<(Client, Option<String>), ClientError> {
        let id = n.client_id.trim();
        if id.is_empty()
            || id.len() > 128
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
        {
            return Err(ClientError::Invalid(
                "client id must be 1-128 characters of A-Z a-z 0-9 - _ . :".into(),
            ));
        }
        if n.name.trim().is_empty() {
            return Err(ClientError::Invalid("name must not be empty".into()));
        }
        let grants = if n.grant_types.is_empty() {
            vec!["authorization_code".to_owned(), "refresh_token".to_owned()]
        } else {
            n.grant_types.clone()
        };
        for g in &grants {
            if !GRANT_TYPES.contains(&g.as_str()) {
                return Err(ClientError::Invalid(format!(
                    "unsupported grant type {g:?} (supported: {})",
                    GRANT_TYPES.join(", ")
                )));
            }
        }
        if n.public && grants.iter().any(|g| g == "client_credentials") {
            return Err(ClientError::Invalid(
                "a public client cannot use client_credentials".into(),
            ));
        }
        if n.public && n.secret.is_some() {
            return Err(ClientError::Invalid("a public client has no secret".into()));
        }
        if grants.iter().any(|g| g == "authorization_code") && n.redirect_uris.is_empty() {
            return Err(ClientError::Invalid(
                "the authorization_code grant needs at least one --redirect-uri".into(),
            ));
        }
        let signs_people_in = grants
            .iter()
            .any(|g| g == "authorization_code" || g == crate::oidc::device::GRANT_TYPE);
        if signs_people_in && n.service_id.is_none() {
            return Err(ClientError::Invalid(NEEDS_SERVICE.into()));
        }
        for u in n.redirect_uris.iter().chain(&n.post_logout_redirect_uris) {
            validate_redirect_uri(u).map_err(ClientError::Invalid)?;
        }
        let logout_uri = |u: &Option<String>| -> Result<Option<String>, ClientError> {
            match u.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(u) => validate_logout_uri(u)
                    .map(|()| Some(u.to_owned()))
                    .map_err(ClientError::Invalid),
            }
        };
        if let Some(sv) = &n.service_id {
            let found = sqlx::query("SELECT id FROM services WHERE id = $1")
                .bind(sv)
                .fetch_optional(self.db.pool())
                .await
                .map_err(DbError::from)?;
            if found.is_none() {
                return Err(ClientError::Invalid(format!("no such service {sv:?}")));
            }
        }
        let backchannel = logout_uri(&n.backchannel_logout_uri)?;
        let frontchannel = logout_uri(&n.frontchannel_logout_uri)?;
        let scopes = if n.scopes.is_empty() {
            SCOPES.iter().map(|s| (*s).to_owned()).collect()
        } else {
            n.scopes.clone()
        };
        for s in &scopes {
            if s.is_empty()
                || s.len() > 128
                || s.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\')
            {
                return Err(ClientError::Invalid(format!("invalid scope {s:?}")));
            }
            // A clinical scope (SMART) must be well formed to be registered.
            crate::smart_scopes::ClinicalScope::parse(s)
                .map_err(|e| ClientError::Invalid(e.to_string()))?;
        }
        let credentials::Credentials {
            jwks,
            jwks_uri,
            mtls,
            subject_dn,
        } = credentials::check(&n)?;
        let keyed = jwks.is_some() || jwks_uri.is_some();
        let (secret_hash, generated) = if n.public || keyed || mtls.is_some() {
            (None, None)
        } else if let Some(s) = &n.secret {
            if s.len() < 8 {
                return Err(ClientError::Invalid(
                    "a given secret must have at least 8 characters (omit --secret to have one generated)".into(),
                ));
            }
            (Some(sha256_b64(s.as_bytes())), None)
        } else {
            let s = platform::crypto::random_token(32);
            (Some(sha256_b64(s.as_bytes())), Some(s))
        };
        let alg = n.id_token_alg.unwrap_or(if n.fapi2 {
            SigAlg::PS256
        } else {
            SigAlg::RS256
        });
        let at_alg = n.access_token_alg.unwrap_or(SigAlg::ES256);
        if n.fapi2 {
            if !keyed && mtls.is_none() {
                return Err(ClientError::Invalid(
                    "a FAPI 2.0 client authenticates with private_key_jwt (register its keys, \
                     jwks or jwks_uri) or mutual TLS, not a secret"
                        .into(),
                ));
            }
            if n.redirect_uris.iter().any(|u| !u.starts_with("https://")) {
                return Err(ClientError::Invalid(
                    "a FAPI 2.0 client's redirect URIs are https".into(),
                ));
            }
            if !FAPI2_ALGS.contains(&alg.as_str()) || !FAPI2_ALGS.contains(&at_alg.as_str()) {
                return Err(ClientError::Invalid(
                    "a FAPI 2.0 client's tokens are signed with PS256, ES256 or EdDSA".into(),
                ));
            }
        }
        let sector_uri = n
            .sector_identifier_uri
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if sector_uri.is_some() && !n.pairwise {
            return Err(ClientError::Invalid(
                "a sector_identifier_uri is for a pairwise client".into(),
            ));
        }
        let sector = if n.pairwise {
            let http = self.http.clone();
            let s = crate::subjects::sector_of(sector_uri, &n.redirect_uris, |u| async move {
                crate::subjects::fetch_sector_document(&http, u).await
            })
            .await
            .map_err(ClientError::Invalid)?;
            Some(s)
        } else {
            None
        };
        let now = self.clock.now();
        let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let r = sqlx::query(
            "INSERT INTO clients (client_id, name, secret_hash, redirect_uris, \
             post_logout_redirect_uris, grant_types, scopes, id_token_alg, access_token_alg, \
             require_mfa, backchannel_logout_uri, frontchannel_logout_uri, created_at, \
             updated_at, service_id, require_par, jwks, jwks_uri, require_dpop, fapi2, \
             require_signed_request_object, subject_type, sector, sector_identifier_uri, \
             tls_client_auth, tls_client_auth_subject_dn, require_phishing_resistant, \
             third_party) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $12, $13, $10, $10, $14, $15, $16, \
             $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)",
        )
        .bind(id)
        .bind(n.name.trim())
        .bind(secret_hash.as_deref())
        .bind(json(&n.redirect_uris))
        .bind(json(&n.post_logout_redirect_uris))
        .bind(json(&grants))
        .bind(json(&scopes))
        .bind(alg.as_str())
        .bind(at_alg.as_str())
        .bind(now)
        .bind(i64::from(n.require_mfa))
        .bind(backchannel.as_deref())
        .bind(frontchannel.as_deref())
        .bind(n.service_id.as_deref())
        .bind(i64::from(n.require_par))
        .bind(jwks.as_deref())
        .bind(jwks_uri.as_deref())
        .bind(i64::from(n.require_dpop))
        .bind(i64::from(n.fapi2))
        .bind(i64::from(n.require_signed_request_object))
        .bind(if sector.is_some() {
            "pairwise"
        } else {
            "public"
        })
        .bind(sector.as_deref())
        .bind(sector_uri)
        .bind(mtls)
        .bind(subject_dn.as_deref())
        .bind(i64::from(n.require_phishing_resistant))
        .bind(i64::from(n.third_party))
        .execute(self.db.pool())
        .await
        .map_err(DbError::from);
        match r {
            Err(e) if e.is_unique_violation() => return Err(ClientError::Exists),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        self.forget(id);
        self.algorithms_may_have_changed().await;
        let client = self
            .get(id)
            .await?
            .ok_or_else(|| ClientError::Invalid("client vanished".into()))?;
        Ok((Client::clone(&client), generated))
    }
}
