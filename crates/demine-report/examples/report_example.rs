//! Renders a report of a synthetic region, to look at in a browser.
//!
//! ```text
//! cargo run -p demine-report --example report_example -- [OUT.html] [HAZARDS] [SPREAD]
//! ```
//! Defaults: `/tmp/report_example.html`, 400 hazards, spread 1.0 (about 150 km across; 0.05
//! zooms in to about 8 km). The data are generated here with a
//! small fixed-seed generator (no dependencies), so the report is marked SYNTHETIC.

use chrono::NaiveDate;
use demine_core::release::{account_registry, Footprint, HazardWithActivities};
use demine_core::{Accident, Find, FindCategory, Hazard, HazardClass, Outcome};
use demine_report::{render_html, ReportInput};
use geo::{LineString, MultiPolygon, Point, Polygon};
use std::time::Instant;

/// SplitMix64: enough randomness for a picture, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.next()
    }
}

fn blob(rng: &mut Rng, cx: f64, cy: f64, r_m: f64, kx: f64) -> Polygon<f64> {
    let n = 10 + (rng.next() * 20.0) as usize;
    let pts: Vec<(f64, f64)> = (0..n)
        .map(|k| {
            let a = k as f64 / n as f64 * std::f64::consts::TAU;
            let r = r_m * rng.range(0.6, 1.0) / 111_000.0;
            (cx + r * a.cos() / kx, cy + r * a.sin())
        })
        .collect();
    Polygon::new(LineString::from(pts), vec![])
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1)]),
        vec![],
    )])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "/tmp/report_example.html".into());
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(400);
    // Spread of the region: 1.0 is about 150 × 150 km; smaller zooms in on the same layout.
    let spread: f64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let mut rng = Rng(42);
    let d0 = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let kx = 49.5f64.to_radians().cos();
    // A front line running south-west to north-east; hazards cluster near it.
    let front: Vec<(f64, f64)> = (0..=60)
        .map(|k| {
            let t = k as f64 / 60.0;
            (
                35.0 + spread * 2.0 * t,
                48.8 + spread * (1.4 * t + 0.08 * (t * 19.0).sin()),
            )
        })
        .collect();
    let on_front = |rng: &mut Rng| -> (f64, f64) {
        let t = rng.next();
        let k = ((t * 60.0) as usize).min(59);
        let (a, b) = (front[k], front[k + 1]);
        let u = t * 60.0 - k as f64;
        let off = spread * rng.range(-0.25, 0.25) * rng.next();
        (a.0 + (b.0 - a.0) * u + off, a.1 + (b.1 - a.1) * u - off * 0.6)
    };

    let mut hazards = Vec::with_capacity(n);
    let mut acts: Vec<(usize, String, Outcome, NaiveDate, MultiPolygon<f64>)> = Vec::new();
    let mut finds = Vec::new();
    for i in 0..n {
        let (cx, cy) = on_front(&mut rng);
        let r = rng.range(60.0, 700.0) * if rng.next() < 0.1 { 3.0 } else { 1.0 } * spread.sqrt();
        let geometry = MultiPolygon::new(vec![blob(&mut rng, cx, cy, r, kx)]);
        let class = if rng.next() < 0.55 {
            HazardClass::Sha
        } else {
            HazardClass::Cha
        };
        let id = format!("HA-{:05}", i + 1);
        let (rx, ry) = (r / 111_000.0 / kx, r / 111_000.0);
        let roll = rng.next();
        let day = |rng: &mut Rng| d0 + chrono::Days::new((rng.next() * 700.0) as u64);
        if roll < 0.25 {
            // NTS cancels the west part.
            let cut = cx + rng.range(-0.8, 0.6) * rx;
            acts.push((
                i,
                format!("NTS-{i}"),
                Outcome::Cancelled,
                day(&mut rng),
                rect(cx - 2.0 * rx, cy - 2.0 * ry, cut, cy + 2.0 * ry),
            ));
        }
        if (0.15..0.45).contains(&roll) {
            let cut = cy + rng.range(-0.6, 0.8) * ry;
            acts.push((
                i,
                format!("TS-{i}"),
                Outcome::Reduced,
                day(&mut rng),
                rect(cx - 2.0 * rx, cut, cx + 2.0 * rx, cy + 2.0 * ry),
            ));
        }
        if (0.35..0.6).contains(&roll) {
            let full = rng.next() < 0.5;
            let cut = if full {
                cy + 2.0 * ry
            } else {
                cy + rng.range(-0.5, 0.5) * ry
            };
            acts.push((
                i,
                format!("CL-{i}"),
                Outcome::Cleared,
                day(&mut rng),
                rect(cx - 2.0 * rx, cy - 2.0 * ry, cx + 2.0 * rx, cut),
            ));
            for k in 0..(rng.next() * 4.0) as usize {
                let cat = FindCategory::ALL[(rng.next() * 4.0) as usize];
                finds.push(Find {
                    hazard_id: Some(id.clone()),
                    ..Find::new(
                        format!("F-{i}-{k}"),
                        day(&mut rng),
                        cat,
                        Point::new(cx + rng.range(-0.5, 0.5) * rx, cy + rng.range(-0.5, 0.0) * ry),
                    )
                });
            }
        }
        hazards.push(Hazard {
            name: (rng.next() < 0.3).then(|| format!("Field near settlement {}", i % 37)),
            ..Hazard::new(id, class, geometry)
        });
    }
    let accidents: Vec<Accident> = (0..(n / 40).max(3))
        .map(|k| {
            let (x, y) = on_front(&mut rng);
            Accident {
                id: format!("ACC-{k}"),
                date: d0,
                killed: (rng.next() * 2.0) as u32,
                injured: 1 + (rng.next() * 3.0) as u32,
                location: Point::new(x, y),
                hazard_id: None,
                attributes: Default::default(),
            }
        })
        .collect();
    // Roads and settlements, laid out for spread 1.0 and scaled like the rest.
    let sp = |(x, y): (f64, f64)| (35.0 + spread * (x - 35.0), 48.8 + spread * (y - 48.8));
    let road = |pts: &[(f64, f64)]| LineString::from(pts.iter().map(|p| sp(*p)).collect::<Vec<_>>());
    let context_lines = vec![
        LineString::from(front.clone()),
        road(&[(34.8, 49.3), (35.6, 49.25), (36.3, 49.5), (37.2, 49.45)]),
        road(&[(35.9, 48.6), (36.0, 49.2), (36.1, 49.9), (36.0, 50.4)]),
    ];
    let names = [
        "Sloviansk-Pivnich",
        "Kamianka",
        "Dolyna",
        "Sosnivka",
        "Bereza",
        "Yasenove",
        "Lypove",
    ];
    let context_points: Vec<(String, Point<f64>)> = names
        .iter()
        .enumerate()
        .map(|(k, s)| {
            (
                s.to_string(),
                Point::from(sp((35.2 + 0.27 * k as f64, 49.15 + 0.17 * k as f64))),
            )
        })
        .collect();

    let t = Instant::now();
    let with: Vec<HazardWithActivities> = hazards
        .iter()
        .enumerate()
        .map(|(i, h)| HazardWithActivities {
            id: &h.id,
            geometry: &h.geometry,
            activities: acts
                .iter()
                .filter(|a| a.0 == i)
                .map(|a| Footprint {
                    id: &a.1,
                    end_date: a.3,
                    outcome: a.2,
                    geometry: &a.4,
                })
                .collect(),
        })
        .collect();
    let release = account_registry(&with, true);
    let t_account = t.elapsed();
    let t = Instant::now();
    let html = render_html(&ReportInput {
        lang: demine_report::Lang::En,
        title: format!("Land release — SYNTHETIC campaign, region scale, seed 42 ({n} hazards)"),
        synthetic: true,
        generated_at: "2025-01-01T12:00:00Z".into(),
        as_of: NaiveDate::from_ymd_opt(2024, 12, 31),
        hazards: &hazards,
        release: &release,
        finds: &finds,
        accidents: &accidents,
        context_lines: &context_lines,
        context_points: &context_points,
        risk: None,
        priorities: None,
        plan: None,
        strategy: None,
        breakdowns: Vec::new(),
    });
    let t_render = t.elapsed();
    std::fs::write(&out, &html).expect("write the report");
    eprintln!(
        "{out}: {} bytes, {n} hazards, {} finds; accounting {:.2?}, rendering {:.2?}",
        html.len(),
        finds.len(),
        t_account,
        t_render
    );
}
