//! Private key documents: PKCS#8 (RFC 5208/5958) for Ed25519 (RFC 8410) and P-256, the SEC1
//! `ECPrivateKey` (RFC 5915) that `openssl ecparam -genkey` writes, and their PEM blocks.
//!
//! ring parses PKCS#8 but does not give the private scalar back, and the private JWK form needs it,
//! so this module walks the few DER structures involved and writes them from fixed templates.
//! Buffers that hold private key material are wiped before they are freed (see `keys::wipe`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::KeyError;

/// PKCS#8 v1 prefix for an Ed25519 key; the 32-byte seed follows (RFC 8410 §7).
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// PKCS#8 prefix for a P-256 key up to the private scalar d (32 bytes).
const P256_PKCS8_PREFIX: [u8; 36] = [
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
    0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02,
    0x01, 0x01, 0x04, 0x20,
];

/// Between d and the uncompressed public point (65 bytes): `[1] { BIT STRING }`.
const P256_PKCS8_MIDDLE: [u8; 5] = [0xa1, 0x44, 0x03, 0x42, 0x00];

/// OID 1.3.101.112 (Ed25519), DER-encoded content.
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
/// OID 1.2.840.10045.2.1 (id-ecPublicKey).
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// OID 1.2.840.10045.3.1.7 (prime256v1 / P-256).
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// The private key found in a PKCS#8 or SEC1 document. Its bytes are wiped on drop.
pub(crate) enum Secret {
    /// An Ed25519 seed.
    Ed25519([u8; 32]),
    /// A P-256 private scalar, and the uncompressed public point if the document has it.
    P256 {
        d: [u8; 32],
        public: Option<[u8; 65]>,
    },
}

impl Drop for Secret {
    fn drop(&mut self) {
        match self {
            Secret::Ed25519(seed) => super::wipe(seed),
            Secret::P256 { d, .. } => super::wipe(d),
        }
    }
}

pub(crate) fn ed25519_document(seed: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(48);
    out.extend_from_slice(&ED25519_PKCS8_PREFIX);
    out.extend_from_slice(seed);
    out
}

pub(crate) fn p256_document(d: &[u8; 32], public_point: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(138);
    out.extend_from_slice(&P256_PKCS8_PREFIX);
    out.extend_from_slice(d);
    out.extend_from_slice(&P256_PKCS8_MIDDLE);
    out.extend_from_slice(public_point);
    out
}

/// A minimal DER reader: tag, definite length, content. Rejects indefinite and over-long lengths.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        let (&t, rest) = self.0.split_first()?;
        if t != tag {
            return None;
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = match first {
            0..=0x7f => (usize::from(first), rest),
            0x81 => {
                let (&l, rest) = rest.split_first()?;
                (usize::from(l), rest)
            }
            0x82 => {
                let (&hi, rest) = rest.split_first()?;
                let (&lo, rest) = rest.split_first()?;
                (usize::from(hi) << 8 | usize::from(lo), rest)
            }
            _ => return None,
        };
        if rest.len() < len {
            return None;
        }
        let (content, rest) = rest.split_at(len);
        self.0 = rest;
        Some(content)
    }

    fn peek_tag(&self) -> Option<u8> {
        self.0.first().copied()
    }
}

