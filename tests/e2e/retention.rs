//! Retention: refresh tokens and recognized devices that aged out are removed, what is still
//! within its retention stays, one pass per period runs in the cluster (a lease), and the
//! metrics say what was removed. Time moves on the injected clock.

use authorization_server::retention;
use oneid_tests::browser::Browser;
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app, spawn_app_with, TestApp, LOGIN_ID, PASSWORD};

const DAY: i64 = 86_400;

async fn device(app: &TestApp, account: &str, trusted_until: i64, revoked_at: Option<i64>) {
    sqlx::query(
        "INSERT INTO devices (id, account_id, token_hash, browser, network, created_at, \
         last_seen_at, trusted_until, revoked_at) VALUES ($1, $2, $3, 'Firefox on Linux', \
         '10.0.0.0/24', $4, $4, $5, $6)",
    )
    .bind(platform::crypto::random_token(12))
    .bind(account)
    .bind(platform::crypto::random_token(16))
    .bind(trusted_until - 30 * DAY)
    .bind(trusted_until)
    .bind(revoked_at)
    .execute(app.provider.db.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn retention_removes_what_aged_out_and_keeps_the_rest() {
    // The node's own passes are off (every_secs 0), so this test's pass sees everything.
    let app = spawn_app_with(|c| c.retention.every_secs = 0).await;
    let account = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    // A refresh token that will be past its retention, then one that will not.
    let old = rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    assert!(old.refresh_token().is_some());
    app.clock
        .advance(app.provider.cfg.refresh_token_ttl + 7 * DAY + 1);
    rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    assert_eq!(app.count("refresh_tokens").await, 2);
    let now = platform::Clock::now(app.clock.as_ref());
    device(&app, &account, now - 91 * DAY, None).await; // trust ended long ago
    device(&app, &account, now + 30 * DAY, Some(now - 100 * DAY)).await; // removed long ago
    device(&app, &account, now - 10 * DAY, None).await; // trust ended lately: kept
    device(&app, &account, now + 30 * DAY, None).await; // trusted: kept

    let removed = retention::pass(&app.provider).await.unwrap();
    assert_eq!(
        removed,
        retention::Removed {
            refresh_tokens: 1,
            devices: 2,
            ..Default::default()
        }
    );
    assert_eq!(app.count("refresh_tokens").await, 1);
    assert_eq!(app.count("devices").await, 2);
    // The token kept still refreshes; nothing more goes on a second pass.
    assert_eq!(
        retention::pass(&app.provider).await.unwrap(),
        retention::Removed::default()
    );
    let m = app.metrics().await;
    assert!(
        m.contains("oneid_retention_deleted_total{what=\"devices\"} 2"),
        "{m}"
    );
    assert!(m.contains("oneid_retention_deleted_total{what=\"refresh_tokens\"} 1"));
}

#[tokio::test]
async fn one_retention_pass_runs_per_period_whoever_asks() {
    let app = spawn_app().await;
    // The node's own poller asks at start, and these two asks come after or race with it:
    // of the three, exactly one runs.
    let (a, b) = tokio::join!(retention::run(&app.provider), retention::run(&app.provider));
    let ran = [a.unwrap(), b.unwrap()]
        .iter()
        .filter(|r| r.is_some())
        .count();
    assert!(ran <= 1, "two passes in one period");
    let mut done = String::new();
    for _ in 0..50 {
        let m = app.metrics().await;
        if m.contains("oneid_retention_runs_total{outcome=\"done\"} 1") {
            done = m;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!done.is_empty(), "one pass ran");
    assert!(done.contains("oneid_retention_runs_total{outcome=\"skipped\"}"));
}

/// Writes `n` audit rows of `event` now, about `{subject}-0`, `{subject}-1`, ...
async fn record(app: &TestApp, event: &str, subject: &str, n: usize) {
    for i in 0..n {
        let subject = format!("{subject}-{i}");
        app.provider
            .audit
            .record(platform::AuditEvent {
                event,
                subject: Some(&subject),
                ..Default::default()
            })
            .await
            .unwrap();
    }
}

fn archive_dir() -> oneid_tests::TempDir {
    let d = std::env::temp_dir().join(format!(
        "oneid-audit-archive-{}",
        platform::crypto::random_token(9)
    ));
    oneid_tests::TempDir::new(d)
}

/// Every row the archive files hold, as JSON, in file order.
fn archived_rows(dir: &std::path::Path) -> Vec<serde_json::Value> {
    use std::io::Read;
    let manifest = std::fs::read_to_string(dir.join("manifest.ndjson")).unwrap();
    let mut rows = Vec::new();
    for line in manifest.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        let bytes = std::fs::read(dir.join(e["file"].as_str().unwrap())).unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        rows.extend(text.lines().map(|l| serde_json::from_str(l).unwrap()));
    }
    rows
}

/// The partition each manifest entry was read from.
fn entries_partition(dir: &std::path::Path) -> Vec<Option<String>> {
    std::fs::read_to_string(dir.join("manifest.ndjson"))
        .unwrap()
        .lines()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            e["partition"].as_str().map(str::to_owned)
        })
        .collect()
}

