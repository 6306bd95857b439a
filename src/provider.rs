//! The crate's ring-backed jsonwebtoken crypto provider, which it calls directly.
//!
//! jsonwebtoken 12 reaches its crypto through a [`CryptoProvider`]: a table of factory functions.
//! jsonwebtoken's own `encode`/`decode` look that table up in one process-wide slot, which the
//! first caller fills for the whole process: an explicit `install_default`, or, on first use,
//! whichever of jsonwebtoken's backend features (`rust_crypto`, `aws_lc_rs`) some crate in the
//! dependency graph enabled.
//!
//! # Why the crate does not use the process-wide slot
//!
//! Launch-token signatures are checked by calling this module's own provider instance (a
//! `static`) directly, never the one in the slot; and the library never reads, fills or replaces
//! the slot. Through the slot, the crate's security would depend on what
//! *other* crates do:
//!
//! - a dependency that enables jsonwebtoken's `rust_crypto` feature would silently move the
//!   crate's EdDSA and ES256 checks onto another implementation, and any provider an application
//!   installs (a mock, a logging wrapper, an accept-all stub left in from a test) would decide
//!   whether a launch token's signature is valid;
//! - filling the slot with a provider made for launch tokens (Ed25519 and P-256 only) would refuse
//!   the application's own provider and break its HS256 sessions or RS256 logins.
//!
//! So the application keeps the slot for itself, and launch tokens are checked with ring whatever
//! it holds. The protocol's other checks (algorithm pinned to the key, header whitelist, claims)
//! never depended on the provider. Minting does not use jsonwebtoken at all: the issuer signs with
//! the ring key pair it holds (see the `issue` module, feature `portal`).
//!
//! # Ring as jsonwebtoken's default, on request
//!
//! An application that wants ring behind its *own* jsonwebtoken calls (and no second crypto
//! library in its build) can install the same provider as the process default with
//! [`install_as_jsonwebtoken_default`]. That provider does every algorithm ring can: HS256/384/512,
//! RS256/384/512, PS256/384/512, ES256, ES384 and EdDSA (Ed25519), and the JWK helpers jsonwebtoken
//! needs. Installing it or not changes nothing for launch tokens.

use std::sync::{Mutex, PoisonError};

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{self as ring_sig, KeyPair as _};
use ring::{digest, hmac};

/// The crate's provider: ring, for every algorithm jsonwebtoken 12 names.
///
/// Launch-token verification calls it directly ([`verify_signature`]); it reaches jsonwebtoken's
/// process-wide slot only through [`install_as_jsonwebtoken_default`].
pub(crate) static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: rsa_components_from_private_key,
        rsa_pub_components_from_public_key: rsa_components_from_public_key,
        ec_pub_components_from_private_key: ec_components_from_private_key,
        ed_pub_components_from_private_key: ed_component_from_private_key,
        compute_digest,
    },
};

/// Checks a launch token's signature with the crate's own provider, never the process default.
///
/// `alg` must be the algorithm pinned to `key` (anything else is `false`); `signature` is the
/// decoded signature segment, as the `&Vec<u8>` jsonwebtoken's verifier trait takes (so the hot
/// path copies nothing). `false` covers every failure, a key the provider cannot use included.
#[cfg(feature = "vendor")]
pub(crate) fn verify_signature(
    alg: crate::keys::Algorithm,
    key: &crate::keys::PublicKey,
    signing_input: &[u8],
    signature: &Vec<u8>,
) -> bool {
    if alg != key.algorithm() {
        return false;
    }
    let Ok(verifier) = (PROVIDER.verifier_factory)(&alg.to_jsonwebtoken(), key.decoding_key())
    else {
        return false;
    };
    verifier.verify(signing_input, signature).is_ok()
}

/// [`install_as_jsonwebtoken_default`] found jsonwebtoken's process-wide provider slot already
/// filled; it was left as it was.
///
/// The slot can be filled once per process: by an earlier install (this crate's or another's), or
/// by jsonwebtoken itself on its first `encode`/`decode` when exactly one of its backend features
/// (`rust_crypto`, `aws_lc_rs`) is enabled somewhere in the build. Launch-token verification does
/// not depend on the slot, so this error only concerns the application's own jsonwebtoken calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "jsonwebtoken's process-wide crypto provider is already installed ({}); it was left in place",
    if *.this_crates { "this crate's ring provider" } else { "another provider" }
)]
pub struct ProviderAlreadyInstalled {
    this_crates: bool,
}

