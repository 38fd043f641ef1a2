//! Answers kept until the registry changes.
//!
//! Some reads cost seconds on a national registry (land release over 100,000 hazards, the extent
//! of a million finds) and are asked for on every page load. A [`Memo`] keeps each answer with
//! the registry generation it was made at (`demine_app::features::generation`: two index
//! look-ups) and gives it again while the generation is the same; any write makes the next
//! request compute afresh.
//!
//! **Invariant:** a key carries everything the answer depends on besides the registry's
//! contents: the registry, the caller's role, organisation and assignments (so one
//! organisation never gets another's answer, and a role never gets an answer its rights would
//! not have given it), the request's parameters, and the day when the answer depends on today.

use crate::error::ApiResult;
use crate::state::AppState;
use demine_app::Actor;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Entries kept per memo before it is emptied, unless it says otherwise (a bound on memory,
/// not an eviction policy).
const MAX_ENTRIES: usize = 2_000;

/// Kept answers by key, each with the generation it was made at.
type Entries<V> = HashMap<String, (String, Arc<V>)>;

/// Answers of one kind.
pub struct Memo<V> {
    entries: Mutex<Option<Entries<V>>>,
    max_entries: usize,
}

impl<V> Memo<V> {
    pub const fn new() -> Memo<V> {
        Memo::bounded(MAX_ENTRIES)
    }

    /// A memo emptied when it holds `max_entries` answers.
    pub const fn bounded(max_entries: usize) -> Memo<V> {
        Memo {
            entries: Mutex::new(None),
            max_entries,
        }
    }

    /// The answer for `key` at the registry's current generation: the kept one, or `make`'s
    /// (kept when it succeeds; errors are never kept).
    pub async fn get_or_make<F, Fut>(&self, state: &AppState, key: String, make: F) -> ApiResult<Arc<V>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<V>>,
    {
        let generation = demine_app::features::generation(&state.registry).await?;
        let key = format!("{}\u{1f}{key}", state.registry.store.location());
        if let Some(v) = self.kept(&key, &generation) {
            return Ok(v);
        }
        let v = Arc::new(make().await?);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let map = entries.get_or_insert_with(HashMap::new);
        if map.len() >= self.max_entries {
            map.clear();
        }
        map.insert(key, (generation, v.clone()));
        Ok(v)
    }

    fn kept(&self, key: &str, generation: &str) -> Option<Arc<V>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .as_ref()?
            .get(key)
            .filter(|(g, _)| g == generation)
            .map(|(_, v)| v.clone())
    }
}

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Memo::new()
    }
}

/// The part of a key that says who asks: role, organisation and assignments.
pub fn caller_key(actor: &Actor) -> String {
    format!(
        "{:?}\u{1f}{:?}\u{1f}{:?}",
        actor.role, actor.organisation, actor.assigned
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_of_other_organisations_or_roles_have_other_keys() {
        let mut a = Actor::local("a");
        let b = a.clone();
        assert_eq!(
            caller_key(&a),
            caller_key(&b),
            "the name alone does not change the answer"
        );
        a.organisation = Some("ORG-A".into());
        assert_ne!(caller_key(&a), caller_key(&b));
        let mut c = b.clone();
        c.assigned = vec!["ORG-A".into()];
        assert_ne!(caller_key(&c), caller_key(&b));
    }
}
