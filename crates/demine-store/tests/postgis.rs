//! What only the PostgreSQL + PostGIS store has to show: the schema is PostGIS (SRID 4326,
//! GiST), the change log refuses edits in the database itself, reading never creates a schema,
//! and concurrent writers from several pools queue on the registry's write lock. Runs with
//! `--features postgres` and `DEMINE_TEST_PG` set (see `scripts/pg-test-cluster.sh`); without
//! them these tests do nothing.

#![cfg(feature = "postgres")]

mod backends;

use chrono::NaiveDate;
use demine_core::{Activity, ActivityType, Attributes, Hazard, HazardClass, Outcome};
use demine_store::{Accounts, Author, Changeset, LogQuery, PgStore, Query, Repository, StoreError, UserRecord};
use geo::{polygon, MultiPolygon};

fn square(x0: f64, y0: f64, side: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![polygon![
        (x: x0, y: y0), (x: x0 + side, y: y0), (x: x0 + side, y: y0 + side), (x: x0, y: y0 + side)
    ]])
}

fn hazard(id: &str, x: f64) -> Hazard {
    Hazard {
        id: id.into(),
        class: HazardClass::Cha,
        geometry: square(x, 50.0, 0.01),
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

fn strip(id: &str, hazard_id: &str, x: f64, i: usize) -> Activity {
    Activity {
        id: id.into(),
        hazard_id: hazard_id.into(),
        activity_type: ActivityType::Clearance,
        outcome: Outcome::Cleared,
        start_date: NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
        end_date: NaiveDate::from_ymd_opt(2024, 5, 9).unwrap(),
        // Strip i of ten, 0.001° wide, across the hazard.
        geometry: MultiPolygon::new(vec![polygon![
            (x: x + 0.001 * i as f64, y: 50.0), (x: x + 0.001 * (i + 1) as f64, y: 50.0),
            (x: x + 0.001 * (i + 1) as f64, y: 50.01), (x: x + 0.001 * i as f64, y: 50.01)
        ]]),
        organisation: None,
        team: None,
        method: None,
        depth_cm: None,
        attributes: Attributes::new(),
    }
}

async fn registry() -> Option<(String, PgStore)> {
    let url = backends::new_database().await?;
    let s = PgStore::open(&url).await.unwrap();
    Some((url, s))
}

#[tokio::test]
async fn geometry_columns_are_postgis_with_gist_indexes() {
    let Some((url, _s)) = registry().await else { return };
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let cols: Vec<(String, String, i32)> =
        sqlx::query_as("SELECT f_table_name::text, type, srid FROM geometry_columns ORDER BY f_table_name::text")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (table, ty) in [
        ("hazards", "MULTIPOLYGON"),
        ("activities", "MULTIPOLYGON"),
        ("finds", "POINT"),
        ("accidents", "POINT"),
        ("released_land", "MULTIPOLYGON"),
        ("daily_progress", "MULTIPOLYGON"),
        ("risk_cells", "POLYGON"),
        ("context_features", "GEOMETRY"),
    ] {
        assert!(
            cols.iter().any(|(t, k, srid)| t == table && k == ty && *srid == 4326),
            "{table}: {cols:?}"
        );
        let gist: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%USING gist (geom)%')",
        )
        .bind(table)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(gist, "{table} has a GiST index on geom");
    }
}

#[tokio::test]
async fn the_database_refuses_to_edit_the_change_log() {
    let Some((url, s)) = registry().await else { return };
    s.apply(
        &Changeset {
            hazards: vec![hazard("H1", 30.0)],
            ..Changeset::new("setup")
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    for sql in [
        "UPDATE change_log SET actor = 'mallory'",
        "DELETE FROM change_log",
        "TRUNCATE change_log",
    ] {
        let e = sqlx::query(sql).execute(&pool).await.unwrap_err().to_string();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
}

#[tokio::test]
async fn reading_a_database_without_a_registry_creates_nothing() {
    let Some(url) = backends::new_database().await else {
        return;
    };
    let e = PgStore::open_existing(&url).await.unwrap_err();
    assert!(matches!(e, StoreError::Missing { .. }), "{e}");
    assert!(e.to_string().contains("no such registry"), "{e}");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'hazards'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tables, 0);
}

#[tokio::test]
async fn a_password_in_the_url_never_reaches_a_message() {
    let Some(url) = backends::new_database().await else {
        return;
    };
    // The cluster trusts loopback; a wrong database name makes the open fail.
    let bad = url.replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1) + "_missing";
    let e = PgStore::open_existing(&bad).await.unwrap_err().to_string();
    assert!(!e.contains("hunter2"), "{e}");
    assert!(e.contains("postgres:***@"), "{e}");
}

/// Ten writers in three server processes (pools) clear ten strips of one hazard at once: every
/// write lands, the figures are those of all ten strips, and the change log is one chain.
#[tokio::test]
async fn concurrent_writers_on_one_hazard_queue_and_account_everything() {
    let Some((url, s)) = registry().await else { return };
    s.apply(
        &Changeset {
            hazards: vec![hazard("H1", 30.0)],
            ..Changeset::new("setup")
        },
        &Author::named("t"),
    )
    .await
    .unwrap();
    let stores = [
        s.clone(),
        PgStore::open_existing(&url).await.unwrap(),
        PgStore::open_existing(&url).await.unwrap(),
    ];
    let mut tasks = Vec::new();
    for i in 0..10 {
        let store = stores[i % 3].clone();
        tasks.push(tokio::spawn(async move {
            let c = Changeset {
                activities: vec![strip(&format!("A{i}"), "H1", 30.0, i)],
                ..Changeset::new(format!("strip {i}"))
            };
            store.apply(&c, &Author::named(&format!("team{i}"))).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let c = s.computed(&Query::all()).await.unwrap();
    assert_eq!(c.len(), 1);
    let f = &c[0].1.figures;
    assert!(f.remaining_m2 / f.area_m2 < 1e-6, "all ten strips are cleared: {f:?}");
    let log = s
        .change_log(&LogQuery {
            oldest_first: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut prev = String::new();
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.seq, i as i64 + 1);
        assert_eq!(e.prev_hash.as_deref(), Some(prev.as_str()), "entry {}", e.seq);
        let h = demine_store::entry_hash(&prev, e);
        assert_eq!(e.hash.as_deref(), Some(h.as_str()), "entry {}", e.seq);
        prev = h;
    }
    assert_eq!(log.iter().filter(|e| e.action == "insert").count(), 11);
}

#[tokio::test]
async fn accounts_tokens_submissions_and_conflicts() {
    let Some((_url, s)) = registry().await else { return };
    let u = UserRecord {
        username: "olena".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        role: "qa_inspector".into(),
        organisation: Some("NGO-A".into()),
        assigned: vec!["NGO-B".into()],
        disabled: false,
        failed_logins: 0,
        locked_until: None,
        created_at: "2026-01-01T00:00:00.000Z".into(),
    };
    s.save_user(&u, &Author::named("admin")).await.unwrap();
    assert_eq!(s.user("olena").await.unwrap().unwrap(), u);
    assert_eq!(s.users().await.unwrap().len(), 1);
    // The change log has the account, never its password hash.
    let log = s.change_log(&LogQuery::default()).await.unwrap();
    assert_eq!(log.len(), 1);
    assert!(!log[0].after.as_deref().unwrap().contains("argon2"));
    // Three failures lock the account; a success clears the count.
    for n in 1..=3u32 {
        let after = s
            .login_attempt("olena", false, 3, "2026-01-01T00:15:00.000Z")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.failed_logins, n);
        assert_eq!(after.locked_until.is_some(), n == 3);
    }
    let ok = s.login_attempt("olena", true, 3, "x").await.unwrap().unwrap();
    assert_eq!((ok.failed_logins, ok.locked_until), (0, None));
    assert!(s.login_attempt("nobody", false, 3, "x").await.unwrap().is_none());
    // Tokens: stored by hash, revoked one or all.
    for h in ["t1", "t2"] {
        s.save_token(&demine_store::TokenRecord {
            token_hash: h.into(),
            username: "olena".into(),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            expires_at: "2026-01-02T00:00:00.000Z".into(),
            revoked_at: None,
        })
        .await
        .unwrap();
    }
    assert_eq!(
        s.revoke_tokens("olena", Some("t1"), "2026-01-01T01:00:00.000Z")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.revoke_tokens("olena", None, "2026-01-01T02:00:00.000Z")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.token("t1").await.unwrap().unwrap().revoked_at.as_deref(),
        Some("2026-01-01T01:00:00.000Z")
    );
    // A submission is written with its records, once.
    let sub = demine_store::Submission {
        client_id: "6f1c".into(),
        username: "olena".into(),
        body_hash: "abc".into(),
        status: 201,
        response: "{}".into(),
        created_at: String::new(),
    };
    let c = Changeset {
        hazards: vec![hazard("H1", 30.0)],
        submission: Some(sub.clone()),
        review_state: Some("submitted".into()),
        ..Changeset::new("field submission")
    };
    s.apply(&c, &Author::named("olena")).await.unwrap();
    let again = Changeset {
        hazards: vec![hazard("H2", 31.0)],
        ..c.clone()
    };
    let e = s.apply(&again, &Author::named("olena")).await.unwrap_err();
    assert!(matches!(e, StoreError::DuplicateSubmission { .. }), "{e}");
    assert!(s
        .record(demine_core::RecordKind::Hazards, "H2")
        .await
        .unwrap()
        .is_none());
    let stored = s.submission("6f1c").await.unwrap().unwrap();
    assert_eq!((stored.status, stored.body_hash.as_str()), (201, "abc"));
    // Review: submitted, then approved.
    let q = Query {
        approved_only: true,
        ..Query::all()
    };
    assert!(s.hazards(&q).await.unwrap().is_empty());
    s.apply(
        &Changeset {
            reviews: vec![demine_store::Review {
                kind: demine_core::RecordKind::Hazards,
                id: "H1".into(),
                decision: "approved".into(),
                reason: None,
            }],
            ..Changeset::new("review")
        },
        &Author::named("analyst"),
    )
    .await
    .unwrap();
    assert_eq!(s.hazards(&q).await.unwrap().len(), 1);
    // A conflict is kept, then resolved.
    let conflict = demine_store::Conflict {
        fid: 0,
        kind: demine_core::RecordKind::Hazards,
        record_id: "H1".into(),
        based_on: 1,
        stored_version: 2,
        proposed: serde_json::json!({"type": "Feature"}),
        username: "olena".into(),
        organisation: Some("NGO-A".into()),
        created_at: String::new(),
        status: "open".into(),
        resolution: None,
    };
    s.apply(
        &Changeset {
            conflicts: vec![conflict],
            ..Changeset::new("stale edit")
        },
        &Author::named("olena"),
    )
    .await
    .unwrap();
    let open = s.conflicts(true).await.unwrap();
    assert_eq!(open.len(), 1);
    s.apply(
        &Changeset {
            resolved_conflicts: vec![(open[0].fid, "kept the stored version".into())],
            ..Changeset::new("resolve")
        },
        &Author::named("analyst"),
    )
    .await
    .unwrap();
    assert!(s.conflicts(true).await.unwrap().is_empty());
    assert_eq!(s.conflicts(false).await.unwrap().len(), 1);
}

/// The second wall: with the application's organisation filter turned off, row-level security
/// alone still hides every other organisation's rows from a store connected as an ordinary
/// role (not the schema's owner, not a superuser), through every read.
#[tokio::test]
async fn row_level_security_alone_hides_other_organisations() {
    let Some((url, s)) = registry().await else { return };
    let mut changes = Changeset::new("two organisations");
    for (i, org) in ["NGO-A", "NGO-B"].iter().enumerate() {
        let x = 30.0 + i as f64;
        let mut h = hazard(&format!("H-{org}"), x);
        h.organisation = Some(org.to_string());
        changes.hazards.push(h);
        changes
            .activities
            .push(strip(&format!("A-{org}"), &format!("H-{org}"), x, 0));
        changes.finds.push(demine_core::Find {
            id: format!("F-{org}"),
            date: NaiveDate::from_ymd_opt(2024, 5, 3).unwrap(),
            category: demine_core::FindCategory::ApMine,
            location: geo::Point::new(x + 0.0005, 50.005),
            hazard_id: Some(format!("H-{org}")),
            activity_id: None,
            depth_cm: None,
            condition: None,
            disposition: None,
            attributes: Attributes::new(),
        });
    }
    s.apply(&changes, &Author::named("t")).await.unwrap();

    // An ordinary role, as the server would connect with.
    let role_url = demine_store::pg_testing::server_role(&url).await.unwrap();
    assert_ne!(role_url, url);

    // Without a declared scope the role sees nothing at all: deny by default.
    let raw = sqlx::PgPool::connect(&role_url).await.unwrap();
    for table in ["hazards", "activities", "finds", "released_land"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&raw)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table} without demine.organisations");
    }

    let server = PgStore::open_existing(&role_url)
        .await
        .unwrap()
        .without_application_filter_for_tests();
    let a = Query::all().in_organisations(Some(vec!["NGO-A".into()]));
    let ids = |v: Vec<String>| v.into_iter().collect::<Vec<_>>();
    assert_eq!(
        ids(server.hazards(&a).await.unwrap().into_iter().map(|h| h.id).collect()),
        vec!["H-NGO-A"]
    );
    assert_eq!(
        ids(server.activities(&a).await.unwrap().into_iter().map(|x| x.id).collect()),
        vec!["A-NGO-A"]
    );
    assert_eq!(
        ids(server.finds(&a).await.unwrap().into_iter().map(|x| x.id).collect()),
        vec!["F-NGO-A"]
    );
    assert_eq!(server.count(demine_core::RecordKind::Hazards, &a).await.unwrap(), 1);
    assert_eq!(server.count(demine_core::RecordKind::Finds, &a).await.unwrap(), 1);
    let computed = server.computed(&a).await.unwrap();
    assert_eq!(
        computed.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        vec!["H-NGO-A"]
    );
    assert!(server.dossier("H-NGO-B", &a).await.unwrap().is_none());
    let dossier = server.dossier("H-NGO-A", &a).await.unwrap().unwrap();
    assert_eq!((dossier.activities.len(), dossier.finds.len()), (1, 1));
    let then = Query {
        as_of: NaiveDate::from_ymd_opt(2030, 1, 1),
        ..a.clone()
    };
    assert_eq!(server.hazards(&then).await.unwrap().len(), 1);
    // An empty scope sees nothing; no scope (an unscoped reader) sees everything.
    let none = Query::all().in_organisations(Some(vec![]));
    assert!(server.hazards(&none).await.unwrap().is_empty());
    assert_eq!(server.hazards(&Query::all()).await.unwrap().len(), 2);
    // The scope was per transaction: the pool's connections carry nothing over.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM hazards")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // And the role can write through the store (writes declare every organisation).
    server
        .apply(
            &Changeset {
                hazards: vec![hazard("H-ORG", 35.0)],
                ..Changeset::new("server write")
            },
            &Author::named("planner"),
        )
        .await
        .unwrap();
    raw.close().await;
    server.close().await.unwrap();
}

/// `--read-replica`: reads go to a real hot standby once it has replayed the store's last
/// write, and never miss that write before it has (read-your-own-writes on the primary).
#[tokio::test]
async fn reads_go_to_a_caught_up_replica_and_always_see_the_store_s_own_writes() {
    let Some((url, s)) = registry().await else { return };
    let Some(standby) = std::env::var("DEMINE_TEST_PG_REPLICA").ok().filter(|u| !u.is_empty()) else {
        eprintln!("DEMINE_TEST_PG_REPLICA is not set (scripts/pg-test-cluster.sh replica): skipped");
        return;
    };
    s.close().await.unwrap();
    let db = url.rsplit_once('/').unwrap().1;
    let replica_url = format!("{}/{db}", standby.rsplit_once('/').unwrap().0);
    // The new database reaches the standby by streaming replication.
    let mut tries = 0;
    let probe = loop {
        match sqlx::PgPool::connect(&replica_url).await {
            Ok(p) => {
                let ready: Option<bool> = sqlx::query_scalar("SELECT to_regclass('hazards') IS NOT NULL")
                    .fetch_one(&p)
                    .await
                    .ok();
                if ready == Some(true) {
                    break p;
                }
                p.close().await;
            }
            Err(e) if tries >= 100 => panic!("the standby never got {db}: {e}"),
            Err(_) => {}
        }
        tries += 1;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&probe)
        .await
        .unwrap();
    assert!(in_recovery, "the replica is a hot standby");

    let store = PgStore::open_existing(&url)
        .await
        .unwrap()
        .with_read_replica(&replica_url)
        .await
        .unwrap();
    for i in 0..15 {
        let id = format!("H-R{i}");
        store
            .apply(
                &Changeset {
                    hazards: vec![hazard(&id, 30.0 + i as f64 * 0.02)],
                    ..Changeset::new("replica test")
                },
                &Author::named("t"),
            )
            .await
            .unwrap();
        // Read at once: the write is seen, wherever the read went.
        let ids: Vec<String> = store
            .hazards(&Query::all())
            .await
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect();
        assert!(ids.contains(&id), "read-your-own-writes: {id} missing from {ids:?}");
        assert_eq!(ids.len(), i + 1);
    }
    // Once the standby has replayed the last write, reads go there.
    let before = store.read_routing().unwrap();
    let mut on_replica = false;
    for _ in 0..100 {
        assert_eq!(store.hazards(&Query::all()).await.unwrap().len(), 15);
        if store.read_routing().unwrap().reads_on_replica > before.reads_on_replica {
            on_replica = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        on_replica,
        "no read went to the caught-up replica: {:?}",
        store.read_routing()
    );
    // The standby refuses writes: the store never sends one there.
    let refused = sqlx::query("INSERT INTO demine_meta (key, value) VALUES ('x', 'y')")
        .execute(&probe)
        .await;
    assert!(refused.is_err());
    probe.close().await;
    store.close().await.unwrap();
}

/// Polls `done` until it holds, for at most a minute (a bound on a hang, not a timing check).
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..600 {
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what}: not within a minute");
}

#[tokio::test]
async fn a_server_keeps_generation_and_accounts_until_any_process_changes_them() {
    let Some((url, elsewhere)) = registry().await else {
        return;
    };
    let server = PgStore::open_existing(&url).await.unwrap().watching_changes();
    eventually("the server listens", || async { server.watching() }).await;
    let before = server.generation().await.unwrap();
    assert!(server.user("olena").await.unwrap().is_none());

    // Another process adds an account: its notification makes the server read it again.
    let u = UserRecord {
        username: "olena".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        role: "planner".into(),
        organisation: Some("ORG".into()),
        assigned: vec![],
        disabled: false,
        failed_logins: 0,
        locked_until: None,
        created_at: "2026-01-01T00:00:00.000Z".into(),
    };
    elsewhere.save_user(&u, &Author::named("admin")).await.unwrap();
    eventually("another process's new account is seen", || async {
        server.user("olena").await.unwrap().is_some()
    })
    .await;

    // The account is kept: deleted behind the triggers' back, the server still has it, until
    // any notified change (here a hazard added elsewhere) makes it read again.
    let owner = sqlx::PgPool::connect(&url).await.unwrap();
    let mut tx = owner.begin().await.unwrap();
    for sql in [
        "ALTER TABLE users DISABLE TRIGGER users_notify",
        "DELETE FROM users WHERE username = 'olena'",
        "ALTER TABLE users ENABLE TRIGGER users_notify",
    ] {
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert!(
        server.user("olena").await.unwrap().is_some(),
        "kept: no notification came"
    );
    let one = Changeset {
        hazards: vec![hazard("H1", 30.0)],
        ..Changeset::new("elsewhere")
    };
    elsewhere.apply(&one, &Author::named("t")).await.unwrap();
    eventually(
        "after a notified change the account is read again, and the change seen",
        || async { server.user("olena").await.unwrap().is_none() && server.generation().await.unwrap() != before },
    )
    .await;

    // The server's own write is seen at once, without waiting for its notification.
    let seen = server.generation().await.unwrap();
    let two = Changeset {
        hazards: vec![hazard("H2", 31.0)],
        ..Changeset::new("here")
    };
    server.apply(&two, &Author::named("t")).await.unwrap();
    assert_ne!(server.generation().await.unwrap(), seen, "read-your-own-writes");
}
