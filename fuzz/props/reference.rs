//! PROTOCOL.md §6 read again, independently of the crate: its own base64url decoder, its own
//! member bookkeeping, the checks in the protocol's order. Only the JSON tokenizer (serde_json) is
//! shared, read the same way the crate reads it (known members as values, others skipped).
//!
//! [`evaluate`] says whether a token must verify and, if not, which errors the crate may report:
//! those of the first failing step, where a step groups the checks whose relative order the
//! protocol leaves open (the header members of checks 4–8; the base64 of the three segments; the
//! types of the eight claims). [`assert_agrees`] compares the crate's answer with it.

use std::fmt;

use cv_portal_plugin::verify::Segment;
use cv_portal_plugin::{Algorithm, LaunchClaims, VerifyError};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The launch-token `typ`.
pub const TYP: &str = "cv-plugin-launch+jwt";
/// The largest time a claim may carry (9999-12-31T23:59:59Z).
pub const MAX_TIME: i64 = 253_402_300_799;
/// The longest lifetime, `exp - iat`.
pub const MAX_LIFETIME: i64 = 3600;

const HEADER_MEMBERS: &[&str] = &["alg", "typ", "kid"];
const CLAIMS: &[&str] = &["iss", "aud", "sub", "role", "iat", "nbf", "exp", "jti"];
const TIMES: &[&str] = &["iat", "nbf", "exp"];

/// Looks up the algorithm of the published key with a kid.
pub type KeyLookup<'a> = &'a dyn Fn(&str) -> Option<Algorithm>;
/// Says whether a signature (third argument) signs an input (second) for a kid (first).
pub type SignatureCheck<'a> = &'a dyn Fn(&str, &[u8], &[u8]) -> bool;

/// What the verifier is configured with.
pub struct Rules<'a> {
    /// Expected `iss`.
    pub issuer: &'a str,
    /// Expected `aud`.
    pub plugin: &'a str,
    /// The verifier's clock.
    pub now: i64,
    /// The leeway, in seconds.
    pub leeway: i64,
    /// The maximum token length.
    pub max_len: usize,
    /// The algorithm of the published key with this kid, if there is one.
    pub key: KeyLookup<'a>,
    /// Whether `signature` signs `input` for the key `kid` with that key's algorithm.
    pub signature_ok: SignatureCheck<'a>,
}

/// The claims of an acceptable token.
#[derive(Debug, PartialEq, Eq)]
pub struct Claims {
    /// `iss`.
    pub iss: String,
    /// `aud`.
    pub aud: String,
    /// `sub`.
    pub sub: String,
    /// `role`.
    pub role: String,
    /// `iat`.
    pub iat: i64,
    /// `nbf`.
    pub nbf: i64,
    /// `exp`.
    pub exp: i64,
    /// `jti`.
    pub jti: String,
}

impl Claims {
    fn of(claims: &LaunchClaims) -> Claims {
        Claims {
            iss: claims.issuer().as_str().to_owned(),
            aud: claims.plugin().as_str().to_owned(),
            sub: claims.subject().as_str().to_owned(),
            role: claims.role().as_str().to_owned(),
            iat: claims.issued_at(),
            nbf: claims.not_before(),
            exp: claims.expires_at(),
            jti: claims.token_id().as_str().to_owned(),
        }
    }
}

