//! The vendor's HTTP transport (feature `http`): [`PortalHttp`] fetches the discovery document
//! and the JWKS of a configured portal and redeems a verified launch token for the person's data,
//! over reqwest with rustls on ring. Every check stays in [`data_client`](crate::data_client) and
//! [`KeySet`]; this module only carries the bytes, carefully.
//!
//! What it promises, whatever the server does:
//!
//! - **No redirects.** A 3xx is an answer like any other (refused: discovery wants 200, the
//!   client-data endpoint never redirects), so a token is never carried to another URL.
//! - **Bounded bodies.** Reading stops after [`MAX_BODY_LEN`] bytes (64 KiB, PROTOCOL.md §10,
//!   §11); a longer body is never buffered, and a 200 with one is `response_too_large`.
//! - **Deadlines.** A connect timeout and a total timeout per request (defaults 5 s and 10 s).
//! - **No process-wide state.** The TLS configuration is built here on ring and handed to
//!   reqwest; no default `CryptoProvider` is read or installed, no proxy is taken from the
//!   environment. Certificates are checked by the platform's verifier against the system's
//!   roots, plus the extra roots given to the builder (a private CA, a test CA).
//! - **No token in errors.** An [`HttpError`] names a [`Resource`] and a class of failure, never
//!   a URL's query, a header or a body.
//!
//! The library picks no runtime: the futures need a tokio runtime with I/O and time enabled
//! (reqwest's requirement), such as `tokio::runtime::Builder::new_current_thread().enable_all()`.
//!
//! ```no_run
//! use cv_portal_plugin::http::PortalHttp;
//! use std::sync::Arc;
//! use cv_portal_plugin::{ClientDataRequest, IssuerId, ReplayGuard, Verifier};
//!
//! async fn open_plugin(
//!     token: &str,
//!     single_use: Arc<dyn ReplayGuard>, // one store per process, or Redis: never per request
//! ) -> Result<(), Box<dyn std::error::Error>> {
//!     // Configured: the portal's issuer id and this plugin's id. Everything else is discovered.
//!     let issuer = IssuerId::new("https://portal.construtora.com.br")?;
//!     let http = PortalHttp::builder().build()?;
//!     let discovery = http.discovery(&issuer).await?;
//!     let keys = http.key_set(&discovery).await?;
//!     let verifier = Verifier::builder(issuer, "financeiro".parse()?)
//!         .key_set(keys)
//!         .replay_guard(single_use)
//!         .build()?;
//!     let claims = verifier.verify(token)?;
//!     // The token redeems once: this is the only request that may carry it.
//!     let request = ClientDataRequest::for_launch(&discovery, &claims, token)?;
//!     let data = http.client_data_for(&request, &claims).await?;
//!     println!("hello, {}", data.name.as_deref().unwrap_or("(name not granted)"));
//!     Ok(())
//! }
//! ```

mod error;
mod tls;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use rustls::pki_types::CertificateDer;

pub use crate::data_client::MAX_BODY_LEN;
pub use error::{HttpError, Resource};

use crate::data_client::{
    ClientDataRequest, DataClientError, UrlRole, discovery_url, read_client_data,
    read_client_data_for, read_discovery,
};
use crate::keys::{FetchError, FetchedKeys, KeySet, KeysFailure, max_age_from_cache_control};
use crate::quoted::Quoted;
use crate::wire::{ClientData, DiscoveryDocument, IssuerId, LaunchClaims};

/// The `User-Agent` of every request.
const USER_AGENT: &str = concat!("cv-portal-plugin/", env!("CARGO_PKG_VERSION"));

/// Configures a [`PortalHttp`].
#[derive(Clone)]
pub struct PortalHttpBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    extra_roots: Vec<CertificateDer<'static>>,
    resolve: Vec<(String, SocketAddr)>,
}

impl PortalHttpBuilder {
    /// How long connecting (TCP and the TLS handshake) may take (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a whole request may take, from connecting to the last byte of the body
    /// (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Also trusts the certificates of the PEM text `pem` (one or more `CERTIFICATE` blocks;
    /// other blocks are ignored) as roots, beside the system's: a private CA, or a test CA.
    ///
    /// ```
    /// use cv_portal_plugin::http::PortalHttp;
    /// let refused = PortalHttp::builder().add_root_certificates_pem(b"not a certificate");
    /// assert_eq!(refused.unwrap_err().code(), "root_certificate_invalid");
    /// ```
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, HttpError> {
        self.extra_roots.extend(tls::pem_roots(pem)?);
        Ok(self)
    }

