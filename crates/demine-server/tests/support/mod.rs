//! A real server on a loopback port over a fresh registry of two operators, with one account
//! per role: what the HTTP tests talk to.

#![allow(dead_code)]

use demine_app::accounts::{add_user, NewUser};
use demine_app::import::{import_bytes, ImportOptions};
use demine_app::{Actor, Location, RecordKind, Registry, Role};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;

pub const PASSWORD: &str = "correct horse battery";

/// Every role, with the account that has it (operators of NGO-A).
pub const ACCOUNTS: [(&str, Role); 7] = [
    ("admin1", Role::Admin),
    ("analyst1", Role::Analyst),
    ("planner-a", Role::Planner),
    ("leader-a", Role::TeamLeader),
    ("qa-a", Role::QaInspector),
    ("viewer1", Role::Viewer),
    ("planner-b", Role::Planner),
];

pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})
}

pub fn collection(features: Vec<(Value, Value)>) -> String {
    json!({"type": "FeatureCollection", "features": features.into_iter()
        .map(|(p, g)| json!({"type": "Feature", "properties": p, "geometry": g})).collect::<Vec<_>>()})
    .to_string()
}

pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub tokens: HashMap<String, String>,
    /// The registry, as its owner opens it (setup and checks, not the server's connection).
    pub location: Location,
    pub _dir: Option<tempfile::TempDir>,
}

/// Which store the tests run on: the GeoPackage file, or, with `DEMINE_TEST_BACKEND=postgres`
/// (tests built with `--features postgres`, `DEMINE_TEST_PG` naming the cluster of
/// `scripts/pg-test-cluster.sh`), a fresh PostGIS database.
pub fn backend() -> &'static str {
    match std::env::var("DEMINE_TEST_BACKEND").as_deref() {
        Ok("postgres") => "postgres",
        Ok("") | Ok("geopackage") | Err(_) => "geopackage",
        Ok(other) => panic!("DEMINE_TEST_BACKEND={other}: use geopackage or postgres"),
    }
}

/// A new, empty registry on the configured backend (`name`: the GeoPackage's file name), and
/// the folder that holds it.
pub async fn new_location(name: &str) -> (Location, Option<tempfile::TempDir>) {
    if backend() == "postgres" {
        #[cfg(feature = "postgres")]
        {
            let admin = demine_store::pg_testing::cluster()
                .expect("DEMINE_TEST_BACKEND=postgres needs DEMINE_TEST_PG (scripts/pg-test-cluster.sh env)");
            let url = demine_store::pg_testing::new_database(&admin).await.unwrap();
            eprintln!("backend: postgres ({})", demine_app::registry::redact(&url));
            let loc = Location::Postgres(url);
            demine_app::registry::init(&loc).await.unwrap();
            return (loc, None);
        }
        #[cfg(not(feature = "postgres"))]
        panic!("DEMINE_TEST_BACKEND=postgres needs the tests built with --features postgres");
    }
    let dir = tempfile::tempdir().unwrap();
    let loc = Location::GeoPackage(dir.path().join(name));
    demine_app::registry::init(&loc).await.unwrap();
    (loc, Some(dir))
}

