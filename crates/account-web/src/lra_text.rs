//! The words of the LRA console, in English and French: one field per message, so a missing
//! translation cannot compile. Labels shared with the account pages (names, date of birth,
//! contact details, status) come from `AccountText`; document names and the reasons a
//! document is refused come from the catalogue in `registration::lra`.

use platform::Locale;

/// Every string of the LRA console.
#[derive(Debug)]
pub struct LraText {
    /// Console title.
    pub title: &'static str,
    /// The account is no LRA.
    pub forbidden: &'static str,
    /// `{}` is the organization's name.
    pub organization: &'static str,
    /// Navigation.
    pub nav_search: &'static str,
    /// Navigation.
    pub nav_register: &'static str,
    /// Navigation.
    pub nav_affiliate: &'static str,
    /// Search label.
    pub search: &'static str,
    /// Search hint.
    pub search_hint: &'static str,
    /// No results.
    pub no_results: &'static str,
    /// Column / label: the organization's identifier of the person.
    pub member_id: &'static str,
    /// Register page title.
    pub register_title: &'static str,
    /// Register page explanation.
    pub register_intro: &'static str,
    /// Legend.
    pub identity: &'static str,
    /// Hint under the preferred names.
    pub preferred_hint: &'static str,
    /// Legend.
    pub designation: &'static str,
    /// Label.
    pub college: &'static str,
    /// Label.
    pub registration_number: &'static str,
    /// Legend.
    pub evidence: &'static str,
    /// Explanation of the evidence rule.
    pub evidence_hint: &'static str,
    /// Label, `{}` is the row number.
    pub document_n: &'static str,
    /// Empty choice.
    pub no_document: &'static str,
    /// Prefix of a primary document.
    pub primary: &'static str,
    /// Prefix of a secondary document.
    pub secondary: &'static str,
    /// Prefix of a refused document.
    pub not_accepted: &'static str,
    /// Suffix of a document with a photo.
    pub with_photo: &'static str,
    /// Checkbox.
    pub in_person: &'static str,
    /// Checkbox.
    pub second_check: &'static str,
    /// Label.
    pub level: &'static str,
    /// Button.
    pub register: &'static str,
    /// Choose a document of the list.
    pub unknown_document: &'static str,
    /// The same document twice.
    pub repeated_document: &'static str,
    /// Too many documents.
    pub too_many_documents: &'static str,
    /// AL2/AL3 without a direct interaction.
    pub not_in_person: &'static str,
    /// AL2/AL3 with fewer than two documents.
    pub too_few: &'static str,
    /// AL2/AL3 without a primary document.
    pub no_primary: &'static str,
    /// AL2/AL3 without a photo.
    pub no_photo: &'static str,
    /// AL3 without the second check.
    pub no_second_check: &'static str,
    /// Not a level.
    pub bad_level: &'static str,
    /// The registration number is another person's.
    pub designation_taken: &'static str,
    /// Registered: `{name}`, `{level}`.
    pub registered: &'static str,
    /// Label.
    pub temporary_password: &'static str,
    /// Existing account: `{}` is its login ID.
    pub existing: &'static str,
    /// Link.
    pub open_person: &'static str,
    /// Link.
    pub register_another: &'static str,
    /// Affiliate page title.
    pub affiliate_title: &'static str,
    /// Affiliate page explanation, `{org}`, `{level}`.
    pub affiliate_intro: &'static str,
    /// The organization has no managed registration process.
    pub not_registering: &'static str,
    /// The managed process registers no one now.
    pub process_closed: &'static str,
    /// Label when the organization names no scheme.
    pub member_id_label: &'static str,
    /// Label.
    pub affiliation: &'static str,
    /// Hint.
    pub affiliation_hint: &'static str,
    /// Label: the affiliation document.
    pub affiliation_document: &'static str,
    /// First option of the document list.
    pub choose: &'static str,
    /// Label.
    pub relationship: &'static str,
    /// Hint.
    pub relationship_hint: &'static str,
    /// Label.
    pub confirmed_by: &'static str,
    /// Hint.
    pub confirmed_by_hint: &'static str,
    /// Checkbox.
    pub process_confirmed: &'static str,
    /// Checkbox.
    pub genuine_and_current: &'static str,
    /// Evidence row detail: `{relationship}`.
    pub affiliation_relationship: &'static str,
    /// Evidence row detail: `{who}`.
    pub affiliation_confirmed_by: &'static str,
    /// The identifier is another person's.
    /// Refusal: the LRA's own account.
    pub own_account: &'static str,
    /// Refusal: an account holding a staff role (staff never act on staff).
    pub staff_account: &'static str,
    /// Refusal: an existing account needs stronger evidence.
    pub existing_needs_evidence: &'static str,
    pub member_conflict: &'static str,
    /// A value too long or with control characters.
    pub invalid_value: &'static str,
    /// Heading.
    pub evidence_on_record: &'static str,
    /// No evidence.
    pub evidence_none: &'static str,
    /// Evidence kind.
    pub primary_document: &'static str,
    /// Evidence kind.
    pub secondary_document: &'static str,
    /// Evidence kind.
    pub kind_affiliation: &'static str,
    /// Evidence note.
    pub seen_in_person: &'static str,
    /// Evidence row: `{org}` and `{date}`.
    pub recorded: &'static str,
    /// Heading.
    pub enrolments: &'static str,
    /// No enrolment.
    pub enrolments_none: &'static str,
    /// Enrolment row: `{sponsor}`, `{date}`.
    pub enrolled_through: &'static str,
    /// Button, `{}` is the service.
    pub end_enrolment: &'static str,
    /// Label.
    pub enrol_in: &'static str,
    /// Button.
    pub enrol: &'static str,
    /// Nothing left to enrol in.
    pub no_services: &'static str,
    /// Button.
    pub end_sponsorship: &'static str,
    /// Hint.
    pub end_sponsorship_hint: &'static str,
    /// Checkbox of the end-sponsorship form.
    pub confirm_end_sponsorship: &'static str,
    /// The box was not ticked.
    pub confirm_required: &'static str,
    /// Done, `{}` is the service.
    pub enrolled: &'static str,
    /// Done, `{}` is the service.
    pub enrolment_ended: &'static str,
    /// Done, `{}` is the person.
    pub sponsorship_ended: &'static str,
    /// Refused.
    pub service_not_allowed: &'static str,
    /// Refused: `{need}`, `{have}`.
    pub level_too_low: &'static str,
    /// Refused.
    pub not_enrolled: &'static str,
    /// Unknown person, or another organization's.
    pub no_person: &'static str,
    /// The organization is not active.
    pub organization_inactive: &'static str,
    /// Link.
    pub back_to_search: &'static str,
}

