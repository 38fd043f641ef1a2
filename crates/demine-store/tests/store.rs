//! The registry stores: records read back as written, one changeset is all or nothing, the
//! change log is append-only and hash-chained, corrections keep their history.
//!
//! One test body, every backend: the GeoPackage file always, and PostgreSQL + PostGIS when the
//! crate is built with `--features postgres` and `DEMINE_TEST_PG` names a cluster
//! (`eval "$(scripts/pg-test-cluster.sh env)"`); each test gets its own database there.

mod backends;

use backends::{backends, Fixture};
use chrono::NaiveDate;
use demine_core::{Activity, ActivityType, Attributes, Find, FindCategory, Hazard, HazardClass, Outcome, RecordKind};
use demine_store::{Author, Changeset, GeoPackageStore, LogQuery, Query, Repository, Store};
use geo::{polygon, MultiPolygon, Point};

fn hazard(id: &str, x: f64) -> Hazard {
    let mut attributes = Attributes::new();
    attributes.insert("source".into(), "survey 2024".into());
    Hazard {
        id: id.into(),
        class: HazardClass::Cha,
        geometry: MultiPolygon::new(vec![polygon![
            (x: x, y: 50.0), (x: x + 0.0123456789012345, y: 50.0), (x: x + 0.01, y: 50.01), (x: x, y: 50.01)
        ]]),
        name: Some("Поле".into()),
        reported_status: None,
        organisation: Some("ORG".into()),
        land_use: Some("agricultural".into()),
        contamination: None,
        evidence: Some("mine found".into()),
        blockages: None,
        recorded_date: NaiveDate::from_ymd_opt(2024, 3, 1),
        attributes,
    }
}

fn activity(id: &str, hazard_id: &str) -> Activity {
    let h = hazard("x", 30.0);
    Activity {
        id: id.into(),
        hazard_id: hazard_id.into(),
        activity_type: ActivityType::Clearance,
        outcome: Outcome::Cleared,
        start_date: NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
        end_date: NaiveDate::from_ymd_opt(2024, 5, 9).unwrap(),
        geometry: h.geometry,
        organisation: None,
        team: Some("T1".into()),
        method: Some("manual".into()),
        depth_cm: Some(13.0),
        attributes: Attributes::new(),
    }
}

async fn store() -> (tempfile::TempDir, GeoPackageStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = GeoPackageStore::open(&dir.path().join("t.gpkg")).await.unwrap();
    (dir, s)
}

#[tokio::test]
async fn records_read_back_exactly() {
    for f in backends().await {
        records_read_back_exactly_on(&f).await;
    }
}

