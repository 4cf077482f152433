//! `oneid`: the binary. Everything it does lives in the library (`oneid::cli`).

use std::process::ExitCode;

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
