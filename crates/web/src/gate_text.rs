//! What the gate says when a signed-in person is not enrolled in the service they reached:
//! shown by the OpenID Connect and the SAML sign-ins alike.

use platform::Locale;

/// The words of the page a person sees when the gate refuses them.
#[derive(Debug)]
pub struct GateText {
    /// Title.
    pub title: &'static str,
    /// Not enrolled: `{service}`.
    pub not_enrolled: &'static str,
    /// Level too low: `{service}`, `{need}`, `{have}`.
    pub level_too_low: &'static str,
    /// The relying party names no existing service.
    pub unknown_service: &'static str,
    /// Link back to the relying party: `{client}`.
    pub back: &'static str,
}

impl GateText {
    /// The text in `locale`.
    pub fn get(locale: Locale) -> &'static GateText {
        match locale {
            Locale::En => &GATE_EN,
            Locale::Fr => &GATE_FR,
        }
    }
}

static GATE_EN: GateText = GateText {
    title: "Access not available",
    not_enrolled: "You are signed in, but you are not enrolled in {service}. Ask your sponsor's registration authority (LRA) to enrol you; access starts as soon as they do.",
    level_too_low: "{service} needs level of assurance AL{need}; your account has AL{have}. Ask your registration authority to confirm your identity in person to raise it.",
    unknown_service: "This application is not set up for access through ONE ID. Contact the ONE ID service desk.",
    back: "Return to {client}",
};

static GATE_FR: GateText = GateText {
    title: "Accès non disponible",
    not_enrolled: "Vous êtes connecté, mais vous n’êtes pas inscrit à {service}. Demandez à l’autorité d’enregistrement (AEL) de votre parrain de vous y inscrire; l’accès commence dès qu’elle le fait.",
    level_too_low: "{service} exige le niveau d’assurance NA{need}; votre compte a le niveau NA{have}. Demandez à votre autorité d’enregistrement de confirmer votre identité en personne pour le relever.",
    unknown_service: "Cette application n’est pas configurée pour l’accès par ONE ID. Communiquez avec le service d’assistance de ONE ID.",
    back: "Retourner à {client}",
};
