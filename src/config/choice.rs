//! The closed choices of the configuration screen: [`PluginKind`] ("Tipo"), [`VisibleTo`]
//! ("Visível para") and [`Delivery`] ("Entrega do token").

use super::error::ConfigErrorKind;
use crate::quoted::Quoted;
use crate::wire::{Delivery, Role};

/// The plugin type ("Tipo"). The portal has only one: the vendor page is shown in an iframe.
///
/// Input naming another kind (`"popup"`, `"link"`, ...) is rejected with `kind_unsupported`.
/// JSON form: `"iframe"`. The portal may add kinds: match with a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PluginKind {
    /// The vendor page is embedded in an `<iframe>` ("Iframe").
    #[default]
    Iframe,
}

impl PluginKind {
    /// The JSON name: `"iframe"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            PluginKind::Iframe => "iframe",
        }
    }

    pub(crate) fn parse_kind(name: &str) -> Result<PluginKind, ConfigErrorKind> {
        match name {
            "iframe" => Ok(PluginKind::Iframe),
            other => Err(ConfigErrorKind::KindUnsupported {
                found: Quoted::new(other),
            }),
        }
    }
}

string_form!(PluginKind, "kind");

/// Who sees the plugin in the client portal ("Visível para").
///
/// | Variant                       | JSON                  | Label (pt-BR)       |
/// |-------------------------------|-----------------------|---------------------|
/// | [`VisibleTo::Cliente`]        | `"cliente"`           | Cliente             |
/// | [`VisibleTo::Sindico`]        | `"sindico"`           | Síndico             |
/// | [`VisibleTo::ClienteESindico`]| `"cliente_e_sindico"` | Cliente e síndico   |
///
/// It only concerns the client portal: a gestor's visibility is governed by
/// `show_in_manager_panel` alone, so [`admits`](Self::admits) is `false` for [`Role::Gestor`].
/// New settings may come with new roles: match with a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VisibleTo {
    /// Buyers only ("Cliente").
    Cliente,
    /// Building managers only ("Síndico").
    Sindico,
    /// Both buyers and building managers ("Cliente e síndico").
    ClienteESindico,
}

impl VisibleTo {
    /// Every value, in the screen's order. A slice, so that a new value does not change its type.
    pub const ALL: &'static [VisibleTo] = &[
        VisibleTo::Cliente,
        VisibleTo::Sindico,
        VisibleTo::ClienteESindico,
    ];

    /// The JSON name: `"cliente"`, `"sindico"` or `"cliente_e_sindico"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            VisibleTo::Cliente => "cliente",
            VisibleTo::Sindico => "sindico",
            VisibleTo::ClienteESindico => "cliente_e_sindico",
        }
    }

    /// The label on the configuration screen: "Cliente", "Síndico" or "Cliente e síndico".
    pub const fn label_pt_br(self) -> &'static str {
        match self {
            VisibleTo::Cliente => "Cliente",
            VisibleTo::Sindico => "Síndico",
            VisibleTo::ClienteESindico => "Cliente e síndico",
        }
    }

    /// Whether this setting admits a client-portal viewer with `role`.
    ///
    /// ```
    /// use cv_portal_plugin::Role;
    /// use cv_portal_plugin::config::VisibleTo;
    ///
    /// assert!(VisibleTo::Sindico.admits(Role::Sindico));
    /// assert!(!VisibleTo::Sindico.admits(Role::Cliente));
    /// assert!(VisibleTo::ClienteESindico.admits(Role::Cliente));
    /// assert!(!VisibleTo::ClienteESindico.admits(Role::Gestor)); // see show_in_manager_panel
    /// ```
    pub const fn admits(self, role: Role) -> bool {
        matches!(
            (self, role),
            (
                VisibleTo::Cliente | VisibleTo::ClienteESindico,
                Role::Cliente
            ) | (
                VisibleTo::Sindico | VisibleTo::ClienteESindico,
                Role::Sindico
            )
        )
    }

    pub(crate) fn parse_kind(name: &str) -> Result<VisibleTo, ConfigErrorKind> {
        VisibleTo::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == name)
            .ok_or_else(|| ConfigErrorKind::VisibleToUnknown {
                found: Quoted::new(name),
            })
    }
}

string_form!(VisibleTo, "visible_to");

impl Delivery {
    pub(crate) fn parse_kind(name: &str) -> Result<Delivery, ConfigErrorKind> {
        Delivery::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == name)
            .ok_or_else(|| ConfigErrorKind::DeliveryUnknown {
                found: Quoted::new(name),
            })
    }
}

string_form!(Delivery, "delivery");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_accepts_only_iframe() {
        assert_eq!("iframe".parse::<PluginKind>().unwrap(), PluginKind::Iframe);
        for bad in ["Iframe", "popup", "link", ""] {
            let err = bad.parse::<PluginKind>().unwrap_err();
            assert_eq!((err.code(), err.path()), ("kind_unsupported", "kind"));
        }
        assert_eq!(
            serde_json::to_string(&PluginKind::Iframe).unwrap(),
            "\"iframe\""
        );
    }

    #[test]
    fn delivery_names_round_trip_and_others_are_refused() {
        for &delivery in Delivery::ALL {
            assert_eq!(delivery.as_str().parse::<Delivery>().unwrap(), delivery);
        }
        assert_eq!(Delivery::default(), Delivery::Query);
        assert_eq!(Delivery::FormPost.http_method(), "POST");
        for bad in ["Query", "post", "form-post", "fragment", ""] {
            let err = bad.parse::<Delivery>().unwrap_err();
            assert_eq!((err.code(), err.path()), ("delivery_unknown", "delivery"));
        }
    }

    #[test]
    fn visible_to_names_and_admission_table() {
        let json: Vec<_> = VisibleTo::ALL
            .iter()
            .map(|v| serde_json::to_string(v).unwrap())
            .collect();
        assert_eq!(
            json,
            ["\"cliente\"", "\"sindico\"", "\"cliente_e_sindico\""]
        );
        for &v in VisibleTo::ALL {
            assert_eq!(v.as_str().parse::<VisibleTo>().unwrap(), v);
        }
        let err = "Síndico".parse::<VisibleTo>().unwrap_err();
        assert_eq!(err.code(), "visible_to_unknown");
        // (setting, role, admitted), written out by hand.
        let table = [
            (VisibleTo::Cliente, Role::Cliente, true),
            (VisibleTo::Cliente, Role::Sindico, false),
            (VisibleTo::Cliente, Role::Gestor, false),
            (VisibleTo::Sindico, Role::Cliente, false),
            (VisibleTo::Sindico, Role::Sindico, true),
            (VisibleTo::Sindico, Role::Gestor, false),
            (VisibleTo::ClienteESindico, Role::Cliente, true),
            (VisibleTo::ClienteESindico, Role::Sindico, true),
            (VisibleTo::ClienteESindico, Role::Gestor, false),
        ];
        for (setting, role, admitted) in table {
            assert_eq!(setting.admits(role), admitted, "{setting} {role}");
        }
    }
}
