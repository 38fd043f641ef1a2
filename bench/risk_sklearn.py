#!/usr/bin/env python3
"""Risk model bench: demine's tabular risk models against scikit-learn on the same folds.

Two sub-commands:

  risk_sklearn.py generate OUT.csv [--rows N] [--seed S]
      Writes SYNTHETIC labelled cells shaped like published landmine-risk data sets (e.g. the
      Colombia RELand cells): one row per cell with distances to roads, rivers, settlements and
      armed-conflict events, elevation, slope, land-cover shares, population density, counts of
      past events, a municipality-level index, a text column (department) and missing values;
      2-10 % positives among labelled cells; municipality-like spatial clusters as groups. The
      truth is a non-linear function of the features plus a spatially correlated effect, so
      spatial cross-validation is harder than a random split, as on real data.

  risk_sklearn.py compare CELLS.csv FOLDS.csv LR.json GBT.json TIMES.json [--seed S]
      Reads the fold of each row written by `demine risk evaluate --folds-out` (the same folds
      for every model), fits scikit-learn's LogisticRegression (SimpleImputer(median) +
      StandardScaler) and HistGradientBoostingClassifier on each fold, and prints mean ROC-AUC,
      PR-AUC, Brier and recall@20% next to demine's figures (from LR.json, GBT.json), with
      differences and times.
"""
import argparse
import json
import math
import sys
import time

import numpy as np


