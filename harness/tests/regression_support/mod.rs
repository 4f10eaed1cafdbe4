//! A noise model of paired benchmark blocks on a noisy device, for the
//! regression-gate tests: per-run log-normal noise, occasional outlier runs,
//! slow drift across the session, and a per-session shift that hits both
//! arms alike.

/// The noise of one device class.
#[derive(Debug, Clone, Copy)]
pub struct Noise {
    /// Log-normal per-run noise, sd of the log.
    pub sigma_run: f64,
    /// Chance that a run, in either arm, is an outlier (a background
    /// task), independently of every other run.
    pub outlier_chance: f64,
    /// How much slower an outlier run is (0.30 = +30 % time).
    pub outlier_slowdown: f64,
    /// Random-walk drift per run, sd of the log step.
    pub drift_step: f64,
    /// Session-to-session shift of both arms, sd of the log.
    pub session_sd: f64,
}

impl Noise {
    /// Noise with per-run sd `sigma_run` and the other terms as a
    /// thermally unsettled board shows them: 5 % outlier runs at +30 %,
    /// 0.3 % drift per run, 10 % between sessions.
    pub fn device(sigma_run: f64) -> Self {
        Noise {
            sigma_run,
            outlier_chance: 0.05,
            outlier_slowdown: 0.30,
            drift_step: 0.003,
            session_sd: 0.10,
        }
    }
}

/// One session's block summaries (median tokens/s of each arm).
#[derive(Debug, Clone)]
pub struct Session {
    /// Baseline arm, one median per block.
    pub baseline: Vec<f64>,
    /// Candidate arm, one median per block.
    pub candidate: Vec<f64>,
}

/// A seeded SplitMix64 generator: tens of thousands of simulated
/// sessions stay fast in an unoptimized test build.
#[derive(Debug, Clone)]
pub struct Rng64 {
    state: u64,
    spare: Option<f64>,
}

impl Rng64 {
    /// The generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng64 {
            state: seed,
            spare: None,
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform draw in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// A standard normal draw (Box–Muller, both halves used).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let r = (-2.0 * (1.0 - self.uniform()).ln()).sqrt();
        let a = std::f64::consts::TAU * self.uniform();
        self.spare = Some(r * a.sin());
        r * a.cos()
    }
}

/// Simulates `blocks` paired blocks of a throughput metric (tokens/s) in
/// one session: a coin flip orders the arms in each block, each arm does
/// one discarded warm-up and `reps` measured runs, summarized by their
/// median. The candidate's true throughput is `factor` × the baseline's
/// (0.95 = 5 % slower).
pub fn session(rng: &mut Rng64, noise: &Noise, blocks: usize, reps: usize, factor: f64) -> Session {
    let base_tps = 20.0;
    let shift = (noise.session_sd * rng.normal()).exp();
    let mut drift = 0.0;
    let mut out = Session {
        baseline: Vec::with_capacity(blocks),
        candidate: Vec::with_capacity(blocks),
    };
    for _ in 0..blocks {
        let candidate_first = rng.chance(0.5);
        let mut medians = [0.0; 2];
        for slot in 0..2 {
            let is_candidate = (slot == 0) == candidate_first;
            let true_tps = if is_candidate {
                base_tps * factor
            } else {
                base_tps
            };
            drift += noise.drift_step * rng.normal(); // warm-up, discarded
            let mut runs: Vec<f64> = (0..reps)
                .map(|_| {
                    drift += noise.drift_step * rng.normal();
                    let slow = if rng.chance(noise.outlier_chance) {
                        1.0 + noise.outlier_slowdown
                    } else {
                        1.0
                    };
                    let time =
                        shift * slow * (drift + noise.sigma_run * rng.normal()).exp() / true_tps;
                    1.0 / time
                })
                .collect();
            runs.sort_by(f64::total_cmp);
            medians[usize::from(is_candidate)] = runs[reps / 2];
        }
        out.baseline.push(medians[0]);
        out.candidate.push(medians[1]);
    }
    out
}
