//! `oneid populate`: a fictional province for measuring growth, reproducible from a seed.
//! Accounts with a population's name distribution (a few family names are common, Smith about
//! 1 %, most are rare; given names are few and repeat, so the login ID rule meets its
//! collisions), legal names, birth dates, a mobile phone on most and a
//! professional designation on most, all with one password (`--password`, hashed once) and the
//! current agreement accepted, so that a benchmark can sign any of them in.
//!
//! Rows go in by batches of [`BATCH`], each batch one multi-row `INSERT` per table in one
//! transaction (on both backends), and the command prints its own rate.

use authorization_server::Provider;
use platform::DbKind;
use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

/// Accounts per transaction.
pub const BATCH: usize = 1000;

/// Family names, most common first (a Canadian mix: English, French, South and East Asian).
const FAMILY: &[&str] = &[
    "Smith",
    "Tremblay",
    "Brown",
    "Martin",
    "Roy",
    "Wilson",
    "Singh",
    "Lee",
    "Gagnon",
    "Patel",
    "MacDonald",
    "Taylor",
    "Campbell",
    "Anderson",
    "Côté",
    "Nguyen",
    "Wang",
    "Chen",
    "Li",
    "Johnson",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Thompson",
    "Kim",
    "White",
    "Young",
    "Leblanc",
    "Stewart",
    "Martel",
    "Robinson",
    "Thomas",
    "Scott",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Kaur",
    "Sharma",
    "Gill",
    "Ahmed",
    "Khan",
    "Ali",
    "Wong",
    "Zhang",
    "Liu",
    "Park",
    "Choi",
    "Tran",
    "Pham",
    "Murphy",
    "Kelly",
    "O'Brien",
    "O'Neil",
    "Ross",
    "Fraser",
    "Reid",
    "Graham",
    "Mitchell",
    "Bergeron",
    "Pelletier",
    "Girard",
    "Lefebvre",
    "Ouellet",
    "Boucher",
    "Poirier",
    "Cloutier",
    "Lapointe",
    "Dubois",
    "Moreau",
    "Fournier",
    "Lambert",
    "Rousseau",
    "Mercier",
    "Hébert",
    "Bélanger",
    "Mackenzie",
    "Sinclair",
    "Hughes",
    "Price",
    "Bennett",
    "Wood",
    "Barnes",
    "Henderson",
    "Coleman",
    "Jenkins",
    "Perry",
    "Powell",
    "Long",
    "Patterson",
    "Russell",
    "Griffin",
    "Diaz",
    "Hayes",
    "Myers",
    "Ford",
    "Hamilton",
    "Santos",
    "Ferreira",
    "Silva",
    "Costa",
    "Rossi",
    "Russo",
    "Esposito",
    "Romano",
    "Kowalski",
    "Nowak",
    "Wiśniewski",
    "Ivanov",
    "Popov",
    "Cohen",
    "Levy",
    "Friedman",
    "Haddad",
    "Hussein",
    "Osei",
    "Mensah",
    "Okafor",
    "Adeyemi",
    "Nakamura",
    "Tanaka",
    "Sato",
    "Yamamoto",
    "Gupta",
    "Reddy",
];

/// Syllables of the rarer family names made up for the long tail of a population (most
/// people's family name is shared by few others: the most common, Smith, is about 1 %).
const SYLLABLES: &[&str] = &[
    "ka", "lo", "ven", "dar", "mi", "sor", "tel", "an", "bri", "cho", "del", "fa", "gor", "han",
    "is", "jo", "kel", "lan", "mor", "na", "ol", "pra", "quin", "ros", "sa", "tor", "ul", "vi",
    "wes", "ya", "zel", "ber", "cam", "dov", "el", "fin", "gal", "hor", "ing", "jas", "kov", "lev",
    "mas", "nor", "pet", "ram", "sev", "tam", "ush", "var",
];

/// The share of family names made up from syllables, per mille.
const RARE_FAMILY_NAMES: u64 = 930;

