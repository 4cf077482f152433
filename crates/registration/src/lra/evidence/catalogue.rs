//! The catalogue of identity documents (004 Appendix B): the primary and secondary ones an
//! LRA may record, with their names in English and French, and the ones never accepted.

use platform::Locale;

/// Primary or secondary (004 Appendix B).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// Proves identity under the more stringent criteria.
    Primary,
    /// Issued by an institution approved by the agency.
    Secondary,
}

impl DocumentKind {
    /// The stored name (`identity_evidence.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Secondary => "secondary",
        }
    }
}

/// An accepted identity document.
#[derive(Debug, Clone, Copy)]
pub struct Document {
    /// Stable code, stored with the evidence.
    pub code: &'static str,
    /// Primary or secondary.
    pub kind: DocumentKind,
    /// English name.
    pub en: &'static str,
    /// French name.
    pub fr: &'static str,
    /// Carries a photo of the holder.
    pub photo: bool,
}

impl Document {
    /// The name in `locale`.
    pub fn name(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Fr => self.fr,
            _ => self.en,
        }
    }
}

/// A document that is never accepted, and why.
#[derive(Debug, Clone, Copy)]
pub struct Unacceptable {
    /// Stable code (offered in the lists so that choosing it explains the refusal).
    pub code: &'static str,
    /// English name.
    pub en: &'static str,
    /// French name.
    pub fr: &'static str,
    /// Why, in English.
    pub reason_en: &'static str,
    /// Why, in French.
    pub reason_fr: &'static str,
}

impl Unacceptable {
    /// The name in `locale`.
    pub fn name(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Fr => self.fr,
            _ => self.en,
        }
    }

    /// The reason in `locale`.
    pub fn reason(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Fr => self.reason_fr,
            _ => self.reason_en,
        }
    }
}

const fn primary(code: &'static str, en: &'static str, fr: &'static str, photo: bool) -> Document {
    Document {
        code,
        kind: DocumentKind::Primary,
        en,
        fr,
        photo,
    }
}

const fn secondary(
    code: &'static str,
    en: &'static str,
    fr: &'static str,
    photo: bool,
) -> Document {
    Document {
        code,
        kind: DocumentKind::Secondary,
        en,
        fr,
        photo,
    }
}

/// Acceptable primary identity documents, in the order of 004 Appendix B.
pub const PRIMARY: &[Document] = &[
    primary(
        "birth_certificate",
        "Birth certificate issued by a Canadian province or territory",
        "Certificat de naissance délivré par une province ou un territoire du Canada",
        false,
    ),
    primary(
        "birth_abroad",
        "Canadian certificate of birth abroad",
        "Certificat canadien de naissance à l’étranger",
        false,
    ),
    primary(
        "indian_status",
        "Canadian certificate of Indian or Métis status",
        "Certificat canadien de statut d’Indien ou de Métis",
        true,
    ),
    primary(
        "pr_card",
        "Canadian permanent resident card",
        "Carte de résident permanent du Canada",
        true,
    ),
    primary(
        "citizenship_certificate",
        "Certificate of Canadian citizenship (not a commemorative issue)",
        "Certificat de citoyenneté canadienne (sauf édition commémorative)",
        false,
    ),
    primary(
        "naturalization",
        "Certificate of naturalization (not a commemorative issue)",
        "Certificat de naturalisation (sauf édition commémorative)",
        false,
    ),
    primary(
        "foreign_citizenship_card",
        "Citizenship identification card issued by a foreign jurisdiction",
        "Carte d’identité de citoyen délivrée par un pays étranger",
        true,
    ),
    primary(
        "pr_confirmation",
        "Confirmation of permanent residence (IMM 5292)",
        "Confirmation de résidence permanente (IMM 5292)",
        true,
    ),
    primary(
        "canpass",
        "CANPASS (remote area border crossing permit)",
        "CANPASS (permis de passage frontalier en région éloignée)",
        true,
    ),
    primary("nexus", "NEXUS card", "Carte NEXUS", true),
    primary(
        "firearms_licence",
        "Firearms licence",
        "Permis d’armes à feu",
        true,
    ),
    primary(
        "maple_leaf_card",
        "Permanent resident card (Maple Leaf card)",
        "Carte de résident permanent (carte feuille d’érable)",
        true,
    ),
    primary(
        "drivers_licence",
        "Driver's licence (including a graduated licence)",
        "Permis de conduire (y compris un permis progressif)",
        true,
    ),
    primary(
        "canadian_passport",
        "Canadian passport (currently valid)",
        "Passeport canadien (en cours de validité)",
        true,
    ),
    primary(
        "foreign_passport",
        "Valid passport issued by a foreign jurisdiction",
        "Passeport valide délivré par un pays étranger",
        true,
    ),
    primary(
        "live_birth_statement",
        "Statement of live birth from a Canadian province (certified copy)",
        "Déclaration de naissance vivante d’une province canadienne (copie certifiée)",
        false,
    ),
    primary(
        "refugee_claimant_id",
        "Immigration Canada refugee claimant ID document",
        "Document d’identité de demandeur d’asile d’Immigration Canada",
        true,
    ),
];

