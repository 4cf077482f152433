//! The words of the account pages (My Profile, passwords, challenge questions and phones,
//! forgotten login ID and password, the service desk), in English and French: one field per
//! message, so a missing translation cannot compile.

use platform::Locale;

/// Every string of the account pages.
#[derive(Debug)]
pub struct AccountText {
    /// Navigation: My Profile.
    pub nav_profile: &'static str,
    /// Navigation: change password.
    pub nav_password: &'static str,
    /// Navigation: challenge questions and phones.
    pub nav_security: &'static str,
    /// Navigation: sign out.
    pub nav_sign_out: &'static str,
    /// My Profile title.
    pub profile_title: &'static str,
    /// Heading: the fixed facts of the account.
    pub profile_facts: &'static str,
    /// Heading: the editable part.
    pub profile_edit: &'static str,
    /// Label.
    pub title: &'static str,
    /// Label.
    pub given_name: &'static str,
    /// Label.
    pub middle_name: &'static str,
    /// Label.
    pub family_name: &'static str,
    /// Label.
    pub legal_name: &'static str,
    /// Label.
    pub legal_given_name: &'static str,
    /// Label.
    pub legal_family_name: &'static str,
    /// Label.
    pub birth_date: &'static str,
    /// Hint for dates.
    pub birth_date_hint: &'static str,
    /// Label.
    pub email: &'static str,
    /// Label.
    pub phone: &'static str,
    /// Hint for phone numbers.
    pub phone_hint: &'static str,
    /// Label.
    pub language: &'static str,
    /// Option.
    pub english: &'static str,
    /// Option.
    pub french: &'static str,
    /// Label.
    pub assurance: &'static str,
    /// Label.
    pub designations: &'static str,
    /// Label.
    pub agreement: &'static str,
    /// No agreement recorded.
    pub agreement_none: &'static str,
    /// Label.
    pub services: &'static str,
    /// No services.
    pub services_none: &'static str,
    /// Label.
    pub status: &'static str,
    /// Label.
    pub password_changed: &'static str,
    /// None.
    pub none: &'static str,
    /// Button.
    pub save: &'static str,
    /// Saved.
    pub saved: &'static str,
    /// Error: required.
    pub required: &'static str,
    /// Error: a name.
    pub bad_name: &'static str,
    /// Error: email.
    pub bad_email: &'static str,
    /// Error: phone.
    pub bad_phone: &'static str,
    /// Error: date.
    pub bad_date: &'static str,
    /// Error: language.
    pub bad_language: &'static str,
    /// Change password title.
    pub password_title: &'static str,
    /// Forced change title.
    pub password_expired_title: &'static str,
    /// Forced change: expired.
    pub password_expired_text: &'static str,
    /// Forced change: temporary.
    pub password_temporary_text: &'static str,
    /// Label.
    pub current_password: &'static str,
    /// Label.
    pub new_password: &'static str,
    /// Label.
    pub confirm_password: &'static str,
    /// Heading of the rules list.
    pub password_rules: &'static str,
    /// Error.
    pub wrong_current_password: &'static str,
    /// Error.
    pub passwords_differ: &'static str,
    /// Error.
    pub password_reused: &'static str,
    /// Button.
    pub change_password: &'static str,
    /// Done.
    pub password_changed_done: &'static str,
    /// Security page title.
    pub security_title: &'static str,
    /// Security page intro.
    pub security_intro: &'static str,
    /// Heading.
    pub online_questions: &'static str,
    /// Explanation.
    pub online_questions_hint: &'static str,
    /// Heading.
    pub desk_questions: &'static str,
    /// Explanation.
    pub desk_questions_hint: &'static str,
    /// Label, `{}` is the number.
    pub question_n: &'static str,
    /// Label, `{}` is the number.
    pub answer_n: &'static str,
    /// Select placeholder.
    pub choose_question: &'static str,
    /// Error.
    pub q_none: &'static str,
    /// Error.
    pub q_same: &'static str,
    /// Error.
    pub a_none: &'static str,
    /// Error.
    pub a_long: &'static str,
    /// Error.
    pub a_same: &'static str,
    /// Heading.
    pub phones_heading: &'static str,
    /// Explanation.
    pub phones_hint: &'static str,
    /// Label, `{}` is the number.
    pub phone_n: &'static str,
    /// Label.
    pub phone_kind: &'static str,
    /// Option.
    pub mobile: &'static str,
    /// Option.
    pub landline: &'static str,
    /// Checkbox.
    pub no_direct_number: &'static str,
    /// Error.
    pub phone_duplicate: &'static str,
    /// Link on the login page.
    pub forgot_login_id: &'static str,
    /// Link on the login page.
    pub forgot_password: &'static str,
    /// Forgot login ID intro.
    pub forgot_login_id_intro: &'static str,
    /// Button.
    pub send: &'static str,
    /// The same answer whether or not anything matched.
    pub forgot_login_id_sent: &'static str,
    /// Mail subject.
    pub mail_login_id_subject: &'static str,
    /// Mail body; `{name}` and `{login_id}`.
    pub mail_login_id_body: &'static str,
    /// Forgot password intro.
    pub forgot_password_intro: &'static str,
    /// Button.
    pub next: &'static str,
    /// Answer the questions.
    pub forgot_password_questions: &'static str,
    /// Wrong answers (or unknown account, or locked).
    pub answers_wrong: &'static str,
    /// The reset took too long.
    pub reset_expired: &'static str,
    /// Choose a new password.
    pub choose_new_password: &'static str,
    /// Done.
    pub reset_done: &'static str,
    /// Too many attempts.
    pub too_many_title: &'static str,
    /// Too many attempts, `{}` minutes.
    pub too_many_text: &'static str,
    /// Service desk title.
    pub desk_title: &'static str,
    /// Search label.
    pub desk_search: &'static str,
    /// Search hint.
    pub desk_search_hint: &'static str,
    /// Button.
    pub search: &'static str,
    /// No results.
    pub desk_no_results: &'static str,
    /// Column / label.
    pub login_id: &'static str,
    /// Column / label.
    pub name: &'static str,
    /// Label.
    pub locked_until: &'static str,
    /// Button.
    pub reveal_answers: &'static str,
    /// Heading.
    pub desk_answers: &'static str,
    /// No answers set.
    pub desk_no_answers: &'static str,
    /// Button.
    pub unlock: &'static str,
    /// Done.
    pub unlocked: &'static str,
    /// Button.
    pub issue_temporary: &'static str,
    /// Shown once, `{}` is the password.
    pub temporary_issued: &'static str,
    /// The account lacks the service-desk role.
    pub desk_forbidden: &'static str,
    /// The account found is staff: the desk does not act on it.
    pub desk_staff_account: &'static str,
    /// The account found is the agent's own.
    pub desk_own_account: &'static str,
    /// Confirmation title.
    pub desk_confirm_title: &'static str,
    /// Confirm issuing a temporary password, `{}` is the login ID.
    pub desk_confirm_temporary: &'static str,
    /// Confirm revealing the desk answers, `{}` is the login ID.
    pub desk_confirm_reveal: &'static str,
    /// Link: go back without acting.
    pub cancel: &'static str,
    /// Title of the page turning away staff work without a second factor.
    pub staff_factor_title: &'static str,
    /// A staff account with no phone or authenticator app to step up with.
    pub staff_needs_factor: &'static str,
    /// A staff account may not remove its last second factor.
    pub staff_keep_factor: &'static str,
    /// Unknown account.
    pub no_such_account: &'static str,
    /// Back link.
    pub back_to_search: &'static str,
    /// Status names.
    pub status_active: &'static str,
    /// Status names.
    pub status_locked: &'static str,
    /// Status names.
    pub status_suspended: &'static str,
    /// Status names.
    pub status_terminated: &'static str,
    /// Step-up title.
    pub stepup_title: &'static str,
    /// Step-up intro.
    pub stepup_intro: &'static str,
    /// Label of the method choice.
    pub stepup_method: &'static str,
    /// Error: no usable method chosen.
    pub choose_method: &'static str,
    /// Method, `{}` is the masked phone.
    pub method_sms: &'static str,
    /// Method, `{}` is the masked phone.
    pub method_voice: &'static str,
    /// Method.
    pub method_kba: &'static str,
    /// Method.
    pub method_totp: &'static str,
    /// Checkbox.
    pub remember_device: &'static str,
    /// Button.
    pub verify: &'static str,
    /// Label.
    pub code: &'static str,
    /// `{}` is the method.
    pub code_sent: &'static str,
    /// TOTP prompt.
    pub totp_intro: &'static str,
    /// Button.
    pub resend: &'static str,
    /// `{}` seconds.
    pub resend_wait: &'static str,
    /// Button.
    pub other_method: &'static str,
    /// Gateway failure.
    pub gateway_down: &'static str,
    /// Gateway failure, nothing else.
    pub gateway_down_none: &'static str,
    /// Expired code.
    pub code_expired: &'static str,
    /// Wrong code.
    pub code_wrong: &'static str,
    /// Too many wrong answers.
    pub too_many_codes: &'static str,
    /// SMS text, `{}` is the code.
    pub sms_text: &'static str,
    /// Voice text, `{}` is the spoken code.
    pub voice_text: &'static str,
    /// Navigation.
    pub nav_totp: &'static str,
    /// Navigation.
    pub nav_devices: &'static str,
    /// TOTP page title.
    pub totp_title: &'static str,
    /// TOTP enrolment.
    pub totp_enrol_intro: &'static str,
    /// Label.
    pub totp_key: &'static str,
    /// Enrolled, `{}` is the date.
    pub totp_enrolled: &'static str,
    /// Button.
    pub totp_confirm: &'static str,
    /// Done.
    pub totp_done: &'static str,
    /// Button.
    pub totp_remove: &'static str,
    /// Done.
    pub totp_removed: &'static str,
    /// Devices page title.
    pub devices_title: &'static str,
    /// Devices intro.
    pub devices_intro: &'static str,
    /// No devices.
    pub devices_none: &'static str,
    /// `{b}` browser, `{n}` network, `{f}` first seen, `{l}` last seen, `{u}` until.
    pub device_row: &'static str,
    /// Button, `{}` is the browser.
    pub device_revoke: &'static str,
    /// Done.
    pub device_revoked: &'static str,
    /// Demo page title.
    pub demo_codes_title: &'static str,
}

