//! The plugin configuration of the portal's "Gestão de Plugins" screen, as a [`PluginConfig`]
//! that can only exist valid, and its JSON form.
//!
//! A configuration is made through [`PluginConfig::builder`] or read with
//! [`PluginConfig::from_json`]; each checks every field and reports **all** problems at once as
//! [`ConfigErrors`]: one [`ConfigError`] per problem, with the field path, a stable code and a
//! message in English and in Brazilian Portuguese. Serde's `Deserialize` applies the same checks,
//! for a configuration embedded in a larger document; its error is one English text listing every
//! problem with its code.
//!
//! # Fields
//!
//! | JSON key                | Screen label (pt-BR)         | Type                               | Rule |
//! |-------------------------|------------------------------|------------------------------------|------|
//! | `id`                    | —                            | [`PluginId`]                       | 1–64 bytes of `A-Z a-z 0-9 - _ .`, starting with a letter or digit; the launch token's `aud` |
//! | `name`                  | Nome                         | string                             | trimmed; 1–100 characters; no control characters |
//! | `active`                | Ativo                        | bool                               | inactive plugins are never shown and never get tokens |
//! | `link`                  | Link                         | [`Url`]                            | absolute `https` with a host (`http` only for `localhost`, `127.0.0.0/8`, `[::1]`); no `user:pass@`; no `#fragment`; ≤ 2048 bytes; the query is kept |
//! | `icon`                  | Ícone                        | [`Icon`]                           | one of [`Icon::ALL`] (`"alerta"`, `"boleto"`, ...) |
//! | `title`                 | Título do Plugin             | string                             | trimmed; 1–60 characters; no control characters |
//! | `show_in_client_portal` | Exibir no portal do cliente  | bool                               | |
//! | `show_in_manager_panel` | Exibir no gestor             | bool                               | |
//! | `kind`                  | Tipo                         | [`PluginKind`]                     | only `"iframe"` |
//! | `iframe_size`           | Tamanho do iframe            | [`IframeSize`]                     | `width` and `height`, each `"100px"`–`"4096px"` or `"1%"`–`"100%"` |
//! | `visible_to`            | Visível para                 | [`VisibleTo`]                      | `"cliente"`, `"sindico"` or `"cliente_e_sindico"` |
//! | `auth`                  | Tipo de autenticação         | [`AuthConfig`]                     | only `"token"`; `token_lifetime_seconds` 30–3600, default 300 |
//! | `delivery`              | Entrega do token             | [`Delivery`]                       | optional, default `"query"`; or `"form_post"` |
//! | `algorithm`             | Algoritmo de assinatura      | [`Algorithm`]                      | optional, default `"EdDSA"`; or `"ES256"` for a vendor whose JWT library lacks Ed25519 (.NET) |
//! | `client_data`           | Dados do cliente             | array of [`ClientDataField`]       | optional, default `[]` (nothing shared); each of `"name"`, `"email"`, `"document"`, `"phone"`, `"units"` at most once |
//!
//! Who sees the plugin is decided by [`PluginConfig::is_shown_to`], the single rule used both by
//! the menu ([`crate::menu`]) and when minting launch tokens.
//!
//! # JSON form
//!
//! Every key is required except `auth.token_lifetime_seconds` (default 300), `delivery` (default
//! `"query"`), `algorithm` (default `"EdDSA"`) and `client_data` (default: none); unknown keys,
//! repeated keys, `null` and values of the wrong type are errors.
//! Names and titles are stored trimmed, the link normalized and the client-data fields in
//! [`ClientDataField::ALL`] order, so [`PluginConfig::to_json`] writes the canonical form (with
//! `delivery` only when it is `"form_post"`, `algorithm` only when it is `"ES256"` and
//! `client_data` only when some field is granted), and reading it back gives an equal value.
//!
//! # The signing algorithm, per plugin
//!
//! `algorithm` chooses how this plugin's launch tokens are signed (PROTOCOL.md §3): `"EdDSA"`
//! (Ed25519, the default) or `"ES256"` (ECDSA P-256), for a vendor whose JWT library has no
//! Ed25519 (.NET's `Microsoft.IdentityModel`). Other plugins of the same portal keep their own
//! choice: the [`Issuer`](crate::Issuer) holds one signing key per algorithm in use
//! ([`IssuerBuilder::signing_key`](crate::IssuerBuilder::signing_key)) and publishes all of them,
//! and minting for a plugin whose algorithm has no key is refused (`no_signing_key`), never signed
//! with another algorithm. The names are the JOSE `alg` names, exactly (`"es256"` is
//! `algorithm_unknown`). Tell the vendor the algorithm with the plugin id.
//!
//! # Client data: nothing is shared until granted
//!
//! `client_data` lists the fields of the logged-in person's data that the portal's client-data
//! endpoint may return to this plugin ([`PluginConfig::grants`]). The default is **empty**: the
//! LGPD (Lei 13.709/2018, art. 6º) asks for data minimisation (only the data necessary for the
//! purpose) and purpose limitation, and only the admin knows what a plugin is for. A plugin that
//! shows a boleto may need `units` and nothing else; a default that shared everything would leak
//! e-mail, phone and CPF to every vendor whose admin never thought about it. Granting a personal
//! field ([`ClientDataField::is_personal`]: all of them today, the units included) raises a
//! [`ConfigWarning`] unless the plugin's `delivery` is `"form_post"`: a launch token leaked from a
//! URL can read the data once.
//!
//! ```
//! use cv_portal_plugin::config::{Icon, PluginConfig, VisibleTo};
//! use cv_portal_plugin::Role;
//!
//! let json = r#"{
//!     "id": "financeiro",
//!     "name": "Financeiro – segunda via de boleto",
//!     "active": true,
//!     "link": "https://erp.example.com.br/portal/financeiro?empresa=42",
//!     "icon": "boleto",
//!     "title": "Financeiro",
//!     "show_in_client_portal": true,
//!     "show_in_manager_panel": false,
//!     "kind": "iframe",
//!     "iframe_size": {"width": "100%", "height": "800px"},
//!     "visible_to": "cliente_e_sindico",
//!     "auth": {"type": "token", "token_lifetime_seconds": 300}
//! }"#;
//! let plugin = PluginConfig::from_json(json)?;
//! assert_eq!(plugin.icon(), Icon::Boleto);
//! assert_eq!(plugin.visible_to(), VisibleTo::ClienteESindico);
//! assert!(plugin.is_shown_to(Role::Sindico));
//! assert!(!plugin.is_shown_to(Role::Gestor));
//! assert_eq!(PluginConfig::from_json(&plugin.to_json())?, plugin);
//! # Ok::<(), cv_portal_plugin::config::ConfigErrors>(())
//! ```
//!
//! # Error codes
//!
//! [`ConfigError::code`] is stable; [`ConfigError::path`] names the field (dotted for nested keys;
//! empty for the whole document). Messages echo input only as a [`Quoted`](crate::Quoted) excerpt
//! (at most 64 characters, control and invisible characters replaced) and never a link's
//! password; they are plain text, so escape them before putting them into HTML.
//! [`ConfigErrorKind::ALL_CODES`] lists the codes in this order.
//!
//! | Code | Path | Meaning |
//! |------|------|---------|
//! | `json_syntax` | (empty) | not JSON, or it ends early (line and column given) |
//! | `json_wrong_type` | any field, or (empty) | a value of the wrong JSON type, including `null`; for the whole document: not an object |
//! | `json_unknown_field` | the key | a key the format does not define (the message lists the accepted ones) |
//! | `json_duplicate_field` | the key | the same key twice in one object |
//! | `field_missing` | the field | a required field was not given |
//! | `id_empty` | `id` | empty id |
//! | `id_too_long` | `id` | more than 64 bytes |
//! | `id_invalid_character` | `id` | a character outside `A-Z a-z 0-9 - _ .` |
//! | `id_invalid_first_character` | `id` | does not start with an ASCII letter or digit |
//! | `name_empty` | `name` | empty after trimming |
//! | `name_too_long` | `name` | more than 100 characters |
//! | `name_control_character` | `name` | a control character (line break, tab, bidi override, ...) |
//! | `link_too_long` | `link` | more than 2048 bytes |
//! | `link_invalid` | `link` | not parseable as a URL (bad port, bad IP address, ...) |
//! | `link_not_absolute` | `link` | a relative URL |
//! | `link_no_host` | `link` | no host |
//! | `link_not_https` | `link` | scheme other than `https` (`http` is fine only for loopback hosts) |
//! | `link_has_userinfo` | `link` | contains `user:password@` |
//! | `link_has_fragment` | `link` | contains `#fragment` |
//! | `link_reserved_query_param` | `link` | the query already has a `token` parameter (reserved for the launch token) |
//! | `icon_unknown` | `icon` | not one of the portal icons (the message lists them) |
//! | `title_empty` | `title` | empty after trimming |
//! | `title_too_long` | `title` | more than 60 characters |
//! | `title_control_character` | `title` | a control character |
//! | `kind_unsupported` | `kind` | a plugin type other than `iframe` |
//! | `iframe_size_invalid` | `iframe_size.width`, `iframe_size.height` | not `<n>px` or `<n>%` |
//! | `iframe_size_pixels_out_of_range` | `iframe_size.width`, `iframe_size.height` | pixels outside 100–4096 |
//! | `iframe_size_percent_out_of_range` | `iframe_size.width`, `iframe_size.height` | percent outside 1–100 |
//! | `visible_to_unknown` | `visible_to` | not `cliente`, `sindico` or `cliente_e_sindico` |
//! | `auth_unsupported` | `auth.type` | an authentication type other than `token` |
//! | `auth_lifetime_out_of_range` | `auth.token_lifetime_seconds` | outside 30–3600 seconds |
//! | `auth_lifetime_not_whole_seconds` | `auth.token_lifetime_seconds` | a fraction of a second (builder only; JSON takes integers) |
//! | `delivery_unknown` | `delivery` | not `query` or `form_post` |
//! | `algorithm_unknown` | `algorithm` | not `EdDSA` or `ES256` (exactly, letter case included) |
//! | `client_data_unknown_field` | `client_data` | a name that is not a client-data field (the message lists them) |
//! | `client_data_duplicate_field` | `client_data` | the same field listed twice |
//!
//! A `client_data` that is not an array of strings is `json_wrong_type` at `client_data`.
//!
//! # Warnings
//!
//! [`PluginConfig::warnings`] returns advice that does not make a configuration invalid, each
//! [`ConfigWarning`] with a stable code and messages in both languages:
//!
//! | Code | Path | Meaning |
//! |------|------|---------|
//! | `personal_data_granted` | `client_data` | a personal field is granted while `delivery` is `"query"`: deliver the launch by form POST |

