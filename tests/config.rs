//! The plugin configuration through the public API: building, reading JSON, the reported
//! problems, and (property tests) the JSON round trip.

use std::time::Duration;

use cv_portal_plugin::config::{
    AuthConfig, ConfigError, Dimension, Icon, PluginConfig, PluginConfigBuilder, PluginKind,
    VisibleTo,
};
use cv_portal_plugin::wire::ClientDataField;
use cv_portal_plugin::{Algorithm, PluginId, Role};
use proptest::prelude::*;

const FINANCEIRO: &str = r#"{
    "id": "financeiro",
    "name": "Financeiro – segunda via de boleto",
    "active": true,
    "link": "https://erp.construtora.com.br/portal/financeiro?empresa=42",
    "icon": "boleto",
    "title": "Financeiro",
    "show_in_client_portal": true,
    "show_in_manager_panel": true,
    "kind": "iframe",
    "iframe_size": {"width": "100%", "height": "900px"},
    "visible_to": "cliente",
    "auth": {"type": "token", "token_lifetime_seconds": 120}
}"#;

#[test]
fn reads_every_field() {
    let config = PluginConfig::from_json(FINANCEIRO).unwrap();
    assert_eq!(config.id(), &PluginId::new("financeiro").unwrap());
    assert_eq!(config.name(), "Financeiro – segunda via de boleto");
    assert!(config.is_active());
    assert_eq!(config.link().host_str(), Some("erp.construtora.com.br"));
    assert_eq!(config.link().query(), Some("empresa=42"));
    assert_eq!(config.icon(), Icon::Boleto);
    assert_eq!(config.title(), "Financeiro");
    assert!(config.show_in_client_portal());
    assert!(config.show_in_manager_panel());
    assert_eq!(config.kind(), PluginKind::Iframe);
    assert_eq!(config.iframe_size().width(), Dimension::Percent(100));
    assert_eq!(config.iframe_size().height(), Dimension::Pixels(900));
    assert_eq!(config.visible_to(), VisibleTo::Cliente);
    assert_eq!(
        config.auth(),
        &AuthConfig::Token {
            lifetime: Duration::from_secs(120)
        }
    );
    assert_eq!(config.token_lifetime(), Duration::from_secs(120));
    assert_eq!(
        Role::ALL
            .iter()
            .map(|&role| config.is_shown_to(role))
            .collect::<Vec<_>>(),
        [true, false, true]
    );
}

#[test]
fn an_admin_form_full_of_mistakes_gets_every_problem_in_both_languages() {
    let errors = PluginConfig::builder()
        .id("financeiro/2via")
        .name("   ")
        .link("http://erp.construtora.com.br/#financeiro")
        .icon(Icon::Alerta)
        .title("Financeiro")
        .iframe_size(Dimension::Pixels(100_000), Dimension::Percent(250))
        .token_lifetime(Duration::from_secs(2 * 60 * 60))
        .build()
        .unwrap_err();
    let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.path(), e.code())).collect();
    assert_eq!(
        found,
        [
            ("id", "id_invalid_character"),
            ("name", "name_empty"),
            ("link", "link_not_https"),
            ("link", "link_has_fragment"),
            ("iframe_size.width", "iframe_size_pixels_out_of_range"),
            ("iframe_size.height", "iframe_size_percent_out_of_range"),
            ("visible_to", "field_missing"),
            ("auth.token_lifetime_seconds", "auth_lifetime_out_of_range"),
        ]
    );
    assert_eq!(errors.len(), 8);
    let pt: Vec<String> = errors.iter().map(ConfigError::message_pt_br).collect();
    assert_eq!(pt[1], "Nome: não pode ficar vazio");
    assert_eq!(pt[6], "Visível para: campo obrigatório não informado");
    assert!(pt[7].starts_with("Duração do token: 7200 s está fora do intervalo permitido"));
    for e in &errors {
        assert_ne!(e.message_en(), e.message_pt_br());
    }
}

