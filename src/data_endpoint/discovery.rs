//! [`render_discovery`]: the portal's discovery document, served at
//! `{issuer}/.well-known/cv-plugin`.

use crate::keys::Algorithm;
use crate::wire::{DiscoveryDocument, IssuerId, PROTOCOL_VERSION};

/// The JSON of the portal's [`DiscoveryDocument`]: its issuer id, protocol version 1, where its
/// JWKS and its client-data endpoint are, and the algorithms it signs with (each named once, in
/// the order given). Serve it at [`DISCOVERY_PATH`](crate::wire::DISCOVERY_PATH) under the issuer
/// id, as `application/json`.
///
/// Vendors accept only `https` URLs (`http` for loopback hosts only): pass the public URLs.
///
/// ```
/// use cv_portal_plugin::{Algorithm, IssuerId, Url, render_discovery};
/// let json = render_discovery(
///     &IssuerId::new("https://portal.construtora.com.br")?,
///     &Url::parse("https://portal.construtora.com.br/.well-known/cv-plugin/jwks.json")?,
///     &Url::parse("https://portal.construtora.com.br/api/cv-plugin/client-data")?,
///     [Algorithm::EdDSA],
/// );
/// assert!(json.starts_with(r#"{"issuer":"https://portal.construtora.com.br","protocol_version":1,"#));
/// assert!(json.ends_with(r#""token_signing_alg_values_supported":["EdDSA"]}"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_discovery(
    issuer: &IssuerId,
    jwks_uri: &url::Url,
    client_data_endpoint: &url::Url,
    algorithms: impl IntoIterator<Item = Algorithm>,
) -> String {
    let mut names: Vec<String> = Vec::new();
    for algorithm in algorithms {
        let name = algorithm.as_str();
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    let document = DiscoveryDocument {
        issuer: issuer.clone(),
        protocol_version: PROTOCOL_VERSION,
        jwks_uri: jwks_uri.as_str().to_owned(),
        client_data_endpoint: client_data_endpoint.as_str().to_owned(),
        token_signing_alg_values_supported: names,
    };
    // Strings and a number only: serialization cannot fail.
    serde_json::to_string(&document).unwrap_or_default()
}
