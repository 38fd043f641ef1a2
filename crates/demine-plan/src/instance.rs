//! A [`Problem`] turned into jobs: one per stage of each task (split into pieces for
//! splittable tasks), grouped into layers by stage, with who may do each, and the simulation
//! of fixed team sequences that both the plan and the forecast use.

use crate::calendar::Calendar;
use crate::model::{stage_areas_with, Problem, Stage, TaskRates, TeamKind};

/// Working days of the median eligible team a piece of a splittable task should take.
const PIECE_DAYS: f64 = 20.0;
/// At most this many pieces per stage of a splittable task.
const MAX_PIECES: usize = 64;

/// One piece of work: a stage of a task, or a piece of it.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub task: u32,
    pub stage: Stage,
    /// Share of the stage's area this piece holds.
    pub piece_share: f64,
    pub area_m2: f64,
    /// Objective weight used while sequencing (the task's value × piece share).
    pub weight: f64,
    /// Unit vector of the site on the sphere (fast chord distances), if any.
    pub site: Option<[f64; 3]>,
    /// Index into [`Instance::eligible`].
    pub class: u32,
    /// Index into each row of [`Instance::speed`].
    pub terrain: u32,
}

/// Jobs, who may do them, and the layer (stage) order.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub jobs: Vec<Job>,
    /// Team indices allowed for each eligibility class.
    pub eligible: Vec<Vec<u32>>,
    /// Jobs of each stage present, in stage order.
    pub layers: Vec<(Stage, Vec<u32>)>,
    /// For each task, its jobs per stage index (nts, ts, clearance).
    pub task_jobs: Vec<[Vec<u32>; 4]>,
    pub team_base: Vec<Option<[f64; 3]>>,
    pub travel_days_per_chord: f64,
    /// The team each job is held on, first in its sequence (work under way).
    pub pinned: Vec<Option<u32>>,
    /// speed[team][terrain]: m² per working day on each terrain met in the tasks (0 = other).
    pub speed: Vec<Vec<f64>>,
    /// Each task's land-release shares (its own, else the problem's).
    pub task_rates: Vec<TaskRates>,
    /// Whether the task's shares are its own (a strategy's decision) rather than the problem's.
    pub own_rates: Vec<bool>,
}