/// Implements `Display`, `FromStr` (errors reported at `$path`) and the JSON string form for a
/// closed configuration choice that has `as_str()` and `parse_kind()`.
macro_rules! string_form {
    ($ty:ty, $path:literal) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::config::ConfigError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$ty>::parse_kind(s).map_err(|kind| $crate::config::ConfigError::new($path, kind))
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <String as serde::Deserialize>::deserialize(deserializer)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

mod auth;
mod choice;
mod error;
mod icon;
mod id;
mod json;
pub(crate) mod link;
mod size;
mod warning;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

pub use crate::wire::Delivery;
pub use auth::AuthConfig;
pub use choice::{PluginKind, VisibleTo};
pub use error::{ConfigError, ConfigErrorKind, ConfigErrors, JsonType, UrlProblem};
pub use icon::Icon;

pub use size::{Dimension, IframeSize};
pub use warning::ConfigWarning;

use crate::keys::Algorithm;
use crate::viewer::Surface;
use crate::wire::{ClientDataField, PluginId, Role};

/// A plugin as configured on the "Gestão de Plugins" screen. A value of this type is always valid:
/// it is made only by [`PluginConfig::builder`], [`PluginConfig::from_json`] or `Deserialize`, all
/// of which check every field (see the [module documentation](self) for the rules).
///
/// ```
/// use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
/// use cv_portal_plugin::Role;
///
/// let plugin = PluginConfig::builder()
///     .id("financeiro")
///     .name("Financeiro")
///     .link("https://erp.example.com.br/portal/financeiro")
///     .icon(Icon::Financeiro)
///     .title("Financeiro")
///     .show_in_client_portal(true)
///     .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
///     .visible_to(VisibleTo::Cliente)
///     .build()?;
/// assert!(plugin.is_shown_to(Role::Cliente));
/// assert!(!plugin.is_shown_to(Role::Sindico));
/// assert_eq!(plugin.token_lifetime().as_secs(), 300);
/// # Ok::<(), cv_portal_plugin::config::ConfigErrors>(())
/// ```
// `Serialize` writes the JSON form: keep the fields in the documented order, named as the keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PluginConfig {
    id: PluginId,
    name: String,
    active: bool,
    #[serde(serialize_with = "serialize_link")]
    link: Url,
    icon: Icon,
    title: String,
    show_in_client_portal: bool,
    show_in_manager_panel: bool,
    kind: PluginKind,
    iframe_size: IframeSize,
    visible_to: VisibleTo,
    auth: AuthConfig,
    #[serde(skip_serializing_if = "is_query")]
    delivery: Delivery,
    #[serde(
        skip_serializing_if = "is_default_algorithm",
        serialize_with = "serialize_algorithm"
    )]
    algorithm: Algorithm,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    client_data: Vec<ClientDataField>,
}

