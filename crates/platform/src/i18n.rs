//! English and French: choosing the reader's language (`ui_locales`, then `Accept-Language`)
//! and the text of every page.

use serde::{Deserialize, Serialize};

/// A language the product speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// English.
    #[default]
    En,
    /// French.
    Fr,
}

impl Locale {
    /// A colon before what follows, as the language writes it: `": "` in English, a
    /// non-breaking space first in French (`"\u{a0}: "`).
    pub fn colon(self) -> &'static str {
        match self {
            Locale::En => ": ",
            Locale::Fr => "\u{a0}: ",
        }
    }

    /// BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }

    /// Parses one language tag (`fr`, `fr-CA`, `en_US`...).
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            _ => None,
        }
    }

    /// The first supported language of a space-separated `ui_locales` list, else the best of
    /// an `Accept-Language` header (by q-value), else English.
    pub fn negotiate(ui_locales: Option<&str>, accept_language: Option<&str>) -> Self {
        if let Some(l) = ui_locales.and_then(|s| s.split_whitespace().find_map(Self::parse)) {
            return l;
        }
        if let Some(h) = accept_language {
            let mut best: Option<(f32, Locale)> = None;
            for part in h.split(',') {
                let mut it = part.split(';');
                let tag = it.next().unwrap_or("");
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                if let Some(l) = Self::parse(tag) {
                    if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                        best = Some((q, l));
                    }
                }
            }
            if let Some((_, l)) = best {
                return l;
            }
        }
        Locale::En
    }

    /// The other language (for the language switch link).
    pub fn other(self) -> Self {
        match self {
            Locale::En => Locale::Fr,
            Locale::Fr => Locale::En,
        }
    }

    /// Every string a person reads, in this language.
    pub fn text(self) -> &'static Text {
        match self {
            Locale::En => &EN,
            Locale::Fr => &FR,
        }
    }
}

/// Every string of the pages, one field per message, so a missing translation cannot compile.
#[derive(Debug)]
pub struct Text {
    /// Product name.
    pub product: &'static str,
    /// Name of the language link to the other language.
    pub other_language: &'static str,
    /// Login page title.
    pub login_title: &'static str,
    /// Login page intro; `{}` is the relying party's name.
    pub login_intro: &'static str,
    /// Label.
    pub login_id: &'static str,
    /// Hint under the login ID field.
    pub login_id_hint: &'static str,
    /// Label.
    pub password: &'static str,
    /// Button.
    pub sign_in: &'static str,
    /// Wrong login ID or password (same text for both).
    pub invalid_credentials: &'static str,
    /// Login form left empty.
    pub missing_fields: &'static str,
    /// The login took too long or the form was reused.
    pub login_expired: &'static str,
    /// Error summary heading.
    pub error_heading: &'static str,
    /// Before the title of a page shown again with errors ("Error: ").
    pub error_prefix: &'static str,
    /// Name of a list's page links (a landmark).
    pub pages: &'static str,
    /// Link to the next page of a list.
    pub next_page: &'static str,
    /// Link to the previous page of a list.
    pub previous_page: &'static str,
    /// Link to the first page of a list.
    pub first_page: &'static str,
    /// Generic error page title.
    pub error_title: &'static str,
    /// Error: the application's sign-in request is not valid.
    pub bad_request: &'static str,
    /// Error: unknown application.
    pub unknown_client: &'static str,
    /// Error: redirect URI not registered.
    pub bad_redirect_uri: &'static str,
    /// Error: the form's anti-forgery check failed.
    pub csrf_failed: &'static str,
    /// Error: something went wrong on our side.
    pub internal_error: &'static str,
    /// Error: storage is unreachable for a moment.
    pub service_unavailable: &'static str,
    /// Error page: what to do next.
    pub error_next: &'static str,
    /// Logout confirmation title.
    pub logout_title: &'static str,
    /// Logout confirmation question.
    pub logout_question: &'static str,
    /// Button.
    pub logout_button: &'static str,
    /// Logged-out page title.
    pub logged_out_title: &'static str,
    /// Logged-out page text.
    pub logged_out_text: &'static str,
    /// Error: the logout request is not valid.
    pub bad_logout: &'static str,
    /// Error correlation label.
    pub reference: &'static str,
    /// Name of the administration console (login page intro).
    pub console_name: &'static str,
    /// Name of the service desk (login page intro).
    pub console_desk: &'static str,
    /// Name of the LRA console (login page intro).
    pub console_lra: &'static str,
    /// Name of My Profile (login page intro).
    pub console_profile: &'static str,
    /// What a sign-in to approve a device (RFC 8628) continues to.
    pub console_device: &'static str,
    /// Signing keys page title.
    pub keys_title: &'static str,
    /// Signing keys page intro.
    pub keys_intro: &'static str,
    /// Column.
    pub col_kid: &'static str,
    /// Column.
    pub col_alg: &'static str,
    /// Column.
    pub col_state: &'static str,
    /// Column.
    pub col_created: &'static str,
    /// Column: when it signs / signed from.
    pub col_signs: &'static str,
    /// Column.
    pub col_retired: &'static str,
    /// Column.
    pub col_actions: &'static str,
    /// Button.
    pub action_activate: &'static str,
    /// Button.
    pub action_retire: &'static str,
    /// Button.
    pub action_revoke: &'static str,
    /// Button.
    pub action_rotate: &'static str,
    /// Checkbox label.
    pub rotate_now: &'static str,
    /// Heading of the rotation form.
    pub rotate_heading: &'static str,
    /// The account lacks the administrator role.
    pub forbidden: &'static str,
    /// The operation failed; the reason follows.
    pub operation_failed: &'static str,
    /// The operation succeeded.
    pub operation_done: &'static str,
    /// Title of the page for an address with nothing at it.
    pub not_found_title: &'static str,
    /// Text of that page.
    pub not_found: &'static str,
    /// Text of the page for an address that exists but not for this kind of request.
    pub wrong_method: &'static str,
    /// Link from an error page to the home page.
    pub home_link: &'static str,
    /// Key state: published, not yet signing.
    pub state_next: &'static str,
    /// Key state: signing.
    pub state_active: &'static str,
    /// Key state: no longer signing, still published.
    pub state_retired: &'static str,
    /// Key state: withdrawn.
    pub state_revoked: &'static str,
}

