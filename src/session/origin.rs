//! Web origins as this module compares and writes them: [`PortalOrigin`] (who may frame the
//! plugin page) and [`VendorOrigin`] (the vendor's own, for the cookie CSRF rule).
//!
//! Both hold a serialized origin (RFC 6454 §6.2): `https://host` or `https://host:port`, lower
//! case, no default port, no path, query, fragment, user info or wildcard; `http` only for
//! loopback (`localhost`, `127.0.0.0/8`, `[::1]`), for development.

use std::fmt;
use std::str::FromStr;

use super::error::OriginError;
use crate::quoted::Quoted;
use crate::wire::IssuerId;

/// Checks and normalizes `text` into a serialized origin.
fn serialize(text: &str) -> Result<String, OriginError> {
    let refuse = |reason| OriginError {
        found: Quoted::ascii(text),
        reason,
    };
    if text.len() > 300 {
        return Err(refuse("longer than 300 bytes"));
    }
    if text.contains('*') {
        return Err(refuse("wildcards are not origins"));
    }
    let lower = text.to_ascii_lowercase();
    let (scheme, rest) = lower
        .split_once("://")
        .ok_or(refuse("no scheme (expected https://)"))?;
    if scheme != "https" && scheme != "http" {
        return Err(refuse("the scheme must be https (or http for loopback)"));
    }
    // One trailing slash is the empty path; anything after it is a path.
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#', '\\']) {
        return Err(refuse("a path, query or fragment is not part of an origin"));
    }
    if authority.contains('@') {
        return Err(refuse("user info is not part of an origin"));
    }
    let (host, port) = split_port(authority).ok_or(refuse("invalid port"))?;
    let loopback = if host == "[::1]" {
        true
    } else if let Some(octets) = ipv4(host) {
        octets[0] == 127
    } else {
        if !is_dns_name(host) {
            return Err(refuse("the host is not a DNS name or an IPv4 address"));
        }
        host == "localhost"
    };
    if scheme == "http" && !loopback {
        return Err(refuse("http is allowed only for loopback hosts"));
    }
    let default_port = if scheme == "https" { 443 } else { 80 };
    Ok(match port {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// `host[:port]`, the port 1 to 65535 in plain decimal.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let colon = if authority.starts_with('[') {
        let end = authority.find(']')?;
        authority[end + 1..].find(':').map(|i| i + end + 1)
    } else {
        authority.rfind(':')
    };
    let Some(colon) = colon else {
        return Some((authority, None));
    };
    let digits = &authority[colon + 1..];
    let ok = (1..=5).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    let port = digits.parse::<u16>().ok().filter(|_| ok)?;
    Some((&authority[..colon], Some(port)))
}

fn ipv4(host: &str) -> Option<[u8; 4]> {
    let parsed: std::net::Ipv4Addr = host.parse().ok()?;
    Some(parsed.octets())
}

/// Lower-case letters, digits and `-` in dot-separated labels of 1 to 63, at most 253 in all,
/// not all-numeric at the end (that would be a malformed IPv4 address).
fn is_dns_name(host: &str) -> bool {
    let labels_ok = host.split('.').all(|label| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    let last_numeric = host
        .rsplit('.')
        .next()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    host.len() <= 253 && labels_ok && !last_numeric
}

macro_rules! origin_type {
    ($ty:ident) => {
        impl $ty {
            /// Parses and normalizes an origin: `https://host[:port]` (a single trailing `/` is
            /// dropped, letters are lowered, a default port is dropped), `http` only for
            /// loopback. Refuses paths, queries, fragments, user info, wildcards and `*`.
            pub fn parse(text: &str) -> Result<Self, OriginError> {
                serialize(text).map($ty)
            }

            /// The serialized origin, as the browser sends it in `Origin`.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $ty {
            type Err = OriginError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::parse(s)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($ty)).field(&self.0).finish()
            }
        }
    };
}

