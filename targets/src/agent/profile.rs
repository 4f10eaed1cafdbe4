//! The kernel's per-op [`Profile`] as the result's [`ProfileReport`], and the
//! extra profiled repetition a job can ask for.

use std::sync::Arc;

use edgebench_kernels::model::{
    Logits, Model, ModelError, PhaseProfile, Profile, Session, SessionOptions,
};
use edgebench_schema::{OpLine, PhaseReport, ProfileReport};

/// The report of `profile`.
pub fn profile_report(profile: &Profile) -> ProfileReport {
    ProfileReport {
        prefill: phase(&profile.prefill),
        decode: phase(&profile.decode),
    }
}

fn phase(p: &PhaseProfile) -> PhaseReport {
    let tokens = p.tokens().max(1) as f64;
    PhaseReport {
        forwards: p.forwards(),
        tokens: p.tokens(),
        ms_per_token: p.wall().as_secs_f64() * 1e3 / tokens,
        ops: p
            .rows()
            .into_iter()
            .map(|r| OpLine {
                op: r.op.name().to_owned(),
                calls: r.calls,
                ms_per_token: r.ms_per_token,
                share_pct: r.share * 100.0,
                weight_gb_per_s: r.weight_gb_per_s,
            })
            .collect(),
        unattributed_ms_per_token: p.unattributed().as_secs_f64() * 1e3 / tokens,
    }
}

/// One repetition (the prompt, then `gen_tokens - 1` greedy decode steps)
/// on a fresh profiled session of `options` over `model`.
///
/// # Errors
/// As [`Session::new`] and [`Session::forward`].
pub fn profiled_rep(
    model: &Arc<Model>,
    options: &SessionOptions,
    prompt: &[u32],
    gen_tokens: u32,
) -> Result<ProfileReport, ModelError> {
    let mut session = Session::new(Arc::clone(model), &options.clone().profile(true))?;
    let mut sampler = edgebench_kernels::generate::Sampler::greedy();
    let mut last = sampler.sample(session.forward(prompt, Logits::Last)?)?;
    for _ in 1..gen_tokens {
        last = sampler.sample(session.forward(&[last], Logits::Last)?)?;
    }
    let profile = session.profile().map(profile_report);
    Ok(profile.unwrap_or_else(|| profile_report(&Profile::default())))
}