impl ProviderAlreadyInstalled {
    /// The stable machine-readable code of this error: `provider_already_installed`.
    pub fn code(&self) -> &'static str {
        "provider_already_installed"
    }

    /// A value for tests that list every code of the crate.
    #[cfg(test)]
    pub(crate) fn for_code_tests() -> Self {
        ProviderAlreadyInstalled { this_crates: false }
    }

    /// Whether the provider already in the slot is this crate's (an earlier call of
    /// [`install_as_jsonwebtoken_default`]), so ring is the default either way.
    pub fn is_this_crates_provider(&self) -> bool {
        self.this_crates
    }
}

/// Installs the crate's ring provider as jsonwebtoken's process-wide default, for the
/// application's own jsonwebtoken calls (`encode`, `decode`, JWK helpers).
///
/// Optional: launch tokens are verified with the crate's provider whether or not it is installed.
/// Call it once at start-up, before anything uses jsonwebtoken; the first `encode` or `decode`
/// otherwise fills the slot with the backend selected by jsonwebtoken's features, if any. The
/// provider supports HS256/384/512, RS256/384/512, PS256/384/512 (RSA keys of 2048 to 4096 bits
/// for signing, 2048 to 8192 for verifying), ES256, ES384 and EdDSA (Ed25519), so installing it
/// breaks none of the application's tokens that ring can handle.
///
/// # Errors
///
/// [`ProviderAlreadyInstalled`] if the slot was already filled, by this crate or another; the
/// installed provider stays.
///
/// ```
/// use cv_portal_plugin::provider::install_as_jsonwebtoken_default;
///
/// install_as_jsonwebtoken_default()?;
///
/// // The application's own jsonwebtoken calls now run on ring, HMAC included.
/// let secret = b"the application's session secret";
/// let claims = serde_json::json!({ "sub": "48213", "exp": 4_102_444_800u64 });
/// let token = jsonwebtoken::encode(
///     &jsonwebtoken::Header::default(),
///     &claims,
///     &jsonwebtoken::EncodingKey::from_secret(secret)?,
/// )?;
/// let decoded = jsonwebtoken::decode::<serde_json::Value>(
///     &token,
///     &jsonwebtoken::DecodingKey::from_secret(secret)?,
///     &jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256),
/// )?;
/// assert_eq!(decoded.claims["sub"], "48213");
///
/// // The slot is filled once per process.
/// let again = install_as_jsonwebtoken_default().unwrap_err();
/// assert_eq!(again.code(), "provider_already_installed");
/// assert!(again.is_this_crates_provider());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn install_as_jsonwebtoken_default() -> Result<(), ProviderAlreadyInstalled> {
    // jsonwebtoken's `install_default` says only that the slot is taken (its error is the provider
    // it was given), not by whom; so remember our own success, under a lock so that a concurrent
    // call cannot read the flag before the winning call has set it.
    static INSTALLED_HERE: Mutex<bool> = Mutex::new(false);
    let mut installed_here = INSTALLED_HERE
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    match PROVIDER.install_default() {
        Ok(()) => {
            *installed_here = true;
            Ok(())
        }
        Err(_) => Err(ProviderAlreadyInstalled {
            this_crates: *installed_here,
        }),
    }
}

// ---- Signing --------------------------------------------------------------------------------

struct RingSigner {
    alg: Algorithm,
    key: SignerKey,
}

enum SignerKey {
    Hmac(hmac::Key),
    Ecdsa(ring_sig::EcdsaKeyPair, SystemRandom),
    Rsa(
        ring_sig::RsaKeyPair,
        &'static dyn ring_sig::RsaEncoding,
        SystemRandom,
    ),
    Ed25519(ring_sig::Ed25519KeyPair),
}

/// The key family `alg` needs, or `UnsupportedAlgorithm` for an algorithm jsonwebtoken adds later.
fn family_of(alg: Algorithm) -> Result<AlgorithmFamily, Error> {
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Ok(AlgorithmFamily::Hmac),
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => Ok(AlgorithmFamily::Rsa),
        Algorithm::ES256 | Algorithm::ES384 => Ok(AlgorithmFamily::Ec),
        Algorithm::EdDSA => Ok(AlgorithmFamily::Ed),
        _ => Err(ErrorKind::UnsupportedAlgorithm.into()),
    }
}

