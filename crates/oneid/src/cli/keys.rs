//! `oneid keys ...`: the signing keys, their states and ages, rotation and the operations on
//! one key, audited as the keys' console's are.

use authorization_server::SigAlg;
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub(super) enum KeysCmd {
    /// List signing keys, their states and ages.
    List,
    /// Start a rotation: a new key, published now, signing after the pre-publish period.
    Rotate {
        /// Algorithm (RS256, ES256, PS256, EdDSA); all four when omitted.
        #[arg(long)]
        alg: Option<String>,
        /// Emergency: sign with the new key at once (relying parties with a cached JWKS may
        /// reject tokens until they refetch it).
        #[arg(long)]
        now: bool,
    },
    /// Make a next (or retired) key the active one now.
    Activate {
        /// Key id.
        kid: String,
    },
    /// Retire an active key (its pending next key takes over) or cancel a next key.
    Retire {
        /// Key id.
        kid: String,
    },
    /// Revoke a compromised key: out of the JWKS at once; an active key is replaced.
    Revoke {
        /// Key id.
        kid: String,
    },
    /// Load the ring as a serving node does (every key unsealed with the configured
    /// key-encryption key and parsed) and time it: a whole load, and the periodic check that
    /// finds nothing changed. Fails, naming the cause, when a key cannot be unsealed.
    Check {
        /// How many times to load it.
        #[arg(long, default_value_t = 20)]
        times: usize,
    },
    /// Import a private key made elsewhere (PEM or private JWK) as the next key.
    Import {
        /// Algorithm of the key.
        #[arg(long)]
        alg: String,
        /// File holding the key.
        #[arg(long)]
        file: PathBuf,
        /// Sign with it at once instead of after the pre-publish period.
        #[arg(long)]
        now: bool,
    },
}

fn when(now: i64, t: Option<i64>) -> String {
    match t {
        None => "-".into(),
        Some(t) if t <= now => format!("{}s ago", now - t),
        Some(t) => format!("in {}s", t - now),
    }
}

pub(super) async fn keys(
    cmd: KeysCmd,
    p: &authorization_server::Provider,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    let ring = &p.keys;
    let alg_of = |s: &str| {
        SigAlg::parse(s).ok_or_else(|| format!("--alg {s:?}: use RS256, ES256, PS256 or EdDSA"))
    };
    match cmd {
        KeysCmd::Check { times } => {
            // Milliseconds at the middle and at the 99th in a hundred of `runs`.
            fn spread(mut runs: Vec<f64>) -> (f64, f64) {
                runs.sort_by(f64::total_cmp);
                let at = |q: f64| runs[((runs.len() - 1) as f64 * q).round() as usize];
                (at(0.5), at(0.99))
            }
            let times = times.max(1);
            let (mut full, mut unchanged) = (Vec::new(), Vec::new());
            for _ in 0..times {
                let t0 = std::time::Instant::now();
                ring.reload_all().await.map_err(|e| e.to_string())?;
                full.push(t0.elapsed().as_secs_f64() * 1000.0);
                let t0 = std::time::Instant::now();
                ring.reload().await.map_err(|e| e.to_string())?;
                unchanged.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
            let (keys, published) = ring.size();
            let (f50, f99) = spread(full);
            let (u50, u99) = spread(unchanged);
            wln!(
                out,
                "the ring: {keys} keys, every one unsealed and parsed; {published} published"
            );
            wln!(
                out,
                "whole load: p50 {f50:.2} ms, p99 {f99:.2} ms; unchanged check: p50 {u50:.2} ms, \
                 p99 {u99:.2} ms ({times} times each)"
            );
        }
        KeysCmd::List => {
            let now = p.clock.now();
            wln!(
                out,
                "{:<22} {:<6} {:<8} {:>14} {:>14} {:>14}",
                "KID",
                "ALG",
                "STATE",
                "CREATED",
                "SIGNS/SIGNED",
                "RETIRED"
            );
            for k in ring.list().await.map_err(|e| e.to_string())? {
                let signs = k.activated_at.or(k.activate_after);
                wln!(
                    out,
                    "{:<22} {:<6} {:<8} {:>14} {:>14} {:>14}",
                    k.kid,
                    k.alg,
                    k.state,
                    when(now, Some(k.created_at)),
                    when(now, signs),
                    when(now, k.retired_at.or(k.revoked_at))
                );
            }
        }
        KeysCmd::Rotate { alg, now } => {
            let algs = match alg.as_deref() {
                Some(a) => vec![alg_of(a)?],
                None => SigAlg::ALL.to_vec(),
            };
            if now {
                eprintln!("oneid: warning: --now signs with the new key at once; relying parties holding a cached JWKS may reject its tokens until they refetch it");
            }
            for a in algs {
                let r = ring
                    .rotate(a, now, "cli")
                    .await
                    .map_err(|e| e.to_string())?;
                wln!(
                    out,
                    "{} {}: new key {} signs {}",
                    r.alg,
                    if now { "rotated" } else { "rotation started" },
                    r.kid,
                    when(p.clock.now(), Some(r.signs_from))
                );
            }
        }
        KeysCmd::Activate { kid } => {
            let old = ring
                .activate(&kid, "cli")
                .await
                .map_err(|e| e.to_string())?;
            wln!(
                out,
                "{kid} is active{}",
                old.map(|o| format!("; {o} retired")).unwrap_or_default()
            );
        }
        KeysCmd::Retire { kid } => {
            ring.retire(&kid, "cli").await.map_err(|e| e.to_string())?;
            wln!(out, "{kid} retired");
        }
        KeysCmd::Revoke { kid } => {
            let r = ring.revoke(&kid, "cli").await.map_err(|e| e.to_string())?;
            wln!(out, "{kid} revoked and removed from the JWKS");
            if let Some(n) = r {
                wln!(out, "{n} signs in its place");
            }
        }
        KeysCmd::Import { alg, file, now } => {
            let material = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let r = ring
                .import(alg_of(&alg)?, &material, now, "cli")
                .await
                .map_err(|e| e.to_string())?;
            wln!(
                out,
                "imported {} key {} signing {}",
                r.alg,
                r.kid,
                when(p.clock.now(), Some(r.signs_from))
            );
        }
    }
    Ok(())
}
