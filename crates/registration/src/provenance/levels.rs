//! Reading the level of assurance out of the audit trail: which audit events set or change an
//! account's level, the structured detail of a level change (`level: AL1 -> AL2; reason: ...`)
//! written and read in one place, and the `key=value` words of a registration's detail.

use serde::Serialize;

/// The audit event of a level change that no registration event describes (an administrator's
/// or a source's decision). Its detail is [`change_detail`].
pub const LEVEL_CHANGED: &str = "account.level_changed";

/// A self-registration's account was made (detail `registry=<id> ... level=<n>`).
pub const REGISTERED: &str = "account.registered";
/// An LRA registered a person met on identity documents (detail `org=<id> level=AL<n> ...`).
pub const PERSON_REGISTERED: &str = "lra.person_registered";
/// An LRA registered an affiliate on a managed process (detail `org=<id> level=AL<n> member=..`).
pub const AFFILIATE_REGISTERED: &str = "lra.affiliate_registered";
/// An LRA registration found the person's account and recorded evidence for it (detail
/// `org=<id> ... level: AL<a> -> AL<b>`).
pub const EXISTING_FOUND: &str = "lra.existing_found";

/// Every event the level history and the sources read.
pub const EVENTS: &[&str] = &[
    REGISTERED,
    PERSON_REGISTERED,
    AFFILIATE_REGISTERED,
    EXISTING_FOUND,
    LEVEL_CHANGED,
];

/// Why an account's level was set or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LevelReason {
    /// Self-registration: the level of the registry that validated the identity.
    SelfRegistration {
        /// Registry id.
        registry: String,
    },
    /// Registered by an LRA of `organization` on identity documents.
    InPerson {
        /// Organization id.
        organization: String,
    },
    /// Registered on `organization`'s managed registration process, at its level.
    ManagedProcess {
        /// Organization id.
        organization: String,
    },
    /// The evidence an LRA of `organization` recorded for an existing account supports more.
    LraEvidence {
        /// Organization id.
        organization: String,
    },
    /// A change with its reason in words ([`LEVEL_CHANGED`]).
    Stated {
        /// The reason recorded.
        text: String,
    },
}

/// The detail of a [`LEVEL_CHANGED`] row: `level: AL<from> -> AL<to>; reason: <reason>`.
pub fn change_detail(from: i64, to: i64, reason: &str) -> String {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("level: AL{from} -> AL{to}; reason: {reason}")
}

/// A level written `AL2` or `2`.
fn level(s: &str) -> Option<i64> {
    s.trim().trim_start_matches("AL").parse().ok()
}

/// The value of word `key=value` in a detail (values have no spaces).
pub(crate) fn word<'a>(detail: &'a str, key: &str) -> Option<&'a str> {
    detail
        .split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
}

/// `(from, to)` of `level: AL<a> -> AL<b>` in a detail.
pub(crate) fn arrow(detail: &str) -> Option<(i64, i64)> {
    let rest = &detail[detail.find("level: ")? + "level: ".len()..];
    let (from, rest) = rest.split_once(" -> ")?;
    let to: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    Some((level(from)?, level(&to)?))
}

/// The level a registration event assigned (`level=`), if the detail names one.
pub(crate) fn assigned(detail: &str) -> Option<i64> {
    word(detail, "level").and_then(level)
}

/// What a row of [`EVENTS`] says of the level: (from, to, why). `None` when the row sets
/// nothing (an LRA's evidence that left the level as it was) or cannot be read.
pub(crate) fn read(event: &str, detail: &str) -> Option<(Option<i64>, i64, LevelReason)> {
    let org = || word(detail, "org").map(str::to_owned);
    match event {
        REGISTERED => Some((
            None,
            assigned(detail)?,
            LevelReason::SelfRegistration {
                registry: word(detail, "registry")?.to_owned(),
            },
        )),
        PERSON_REGISTERED => Some((
            None,
            assigned(detail)?,
            LevelReason::InPerson {
                organization: org()?,
            },
        )),
        AFFILIATE_REGISTERED => Some((
            None,
            assigned(detail)?,
            LevelReason::ManagedProcess {
                organization: org()?,
            },
        )),
        EXISTING_FOUND => {
            let (from, to) = arrow(detail)?;
            (from != to).then(|| {
                Some((
                    Some(from),
                    to,
                    LevelReason::LraEvidence {
                        organization: org()?,
                    },
                ))
            })?
        }
        LEVEL_CHANGED => {
            let (from, to) = arrow(detail)?;
            let text = detail
                .split_once("; reason: ")
                .map_or("", |(_, r)| r)
                .to_owned();
            Some((Some(from), to, LevelReason::Stated { text }))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_detail_reads_back() {
        let d = change_detail(2, 1, "registry  lowered\nto AL1");
        assert_eq!(d, "level: AL2 -> AL1; reason: registry lowered to AL1");
        assert_eq!(
            read(LEVEL_CHANGED, &d),
            Some((
                Some(2),
                1,
                LevelReason::Stated {
                    text: "registry lowered to AL1".into()
                }
            ))
        );
    }

    #[test]
    fn registration_details_as_written_read_back() {
        let d = "registry=cpso approval=limited member=m-1 college=CPSO number=1 level=2 \
                 consent=c agreement=a services=viewer";
        assert_eq!(
            read(REGISTERED, d),
            Some((
                None,
                2,
                LevelReason::SelfRegistration {
                    registry: "cpso".into()
                }
            ))
        );
        let d = "org=stmikes level=AL2 in_person=true second_check=false documents=x \
                 existing login_id=a@b sponsorship: none -> active level: AL1 -> AL2";
        assert_eq!(
            read(EXISTING_FOUND, d),
            Some((
                Some(1),
                2,
                LevelReason::LraEvidence {
                    organization: "stmikes".into()
                }
            ))
        );
        let same = d.replace("AL1 -> AL2", "AL2 -> AL2");
        assert_eq!(read(EXISTING_FOUND, &same), None, "no change");
        let d = "org=uhn level=AL2 member=E-1 scheme=\"employee number\" evidence=affiliation";
        assert_eq!(read(AFFILIATE_REGISTERED, d).map(|r| r.1), Some(2));
        assert_eq!(read(PERSON_REGISTERED, "org=x level=ALx"), None);
        assert_eq!(read("account.suspended", "level=2"), None);
    }
}
