//! One module per subcommand: argument types and the code that runs them.

pub mod eval;
pub mod generate;
pub mod loading;
pub mod matrix_check;
pub mod matrix_expand;
pub mod models_inspect;
pub mod models_quantize;
pub mod models_synth;
pub mod report;
pub mod run;
