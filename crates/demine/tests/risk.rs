//! `demine risk evaluate | train | score` through the real binary, on small SYNTHETIC cell tables.

mod common;

use common::Scratch;
use serde_json::Value;
use std::collections::HashMap;

/// A small deterministic generator (xorshift64*), so the tests need no extra dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// SYNTHETIC cells: risk falls with distance to the nearest conflict event and rises with a
/// municipality effect; a noise feature, a text column, an id, missing values and unlabelled rows.
fn cells_csv(rows: usize, groups: usize, seed: u64) -> String {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let effects: Vec<f64> = (0..groups).map(|_| rng.next() - 0.5).collect();
    let mut s = String::from("cell_id,municipality,landcover,dist_event_m,slope_deg,noise,mine\n");
    for i in 0..rows {
        let g = i % groups;
        let d = 5000.0 * rng.next();
        let slope = 30.0 * rng.next();
        let logit = 2.0 - d / 700.0 + slope / 15.0 + effects[g];
        let p = 1.0 / (1.0 + (-logit).exp());
        let y = u8::from(rng.next() < p);
        let label = if rng.next() < 0.15 {
            String::new()
        } else {
            y.to_string()
        };
        let slope_txt = if rng.next() < 0.05 {
            String::new()
        } else {
            format!("{slope:.2}")
        };
        let lc = ["forest", "crop", "grass"][i % 3];
        s.push_str(&format!(
            "c{i},M{g:02},{lc},{d:.1},{slope_txt},{:.4},{label}\n",
            rng.next()
        ));
    }
    s
}

fn evaluate_args<'a>(cells: &'a str, model: &'a str, seed: &'a str) -> Vec<&'a str> {
    vec![
        "risk",
        "evaluate",
        "--cells",
        cells,
        "--label",
        "mine",
        "--group",
        "municipality",
        "--exclude",
        "cell_id",
        "--model",
        model,
        "--seed",
        seed,
        "--json",
    ]
}

#[test]
fn evaluate_finds_the_signal_with_both_models() {
    let s = Scratch::new();
    let p = s.file("cells.csv", &cells_csv(1500, 24, 1));
    let cells = p.to_str().unwrap();
    for model in ["lr", "gbt"] {
        let v = s.ok_json(&evaluate_args(cells, model, "7"));
        let auc = v["auc_mean"].as_f64().unwrap();
        assert!(auc > 0.75, "{model}: AUC {auc}");
        assert_eq!(v["folds"], 5);
        assert_eq!(v["folds_single_class"], 0);
        assert_eq!(v["model"], model);
        assert_eq!(v["seed"], 7);
        assert_eq!(v["rows"], 1500);
        assert_eq!(v["per_fold"].as_array().unwrap().len(), 5);
        let pr = v["pr_auc_mean"].as_f64().unwrap();
        let base = v["base_rate"].as_f64().unwrap();
        assert!(pr > base, "PR-AUC {pr} vs base rate {base}");
        let brier = v["brier_mean"].as_f64().unwrap();
        assert!(
            brier > 0.0 && brier < base * (1.0 - base),
            "Brier {brier} beats the base rate"
        );
        for q in ["0.1", "0.2", "0.3"] {
            let r = v["recall_at"][q].as_f64().unwrap();
            assert!(r > q.parse::<f64>().unwrap(), "recall@{q} = {r} not above random");
        }
        assert_eq!(v["features"], serde_json::json!(["dist_event_m", "slope_deg", "noise"]));
        assert_eq!(v["ignored_columns"][0]["name"], "landcover");
        let labelled = v["labelled"].as_u64().unwrap();
        assert!(labelled > 1100 && labelled < 1400, "{labelled}");
        assert!(v["positives"].as_u64().unwrap() > 0);
    }
}

#[test]
fn same_seed_same_json_and_folds_keep_groups_together() {
    let s = Scratch::new();
    let p = s.file("cells.csv", &cells_csv(900, 15, 2));
    let folds = s.dir.path().join("folds.csv");
    let mut args = evaluate_args(p.to_str().unwrap(), "gbt", "3");
    let (c1, out1, e1) = s.run(&args);
    assert_eq!(c1, 0, "{e1}");
    args.extend(["--folds-out", folds.to_str().unwrap()]);
    let (c2, out2, e2) = s.run(&args);
    assert_eq!(c2, 0, "{e2}");
    assert_eq!(out1, out2, "same seed must give the same JSON");
    let (_, out3, _) = s.run(&evaluate_args(p.to_str().unwrap(), "gbt", "4"));
    assert_ne!(out1, out3, "another seed deals other folds");

    let text = std::fs::read_to_string(&folds).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("row,group,label,fold,risk_oof"));
    let mut fold_of: HashMap<String, String> = HashMap::new();
    let mut n = 0;
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        n += 1;
        if f[2].is_empty() {
            assert!(f[3].is_empty() && f[4].is_empty(), "unlabelled rows have no fold: {l}");
            continue;
        }
        let p: f64 = f[4].parse().unwrap();
        assert!((0.0..=1.0).contains(&p));
        let prev = fold_of.entry(f[1].to_string()).or_insert_with(|| f[3].to_string());
        assert_eq!(prev, f[3], "group {} split across folds", f[1]);
    }
    assert_eq!(n, 900);
}