impl LraText {
    /// The text in `locale`.
    pub fn get(locale: Locale) -> &'static LraText {
        match locale {
            Locale::Fr => &FR,
            _ => &EN,
        }
    }
}

static EN: LraText = LraText {
    title: "Local registration authority",
    forbidden: "This page is for the local registration authorities (LRAs) of a sponsoring organization.",
    organization: "Registering for {}",
    nav_search: "Find a person",
    nav_register: "Register a person",
    nav_affiliate: "Register an affiliate",
    search: "Find a person your organization sponsors",
    search_hint: "Login ID, name, registration number or your organization’s identifier",
    no_results: "No person sponsored by your organization matches.",
    member_id: "Organization identifier",
    register_title: "Register a person",
    register_intro: "Validate the person’s identity face to face (or by a reasonable equivalent) and record the identity documents you saw. A health card or a social insurance card is never accepted.",
    identity: "Identity",
    preferred_hint: "Leave empty to use the legal name.",
    designation: "Professional designation (optional)",
    college: "Regulatory college",
    registration_number: "Registration number",
    evidence: "Identity documents seen",
    evidence_hint: "For AL2 or AL3: two documents, at least one primary and at least one with a photo, seen face to face.",
    document_n: "Document {}",
    no_document: "No document",
    primary: "Primary",
    secondary: "Secondary",
    not_accepted: "Not accepted",
    with_photo: "photo",
    in_person: "I met the person face to face (or by a reasonable equivalent)",
    second_check: "A second check of the documents was done (required for AL3)",
    level: "Level of assurance",
    register: "Register",
    unknown_document: "Choose a document from the list.",
    repeated_document: "This document is already listed.",
    too_many_documents: "Record at most 5 documents.",
    not_in_person: "AL2 and AL3 need a face-to-face meeting (or a reasonable equivalent).",
    too_few: "AL2 and AL3 need two identity documents.",
    no_primary: "AL2 and AL3 need at least one primary document.",
    no_photo: "AL2 and AL3 need at least one document with a photo.",
    no_second_check: "AL3 needs a second check of the documents.",
    bad_level: "Choose AL1, AL2 or AL3.",
    designation_taken: "This registration number belongs to another person.",
    registered: "{name} is registered at AL{level}. Give the person the login ID and the temporary password below: the password is shown only once and must be changed at the first sign-in.",
    temporary_password: "Temporary password",
    existing: "This person already has a ONE ID account ({}). No second account was created; your organization sponsors it.",
    open_person: "Open the person’s page",
    register_another: "Register another person",
    affiliate_title: "Register an affiliate",
    affiliate_intro: "Register a person {org} validated through its managed registration process. Confirm the affiliation with documentary evidence; the person gets the level assigned to the process: AL{level}.",
    not_registering: "Your organization has no approved managed registration process.",
    process_closed: "Your organization’s managed registration process is suspended, terminated or outside the dates of its approval: it cannot register anyone now. Your organization can still sponsor and enrol the people it sponsors.",
    member_id_label: "Your organization’s identifier of the person",
    affiliation: "Documentary evidence of affiliation",
    affiliation_hint: "Only documentary evidence (004 §6.5.7). From the person, only a current photo employee ID card; from the organization, one piece is enough.",
    affiliation_document: "Documentary evidence seen",
    choose: "Choose…",
    relationship: "Relationship with the organization",
    relationship_hint: "For example: regular full-time employee, physician with privileges.",
    confirmed_by: "Confirmed by (name and title in the organization)",
    confirmed_by_hint: "Required for evidence obtained from or confirmed by the organization.",
    process_confirmed: "I confirmed that the person went through the organization’s managed registration process, and confirmed their identity before handing out credentials.",
    genuine_and_current: "The evidence appears genuine, was issued by the organization, and is valid today.",
    affiliation_relationship: "relationship: {relationship}",
    affiliation_confirmed_by: "confirmed by {who}",
    own_account: "You cannot register or enrol yourself. Ask another registration authority.",
    staff_account: "This account holds a staff role: an administrator manages its sponsorship and enrolments.",
    existing_needs_evidence: "This person already has a ONE ID account that your organization does not sponsor. To sponsor it, meet the person in person with identity documents at or above the account's level of assurance; the date of birth must match the account's.",
    member_conflict: "This identifier belongs to another person, or the person has another identifier at your organization.",
    invalid_value: "Enter a shorter value, on one line.",
    evidence_on_record: "Evidence on record",
    evidence_none: "No evidence on record.",
    primary_document: "Primary document",
    secondary_document: "Secondary document",
    kind_affiliation: "Evidence of affiliation",
    seen_in_person: "seen face to face",
    recorded: "recorded by {org} on {date}",
    enrolments: "Enrolments",
    enrolments_none: "Not enrolled in any service.",
    enrolled_through: "through {sponsor} since {date}",
    end_enrolment: "End: {}",
    enrol_in: "Enrol in",
    enrol: "Enrol",
    no_services: "Your organization may not enrol this person in any other service.",
    end_sponsorship: "End sponsorship",
    end_sponsorship_hint: "Your organization stops sponsoring this person; every enrolment made through it ends.",
    confirm_end_sponsorship: "I confirm: end this sponsorship and its enrolments",
    confirm_required: "Tick the box to confirm.",
    enrolled: "Enrolled in {}.",
    enrolment_ended: "The enrolment in {} is ended.",
    sponsorship_ended: "Your organization no longer sponsors {}; the enrolments made through it are ended.",
    service_not_allowed: "Your organization may not enrol people in this service.",
    level_too_low: "This service needs AL{need}; the person is AL{have}.",
    not_enrolled: "The person is not enrolled in this service through your organization.",
    no_person: "No person sponsored by your organization has this identifier.",
    organization_inactive: "Your organization is not active: it cannot register, sponsor or enrol anyone.",
    back_to_search: "Back to search",
};

