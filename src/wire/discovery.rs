//! [`DiscoveryDocument`]: what a portal publishes at `{issuer}/.well-known/cv-plugin`
//! (PROTOCOL.md §10), so that a vendor configured with an issuer id and a plugin id finds
//! everything else.

use serde::{Deserialize, Serialize};

use super::IssuerId;

/// The path of the discovery document under the issuer id.
pub const DISCOVERY_PATH: &str = "/.well-known/cv-plugin";

/// The version of the protocol this crate speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The portal's discovery document.
///
/// ```json
/// {"issuer":"https://portal.construtora.com.br","protocol_version":1,
///  "jwks_uri":"https://portal.construtora.com.br/.well-known/cv-plugin/jwks.json",
///  "client_data_endpoint":"https://portal.construtora.com.br/api/cv-plugin/client-data",
///  "token_signing_alg_values_supported":["EdDSA"]}
/// ```
///
/// A vendor accepts it only if `issuer` equals, exactly, the issuer id it was configured with
/// and fetched it for, and only fetches discovery for configured issuers, never for an `iss` read
/// from an unverified token. Unknown members are ignored (later versions may add some).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryDocument {
    /// The portal's issuer id, the `iss` of its launch tokens.
    pub issuer: IssuerId,
    /// The protocol version (1).
    pub protocol_version: u32,
    /// Where the portal publishes its JWKS (PROTOCOL.md §7).
    pub jwks_uri: String,
    /// Where a vendor redeems a verified launch token for the person's data (§11).
    pub client_data_endpoint: String,
    /// The JOSE names of the algorithms the portal signs launch tokens with (`EdDSA`, `ES256`);
    /// names the reader does not know are kept, so a portal adding one breaks no vendor.
    pub token_signing_alg_values_supported: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_form_and_ignores_unknown_members() {
        let doc: DiscoveryDocument = serde_json::from_str(
            r#"{"issuer":"https://portal.construtora.com.br","protocol_version":1,
                "jwks_uri":"https://portal.construtora.com.br/.well-known/cv-plugin/jwks.json",
                "client_data_endpoint":"https://portal.construtora.com.br/api/cv-plugin/client-data",
                "token_signing_alg_values_supported":["EdDSA","ES512"],"later":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(doc.issuer.as_str(), "https://portal.construtora.com.br");
        assert_eq!(doc.token_signing_alg_values_supported, ["EdDSA", "ES512"]);
        let again: DiscoveryDocument =
            serde_json::from_str(&serde_json::to_string(&doc).unwrap()).unwrap();
        assert_eq!(again, doc);
        assert!(serde_json::from_str::<DiscoveryDocument>(r#"{"issuer":"x"}"#).is_err());
    }
}