def generate(out, rows, seed):
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    # A 400 x 300 km region (km coordinates) with ~200 municipalities (Voronoi cells of random seats).
    W, H = 400.0, 300.0
    n_mun = max(20, rows // 300)
    seats = np.c_[rng.uniform(0, W, n_mun), rng.uniform(0, H, n_mun)]
    seat_pop = rng.lognormal(8.5, 1.2, n_mun)
    # Cells: clustered around seats (people live and fight near towns) and scattered elsewhere.
    n_near = int(rows * 0.6)
    near = seats[rng.integers(0, n_mun, n_near)] + rng.normal(0, 8.0, (n_near, 2))
    far = np.c_[rng.uniform(0, W, rows - n_near), rng.uniform(0, H, rows - n_near)]
    xy = np.vstack([near, far])
    xy[:, 0] = np.clip(xy[:, 0], 0, W)
    xy[:, 1] = np.clip(xy[:, 1], 0, H)
    rng.shuffle(xy)
    mun = cKDTree(seats).query(xy)[1]

    def polyline_points(n_lines, steps, wiggle):
        pts = []
        for _ in range(n_lines):
            p = np.array([rng.uniform(0, W), rng.uniform(0, H)])
            ang = rng.uniform(0, 2 * math.pi)
            for _ in range(steps):
                ang += rng.normal(0, wiggle)
                p = p + 1.0 * np.array([math.cos(ang), math.sin(ang)])
                pts.append(p.copy())
        return np.array(pts)

    roads = np.vstack([polyline_points(60, 250, 0.15), seats])  # roads reach every seat
    rivers = polyline_points(15, 400, 0.08)
    # Armed-conflict events: along a few front-like bands and around some seats.
    fronts = polyline_points(4, 300, 0.05)
    ev_front = fronts[rng.integers(0, len(fronts), 6000)] + rng.normal(0, 4.0, (6000, 2))
    hot = seats[rng.choice(n_mun, n_mun // 5, replace=False)]
    ev_hot = hot[rng.integers(0, len(hot), 3000)] + rng.normal(0, 3.0, (3000, 2))
    events = np.vstack([ev_front, ev_hot])

    d_road = cKDTree(roads).query(xy)[0]
    d_river = cKDTree(rivers).query(xy)[0]
    d_settle, near_seat = cKDTree(seats).query(xy)
    ev_tree = cKDTree(events)
    d_event = ev_tree.query(xy)[0]
    events_5km = np.array([len(v) for v in ev_tree.query_ball_point(xy, 5.0)])
    d_front = cKDTree(fronts).query(xy)[0]  # hidden: only seen through events

    # Terrain: smooth random field of elevation, slope from its gradient plus noise.
    k = 12
    cx, cy = rng.uniform(0, W, k), rng.uniform(0, H, k)
    amp, wid = rng.uniform(200, 1500, k), rng.uniform(20, 80, k)
    elev = 100 + sum(amp[i] * np.exp(-((xy[:, 0] - cx[i]) ** 2 + (xy[:, 1] - cy[i]) ** 2) / (2 * wid[i] ** 2))
                     for i in range(k))
    slope = np.clip(elev / 60 + rng.gamma(2.0, 2.0, rows), 0, 60)
    elev = elev + rng.normal(0, 20, rows)
    # Land cover shares (Dirichlet, forest up with elevation, built up near seats).
    alpha = np.c_[1 + elev / 400, 2 + 0 * elev, 1.5 + 0 * elev, 0.2 + 3 * np.exp(-d_settle / 3)]
    lc = np.array([rng.dirichlet(a) for a in alpha])
    pop = seat_pop[near_seat] * np.exp(-d_settle / 4) / 30 + rng.lognormal(0, 1, rows)
    poverty = rng.beta(2, 3, n_mun)[mun]  # municipality-level index

    # Hidden truth: mines near events and fronts, along paths (near roads but not on them), on
    # forested slopes near rivers in conflict zones; fewer in built-up land; plus a spatially
    # correlated municipality effect the features do not explain.
    mun_effect = rng.normal(0, 0.9, n_mun)[mun]
    logit = (
        2.2 * np.exp(-d_event / 3.0)
        + 1.6 * np.exp(-d_front / 10.0)
        + 0.8 * np.log1p(events_5km) / 3
        + 0.9 * np.exp(-((d_road - 1.0) ** 2) / 1.5)
        + 0.8 * lc[:, 0] * (slope > 12) * np.exp(-d_river / 4)
        - 1.5 * lc[:, 3]
        + 0.9 * poverty
        + mun_effect
    )
    labelled = rng.random(rows) < 0.7
    # Intercept for ~5 % positives among labelled cells.
    lo, hi = -20.0, 5.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if (1 / (1 + np.exp(-(logit + mid)))).mean() > 0.05:
            hi = mid
        else:
            lo = mid
    p = 1 / (1 + np.exp(-(logit + lo)))
    y = (rng.random(rows) < p).astype(int)

    def with_missing(v, share, fmt="{:.1f}"):
        m = rng.random(rows) < share
        return ["" if mm else fmt.format(x) for x, mm in zip(v, m)]

    depts = np.array(["Antioquia", "Meta", "Cauca", "Nariño", "Caquetá", "Bolívar", "Tolima", "Huila"])
    cols = {
        "cell_id": [f"c{i:06d}" for i in range(rows)],
        "lon": [f"{-76 + x / 111:.5f}" for x in xy[:, 0]],
        "lat": [f"{2 + y_ / 111:.5f}" for y_ in xy[:, 1]],
        "municipality": [f"MUN-{m:04d}" for m in mun],
        "department": depts[mun % len(depts)],
        "mine_event": [str(v) if l else "" for v, l in zip(y, labelled)],
        "dist_road_m": with_missing(d_road * 1000, 0.0),
        "dist_river_m": with_missing(d_river * 1000, 0.01),
        "dist_settlement_m": with_missing(d_settle * 1000, 0.0),
        "dist_conflict_event_m": with_missing(d_event * 1000, 0.03),
        "conflict_events_5km": with_missing(events_5km, 0.03, "{:.0f}"),
        "elevation_m": with_missing(elev, 0.02),
        "slope_deg": with_missing(slope, 0.02, "{:.2f}"),
        "forest_share": with_missing(lc[:, 0], 0.05, "{:.3f}"),
        "cropland_share": with_missing(lc[:, 1], 0.05, "{:.3f}"),
        "grassland_share": with_missing(lc[:, 2], 0.05, "{:.3f}"),
        "built_share": with_missing(lc[:, 3], 0.05, "{:.3f}"),
        "population_density": with_missing(pop, 0.08, "{:.2f}"),
        "poverty_index": with_missing(poverty, 0.0, "{:.3f}"),
    }
    names = list(cols)
    with open(out, "w") as f:
        f.write(",".join(names) + "\n")
        for i in range(rows):
            f.write(",".join(str(cols[n][i]) for n in names) + "\n")
    lab = labelled.sum()
    print(f"SYNTHETIC cells: {rows:,} rows, {lab:,} labelled, {y[labelled].sum():,} positive "
          f"({100 * y[labelled].mean():.1f} %), {n_mun} municipalities -> {out}")


def metrics(y, p):
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    out = {"brier": brier_score_loss(y, p)}
    if 0 < y.sum() < len(y):
        out["auc"] = roc_auc_score(y, p)
        out["pr_auc"] = average_precision_score(y, p)
        order = np.argsort(-p, kind="stable")
        k = math.ceil(0.2 * len(y))
        out["recall_0.2"] = y[order[:k]].sum() / y.sum()
    return out


def compare(cells, folds_csv, lr_json, gbt_json, times_json, seed):
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    t0 = time.perf_counter()
    df = pd.read_csv(cells)
    folds = pd.read_csv(folds_csv)
    t_read = time.perf_counter() - t0
    demine = {"lr": json.load(open(lr_json)), "gbt": json.load(open(gbt_json))}
    times = json.load(open(times_json))
    feats = demine["gbt"]["features"]
    assert feats == demine["lr"]["features"]
    X = df[feats].to_numpy(dtype=float)
    label_col = demine["gbt"]["label"]
    mask = df[label_col].notna().to_numpy()
    y = df[label_col].to_numpy()
    fold = folds["fold"].to_numpy()
    K = int(np.nanmax(fold))
    peers = {
        "sklearn LR": lambda: make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                                            LogisticRegression(max_iter=1000)),
        "sklearn HGB": lambda: HistGradientBoostingClassifier(random_state=seed),
    }
    results = {}
    for name, make in peers.items():
        t0 = time.perf_counter()
        per = []
        for f in range(1, K + 1):
            tr = mask & (fold != f)
            te = mask & (fold == f)
            m = make().fit(X[tr], y[tr].astype(int))
            p = m.predict_proba(X[te])[:, 1]
            per.append(metrics(y[te].astype(int), p))
        secs = time.perf_counter() - t0
        two = [r for r in per if "auc" in r]
        results[name] = {
            "auc": np.mean([r["auc"] for r in two]),
            "pr_auc": np.mean([r["pr_auc"] for r in two]),
            "brier": np.mean([r["brier"] for r in per]),
            "recall_0.2": np.mean([r["recall_0.2"] for r in two]),
            "seconds": secs + t_read,
        }
    for k, d in demine.items():
        results[f"demine {k}"] = {
            "auc": d["auc_mean"],
            "pr_auc": d["pr_auc_mean"],
            "brier": d["brier_mean"],
            "recall_0.2": d["recall_at"]["0.2"],
            "seconds": times[k],
        }
    d = demine["gbt"]
    print(f"SYNTHETIC data: {d['rows']:,} cells, {d['labelled']:,} labelled, {d['positives']:,} positive, "
          f"{d['groups']} groups; {len(feats)} features; {d['folds']} grouped folds (the same for all models), "
          f"{d['folds_single_class']} single-class fold(s)")
    print(f"{'model':<14}{'ROC-AUC':>9}{'PR-AUC':>9}{'Brier':>9}{'recall@20%':>12}{'time s':>9}")
    for name in ["demine lr", "demine gbt", "sklearn LR", "sklearn HGB"]:
        r = results[name]
        print(f"{name:<14}{r['auc']:>9.4f}{r['pr_auc']:>9.4f}{r['brier']:>9.5f}{r['recall_0.2']:>12.3f}"
              f"{r['seconds']:>9.2f}")
    print("differences (demine − sklearn; ROC-AUC/PR-AUC higher is better, Brier lower is better):")
    for a, b in [("demine lr", "sklearn LR"), ("demine gbt", "sklearn HGB"), ("demine gbt", "sklearn LR")]:
        ra, rb = results[a], results[b]
        print(f"  {a} vs {b}: ROC-AUC {ra['auc'] - rb['auc']:+.4f}, PR-AUC {ra['pr_auc'] - rb['pr_auc']:+.4f}, "
              f"Brier {ra['brier'] - rb['brier']:+.5f}; time {ra['seconds']:.2f} s vs {rb['seconds']:.2f} s "
              f"(demine takes {ra['seconds'] / rb['seconds']:.1f}x the time)")
    best = max(["demine lr", "demine gbt"], key=lambda n: results[n]["auc"])
    beats = all(results[best]["auc"] > results[p]["auc"] for p in peers)
    print(f"best demine model ({best}) {'BEATS' if beats else 'does NOT beat'} both scikit-learn models on "
          f"mean grouped-fold ROC-AUC")
    json.dump({k: {kk: float(vv) for kk, vv in v.items()} for k, v in results.items()},
              open(times_json.replace("times.json", "comparison.json"), "w"), indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("out")
    g.add_argument("--rows", type=int, default=60000)
    g.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("compare")
    for a in ["cells", "folds", "lr", "gbt", "times"]:
        c.add_argument(a)
    c.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.cmd == "generate":
        generate(a.out, a.rows, a.seed)
    else:
        compare(a.cells, a.folds, a.lr, a.gbt, a.times, a.seed)


if __name__ == "__main__":
    sys.exit(main())
