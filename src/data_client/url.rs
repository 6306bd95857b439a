//! The URL rules of the exchange, checked by hand (the vendor build has no URL parser): https,
//! or http to a loopback host; printable ASCII; a host; no userinfo, no fragment.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::MAX_URL_LEN;
use super::error::{DataClientError, UrlProblem, UrlRole};
use crate::quoted::Quoted;

/// Checks `raw` as the URL `role`; an issuer may not have a query either.
pub(crate) fn check(raw: &str, role: UrlRole) -> Result<(), DataClientError> {
    let invalid = |problem| DataClientError::InvalidUrl {
        role,
        problem,
        found: Quoted::ascii(raw),
    };
    if raw.len() > MAX_URL_LEN {
        return Err(invalid(UrlProblem::TooLong {
            len: raw.len(),
            max: MAX_URL_LEN,
        }));
    }
    if !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(UrlProblem::InvalidCharacter));
    }
    let Some((scheme, rest)) = raw.split_once("://") else {
        return Err(invalid(UrlProblem::NotAbsolute));
    };
    let https = scheme.eq_ignore_ascii_case("https");
    if !https && !scheme.eq_ignore_ascii_case("http") {
        return Err(DataClientError::UrlNotHttps {
            role,
            found: Quoted::ascii(raw),
        });
    }
    if rest.contains('#') {
        return Err(invalid(UrlProblem::Fragment));
    }
    if role == UrlRole::Issuer && rest.contains('?') {
        return Err(invalid(UrlProblem::IssuerQuery));
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid(UrlProblem::Userinfo));
    }
    let loopback = host_is_loopback(authority).map_err(invalid)?;
    if !https && !loopback {
        return Err(DataClientError::UrlNotHttps {
            role,
            found: Quoted::ascii(raw),
        });
    }
    Ok(())
}

/// Parses `host[:port]` (the host a name, an IPv4 address or `[IPv6]`) and says whether the
/// host is a loopback one: `localhost`, `127.0.0.0/8` or `[::1]`.
fn host_is_loopback(authority: &str) -> Result<bool, UrlProblem> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (ip, after) = bracketed.split_once(']').ok_or(UrlProblem::InvalidHost)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(UrlProblem::InvalidPort)?),
        };
        let ip: Ipv6Addr = ip.parse().map_err(|_| UrlProblem::InvalidHost)?;
        check_port(port)?;
        return Ok(ip.is_loopback());
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    check_port(port)?;
    let name_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !name_ok {
        return Err(UrlProblem::InvalidHost);
    }
    // A host whose last label is a number is an IPv4 address to every URL parser (the WHATWG
    // "ends in a number" rule): `2130706433`, `0x7f.1` and `127.1` all reach 127.0.0.1, and
    // `portal.example.2` is no valid host at all. Only the plain dotted-quad form is accepted,
    // so the loopback and non-public checks see every address as the HTTP client will.
    if ends_in_a_number(host) && host.parse::<Ipv4Addr>().is_err() {
        return Err(UrlProblem::InvalidHost);
    }
    Ok(host.eq_ignore_ascii_case("localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback()))
}

/// Whether `host`'s last label (a trailing dot aside) is a number, decimal or `0x` hex, which
/// makes URL parsers read the whole host as an IPv4 address.
fn ends_in_a_number(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let last = host.rsplit('.').next().unwrap_or_default();
    let hex = last.strip_prefix("0x").or_else(|| last.strip_prefix("0X"));
    match hex {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()),
    }
}

/// The host of an absolute URL that [`check`] accepted, lower-cased, brackets removed.
pub(crate) fn host(raw: &str) -> String {
    let rest = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    };
    host.to_ascii_lowercase()
}

/// Whether `host` (as [`host`] returns it) is `localhost` or an IP address outside the public
/// internet: loopback, private (RFC 1918), shared (RFC 6598), link-local, unique-local,
/// unspecified, or an IPv4-mapped one of these. Names other than `localhost` are not resolved
/// here: the vendor's HTTP client must refuse private addresses it resolves to.
pub(crate) fn is_non_public(host: &str) -> bool {
    fn v4(ip: Ipv4Addr) -> bool {
        let [a, b, ..] = ip.octets();
        ip.is_loopback()
            || ip.is_private()
            || ip.is_link_local()
            || ip.is_unspecified()
            || ip.is_broadcast()
            || (a == 100 && (64..128).contains(&b))
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return v4(ip);
    }
    match host.parse::<Ipv6Addr>() {
        Ok(ip) => {
            let first = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || ip.to_ipv4_mapped().is_some_and(v4)
        }
        Err(_) => false,
    }
}

