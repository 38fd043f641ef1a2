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

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
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
