//! The hostile-token suite: tokens an attacker would try, each with the exact error code the
//! verifier must answer (PROTOCOL.md §6), none allowed to panic or to quote the signature back.
//!
//! Keys are the fixed TEST keys of the conformance vectors (RFC 8037 §A.1, RFC 7515 §A.3), so a
//! failing case can be reproduced byte for byte (ECDSA signatures aside).
//!
//! Every case is also a conformance vector (vectors/launch-tokens.json), which PyJWT, jose and
//! vendors check, unless `SHARED` at the end says why it cannot be one; a new case must be added
//! to `SHARED` (and, usually, to the vector generator in tests/vectors.rs).

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use cv_portal_plugin::{Algorithm, KeySet, SigningKey, Verifier};

const TYP: &str = "cv-plugin-launch+jwt";

struct Keys {
    ed: SigningKey,
    p256: SigningKey,
    /// Ed25519, not published.
    stranger: SigningKey,
    published: KeySet,
}

fn keys() -> Keys {
    let ed = test_key(Algorithm::EdDSA);
    let p256 = test_key(Algorithm::ES256);
    let published = KeySet::new([ed.public_key(), p256.public_key()]).unwrap();
    Keys {
        ed,
        p256,
        stranger: SigningKey::generate(Algorithm::EdDSA).unwrap(),
        published,
    }
}

fn verifier_with_max_len(keys: &Keys, max_len: usize) -> Verifier {
    let builder = Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
        .key_set(keys.published.clone())
        .clock(clock())
        .replay_guard(std::sync::Arc::new(
            cv_portal_plugin::InMemoryReplayGuard::new(),
        ));
    if max_len > 4096 {
        builder.dangerous_max_token_len(max_len)
    } else {
        builder.max_token_len(max_len)
    }
    .build()
    .unwrap()
}

