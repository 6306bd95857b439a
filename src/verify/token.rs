//! [`UntrustedToken`]: a launch token parsed but not verified, and the strict reader of its
//! segments.
//!
//! The token is parsed here, not by jsonwebtoken's `decode`, because the protocol is stricter than
//! generic JWT: canonical base64url only, an exact header whitelist with explicit `typ`, no
//! duplicate members, integer times only. Parsing runs checks 1 to 10 of PROTOCOL.md §6 (length,
//! structure, base64url, header); everything after the header needs the key, and only a
//! [`Verifier`](crate::Verifier) does it.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::error::{Segment, VerifyError};
use crate::b64;
use crate::keys::Algorithm;
use crate::quoted::Quoted;
use crate::wire::{IssuerId, MAX_TIMESTAMP, MAX_TOKEN_LEN, TOKEN_TYPE};

/// A launch token whose structure and header have been checked, and nothing else: **its signature
/// and claims are not verified**.
///
/// It exists for routing: a vendor serving many portals reads the key id and the claimed issuer to
/// pick the portal whose keys and [`Verifier`](crate::Verifier) apply, then hands the token to that
/// verifier's [`verify_untrusted`](crate::Verifier::verify_untrusted). Nothing else can be read
/// from it: verified claims come only from a verifier. Never fetch anything for an issuer read
/// here unless it is one of the issuers you were configured with.
///
/// ```
/// use cv_portal_plugin::UntrustedToken;
/// let error = UntrustedToken::parse("not.a.token").unwrap_err();
/// assert_eq!(error.code(), "non_canonical_base64");
/// ```
pub struct UntrustedToken<'t> {
    len: usize,
    signing_input: &'t str,
    payload: Vec<u8>,
    signature: Vec<u8>,
    alg: Algorithm,
    kid: String,
}

impl<'t> UntrustedToken<'t> {
    /// Parses a compact launch token of at most [`MAX_TOKEN_LEN`] bytes: structure, canonical
    /// base64url and the header (`alg`, `typ`, `kid`, nothing else), checks 1 to 10 of
    /// PROTOCOL.md §6.
    pub fn parse(token: &'t str) -> Result<Self, VerifyError> {
        Self::parse_bounded(token, MAX_TOKEN_LEN)
    }

    pub(crate) fn parse_bounded(token: &'t str, max: usize) -> Result<Self, VerifyError> {
        if token.len() > max {
            return Err(VerifyError::TooLarge {
                len: token.len(),
                max,
            });
        }
        let parts = split(token)?;
        let header_bytes = decode_segment(parts.header, Segment::Header)?;
        let payload = decode_segment(parts.payload, Segment::Payload)?;
        let signature = decode_segment(parts.signature, Segment::Signature)?;
        let header = parse_header(&header_bytes)?;
        Ok(UntrustedToken {
            len: token.len(),
            signing_input: parts.signing_input,
            alg: header.alg,
            kid: header.kid.into_owned(),
            payload,
            signature,
        })
    }

    /// The `kid` header: which of the portal's keys the token claims to be signed with. Raw
    /// attacker-chosen text (bounded only by the token's length): look it up, never log it as is
    /// (use [`Quoted::ascii`](crate::Quoted::ascii)).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The `alg` header (a verifier checks it against the algorithm pinned to the key).
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The `iss` claim, **unverified**: only to choose among the issuers you were configured with.
    pub fn unverified_issuer(&self) -> Result<IssuerId, VerifyError> {
        let claims = parse_claims(&self.payload)?;
        let iss = claims.iss.string("iss")?;
        IssuerId::new(iss.as_ref()).map_err(|_| VerifyError::InvalidClaim { claim: "iss" })
    }

    /// The `aud` claim, **unverified**: only to choose which plugin's verifier applies (the
    /// portal's client-data endpoint serves every plugin of the portal, a vendor's
    /// `PortalRegistry` every plugin it hosts for a portal).
    pub(crate) fn unverified_audience(&self) -> Result<Cow<'_, str>, VerifyError> {
        parse_claims(&self.payload)?.aud.string("aud")
    }

    /// The token's length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn signing_input(&self) -> &str {
        self.signing_input
    }

    pub(crate) fn signature(&self) -> &Vec<u8> {
        &self.signature
    }

    pub(crate) fn payload(&self) -> &[u8] {
        &self.payload
    }
}

impl fmt::Debug for UntrustedToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UntrustedToken")
            .field("alg", &self.alg)
            .field("kid", &Quoted::ascii(&self.kid))
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

struct Parts<'a> {
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
    signing_input: &'a str,
}

fn split(token: &str) -> Result<Parts<'_>, VerifyError> {
    const SHAPE: VerifyError = VerifyError::Malformed {
        reason: "a token is three base64url segments separated by dots",
    };
    let (signing_input, signature) = token.rsplit_once('.').ok_or(SHAPE)?;
    let (header, payload) = signing_input.split_once('.').ok_or(SHAPE)?;
    if payload.contains('.') {
        return Err(SHAPE);
    }
    Ok(Parts {
        header,
        payload,
        signature,
        signing_input,
    })
}