async fn records_read_back_exactly_on(f: &Fixture) {
    let s = &f.store;
    let h = hazard("H1", 30.0);
    let a = activity("A1", "H1");
    let f = Find {
        id: "F1".into(),
        date: NaiveDate::from_ymd_opt(2024, 5, 3).unwrap(),
        category: FindCategory::ApMine,
        location: Point::new(30.001234567890123, 50.00198765432101),
        hazard_id: Some("H1".into()),
        activity_id: Some("A1".into()),
        depth_cm: Some(8.5),
        condition: Some("armed".into()),
        disposition: None,
        attributes: Attributes::new(),
    };
    let c = Changeset {
        description: "test".into(),
        hazards: vec![h.clone()],
        activities: vec![a.clone()],
        finds: vec![f.clone()],
        ..Default::default()
    };
    s.apply(&c, &Author::named("tester")).await.unwrap();
    assert_eq!(s.hazards(&Query::all()).await.unwrap(), vec![h]);
    assert_eq!(s.activities(&Query::all()).await.unwrap(), vec![a]);
    assert_eq!(s.finds(&Query::all()).await.unwrap(), vec![f]);
    let counts = s.counts().await.unwrap();
    assert_eq!(
        (counts.hazards, counts.activities, counts.finds, counts.change_log),
        (1, 1, 1, 4)
    );
    let log = s
        .change_log(&LogQuery {
            limit: Some(10),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(log.iter().all(|e| e.actor == "tester"));
    assert_eq!(log.iter().filter(|e| e.action == "insert").count(), 3);
    assert_eq!(log[0].action, "recompute");
    assert!(log
        .iter()
        .any(|e| e.entity_id.as_deref() == Some("H1") && e.after.as_deref().unwrap().contains("Поле")));
    assert_eq!(
        s.ids(RecordKind::Hazards)
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec!["H1".to_string()]
    );
}

#[tokio::test]
async fn a_failing_changeset_writes_nothing() {
    for f in backends().await {
        a_failing_changeset_writes_nothing_on(&f.store).await;
    }
}

async fn a_failing_changeset_writes_nothing_on(s: &Store) {
    s.apply(
        &Changeset {
            hazards: vec![hazard("H1", 30.0)],
            ..Default::default()
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    let before = s.counts().await.unwrap();
    // The second hazard is fine, the activity refers to a missing hazard: the foreign key fails.
    let bad = Changeset {
        hazards: vec![hazard("H2", 31.0)],
        activities: vec![activity("A1", "MISSING")],
        ..Default::default()
    };
    let refused = s.apply(&bad, &Author::named("t")).await.unwrap_err().to_string();
    assert!(
        refused.starts_with("activities: ") && refused.contains("referring to one that does not exist"),
        "names the table and the broken reference: {refused}"
    );
    assert_eq!(s.counts().await.unwrap(), before);
    // A duplicate id fails too, and leaves nothing behind.
    let dup = Changeset {
        hazards: vec![hazard("H3", 32.0), hazard("H1", 33.0)],
        ..Default::default()
    };
    let refused = s.apply(&dup, &Author::named("t")).await.unwrap_err().to_string();
    assert!(
        refused.starts_with("hazards: ") && refused.contains("already in the registry"),
        "names the table and says the id is taken: {refused}"
    );
    assert_eq!(s.counts().await.unwrap(), before);
}

#[tokio::test]
async fn a_streamed_insert_commits_only_at_its_end() {
    for f in backends().await {
        a_streamed_insert_commits_only_at_its_end_on(&f.store).await;
    }
}

/// Sends `chunks` of finds on a stream, then `Commit` if `commit`, while the store applies it.
async fn stream_finds(s: &Store, chunks: Vec<Vec<Find>>, commit: bool) -> demine_store::Result<demine_store::Applied> {
    use demine_store::{InsertStream, StreamChunk};
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    let expected_rows = chunks.iter().map(Vec::len).sum();
    let send = async move {
        for c in chunks {
            let records = c.into_iter().map(demine_core::AnyRecord::Find).collect();
            if sender.send(StreamChunk::Records(records)).await.is_err() {
                return;
            }
        }
        if commit {
            let _ = sender.send(StreamChunk::Commit).await;
        }
    };
    let mut stream = InsertStream {
        chunks: receiver,
        expected_rows,
    };
    let (head, author) = (Changeset::new("streamed"), Author::named("t"));
    let (applied, ()) = tokio::join!(s.apply_streamed(&head, &author, &mut stream), send);
    applied
}

async fn a_streamed_insert_commits_only_at_its_end_on(s: &Store) {
    s.apply(
        &Changeset {
            hazards: vec![hazard("H1", 30.0)],
            ..Default::default()
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    let find = |i: usize| Find {
        id: format!("F{i}"),
        date: NaiveDate::from_ymd_opt(2024, 5, 3).unwrap(),
        category: FindCategory::Uxo,
        location: Point::new(30.001 + i as f64 * 1e-4, 50.002),
        hazard_id: Some("H1".into()),
        activity_id: None,
        depth_cm: None,
        condition: None,
        disposition: None,
        attributes: Attributes::new(),
    };
    let before = s.counts().await.unwrap();
    // Two chunks written, then the sender stops without Commit (it found a defect): nothing stays.
    let stopped = stream_finds(s, vec![(0..3).map(find).collect(), (3..5).map(find).collect()], false).await;
    assert!(stopped.is_err(), "a stream without Commit is refused");
    assert_eq!(s.counts().await.unwrap(), before);
    // A duplicate id in the second chunk: the store refuses, nothing stays.
    let dup = stream_finds(s, vec![(0..3).map(find).collect(), vec![find(1)]], true).await;
    let refused = dup.expect_err("a duplicate across chunks is refused").to_string();
    assert!(refused.contains("already in the registry"), "{refused}");
    assert_eq!(s.counts().await.unwrap(), before);
    // Three chunks and Commit: every find, one change-log entry each.
    let chunks: Vec<Vec<Find>> = vec![(0..3).map(find).collect(), (3..5).map(find).collect(), vec![find(5)]];
    let applied = stream_finds(s, chunks, true).await.unwrap();
    let after = s.counts().await.unwrap();
    assert_eq!(after.finds, before.finds + 6);
    assert_eq!(applied.log_entries, 6);
    let stored: Vec<String> = s
        .finds(&Query::all())
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(stored.len(), 6);
    for i in 0..6 {
        assert!(stored.contains(&format!("F{i}")), "F{i} in {stored:?}");
    }
}

#[tokio::test]
async fn change_log_is_append_only() {
    let (d, s) = store().await;
    s.apply(
        &Changeset {
            hazards: vec![hazard("H1", 30.0)],
            ..Default::default()
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    s.close().await.unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", d.path().join("t.gpkg").display()))
        .await
        .unwrap();
    let upd = sqlx::query("UPDATE change_log SET actor = 'mallory'")
        .execute(&pool)
        .await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = sqlx::query("DELETE FROM change_log").execute(&pool).await;
    assert!(del.unwrap_err().to_string().contains("append-only"));
}

#[tokio::test]
async fn file_is_a_geopackage_with_extents() {
    let (d, s) = store().await;
    s.apply(
        &Changeset {
            hazards: vec![hazard("H1", 30.0), hazard("H2", 31.0)],
            ..Default::default()
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    s.close().await.unwrap();
    let path = d.path().join("t.gpkg");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let app: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&pool)
        .await
        .unwrap();
    let ver: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((app, ver), (0x47504B47, 10300));
    let (minx, maxx): (f64, f64) =
        sqlx::query_as("SELECT min_x, max_x FROM gpkg_contents WHERE table_name = 'hazards'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(minx, 30.0);
    assert_eq!(maxx, 31.0 + 0.0123456789012345);
    let blob: Vec<u8> = sqlx::query_scalar("SELECT geom FROM hazards LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(&blob[..2], b"GP");
    assert_eq!(i32::from_le_bytes(blob[4..8].try_into().unwrap()), 4326);
}

#[tokio::test]
async fn refuses_files_that_are_not_registries() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.gpkg");
    std::fs::write(&p, "plain text").unwrap();
    let e = GeoPackageStore::open(&p).await.unwrap_err().to_string();
    assert!(e.contains("not a demine registry"), "{e}");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "plain text");
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn square(x0: f64, y0: f64, side: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![polygon![
        (x: x0, y: y0), (x: x0 + side, y: y0), (x: x0 + side, y: y0 + side), (x: x0, y: y0 + side)
    ]])
}

/// A hazard H1 (a 0.01° square) with an activity A1 clearing the whole of it.
async fn cleared_hazard(s: &Store) {
    let mut h = hazard("H1", 30.0);
    h.geometry = square(30.0, 50.0, 0.01);
    let mut a = activity("A1", "H1");
    a.geometry = square(30.0, 50.0, 0.01);
    let c = Changeset {
        hazards: vec![h],
        activities: vec![a],
        ..Changeset::new("setup")
    };
    s.apply(&c, &Author::named("t")).await.unwrap();
}

use demine_core::{AnyRecord, HazardStatus};
use demine_store::{Replacement, Retirement, StoreError};

#[tokio::test]
async fn computed_columns_are_written_by_the_write_that_changes_them() {
    for f in backends().await {
        computed_columns_are_written_by_the_write_that_changes_them_on(&f.store).await;
    }
}

async fn computed_columns_are_written_by_the_write_that_changes_them_on(s: &Store) {
    cleared_hazard(s).await;
    let c = s.computed(&Query::all()).await.unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].1.status, HazardStatus::Released);
    assert_eq!(c[0].1.figures.remaining_m2, 0.0);
    // Halving the activity (an amendment) leaves half the hazard remaining, recomputed in the
    // same write.
    let mut a = activity("A1", "H1");
    a.geometry = square(30.0, 50.0, 0.005);
    let applied = s
        .apply(
            &Changeset {
                replacements: vec![Replacement {
                    record: AnyRecord::Activity(a),
                    based_on: Some(1),
                }],
                reason: Some("re-surveyed boundary".into()),
                ..Changeset::new("amend activities A1")
            },
            &Author::named("t"),
        )
        .await
        .unwrap();
    let after = applied.computed("H1").unwrap();
    assert_eq!(after.status, HazardStatus::PartiallyReleased);
    let share = after.figures.remaining_m2 / after.figures.area_m2;
    assert!(
        (share - 0.75).abs() < 1e-3,
        "a quarter of the square is cleared, three quarters remain: {share}"
    );
    assert_eq!(s.computed(&Query::all()).await.unwrap()[0].1, *after);
    assert_eq!(applied.versions, vec![(RecordKind::Activities, "A1".to_string(), 2)]);
    let versions = s.versions(RecordKind::Activities, "A1").await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(versions[0].ended_by.as_deref(), Some("amended"));
    assert_eq!(versions[0].reason.as_deref(), Some("re-surveyed boundary"));
    let log = s
        .change_log(&LogQuery {
            entity_id: Some("A1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let amend = log.iter().find(|e| e.action == "amend").expect("an amend entry");
    assert!(amend.before.is_some() && amend.after.is_some());
    assert_eq!(amend.reason.as_deref(), Some("re-surveyed boundary"));
}

#[tokio::test]
async fn a_change_based_on_a_stale_version_is_refused_and_writes_nothing() {
    for f in backends().await {
        a_change_based_on_a_stale_version_is_refused_and_writes_nothing_on(&f.store).await;
    }
}

async fn a_change_based_on_a_stale_version_is_refused_and_writes_nothing_on(s: &Store) {
    cleared_hazard(s).await;
    let mut h = hazard("H1", 30.0);
    h.geometry = square(30.0, 50.0, 0.01);
    h.name = Some("first edit".into());
    let edit = |h: Hazard, v| Changeset {
        replacements: vec![Replacement {
            record: AnyRecord::Hazard(h),
            based_on: Some(v),
        }],
        ..Changeset::new("amend")
    };
    s.apply(&edit(h.clone(), 1), &Author::named("a")).await.unwrap();
    let before = s.counts().await.unwrap();
    h.name = Some("second edit from the same version".into());
    let e = s.apply(&edit(h, 1), &Author::named("b")).await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Stale {
                expected: 1,
                current: 2,
                ..
            }
        ),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("hazard 'H1'") && msg.contains("version 1") && msg.contains("version 2"),
        "{msg}"
    );
    assert_eq!(s.counts().await.unwrap(), before);
    let stored = s.record(RecordKind::Hazards, "H1").await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    match stored.record {
        AnyRecord::Hazard(h) => assert_eq!(h.name.as_deref(), Some("first edit")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn retired_and_amended_records_stay_in_what_was_known_before() {
    for f in backends().await {
        retired_and_amended_records_stay_in_what_was_known_before_on(&f).await;
    }
}

async fn retired_and_amended_records_stay_in_what_was_known_before_on(f: &Fixture) {
    let s = &f.store;
    cleared_hazard(s).await;
    let today = chrono::Utc::now().date_naive();
    let yesterday = today.pred_opt().unwrap();
    // Retire the activity: the hazard has no land released any more.
    s.apply(
        &Changeset {
            retirements: vec![Retirement {
                kind: RecordKind::Activities,
                id: "A1".into(),
                based_on: Some(1),
            }],
            reason: Some("duplicate of another report".into()),
            ..Changeset::new("retire")
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.computed(&Query::all()).await.unwrap()[0].1.status,
        HazardStatus::Active
    );
    assert!(s.activities(&Query::all()).await.unwrap().is_empty());
    // As of yesterday it was there; as of today it is gone.
    let then = s.activities(&Query::as_of(Some(yesterday))).await.unwrap();
    assert_eq!(then.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), vec!["A1"]);
    assert!(s.activities(&Query::as_of(Some(today))).await.unwrap().is_empty());
    // Before the activity's own end date it did not exist yet.
    assert!(s
        .activities(&Query::as_of(Some(day("2024-05-08"))))
        .await
        .unwrap()
        .is_empty());
    // The hazard's recorded date bounds it the same way.
    assert!(s
        .hazards(&Query::as_of(Some(day("2024-02-29"))))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.hazards(&Query::as_of(Some(day("2024-03-01")))).await.unwrap().len(),
        1
    );
    // Retiring it again names it.
    let e = s
        .apply(
            &Changeset {
                retirements: vec![Retirement {
                    kind: RecordKind::Activities,
                    id: "A1".into(),
                    based_on: None,
                }],
                ..Changeset::new("retire again")
            },
            &Author::named("t"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "no activity 'A1' in the registry");
    // A hazard with activities cannot be retired on its own.
    let f2 = f.fresh().await;
    let s2 = &f2.store;
    cleared_hazard(s2).await;
    let e = s2
        .apply(
            &Changeset {
                retirements: vec![Retirement {
                    kind: RecordKind::Hazards,
                    id: "H1".into(),
                    based_on: None,
                }],
                ..Changeset::new("retire")
            },
            &Author::named("t"),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("hazard 'H1' cannot be retired"), "{e}");
    assert_eq!(s2.hazards(&Query::all()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn box_organisation_and_paging_reads() {
    for f in backends().await {
        box_organisation_and_paging_reads_on(&f.store).await;
    }
}

async fn box_organisation_and_paging_reads_on(s: &Store) {
    let mut hazards = Vec::new();
    for (i, org) in ["NGO-A", "NGO-B", "NGO-A"].iter().enumerate() {
        let mut h = hazard(&format!("H{}", i + 1), 30.0 + i as f64);
        h.organisation = Some(org.to_string());
        hazards.push(h);
    }
    s.apply(
        &Changeset {
            hazards,
            ..Changeset::new("setup")
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    let bbox = demine_store::Bbox {
        min_lon: 30.9,
        min_lat: 49.9,
        max_lon: 31.1,
        max_lat: 50.1,
    };
    let hit = s
        .hazards(&Query {
            bbox: Some(bbox),
            ..Query::all()
        })
        .await
        .unwrap();
    assert_eq!(hit.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), vec!["H2"]);
    let a = Query::all().in_organisations(Some(vec!["NGO-A".into()]));
    let ids: Vec<String> = s.hazards(&a).await.unwrap().into_iter().map(|h| h.id).collect();
    assert_eq!(ids, vec!["H1", "H3"]);
    assert_eq!(s.count(RecordKind::Hazards, &a).await.unwrap(), 2);
    assert!(
        s.dossier("H2", &a).await.unwrap().is_none(),
        "another organisation's hazard is not found"
    );
    let first = s
        .records(
            RecordKind::Hazards,
            &Query {
                limit: Some(2),
                ..Query::all()
            },
        )
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    let rest = s
        .records(
            RecordKind::Hazards,
            &Query {
                after: Some(first[1].fid),
                limit: Some(2),
                ..Query::all()
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].record.id(), "H3");
}

#[tokio::test]
async fn the_change_log_is_a_hash_chain() {
    for f in backends().await {
        the_change_log_is_a_hash_chain_on(&f.store).await;
    }
}

async fn the_change_log_is_a_hash_chain_on(s: &Store) {
    cleared_hazard(s).await;
    let log = s
        .change_log(&LogQuery {
            oldest_first: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(log.len() >= 3);
    let mut prev = String::new();
    for e in &log {
        assert_eq!(e.prev_hash.as_deref(), Some(prev.as_str()));
        let h = demine_store::entry_hash(&prev, e);
        assert_eq!(e.hash.as_deref(), Some(h.as_str()), "entry {}", e.seq);
        prev = h;
    }
    // Any change to an entry changes its hash.
    let mut forged = log[1].clone();
    forged.actor = "mallory".into();
    assert_ne!(
        demine_store::entry_hash(log[0].hash.as_deref().unwrap(), &forged),
        log[1].hash.clone().unwrap()
    );
}

#[tokio::test]
async fn opening_a_missing_registry_to_read_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("typo.gpkg");
    let e = GeoPackageStore::open_existing(&p).await.unwrap_err();
    assert!(e.to_string().contains("typo.gpkg: no such registry"), "{e}");
    assert!(!p.exists());
}

#[tokio::test]
async fn two_writers_on_different_hazards_both_succeed() {
    for f in backends().await {
        two_writers_on_different_hazards_both_succeed_on(&f).await;
    }
}

async fn two_writers_on_different_hazards_both_succeed_on(f: &Fixture) {
    let s = &f.store;
    let mut h1 = hazard("H1", 30.0);
    h1.geometry = square(30.0, 50.0, 0.01);
    let mut h2 = hazard("H2", 31.0);
    h2.geometry = square(31.0, 50.0, 0.01);
    s.apply(
        &Changeset {
            hazards: vec![h1, h2],
            ..Changeset::new("setup")
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    // A second connection pool on the same registry, as a second process would have.
    let other = f.open_again().await;
    let work = |id: &str, hazard: &str, x: f64| {
        let mut a = activity(id, hazard);
        a.geometry = square(x, 50.0, 0.005);
        Changeset {
            activities: vec![a],
            ..Changeset::new("progress")
        }
    };
    let (c1, c2) = (work("A1", "H1", 30.0), work("A2", "H2", 31.0));
    let (one, two) = (Author::named("one"), Author::named("two"));
    let (r1, r2) = tokio::join!(s.apply(&c1, &one), other.apply(&c2, &two));
    r1.unwrap();
    r2.unwrap();
    for (id, c) in s.computed(&Query::all()).await.unwrap() {
        let share = c.figures.remaining_m2 / c.figures.area_m2;
        assert!((share - 0.75).abs() < 1e-3, "{id}: {share}");
    }
}

/// Overlapping hazards of two organisations and activities of every outcome, some overlapping
/// one another and spilling outside their hazard: what land-release accounting must get right.
fn release_fixture() -> Changeset {
    let mut hazards = Vec::new();
    let mut activities = Vec::new();
    for i in 0..6 {
        let x = 30.0 + 0.013 * i as f64;
        let y = 50.0 + 0.004 * (i % 3) as f64;
        let mut h = hazard(&format!("H{i}"), x);
        h.organisation = Some(if i % 2 == 0 { "NGO-A" } else { "NGO-B" }.into());
        // Each hazard overlaps the next one (0.015° wide, 0.013° apart).
        h.geometry = MultiPolygon::new(vec![polygon![
            (x: x, y: y), (x: x + 0.015, y: y + 0.001), (x: x + 0.014, y: y + 0.012), (x: x + 0.002, y: y + 0.011)
        ]]);
        hazards.push(h);
        for (j, (outcome, t, dx)) in [
            (Outcome::Cancelled, ActivityType::Nts, 0.0),
            (Outcome::Reduced, ActivityType::Ts, 0.004),
            (Outcome::Cleared, ActivityType::Clearance, 0.007),
        ]
        .into_iter()
        .enumerate()
        {
            let mut a = activity(&format!("A{i}-{j}"), &format!("H{i}"));
            a.outcome = outcome;
            a.activity_type = t;
            a.end_date = day(&format!("2024-06-{:02}", 10 + 3 * j + i));
            // Strips that overlap the next strip and reach outside the hazard to the east.
            a.geometry = MultiPolygon::new(vec![polygon![
                (x: x + dx, y: y - 0.001), (x: x + dx + 0.009, y: y - 0.001),
                (x: x + dx + 0.009, y: y + 0.006 + 0.001 * j as f64), (x: x + dx, y: y + 0.006)
            ]]);
            activities.push(a);
        }
    }
    Changeset {
        hazards,
        activities,
        ..Changeset::new("release fixture")
    }
}

#[cfg(feature = "postgres")]
fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

#[tokio::test]
async fn land_release_is_the_same_on_every_backend() {
    let c = release_fixture();
    let mut reference: Option<(
        Vec<(String, demine_store::Computed)>,
        demine_core::release::ReleaseFigures,
    )> = None;
    for f in backends().await {
        let s = &f.store;
        s.apply(&c, &Author::named("t")).await.unwrap();
        let computed = s.computed(&Query::all()).await.unwrap();
        assert_eq!(computed.len(), 6, "{}", f.name);
        // National totals as `demine release` computes them: from the records read back.
        let hazards = s.hazards(&Query::all()).await.unwrap();
        let activities = s.activities(&Query::all()).await.unwrap();
        let totals = demine_core::release::account_records(&hazards, &activities, None, false).totals;
        assert!(totals.cancelled_m2 > 0.0 && totals.reduced_m2 > 0.0 && totals.cleared_m2 > 0.0);
        assert!(totals.remaining_m2 > 0.0);
        match &reference {
            None => reference = Some((computed.clone(), totals.clone())),
            Some((ref_computed, ref_totals)) => {
                // The same geometry read back gives the same figures, to the last bit.
                assert_eq!(&computed, ref_computed, "{} per-hazard figures", f.name);
                assert_eq!(totals, *ref_totals, "{} national totals", f.name);
            }
        }
        #[cfg(feature = "postgres")]
        if let Some(url) = f.url() {
            // An independent computation in PostGIS: geodesic areas (ST_Area of geography, on
            // the WGS84 spheroid) of the union of hazards, and of the activities clipped to
            // their hazards, unioned. They must agree with demine's to 0.01 %.
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let (hazard_union, released_union): (f64, f64) = sqlx::query_as(
                "SELECT (SELECT ST_Area(ST_Union(geom)::geography) FROM hazards), \
                        (SELECT ST_Area(ST_Union(ST_Intersection(a.geom, h.geom))::geography) \
                         FROM activities a JOIN hazards h ON h.id = a.hazard_id)",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            assert!(
                close(totals.area_m2, hazard_union, 1e-4),
                "union of hazards: demine {} m², PostGIS {hazard_union} m²",
                totals.area_m2
            );
            let released = totals.cancelled_m2 + totals.reduced_m2 + totals.cleared_m2;
            assert!(
                close(released, released_union, 1e-4),
                "released land: demine {released} m², PostGIS {released_union} m²"
            );
            // Per hazard: area and what its activities released, clipped to it.
            let per_hazard: Vec<(String, f64, f64)> = sqlx::query_as(
                "SELECT h.id, ST_Area(h.geom::geography), \
                        COALESCE(ST_Area(ST_Union(ST_Intersection(a.geom, h.geom))::geography), 0) \
                 FROM hazards h LEFT JOIN activities a ON a.hazard_id = h.id GROUP BY h.id, h.geom ORDER BY h.id",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            for (id, area, released) in per_hazard {
                let c = &computed.iter().find(|(h, _)| *h == id).unwrap().1.figures;
                assert!(close(c.area_m2, area, 1e-4), "{id}: area {} vs {area}", c.area_m2);
                let ours = c.cancelled_m2 + c.reduced_m2 + c.cleared_m2;
                assert!(close(ours, released, 1e-4), "{id}: released {ours} vs {released}");
            }
            pool.close().await;
        }
    }
}

/// Tile caches key on the generation: it must change with every change a map shows (a record,
/// a context layer replaced by as many features, a risk map rebuilt with as many cells) and
/// stay put when nothing changed.
#[tokio::test]
async fn the_generation_moves_with_every_change_a_map_shows() {
    for f in backends().await {
        the_generation_moves_with_every_change_a_map_shows_on(&f).await;
    }
}

async fn the_generation_moves_with_every_change_a_map_shows_on(f: &Fixture) {
    let s = &f.store;
    let author = Author::named("tester");
    let mut seen = vec![s.generation().await.unwrap()];
    let mut changed = |g: String, what: &str| {
        assert!(
            !seen.contains(&g),
            "{}: the generation {g} did not move after {what}",
            f.name
        );
        seen.push(g);
    };
    let hazards = Changeset {
        hazards: vec![hazard("H1", 30.0)],
        ..Default::default()
    };
    s.apply(&hazards, &author).await.unwrap();
    assert_eq!(
        s.generation().await.unwrap(),
        s.generation().await.unwrap(),
        "a read moves nothing"
    );
    changed(s.generation().await.unwrap(), "a hazard was added");
    let cell = |risk: f64| demine_core::RiskCell {
        cell: "8928308280fffff".into(),
        resolution: 9,
        outline: polygon![(x: 30.0, y: 50.0), (x: 30.01, y: 50.0), (x: 30.0, y: 50.01)],
        risk,
        label: None,
        items: 0,
    };
    for (n, risk) in [0.2, 0.7].into_iter().enumerate() {
        let map = Changeset {
            risk_map: Some((vec![cell(risk)], vec![])),
            ..Default::default()
        };
        s.apply(&map, &author).await.unwrap();
        changed(
            s.generation().await.unwrap(),
            &format!("risk map {n} (one cell, same as before)"),
        );
    }
    for name in ["roads v1", "roads v2"] {
        let mut attributes = Attributes::new();
        attributes.insert("name".into(), name.into());
        let layer = Changeset {
            context_features: vec![demine_core::ContextFeature {
                layer: "roads".into(),
                id: Some("R1".into()),
                geometry: geo::Geometry::Point(Point::new(30.0, 50.0)),
                attributes,
            }],
            replace_layers: vec!["roads".into()],
            ..Default::default()
        };
        s.apply(&layer, &author).await.unwrap();
        changed(
            s.generation().await.unwrap(),
            &format!("context layer '{name}' (one feature, same as before)"),
        );
    }
}
