//! `demine`: the command-line face of demine. It parses arguments, calls the use cases of
//! `demine-app`, formats what they return and sets the exit code — nothing else:
//! 0 done; 1 something failed that is not the input (disk, database); 2 input refused (bad
//! file or option, unknown record, stale version): nothing was written.

mod cli;
mod help;
mod run;
mod ui;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut command = negative_numbers_are_values(cli::Cli::command());
    // clap prints the help while it parses, so the help's language is known before.
    let lang = help::lang_of(&argv, |v| std::env::var(v).ok());
    if lang == demine_app::text::Lang::Uk {
        command = help::in_ukrainian(command);
    }
    let matches = command
        .try_get_matches_from(argv)
        .unwrap_or_else(|e| help::exit_on(e, lang));
    let args = cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| help::exit_on(e, lang));
    // `demine … | head` ends quietly when the reader goes away, as Unix tools do, instead of
    // panicking on a failed write to stdout. Not the server: a write to a connection its client
    // has closed (a browser navigating away) would raise SIGPIPE and kill it.
    #[cfg(unix)]
    if !matches!(args.command, cli::Command::Serve { .. }) {
        // SAFETY: restoring the default action of one signal before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(run::run(args))
}
