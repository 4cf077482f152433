//! Account creation against a real (SQLite) database: questions and phones stored with the
//! account, validation that stores nothing, and insertion inside a caller's transaction
//! (rollback, login-ID collisions, designations taken). On PostgreSQL too when
//! `ONEID_TEST_DATABASE_URL` is set (`scripts/test` starts a throwaway server).

use crate::challenges::{ChallengePhone, ChallengeProblem, PhoneProblem, QuestionAnswer};
use crate::password::{PasswordHasher, PasswordParams};
use crate::phone::PhoneKind;
use crate::{Accounts, CredentialError, Designation, NewAccount, DEFAULT_DOMAIN};
use platform::{Db, ManualClock, SecretBox};
use sqlx::Row;
use std::path::PathBuf;
use std::sync::Arc;

/// A fresh migrated database: a new PostgreSQL database on the server of
/// `ONEID_TEST_DATABASE_URL` when it is set (as the end-to-end suite does), otherwise a SQLite
/// file in a temporary directory removed on drop.
struct TestDb {
    accounts: Accounts,
    db: Db,
    dir: Option<PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

async fn test_db() -> TestDb {
    let tag = platform::crypto::random_token(9)
        .to_ascii_lowercase()
        .replace(['-', '_'], "x");
    let (url, dir) = match std::env::var("ONEID_TEST_DATABASE_URL") {
        Ok(pg) if !pg.is_empty() => {
            let name = format!("oneid_cs_test_{tag}");
            let admin = Db::connect(&pg, 1).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(admin.pool())
                .await
                .unwrap();
            admin.close().await;
            let (rest, query) = pg.split_once('?').unwrap_or((&pg, ""));
            let (server, _db) = rest.rsplit_once('/').unwrap();
            let query = if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            };
            (format!("{server}/{name}{query}"), None)
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("oneid-credential-store-{tag}"));
            std::fs::create_dir_all(&dir).unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
            (url, Some(dir))
        }
    };
    let db = Db::connect(&url, 4).await.unwrap();
    db.migrate().await.unwrap();
    let clock = Arc::new(ManualClock::new());
    clock.set(1_750_000_000);
    let hasher = PasswordHasher::new(PasswordParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    })
    .unwrap();
    let accounts = Accounts::new(db.clone(), clock, hasher, SecretBox::from_key([9; 32]));
    TestDb { accounts, db, dir }
}

impl TestDb {
    async fn count(&self, table: &str) -> i64 {
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(self.db.pool())
            .await
            .unwrap()
            .try_get("n")
            .unwrap()
    }

    /// Rows of every table an account creation writes.
    async fn stored(&self) -> [i64; 5] {
        [
            self.count("accounts").await,
            self.count("professional_designations").await,
            self.count("password_history").await,
            self.count("challenge_answers").await,
            self.count("challenge_phones").await,
        ]
    }
}

fn qa(q: &str, a: &str) -> QuestionAnswer {
    QuestionAnswer {
        question_id: q.into(),
        answer: a.into(),
    }
}

fn ids() -> Vec<&'static str> {
    crate::questions::QUESTIONS.iter().map(|q| q.id).collect()
}

fn person(given: &str, family: &str) -> NewAccount {
    NewAccount {
        given_name: given.into(),
        family_name: family.into(),
        password: "Clinic-Rounds-42".into(),
        ..NewAccount::default()
    }
}

fn with_challenges(mut n: NewAccount) -> NewAccount {
    let ids = ids();
    n.online_questions = vec![qa(ids[0], "Rex"), qa(ids[1], "Sudbury"), qa(ids[2], "Blue")];
    n.desk_questions = vec![qa(ids[3], "  Maple Leaf "), qa(ids[4], "Smith")];
    n.phones = vec![
        ("416 555 0100".into(), PhoneKind::Mobile),
        ("(905) 555-0199".into(), PhoneKind::Landline),
    ];
    n.no_direct_number = true;
    n
}

fn login(domain_less: &str) -> String {
    format!("{domain_less}@{DEFAULT_DOMAIN}")
}

