//! Quoting for the commands shown in messages, so they can be pasted into a
//! POSIX shell as they are.

use std::borrow::Cow;

/// `word` as one POSIX shell word: unchanged when it has no special
/// characters, else in single quotes (a `'` inside becomes `'\''`).
pub(crate) fn shell_word(word: &str) -> Cow<'_, str> {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b));
    if plain {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(
            shell_word("/root/.ssh/known_hosts"),
            "/root/.ssh/known_hosts"
        );
        assert_eq!(shell_word("[10.0.0.7]:2222"), "'[10.0.0.7]:2222'");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
