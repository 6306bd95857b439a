//! [`BearerChallenge`]: the `Bearer` challenge of a `WWW-Authenticate` header (RFC 6750 §3, in
//! the auth-param syntax of RFC 9110 §11), read by hand, linearly, without panicking on any
//! input.

/// The longest `WWW-Authenticate` value read, in bytes (a longer one is ignored).
pub const MAX_CHALLENGE_LEN: usize = 8 * 1024;

/// The parameters of the `Bearer` challenge of a `WWW-Authenticate` header:
/// `Bearer realm="cv-plugin", error="invalid_token", error_description="expired"`.
///
/// ```
/// use cv_portal_plugin::BearerChallenge;
/// let c = BearerChallenge::parse(
///     r#"Basic realm="x", Bearer realm="cv-plugin", error="invalid_token", error_description="ex\pired""#,
/// ).unwrap();
/// assert_eq!(c.realm(), Some("cv-plugin"));
/// assert_eq!(c.error(), Some("invalid_token"));
/// assert_eq!(c.error_description(), Some("expired")); // a quoted-pair is the character itself
/// assert!(BearerChallenge::parse(r#"Bearer error="unterminated"#).is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BearerChallenge {
    realm: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    scope: Option<String>,
}

impl BearerChallenge {
    /// Reads the first `Bearer` challenge of a `WWW-Authenticate` value (the scheme compared
    /// without regard to case, as are parameter names). `None` when the value is longer than
    /// [`MAX_CHALLENGE_LEN`], is not in the header's syntax (an unterminated or unescaped quote,
    /// a control character, C1 controls included, a parameter repeated within a challenge), or
    /// has no `Bearer` challenge. Parameters other than `realm`, `error`, `error_description`
    /// and `scope` are ignored.
    pub fn parse(header: &str) -> Option<BearerChallenge> {
        if header.len() > MAX_CHALLENGE_LEN {
            return None;
        }
        let challenges = parse_challenges(header.as_bytes())?;
        let (_, params) = challenges
            .into_iter()
            .find(|(scheme, _)| scheme.eq_ignore_ascii_case(b"bearer"))?;
        let mut challenge = BearerChallenge::default();
        for (name, value) in params {
            let slot = match name.to_ascii_lowercase().as_slice() {
                b"realm" => &mut challenge.realm,
                b"error" => &mut challenge.error,
                b"error_description" => &mut challenge.error_description,
                b"scope" => &mut challenge.scope,
                _ => continue,
            };
            *slot = Some(value);
        }
        Some(challenge)
    }

    /// `realm`.
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// `error`: `invalid_request`, `invalid_token` or `insufficient_scope`.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// `error_description`: in this protocol, the stable code of the refusal.
    pub fn error_description(&self) -> Option<&str> {
        self.error_description.as_deref()
    }

    /// `scope`.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }
}

type Params<'a> = Vec<(&'a [u8], String)>;

/// Every challenge: its scheme and its auth-params (a token68 challenge has none). `None` when
/// the value is not in the header's syntax.
fn parse_challenges(input: &[u8]) -> Option<Vec<(&[u8], Params<'_>)>> {
    let mut challenges: Vec<(&[u8], Params<'_>)> = Vec::new();
    for element in split_list(input)? {
        let element = trim_ows(element);
        if element.is_empty() {
            continue; // RFC 9110 §5.6.1: empty list elements are allowed
        }
        let (first, rest) = take_token(element);
        if first.is_empty() {
            return None;
        }
        let after_first = trim_start_ows(rest);
        if after_first.first() == Some(&b'=') && !is_token68_tail(first, rest) {
            // `name = value`: a parameter of the current challenge.
            let value = parse_value(&after_first[1..])?;
            let (_, params) = challenges.last_mut()?;
            if params.iter().any(|(n, _)| n.eq_ignore_ascii_case(first)) {
                return None;
            }
            params.push((first, value));
            continue;
        }
        // A new challenge: `scheme`, `scheme SP token68` or `scheme SP name = value`.
        let mut params = Vec::new();
        if !rest.is_empty() {
            if rest[0] != b' ' {
                return None;
            }
            let rest = trim_start_ows(rest);
            let (name, after) = take_token(rest);
            let after_name = trim_start_ows(after);
            if !name.is_empty()
                && after_name.first() == Some(&b'=')
                && !is_token68_tail(name, after)
            {
                params.push((name, parse_value(&after_name[1..])?));
            } else if !is_token68(rest) {
                return None;
            }
        }
        challenges.push((first, params));
    }
    Some(challenges)
}

/// Splits at the commas outside quoted strings; `None` on an unterminated quoted string.
fn split_list(input: &[u8]) -> Option<Vec<&[u8]>> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, &b) in input.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if quoted {
            match b {
                b'\\' => escaped = true,
                b'"' => quoted = false,
                _ => {}
            }
        } else if b == b'"' {
            quoted = true;
        } else if b == b',' {
            parts.push(&input[start..i]);
            start = i + 1;
        }
    }
    if quoted || escaped {
        return None;
    }
    parts.push(&input[start..]);
    Some(parts)
}

