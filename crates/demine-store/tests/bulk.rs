//! A big insert takes the bulk path (the R-tree trigger and secondary indexes set aside and
//! rebuilt inside the transaction): the R-tree agrees with the table, the change log is whole
//! and chained, the schema is as before, and a failing big write leaves nothing behind; a
//! streamed insert keeps one bulk path open from its first big chunk to its last.

use chrono::NaiveDate;
use demine_core::{Attributes, Find, FindCategory, Hazard, HazardClass, RecordKind};
use demine_store::{Author, Bbox, Changeset, GeoPackageStore, LogQuery, Query, Repository};
use geo::{polygon, MultiPolygon, Point};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use std::collections::HashSet;

/// More than the bulk threshold.
const N: usize = 6_000;

fn hazard(id: &str, x: f64) -> Hazard {
    Hazard {
        id: id.into(),
        class: HazardClass::Cha,
        geometry: MultiPolygon::new(vec![polygon![
            (x: x, y: 50.0), (x: x + 1.0, y: 50.0), (x: x + 1.0, y: 50.01), (x: x, y: 50.01)
        ]]),
        name: None,
        reported_status: None,
        organisation: Some("ORG".into()),
        land_use: None,
        contamination: None,
        evidence: None,
        blockages: None,
        recorded_date: NaiveDate::from_ymd_opt(2024, 3, 1),
        attributes: Attributes::new(),
    }
}

/// Find `i` of a batch: spread over 30..33 °E, never on a tile edge (tiles are 0.1° wide).
fn find(prefix: &str, i: usize) -> Find {
    let x = 30.0 + (i as f64 + 0.5) * 0.0005;
    Find {
        id: format!("{prefix}{i:05}"),
        date: NaiveDate::from_ymd_opt(2024, 1 + (i % 12) as u32, 1 + (i % 28) as u32).unwrap(),
        category: if i % 2 == 0 {
            FindCategory::ApMine
        } else {
            FindCategory::Uxo
        },
        location: Point::new(x, 50.001 + (i % 7) as f64 * 0.001),
        hazard_id: Some(format!("H{}", 1 + (i / 2_000).min(2))),
        activity_id: None,
        depth_cm: Some(10.0),
        condition: None,
        disposition: None,
        attributes: Attributes::new(),
    }
}

fn finds(prefix: &str, n: usize) -> Vec<Find> {
    (0..n).map(|i| find(prefix, i)).collect()
}

