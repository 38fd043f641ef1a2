//! The shared registry over real HTTP: every route × every role, organisation isolation,
//! tokens, lockout, review and approval, idempotent field submissions, edit conflicts.

mod support;

use reqwest::Method;
use serde_json::{json, Value};
use support::{collection, login, rect, start, TestServer, PASSWORD};

const ROLES: [&str; 6] = ["admin1", "analyst1", "planner-a", "leader-a", "qa-a", "viewer1"];
const READERS: &[&str] = &["admin1", "analyst1", "planner-a", "leader-a", "qa-a"];
const EVERYONE: &[&str] = &["admin1", "analyst1", "planner-a", "leader-a", "qa-a", "viewer1"];
const WRITERS: &[&str] = &["admin1", "analyst1", "planner-a"];
const REVIEWERS: &[&str] = &["admin1", "analyst1"];
const QA: &[&str] = &["admin1", "analyst1", "qa-a"];
const FIELD: &[&str] = &["admin1", "planner-a", "leader-a"];
const ADMIN: &[&str] = &["admin1"];

/// One row of the matrix: a route, a request to it, and the roles that may use it.
struct Row {
    method: Method,
    /// The route as documented (OpenAPI path).
    route: &'static str,
    /// The request path; `{user}` is replaced by the caller's name.
    path: &'static str,
    body: Option<Value>,
    allowed: &'static [&'static str],
}

fn row(
    method: Method,
    route: &'static str,
    path: &'static str,
    body: Option<Value>,
    allowed: &'static [&'static str],
) -> Row {
    Row {
        method,
        route,
        path,
        body,
        allowed,
    }
}

fn uuid_for(user: &str, n: u32) -> String {
    let h = user
        .bytes()
        .fold(0u64, |a, b| a.wrapping_mul(131).wrapping_add(b as u64));
    format!("{:08x}-0000-4000-8000-{:012x}", n, h & 0xffff_ffff_ffff)
}

fn matrix() -> Vec<Row> {
    let hazard = collection(vec![(
        json!({"id": "HZ-NEW", "class": "SHA", "organisation": "NGO-A"}),
        rect(30.02, 50.0, 30.021, 50.001),
    )]);
    vec![
        row(Method::GET, "/api/v1/status", "/api/v1/status", None, EVERYONE),
        row(Method::GET, "/api/v1/auth/me", "/api/v1/auth/me", None, EVERYONE),
        row(
            Method::GET,
            "/api/v1/release",
            "/api/v1/release?by=organisation",
            None,
            EVERYONE,
        ),
        row(Method::GET, "/api/v1/check", "/api/v1/check", None, READERS),
        row(Method::GET, "/api/v1/log", "/api/v1/log?limit=5", None, READERS),
        row(Method::GET, "/api/v1/priorities", "/api/v1/priorities", None, READERS),
        row(
            Method::GET,
            "/api/v1/hazards/{id}/residual",
            "/api/v1/hazards/HZ-A1/residual",
            None,
            READERS,
        ),
        row(
            Method::GET,
            "/api/v1/hazards/{id}/certificate",
            "/api/v1/hazards/HZ-A1/certificate?draft=true",
            None,
            READERS,
        ),
        row(
            Method::POST,
            "/api/v1/qa/plan",
            "/api/v1/qa/plan",
            Some(json!({"lot_units": 1000, "lq": 0.01, "beta": 0.05})),
            EVERYONE,
        ),
        row(
            Method::POST,
            "/api/v1/qa/inspections",
            "/api/v1/qa/inspections",
            Some(
                json!({"hazard_id": "HZ-A1", "date": "2024-03-01", "lot_units": 100, "sample_units": 20,
                        "box_m": 10.0, "detection": 0.9}),
            ),
            QA,
        ),
        row(
            Method::GET,
            "/api/v1/progress/stats",
            "/api/v1/progress/stats",
            None,
            READERS,
        ),
        row(Method::GET, "/api/v1/layers", "/api/v1/layers", None, READERS),
        row(
            Method::POST,
            "/api/v1/analyses/{kind}",
            "/api/v1/analyses/plan",
            Some(json!({})),
            READERS,
        ),
        row(
            Method::GET,
            "/api/v1/records/{kind}",
            "/api/v1/records/hazards",
            None,
            READERS,
        ),
        row(
            Method::POST,
            "/api/v1/records/{kind}",
            "/api/v1/records/hazards?dry_run=true",
            Some(serde_json::from_str(&hazard).unwrap()),
            WRITERS,
        ),
        row(
            Method::GET,
            "/api/v1/records/{kind}/{id}",
            "/api/v1/records/hazards/HZ-A1",
            None,
            READERS,
        ),
        row(
            Method::PATCH,
            "/api/v1/records/{kind}/{id}",
            "/api/v1/records/hazards/HZ-A1",
            Some(json!({"set": {"attributes.note": "checked"}, "reason": "matrix test"})),
            WRITERS,
        ),
        row(
            Method::DELETE,
            "/api/v1/records/{kind}/{id}",
            "/api/v1/records/hazards/HZ-DEL-{user}?reason=duplicate",
            None,
            WRITERS,
        ),
        row(Method::GET, "/api/v1/review", "/api/v1/review", None, QA),
        row(
            Method::POST,
            "/api/v1/review/{kind}/{id}",
            "/api/v1/review/hazards/HZ-A1",
            Some(json!({"decision": "approve"})),
            REVIEWERS,
        ),
        row(Method::GET, "/api/v1/conflicts", "/api/v1/conflicts", None, READERS),
        row(
            Method::POST,
            "/api/v1/conflicts/{fid}/resolve",
            "/api/v1/conflicts/999/resolve",
            Some(json!({"resolution": "kept"})),
            WRITERS,
        ),
        row(
            Method::POST,
            "/api/v1/submissions/progress",
            "/api/v1/submissions/progress",
            Some(json!({"__progress": true})),
            FIELD,
        ),
        row(
            Method::POST,
            "/api/v1/submissions/finds",
            "/api/v1/submissions/finds",
            Some(json!({"__find": true})),
            FIELD,
        ),
        row(Method::GET, "/metrics", "/metrics", None, ADMIN),
    ]
}

