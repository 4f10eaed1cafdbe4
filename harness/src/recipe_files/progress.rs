//! [`MakeProgress`]: what making a recipe file reports as it goes, and a
//! terminal bar for it.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

/// Steps of making a recipe file, reported from the thread making it.
pub trait MakeProgress: Sync {
    /// `done` of `total` tensors converted.
    fn converting(&self, done: usize, total: usize);
    /// `written` of about `total` bytes written.
    fn writing(&self, written: u64, total: u64);
    /// A file (the cached one, or the one just written) is being hashed.
    fn hashing(&self);
}

/// No report.
impl MakeProgress for () {
    fn converting(&self, _: usize, _: usize) {}
    fn writing(&self, _: u64, _: u64) {}
    fn hashing(&self) {}
}

/// A bar on standard error while a file is made, when it is a terminal.
pub struct Bar {
    bar: Option<ProgressBar>,
    /// Tensors converted so far, and of how many.
    converted: AtomicUsize,
    to_convert: AtomicUsize,
}

impl Bar {
    /// A bar labelled `label` (e.g. `small q4_0`); hidden when standard
    /// error is not a terminal.
    pub fn new(label: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(1);
            if let Ok(style) =
                ProgressStyle::with_template("{prefix} {bar:30.green/blue} {msg} {elapsed}")
            {
                bar.set_style(style);
            }
            bar.set_prefix(format!("recipe file {label}"));
            bar
        });
        Bar {
            bar,
            converted: AtomicUsize::new(0),
            to_convert: AtomicUsize::new(0),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl MakeProgress for Bar {
    fn converting(&self, done: usize, total: usize) {
        // The bar counts bytes written; conversions show in its text.
        self.converted.store(done, Ordering::Relaxed);
        self.to_convert.store(total, Ordering::Relaxed);
    }

    fn writing(&self, written: u64, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total.max(written));
            bar.set_position(written);
            bar.set_message(format!(
                "written {:.0}/{:.0} MiB, converted {}/{} tensors",
                written as f64 / 1048576.0,
                total as f64 / 1048576.0,
                self.converted.load(Ordering::Relaxed),
                self.to_convert.load(Ordering::Relaxed),
            ));
        }
    }

    fn hashing(&self) {
        if let Some(bar) = &self.bar {
            bar.set_message("hashing");
        }
    }
}
