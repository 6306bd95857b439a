//! The errors of the client-data exchange, vendor side: [`DataClientError`] (discovery and the
//! request), [`ClientDataError`] (the portal's answer), [`DataFault`] (what a vendor does about
//! an answer) and their parts.
//!
//! Nothing a server sent is echoed but a bounded [`Quoted::ascii`] excerpt of a URL or an issuer
//! (discovery) and a snake_case [`ServerCode`] (answers); never a body, never the token.

use std::fmt;

use crate::quoted::Quoted;

/// Which URL of the exchange an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlRole {
    /// The configured issuer id, under which discovery is fetched.
    Issuer,
    /// The discovery document's `jwks_uri`.
    JwksUri,
    /// The discovery document's `client_data_endpoint` (or the endpoint given to
    /// [`ClientDataRequest::new`](super::ClientDataRequest::new)).
    ClientDataEndpoint,
}

impl fmt::Display for UrlRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlRole::Issuer => "issuer",
            UrlRole::JwksUri => "jwks_uri",
            UrlRole::ClientDataEndpoint => "client_data_endpoint",
        })
    }
}

/// What is wrong with a URL of the exchange (other than its scheme, which is
/// [`DataClientError::UrlNotHttps`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlProblem {
    /// It does not start with `https://` (or `http://`).
    #[error("it is not an absolute http(s) URL")]
    NotAbsolute,
    /// It has a character other than printable ASCII (a space, a control character, non-ASCII).
    #[error("it has a character other than printable ASCII")]
    InvalidCharacter,
    /// Its host is empty or not a host name, an IPv4 address or a bracketed IPv6 address.
    #[error("its host is empty or invalid")]
    InvalidHost,
    /// Its port is not a number from 1 to 65535.
    #[error("its port is invalid")]
    InvalidPort,
    /// It has a user name or password (`user:pass@`).
    #[error("it has a user name or password")]
    Userinfo,
    /// It has a fragment (`#…`).
    #[error("it has a fragment")]
    Fragment,
    /// An issuer has a query (`?…`): the discovery path cannot be appended to it.
    #[error("an issuer with a query cannot be discovered")]
    IssuerQuery,
    /// An https portal's discovery document names `localhost` or a non-public IP address
    /// (loopback, private, link-local, unique-local, shared, unspecified) that is not the
    /// portal's own host: the vendor would send requests, and bearer tokens, into its own network.
    #[error("it names a local or private host that is not the portal's own")]
    NonPublicHost,
    /// It is longer than [`MAX_URL_LEN`](super::MAX_URL_LEN).
    #[error("it is {len} bytes long; at most {max} are allowed")]
    TooLong {
        /// Its length, in bytes.
        len: usize,
        /// The maximum, in bytes.
        max: usize,
    },
}

/// What is wrong with a JSON body (the position of a syntax error only: a message could quote
/// personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonProblem {
    /// The body is not UTF-8.
    #[error("the body is not UTF-8")]
    NotUtf8,
    /// The body is not JSON (or nests deeper than the parser's limit of 128).
    #[error("the body is not JSON (line {line}, column {column})")]
    Syntax {
        /// The line of the error (1-based).
        line: usize,
        /// The column of the error (1-based).
        column: usize,
    },
    /// The body ends in the middle of a JSON value.
    #[error("the body is truncated JSON")]
    Truncated,
    /// The JSON is not the expected document: a required member is missing or repeated, or a
    /// member has the wrong type or an invalid value.
    #[error("a member is missing, repeated, of the wrong type or invalid")]
    WrongShape,
}

impl JsonProblem {
    pub(crate) fn of(error: &serde_json::Error) -> JsonProblem {
        match error.classify() {
            serde_json::error::Category::Eof => JsonProblem::Truncated,
            serde_json::error::Category::Data => JsonProblem::WrongShape,
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                JsonProblem::Syntax {
                    line: error.line(),
                    column: error.column(),
                }
            }
        }
    }
}