async fn setup() -> (tempfile::TempDir, GeoPackageStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = GeoPackageStore::open(&dir.path().join("t.gpkg")).await.unwrap();
    let hazards = vec![hazard("H1", 30.0), hazard("H2", 31.0), hazard("H3", 32.0)];
    s.apply(
        &Changeset {
            hazards,
            ..Changeset::new("hazards")
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    (dir, s)
}

/// The finds table's indexes and triggers, with their SQL, and the R-tree's row count, read
/// beside the store.
async fn schema(s: &GeoPackageStore) -> (Vec<(String, String)>, i64) {
    let pool = SqlitePool::connect_with(SqliteConnectOptions::new().filename(s.path()).read_only(true))
        .await
        .unwrap();
    let objects: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'finds' AND type IN ('index', 'trigger') \
         AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let check: String = sqlx::query_scalar("SELECT rtreecheck('rtree_finds_geom')")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(check, "ok", "the R-tree's structure");
    let rtree: i64 = sqlx::query_scalar("SELECT count(*) FROM rtree_finds_geom")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    (objects, rtree)
}

/// Every find, found tile by tile through the store's box query (the R-tree).
async fn ids_by_tiles(s: &GeoPackageStore) -> Vec<String> {
    let mut ids = Vec::new();
    for k in 0..30 {
        let min_lon = 30.0 + k as f64 * 0.1;
        let bbox = Bbox {
            min_lon,
            min_lat: 49.9,
            max_lon: min_lon + 0.1,
            max_lat: 50.1,
        };
        let q = Query {
            bbox: Some(bbox),
            ..Query::all()
        };
        for f in s.finds(&q).await.unwrap() {
            let x = f.location.x();
            assert!(
                x >= min_lon && x <= min_lon + 0.1,
                "{} at {x} is outside its tile",
                f.id
            );
            ids.push(f.id);
        }
    }
    ids
}

async fn verify_log(s: &GeoPackageStore) -> usize {
    let log = s
        .change_log(&LogQuery {
            oldest_first: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut prev = String::new();
    for e in &log {
        assert_eq!(e.prev_hash.as_deref(), Some(prev.as_str()), "entry {}", e.seq);
        let h = demine_store::entry_hash(&prev, e);
        assert_eq!(e.hash.as_deref(), Some(h.as_str()), "entry {}", e.seq);
        prev = h;
    }
    log.iter()
        .filter(|e| e.entity == "finds" && e.action == "insert")
        .count()
}

#[tokio::test]
async fn a_big_insert_leaves_an_r_tree_that_agrees_and_a_whole_change_log() {
    let (_d, s) = setup().await;
    let before = schema(&s).await;
    assert!(
        before.0.len() >= 2,
        "the finds table has indexes and R-tree triggers: {before:?}"
    );
    assert_eq!(before.1, 0);
    s.apply(
        &Changeset {
            finds: finds("F", N),
            ..Changeset::new("big")
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    assert_eq!(s.count(RecordKind::Finds, &Query::all()).await.unwrap(), N as u64);
    let found = ids_by_tiles(&s).await;
    assert_eq!(found.len(), N, "every find is found once by a box query");
    let want: HashSet<String> = finds("F", N).into_iter().map(|f| f.id).collect();
    assert_eq!(found.into_iter().collect::<HashSet<_>>(), want);
    // The same indexes and triggers as before, and one R-tree entry per find.
    let after = schema(&s).await;
    assert_eq!(after.0, before.0);
    assert_eq!(after.1, N as i64);
    assert_eq!(verify_log(&s).await, N, "one chained change-log entry per find");

    // A small write after it takes the row-by-row path: the trigger is back.
    s.apply(
        &Changeset {
            finds: vec![find("G", 0)],
            ..Changeset::new("one")
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    assert_eq!(ids_by_tiles(&s).await.len(), N + 1);
    assert_eq!(schema(&s).await.1, N as i64 + 1);

    // A second big batch, into a table that already holds more than it (indexes kept).
    s.apply(
        &Changeset {
            finds: finds("K", N - 1),
            ..Changeset::new("big again")
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    assert_eq!(ids_by_tiles(&s).await.len(), 2 * N);
    assert_eq!(schema(&s).await, (before.0, 2 * N as i64));
    assert_eq!(verify_log(&s).await, 2 * N);
}

#[tokio::test]
async fn a_failing_big_insert_leaves_the_registry_unchanged() {
    let (_d, s) = setup().await;
    s.apply(
        &Changeset {
            finds: finds("F", 10),
            ..Changeset::new("few")
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    let counts = s.counts().await.unwrap();
    let before = schema(&s).await;
    let log = verify_log(&s).await;
    // The last find names a hazard that does not exist: the foreign key fails after thousands
    // of rows went in, with the trigger and indexes set aside.
    let mut bad = finds("B", N);
    bad.last_mut().unwrap().hazard_id = Some("MISSING".into());
    // A duplicate id, likewise.
    let mut dup = finds("D", N);
    dup.push(find("D", 17));
    for (what, finds) in [("bad", bad), ("dup", dup)] {
        assert!(
            s.apply(
                &Changeset {
                    finds,
                    ..Changeset::new(what)
                },
                &Author::named("t"),
            )
            .await
            .is_err(),
            "{what} refused"
        );
    }
    assert_eq!(s.counts().await.unwrap(), counts);
    assert_eq!(schema(&s).await, before, "the dropped indexes and trigger are back");
    assert_eq!(verify_log(&s).await, log);
    assert_eq!(ids_by_tiles(&s).await.len(), 10);
    // And the trigger works: a small write is indexed.
    s.apply(
        &Changeset {
            finds: vec![find("G", 0)],
            ..Changeset::new("one")
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    assert_eq!(ids_by_tiles(&s).await.len(), 11);
}

#[tokio::test]
async fn a_streamed_big_insert_keeps_one_bulk_path_across_its_chunks() {
    use demine_core::AnyRecord;
    use demine_store::{InsertStream, StreamChunk};
    let (_d, s) = setup().await;
    let before = schema(&s).await;
    let all = finds("S", N);
    // A first chunk big enough for the bulk path, then a small one: both go in before the
    // indexes and the R-tree are rebuilt, once.
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    let chunks: Vec<Vec<AnyRecord>> = vec![
        all[..5_000].iter().cloned().map(AnyRecord::Find).collect(),
        all[5_000..].iter().cloned().map(AnyRecord::Find).collect(),
    ];
    let send = async move {
        for c in chunks {
            sender.send(StreamChunk::Records(c)).await.unwrap();
        }
        sender.send(StreamChunk::Commit).await.unwrap();
    };
    let mut stream = InsertStream {
        chunks: receiver,
        expected_rows: N,
    };
    let (head, author) = (Changeset::new("streamed"), Author::named("t"));
    let (applied, ()) = tokio::join!(s.apply_streamed(&head, &author, &mut stream), send);
    applied.unwrap();
    let found = ids_by_tiles(&s).await;
    assert_eq!(found.len(), N, "every find is found once by a box query");
    assert_eq!(
        found.into_iter().collect::<HashSet<_>>(),
        all.into_iter().map(|f| f.id).collect::<HashSet<_>>()
    );
    assert_eq!(
        schema(&s).await,
        (before.0, N as i64),
        "indexes and trigger back, one R-tree entry a find"
    );
    assert_eq!(verify_log(&s).await, N);
}