pub(crate) fn unit(lonlat: (f64, f64)) -> [f64; 3] {
    let (lon, lat) = (lonlat.0.to_radians(), lonlat.1.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Travel days between two unit vectors: chord → great-circle arc.
#[inline]
pub(crate) fn travel_days(per_km: f64, a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let dx = a[0] - b[0];
    let dy = a[1] - b[1];
    let dz = a[2] - b[2];
    let chord = (dx * dx + dy * dy + dz * dz).sqrt();
    2.0 * 6371.0088 * (chord / 2.0).min(1.0).asin() * per_km
}

impl Instance {
    /// Team k's area per working day on job j's terrain, m².
    #[inline]
    pub fn speed(&self, k: usize, j: u32) -> f64 {
        self.speed[k][self.jobs[j as usize].terrain as usize]
    }

    pub fn new(p: &Problem) -> Instance {
        let per_km = p.travel.road_factor / (p.travel.speed_km_per_h * p.travel.hours_per_day);
        // Terrains some team has its own productivity on; other tasks use index 0.
        let mut terrains: Vec<String> = Vec::new();
        let terrain_of: Vec<u32> = p
            .tasks
            .iter()
            .map(|task| {
                let Some(t) = task.terrain.as_deref().map(str::trim) else {
                    return 0;
                };
                let listed = p
                    .teams
                    .iter()
                    .any(|k| k.productivity_by_terrain.iter().any(|(n, _)| n.eq_ignore_ascii_case(t)));
                if !listed {
                    return 0;
                }
                let t = t.to_ascii_lowercase();
                match terrains.iter().position(|x| *x == t) {
                    Some(i) => i as u32 + 1,
                    None => {
                        terrains.push(t);
                        terrains.len() as u32
                    }
                }
            })
            .collect();
        let speed: Vec<Vec<f64>> = p
            .teams
            .iter()
            .map(|k| {
                std::iter::once(k.productivity_m2_per_day)
                    .chain(terrains.iter().map(|t| k.productivity_on(Some(t))))
                    .collect()
            })
            .collect();
        let mut classes: Vec<(Stage, Vec<TeamKind>)> = Vec::new();
        let mut eligible: Vec<Vec<u32>> = Vec::new();
        let mut jobs = Vec::new();
        let mut task_jobs = Vec::with_capacity(p.tasks.len());
        for (ti, task) in p.tasks.iter().enumerate() {
            let mut per_stage: [Vec<u32>; 4] = Default::default();
            for (stage, area) in p.stage_areas(task) {
                let key = (
                    stage,
                    if stage == Stage::Clearance {
                        task.methods.clone()
                    } else {
                        vec![]
                    },
                );
                let class = match classes.iter().position(|c| *c == key) {
                    Some(c) => c,
                    None => {
                        classes.push(key);
                        eligible.push(
                            p.teams
                                .iter()
                                .enumerate()
                                .filter(|(_, t)| t.can_do(task, stage))
                                .map(|(i, _)| i as u32)
                                .collect(),
                        );
                        classes.len() - 1
                    }
                };
                let n_pieces = if task.splittable {
                    let teams = &eligible[class];
                    let mut prods: Vec<f64> = teams
                        .iter()
                        .map(|&k| speed[k as usize][terrain_of[ti] as usize])
                        .collect();
                    prods.sort_by(f64::total_cmp);
                    let median = prods.get(prods.len() / 2).copied().unwrap_or(1.0);
                    ((area / (median * PIECE_DAYS)).ceil() as usize).clamp(1, teams.len().clamp(1, MAX_PIECES))
                } else {
                    1
                };
                for _ in 0..n_pieces {
                    per_stage[stage.index()].push(jobs.len() as u32);
                    jobs.push(Job {
                        task: ti as u32,
                        stage,
                        piece_share: 1.0 / n_pieces as f64,
                        area_m2: area / n_pieces as f64,
                        weight: task.value / n_pieces as f64,
                        site: task.site.map(unit),
                        class: class as u32,
                        terrain: terrain_of[ti],
                    });
                }
            }
            task_jobs.push(per_stage);
        }
        let mut pinned = vec![None; jobs.len()];
        for (ti, task) in p.tasks.iter().enumerate() {
            let Some(by) = &task.under_way_by else { continue };
            let Some(first) = task_jobs[ti].iter().flatten().next().copied() else {
                continue;
            };
            let stage = jobs[first as usize].stage;
            // Only a team that may do the task's next stage keeps it.
            if let Some(k) = p.teams.iter().position(|t| &t.id == by && t.can_do(task, stage)) {
                pinned[first as usize] = Some(k as u32);
            }
        }
        let layers = [Stage::Nts, Stage::Ts, Stage::Preparation, Stage::Clearance]
            .into_iter()
            .map(|s| {
                (
                    s,
                    (0..jobs.len() as u32)
                        .filter(|&j| jobs[j as usize].stage == s)
                        .collect::<Vec<u32>>(),
                )
            })
            .filter(|(_, js)| !js.is_empty())
            .collect();
        Instance {
            jobs,
            eligible,
            layers,
            task_jobs,
            team_base: p.teams.iter().map(|t| t.base.map(unit)).collect(),
            travel_days_per_chord: per_km,
            pinned,
            speed,
            task_rates: p.tasks.iter().map(|t| p.rates.for_task(&t.id)).collect(),
            own_rates: p.tasks.iter().map(|t| p.rates.per_task.contains_key(&t.id)).collect(),
        }
    }

    /// The shares task `ti` is worked with under a run's `shift` of the NTS and TS shares.
    pub fn rates_of(&self, ti: usize, shift: [f64; 2]) -> TaskRates {
        self.task_rates[ti].shifted(shift, self.own_rates[ti])
    }
}

/// Team sequences per layer: `seqs[layer][team]` lists job indices in work order.
pub type Sequences = Vec<Vec<Vec<u32>>>;

/// What varies between Monte Carlo runs (all 1 / the problem's own values in the plan).
#[derive(Debug, Clone)]
pub(crate) struct Variation<'a> {
    /// Per job: how much longer (> 1) or shorter (< 1) the work takes than planned.
    pub job_time_factor: Option<&'a [f64]>,
    pub task_area_factor: Option<&'a [f64]>,
    /// How much a run moves the NTS cancel and TS reduce shares (0 in the plan).
    pub rate_shift: [f64; 2],
}

impl Variation<'_> {
    /// Nothing varies: the plan's own durations, areas and rates.
    pub fn planned() -> Variation<'static> {
        Variation {
            job_time_factor: None,
            task_area_factor: None,
            rate_shift: [0.0, 0.0],
        }
    }
}

