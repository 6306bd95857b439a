//! Table-driven tests of every configuration rule, through both front ends.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};

use super::*;

fn valid_json() -> Value {
    json!({
        "id": "financeiro",
        "name": "Financeiro – segunda via",
        "active": true,
        "link": "https://erp.example.com.br/portal?empresa=42",
        "icon": "financeiro",
        "title": "Financeiro",
        "show_in_client_portal": true,
        "show_in_manager_panel": false,
        "kind": "iframe",
        "iframe_size": {"width": "100%", "height": "800px"},
        "visible_to": "cliente_e_sindico",
        "auth": {"type": "token", "token_lifetime_seconds": 300}
    })
}

fn valid_builder() -> PluginConfigBuilder {
    PluginConfig::builder()
        .id("financeiro")
        .name("Financeiro – segunda via")
        .link("https://erp.example.com.br/portal?empresa=42")
        .icon(Icon::Financeiro)
        .title("Financeiro")
        .show_in_client_portal(true)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(VisibleTo::ClienteESindico)
}

/// `valid_json()` with `pointer` (`/a/b`) set to `value`, or removed when `value` is `None`.
fn with(pointer: &str, value: Option<Value>) -> String {
    let mut doc = valid_json();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let object = doc.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    match value {
        Some(value) => object.insert(key.to_owned(), value),
        None => object.remove(key),
    };
    doc.to_string()
}

fn errors_of(json: &str) -> Vec<(String, &'static str)> {
    match PluginConfig::from_json(json) {
        Ok(config) => panic!("accepted {json}: {config:?}"),
        Err(errors) => errors
            .iter()
            .map(|e| (e.path().to_owned(), e.code()))
            .collect(),
    }
}

