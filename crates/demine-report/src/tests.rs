//! Tests of the whole report, on small registries built by hand and accounted by
//! `demine_core::release::account_registry`.

use super::*;
use chrono::NaiveDate;
use demine_core::release::{account_registry, Footprint, HazardWithActivities};
use demine_core::{HazardClass, Outcome};
use geo::{point, polygon, LineString, MultiPolygon, Point};

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
    ])
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn hazard(id: &str, class: HazardClass, geometry: MultiPolygon<f64>) -> Hazard {
    Hazard::new(id, class, geometry)
}

fn find(id: &str, category: FindCategory, at: Point<f64>) -> Find {
    Find::new(id, d("2024-03-01"), category, at)
}

fn accident(id: &str, killed: u32, injured: u32, at: Point<f64>) -> Accident {
    Accident {
        id: id.into(),
        date: d("2023-07-01"),
        killed,
        injured,
        location: at,
        hazard_id: None,
        attributes: Default::default(),
    }
}

/// An activity: (hazard index, id, outcome, end date, land released).
type Act = (usize, &'static str, Outcome, &'static str, MultiPolygon<f64>);

fn account(hazards: &[Hazard], acts: &[Act]) -> RegistryRelease {
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
                    id: a.1,
                    end_date: d(a.3),
                    outcome: a.2,
                    geometry: &a.4,
                })
                .collect(),
        })
        .collect();
    account_registry(&with, true)
}

struct Fixture {
    hazards: Vec<Hazard>,
    release: RegistryRelease,
    finds: Vec<Find>,
    accidents: Vec<Accident>,
    lines: Vec<LineString<f64>>,
    points: Vec<(String, Point<f64>)>,
}

impl Fixture {
    /// Four hazards: a CHA in the south-west, half cleared, and an SHA overlapping it;
    /// an SHA in the north-east, untouched; a CHA in the middle, cancelled and reduced in full.
    fn new() -> Fixture {
        let hazards = vec![
            hazard("SW-CHA", HazardClass::Cha, rect(30.0, 50.0, 30.02, 50.01)),
            hazard("SW-SHA-overlap", HazardClass::Sha, rect(30.01, 50.0, 30.03, 50.01)),
            hazard("NE-SHA", HazardClass::Sha, rect(30.49, 50.29, 30.5, 50.3)),
            hazard("MID-CHA", HazardClass::Cha, rect(30.2, 50.1, 30.21, 50.11)),
        ];
        let acts: Vec<Act> = vec![
            (
                0,
                "CL-1",
                Outcome::Cleared,
                "2024-02-01",
                rect(30.0, 50.0, 30.01, 50.01),
            ),
            (
                3,
                "NTS-1",
                Outcome::Cancelled,
                "2024-01-10",
                rect(30.2, 50.1, 30.205, 50.11),
            ),
            (
                3,
                "TS-1",
                Outcome::Reduced,
                "2024-03-10",
                rect(30.2, 50.1, 30.21, 50.11),
            ),
        ];
        let release = account(&hazards, &acts);
        Fixture {
            hazards,
            release,
            finds: vec![
                find("F1", FindCategory::ApMine, point!(x: 30.005, y: 50.005)),
                find("F2", FindCategory::ApMine, point!(x: 30.006, y: 50.004)),
                find("F3", FindCategory::Uxo, point!(x: 30.2, y: 50.1)),
            ],
            accidents: vec![
                accident("X1", 1, 2, point!(x: 30.3, y: 50.2)),
                accident("X2", 0, 1, point!(x: 30.1, y: 50.05)),
            ],
            lines: vec![LineString::from(vec![(29.9, 50.05), (30.6, 50.25)])],
            points: vec![("Kamianka".into(), point!(x: 30.25, y: 50.15))],
        }
    }

