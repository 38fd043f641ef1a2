//! Real processes writing the same registry at once: daily progress on different hazards from
//! two processes both succeed and leave the computed columns right; two edits based on the
//! same version cannot both win.

mod common;
use common::*;
use serde_json::Value;
use std::process::{Child, Stdio};

fn spawn(s: &Scratch, args: &[&str]) -> Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("demine"))
        .env("DEMINE_LANG", "en")
        .arg("--db")
        .arg(s.db_arg())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn demine")
}

fn finish(c: Child) -> (i32, String) {
    let o = c.wait_with_output().expect("wait");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn two_processes_record_progress_on_different_hazards_at_once() {
    let s = Scratch::new();
    s.import_ok(
        "hazards",
        &s.file(
            "h.geojson",
            &collection(&[
                (
                    r#"{"id":"HZ-1","class":"CHA","recorded_date":"2024-01-01"}"#,
                    &rect(30.0, 50.0, 30.002, 50.001),
                ),
                (
                    r#"{"id":"HZ-2","class":"CHA","recorded_date":"2024-01-01"}"#,
                    &rect(31.0, 50.0, 31.002, 50.001),
                ),
            ]),
        ),
    );
    // Five days of work on each hazard, the two teams' reports sent at the same moment.
    for day in 0..5 {
        let strip = |x0: f64| {
            let a = x0 + 0.0004 * day as f64;
            s.file(
                &format!("p-{x0}-{day}.geojson"),
                &collection(&[(r#"{"id":"L"}"#, &rect(a, 50.0, a + 0.0004, 50.001))]),
            )
        };
        let (p1, p2) = (strip(30.0), strip(31.0));
        let date = format!("2024-05-0{}", day + 1);
        let add = |task: &str, team: &str, p: &std::path::Path| {
            spawn(
                &s,
                &[
                    "progress",
                    "add",
                    "--date",
                    &date,
                    "--task",
                    task,
                    "--team",
                    team,
                    "--team-kind",
                    "mechanical",
                    "--hours",
                    "8",
                    "--polygon",
                    p.to_str().unwrap(),
                ],
            )
        };
        let (c1, c2) = (add("HZ-1", "T1", &p1), add("HZ-2", "T2", &p2));
        for (code, err) in [finish(c1), finish(c2)] {
            assert_eq!(code, 0, "day {day}: {err}");
        }
    }
    // Both hazards are now fully cleared, and the stored figures say so.
    let v = s.ok_json(&["release", "--json"]);
    for h in v["per_hazard"].as_array().unwrap() {
        assert_eq!(h["status"], "released", "{h}");
        assert_eq!(h["remaining_m2"], 0.0, "{h}");
    }
    let status = s.ok_json(&["status", "--json"]);
    assert_eq!(status["daily_progress"], 10);
    for id in ["HZ-1", "HZ-2"] {
        let shown = s.ok_json(&["show", "hazards", id, "--json"]);
        assert_eq!(shown["hazard"]["daily_progress"].as_array().unwrap().len(), 5);
    }
    // The computed columns the store wrote (what QGIS shows) equal a fresh accounting.
    let o = std::process::Command::new("ogrinfo")
        .args([
            "-ro",
            "-q",
            "-sql",
            "SELECT id, status, remaining_m2 FROM hazards ORDER BY id",
        ])
        .arg(s.gdal_source())
        .output()
        .expect("ogrinfo (GDAL) reads the registry; scripts/install-test-deps.sh installs it");
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(text.matches("status (String) = released").count(), 2, "{text}");
}

#[test]
fn of_two_edits_based_on_the_same_version_one_wins_and_the_other_is_refused() {
    let s = Scratch::new();
    s.import_ok(
        "hazards",
        &s.file(
            "h.geojson",
            &collection(&[(r#"{"id":"HZ-1","class":"SHA"}"#, &rect(30.0, 50.0, 30.01, 50.01))]),
        ),
    );
    let shown: Value = s.ok_json(&["show", "hazards", "HZ-1", "--json"]);
    assert_eq!(shown["version"], 1);
    let edit = |name: &str| {
        spawn(
            &s,
            &[
                "amend",
                "hazards",
                "HZ-1",
                "--set",
                &format!("name={name}"),
                "--reason",
                "rename",
                "--if-version",
                "1",
            ],
        )
    };
    let (a, b) = (edit("North field"), edit("South field"));
    let results = [finish(a), finish(b)];
    let won = results.iter().filter(|r| r.0 == 0).count();
    assert_eq!(won, 1, "exactly one edit wins: {results:?}");
    let lost = results.iter().find(|r| r.0 != 0).unwrap();
    assert_eq!(lost.0, 2);
    assert!(
        lost.1.contains("hazard 'HZ-1'") && lost.1.contains("version 1"),
        "{}",
        lost.1
    );
    let shown: Value = s.ok_json(&["show", "hazards", "HZ-1", "--json"]);
    assert_eq!(shown["version"], 2);
}
