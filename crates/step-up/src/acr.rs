//! The acr ladder, as data: the account's level of assurance (1 to 3), each with or without a
//! second factor (`urn:oneid:loa:2`, `urn:oneid:loa:2:mfa`, ...). A rung meets another when its
//! level is at least as high and it has the second factor whenever the other does. The sign-in
//! steps up when a request asks for a rung that only the second factor reaches, and refuses
//! when an essential request asks for more than the account's level.

/// The prefix of every value on the ladder.
pub const PREFIX: &str = "urn:oneid:loa:";

/// The `acr` values the provider issues (published in discovery).
pub const ACR_VALUES: &[&str] = &[
    "urn:oneid:loa:1",
    "urn:oneid:loa:2",
    "urn:oneid:loa:3",
    "urn:oneid:loa:1:mfa",
    "urn:oneid:loa:2:mfa",
    "urn:oneid:loa:3:mfa",
];

/// A rung of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rung {
    /// The level of assurance, 1 to 3.
    pub level: u8,
    /// Stepped up with a second factor.
    pub mfa: bool,
}

impl Rung {
    /// A ladder value, exactly as written on the ladder.
    pub fn parse(acr: &str) -> Option<Rung> {
        let rest = acr.strip_prefix("urn:oneid:loa:")?;
        let (level, mfa) = match rest.strip_suffix(":mfa") {
            Some(l) => (l, true),
            None => (rest, false),
        };
        let level = match level {
            "1" => 1,
            "2" => 2,
            "3" => 3,
            _ => return None,
        };
        Some(Rung { level, mfa })
    }

    /// The ladder value.
    pub fn acr(self) -> String {
        if self.mfa {
            format!("urn:oneid:loa:{}:mfa", self.level)
        } else {
            format!("urn:oneid:loa:{}", self.level)
        }
    }

    /// This rung is at least as strong as `other`.
    pub fn meets(self, other: Rung) -> bool {
        self.level >= other.level && (self.mfa || !other.mfa)
    }

    /// The strongest rung both meet.
    pub fn meet(self, other: Rung) -> Rung {
        Rung {
            level: self.level.min(other.level),
            mfa: self.mfa && other.mfa,
        }
    }

    /// The weakest rungs strictly stronger than this one.
    pub fn above(self) -> Vec<Rung> {
        let mut v = Vec::new();
        if !self.mfa {
            v.push(Rung { mfa: true, ..self });
        }
        if self.level < 3 {
            v.push(Rung {
                level: self.level + 1,
                ..self
            });
        }
        v
    }

    /// This rung, with the second factor when `require`.
    pub fn with_mfa(self, require: bool) -> Rung {
        Rung {
            mfa: self.mfa || require,
            ..self
        }
    }
}

/// The `acr` for an account's level, with `:mfa` when stepped up.
pub fn acr_for(level: i64, mfa: bool) -> String {
    format!(
        "urn:oneid:loa:{}{}",
        level.clamp(1, 3),
        if mfa { ":mfa" } else { "" }
    )
}

/// The level of assurance an `acr` value carries (1 when unreadable).
pub fn level_of(acr: &str) -> i64 {
    acr.strip_prefix(PREFIX)
        .and_then(|r| r.split(':').next())
        .and_then(|l| l.parse().ok())
        .unwrap_or(1)
}

/// `requested` (in order of preference) asks for a rung that this level reaches only with a
/// second factor.
pub fn wants_mfa(requested: &[String], level: i64) -> bool {
    let plain = acr_for(level, false);
    let mfa = acr_for(level, true);
    !requested.is_empty()
        && !requested.iter().any(|a| satisfies(&plain, a))
        && requested.iter().any(|a| satisfies(&mfa, a))
}

/// An essential request for `requested` can never be met by an account of this level.
pub fn unreachable(requested: &[String], essential: bool, level: i64) -> bool {
    let best = acr_for(level, true);
    essential && !requested.is_empty() && !requested.iter().any(|a| satisfies(&best, a))
}

/// `issued` meets `requested` on the ladder: a level at least as high, and multi-factor when
/// asked for.
pub fn satisfies(issued: &str, requested: &str) -> bool {
    let parse = |a: &str| -> Option<(i64, bool)> {
        let rest = a.strip_prefix(PREFIX)?;
        let (lvl, mfa) = match rest.strip_suffix(":mfa") {
            Some(l) => (l, true),
            None => (rest, false),
        };
        Some((lvl.parse().ok()?, mfa))
    };
    match (parse(issued), parse(requested)) {
        (Some((li, mi)), Some((lr, mr))) => li >= lr && (mi || !mr),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_orders_levels_and_the_second_factor() {
        assert!(satisfies("urn:oneid:loa:2:mfa", "urn:oneid:loa:2"));
        assert!(satisfies("urn:oneid:loa:3", "urn:oneid:loa:2"));
        assert!(!satisfies("urn:oneid:loa:3", "urn:oneid:loa:2:mfa"));
        assert!(!satisfies("urn:oneid:loa:1:mfa", "urn:oneid:loa:2"));
        assert!(!satisfies("urn:oneid:loa:2", "something-else"));
        assert_eq!(acr_for(9, true), "urn:oneid:loa:3:mfa");
        assert_eq!(level_of("urn:oneid:loa:2:mfa"), 2);
        assert_eq!(level_of("nonsense"), 1);
        for v in ACR_VALUES {
            assert!(Rung::parse(v).is_some_and(|r| r.acr() == *v));
        }
    }

    #[test]
    fn a_request_steps_up_or_is_unreachable_by_the_level() {
        let ask = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(wants_mfa(&ask(&["urn:oneid:loa:2:mfa"]), 2));
        assert!(!wants_mfa(
            &ask(&["urn:oneid:loa:2:mfa", "urn:oneid:loa:1"]),
            2
        ));
        assert!(!wants_mfa(&ask(&[]), 2));
        assert!(unreachable(&ask(&["urn:oneid:loa:3"]), true, 2));
        assert!(!unreachable(&ask(&["urn:oneid:loa:3"]), false, 2));
        assert!(!unreachable(&ask(&["urn:oneid:loa:2:mfa"]), true, 2));
    }
}
