//! Pre-tokenizers: how byte-level BPE splits text into words before merging,
//! selected by `tokenizer.ggml.pre` as in llama.cpp's `llm_tokenizer_bpe`.
//!
//! A pre-tokenizer is a chain of splitting passes. Each pass splits every
//! segment left by the previous one; a regex pass keeps both its matches and
//! the text between them as segments (llama.cpp's `unicode_regex_split`).

use super::error::TokenizerError;
use super::split::{split_gpt2, split_llama3};
use super::unicode::{CptClass, classify};

/// The word splitting used before byte-level BPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PreTokenizer {
    /// `default` (or no key): `[\p{P}$+<=>^~|]+`, then GPT-2, then `\p{N}+`,
    /// then `[0-9][0-9][0-9]`.
    Default,
    /// `gpt-2`, `mpt`, `olmo`, `jais`: the GPT-2 regex alone.
    Gpt2,
    /// `llama3`, `llama-v3`, `llama-bpe`, `dbrx`, `smaug-bpe`: the Llama 3
    /// regex (digits in groups of up to 3, case-insensitive contractions,
    /// newlines kept apart); a word that is already a token skips the merges.
    Llama3,
    /// `smollm`, `starcoder`, `refact`, `command-r`, `codeshell`, `exaone`,
    /// `minerva-7b`: every digit on its own, then the GPT-2 regex.
    Smollm,
    /// `qwen2`, `stablelm2`, `hunyuan`: the Llama 3 regex with single digits.
    Qwen2,
}

/// One splitting pass.
#[derive(Debug, Clone, Copy)]
enum Pass {
    /// `[\p{P}\$\+<=>\^~\|]+`
    PunctRuns,
    /// `\p{N}+`
    NumberRuns,
    /// `\p{N}`
    EachNumber,
    /// `[0-9][0-9][0-9]`
    AsciiDigitTriples,
    /// The GPT-2 regex.
    Gpt2,
    /// The Llama 3 regex with digit groups of the given size.
    Llama3(usize),
}

impl PreTokenizer {
    /// Parses the value of `tokenizer.ggml.pre`.
    pub fn from_gguf_name(name: &str) -> Result<Self, TokenizerError> {
        Ok(match name {
            "" | "default" => Self::Default,
            "gpt2" | "gpt-2" | "mpt" | "olmo" | "jais" => Self::Gpt2,
            "llama3" | "llama-v3" | "llama-bpe" | "dbrx" | "smaug-bpe" => Self::Llama3,
            "smollm" | "starcoder" | "refact" | "command-r" | "codeshell" | "exaone"
            | "minerva-7b" => Self::Smollm,
            "qwen2" | "stablelm2" | "hunyuan" => Self::Qwen2,
            other => return Err(TokenizerError::UnknownPreTokenizer(other.to_owned())),
        })
    }

    fn passes(self) -> &'static [Pass] {
        match self {
            Self::Default => &[
                Pass::PunctRuns,
                Pass::Gpt2,
                Pass::NumberRuns,
                Pass::AsciiDigitTriples,
            ],
            Self::Gpt2 => &[Pass::Gpt2],
            Self::Llama3 => &[Pass::Llama3(3)],
            Self::Smollm => &[Pass::EachNumber, Pass::Gpt2],
            Self::Qwen2 => &[Pass::Llama3(1)],
        }
    }

    /// Whether a word that is already a token is emitted without merging
    /// (llama.cpp's `ignore_merges`, set for Llama 3).
    pub(crate) fn ignore_merges(self) -> bool {
        self == Self::Llama3
    }

    /// Splits `text` into words: consecutive pieces, in order, covering the
    /// text exactly.
    pub fn split(self, text: &str) -> Vec<&str> {
        let mut scratch = SplitScratch::default();
        let mut words = Vec::new();
        self.split_into(text, &mut scratch, &mut words);
        words.into_iter().map(|(a, b)| &text[a..b]).collect()
    }

    /// [`PreTokenizer::split`] into reusable buffers; `words` receives byte
    /// ranges.
    pub(crate) fn split_into(
        self,
        text: &str,
        s: &mut SplitScratch,
        words: &mut Vec<(usize, usize)>,
    ) {
        words.clear();
        s.cpts.clear();
        s.byte_offsets.clear();
        for (i, c) in text.char_indices() {
            s.cpts.push(c);
            s.byte_offsets.push(i);
        }
        s.byte_offsets.push(text.len());
        if s.cpts.is_empty() {
            return;
        }
        classify(&s.cpts, &mut s.classes);
        s.lengths.clear();
        s.lengths.push(s.cpts.len());
        for &pass in self.passes() {
            s.next.clear();
            let mut start = 0;
            for &len in &s.lengths {
                let end = start + len;
                run_pass(pass, &s.cpts, &s.classes, start, end, &mut s.next);
                start = end;
            }
            std::mem::swap(&mut s.lengths, &mut s.next);
        }
        let mut start = 0;
        for &len in &s.lengths {
            let end = start + len;
            words.push((s.byte_offsets[start], s.byte_offsets[end]));
            start = end;
        }
    }
}

/// Reusable buffers for [`PreTokenizer::split_into`].
#[derive(Debug, Default)]
pub(crate) struct SplitScratch {
    cpts: Vec<char>,
    byte_offsets: Vec<usize>,
    classes: Vec<CptClass>,
    lengths: Vec<usize>,
    next: Vec<usize>,
}

fn run_pass(
    pass: Pass,
    cpts: &[char],
    classes: &[CptClass],
    ini: usize,
    end: usize,
    out: &mut Vec<usize>,
) {
    match pass {
        Pass::Gpt2 => split_gpt2(cpts, classes, ini, end, out),
        Pass::Llama3(digits) => split_llama3(cpts, classes, ini, end, digits, out),
        Pass::PunctRuns => split_runs(ini, end, out, |i| {
            classes[i].is_punctuation()
                || matches!(cpts[i], '$' | '+' | '<' | '=' | '>' | '^' | '~' | '|')
        }),
        Pass::NumberRuns => split_runs(ini, end, out, |i| classes[i].is_number()),
        Pass::EachNumber => {
            let mut gap = 0;
            for class in &classes[ini..end] {
                if class.is_number() {
                    if gap > 0 {
                        out.push(gap);
                        gap = 0;
                    }
                    out.push(1);
                } else {
                    gap += 1;
                }
            }
            if gap > 0 {
                out.push(gap);
            }
        }
        Pass::AsciiDigitTriples => {
            let mut piece_start = ini;
            let mut i = ini;
            while i + 3 <= end {
                if cpts[i..i + 3].iter().all(char::is_ascii_digit) {
                    if i > piece_start {
                        out.push(i - piece_start);
                    }
                    out.push(3);
                    i += 3;
                    piece_start = i;
                } else {
                    i += 1;
                }
            }
            if end > piece_start {
                out.push(end - piece_start);
            }
        }
    }
}

/// Maximal runs of positions matching `pred` and the gaps between them,
/// each as one piece.
fn split_runs(ini: usize, end: usize, out: &mut Vec<usize>, pred: impl Fn(usize) -> bool) {
    let mut piece_start = ini;
    let mut in_run = false;
    for i in ini..end {
        let m = pred(i);
        if i > piece_start && m != in_run {
            out.push(i - piece_start);
            piece_start = i;
        }
        in_run = m;
    }
    if end > piece_start {
        out.push(end - piece_start);
    }
}