/// The origin of a portal page allowed to frame the plugin: one source of the page's
/// `Content-Security-Policy: frame-ancestors` ([`page_headers`](super::page_headers)).
///
/// ```
/// use cv_portal_plugin::{IssuerId, PortalOrigin};
/// let issuer = IssuerId::new("https://Portal.Construtora.com.br")?;
/// assert_eq!(PortalOrigin::from_issuer(&issuer)?.as_str(), "https://portal.construtora.com.br");
/// assert_eq!(PortalOrigin::parse("https://gestor.example:8443/")?.as_str(), "https://gestor.example:8443");
/// for bad in ["*", "https://*.example.com", "https://example.com/portal", "http://example.com",
///             "https://user@example.com", "https://example.com?x"] {
///     assert_eq!(PortalOrigin::parse(bad).unwrap_err().code(), "invalid_origin", "{bad}");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PortalOrigin(String);
origin_type!(PortalOrigin);

impl PortalOrigin {
    /// The origin of a portal whose issuer id is its web address (`https://portal.example`): an
    /// issuer id that is not an origin (`cv:construtora-x`, or one with a path) is refused.
    pub fn from_issuer(issuer: &IssuerId) -> Result<Self, OriginError> {
        PortalOrigin::parse(issuer.as_str())
    }
}

/// The vendor's own origin: a cookie-authenticated request with an unsafe method is accepted
/// only when its `Origin` header is exactly this ([`extract_credential`](super::extract_credential)).
///
/// ```
/// use cv_portal_plugin::VendorOrigin;
/// assert_eq!(VendorOrigin::parse("https://ERP.example.com:443")?.as_str(), "https://erp.example.com");
/// assert!(VendorOrigin::parse("http://localhost:8080").is_ok());
/// # Ok::<(), cv_portal_plugin::OriginError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VendorOrigin(String);
origin_type!(VendorOrigin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalized_or_refused() {
        for (input, origin) in [
            ("https://portal.example", "https://portal.example"),
            ("HTTPS://Portal.Example/", "https://portal.example"),
            ("https://portal.example:443", "https://portal.example"),
            ("https://portal.example:8443", "https://portal.example:8443"),
            ("http://localhost:8080", "http://localhost:8080"),
            ("http://127.0.0.1", "http://127.0.0.1"),
            ("http://[::1]:3000", "http://[::1]:3000"),
            ("https://10.0.0.5", "https://10.0.0.5"),
            (
                "https://xn--finana-wva.example",
                "https://xn--finana-wva.example",
            ),
        ] {
            assert_eq!(
                PortalOrigin::parse(input).unwrap().as_str(),
                origin,
                "{input}"
            );
        }
        for bad in [
            "",
            "*",
            "null",
            "portal.example",
            "https://",
            "https://*.portal.example",
            "https://portal.example/x",
            "https://portal.example//",
            "https://portal.example?x=1",
            "https://portal.example#x",
            "https://u:p@portal.example",
            "http://portal.example",
            "http://10.0.0.5",
            "ftp://portal.example",
            "https://portal.example:0",
            "https://portal.example:65536",
            "https://portal.example:08443",
            "https://portal.example:",
            "https://port al.example",
            "https://portal..example",
            "https://-portal.example",
            "https://portal.example.",
            "https://finança.example",
            "https://[::2]",
            "https://1.2.3.256",
            "https://portal.example\\x",
            "https://portal.example\n",
        ] {
            let error = PortalOrigin::parse(bad).unwrap_err();
            assert_eq!(error.code(), "invalid_origin", "{bad:?}");
            assert!(!error.to_string().contains('\n'));
        }
    }

    #[test]
    fn from_issuer_needs_a_web_address() {
        let issuer = IssuerId::new("https://portal.construtora.com.br").unwrap();
        assert_eq!(
            PortalOrigin::from_issuer(&issuer).unwrap().as_str(),
            "https://portal.construtora.com.br"
        );
        for bad in ["cv:construtora-x", "https://portal.example/cv"] {
            assert!(PortalOrigin::from_issuer(&IssuerId::new(bad).unwrap()).is_err());
        }
    }
}