/// Times of every job under fixed sequences.
#[derive(Debug, Clone)]
pub(crate) struct Simulated {
    pub start: Vec<f64>,
    pub end: Vec<f64>,
    pub area_m2: Vec<f64>,
    pub team: Vec<u32>,
    /// Release time per task (end of its last piece; 0 for a task with no work).
    pub release: Vec<f64>,
}

/// Area of a job under its task's `rates` and an area factor.
fn job_area(p: &Problem, job: &Job, rates: &TaskRates, factor: f64) -> f64 {
    let task = &p.tasks[job.task as usize];
    // Ground preparation covers the clearance area.
    let stage = if job.stage == Stage::Preparation {
        Stage::Clearance
    } else {
        job.stage
    };
    stage_areas_with(task.area_m2 * factor, task.stage, rates)
        .into_iter()
        .find(|(s, _)| *s == stage)
        .map(|(_, a)| a * job.piece_share)
        .unwrap_or(0.0)
}

/// Runs fixed sequences: layer by layer, each job starting when its team is there and free
/// and its task's previous stage is done.
pub(crate) fn simulate(p: &Problem, inst: &Instance, seqs: &Sequences, cal: &Calendar, var: &Variation) -> Simulated {
    let n = inst.jobs.len();
    let mut sim = Simulated {
        start: vec![0.0; n],
        end: vec![0.0; n],
        area_m2: vec![0.0; n],
        team: vec![0; n],
        release: vec![0.0; p.tasks.len()],
    };
    // Per task, when its latest finished stage ended.
    let mut stage_done: Vec<f64> = p.tasks.iter().map(|t| t.ready_day).collect();
    for (li, (_, layer_jobs)) in inst.layers.iter().enumerate() {
        let mut layer_end: Vec<f64> = stage_done.clone();
        for (k, seq) in seqs[li].iter().enumerate() {
            let team = &p.teams[k];
            let mut t = team.start_day;
            let mut pos = inst.team_base[k];
            for &j in seq {
                let job = &inst.jobs[j as usize];
                if let Some(site) = &job.site {
                    if let Some(from) = &pos {
                        t = cal.advance(team.kind, t, travel_days(inst.travel_days_per_chord, from, site));
                    }
                    pos = Some(*site);
                }
                let factor = var.task_area_factor.map_or(1.0, |f| f[job.task as usize]);
                let area = if var.task_area_factor.is_none() && var.rate_shift == [0.0, 0.0] {
                    job.area_m2
                } else {
                    job_area(p, job, &inst.rates_of(job.task as usize, var.rate_shift), factor)
                };
                let st = cal.next_working(team.kind, t.max(stage_done[job.task as usize]));
                let time_factor = var.job_time_factor.map_or(1.0, |f| f[j as usize]);
                let e = cal.advance(team.kind, st, area / inst.speed(k, j) * time_factor);
                sim.start[j as usize] = st;
                sim.end[j as usize] = e;
                sim.area_m2[j as usize] = area;
                sim.team[j as usize] = k as u32;
                let le = &mut layer_end[job.task as usize];
                if e > *le {
                    *le = e;
                }
                t = e;
            }
        }
        let _ = layer_jobs;
        stage_done = layer_end;
    }
    for (ti, r) in sim.release.iter_mut().enumerate() {
        *r = inst.task_jobs[ti]
            .iter()
            .flatten()
            .map(|&j| sim.end[j as usize])
            .fold(0.0, f64::max);
    }
    sim
}

/// Land released over time: (day, m²) events, in time order.
pub(crate) fn release_events(inst: &Instance, sim: &Simulated, rate_shift: [f64; 2]) -> Vec<(f64, f64)> {
    let mut ev: Vec<(f64, f64)> = inst
        .jobs
        .iter()
        .enumerate()
        .map(|(j, job)| {
            let share = inst.rates_of(job.task as usize, rate_shift).released_share(job.stage);
            (sim.end[j], sim.area_m2[j] * share)
        })
        .filter(|e| e.1 > 0.0)
        .collect();
    ev.sort_by(|a, b| a.0.total_cmp(&b.0));
    ev
}
