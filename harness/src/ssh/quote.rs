//! Remote commands built from quoted arguments. A remote command is a
//! string the device's login shell parses; every argument goes through
//! [`quote`], so a model called `a b; $(touch x)` stays one inert word.

use std::borrow::Cow;

use thiserror::Error;

/// An argument that cannot be passed to a remote shell.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("argument {0:?} contains a NUL byte and cannot be passed to a remote command")]
pub struct NulInArgument(pub String);

/// `arg` as one POSIX shell word: wrapped in single quotes, each `'` written
/// as `'\''`. Plain words made only of safe characters stay as they are, so
/// commands read well in logs.
///
/// # Errors
/// [`NulInArgument`] when `arg` holds a NUL byte, which no shell word can.
pub fn quote(arg: &str) -> Result<String, NulInArgument> {
    if arg.contains('\0') {
        return Err(NulInArgument(arg.to_owned()));
    }
    Ok(shell_word(arg).into_owned())
}

/// `word` as one POSIX shell word, for commands shown in messages (to be
/// pasted into a shell as they are): unchanged when it has no special
/// characters, else in single quotes.
pub fn shell_word(word: &str) -> Cow<'_, str> {
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

/// The words `args` as one command line, each quoted.
///
/// # Errors
/// [`NulInArgument`] for the first argument holding a NUL byte.
pub fn command_line<S: AsRef<str>>(args: &[S]) -> Result<String, NulInArgument> {
    let words: Result<Vec<String>, _> = args.iter().map(|a| quote(a.as_ref())).collect();
    Ok(words?.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn plain_words_stay_plain() {
        assert_eq!(quote("run").unwrap(), "run");
        assert_eq!(
            quote(".cache/edgebench/ab12").unwrap(),
            ".cache/edgebench/ab12"
        );
        assert_eq!(quote("").unwrap(), "''");
        assert_eq!(quote("a b").unwrap(), "'a b'");
        assert_eq!(quote("it's").unwrap(), r"'it'\''s'");
        assert!(quote("a\0b").is_err());
    }

    /// What a real shell makes of the quoted words: exactly the arguments.
    #[test]
    fn a_shell_reads_back_every_argument_and_runs_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let pwned = dir.path().join("pwned");
        let hostile = [
            "model with spaces.gguf".to_owned(),
            "it's \"quoted\"".to_owned(),
            format!("$(touch {})", pwned.display()),
            format!("`touch {}`", pwned.display()),
            format!("x; touch {}", pwned.display()),
            "~root/*.gguf".to_owned(),
            "line\nbreak".to_owned(),
            "tab\there & back || \\".to_owned(),
            "ünïcødé €".to_owned(),
        ];
        let mut args = vec!["printf".to_owned(), "%s\\0".to_owned()];
        args.extend(hostile.iter().cloned());
        let line = command_line(&args).unwrap();
        let out = Command::new("sh").arg("-c").arg(&line).output().unwrap();
        assert!(out.status.success(), "{line}");
        let got: Vec<String> = out
            .stdout
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8(s.to_vec()).unwrap())
            .collect();
        assert_eq!(got, hostile);
        assert!(!pwned.exists(), "a quoted argument was executed");
    }
}
