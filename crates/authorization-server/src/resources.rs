//! Resource servers: the APIs and FHIR servers an access token can be for. Each has an
//! audience (its base URL: what a client names with RFC 8707's `resource` or SMART's `aud`,
//! and what the token's `aud` then says) and the scopes it accepts, SMART clinical scopes
//! among them. A client is allowed some resource servers, each with a subset of their scopes
//! ([`ClientResource`]); what it asks for a resource server is granted as that subset covers
//! it (see [`grant`]).

use crate::smart_scopes::{self, ClinicalScope};
use platform::{Db, DbError, SharedClock};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A registered resource server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceServer {
    /// Short identifier.
    pub id: String,
    /// Display name (shown on the consent page).
    pub name: String,
    /// Its audience: the base URL clients name and tokens carry.
    pub audience: String,
    /// The scopes it accepts.
    pub scopes: Vec<String>,
    /// Registered, unix seconds.
    pub created_at: i64,
}

/// A resource server a client may get tokens for, with the scopes it may get there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ClientResource {
    /// The resource server.
    pub resource_id: String,
    /// Its audience.
    pub audience: String,
    /// The client's scopes there (each covered by one the server accepts).
    pub scopes: Vec<String>,
}

/// Why a registration is refused, or storage failed.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// A field is not acceptable; the text says which and why.
    #[error("{0}")]
    Invalid(String),
    /// No such resource server or client.
    #[error("{0}")]
    NotFound(String),
    /// The id or audience is taken.
    #[error("a resource server with this id or audience already exists")]
    Exists,
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ResourceError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(d) = &e {
            if d.is_unique_violation() {
                return Self::Exists;
            }
        }
        Self::Db(e.into())
    }
}

/// A resource server to register.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewResourceServer {
    /// Short identifier (1-64 of A-Z a-z 0-9 - _ .).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Base URL: https (http only on loopback), no query or fragment.
    pub audience: String,
    /// The scopes it accepts.
    pub scopes: Vec<String>,
}

/// Checks an audience: an absolute https URL (http only on loopback), no query or fragment.
pub fn validate_audience(a: &str) -> Result<(), String> {
    let u = url::Url::parse(a)
        .map_err(|_| format!("audience {a:?} is not an absolute URL (the server's base URL)"))?;
    if u.fragment().is_some() || u.query().is_some() || a.len() > 2048 {
        return Err(format!(
            "audience {a:?} must be a base URL, without a query or fragment"
        ));
    }
    match (u.scheme(), u.host_str()) {
        ("https", Some(_)) => Ok(()),
        ("http", Some("localhost" | "127.0.0.1" | "[::1]")) => Ok(()),
        _ => Err(format!(
            "audience {a:?} must use https (plain http only on loopback)"
        )),
    }
}

/// Checks a scope as a resource server may accept it: a well-formed SMART clinical scope, or
/// a plain scope token (RFC 6749 §3.3), never one of the provider's own (`openid`...).
pub fn validate_scope(s: &str) -> Result<(), String> {
    if ClinicalScope::parse(s)
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(());
    }
    let plain = !s.is_empty()
        && s.len() <= 200
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
    if !plain {
        return Err(format!("scope {s:?} is not a scope token"));
    }
    const OWN: &[&str] = &[
        "openid",
        "profile",
        "email",
        "phone",
        "offline_access",
        "online_access",
        "clinician",
        "fhirUser",
        "launch",
        "launch/patient",
        "launch/encounter",
    ];
    if OWN.contains(&s) || s.starts_with("oneid:") {
        return Err(format!(
            "scope {s:?} is the provider's own, not a resource server's"
        ));
    }
    Ok(())
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

fn from_row(r: &AnyRow) -> Result<ResourceServer, sqlx::Error> {
    Ok(ResourceServer {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        audience: r.try_get("audience")?,
        scopes: words(&r.try_get::<String, _>("scopes")?),
        created_at: r.try_get("created_at")?,
    })
}

/// The most resource servers listed (a province has tens).
pub const LIST_MAX: i64 = 1000;

/// The resource server registry.
#[derive(Debug, Clone)]
pub struct ResourceStore {
    db: Db,
    clock: SharedClock,
}

