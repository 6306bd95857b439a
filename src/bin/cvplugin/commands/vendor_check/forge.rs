//! The hostile launch tokens of `vendor-check`: one defect each, named after the class of
//! `vectors/launch-tokens.json` it belongs to, minted fresh (current time, own `jti`) for the
//! played portal's issuer, plugin and keys. Where the defect is not the signature, the key or
//! the structure, the token is validly signed by the portal's key, so a vendor refuses it for
//! the stated reason and not because the signature fails.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cv_portal_plugin::{Algorithm, SigningKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use serde_json::Value;
use zeroize::Zeroize as _;

use crate::error::{CliError, Status};

/// The protocol's `typ`.
pub const TYP: &str = "cv-plugin-launch+jwt";
/// The protocol's maximum token length in bytes.
const MAX_TOKEN_LEN: usize = 4096;

/// A hostile token and the name of its case (without the delivery suffix).
pub struct Hostile {
    /// The case's name, snake_case.
    pub name: &'static str,
    /// The token; `None` for the launch without any token.
    pub token: Option<String>,
}

/// Makes the hostile tokens of one run.
pub struct Forger<'k> {
    /// The portal's signing key.
    key: &'k SigningKey,
    /// A key of the same algorithm that the portal does not publish.
    stranger: SigningKey,
    /// A key of the other protocol algorithm, not published either.
    other_alg: SigningKey,
    /// The JWKS document exactly as the played portal serves it.
    jwks: String,
    /// `--issuer`.
    issuer: String,
    /// `--plugin`.
    plugin: String,
    /// The subject of every token.
    subject: String,
    /// Unix seconds when the run started.
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
fn other(alg: Algorithm) -> Algorithm {
    match alg {
        Algorithm::ES256 => Algorithm::EdDSA,
        _ => Algorithm::ES256,
    }
}

impl<'k> Forger<'k> {
    /// A forger for the portal signing with `key` and publishing `jwks` (as served).
    pub fn new(
        key: &'k SigningKey,
        jwks: &str,
        issuer: &str,
        plugin: &str,
        subject: &str,
        now: i64,
    ) -> Result<Forger<'k>, CliError> {
        let generate = |alg| {
            SigningKey::generate(alg)
                .map_err(|e| CliError::new(Status::Failed, e.code(), e.to_string()))
        };
        Ok(Forger {
            key,
            stranger: generate(key.algorithm())?,
            other_alg: generate(other(key.algorithm()))?,
            jwks: jwks.to_owned(),
            issuer: issuer.to_owned(),
            plugin: plugin.to_owned(),
            subject: subject.to_owned(),
            now,
            rng: SystemRandom::new(),
        })
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
        let public = self.key.public_key();
        cases.push(self.hs256("hs256_keyed_with_the_jwks", self.jwks.as_bytes())?);
        cases.push(self.hs256("hs256_keyed_with_the_public_key", public.as_bytes())?);
        cases.push(self.hs256("hs256_keyed_with_the_jwk", public.to_jwk().as_bytes())?);
        // The other algorithm's header under the portal's kid, signed by a key of that algorithm.
        let mismatch = format!(
            r#"{{"alg":"{}","typ":"{TYP}","kid":"{kid}"}}"#,
            self.other_alg.algorithm().as_str()
        );
        cases.push(Hostile {
            name: "alg_mismatch",
            token: Some(Forger::signed_by(
                &self.other_alg,
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
        cases.push(self.claims_case("expired", |c| {
            c.set("iat", (now - 3900).to_string())
                .set("nbf", (now - 3900).to_string())
                .set("exp", (now - 3600).to_string())
        })?);
        cases.push(self.claims_case("not_yet_valid", |c| {
            c.set("nbf", (now + 1800).to_string())
                .set("exp", (now + 2100).to_string())
        })?);
        cases.push(self.claims_case("issued_in_future", |c| {
            c.set("iat", (now + 1800).to_string())
                .set("nbf", (now + 1800).to_string())
                .set("exp", (now + 2100).to_string())
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

    fn forger(key: &SigningKey) -> Forger<'_> {
        Forger::new(
            key,
            "{}",
            "http://127.0.0.1:1",
            "financeiro",
            "vendor-check.1",
            1_764_288_000,
        )
        .unwrap()
    }

    #[test]
    fn each_hostile_token_is_refused_by_the_library_and_named_once() {
        use cv_portal_plugin::{IssuerId, KeySet, PluginId, Verifier};
        for alg in [Algorithm::EdDSA, Algorithm::ES256] {
            let key = SigningKey::generate(alg).unwrap();
            let forger = forger(&key);
            let verifier = Verifier::builder(
                IssuerId::new("http://127.0.0.1:1").unwrap(),
                PluginId::new("financeiro").unwrap(),
            )
            .key_set(KeySet::new([key.public_key()]).unwrap())
            .dangerous_disable_replay_guard()
            .clock(std::sync::Arc::new(cv_portal_plugin::FixedClock::new(
                1_764_288_000,
            )))
            .build()
            .unwrap();
            let cases = forger.hostile().unwrap();
            let mut names: Vec<_> = cases.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), cases.len());
            for case in &cases {
                if let Some(token) = &case.token {
                    assert!(verifier.verify(token).is_err(), "{} verified", case.name);
                }
            }
            // The valid claims do verify: the defect is the only thing wrong.
            let valid = forger.signed(&forger.header(), &forger.claims().unwrap());
            assert!(verifier.verify(&valid.unwrap()).is_ok());
            let big = forger.token_just_over_the_limit().unwrap().token.unwrap();
            assert!(big.len() > MAX_TOKEN_LEN && big.len() < MAX_TOKEN_LEN + 8);
        }
    }
}