static EN: Text = Text {
    product: "ONE ID",
    other_language: "Français",
    login_title: "Sign in",
    login_intro: "Sign in to continue to {}.",
    login_id: "Login ID",
    login_id_hint: "For example Firstname.Lastname@ONEID.ON.CA",
    password: "Password",
    sign_in: "Sign in",
    invalid_credentials: "The login ID or password is incorrect.",
    missing_fields: "Enter your login ID and password.",
    login_expired: "This sign-in page has expired. Go back to the application and try again.",
    error_heading: "There is a problem",
    error_prefix: "Error: ",
    pages: "Pages",
    next_page: "Next page",
    previous_page: "Previous page",
    first_page: "First page",
    error_title: "Sign-in problem",
    bad_request: "The application sent a sign-in request that is not valid.",
    unknown_client: "The application asking you to sign in is not registered with ONE ID.",
    bad_redirect_uri: "The application asked to send you to an address that is not registered for it.",
    csrf_failed: "The form could not be verified. Reload the page and try again.",
    internal_error: "Something went wrong on our side. Please try again in a moment.",
    service_unavailable: "ONE ID is briefly unavailable. Nothing you entered was saved; please try again in a few seconds.",
    error_next: "Close this page and start again from the application.",
    logout_title: "Sign out",
    logout_question: "Do you want to sign out of ONE ID? You will be signed out of every clinical application that uses it.",
    logout_button: "Sign out",
    logged_out_title: "You are signed out",
    logged_out_text: "You have signed out of ONE ID. You can close this window.",
    bad_logout: "The application sent a sign-out request that is not valid.",
    reference: "Reference:",
    console_name: "ONE ID administration",
    console_desk: "the ONE ID service desk",
    console_lra: "the LRA console",
    console_profile: "My Profile",
    console_device: "Device sign-in",
    keys_title: "Signing keys",
    keys_intro: "Keys that sign ID tokens and access tokens. A new key is published before it signs; a retired key stays published until every token it signed has expired.",
    col_kid: "Key ID",
    col_alg: "Algorithm",
    col_state: "State",
    col_created: "Created",
    col_signs: "Signs from",
    col_retired: "Retired",
    col_actions: "Actions",
    action_activate: "Activate now",
    action_retire: "Retire",
    action_revoke: "Revoke",
    action_rotate: "Start rotation",
    rotate_now: "Emergency: sign with the new key at once",
    rotate_heading: "Rotate",
    forbidden: "This page is for ONE ID administrators.",
    operation_failed: "The operation failed:",
    operation_done: "Done.",
    not_found_title: "Page not found",
    not_found: "There is no page at this address. If you typed it, check it; if you followed a link, it may be out of date.",
    wrong_method: "This page cannot be opened from here. Start again from the ONE ID home page or from the application you were using.",
    home_link: "Go to the ONE ID home page",
    state_next: "Next (published)",
    state_active: "Active",
    state_retired: "Retired",
    state_revoked: "Revoked",
};

