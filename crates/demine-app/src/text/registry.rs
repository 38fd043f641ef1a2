//! Text of what the registry holds: status, data-quality check, change log, context layers and
//! accounts.

use super::{label_width, tr, tr_fill, Lang};
use crate::registry::{Checked, Status};
use demine_report::lang::Noun;
use demine_store::{ChangeLogEntry, UserRecord};
use std::fmt::Write;
use std::path::Path;

/// What `demine status` prints: the records per layer.
pub fn status_text(s: &Status, lang: Lang) -> String {
    let mut out = String::new();
    if s.data.is_some() {
        let _ = writeln!(out, "{}", tr(lang, "*** SYNTHETIC DATA ***"));
    }
    let c = &s.counts;
    let _ = writeln!(out, "{}", tr_fill(lang, "registry {}", &[&s.db]));
    let rows = [
        ("hazards", c.hazards, None),
        ("activities", c.activities, None),
        ("finds", c.finds, None),
        ("accidents", c.accidents, None),
        ("released land", c.released_land, Some(Noun::Piece)),
        ("organisations", c.organisations, None),
        ("teams", c.teams, None),
        ("daily progress", c.daily_progress, Some(Noun::Report)),
        ("QA", c.qa_inspections, Some(Noun::Inspection)),
        ("history", c.history, Some(Noun::EarlierVersion)),
        ("change log", c.change_log, Some(Noun::Entry)),
    ];
    let w = label_width(lang, &rows.map(|(layer, _, _)| layer), 15);
    for (layer, count, unit) in rows {
        let unit = unit
            .map(|u| format!(" {}", super::noun_after(lang, count, u)))
            .unwrap_or_default();
        let _ = writeln!(out, "  {:<w$}{count:>9}{unit}", tr(lang, layer));
    }
    out
}

/// What `demine check` prints: one line per issue and a count by check.
pub fn check_text(c: &Checked, lang: Lang) -> String {
    let mut out = String::new();
    for i in &c.issues {
        // The check's name stays as `--json` and scripts know it.
        let _ = writeln!(
            out,
            "{}: {} {}: [{}] {}",
            super::tr_ctx(lang, "severity", i.severity),
            tr(lang, i.layer),
            i.id,
            i.check,
            super::tr_note(lang, &i.message)
        );
    }
    let mut by_check: std::collections::BTreeMap<&str, usize> = Default::default();
    for i in &c.issues {
        *by_check.entry(i.check).or_default() += 1;
    }
    let _ = writeln!(
        out,
        "{}",
        tr_fill(
            lang,
            "{} issue(s): {} error(s), {} warning(s) over {} hazards, {} activities, {} finds{}",
            &[
                &c.issues.len(),
                &c.errors,
                &c.warnings,
                &c.hazards,
                &c.activities,
                &c.finds,
                &if by_check.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        by_check
                            .iter()
                            .map(|(k, v)| format!("{k}: {v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            ]
        )
    );
    out
}

/// What `demine log` prints: one line per change-log entry.
pub fn log_text(entries: &[ChangeLogEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        let _ = writeln!(
            out,
            "#{:<7} {} {:<10} {:<9} {:<16} {:<14} {}",
            e.seq,
            e.at,
            e.actor,
            e.action,
            e.entity,
            e.entity_id.as_deref().unwrap_or("-"),
            e.reason.as_deref().unwrap_or_else(|| e.batch.as_deref().unwrap_or(""))
        );
    }
    out
}

/// What `demine layers` prints: each context layer with its feature count.
pub fn layers_text(layers: &[(String, u64)], lang: Lang) -> String {
    let mut out = String::new();
    if layers.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            tr(lang, "no context layers; add one with `demine import layer NAME FILE`")
        );
    }
    for (l, n) in layers {
        let _ = writeln!(out, "{l:<24} {n:>9} {}", super::noun_after(lang, *n, Noun::Feature));
    }
    out
}

/// What `demine user list` prints: each account with its role, organisation and state.
pub fn users_text(users: &[UserRecord], lang: Lang) -> String {
    let mut out = String::new();
    if users.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            tr(lang, "no accounts; add one with `demine user add NAME --role admin`")
        );
    }
    for u in users {
        let state = if u.disabled {
            tr(lang, "disabled").to_string()
        } else if let Some(t) = &u.locked_until {
            tr_fill(lang, "locked until {}", &[t])
        } else {
            super::tr_ctx(lang, "account", "active").to_string()
        };
        let _ = writeln!(
            out,
            "{:<24} {:<13} {:<16} {}{}",
            u.username,
            u.role,
            u.organisation.as_deref().unwrap_or("-"),
            state,
            if u.assigned.is_empty() {
                String::new()
            } else {
                tr_fill(lang, " (inspects {})", &[&u.assigned.join(", ")])
            }
        );
    }
    out
}

/// What `demine demo` prints: the demo's lines, then how to share its registry and log in.
pub fn demo_text(s: &crate::demo::DemoSummary, login: &crate::accounts::DemoLogin, lang: Lang) -> String {
    let mut out = String::new();
    for l in &s.lines {
        let _ = writeln!(out, "{l}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}",
        tr_fill(lang, "To share this registry: demine --db {} serve", &[&s.db.display()])
    );
    let _ = writeln!(
        out,
        "{}",
        tr_fill(
            lang,
            "  then open http://127.0.0.1:8080/api/v1/docs and log in as {} with password {}",
            &[&login.username, &login.password]
        )
    );
    let _ = writeln!(
        out,
        "{}",
        tr_fill(
            lang,
            "  (a SYNTHETIC demo account; `demine user passwd {}` changes the password)",
            &[&login.username]
        )
    );
    out
}

/// What `demine backup` prints: the file written, its size, and how to restore it into `db`.
pub fn backup_text(file: &Path, bytes: u64, db: &str, lang: Lang) -> String {
    format!(
        "{}\n{}\n",
        tr_fill(
            lang,
            "backup written: {} ({} MB)",
            &[&file.display(), &super::thousands(lang, bytes as f64 / 1e6)]
        ),
        tr_fill(
            lang,
            "restore it with: demine --db {} restore {}",
            &[&db, &file.display()]
        )
    )
}

/// What `demine audit checkpoint` prints: the key if it was `created`, the checkpoint written to
/// `out` and where to keep it.
pub fn checkpoint_text(
    c: &crate::audit::Checkpoint,
    out_file: &Path,
    key_path: &Path,
    created: bool,
    lang: Lang,
) -> String {
    let mut out = String::new();
    if created {
        let _ = writeln!(
            out,
            "{}",
            tr_fill(
                lang,
                "new signing key: {} (mode 0600; keep it safe)",
                &[&key_path.display()]
            )
        );
    }
    let _ = writeln!(
        out,
        "{}",
        tr_fill(
            lang,
            "checkpoint written: {} (entry {}, {} entries, key {})",
            &[
                &out_file.display(),
                &c.seq,
                &super::thousands(lang, c.entries as f64),
                &c.public_key,
            ]
        )
    );
    let _ = writeln!(
        out,
        "{}",
        tr_fill(
            lang,
            "keep it outside the registry; later: demine audit verify --checkpoint {}",
            &[&out_file.display()]
        )
    );
    out
}
