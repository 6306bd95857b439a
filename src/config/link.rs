//! The plugin link: the vendor URL the portal opens (and later sends the launch token to).

use url::{Host, Url};

use super::PluginConfig;
use super::error::{ConfigErrorKind, UrlProblem};
use crate::quoted::Quoted;

/// Parses and checks a plugin link, reporting every problem found.
///
/// Rules: absolute URL with a host; `https`, or `http` only for loopback hosts (`localhost`,
/// `127.0.0.0/8`, `[::1]`); no `user:password@`; no `#fragment`; at most
/// [`PluginConfig::LINK_MAX_LEN`] bytes (checked on the input and on the normalized URL); no
/// `token` query parameter (the launch URL adds it). The query string is otherwise kept as given
/// (normalized by the URL parser).
pub(crate) fn parse_link(input: &str) -> Result<Url, Vec<ConfigErrorKind>> {
    if input.len() > PluginConfig::LINK_MAX_LEN {
        return Err(vec![ConfigErrorKind::LinkTooLong { len: input.len() }]);
    }
    let url = Url::parse(input).map_err(|error| {
        vec![match error {
            url::ParseError::RelativeUrlWithoutBase => ConfigErrorKind::LinkNotAbsolute,
            url::ParseError::EmptyHost => ConfigErrorKind::LinkNoHost,
            other => ConfigErrorKind::LinkInvalid {
                problem: UrlProblem::from_parse_error(other),
            },
        }]
    })?;
    check_link(&url)?;
    Ok(url)
}

