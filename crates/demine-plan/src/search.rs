//! The heuristic: per layer (NTS, then TS, then clearance, each starting when the task's
//! previous stage ends), a WSPT-ordered earliest-completion construction, then local search
//! (relocate and swap between and within team sequences) and large-neighbourhood search
//! (remove related jobs, reinsert each at its best place), accepting only improvements.
//!
//! A layer's cost is separable by team (Σ weight × end over the team's sequence), so a move
//! is priced by re-running only the one or two sequences it touches.

use crate::calendar::Calendar;
use crate::instance::{travel_days, Instance};
use crate::model::Problem;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cell::Cell;

/// Work units of one [`LayerCtx::step`] on a working calendar: walking the calendar takes about
/// seven times as long as pricing a job in continuous time (examples/search_work_rate.rs).
pub(crate) const CALENDAR_STEP_WORK_UNITS: u64 = 7;

/// Teams tried for a job besides its own: the nearest by base, then random ones.
const NEAR_TEAMS: usize = 10;
const RANDOM_TEAMS: usize = 6;
/// In the linear case every eligible team is tried when there are at most this many.
const ALL_TEAMS_UP_TO: usize = 64;

pub(crate) struct LayerCtx<'a> {
    pub p: &'a Problem,
    pub inst: &'a Instance,
    pub cal: &'a Calendar,
    /// Earliest start of each job (task ready date or end of its previous stage).
    pub ready: &'a [f64],
    /// Cost per day past a team's end date, so that overruns are taken only when unavoidable.
    pub penalty: f64,
    /// Every weight is ≥ 0, so a sequence's running cost only grows (lets pricing stop early).
    pub monotone: bool,
    /// Search work done so far: one unit per job priced in the linear case, more for a step on
    /// a working calendar (see
    /// [`WORK_UNITS_PER_BUDGET_S`](crate::plan::WORK_UNITS_PER_BUDGET_S)). The search stops on this count, never on the clock, so a seed gives the
    /// same plan on any machine and under any load.
    pub work: &'a Cell<u64>,
    /// Work units of one step: 1 in continuous time, [`CALENDAR_STEP_WORK_UNITS`] on a
    /// working calendar.
    pub step_work_units: u64,
}

impl LayerCtx<'_> {
    #[inline]
    fn count_work(&self, units: u64) {
        self.work.set(self.work.get() + units);
    }

    /// Σ weight × end of a sequence for team k.
    #[inline]
    pub fn seq_cost<I: IntoIterator<Item = u32>>(&self, k: usize, seq: I) -> f64 {
        let mut s = self.start(k);
        for j in seq {
            s = self.step(k, s, j);
        }
        s.cost
    }

    /// Team k before its first job.
    #[inline]
    fn start(&self, k: usize) -> SeqState {
        SeqState {
            t: self.p.teams[k].start_day,
            pos: self.inst.team_base[k],
            cost: 0.0,
        }
    }

    /// Team k after doing job j from state `s`.
    #[inline]
    fn step(&self, k: usize, mut s: SeqState, j: u32) -> SeqState {
        self.count_work(self.step_work_units);
        let team = &self.p.teams[k];
        let job = &self.inst.jobs[j as usize];
        if let Some(site) = &job.site {
            if let Some(from) = &s.pos {
                s.t = self
                    .cal
                    .advance(team.kind, s.t, travel_days(self.inst.travel_days_per_chord, from, site));
            }
            s.pos = Some(*site);
        }
        let st = self.cal.next_working(team.kind, s.t.max(self.ready[j as usize]));
        let e = self.cal.advance(team.kind, st, job.area_m2 / self.inst.speed(k, j));
        s.cost += job.weight * e;
        if let Some(end) = team.end_day {
            if e > end {
                s.cost += self.penalty * (e - end + 1.0);
            }
        }
        s.t = e;
        s
    }

    /// Best place at or after `from` for `job` in team k's sequence: (position, cost).
    ///
    /// The prefix before each place is carried forward rather than re-run, and with weights
    /// ≥ 0 (costs only grow along a sequence) a place is abandoned as soon as its running cost
    /// reaches the best so far: the same answer as pricing every place in full, in a fraction
    /// of the time on long sequences.
    fn best_insert(&self, k: usize, seq: &[u32], from: usize, job: u32) -> (usize, f64) {
        let mut best = (seq.len(), f64::INFINITY);
        let mut prefix = self.start(k);
        for &j in &seq[..from.min(seq.len())] {
            prefix = self.step(k, prefix, j);
        }
        for q in from..=seq.len() {
            let mut s = self.step(k, prefix, job);
            let mut pruned = self.monotone && s.cost >= best.1;
            if !pruned {
                for &j in &seq[q..] {
                    s = self.step(k, s, j);
                    if self.monotone && s.cost >= best.1 {
                        pruned = true;
                        break;
                    }
                }
            }
            if !pruned && s.cost < best.1 {
                best = (q, s.cost);
            }
            if q < seq.len() {
                prefix = self.step(k, prefix, seq[q]);
            }
        }
        best
    }
}