#[tokio::test]
async fn create_stores_questions_phones_and_the_flag() {
    let t = test_db().await;
    let a = t
        .accounts
        .create(with_challenges(person("Randy", "Burt")))
        .await
        .unwrap();
    assert_eq!(a.login_id, login("Randy.Burt"));
    assert!(a.no_direct_number);
    let ids = ids();
    assert_eq!(
        t.accounts.online_questions(&a.id).await.unwrap(),
        [ids[0], ids[1], ids[2]]
    );
    assert_eq!(
        t.accounts.desk_questions(&a.id).await.unwrap(),
        [ids[3], ids[4]]
    );
    // Online answers are checked after normalization...
    assert!(t
        .accounts
        .verify_online_answers(&a.id, &[qa(ids[0], " rex "), qa(ids[2], "BLUE")])
        .await
        .unwrap());
    assert!(!t
        .accounts
        .verify_online_answers(&a.id, &[qa(ids[1], "Toronto")])
        .await
        .unwrap());
    // ...service-desk answers are sealed for this account and revealed trimmed.
    let desk = t.accounts.reveal_desk_answers(&a.id).await.unwrap();
    let desk: Vec<(&str, &str)> = desk
        .iter()
        .map(|d| (d.question_id.as_str(), d.answer.as_str()))
        .collect();
    assert_eq!(desk, [(ids[3], "Maple Leaf"), (ids[4], "Smith")]);
    assert_eq!(
        t.accounts.challenge_phones(&a.id).await.unwrap(),
        [
            ChallengePhone {
                e164: "+14165550100".into(),
                kind: PhoneKind::Mobile
            },
            ChallengePhone {
                e164: "+19055550199".into(),
                kind: PhoneKind::Landline
            },
        ]
    );
    // The password works and is in the history.
    t.accounts
        .authenticate(&a.login_id, "Clinic-Rounds-42")
        .await
        .unwrap();
    assert_eq!(t.stored().await, [1, 0, 1, 5, 2]);

    // The setters still replace what creation stored.
    t.accounts
        .set_challenge_questions(
            &a.id,
            &[qa(ids[5], "One"), qa(ids[6], "Two"), qa(ids[7], "Three")],
            &[qa(ids[8], "Four"), qa(ids[9], "Five")],
        )
        .await
        .unwrap();
    assert_eq!(
        t.accounts.online_questions(&a.id).await.unwrap(),
        [ids[5], ids[6], ids[7]]
    );
    assert_eq!(
        t.accounts.reveal_desk_answers(&a.id).await.unwrap()[1].answer,
        "Five"
    );
    let phones = t
        .accounts
        .set_challenge_phones(&a.id, &[("6135550123".into(), PhoneKind::Mobile)], false)
        .await
        .unwrap();
    assert_eq!(t.accounts.challenge_phones(&a.id).await.unwrap(), phones);
    assert!(
        !t.accounts
            .find_by_id(&a.id)
            .await
            .unwrap()
            .unwrap()
            .no_direct_number
    );
    assert_eq!(t.stored().await, [1, 0, 1, 5, 1]);
}

#[tokio::test]
async fn create_without_challenges_stores_none() {
    let t = test_db().await;
    let a = t.accounts.create(person("Ana", "Silva")).await.unwrap();
    assert!(!a.no_direct_number);
    assert!(t.accounts.online_questions(&a.id).await.unwrap().is_empty());
    assert!(t.accounts.challenge_phones(&a.id).await.unwrap().is_empty());
    assert_eq!(t.stored().await, [1, 0, 1, 0, 0]);
}

