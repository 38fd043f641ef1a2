#!/usr/bin/env python3
"""The Python peer of `demine risk build`: the same risk map made with h3-py v4 + numpy +
scikit-learn + shapely + pyproj, from the registry exported by `demine export` (GeoJSON).

Steps, as demine does them (crates/demine-risk/src/cells.rs, crates/demine/src/risk_build.rs):
  1. H3 cover of the hazards at resolution R (cells whose centre lies in a hazard:
     h3.geo_to_cells, which is polygon_to_cells with centroid containment);
  2. shares of each cell inside suspected land, inside CHAs and inside released land (cancelled,
     reduced or cleared by an activity, within a hazard), from which of its 7 children (R + 1)
     have their centre inside;
  3. distance from each cell centre to the nearest road, settlement and line of contact
     (shapely STRtree nearest, in a metric projection from pyproj), and each numeric attribute
     of that nearest feature (the settlements' population);
  4. Gaussian kernel density (bandwidth 1 km) of finds and of accidents around each cell, its own
     items left out: points binned by (own cell, cell two resolutions finer) at their bins'
     centroids, as demine does (scikit-learn KDTree.kernel_density with the bins' counts as
     weights, minus each bin's own-cell term);
  5. labels: positive where a find or accident lies in the cell, negative where at least half of
     it was released and nothing was found; groups: the H3 parent two resolutions up;
  6. grouped 5-fold cross-validation (GroupKFold) of HistGradientBoostingClassifier on at most
     200,000 labelled cells (whole groups drawn by seed), then a model on at most 250,000
     labelled cells (whole groups, the same order) and scores for every cell;
  7. per hazard: mean risk of its cells and P(any item) = 1 - prod(1 - p);
  8. the hexagons (h3.cell_to_boundary, shapely → WKB) with risk, label and items written to an
     SQLite table, as GeoPackage blobs.

Usage: risk_build_h3py.py EXPORT_DIR OUT.json [--res 9] [--seed 1]
"""
import argparse
import json
import os
import sqlite3
import struct
import time

import h3
import h3.api.numpy_int as h3n
import numpy as np
import pyproj
import shapely
from shapely.geometry import shape
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.neighbors import KDTree

H3_RES_OFFSET = 52


def parent(cells, child_res, res):
    """H3 parent by bit arithmetic (vectorised): resolution field to `res`, finer digits to 7."""
    out = (cells & ~np.uint64(0xF << H3_RES_OFFSET)) | np.uint64(res << H3_RES_OFFSET)
    for r in range(res + 1, child_res + 1):
        out |= np.uint64(7 << ((15 - r) * 3))
    return out


def number(v):
    """A finite number from a JSON value (numbers, or strings that parse), else NaN."""
    if isinstance(v, bool) or v is None:
        return np.nan
    try:
        x = float(v)
    except (TypeError, ValueError):
        return np.nan
    return x if np.isfinite(x) else np.nan


def load(path):
    with open(path) as f:
        return json.load(f)["features"]


def cover(shapes, res):
    """Cells of each shape (list of uint64 arrays)."""
    return [h3n.geo_to_cells(s, res) for s in shapes]


def positions(grid, cells):
    pos = np.searchsorted(grid, cells)
    pos = np.minimum(pos, len(grid) - 1)
    ok = grid[pos] == cells
    return pos, ok


