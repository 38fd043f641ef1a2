//! Every use case of demine-app, called as the CLI and the server call it: on a registry, for an
//! actor, returning domain values or a typed refusal. One body per use case, run on each store
//! backend this build has (`backends()`).

use demine_app::field::{
    lanes, progress_add, progress_stats, qa_plan, qa_record, qa_sample, residual, LanesRequest, ProgressAddRequest,
    QaPlanRequest, QaRecordRequest, QaSampleRequest, ResidualRequest,
};
use demine_app::import::{import_layer, import_records, ImportOptions};
use demine_app::release::{release, By, ReleaseRequest};
use demine_app::upkeep::{amend, retire, Amendment, RetireRequest};
use demine_app::{Actor, AppError, Location, RecordKind, Registry, Repository, Role};
use std::path::{Path, PathBuf};

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> String {
    format!(r#"{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}"#)
}

fn collection(features: &[(&str, String)]) -> String {
    let fs: Vec<String> = features
        .iter()
        .map(|(p, g)| format!(r#"{{"type":"Feature","properties":{p},"geometry":{g}}}"#))
        .collect();
    format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, fs.join(","))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The store backends of this build, each with a fresh location.
fn backends(dir: &Path) -> Vec<Location> {
    vec![Location::GeoPackage(dir.join("registry.gpkg"))]
}

fn me() -> Actor {
    Actor::local("tester")
}

/// Two hazards of two organisations, HZ-1 half cleared.
async fn seeded(loc: &Location, dir: &Path) {
    let h = write(
        dir,
        "h.geojson",
        &collection(&[
            (
                r#"{"id":"HZ-1","class":"CHA","organisation":"NGO-1","recorded_date":"2024-01-01"}"#,
                rect(30.0, 50.0, 30.002, 50.001),
            ),
            (
                r#"{"id":"HZ-2","class":"SHA","organisation":"NGO-2","recorded_date":"2024-01-01"}"#,
                rect(30.01, 50.0, 30.012, 50.001),
            ),
        ]),
    );
    import_records(loc, &me(), RecordKind::Hazards, &h, &ImportOptions::default())
        .await
        .unwrap();
    let a = write(
        dir,
        "a.geojson",
        &collection(&[(
            r#"{"id":"A-1","hazard_id":"HZ-1","type":"clearance","outcome":"cleared","start_date":"2024-02-01","end_date":"2024-02-10","team":"T1","method":"manual"}"#,
            rect(30.0, 50.0, 30.001, 50.001),
        )]),
    );
    import_records(loc, &me(), RecordKind::Activities, &a, &ImportOptions::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn import_is_all_or_nothing_and_a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for loc in backends(dir.path()) {
        let bad = write(
            dir.path(),
            "bad.geojson",
            &collection(&[
                (r#"{"id":"H1","class":"SHA"}"#, rect(30.0, 50.0, 30.01, 50.01)),
                (r#"{"id":"H2","class":"XHA"}"#, rect(30.1, 50.0, 30.11, 50.01)),
            ]),
        );
        let e = import_records(&loc, &me(), RecordKind::Hazards, &bad, &ImportOptions::default())
            .await
            .unwrap_err();
        let AppError::Refused(r) = e else { panic!("{e}") };
        assert_eq!(r.problems.len(), 1);
        assert!(
            r.problems[0].contains("record 2") && r.problems[0].contains("field `class`"),
            "{r}"
        );
        assert!(
            !loc.exists().await.unwrap(),
            "a refused first import creates no registry"
        );
        let good = write(
            dir.path(),
            "good.geojson",
            &collection(&[(r#"{"id":"H1","class":"SHA"}"#, rect(30.0, 50.0, 30.01, 50.01))]),
        );
        let dry = ImportOptions {
            dry_run: true,
            ..ImportOptions::default()
        };
        let i = import_records(&loc, &me(), RecordKind::Hazards, &good, &dry)
            .await
            .unwrap();
        assert_eq!((i.valid, i.written), (1, 0));
        assert!(!loc.exists().await.unwrap());
        let i = import_records(&loc, &me(), RecordKind::Hazards, &good, &ImportOptions::default())
            .await
            .unwrap();
        assert!(i.created && i.written == 1);
        let layer = write(
            dir.path(),
            "roads.geojson",
            &collection(&[(
                r#"{"id":"R1"}"#,
                r#"{"type":"LineString","coordinates":[[30,50],[30.1,50.1]]}"#.to_string(),
            )]),
        );
        let l = import_layer(&loc, &me(), "roads", &layer, &ImportOptions::default())
            .await
            .unwrap();
        assert_eq!(l.written, 1);
        // A server imports through the registry it holds: its next read sees the write, and
        // the registry stays open for the next request.
        let held = Registry::open(&loc).await.unwrap();
        for (id, hazards) in [("H2", 2), ("H3", 3)] {
            let more = write(
                dir.path(),
                "more.geojson",
                &collection(&[(
                    &format!(r#"{{"id":"{id}","class":"SHA"}}"#),
                    rect(30.2, 50.0, 30.21, 50.01),
                )]),
            );
            let i = import_records(&held, &me(), RecordKind::Hazards, &more, &ImportOptions::default())
                .await
                .unwrap();
            assert!(!i.created && i.written == 1);
            assert_eq!(held.store.ids(RecordKind::Hazards).await.unwrap().len(), hazards);
        }
        let l = import_layer(
            &held,
            &me(),
            "roads",
            &layer,
            &ImportOptions {
                replace: true,
                ..ImportOptions::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((l.written, l.replaced), (1, 1));
    }
}

#[tokio::test]
async fn amend_and_retire_recompute_release_in_the_same_write() {
    let dir = tempfile::tempdir().unwrap();
    for loc in backends(dir.path()) {
        seeded(&loc, dir.path()).await;
        let reg = Registry::open(&loc).await.unwrap();
        let before = release(&reg, &me(), &ReleaseRequest::default()).await.unwrap();
        let half = before.release.per_hazard[0].remaining_m2;
        assert!(half > 0.0);
        let c = amend(
            &reg,
            &me(),
            RecordKind::Activities,
            "A-1",
            &Amendment {
                geometry: Some(serde_json::from_str(&rect(30.0, 50.0, 30.002, 50.001)).unwrap()),
                reason: "the whole task was cleared".into(),
                ..Amendment::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((c.from_version, c.version), (1, Some(2)));
        let hz1 = &c.recomputed.iter().find(|(id, _)| id == "HZ-1").unwrap().1;
        assert_eq!(hz1.figures.remaining_m2, 0.0);
        // Based on version 1 again: stale.
        let stale = amend(
            &reg,
            &me(),
            RecordKind::Activities,
            "A-1",
            &Amendment {
                set: vec![("team".into(), "T2".into())],
                reason: "x".into(),
                based_on: Some(1),
                ..Amendment::default()
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(stale, AppError::Stale(_)), "{stale}");
        let r = retire(
            &reg,
            &me(),
            RecordKind::Activities,
            "A-1",
            &RetireRequest {
                reason: "entered in error".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            r.recomputed[0].1.figures.remaining_m2,
            r.recomputed[0].1.figures.area_m2
        );
        let again = retire(
            &reg,
            &me(),
            RecordKind::Activities,
            "A-1",
            &RetireRequest {
                reason: "x".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(again, AppError::NotFound(_)), "{again}");
        reg.close().await.unwrap();
    }
}

#[tokio::test]
async fn release_by_organisation_and_another_organisations_records_are_invisible() {
    let dir = tempfile::tempdir().unwrap();
    for loc in backends(dir.path()) {
        seeded(&loc, dir.path()).await;
        let reg = Registry::open(&loc).await.unwrap();
        let r = release(
            &reg,
            &me(),
            &ReleaseRequest {
                by: Some(By::Organisation),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let (_, groups) = r.groups.unwrap();
        assert_eq!(groups.len(), 2);
        // A planner of NGO-2 sees NGO-2 only: HZ-1 is not found, not forbidden.
        let planner = Actor {
            name: "p".into(),
            role: Role::Planner,
            organisation: Some("NGO-2".into()),
            assigned: vec![],
            request_id: None,
        };
        let mine = release(&reg, &planner, &ReleaseRequest::default()).await.unwrap();
        assert_eq!(mine.hazards.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["HZ-2"]);
        let e = demine_app::show::show(&reg, &planner, RecordKind::Hazards, "HZ-1")
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::NotFound(_)), "{e}");
        let e = amend(
            &reg,
            &planner,
            RecordKind::Hazards,
            "HZ-1",
            &Amendment {
                set: vec![("name".into(), "x".into())],
                reason: "x".into(),
                ..Amendment::default()
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(e, AppError::NotFound(_)), "{e}");
        // A viewer reads figures, never records.
        let viewer = Actor {
            role: Role::Viewer,
            ..planner.clone()
        };
        assert!(release(&reg, &viewer, &ReleaseRequest::default()).await.is_ok());
        let e = demine_app::show::show(&reg, &viewer, RecordKind::Hazards, "HZ-2")
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Forbidden(_)), "{e}");
        reg.close().await.unwrap();
    }
}

#[tokio::test]
async fn field_work_qa_residual_and_the_certificate_rule() {
    let dir = tempfile::tempdir().unwrap();
    for loc in backends(dir.path()) {
        seeded(&loc, dir.path()).await;
        let reg = Registry::open(&loc).await.unwrap();
        let rest = write(
            dir.path(),
            "rest.geojson",
            &collection(&[(r#"{"id":"X"}"#, rect(30.001, 50.0, 30.002, 50.001))]),
        );
        let lanes_out = dir.path().join("lanes.geojson");
        let l = lanes(
            Some(&reg),
            &me(),
            &LanesRequest {
                task_id: Some("HZ-1"),
                polygon: None,
                width_m: Some(2.0),
                heading: "auto",
                access: None,
                boxes_m: None,
                out: &lanes_out,
            },
        )
        .await
        .unwrap();
        assert!(l.json["lanes"].as_u64().unwrap() > 10, "{}", l.json);
        let add = |dry_run| ProgressAddRequest {
            date: "2024-03-01",
            geometry: None,
            task: "HZ-1",
            team: "T1",
            team_kind: Some("mechanical"),
            polygon: Some(&rest),
            lanes: None,
            lane_plan: None,
            hours: 8.0,
            downtime_hours: 0.0,
            downtime_reason: None,
            finds: 0,
            terrain: None,
            id: None,
            max_m2_per_hour: None,
            dry_run,
        };
        let dry = progress_add(&reg, &me(), &add(true)).await.unwrap();
        assert_eq!(dry.remaining_m2, 0.0);
        assert_eq!(
            progress_stats(&reg, &me()).await.unwrap().reports,
            0,
            "a dry run records nothing"
        );
        let done = progress_add(&reg, &me(), &add(false)).await.unwrap();
        assert_eq!(done.remaining_m2, 0.0);
        assert_eq!(progress_stats(&reg, &me()).await.unwrap().reports, 1);
        let plan = qa_plan(&QaPlanRequest {
            lot_units: 200,
            lq: Some(0.05),
            beta: 0.1,
            c: 0,
            budget: None,
        })
        .unwrap();
        let sample_out = dir.path().join("qa.gpx");
        let s = qa_sample(
            Some(&reg),
            &me(),
            &QaSampleRequest {
                hazard_id: Some("HZ-1"),
                polygon: None,
                units: plan.n as usize,
                box_m: 10.0,
                seed: 7,
                out: &sample_out,
            },
        )
        .await
        .unwrap();
        assert!(s.lot.contains("cleared land"));
        let e = demine_app::field::certificate(&reg, &me(), "HZ-1", "en", false)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no post-clearance inspection"), "{e}");
        qa_record(
            &reg,
            &me(),
            &QaRecordRequest {
                hazard_id: "HZ-1".into(),
                date: "2024-03-05".into(),
                lot_units: s.lot_units as u64,
                sample_units: plan.n,
                defects: 0,
                c: 0,
                box_m: 10.0,
                detection: 0.9,
                nonconformities: vec![],
                inspector: None,
                id: None,
            },
        )
        .await
        .unwrap();
        let r = residual(&reg, &me(), "HZ-1", &ResidualRequest::default())
            .await
            .unwrap();
        assert!(r.estimate.residual.p_any_remaining < 0.5);
        let c = demine_app::field::certificate(&reg, &me(), "HZ-1", "uk", false)
            .await
            .unwrap();
        assert!(!c.draft && c.html.contains("lang=\"uk\""));
        let shown = demine_app::show::show(&reg, &me(), RecordKind::Hazards, "HZ-1")
            .await
            .unwrap();
        assert_eq!(shown.hazard.unwrap()["certificate"]["can_issue"], true);
        reg.close().await.unwrap();
    }
}

#[tokio::test]
async fn the_demo_and_the_use_cases_that_need_a_whole_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let s = demine_app::demo::demo(
        &me(),
        &demine_app::demo::DemoRequest {
            out: out.clone(),
            force: false,
            seed: 5,
            scale: demine_app::demo::Scale::Small,
            lang: demine_app::text::Lang::En,
        },
        &demine_app::NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(s.json["data"], "SYNTHETIC");
    assert!(s.report.exists());
    let reg = Registry::open(&Location::GeoPackage(s.db.clone())).await.unwrap();
    let p = demine_app::priority::priority(&reg, &me(), None).await.unwrap();
    assert!(!p.report.hazards.is_empty());
    let input = demine_app::plan::PlanInput::default();
    let plan = demine_app::plan::plan(
        Some(&reg),
        &me(),
        &input,
        &demine_app::plan::PlanSettings {
            search_budget_s: 1.0,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(!plan.plan.assignments.is_empty());
    let f = demine_app::plan::forecast(
        Some(&reg),
        &me(),
        &input,
        &demine_app::plan::ForecastSettings {
            runs: 50,
            search_budget_s: 0.5,
            ..Default::default()
        },
        &demine_app::NoProgress,
    )
    .await
    .unwrap();
    assert!(f.forecast.p10_day <= f.forecast.p90_day);
    // Issue 14: the strategies, from the model the demo stored, scored against its truth.
    let st = demine_app::strategy::strategies(
        &reg,
        &me(),
        &input,
        &demine_app::strategy::StrategySettings {
            runs: 30,
            search_budget_s: 0.5,
            ..Default::default()
        },
        &demine_app::NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(st.model_source, "stored");
    let names: Vec<&str> = st.runs.iter().map(|r| r.plan.kind.as_str()).collect();
    assert_eq!(names, ["clear-all", "survey-led", "evidence-led"]);
    let (clear, evidence) = (&st.runs[0].evaluation, &st.runs[2].evaluation);
    assert!(evidence.p50_days < clear.p50_days, "{evidence:?} vs {clear:?}");
    assert!(clear.expected_residual_items < evidence.expected_residual_items);
    assert!(st.runs.iter().all(|r| r.true_residual_items.is_some()));
    assert!(st.calibration.as_ref().is_some_and(|c| !c.deciles.is_empty()));
    assert_eq!(f.loaded.strategy.as_deref(), Some("evidence-led"));
    let cap = demine_app::strategy::strategies(
        &reg,
        &me(),
        &input,
        &demine_app::strategy::StrategySettings {
            max_residual_items: Some(-1.0),
            ..Default::default()
        },
        &demine_app::NoProgress,
    )
    .await;
    assert!(matches!(cap, Err(AppError::Refused(_))));
    let html = demine_app::report::report(
        &reg,
        &me(),
        &demine_app::report::ReportRequest {
            plan: false,
            ..Default::default()
        },
        &demine_app::NoProgress,
    )
    .await
    .unwrap();
    assert!(html.contains("SYNTHETIC") && html.contains("Released by month"));
    let built = demine_app::risk::risk_build(
        &reg,
        &me(),
        &demine_app::risk::BuildOptions {
            seed: 5,
            ..Default::default()
        },
        &demine_app::NoProgress,
    )
    .await;
    // The small campaign may be too small to learn from; a refusal then says why.
    match built {
        Ok(m) => assert!(m.cells > 0),
        Err(AppError::Refused(r)) => assert!(r.to_string().contains("needs both"), "{r}"),
        Err(e) => panic!("{e}"),
    }
    let checked = demine_app::registry::check(&reg, &me()).await.unwrap();
    assert_eq!(checked.errors, 0);
    reg.close().await.unwrap();
    // The demo does not replace a registry of real data.
    let real = dir.path().join("real");
    std::fs::create_dir_all(&real).unwrap();
    let h = write(
        &real,
        "h.geojson",
        &collection(&[(r#"{"id":"H1","class":"SHA"}"#, rect(30.0, 50.0, 30.01, 50.01))]),
    );
    import_records(
        &Location::GeoPackage(real.join("demine.gpkg")),
        &me(),
        RecordKind::Hazards,
        &h,
        &ImportOptions::default(),
    )
    .await
    .unwrap();
    let e = demine_app::demo::demo(
        &me(),
        &demine_app::demo::DemoRequest {
            out: real,
            force: false,
            seed: 5,
            scale: demine_app::demo::Scale::Small,
            lang: demine_app::text::Lang::En,
        },
        &demine_app::NoProgress,
    )
    .await
    .err()
    .unwrap();
    assert!(e.to_string().contains("not from `demine demo`"), "{e}");
}
