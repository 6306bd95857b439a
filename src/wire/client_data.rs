//! The client data a plugin may receive (PROTOCOL.md §10): which fields exist
//! ([`ClientDataField`]), the person's tax document ([`TaxDocument`], a CPF or CNPJ with its check
//! digits validated) and the answer of the portal's client-data endpoint ([`ClientData`]).
//!
//! The launch token never carries any of this: it travels in URLs. The vendor asks the portal for
//! it with the token it just verified, and the portal answers only with the fields the plugin was
//! granted (LGPD data minimisation).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{PluginId, Role, SubjectId, WireError};
use crate::quoted::Quoted;

/// A field of client data a plugin may be granted ("dados do cliente"). Granting is per plugin
/// and explicit: a plugin receives none until the portal admin grants some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ClientDataField {
    /// The person's full name (`name`).
    Name,
    /// The person's e-mail address (`email`).
    Email,
    /// The person's CPF or CNPJ (`document`).
    Document,
    /// The person's phone number (`phone`).
    Phone,
    /// The person's units: empreendimento, bloco, unidade, contract (`units`).
    Units,
}

impl ClientDataField {
    /// Every field, in the order of the answer document.
    pub const ALL: &'static [ClientDataField] = &[
        ClientDataField::Name,
        ClientDataField::Email,
        ClientDataField::Document,
        ClientDataField::Phone,
        ClientDataField::Units,
    ];

    /// The wire name, also the member name in the answer: `name`, `email`, `document`, `phone`,
    /// `units`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClientDataField::Name => "name",
            ClientDataField::Email => "email",
            ClientDataField::Document => "document",
            ClientDataField::Phone => "phone",
            ClientDataField::Units => "units",
        }
    }

    /// Whether the field is personal data in the LGPD's sense (art. 5, I). Every field of today
    /// is: even the units, tied to a known person, say where they live and what they signed.
    pub const fn is_personal(self) -> bool {
        match self {
            ClientDataField::Name
            | ClientDataField::Email
            | ClientDataField::Document
            | ClientDataField::Phone
            | ClientDataField::Units => true,
        }
    }
}

impl fmt::Display for ClientDataField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for ClientDataField {
    type Err = WireError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClientDataField::ALL
            .iter()
            .copied()
            .find(|field| field.as_str() == s)
            .ok_or_else(|| WireError::InvalidClientDataField {
                found: Quoted::ascii(s),
            })
    }
}

impl Serialize for ClientDataField {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ClientDataField {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// A Brazilian tax document: a CPF (a person, 11 digits) or a CNPJ (a company, 14 characters,
/// the first 12 alphanumeric since the Receita Federal's 2026 format), check digits validated.
///
/// The JSON form is `{"type": "cpf" | "cnpj", "number": "<digits only>"}`; input with the usual
/// punctuation (`123.456.789-09`, `12.345.678/0001-95`) is accepted by [`TaxDocument::parse`] and
/// normalised. `Debug` masks all but the last two digits: it is personal data.
///
/// ```
/// use cv_portal_plugin::wire::TaxDocument;
/// let cpf = TaxDocument::parse("529.982.247-25")?;
/// assert_eq!(cpf.number(), "52998224725");
/// assert!(TaxDocument::parse("529.982.247-26").is_err()); // a wrong check digit
/// assert_eq!(format!("{cpf:?}"), "Cpf(\"*********25\")");
/// # Ok::<(), cv_portal_plugin::WireError>(())
/// ```
///
/// A value can only be built by [`parse`](Self::parse) (or read from its JSON form, which parses),
/// so a portal cannot send an unchecked or unnormalised number by mistake.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TaxDocument {
    kind: DocumentKind,
    /// Digits (and, for a CNPJ, upper-case letters), without punctuation; ASCII.
    number: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum DocumentKind {
    Cpf,
    Cnpj,
}

impl TaxDocument {
    /// Parses a CPF or a CNPJ, with or without punctuation (`.`, `-`, `/`, spaces), validating
    /// its check digits. Letters are accepted in a CNPJ's first 12 characters (upper case).
    pub fn parse(text: &str) -> Result<TaxDocument, WireError> {
        let invalid = || WireError::InvalidTaxDocument;
        let compact: String = text
            .chars()
            .filter(|c| !matches!(c, '.' | '-' | '/' | ' '))
            .collect();
        let kind = if compact.len() == 11
            && compact.bytes().all(|b| b.is_ascii_digit())
            && valid_cpf(&compact)
        {
            DocumentKind::Cpf
        } else if compact.len() == 14 && valid_cnpj(&compact) {
            DocumentKind::Cnpj
        } else {
            return Err(invalid());
        };
        Ok(TaxDocument {
            kind,
            number: compact,
        })
    }

