//! Regulatory colleges a professional designation can name, with their registration-number
//! formats where we know them.

use platform::Locale;

/// A college.
#[derive(Debug, Clone, Copy)]
pub struct College {
    /// Code stored with the designation.
    pub code: &'static str,
    /// English name.
    pub en: &'static str,
    /// French name.
    pub fr: &'static str,
    /// Digits only, this many (inclusive range); `None`: letters, digits and `-`, up to 20.
    pub digits: Option<(usize, usize)>,
}

impl College {
    /// The name in `locale`.
    pub fn name(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Fr => self.fr,
            _ => self.en,
        }
    }

    /// Whether `number` has this college's format.
    pub fn number_ok(&self, number: &str) -> bool {
        let n = number.trim();
        match self.digits {
            Some((lo, hi)) => (lo..=hi).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()),
            None => generic_number_ok(n),
        }
    }
}

/// The generic rule: 1 to 20 letters, digits or `-`.
pub fn generic_number_ok(n: &str) -> bool {
    (1..=20).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The colleges offered in the designation step: those of the 21 professions the Regulated
/// Health Professions Act, 1991 named (004 App. B, in its order: audiology and speech-language
/// pathology ... respiratory therapy), then those of the five professions regulated under it
/// since (homeopathy, kinesiology, naturopathy, psychotherapy, traditional Chinese medicine and
/// acupuncture). Where two colleges share an acronym (Denturists and Dietitians "CDO",
/// Optometrists and Opticians "COO", Physiotherapists and Psychologists "CPO"), the college
/// that had it here first keeps it and the other has a code of ours (`CDIETO`, `COPTO`,
/// `CPBAO`): a code is stored with each designation, so it never changes.
pub const COLLEGES: &[College] = &[
    College {
        code: "CASLPO",
        en: "College of Audiologists and Speech-Language Pathologists of Ontario",
        fr: "Ordre des audiologistes et des orthophonistes de l’Ontario",
        digits: None,
    },
    College {
        code: "COCOO",
        en: "College of Chiropodists of Ontario",
        fr: "Ordre des podologues de l’Ontario",
        digits: None,
    },
    College {
        code: "CCO",
        en: "College of Chiropractors of Ontario",
        fr: "Ordre des chiropraticiens de l’Ontario",
        digits: None,
    },
    College {
        code: "CDHO",
        en: "College of Dental Hygienists of Ontario",
        fr: "Ordre des hygiénistes dentaires de l’Ontario",
        digits: None,
    },
    College {
        code: "CDTO",
        en: "College of Dental Technologists of Ontario",
        fr: "Ordre des technologues dentaires de l’Ontario",
        digits: None,
    },
    College {
        code: "RCDSO",
        en: "Royal College of Dental Surgeons of Ontario",
        fr: "Collège royal des chirurgiens dentistes de l’Ontario",
        digits: Some((4, 6)),
    },
    College {
        code: "CDO",
        en: "College of Denturists of Ontario",
        fr: "Ordre des denturologistes de l’Ontario",
        digits: None,
    },
    College {
        code: "CDIETO",
        en: "College of Dietitians of Ontario",
        fr: "Ordre des diététistes de l’Ontario",
        digits: None,
    },
    College {
        code: "CMTO",
        en: "College of Massage Therapists of Ontario",
        fr: "Ordre des massothérapeutes de l’Ontario",
        digits: None,
    },
    College {
        code: "CMLTO",
        en: "College of Medical Laboratory Technologists of Ontario",
        fr: "Ordre des technologistes de laboratoire médical de l’Ontario",
        digits: None,
    },
    College {
        code: "CMRITO",
        en: "College of Medical Radiation and Imaging Technologists of Ontario",
        fr: "Ordre des technologues en radiation médicale et en imagerie de l’Ontario",
        digits: None,
    },
    College {
        code: "CPSO",
        en: "College of Physicians and Surgeons of Ontario",
        fr: "Ordre des médecins et chirurgiens de l’Ontario",
        digits: Some((4, 6)),
    },
    College {
        code: "CMO",
        en: "College of Midwives of Ontario",
        fr: "Ordre des sages-femmes de l’Ontario",
        digits: None,
    },
    College {
        code: "CNO",
        en: "College of Nurses of Ontario",
        fr: "Ordre des infirmières et infirmiers de l’Ontario",
        digits: Some((7, 8)),
    },
    College {
        code: "COTO",
        en: "College of Occupational Therapists of Ontario",
        fr: "Ordre des ergothérapeutes de l’Ontario",
        digits: None,
    },
    College {
        code: "COPTO",
        en: "College of Opticians of Ontario",
        fr: "Ordre des opticiens de l’Ontario",
        digits: None,
    },
    College {
        code: "COO",
        en: "College of Optometrists of Ontario",
        fr: "Ordre des optométristes de l’Ontario",
        digits: None,
    },
    College {
        code: "OCP",
        en: "Ontario College of Pharmacists",
        fr: "Ordre des pharmaciens de l’Ontario",
        digits: Some((4, 6)),
    },
    College {
        code: "CPO",
        en: "College of Physiotherapists of Ontario",
        fr: "Ordre des physiothérapeutes de l’Ontario",
        digits: None,
    },
    College {
        code: "CPBAO",
        en: "College of Psychologists and Behaviour Analysts of Ontario",
        fr: "Ordre des psychologues et des analystes du comportement de l’Ontario",
        digits: None,
    },
    College {
        code: "CRTO",
        en: "College of Respiratory Therapists of Ontario",
        fr: "Ordre des thérapeutes respiratoires de l’Ontario",
        digits: None,
    },
    College {
        code: "CHO",
        en: "College of Homeopaths of Ontario",
        fr: "Ordre des homéopathes de l’Ontario",
        digits: None,
    },
    College {
        code: "CKO",
        en: "College of Kinesiologists of Ontario",
        fr: "Ordre des kinésiologues de l’Ontario",
        digits: None,
    },
    College {
        code: "CONO",
        en: "College of Naturopaths of Ontario",
        fr: "Ordre des naturopathes de l’Ontario",
        digits: None,
    },
    College {
        code: "CRPO",
        en: "College of Registered Psychotherapists of Ontario",
        fr: "Ordre des psychothérapeutes autorisés de l’Ontario",
        digits: None,
    },
    College {
        code: "CTCMPAO",
        en: "College of Traditional Chinese Medicine Practitioners and Acupuncturists of Ontario",
        fr: "Ordre des praticiens en médecine traditionnelle chinoise et des acupuncteurs de l’Ontario",
        digits: None,
    },
];

/// The college with this code.
pub fn college(code: &str) -> Option<&'static College> {
    COLLEGES
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code.trim()))
}

