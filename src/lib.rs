//! # cv-portal-plugin
//!
//! Plugins and launch tokens for the CV real-estate CRM's client portal (Portal do Cliente) and
//! manager panel (Portal do Gestor).
//!
//! A construction company whose ERP is not integrated with CV registers a **plugin**: a vendor page
//! shown in an iframe inside the portal (for example a "Financeiro" screen where a buyer prints a
//! second copy of a boleto). When a logged-in person opens the plugin, the portal sends a
//! short-lived signed **launch token** to the plugin's link; the vendor verifies it and serves only
//! that person's data.
//!
//! The crate has one module per concept:
//!
//! - [`config`]: the validated plugin configuration ("Gestão de Plugins") and its JSON form;
//! - [`menu`]: which plugins a viewer sees; [`render`]: safe iframe markup;
//! - [`viewer`]: roles (cliente, síndico, gestor) and subject identifiers;
//! - `claims`, `keys`, `issue`, `verify`, `replay`: the launch-token protocol (see PROTOCOL.md);
//! - [`clock`]: injectable time.

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
pub use provider::{ProviderStatus, install_provider};
pub use render::{IframeAttributes, UnsafeSrc, render_iframe};
pub use replay::{InMemoryReplayGuard, ReplayEntry, ReplayError, ReplayGuard};
pub use verify::{Verifier, VerifierBuilder};
pub use viewer::{InvalidSubject, Role, SubjectId, Surface, Viewer};

/// The README's Rust examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