/// `delivery` is written only when it is not the default.
fn is_query(delivery: &Delivery) -> bool {
    *delivery == Delivery::Query
}

/// `algorithm` is written only when it is not the default (EdDSA), so that the JSON form of every
/// configuration made before the field existed is unchanged.
fn is_default_algorithm(algorithm: &Algorithm) -> bool {
    *algorithm == Algorithm::default()
}

/// The JSON form of the algorithm: its JOSE name.
fn serialize_algorithm<S: serde::Serializer>(
    algorithm: &Algorithm,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(algorithm.as_str())
}

/// The algorithms a plugin configuration may name, by JOSE name (exactly).
pub(crate) fn parse_algorithm(name: &str) -> Result<Algorithm, ConfigErrorKind> {
    CONFIG_ALGORITHMS
        .iter()
        .copied()
        .find(|alg| alg.as_str() == name)
        .ok_or_else(|| ConfigErrorKind::AlgorithmUnknown {
            found: crate::quoted::Quoted::new(name),
        })
}

/// The values of `algorithm`, in the order messages list them (the default first).
pub(crate) const CONFIG_ALGORITHMS: &[Algorithm] = &[Algorithm::EdDSA, Algorithm::ES256];

impl PluginConfig {
    /// Maximum length of [`name`](Self::name), in characters (after trimming).
    pub const NAME_MAX_CHARS: usize = 100;
    /// Maximum length of [`title`](Self::title), in characters (after trimming).
    pub const TITLE_MAX_CHARS: usize = 60;
    /// Maximum length of [`link`](Self::link), in bytes.
    pub const LINK_MAX_LEN: usize = 2048;

