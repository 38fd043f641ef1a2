//! Text of field work: QA sampling plans, samples and results, lanes, daily progress, residual
//! risk and certificates.

use crate::field::{Certificate, LanesAnswer, ProgressAdded, ProgressStats, QaPlanAnswer, QaSample, ResidualAnswer};
use demine_core::QaInspection;
use std::fmt::Write;
use std::path::Path;

/// What `demine qa plan` prints: the sampling plan and its operating characteristic.
pub fn qa_plan_text(a: &QaPlanAnswer) -> String {
    let mut out = String::new();
    let beta = a.beta;
    if a.mode == "budget" {
        let _ = writeln!(
            out,
            "a sample of {} of {} units (accept with ≤ {} defective) rejects, with probability ≥ {:.1} %, every lot whose defect rate is ≥ {:.4} ({} defective units)",
            a.n,
            a.lot_units,
            a.c,
            100.0 * (1.0 - beta),
            a.lq,
            a.defective_units
        );
        if let (Some(p), Some(pa)) = (a.requested_lq, a.p_accept_at_requested_lq) {
            let _ = writeln!(
                out,
                "at the requested LQ {p}: P(accept) = {pa:.6} ({} beta {beta})",
                if pa <= beta { "meets" } else { "does NOT meet" }
            );
        }
    } else {
        let _ = writeln!(
            out,
            "inspect n = {} of {} units ({:.1} %), accept the lot if at most c = {} are defective",
            a.n,
            a.lot_units,
            100.0 * a.sampled_fraction.unwrap_or(0.0),
            a.c
        );
        let _ = writeln!(
            out,
            "a lot at LQ {} ({} defective units) is accepted with probability {:.6} (≤ beta {})",
            a.lq, a.defective_units, a.p_accept_at_lq, a.beta
        );
    }
    let _ = writeln!(out, "the lot: {}", a.lot);
    let _ = writeln!(out, "operating characteristic (exact hypergeometric):");
    let _ = writeln!(out, "  {:>10} {:>10} {:>12}", "defect rate", "defective", "P(accept)");
    for o in &a.oc {
        let _ = writeln!(out, "  {:>10.4} {:>10} {:>12.6}", o.p, o.defective_units, o.p_accept);
    }
    out
}

/// What `demine qa sample` prints: the units drawn and where they were written.
pub fn qa_sample_text(s: &QaSample) -> String {
    format!(
        "{} of {} units ({} × {} m boxes) drawn with seed {} inside {} ({:.0} m²); written to {}\n",
        s.units, s.lot_units, s.box_m, s.box_m, s.seed, s.lot, s.lot_area_m2, s.out
    )
}

/// What `demine qa record` prints: the inspection's defects and whether the lot was accepted.
pub fn qa_record_text(rec: &QaInspection) -> String {
    format!(
        "{}: {} defective of {} units inspected (c = {}): lot {}\n",
        rec.id,
        rec.defects,
        rec.sample_units,
        rec.c,
        if rec.accepted { "ACCEPTED" } else { "REJECTED" }
    )
}

/// What `demine lanes` prints: the layout's summary line.
pub fn lanes_text(r: &LanesAnswer) -> String {
    format!("{}\n", r.summary)
}

/// What `demine progress add` prints: the land worked on `task` in `hours` and what remains.
pub fn progress_added_text(r: &ProgressAdded, task: &str, hours: f64) -> String {
    format!(
        "{}: {:.0} m² worked on {} ({} h); {:.0} m² of it remain{}\n",
        r.id,
        r.area_m2,
        task,
        hours,
        r.remaining_m2,
        if r.dry_run { " (--dry-run: nothing written)" } else { "" }
    )
}

/// What `demine progress stats` prints: productivity per team kind and terrain.
pub fn progress_stats_text(s: &ProgressStats) -> String {
    if s.groups.is_empty() {
        return "no daily progress recorded; add some with `demine progress add` or `demine import progress FILE`\n"
            .to_string();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<11} {:<14} {:>7} {:>12} {:>9} {:>10} {:>14}",
        "team kind", "terrain", "reports", "area m²", "hours", "m²/hour", "m²/team-day"
    );
    for g in &s.groups {
        let _ = writeln!(
            out,
            "{:<11} {:<14} {:>7} {:>12.0} {:>9.1} {:>10.1} {:>8.0} ± {:<5.0}",
            g.team_kind,
            g.terrain,
            g.reports,
            g.area_m2,
            g.hours,
            g.m2_per_hour,
            g.m2_per_team_day,
            g.sd_m2_per_team_day
        );
    }
    out
}

/// What `demine residual` prints: the residual risk of hazard `hazard_id`'s released land.
pub fn residual_text(r: &ResidualAnswer, hazard_id: &str) -> String {
    let mut out = String::new();
    let e = &r.estimate;
    let x = &e.residual;
    if r.synthetic {
        let _ = writeln!(out, "*** SYNTHETIC DATA ***");
    }
    let _ = writeln!(
        out,
        "hazard {}: released {:.0} m² ({:.0} m² not released, not covered here)",
        hazard_id,
        x.area_m2,
        e.unreleased_m2.max(0.0)
    );
    let _ = writeln!(
        out,
        "  expected items remaining {:.4}; P(at least one remains) = {:.2} %",
        x.expected_remaining,
        100.0 * x.p_any_remaining
    );
    let _ = writeln!(
        out,
        "  prior {:.2e} items/m² ({}), shape {}; {} finds; mean miss probability {:.4}",
        x.prior.density_per_m2,
        x.prior.source,
        x.prior.shape.map_or("known".into(), |k| k.to_string()),
        x.finds,
        x.miss_probability
    );
    for m in &e.methods {
        let _ = writeln!(
            out,
            "  {} over {:.0} m²",
            m["methods"].as_str().unwrap_or(""),
            m["area_m2"].as_f64().unwrap_or(0.0)
        );
    }
    match &x.qa {
        Some(q) => {
            let _ = writeln!(
                out,
                "  QA: {:.2} % of the land inspected, {} defects, detection {}",
                100.0 * q.inspected_share,
                q.defects,
                q.detection
            );
        }
        None => {
            let _ = writeln!(out, "  QA: no inspection recorded");
        }
    }
    out
}

/// What `demine certificate` prints: where the certificate was written, and for a draft why it
/// is not valid.
pub fn certificate_text(c: &Certificate, out_file: &Path) -> String {
    let mut out = String::new();
    if c.draft {
        let _ = writeln!(
            out,
            "DRAFT certificate of {} ({}) written to {}: watermarked NOT VALID because",
            c.hazard_id,
            c.lang,
            out_file.display()
        );
        for r in &c.not_valid_because {
            let _ = writeln!(out, "  {r}");
        }
    } else {
        let _ = writeln!(
            out,
            "certificate of {} ({}) written to {}",
            c.hazard_id,
            c.lang,
            out_file.display()
        );
    }
    out
}
