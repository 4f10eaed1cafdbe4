//! The repetition loop of the measurement protocol: warm-up, then measured
//! repetitions until both the minimum count and the minimum time are met,
//! each timed phase by phase and token by token.

use std::time::{Duration, Instant};

/// One inference the protocol can repeat: a prompt prefill that yields the
/// first token, then single-token decode steps.
pub trait Inference {
    /// The error a step can fail with.
    type Error;

    /// Forgets the previous repetition (empties the KV cache).
    fn reset(&mut self);

    /// Runs the prompt and picks the first generated token.
    ///
    /// # Errors
    /// Whatever the model reports.
    fn prefill(&mut self) -> Result<(), Self::Error>;

    /// Generates one more token.
    ///
    /// # Errors
    /// Whatever the model reports.
    fn decode(&mut self) -> Result<(), Self::Error>;

    /// The token the last step chose, when the inference picks tokens.
    fn last_token(&self) -> Option<u32> {
        None
    }
}

impl<I: Inference + ?Sized> Inference for Box<I> {
    type Error = I::Error;

    fn reset(&mut self) {
        (**self).reset();
    }

    fn prefill(&mut self) -> Result<(), Self::Error> {
        (**self).prefill()
    }

    fn decode(&mut self) -> Result<(), Self::Error> {
        (**self).decode()
    }

    fn last_token(&self) -> Option<u32> {
        (**self).last_token()
    }
}

/// A phase boundary inside a repetition, for meters read at boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// Before the prefill.
    RepStart,
    /// After the first token.
    PrefillEnd,
    /// After the last token.
    RepEnd,
}

/// How many repetitions to run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepPolicy {
    /// Discarded repetitions first.
    pub warmup: u32,
    /// Measured repetitions, at least.
    pub min_reps: u32,
    /// Measured time, at least.
    pub min_time: Duration,
    /// Measured repetitions, at most.
    pub max_reps: u32,
    /// Tokens generated per repetition (the first comes from the prefill).
    pub gen_tokens: u32,
}

/// The timing of one measured repetition.
#[derive(Debug, Clone, PartialEq)]
pub struct RepTiming {
    /// When the prefill started.
    pub start: Instant,
    /// When the first token was ready.
    pub first_token: Instant,
    /// When the last token was ready.
    pub end: Instant,
    /// Latency of each decode step after the first token.
    pub token_latencies: Vec<Duration>,
}

impl RepTiming {
    /// Time to first token.
    pub fn ttft(&self) -> Duration {
        self.first_token - self.start
    }

    /// Time of the decode phase.
    pub fn decode_time(&self) -> Duration {
        self.end - self.first_token
    }

    /// Whole repetition.
    pub fn e2e(&self) -> Duration {
        self.end - self.start
    }

    /// Decode steps per second; `None` without decode steps.
    pub fn decode_tps(&self) -> Option<f64> {
        let secs = self.decode_time().as_secs_f64();
        (!self.token_latencies.is_empty() && secs > 0.0)
            .then(|| self.token_latencies.len() as f64 / secs)
    }
}

/// Runs the warm-up then the measured repetitions. `observe` sees every
/// boundary of measured repetitions (with its instant) so counter meters can
/// be read there; it is not called during warm-up.
///
/// # Errors
/// The first error of the inference.
pub fn run_reps<I: Inference>(
    inference: &mut I,
    policy: &RepPolicy,
    observe: &mut dyn FnMut(Boundary, Instant),
) -> Result<Vec<RepTiming>, I::Error> {
    let steps = policy.gen_tokens.saturating_sub(1) as usize;
    for _ in 0..policy.warmup {
        inference.reset();
        inference.prefill()?;
        for _ in 0..steps {
            inference.decode()?;
        }
    }
    // The counts come from a job: reserve for a sensible number only.
    let mut reps = Vec::with_capacity(policy.min_reps.min(1024) as usize);
    let mut measured = Duration::ZERO;
    while reps.len() < policy.max_reps as usize
        && (reps.len() < policy.min_reps as usize || measured < policy.min_time)
    {
        inference.reset();
        let start = Instant::now();
        observe(Boundary::RepStart, start);
        inference.prefill()?;
        let first_token = Instant::now();
        observe(Boundary::PrefillEnd, first_token);
        let mut token_latencies = Vec::with_capacity(steps.min(1 << 16));
        let mut last = first_token;
        for _ in 0..steps {
            inference.decode()?;
            let now = Instant::now();
            token_latencies.push(now - last);
            last = now;
        }
        observe(Boundary::RepEnd, last);
        let rep = RepTiming {
            start,
            first_token,
            end: last,
            token_latencies,
        };
        measured += rep.e2e();
        reps.push(rep);
    }
    Ok(reps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Counting {
        resets: u32,
        prefills: u32,
        decodes: u32,
        fail_at_prefill: Option<u32>,
    }

    impl Inference for Counting {
        type Error = String;
        fn reset(&mut self) {
            self.resets += 1;
        }
        fn prefill(&mut self) -> Result<(), String> {
            self.prefills += 1;
            if Some(self.prefills) == self.fail_at_prefill {
                return Err("boom".into());
            }
            Ok(())
        }
        fn decode(&mut self) -> Result<(), String> {
            self.decodes += 1;
            Ok(())
        }
    }

    fn policy(warmup: u32, min_reps: u32, min_time: Duration, max_reps: u32) -> RepPolicy {
        RepPolicy {
            warmup,
            min_reps,
            min_time,
            max_reps,
            gen_tokens: 4,
        }
    }

    #[test]
    fn warmup_then_min_reps_with_boundaries() {
        let mut inf = Counting::default();
        let mut seen = Vec::new();
        let reps = run_reps(&mut inf, &policy(2, 3, Duration::ZERO, 10), &mut |b, _| {
            seen.push(b)
        })
        .unwrap();
        assert_eq!(reps.len(), 3);
        assert_eq!((inf.resets, inf.prefills, inf.decodes), (5, 5, 15));
        assert!(reps.iter().all(|r| r.token_latencies.len() == 3));
        assert_eq!(seen.len(), 9);
        assert_eq!(
            seen[..3],
            [Boundary::RepStart, Boundary::PrefillEnd, Boundary::RepEnd]
        );
        for r in &reps {
            assert!(r.start <= r.first_token && r.first_token <= r.end);
            let sum: Duration = r.token_latencies.iter().sum();
            assert_eq!(sum, r.decode_time());
        }
    }

    #[test]
    fn min_time_is_capped_by_max_reps() {
        let mut inf = Counting::default();
        let reps = run_reps(
            &mut inf,
            &policy(0, 1, Duration::from_secs(3600), 7),
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(reps.len(), 7);
    }

    #[test]
    fn errors_stop_the_loop() {
        let mut inf = Counting {
            fail_at_prefill: Some(3),
            ..Default::default()
        };
        let err = run_reps(&mut inf, &policy(1, 5, Duration::ZERO, 9), &mut |_, _| {});
        assert_eq!(err, Err("boom".to_string()));
        assert_eq!(inf.prefills, 3);
    }

    #[test]
    fn one_token_has_no_decode_rate() {
        let mut inf = Counting::default();
        let mut p = policy(0, 1, Duration::ZERO, 1);
        p.gen_tokens = 1;
        let reps = run_reps(&mut inf, &p, &mut |_, _| {}).unwrap();
        assert_eq!(reps[0].decode_tps(), None);
        assert_eq!(inf.decodes, 0);
    }
}
