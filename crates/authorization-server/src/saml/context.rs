//! A request's `RequestedAuthnContext` (SAML core §3.3.2.2.1) on the acr ladder: which class
//! references the IdP knows, what the session must reach (for the step-up and the checks),
//! and the class reference the assertion states.
//!
//! Known references are the ladder's own values, exactly (`urn:oneid:loa:1..3`, each alone,
//! with `:mfa` or with `:phr`; nothing else under `urn:oneid:loa:` is a rung), and a few
//! common classes that stand for a rung. The ladder is a partial order: a rung meets another
//! when its level is at least as high and its authentication at least as strong. An SP
//! registered with multi-factor (or with phishing resistance) has that strength added to
//! everything it asks, at the level asked.

use step_up::acr::{Rung, Strength};

/// The rung an authentication context class stands for; `None` when the IdP does not know it.
fn rung_of(class_ref: &str) -> Option<Rung> {
    const PASSWORD: &[&str] = &[
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
    ];
    const MFA: &[&str] = &[
        "https://refeds.org/profile/mfa",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken",
    ];
    if PASSWORD.contains(&class_ref) {
        return Some(Rung {
            level: 1,
            strength: Strength::Password,
        });
    }
    if MFA.contains(&class_ref) {
        return Some(Rung {
            level: 1,
            strength: Strength::Mfa,
        });
    }
    Rung::parse(class_ref)
}

/// The known class references of a request with their rungs.
fn known(class_refs: &[String]) -> Vec<(&str, Rung)> {
    class_refs
        .iter()
        .filter_map(|c| rung_of(c).map(|r| (c.as_str(), r)))
        .collect()
}