/// Given names.
const GIVEN: &[&str] = &[
    "Mary",
    "John",
    "Marie",
    "Jean",
    "Sarah",
    "David",
    "Emily",
    "Michael",
    "Jessica",
    "James",
    "Catherine",
    "Robert",
    "Julie",
    "Daniel",
    "Amanda",
    "Mark",
    "Nathalie",
    "Paul",
    "Sophie",
    "Peter",
    "Isabelle",
    "Richard",
    "Anne",
    "Thomas",
    "Karen",
    "Christopher",
    "Linda",
    "Andrew",
    "Susan",
    "Pierre",
    "Chantal",
    "Luc",
    "Priya",
    "Raj",
    "Anjali",
    "Amit",
    "Wei",
    "Jing",
    "Min",
    "Hiroshi",
    "Yuki",
    "Ji-woo",
    "Minh",
    "Linh",
    "Fatima",
    "Mohammed",
    "Aisha",
    "Omar",
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "William",
    "Charlotte",
    "Benjamin",
    "Amelia",
    "Lucas",
    "Chloé",
    "Félix",
    "Léa",
    "Gabriel",
    "Zoé",
    "Samuel",
    "Camille",
    "Alexandre",
    "Élise",
    "Mathieu",
    "Geneviève",
    "François",
    "Hélène",
    "Stéphane",
    "Kwame",
    "Ama",
    "Chinedu",
    "Ngozi",
    "Elena",
    "Marco",
    "Giulia",
    "Anna",
    "Piotr",
    "Olga",
    "Dmitri",
    "Sofia",
    "Diego",
    "Lucia",
    "Rachel",
    "Daniel",
    "Leah",
    "Aaron",
    "Grace",
    "Henry",
    "Victoria",
    "George",
    "Hannah",
];

/// Colleges a designation is from, with the share of designations each holds (per mille).
const COLLEGES: &[(&str, u64)] = &[
    ("CNO", 550),
    ("CPSO", 200),
    ("OCP", 80),
    ("CRTO", 30),
    ("CMRITO", 50),
    ("COTO", 40),
    ("CPO", 50),
];

/// A small, fast, reproducible generator (SplitMix64): the same seed, the same province.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// One of `choices` by its share per mille (the shares sum to 1000; past them, the first).
    pub(crate) fn weighted<T: Copy>(&mut self, choices: &[(T, u64)]) -> T {
        let mut pick = self.below(1000);
        for (c, share) in choices {
            if pick < *share {
                return *c;
            }
            pick -= share;
        }
        choices[0].0
    }

    /// An index into a list of `n`, the first ones far more likely (Zipf-like, s about 1).
    pub(crate) fn zipf(&mut self, n: usize) -> usize {
        // Harmonic weights 1/(i+1): draw u in [0, H(n)) and walk.
        let h: f64 = (1..=n).map(|i| 1.0 / i as f64).sum();
        let mut u = (self.next() as f64 / u64::MAX as f64) * h;
        for i in 0..n {
            u -= 1.0 / (i + 1) as f64;
            if u <= 0.0 {
                return i;
            }
        }
        n - 1
    }
}

