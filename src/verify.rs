//! The vendor side: strict verification of a launch token.
//!
//! [`Verifier::verify`] runs the checks of PROTOCOL.md §6 in order and stops at the first failure,
//! returning a [`VerifyError`] with a stable code. The token is parsed by this module, not by
//! jsonwebtoken's `decode`, because the protocol is stricter than generic JWT: canonical base64url
//! only, an exact header whitelist with explicit `typ`, no duplicate members, integer times only,
//! and a bounded lifetime. The signature itself is checked through jsonwebtoken's process-wide
//! crypto provider (ring, see [`install_provider`](crate::install_provider)) with the algorithm
//! pinned to the key, never the one the header asks for.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::b64;
use crate::claims::{
    IssuerId, LaunchClaims, MAX_LIFETIME_SECS, MAX_TIMESTAMP, TOKEN_TYPE, TokenId,
};
use crate::clock::{Clock, SystemClock};
use crate::config::PluginId;
use crate::error::{Quoted, Segment, VerifierConfigError, VerifyError};
use crate::keys::{Algorithm, KeyCache, KeySet, PublicKey};
use crate::replay::{InMemoryReplayGuard, ReplayEntry, ReplayGuard};
use crate::viewer::{Role, SubjectId};

/// The default clock leeway: 30 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// The largest leeway a verifier accepts, through
/// [`VerifierBuilder::dangerous_extended_leeway`]: 5 minutes.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);
/// The default maximum token length: 4 KiB.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 4096;
/// Accepted values for the maximum token length.
pub const MAX_TOKEN_LEN_RANGE: std::ops::RangeInclusive<usize> = 256..=65_536;

enum Keys {
    Set(Arc<KeySet>),
    Cache(Arc<KeyCache>),
}

/// Verifies launch tokens for one plugin of one portal.
///
/// Build it once at start-up and share it (it is `Send + Sync`); `verify` does no work that does
/// not depend on the token.
pub struct Verifier {
    issuer: IssuerId,
    plugin: PluginId,
    keys: Keys,
    leeway: i64,
    max_len: usize,
    replay: Option<Arc<dyn ReplayGuard>>,
    clock: Arc<dyn Clock>,
}

/// Configures a [`Verifier`].
pub struct VerifierBuilder {
    issuer: IssuerId,
    plugin: PluginId,
    keys: Option<Keys>,
    leeway: Duration,
    leeway_max: Duration,
    max_len: usize,
    replay: Option<Arc<dyn ReplayGuard>>,
    replay_disabled: bool,
    clock: Arc<dyn Clock>,
}

impl VerifierBuilder {
    /// Verify with a fixed key set.
    pub fn key_set(mut self, keys: KeySet) -> Self {
        self.keys = Some(Keys::Set(Arc::new(keys)));
        self
    }

    /// Verify with a self-refreshing [`KeyCache`] (refetches on an unknown `kid`).
    pub fn key_cache(mut self, cache: Arc<KeyCache>) -> Self {
        self.keys = Some(Keys::Cache(cache));
        self
    }

    /// A leeway for clock differences of at most the default 30 seconds (tightening only).
    /// Times are whole seconds: a fraction of a second is dropped.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self.leeway_max = DEFAULT_LEEWAY;
        self
    }

    /// A leeway above the default, up to 5 minutes. It widens the window in which an expired
    /// token is still accepted, hence the name.
    pub fn dangerous_extended_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self.leeway_max = MAX_LEEWAY;
        self
    }

    /// The maximum token length in bytes (default 4096; accepted 256 to 65 536).
    pub fn max_token_len(mut self, max: usize) -> Self {
        self.max_len = max;
        self
    }

    /// The replay guard to use instead of the default in-memory one (for example a shared store
    /// across instances).
    pub fn replay_guard(mut self, guard: Arc<dyn ReplayGuard>) -> Self {
        self.replay = Some(guard);
        self.replay_disabled = false;
        self
    }

    /// Turns single use off: the same token then verifies until it expires. Only for benchmarks,
    /// or for vendors that enforce single use elsewhere.
    pub fn dangerous_disable_replay_guard(mut self) -> Self {
        self.replay = None;
        self.replay_disabled = true;
        self
    }

    /// The clock (tests inject a [`FixedClock`](crate::FixedClock)).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the verifier and makes sure a crypto provider is installed.
    pub fn build(self) -> Result<Verifier, VerifierConfigError> {
        let keys = self.keys.ok_or(VerifierConfigError::NoKeys)?;
        if self.leeway > self.leeway_max {
            return Err(VerifierConfigError::LeewayTooLarge {
                seconds: self.leeway.as_secs(),
                max: self.leeway_max.as_secs(),
            });
        }
        if !MAX_TOKEN_LEN_RANGE.contains(&self.max_len) {
            return Err(VerifierConfigError::MaxTokenLength {
                len: self.max_len,
                min: *MAX_TOKEN_LEN_RANGE.start(),
                max: *MAX_TOKEN_LEN_RANGE.end(),
            });
        }
        let replay = match (self.replay, self.replay_disabled) {
            (_, true) => None,
            (Some(guard), false) => Some(guard),
            (None, false) => Some(Arc::new(InMemoryReplayGuard::new()) as Arc<dyn ReplayGuard>),
        };
        Ok(Verifier {
            issuer: self.issuer,
            plugin: self.plugin,
            keys,
            // At most MAX_LEEWAY, so the cast cannot truncate.
            leeway: self.leeway.as_secs() as i64,
            max_len: self.max_len,
            replay,
            clock: self.clock,
        })
    }
}

