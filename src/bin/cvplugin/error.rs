//! The tool's single error type: an exit status, a stable code and a one-line message, plus
//! optional detail lines (the full list of configuration problems, `hint:` lines).
//!
//! Messages never contain key material or whole tokens: they are built from the library's error
//! messages (which promise the same), file names and fixed text.

use std::borrow::Cow;
use std::fmt::Display;
use std::path::Path;

use cv_portal_plugin::config::ConfigError;
use cv_portal_plugin::{
    ConfigErrors, FetchError, HttpError, IssueError, KeyError, Quoted, VerifierConfigError,
    VerifyError,
};

use crate::cli::Lang;

/// The longest file name or argument excerpt echoed in a message, in characters.
const ECHO_MAX_CHARS: usize = 120;

/// How the process ends when a command fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit 1: the token or configuration was rejected.
    Rejected,
    /// Exit 2: usage, I/O or key-file error.
    Failed,
}

impl Status {
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Rejected => 1,
            Status::Failed => 2,
        }
    }
}

/// A failed command: printed as `error[CODE]: message` on the first stderr line, then `details`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The exit status.
    pub status: Status,
    /// The stable code in brackets: the library's, or the code a portal answered with (a
    /// snake_case word of at most 64 bytes, checked by the library).
    pub code: Cow<'static, str>,
    /// The one-line message.
    pub message: String,
    /// Further lines for stderr (already one line each).
    pub details: Vec<String>,
}

impl CliError {
    /// An error with no detail lines.
    pub fn new(
        status: Status,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        CliError {
            status,
            code: code.into(),
            message: one_line(&message.into()),
            details: Vec::new(),
        }
    }