    /// The number, without punctuation.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// `cpf` or `cnpj`.
    pub fn kind(&self) -> &'static str {
        match self.kind {
            DocumentKind::Cpf => "cpf",
            DocumentKind::Cnpj => "cnpj",
        }
    }
}

/// A CPF's two check digits (modulo 11, weights 10..2 then 11..2); a CPF of one repeated digit
/// is not valid although its digits check.
fn valid_cpf(digits: &str) -> bool {
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    if d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let check = |n: usize| {
        let sum: u32 = (0..n).map(|i| d[i] * (n as u32 + 1 - i as u32)).sum();
        (sum * 10) % 11 % 10
    };
    check(9) == d[9] && check(10) == d[10]
}

/// A CNPJ's two check digits (modulo 11, weights 2..9 from the right); each of the first 12
/// characters counts as its ASCII code minus 48, so digits keep their value and letters (the
/// alphanumeric CNPJ) count 17 and up.
fn valid_cnpj(text: &str) -> bool {
    let bytes = text.as_bytes();
    let body_ok = bytes[..12]
        .iter()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    if !body_ok || !bytes[12..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if bytes.iter().all(|&b| b == bytes[0]) {
        return false;
    }
    let value: Vec<u32> = bytes.iter().map(|&b| u32::from(b) - 48).collect();
    let check = |n: usize| {
        let sum: u32 = (0..n)
            .map(|i| value[n - 1 - i] * (2 + (i as u32 % 8)))
            .sum();
        match sum % 11 {
            0 | 1 => 0,
            r => 11 - r,
        }
    };
    check(12) == value[12] && check(13) == value[13]
}

impl fmt::Debug for TaxDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // By characters, so no input could make it slice inside one (the number is ASCII).
        let count = self.number.chars().count();
        let masked: String = self
            .number
            .chars()
            .enumerate()
            .map(|(i, c)| if i + 2 < count { '*' } else { c })
            .collect();
        let name = match self.kind {
            DocumentKind::Cpf => "Cpf",
            DocumentKind::Cnpj => "Cnpj",
        };
        f.debug_tuple(name).field(&masked).finish()
    }
}

#[derive(Serialize, Deserialize)]
struct TaxDocumentJson {
    #[serde(rename = "type")]
    kind: String,
    number: String,
}

impl Serialize for TaxDocument {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        TaxDocumentJson {
            kind: self.kind().to_owned(),
            number: self.number().to_owned(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TaxDocument {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = TaxDocumentJson::deserialize(deserializer)?;
        let document = TaxDocument::parse(&json.number).map_err(serde::de::Error::custom)?;
        if document.kind() != json.kind || document.number() != json.number {
            return Err(serde::de::Error::custom(
                "the document's type or number is not in its normal form",
            ));
        }
        Ok(document)
    }
}

/// One of the person's units in a development ("empreendimento"). `Debug` shows which parts are
/// present, not their values (personal data once tied to a person).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// The development ("empreendimento").
    pub empreendimento: String,
    /// The building or block ("bloco"), when the development has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bloco: Option<String>,
    /// The unit ("unidade"), e.g. an apartment number.
    pub unidade: String,
    /// The portal's contract id for the unit, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<String>,
}

impl fmt::Debug for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unit")
            .field("bloco", &self.bloco.is_some())
            .field("contract_id", &self.contract_id.is_some())
            .finish_non_exhaustive()
    }
}

/// The answer of the portal's client-data endpoint: who the launch was for, and the fields the
/// plugin was granted. A field that was not granted is absent (`None`), never empty.
///
/// The JSON form ignores unknown members (the portal may add fields) and rejects wrong types.
/// `Debug` shows which fields are present, not their values (personal data).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientData {
    /// The person (`sub` of the launch token).
    pub sub: SubjectId,
    /// Their role.
    pub role: Role,
    /// The plugin the data is for (`aud` of the launch token).
    pub plugin: PluginId,
    /// `name`, if granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `email`, if granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `document` (CPF or CNPJ), if granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<TaxDocument>,
    /// `phone`, if granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// `units`, if granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<Vec<Unit>>,
}

impl ClientData {
    /// The fields present in this answer.
    pub fn fields(&self) -> Vec<ClientDataField> {
        let present = [
            (ClientDataField::Name, self.name.is_some()),
            (ClientDataField::Email, self.email.is_some()),
            (ClientDataField::Document, self.document.is_some()),
            (ClientDataField::Phone, self.phone.is_some()),
            (ClientDataField::Units, self.units.is_some()),
        ];
        present
            .into_iter()
            .filter_map(|(field, is)| is.then_some(field))
            .collect()
    }

