//! JWK (RFC 7517) for OKP/Ed25519 (RFC 8037) and EC/P-256 keys, and RFC 7638 thumbprints.

use serde_json::{Map, Value};

use super::Algorithm;
use super::KeyError;
use super::json::Document;
use crate::b64;
use crate::quoted::Quoted;

/// Members that carry private key material in any JWK key type.
pub(crate) const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Whether a private or a public JWK is being read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    Public,
    #[cfg_attr(not(any(feature = "portal", test)), allow(dead_code))]
    Private,
}

/// A JWK reduced to what the crate uses.
pub(crate) struct ParsedJwk {
    pub(crate) alg: Algorithm,
    /// 32 bytes (Ed25519) or the 65-byte uncompressed point (P-256).
    pub(crate) public: Vec<u8>,
    #[cfg_attr(not(any(feature = "portal", test)), allow(dead_code))]
    pub(crate) secret: Option<[u8; 32]>,
}

/// What a well-formed JWK is to this crate.
pub(crate) enum Reading {
    /// An Ed25519 or P-256 signature key.
    Usable(ParsedJwk),
    /// A key of another type or curve: RFC 7517 §5 says a JWKS reader ignores it.
    OtherKeyType,
    /// A key whose `use` or `key_ops` says it is not for signatures (an encryption key published
    /// in the same set, say): ignored in a JWKS too.
    OtherUse,
    /// A key of a supported type whose `alg` names another algorithm (a P-256 key for `ECDH-ES`,
    /// say): not for launch tokens, so ignored in a JWKS; a single JWK is an error.
    OtherAlgorithm {
        /// The `alg` found.
        found: Quoted,
        /// The algorithm the key type is pinned to.
        expected: &'static str,
    },
}

impl ParsedJwk {
    /// Parses one JWK document; a key this crate cannot use is an error here.
    pub(crate) fn from_json(json: &str, expect: Expect) -> Result<ParsedJwk, KeyError> {
        let document = Document::parse(json)?;
        let object = document.as_object().ok_or(KeyError::InvalidJwk {
            reason: "a JWK must be a JSON object",
        })?;
        match ParsedJwk::read(object, expect)? {
            Reading::Usable(parsed) => Ok(parsed),
            Reading::OtherKeyType => Err(KeyError::UnsupportedKeyType),
            Reading::OtherUse => Err(KeyError::NotASignatureKey),
            Reading::OtherAlgorithm { found, expected } => {
                Err(KeyError::AlgorithmMismatch { expected, found })
            }
        }
    }