/// Extracts the private key of an Ed25519 or P-256 PKCS#8 document (v1 or v2).
///
/// Only the structure is read here; ring then checks the key itself.
pub(crate) fn parse(der: &[u8]) -> Result<Secret, KeyError> {
    let mut outer = Der(der);
    let mut info = Der(outer.read(0x30).ok_or(KeyError::InvalidPkcs8)?);
    if !outer.0.is_empty() {
        return Err(KeyError::InvalidPkcs8);
    }
    if info.peek_tag() == Some(0x30) {
        // SubjectPublicKeyInfo is SEQUENCE { AlgorithmIdentifier, BIT STRING }; PKCS#8 starts
        // with its version.
        return match (info.read(0x30), info.read(0x03), info.0.is_empty()) {
            (Some(_), Some(_), true) => Err(KeyError::PublicKeyInsteadOfPrivate {
                form: "a DER SubjectPublicKeyInfo",
            }),
            _ => Err(KeyError::InvalidPkcs8),
        };
    }
    let version = info.read(0x02).ok_or(KeyError::InvalidPkcs8)?;
    if version != [0] && version != [1] {
        return Err(KeyError::InvalidPkcs8);
    }
    let mut algorithm = Der(info.read(0x30).ok_or(KeyError::InvalidPkcs8)?);
    let oid = algorithm.read(0x06).ok_or(KeyError::InvalidPkcs8)?;
    let private = info.read(0x04).ok_or(KeyError::InvalidPkcs8)?;
    // RFC 5958: optional attributes [0] and public key [1] (0xa1 is the tag of early ring
    // versions' Ed25519 v2 documents, which ring still reads), then nothing.
    for optional in [[0xa0, 0xa0], [0x81, 0xa1]] {
        if let Some(tag) = info.peek_tag().filter(|tag| optional.contains(tag)) {
            info.read(tag).ok_or(KeyError::InvalidPkcs8)?;
        }
    }
    if !info.0.is_empty() {
        return Err(KeyError::InvalidPkcs8);
    }
    if oid == OID_ED25519 {
        let seed = Der(private).read(0x04).ok_or(KeyError::InvalidPkcs8)?;
        let seed = <[u8; 32]>::try_from(seed).map_err(|_| KeyError::InvalidPkcs8)?;
        return Ok(Secret::Ed25519(seed));
    }
    if oid != OID_EC_PUBLIC_KEY {
        // RSA, Ed448, X25519, ...: a well-formed document of a type this crate does not sign with.
        return Err(KeyError::UnsupportedKeyType);
    }
    // The curve must be named, and be P-256 (explicit parameters are a SEQUENCE).
    if algorithm.read(0x06) != Some(OID_P256) {
        return Err(KeyError::UnsupportedKeyType);
    }
    let mut inner = Der(private);
    let ec = inner.read(0x30).ok_or(KeyError::InvalidPkcs8)?;
    if !inner.0.is_empty() {
        return Err(KeyError::InvalidPkcs8);
    }
    ec_private_key(ec, Some(KeyError::InvalidPkcs8))
}

/// Extracts the private key of a SEC1 `ECPrivateKey` document (the DER of an `EC PRIVATE KEY`
/// PEM block): P-256 only, named by its parameters or, without them, by its sizes.
pub(crate) fn parse_sec1(der: &[u8]) -> Result<Secret, KeyError> {
    let mut outer = Der(der);
    let ec = outer.read(0x30).ok_or(KeyError::InvalidSec1)?;
    if !outer.0.is_empty() {
        return Err(KeyError::InvalidSec1);
    }
    ec_private_key(ec, None)
}

/// Reads the content of an RFC 5915 `ECPrivateKey`:
/// `{ version 1, privateKey OCTET STRING, [0] parameters OPTIONAL, [1] publicKey OPTIONAL }`.
///
/// `in_pkcs8` is the error for a broken structure when the key sits in a PKCS#8 document (whose
/// algorithm identifier already named P-256), `None` for a bare SEC1 document.
fn ec_private_key(content: &[u8], in_pkcs8: Option<KeyError>) -> Result<Secret, KeyError> {
    let named_in_pkcs8 = in_pkcs8.is_some();
    let broken = in_pkcs8.unwrap_or(KeyError::InvalidSec1);
    let mut ec = Der(content);
    if ec.read(0x02) != Some(&[1][..]) {
        return Err(broken);
    }
    let d = ec.read(0x04).ok_or_else(|| broken.clone())?;
    let mut named_p256 = named_in_pkcs8;
    if ec.peek_tag() == Some(0xa0) {
        let mut parameters = Der(ec.read(0xa0).ok_or_else(|| broken.clone())?);
        // Another named curve, or explicit parameters (a SEQUENCE): not P-256 as ring knows it.
        if parameters.read(0x06) != Some(OID_P256) || !parameters.0.is_empty() {
            return Err(KeyError::UnsupportedKeyType);
        }
        named_p256 = true;
    }
    let Ok(d) = <[u8; 32]>::try_from(d) else {
        // A P-384 or P-521 scalar is 48 or 66 bytes; a P-256 one is always 32.
        return Err(if named_p256 {
            broken
        } else {
            KeyError::UnsupportedKeyType
        });
    };
    let mut public = None;
    if ec.peek_tag() == Some(0xa1) {
        let mut wrapper = Der(ec.read(0xa1).ok_or_else(|| broken.clone())?);
        let bits = wrapper.read(0x03).ok_or_else(|| broken.clone())?;
        if !wrapper.0.is_empty() {
            return Err(broken);
        }
        match bits {
            // No unused bits, then the uncompressed point.
            [0, point @ ..] if point.first() == Some(&0x04) => {
                public = Some(<[u8; 65]>::try_from(point).map_err(|_| broken.clone())?);
            }
            // A compressed point: ring cannot decompress it, so it is as good as absent.
            [0, 0x02 | 0x03, rest @ ..] if rest.len() == 32 => {}
            _ => return Err(broken),
        }
    }
    if !ec.0.is_empty() {
        return Err(broken);
    }
    Ok(Secret::P256 { d, public })
}

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// Wraps a PKCS#8 document in a PEM `PRIVATE KEY` block with 64-column lines.
pub(crate) fn to_pem(der: &[u8]) -> String {
    let mut body = STANDARD.encode(der);
    // Sized once, so the buffer holding the key is never reallocated (which would leave a copy).
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 64);
    out.push_str(PEM_BEGIN);
    out.push('\n');
    for chunk in body.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(PEM_END);
    out.push('\n');
    super::wipe(&mut body);
    out
}

