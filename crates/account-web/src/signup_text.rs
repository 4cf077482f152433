//! The words of the self-registration wizard, in English and French (one field per message,
//! so a missing translation cannot compile). Labels shared with My Profile come from
//! `AccountText`.

use credential_store::ChallengeProblem;
use platform::Locale;
use registration::wizard::{Problem, Step};
use web::account_text::AccountText;

/// Every string of the wizard.
#[derive(Debug)]
pub struct SignupText {
    /// Title of every step page.
    pub title: &'static str,
    /// Step names, in order (the progress bar).
    pub step_policies: &'static str,
    /// Step name.
    pub step_personal: &'static str,
    /// Step name.
    pub step_designation: &'static str,
    /// Step name.
    pub step_questions: &'static str,
    /// Step name.
    pub step_phones: &'static str,
    /// Step name.
    pub step_mail: &'static str,
    /// Step name.
    pub step_password: &'static str,
    /// "Step {n} of {m}: {name}".
    pub step_of: &'static str,
    /// Button.
    pub next: &'static str,
    /// Button.
    pub back: &'static str,
    /// Button.
    pub cancel: &'static str,
    /// Button on the last step.
    pub finish: &'static str,
    /// Heading: notice of collection.
    pub notice_heading: &'static str,
    /// Heading: the agreement.
    pub agreement_heading: &'static str,
    /// Agreement version label.
    pub agreement_version: &'static str,
    /// Checkbox.
    pub agree: &'static str,
    /// Error.
    pub must_agree: &'static str,
    /// Intro of the personal step.
    pub personal_intro: &'static str,
    /// Hint beside locked values.
    pub locked_hint: &'static str,
    /// Gender label.
    pub gender: &'static str,
    /// Button: move the middle name.
    pub move_middle: &'static str,
    /// Hint under the preferred first name when a middle name was appended.
    pub middle_hint: &'static str,
    /// Intro of the designation step.
    pub designation_intro: &'static str,
    /// Label of the locked designation.
    pub designation_locked: &'static str,
    /// Legend of an added row: "Other designation {}".
    pub designation_row: &'static str,
    /// Label.
    pub college: &'static str,
    /// Label.
    pub number: &'static str,
    /// Select placeholder.
    pub choose_college: &'static str,
    /// Button.
    pub add_another: &'static str,
    /// Button.
    pub reset_row: &'static str,
    /// Error.
    pub college_needed: &'static str,
    /// Error.
    pub number_needed: &'static str,
    /// Error.
    pub number_format: &'static str,
    /// Error.
    pub college_twice: &'static str,
    /// Error.
    pub number_taken: &'static str,
    /// Link on the designation step to the help page (001 §4.0).
    pub designation_help: &'static str,
    /// Help page title: the registry's college or number is wrong.
    pub help_title: &'static str,
    /// Help page text; `{college}` is the registry's college.
    pub help_text: &'static str,
    /// Help page: the button that stops the registration.
    pub help_stop: &'static str,
    /// Help page: the link back to the designation step.
    pub help_back: &'static str,
    /// Heading of the answer tips (001 §5.1).
    pub tips_heading: &'static str,
    /// The answer tips (001 §5.1).
    pub tips: [&'static str; 4],
    /// Error: a challenge phone and "I do not have a direct number" together.
    pub phone_and_no_direct: &'static str,
    /// Intro of the questions step.
    pub questions_intro: &'static str,
    /// Intro of the phones step.
    pub phones_intro: &'static str,
    /// ONE Mail Direct text.
    pub mail_text: &'static str,
    /// Intro of the password step.
    pub password_intro: &'static str,
    /// Label.
    pub password: &'static str,
    /// Completion page title.
    pub complete_title: &'static str,
    /// Completion text.
    pub complete_text: &'static str,
    /// Label.
    pub your_login_id: &'static str,
    /// Heading.
    pub services_heading: &'static str,
    /// Text with no service.
    pub no_services: &'static str,
    /// Heading of the completion page's general links (001 §9.0).
    pub general_links: &'static str,
    /// General link: My Profile.
    pub manage_account: &'static str,
    /// Title of the question before cancelling.
    pub cancel_title: &'static str,
    /// The question before cancelling.
    pub cancel_question: &'static str,
    /// Button: yes, cancel.
    pub cancel_yes: &'static str,
    /// Link: no, continue.
    pub cancel_no: &'static str,
    /// Cancelled page title.
    pub cancelled_title: &'static str,
    /// Cancelled text.
    pub cancelled_text: &'static str,
    /// Existing-account page title (the self-service welcome page).
    pub welcome_title: &'static str,
    /// Existing-account notice.
    pub existing_notice: &'static str,
    /// Welcome text.
    pub welcome_text: &'static str,
    /// The member's account was terminated.
    pub existing_terminated: &'static str,
    /// The registry reported the member's registration deleted or terminated.
    pub member_terminated: &'static str,
    /// Link.
    pub sign_in: &'static str,
    /// Hand-off refused: title.
    pub refused_title: &'static str,
    /// Hand-off refused: bad, expired or reused link.
    pub refused_invalid: &'static str,
    /// Hand-off refused: registry not accepting registrations.
    pub refused_registry: &'static str,
    /// Hand-off refused: the member's registration class may not self-register.
    pub refused_class: &'static str,
    /// One person, one account: title.
    pub same_title: &'static str,
    /// One person, one account: what happened and the two ways on.
    pub same_text: &'static str,
    /// Link: sign in with the existing account.
    pub same_sign_in: &'static str,
    /// Button: the account is not mine.
    pub same_not_mine: &'static str,
    /// Linked: title.
    pub linked_title: &'static str,
    /// Linked: text, `{login}`.
    pub linked_text: &'static str,
    /// Held: title.
    pub held_title: &'static str,
    /// Held: text.
    pub held_text: &'static str,
    /// No wizard in progress.
    pub expired: &'static str,
    /// A number of ours taken by someone else at the last moment.
    pub designation_race: &'static str,
}

impl SignupText {
    /// The text in `locale`.
    pub fn get(locale: Locale) -> &'static SignupText {
        match locale {
            Locale::En => &EN,
            Locale::Fr => &FR,
        }
    }