    /// Reads one JWK object. The order of the checks is the order PROTOCOL.md §7 gives them:
    /// private members, `kty`/`crv` (another type is skipped), `use`/`key_ops` (another use is
    /// skipped), the coordinates, `alg`, `kid`.
    pub(crate) fn read(jwk: &Map<String, Value>, expect: Expect) -> Result<Reading, KeyError> {
        if expect == Expect::Public
            && let Some(member) = PRIVATE_MEMBERS.into_iter().find(|m| jwk.contains_key(*m))
        {
            return Err(KeyError::PrivatePartInPublicSet { member });
        }
        let kty = string_member(jwk, "kty")?.ok_or(KeyError::InvalidJwk {
            reason: "missing \"kty\"",
        })?;
        // `crv` is read only for the two key types that have one here: an RSA or symmetric key
        // is skipped whatever else it carries.
        if !matches!(kty, "OKP" | "EC") {
            return Ok(Reading::OtherKeyType);
        }
        let alg = match (kty, string_member(jwk, "crv")?.unwrap_or_default()) {
            ("OKP", "Ed25519") => Algorithm::EdDSA,
            ("EC", "P-256") => Algorithm::ES256,
            _ => return Ok(Reading::OtherKeyType),
        };
        if !for_signatures(jwk, expect)? {
            return Ok(Reading::OtherUse);
        }
        // `alg` agrees with the key type: the JOSE name, or its fully-specified name of RFC 9864
        // (`Ed25519`, `ESP256`). One of the protocol's algorithms on the other key type is a
        // broken key (it rejects the set); any other algorithm (`ECDH-ES`, `ES384`, ...) makes it
        // a key for something else, skipped.
        if let Some(found) = string_member(jwk, "alg")?
            && found != alg.as_str()
            && found != fully_specified_name(alg)
        {
            let ours = Algorithm::ALL
                .iter()
                .any(|a| found == a.as_str() || found == fully_specified_name(*a));
            if ours {
                return Err(KeyError::AlgorithmMismatch {
                    expected: alg.as_str(),
                    found: Quoted::ascii(found),
                });
            }
            return Ok(Reading::OtherAlgorithm {
                found: Quoted::ascii(found),
                expected: alg.as_str(),
            });
        }
        let public = match alg {
            Algorithm::EdDSA => {
                let x = coordinate(jwk, "x")?;
                if is_weak_ed25519(&x) {
                    return Err(KeyError::WeakPublicKey);
                }
                x.to_vec()
            }
            Algorithm::ES256 => {
                let mut point = Vec::with_capacity(65);
                point.push(0x04);
                point.extend_from_slice(&coordinate(jwk, "x")?);
                point.extend_from_slice(&coordinate(jwk, "y")?);
                point
            }
        };
        if let Some(kid) = string_member(jwk, "kid")?
            && kid != thumbprint(alg, &public)
        {
            return Err(KeyError::KidMismatch {
                found: Quoted::ascii(kid),
            });
        }
        let secret = match expect {
            Expect::Public => None,
            Expect::Private if !jwk.contains_key("d") => {
                return Err(KeyError::PublicKeyInsteadOfPrivate {
                    form: "a JWK without \"d\"",
                });
            }
            Expect::Private => Some(coordinate(jwk, "d")?),
        };
        Ok(Reading::Usable(ParsedJwk {
            alg,
            public,
            secret,
        }))
    }
}

/// The RFC 9864 fully-specified algorithm name of a key type.
fn fully_specified_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::EdDSA => "Ed25519",
        Algorithm::ES256 => "ESP256",
    }
}

/// Whether an Ed25519 public key is a point of small order (order 1, 2, 4 or 8), in any sign, or
/// an encoding of `y` that is not reduced modulo p = 2^255 - 19. With such a key, signatures
/// that verify can be made without any private key (the `S = 0` forgery); no key generated from
/// a secret is one. The list is the well-known set of small-order encodings (libsodium's
/// blocklist), compared with the sign bit cleared.
pub(crate) fn is_weak_ed25519(x: &[u8; 32]) -> bool {
    const SMALL_ORDER: [[u8; 32]; 5] = [
        // y = 0 (order 4)
        [0; 32],
        // y = 1, the identity (order 1)
        [
            1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0,
        ],
        // y = p - 1 (order 2)
        [
            0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0x7f,
        ],
        // the two points of order 8
        [
            0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef,
            0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88,
            0x6d, 0x53, 0xfc, 0x05,
        ],
        [
            0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10,
            0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77,
            0x92, 0xac, 0x03, 0x7a,
        ],
    ];
    let mut y = *x;
    y[31] &= 0x7f;
    // y >= p: bytes 1..=30 all 0xff, the top byte 0x7f and the bottom one >= 0xed.
    let unreduced = y[31] == 0x7f && y[1..31].iter().all(|&b| b == 0xff) && y[0] >= 0xed;
    unreduced || SMALL_ORDER.contains(&y)
}

fn string_member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, KeyError> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(KeyError::InvalidJwk {
            reason: "a JWK member has the wrong JSON type",
        }),
    }
}

/// A required 32-byte base64url member (`x`, `y` or `d`).
fn coordinate(jwk: &Map<String, Value>, name: &'static str) -> Result<[u8; 32], KeyError> {
    let text = string_member(jwk, name)?.ok_or(KeyError::InvalidJwk {
        reason: "missing key coordinate (\"x\", \"y\" or \"d\")",
    })?;
    let mut bytes = b64::decode(text).unwrap_or_default();
    let coordinate = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| KeyError::InvalidJwk {
        reason: "a key coordinate is not 32 bytes of canonical base64url",
    });
    // The buffer may hold `d`.
    super::wipe(&mut bytes);
    coordinate
}

