//! The token as the person gave it (argument or stdin), and the copy-paste mistakes the tool names.
//!
//! The rule: `verify` and `inspect` judge exactly the text the library would be given, so the tool
//! never repairs a token. The one exception is surrounding whitespace, which the command line and
//! pipes add (`echo "$TOKEN" |`): it is removed, silently when it is only the line ending at the
//! end of stdin, otherwise with a `warning:` line, because `Verifier::verify` refuses a token with
//! whitespace around it and a server must not pass one on. Everything else is refused with the
//! library's own code (`malformed`, `non_canonical_base64`, ...), which is what a vendor's server
//! would log for the same text, and a `hint:` line names the mistake when it is a known one:
//! quotes, a `Bearer ` prefix, a whole launch URL, a form body or query string, a line break or
//! space inside, JSON, or nothing at all.

use cv_portal_plugin::VerifyError;

use crate::error::CliError;

/// Where the token was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The `TOKEN` argument.
    Argument,
    /// Standard input.
    Stdin,
}

/// The whitespace removed around the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trimmed {
    /// Nothing, or only the line ending at the end of stdin.
    Nothing,
    /// Whitespace the library would refuse: worth a warning.
    Whitespace,
}

/// A token read from the command line or stdin, surrounding whitespace removed.
#[derive(Debug)]
pub struct TokenInput {
    /// The text without surrounding whitespace.
    token: String,
    /// Where it came from.
    source: Source,
    /// What was removed around it.
    trimmed: Trimmed,
}

impl TokenInput {
    /// The token in `raw`, read from `source`.
    pub fn new(raw: &str, source: Source) -> TokenInput {
        let token = raw.trim();
        let line_end = match source {
            Source::Stdin => raw
                .strip_suffix('\n')
                .map(|line| line.strip_suffix('\r').unwrap_or(line)),
            Source::Argument => None,
        };
        let trimmed = if token == raw || line_end == Some(token) || token.is_empty() {
            Trimmed::Nothing
        } else {
            Trimmed::Whitespace
        };
        TokenInput {
            token: token.to_owned(),
            source,
            trimmed,
        }
    }