    /// The name of `step` (its page title and its place in the progress bar).
    pub fn step(&self, step: Step) -> &'static str {
        match step {
            Step::Policies => self.step_policies,
            Step::Personal => self.step_personal,
            Step::Designation => self.step_designation,
            Step::Questions => self.step_questions,
            Step::Phones => self.step_phones,
            Step::Mail => self.step_mail,
            Step::Password => self.step_password,
        }
    }

    /// The message for a step's `problem` (`a`: the words shared with My Profile, in the
    /// same language).
    pub fn problem(&self, a: &AccountText, problem: Problem) -> &'static str {
        match problem {
            Problem::MustAgree => self.must_agree,
            Problem::Required => a.required,
            Problem::BadName => a.bad_name,
            Problem::BadEmail => a.bad_email,
            Problem::BadPhone => a.bad_phone,
            Problem::BadLanguage => a.bad_language,
            Problem::CollegeNeeded => self.college_needed,
            Problem::CollegeTwice => self.college_twice,
            Problem::NumberNeeded => self.number_needed,
            Problem::NumberFormat => self.number_format,
            Problem::NumberTaken => self.number_taken,
            Problem::PhoneDuplicate => a.phone_duplicate,
            Problem::PhoneAndNoDirect => self.phone_and_no_direct,
            Problem::Challenge(ChallengeProblem::NoQuestion) => a.q_none,
            Problem::Challenge(ChallengeProblem::SameQuestion) => a.q_same,
            Problem::Challenge(ChallengeProblem::NoAnswer) => a.a_none,
            Problem::Challenge(ChallengeProblem::TooLong) => a.a_long,
            Problem::Challenge(ChallengeProblem::SameAnswer) => a.a_same,
        }
    }
}

