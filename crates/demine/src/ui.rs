//! Progress bars and spinners on the terminal (indicatif): hidden when stderr is not a terminal.

use demine_app::text::{tr_ctx, tr_message, Lang};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;
use std::time::Duration;

/// Draws the stages of long work, its texts in the command's language.
pub struct Bars {
    current: Mutex<Option<ProgressBar>>,
    lang: Lang,
}

/// Prints a message for a person on standard error: its label (`error`, `warning`, `note`) and
/// its text, both in `lang`.
pub fn say(lang: Lang, label: &'static str, message: &str) {
    eprintln!("{}: {}", tr_ctx(lang, "label", label), tr_message(lang, message));
}

impl Bars {
    pub fn new(lang: Lang) -> Bars {
        Bars {
            current: Mutex::new(None),
            lang,
        }
    }

    fn replace(&self, pb: Option<ProgressBar>) {
        let mut cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = cur.take() {
            old.finish_and_clear();
        }
        *cur = pb;
    }
}

impl demine_app::Progress for Bars {
    fn stage(&self, message: &str) {
        let pb = ProgressBar::new_spinner();
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.set_message(tr_message(self.lang, message));
        pb.enable_steady_tick(Duration::from_millis(120));
        self.replace(Some(pb));
    }

    fn advance(&self, done: u64, total: u64) {
        let cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pb) = cur.as_ref() {
            if pb.length().is_none() {
                pb.set_style(
                    ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} [{elapsed}]")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
            }
            pb.set_length(total);
            pb.set_position(done);
        }
    }

    fn finish(&self) {
        self.replace(None);
    }

    fn note(&self, message: &str) {
        let cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match cur.as_ref() {
            Some(pb) => pb.suspend(|| say(self.lang, "note", message)),
            None => say(self.lang, "note", message),
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.replace(None);
    }
}

/// Structured logs of `demine serve` on standard error: `RUST_LOG` filters (default `info`),
/// `DEMINE_LOG_FORMAT=json` gives one JSON object per line for log collectors. Colours only on
/// a terminal (and not with `NO_COLOR`): a log file or a journal gets plain text to grep.
pub fn init_logs() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let colours = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colours)
        .with_writer(std::io::stderr);
    if std::env::var("DEMINE_LOG_FORMAT").is_ok_and(|v| v == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// A password from standard input: prompted without echo on a terminal, else the first line.
pub fn read_password(prompt: &str) -> demine_app::AppResult<String> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        eprint!("{prompt}");
    }
    let _echo = terminal.then(EchoOff::new).flatten();
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| demine_app::AppError::refused(format!("reading the password from standard input: {e}")))?;
    if terminal {
        eprintln!();
    }
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(demine_app::AppError::refused(
            "no password on standard input: type it, or pipe it (e.g. `demine user add NAME --role admin < secret.txt`)",
        ));
    }
    Ok(password)
}

/// Terminal echo off while it lives (Unix); restored on drop.
struct EchoOff {
    #[cfg(unix)]
    saved: libc::termios,
}

impl EchoOff {
    #[cfg(unix)]
    fn new() -> Option<EchoOff> {
        // SAFETY: tcgetattr/tcsetattr on standard input with a zeroed, then filled, termios.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return None;
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            libc::tcsetattr(0, libc::TCSANOW, &t);
            Some(EchoOff { saved })
        }
    }
    #[cfg(not(unix))]
    fn new() -> Option<EchoOff> {
        None
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        #[cfg(unix)]
        // SAFETY: restoring the attributes read in `new`.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.saved);
        }
    }
}
