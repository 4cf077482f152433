//! A busy handler for the embedded SQLite that waits in short steps.
//!
//! SQLite lets one connection write at a time. A connection that finds the write lock taken
//! calls its busy handler, and the one `PRAGMA busy_timeout` installs sleeps 1, 2, 5, 10, 15
//! … ms between tries. A write holds the lock for about a tenth of a millisecond here, so a
//! writer that loses the race once sleeps ten times longer than it needed to, and one that
//! loses it three times sleeps 8 ms: under a load of sign-ins, those sleeps were the slowest
//! percent of the SSO round trip (measured with `perf record -e
//! syscalls:sys_enter_clock_nanosleep -g`: every sleep came from `sqliteDefaultBusyCallback`).
//!
//! This handler tries again every 50 µs for the first 10 ms, then every millisecond, and gives
//! up after [`TIMEOUT`] as `busy_timeout` did. It runs on sqlx's own thread for the connection,
//! never on an async worker.
//!
//! sqlx sets the default handler itself when it opens a connection, so ours is installed
//! afterwards, from SQL: an auto-extension gives every connection this process opens the
//! function `oneid_short_busy_waits()`, and `Db::connect` calls it first thing on each new
//! connection ([`INSTALL`]). This is the only unsafe code in oneid: four calls into SQLite's C
//! API, each with the arguments its documentation asks for.
#![allow(unsafe_code)]

use libsqlite3_sys as ffi;
use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::Once;
use std::time::{Duration, Instant};

/// The statement that installs the handler on the connection running it; answers 1.
pub(crate) const INSTALL: &str = "SELECT oneid_short_busy_waits()";

/// How long a connection waits for the write lock before the statement fails with
/// SQLITE_BUSY (what `PRAGMA busy_timeout = 5000` gave).
pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);

const FUNCTION: &CStr = c"oneid_short_busy_waits";
const SHORT_STEP: Duration = Duration::from_micros(50);
const SHORT_PHASE: Duration = Duration::from_millis(10);
const LONG_STEP: Duration = Duration::from_millis(1);

/// Makes `oneid_short_busy_waits()` available on every SQLite connection opened from now on
/// in this process. Idempotent.
pub(crate) fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `entry` has the entry-point signature SQLite documents for extensions; the
        // auto-extension list is SQLite's own, guarded by its static mutex.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(entry)) };
        if rc != ffi::SQLITE_OK {
            // Without the function, `INSTALL` fails and every connection with it: loud.
            tracing::error!(rc, "could not register the SQLite busy-handler function");
        }
    });
}

/// Runs inside `sqlite3_open_v2` for each new connection.
unsafe extern "C" fn entry(
    db: *mut ffi::sqlite3,
    _err: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection being opened; the name is a NUL-terminated static; no
    // application data or destructor is attached.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            FUNCTION.as_ptr(),
            0,
            ffi::SQLITE_UTF8,
            std::ptr::null_mut(),
            Some(install),
            None,
            None,
            None,
        )
    }
}

/// The SQL function: replaces the calling connection's busy handler with [`busy`].
unsafe extern "C" fn install(
    ctx: *mut ffi::sqlite3_context,
    _argc: c_int,
    _argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: `ctx` is the live context SQLite passed in; its connection handle stays valid
    // for the call; the handler takes no argument pointer.
    unsafe {
        let db = ffi::sqlite3_context_db_handle(ctx);
        let rc = ffi::sqlite3_busy_handler(db, Some(busy), std::ptr::null_mut());
        if rc == ffi::SQLITE_OK {
            ffi::sqlite3_result_int(ctx, 1);
        } else {
            ffi::sqlite3_result_error_code(ctx, rc);
        }
    }
}

thread_local! {
    /// When the current wait began: a wait runs inside one `sqlite3_step`, on one thread.
    static WAIT_BEGAN: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// SQLite calls this with `count` = the number of times it already did for this lock;
/// non-zero means "try again".
unsafe extern "C" fn busy(_arg: *mut c_void, count: c_int) -> c_int {
    let now = Instant::now();
    let began = WAIT_BEGAN.with(|b| {
        if count == 0 || b.get().is_none() {
            b.set(Some(now));
        }
        b.get().unwrap_or(now)
    });
    c_int::from(wait_step(now - began).is_some_and(|d| {
        std::thread::sleep(d);
        true
    }))
}

/// How long to sleep before the next try after `waited` so far; `None`: give up.
fn wait_step(waited: Duration) -> Option<Duration> {
    if waited >= TIMEOUT {
        None
    } else if waited < SHORT_PHASE {
        Some(SHORT_STEP)
    } else {
        Some(LONG_STEP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_steps_first_then_longer_then_gives_up_at_the_timeout() {
        assert_eq!(wait_step(Duration::ZERO), Some(SHORT_STEP));
        assert_eq!(wait_step(Duration::from_millis(9)), Some(SHORT_STEP));
        assert_eq!(wait_step(Duration::from_millis(10)), Some(LONG_STEP));
        assert_eq!(wait_step(Duration::from_millis(4_999)), Some(LONG_STEP));
        assert_eq!(wait_step(TIMEOUT), None);
    }
}