#[test]
fn single_class_folds_are_counted() {
    // Three municipalities, one with no positive: leave-one-group-out, one fold left out of AUC.
    let mut csv = String::from("m,x,y\n");
    for g in 0..3 {
        for i in 0..60 {
            let y = g > 0 && i >= 40;
            csv.push_str(&format!("G{g},{},{}\n", i, u8::from(y)));
        }
    }
    let s = Scratch::new();
    let p = s.file("cells.csv", &csv);
    let v = s.ok_json(&[
        "risk",
        "evaluate",
        "--cells",
        p.to_str().unwrap(),
        "--label",
        "y",
        "--group",
        "m",
        "--model",
        "lr",
        "--json",
    ]);
    assert_eq!(v["folds"], 3);
    assert_eq!(v["scheme"], "leave_one_group_out");
    assert_eq!(v["folds_single_class"], 1);
    let singles: Vec<&Value> = v["per_fold"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["single_class"] == true)
        .collect();
    assert_eq!(singles.len(), 1);
    assert!(singles[0]["auc"].is_null());
    assert!(v["auc_mean"].as_f64().unwrap() > 0.9);
}

#[test]
fn readable_table_without_json() {
    let s = Scratch::new();
    let p = s.file("cells.csv", &cells_csv(600, 12, 3));
    let (code, out, err) = s.run(&[
        "risk",
        "evaluate",
        "--cells",
        p.to_str().unwrap(),
        "--label",
        "mine",
        "--group",
        "municipality",
        "--exclude",
        "cell_id",
        "--model",
        "lr",
    ]);
    assert_eq!(code, 0, "{err}");
    for want in [
        "ROC-AUC",
        "PR-AUC",
        "Brier",
        "recall@10%",
        "mean",
        "landcover (not numeric",
        "12 groups",
    ] {
        assert!(out.contains(want), "missing '{want}' in:\n{out}");
    }
    assert!(err.contains("landcover"), "a note names the ignored column: {err}");
}

/// Runs a command that must be refused; returns stderr.
fn refused(s: &Scratch, args: &[&str]) -> String {
    let (code, out, err) = s.run(args);
    assert_ne!(code, 0, "{args:?} should fail; stdout: {out}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("error:"), "{err}");
    err
}

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    let s = Scratch::new();
    let good = s.file("good.csv", &cells_csv(300, 6, 4));
    let eval = |file: &str, label: &str, group: &str| -> Vec<String> {
        [
            "risk", "evaluate", "--cells", file, "--label", label, "--group", group, "--json",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };
    let run = |args: Vec<String>| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&s, &a)
    };
    let g = good.to_str().unwrap();

    let e = run(eval(g, "label", "municipality"));
    assert!(e.contains("no label column 'label'") && e.contains("good.csv"), "{e}");
    let e = run(eval(g, "mine", "region"));
    assert!(e.contains("no group column 'region'"), "{e}");

    let one = s.file("one.csv", "m,x,y\nA,1,1\nB,2,1\nC,3,\n");
    let e = run(eval(one.to_str().unwrap(), "y", "m"));
    assert!(
        e.contains("single class") && e.contains("'y'") && e.contains("2 positive"),
        "{e}"
    );

    let bad = s.file("bad.csv", "m,x,y\nA,1,1\nB,2,0\nC,3,maybe\n");
    let e = run(eval(bad.to_str().unwrap(), "y", "m"));
    assert!(
        e.contains("line 4") && e.contains("'maybe'") && e.contains("label column 'y'"),
        "{e}"
    );

    let empty = s.file("empty.csv", "m,x,y\n");
    let e = run(eval(empty.to_str().unwrap(), "y", "m"));
    assert!(e.contains("no data rows"), "{e}");
    let nothing = s.file("nothing.csv", "");
    let e = run(eval(nothing.to_str().unwrap(), "y", "m"));
    assert!(e.contains("no data rows"), "{e}");

    let nofeat = s.file("nofeat.csv", "m,cover,y\nA,forest,1\nB,crop,0\n");
    let e = run(eval(nofeat.to_str().unwrap(), "y", "m"));
    assert!(
        e.contains("no numeric feature") && e.contains("cover (not numeric"),
        "{e}"
    );

    let e = refused(
        &s,
        &[
            "risk",
            "evaluate",
            "--cells",
            g,
            "--label",
            "mine",
            "--group",
            "municipality",
            "--exclude",
            "nope",
        ],
    );
    assert!(e.contains("no --exclude column 'nope'"), "{e}");

    let e = run(eval("/no/such/cells.csv", "y", "m"));
    assert!(e.contains("/no/such/cells.csv") && e.contains("cannot read"), "{e}");

    let onegroup = s.file("onegroup.csv", "m,x,y\nA,1,1\nA,2,0\nA,3,1\n");
    let e = run(eval(onegroup.to_str().unwrap(), "y", "m"));
    assert!(e.contains("one group ('A')"), "{e}");

    let e = refused(
        &s,
        &[
            "risk",
            "evaluate",
            "--cells",
            g,
            "--label",
            "mine",
            "--group",
            "municipality",
            "--folds",
            "1",
        ],
    );
    assert!(e.contains("at least 2 folds"), "{e}");
}

