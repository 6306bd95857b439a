//! jsonwebtoken's crypto, backed by ring.
//!
//! jsonwebtoken 12 signs and verifies through one process-wide [`CryptoProvider`]. This crate
//! enables neither of jsonwebtoken's own backends (`aws_lc_rs`, `rust_crypto`), so no provider
//! exists until one is installed, and jsonwebtoken panics when it needs one and finds none. Every
//! crate entry point that reaches jsonwebtoken ([`Verifier`](crate::Verifier) construction, and so
//! every verification) first calls [`install_provider`], which is idempotent and cheap.
//!
//! # When the application installed another provider
//!
//! The slot can be filled once per process. If the application (or a dependency that enables one
//! of jsonwebtoken's backend features) filled it first, [`install_provider`] leaves it alone and
//! returns [`ProviderStatus::Other`]; this crate then verifies signatures through that provider,
//! which the application has chosen to trust. The protocol checks (algorithm pinning, header
//! whitelist, claims) are the crate's own and do not depend on the provider. Applications that
//! want to be sure may assert `install_provider() != ProviderStatus::Other` at start-up.

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{self as ring_sig, KeyPair as _};

/// The ring-backed provider: EdDSA (Ed25519) and ES256 (P-256); every other algorithm, HMAC and
/// RSA included, is refused with `UnsupportedAlgorithm`.
pub static RING_PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: |_| Err(ErrorKind::UnsupportedAlgorithm.into()),
        rsa_pub_components_from_public_key: |_| Err(ErrorKind::UnsupportedAlgorithm.into()),
        ec_pub_components_from_private_key: ec_components_from_private_key,
        ed_pub_components_from_private_key: ed_component_from_private_key,
        compute_digest,
    },
};

/// What [`install_provider`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderStatus {
    /// This crate's ring provider is the process-wide provider.
    Ring,
    /// Another provider was installed first and stays in place; it is used for verification.
    Other,
}

/// Makes sure jsonwebtoken has a process-wide provider, installing [`RING_PROVIDER`] if the slot
/// is empty. Idempotent, thread-safe, and never panics.
///
/// ```
/// use cv_portal_plugin::provider::{install_provider, ProviderStatus};
/// assert_eq!(install_provider(), ProviderStatus::Ring);
/// assert_eq!(install_provider(), ProviderStatus::Ring);
/// ```
pub fn install_provider() -> ProviderStatus {
    let installed = match CryptoProvider::try_get_default() {
        Some(provider) => provider,
        // Losing a race to another installer is fine: whoever won is now the provider.
        None => match RING_PROVIDER.install_default() {
            Ok(()) => &RING_PROVIDER,
            Err(_) => CryptoProvider::try_get_default().unwrap_or(&RING_PROVIDER),
        },
    };
    if std::ptr::eq(installed, &RING_PROVIDER) {
        ProviderStatus::Ring
    } else {
        ProviderStatus::Other
    }
}

fn invalid_key(alg: Algorithm) -> Error {
    match alg {
        Algorithm::EdDSA => ErrorKind::InvalidEddsaKey.into(),
        _ => ErrorKind::InvalidEcdsaKey.into(),
    }
}

struct RingSigner {
    alg: Algorithm,
    pair: SignerPair,
}

enum SignerPair {
    Ed25519(ring_sig::Ed25519KeyPair),
    P256(ring_sig::EcdsaKeyPair, SystemRandom),
}

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    let der = key.as_bytes();
    let pair = match (alg, key.family()) {
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => SignerPair::Ed25519(
            ring_sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map_err(|_| invalid_key(*alg))?,
        ),
        (Algorithm::ES256, AlgorithmFamily::Ec) => {
            let rng = SystemRandom::new();
            let pair = ring_sig::EcdsaKeyPair::from_pkcs8(
                &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                der,
                &rng,
            )
            .map_err(|_| invalid_key(*alg))?;
            SignerPair::P256(pair, rng)
        }
        (Algorithm::EdDSA | Algorithm::ES256, _) => return Err(ErrorKind::InvalidKeyFormat.into()),
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(Box::new(RingSigner { alg: *alg, pair }))
}

impl Signer<Vec<u8>> for RingSigner {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        match &self.pair {
            SignerPair::Ed25519(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
            SignerPair::P256(pair, rng) => pair
                .sign(rng, msg)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| signature::Error::new()),
        }
    }
}

impl JwtSigner for RingSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

struct RingVerifier {
    alg: Algorithm,
    public: Vec<u8>,
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    let expected_len = match (alg, key.family()) {
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => 32,
        (Algorithm::ES256, AlgorithmFamily::Ec) => 65,
        (Algorithm::EdDSA | Algorithm::ES256, _) => return Err(ErrorKind::InvalidKeyFormat.into()),
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    let public = key.try_get_as_bytes()?;
    if public.len() != expected_len {
        return Err(invalid_key(*alg));
    }
    Ok(Box::new(RingVerifier {
        alg: *alg,
        public: public.to_vec(),
    }))
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> Result<(), signature::Error> {
        let algorithm: &dyn ring_sig::VerificationAlgorithm = match self.alg {
            Algorithm::EdDSA => &ring_sig::ED25519,
            _ => &ring_sig::ECDSA_P256_SHA256_FIXED,
        };
        ring_sig::UnparsedPublicKey::new(algorithm, &self.public)
            .verify(msg, sig)
            .map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

fn ec_components_from_private_key(
    der: &[u8],
    alg: Algorithm,
) -> Result<(EllipticCurve, Vec<u8>, Vec<u8>), Error> {
    if alg != Algorithm::ES256 {
        return Err(ErrorKind::UnsupportedAlgorithm.into());
    }
    let pair = ring_sig::EcdsaKeyPair::from_pkcs8(
        &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
        der,
        &SystemRandom::new(),
    )
    .map_err(|_| ErrorKind::InvalidEcdsaKey)?;
    let point = pair.public_key().as_ref();
    let (x, y) = point
        .get(1..)
        .ok_or(ErrorKind::InvalidEcdsaKey)?
        .split_at(32);
    Ok((EllipticCurve::P256, x.to_vec(), y.to_vec()))
}

fn ed_component_from_private_key(der: &[u8], curve: &EllipticCurve) -> Result<Vec<u8>, Error> {
    if *curve != EllipticCurve::Ed25519 {
        return Err(ErrorKind::UnsupportedAlgorithm.into());
    }
    let pair = ring_sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
        .map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(pair.public_key().as_ref().to_vec())
}

fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>, Error> {
    let algorithm = match hash {
        ThumbprintHash::SHA256 => &ring::digest::SHA256,
        ThumbprintHash::SHA384 => &ring::digest::SHA384,
        ThumbprintHash::SHA512 => &ring::digest::SHA512,
        #[allow(unreachable_patterns)]
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(ring::digest::digest(algorithm, data).as_ref().to_vec())
}

/// Verifies `signature` over `message` with `key`, on the algorithm pinned to the key, through
/// this crate's own provider instance: never the process-wide one.
#[cfg(feature = "vendor")]
pub(crate) fn verify_signature(
    key: &crate::keys::PublicKey,
    message: &[u8],
    signature: &[u8],
) -> bool {
    let Ok(verifier) =
        (RING_PROVIDER.verifier_factory)(&key.algorithm().to_jsonwebtoken(), key.decoding_key())
    else {
        return false;
    };
    verifier.verify(message, &signature.to_vec()).is_ok()
}
