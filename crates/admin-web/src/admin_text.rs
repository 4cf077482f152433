//! The words of the administrators' console, in English and French: one field per message, so
//! a missing translation cannot compile.

use platform::Locale;

/// Every string of the console.
#[derive(Debug)]
pub struct AdminText {
    /// Home page title.
    pub home_title: &'static str,
    /// Home page paragraph.
    pub home_intro: &'static str,
    /// Navigation.
    pub nav_organizations: &'static str,
    /// Navigation.
    pub nav_services: &'static str,
    /// Navigation.
    pub nav_clients: &'static str,
    /// Navigation.
    pub nav_accounts: &'static str,
    /// Navigation.
    pub nav_audit: &'static str,
    /// Navigation: approvals due for review.
    pub nav_approvals: &'static str,
    /// Navigation: the signing-key console.
    pub nav_keys: &'static str,
    /// Navigation.
    pub nav_sign_out: &'static str,
    /// An administrator without a second factor.
    pub needs_mfa: &'static str,
    /// Organizations page.
    pub organizations_title: &'static str,
    /// Heading of the form.
    pub organization_add: &'static str,
    /// Heading of the form.
    pub organization_edit: &'static str,
    /// Label.
    pub id: &'static str,
    /// Hint.
    pub id_hint: &'static str,
    /// Label.
    pub name: &'static str,
    /// Label.
    pub status: &'static str,
    /// An organization's status.
    pub org_active: &'static str,
    /// An organization's status.
    pub org_suspended: &'static str,
    /// An organization's status.
    pub org_terminated: &'static str,
    /// Label.
    pub registering: &'static str,
    /// Table cell.
    pub yes: &'static str,
    /// Table cell.
    pub no: &'static str,
    /// Label.
    pub level: &'static str,
    /// No level.
    pub level_none: &'static str,
    /// Label.
    pub id_scheme: &'static str,
    /// Hint.
    pub id_scheme_hint: &'static str,
    /// Label.
    pub scope: &'static str,
    /// Legend of the allowed services.
    pub services_allowed: &'static str,
    /// No service exists yet.
    pub no_services: &'static str,
    /// Heading.
    pub lras: &'static str,
    /// None yet.
    pub lras_none: &'static str,
    /// Legend of the grant form.
    pub lra_grant_legend: &'static str,
    /// Label.
    pub lra_login_id: &'static str,
    /// Button.
    pub lra_grant: &'static str,
    /// Button; `{}` is the login ID.
    pub lra_revoke: &'static str,
    /// Done; `{}` is the login ID.
    pub lra_granted: &'static str,
    /// Done; `{}` is the login ID.
    pub lra_revoked: &'static str,
    /// Button.
    pub save: &'static str,
    /// Button.
    pub add: &'static str,
    /// Done.
    pub saved: &'static str,
    /// Done.
    pub added: &'static str,
    /// Services page.
    pub services_title: &'static str,
    /// Heading of the form.
    pub service_add: &'static str,
    /// Label.
    pub url: &'static str,
    /// Label.
    pub min_level: &'static str,
    /// Relying parties page.
    pub clients_title: &'static str,
    /// Label.
    pub client_id: &'static str,
    /// Label.
    pub service: &'static str,
    /// No service.
    pub service_none: &'static str,
    /// Label.
    pub client_kind: &'static str,
    /// A client without a secret.
    pub public: &'static str,
    /// A client with a secret.
    pub confidential: &'static str,
    /// Label.
    pub grants: &'static str,
    /// Label.
    pub redirect_uris: &'static str,
    /// Accounts page.
    pub accounts_title: &'static str,
    /// Label of the search.
    pub search_label: &'static str,
    /// Button.
    pub search: &'static str,
    /// Nothing found.
    pub no_accounts: &'static str,
    /// Label of the status filter.
    pub status_filter: &'static str,
    /// The status filter's "every status".
    pub status_any: &'static str,
    /// Column: when the account was created.
    pub col_created: &'static str,
    /// Label.
    pub login_id: &'static str,
    /// Label.
    pub roles: &'static str,
    /// Label.
    pub reason: &'static str,
    /// Button.
    pub suspend: &'static str,
    /// Button.
    pub reinstate: &'static str,
    /// Button.
    pub terminate: &'static str,
    /// Checkbox of the termination form.
    pub confirm_terminate: &'static str,
    /// The box was not ticked.
    pub confirm_required: &'static str,
    /// Button: issue a temporary password.
    pub issue_temporary: &'static str,
    /// Checkbox of the temporary-password form.
    pub confirm_temporary: &'static str,
    /// Button: reveal the service-desk answers.
    pub reveal_answers: &'static str,
    /// Checkbox of the reveal form.
    pub confirm_reveal: &'static str,
    /// A confirmation box was not ticked.
    pub confirm_box_required: &'static str,
    /// Button: lift a lock after failures.
    pub unlock: &'static str,
    /// Done.
    pub unlocked_done: &'static str,
    /// Done; `{}` is the number of refresh tokens revoked.
    pub suspended_done: &'static str,
    /// Done.
    pub reinstated_done: &'static str,
    /// Done; `{}` is the number of refresh tokens revoked.
    pub terminated_done: &'static str,
    /// Nothing to do.
    pub unchanged: &'static str,
    /// Audit page.
    pub audit_title: &'static str,
    /// Label.
    pub audit_account: &'static str,
    /// Hint.
    pub audit_account_hint: &'static str,
    /// Label.
    pub audit_actor: &'static str,
    /// Label.
    pub audit_event: &'static str,
    /// Hint.
    pub audit_event_hint: &'static str,
    /// Label.
    pub audit_from: &'static str,
    /// Label.
    pub audit_to: &'static str,
    /// Hint of both dates.
    pub date_hint: &'static str,
    /// The audit's actor when ONE ID itself acted.
    pub audit_system: &'static str,
    /// Link.
    pub audit_export: &'static str,
    /// Link.
    pub audit_older: &'static str,
    /// Link.
    pub audit_newer: &'static str,
    /// Link.
    pub audit_newest: &'static str,
    /// Title of one event's page; `{}` is its number.
    pub audit_row_title: &'static str,
    /// Label.
    pub col_source: &'static str,
    /// Label.
    pub col_session: &'static str,
    /// Link from an event to the trail of its subject.
    pub audit_of_subject: &'static str,
    /// Link from an event to the trail of its actor.
    pub audit_of_actor: &'static str,
    /// Link back to the trail.
    pub audit_back: &'static str,
    /// Nothing found.
    pub audit_none: &'static str,
    /// Column.
    pub col_time: &'static str,
    /// Column.
    pub col_subject: &'static str,
    /// Column.
    pub col_client: &'static str,
    /// Column.
    pub col_detail: &'static str,
    /// A bad date.
    pub bad_date: &'static str,
    /// A bad short code.
    pub bad_id: &'static str,
    /// A bad name.
    pub bad_name: &'static str,
    /// A bad level.
    pub bad_level: &'static str,
    /// A bad URL.
    pub bad_url: &'static str,
    /// A bad free text.
    pub bad_text: &'static str,
    /// A registering organization without level or scheme.
    pub bad_registering: &'static str,
    /// A bad event filter.
    pub bad_event: &'static str,
    /// The short code is taken.
    pub exists: &'static str,
    /// Unknown login ID.
    pub no_such_account: &'static str,
    /// Not found.
    pub not_found: &'static str,
    /// Refused in the current state.
    pub conflict: &'static str,
    /// Any other refusal; `{}` is the reason (in English).
    pub refused: &'static str,
    /// A select's empty first choice.
    pub choose: &'static str,
    /// Heading of the form.
    pub client_add: &'static str,
    /// Hint.
    pub client_id_hint: &'static str,
    /// Hint.
    pub uris_hint: &'static str,
    /// Label.
    pub post_logout_uris: &'static str,
    /// Label.
    pub id_token_alg: &'static str,
    /// Label.
    pub require_mfa: &'static str,
    /// Check box.
    pub require_phishing_resistant: &'static str,
    pub third_party: &'static str,
    /// Check box.
    pub require_par: &'static str,
    /// Check box.
    pub pairwise: &'static str,
    /// Label.
    pub sector_identifier_uri: &'static str,
    /// Hint.
    pub sector_hint: &'static str,
    /// Label of a client's subject type.
    pub subject_type: &'static str,
    /// A public subject type.
    pub subject_public: &'static str,
    /// A pairwise subject type, before its sector.
    pub subject_pairwise: &'static str,
    /// Notice.
    pub removed: &'static str,
    /// Heading over a new client's secret.
    pub secret_heading: &'static str,
    /// Label of the secret.
    pub secret_once: &'static str,
    /// Heading of the form.
    pub client_remove: &'static str,
    /// Checkbox.
    pub client_remove_confirm: &'static str,
    /// Button.
    pub remove: &'static str,
    /// Message.
    pub bad_client_id: &'static str,
    /// Message.
    pub bad_uris: &'static str,
    /// Message.
    pub needs_service: &'static str,
    /// Message.
    pub no_such_service: &'static str,
}

