//! Process trees read from `/proc`, and signals sent to a whole tree.
//!
//! `sshd` forks a process per connection (and that one forks again for
//! privilege separation and for the user's command); those outlive the
//! listener, so faults are applied to the listener and everything below it.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

pub use libc::{SIGCONT, SIGKILL, SIGSTOP};

/// One process as `/proc/<pid>/stat` describes it.
struct Stat {
    ppid: u32,
    state: char,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some(Stat { ppid, state })
}

/// Every process on the machine with its parent and state.
fn table() -> HashMap<u32, Stat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .collect()
}

/// Whether `pid` exists and has not exited (a zombie has).
pub fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|s| s.state != 'Z')
}

/// The parent of `pid`, while it exists.
pub fn parent(pid: u32) -> Option<u32> {
    stat(pid).map(|s| s.ppid)
}

/// `root` (if alive) and its living descendants, parents before children.
pub fn tree(root: u32) -> Vec<u32> {
    let procs = table();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&pid, s) in &procs {
        if s.state != 'Z' {
            children.entry(s.ppid).or_default().push(pid);
        }
    }
    let mut out = Vec::new();
    if procs.get(&root).is_some_and(|s| s.state != 'Z') {
        out.push(root);
    }
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for &c in children.get(&p).into_iter().flatten() {
            out.push(c);
            frontier.push(c);
        }
    }
    out
}

/// Sends `sig` to `pid`; false when the process is gone.
pub fn signal(pid: u32, sig: libc::c_int) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    unsafe { libc::kill(pid, sig) == 0 }
}

/// Stops `root` and every descendant, and returns them once all are
/// stopped and none has a child that is not: a stopped process cannot
/// fork, so the set is then closed. `Err` holds them when some did not
/// stop within 10 s.
pub fn stop_tree(root: u32) -> Result<Vec<u32>, Vec<u32>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sent = BTreeSet::new();
    loop {
        let procs = tree(root);
        let mut settled = true;
        for &p in &procs {
            if sent.insert(p) {
                signal(p, SIGSTOP);
                settled = false;
            } else if stat(p).is_some_and(|s| s.state != 'T' && s.state != 'Z') {
                settled = false;
            }
        }
        if settled || Instant::now() >= deadline {
            // Also those stopped here that have left the tree since (their
            // parent exited): still stopped, so not a reused pid.
            let left: Vec<u32> = sent
                .iter()
                .copied()
                .filter(|p| !procs.contains(p) && stat(*p).is_some_and(|s| s.state == 'T'))
                .collect();
            let mut all = procs;
            all.extend(left);
            return if settled { Ok(all) } else { Err(all) };
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Kills `root` and every descendant (stopping them first, so that none
/// forks a child the kill would miss) and returns them. `root` itself
/// stays a zombie until its parent waits for it.
pub fn kill_tree(root: u32) -> Vec<u32> {
    let pids = stop_tree(root).unwrap_or_else(|seen| seen);
    for &p in &pids {
        signal(p, SIGKILL);
    }
    pids
}

/// Waits up to 10 s until none of `pids` is alive; `Err` names the rest.
pub fn wait_gone(pids: &[u32]) -> Result<(), Vec<u32>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|&p| alive(p)).collect();
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(left);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Resumes `root` and every descendant.
pub fn cont_tree(root: u32) {
    for p in tree(root) {
        signal(p, SIGCONT);
    }
}

/// The command line of `pid`, argument by argument.
pub fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every living process id.
pub fn all() -> Vec<u32> {
    table()
        .into_iter()
        .filter(|(_, s)| s.state != 'Z')
        .map(|(p, _)| p)
        .collect()
}
