//! [`WireError`]: a value that is not a valid identifier or role of the protocol.

use crate::quoted::Quoted;

/// What is wrong with an identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdProblem {
    /// It is empty.
    #[error("it is empty")]
    Empty,
    /// It is longer than allowed.
    #[error("it is {len} bytes long; at most {max} are allowed")]
    TooLong {
        /// Its length, in bytes.
        len: usize,
        /// The maximum, in bytes.
        max: usize,
    },
    /// It has a character outside the allowed set.
    #[error("the character {found:?} is not allowed")]
    InvalidCharacter {
        /// The first such character (never shown for subject ids, which may hold personal data
        /// when misused: then `found` is `'?'`).
        found: char,
    },
    /// It does not start with an ASCII letter or digit.
    #[error("it must start with an ASCII letter or digit, not {found:?}")]
    InvalidFirstCharacter {
        /// The first character.
        found: char,
    },
}

/// A value that is not a valid identifier or role of the protocol. Every variant has a stable
/// [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Not an issuer id: 1 to 256 bytes of printable ASCII without spaces.
    #[error("invalid issuer id {found}: {problem}")]
    InvalidIssuerId {
        /// The value (excerpt).
        found: Quoted,
        /// What is wrong.
        problem: IdProblem,
    },
    /// Not a plugin id: 1 to 64 bytes of `A-Z a-z 0-9 - _ .`, starting with a letter or digit.
    #[error("invalid plugin id {found}: {problem}")]
    InvalidPluginId {
        /// The value (excerpt).
        found: Quoted,
        /// What is wrong.
        problem: IdProblem,
    },
    /// Not a subject id: 1 to 128 bytes of `A-Z a-z 0-9 - _ . :`. The value is not shown: a
    /// rejected subject id is often personal data (an e-mail, a CPF with punctuation).
    #[error("invalid subject id: {problem}")]
    InvalidSubjectId {
        /// What is wrong.
        problem: IdProblem,
    },
    /// Not a client-data field name: `name`, `email`, `document`, `phone`, `units`.
    #[error("invalid client data field {found}; expected name, email, document, phone or units")]
    InvalidClientDataField {
        /// The value (excerpt).
        found: Quoted,
    },
    /// Not a valid CPF or CNPJ (length, characters or check digits). The value is not shown: it
    /// is personal data.
    #[error("not a valid CPF or CNPJ (length, characters or check digits)")]
    InvalidTaxDocument,
    /// Not a role name: `cliente`, `sindico` or `gestor`.
    #[error("invalid role {found}; expected cliente, sindico or gestor")]
    InvalidRole {
        /// The value (excerpt).
        found: Quoted,
    },
}

impl WireError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            WireError::InvalidIssuerId { .. } => "invalid_issuer_id",
            WireError::InvalidPluginId { .. } => "invalid_plugin_id",
            WireError::InvalidSubjectId { .. } => "invalid_subject_id",
            WireError::InvalidRole { .. } => "invalid_role",
            WireError::InvalidClientDataField { .. } => "invalid_client_data_field",
            WireError::InvalidTaxDocument => "invalid_tax_document",
        }
    }

    /// Every code of this enum.
    pub const ALL_CODES: &'static [&'static str] = &[
        "invalid_issuer_id",
        "invalid_plugin_id",
        "invalid_subject_id",
        "invalid_role",
        "invalid_client_data_field",
        "invalid_tax_document",
    ];

    /// What is wrong with the identifier, for the id variants.
    pub fn problem(&self) -> Option<IdProblem> {
        match self {
            WireError::InvalidIssuerId { problem, .. }
            | WireError::InvalidPluginId { problem, .. }
            | WireError::InvalidSubjectId { problem } => Some(*problem),
            WireError::InvalidRole { .. }
            | WireError::InvalidClientDataField { .. }
            | WireError::InvalidTaxDocument => None,
        }
    }
}
