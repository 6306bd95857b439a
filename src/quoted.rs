//! [`Quoted`]: the one way the crate echoes untrusted text (a header value, an issuer found in a
//! token, a field of a configuration, a server's error text) back in an error message.

use std::fmt;

/// The default bound, in characters, of a quoted excerpt.
pub(crate) const QUOTE_MAX: usize = 64;

/// A short, printable excerpt of untrusted text for error messages and logs.
///
/// Control characters and invisible formatting characters (bidirectional overrides, zero-width
/// characters, the byte order mark) become `?`, so an excerpt cannot forge a log line or hide its
/// real content. Text longer than the bound keeps its head and its tail around a `…`, because the
/// difference that matters is often at the end (`https://portal.example.com.br/` against
/// `https://portal.example.com.br`).
///
/// ```
/// use cv_portal_plugin::Quoted;
/// assert_eq!(Quoted::new("a\nb").as_str(), "a?b");
/// let long = format!("https://{}.example/", "x".repeat(100));
/// assert!(Quoted::new(&long).as_str().ends_with(".example/"));
/// assert_eq!(Quoted::new("Financeiro").to_string(), "\"Financeiro\"");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Quoted(String);

impl Quoted {
    /// An excerpt of `raw` of at most 64 characters.
    pub fn new(raw: &str) -> Self {
        Quoted::bounded(raw, QUOTE_MAX)
    }

    /// An excerpt of `raw` of at most `max` characters (at least 8).
    pub(crate) fn bounded(raw: &str, max: usize) -> Self {
        let max = max.max(8);
        let count = raw.chars().count();
        let clean = |c: char| if is_shown(c) { c } else { '?' };
        if count <= max {
            return Quoted(raw.chars().map(clean).collect());
        }
        // Head and tail around the ellipsis, the head one character longer when odd.
        let tail = (max - 1) / 2;
        let head = max - 1 - tail;
        let mut out: String = raw.chars().take(head).map(clean).collect();
        out.push('…');
        out.extend(raw.chars().skip(count - tail).map(clean));
        Quoted(out)
    }

    /// The excerpt.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `c` may appear as itself in an excerpt.
fn is_shown(c: char) -> bool {
    !c.is_control()
        && !matches!(
            c,
            '\u{200B}'..='\u{200F}' // zero-width characters and direction marks
                | '\u{2028}'..='\u{202E}' // line/paragraph separators, bidi embeddings/overrides
                | '\u{2060}'..='\u{2069}' // word joiner, invisible operators, bidi isolates
                | '\u{FEFF}' // byte order mark
        )
}

impl fmt::Debug for Quoted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Quoted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_what_could_forge_or_hide_text() {
        assert_eq!(Quoted::new("EdDSA").as_str(), "EdDSA");
        assert_eq!(Quoted::new("a\nb\u{7f}\u{202e}c").as_str(), "a?b??c");
        assert_eq!(Quoted::new("finança").as_str(), "finança");
        assert_eq!(Quoted::new("\u{feff}x\u{200b}").as_str(), "?x?");
    }

    #[test]
    fn keeps_head_and_tail_of_long_text() {
        let long = format!("{}{}", "a".repeat(100), "z".repeat(100));
        let quoted = Quoted::new(&long);
        assert_eq!(quoted.as_str().chars().count(), QUOTE_MAX);
        assert_eq!(
            quoted.as_str(),
            format!("{}…{}", "a".repeat(32), "z".repeat(31))
        );
        let exact = "x".repeat(QUOTE_MAX);
        assert_eq!(Quoted::new(&exact).as_str(), exact);
        assert_eq!(Quoted::bounded("abcdefghijkl", 8).as_str(), "abcd…jkl");
    }
}
