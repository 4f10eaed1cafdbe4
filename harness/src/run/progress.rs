//! Progress of a run: on a terminal, a bar of cells done of total with its
//! ETA and one line per device (its current step, upload or cell); plain
//! lines otherwise.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use edgebench_schema::{JobResult, Status};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::plan::Cell;
use crate::target::Deployment;
use crate::target::device_cache::human;

/// Reports cells as they start and finish.
pub struct Progress {
    multi: Option<MultiProgress>,
    bar: Option<ProgressBar>,
    devices: BTreeMap<String, ProgressBar>,
    done: usize,
    total: usize,
}

impl Progress {
    /// `total` cells, `done` of them finished in an earlier invocation.
    pub fn new(total: usize, done: usize) -> Self {
        let multi = std::io::stderr().is_terminal().then(MultiProgress::new);
        let bar = multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new(total as u64).with_position(done as u64));
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} cells  ETA {eta}  {wide_msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            multi,
            bar,
            devices: BTreeMap::new(),
            done,
            total,
        }
    }

    /// A device with `cells` to run gets its own line.
    pub fn add_device(&mut self, device: &str, cells: usize) {
        let Some(multi) = &self.multi else { return };
        let line = multi.add(ProgressBar::new(0));
        if let Ok(style) = ProgressStyle::with_template("  {prefix:>12.bold} {wide_msg}") {
            line.set_style(style);
        }
        line.set_prefix(device.to_owned());
        line.set_message(format!("{cells} cells waiting"));
        self.devices.insert(device.to_owned(), line);
    }

    fn device_line(&self, device: &str, text: String) {
        match self.devices.get(device) {
            Some(line) => line.set_message(text),
            None if self.multi.is_none() => eprintln!("{device}: {text}"),
            None => {}
        }
    }

    /// A deployment step on `device`.
    pub fn device_step(&mut self, device: &str, text: &str) {
        self.device_line(device, text.to_owned());
    }

    /// Upload progress on `device` (terminal only).
    pub fn device_bytes(&mut self, device: &str, sent: u64, total: u64) {
        if let Some(line) = self.devices.get(device) {
            let pct = if total == 0 {
                100.0
            } else {
                sent as f64 * 100.0 / total as f64
            };
            line.set_message(format!(
                "uploading: {} of {} ({pct:.0} %)",
                human(sent),
                human(total)
            ));
        }
    }

    /// `device` holds what its cells need: what was sent.
    pub fn deployed(&mut self, device: &str, d: &Deployment) {
        let line = format!(
            "deployed: {} bytes sent ({}), {} files uploaded, {} already there; agent: {}",
            d.bytes_sent,
            human(d.bytes_sent),
            d.uploaded,
            d.present,
            d.agent
        );
        self.println(&format!("{device}: {line}"));
        self.device_line(device, "deployed".to_owned());
    }

    /// `device` was given up.
    pub fn device_down(&mut self, device: &str, reason: &str) {
        self.println(&format!("{device}: unreachable: {reason}"));
        self.device_line(device, "unreachable".to_owned());
    }

    fn println(&self, line: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => eprintln!("{line}"),
        }
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
        match self.devices.get(&cell.device) {
            Some(line) => line.set_message(text),
            None => match &self.bar {
                Some(bar) => bar.set_message(text),
                None => eprintln!("[{}/{}] {text}", self.done + 1, self.total),
            },
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
        for (_, line) in std::mem::take(&mut self.devices) {
            line.finish_and_clear();
        }
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn describe(cell: &Cell) -> String {
    let runtime = if cell.runtime.is_default() {
        String::new()
    } else {
        format!(" ({})", cell.runtime)
    };
    format!(
        "{} {} {}{runtime} on {}, {} threads, prompt {} gen {}",
        cell.short_id(),
        cell.model,
        cell.recipe,
        cell.device,
        cell.threads,
        cell.prompt_tokens,
        cell.gen_tokens
    )
}
