//! The last step's answer: every earlier step checked again, one completion at a time, the
//! account created by `registration`, and each outcome shown.

use super::pages::{audit, expired, member_terminated, message_page};
use super::state::{drafts, load, save};
use super::steps::{step_view, validate};
use crate::signup_text::SignupText;
use authorization_server::Provider;
use axum::http::{HeaderMap, StatusCode};

use credential_store::CredentialError;
use platform::Locale;
use registration::wizard::{steps, Finishing, Step, Wizard};
use registration::RegistrationError;
use web::account_text::AccountText;
use web::error::{OrPage, PageError, WebResult};

use super::page::{send_step, StepPage};
use web::http::{see_other, Params};

/// Creates the account of `w` (cookie `token`) with the password in `form`; `v` is the
/// password step's page, for its errors.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all)]
pub(super) async fn finish(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    token: &str,
    mut w: Wizard,
    form: &Params,
    ip: &str,
    mut v: StepPage,
) -> WebResult {
    let s = SignupText::get(locale);
    let Some(h) = w.h.clone() else {
        return Ok(expired(p, headers, locale));
    };
    // Every earlier step again, on what is stored now (Back keeps unchecked input): the first
    // that fails is where the member goes, and the steps after it close.
    for (i, st) in steps(&p.signup).into_iter().enumerate() {
        if st == Step::Password {
            break;
        }
        let mut scratch_view = step_view(p, locale, &w, i, st);
        scratch_view.errors.clear();
        let mut scratch = w.clone();
        let empty = Params::new();
        let ok = validate(p, locale, &mut scratch, st, &empty, &mut scratch_view)
            .await
            .or_page(locale)?;
        if !ok {
            // That step's page, with what is wrong on it now.
            w.reached = i;
            save(p, token, &w).await.or_page(locale)?;
            let bad = StatusCode::BAD_REQUEST;
            return Ok(send_step(p, headers, locale, &scratch_view, bad));
        }
    }
    let new = w.new_account(form.get("new_password").cloned().unwrap_or_default());
    // One completion per wizard at a time: a second submission (a double click) waits for
    // the first and shows its outcome.
    let drafts = drafts(p);
    match drafts.begin_or_wait(token).await.or_page(locale)? {
        Finishing::Mine => {}
        Finishing::Completed => {
            let to = format!("/register/complete?ui_locales={}", locale.tag());
            return Ok(see_other(&to));
        }
        Finishing::Busy => {
            let to = format!("/register/password?ui_locales={}", locale.tag());
            return Ok(see_other(&to));
        }
    }
    let outcome = p
        .registration
        .complete(&h, new, &p.signup.agreement_version)
        .await;
    if outcome.is_err() {
        let _ = drafts.end_finishing(token).await;
    }
    match outcome {
        Ok(c) => {
            w.complete(&c, &p.signup);
            save(p, token, &w).await.or_page(locale)?;
            let detail = format!("registry={} member={}", h.registry_id, h.member_id);
            audit(
                p,
                "registration.completed",
                Some(&c.account_id),
                ip,
                &detail,
            )
            .await;
            Ok(see_other(&format!(
                "/register/complete?ui_locales={}",
                locale.tag()
            )))
        }
        Err(RegistrationError::AlreadyRegistered) => {
            // A second submission (or another hand-off) won the race: if it was this very
            // wizard, show its outcome; otherwise the welcome page.
            if let Ok(Some((_, again))) = load(p, headers).await {
                if again.done.is_some() {
                    return Ok(see_other("/register/complete"));
                }
            }
            // The state is left to expire, not deleted: when the winner is this very wizard
            // (a double-submitted last step), it may be saving its outcome right now, and a
            // delete here would lose the completion page (and the login ID on it).
            Ok(see_other(&format!(
                "/register/welcome?ui_locales={}",
                locale.tag()
            )))
        }
        Err(RegistrationError::Account(CredentialError::Policy(broken))) => {
            v.field_error(
                "new_password",
                &credential_store::PolicyViolation::problems(&broken, locale),
            );
            Ok(send_step(p, headers, locale, &v, StatusCode::BAD_REQUEST))
        }
        Err(RegistrationError::Account(CredentialError::DesignationTaken)) => {
            v.errors.push((String::new(), s.designation_race.into()));
            Ok(send_step(p, headers, locale, &v, StatusCode::CONFLICT))
        }
        Err(RegistrationError::MemberTerminated) => {
            let _ = drafts.forget(token).await;
            let detail = format!(
                "{} registry={} member={} at=completion",
                RegistrationError::MemberTerminated.code(),
                h.registry_id,
                h.member_id
            );
            audit(p, "registration.refused", None, ip, &detail).await;
            Ok(member_terminated(p, headers, locale))
        }
        Err(
            e @ (RegistrationError::RegistrySuspended
            | RegistrationError::RegistryTerminated
            | RegistrationError::OutsideApproval
            | RegistrationError::NoSponsor),
        ) => {
            let _ = drafts.forget(token).await;
            tracing::warn!(reason = e.code(), "registration refused at completion");
            Ok(message_page(
                p,
                headers,
                locale,
                s.refused_title,
                s.refused_registry,
                StatusCode::FORBIDDEN,
            ))
        }
        Err(RegistrationError::SamePerson(account)) => {
            super::same_person::choose(p, headers, locale, token, &mut w, account).await
        }
        Err(RegistrationError::ClassNotEligible) => {
            let _ = drafts.forget(token).await;
            Ok(message_page(
                p,
                headers,
                locale,
                s.refused_title,
                s.refused_class,
                StatusCode::FORBIDDEN,
            ))
        }
        Err(RegistrationError::Account(CredentialError::Invalid(f))) => {
            // A step's rule the server already checked, so only a stale state gets here.
            v.errors.push((
                String::new(),
                web::widgets::field_message(AccountText::get(locale), f).into(),
            ));
            Ok(send_step(p, headers, locale, &v, StatusCode::BAD_REQUEST))
        }
        Err(e) => Err(PageError::internal(locale, e).into()),
    }
}
