//! The portal's plugin configurations: the built-in demo set, or a JSON file (`--plugins FILE`)
//! holding one configuration in the crate's JSON form or an array of them.

use cv_portal_plugin::config::{Delivery, Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::wire::ClientDataField;

/// The vendor demo's default address: the default plugin links point at its `/launch`.
pub const DEFAULT_VENDOR_URL: &str = "http://127.0.0.1:8081";

/// The built-in set, linking to `{vendor}/launch`:
///
/// - `financeiro`: Cliente only, client portal, query delivery, granted `name` (the portal
///   prints the crate's `personal_data_granted` warning for it: the demo of that advice);
/// - `financeiro-post`: the same with form-POST delivery, granted `name` and `units`;
/// - `condominio`: Síndico only, no client data;
/// - `relatorios`: the manager panel only (a gestor sees it), no client data.
pub fn default_plugins(vendor: &str) -> Result<Vec<PluginConfig>, String> {
    let link = format!("{}/launch", vendor.trim_end_matches('/'));
    let base = |id: &str, title: &str, icon: Icon| {
        PluginConfig::builder()
            .id(id)
            .name(format!("{title} (ERP demo)"))
            .link(link.clone())
            .icon(icon)
            .title(title)
            .iframe_size(Dimension::Percent(100), Dimension::Pixels(720))
            .visible_to(VisibleTo::Cliente)
    };
    let plugins = [
        base("financeiro", "Financeiro", Icon::Boleto)
            .show_in_client_portal(true)
            .client_data([ClientDataField::Name]),
        base(
            "financeiro-post",
            "Financeiro (form POST)",
            Icon::Financeiro,
        )
        .show_in_client_portal(true)
        .delivery(Delivery::FormPost)
        .client_data([ClientDataField::Name, ClientDataField::Units]),
        base("condominio", "Condomínio", Icon::Predio)
            .show_in_client_portal(true)
            .visible_to(VisibleTo::Sindico)
            .iframe_size(Dimension::Percent(100), Dimension::Pixels(600)),
        base("relatorios", "Relatórios", Icon::Grafico)
            .show_in_manager_panel(true)
            .iframe_size(Dimension::Pixels(960), Dimension::Pixels(640)),
    ];
    plugins
        .iter()
        .map(|builder| builder.build().map_err(|errors| errors.to_string()))
        .collect()
}

/// Reads `--plugins FILE`: one configuration object in the crate's JSON form, or an array of
/// them. Every problem of every plugin is reported, with its index.
pub fn load_plugins(path: &std::path::Path) -> Result<Vec<PluginConfig>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read --plugins {}: {e}", path.display()))?;
    let document: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("--plugins {}: not JSON: {e}", path.display()))?;
    let items = match document {
        serde_json::Value::Array(items) => items,
        object => vec![object],
    };
    let mut plugins = Vec::new();
    let mut problems = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match PluginConfig::from_json(&item.to_string()) {
            Ok(plugin) => plugins.push(plugin),
            Err(errors) => problems.push(format!("plugin [{index}]: {errors}")),
        }
    }
    if !problems.is_empty() {
        return Err(format!(
            "--plugins {}:\n{}",
            path.display(),
            problems.join("\n")
        ));
    }
    let mut ids: Vec<&str> = plugins.iter().map(|p| p.id().as_str()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(format!(
            "--plugins {}: two plugins have the same id",
            path.display()
        ));
    }
    if plugins.is_empty() {
        return Err(format!("--plugins {}: no plugin", path.display()));
    }
    Ok(plugins)
}