/// The DER document of a PEM private key block. Wiped on drop.
pub(crate) enum PemDocument {
    /// A `PRIVATE KEY` block: PKCS#8.
    Pkcs8(Vec<u8>),
    /// An `EC PRIVATE KEY` block: SEC1 (RFC 5915).
    Sec1(Vec<u8>),
}

impl Drop for PemDocument {
    fn drop(&mut self) {
        match self {
            PemDocument::Pkcs8(der) | PemDocument::Sec1(der) => super::wipe(der),
        }
    }
}

/// Reads the first private key block of `text`: `PRIVATE KEY`, or with `sec1` also
/// `EC PRIVATE KEY`. Other blocks before it (`EC PARAMETERS`, which `openssl ecparam -genkey`
/// writes first, a certificate, ...) are passed over. With no such block, a public key block is
/// named as what it is.
pub(crate) fn from_pem(text: &str, sec1: bool) -> Result<PemDocument, KeyError> {
    let mut rest = text;
    let mut public = None;
    let mut other_type = false;
    while let Some(begin) = rest.find("-----BEGIN ") {
        let after = &rest[begin + "-----BEGIN ".len()..];
        let Some(label_len) = after.find("-----") else {
            break;
        };
        let label = &after[..label_len];
        if label.len() > 64 || label.contains(['\r', '\n']) {
            rest = after;
            continue;
        }
        let body_and_rest = &after[label_len + "-----".len()..];
        let end = format!("-----END {label}-----");
        let Some(body_len) = body_and_rest.find(&end) else {
            break;
        };
        let body = &body_and_rest[..body_len];
        rest = &body_and_rest[body_len + end.len()..];
        match label {
            "PRIVATE KEY" => return decode_pem_body(body).map(PemDocument::Pkcs8),
            "EC PRIVATE KEY" if sec1 => return decode_pem_body(body).map(PemDocument::Sec1),
            "PUBLIC KEY" => {
                public.get_or_insert("a PEM \"PUBLIC KEY\" block");
            }
            "RSA PUBLIC KEY" => {
                public.get_or_insert("a PEM \"RSA PUBLIC KEY\" block");
            }
            "CERTIFICATE" => {
                public.get_or_insert("a PEM \"CERTIFICATE\", which holds a public key");
            }
            "RSA PRIVATE KEY" | "DSA PRIVATE KEY" => other_type = true,
            _ => {}
        }
    }
    match (public, other_type) {
        (Some(form), _) => Err(KeyError::PublicKeyInsteadOfPrivate { form }),
        (None, true) => Err(KeyError::UnsupportedKeyType),
        (None, false) => Err(KeyError::InvalidPem),
    }
}

