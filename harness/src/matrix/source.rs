//! [`Source`]: a TOML file as read, so that errors can point into it.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file's text and the name errors show for it.
#[derive(Debug)]
pub struct Source {
    /// The path as given or as resolved from the including file.
    pub path: PathBuf,
    /// The whole text.
    pub text: String,
}

/// A place in a source: a byte range of one file.
#[derive(Debug, Clone)]
pub struct Location {
    /// The file.
    pub source: Arc<Source>,
    /// Byte range inside [`Source::text`].
    pub span: Range<usize>,
}

impl Source {
    /// A source from its path and text.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<Source> {
        Arc::new(Source {
            path: path.into(),
            text: text.into(),
        })
    }

    /// The directory relative paths inside the file are resolved against.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    /// One-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    /// The text of one-based line `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        self.text
            .split('\n')
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .trim_end_matches('\r')
    }
}

impl Location {
    /// A location in `source`.
    pub fn new(source: &Arc<Source>, span: Range<usize>) -> Location {
        Location {
            source: Arc::clone(source),
            span,
        }
    }

    /// `path:line:col`, as error messages and tests show it.
    pub fn position(&self) -> String {
        let (line, col) = self.source.line_col(self.span.start);
        format!("{}:{line}:{col}", self.source.path.display())
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let s = Source::new("m.toml", "a = 1\nné = \"x\"\n");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(4), (1, 5));
        assert_eq!(s.line_col(6), (2, 1));
        // 'é' is two bytes: the '=' after it is column 4.
        assert_eq!(s.line_col(10), (2, 4));
        assert_eq!(s.line_text(2), "né = \"x\"");
        assert_eq!(s.line_text(9), "");
    }
}