def share_inside(grid, res, children):
    """Share of each grid cell whose children (unique, res + 1) are given."""
    if len(children) == 0:
        return np.zeros(len(grid))
    pos, ok = positions(grid, parent(children, res + 1, res))
    return np.minimum(np.bincount(pos[ok], minlength=len(grid)) / 7.0, 1.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("export_dir")
    ap.add_argument("out")
    ap.add_argument("--res", type=int, default=9)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bandwidth-m", type=float, default=1000.0)
    ap.add_argument("--cv-max-rows", type=int, default=200_000)
    ap.add_argument("--train-max-rows", type=int, default=250_000)
    ap.add_argument("--db", default=None, help="SQLite file to write the hexagons to")
    a = ap.parse_args()
    t = {}
    t0 = time.perf_counter()
    d = a.export_dir
    hazards = load(os.path.join(d, "hazards.geojson"))
    activities = load(os.path.join(d, "activities.geojson"))
    finds = load(os.path.join(d, "finds.geojson"))
    accidents = load(os.path.join(d, "accidents.geojson"))
    layers = {}
    for name in ("line_of_contact", "roads", "settlements"):
        p = os.path.join(d, f"{name}.geojson")
        if os.path.exists(p):
            layers[name] = load(p)
    hazard_shapes = [shape(f["geometry"]) for f in hazards]
    released_shapes = [shape(f["geometry"]) for f in activities
                       if f["properties"].get("outcome") in ("cancelled", "reduced", "cleared")]
    t["load_s"] = time.perf_counter() - t0

    # 1. Grid.
    t1 = time.perf_counter()
    res = a.res
    per_hazard = cover(hazard_shapes, res)
    grid = np.unique(np.concatenate(per_hazard))
    n = len(grid)
    t["grid_s"] = time.perf_counter() - t1

    # 2. Shares from children one resolution finer.
    t2 = time.perf_counter()
    hz_children = np.unique(np.concatenate(cover(hazard_shapes, res + 1)))
    cha = [s for s, f in zip(hazard_shapes, hazards) if f["properties"].get("class") == "CHA"]
    cha_children = np.unique(np.concatenate(cover(cha, res + 1))) if cha else np.zeros(0, np.uint64)
    rel = cover(released_shapes, res + 1)
    rel_children = np.unique(np.concatenate(rel)) if rel else np.zeros(0, np.uint64)
    rel_children = np.intersect1d(rel_children, hz_children, assume_unique=True)
    share_suspected = share_inside(grid, res, hz_children)
    share_cha = share_inside(grid, res, cha_children)
    share_released = share_inside(grid, res, rel_children)

    # 3. Distances (metric projection centred on the data).
    lat_lng = np.array([h3n.cell_to_latlng(c) for c in grid])
    lat0, lon0 = float(np.mean(lat_lng[:, 0])), float(np.mean(lat_lng[:, 1]))
    to_m = pyproj.Transformer.from_crs("EPSG:4326", f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84",
                                       always_xy=True)
    cx, cy = to_m.transform(lat_lng[:, 1], lat_lng[:, 0])
    centres = shapely.points(cx, cy)
    features = {"share_suspected": share_suspected, "share_cha": share_cha}
    for name, feats in sorted(layers.items()):
        geoms = shapely.transform(np.array([shape(f["geometry"]) for f in feats]),
                                  lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1])))
        tree = shapely.STRtree(geoms)
        idx, dist = tree.query_nearest(centres, return_distance=True, all_matches=False)
        out = np.full(n, np.nan)
        out[idx[0]] = dist
        features[f"dist_{name}_m"] = out
        # Numeric attributes (a number in at least 90 % of the features) of the nearest feature.
        for key in sorted({k for f in feats for k in f["properties"]} - {"synthetic"}):
            vals = np.array([number(f["properties"].get(key)) for f in feats])
            if np.count_nonzero(~np.isnan(vals)) >= 0.9 * len(feats):
                att = np.full(n, np.nan)
                att[idx[0]] = vals[idx[1]]
                features[f"{name}_{key}_nearest"] = att

    # 4. Kernel densities around each cell (own cell's items left out).
    cell_xy = np.column_stack([cx, cy])
    bw = a.bandwidth_m
    norm = 1e6 / (2 * np.pi * bw * bw)
    items = np.zeros(n, dtype=np.int64)
    for label, pts in (("finds", finds), ("accidents", accidents)):
        ll = np.array([f["geometry"]["coordinates"] for f in pts]).reshape(-1, 2)
        own_cells = np.array([h3n.latlng_to_cell(lat, lng, res) for lng, lat in ll], dtype=np.uint64)
        pos, ok = positions(grid, own_cells)
        items += np.bincount(pos[ok], minlength=n)
        # As demine does: points binned by (their cell, the cell two resolutions finer), each bin
        # weighing its count at the mean position of its points.
        fine = np.array([h3n.latlng_to_cell(lat, lng, res + 2) for lng, lat in ll], dtype=np.uint64)
        keys, inv, w = np.unique(np.column_stack([own_cells, fine]), axis=0, return_inverse=True,
                                 return_counts=True)
        inv = inv.reshape(-1)
        px, py = to_m.transform(np.bincount(inv, weights=ll[:, 0]) / w, np.bincount(inv, weights=ll[:, 1]) / w)
        tree = KDTree(np.column_stack([px, py]), sample_weight=w.astype(float))
        # Tolerance as demine's: it cuts each kernel at 4 bandwidths, an error of at most one
        # point's density there, exp(-8) / (2 pi bw^2), per point left out. With a relative
        # tolerance only, KDTree must visit every far point of a cell whose density is ~0 (most
        # cells), which took > 20 min on a million finds.
        dens = tree.kernel_density(cell_xy, h=bw, kernel="gaussian", rtol=1e-4,
                                   atol=np.exp(-8.0) / (2 * np.pi * bw * bw)) * 1e6
        pos, ok = positions(grid, keys[:, 0])
        dd = np.hypot(px - cx[pos], py - cy[pos])
        own = np.zeros(n)
        np.add.at(own, pos[ok], w[ok] * norm * np.exp(-0.5 * (dd[ok] / bw) ** 2))
        features[f"{label}_nearby_per_km2"] = np.maximum(dens - own, 0.0)
    x = np.column_stack(list(features.values()))
    t["features_s"] = time.perf_counter() - t2

    # 5. Labels and groups.
    t3 = time.perf_counter()
    y = np.where(items > 0, 1, np.where(share_released >= 0.5, 0, -1))
    groups = parent(grid, res, max(res - 2, 0))
    labelled = np.flatnonzero(y >= 0)

    # 6. Grouped cross-validation on a sample of whole groups, then the model on all labels.
    rng = np.random.default_rng(a.seed)
    lg = groups[labelled]
    uniq = np.unique(lg)
    order = rng.permutation(len(uniq))
    sizes = np.bincount(np.searchsorted(uniq, lg), minlength=len(uniq))
    take = order[: int(np.searchsorted(np.cumsum(sizes[order]), a.cv_max_rows)) + 1]
    sample = labelled[np.isin(lg, uniq[take])]
    xs, ys, gs = x[sample], y[sample], groups[sample]
    aucs, prs, briers = [], [], []
    for tr, te in GroupKFold(n_splits=5).split(xs, ys, gs):
        m = HistGradientBoostingClassifier(random_state=a.seed).fit(xs[tr], ys[tr])
        p = m.predict_proba(xs[te])[:, 1]
        if 0 < ys[te].sum() < len(te):
            aucs.append(roc_auc_score(ys[te], p))
            prs.append(average_precision_score(ys[te], p))
        briers.append(brier_score_loss(ys[te], p))
    t["cv_s"] = time.perf_counter() - t3
    t4 = time.perf_counter()
    # The model on at most --train-max-rows labelled cells, whole groups in the same seeded order.
    take = order[: int(np.searchsorted(np.cumsum(sizes[order]), a.train_max_rows)) + 1]
    train = labelled[np.isin(lg, uniq[take])]
    model = HistGradientBoostingClassifier(random_state=a.seed).fit(x[train], y[train])
    risk = model.predict_proba(x)[:, 1]
    t["model_and_scoring_s"] = time.perf_counter() - t4

    # 7. Per hazard.
    t5 = time.perf_counter()
    hid = np.repeat(np.arange(len(per_hazard)), [len(c) for c in per_hazard])
    pos, ok = positions(grid, np.concatenate(per_hazard))
    p = risk[pos[ok]]
    cnt = np.bincount(hid[ok], minlength=len(per_hazard))
    share = np.bincount(hid[ok], weights=p, minlength=len(per_hazard)) / np.maximum(cnt, 1)
    p_any = 1 - np.exp(np.bincount(hid[ok], weights=np.log1p(-np.minimum(p, 1 - 1e-12)),
                                   minlength=len(per_hazard)))
    t["hazards_s"] = time.perf_counter() - t5

    # 8. Save the hexagons.
    t6 = time.perf_counter()
    if a.db:
        # Rings of 6 vertices, or more where a cell crosses an icosahedron edge (ragged).
        rings = [h3n.cell_to_boundary(c) for c in grid]
        sizes = np.array([len(r) + 1 for r in rings])
        coords = np.ascontiguousarray(np.array([ll for r in rings for ll in (*r, r[0])])[:, ::-1])
        ring_offsets = np.concatenate([[0], np.cumsum(sizes)])
        polys = shapely.from_ragged_array(shapely.GeometryType.POLYGON, coords,
                                          (ring_offsets, np.arange(len(rings) + 1)))
        wkb = shapely.to_wkb(polys, byte_order=1)
        bounds = shapely.bounds(polys)
        header = struct.Struct("<2sBBi4d")
        if os.path.exists(a.db):
            os.remove(a.db)
        con = sqlite3.connect(a.db)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE risk_cells (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB NOT NULL, "
                    "cell TEXT NOT NULL UNIQUE, resolution INTEGER NOT NULL, risk DOUBLE NOT NULL, "
                    "label INTEGER, items INTEGER NOT NULL)")
        rows = ((header.pack(b"GP", 0, 3, 4326, b[0], b[2], b[1], b[3]) + w, h3.int_to_str(int(c)), res,
                 float(r), None if l < 0 else int(l), int(k))
                for c, w, b, r, l, k in zip(grid, wkb, bounds, risk, y, items))
        con.executemany("INSERT INTO risk_cells (geom, cell, resolution, risk, label, items) "
                        "VALUES (?, ?, ?, ?, ?, ?)", rows)
        con.commit()
        con.close()
    t["save_s"] = time.perf_counter() - t6
    t["total_s"] = time.perf_counter() - t0
    out = {
        "cells": int(n),
        "labelled": {"positive": int((y == 1).sum()), "negative": int((y == 0).sum())},
        "features": list(features),
        "cv": {"rows": int(len(sample)), "auc_mean": float(np.mean(aucs)) if aucs else None,
               "pr_auc_mean": float(np.mean(prs)) if prs else None,
               "brier_mean": float(np.mean(briers)) if briers else None},
        "hazard_mean_p_any": float(np.mean(p_any)),
        "hazard_mean_share": float(np.mean(share)),
        "timings": t,
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
