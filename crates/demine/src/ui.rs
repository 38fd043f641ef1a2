//! Progress bars and spinners on the terminal (indicatif): hidden when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;
use std::time::Duration;

/// Draws the stages of long work.
#[derive(Default)]
pub struct Bars {
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
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
        pb.set_message(message.to_string());
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
            Some(pb) => pb.suspend(|| eprintln!("note: {message}")),
            None => eprintln!("note: {message}"),
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.replace(None);
    }
}