/// Why discovery or the client-data request could not be made or accepted (PROTOCOL.md §10,
/// §11). Each variant has its own stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataClientError {
    /// A URL is not https, and not http to a loopback host (`localhost`, `127.0.0.0/8`,
    /// `[::1]`).
    #[error("{role} {found} must be an https URL (http only for localhost, 127.0.0.0/8, [::1])")]
    UrlNotHttps {
        /// Which URL.
        role: UrlRole,
        /// The URL (excerpt).
        found: Quoted,
    },
    /// A URL is not usable.
    #[error("{role} {found} is not a usable URL: {problem}")]
    InvalidUrl {
        /// Which URL.
        role: UrlRole,
        /// What is wrong.
        problem: UrlProblem,
        /// The URL (excerpt).
        found: Quoted,
    },
    /// The discovery answer's status is not 200.
    #[error("the discovery answer has HTTP status {status}; expected 200")]
    DiscoveryStatus {
        /// The status.
        status: u16,
    },
    /// The discovery document is larger than [`MAX_BODY_LEN`](super::MAX_BODY_LEN).
    #[error("the discovery document is {len} bytes long; at most {max} are allowed")]
    DiscoveryTooLarge {
        /// Its length, in bytes.
        len: usize,
        /// The maximum, in bytes.
        max: usize,
    },
    /// The discovery document is not the JSON document of PROTOCOL.md §10.
    #[error("the discovery document is invalid: {problem}")]
    DiscoveryInvalid {
        /// What is wrong.
        problem: JsonProblem,
    },
    /// The document's `protocol_version` is not 1.
    #[error(
        "the discovery document has protocol_version {found}; this crate speaks {}",
        crate::wire::PROTOCOL_VERSION
    )]
    UnsupportedProtocolVersion {
        /// The version found.
        found: u64,
    },
    /// The document's `issuer` is not, exactly, the issuer it was fetched for (a trailing slash
    /// makes another issuer).
    #[error("the discovery document's issuer is {found}; expected exactly {expected}")]
    IssuerMismatch {
        /// The configured issuer (excerpt).
        expected: Quoted,
        /// The `issuer` found (excerpt).
        found: Quoted,
    },
    /// The token cannot be sent as a bearer token: empty, longer than
    /// [`MAX_TOKEN_LEN`](crate::wire::MAX_TOKEN_LEN), or with a character outside RFC 6750's
    /// `b64token` (which also rules out any header injection). The token is never shown.
    #[error("the token cannot be sent as a bearer token: {reason}")]
    InvalidBearerToken {
        /// What is wrong.
        reason: &'static str,
    },
}

impl DataClientError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            DataClientError::UrlNotHttps { .. } => "data_url_not_https",
            DataClientError::InvalidUrl { .. } => "data_url_invalid",
            DataClientError::DiscoveryStatus { .. } => "discovery_http_status",
            DataClientError::DiscoveryTooLarge { .. } => "discovery_too_large",
            DataClientError::DiscoveryInvalid { .. } => "discovery_invalid",
            DataClientError::UnsupportedProtocolVersion { .. } => "discovery_unsupported_version",
            DataClientError::IssuerMismatch { .. } => "discovery_issuer_mismatch",
            DataClientError::InvalidBearerToken { .. } => "bearer_token_invalid",
        }
    }

    /// Every code of this enum, in declaration order.
    pub const ALL_CODES: &'static [&'static str] = &[
        "data_url_not_https",
        "data_url_invalid",
        "discovery_http_status",
        "discovery_too_large",
        "discovery_invalid",
        "discovery_unsupported_version",
        "discovery_issuer_mismatch",
        "bearer_token_invalid",
    ];
}

/// An error code the portal answered with: snake_case ASCII (`[a-z0-9_]`, starting with a
/// letter), at most 64 bytes. A server's value that is not such a code is not kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerCode(Quoted);

impl ServerCode {
    /// The longest code kept, in bytes.
    pub const MAX_LEN: usize = 64;

