//! # cv-portal-plugin
//!
//! Plugins and launch tokens for the CV real-estate CRM's client portal (Portal do Cliente) and
//! manager panel (Portal do Gestor).
//!
//! A construction company whose ERP is not integrated with CV registers a **plugin**: a vendor page
//! shown in an iframe inside the portal (for example a "Financeiro" screen where a buyer prints a
//! second copy of a boleto). When a logged-in person opens the plugin, the portal sends a
//! short-lived signed **launch token** to the plugin's link; the vendor verifies it and serves only
//! that person's data. PROTOCOL.md is the language-neutral contract; this crate implements both
//! sides of it.
//!
#![cfg_attr(
    feature = "vendor",
    doc = r##"
## For vendors: verify a launch

[`Verifier`] checks a launch token (PROTOCOL.md §6) and consumes its single use; keys come
from a [`KeySet`], a [`KeySource`] (held in memory, refreshed in the background: `verify`
never waits on the network) or a [`KeyCache`] of the portal's JWKS. Every [`VerifyError`] has a
stable `code()` and a [`Fault`]: 401 for the token's faults, 503 when keys or the replay store
are unavailable. A vendor serving many portals verifies through a [`PortalRegistry`].

| item | what for |
|---|---|
| [`Verifier`], [`VerifierBuilder`] | verify launch tokens of one plugin of one portal |
| [`UntrustedToken`] | a parsed, unverified token: `kid` and claimed `iss`, for routing |
| [`LaunchClaims`] | what a verified token says: [`IssuerId`], [`PluginId`], [`SubjectId`], [`Role`], [`TokenId`] |
| [`PortalRegistry`], [`Portal`], [`VerifiedLaunch`], [`RegistryError`] | many portals: route by the claimed `iss`, verify against that portal |
| [`KeySet`], [`PublicKey`], [`KeySource`], [`KeyCache`] | the portal's published keys |
| [`ReplayGuard`], [`InMemoryReplayGuard`], `RedisReplayGuard` | single use |
| [`AsyncReplayGuard`], [`NonBlockingReplayGuard`], `AsyncRedisReplayGuard`, [`Verifier::verify_async`] | single use from async services, never blocking a runtime thread |
| [`VerifyError`], [`Fault`], [`KeyError`], [`ReplayError`] | errors with stable codes |
| [`data_client`]: [`ClientDataRequest`], `read_discovery`, `read_client_data_for` | discovery and the person's data, over the vendor's own HTTP client |

"##
)]
#![cfg_attr(
    feature = "portal",
    doc = r##"
## For the portal: configure, show, mint

| item | what for |
|---|---|
| [`PluginConfig`] and its parts ([`Icon`], [`Dimension`], [`VisibleTo`], [`AuthConfig`], ...) | the validated plugin ("Gestão de Plugins"), JSON form, bilingual [`ConfigErrors`] |
| [`menu_for`], [`MenuEntry`], [`Viewer`], [`Surface`] | which plugins a logged-in person sees |
| [`IframeAttributes`], [`render_iframe`] | safe iframe markup |
| [`SigningKey`], [`Issuer`], [`LaunchToken`], [`IssueError`] | keys, minting, the launch URL or form POST |
| `ClientDataEndpoint`, `render_discovery` (both features) | the client-data endpoint and the discovery document |

