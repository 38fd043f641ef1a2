//! Prints generation time and totals of a synthetic campaign:
//! `cargo run --release -p demine-demo --example demo_stats -- region 42`.

use demine_core::geodesy::area_m2;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let scale: demine_demo::Scale = match args.next().unwrap_or_else(|| "region".into()).parse() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(42);
    let t = Instant::now();
    let c = demine_demo::generate(scale, seed);
    let secs = t.elapsed().as_secs_f64();
    let km2: f64 = c.hazards.iter().map(|h| area_m2(&h.geometry)).sum::<f64>() / 1e6;
    let cha = c
        .hazards
        .iter()
        .filter(|h| h.class == demine_core::HazardClass::Cha)
        .count();
    let worked: std::collections::HashSet<&str> = c.activities.iter().map(|a| a.hazard_id.as_str()).collect();
    if let Ok(path) = std::env::var("DEMO_SVG") {
        let bb = match std::env::var("DEMO_BBOX") {
            Ok(v) => {
                let x: Vec<f64> = v.split(',').filter_map(|t| t.parse().ok()).collect();
                [x[0], x[1], x[2], x[3]]
            }
            Err(_) => c.region_bbox,
        };
        svg(&c, bb, &path);
    }
    println!("{}", c.name);
    let in_hazards = c.ground_truth.iter().filter(|t| t.hazard_id.is_some()).count();
    let found = c.ground_truth.iter().filter(|t| t.found).count();
    let contaminated: std::collections::HashSet<&str> =
        c.ground_truth.iter().filter_map(|t| t.hazard_id.as_deref()).collect();
    println!(
        "ground truth: {} items ({} in {} hazards, {} outside), {} found",
        c.ground_truth.len(),
        in_hazards,
        contaminated.len(),
        c.ground_truth.len() - in_hazards,
        found
    );
    println!("generated in {secs:.2} s");
    println!(
        "settlements {}, roads {}, organisations {}, teams {}",
        c.settlements.len(),
        c.roads.len(),
        c.organisations.len(),
        c.teams.len()
    );
    println!(
        "hazards {} ({} CHA), {:.0} km², worked {}; activities {}, finds {}, accidents {}",
        c.hazards.len(),
        cha,
        km2,
        worked.len(),
        c.activities.len(),
        c.finds.len(),
        c.accidents.len()
    );
    if std::env::var("DEMO_DETAIL").is_ok() {
        let mut types = std::collections::BTreeMap::new();
        for a in &c.activities {
            *types.entry(format!("{} {}", a.activity_type, a.outcome)).or_insert(0) += 1;
        }
        println!("activities by type: {types:?}");
        let mut cats = std::collections::BTreeMap::new();
        for f in &c.finds {
            *cats.entry(f.category.as_str()).or_insert(0) += 1;
        }
        println!("finds by category: {cats:?}");
        let mut status = std::collections::BTreeMap::new();
        for h in &c.hazards {
            *status.entry(h.reported_status.clone().unwrap_or_default()).or_insert(0) += 1;
        }
        println!("reported status: {status:?}");
        let mut checks = std::collections::BTreeMap::new();
        for i in demine_core::quality::check_registry(&c.hazards, &c.activities, &c.finds) {
            *checks.entry(i.check).or_insert(0) += 1;
        }
        println!("quality issues: {checks:?}");
        for h in c.hazards.iter().take(3) {
            println!(
                "{:?} | {:?} | {:?} | {:?} | {:?} | {:?} | {:?}",
                h.id, h.name, h.class, h.land_use, h.contamination, h.evidence, h.blockages
            );
        }
        for a in c.activities.iter().take(3) {
            println!(
                "{} {} {} {} {}..{} {:?} {:?} {:?}",
                a.id, a.hazard_id, a.activity_type, a.outcome, a.start_date, a.end_date, a.team, a.method, a.depth_cm
            );
        }
        for f in c.finds.iter().take(3) {
            println!(
                "{} {} {} {:?} {:?} {:?} {:?}",
                f.id, f.date, f.category, f.depth_cm, f.condition, f.disposition, f.activity_id
            );
        }
    }
}

/// Writes a quick-look SVG of the campaign (for eyeballing shapes; not part of the product).
#[allow(dead_code)]
pub fn svg(c: &demine_demo::Campaign, bbox: [f64; 4], path: &str) {
    use std::fmt::Write;
    let [x0, y0, x1, y1] = bbox;
    let k = (y0.to_radians() + y1.to_radians()) * 0.5;
    let w = 1600.0;
    let sx = w / (x1 - x0);
    let sy = sx / k.cos();
    let h = (y1 - y0) * sy;
    let px = |x: f64, y: f64| ((x - x0) * sx, (y1 - y) * sy);
    let mut s =
        format!("<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h:.0}' style='background:white'>");
    let path_of = |g: &geo::MultiPolygon<f64>| {
        let mut d = String::new();
        for p in &g.0 {
            for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                for (i, c) in r.0.iter().enumerate() {
                    let (a, b) = px(c.x, c.y);
                    let _ = write!(d, "{}{a:.1},{b:.1} ", if i == 0 { "M" } else { "L" });
                }
                d.push('Z');
            }
        }
        d
    };
    for r in &c.roads {
        let pts: Vec<String> =
            r.0.iter()
                .map(|c| {
                    let (a, b) = px(c.x, c.y);
                    format!("{a:.1},{b:.1}")
                })
                .collect();
        let _ = write!(
            s,
            "<polyline points='{}' fill='none' stroke='#999' stroke-width='1'/>",
            pts.join(" ")
        );
    }
    for hz in &c.hazards {
        let fill = if hz.class == demine_core::HazardClass::Cha {
            "#c0392b"
        } else {
            "#f5b7b1"
        };
        let _ = write!(
            s,
            "<path d='{}' fill='{fill}' fill-rule='evenodd' stroke='#7b241c' stroke-width='0.4'/>",
            path_of(&hz.geometry)
        );
    }
    for a in &c.activities {
        let fill = match a.outcome {
            demine_core::Outcome::Cancelled => "#7fb3d5",
            demine_core::Outcome::Reduced => "#f7dc6f",
            demine_core::Outcome::Cleared => "#52be80",
        };
        let _ = write!(
            s,
            "<path d='{}' fill='{fill}' fill-opacity='0.8' fill-rule='evenodd' stroke='#333' stroke-width='0.3'/>",
            path_of(&a.geometry)
        );
    }
    let pts: Vec<String> = c
        .line_of_contact
        .0
        .iter()
        .map(|c| {
            let (a, b) = px(c.x, c.y);
            format!("{a:.1},{b:.1}")
        })
        .collect();
    let _ = write!(
        s,
        "<polyline points='{}' fill='none' stroke='black' stroke-width='2' stroke-dasharray='6,3'/>",
        pts.join(" ")
    );
    for f in &c.finds {
        let (a, b) = px(f.location.x(), f.location.y());
        let _ = write!(s, "<circle cx='{a:.1}' cy='{b:.1}' r='0.8' fill='black'/>");
    }
    for p in &c.settlements {
        let (a, b) = px(p.location.x(), p.location.y());
        let _ = write!(
            s,
            "<circle cx='{a:.1}' cy='{b:.1}' r='3' fill='#2c3e50'/><text x='{:.1}' y='{b:.1}' font-size='10'>{}</text>",
            a + 4.0,
            p.name
        );
    }
    s.push_str("</svg>");
    let _ = std::fs::write(path, s);
}
