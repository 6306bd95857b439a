//! Reading key files: the format is detected from the content, never from the file name.
//!
//! | content starts with | read as |
//! |---|---|
//! | `{` | a JWK (private or public) or, with a `"keys"` member, a JWKS |
//! | `-----BEGIN` (anywhere) | a PEM `PRIVATE KEY` block (PKCS#8) |
//! | the byte `0x30` (not text above) | PKCS#8 DER |
//!
//! Anything else, including an empty file, is `error[key]`; a recognized but invalid key is the
//! library's [`KeyError`] code (`invalid_jwk`, `invalid_pem`, ...).
//! Errors never quote the file's content.

use std::path::Path;

use cv_portal_plugin::{KeyError, KeySet, PublicKey, SigningKey};
use serde_json::Value;

use crate::error::CliError;
use crate::io::read_file;

/// The ASN.1 tag of a DER SEQUENCE, the first byte of every PKCS#8 document.
const DER_SEQUENCE: u8 = 0x30;

/// What a key file holds, by its content.
enum Content<'a> {
    /// JSON text: a JWK or a JWKS.
    Json(&'a str),
    /// PEM text.
    Pem(&'a str),
    /// Binary DER.
    Der(&'a [u8]),
}

/// Classifies `bytes` read from `path`.
fn classify<'a>(path: &Path, bytes: &'a [u8]) -> Result<Content<'a>, CliError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(CliError::unrecognized_key(path, "the key file is empty"));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        if text.trim_start().starts_with('{') {
            return Ok(Content::Json(text));
        }
        if text.contains("-----BEGIN") {
            return Ok(Content::Pem(text));
        }
    }
    if bytes.first() == Some(&DER_SEQUENCE) {
        return Ok(Content::Der(bytes));
    }
    Err(CliError::unrecognized_key(
        path,
        "not a JWK, a JWKS, a PEM \"PRIVATE KEY\" block or PKCS#8 DER",
    ))
}

/// Whether the JSON text is an object with the member `name` (false for invalid JSON).
fn has_member(json: &str, name: &str) -> bool {
    serde_json::from_str::<Value>(json)
        .ok()
        .and_then(|v| v.as_object().map(|o| o.contains_key(name)))
        .unwrap_or(false)
}

/// Loads a private signing key (for `--key`): a private JWK, PKCS#8 PEM or PKCS#8 DER.
pub fn load_signing_key(path: &Path) -> Result<SigningKey, CliError> {
    let bytes = read_file(path)?;
    let key_error = |e: KeyError| CliError::key(path, &e);
    match classify(path, &bytes)? {
        Content::Json(json) if has_member(json, "keys") => Err(CliError::unrecognized_key(
            path,
            "this is a JWKS of public keys; a private key is needed",
        )),
        Content::Json(json) => SigningKey::from_jwk(json).map_err(key_error),
        Content::Pem(pem) => SigningKey::from_pkcs8_pem(pem).map_err(key_error),
        Content::Der(der) => SigningKey::from_pkcs8_der(der).map_err(key_error),
    }
}

/// Loads the public keys of a key file (for `jwks`): anything [`load_signing_key`] reads, a
/// public JWK, or a JWKS (all its keys).
pub fn load_public_keys(path: &Path) -> Result<Vec<PublicKey>, CliError> {
    let bytes = read_file(path)?;
    let key_error = |e: KeyError| CliError::key(path, &e);
    match classify(path, &bytes)? {
        Content::Json(json) if has_member(json, "keys") => KeySet::from_jwks_json(json)
            .map(|set| set.iter().cloned().collect())
            .map_err(key_error),
        Content::Json(json) if has_member(json, "d") => SigningKey::from_jwk(json)
            .map(|key| vec![key.public_key()])
            .map_err(key_error),
        Content::Json(json) => PublicKey::from_jwk(json)
            .map(|key| vec![key])
            .map_err(key_error),
        Content::Pem(pem) => SigningKey::from_pkcs8_pem(pem)
            .map(|key| vec![key.public_key()])
            .map_err(key_error),
        Content::Der(der) => SigningKey::from_pkcs8_der(der)
            .map(|key| vec![key.public_key()])
            .map_err(key_error),
    }
}

/// Loads a JWKS document (for `verify --jwks`). A file that is not UTF-8 is not valid JSON.
pub fn load_jwks(path: &Path) -> Result<KeySet, CliError> {
    let bytes = read_file(path)?;
    let json = std::str::from_utf8(&bytes).map_err(|_| {
        CliError::key(
            path,
            &KeyError::InvalidJwk {
                reason: "the JWKS is not valid JSON",
            },
        )
    })?;
    KeySet::from_jwks_json(json).map_err(|e| CliError::key(path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(bytes: &[u8]) -> &'static str {
        match classify(Path::new("k"), bytes) {
            Ok(Content::Json(_)) => "json",
            Ok(Content::Pem(_)) => "pem",
            Ok(Content::Der(_)) => "der",
            Err(e) => e.code,
        }
    }

    #[test]
    fn formats_are_detected_by_content() {
        assert_eq!(kind(b" \n{\"kty\":\"OKP\"}"), "json");
        assert_eq!(kind(b"-----BEGIN PRIVATE KEY-----\nAA==\n"), "pem");
        assert_eq!(kind(b"comment\n-----BEGIN PRIVATE KEY-----\n"), "pem");
        assert_eq!(kind(&[0x30, 0x2e, 0x02, 0x01, 0x00]), "der");
        assert_eq!(kind(b""), "key");
        assert_eq!(kind(b" \n\t"), "key");
        assert_eq!(kind(b"hello"), "key");
        assert_eq!(kind(&[0xff, 0xfe, 0x00]), "key");
    }

    #[test]
    fn member_detection() {
        assert!(has_member(r#"{"keys":[]}"#, "keys"));
        assert!(!has_member(r#"{"kty":"OKP"}"#, "keys"));
        assert!(!has_member("{", "keys"));
        assert!(!has_member("[1]", "keys"));
    }
}
