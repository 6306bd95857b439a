//! The hostile launch tokens of `vendor-check`: one defect each, named after the class of
//! `vectors/launch-tokens.json` it belongs to, minted fresh (current time, own `jti`) for the
//! played portal's issuer, plugin and keys. Where the defect is not the signature, the key or
//! the structure, the token is validly signed by the portal's key, so a vendor refuses it for
//! the stated reason and not because the signature fails.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cv_portal_plugin::{Algorithm, PublicKey, SigningKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use serde_json::Value;
use zeroize::Zeroize as _;

use crate::error::{CliError, Status};

/// The protocol's `typ`.
pub const TYP: &str = "cv-plugin-launch+jwt";
/// The protocol's maximum token length in bytes.
const MAX_TOKEN_LEN: usize = 4096;

/// The name of the informational case of [`Forger::other_algorithm_token`].
pub const OTHER_ALGORITHM_TOKEN: &str = "other_algorithm_token";

/// The DER `SubjectPublicKeyInfo` of `key`: the algorithm identifier (id-Ed25519, or
/// id-ecPublicKey with prime256v1) and the raw key as the bit string.
pub fn spki_der(key: &PublicKey) -> Vec<u8> {
    const ED25519: [u8; 12] = [
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    const P256: [u8; 26] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    let prefix: &[u8] = match key.algorithm() {
        Algorithm::ES256 => &P256,
        _ => &ED25519,
    };
    [prefix, key.as_bytes()].concat()
}

/// The PEM `-----BEGIN PUBLIC KEY-----` of `key`: base64 in lines of 64, each ending `\n`.
pub fn spki_pem(key: &PublicKey) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(spki_der(key));
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

/// The HMAC secrets of the `hs256_keyed_with_*` cases: the public key `key` in every form a lax
/// library takes as the secret, and the JWKS document `jwks` as served.
pub fn hs256_secrets(key: &PublicKey, jwks: &str) -> Vec<(&'static str, Vec<u8>)> {
    let pem = spki_pem(key);
    vec![
        ("hs256_keyed_with_the_pem", pem.clone().into_bytes()),
        (
            "hs256_keyed_with_the_pem_without_newline",
            pem.trim_end_matches('\n').as_bytes().to_vec(),
        ),
        ("hs256_keyed_with_the_der", spki_der(key)),
        // 32 bytes for Ed25519, the 65-byte uncompressed point for P-256.
        ("hs256_keyed_with_the_public_key", key.as_bytes().to_vec()),
        ("hs256_keyed_with_the_jwk", key.to_jwk().into_bytes()),
        ("hs256_keyed_with_the_jwks", jwks.as_bytes().to_vec()),
    ]
}

/// A hostile token and the name of its case (without the delivery suffix).
pub struct Hostile {
    /// The case's name, snake_case.
    pub name: &'static str,
    /// The token; `None` for the launch without any token.
    pub token: Option<String>,
}

/// The margin, in seconds, by which the time cases lie outside the largest leeway the protocol
/// allows (PROTOCOL.md §6: at most 300 s): it covers the time between minting and the vendor's
/// check and a small clock difference between the checker and the vendor.
pub const TIME_MARGIN: i64 = 10;
/// The largest leeway of PROTOCOL.md §6, in seconds.
const MAX_LEEWAY: i64 = 300;
/// How far outside the validity window the time cases are: 310 s.
const OUTSIDE: i64 = MAX_LEEWAY + TIME_MARGIN;

/// Makes the hostile tokens of one run.
pub struct Forger<'k> {
    /// The portal's signing key of the played plugin's algorithm.
    key: &'k SigningKey,
    /// The portal's published key of the other protocol algorithm (the played portal publishes
    /// one key per algorithm, as a portal with plugins of both algorithms does).
    other_alg: &'k SigningKey,
    /// A key of the plugin's algorithm that the portal does not publish.
    stranger: SigningKey,
    /// The JWKS document exactly as the played portal serves it.
    jwks: String,
    /// `--issuer`.
    issuer: String,
    /// `--plugin`.
    plugin: String,
    /// The subject of every token.
    subject: String,
    /// Unix seconds at which the tokens are minted ([`Forger::set_now`]).
    now: i64,
    /// The random generator of the `jti`s.
    rng: SystemRandom,
}

