//! Logging in: every identity the SSH agent holds (not only the first),
//! then the identity files, then a password from the environment; within
//! the server's usual limit of six attempts where we can.

use ssh2::Session;

use super::config::{Endpoint, IdentityAgent};
use super::error::SshError;
use super::known_hosts::HostKey;
use super::session::ConnectOptions;

/// Logs in as the endpoint's user, or says what was tried.
///
/// # Errors
/// [`SshError::Auth`] naming each method tried and its outcome.
pub fn login(
    session: &Session,
    endpoint: &Endpoint,
    options: &ConnectOptions,
    addr: &str,
) -> Result<(), SshError> {
    let user = endpoint.user.as_str();
    let mut tried: Vec<String> = Vec::new();
    let offered = match session.auth_methods(user) {
        Ok(m) => m.to_owned(),
        Err(e) => {
            if session.authenticated() {
                return Ok(());
            }
            return Err(SshError::Protocol {
                what: "asking for login methods".to_owned(),
                addr: addr.to_owned(),
                source: e,
            });
        }
    };
    let allows = |m: &str| offered.split(',').any(|o| o == m);
    if allows("publickey") {
        if endpoint.identity_agent != IdentityAgent::Disabled {
            agent_login(session, endpoint, &mut tried);
            if session.authenticated() {
                return Ok(());
            }
        }
        for file in &endpoint.identity_files {
            if !file.exists() {
                continue;
            }
            let label = format!("key {}", file.display());
            match session.userauth_pubkey_file(user, None, file, options.passphrase.as_deref()) {
                Ok(()) if session.authenticated() => return Ok(()),
                Ok(()) => tried.push(format!("{label}: not accepted")),
                Err(e) => tried.push(format!("{label}: {}", e.message())),
            }
        }
    }
    if let Some(password) = &options.password {
        if allows("password") {
            match session.userauth_password(user, password) {
                Ok(()) if session.authenticated() => return Ok(()),
                Ok(()) => tried.push("password: not accepted".to_owned()),
                Err(e) => tried.push(format!("password: {}", e.message())),
            }
        } else {
            tried.push("password: the device does not accept passwords".to_owned());
        }
    }
    if tried.is_empty() {
        tried.push(format!(
            "nothing to try: the device offers {offered}; no agent identity, no identity file{}",
            if options.password.is_some() {
                ""
            } else {
                ", no password_env"
            }
        ));
    }
    Err(SshError::Auth {
        user: user.to_owned(),
        addr: addr.to_owned(),
        tried: tried.join("; "),
    })
}

/// Tries each agent identity in turn (with `IdentitiesOnly`, only those
/// matching an identity file's public key).
fn agent_login(session: &Session, endpoint: &Endpoint, tried: &mut Vec<String>) {
    let mut agent = match session.agent() {
        Ok(a) => a,
        Err(e) => return tried.push(format!("ssh agent: {}", e.message())),
    };
    if let IdentityAgent::Socket(path) = &endpoint.identity_agent {
        let _ = agent.set_identity_path(path);
    }
    if agent.connect().is_err() {
        // No agent running is normal: nothing to report.
        return;
    }
    if let Err(e) = agent.list_identities() {
        tried.push(format!("ssh agent: {}", e.message()));
        let _ = agent.disconnect();
        return;
    }
    let identities = agent.identities().unwrap_or_default();
    let wanted = endpoint
        .identities_only
        .then(|| public_blobs(&endpoint.identity_files));
    let mut attempts = 0;
    for id in &identities {
        if wanted
            .as_ref()
            .is_some_and(|w| !w.contains(&id.blob().to_vec()))
        {
            continue;
        }
        attempts += 1;
        if agent.userauth(&endpoint.user, id).is_ok() && session.authenticated() {
            let _ = agent.disconnect();
            return;
        }
        // Leave room for the identity files within MaxAuthTries (6).
        if attempts >= 4 {
            break;
        }
    }
    if attempts > 0 {
        tried.push(format!(
            "ssh agent: {attempts} of {} identities not accepted",
            identities.len()
        ));
    }
    let _ = agent.disconnect();
}

/// The public key blobs of the identity files' `.pub` companions.
fn public_blobs(files: &[std::path::PathBuf]) -> Vec<Vec<u8>> {
    files
        .iter()
        .filter_map(|f| {
            let mut p = f.clone().into_os_string();
            p.push(".pub");
            std::fs::read_to_string(p).ok()
        })
        .filter_map(|text| {
            let mut fields = text.split_whitespace();
            let (kind, b64) = (fields.next()?, fields.next()?);
            HostKey::from_base64(kind, b64).ok().map(|k| k.blob)
        })
        .collect()
}