impl Verifier {
    /// Starts configuring a verifier that accepts tokens of `issuer` for `plugin`.
    ///
    /// Defaults: 30 s leeway, 4 KiB maximum length, an in-memory replay guard, the system clock.
    /// A key set or key cache is required.
    pub fn builder(issuer: IssuerId, plugin: PluginId) -> VerifierBuilder {
        VerifierBuilder {
            issuer,
            plugin,
            keys: None,
            leeway: DEFAULT_LEEWAY,
            leeway_max: DEFAULT_LEEWAY,
            max_len: DEFAULT_MAX_TOKEN_LEN,
            replay: None,
            replay_disabled: false,
            clock: Arc::new(SystemClock),
        }
    }

    /// Verifies `token` and, if every check passes, consumes its single use and returns its claims.
    pub fn verify(&self, token: &str) -> Result<LaunchClaims, VerifyError> {
        let now = self.clock.now_unix();
        let claims = self.check(token, now)?;
        if let Some(guard) = &self.replay {
            guard.check_and_insert(&ReplayEntry {
                issuer: claims.iss.as_str(),
                audience: claims.aud.as_str(),
                jti: claims.jti.as_str(),
                expires_at: claims.exp.saturating_add(self.leeway),
                now,
            })?;
        }
        Ok(claims)
    }

    fn check(&self, token: &str, now: i64) -> Result<LaunchClaims, VerifyError> {
        if token.len() > self.max_len {
            return Err(VerifyError::TooLarge {
                len: token.len(),
                max: self.max_len,
            });
        }
        let parts = split(token)?;
        let header_bytes = decode_segment(parts.header, Segment::Header)?;
        let payload_bytes = decode_segment(parts.payload, Segment::Payload)?;
        let signature = decode_segment(parts.signature, Segment::Signature)?;

        let header = parse_header(&header_bytes)?;
        let key_set;
        let key = match &self.keys {
            Keys::Set(set) => set.get(&header.kid),
            Keys::Cache(cache) => {
                key_set = cache.key_set_for(&header.kid)?;
                key_set.get(&header.kid)
            }
        }
        .ok_or_else(|| VerifyError::UnknownKid {
            kid: Quoted::new(&header.kid),
        })?;
        check_signature(key, header.alg, parts.signing_input, &signature)?;
        let claims = parse_claims(&payload_bytes)?;
        self.check_claims(claims, now)
    }