impl ResourceStore {
    /// The registry in `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    /// Registers a resource server.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add(&self, n: NewResourceServer) -> Result<ResourceServer, ResourceError> {
        let id = n.id.trim();
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(ResourceError::Invalid(
                "id must be 1-64 characters of A-Z a-z 0-9 - _ .".into(),
            ));
        }
        let name = n.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ResourceError::Invalid(
                "name must be 1-200 characters".into(),
            ));
        }
        let audience = n.audience.trim();
        validate_audience(audience).map_err(ResourceError::Invalid)?;
        let mut scopes: Vec<String> = Vec::new();
        for s in n.scopes.iter().flat_map(|s| s.split_whitespace()) {
            validate_scope(s).map_err(ResourceError::Invalid)?;
            if !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_owned());
            }
        }
        if scopes.is_empty() {
            return Err(ResourceError::Invalid(
                "a resource server accepts at least one scope".into(),
            ));
        }
        let rs = ResourceServer {
            id: id.to_owned(),
            name: name.to_owned(),
            audience: audience.to_owned(),
            scopes,
            created_at: self.clock.now(),
        };
        sqlx::query(
            "INSERT INTO resource_servers (id, name, audience, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&rs.id)
        .bind(&rs.name)
        .bind(&rs.audience)
        .bind(rs.scopes.join(" "))
        .bind(rs.created_at)
        .execute(self.db.pool())
        .await?;
        Ok(rs)
    }

    /// The resource server `id`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get(&self, id: &str) -> Result<Option<ResourceServer>, ResourceError> {
        let row = sqlx::query(
            "SELECT id, name, audience, scopes, created_at FROM resource_servers WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// The resource server whose audience is `audience`, exactly.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn by_audience(
        &self,
        audience: &str,
    ) -> Result<Option<ResourceServer>, ResourceError> {
        let row = sqlx::query(
            "SELECT id, name, audience, scopes, created_at FROM resource_servers \
             WHERE audience = $1",
        )
        .bind(audience)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// Every resource server, by id (at most [`LIST_MAX`]).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list(&self) -> Result<Vec<ResourceServer>, ResourceError> {
        let rows = sqlx::query(
            "SELECT id, name, audience, scopes, created_at FROM resource_servers \
             ORDER BY id LIMIT $1",
        )
        .bind(LIST_MAX)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Removes a resource server and every client's permission for it, in one transaction;
    /// false if there was none. Tokens already issued for it run out.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn remove(&self, id: &str) -> Result<bool, ResourceError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query("DELETE FROM client_resources WHERE resource_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let r = sqlx::query("DELETE FROM resource_servers WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// Allows `client_id` tokens for resource server `resource_id` with `scopes` (empty: every
    /// scope the server accepts); each must be covered by a scope the server accepts. Replaces
    /// what the client was allowed there before.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn allow(
        &self,
        client_id: &str,
        resource_id: &str,
        scopes: &[String],
    ) -> Result<ClientResource, ResourceError> {
        let rs = self.get(resource_id).await?.ok_or_else(|| {
            ResourceError::NotFound(format!("no resource server {resource_id:?}"))
        })?;
        let mut subset: Vec<String> = Vec::new();
        for s in scopes.iter().flat_map(|s| s.split_whitespace()) {
            let covered = smart_scopes::allowed(&rs.scopes, s)
                .map_err(|e| ResourceError::Invalid(e.to_string()))?;
            if !covered {
                return Err(ResourceError::Invalid(format!(
                    "scope {s:?} is not one {} accepts (it accepts: {})",
                    rs.id,
                    rs.scopes.join(" ")
                )));
            }
            if !subset.iter().any(|x| x == s) {
                subset.push(s.to_owned());
            }
        }
        if subset.is_empty() {
            subset = rs.scopes.clone();
        }
        let exists: Option<(String,)> =
            sqlx::query_as("SELECT client_id FROM clients WHERE client_id = $1")
                .bind(client_id)
                .fetch_optional(self.db.pool())
                .await?;
        if exists.is_none() {
            return Err(ResourceError::NotFound(format!("no client {client_id:?}")));
        }
        let mut tx = self.db.pool().begin().await?;
        sqlx::query("DELETE FROM client_resources WHERE client_id = $1 AND resource_id = $2")
            .bind(client_id)
            .bind(resource_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO client_resources (client_id, resource_id, scopes) VALUES ($1, $2, $3)",
        )
        .bind(client_id)
        .bind(resource_id)
        .bind(subset.join(" "))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ClientResource {
            resource_id: rs.id,
            audience: rs.audience,
            scopes: subset,
        })
    }

    /// Takes back `client_id`'s permission for `resource_id`; false if it had none.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn disallow(
        &self,
        client_id: &str,
        resource_id: &str,
    ) -> Result<bool, ResourceError> {
        let r =
            sqlx::query("DELETE FROM client_resources WHERE client_id = $1 AND resource_id = $2")
                .bind(client_id)
                .bind(resource_id)
                .execute(self.db.pool())
                .await?;
        Ok(r.rows_affected() == 1)
    }
}

