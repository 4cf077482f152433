//! The challenge questions a person may choose from, in English and French. Each has a stable
//! id, stored with the answer; the text may be reworded, the id never changes.
//!
//! The questions ask about memories only the person is likely to know, not about facts found in
//! public records or on social media (no mother's maiden name, birth date or place of birth, no
//! high school, street or telephone number).

use platform::Locale;

/// A challenge question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    /// Stable identifier, stored with the answer (`first-pet`).
    pub id: &'static str,
    /// English text.
    pub en: &'static str,
    /// French text.
    pub fr: &'static str,
}

impl Question {
    /// The question in `locale`.
    pub fn text(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::En => self.en,
            Locale::Fr => self.fr,
        }
    }
}

/// Every question, in the order they are offered.
pub static QUESTIONS: &[Question] = &[
    Question {
        id: "first-pet",
        en: "What was the name of your first pet?",
        fr: "Quel était le nom de votre premier animal de compagnie?",
    },
    Question {
        id: "childhood-friend",
        en: "What was the first name of your best friend in childhood?",
        fr: "Quel était le prénom de votre meilleur ami ou meilleure amie d’enfance?",
    },
    Question {
        id: "childhood-nickname",
        en: "What was your nickname as a child?",
        fr: "Quel était votre surnom quand vous étiez enfant?",
    },
    Question {
        id: "first-teacher",
        en: "What was the last name of your first teacher?",
        fr: "Quel était le nom de famille de votre première enseignante ou premier enseignant?",
    },
    Question {
        id: "parents-met-city",
        en: "In what city or town did your parents meet?",
        fr: "Dans quelle ville vos parents se sont-ils rencontrés?",
    },
    Question {
        id: "first-concert",
        en: "What was the first concert you went to?",
        fr: "Quel a été le premier concert auquel vous avez assisté?",
    },
    Question {
        id: "first-car",
        en: "What was the make and model of your first car?",
        fr: "Quels étaient la marque et le modèle de votre première voiture?",
    },
    Question {
        id: "first-employer",
        en: "What was the name of the business where you had your first job?",
        fr: "Quel était le nom de l’entreprise où vous avez occupé votre premier emploi?",
    },
    Question {
        id: "childhood-hero",
        en: "Who was your hero when you were a child?",
        fr: "Qui était votre héros ou votre héroïne quand vous étiez enfant?",
    },
    Question {
        id: "first-toy",
        en: "What was the name of your favourite stuffed animal or toy?",
        fr: "Quel était le nom de votre peluche ou de votre jouet préféré?",
    },
    Question {
        id: "first-film",
        en: "What was the first film you saw in a movie theatre?",
        fr: "Quel est le premier film que vous avez vu au cinéma?",
    },
    Question {
        id: "childhood-book",
        en: "What was your favourite book as a child?",
        fr: "Quel était votre livre préféré quand vous étiez enfant?",
    },
    Question {
        id: "first-team",
        en: "What was the name of the first sports team you played on?",
        fr: "Quel était le nom de la première équipe sportive dont vous avez fait partie?",
    },
    Question {
        id: "first-trip",
        en: "Where did you go on your first trip without your parents?",
        fr: "Quelle a été la destination de votre premier voyage sans vos parents?",
    },
    Question {
        id: "oldest-cousin",
        en: "What is the first name of your oldest cousin?",
        fr: "Quel est le prénom de l’aînée ou de l’aîné de vos cousins et cousines?",
    },
];

/// The question with id `id`.
pub fn question(id: &str) -> Option<&'static Question> {
    QUESTIONS.iter().find(|q| q.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalogue_is_well_formed() {
        assert!(QUESTIONS.len() >= 12);
        let mut ids = HashSet::new();
        let mut texts = HashSet::new();
        for q in QUESTIONS {
            assert!(ids.insert(q.id), "duplicate id {}", q.id);
            assert!(
                !q.id.is_empty()
                    && q.id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !q.id.starts_with('-')
                    && !q.id.ends_with('-'),
                "{}",
                q.id
            );
            for text in [q.en, q.fr] {
                assert!(texts.insert(text), "duplicate text {text}");
                assert!(text.ends_with('?') && !text.ends_with(" ?"), "{text}");
                assert!(!text.contains('\''), "typographic apostrophes: {text}");
                assert_eq!(text.trim(), text);
            }
            assert_eq!(question(q.id), Some(q));
            assert_eq!(q.text(Locale::En), q.en);
            assert_eq!(q.text(Locale::Fr), q.fr);
        }
    }

    #[test]
    fn lookup() {
        let q = question("first-pet").unwrap();
        assert_eq!(q.text(Locale::En), "What was the name of your first pet?");
        assert_eq!(
            q.text(Locale::Fr),
            "Quel était le nom de votre premier animal de compagnie?"
        );
        assert_eq!(question("mother-maiden-name"), None);
        assert_eq!(question(""), None);
        assert_eq!(question("FIRST-PET"), None);
    }
}