/// Whether `number` is acceptable for `college` (its format when known, else the generic rule).
pub fn number_ok(college_code: &str, number: &str) -> bool {
    match college(college_code) {
        Some(c) => c.number_ok(number),
        None => generic_number_ok(number.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpso_numbers_are_four_to_six_digits() {
        assert!(number_ok("CPSO", "98765"));
        assert!(number_ok("cpso", " 1234 "));
        assert!(!number_ok("CPSO", "123"));
        assert!(!number_ok("CPSO", "1234567"));
        assert!(!number_ok("CPSO", "12a45"));
    }

    #[test]
    fn every_regulated_health_profession_has_its_college_once() {
        assert_eq!(COLLEGES.len(), 26);
        let mut codes = std::collections::HashSet::new();
        for c in COLLEGES {
            assert!(codes.insert(c.code), "{} twice", c.code);
            assert!(c.code.len() <= 32 && c.code.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(
                c.en.contains("Ontario") && c.fr.contains("Ontario"),
                "{}",
                c.code
            );
            assert_ne!(c.en, c.fr);
            assert_eq!(
                college(&c.code.to_lowercase()).map(|x| x.code),
                Some(c.code)
            );
        }
        // The professions of 004 App. B, each with its college.
        for profession in [
            "Audiologists",
            "Chiropodists",
            "Chiropractors",
            "Dental Hygienists",
            "Dental Technologists",
            "Dental Surgeons",
            "Denturists",
            "Dietitians",
            "Massage Therapists",
            "Medical Laboratory Technologists",
            "Medical Radiation",
            "Physicians",
            "Midwives",
            "Nurses",
            "Occupational Therapists",
            "Opticians",
            "Optometrists",
            "Pharmacists",
            "Physiotherapists",
            "Psychologists",
            "Respiratory Therapists",
        ] {
            assert_eq!(
                COLLEGES
                    .iter()
                    .filter(|c| c.en.contains(profession))
                    .count(),
                1,
                "{profession}"
            );
        }
        // Codes already stored with designations keep their college.
        for (code, name) in [
            ("CPSO", "Physicians"),
            ("CNO", "Nurses"),
            ("OCP", "Pharmacists"),
            ("RCDSO", "Dental Surgeons"),
            ("CPO", "Physiotherapists"),
            ("COO", "Optometrists"),
            ("CMRITO", "Medical Radiation"),
        ] {
            assert!(college(code).is_some_and(|c| c.en.contains(name)), "{code}");
        }
    }

    #[test]
    fn unknown_colleges_take_the_generic_rule() {
        assert!(number_ok("CPO", "AB-123"));
        assert!(!number_ok("CPO", "AB 123"));
        assert!(!number_ok("XYZ", ""));
        assert!(number_ok("XYZ", "Z9"));
    }
}