/// Where a team is, when it is free, and the cost of its sequence so far.
#[derive(Debug, Clone, Copy)]
struct SeqState {
    t: f64,
    pos: Option<[f64; 3]>,
    cost: f64,
}

/// Search state of one layer.
pub(crate) struct LayerSearch<'a> {
    ctx: LayerCtx<'a>,
    pub seqs: Vec<Vec<u32>>,
    cost: Vec<f64>,
    /// Where each job is: (team, position) kept loosely; rebuilt when needed.
    owner: Vec<u32>,
    /// Candidate teams per job (its eligible teams nearest to the site first).
    near: Vec<Vec<u32>>,
    jobs: Vec<u32>,
    rng: ChaCha8Rng,
    /// Continuous time, no binding ready days, no team end dates: a change to a sequence
    /// shifts everything after it by the same amount, so moves are priced in O(1) from
    /// per-team prefix sums ([`Timeline`]) instead of re-running the sequence.
    linear: bool,
    timelines: Vec<Timeline>,
    /// Jobs held first in each team's sequence (work under way): never moved, nothing before them.
    fixed: Vec<usize>,
}

/// Prefix sums of one team's sequence (linear case only).
#[derive(Debug, Clone, Default)]
struct Timeline {
    /// End of each job.
    end: Vec<f64>,
    /// pc[i] = Σ weight × end of the first i jobs (len n + 1).
    pc: Vec<f64>,
    /// suf_w[i] = Σ weight of jobs i.. (len n + 1).
    suf_w: Vec<f64>,
}