impl AdminText {
    /// The text in `locale`.
    pub fn get(locale: Locale) -> &'static AdminText {
        match locale {
            Locale::En => &EN,
            Locale::Fr => &FR,
        }
    }
}

static EN: AdminText = AdminText {
    home_title: "Administration",
    home_intro: "Sponsoring organizations and their registration authorities, services, relying \
                 parties, accounts and the audit trail. Every change is recorded in the audit trail.",
    nav_organizations: "Organizations",
    nav_services: "Services",
    nav_clients: "Relying parties",
    nav_accounts: "Accounts",
    nav_audit: "Audit trail",
    nav_approvals: "Approvals due",
    nav_keys: "Signing keys",
    nav_sign_out: "Sign out",
    needs_mfa: "Administration needs a code from your phone or authenticator app, and your \
                account has neither. Ask another administrator.",
    organizations_title: "Organizations",
    organization_add: "Add an organization",
    organization_edit: "Details",
    id: "Short code",
    id_hint: "Letters, digits, - and _ (at most 64)",
    name: "Name",
    status: "Status",
    org_active: "Active",
    org_suspended: "Suspended",
    org_terminated: "Terminated",
    registering: "Registering organization (approved managed registration process)",
    yes: "Yes",
    no: "No",
    level: "Level of assurance",
    level_none: "None",
    id_scheme: "Identifier scheme",
    id_scheme_hint: "How it identifies a person, for example employee number",
    scope: "Approval scope",
    services_allowed: "Services it may enrol its people into",
    no_services: "No service exists yet.",
    lras: "Local registration authorities",
    lras_none: "No local registration authority yet.",
    lra_grant_legend: "Add a local registration authority",
    lra_login_id: "Login ID of the account",
    lra_grant: "Grant",
    lra_revoke: "Revoke {}",
    lra_granted: "{} is now a local registration authority of this organization.",
    lra_revoked: "{} is no longer a local registration authority of this organization.",
    save: "Save",
    add: "Add",
    saved: "Your changes are saved.",
    added: "Added.",
    services_title: "Services",
    service_add: "Add a service",
    url: "Start URL",
    min_level: "Minimum level of assurance",
    clients_title: "Relying parties",
    client_id: "Client id",
    service: "Service",
    service_none: "None (a client acting for itself only)",
    client_kind: "Type",
    public: "Public",
    confidential: "Confidential",
    grants: "Grant types",
    redirect_uris: "Redirect URIs",
    accounts_title: "Accounts",
    search_label: "Login ID, name or registration number",
    search: "Search",
    no_accounts: "No account matches.",
    status_filter: "Status",
    status_any: "Any status",
    col_created: "Created",
    login_id: "Login ID",
    roles: "Roles",
    reason: "Reason (kept in the audit trail)",
    suspend: "Suspend",
    reinstate: "Reinstate",
    terminate: "Terminate",
    confirm_terminate: "I understand that termination is final",
    confirm_required: "Tick the box to confirm the termination.",
    issue_temporary: "Issue a temporary password",
    confirm_temporary: "I have verified the person: their current password stops working",
    reveal_answers: "Reveal service desk answers",
    confirm_reveal: "I am verifying this person now (the reveal is recorded)",
    confirm_box_required: "Tick the box to confirm.",
    unlock: "Unlock",
    unlocked_done: "The account is unlocked.",
    suspended_done: "The account is suspended: its sessions have ended and {} refresh token(s) \
                     were revoked.",
    reinstated_done: "The account is active again.",
    terminated_done: "The account is terminated: its sessions have ended and {} refresh \
                      token(s) were revoked.",
    unchanged: "The account already has that status.",
    audit_title: "Audit trail",
    audit_account: "Account",
    audit_account_hint: "Its id or login ID: events about it or by it",
    audit_actor: "Actor",
    audit_event: "Event",
    audit_event_hint: "For example account.suspended, or account.* for a family",
    audit_from: "From",
    audit_to: "To",
    date_hint: "Days begin and end at midnight UTC.",
    audit_system: "ONE ID (automatic)",
    audit_export: "Export as JSON lines",
    audit_older: "Older events",
    audit_newer: "Newer events",
    audit_newest: "Newest events",
    audit_row_title: "Audit event {}",
    col_source: "Source address",
    col_session: "Session",
    audit_of_subject: "Every event about the subject",
    audit_of_actor: "Every event by the actor",
    audit_back: "The audit trail",
    audit_none: "No event matches.",
    col_time: "Time",
    col_subject: "Subject",
    col_client: "Client",
    col_detail: "Detail",
    bad_date: "Enter a date as YYYY-MM-DD.",
    bad_id: "Use 1 to 64 letters, digits, - or _.",
    bad_name: "Enter a name of at most 200 characters.",
    bad_level: "Choose a level of assurance.",
    bad_url: "Enter an http(s) URL of at most 500 characters.",
    bad_text: "Enter at most 500 characters.",
    bad_registering: "A registering organization needs a level of assurance and an identifier \
                      scheme.",
    bad_event: "Enter an event name such as account.suspended, or a family such as account.*.",
    exists: "This short code is taken.",
    no_such_account: "No account has this login ID.",
    not_found: "Not found.",
    conflict: "This change is not possible in the current state.",
    refused: "The change was refused: {}",
    choose: "Choose…",
    client_add: "Register a relying party",
    client_id_hint: "1 to 128 letters, digits, - _ . or :",
    uris_hint: "One per line: https, or plain http on loopback only; no fragment.",
    post_logout_uris: "Post-logout redirect URIs",
    id_token_alg: "ID token signature",
    require_mfa: "Ask for a second factor at every sign-in",
    require_phishing_resistant: "Require a passkey (phishing-resistant sign-in)",
    third_party: "A third-party app: people consent to what it asks (not for province viewers)",
    require_par: "Accept only pushed authorization requests (PAR)",
    pairwise: "Pairwise subject identifiers: this application’s sector gets identifiers of its own",
    sector_identifier_uri: "Sector identifier URI (pairwise only)",
    sector_hint: "An https address serving a JSON list of every redirect URI above. Leave empty when all redirect URIs are on one host.",
    subject_type: "Subject identifiers",
    subject_public: "Public (the same at every application)",
    subject_pairwise: "Pairwise, sector",
    removed: "Removed.",
    secret_heading: "Client secret",
    secret_once: "Shown once, now: only its digest is kept. Give it to the relying party's operator.",
    client_remove: "Remove this relying party",
    client_remove_confirm: "Yes: its tokens stop working and no one can sign in to it any more.",
    remove: "Remove",
    bad_client_id: "Use 1 to 128 letters, digits, - _ . or :",
    bad_uris: "Enter at least one absolute https URL (plain http on loopback only), without a fragment, one per line.",
    needs_service: "A relying party that signs people in belongs to a service: choose one.",
    no_such_service: "Choose an existing service.",
};

