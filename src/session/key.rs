//! [`SessionKey`]: the vendor's own HS256 secret for session tokens and download tickets, with
//! the `kid` that names it in token headers.

use std::fmt;

use ring::hmac;
use ring::rand::{SecureRandom as _, SystemRandom};

use super::error::SessionConfigError;
use crate::b64;

/// The shortest secret a [`SessionKey`] accepts: 32 bytes (256 bits, the size of HMAC-SHA256's
/// output, RFC 7518 §3.2).
pub const MIN_SECRET_LEN: usize = 32;
/// The longest `kid` a [`SessionKey`] accepts: 64 characters of `A-Z a-z 0-9 - _`.
pub const MAX_KID_LEN: usize = 64;

/// An HMAC-SHA256 secret of the vendor's, with its key id.
///
/// Only the vendor ever holds it: session tokens and tickets are minted and verified by the same
/// party (PROTOCOL.md "Vendor sessions"), which is why a symmetric key fits here while launch
/// tokens are never HMAC. The secret is handed to ring at construction and never kept in a form
/// the crate could print: `Debug` and `Display` show the `kid` only, and there is no accessor.
///
/// Several instances of one vendor share the secret through [`from_bytes`](Self::from_bytes)
/// (from the vendor's secret store); [`generate`](Self::generate) suits a single process (its
/// sessions end when the process restarts).
///
/// ```
/// use cv_portal_plugin::SessionKey;
/// let key = SessionKey::from_bytes("2026-11", &[7u8; 32])?;
/// assert_eq!(key.kid(), "2026-11");
/// assert_eq!(format!("{key:?}"), r#"SessionKey { kid: "2026-11", .. }"#);
/// assert_eq!(SessionKey::from_bytes("k", &[7u8; 31]).unwrap_err().code(), "session_key_too_short");
/// # Ok::<(), cv_portal_plugin::SessionConfigError>(())
/// ```
#[derive(Clone)]
pub struct SessionKey {
    kid: String,
    key: hmac::Key,
}

impl SessionKey {
    /// A key named `kid` (1 to 64 of `A-Z a-z 0-9 - _`) with `secret` (at least 32 bytes,
    /// ideally 32 random bytes from a secret store).
    pub fn from_bytes(kid: &str, secret: &[u8]) -> Result<Self, SessionConfigError> {
        check_kid(kid)?;
        if secret.len() < MIN_SECRET_LEN {
            return Err(SessionConfigError::KeyTooShort {
                len: secret.len(),
                min: MIN_SECRET_LEN,
            });
        }
        Ok(SessionKey {
            kid: kid.to_owned(),
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        })
    }

    /// A key of 32 bytes from ring's system random generator, with a random 22-character `kid`.
    pub fn generate() -> Result<Self, SessionConfigError> {
        let rng = SystemRandom::new();
        let mut secret = [0u8; MIN_SECRET_LEN];
        let mut kid = [0u8; 16];
        rng.fill(&mut secret)
            .and_then(|()| rng.fill(&mut kid))
            .map_err(|_| SessionConfigError::RandomUnavailable)?;
        let key = SessionKey::from_bytes(&b64::encode(&kid), &secret);
        secret.fill(0);
        key
    }

    /// The key id, as written in the `kid` header of the tokens it signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn sign(&self, input: &[u8]) -> hmac::Tag {
        hmac::sign(&self.key, input)
    }

    /// Constant-time comparison of `tag` with the MAC of `input` (ring).
    pub(crate) fn verify(&self, input: &[u8], tag: &[u8]) -> bool {
        hmac::verify(&self.key, input, tag).is_ok()
    }
}

/// `[A-Za-z0-9_-]{1,64}`.
fn check_kid(kid: &str) -> Result<(), SessionConfigError> {
    let ok = (1..=MAX_KID_LEN).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(SessionConfigError::InvalidKid {
            found: crate::quoted::Quoted::ascii(kid),
        })
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HS256 session key {:?}", self.kid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kids_are_checked() {
        for ok in ["a", "2026-11_b", &"x".repeat(64)] {
            assert!(SessionKey::from_bytes(ok, &[1; 32]).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a.b", "ключ", &"x".repeat(65), "a\n"] {
            let error = SessionKey::from_bytes(bad, &[1; 32]).unwrap_err();
            assert_eq!(error.code(), "session_invalid_kid", "{bad:?}");
        }
    }

    #[test]
    fn generated_keys_differ_and_never_show_their_secret() {
        let a = SessionKey::generate().unwrap();
        let b = SessionKey::generate().unwrap();
        assert_ne!(a.kid(), b.kid());
        assert_eq!(a.kid().len(), 22);
        assert!(!a.verify(b"x", b.sign(b"x").as_ref()));
        assert!(a.verify(b"x", a.sign(b"x").as_ref()));
        let secret = [0xA5u8; 32];
        let key = SessionKey::from_bytes("k", &secret).unwrap();
        for shown in [format!("{key:?}"), format!("{key}"), format!("{key:#?}")] {
            assert!(!shown.contains("165"), "{shown}");
            assert!(!shown.to_ascii_lowercase().contains("a5a5"), "{shown}");
            assert!(shown.contains("\"k\""), "{shown}");
        }
    }
}