fn header_json(alg: &str, kid: &str) -> String {
    format!(r#"{{"alg":"{alg}","typ":"{TYP}","kid":"{kid}"}}"#)
}

/// A token over already encoded segments, signed as sent.
fn sign_segments(key: &SigningKey, header_b64: &str, claims_b64: &str) -> String {
    let input = format!("{header_b64}.{claims_b64}");
    format!("{input}.{}", b64(&sign_raw(key, input.as_bytes())))
}

/// The token with `f` applied to its signature segment.
fn with_signature(token: &str, f: impl Fn(&str) -> String) -> String {
    let (input, signature) = token.rsplit_once('.').unwrap();
    format!("{input}.{}", f(signature))
}

/// Replaces the claims text of `token` (signature kept).
fn with_claims_segment(token: &str, claims: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = b64(claims.as_bytes());
    parts.join(".")
}

fn hmac_token(alg: &str, kid: &str, secret: &[u8], claims: &str) -> String {
    let algorithm = match alg {
        "HS256" => ring::hmac::HMAC_SHA256,
        _ => ring::hmac::HMAC_SHA512,
    };
    let input = format!(
        "{}.{}",
        b64(header_json(alg, kid).as_bytes()),
        b64(claims.as_bytes())
    );
    let tag = ring::hmac::sign(&ring::hmac::Key::new(algorithm, secret), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// A raw ECDSA `r || s` signature as DER.
fn der_from_raw(raw: &[u8]) -> Vec<u8> {
    fn integer(bytes: &[u8]) -> Vec<u8> {
        let start = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        let mut value = bytes[start..].to_vec();
        if value[0] & 0x80 != 0 {
            value.insert(0, 0);
        }
        [vec![0x02, value.len() as u8], value].concat()
    }
    let body = [integer(&raw[..32]), integer(&raw[32..])].concat();
    [vec![0x30, body.len() as u8], body].concat()
}

/// `"[[[...]]]"` nested `depth` deep.
fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// The first token, padded with an unknown claim 2600, 2601, ... characters long, whose length
/// satisfies `stop`.
fn padded_to(key: &SigningKey, mut stop: impl FnMut(usize) -> bool) -> String {
    (2600..4000)
        .map(|n| {
            forge(
                key,
                &header_json("EdDSA", key.kid()),
                &claims_with(&format!(r#""pad":"{}""#, "x".repeat(n))),
            )
        })
        .find(|t| stop(t.len()))
        .unwrap()
}

struct Case {
    name: &'static str,
    code: &'static str,
    token: String,
    /// The verifier's maximum length (default 4096).
    max_len: usize,
}

fn case(name: &'static str, code: &'static str, token: String) -> Case {
    Case {
        name,
        code,
        token,
        max_len: 4096,
    }
}

fn cases(k: &Keys) -> Vec<Case> {
    let (ed, p256) = (&k.ed, &k.p256);
    let (ed_kid, p256_kid) = (ed.kid(), p256.kid());
    let ok = claims(1);
    let ed_header = header_json("EdDSA", ed_kid);
    let good = forge(ed, &ed_header, &ok);
    let good_es256 = forge(p256, &header_json("ES256", p256_kid), &ok);
    let (good_header_b64, good_claims_b64) = {
        let mut parts = good.split('.');
        (
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
        )
    };
    let header_with = |extra: &str| {
        forge(
            ed,
            &format!(r#"{{"alg":"EdDSA","typ":"{TYP}","kid":"{ed_kid}",{extra}}}"#),
            &ok,
        )
    };
    let with_header = |header: &str| forge(ed, header, &ok);
    let with_claims = |claims: &str| forge(ed, &ed_header, claims);
    let unsigned = |alg: &str| {
        format!(
            "{}.{good_claims_b64}.",
            b64(header_json(alg, ed_kid).as_bytes())
        )
    };
    // Deterministic Ed25519: find a token whose signature uses '-' or '_', so that the standard
    // alphabet spells it differently.
    let url_safe_signature = (2..)
        .map(|n| forge(ed, &ed_header, &claims(n)))
        .find(|t| t.rsplit('.').next().unwrap().contains(['-', '_']))
        .unwrap();
    let raw_es256 = URL_SAFE_NO_PAD
        .decode(good_es256.rsplit('.').next().unwrap())
        .unwrap();
    let megabyte = "A".repeat(1 << 20);
    let just_over = padded_to(ed, |len| len > 4096);

    let mut cases = vec![
        // §6 check 5: alg none, in any case; HMAC and RSA are never accepted.
        case("alg none", "alg_none", unsigned("none")),
        case("alg None", "alg_none", unsigned("None")),
        case("alg NONE", "alg_none", unsigned("NONE")),
        case(
            "alg nOnE with a real signature",
            "alg_none",
            forge(ed, &header_json("nOnE", ed_kid), &ok),
        ),
        case(
            "HS256 keyed with the raw Ed25519 public key",
            "unsupported_alg",
            hmac_token("HS256", ed_kid, ed.public_key().as_bytes(), &ok),
        ),
        case(
            "HS256 keyed with the public JWK text",
            "unsupported_alg",
            hmac_token(
                "HS256",
                p256_kid,
                p256.public_key().to_jwk().as_bytes(),
                &ok,
            ),
        ),
        case(
            "HS512 keyed with the JWKS document",
            "unsupported_alg",
            hmac_token("HS512", ed_kid, k.published.to_jwks_json().as_bytes(), &ok),
        ),
        case(
            "RS256",
            "unsupported_alg",
            with_header(&header_json("RS256", ed_kid)),
        ),
        case(
            "PS256",
            "unsupported_alg",
            with_header(&header_json("PS256", ed_kid)),
        ),
        case(
            "alg eddsa in lower case",
            "unsupported_alg",
            with_header(&header_json("eddsa", ed_kid)),
        ),
        case(
            "alg Ed25519 (the fully specified name)",
            "unsupported_alg",
            with_header(&header_json("Ed25519", ed_kid)),
        ),
        case(
            "alg missing",
            "unsupported_alg",
            with_header(&format!(r#"{{"typ":"{TYP}","kid":"{ed_kid}"}}"#)),
        ),
        case(
            "alg a number",
            "unsupported_alg",
            with_header(&format!(r#"{{"alg":1,"typ":"{TYP}","kid":"{ed_kid}"}}"#)),
        ),
        case(
            "alg null",
            "unsupported_alg",
            with_header(&format!(r#"{{"alg":null,"typ":"{TYP}","kid":"{ed_kid}"}}"#)),
        ),
        // Check 9: the key's algorithm, never the header's.
        case(
            "ES256 header on the Ed25519 key",
            "alg_mismatch",
            forge(p256, &header_json("ES256", ed_kid), &ok),
        ),
        case(
            "EdDSA header on the P-256 key",
            "alg_mismatch",
            forge(ed, &header_json("EdDSA", p256_kid), &ok),
        ),
        // Check 8: the kid only ever indexes the key set.
        case(
            "kid path traversal",
            "unknown_kid",
            with_header(&header_json("EdDSA", "../../../../../../etc/passwd")),
        ),
        case(
            "kid SQL",
            "unknown_kid",
            with_header(&header_json("EdDSA", "' OR 1=1; DROP TABLE keys; --")),
        ),
        case(
            "kid empty",
            "unknown_kid",
            with_header(&header_json("EdDSA", "")),
        ),
        case(
            "kid with a NUL",
            "unknown_kid",
            with_header(&header_json("EdDSA", &format!("{ed_kid}\\u0000"))),
        ),
        case(
            "kid in another letter case",
            "unknown_kid",
            with_header(&header_json("EdDSA", &ed_kid.to_ascii_lowercase())),
        ),
        case(
            "kid a number",
            "unknown_kid",
            with_header(&format!(r#"{{"alg":"EdDSA","typ":"{TYP}","kid":7}}"#)),
        ),
        case(
            "kid of an unpublished key, signed by it",
            "unknown_kid",
            forge(&k.stranger, &header_json("EdDSA", k.stranger.kid()), &ok),
        ),
        case(
            "kid missing",
            "missing_kid",
            with_header(&format!(r#"{{"alg":"EdDSA","typ":"{TYP}"}}"#)),
        ),
        // Check 6: a token never brings or points to its key.
        case(
            "embedded jwk of the attacker's key",
            "forbidden_header",
            forge(
                &k.stranger,
                &format!(
                    r#"{{"alg":"EdDSA","typ":"{TYP}","kid":"{}","jwk":{}}}"#,
                    k.stranger.kid(),
                    k.stranger.public_key().to_jwk()
                ),
                &ok,
            ),
        ),
        case(
            "jku",
            "forbidden_header",
            header_with(r#""jku":"https://evil.example/jwks.json""#),
        ),
        case(
            "x5u",
            "forbidden_header",
            header_with(r#""x5u":"https://evil.example/c.pem""#),
        ),
        case("x5c", "forbidden_header", header_with(r#""x5c":["MIIB"]"#)),
        case("x5t", "forbidden_header", header_with(r#""x5t":"AAAA""#)),
        case("crit", "forbidden_header", header_with(r#""crit":["exp"]"#)),
        case("cty", "forbidden_header", header_with(r#""cty":"JWT""#)),
        case(
            "b64 false",
            "forbidden_header",
            header_with(r#""b64":false"#),
        ),
        case("zip", "forbidden_header", header_with(r#""zip":"DEF""#)),
        // Check 7: explicit typing.
        case(
            "typ missing",
            "missing_typ",
            with_header(&format!(r#"{{"alg":"EdDSA","kid":"{ed_kid}"}}"#)),
        ),
        case(
            "typ JWT",
            "wrong_typ",
            with_header(&format!(
                r#"{{"alg":"EdDSA","typ":"JWT","kid":"{ed_kid}"}}"#
            )),
        ),
        case(
            "typ at+jwt (an access token)",
            "wrong_typ",
            with_header(&format!(
                r#"{{"alg":"EdDSA","typ":"at+jwt","kid":"{ed_kid}"}}"#
            )),
        ),
        case(
            "typ in upper case",
            "wrong_typ",
            with_header(&format!(
                r#"{{"alg":"EdDSA","typ":"CV-PLUGIN-LAUNCH+JWT","kid":"{ed_kid}"}}"#
            )),
        ),
        case(
            "typ with application/",
            "wrong_typ",
            with_header(&format!(
                r#"{{"alg":"EdDSA","typ":"application/{TYP}","kid":"{ed_kid}"}}"#
            )),
        ),
        case(
            "typ of a future version",
            "wrong_typ",
            with_header(&format!(
                r#"{{"alg":"EdDSA","typ":"cv-plugin-launch-v2+jwt","kid":"{ed_kid}"}}"#
            )),
        ),
        case(
            "typ null",
            "wrong_typ",
            with_header(&format!(r#"{{"alg":"EdDSA","typ":null,"kid":"{ed_kid}"}}"#)),
        ),
        // Check 12: times are JSON integers in range, never skipped.
        case(
            "exp a string",
            "invalid_claim",
            with_claims(&claims_with(r#""exp":"1764288300""#)),
        ),
        case(
            "exp a float",
            "invalid_claim",
            with_claims(&claims(1).replace("1764288300", "1764288300.0")),
        ),
        case(
            "exp in exponent notation",
            "invalid_claim",
            with_claims(&claims(1).replace("1764288300", "1.7642883e9")),
        ),
        case(
            "iat negative",
            "invalid_claim",
            with_claims(&claims_with(r#""iat":-1"#)),
        ),
        case(
            "nbf null",
            "invalid_claim",
            with_claims(&claims_with(r#""nbf":null"#)),
        ),
        case(
            "nbf minus zero",
            "invalid_claim",
            with_claims(&claims(1).replace(r#""nbf":1764288000"#, r#""nbf":-0"#)),
        ),
        case(
            "iat true",
            "invalid_claim",
            with_claims(&claims_with(r#""iat":true"#)),
        ),
        case(
            "exp an object",
            "invalid_claim",
            with_claims(&claims_with(r#""exp":{"$gt":0}"#)),
        ),
        case(
            "exp 2^64",
            "invalid_claim",
            with_claims(&claims(1).replace("1764288300", "18446744073709551616")),
        ),
        case(
            "exp after 9999-12-31",
            "invalid_claim",
            with_claims(&claims_with(r#""exp":253402300800"#)),
        ),
        // Checks 4 and 11: no repeated members.
        case(
            "sub twice",
            "duplicate_member",
            with_claims(&claims(1).replace(r#""sub":"48213""#, r#""sub":"48213","sub":"1""#)),
        ),
        case(
            "exp twice, the second later",
            "duplicate_member",
            with_claims(&claims(1).replace(
                r#""exp":1764288300"#,
                r#""exp":1764288300,"exp":1999999999"#,
            )),
        ),
        case(
            "sub twice, once escaped",
            "duplicate_member",
            with_claims(&claims(1).replace(r#""sub":"48213""#, r#""sub":"48213","s\u0075b":"1""#)),
        ),
        case(
            "alg twice",
            "duplicate_member",
            header_with(r#""alg":"EdDSA""#),
        ),
        case(
            "kid twice",
            "duplicate_member",
            header_with(&format!(r#""kid":"{p256_kid}""#)),
        ),
        // Check 3: one spelling per byte string.
        case(
            "header padded with =",
            "non_canonical_base64",
            sign_segments(ed, &format!("{good_header_b64}="), &good_claims_b64),
        ),
        case(
            "signature padded with ==",
            "non_canonical_base64",
            with_signature(&good, |s| format!("{s}==")),
        ),
        case(
            "signature in the standard alphabet",
            "non_canonical_base64",
            with_signature(&url_safe_signature, |s| {
                STANDARD
                    .encode(URL_SAFE_NO_PAD.decode(s).unwrap())
                    .trim_end_matches('=')
                    .to_owned()
            }),
        ),
        case(
            "a space inside the claims",
            "non_canonical_base64",
            sign_segments(
                ed,
                &good_header_b64,
                &format!("{} {}", &good_claims_b64[..8], &good_claims_b64[8..]),
            ),
        ),
        case(
            "a line break inside the signature",
            "non_canonical_base64",
            with_signature(&good, |s| format!("{}\r\n{}", &s[..40], &s[40..])),
        ),
        case(
            "non-zero trailing bits in the signature",
            "non_canonical_base64",
            with_signature(&good, |s| {
                let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                let last = alphabet.find(s.chars().last().unwrap()).unwrap();
                format!(
                    "{}{}",
                    &s[..s.len() - 1],
                    &alphabet[last | 1..(last | 1) + 1]
                )
            }),
        ),
        case(
            "a segment of 4n+1 characters",
            "non_canonical_base64",
            with_signature(&good, |s| format!("{s}AAA")),
        ),
        case(
            "a non-ASCII character in the header",
            "non_canonical_base64",
            format!("é{good}"),
        ),
        case(
            "a percent-encoded signature",
            "non_canonical_base64",
            with_signature(&good, |s| format!("%41{s}")),
        ),
        // Check 2 (and 4, 11): the shape.
        case(
            "two segments",
            "malformed",
            good.rsplit_once('.').unwrap().0.to_owned(),
        ),
        case(
            "four segments",
            "malformed",
            format!("{good}.{}", good.rsplit('.').next().unwrap()),
        ),
        case("empty", "malformed", String::new()),
        case("only dots", "malformed", "..".to_owned()),
        case("header a JSON array", "malformed", with_header("[]")),
        case(
            "header a JSON string",
            "malformed",
            with_header(r#""EdDSA""#),
        ),
        case(
            "header with a byte-order mark",
            "malformed",
            with_header(&format!("\u{feff}{ed_header}")),
        ),
        case("claims null", "malformed", with_claims("null")),
        case(
            "claims not UTF-8",
            "malformed",
            sign_segments(ed, &good_header_b64, &b64(b"{\"iss\":\"\xff\"}")),
        ),
        case(
            "claims with trailing garbage",
            "malformed",
            with_claims(&format!("{ok}x")),
        ),
        // serde_json skips ignored strings without validating them; the crate checks the whole
        // segment, so claims that are not UTF-8 JSON (PROTOCOL.md §2, §4) are refused (also
        // pinned alone, by the test SECURITY.md names, below).
        case(
            "an unknown claim that is not UTF-8",
            "malformed",
            sign_segments(ed, &good_header_b64, &{
                let mut bytes = b"{\"ext\":\"\xff\",".to_vec();
                bytes.extend_from_slice(&ok.as_bytes()[1..]);
                b64(&bytes)
            }),
        ),
        // Check 10: the signature.
        case(
            "empty signature",
            "bad_signature",
            with_signature(&good, |_| String::new()),
        ),
        case(
            "DER ECDSA signature",
            "bad_signature",
            with_signature(&good_es256, |_| b64(&der_from_raw(&raw_es256))),
        ),
        case(
            "tampered claims, original signature",
            "bad_signature",
            with_claims_segment(&good, &claims_with(r#""sub":"1""#)),
        ),
        case(
            "tampered role, original signature",
            "bad_signature",
            with_claims_segment(&good, &claims_with(r#""role":"gestor""#)),
        ),
        case(
            "64 zero bytes",
            "bad_signature",
            with_signature(&good, |_| b64(&[0; 64])),
        ),
        case(
            "ECDSA r = s = 0",
            "bad_signature",
            with_signature(&good_es256, |_| b64(&[0; 64])),
        ),
        case(
            "signed by another key under the published kid",
            "bad_signature",
            forge(&k.stranger, &ed_header, &ok),
        ),
        case(
            "signature truncated to 63 bytes",
            "bad_signature",
            with_signature(&good, |s| b64(&URL_SAFE_NO_PAD.decode(s).unwrap()[..63])),
        ),
        case(
            "signature with a 65th byte",
            "bad_signature",
            with_signature(&good, |s| {
                b64(&[URL_SAFE_NO_PAD.decode(s).unwrap(), vec![0]].concat())
            }),
        ),
        case(
            "header swapped for the P-256 key's, Ed25519 signature kept",
            "bad_signature",
            format!(
                "{}.{good_claims_b64}.{}",
                good_es256.split('.').next().unwrap(),
                b64(&sign_raw(
                    p256,
                    format!("{good_header_b64}.{good_claims_b64}").as_bytes()
                ))
            ),
        ),
        // Checks 12-20: the claims of a validly signed token.
        case(
            "a valid token for another plugin",
            "wrong_audience",
            with_claims(&claims_with(r#""aud":"boletos""#)),
        ),
        case(
            "audience as an array",
            "invalid_claim",
            with_claims(&claims_with(r#""aud":["financeiro"]"#)),
        ),
        case(
            "a valid token of another issuer",
            "wrong_issuer",
            with_claims(&claims_with(r#""iss":"https://outro-portal.example""#)),
        ),
        case(
            "issuer with a trailing slash",
            "wrong_issuer",
            with_claims(&claims_with(
                r#""iss":"https://portal.construtora.com.br/""#,
            )),
        ),
        case(
            "expired",
            "expired",
            with_claims(&claims_with(
                r#""iat":1764287600,"nbf":1764287600,"exp":1764287970"#,
            )),
        ),
        case(
            "not yet valid",
            "not_yet_valid",
            with_claims(&claims_with(r#""nbf":1764288031"#)),
        ),
        case(
            "issued in the future",
            "issued_in_future",
            with_claims(&claims_with(r#""iat":1764288031"#)),
        ),
        case(
            "lifetime of an hour and a second",
            "lifetime_too_long",
            with_claims(&claims_with(r#""exp":1764291601"#)),
        ),
        case(
            "exp equal to iat",
            "invalid_claim",
            with_claims(&claims_with(r#""exp":1764288000"#)),
        ),
        case(
            "exp before iat",
            "invalid_claim",
            with_claims(&claims_with(r#""iat":1764288010,"exp":1764288005"#)),
        ),
        case(
            "role admin",
            "unknown_role",
            with_claims(&claims_with(r#""role":"admin""#)),
        ),
        case(
            "role Cliente",
            "unknown_role",
            with_claims(&claims_with(r#""role":"Cliente""#)),
        ),
        case(
            "sub an e-mail",
            "invalid_claim",
            with_claims(&claims_with(r#""sub":"maria@example.com""#)),
        ),
        case(
            "sub of 129 bytes",
            "invalid_claim",
            with_claims(&claims_with(&format!(r#""sub":"{}""#, "1".repeat(129)))),
        ),
        case(
            "jti too short",
            "invalid_claim",
            with_claims(&claims_with(r#""jti":"abc""#)),
        ),
        case(
            "jti with a dot",
            "invalid_claim",
            with_claims(&claims_with(r#""jti":"AAAAAAAAAAAAAAAA.""#)),
        ),
        // Check 1: size, before any parsing.
        case("a megabyte of A", "token_too_large", megabyte.clone()),
        case(
            "a megabyte of claims",
            "token_too_large",
            format!("{good_header_b64}.{megabyte}.AA"),
        ),
        case("just over 4096 bytes", "token_too_large", just_over),
    ];
    for claim in ["iss", "aud", "sub", "role", "iat", "nbf", "exp", "jti"] {
        let name: &'static str = Box::leak(format!("{claim} missing").into_boxed_str());
        cases.push(case(
            name,
            "missing_claim",
            with_claims(&claims_without(claim)),
        ));
    }
    // With the maximum raised to 64 KiB: deep JSON never overflows the stack. serde_json skips
    // values iteratively, so depth is bounded by the length alone; the checks then answer as for
    // any other value (an array is not a header, not a kid, not a time).
    let raised = |name, code, token| Case {
        name,
        code,
        token,
        max_len: 65_536,
    };
    cases.extend([
        raised(
            "a megabyte with the maximum raised",
            "token_too_large",
            megabyte,
        ),
        raised(
            "header a 20000-deep array",
            "malformed",
            with_header(&nested(20_000)),
        ),
        raised(
            "claims a 20000-deep array",
            "malformed",
            with_claims(&nested(20_000)),
        ),
        raised(
            "kid a 20000-deep array",
            "unknown_kid",
            with_header(&format!(
                r#"{{"alg":"EdDSA","typ":"{TYP}","kid":{}}}"#,
                nested(20_000)
            )),
        ),
        raised(
            "an unknown header member 20000 deep",
            "forbidden_header",
            header_with(&format!(r#""x":{}"#, nested(20_000))),
        ),
        raised(
            "exp a 20000-deep array",
            "invalid_claim",
            with_claims(&claims(1).replace("1764288300", &nested(20_000))),
        ),
        raised(
            "an unknown claim of 7000 nested objects, and role admin",
            "unknown_role",
            with_claims(&claims_with(r#""role":"admin""#).replacen(
                '{',
                &format!(
                    r#"{{"ext":{}1{},"#,
                    r#"{"a":"#.repeat(7_000),
                    "}".repeat(7_000)
                ),
                1,
            )),
        ),
    ]);
    cases
}

#[test]
fn every_hostile_token_is_refused_with_its_code() {
    let keys = keys();
    let cases = cases(&keys);
    assert!(cases.len() >= 100, "{} cases", cases.len());
    println!("{} hostile tokens", cases.len());
    let mut names = std::collections::HashSet::new();
    let mut failures = Vec::new();
    for c in &cases {
        assert!(names.insert(c.name), "duplicate case name {}", c.name);
        // A fresh verifier per case: single use never hides the expected error.
        let verifier = verifier_with_max_len(&keys, c.max_len);
        let got = catch_unwind(AssertUnwindSafe(|| verifier.verify(&c.token)));
        match got {
            Err(_) => failures.push(format!("{}: PANICKED", c.name)),
            Ok(Ok(_)) => failures.push(format!("{}: ACCEPTED (expected {})", c.name, c.code)),
            Ok(Err(e)) if e.code() != c.code => failures.push(format!(
                "{}: {} ({e}), expected {}",
                c.name,
                e.code(),
                c.code
            )),
            Ok(Err(e)) => {
                // The message never quotes the signature (a bearer credential).
                let text = format!("{e} {e:?}");
                if let Some((_, signature)) = c.token.rsplit_once('.')
                    && signature.len() > 40
                    && text.contains(signature)
                {
                    failures.push(format!("{}: the error quotes the signature", c.name));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {}: {failures:#?}",
        failures.len(),
        cases.len()
    );
}

#[test]
fn the_suite_starts_from_a_token_that_verifies() {
    // Every case is a small change to this token; were it refused, the suite would prove nothing.
    let keys = keys();
    for (key, alg) in [(&keys.ed, "EdDSA"), (&keys.p256, "ES256")] {
        let token = forge(key, &header_json(alg, key.kid()), &claims(1));
        assert!(
            verifier_with_max_len(&keys, 4096).verify(&token).is_ok(),
            "{alg}"
        );
    }
    // The longest token of the padding series that fits verifies; the next is a case above.
    let mut longest = None;
    padded_to(&keys.ed, |len| {
        if len <= 4096 {
            longest = Some(len);
        }
        len > 4096
    });
    let fits = padded_to(&keys.ed, |len| Some(len) == longest);
    assert!(fits.len() >= 4090 && fits.len() <= 4096, "{}", fits.len());
    assert!(verifier_with_max_len(&keys, 4096).verify(&fits).is_ok());
}

/// P-256's group order n.
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

#[test]
fn a_malleated_ecdsa_signature_is_still_single_use() {
    // (r, s) and (r, n - s) are both valid ECDSA signatures of the same message, so an attacker
    // can spell a seen ES256 token a second way. Single use keys on the jti, not on the token's
    // bytes, so the second spelling is refused as a replay.
    let keys = keys();
    let token = forge(
        &keys.p256,
        &header_json("ES256", keys.p256.kid()),
        &claims(1),
    );
    let malleated = with_signature(&token, |s| {
        let raw = URL_SAFE_NO_PAD.decode(s).unwrap();
        let mut negated = [0u8; 32];
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let d = i16::from(P256_N[i]) - i16::from(raw[32 + i]) - borrow;
            borrow = i16::from(d < 0);
            negated[i] = d.rem_euclid(256) as u8;
        }
        b64(&[&raw[..32], &negated[..]].concat())
    });
    assert_ne!(malleated, token);
    let verifier = verifier_with_max_len(&keys, 4096);
    // The second spelling is accepted by ring on its own...
    let fresh = verifier_with_max_len(&keys, 4096);
    assert!(fresh.verify(&malleated).is_ok());
    // ...but after the first spelling was used, it is a replay.
    assert!(verifier.verify(&token).is_ok());
    assert_eq!(
        verifier
            .verify(&malleated)
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("replayed")
    );
}

#[test]
fn deeply_nested_unknown_claims_are_ignored() {
    // PROTOCOL.md §4: unknown claims are ignored, however deep. The point is that nothing
    // recurses on them: 20000 levels, with the maximum raised to 64 KiB, verify fine.
    let keys = keys();
    let deep = claims(1).replacen('{', &format!(r#"{{"ext":{},"#, nested(20_000)), 1);
    let token = forge(&keys.ed, &header_json("EdDSA", keys.ed.kid()), &deep);
    assert!(token.len() > 50_000);
    let claims = verifier_with_max_len(&keys, 65_536).verify(&token).unwrap();
    assert_eq!(claims.subject().as_str(), "48213");
}

#[test]
// serde_json skips ignored strings without validating them; the crate checks the whole segment
// so claims that are not UTF-8 JSON (PROTOCOL.md §2), which PyJWT and jose refuse, are refused.
fn claims_that_are_not_utf8_are_malformed_even_in_an_unknown_claim() {
    let keys = keys();
    let claims = claims(1).replacen('{', "{\"ext\":\"\u{1}\",", 1);
    let bytes: Vec<u8> = claims
        .bytes()
        .map(|b| if b == 1 { 0xff } else { b })
        .collect();
    assert!(std::str::from_utf8(&bytes).is_err());
    let token = sign_segments(
        &keys.ed,
        &b64(header_json("EdDSA", keys.ed.kid()).as_bytes()),
        &b64(&bytes),
    );
    let got = verifier_with_max_len(&keys, 4096).verify(&token);
    assert_eq!(got.map(|_| ()).map_err(|e| e.code()), Err("malformed"));
}

/// Where each case is in the conformance vectors (vectors/launch-tokens.json), so that PyJWT,
/// jose and every vendor see it too: the vector with the same defect (the same code, the token
/// built the same way or its mirror image), or why it stays a Rust-only case. The tests after
/// the suite are Rust-only too: a malleated ECDSA signature is refused only as the second
/// presentation (single use, which one vector cannot show), and deeply nested unknown claims
/// need the maximum raised.
enum Shared {
    Vector(&'static str),
    RustOnly(&'static str),
}
use Shared::{RustOnly, Vector};

const MEGABYTE: &str = "The same check 1 as token-too-large; a megabyte token would make the vectors file megabytes long for nothing a vendor does differently.";
const RAISED_MAXIMUM: &str =
    "Needs a verifier whose maximum length is raised to 64 KiB; the vectors fix it at 4096 bytes.";

const SHARED: &[(&str, Shared)] = &[
    ("alg none", Vector("alg-none")),
    ("alg None", Vector("alg-none-capitalized")),
    ("alg NONE", Vector("alg-none-upper-case")),
    (
        "alg nOnE with a real signature",
        Vector("alg-none-with-a-signature"),
    ),
    (
        "HS256 keyed with the raw Ed25519 public key",
        Vector("hs256-keyed-with-the-ed25519-public-key"),
    ),
    (
        "HS256 keyed with the public JWK text",
        Vector("hs256-keyed-with-the-p256-jwk"),
    ),
    (
        "HS512 keyed with the JWKS document",
        Vector("hs512-keyed-with-the-jwks"),
    ),
    ("RS256", Vector("alg-rs256")),
    ("PS256", Vector("alg-ps256")),
    ("alg eddsa in lower case", Vector("alg-eddsa-lower-case")),
    (
        "alg Ed25519 (the fully specified name)",
        Vector("alg-ed25519"),
    ),
    ("alg missing", Vector("alg-missing")),
    ("alg a number", Vector("alg-number")),
    ("alg null", Vector("alg-null")),
    (
        "ES256 header on the Ed25519 key",
        Vector("es256-header-on-ed25519-key"),
    ),
    (
        "EdDSA header on the P-256 key",
        Vector("eddsa-header-on-p256-key"),
    ),
    ("kid path traversal", Vector("kid-path-traversal")),
    ("kid SQL", Vector("kid-sql")),
    ("kid empty", Vector("kid-empty")),
    ("kid with a NUL", Vector("kid-with-a-nul")),
    (
        "kid in another letter case",
        Vector("kid-other-letter-case"),
    ),
    ("kid a number", Vector("kid-number")),
    (
        "kid of an unpublished key, signed by it",
        Vector("kid-of-an-unpublished-key"),
    ),
    ("kid missing", Vector("kid-missing")),
    (
        "embedded jwk of the attacker's key",
        Vector("header-jwk-of-an-unpublished-key"),
    ),
    ("jku", Vector("header-jku")),
    ("x5u", Vector("header-x5u")),
    ("x5c", Vector("header-x5c")),
    ("x5t", Vector("header-x5t")),
    ("crit", Vector("header-crit")),
    ("cty", Vector("header-cty")),
    ("b64 false", Vector("header-b64-false")),
    ("zip", Vector("header-zip")),
    ("typ missing", Vector("typ-missing")),
    ("typ JWT", Vector("typ-jwt")),
    ("typ at+jwt (an access token)", Vector("typ-at-jwt")),
    ("typ in upper case", Vector("typ-upper-case")),
    (
        "typ with application/",
        Vector("typ-with-media-type-prefix"),
    ),
    ("typ of a future version", Vector("typ-future-version")),
    ("typ null", Vector("typ-null")),
    ("exp a string", Vector("exp-string")),
    ("exp a float", Vector("exp-float")),
    ("exp in exponent notation", Vector("exp-exponent")),
    ("iat negative", Vector("iat-negative")),
    ("nbf null", Vector("nbf-null")),
    ("nbf minus zero", Vector("nbf-minus-zero")),
    ("iat true", Vector("iat-true")),
    ("exp an object", Vector("exp-object")),
    ("exp 2^64", Vector("exp-beyond-64-bits")),
    ("exp after 9999-12-31", Vector("exp-after-year-9999")),
    ("sub twice", Vector("claims-duplicate-sub")),
    (
        "exp twice, the second later",
        Vector("claims-duplicate-exp"),
    ),
    (
        "sub twice, once escaped",
        Vector("claims-duplicate-sub-escaped"),
    ),
    ("alg twice", Vector("header-duplicate-alg")),
    ("kid twice", Vector("header-duplicate-kid")),
    ("header padded with =", Vector("base64-padding")),
    (
        "signature padded with ==",
        Vector("base64-signature-padding"),
    ),
    (
        "signature in the standard alphabet",
        Vector("base64-standard-alphabet"),
    ),
    ("a space inside the claims", Vector("base64-space")),
    (
        "a line break inside the signature",
        Vector("base64-crlf-in-signature"),
    ),
    (
        "non-zero trailing bits in the signature",
        Vector("base64-trailing-bits"),
    ),
    (
        "a segment of 4n+1 characters",
        Vector("base64-impossible-length"),
    ),
    (
        "a non-ASCII character in the header",
        Vector("base64-non-ascii"),
    ),
    (
        "a percent-encoded signature",
        Vector("base64-percent-encoded"),
    ),
    ("two segments", Vector("two-segments")),
    ("four segments", Vector("four-segments")),
    ("empty", Vector("empty-token")),
    ("only dots", Vector("only-dots")),
    ("header a JSON array", Vector("header-json-array")),
    ("header a JSON string", Vector("header-json-string")),
    (
        "header with a byte-order mark",
        Vector("header-byte-order-mark"),
    ),
    ("claims null", Vector("claims-null")),
    ("claims not UTF-8", Vector("claims-not-utf8")),
    (
        "claims with trailing garbage",
        Vector("claims-trailing-garbage"),
    ),
    (
        "an unknown claim that is not UTF-8",
        Vector("claims-not-utf8-in-an-unknown-claim"),
    ),
    ("empty signature", Vector("empty-signature")),
    ("DER ECDSA signature", Vector("es256-der-signature")),
    (
        "tampered claims, original signature",
        Vector("tampered-claims"),
    ),
    ("tampered role, original signature", Vector("tampered-role")),
    ("64 zero bytes", Vector("signature-all-zero")),
    ("ECDSA r = s = 0", Vector("es256-signature-r-and-s-zero")),
    (
        "signed by another key under the published kid",
        Vector("signed-by-unpublished-key"),
    ),
    (
        "signature truncated to 63 bytes",
        Vector("signature-truncated"),
    ),
    (
        "signature with a 65th byte",
        Vector("signature-with-a-65th-byte"),
    ),
    (
        "header swapped for the P-256 key's, Ed25519 signature kept",
        Vector("header-swapped-after-signing"),
    ),
    ("a valid token for another plugin", Vector("wrong-audience")),
    ("audience as an array", Vector("aud-array")),
    ("a valid token of another issuer", Vector("wrong-issuer")),
    (
        "issuer with a trailing slash",
        Vector("issuer-with-a-trailing-slash"),
    ),
    ("expired", Vector("expired")),
    ("not yet valid", Vector("not-yet-valid")),
    ("issued in the future", Vector("issued-in-future")),
    (
        "lifetime of an hour and a second",
        Vector("lifetime-over-one-hour"),
    ),
    ("exp equal to iat", Vector("exp-not-after-iat")),
    ("exp before iat", Vector("exp-before-iat")),
    ("role admin", Vector("unknown-role")),
    ("role Cliente", Vector("role-capitalized")),
    ("sub an e-mail", Vector("sub-is-an-email")),
    ("sub of 129 bytes", Vector("sub-too-long")),
    ("jti too short", Vector("jti-too-short")),
    ("jti with a dot", Vector("jti-with-a-dot")),
    ("just over 4096 bytes", Vector("token-just-over-the-limit")),
    ("iss missing", Vector("missing-iss")),
    ("aud missing", Vector("missing-aud")),
    ("sub missing", Vector("missing-sub")),
    ("role missing", Vector("missing-role")),
    ("iat missing", Vector("missing-iat")),
    ("nbf missing", Vector("missing-nbf")),
    ("exp missing", Vector("missing-exp")),
    ("jti missing", Vector("missing-jti")),
    ("a megabyte of A", RustOnly(MEGABYTE)),
    ("a megabyte of claims", RustOnly(MEGABYTE)),
    (
        "a megabyte with the maximum raised",
        RustOnly(RAISED_MAXIMUM),
    ),
    ("header a 20000-deep array", RustOnly(RAISED_MAXIMUM)),
    ("claims a 20000-deep array", RustOnly(RAISED_MAXIMUM)),
    ("kid a 20000-deep array", RustOnly(RAISED_MAXIMUM)),
    (
        "an unknown header member 20000 deep",
        RustOnly(RAISED_MAXIMUM),
    ),
    ("exp a 20000-deep array", RustOnly(RAISED_MAXIMUM)),
    (
        "an unknown claim of 7000 nested objects, and role admin",
        RustOnly(RAISED_MAXIMUM),
    ),
];

#[test]
fn every_case_is_a_conformance_vector_or_says_why_not() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/vectors/launch-tokens.json"
    ))
    .unwrap();
    let vectors: serde_json::Value = serde_json::from_str(&text).unwrap();
    let codes: std::collections::HashMap<&str, &str> = vectors["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v["error"].as_str().unwrap()))
        .collect();
    let keys = keys();
    let cases = cases(&keys);
    let mut failures = Vec::new();
    for c in &cases {
        match SHARED.iter().find(|(name, _)| *name == c.name) {
            None => failures.push(format!(
                "{}: neither a vector nor a reason in SHARED",
                c.name
            )),
            Some((_, Vector(vector))) => match codes.get(vector) {
                None => failures.push(format!("{}: no vector {vector}", c.name)),
                Some(&code) if code != c.code => failures.push(format!(
                    "{}: vector {vector} is {code}, the case {}",
                    c.name, c.code
                )),
                Some(_) => {}
            },
            Some((_, RustOnly(reason))) => assert!(!reason.is_empty()),
        }
    }
    for (name, _) in SHARED {
        if !cases.iter().any(|c| c.name == *name) {
            failures.push(format!("SHARED names no case {name}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
