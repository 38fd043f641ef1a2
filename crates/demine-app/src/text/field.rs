//! Text of field work: QA sampling plans, samples and results, lanes, daily progress, residual
//! risk and certificates.

use super::{lot_verdict, tr, tr_fill, tr_message, tr_note, Lang};
use crate::field::{Certificate, LanesAnswer, ProgressAdded, ProgressStats, QaPlanAnswer, QaSample, ResidualAnswer};
use demine_core::QaInspection;
use std::fmt::Write;
use std::path::Path;

/// What `demine qa plan` prints: the sampling plan and its operating characteristic.
pub fn qa_plan_text(a: &QaPlanAnswer, lang: Lang) -> String {
    let mut out = String::new();
    let beta = a.beta;
    if a.mode == "budget" {
        let _ = writeln!(
            out,
            "{}",
            tr_fill(
                lang,
                "a sample of {} of {} units (accept with ≤ {} defective) rejects, with probability ≥ {} %, every lot whose defect rate is ≥ {} ({} defective units)",
                &[
                    &a.n,
                    &a.lot_units,
                    &a.c,
                    &format!("{:.1}", 100.0 * (1.0 - beta)),
                    &format!("{:.4}", a.lq),
                    &a.defective_units,
                ]
            )
        );
        if let (Some(p), Some(pa)) = (a.requested_lq, a.p_accept_at_requested_lq) {
            let _ = writeln!(
                out,
                "{}",
                tr_fill(
                    lang,
                    if pa <= beta {
                        "at the requested LQ {}: P(accept) = {} (meets beta {})"
                    } else {
                        "at the requested LQ {}: P(accept) = {} (does NOT meet beta {})"
                    },
                    &[&p, &format!("{pa:.6}"), &beta]
                )
            );
        }
    } else {
        let _ = writeln!(
            out,
            "{}",
            tr_fill(
                lang,
                "inspect n = {} of {} units ({} %), accept the lot if at most c = {} are defective",
                &[
                    &a.n,
                    &a.lot_units,
                    &format!("{:.1}", 100.0 * a.sampled_fraction.unwrap_or(0.0)),
                    &a.c,
                ]
            )
        );
        let _ = writeln!(
            out,
            "{}",
            tr_fill(
                lang,
                "a lot at LQ {} ({} defective units) is accepted with probability {} (≤ beta {})",
                &[&a.lq, &a.defective_units, &format!("{:.6}", a.p_accept_at_lq), &a.beta]
            )
        );
    }
    let _ = writeln!(out, "{}", tr_fill(lang, "the lot: {}", &[&a.lot]));
    let _ = writeln!(out, "{}", tr(lang, "operating characteristic (exact hypergeometric):"));
    let headers = [tr(lang, "defect rate"), tr(lang, "defective"), "P(accept)"];
    let w = super::widths(lang, headers, [10, 10, 12]);
    let _ = writeln!(out, "  {}", super::table_row(&headers, &w, 0));
    for o in &a.oc {
        let cells = [
            format!("{:.4}", o.p),
            o.defective_units.to_string(),
            format!("{:.6}", o.p_accept),
        ];
        let _ = writeln!(out, "  {}", super::table_row(&cells, &w, 0));
    }
    out
}

/// What `demine qa sample` prints: the units drawn and where they were written.
pub fn qa_sample_text(s: &QaSample, lang: Lang) -> String {
    tr_fill(
        lang,
        "{} of {} units ({} × {} m boxes) drawn with seed {} inside {} ({} m²); written to {}",
        &[
            &s.units,
            &s.lot_units,
            &s.box_m,
            &s.box_m,
            &s.seed,
            &s.lot,
            &format!("{:.0}", s.lot_area_m2),
            &s.out,
        ],
    ) + "\n"
}

/// What `demine qa record` prints: the inspection's defects and whether the lot was accepted.
pub fn qa_record_text(rec: &QaInspection, lang: Lang) -> String {
    tr_fill(
        lang,
        "{}: {} defective of {} units inspected (c = {}): lot {}",
        &[
            &rec.id,
            &rec.defects,
            &rec.sample_units,
            &rec.c,
            &lot_verdict(lang, rec.accepted),
        ],
    ) + "\n"
}

/// What `demine lanes` prints: the layout's summary line.
pub fn lanes_text(r: &LanesAnswer, lang: Lang) -> String {
    format!("{}\n", tr_message(lang, &r.summary))
}

/// What `demine progress add` prints: the land worked on `task` in `hours` and what remains.
pub fn progress_added_text(r: &ProgressAdded, task: &str, hours: f64, lang: Lang) -> String {
    tr_fill(
        lang,
        "{}: {} m² worked on {} ({} h); {} m² of it remain{}",
        &[
            &r.id,
            &format!("{:.0}", r.area_m2),
            &task,
            &hours,
            &format!("{:.0}", r.remaining_m2),
            &if r.dry_run {
                tr(lang, " (--dry-run: nothing written)")
            } else {
                ""
            },
        ],
    ) + "\n"
}

