//! [`Tokens`]: OpenSSH's `%` tokens in IdentityFile, IdentityAgent and
//! ProxyCommand, for the versions of `ssh -G` that print them unexpanded.

use super::LocalUser;

/// The values of the tokens for one connection.
pub(super) struct Tokens<'a> {
    /// `%d` (home directory) and `%u` (local user).
    pub local: &'a LocalUser,
    /// `%n`: the host as the inventory names it.
    pub alias: &'a str,
    /// `%h`: the host name connected to.
    pub host: &'a str,
    /// `%p`: the port.
    pub port: u16,
    /// `%r`: the remote user.
    pub user: &'a str,
    /// `%k`: the host key alias, else the inventory's host.
    pub host_key_alias: Option<&'a str>,
    /// `%j`: the ProxyJump hosts, else empty.
    pub proxy_jump: Option<&'a str>,
}

impl Tokens<'_> {
    /// `text` with `%%`, `%d`, `%h`, `%j`, `%k`, `%n`, `%p`, `%r` and `%u`
    /// replaced; any other `%` sequence is kept as it is.
    pub(super) fn expand(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let Some(token) = chars.next() else {
                out.push('%');
                break;
            };
            match token {
                '%' => out.push('%'),
                'd' => out.push_str(&self.local.home.to_string_lossy()),
                'u' => out.push_str(&self.local.name),
                'h' => out.push_str(self.host),
                'n' => out.push_str(self.alias),
                'p' => out.push_str(&self.port.to_string()),
                'r' => out.push_str(self.user),
                'k' => out.push_str(self.host_key_alias.unwrap_or(self.alias)),
                'j' => out.push_str(self.proxy_jump.unwrap_or("")),
                other => {
                    out.push('%');
                    out.push(other);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_replaced_and_unknown_ones_kept() {
        let local = LocalUser {
            name: "me".into(),
            home: "/home/me".into(),
        };
        let tokens = Tokens {
            local: &local,
            alias: "pi07",
            host: "10.0.0.7",
            port: 2222,
            user: "pi",
            host_key_alias: None,
            proxy_jump: Some("bastion"),
        };
        assert_eq!(
            tokens.expand("%d/.ssh/%n-%r@%h:%p %u %k %j %% %C %"),
            "/home/me/.ssh/pi07-pi@10.0.0.7:2222 me pi07 bastion % %C %"
        );
        assert_eq!(
            tokens.expand("ssh -W [%h]:%p jump"),
            "ssh -W [10.0.0.7]:2222 jump"
        );
    }
}
