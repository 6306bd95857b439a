//! Advice about a valid configuration: [`ConfigWarning`], with a stable code and messages in
//! English and Brazilian Portuguese. A warning never makes a configuration invalid.

use std::fmt;

use crate::wire::ClientDataField;

/// Something a portal admin should know about a valid configuration (see
/// [`PluginConfig::warnings`](super::PluginConfig::warnings)). Each variant has one stable
/// [`code`](Self::code); the list is [`ConfigWarning::ALL_CODES`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigWarning {
    /// `personal_data_granted`: the plugin is granted personal data (a field for which
    /// [`ClientDataField::is_personal`] holds), so its launch should be delivered by form POST
    /// ([`LaunchToken::form_post_html`](crate::LaunchToken::form_post_html)) rather than in the
    /// link's query string: a launch token leaked from a URL (server logs, browser history, the
    /// `Referer` header) can now read that data once.
    ///
    /// Raised only while the plugin's [`delivery`](super::PluginConfig::delivery) is
    /// [`Delivery::Query`](super::Delivery::Query); choosing `form_post` answers it.
    PersonalDataGranted {
        /// The personal fields granted, in [`ClientDataField::ALL`] order.
        fields: Vec<ClientDataField>,
    },
}

impl ConfigWarning {
    /// Every code of this enum, in declaration order.
    pub const ALL_CODES: &'static [&'static str] = &["personal_data_granted"];

    /// The stable, machine-readable code, e.g. `personal_data_granted`.
    pub fn code(&self) -> &'static str {
        match self {
            ConfigWarning::PersonalDataGranted { .. } => "personal_data_granted",
        }
    }

    /// The JSON key the warning is about, e.g. `client_data`.
    pub fn path(&self) -> &'static str {
        match self {
            ConfigWarning::PersonalDataGranted { .. } => "client_data",
        }
    }

    /// The warning for English readers.
    pub fn message_en(&self) -> String {
        match self {
            ConfigWarning::PersonalDataGranted { fields } => format!(
                "client_data grants personal data ({}); deliver the plugin's launch by form POST \
                 (\"delivery\": \"form_post\"), not in the link's query string: a token leaked \
                 from a URL (server logs, browser history, the Referer header) can read this data \
                 once",
                names(fields)
            ),
        }
    }

    /// The warning for Brazilian admins.
    pub fn message_pt_br(&self) -> String {
        match self {
            ConfigWarning::PersonalDataGranted { fields } => format!(
                "Dados do cliente: o plugin recebe dados pessoais ({}); entregue o acesso ao \
                 plugin por POST de formulário (Entrega do token: \"form_post\"), e não na query \
                 string do link: um token vazado \
                 por uma URL (logs do servidor, histórico do navegador, cabeçalho Referer) pode \
                 ler esses dados uma vez",
                names(fields)
            ),
        }
    }
}

fn names(fields: &[ClientDataField]) -> String {
    fields
        .iter()
        .map(|field| field.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]", self.message_en(), self.code())
    }
}