/// What `demine progress stats` prints: productivity per team kind and terrain.
pub fn progress_stats_text(s: &ProgressStats, lang: Lang) -> String {
    if s.groups.is_empty() {
        return tr(
            lang,
            "no daily progress recorded; add some with `demine progress add` or `demine import progress FILE`",
        )
        .to_string()
            + "\n";
    }
    let mut out = String::new();
    let headers = [
        tr(lang, "team kind"),
        tr(lang, "terrain"),
        tr(lang, "reports"),
        tr(lang, "area m²"),
        tr(lang, "hours"),
        tr(lang, "m²/hour"),
        tr(lang, "m²/team-day"),
    ];
    let w = super::widths(lang, headers, [11, 14, 7, 12, 9, 10, 14]);
    let _ = writeln!(out, "{}", super::table_row(&headers, &w, 2));
    for g in &s.groups {
        let cells = [
            g.team_kind.to_string(),
            g.terrain.to_string(),
            g.reports.to_string(),
            format!("{:.0}", g.area_m2),
            format!("{:.1}", g.hours),
            format!("{:.1}", g.m2_per_hour),
        ];
        let _ = writeln!(
            out,
            "{} {:>w6$} ± {:<5.0}",
            super::table_row(&cells, &w, 2),
            format!("{:.0}", g.m2_per_team_day),
            g.sd_m2_per_team_day,
            w6 = w[6] - 6
        );
    }
    out
}

/// What `demine residual` prints: the residual risk of hazard `hazard_id`'s released land.
pub fn residual_text(r: &ResidualAnswer, hazard_id: &str, lang: Lang) -> String {
    let mut out = String::new();
    let e = &r.estimate;
    let x = &e.residual;
    if r.synthetic {
        let _ = writeln!(out, "{}", tr(lang, "*** SYNTHETIC DATA ***"));
    }
    let _ = writeln!(
        out,
        "{}",
        tr_fill(
            lang,
            "hazard {}: released {} m² ({} m² not released, not covered here)",
            &[
                &hazard_id,
                &format!("{:.0}", x.area_m2),
                &format!("{:.0}", e.unreleased_m2.max(0.0)),
            ]
        )
    );
    let _ = writeln!(
        out,
        "{}",
        tr_fill(
            lang,
            "  expected items remaining {}; P(at least one remains) = {} %",
            &[
                &format!("{:.4}", x.expected_remaining),
                &format!("{:.2}", 100.0 * x.p_any_remaining),
            ]
        )
    );
    let _ = writeln!(
        out,
        "{}",
        tr_fill(
            lang,
            "  prior {} items/m² ({}), shape {}; {} finds; mean miss probability {}",
            &[
                &format!("{:.2e}", x.prior.density_per_m2),
                &tr_note(lang, &x.prior.source),
                &x.prior.shape.map_or(tr(lang, "known").to_string(), |k| k.to_string()),
                &x.finds,
                &format!("{:.4}", x.miss_probability),
            ]
        )
    );
    // Land no pass of a method combination covered says nothing.
    for m in e.methods.iter().filter(|m| m["area_m2"].as_f64().unwrap_or(0.0) >= 0.5) {
        let _ = writeln!(
            out,
            "{}",
            tr_fill(
                lang,
                "  {} over {} m²",
                &[
                    &m["methods"].as_str().unwrap_or(""),
                    &format!("{:.0}", m["area_m2"].as_f64().unwrap_or(0.0)),
                ]
            )
        );
    }
    match &x.qa {
        Some(q) => {
            let _ = writeln!(
                out,
                "{}",
                tr_fill(
                    lang,
                    "  QA: {} % of the land inspected, {} defects, detection {}",
                    &[&format!("{:.2}", 100.0 * q.inspected_share), &q.defects, &q.detection]
                )
            );
        }
        None => {
            let _ = writeln!(out, "{}", tr(lang, "  QA: no inspection recorded"));
        }
    }
    out
}

/// What `demine certificate` prints: where the certificate was written, and for a draft why it
/// is not valid.
pub fn certificate_text(c: &Certificate, out_file: &Path, lang: Lang) -> String {
    let mut out = String::new();
    let args: [&dyn std::fmt::Display; 3] = [&c.hazard_id, &c.lang, &out_file.display()];
    if c.draft {
        let _ = writeln!(
            out,
            "{}",
            tr_fill(
                lang,
                "DRAFT certificate of {} ({}) written to {}: watermarked NOT VALID because",
                &args
            )
        );
        for r in &c.not_valid_because {
            let _ = writeln!(out, "  {r}");
        }
    } else {
        let _ = writeln!(out, "{}", tr_fill(lang, "certificate of {} ({}) written to {}", &args));
    }
    out
}
