//! The evaluation text used by `text = "builtin"`.

/// English prose built into the binary, so accuracy can be measured with
/// no file at hand: the text the synthetic tokenizers are trained on.
pub const BUILTIN_TEXT: &str = edgebench_kernels::synth::CORPUS;