    /// The text to verify or decode.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The `warning:` line to print when the token is accepted, if whitespace was removed.
    pub fn warning(&self) -> Option<&'static str> {
        (self.trimmed == Trimmed::Whitespace).then_some(
            "warning: ignored the whitespace around the token; the library refuses a token with \
             it (non_canonical_base64), so a server must pass the bare token",
        )
    }

    /// The library's refusal of this token, with a `hint:` line when the mistake is a known one.
    pub fn rejected(&self, error: &VerifyError) -> CliError {
        let rejected = CliError::verify(error);
        match self.mistake() {
            Some(hint) => rejected.with_hint(hint),
            None => rejected,
        }
    }

    /// The copy-paste mistake the text shows, outermost first (`"Bearer eyJ…"` is quoted first).
    fn mistake(&self) -> Option<&'static str> {
        let text = self.token.as_str();
        let lower = text.to_ascii_lowercase();
        if text.is_empty() {
            return Some(match self.source {
                Source::Stdin => {
                    "stdin was empty (or only whitespace): did the command before `|` fail, or is \
                     the variable piped in empty?"
                }
                Source::Argument => "the TOKEN argument is empty: is the shell variable set?",
            });
        }
        let quotes = [
            '"', '\'', '`', '\u{201C}', '\u{201D}', '\u{2018}', '\u{2019}',
        ];
        if text.starts_with(quotes) || text.ends_with(quotes) {
            return Some(
                "the token is in quotes, as JSON prints a string (use `jq -r`) or as doubled \
                 shell quoting leaves it; pass it without the quotes",
            );
        }
        if lower.starts_with("authorization:") {
            return Some(
                "this is a whole Authorization header; pass only the token after `Bearer `",
            );
        }
        // "bearer" is ASCII, so byte 6 is a character boundary.
        if lower.starts_with("bearer") && lower[6..].starts_with(char::is_whitespace) {
            return Some(
                "remove the `Bearer ` prefix: it belongs to the Authorization header, not to the \
                 token",
            );
        }
        let has_token_parameter = ["?token=", "&token=", "#token="]
            .iter()
            .any(|p| lower.contains(p));
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Some(if has_token_parameter {
                "this is a whole launch URL; the token is the value of its `token` parameter, \
                 after `token=` and up to the next `&`"
            } else {
                "this is a URL, not a token; the token is the value of the launch URL's `token` \
                 parameter"
            });
        }
        if lower.starts_with("token=") || has_token_parameter {
            return Some(
                "this is a form body or query string; pass only the value after `token=`, up to \
                 the next `&`",
            );
        }
        if text.contains(char::is_whitespace) {
            return Some(
                "the token has a space or line break inside (was it wrapped when copied?); a \
                 token is one unbroken line",
            );
        }
        if text.starts_with(['{', '[']) {
            return Some(
                "this is JSON, not a token; a launch token is three base64url segments joined by \
                 dots (eyJ…)",
            );
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mistake(raw: &str) -> Option<&'static str> {
        TokenInput::new(raw, Source::Argument).mistake()
    }

    #[test]
    fn names_each_paste_mistake() {
        let named = |raw: &str, word: &str| {
            let hint = mistake(raw).unwrap_or_else(|| panic!("no hint for {raw:?}"));
            assert!(hint.contains(word), "{raw:?}: {hint}");
        };
        named("\"eyJ.e.s\"", "quotes");
        named("'eyJ.e.s'", "quotes");
        named("\u{201C}eyJ.e.s\u{201D}", "quotes");
        named("\"Bearer eyJ.e.s\"", "quotes");
        named("Bearer eyJ.e.s", "Bearer");
        named("bearer\teyJ.e.s", "Bearer");
        named("Authorization: Bearer eyJ.e.s", "Authorization header");
        named(
            "https://erp.example.com/x?empresa=7&token=eyJ.e.s",
            "launch URL",
        );
        named("HTTPS://erp.example.com/x?token=eyJ.e.s", "launch URL");
        named("https://erp.example.com/x", "not a token");
        named("token=eyJ.e.s", "form body");
        named("empresa=7&token=eyJ.e.s", "form body");
        named("/portal?token=eyJ.e.s", "form body");
        named("eyJ.e\n.s", "line break");
        named("{\"sub\":\"1\"}", "JSON");
        assert!(mistake("").unwrap().contains("argument is empty"));
        let stdin = TokenInput::new(" \n", Source::Stdin).mistake().unwrap();
        assert!(stdin.contains("stdin"), "{stdin}");
        assert_eq!(mistake("eyJ.e.s"), None);
        assert_eq!(mistake("garbage"), None);
        assert_eq!(mistake("bearer.e.s"), None);
        assert_eq!(mistake("bearer"), None);
        assert_eq!(mistake("tokens"), None);
    }

    #[test]
    fn warns_about_whitespace_except_the_line_end_of_stdin() {
        let warned = |raw: &str, source| TokenInput::new(raw, source).warning().is_some();
        assert!(!warned("eyJ.e.s", Source::Argument));
        assert!(!warned("eyJ.e.s\n", Source::Stdin));
        assert!(!warned("eyJ.e.s\r\n", Source::Stdin));
        assert!(!warned("", Source::Stdin));
        assert!(!warned("\n", Source::Stdin));
        assert!(warned("eyJ.e.s\n", Source::Argument));
        assert!(warned("eyJ.e.s\n\n", Source::Stdin));
        assert!(warned(" eyJ.e.s\n", Source::Stdin));
        assert!(warned("eyJ.e.s ", Source::Stdin));
        assert_eq!(
            TokenInput::new("\n  eyJ.e.s\r\n", Source::Stdin).token(),
            "eyJ.e.s"
        );
    }
}
