//! Sending launches to the vendor's launch URL (PROTOCOL.md §5) and reading its answers: GET
//! with `?token=` or a form POST of `token=`, never following a redirect, reading at most
//! [`MAX_BODY_BYTES`] of the body.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::error::CliError;

/// The most of an answer's body that is read (the rest is ignored).
const MAX_BODY_BYTES: usize = 1 << 20;
/// The deadline of one launch request.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How the token travels (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// `GET launch-url?token=...`.
    Query,
    /// `POST launch-url` with the body `token=...`.
    FormPost,
}

impl Delivery {
    /// The suffix of every case name sent this way.
    pub fn suffix(self) -> &'static str {
        match self {
            Delivery::Query => "query",
            Delivery::FormPost => "form",
        }
    }
}

/// What the vendor answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// Every header, the name in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body as text (at most [`MAX_BODY_BYTES`], invalid UTF-8 replaced).
    pub body: String,
}

impl Answer {
    /// Every value of the header `name` (lower case).
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a launch got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswer {
    /// The connection was refused or could not be made (nothing was delivered).
    Connect,
    /// No answer in time.
    Timeout,
    /// Anything else (the connection broke, a bad HTTP answer, TLS).
    Transport,
}

impl NoAnswer {
    /// The CLI's stable code for it.
    pub fn code(self) -> &'static str {
        match self {
            NoAnswer::Connect => "connection_refused",
            NoAnswer::Timeout => "timeout",
            NoAnswer::Transport => "transport_failure",
        }
    }

    /// What happened, in words.
    pub fn describe(self) -> &'static str {
        match self {
            NoAnswer::Connect => "no connection",
            NoAnswer::Timeout => "no answer within 10 s",
            NoAnswer::Transport => "the exchange failed",
        }
    }
}

/// The HTTP client of the checker: no redirects, no proxy, rustls on ring for `https` launch URLs.
pub struct Launcher {
    client: reqwest::Client,
    url: Url,
}

impl Launcher {
    /// A client for `url` (already checked to be http or https).
    pub fn new(url: Url) -> Result<Launcher, CliError> {
        let setup = |detail: String| {
            CliError::new(
                crate::error::Status::Failed,
                "http_client_setup_failed",
                format!("cannot set up the HTTP client: {detail}"),
            )
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            rustls_platform_verifier::Verifier::new_with_extra_roots([], Arc::clone(&provider))
                .map_err(|e| setup(e.to_string()))?;
        // The platform verifier checks chains, names and validity; `dangerous()` is only rustls'
        // door to a verifier other than its own.
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| setup(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(TIMEOUT)
            .timeout(TIMEOUT)
            .user_agent(concat!("cvplugin-vendor-check/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| setup(e.without_url().to_string()))?;
        Ok(Launcher { client, url })
    }

    /// Sends one launch: `token` by `delivery`, or no token at all.
    pub async fn send(&self, delivery: Delivery, token: Option<&str>) -> Result<Answer, NoAnswer> {
        let request = match delivery {
            Delivery::Query => {
                let mut url = self.url.clone();
                if let Some(token) = token {
                    url.query_pairs_mut().append_pair("token", token);
                }
                self.client.get(url)
            }
            Delivery::FormPost => {
                let body = match token {
                    Some(token) => url::form_urlencoded::Serializer::new(String::new())
                        .append_pair("token", token)
                        .finish(),
                    None => String::new(),
                };
                self.client
                    .post(self.url.clone())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body)
            }
        };
        let mut response = request
            .header("Accept", "text/html")
            .send()
            .await
            .map_err(|e| classify(&e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while body.len() < MAX_BODY_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_BODY_BYTES - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => break,
                Err(e) => return Err(classify(&e)),
            }
        }
        Ok(Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

/// What kind of failure a reqwest error is (its text is never shown: it may hold the URL, and
/// with it a token).
fn classify(error: &reqwest::Error) -> NoAnswer {
    if error.is_timeout() {
        NoAnswer::Timeout
    } else if error.is_connect() {
        NoAnswer::Connect
    } else {
        NoAnswer::Transport
    }
}