"##
)]
//!
//! ## The whole flow
//!
//! (This example needs both features, the default.)
//!
#![cfg_attr(all(feature = "portal", feature = "vendor"), doc = "```")]
#![cfg_attr(not(all(feature = "portal", feature = "vendor")), doc = "```ignore")]
//! use std::sync::Arc;
//! use cv_portal_plugin::{
//!     Algorithm, Dimension, Icon, InMemoryReplayGuard, Issuer, IssuerId, KeySet, PluginConfig,
//!     Role, SigningKey, SubjectId, Verifier, Viewer, VisibleTo, menu_for,
//! };
//!
//! // The platform: a validated plugin configuration ("Gestão de Plugins").
//! let financeiro = PluginConfig::builder()
//!     .id("financeiro")
//!     .name("Financeiro (ERP UAU)")
//!     .link("https://erp.example.com/portal/financeiro?empresa=7")
//!     .icon(Icon::Alerta)
//!     .title("Financeiro")
//!     .show_in_client_portal(true)
//!     .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
//!     .visible_to(VisibleTo::Cliente)
//!     .build()?;
//! let plugins = [financeiro];
//! assert_eq!(menu_for(&plugins, Role::Cliente).len(), 1);
//! assert!(menu_for(&plugins, Role::Sindico).is_empty());
//!
//! // The portal mints a launch token when a cliente opens the plugin.
//! let issuer = Issuer::new(
//!     IssuerId::new("https://portal.construtora.com.br")?,
//!     SigningKey::generate(Algorithm::EdDSA)?,
//! );
//! let maria = Viewer::new(SubjectId::new("48213")?, Role::Cliente);
//! let launch = issuer.mint(&plugins[0], &maria)?;
//! assert!(launch.launch_url().as_str().contains("empresa=7&token=ey"));
//! let jwks = issuer.jwks().to_jwks_json(); // published for vendors
//!
//! // The vendor verifies it, once: single use is one store shared by the whole process
//! // (a `RedisReplayGuard` when the vendor runs several instances).
//! let single_use = Arc::new(InMemoryReplayGuard::new());
//! let verifier = Verifier::builder(issuer.issuer_id().clone(), "financeiro".parse()?)
//!     .key_set(KeySet::from_jwks_json(&jwks)?)
//!     .replay_guard(single_use)
//!     .build()?;
//! let claims = verifier.verify(launch.token())?;
//! assert_eq!(claims.subject().as_str(), "48213");
//! assert_eq!(verifier.verify(launch.token()).unwrap_err().code(), "replayed");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Modules
//!
//! The wire format is the bottom layer; the vendor side and the portal side stand on it, never on
//! each other.
//!
//! - [`wire`]: identifiers, role, claims, `typ`, the delivery parameter, the limits;
//! - [`keys`]: algorithms, public keys and JWKS (both sides), signing keys (portal), the key
//!   source and the key cache (vendor); [`provider`]: the ring-backed jsonwebtoken provider the crate calls directly;
#![cfg_attr(
    feature = "vendor",
    doc = "- vendor (feature `vendor`): [`verify`] (strict verification), [`registry`] (many \
           portals), [`replay`] (single use), [`data_client`] (discovery and client data);"
)]
#![cfg_attr(
    feature = "axum",
    doc = "- axum (feature `axum`): [`axum`](crate::axum) (extractors for a verified launch and \
           a vendor session, rejections that answer as HTTP);"
)]
#![cfg_attr(
    feature = "portal",
    doc = "- portal (feature `portal`): [`config`] (plugin configuration, bilingual errors), \
           [`menu`], [`render`] (iframe markup), [`viewer`], [`issue`] (minting);"
)]
#![cfg_attr(
    all(feature = "portal", feature = "vendor"),
    doc = "- both (features `portal` and `vendor`): [`data_endpoint`] (the portal's client-data \
           endpoint, built on both sides);"
)]
//! - [`clock`]: injectable time.
//!
//! ## Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `vendor` | yes | `Verifier`, `KeyCache`, single use (`ReplayGuard`) |
//! | `portal` | yes | `PluginConfig`, `menu_for`, `render_iframe`, `Issuer`, `SigningKey` |
//! | `redis` | no | `RedisReplayGuard`: single use across a vendor's instances |
//! | `redis-tls` | no | `rediss://` URLs through rustls on ring (both Redis guards) |
//! | `redis-async` | no | `AsyncRedisReplayGuard` and `AsyncRedisRevocationStore`: the Redis guard and session revocation store for async services, on the application's tokio runtime |
//! | `http` | no | `PortalHttp`: the vendor's async transport for discovery, the JWKS and client data, over reqwest with rustls on ring (no redirects, bounded bodies, timeouts) |
//! | `axum` | no | `axum::Launch` and `axum::Session`: extractors for a verified launch and a vendor session, whose rejections answer with the status, `WWW-Authenticate` and a JSON code (axum without default features: no hyper, no tokio) |
//! | `cli` | no | the `cvplugin` command-line tool (with `http`) |
//!
//! A vendor builds with `default-features = false, features = ["vendor"]` and compiles none of
//! the portal's code.
//!
//! ## Safe by default
//!
//! Only Ed25519 and P-256 signatures, each key pinned to its algorithm; no HMAC. A verifier
//! checks everything PROTOCOL.md §6 lists and enforces single use unless told otherwise. Options
//! that weaken verification are named `dangerous_*`. Private keys and tokens never appear in
//! `Debug` output or error messages.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod b64;
pub mod clock;
pub mod keys;
pub mod provider;
mod quoted;
pub mod wire;

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "vendor")]
pub mod data_client;
#[cfg(test)]
mod error_codes;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "vendor")]
pub mod registry;
#[cfg(feature = "vendor")]
pub mod replay;
#[cfg(feature = "vendor")]
pub mod session;
#[cfg(feature = "vendor")]
pub mod verify;

