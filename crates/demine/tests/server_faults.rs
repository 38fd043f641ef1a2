//! `demine serve` as a field programme meets it: clients that hang up while a response is
//! written (the server keeps serving); many clients submitting daily progress at once, with retries, while the server is killed (SIGKILL) mid-burst and restarted. Every
//! acknowledged report is present exactly once, the audit log holds, a backup taken during the
//! burst is consistent, no secret (and no terminal colour code) reaches the log file, and an edited, deleted or reordered audit
//! entry is detected.

mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

const CLIENTS: usize = 200;
const REPORTS: usize = 20;
const PASSWORD: &str = "field team passphrase";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(s: &Scratch, port: u16, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Command::new(assert_cmd::cargo::cargo_bin("demine"))
        .arg("--db")
        .arg(s.db_arg())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn demine serve")
}

/// One operator, NGO-A, in the scratch registry.
fn with_operator(s: &Scratch) {
    s.import_ok(
        "organisations",
        &s.file("orgs.csv", "id,name,kind\nNGO-A,Operator A,ngo\n"),
    );
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start at {base}");
}

/// A small deterministic generator: the retries are random but reproducible.
fn next(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

fn hazard(c: usize) -> Value {
    let x = 30.0 + c as f64 * 0.003;
    json!({"type": "Feature", "properties": {"id": format!("HZ-{c}"), "class": "CHA", "organisation": "NGO-A",
        "recorded_date": "2024-01-01"},
        "geometry": {"type": "Polygon", "coordinates": [[[x, 50.0], [x + 0.002, 50.0], [x + 0.002, 50.001], [x, 50.001], [x, 50.0]]]}})
}

/// Report `n` of client `c`: a strip of its hazard, one day each.
fn report(c: usize, n: usize) -> Value {
    let x = 30.0 + c as f64 * 0.003 + n as f64 * 0.0001;
    let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap() + chrono::Duration::days(n as i64);
    json!({"client_id": format!("{:08x}-0000-4000-8000-{:012x}", c, n), "date": day.to_string(), "task": format!("HZ-{c}"),
        "team": format!("T-{c}"), "team_kind": "manual", "hours": 6.0,
        "geometry": {"type": "Polygon", "coordinates": [[[x, 50.0], [x + 0.0001, 50.0], [x + 0.0001, 50.0005], [x, 50.0005], [x, 50.0]]]}})
}

/// `demine --db DB ARGS`: exit code, stdout, stderr.
fn run_on(db: &str, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(assert_cmd::cargo::cargo_bin("demine"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A browser that navigates away drops its connections mid-response. The server must not die of
/// the broken pipe: `demine` restores the default SIGPIPE action for `demine … | head`, and a
/// write to a connection its client has closed raises it (status 13 before the fix).
#[test]
fn clients_that_drop_their_connection_mid_response_do_not_stop_the_server() {
    use std::io::{Read, Write};
    let s = Scratch::new();
    with_operator(&s);
    let log = s.file("serve.log", "");
    let port = free_port();
    let mut server = serve(&s, port, &log);
    let get = |path: &str| -> std::io::Result<std::net::TcpStream> {
        // `Connection: close`: the server writes and then closes.
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port))?;
        write!(c, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
        Ok(c)
    };
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(wait_ready(&reqwest::Client::new(), &format!("http://127.0.0.1:{port}")));
    // Each client asks for the Swagger UI bundle (about 1.4 MB) and hangs up at once: the server
    // writes to a connection the client has closed, and the client's kernel resets it.
    for _ in 0..100 {
        let Ok(c) = get("/api/v1/docs/swagger-ui-bundle.js") else {
            break; // the server is gone: asserted below
        };
        drop(c);
    }
    std::thread::sleep(Duration::from_millis(500));
    let exited = server.try_wait().expect("server status");
    let mut body = String::new();
    let alive = get("/healthz").and_then(|mut c| c.read_to_string(&mut body));
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        exited.is_none(),
        "the server exited ({exited:?}) after clients dropped their connections; its log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(
        alive.is_ok() && body.starts_with("HTTP/1.1 200"),
        "health check after the drops: {body}"
    );
}

#[test]
fn acknowledged_field_reports_survive_a_killed_server_exactly_once() {
    let s = Scratch::new();
    with_operator(&s);
    let hazards = json!({"type": "FeatureCollection", "features": (0..CLIENTS).map(hazard).collect::<Vec<_>>()});
    s.import_ok("hazards", &s.file("h.geojson", &hazards.to_string()));
    s.demine()
        .args(["user", "add", "leader", "--role", "team-leader", "--org", "NGO-A"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();

    let log = s.file("serve.log", "");
    let port = free_port();
    let mut server = serve(&s, port, &log);
    let base = Arc::new(RwLock::new(format!("http://127.0.0.1:{port}")));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (acked, token) = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let b = base.read().unwrap().clone();
        wait_ready(&client, &b).await;
        let t: Value = client
            .post(format!("{b}/api/v1/auth/token"))
            .json(&json!({"username": "leader", "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = t["token"].as_str().unwrap().to_string();
        let acks = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let (client, base, token, acks) = (client.clone(), base.clone(), token.clone(), acks.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = c as u64 + 1;
                let mut ids = Vec::new();
                for n in 0..REPORTS {
                    let body = report(c, n);
                    // Retries: after a lost answer (connection refused or cut), and at random
                    // after a good one, as a phone on a bad network does.
                    let mut answer: Option<Value> = None;
                    let mut sends = 0;
                    while answer.is_none() || (sends < 3 && next(&mut rng) % 4 == 0) {
                        sends += 1;
                        let url = format!("{}/api/v1/submissions/progress", base.read().unwrap());
                        match client.post(&url).bearer_auth(&token).json(&body).send().await {
                            Ok(r) if r.status().is_success() => {
                                let v: Value = r.json().await.unwrap();
                                if let Some(first) = &answer {
                                    assert_eq!(first, &v, "a resent report got another answer");
                                } else {
                                    acks.fetch_add(1, Ordering::SeqCst);
                                }
                                answer = Some(v);
                            }
                            Ok(r) if r.status().is_server_error() => {
                                tokio::time::sleep(Duration::from_millis(100)).await
                            }
                            Ok(r) => panic!("report {n} of client {c}: {} {}", r.status(), r.text().await.unwrap()),
                            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                        }
                    }
                    ids.push(answer.unwrap()["id"].as_str().unwrap().to_string());
                }
                ids
            }));
        }
        // Kill the server mid-burst, take a backup while the next one runs, and go on.
        let total = CLIENTS * REPORTS;
        while acks.load(Ordering::SeqCst) < total / 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        let port = free_port();
        server = serve(&s, port, &log);
        *base.write().unwrap() = format!("http://127.0.0.1:{port}");
        let b = base.read().unwrap().clone();
        wait_ready(&client, &b).await;
        while acks.load(Ordering::SeqCst) < total * 2 / 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // A GeoPackage registry is backed up by demine itself (PostgreSQL's by pg_dump/WAL).
        if s.pg_url.is_none() {
            let (code, _, err) = s.run(&["backup", s.db().with_extension("backup.gpkg").to_str().unwrap()]);
            assert_eq!(code, 0, "backup while serving: {err}");
        }
        let mut acked = Vec::new();
        for t in tasks {
            acked.extend(t.await.unwrap());
        }
        // What the server holds: every acknowledged report, once.
        let page: Value = client
            .get(format!("{b}/api/v1/records/progress?limit=10000"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let stored: Vec<String> = page["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(page["number_matched"], json!(total), "reports stored");
        let unique: HashSet<&String> = stored.iter().collect();
        assert_eq!(unique.len(), stored.len(), "a report is stored twice");
        for id in &acked {
            assert!(unique.contains(id), "acknowledged report {id} is missing");
        }
        (acked, token)
    });
    assert_eq!(acked.len(), CLIENTS * REPORTS);
    // Graceful stop (SIGTERM), then the audit log holds, in the registry and in the backup.
    unsafe {
        libc::kill(server.id() as i32, libc::SIGTERM);
    }
    assert!(server.wait().unwrap().success(), "graceful shutdown");
    let (code, out, err) = s.run(&["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    if s.pg_url.is_none() {
        let backup = s.db().with_extension("backup.gpkg");
        let (code, out, err) = run_on(backup.to_str().unwrap(), &["audit", "verify"]);
        assert_eq!(code, 0, "backup: {out}{err}");
    }

    // Nothing secret in the server's log.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("/api/v1/submissions/progress"),
        "the log records requests"
    );
    assert!(!text.contains(PASSWORD), "the password is in the log");
    assert!(!text.contains(&token), "a token is in the log");
    // A log file is plain text to grep: no terminal colour codes.
    assert!(!text.contains('\u{1b}'), "colour codes in a log file");
}

#[test]
fn an_altered_deleted_or_reordered_audit_entry_is_detected_and_named() {
    let s = Scratch::new();
    with_operator(&s);
    let hazards = json!({"type": "FeatureCollection", "features": (0..6).map(hazard).collect::<Vec<_>>()});
    s.import_ok("hazards", &s.file("h.geojson", &hazards.to_string()));
    let (code, out, _) = s.run(&["audit", "verify", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let entries = v["verification"]["entries"].as_u64().unwrap();
    assert!(entries >= 7, "{v}");
    let key = s.file("key-placeholder", "");
    std::fs::remove_file(&key).unwrap();
    let checkpoint = s.db().with_extension("checkpoint.json");
    let (code, _, err) = s.run(&[
        "audit",
        "checkpoint",
        "--out",
        checkpoint.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");

    // The intruder first drops the append-only triggers (on PostgreSQL the row ids are `fid`
    // too, and the triggers are on the table).
    let untrigger = if s.pg_url.is_some() {
        "DROP TRIGGER IF EXISTS change_log_no_update ON change_log;"
    } else {
        "DROP TRIGGER IF EXISTS change_log_no_update; DROP TRIGGER IF EXISTS change_log_no_delete;"
    };
    let tampered = |name: &str, sql: &str| {
        let copy = s.copy_of_registry(name);
        s.sql_on(&copy, &format!("{untrigger} {sql}"));
        let (code, out, err) = run_on(
            &copy,
            &["audit", "verify", "--checkpoint", checkpoint.to_str().unwrap()],
        );
        assert_eq!(code, 3, "{name}: tampering not detected: {out}{err}");
        err
    };
    let err = tampered("altered", "UPDATE change_log SET actor = 'someone else' WHERE fid = 4;");
    assert!(err.contains("entry 4") && err.contains("altered"), "{err}");
    let err = tampered("deleted", "DELETE FROM change_log WHERE fid = 3;");
    assert!(err.contains("entry 4") && err.contains("deleted"), "{err}");
    let err = tampered(
        "reordered",
        "UPDATE change_log SET fid = -1 WHERE fid = 3; UPDATE change_log SET fid = 3 WHERE fid = 4; UPDATE change_log SET fid = 4 WHERE fid = -1;",
    );
    assert!(err.contains("entry 3"), "{err}");
    // Cutting the last entries off is caught by the signed checkpoint.
    let err = tampered("truncated", &format!("DELETE FROM change_log WHERE fid = {entries};"));
    assert!(err.contains("checkpoint") && err.contains("deleted"), "{err}");
    // The untouched registry still holds against its checkpoint.
    let (code, out, err) = s.run(&["audit", "verify", "--checkpoint", checkpoint.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
}