    fn input(&self, synthetic: bool) -> ReportInput<'_> {
        ReportInput {
            lang: Lang::En,
            title: "Land release — test region".into(),
            synthetic,
            generated_at: "2025-01-02T03:04:05Z".into(),
            as_of: Some(d("2024-06-30")),
            hazards: &self.hazards,
            release: &self.release,
            finds: &self.finds,
            accidents: &self.accidents,
            context_lines: &self.lines,
            context_points: &self.points,
            risk: None,
            priorities: None,
            plan: None,
            strategy: None,
            breakdowns: Vec::new(),
        }
    }
}

/// The text between `start` (inclusive) and the next `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html.find(start).unwrap_or_else(|| panic!("{start} not found"));
    let j = html[i..]
        .find(end)
        .unwrap_or_else(|| panic!("{end} not found after {start}"));
    &html[i..i + j]
}

/// Every (x, y) pair of an SVG path's `d` of the form `M x y x y … Z`.
fn path_points(d: &str) -> Vec<(f64, f64)> {
    let nums: Vec<f64> = d
        .split(['M', 'Z', ' '])
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    nums.chunks(2).map(|c| (c[0], c[1])).collect()
}

/// The `d` attribute of the hazard path whose tooltip starts with `id`.
fn hazard_d<'a>(html: &'a str, id: &str) -> &'a str {
    let hazards = between(html, "<g class=\"hazards\"", "</g>");
    let title = format!("<title>{id} ·");
    let t = hazards.find(&title).unwrap();
    let start = hazards[..t].rfind(" d=\"").unwrap() + 4;
    let end = start + hazards[start..].find('"').unwrap();
    &hazards[start..end]
}

#[test]
fn synthetic_banner_appears_iff_synthetic() {
    let f = Fixture::new();
    let html = render_html(&f.input(true));
    assert!(html.contains("<div class=\"synthetic-banner\""));
    assert!(
        html.find("SYNTHETIC DATA").unwrap() < html.find("<h1>").unwrap(),
        "banner first"
    );
    assert!(
        between(&html, "<svg", "</svg>").contains(">SYNTHETIC DATA</text>"),
        "watermark on the map"
    );
    assert!(
        between(&html, "<footer>", "</footer>").contains("SYNTHETIC DATA"),
        "note in the footer"
    );

    let html = render_html(&f.input(false));
    assert!(!html.contains("SYNTHETIC"), "no synthetic mark on real data");
}

#[test]
fn totals_match_the_accounting() {
    let f = Fixture::new();
    let t = &f.release.totals;
    let html = render_html(&f.input(false));
    let remaining = between(&html, "<tr id=\"total-remaining\"", "</tr>");
    assert!(
        remaining.contains(&format!("{:.3}&nbsp;km²", t.remaining_m2 / 1e6)),
        "{remaining}"
    );
    assert!(
        remaining.contains(&format!(
            "{}&nbsp;m²",
            thousands(Lang::En, t.remaining_m2.round() as u64)
        )),
        "{remaining}"
    );
    assert!(
        remaining.contains(&format!("{:.1}&nbsp;%", 100.0 * t.remaining_m2 / t.area_m2)),
        "{remaining}"
    );
    let cleared = between(&html, "<tr id=\"total-cleared\"", "</tr>");
    assert!(
        cleared.contains(&format!("{:.3}&nbsp;km²", t.cleared_m2 / 1e6)),
        "{cleared}"
    );
    let area = between(&html, "<tr id=\"total-area\"", "</tr>");
    assert!(area.contains("100.0&nbsp;%"), "{area}");

    // Two hazards overlap by half of one: the inflation avoided is that half.
    let inflation = f.release.sum_of_hazard_areas_m2 - t.area_m2;
    assert!(inflation > 0.0);
    let row = between(&html, "<tr id=\"total-inflation\"", "</tr>");
    assert!(
        row.contains(&format!("{}&nbsp;m²", thousands(Lang::En, inflation.round() as u64))),
        "{row}"
    );
    let groups = between(&html, "<tr id=\"total-overlap-groups\"", "</tr>");
    assert!(groups.contains("1&nbsp;group (2&nbsp;hazards in them)"), "{groups}");
    assert!(between(&html, "<tr id=\"total-hazards\"", "</tr>").contains("4&nbsp;hazards"));
}

