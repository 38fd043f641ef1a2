//! Text of the changes to the registry: imports, amendments and retirements.

use super::{tr_any, tr_fill, Lang};
use crate::import::Imported;
use crate::registry::Computed;
use crate::upkeep::Corrected;
use demine_core::RecordKind;
use std::fmt::Write;

/// What `demine import` prints after a write (not a dry run): what was added or replaced, for
/// records or for a context `layer`.
pub fn imported_text(i: &Imported, layer: bool, lang: Lang) -> String {
    let text = if i.replaced > 0 && !layer {
        tr_fill(
            lang,
            "imported {} {} from {} into {}: {} added, {} replaced (previous versions kept in history)",
            &[&i.written, &i.kind, &i.file, &i.db, &i.inserted, &i.replaced],
        )
    } else if layer {
        tr_fill(
            lang,
            "imported {} features into {} of {}{}",
            &[
                &i.written,
                &i.kind,
                &i.db,
                &if i.replaced > 0 {
                    tr_fill(lang, " (replacing {})", &[&i.replaced])
                } else {
                    String::new()
                },
            ],
        )
    } else {
        tr_fill(
            lang,
            "imported {} {} from {} into {}",
            &[&i.written, &i.kind, &i.file, &i.db],
        )
    };
    text + "\n"
}

/// The land release of the hazards a change touched, recomputed: a line each.
pub fn recomputed_text(recomputed: &[(String, Computed)], lang: Lang) -> String {
    let mut out = String::new();
    for (id, c) in recomputed {
        let _ = writeln!(
            out,
            "{}",
            tr_fill(
                lang,
                "  hazard {}: {} m² remaining of {} m² ({})",
                &[
                    id,
                    &super::thousands(lang, c.figures.remaining_m2),
                    &super::thousands(lang, c.figures.area_m2),
                    &tr_any(lang, c.status.as_str()),
                ]
            )
        );
    }
    out
}

/// What `demine amend` prints: the versions, the reason and the land release recomputed.
pub fn amended_text(kind: RecordKind, c: &Corrected, lang: Lang) -> String {
    let mut out = tr_fill(
        lang,
        "amended {} {}: version {} → {} ({})",
        &[
            &tr_any(lang, kind.singular()),
            &c.id,
            &c.from_version,
            &c.version.map_or("?".to_string(), |v| v.to_string()),
            &c.reason,
        ],
    );
    out.push('\n');
    out.push_str(&recomputed_text(&c.recomputed, lang));
    out
}

/// What `demine retire` prints: the record retired, what went with it and the land release
/// recomputed.
pub fn retired_text(kind: RecordKind, c: &Corrected, lang: Lang) -> String {
    let mut out = tr_fill(
        lang,
        "retired {} {} (version {}; kept in its history): {}",
        &[&tr_any(lang, kind.singular()), &c.id, &c.from_version, &c.reason],
    );
    out.push('\n');
    for x in &c.cascaded {
        let _ = writeln!(out, "{}", tr_fill(lang, "  with it: {}", &[x]));
    }
    out.push_str(&recomputed_text(&c.recomputed, lang));
    out
}

/// What `demine profile list` prints: each shipped import profile with the kind it maps.
pub fn profiles_text(profiles: &[(String, String)]) -> String {
    let mut out = String::new();
    for (name, kind) in profiles {
        let _ = writeln!(out, "{name:<20} {kind}");
    }
    out
}
