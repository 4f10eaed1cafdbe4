//! How a token sequence is cut into perplexity windows, exactly as
//! llama.cpp's perplexity tool does: consecutive non-overlapping windows of
//! `ctx` tokens, the first token of each replaced by BOS when the model adds
//! one, and only the second half of each window scored (every scored token
//! has at least `ctx / 2` tokens of context).

use std::ops::Range;

use super::EvalError;

/// The windows over a token sequence and which positions of each are scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowPlan {
    ctx: usize,
    n_windows: usize,
}

impl WindowPlan {
    /// Plans windows of `ctx` tokens over `n_tokens` tokens.
    ///
    /// # Errors
    /// [`EvalError::ContextTooSmall`] for `ctx < 4`,
    /// [`EvalError::TextTooShort`] when not even one window fits.
    pub fn new(n_tokens: usize, ctx: usize) -> Result<Self, EvalError> {
        if ctx < 4 {
            return Err(EvalError::ContextTooSmall { ctx });
        }
        let n_windows = n_tokens / ctx;
        if n_windows == 0 {
            return Err(EvalError::TextTooShort { n_tokens, ctx });
        }
        Ok(WindowPlan { ctx, n_windows })
    }

    /// Tokens per window.
    pub fn ctx(&self) -> usize {
        self.ctx
    }

    /// Number of windows (tokens past the last whole window are unused).
    pub fn n_windows(&self) -> usize {
        self.n_windows
    }

    /// The token range of window `i`.
    pub fn window(&self, i: usize) -> Range<usize> {
        i * self.ctx..(i + 1) * self.ctx
    }

    /// Positions inside a window whose logits are scored: logits at
    /// position `j` predict the token at `j + 1`, for `j` in
    /// `ctx/2 .. ctx-1`.
    pub fn scored_positions(&self) -> Range<usize> {
        self.ctx / 2..self.ctx - 1
    }

    /// Scored tokens per window.
    pub fn scored_per_window(&self) -> usize {
        self.scored_positions().len()
    }

    /// Scored tokens over all windows.
    pub fn total_scored(&self) -> usize {
        self.scored_per_window() * self.n_windows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_match_llama_perplexity() {
        // 1000 tokens at ctx 256: 3 windows, positions 128..255 scored
        // (127 tokens each), tokens 768.. unused.
        let p = WindowPlan::new(1000, 256).unwrap();
        assert_eq!(p.n_windows(), 3);
        assert_eq!(p.window(2), 512..768);
        assert_eq!(p.scored_positions(), 128..255);
        assert_eq!(p.total_scored(), 3 * 127);
    }

    #[test]
    fn too_short_or_too_small_is_an_error() {
        assert!(matches!(
            WindowPlan::new(255, 256),
            Err(EvalError::TextTooShort {
                n_tokens: 255,
                ctx: 256
            })
        ));
        assert!(matches!(
            WindowPlan::new(0, 8),
            Err(EvalError::TextTooShort { .. })
        ));
        assert!(matches!(
            WindowPlan::new(100, 3),
            Err(EvalError::ContextTooSmall { ctx: 3 })
        ));
        let p = WindowPlan::new(4, 4).unwrap();
        assert_eq!(p.scored_positions(), 2..3);
    }
}