#[test]
fn nan_and_infinite_features_are_missing_and_counted() {
    let csv = cells_csv(400, 8, 5);
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    for (k, l) in lines.iter_mut().enumerate().skip(1).take(7) {
        // dist_event_m is the 4th column.
        let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
        f[3] = if k % 2 == 0 { "NaN".into() } else { "inf".into() };
        *l = f.join(",");
    }
    let s = Scratch::new();
    let p = s.file("nan.csv", &(lines.join("\n") + "\n"));
    let (code, out, err) = s.run(&evaluate_args(p.to_str().unwrap(), "lr", "1"));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("'dist_event_m': 7 NaN/infinite value(s) treated as missing"),
        "{err}"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["non_finite_values"]["dist_event_m"], 7);
}

#[test]
fn train_then_score_round_trip() {
    let s = Scratch::new();
    let train_csv = s.file("train.csv", &cells_csv(800, 10, 6));
    let model = s.dir.path().join("model.json");
    for kind in ["lr", "gbt"] {
        let (code, _, err) = s.run(&[
            "risk",
            "train",
            "--cells",
            train_csv.to_str().unwrap(),
            "--label",
            "mine",
            "--group",
            "municipality",
            "--exclude",
            "cell_id",
            "--model",
            kind,
            "--out",
            model.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let m: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        assert_eq!(m["format"], "demine-risk-model");
        assert_eq!(m["model"]["kind"], kind);

        // New cells without labels, columns in another order.
        let new = s.file(
            "new.csv",
            "id,noise,slope_deg,dist_event_m\na,0.5,20,100\nb,0.5,20,4900\nc,0.1,,2500\n",
        );
        let scored = s.dir.path().join("scored.csv");
        let (code, _, err) = s.run(&[
            "risk",
            "score",
            "--cells",
            new.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--out",
            scored.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let text = std::fs::read_to_string(&scored).unwrap();
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
        assert_eq!(rows[0], ["id", "noise", "slope_deg", "dist_event_m", "risk"]);
        assert_eq!(rows.len(), 4);
        let risk: Vec<f64> = rows[1..].iter().map(|r| r[4].parse().unwrap()).collect();
        assert!(risk.iter().all(|p| (0.0..=1.0).contains(p)), "{risk:?}");
        assert!(risk[0] > risk[1], "near an event is riskier: {risk:?}");
    }

    // Missing features are named; a feature that is present but not numeric says so.
    let lacking = s.file("lacking.csv", "id,noise,slope_deg\na,0.5,20\n");
    let out = s.dir.path().join("never.csv");
    let e = refused(
        &s,
        &[
            "risk",
            "score",
            "--cells",
            lacking.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(e.contains("missing: dist_event_m"), "{e}");
    let texty = s.file("texty.csv", "id,noise,slope_deg,dist_event_m\na,0.5,20,far\n");
    let e = refused(
        &s,
        &[
            "risk",
            "score",
            "--cells",
            texty.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        e.contains("dist_event_m (present but not numeric: line 2 holds 'far')"),
        "{e}"
    );
    assert!(!out.exists(), "nothing written on refusal");

    let notmodel = s.file("notmodel.json", "{\"a\": 1}");
    let e = refused(
        &s,
        &[
            "risk",
            "score",
            "--cells",
            lacking.to_str().unwrap(),
            "--model",
            notmodel.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(e.contains("not a demine risk model"), "{e}");
}