#[tokio::test]
async fn bad_questions_or_phones_are_refused_and_nothing_is_stored() {
    let t = test_db().await;
    let ids = ids();
    let good = with_challenges(person("Randy", "Burt"));

    // Rows numbered 0..3 online, 3..5 service desk.
    let mut n = good.clone();
    n.online_questions[1].answer = " ".into();
    n.desk_questions[0].question_id = ids[0].into();
    n.desk_questions[1].answer = "REX".into();
    match t.accounts.prepare(n).await {
        Err(CredentialError::Questions(p)) => assert_eq!(
            p,
            [
                (1, ChallengeProblem::NoAnswer),
                (3, ChallengeProblem::SameQuestion),
                (4, ChallengeProblem::SameAnswer),
            ]
        ),
        other => panic!("{other:?}"),
    }
    // Online questions without the service-desk ones (or too few) are not a set.
    let mut n = good.clone();
    n.desk_questions.clear();
    assert!(matches!(
        t.accounts.prepare(n).await,
        Err(CredentialError::Questions(p)) if p == [(0, ChallengeProblem::NoQuestion)]
    ));
    let mut n = good.clone();
    n.online_questions.pop();
    assert!(matches!(
        t.accounts.prepare(n).await,
        Err(CredentialError::Questions(_))
    ));

    let mut n = good.clone();
    n.phones = vec![
        ("not a phone".into(), PhoneKind::Mobile),
        ("4165550100".into(), PhoneKind::Mobile),
        ("+1 416 555 0100".into(), PhoneKind::Landline),
        ("6135550123".into(), PhoneKind::Mobile),
    ];
    match t.accounts.prepare(n.clone()).await {
        Err(CredentialError::Phones(p)) => assert_eq!(
            p,
            [
                (0, PhoneProblem::Invalid),
                (2, PhoneProblem::Duplicate),
                (3, PhoneProblem::TooMany),
            ]
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        t.accounts.create(n).await,
        Err(CredentialError::Phones(_))
    ));
    assert_eq!(t.stored().await, [0; 5]);

    // The prepared account shows the login ID it will have.
    let p = t.accounts.prepare(good).await.unwrap();
    assert_eq!(p.login_id_shown(), login("Randy.Burt"));
    assert_eq!(t.stored().await, [0; 5]);
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_no_account() {
    let t = test_db().await;
    let mut n = with_challenges(person("Randy", "Burt"));
    n.designations = vec![Designation {
        college: "cpso".into(),
        registration_number: "12345".into(),
    }];
    let p = t.accounts.prepare(n.clone()).await.unwrap();
    let mut tx = t.db.pool().begin().await.unwrap();
    let c = t.accounts.insert_prepared(&mut tx, &p).await.unwrap();
    assert_eq!(c.id, p.id());
    assert_eq!(c.login_id, login("Randy.Burt"));
    tx.rollback().await.unwrap();
    assert!(t.accounts.find_by_id(&c.id).await.unwrap().is_none());
    assert_eq!(t.stored().await, [0; 5]);
    // Neither the login ID nor the registration number stays taken.
    let a = t.accounts.create(n).await.unwrap();
    assert_eq!(a.login_id, login("Randy.Burt"));
    assert_eq!(
        t.accounts.designations(&a.id).await.unwrap(),
        [Designation {
            college: "CPSO".into(),
            registration_number: "12345".into(),
        }]
    );
}

#[tokio::test]
async fn same_names_get_distinct_login_ids_in_transactions() {
    let t = test_db().await;
    // One committed before...
    let first = t.accounts.create(person("Randy", "Burt")).await.unwrap();
    assert_eq!(first.login_id, login("Randy.Burt"));
    // ...then two more in one transaction: the second must not reuse the first's number,
    // though the lookup does not see rows of this uncommitted transaction.
    let a = t.accounts.prepare(person("Randy", "Burt")).await.unwrap();
    let b = t.accounts.prepare(person("Randy", "Burt")).await.unwrap();
    assert_ne!(a.id(), b.id());
    let mut tx = t.db.pool().begin().await.unwrap();
    let ca = t.accounts.insert_prepared(&mut tx, &a).await.unwrap();
    let cb = t.accounts.insert_prepared(&mut tx, &b).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ca.login_id, login("Randy.Burt2"));
    assert_eq!(cb.login_id, login("Randy.Burt3"));
    // And one in a transaction of its own after those.
    let c = t.accounts.prepare(person("Randy", "Burt")).await.unwrap();
    let mut tx = t.db.pool().begin().await.unwrap();
    let cc = t.accounts.insert_prepared(&mut tx, &c).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(cc.login_id, login("Randy.Burt4"));
    for created in [&ca, &cb, &cc] {
        let found = t.accounts.find_by_id(&created.id).await.unwrap().unwrap();
        assert_eq!(found.login_id, created.login_id);
    }
    assert_eq!(t.count("accounts").await, 4);
}