/// The resource servers `client_id` may get tokens for, by id (read with the client, which
/// the client registry caches).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_client(db: &Db, client_id: &str) -> Result<Vec<ClientResource>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.resource_id, r.audience, c.scopes FROM client_resources c \
         JOIN resource_servers r ON r.id = c.resource_id WHERE c.client_id = $1 \
         ORDER BY c.resource_id",
    )
    .bind(client_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ClientResource {
                resource_id: r.try_get("resource_id")?,
                audience: r.try_get("audience")?,
                scopes: words(&r.try_get::<String, _>("scopes")?),
            })
        })
        .collect()
}

/// The resource servers of every client whose id is between `first` and `last` (a page of
/// clients, read by id): one range read through `client_resources`' primary key, by client.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_clients_between(
    db: &Db,
    first: &str,
    last: &str,
) -> Result<std::collections::HashMap<String, Vec<ClientResource>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.client_id, c.resource_id, r.audience, c.scopes FROM client_resources c \
         JOIN resource_servers r ON r.id = c.resource_id \
         WHERE c.client_id >= $1 AND c.client_id <= $2 ORDER BY c.client_id, c.resource_id",
    )
    .bind(first)
    .bind(last)
    .fetch_all(db.pool())
    .await?;
    let mut by_client: std::collections::HashMap<String, Vec<ClientResource>> =
        std::collections::HashMap::new();
    for r in &rows {
        by_client
            .entry(r.try_get("client_id")?)
            .or_default()
            .push(ClientResource {
                resource_id: r.try_get("resource_id")?,
                audience: r.try_get("audience")?,
                scopes: words(&r.try_get::<String, _>("scopes")?),
            });
    }
    Ok(by_client)
}

/// Why a request's target is refused: RFC 8707's `invalid_target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTarget(pub &'static str);

/// The resource server a request is for: the one it names (`resource` or `aud`, which must
/// agree), else the client's only one when it asks a scope of it; `None` when the request is
/// for no resource server (the client's own scopes then apply, as written). `asked` are the
/// request's scopes.
pub fn target<'a>(
    allowed: &'a [ClientResource],
    resource: Option<&str>,
    aud: Option<&str>,
    asked: &[&str],
) -> Result<Option<&'a ClientResource>, InvalidTarget> {
    let named = match (resource, aud) {
        (Some(r), Some(a)) if r != a => {
            return Err(InvalidTarget(
                "resource and aud name different resource servers",
            ))
        }
        (Some(r), _) => Some(r),
        (None, a) => a,
    };
    if let Some(n) = named {
        return allowed
            .iter()
            .find(|c| c.audience == n)
            .map(Some)
            .ok_or(InvalidTarget(
                "the resource is not a resource server this client may get tokens for",
            ));
    }
    let theirs: Vec<&ClientResource> = allowed
        .iter()
        .filter(|c| asked.iter().any(|s| is_resource_scope(c, s)))
        .collect();
    match theirs.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(InvalidTarget(
            "this client may get tokens for several resource servers: name one (resource or aud)",
        )),
    }
}