/// Refuses a key of another family than `alg`'s, as jsonwebtoken's own backends do.
fn check_family(alg: Algorithm, family: AlgorithmFamily) -> Result<(), Error> {
    if family_of(alg)? == family {
        Ok(())
    } else {
        Err(ErrorKind::InvalidKeyFormat.into())
    }
}

/// An RSA private key: PKCS#1 `RSAPrivateKey` DER (what jsonwebtoken's PEM and DER constructors
/// hold), or PKCS#8 DER.
fn rsa_key_pair(der: &[u8]) -> Result<ring_sig::RsaKeyPair, Error> {
    ring_sig::RsaKeyPair::from_der(der)
        .or_else(|pkcs1_error| ring_sig::RsaKeyPair::from_pkcs8(der).map_err(|_| pkcs1_error))
        .map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()).into())
}

fn ecdsa_key_pair(
    alg: &'static ring_sig::EcdsaSigningAlgorithm,
    der: &[u8],
    rng: &SystemRandom,
) -> Result<ring_sig::EcdsaKeyPair, Error> {
    ring_sig::EcdsaKeyPair::from_pkcs8(alg, der, rng).map_err(|_| ErrorKind::InvalidEcdsaKey.into())
}

/// An Ed25519 private key in PKCS#8 v1 (as openssl writes it) or v2 (as ring writes it).
fn ed25519_key_pair(der: &[u8]) -> Result<ring_sig::Ed25519KeyPair, Error> {
    ring_sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
        .map_err(|_| ErrorKind::InvalidEddsaKey.into())
}

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    check_family(*alg, key.family())?;
    let der = key.as_bytes();
    let rsa = |encoding: &'static dyn ring_sig::RsaEncoding| -> Result<SignerKey, Error> {
        Ok(SignerKey::Rsa(
            rsa_key_pair(der)?,
            encoding,
            SystemRandom::new(),
        ))
    };
    let ecdsa = |signing: &'static ring_sig::EcdsaSigningAlgorithm| -> Result<SignerKey, Error> {
        let rng = SystemRandom::new();
        Ok(SignerKey::Ecdsa(ecdsa_key_pair(signing, der, &rng)?, rng))
    };
    let signer_key = match alg {
        Algorithm::HS256 => SignerKey::Hmac(hmac::Key::new(hmac::HMAC_SHA256, der)),
        Algorithm::HS384 => SignerKey::Hmac(hmac::Key::new(hmac::HMAC_SHA384, der)),
        Algorithm::HS512 => SignerKey::Hmac(hmac::Key::new(hmac::HMAC_SHA512, der)),
        Algorithm::RS256 => rsa(&ring_sig::RSA_PKCS1_SHA256)?,
        Algorithm::RS384 => rsa(&ring_sig::RSA_PKCS1_SHA384)?,
        Algorithm::RS512 => rsa(&ring_sig::RSA_PKCS1_SHA512)?,
        Algorithm::PS256 => rsa(&ring_sig::RSA_PSS_SHA256)?,
        Algorithm::PS384 => rsa(&ring_sig::RSA_PSS_SHA384)?,
        Algorithm::PS512 => rsa(&ring_sig::RSA_PSS_SHA512)?,
        Algorithm::ES256 => ecdsa(&ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING)?,
        Algorithm::ES384 => ecdsa(&ring_sig::ECDSA_P384_SHA384_FIXED_SIGNING)?,
        Algorithm::EdDSA => SignerKey::Ed25519(ed25519_key_pair(der)?),
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(Box::new(RingSigner {
        alg: *alg,
        key: signer_key,
    }))
}

impl Signer<Vec<u8>> for RingSigner {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        match &self.key {
            SignerKey::Hmac(key) => Ok(hmac::sign(key, msg).as_ref().to_vec()),
            SignerKey::Ecdsa(pair, rng) => pair
                .sign(rng, msg)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| signature::Error::new()),
            SignerKey::Rsa(pair, encoding, rng) => {
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(*encoding, rng, msg, &mut sig)
                    .map_err(|_| signature::Error::new())?;
                Ok(sig)
            }
            SignerKey::Ed25519(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
        }
    }
}

impl JwtSigner for RingSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

// ---- Verifying ------------------------------------------------------------------------------

struct RingVerifier {
    alg: Algorithm,
    key: VerifierKey,
}