/// One claims object as text, member by member (so that members can repeat, be missing or hold
/// values of any JSON type).
struct Claims(Vec<(&'static str, String)>);

impl Claims {
    /// Replaces the value of `name` (raw JSON), or adds it.
    fn set(mut self, name: &'static str, raw: impl Into<String>) -> Self {
        let raw = raw.into();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(member) => member.1 = raw,
            None => self.0.push((name, raw)),
        }
        self
    }

    /// Removes `name`.
    fn without(mut self, name: &str) -> Self {
        self.0.retain(|(n, _)| *n != name);
        self
    }

    /// Adds `name` again at the front with `raw` (so that the last member is the genuine one).
    fn repeat_first(mut self, name: &'static str, raw: impl Into<String>) -> Self {
        self.0.insert(0, (name, raw.into()));
        self
    }

    /// Appends `name` with `raw`, even if it is already there.
    fn push(mut self, name: &'static str, raw: impl Into<String>) -> Self {
        self.0.push((name, raw.into()));
        self
    }

    /// The JSON text.
    fn text(&self) -> String {
        let members: Vec<String> = self
            .0
            .iter()
            .map(|(name, raw)| format!("\"{name}\":{raw}"))
            .collect();
        format!("{{{}}}", members.join(","))
    }
}

/// `text` as a JSON string literal.
fn string(text: &str) -> String {
    Value::from(text).to_string()
}

/// Unpadded base64url.
fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `message` with `key` (64 bytes for both algorithms).
fn sign(key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, CliError> {
    let failed = || CliError::new(Status::Failed, "signing_failed", "cannot sign a test token");
    let mut der = key.to_pkcs8_der();
    let rng = SystemRandom::new();
    let signature = match key.algorithm() {
        Algorithm::EdDSA => ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map(|pair| pair.sign(message).as_ref().to_vec())
            .map_err(|_| failed()),
        Algorithm::ES256 => ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &der,
            &rng,
        )
        .map_err(|_| failed())
        .and_then(|pair| {
            pair.sign(&rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| failed())
        }),
        // The crate knows no other signing algorithm today; refuse rather than guess.
        #[allow(unreachable_patterns)]
        _ => Err(failed()),
    };
    der.zeroize();
    signature
}

/// The other protocol algorithm.
pub fn other(alg: Algorithm) -> Algorithm {
    match alg {
        Algorithm::ES256 => Algorithm::EdDSA,
        _ => Algorithm::ES256,
    }
}

impl<'k> Forger<'k> {
    /// A forger for the portal signing the plugin's tokens with `key`, holding `other_alg` (the
    /// other algorithm's key) too, and publishing both in `jwks` (as served).
    pub fn new(
        key: &'k SigningKey,
        other_alg: &'k SigningKey,
        jwks: &str,
        issuer: &str,
        plugin: &str,
        subject: &str,
    ) -> Result<Forger<'k>, CliError> {
        if other_alg.algorithm() != other(key.algorithm()) {
            return Err(CliError::usage(
                "--key: the played portal holds one key per algorithm",
            ));
        }
        Ok(Forger {
            key,
            other_alg,
            stranger: SigningKey::generate(key.algorithm())
                .map_err(|e| CliError::new(Status::Failed, e.code(), e.to_string()))?,
            jwks: jwks.to_owned(),
            issuer: issuer.to_owned(),
            plugin: plugin.to_owned(),
            subject: subject.to_owned(),
            now: 0,
            rng: SystemRandom::new(),
        })
    }

    /// Mints the next tokens at `now` (Unix seconds): the time cases are only 10 s outside the
    /// largest leeway, so the checker mints them again whenever the clock moved on.
    pub fn set_now(&mut self, now: i64) {
        self.now = now;
    }

    /// A fresh `jti`: 128 random bits, base64url (22 characters).
    fn jti(&self) -> Result<String, CliError> {
        let mut bytes = [0u8; 16];
        self.rng.fill(&mut bytes).map_err(|_| {
            CliError::new(
                Status::Failed,
                "jti_generation_failed",
                "the system's random generator failed",
            )
        })?;
        Ok(b64(&bytes))
    }

    /// Valid claims: the demo person as cliente, issued now, 300 s lifetime, a fresh `jti`.
    fn claims(&self) -> Result<Claims, CliError> {
        let now = self.now;
        Ok(Claims(vec![
            ("iss", string(&self.issuer)),
            ("aud", string(&self.plugin)),
            ("sub", string(&self.subject)),
            ("role", string("cliente")),
            ("iat", now.to_string()),
            ("nbf", now.to_string()),
            ("exp", (now + 300).to_string()),
            ("jti", string(&self.jti()?)),
        ]))
    }

    /// The protocol's header for `key`.
    fn header_of(key: &SigningKey) -> String {
        format!(
            r#"{{"alg":"{}","typ":"{TYP}","kid":"{}"}}"#,
            key.algorithm().as_str(),
            key.kid()
        )
    }

    /// The portal's header.
    fn header(&self) -> String {
        Forger::header_of(self.key)
    }

    /// `header.claims.signature`, the signature by `key` over the two segments as given.
    fn signed_segments(key: &SigningKey, header: &str, claims: &str) -> Result<String, CliError> {
        let input = format!("{header}.{claims}");
        let signature = sign(key, input.as_bytes())?;
        Ok(format!("{input}.{}", b64(&signature)))
    }

    /// A token of `header` and `claims` (JSON text) signed by `key`.
    fn signed_by(key: &SigningKey, header: &str, claims: &Claims) -> Result<String, CliError> {
        Forger::signed_segments(key, &b64(header.as_bytes()), &b64(claims.text().as_bytes()))
    }

    /// A token of `header` and `claims` signed by the portal's key.
    fn signed(&self, header: &str, claims: &Claims) -> Result<String, CliError> {
        Forger::signed_by(self.key, header, claims)
    }

    /// Valid claims with `edit` applied, under the portal's header and key.
    fn claims_case(
        &self,
        name: &'static str,
        edit: impl FnOnce(Claims) -> Claims,
    ) -> Result<Hostile, CliError> {
        let claims = edit(self.claims()?);
        Ok(Hostile {
            name,
            token: Some(self.signed(&self.header(), &claims)?),
        })
    }

    /// Valid claims under `header`, signed by the portal's key.
    fn header_case(&self, name: &'static str, header: String) -> Result<Hostile, CliError> {
        Ok(Hostile {
            name,
            token: Some(self.signed(&header, &self.claims()?)?),
        })
    }

    /// HS256 over valid claims with `secret` as the HMAC key, under the portal's `kid`.
    fn hs256(&self, name: &'static str, secret: &[u8]) -> Result<Hostile, CliError> {
        let header = format!(
            r#"{{"alg":"HS256","typ":"{TYP}","kid":"{}"}}"#,
            self.key.kid()
        );
        let input = format!(
            "{}.{}",
            b64(header.as_bytes()),
            b64(self.claims()?.text().as_bytes())
        );
        let mac = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
            input.as_bytes(),
        );
        Ok(Hostile {
            name,
            token: Some(format!("{input}.{}", b64(mac.as_ref()))),
        })
    }

    /// Every hostile token, in the order they are sent.
    pub fn hostile(&self) -> Result<Vec<Hostile>, CliError> {
        let now = self.now;
        let kid = self.key.kid();
        let alg = self.key.algorithm().as_str();
        let other_audience = if self.plugin == "other-plugin" {
            "another-plugin"
        } else {
            "other-plugin"
        };
        let slashed = match self.issuer.strip_suffix('/') {
            Some(stripped) => stripped.to_owned(),
            None => format!("{}/", self.issuer),
        };
        let mut cases = vec![
            Hostile {
                name: "no_token",
                token: None,
            },
            self.claims_case("wrong_audience", |c| c.set("aud", string(other_audience)))?,
            self.claims_case("wrong_issuer", |c| {
                c.set("iss", string("https://portal.invalid"))
            })?,
            self.claims_case("issuer_with_a_trailing_slash", |c| {
                c.set("iss", string(&slashed))
            })?,
            self.header_case("typ_missing", format!(r#"{{"alg":"{alg}","kid":"{kid}"}}"#))?,
            self.header_case(
                "typ_jwt",
                format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"{kid}"}}"#),
            )?,
            self.header_case(
                "typ_with_media_type_prefix",
                format!(r#"{{"alg":"{alg}","typ":"application/{TYP}","kid":"{kid}"}}"#),
            )?,
        ];
        // alg none: the claims as they are, no signature.
        for (name, none) in [("alg_none", "none"), ("alg_none_upper_case", "NONE")] {
            let header = format!(r#"{{"alg":"{none}","typ":"{TYP}","kid":"{kid}"}}"#);
            cases.push(Hostile {
                name,
                token: Some(format!(
                    "{}.{}.",
                    b64(header.as_bytes()),
                    b64(self.claims()?.text().as_bytes())
                )),
            });
        }
        // HS256 keyed with the portal's public key, in every form a lax library is handed it
        // (php-jwt < 6 and old jsonwebtoken with the PEM, Java with getEncoded()'s DER, ...).
        for (name, secret) in hs256_secrets(&self.key.public_key(), &self.jwks) {
            cases.push(self.hs256(name, &secret)?);
        }
        // The other published key's algorithm under the plugin key's kid, signed by that other
        // published key: a vendor that picks the key by `alg` (ignoring `kid`) or skips the
        // alg-to-key check (§6 check 9) accepts it.
        let other_alg = self.other_alg.algorithm().as_str();
        let mismatch = format!(r#"{{"alg":"{other_alg}","typ":"{TYP}","kid":"{kid}"}}"#);
        cases.push(Hostile {
            name: "alg_mismatch",
            token: Some(Forger::signed_by(
                self.other_alg,
                &mismatch,
                &self.claims()?,
            )?),
        });
        cases.push(Hostile {
            name: "kid_of_an_unpublished_key",
            token: Some(Forger::signed_by(
                &self.stranger,
                &Forger::header_of(&self.stranger),
                &self.claims()?,
            )?),
        });
        cases.push(self.header_case("kid_missing", format!(r#"{{"alg":"{alg}","typ":"{TYP}"}}"#))?);
        cases.push(Hostile {
            name: "signed_by_unpublished_key",
            token: Some(Forger::signed_by(
                &self.stranger,
                &self.header(),
                &self.claims()?,
            )?),
        });
        cases.push(self.header_case(
            "header_jku",
            format!(
                r#"{{"alg":"{alg}","typ":"{TYP}","kid":"{kid}","jku":"https://attacker.invalid/jwks.json"}}"#
            ),
        )?);
        // The stranger's public JWK embedded, the token signed by the stranger under its own kid.
        let stranger_jwk = self.stranger.public_key().to_jwk();
        let embedded = format!(
            r#"{{"alg":"{alg}","typ":"{TYP}","kid":"{}","jwk":{stranger_jwk}}}"#,
            self.stranger.kid()
        );
        cases.push(Hostile {
            name: "header_jwk_embedded",
            token: Some(Forger::signed_by(
                &self.stranger,
                &embedded,
                &self.claims()?,
            )?),
        });
        cases.push(self.header_case(
            "header_duplicate_kid",
            format!(r#"{{"alg":"{alg}","typ":"{TYP}","kid":"unknown-kid","kid":"{kid}"}}"#),
        )?);
        cases.push(self.header_case(
            "header_duplicate_alg",
            format!(r#"{{"alg":"none","typ":"{TYP}","kid":"{kid}","alg":"{alg}"}}"#),
        )?);
        cases.push(self.tampered_claims()?);
        cases.push(self.tampered_signature()?);
        // Just outside the largest leeway (§6 checks 18 to 20 with L = 300 s), so that a vendor
        // with a larger leeway fails; each case breaks one time check only.
        cases.push(self.claims_case("expired", |c| {
            c.set("iat", (now - OUTSIDE - 300).to_string())
                .set("nbf", (now - OUTSIDE - 300).to_string())
                .set("exp", (now - OUTSIDE).to_string())
        })?);
        cases.push(self.claims_case("not_yet_valid", |c| {
            c.set("nbf", (now + OUTSIDE).to_string())
                .set("exp", (now + OUTSIDE + 300).to_string())
        })?);
        cases.push(self.claims_case("issued_in_future", |c| {
            c.set("iat", (now + OUTSIDE).to_string())
                .set("exp", (now + OUTSIDE + 300).to_string())
        })?);
        cases.push(self.claims_case("lifetime_over_one_hour", |c| {
            c.set("exp", (now + 3601).to_string())
        })?);
        cases.push(self.base64_padding()?);
        cases.push(self.base64_signature_padding()?);
        cases.push(self.base64_trailing_bits()?);
        let subject = string(&self.subject);
        cases.push(self.claims_case("claims_duplicate_sub", |c| {
            c.without("sub")
                .repeat_first("sub", string("someone-else"))
                .push("sub", subject)
        })?);
        cases.push(self.claims_case("exp_string", |c| {
            c.set("exp", string(&(now + 300).to_string()))
        })?);
        cases.push(self.claims_case("exp_fractional", |c| {
            c.set("exp", format!("{}.5", now + 300))
        })?);
        cases.push(self.claims_case("iat_fractional", |c| c.set("iat", format!("{}.5", now - 1)))?);
        cases.push(self.claims_case("missing_jti", |c| c.without("jti"))?);
        cases.push(self.claims_case("missing_exp", |c| c.without("exp"))?);
        cases.push(self.claims_case("unknown_role", |c| c.set("role", string("admin")))?);
        let audience = string(&self.plugin);
        cases.push(self.claims_case("aud_array", |c| c.set("aud", format!("[{audience}]")))?);
        cases.push(Hostile {
            name: "two_segments",
            token: Some(format!(
                "{}.{}",
                b64(self.header().as_bytes()),
                b64(self.claims()?.text().as_bytes())
            )),
        });
        cases.push(self.token_just_over_the_limit()?);
        Ok(cases)
    }

    /// A genuine token for the played plugin, signed by the portal's published key of the other
    /// algorithm under that key's own header: a vendor pinned to its plugin's algorithm (the
    /// onboarding checklist) refuses it; one that accepts both protocol algorithms (§6 check 5
    /// allows it) accepts it. The portal never mints such a token (§3), so it is reported as
    /// information, not judged.
    pub fn other_algorithm_token(&self) -> Result<Hostile, CliError> {
        Ok(Hostile {
            name: OTHER_ALGORITHM_TOKEN,
            token: Some(Forger::signed_by(
                self.other_alg,
                &Forger::header_of(self.other_alg),
                &self.claims()?,
            )?),
        })
    }

    /// A validly signed token whose claims segment was then replaced by other claims.
    fn tampered_claims(&self) -> Result<Hostile, CliError> {
        let claims = self.claims()?;
        let signed = self.signed(&self.header(), &claims)?;
        let tampered = b64(claims.set("sub", string("1")).text().as_bytes());
        let mut parts = signed.split('.');
        let (Some(header), Some(_), Some(signature)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CliError::io("a forged token is not three segments"));
        };
        Ok(Hostile {
            name: "tampered_claims",
            token: Some(format!("{header}.{tampered}.{signature}")),
        })
    }

    /// A validly signed token with one bit of its signature flipped.
    fn tampered_signature(&self) -> Result<Hostile, CliError> {
        let input = format!(
            "{}.{}",
            b64(self.header().as_bytes()),
            b64(self.claims()?.text().as_bytes())
        );
        let mut signature = sign(self.key, input.as_bytes())?;
        if let Some(first) = signature.first_mut() {
            *first ^= 0x01;
        }
        Ok(Hostile {
            name: "tampered_signature",
            token: Some(format!("{input}.{}", b64(&signature))),
        })
    }

    /// The header segment with `=` padding, signed over the text as sent.
    fn base64_padding(&self) -> Result<Hostile, CliError> {
        // A space before the closing brace changes the length until the base64 needs padding.
        let mut header = self.header();
        while header.len().is_multiple_of(3) {
            header.insert(header.len() - 1, ' ');
        }
        let mut segment = b64(header.as_bytes());
        while !segment.len().is_multiple_of(4) {
            segment.push('=');
        }
        let claims = b64(self.claims()?.text().as_bytes());
        Ok(Hostile {
            name: "base64_padding",
            token: Some(Forger::signed_segments(self.key, &segment, &claims)?),
        })
    }

    /// A valid token whose 86-character signature is followed by `==` padding.
    fn base64_signature_padding(&self) -> Result<Hostile, CliError> {
        let token = self.signed(&self.header(), &self.claims()?)?;
        Ok(Hostile {
            name: "base64_signature_padding",
            token: Some(format!("{token}==")),
        })
    }

    /// A valid token whose signature's last character has non-zero unused bits: the same bytes
    /// to a lenient decoder.
    fn base64_trailing_bits(&self) -> Result<Hostile, CliError> {
        let mut token = self.signed(&self.header(), &self.claims()?)?;
        // 64 bytes are 86 characters: the last one carries 4 bits and 2 unused (zero) ones.
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let last = token.pop().and_then(|c| {
            ALPHABET
                .iter()
                .position(|&a| char::from(a) == c)
                .and_then(|i| ALPHABET.get(i | 1).copied())
        });
        let Some(last) = last else {
            return Err(CliError::io("a forged token has no signature"));
        };
        token.push(char::from(last));
        Ok(Hostile {
            name: "base64_trailing_bits",
            token: Some(token),
        })
    }

    /// A validly signed token of more than 4096 bytes (an unknown claim pads it).
    fn token_just_over_the_limit(&self) -> Result<Hostile, CliError> {
        let base = self.claims()?;
        let mut pad = 0usize;
        loop {
            let claims = Claims(base.0.clone()).set("pad", string(&"x".repeat(pad)));
            let token = self.signed(&self.header(), &claims)?;
            if token.len() > MAX_TOKEN_LEN {
                return Ok(Hostile {
                    name: "token_just_over_the_limit",
                    token: Some(token),
                });
            }
            // Three claim bytes are four token bytes; step faster while far from the limit.
            pad += ((MAX_TOKEN_LEN + 1 - token.len()) * 3 / 4).max(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_hostile_token_is_refused_by_the_library_and_named_once() {
        use cv_portal_plugin::{IssuerId, KeySet, PluginId, Verifier};
        for alg in [Algorithm::EdDSA, Algorithm::ES256] {
            let key = SigningKey::generate(alg).unwrap();
            let other_key = SigningKey::generate(other(alg)).unwrap();
            // The played portal publishes both keys.
            let keys = KeySet::new([key.public_key(), other_key.public_key()]).unwrap();
            let mut forger = Forger::new(
                &key,
                &other_key,
                &keys.to_jwks_json(),
                "http://127.0.0.1:1",
                "financeiro",
                "vendor-check.1",
            )
            .unwrap();
            forger.set_now(1_764_288_000);
            let verifier = |leeway: u64| {
                Verifier::builder(
                    IssuerId::new("http://127.0.0.1:1").unwrap(),
                    PluginId::new("financeiro").unwrap(),
                )
                .key_set(keys.clone())
                .dangerous_extended_leeway(std::time::Duration::from_secs(leeway))
                .dangerous_disable_replay_guard()
                .clock(std::sync::Arc::new(cv_portal_plugin::FixedClock::new(
                    1_764_288_000,
                )))
                .build()
                .unwrap()
            };
            let cases = forger.hostile().unwrap();
            let mut names: Vec<_> = cases.iter().map(|c| c.name).collect();
            names.push(OTHER_ALGORITHM_TOKEN);
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), cases.len() + 1);
            // Refused with no leeway and with the largest one (the time cases lie outside it).
            for leeway in [0, 300] {
                for case in &cases {
                    if let Some(token) = &case.token {
                        let refused = verifier(leeway).verify(token);
                        assert!(refused.is_err(), "{} verified", case.name);
                    }
                }
            }
            // The valid claims do verify: the defect is the only thing wrong.
            let valid = forger.signed(&forger.header(), &forger.claims().unwrap());
            assert!(verifier(0).verify(&valid.unwrap()).is_ok());
            // A verifier accepting both algorithms accepts the other algorithm's token.
            let other_token = forger.other_algorithm_token().unwrap().token.unwrap();
            assert!(verifier(0).verify(&other_token).is_ok());
            let big = forger.token_just_over_the_limit().unwrap().token.unwrap();
            assert!(big.len() > MAX_TOKEN_LEN && big.len() < MAX_TOKEN_LEN + 8);
        }
    }

    #[test]
    fn the_time_cases_lie_just_outside_the_largest_leeway() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let other_key = SigningKey::generate(Algorithm::ES256).unwrap();
        let mut forger = Forger::new(&key, &other_key, "{}", "http://a", "p", "s").unwrap();
        forger.set_now(1_000_000);
        let claims = |name: &str| -> Value {
            let cases = forger.hostile().unwrap();
            let token = cases
                .into_iter()
                .find(|c| c.name == name)
                .unwrap()
                .token
                .unwrap();
            let segment = token.split('.').nth(1).unwrap().to_owned();
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
        };
        let expired = claims("expired");
        assert_eq!(expired["exp"], 1_000_000 - 310);
        assert_eq!(expired["iat"], 1_000_000 - 610);
        let nbf = claims("not_yet_valid");
        assert_eq!(
            (nbf["iat"].as_i64(), nbf["nbf"].as_i64()),
            (Some(1_000_000), Some(1_000_310))
        );
        let iat = claims("issued_in_future");
        assert_eq!(
            (iat["iat"].as_i64(), iat["nbf"].as_i64()),
            (Some(1_000_310), Some(1_000_000))
        );
    }

    #[test]
    fn the_pem_forms_are_the_spki_of_the_key() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap().public_key();
        let pem = spki_pem(&key);
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"));
        assert!(pem.ends_with("\n-----END PUBLIC KEY-----\n"));
        assert_eq!(spki_der(&key).len(), 44);
        let key = SigningKey::generate(Algorithm::ES256).unwrap().public_key();
        assert!(
            spki_pem(&key)
                .starts_with("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")
        );
        assert_eq!(spki_der(&key).len(), 91);
        let names: Vec<_> = hs256_secrets(&key, "{}").iter().map(|(n, _)| *n).collect();
        assert_eq!(names.len(), 6);
    }
}
