//! One module per subcommand: argument types and the code that runs them.

pub mod compare;
pub mod devices_check;
pub mod devices_clean;
pub mod eval;
pub mod generate;
pub mod generate_profile;
pub mod history;
pub mod history_output;
pub mod loading;
pub mod matrix_check;
pub mod matrix_expand;
pub mod models_cache;
pub mod models_inspect;
pub mod models_quantize;
pub mod models_synth;
pub mod report;
pub mod run;
pub mod runs_artifacts;
pub mod runs_list;
pub mod runs_tag;
pub mod runs_untag;
pub mod store_args;

/// Writes `report` to stdout as one pretty-printed JSON object when `json`,
/// else whatever `human` writes, then flushes.
///
/// # Errors
/// Writing to stdout failed.
pub(crate) fn print_report<T: serde::Serialize>(
    json: bool,
    report: &T,
    human: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
    } else {
        human(&mut out)?;
    }
    out.flush()?;
    Ok(())
}
