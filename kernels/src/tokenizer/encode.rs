//! Turning text into token ids: special tokens, BOS/EOS, and dispatch to
//! the model's merge algorithm.

use super::Tokenizer;
use super::bpe::BpeScratch;
use super::special::Fragment;
use super::spm::SpmScratch;
use super::vocab::TokenizerModel;

impl Tokenizer {
    /// Encodes `text` into token ids.
    ///
    /// - `add_special`: prepend BOS and append EOS when the vocabulary asks
    ///   for them (`tokenizer.ggml.add_bos_token` / `add_eos_token`).
    /// - `parse_special`: match control tokens written in the text (such as
    ///   `<|im_start|>`) as those tokens; otherwise they are ordinary text.
    ///   User-defined tokens are always matched.
    ///
    /// A SentencePiece vocabulary with `add_space_prefix` prepends a space
    /// to the text, and again after every special token, as llama.cpp does.
    pub fn encode(&self, text: &str, add_special: bool, parse_special: bool) -> Vec<u32> {
        let mut out = Vec::with_capacity(text.len() / 3 + 2);
        if add_special && self.add_bos {
            out.extend(self.bos);
        }
        let fragments = self.partition(text, parse_special);
        match self.model {
            TokenizerModel::Gpt2Bpe => {
                let mut scratch = BpeScratch::default();
                for frag in fragments {
                    match frag {
                        Fragment::Text(a, b) => {
                            self.encode_bpe(&text[a..b], &mut scratch, &mut out)
                        }
                        Fragment::Token(id) => out.push(id),
                    }
                }
            }
            TokenizerModel::LlamaSpm => {
                let mut scratch = SpmScratch::default();
                let mut after_special = true;
                for frag in fragments {
                    match frag {
                        Fragment::Text(a, b) => {
                            let prefix = self.add_space_prefix && after_special;
                            self.encode_spm(&text[a..b], prefix, &mut scratch, &mut out);
                            after_special = false;
                        }
                        Fragment::Token(id) => {
                            out.push(id);
                            after_special = true;
                        }
                    }
                }
            }
        }
        if add_special && self.add_eos {
            out.extend(self.eos);
        }
        out
    }
}
