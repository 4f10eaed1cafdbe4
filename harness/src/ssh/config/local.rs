//! [`LocalUser`]: who runs the controller, for OpenSSH's defaults, `~` and
//! `%d`/`%u`.

use std::path::{Path, PathBuf};

use super::ConfigError;

/// The user running the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalUser {
    /// The login name: `$USER`, else `$LOGNAME`, else the passwd entry's.
    pub name: String,
    /// The home directory: `$HOME`, else the passwd entry's.
    pub home: PathBuf,
}

impl LocalUser {
    /// The user of this process.
    pub fn current() -> Result<LocalUser, ConfigError> {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        let name = var("USER")
            .or_else(|| var("LOGNAME"))
            .or_else(|| passwd_entry().map(|(name, _)| name))
            .ok_or(ConfigError::LocalUser {
                what: "name",
                var: "USER",
            })?;
        let home = var("HOME")
            .map(PathBuf::from)
            .or_else(|| passwd_entry().map(|(_, home)| home))
            .ok_or(ConfigError::LocalUser {
                what: "home directory",
                var: "HOME",
            })?;
        Ok(LocalUser { name, home })
    }

    /// `path` with a leading `~` (alone or before `/`) replaced by the home
    /// directory; other paths, `~user/...` included, unchanged.
    pub fn expand_tilde(&self, path: &Path) -> PathBuf {
        match path.strip_prefix("~") {
            Ok(rest) if rest.as_os_str().is_empty() => self.home.clone(),
            Ok(rest) => self.home.join(rest),
            Err(_) => path.to_owned(),
        }
    }
}

/// The name and home directory of this process's user in `/etc/passwd`.
fn passwd_entry() -> Option<(String, PathBuf)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // The owner of /proc/self is the process's real user (Linux).
        let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            match fields[..] {
                [name, _, id, _, _, home, ..] if id == uid => Some((name.into(), home.into())),
                _ => None,
            }
        })
    }
    #[cfg(not(unix))]
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_is_the_home_directory() {
        let local = LocalUser {
            name: "u".into(),
            home: "/home/u".into(),
        };
        let expand = |p: &str| local.expand_tilde(Path::new(p));
        assert_eq!(expand("~"), Path::new("/home/u"));
        assert_eq!(
            expand("~/.ssh/id_ed25519"),
            Path::new("/home/u/.ssh/id_ed25519")
        );
        assert_eq!(expand("~other/key"), Path::new("~other/key"));
        assert_eq!(expand("/etc/ssh/key"), Path::new("/etc/ssh/key"));
        assert_eq!(expand("keys/~"), Path::new("keys/~"));
    }

    #[test]
    fn the_current_user_is_known() {
        let local = LocalUser::current().unwrap();
        assert!(!local.name.is_empty());
        assert!(local.home.is_absolute());
    }
}