    /// `Some` if `raw` is a code in the protocol's form.
    pub fn new(raw: &str) -> Option<ServerCode> {
        let ok = (1..=Self::MAX_LEN).contains(&raw.len())
            && raw.as_bytes()[0].is_ascii_lowercase()
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        ok.then(|| ServerCode(Quoted::ascii(raw)))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for ServerCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Shows `code=<code>` or `no code`.
struct CodeNote<'a>(&'a Option<ServerCode>);

impl fmt::Display for CodeNote<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(code) => write!(f, "code {code}"),
            None => f.write_str("no code"),
        }
    }
}

/// Why the client-data endpoint's answer is not the person's data (PROTOCOL.md §11). Each
/// variant has its own stable [`code`](Self::code), the portal's own code where it sent one
/// ([`server_code`](Self::server_code)), and a [`DataFault`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientDataError {
    /// 404 `client_not_found`: the token was valid and is now redeemed, but the portal has no
    /// data for the person ("retornará apenas se os dados existirem").
    #[error("the portal has no data for this person (404 client_not_found)")]
    ClientNotFound,
    /// 404 without the protocol's `client_not_found` body: the URL is not a client-data
    /// endpoint (a misconfigured route, a proxy's page). Not read as "no data", so a wrong
    /// endpoint cannot pass for an empty answer.
    #[error("404 without a client_not_found body: the URL is not a client-data endpoint")]
    EndpointNotFound,
    /// 401: the portal refused the token (expired, already redeemed, forged, for no plugin of
    /// the portal, ...). The same token will never be redeemed.
    #[error("the portal refused the token (401, {})", CodeNote(code))]
    TokenRefused {
        /// The portal's code (a verification code such as `expired`, `replayed`, or
        /// `plugin_not_found`, `missing_token`).
        code: Option<ServerCode>,
    },
    /// 403: the plugin is inactive or no longer shown to the person's role.
    #[error(
        "the portal denied access to the plugin's data (403, {})",
        CodeNote(code)
    )]
    AccessDenied {
        /// The portal's code (`plugin_inactive`, `not_visible_to_viewer`).
        code: Option<ServerCode>,
    },
    /// 400: the portal could not read the request's `Authorization` header: a bug in the
    /// vendor's transport.
    #[error(
        "the portal refused the request as malformed (400, {})",
        CodeNote(code)
    )]
    RequestRefused {
        /// The portal's code (`invalid_request`).
        code: Option<ServerCode>,
    },
    /// 503: the portal's keys or redemption store are unavailable; the token was not redeemed
    /// and may be, later, while it is valid.
    #[error("the portal is unavailable (503, {})", CodeNote(code))]
    PortalUnavailable {
        /// The portal's code (`keys_unavailable`, `replay_store_unavailable`,
        /// `replay_capacity_exceeded`).
        code: Option<ServerCode>,
    },
    /// A status the protocol does not answer with (a redirect, 204, 500, 502, ...).
    #[error("unexpected HTTP status {status} from the client-data endpoint")]
    UnexpectedStatus {
        /// The status.
        status: u16,
    },
    /// A 200 answer's body is larger than [`MAX_BODY_LEN`](super::MAX_BODY_LEN); it was not
    /// parsed.
    #[error("the answer's body is {len} bytes long; at most {max} are allowed")]
    TooLarge {
        /// Its length, in bytes.
        len: usize,
        /// The maximum, in bytes.
        max: usize,
    },
    /// A 200 answer whose body is not the client data of PROTOCOL.md §11.
    #[error("the client data is invalid: {problem}")]
    InvalidData {
        /// What is wrong.
        problem: JsonProblem,
    },
    /// The data is not for the launch the token was redeemed for: its `sub`, `role` or `plugin`
    /// is not the verified token's (a cache or a proxy answering for someone else). Raised by
    /// [`read_client_data_for`](super::read_client_data_for); the values are not shown.
    #[error("the client data's {member} is not the verified launch token's")]
    NotForThisLaunch {
        /// `sub`, `role` or `plugin`.
        member: &'static str,
    },
}

