//! The wizard's steps, their order and their addresses (`/register/{slug}`).

use super::SignupConfig;

/// One page of the wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The notice of collection and the agreement.
    Policies,
    /// Names, e-mail, phone and language.
    Personal,
    /// Other professional designations.
    Designation,
    /// The challenge questions.
    Questions,
    /// The challenge phones.
    Phones,
    /// ONE Mail Direct (a notice only).
    Mail,
    /// The password; the account is created on it.
    Password,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 7] = [
        Step::Policies,
        Step::Personal,
        Step::Designation,
        Step::Questions,
        Step::Phones,
        Step::Mail,
        Step::Password,
    ];

    /// The step's part of its address.
    pub fn slug(self) -> &'static str {
        match self {
            Step::Policies => "policies",
            Step::Personal => "personal",
            Step::Designation => "designation",
            Step::Questions => "questions",
            Step::Phones => "phone",
            Step::Mail => "mail",
            Step::Password => "password",
        }
    }
}

/// The steps this configuration shows, in order (ONE Mail Direct only when configured).
pub fn steps(cfg: &SignupConfig) -> Vec<Step> {
    let mut v = Step::ALL.to_vec();
    if !cfg.one_mail_step {
        v.retain(|s| *s != Step::Mail);
    }
    v
}

/// The step at `slug`, with its index among `steps(cfg)`.
pub fn find_step(cfg: &SignupConfig, slug: &str) -> Option<(usize, Step)> {
    steps(cfg)
        .into_iter()
        .enumerate()
        .find(|(_, s)| s.slug() == slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_steps_in_order_with_the_mail_step() {
        let all = steps(&SignupConfig {
            one_mail_step: true,
            ..SignupConfig::default()
        });
        let slugs: Vec<&str> = all.iter().map(|s| s.slug()).collect();
        assert_eq!(
            slugs,
            [
                "policies",
                "personal",
                "designation",
                "questions",
                "phone",
                "mail",
                "password"
            ]
        );
    }

    #[test]
    fn without_the_mail_step_six_remain_and_the_password_is_last() {
        // The default: the service is retired.
        let cfg = SignupConfig::default();
        let all = steps(&cfg);
        assert_eq!(all.len(), 6);
        assert!(!all.contains(&Step::Mail));
        assert_eq!(all.last(), Some(&Step::Password));
        assert_eq!(find_step(&cfg, "mail"), None);
        assert_eq!(find_step(&cfg, "password"), Some((5, Step::Password)));
    }

    #[test]
    fn slugs_find_their_step_and_nothing_else() {
        let cfg = SignupConfig::default();
        for (i, s) in steps(&cfg).into_iter().enumerate() {
            assert_eq!(find_step(&cfg, s.slug()), Some((i, s)));
        }
        assert_eq!(find_step(&cfg, "complete"), None);
        assert_eq!(find_step(&cfg, "Policies"), None);
        assert_eq!(find_step(&cfg, ""), None);
    }
}
