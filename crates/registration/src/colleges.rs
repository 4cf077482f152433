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

/// The colleges offered in the designation step.
pub const COLLEGES: &[College] = &[
    College {
        code: "CPSO",
        en: "College of Physicians and Surgeons of Ontario",
        fr: "Ordre des médecins et chirurgiens de l'Ontario",
        digits: Some((4, 6)),
    },
    College {
        code: "CNO",
        en: "College of Nurses of Ontario",
        fr: "Ordre des infirmières et infirmiers de l'Ontario",
        digits: Some((7, 8)),
    },
    College {
        code: "OCP",
        en: "Ontario College of Pharmacists",
        fr: "Ordre des pharmaciens de l'Ontario",
        digits: Some((4, 6)),
    },
    College {
        code: "RCDSO",
        en: "Royal College of Dental Surgeons of Ontario",
        fr: "Collège royal des chirurgiens dentistes de l'Ontario",
        digits: Some((4, 6)),
    },
    College {
        code: "CPO",
        en: "College of Physiotherapists of Ontario",
        fr: "Ordre des physiothérapeutes de l'Ontario",
        digits: None,
    },
    College {
        code: "COO",
        en: "College of Optometrists of Ontario",
        fr: "Ordre des optométristes de l'Ontario",
        digits: None,
    },
    College {
        code: "CMRITO",
        en: "College of Medical Radiation and Imaging Technologists of Ontario",
        fr: "Ordre des technologues en radiation médicale et en imagerie de l'Ontario",
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
    fn unknown_colleges_take_the_generic_rule() {
        assert!(number_ok("CPO", "AB-123"));
        assert!(!number_ok("CPO", "AB 123"));
        assert!(!number_ok("XYZ", ""));
        assert!(number_ok("XYZ", "Z9"));
    }
}