    /// A builder with no fields set; see [`PluginConfigBuilder`] for the defaults.
    pub fn builder() -> PluginConfigBuilder {
        PluginConfigBuilder::new()
    }

    /// A builder holding this configuration, to change some fields and build again.
    pub fn to_builder(&self) -> PluginConfigBuilder {
        PluginConfigBuilder {
            id: Some(self.id.as_str().to_owned()),
            name: Some(self.name.clone()),
            active: self.active,
            link: Some(self.link.as_str().to_owned()),
            icon: Some(self.icon),
            title: Some(self.title.clone()),
            show_in_client_portal: self.show_in_client_portal,
            show_in_manager_panel: self.show_in_manager_panel,
            iframe_size: Some((self.iframe_size.width(), self.iframe_size.height())),
            visible_to: Some(self.visible_to),
            auth: self.auth,
            delivery: self.delivery,
            algorithm: self.algorithm,
            client_data: self.client_data.clone(),
        }
    }

    /// Reads the JSON form (see the [module documentation](self)), reporting every problem.
    pub fn from_json(json: &str) -> Result<PluginConfig, ConfigErrors> {
        json::from_json_str(json)
    }

    /// The compact JSON form.
    pub fn to_json(&self) -> String {
        // Every value is a string, bool, integer or map with string keys: this cannot fail.
        serde_json::to_string(self).expect("a PluginConfig always serializes to JSON")
    }