#[test]
fn json_input_is_strict() {
    let unknown = FINANCEIRO.replacen("\"active\": true,", "\"active\": true, \"ativo\": true,", 1);
    let errors = PluginConfig::from_json(&unknown).unwrap_err();
    assert_eq!(errors.codes(), ["json_unknown_field"]);
    assert_eq!(errors.iter().next().unwrap().path(), "ativo");

    let other_kind = FINANCEIRO.replace("\"iframe\"", "\"popup\"");
    assert_eq!(
        PluginConfig::from_json(&other_kind).unwrap_err().codes(),
        ["kind_unsupported"]
    );
    let other_auth = FINANCEIRO.replace("\"token\"", "\"basic\"");
    assert_eq!(
        PluginConfig::from_json(&other_auth).unwrap_err().codes(),
        ["auth_unsupported"]
    );
    assert_eq!(
        PluginConfig::from_json("not json").unwrap_err().codes(),
        ["json_syntax"]
    );
    assert!(serde_json::from_str::<PluginConfig>(&unknown).is_err());
}

#[test]
fn editing_through_to_builder_revalidates() {
    let config = PluginConfig::from_json(FINANCEIRO).unwrap();
    let inactive = config.to_builder().active(false).build().unwrap();
    assert!(!inactive.is_active());
    assert!(Role::ALL.iter().all(|&role| !inactive.is_shown_to(role)));
    let broken = config
        .to_builder()
        .link("https://erp.example.com/#x")
        .build();
    assert_eq!(broken.unwrap_err().codes(), ["link_has_fragment"]);
}

fn text(max: usize) -> impl Strategy<Value = String> {
    // Letters with accents, spaces and markup characters; trimmed by the builder.
    proptest::string::string_regex(&format!("[ a-zA-Z0-9À-ÿ–ª&<>\"'./-]{{1,{max}}}"))
        .expect("valid regex")
        .prop_filter("non-empty after trimming", |s| !s.trim().is_empty())
}

fn link() -> impl Strategy<Value = String> {
    let https = (
        // Punycode labels (`xn--…`) must decode as IDNA or the URL is invalid; keep them out.
        "[a-z][a-z0-9-]{0,15}(\\.[a-z]{2,6}){1,2}"
            .prop_filter("no punycode label", |host: &String| {
                !host.starts_with("xn--")
            }),
        proptest::option::of(1u16..),
        "(/[a-zA-Z0-9._~%-]{1,10}){0,3}",
        // The `token` parameter is reserved for the launch token (link_reserved_query_param).
        proptest::option::of("[a-zA-Z0-9=&_.\"<>' -]{0,30}".prop_filter(
            "no token parameter",
            |q| {
                !q.split('&')
                    .any(|pair| pair.split('=').next() == Some("token"))
            },
        )),
    )
        .prop_map(|(host, port, path, query)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            format!("https://{host}{port}{path}{query}")
        });
    let local = (
        prop_oneof![
            Just("localhost".to_owned()),
            Just("127.0.0.1".to_owned()),
            Just("[::1]".to_owned())
        ],
        1u16..,
    )
        .prop_map(|(host, port)| format!("http://{host}:{port}/plugin"));
    prop_oneof![4 => https, 1 => local]
}

fn dimension() -> impl Strategy<Value = Dimension> {
    prop_oneof![
        (Dimension::PIXELS_MIN..=Dimension::PIXELS_MAX).prop_map(Dimension::Pixels),
        (Dimension::PERCENT_MIN..=Dimension::PERCENT_MAX).prop_map(Dimension::Percent),
    ]
}

