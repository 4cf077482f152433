//! `oneid`: the binary. Everything it does lives in the library (`oneid::cli`).

use std::process::ExitCode;

// mimalloc hands freed memory back to the system; glibc keeps a 64 MiB arena per thread
// that ever hashed a password (measured: 485 MB resident after a login flood).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let code = oneid::cli::run(
        std::env::args_os(),
        &mut std::io::stdin(),
        &mut std::io::stdout(),
    )
    .await;
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
