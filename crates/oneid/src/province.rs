//! `oneid populate --province`: what surrounds the accounts of a fictional province, in the
//! proportions of the issue that asked for it (per 1,000,000 accounts: 20,000 organizations
//! each with an LRA, 50 services, 1,000,000 sponsorships and 2,000,000 enrolments, 200
//! registries with members and terminations, 2,000,000 recognized devices, 50,000,000 audit
//! rows over two years).
//!
//! Rows go in by bulk: `COPY ... FROM STDIN` on PostgreSQL (one dedicated connection), and on
//! SQLite multi-row `INSERT`s, one transaction per batch.

use crate::populate::{quote, Rng};
use authorization_server::Provider;
use platform::DbKind;
use sqlx::Connection;
use std::io::Write;
use std::time::Instant;

/// How much of everything, besides the accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Sponsoring organizations, each with one LRA.
    pub organizations: usize,
    /// Clinical services.
    pub services: usize,
    /// Services each sponsored account is enrolled in.
    pub enrolments_per_account: usize,
    /// Recognized devices per account.
    pub devices_per_account: usize,
    /// Trusted registries.
    pub registries: usize,
    /// Audit rows, spread over the two years before now.
    pub audit_rows: usize,
}

impl Shape {
    /// The issue's proportions for `accounts` accounts.
    pub fn province(accounts: usize) -> Self {
        Self {
            organizations: (accounts / 50).max(1),
            services: 50,
            enrolments_per_account: 2,
            devices_per_account: 2,
            registries: (accounts / 5000).clamp(1, 200),
            audit_rows: accounts * 50,
        }
    }
}

/// One value of a bulk row.
pub enum Val {
    /// Text.
    T(String),
    /// A number.
    I(i64),
    /// NULL.
    Null,
}

/// Writes rows by bulk to one backend.
pub struct Bulk {
    pg: Option<sqlx::PgConnection>,
    kind: DbKind,
    pool: sqlx::AnyPool,
    /// SQLite: the connection that drops and makes indexes. Another one, whose copy of the
    /// schema predates the drop, refuses to make an index "that already exists".
    ddl: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
}