/// A SQL string literal.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Login IDs as the rule makes them (`Given.Family`, then `Given.Family2`, …), without the
/// per-account lookup the one-by-one path does.
fn ascii_part(s: &str) -> String {
    deunicode::deunicode(s)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// Adds `count` accounts to the database of `p` (and, with a `shape`, the province around
/// them: see [`crate::province`]; `url` is the database's URL, for PostgreSQL's `COPY`);
/// returns how many accounts were added.
pub async fn populate(
    p: &Provider,
    count: usize,
    seed: u64,
    password: &str,
    shape: Option<crate::province::Shape>,
    url: &str,
    out: &mut (dyn Write + Send),
) -> Result<usize, String> {
    let hash = p
        .accounts
        .hasher()
        .hash(password.to_owned())
        .await
        .ok_or("the password could not be hashed")?;
    let agreement = authorization_server::agreement::current(p).to_owned();
    let now = p.clock.now();
    let mut rng = Rng(seed);
    // Login IDs already taken (a populated database may be populated again): the highest
    // number each `given.family` has.
    let mut taken: HashMap<String, u32> = HashMap::new();
    let existing = sqlx::query("SELECT login_id_lower FROM accounts")
        .fetch_all(p.db.pool())
        .await
        .map_err(|e| e.to_string())?;
    for row in existing {
        let lower: String =
            sqlx::Row::try_get(&row, "login_id_lower").map_err(|e| e.to_string())?;
        let local = lower.split('@').next().unwrap_or("");
        let digits = local.len() - local.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (base, n) = local.split_at(local.len() - digits);
        let n: u32 = n.parse().unwrap_or(1);
        let e = taken.entry(base.to_owned()).or_insert(0);
        *e = (*e).max(n);
    }
    let started = Instant::now();
    let mut registration = 100_000 + rng.below(1_000_000);
    // The province around the accounts: its own generator, so the accounts stay the same
    // people with or without it.
    let mut world = Rng(seed ^ 0x0005_EED0_FA11);
    let mut bulk = None;
    let mut directory = None;
    let mut subjects: Vec<String> = Vec::new();
    if let Some(shape) = &shape {
        let mut b = crate::province::Bulk::open(p, url).await?;
        let t = Instant::now();
        let tag = format!("s{seed}-");
        let d = crate::province::directory(&mut b, shape, &mut world, now, &tag)
            .await
            .map_err(|e| {
                format!(
                    "{e} (a province is made once per seed: populate again with another --seed)"
                )
            })?;
        let _ = writeln!(
            out,
            "{} organizations, {} services, {} registries in {:.1} s",
            d.organizations.len(),
            d.services.len(),
            d.registries.len(),
            t.elapsed().as_secs_f64()
        );
        bulk = Some(b);
        directory = Some(d);
    }
    let mut added = 0;
    let is_pg = p.db.kind() == DbKind::Postgres;
    while added < count {
        let n = BATCH.min(count - added);
        let mut accounts = Vec::with_capacity(n);
        let mut designations = Vec::new();
        let mut made = Vec::with_capacity(n);
        for _ in 0..n {
            let given = GIVEN[rng.zipf(GIVEN.len())];
            let made_up;
            let family = if rng.below(1000) < RARE_FAMILY_NAMES {
                let n = 2 + rng.below(2);
                let mut name = String::new();
                for _ in 0..n {
                    name.push_str(SYLLABLES[rng.below(SYLLABLES.len() as u64) as usize]);
                }
                let mut c = name.chars();
                made_up = c
                    .next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default();
                made_up.as_str()
            } else {
                FAMILY[rng.zipf(FAMILY.len())]
            };
            let base = format!("{}.{}", ascii_part(given), ascii_part(family));
            let k = taken.entry(base.to_lowercase()).or_insert(0);
            *k += 1;
            let login_id = if *k == 1 {
                format!("{base}@ONEID.ON.CA")
            } else {
                format!("{base}{k}@ONEID.ON.CA")
            };
            let id = platform::crypto::random_token(16);
            let birth = format!(
                "{}-{:02}-{:02}",
                1950 + rng.below(50),
                1 + rng.below(12),
                1 + rng.below(28)
            );
            let phone = (rng.below(10) < 8)
                .then(|| format!("+1416555{:04}", rng.below(10_000)))
                .map_or("NULL".to_owned(), |p| quote(&p));
            let email = quote(&format!(
                "{}@example.org",
                login_id.split('@').next().unwrap_or("").to_lowercase()
            ));
            let created = now - rng.below(2 * 365 * 86_400) as i64;
            let level = 1 + rng.below(3);
            accounts.push(format!(
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'en', 'active', {level}, {}, {created}, \
                 0, {}, {created}, {created}, {created})",
                quote(&id),
                quote(&login_id),
                quote(&login_id.to_lowercase()),
                quote(given),
                quote(family),
                quote(given),
                quote(family),
                quote(&birth),
                email,
                phone,
                quote(&hash),
                quote(&agreement),
            ));
            let mut designation = None;
            if rng.below(10) < 9 {
                let college = rng.weighted(COLLEGES);
                registration += 1 + rng.below(7);
                designations.push(format!(
                    "({}, {}, {}, {created})",
                    quote(&id),
                    quote(college),
                    quote(&registration.to_string())
                ));
                designation = Some((college, registration.to_string()));
            }
            made.push(crate::province::NewAccount {
                id,
                designation,
                created,
            });
        }
        let mut tx = p.db.pool().begin().await.map_err(|e| e.to_string())?;
        let conflict = if is_pg { " ON CONFLICT DO NOTHING" } else { "" };
        let insert = if is_pg { "INSERT" } else { "INSERT OR IGNORE" };
        sqlx::query(&format!(
            "{insert} INTO accounts (id, login_id, login_id_lower, given_name, family_name, \
             legal_given_name, legal_family_name, birth_date, email, phone, locale, status, \
             assurance_level, password_hash, password_changed_at, password_temporary, \
             agreement_version, agreement_accepted_at, created_at, updated_at) VALUES {}{conflict}",
            accounts.join(", ")
        ))
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
        if !designations.is_empty() {
            sqlx::query(&format!(
                "{insert} INTO professional_designations (account_id, college, \
                 registration_number, created_at) VALUES {}{conflict}",
                designations.join(", ")
            ))
            .execute(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        if let (Some(b), Some(d), Some(shape)) = (bulk.as_mut(), directory.as_ref(), &shape) {
            crate::province::around(b, d, shape, &mut world, &made, added, now).await?;
            if shape.audit_rows > 0 {
                subjects.extend(made.into_iter().map(|a| a.id));
            }
        }
        added += n;
        if added % (BATCH * 50) == 0 || added == count {
            let secs = started.elapsed().as_secs_f64();
            let _ = writeln!(
                out,
                "{added} accounts in {secs:.1} s ({:.0} accounts/s)",
                added as f64 / secs.max(0.001)
            );
        }
    }
    if let (Some(b), Some(shape)) = (bulk.as_mut(), &shape) {
        crate::province::audit(&p.db, b, &mut world, &subjects, shape.audit_rows, now, out).await?;
    }
    Ok(added)
}
