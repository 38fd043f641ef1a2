//! Reads a server asks on every request, kept until the registry says it has changed.
//!
//! A server on PostgreSQL asks for the registry's generation (tile and page caches key on it)
//! and for the caller's account (HTTP Basic, or a token) on every request: two round trips to
//! the database for a tile that is already made. Triggers (migration `0004_change_notify`)
//! `NOTIFY demine_changed` whenever the change log, the risk map, an account or a token
//! changes, from any process; a server that watches (`PgStore::watching_changes`) `LISTEN`s
//! and keeps those answers until the next notification or its own next write.
//!
//! **Invariant:** an answer is kept only while the listening connection is up, and is given
//! only at the change epoch it was read at: a notification, a write of this store, or a lost
//! or re-established connection moves the epoch, and every kept answer is then read afresh.
//! An answer read while the epoch moved is not kept (a write may have committed meanwhile).

use crate::{TokenRecord, UserRecord};
use sqlx::postgres::{PgListener, PgPool};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Weak;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

/// The channel the triggers notify.
pub(super) const CHANNEL: &str = "demine_changed";

/// How often the listening connection is shown to still deliver notifications.
const PROBE_EVERY: Duration = Duration::from_secs(30);

/// How long a probe may take to come back.
const PROBE_WAIT: Duration = Duration::from_secs(5);

/// The payload of probes (the triggers send table names).
const PROBE: &str = "probe:";

/// Accounts or tokens kept before the map is emptied (a bound on memory).
const MAX_KEPT: usize = 10_000;

/// Answers kept by key, each with the epoch it was read at.
type Kept<K, V> = Mutex<HashMap<K, (u64, V)>>;

/// What a watching store keeps, and the epoch that says whether it still holds.
#[derive(Debug, Default)]
pub(super) struct ChangeWatch {
    epoch: AtomicU64,
    listening: AtomicBool,
    generation: Kept<(), String>,
    users: Kept<String, Option<UserRecord>>,
    tokens: Kept<String, Option<TokenRecord>>,
}

