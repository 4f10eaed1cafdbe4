//! Turning token ids back into text.

use super::Tokenizer;
use super::error::TokenizerError;
use super::vocab::TokenType;

impl Tokenizer {
    /// The bytes token `id` stands for. A piece may be part of a UTF-8
    /// sequence (byte tokens, or byte-level BPE tokens that split a
    /// character), so it is returned as bytes.
    ///
    /// Control, unknown and unused tokens render as their text when
    /// `special` is set and as nothing otherwise; user-defined tokens always
    /// render as their text.
    pub fn token_to_piece(&self, id: u32, special: bool) -> Result<&[u8], TokenizerError> {
        let Some(&ty) = self.types.get(id as usize) else {
            return Err(TokenizerError::TokenIdOutOfRange {
                id,
                n_tokens: self.tokens.len(),
            });
        };
        if !special && is_hidden(ty) {
            return Ok(&[]);
        }
        Ok(&self.pieces[id as usize])
    }

    /// Decodes token ids into text; `special` renders control tokens (see
    /// [`token_to_piece`](Self::token_to_piece)).
    ///
    /// The pieces' bytes are joined and decoded as UTF-8 lossily: invalid
    /// sequences become U+FFFD. With `add_space_prefix`, the space that
    /// [`encode`](Self::encode) prepends is removed from the first text
    /// token, so `decode(encode(s))` gives back `s`.
    pub fn decode(&self, ids: &[u32], special: bool) -> Result<String, TokenizerError> {
        let mut bytes = Vec::with_capacity(ids.len() * 4);
        let mut strip_space = self.add_space_prefix;
        for &id in ids {
            let mut piece = self.token_to_piece(id, special)?;
            if strip_space && !is_hidden(self.types[id as usize]) {
                strip_space = false;
                if let Some(rest) = piece.strip_prefix(b" ") {
                    piece = rest;
                }
            }
            bytes.extend_from_slice(piece);
        }
        Ok(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }
}

/// Tokens rendered only on request.
fn is_hidden(ty: TokenType) -> bool {
    matches!(
        ty,
        TokenType::Control | TokenType::Unknown | TokenType::Unused
    )
}