    /// The JSON form, indented for people.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a PluginConfig always serializes to JSON")
    }

    /// The stable identifier; the launch token's audience (`aud`).
    pub fn id(&self) -> &PluginId {
        &self.id
    }

    /// The name admins see in the plugin list ("Nome").
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the plugin is active ("Ativo"). Inactive plugins are never shown and never get
    /// tokens.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// The vendor URL ("Link"), normalized. The type is the `url` crate's, re-exported as
    /// [`cv_portal_plugin::Url`](crate::Url).
    pub fn link(&self) -> &Url {
        &self.link
    }

    /// The menu icon ("Ícone").
    pub fn icon(&self) -> Icon {
        self.icon
    }

    /// The menu title shown to the viewer ("Título do Plugin"), e.g. "Financeiro". It is also the
    /// iframe's accessible name.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// "Exibir no portal do cliente".
    pub fn show_in_client_portal(&self) -> bool {
        self.show_in_client_portal
    }

    /// "Exibir no gestor".
    pub fn show_in_manager_panel(&self) -> bool {
        self.show_in_manager_panel
    }

    /// The plugin type ("Tipo"): always [`PluginKind::Iframe`].
    pub fn kind(&self) -> PluginKind {
        self.kind
    }

    /// The iframe's width and height ("Tamanho do iframe").
    pub fn iframe_size(&self) -> IframeSize {
        self.iframe_size
    }

    /// Who sees the plugin in the client portal ("Visível para").
    pub fn visible_to(&self) -> VisibleTo {
        self.visible_to
    }

    /// The authentication ("Tipo de autenticação").
    pub fn auth(&self) -> &AuthConfig {
        &self.auth
    }

    /// The launch token lifetime for this plugin (30 s to 1 h; 5 min unless configured).
    pub fn token_lifetime(&self) -> Duration {
        self.auth.token_lifetime()
    }

    /// How the launch token reaches the plugin's link ("Entrega do token"): the query parameter
    /// unless the admin chose the form POST.
    pub fn delivery(&self) -> Delivery {
        self.delivery
    }

    /// The algorithm this plugin's launch tokens are signed with ("Algoritmo de assinatura"):
    /// [`Algorithm::EdDSA`] unless the admin chose [`Algorithm::ES256`] for a vendor whose JWT
    /// library lacks Ed25519. The [`Issuer`](crate::Issuer) signs with its key of this algorithm,
    /// or refuses (`no_signing_key`).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The client-data fields this plugin may receive ("Dados do cliente"), in
    /// [`ClientDataField::ALL`] order, each once. Empty unless the admin granted some: see
    /// [the module documentation](self#client-data-nothing-is-shared-until-granted).
    pub fn client_data(&self) -> &[ClientDataField] {
        &self.client_data
    }

    /// Whether this plugin may receive `field`: the portal's client-data answer holds only the
    /// fields for which this is true.
    pub fn grants(&self, field: ClientDataField) -> bool {
        self.client_data.contains(&field)
    }

    /// Advice about this (valid) configuration, in a stable order; empty when there is none.
    ///
    /// ```
    /// use cv_portal_plugin::config::{ConfigWarning, Dimension, Icon, PluginConfig, VisibleTo};
    /// use cv_portal_plugin::wire::ClientDataField;
    ///
    /// let plugin = PluginConfig::builder()
    ///     .id("financeiro")
    ///     .name("Financeiro")
    ///     .link("https://erp.example.com.br/portal/financeiro")
    ///     .icon(Icon::Boleto)
    ///     .title("Financeiro")
    ///     .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
    ///     .visible_to(VisibleTo::Cliente)
    ///     .client_data([ClientDataField::Units, ClientDataField::Document])
    ///     .build()?;
    /// assert_eq!(plugin.client_data(), [ClientDataField::Document, ClientDataField::Units]);
    /// let warnings = plugin.warnings();
    /// assert_eq!(warnings[0].code(), "personal_data_granted");
    /// assert_eq!(
    ///     warnings[0],
    ///     ConfigWarning::PersonalDataGranted {
    ///         fields: vec![ClientDataField::Document, ClientDataField::Units]
    ///     }
    /// );
    /// # Ok::<(), cv_portal_plugin::config::ConfigErrors>(())
    /// ```
    pub fn warnings(&self) -> Vec<ConfigWarning> {
        let personal: Vec<ClientDataField> = self
            .client_data
            .iter()
            .copied()
            .filter(|field| field.is_personal())
            .collect();
        let mut warnings = Vec::new();
        if !personal.is_empty() && self.delivery == Delivery::Query {
            warnings.push(ConfigWarning::PersonalDataGranted { fields: personal });
        }
        warnings
    }

    /// Whether a viewer with `role` sees this plugin: **the** visibility rule, shared by the menu
    /// and by token minting.
    ///
    /// - inactive plugins are shown to nobody;
    /// - in the client portal (cliente, síndico): only when `show_in_client_portal` is on and
    ///   [`visible_to`](Self::visible_to) admits the role;
    /// - in the manager panel (gestor): only when `show_in_manager_panel` is on (`visible_to`
    ///   does not apply there).
    pub fn is_shown_to(&self, role: Role) -> bool {
        self.active
            && match Surface::of(role) {
                Surface::ClientPortal => self.show_in_client_portal && self.visible_to.admits(role),
                Surface::ManagerPanel => self.show_in_manager_panel,
            }
    }
}