static FR: LraText = LraText {
    title: "Autorité locale d’inscription",
    forbidden: "Cette page est réservée aux autorités locales d’inscription (ALI) d’un organisme parrain.",
    organization: "Inscriptions pour {}",
    nav_search: "Trouver une personne",
    nav_register: "Inscrire une personne",
    nav_affiliate: "Inscrire un membre affilié",
    search: "Trouver une personne parrainée par votre organisme",
    search_hint: "Identifiant de connexion, nom, numéro d’inscription ou identifiant de votre organisme",
    no_results: "Aucune personne parrainée par votre organisme ne correspond.",
    member_id: "Identifiant de l’organisme",
    register_title: "Inscrire une personne",
    register_intro: "Validez l’identité de la personne en personne (ou par un moyen équivalent raisonnable) et notez les pièces d’identité vues. La carte Santé et la carte d’assurance sociale ne sont jamais acceptées.",
    identity: "Identité",
    preferred_hint: "Laissez vide pour utiliser le nom légal.",
    designation: "Titre professionnel (facultatif)",
    college: "Ordre de réglementation",
    registration_number: "Numéro d’inscription",
    evidence: "Pièces d’identité vues",
    evidence_hint: "Pour AL2 ou AL3\u{a0}: deux pièces, dont au moins une pièce principale et au moins une avec photo, vues en personne.",
    document_n: "Pièce {}",
    no_document: "Aucune pièce",
    primary: "Principale",
    secondary: "Secondaire",
    not_accepted: "Non acceptée",
    with_photo: "photo",
    in_person: "J’ai rencontré la personne en personne (ou par un moyen équivalent raisonnable)",
    second_check: "Une seconde vérification des pièces a été faite (exigée pour AL3)",
    level: "Niveau d’assurance",
    register: "Inscrire",
    unknown_document: "Choisissez une pièce dans la liste.",
    repeated_document: "Cette pièce figure déjà dans la liste.",
    too_many_documents: "Notez au plus 5 pièces.",
    not_in_person: "AL2 et AL3 exigent une rencontre en personne (ou un moyen équivalent raisonnable).",
    too_few: "AL2 et AL3 exigent deux pièces d’identité.",
    no_primary: "AL2 et AL3 exigent au moins une pièce principale.",
    no_photo: "AL2 et AL3 exigent au moins une pièce avec photo.",
    no_second_check: "AL3 exige une seconde vérification des pièces.",
    bad_level: "Choisissez AL1, AL2 ou AL3.",
    designation_taken: "Ce numéro d’inscription appartient à une autre personne.",
    registered: "{name} est inscrit(e) au niveau AL{level}. Remettez à la personne l’identifiant de connexion et le mot de passe temporaire ci-dessous\u{a0}: le mot de passe n’est affiché qu’une fois et doit être changé à la première ouverture de session.",
    temporary_password: "Mot de passe temporaire",
    existing: "Cette personne a déjà un compte ONE ID ({}). Aucun second compte n’a été créé; votre organisme le parraine.",
    open_person: "Ouvrir la page de la personne",
    register_another: "Inscrire une autre personne",
    affiliate_title: "Inscrire un membre affilié",
    affiliate_intro: "Inscrivez une personne que {org} a validée par son processus d’inscription géré. Confirmez l’affiliation par une preuve documentaire; la personne reçoit le niveau attribué au processus\u{a0}: AL{level}.",
    not_registering: "Votre organisme n’a pas de processus d’inscription géré approuvé.",
    process_closed: "Le processus d’inscription géré de votre organisme est suspendu, résilié ou hors des dates de son approbation\u{a0}: il ne peut inscrire personne pour l’instant. Votre organisme peut toujours parrainer et inscrire aux services les personnes qu’il parraine.",
    member_id_label: "Identifiant de la personne dans votre organisme",
    affiliation: "Preuve documentaire de l’affiliation",
    affiliation_hint: "Seule une preuve documentaire est acceptée (004 §6.5.7). De la personne, seulement une carte d’employé avec photo en vigueur; de l’organisme, une seule pièce suffit.",
    affiliation_document: "Preuve documentaire vue",
    choose: "Choisir…",
    relationship: "Lien avec l’organisme",
    relationship_hint: "Par exemple\u{a0}: employé régulier à temps plein, médecin ayant des privilèges.",
    confirmed_by: "Confirmé par (nom et titre dans l’organisme)",
    confirmed_by_hint: "Obligatoire pour une preuve obtenue ou confirmée auprès de l’organisme.",
    process_confirmed: "J’ai confirmé que la personne a suivi le processus d’inscription géré de l’organisme et confirmé son identité avant de remettre les justificatifs.",
    genuine_and_current: "La preuve semble authentique, a été délivrée par l’organisme et est valide aujourd’hui.",
    affiliation_relationship: "lien : {relationship}",
    affiliation_confirmed_by: "confirmé par {who}",
    own_account: "Vous ne pouvez pas vous inscrire ni vous parrainer vous-même. Adressez-vous à une autre autorité d’enregistrement.",
    staff_account: "Ce compte a un rôle du personnel\u{a0}: un administrateur gère son parrainage et ses inscriptions.",
    existing_needs_evidence: "Cette personne a déjà un compte ONE ID que votre organisme ne parraine pas. Pour le parrainer, rencontrez la personne en personne avec des pièces d’identité d’un niveau d’assurance égal ou supérieur à celui du compte; la date de naissance doit correspondre à celle du compte.",
    member_conflict: "Cet identifiant appartient à une autre personne, ou la personne a un autre identifiant dans votre organisme.",
    invalid_value: "Entrez une valeur plus courte, sur une seule ligne.",
    evidence_on_record: "Preuves au dossier",
    evidence_none: "Aucune preuve au dossier.",
    primary_document: "Pièce principale",
    secondary_document: "Pièce secondaire",
    kind_affiliation: "Preuve d’affiliation",
    seen_in_person: "vue en personne",
    recorded: "notée par {org} le {date}",
    enrolments: "Inscriptions aux services",
    enrolments_none: "Inscrit(e) à aucun service.",
    enrolled_through: "par {sponsor} depuis le {date}",
    end_enrolment: "Mettre fin : {}",
    enrol_in: "Inscrire au service",
    enrol: "Inscrire",
    no_services: "Votre organisme ne peut inscrire cette personne à aucun autre service.",
    end_sponsorship: "Mettre fin au parrainage",
    end_sponsorship_hint: "Votre organisme cesse de parrainer cette personne; toutes les inscriptions faites par son entremise prennent fin.",
    confirm_end_sponsorship: "Je confirme\u{a0}: mettre fin à ce parrainage et à ses inscriptions",
    confirm_required: "Cochez la case pour confirmer.",
    enrolled: "Inscription au service {} faite.",
    enrolment_ended: "L’inscription au service {} a pris fin.",
    sponsorship_ended: "Votre organisme ne parraine plus {}; les inscriptions faites par son entremise ont pris fin.",
    service_not_allowed: "Votre organisme ne peut pas inscrire de personnes à ce service.",
    level_too_low: "Ce service exige AL{need}; la personne est au niveau AL{have}.",
    not_enrolled: "La personne n’est pas inscrite à ce service par votre organisme.",
    no_person: "Aucune personne parrainée par votre organisme n’a cet identifiant.",
    organization_inactive: "Votre organisme n’est pas actif\u{a0}: il ne peut inscrire, parrainer ni inscrire à un service personne.",
    back_to_search: "Retour à la recherche",
};
