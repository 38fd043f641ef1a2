"""Cross-check `demine qa plan` against scipy.stats.hypergeom (an independent exact computation).

For many (N, LQ, beta, c) it runs demine, then checks with scipy:
  - every OC point: |P_accept(demine) - hypergeom.cdf(c, N, D, n)| (max reported; must be <= 1e-9);
  - n is minimal: cdf at n <= beta and cdf at n - 1 > beta;
  - D = ceil(LQ * N);
  - the budget (reverse) answer: the smallest D with cdf <= beta for the given n.
Prints the worst absolute difference and exits 1 if any check fails.
"""
import json, math, random, subprocess, sys
from fractions import Fraction
from scipy.stats import hypergeom

binary = sys.argv[1]
cases = int(sys.argv[2]) if len(sys.argv) > 2 else 300
rng = random.Random(20251125)


def run(args):
    out = subprocess.run([binary, "qa", "plan", *args, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"demine {' '.join(args)} failed: {out.stderr}")
    return json.loads(out.stdout)


def cdf(c, N, D, n):
    # scipy's names: M = population, n = successes, N = draws.
    return float(hypergeom.cdf(c, N, D, n))


def exact_cdf(c, N, D, n):
    """P(X <= c) in exact integer arithmetic (math.comb), rounded once to float."""
    num = sum(math.comb(D, k) * math.comb(N - D, n - k) for k in range(0, min(c, n, D) + 1))
    return float(Fraction(num, math.comb(N, n)))


worst, points, failures = 0.0, 0, []
worst_exact, exact_points, worst_scipy_exact = 0.0, 0, 0.0
lots = [10, 25, 50, 100, 250, 500, 1000, 2500, 10_000, 100_000, 1_000_000]
for i in range(cases):
    N = rng.choice(lots)
    lq = rng.choice([0.01, 0.02, 0.05, 0.1, 0.2, 0.3]) if i % 3 else round(rng.uniform(0.005, 0.4), 4)
    beta = rng.choice([0.01, 0.05, 0.1, 0.2])
    D = max(1, math.ceil(lq * N - 1e-9 * max(lq * N, 1)))
    c = rng.choice([0, 0, 0, 1, 2, 5])
    if c >= D:
        c = 0
    if c >= D:
        continue
    v = run(["--lot-units", str(N), "--lq", str(lq), "--beta", str(beta), "--c", str(c)])
    n = v["n"]
    if v["defective_units"] != D:
        failures.append(f"N={N} lq={lq}: D {v['defective_units']} != {D}")
    # Exact ties (Pa == beta, e.g. 1/10) count as meeting beta; 1e-12 absorbs the last bit.
    if not (cdf(c, N, D, n) <= beta + 1e-12 and (n - 1 <= c or cdf(c, N, D, n - 1) > beta + 1e-12)):
        failures.append(f"N={N} lq={lq} beta={beta} c={c}: n={n} is not the smallest sample")
    for o in v["oc"]:
        d = abs(o["p_accept"] - cdf(c, N, o["defective_units"], n))
        points += 1
        if d > worst:
            worst = d
        if d > 1e-9:
            failures.append(f"N={N} n={n} c={c} D={o['defective_units']}: |diff| {d:.3e}")
        if N <= 100_000 and o["defective_units"] % 3 == 0:
            ex = exact_cdf(c, N, o["defective_units"], n)
            worst_exact = max(worst_exact, abs(o["p_accept"] - ex))
            worst_scipy_exact = max(worst_scipy_exact, abs(cdf(c, N, o["defective_units"], n) - ex))
            exact_points += 1
    if i % 4 == 0 and n < N:
        budget = max(c + 1, min(N, n + rng.randint(-n // 2, n)))
        b = run(["--lot-units", str(N), "--beta", str(beta), "--c", str(c), "--budget", str(budget)])
        Db = b["defective_units"]
        if not (cdf(c, N, Db, budget) <= beta + 1e-12 and (Db - 1 <= c or cdf(c, N, Db - 1, budget) > beta + 1e-12)):
            failures.append(f"budget N={N} n={budget} c={c}: D={Db} is not the smallest rejected")
        for o in b["oc"]:
            d = abs(o["p_accept"] - cdf(c, N, o["defective_units"], budget))
            points += 1
            worst = max(worst, d)
            if d > 1e-9:
                failures.append(f"budget N={N} n={budget} D={o['defective_units']}: |diff| {d:.3e}")

print(f"{cases} plans, {points} OC points compared with scipy.stats.hypergeom: max |diff| = {worst:.3e}")
print(f"{exact_points} OC points (N <= 100,000) against exact integer arithmetic: max |demine - exact| = {worst_exact:.3e}, max |scipy - exact| = {worst_scipy_exact:.3e}")
if worst_exact > 1e-12:
    failures.append(f"demine differs from exact integer arithmetic by {worst_exact:.3e}")
if failures:
    print(f"{len(failures)} FAILURES:")
    for f in failures[:20]:
        print("  " + f)
    sys.exit(1)
print("all n, c, D and OC values agree (<= 1e-9), and every n is the smallest meeting beta")
