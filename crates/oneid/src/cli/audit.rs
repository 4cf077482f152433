//! `oneid audit ...`: audit retention by hand: run an archiving pass now, and check an archive
//! folder (what an auditor runs, with or without the database).

use clap::Subcommand;
use platform::audit_archive;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub(super) enum AuditCmd {
    /// Check an archive folder: the manifest's SHA-256 chain, each file's hash and rows, and,
    /// unless --offline, that the database's chain head is the folder's.
    VerifyArchive {
        /// The folder (default: retention.audit_archive_dir).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Do not open the database (an auditor's copy of the folder).
        #[arg(long)]
        offline: bool,
    },
    /// Run the retention pass now (refresh tokens, devices, and audit rows past
    /// retention.audit_days, archived first), whatever the lease says.
    Archive,
}

pub(super) async fn audit(
    c: AuditCmd,
    cfg: &crate::config::Config,
    issuer: &str,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    match c {
        AuditCmd::VerifyArchive { dir, offline } => {
            let Some(dir) = dir.or_else(|| cfg.retention.audit_archive_dir.clone()) else {
                return Err("no folder: give --dir or set retention.audit_archive_dir".into());
            };
            let v = audit_archive::verify_dir(&dir)?;
            for name in &v.unlisted {
                wln!(
                    out,
                    "note: {name} is not in the manifest (left by an interrupted pass)"
                );
            }
            if !offline {
                let p = super::open(cfg, issuer).await?;
                let db = audit_archive::entries(&p.db)
                    .await
                    .map_err(|e| e.to_string())?;
                let head = db.last().map_or(audit_archive::GENESIS, |e| &e.chain);
                if head != v.head || db.len() as u64 != v.files {
                    return Err(format!(
                        "the database's manifest ({} files, head {head}) is not the folder's \
                         ({} files, head {})",
                        db.len(),
                        v.files,
                        v.head
                    ));
                }
            }
            wln!(
                out,
                "archive verified: {} files, {} rows, chain head {}",
                v.files,
                v.rows,
                v.head
            );
            Ok(())
        }
        AuditCmd::Archive => {
            let p = super::open(cfg, issuer).await?;
            let r = authorization_server::retention::pass(&p)
                .await
                .map_err(|e| e.to_string())?;
            wln!(
                out,
                "removed {} refresh tokens, {} devices; archived {} audit rows in {} files",
                r.refresh_tokens,
                r.devices,
                r.audit_rows,
                r.audit_files
            );
            Ok(())
        }
    }
}
