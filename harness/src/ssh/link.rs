//! The byte stream under an SSH session: a TCP connection with bounded
//! waits, or a jump host's `ssh -W` on one end of a socket pair. Either way
//! the session sees a socket (libssh2 calls `send`/`recv`, so a pipe would
//! not do) and a [`Cutter`] can shut it from another thread.

use std::io::{self, Read};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};

/// How long a connection may stay silent with unacknowledged data before
/// the kernel drops it (`TCP_USER_TIMEOUT`), and the keepalive probes of an
/// idle one: a cut link is noticed within about a minute even while a job
/// runs silently.
#[derive(Debug, Clone, Copy)]
pub struct LinkTimeouts {
    /// Connecting one address.
    pub connect: Duration,
    /// Unacknowledged data older than this kills the connection.
    pub user_timeout: Duration,
    /// Idle time before TCP keepalive probes, and their interval.
    pub keepalive: Duration,
}

/// A connected stream, handed to the SSH session.
#[derive(Debug)]
pub enum Link {
    /// Straight to the device.
    Tcp(TcpStream),
    /// Through a jump host: our end of the socket pair whose other end is
    /// the `ssh -W` child's stdin and stdout.
    Proxy(UnixStream),
}

impl AsRawFd for Link {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Link::Tcp(s) => s.as_raw_fd(),
            Link::Proxy(s) => s.as_raw_fd(),
        }
    }
}

/// Shuts a link from another thread, which wakes any call blocked on it.
#[derive(Debug)]
pub enum Cutter {
    /// A clone of the TCP stream.
    Tcp(TcpStream),
    /// A clone of our end of the socket pair.
    Proxy(UnixStream),
}

impl Cutter {
    /// Shuts both directions; blocked reads and writes return at once.
    pub fn cut(&self) {
        let _ = match self {
            Cutter::Tcp(s) => s.shutdown(Shutdown::Both),
            Cutter::Proxy(s) => s.shutdown(Shutdown::Both),
        };
    }
}

impl Link {
    /// A handle that shuts this link from another thread.
    ///
    /// # Errors
    /// When the socket cannot be duplicated (out of file descriptors).
    pub fn cutter(&self) -> io::Result<Cutter> {
        Ok(match self {
            Link::Tcp(s) => Cutter::Tcp(s.try_clone()?),
            Link::Proxy(s) => Cutter::Proxy(s.try_clone()?),
        })
    }
}

