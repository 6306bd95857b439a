//! The JSON front end: the document is read into a loose tree first (so syntax errors are the only
//! errors serde reports), then every field is checked and every problem collected.

use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, SeqAccess, Visitor};

use super::auth::check_lifetime_seconds;
use super::error::{ConfigError, ConfigErrorKind, ConfigErrors, JsonType};
use super::{
    AuthConfig, Delivery, Draft, Icon, IframeSize, PluginConfig, PluginKind, VisibleTo, link,
    size::Dimension,
};
use crate::quoted::Quoted;
use crate::wire::ClientDataField;

/// The top-level keys, in the order of the documented JSON form.
pub(crate) const FIELDS: [&str; 15] = [
    "id",
    "name",
    "active",
    "link",
    "icon",
    "title",
    "show_in_client_portal",
    "show_in_manager_panel",
    "kind",
    "iframe_size",
    "visible_to",
    "auth",
    "delivery",
    "algorithm",
    "client_data",
];
const SIZE_FIELDS: [&str; 2] = ["width", "height"];
const AUTH_FIELDS: [&str; 2] = ["type", "token_lifetime_seconds"];

/// Any JSON value. Unlike `serde_json::Value`, objects keep repeated keys so they can be rejected.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tree {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Array(Vec<Tree>),
    Object(Vec<(String, Tree)>),
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Int(i128::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Tree, E> {
        Ok(Tree::Int(i128::from(v)))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Tree, E> {
        Ok(Tree::Int(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Tree, E> {
        Ok(Tree::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_none<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
        Tree::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, Tree>()? {
            entries.push(entry);
        }
        Ok(Tree::Object(entries))
    }
}

/// Parses a JSON document into a configuration, collecting every problem.
pub(crate) fn from_json_str(json: &str) -> Result<PluginConfig, ConfigErrors> {
    let tree: Tree = serde_json::from_str(json).map_err(|e| {
        ConfigErrors::one(ConfigError::new(
            "",
            ConfigErrorKind::JsonSyntax {
                line: e.line(),
                column: e.column(),
            },
        ))
    })?;
    from_tree(&tree)
}

/// Checks a parsed document, collecting every problem.
pub(crate) fn from_tree(tree: &Tree) -> Result<PluginConfig, ConfigErrors> {
    let Tree::Object(entries) = tree else {
        return Err(ConfigErrors::one(ConfigError::new(
            "",
            ConfigErrorKind::JsonWrongType {
                expected: JsonType::Object,
            },
        )));
    };
    let mut d = Draft::default();
    let [
        id,
        name,
        active,
        link,
        icon,
        title,
        show_client,
        show_manager,
        kind,
        size,
        visible_to,
        auth,
        delivery,
        algorithm,
        client_data,
    ] = read_object(entries, &FIELDS, "", &mut d.errors);

    if let Some(s) = id.and_then(|t| d.string(t, "id")) {
        d.id = d.record("id", super::id::parse_plugin_id(s));
    }
    if let Some(s) = name.and_then(|t| d.string(t, "name")) {
        d.name = d.record("name", super::check_name(s));
    }
    d.active = active.and_then(|t| d.boolean(t, "active"));
    if let Some(s) = link.and_then(|t| d.string(t, "link")) {
        d.link = d.record("link", link::parse_link(s));
    }
    if let Some(s) = icon.and_then(|t| d.string(t, "icon")) {
        d.icon = d.record("icon", Icon::parse_kind(s).map_err(|k| vec![k]));
    }
    if let Some(s) = title.and_then(|t| d.string(t, "title")) {
        d.title = d.record("title", super::check_title(s));
    }
    d.show_in_client_portal = show_client.and_then(|t| d.boolean(t, "show_in_client_portal"));
    d.show_in_manager_panel = show_manager.and_then(|t| d.boolean(t, "show_in_manager_panel"));
    if let Some(s) = kind.and_then(|t| d.string(t, "kind")) {
        d.kind = d.record("kind", PluginKind::parse_kind(s).map_err(|k| vec![k]));
    }
    if let Some(entries) = size.and_then(|t| d.object(t, "iframe_size")) {
        d.iframe_size = read_size(entries, &mut d);
    }
    if let Some(s) = visible_to.and_then(|t| d.string(t, "visible_to")) {
        d.visible_to = d.record("visible_to", VisibleTo::parse_kind(s).map_err(|k| vec![k]));
    }
    if let Some(entries) = auth.and_then(|t| d.object(t, "auth")) {
        d.auth = read_auth(entries, &mut d);
    }
    d.delivery = match delivery {
        // Optional: the query parameter unless chosen otherwise.
        None => Some(Delivery::Query),
        Some(tree) => d
            .string(tree, "delivery")
            .and_then(|s| d.record("delivery", Delivery::parse_kind(s).map_err(|k| vec![k]))),
    };
    d.algorithm = match algorithm {
        // Optional: Ed25519 unless chosen otherwise.
        None => Some(crate::keys::Algorithm::EdDSA),
        Some(tree) => d
            .string(tree, "algorithm")
            .and_then(|s| d.record("algorithm", super::parse_algorithm(s).map_err(|k| vec![k]))),
    };
    d.client_data = match client_data {
        // Optional: nothing is shared unless granted.
        None => Some(Vec::new()),
        Some(tree) => read_client_data(tree, &mut d),
    };
    d.finish()
}

fn read_size(entries: &[(String, Tree)], d: &mut Draft) -> Option<IframeSize> {
    let [width, height] = read_object(entries, &SIZE_FIELDS, "iframe_size", &mut d.errors);
    let mut side = |slot: Option<&Tree>, path: &str| -> Option<Dimension> {
        let Some(tree) = slot else {
            d.errors
                .push(ConfigError::new(path, ConfigErrorKind::Missing));
            return None;
        };
        let text = d.string(tree, path)?;
        d.record(path, Dimension::parse_kind(text).map_err(|k| vec![k]))
    };
    let width = side(width, "iframe_size.width");
    let height = side(height, "iframe_size.height");
    match IframeSize::new(width?, height?) {
        Ok(size) => Some(size),
        Err(errors) => {
            d.errors.extend(errors);
            None
        }
    }
}

fn read_auth(entries: &[(String, Tree)], d: &mut Draft) -> Option<AuthConfig> {
    let [kind, lifetime] = read_object(entries, &AUTH_FIELDS, "auth", &mut d.errors);
    let lifetime_path = "auth.token_lifetime_seconds";
    let lifetime = match lifetime {
        None => Some(AuthConfig::DEFAULT_TOKEN_LIFETIME),
        Some(Tree::Int(seconds)) => d.record(
            lifetime_path,
            check_lifetime_seconds(*seconds).map_err(|k| vec![k]),
        ),
        Some(_) => {
            d.wrong_type(lifetime_path, JsonType::Integer);
            None
        }
    };
    let kind = match kind {
        None => {
            d.errors
                .push(ConfigError::new("auth.type", ConfigErrorKind::Missing));
            None
        }
        Some(tree) => match d.string(tree, "auth.type")? {
            "token" => Some(()),
            other => {
                let kind = ConfigErrorKind::AuthUnsupported {
                    found: Quoted::new(other),
                };
                d.errors.push(ConfigError::new("auth.type", kind));
                None
            }
        },
    };
    kind?;
    Some(AuthConfig::token(lifetime?))
}

/// `client_data`: an array of field names, each known. Every unknown name is reported; a
/// non-string item is one `json_wrong_type` for the whole array.
fn read_client_data(tree: &Tree, d: &mut Draft) -> Option<Vec<ClientDataField>> {
    const PATH: &str = "client_data";
    let Tree::Array(items) = tree else {
        d.wrong_type(PATH, JsonType::StringArray);
        return None;
    };
    let mut fields = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    let mut wrong_type = false;
    for item in items {
        let Tree::Str(name) = item else {
            wrong_type = true;
            continue;
        };
        match ClientDataField::ALL.iter().find(|f| f.as_str() == name) {
            Some(&field) => fields.push(field),
            None => problems.push(ConfigErrorKind::ClientDataUnknownField {
                found: Quoted::new(name),
            }),
        }
    }
    if wrong_type {
        d.wrong_type(PATH, JsonType::StringArray);
    }
    let checked = super::check_client_data(&fields);
    if let Err(repeated) = &checked {
        problems.extend(repeated.iter().cloned());
    }
    if !problems.is_empty() {
        return d.record(PATH, Err(problems));
    }
    if wrong_type {
        return None;
    }
    checked.ok()
}

/// Matches an object's keys against `accepted`: unknown and repeated keys become errors; the
/// result holds, for each accepted key, its value if present.
fn read_object<'t, const N: usize>(
    entries: &'t [(String, Tree)],
    accepted: &'static [&'static str; N],
    prefix: &str,
    errors: &mut Vec<ConfigError>,
) -> [Option<&'t Tree>; N] {
    let mut slots = [None; N];
    for (key, value) in entries {
        let path = join(prefix, key);
        match accepted.iter().position(|name| name == key) {
            None => errors.push(ConfigError::new(
                path,
                ConfigErrorKind::JsonUnknownField { accepted },
            )),
            Some(i) if slots[i].is_some() => {
                errors.push(ConfigError::new(path, ConfigErrorKind::JsonDuplicateField));
            }
            Some(i) => slots[i] = Some(value),
        }
    }
    slots
}

fn join(prefix: &str, key: &str) -> String {
    // An unknown key is input: it becomes part of the path as an excerpt.
    let key = Quoted::new(key);
    let key = key.as_str();
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

impl Draft {
    fn wrong_type(&mut self, path: &str, expected: JsonType) {
        self.errors.push(ConfigError::new(
            path,
            ConfigErrorKind::JsonWrongType { expected },
        ));
    }

    fn string<'t>(&mut self, tree: &'t Tree, path: &str) -> Option<&'t str> {
        match tree {
            Tree::Str(s) => Some(s),
            _ => {
                self.wrong_type(path, JsonType::String);
                None
            }
        }
    }

    fn boolean(&mut self, tree: &Tree, path: &str) -> Option<bool> {
        match tree {
            Tree::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(path, JsonType::Boolean);
                None
            }
        }
    }

    fn object<'t>(&mut self, tree: &'t Tree, path: &str) -> Option<&'t [(String, Tree)]> {
        match tree {
            Tree::Object(entries) => Some(entries),
            _ => {
                self.wrong_type(path, JsonType::Object);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_keeps_repeated_keys_and_numbers() {
        let tree: Tree = serde_json::from_str(r#"{"a": 1, "a": -2.5, "b": [null, true]}"#).unwrap();
        assert_eq!(
            tree,
            Tree::Object(vec![
                ("a".into(), Tree::Int(1)),
                ("a".into(), Tree::Float(-2.5)),
                ("b".into(), Tree::Array(vec![Tree::Null, Tree::Bool(true)])),
            ])
        );
        let big: Tree = serde_json::from_str("18446744073709551615").unwrap();
        assert_eq!(big, Tree::Int(i128::from(u64::MAX)));
    }

    #[test]
    fn unknown_keys_are_quoted_in_paths() {
        let path = join("auth", &format!("{}\n", "k".repeat(500)));
        assert_eq!(
            path.chars().count(),
            "auth.".len() + crate::quoted::QUOTE_MAX
        );
        assert!(path.ends_with("kk?"), "{path}");
    }
}
