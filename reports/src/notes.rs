//! Footnotes: the reasons values are missing, numbered in the order first
//! met, each reason once.

/// Reasons with their numbers (1-based, in order).
#[derive(Debug, Default)]
pub(crate) struct Notes(Vec<String>);

impl Notes {
    /// The number of `reason`'s note, adding it when new.
    pub fn number(&mut self, reason: &str) -> usize {
        match self.0.iter().position(|n| n == reason) {
            Some(i) => i + 1,
            None => {
                self.0.push(reason.to_owned());
                self.0.len()
            }
        }
    }

    /// Every note, note 1 first.
    pub fn all(&self) -> &[String] {
        &self.0
    }

    /// The notes, note 1 first.
    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}
