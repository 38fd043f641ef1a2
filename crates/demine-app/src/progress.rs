//! Progress of long work (demo, risk build, plans): the CLI draws bars, the server reports job
//! progress.

/// Where long work reports how far it is.
pub trait Progress: Send + Sync {
    /// A new stage begins (e.g. "building the risk map on H3 cells").
    fn stage(&self, message: &str);
    /// `done` of `total` units of the current stage.
    fn advance(&self, done: u64, total: u64) {
        let _ = (done, total);
    }
    /// The stage is over.
    fn finish(&self) {}
    /// A note for the user (something was skipped, a default was used).
    fn note(&self, message: &str) {
        let _ = message;
    }
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn stage(&self, _message: &str) {}
}