/// Whether `use` and `key_ops` allow signatures (for a public key: verification). `false` when
/// they name only other uses; an error when they are malformed or mix signatures with others.
fn for_signatures(jwk: &Map<String, Value>, expect: Expect) -> Result<bool, KeyError> {
    if let Some(usage) = string_member(jwk, "use")?
        && usage != "sig"
    {
        return Ok(false);
    }
    match jwk.get("key_ops") {
        None => Ok(true),
        Some(Value::Array(ops)) => {
            let allowed: &[&str] = match expect {
                Expect::Public => &["verify"],
                Expect::Private => &["sign", "verify"],
            };
            let allowed_op = |op: &Value| op.as_str().is_some_and(|op| allowed.contains(&op));
            if !ops.iter().any(allowed_op) {
                Ok(false)
            } else if ops.iter().all(allowed_op) {
                Ok(true)
            } else {
                Err(KeyError::NotASignatureKey)
            }
        }
        Some(_) => Err(KeyError::InvalidJwk {
            reason: "\"key_ops\" must be an array",
        }),
    }
}

/// The RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order, base64url.
pub(crate) fn thumbprint(alg: Algorithm, public: &[u8]) -> String {
    let canonical = match alg {
        Algorithm::EdDSA => format!(
            r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
            b64::encode(public)
        ),
        Algorithm::ES256 => {
            let (x, y) = ec_coordinates(public);
            format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                b64::encode(x),
                b64::encode(y)
            )
        }
    };
    b64::encode(ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes()).as_ref())
}

/// Splits an uncompressed P-256 point into x and y.
fn ec_coordinates(point: &[u8]) -> (&[u8], &[u8]) {
    let coordinates = point.get(1..).unwrap_or_default();
    coordinates.split_at(coordinates.len() / 2)
}

/// The room a serialized JWK needs (an EC private JWK is about 230 bytes), reserved up front so
/// the buffer holding `d` is never reallocated, which would leave a copy behind.
const JWK_CAPACITY: usize = 512;

/// Serializes a JWK with `kid`, `alg` and `use` (and `d` for a private key).
pub(crate) fn to_json(
    alg: Algorithm,
    public: &[u8],
    kid: &str,
    secret: Option<&[u8; 32]>,
) -> String {
    let mut value = to_value(alg, public, kid);
    if let (Some(secret), Value::Object(jwk)) = (secret, &mut value) {
        jwk.insert("d".into(), b64::encode(secret).into());
    }
    let mut out = Vec::with_capacity(JWK_CAPACITY);
    // Writing a `Value` to a `Vec` cannot fail: its keys are strings and a `Vec` takes any size.
    let _ = serde_json::to_writer(&mut out, &value);
    if let Value::Object(jwk) = &mut value
        && let Some(Value::String(d)) = jwk.get_mut("d")
    {
        super::wipe(d);
    }
    // serde_json writes UTF-8.
    String::from_utf8(out).unwrap_or_else(|error| {
        super::wipe(&mut error.into_bytes());
        String::new()
    })
}

/// The public JWK with `kid`, `alg` and `use`.
pub(crate) fn to_value(alg: Algorithm, public: &[u8], kid: &str) -> Value {
    let mut jwk = Map::new();
    match alg {
        Algorithm::EdDSA => {
            jwk.insert("kty".into(), "OKP".into());
            jwk.insert("crv".into(), "Ed25519".into());
            jwk.insert("x".into(), b64::encode(public).into());
        }
        Algorithm::ES256 => {
            let (x, y) = ec_coordinates(public);
            jwk.insert("kty".into(), "EC".into());
            jwk.insert("crv".into(), "P-256".into());
            jwk.insert("x".into(), b64::encode(x).into());
            jwk.insert("y".into(), b64::encode(y).into());
        }
    }
    jwk.insert("kid".into(), kid.into());
    jwk.insert("alg".into(), alg.as_str().into());
    jwk.insert("use".into(), "sig".into());
    Value::Object(jwk)
}
