#!/usr/bin/env python3
"""The peer implementation of demine's land-release accounting, in shapely 2 + pyproj.

Same rules as demine-core::release (IMAS 07.11 as demine applies it):
  per hazard: activities sorted by (end_date, id); each releases remaining ∩ its polygon;
  remaining = hazard area − released (0 when no land is left);
  national totals over the union of hazards: hazards that overlap no other count as they are;
  for overlapping ones, the union's area is what each hazard adds to those before it, and land
  is released by the first activity (clipped to its own hazard) that covers it, earliest first.
Areas: pyproj.Geod(ellps="WGS84").geometry_area_perimeter (geographiclib, geodesic).

Usage: land_release_shapely.py HAZARDS.geojson ACTIVITIES.geojson OUT.json
Prints timings to stderr; writes totals and per-hazard figures to OUT.json.
"""
import json
import sys
import time

import numpy as np
import shapely
from pyproj import Geod

GEOD = Geod(ellps="WGS84")


def area(g):
    if g is None or g.is_empty:
        return 0.0
    a, _ = GEOD.geometry_area_perimeter(g)
    return abs(a)


def release(area_geom, acts):
    """acts: list of (end_date, id, outcome, geom) already clipped as needed."""
    figs = {"area_m2": area(area_geom), "cancelled_m2": 0.0, "reduced_m2": 0.0, "cleared_m2": 0.0}
    remaining = area_geom
    for _, _, outcome, geom in sorted(acts, key=lambda a: (a[0], a[1])):
        if remaining.is_empty:
            break
        if not shapely.intersects(remaining, geom):
            continue
        piece = shapely.intersection(remaining, geom)
        a = area(piece)
        if a <= 0:
            continue
        figs[outcome + "_m2"] += a
        remaining = shapely.difference(remaining, geom)
    released = figs["cancelled_m2"] + figs["reduced_m2"] + figs["cleared_m2"]
    figs["remaining_m2"] = 0.0 if remaining.is_empty or area(remaining) <= 0.01 else max(0.0, figs["area_m2"] - released)
    return figs


def first_cover(geoms):
    """area(g_i - union of earlier overlapping g_j) for each i: the same local algorithm as demine."""
    tree = shapely.STRtree(geoms)
    out = []
    for i, g in enumerate(geoms):
        fresh = g
        for j in sorted(int(j) for j in tree.query(g) if j < i):
            if fresh.is_empty:
                break
            if shapely.intersects(fresh, geoms[j]):
                fresh = shapely.difference(fresh, geoms[j])
        out.append(area(fresh))
    return out


def main():
    hz_path, act_path, out_path = sys.argv[1:4]
    t0 = time.perf_counter()
    with open(hz_path) as f:
        hz = json.load(f)["features"]
    with open(act_path) as f:
        acts = json.load(f)["features"]
    hazard_ids = [h["properties"]["id"] for h in hz]
    hazard_geoms = shapely.from_geojson([json.dumps(h["geometry"]) for h in hz])
    act_geoms = shapely.from_geojson([json.dumps(a["geometry"]) for a in acts])
    t_load = time.perf_counter() - t0

    t1 = time.perf_counter()
    index = {hid: i for i, hid in enumerate(hazard_ids)}
    by_hazard = [[] for _ in hz]
    for a, g in zip(acts, act_geoms):
        p = a["properties"]
        i = index.get(p["hazard_id"])
        if i is not None:
            by_hazard[i].append((p["end_date"], p["id"], p["outcome"], g))
    per_hazard = [release(hazard_geoms[i], by_hazard[i]) for i in range(len(hz))]

    # Groups of intersecting hazards (STRtree + union-find), as demine does.
    tree = shapely.STRtree(hazard_geoms)
    left, right = tree.query(hazard_geoms, predicate="intersects")
    parent = np.arange(len(hz))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(left, right):
        if a < b:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups = {}
    for i in range(len(hz)):
        groups.setdefault(find(i), []).append(i)
    totals = {"area_m2": 0.0, "cancelled_m2": 0.0, "reduced_m2": 0.0, "cleared_m2": 0.0, "remaining_m2": 0.0}
    grouped = []
    overlap_groups = 0
    for members in groups.values():
        if len(members) == 1:
            for k in totals:
                totals[k] += per_hazard[members[0]][k]
        else:
            overlap_groups += 1
            grouped.extend(members)
    grouped.sort()
    if grouped:
        totals["area_m2"] += sum(first_cover([hazard_geoms[i] for i in grouped]))
        acts_g = sorted(((d, aid, o, g, i) for i in grouped for (d, aid, o, g) in by_hazard[i]), key=lambda a: (a[0], a[1]))
        clipped = [shapely.intersection(g, hazard_geoms[i]) for (_, _, _, g, i) in acts_g]
        released = 0.0
        for (_, _, o, _, _), a in zip(acts_g, first_cover(clipped)):
            totals[o + "_m2"] += a
            released += a
        group_area = totals["area_m2"] - sum(per_hazard[m[0]]["area_m2"] for m in groups.values() if len(m) == 1)
        totals["remaining_m2"] += max(0.0, group_area - released)
    t_account = time.perf_counter() - t1

    out = {
        "hazards": len(hz),
        "hazard_area_m2": totals["area_m2"],
        "cancelled_m2": totals["cancelled_m2"],
        "reduced_m2": totals["reduced_m2"],
        "cleared_m2": totals["cleared_m2"],
        "remaining_m2": totals["remaining_m2"],
        "overlap_groups": overlap_groups,
        "per_hazard": [dict(id=hid, **f) for hid, f in zip(hazard_ids, per_hazard)],
        "timings_s": {"load": t_load, "accounting": t_account},
    }
    with open(out_path, "w") as f:
        json.dump(out, f)
    print(f"shapely {shapely.__version__}: load {t_load:.2f} s, accounting {t_account:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