#[cfg(feature = "portal")]
pub mod config;
#[cfg(all(feature = "portal", feature = "vendor"))]
pub mod data_endpoint;
#[cfg(feature = "portal")]
mod html;
#[cfg(feature = "portal")]
pub mod issue;
#[cfg(feature = "portal")]
pub mod menu;
#[cfg(feature = "portal")]
pub mod render;
#[cfg(feature = "portal")]
pub mod viewer;

// Both sides: the wire format, keys, time, the opt-in jsonwebtoken default.
pub use clock::{Clock, FixedClock, SystemClock};
pub use keys::{Algorithm, KeyError, KeySet, PublicKey};
pub use provider::{ProviderAlreadyInstalled, install_as_jsonwebtoken_default};
pub use quoted::Quoted;
pub use wire::{
    Delivery, IdProblem, IssuerId, LaunchClaims, PluginId, Role, SubjectId, TokenId, WireError,
};

// The vendor: verification, keys from the portal, single use.
#[cfg(feature = "vendor")]
pub use data_client::{
    BearerChallenge, ClientDataError, ClientDataRequest, DataClientError, DataFault, ServerCode,
};
#[cfg(feature = "http")]
pub use http::{HttpError, PortalHttp, PortalHttpBuilder};
#[cfg(feature = "vendor")]
pub use keys::{FetchError, KeyCache, KeySource, KeysFailure};
#[cfg(feature = "vendor")]
pub use registry::{Portal, PortalConfigError, PortalRegistry, RegistryError, VerifiedLaunch};
#[cfg(feature = "redis-async")]
pub use replay::redis::AsyncRedisReplayGuard;
#[cfg(feature = "redis")]
pub use replay::redis::{RedisGuardError, RedisReplayGuard};
#[cfg(feature = "vendor")]
pub use replay::{
    AsyncReplayGuard, InMemoryReplayGuard, NonBlockingReplayGuard, ReplayEntry, ReplayError,
    ReplayGuard, StoreCause, StoreFailure,
};
#[cfg(feature = "redis-async")]
pub use session::redis::AsyncRedisRevocationStore;
#[cfg(feature = "redis")]
pub use session::redis::RedisRevocationStore;
#[cfg(feature = "vendor")]
pub use session::{
    AsyncRevocationStore, Credential, CredentialRequest, CredentialSource, ExchangeUrlError,
    InMemoryRevocationStore, NonBlockingRevocationStore, OriginError, PortalOrigin,
    RevocationStore, SessionClaims, SessionConfigError, SessionError, SessionId, SessionKey,
    SessionToken, Sessions, SessionsBuilder, TicketClaims, VendorOrigin, bounce_page,
    extract_credential, page_headers, session_challenge, session_cookie,
};
#[cfg(feature = "vendor")]
pub use verify::{
    Fault, UntrustedToken, Verifier, VerifierBuilder, VerifierConfigError, VerifyError,
};

// The portal: configuration, menus, markup, minting.
#[cfg(feature = "portal")]
pub use config::{
    AuthConfig, ConfigError, ConfigErrorKind, ConfigErrors, ConfigWarning, Dimension, Icon,
    IframeSize, PluginConfig, PluginConfigBuilder, PluginKind, VisibleTo,
};
#[cfg(all(feature = "portal", feature = "vendor"))]
pub use data_endpoint::{
    Answer, ClientDataEndpoint, ClientDataEndpointBuilder, EndpointError, render_discovery,
};
#[cfg(feature = "portal")]
pub use issue::{IssueError, Issuer, IssuerBuilder, LaunchToken};
#[cfg(feature = "portal")]
pub use keys::SigningKey;
#[cfg(feature = "portal")]
pub use menu::{MenuEntry, menu_for};
#[cfg(feature = "portal")]
pub use render::{IframeAttributes, render_iframe};
/// The URL type of plugin links and launch URLs, from the `url` crate (re-exported so that a
/// portal's code names the same type the crate returns).
#[cfg(feature = "portal")]
pub use url::Url;
#[cfg(feature = "portal")]
pub use viewer::{Surface, Viewer};

/// The README's Rust examples, compiled as doctests so they cannot rot.
#[cfg(all(doctest, feature = "portal", feature = "vendor"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