/// Acceptable secondary identity documents, in the order of 004 Appendix B (its first entry,
/// "any other primary document", is any of [`PRIMARY`] in a second row).
pub const SECONDARY: &[Document] = &[
    secondary(
        "old_age_security_card",
        "Old Age Security card",
        "Carte de la Sécurité de la vieillesse",
        false,
    ),
    secondary(
        "government_certificate",
        "Certificate issued by a government ministry or agency (e.g. marriage, divorce, adoption)",
        "Certificat délivré par un ministère ou un organisme gouvernemental (p. ex. mariage, divorce, adoption)",
        false,
    ),
    secondary(
        "refugee_determination_letter",
        "Canadian Convention Refugee Determination Division letter",
        "Lettre de la Section du statut de réfugié au sens de la Convention",
        false,
    ),
    secondary(
        "employment_authorization",
        "Canadian employment authorization",
        "Autorisation d’emploi canadienne",
        false,
    ),
    secondary(
        "ministers_permit",
        "Canadian minister's permit",
        "Permis ministériel canadien",
        false,
    ),
    secondary(
        "immigrant_visa",
        "Canadian immigrant visa card",
        "Carte de visa d’immigrant canadien",
        false,
    ),
    secondary(
        "student_authorization",
        "Canadian student authorization",
        "Permis d’études canadien",
        false,
    ),
    secondary(
        "record_of_landing",
        "Record of landing (IMM 1000)",
        "Fiche relative au droit d’établissement (IMM 1000)",
        true,
    ),
    secondary(
        "change_of_name",
        "Registration of a legal change of name, with evidence of use of the prior name for the preceding 12 months",
        "Enregistrement d’un changement de nom légal, avec preuve de l’usage de l’ancien nom pendant les 12 mois précédents",
        false,
    ),
    secondary(
        "college_registration",
        "Current registration document from the college of a regulated health profession",
        "Document d’inscription en vigueur de l’ordre d’une profession de la santé réglementée",
        false,
    ),
    secondary(
        "association_card",
        "Current professional association licence or membership card (regulated health profession)",
        "Permis ou carte de membre en vigueur d’une association professionnelle (profession de la santé réglementée)",
        false,
    ),
    secondary(
        "government_employee_card",
        "Federal, provincial or municipal employee card",
        "Carte d’employé du gouvernement fédéral, provincial ou municipal",
        true,
    ),
    secondary(
        "client_employee_card",
        "Current employee card from a client organization",
        "Carte d’employé en vigueur d’une organisation cliente",
        true,
    ),
    secondary("union_card", "Union card", "Carte syndicale", false),
    secondary(
        "federal_id_card",
        "Other federal ID card, including military",
        "Autre carte d’identité fédérale, y compris militaire",
        true,
    ),
    secondary(
        "outdoors_card",
        "Ontario Ministry of Natural Resources Outdoors Card",
        "Carte Plein air du ministère des Richesses naturelles de l’Ontario",
        false,
    ),
    secondary(
        "judicial_id_card",
        "Judicial ID card",
        "Carte d’identité judiciaire",
        true,
    ),
    secondary(
        "student_id_card",
        "Student identification card",
        "Carte d’identité d’étudiant",
        true,
    ),
    secondary(
        "byid_card",
        "BYID card (formerly Age of Majority card)",
        "Carte BYID (anciennement carte de majorité)",
        true,
    ),
    secondary(
        "cnib_card",
        "CNIB photo registration card",
        "Carte d’inscription avec photo d’INCA",
        true,
    ),
    secondary(
        "police_id_card",
        "Canadian police force identification card",
        "Carte d’identité d’un service de police canadien",
        true,
    ),
    secondary(
        "blind_persons_card",
        "Identification card issued under the Blind Persons' Rights Act",
        "Carte d’identité délivrée en vertu de la Loi sur les droits des aveugles",
        true,
    ),
];

/// Documents never accepted (004 Appendix B, "Unacceptable").
pub const UNACCEPTABLE: &[Unacceptable] = &[
    Unacceptable {
        code: "health_card",
        en: "Health card",
        fr: "Carte Santé",
        reason_en: "A health card is never accepted as proof of identity: its use is restricted to obtaining health services.",
        reason_fr: "La carte Santé n’est jamais acceptée comme preuve d’identité\u{a0}: son usage est réservé à l’obtention de services de santé.",
    },
    Unacceptable {
        code: "sin_card",
        en: "Social insurance number card",
        fr: "Carte d’assurance sociale",
        reason_en: "A social insurance card is never accepted as proof of identity: the number may only be collected for the purposes the law allows.",
        reason_fr: "La carte d’assurance sociale n’est jamais acceptée comme preuve d’identité\u{a0}: le numéro ne peut être recueilli qu’aux fins permises par la loi.",
    },
];

/// The accepted document with this code.
pub fn document(code: &str) -> Option<&'static Document> {
    PRIMARY.iter().chain(SECONDARY).find(|d| d.code == code)
}

/// The refused document with this code.
pub fn unacceptable(code: &str) -> Option<&'static Unacceptable> {
    UNACCEPTABLE.iter().find(|d| d.code == code)
}
