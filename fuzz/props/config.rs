//! Target `config`: `PluginConfig::from_json` on arbitrary text.
//!
//! Properties:
//! - parse → serialize → parse is stable (compact and pretty forms), and the builder rebuilds the
//!   same value;
//! - an accepted configuration obeys every documented rule, re-checked here on the value (id,
//!   trimmed name and title, link scheme/host/userinfo/fragment/`token` parameter, lifetime,
//!   iframe size, client-data grants once each in canonical order, a warning exactly when a
//!   personal field is granted and the delivery is the query parameter) and on the input (only the documented keys; the grants are the
//!   names the input lists, nothing when it lists none);
//! - a refusal lists at least one problem, each with a documented code, a path and messages in
//!   both languages, none of which quotes the link's password.

use std::net::IpAddr;

use cv_portal_plugin::config::{
    ConfigErrorKind, ConfigErrors, ConfigWarning, Delivery, Dimension, PluginConfig,
};
use cv_portal_plugin::wire::ClientDataField;
use serde_json::Value;

const FIELDS: [&str; 14] = [
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
    "client_data",
];

/// The keys a configuration may leave out.
const OPTIONAL: [&str; 3] = ["auth", "delivery", "client_data"];

/// The client-data field names, in canonical order, and which of them are personal data.
const CLIENT_DATA: [(&str, bool); 5] = [
    ("name", true),
    ("email", true),
    ("document", true),
    ("phone", true),
    ("units", true),
];

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn assert_text_field(value: &str, max_chars: usize, what: &str) {
    assert_eq!(value, value.trim(), "{what} is not trimmed");
    let chars = value.chars().count();
    assert!(
        (1..=max_chars).contains(&chars),
        "{what} has {chars} characters"
    );
    assert!(
        !value.chars().any(char::is_control),
        "{what} has a control character"
    );
}

fn dimension_ok(d: Dimension) -> bool {
    match d {
        Dimension::Pixels(px) => (Dimension::PIXELS_MIN..=Dimension::PIXELS_MAX).contains(&px),
        Dimension::Percent(pc) => (Dimension::PERCENT_MIN..=Dimension::PERCENT_MAX).contains(&pc),
        // A unit this property does not know yet: teach it the unit's bounds.
        _ => false,
    }
}

/// The documented rules, checked on an accepted configuration.
pub fn assert_valid(config: &PluginConfig) {
    let id = config.id().as_str();
    assert!((1..=64).contains(&id.len()), "id length");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
        "id characters"
    );
    assert!(
        id.as_bytes()[0].is_ascii_alphanumeric(),
        "id first character"
    );
    assert_text_field(config.name(), PluginConfig::NAME_MAX_CHARS, "name");
    assert_text_field(config.title(), PluginConfig::TITLE_MAX_CHARS, "title");

    let link = config.link();
    assert!(
        link.as_str().len() <= PluginConfig::LINK_MAX_LEN,
        "link too long"
    );
    assert!(
        link.scheme() == "https" || (link.scheme() == "http" && is_loopback(link)),
        "link scheme {}",
        link.scheme()
    );
    assert!(
        link.host_str().is_some_and(|h| !h.is_empty()),
        "link without host"
    );
    assert!(
        link.username().is_empty() && link.password().is_none(),
        "link with userinfo"
    );
    assert!(link.fragment().is_none(), "link with fragment");
    assert!(
        !link.query_pairs().any(|(name, _)| name == "token"),
        "link with a token parameter"
    );
    assert_eq!(
        url::Url::parse(link.as_str()).as_ref(),
        Ok(link),
        "link does not reparse"
    );

    let lifetime = config.token_lifetime();
    assert!((30..=3600).contains(&lifetime.as_secs()) && lifetime.subsec_nanos() == 0);
    let size = config.iframe_size();
    assert!(
        dimension_ok(size.width()) && dimension_ok(size.height()),
        "iframe size"
    );

    // Grants: each once, in canonical order, `grants` agreeing with the list.
    let granted: Vec<&str> = config.client_data().iter().map(|f| f.as_str()).collect();
    let canonical: Vec<&str> = CLIENT_DATA
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| granted.contains(name))
        .collect();
    assert_eq!(
        granted, canonical,
        "grants not once each in canonical order"
    );
    for &field in ClientDataField::ALL {
        assert_eq!(
            config.grants(field),
            granted.contains(&field.as_str()),
            "grants({field})"
        );
    }
    let personal: Vec<ClientDataField> = config
        .client_data()
        .iter()
        .copied()
        .filter(|f| {
            CLIENT_DATA
                .iter()
                .any(|(name, personal)| *personal && *name == f.as_str())
        })
        .collect();
    let warnings = config.warnings();
    if personal.is_empty() || config.delivery() == Delivery::FormPost {
        assert!(
            warnings.is_empty(),
            "a warning without personal data delivered by query: {warnings:?}"
        );
    } else {
        assert_eq!(
            warnings,
            [ConfigWarning::PersonalDataGranted { fields: personal }],
            "personal data granted without its warning"
        );
    }
    for warning in &warnings {
        assert!(ConfigWarning::ALL_CODES.contains(&warning.code()));
        assert!(!warning.message_en().is_empty() && !warning.message_pt_br().is_empty());
    }
}