#[test]
fn status_counts_by_class() {
    let f = Fixture::new();
    let html = render_html(&f.input(false));
    // CHA: SW-CHA partially released, MID-CHA released. SHA: both active.
    let cha = between(&html, "<tr id=\"status-CHA\"", "</tr>");
    assert!(
        cha.ends_with("<td class=\"n\">0</td><td class=\"n\">1</td><td class=\"n\">1</td><td class=\"n\">2</td>"),
        "{cha}"
    );
    let sha = between(&html, "<tr id=\"status-SHA\"", "</tr>");
    assert!(
        sha.ends_with("<td class=\"n\">2</td><td class=\"n\">0</td><td class=\"n\">0</td><td class=\"n\">2</td>"),
        "{sha}"
    );
}

#[test]
fn hostile_text_is_escaped_everywhere() {
    let mut f = Fixture::new();
    let evil = "<script>alert('x')</script>";
    f.hazards[0].id = evil.into();
    f.hazards[0].name = Some("\"><img src=x onerror=alert(1)>".into());
    f.points[0].0 = evil.into();
    let mut input = f.input(true);
    input.title = evil.into();
    input.generated_at = evil.into();
    let html = render_html(&input);
    assert!(!html.contains("<script"), "raw script tag in output");
    assert!(!html.contains("<img"), "raw img tag in output");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(html.contains("<title>&lt;script&gt;"), "title escaped");
}

#[test]
fn output_is_self_contained() {
    let f = Fixture::new();
    let html = render_html(&f.input(true));
    for forbidden in [
        "<script", "<link", "<img", "src=", "href=", "@import", "http:", "https:",
    ] {
        assert!(!html.contains(forbidden), "output contains {forbidden}");
    }
    assert!(html.contains("@media print"));
}

#[test]
fn map_has_one_path_per_hazard_with_evenodd_and_a_legend() {
    let f = Fixture::new();
    let html = render_html(&f.input(false));
    let hazards = between(&html, "<g class=\"hazards\" fill-rule=\"evenodd\">", "</g>");
    assert_eq!(hazards.matches("<path ").count(), f.hazards.len());
    assert_eq!(hazards.matches("class=\"active sha\"").count(), 2);
    assert_eq!(hazards.matches("class=\"partially_released cha\"").count(), 1);
    assert_eq!(hazards.matches("class=\"released cha\"").count(), 1);
    // Pieces: one cleared on SW-CHA, one cancelled and one reduced on MID-CHA.
    let pieces = between(&html, "<g class=\"pieces\"", "</g>");
    assert_eq!(pieces.matches("<path ").count(), 3);
    for outcome in ["cancelled", "reduced", "cleared"] {
        assert_eq!(pieces.matches(&format!("class=\"{outcome}\"")).count(), 1, "{outcome}");
    }
    let legend = between(&html, "<g class=\"legend\"", "</svg>");
    for label in [
        "Active",
        "Partially released",
        "Released",
        "SHA (dashed outline)",
        "Cancelled (NTS)",
        "Reduced (TS)",
    ] {
        assert!(legend.contains(&format!(">{label}</text>")), "legend lacks {label}");
    }
    for label in ["Cleared", "EO find", "Accident", "Road / line", "Settlement"] {
        assert!(legend.contains(&format!(">{label}</text>")), "legend lacks {label}");
    }
    let svg = between(&html, "<svg", "</svg>");
    assert!(svg.contains("class=\"finds\""));
    assert!(svg.contains("class=\"accidents\""));
    assert!(svg.contains("class=\"ctx\""));
    assert!(svg.contains(">Kamianka</text>"));
    assert!(svg.contains(" km</text>"), "scale bar");
    assert!(svg.contains("class=\"arrow\""), "north arrow");
    assert!(svg.contains("class=\"extent\""), "bounding box of hazards");
}

