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
//! ## The whole flow
//!
//! ```
//! use cv_portal_plugin::{
//!     Algorithm, Dimension, Icon, Issuer, IssuerId, KeySet, PluginConfig, Role, SigningKey,
//!     SubjectId, Verifier, Viewer, VisibleTo, menu_for,
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
//! // The vendor verifies it, once.
//! let verifier = Verifier::builder(issuer.issuer_id().clone(), "financeiro".parse()?)
//!     .key_set(KeySet::from_jwks_json(&jwks)?)
//!     .build()?;
//! let claims = verifier.verify(launch.token())?;
//! assert_eq!(claims.subject().as_str(), "48213");
//! assert_eq!(verifier.verify(launch.token()).unwrap_err().code(), "replayed");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Modules
//!
//! - [`config`]: the validated plugin configuration, its JSON form and bilingual errors;
//! - [`menu`]: which plugins a viewer sees; [`render`]: safe iframe markup;
//! - [`viewer`]: roles (cliente, síndico, gestor) and subject identifiers;
//! - [`claims`]: what a launch token says; [`keys`]: signing keys, JWKS and the vendor's key cache;
//! - [`issue`]: minting (portal side); [`verify`]: strict verification (vendor side);
//! - [`replay`]: single use; [`provider`]: the ring-backed jsonwebtoken crypto provider;
//! - [`error`]: token-side errors with stable codes; [`clock`]: injectable time.
//!
//! ## Safe by default
//!
//! Only Ed25519 and P-256 signatures, each key pinned to its algorithm; no HMAC. A verifier
//! checks everything PROTOCOL.md §6 lists and enforces single use unless told otherwise. Options
//! that weaken verification are named `dangerous_*`. Private keys and tokens never appear in
//! `Debug` output or error messages.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod b64;
pub mod claims;
pub mod clock;
pub mod config;
pub mod error;
pub(crate) mod html;
pub mod issue;
pub mod keys;
pub mod menu;
pub mod provider;
pub mod render;
pub mod replay;
pub mod verify;
pub mod viewer;

pub use claims::{IssuerId, LaunchClaims, TOKEN_TYPE, TokenId};
pub use clock::{Clock, FixedClock, SystemClock};
pub use config::{
    AuthConfig, ConfigError, ConfigErrorKind, ConfigErrors, Dimension, Icon, IframeSize, JsonType,
    PluginConfig, PluginConfigBuilder, PluginId, PluginKind, VisibleTo,
};
pub use error::{IssueError, KeyError, VerifierConfigError, VerifyError};
pub use issue::{Issuer, IssuerBuilder, LaunchToken};
pub use keys::{Algorithm, FetchError, KeyCache, KeySet, PublicKey, SigningKey};
pub use menu::{MenuEntry, menu_for};
pub use provider::{ProviderAlreadyInstalled, install_as_jsonwebtoken_default};
pub use render::{IframeAttributes, UnsafeSrc, render_iframe};
#[cfg(feature = "redis")]
pub use replay::redis::{RedisGuardError, RedisReplayGuard, RedisReplayGuardBuilder};
pub use replay::{InMemoryReplayGuard, ReplayEntry, ReplayError, ReplayGuard};
pub use verify::{Verifier, VerifierBuilder};
pub use viewer::{InvalidSubject, Role, SubjectId, Surface, Viewer};

/// The README's Rust examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