prop_compose! {
    fn valid_builder()(
        id in "[A-Za-z0-9][A-Za-z0-9._-]{0,63}",
        name in text(PluginConfig::NAME_MAX_CHARS),
        active: bool,
        link in link(),
        icon in proptest::sample::select(Icon::ALL.to_vec()),
        title in text(PluginConfig::TITLE_MAX_CHARS),
        show_client: bool,
        show_manager: bool,
        width in dimension(),
        height in dimension(),
        visible_to in proptest::sample::select(VisibleTo::ALL.to_vec()),
        lifetime in 30u64..=3600,
        grants in proptest::sample::subsequence(ClientDataField::ALL.to_vec(), 0..=ClientDataField::ALL.len())
            .prop_shuffle(),
        algorithm in proptest::sample::select(vec![Algorithm::EdDSA, Algorithm::ES256]),
    ) -> PluginConfigBuilder {
        PluginConfig::builder()
            .id(id)
            .name(name)
            .active(active)
            .link(link)
            .icon(icon)
            .title(title)
            .show_in_client_portal(show_client)
            .show_in_manager_panel(show_manager)
            .iframe_size(width, height)
            .visible_to(visible_to)
            .token_lifetime(Duration::from_secs(lifetime))
            .client_data(grants)
            .algorithm(algorithm)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn json_round_trip(builder in valid_builder()) {
        let config = builder.build();
        prop_assert!(config.is_ok(), "{:?}", config);
        let config = config.unwrap();
        let json = config.to_json();
        let back = PluginConfig::from_json(&json);
        prop_assert_eq!(back.as_ref(), Ok(&config), "{}", json);
        prop_assert_eq!(back.unwrap().to_json(), json.clone());
        let via_serde: PluginConfig = serde_json::from_str(&config.to_json_pretty()).unwrap();
        prop_assert_eq!(&via_serde, &config);
        // Grants are kept once each, in the canonical order, whatever order they were given in.
        let canonical: Vec<ClientDataField> = ClientDataField::ALL
            .iter()
            .copied()
            .filter(|&f| config.grants(f))
            .collect();
        prop_assert_eq!(config.client_data(), &canonical[..]);
        prop_assert_eq!(
            config.warnings().is_empty(),
            !config.client_data().iter().any(|f| f.is_personal())
        );
    }

    #[test]
    fn arbitrary_text_never_panics(input in "\\PC{0,200}") {
        let _ = PluginConfig::from_json(&input);
    }

    #[test]
    fn arbitrary_field_values_are_rejected_or_accepted_without_panic(
        field in proptest::sample::select(vec!["id", "name", "link", "icon", "title", "kind", "visible_to", "algorithm"]),
        value in "\\PC{0,80}",
    ) {
        let mut doc: serde_json::Value = serde_json::from_str(FINANCEIRO).unwrap();
        doc[field] = serde_json::Value::String(value);
        match PluginConfig::from_json(&doc.to_string()) {
            Ok(config) => prop_assert_eq!(PluginConfig::from_json(&config.to_json()).unwrap(), config),
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in &errors {
                    prop_assert!(e.path() == field);
                    prop_assert!(!e.message_pt_br().is_empty());
                }
            }
        }
    }
}

#[test]
fn client_data_is_granted_explicitly() {
    let config = PluginConfig::from_json(FINANCEIRO).unwrap();
    assert!(
        config.client_data().is_empty(),
        "nothing is shared by default"
    );
    assert!(config.warnings().is_empty());
    let granted = FINANCEIRO.replacen(
        "\"auth\":",
        "\"client_data\": [\"units\", \"name\"], \"auth\":",
        1,
    );
    let config = PluginConfig::from_json(&granted).unwrap();
    assert_eq!(
        config.client_data(),
        [ClientDataField::Name, ClientDataField::Units]
    );
    assert!(config.grants(ClientDataField::Units) && !config.grants(ClientDataField::Email));
    let codes: Vec<&str> = config.warnings().iter().map(|w| w.code()).collect();
    assert_eq!(codes, ["personal_data_granted"]);
    let revoked = config.to_builder().client_data([]).build().unwrap();
    assert_eq!(revoked, PluginConfig::from_json(FINANCEIRO).unwrap());

    let errors =
        PluginConfig::from_json(&granted.replace("\"name\"]", "\"cpf\", \"units\"]")).unwrap_err();
    assert_eq!(
        errors.codes(),
        ["client_data_unknown_field", "client_data_duplicate_field"]
    );
    assert!(errors.iter().all(|e| e.path() == "client_data"));
}

/// The configuration a .NET vendor's plugin gets: FINANCEIRO with another id and ES256.
fn dotnet_plugin() -> String {
    FINANCEIRO
        .replacen("\"financeiro\"", "\"boletos-net\"", 1)
        .replacen("\"auth\":", "\"algorithm\": \"ES256\", \"auth\":", 1)
}