    /// Connects to `addr` whenever a URL names the host `host`, instead of asking the system's
    /// resolver: a portal reached under its public name on another address (a test portal named
    /// `portal.test` on loopback, a staging address). The URL's port is used when it has one;
    /// the port of `addr` only for a URL without one (0 means the scheme's default). Names are
    /// compared without regard to ASCII case; the host name is still the one the TLS certificate
    /// is checked against and the `Host` header names. Can be called several times; the last
    /// address given for a host wins.
    ///
    /// ```
    /// use std::net::{Ipv4Addr, SocketAddr};
    /// use cv_portal_plugin::http::PortalHttp;
    /// let http = PortalHttp::builder()
    ///     .resolve("portal.test", SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    ///     .build();
    /// assert!(http.is_ok());
    /// ```
    pub fn resolve(mut self, host: &str, addr: SocketAddr) -> Self {
        let host = host.to_ascii_lowercase();
        self.resolve.retain(|(known, _)| *known != host);
        self.resolve.push((host, addr));
        self
    }

    /// Builds the client: loads the system's root certificates and builds the TLS
    /// configuration. Fails with `http_client_setup_failed` when neither the system nor
    /// [`add_root_certificates_pem`](Self::add_root_certificates_pem) gives a root.
    pub fn build(self) -> Result<PortalHttp, HttpError> {
        let config = tls::client_config(&self.extra_roots)?;
        let mut builder = reqwest::Client::builder();
        for (host, addr) in &self.resolve {
            builder = builder.resolve(host, *addr);
        }
        let client = builder
            .tls_backend_preconfigured(config)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(USER_AGENT)
            .build()
            .map_err(|error| HttpError::Setup {
                detail: Quoted::bounded(&innermost(&error).to_string(), tls::DETAIL_MAX),
            })?;
        Ok(PortalHttp {
            client,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            extra_roots: self.extra_roots.len(),
        })
    }
}

impl fmt::Debug for PortalHttpBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalHttpBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("extra_roots", &self.extra_roots.len())
            .field("resolve", &self.resolve)
            .finish()
    }
}

/// An HTTP client for one vendor's exchanges with the portals it is configured for: discovery,
/// JWKS and the client-data redemption (PROTOCOL.md §7, §10, §11). Cheap to clone (the
/// connection pool is shared); build it once.
#[derive(Clone)]
pub struct PortalHttp {
    client: reqwest::Client,
    connect_timeout: Duration,
    timeout: Duration,
    extra_roots: usize,
}

impl PortalHttp {
    /// The default connect timeout: 5 seconds.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// The default total timeout of one request: 10 seconds.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// Starts configuring a client: default timeouts, the system's roots only.
    pub fn builder() -> PortalHttpBuilder {
        PortalHttpBuilder {
            connect_timeout: PortalHttp::DEFAULT_CONNECT_TIMEOUT,
            timeout: PortalHttp::DEFAULT_TIMEOUT,
            extra_roots: Vec::new(),
            resolve: Vec::new(),
        }
    }

    /// Fetches and checks the discovery document of `issuer`, an issuer this vendor is
    /// configured for (never an `iss` read from an unverified token): GET
    /// [`discovery_url`], then [`read_discovery`]'s checks (status 200, the exact issuer,
    /// protocol version 1, https URLs).
    pub async fn discovery(&self, issuer: &IssuerId) -> Result<DiscoveryDocument, HttpError> {
        let url = discovery_url(issuer)?;
        let (status, _, body) = self
            .get(&url, Resource::Discovery, &[("Accept", "application/json")])
            .await?;
        if status == 200 && body.oversized {
            return Err(too_large(Resource::Discovery));
        }
        Ok(read_discovery(issuer, status, &body.bytes)?)
    }

    /// Fetches the portal's JWKS from the `jwks_uri` of `discovery` (a document returned by
    /// [`discovery`](Self::discovery)) and parses it into a [`KeySet`]. The document may be at
    /// most [`MAX_BODY_LEN`] bytes (a few hundred keys); a status other than 200 is
    /// `http_status`.
    pub async fn key_set(&self, discovery: &DiscoveryDocument) -> Result<KeySet, HttpError> {
        Ok(self.key_set_with_max_age(discovery).await?.0)
    }

    /// [`key_set`](Self::key_set), with the `max-age` of the answer's `Cache-Control` header
    /// ([`max_age_from_cache_control`]), which sets when a
    /// [`KeySource`](crate::keys::KeySource) refreshes next.
    pub async fn key_set_with_max_age(
        &self,
        discovery: &DiscoveryDocument,
    ) -> Result<FetchedKeys, HttpError> {
        check_scheme(&discovery.jwks_uri, UrlRole::JwksUri)?;
        let (status, _, body) = self
            .get(
                &discovery.jwks_uri,
                Resource::Jwks,
                &[("Accept", "application/json")],
            )
            .await?;
        if status != 200 {
            return Err(HttpError::Transport {
                resource: Resource::Jwks,
                error: FetchError::HttpStatus(status),
                detail: None,
            });
        }
        if body.oversized {
            return Err(too_large(Resource::Jwks));
        }
        let text = std::str::from_utf8(&body.bytes)
            .map_err(|_| HttpError::Jwks(crate::keys::KeyError::InvalidJson))?;
        let keys = KeySet::from_jwks_json(text).map_err(HttpError::Jwks)?;
        Ok((keys, body.max_age))
    }

