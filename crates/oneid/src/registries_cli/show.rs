//! How registries, their keys and dates read and are given on the command line: days as
//! `YYYY-MM-DD` (UTC), times as `YYYY-MM-DD HH:MM:SS UTC`, a registry in one line or in full.

use registration::{Registry, RegistryKey};
use std::io::Write;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD` as unix seconds at 00:00:00 UTC.
fn parse_day(flag: &str, s: &str) -> Result<i64, String> {
    let bad = || format!("{flag} {s:?}: use YYYY-MM-DD");
    let mut it = s.trim().splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (it.next(), it.next(), it.next()) else {
        return Err(bad());
    };
    let (y, m, d): (i64, i64, i64) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let days = days_from_civil(y, m, d);
    if civil_from_days(days) != (y, m, d) {
        return Err(bad()); // e.g. 2026-02-30
    }
    Ok(days * 86_400)
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub(super) fn show_time(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// `Some(None)` for `none`, else the day (from: its start; until: its last second).
pub(crate) fn window(
    flag: &str,
    v: Option<&str>,
    end: bool,
) -> Result<Option<Option<i64>>, String> {
    match v.map(str::trim) {
        None => Ok(None),
        Some("none") => Ok(Some(None)),
        Some(d) => Ok(Some(Some(
            parse_day(flag, d)? + if end { 86_399 } else { 0 },
        ))),
    }
}

pub(crate) fn level(l: i64) -> String {
    format!("AL{l}")
}

pub(super) fn one_line(r: &Registry, keys: &[RegistryKey], now: i64) -> String {
    let live = keys
        .iter()
        .filter(|k| k.retire_at.is_none_or(|t| t > now))
        .count();
    format!(
        "{}\t{}\tcollege={}\tlevel={}\tapproval={}\tstatus={}\tsponsor={}\tservices={}\tkeys={live} live",
        r.id,
        r.name,
        r.college,
        level(r.assurance_level),
        r.approval.as_str(),
        r.status.as_str(),
        r.sponsor_id.as_deref().unwrap_or("-"),
        r.services.join(","),
    )
}

pub(super) fn show(out: &mut (dyn Write + Send), r: &Registry, keys: &[RegistryKey], now: i64) {
    let opt_time = |t: Option<i64>| t.map_or_else(|| "-".to_owned(), show_time);
    wln!(out, "id:              {}", r.id);
    wln!(out, "name:            {}", r.name);
    wln!(out, "owner:           {}", r.owner);
    wln!(out, "contact:         {}", r.contact);
    wln!(out, "college:         {}", r.college);
    wln!(out, "id scheme:       {}", r.id_scheme);
    wln!(out, "assurance level: {}", level(r.assurance_level));
    wln!(out, "approval:        {}", r.approval.as_str());
    wln!(out, "approved from:   {}", opt_time(r.approved_from));
    wln!(out, "approved until:  {}", opt_time(r.approved_until));
    wln!(
        out,
        "status:          {} (since {})",
        r.status.as_str(),
        show_time(r.status_changed_at)
    );
    wln!(
        out,
        "sponsor:         {}",
        r.sponsor_id.as_deref().unwrap_or("-")
    );
    wln!(
        out,
        "services:        {}",
        if r.services.is_empty() {
            "-".to_owned()
        } else {
            r.services.join(", ")
        }
    );
    wln!(out, "keys:");
    if keys.is_empty() {
        wln!(out, "  (none: no hand-off can be accepted)");
    }
    for k in keys {
        let state = match k.retire_at {
            None => "live".to_owned(),
            Some(t) if t > now => format!("live until {}", show_time(t)),
            Some(t) => format!("retired {}", show_time(t)),
        };
        wln!(
            out,
            "  {}  {}  added {}  {state}",
            k.kid,
            k.alg,
            show_time(k.created_at)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_and_show_in_utc() {
        assert_eq!(parse_day("--x", "1970-01-01").unwrap(), 0);
        assert_eq!(parse_day("--x", "2000-02-29").unwrap(), 951_782_400);
        assert!(parse_day("--x", "2026-02-30").is_err());
        assert!(parse_day("--x", "26-1-1").is_err());
        assert!(parse_day("--x", "yesterday").is_err());
        assert_eq!(show_time(951_782_400 + 86_399), "2000-02-29 23:59:59 UTC");
        assert_eq!(
            window("--x", Some("2000-02-29"), true).unwrap(),
            Some(Some(951_782_400 + 86_399))
        );
        assert_eq!(window("--x", Some("none"), false).unwrap(), Some(None));
    }
}