/// `BWS value OWS` to the end of the element, the value a token or a quoted string.
fn parse_value(input: &[u8]) -> Option<String> {
    let input = trim_start_ows(input);
    let (value, rest) = if input.first() == Some(&b'"') {
        let mut out = Vec::new();
        let mut i = 1;
        loop {
            match *input.get(i)? {
                b'"' => break,
                b'\\' => {
                    let c = *input.get(i + 1)?;
                    if !is_qdtext(c) && c != b'"' && c != b'\\' {
                        return None;
                    }
                    out.push(c);
                    i += 2;
                }
                c if is_qdtext(c) => {
                    out.push(c);
                    i += 1;
                }
                _ => return None,
            }
        }
        // obs-text is bytes, and may spell a C1 control (U+0080..U+009F) in UTF-8: refused
        // like the ASCII controls, so no value can drive a terminal that reads a log.
        let text = String::from_utf8(out).ok()?;
        if text.chars().any(|c| c != '\t' && c.is_control()) {
            return None;
        }
        (text, &input[i + 1..])
    } else {
        let (token, rest) = take_token(input);
        if token.is_empty() {
            return None;
        }
        (String::from_utf8(token.to_vec()).ok()?, rest)
    };
    trim_ows(rest).is_empty().then_some(value)
}

/// `qdtext` and the characters of a quoted-pair: HTAB, SP, VCHAR but `"` and `\`, obs-text.
fn is_qdtext(b: u8) -> bool {
    b == b'\t' || b == b' ' || ((0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\') || b >= 0x80
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn take_token(input: &[u8]) -> (&[u8], &[u8]) {
    let end = input
        .iter()
        .position(|&b| !is_tchar(b))
        .unwrap_or(input.len());
    input.split_at(end)
}

/// `token68`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_token68(input: &[u8]) -> bool {
    let body = input.iter().position(|&b| b == b'=').unwrap_or(input.len());
    body > 0
        && input[..body]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
        && input[body..].iter().all(|&b| b == b'=')
}

/// Whether `name` followed by `rest` (which starts with `=`) is a token68 ending in `=`s rather
/// than `name=value`: only `=`s and whitespace follow.
fn is_token68_tail(name: &[u8], rest: &[u8]) -> bool {
    let rest = trim_ows(rest);
    !rest.is_empty() && rest.iter().all(|&b| b == b'=') && is_token68(name)
}

fn trim_start_ows(input: &[u8]) -> &[u8] {
    let start = input
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(input.len());
    &input[start..]
}

fn trim_ows(input: &[u8]) -> &[u8] {
    let input = trim_start_ows(input);
    let end = input
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |i| i + 1);
    &input[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(h: &str) -> Option<(Option<String>, Option<String>, Option<String>)> {
        BearerChallenge::parse(h).map(|c| (c.realm, c.error, c.error_description))
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn reads_the_contract_headers() {
        assert_eq!(
            parse(r#"Bearer realm="cv-plugin""#),
            Some((s("cv-plugin"), None, None))
        );
        assert_eq!(
            parse(r#"Bearer realm="cv-plugin", error="invalid_request""#),
            Some((s("cv-plugin"), s("invalid_request"), None))
        );
        assert_eq!(
            parse(
                r#"Bearer realm="cv-plugin", error="invalid_token", error_description="expired""#
            ),
            Some((s("cv-plugin"), s("invalid_token"), s("expired")))
        );
    }

    #[test]
    fn reads_the_general_syntax() {
        // Case, tokens as values, whitespace around `=`, empty elements, other challenges.
        assert_eq!(
            parse("bEaReR ERROR = invalid_token ,, realm=x"),
            Some((s("x"), s("invalid_token"), None))
        );
        assert_eq!(
            parse(r#"Negotiate abc/+=, Basic realm="a, b", Bearer error="e""#),
            Some((None, s("e"), None))
        );
        assert_eq!(parse("Negotiate abc==, Bearer"), Some((None, None, None)));
        // `error=` alone is a token68, not a parameter without a value.
        assert_eq!(parse("Bearer error="), Some((None, None, None)));
        assert_eq!(
            parse(r#"Bearer error_description="a \"quoted\" \\ text, with comma""#),
            Some((None, None, s(r#"a "quoted" \ text, with comma"#)))
        );
        assert_eq!(parse(r#"Bearer realm="""#), Some((s(""), None, None)));
        assert_eq!(parse(r#"Bearer realm="ção""#), Some((s("ção"), None, None)));
        // The first Bearer challenge counts.
        assert_eq!(
            parse(r#"Bearer error="a", Bearer error="b""#),
            Some((None, s("a"), None))
        );
    }

    #[test]
    fn refuses_what_is_not_the_syntax() {
        for bad in [
            "",
            "Basic realm=\"x\"",
            "Bearer error=\"unterminated",
            "Bearer error=\"x\\",
            "Bearer error=\"a\"b\"",
            "Bearer error=a b",
            "Bearer error=\"a\", error=\"b\"",
            "Bearer error=\"a\", ERROR=\"b\"",
            "Bearer error=\"a\r\nSet-Cookie: x=1\"",
            "Bearer error=\"a\"\r\nX: y",
            "Bearer error=\"\u{0}\"",
            "Bearer error=\"\u{7f}\"",
            "Bearer error=\"\u{9b}31m\"",
            "Bearer error=\"\\\u{85}\"",
            "Bearer\terror=\"x\"",
            "=x",
            "error=\"x\"",
            ", , ,",
            "Bearer ===",
            "Bearer \"x\"",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse(&format!(
                "Bearer realm=\"{}\"",
                "x".repeat(MAX_CHALLENGE_LEN)
            )),
            None
        );
    }
}