#[test]
fn the_signing_algorithm_is_chosen_per_plugin_and_defaults_to_eddsa() {
    let default = PluginConfig::from_json(FINANCEIRO).unwrap();
    assert_eq!(default.algorithm(), Algorithm::EdDSA);
    // The default is not written, so configurations made before the field read and write as
    // they did.
    assert!(
        !default.to_json().contains("algorithm"),
        "{}",
        default.to_json()
    );
    let explicit = FINANCEIRO.replacen("\"auth\":", "\"algorithm\": \"EdDSA\", \"auth\":", 1);
    assert_eq!(PluginConfig::from_json(&explicit).unwrap(), default);

    let dotnet = PluginConfig::from_json(&dotnet_plugin()).unwrap();
    assert_eq!(dotnet.algorithm(), Algorithm::ES256);
    // Written after `delivery` and before `client_data`, as the documented JSON form lists it.
    let json = dotnet.to_json();
    assert!(
        json.contains(
            r#""auth":{"type":"token","token_lifetime_seconds":120},"algorithm":"ES256"}"#
        ),
        "{json}"
    );
    assert_eq!(PluginConfig::from_json(&json).unwrap(), dotnet);
    let granted = dotnet
        .to_builder()
        .delivery(cv_portal_plugin::config::Delivery::FormPost)
        .client_data([ClientDataField::Units])
        .build()
        .unwrap();
    assert!(
        granted
            .to_json()
            .ends_with(r#""delivery":"form_post","algorithm":"ES256","client_data":["units"]}"#),
        "{}",
        granted.to_json()
    );
    // Through the builder, and back to the default.
    let built = default
        .to_builder()
        .id("boletos-net")
        .algorithm(Algorithm::ES256)
        .build()
        .unwrap();
    assert_eq!(built, dotnet);
    assert_eq!(
        built
            .to_builder()
            .algorithm(Algorithm::EdDSA)
            .build()
            .unwrap()
            .algorithm(),
        Algorithm::EdDSA
    );
    // Serde's front end applies the same rules.
    let via_serde: PluginConfig = serde_json::from_str(&dotnet_plugin()).unwrap();
    assert_eq!(via_serde, dotnet);
}

#[test]
fn an_unknown_algorithm_is_refused_with_its_code_in_both_languages() {
    let config = |value: &str| {
        FINANCEIRO.replacen(
            "\"auth\":",
            &format!("\"algorithm\": {value}, \"auth\":"),
            1,
        )
    };
    let errors = PluginConfig::from_json(&config("\"RS256\"")).unwrap_err();
    let only = errors.iter().next().unwrap();
    assert_eq!(
        (errors.len(), only.path(), only.code()),
        (1, "algorithm", "algorithm_unknown")
    );
    assert_eq!(
        only.message_en(),
        "algorithm: unknown signing algorithm \"RS256\"; expected \"EdDSA\" (the default) or \
         \"ES256\" (for vendors whose JWT library has no Ed25519, such as .NET), written exactly so"
    );
    assert_eq!(
        only.message_pt_br(),
        "Algoritmo de assinatura: algoritmo de assinatura \"RS256\" desconhecido; use \"EdDSA\" \
         (o padrão) ou \"ES256\" (para fornecedores cuja biblioteca JWT não tem Ed25519, como \
         .NET), escrito exatamente assim"
    );
    // Letter case counts, as in the token's `alg`; `none` and HMAC are never configurable.
    for bad in [
        "\"es256\"",
        "\"EDDSA\"",
        "\"none\"",
        "\"HS256\"",
        "\"ESP256\"",
        "\"\"",
    ] {
        let errors = PluginConfig::from_json(&config(bad)).unwrap_err();
        assert_eq!(errors.codes(), ["algorithm_unknown"], "{bad}");
    }
    // Not a string: the usual wrong-type problem; repeated: the usual duplicate.
    for bad in ["256", "null", "[\"ES256\"]", "{\"alg\": \"ES256\"}"] {
        let errors = PluginConfig::from_json(&config(bad)).unwrap_err();
        assert_eq!(errors.codes(), ["json_wrong_type"], "{bad}");
        assert_eq!(errors.iter().next().unwrap().path(), "algorithm");
    }
    let twice = config("\"ES256\", \"algorithm\": \"EdDSA\"");
    assert_eq!(
        PluginConfig::from_json(&twice).unwrap_err().codes(),
        ["json_duplicate_field"]
    );
    // An input excerpt is bounded and cleaned like every other echoed value.
    let long = format!("\"{}\\n\"", "E".repeat(500));
    let message = PluginConfig::from_json(&config(&long))
        .unwrap_err()
        .iter()
        .next()
        .unwrap()
        .message_en();
    assert!(message.len() < 400 && !message.contains('\n'), "{message}");
}