impl ClientDataError {
    /// The stable machine-readable code of this error. These are the vendor's codes; the code
    /// the portal sent, from the protocol's vocabulary, is [`server_code`](Self::server_code).
    pub fn code(&self) -> &'static str {
        match self {
            ClientDataError::ClientNotFound => "data_client_not_found",
            ClientDataError::EndpointNotFound => "data_endpoint_not_found",
            ClientDataError::TokenRefused { .. } => "data_token_refused",
            ClientDataError::AccessDenied { .. } => "data_access_denied",
            ClientDataError::RequestRefused { .. } => "data_request_refused",
            ClientDataError::PortalUnavailable { .. } => "data_portal_unavailable",
            ClientDataError::UnexpectedStatus { .. } => "data_unexpected_status",
            ClientDataError::TooLarge { .. } => "data_answer_too_large",
            ClientDataError::InvalidData { .. } => "data_answer_invalid",
            ClientDataError::NotForThisLaunch { .. } => "data_not_for_this_launch",
        }
    }

    /// Every code of this enum, in declaration order.
    pub const ALL_CODES: &'static [&'static str] = &[
        "data_client_not_found",
        "data_endpoint_not_found",
        "data_token_refused",
        "data_access_denied",
        "data_request_refused",
        "data_portal_unavailable",
        "data_unexpected_status",
        "data_answer_too_large",
        "data_answer_invalid",
        "data_not_for_this_launch",
    ];

    /// The code the portal answered with (`client_not_found`, `expired`, `plugin_inactive`,
    /// ...), when it sent one in the protocol's form.
    pub fn server_code(&self) -> Option<&str> {
        match self {
            ClientDataError::ClientNotFound => Some("client_not_found"),
            ClientDataError::TokenRefused { code }
            | ClientDataError::AccessDenied { code }
            | ClientDataError::RequestRefused { code }
            | ClientDataError::PortalUnavailable { code } => code.as_ref().map(ServerCode::as_str),
            _ => None,
        }
    }

    /// What the answer means for the vendor: see [`DataFault`].
    pub fn fault(&self) -> DataFault {
        match self {
            ClientDataError::ClientNotFound => DataFault::NoData,
            // No Authorization header reached the portal: the vendor's transport dropped it
            // (a redirect, a proxy), not the token's fault.
            ClientDataError::TokenRefused { code }
                if code.as_ref().map(ServerCode::as_str) == Some("missing_token") =>
            {
                DataFault::Protocol
            }
            ClientDataError::TokenRefused { .. } => DataFault::Token,
            ClientDataError::AccessDenied { .. } => DataFault::Access,
            ClientDataError::PortalUnavailable { .. } => DataFault::Unavailable,
            ClientDataError::EndpointNotFound
            | ClientDataError::RequestRefused { .. }
            | ClientDataError::UnexpectedStatus { .. }
            | ClientDataError::TooLarge { .. }
            | ClientDataError::InvalidData { .. }
            | ClientDataError::NotForThisLaunch { .. } => DataFault::Protocol,
        }
    }
}

/// What a client-data answer that is not the person's data means for the vendor, and so what
/// it shows and whether it tries again.
///
/// ```
/// use cv_portal_plugin::DataFault;
/// # fn show(fault: DataFault) -> &'static str {
/// match fault {
///     DataFault::NoData => "no data for you at the portal",      // an empty state, not an error
///     DataFault::Token => "please open the plugin again",        // a new launch, a new token
///     DataFault::Access => "this plugin is not available to you",
///     DataFault::Unavailable => "try again in a moment",         // the token was not redeemed
///     DataFault::Protocol | _ => "something is wrong on our side", // alert the operator
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataFault {
    /// The portal has no data for the person (404 `client_not_found`): nobody's fault.
    NoData,
    /// The token cannot be redeemed (401): expired, already redeemed, forged. It never will be.
    Token,
    /// The plugin is inactive or hidden from the person's role (403).
    Access,
    /// The portal could not decide (503): retry while the token is valid.
    Unavailable,
    /// The two sides do not speak the same protocol: a wrong endpoint, a malformed request or
    /// answer, an unexpected status. Alert the operator.
    Protocol,
}

