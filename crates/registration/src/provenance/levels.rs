//! Reading the level of assurance out of the audit trail: which audit events set or change an
//! account's level, and what their details say (the `key=value` words of a registration, the
//! `level: AL<a> -> AL<b>; ...` of a change, as `crate::levels` and the LRA registration write
//! them).

use serde::Serialize;

/// A source's level changed and the account's followed (`crate::levels`; detail
/// `level: AL<a> -> AL<b>; registry <id> AL<o> -> AL<n>; <rule>[; sessions ended]`, or
/// `managed process of <id>` for an organization).
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
    /// The level of the registry or managed process that validated the account changed, and
    /// the account's followed it (004 §5.4.2, §6.4.2).
    SourceChanged {
        /// `registry` or `managed_process`.
        source_kind: String,
        /// Registry or organization id.
        source: String,
        /// The source's level before.
        source_from: i64,
        /// The source's level after.
        source_to: i64,
        /// What bounded the account's new level.
        rule: LevelRule,
        /// The account's sessions were ended (a lowered level).
        sessions_ended: bool,
    },
    /// A change with its reason in words, as recorded.
    Stated {
        /// The reason recorded.
        text: String,
    },
}

/// What bounded an account's level when its source's level changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LevelRule {
    /// Lowered no further than another live source on record gives.
    OtherSource {
        /// That level.
        level: i64,
    },
    /// Lowered: no other source gives more.
    NoOtherSource,
    /// Raised only as far as the LRA documents on record support.
    Evidence {
        /// That level.
        level: i64,
    },
    /// In words, as recorded.
    Text {
        /// The words.
        text: String,
    },
}

impl LevelRule {
    fn parse(s: &str) -> Self {
        if let Some(l) = s
            .strip_prefix("another source on record gives ")
            .and_then(level)
        {
            return Self::OtherSource { level: l };
        }
        if s == "no other source gives more" {
            return Self::NoOtherSource;
        }
        if let Some(l) = s
            .strip_prefix("the evidence on record supports ")
            .and_then(level)
        {
            return Self::Evidence { level: l };
        }
        Self::Text { text: s.to_owned() }
    }
}

/// `registry <id> AL<o> -> AL<n>` or `managed process of <id> AL<o> -> AL<n>`.
fn source_change(s: &str) -> Option<(&'static str, String, i64, i64)> {
    let (kind, rest) = if let Some(r) = s.strip_prefix("registry ") {
        ("registry", r)
    } else {
        ("managed_process", s.strip_prefix("managed process of ")?)
    };
    let (id, levels) = rest.split_once(' ')?;
    let (from, to) = levels.split_once(" -> ")?;
    Some((kind, id.to_owned(), level(from)?, level(to)?))
}

/// The reason of a [`LEVEL_CHANGED`] row from what follows its `level: ...;`.
fn change_reason(rest: &str) -> LevelReason {
    let parts: Vec<&str> = rest.split("; ").map(str::trim).collect();
    if let Some((kind, source, from, to)) = parts.first().and_then(|p| source_change(p)) {
        return LevelReason::SourceChanged {
            source_kind: kind.to_owned(),
            source,
            source_from: from,
            source_to: to,
            rule: LevelRule::parse(parts.get(1).copied().unwrap_or("")),
            sessions_ended: parts.contains(&"sessions ended"),
        };
    }
    LevelReason::Stated {
        text: rest.trim().to_owned(),
    }
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
            let rest = detail.split_once("; ").map_or("", |(_, r)| r);
            Some((Some(from), to, change_reason(rest)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_change_as_crate_levels_writes_it_reads_back() {
        let d = "level: AL2 -> AL1; registry cpso AL2 -> AL1; no other source gives more; \
                 sessions ended";
        assert_eq!(
            read(LEVEL_CHANGED, d),
            Some((
                Some(2),
                1,
                LevelReason::SourceChanged {
                    source_kind: "registry".into(),
                    source: "cpso".into(),
                    source_from: 2,
                    source_to: 1,
                    rule: LevelRule::NoOtherSource,
                    sessions_ended: true,
                }
            ))
        );
        let d = "level: AL1 -> AL2; managed process of uhn AL1 -> AL3; the evidence on record \
                 supports AL2";
        let Some((
            _,
            2,
            LevelReason::SourceChanged {
                source_kind,
                source,
                rule,
                sessions_ended,
                ..
            },
        )) = read(LEVEL_CHANGED, d)
        else {
            panic!("{d}");
        };
        assert_eq!(
            (source_kind.as_str(), source.as_str()),
            ("managed_process", "uhn")
        );
        assert_eq!(
            (rule, sessions_ended),
            (LevelRule::Evidence { level: 2 }, false)
        );
        let d = "level: AL2 -> AL1; registry x AL2 -> AL1; another source on record gives AL1";
        assert!(matches!(
            read(LEVEL_CHANGED, d),
            Some((
                _,
                _,
                LevelReason::SourceChanged {
                    rule: LevelRule::OtherSource { level: 1 },
                    ..
                }
            ))
        ));
        assert_eq!(
            read(LEVEL_CHANGED, "level: AL3 -> AL1; decided by the registrar"),
            Some((
                Some(3),
                1,
                LevelReason::Stated {
                    text: "decided by the registrar".into()
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