    fn check_claims(&self, raw: RawClaims<'_>, now: i64) -> Result<LaunchClaims, VerifyError> {
        let iss = raw.iss.string("iss")?;
        let aud = raw.aud.string("aud")?;
        let sub = raw.sub.string("sub")?;
        let role = raw.role.string("role")?;
        let iat = raw.iat.time("iat")?;
        let nbf = raw.nbf.time("nbf")?;
        let exp = raw.exp.time("exp")?;
        let jti = raw.jti.string("jti")?;

        let role = Role::from_wire(&role).ok_or(VerifyError::UnknownRole)?;
        if iss != self.issuer.as_str() {
            return Err(VerifyError::WrongIssuer);
        }
        if aud != self.plugin.as_str() {
            return Err(VerifyError::WrongAudience);
        }
        let sub = SubjectId::new(sub).map_err(|_| VerifyError::InvalidClaim { claim: "sub" })?;
        let jti = TokenId::parse(&jti).ok_or(VerifyError::InvalidClaim { claim: "jti" })?;
        if exp <= iat {
            return Err(VerifyError::InvalidClaim { claim: "exp" });
        }
        if exp - iat > MAX_LIFETIME_SECS {
            return Err(VerifyError::LifetimeTooLong {
                lifetime: exp - iat,
                max: MAX_LIFETIME_SECS,
            });
        }
        let leeway = self.leeway;
        // Claim times are bounded to [0, MAX_TIMESTAMP]; the clock is not, so saturate.
        let horizon = now.saturating_add(leeway);
        if iat > horizon {
            return Err(VerifyError::IssuedInFuture {
                seconds_ahead: iat.saturating_sub(now),
                leeway,
            });
        }
        if nbf > horizon {
            return Err(VerifyError::NotYetValid {
                seconds_ahead: nbf.saturating_sub(now),
                leeway,
            });
        }
        if now >= exp + leeway {
            return Err(VerifyError::Expired {
                seconds_ago: now.saturating_sub(exp),
                leeway,
            });
        }
        Ok(LaunchClaims {
            iss: self.issuer.clone(),
            aud: self.plugin.clone(),
            sub,
            role,
            iat,
            nbf,
            exp,
            jti,
        })
    }
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("issuer", &self.issuer)
            .field("plugin", &self.plugin)
            .field("has_keys", &self.keys.is_some())
            .field("leeway", &self.leeway)
            .field("max_len", &self.max_len)
            .field("replay_disabled", &self.replay_disabled)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.issuer)
            .field("plugin", &self.plugin)
            .field("leeway", &self.leeway)
            .field("max_len", &self.max_len)
            .field("single_use", &self.replay.is_some())
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

