//! The `skiptrace` command line: each subcommand parses its flags and calls one library function.

mod cmd;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status of a run that failed on the caller's input (a bad file, flag or query), as
/// against 1 for a failure of the system (disk, index): scripts can tell "fix your file" from
/// "call us".
const EXIT_USER_ERROR: u8 = 2;

/// Prints a failed run's error and the causes that add to it (an I/O error's own text is
/// usually already in the message above it).
fn report(error: &anyhow::Error) {
    let mut said = error.to_string();
    eprintln!("error: {said}");
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !said.contains(&text) {
            eprintln!("  because: {text}");
        }
        said = text;
    }
}

fn main() -> ExitCode {
    let cli = cmd::Cli::parse();
    cmd::init_tracing(&cli);
    match cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&error);
            let user_error = error.chain().any(|cause| {
                cause
                    .downcast_ref::<skiptrace::error::Error>()
                    .is_some_and(skiptrace::error::Error::is_user_error)
            });
            ExitCode::from(if user_error { EXIT_USER_ERROR } else { 1 })
        }
    }
}