enum VerifierKey {
    Hmac(hmac::Key),
    /// An Ed25519 key (32 bytes), an uncompressed EC point, or a PKCS#1 `RSAPublicKey` DER.
    Public(&'static dyn ring_sig::VerificationAlgorithm, Vec<u8>),
    /// RSA modulus and exponent, big-endian without leading zeros (as ring requires them).
    RsaComponents(&'static ring_sig::RsaParameters, Vec<u8>, Vec<u8>),
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    check_family(*alg, key.family())?;
    let rsa = |params: &'static ring_sig::RsaParameters| match key.kind() {
        DecodingKeyKind::SecretOrDer(der) => VerifierKey::Public(params, der.clone()),
        DecodingKeyKind::RsaModulusExponent { n, e } => VerifierKey::RsaComponents(
            params,
            without_leading_zeros(n).to_vec(),
            without_leading_zeros(e).to_vec(),
        ),
    };
    let point = |params: &'static ring_sig::EcdsaVerificationAlgorithm, len: usize| {
        let public = key.try_get_as_bytes()?;
        if public.len() != len {
            return Err(Error::from(ErrorKind::InvalidEcdsaKey));
        }
        Ok(VerifierKey::Public(params, public.to_vec()))
    };
    let verifier_key = match alg {
        Algorithm::HS256 => {
            VerifierKey::Hmac(hmac::Key::new(hmac::HMAC_SHA256, key.try_get_as_bytes()?))
        }
        Algorithm::HS384 => {
            VerifierKey::Hmac(hmac::Key::new(hmac::HMAC_SHA384, key.try_get_as_bytes()?))
        }
        Algorithm::HS512 => {
            VerifierKey::Hmac(hmac::Key::new(hmac::HMAC_SHA512, key.try_get_as_bytes()?))
        }
        Algorithm::RS256 => rsa(&ring_sig::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => rsa(&ring_sig::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => rsa(&ring_sig::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => rsa(&ring_sig::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => rsa(&ring_sig::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => rsa(&ring_sig::RSA_PSS_2048_8192_SHA512),
        // Uncompressed points: 0x04 || x || y.
        Algorithm::ES256 => point(&ring_sig::ECDSA_P256_SHA256_FIXED, 65)?,
        Algorithm::ES384 => point(&ring_sig::ECDSA_P384_SHA384_FIXED, 97)?,
        Algorithm::EdDSA => {
            let public = key.try_get_as_bytes()?;
            if public.len() != ring_sig::ED25519_PUBLIC_KEY_LEN {
                return Err(ErrorKind::InvalidEddsaKey.into());
            }
            VerifierKey::Public(&ring_sig::ED25519, public.to_vec())
        }
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(Box::new(RingVerifier {
        alg: *alg,
        key: verifier_key,
    }))
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> Result<(), signature::Error> {
        match &self.key {
            // Constant-time comparison of the tags.
            VerifierKey::Hmac(key) => hmac::verify(key, msg, sig),
            VerifierKey::Public(algorithm, public) => {
                ring_sig::UnparsedPublicKey::new(*algorithm, public).verify(msg, sig)
            }
            VerifierKey::RsaComponents(params, n, e) => {
                ring_sig::RsaPublicKeyComponents { n, e }.verify(params, msg, sig)
            }
        }
        .map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

// ---- JWK helpers ----------------------------------------------------------------------------

fn without_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// (n, e) of an RSA private key (PKCS#1 or PKCS#8 DER), big-endian without leading zeros.
fn rsa_components_from_private_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let pair = rsa_key_pair(der)?;
    let components = ring_sig::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    Ok((components.n, components.e))
}

/// (n, e) of a PKCS#1 `RSAPublicKey` (`SEQUENCE { INTEGER n, INTEGER e }`) in strict DER,
/// big-endian without leading zeros. ring has no public parser for it, hence this small one.
fn rsa_components_from_public_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let invalid = || Error::from(ErrorKind::InvalidRsaKey("not a DER RSAPublicKey".into()));
    let (body, rest) = der_read(der, 0x30).ok_or_else(invalid)?;
    let (n, body) = der_read(body, 0x02).ok_or_else(invalid)?;
    let (e, body) = der_read(body, 0x02).ok_or_else(invalid)?;
    if !rest.is_empty() || !body.is_empty() {
        return Err(invalid());
    }
    let n = der_positive(n).ok_or_else(invalid)?;
    let e = der_positive(e).ok_or_else(invalid)?;
    Ok((n.to_vec(), e.to_vec()))
}

/// One DER element with tag `tag`: (content, what follows). Definite, minimal lengths only.
fn der_read(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81 => {
            let (&len, rest) = rest.split_first()?;
            (usize::from(len), rest)
        }
        0x82 => {
            let (len, rest) = rest.split_first_chunk::<2>()?;
            (usize::from(u16::from_be_bytes(*len)), rest)
        }
        _ => return None,
    };
    // The shortest form only: a long form for a length that fits a shorter one is not DER.
    let minimal = match first {
        0x81 => len >= 0x80,
        0x82 => len >= 0x100,
        _ => true,
    };
    if !minimal || rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

/// The magnitude of a positive DER INTEGER: no sign bit, and a leading zero only before a byte
/// whose top bit is set.
fn der_positive(integer: &[u8]) -> Option<&[u8]> {
    match integer {
        [] => None,
        [0] => None,
        [0, next, ..] if *next < 0x80 => None,
        [0, rest @ ..] => Some(rest),
        [first, ..] if *first >= 0x80 => None,
        _ => Some(integer),
    }
}

fn ec_components_from_private_key(
    der: &[u8],
    alg: Algorithm,
) -> Result<(EllipticCurve, Vec<u8>, Vec<u8>), Error> {
    let (signing, curve, coordinate_len) = match alg {
        Algorithm::ES256 => (
            &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            EllipticCurve::P256,
            32,
        ),
        Algorithm::ES384 => (
            &ring_sig::ECDSA_P384_SHA384_FIXED_SIGNING,
            EllipticCurve::P384,
            48,
        ),
        _ => return Err(ErrorKind::InvalidEcdsaKey.into()),
    };
    let pair = ecdsa_key_pair(signing, der, &SystemRandom::new())?;
    match pair.public_key().as_ref() {
        [0x04, point @ ..] if point.len() == 2 * coordinate_len => {
            let (x, y) = point.split_at(coordinate_len);
            Ok((curve, x.to_vec(), y.to_vec()))
        }
        _ => Err(ErrorKind::InvalidEcdsaKey.into()),
    }
}

fn ed_component_from_private_key(der: &[u8], curve: &EllipticCurve) -> Result<Vec<u8>, Error> {
    match curve {
        EllipticCurve::Ed25519 => Ok(ed25519_key_pair(der)?.public_key().as_ref().to_vec()),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>, Error> {
    let algorithm = match hash {
        ThumbprintHash::SHA256 => &digest::SHA256,
        ThumbprintHash::SHA384 => &digest::SHA384,
        ThumbprintHash::SHA512 => &digest::SHA512,
        // `ThumbprintHash` is `#[non_exhaustive]`.
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(digest::digest(algorithm, data).as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_public_key_der_strict() {
        // SEQUENCE { INTEGER 0x00 0x80, INTEGER 0x01 0x00 0x01 }
        let good = [
            0x30, 0x09, 0x02, 0x02, 0x00, 0x80, 0x02, 0x03, 0x01, 0x00, 0x01,
        ];
        assert_eq!(
            rsa_components_from_public_key(&good).unwrap(),
            (vec![0x80], vec![0x01, 0x00, 0x01])
        );
        let refused: &[&[u8]] = &[
            // Trailing byte after the SEQUENCE.
            &[0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03, 0x00],
            // Negative modulus.
            &[0x30, 0x06, 0x02, 0x01, 0x85, 0x02, 0x01, 0x03],
            // Non-minimal integer (needless leading zero).
            &[0x30, 0x07, 0x02, 0x02, 0x00, 0x05, 0x02, 0x01, 0x03],
            // Zero exponent.
            &[0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x00],
            // Long-form length where the short form fits.
            &[0x30, 0x81, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03],
            // A third member.
            &[
                0x30, 0x09, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03, 0x02, 0x01, 0x01,
            ],
            // Truncated.
            &[0x30, 0x06, 0x02, 0x01, 0x05, 0x02],
            &[],
        ];
        for der in refused {
            assert!(rsa_components_from_public_key(der).is_err(), "{der:02x?}");
        }
    }

    #[test]
    fn verifier_refuses_a_key_of_another_family() {
        let ed = DecodingKey::from_ed_der(&[7; 32]);
        for alg in [Algorithm::HS256, Algorithm::RS256, Algorithm::ES256] {
            assert!(matches!(
                new_verifier(&alg, &ed).err().unwrap().kind(),
                ErrorKind::InvalidKeyFormat
            ));
        }
    }
}
