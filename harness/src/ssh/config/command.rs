//! Running `ssh -G`: found on PATH, no shell, bounded in time.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{ConfigError, Endpoint, LocalUser, Request, Resolver, parse_dump};
use crate::ssh::quote::shell_word;

/// How long `ssh -G` may take (it runs `Match exec` commands).
pub const SSH_G_TIMEOUT: Duration = Duration::from_secs(10);

/// The most of `ssh -G`'s stdout and stderr kept, in bytes.
const MAX_OUTPUT: u64 = 1 << 20;

/// The `ssh` on PATH, if any.
pub fn find_ssh() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join("ssh"))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    meta.is_file()
}

/// What `program` (an OpenSSH `ssh`) says it would use for `request`:
/// runs `ssh -T -G [-F file] [-p port] [-l user] [-i identity] [-J jump]
/// -- host` for at most [`SSH_G_TIMEOUT`] and reads its output.
pub fn resolve_with_ssh(request: &Request, program: &Path) -> Result<Endpoint, ConfigError> {
    let local = LocalUser::current()?;
    let request = request.checked(&local)?;
    let args = ssh_g_args(&request);
    let text = run_bounded(program, &args, SSH_G_TIMEOUT)?;
    let resolved_by = Resolver::Ssh {
        program: program.to_owned(),
    };
    parse_dump(&text, &request.host, &local, resolved_by)
}

/// The arguments of `ssh` that print its settings for `request`.
fn ssh_g_args(request: &Request) -> Vec<OsString> {
    // -T: no "Pseudo-terminal will not be allocated" note on stderr.
    let mut args: Vec<OsString> = vec!["-T".into(), "-G".into()];
    let mut option = |flag: &str, value: Option<OsString>| {
        if let Some(value) = value {
            args.push(flag.into());
            args.push(value);
        }
    };
    option("-F", request.config_file.clone().map(Into::into));
    option("-p", request.port.map(|p| p.to_string().into()));
    option("-l", request.user.clone().map(Into::into));
    option("-i", request.identity_file.clone().map(Into::into));
    option("-J", request.proxy_jump.clone().map(Into::into));
    args.push("--".into());
    args.push(request.host.clone().into());
    args
}

/// `program args...` as a shell would take it, for messages.
fn command_line(program: &Path, args: &[OsString]) -> String {
    std::iter::once(program.as_os_str())
        .chain(args.iter().map(OsString::as_os_str))
        .map(|a| shell_word(&a.to_string_lossy()).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `program` with `args` and no stdin, and returns its stdout; an
/// error when it cannot start, fails (with its stderr), or runs longer than
/// `timeout` (it is then killed).
pub(super) fn run_bounded(
    program: &Path,
    args: &[OsString],
    timeout: Duration,
) -> Result<String, ConfigError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| ConfigError::Spawn {
            program: program.to_owned(),
            source,
        })?;
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(None) => break Err(None),
            Err(e) => break Err(Some(e)),
        }
    };
    let status = match status {
        Ok(status) => status,
        Err(error) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(match error {
                None => ConfigError::Timeout {
                    command: command_line(program, args),
                    timeout,
                },
                Some(source) => ConfigError::Spawn {
                    program: program.to_owned(),
                    source,
                },
            });
        }
    };
    let joined = |reader: Option<std::thread::JoinHandle<Vec<u8>>>| {
        let bytes = reader.and_then(|r| r.join().ok()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let (stdout, stderr) = (joined(stdout), joined(stderr));
    if !status.success() {
        return Err(ConfigError::Failed {
            command: command_line(program, args),
            status: status.to_string(),
            stderr: stderr.trim().to_owned(),
        });
    }
    Ok(stdout)
}

/// Reads `pipe` to its end on a thread, keeping the first [`MAX_OUTPUT`]
/// bytes, so that the child never blocks on a full pipe.
fn drain(pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut pipe = pipe;
        let mut kept = Vec::new();
        let _ = (&mut pipe).take(MAX_OUTPUT).read_to_end(&mut kept);
        let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        kept
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inventory_fields_become_options() {
        let request = Request {
            host: "-pi07".into(),
            port: Some(2222),
            user: Some("pi".into()),
            identity_file: Some("/k/id".into()),
            proxy_jump: Some("bastion".into()),
            config_file: Some("/etc/lab config".into()),
        };
        let args = ssh_g_args(&request);
        assert_eq!(
            command_line(Path::new("ssh"), &args),
            "ssh -T -G -F '/etc/lab config' -p 2222 -l pi -i /k/id -J bastion -- -pi07"
        );
        assert_eq!(
            command_line(
                Path::new("/usr/bin/ssh"),
                &ssh_g_args(&Request::new("pi07"))
            ),
            "/usr/bin/ssh -T -G -- pi07"
        );
    }

    #[test]
    fn a_hung_command_is_killed_at_the_deadline() {
        let start = Instant::now();
        let err = run_bounded(
            Path::new("sleep"),
            &["30".into()],
            Duration::from_millis(200),
        )
        .unwrap_err();
        assert!(matches!(err, ConfigError::Timeout { .. }), "{err}");
        assert!(start.elapsed() < Duration::from_secs(10));
        assert_eq!(err.to_string(), "`sleep 30` did not finish within 0.2 s");
    }

    #[test]
    fn a_failing_command_reports_its_stderr() {
        let args: Vec<OsString> = vec![
            "-c".into(),
            "echo out; echo 'bad config' >&2; exit 3".into(),
        ];
        let err = run_bounded(Path::new("sh"), &args, SSH_G_TIMEOUT).unwrap_err();
        let ConfigError::Failed { stderr, status, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(stderr, "bad config");
        assert!(status.contains('3'), "{status}");
        let err = run_bounded(Path::new("/nonexistent/ssh"), &[], SSH_G_TIMEOUT).unwrap_err();
        assert!(matches!(err, ConfigError::Spawn { .. }));
    }
}
