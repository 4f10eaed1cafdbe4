//! Sampling: greedy, seeded draws, top-k, top-p and parameter checks; and
//! the generation loop on a small model.

mod forward_support;

use std::sync::Arc;

use edgebench_kernels::generate::{GenerateOptions, Sampler, SamplerConfig, StopReason, generate};
use edgebench_kernels::model::{Logits, Model, ModelError, Session, SessionOptions};
use edgebench_kernels::quant::GgmlType;
use forward_support::{Spec, build};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn random_logits(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-4.0f32..4.0)).collect()
}

fn argmax(v: &[f32]) -> u32 {
    let mut best = 0;
    for i in 1..v.len() {
        if v[i] > v[best] {
            best = i;
        }
    }
    best as u32
}

#[test]
fn greedy_picks_the_argmax() {
    let mut s = Sampler::greedy();
    for seed in 0..20 {
        let logits = random_logits(seed, 300);
        assert_eq!(s.sample(&logits).unwrap(), argmax(&logits));
    }
    // Ties go to the first; NaN is never chosen over a number.
    assert_eq!(s.sample(&[1.0, 3.0, 3.0]).unwrap(), 1);
    assert_eq!(s.sample(&[f32::NAN, -1.0, f32::NAN]).unwrap(), 1);
    assert!(matches!(s.sample(&[]), Err(ModelError::EmptyInput)));
}

#[test]
fn top_k_one_and_zero_temperature_are_greedy() {
    let mut top1 = Sampler::new(SamplerConfig::with_temperature(1.5).top_k(1).seed(3)).unwrap();
    let mut cold = Sampler::new(SamplerConfig::with_temperature(0.0).seed(3)).unwrap();
    for seed in 0..20 {
        let logits = random_logits(seed, 64);
        assert_eq!(top1.sample(&logits).unwrap(), argmax(&logits));
        assert_eq!(cold.sample(&logits).unwrap(), argmax(&logits));
    }
}

#[test]
fn a_fixed_seed_gives_a_fixed_sequence() {
    let config = SamplerConfig::with_temperature(1.0)
        .top_k(20)
        .top_p(0.9)
        .seed(42);
    let draw = |config: SamplerConfig| -> Vec<u32> {
        let mut s = Sampler::new(config).unwrap();
        (0..50)
            .map(|i| s.sample(&random_logits(i, 100)).unwrap())
            .collect()
    };
    let a = draw(config.clone());
    assert_eq!(a, draw(config.clone()));
    assert_ne!(a, draw(config.seed(43)));
    // Not all greedy: the draws are random.
    let greedy: Vec<u32> = (0..50).map(|i| argmax(&random_logits(i, 100))).collect();
    assert_ne!(a, greedy);
}

#[test]
fn draws_follow_the_distribution() {
    // Probabilities 3, 8, 4, 2 and 2 in 19 at temperature 1.
    let logits = [
        3.0f32.ln(),
        8.0f32.ln(),
        4.0f32.ln(),
        2.0f32.ln(),
        2.0f32.ln(),
    ];
    let logits: Vec<f32> = logits.iter().map(|v| v - 3.0f32.ln()).collect();
    let mut s = Sampler::new(SamplerConfig::with_temperature(1.0).seed(9)).unwrap();
    let mut counts = [0usize; 5];
    let n = 20_000;
    for _ in 0..n {
        counts[s.sample(&logits).unwrap() as usize] += 1;
    }
    let total = 3.0 + 8.0 + 4.0 + 2.0 + 2.0;
    for (i, want) in [3.0, 8.0, 4.0, 2.0, 2.0].iter().enumerate() {
        let p = counts[i] as f64 / n as f64;
        // Standard deviation of a frequency at p ≤ 0.5 over 20 000 draws is
        // at most 0.0036; allow five of them.
        assert!((p - want / total).abs() < 0.018, "token {i}: {p}");
    }
}

#[test]
fn top_k_keeps_the_k_most_likely() {
    let logits = [0.5, 2.0, -1.0, 3.0, 1.0, 2.5];
    let mut s = Sampler::new(SamplerConfig::with_temperature(1.0).top_k(3)).unwrap();
    let d = s.distribution(&logits).unwrap();
    let ids: Vec<u32> = d.iter().map(|c| c.id).collect();
    assert_eq!(ids, [3, 5, 1]);
    let sum: f32 = d.iter().map(|c| c.prob).sum();
    assert!((sum - 1.0).abs() < 1e-6);
    for _ in 0..200 {
        assert!([3, 5, 1].contains(&s.sample(&logits).unwrap()));
    }
}

