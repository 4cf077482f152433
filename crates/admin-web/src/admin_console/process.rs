//! The managed registration process on a registering organization's console page (004 §6):
//! its approval (general, or limited to services and dates), its status from a date (apart
//! from the organization's status as a sponsor), and the affiliates it reports as no longer
//! registered. The operations are `registration::processes`'.

use super::Admin;
use crate::admin_api::ApiError;
use authorization_server::Provider;
use platform::Locale;
use registration::processes::{ApprovalInput, Process, ProcessStatus};
use registration::Actor;
use web::forms::{Field, Fieldset, Form, Section, View};
use web::http::Params;

/// The words of this part of the page.
struct Text {
    heading: &'static str,
    approval: &'static str,
    general: &'static str,
    limited: &'static str,
    status: &'static str,
    from: &'static str,
    approval_legend: &'static str,
    approved_from: &'static str,
    approved_until: &'static str,
    date_hint: &'static str,
    status_legend: &'static str,
    statuses: [&'static str; 3],
    terminations_legend: &'static str,
    members: &'static str,
    members_hint: &'static str,
    save: &'static str,
    report: &'static str,
    saved: &'static str,
    bad_date: &'static str,
    reported: &'static str,
}

const EN: Text = Text {
    heading: "Managed registration process",
    approval: "Approval",
    general: "General",
    limited: "Limited",
    status: "Status",
    from: "from",
    approval_legend: "Approval of the process",
    approved_from: "Approved from",
    approved_until: "Approved until",
    date_hint: "YYYY-MM-DD; a limited approval only",
    status_legend: "Status of the process (sponsorship is not affected)",
    statuses: ["Active", "Suspended", "Terminated (final)"],
    terminations_legend: "Affiliates no longer registered",
    members: "The organization's identifiers",
    members_hint: "Separated by spaces or commas; their accounts are terminated",
    save: "Save",
    report: "Terminate their accounts",
    saved: "Saved.",
    bad_date: "Enter a date as YYYY-MM-DD.",
    reported: "{t} terminated, {a} already terminated, {u} unknown.",
};

const FR: Text = Text {
    heading: "Processus d’inscription géré",
    approval: "Approbation",
    general: "Générale",
    limited: "Limitée",
    status: "État",
    from: "à compter du",
    approval_legend: "Approbation du processus",
    approved_from: "Approuvé à compter du",
    approved_until: "Approuvé jusqu’au",
    date_hint: "AAAA-MM-JJ; approbation limitée seulement",
    status_legend: "État du processus (le parrainage n’est pas touché)",
    statuses: ["Actif", "Suspendu", "Résilié (définitif)"],
    terminations_legend: "Affiliés dont l’inscription a pris fin",
    members: "Identifiants de l’organisme",
    members_hint: "Séparés par des espaces ou des virgules; leurs comptes sont résiliés",
    save: "Enregistrer",
    report: "Résilier leurs comptes",
    saved: "Enregistré.",
    bad_date: "Entrez une date au format AAAA-MM-JJ.",
    reported: "{t} résiliés, {a} déjà résiliés, {u} inconnus.",
};

fn text(l: Locale) -> &'static Text {
    match l {
        Locale::Fr => &FR,
        Locale::En => &EN,
    }
}

const STATUSES: [ProcessStatus; 3] = [
    ProcessStatus::Active,
    ProcessStatus::Suspended,
    ProcessStatus::Terminated,
];

fn status_name(t: &Text, s: ProcessStatus) -> &'static str {
    t.statuses[STATUSES.iter().position(|x| *x == s).unwrap_or(0)]
}

