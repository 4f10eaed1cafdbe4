//! A [`Session`] scores windows: each window runs from an empty KV cache, the
//! unscored first half as one batch without logits, the scored half as one
//! batch with logits for every position.

use super::{EvalError, WindowScorer};
use crate::model::{Logits, Session};

impl WindowScorer for Session {
    fn n_vocab(&self) -> usize {
        self.model().config().n_vocab
    }

    fn logits(&mut self, tokens: &[u32], score_from: usize) -> Result<&[f32], EvalError> {
        self.reset();
        if score_from > 0 {
            self.forward(&tokens[..score_from], Logits::Last)?;
        }
        Ok(self.forward(&tokens[score_from..], Logits::All)?)
    }
}
