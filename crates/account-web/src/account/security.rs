//! Account security: the challenge questions and phones (a sign-in or step-up less than
//! ten minutes old; for staff, a step-up with a factor they have).

use super::*;

struct SecurityState {
    online: Vec<String>,
    desk: Vec<String>,
    phones: Vec<(String, String)>,
    no_direct: bool,
}

fn security_view(locale: Locale, s: &SecurityState) -> View {
    let a = AccountText::get(locale);
    // Answers are never shown back: only the questions chosen.
    let ids = |v: &[String]| -> Vec<(String, String)> {
        v.iter().map(|q| (q.clone(), String::new())).collect()
    };
    let rows = |prefix: &str, chosen: &[String], n: usize, offset: usize| {
        question_rows(locale, prefix, &ids(chosen), n, offset)
    };
    let questions = Form {
        id: Some("questions".into()),
        action: format!("/account/security?ui_locales={}", locale.tag()),
        hidden: vec![("what".into(), "questions".into())],
        fieldsets: vec![
            Fieldset {
                button: None,
                document: None,
                legend: Some(a.online_questions.into()),
                hint: Some(a.online_questions_hint.into()),
                fields: rows("online", &s.online, ONLINE_QUESTIONS, 0),
            },
            Fieldset {
                button: None,
                document: None,
                legend: Some(a.desk_questions.into()),
                hint: Some(a.desk_questions_hint.into()),
                fields: rows("desk", &s.desk, DESK_QUESTIONS, ONLINE_QUESTIONS),
            },
        ],
        submit: a.save.into(),
        ..Form::default()
    };
    let phone_fields = phone_rows(locale, &s.phones, s.no_direct);
    let phones = Form {
        id: Some("phones".into()),
        action: format!("/account/security?ui_locales={}", locale.tag()),
        hidden: vec![("what".into(), "phones".into())],
        fieldsets: vec![Fieldset {
            button: None,
            document: None,
            legend: Some(a.phones_heading.into()),
            hint: Some(a.phones_hint.into()),
            fields: phone_fields,
        }],
        submit: a.save.into(),
        ..Form::default()
    };
    View {
        title: a.security_title.into(),
        other_lang_href: lang_href("/account/security", locale),
        nav: nav(a, locale),
        intro: vec![a.security_intro.into()],
        forms: vec![questions, phones],
        ..View::default()
    }
}

async fn current_security(
    p: &Provider,
    account: &Account,
) -> Result<SecurityState, ChallengeError> {
    let (online, desk, phones) = tokio::join!(
        p.accounts.online_questions(&account.id),
        p.accounts.desk_questions(&account.id),
        p.accounts.challenge_phones(&account.id)
    );
    Ok(SecurityState {
        online: online?,
        desk: desk?,
        phones: phones?
            .into_iter()
            .map(|ph| {
                (
                    credential_store::display_phone(&ph.e164),
                    ph.kind.as_str().to_owned(),
                )
            })
            .collect(),
        no_direct: account.no_direct_number,
    })
}

/// GET /account/security
#[tracing::instrument(skip_all)]
pub async fn security(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/account/security", Guard::Factor).await?;
    match current_security(&p, &me.account).await {
        Ok(s) => Ok(send(
            &p,
            &headers,
            me.locale,
            &security_view(me.locale, &s),
            StatusCode::OK,
        )),
        Err(e) => Err(PageError::internal(me.locale, e).into()),
    }
}

fn challenge_message(a: &AccountText, c: ChallengeProblem) -> &'static str {
    match c {
        ChallengeProblem::NoQuestion => a.q_none,
        ChallengeProblem::SameQuestion => a.q_same,
        ChallengeProblem::NoAnswer => a.a_none,
        ChallengeProblem::TooLong => a.a_long,
        ChallengeProblem::SameAnswer => a.a_same,
    }
}

fn row_field(row: usize, problem: ChallengeProblem) -> String {
    let (prefix, i) = if row < ONLINE_QUESTIONS {
        ("online", row)
    } else {
        ("desk", row - ONLINE_QUESTIONS)
    };
    let part = match problem {
        ChallengeProblem::NoQuestion | ChallengeProblem::SameQuestion => "q",
        _ => "a",
    };
    format!("{prefix}_{part}{i}")
}