/// Decodes the base64 body of a PEM block, whitespace ignored, into a buffer that is wiped on
/// failure (the caller wipes it after use).
fn decode_pem_body(body: &str) -> Result<Vec<u8>, KeyError> {
    let mut compact = String::with_capacity(body.len());
    compact.extend(body.chars().filter(|c| !c.is_ascii_whitespace()));
    // Room for any valid body, so decoding never reallocates.
    let mut der = vec![0; compact.len() / 4 * 3 + 3];
    let decoded = STANDARD.decode_slice(compact.as_bytes(), &mut der);
    super::wipe(&mut compact);
    match decoded {
        Ok(len) => {
            der.truncate(len);
            Ok(der)
        }
        Err(_) => {
            super::wipe(&mut der);
            Err(KeyError::InvalidPem)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ed25519_seed(secret: &Secret) -> Option<[u8; 32]> {
        match secret {
            Secret::Ed25519(seed) => Some(*seed),
            Secret::P256 { .. } => None,
        }
    }

    fn p256_parts(secret: &Secret) -> Option<([u8; 32], Option<[u8; 65]>)> {
        match secret {
            Secret::P256 { d, public } => Some((*d, *public)),
            Secret::Ed25519(_) => None,
        }
    }

    fn p256_point() -> [u8; 65] {
        let mut point = [1u8; 65];
        point[0] = 4;
        point
    }

    #[test]
    fn templates_parse_back() {
        let seed = [7u8; 32];
        assert_eq!(
            ed25519_seed(&parse(&ed25519_document(&seed)).unwrap()),
            Some(seed)
        );
        let d = [9u8; 32];
        let point = p256_point();
        let parsed = parse(&p256_document(&d, &point)).unwrap();
        assert_eq!(p256_parts(&parsed), Some((d, Some(point))));
        // The PKCS#8 template's OCTET STRING holds a SEC1 ECPrivateKey, from byte 29 to the end.
        let sec1 = &p256_document(&d, &point)[29..];
        assert_eq!(
            p256_parts(&parse_sec1(sec1).unwrap()),
            Some((d, Some(point)))
        );
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x82, 0xff],
            &[0x30, 0x84, 0, 0, 0, 1, 0],
            &[0x30, 0x03, 0x02, 0x01, 0x05],
            &ED25519_PKCS8_PREFIX[..],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
            assert!(parse_sec1(bad).is_err(), "{bad:?}");
        }
        let mut trailing = ed25519_document(&[1; 32]);
        trailing.push(0);
        assert_eq!(parse(&trailing).err(), Some(KeyError::InvalidPkcs8));
    }

    /// DER of `tag { content }` for contents under 128 bytes.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        [&[tag, content.len() as u8][..], content].concat()
    }

    #[test]
    fn sec1_parts_are_optional_and_checked() {
        let d = [5u8; 32];
        let version = tlv(0x02, &[1]);
        let scalar = tlv(0x04, &d);
        let named = tlv(0xa0, &tlv(0x06, OID_P256));
        let bits = [&[0u8][..], &p256_point()].concat();
        let public = tlv(0xa1, &tlv(0x03, &bits));
        let sec1 = |parts: &[&[u8]]| {
            let content = parts.concat();
            // The content is 2 + 34 + 10 + 2 + 2 + 66 bytes at most: one length byte (0x81).
            [&[0x30, 0x81, content.len() as u8][..], &content].concat()
        };
        let code = |der: &[u8]| match parse_sec1(der) {
            Ok(secret) => format!("{:?}", p256_parts(&secret).map(|(_, p)| p.is_some())),
            Err(error) => error.code().to_owned(),
        };
        assert_eq!(
            code(&sec1(&[&version, &scalar, &named, &public])),
            "Some(true)"
        );
        assert_eq!(code(&sec1(&[&version, &scalar, &public])), "Some(true)");
        assert_eq!(code(&sec1(&[&version, &scalar, &named])), "Some(false)");
        assert_eq!(code(&sec1(&[&version, &scalar])), "Some(false)");
        // Another curve: secp384r1, secp256k1, explicit parameters.
        let p384 = tlv(0xa0, &tlv(0x06, &[0x2b, 0x81, 0x04, 0x00, 0x22]));
        assert_eq!(
            code(&sec1(&[&version, &scalar, &p384])),
            "unsupported_key_type"
        );
        let k256 = tlv(0xa0, &tlv(0x06, &[0x2b, 0x81, 0x04, 0x00, 0x0a]));
        assert_eq!(
            code(&sec1(&[&version, &scalar, &k256])),
            "unsupported_key_type"
        );
        let explicit = tlv(0xa0, &tlv(0x30, &tlv(0x02, &[1])));
        assert_eq!(
            code(&sec1(&[&version, &scalar, &explicit])),
            "unsupported_key_type"
        );
        // A 48-byte scalar without parameters is not P-256; with them it is a broken key.
        let long = tlv(0x04, &[5u8; 48]);
        assert_eq!(code(&sec1(&[&version, &long])), "unsupported_key_type");
        assert_eq!(code(&sec1(&[&version, &long, &named])), "invalid_sec1");
        // A compressed point is as good as no point.
        let compressed = tlv(0xa1, &tlv(0x03, &[&[0u8, 0x02][..], &[7u8; 32]].concat()));
        assert_eq!(
            code(&sec1(&[&version, &scalar, &compressed])),
            "Some(false)"
        );
        // Broken structures.
        for parts in [
            &[&tlv(0x02, &[0])[..], &scalar][..],
            &[&version[..]][..],
            &[&version[..], &scalar, &public, &named][..],
            &[&version[..], &scalar, &public, &public][..],
            &[&version[..], &scalar, &tlv(0xa1, &tlv(0x03, &[1, 4]))][..],
        ] {
            assert_eq!(code(&sec1(parts)), "invalid_sec1");
        }
    }

    #[test]
    fn pkcs8_of_other_key_types_is_unsupported_not_invalid() {
        // The AlgorithmIdentifier of X25519 (1.3.101.110) around a 32-byte key.
        let x25519 = tlv(
            0x30,
            &[
                tlv(0x02, &[0]),
                tlv(0x30, &tlv(0x06, &[0x2b, 0x65, 0x6e])),
                tlv(0x04, &tlv(0x04, &[3; 32])),
            ]
            .concat(),
        );
        assert_eq!(parse(&x25519).err(), Some(KeyError::UnsupportedKeyType));
        // A SubjectPublicKeyInfo is a public key.
        let spki = tlv(
            0x30,
            &[
                tlv(0x30, &tlv(0x06, OID_ED25519)),
                tlv(0x03, &[&[0u8][..], &[3; 32]].concat()),
            ]
            .concat(),
        );
        assert_eq!(
            parse(&spki).err().map(|e| e.code()),
            Some("public_key_instead_of_private")
        );
    }

    #[test]
    fn pem_round_trip() {
        let der = ed25519_document(&[3; 32]);
        let pem = to_pem(&der);
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let pkcs8 = |text: &str, sec1: bool| match &from_pem(text, sec1) {
            Ok(PemDocument::Pkcs8(der)) => Ok(der.clone()),
            Ok(PemDocument::Sec1(_)) => Err("sec1"),
            Err(error) => Err(error.code()),
        };
        assert_eq!(pkcs8(&pem, false), Ok(der.clone()));
        assert_eq!(pkcs8(&pem.replace('\n', "\r\n"), true), Ok(der.clone()));
        assert_eq!(pkcs8("nothing here", true), Err("invalid_pem"));
        assert_eq!(
            pkcs8(
                "-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----",
                true
            ),
            Err("invalid_pem")
        );
        // Unterminated, mismatched, or a label running over lines.
        for bad in [
            "-----BEGIN PRIVATE KEY-----\nAAAA\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----",
            "-----BEGIN PRIVATE\nKEY-----\nAAAA\n-----END PRIVATE\nKEY-----",
            "-----BEGIN -----BEGIN -----",
        ] {
            assert_eq!(pkcs8(bad, true), Err("invalid_pem"), "{bad:?}");
        }
        let sec1 = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert_eq!(pkcs8(sec1, true), Err("sec1"));
        assert_eq!(pkcs8(sec1, false), Err("invalid_pem"));
        let public = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert_eq!(pkcs8(public, true), Err("public_key_instead_of_private"));
        // A public block before the private one is passed over.
        assert_eq!(pkcs8(&format!("{public}{pem}"), true), Ok(der));
        let rsa = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(pkcs8(rsa, true), Err("unsupported_key_type"));
    }
}
