"""Planning bench peer: instance generator (SYNTHETIC), a WSPT/greedy list schedule, OR-Tools
CP-SAT, and one evaluator that prices every schedule the same way (continuous days, travel =
great-circle x road factor / (speed x hours per day) from the team base, then site to site).

  python3 plan_ortools.py gen DIR N_TASKS N_TEAMS SEED
  python3 plan_ortools.py compare DIR DEMINE_JSON CPSAT_SECONDS
"""
import csv, json, math, random, sys, time

ROAD, SPEED, HOURS = 1.4, 40.0, 8.0
KINDS = ["manual", "mdd", "mechanical"]


def gen(d, n_tasks, n_teams, seed):
    rng = random.Random(seed)
    with open(f"{d}/tasks.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "area_m2", "value", "lon", "lat", "methods"])
        for i in range(n_tasks):
            area = min(rng.lognormvariate(math.log(15000), 0.8), 300000)
            methods = rng.choices(["", "manual|mdd", "manual"], [0.7, 0.2, 0.1])[0]
            w.writerow([f"t{i}", f"{area:.1f}", f"{rng.uniform(1, 10):.3f}",
                        f"{rng.uniform(35.0, 37.0):.5f}", f"{rng.uniform(49.5, 50.5):.5f}", methods])
    with open(f"{d}/teams.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "kind", "productivity_m2_per_day", "base_lon", "base_lat"])
        for k in range(n_teams):
            kind = rng.choices(KINDS, [0.6, 0.25, 0.15])[0]
            prod = {"manual": rng.uniform(300, 600), "mdd": rng.uniform(800, 1500),
                    "mechanical": rng.uniform(3000, 6000)}[kind]
            w.writerow([f"k{k}", kind, f"{prod:.1f}", f"{rng.uniform(35.0, 37.0):.5f}",
                        f"{rng.uniform(49.5, 50.5):.5f}"])


def load(d):
    tasks = list(csv.DictReader(open(f"{d}/tasks.csv")))
    teams = list(csv.DictReader(open(f"{d}/teams.csv")))
    for t in tasks:
        t["area_m2"] = float(t["area_m2"]); t["value"] = float(t["value"])
        t["site"] = (float(t["lon"]), float(t["lat"]))
        t["ok"] = set(t["methods"].split("|")) if t["methods"] else set(KINDS)
    for k in teams:
        k["prod"] = float(k["productivity_m2_per_day"]); k["base"] = (float(k["base_lon"]), float(k["base_lat"]))
    return tasks, teams


def travel(a, b):
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h))) * ROAD / (SPEED * HOURS)


def evaluate(tasks, teams, seqs):
    """seqs: team index -> list of task indices in order. Returns sum value x end."""
    total, done = 0.0, 0
    for k, seq in seqs.items():
        t, pos = 0.0, teams[k]["base"]
        for j in seq:
            assert teams[k]["kind"] in tasks[j]["ok"], "ineligible"
            t += travel(pos, tasks[j]["site"]); pos = tasks[j]["site"]
            t += tasks[j]["area_m2"] / teams[k]["prod"]
            total += tasks[j]["value"] * t; done += 1
    assert done == len(tasks), f"{done} of {len(tasks)} tasks scheduled"
    return total


def wspt_list(tasks, teams):
    """Classic list schedule: WSPT order, each task to the eligible team free first."""
    mean = {j: sum(k["prod"] for k in teams if k["kind"] in t["ok"]) / max(1, sum(1 for k in teams if k["kind"] in t["ok"]))
            for j, t in enumerate(tasks)}
    order = sorted(range(len(tasks)), key=lambda j: -tasks[j]["value"] / (tasks[j]["area_m2"] / mean[j]))
    free = [0.0] * len(teams); pos = [k["base"] for k in teams]; seqs = {k: [] for k in range(len(teams))}
    for j in order:
        k = min((k for k in range(len(teams)) if teams[k]["kind"] in tasks[j]["ok"]), key=lambda k: (free[k], k))
        free[k] += travel(pos[k], tasks[j]["site"]) + tasks[j]["area_m2"] / teams[k]["prod"]; pos[k] = tasks[j]["site"]
        seqs[k].append(j)
    return seqs