#[test]
fn holes_are_subpaths_of_the_same_path() {
    let mut f = Fixture::new();
    let outer = polygon![(x: 30.2, y: 50.1), (x: 30.21, y: 50.1), (x: 30.21, y: 50.11), (x: 30.2, y: 50.11)];
    let hole = LineString::from(vec![
        (30.203, 50.103),
        (30.207, 50.103),
        (30.207, 50.107),
        (30.203, 50.107),
    ]);
    f.hazards[3].geometry = MultiPolygon::new(vec![geo::Polygon::new(outer.exterior().clone(), vec![hole])]);
    f.release = account(&f.hazards, &[]);
    let html = render_html(&f.input(false));
    let d = hazard_d(&html, "MID-CHA");
    assert_eq!(d.matches('M').count(), 2, "{d}");
    assert_eq!(d.matches('Z').count(), 2, "{d}");
}

#[test]
fn projection_puts_the_north_east_hazard_top_right() {
    let f = Fixture::new();
    let html = render_html(&f.input(false));
    let (w, h) = (map::WIDTH, map::MAP_HEIGHT);
    for (x, y) in path_points(hazard_d(&html, "NE-SHA")) {
        assert!(
            x > 0.7 * w && x <= w && y < 0.15 * h && y >= 0.0,
            "NE corner at ({x}, {y})"
        );
    }
    for (x, y) in path_points(hazard_d(&html, "SW-CHA")) {
        assert!(
            x < 0.3 * w && x >= 0.0 && y > 0.85 * h && y <= h,
            "SW corner at ({x}, {y})"
        );
    }
    // Coordinates are written with at most one decimal.
    assert!(hazard_d(&html, "NE-SHA")
        .split([' ', 'M', 'Z'])
        .all(|n| n.split('.').nth(1).is_none_or(|f| f.len() == 1)));
}

#[test]
fn top_hazards_table_is_sorted_and_capped() {
    let hazards: Vec<Hazard> = (0..60)
        .map(|i| {
            let x = 30.0 + 0.02 * i as f64;
            // Sizes grow with i, so the largest remaining is H59.
            hazard(
                &format!("H{i:02}"),
                HazardClass::Cha,
                rect(x, 50.0, x + 0.001 * (1 + i) as f64, 50.01),
            )
        })
        .collect();
    let release = account(&hazards, &[]);
    let f = Fixture {
        hazards,
        release,
        finds: vec![],
        accidents: vec![],
        lines: vec![],
        points: vec![],
    };
    let html = render_html(&f.input(false));
    let table = between(&html, "<table class=\"hazards\">", "</table>");
    assert_eq!(table.matches("<td class=\"id\">").count(), TOP_HAZARDS);
    let first = table.find(">H59<").unwrap();
    let second = table.find(">H58<").unwrap();
    assert!(first < second);
    assert!(!table.contains(">H09<"), "the smallest are left out");
    assert!(html.contains("10 more in <code>demine release --json</code>"));
}

#[test]
fn finds_and_accidents_are_counted() {
    let f = Fixture::new();
    let html = render_html(&f.input(false));
    assert!(between(&html, "<tr id=\"finds-AP_mine\"", "</tr>").contains("2&nbsp;items"));
    assert!(between(&html, "<tr id=\"finds-UXO\"", "</tr>").contains("1&nbsp;item<"));
    assert!(between(&html, "<tr id=\"finds-IED\"", "</tr>").contains("0&nbsp;items"));
    assert!(between(&html, "<tr class=\"sum\" id=\"finds-total\"", "</tr>").contains("3&nbsp;items"));
    assert!(between(&html, "<tr id=\"accidents-killed\"", "</tr>").contains("1&nbsp;person"));
    assert!(between(&html, "<tr id=\"accidents-injured\"", "</tr>").contains("3&nbsp;people"));
}