impl DataFault {
    /// The status a vendor's own page may answer with: 404, 401, 403, 503, and 502 (Bad
    /// Gateway) for [`DataFault::Protocol`].
    pub fn http_status(self) -> u16 {
        match self {
            DataFault::NoData => 404,
            DataFault::Token => 401,
            DataFault::Access => 403,
            DataFault::Unavailable => 503,
            DataFault::Protocol => 502,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_data_client_error() -> Vec<DataClientError> {
        let q = || Quoted::ascii("x");
        vec![
            DataClientError::UrlNotHttps {
                role: UrlRole::Issuer,
                found: q(),
            },
            DataClientError::InvalidUrl {
                role: UrlRole::JwksUri,
                problem: UrlProblem::Fragment,
                found: q(),
            },
            DataClientError::DiscoveryStatus { status: 500 },
            DataClientError::DiscoveryTooLarge { len: 2, max: 1 },
            DataClientError::DiscoveryInvalid {
                problem: JsonProblem::WrongShape,
            },
            DataClientError::UnsupportedProtocolVersion { found: 2 },
            DataClientError::IssuerMismatch {
                expected: q(),
                found: q(),
            },
            DataClientError::InvalidBearerToken { reason: "empty" },
        ]
    }

    fn every_client_data_error() -> Vec<ClientDataError> {
        let code = || ServerCode::new("expired");
        vec![
            ClientDataError::ClientNotFound,
            ClientDataError::EndpointNotFound,
            ClientDataError::TokenRefused { code: code() },
            ClientDataError::AccessDenied { code: code() },
            ClientDataError::RequestRefused { code: code() },
            ClientDataError::PortalUnavailable { code: code() },
            ClientDataError::UnexpectedStatus { status: 500 },
            ClientDataError::TooLarge { len: 2, max: 1 },
            ClientDataError::InvalidData {
                problem: JsonProblem::Truncated,
            },
            ClientDataError::NotForThisLaunch { member: "sub" },
        ]
    }

    #[test]
    fn all_codes_lists_exactly_the_codes_of_the_variants() {
        let codes: Vec<&str> = every_data_client_error()
            .iter()
            .map(DataClientError::code)
            .collect();
        assert_eq!(codes, DataClientError::ALL_CODES);
        let codes: Vec<&str> = every_client_data_error()
            .iter()
            .map(ClientDataError::code)
            .collect();
        assert_eq!(codes, ClientDataError::ALL_CODES);
    }

    #[test]
    fn faults_follow_the_status_classes() {
        let faults: Vec<DataFault> = every_client_data_error()
            .iter()
            .map(ClientDataError::fault)
            .collect();
        use DataFault::*;
        assert_eq!(
            faults,
            [
                NoData,
                Protocol,
                Token,
                Access,
                Protocol,
                Unavailable,
                Protocol,
                Protocol,
                Protocol,
                Protocol
            ]
        );
        let missing = ClientDataError::TokenRefused {
            code: ServerCode::new("missing_token"),
        };
        assert_eq!(missing.fault(), Protocol);
        assert_eq!(Protocol.http_status(), 502);
    }

    #[test]
    fn server_codes_are_snake_case_only() {
        for ok in ["expired", "client_not_found", "a1_b2", &"x".repeat(64)] {
            assert_eq!(ServerCode::new(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "Expired",
            "1x",
            "_x",
            "a-b",
            "a b",
            "a\nb",
            "é",
            &"x".repeat(65),
        ] {
            assert!(ServerCode::new(bad).is_none(), "{bad:?}");
        }
    }
}
