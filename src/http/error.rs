//! [`HttpError`]: why [`PortalHttp`](super::PortalHttp) could not fetch or redeem, and
//! [`Resource`], which of the exchange's three documents a transport failure is about.
//!
//! The transport's failures reuse the classes of [`FetchError`] (the key cache's vocabulary);
//! what the portal answered keeps the code of the reader that refused it ([`DataClientError`],
//! [`KeyError`], [`ClientDataError`]). Nothing here holds a URL's query, a body, a header or the
//! token: only a resource name and, for TLS and other transport failures, a bounded excerpt of
//! the underlying library's message.

use std::fmt;

use crate::data_client::{ClientDataError, DataClientError};
use crate::keys::{FetchError, KeyError};
use crate::quoted::Quoted;

/// Which document of the exchange a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Resource {
    /// The discovery document, `{issuer}/.well-known/cv-plugin`.
    Discovery,
    /// The portal's JWKS, at the discovery document's `jwks_uri`.
    Jwks,
    /// The client-data endpoint, the discovery document's `client_data_endpoint`.
    ClientData,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Discovery => "the discovery document",
            Resource::Jwks => "the JWKS",
            Resource::ClientData => "the client-data endpoint",
        })
    }
}

/// `: <detail>` when there is one.
struct Detail<'a>(&'a Option<Quoted>);

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(detail) => write!(f, " ({detail})"),
            None => Ok(()),
        }
    }
}

/// Why a request of [`PortalHttp`](super::PortalHttp) failed. Each variant has a stable
/// [`code`](Self::code): the wrapped reader's code, or the [`FetchError::kind`] of a transport
/// failure, or one of this enum's own [`ALL_CODES`](Self::ALL_CODES).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// A URL of the exchange was refused before anything was sent (the issuer, or a
    /// `jwks_uri` that is not https), or the discovery document was refused
    /// ([`read_discovery`](crate::data_client::read_discovery)'s checks).
    #[error(transparent)]
    DataClient(#[from] DataClientError),
    /// The JWKS document was fetched but is not a usable key set.
    #[error("the JWKS is not a valid key set: {0}")]
    Jwks(KeyError),
    /// The client-data endpoint answered, and the answer is not the person's data (a refusal
    /// such as `replayed` or `client_not_found`, or an answer the protocol does not allow).
    #[error(transparent)]
    ClientData(#[from] ClientDataError),
    /// The request failed on the way: no connection, no TLS, no answer in time, a status other
    /// than 200 for the JWKS, or a 200 body larger than [`MAX_BODY_LEN`](super::MAX_BODY_LEN)
    /// (its reading stopped there).
    #[error("fetching {resource} failed: {error}{}", Detail(detail))]
    Transport {
        /// What was being fetched.
        resource: Resource,
        /// The class of the failure.
        error: FetchError,
        /// A bounded excerpt of the underlying library's message (a TLS certificate problem, a
        /// reset connection), when it helps; never a URL, a header or a body.
        detail: Option<Quoted>,
    },
    /// An extra root certificate given to the builder is not a PEM `CERTIFICATE` block that
    /// rustls accepts as a trust anchor.
    #[error("the extra root certificates are unusable: {problem}")]
    RootCertificate {
        /// What is wrong.
        problem: &'static str,
    },
    /// The HTTP client could not be built: the platform's root certificates could not be
    /// loaded (and no extra root was given), or the TLS configuration was refused.
    #[error("the HTTP client could not be set up: {detail}")]
    Setup {
        /// A bounded excerpt of the underlying library's message.
        detail: Quoted,
    },
}

impl HttpError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            HttpError::DataClient(error) => error.code(),
            HttpError::Jwks(error) => error.code(),
            HttpError::ClientData(error) => error.code(),
            HttpError::Transport { error, .. } => error.kind(),
            HttpError::RootCertificate { .. } => "root_certificate_invalid",
            HttpError::Setup { .. } => "http_client_setup_failed",
        }
    }

    /// The codes of this enum's own variants ([`RootCertificate`](Self::RootCertificate),
    /// [`Setup`](Self::Setup)); the others carry the codes of [`DataClientError`],
    /// [`KeyError`], [`ClientDataError`] and [`FetchError::kind`].
    pub const ALL_CODES: &'static [&'static str] =
        &["root_certificate_invalid", "http_client_setup_failed"];

    /// The class of a transport failure ([`HttpError::Transport`]), for a caller that maps it
    /// onto its own retry or alerting rules.
    pub fn fetch_error(&self) -> Option<FetchError> {
        match self {
            HttpError::Transport { error, .. } => Some(*error),
            _ => None,
        }
    }

    /// The code the portal answered the client-data request with (`replayed`,
    /// `client_not_found`, `plugin_inactive`, ...), when it sent one: see
    /// [`ClientDataError::server_code`].
    pub fn server_code(&self) -> Option<&str> {
        match self {
            HttpError::ClientData(error) => error.server_code(),
            _ => None,
        }
    }
}