#[tokio::test]
async fn concurrent_transactions_for_the_same_name_both_succeed() {
    let t = test_db().await;
    let a = t.accounts.prepare(person("Randy", "Burt")).await.unwrap();
    let b = t.accounts.prepare(person("Randy", "Burt")).await.unwrap();
    let first = async {
        let mut tx = t.db.pool().begin().await.unwrap();
        let c = t.accounts.insert_prepared(&mut tx, &a).await.unwrap();
        // Hold the transaction open while the other one tries the same login ID.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        tx.commit().await.unwrap();
        c
    };
    let second = async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let mut tx = t.db.pool().begin().await.unwrap();
        let c = t.accounts.insert_prepared(&mut tx, &b).await.unwrap();
        tx.commit().await.unwrap();
        c
    };
    let (ca, cb) = tokio::join!(first, second);
    let mut got = [ca.login_id, cb.login_id];
    got.sort();
    let mut want = [login("Randy.Burt"), login("Randy.Burt2")];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(t.count("accounts").await, 2);
}

#[tokio::test]
async fn a_taken_login_id_or_designation_fails_and_leaves_the_transaction_usable() {
    let t = test_db().await;
    let mut n = person("Randy", "Burt");
    n.login_id = Some("randy@example.org".into());
    n.designations = vec![Designation {
        college: "CPSO".into(),
        registration_number: "12345".into(),
    }];
    let holder = t.accounts.create(n).await.unwrap();
    assert_eq!(t.stored().await, [1, 1, 1, 0, 0]);

    let mut tx = t.db.pool().begin().await.unwrap();
    // A row of the caller's own, before.
    sqlx::query(
        "INSERT INTO account_roles (account_id, role, scope, granted_at, granted_by) \
         VALUES ($1, 'administrator', '', 0, 'test')",
    )
    .bind(&holder.id)
    .execute(&mut *tx)
    .await
    .unwrap();
    // The same registration number (college in another case): refused.
    let mut n = with_challenges(person("Other", "Person"));
    n.designations = vec![Designation {
        college: " cpso".into(),
        registration_number: "12345 ".into(),
    }];
    let p = t.accounts.prepare(n).await.unwrap();
    assert!(matches!(
        t.accounts.insert_prepared(&mut tx, &p).await,
        Err(CredentialError::DesignationTaken)
    ));
    // The same login ID, in another case: refused.
    let mut n = person("Third", "Person");
    n.login_id = Some("RANDY@example.org".into());
    let q = t.accounts.prepare(n).await.unwrap();
    assert!(matches!(
        t.accounts.insert_prepared(&mut tx, &q).await,
        Err(CredentialError::LoginIdTaken)
    ));
    // The transaction goes on: another account, and the caller's row, are kept.
    let r = t
        .accounts
        .prepare(person("Fourth", "Person"))
        .await
        .unwrap();
    let cr = t.accounts.insert_prepared(&mut tx, &r).await.unwrap();
    tx.commit().await.unwrap();
    assert!(t.accounts.find_by_id(p.id()).await.unwrap().is_none());
    assert!(t.accounts.find_by_id(q.id()).await.unwrap().is_none());
    assert!(t.accounts.find_by_id(&cr.id).await.unwrap().is_some());
    assert!(t
        .accounts
        .has_role(&holder.id, "administrator")
        .await
        .unwrap());
    assert_eq!(t.stored().await, [2, 1, 2, 0, 0]);

    // Through `create` too.
    let mut n = person("Fifth", "Person");
    n.designations = vec![Designation {
        college: "CPSO".into(),
        registration_number: "12345".into(),
    }];
    assert!(matches!(
        t.accounts.create(n).await,
        Err(CredentialError::DesignationTaken)
    ));
    assert_eq!(t.stored().await, [2, 1, 2, 0, 0]);
}