#[test]
fn header_and_footer() {
    let f = Fixture::new();
    let html = render_html(&f.input(false));
    let header = between(&html, "<header>", "</header>");
    assert!(header.contains("<h1>Land release — test region</h1>"));
    assert!(header.contains("As of <b>2024-06-30</b>"));
    assert!(header.contains("2025-01-02T03:04:05Z"));
    let footer = between(&html, "<footer>", "</footer>");
    assert!(footer.contains(
        "Areas are geodesic on the WGS84 ellipsoid; land released once, by the earliest activity (IMAS 07.11); \
         national totals over the union of hazards."
    ));
}

#[test]
fn output_is_deterministic() {
    let f = Fixture::new();
    assert_eq!(render_html(&f.input(true)), render_html(&f.input(true)));
}

#[test]
fn degenerate_inputs_do_not_panic() {
    // Nothing at all.
    let release = account(&[], &[]);
    let f = Fixture {
        hazards: vec![],
        release,
        finds: vec![],
        accidents: vec![],
        lines: vec![],
        points: vec![],
    };
    let html = render_html(&f.input(false));
    assert!(html.contains("Nothing to map"));
    assert!(between(&html, "<tr id=\"total-area\"", "</tr>").contains("—"));
    // Accounting shorter than the registry.
    let mut f = Fixture::new();
    f.release.per_hazard.truncate(2);
    let html = render_html(&f.input(false));
    assert!(html.contains("class=\"warn\""));
    assert_eq!(
        between(&html, "<g class=\"hazards\"", "</g>").matches("<path ").count(),
        2
    );
}

#[test]
fn national_scale_is_bounded_and_says_so() {
    // 30,000 small hazards on a 200 × 150 grid, each 40-gon (about 1.2 million vertices),
    // every third one half cleared.
    let n = 30_000;
    let ring = |cx: f64, cy: f64| -> MultiPolygon<f64> {
        let pts: Vec<(f64, f64)> = (0..40)
            .map(|k| {
                let a = k as f64 / 40.0 * std::f64::consts::TAU;
                (cx + 0.004 * a.cos(), cy + 0.003 * a.sin())
            })
            .collect();
        MultiPolygon::new(vec![geo::Polygon::new(LineString::from(pts), vec![])])
    };
    let hazards: Vec<Hazard> = (0..n)
        .map(|i| {
            let (cx, cy) = (24.0 + 0.05 * (i % 200) as f64, 46.0 + 0.05 * (i / 200) as f64);
            let class = if i % 2 == 0 { HazardClass::Sha } else { HazardClass::Cha };
            hazard(&format!("N{i:05}"), class, ring(cx, cy))
        })
        .collect();
    let acts: Vec<Act> = (0..n)
        .step_by(3)
        .map(|i| {
            let (cx, cy) = (24.0 + 0.05 * (i % 200) as f64, 46.0 + 0.05 * (i / 200) as f64);
            (
                i,
                "C",
                Outcome::Cleared,
                "2024-01-01",
                rect(cx - 0.01, cy - 0.01, cx, cy + 0.01),
            )
        })
        .collect();
    let release = account(&hazards, &acts);
    let f = Fixture {
        hazards,
        release,
        finds: vec![],
        accidents: vec![],
        lines: vec![],
        points: vec![],
    };
    let html = render_html(&f.input(true));
    assert!(html.len() < 3_000_000, "national report is {} bytes", html.len());
    assert!(!html.contains("<g class=\"hazards\""), "hazards not drawn one by one");
    assert!(html.contains("<g class=\"density\">"));
    assert!(html.contains("National scale: the 30,000 hazards are too many to draw one by one"));
    assert!(between(&html, "<g class=\"legend\"", "</svg>").contains(">Remaining per square:</text>"));
    assert!(html.contains("29,950 more in <code>demine release --json</code>"));
}