/// Connects to `host:port`, trying each address it resolves to within
/// `timeouts.connect`, and sets keepalive probes, `TCP_USER_TIMEOUT` and
/// `TCP_NODELAY` (jobs and results are small messages).
///
/// # Errors
/// The last address's error, or a resolution failure.
pub fn connect_tcp(host: &str, port: u16, timeouts: &LinkTimeouts) -> io::Result<Link> {
    let addrs: Vec<_> = (host, port).to_socket_addrs()?.collect();
    let mut last = io::Error::new(
        io::ErrorKind::NotFound,
        format!("{host} resolves to no address"),
    );
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeouts.connect) {
            Ok(stream) => {
                tune(&stream, timeouts)?;
                return Ok(Link::Tcp(stream));
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn tune(stream: &TcpStream, timeouts: &LinkTimeouts) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let sock = SockRef::from(stream);
    // The kernel counts these in whole seconds, at least one.
    let second = Duration::from_secs(1);
    let probes = TcpKeepalive::new()
        .with_time(timeouts.keepalive.max(second))
        .with_interval((timeouts.keepalive / 3).max(second))
        .with_retries(3);
    sock.set_tcp_keepalive(&probes)?;
    sock.set_tcp_user_timeout(Some(timeouts.user_timeout))
}

/// The `ssh -W` child of a proxied link: killed when dropped, its stderr
/// kept for the error message when the jump fails.
#[derive(Debug)]
pub struct ProxyChild {
    child: Child,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl ProxyChild {
    /// What the jump's `ssh` said on stderr so far (trimmed, last 2000 bytes).
    pub fn stderr(&self) -> String {
        let buf = self.stderr.lock().map(|b| b.clone()).unwrap_or_default();
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim();
        let mut start = text.len().saturating_sub(2000);
        while !text.is_char_boundary(start) {
            start += 1;
        }
        text[start..].to_owned()
    }
}

impl Drop for ProxyChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reaches `host:port` through `jump` (an OpenSSH `ProxyJump` value:
/// `[user@]host[:port]`, comma-separated for several hops) by running
/// `ssh -W` with the user's own configuration and agent for the jump hosts.
/// The jump hosts' keys are checked by `ssh` (batch mode: no prompts); the
/// device's own key is checked by our session on top of this link.
///
/// # Errors
/// When `ssh` cannot be started.
pub fn connect_proxy_jump(
    jump: &str,
    host: &str,
    port: u16,
    ssh_config: Option<&std::path::Path>,
    timeouts: &LinkTimeouts,
) -> io::Result<(Link, ProxyChild)> {
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut cmd = Command::new("ssh");
    if let Some(file) = ssh_config {
        cmd.arg("-F").arg(file);
    }
    let (hops, last) = match jump.rsplit_once(',') {
        Some((first, last)) => (Some(first), last),
        None => (None, jump),
    };
    if let Some(hops) = hops {
        cmd.arg("-J").arg(hops);
    }
    cmd.args(["-o", "BatchMode=yes", "-o", "ClearAllForwardings=yes"])
        .arg("-o")
        .arg(format!(
            "ConnectTimeout={}",
            timeouts.connect.as_secs().max(1)
        ))
        .args([
            "-o",
            "ServerAliveInterval=15",
            "-o",
            "ServerAliveCountMax=3",
        ])
        .arg("-W")
        .arg(target)
        .arg("--")
        .arg(destination(last));
    spawn_proxy(cmd)
}

/// A `ProxyJump` hop (`[user@]host[:port]`) as an `ssh` destination, which
/// takes a port only in URI form.
fn destination(hop: &str) -> String {
    if hop.starts_with("ssh://") {
        hop.to_owned()
    } else {
        format!("ssh://{hop}")
    }
}

/// Runs `cmd` (an `ssh -W`-like command) with its stdin and stdout on one
/// end of a socket pair; the other end is the link.
///
/// # Errors
/// When the socket pair or the process cannot be made.
pub fn spawn_proxy(mut cmd: Command) -> io::Result<(Link, ProxyChild)> {
    let (ours, theirs) = UnixStream::pair()?;
    let theirs_out = theirs.try_clone()?;
    let mut child = cmd
        .stdin(Stdio::from(std::os::fd::OwnedFd::from(theirs)))
        .stdout(Stdio::from(std::os::fd::OwnedFd::from(theirs_out)))
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = Arc::new(Mutex::new(Vec::new()));
    if let Some(mut pipe) = child.stderr.take() {
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut b) = sink.lock()
                    && b.len() < 64 * 1024
                {
                    b.extend_from_slice(&buf[..n]);
                }
            }
        });
    }
    Ok((Link::Proxy(ours), ProxyChild { child, stderr }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    fn timeouts() -> LinkTimeouts {
        LinkTimeouts {
            connect: Duration::from_secs(2),
            user_timeout: Duration::from_secs(30),
            keepalive: Duration::from_secs(15),
        }
    }

    #[test]
    fn tcp_link_connects_and_is_cut_from_another_thread() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let link = connect_tcp("127.0.0.1", port, &timeouts()).unwrap();
        let (_server, _) = listener.accept().unwrap();
        let cutter = link.cutter().unwrap();
        let Link::Tcp(mut stream) = link else {
            panic!("expected a TCP link")
        };
        let reader = std::thread::spawn(move || stream.read(&mut [0u8; 8]));
        std::thread::sleep(Duration::from_millis(50));
        cutter.cut();
        assert_eq!(reader.join().unwrap().unwrap(), 0, "a cut link reads EOF");
    }

    #[test]
    fn refused_connection_is_an_error() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        assert!(connect_tcp("127.0.0.1", port, &timeouts()).is_err());
    }

    #[test]
    fn proxy_link_carries_bytes_both_ways() {
        let mut cmd = Command::new("cat");
        cmd.arg("-u");
        let (link, _child) = spawn_proxy(cmd).unwrap();
        let Link::Proxy(mut s) = link else {
            panic!("expected a proxy link")
        };
        s.write_all(b"ping\n").unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping\n");
    }
}