static EN: SignupText = SignupText {
    title: "Register for ONE ID",
    step_policies: "Policies",
    step_personal: "Personal information",
    step_designation: "Professional designation",
    step_questions: "Challenge questions",
    step_phones: "Challenge phone",
    step_mail: "ONE Mail Direct",
    step_password: "Set password",
    step_of: "Step {n} of {m}: {name}",
    next: "Next",
    back: "Back",
    cancel: "Cancel",
    finish: "Complete registration",
    notice_heading: "Notice of collection",
    agreement_heading: "Agreement",
    agreement_version: "Version",
    agree: "I agree to the agreement above",
    must_agree: "You must agree to the agreement to register. Choose Cancel if you do not agree.",
    personal_intro: "Your registry gave us your legal name, gender and date of birth; they cannot be changed here. Fields marked * are required.",
    locked_hint: "From your registry",
    gender: "Gender",
    move_middle: "Move my middle name to Middle names",
    middle_hint: "Your middle name is added to your preferred first name. Use the button below to move it to Middle names instead.",
    designation_intro: "Your registration number comes from your registry and cannot be changed. Add any other college you are registered with.",
    designation_locked: "From your registry",
    designation_row: "Other designation {}",
    college: "Regulatory college",
    number: "Registration or licence number",
    choose_college: "Choose a college",
    add_another: "Add another",
    reset_row: "Remove this designation",
    college_needed: "Choose the college of this registration number.",
    number_needed: "Enter the registration number for this college.",
    number_format: "Enter the registration number in this college's format (digits only, of the usual length).",
    college_twice: "Each college can be listed once.",
    number_taken: "This registration number belongs to another account. Call the service desk if it is yours.",
    designation_help: "Help: my college or registration number is wrong",
    help_title: "Your college or registration number is wrong",
    help_text: "Your college and registration number come from the register of the {college} and cannot be changed here. If they are wrong, stop this registration (nothing is stored) and contact the {college} to have your record corrected. Then start again from its site.",
    help_stop: "Stop my registration",
    help_back: "Back to Professional designation",
    tips_heading: "Tips for answers",
    tips: [
        "Choose questions only you know the answer to.",
        "Choose answers that are easy to remember but hard to guess. One-word answers are best.",
        "You cannot choose the same question more than once.",
        "You cannot give the same answer to more than one question.",
    ],
    phone_and_no_direct: "Enter a phone number or check that you have no direct number, not both.",
    questions_intro: "Choose 5 different questions and give a different answer to each.",
    phones_intro: "Optional. If you give no number, we use your online challenge questions instead.",
    mail_text: "ONE Mail Direct has been retired. There is nothing to set up here; choose Next to continue.",
    password_intro: "Choose the password you will sign in with. It is valid for one year.",
    password: "Password",
    complete_title: "Registration complete",
    complete_text: "Your ONE ID account is ready. Write down your login ID: you sign in with it and your password at every service below.",
    your_login_id: "Your login ID",
    services_heading: "Services you can use",
    no_services: "Your sponsor has not enrolled you in a service yet.",
    general_links: "General links",
    manage_account: "ONE ID (to manage your ONE ID account)",
    cancel_title: "Cancel your registration?",
    cancel_question: "If you cancel, nothing you entered is kept, and you start again from your registry's site.",
    cancel_yes: "Yes, cancel my registration",
    cancel_no: "No, continue my registration",
    cancelled_title: "Registration cancelled",
    cancelled_text: "Your registration is cancelled and nothing was stored. You can start again from your registry's site.",
    welcome_title: "Welcome to ONE ID",
    existing_notice: "You already have a ONE ID account for this registration number, so you do not need to register again. Sign in with your login ID and password.",
    welcome_text: "Sign in to manage your profile, password, challenge questions and phones.",
    existing_terminated: "Your ONE ID account for this registration number has been terminated, so it cannot be used or registered again here. Contact the ONE ID service desk.",
    member_terminated: "Your registry has reported that your registration with it has ended, so you cannot register for ONE ID through it. If this is a mistake, contact your registry.",
    sign_in: "Sign in",
    refused_title: "Registration could not start",
    refused_invalid: "The registration link is not valid: it has expired, was already used, or was not signed by a registry we trust. Go back to your registry's site and choose “Sign up for ONE ID” again.",
    refused_registry: "Your registry is not accepting ONE ID registrations at this time. Contact your registry or the ONE ID service desk.",
    same_title: "You may already have a ONE ID account",
    same_text: "A ONE ID account already exists for a person with your legal name and date of birth, so no second account was made. If it is yours, sign in with it: your registration is then added to it. If it is not yours, or you cannot sign in, your registration is held and the service desk or a local registration authority will resolve it with you.",
    same_sign_in: "Sign in with my existing ONE ID account",
    same_not_mine: "This account is not mine",
    linked_title: "Your registration is added to your ONE ID account",
    linked_text: "Your registry's registration is now part of your ONE ID account {login}: you keep your login ID and password, and your services are added to it.",
    held_title: "Your registration is held for review",
    held_text: "No account was made. The service desk or a local registration authority will review your registration with you: they either add it to the existing account or let you register a new one.",
    refused_class: "Self-registration through your registry is open only to members of certain registration classes (for example, members with an active certificate of registration), and yours is not one of them. A local registration authority of your organization, or the ONE ID service desk, can register you instead.",
    expired: "Your registration session has expired or was not started. Start again from your registry's site; nothing was stored.",
    designation_race: "One of your registration numbers was just registered by another account. Check your professional designations.",
};