/// Every section of the report, over the fixture: risk map and ranking, priorities, plan and
/// forecast, strategies with frontier and reliability, breakdowns; national-scale map off.
fn every_section<'a>(
    f: &'a Fixture,
    cells: &'a [demine_core::RiskCell],
    risks: &'a [demine_core::HazardRisk],
    rows: &'a [PriorityRow],
    lang: Lang,
) -> ReportInput<'a> {
    use crate::breakdown::{Breakdown, BreakdownBy, BreakdownRow};
    use crate::plan::{Bar, PlanSection};
    use crate::strategy::{FrontierDot, Reliability, Row, StrategySection};
    let plan = PlanSection {
        start_date: d("2025-01-01"),
        continuous_days: false,
        team_ids: vec!["T1".into()],
        bars: vec![Bar {
            team: "T1".into(),
            task: "SW-CHA".into(),
            stage: "clearance".into(),
            start_day: 0.0,
            end_day: 12.5,
        }],
        released: vec![("2025-01".into(), 1.0e4)],
        band: vec![("2025-01".into(), 5.0e3, 1.0e4, 1.5e4)],
        completion: "2025-01-13".into(),
        completion_p: Some(["2025-01-12".into(), "2025-01-13".into(), "2025-02-01".into()]),
        synthetic: true,
    };
    let row = |name: &str| Row {
        name: name.into(),
        completion_p10: d("2025-01-10"),
        completion_p50: d("2025-01-13"),
        completion_p90: d("2025-02-01"),
        team_days: 1234.0,
        cost: 2.5e6,
        by_outcome_m2: [1.0e6, 2.0e5, 3.0e4],
        expected_residual_items: 12.4,
        true_residual_items: Some(10),
    };
    let month = |key: &str| BreakdownRow {
        key: key.into(),
        hazards: 2,
        area_m2: 1.0e6,
        cancelled_m2: 1.0e5,
        reduced_m2: 2.0e4,
        cleared_m2: 3.0e3,
        remaining_m2: 5.0e5,
        cumulative_released_m2: Some(1.23e5),
    };
    ReportInput {
        lang,
        risk: Some(RiskSection {
            cells,
            hazards: risks,
            auc: Some(0.865),
            model: "gradient-boosted trees".into(),
            truth: Some(crate::risk::TruthScore {
                contaminated_cells: 1234,
                recall: 0.61,
                lift: 3.05,
                unlabelled_recall: 0.4,
                unlabelled_lift: 2.0,
            }),
            ranked: true,
            suggested: None,
        }),
        priorities: Some(PrioritySection {
            rows,
            criteria: vec![("risk".into(), 3.0), ("farmland".into(), 1.0)],
            suggested_cha: 1,
            ranked: rows.len(),
        }),
        plan: Some(plan.clone()),
        strategy: Some(StrategySection {
            synthetic: true,
            rows: vec![row("clear-all"), row("evidence-led")],
            frontier: vec![
                FrontierDot {
                    strategy: "clear-all".into(),
                    horizon_days: None,
                    completion: d("2030-01-01"),
                    expected_residual_items: 3.0,
                },
                FrontierDot {
                    strategy: "evidence-led".into(),
                    horizon_days: Some(90.0),
                    completion: d("2025-04-01"),
                    expected_residual_items: 40.0,
                },
            ],
            confidence: 0.9,
            chosen: "evidence-led".into(),
            gantt: plan,
            reliability: vec![Reliability {
                bins: vec![(0.05, 0.04, 100), (0.5, 0.45, 80)],
                expected_items: 412.0,
                true_items: 398,
            }],
        }),
        breakdowns: vec![
            Breakdown {
                by: BreakdownBy::Month,
                from: Some(d("2024-01-01")),
                to: Some(d("2024-12-31")),
                rows: vec![month("2024-01"), month("2024-02")],
            },
            Breakdown {
                by: BreakdownBy::Organisation,
                from: None,
                to: None,
                rows: vec![month("HALO")],
            },
        ],
        ..f.input(true)
    }
}