    /// The fetch of a [`KeySource`](crate::keys::KeySource)'s driver for the portal `issuer` (one
    /// the vendor is configured for): its discovery document, then its JWKS with the `max-age`
    /// of the answer. A failure is reported in the key source's vocabulary: an
    /// [`HttpError`]'s transport class, or the JWKS's [`KeyError`](crate::KeyError); a discovery
    /// document answered with another status reads as `http_status`, and one that was read but
    /// refused (another issuer's, not https, unsupported) as `invalid_discovery` with its code.
    pub async fn fetch_keys(&self, issuer: &IssuerId) -> Result<FetchedKeys, KeysFailure> {
        let fetched = async {
            let discovery = self.discovery(issuer).await?;
            self.key_set_with_max_age(&discovery).await
        };
        fetched.await.map_err(|error| match error {
            HttpError::Transport { error, .. } => KeysFailure::Fetch(error),
            HttpError::Jwks(error) => KeysFailure::InvalidJwks(error),
            HttpError::DataClient(DataClientError::DiscoveryStatus { status }) => {
                KeysFailure::Fetch(FetchError::HttpStatus(status))
            }
            HttpError::DataClient(DataClientError::DiscoveryTooLarge { .. }) => {
                KeysFailure::Fetch(FetchError::TooLarge)
            }
            HttpError::DataClient(refused) => KeysFailure::InvalidDiscovery {
                code: refused.code(),
            },
            _ => KeysFailure::Fetch(FetchError::Transport),
        })
    }

    /// Sends `request` (built by the caller with
    /// [`ClientDataRequest::for_launch`], after verifying the token) and reads the answer with
    /// [`read_client_data`]. This redeems the token: a second call answers `replayed`.
    ///
    /// Prefer [`client_data_for`](Self::client_data_for), which also checks that the data is
    /// for the verified launch.
    pub async fn client_data(&self, request: &ClientDataRequest) -> Result<ClientData, HttpError> {
        let (status, www_authenticate, body) = self.redeem(request).await?;
        Ok(read_client_data(
            status,
            www_authenticate.as_deref(),
            &body,
        )?)
    }

    /// [`client_data`](Self::client_data), read with [`read_client_data_for`]: the data must be
    /// for the `sub`, `role` and plugin of the verified `claims`.
    pub async fn client_data_for(
        &self,
        request: &ClientDataRequest,
        claims: &LaunchClaims,
    ) -> Result<ClientData, HttpError> {
        let (status, www_authenticate, body) = self.redeem(request).await?;
        Ok(read_client_data_for(
            claims,
            status,
            www_authenticate.as_deref(),
            &body,
        )?)
    }

    /// Sends the redemption. A 200 body over the limit is refused here; a refusal's is dropped,
    /// so the reader reads that answer from its status and `WWW-Authenticate` alone (a proxy's
    /// large 503 page still means "retry").
    async fn redeem(
        &self,
        request: &ClientDataRequest,
    ) -> Result<(u16, Option<String>, Vec<u8>), HttpError> {
        check_scheme(request.url(), UrlRole::ClientDataEndpoint)?;
        let (status, www_authenticate, body) = self
            .get(request.url(), Resource::ClientData, &request.headers())
            .await?;
        match (status, body.oversized) {
            (200, true) => Err(too_large(Resource::ClientData)),
            (_, true) => Ok((status, www_authenticate, Vec::new())),
            (_, false) => Ok((status, www_authenticate, body.bytes)),
        }
    }

    /// GET `url` with `headers`: the status, the `WWW-Authenticate` header (if it is one
    /// visible-ASCII value) and the body, read up to one byte over [`MAX_BODY_LEN`].
    async fn get(
        &self,
        url: &str,
        resource: Resource,
        headers: &[(&str, &str)],
    ) -> Result<(u16, Option<String>, Body), HttpError> {
        let transport = |error: reqwest::Error| transport_error(resource, &error);
        let mut builder = self.client.get(url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let mut response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let www_authenticate = response
            .headers()
            .get("www-authenticate")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let max_age = response
            .headers()
            .get("cache-control")
            .and_then(|value| value.to_str().ok())
            .and_then(max_age_from_cache_control);
        let mut body = read_bounded(&mut response, MAX_BODY_LEN)
            .await
            .map_err(transport)?;
        body.max_age = max_age;
        Ok((status, www_authenticate, body))
    }
}

impl fmt::Debug for PortalHttp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalHttp")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("extra_roots", &self.extra_roots)
            .finish_non_exhaustive()
    }
}

