"""Hindcasts of a programme's monthly released area: `demine forecast --history --fit-until`
against statsmodels' ETS (the standard exponential-smoothing peer), on the same SYNTHETIC
histories in one run.

The peer is `statsmodels.tsa.exponential_smoothing.ets.ETSModel` M,Ad,M: multiplicative error,
additive damped trend, multiplicative 12-month seasonality (released area is positive, winter is
a share of summer and the noise is relative), fitted by maximum likelihood on the programme's
monthly totals up to the fit month. Its P10/P50/P90 of the cumulative area are quantiles of
`simulate(anchor="end", repetitions=SIMS)` paths (normal errors, seeded), each month clipped at 0
(no negative release) and cumulated from the first forecast month, exactly as demine cumulates
`actual_cum_m2` (the sum of the actual monthly totals after --fit-until). A fit whose months are
not all > 0 (M,Ad,M cannot take them) falls back to A,Ad,A; the count is printed.

For each history and cut-off (12, 18, 24 months before the end) it records, for demine, the peer
and the straight line through the last 12 fitted months of the cumulative curve (demine's
`baseline`, recomputed here and checked against demine's figure):
  - the median |P50 − actual| of the cumulative area over the forecast months, m²;
  - P10–P90 coverage: the share of forecast months whose actual cumulative lies in the band;
  - wall time per hindcast (demine: the whole process, CSV read included; the peer: fit,
    simulation and quantiles, with statsmodels already imported).

    python3 bench/history_statsmodels.py BINARY [--seed 20261205] [--per-shape 20] [--runs 1000]
        [--sims 1000] [--out DIR]

Exits 1 if demine fails on a history or its baseline disagrees with the one recomputed here.
"""
import argparse, csv, json, os, platform, subprocess, sys, tempfile, time, warnings

import numpy as np
import statsmodels
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

CUTOFFS = (12, 18, 24)
SHAPES = ("steady", "growth", "decline", "rise-fall", "funding-cut", "volatile")

# ---------------------------------------------------------------------------------------------
# SYNTHETIC histories
# ---------------------------------------------------------------------------------------------


def seasonal_profile(rng):
    """Calendar-month factors, January first: Dec–Feb at 30–60 % of summer, shoulders between,
    sometimes a midsummer heat dip (dogs stop above 30 °C)."""
    w = rng.uniform(0.3, 0.6)
    s = np.ones(12)
    s[[11, 0, 1]] = w * rng.uniform(0.9, 1.1, 3)
    s[[2, 10]] = w + (1 - w) * rng.uniform(0.4, 0.6, 2)
    s[[3, 9]] = w + (1 - w) * rng.uniform(0.75, 0.9, 2)
    if rng.random() < 0.4:
        s[[6, 7]] *= rng.uniform(0.8, 0.95)
    return s


def trend_path(rng, shape, n):
    """Log growth per month of the programme's level (trends that fade)."""
    t = np.arange(n)
    g = np.zeros(n)
    if shape == "steady":
        g += rng.normal(0, 0.003)
    elif shape == "growth":
        g += rng.uniform(0.02, 0.05) * np.exp(-t / rng.uniform(12, 36))
    elif shape == "decline":
        t0 = int(rng.uniform(0.3, 0.6) * n)
        g[t0:] -= rng.uniform(0.015, 0.04) * np.exp(-(t[t0:] - t0) / rng.uniform(18, 48))
    elif shape == "rise-fall":
        g += rng.uniform(0.02, 0.045) * np.exp(-t / rng.uniform(10, 24))
        t0 = int(rng.uniform(0.45, 0.75) * n)
        g[t0:] -= rng.uniform(0.015, 0.035) * np.exp(-(t[t0:] - t0) / rng.uniform(12, 36))
    elif shape in ("funding-cut", "volatile"):
        g += rng.normal(0, 0.008) * np.exp(-t / 36)
    return g