fn decode_segment(text: &str, segment: Segment) -> Result<Vec<u8>, VerifyError> {
    b64::decode(text).ok_or(VerifyError::NonCanonicalBase64 { segment })
}

/// A JSON value reduced to what the checks need: a string, an integer, or anything else.
///
/// Strings borrow from the decoded segment unless they contain escapes, so reading a token
/// allocates only for the values the verified claims keep.
pub(crate) enum Json<'de> {
    Str(Cow<'de, str>),
    Int(i64),
    Other,
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json<'de>, E> {
        Ok(Json::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json<'de>, E> {
        Ok(i64::try_from(v).map_or(Json::Other, Json::Int))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Json<'de>, E> {
        Ok(Json::Other)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Json<'de>, E> {
        Ok(Json::Other)
    }
    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Other)
    }
    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Json::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Json::Other)
    }
}

/// A member that may be missing, present once with some value, or (an error) repeated.
#[derive(Default)]
pub(crate) enum Member<'de> {
    #[default]
    Missing,
    Present(Json<'de>),
}

impl<'de> Member<'de> {
    pub(crate) fn string(self, claim: &'static str) -> Result<Cow<'de, str>, VerifyError> {
        match self {
            Member::Missing => Err(VerifyError::MissingClaim { claim }),
            Member::Present(Json::Str(s)) => Ok(s),
            Member::Present(_) => Err(VerifyError::InvalidClaim { claim }),
        }
    }

    pub(crate) fn time(self, claim: &'static str) -> Result<i64, VerifyError> {
        match self {
            Member::Missing => Err(VerifyError::MissingClaim { claim }),
            Member::Present(Json::Int(t)) if (0..=MAX_TIMESTAMP).contains(&t) => Ok(t),
            Member::Present(_) => Err(VerifyError::InvalidClaim { claim }),
        }
    }
}

/// The known members of one JSON object of the token.
trait Members<'de>: Default {
    /// The segment the object is in.
    const SEGMENT: Segment;
    /// What serde reports it expected (for its own error messages).
    const EXPECTING: &'static str;
    /// The `malformed` reason when the segment is not a UTF-8 JSON object.
    const NOT_JSON: &'static str;
    /// The slot for a known member name, or `None` for an unknown one.
    fn slot(&mut self, name: &str) -> Option<(&'static str, &mut Member<'de>)>;
    /// The problem an unknown member is, if it is one.
    fn unknown(name: &str) -> Option<VerifyError>;
    /// Where the first problem found is kept.
    fn problem(&mut self) -> &mut Option<VerifyError>;
}

/// Reads a JSON object member by member into `members`. Semantic problems (a repeated or
/// forbidden member) are kept in `members.problem()`, first one wins, so parsing can finish
/// without turning them into opaque serde errors; only broken JSON is a serde error.
fn read_object<'de, A: MapAccess<'de>, M: Members<'de>>(
    mut map: A,
    members: &mut M,
) -> Result<(), A::Error> {
    while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
        let mut repeated = None;
        if let Some((known, slot)) = members.slot(&name) {
            let value = map.next_value::<Json<'de>>()?;
            if matches!(slot, Member::Present(_)) {
                repeated = Some(VerifyError::DuplicateMember {
                    segment: M::SEGMENT,
                    member: known,
                });
            }
            *slot = Member::Present(value);
        } else {
            map.next_value::<IgnoredAny>()?;
            repeated = M::unknown(&name);
        }
        if let Some(problem) = repeated {
            members.problem().get_or_insert(problem);
        }
    }
    Ok(())
}

/// Reads one decoded segment as the JSON object `M` describes.
///
/// The whole segment is checked to be UTF-8 first: serde_json does not validate the strings it
/// skips (unknown members), and PROTOCOL.md §2 requires UTF-8 throughout.
fn read_segment<'de, M: Members<'de>>(bytes: &'de [u8]) -> Result<M, VerifyError> {
    let not_json = || VerifyError::Malformed {
        reason: M::NOT_JSON,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| not_json())?;
    let mut json = serde_json::Deserializer::from_str(text);
    let members = de::Deserializer::deserialize_map(&mut json, ObjectVisitor(PhantomData))
        .map_err(|_| not_json())?;
    json.end().map_err(|_| not_json())?;
    Ok(members)
}

/// The serde visitor of a token's JSON objects: every member goes through [`read_object`].
struct ObjectVisitor<M>(PhantomData<M>);

impl<'de, M: Members<'de>> Visitor<'de> for ObjectVisitor<M> {
    type Value = M;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(M::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<M, A::Error> {
        let mut members = M::default();
        read_object(map, &mut members)?;
        Ok(members)
    }
}