#[test]
fn top_p_keeps_the_smallest_set_reaching_p() {
    // Probabilities 0.4, 0.3, 0.2, 0.1 (ids 2, 0, 3, 1).
    let probs = [0.3f32, 0.1, 0.4, 0.2];
    let logits: Vec<f32> = probs.iter().map(|p| p.ln()).collect();
    for (p, want) in [
        (0.3, vec![2]),
        (0.4, vec![2]),
        (0.5, vec![2, 0]),
        (0.7, vec![2, 0]),
        (0.75, vec![2, 0, 3]),
        (0.95, vec![2, 0, 3, 1]),
        (1.0, vec![2, 0, 3, 1]),
    ] {
        let mut s = Sampler::new(SamplerConfig::with_temperature(1.0).top_p(p)).unwrap();
        let d = s.distribution(&logits).unwrap();
        let ids: Vec<u32> = d.iter().map(|c| c.id).collect();
        // 0.4 and 0.7 are reached exactly (up to rounding) by the first one
        // and two; allow the next one only there.
        if (p - 0.4f32).abs() < 1e-6 || (p - 0.7f32).abs() < 1e-6 {
            assert!(
                ids.starts_with(&want) && ids.len() <= want.len() + 1,
                "p={p}: {ids:?}"
            );
        } else {
            assert_eq!(ids, want, "p={p}");
        }
        let kept: f32 = want.iter().map(|&i| probs[i as usize]).sum();
        if ids == want {
            // Renormalised over the kept set.
            assert!((d[0].prob - 0.4 / kept).abs() < 1e-5, "p={p}");
        }
    }
}

#[test]
fn bad_parameters_are_errors() {
    for config in [
        SamplerConfig::with_temperature(-0.1),
        SamplerConfig::with_temperature(f32::NAN),
        SamplerConfig::with_temperature(f32::INFINITY),
        SamplerConfig::with_temperature(1.0).top_p(0.0),
        SamplerConfig::with_temperature(1.0).top_p(1.01),
        SamplerConfig::with_temperature(1.0).top_p(f32::NAN),
    ] {
        let err = Sampler::new(config.clone()).unwrap_err();
        assert!(
            matches!(err, ModelError::BadSampling { .. }),
            "{config:?}: {err}"
        );
    }
}

fn session(context: usize) -> Session {
    let spec = Spec::small("llama", GgmlType::Q8_0, true);
    let model = Arc::new(Model::load(build(&spec).file()).unwrap());
    Session::new(model, &SessionOptions::new(context)).unwrap()
}

#[test]
fn generation_reports_every_token_and_matches_step_by_step_greedy() {
    let prompt = [5, 17, 3, 60];
    let mut s = session(32);
    let mut events = Vec::new();
    let g = generate(
        &mut s,
        &mut Sampler::greedy(),
        &prompt,
        &GenerateOptions::new(6),
        |e| events.push(*e),
    )
    .unwrap();
    assert_eq!(g.stop, StopReason::MaxTokens);
    assert_eq!(g.tokens.len(), 6);
    assert_eq!(events.len(), 6);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            (e.index, e.token, e.latency),
            (i, g.tokens[i], g.latencies[i])
        );
    }
    assert_eq!(g.time_to_first_token(), g.latencies[0]);
    // The last token is sampled but not fed back.
    assert_eq!(s.position(), prompt.len() + 5);

    // The same by hand.
    let mut manual = session(32);
    let mut tok = argmax(manual.forward(&prompt, Logits::Last).unwrap());
    let mut want = vec![tok];
    for _ in 1..6 {
        tok = argmax(manual.forward(&[tok], Logits::Last).unwrap());
        want.push(tok);
    }
    assert_eq!(g.tokens, want);

    // Stopping at the third token's id.
    s.reset();
    let g2 = generate(
        &mut s,
        &mut Sampler::greedy(),
        &prompt,
        &GenerateOptions::new(6).stop_at(want[2]),
        |_| {},
    )
    .unwrap();
    let first = want.iter().position(|&t| t == want[2]).unwrap();
    assert_eq!(g2.stop, StopReason::StopToken);
    assert_eq!(g2.tokens, want[..=first]);
}

#[test]
fn generation_stops_at_a_full_context_and_checks_its_arguments() {
    let mut s = session(6);
    let g = generate(
        &mut s,
        &mut Sampler::greedy(),
        &[1, 2, 3, 4],
        &GenerateOptions::new(10),
        |_| {},
    )
    .unwrap();
    // Positions 4 and 5 take the first two generated tokens; the third is
    // sampled from the last position's logits.
    assert_eq!(
        (g.stop, g.tokens.len(), s.position()),
        (StopReason::ContextFull, 3, 6)
    );

    s.reset();
    let opts = GenerateOptions::new(0);
    assert!(matches!(
        generate(&mut s, &mut Sampler::greedy(), &[1], &opts, |_| {}),
        Err(ModelError::BadSampling {
            name: "max_tokens",
            ..
        })
    ));
    let opts = GenerateOptions::new(2);
    assert!(matches!(
        generate(&mut s, &mut Sampler::greedy(), &[], &opts, |_| {}),
        Err(ModelError::EmptyInput)
    ));
    assert!(matches!(
        generate(&mut s, &mut Sampler::greedy(), &[1; 7], &opts, |_| {}),
        Err(ModelError::ContextExceeded { .. })
    ));
}