static FR: AdminText = AdminText {
    home_title: "Administration",
    home_intro: "Organisations parrainantes et leurs agents d’enregistrement, services, parties \
                 utilisatrices, comptes et journal d’audit. Chaque changement est consigné au \
                 journal d’audit.",
    nav_organizations: "Organisations",
    nav_services: "Services",
    nav_clients: "Parties utilisatrices",
    nav_accounts: "Comptes",
    nav_audit: "Journal d’audit",
    nav_approvals: "Approbations à réviser",
    nav_keys: "Clés de signature",
    nav_sign_out: "Se déconnecter",
    needs_mfa: "L’administration exige un code de votre téléphone ou de votre application \
                d’authentification, et votre compte n’a ni l’un ni l’autre. Adressez-vous à \
                un autre administrateur.",
    organizations_title: "Organisations",
    organization_add: "Ajouter une organisation",
    organization_edit: "Détails",
    id: "Code court",
    id_hint: "Lettres, chiffres, - et _ (64 au plus)",
    name: "Nom",
    status: "Statut",
    org_active: "Active",
    org_suspended: "Suspendue",
    org_terminated: "Résiliée",
    registering: "Organisation d’inscription (processus d’inscription gérée approuvé)",
    yes: "Oui",
    no: "Non",
    level: "Niveau d’assurance",
    level_none: "Aucun",
    id_scheme: "Schéma d’identifiant",
    id_scheme_hint: "Comment elle identifie une personne, par exemple le numéro d’employé",
    scope: "Portée de l’approbation",
    services_allowed: "Services auxquels elle peut inscrire ses membres",
    no_services: "Aucun service n’existe encore.",
    lras: "Agents locaux d’enregistrement",
    lras_none: "Aucun agent local d’enregistrement pour l’instant.",
    lra_grant_legend: "Ajouter un agent local d’enregistrement",
    lra_login_id: "Identifiant de connexion du compte",
    lra_grant: "Accorder",
    lra_revoke: "Retirer {}",
    lra_granted: "{} est maintenant agent local d’enregistrement de cette organisation.",
    lra_revoked: "{} n’est plus agent local d’enregistrement de cette organisation.",
    save: "Enregistrer",
    add: "Ajouter",
    saved: "Vos changements sont enregistrés.",
    added: "Ajouté.",
    services_title: "Services",
    service_add: "Ajouter un service",
    url: "URL de départ",
    min_level: "Niveau d’assurance minimal",
    clients_title: "Parties utilisatrices",
    client_id: "Identifiant du client",
    service: "Service",
    service_none: "Aucun (client agissant pour lui-même seulement)",
    client_kind: "Type",
    public: "Public",
    confidential: "Confidentiel",
    grants: "Types d’autorisation",
    redirect_uris: "URI de redirection",
    accounts_title: "Comptes",
    search_label: "Identifiant de connexion, nom ou numéro d’inscription",
    search: "Rechercher",
    no_accounts: "Aucun compte ne correspond.",
    status_filter: "Statut",
    status_any: "Tous les statuts",
    col_created: "Créé le",
    login_id: "Identifiant de connexion",
    roles: "Rôles",
    reason: "Motif (consigné au journal d’audit)",
    suspend: "Suspendre",
    reinstate: "Rétablir",
    terminate: "Résilier",
    confirm_terminate: "Je comprends que la résiliation est définitive",
    confirm_required: "Cochez la case pour confirmer la résiliation.",
    issue_temporary: "Émettre un mot de passe temporaire",
    confirm_temporary: "J’ai vérifié la personne\u{a0}: son mot de passe actuel cesse de fonctionner",
    reveal_answers: "Afficher les réponses du centre de services",
    confirm_reveal: "Je vérifie cette personne maintenant (l’affichage est consigné)",
    confirm_box_required: "Cochez la case pour confirmer.",
    unlock: "Déverrouiller",
    unlocked_done: "Le compte est déverrouillé.",
    suspended_done: "Le compte est suspendu\u{a0}: ses sessions ont pris fin et {} jeton(s) \
                     d’actualisation ont été révoqués.",
    reinstated_done: "Le compte est de nouveau actif.",
    terminated_done: "Le compte est résilié\u{a0}: ses sessions ont pris fin et {} jeton(s) \
                      d’actualisation ont été révoqués.",
    unchanged: "Le compte a déjà ce statut.",
    audit_title: "Journal d’audit",
    audit_account: "Compte",
    audit_account_hint: "Son identifiant interne ou son identifiant de connexion\u{a0}: les événements qui le \
                         concernent ou dont il est l’auteur",
    audit_actor: "Acteur",
    audit_event: "Événement",
    audit_event_hint: "Par exemple account.suspended, ou account.* pour une famille",
    audit_from: "Du",
    audit_to: "Au",
    date_hint: "Les jours commencent et finissent à minuit UTC.",
    audit_system: "ONE ID (automatique)",
    audit_export: "Exporter en lignes JSON",
    audit_older: "Événements plus anciens",
    audit_newer: "Événements plus récents",
    audit_newest: "Événements les plus récents",
    audit_row_title: "Événement d’audit {}",
    col_source: "Adresse d’origine",
    col_session: "Session",
    audit_of_subject: "Tous les événements concernant le sujet",
    audit_of_actor: "Tous les événements de l’acteur",
    audit_back: "Le journal d’audit",
    audit_none: "Aucun événement ne correspond.",
    col_time: "Heure",
    col_subject: "Sujet",
    col_client: "Client",
    col_detail: "Détail",
    bad_date: "Entrez une date au format AAAA-MM-JJ.",
    bad_id: "Utilisez de 1 à 64 lettres, chiffres, - ou _.",
    bad_name: "Entrez un nom de 200 caractères au plus.",
    bad_level: "Choisissez un niveau d’assurance.",
    bad_url: "Entrez une URL http(s) de 500 caractères au plus.",
    bad_text: "Entrez 500 caractères au plus.",
    bad_registering: "Une organisation d’inscription exige un niveau d’assurance et un schéma \
                      d’identifiant.",
    bad_event: "Entrez un nom d’événement comme account.suspended, ou une famille comme \
                account.*.",
    exists: "Ce code court est déjà pris.",
    no_such_account: "Aucun compte n’a cet identifiant de connexion.",
    not_found: "Introuvable.",
    conflict: "Ce changement n’est pas possible dans l’état actuel.",
    refused: "Le changement a été refusé\u{a0}: {}",
    choose: "Choisissez…",
    client_add: "Inscrire une partie utilisatrice",
    client_id_hint: "De 1 à 128 lettres, chiffres, - _ . ou\u{a0}:",
    uris_hint: "Une par ligne : https, ou http en boucle locale seulement; sans fragment.",
    post_logout_uris: "URI de redirection après déconnexion",
    id_token_alg: "Signature du jeton d’identité",
    require_mfa: "Exiger un second facteur à chaque connexion",
    require_phishing_resistant: "Exiger une clé d’accès (connexion résistante à l’hameçonnage)",
    third_party: "Une application tierce : les personnes consentent à ce qu’elle demande (pas pour les visionneuses de la province)",
    require_par: "N’accepter que les demandes d’autorisation poussées (PAR)",
    pairwise: "Identifiants de sujet par paire\u{a0}: le secteur de cette application reçoit ses propres identifiants",
    sector_identifier_uri: "URI d’identifiant de secteur (par paire seulement)",
    sector_hint: "Une adresse https qui sert une liste JSON de toutes les URI de redirection ci-dessus. Laissez vide si elles sont toutes sur un même hôte.",
    subject_type: "Identifiants de sujet",
    subject_public: "Publics (les mêmes pour toutes les applications)",
    subject_pairwise: "Par paire, secteur",
    removed: "Retiré.",
    secret_heading: "Secret du client",
    secret_once: "Affiché une seule fois, maintenant\u{a0}: seule son empreinte est conservée. Remettez-le à l’exploitant de la partie utilisatrice.",
    client_remove: "Retirer cette partie utilisatrice",
    client_remove_confirm: "Oui : ses jetons cessent de fonctionner et personne ne pourra plus s’y connecter.",
    remove: "Retirer",
    bad_client_id: "Utilisez de 1 à 128 lettres, chiffres, - _ . ou\u{a0}:",
    bad_uris: "Entrez au moins une URL https absolue (http en boucle locale seulement), sans fragment, une par ligne.",
    needs_service: "Une partie utilisatrice qui connecte des personnes appartient à un service\u{a0}: choisissez-en un.",
    no_such_service: "Choisissez un service existant.",
};
