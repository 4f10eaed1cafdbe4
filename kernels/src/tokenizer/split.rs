//! Hand-written equivalents of the word-splitting regexes, as llama.cpp's
//! `unicode_regex_split_custom_gpt2` / `_llama3` implement them.
//!
//! Each function splits one segment `[ini, end)` of code points and appends
//! the lengths of the pieces (in code points) to `out`; the pieces cover the
//! segment exactly.

use super::unicode::CptClass;

/// A segment of code points with their classes, and the piece collector.
struct Cursor<'a> {
    cpts: &'a [char],
    classes: &'a [CptClass],
    end: usize,
    prev_end: usize,
    out: &'a mut Vec<usize>,
}

impl<'a> Cursor<'a> {
    /// The segment `[ini, end)` of `cpts`, pieces appended to `out`.
    fn new(
        cpts: &'a [char],
        classes: &'a [CptClass],
        ini: usize,
        end: usize,
        out: &'a mut Vec<usize>,
    ) -> Self {
        Cursor {
            cpts,
            classes,
            end,
            prev_end: ini,
            out,
        }
    }

    fn cpt(&self, pos: usize) -> Option<char> {
        if pos < self.end {
            Some(self.cpts[pos])
        } else {
            None
        }
    }

    fn class(&self, pos: usize) -> CptClass {
        if pos < self.end {
            self.classes[pos]
        } else {
            CptClass::OUTSIDE
        }
    }

    /// Closes the piece ending at `end`; returns its length.
    fn add(&mut self, end: usize) -> usize {
        let len = end - self.prev_end;
        if len > 0 {
            self.out.push(len);
        }
        self.prev_end = end;
        len
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `pos` (ASCII case-insensitive when
    /// `fold` is set): the length of the match.
    fn contraction(&self, pos: usize, fold: bool) -> Option<usize> {
        if self.cpts[pos] != '\'' || pos + 1 >= self.end {
            return None;
        }
        let low = |c: Option<char>| {
            let c = c.unwrap_or('\0');
            if fold { c.to_ascii_lowercase() } else { c }
        };
        let next = low(self.cpt(pos + 1));
        if matches!(next, 's' | 't' | 'm' | 'd') {
            return Some(2);
        }
        if pos + 2 < self.end {
            let next2 = low(self.cpt(pos + 2));
            if matches!((next, next2), ('r', 'e') | ('v', 'e') | ('l', 'l')) {
                return Some(3);
            }
        }
        None
    }

    /// `\s+(?!\S)|\s+` at `pos`, optionally preceded by the llama3 rule
    /// `\s*[\r\n]+`; returns the new position, or `None` if `pos` is not
    /// whitespace.
    fn whitespace(&mut self, pos: usize, newline_rule: bool) -> Option<usize> {
        let mut n = 0;
        let mut last_newline_end = None;
        while self.class(pos + n).is_whitespace() {
            if matches!(self.cpt(pos + n), Some('\r' | '\n')) {
                last_newline_end = Some(pos + n + 1);
            }
            n += 1;
        }
        if newline_rule && let Some(end) = last_newline_end {
            self.add(end);
            return Some(end);
        }
        if n > 1 && self.cpt(pos + n).is_some() {
            // Leave the last whitespace to prefix the following word.
            self.add(pos + n - 1);
            return Some(pos + n - 1);
        }
        if n > 0 {
            self.add(pos + n);
            return Some(pos + n);
        }
        None
    }
}

/// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
pub(crate) fn split_gpt2(
    cpts: &[char],
    classes: &[CptClass],
    ini: usize,
    end: usize,
    out: &mut Vec<usize>,
) {
    let mut cur = Cursor::new(cpts, classes, ini, end, out);
    let mut pos = ini;
    while pos < end {
        let c = cpts[pos];
        if let Some(len) = cur.contraction(pos, false) {
            pos += cur.add(pos + len);
            continue;
        }
        let space = c == ' ';
        let mut f2 = if space {
            cur.class(pos + 1)
        } else {
            classes[pos]
        };
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
        let run: Option<fn(CptClass) -> bool> = if f2.is_letter() {
            Some(CptClass::is_letter)
        } else if f2.is_number() {
            Some(CptClass::is_number)
        } else if f2.is_other() {
            Some(CptClass::is_other)
        } else {
            None
        };
        if let Some(in_run) = run {
            pos += usize::from(space);
            while in_run(f2) {
                pos += 1;
                f2 = cur.class(pos);
            }
            cur.add(pos);
            continue;
        }
        if let Some(next) = cur.whitespace(pos, false) {
            pos = next;
            continue;
        }
        pos += 1;
        cur.add(pos);
    }
}

/// Llama 3 (`digits` = 3) and Qwen2 (`digits` = 1):
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,digits}|
/// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
pub(crate) fn split_llama3(
    cpts: &[char],
    classes: &[CptClass],
    ini: usize,
    end: usize,
    digits: usize,
    out: &mut Vec<usize>,
) {
    let mut cur = Cursor::new(cpts, classes, ini, end, out);
    let mut pos = ini;
    while pos < end {
        let c = cpts[pos];
        let f = classes[pos];
        if let Some(len) = cur.contraction(pos, true) {
            pos += cur.add(pos + len);
            continue;
        }
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if !(c == '\r' || c == '\n' || f.is_number())
            && (f.is_letter() || cur.class(pos + 1).is_letter())
        {
            pos += 1;
            while cur.class(pos).is_letter() {
                pos += 1;
            }
            cur.add(pos);
            continue;
        }
        // `\p{N}{1,digits}`
        if f.is_number() {
            let mut group_start = pos;
            while cur.class(pos).is_number() {
                pos += 1;
                if pos - group_start >= digits {
                    cur.add(pos);
                    group_start = pos;
                }
            }
            cur.add(pos);
            continue;
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let space = c == ' ';
        let mut f2 = if space { cur.class(pos + 1) } else { f };
        if f2.is_other() {
            pos += usize::from(space);
            while f2.is_other() {
                pos += 1;
                f2 = cur.class(pos);
            }
            while matches!(cur.cpt(pos), Some('\r' | '\n')) {
                pos += 1;
            }
            cur.add(pos);
            continue;
        }
        if let Some(next) = cur.whitespace(pos, true) {
            pos = next;
            continue;
        }
        pos += 1;
        cur.add(pos);
    }
}
