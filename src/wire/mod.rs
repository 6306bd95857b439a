//! The wire format of the launch-token protocol (PROTOCOL.md §2–§5): identifiers, the role, the
//! claims, the `typ` header, the delivery parameter, and the protocol's limits.
//!
//! This is the bottom layer of the crate. The vendor side (verification, keys, single use) and the
//! portal side (configuration, menus, issuing) both stand on it; it depends on neither.

mod claims;
mod client_data;
mod delivery;
mod discovery;
mod error;
mod ids;
mod role;

use std::time::Duration;

pub use claims::LaunchClaims;
pub use client_data::{ClientData, ClientDataField, TaxDocument, Unit};
pub use delivery::Delivery;
pub use discovery::{DISCOVERY_PATH, DiscoveryDocument, PROTOCOL_VERSION};
pub use error::{IdProblem, WireError};
#[cfg(feature = "portal")]
pub(crate) use ids::plugin_id_problems;
pub use ids::{IssuerId, PluginId, SubjectId, TokenId};
pub use role::Role;

/// The JOSE `typ` header of every launch token (RFC 8725 §3.11 explicit typing).
pub const TOKEN_TYPE: &str = "cv-plugin-launch+jwt";

/// The query parameter (and form field) that carries the launch token to the plugin link.
pub const TOKEN_PARAM: &str = "token";

/// The longest lifetime (`exp - iat`) a launch token may have: one hour.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The longest launch token a verifier must accept, in bytes (PROTOCOL.md §2: 4096).
pub const MAX_TOKEN_LEN: usize = 4096;

/// [`MAX_TOKEN_LIFETIME`] in seconds, for claim arithmetic.
#[cfg(feature = "vendor")]
pub(crate) const MAX_LIFETIME_SECS: i64 = MAX_TOKEN_LIFETIME.as_secs() as i64;

/// The largest time value a claim may carry: 9999-12-31T23:59:59Z.
pub(crate) const MAX_TIMESTAMP: i64 = 253_402_300_799;