/// (input JSON, expected path, expected code): each input has exactly this one problem.
fn json_cases() -> Vec<(String, &'static str, &'static str)> {
    let s = |v: &str| Some(json!(v));
    let mut cases = vec![
        ("{".to_owned(), "", "json_syntax"),
        ("{} x".to_owned(), "", "json_syntax"),
        ("".to_owned(), "", "json_syntax"),
        ("[]".to_owned(), "", "json_wrong_type"),
        ("null".to_owned(), "", "json_wrong_type"),
        (
            with("/extra", Some(json!(1))),
            "extra",
            "json_unknown_field",
        ),
        (
            with("/auth/refresh", Some(json!(1))),
            "auth.refresh",
            "json_unknown_field",
        ),
        (
            with("/iframe_size/depth", s("1px")),
            "iframe_size.depth",
            "json_unknown_field",
        ),
        (
            with("/active", Some(json!("true"))),
            "active",
            "json_wrong_type",
        ),
        (
            with("/active", Some(Value::Null)),
            "active",
            "json_wrong_type",
        ),
        (with("/id", Some(json!(42))), "id", "json_wrong_type"),
        (
            with("/iframe_size", s("100%")),
            "iframe_size",
            "json_wrong_type",
        ),
        (
            with("/iframe_size/width", Some(json!(800))),
            "iframe_size.width",
            "json_wrong_type",
        ),
        (with("/auth", s("token")), "auth", "json_wrong_type"),
        (
            with("/auth/token_lifetime_seconds", Some(json!(300.0))),
            "auth.token_lifetime_seconds",
            "json_wrong_type",
        ),
        (
            with("/auth/token_lifetime_seconds", s("300")),
            "auth.token_lifetime_seconds",
            "json_wrong_type",
        ),
        (with("/id", s("")), "id", "id_empty"),
        (with("/id", s(&"a".repeat(65))), "id", "id_too_long"),
        (with("/id", s("finan ceiro")), "id", "id_invalid_character"),
        (
            with("/id", s("-financeiro")),
            "id",
            "id_invalid_first_character",
        ),
        (with("/name", s("   ")), "name", "name_empty"),
        (with("/name", s(&"n".repeat(101))), "name", "name_too_long"),
        (
            with("/name", s("Finan\nceiro")),
            "name",
            "name_control_character",
        ),
        (
            with("/name", s("abc\u{202E}def")),
            "name",
            "name_control_character",
        ),
        (
            with("/link", s(&format!("https://a.com/{}", "x".repeat(2048)))),
            "link",
            "link_too_long",
        ),
        (
            with("/link", s("https://a.com:70000/")),
            "link",
            "link_invalid",
        ),
        (
            with("/link", s("erp.example.com")),
            "link",
            "link_not_absolute",
        ),
        (with("/link", s("https://")), "link", "link_no_host"),
        (
            with("/link", s("http://erp.example.com/")),
            "link",
            "link_not_https",
        ),
        (
            with("/link", s("https://u:p@erp.example.com/")),
            "link",
            "link_has_userinfo",
        ),
        (
            with("/link", s("https://erp.example.com/#x")),
            "link",
            "link_has_fragment",
        ),
        (
            with("/link", s("https://erp.example.com/p?empresa=7&token=abc")),
            "link",
            "link_reserved_query_param",
        ),
        (with("/icon", s("sino")), "icon", "icon_unknown"),
        (with("/icon", s("Alerta")), "icon", "icon_unknown"),
        (with("/title", s("")), "title", "title_empty"),
        (
            with("/title", s(&"t".repeat(61))),
            "title",
            "title_too_long",
        ),
        (
            with("/title", s("Fin\tanceiro")),
            "title",
            "title_control_character",
        ),
        (with("/kind", s("popup")), "kind", "kind_unsupported"),
        (with("/kind", s("Iframe")), "kind", "kind_unsupported"),
        (
            with("/iframe_size/width", s("wide")),
            "iframe_size.width",
            "iframe_size_invalid",
        ),
        (
            with("/iframe_size/height", s("100000px")),
            "iframe_size.height",
            "iframe_size_pixels_out_of_range",
        ),
        (
            with("/iframe_size/height", s("-1px")),
            "iframe_size.height",
            "iframe_size_pixels_out_of_range",
        ),
        (
            with("/iframe_size/width", s("250%")),
            "iframe_size.width",
            "iframe_size_percent_out_of_range",
        ),
        (
            with("/visible_to", s("gestor")),
            "visible_to",
            "visible_to_unknown",
        ),
        (
            with("/auth/type", s("oauth")),
            "auth.type",
            "auth_unsupported",
        ),
        (
            with("/auth/token_lifetime_seconds", Some(json!(3601))),
            "auth.token_lifetime_seconds",
            "auth_lifetime_out_of_range",
        ),
        (
            with("/auth/token_lifetime_seconds", Some(json!(-30))),
            "auth.token_lifetime_seconds",
            "auth_lifetime_out_of_range",
        ),
        (
            with("/auth/token_lifetime_seconds", Some(json!(29))),
            "auth.token_lifetime_seconds",
            "auth_lifetime_out_of_range",
        ),
        (
            with("/iframe_size/height", None),
            "iframe_size.height",
            "field_missing",
        ),
        (with("/auth/type", None), "auth.type", "field_missing"),
        (
            with("/client_data", Some(json!(["name", "cpf"]))),
            "client_data",
            "client_data_unknown_field",
        ),
        (
            with("/client_data", Some(json!(["Name"]))),
            "client_data",
            "client_data_unknown_field",
        ),
        (
            with("/client_data", Some(json!(["units", "name", "units"]))),
            "client_data",
            "client_data_duplicate_field",
        ),
        (
            with("/client_data", s("name")),
            "client_data",
            "json_wrong_type",
        ),
        (
            with("/client_data", Some(Value::Null)),
            "client_data",
            "json_wrong_type",
        ),
        (
            with("/client_data", Some(json!(["name", 1, null]))),
            "client_data",
            "json_wrong_type",
        ),
        (
            with("/client_data", Some(json!({"name": true}))),
            "client_data",
            "json_wrong_type",
        ),
    ];
    cases.extend([
        (with("/delivery", s("post")), "delivery", "delivery_unknown"),
        (
            with("/delivery", s("Form_Post")),
            "delivery",
            "delivery_unknown",
        ),
        (
            with("/delivery", Some(json!(["form_post"]))),
            "delivery",
            "json_wrong_type",
        ),
        (
            with("/delivery", Some(Value::Null)),
            "delivery",
            "json_wrong_type",
        ),
        (
            with("/algorithm", s("RS256")),
            "algorithm",
            "algorithm_unknown",
        ),
        // JOSE names are case-sensitive; the RFC 9864 names and HMAC are not configuration values.
        (
            with("/algorithm", s("es256")),
            "algorithm",
            "algorithm_unknown",
        ),
        (
            with("/algorithm", s("Ed25519")),
            "algorithm",
            "algorithm_unknown",
        ),
        (
            with("/algorithm", s("HS256")),
            "algorithm",
            "algorithm_unknown",
        ),
        (with("/algorithm", s("")), "algorithm", "algorithm_unknown"),
        (
            with("/algorithm", Some(json!(["ES256"]))),
            "algorithm",
            "json_wrong_type",
        ),
        (
            with("/algorithm", Some(Value::Null)),
            "algorithm",
            "json_wrong_type",
        ),
    ]);
    // `delivery`, `algorithm` and `client_data` are optional: their absence is not
    // `field_missing`.
    for field in json::FIELDS
        .into_iter()
        .filter(|f| !["delivery", "algorithm", "client_data"].contains(f))
    {
        cases.push((with(&format!("/{field}"), None), field, "field_missing"));
    }
    let duplicate = valid_json()
        .to_string()
        .replacen('{', r#"{"title": "Outro", "#, 1);
    cases.push((duplicate, "title", "json_duplicate_field"));
    cases
}

/// (builder, expected path, expected code): problems only the typed front end can produce.
fn builder_cases() -> Vec<(PluginConfigBuilder, &'static str, &'static str)> {
    vec![
        (
            valid_builder().token_lifetime(Duration::from_millis(30_500)),
            "auth.token_lifetime_seconds",
            "auth_lifetime_not_whole_seconds",
        ),
        (
            valid_builder().token_lifetime(Duration::from_secs(10)),
            "auth.token_lifetime_seconds",
            "auth_lifetime_out_of_range",
        ),
        (
            valid_builder().iframe_size(Dimension::Pixels(0), Dimension::Pixels(600)),
            "iframe_size.width",
            "iframe_size_pixels_out_of_range",
        ),
        (
            valid_builder().iframe_size(Dimension::Pixels(600), Dimension::Percent(0)),
            "iframe_size.height",
            "iframe_size_percent_out_of_range",
        ),
        (
            PluginConfigBuilder {
                icon: None,
                ..valid_builder()
            },
            "icon",
            "field_missing",
        ),
        (valid_builder().id("a/b"), "id", "id_invalid_character"),
        (valid_builder().title(" \n "), "title", "title_empty"),
        (
            valid_builder().link("ftp://a.com/"),
            "link",
            "link_not_https",
        ),
        (
            valid_builder().client_data([
                ClientDataField::Phone,
                ClientDataField::Name,
                ClientDataField::Phone,
            ]),
            "client_data",
            "client_data_duplicate_field",
        ),
    ]
}

#[test]
fn the_valid_documents_are_accepted() {
    let from_json = PluginConfig::from_json(&valid_json().to_string()).unwrap();
    let from_builder = valid_builder().build().unwrap();
    assert_eq!(from_json, from_builder);
    assert_eq!(from_json.id().as_str(), "financeiro");
    assert_eq!(from_json.link().query(), Some("empresa=42"));
    assert_eq!(from_json.kind(), PluginKind::Iframe);
    assert_eq!(from_json.token_lifetime(), Duration::from_secs(300));
    assert!(from_json.is_active());
}

#[test]
fn every_json_case_reports_exactly_its_problem() {
    for (json, path, code) in json_cases() {
        assert_eq!(errors_of(&json), [(path.to_owned(), code)], "{json}");
    }
}

#[test]
fn every_builder_case_reports_exactly_its_problem() {
    for (builder, path, code) in builder_cases() {
        let errors = builder.build().unwrap_err();
        let found: Vec<_> = errors.iter().map(|e| (e.path(), e.code())).collect();
        assert_eq!(found, [(path, code)], "{builder:?}");
    }
}

/// The first column of the code table in the module documentation's `heading` section, in order.
fn documented_in(heading: &str) -> Vec<&'static str> {
    include_str!("mod.rs")
        .lines()
        .skip_while(|line| *line != heading)
        .skip(1)
        .take_while(|line| !line.starts_with("//! # "))
        .filter_map(|line| line.strip_prefix("//! | `"))
        .filter_map(|rest| rest.split('`').next())
        .collect()
}