/// Builds a [`PluginConfig`]; [`build`](Self::build) checks every field and reports every
/// problem.
///
/// Required: `id`, `name`, `link`, `icon`, `title`, `iframe_size` and `visible_to` (a missing one
/// is `field_missing`). Defaults: `active` on (as the help article advises), both
/// `show_in_*` flags **off** (nothing is shown by accident), kind [`PluginKind::Iframe`] (the only
/// one), token authentication with a 5-minute lifetime, and **no** client data granted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct PluginConfigBuilder {
    id: Option<String>,
    name: Option<String>,
    active: bool,
    link: Option<String>,
    icon: Option<Icon>,
    title: Option<String>,
    show_in_client_portal: bool,
    show_in_manager_panel: bool,
    iframe_size: Option<(Dimension, Dimension)>,
    visible_to: Option<VisibleTo>,
    auth: AuthConfig,
    delivery: Delivery,
    algorithm: Algorithm,
    client_data: Vec<ClientDataField>,
}

impl Default for PluginConfigBuilder {
    fn default() -> Self {
        PluginConfigBuilder::new()
    }
}

impl PluginConfigBuilder {
    /// A builder with no fields set (same as [`PluginConfig::builder`]).
    pub fn new() -> Self {
        PluginConfigBuilder {
            id: None,
            name: None,
            active: true,
            link: None,
            icon: None,
            title: None,
            show_in_client_portal: false,
            show_in_manager_panel: false,
            iframe_size: None,
            visible_to: None,
            auth: AuthConfig::default(),
            delivery: Delivery::Query,
            algorithm: Algorithm::EdDSA,
            client_data: Vec::new(),
        }
    }

    /// The plugin id (checked by [`build`](Self::build)); a [`PluginId`] works too.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The name admins see ("Nome"); trimmed by [`build`](Self::build).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// "Ativo" (default: on).
    pub fn active(mut self, active: bool) -> Self {
        self.active = active;
        self
    }

    /// The vendor URL ("Link"), as text or a [`Url`] (checked by [`build`](Self::build)).
    pub fn link(mut self, link: impl Into<String>) -> Self {
        self.link = Some(link.into());
        self
    }

    /// The menu icon ("Ícone").
    pub fn icon(mut self, icon: Icon) -> Self {
        self.icon = Some(icon);
        self
    }

    /// The menu title ("Título do Plugin"); trimmed by [`build`](Self::build).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// "Exibir no portal do cliente" (default: off).
    pub fn show_in_client_portal(mut self, show: bool) -> Self {
        self.show_in_client_portal = show;
        self
    }

    /// "Exibir no gestor" (default: off).
    pub fn show_in_manager_panel(mut self, show: bool) -> Self {
        self.show_in_manager_panel = show;
        self
    }

    /// "Tipo". [`PluginKind::Iframe`] is the only kind and the default.
    pub fn kind(self, kind: PluginKind) -> Self {
        match kind {
            PluginKind::Iframe => self,
        }
    }

    /// "Tamanho do iframe" (bounds checked by [`build`](Self::build)).
    pub fn iframe_size(mut self, width: Dimension, height: Dimension) -> Self {
        self.iframe_size = Some((width, height));
        self
    }

    /// "Visível para".
    pub fn visible_to(mut self, visible_to: VisibleTo) -> Self {
        self.visible_to = Some(visible_to);
        self
    }

    /// "Tipo de autenticação" (default: token, 5 minutes).
    pub fn auth(mut self, auth: AuthConfig) -> Self {
        self.auth = auth;
        self
    }

    /// Token authentication with this lifetime (checked by [`build`](Self::build)).
    pub fn token_lifetime(self, lifetime: Duration) -> Self {
        self.auth(AuthConfig::token(lifetime))
    }

    /// The client-data fields the plugin may receive ("Dados do cliente"), replacing any set
    /// before; in any order, each at most once (a repeated field is
    /// `client_data_duplicate_field` at [`build`](Self::build)). Default: none.
    pub fn client_data(mut self, fields: impl IntoIterator<Item = ClientDataField>) -> Self {
        self.client_data = fields.into_iter().collect();
        self
    }

    /// How the launch token reaches the link ("Entrega do token"). Default: [`Delivery::Query`].
    pub fn delivery(mut self, delivery: Delivery) -> Self {
        self.delivery = delivery;
        self
    }

