//! [`Diagnostic`]: one error in a matrix or inventory, with where it is and
//! how to fix it, rendered the way rustc and cargo render theirs.

use std::fmt;

use edgebench_kernels::recipe::nearest;

use super::source::Location;

/// One error: what is wrong, where, and a hint when there is one.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// What is wrong.
    pub message: String,
    /// Where, when the error has a place in a file.
    pub location: Option<Location>,
    /// How to fix it (`did you mean 'name'?`).
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with no place yet.
    pub fn new(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            location: None,
            help: None,
        }
    }

    /// Sets the place.
    pub fn at(mut self, location: Location) -> Diagnostic {
        self.location = Some(location);
        self
    }

    /// Sets the hint.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the hint to "did you mean" the candidate nearest to `word`, if
    /// one is close enough.
    pub fn suggest<'a>(self, word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        match nearest(word, candidates) {
            Some(s) => self.help(format!("did you mean `{s}`?")),
            None => self,
        }
    }

    /// `path:line:col` of the error, when it has a place.
    pub fn position(&self) -> Option<String> {
        self.location.as_ref().map(Location::position)
    }
}

impl fmt::Display for Diagnostic {
    /// ```text
    /// error: unknown key `nmae` in [[models]]
    ///  --> matrix.toml:3:1
    ///   |
    /// 3 | nmae = "tiny"
    ///   | ^^^^
    ///   = help: did you mean `name`?
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        let Some(loc) = &self.location else {
            if let Some(help) = &self.help {
                writeln!(f, "  = help: {help}")?;
            }
            return Ok(());
        };
        let (line, col) = loc.source.line_col(loc.span.start);
        let text = loc.source.line_text(line);
        let gutter = " ".repeat(line.to_string().len());
        writeln!(f, "{gutter}--> {}", loc.position())?;
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{line} | {text}")?;
        // The caret runs to the end of the span or of the line.
        let (end_line, end_col) = loc.source.line_col(loc.span.end);
        let line_chars = text.chars().count() + 1;
        let end = if end_line == line {
            end_col
        } else {
            line_chars
        };
        let width = end.saturating_sub(col).max(1);
        let pad: String = text
            .chars()
            .take(col - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(f, "{gutter} | {pad}{}", "^".repeat(width))?;
        if let Some(help) = &self.help {
            writeln!(f, "{gutter} = help: {help}")?;
        }
        Ok(())
    }
}

/// Every error found in a matrix and the files it includes.
#[derive(Debug, Clone, Default, thiserror::Error)]
#[error("{}", summary(.0.len()))]
pub struct Diagnostics(pub Vec<Diagnostic>);

fn summary(n: usize) -> String {
    match n {
        1 => "1 error".to_owned(),
        n => format!("{n} errors"),
    }
}

impl Diagnostics {
    /// Adds one error.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Whether no error was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every error rendered, one after the other, separated by blank lines.
    pub fn render(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        parts.join("\n")
    }

    /// `Ok(value)` when no error was found.
    ///
    /// # Errors
    /// The errors, when there are any.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::source::Source;

    #[test]
    fn renders_like_rustc() {
        let s = Source::new("m.toml", "[[models]]\nnmae = \"tiny\"\n");
        let d = Diagnostic::new("unknown key `nmae` in [[models]]")
            .at(Location::new(&s, 11..15))
            .suggest("nmae", ["name", "path"]);
        assert_eq!(
            d.to_string(),
            "error: unknown key `nmae` in [[models]]\n --> m.toml:2:1\n  |\n2 | nmae = \"tiny\"\n  | ^^^^\n  = help: did you mean `name`?\n"
        );
    }
}
