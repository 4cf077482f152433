//! The documentary evidence of affiliation an LRA confirms before registering a person on a
//! registering organization's managed process (004 §6.5.6, §6.5.7), as structured data: that
//! the person went through the managed process, the organization's identifier of them, the
//! relationship (e.g. regular full-time employee), and the document: presented by the person
//! (only a current photo employee ID card, the higher standard), or obtained from or confirmed
//! by the organization (a written or email confirmation from one of its authorities, or an
//! entry in its HR database or directory; one such piece is enough), genuine and valid now.

use serde::{Deserialize, Serialize};

/// Who presented the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The person being registered.
    Registrant,
    /// The registering organization, directly.
    Organization,
}

/// A kind of documentary evidence of affiliation.
#[derive(Debug, Clone, Copy)]
pub struct AffiliationDocument {
    /// Stored code.
    pub code: &'static str,
    /// Who presents it.
    pub source: Source,
    /// English name.
    pub en: &'static str,
    /// French name.
    pub fr: &'static str,
}

impl AffiliationDocument {
    /// Its name in `locale`.
    pub fn name(&self, locale: platform::Locale) -> &'static str {
        match locale {
            platform::Locale::Fr => self.fr,
            platform::Locale::En => self.en,
        }
    }
}

/// What 004 §6.5.7 accepts.
pub const AFFILIATION_DOCUMENTS: &[AffiliationDocument] = &[
    AffiliationDocument {
        code: "photo_employee_id",
        source: Source::Registrant,
        en: "Current photo employee ID card, presented by the person",
        fr: "Carte d’employé avec photo en vigueur, présentée par la personne",
    },
    AffiliationDocument {
        code: "written_confirmation",
        source: Source::Organization,
        en: "Written or email confirmation from an authority of the organization",
        fr: "Confirmation écrite ou par courriel d’une autorité de l’organisme",
    },
    AffiliationDocument {
        code: "hr_record",
        source: Source::Organization,
        en: "Entry in the organization's HR database or organizational directory",
        fr: "Inscription dans la base de données des RH ou le répertoire de l’organisme",
    },
];

/// The affiliation document of code `code`.
pub fn affiliation_document(code: &str) -> Option<&'static AffiliationDocument> {
    AFFILIATION_DOCUMENTS.iter().find(|d| d.code == code)
}

/// What the LRA confirms.
#[derive(Debug, Clone, Default)]
pub struct Affiliation {
    /// The document's code (see [`AFFILIATION_DOCUMENTS`]).
    pub document: String,
    /// The relationship with the organization, e.g. "regular full-time employee".
    pub relationship: String,
    /// For evidence from the organization: who in it confirmed (name and title).
    pub confirmed_by: String,
    /// The person went through the organization's managed registration process (§6.5.6).
    pub process_confirmed: bool,
    /// The evidence appears genuine, was issued by the organization and is valid now (§6.5.7).
    pub genuine_and_current: bool,
}

/// What the record keeps beside the document's code (`identity_evidence.details`, JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffiliationDetails {
    /// Who presented it.
    pub source: Source,
    /// The relationship.
    pub relationship: String,
    /// Who in the organization confirmed it, for evidence from the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<String>,
    /// The organization's identifier of the person.
    pub member_id: String,
    /// The managed process was confirmed.
    pub process_confirmed: bool,
    /// The evidence was genuine and current.
    pub genuine_and_current: bool,
}

fn text_ok(s: &str, max: usize) -> bool {
    s.chars().count() <= max && !s.chars().any(char::is_control)
}

impl Affiliation {
    /// Checks what was confirmed; the first missing or bad field's name, or the details to
    /// record (for the person of identifier `member_id`).
    pub fn check(&self, member_id: &str) -> Result<AffiliationDetails, (&'static str, bool)> {
        let Some(doc) = affiliation_document(self.document.trim()) else {
            return Err(("affiliation_document", self.document.trim().is_empty()));
        };
        let relationship = self
            .relationship
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if relationship.is_empty() {
            return Err(("relationship", true));
        }
        if !text_ok(&relationship, 200) {
            return Err(("relationship", false));
        }
        let confirmed_by = self
            .confirmed_by
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let confirmed_by = match doc.source {
            Source::Registrant => None,
            Source::Organization if confirmed_by.is_empty() => return Err(("confirmed_by", true)),
            Source::Organization if !text_ok(&confirmed_by, 200) => {
                return Err(("confirmed_by", false))
            }
            Source::Organization => Some(confirmed_by),
        };
        if !self.process_confirmed {
            return Err(("process_confirmed", true));
        }
        if !self.genuine_and_current {
            return Err(("genuine_and_current", true));
        }
        Ok(AffiliationDetails {
            source: doc.source,
            relationship,
            confirmed_by,
            member_id: member_id.to_owned(),
            process_confirmed: true,
            genuine_and_current: true,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ok() -> Affiliation {
        Affiliation {
            document: "photo_employee_id".into(),
            relationship: " regular  full-time employee ".into(),
            confirmed_by: "ignored for a card".into(),
            process_confirmed: true,
            genuine_and_current: true,
        }
    }

    #[test]
    fn a_photo_card_from_the_person_needs_no_one_in_the_organization() {
        let d = ok().check("E-1").unwrap();
        assert_eq!(d.source, Source::Registrant);
        assert_eq!(d.relationship, "regular full-time employee");
        assert_eq!(d.confirmed_by, None);
        assert_eq!(d.member_id, "E-1");
    }

    #[test]
    fn evidence_from_the_organization_names_who_confirmed_it() {
        let mut a = ok();
        a.document = "hr_record".into();
        a.confirmed_by = String::new();
        assert_eq!(a.check("E-1").unwrap_err(), ("confirmed_by", true));
        a.confirmed_by = "Dana Roy, HR director".into();
        let d = a.check("E-1").unwrap();
        assert_eq!(d.source, Source::Organization);
        assert_eq!(d.confirmed_by.as_deref(), Some("Dana Roy, HR director"));
    }

    #[test]
    fn each_confirmation_is_required_and_unknown_documents_are_refused() {
        let mut a = ok();
        a.document = "library_card".into();
        assert_eq!(a.check("E").unwrap_err(), ("affiliation_document", false));
        a.document = String::new();
        assert_eq!(a.check("E").unwrap_err(), ("affiliation_document", true));
        let mut a = ok();
        a.relationship = "  ".into();
        assert_eq!(a.check("E").unwrap_err(), ("relationship", true));
        let mut a = ok();
        a.process_confirmed = false;
        assert_eq!(a.check("E").unwrap_err(), ("process_confirmed", true));
        let mut a = ok();
        a.genuine_and_current = false;
        assert_eq!(a.check("E").unwrap_err(), ("genuine_and_current", true));
    }
}
