//! Creating an account: checked and prepared (the password hashed, the login ID chosen) outside
//! any transaction, then inserted with its designations, questions and phones in one.

use super::*;

/// A new account checked, its id chosen and its secrets made safe to store (the password and
/// the online answers hashed, the service-desk answers sealed: nothing in clear), ready for
/// [`Accounts::insert_prepared`]. A generated login ID gets its number only when inserted.
#[derive(Clone)]
pub struct PreparedAccount {
    id: String,
    /// Login ID given, or the base generated from the names.
    base: String,
    /// `base` is the login ID (given), not a base for numbered candidates.
    fixed: bool,
    /// The login ID without a collision number.
    shown: String,
    title: Option<String>,
    given: String,
    middle: Option<String>,
    family: String,
    legal_given: String,
    legal_middle: Option<String>,
    legal_family: String,
    gender: Option<String>,
    birth_date: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    locale: String,
    level: i64,
    /// Normalized: college upper-case, number trimmed.
    designations: Vec<Designation>,
    password_hash: String,
    temporary_password: bool,
    agreement_version: Option<String>,
    questions: Option<SealedQuestions>,
    phones: Vec<ChallengePhone>,
    no_direct_number: bool,
}

impl std::fmt::Debug for PreparedAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedAccount")
            .field("id", &self.id)
            .field("login_id_shown", &self.shown)
            .finish_non_exhaustive()
    }
}

impl PreparedAccount {
    /// The account id (OIDC subject) it will have.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The login ID as it will be without a collision number (a generated one may get a
    /// number when inserted).
    pub fn login_id_shown(&self) -> &str {
        &self.shown
    }
}

