//! [`EndpointError`]: why the client-data endpoint refused a request, with its stable code and
//! the HTTP status the contract gives it.

use crate::verify::{Fault, VerifyError};
use crate::wire::Role;

/// Why the client-data endpoint did not answer 200 (PROTOCOL.md §11). Every variant has a stable
/// [`code`](Self::code) (the `error` member of the body) and an [`http_status`](Self::http_status).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// No `Authorization` header: 401 `missing_token`.
    #[error("the request has no Authorization header")]
    MissingToken,
    /// The `Authorization` header is not `Bearer <token>`: 400 `invalid_request`.
    #[error("the Authorization header is not `Bearer <token>`: {reason}")]
    InvalidRequest {
        /// What is wrong with it (fixed text, never the header's value).
        reason: &'static str,
    },
    /// The token fails verification (PROTOCOL.md §6; `replayed` for a second redemption), or the
    /// portal's keys or redemption store are unavailable: 401 or 503 by its
    /// [`Fault`](crate::Fault), with the verification code.
    #[error(transparent)]
    Token(VerifyError),
    /// The token is the portal's own but its `aud` names no plugin of the portal: 401
    /// `plugin_not_found`.
    #[error("the token's plugin is not a plugin of this portal")]
    PluginNotFound,
    /// The plugin is inactive: 403 `plugin_inactive`.
    #[error("the plugin is inactive")]
    PluginInactive,
    /// The plugin is no longer shown to the token's role: 403 `not_visible_to_viewer`.
    #[error("the plugin is not shown to role {role}")]
    NotVisibleToViewer {
        /// The token's role.
        role: Role,
    },
    /// The portal's lookup could not answer: 503 `lookup_unavailable` (nothing consumed; the
    /// vendor retries after `Retry-After`).
    #[error("the portal's client-data lookup is unavailable")]
    LookupUnavailable,
    /// The token was valid and is now redeemed, but the lookup found no data for the person:
    /// 404 `client_not_found`.
    #[error("no data exists for this person")]
    ClientNotFound,
    /// The person's granted data serializes to more than the contract's 64 KiB: 500
    /// `client_data_too_large` (the portal's lookup returned too much; nothing is sent).
    #[error("the client data is {len} bytes, above the maximum of {max}")]
    ClientDataTooLarge {
        /// The serialized length.
        len: usize,
        /// The maximum body length.
        max: usize,
    },
}

impl EndpointError {
    /// The stable machine-readable code: the `error` member of the answer's body.
    pub fn code(&self) -> &'static str {
        match self {
            EndpointError::MissingToken => "missing_token",
            EndpointError::InvalidRequest { .. } => "invalid_request",
            EndpointError::Token(error) => error.code(),
            EndpointError::PluginNotFound => "plugin_not_found",
            EndpointError::PluginInactive => "plugin_inactive",
            EndpointError::NotVisibleToViewer { .. } => "not_visible_to_viewer",
            EndpointError::LookupUnavailable => "lookup_unavailable",
            EndpointError::ClientNotFound => "client_not_found",
            EndpointError::ClientDataTooLarge { .. } => "client_data_too_large",
        }
    }

    /// The HTTP status of the answer.
    pub fn http_status(&self) -> u16 {
        match self {
            EndpointError::MissingToken | EndpointError::PluginNotFound => 401,
            EndpointError::InvalidRequest { .. } => 400,
            EndpointError::Token(error) => match error.fault() {
                Fault::Token => 401,
                _ => 503,
            },
            EndpointError::PluginInactive | EndpointError::NotVisibleToViewer { .. } => 403,
            EndpointError::LookupUnavailable => 503,
            EndpointError::ClientNotFound => 404,
            EndpointError::ClientDataTooLarge { .. } => 500,
        }
    }

    /// The codes this enum adds to [`VerifyError::ALL_CODES`], in the order the endpoint checks.
    pub const ENDPOINT_CODES: &'static [&'static str] = &[
        "missing_token",
        "invalid_request",
        "plugin_not_found",
        "plugin_inactive",
        "not_visible_to_viewer",
        "lookup_unavailable",
        "client_not_found",
        "client_data_too_large",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_codes_list_the_variants_and_never_clash_with_verification() {
        let every_variant = [
            EndpointError::MissingToken,
            EndpointError::InvalidRequest { reason: "" },
            EndpointError::PluginNotFound,
            EndpointError::PluginInactive,
            EndpointError::NotVisibleToViewer {
                role: Role::Cliente,
            },
            EndpointError::LookupUnavailable,
            EndpointError::ClientNotFound,
            EndpointError::ClientDataTooLarge { len: 1, max: 0 },
        ];
        let codes: Vec<&str> = every_variant.iter().map(EndpointError::code).collect();
        assert_eq!(codes, EndpointError::ENDPOINT_CODES);
        let statuses: Vec<u16> = every_variant
            .iter()
            .map(EndpointError::http_status)
            .collect();
        assert_eq!(statuses, [401, 400, 401, 403, 403, 503, 404, 500]);
        for code in EndpointError::ENDPOINT_CODES {
            assert!(!VerifyError::ALL_CODES.contains(code), "{code}");
        }
        assert_eq!(
            EndpointError::Token(VerifyError::Replayed).http_status(),
            401
        );
        assert_eq!(
            EndpointError::Token(VerifyError::KeysUnavailable { last_failure: None }).http_status(),
            503
        );
    }
}