#[derive(Default)]
struct RawHeader<'de> {
    alg: Member<'de>,
    typ: Member<'de>,
    kid: Member<'de>,
    problem: Option<VerifyError>,
}

impl<'de> Members<'de> for RawHeader<'de> {
    const SEGMENT: Segment = Segment::Header;
    const EXPECTING: &'static str = "a JOSE header object";
    const NOT_JSON: &'static str = "the header is not a UTF-8 JSON object";
    fn slot(&mut self, name: &str) -> Option<(&'static str, &mut Member<'de>)> {
        match name {
            "alg" => Some(("alg", &mut self.alg)),
            "typ" => Some(("typ", &mut self.typ)),
            "kid" => Some(("kid", &mut self.kid)),
            _ => None,
        }
    }
    fn unknown(name: &str) -> Option<VerifyError> {
        // Only alg, typ and kid may appear (crit, jku, jwk, x5u, x5c, ... are all refused).
        Some(VerifyError::ForbiddenHeader {
            name: Quoted::ascii(name),
        })
    }
    fn problem(&mut self) -> &mut Option<VerifyError> {
        &mut self.problem
    }
}

struct Header<'de> {
    alg: Algorithm,
    kid: Cow<'de, str>,
}

fn parse_header(bytes: &[u8]) -> Result<Header<'_>, VerifyError> {
    let raw: RawHeader<'_> = read_segment(bytes)?;
    // alg first: "none" and unsupported algorithms are named as such even in odd headers.
    let alg = match &raw.alg {
        Member::Present(Json::Str(name)) => match name.parse::<Algorithm>() {
            Ok(alg) => alg,
            Err(_) if name.eq_ignore_ascii_case("none") => return Err(VerifyError::AlgNone),
            Err(_) => {
                return Err(VerifyError::UnsupportedAlg {
                    alg: Quoted::ascii(name),
                });
            }
        },
        Member::Present(_) | Member::Missing => {
            return Err(VerifyError::UnsupportedAlg {
                alg: Quoted::ascii(""),
            });
        }
    };
    if let Some(problem) = raw.problem {
        return Err(problem);
    }
    match raw.typ {
        Member::Missing => return Err(VerifyError::MissingTyp),
        Member::Present(Json::Str(typ)) if typ == TOKEN_TYPE => {}
        Member::Present(Json::Str(typ)) => {
            return Err(VerifyError::WrongTyp {
                found: Quoted::ascii(&typ),
            });
        }
        Member::Present(_) => {
            return Err(VerifyError::WrongTyp {
                found: Quoted::ascii("(not a string)"),
            });
        }
    }
    let kid = match raw.kid {
        Member::Missing => return Err(VerifyError::MissingKid),
        Member::Present(Json::Str(kid)) => kid,
        Member::Present(_) => {
            return Err(VerifyError::UnknownKid {
                kid: Quoted::ascii("(not a string)"),
            });
        }
    };
    Ok(Header { alg, kid })
}

#[derive(Default)]
pub(crate) struct RawClaims<'de> {
    pub(crate) iss: Member<'de>,
    pub(crate) aud: Member<'de>,
    pub(crate) sub: Member<'de>,
    pub(crate) role: Member<'de>,
    pub(crate) iat: Member<'de>,
    pub(crate) nbf: Member<'de>,
    pub(crate) exp: Member<'de>,
    pub(crate) jti: Member<'de>,
    problem: Option<VerifyError>,
}

impl<'de> Members<'de> for RawClaims<'de> {
    const SEGMENT: Segment = Segment::Payload;
    const EXPECTING: &'static str = "a JWT claims object";
    const NOT_JSON: &'static str = "the payload is not a UTF-8 JSON object";
    fn slot(&mut self, name: &str) -> Option<(&'static str, &mut Member<'de>)> {
        match name {
            "iss" => Some(("iss", &mut self.iss)),
            "aud" => Some(("aud", &mut self.aud)),
            "sub" => Some(("sub", &mut self.sub)),
            "role" => Some(("role", &mut self.role)),
            "iat" => Some(("iat", &mut self.iat)),
            "nbf" => Some(("nbf", &mut self.nbf)),
            "exp" => Some(("exp", &mut self.exp)),
            "jti" => Some(("jti", &mut self.jti)),
            _ => None,
        }
    }
    fn unknown(_: &str) -> Option<VerifyError> {
        // Unknown claims are ignored, so the portal can add claims without breaking deployed
        // verifiers (PROTOCOL.md §4).
        None
    }
    fn problem(&mut self) -> &mut Option<VerifyError> {
        &mut self.problem
    }
}

pub(crate) fn parse_claims(bytes: &[u8]) -> Result<RawClaims<'_>, VerifyError> {
    let mut raw: RawClaims<'_> = read_segment(bytes)?;
    match raw.problem.take() {
        Some(problem) => Err(problem),
        None => Ok(raw),
    }
}