/// The first column of the module documentation's error-code table, in order.
fn documented_codes() -> Vec<&'static str> {
    documented_in("//! # Error codes")
}

#[test]
fn the_documented_warning_table_is_all_warning_codes() {
    assert_eq!(documented_in("//! # Warnings"), ConfigWarning::ALL_CODES);
}

#[test]
fn the_documented_code_table_is_all_codes_and_exactly_the_codes_the_tests_trigger() {
    let documented = documented_codes();
    assert_eq!(documented, ConfigErrorKind::ALL_CODES);
    assert_eq!(documented.len(), 36);
    let triggered: BTreeSet<&str> = json_cases()
        .into_iter()
        .map(|(_, _, code)| code)
        .chain(builder_cases().into_iter().map(|(_, _, code)| code))
        .collect();
    assert_eq!(documented.into_iter().collect::<BTreeSet<_>>(), triggered);
}

#[test]
fn every_problem_is_reported_at_once_in_both_languages() {
    let json = r#"{
        "id": "finan ceiro",
        "name": "",
        "link": "http://u:p@erp.example.com/#x",
        "icon": "sino",
        "title": "Financeiro",
        "show_in_client_portal": "yes",
        "show_in_manager_panel": false,
        "kind": "popup",
        "iframe_size": {"width": "0px", "height": "250%"},
        "visible_to": "todos",
        "auth": {"type": "token", "token_lifetime_seconds": 7200},
        "color": "blue"
    }"#;
    let errors = PluginConfig::from_json(json).unwrap_err();
    assert_eq!(
        errors.codes(),
        [
            "id_invalid_character",
            "name_empty",
            "field_missing",
            "link_not_https",
            "link_has_userinfo",
            "link_has_fragment",
            "icon_unknown",
            "json_wrong_type",
            "kind_unsupported",
            "iframe_size_pixels_out_of_range",
            "iframe_size_percent_out_of_range",
            "visible_to_unknown",
            "auth_lifetime_out_of_range",
            "json_unknown_field",
        ]
    );
    let paths: Vec<_> = errors.iter().map(ConfigError::path).collect();
    assert_eq!(paths[2], "active");
    assert_eq!(paths[13], "color");
    for e in &errors {
        let (en, pt) = (e.message_en(), e.message_pt_br());
        assert!(!en.is_empty() && !pt.is_empty() && en != pt, "{en} / {pt}");
        assert!(!en.contains(":p@") && !pt.contains(":p@"));
    }
    assert!(
        errors
            .to_string()
            .starts_with("invalid plugin configuration (14 problems): ")
    );
}