fn check_port(port: Option<&str>) -> Result<(), UrlProblem> {
    match port {
        None => Ok(()),
        Some(p) if (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) => {
            match p.parse::<u16>() {
                Ok(n) if n > 0 => Ok(()),
                _ => Err(UrlProblem::InvalidPort),
            }
        }
        Some(_) => Err(UrlProblem::InvalidPort),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_and_private_hosts_are_non_public() {
        for local in [
            "https://localhost/x",
            "https://api.localhost/x",
            "https://127.0.0.1:6379/",
            "https://10.0.0.5/admin",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/",
        ] {
            assert!(is_non_public(&host(local)), "{local}");
        }
        for public in [
            "https://portal.construtora.com.br/x",
            "https://8.8.8.8/",
            "https://172.32.0.1/",
            "https://100.128.0.1/",
            "https://[2001:db8::1]:8443/p",
            "https://localhost.example.com/",
        ] {
            assert!(!is_non_public(&host(public)), "{public}");
        }
        assert_eq!(host("https://[::1]:8080/p"), "::1");
    }

    #[test]
    fn https_anywhere_http_only_for_loopback() {
        for ok in [
            "https://portal.construtora.com.br",
            "https://portal.construtora.com.br/",
            "https://portal.example:8443/api/cv-plugin/client-data?x=1",
            "HTTPS://Portal.Example",
            "http://localhost:3000/x",
            "http://LOCALHOST",
            "http://127.0.0.1:8080",
            "http://127.9.8.7/",
            "https://1password.com/",
            "https://portal.2fa.com.br/",
            "https://203.0.113.9/",
            "http://[::1]:8080/p",
            "https://[2001:db8::1]/p",
        ] {
            assert_eq!(check(ok, UrlRole::JwksUri), Ok(()), "{ok}");
        }
        for not_https in [
            "http://portal.example",
            "http://localhost.evil.example/",
            "http://[::2]/",
            "http://10.0.0.1/",
            "ftp://portal.example",
            "javascript://x",
        ] {
            assert_eq!(
                check(not_https, UrlRole::Issuer).unwrap_err().code(),
                "data_url_not_https",
                "{not_https}"
            );
        }
    }

    #[test]
    fn malformed_urls_name_their_problem() {
        let long = format!("https://x/{}", "a".repeat(MAX_URL_LEN));
        let cases = [
            ("portal.example", UrlProblem::NotAbsolute),
            ("https://portal.example/a b", UrlProblem::InvalidCharacter),
            (
                "https://portal.example/\r\nX-Evil: 1",
                UrlProblem::InvalidCharacter,
            ),
            ("https://portal.exámple", UrlProblem::InvalidCharacter),
            ("https://", UrlProblem::InvalidHost),
            ("https://:443/", UrlProblem::InvalidHost),
            ("https://[::1/", UrlProblem::InvalidHost),
            ("https://[zz]/", UrlProblem::InvalidHost),
            ("https://a%2eb/", UrlProblem::InvalidHost),
            // Numbers that URL parsers read as IPv4 (127.0.0.1, 10.0.0.1) or reject.
            ("https://2130706433/", UrlProblem::InvalidHost),
            ("https://0x7f.0.0.1/", UrlProblem::InvalidHost),
            ("https://127.1/", UrlProblem::InvalidHost),
            ("https://10.0.0.1./", UrlProblem::InvalidHost),
            ("https://portal.example.0x/", UrlProblem::InvalidHost),
            (
                "https://portal.constrUtora.cmbo.2/",
                UrlProblem::InvalidHost,
            ),
            ("https://portal.example:0/", UrlProblem::InvalidPort),
            ("https://portal.example:65536/", UrlProblem::InvalidPort),
            ("https://portal.example:/", UrlProblem::InvalidPort),
            ("https://[::1]x/", UrlProblem::InvalidPort),
            ("https://user:pw@portal.example/", UrlProblem::Userinfo),
            ("https://portal.example/#x", UrlProblem::Fragment),
            ("https://portal.example?tenant=1", UrlProblem::IssuerQuery),
            (
                long.as_str(),
                UrlProblem::TooLong {
                    len: long.len(),
                    max: MAX_URL_LEN,
                },
            ),
        ];
        for (url, problem) in cases {
            match check(url, UrlRole::Issuer) {
                Err(DataClientError::InvalidUrl { problem: p, .. }) => {
                    assert_eq!(p, problem, "{url:?}")
                }
                other => panic!("{url:?}: {other:?}"),
            }
        }
        // A query is fine on an endpoint.
        assert_eq!(
            check("https://p.example/d?t=1", UrlRole::ClientDataEndpoint),
            Ok(())
        );
    }
}