async fn count_where(app: &TestApp, sql: &str, at: i64) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .bind(at)
        .fetch_one(app.provider.db.pool())
        .await
        .unwrap();
    n
}

#[tokio::test]
async fn old_audit_rows_are_archived_in_a_hash_chain_before_they_are_removed() {
    let dir = archive_dir();
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(|c| {
        c.retention.every_secs = 0;
        c.retention.audit_days = 30;
        c.retention.audit_archive_dir = Some(path.clone());
        c.retention.audit_rows_per_file = 4;
    })
    .await;
    record(&app, "test.old", "old", 9).await;
    let t0 = platform::Clock::now(app.clock.as_ref());
    // Far enough that even PostgreSQL, which lets a month go only whole, archives t0's month.
    app.clock.advance(62 * DAY);
    record(&app, "test.recent", "recent", 1).await;
    let cutoff = platform::Clock::now(app.clock.as_ref()) - 30 * DAY;
    let old = count_where(&app, "SELECT COUNT(*) FROM audit_log WHERE at < $1", cutoff).await;
    assert!(old >= 9, "the nine old rows and what start-up wrote");
    let before: Vec<i64> =
        sqlx::query_as::<_, (i64,)>("SELECT id FROM audit_log WHERE at < $1 ORDER BY id")
            .bind(cutoff)
            .fetch_all(app.provider.db.pool())
            .await
            .unwrap()
            .into_iter()
            .map(|(id,)| id)
            .collect();

    let removed = retention::pass(&app.provider).await.unwrap();
    let files = (old as u64).div_ceil(4);
    assert_eq!(
        (removed.audit_rows, removed.audit_files),
        (old as u64, files)
    );
    // Nothing old is left; the recent row is.
    assert_eq!(
        count_where(&app, "SELECT COUNT(*) FROM audit_log WHERE at < $1", cutoff).await,
        0
    );
    assert_eq!(
        count_where(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE event = 'test.recent' AND at >= $1",
            cutoff
        )
        .await,
        1
    );
    // On PostgreSQL, t0's month went whole: its partition was archived, then dropped.
    if app.provider.db.kind() == platform::DbKind::Postgres {
        let (y, m) = platform::audit_partitions::month_of(t0);
        let gone = platform::audit_partitions::partition(y, m).name;
        let parts = platform::audit_partitions::list(&app.provider.db)
            .await
            .unwrap();
        assert!(!parts.iter().any(|p| p.name == gone), "{parts:?}");
        assert!(entries_partition(&path).iter().all(|p| p
            .as_deref()
            .is_some_and(|p| p.starts_with(&format!("{gone}#")))));
    }

    // Every removed row is in the files, once, in order, whole.
    let rows = archived_rows(&path);
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, before);
    let subjects: Vec<&str> = rows
        .iter()
        .filter(|r| r["event"] == "test.old")
        .map(|r| r["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        (0..9).map(|i| format!("old-{i}")).collect::<Vec<_>>()
    );
    // The chain checks out, and the live trail names its head.
    let v = platform::audit_archive::verify_dir(&path).unwrap();
    assert_eq!((v.files, v.rows), (files, old as u64));
    assert!(v.unlisted.is_empty());
    let last = app
        .provider
        .audit
        .recent(Some("audit.archived"), 1)
        .await
        .unwrap();
    assert!(
        last[0]
            .detail
            .as_deref()
            .unwrap()
            .ends_with(&format!("chain={}", v.head)),
        "{last:?}"
    );
    let m = app.metrics().await;
    assert!(
        m.contains(&format!(
            "oneid_retention_deleted_total{{what=\"audit_rows\"}} {old}"
        )),
        "{m}"
    );
    // The auditor's command agrees, with and without the database. (A command reads the
    // system clock, and on PostgreSQL makes this month's partition again, empty.)
    let p = path.to_str().unwrap();
    let (code, out) = app
        .storage
        .cli(&["audit", "verify-archive", "--dir", p], "")
        .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{files} files, {old} rows")), "{out}");
    let (code, _) = app
        .storage
        .cli(&["audit", "verify-archive", "--dir", p, "--offline"], "")
        .await;
    assert_eq!(code, 0);

    // Two months on, the next pass continues the same chain (the first pass's own events go).
    app.clock.advance(62 * DAY);
    let second = retention::pass(&app.provider).await.unwrap();
    // The first pass's audit.archived events (one per file) and the recent row at least.
    assert!(second.audit_rows > files, "{second:?}");
    let v2 = platform::audit_archive::verify_dir(&path).unwrap();
    assert_eq!(v2.rows, old as u64 + second.audit_rows);
    let manifest = std::fs::read_to_string(path.join("manifest.ndjson")).unwrap();
    let entries: Vec<serde_json::Value> = manifest
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries[files as usize]["prev"].as_str().unwrap(), v.head);
}