#[test]
fn an_unknown_key_named_like_a_field_does_not_hide_that_field_missing() {
    let mut doc = valid_json();
    let object = doc.as_object_mut().unwrap();
    object.remove("id");
    object.insert("id.x".to_owned(), json!("financeiro"));
    let mut auth = valid_json();
    auth["auth"] = json!({"refresh": 1});
    assert_eq!(
        errors_of(&doc.to_string()),
        [
            ("id.x".to_owned(), "json_unknown_field"),
            ("id".to_owned(), "field_missing")
        ]
    );
    assert_eq!(
        errors_of(&auth.to_string()),
        [
            ("auth.refresh".to_owned(), "json_unknown_field"),
            ("auth.type".to_owned(), "field_missing")
        ]
    );
}

#[test]
fn messages_are_localized_with_screen_labels() {
    let errors = PluginConfig::from_json(&with("/title", Some(json!("")))).unwrap_err();
    let e = errors.iter().next().unwrap();
    assert_eq!(e.message_en(), "title: must not be empty");
    assert_eq!(e.message_pt_br(), "Título do Plugin: não pode ficar vazio");
    assert_eq!(e.to_string(), "title: must not be empty [title_empty]");

    let errors = PluginConfig::from_json(&with("/link", Some(json!("http://a.com/")))).unwrap_err();
    let pt = errors.iter().next().unwrap().message_pt_br();
    assert!(pt.starts_with("Link: deve usar https"), "{pt}");

    let errors = PluginConfig::from_json(&with("/cor", Some(json!(1)))).unwrap_err();
    let pt = errors.iter().next().unwrap().message_pt_br();
    assert!(
        pt.starts_with("cor: campo desconhecido; os campos aceitos são: id, name"),
        "{pt}"
    );

    let errors = PluginConfig::from_json("{\n  \"id\": ").unwrap_err();
    let e = errors.iter().next().unwrap();
    assert_eq!(
        e.kind(),
        &ConfigErrorKind::JsonSyntax { line: 2, column: 8 }
    );
    assert_eq!(e.message_pt_br(), "JSON inválido na linha 2, coluna 8");
}