/// The acr values the session must reach, any one of them (empty: anything will do); `None`
/// when nothing can satisfy the request (no class asked for is known, or nothing is better
/// than what was asked for).
pub fn need(comparison: &str, class_refs: &[String], require: Strength) -> Option<Vec<String>> {
    let refs = known(class_refs);
    if !class_refs.is_empty() && refs.is_empty() {
        return None;
    }
    let floor = || {
        if require > Strength::Password {
            vec![Rung {
                level: 1,
                strength: require,
            }]
        } else {
            Vec::new()
        }
    };
    let mut rungs: Vec<Rung> = if refs.is_empty() {
        floor()
    } else {
        match comparison {
            // Stronger than one of them: the rungs just above it.
            "better" => {
                let above: Vec<Rung> = refs.iter().flat_map(|(_, r)| r.above()).collect();
                if above.is_empty() {
                    return None;
                }
                above
            }
            // At most one of them: any session will do (the statement is brought down).
            "maximum" => floor(),
            // exact, minimum: at least one of them.
            _ => refs.iter().map(|(_, r)| *r).collect(),
        }
    };
    for r in &mut rungs {
        *r = r.at_least(require);
    }
    let mut out: Vec<String> = Vec::new();
    for a in rungs.into_iter().map(Rung::acr) {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Some(out)
}

/// The class reference the assertion states for a session at `session_acr`, or `None` when
/// the session does not satisfy the request.
///
/// - nothing asked for, `minimum`, `better`: the session's own acr;
/// - `exact`: the first class asked for that the session meets, as the SP wrote it;
/// - `maximum`: the strongest rung the session meets without exceeding a class asked for
///   (that class as the SP wrote it when it is exactly that rung).
pub fn statement(
    comparison: &str,
    class_refs: &[String],
    require: Strength,
    session_acr: &str,
) -> Option<String> {
    let want = need(comparison, class_refs, require)?;
    if class_refs.is_empty() && want.is_empty() {
        return Some(session_acr.to_owned());
    }
    let session = Rung::parse(session_acr)?;
    let met = |r: Rung| session.meets(r);
    if !want.is_empty() && !want.iter().filter_map(|a| Rung::parse(a)).any(met) {
        return None;
    }
    let refs = known(class_refs);
    match comparison {
        "exact" if !refs.is_empty() => refs
            .iter()
            .find(|(_, r)| met(r.at_least(require)))
            .map(|(c, _)| (*c).to_owned()),
        "maximum" if !refs.is_empty() => refs
            .iter()
            .map(|(c, r)| {
                let m = session.meet(r.at_least(require));
                (m, if m == *r { Some(*c) } else { None })
            })
            .max_by_key(|(m, _)| *m)
            .map(|(m, c)| c.map_or_else(|| m.acr(), str::to_owned)),
        _ => Some(session.acr()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PPT: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
    const REFEDS_MFA: &str = "https://refeds.org/profile/mfa";

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    fn st(cmp: &str, refs: &[&str], mfa: bool, session: &str) -> Option<String> {
        let require = if mfa {
            Strength::Mfa
        } else {
            Strength::Password
        };
        statement(cmp, &v(refs), require, session)
    }

    #[test]
    fn only_the_ladder_values_themselves_are_rungs() {
        for ok in [
            "urn:oneid:loa:1",
            "urn:oneid:loa:2",
            "urn:oneid:loa:3",
            "urn:oneid:loa:1:mfa",
            "urn:oneid:loa:3:mfa",
        ] {
            assert_eq!(Rung::parse(ok).map(Rung::acr).as_deref(), Some(ok));
        }
        for bad in [
            "urn:oneid:loa:-1",
            "urn:oneid:loa:0",
            "urn:oneid:loa:4",
            "urn:oneid:loa:01",
            "urn:oneid:loa:+2",
            "urn:oneid:loa:2:MFA",
            "urn:oneid:loa:2:mfa:mfa",
            "urn:oneid:loa:",
            "urn:oneid:loa:2 ",
        ] {
            assert_eq!(Rung::parse(bad), None, "{bad}");
            // Unknown to the IdP: NoAuthnContext, never echoed back.
            assert_eq!(need("exact", &v(&[bad]), Strength::Password), None, "{bad}");
            assert_eq!(st("minimum", &[bad], false, "urn:oneid:loa:3:mfa"), None);
        }
    }

    #[test]
    fn exact_names_back_the_class_asked_for_that_the_session_meets() {
        assert_eq!(
            st("exact", &[], false, "urn:oneid:loa:2").as_deref(),
            Some("urn:oneid:loa:2")
        );
        assert_eq!(
            st("exact", &[PPT], false, "urn:oneid:loa:2").as_deref(),
            Some(PPT)
        );
        assert_eq!(st("exact", &[REFEDS_MFA], false, "urn:oneid:loa:1"), None);
        assert_eq!(
            st("exact", &["urn:x:unknown", PPT], false, "urn:oneid:loa:1").as_deref(),
            Some(PPT)
        );
    }

    #[test]
    fn minimum_states_the_session_and_refuses_a_lower_one() {
        assert_eq!(
            st("minimum", &["urn:oneid:loa:2"], false, "urn:oneid:loa:3").as_deref(),
            Some("urn:oneid:loa:3")
        );
        assert_eq!(
            st("minimum", &["urn:oneid:loa:3"], false, "urn:oneid:loa:2"),
            None
        );
    }

    #[test]
    fn the_sps_multi_factor_rule_keeps_the_level_asked_for() {
        // The level asked for stays; only the second factor is added.
        assert_eq!(
            need("exact", &v(&["urn:oneid:loa:2"]), Strength::Mfa),
            Some(v(&["urn:oneid:loa:2:mfa"]))
        );
        assert_eq!(
            need("minimum", &v(&["urn:oneid:loa:3", PPT]), Strength::Mfa),
            Some(v(&["urn:oneid:loa:3:mfa", "urn:oneid:loa:1:mfa"]))
        );
        assert_eq!(
            need("exact", &[], Strength::Mfa),
            Some(v(&["urn:oneid:loa:1:mfa"]))
        );
        // A level-1 multi-factor session does not pass for level 2.
        assert_eq!(
            st("exact", &["urn:oneid:loa:2"], true, "urn:oneid:loa:1:mfa"),
            None
        );
        assert_eq!(
            st("exact", &["urn:oneid:loa:2"], true, "urn:oneid:loa:2").as_deref(),
            None
        );
        assert_eq!(
            st("exact", &["urn:oneid:loa:2"], true, "urn:oneid:loa:2:mfa").as_deref(),
            Some("urn:oneid:loa:2")
        );
    }

    #[test]
    fn better_is_strictly_stronger_second_factor_included() {
        assert_eq!(
            need("better", &v(&[PPT]), Strength::Password),
            Some(v(&["urn:oneid:loa:1:mfa", "urn:oneid:loa:2"]))
        );
        // Better than multi-factor at level 2: a passkey at level 2, or level 3 with
        // multi-factor.
        assert_eq!(
            need("better", &v(&["urn:oneid:loa:2:mfa"]), Strength::Password),
            Some(v(&["urn:oneid:loa:2:phr", "urn:oneid:loa:3:mfa"]))
        );
        assert_eq!(
            st(
                "better",
                &["urn:oneid:loa:2:mfa"],
                false,
                "urn:oneid:loa:2:mfa"
            ),
            None
        );
        assert_eq!(
            st("better", &["urn:oneid:loa:2:mfa"], false, "urn:oneid:loa:3").as_deref(),
            None
        );
        assert_eq!(
            st("better", &["urn:oneid:loa:1"], false, "urn:oneid:loa:2").as_deref(),
            Some("urn:oneid:loa:2")
        );
        // Nothing is better than the top.
        assert_eq!(
            need("better", &v(&["urn:oneid:loa:3:phr"]), Strength::Password),
            None
        );
        assert_eq!(
            need("better", &v(&["urn:oneid:loa:3:mfa"]), Strength::Password),
            Some(v(&["urn:oneid:loa:3:phr"]))
        );
        // An SP that requires phishing resistance has it added to whatever it asks.
        assert_eq!(
            need("exact", &v(&["urn:oneid:loa:2"]), Strength::Phr),
            Some(v(&["urn:oneid:loa:2:phr"]))
        );
        assert_eq!(
            need("exact", &[], Strength::Phr),
            Some(v(&["urn:oneid:loa:1:phr"]))
        );
        assert_eq!(
            need("better", &v(&["urn:oneid:loa:2"]), Strength::Mfa),
            Some(v(&["urn:oneid:loa:2:mfa", "urn:oneid:loa:3:mfa"]))
        );
    }

    #[test]
    fn maximum_never_states_more_than_was_asked_for() {
        // Any session will do; the statement is brought down to what was asked.
        assert_eq!(
            need("maximum", &v(&["urn:oneid:loa:1"]), Strength::Password),
            Some(vec![])
        );
        assert_eq!(
            st("maximum", &["urn:oneid:loa:3"], false, "urn:oneid:loa:1").as_deref(),
            Some("urn:oneid:loa:1")
        );
        assert_eq!(
            st("maximum", &[PPT], false, "urn:oneid:loa:3:mfa").as_deref(),
            Some(PPT)
        );
        assert_eq!(
            st(
                "maximum",
                &["urn:oneid:loa:2:mfa"],
                false,
                "urn:oneid:loa:3"
            )
            .as_deref(),
            Some("urn:oneid:loa:2")
        );
        assert_eq!(
            st(
                "maximum",
                &["urn:oneid:loa:1", "urn:oneid:loa:2"],
                false,
                "urn:oneid:loa:3:mfa"
            )
            .as_deref(),
            Some("urn:oneid:loa:2")
        );
        // With the SP's multi-factor rule the session must have it, and the statement says so.
        assert_eq!(
            need("maximum", &v(&[PPT]), Strength::Mfa),
            Some(v(&["urn:oneid:loa:1:mfa"]))
        );
        assert_eq!(st("maximum", &[PPT], true, "urn:oneid:loa:2"), None);
        assert_eq!(
            st("maximum", &[PPT], true, "urn:oneid:loa:2:mfa").as_deref(),
            Some("urn:oneid:loa:1:mfa")
        );
    }
}
