//! Which plugins a viewer sees: [`menu_for`] turns the configured plugins into the
//! [`MenuEntry`]s of one viewer's menu, in configured order, by the single visibility rule
//! [`PluginConfig::is_shown_to`].

use crate::config::{Icon, PluginConfig};
use crate::wire::PluginId;
use crate::wire::Role;

/// One item of a viewer's plugin menu: a view of the plugin's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuEntry<'a> {
    config: &'a PluginConfig,
}

impl<'a> MenuEntry<'a> {
    /// The plugin's id (to open it and to mint its launch token).
    pub fn id(&self) -> &'a PluginId {
        self.config.id()
    }

    /// The menu title ("Título do Plugin").
    pub fn title(&self) -> &'a str {
        self.config.title()
    }

    /// The menu icon.
    pub fn icon(&self) -> Icon {
        self.config.icon()
    }

    /// The whole configuration (link, iframe size, ...).
    pub fn config(&self) -> &'a PluginConfig {
        self.config
    }
}

/// The menu a viewer with `role` sees: the plugins [shown to](PluginConfig::is_shown_to) that role,
/// in the order given.
///
/// - inactive plugins are never listed;
/// - a cliente or síndico (client portal) sees a plugin when `show_in_client_portal` is on and
///   `visible_to` admits the role;
/// - a gestor (manager panel) sees it when `show_in_manager_panel` is on.
///
/// ```
/// use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
/// use cv_portal_plugin::menu::menu_for;
/// use cv_portal_plugin::Role;
///
/// let plugin = |id: &str, visible_to| {
///     PluginConfig::builder()
///         .id(id)
///         .name(id)
///         .link("https://erp.example.com/")
///         .icon(Icon::Documento)
///         .title(id)
///         .show_in_client_portal(true)
///         .iframe_size(Dimension::Percent(100), Dimension::Pixels(600))
///         .visible_to(visible_to)
///         .build()
/// };
/// let plugins = [
///     plugin("financeiro", VisibleTo::Cliente)?,
///     plugin("assembleias", VisibleTo::Sindico)?,
///     plugin("documentos", VisibleTo::ClienteESindico)?,
/// ];
/// let titles = |role| menu_for(&plugins, role).iter().map(|e| e.title()).collect::<Vec<_>>();
/// assert_eq!(titles(Role::Cliente), ["financeiro", "documentos"]);
/// assert_eq!(titles(Role::Sindico), ["assembleias", "documentos"]);
/// assert!(titles(Role::Gestor).is_empty());
/// # Ok::<(), cv_portal_plugin::config::ConfigErrors>(())
/// ```
pub fn menu_for(plugins: &[PluginConfig], role: Role) -> Vec<MenuEntry<'_>> {
    plugins
        .iter()
        .filter(|config| config.is_shown_to(role))
        .map(|config| MenuEntry { config })
        .collect()
}
