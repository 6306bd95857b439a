//! [`Icon`]: the fixed set of portal menu icons.

use super::error::ConfigErrorKind;
use crate::quoted::Quoted;

/// A menu icon from the portal's fixed set ("Ícone" on the "Gestão de Plugins" screen).
///
/// The JSON form is the lowercase, accent-free name in the first column:
///
/// | JSON            | Label (pt-BR)  | Typical use                                   |
/// |-----------------|----------------|-----------------------------------------------|
/// | `alerta`        | Alerta         | notices, pending items                        |
/// | `boleto`        | Boleto         | second copy of a boleto                       |
/// | `calendario`    | Calendário     | schedules, meetings, key handover dates       |
/// | `casa`          | Casa           | the unit, home                                |
/// | `chave`         | Chave          | key handover, access                          |
/// | `configuracao`  | Configuração   | settings                                      |
/// | `documento`     | Documento      | contracts, documents                          |
/// | `ferramenta`    | Ferramenta     | technical assistance, repairs                 |
/// | `financeiro`    | Financeiro     | statements, payments                          |
/// | `grafico`       | Gráfico        | reports, construction progress                |
/// | `informacao`    | Informação     | general information                           |
/// | `mensagem`      | Mensagem       | messages, support                             |
/// | `pessoa`        | Pessoa         | profile, registration data                    |
/// | `predio`        | Prédio         | the building, condominium (síndico)           |
///
/// ```
/// use cv_portal_plugin::config::Icon;
///
/// assert_eq!("alerta".parse::<Icon>().unwrap(), Icon::Alerta);
/// assert_eq!(Icon::Calendario.label_pt_br(), "Calendário");
/// let err = "sino".parse::<Icon>().unwrap_err();
/// assert_eq!(err.code(), "icon_unknown");
/// assert!(err.message_en().contains("alerta, boleto"));
/// ```
///
/// The portal may add icons: match with a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Icon {
    /// "Alerta": notices, pending items.
    Alerta,
    /// "Boleto": second copy of a boleto.
    Boleto,
    /// "Calendário": schedules, meetings.
    Calendario,
    /// "Casa": the unit, home.
    Casa,
    /// "Chave": key handover, access.
    Chave,
    /// "Configuração": settings.
    Configuracao,
    /// "Documento": contracts, documents.
    Documento,
    /// "Ferramenta": technical assistance, repairs.
    Ferramenta,
    /// "Financeiro": statements, payments.
    Financeiro,
    /// "Gráfico": reports, construction progress.
    Grafico,
    /// "Informação": general information.
    Informacao,
    /// "Mensagem": messages, support.
    Mensagem,
    /// "Pessoa": profile, registration data.
    Pessoa,
    /// "Prédio": the building, condominium.
    Predio,
}

impl Icon {
    /// Every icon, in alphabetical order of the JSON name. A slice, so that a new icon does not
    /// change its type.
    pub const ALL: &'static [Icon] = &[
        Icon::Alerta,
        Icon::Boleto,
        Icon::Calendario,
        Icon::Casa,
        Icon::Chave,
        Icon::Configuracao,
        Icon::Documento,
        Icon::Ferramenta,
        Icon::Financeiro,
        Icon::Grafico,
        Icon::Informacao,
        Icon::Mensagem,
        Icon::Pessoa,
        Icon::Predio,
    ];

    /// The JSON name: lowercase, no accents (`"calendario"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Icon::Alerta => "alerta",
            Icon::Boleto => "boleto",
            Icon::Calendario => "calendario",
            Icon::Casa => "casa",
            Icon::Chave => "chave",
            Icon::Configuracao => "configuracao",
            Icon::Documento => "documento",
            Icon::Ferramenta => "ferramenta",
            Icon::Financeiro => "financeiro",
            Icon::Grafico => "grafico",
            Icon::Informacao => "informacao",
            Icon::Mensagem => "mensagem",
            Icon::Pessoa => "pessoa",
            Icon::Predio => "predio",
        }
    }

    /// The label shown to admins (`"Calendário"`).
    pub const fn label_pt_br(self) -> &'static str {
        match self {
            Icon::Alerta => "Alerta",
            Icon::Boleto => "Boleto",
            Icon::Calendario => "Calendário",
            Icon::Casa => "Casa",
            Icon::Chave => "Chave",
            Icon::Configuracao => "Configuração",
            Icon::Documento => "Documento",
            Icon::Ferramenta => "Ferramenta",
            Icon::Financeiro => "Financeiro",
            Icon::Grafico => "Gráfico",
            Icon::Informacao => "Informação",
            Icon::Mensagem => "Mensagem",
            Icon::Pessoa => "Pessoa",
            Icon::Predio => "Prédio",
        }
    }

    pub(crate) fn parse_kind(name: &str) -> Result<Icon, ConfigErrorKind> {
        Icon::ALL
            .iter()
            .copied()
            .find(|icon| icon.as_str() == name)
            .ok_or_else(|| ConfigErrorKind::IconUnknown {
                found: Quoted::new(name),
            })
    }
}

string_form!(Icon, "icon");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for &icon in Icon::ALL {
            assert!(seen.insert(icon.as_str()));
            assert_eq!(icon.as_str().parse::<Icon>().unwrap(), icon);
            let json = serde_json::to_string(&icon).unwrap();
            assert_eq!(serde_json::from_str::<Icon>(&json).unwrap(), icon);
        }
        assert_eq!(Icon::Alerta.as_str(), "alerta");
    }

    #[test]
    fn unknown_lists_every_valid_name_in_both_languages() {
        for bad in ["Alerta", "sino", "", "alerta "] {
            let err = bad.parse::<Icon>().unwrap_err();
            assert_eq!(err.code(), "icon_unknown");
            for icon in Icon::ALL {
                assert!(err.message_en().contains(icon.as_str()));
                assert!(err.message_pt_br().contains(icon.as_str()));
            }
        }
        assert!(serde_json::from_str::<Icon>("\"sino\"").is_err());
    }
}
