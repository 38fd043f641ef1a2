//! Exact schedules for small single-stage instances by dynamic programming over subsets.
//!
//! Hand-written because the disjunctive MILP (exact.rs, HiGHS) needs tens of seconds to prove
//! optimality on 12 tasks × 3 teams (weak big-M relaxation), while this needs milliseconds.
//! For one team, a state is (the set of jobs done first, when the last ends) with the cost so
//! far; the rest of the schedule depends only on that state and costs more the later it
//! starts, so states beaten on both end time and cost are dropped (Pareto fronts). Teams are
//! then combined by a min-plus convolution over subsets (3ⁿ submask pairs per team).

use crate::instance::{Instance, Sequences};
use crate::model::Problem;

/// Largest job count the DP takes (2ⁿ states per team, 3ⁿ combinations).
pub(crate) const DP_MAX_JOBS: usize = 14;

#[derive(Clone, Copy)]
struct Entry {
    end: f64,
    cost: f64,
    /// Previous subset and index in its front, and the job added (u32::MAX for the root).
    prev: u32,
    prev_idx: u32,
    job: u32,
}

/// Whether the DP applies: single-stage jobs (no chains), few of them.
pub(crate) fn applies(inst: &Instance) -> bool {
    inst.jobs.len() <= DP_MAX_JOBS && inst.task_jobs.iter().all(|s| s.iter().flatten().count() <= 1)
}

/// Optimal team sequences, or `None` if no schedule keeps every team within its dates.
pub(crate) fn solve(p: &Problem, inst: &Instance) -> Option<Sequences> {
    let n = inst.jobs.len();
    let m = p.teams.len();
    let full = (1usize << n) - 1;
    let ready: Vec<f64> = inst.jobs.iter().map(|j| p.tasks[j.task as usize].ready_day).collect();
    let mut fronts_per_team: Vec<Vec<Vec<Entry>>> = Vec::with_capacity(m);
    let mut f: Vec<Vec<f64>> = Vec::with_capacity(m);
    for k in 0..m {
        let team = &p.teams[k];
        let can: Vec<bool> = (0..n)
            .map(|j| {
                inst.eligible[inst.jobs[j].class as usize]
                    .binary_search(&(k as u32))
                    .is_ok()
            })
            .collect();
        let mut fronts: Vec<Vec<Entry>> = vec![Vec::new(); full + 1];
        fronts[0].push(Entry {
            end: team.start_day,
            cost: 0.0,
            prev: u32::MAX,
            prev_idx: u32::MAX,
            job: u32::MAX,
        });
        for s in 0..=full {
            if fronts[s].is_empty() {
                continue;
            }
            // Pareto-prune: sort by end, keep strictly falling costs.
            let mut list = std::mem::take(&mut fronts[s]);
            list.sort_by(|a, b| a.end.total_cmp(&b.end).then(a.cost.total_cmp(&b.cost)));
            let mut kept: Vec<Entry> = Vec::with_capacity(list.len());
            for e in list {
                if kept.last().is_none_or(|l| e.cost < l.cost - 1e-12) {
                    kept.push(e);
                }
            }
            for (idx, e) in kept.iter().enumerate() {
                for j in 0..n {
                    if s & (1 << j) != 0 || !can[j] {
                        continue;
                    }
                    let end = e.end.max(ready[j]) + inst.jobs[j].area_m2 / inst.speed(k, j as u32);
                    if team.end_day.is_some_and(|d| end > d + 1e-9) {
                        continue;
                    }
                    fronts[s | (1 << j)].push(Entry {
                        end,
                        cost: e.cost + inst.jobs[j].weight * end,
                        prev: s as u32,
                        prev_idx: idx as u32,
                        job: j as u32,
                    });
                }
            }
            fronts[s] = kept;
        }
        f.push(
            fronts
                .iter()
                .map(|fr| fr.iter().map(|e| e.cost).fold(f64::INFINITY, f64::min))
                .collect(),
        );
        fronts_per_team.push(fronts);
    }
    // g[i][S]: best cost of S on teams 0..=i; choice[i][S]: the subset given to team i.
    let mut g: Vec<Vec<f64>> = vec![f[0].clone()];
    let mut choice: Vec<Vec<u32>> = vec![(0..=full as u32).collect()];
    for k in 1..m {
        let prev = &g[k - 1];
        let mut gk = vec![f64::INFINITY; full + 1];
        let mut ck = vec![0u32; full + 1];
        for s in 0..=full {
            // Every submask t of s goes to team k.
            let mut t = s;
            loop {
                let c = prev[s ^ t] + f[k][t];
                if c < gk[s] {
                    gk[s] = c;
                    ck[s] = t as u32;
                }
                if t == 0 {
                    break;
                }
                t = (t - 1) & s;
            }
        }
        g.push(gk);
        choice.push(ck);
    }
    if !g[m - 1][full].is_finite() {
        return None;
    }
    let mut team_sets = vec![0usize; m];
    let mut s = full;
    for k in (0..m).rev() {
        let t = choice[k][s] as usize;
        team_sets[k] = t;
        s ^= t;
    }
    let mut per_team: Vec<Vec<u32>> = vec![Vec::new(); m];
    for k in 0..m {
        let fronts = &fronts_per_team[k];
        let t = team_sets[k];
        let Some((mut idx, _)) = fronts[t]
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.cost.total_cmp(&b.1.cost))
        else {
            continue;
        };
        let mut set = t;
        let mut seq = Vec::new();
        while set != 0 {
            let e = fronts[set][idx];
            seq.push(e.job);
            set = e.prev as usize;
            idx = e.prev_idx as usize;
        }
        seq.reverse();
        per_team[k] = seq;
    }
    Some(
        inst.layers
            .iter()
            .map(|(stage, _)| {
                per_team
                    .iter()
                    .map(|seq| {
                        seq.iter()
                            .copied()
                            .filter(|&j| inst.jobs[j as usize].stage == *stage)
                            .collect()
                    })
                    .collect()
            })
            .collect(),
    )
}
