//! What the SAML pages say, in English and French.

use platform::Locale;

/// The SAML pages' texts.
#[derive(Debug)]
pub struct SamlText {
    /// A request the IdP cannot read or does not accept.
    pub bad_request: &'static str,
    /// The Issuer is not registered.
    pub unknown_sp: &'static str,
    /// The ACS URL is not registered.
    pub unregistered_acs: &'static str,
    /// The request's ID was seen before.
    pub replayed: &'static str,
    /// IssueInstant too old or in the future.
    pub stale: &'static str,
    /// Signature missing or wrong.
    pub bad_signature: &'static str,
    /// Too large.
    pub too_large: &'static str,
    /// SAML not available (no key).
    pub unavailable: &'static str,
    /// The SP may not receive unsolicited assertions.
    pub no_idp_initiated: &'static str,
    /// The sign-in page expired.
    pub expired: &'static str,
    /// The RelayState is longer than the IdP carries.
    pub relay_state_too_long: &'static str,
    /// Title of the page that carries the answer: `{sp}`.
    pub post_title: &'static str,
    /// Its button.
    pub post_button: &'static str,
    /// Without JavaScript.
    pub noscript: &'static str,
    /// The SP has been told the person signed out.
    pub slo_done: &'static str,
}

static EN: SamlText = SamlText {
    bad_request: "The application sent a sign-in or sign-out request that is not valid.",
    unknown_sp: "The application that sent you here is not registered with ONE ID.",
    unregistered_acs: "The application asked ONE ID to send your sign-in to an address it has not registered. Nothing was sent.",
    replayed: "This sign-in request was already used. Go back to the application and start again.",
    stale: "This sign-in request is too old (or the application's clock is wrong). Go back to the application and start again.",
    bad_signature: "The request's signature could not be verified.",
    too_large: "The request is too large.",
    unavailable: "Sign-in for this kind of application is not available right now.",
    no_idp_initiated: "This application does not accept sign-ins started from ONE ID. Start from the application.",
    expired: "This sign-in has expired. Go back to the application and start again.",
    relay_state_too_long: "The link that brought you here carries more state (RelayState) than ONE ID passes on: at most 1,024 characters. Nothing was sent. Tell the application's support.",
    post_title: "Continuing to {sp}",
    post_button: "Continue",
    noscript: "JavaScript is turned off: select Continue.",
    slo_done: "The application was told that you signed out.",
};

static FR: SamlText = SamlText {
    bad_request: "L’application a envoyé une demande de connexion ou de déconnexion non valide.",
    unknown_sp: "L’application qui vous a dirigé ici n’est pas inscrite auprès de ONE ID.",
    unregistered_acs: "L’application a demandé à ONE ID d’envoyer votre connexion à une adresse qu’elle n’a pas inscrite. Rien n’a été envoyé.",
    replayed: "Cette demande de connexion a déjà été utilisée. Retournez à l’application et recommencez.",
    stale: "Cette demande de connexion est trop ancienne (ou l’horloge de l’application est inexacte). Retournez à l’application et recommencez.",
    bad_signature: "La signature de la demande n’a pas pu être vérifiée.",
    too_large: "La demande est trop volumineuse.",
    unavailable: "La connexion à ce type d’application n’est pas disponible pour le moment.",
    no_idp_initiated: "Cette application n’accepte pas les connexions lancées depuis ONE ID. Commencez par l’application.",
    expired: "Cette connexion a expiré. Retournez à l’application et recommencez.",
    relay_state_too_long: "Le lien qui vous a dirigé ici transporte plus d’état (RelayState) que ONE ID n’en transmet\u{a0}: 1 024 caractères au plus. Rien n’a été envoyé. Informez le soutien de l’application.",
    post_title: "Poursuite vers {sp}",
    post_button: "Continuer",
    noscript: "JavaScript est désactivé\u{a0}: sélectionnez Continuer.",
    slo_done: "L’application a été informée de votre déconnexion.",
};

impl SamlText {
    /// The texts in `locale`.
    pub fn get(locale: Locale) -> &'static SamlText {
        match locale {
            Locale::En => &EN,
            Locale::Fr => &FR,
        }
    }
}