/// A body read up to a bound.
struct Body {
    /// At most the bound plus one byte.
    bytes: Vec<u8>,
    /// Whether the body was longer than the bound (reading stopped there).
    oversized: bool,
    /// The `max-age` of the answer's `Cache-Control` header, if it has one.
    max_age: Option<Duration>,
}

/// Reads `response`'s body, keeping at most `max + 1` bytes: a `Content-Length` over `max`
/// stops before the first byte, and a longer stream stops at the chunk that crosses `max` (of
/// which only the byte past the limit is kept; the connection is then dropped).
async fn read_bounded(response: &mut reqwest::Response, max: usize) -> reqwest::Result<Body> {
    let over = |len: u64| usize::try_from(len).map_or(true, |len| len > max);
    if response.content_length().is_some_and(over) {
        return Ok(Body {
            bytes: Vec::new(),
            oversized: true,
            max_age: None,
        });
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = max + 1 - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() > max {
            return Ok(Body {
                bytes,
                oversized: true,
                max_age: None,
            });
        }
    }
    Ok(Body {
        bytes,
        oversized: false,
        max_age: None,
    })
}

fn too_large(resource: Resource) -> HttpError {
    HttpError::Transport {
        resource,
        error: FetchError::TooLarge,
        detail: None,
    }
}

/// Refuses a URL that is neither https nor http: the readers already checked the URLs of a
/// discovery document, but a caller can build one by hand.
fn check_scheme(url: &str, role: UrlRole) -> Result<(), DataClientError> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    let https = scheme.is_some_and(|s| s.eq_ignore_ascii_case("https"));
    let loopback_http = scheme.is_some_and(|s| s.eq_ignore_ascii_case("http"))
        && reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(is_loopback_host))
            .unwrap_or(false);
    if https || loopback_http {
        Ok(())
    } else {
        Err(DataClientError::UrlNotHttps {
            role,
            found: Quoted::ascii(url),
        })
    }
}

/// `localhost`, `127.0.0.0/8` or `[::1]`, as the URL parser writes hosts.
fn is_loopback_host(host: &str) -> bool {
    let v6 = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
        || v6.is_some_and(|h| {
            h.parse::<std::net::Ipv6Addr>()
                .is_ok_and(|ip| ip.is_loopback())
        })
}

type DynError = dyn std::error::Error + 'static;

/// The last error of `error`'s source chain (the operating system's or the TLS library's own
/// message, without reqwest's URL).
fn innermost(error: &DynError) -> &DynError {
    chain(error).last().copied().unwrap_or(error)
}

/// Every error of `error`'s source chain, outermost first. An `io::Error` hides the error it
/// wraps from `source()` (it returns the wrapped error's own source), so each one is opened by
/// hand.
fn chain(error: &DynError) -> Vec<&DynError> {
    let mut out = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        out.push(e);
        let wrapped = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &DynError);
        current = wrapped.or_else(|| e.source());
    }
    out
}

/// Classifies a reqwest failure into the key cache's [`FetchError`] vocabulary.
fn transport_error(resource: Resource, error: &reqwest::Error) -> HttpError {
    let detail = |text: String| Some(Quoted::bounded(&text, tls::DETAIL_MAX));
    let https = error.url().is_some_and(|url| url.scheme() == "https");
    let causes = chain(error);
    let io_kind = |kind| {
        causes
            .iter()
            .filter_map(|e| e.downcast_ref::<std::io::Error>())
            .any(|io| io.kind() == kind)
    };
    let (class, detail) = if let Some(tls) = causes
        .iter()
        .find_map(|e| e.downcast_ref::<rustls::Error>())
    {
        (FetchError::Tls, detail(tls.to_string()))
    } else if https && error.is_connect() && io_kind(std::io::ErrorKind::UnexpectedEof) {
        // The server closed the connection during the handshake (it does not speak TLS, or
        // refused the ClientHello without an alert).
        (FetchError::Tls, detail(innermost(error).to_string()))
    } else if error.is_timeout() {
        (FetchError::Timeout, None)
    } else if error.is_dns() {
        (FetchError::HostNotFound, None)
    } else if io_kind(std::io::ErrorKind::ConnectionRefused) {
        (FetchError::ConnectionRefused, None)
    } else {
        (FetchError::Transport, detail(innermost(error).to_string()))
    };
    HttpError::Transport {
        resource,
        error: class,
        detail,
    }
}

#[cfg(test)]
mod tests;
