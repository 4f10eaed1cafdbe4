//! Code point classes used by the pre-splitters, and the GPT-2 byte↔unicode
//! alphabet.
//!
//! The classes follow llama.cpp's `unicode_cpt_flags`: one category flag from
//! the Unicode general category (letter, number, mark, punctuation, symbol,
//! separator, control, or "undefined" for unassigned code points), plus a
//! separate whitespace bit from the `White_Space` property.

use unicode_general_category::{GeneralCategory, get_general_category};

/// The class of one code point (llama.cpp's `unicode_cpt_flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CptClass {
    cat: Cat,
    whitespace: bool,
}

/// General category groups, as llama.cpp's category flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cat {
    /// Outside the current segment: no flag set at all.
    Outside,
    Undefined,
    Number,
    Letter,
    Separator,
    Mark,
    Punctuation,
    Symbol,
    Control,
}

impl CptClass {
    /// The class used for positions outside the segment being split (every
    /// test is false, and [`CptClass::is_any`] too).
    pub(crate) const OUTSIDE: Self = Self {
        cat: Cat::Outside,
        whitespace: false,
    };

    /// Classifies one code point.
    pub(crate) fn of(c: char) -> Self {
        let cat = match get_general_category(c) {
            GeneralCategory::UppercaseLetter
            | GeneralCategory::LowercaseLetter
            | GeneralCategory::TitlecaseLetter
            | GeneralCategory::ModifierLetter
            | GeneralCategory::OtherLetter => Cat::Letter,
            GeneralCategory::DecimalNumber
            | GeneralCategory::LetterNumber
            | GeneralCategory::OtherNumber => Cat::Number,
            GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
            | GeneralCategory::EnclosingMark => Cat::Mark,
            GeneralCategory::ConnectorPunctuation
            | GeneralCategory::DashPunctuation
            | GeneralCategory::OpenPunctuation
            | GeneralCategory::ClosePunctuation
            | GeneralCategory::InitialPunctuation
            | GeneralCategory::FinalPunctuation
            | GeneralCategory::OtherPunctuation => Cat::Punctuation,
            GeneralCategory::MathSymbol
            | GeneralCategory::CurrencySymbol
            | GeneralCategory::ModifierSymbol
            | GeneralCategory::OtherSymbol => Cat::Symbol,
            GeneralCategory::SpaceSeparator
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator => Cat::Separator,
            GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate => Cat::Control,
            // `GeneralCategory` is non-exhaustive: anything new is treated
            // as unassigned.
            _ => Cat::Undefined,
        };
        Self {
            cat,
            whitespace: is_white_space(c),
        }
    }

    /// `\p{L}`.
    pub(crate) fn is_letter(self) -> bool {
        self.cat == Cat::Letter
    }

    /// `\p{N}`.
    pub(crate) fn is_number(self) -> bool {
        self.cat == Cat::Number
    }

    /// `\p{P}`.
    pub(crate) fn is_punctuation(self) -> bool {
        self.cat == Cat::Punctuation
    }

    /// `\s` (the Unicode `White_Space` property).
    pub(crate) fn is_whitespace(self) -> bool {
        self.whitespace
    }

    /// True for every code point inside the segment, including unassigned
    /// ones; false only for [`CptClass::OUTSIDE`] (llama.cpp's `as_uint() != 0`).
    pub(crate) fn is_any(self) -> bool {
        self.cat != Cat::Outside
    }

    /// `[^\s\p{L}\p{N}]` for a code point inside the segment.
    pub(crate) fn is_other(self) -> bool {
        self.is_any() && !(self.whitespace || self.is_letter() || self.is_number())
    }
}

/// The Unicode `White_Space` property (PropList.txt), as llama.cpp lists it.
fn is_white_space(c: char) -> bool {
    matches!(
        c,
        '\u{09}'..='\u{0D}'
            | ' '
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

/// Classifies every code point of `cpts`, with a fast path for ASCII.
pub(crate) fn classify(cpts: &[char], out: &mut Vec<CptClass>) {
    out.clear();
    out.extend(cpts.iter().map(|&c| {
        if c.is_ascii() {
            ASCII_CLASSES[c as usize]
        } else {
            CptClass::of(c)
        }
    }));
}

static ASCII_CLASSES: std::sync::LazyLock<[CptClass; 128]> = std::sync::LazyLock::new(|| {
    let mut table = [CptClass::OUTSIDE; 128];
    for (i, slot) in table.iter_mut().enumerate() {
        *slot = CptClass::of(char::from(i as u8));
    }
    table
});

/// GPT-2's printable alphabet: byte `b` is spelled as the returned char.
///
/// Bytes `!`..=`~`, `¡`..=`¬` and `®`..=`ÿ` stand for themselves; the other
/// 68 bytes map, in increasing order, to U+0100 onwards.
pub(crate) fn byte_to_char_table() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut next = 256u32;
    for (b, slot) in table.iter_mut().enumerate() {
        let printable = matches!(b, 0x21..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF);
        let code = if printable {
            b as u32
        } else {
            let c = next;
            next += 1;
            c
        };
        // Every value is below 0x144, a valid scalar value.
        *slot = char::from_u32(code).unwrap_or('\u{FFFD}');
    }
    table
}

/// The inverse of [`byte_to_char_table`]: the byte a GPT-2 alphabet char
/// stands for, or `None` for any other char.
pub(crate) fn char_to_byte(c: char) -> Option<u8> {
    let code = c as u32;
    match code {
        0x21..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF => u8::try_from(code).ok(),
        0x100..=0x143 => {
            let k = (code - 0x100) as usize;
            NON_PRINTABLE_BYTES.get(k).copied()
        }
        _ => None,
    }
}

/// The 68 bytes outside GPT-2's printable set, in increasing order.
static NON_PRINTABLE_BYTES: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    (0u8..=255)
        .filter(|b| !matches!(b, 0x21..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF))
        .collect()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_alphabet_is_a_bijection() {
        let table = byte_to_char_table();
        for (b, &c) in table.iter().enumerate() {
            assert_eq!(char_to_byte(c), Some(b as u8), "byte {b:#04x} -> {c:?}");
        }
        assert_eq!(table[b' ' as usize], 'Ġ');
        assert_eq!(table[b'\n' as usize], 'Ċ');
        assert_eq!(char_to_byte('\u{144}'), None);
    }

    #[test]
    fn classes_follow_general_categories() {
        assert!(CptClass::of('é').is_letter());
        assert!(CptClass::of('٣').is_number());
        assert!(CptClass::of('½').is_number());
        assert!(CptClass::of('\u{3000}').is_whitespace());
        assert!(CptClass::of('\u{0301}').is_other());
        assert!(
            CptClass::of('\u{0378}').is_other(),
            "unassigned is still 'other'"
        );
        assert!(!CptClass::OUTSIDE.is_other());
    }
}
