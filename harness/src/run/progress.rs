//! Progress of a run: bars on a terminal (cells done of total, the current
//! cell, ETA), plain lines otherwise.

use std::io::IsTerminal;

use edgebench_schema::{JobResult, Status};
use indicatif::{ProgressBar, ProgressStyle};

use crate::plan::Cell;

/// Reports cells as they start and finish.
pub struct Progress {
    bar: Option<ProgressBar>,
    done: usize,
    total: usize,
}

impl Progress {
    /// `total` cells, `done` of them finished in an earlier invocation.
    pub fn new(total: usize, done: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64).with_position(done as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} cells  ETA {eta}  {wide_msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress { bar, done, total }
    }

    /// A free message (accuracy jobs, model preparation).
    pub fn message(&mut self, text: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(text.to_owned()),
            None => eprintln!("{text}"),
        }
    }

    /// A cell starts.
    pub fn start_cell(&mut self, cell: &Cell) {
        let text = describe(cell);
        match &self.bar {
            Some(bar) => bar.set_message(text),
            None => eprintln!("[{}/{}] {text}", self.done + 1, self.total),
        }
    }

    /// A cell finished with `result`.
    pub fn finish_cell(&mut self, cell: &Cell, result: &JobResult) {
        self.done += 1;
        let line = match (result.status, &result.latency) {
            (Status::Ok, Some(l)) => format!(
                "{}: decode {:.1} tokens/s, first token {:.1} ms",
                describe(cell),
                l.decode_tps.median,
                l.ttft_s.median * 1e3
            ),
            (s, _) => format!(
                "{}: {}: {}",
                describe(cell),
                s.name(),
                result.error.as_deref().unwrap_or("")
            ),
        };
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                if result.status != Status::Ok {
                    bar.println(line);
                }
            }
            None => eprintln!("    {line}"),
        }
    }

    /// All cells are done.
    pub fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn describe(cell: &Cell) -> String {
    format!(
        "{} {} {} on {}, {} threads, prompt {} gen {}",
        cell.short_id(),
        cell.model,
        cell.recipe,
        cell.device,
        cell.threads,
        cell.prompt_tokens,
        cell.gen_tokens
    )
}