/// Checks the signature through jsonwebtoken's process-wide provider, with the algorithm pinned
/// to the key.
///
/// This is what `jsonwebtoken::crypto::verify` does, minus its second base64 decoding of the
/// signature (already decoded, strictly, in check 3) and its panic when no provider is installed
/// (the verifier's builder installs one; if none were there the token would be refused). The
/// provider's verifier factory still runs per call: its `Box<dyn JwtVerifier>` is neither `Send`
/// nor `Sync`, so a shared verifier cannot keep one.
fn check_signature(
    key: &PublicKey,
    alg: Algorithm,
    signing_input: &str,
    signature: &Vec<u8>,
) -> Result<(), VerifyError> {
    if alg != key.algorithm() {
        return Err(VerifyError::AlgMismatch {
            expected: key.algorithm().as_str(),
            found: alg.as_str(),
        });
    }
    // Both algorithms have 64-byte signatures (ES256 is raw r || s, never DER).
    if signature.len() != 64 {
        return Err(VerifyError::BadSignature);
    }
    if crate::provider::verify_signature(alg, key, signing_input.as_bytes(), signature) {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

/// A JSON value reduced to what the checks need: a string, an integer, or anything else.
///
/// Strings borrow from the decoded segment unless they contain escapes, so reading a token
/// allocates only for the values the verified claims keep.
enum Json<'de> {
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
enum Member<'de> {
    #[default]
    Missing,
    Present(Json<'de>),
}

impl<'de> Member<'de> {
    fn string(self, claim: &'static str) -> Result<Cow<'de, str>, VerifyError> {
        match self {
            Member::Missing => Err(VerifyError::MissingClaim { claim }),
            Member::Present(Json::Str(s)) => Ok(s),
            Member::Present(_) => Err(VerifyError::InvalidClaim { claim }),
        }
    }

    fn time(self, claim: &'static str) -> Result<i64, VerifyError> {
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
            name: Quoted::new(name),
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
        Member::Present(Json::Str(name)) => match Algorithm::from_jose(name) {
            Some(alg) => alg,
            None if name.eq_ignore_ascii_case("none") => return Err(VerifyError::AlgNone),
            None => {
                return Err(VerifyError::UnsupportedAlg {
                    alg: Quoted::new(name),
                });
            }
        },
        Member::Present(_) | Member::Missing => {
            return Err(VerifyError::UnsupportedAlg {
                alg: Quoted::new(""),
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
                found: Quoted::new(&typ),
            });
        }
        Member::Present(_) => {
            return Err(VerifyError::WrongTyp {
                found: Quoted::new("(not a string)"),
            });
        }
    }
    let kid = match raw.kid {
        Member::Missing => return Err(VerifyError::MissingKid),
        Member::Present(Json::Str(kid)) => kid,
        Member::Present(_) => {
            return Err(VerifyError::UnknownKid {
                kid: Quoted::new("(not a string)"),
            });
        }
    };
    Ok(Header { alg, kid })
}

#[derive(Default)]
struct RawClaims<'de> {
    iss: Member<'de>,
    aud: Member<'de>,
    sub: Member<'de>,
    role: Member<'de>,
    iat: Member<'de>,
    nbf: Member<'de>,
    exp: Member<'de>,
    jti: Member<'de>,
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

fn parse_claims(bytes: &[u8]) -> Result<RawClaims<'_>, VerifyError> {
    let mut raw: RawClaims<'_> = read_segment(bytes)?;
    match raw.problem.take() {
        Some(problem) => Err(problem),
        None => Ok(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::keys::SigningKey;

    const NOW: i64 = 1_764_288_000;
    const ISSUER: &str = "https://portal.construtora.com.br";

    /// Signs raw header and claims JSON, as an attacker or another implementation might write it.
    fn token(key: &SigningKey, header: &str, claims: &str) -> String {
        let mut token = b64::encode(header.as_bytes());
        token.push('.');
        b64::encode_into(claims.as_bytes(), &mut token);
        let signature = key.sign(token.as_bytes()).unwrap();
        token.push('.');
        b64::encode_into(&signature, &mut token);
        token
    }

    fn verifier(key: &SigningKey) -> Verifier {
        Verifier::builder(
            IssuerId::new(ISSUER).unwrap(),
            "financeiro".parse().unwrap(),
        )
        .key_set(KeySet::new([key.public_key()]).unwrap())
        .clock(Arc::new(FixedClock::new(NOW)))
        .build()
        .unwrap()
    }

    fn claims(sub: &str, jti: &str) -> String {
        format!(
            r#"{{"iss":"https:\/\/portal.construtora.com.br","aud":"financeiro","sub":"{sub}","role":"cliente","iat":{NOW},"nbf":{NOW},"exp":{},"jti":"{jti}"}}"#,
            NOW + 300
        )
    }

    #[test]
    fn escaped_strings_are_read_like_plain_ones() {
        // JSON escapes take the owned-string path of the parser; plain strings are borrowed.
        for alg in [Algorithm::EdDSA, Algorithm::ES256] {
            let key = SigningKey::generate(alg).unwrap();
            let verifier = verifier(&key);
            let header = format!(
                r#"{{"alg":"{alg}","typ":"cv-plugin-launch\u002bjwt","kid":"{}"}}"#,
                key.kid()
            );
            let escaped = token(
                &key,
                &header,
                &claims(r"48\u00321\u0033", r"AAAAAAAAAAAAAAAAAAAA\u0041A"),
            );
            let verified = verifier.verify(&escaped).unwrap();
            assert_eq!(verified.subject().as_str(), "48213");
            assert_eq!(verified.token_id().as_str(), "AAAAAAAAAAAAAAAAAAAAAA");
            assert_eq!(verified.issuer().as_str(), ISSUER);

            // An escaped member name is the same member: a repeat is still a repeat.
            let repeated = claims("48213", "BBBBBBBBBBBBBBBBBBBBBB").replace(
                r#""role":"cliente""#,
                r#""role":"cliente","s\u0075b":"48213""#,
            );
            let error = verifier
                .verify(&token(&key, &header, &repeated))
                .unwrap_err();
            assert_eq!(error.code(), "duplicate_member");

            // An escaped typ that decodes to another value is still the wrong typ.
            let wrong = header.replace(r"\u002b", r"\u002d");
            let error = verifier
                .verify(&token(
                    &key,
                    &wrong,
                    &claims("48213", "CCCCCCCCCCCCCCCCCCCCCC"),
                ))
                .unwrap_err();
            assert_eq!(error.code(), "wrong_typ");
        }
    }

    #[test]
    fn a_signature_of_another_key_or_length_is_bad_signature() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap();
        let other = SigningKey::generate(Algorithm::ES256).unwrap();
        let verifier = verifier(&key);
        let header = format!(
            r#"{{"alg":"ES256","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
            key.kid()
        );
        let good = token(&key, &header, &claims("48213", "DDDDDDDDDDDDDDDDDDDDDD"));
        let (input, _) = good.rsplit_once('.').unwrap();
        let forged = token(&other, &header, &claims("48213", "DDDDDDDDDDDDDDDDDDDDDD"));
        let (_, forged_signature) = forged.rsplit_once('.').unwrap();
        for signature in [forged_signature.to_owned(), b64::encode(&[0u8; 63])] {
            let error = verifier
                .verify(&format!("{input}.{signature}"))
                .unwrap_err();
            assert_eq!(error.code(), "bad_signature");
        }
        assert!(verifier.verify(&good).is_ok());
    }
}
