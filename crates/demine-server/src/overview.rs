//! The national overview, made ahead.
//!
//! The first view of the web map is the whole registry at zoom 5: every collection's extent and
//! count (a million finds take seconds to bound and count) and the zoom-0–5 tiles of the layers
//! it shows first (each cut from nearly every hazard, 1–5 s). Made on the first request, they
//! kept the first user after a start waiting ~10 s. When the server starts, and again after the
//! registry has changed (at most every ten minutes), this makes them in the background for readers of every
//! organisation (administrators and analysts, whose scope is the whole registry), through the
//! same kept answers the routes give ([`crate::memo::Memo`]), so the routes find them made.

use crate::ogc::features::extent_and_count;
use crate::ogc::tiles::{kept_tile, tiles_covering};
use crate::state::AppState;
use demine_app::features as uc;
use demine_app::Actor;
use std::time::Duration;

/// The deepest zoom made ahead: the web map's first view of a country.
pub const AHEAD_TO_ZOOM: u8 = 5;

/// The layers the web map shows first.
const FIRST_VIEW_LAYERS: [&str; 3] = ["hazards", "released_land", "accidents"];

/// How often the registry is looked at for a change (two index look-ups).
const LOOK_EVERY: Duration = Duration::from_secs(5);

/// The overview is made again at most this often: it costs one to two minutes of one core on a
/// national registry, and a registry with field teams writing all day changes every minute.
const AT_MOST_EVERY: Duration = Duration::from_secs(600);

/// Makes the overview now and after the registry changes (at most every [`AT_MOST_EVERY`]),
/// until the server stops.
pub async fn keep_made(state: AppState) {
    let mut made_at: Option<String> = None;
    loop {
        match uc::generation(&state.registry).await {
            Ok(g) if made_at.as_ref() != Some(&g) => {
                let started = std::time::Instant::now();
                make(&state).await;
                tracing::info!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "national overview made ahead"
                );
                made_at = Some(g);
                tokio::time::sleep(AT_MOST_EVERY.saturating_sub(started.elapsed())).await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "national overview: the registry could not be read"),
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

/// Makes every collection's extent and count, and the first view's tiles, for a reader of every
/// organisation. Errors are logged and skipped: the routes make what is missing on request.
async fn make(state: &AppState) {
    let reader = Actor::local("overview");
    let collections = match uc::collections(&state.registry, &reader).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "national overview: no collections");
            return;
        }
    };
    let mut hazards_box = None;
    for c in &collections {
        match extent_and_count(state, &reader, c).await {
            Ok((b, _)) if c.id == "hazards" => hazards_box = b,
            Ok(_) => {}
            Err(e) => tracing::warn!(collection = %c.id, error = ?e, "national overview: extent"),
        }
    }
    let Some(b) = hazards_box else { return };
    // The first view's zoom first: a map opened while this runs waits for the tile being made.
    for z in (0..=AHEAD_TO_ZOOM).rev() {
        for (x, y) in tiles_covering(&b, z) {
            for c in collections
                .iter()
                .filter(|c| FIRST_VIEW_LAYERS.contains(&c.id.as_str()))
            {
                if let Err(e) = kept_tile(state, &reader, c, z, x, y).await {
                    tracing::warn!(layer = %c.id, z, x, y, error = ?e, "national overview: tile");
                }
            }
        }
    }
}
