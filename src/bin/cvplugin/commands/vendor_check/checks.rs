//! The judgement of each answer: what a case expects, and what it got, in words that never
//! contain a token, a cookie value or the body.

use super::launch::{Answer, NoAnswer};
use super::portal::data_markers;

/// The longest header value excerpt quoted in a `got`.
const QUOTE_MAX_CHARS: usize = 100;

/// One case's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    /// The case's stable name.
    pub name: String,
    /// Whether the vendor behaved as the protocol requires.
    pub pass: bool,
    /// What the protocol requires.
    pub expected: String,
    /// What the vendor did.
    pub got: String,
    /// Reported, not judged: not counted in `passed` or `failed` (`pass` then says whether the
    /// vendor took the stricter choice).
    pub informational: bool,
}

impl Outcome {
    /// An outcome of `name`.
    pub fn new(name: String, pass: bool, expected: &str, got: String) -> Outcome {
        Outcome {
            name,
            pass,
            expected: expected.to_owned(),
            got,
            informational: false,
        }
    }

    /// An informational outcome of `name`.
    pub fn info(name: String, pass: bool, expected: &str, got: String) -> Outcome {
        Outcome {
            informational: true,
            ..Outcome::new(name, pass, expected, got)
        }
    }
}

/// `text` cut to a short one-line excerpt with `secret` (a token) replaced by `<token>`.
pub fn quote(text: &str, secret: Option<&str>) -> String {
    let cleaned = match secret {
        Some(secret) if !secret.is_empty() => text.replace(secret, "<token>"),
        _ => text.to_owned(),
    };
    format!("\"{}\"", crate::error::cut(&cleaned, QUOTE_MAX_CHARS))
}

/// What the vendor's answer was, in a few words: its status, and for a redirect that it was one.
pub fn status_words(answer: &Answer) -> String {
    match answer.status {
        300..=399 => format!("{} (a redirect)", answer.status),
        status => status.to_string(),
    }
}

/// The cookie names an answer sets (never their values).
fn cookie_names(answer: &Answer) -> Vec<String> {
    answer
        .all("set-cookie")
        .map(|cookie| {
            let name = cookie.split(['=', ';']).next().unwrap_or("").trim();
            crate::error::cut(name, 40)
        })
        .collect()
}

/// The expectation of every refused launch.
pub const REFUSED: &str = "a 4xx refusal with no session (no Set-Cookie, none of the person's \
                           data, no redemption at the client-data endpoint)";

/// The expectation of a request without a token.
pub const REFUSED_OR_BOUNCE: &str = "a 4xx refusal, or a page with no session and none of the \
                                     person's data (the bounce page of PROTOCOL.md §13.5)";

/// A launch that must be refused: 4xx, no `Set-Cookie`, none of the demo person's data in the
/// body, and (when `redeemed` is given) no redemption of the token at the client-data endpoint.
/// With `page_allowed` (a request that carried no token), a 2xx page that meets the other rules
/// passes too: the bounce page a reload of the frame gets (§13.5) shows nothing and opens nothing.
pub fn refused(
    answer: &Result<Answer, NoAnswer>,
    redeemed: Option<u32>,
    page_allowed: bool,
) -> (bool, String) {
    let answer = match answer {
        Ok(answer) => answer,
        Err(no) => return (false, format!("no answer ({})", no.describe())),
    };
    let mut problems = Vec::new();
    let page = page_allowed && (200..=299).contains(&answer.status);
    if !page && !(400..=499).contains(&answer.status) {
        problems.push(if (200..=299).contains(&answer.status) {
            "the launch was accepted".to_owned()
        } else {
            "not a 4xx".to_owned()
        });
    }
    let cookies = cookie_names(answer);
    if !cookies.is_empty() {
        problems.push(format!("Set-Cookie {}", cookies.join(", ")));
    }
    if data_markers()
        .iter()
        .any(|marker| answer.body.contains(marker))
    {
        problems.push("the body shows the person's data".to_owned());
    }
    if let Some(count) = redeemed.filter(|&count| count > 0) {
        problems.push(format!(
            "the vendor presented the token at the client-data endpoint {count} time(s)"
        ));
    }
    let status = status_words(answer);
    if problems.is_empty() {
        (true, status)
    } else {
        (false, format!("{status}: {}", problems.join("; ")))
    }
}

/// The valid launch: a 2xx page, not a redirect (§5).
pub fn accepted(answer: &Answer) -> (bool, String) {
    let pass = (200..=299).contains(&answer.status);
    (pass, status_words(answer))
}

/// The comma- or semicolon-separated, case-insensitive tokens of a header's values.
fn lower_values(answer: &Answer, name: &str) -> Vec<String> {
    answer.all(name).map(str::to_ascii_lowercase).collect()
}

