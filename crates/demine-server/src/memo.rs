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

/// An answer being made or made: callers that ask while it is being made wait for it rather
/// than making it again (the first view's tiles are asked by every map that opens at once).
type Slot<V> = Arc<tokio::sync::OnceCell<Arc<V>>>;

/// Answers by key, each with the generation it was made at.
type Entries<V> = HashMap<String, (String, Slot<V>)>;

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
    /// (kept when it succeeds; errors are never kept). While one caller makes it, others asking
    /// for the same key and generation wait for that answer.
    pub async fn get_or_make<F, Fut>(&self, state: &AppState, key: String, make: F) -> ApiResult<Arc<V>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<V>>,
    {
        let generation = demine_app::features::generation(&state.registry).await?;
        let key = format!("{}\u{1f}{key}", state.registry.store.location());
        let slot = self.slot(key, generation);
        let v = slot.get_or_try_init(|| async { make().await.map(Arc::new) }).await?;
        Ok(v.clone())
    }

    /// The slot of `key` at `generation`: the one kept, or a new empty one in its place.
    fn slot(&self, key: String, generation: String) -> Slot<V> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let map = entries.get_or_insert_with(HashMap::new);
        if let Some((g, slot)) = map.get(&key) {
            if *g == generation {
                return slot.clone();
            }
        }
        if map.len() >= self.max_entries {
            map.clear();
        }
        let slot = Slot::default();
        map.insert(key, (generation, slot.clone()));
        slot
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_asking_while_an_answer_is_made_wait_for_it_and_a_new_generation_makes_it_again() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let memo: Arc<Memo<u32>> = Arc::new(Memo::bounded(8));
        let ask = |generation: &'static str| {
            let memo = memo.clone();
            async move {
                let slot = memo.slot("tile 5/18/10".into(), generation.into());
                let v = slot
                    .get_or_try_init(|| async {
                        MADE.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok::<_, ()>(Arc::new(7))
                    })
                    .await
                    .unwrap();
                **v
            }
        };
        let mut callers = tokio::task::JoinSet::new();
        for _ in 0..8 {
            callers.spawn(ask("1.0"));
        }
        let answers = callers.join_all().await;
        assert_eq!(answers, vec![7; 8]);
        assert_eq!(MADE.load(Ordering::SeqCst), 1, "eight callers at once, one answer made");
        ask("1.0").await;
        assert_eq!(MADE.load(Ordering::SeqCst), 1, "kept while the registry is unchanged");
        ask("2.0").await;
        assert_eq!(MADE.load(Ordering::SeqCst), 2, "made again after a change");
    }

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
