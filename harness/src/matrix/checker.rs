//! [`Checker`]: where validation records its errors.

use std::ops::Range;
use std::sync::Arc;

use super::diagnostic::{Diagnostic, Diagnostics};
use super::source::{Location, Source};

/// Records errors found in one file.
pub struct Checker<'e> {
    /// The file being checked.
    pub source: Arc<Source>,
    /// Where errors go.
    pub errors: &'e mut Diagnostics,
}

impl Checker<'_> {
    /// The location of `span` in the file.
    pub fn at(&self, span: Range<usize>) -> Location {
        Location::new(&self.source, span)
    }

    /// Records an error at `span`.
    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let d = Diagnostic::new(message).at(self.at(span));
        self.errors.push(d);
    }

    /// Records a prepared error.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.errors.push(diagnostic);
    }

    /// Records a "duplicate name" error at `span`, pointing back at the
    /// first definition.
    pub fn duplicate(&mut self, what: &str, name: &str, span: Range<usize>, first: Range<usize>) {
        let first = self.at(first).position();
        let d = Diagnostic::new(format!("duplicate {what} name `{name}`"))
            .at(self.at(span))
            .help(format!(
                "`{name}` is first defined at {first}; names must be unique"
            ));
        self.errors.push(d);
    }
}