/// What a client allowed `allowed` there is granted of `asked` (one requested scope): `asked`
/// itself when one of its scopes covers it (a clinical scope) or is it (any other); for a
/// clinical scope wider than what it may have, the client's scopes it covers (narrowed);
/// nothing otherwise.
pub fn grant(allowed: &ClientResource, asked: &str) -> Vec<String> {
    match ClinicalScope::parse(asked) {
        Ok(Some(a)) => {
            if smart_scopes::allowed(&allowed.scopes, asked).unwrap_or(false) {
                return vec![asked.to_owned()];
            }
            allowed
                .scopes
                .iter()
                .filter(|s| {
                    ClinicalScope::parse(s)
                        .ok()
                        .flatten()
                        .is_some_and(|c| a.covers(&c))
                })
                .cloned()
                .collect()
        }
        Ok(None) => allowed
            .scopes
            .iter()
            .filter(|s| *s == asked)
            .cloned()
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Whether `asked` is a scope of resource server access (clinical, or one of `allowed`'s).
pub fn is_resource_scope(allowed: &ClientResource, asked: &str) -> bool {
    matches!(ClinicalScope::parse(asked), Ok(Some(_))) || allowed.scopes.iter().any(|s| s == asked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cr(aud: &str, scopes: &[&str]) -> ClientResource {
        ClientResource {
            resource_id: aud.trim_start_matches("https://").into(),
            audience: aud.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_wider_clinical_scope_is_narrowed_to_what_the_client_may_have() {
        let a = cr(
            "https://fhir.example",
            &["patient/Observation.rs", "patient/Patient.r", "api:read"],
        );
        assert_eq!(
            grant(&a, "patient/Observation.rs"),
            ["patient/Observation.rs"]
        );
        assert_eq!(
            grant(&a, "patient/Observation.r?category=laboratory"),
            ["patient/Observation.r?category=laboratory"]
        );
        assert_eq!(
            grant(&a, "patient/*.rs"),
            ["patient/Observation.rs", "patient/Patient.r"]
        );
        assert_eq!(grant(&a, "patient/*.read"), grant(&a, "patient/*.rs"));
        assert!(grant(&a, "patient/Observation.cruds").contains(&"patient/Observation.rs".into()));
        assert!(grant(&a, "user/*.rs").is_empty());
        assert!(grant(&a, "patient/Condition.rs").is_empty());
        assert_eq!(grant(&a, "api:read"), ["api:read"]);
        assert!(grant(&a, "api:write").is_empty());
    }

    #[test]
    fn the_target_is_the_one_named_or_the_only_one_asked_for() {
        let list = [
            cr("https://fhir.example", &["patient/*.rs"]),
            cr("https://labs.example", &["labs:read"]),
        ];
        let t = |r: Option<&str>, a: Option<&str>, s: &[&str]| {
            target(&list, r, a, s).map(|o| o.map(|c| c.audience.clone()))
        };
        assert_eq!(
            t(Some("https://labs.example"), None, &["openid"]),
            Ok(Some("https://labs.example".into()))
        );
        assert_eq!(
            t(None, Some("https://fhir.example"), &[]),
            Ok(Some("https://fhir.example".into()))
        );
        assert!(t(
            Some("https://fhir.example"),
            Some("https://labs.example"),
            &[]
        )
        .is_err());
        assert!(t(Some("https://other.example"), None, &[]).is_err());
        assert!(
            t(Some("https://fhir.example/"), None, &[]).is_err(),
            "exact"
        );
        assert_eq!(
            t(None, None, &["openid", "labs:read"]),
            Ok(Some("https://labs.example".into()))
        );
        assert_eq!(t(None, None, &["openid", "profile"]), Ok(None));
        // A clinical scope with two servers to choose from must name one.
        assert!(t(None, None, &["patient/Observation.rs"]).is_err());
        let one = [cr("https://fhir.example", &["patient/*.rs"])];
        assert_eq!(
            target(&one, None, None, &["patient/Observation.rs"]).map(|o| o.is_some()),
            Ok(true)
        );
    }

    #[test]
    fn audiences_and_scopes_are_checked_at_registration() {
        assert!(validate_audience("https://fhir.example/r4").is_ok());
        assert!(validate_audience("http://localhost:8080/fhir").is_ok());
        assert!(validate_audience("http://fhir.example").is_err());
        assert!(validate_audience("https://fhir.example/r4?x=1").is_err());
        assert!(validate_audience("https://fhir.example/#f").is_err());
        assert!(validate_audience("fhir").is_err());
        assert!(validate_scope("patient/Observation.rs").is_ok());
        assert!(validate_scope("api:read").is_ok());
        assert!(validate_scope("patient/Nope.rs").is_err());
        assert!(validate_scope("openid").is_err());
        assert!(validate_scope("oneid:admin").is_err());
        assert!(validate_scope("a\"b").is_err());
    }
}