static FR: Text = Text {
    product: "ONE ID",
    other_language: "English",
    login_title: "Ouverture de session",
    login_intro: "Ouvrez une session pour continuer vers {}.",
    login_id: "Identifiant de connexion",
    login_id_hint: "Par exemple Prenom.Nom@ONEID.ON.CA",
    password: "Mot de passe",
    sign_in: "Ouvrir une session",
    invalid_credentials: "L’identifiant de connexion ou le mot de passe est incorrect.",
    missing_fields: "Entrez votre identifiant de connexion et votre mot de passe.",
    login_expired: "Cette page d’ouverture de session a expiré. Retournez à l’application et réessayez.",
    error_heading: "Il y a un problème",
    error_prefix: "Erreur\u{a0}: ",
    pages: "Pages",
    next_page: "Page suivante",
    previous_page: "Page précédente",
    first_page: "Première page",
    error_title: "Problème d’ouverture de session",
    bad_request: "L’application a envoyé une demande d’ouverture de session non valide.",
    unknown_client: "L’application qui vous demande d’ouvrir une session n’est pas inscrite auprès de ONE ID.",
    bad_redirect_uri: "L’application a demandé de vous renvoyer à une adresse qui n’est pas inscrite pour elle.",
    csrf_failed: "Le formulaire n’a pas pu être vérifié. Rechargez la page et réessayez.",
    internal_error: "Un problème est survenu de notre côté. Veuillez réessayer dans un moment.",
    service_unavailable: "ONE ID est brièvement indisponible. Rien de ce que vous avez saisi n’a été enregistré; veuillez réessayer dans quelques secondes.",
    error_next: "Fermez cette page et recommencez à partir de l’application.",
    logout_title: "Fermeture de session",
    logout_question: "Voulez-vous fermer votre session ONE ID? Vous serez déconnecté de toutes les applications cliniques qui l’utilisent.",
    logout_button: "Fermer la session",
    logged_out_title: "Votre session est fermée",
    logged_out_text: "Vous avez fermé votre session ONE ID. Vous pouvez fermer cette fenêtre.",
    bad_logout: "L’application a envoyé une demande de fermeture de session non valide.",
    reference: "Référence\u{a0}:",
    console_name: "l’administration de ONE ID",
    console_desk: "le centre de services ONE ID",
    console_lra: "la console de l’ALI",
    console_profile: "Mon profil",
    console_device: "Connexion d’un appareil",
    keys_title: "Clés de signature",
    keys_intro: "Clés qui signent les jetons d’identité et d’accès. Une nouvelle clé est publiée avant de signer; une clé retirée reste publiée jusqu’à l’expiration de tous les jetons qu’elle a signés.",
    col_kid: "Identifiant de clé",
    col_alg: "Algorithme",
    col_state: "État",
    col_created: "Créée",
    col_signs: "Signe à partir de",
    col_retired: "Retirée",
    col_actions: "Actions",
    action_activate: "Activer maintenant",
    action_retire: "Retirer",
    action_revoke: "Révoquer",
    action_rotate: "Lancer la rotation",
    rotate_now: "Urgence\u{a0}: signer immédiatement avec la nouvelle clé",
    rotate_heading: "Rotation",
    forbidden: "Cette page est réservée aux administrateurs de ONE ID.",
    operation_failed: "L’opération a échoué\u{a0}:",
    operation_done: "C’est fait.",
    not_found_title: "Page introuvable",
    not_found: "Il n’y a aucune page à cette adresse. Si vous l’avez tapée, vérifiez-la; si vous avez suivi un lien, il n’est peut-être plus à jour.",
    wrong_method: "Cette page ne peut pas être ouverte d’ici. Recommencez à partir de la page d’accueil de ONE ID ou de l’application que vous utilisiez.",
    home_link: "Aller à la page d’accueil de ONE ID",
    state_next: "Prochaine (publiée)",
    state_active: "Active",
    state_retired: "Retirée",
    state_revoked: "Révoquée",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_locales_wins_over_accept_language() {
        assert_eq!(Locale::negotiate(Some("de fr-CA"), Some("en")), Locale::Fr);
    }

    #[test]
    fn accept_language_by_quality() {
        assert_eq!(
            Locale::negotiate(None, Some("en;q=0.4, fr-CA;q=0.9")),
            Locale::Fr
        );
        assert_eq!(Locale::negotiate(None, Some("de, en;q=0.5")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("fr;q=0")), Locale::En);
        assert_eq!(Locale::negotiate(None, None), Locale::En);
    }
}
