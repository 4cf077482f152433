//! The provenance on an account's console page (004 §5.8, §6.8): a section per registry or
//! organization that validated the identity, one for the evidence recorded and one for the
//! level history, in English and French.

use platform::Locale;
use registration::lra::affiliation::{
    affiliation_document, AffiliationDetails, Source as Presenter,
};
use registration::lra::document;
use registration::provenance::{
    LevelReason, LevelRule, Provenance, Source, SourceApproval, SourceKind, Who,
};
use web::forms::Section;
use web::widgets::{date, datetime};

/// The words of the provenance sections.
pub(super) struct ProvenanceText {
    validated_by: &'static str,
    none: &'static str,
    no_source_label: &'static str,
    no_source: &'static str,
    evidence: &'static str,
    levels: &'static str,
    how: &'static str,
    registry: &'static str,
    managed: &'static str,
    in_person: &'static str,
    code: &'static str,
    approval: &'static str,
    review: &'static str,
    review_text: &'static str,
    general: &'static str,
    limited: &'static str,
    from: &'static str,
    until: &'static str,
    scope: &'static str,
    services: &'static str,
    status: &'static str,
    level: &'static str,
    identifier: &'static str,
    validated_on: &'static str,
    by: &'static str,
    ended_on: &'static str,
    primary: &'static str,
    secondary: &'static str,
    affiliation: &'static str,
    photo: &'static str,
    met: &'static str,
    recorded: &'static str,
    why_self: &'static str,
    why_in_person: &'static str,
    why_managed: &'static str,
    why_evidence: &'static str,
    why_source: &'static str,
    of_registry: &'static str,
    of_process: &'static str,
    rule_other: &'static str,
    rule_none: &'static str,
    rule_evidence: &'static str,
    sessions_ended: &'static str,
    relationship: &'static str,
    confirmed_by: &'static str,
    from_person: &'static str,
    from_organization: &'static str,
    process_confirmed: &'static str,
    genuine: &'static str,
    /// The link to the account's export with its provenance.
    pub export: &'static str,
}

static EN: ProvenanceText = ProvenanceText {
    validated_by: "Provenance — validated by {}",
    none: "Provenance",
    no_source_label: "Validated by",
    no_source: "No registry or organization has validated this identity.",
    evidence: "Provenance — evidence recorded",
    levels: "Provenance — level of assurance history",
    how: "How",
    registry: "Trusted registry (self-registration)",
    managed: "Managed registration process",
    in_person: "In person by a local registration authority (LRA)",
    code: "Short code",
    approval: "Approval",
    review: "Approval review",
    review_text: "{by}, {at} (review {seq}); next review {next}",
    general: "General",
    limited: "Limited",
    from: "from",
    until: "until",
    scope: "note",
    services: "services",
    status: "Status today",
    level: "Level assigned",
    identifier: "Unique identifier used",
    validated_on: "Validated on",
    by: "By",
    ended_on: "Ended on",
    primary: "primary",
    secondary: "secondary",
    affiliation: "Evidence of affiliation",
    photo: "with photo",
    met: "met in person",
    recorded: "recorded by {who} of {org} on {at}",
    why_self: "self-registration validated by {}",
    why_in_person: "registered in person by an LRA of {}",
    why_managed: "registered on the managed registration process of {}",
    why_evidence: "identity evidence recorded by an LRA of {}",
    why_source: "the level of {source} went from AL{from} to AL{to}; {rule}",
    of_registry: "registry {}",
    of_process: "the managed registration process of {}",
    rule_other: "another source on record gives AL{}",
    rule_none: "no other source gives more",
    rule_evidence: "the evidence on record supports AL{}",
    sessions_ended: "sessions ended",
    relationship: "relationship: {}",
    confirmed_by: "confirmed by {}",
    from_person: "presented by the person",
    from_organization: "from the organization",
    process_confirmed: "managed process confirmed",
    genuine: "genuine and current",
    export: "Export this account’s audit trail with its provenance (JSON lines)",
};