/// Checks an already parsed URL.
pub(crate) fn check_link(url: &Url) -> Result<(), Vec<ConfigErrorKind>> {
    let mut problems = Vec::new();
    if url.as_str().len() > PluginConfig::LINK_MAX_LEN {
        problems.push(ConfigErrorKind::LinkTooLong {
            len: url.as_str().len(),
        });
    }
    let host = url.host();
    if !has_allowed_scheme(url) {
        problems.push(ConfigErrorKind::LinkNotHttps {
            scheme: Quoted::new(url.scheme()),
        });
    }
    if matches!(host, None | Some(Host::Domain(""))) {
        problems.push(ConfigErrorKind::LinkNoHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        problems.push(ConfigErrorKind::LinkHasUserinfo);
    }
    if url.fragment().is_some() {
        problems.push(ConfigErrorKind::LinkHasFragment);
    }
    if url
        .query_pairs()
        .any(|(name, _)| name == crate::wire::TOKEN_PARAM)
    {
        problems.push(ConfigErrorKind::LinkReservedQueryParam);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// `https`, or `http` to a loopback host.
pub(crate) fn has_allowed_scheme(url: &Url) -> bool {
    match (url.scheme(), url.host()) {
        ("https", _) => true,
        ("http", Some(host)) => is_loopback(&host),
        _ => false,
    }
}

/// `localhost`, `127.0.0.0/8` or `::1`. (The URL parser lowercases domains and turns `127.1`
/// into `127.0.0.1`.) Other names under `.localhost` are not accepted.
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => *name == "localhost",
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(input: &str) -> Vec<&'static str> {
        match parse_link(input) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.iter().map(ConfigErrorKind::code).collect(),
        }
    }

    #[test]
    fn accepts() {
        let cases = [
            (
                "https://erp.example.com.br/portal",
                "https://erp.example.com.br/portal",
            ),
            ("https://erp.example.com", "https://erp.example.com/"),
            (
                "https://erp.example.com:8443/a?x=1&y=2",
                "https://erp.example.com:8443/a?x=1&y=2",
            ),
            (
                "http://localhost:3000/plugin",
                "http://localhost:3000/plugin",
            ),
            ("http://LOCALHOST/plugin", "http://localhost/plugin"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
            ("http://127.9.8.7/", "http://127.9.8.7/"),
            ("http://[::1]:8080/p", "http://[::1]:8080/p"),
            ("https://10.0.0.5/p", "https://10.0.0.5/p"),
            ("  https://erp.example.com/p  ", "https://erp.example.com/p"),
            // WHATWG parsing: extra slashes after a special scheme are skipped.
            ("https:///erp.example.com/p", "https://erp.example.com/p"),
        ];
        for (input, normalized) in cases {
            let url = parse_link(input).unwrap_or_else(|e| panic!("{input:?}: {e:?}"));
            assert_eq!(url.as_str(), normalized);
        }
    }

    #[test]
    fn keeps_the_query() {
        let url = parse_link("https://erp.example.com/p?empresa=42&modo=boleto").unwrap();
        assert_eq!(url.query(), Some("empresa=42&modo=boleto"));
    }

    #[test]
    fn rejects_with_codes() {
        let long = format!("https://erp.example.com/{}", "a".repeat(2048));
        let cases: &[(&str, &[&str])] = &[
            ("http://erp.example.com/p", &["link_not_https"]),
            ("http://localhost.evil.com/p", &["link_not_https"]),
            ("http://128.0.0.1/p", &["link_not_https"]),
            ("http://[::2]/p", &["link_not_https"]),
            ("ftp://erp.example.com/p", &["link_not_https"]),
            ("javascript:alert(1)", &["link_not_https", "link_no_host"]),
            (
                "data:text/html,<script>",
                &["link_not_https", "link_no_host"],
            ),
            ("file:///etc/passwd", &["link_not_https", "link_no_host"]),
            ("/relative/path", &["link_not_absolute"]),
            ("erp.example.com/p", &["link_not_absolute"]),
            ("", &["link_not_absolute"]),
            ("https://[::1/", &["link_invalid"]),
            ("https://exa mple.com/", &["link_invalid"]),
            ("https://", &["link_no_host"]),
            ("https://erp.example.com:99999/", &["link_invalid"]),
            ("https://user:pw@erp.example.com/", &["link_has_userinfo"]),
            ("https://user@erp.example.com/", &["link_has_userinfo"]),
            ("https://erp.example.com/p#top", &["link_has_fragment"]),
            (
                "https://erp.example.com/p?token=x",
                &["link_reserved_query_param"],
            ),
            (
                "https://erp.example.com/p?a=1&token",
                &["link_reserved_query_param"],
            ),
            ("https://erp.example.com/p#", &["link_has_fragment"]),
            (
                "http://u:p@erp.example.com/p#x",
                &["link_not_https", "link_has_userinfo", "link_has_fragment"],
            ),
            (&long, &["link_too_long"]),
        ];
        for (input, expected) in cases {
            assert_eq!(codes(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn unparseable_links_say_why_in_both_languages() {
        let cases = [
            (
                "https://erp.example.com:99999/",
                UrlProblem::InvalidPort,
                "número de porta",
            ),
            ("https://[::1/", UrlProblem::InvalidIpv6Address, "IPv6"),
            ("https://999.1.1.1/", UrlProblem::InvalidIpv4Address, "IPv4"),
            (
                "https://exa mple.com/",
                UrlProblem::InvalidDomain,
                "domínio",
            ),
            ("https://xn--a.com/", UrlProblem::InvalidDomain, "domínio"),
        ];
        for (input, problem, pt) in cases {
            let kinds = parse_link(input).unwrap_err();
            assert_eq!(kinds, [ConfigErrorKind::LinkInvalid { problem }], "{input}");
            assert!(kinds[0].problem_pt_br().contains(pt), "{input}");
            assert!(kinds[0].problem_en().starts_with("is not a valid URL ("));
        }
    }

    #[test]
    fn userinfo_message_never_echoes_the_password() {
        let problems = parse_link("https://user:s3cr3t@erp.example.com/").unwrap_err();
        for p in problems {
            assert!(!p.problem_en().contains("s3cr3t"));
            assert!(!p.problem_pt_br().contains("s3cr3t"));
        }
    }
}