#[test]
fn echoed_input_is_quoted() {
    let long = format!("{}{}", "x".repeat(10_000), "fim");
    let errors = PluginConfig::from_json(&with("/icon", Some(json!(long)))).unwrap_err();
    let message = errors.iter().next().unwrap().message_en();
    assert!(message.len() < 400, "{message}");
    assert!(
        message.contains("xxx…xxx") && message.contains("xxxfim\"; "),
        "head and tail: {message}"
    );

    let errors =
        PluginConfig::from_json(&with("/icon", Some(json!("finança\u{202e}\n")))).unwrap_err();
    let e = errors.iter().next().unwrap();
    assert_eq!(
        e.kind(),
        &ConfigErrorKind::IconUnknown {
            found: crate::Quoted::new("finança??")
        }
    );
    assert!(
        e.message_en()
            .starts_with("icon: unknown icon \"finança??\"; ")
    );
    assert!(
        e.message_pt_br()
            .starts_with("Ícone: ícone \"finança??\" desconhecido; ")
    );

    let errors = PluginConfig::from_json(&with("/visible\u{7}_to", Some(json!(1)))).unwrap_err();
    let paths: Vec<_> = errors.iter().map(ConfigError::path).collect();
    assert_eq!(paths, ["visible?_to"]);
}

#[test]
fn text_is_trimmed_and_counted_in_characters() {
    let config = valid_builder()
        .name("  Financeiro  ")
        .title(format!(" {} ", "é".repeat(60)))
        .build()
        .unwrap();
    assert_eq!(config.name(), "Financeiro");
    assert_eq!(config.title().chars().count(), 60);
    assert!(valid_builder().title("é".repeat(61)).build().is_err());
    assert!(valid_builder().name("n".repeat(100)).build().is_ok());
}

