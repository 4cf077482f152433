//! The self-registration wizard's configuration (section `registration` of the configuration
//! file): the agreement and the notice of collection it shows, in both languages, whether the
//! ONE Mail Direct step is shown, how long an unfinished registration is kept, and the general
//! links of the completion page.

use serde::Deserialize;

/// The wizard's configuration (section `registration`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupConfig {
    /// Version of the agreement text shown (recorded with the account).
    #[serde(default = "d_version")]
    pub agreement_version: String,
    /// The physician agreement, English (paragraphs separated by blank lines).
    #[serde(default = "d_agreement_en")]
    pub agreement_en: String,
    /// The physician agreement, French.
    #[serde(default = "d_agreement_fr")]
    pub agreement_fr: String,
    /// The notice of collection, English.
    #[serde(default = "d_notice_en")]
    pub notice_en: String,
    /// The notice of collection, French.
    #[serde(default = "d_notice_fr")]
    pub notice_fr: String,
    /// Show the ONE Mail Direct step of the documents' seven (a notice only: the service is
    /// retired, so it is off unless a deployment wants the seven steps as documented).
    #[serde(default)]
    pub one_mail_step: bool,
    /// How long an unfinished registration is kept without a step, seconds.
    #[serde(default = "d_ttl")]
    pub wizard_ttl_secs: i64,
    /// How long a registration may take from the hand-off, steps or not, seconds.
    #[serde(default = "d_max")]
    pub wizard_max_secs: i64,
    /// The completion page's general links (001 §9.0) after "ONE ID (to manage your ONE ID
    /// account)", which is always there: the portal, the reference guide, a description of
    /// ONE ID, wherever this deployment keeps them.
    #[serde(default)]
    pub general_links: Vec<GeneralLink>,
}

/// A link of the completion page: its text in each language, and where it leads.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GeneralLink {
    /// The text, English.
    pub en: String,
    /// The text, French.
    pub fr: String,
    /// `https://...`, or a path of ours (`/...`).
    pub url: String,
}

impl GeneralLink {
    /// The text in `locale`.
    pub fn text(&self, locale: platform::Locale) -> &str {
        match locale {
            platform::Locale::Fr => &self.fr,
            platform::Locale::En => &self.en,
        }
    }

    fn validate(&self) -> Result<(), String> {
        let text_ok = |t: &str| (1..=100).contains(&t.trim().chars().count());
        if !text_ok(&self.en) || !text_ok(&self.fr) {
            return Err("registration.general_links: en and fr must be 1 to 100 characters".into());
        }
        let u = self.url.trim();
        let path = u.starts_with('/') && !u.starts_with("//");
        let https = u.starts_with("https://") && u.len() > "https://".len();
        if u.len() > 500
            || !(path || https)
            || u.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "registration.general_links: url {u:?} must be https://... or a path starting with /"
            ));
        }
        Ok(())
    }
}

fn d_version() -> String {
    "2026-01".into()
}
fn d_ttl() -> i64 {
    1800
}
fn d_max() -> i64 {
    7200
}
fn d_agreement_en() -> String {
    "By registering for ONE ID you agree to use your login ID and password only yourself, \
     never to share them, to keep your challenge answers private, to tell the service desk at \
     once if you think someone else knows your password, and to use the clinical services you \
     are enrolled in only for the care of your patients and as your sponsor's policies allow.\n\n\
     You agree to keep your profile up to date and to tell your sponsor when you no longer \
     need a service. Access may be suspended or ended if these terms are not followed."
        .into()
}
fn d_agreement_fr() -> String {
    "En vous inscrivant à ONE ID, vous acceptez d’utiliser votre identifiant de connexion et votre mot de \
     passe vous-même seulement, de ne jamais les communiquer, de garder vos réponses de \
     sécurité confidentielles, d’aviser sans délai le service d’assistance si vous croyez que \
     quelqu’un connaît votre mot de passe, et de n’utiliser les services cliniques auxquels \
     vous êtes inscrit que pour les soins de vos patients et selon les politiques de votre \
     parrain.\n\nVous acceptez de tenir votre profil à jour et d’aviser votre parrain lorsque \
     vous n’avez plus besoin d’un service. L’accès peut être suspendu ou retiré si ces \
     conditions ne sont pas respectées."
        .into()
}
fn d_notice_en() -> String {
    "The personal information on these pages is collected to register you for ONE ID, to \
     verify your identity when you sign in or ask for help, and to enrol you in clinical \
     services. Your registry has disclosed your registration number, names, gender, date of \
     birth and registration class with your consent. Questions about this collection can be \
     sent to the ONE ID privacy office."
        .into()
}
fn d_notice_fr() -> String {
    "Les renseignements personnels recueillis dans ces pages servent à vous inscrire à ONE ID, \
     à vérifier votre identité lorsque vous vous connectez ou demandez de l’aide, et à vous \
     inscrire à des services cliniques. Votre registre a communiqué votre numéro \
     d’inscription, vos noms, votre genre, votre date de naissance et votre catégorie \
     d’inscription avec votre consentement. Vos questions sur cette collecte peuvent être \
     adressées au bureau de la protection de la vie privée de ONE ID."
        .into()
}

impl Default for SignupConfig {
    fn default() -> Self {
        Self {
            agreement_version: d_version(),
            agreement_en: d_agreement_en(),
            agreement_fr: d_agreement_fr(),
            notice_en: d_notice_en(),
            notice_fr: d_notice_fr(),
            one_mail_step: false,
            wizard_ttl_secs: d_ttl(),
            wizard_max_secs: d_max(),
            general_links: Vec::new(),
        }
    }
}

impl SignupConfig {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), String> {
        if self.agreement_version.trim().is_empty() || self.agreement_version.len() > 64 {
            return Err("registration.agreement_version must be 1 to 64 characters".into());
        }
        if !(60..=86_400).contains(&self.wizard_ttl_secs) {
            return Err("registration.wizard_ttl_secs must be between 60 and 86400".into());
        }
        if !(300..=86_400).contains(&self.wizard_max_secs) {
            return Err("registration.wizard_max_secs must be between 300 and 86400".into());
        }
        if self.general_links.len() > 10 {
            return Err("registration.general_links: at most 10".into());
        }
        self.general_links
            .iter()
            .try_for_each(GeneralLink::validate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(url: &str) -> GeneralLink {
        GeneralLink {
            en: "Reference guide".into(),
            fr: "Guide de référence".into(),
            url: url.into(),
        }
    }

    #[test]
    fn general_links_lead_to_https_or_to_our_own_paths() {
        for ok in ["https://help.example.org/guide", "/register/welcome"] {
            let cfg = SignupConfig {
                general_links: vec![link(ok)],
                ..SignupConfig::default()
            };
            assert_eq!(cfg.validate(), Ok(()), "{ok}");
        }
        for bad in [
            "http://help.example.org/",
            "//evil.example/",
            "javascript:alert(1)",
            "https://",
            "/a b",
            "",
        ] {
            let cfg = SignupConfig {
                general_links: vec![link(bad)],
                ..SignupConfig::default()
            };
            assert!(cfg.validate().is_err(), "{bad}");
        }
        let mut untitled = link("/x");
        untitled.fr = " ".into();
        let cfg = SignupConfig {
            general_links: vec![untitled],
            ..SignupConfig::default()
        };
        assert!(cfg.validate().is_err());
        let cfg = SignupConfig {
            general_links: vec![link("/x"); 11],
            ..SignupConfig::default()
        };
        assert!(cfg.validate().is_err());
    }
}