static FR: SignupText = SignupText {
    title: "Inscription à ONE ID",
    step_policies: "Politiques",
    step_personal: "Renseignements personnels",
    step_designation: "Titre professionnel",
    step_questions: "Questions de sécurité",
    step_phones: "Téléphone de vérification",
    step_mail: "ONE Mail Direct",
    step_password: "Mot de passe",
    step_of: "Étape {n} de {m}\u{a0}: {name}",
    next: "Suivant",
    back: "Précédent",
    cancel: "Annuler",
    finish: "Terminer l’inscription",
    notice_heading: "Avis de collecte",
    agreement_heading: "Entente",
    agreement_version: "Version",
    agree: "J’accepte l’entente ci-dessus",
    must_agree: "Vous devez accepter l’entente pour vous inscrire. Choisissez Annuler si vous ne l’acceptez pas.",
    personal_intro: "Votre registre nous a transmis votre nom légal, votre genre et votre date de naissance; ils ne peuvent pas être modifiés ici. Les champs marqués d’un * sont obligatoires.",
    locked_hint: "Fourni par votre registre",
    gender: "Genre",
    move_middle: "Déplacer mon second prénom vers Autres prénoms",
    middle_hint: "Votre second prénom est ajouté à votre prénom usuel. Utilisez le bouton ci-dessous pour le placer plutôt dans Autres prénoms.",
    designation_intro: "Votre numéro d’inscription provient de votre registre et ne peut pas être modifié. Ajoutez tout autre ordre professionnel auquel vous êtes inscrit.",
    designation_locked: "Fourni par votre registre",
    designation_row: "Autre titre {}",
    college: "Ordre professionnel",
    number: "Numéro d’inscription ou de permis",
    choose_college: "Choisissez un ordre",
    add_another: "Ajouter un autre",
    reset_row: "Retirer cette désignation",
    college_needed: "Choisissez l’ordre de ce numéro d’inscription.",
    number_needed: "Entrez le numéro d’inscription pour cet ordre.",
    number_format: "Entrez le numéro d’inscription dans le format de cet ordre (chiffres seulement, de la longueur habituelle).",
    college_twice: "Chaque ordre ne peut figurer qu’une fois.",
    number_taken: "Ce numéro d’inscription appartient à un autre compte. Appelez le service d’assistance s’il est le vôtre.",
    designation_help: "Aide\u{a0}: mon ordre ou mon numéro d’inscription est erroné",
    help_title: "Votre ordre ou votre numéro d’inscription est erroné",
    help_text: "Votre ordre et votre numéro d’inscription proviennent du registre de l’organisme {college} et ne peuvent pas être modifiés ici. S’ils sont erronés, interrompez cette inscription (rien n’est enregistré) et communiquez avec l’organisme {college} pour faire corriger votre dossier. Recommencez ensuite à partir de son site.",
    help_stop: "Interrompre mon inscription",
    help_back: "Retour à Titre professionnel",
    tips_heading: "Conseils pour les réponses",
    tips: [
        "Choisissez des questions dont vous êtes le seul à connaître la réponse.",
        "Choisissez des réponses faciles à retenir mais difficiles à deviner. Les réponses en un seul mot sont préférables.",
        "Vous ne pouvez pas sélectionner la même question plus d’une fois.",
        "Vous ne pouvez pas saisir la même réponse à plusieurs questions.",
    ],
    phone_and_no_direct: "Entrez un numéro de téléphone ou cochez que vous n’avez pas de numéro direct, mais pas les deux.",
    questions_intro: "Choisissez 5 questions différentes et donnez une réponse différente à chacune.",
    phones_intro: "Facultatif. Si vous ne donnez aucun numéro, nous utilisons plutôt vos questions de sécurité en ligne.",
    mail_text: "Le service ONE Mail Direct a été retiré. Il n’y a rien à configurer ici; choisissez Suivant pour continuer.",
    password_intro: "Choisissez le mot de passe avec lequel vous vous connecterez. Il est valide pendant un an.",
    password: "Mot de passe",
    complete_title: "Inscription terminée",
    complete_text: "Votre compte ONE ID est prêt. Notez votre identifiant de connexion\u{a0}: vous vous connectez avec lui et votre mot de passe à chacun des services ci-dessous.",
    your_login_id: "Votre identifiant de connexion",
    services_heading: "Services que vous pouvez utiliser",
    no_services: "Votre parrain ne vous a encore inscrit à aucun service.",
    general_links: "Liens généraux",
    manage_account: "ONE ID (pour gérer votre compte ONE ID)",
    cancel_title: "Annuler votre inscription?",
    cancel_question: "Si vous annulez, rien de ce que vous avez saisi n’est conservé, et vous recommencez à partir du site de votre registre.",
    cancel_yes: "Oui, annuler mon inscription",
    cancel_no: "Non, poursuivre mon inscription",
    cancelled_title: "Inscription annulée",
    cancelled_text: "Votre inscription est annulée et rien n’a été enregistré. Vous pouvez recommencer à partir du site de votre registre.",
    welcome_title: "Bienvenue à ONE ID",
    existing_notice: "Vous avez déjà un compte ONE ID pour ce numéro d’inscription; vous n’avez pas à vous inscrire de nouveau. Connectez-vous avec votre identifiant de connexion et votre mot de passe.",
    welcome_text: "Connectez-vous pour gérer votre profil, votre mot de passe, vos questions de sécurité et vos téléphones.",
    existing_terminated: "Votre compte ONE ID pour ce numéro d’inscription a été résilié; il ne peut pas être utilisé ni inscrit de nouveau ici. Communiquez avec le service d’assistance de ONE ID.",
    member_terminated: "Votre registre a signalé que votre inscription auprès de lui a pris fin; vous ne pouvez donc pas vous inscrire à ONE ID par son intermédiaire. S’il s’agit d’une erreur, communiquez avec votre registre.",
    sign_in: "Se connecter",
    refused_title: "L’inscription n’a pas pu commencer",
    refused_invalid: "Le lien d’inscription n’est pas valide\u{a0}: il a expiré, a déjà été utilisé ou n’a pas été signé par un registre de confiance. Retournez au site de votre registre et choisissez «\u{a0}S’inscrire à ONE ID\u{a0}» de nouveau.",
    refused_registry: "Votre registre n’accepte pas d’inscriptions à ONE ID pour le moment. Communiquez avec votre registre ou le service d’assistance de ONE ID.",
    same_title: "Vous avez peut-être déjà un compte ONE ID",
    same_text: "Un compte ONE ID existe déjà pour une personne ayant vos nom légal et date de naissance; aucun deuxième compte n’a donc été créé. S’il est à vous, connectez-vous avec celui-ci\u{a0}: votre inscription y sera ajoutée. S’il n’est pas à vous, ou si vous ne pouvez pas vous connecter, votre inscription est mise en attente et le service d’assistance ou un agent local d’inscription la réglera avec vous.",
    same_sign_in: "Me connecter avec mon compte ONE ID existant",
    same_not_mine: "Ce compte n’est pas à moi",
    linked_title: "Votre inscription est ajoutée à votre compte ONE ID",
    linked_text: "L’inscription de votre registre fait maintenant partie de votre compte ONE ID {login}\u{a0}: vous gardez votre identifiant de connexion et votre mot de passe, et vos services y sont ajoutés.",
    held_title: "Votre inscription est en attente d’examen",
    held_text: "Aucun compte n’a été créé. Le service d’assistance ou un agent local d’inscription examinera votre inscription avec vous\u{a0}: il l’ajoutera au compte existant ou vous permettra d’en créer un nouveau.",
    refused_class: "L’auto-inscription par votre registre est réservée aux membres de certaines catégories d’inscription (par exemple, les membres titulaires d’un certificat d’inscription en vigueur), et la vôtre n’en fait pas partie. Un agent local d’inscription de votre organisme, ou le service d’assistance de ONE ID, peut vous inscrire.",
    expired: "Votre session d’inscription a expiré ou n’a pas été commencée. Recommencez à partir du site de votre registre; rien n’a été enregistré.",
    designation_race: "Un de vos numéros d’inscription vient d’être enregistré par un autre compte. Vérifiez vos titres professionnels.",
};
