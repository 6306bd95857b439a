//! Reading key files: the format is detected from the content, never from the file name.
//!
//! | content starts with | read as |
//! |---|---|
//! | `{` | a JWK (private or public) or, with a `"keys"` member, a JWKS |
//! | `-----BEGIN` (anywhere) | a PEM `PRIVATE KEY` block (PKCS#8) |
//! | the byte `0x30` (not text above) | PKCS#8 DER |
//!
//! Anything else, including an empty file, is `error[key]`; a recognized but invalid key is the
//! library's [`KeyError`] code (`invalid_jwk`, `invalid_pem`, ...). A key of the wrong kind is
//! named as such: a public key where a private one is needed (`mint`, `launch-url`), a private key
//! where the portal's published keys are (`verify --jwks`). Errors never quote the file's content.

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

/// What to do instead of giving a public key to a command that signs.
const PUBLIC_NOT_PRIVATE: &str = "this is a public key; signing needs the portal's private key \
                                  (the JWK `cvplugin keygen` wrote, or PKCS#8 PEM or DER)";

/// What to do instead of giving a private key to `verify --jwks` (issue 10's wording).
const PRIVATE_NOT_PUBLIC: &str =
    "this is a private key; give the JWKS the portal publishes (cvplugin jwks KEYFILE)";

/// The label of the first PEM block (`PRIVATE KEY`, `PUBLIC KEY`, `EC PRIVATE KEY`, ...).
fn pem_label(text: &str) -> Option<&str> {
    const BEGIN: &str = "-----BEGIN ";
    let start = text.find(BEGIN)? + BEGIN.len();
    let len = text[start..].find("-----")?;
    Some(&text[start..start + len])
}

/// Reads a PEM private key (PKCS#8 `PRIVATE KEY`, or SEC1 `EC PRIVATE KEY` as `openssl ecparam
/// -genkey` writes it), naming the blocks people give by mistake: a public key, or an encrypted
/// key with the command that decrypts it.
fn signing_key_from_pem(path: &Path, pem: &str) -> Result<SigningKey, CliError> {
    SigningKey::from_pem(pem).map_err(|e| match pem_label(pem) {
        Some("PUBLIC KEY") => CliError::key_file(path, e.code(), PUBLIC_NOT_PRIVATE),
        Some("ENCRYPTED PRIVATE KEY") => CliError::key(path, &e).with_hint(
            "the key is encrypted; decrypt it to a PKCS#8 \"PRIVATE KEY\" block: openssl pkcs8 \
             -in KEY.pem -out KEY.p8.pem",
        ),
        _ => CliError::key(path, &e),
    })
}

/// Loads a private signing key (for `--key`): a private JWK, PKCS#8 PEM or PKCS#8 DER.
pub fn load_signing_key(path: &Path) -> Result<SigningKey, CliError> {
    let bytes = read_file(path)?;
    let key_error = |e: KeyError| CliError::key(path, &e);
    match classify(path, &bytes)? {
        Content::Json(json) if has_member(json, "keys") => Err(CliError::unrecognized_key(
            path,
            "this is a JWKS of public keys; signing needs the portal's private key",
        )),
        Content::Json(json) => SigningKey::from_jwk(json).map_err(|e| {
            if !has_member(json, "d") && PublicKey::from_jwk(json).is_ok() {
                CliError::key_file(path, e.code(), PUBLIC_NOT_PRIVATE)
            } else {
                key_error(e)
            }
        }),
        Content::Pem(pem) => signing_key_from_pem(path, pem),
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
        Content::Pem(pem) => signing_key_from_pem(path, pem).map(|key| vec![key.public_key()]),
        Content::Der(der) => SigningKey::from_pkcs8_der(der)
            .map(|key| vec![key.public_key()])
            .map_err(key_error),
    }
}

/// Loads the portal's public keys for `verify --jwks`: a JWKS document or one public JWK (as
/// `cvplugin jwks` prints them, or as a portal publishes them). A private key (a JWK with `d`, a
/// PEM private key block, PKCS#8 DER) is refused as such: a vendor verifies with what the portal
/// publishes, never with its signing key. Anything else fails with the library's JWKS error.
pub fn load_jwks(path: &Path) -> Result<KeySet, CliError> {
    let bytes = read_file(path)?;
    let private = || {
        let code = KeyError::PrivatePartInPublicSet { member: "d" }.code();
        CliError::key_file(path, code, PRIVATE_NOT_PUBLIC)
    };
    if bytes.first() == Some(&DER_SEQUENCE) && SigningKey::from_pkcs8_der(&bytes).is_ok() {
        return Err(private());
    }
    let Ok(json) = std::str::from_utf8(&bytes) else {
        return Err(CliError::key(path, &KeyError::InvalidJson));
    };
    let key_error = |e: KeyError| CliError::key(path, &e);
    let object = serde_json::from_str::<Value>(json)
        .ok()
        .filter(Value::is_object);
    match object {
        Some(jwks) if jwks.get("keys").is_some() => {
            KeySet::from_jwks_json(json).map_err(|e| match e {
                KeyError::PrivatePartInPublicSet { .. } => key_error(e).with_hint(
                    "a published JWKS holds only public keys; make one with cvplugin jwks KEYFILE",
                ),
                _ => key_error(e),
            })
        }
        Some(jwk) if jwk.get("d").is_some() => Err(private()),
        Some(_) => PublicKey::from_jwk(json)
            .and_then(|key| KeySet::new([key]))
            .map_err(key_error),
        None => match pem_label(json) {
            Some(label) if label.contains("PRIVATE KEY") => Err(private()),
            Some(_) => KeySet::from_jwks_json(json).map_err(|e| {
                key_error(e).with_hint(
                    "a PEM block is not read here; give the JWKS (JSON) the portal publishes",
                )
            }),
            None => KeySet::from_jwks_json(json).map_err(key_error),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(bytes: &[u8]) -> String {
        match classify(Path::new("k"), bytes) {
            Ok(Content::Json(_)) => "json".to_owned(),
            Ok(Content::Pem(_)) => "pem".to_owned(),
            Ok(Content::Der(_)) => "der".to_owned(),
            Err(e) => e.code.into_owned(),
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
    fn pem_labels() {
        assert_eq!(
            pem_label("x\n-----BEGIN EC PRIVATE KEY-----\nAA==\n"),
            Some("EC PRIVATE KEY")
        );
        assert_eq!(pem_label("-----BEGIN PUBLIC KEY-----"), Some("PUBLIC KEY"));
        assert_eq!(pem_label("-----BEGIN PUBLIC KEY"), None);
        assert_eq!(pem_label("{}"), None);
    }

    #[test]
    fn member_detection() {
        assert!(has_member(r#"{"keys":[]}"#, "keys"));
        assert!(!has_member(r#"{"kty":"OKP"}"#, "keys"));
        assert!(!has_member("{", "keys"));
        assert!(!has_member("[1]", "keys"));
    }
}