    /// Removes every field not in `granted`: what the portal applies before answering, whatever
    /// its lookup returned.
    pub fn keep_only(&mut self, granted: &[ClientDataField]) {
        // Destructured without `..`: a field added to `ClientData` does not compile here until
        // this method decides what happens to it, so it can never leak ungranted.
        let ClientData {
            sub: _,
            role: _,
            plugin: _,
            name,
            email,
            document,
            phone,
            units,
        } = self;
        let keep = |field| granted.contains(&field);
        if !keep(ClientDataField::Name) {
            *name = None;
        }
        if !keep(ClientDataField::Email) {
            *email = None;
        }
        if !keep(ClientDataField::Document) {
            *document = None;
        }
        if !keep(ClientDataField::Phone) {
            *phone = None;
        }
        if !keep(ClientDataField::Units) {
            *units = None;
        }
    }
}

impl fmt::Debug for ClientData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientData")
            .field("sub", &self.sub)
            .field("role", &self.role)
            .field("plugin", &self.plugin)
            .field("fields", &self.fields())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpf_check_digits() {
        // Valid CPFs computed by hand from the rule (weights 10..2, then 11..2).
        for ok in [
            "529.982.247-25",
            "52998224725",
            "111.444.777-35",
            "390.533.447-05",
        ] {
            assert!(TaxDocument::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "529.982.247-24",
            "111.111.111-11",
            "0000000000",
            "5299822472a",
            "",
        ] {
            assert_eq!(
                TaxDocument::parse(bad).unwrap_err().code(),
                "invalid_tax_document",
                "{bad}"
            );
        }
    }

    #[test]
    fn cnpj_check_digits_numeric_and_alphanumeric() {
        // 11.222.333/0001-81 is the classic example; 12.ABC.345/01DE-35 is the Receita Federal's
        // published alphanumeric example.
        for ok in ["11.222.333/0001-81", "11222333000181", "12.ABC.345/01DE-35"] {
            let document = TaxDocument::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(document.kind(), "cnpj");
        }
        for bad in [
            "11.222.333/0001-82",
            "12.ABC.345/01DE-36",
            "12.abc.345/01de-35",
            "00000000000000",
        ] {
            assert!(TaxDocument::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn documents_round_trip_in_normal_form_and_debug_masks_them() {
        let cpf = TaxDocument::parse("529.982.247-25").unwrap();
        let json = serde_json::to_string(&cpf).unwrap();
        assert_eq!(json, r#"{"type":"cpf","number":"52998224725"}"#);
        assert_eq!(serde_json::from_str::<TaxDocument>(&json).unwrap(), cpf);
        assert!(
            serde_json::from_str::<TaxDocument>(r#"{"type":"cnpj","number":"52998224725"}"#)
                .is_err()
        );
        assert!(
            serde_json::from_str::<TaxDocument>(r#"{"type":"cpf","number":"529.982.247-25"}"#)
                .is_err()
        );
        assert!(!format!("{cpf:?}").contains("529982247"));
    }

    #[test]
    fn client_data_keeps_only_granted_fields_and_hides_values_in_debug() {
        let mut data: ClientData = serde_json::from_str(
            r#"{"sub":"48213","role":"cliente","plugin":"financeiro","name":"Maria Souza",
                "email":"maria@example.com","document":{"type":"cpf","number":"52998224725"},
                "phone":"+5511987654321","units":[{"empreendimento":"Residencial Ipê","bloco":"B",
                "unidade":"1204","contract_id":"C-2024-0042"}],"future_field":true}"#,
        )
        .unwrap();
        assert_eq!(data.fields().len(), 5);
        data.keep_only(&[ClientDataField::Units, ClientDataField::Name]);
        assert_eq!(
            data.fields(),
            [ClientDataField::Name, ClientDataField::Units]
        );
        let json = serde_json::to_value(&data).unwrap();
        assert!(json.get("email").is_none() && json.get("document").is_none());
        assert!(!format!("{data:?}").contains("Maria"));
        let unit = &data.units.as_ref().unwrap()[0];
        let shown = format!("{unit:?}");
        assert!(!shown.contains("Ipê") && !shown.contains("1204") && !shown.contains("C-2024"));
        // Wrong types are refused.
        assert!(
            serde_json::from_str::<ClientData>(
                r#"{"sub":"1","role":"cliente","plugin":"p","name":7}"#
            )
            .is_err()
        );
    }

    #[test]
    fn field_names_round_trip() {
        for &field in ClientDataField::ALL {
            assert_eq!(field.as_str().parse::<ClientDataField>(), Ok(field));
        }
        assert_eq!(
            "cpf".parse::<ClientDataField>().unwrap_err().code(),
            "invalid_client_data_field"
        );
    }
}
