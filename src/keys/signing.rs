//! [`SigningKey`]: the portal's private key, parsed once and ready to sign.

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature::{self as ring_sig, KeyPair as _};

use super::pkcs8::{self, PemDocument, Secret};
use super::{Algorithm, KeyError, PublicKey, jwk};

enum KeyPair {
    Ed25519(ring_sig::Ed25519KeyPair),
    P256(ring_sig::EcdsaKeyPair),
}

/// A private signing key of the portal, parsed once and ready to sign.
///
/// Create one with [`SigningKey::generate`], or import it from PEM ([`SigningKey::from_pem`]:
/// PKCS#8 or, for P-256, the SEC1 `EC PRIVATE KEY` that `openssl ecparam -genkey` writes),
/// PKCS#8 DER or a private JWK. `Debug` shows only the algorithm and `kid`.
///
/// The private key bytes the crate keeps are overwritten when the key is dropped, and so are the
/// buffers import and export use on the way (feature `portal`). ring's own key pair, held inside,
/// is opaque and is not wiped; neither are the strings the export methods return, which belong to
/// the caller.
pub struct SigningKey {
    alg: Algorithm,
    kid: String,
    secret: [u8; 32],
    public: Vec<u8>,
    pair: KeyPair,
    rng: SystemRandom,
}

impl SigningKey {
    /// Generates a new key with ring's system random generator.
    ///
    /// ```
    /// use cv_portal_plugin::{Algorithm, SigningKey};
    /// let key = SigningKey::generate(Algorithm::EdDSA)?;
    /// assert_eq!(key.algorithm(), Algorithm::EdDSA);
    /// assert_eq!(key.kid().len(), 43);
    /// # Ok::<(), cv_portal_plugin::KeyError>(())
    /// ```
    pub fn generate(alg: Algorithm) -> Result<SigningKey, KeyError> {
        let rng = SystemRandom::new();
        let document = match alg {
            Algorithm::EdDSA => ring_sig::Ed25519KeyPair::generate_pkcs8(&rng),
            Algorithm::ES256 => ring_sig::EcdsaKeyPair::generate_pkcs8(
                &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                &rng,
            ),
        }
        .map_err(|_| KeyError::Rng)?;
        SigningKey::from_pkcs8_der(document.as_ref())
    }

    /// Imports a PKCS#8 private key (v1 as openssl writes it, or v2 as ring writes it).
    ///
    /// A DER SubjectPublicKeyInfo (a public key) is refused as
    /// [`KeyError::PublicKeyInsteadOfPrivate`], an RSA or other unsupported key as
    /// [`KeyError::UnsupportedKeyType`], a P-256 key without its public point as
    /// [`KeyError::MissingPublicKey`].
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, KeyError> {
        let secret = pkcs8::parse(der)?;
        match &secret {
            Secret::Ed25519(seed) => {
                let pair = ring_sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                    .map_err(|_| KeyError::InvalidPkcs8)?;
                let public = pair.public_key().as_ref().to_vec();
                Ok(SigningKey::assemble(
                    Algorithm::EdDSA,
                    *seed,
                    public,
                    KeyPair::Ed25519(pair),
                    SystemRandom::new(),
                ))
            }
            Secret::P256 { .. } => SigningKey::from_p256(&secret),
        }
    }

    /// Imports a PEM private key: a `PRIVATE KEY` block (PKCS#8, Ed25519 or P-256), or an
    /// `EC PRIVATE KEY` block (SEC1, RFC 5915; P-256 only), with or without the curve parameters.
    /// The first such block counts; others before it (the `EC PARAMETERS` block
    /// `openssl ecparam -genkey` writes first, a certificate) are passed over.
    ///
    /// A `PUBLIC KEY` block (what `openssl pkey -pubout` writes) is refused as
    /// [`KeyError::PublicKeyInsteadOfPrivate`], another curve (P-384, secp256k1) or key type as
    /// [`KeyError::UnsupportedKeyType`].
    ///
    /// ```
    /// use cv_portal_plugin::{Algorithm, SigningKey};
    /// // `openssl ecparam -name prime256v1 -genkey` (a TEST key, never use it).
    /// let pem = "-----BEGIN EC PARAMETERS-----
    /// BggqhkjOPQMBBw==
    /// -----END EC PARAMETERS-----
    /// -----BEGIN EC PRIVATE KEY-----
    /// MHcCAQEEIDXiAQYqWF1T/h91kIhWNQj9a+kinREux+GjaWFI78zuoAoGCCqGSM49
    /// AwEHoUQDQgAErd0OwLCtI4z/8QqSUtxKRwgcjqz8cOqsA+2YbAsOq8s9R1gV0QmX
    /// nuYOyQxJmsun966c35zNDvC0JNOyTD1rqQ==
    /// -----END EC PRIVATE KEY-----
    /// ";
    /// let key = SigningKey::from_pem(pem)?;
    /// assert_eq!(key.algorithm(), Algorithm::ES256);
    /// assert!(key.to_pkcs8_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
    ///
    /// let public = "-----BEGIN PUBLIC KEY-----
    /// MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAErd0OwLCtI4z/8QqSUtxKRwgcjqz8
    /// cOqsA+2YbAsOq8s9R1gV0QmXnuYOyQxJmsun966c35zNDvC0JNOyTD1rqQ==
    /// -----END PUBLIC KEY-----
    /// ";
    /// let error = SigningKey::from_pem(public).unwrap_err();
    /// assert_eq!(error.code(), "public_key_instead_of_private");
    /// # Ok::<(), cv_portal_plugin::KeyError>(())
    /// ```
    pub fn from_pem(pem: &str) -> Result<SigningKey, KeyError> {
        match &pkcs8::from_pem(pem, true)? {
            PemDocument::Pkcs8(der) => SigningKey::from_pkcs8_der(der),
            PemDocument::Sec1(der) => SigningKey::from_p256(&pkcs8::parse_sec1(der)?),
        }
    }