def cpsat(tasks, teams, seconds, hint):
    """CP-SAT: optional intervals per eligible (task, team), no-overlap per team, minimise
    sum value x end. Travel is sequence-dependent; a circuit per team over 1,000 sites is too
    large, so each interval carries the trip from the team's base (an upper bound on the trip
    from the previous site nearby); the schedule found is then priced exactly by `evaluate`."""
    from ortools.sat.python import cp_model
    S = 100  # time unit: 1/100 day
    m = cp_model.CpModel()
    dur = {}
    for j, t in enumerate(tasks):
        for k, team in enumerate(teams):
            if team["kind"] in t["ok"]:
                dur[j, k] = int(math.ceil(S * (t["area_m2"] / team["prod"] + travel(team["base"], t["site"]))))
    horizon = sum(max(d for (jj, _), d in dur.items() if jj == j) for j in range(len(tasks)))
    horizon = int(horizon / max(1, len(teams)) * 4) + 100 * S
    ends, pres, starts, per_team = [], {}, {}, {k: [] for k in range(len(teams))}
    hint_team = {j: k for k, seq in hint.items() for j in seq}
    for j in range(len(tasks)):
        e = m.NewIntVar(0, horizon, f"e{j}")
        lits = []
        for k in range(len(teams)):
            if (j, k) not in dur:
                continue
            p = m.NewBoolVar(f"p{j}_{k}"); s = m.NewIntVar(0, horizon, f"s{j}_{k}")
            iv = m.NewOptionalIntervalVar(s, dur[j, k], s + dur[j, k], p, f"i{j}_{k}")
            m.Add(e == s + dur[j, k]).OnlyEnforceIf(p)
            per_team[k].append(iv); lits.append(p); pres[j, k] = p; starts[j, k] = s
            m.AddHint(p, hint_team.get(j) == k)
        m.AddExactlyOne(lits)
        ends.append(e)
    for k, ivs in per_team.items():
        m.AddNoOverlap(ivs)
    # Hint: the list schedule's start times under the model's durations.
    for k, seq in hint.items():
        t = 0
        for j in seq:
            m.AddHint(starts[j, k], t); t += dur[j, k]
    m.Minimize(sum(int(round(100 * t["value"])) * ends[j] for j, t in enumerate(tasks)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 1
    status = solver.Solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, solver.StatusName(status)
    seqs = {k: [] for k in range(len(teams))}
    for (j, k), p in pres.items():
        if solver.Value(p):
            seqs[k].append((solver.Value(starts[j, k]), j))
    return {k: [j for _, j in sorted(v)] for k, v in seqs.items()}, solver.StatusName(status)


def compare(d, demine_json, seconds):
    tasks, teams = load(d)
    tid = {t["id"]: j for j, t in enumerate(tasks)}; kid = {k["id"]: i for i, k in enumerate(teams)}
    plan = json.load(open(demine_json))
    seqs = {k: [] for k in range(len(teams))}
    for a in plan["assignments"]:
        seqs[kid[a["team"]]].append((a["start"], tid[a["task"]]))
    seqs = {k: [j for _, j in sorted(v)] for k, v in seqs.items()}
    ours = evaluate(tasks, teams, seqs)
    t0 = time.time(); greedy_seqs = wspt_list(tasks, teams); greedy = evaluate(tasks, teams, greedy_seqs); tg = time.time() - t0
    t0 = time.time(); cp_seqs, status = cpsat(tasks, teams, seconds, greedy_seqs); tc = time.time() - t0
    cp = evaluate(tasks, teams, cp_seqs) if cp_seqs else float("nan")
    print(f"SYNTHETIC instance: {len(tasks)} tasks x {len(teams)} teams, with travel")
    print(f"demine plan        objective {ours:.6e} value*days  (demine's own figure {plan['objective']:.6e}), {plan['time_s']:.1f} s")
    print(f"WSPT greedy list   objective {greedy:.6e} value*days, {tg:.2f} s")
    print(f"OR-Tools CP-SAT    objective {cp:.6e} value*days, {tc:.1f} s ({status})")
    print(f"ratios: demine / greedy = {ours / greedy:.4f} ({(1 - ours / greedy) * 100:.1f} % better); "
          f"demine / CP-SAT = {ours / cp:.4f}")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        compare(sys.argv[2], sys.argv[3], float(sys.argv[4]))