impl Bulk {
    /// Drops `table`'s secondary indexes (not its primary key) and returns their
    /// definitions (PostgreSQL's catalog or SQLite's schema).
    pub async fn drop_indexes(&mut self, table: &str) -> Result<Vec<String>, String> {
        let Some(pg) = self.pg.as_mut() else {
            // SQLite: the indexes a migration made (a key's own has no SQL).
            let defs: Vec<(String, String)> = sqlx::query_as(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 \
                 AND sql IS NOT NULL",
            )
            .bind(table)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| e.to_string())?;
            let mut conn = self.pool.acquire().await.map_err(|e| e.to_string())?;
            for (name, _) in &defs {
                sqlx::query(&format!("DROP INDEX {name}"))
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            self.ddl = Some(conn);
            return Ok(defs.into_iter().map(|(_, d)| d).collect());
        };
        let defs: Vec<(String, String)> = sqlx::query_as(
            "SELECT i.indexname::text, i.indexdef FROM pg_indexes i WHERE i.tablename = $1 \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        )
        .bind(table)
        .fetch_all(&mut *pg)
        .await
        .map_err(|e| e.to_string())?;
        for (name, _) in &defs {
            sqlx::query(&format!("DROP INDEX {name}"))
                .execute(&mut *pg)
                .await
                .map_err(|e| e.to_string())?;
        }
        // A partitioned table's index reads `ON ONLY` in the catalog (the parent alone); made
        // again it is made on every partition.
        Ok(defs
            .into_iter()
            .map(|(_, d)| d.replacen(" ON ONLY ", " ON ", 1))
            .collect())
    }

    /// Builds indexes from their definitions (on PostgreSQL with room to sort).
    pub async fn create_indexes(&mut self, defs: &[String]) -> Result<(), String> {
        let Some(pg) = self.pg.as_mut() else {
            let mut conn = match self.ddl.take() {
                Some(c) => c,
                None => self.pool.acquire().await.map_err(|e| e.to_string())?,
            };
            for d in defs {
                sqlx::query(d)
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            return Ok(());
        };
        sqlx::query("SET maintenance_work_mem = '512MB'")
            .execute(&mut *pg)
            .await
            .map_err(|e| e.to_string())?;
        for d in defs {
            sqlx::query(d)
                .execute(&mut *pg)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// Rows per SQLite statement.
const SQLITE_ROWS: usize = 1000;

impl Bulk {
    /// A bulk writer on `p`'s database (`url`: its URL, for PostgreSQL's COPY connection).
    pub async fn open(p: &Provider, url: &str) -> Result<Self, String> {
        let kind = p.db.kind();
        let pg = if kind == DbKind::Postgres {
            Some(
                sqlx::PgConnection::connect(url)
                    .await
                    .map_err(|e| e.to_string())?,
            )
        } else {
            None
        };
        Ok(Self {
            pg,
            kind,
            pool: p.db.pool().clone(),
            ddl: None,
        })
    }

    /// Writes `rows` into `table`'s `columns`.
    pub async fn write(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Val>],
    ) -> Result<(), String> {
        if rows.is_empty() {
            return Ok(());
        }
        let cols = columns.join(", ");
        if let Some(pg) = self.pg.as_mut() {
            let mut buf = Vec::with_capacity(rows.len() * 96);
            for row in rows {
                for (i, v) in row.iter().enumerate() {
                    if i > 0 {
                        buf.push(b'\t');
                    }
                    match v {
                        Val::Null => buf.extend_from_slice(b"\\N"),
                        Val::I(n) => {
                            let _ = write!(buf, "{n}");
                        }
                        Val::T(s) => {
                            for b in s.bytes() {
                                match b {
                                    b'\\' => buf.extend_from_slice(b"\\\\"),
                                    b'\t' => buf.extend_from_slice(b"\\t"),
                                    b'\n' => buf.extend_from_slice(b"\\n"),
                                    b'\r' => buf.extend_from_slice(b"\\r"),
                                    b => buf.push(b),
                                }
                            }
                        }
                    }
                }
                buf.push(b'\n');
            }
            let mut copy = pg
                .copy_in_raw(&format!("COPY {table} ({cols}) FROM STDIN"))
                .await
                .map_err(|e| e.to_string())?;
            copy.send(buf).await.map_err(|e| e.to_string())?;
            copy.finish().await.map_err(|e| e.to_string())?;
            return Ok(());
        }
        debug_assert_eq!(self.kind, DbKind::Sqlite);
        let mut tx = self.pool.begin().await.map_err(|e| e.to_string())?;
        for chunk in rows.chunks(SQLITE_ROWS) {
            let values: Vec<String> = chunk
                .iter()
                .map(|row| {
                    let vals: Vec<String> = row
                        .iter()
                        .map(|v| match v {
                            Val::Null => "NULL".to_owned(),
                            Val::I(n) => n.to_string(),
                            Val::T(s) => quote(s),
                        })
                        .collect();
                    format!("({})", vals.join(", "))
                })
                .collect();
            sqlx::query(&format!(
                "INSERT INTO {table} ({cols}) VALUES {}",
                values.join(", ")
            ))
            .execute(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
        }
        tx.commit().await.map_err(|e| e.to_string())
    }
}

/// Kinds of sponsoring organizations, for their names.
const KINDS: &[&str] = &[
    "Hospital",
    "Health Centre",
    "Family Health Team",
    "Community Health Centre",
    "Long-Term Care",
    "Public Health Unit",
    "Pharmacy",
    "Clinic",
    "Home Care",
    "Laboratory",
];

/// Places, for organization names.
const PLACES: &[&str] = &[
    "Toronto",
    "Ottawa",
    "Hamilton",
    "London",
    "Kingston",
    "Sudbury",
    "Thunder Bay",
    "Windsor",
    "Barrie",
    "Peterborough",
    "Timmins",
    "Sault Ste. Marie",
    "Kitchener",
    "Waterloo",
    "Guelph",
    "Oshawa",
    "Mississauga",
    "Brampton",
    "Markham",
    "North Bay",
];

const BROWSERS: &[&str] = &[
    "Chrome on Windows",
    "Edge on Windows",
    "Safari on iPhone",
    "Chrome on Android",
    "Firefox on Linux",
    "Safari on macOS",
];

/// Audit events and their share (per mille), as a busy day writes them.
const EVENTS: &[(&str, u64)] = &[
    ("login.success", 330),
    ("token.issued", 250),
    ("logout", 120),
    ("saml.assertion_issued", 100),
    ("stepup.verified", 70),
    ("login.failure", 60),
    ("stepup.sent", 40),
    ("account.password_changed", 15),
    ("authorization.refused", 10),
    ("account.updated", 5),
];

/// The directory rows (organizations, their LRAs' roles, services, what each offers,
/// registries); returns the organization ids with the services each offers, and the registry
/// ids with their colleges.
pub struct Directory {
    /// Organization ids and the services each offers.
    pub organizations: Vec<(String, Vec<usize>)>,
    /// Service ids.
    pub services: Vec<String>,
    /// Registry ids and colleges.
    pub registries: Vec<(String, &'static str)>,
}

/// Makes the organizations, services and registries.
pub async fn directory(
    bulk: &mut Bulk,
    shape: &Shape,
    rng: &mut Rng,
    now: i64,
    tag: &str,
) -> Result<Directory, String> {
    let services: Vec<String> = (0..shape.services)
        .map(|i| format!("{tag}svc{i:03}"))
        .collect();
    let rows: Vec<Vec<Val>> = services
        .iter()
        .enumerate()
        .map(|(i, id)| {
            vec![
                Val::T(id.clone()),
                Val::T(format!("Clinical viewer {}", i + 1)),
                Val::T(format!("https://viewer{}.example.org/", i + 1)),
                Val::I(1 + (i % 3) as i64),
                Val::I(now),
            ]
        })
        .collect();
    bulk.write(
        "services",
        &["id", "name", "url", "min_assurance_level", "created_at"],
        &rows,
    )
    .await?;
    let mut organizations = Vec::with_capacity(shape.organizations);
    let mut rows = Vec::with_capacity(shape.organizations);
    let mut offers = Vec::new();
    for i in 0..shape.organizations {
        let id = format!("{tag}org{i:06}");
        let name = format!(
            "{} {} {}",
            PLACES[rng.below(PLACES.len() as u64) as usize],
            KINDS[rng.below(KINDS.len() as u64) as usize],
            i + 1
        );
        let registering = i64::from(rng.below(10) == 0);
        rows.push(vec![
            Val::T(id.clone()),
            Val::T(name),
            Val::I(now - rng.below(3 * 365 * 86_400) as i64),
            Val::T("active".into()),
            Val::I(registering),
            Val::I(2),
        ]);
        let mut mine: Vec<usize> = Vec::new();
        while mine.len() < 5.min(shape.services) {
            let s = rng.zipf(shape.services);
            if !mine.contains(&s) {
                mine.push(s);
            }
        }
        for s in &mine {
            offers.push(vec![Val::T(id.clone()), Val::T(services[*s].clone())]);
        }
        organizations.push((id, mine));
    }
    bulk.write(
        "organizations",
        &[
            "id",
            "name",
            "created_at",
            "status",
            "registering",
            "assurance_level",
        ],
        &rows,
    )
    .await?;
    bulk.write(
        "sponsor_services",
        &["organization_id", "service_id"],
        &offers,
    )
    .await?;
    let colleges = ["CNO", "CPSO", "OCP", "CRTO", "CMRITO", "COTO", "CPO"];
    let registries: Vec<(String, &'static str)> = (0..shape.registries)
        .map(|i| (format!("{tag}reg{i:03}"), colleges[i % colleges.len()]))
        .collect();
    let rows: Vec<Vec<Val>> = registries
        .iter()
        .enumerate()
        .map(|(i, (id, college))| {
            vec![
                Val::T(id.clone()),
                Val::T(format!("{college} register {}", i + 1)),
                Val::T((*college).into()),
                Val::T(format!("registrar{}@example.org", i + 1)),
                Val::T((*college).into()),
                Val::T("college + registration number".into()),
                Val::I(2),
                Val::T("general".into()),
                Val::T("approved".into()),
                Val::I(now),
                Val::I(now),
                Val::I(now),
            ]
        })
        .collect();
    bulk.write(
        "registries",
        &[
            "id",
            "name",
            "owner",
            "contact",
            "college",
            "id_scheme",
            "assurance_level",
            "approval",
            "status",
            "status_changed_at",
            "created_at",
            "updated_at",
        ],
        &rows,
    )
    .await?;
    Ok(Directory {
        organizations,
        services,
        registries,
    })
}

/// One batch of accounts, as the account generator made them.
pub struct NewAccount {
    /// Account id.
    pub id: String,
    /// College and registration number, when it has a designation.
    pub designation: Option<(&'static str, String)>,
    /// When it was made.
    pub created: i64,
}

/// The rows around a batch of new accounts: sponsorship and enrolments, the first account of
/// each organization as its LRA, registry membership (and some terminations), devices.
pub async fn around(
    bulk: &mut Bulk,
    dir: &Directory,
    shape: &Shape,
    rng: &mut Rng,
    accounts: &[NewAccount],
    first_index: usize,
    now: i64,
) -> Result<(), String> {
    let (mut sponsorships, mut enrolments, mut roles) = (Vec::new(), Vec::new(), Vec::new());
    let (mut members, mut terminations, mut devices) = (Vec::new(), Vec::new(), Vec::new());
    let mut ended = Vec::new();
    for (k, a) in accounts.iter().enumerate() {
        let index = first_index + k;
        // The first accounts are the organizations' LRAs, one each; the rest are sponsored
        // by an organization drawn at random.
        let org = if index < dir.organizations.len() {
            roles.push(vec![
                Val::T(a.id.clone()),
                Val::T("lra".into()),
                Val::T(dir.organizations[index].0.clone()),
                Val::I(a.created),
                Val::T("cli".into()),
            ]);
            &dir.organizations[index]
        } else {
            &dir.organizations[rng.below(dir.organizations.len() as u64) as usize]
        };
        sponsorships.push(vec![
            Val::T(a.id.clone()),
            Val::T(org.0.clone()),
            Val::T(format!("E{}", 100_000 + index)),
            Val::T("active".into()),
            Val::T("cli".into()),
            Val::I(a.created),
        ]);
        let mut taken = Vec::new();
        for _ in 0..shape.enrolments_per_account.min(org.1.len()) {
            let s = loop {
                let s = org.1[rng.below(org.1.len() as u64) as usize];
                if !taken.contains(&s) {
                    break s;
                }
            };
            taken.push(s);
            enrolments.push(vec![
                Val::T(a.id.clone()),
                Val::T(dir.services[s].clone()),
                Val::T(org.0.clone()),
                Val::T("active".into()),
                Val::T("cli".into()),
                Val::I(a.created),
            ]);
        }
        // A third of those with a designation came through their college's registry; one in
        // twenty of them has been reported as no longer registered.
        if let (Some((college, number)), true) = (&a.designation, rng.below(3) == 0) {
            let of_college: Vec<&(String, &str)> =
                dir.registries.iter().filter(|r| r.1 == *college).collect();
            if !of_college.is_empty() {
                let reg = of_college[rng.below(of_college.len() as u64) as usize];
                let terminated = rng.below(20) == 0;
                let at = a.created + rng.below(86_400) as i64;
                members.push(vec![
                    Val::T(a.id.clone()),
                    Val::T(reg.0.clone()),
                    Val::T(number.clone()),
                    Val::T("general".into()),
                    Val::I(2),
                    Val::I(a.created),
                    if terminated { Val::I(at) } else { Val::Null },
                ]);
                if terminated {
                    ended.push(quote(&a.id));
                    terminations.push(vec![
                        Val::T(reg.0.clone()),
                        Val::T(number.clone()),
                        Val::I(at),
                        Val::T(format!("registry:{}", reg.0)),
                    ]);
                }
            }
        }
        for d in 0..shape.devices_per_account {
            let created = now - rng.below(365 * 86_400) as i64;
            let revoked = rng.below(10) == 0;
            devices.push(vec![
                Val::T(format!("{}-d{d}", a.id)),
                Val::T(a.id.clone()),
                Val::T(format!("{:016x}{:016x}", rng.next(), rng.next())),
                Val::T(BROWSERS[rng.below(BROWSERS.len() as u64) as usize].into()),
                Val::T(format!("10.{}.{}.0/24", rng.below(256), rng.below(256))),
                Val::I(created),
                Val::I(created + rng.below(30 * 86_400) as i64),
                Val::I(created + 180 * 86_400),
                if revoked {
                    Val::I(created + 86_400)
                } else {
                    Val::Null
                },
            ]);
        }
    }
    bulk.write(
        "account_roles",
        &["account_id", "role", "scope", "granted_at", "granted_by"],
        &roles,
    )
    .await?;
    bulk.write(
        "sponsorships",
        &[
            "account_id",
            "organization_id",
            "member_id",
            "status",
            "authorized_by",
            "started_at",
        ],
        &sponsorships,
    )
    .await?;
    bulk.write(
        "enrolments",
        &[
            "account_id",
            "service_id",
            "sponsor_id",
            "status",
            "authorized_by",
            "authorized_at",
        ],
        &enrolments,
    )
    .await?;
    bulk.write(
        "registry_members",
        &[
            "account_id",
            "registry_id",
            "member_id",
            "approval",
            "assurance_level",
            "registered_at",
            "terminated_at",
        ],
        &members,
    )
    .await?;
    bulk.write(
        "registry_terminations",
        &["registry_id", "member_id", "reported_at", "reported_by"],
        &terminations,
    )
    .await?;
    // Their accounts were terminated when the registry reported them.
    if !ended.is_empty() {
        sqlx::query(&format!(
            "UPDATE accounts SET status = 'terminated' WHERE id IN ({})",
            ended.join(", ")
        ))
        .execute(&bulk.pool)
        .await
        .map_err(|e| e.to_string())?;
    }
    bulk.write(
        "devices",
        &[
            "id",
            "account_id",
            "token_hash",
            "browser",
            "network",
            "created_at",
            "last_seen_at",
            "trusted_until",
            "revoked_at",
        ],
        &devices,
    )
    .await
}

/// Rows of audit written per bulk write.
const AUDIT_BATCH: usize = 50_000;

/// `rows` audit rows over the two years before `now`, oldest first (so ids follow time, as
/// they do in a real trail), about the accounts in `subjects`.
pub async fn audit(
    db: &platform::Db,
    bulk: &mut Bulk,
    rng: &mut Rng,
    subjects: &[String],
    rows: usize,
    now: i64,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    if rows == 0 || subjects.is_empty() {
        return Ok(());
    }
    let span = 2 * 365 * 86_400_i64;
    let start = now - span;
    let started = Instant::now();
    // The secondary indexes are built once at the end, not row by row: kept up by every row
    // they made the load 4-5 times slower on PostgreSQL (random insertions into the subject
    // and actor indexes; SQLite: 25,000 rows/s). Their definitions are read back from the
    // catalog, so they come back exactly as the migrations made them. (A load interrupted
    // midway leaves them out: this is for measurement databases only.)
    let indexes = bulk.drop_indexes("audit_log").await?;
    // Every month of the two years has its partition before its rows come.
    platform::audit_partitions::ensure_months(db, start, now)
        .await
        .map_err(|e| e.to_string())?;
    let mut done = 0;
    while done < rows {
        let n = AUDIT_BATCH.min(rows - done);
        let mut batch = Vec::with_capacity(n);
        for i in done..done + n {
            let at = start + (i as i128 * span as i128 / rows as i128) as i64;
            let event = rng.weighted(EVENTS);
            let who = subjects[rng.below(subjects.len() as u64) as usize].clone();
            let client = format!("viewer{}", rng.below(8));
            batch.push(vec![
                Val::I(at),
                Val::T(event.into()),
                Val::T(who.clone()),
                Val::T(who),
                Val::T(client),
                Val::Null,
                Val::T(format!(
                    "10.{}.{}.{}",
                    rng.below(256),
                    rng.below(256),
                    rng.below(256)
                )),
                if event == "login.failure" {
                    Val::T("invalid_credentials".into())
                } else {
                    Val::Null
                },
            ]);
        }
        bulk.write(
            "audit_log",
            &[
                "at",
                "event",
                "actor",
                "subject",
                "client_id",
                "session_id",
                "source",
                "detail",
            ],
            &batch,
        )
        .await?;
        done += n;
        if done % (AUDIT_BATCH * 20) == 0 || done == rows {
            let secs = started.elapsed().as_secs_f64();
            let _ = writeln!(
                out,
                "{done} audit rows in {secs:.1} s ({:.0} rows/s)",
                done as f64 / secs.max(0.001)
            );
        }
    }
    if !indexes.is_empty() {
        let t = Instant::now();
        bulk.create_indexes(&indexes).await?;
        let _ = writeln!(
            out,
            "{} audit indexes built in {:.1} s",
            indexes.len(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
