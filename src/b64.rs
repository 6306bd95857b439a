//! Canonical unpadded base64url, the only base64 the protocol uses.
//!
//! Decoding is strict: no padding, no `+`/`/`, no whitespace, and the unused bits of the last
//! character must be zero, so every byte string has exactly one accepted encoding.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes bytes as unpadded base64url.
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Appends the unpadded base64url encoding of `bytes` to `out`.
#[cfg(any(feature = "portal", feature = "vendor", test))]
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// Decodes canonical unpadded base64url; `None` for anything else.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_decoding() {
        assert_eq!(decode("AQID").unwrap(), vec![1, 2, 3]);
        assert_eq!(decode("_-8").unwrap(), vec![0xff, 0xef]);
        for bad in ["AQ==", "AQI=", "+/8", "AQ ID", "AQ\nID", "AR", "AQJ", "A"] {
            assert!(decode(bad).is_none(), "{bad:?} must be rejected");
        }
        assert_eq!(decode("AQ").unwrap(), vec![1]);
        assert_eq!(encode(&[0xff, 0xef]), "_-8");
        let mut s = String::from("x.");
        encode_into(&[1, 2, 3], &mut s);
        assert_eq!(s, "x.AQID");
    }
}