/// An error the crate may report for a rejected token.
#[derive(Debug)]
pub enum Allowed {
    /// Exactly this error (time errors carry the measured difference).
    Exact(VerifyError),
    /// Any error with this code.
    Code(&'static str),
    /// `missing_claim` or `invalid_claim` naming this claim.
    Claim(&'static str, &'static str),
    /// `non_canonical_base64` for this segment.
    NonCanonical(Segment),
    /// `duplicate_member` for this segment and member.
    Duplicate(Segment, &'static str),
    /// `forbidden_header` quoting this name.
    ForbiddenHeader(String),
    /// `unsupported_alg` quoting this value.
    UnsupportedAlg(String),
    /// `wrong_typ` quoting this value.
    WrongTyp(String),
    /// `unknown_kid` quoting this value.
    UnknownKid(String),
}

impl Allowed {
    /// The error code this entry stands for.
    pub fn code(&self) -> &'static str {
        match self {
            Allowed::Exact(error) => error.code(),
            Allowed::Code(code) => code,
            Allowed::Claim(code, _) => code,
            Allowed::NonCanonical(_) => "non_canonical_base64",
            Allowed::Duplicate(..) => "duplicate_member",
            Allowed::ForbiddenHeader(_) => "forbidden_header",
            Allowed::UnsupportedAlg(_) => "unsupported_alg",
            Allowed::WrongTyp(_) => "wrong_typ",
            Allowed::UnknownKid(_) => "unknown_kid",
        }
    }

    /// Whether `error` is this one.
    pub fn matches(&self, error: &VerifyError) -> bool {
        match (self, error) {
            (Allowed::Exact(expected), error) => expected == error,
            (Allowed::Code(code), error) => error.code() == *code,
            (Allowed::Claim("missing_claim", name), VerifyError::MissingClaim { claim }) => {
                claim == name
            }
            (Allowed::Claim("invalid_claim", name), VerifyError::InvalidClaim { claim }) => {
                claim == name
            }
            (Allowed::NonCanonical(s), VerifyError::NonCanonicalBase64 { segment }) => s == segment,
            (Allowed::Duplicate(s, name), VerifyError::DuplicateMember { segment, member }) => {
                s == segment && name == member
            }
            (Allowed::ForbiddenHeader(q), VerifyError::ForbiddenHeader { name }) => {
                q == name.as_str()
            }
            (Allowed::UnsupportedAlg(q), VerifyError::UnsupportedAlg { alg }) => q == alg.as_str(),
            (Allowed::WrongTyp(q), VerifyError::WrongTyp { found }) => q == found.as_str(),
            (Allowed::UnknownKid(q), VerifyError::UnknownKid { kid }) => q == kid.as_str(),
            _ => false,
        }
    }
}

/// The verdict of [`evaluate`].
#[derive(Debug)]
pub enum Outcome {
    /// Every check passes (single use aside).
    Accept(Claims),
    /// The token fails at `step`; the crate must report one of `allowed`.
    Reject {
        /// The §6 step that fails first.
        step: &'static str,
        /// The errors the crate may report.
        allowed: Vec<Allowed>,
    },
}

fn reject(step: &'static str, allowed: Vec<Allowed>) -> Outcome {
    Outcome::Reject { step, allowed }
}

/// How error messages quote untrusted text: 32 printable ASCII characters, `?` for the others,
/// `…` when cut.
pub fn quoted(raw: &str) -> String {
    // The crate's docs: protocol values are shown in at most 64 units, head and tail around "…",
    // every character but printable ASCII written as its code point, \u{hex}.
    let units: Vec<String> = raw
        .chars()
        .map(|c| {
            if (' '..='~').contains(&c) {
                c.to_string()
            } else {
                format!("\\u{{{:x}}}", c as u32)
            }
        })
        .collect();
    if units.len() <= 64 {
        return units.concat();
    }
    format!(
        "{}…{}",
        units[..32].concat(),
        units[units.len() - 31..].concat()
    )
}

/// Canonical unpadded base64url, decoded by hand: the alphabet only, no length of 1 mod 4, and
/// zero unused bits in the last character.
pub fn canonical_base64url(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        }))
    }
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (acc == 0).then_some(out)
}

/// A member value as the checks need it.
#[derive(Debug, Clone, PartialEq)]
enum J {
    Str(String),
    Int(i64),
    Other,
}

