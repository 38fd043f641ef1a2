#!/usr/bin/env python3
"""Compares demine's land release with the shapely + pyproj peer: areas and time.

Usage: compare_release.py DEMINE.json DEMINE_TIMINGS.json[,...] SHAPELY.json
Exits 1 if any total, or any per-hazard figure over 1,000 m², differs by more than 0.01 %.
"""
import json
import sys

REL_TOL = 1e-4


def main():
    demine = json.load(open(sys.argv[1]))
    runs = [json.load(open(p)) for p in sys.argv[2].split(",")]
    peer = json.load(open(sys.argv[3]))
    worst = 0.0
    print(f"{'figure':<16}{'demine m²':>22}{'shapely m²':>22}{'rel. diff':>12}")
    for k in ["hazard_area_m2", "cancelled_m2", "reduced_m2", "cleared_m2", "remaining_m2"]:
        a, b = demine[k], peer[k]
        d = abs(a - b) / max(abs(b), 1.0)
        worst = max(worst, d)
        print(f"{k:<16}{a:>22,.1f}{b:>22,.1f}{d:>12.2e}")
    peer_by_id = {h["id"]: h for h in peer["per_hazard"]}
    n_cmp, worst_h, worst_id = 0, 0.0, None
    for h in demine["per_hazard"]:
        p = peer_by_id[h["id"]]
        for k in ["area_m2", "cancelled_m2", "reduced_m2", "cleared_m2", "remaining_m2"]:
            if max(h[k], p[k]) < 1000.0:
                continue
            n_cmp += 1
            d = abs(h[k] - p[k]) / max(abs(p[k]), 1.0)
            if d > worst_h:
                worst_h, worst_id = d, f"{h['id']}.{k}"
    print(f"per-hazard figures compared (>= 1,000 m²): {n_cmp:,}; worst relative difference {worst_h:.2e} ({worst_id})")
    print(f"hazards: {demine['hazards']:,}; overlap groups: demine {demine['overlap_groups']:,}, shapely {peer['overlap_groups']:,}")
    t_peer = peer["timings_s"]["accounting"]
    for r in runs:
        t = r["accounting_s"]
        print(f"accounting time: demine {t:.2f} s ({r['threads']} thread(s)) vs shapely+pyproj {t_peer:.2f} s"
              f" -> demine is {t_peer / t:.1f}x faster")
    ok = worst <= REL_TOL and worst_h <= REL_TOL
    print("AGREE to 0.01 %" if ok else "DISAGREE beyond 0.01 %")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
