//! [`PluginId`]: the stable plugin identifier, which becomes the launch token's audience (`aud`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::{ConfigError, ConfigErrorKind};

/// The stable identifier of a plugin. Launch tokens carry it as their audience (`aud`), so the
/// vendor can reject a token minted for another plugin.
///
/// Accepted: 1 to [`PluginId::MAX_LEN`] bytes of ASCII letters, digits, `-`, `_` and `.`, starting
/// with a letter or a digit (so `.`, `..` and `-x` are not ids). Comparison is exact
/// (case-sensitive). The JSON form is the plain string, validated on the way in.
///
/// ```
/// use cv_portal_plugin::config::PluginId;
///
/// let id = PluginId::new("financeiro-2via").unwrap();
/// assert_eq!(id.as_str(), "financeiro-2via");
/// assert_eq!(PluginId::new("finan ceiro").unwrap_err().code(), "id.invalid_character");
/// assert_eq!("".parse::<PluginId>().unwrap_err().code(), "id.empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PluginId(String);

impl PluginId {
    /// Maximum length of a plugin id, in bytes.
    pub const MAX_LEN: usize = 64;

    /// Validates and wraps a plugin id. The error's path is `"id"`.
    pub fn new(id: impl Into<String>) -> Result<Self, ConfigError> {
        let id = id.into();
        match check(&id) {
            Ok(()) => Ok(PluginId(id)),
            Err(kind) => Err(ConfigError::new("id", kind)),
        }
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Validation used by the configuration: every problem of `id` (at most two).
    pub(crate) fn parse_all(id: &str) -> Result<PluginId, Vec<ConfigErrorKind>> {
        let mut problems = Vec::new();
        if id.is_empty() {
            return Err(vec![ConfigErrorKind::IdEmpty]);
        }
        if id.len() > Self::MAX_LEN {
            problems.push(ConfigErrorKind::IdTooLong { len: id.len() });
        }
        if let Err(kind) = check_characters(id) {
            problems.push(kind);
        }
        if problems.is_empty() {
            Ok(PluginId(id.to_owned()))
        } else {
            Err(problems)
        }
    }
}

/// The first problem of `id`, if any.
fn check(id: &str) -> Result<(), ConfigErrorKind> {
    match PluginId::parse_all(id) {
        Ok(_) => Ok(()),
        Err(mut problems) => Err(problems.remove(0)),
    }
}

fn is_plugin_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn check_characters(id: &str) -> Result<(), ConfigErrorKind> {
    if let Some(found) = id.chars().find(|&c| !is_plugin_id_char(c)) {
        return Err(ConfigErrorKind::IdInvalidCharacter { found });
    }
    match id.chars().next() {
        Some(found) if !found.is_ascii_alphanumeric() => {
            Err(ConfigErrorKind::IdInvalidFirstCharacter { found })
        }
        _ => Ok(()),
    }
}

impl fmt::Display for PluginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl FromStr for PluginId {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PluginId::new(s)
    }
}

impl AsRef<str> for PluginId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<PluginId> for String {
    fn from(id: PluginId) -> String {
        id.0
    }
}

impl PartialEq<str> for PluginId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for PluginId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<'de> Deserialize<'de> for PluginId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        PluginId::new(raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_set() {
        for ok in ["a", "9", "financeiro", "Fin.2-via_x", &"x".repeat(64)] {
            assert_eq!(PluginId::new(ok).map(String::from).as_deref(), Ok(ok));
        }
    }

    #[test]
    fn rejects_with_codes() {
        let cases: &[(&str, &str)] = &[
            ("", "id.empty"),
            ("a b", "id.invalid_character"),
            ("finança", "id.invalid_character"),
            ("a/b", "id.invalid_character"),
            ("a:b", "id.invalid_character"),
            (".", "id.invalid_first_character"),
            ("..", "id.invalid_first_character"),
            ("-x", "id.invalid_first_character"),
            ("_x", "id.invalid_first_character"),
        ];
        for (input, code) in cases {
            let err = PluginId::new(*input).unwrap_err();
            assert_eq!(err.code(), *code, "{input:?}");
            assert_eq!(err.path(), "id");
        }
        assert_eq!(
            PluginId::new("x".repeat(65)).unwrap_err().kind(),
            &ConfigErrorKind::IdTooLong { len: 65 }
        );
        // Both problems of one id are reported by the configuration validator.
        let all = PluginId::parse_all(&"é".repeat(40)).unwrap_err();
        assert_eq!(all.len(), 2);
    }

    #[test]
    fn serde_validates() {
        let id: PluginId = serde_json::from_str("\"boleto\"").unwrap();
        assert_eq!(id, "boleto");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"boleto\"");
        assert!(serde_json::from_str::<PluginId>("\"bo leto\"").is_err());
        assert!(serde_json::from_str::<PluginId>("7").is_err());
    }
}
