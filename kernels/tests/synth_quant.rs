//! Quantization error on synthetic weights: it must look like the error on a
//! trained model, so the weight statistics cannot silently degenerate (to
//! constants, to pure Gaussians, or to wild outliers).

use std::collections::BTreeMap;

use edgebench_kernels::model::TensorName;
use edgebench_kernels::quant::{self, GgmlType};
use edgebench_kernels::synth::{self, Preset};

/// Sums of squared error and squared value, per tensor role.
#[derive(Default, Clone, Copy)]
struct ErrorSums {
    err2: f64,
    ref2: f64,
}

impl ErrorSums {
    fn rel_rms(self) -> f64 {
        (self.err2 / self.ref2).sqrt()
    }
}

fn quant_error(preset: Preset, seed: u64, dtype: GgmlType) -> BTreeMap<&'static str, ErrorSums> {
    let model = synth::generate(preset, seed).unwrap();
    let mut by_role: BTreeMap<&'static str, ErrorSums> = BTreeMap::new();
    for (name, t) in model.tensors.iter() {
        let role = TensorName::parse(name).unwrap().role;
        if !role.is_matrix() {
            continue;
        }
        let values = t.to_f32(name).unwrap();
        let mut q = vec![0u8; quant::quantized_len(dtype, values.len()).unwrap()];
        quant::quantize(dtype, &values, &mut q).unwrap();
        let mut back = vec![0f32; values.len()];
        quant::dequantize(dtype, &q, &mut back).unwrap();
        let e = by_role.entry(role.stem()).or_default();
        for (a, b) in values.iter().zip(&back) {
            e.err2 += f64::from(a - b).powi(2);
            e.ref2 += f64::from(*a).powi(2);
        }
    }
    by_role
}

fn total(sums: &BTreeMap<&str, ErrorSums>) -> f64 {
    let t = sums
        .values()
        .fold(ErrorSums::default(), |acc, s| ErrorSums {
            err2: acc.err2 + s.err2,
            ref2: acc.ref2 + s.ref2,
        });
    t.rel_rms()
}

#[test]
fn quantization_error_is_in_the_range_of_trained_models() {
    // Trained checkpoints of this size land around 0.5-1 % (Q8_0) and
    // 8-15 % (Q4_0) relative RMS error on their weight matrices.
    let bounds = [(GgmlType::Q8_0, 0.003, 0.015), (GgmlType::Q4_0, 0.05, 0.20)];
    for (dtype, lo, hi) in bounds {
        let sums = quant_error(Preset::Small, 1, dtype);
        for (role, s) in &sums {
            println!(
                "{dtype:<5} {role:<12} rel RMS {:6.3} %",
                100.0 * s.rel_rms()
            );
            assert!(
                (lo..hi).contains(&s.rel_rms()),
                "{dtype} {role}: {}",
                s.rel_rms()
            );
        }
        let all = total(&sums);
        println!("{dtype:<5} {:<12} rel RMS {:6.3} %", "all", 100.0 * all);
        assert!((lo..hi).contains(&all), "{dtype}: {all}");
    }
}

#[test]
fn outlier_channels_make_blocks_harder_than_gaussian_noise() {
    // Pure Gaussian weights give about 8.5-9 % Q4_0 error; heavy tails and
    // outlier columns must push the synthetic weights clearly above it.
    let sums = quant_error(Preset::Tiny, 5, GgmlType::Q4_0);
    let all = total(&sums);
    assert!(all > 0.095, "Q4_0 rel RMS {all} looks Gaussian");
}