/// The registry as the server holds it. On PostGIS the server connects as an ordinary role (not
/// the owner, not a superuser), as in production, so row-level security applies; with
/// `DEMINE_TEST_RLS_ONLY=1` the store's own organisation filter is turned off, and row-level
/// security alone must keep every organisation's rows from the others.
pub async fn serving_registry(loc: &Location) -> Registry {
    match loc {
        Location::GeoPackage(_) => Registry::open(loc).await.unwrap(),
        #[cfg(feature = "postgres")]
        Location::Postgres(url) => {
            let role_url = demine_store::pg_testing::server_role(url).await.unwrap();
            // As `demine serve` holds it: generation and accounts kept until notified.
            let mut store = demine_store::PgStore::open_existing(&role_url)
                .await
                .unwrap()
                .watching_changes();
            if std::env::var("DEMINE_TEST_RLS_ONLY").as_deref() == Ok("1") {
                eprintln!("row-level security only: the application's organisation filter is off");
                store = store.without_application_filter_for_tests();
            }
            Registry::on_store(demine_store::Store::Postgres(store), Location::Postgres(role_url))
        }
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn token(&self, user: &str) -> &str {
        &self.tokens[user]
    }

    /// A request as `user` (None: anonymous).
    pub fn request(&self, user: Option<&str>, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.client.request(method, self.url(path));
        match user {
            Some(u) => r.bearer_auth(self.token(u)),
            None => r,
        }
    }

    pub async fn get_json(&self, user: &str, path: &str) -> (u16, Value) {
        let r = self
            .request(Some(user), reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

async fn import(loc: &Location, kind: RecordKind, name: &str, text: &str) {
    import_bytes(
        loc,
        &Actor::local("setup"),
        kind,
        Path::new(name),
        text.as_bytes(),
        &ImportOptions::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("setup import of {name}: {e}"));
}

/// Two operators (NGO-A, NGO-B), hazards of each, a cleared activity on HZ-A1, and one account
/// per role, each logged in.
pub async fn start() -> TestServer {
    // The server's warnings and errors (an internal error's cause) go to the failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_test_writer()
        .try_init();
    let (loc, dir) = new_location("registry.gpkg").await;
    import(
        &loc,
        RecordKind::Organisations,
        "orgs.csv",
        "id,name,kind\nNGO-A,Operator A,ngo\nNGO-B,Operator B,commercial\n",
    )
    .await;
    import(
        &loc,
        RecordKind::Hazards,
        "hazards.geojson",
        &collection(vec![
            (
                json!({"id": "HZ-A1", "class": "CHA", "organisation": "NGO-A", "recorded_date": "2024-01-01"}),
                rect(30.0, 50.0, 30.002, 50.001),
            ),
            (
                json!({"id": "HZ-A2", "class": "SHA", "organisation": "NGO-A", "recorded_date": "2024-01-01"}),
                rect(30.004, 50.0, 30.006, 50.001),
            ),
            (
                json!({"id": "HZ-B1", "class": "CHA", "organisation": "NGO-B", "recorded_date": "2024-01-01"}),
                rect(30.01, 50.0, 30.012, 50.001),
            ),
        ]),
    )
    .await;
    import(
        &loc,
        RecordKind::Activities,
        "activities.geojson",
        &collection(vec![
            (
                json!({"id": "ACT-A1", "hazard_id": "HZ-A1", "type": "clearance", "outcome": "cleared",
                       "start_date": "2024-02-01", "end_date": "2024-02-10", "organisation": "NGO-A"}),
                rect(30.0, 50.0, 30.001, 50.001),
            ),
            (
                json!({"id": "ACT-B1", "hazard_id": "HZ-B1", "type": "NTS", "outcome": "cancelled",
                       "start_date": "2024-02-01", "end_date": "2024-02-02", "organisation": "NGO-B"}),
                rect(30.01, 50.0, 30.011, 50.001),
            ),
        ]),
    )
    .await;
    serve_with_accounts(loc, dir, ["NGO-A", "NGO-B"]).await
}

/// Serves the registry at `loc` with one account per role, each logged in: planners, the team
/// leader and the QA inspector of `organisations[0]`, but `planner-b` of `organisations[1]`.
pub async fn serve_with_accounts(
    loc: Location,
    dir: Option<tempfile::TempDir>,
    organisations: [&str; 2],
) -> TestServer {
    let reg = Registry::open(&loc).await.unwrap();
    let admin = Actor::local("setup");
    for (name, role) in ACCOUNTS {
        let organisation = match (name, role) {
            ("planner-b", _) => Some(organisations[1].to_string()),
            (_, Role::Planner | Role::TeamLeader) => Some(organisations[0].to_string()),
            _ => None,
        };
        let assigned = if role == Role::QaInspector {
            vec![organisations[0].to_string()]
        } else {
            Vec::new()
        };
        add_user(
            &reg,
            &admin,
            &NewUser {
                username: name.into(),
                role,
                organisation,
                assigned,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    }
    reg.close().await.unwrap();
    let state = demine_server::AppState::new(serving_registry(&loc).await);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = demine_server::router(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    let mut tokens = HashMap::new();
    for (name, _) in ACCOUNTS {
        tokens.insert(name.to_string(), login(&client, &base, name, PASSWORD).await.unwrap());
    }
    TestServer {
        base,
        client,
        tokens,
        location: loc,
        _dir: dir,
    }
}

/// Logs in; the token, or the status refused with.
pub async fn login(client: &reqwest::Client, base: &str, user: &str, password: &str) -> Result<String, u16> {
    let r = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap();
    if !r.status().is_success() {
        return Err(r.status().as_u16());
    }
    let v: Value = r.json().await.unwrap();
    Ok(v["token"].as_str().unwrap().to_string())
}
