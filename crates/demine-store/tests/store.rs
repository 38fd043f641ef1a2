//! The GeoPackage store: records read back as written, one changeset is all or nothing,
//! the change log is append-only, and the file carries the GeoPackage markers.

use chrono::NaiveDate;
use demine_core::{Activity, ActivityType, Attributes, Find, FindCategory, Hazard, HazardClass, Outcome, RecordKind};
use demine_store::{Changeset, GeoPackageStore, Repository};
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
    let (_d, s) = store().await;
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
    s.apply(&c, "tester").await.unwrap();
    assert_eq!(s.hazards().await.unwrap(), vec![h]);
    assert_eq!(s.activities().await.unwrap(), vec![a]);
    assert_eq!(s.finds().await.unwrap(), vec![f]);
    let counts = s.counts().await.unwrap();
    assert_eq!(
        (counts.hazards, counts.activities, counts.finds, counts.change_log),
        (1, 1, 1, 3)
    );
    let log = s.change_log(10).await.unwrap();
    assert!(log.iter().all(|e| e.actor == "tester" && e.action == "insert"));
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
    let (_d, s) = store().await;
    s.apply(
        &Changeset {
            hazards: vec![hazard("H1", 30.0)],
            ..Default::default()
        },
        "t",
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
    assert!(s.apply(&bad, "t").await.is_err());
    assert_eq!(s.counts().await.unwrap(), before);
    // A duplicate id fails too, and leaves nothing behind.
    let dup = Changeset {
        hazards: vec![hazard("H3", 32.0), hazard("H1", 33.0)],
        ..Default::default()
    };
    assert!(s.apply(&dup, "t").await.is_err());
    assert_eq!(s.counts().await.unwrap(), before);
}

#[tokio::test]
async fn change_log_is_append_only() {
    let (d, s) = store().await;
    s.apply(
        &Changeset {
            hazards: vec![hazard("H1", 30.0)],
            ..Default::default()
        },
        "t",
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
        "t",
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