/// POST /account/security (what = questions | phones)
#[tracing::instrument(skip_all)]
pub async fn security_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/account/security", Guard::Factor).await?;
    let form = web::forms::checked(&p, &headers, &body, me.locale)?;
    let a = AccountText::get(me.locale);
    let mut state = current_security(&p, &me.account).await.or_page(me.locale)?;
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    match form.get("what").map(String::as_str) {
        Some("questions") => {
            let read = |prefix: &str, n: usize| -> Vec<QuestionAnswer> {
                (0..n)
                    .map(|i| QuestionAnswer {
                        question_id: get(&format!("{prefix}_q{i}")),
                        answer: get(&format!("{prefix}_a{i}")),
                    })
                    .collect()
            };
            let online = read("online", ONLINE_QUESTIONS);
            let desk = read("desk", DESK_QUESTIONS);
            state.online = online.iter().map(|x| x.question_id.clone()).collect();
            state.desk = desk.iter().map(|x| x.question_id.clone()).collect();
            match p
                .accounts
                .set_challenge_questions(&me.account.id, &online, &desk)
                .await
            {
                Ok(()) => {
                    audit_change(&p, &me, "account.questions_changed").await;
                    let mut v = security_view(me.locale, &state);
                    v.notice = Some(a.saved.into());
                    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
                }
                Err(ChallengeError::Invalid(problems)) => {
                    let mut v = security_view(me.locale, &state);
                    // Typed answers are kept only for rows that are fine (never echoed
                    // back for a bad row, which the person retypes).
                    for (i, qa) in online.iter().chain(&desk).enumerate() {
                        if !problems.iter().any(|(r, _)| *r == i) {
                            let name = if i < ONLINE_QUESTIONS {
                                format!("online_a{i}")
                            } else {
                                format!("desk_a{}", i - ONLINE_QUESTIONS)
                            };
                            v.set_value(&name, &qa.answer);
                        }
                    }
                    for (row, problem) in problems {
                        v.field_error(&row_field(row, problem), challenge_message(a, problem));
                    }
                    Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST))
                }
                Err(e) => Err(PageError::internal(me.locale, e).into()),
            }
        }
        Some("phones") => {
            let mut phones = Vec::new();
            let mut typed = Vec::new();
            for i in 0..MAX_PHONES {
                let number = get(&format!("phone{i}"));
                let kind = get(&format!("kind{i}"));
                typed.push((number.clone(), kind.clone()));
                if number.trim().is_empty() {
                    continue;
                }
                phones.push((number, PhoneKind::parse(&kind).unwrap_or(PhoneKind::Mobile)));
            }
            let no_direct = form.contains_key("no_direct_number");
            state.phones = typed;
            state.no_direct = no_direct;
            if no_direct && !phones.is_empty() {
                // A number and "no direct number" together: which one is meant is unclear,
                // and the number would never be called. Nothing is saved.
                let mut v = security_view(me.locale, &state);
                v.field_error("no_direct_number", a.phone_and_no_direct);
                return Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST));
            }
            let totp = me.account.totp_enrolled_at.is_some()
                || p.accounts
                    .has_passkey(&me.account.id)
                    .await
                    .or_page(me.locale)?;
            let phones_left = !phones.is_empty() && !no_direct;
            if p.accounts
                .leaves_staff_without_factor(&me.account.id, totp, phones_left)
                .await
                .or_page(me.locale)?
            {
                let mut v = security_view(me.locale, &state);
                v.errors.push((String::new(), a.staff_keep_factor.into()));
                return Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST));
            }
            match p
                .accounts
                .set_challenge_phones(&me.account.id, &phones, no_direct)
                .await
            {
                Ok(saved) => {
                    audit_change(&p, &me, "account.phones_changed").await;
                    state.phones = saved
                        .iter()
                        .map(|ph| {
                            (
                                credential_store::display_phone(&ph.e164),
                                ph.kind.as_str().to_owned(),
                            )
                        })
                        .collect();
                    let mut v = security_view(me.locale, &state);
                    v.notice = Some(a.saved.into());
                    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
                }
                Err(ChallengeError::Phones(problems)) => {
                    let mut v = security_view(me.locale, &state);
                    // Rows were compacted (blank ones skipped): map back to the typed rows.
                    let filled: Vec<usize> = (0..MAX_PHONES)
                        .filter(|i| !get(&format!("phone{i}")).trim().is_empty())
                        .collect();
                    for (row, problem) in problems {
                        let i = filled.get(row).copied().unwrap_or(0);
                        let msg = match problem {
                            PhoneProblem::Duplicate => a.phone_duplicate,
                            _ => a.bad_phone,
                        };
                        v.field_error(&format!("phone{i}"), msg);
                    }
                    Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST))
                }
                Err(e) => Err(PageError::internal(me.locale, e).into()),
            }
        }
        _ => Err(PageError::bad(me.locale, |t| t.bad_request).into()),
    }
}

pub(super) async fn audit_change(p: &Provider, me: &Me, event: &'static str) {
    let _ = p
        .audit
        .record(AuditEvent {
            event,
            actor: Some(&me.account.id),
            subject: Some(&me.account.id),
            session_id: Some(&me.session.sid),
            ..Default::default()
        })
        .await;
}