/// `Content-Security-Policy` with a `frame-ancestors` directive that names `origin` and no
/// source that lets any site frame the page (`*`, `http:`, `https:`), and no
/// `X-Frame-Options` (§12).
pub fn frame_ancestors(answer: &Answer, origin: &str, token: &str) -> (bool, String) {
    let origin = origin.to_ascii_lowercase();
    let policies = lower_values(answer, "content-security-policy");
    if policies.is_empty() {
        return (false, "no Content-Security-Policy".to_owned());
    }
    let directives: Vec<Vec<&str>> = policies
        .iter()
        .flat_map(|policy| policy.split(';'))
        .map(|d| d.split_ascii_whitespace().collect::<Vec<_>>())
        .filter(|words| words.first() == Some(&"frame-ancestors"))
        .collect();
    let shown = quote(
        &answer
            .all("content-security-policy")
            .collect::<Vec<_>>()
            .join(", "),
        Some(token),
    );
    if directives.is_empty() {
        return (false, format!("no frame-ancestors directive in {shown}"));
    }
    // Every policy is enforced: the portal must be allowed by each frame-ancestors directive.
    let names_portal = directives.iter().all(|words| {
        words.iter().skip(1).any(|source| {
            let source = source.trim_end_matches('/');
            source == origin || with_default_port(&origin).as_deref() == Some(source)
        })
    });
    let wildcard = directives.iter().any(|words| {
        words
            .iter()
            .skip(1)
            .any(|s| *s == "*" || *s == "http:" || *s == "https:")
    });
    if answer.all("x-frame-options").next().is_some() {
        return (
            false,
            format!("X-Frame-Options is set (it forbids the portal's frame); CSP {shown}"),
        );
    }
    if wildcard {
        return (
            false,
            format!("frame-ancestors lets any site frame the page: {shown}"),
        );
    }
    if !names_portal {
        return (
            false,
            format!("frame-ancestors does not name the portal: {shown}"),
        );
    }
    (true, shown)
}