impl ChangeWatch {
    /// Starts listening on `pool`'s database, in the background, until the store is dropped or
    /// its pool closed. Nothing is kept until a probe notification sent through the pool has come
    /// back on the listening connection (a pooler in transaction mode, which would drop
    /// notifications, never gets that far), and again every [`PROBE_EVERY`]: a probe that does
    /// not come back within [`PROBE_WAIT`] stops keeping and listens afresh.
    pub(super) fn start(pool: PgPool) -> Arc<ChangeWatch> {
        let watch = Arc::new(ChangeWatch::default());
        let w = Arc::downgrade(&watch);
        tokio::spawn(async move {
            let mut probes = 0u64;
            while !pool.is_closed() {
                if let Ok(listener) = listen(&pool).await {
                    let (heard, mut notifications) = tokio::sync::mpsc::unbounded_channel();
                    let receiving = tokio::spawn(receive(listener, heard));
                    loop {
                        probes += 1;
                        let probe = format!("{PROBE}{}-{probes}", std::process::id());
                        if !probe_heard(&pool, &probe, &mut notifications, &w).await {
                            break;
                        }
                        let Some(watch) = w.upgrade() else { return };
                        if !watch.listening.swap(true, Ordering::SeqCst) {
                            watch.changed();
                        }
                        drop(watch);
                        if !notifications_until(Instant::now() + PROBE_EVERY, &mut notifications, &w).await {
                            break;
                        }
                    }
                    receiving.abort();
                }
                let Some(watch) = w.upgrade() else { return };
                watch.listening.store(false, Ordering::SeqCst);
                watch.changed();
                drop(watch);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        watch
    }

    pub(super) fn listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// Something may have changed: nothing kept is given again.
    pub(super) fn changed(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    pub(super) async fn generation<F>(&self, read: F) -> crate::Result<String>
    where
        F: Future<Output = crate::Result<String>>,
    {
        self.keep(&self.generation, (), read).await
    }

    pub(super) async fn user<F>(&self, username: &str, read: F) -> crate::Result<Option<UserRecord>>
    where
        F: Future<Output = crate::Result<Option<UserRecord>>>,
    {
        self.keep(&self.users, username.to_string(), read).await
    }

    pub(super) async fn token<F>(&self, token_hash: &str, read: F) -> crate::Result<Option<TokenRecord>>
    where
        F: Future<Output = crate::Result<Option<TokenRecord>>>,
    {
        self.keep(&self.tokens, token_hash.to_string(), read).await
    }

    /// The answer kept for `key` at the current epoch, or `read`'s (kept if the epoch did not
    /// move while it was read and the listener is up).
    async fn keep<K, V, F>(&self, kept: &Kept<K, V>, key: K, read: F) -> crate::Result<V>
    where
        K: Eq + Hash,
        V: Clone,
        F: Future<Output = crate::Result<V>>,
    {
        let epoch = self.epoch.load(Ordering::SeqCst);
        let listening = self.listening.load(Ordering::SeqCst);
        if listening {
            let map = kept.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((e, v)) = map.get(&key) {
                if *e == epoch {
                    return Ok(v.clone());
                }
            }
        }
        let v = read.await?;
        if listening && self.listening.load(Ordering::SeqCst) && self.epoch.load(Ordering::SeqCst) == epoch {
            let mut map = kept.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() >= MAX_KEPT {
                map.clear();
            }
            map.insert(key, (epoch, v.clone()));
        }
        Ok(v)
    }
}

async fn listen(pool: &PgPool) -> sqlx::Result<PgListener> {
    let mut l = PgListener::connect_with(pool).await?;
    l.listen(CHANNEL).await?;
    Ok(l)
}

/// Passes each notification's payload on; `None` once the connection is lost.
async fn receive(mut listener: PgListener, heard: UnboundedSender<Option<String>>) {
    while let Ok(Some(n)) = listener.try_recv().await {
        if heard.send(Some(n.payload().to_string())).is_err() {
            return;
        }
    }
    let _ = heard.send(None);
}

/// Sends `probe` through the pool and waits for it on the listener (changes heard meanwhile
/// move the epoch). False when it did not come back in time or the connection was lost.
async fn probe_heard(
    pool: &PgPool,
    probe: &str,
    notifications: &mut UnboundedReceiver<Option<String>>,
    w: &Weak<ChangeWatch>,
) -> bool {
    let sent = sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(probe)
        .execute(pool)
        .await;
    if sent.is_err() {
        return false;
    }
    let deadline = Instant::now() + PROBE_WAIT;
    loop {
        match tokio::time::timeout_at(deadline, notifications.recv()).await {
            Ok(Some(Some(payload))) if payload == probe => return true,
            Ok(Some(Some(payload))) => {
                if !heard_change(&payload, w) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// Moves the epoch for each change heard until `until`. False when the connection was lost.
async fn notifications_until(
    until: Instant,
    notifications: &mut UnboundedReceiver<Option<String>>,
    w: &Weak<ChangeWatch>,
) -> bool {
    loop {
        match tokio::time::timeout_at(until, notifications.recv()).await {
            Err(_) => return true,
            Ok(Some(Some(payload))) => {
                if !heard_change(&payload, w) {
                    return false;
                }
            }
            Ok(_) => return false,
        }
    }
}

/// A notification: a change unless it is a probe (of this or another server). False when the
/// store is gone.
fn heard_change(payload: &str, w: &Weak<ChangeWatch>) -> bool {
    let Some(watch) = w.upgrade() else { return false };
    if !payload.starts_with(PROBE) {
        watch.changed();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listening() -> ChangeWatch {
        let w = ChangeWatch::default();
        w.listening.store(true, Ordering::SeqCst);
        w
    }

    #[tokio::test]
    async fn an_answer_is_kept_until_a_change_and_read_again_after_it() {
        let w = listening();
        assert_eq!(w.generation(async { Ok("7.0".to_string()) }).await.unwrap(), "7.0");
        assert_eq!(
            w.generation(async { Ok("never read".to_string()) }).await.unwrap(),
            "7.0",
            "kept while nothing changed"
        );
        w.changed();
        assert_eq!(w.generation(async { Ok("8.0".to_string()) }).await.unwrap(), "8.0");
    }

    #[tokio::test]
    async fn nothing_is_kept_without_a_listener_or_when_a_change_comes_during_the_read() {
        let w = ChangeWatch::default();
        w.generation(async { Ok("7.0".to_string()) }).await.unwrap();
        assert_eq!(
            w.generation(async { Ok("8.0".to_string()) }).await.unwrap(),
            "8.0",
            "not listening: every call reads"
        );
        let w = listening();
        w.generation(async {
            w.changed(); // a write committed while the generation was being read
            Ok("7.0".to_string())
        })
        .await
        .unwrap();
        assert_eq!(w.generation(async { Ok("8.0".to_string()) }).await.unwrap(), "8.0");
    }

    #[tokio::test]
    async fn accounts_are_kept_per_name_and_errors_are_never_kept() {
        let w = listening();
        assert!(w.user("alice", async { Ok(None) }).await.unwrap().is_none());
        assert!(w
            .user("bob", async { Err(crate::StoreError::Refused("down".into())) })
            .await
            .is_err());
        assert!(
            w.user("alice", async { Err(crate::StoreError::Refused("not asked".into())) })
                .await
                .unwrap()
                .is_none(),
            "alice kept"
        );
        assert!(w
            .user("bob", async { Err(crate::StoreError::Refused("asked again".into())) })
            .await
            .is_err());
    }
}