impl<'a> LayerSearch<'a> {
    /// WSPT order, each job appended to the eligible team that ends it earliest.
    pub fn construct(ctx: LayerCtx<'a>, all_jobs: &[u32], seed: u64) -> LayerSearch<'a> {
        let p = ctx.p;
        let inst = ctx.inst;
        let n_teams = p.teams.len();
        let (held, movable): (Vec<u32>, Vec<u32>) = all_jobs.iter().partition(|&&j| inst.pinned[j as usize].is_some());
        let jobs = &movable[..];
        let mut order: Vec<u32> = jobs.to_vec();
        let ratio = |j: u32| {
            let job = &inst.jobs[j as usize];
            let el = &inst.eligible[job.class as usize];
            let mean_prod = el.iter().map(|&k| inst.speed(k as usize, j)).sum::<f64>() / el.len().max(1) as f64;
            job.weight / (job.area_m2 / mean_prod).max(1e-9)
        };
        let keys: Vec<(f64, f64)> = order.iter().map(|&j| (ratio(j), ctx.ready[j as usize])).collect();
        let mut idx: Vec<usize> = (0..order.len()).collect();
        idx.sort_by(|&a, &b| {
            keys[b]
                .0
                .total_cmp(&keys[a].0)
                .then(keys[a].1.total_cmp(&keys[b].1))
                .then(order[a].cmp(&order[b]))
        });
        order = idx.iter().map(|&i| order[i]).collect();

        // Team state for appending: (time free, position).
        let mut free: Vec<f64> = p.teams.iter().map(|t| t.start_day).collect();
        let mut pos: Vec<Option<[f64; 3]>> = inst.team_base.clone();
        let mut seqs: Vec<Vec<u32>> = vec![Vec::new(); n_teams];
        let mut owner = vec![u32::MAX; inst.jobs.len()];
        let mut fixed = vec![0usize; n_teams];
        for &j in &held {
            let k = inst.pinned[j as usize].unwrap_or(0) as usize;
            let job = &inst.jobs[j as usize];
            let team = &p.teams[k];
            let mut t = free[k];
            if let (Some(site), Some(from)) = (&job.site, &pos[k]) {
                t = ctx
                    .cal
                    .advance(team.kind, t, travel_days(inst.travel_days_per_chord, from, site));
            }
            let st = ctx.cal.next_working(team.kind, t.max(ctx.ready[j as usize]));
            free[k] = ctx.cal.advance(team.kind, st, job.area_m2 / inst.speed(k, j));
            if job.site.is_some() {
                pos[k] = job.site;
            }
            seqs[k].push(j);
            owner[j as usize] = k as u32;
            fixed[k] += 1;
        }
        // A job whose task is not ready when a team could take it waits (in ready order) until
        // some team is free at its ready time: appended at once, it would idle its team until then
        // while ready work queues behind it (a stage of many tasks gated by an earlier stage
        // would idle every team).
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        // (ready day's bits — ready days are ≥ 0, so bits order as numbers — arrival, job)
        let mut waiting: BinaryHeap<Reverse<(u64, usize, u32)>> = BinaryHeap::new();
        let ready = ctx.ready;
        let mut place = |j: u32, defer: bool, free: &mut Vec<f64>, pos: &mut Vec<Option<[f64; 3]>>| -> bool {
            let job = &inst.jobs[j as usize];
            let mut best = (u32::MAX, f64::INFINITY, 0.0, false);
            for &k in &inst.eligible[job.class as usize] {
                let team = &p.teams[k as usize];
                let mut t = free[k as usize];
                if let (Some(site), Some(from)) = (&job.site, &pos[k as usize]) {
                    t = ctx
                        .cal
                        .advance(team.kind, t, travel_days(inst.travel_days_per_chord, from, site));
                }
                let waits = ready[j as usize] > t + 1e-9;
                let st = ctx.cal.next_working(team.kind, t.max(ready[j as usize]));
                let e = ctx.cal.advance(team.kind, st, job.area_m2 / inst.speed(k as usize, j));
                let mut score = e;
                if let Some(end) = team.end_day {
                    if e > end {
                        score += 1e9 + (e - end);
                    }
                }
                if score < best.1 {
                    best = (k, score, e, waits);
                }
            }
            if defer && best.3 {
                return false;
            }
            let k = best.0 as usize;
            free[k] = best.2;
            if job.site.is_some() {
                pos[k] = job.site;
            }
            seqs[k].push(j);
            owner[j as usize] = k as u32;
            true
        };
        for (n, &j) in order.iter().enumerate() {
            if !place(j, true, &mut free, &mut pos) {
                waiting.push(Reverse((ready[j as usize].max(0.0).to_bits(), n, j)));
                continue;
            }
            let soonest = free.iter().copied().fold(f64::INFINITY, f64::min);
            while let Some(&Reverse((r, _, w))) = waiting.peek() {
                if f64::from_bits(r) > soonest {
                    break;
                }
                waiting.pop();
                place(w, false, &mut free, &mut pos);
            }
        }
        while let Some(Reverse((_, _, w))) = waiting.pop() {
            place(w, false, &mut free, &mut pos);
        }
        let cost = (0..n_teams).map(|k| ctx.seq_cost(k, seqs[k].iter().copied())).collect();
        let near = candidate_teams(p, inst, jobs);
        let earliest_team = p.teams.iter().map(|t| t.start_day).fold(f64::INFINITY, f64::min);
        let sited = jobs.iter().filter(|&&j| inst.jobs[j as usize].site.is_some()).count();
        let linear = ctx.cal.is_continuous()
            && p.teams.iter().all(|t| t.end_day.is_none())
            && jobs.iter().all(|&j| ctx.ready[j as usize] <= earliest_team)
            && (sited == 0 || sited == jobs.len());
        let mut search = LayerSearch {
            ctx,
            seqs,
            cost,
            owner,
            near,
            jobs: jobs.to_vec(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            linear,
            timelines: vec![Timeline::default(); n_teams],
            fixed,
        };
        if linear {
            for k in 0..n_teams {
                search.refresh(k);
            }
        }
        search
    }

    /// Recomputes team k's cost (and timeline in the linear case) after its sequence changed.
    fn refresh(&mut self, k: usize) {
        if self.linear {
            self.timelines[k] = self.timeline(k, &self.seqs[k]);
            self.cost[k] = *self.timelines[k].pc.last().unwrap_or(&0.0);
        } else {
            self.cost[k] = self.ctx.seq_cost(k, self.seqs[k].iter().copied());
        }
    }

    #[inline]
    fn site(&self, j: u32) -> Option<&[f64; 3]> {
        self.ctx.inst.jobs[j as usize].site.as_ref()
    }

    #[inline]
    fn trav(&self, a: Option<&[f64; 3]>, b: Option<&[f64; 3]>) -> f64 {
        match (a, b) {
            (Some(a), Some(b)) => travel_days(self.ctx.inst.travel_days_per_chord, a, b),
            _ => 0.0,
        }
    }

    #[inline]
    fn work_days(&self, k: usize, j: u32) -> f64 {
        self.ctx.inst.jobs[j as usize].area_m2 / self.ctx.inst.speed(k, j)
    }

    fn timeline(&self, k: usize, seq: &[u32]) -> Timeline {
        let n = seq.len();
        self.ctx.count_work(n as u64);
        let mut tl = Timeline {
            end: Vec::with_capacity(n),
            pc: Vec::with_capacity(n + 1),
            suf_w: vec![0.0; n + 1],
        };
        let mut t = self.ctx.p.teams[k].start_day;
        let mut pos = self.ctx.inst.team_base[k].as_ref();
        tl.pc.push(0.0);
        for &j in seq {
            let site = self.site(j);
            t += self.trav(pos, site) + self.work_days(k, j);
            if site.is_some() {
                pos = site;
            }
            tl.end.push(t);
            let last = tl.pc[tl.pc.len() - 1];
            tl.pc.push(last + self.ctx.inst.jobs[j as usize].weight * t);
        }
        for i in (0..n).rev() {
            tl.suf_w[i] = tl.suf_w[i + 1] + self.ctx.inst.jobs[seq[i] as usize].weight;
        }
        tl
    }

    /// Where the team is before position q, and when it is free there.
    #[inline]
    fn before(&self, k: usize, seq: &[u32], tl: &Timeline, q: usize) -> (Option<&[f64; 3]>, f64) {
        if q == 0 {
            (self.ctx.inst.team_base[k].as_ref(), self.ctx.p.teams[k].start_day)
        } else {
            (self.site(seq[q - 1]), tl.end[q - 1])
        }
    }

    /// Linear case: cost of team k's sequence with `x` inserted before position q.
    #[inline]
    fn insert_lin(&self, k: usize, seq: &[u32], tl: &Timeline, q: usize, x: u32) -> f64 {
        let n = seq.len();
        self.ctx.count_work(1);
        let (prev, t0) = self.before(k, seq, tl, q);
        let sx = self.site(x);
        let cx = t0 + self.trav(prev, sx) + self.work_days(k, x);
        let mut shift = cx - t0;
        if q < n {
            let next = self.site(seq[q]);
            shift += self.trav(sx, next) - self.trav(prev, next);
        }
        tl.pc[q] + self.ctx.inst.jobs[x as usize].weight * cx + (tl.pc[n] - tl.pc[q]) + shift * tl.suf_w[q]
    }

    /// Linear case: cost of team k's sequence without its job at position p.
    #[inline]
    fn remove_lin(&self, k: usize, seq: &[u32], tl: &Timeline, p: usize) -> f64 {
        let n = seq.len();
        self.ctx.count_work(1);
        let (prev, t0) = self.before(k, seq, tl, p);
        let mut shift = -(tl.end[p] - t0);
        if p + 1 < n {
            let next = self.site(seq[p + 1]);
            shift += self.trav(prev, next) - self.trav(self.site(seq[p]), next);
        }
        tl.pc[p] + (tl.pc[n] - tl.pc[p + 1]) + shift * tl.suf_w[p + 1]
    }

    /// Linear case: cost of team k's sequence with its job at position p replaced by `y`.
    #[inline]
    fn replace_lin(&self, k: usize, seq: &[u32], tl: &Timeline, p: usize, y: u32) -> f64 {
        let n = seq.len();
        self.ctx.count_work(1);
        let (prev, t0) = self.before(k, seq, tl, p);
        let sy = self.site(y);
        let cy = t0 + self.trav(prev, sy) + self.work_days(k, y);
        let mut shift = cy - tl.end[p];
        if p + 1 < n {
            let next = self.site(seq[p + 1]);
            shift += self.trav(sy, next) - self.trav(self.site(seq[p]), next);
        }
        tl.pc[p] + self.ctx.inst.jobs[y as usize].weight * cy + (tl.pc[n] - tl.pc[p + 1]) + shift * tl.suf_w[p + 1]
    }

    /// Best place for `job` in team k's sequence `seq`: (position, cost of the new sequence).
    fn best_insert_any(&self, k: usize, seq: &[u32], job: u32) -> (usize, f64) {
        if !self.linear {
            return self.ctx.best_insert(k, seq, self.fixed[k], job);
        }
        let tl = self.timeline(k, seq);
        let mut best = (seq.len(), f64::INFINITY);
        for q in self.fixed[k]..=seq.len() {
            let c = self.insert_lin(k, seq, &tl, q, job);
            if c < best.1 {
                best = (q, c);
            }
        }
        best
    }

    /// Linear case: candidate teams are every eligible team when there are not too many.
    fn candidates_lin(&mut self, j: u32) -> Vec<u32> {
        let job = &self.ctx.inst.jobs[j as usize];
        let el = &self.ctx.inst.eligible[job.class as usize];
        if el.len() > ALL_TEAMS_UP_TO {
            return self.candidates(j);
        }
        let own = self.owner[j as usize];
        std::iter::once(own)
            .chain(el.iter().copied().filter(|&k| k != own))
            .collect()
    }

    /// Linear case: the best relocation of job j to any place of any candidate team.
    fn relocate_lin(&mut self, j: u32) -> f64 {
        let a = self.owner[j as usize] as usize;
        let Some(p) = self.seqs[a].iter().position(|&x| x == j) else {
            return 0.0;
        };
        let cost_a_without = self.remove_lin(a, &self.seqs[a], &self.timelines[a], p);
        let mut best: Option<(usize, usize, f64)> = None; // (team, pos, gain)
        let mut best_gain = 1e-9 * self.cost[a].abs().max(1.0);
        for b in self.candidates_lin(j) {
            let b = b as usize;
            if b == a {
                let mut without = self.seqs[a].clone();
                without.remove(p);
                let tl = self.timeline(a, &without);
                for q in self.fixed[a]..=without.len() {
                    if q == p {
                        continue;
                    }
                    let gain = self.cost[a] - self.insert_lin(a, &without, &tl, q, j);
                    if gain > best_gain {
                        best_gain = gain;
                        best = Some((a, q, gain));
                    }
                }
            } else {
                let (seq, tl) = (&self.seqs[b], &self.timelines[b]);
                for q in self.fixed[b]..=seq.len() {
                    let gain = self.cost[a] + self.cost[b] - cost_a_without - self.insert_lin(b, seq, tl, q, j);
                    if gain > best_gain {
                        best_gain = gain;
                        best = Some((b, q, gain));
                    }
                }
            }
        }
        let Some((b, q, gain)) = best else { return 0.0 };
        self.seqs[a].remove(p);
        self.seqs[b].insert(q, j);
        self.owner[j as usize] = b as u32;
        self.refresh(a);
        if b != a {
            self.refresh(b);
        }
        gain
    }

    /// Linear case: the best exchange of job j with any job of another candidate team, each
    /// taking the other's place.
    fn swap_lin(&mut self, j: u32) -> f64 {
        let a = self.owner[j as usize] as usize;
        let Some(p) = self.seqs[a].iter().position(|&x| x == j) else {
            return 0.0;
        };
        let inst = self.ctx.inst;
        let jclass = inst.jobs[j as usize].class;
        let mut best: Option<(usize, usize, f64)> = None; // (team, pos, gain)
        let mut best_gain = 0.0f64;
        for b in self.candidates_lin(j).into_iter().skip(1) {
            let b = b as usize;
            let (seq_b, tl_b) = (&self.seqs[b], &self.timelines[b]);
            for (r, &i) in seq_b.iter().enumerate().skip(self.fixed[b]) {
                let iclass = inst.jobs[i as usize].class;
                if iclass != jclass && inst.eligible[iclass as usize].binary_search(&(a as u32)).is_err() {
                    continue;
                }
                let ca = self.replace_lin(a, &self.seqs[a], &self.timelines[a], p, i);
                let cb = self.replace_lin(b, seq_b, tl_b, r, j);
                let gain = self.cost[a] + self.cost[b] - ca - cb;
                if gain > best_gain.max(1e-9 * (self.cost[a] + self.cost[b]).abs().max(1.0)) {
                    best_gain = gain;
                    best = Some((b, r, gain));
                }
            }
        }
        let Some((b, r, gain)) = best else { return 0.0 };
        let i = self.seqs[b][r];
        self.seqs[a][p] = i;
        self.seqs[b][r] = j;
        self.owner[j as usize] = b as u32;
        self.owner[i as usize] = a as u32;
        self.refresh(a);
        self.refresh(b);
        gain
    }

    fn candidates(&mut self, j: u32) -> Vec<u32> {
        let job = &self.ctx.inst.jobs[j as usize];
        let el = &self.ctx.inst.eligible[job.class as usize];
        let mut c: Vec<u32> = Vec::with_capacity(NEAR_TEAMS + RANDOM_TEAMS + 1);
        c.push(self.owner[j as usize]);
        if el.len() <= NEAR_TEAMS + RANDOM_TEAMS + 1 {
            c.extend(el.iter().copied().filter(|&k| k != self.owner[j as usize]));
            return c;
        }
        let li = self.jobs.binary_search(&j).unwrap_or(0);
        for &k in &self.near[li] {
            if !c.contains(&k) {
                c.push(k);
            }
        }
        for _ in 0..RANDOM_TEAMS {
            let k = el[self.rng.gen_range(0..el.len())];
            if !c.contains(&k) {
                c.push(k);
            }
        }
        c
    }

    /// Best relocation of job j; applies it if it improves. Returns the gain.
    fn relocate(&mut self, j: u32) -> f64 {
        let a = self.owner[j as usize] as usize;
        let Some(p) = self.seqs[a].iter().position(|&x| x == j) else {
            return 0.0;
        };
        let mut without = self.seqs[a].clone();
        without.remove(p);
        let cost_a_without = self.ctx.seq_cost(a, without.iter().copied());
        let mut best: Option<(usize, usize, f64, f64)> = None; // (team, pos, new cost of team, gain)
        for b in self.candidates(j) {
            let b = b as usize;
            if b == a {
                let (q, c) = self.ctx.best_insert(a, &without, self.fixed[a], j);
                let gain = self.cost[a] - c;
                if gain > best.map_or(1e-9 * self.cost[a].abs().max(1.0), |x| x.3) && q != p {
                    best = Some((a, q, c, gain));
                }
            } else {
                let (q, c) = self.ctx.best_insert(b, &self.seqs[b], self.fixed[b], j);
                let gain = self.cost[a] + self.cost[b] - cost_a_without - c;
                if gain > best.map_or(1e-9 * (self.cost[a] + self.cost[b]).abs().max(1.0), |x| x.3) {
                    best = Some((b, q, c, gain));
                }
            }
        }
        let Some((b, q, c, gain)) = best else { return 0.0 };
        if b == a {
            without.insert(q, j);
            self.seqs[a] = without;
            self.cost[a] = c;
        } else {
            self.seqs[a] = without;
            self.cost[a] = cost_a_without;
            self.seqs[b].insert(q, j);
            self.cost[b] = c;
            self.owner[j as usize] = b as u32;
        }
        gain
    }

    /// Tries swapping job j with jobs of a few candidate teams (same positions).
    fn swap(&mut self, j: u32) -> f64 {
        let a = self.owner[j as usize] as usize;
        let Some(p) = self.seqs[a].iter().position(|&x| x == j) else {
            return 0.0;
        };
        let jclass = self.ctx.inst.jobs[j as usize].class;
        let cands = self.candidates(j);
        for b in cands.into_iter().skip(1).take(4) {
            let b = b as usize;
            if self.seqs[b].len() <= self.fixed[b] {
                continue;
            }
            let r = self.rng.gen_range(self.fixed[b]..self.seqs[b].len());
            let i = self.seqs[b][r];
            let iclass = self.ctx.inst.jobs[i as usize].class;
            let i_ok = iclass == jclass
                || self.ctx.inst.eligible[iclass as usize]
                    .binary_search(&(a as u32))
                    .is_ok();
            if !i_ok {
                continue;
            }
            let mut sa = self.seqs[a].clone();
            let mut sb = self.seqs[b].clone();
            sa[p] = i;
            sb[r] = j;
            let ca = self.ctx.seq_cost(a, sa.iter().copied());
            let cb = self.ctx.seq_cost(b, sb.iter().copied());
            let gain = self.cost[a] + self.cost[b] - ca - cb;
            if gain > 1e-9 * (self.cost[a] + self.cost[b]).abs().max(1.0) {
                self.seqs[a] = sa;
                self.seqs[b] = sb;
                self.cost[a] = ca;
                self.cost[b] = cb;
                self.owner[j as usize] = b as u32;
                self.owner[i as usize] = a as u32;
                return gain;
            }
        }
        0.0
    }

    /// Local search until no move improves or the work count reaches `work_limit`. Returns
    /// false if stopped by the budget.
    pub fn local_search(&mut self, work_limit: u64) -> bool {
        let mut order = self.jobs.clone();
        loop {
            order.shuffle(&mut self.rng);
            let mut improved = false;
            for &j in order.iter() {
                if self.ctx.work.get() >= work_limit {
                    return false;
                }
                let moved = if self.linear {
                    self.relocate_lin(j) > 0.0 || self.swap_lin(j) > 0.0
                } else {
                    self.relocate(j) > 0.0 || self.swap(j) > 0.0
                };
                if moved {
                    improved = true;
                }
            }
            if !improved {
                return true;
            }
        }
    }

    /// Large-neighbourhood search: `iterations` ruin-and-recreate steps around random jobs,
    /// each kept only if it lowers the layer's cost. Returns false if stopped by the budget.
    pub fn lns(&mut self, iterations: usize, work_limit: u64) -> bool {
        if self.jobs.len() < 3 {
            return true;
        }
        for _ in 0..iterations {
            if self.ctx.work.get() >= work_limit {
                return false;
            }
            let j0 = self.jobs[self.rng.gen_range(0..self.jobs.len())];
            let mut teams: Vec<u32> = self.candidates(j0).into_iter().take(3).collect();
            teams.sort_unstable();
            teams.dedup();
            let old: Vec<(u32, Vec<u32>, f64)> = teams
                .iter()
                .map(|&k| (k, self.seqs[k as usize].clone(), self.cost[k as usize]))
                .collect();
            let old_total: f64 = old.iter().map(|o| o.2).sum();
            // Ruin: about a third of the jobs of these teams, at most 24.
            let mut removed = Vec::new();
            for &k in &teams {
                let fixed = self.fixed[k as usize];
                let seq = &mut self.seqs[k as usize];
                let mut kept = Vec::with_capacity(seq.len());
                for (q, &x) in seq.iter().enumerate() {
                    if q >= fixed && removed.len() < 24 && self.rng.gen_bool(0.35) {
                        removed.push(x);
                    } else {
                        kept.push(x);
                    }
                }
                *seq = kept;
            }
            if removed.is_empty() {
                continue;
            }
            removed.shuffle(&mut self.rng);
            // Recreate: heaviest first, each at its best place among these teams.
            removed.sort_by(|&x, &y| {
                let (jx, jy) = (&self.ctx.inst.jobs[x as usize], &self.ctx.inst.jobs[y as usize]);
                (jy.weight / jy.area_m2.max(1e-9)).total_cmp(&(jx.weight / jx.area_m2.max(1e-9)))
            });
            for &x in &removed {
                let class = self.ctx.inst.jobs[x as usize].class as usize;
                let mut best = (u32::MAX, 0usize, f64::INFINITY);
                for &k in &teams {
                    if self.ctx.inst.eligible[class].binary_search(&k).is_err() {
                        continue;
                    }
                    let seq = &self.seqs[k as usize];
                    let before = self.ctx.seq_cost(k as usize, seq.iter().copied());
                    let (q, c) = self.best_insert_any(k as usize, seq, x);
                    if c - before < best.2 {
                        best = (k, q, c - before);
                    }
                }
                self.seqs[best.0 as usize].insert(best.1, x);
            }
            let new_costs: Vec<f64> = teams
                .iter()
                .map(|&k| self.ctx.seq_cost(k as usize, self.seqs[k as usize].iter().copied()))
                .collect();
            let new_total: f64 = new_costs.iter().sum();
            if new_total < old_total - 1e-9 * old_total.abs().max(1.0) {
                for (i, &k) in teams.iter().enumerate() {
                    self.cost[k as usize] = new_costs[i];
                    for &x in &self.seqs[k as usize] {
                        self.owner[x as usize] = k;
                    }
                    self.refresh(k as usize);
                }
            } else {
                for (k, seq, c) in old {
                    self.seqs[k as usize] = seq;
                    self.cost[k as usize] = c;
                }
            }
        }
        true
    }
}

/// For each job of the layer (in `jobs` order), its eligible teams nearest to its site.
fn candidate_teams(p: &Problem, inst: &Instance, jobs: &[u32]) -> Vec<Vec<u32>> {
    use rayon::prelude::*;
    jobs.par_iter()
        .map(|&j| {
            let job = &inst.jobs[j as usize];
            let el = &inst.eligible[job.class as usize];
            if el.len() <= NEAR_TEAMS + RANDOM_TEAMS + 1 {
                return Vec::new();
            }
            let Some(site) = &job.site else {
                return Vec::new();
            };
            let mut d: Vec<(f64, u32)> = el
                .iter()
                .filter_map(|&k| {
                    inst.team_base[k as usize].map(|b| (travel_days(inst.travel_days_per_chord, &b, site), k))
                })
                .collect();
            let take = NEAR_TEAMS.min(d.len());
            if take == 0 {
                return Vec::new();
            }
            d.select_nth_unstable_by(take - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            d.truncate(take);
            d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let _ = p;
            d.into_iter().map(|x| x.1).collect()
        })
        .collect()
}