    /// `error[usage]`: a bad command line or argument value (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::new(Status::Failed, "usage", message)
    }

    /// `error[io]`: a file or stream could not be read or written (exit 2).
    pub fn io(message: impl Into<String>) -> Self {
        CliError::new(Status::Failed, "io", message)
    }

    /// `error[key]`: a key file in no recognized format (exit 2).
    pub fn unrecognized_key(path: &Path, what: &str) -> Self {
        CliError::key_file(path, "key", what)
    }

    /// A key file of the wrong kind for the command (a public key to sign with, a private key to
    /// verify with), with `code` and what the file is (exit 2).
    pub fn key_file(path: &Path, code: &'static str, what: &str) -> Self {
        CliError::new(Status::Failed, code, format!("{}: {what}", show_path(path)))
    }

    /// A key or JWKS file the library rejected, with the library's code (exit 2).
    pub fn key(path: &Path, error: &KeyError) -> Self {
        CliError::new(
            Status::Failed,
            error.code(),
            format!("{}: {error}", show_path(path)),
        )
    }

    /// A rejected token, with the protocol's code (exit 1), and a `hint:` line when an issuer or
    /// audience differs from the expected one only in a way that is hard to see.
    pub fn verify(error: &VerifyError) -> Self {
        let rejected = CliError::new(Status::Rejected, error.code(), error.to_string());
        match near_miss(error) {
            Some(hint) => rejected.with_hint(hint),
            None => rejected,
        }
    }

    /// The verifier could not be configured (exit 2).
    pub fn verifier_config(error: &VerifierConfigError) -> Self {
        CliError::new(Status::Failed, error.code(), error.to_string())
    }

    /// The issuer refused or failed to mint. Refusals (inactive plugin, role not shown) exit 1;
    /// system failures (random generator, signing, clock) and no `--key` of the plugin's
    /// algorithm exit 2.
    pub fn issue(error: &IssueError) -> Self {
        let status = match error {
            IssueError::Rng
            | IssueError::Signing
            | IssueError::ClockOutOfRange
            | IssueError::NoSigningKey { .. } => Status::Failed,
            _ => Status::Rejected,
        };
        let failed = CliError::new(status, error.code(), error.to_string());
        match error {
            IssueError::NoSigningKey { algorithm, .. } => failed.with_hint(format!(
                "give the portal's {algorithm} key with another --key (a new one: cvplugin keygen \
                 --alg {algorithm} --out FILE); a portal holds one signing key per algorithm"
            )),
            _ => failed,
        }
    }

    /// A command-line value rejected by a plugin-configuration rule (`--plugin`, `--ttl`), with
    /// the rule's code (exit 2).
    pub fn config_arg(option: &str, error: &ConfigError) -> Self {
        CliError::new(
            Status::Failed,
            error.code(),
            format!("{option}: {}", error.message_en()),
        )
    }

    /// An invalid plugin configuration file (exit 1): the first problem in the first line, every
    /// problem as a detail line `FILE: CODE at PATH: message`.
    pub fn config_file(path: &Path, errors: &ConfigErrors, lang: Lang) -> Self {
        let file = show_path(path);
        let count = errors.len();
        let mut problems = errors.iter();
        let Some(first) = problems.next() else {
            // ConfigErrors is never empty; report something sensible if it ever were.
            return CliError::new(
                Status::Rejected,
                "config",
                format!("{file}: invalid plugin configuration"),
            );
        };
        let mut error = CliError::new(
            Status::Rejected,
            first.code(),
            format!(
                "{file}: invalid plugin configuration ({count} problem{}); first: {}",
                if count == 1 { "" } else { "s" },
                lang.message(first)
            ),
        );
        error.details = config_problem_lines(path, errors, lang);
        error
    }

    /// A failed exchange with a portal (`discovery`, `client-data`); `url` is the URL requested,
    /// shown after a transport failure's message.
    ///
    /// Exit 2 when nothing usable came back: no connection, no TLS session, no answer in time
    /// (`connection_refused`, `host_not_found`, `tls_failure`, `timeout`, `transport_failure`),
    /// or the client could not be set up (`root_certificate_invalid`,
    /// `http_client_setup_failed`). Exit 1 when the portal answered and the answer was refused:
    /// with the portal's own code when it sent one (`replayed`, `client_not_found`,
    /// `plugin_inactive`, ...), else the library's (`discovery_issuer_mismatch`, `http_status`,
    /// `response_too_large`, `data_unexpected_status`, a JWKS's key error, ...).
    pub fn http(error: &HttpError, url: &str) -> Self {
        let network = match error {
            HttpError::Transport { error, .. } => {
                !matches!(error, FetchError::HttpStatus(_) | FetchError::TooLarge)
            }
            HttpError::Setup { .. } | HttpError::RootCertificate { .. } => true,
            _ => false,
        };
        let status = if network {
            Status::Failed
        } else {
            Status::Rejected
        };
        let code: Cow<'static, str> = match error.server_code() {
            Some(code) => Cow::Owned(code.to_owned()),
            None => Cow::Borrowed(error.code()),
        };
        let message = match error {
            HttpError::Transport { .. } => format!("{error} (GET {})", excerpt(url)),
            _ => error.to_string(),
        };
        let failed = CliError::new(status, code, message);
        match (error.fetch_error(), error.server_code()) {
            (Some(FetchError::Tls), _) => failed.with_hint(
                "if the portal's certificate comes from a private or test CA, pass that CA's \
                 certificate with --ca-cert PEMFILE",
            ),
            (_, Some("replayed")) => failed.with_hint(
                "a launch token redeems once, and this one already was; open the plugin again \
                 in the portal for a new token",
            ),
            _ => failed,
        }
    }

    /// Adds a `hint: ...` line after the `error[CODE]` line: what the person most likely did and
    /// how to fix it.
    pub fn with_hint(mut self, hint: impl Display) -> Self {
        self.details.push(one_line(&format!("hint: {hint}")));
        self
    }

    /// The lines printed on stderr: the `error[CODE]` line, then the details.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::with_capacity(1 + self.details.len());
        lines.push(format!("error[{}]: {}", self.code, self.message));
        lines.extend(self.details.iter().cloned());
        lines
    }
}

impl Lang {
    /// The message of `error` in this language.
    pub fn message(self, error: &ConfigError) -> String {
        match self {
            Lang::En => error.message_en(),
            Lang::PtBr => error.message_pt_br(),
        }
    }
}

/// The hint for a wrong issuer or audience that differs from the expected one only in a way that
/// is easy to miss: a trailing slash, letter case, or (issuers) `http` against `https`. The token's
/// value is known only as the library's excerpt (head and tail of a long value), so the expected
/// value is compared in the same form.
fn near_miss(error: &VerifyError) -> Option<String> {
    let (what, option, expected, found) = match error {
        VerifyError::WrongIssuer { expected, found } => {
            ("issuer", "--issuer", expected.as_str(), found)
        }
        VerifyError::WrongAudience { expected, found } => {
            ("plugin", "--plugin", expected.as_str(), found)
        }
        _ => return None,
    };
    let is_found = |text: &str| Quoted::ascii(text) == *found;
    let exactly = format!("{what} ids are compared exactly");
    let hint = if is_found(&format!("{expected}/")) {
        format!(
            "the token's {what} ends with a slash and {option} does not; {exactly}, so pass \
             {option} as the portal writes it, slash included"
        )
    } else if expected.strip_suffix('/').is_some_and(is_found) {
        format!("{option} ends with a slash and the token's {what} does not; {exactly}")
    } else if Quoted::ascii(expected)
        .as_str()
        .eq_ignore_ascii_case(found.as_str())
    {
        format!("they differ only in letter case; {exactly}")
    } else if what == "issuer" && other_scheme(expected).is_some_and(|other| is_found(&other)) {
        format!("they differ only in the scheme, http against https; {exactly}")
    } else {
        return None;
    };
    Some(hint)
}