#[tokio::test]
async fn a_changed_or_missing_archive_file_or_entry_is_caught() {
    use std::io::Write;
    let dir = archive_dir();
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(|c| {
        c.retention.every_secs = 0;
        c.retention.audit_days = 1;
        c.retention.audit_archive_dir = Some(path.clone());
        c.retention.audit_rows_per_file = 2;
    })
    .await;
    record(&app, "test.old", "row", 6).await;
    app.clock.advance(33 * DAY);
    retention::pass(&app.provider).await.unwrap();
    let good = platform::audit_archive::verify_dir(&path).unwrap();
    assert!(good.files >= 3);
    let manifest = std::fs::read_to_string(path.join("manifest.ndjson")).unwrap();
    let lines: Vec<&str> = manifest.lines().collect();
    let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    let file = path.join(second["file"].as_str().unwrap());
    let original = std::fs::read(&file).unwrap();

    // A row dropped from a file and the file recompressed: its hash no longer matches.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b"").unwrap();
    std::fs::write(&file, enc.finish().unwrap()).unwrap();
    let err = platform::audit_archive::verify_dir(&path).unwrap_err();
    assert!(err.contains("SHA-256"), "{err}");
    // ... and with the manifest's hash edited to match, the chain breaks.
    let forged = second["sha256"].as_str().unwrap();
    let new_hash: String = platform::crypto::sha256(&std::fs::read(&file).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(
        path.join("manifest.ndjson"),
        manifest.replace(forged, &new_hash),
    )
    .unwrap();
    let err = platform::audit_archive::verify_dir(&path).unwrap_err();
    assert!(err.contains("chain"), "{err}");
    std::fs::write(&file, &original).unwrap();
    // A whole entry taken out of the manifest.
    let mut without: Vec<&str> = lines.clone();
    without.remove(1);
    std::fs::write(path.join("manifest.ndjson"), without.join("\n")).unwrap();
    assert!(platform::audit_archive::verify_dir(&path).is_err());
    // A file gone.
    std::fs::write(path.join("manifest.ndjson"), &manifest).unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(platform::audit_archive::verify_dir(&path).is_err());
    let (code, _) = app
        .storage
        .cli(
            &[
                "audit",
                "verify-archive",
                "--dir",
                path.to_str().unwrap(),
                "--offline",
            ],
            "",
        )
        .await;
    assert_eq!(code, 1);
    std::fs::write(&file, &original).unwrap();
    assert_eq!(platform::audit_archive::verify_dir(&path).unwrap(), good);
}

/// A year on, the month of now being made by another node (PostgreSQL): its partition
/// attached in a transaction held open, as a retention pass does. The time, the month, whether
/// this is PostgreSQL, and the open transaction (commit it to let the attach through).
async fn attach_held_open(
    app: &TestApp,
) -> (
    i64,
    platform::audit_partitions::Partition,
    bool,
    sqlx::Transaction<'static, sqlx::Any>,
) {
    app.clock.advance(365 * DAY);
    let later = platform::Clock::now(app.clock.as_ref());
    let (y, m) = platform::audit_partitions::month_of(later);
    let month = platform::audit_partitions::partition(y, m);
    let pg = app.provider.db.kind() == platform::DbKind::Postgres;
    let mut maker = app.provider.db.pool().begin().await.unwrap();
    if pg {
        for sql in [
            "SELECT pg_advisory_xact_lock(7243, 1)".to_owned(),
            format!(
                "CREATE TABLE {} (LIKE audit_log INCLUDING DEFAULTS)",
                month.name
            ),
            format!(
                "ALTER TABLE audit_log ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})",
                month.name, month.lo, month.hi
            ),
        ] {
            sqlx::query(&sql).execute(&mut *maker).await.unwrap();
        }
    }
    (later, month, pg, maker)
}

#[tokio::test]
async fn a_row_written_while_its_month_is_being_attached_is_kept_in_that_month() {
    // A month made late (a node that was down, a clock that jumped): a row of that month is
    // routed to the default partition just before another node attaches the month, waits
    // for it, and is then refused there. The row must not be lost.
    let app = spawn_app().await;
    let (later, month, pg, maker) = attach_held_open(&app).await;
    let p = app.provider.clone();
    let writer = tokio::spawn(async move {
        p.audit
            .record(platform::AuditEvent {
                event: "test.during_attach",
                subject: Some("kept"),
                ..Default::default()
            })
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    maker.commit().await.unwrap();
    writer.await.unwrap().expect("the row is written");
    let found = app.audit("test.during_attach").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].at, later);
    if pg {
        let (n,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM {} WHERE event = 'test.during_attach'",
            month.name
        ))
        .fetch_one(app.provider.db.pool())
        .await
        .unwrap();
        assert_eq!(n, 1, "in its month's partition");
    }
}