impl AccountText {
    /// The text in `locale`.
    pub fn get(locale: Locale) -> &'static AccountText {
        match locale {
            Locale::En => &EN,
            Locale::Fr => &FR,
        }
    }
}

static EN: AccountText = AccountText {
    nav_profile: "My profile",
    nav_password: "Change password",
    nav_security: "Challenge questions and phones",
    nav_sign_out: "Sign out",
    profile_title: "My profile",
    profile_facts: "Your account",
    profile_edit: "Your details",
    title: "Title",
    given_name: "Preferred first name",
    middle_name: "Middle names",
    family_name: "Preferred last name",
    legal_name: "Legal name",
    legal_given_name: "Legal first name",
    legal_family_name: "Legal last name",
    birth_date: "Date of birth",
    birth_date_hint: "YYYY-MM-DD, for example 1975-04-23",
    email: "Email",
    phone: "Contact phone",
    phone_hint: "For example 416-555-0199, or +44 20 7946 0958 outside North America",
    language: "Preferred language",
    english: "English",
    french: "French",
    assurance: "Level of assurance",
    designations: "Professional designations",
    agreement: "Agreement accepted",
    agreement_none: "No agreement on record",
    services: "Services",
    services_none: "You are not enrolled in any service yet.",
    status: "Status",
    password_changed: "Password last changed",
    none: "None",
    save: "Save",
    saved: "Your changes are saved.",
    required: "This field is required.",
    bad_name: "Enter a name of at most 100 characters, without < > \" { } [ ] \\ / = ; or @.",
    bad_email: "Enter an email address like name@example.org.",
    bad_phone: "Enter a phone number like 416-555-0199 (no extension).",
    bad_date: "Enter a real date as YYYY-MM-DD.",
    bad_language: "Choose English or French.",
    password_title: "Change password",
    password_expired_title: "Choose a new password",
    password_expired_text: "Your password has expired. Choose a new one to continue.",
    password_temporary_text: "You signed in with a temporary password. Choose your own password to continue.",
    current_password: "Current password",
    new_password: "New password",
    confirm_password: "Type the new password again",
    password_rules: "Your password must have:",
    wrong_current_password: "The current password is incorrect.",
    passwords_differ: "The two new passwords are not the same.",
    password_reused: "Choose a password you have not used for your last 5 passwords.",
    change_password: "Change password",
    password_changed_done: "Your password is changed.",
    security_title: "Challenge questions and phones",
    security_intro: "These confirm it is really you when you forget your password or sign in from a computer we do not recognize.",
    online_questions: "Online questions",
    online_questions_hint: "Used to verify you online, for example when you forget your password. Only you can see the answers.",
    desk_questions: "Service desk questions",
    desk_questions_hint: "The service desk asks these to verify you when you call.",
    question_n: "Question {}",
    answer_n: "Answer {}",
    choose_question: "Choose a question",
    q_none: "Choose a question.",
    q_same: "Choose a question you have not already chosen.",
    a_none: "Enter an answer.",
    a_long: "Enter an answer of at most 100 characters.",
    a_same: "Give a different answer to each question.",
    phones_heading: "Challenge phones",
    phones_hint: "Up to 3 numbers. We text a code to a mobile phone or call any phone when we need to confirm it is you. The first number is the default.",
    phone_n: "Phone {}",
    phone_kind: "Type",
    mobile: "Mobile (text or call)",
    landline: "Landline (call only)",
    no_direct_number: "I do not have a direct number (for example, I have an extension)",
    phone_duplicate: "This number is already listed.",
    forgot_login_id: "Forgot your login ID?",
    forgot_password: "Forgot your password?",
    forgot_login_id_intro: "Enter your legal name, date of birth and the email address on your account. If they match an account, we will email its login ID to that address.",
    send: "Send",
    forgot_login_id_sent: "If the details match an account, its login ID has been sent to that email address. Check your inbox.",
    mail_login_id_subject: "Your ONE ID login ID",
    mail_login_id_body: "Hello {name},\n\nYour ONE ID login ID is: {login_id}\n\nIf you did not ask for this, you can ignore this message.\n\nONE ID",
    forgot_password_intro: "Enter your login ID. We will ask two of your online challenge questions, then you can choose a new password.",
    next: "Next",
    forgot_password_questions: "Answer these questions to confirm it is you.",
    answers_wrong: "The answers do not match our records.",
    reset_expired: "This password reset has expired. Start again.",
    choose_new_password: "Choose your new password.",
    reset_done: "Your password is changed and you have been signed out everywhere. Sign in with your new password from your clinical application.",
    too_many_title: "Too many attempts",
    too_many_text: "There have been too many attempts. Wait {} minutes and try again.",
    desk_title: "Service desk",
    desk_search: "Find an account",
    desk_search_hint: "Login ID, name or registration number",
    search: "Search",
    desk_no_results: "No account matches.",
    login_id: "Login ID",
    name: "Name",
    locked_until: "Locked after failures until",
    reveal_answers: "Reveal service desk answers",
    desk_answers: "Service desk questions",
    desk_no_answers: "This account has no service desk questions.",
    unlock: "Unlock",
    unlocked: "The account is unlocked.",
    issue_temporary: "Issue a temporary password",
    temporary_issued: "Temporary password (shown once; the caller must change it at first sign-in): {}",
    desk_forbidden: "This page is for the ONE ID service desk.",
    desk_staff_account: "This is a staff account (administrator, service desk or registration authority). The service desk does not reset, unlock or verify it: an administrator does.",
    desk_own_account: "This is your own account. The service desk does not act on it: use My Profile, or ask an administrator.",
    desk_confirm_title: "Confirm",
    desk_confirm_temporary: "Issue a temporary password to {}? Their current password stops working at once. Do this only for a caller you have verified.",
    desk_confirm_reveal: "Reveal the service desk answers of {}? This is recorded. Do this only while verifying a caller on the line.",
    cancel: "Cancel",
    staff_factor_title: "A second factor is needed",
    staff_needs_factor: "Staff work, and changes to the second factors of a staff account, need a code from your phone or authenticator app, and your account has neither. Ask an administrator.",
    staff_keep_factor: "A staff account keeps at least one phone or an authenticator app. Add the new one before removing the last.",
    no_such_account: "There is no such account.",
    back_to_search: "Back to search",
    status_active: "Active",
    status_locked: "Locked",
    status_suspended: "Suspended",
    status_terminated: "Terminated",
    stepup_title: "Confirm it is you",
    stepup_intro: "We do not recognize this computer, or the application asks for more assurance. Choose how to confirm it is really you.",
    stepup_method: "How do you want to confirm?",
    choose_method: "Choose one of the ways offered to confirm it is you.",
    method_sms: "Text a code to {}",
    method_voice: "Call {} with a code",
    method_kba: "Answer two of my challenge questions",
    method_totp: "Use a code from my authenticator app",
    remember_device: "Remember this computer",
    verify: "Confirm",
    code: "Code",
    code_sent: "We sent a 6-digit code ({}). Enter it below; it works for 5 minutes.",
    totp_intro: "Enter the 6-digit code shown in your authenticator app.",
    resend: "Send a new code",
    resend_wait: "Wait {} seconds before asking for a new code.",
    other_method: "Use another way",
    gateway_down: "We could not send a code right now. Choose another way, or try again in a few minutes.",
    gateway_down_none: "We could not send a code right now and there is no other way to confirm. Try again in a few minutes.",
    code_expired: "This code has expired. Send a new one.",
    code_wrong: "The code is not right. Check it and try again.",
    too_many_codes: "Too many wrong answers. Start again from the application.",
    sms_text: "ONE ID code: {}. It expires in 5 minutes. Never share it.",
    voice_text: "Your ONE ID code is: {}.",
    nav_totp: "Authenticator app",
    nav_devices: "Recognized computers",
    totp_title: "Authenticator app",
    totp_enrol_intro: "Scan this code with an authenticator app (or type the key), then enter the 6-digit code it shows.",
    totp_key: "Key",
    totp_enrolled: "An authenticator app is set up since {}.",
    totp_confirm: "Set up",
    totp_done: "Your authenticator app is set up.",
    totp_remove: "Remove the authenticator app",
    totp_removed: "The authenticator app is removed.",
    devices_title: "Recognized computers",
    devices_intro: "Computers where you chose “Remember this computer”. Remove one you no longer use or do not recognize: it will be asked to confirm again.",
    devices_none: "No computer is remembered.",
    device_row: "First seen {f}, last seen {l}, from {n}; remembered until {u}",
    device_revoke: "Remove {}",
    device_revoked: "The computer is removed.",
    demo_codes_title: "Codes sent (demo only)",
};