/// Adds the process's facts and forms to the organization page `v` (registering
/// organizations only).
pub(super) async fn add_to(
    p: &Provider,
    a: &Admin,
    id: &str,
    action: &str,
    v: &mut View,
) -> Result<(), registration::RegistrationError> {
    let Some(proc) = p.registration.process(id).await? else {
        return Ok(());
    };
    let services = p.registration.directory.services().await?;
    let t = text(a.locale);
    let day = |d: Option<i64>| d.map_or_else(String::new, web::widgets::date);
    let approval = if proc.approval == "limited" {
        format!(
            "{} ({} – {}): {}",
            t.limited,
            day(proc.approved_from),
            day(proc.approved_until),
            proc.services.join(", ")
        )
    } else {
        t.general.to_owned()
    };
    let now = p.clock.now();
    let mut status = status_name(t, proc.status_at(now)).to_owned();
    if proc.status_from > now {
        status.push_str(&format!(
            "; {} {} {}",
            status_name(t, proc.status),
            t.from,
            web::widgets::date(proc.status_from)
        ));
    }
    v.sections.push(Section {
        heading: Some(t.heading.into()),
        rows: vec![(t.approval.into(), approval), (t.status.into(), status)],
    });
    let op = |name: &str| vec![("op".to_owned(), name.to_owned())];
    let mut fields = vec![
        Field::new("select", "approval", t.approval, proc.approval).options(vec![
            ("general".into(), t.general.into()),
            ("limited".into(), t.limited.into()),
        ]),
        Field::new(
            "text",
            "approved_from",
            t.approved_from,
            &day(proc.approved_from),
        )
        .hint(t.date_hint),
        Field::new(
            "text",
            "approved_until",
            t.approved_until,
            &day(proc.approved_until),
        )
        .hint(t.date_hint),
    ];
    for s in &services {
        let mut f = Field::new(
            "checkbox",
            &format!("proc-{}", s.id),
            &format!("{} ({})", s.name, s.id),
            "",
        );
        f.checked = proc.services.contains(&s.id);
        fields.push(f);
    }
    v.forms.push(Form {
        id: Some("process-approval".into()),
        action: action.to_owned(),
        hidden: op("process_approval"),
        fieldsets: vec![Fieldset {
            legend: Some(t.approval_legend.into()),
            fields,
            ..Fieldset::default()
        }],
        submit: t.save.into(),
        ..Form::default()
    });
    if proc.status != ProcessStatus::Terminated {
        let options = STATUSES
            .iter()
            .map(|s| (s.as_str().to_owned(), status_name(t, *s).to_owned()))
            .collect();
        v.forms.push(Form {
            id: Some("process-status".into()),
            action: action.to_owned(),
            hidden: op("process_status"),
            fieldsets: vec![Fieldset {
                legend: Some(t.status_legend.into()),
                fields: vec![
                    Field::new("select", "process_status", t.status, proc.status.as_str())
                        .options(options),
                    Field::new("text", "status_from", t.from, "").hint("YYYY-MM-DD"),
                ],
                ..Fieldset::default()
            }],
            submit: t.save.into(),
            ..Form::default()
        });
    }
    v.forms.push(Form {
        id: Some("affiliate-terminations".into()),
        action: action.to_owned(),
        hidden: op("affiliate_terminations"),
        fieldsets: vec![Fieldset {
            legend: Some(t.terminations_legend.into()),
            fields: vec![Field::new("text", "members", t.members, "")
                .hint(t.members_hint)
                .auto("off")
                .required()],
            ..Fieldset::default()
        }],
        submit: t.report.into(),
        ..Form::default()
    });
    Ok(())
}

/// Runs a process operation of the organization page, if `op` is one; the notice to show.
pub(super) async fn op(
    p: &Provider,
    a: &Admin,
    id: &str,
    op: &str,
    form: &Params,
) -> Option<Result<String, ApiError>> {
    let t = text(a.locale);
    let actor = Actor::person(&a.account.id);
    let reg = &p.registration;
    Some(match op {
        "process_approval" => {
            async {
                let services = reg
                    .directory
                    .services()
                    .await?
                    .into_iter()
                    .filter(|s| form.contains_key(&format!("proc-{}", s.id)))
                    .map(|s| s.id)
                    .collect();
                let input = ApprovalInput {
                    approval: form.get("approval").cloned().unwrap_or_default(),
                    approved_from: super::registries::day_field(
                        form,
                        "approved_from",
                        false,
                        t.bad_date,
                    )?,
                    approved_until: super::registries::day_field(
                        form,
                        "approved_until",
                        true,
                        t.bad_date,
                    )?,
                    services,
                };
                let _: Process = reg.set_process_approval(id, input, actor).await?;
                Ok(t.saved.to_owned())
            }
            .await
        }
        "process_status" => {
            async {
                let status = form
                    .get("process_status")
                    .and_then(|s| ProcessStatus::parse(s))
                    .ok_or_else(|| ApiError::invalid("", "status"))?;
                let from = super::registries::day_field(form, "status_from", false, t.bad_date)?;
                reg.set_process_status(id, status, from, actor).await?;
                Ok(t.saved.to_owned())
            }
            .await
        }
        "affiliate_terminations" => {
            async {
                let members: Vec<String> = form
                    .get("members")
                    .map(String::as_str)
                    .unwrap_or("")
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                let done = reg.terminate_affiliates(id, &members, actor).await?;
                Ok(t.reported
                    .replace("{t}", &done.terminated.len().to_string())
                    .replace("{a}", &done.already.len().to_string())
                    .replace("{u}", &done.unknown.len().to_string()))
            }
            .await
        }
        _ => return None,
    })
}