/// The names an accepted input grants: its `client_data` array of strings, or none.
fn granted_in_input(input: &Value) -> Vec<String> {
    let mut names: Vec<String> = match input.get("client_data") {
        None => Vec::new(),
        Some(value) => value
            .as_array()
            .expect("accepted client_data is an array")
            .iter()
            .map(|name| {
                name.as_str()
                    .expect("accepted grant is a string")
                    .to_owned()
            })
            .collect(),
    };
    let count = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), count, "a repeated grant was accepted");
    assert!(
        names
            .iter()
            .all(|n| CLIENT_DATA.iter().any(|(name, _)| name == n)),
        "an unknown grant was accepted: {names:?}"
    );
    names
}

/// The property of target `config`.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match PluginConfig::from_json(text) {
        Ok(config) => {
            assert_valid(&config);
            let input: Value = serde_json::from_str(text).expect("accepted input is JSON");
            let keys: Vec<&String> = input.as_object().expect("an object").keys().collect();
            assert!(
                keys.iter().all(|k| FIELDS.contains(&k.as_str())),
                "undocumented key accepted: {keys:?}"
            );
            assert!(
                FIELDS
                    .iter()
                    .all(|f| OPTIONAL.contains(f) || input.get(f).is_some()),
                "a required key is missing"
            );
            let delivery = match input.get("delivery").map(|d| d.as_str()) {
                None | Some(Some("query")) => Delivery::Query,
                Some(Some("form_post")) => Delivery::FormPost,
                Some(other) => panic!("an undocumented delivery was accepted: {other:?}"),
            };
            assert_eq!(
                config.delivery(),
                delivery,
                "delivery differs from the input"
            );
            let mut granted: Vec<String> = config
                .client_data()
                .iter()
                .map(|f| f.as_str().to_owned())
                .collect();
            granted.sort();
            assert_eq!(
                granted,
                granted_in_input(&input),
                "grants differ from the input's names"
            );

            let json = config.to_json();
            let again = PluginConfig::from_json(&json).expect("the crate reads its own JSON");
            assert_eq!(again, config, "JSON round trip changed the configuration");
            assert_eq!(again.to_json(), json, "JSON form is not stable");
            let pretty = PluginConfig::from_json(&config.to_json_pretty()).expect("pretty JSON");
            assert_eq!(pretty, config);
            assert_eq!(
                config.to_builder().build().as_ref(),
                Ok(&config),
                "builder round trip"
            );
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a refusal without a problem");
            for error in errors.iter() {
                assert!(
                    ConfigErrorKind::ALL_CODES.contains(&error.code()),
                    "undocumented code {}",
                    error.code()
                );
                let (en, pt) = (error.message_en(), error.message_pt_br());
                assert!(
                    !en.is_empty() && !pt.is_empty(),
                    "empty message for {}",
                    error.code()
                );
            }
            assert_password_never_quoted(text, &errors);
        }
    }
}

/// Every word of every error, in both languages.
fn error_text(errors: &ConfigErrors) -> String {
    errors
        .iter()
        .map(|e| {
            format!(
                "{} {} {e:?} {}",
                e.message_en(),
                e.message_pt_br(),
                e.path()
            )
        })
        .collect()
}

/// The link's password never reaches an error message. A taint check: the same input with the
/// password swapped for other characters of the same length must not produce the password's
/// text either; if it does, the text comes from the messages themselves (a field name, a word),
/// not from the input.
fn assert_password_never_quoted(text: &str, errors: &ConfigErrors) {
    let Some(link) = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("link").and_then(Value::as_str).map(str::to_owned))
    else {
        return;
    };
    // The password as the URL parser keeps it (percent-encoded), and only when the link spells it
    // that way: otherwise the same characters found elsewhere in the input are not the password.
    let Some(password) = url::Url::parse(link.trim())
        .ok()
        .and_then(|url| url.password().map(str::to_owned))
        .filter(|p| {
            p.len() >= 6 && link.contains(p.as_str()) && text.matches(p.as_str()).count() == 1
        })
    else {
        return;
    };
    if !error_text(errors).contains(&password) {
        return;
    }
    let filler = ['Q', 'Z', 'q', 'z']
        .into_iter()
        .find(|c| !password.contains(*c))
        .expect("a password of six or more characters lacks one of four letters");
    let swapped = text.replacen(&password, &filler.to_string().repeat(password.len()), 1);
    let still = match PluginConfig::from_json(&swapped) {
        Ok(_) => false,
        Err(errors) => error_text(&errors).contains(&password),
    };
    assert!(still, "an error quotes the link's password");
}
