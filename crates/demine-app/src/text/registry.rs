//! Text of what the registry holds: status, data-quality check, change log, context layers and
//! accounts.

use crate::registry::{Checked, Status};
use demine_store::{ChangeLogEntry, UserRecord};
use std::fmt::Write;
use std::path::Path;

/// What `demine status` prints: the records per layer.
pub fn status_text(s: &Status) -> String {
    let mut out = String::new();
    if s.data.is_some() {
        let _ = writeln!(out, "*** SYNTHETIC DATA ***");
    }
    let c = &s.counts;
    let _ = writeln!(out, "registry {}", s.db);
    let rows = [
        ("hazards", c.hazards, ""),
        ("activities", c.activities, ""),
        ("finds", c.finds, ""),
        ("accidents", c.accidents, ""),
        ("released land", c.released_land, " pieces"),
        ("organisations", c.organisations, ""),
        ("teams", c.teams, ""),
        ("daily progress", c.daily_progress, " reports"),
        ("QA", c.qa_inspections, " inspections"),
        ("history", c.history, " earlier versions"),
        ("change log", c.change_log, " entries"),
    ];
    for (layer, count, unit) in rows {
        let _ = writeln!(out, "  {layer:<15}{count:>9}{unit}");
    }
    out
}

/// What `demine check` prints: one line per issue and a count by check.
pub fn check_text(c: &Checked) -> String {
    let mut out = String::new();
    for i in &c.issues {
        let _ = writeln!(out, "{}: {} {}: [{}] {}", i.severity, i.layer, i.id, i.check, i.message);
    }
    let mut by_check: std::collections::BTreeMap<&str, usize> = Default::default();
    for i in &c.issues {
        *by_check.entry(i.check).or_default() += 1;
    }
    let _ = writeln!(
        out,
        "{} issue(s): {} error(s), {} warning(s) over {} hazards, {} activities, {} finds{}",
        c.issues.len(),
        c.errors,
        c.warnings,
        c.hazards,
        c.activities,
        c.finds,
        if by_check.is_empty() {
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
        }
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
pub fn layers_text(layers: &[(String, u64)]) -> String {
    let mut out = String::new();
    if layers.is_empty() {
        let _ = writeln!(out, "no context layers; add one with `demine import layer NAME FILE`");
    }
    for (l, n) in layers {
        let _ = writeln!(out, "{l:<24} {n:>9} features");
    }
    out
}

/// What `demine user list` prints: each account with its role, organisation and state.
pub fn users_text(users: &[UserRecord]) -> String {
    let mut out = String::new();
    if users.is_empty() {
        let _ = writeln!(out, "no accounts; add one with `demine user add NAME --role admin`");
    }
    for u in users {
        let state = if u.disabled {
            "disabled".to_string()
        } else if let Some(t) = &u.locked_until {
            format!("locked until {t}")
        } else {
            "active".to_string()
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
                format!(" (inspects {})", u.assigned.join(", "))
            }
        );
    }
    out
}

/// What `demine demo` prints: the demo's lines, then how to share its registry and log in.
pub fn demo_text(s: &crate::demo::DemoSummary, login: &crate::accounts::DemoLogin) -> String {
    let mut out = String::new();
    for l in &s.lines {
        let _ = writeln!(out, "{l}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "To share this registry: demine --db {} serve", s.db.display());
    let _ = writeln!(
        out,
        "  then open http://127.0.0.1:8080/api/v1/docs and log in as {} with password {}",
        login.username, login.password
    );
    let _ = writeln!(
        out,
        "  (a SYNTHETIC demo account; `demine user passwd {}` changes the password)",
        login.username
    );
    out
}

/// What `demine backup` prints: the file written, its size, and how to restore it into `db`.
pub fn backup_text(file: &Path, bytes: u64, db: &str) -> String {
    format!(
        "backup written: {} ({} MB)\nrestore it with: demine --db {} restore {}\n",
        file.display(),
        super::thousands(bytes as f64 / 1e6),
        db,
        file.display()
    )
}

/// What `demine audit checkpoint` prints: the key if it was `created`, the checkpoint written to
/// `out` and where to keep it.
pub fn checkpoint_text(c: &crate::audit::Checkpoint, out_file: &Path, key_path: &Path, created: bool) -> String {
    let mut out = String::new();
    if created {
        let _ = writeln!(out, "new signing key: {} (mode 0600; keep it safe)", key_path.display());
    }
    let _ = writeln!(
        out,
        "checkpoint written: {} (entry {}, {} entries, key {})",
        out_file.display(),
        c.seq,
        super::thousands(c.entries as f64),
        c.public_key
    );
    let _ = writeln!(
        out,
        "keep it outside the registry; later: demine audit verify --checkpoint {}",
        out_file.display()
    );
    out
}