/// Inserts the `accounts` row of `p` with `login_id`.
async fn insert_account_row(
    conn: &mut AnyConnection,
    p: &PreparedAccount,
    login_id: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO accounts (id, login_id, login_id_lower, title, given_name, \
         middle_name, family_name, legal_given_name, legal_family_name, gender, \
         birth_date, email, phone, locale, status, assurance_level, password_hash, \
         password_changed_at, password_temporary, agreement_version, \
         agreement_accepted_at, no_direct_number, created_at, updated_at, legal_middle_name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'active', \
         $15, $16, $17, $18, $19, $20, $21, $17, $17, $22)",
    )
    .bind(&p.id)
    .bind(login_id)
    .bind(normalize_login_id(login_id))
    .bind(p.title.as_deref())
    .bind(&p.given)
    .bind(p.middle.as_deref())
    .bind(&p.family)
    .bind(&p.legal_given)
    .bind(&p.legal_family)
    .bind(p.gender.as_deref())
    .bind(p.birth_date.as_deref())
    .bind(p.email.as_deref())
    .bind(p.phone.as_deref())
    .bind(&p.locale)
    .bind(p.level)
    .bind(&p.password_hash)
    .bind(now)
    .bind(i64::from(p.temporary_password))
    .bind(p.agreement_version.as_deref())
    .bind(p.agreement_version.as_ref().map(|_| now))
    .bind(i64::from(p.no_direct_number))
    .bind(p.legal_middle.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts the rows that belong to the new account `p`: designations, password history,
/// challenge questions and phones.
async fn insert_account_rest(
    conn: &mut AnyConnection,
    p: &PreparedAccount,
    now: i64,
) -> Result<(), DbError> {
    for d in &p.designations {
        sqlx::query(
            "INSERT INTO professional_designations \
             (account_id, college, registration_number, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&p.id)
        .bind(&d.college)
        .bind(&d.registration_number)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO password_history (account_id, password_hash, created_at) \
         VALUES ($1, $2, $3)",
    )
    .bind(&p.id)
    .bind(&p.password_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if let Some(q) = &p.questions {
        q.insert(conn, &p.id).await?;
    }
    insert_challenge_phones(conn, &p.id, &p.phones).await?;
    Ok(())
}

impl Accounts {
    /// Creates an account after checking its fields and password (and its challenge
    /// questions and phones, if any). Without a login ID one is generated from the preferred
    /// names, and the next free number is taken if it is in use (also when two registrations
    /// race for the same name).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create(&self, new: NewAccount) -> Result<Account, CredentialError> {
        let p = self.prepare(new).await?;
        let mut tx = self.db.pool().begin().await?;
        let created = self.insert_prepared(&mut tx, &p).await?;
        tx.commit().await?;
        self.find_by_id(&created.id)
            .await?
            .ok_or(CredentialError::NotFound)
    }

    /// Everything [`Accounts::create`] does before storing anything: checks every field, the
    /// login ID's shape, the password against the policy, the challenge questions (none, or
    /// all five) and phones; hashes the password and the online answers (off the async
    /// threads), seals the service-desk answers and chooses the account id. Touches no
    /// database.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn prepare(&self, new: NewAccount) -> Result<PreparedAccount, CredentialError> {
        let given = clean(&new.given_name);
        let family = clean(&new.family_name);
        check_name(&given, Field::GivenName, true)?;
        check_name(&family, Field::FamilyName, true)?;
        let middle = opt(&new.middle_name);
        check_name(middle.as_deref().unwrap_or(""), Field::MiddleName, false)?;
        let title = opt(&new.title);
        check_name(title.as_deref().unwrap_or(""), Field::Title, false)?;
        let legal_given = opt(&new.legal_given_name).unwrap_or_else(|| given.clone());
        let legal_family = opt(&new.legal_family_name).unwrap_or_else(|| family.clone());
        check_name(&legal_given, Field::LegalName, true)?;
        check_name(&legal_family, Field::LegalName, true)?;
        let legal_middle = opt(&new.legal_middle_name);
        check_name(
            legal_middle.as_deref().unwrap_or(""),
            Field::LegalName,
            false,
        )?;
        let gender = opt(&new.gender);
        check_name(gender.as_deref().unwrap_or(""), Field::Gender, false)?;
        let birth_date = opt(&new.birth_date);
        if birth_date.as_deref().is_some_and(|d| !valid_birth_date(d)) {
            return Err(CredentialError::Invalid(Field::BirthDate));
        }
        let email = opt(&new.email);
        if email.as_deref().is_some_and(|e| !valid_email(e)) {
            return Err(CredentialError::Invalid(Field::Email));
        }
        let phone = match opt(&new.phone) {
            Some(p) => Some(
                crate::phone::parse_phone(&p)
                    .map_err(|_| CredentialError::Invalid(Field::Phone))?,
            ),
            None => None,
        };
        let locale = if new.locale.is_empty() {
            "en".to_owned()
        } else {
            new.locale.clone()
        };
        if !matches!(locale.as_str(), "en" | "fr") {
            return Err(CredentialError::Invalid(Field::Locale));
        }
        let level = if new.assurance_level == 0 {
            1
        } else {
            new.assurance_level
        };
        if !(1..=3).contains(&level) {
            return Err(CredentialError::Invalid(Field::AssuranceLevel));
        }
        let mut colleges = std::collections::HashSet::new();
        let mut designations = Vec::with_capacity(new.designations.len());
        for d in &new.designations {
            let ok = !d.college.trim().is_empty()
                && d.college.len() <= 32
                && !d.registration_number.trim().is_empty()
                && d.registration_number.len() <= 32
                && d.registration_number
                    .trim()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
                && colleges.insert(d.college.trim().to_uppercase());
            if !ok {
                return Err(CredentialError::Invalid(Field::Designation));
            }
            designations.push(Designation {
                college: d.college.trim().to_uppercase(),
                registration_number: d.registration_number.trim().to_owned(),
            });
        }
        let (base, fixed) = match new.login_id.as_deref().map(str::trim) {
            Some(l) => {
                if l.is_empty()
                    || l.len() > 128
                    || !l.is_ascii()
                    || l.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    return Err(CredentialError::Invalid(Field::LoginId));
                }
                (l.to_owned(), true)
            }
            None => (
                login_id_base(&given, &family).ok_or(CredentialError::Invalid(Field::GivenName))?,
                false,
            ),
        };
        // The password rule against personal information uses the login ID the person will
        // get; a number appended after a collision does not matter to it.
        let shown = if fixed {
            base.clone()
        } else {
            login_id_candidate(&base, 1, &self.policy.login_domain)
        };
        let names = [
            given.as_str(),
            middle.as_deref().unwrap_or(""),
            family.as_str(),
            legal_given.as_str(),
            legal_middle.as_deref().unwrap_or(""),
            legal_family.as_str(),
        ];
        let broken = self.check_policy(&new.password, &shown, &names);
        if !broken.is_empty() {
            return Err(CredentialError::Policy(broken));
        }
        let with_questions = !(new.online_questions.is_empty() && new.desk_questions.is_empty());
        if with_questions {
            let problems = question_problems(&new.online_questions, &new.desk_questions);
            if !problems.is_empty() {
                return Err(CredentialError::Questions(problems));
            }
        }
        let phones = parse_challenge_phones(&new.phones).map_err(CredentialError::Phones)?;
        let id = platform::crypto::random_token(16);
        let (hash, questions) = tokio::join!(self.hasher.hash(new.password), async {
            if with_questions {
                self.seal_questions(&id, &new.online_questions, &new.desk_questions)
                    .await
                    .map(Some)
            } else {
                Some(None)
            }
        });
        Ok(PreparedAccount {
            base,
            fixed,
            shown,
            title,
            given,
            middle,
            family,
            legal_given,
            legal_middle,
            legal_family,
            gender,
            birth_date,
            email,
            phone,
            locale,
            level,
            designations,
            password_hash: hash.ok_or(CredentialError::Hash)?,
            temporary_password: new.temporary_password,
            agreement_version: new.agreement_version,
            questions: questions.ok_or(CredentialError::Hash)?,
            phones,
            no_direct_number: new.no_direct_number,
            id,
        })
    }

    /// Stores a prepared account in the caller's transaction `tx`: the account, its
    /// designations, password history, challenge questions and phones. A generated login ID
    /// takes the next free number when its candidate is in use, up to 16 times; each attempt
    /// runs in a savepoint, so whatever fails here leaves `tx` as it was and usable (on
    /// PostgreSQL too). Nothing is visible to others until the caller commits.
    ///
    /// Errors: `LoginIdTaken` (a given login ID in use, or no free number found),
    /// `DesignationTaken` (a registration number belongs to another account), `Db`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn insert_prepared(
        &self,
        tx: &mut Transaction<'static, Any>,
        p: &PreparedAccount,
    ) -> Result<Created, CredentialError> {
        let now = self.clock.now();
        let mut last = 0u32;
        for _attempt in 0..16 {
            let login_id = if p.fixed {
                p.base.clone()
            } else {
                // Never the same number twice: the lookup may not see a row that made the
                // last attempt fail (one inserted earlier in this transaction, when the
                // lookup runs on the pool; or not yet committed by another).
                let n = self.next_free_number(tx, &p.base).await?.max(last + 1);
                last = n;
                login_id_candidate(&p.base, n, &self.policy.login_domain)
            };
            let mut sp = tx.begin().await?;
            match insert_account_row(&mut sp, p, &login_id, now).await {
                Ok(()) => {}
                Err(e) if e.is_unique_violation() => {
                    sp.rollback().await?;
                    if p.fixed {
                        return Err(CredentialError::LoginIdTaken);
                    }
                    continue; // someone took this number meanwhile: the next one
                }
                Err(e) => {
                    let _ = sp.rollback().await;
                    return Err(e.into());
                }
            }
            match insert_account_rest(&mut sp, p, now).await {
                Ok(()) => {}
                Err(e) if e.is_unique_violation() => {
                    // Only the designations' primary key can clash: the account is new.
                    sp.rollback().await?;
                    return Err(CredentialError::DesignationTaken);
                }
                Err(e) => {
                    let _ = sp.rollback().await;
                    return Err(e.into());
                }
            }
            sp.commit().await?;
            return Ok(Created {
                id: p.id.clone(),
                login_id,
            });
        }
        Err(CredentialError::LoginIdTaken)
    }

    /// The smallest number `n` such that the `n`th candidate for `base` is free (1: no
    /// number).
    ///
    /// On PostgreSQL it reads in `tx` (it sees the transaction's own rows, and a registration
    /// does not hold a second connection of the pool while its transaction is open). On
    /// SQLite it reads on the pool: a read before the transaction's first write would pin a
    /// snapshot that cannot become a write transaction once another writer commits, and a
    /// WAL reader never waits for the writer.
    async fn next_free_number(
        &self,
        tx: &mut AnyConnection,
        base: &str,
    ) -> Result<u32, CredentialError> {
        let domain = self.policy.login_domain.to_lowercase();
        let prefix = base.to_lowercase();
        let q = sqlx::query("SELECT login_id_lower FROM accounts WHERE login_id_lower LIKE $1")
            .bind(format!("{prefix}%@{domain}"));
        let rows = match self.db.kind() {
            DbKind::Postgres => q.fetch_all(tx).await?,
            DbKind::Sqlite => q.fetch_all(self.db.pool()).await?,
        };
        let mut taken = std::collections::HashSet::new();
        for r in rows {
            let l: String = r.try_get("login_id_lower")?;
            let Some(mid) = l
                .strip_prefix(&prefix)
                .and_then(|m| m.strip_suffix(&format!("@{domain}")))
            else {
                continue;
            };
            if mid.is_empty() {
                taken.insert(1u32);
            } else if mid.bytes().all(|b| b.is_ascii_digit()) && !mid.starts_with('0') {
                if let Ok(n) = mid.parse::<u32>() {
                    taken.insert(n);
                }
            }
        }
        Ok((1u32..).find(|n| !taken.contains(n)).unwrap_or(1))
    }
}
