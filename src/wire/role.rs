//! [`Role`]: the `role` claim, the person's role in the portal.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::WireError;
use crate::quoted::Quoted;

/// The role of the person using the portal. It travels in the launch token as the `role` claim.
///
/// The wire form (tokens, JSON, the CLI) is the lowercase, accent-free Portuguese name:
/// `cliente`, `sindico`, `gestor`. New roles may be added, so match with a `_` arm.
///
/// ```
/// use cv_portal_plugin::Role;
/// assert_eq!("sindico".parse::<Role>()?, Role::Sindico);
/// assert_eq!("Síndico".parse::<Role>().unwrap_err().code(), "invalid_role");
/// # Ok::<(), cv_portal_plugin::WireError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Role {
    /// A buyer using the client portal (Portal do Cliente): "Cliente".
    Cliente,
    /// A building manager using the client portal: "Síndico".
    Sindico,
    /// A staff user of the construction company in the manager panel (Portal do Gestor).
    Gestor,
}

impl Role {
    /// Every role, in a fixed order (useful for tables and tests). A slice, so that a new role
    /// is not a breaking change.
    pub const ALL: &'static [Role] = &[Role::Cliente, Role::Sindico, Role::Gestor];

    /// The wire name: `cliente`, `sindico` or `gestor`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Cliente => "cliente",
            Role::Sindico => "sindico",
            Role::Gestor => "gestor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Role {
    type Err = WireError;

    /// Parses a wire name, exactly (lowercase, no accent).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .iter()
            .copied()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| WireError::InvalidRole {
                found: Quoted::ascii(s),
            })
    }
}

/// The one parser: the JSON form is read through [`FromStr`], like the identifiers.
impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for &role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), role);
        }
        for bad in ["Cliente", "síndico", "admin", ""] {
            assert_eq!(bad.parse::<Role>().unwrap_err().code(), "invalid_role");
        }
        assert!(serde_json::from_str::<Role>("\"admin\"").is_err());
    }
}