static FR: AccountText = AccountText {
    nav_profile: "Mon profil",
    nav_password: "Changer le mot de passe",
    nav_security: "Questions de sécurité et téléphones",
    nav_sign_out: "Fermer la session",
    profile_title: "Mon profil",
    profile_facts: "Votre compte",
    profile_edit: "Vos renseignements",
    title: "Titre",
    given_name: "Prénom usuel",
    middle_name: "Second prénom",
    family_name: "Nom de famille usuel",
    legal_name: "Nom légal",
    legal_given_name: "Prénom légal",
    legal_family_name: "Nom de famille légal",
    birth_date: "Date de naissance",
    birth_date_hint: "AAAA-MM-JJ, par exemple 1975-04-23",
    email: "Courriel",
    phone: "Téléphone de contact",
    phone_hint: "Par exemple 416-555-0199, ou +44 20 7946 0958 hors de l’Amérique du Nord",
    language: "Langue de préférence",
    english: "Anglais",
    french: "Français",
    assurance: "Niveau d’assurance",
    designations: "Titres professionnels",
    agreement: "Entente acceptée",
    agreement_none: "Aucune entente au dossier",
    services: "Services",
    services_none: "Vous n’êtes encore inscrit à aucun service.",
    status: "État",
    password_changed: "Dernier changement du mot de passe",
    none: "Aucun",
    save: "Enregistrer",
    saved: "Vos modifications sont enregistrées.",
    required: "Ce champ est obligatoire.",
    bad_name: "Entrez un nom d’au plus 100 caractères, sans < > \" { } [ ] \\ / = ; ni @.",
    bad_email: "Entrez une adresse courriel comme nom@exemple.org.",
    bad_phone: "Entrez un numéro comme 416-555-0199 (sans poste).",
    bad_date: "Entrez une date réelle au format AAAA-MM-JJ.",
    bad_language: "Choisissez l’anglais ou le français.",
    password_title: "Changer le mot de passe",
    password_expired_title: "Choisissez un nouveau mot de passe",
    password_expired_text: "Votre mot de passe est expiré. Choisissez-en un nouveau pour continuer.",
    password_temporary_text: "Vous avez ouvert une session avec un mot de passe temporaire. Choisissez votre propre mot de passe pour continuer.",
    current_password: "Mot de passe actuel",
    new_password: "Nouveau mot de passe",
    confirm_password: "Retapez le nouveau mot de passe",
    password_rules: "Votre mot de passe doit comporter :",
    wrong_current_password: "Le mot de passe actuel est incorrect.",
    passwords_differ: "Les deux nouveaux mots de passe ne sont pas identiques.",
    password_reused: "Choisissez un mot de passe différent de vos 5 derniers mots de passe.",
    change_password: "Changer le mot de passe",
    password_changed_done: "Votre mot de passe est changé.",
    security_title: "Questions de sécurité et téléphones",
    security_intro: "Ils confirment que c’est bien vous lorsque vous oubliez votre mot de passe ou ouvrez une session à partir d’un ordinateur que nous ne reconnaissons pas.",
    online_questions: "Questions en ligne",
    online_questions_hint: "Servent à vous vérifier en ligne, par exemple si vous oubliez votre mot de passe. Vous seul pouvez voir les réponses.",
    desk_questions: "Questions du centre de services",
    desk_questions_hint: "Le centre de services les pose pour vous vérifier lorsque vous appelez.",
    question_n: "Question {}",
    answer_n: "Réponse {}",
    choose_question: "Choisissez une question",
    q_none: "Choisissez une question.",
    q_same: "Choisissez une question que vous n’avez pas déjà choisie.",
    a_none: "Entrez une réponse.",
    a_long: "Entrez une réponse d’au plus 100 caractères.",
    a_same: "Donnez une réponse différente à chaque question.",
    phones_heading: "Téléphones de vérification",
    phones_hint: "Jusqu’à 3 numéros. Nous envoyons un code par texto à un cellulaire ou appelons n’importe quel téléphone pour confirmer que c’est vous. Le premier numéro est celui par défaut.",
    phone_n: "Téléphone {}",
    phone_kind: "Type",
    mobile: "Cellulaire (texto ou appel)",
    landline: "Ligne fixe (appel seulement)",
    no_direct_number: "Je n’ai pas de numéro direct (par exemple, j’ai un poste)",
    phone_duplicate: "Ce numéro est déjà inscrit.",
    forgot_login_id: "Code d’utilisateur oublié?",
    forgot_password: "Mot de passe oublié?",
    forgot_login_id_intro: "Entrez votre nom légal, votre date de naissance et l’adresse courriel de votre compte. S’ils correspondent à un compte, nous enverrons son code d’utilisateur à cette adresse.",
    send: "Envoyer",
    forgot_login_id_sent: "Si les renseignements correspondent à un compte, son code d’utilisateur a été envoyé à cette adresse courriel. Consultez votre boîte de réception.",
    mail_login_id_subject: "Votre code d’utilisateur ONE ID",
    mail_login_id_body: "Bonjour {name},\n\nVotre code d’utilisateur ONE ID est : {login_id}\n\nSi vous n’avez rien demandé, ignorez ce message.\n\nONE ID",
    forgot_password_intro: "Entrez votre code d’utilisateur. Nous poserons deux de vos questions de sécurité en ligne, puis vous pourrez choisir un nouveau mot de passe.",
    next: "Suivant",
    forgot_password_questions: "Répondez à ces questions pour confirmer que c’est vous.",
    answers_wrong: "Les réponses ne correspondent pas à nos dossiers.",
    reset_expired: "Cette réinitialisation a expiré. Recommencez.",
    choose_new_password: "Choisissez votre nouveau mot de passe.",
    reset_done: "Votre mot de passe est changé et toutes vos sessions sont fermées. Ouvrez une session avec votre nouveau mot de passe à partir de votre application clinique.",
    too_many_title: "Trop de tentatives",
    too_many_text: "Il y a eu trop de tentatives. Attendez {} minutes et réessayez.",
    desk_title: "Centre de services",
    desk_search: "Trouver un compte",
    desk_search_hint: "Code d’utilisateur, nom ou numéro d’inscription",
    search: "Rechercher",
    desk_no_results: "Aucun compte ne correspond.",
    login_id: "Code d’utilisateur",
    name: "Nom",
    locked_until: "Verrouillé après des échecs jusqu’à",
    reveal_answers: "Afficher les réponses du centre de services",
    desk_answers: "Questions du centre de services",
    desk_no_answers: "Ce compte n’a pas de questions du centre de services.",
    unlock: "Déverrouiller",
    unlocked: "Le compte est déverrouillé.",
    issue_temporary: "Émettre un mot de passe temporaire",
    temporary_issued: "Mot de passe temporaire (affiché une seule fois; l’appelant doit le changer à la première ouverture de session) : {}",
    desk_forbidden: "Cette page est réservée au centre de services ONE ID.",
    desk_staff_account: "Ce compte appartient au personnel (administrateur, centre de services ou autorité d’enregistrement). Le centre de services ne le réinitialise pas, ne le déverrouille pas et ne le vérifie pas : un administrateur le fait.",
    desk_own_account: "C’est votre propre compte. Le centre de services n’agit pas sur lui : utilisez Mon profil ou adressez-vous à un administrateur.",
    desk_confirm_title: "Confirmer",
    desk_confirm_temporary: "Émettre un mot de passe temporaire pour {}? Son mot de passe actuel cesse aussitôt de fonctionner. Ne le faites que pour un appelant que vous avez vérifié.",
    desk_confirm_reveal: "Afficher les réponses du centre de services de {}? Cette action est consignée. Ne le faites que pour vérifier un appelant en ligne.",
    cancel: "Annuler",
    staff_factor_title: "Un deuxième facteur est nécessaire",
    staff_needs_factor: "Le travail du personnel, et les changements aux deuxièmes facteurs d’un compte du personnel, demandent un code de votre téléphone ou de votre application d’authentification, et votre compte n’a ni l’un ni l’autre. Adressez-vous à un administrateur.",
    staff_keep_factor: "Un compte du personnel garde au moins un téléphone ou une application d’authentification. Ajoutez le nouveau avant de retirer le dernier.",
    no_such_account: "Ce compte n’existe pas.",
    back_to_search: "Retour à la recherche",
    status_active: "Actif",
    status_locked: "Verrouillé",
    status_suspended: "Suspendu",
    status_terminated: "Résilié",
    stepup_title: "Confirmez votre identité",
    stepup_intro: "Nous ne reconnaissons pas cet ordinateur, ou l’application demande une assurance accrue. Choisissez comment confirmer que c’est bien vous.",
    stepup_method: "Comment voulez-vous confirmer?",
    choose_method: "Choisissez l’un des moyens proposés pour confirmer votre identité.",
    method_sms: "Envoyer un code par texto au {}",
    method_voice: "Appeler le {} avec un code",
    method_kba: "Répondre à deux de mes questions de sécurité",
    method_totp: "Utiliser un code de mon application d’authentification",
    remember_device: "Se souvenir de cet ordinateur",
    verify: "Confirmer",
    code: "Code",
    code_sent: "Nous avons envoyé un code à 6 chiffres ({}). Entrez-le ci-dessous; il est valide 5 minutes.",
    totp_intro: "Entrez le code à 6 chiffres affiché dans votre application d’authentification.",
    resend: "Envoyer un nouveau code",
    resend_wait: "Attendez {} secondes avant de demander un nouveau code.",
    other_method: "Utiliser un autre moyen",
    gateway_down: "Nous ne pouvons pas envoyer de code pour le moment. Choisissez un autre moyen ou réessayez dans quelques minutes.",
    gateway_down_none: "Nous ne pouvons pas envoyer de code pour le moment et il n’y a pas d’autre moyen de confirmer. Réessayez dans quelques minutes.",
    code_expired: "Ce code a expiré. Demandez-en un nouveau.",
    code_wrong: "Le code n’est pas le bon. Vérifiez-le et réessayez.",
    too_many_codes: "Trop de mauvaises réponses. Recommencez à partir de l’application.",
    sms_text: "Code ONE ID : {}. Il expire dans 5 minutes. Ne le communiquez à personne.",
    voice_text: "Votre code ONE ID est : {}.",
    nav_totp: "Application d’authentification",
    nav_devices: "Ordinateurs reconnus",
    totp_title: "Application d’authentification",
    totp_enrol_intro: "Balayez ce code avec une application d’authentification (ou tapez la clé), puis entrez le code à 6 chiffres qu’elle affiche.",
    totp_key: "Clé",
    totp_enrolled: "Une application d’authentification est configurée depuis le {}.",
    totp_confirm: "Configurer",
    totp_done: "Votre application d’authentification est configurée.",
    totp_remove: "Retirer l’application d’authentification",
    totp_removed: "L’application d’authentification est retirée.",
    devices_title: "Ordinateurs reconnus",
    devices_intro: "Les ordinateurs où vous avez choisi « Se souvenir de cet ordinateur ». Retirez ceux que vous n’utilisez plus ou ne reconnaissez pas : ils devront confirmer de nouveau.",
    devices_none: "Aucun ordinateur n’est mémorisé.",
    device_row: "Vu la première fois le {f}, la dernière fois le {l}, depuis {n}; mémorisé jusqu’au {u}",
    device_revoke: "Retirer {}",
    device_revoked: "L’ordinateur est retiré.",
    demo_codes_title: "Codes envoyés (démo seulement)",
};