static FR: ProvenanceText = ProvenanceText {
    validated_by: "Provenance — validée par {}",
    none: "Provenance",
    no_source_label: "Validée par",
    no_source: "Aucun registre ni aucune organisation n’a validé cette identité.",
    evidence: "Provenance — preuves consignées",
    levels: "Provenance — historique du niveau d’assurance",
    how: "Comment",
    registry: "Registre de confiance (auto-inscription)",
    managed: "Processus d’inscription géré",
    in_person: "En personne par un agent local d’inscription (ALI)",
    code: "Code court",
    approval: "Approbation",
    review: "Examen de l’approbation",
    review_text: "{by}, le {at} (examen {seq}); prochain examen le {next}",
    general: "Générale",
    limited: "Limitée",
    from: "du",
    until: "au",
    scope: "note",
    services: "services",
    status: "Statut actuel",
    level: "Niveau attribué",
    identifier: "Identifiant unique utilisé",
    validated_on: "Validée le",
    by: "Par",
    ended_on: "Terminée le",
    primary: "principale",
    secondary: "secondaire",
    affiliation: "Preuve d’affiliation",
    photo: "avec photo",
    met: "rencontre en personne",
    recorded: "consignée par {who} de {org} le {at}",
    why_self: "auto-inscription validée par {}",
    why_in_person: "inscription en personne par un ALI de {}",
    why_managed: "inscription par le processus d’inscription géré de {}",
    why_evidence: "preuves d’identité consignées par un ALI de {}",
    why_source: "le niveau de {source} est passé de AL{from} à AL{to}; {rule}",
    of_registry: "registre {}",
    of_process: "processus d’inscription géré de {}",
    rule_other: "une autre source consignée donne AL{}",
    rule_none: "aucune autre source ne donne davantage",
    rule_evidence: "les preuves consignées justifient AL{}",
    sessions_ended: "sessions terminées",
    relationship: "relation : {}",
    confirmed_by: "confirmée par {}",
    from_person: "présentée par la personne",
    from_organization: "venant de l’organisme",
    process_confirmed: "processus géré confirmé",
    genuine: "authentique et en vigueur",
    export: "Exporter le journal d’audit de ce compte avec sa provenance (lignes JSON)",
};

impl ProvenanceText {
    /// The text in `locale`.
    pub(super) fn get(locale: Locale) -> &'static ProvenanceText {
        match locale {
            Locale::En => &EN,
            Locale::Fr => &FR,
        }
    }
}

/// A status in words.
fn status(locale: Locale, s: &str) -> String {
    let fr = locale == Locale::Fr;
    match (s, fr) {
        ("approved", false) => "Approved",
        ("approved", true) => "Approuvé",
        ("active", false) => "Active",
        ("active", true) => "Active",
        ("suspended", false) => "Suspended",
        ("suspended", true) => "Suspendu",
        ("terminated", false) => "Terminated",
        ("terminated", true) => "Résilié",
        (other, _) => other,
    }
    .to_owned()
}

/// A person as "Name (login ID)", anything else as recorded.
fn who(w: &Who) -> String {
    match (&w.name, &w.login_id) {
        (Some(n), Some(l)) => format!("{n} ({l})"),
        _ => w.actor.clone(),
    }
}

fn approval(t: &ProvenanceText, locale: Locale, a: &SourceApproval) -> String {
    let mut out = if a.kind == "limited" {
        t.limited
    } else {
        t.general
    }
    .to_owned();
    if let Some(f) = a.from {
        out.push_str(&format!(", {} {}", t.from, date(f)));
    }
    if let Some(u) = a.until {
        out.push_str(&format!(", {} {}", t.until, date(u)));
    }
    if !a.services.is_empty() {
        out.push_str(&format!(
            ", {}{}{}",
            t.services,
            locale.colon(),
            a.services.join(", ")
        ));
    }
    if let Some(scope) = &a.scope {
        out.push_str(&format!(", {}{}{scope}", t.scope, locale.colon()));
    }
    out
}

fn source(t: &ProvenanceText, locale: Locale, s: &Source) -> Section {
    let how = match s.kind {
        SourceKind::Registry => t.registry,
        SourceKind::ManagedProcess => t.managed,
        SourceKind::InPerson => t.in_person,
    };
    let mut rows = vec![(t.how.into(), how.into()), (t.code.into(), s.id.clone())];
    if let Some(a) = &s.approval {
        rows.push((t.approval.into(), approval(t, locale, a)));
        if let Some(r) = &a.review {
            rows.push((
                t.review.into(),
                t.review_text
                    .replace("{by}", &r.reviewed_by)
                    .replace("{at}", &date(r.reviewed_at))
                    .replace("{seq}", &r.seq.to_string())
                    .replace("{next}", &date(r.next_review_at)),
            ));
        }
    }
    rows.push((t.status.into(), status(locale, &s.status)));
    if let Some(l) = s.level {
        rows.push((t.level.into(), format!("AL{l}")));
    }
    if let Some(id) = &s.identifier {
        let scheme = s
            .id_scheme
            .as_ref()
            .map_or_else(String::new, |x| format!(" ({x})"));
        rows.push((t.identifier.into(), format!("{id}{scheme}")));
    }
    rows.push((t.validated_on.into(), datetime(s.at)));
    if let Some(b) = &s.by {
        rows.push((t.by.into(), who(b)));
    }
    if let Some(e) = s.ended_at {
        rows.push((t.ended_on.into(), datetime(e)));
    }
    Section {
        heading: Some(t.validated_by.replace("{}", &s.name)),
        rows,
    }
}