    /// Imports a PEM `PRIVATE KEY` block (PKCS#8) only; [`SigningKey::from_pem`] also reads the
    /// `EC PRIVATE KEY` form.
    pub fn from_pkcs8_pem(pem: &str) -> Result<SigningKey, KeyError> {
        match &pkcs8::from_pem(pem, false)? {
            PemDocument::Pkcs8(der) => SigningKey::from_pkcs8_der(der),
            PemDocument::Sec1(_) => Err(KeyError::InvalidPem),
        }
    }

    /// A P-256 key from its scalar and public point, as PKCS#8 and SEC1 documents carry them.
    fn from_p256(secret: &Secret) -> Result<SigningKey, KeyError> {
        let Secret::P256 { d, public } = secret else {
            return Err(KeyError::UnsupportedKeyType);
        };
        let public = public.ok_or(KeyError::MissingPublicKey)?;
        let rng = SystemRandom::new();
        let pair = ring_sig::EcdsaKeyPair::from_private_key_and_public_key(
            &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            d,
            &public,
            &rng,
        )
        .map_err(|_| KeyError::InconsistentKey)?;
        Ok(SigningKey::assemble(
            Algorithm::ES256,
            *d,
            public.to_vec(),
            KeyPair::P256(pair),
            rng,
        ))
    }

    /// Imports a private JWK (OKP/Ed25519 or EC/P-256 with `d`). A `kid`, if present, must be the
    /// key's RFC 7638 thumbprint; an `alg`, if present, must match the key type. A public JWK
    /// (no `d`) is refused as [`KeyError::PublicKeyInsteadOfPrivate`].
    pub fn from_jwk(json: &str) -> Result<SigningKey, KeyError> {
        let parsed = jwk::ParsedJwk::from_json(json, jwk::Expect::Private)?;
        let mut secret = parsed.secret.ok_or(KeyError::PublicKeyInsteadOfPrivate {
            form: "a JWK without \"d\"",
        })?;
        let rng = SystemRandom::new();
        let pair = match parsed.alg {
            Algorithm::EdDSA => {
                ring_sig::Ed25519KeyPair::from_seed_and_public_key(&secret, &parsed.public)
                    .map(KeyPair::Ed25519)
            }
            Algorithm::ES256 => ring_sig::EcdsaKeyPair::from_private_key_and_public_key(
                &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                &secret,
                &parsed.public,
                &rng,
            )
            .map(KeyPair::P256),
        };
        let key = pair
            .map(|pair| SigningKey::assemble(parsed.alg, secret, parsed.public, pair, rng))
            .map_err(|_| KeyError::InconsistentKey);
        super::wipe(&mut secret);
        key
    }

    fn assemble(
        alg: Algorithm,
        secret: [u8; 32],
        public: Vec<u8>,
        pair: KeyPair,
        rng: SystemRandom,
    ) -> SigningKey {
        let kid = jwk::thumbprint(alg, &public);
        SigningKey {
            alg,
            kid,
            secret,
            public,
            pair,
            rng,
        }
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key's id: its RFC 7638 JWK thumbprint (SHA-256, base64url).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The matching public key, for publication in a JWKS.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_parts(self.alg, self.public.clone(), self.kid.clone())
    }

    /// Exports the key as a PKCS#8 DER document (v1 for Ed25519, RFC 5915 with the public point
    /// for P-256), readable by openssl, ring and other JWT libraries.
    pub fn to_pkcs8_der(&self) -> Vec<u8> {
        match self.alg {
            Algorithm::EdDSA => pkcs8::ed25519_document(&self.secret),
            Algorithm::ES256 => pkcs8::p256_document(&self.secret, &self.public),
        }
    }

    /// Exports the key as a PEM `PRIVATE KEY` block (PKCS#8, the layout `openssl pkey` writes).
    pub fn to_pkcs8_pem(&self) -> String {
        let mut der = self.to_pkcs8_der();
        let pem = pkcs8::to_pem(&der);
        super::wipe(&mut der);
        pem
    }

    /// Exports the key as a private JWK with `kid`, `alg` and `use`.
    pub fn to_jwk(&self) -> String {
        jwk::to_json(self.alg, &self.public, &self.kid, Some(&self.secret))
    }

    /// Signs `message`, returning the JWS signature bytes (64 bytes for both algorithms).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ring::error::Unspecified> {
        match &self.pair {
            KeyPair::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            KeyPair::P256(pair) => pair
                .sign(&self.rng, message)
                .map(|sig| sig.as_ref().to_vec()),
        }
    }
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        super::wipe(&mut self.secret);
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}
