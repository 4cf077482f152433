//! The acr ladder, as data: the account's level of assurance (1 to 3), each with a password
//! alone, with a second factor, or with a phishing-resistant authenticator (a passkey:
//! `urn:oneid:loa:2`, `urn:oneid:loa:2:mfa`, `urn:oneid:loa:2:phr`, ...). A rung meets another
//! when its level is at least as high and its authentication at least as strong (`phr` above
//! `mfa` above none). The sign-in steps up when a request asks for a rung that only a second
//! factor (or only a passkey) reaches, and refuses when an essential request asks for more
//! than the account's level.

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
    "urn:oneid:loa:1:phr",
    "urn:oneid:loa:2:phr",
    "urn:oneid:loa:3:phr",
];

/// How strongly the person was authenticated, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// A password alone.
    Password,
    /// A second factor (`:mfa`).
    Mfa,
    /// A phishing-resistant authenticator, a passkey (`:phr`), which is also two factors.
    Phr,
}

impl Strength {
    fn suffix(self) -> &'static str {
        match self {
            Strength::Password => "",
            Strength::Mfa => ":mfa",
            Strength::Phr => ":phr",
        }
    }

    /// What the methods of a sign-in (RFC 8176 `amr`) add up to: a verified passkey (`hwk` or
    /// `swk` with `mfa`) is phishing-resistant; `mfa` otherwise is a second factor.
    pub fn of(amr: &[String]) -> Strength {
        let has = |m: &str| amr.iter().any(|a| a == m);
        match (has("mfa"), has("hwk") || has("swk")) {
            (true, true) => Strength::Phr,
            (true, false) => Strength::Mfa,
            _ => Strength::Password,
        }
    }
}

/// Splits a ladder value into its level and strength.
fn split(acr: &str) -> Option<(i64, Strength)> {
    let rest = acr.strip_prefix(PREFIX)?;
    let (level, strength) = if let Some(l) = rest.strip_suffix(":phr") {
        (l, Strength::Phr)
    } else if let Some(l) = rest.strip_suffix(":mfa") {
        (l, Strength::Mfa)
    } else {
        (rest, Strength::Password)
    };
    let level = match level {
        "1" => 1,
        "2" => 2,
        "3" => 3,
        _ => return None,
    };
    Some((level, strength))
}

/// A rung of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rung {
    /// The level of assurance, 1 to 3.
    pub level: u8,
    /// How the person was authenticated.
    pub strength: Strength,
}

impl Rung {
    /// A ladder value, exactly as written on the ladder.
    pub fn parse(acr: &str) -> Option<Rung> {
        let (level, strength) = split(acr)?;
        Some(Rung {
            level: level as u8,
            strength,
        })
    }

    /// The ladder value.
    pub fn acr(self) -> String {
        format!("{PREFIX}{}{}", self.level, self.strength.suffix())
    }

    /// With at least a second factor.
    pub fn mfa(self) -> bool {
        self.strength >= Strength::Mfa
    }

    /// This rung is at least as strong as `other`.
    pub fn meets(self, other: Rung) -> bool {
        self.level >= other.level && self.strength >= other.strength
    }

    /// The strongest rung both meet.
    pub fn meet(self, other: Rung) -> Rung {
        Rung {
            level: self.level.min(other.level),
            strength: self.strength.min(other.strength),
        }
    }

    /// The weakest rungs strictly stronger than this one.
    pub fn above(self) -> Vec<Rung> {
        let mut v = Vec::new();
        let stronger = match self.strength {
            Strength::Password => Some(Strength::Mfa),
            Strength::Mfa => Some(Strength::Phr),
            Strength::Phr => None,
        };
        if let Some(strength) = stronger {
            v.push(Rung { strength, ..self });
        }
        if self.level < 3 {
            v.push(Rung {
                level: self.level + 1,
                ..self
            });
        }
        v
    }

    /// This rung, at least as strong as `at_least`.
    pub fn at_least(self, at_least: Strength) -> Rung {
        Rung {
            strength: self.strength.max(at_least),
            ..self
        }
    }
}

/// The `acr` for an account's level, with `:mfa` when stepped up.
pub fn acr_for(level: i64, mfa: bool) -> String {
    let strength = if mfa {
        Strength::Mfa
    } else {
        Strength::Password
    };
    acr_at(level, strength)
}

