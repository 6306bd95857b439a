//! [`Quoted`]: the one way the crate echoes untrusted text (a header value, an issuer found in a
//! token, a field of a configuration, a server's error text) back in an error message.

use std::fmt;

/// The default bound, in characters, of a quoted excerpt.
pub(crate) const QUOTE_MAX: usize = 64;

/// A short, printable excerpt of untrusted text for error messages and logs.
///
/// Two forms. [`Quoted::new`], for text people write (a plugin name, a title, "finança"): printable
/// Unicode stays, and control and invisible characters (bidirectional controls, zero-width and
/// filler characters, variation selectors, tag characters, private-use characters, the byte order
/// mark) become `?`. [`Quoted::ascii`], for protocol values that are ASCII by definition (an
/// issuer, a plugin id, a `kid`, an `alg`): every other character is shown as its code point,
/// `\u{…}`, so two values that look alike never print alike. Either way an excerpt cannot forge a
/// log line or hide its real content. Text longer than the bound keeps its head and its tail
/// around a `…`, because the difference that matters is often at the end
/// (`https://portal.example.com.br/` against `https://portal.example.com.br`).
///
/// ```
/// use cv_portal_plugin::Quoted;
/// assert_eq!(Quoted::new("a\nb").as_str(), "a?b");
/// let long = format!("https://{}.example/", "x".repeat(100));
/// assert!(Quoted::new(&long).as_str().ends_with(".example/"));
/// assert_eq!(Quoted::new("Financeiro").to_string(), "\"Financeiro\"");
/// assert_eq!(Quoted::ascii("https://portal\u{430}.br").as_str(), "https://portal\\u{430}.br");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Quoted(String);

impl Quoted {
    /// An excerpt of text people write, of at most 64 characters: printable Unicode kept.
    pub fn new(raw: &str) -> Self {
        Quoted::bounded(raw, QUOTE_MAX)
    }

    /// An excerpt of a protocol value that should be ASCII, of at most 64 units: every character
    /// but printable ASCII is shown as `\u{…}`.
    pub fn ascii(raw: &str) -> Self {
        Quoted::excerpt(raw, QUOTE_MAX, |c| {
            if c.is_ascii_graphic() || c == ' ' {
                Unit::Char(c)
            } else {
                Unit::Escaped(c)
            }
        })
    }

    /// An excerpt of text people write, of at most `max` characters (at least 8).
    pub(crate) fn bounded(raw: &str, max: usize) -> Self {
        Quoted::excerpt(raw, max, |c| Unit::Char(if is_shown(c) { c } else { '?' }))
    }

    /// At most `max` units of `raw` (at least 8), head and tail around `…` when cut.
    fn excerpt(raw: &str, max: usize, unit: impl Fn(char) -> Unit) -> Self {
        let max = max.max(8);
        let units: Vec<Unit> = raw.chars().map(unit).collect();
        let mut out = String::new();
        if units.len() <= max {
            units.iter().for_each(|u| u.push_to(&mut out));
            return Quoted(out);
        }
        // Head and tail around the ellipsis, the head one unit longer when odd.
        let tail = (max - 1) / 2;
        let head = max - 1 - tail;
        units[..head].iter().for_each(|u| u.push_to(&mut out));
        out.push('…');
        units[units.len() - tail..]
            .iter()
            .for_each(|u| u.push_to(&mut out));
        Quoted(out)
    }

    /// The excerpt.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One character of an excerpt, as shown.
enum Unit {
    Char(char),
    Escaped(char),
}

impl Unit {
    fn push_to(&self, out: &mut String) {
        match self {
            Unit::Char(c) => out.push(*c),
            Unit::Escaped(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(*c))),
        }
    }
}

/// Whether `c` may appear as itself in an excerpt of text people write.
fn is_shown(c: char) -> bool {
    !c.is_control()
        && !matches!(
            c,
            '\u{00AD}' // soft hyphen
                | '\u{034F}' // combining grapheme joiner
                | '\u{061C}' // Arabic letter mark
                | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
                | '\u{17B4}' | '\u{17B5}' // Khmer inherent vowels
                | '\u{180B}'..='\u{180F}' // Mongolian variation selectors and vowel separator
                | '\u{200B}'..='\u{200F}' // zero-width characters and direction marks
                | '\u{2028}'..='\u{202E}' // line/paragraph separators, bidi embeddings/overrides
                | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, bidi isolates
                | '\u{E000}'..='\u{F8FF}' // private use
                | '\u{FE00}'..='\u{FE0F}' // variation selectors
                | '\u{FEFF}' // byte order mark
                | '\u{FFF0}'..='\u{FFFB}' // specials, interlinear annotation
                | '\u{E0000}'..='\u{E0FFF}' // tags, variation selectors supplement
                | '\u{F0000}'..='\u{10FFFF}' // supplementary private use
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
        for hidden in [
            '\u{061C}',
            '\u{00AD}',
            '\u{E0020}',
            '\u{FE0F}',
            '\u{3164}',
            '\u{F0000}',
        ] {
            assert_eq!(
                Quoted::new(&format!("a{hidden}b")).as_str(),
                "a?b",
                "{hidden:?}"
            );
        }
    }

    #[test]
    fn protocol_values_show_every_non_ascii_character_as_its_code_point() {
        let lookalike = "https://portal.construtora.com.br\u{E0020}";
        let quoted = Quoted::ascii(lookalike);
        assert_eq!(
            quoted.as_str(),
            "https://portal.construtora.com.br\\u{e0020}"
        );
        assert_ne!(
            quoted.as_str(),
            Quoted::ascii("https://portal.construtora.com.br").as_str()
        );
        assert_eq!(Quoted::ascii("финансы").as_str().matches("\\u{").count(), 7);
        assert_eq!(Quoted::ascii("a\nb").as_str(), "a\\u{a}b");
        // Bounded in units: the tail survives.
        let long = format!("{}\u{430}", "x".repeat(100));
        assert!(Quoted::ascii(&long).as_str().ends_with("x\\u{430}"));
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
