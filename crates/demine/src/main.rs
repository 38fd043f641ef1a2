//! `demine`: the command-line face of demine. It only wires the library crates together:
//! files (demine-io) → validation (demine-core) → accounting (demine-core) → store
//! (demine-store) → reports (demine-report). No domain logic lives here.

mod cli;
mod commands;
mod field;
mod output;
mod plan;
mod priority;
mod risk;
mod risk_build;
mod risk_suggest;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

/// Every option that takes a value accepts a negative number (`--heading -30`, `--width -1`),
/// so that a sign mistake reaches demine's own range checks, which say what is allowed,
/// instead of clap's "unexpected argument".
fn negative_numbers_are_values(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|a| {
        if a.get_action().takes_values() && !a.is_positional() {
            a.allow_negative_numbers(true)
        } else {
            a
        }
    })
    .mut_subcommands(negative_numbers_are_values)
}

fn main() -> ExitCode {
    // `demine … | head` ends quietly when the reader goes away, as Unix tools do, instead of
    // panicking on a failed write to stdout.
    #[cfg(unix)]
    // SAFETY: restoring the default action of one signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let matches = negative_numbers_are_values(cli::Cli::command()).get_matches();
    let args = match cli::Cli::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
