//! PKCS#8 (RFC 5208/5958) and PEM for Ed25519 (RFC 8410) and P-256 (RFC 5915) private keys.
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

/// The private part found in a PKCS#8 document.
#[derive(PartialEq, Eq)]
pub(crate) enum Pkcs8Secret {
    /// An Ed25519 seed.
    Ed25519([u8; 32]),
    /// A P-256 private scalar.
    P256([u8; 32]),
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

/// Extracts the private part of an Ed25519 or P-256 PKCS#8 document (v1 or v2).
///
/// Only the structure is read here; ring then checks the key itself.
pub(crate) fn parse(der: &[u8]) -> Result<Pkcs8Secret, KeyError> {
    parse_inner(der).ok_or(KeyError::InvalidPkcs8)
}

fn parse_inner(der: &[u8]) -> Option<Pkcs8Secret> {
    let mut outer = Der(der);
    let mut info = Der(outer.read(0x30)?);
    if !outer.0.is_empty() {
        return None;
    }
    let version = info.read(0x02)?;
    if version != [0] && version != [1] {
        return None;
    }
    let mut algorithm = Der(info.read(0x30)?);
    let oid = algorithm.read(0x06)?;
    let private = info.read(0x04)?;
    if oid == OID_ED25519 {
        let seed = Der(private).read(0x04)?;
        return Some(Pkcs8Secret::Ed25519(seed.try_into().ok()?));
    }
    if oid == OID_EC_PUBLIC_KEY {
        if algorithm.read(0x06)? != OID_P256 {
            return None;
        }
        let mut ec = Der(Der(private).read(0x30)?);
        if ec.read(0x02)? != [1] {
            return None;
        }
        let d = ec.read(0x04)?;
        // Optional [0] parameters, if present, must name P-256 too.
        if ec.peek_tag() == Some(0xa0) && Der(ec.read(0xa0)?).read(0x06)? != OID_P256 {
            return None;
        }
        return Some(Pkcs8Secret::P256(d.try_into().ok()?));
    }
    None
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

/// Reads the first PEM `PRIVATE KEY` block of `text`. The caller wipes the document after use.
pub(crate) fn from_pem(text: &str) -> Result<Vec<u8>, KeyError> {
    let start = text.find(PEM_BEGIN).ok_or(KeyError::InvalidPem)? + PEM_BEGIN.len();
    let len = text[start..].find(PEM_END).ok_or(KeyError::InvalidPem)?;
    decode_pem_body(&text[start..start + len])
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

    #[test]
    fn templates_parse_back() {
        let seed = [7u8; 32];
        assert!(parse(&ed25519_document(&seed)) == Ok(Pkcs8Secret::Ed25519(seed)));
        let d = [9u8; 32];
        let mut point = vec![4u8];
        point.extend_from_slice(&[1u8; 64]);
        assert!(parse(&p256_document(&d, &point)) == Ok(Pkcs8Secret::P256(d)));
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
        }
        let mut trailing = ed25519_document(&[1; 32]);
        trailing.push(0);
        assert!(parse(&trailing).is_err());
    }

    #[test]
    fn pem_round_trip() {
        let der = ed25519_document(&[3; 32]);
        let pem = to_pem(&der);
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_eq!(from_pem(&pem).unwrap(), der);
        assert_eq!(from_pem(&pem.replace('\n', "\r\n")).unwrap(), der);
        assert_eq!(from_pem("nothing here"), Err(KeyError::InvalidPem));
        assert_eq!(
            from_pem("-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----"),
            Err(KeyError::InvalidPem)
        );
    }
}