impl<'de> de::Deserialize<'de> for J {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = J;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_str<E>(self, v: &str) -> Result<J, E> {
                Ok(J::Str(v.to_owned()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<J, E> {
                Ok(J::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<J, E> {
                Ok(i64::try_from(v).map_or(J::Other, J::Int))
            }
            fn visit_f64<E>(self, _: f64) -> Result<J, E> {
                Ok(J::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<J, E> {
                Ok(J::Other)
            }
            fn visit_unit<E>(self) -> Result<J, E> {
                Ok(J::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(J::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(J::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON object's members in order, repeats kept; values only for the `known` names.
struct Members(Vec<(String, Option<J>)>);

impl Members {
    fn parse(bytes: &[u8], known: &'static [&'static str]) -> Option<Members> {
        struct Seed(&'static [&'static str]);
        impl<'de> DeserializeSeed<'de> for Seed {
            type Value = Members;
            fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Members, D::Error> {
                d.deserialize_map(self)
            }
        }
        impl<'de> Visitor<'de> for Seed {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    if self.0.contains(&name.as_str()) {
                        members.push((name, Some(map.next_value::<J>()?)));
                    } else {
                        map.next_value::<IgnoredAny>()?;
                        members.push((name, None));
                    }
                }
                Ok(Members(members))
            }
        }
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let members = Seed(known).deserialize(&mut deserializer).ok()?;
        deserializer.end().ok()?;
        Some(members)
    }

    /// Every value of member `name`, in order.
    fn all(&self, name: &str) -> Vec<&J> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| v.as_ref())
            .collect()
    }

    /// Known names that appear more than once.
    fn repeated(&self, known: &'static [&'static str]) -> Vec<&'static str> {
        known
            .iter()
            .copied()
            .filter(|name| self.all(name).len() > 1)
            .collect()
    }
}

/// What PROTOCOL.md §6 says about `token` under `rules` (checks 1 to 20).
pub fn evaluate(token: &str, rules: &Rules<'_>) -> Outcome {
    use Allowed::*;
    // 1. Size.
    if token.len() > rules.max_len {
        return reject(
            "1 size",
            vec![Exact(VerifyError::TooLarge {
                len: token.len(),
                max: rules.max_len,
            })],
        );
    }
    // 2. Three segments.
    let segments: Vec<&str> = token.split('.').collect();
    let [header_b64, claims_b64, signature_b64] = segments[..] else {
        return reject("2 shape", vec![Code("malformed")]);
    };
    // 3. Canonical base64url, each segment.
    let decoded = [
        (Segment::Header, canonical_base64url(header_b64)),
        (Segment::Payload, canonical_base64url(claims_b64)),
        (Segment::Signature, canonical_base64url(signature_b64)),
    ];
    let bad: Vec<Allowed> = decoded
        .iter()
        .filter(|(_, bytes)| bytes.is_none())
        .map(|(segment, _)| NonCanonical(*segment))
        .collect();
    if !bad.is_empty() {
        return reject("3 base64url", bad);
    }
    let [(_, Some(header)), (_, Some(claims)), (_, Some(signature))] = decoded else {
        unreachable!("all three decoded");
    };

    // 4. A JSON object (UTF-8, §2, also inside values the crate skips)...
    let utf8 = |bytes: &[u8]| std::str::from_utf8(bytes).is_ok();
    let header = Some(header).filter(|h| utf8(h));
    let Some(header) = header.and_then(|h| Members::parse(&h, HEADER_MEMBERS)) else {
        return reject("4 header JSON", vec![Code("malformed")]);
    };
    // 4-8. ...whose members are each allowed, present once, of the right value.
    let mut bad = Vec::new();
    for name in header.repeated(HEADER_MEMBERS) {
        bad.push(Duplicate(Segment::Header, name));
    }
    let algs = header.all("alg");
    if algs.is_empty() {
        bad.push(UnsupportedAlg(String::new()));
    }
    for alg in &algs {
        match alg {
            J::Str(a) if a.parse::<Algorithm>().is_ok() => {}
            J::Str(a) if a.eq_ignore_ascii_case("none") => bad.push(Code("alg_none")),
            J::Str(a) => bad.push(UnsupportedAlg(quoted(a))),
            _ => bad.push(UnsupportedAlg(String::new())),
        }
    }
    for (name, _) in header.0.iter().filter(|(_, v)| v.is_none()) {
        bad.push(ForbiddenHeader(quoted(name)));
    }
    let typs = header.all("typ");
    if typs.is_empty() {
        bad.push(Code("missing_typ"));
    }
    for typ in &typs {
        match typ {
            J::Str(t) if t == TYP => {}
            J::Str(t) => bad.push(WrongTyp(quoted(t))),
            _ => bad.push(WrongTyp("(not a string)".to_owned())),
        }
    }
    let kids = header.all("kid");
    if kids.is_empty() {
        bad.push(Code("missing_kid"));
    }
    for kid in &kids {
        if !matches!(kid, J::Str(_)) {
            bad.push(UnknownKid("(not a string)".to_owned()));
        }
    }
    if !bad.is_empty() {
        return reject("4-8 header members", bad);
    }
    let (J::Str(alg), J::Str(kid)) = (algs[0], kids[0]) else {
        unreachable!("checked above");
    };
    let alg = alg.parse::<Algorithm>().expect("checked above");
    // 8. The kid names a published key.
    let Some(key_alg) = (rules.key)(kid) else {
        return reject("8 kid", vec![UnknownKid(quoted(kid))]);
    };
    // 9. The key's algorithm, not the header's choice.
    if key_alg != alg {
        return reject(
            "9 alg",
            vec![Exact(VerifyError::AlgMismatch {
                expected: key_alg.as_str(),
                found: alg.as_str(),
            })],
        );
    }
    // 10. The signature over the first two segments as received.
    let input = &token[..header_b64.len() + 1 + claims_b64.len()];
    if signature.len() != 64 || !(rules.signature_ok)(kid, input.as_bytes(), &signature) {
        return reject("10 signature", vec![Code("bad_signature")]);
    }

    // 11. A JSON object (UTF-8, §2) without repeated members.
    let claims = Some(claims).filter(|c| utf8(c));
    let Some(claims) = claims.and_then(|c| Members::parse(&c, CLAIMS)) else {
        return reject("11 claims JSON", vec![Code("malformed")]);
    };
    let repeated = claims.repeated(CLAIMS);
    if !repeated.is_empty() {
        return reject(
            "11 repeated claims",
            repeated
                .into_iter()
                .map(|name| Duplicate(Segment::Payload, name))
                .collect(),
        );
    }
    // 12. Every claim, with its type and range.
    let mut bad = Vec::new();
    for &name in CLAIMS {
        match (claims.all(name).first(), TIMES.contains(&name)) {
            (None, _) => bad.push(Claim("missing_claim", name)),
            (Some(J::Int(t)), true) if (0..=MAX_TIME).contains(t) => {}
            (Some(J::Str(_)), false) => {}
            _ => bad.push(Claim("invalid_claim", name)),
        }
    }
    if !bad.is_empty() {
        return reject("12 claim types", bad);
    }
    let text = |name| match claims.all(name)[0] {
        J::Str(s) => s.clone(),
        _ => unreachable!("checked above"),
    };
    let time = |name| match claims.all(name)[0] {
        J::Int(t) => *t,
        _ => unreachable!("checked above"),
    };
    let (iss, aud, sub, role, jti) = (
        text("iss"),
        text("aud"),
        text("sub"),
        text("role"),
        text("jti"),
    );
    let (iat, nbf, exp) = (time("iat"), time("nbf"), time("exp"));
    // 13-15.
    if !["cliente", "sindico", "gestor"].contains(&role.as_str()) {
        return reject("13 role", vec![Code("unknown_role")]);
    }
    if iss != rules.issuer {
        return reject("14 iss", vec![Code("wrong_issuer")]);
    }
    if aud != rules.plugin {
        return reject("15 aud", vec![Code("wrong_audience")]);
    }
    // 16. Formats, and exp after iat.
    let mut bad = Vec::new();
    let sub_ok = (1..=128).contains(&sub.len())
        && sub
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    if !sub_ok {
        bad.push(Claim("invalid_claim", "sub"));
    }
    let jti_ok = (16..=128).contains(&jti.len())
        && jti
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
    if !jti_ok {
        bad.push(Claim("invalid_claim", "jti"));
    }
    if exp <= iat {
        bad.push(Claim("invalid_claim", "exp"));
    }
    if !bad.is_empty() {
        return reject("16 formats", bad);
    }
    // 17-20.
    let (now, leeway) = (rules.now, rules.leeway);
    if exp - iat > MAX_LIFETIME {
        return reject(
            "17 lifetime",
            vec![Exact(VerifyError::LifetimeTooLong {
                lifetime: exp - iat,
                max: MAX_LIFETIME,
            })],
        );
    }
    if iat > now + leeway {
        return reject(
            "18 iat",
            vec![Exact(VerifyError::IssuedInFuture {
                seconds_ahead: iat - now,
                leeway,
            })],
        );
    }
    if nbf > now + leeway {
        return reject(
            "19 nbf",
            vec![Exact(VerifyError::NotYetValid {
                seconds_ahead: nbf - now,
                leeway,
            })],
        );
    }
    if now >= exp + leeway {
        return reject(
            "20 exp",
            vec![Exact(VerifyError::Expired {
                seconds_ago: now - exp,
                leeway,
            })],
        );
    }
    Outcome::Accept(Claims {
        iss,
        aud,
        sub,
        role,
        iat,
        nbf,
        exp,
        jti,
    })
}

/// Panics unless the crate's answer `got` is one the protocol allows (`expected`).
pub fn assert_agrees(token: &str, got: &Result<LaunchClaims, VerifyError>, expected: &Outcome) {
    let shown: String = token.chars().take(120).collect();
    match (got, expected) {
        (Ok(claims), Outcome::Accept(want)) => {
            assert_eq!(&Claims::of(claims), want, "claims of {shown:?}")
        }
        (Ok(_), Outcome::Reject { step, allowed }) => {
            panic!("accepted a token that fails §6 step {step} ({allowed:?}): {shown:?}")
        }
        (Err(error), Outcome::Accept(_)) => {
            panic!("refused a valid token with {error:?}: {shown:?}")
        }
        (Err(error), Outcome::Reject { step, allowed }) => assert!(
            allowed.iter().any(|a| a.matches(error)),
            "got {error:?}, but the first failing §6 step is {step}, allowing {allowed:?}: {shown:?}"
        ),
    }
}
