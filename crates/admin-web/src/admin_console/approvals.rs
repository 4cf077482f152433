//! The console's list of approvals due for review (004 §5.3, §6.3.5, §6.7.3): registries and
//! managed registration processes never reviewed, past their review date, or reported changed,
//! each linked to its page. Reviews are recorded through the admin API and the command line.

use super::{page, page_request, send, Admin};
use authorization_server::Provider;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use platform::Locale;
use registration::approvals::Subject;
use std::sync::Arc;
use web::error::{OrPage, WebResult};

struct Text {
    title: &'static str,
    intro: &'static str,
    none: &'static str,
    head: [&'static str; 4],
    registry: &'static str,
    process: &'static str,
    reasons: [(&'static str, &'static str); 5],
}

const EN: Text = Text {
    title: "Approvals due for review",
    intro: "Registries and managed registration processes whose approval must be reviewed: never reviewed, past the date of their next review, or reported changed (a significant change, a change of corporate structure, a new level of assurance).",
    none: "No approval is due for review.",
    head: ["What", "Id", "Why", "Since"],
    registry: "Registry",
    process: "Managed registration process",
    reasons: [
        ("never_reviewed", "Never reviewed"),
        ("review_date", "Review date reached"),
        ("significant_change", "Significant change reported"),
        ("corporate_structure", "Change of corporate structure"),
        ("level_changed", "Level of assurance changed"),
    ],
};

const FR: Text = Text {
    title: "Approbations à réviser",
    intro: "Registres et processus d’inscription gérés dont l’approbation doit être révisée : jamais révisée, date de la prochaine révision atteinte, ou changement signalé (changement important, changement de structure organisationnelle, nouveau niveau d’assurance).",
    none: "Aucune approbation n’est à réviser.",
    head: ["Quoi", "Identifiant", "Pourquoi", "Depuis"],
    registry: "Registre",
    process: "Processus d’inscription géré",
    reasons: [
        ("never_reviewed", "Jamais révisée"),
        ("review_date", "Date de révision atteinte"),
        ("significant_change", "Changement important signalé"),
        ("corporate_structure", "Changement de structure organisationnelle"),
        ("level_changed", "Niveau d’assurance modifié"),
    ],
};

fn text(l: Locale) -> &'static Text {
    match l {
        Locale::Fr => &FR,
        Locale::En => &EN,
    }
}

/// GET /admin/approvals
#[tracing::instrument(skip_all)]
pub(super) async fn approvals(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, _) = page_request(&p, &headers, q, "/admin/approvals").await?;
    let a: Admin = a;
    let t = text(a.locale);
    let due = p.registration.approvals_due().await.or_page(a.locale)?;
    let mut v = page(&a, t.title, "/admin/approvals");
    v.intro.push(t.intro.into());
    if due.is_empty() {
        v.intro.push(t.none.into());
    } else {
        v.table_head = t.head.iter().map(|h| (*h).to_owned()).collect();
        v.table = due
            .iter()
            .map(|d| {
                let (what, href) = match d.subject {
                    Subject::Registry => {
                        (t.registry, format!("/admin/registries/{}", d.subject_id))
                    }
                    Subject::Process => {
                        (t.process, format!("/admin/organizations/{}", d.subject_id))
                    }
                };
                let why = t
                    .reasons
                    .iter()
                    .find(|(k, _)| *k == d.reason)
                    .map_or(d.reason.as_str(), |(_, v)| v);
                vec![
                    (String::new(), what.to_owned()),
                    (a.href(&href), d.subject_id.clone()),
                    (String::new(), why.to_owned()),
                    (String::new(), web::widgets::date(d.since)),
                ]
            })
            .collect();
    }
    Ok(send(&p, &headers, &a, &v, true))
}