/// The same race inside a caller's transaction (`Audit::record_in`, as a registration's
/// change and its audit row commit together): the row is routed again and the transaction
/// commits, rather than failing whole.
#[tokio::test]
async fn a_row_written_in_a_transaction_while_its_month_is_being_attached_commits_with_it() {
    let app = spawn_app().await;
    let (_, month, pg, maker) = attach_held_open(&app).await;
    let p = app.provider.clone();
    let writer = tokio::spawn(async move {
        let mut tx = p.db.pool().begin().await.map_err(|e| e.to_string())?;
        for subject in ["first", "second"] {
            p.audit
                .record_in(
                    &mut tx,
                    platform::AuditEvent {
                        event: "test.in_tx_during_attach",
                        subject: Some(subject),
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
        }
        tx.commit().await.map_err(|e| e.to_string())
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    maker.commit().await.unwrap();
    writer
        .await
        .unwrap()
        .expect("the transaction commits with its rows");
    let found = app.audit("test.in_tx_during_attach").await;
    assert_eq!(found.len(), 2);
    if pg {
        let (n,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM {} WHERE event = 'test.in_tx_during_attach'",
            month.name
        ))
        .fetch_one(app.provider.db.pool())
        .await
        .unwrap();
        assert_eq!(n, 2, "in its month's partition");
    }
}

#[tokio::test]
async fn rows_written_before_their_month_had_a_partition_move_into_it_and_age_out() {
    let dir = archive_dir();
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(|c| {
        c.retention.every_secs = 0;
        c.retention.audit_days = 30;
        c.retention.audit_archive_dir = Some(path.clone());
    })
    .await;
    // A year on: no partition for this month yet (the node made three months at start).
    app.clock.advance(365 * DAY);
    let later = platform::Clock::now(app.clock.as_ref());
    record(&app, "test.late", "late", 5).await;
    let pg = app.provider.db.kind() == platform::DbKind::Postgres;
    let (y, m) = platform::audit_partitions::month_of(later);
    let month = platform::audit_partitions::partition(y, m);
    let in_table = |table: &'static str| {
        let db = app.provider.db.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(&format!(
                "SELECT COUNT(*) FROM {table} WHERE event = 'test.late'"
            ))
            .fetch_one(db.pool())
            .await
            .unwrap();
            n
        }
    };
    if pg {
        assert_eq!(in_table("audit_log_default").await, 5);
    }
    // The pass makes the month, and its rows move into it; the trail reads the same. (It also
    // archives what start-up wrote a year ago.)
    let first = retention::pass(&app.provider).await.unwrap();
    let found = app
        .provider
        .audit
        .search(
            &platform::audit::AuditQuery {
                event: Some("test.late".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 5);
    if pg {
        assert_eq!(in_table("audit_log_default").await, 0);
        let parts = platform::audit_partitions::list(&app.provider.db)
            .await
            .unwrap();
        assert!(parts.iter().any(|p| p.name == month.name), "{parts:?}");
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {}", month.name))
            .fetch_one(app.provider.db.pool())
            .await
            .unwrap();
        assert!(n >= 5);
    }
    // Past retention, they are archived like any others.
    app.clock.advance(62 * DAY);
    let removed = retention::pass(&app.provider).await.unwrap();
    assert!(removed.audit_rows >= 5);
    assert_eq!(
        app.provider
            .audit
            .search(
                &platform::audit::AuditQuery {
                    event: Some("test.late".into()),
                    ..Default::default()
                },
                10,
            )
            .await
            .unwrap()
            .len(),
        0
    );
    let v = platform::audit_archive::verify_dir(&path).unwrap();
    assert_eq!(v.rows, first.audit_rows + removed.audit_rows);
}

#[test]
fn audit_retention_without_an_archive_folder_is_refused_at_start() {
    let overlay = std::env::temp_dir().join(format!(
        "oneid-ret-{}.toml",
        platform::crypto::random_token(6)
    ));
    std::fs::write(&overlay, "[retention]\naudit_days = 30\n").unwrap();
    let err = oneid::config::Config::load(Some(&overlay)).unwrap_err();
    assert!(err.to_string().contains("audit_archive_dir"), "{err}");
    std::fs::write(
        &overlay,
        "[retention]\naudit_days = 30\naudit_archive_dir = \"/var/lib/oneid/audit\"\n",
    )
    .unwrap();
    assert!(oneid::config::Config::load(Some(&overlay)).is_ok());
    std::fs::remove_file(&overlay).unwrap();
}

#[tokio::test]
async fn the_hot_statements_are_prepared_on_every_new_postgresql_connection() {
    use sqlx::Executor;
    let app = spawn_app().await;
    let hot = oneid::hot_statements();
    assert!(hot.len() >= 7, "{hot:?}");
    let mut conn = app.provider.db.pool().acquire().await.unwrap();
    // Each is valid on this backend (a typo would only be logged at start).
    for sql in &hot {
        conn.prepare(sql.as_str()).await.unwrap();
    }
    drop(conn);
    if app.provider.db.kind() == platform::DbKind::Postgres {
        // Every connection the server's pool holds prepared them when it opened, before any
        // request: a connection made now has them too.
        let pool = app.provider.db.pool();
        let mut fresh = Vec::new();
        for _ in 0..app.provider.db.pool().size() {
            fresh.push(pool.acquire().await.unwrap());
        }
        for conn in &mut fresh {
            let prepared: Vec<(String,)> =
                sqlx::query_as("SELECT statement FROM pg_prepared_statements")
                    .fetch_all(&mut **conn)
                    .await
                    .unwrap();
            for sql in &hot {
                assert!(
                    prepared.iter().any(|(s,)| s == sql),
                    "{sql} not prepared: {prepared:?}"
                );
            }
        }
    }
}
