//! The crate's one check of its error-code vocabulary (tests only): every code of every public
//! error, in every feature combination, is snake_case ASCII and names one condition, so a vendor
//! can match on a code without knowing which type raised it.
//!
//! A new error type adds its list here; a code shared on purpose (one condition raised in two
//! places) is listed once, with the reason.

use std::collections::HashMap;

/// (owner, codes) for every error type compiled in.
fn every_code_list() -> Vec<(&'static str, Vec<&'static str>)> {
    #[allow(unused_mut)]
    let mut lists: Vec<(&'static str, Vec<&'static str>)> = vec![
        ("WireError", crate::wire::WireError::ALL_CODES.to_vec()),
        ("KeyError", crate::keys::KeyError::ALL_CODES.to_vec()),
        (
            "ProviderAlreadyInstalled",
            vec![crate::provider::ProviderAlreadyInstalled::for_code_tests().code()],
        ),
    ];
    #[cfg(feature = "portal")]
    {
        use crate::config::{ConfigErrorKind, ConfigWarning, Dimension, Icon, PluginConfig};
        let plugin = PluginConfig::builder()
            .id("p")
            .name("p")
            .link("https://erp.example.com/")
            .icon(Icon::Alerta)
            .title("p")
            .iframe_size(Dimension::Percent(100), Dimension::Percent(100))
            .visible_to(crate::config::VisibleTo::Cliente)
            .build()
            .expect("a valid plugin");
        let javascript = url::Url::parse("javascript:x").expect("a URL");
        let unsafe_src = crate::render::render_iframe(&plugin, &javascript)
            .expect_err("a javascript: src is refused");
        lists.extend([
            ("ConfigErrorKind", ConfigErrorKind::ALL_CODES.to_vec()),
            ("ConfigWarning", ConfigWarning::ALL_CODES.to_vec()),
            ("IssueError", crate::issue::IssueError::ALL_CODES.to_vec()),
            ("RenderError", vec![unsafe_src.code()]),
        ]);
    }
    #[cfg(feature = "vendor")]
    {
        use crate::keys::{FetchError, KeysFailure};
        use crate::verify::{VerifierConfigError, VerifyError};
        let fetch = [
            FetchError::HttpStatus(500),
            FetchError::ConnectionRefused,
            FetchError::HostNotFound,
            FetchError::Tls,
            FetchError::Timeout,
            FetchError::TooLarge,
            FetchError::Transport,
        ]
        .map(|e| KeysFailure::Fetch(e).kind());
        let discovery = KeysFailure::InvalidDiscovery { code: "" }.kind();
        lists.extend([
            ("VerifyError", VerifyError::ALL_CODES.to_vec()),
            (
                "VerifierConfigError",
                VerifierConfigError::ALL_CODES.to_vec(),
            ),
            ("FetchError", fetch.to_vec()),
            ("KeysFailure", vec![discovery]),
            (
                "DataClientError",
                crate::data_client::DataClientError::ALL_CODES.to_vec(),
            ),
            (
                "ClientDataError",
                crate::data_client::ClientDataError::ALL_CODES.to_vec(),
            ),
            (
                "SessionError",
                crate::session::SessionError::ALL_CODES.to_vec(),
            ),
            (
                "SessionConfigError",
                crate::session::SessionConfigError::ALL_CODES.to_vec(),
            ),
            (
                "OriginError",
                crate::session::OriginError::ALL_CODES.to_vec(),
            ),
            (
                "ExchangeUrlError",
                crate::session::ExchangeUrlError::ALL_CODES.to_vec(),
            ),
            // `wrong_audience` and the verification codes come from `VerifyError`.
            (
                "RegistryError",
                crate::registry::RegistryError::OWN_CODES.to_vec(),
            ),
            ("PortalConfigError", vec!["no_plugin", "key_source_shared"]),
        ]);
    }
    #[cfg(all(feature = "portal", feature = "vendor"))]
    lists.push((
        "EndpointError",
        // The endpoint refuses for the same two reasons the issuer refuses to mint
        // (`plugin_inactive`, `not_visible_to_viewer`): one condition, one code, counted once.
        crate::data_endpoint::EndpointError::ENDPOINT_CODES
            .iter()
            .copied()
            .filter(|code| !crate::issue::IssueError::ALL_CODES.contains(code))
            .collect(),
    ));
    #[cfg(feature = "http")]
    lists.push(("HttpError", crate::http::HttpError::ALL_CODES.to_vec()));
    #[cfg(feature = "redis")]
    {
        use crate::replay::redis::RedisGuardError as R;
        use crate::replay::{StoreCause, StoreFailure};
        lists.push((
            "RedisGuardError",
            [
                R::InvalidUrl { reason: "" },
                R::TlsNotEnabled,
                R::TlsNoCryptoProvider,
                R::InvalidOption {
                    option: "",
                    expected: "",
                },
                R::Unavailable {
                    failure: StoreFailure::new("PING", StoreCause::Timeout),
                },
            ]
            .iter()
            .map(R::code)
            .collect(),
        ));
    }
    lists
}

#[test]
fn every_code_is_snake_case_and_names_one_condition() {
    let mut owners: HashMap<&str, &str> = HashMap::new();
    let lists = every_code_list();
    assert!(lists.len() >= 3, "the lists are compiled in");
    for (owner, codes) in lists {
        assert!(!codes.is_empty(), "{owner} lists no code");
        for code in codes {
            assert!(
                code.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
                    && code.len() <= 64
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{owner}: {code:?} is not snake_case ASCII of at most 64 bytes"
            );
            if let Some(other) = owners.insert(code, owner) {
                panic!("{code} is a code of both {other} and {owner}");
            }
        }
    }
}