/// The `acr` for an account's level and a strength.
pub fn acr_at(level: i64, strength: Strength) -> String {
    format!("{PREFIX}{}{}", level.clamp(1, 3), strength.suffix())
}

/// The `acr` of a sign-in: the account's level and what its methods (`amr`) add up to.
pub fn acr_of(level: i64, amr: &[String]) -> String {
    acr_at(level, Strength::of(amr))
}

/// The level of assurance an `acr` value carries (1 when unreadable).
pub fn level_of(acr: &str) -> i64 {
    acr.strip_prefix(PREFIX)
        .and_then(|r| r.split(':').next())
        .and_then(|l| l.parse().ok())
        .unwrap_or(1)
}

/// The weakest strength at which an account of this level meets one of `requested` (in order
/// of preference); `None` when the request names nothing on the ladder this level reaches.
pub fn needed(requested: &[String], level: i64) -> Option<Strength> {
    if requested.is_empty() {
        return Some(Strength::Password);
    }
    [Strength::Password, Strength::Mfa, Strength::Phr]
        .into_iter()
        .find(|s| {
            let issued = acr_at(level, *s);
            requested.iter().any(|a| satisfies(&issued, a))
        })
}

/// `requested` (in order of preference) asks for a rung that this level reaches only with a
/// second factor (or only with a passkey).
pub fn wants_mfa(requested: &[String], level: i64) -> bool {
    needed(requested, level).is_some_and(|s| s >= Strength::Mfa)
}

/// `requested` asks for a rung that this level reaches only with a passkey.
pub fn wants_phr(requested: &[String], level: i64) -> bool {
    needed(requested, level) == Some(Strength::Phr)
}

/// An essential request for `requested` can never be met by an account of this level.
pub fn unreachable(requested: &[String], essential: bool, level: i64) -> bool {
    essential && !requested.is_empty() && needed(requested, level).is_none()
}

/// `issued` meets `requested` on the ladder: a level at least as high, and an authentication
/// at least as strong.
pub fn satisfies(issued: &str, requested: &str) -> bool {
    match (split(issued), split(requested)) {
        (Some((li, si)), Some((lr, sr))) => li >= lr && si >= sr,
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

    #[test]
    fn a_passkey_is_above_a_second_factor_on_every_level() {
        let ask = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(satisfies("urn:oneid:loa:2:phr", "urn:oneid:loa:2:mfa"));
        assert!(satisfies("urn:oneid:loa:2:phr", "urn:oneid:loa:1:phr"));
        assert!(!satisfies("urn:oneid:loa:3:mfa", "urn:oneid:loa:1:phr"));
        assert!(!satisfies("urn:oneid:loa:1:phr", "urn:oneid:loa:2"));
        // Asked for a passkey: the second factor is not enough, the passkey is.
        assert!(wants_phr(&ask(&["urn:oneid:loa:2:phr"]), 2));
        assert!(wants_mfa(&ask(&["urn:oneid:loa:2:phr"]), 2));
        assert!(!wants_phr(&ask(&["urn:oneid:loa:2:mfa"]), 2));
        assert!(!wants_phr(
            &ask(&["urn:oneid:loa:1:phr", "urn:oneid:loa:1"]),
            2
        ));
        assert!(!unreachable(&ask(&["urn:oneid:loa:2:phr"]), true, 2));
        assert!(unreachable(&ask(&["urn:oneid:loa:3:phr"]), true, 2));
        // What a sign-in's methods add up to.
        let amr = |v: &[&str]| ask(v);
        assert_eq!(
            acr_of(2, &amr(&["hwk", "user", "mfa"])),
            "urn:oneid:loa:2:phr"
        );
        assert_eq!(
            acr_of(2, &amr(&["pwd", "swk", "user", "mfa"])),
            "urn:oneid:loa:2:phr"
        );
        assert_eq!(
            acr_of(2, &amr(&["pwd", "sms", "mfa"])),
            "urn:oneid:loa:2:mfa"
        );
        // A key without verification is no second factor.
        assert_eq!(acr_of(1, &amr(&["pwd", "hwk"])), "urn:oneid:loa:1");
        let r = Rung::parse("urn:oneid:loa:2:mfa").unwrap();
        assert_eq!(
            r.above().iter().map(|r| r.acr()).collect::<Vec<_>>(),
            ["urn:oneid:loa:2:phr", "urn:oneid:loa:3:mfa"]
        );
    }
}