/// The words a reader sees: the text of the page with tags, styles and entities removed.
fn visible_words(html: &str) -> Vec<String> {
    let mut body = html[html.find("<body>").unwrap()..].to_string();
    // Style sheets inside SVGs are code, not text.
    while let Some(i) = body.find("<style>") {
        let j = i + body[i..].find("</style>").unwrap() + "</style>".len();
        body.replace_range(i..j, "");
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.replace("&nbsp;", " ").replace("&amp;", "&");
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_ukrainian_report_has_no_english_left() {
    let f = Fixture::new();
    let cell = demine_core::RiskCell {
        cell: "8928308280fffff".into(),
        resolution: 9,
        outline: polygon![(x: 30.0, y: 50.0), (x: 30.01, y: 50.0), (x: 30.01, y: 50.01)],
        risk: 0.42,
        label: Some(true),
        items: 2,
    };
    let risk = demine_core::HazardRisk {
        hazard_id: "SW-CHA".into(),
        expected_contaminated_share: 0.25,
        p_any: 0.9,
    };
    let rows = [PriorityRow {
        rank: 1,
        hazard_id: "NE-SHA".into(),
        class: "SHA".into(),
        suggested_class: "CHA".into(),
        score: 71.5,
        remaining_m2: 12345.0,
        points: vec![80.0, 45.5],
    }];
    let cells = [cell];
    let risks = [risk];
    let en = render_html(&every_section(&f, &cells, &risks, &rows, Lang::En));
    let uk = render_html(&every_section(&f, &cells, &risks, &rows, Lang::Uk));
    assert!(uk.contains("<html lang=\"uk\">") && en.contains("<html lang=\"en\">"));
    // Identifiers, IMAS abbreviations, units of code and the SYNTHETIC label stay in Latin
    // letters; the user's data (ids, the title, settlement names) stays as recorded.
    let kept = [
        "SYNTHETIC",
        "SHA",
        "CHA",
        "NTS",
        "TS",
        "EO",
        "UXO",
        "AXO",
        "IED",
        "IMAS",
        "WGS",
        "H",
        "ROC",
        "AUC",
        "P",
        "demine",
        "report",
        "release",
        "json",
        "risk",
        "build",
        "suggest",
        "out",
        "FILE",
        "geojson",
        "priority",
        "risk_cells",
        "px",
        "cos",
        "clear",
        "all",
        "evidence",
        "led",
        "clearance",
        "T",
        "Z",
        "MID",
        "SW",
        "NE",
        "overlap",
        "HALO",
        "Land",
        "test",
        "region",
        "Kamianka",
        "CL",
        "TS",
        "NTS",
        "cells",
    ];
    let english: Vec<String> = visible_words(&uk)
        .into_iter()
        .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic()) && !kept.contains(&w.as_str()))
        .collect();
    assert!(english.is_empty(), "English words in the Ukrainian report: {english:?}");
    // The same figures, written the Ukrainian way.
    assert!(
        en.contains("2,500,000") && uk.contains("2\u{a0}500\u{a0}000"),
        "cost grouped"
    );
    assert!(uk.contains("Підсумки звільнення земель") && uk.contains("Стратегії звільнення"));
    assert!(uk.contains("4&nbsp;небезпечні ділянки") && en.contains("4&nbsp;hazards"));
    assert!(uk.contains("0,865") && en.contains("0.865"), "AUC with a decimal comma");
    // Both languages show the same sections.
    assert_eq!(en.matches("<section").count(), uk.matches("<section").count());
    assert_eq!(en.matches("<svg").count(), uk.matches("<svg").count());
}