/// The body of a row for one caller (submissions need the caller's own client UUID).
fn body_for(r: &Row, user: &str) -> Option<Value> {
    let b = r.body.clone()?;
    if b.get("__progress").is_some() {
        return Some(
            json!({"client_id": uuid_for(user, 1), "date": "2024-03-02", "task": "HZ-A1", "team": "T-1",
            "team_kind": "manual", "hours": 6.0, "geometry": rect(30.0012, 50.0, 30.0014, 50.0002)}),
        );
    }
    if b.get("__find").is_some() {
        return Some(json!({"client_id": uuid_for(user, 2), "feature": {"type": "Feature",
            "properties": {"id": format!("F-{user}"), "date": "2024-03-02", "category": "AP mine", "hazard_id": "HZ-A1"},
            "geometry": {"type": "Point", "coordinates": [30.0015, 50.0005]}}}));
    }
    Some(b)
}

/// Hazards each writer may retire (one per caller, so that every allowed retirement finds one).
async fn seed_retirable(s: &TestServer) {
    let features = ROLES
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let x = 30.03 + i as f64 * 0.003;
            (
                json!({"id": format!("HZ-DEL-{u}"), "class": "SHA", "organisation": "NGO-A"}),
                rect(x, 50.0, x + 0.001, 50.001),
            )
        })
        .collect();
    let r = s
        .request(Some("admin1"), Method::POST, "/api/v1/records/hazards")
        .header("content-type", "application/geo+json")
        .body(collection(features))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_gets_exactly_its_row_of_every_route() {
    let s = start().await;
    seed_retirable(&s).await;
    let rows = matrix();

    // Every documented route is in the matrix (a new route must say who may use it).
    let doc: Value = s
        .client
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let exempt = [
        "/healthz",
        "/api/v1/auth/token",
        "/api/v1/auth/revoke",
        "/api/v1/jobs/{id}",
        "/api/v1/jobs/{id}/result",
    ];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let covered = rows
                .iter()
                .any(|r| r.route == path && r.method.as_str().eq_ignore_ascii_case(method))
                || exempt.contains(&path.as_str());
            assert!(covered, "{method} {path} is not in the role × route matrix");
        }
    }

    let mut failures = Vec::new();
    for r in &rows {
        // Nobody logged in: 401, whatever the route.
        let path = r.path.replace("{user}", "anonymous");
        let mut req = s.client.request(r.method.clone(), s.url(&path));
        if let Some(b) = body_for(r, "anonymous") {
            req = req.json(&b);
        }
        let status = req.send().await.unwrap().status().as_u16();
        if status != 401 {
            failures.push(format!("anonymous {} {path}: {status}, expected 401", r.method));
        }
        for user in ROLES {
            let path = r.path.replace("{user}", user);
            let mut req = s.request(Some(user), r.method.clone(), &path);
            if let Some(b) = body_for(r, user) {
                req = req.json(&b);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            let allowed = r.allowed.contains(&user);
            let denied = status == 401 || status == 403;
            if status >= 500 {
                failures.push(format!("{user} {} {path}: {status} {text}", r.method));
            } else if allowed && denied {
                failures.push(format!(
                    "{user} {} {path}: denied ({status} {text}) but the role may",
                    r.method
                ));
            } else if !allowed && status != 403 && status != 404 {
                failures.push(format!("{user} {} {path}: {status}, but the role may not", r.method));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells of the matrix do not hold:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `GET /api/v1/auth/me` says who is logged in and what the role may do: the web application's
/// menus follow it, and it must agree with what the routes allow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_tells_the_role_and_what_it_may_do() {
    let s = start().await;
    let (code, me) = s.get_json("leader-a", "/api/v1/auth/me").await;
    assert_eq!(code, 200);
    assert_eq!(me["username"], "leader-a");
    assert_eq!(me["role"], "team_leader");
    assert_eq!(me["organisation"], "NGO-A");
    assert_eq!(me["may"]["progress"], true);
    assert_eq!(me["may"]["write"], false);
    assert_eq!(me["may"]["review"], false);
    let (_, me) = s.get_json("analyst1", "/api/v1/auth/me").await;
    assert_eq!(me["may"]["review"], true);
    assert_eq!(me["may"]["progress"], false);
    let (_, me) = s.get_json("viewer1", "/api/v1/auth/me").await;
    assert_eq!(me["may"]["read"], false);
    assert_eq!(me["may"]["aggregates"], true);
    let (_, me) = s.get_json("qa-a", "/api/v1/auth/me").await;
    assert_eq!(me["assigned"], serde_json::json!(["NGO-A"]));
    assert_eq!(me["may"]["qa"], true);
    // Each claim holds at the routes: the analyst's review queue opens, the team leader's does not.
    assert_eq!(s.get_json("analyst1", "/api/v1/review").await.0, 200);
    assert_eq!(s.get_json("leader-a", "/api/v1/review").await.0, 403);
    let anonymous = s
        .request(None, reqwest::Method::GET, "/api/v1/auth/me")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organisations_records_are_invisible_not_forbidden() {
    let s = start().await;
    let b = "planner-b";
    // Item: 404, as for a record that does not exist, and the message does not name it.
    for path in [
        "/api/v1/records/hazards/HZ-A1",
        "/api/v1/records/activities/ACT-A1",
        "/api/v1/hazards/HZ-A1/residual",
        "/api/v1/hazards/HZ-A1/certificate?draft=true",
    ] {
        let (status, body) = s.get_json(b, path).await;
        let (missing_status, missing) = s.get_json(b, &path.replace("A1", "ZZ9")).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(missing_status, 404);
        assert!(!body.to_string().contains("NGO-A"), "{path} leaks the owner: {body}");
        assert_eq!(
            body["detail"].as_str().unwrap().replace("A1", "ZZ9"),
            missing["detail"].as_str().unwrap(),
            "{path}: the answer differs from a missing record's"
        );
    }
    // Lists, counts, bbox.
    let (_, page) = s
        .get_json(b, "/api/v1/records/hazards?bbox=29,49,31,51&limit=1000")
        .await;
    assert_eq!(page["number_matched"], 1, "{page}");
    let ids: Vec<&str> = page["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["HZ-B1"]);
    let (_, acts) = s.get_json(b, "/api/v1/records/activities").await;
    assert_eq!(acts["number_matched"], 1);
    // Aggregates: their own land only.
    let (_, status) = s.get_json(b, "/api/v1/status").await;
    assert_eq!(status["hazards"], 1, "{status}");
    let (_, rel) = s.get_json(b, "/api/v1/release").await;
    assert_eq!(rel["hazards"], 1, "{rel}");
    let (_, all) = s.get_json("analyst1", "/api/v1/release").await;
    assert_eq!(all["hazards"], 3);
    // The change log: nothing of NGO-A.
    let (_, log) = s.get_json(b, "/api/v1/log?limit=1000").await;
    assert!(!log.to_string().contains("HZ-A1"), "{log}");
    // Writes: the same 404.
    let r = s
        .request(Some(b), Method::PATCH, "/api/v1/records/hazards/HZ-A1")
        .json(&json!({"set": {"class": "SHA"}, "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = s
        .request(Some(b), Method::POST, "/api/v1/submissions/progress")
        .json(
            &json!({"client_id": uuid_for(b, 7), "date": "2024-03-02", "task": "HZ-A1", "team": "T-1",
            "team_kind": "manual", "hours": 6.0, "geometry": rect(30.0012, 50.0, 30.0014, 50.0002)}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "{}", r.text().await.unwrap());
    // Importing into another organisation is refused, naming the record and field.
    let other = collection(vec![(
        json!({"id": "HZ-X", "class": "SHA", "organisation": "NGO-A"}),
        rect(30.05, 50.0, 30.051, 50.001),
    )]);
    let r = s
        .request(Some(b), Method::POST, "/api/v1/records/hazards")
        .header("content-type", "application/geo+json")
        .body(other)
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 403 | 422), "{}", r.status());
    let (_, after) = s.get_json("analyst1", "/api/v1/records/hazards/HZ-X").await;
    assert_eq!(after["status"], 404, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expire_and_can_be_revoked_and_guessing_is_locked_out() {
    let s = start().await;
    // Revoked: the token stops working at once.
    let t = login(&s.client, &s.base, "leader-a", PASSWORD).await.unwrap();
    let ok = s
        .client
        .get(s.url("/api/v1/status"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let r = s
        .client
        .post(s.url("/api/v1/auth/revoke"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = s
        .client
        .get(s.url("/api/v1/status"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    // Expired: a token past its time is refused.
    let reg = demine_app::Registry::open(&s.location).await.unwrap();
    use demine_app::Accounts as _;
    reg.store
        .save_token(&demine_store::TokenRecord {
            token_hash: demine_app::accounts::token_hash("an-expired-token"),
            username: "analyst1".into(),
            created_at: "2020-01-01T00:00:00.000Z".into(),
            expires_at: "2020-01-01T12:00:00.000Z".into(),
            revoked_at: None,
        })
        .await
        .unwrap();
    let r = s
        .client
        .get(s.url("/api/v1/status"))
        .bearer_auth("an-expired-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // HTTP Basic works for GIS clients, and a wrong password is refused.
    let r = s
        .client
        .get(s.url("/api/v1/status"))
        .basic_auth("viewer1", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = s
        .client
        .get(s.url("/api/v1/status"))
        .basic_auth("viewer1", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // Five wrong passwords lock the account: then even the right one is refused.
    for _ in 0..5 {
        assert_eq!(login(&s.client, &s.base, "qa-a", "not the password").await, Err(401));
    }
    assert_eq!(login(&s.client, &s.base, "qa-a", PASSWORD).await, Err(401));
    // Disabled accounts' tokens stop working.
    let t = s.token("planner-b").to_string();
    demine_app::accounts::set_disabled(&reg, &demine_app::Actor::local("setup"), "planner-b", true)
        .await
        .unwrap();
    let r = s
        .client
        .get(s.url("/api/v1/status"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // Guessing across accounts from one address is slowed down (429), even for a real account.
    let mut limited = false;
    for i in 0..12 {
        if login(&s.client, &s.base, &format!("nobody{i}"), "guess").await == Err(429) {
            limited = true;
        }
    }
    assert!(limited, "repeated failed logins from one address were never limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_submissions_are_idempotent_and_stale_edits_become_conflicts() {
    let s = start().await;
    let form = json!({"client_id": uuid_for("leader-a", 1), "date": "2024-03-02", "task": "HZ-A1", "team": "T-1",
        "team_kind": "manual", "hours": 6.0, "geometry": rect(30.0012, 50.0, 30.0014, 50.0002)});
    let send = |body: Value, user: &'static str| {
        s.request(Some(user), Method::POST, "/api/v1/submissions/progress")
            .json(&body)
            .send()
    };
    let first = send(form.clone(), "leader-a").await.unwrap();
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.unwrap();
    // The same id and body: the original answer, recorded once.
    let again = send(form.clone(), "leader-a").await.unwrap();
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(again.headers()["x-demine-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let (_, page) = s.get_json("analyst1", "/api/v1/records/progress").await;
    assert_eq!(page["number_matched"], 1);
    // The same id with another body: 409 with the stored copy.
    let mut changed = form.clone();
    changed["hours"] = json!(7.5);
    let r = send(changed, "leader-a").await.unwrap();
    assert_eq!(r.status().as_u16(), 409);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["stored"], first, "{p}");
    // Another user reusing the id learns nothing of the first submission.
    let r = send(form.clone(), "planner-a").await.unwrap();
    assert_eq!(r.status().as_u16(), 409);
    assert!(r.json::<Value>().await.unwrap().get("stored").is_none());

    // An operator's progress is stored as submitted, for review.
    let (_, shown) = s
        .get_json(
            "analyst1",
            &format!("/api/v1/records/progress/{}", first["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(shown["review"], "submitted", "{shown}");

    // A stale edit is kept as a conflict, never applied over the newer version.
    let read = s
        .request(Some("planner-a"), Method::GET, "/api/v1/records/hazards/HZ-A2")
        .send()
        .await
        .unwrap();
    let etag = read.headers()["etag"].to_str().unwrap().to_string();
    let edit = |note: &str, user: &'static str| {
        s.request(Some(user), Method::PATCH, "/api/v1/records/hazards/HZ-A2")
            .header("if-match", etag.clone())
            .json(&json!({"set": {"attributes.note": note}, "reason": "field check"}))
            .send()
    };
    assert_eq!(edit("first", "analyst1").await.unwrap().status().as_u16(), 200);
    let stale = edit("second", "planner-a").await.unwrap();
    assert_eq!(stale.status().as_u16(), 409);
    let (_, conflicts) = s.get_json("analyst1", "/api/v1/conflicts").await;
    let c = &conflicts.as_array().unwrap()[0];
    assert_eq!(c["record_id"], "HZ-A2");
    assert_eq!(c["username"], "planner-a");
    let (_, hz) = s.get_json("analyst1", "/api/v1/records/hazards/HZ-A2").await;
    assert!(
        hz.to_string().contains("first") && !hz.to_string().contains("\"second\""),
        "{hz}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_submissions_wait_for_approval_and_totals_can_leave_them_out() {
    let s = start().await;
    // The server keeps totals until the registry changes: asked before the submission, they
    // must still follow it.
    let (_, before) = s.get_json("analyst1", "/api/v1/release").await;
    assert_eq!(before["hazards"], 3);
    assert!(before["per_hazard"].is_array(), "{before}");
    let (_, totals_only) = s.get_json("analyst1", "/api/v1/release?per_hazard=false").await;
    assert_eq!(totals_only["released_m2"], before["released_m2"]);
    assert!(totals_only.get("per_hazard").is_none(), "{totals_only}");
    let hz = collection(vec![(
        json!({"id": "HZ-A9", "class": "CHA", "organisation": "NGO-A", "recorded_date": "2024-01-05"}),
        rect(30.07, 50.0, 30.072, 50.001),
    )]);
    let r = s
        .request(Some("planner-a"), Method::POST, "/api/v1/records/hazards")
        .header("content-type", "application/geo+json")
        .body(hz)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
    let (_, with) = s.get_json("analyst1", "/api/v1/release").await;
    let (_, approved) = s.get_json("analyst1", "/api/v1/release?approved_only=true").await;
    assert_eq!(with["hazards"], 4);
    assert_eq!(approved["hazards"], 3);
    let (_, queue) = s.get_json("analyst1", "/api/v1/review").await;
    assert!(queue.to_string().contains("HZ-A9"), "{queue}");
    // The operator cannot approve their own submission.
    let r = s
        .request(Some("planner-a"), Method::POST, "/api/v1/review/hazards/HZ-A9")
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // A rejection needs a reason.
    let r = s
        .request(Some("analyst1"), Method::POST, "/api/v1/review/hazards/HZ-A9")
        .json(&json!({"decision": "reject"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let r = s
        .request(Some("analyst1"), Method::POST, "/api/v1/review/hazards/HZ-A9")
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (_, approved) = s.get_json("analyst1", "/api/v1/release?approved_only=true").await;
    assert_eq!(approved["hazards"], 4);
    // Each transition is in the audit log, with who did it.
    let (_, log) = s.get_json("analyst1", "/api/v1/log?id=HZ-A9").await;
    let actors: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(actors.contains(&"planner-a") && actors.contains(&"analyst1"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_problem_details_naming_the_record_and_field() {
    let s = start().await;
    let bad = collection(vec![(
        json!({"id": "HZ-BAD", "class": "XYZ", "organisation": "NGO-A"}),
        rect(30.08, 50.0, 30.081, 50.001),
    )]);
    let r = s
        .request(Some("planner-a"), Method::POST, "/api/v1/records/hazards")
        .header("content-type", "application/geo+json")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    let all = p.to_string();
    assert!(all.contains("HZ-BAD") && all.contains("class"), "{p}");
    let (_, missing) = s.get_json("analyst1", "/api/v1/records/hazards/HZ-BAD").await;
    assert_eq!(missing["status"], 404, "nothing was written");
    // Malformed JSON and unknown kinds: 4xx problem details, never 5xx.
    let r = s
        .request(Some("analyst1"), Method::PATCH, "/api/v1/records/hazards/HZ-A1")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    // axum's own rejections come as problem details too, with their text as the detail.
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("JSON"), "{p}");
    let (st, p) = s.get_json("analyst1", "/api/v1/records/hazards?limit=many").await;
    assert_eq!(st, 400);
    assert_eq!(p["status"], 400, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("limit"), "{p}");
    let (st, _) = s.get_json("analyst1", "/api/v1/records/unicorns").await;
    assert_eq!(st, 404);
    let (st, p) = s.get_json("analyst1", "/api/v1/records/hazards?bbox=1,2,3").await;
    assert_eq!(st, 400);
    assert!(p["detail"].as_str().unwrap().contains("bbox"));
}

/// Whether `text` reads in Ukrainian: Cyrillic letters, and no English sentence.
fn reads_ukrainian(text: &str) -> bool {
    text.chars().any(|c| ('а'..='я').contains(&c) || "іїєґ".contains(c))
        && !["is not", "the ", "must be", " give "].iter().any(|e| text.contains(e))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problems_read_in_the_language_the_request_asks_for() {
    let s = start().await;
    let bad = collection(vec![(
        json!({"id": "HZ-BAD", "class": "XYZ", "organisation": "NGO-A"}),
        rect(30.08, 50.0, 30.081, 50.001),
    )]);
    let post = |language: Option<&'static str>| {
        let mut r = s
            .request(Some("planner-a"), Method::POST, "/api/v1/records/hazards")
            .header("content-type", "application/geo+json")
            .body(bad.clone());
        if let Some(l) = language {
            r = r.header("accept-language", l);
        }
        r.send()
    };
    let english = post(None).await.unwrap();
    assert_eq!(english.status().as_u16(), 422);
    assert!(english.headers()["vary"].to_str().unwrap().contains("accept-language"));
    let english: Value = english.json().await.unwrap();
    let ukrainian = post(Some("uk-UA,uk;q=0.9,en;q=0.5")).await.unwrap();
    assert_eq!(ukrainian.status().as_u16(), 422);
    assert_eq!(ukrainian.headers()["content-type"], "application/problem+json");
    assert_eq!(ukrainian.headers()["content-language"], "uk");
    let ukrainian: Value = ukrainian.json().await.unwrap();
    let (en_problem, uk_problem) = (
        english["problems"][0].as_str().unwrap(),
        ukrainian["problems"][0].as_str().unwrap(),
    );
    assert!(en_problem.contains("is not one of the allowed values"), "{english}");
    assert!(reads_ukrainian(uk_problem), "{ukrainian}");
    assert!(reads_ukrainian(ukrainian["title"].as_str().unwrap()), "{ukrainian}");
    for kept in ["HZ-BAD", "XYZ", "`class`"] {
        assert!(
            en_problem.contains(kept) && uk_problem.contains(kept),
            "{kept}: {uk_problem}"
        );
    }
    assert_eq!(english["status"], ukrainian["status"]);
    // A bad query and a record nobody may see, the same way.
    for path in ["/api/v1/records/hazards?bbox=1,2,3", "/api/v1/records/hazards/HZ-NONE"] {
        let r = s
            .request(Some("analyst1"), Method::GET, path)
            .header("accept-language", "uk")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{path}");
        let p: Value = r.json().await.unwrap();
        assert!(reads_ukrainian(p["detail"].as_str().unwrap()), "{path}: {p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_links_page_through_every_record_keeping_the_filter() {
    let s = start().await;
    let mut path = "/api/v1/records/hazards?limit=1&bbox=29.9,49.9,30.0065,50.1".to_string();
    let mut seen = Vec::new();
    loop {
        let (status, page) = s.get_json("analyst1", &path).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["number_matched"], 2, "the bbox holds HZ-A1 and HZ-A2 only: {page}");
        for f in page["features"].as_array().unwrap() {
            seen.push(f["id"].as_str().unwrap().to_string());
        }
        match page["links"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["rel"] == "next"))
        {
            Some(l) => path = l["href"].as_str().unwrap().to_string(),
            None => break,
        }
        assert!(seen.len() <= 2, "paging does not end: {seen:?}");
    }
    assert_eq!(seen, ["HZ-A1", "HZ-A2"]);
}

/// A KML of finds, with `id`, `date`, `category` and `hazard_id` in its ExtendedData.
fn finds_kml(finds: &[(&str, &str, f64, f64)]) -> String {
    let placemarks: String = finds
        .iter()
        .map(|(id, category, lon, lat)| {
            format!(
                "<Placemark><name>{id}</name><ExtendedData>\
                 <Data name=\"id\"><value>{id}</value></Data>\
                 <Data name=\"date\"><value>2024-05-02</value></Data>\
                 <Data name=\"category\"><value>{category}</value></Data>\
                 <Data name=\"hazard_id\"><value>HZ-A1</value></Data>\
                 </ExtendedData><Point><coordinates>{lon},{lat}</coordinates></Point></Placemark>"
            )
        })
        .collect();
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>{placemarks}</Document></kml>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_take_every_format_by_media_type_and_name_the_upload_in_errors() {
    let s = start().await;
    let post = |body: String, media_type: &'static str, query: &'static str| {
        s.request(
            Some("planner-a"),
            Method::POST,
            &format!("/api/v1/records/finds{query}"),
        )
        .header("content-type", media_type)
        .body(body)
        .send()
    };
    // A KML from a field tablet: read by its media type, stored like a GeoJSON import.
    let kml = finds_kml(&[
        ("F-KML-1", "AP_mine", 30.0005, 50.0005),
        ("F-KML-2", "UXO", 30.0015, 50.0006),
    ]);
    let r = post(kml.clone(), "application/vnd.google-earth.kml+xml", "")
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["written"], 2, "{done}");
    assert_eq!(done["file"], "request body.kml", "{done}");
    let (st, f) = s.get_json("analyst1", "/api/v1/records/finds/F-KML-2").await;
    assert_eq!(st, 200, "{f}");
    assert_eq!(f["record"]["properties"]["category"], "UXO", "{f}");
    // ?format= names it when the client sends no useful media type.
    let kml3 = finds_kml(&[("F-KML-3", "AT_mine", 30.001, 50.0004)]);
    let r = post(kml3, "application/octet-stream", "?format=kml&dry_run=true")
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "a dry run");
    // A bad record: problem details naming the upload, the record and the field, never the
    // server's temporary directory; nothing written.
    let bad = finds_kml(&[("F-KML-4", "no_such_category", 30.001, 50.0004)]);
    let r = post(bad, "application/vnd.google-earth.kml+xml", "").await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p = r.text().await.unwrap();
    assert!(
        p.contains("request body.kml") && p.contains("F-KML-4") && p.contains("category"),
        "{p}"
    );
    assert!(!p.contains("/request body"), "{p}");
    // The registry by its file's or database's name: not the server's folders, host or port.
    let public_name = s.location.public_name();
    assert!(p.contains(&format!("the registry {public_name} is unchanged")), "{p}");
    assert!(!p.contains(&s.location.describe()), "{p}");
    let (st, _) = s.get_json("analyst1", "/api/v1/records/finds/F-KML-4").await;
    assert_eq!(st, 404, "nothing was written");
    // A media type demine does not import: 415, saying what it takes.
    let r = post(kml, "image/png", "").await.unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("?format="), "{p}");
}

/// Runs a job to its end as `user`; its result, or the job's failure.
async fn job_result(s: &TestServer, user: &str, kind: &str, body: Value) -> Result<Value, Value> {
    job_result_in(s, user, kind, body, "en").await
}

/// [`job_result`] with the result asked for in `lang` (`Accept-Language`).
async fn job_result_in(s: &TestServer, user: &str, kind: &str, body: Value, lang: &str) -> Result<Value, Value> {
    let r = s
        .request(Some(user), Method::POST, &format!("/api/v1/analyses/{kind}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202, "{kind}");
    let job: Value = r.json().await.unwrap();
    let id = job["id"].as_str().unwrap().to_string();
    for _ in 0..1200 {
        let (st, v) = s.get_json(user, &format!("/api/v1/jobs/{id}")).await;
        assert_eq!(st, 200, "{v}");
        match v["status"].as_str() {
            Some("done") => {
                let r = s
                    .request(Some(user), Method::GET, &format!("/api/v1/jobs/{id}/result"))
                    .header("Accept-Language", lang)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 200, "{kind}");
                return Ok(r.json().await.unwrap());
            }
            Some("failed") => return Err(v),
            _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    panic!("job {kind} did not end in 2 minutes");
}

/// `demine strategy` over HTTP: the three strategies compared on the land the caller may see,
/// with the same options and checks as the command line. On the SYNTHETIC small demo (its risk
/// map, teams and field work), whichever backend the other tests use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strategies_are_compared_as_a_job_on_the_callers_land() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demine_app::demo::demo(
        &demine_app::Actor::local("setup"),
        &demine_app::demo::DemoRequest {
            out: dir.path().join("demo"),
            force: false,
            seed: 3,
            scale: demine_app::demo::Scale::Small,
            lang: demine_app::text::Lang::En,
        },
        &demine_app::NoProgress,
    )
    .await
    .unwrap();
    let loc = demine_app::Location::GeoPackage(demo.db.clone());
    // An organisation with survey and clearance teams of its own (a planner plans with their
    // organisation's teams), and another.
    let reg = demine_app::Registry::open(&loc).await.unwrap();
    let all_records = demine_store::Query::all();
    let hazards = demine_store::Repository::hazards(&reg.store, &all_records)
        .await
        .unwrap();
    let teams = demine_store::Repository::teams(&reg.store, &all_records).await.unwrap();
    reg.close().await.unwrap();
    let mut by_organisation: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for h in &hazards {
        by_organisation
            .entry(h.organisation.clone().unwrap_or_default())
            .or_default()
            .push(h.id.clone());
    }
    let has = |organisation: &str, kind: &str| {
        teams
            .iter()
            .any(|t| t.organisation.as_deref() == Some(organisation) && t.kind.as_str() == kind)
    };
    let mine = by_organisation
        .keys()
        .find(|o| has(o, "nts") && has(o, "ts") && (has(o, "manual") || has(o, "mechanical")))
        .expect("the demo has an operator with NTS, TS and clearance teams")
        .clone();
    let others = by_organisation.keys().find(|o| **o != mine).unwrap().clone();
    let s = support::serve_with_accounts(loc, Some(dir), [&mine, &others]).await;

    let body = json!({"start": "2026-01-05", "runs": 30, "seed": 7, "search_budget_s": 0.5, "hazards": 1000});
    let all = job_result(&s, "analyst1", "strategy", body.clone()).await.unwrap();
    let names: Vec<&str> = all["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["clear-all", "survey-led", "evidence-led"], "{all}");
    for x in all["strategies"].as_array().unwrap() {
        for key in ["completion_p10", "completion_p50", "completion_p90"] {
            let date = x[key].as_str().unwrap_or_default();
            assert!(chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(), "{key} {x}");
        }
        assert!(x["team_days"].as_f64().unwrap() > 0.0, "{x}");
        assert!(x["expected_residual_items"].as_f64().unwrap() >= 0.0, "{x}");
    }
    // The same options give the same answer, as `demine strategy --seed` does.
    let again = job_result(&s, "analyst1", "strategy", body.clone()).await.unwrap();
    assert_eq!(again["strategies"], all["strategies"]);
    // A planner compares strategies on their organisation's land alone.
    let planner = job_result(&s, "planner-a", "strategy", body.clone()).await.unwrap();
    let listed: Vec<&str> = planner["hazards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert!(
        !listed.is_empty() && listed.iter().all(|id| by_organisation[&mine].iter().any(|m| m == id)),
        "{listed:?}"
    );
    let clear_all = |v: &Value| v["strategies"][0]["released_m2"].as_f64().unwrap();
    assert!(clear_all(&planner) < clear_all(&all), "{planner}");
    // Bad options are refused as on the command line, naming the option.
    let bad = job_result(&s, "analyst1", "strategy", json!({"max_residual_items": -1.0}))
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("max-residual-items"), "{bad}");
    // Thresholds and method settings in the body, as the command line's flags: used as given,
    // and refused before a job starts when out of range.
    let fixed = json!({"start": "2026-01-05", "runs": 20, "search_budget_s": 0.5,
                       "cancel_below_items_per_ha": 0.0, "clear_above_items_per_ha": 0.0, "ts_coverage": 0.15});
    let given = job_result(&s, "analyst1", "strategy", fixed).await.unwrap();
    assert_eq!(given["methods"]["ts_coverage"], 0.15, "{given}");
    let evidence = &given["strategies"][2];
    assert_eq!(evidence["released_by_outcome_m2"]["cancelled"], 0.0, "{evidence}");
    // A setting in range but far from practice is taken, and the result says what rests on it.
    let low = json!({"start": "2026-01-05", "runs": 20, "search_budget_s": 0.5, "clearance_detection": 0.5});
    let forecast = job_result(&s, "analyst1", "forecast", low).await.unwrap();
    assert!(
        forecast["notes"]
            .to_string()
            .contains("--clearance-detection 0.5 is far below"),
        "{forecast}"
    );
    // The notes read in the language the result is asked in, as the command line's `--lang uk`;
    // the figures are the same.
    let low = json!({"start": "2026-01-05", "runs": 20, "search_budget_s": 0.5, "clearance_detection": 0.5});
    let uk = job_result_in(&s, "analyst1", "forecast", low, "uk").await.unwrap();
    let note = uk["notes"].to_string();
    assert!(
        note.contains("--clearance-detection 0.5") && !note.contains("is far below") && note.contains("практиці"),
        "{note}"
    );
    assert_eq!(uk["p50"], forecast["p50"], "{uk}");
    for (body, says) in [
        (json!({"ts_coverage": 2.0}), "--ts-coverage 2"),
        (
            json!({"cancel_below_items_per_ha": 1.0, "clear_above_items_per_ha": 0.5}),
            "--clear-above 0.5",
        ),
    ] {
        for kind in ["strategy", "plan", "forecast", "capacity"] {
            let r = s
                .request(Some("analyst1"), Method::POST, &format!("/api/v1/analyses/{kind}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 422, "{kind} {body}");
            assert_eq!(r.headers()["content-type"], "application/problem+json");
            let p: Value = r.json().await.unwrap();
            assert!(p["detail"].as_str().unwrap().contains(says), "{kind}: {p}");
        }
    }
}
