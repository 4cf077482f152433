//! The self-registration wizard's configuration (section `registration` of the configuration
//! file): the agreement and the notice of collection it shows, in both languages, whether the
//! ONE Mail Direct step is shown, and how long an unfinished registration is kept.

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
    /// Show the ONE Mail Direct step (a notice only; the service is retired).
    #[serde(default = "d_true")]
    pub one_mail_step: bool,
    /// How long an unfinished registration is kept without a step, seconds.
    #[serde(default = "d_ttl")]
    pub wizard_ttl_secs: i64,
    /// How long a registration may take from the hand-off, steps or not, seconds.
    #[serde(default = "d_max")]
    pub wizard_max_secs: i64,
}

fn d_version() -> String {
    "2026-01".into()
}
fn d_true() -> bool {
    true
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
    "En vous inscrivant à ONE ID, vous acceptez d'utiliser votre identifiant et votre mot de \
     passe vous-même seulement, de ne jamais les communiquer, de garder vos réponses de \
     sécurité confidentielles, d'aviser sans délai le service d'assistance si vous croyez que \
     quelqu'un connaît votre mot de passe, et de n'utiliser les services cliniques auxquels \
     vous êtes inscrit que pour les soins de vos patients et selon les politiques de votre \
     parrain.\n\nVous acceptez de tenir votre profil à jour et d'aviser votre parrain lorsque \
     vous n'avez plus besoin d'un service. L'accès peut être suspendu ou retiré si ces \
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
     à vérifier votre identité lorsque vous vous connectez ou demandez de l'aide, et à vous \
     inscrire à des services cliniques. Votre registre a communiqué votre numéro \
     d'inscription, vos noms, votre genre, votre date de naissance et votre catégorie \
     d'inscription avec votre consentement. Vos questions sur cette collecte peuvent être \
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
            one_mail_step: true,
            wizard_ttl_secs: d_ttl(),
            wizard_max_secs: d_max(),
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
        Ok(())
    }
}
