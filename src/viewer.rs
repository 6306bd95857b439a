//! Who is looking at the portal: the viewer's [`Role`], the [`Surface`] that role uses, and the
//! [`SubjectId`] that identifies the person in launch tokens.
//!
//! The portal has two surfaces. The client portal (Portal do Cliente) is used by buyers
//! ([`Role::Cliente`]) and building managers ([`Role::Sindico`]); the manager panel (Portal do
//! Gestor) is used by the construction company's staff ([`Role::Gestor`]). A role therefore fixes the
//! surface, and menu resolution and token minting both start from it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The role of the person using the portal. It travels in the launch token as the `role` claim.
///
/// The JSON form is the lowercase, accent-free Portuguese name: `"cliente"`, `"sindico"`,
/// `"gestor"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A buyer using the client portal (Portal do Cliente): "Cliente".
    Cliente,
    /// A building manager using the client portal: "Síndico".
    Sindico,
    /// A staff user of the construction company in the manager panel (Portal do Gestor).
    Gestor,
}

impl Role {
    /// Every role, in a fixed order (useful for tables and tests).
    pub const ALL: [Role; 3] = [Role::Cliente, Role::Sindico, Role::Gestor];

    /// The stable wire name used in tokens, JSON and the CLI: `cliente`, `sindico` or `gestor`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Cliente => "cliente",
            Role::Sindico => "sindico",
            Role::Gestor => "gestor",
        }
    }

    /// Parses a wire name (exact, lowercase). Returns `None` for anything else.
    pub fn from_wire(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// The surface this role uses.
    pub const fn surface(self) -> Surface {
        match self {
            Role::Cliente | Role::Sindico => Surface::ClientPortal,
            Role::Gestor => Surface::ManagerPanel,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = InvalidSubject;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::from_wire(s).ok_or(InvalidSubject::UnknownRole)
    }
}

/// Where a plugin's menu entry is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Surface {
    /// The client portal (Portal do Cliente), used by clientes and síndicos.
    ClientPortal,
    /// The manager panel (Portal do Gestor), used by staff.
    ManagerPanel,
}

/// Maximum length of a [`SubjectId`], in bytes.
pub const SUBJECT_ID_MAX_LEN: usize = 128;

/// The portal's identifier for a person: the `sub` claim of a launch token.
///
/// It must be an opaque identifier, never personal data (the token travels in a URL). Accepted:
/// 1 to [`SUBJECT_ID_MAX_LEN`] bytes of ASCII letters, digits and `-` `_` `.` `:`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SubjectId(String);

impl SubjectId {
    /// Validates and wraps a subject identifier.
    ///
    /// ```
    /// use cv_portal_plugin::SubjectId;
    /// assert!(SubjectId::new("12345").is_ok());
    /// assert!(SubjectId::new("maria@example.com").is_err());
    /// ```
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidSubject> {
        let id = id.into();
        if id.is_empty() {
            return Err(InvalidSubject::Empty);
        }
        if id.len() > SUBJECT_ID_MAX_LEN {
            return Err(InvalidSubject::TooLong { len: id.len() });
        }
        if !id.bytes().all(is_id_byte) {
            return Err(InvalidSubject::InvalidCharacter);
        }
        Ok(SubjectId(id))
    }

    /// The identifier as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The byte set shared by subject identifiers: ASCII alphanumerics and `-` `_` `.` `:`.
pub(crate) fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')
}

impl fmt::Debug for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SubjectId").field(&self.0).finish()
    }
}

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for SubjectId {
    type Err = InvalidSubject;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SubjectId::new(s)
    }
}

impl<'de> Deserialize<'de> for SubjectId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        SubjectId::new(raw).map_err(serde::de::Error::custom)
    }
}

/// Why a subject identifier or role name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidSubject {
    /// The identifier is empty.
    #[error("subject id is empty")]
    Empty,
    /// The identifier is longer than [`SUBJECT_ID_MAX_LEN`].
    #[error("subject id is {len} bytes long; at most {SUBJECT_ID_MAX_LEN} are allowed")]
    TooLong {
        /// The length found.
        len: usize,
    },
    /// The identifier has a byte outside the allowed set.
    #[error("subject id may only contain ASCII letters, digits and - _ . :")]
    InvalidCharacter,
    /// The role name is not `cliente`, `sindico` or `gestor`.
    #[error("unknown role; expected cliente, sindico or gestor")]
    UnknownRole,
}

impl InvalidSubject {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            InvalidSubject::Empty => "subject.empty",
            InvalidSubject::TooLong { .. } => "subject.too_long",
            InvalidSubject::InvalidCharacter => "subject.invalid_character",
            InvalidSubject::UnknownRole => "role.unknown",
        }
    }
}

/// A logged-in person: who they are and in which role they use the portal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Viewer {
    subject: SubjectId,
    role: Role,
}

impl Viewer {
    /// A viewer with the given subject identifier and role.
    pub fn new(subject: SubjectId, role: Role) -> Self {
        Viewer { subject, role }
    }

    /// The person's identifier.
    pub fn subject(&self) -> &SubjectId {
        &self.subject
    }

    /// The person's role.
    pub fn role(&self) -> Role {
        self.role
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_wire_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_wire(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), role);
        }
        assert_eq!(Role::from_wire("Cliente"), None);
        assert_eq!(Role::from_wire("síndico"), None);
        assert!(serde_json::from_str::<Role>("\"admin\"").is_err());
    }

    #[test]
    fn surfaces() {
        assert_eq!(Role::Cliente.surface(), Surface::ClientPortal);
        assert_eq!(Role::Sindico.surface(), Surface::ClientPortal);
        assert_eq!(Role::Gestor.surface(), Surface::ManagerPanel);
    }

    #[test]
    fn subject_rules() {
        assert!(SubjectId::new("a").is_ok());
        assert!(SubjectId::new("pessoa:42_x.y-z").is_ok());
        assert_eq!(SubjectId::new(""), Err(InvalidSubject::Empty));
        assert_eq!(
            SubjectId::new("x".repeat(129)),
            Err(InvalidSubject::TooLong { len: 129 })
        );
        assert!(SubjectId::new("x".repeat(128)).is_ok());
        for bad in ["a b", "a/b", "é", "a@b", "a\nb", "<x>"] {
            assert_eq!(
                SubjectId::new(bad),
                Err(InvalidSubject::InvalidCharacter),
                "{bad}"
            );
        }
        assert!(serde_json::from_str::<SubjectId>("\"a b\"").is_err());
        assert_eq!(SubjectId::new("").unwrap_err().code(), "subject.empty");
        assert_eq!("admin".parse::<Role>().unwrap_err().code(), "role.unknown");
    }
}