#[tokio::test]
async fn a_passkey_is_used_only_with_a_counter_that_moves_forward_and_removed_only_by_its_holder() {
    use crate::passkeys::{AddPasskeyError, NewPasskey, PasskeyUse, MAX_PASSKEYS};
    let t = test_db().await;
    let a = t.accounts.create(person("Pat", "Key")).await.unwrap().id;
    let b = t
        .accounts
        .create(person("Other", "Person"))
        .await
        .unwrap()
        .id;
    fn new<'a>(account_id: &'a str, credential_id: &'a str) -> NewPasskey<'a> {
        NewPasskey {
            account_id,
            credential_id,
            name: "Laptop",
            data: "{}",
            counter: 3,
            backup_eligible: false,
            attested_aaguid: None,
        }
    }
    let id = t.accounts.add_passkey(&new(&a, "cred-1")).await.unwrap();
    // The same credential again, on this account or another: refused.
    for owner in [&a, &b] {
        assert!(matches!(
            t.accounts.add_passkey(&new(owner, "cred-1")).await,
            Err(AddPasskeyError::Exists)
        ));
    }
    assert!(t.accounts.has_passkey(&a).await.unwrap());
    assert!(!t.accounts.has_passkey(&b).await.unwrap());
    let found = t
        .accounts
        .passkey_by_credential("cred-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.account_id.as_str(), found.counter), (a.as_str(), 3));
    // Forward: recorded. The same or an older counter: refused, nothing changed.
    let u = |c| t.accounts.use_passkey("cred-1", c, "{\"n\":1}", true);
    assert_eq!(u(4).await.unwrap(), PasskeyUse::Recorded);
    assert_eq!(u(4).await.unwrap(), PasskeyUse::CounterBehind);
    assert_eq!(u(2).await.unwrap(), PasskeyUse::CounterBehind);
    let now = t
        .accounts
        .passkey_by_credential("cred-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (now.counter, now.data.as_str(), now.backup_eligible),
        (4, "{\"n\":1}", true)
    );
    assert!(now.last_used_at.is_some());
    assert_eq!(
        t.accounts
            .use_passkey("cred-x", 9, "{}", false)
            .await
            .unwrap(),
        PasskeyUse::Gone
    );
    // An authenticator that keeps no counter (0) is used as often as it likes.
    let mut zero = new(&b, "cred-0");
    zero.counter = 0;
    zero.attested_aaguid = Some("01020304-0506-0708-0102-030405060708");
    t.accounts.add_passkey(&zero).await.unwrap();
    let z = t
        .accounts
        .passkey_by_credential("cred-0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(z.attested_aaguid.as_deref(), zero.attested_aaguid);
    for _ in 0..2 {
        let r = t
            .accounts
            .use_passkey("cred-0", 0, "{}", true)
            .await
            .unwrap();
        assert_eq!(r, PasskeyUse::Recorded);
    }
    // Another account cannot rename or remove it; its holder can.
    assert!(!t.accounts.rename_passkey(&b, &id, "Mine").await.unwrap());
    assert_eq!(t.accounts.remove_passkey(&b, &id).await.unwrap(), None);
    assert!(t.accounts.rename_passkey(&a, &id, "Work").await.unwrap());
    assert_eq!(
        t.accounts.remove_passkey(&a, &id).await.unwrap().as_deref(),
        Some("Work")
    );
    assert!(t.accounts.passkeys(&a).await.unwrap().is_empty());
    // At most MAX_PASSKEYS per account.
    for i in 0..MAX_PASSKEYS {
        let c = format!("c{i}");
        t.accounts.add_passkey(&new(&a, &c)).await.unwrap();
    }
    assert!(matches!(
        t.accounts.add_passkey(&new(&a, "one-more")).await,
        Err(AddPasskeyError::TooMany)
    ));
    assert_eq!(t.accounts.passkeys(&a).await.unwrap().len(), MAX_PASSKEYS);
}