def generate(rng, shape):
    """One SYNTHETIC programme: (first month index, [(month index, organisation, area_m2)])."""
    n = int(rng.integers(48, 121))
    first = int(rng.integers(2008, 2017)) * 12 + int(rng.integers(0, 12))
    level = np.exp(rng.uniform(np.log(0.2e6), np.log(3e6)))  # mature level, m²/month
    season = seasonal_profile(rng)
    sigma = rng.uniform(0.35, 0.5) if shape == "volatile" else rng.uniform(0.2, 0.45)
    walk = rng.uniform(0.01, 0.035)  # slow drift of funding and teams
    log_level = np.cumsum(trend_path(rng, shape, n) + rng.normal(0, walk, n))
    log_level -= log_level[min(18, n - 1)]  # the ramp-up's end at about the drawn level
    log_level = np.clip(log_level, np.log(0.1e6 / level), np.log(3.5e6 / level))  # 0.1–3.5 km²/month
    # Ramp-up of the programme: from 10–30 % to full over 6–18 months.
    ramp_len = rng.uniform(6, 18)
    r0 = rng.uniform(0.1, 0.3)
    ramp = r0 + (1 - r0) * np.minimum(1.0, np.arange(n) / ramp_len)
    # Organisations: shares, later starts (part of the ramp-up), some stop for good.
    k = int(rng.integers(2, 7))
    share = rng.dirichlet(np.full(k, 2.0))
    start = np.zeros(k, int)
    start[1:] = rng.integers(0, max(2, n // 3), k - 1)  # the first works throughout
    stop = np.full(k, n)
    cut_p = 0.5 if shape == "funding-cut" else 0.12
    for o in range(1, k):
        if rng.random() < cut_p:
            stop[o] = int(rng.integers(n // 2, n))
    active_share = np.array([share[(start <= t) & (t < stop)].sum() for t in range(n)])
    # Exceptional months: 3–5× (survey cancels a large area at once) and near-zero (funding stops,
    # access lost).
    boost = np.ones(n)
    p_big = 1 / 15 if shape == "volatile" else 1 / 40
    p_zero = 1 / 25 if shape in ("volatile", "funding-cut") else 1 / 80
    for t in range(12, n):
        u = rng.random()
        if u < p_big:
            boost[t] = rng.uniform(3, 5)
        elif u < p_big + p_zero:
            boost[t] = rng.uniform(0.0, 0.1)
    if shape == "funding-cut":
        # A programme-wide stop of 2–4 months (donor's gap), then back at 60–100 %.
        t0 = int(rng.integers(n // 3, n - 6))
        gap = int(rng.integers(2, 5))
        boost[t0:t0 + gap] = rng.uniform(0.0, 0.08, len(boost[t0:t0 + gap]))
        log_level[t0 + gap:] += np.log(rng.uniform(0.6, 1.0))
    common = rng.lognormal(0, 0.8 * sigma, n)
    rows = []
    names = [f"ORG-{chr(65 + o)}" for o in range(k)]
    for t in range(n):
        active = [o for o in range(k) if start[o] <= t < stop[o]]
        base = level * np.exp(log_level[t]) * ramp[t] * season[(first + t) % 12] * common[t]
        # The extra of an exceptional 3–5× month is in one organisation's row.
        big = active[int(rng.integers(0, len(active)))]
        for o in active:
            area = base * share[o] * rng.lognormal(0, 0.6 * sigma)
            if boost[t] < 1:
                area *= boost[t]
            elif boost[t] > 1 and o == big:
                area += base * active_share[t] * (boost[t] - 1)
            rows.append((first + t, names[o], round(float(area), 1)))
    return first, rows


def month_str(i):
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def totals_of(rows):
    first = min(r[0] for r in rows)
    last = max(r[0] for r in rows)
    y = np.zeros(last - first + 1)
    for m, _, a in rows:
        y[m - first] += a
    return first, y


# ---------------------------------------------------------------------------------------------
# Scoring (as demine's hindcast: quantiles interpolated linearly, the band inclusive)
# ---------------------------------------------------------------------------------------------


def baseline(fit, h):
    """demine's straight line: least squares through the last 12 fitted points of the cumulative
    curve, continued; cumulated from the first forecast month (the line's end minus the actual
    cumulative at the fit month), at least 0."""
    cum = np.cumsum(fit)
    k = min(12, len(cum))
    ys = cum[-k:]
    xs = np.arange(k, dtype=float)
    mx, my = xs.mean(), ys.mean()
    sxx = ((xs - mx) ** 2).sum()
    slope = ((xs - mx) * (ys - my)).sum() / sxx if sxx > 0 else 0.0
    end_fit = my + slope * (k - 1 - mx)
    return np.maximum(end_fit + slope * np.arange(1, h + 1) - cum[-1], 0.0)


def score(actual_cum, p10, p50, p90):
    return dict(
        mdae=float(np.median(np.abs(p50 - actual_cum))),
        coverage=float(np.mean((actual_cum >= p10) & (actual_cum <= p90))),
    )


def peer_hindcast(fit, h, sims, seed):
    """ETS M,Ad,M (A,Ad,A if a fitted month is not > 0): cumulative P10/P50/P90 from simulated
    paths, and the cumulated point forecast."""
    spec = "MAdM" if np.all(fit > 0) else "AAdA"
    kw = dict(trend="add", damped_trend=True, seasonal_periods=12)
    if spec == "MAdM":
        model = ETSModel(fit, error="mul", seasonal="mul", **kw)
    else:
        model = ETSModel(fit, error="add", seasonal="add", **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(disp=False)
        paths = np.asarray(res.simulate(h, anchor="end", repetitions=sims, rng=np.random.default_rng(seed)))
        point = np.asarray(res.forecast(h))
    paths = np.cumsum(np.clip(paths.reshape(h, sims), 0, None), axis=0)
    q = np.quantile(paths, [0.1, 0.5, 0.9], axis=1)  # numpy's default: linear, as demine
    return spec, bool(res.mle_retvals.get("converged", True)), q, np.cumsum(np.clip(point, 0, None)), float(dict(zip(model.param_names, res.params))["damping_trend"])


def demine_hindcast(binary, path, fit_until, runs, seed):
    cmd = [binary, "forecast", "--history", path, "--fit-until", fit_until, "--json",
           "--seed", str(seed), "--runs", str(runs)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if out.returncode != 0:
        return None, dt, (" ".join(cmd), out.returncode, out.stderr.strip())
    return json.loads(out.stdout), dt, None


# ---------------------------------------------------------------------------------------------


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    return (f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}, {platform.system()} {platform.release()};"
            f" load average {load} (timings are wall times: other load on the machine slows both)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--seed", type=int, default=20261205, help="seed of the SYNTHETIC histories")
    ap.add_argument("--per-shape", type=int, default=20, help="histories per shape (6 shapes)")
    ap.add_argument("--runs", type=int, default=1000, help="demine's Monte Carlo runs")
    ap.add_argument("--sims", type=int, default=1000, help="the peer's simulated paths")
    ap.add_argument("--out", default=None, help="directory for the histories and per-hindcast CSV")
    a = ap.parse_args()
    out_dir = a.out or tempfile.mkdtemp(prefix="history-bench-")
    os.makedirs(out_dir, exist_ok=True)

    print(f"machine: {machine()}")
    print(f"demine: {a.binary} ({subprocess.run([a.binary, '--version'], capture_output=True, text=True).stdout.strip()}),"
          f" --runs {a.runs}; peer: statsmodels {statsmodels.__version__} ETSModel M,Ad,M (fallback A,Ad,A),"
          f" {a.sims} simulated paths; numpy {np.__version__}")
    print(f"data: SYNTHETIC, seed {a.seed}, {len(SHAPES)} shapes x {a.per_shape} histories, cut-offs {CUTOFFS}"
          f" months before the end; files in {out_dir}", flush=True)

    records, failures, baseline_worst = [], [], 0.0
    for si, shape in enumerate(SHAPES):
        for rep in range(a.per_shape):
            rng = np.random.default_rng([a.seed, si, rep])
            first, rows = generate(rng, shape)
            path = os.path.join(out_dir, f"SYNTHETIC-{shape}-{rep:02d}.csv")
            with open(path, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["month", "organisation", "area_m2"])
                for m, o, v in rows:
                    w.writerow([month_str(m), o, f"{v:.1f}"])
            first, y = totals_of(rows)
            n = len(y)
            for c in CUTOFFS:
                cut = n - c  # months fitted
                fit, after = y[:cut], y[cut:]
                actual_cum = np.cumsum(after)
                fit_until = month_str(first + cut - 1)
                hseed = int(rng.integers(1, 2**31))
                d, d_time, err = demine_hindcast(a.binary, path, fit_until, a.runs, hseed)
                if err:
                    failures.append(err)
                    continue
                dm = d["months"]
                d_actual = np.array([m["actual_cum_m2"] for m in dm])
                if len(dm) != c or np.max(np.abs(d_actual - actual_cum)) > 1e-6 * max(1.0, actual_cum[-1]):
                    failures.append((path, fit_until, "actual_cum_m2 differs from the sum of the months after --fit-until"))
                line = baseline(fit, c)
                line_mdae = float(np.median(np.abs(line - actual_cum)))
                rel = abs(line_mdae - d["baseline_median_abs_error_m2"]) / max(1.0, line_mdae)
                baseline_worst = max(baseline_worst, rel)
                t0 = time.perf_counter()
                spec, conv, q, point, damp = peer_hindcast(fit, c, a.sims, hseed)
                p_time = time.perf_counter() - t0
                ps = score(actual_cum, *q)
                records.append(dict(
                    shape=shape, rep=rep, months=n, cutoff=c, fit_until=fit_until,
                    actual_m2=float(actual_cum[-1]),
                    demine_mdae=d["median_abs_error_m2"], demine_cov=d["coverage_p10_p90"],
                    demine_trend_damping=d.get("trend_damping"), demine_time=d_time,
                    peer_mdae=ps["mdae"], peer_cov=ps["coverage"], peer_time=p_time,
                    peer_point_mdae=float(np.median(np.abs(point - actual_cum))),
                    peer_spec=spec, peer_converged=conv, peer_damping=damp,
                    line_mdae=line_mdae, demine_line_mdae=d["baseline_median_abs_error_m2"],
                ))
        print(f"  {shape}: done ({len(records)} hindcasts so far)", flush=True)

    with open(os.path.join(out_dir, "hindcasts.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)

    report(records, a)
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"straight line recomputed here vs demine's baseline_median_abs_error_m2: worst relative difference {baseline_worst:.1e}")
    ok = True
    if baseline_worst > 1e-6:
        print("FAIL: the straight-line baseline disagrees with demine's")
        ok = False
    if failures:
        ok = False
        print(f"FAIL: demine failed or disagreed on {len(failures)} hindcasts:")
        for fl in failures:
            print("  ", fl)
    print(f"per-hindcast rows: {os.path.join(out_dir, 'hindcasts.csv')}")
    sys.exit(0 if ok else 1)


def report(records, a):
    R = {k: np.array([r[k] for r in records]) for k in records[0]}
    n = len(records)
    hist = len({(r["shape"], r["rep"]) for r in records})

    def row(name, mdae, rel, cov, beats, t):
        cov_s = f"{100 * np.mean(cov):5.1f} %" if cov is not None else "    –  "
        beat_s = f"{100 * np.mean(beats):5.1f} %" if beats is not None else "    –  "
        t_s = f"{1000 * np.mean(t):7.1f} / {1000 * np.median(t):6.1f}" if t is not None else "        –       "
        print(f"{name:<22} {np.mean(mdae) / 1e6:8.3f} {np.median(mdae) / 1e6:8.3f} {100 * np.mean(rel):7.1f} % "
              f"{100 * np.median(rel):7.1f} % {cov_s:>8} {beat_s:>10}   {t_s}")

    def table(sel, title):
        print(f"\n{title}  ({int(sel.sum())} hindcasts)")
        print(f"{'':<22} {'MdAE km²':>8} {'':>8} {'MdAE/actual':>9} {'':>9} {'P10–P90':>8} {'beats line':>10}   time ms")
        print(f"{'':<22} {'mean':>8} {'median':>8} {'mean':>9} {'median':>9} {'coverage':>8} {'(share)':>10}   mean / median")
        act = R["actual_m2"][sel]
        line = R["line_mdae"][sel]
        row("demine", R["demine_mdae"][sel], R["demine_mdae"][sel] / act, R["demine_cov"][sel],
            R["demine_mdae"][sel] < line, R["demine_time"][sel])
        row("ETS M,Ad,M (statsm.)", R["peer_mdae"][sel], R["peer_mdae"][sel] / act, R["peer_cov"][sel],
            R["peer_mdae"][sel] < line, R["peer_time"][sel])
        row("  ETS point forecast", R["peer_point_mdae"][sel], R["peer_point_mdae"][sel] / act, None,
            R["peer_point_mdae"][sel] < line, None)
        row("straight line", line, line / act, None, None, None)
        d, p = R["demine_mdae"][sel], R["peer_mdae"][sel]
        ratio = d / np.maximum(p, 1e-9)
        print(f"  demine error < ETS error in {100 * np.mean(d < p):.1f} % of hindcasts; "
              f"ratio demine/ETS: of means {d.mean() / p.mean():.3f}, median {np.median(ratio):.3f}, "
              f"geometric mean {np.exp(np.mean(np.log(np.maximum(ratio, 1e-9)))):.3f}")

    print(f"\n===== RESULTS: SYNTHETIC histories: {hist} programmes, {n} hindcasts =====")
    print("MdAE = median over the forecast months of |P50 − actual| of the cumulative area from the first forecast month")
    table(np.ones(n, bool), "ALL")
    for c in CUTOFFS:
        table(R["cutoff"] == c, f"cut-off {c} months before the end")
    fitted = R["months"] - R["cutoff"]
    print("\nby months fitted: mean MdAE/actual (demine | ETS | line), coverage (demine | ETS), demine < ETS, hindcasts")
    for lo, hi in ((24, 36), (36, 60), (60, 109)):
        sel = (fitted >= lo) & (fitted < hi)
        act = R["actual_m2"][sel]
        print(f"  {lo:>3}–{hi - 1:<3} months {100 * np.mean(R['demine_mdae'][sel] / act):6.1f} % | {100 * np.mean(R['peer_mdae'][sel] / act):6.1f} % |"
              f" {100 * np.mean(R['line_mdae'][sel] / act):6.1f} %   cov {100 * np.mean(R['demine_cov'][sel]):5.1f} % |"
              f" {100 * np.mean(R['peer_cov'][sel]):5.1f} %   {100 * np.mean(R['demine_mdae'][sel] < R['peer_mdae'][sel]):5.1f} %   {int(sel.sum())}")
    act = R["actual_m2"]
    print("misses (MdAE > 50 % of the actual cumulative at the last month): "
          + ", ".join(f"{name} {int(np.sum(R[k] > 0.5 * act))}" for name, k in
                      (("demine", "demine_mdae"), ("ETS", "peer_mdae"), ("line", "line_mdae")))
          + f" of {n}")
    print("\nby shape: mean MdAE/actual (demine | ETS | line), coverage (demine | ETS), demine < ETS")
    for s in SHAPES:
        sel = R["shape"] == s
        act = R["actual_m2"][sel]
        print(f"  {s:<12} {100 * np.mean(R['demine_mdae'][sel] / act):6.1f} % | {100 * np.mean(R['peer_mdae'][sel] / act):6.1f} % |"
              f" {100 * np.mean(R['line_mdae'][sel] / act):6.1f} %   cov {100 * np.mean(R['demine_cov'][sel]):5.1f} % |"
              f" {100 * np.mean(R['peer_cov'][sel]):5.1f} %   {100 * np.mean(R['demine_mdae'][sel] < R['peer_mdae'][sel]):5.1f} %")
    dt, pt = R["demine_time"], R["peer_time"]
    print(f"\ncoverage (target 80 %, acceptance >= 70 %): demine {100 * np.mean(R['demine_cov']):.1f} %, "
          f"ETS {100 * np.mean(R['peer_cov']):.1f} %")
    print(f"histories (not hindcasts) where each beats the straight line in at least 2 of the 3 cut-offs: "
          f"demine {share_all(records, 'demine_mdae'):.1f} %, ETS {share_all(records, 'peer_mdae'):.1f} %")
    print(f"RATIO error demine / ETS (of the means): {R['demine_mdae'].mean() / R['peer_mdae'].mean():.3f}")
    print(f"RATIO time  demine / ETS per hindcast: mean {dt.mean() / pt.mean():.2f} ({1000 * dt.mean():.1f} ms / {1000 * pt.mean():.1f} ms),"
          f" median {np.median(dt) / np.median(pt):.2f}; demine's includes the process start and CSV read")
    fb = int(np.sum(R["peer_spec"] != "MAdM"))
    nc = int(np.sum(~R["peer_converged"].astype(bool)))
    print(f"ETS: {fb} fits fell back to A,Ad,A (a fitted month not > 0), {nc} did not report convergence; "
          f"median damping {np.median(R['peer_damping']):.2f}; demine chose a trend in "
          f"{100 * np.mean(np.array([r['demine_trend_damping'] or 0 for r in records]) > 0):.0f} % of hindcasts")


def share_all(records, key):
    by = {}
    for r in records:
        by.setdefault((r["shape"], r["rep"]), []).append(r[key] < r["line_mdae"])
    return 100 * np.mean([sum(v) >= 2 for v in by.values()])


if __name__ == "__main__":
    main()