/// `origin` with its scheme's default port written out (`https://a` → `https://a:443`).
fn with_default_port(origin: &str) -> Option<String> {
    let (scheme, rest) = origin.split_once("://")?;
    let port = match scheme {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    (!rest.contains(':') || rest.ends_with(']')).then(|| format!("{origin}:{port}"))
}

/// `Referrer-Policy: no-referrer`, the policy the browser applies being the last one it knows
/// of all the header's values (§5, §12). Nothing weaker is accepted: `same-origin` and the
/// like still send the page's address, `?token=` included, with the vendor's own requests.
pub fn referrer_policy(answer: &Answer) -> (bool, String) {
    const KNOWN: [&str; 8] = [
        "no-referrer",
        "no-referrer-when-downgrade",
        "same-origin",
        "origin",
        "strict-origin",
        "origin-when-cross-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    ];
    let values = lower_values(answer, "referrer-policy");
    let effective = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|p| KNOWN.contains(p));
    match effective {
        Some("no-referrer") => (true, "no-referrer".to_owned()),
        Some(policy) => (false, policy.to_owned()),
        None if values.is_empty() => (false, "no Referrer-Policy".to_owned()),
        None => (false, quote(&values.join(", "), None)),
    }
}

/// `Cache-Control` with the `no-store` directive (§12).
pub fn cache_control(answer: &Answer) -> (bool, String) {
    let values = lower_values(answer, "cache-control");
    if values.is_empty() {
        return (false, "no Cache-Control".to_owned());
    }
    let no_store = values
        .iter()
        .flat_map(|v| v.split(','))
        .any(|d| d.trim() == "no-store");
    (no_store, quote(&values.join(", "), None))
}

/// No cookie the session could rest on alone inside the portal's cross-site iframe: every
/// `Set-Cookie` of the launch answer has `SameSite=None`, `Secure` and `Partitioned` (§12's
/// optional cookie), without which browsers block or drop it in a third-party frame.
pub fn no_cookie_only_session(answer: &Answer) -> (bool, String) {
    let mut unusable = Vec::new();
    let mut count = 0usize;
    for cookie in answer.all("set-cookie") {
        count += 1;
        let attributes: Vec<String> = cookie
            .split(';')
            .skip(1)
            .map(|a| a.trim().to_ascii_lowercase().replace(' ', ""))
            .collect();
        let has = |wanted: &str| attributes.iter().any(|a| a == wanted);
        let missing: Vec<&str> = [
            ("samesite=none", "SameSite=None"),
            ("secure", "Secure"),
            ("partitioned", "Partitioned"),
        ]
        .into_iter()
        .filter(|(wanted, _)| !has(wanted))
        .map(|(_, shown)| shown)
        .collect();
        if !missing.is_empty() {
            let name = cookie.split(['=', ';']).next().unwrap_or("").trim();
            unusable.push(format!(
                "Set-Cookie {} without {}",
                crate::error::cut(name, 40),
                missing.join(", ")
            ));
        }
    }
    match (count, unusable.is_empty()) {
        (0, _) => (true, "no Set-Cookie".to_owned()),
        (_, true) => (
            true,
            format!("{count} cookie(s), each SameSite=None; Secure; Partitioned"),
        ),
        (_, false) => (false, unusable.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
        Answer {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn frame_ancestors_must_name_the_portal_and_nothing_wider() {
        let portal = "http://127.0.0.1:8080";
        let ok = answer(
            200,
            &[(
                "content-security-policy",
                "default-src 'self'; frame-ancestors http://127.0.0.1:8080",
            )],
            "",
        );
        assert!(frame_ancestors(&ok, portal, "t").0);
        let other = answer(
            200,
            &[(
                "content-security-policy",
                "frame-ancestors https://x.example",
            )],
            "",
        );
        assert!(!frame_ancestors(&other, portal, "t").0);
        let star = answer(
            200,
            &[(
                "content-security-policy",
                "frame-ancestors * http://127.0.0.1:8080",
            )],
            "",
        );
        assert!(!frame_ancestors(&star, portal, "t").0);
        let none = answer(200, &[], "");
        assert_eq!(
            frame_ancestors(&none, portal, "t").1,
            "no Content-Security-Policy"
        );
        let default_port = answer(
            200,
            &[(
                "content-security-policy",
                "frame-ancestors https://p.example:443",
            )],
            "",
        );
        assert!(frame_ancestors(&default_port, "https://p.example", "t").0);
        let xfo = answer(
            200,
            &[
                (
                    "content-security-policy",
                    "frame-ancestors https://p.example",
                ),
                ("x-frame-options", "DENY"),
            ],
            "",
        );
        assert!(!frame_ancestors(&xfo, "https://p.example", "t").0);
    }

    #[test]
    fn referrer_policy_is_the_last_known_one() {
        let rp = |v: &str| referrer_policy(&answer(200, &[("referrer-policy", v)], "")).0;
        assert!(rp("no-referrer"));
        assert!(rp("unknown-future, no-referrer"));
        assert!(!rp("no-referrer, same-origin"));
        assert!(!rp("strict-origin-when-cross-origin"));
        assert!(!referrer_policy(&answer(200, &[], "")).0);
    }

    #[test]
    fn cookies_and_refusals() {
        let good = answer(
            200,
            &[(
                "set-cookie",
                "__Host-s=v; Path=/; Secure; HttpOnly; SameSite=None; Partitioned",
            )],
            "",
        );
        assert!(no_cookie_only_session(&good).0);
        let lax = answer(
            200,
            &[("set-cookie", "sid=secretvalue; Path=/; HttpOnly")],
            "",
        );
        let (pass, got) = no_cookie_only_session(&lax);
        assert!(!pass);
        assert!(got.contains("sid") && !got.contains("secretvalue"), "{got}");
        let (pass, got) = refused(&Ok(answer(401, &[], "expired")), Some(0), false);
        assert!(pass, "{got}");
        let (pass, got) = refused(&Ok(answer(401, &[("set-cookie", "a=b")], "")), None, false);
        assert!(!pass && got.contains("Set-Cookie a"), "{got}");
        let (pass, got) = refused(
            &Ok(answer(200, &[], "Maria Conformidade Teste")),
            Some(1),
            false,
        );
        assert!(
            !pass && got.contains("accepted") && got.contains("data") && got.contains("1 time")
        );
        assert!(!refused(&Err(NoAnswer::Timeout), None, false).0);
        // Without a token: a bounce page (2xx, nothing shown, nothing started) is a refusal; a
        // page with the person's data or a cookie is not, and a 2xx still is not with a token.
        let bounce = answer(200, &[], "<script>CvPluginPage.bounce({})</script>");
        assert!(refused(&Ok(bounce.clone()), None, true).0);
        assert!(!refused(&Ok(bounce), None, false).0);
        assert!(
            !refused(
                &Ok(answer(200, &[], "Maria Conformidade Teste")),
                None,
                true
            )
            .0
        );
        assert!(!refused(&Ok(answer(200, &[("set-cookie", "s=1")], "")), None, true).0);
        assert_eq!(quote("a TOKEN b", Some("TOKEN")), "\"a <token> b\"");
    }
}