    /// The algorithm of the plugin's launch tokens ("Algoritmo de assinatura"). Default:
    /// [`Algorithm::EdDSA`]; [`Algorithm::ES256`] for a vendor whose JWT library lacks Ed25519.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Checks every field and returns the configuration, or every problem found.
    pub fn build(&self) -> Result<PluginConfig, ConfigErrors> {
        let mut d = Draft::default();
        if let Some(id) = &self.id {
            d.id = d.record("id", id::parse_plugin_id(id));
        }
        if let Some(name) = &self.name {
            d.name = d.record("name", check_name(name));
        }
        d.active = Some(self.active);
        if let Some(link) = &self.link {
            d.link = d.record("link", link::parse_link(link));
        }
        d.icon = self.icon;
        if let Some(title) = &self.title {
            d.title = d.record("title", check_title(title));
        }
        d.show_in_client_portal = Some(self.show_in_client_portal);
        d.show_in_manager_panel = Some(self.show_in_manager_panel);
        d.kind = Some(PluginKind::Iframe);
        if let Some((width, height)) = self.iframe_size {
            match IframeSize::new(width, height) {
                Ok(size) => d.iframe_size = Some(size),
                Err(errors) => d.errors.extend(errors),
            }
        }
        d.visible_to = self.visible_to;
        let auth = self.auth.check().map_err(|k| vec![k]);
        d.auth = d.record("auth.token_lifetime_seconds", auth);
        d.delivery = Some(self.delivery);
        // `Algorithm` is non-exhaustive: a later algorithm is refused until configurations
        // support it.
        d.algorithm = d.record(
            "algorithm",
            parse_algorithm(self.algorithm.as_str()).map_err(|k| vec![k]),
        );
        d.client_data = d.record("client_data", check_client_data(&self.client_data));
        d.finish()
    }
}

/// The fields of a configuration being checked, and the problems found so far. Both front ends
/// (builder and JSON) fill it; [`Draft::finish`] reports missing fields and assembles the result.
#[derive(Default)]
struct Draft {
    id: Option<PluginId>,
    name: Option<String>,
    active: Option<bool>,
    link: Option<Url>,
    icon: Option<Icon>,
    title: Option<String>,
    show_in_client_portal: Option<bool>,
    show_in_manager_panel: Option<bool>,
    kind: Option<PluginKind>,
    iframe_size: Option<IframeSize>,
    visible_to: Option<VisibleTo>,
    auth: Option<AuthConfig>,
    delivery: Option<Delivery>,
    algorithm: Option<Algorithm>,
    client_data: Option<Vec<ClientDataField>>,
    errors: Vec<ConfigError>,
}

impl Draft {
    /// Keeps the value, or records its problems at `path`.
    fn record<T>(&mut self, path: &str, result: Result<T, Vec<ConfigErrorKind>>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(kinds) => {
                self.errors
                    .extend(kinds.into_iter().map(|kind| ConfigError::new(path, kind)));
                None
            }
        }
    }

    /// Adds `field_missing` for every absent field with no problem reported yet, orders the
    /// problems by field, and assembles the configuration if there are none.
    fn finish(mut self) -> Result<PluginConfig, ConfigErrors> {
        let mut errors = std::mem::take(&mut self.errors);
        let present = [
            ("id", self.id.is_some()),
            ("name", self.name.is_some()),
            ("active", self.active.is_some()),
            ("link", self.link.is_some()),
            ("icon", self.icon.is_some()),
            ("title", self.title.is_some()),
            (
                "show_in_client_portal",
                self.show_in_client_portal.is_some(),
            ),
            (
                "show_in_manager_panel",
                self.show_in_manager_panel.is_some(),
            ),
            ("kind", self.kind.is_some()),
            ("iframe_size", self.iframe_size.is_some()),
            ("visible_to", self.visible_to.is_some()),
            ("auth", self.auth.is_some()),
            ("delivery", self.delivery.is_some()),
            ("algorithm", self.algorithm.is_some()),
            ("client_data", self.client_data.is_some()),
        ];
        for (path, present) in present {
            need(present, path, &mut errors);
        }
        errors.sort_by_key(|e| field_rank(e.path()));
        if let Some(errors) = ConfigErrors::from_vec(errors) {
            return Err(errors);
        }
        // `need` reported every absent field, so with no problem every field is here.
        self.assemble()
            .ok_or_else(|| ConfigErrors::one(ConfigError::new("", ConfigErrorKind::Missing)))
    }

    fn assemble(self) -> Option<PluginConfig> {
        Some(PluginConfig {
            id: self.id?,
            name: self.name?,
            active: self.active?,
            link: self.link?,
            icon: self.icon?,
            title: self.title?,
            show_in_client_portal: self.show_in_client_portal?,
            show_in_manager_panel: self.show_in_manager_panel?,
            kind: self.kind?,
            iframe_size: self.iframe_size?,
            visible_to: self.visible_to?,
            auth: self.auth?,
            delivery: self.delivery?,
            algorithm: self.algorithm?,
            client_data: self.client_data?,
        })
    }
}