/// `id` with `https://` in place of `http://` or the other way round.
fn other_scheme(id: &str) -> Option<String> {
    match id.strip_prefix("https://") {
        Some(rest) => Some(format!("http://{rest}")),
        None => id
            .strip_prefix("http://")
            .map(|rest| format!("https://{rest}")),
    }
}

/// Every problem of a configuration file as `FILE: CODE at PATH: message`.
pub fn config_problem_lines(path: &Path, errors: &ConfigErrors, lang: Lang) -> Vec<String> {
    let file = show_path(path);
    errors
        .iter()
        .map(|e| {
            let at = if e.path().is_empty() {
                "(document)"
            } else {
                e.path()
            };
            one_line(&format!(
                "{file}: {} at {at}: {}",
                e.code(),
                lang.message(e)
            ))
        })
        .collect()
}

/// A file name for messages: control characters replaced by `?`, cut at 120 characters.
pub fn show_path(path: &Path) -> String {
    excerpt(&path.to_string_lossy())
}

/// At most 120 characters of `text`, control characters replaced by `?`, `…` when cut.
pub fn excerpt(text: &str) -> String {
    cut(text, ECHO_MAX_CHARS)
}

/// At most `max` characters of `text`, control characters replaced by `?`, `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// `text` with control characters (line breaks included) replaced by `?`, so one message is one
/// line on stderr.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// `option: message` for a rejected argument value.
pub fn bad_value(option: &str, error: impl Display) -> CliError {
    CliError::usage(format!("{option}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_and_cleans() {
        assert_eq!(excerpt("a\nb"), "a?b");
        let long = "é".repeat(500);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), ECHO_MAX_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(
            excerpt(&"x".repeat(ECHO_MAX_CHARS)),
            "x".repeat(ECHO_MAX_CHARS)
        );
    }

    #[test]
    fn first_line_format() {
        let e = CliError::verify(&VerifyError::BadSignature);
        assert_eq!(e.status.exit_code(), 1);
        assert_eq!(
            e.lines(),
            vec!["error[bad_signature]: the signature does not verify"]
        );
        let e = CliError::usage("multi\nline");
        assert_eq!(e.lines(), vec!["error[usage]: multi?line"]);
        assert_eq!(e.status.exit_code(), 2);
    }

    #[test]
    fn near_misses_of_issuer_and_audience_get_a_hint() {
        use cv_portal_plugin::{IssuerId, PluginId};
        let issuer = |expected: &str, found: &str| {
            near_miss(&VerifyError::WrongIssuer {
                expected: IssuerId::new(expected).unwrap(),
                found: Quoted::ascii(found),
            })
        };
        let hint = issuer("https://p.example", "https://p.example/").unwrap();
        assert!(
            hint.starts_with("the token's issuer ends with a slash"),
            "{hint}"
        );
        let hint = issuer("https://p.example/", "https://p.example").unwrap();
        assert!(hint.starts_with("--issuer ends with a slash"), "{hint}");
        let long = format!("https://{}.example.com.br", "x".repeat(100));
        let hint = issuer(&long, &format!("{long}/")).unwrap();
        assert!(hint.contains("slash"), "{hint}");
        assert!(
            issuer("https://P.example", "https://p.example")
                .unwrap()
                .contains("case")
        );
        assert!(
            issuer("https://p.example", "http://p.example")
                .unwrap()
                .contains("scheme")
        );
        assert!(
            issuer("http://p.example", "https://p.example")
                .unwrap()
                .contains("scheme")
        );
        assert_eq!(issuer("https://p.example", "https://q.example/"), None);
        assert_eq!(issuer("https://p.example", "https://q.example"), None);
        let audience = near_miss(&VerifyError::WrongAudience {
            expected: PluginId::new("Financeiro").unwrap(),
            found: Quoted::ascii("financeiro"),
        });
        assert!(audience.unwrap().contains("case"));
        assert_eq!(near_miss(&VerifyError::BadSignature), None);
    }

    #[test]
    fn issue_refusals_are_rejections() {
        assert_eq!(
            CliError::issue(&IssueError::PluginInactive).status,
            Status::Rejected
        );
        assert_eq!(CliError::issue(&IssueError::Rng).status, Status::Failed);
    }
}
