//! The words of the account pages (My Profile, passwords, challenge questions and phones,
//! forgotten login ID and password, the service desk), in English and French: one field per
//! message, so a missing translation cannot compile.

use platform::Locale;

mod en;
mod fr;

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
    /// Label: the legal middle names (the registry's).
    pub legal_middle_name: &'static str,
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
    /// A phone together with "no direct number".
    pub phone_and_no_direct: &'static str,
    /// Title of the agreement asked for at sign-in.
    pub agreement_title: &'static str,
    /// Why it is asked (`{version}`).
    pub agreement_intro: &'static str,
    /// Button.
    pub agreement_accept: &'static str,
    /// Button.
    pub agreement_decline: &'static str,
    /// Page after a refusal: title.
    pub agreement_declined_title: &'static str,
    /// Page after a refusal: text.
    pub agreement_declined_text: &'static str,
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
    /// The confirmation's rule in the list of password rules.
    pub passwords_same: &'static str,
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
    /// Label: whether the account can sign in or is locked.
    pub sign_in_state: &'static str,
    /// The account is not locked.
    pub not_locked: &'static str,
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
    /// The code went by text message to `{}` (a masked number).
    pub code_sent_sms: &'static str,
    /// The code is coming by a call to `{}` (a masked number).
    pub code_sent_voice: &'static str,
    /// Step-up intro when a signed-in person is re-checked before a sensitive change.
    pub stepup_intro_recheck: &'static str,
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
    /// Link on My Profile, and the closing page's title.
    pub close_title: &'static str,
    /// What closing does.
    pub close_intro: &'static str,
    /// What stays.
    pub close_kept: &'static str,
    /// The confirmation checkbox.
    pub close_confirm: &'static str,
    /// Not confirmed.
    pub close_must_confirm: &'static str,
    /// Button.
    pub close_submit: &'static str,
    /// After: title.
    pub closed_title: &'static str,
    /// After: text.
    pub closed_text: &'static str,
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
    /// A recognized computer's heading: `{b}` browser, `{f}` first remembered.
    pub device_heading: &'static str,
    /// After the heading of the computer in use.
    pub device_this: &'static str,
    /// Done.
    pub device_revoked: &'static str,
    /// Demo page title.
    pub demo_codes_title: &'static str,
    /// Home page title.
    pub home_title: &'static str,
    /// Home page: what ONE ID is.
    pub home_intro: &'static str,
    /// Home page: how registration starts.
    pub home_register: &'static str,
    /// Link: sign in to My Profile.
    pub home_profile: &'static str,
    /// Link and title: help.
    pub help_title: &'static str,
    /// Help: paragraphs.
    pub help_text: [&'static str; 3],
    /// Help: the service desk's number follows.
    pub help_desk: &'static str,
    /// Link to the LRA console.
    pub place_lra: &'static str,
    /// Link to the administration console.
    pub place_admin: &'static str,
    /// Nav link.
    pub nav_passkeys: &'static str,
    /// Passkeys page title.
    pub passkeys_title: &'static str,
    /// Passkeys page: what a passkey is.
    pub passkeys_intro: &'static str,
    /// No passkey yet.
    pub passkeys_none: &'static str,
    /// A passkey's row: `{a}` added, `{u}` last used, `{k}` its kind.
    pub passkey_row: &'static str,
    /// Never used.
    pub passkey_never: &'static str,
    /// Kind: synced between devices.
    pub passkey_synced: &'static str,
    /// Kind: on one device or key.
    pub passkey_bound: &'static str,
    /// Label: the name of a new passkey.
    pub passkey_name: &'static str,
    /// Hint under the name.
    pub passkey_name_hint: &'static str,
    /// A name longer than allowed.
    pub passkey_name_too_long: &'static str,
    /// Button.
    pub passkey_add: &'static str,
    /// Done.
    pub passkey_added: &'static str,
    /// Button, `{}` is the passkey's name.
    pub passkey_remove: &'static str,
    /// Done.
    pub passkey_removed: &'static str,
    /// The browser did not create or use a passkey.
    pub passkey_failed: &'static str,
    /// The passkey is registered already.
    pub passkey_exists: &'static str,
    /// At the limit.
    pub passkey_too_many: &'static str,
    /// This server cannot use passkeys.
    pub passkeys_unavailable: &'static str,
    /// A copy of the authenticator was detected.
    pub passkey_cloned: &'static str,
    /// Step-up method.
    pub method_passkey: &'static str,
    /// Step-up with a passkey.
    pub passkey_stepup_intro: &'static str,
    /// Button.
    pub passkey_use: &'static str,
    /// Login page button.
    pub passkey_sign_in: &'static str,
    /// Mail subject: a passkey was added.
    pub mail_passkey_subject: &'static str,
    /// Mail body: `{name}`, `{login_id}`, `{passkey}` (its name), `{desk}` (the service desk's number).
    pub mail_passkey_body: &'static str,
    /// Staff work needs a passkey of a listed model and the account has none.
    pub staff_needs_listed_passkey: &'static str,
    /// First sign-in: the passkey offer's title.
    pub passkey_offer_title: &'static str,
    /// First sign-in: why now.
    pub passkey_offer_text: &'static str,
    /// Button.
    pub passkey_offer_skip: &'static str,
    /// Link after registration.
    pub passkey_offer_link: &'static str,
    /// Staff work needs a passkey and the account has none.
    pub staff_needs_passkey: &'static str,
    /// Page title: a relying party requires a passkey.
    pub passkey_required_title: &'static str,
    /// `{}` is the application.
    pub passkey_required_text: &'static str,
    /// Link.
    pub passkey_required_profile: &'static str,
    /// Link, `{}` is the application.
    pub passkey_required_back: &'static str,
}

impl AccountText {
    /// The text in `locale`.
    pub fn get(locale: Locale) -> &'static AccountText {
        match locale {
            Locale::En => &en::EN,
            Locale::Fr => &fr::FR,
        }
    }
}
