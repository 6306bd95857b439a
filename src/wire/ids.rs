//! The protocol's identifiers: [`IssuerId`] (`iss`), [`PluginId`] (`aud`), [`SubjectId`] (`sub`)
//! and [`TokenId`] (`jti`). Each can only hold a valid value.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::{IdProblem, WireError};
use crate::quoted::Quoted;

/// The string-like surface every identifier shares.
macro_rules! id_type {
    ($ty:ident) => {
        impl $ty {
            /// The identifier as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($ty)).field(&self.0).finish()
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$ty> for String {
            fn from(id: $ty) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    };
}

/// Validation on the way in, for the identifiers a caller may build.
macro_rules! parsed_id_type {
    ($ty:ident) => {
        id_type!($ty);

        impl FromStr for $ty {
            type Err = WireError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::new(s)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                $ty::new(raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// The portal's issuer identifier: the `iss` claim (for example `https://portal.construtora.com.br`).
///
/// 1 to [`IssuerId::MAX_LEN`] bytes of printable ASCII without spaces. Comparison is exact: a
/// trailing slash makes another issuer.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IssuerId(String);
parsed_id_type!(IssuerId);

impl IssuerId {
    /// Maximum length of an issuer id, in bytes.
    pub const MAX_LEN: usize = 256;

    /// Validates and wraps an issuer identifier.
    ///
    /// ```
    /// use cv_portal_plugin::IssuerId;
    /// assert!(IssuerId::new("https://portal.example.com.br").is_ok());
    /// assert_eq!(IssuerId::new("has space").unwrap_err().code(), "invalid_issuer_id");
    /// ```
    pub fn new(id: impl Into<String>) -> Result<Self, WireError> {
        let id = id.into();
        let problem = length_problem(&id, Self::MAX_LEN).or_else(|| {
            id.chars()
                .find(|c| !c.is_ascii_graphic())
                .map(|found| IdProblem::InvalidCharacter { found })
        });
        match problem {
            None => Ok(IssuerId(id)),
            Some(problem) => Err(WireError::InvalidIssuerId {
                found: Quoted::ascii(&id),
                problem,
            }),
        }
    }
}

/// The stable identifier of a plugin. Launch tokens carry it as their audience (`aud`), so the
/// vendor can reject a token minted for another plugin.
///
/// Accepted: 1 to [`PluginId::MAX_LEN`] bytes of ASCII letters, digits, `-`, `_` and `.`, starting
/// with a letter or a digit (so `.`, `..` and `-x` are not ids). Comparison is exact
/// (case-sensitive). The JSON form is the plain string, validated on the way in.
///
/// ```
/// use cv_portal_plugin::PluginId;
///
/// let id = PluginId::new("financeiro-2via")?;
/// assert_eq!(id.as_str(), "financeiro-2via");
/// assert_eq!("finan ceiro".parse::<PluginId>().unwrap_err().code(), "invalid_plugin_id");
/// # Ok::<(), cv_portal_plugin::WireError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PluginId(String);
parsed_id_type!(PluginId);

impl PluginId {
    /// Maximum length of a plugin id, in bytes.
    pub const MAX_LEN: usize = 64;

    /// Validates and wraps a plugin id.
    pub fn new(id: impl Into<String>) -> Result<Self, WireError> {
        let id = id.into();
        match plugin_id_problems(&id).into_iter().next() {
            None => Ok(PluginId(id)),
            Some(problem) => Err(WireError::InvalidPluginId {
                found: Quoted::ascii(&id),
                problem,
            }),
        }
    }
}

/// `Empty` or `TooLong`, the length rules every identifier shares.
fn length_problem(id: &str, max: usize) -> Option<IdProblem> {
    if id.is_empty() {
        Some(IdProblem::Empty)
    } else if id.len() > max {
        Some(IdProblem::TooLong { len: id.len(), max })
    } else {
        None
    }
}

/// Every problem of a would-be plugin id (at most two: its length and its characters), for the
/// configuration's report-everything validation.
pub(crate) fn plugin_id_problems(id: &str) -> Vec<IdProblem> {
    let mut problems = Vec::new();
    match length_problem(id, PluginId::MAX_LEN) {
        Some(IdProblem::Empty) => return vec![IdProblem::Empty],
        Some(too_long) => problems.push(too_long),
        None => {}
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if let Some(found) = id.chars().find(|&c| !allowed(c)) {
        problems.push(IdProblem::InvalidCharacter { found });
    } else if let Some(found) = id.chars().next().filter(|c| !c.is_ascii_alphanumeric()) {
        problems.push(IdProblem::InvalidFirstCharacter { found });
    }
    problems
}

/// The portal's identifier for a person: the `sub` claim of a launch token.
///
/// It must be an opaque identifier, never personal data (the token travels in a URL). Accepted:
/// 1 to [`SubjectId::MAX_LEN`] bytes of ASCII letters, digits and `-` `_` `.` `:`.
///
/// ```
/// use cv_portal_plugin::SubjectId;
/// assert!(SubjectId::new("12345").is_ok());
/// assert_eq!(SubjectId::new("maria@example.com").unwrap_err().code(), "invalid_subject_id");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubjectId(String);
parsed_id_type!(SubjectId);

impl SubjectId {
    /// Maximum length of a subject id, in bytes.
    pub const MAX_LEN: usize = 128;

    /// Validates and wraps a subject identifier.
    pub fn new(id: impl Into<String>) -> Result<Self, WireError> {
        let id = id.into();
        let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':');
        let problem = length_problem(&id, Self::MAX_LEN).or_else(|| {
            // The character is not shown: see `WireError::InvalidSubjectId`.
            (!id.bytes().all(allowed)).then_some(IdProblem::InvalidCharacter { found: '?' })
        });
        match problem {
            None => Ok(SubjectId(id)),
            Some(problem) => Err(WireError::InvalidSubjectId { problem }),
        }
    }
}

/// A token's unique identifier: the `jti` claim, the key of single use.
///
/// 16 to 128 bytes of the base64url alphabet (`A-Z a-z 0-9 - _`), so a UUID also fits; the crate
/// mints 22 (128 random bits). Values exist only in minted or verified claims.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenId(String);
id_type!(TokenId);

impl TokenId {
    /// Bounds of a `jti`, in bytes.
    pub const LEN: std::ops::RangeInclusive<usize> = 16..=128;

    #[cfg(any(feature = "vendor", test))]
    pub(crate) fn parse(raw: &str) -> Option<TokenId> {
        let ok = Self::LEN.contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| TokenId(raw.to_owned()))
    }

    /// Draws 128 bits from ring's system random generator.
    #[cfg(any(feature = "portal", test))]
    pub(crate) fn random() -> Option<TokenId> {
        use ring::rand::SecureRandom as _;
        let mut bytes = [0u8; 16];
        ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
        Some(TokenId(crate::b64::encode(&bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_id_rules() {
        assert!(IssuerId::new("cv:construtora-x").is_ok());
        assert!(IssuerId::new("x".repeat(256)).is_ok());
        for (bad, problem) in [
            ("", IdProblem::Empty),
            ("a b", IdProblem::InvalidCharacter { found: ' ' }),
            ("é", IdProblem::InvalidCharacter { found: 'é' }),
            (&"x".repeat(257), IdProblem::TooLong { len: 257, max: 256 }),
        ] {
            let error = IssuerId::new(bad).unwrap_err();
            assert_eq!(error.problem(), Some(problem), "{bad:?}");
            assert_eq!(error.code(), "invalid_issuer_id");
        }
    }

    #[test]
    fn plugin_id_rules() {
        for ok in ["a", "9", "financeiro", "Fin.2-via_x", &"x".repeat(64)] {
            assert_eq!(PluginId::new(ok).unwrap().as_str(), ok);
        }
        let cases = [
            ("", IdProblem::Empty),
            ("a b", IdProblem::InvalidCharacter { found: ' ' }),
            ("finança", IdProblem::InvalidCharacter { found: 'ç' }),
            ("a:b", IdProblem::InvalidCharacter { found: ':' }),
            (".", IdProblem::InvalidFirstCharacter { found: '.' }),
            ("-x", IdProblem::InvalidFirstCharacter { found: '-' }),
            ("_x", IdProblem::InvalidFirstCharacter { found: '_' }),
        ];
        for (input, problem) in cases {
            let error = PluginId::new(input).unwrap_err();
            assert_eq!(error.problem(), Some(problem), "{input:?}");
            assert_eq!(error.code(), "invalid_plugin_id");
        }
        assert_eq!(plugin_id_problems(&"é".repeat(40)).len(), 2);
        let id: PluginId = serde_json::from_str("\"boleto\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"boleto\"");
        assert!(serde_json::from_str::<PluginId>("\"bo leto\"").is_err());
        assert!(serde_json::from_str::<PluginId>("7").is_err());
    }

    #[test]
    fn subject_rules_never_echo_the_value() {
        assert!(SubjectId::new("pessoa:42_x.y-z").is_ok());
        assert!(SubjectId::new("x".repeat(128)).is_ok());
        assert_eq!(
            SubjectId::new("x".repeat(129)).unwrap_err().problem(),
            Some(IdProblem::TooLong { len: 129, max: 128 })
        );
        for bad in ["a b", "a/b", "é", "maria@example.com", "a\nb", "<x>"] {
            let error = SubjectId::new(bad).unwrap_err();
            assert_eq!(error.code(), "invalid_subject_id");
            assert!(!error.to_string().contains(bad), "{error}");
        }
        assert!(serde_json::from_str::<SubjectId>("\"a b\"").is_err());
    }

    #[test]
    fn token_id_rules() {
        assert!(TokenId::parse("0123456789abcdef").is_some());
        assert!(TokenId::parse("0123456789abcde").is_none());
        assert!(TokenId::parse("123e4567-e89b-12d3-a456-426614174000").is_some());
        assert!(TokenId::parse(&"a".repeat(129)).is_none());
        assert!(TokenId::parse("0123456789abcdef/").is_none());
        let a = TokenId::random().unwrap();
        assert_eq!(a.as_str().len(), 22);
        assert_ne!(a, TokenId::random().unwrap());
        assert!(TokenId::parse(a.as_str()).is_some());
    }
}
