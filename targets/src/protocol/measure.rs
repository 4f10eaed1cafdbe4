//! [`measure`]: the repetitions of a job with a meter and hardware counters
//! read at every phase boundary, then the energy of every window.

use std::time::Duration;

use super::{Boundary, Inference, RepPolicy, RepTiming, run_reps};
use crate::counters::{CounterSnapshot, Counters, HwCounters};
use crate::meters::{Mark, Meter, MeterKind, WindowEnergy, idle_power};

/// Hardware counters read at rep boundaries.
///
/// [`Counters`] is the real source; tests plug in a fake.
pub trait CounterSource {
    /// The readings at one boundary.
    type Snapshot;
    /// Reads every counter now.
    fn read(&self) -> Self::Snapshot;
    /// The counts from `from` to `to`, with the reason for every missing
    /// counter.
    fn delta(&self, from: &Self::Snapshot, to: &Self::Snapshot) -> HwCounters;
}

impl CounterSource for Counters {
    type Snapshot = CounterSnapshot;

    fn read(&self) -> CounterSnapshot {
        Counters::read(self)
    }

    fn delta(&self, from: &CounterSnapshot, to: &CounterSnapshot) -> HwCounters {
        from.delta(to)
    }
}

/// One measured repetition with what the meter and counters saw.
#[derive(Debug, Clone)]
pub struct MeasuredRep {
    /// Timing of the phases and tokens.
    pub timing: RepTiming,
    /// Energy over the whole repetition.
    pub total: WindowEnergy,
    /// Energy from the start to the first token.
    pub prefill: WindowEnergy,
    /// Energy from the first token to the last.
    pub decode: WindowEnergy,
    /// Counts over the whole repetition; `None` when counters are not read.
    pub counters: Option<HwCounters>,
}

/// Everything [`measure`] saw, ready to be summarized.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// The meter's kind.
    pub meter: MeterKind,
    /// The meter's description (source, rail, rate).
    pub meter_description: String,
    /// The idle window before the repetitions; `None` when the idle window
    /// is zero seconds or could not be marked (see `idle_note`).
    pub idle: Option<WindowEnergy>,
    /// Why there is no idle window.
    pub idle_note: Option<String>,
    /// Warm-up repetitions run.
    pub warmup_reps: u32,
    /// The measured repetitions in order.
    pub reps: Vec<MeasuredRep>,
    /// One window from the start of the first repetition to the end of the
    /// last, for sample accounting; `None` without repetitions.
    pub span: Option<WindowEnergy>,
}

/// Marks taken at the three boundaries of one repetition.
struct RepMarks<S> {
    marks: [Option<Result<Mark, String>>; 3],
    counters: [Option<S>; 3],
}

impl<S> RepMarks<S> {
    fn empty() -> Self {
        RepMarks {
            marks: [None, None, None],
            counters: [None, None, None],
        }
    }
}

fn slot(boundary: Boundary) -> usize {
    match boundary {
        Boundary::RepStart => 0,
        Boundary::PrefillEnd => 1,
        Boundary::RepEnd => 2,
    }
}

/// Energy between two marks, or a window saying why there is none.
fn window_between(
    meter: &dyn Meter,
    from: &Option<Result<Mark, String>>,
    to: &Option<Result<Mark, String>>,
    duration: Duration,
) -> WindowEnergy {
    match (from, to) {
        (Some(Ok(a)), Some(Ok(b))) => meter.window(a, b),
        (Some(Err(e)), _) | (_, Some(Err(e))) => WindowEnergy::unavailable(
            meter.kind(),
            duration.as_secs_f64(),
            format!("meter mark failed: {e}"),
        ),
        _ => WindowEnergy::unavailable(meter.kind(), duration.as_secs_f64(), "no mark"),
    }
}

/// Runs the protocol: the idle window (`idle`, skipped when zero), then
/// [`run_reps`] with a meter [`mark`](Meter::mark) and a counter read at
/// every boundary, then the energy of each repetition, its prefill and its
/// decode phase. `meter` must be started; it is left running.
/// `counters` is `None` when the job does not ask for them. `progress`
/// receives one line per measured repetition.
///
/// # Errors
/// The first error of the inference.
pub fn measure<I: Inference, C: CounterSource>(
    inference: &mut I,
    policy: &RepPolicy,
    meter: &mut dyn Meter,
    counters: Option<&C>,
    idle: Duration,
    progress: &mut dyn FnMut(&str),
) -> Result<Measurement, I::Error> {
    let (idle, idle_note) = if idle.is_zero() {
        (None, Some("no idle window (idle_seconds is 0)".to_owned()))
    } else {
        match idle_power(meter, idle) {
            Ok(w) => (Some(w), None),
            Err(e) => (None, Some(format!("idle window could not be marked: {e}"))),
        }
    };
    let mut all_marks: Vec<RepMarks<C::Snapshot>> = Vec::new();
    let mut current = RepMarks::<C::Snapshot>::empty();
    let timings = run_reps(inference, policy, &mut |boundary, _at| {
        let i = slot(boundary);
        // Counters first at the start and last at the end, so the meter's
        // own work stays outside the counted window as far as possible.
        if boundary == Boundary::RepStart {
            current.marks[i] = Some(meter.mark().map_err(|e| e.to_string()));
            current.counters[i] = counters.map(CounterSource::read);
        } else {
            current.counters[i] = counters.map(CounterSource::read);
            current.marks[i] = Some(meter.mark().map_err(|e| e.to_string()));
        }
        if boundary == Boundary::RepEnd {
            all_marks.push(std::mem::replace(&mut current, RepMarks::empty()));
            progress(&format!("measured rep {}", all_marks.len()));
        }
    })?;
    let span = match (all_marks.first(), all_marks.last()) {
        (Some(first), Some(last)) => {
            let whole = timings
                .first()
                .zip(timings.last())
                .map_or(Duration::ZERO, |(a, b)| {
                    b.end.saturating_duration_since(a.start)
                });
            Some(window_between(
                meter,
                &first.marks[0],
                &last.marks[2],
                whole,
            ))
        }
        _ => None,
    };
    let mut reps = Vec::with_capacity(timings.len());
    for (timing, m) in timings.into_iter().zip(all_marks) {
        let total = window_between(meter, &m.marks[0], &m.marks[2], timing.e2e());
        let prefill = window_between(meter, &m.marks[0], &m.marks[1], timing.ttft());
        let decode = window_between(meter, &m.marks[1], &m.marks[2], timing.decode_time());
        let counts = match (counters, &m.counters[0], &m.counters[2]) {
            (Some(c), Some(a), Some(b)) => Some(c.delta(a, b)),
            _ => None,
        };
        reps.push(MeasuredRep {
            timing,
            total,
            prefill,
            decode,
            counters: counts,
        });
    }
    Ok(Measurement {
        meter: meter.kind(),
        meter_description: meter.description(),
        idle,
        idle_note,
        warmup_reps: policy.warmup,
        reps,
        span,
    })
}
