//! Who sees what: every combination of active × show_in_client_portal × show_in_manager_panel ×
//! visible_to × viewer role (2 × 2 × 2 × 3 × 3 = 72 cases), against a truth table written by hand.

use std::collections::BTreeSet;

use cv_portal_plugin::Role;
use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::menu::menu_for;

use VisibleTo::{Cliente as C, ClienteESindico as CS, Sindico as S};

/// One row per plugin setting; the last three columns are what a cliente, a síndico and a gestor
/// see. 24 rows × 3 viewers = 72 cases.
#[rustfmt::skip]
const TRUTH_TABLE: [(bool, bool, bool, VisibleTo, [bool; 3]); 24] = [
    // active, client portal, manager panel, visible_to  => [cliente, sindico, gestor]
    (false, false, false, C,  [false, false, false]),
    (false, false, false, S,  [false, false, false]),
    (false, false, false, CS, [false, false, false]),
    (false, false, true,  C,  [false, false, false]),
    (false, false, true,  S,  [false, false, false]),
    (false, false, true,  CS, [false, false, false]),
    (false, true,  false, C,  [false, false, false]),
    (false, true,  false, S,  [false, false, false]),
    (false, true,  false, CS, [false, false, false]),
    (false, true,  true,  C,  [false, false, false]),
    (false, true,  true,  S,  [false, false, false]),
    (false, true,  true,  CS, [false, false, false]),
    (true,  false, false, C,  [false, false, false]),
    (true,  false, false, S,  [false, false, false]),
    (true,  false, false, CS, [false, false, false]),
    (true,  false, true,  C,  [false, false, true ]),
    (true,  false, true,  S,  [false, false, true ]),
    (true,  false, true,  CS, [false, false, true ]),
    (true,  true,  false, C,  [true,  false, false]),
    (true,  true,  false, S,  [false, true,  false]),
    (true,  true,  false, CS, [true,  true,  false]),
    (true,  true,  true,  C,  [true,  false, true ]),
    (true,  true,  true,  S,  [false, true,  true ]),
    (true,  true,  true,  CS, [true,  true,  true ]),
];

const VIEWERS: [Role; 3] = [Role::Cliente, Role::Sindico, Role::Gestor];

fn plugin(
    id: &str,
    active: bool,
    client: bool,
    manager: bool,
    visible_to: VisibleTo,
) -> PluginConfig {
    PluginConfig::builder()
        .id(id)
        .name(format!("Plugin {id}"))
        .active(active)
        .link(format!("https://erp.example.com/{id}"))
        .icon(Icon::Documento)
        .title(format!("Título {id}"))
        .show_in_client_portal(client)
        .show_in_manager_panel(manager)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(700))
        .visible_to(visible_to)
        .build()
        .expect("test plugins are valid")
}

fn table_plugins() -> Vec<PluginConfig> {
    TRUTH_TABLE
        .iter()
        .enumerate()
        .map(|(i, &(active, client, manager, visible_to, _))| {
            plugin(&format!("p{i:02}"), active, client, manager, visible_to)
        })
        .collect()
}

#[test]
fn the_truth_table_covers_every_combination_once() {
    let keys: BTreeSet<_> = TRUTH_TABLE
        .iter()
        .map(|&(a, c, m, v, _)| (a, c, m, v.as_str()))
        .collect();
    assert_eq!(keys.len(), 24);
    assert_eq!(TRUTH_TABLE.len() * VIEWERS.len(), 72);
}

#[test]
fn every_combination_matches_the_truth_table() {
    let plugins = table_plugins();
    let mut checked = 0;
    for (row, config) in TRUTH_TABLE.iter().zip(&plugins) {
        let (active, client, manager, visible_to, expected) = *row;
        for (viewer, expected) in VIEWERS.into_iter().zip(expected) {
            let menu = menu_for(std::slice::from_ref(config), viewer);
            assert_eq!(
                menu.len() == 1,
                expected,
                "active={active} client_portal={client} manager_panel={manager} \
                 visible_to={visible_to} viewer={viewer}"
            );
            assert_eq!(config.is_shown_to(viewer), expected);
            checked += 1;
        }
    }
    assert_eq!(checked, 72);
}

#[test]
fn menus_keep_the_configured_order() {
    let plugins = table_plugins();
    for (column, viewer) in VIEWERS.into_iter().enumerate() {
        let expected: Vec<String> = TRUTH_TABLE
            .iter()
            .enumerate()
            .filter(|(_, row)| row.4[column])
            .map(|(i, _)| format!("p{i:02}"))
            .collect();
        let menu: Vec<String> = menu_for(&plugins, viewer)
            .iter()
            .map(|entry| entry.id().to_string())
            .collect();
        assert_eq!(menu, expected, "{viewer}");

        let mut reversed = plugins.clone();
        reversed.reverse();
        let menu: Vec<String> = menu_for(&reversed, viewer)
            .iter()
            .map(|entry| entry.id().to_string())
            .collect();
        let mut expected_reversed = expected;
        expected_reversed.reverse();
        assert_eq!(menu, expected_reversed, "{viewer}, reversed");
    }
}

#[test]
fn entries_expose_id_title_icon_and_config() {
    let plugins = [
        plugin("financeiro", true, true, false, CS),
        plugin("interno", true, false, true, CS),
    ];
    let menu = menu_for(&plugins, Role::Cliente);
    assert_eq!(menu.len(), 1);
    let entry = menu[0];
    assert_eq!(entry.id().as_str(), "financeiro");
    assert_eq!(entry.title(), "Título financeiro");
    assert_eq!(entry.icon(), Icon::Documento);
    assert!(std::ptr::eq(entry.config(), &plugins[0]));
    assert!(menu_for(&[], Role::Gestor).is_empty());
}