#[test]
fn defaults() {
    let json = with("/auth/token_lifetime_seconds", None);
    let config = PluginConfig::from_json(&json).unwrap();
    assert_eq!(config.token_lifetime(), AuthConfig::DEFAULT_TOKEN_LIFETIME);
    assert!(config.to_json().contains(r#""token_lifetime_seconds":300"#));

    let minimal = PluginConfig::builder()
        .id("x")
        .name("x")
        .link("https://x.example/")
        .icon(Icon::Alerta)
        .title("x")
        .iframe_size(Dimension::Percent(100), Dimension::Percent(100))
        .visible_to(VisibleTo::Cliente)
        .build()
        .unwrap();
    assert!(minimal.is_active());
    assert!(!minimal.show_in_client_portal());
    assert!(!minimal.show_in_manager_panel());
    assert_eq!(minimal.auth(), &AuthConfig::default());

    let empty = PluginConfig::builder().build().unwrap_err();
    let missing: Vec<_> = empty.iter().map(ConfigError::path).collect();
    assert_eq!(
        missing,
        [
            "id",
            "name",
            "link",
            "icon",
            "title",
            "iframe_size",
            "visible_to"
        ]
    );
    assert!(empty.iter().all(|e| e.code() == "field_missing"));
}

#[test]
fn json_form_is_documented_and_round_trips() {
    let config = valid_builder()
        .token_lifetime(Duration::from_secs(600))
        .build()
        .unwrap();
    let value: Value = serde_json::from_str(&config.to_json()).unwrap();
    let mut expected = valid_json();
    expected["auth"]["token_lifetime_seconds"] = json!(600);
    assert_eq!(value, expected);
    assert_eq!(PluginConfig::from_json(&config.to_json()).unwrap(), config);
    assert_eq!(
        PluginConfig::from_json(&config.to_json_pretty()).unwrap(),
        config
    );
    assert_eq!(
        serde_json::from_value::<PluginConfig>(value).unwrap(),
        config
    );
    assert_eq!(config.to_builder().build().unwrap(), config);
}

#[test]
fn serde_deserialize_validates_and_lists_problems() {
    let err =
        serde_json::from_str::<PluginConfig>(&with("/kind", Some(json!("popup")))).unwrap_err();
    assert!(err.to_string().contains("kind_unsupported"), "{err}");
    let list = format!("[{}, {}]", valid_json(), with("/icon", Some(json!("sino"))));
    let err = serde_json::from_str::<Vec<PluginConfig>>(&list).unwrap_err();
    assert!(err.to_string().contains("icon_unknown"), "{err}");
}

#[test]
fn is_shown_to_follows_the_rule() {
    let base = valid_builder().visible_to(VisibleTo::Sindico);
    let on = base.clone().build().unwrap();
    assert!(on.is_shown_to(Role::Sindico));
    assert!(!on.is_shown_to(Role::Cliente));
    assert!(!on.is_shown_to(Role::Gestor));
    let off = base
        .clone()
        .active(false)
        .show_in_manager_panel(true)
        .build()
        .unwrap();
    assert!(Role::ALL.iter().all(|r| !off.is_shown_to(*r)));
    let manager = base
        .show_in_client_portal(false)
        .show_in_manager_panel(true)
        .build()
        .unwrap();
    assert_eq!(
        Role::ALL
            .iter()
            .map(|&r| manager.is_shown_to(r))
            .collect::<Vec<_>>(),
        [false, false, true]
    );
}

#[test]
fn client_data_defaults_to_nothing_and_is_kept_in_canonical_order() {
    let none = PluginConfig::from_json(&valid_json().to_string()).unwrap();
    assert!(none.client_data().is_empty());
    assert!(ClientDataField::ALL.iter().all(|&f| !none.grants(f)));
    assert!(none.warnings().is_empty());
    assert!(!none.to_json().contains("client_data"));
    assert_eq!(valid_builder().build().unwrap(), none);
    // An explicit empty list is the same configuration as none.
    let empty = PluginConfig::from_json(&with("/client_data", Some(json!([])))).unwrap();
    assert_eq!(empty, none);

    let json = with("/client_data", Some(json!(["units", "email", "name"])));
    let config = PluginConfig::from_json(&json).unwrap();
    let expected = [
        ClientDataField::Name,
        ClientDataField::Email,
        ClientDataField::Units,
    ];
    assert_eq!(config.client_data(), expected);
    assert!(config.grants(ClientDataField::Email));
    assert!(!config.grants(ClientDataField::Document));
    assert!(
        config
            .to_json()
            .ends_with(r#""client_data":["name","email","units"]}"#),
        "{}",
        config.to_json()
    );
    assert_eq!(PluginConfig::from_json(&config.to_json()).unwrap(), config);
    assert_eq!(config.to_builder().build().unwrap(), config);
    let built = valid_builder()
        .client_data([
            ClientDataField::Units,
            ClientDataField::Name,
            ClientDataField::Email,
        ])
        .build()
        .unwrap();
    assert_eq!(built, config);
    // The builder's setter replaces, it does not add.
    let replaced = valid_builder()
        .client_data([ClientDataField::Phone])
        .client_data([ClientDataField::Units])
        .build()
        .unwrap();
    assert_eq!(replaced.client_data(), [ClientDataField::Units]);
}

#[test]
fn client_data_problems_are_each_reported_in_both_languages() {
    let json = with(
        "/client_data",
        Some(json!(["cpf", "name", "name", "units", "units", "telefone"])),
    );
    let errors = PluginConfig::from_json(&json).unwrap_err();
    assert_eq!(
        errors.codes(),
        [
            "client_data_unknown_field",
            "client_data_unknown_field",
            "client_data_duplicate_field",
            "client_data_duplicate_field",
        ]
    );
    let e: Vec<&ConfigError> = errors.iter().collect();
    assert_eq!(
        e[0].message_en(),
        "client_data: unknown client data field \"cpf\"; valid fields are: name, email, \
         document, phone, units"
    );
    assert_eq!(
        e[0].message_pt_br(),
        "Dados do cliente: campo de dados do cliente \"cpf\" desconhecido; os campos válidos \
         são: name, email, document, phone, units"
    );
    assert_eq!(
        e[2].message_en(),
        "client_data: \"name\" is listed more than once"
    );
    assert_eq!(
        e[3].message_pt_br(),
        "Dados do cliente: \"units\" aparece mais de uma vez na lista"
    );

    let errors = PluginConfig::from_json(&with("/client_data", Some(json!("name")))).unwrap_err();
    let e = errors.iter().next().unwrap();
    assert_eq!(e.message_en(), "client_data: expected an array of strings");
    assert_eq!(
        e.message_pt_br(),
        "Dados do cliente: valor do tipo errado; era esperado uma lista (array) de textos"
    );

    // An unknown name is quoted like any echoed input.
    let hostile = format!("{}\u{202e}\n", "x".repeat(500));
    let errors =
        PluginConfig::from_json(&with("/client_data", Some(json!([hostile])))).unwrap_err();
    let message = errors.iter().next().unwrap().message_en();
    assert!(message.len() < 300 && !message.contains('\n'), "{message}");
}

#[test]
fn granting_any_client_data_warns_and_granting_none_does_not() {
    assert!(valid_builder().build().unwrap().warnings().is_empty());
    // Every field is personal data, the units included: tied to a known person they say where
    // the person lives and what they signed.
    for &field in ClientDataField::ALL {
        assert!(field.is_personal(), "{field}");
        let config = valid_builder().client_data([field]).build().unwrap();
        assert_eq!(
            config.warnings(),
            [ConfigWarning::PersonalDataGranted {
                fields: vec![field]
            }]
        );
    }
    let all = valid_builder()
        .client_data(ClientDataField::ALL.iter().copied())
        .build()
        .unwrap();
    let warnings = all.warnings();
    assert_eq!(warnings.len(), 1);
    let w = &warnings[0];
    assert_eq!(w.code(), "personal_data_granted");
    assert_eq!(w.path(), "client_data");
    assert!(ConfigWarning::ALL_CODES.contains(&w.code()));
    assert!(
        w.message_en().starts_with(
            "client_data grants personal data (name, email, document, phone, units); "
        ),
        "{}",
        w.message_en()
    );
    assert!(w.message_en().contains("form POST"));
    assert!(
        w.message_pt_br()
            .contains("dados pessoais (name, email, document, phone, units)")
            && w.message_pt_br().contains("POST de formulário"),
        "{}",
        w.message_pt_br()
    );
    assert_eq!(
        w.to_string(),
        format!("{} [personal_data_granted]", w.message_en())
    );
}

#[test]
fn form_post_delivery_silences_the_personal_data_warning() {
    let granted = valid_builder().client_data(ClientDataField::ALL.iter().copied());
    let by_query = granted.clone().build().unwrap();
    assert_eq!(by_query.delivery(), Delivery::Query);
    assert_eq!(by_query.warnings().len(), 1);
    let by_post = granted.delivery(Delivery::FormPost).build().unwrap();
    assert_eq!(by_post.delivery(), Delivery::FormPost);
    assert!(by_post.warnings().is_empty());
}

#[test]
fn delivery_is_written_only_when_not_the_default_and_reads_back() {
    let by_query = valid_builder().build().unwrap();
    assert!(!by_query.to_json().contains("delivery"));
    let by_post = valid_builder()
        .delivery(Delivery::FormPost)
        .build()
        .unwrap();
    let json = by_post.to_json();
    assert!(json.contains(r#""delivery":"form_post""#), "{json}");
    assert_eq!(PluginConfig::from_json(&json).unwrap(), by_post);
    assert_eq!(by_post.to_builder().build().unwrap(), by_post);
    let explicit = with("/delivery", Some(json!("query")));
    assert_eq!(PluginConfig::from_json(&explicit).unwrap(), by_query);
}