/// What an LRA confirmed of an affiliation, in words; JSON of another shape as it is.
fn details(t: &ProvenanceText, d: &serde_json::Value) -> Vec<String> {
    let Ok(a) = serde_json::from_value::<AffiliationDetails>(d.clone()) else {
        return vec![d.to_string()];
    };
    let mut out = vec![
        match a.source {
            Presenter::Registrant => t.from_person,
            Presenter::Organization => t.from_organization,
        }
        .to_owned(),
        t.relationship.replace("{}", &a.relationship),
    ];
    if let Some(c) = &a.confirmed_by {
        out.push(t.confirmed_by.replace("{}", c));
    }
    if a.process_confirmed {
        out.push(t.process_confirmed.into());
    }
    if a.genuine_and_current {
        out.push(t.genuine.into());
    }
    out
}

/// The provenance sections of an account's page.
pub(super) fn sections(locale: Locale, p: &Provenance) -> Vec<Section> {
    let t = ProvenanceText::get(locale);
    let name_of = |id: &str| {
        p.validated_by
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_owned(), |s| s.name.clone())
    };
    let mut out: Vec<Section> = p
        .validated_by
        .iter()
        .map(|s| source(t, locale, s))
        .collect();
    if out.is_empty() {
        out.push(Section {
            heading: Some(t.none.into()),
            rows: vec![(t.no_source_label.into(), t.no_source.into())],
        });
    }
    if !p.evidence.is_empty() {
        let rows = p
            .evidence
            .iter()
            .map(|e| {
                let (label, mut facts) = if e.kind == "affiliation" {
                    match affiliation_document(&e.document) {
                        Some(d) => (d.name(locale).to_owned(), vec![t.affiliation.to_owned()]),
                        // Recorded before the catalogue: the evidence in words.
                        None => (t.affiliation.to_owned(), vec![e.document.clone()]),
                    }
                } else {
                    let name = document(&e.document)
                        .map_or_else(|| e.document.clone(), |d| d.name(locale).to_owned());
                    let kind = if e.kind == "primary" {
                        t.primary
                    } else {
                        t.secondary
                    };
                    (name, vec![kind.to_owned()])
                };
                if e.photo {
                    facts.push(t.photo.into());
                }
                if e.in_person {
                    facts.push(t.met.into());
                }
                if let Some(d) = &e.details {
                    facts.extend(details(t, d));
                }
                facts.push(
                    t.recorded
                        .replace("{who}", &who(&e.recorded_by))
                        .replace("{org}", &name_of(&e.organization_id))
                        .replace("{at}", &datetime(e.recorded_at)),
                );
                (label, facts.join("; "))
            })
            .collect();
        out.push(Section {
            heading: Some(t.evidence.into()),
            rows,
        });
    }
    if !p.level_history.is_empty() {
        let rows = p
            .level_history
            .iter()
            .map(|c| {
                let why = match &c.reason {
                    LevelReason::SelfRegistration { registry } => {
                        t.why_self.replace("{}", &name_of(registry))
                    }
                    LevelReason::InPerson { organization } => {
                        t.why_in_person.replace("{}", &name_of(organization))
                    }
                    LevelReason::ManagedProcess { organization } => {
                        t.why_managed.replace("{}", &name_of(organization))
                    }
                    LevelReason::LraEvidence { organization } => {
                        t.why_evidence.replace("{}", &name_of(organization))
                    }
                    LevelReason::SourceChanged {
                        source_kind,
                        source,
                        source_from,
                        source_to,
                        rule,
                        sessions_ended,
                    } => {
                        let of = if source_kind == "registry" {
                            t.of_registry
                        } else {
                            t.of_process
                        };
                        let rule = match rule {
                            LevelRule::OtherSource { level } => {
                                t.rule_other.replace("{}", &level.to_string())
                            }
                            LevelRule::NoOtherSource => t.rule_none.to_owned(),
                            LevelRule::Evidence { level } => {
                                t.rule_evidence.replace("{}", &level.to_string())
                            }
                            LevelRule::Text { text } => text.clone(),
                        };
                        let mut why = t
                            .why_source
                            .replace("{source}", &of.replace("{}", &name_of(source)))
                            .replace("{from}", &source_from.to_string())
                            .replace("{to}", &source_to.to_string())
                            .replace("{rule}", &rule);
                        if *sessions_ended {
                            why.push_str("; ");
                            why.push_str(t.sessions_ended);
                        }
                        why
                    }
                    LevelReason::Stated { text } => text.clone(),
                };
                let levels = match c.from {
                    Some(f) => format!("AL{f} → AL{}", c.to),
                    None => format!("AL{}", c.to),
                };
                let by = c.by.as_ref().map_or_else(String::new, |b| {
                    format!(" ({} {})", t.by.to_lowercase(), who(b))
                });
                (
                    datetime(c.at),
                    format!("{levels}{}{why}{by}", locale.colon()),
                )
            })
            .collect();
        out.push(Section {
            heading: Some(t.levels.into()),
            rows,
        });
    }
    out
}