/// Reports `field_missing` for an absent field unless a problem was already reported under it.
/// An unknown key is not a problem of the field its name resembles (`"id.x"` is not `id`).
fn need(present: bool, path: &str, errors: &mut Vec<ConfigError>) {
    let reported = |e: &ConfigError| {
        let under = e.path() == path
            || e.path()
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.'));
        under && !matches!(e.kind(), ConfigErrorKind::JsonUnknownField { .. })
    };
    if !present && !errors.iter().any(reported) {
        errors.push(ConfigError::new(path, ConfigErrorKind::Missing));
    }
}

/// Position of a path's top-level field in the JSON form (the document first, unknown keys last).
fn field_rank(path: &str) -> usize {
    if path.is_empty() {
        return 0;
    }
    let top = path.split('.').next().unwrap_or(path);
    json::FIELDS
        .iter()
        .position(|f| *f == top)
        .map_or(json::FIELDS.len() + 1, |i| i + 1)
}

/// Trims `raw` and checks emptiness, length (in characters) and control characters.
fn check_text(
    raw: &str,
    max_chars: usize,
    empty: ConfigErrorKind,
    too_long: fn(usize) -> ConfigErrorKind,
    control: ConfigErrorKind,
) -> Result<String, Vec<ConfigErrorKind>> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(vec![empty]);
    }
    let mut problems = Vec::new();
    let chars = text.chars().count();
    if chars > max_chars {
        problems.push(too_long(chars));
    }
    if text.chars().any(is_forbidden_in_text) {
        problems.push(control);
    }
    if problems.is_empty() {
        Ok(text.to_owned())
    } else {
        Err(problems)
    }
}

/// Control characters, plus the bidirectional overrides and isolates that can make a menu title
/// display as something else.
fn is_forbidden_in_text(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn check_name(raw: &str) -> Result<String, Vec<ConfigErrorKind>> {
    check_text(
        raw,
        PluginConfig::NAME_MAX_CHARS,
        ConfigErrorKind::NameEmpty,
        |chars| ConfigErrorKind::NameTooLong { chars },
        ConfigErrorKind::NameControlCharacter,
    )
}

fn check_title(raw: &str) -> Result<String, Vec<ConfigErrorKind>> {
    check_text(
        raw,
        PluginConfig::TITLE_MAX_CHARS,
        ConfigErrorKind::TitleEmpty,
        |chars| ConfigErrorKind::TitleTooLong { chars },
        ConfigErrorKind::TitleControlCharacter,
    )
}

/// Reports every field listed more than once; returns the fields in [`ClientDataField::ALL`]
/// order.
fn check_client_data(
    fields: &[ClientDataField],
) -> Result<Vec<ClientDataField>, Vec<ConfigErrorKind>> {
    let count = |field: &ClientDataField| fields.iter().filter(|f| *f == field).count();
    let repeated: Vec<ConfigErrorKind> = ClientDataField::ALL
        .iter()
        .filter(|field| count(field) > 1)
        .map(|&field| ConfigErrorKind::ClientDataDuplicateField { field })
        .collect();
    if !repeated.is_empty() {
        return Err(repeated);
    }
    Ok(ClientDataField::ALL
        .iter()
        .copied()
        .filter(|field| fields.contains(field))
        .collect())
}

/// The JSON form of the link: its normalized text.
fn serialize_link<S: serde::Serializer>(link: &Url, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(link.as_str())
}

impl<'de> Deserialize<'de> for PluginConfig {
    /// Checks every field like [`PluginConfig::from_json`]; the error message lists every problem
    /// (in English, with codes). Needs a self-describing format (JSON, TOML, ...).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let tree = json::Tree::deserialize(deserializer)?;
        json::from_tree(&tree).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
