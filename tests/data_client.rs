//! The vendor's side of the client-data exchange, as a vendor calls it: every row of the wire
//! contract's table (PROTOCOL.md §11) read into the right result, hostile answers refused with
//! their exact codes, and discovery's rules (§10).
//!
//! `ROWS` is also the seed corpus of the fuzz target `client_data_answer`
//! (`fuzz/corpus/client_data_answer`, one file per row, written by the ignored test
//! `write_client_data_answer_corpus`; `seed_corpus_holds_every_row` keeps them in step).

use cv_portal_plugin::data_client::{
    ClientDataRequest, MAX_BODY_LEN, discovery_url, read_client_data, read_discovery,
};
use cv_portal_plugin::wire::ClientDataField;
use cv_portal_plugin::{ClientDataError, DataFault, IssuerId};

const FULL: &str = r#"{"sub":"48213","role":"cliente","plugin":"financeiro","name":"Maria Souza",
"email":"maria@example.com","document":{"type":"cpf","number":"52998224725"},
"phone":"+5511987654321","units":[{"empreendimento":"Residencial Ipê","bloco":"B",
"unidade":"1204","contract_id":"C-2024-0042"}]}"#;

const REALM: &str = r#"Bearer realm="cv-plugin""#;

fn invalid_token(code: &str) -> String {
    format!(r#"Bearer realm="cv-plugin", error="invalid_token", error_description="{code}""#)
}

fn insufficient_scope(code: &str) -> String {
    format!(r#"Bearer realm="cv-plugin", error="insufficient_scope", error_description="{code}""#)
}

fn error_body(code: &str) -> String {
    format!(r#"{{"error":"{code}","error_description":"English text for logs"}}"#)
}

/// What an answer must read as: `Ok` with these fields, or an error with this code, server
/// code and fault.
#[derive(Debug)]
enum Expect {
    Data(&'static [ClientDataField]),
    Error(&'static str, Option<&'static str>, DataFault),
}

/// One answer of the contract's table (and its hostile cousins).
struct Row {
    name: &'static str,
    status: u16,
    www_authenticate: Option<String>,
    body: Vec<u8>,
    expect: Expect,
}

fn row(
    name: &'static str,
    status: u16,
    header: Option<String>,
    body: impl Into<Vec<u8>>,
    expect: Expect,
) -> Row {
    Row {
        name,
        status,
        www_authenticate: header,
        body: body.into(),
        expect,
    }
}

/// Every row of the contract's table, in its order, then each code a row stands for.
fn contract_rows() -> Vec<Row> {
    use ClientDataField::*;
    use Expect::{Data, Error};
    let mut rows = vec![
        row(
            "200-all-fields",
            200,
            None,
            FULL,
            Data(&[Name, Email, Document, Phone, Units]),
        ),
        row(
            "200-granted-only",
            200,
            None,
            r#"{"sub":"48213","role":"cliente","plugin":"financeiro","units":[]}"#,
            Data(&[Units]),
        ),
        row(
            "200-no-field-granted",
            200,
            None,
            r#"{"sub":"cv:pessoa:9","role":"sindico","plugin":"boletos"}"#,
            Data(&[]),
        ),
        row(
            "404-client-not-found",
            404,
            None,
            error_body("client_not_found"),
            Error(
                "data_client_not_found",
                Some("client_not_found"),
                DataFault::NoData,
            ),
        ),
        row(
            "401-missing-token",
            401,
            Some(REALM.to_owned()),
            error_body("missing_token"),
            Error(
                "data_token_refused",
                Some("missing_token"),
                DataFault::Protocol,
            ),
        ),
        row(
            "400-invalid-request",
            400,
            Some(r#"Bearer realm="cv-plugin", error="invalid_request""#.to_owned()),
            error_body("invalid_request"),
            Error(
                "data_request_refused",
                Some("invalid_request"),
                DataFault::Protocol,
            ),
        ),
    ];
    for (name, code) in [
        ("401-expired", "expired"),
        ("401-bad-signature", "bad_signature"),
        ("401-wrong-issuer", "wrong_issuer"),
        ("401-unknown-kid", "unknown_kid"),
        ("401-replayed", "replayed"),
        ("401-plugin-not-found", "plugin_not_found"),
    ] {
        rows.push(row(
            name,
            401,
            Some(invalid_token(code)),
            error_body(code),
            Error("data_token_refused", Some(code), DataFault::Token),
        ));
    }
    for (name, code) in [
        ("403-plugin-inactive", "plugin_inactive"),
        ("403-not-visible-to-viewer", "not_visible_to_viewer"),
    ] {
        rows.push(row(
            name,
            403,
            Some(insufficient_scope(code)),
            error_body(code),
            Error("data_access_denied", Some(code), DataFault::Access),
        ));
    }
    for (name, code) in [
        ("503-keys-unavailable", "keys_unavailable"),
        ("503-replay-store-unavailable", "replay_store_unavailable"),
        ("503-replay-capacity-exceeded", "replay_capacity_exceeded"),
    ] {
        rows.push(row(
            name,
            503,
            None,
            error_body(code),
            Error(
                "data_portal_unavailable",
                Some(code),
                DataFault::Unavailable,
            ),
        ));
    }
    rows
}

/// Answers a portal must not give, or that a proxy in between gives.
fn hostile_rows() -> Vec<Row> {
    use Expect::Error;
    let p = DataFault::Protocol;
    let huge = {
        let mut body = FULL.trim_end_matches('}').to_owned();
        body.push_str(r#","padding":""#);
        body.push_str(&"x".repeat(MAX_BODY_LEN));
        body.push_str(r#""}"#);
        body
    };
    let deep = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    let deep_member = format!(
        r#"{{"sub":"1","role":"cliente","plugin":"p","x":{}1{}}}"#,
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    vec![
        row(
            "200-too-large",
            200,
            None,
            huge.clone(),
            Error("data_answer_too_large", None, p),
        ),
        row(
            "401-too-large",
            401,
            Some(invalid_token("expired")),
            huge,
            Error("data_token_refused", Some("expired"), DataFault::Token),
        ),
        // An oversized refusal is read from its status and header alone.
        row(
            "503-huge-proxy-page",
            503,
            None,
            format!("<html>{}</html>", " ".repeat(MAX_BODY_LEN)),
            Error("data_portal_unavailable", None, DataFault::Unavailable),
        ),
        row(
            "404-huge",
            404,
            None,
            format!(
                "{}{}",
                error_body("client_not_found"),
                " ".repeat(MAX_BODY_LEN)
            ),
            Error("data_endpoint_not_found", None, p),
        ),
        row(
            "200-deep",
            200,
            None,
            deep.clone(),
            Error("data_answer_invalid", None, p),
        ),
        row(
            "401-deep",
            401,
            Some(invalid_token("expired")),
            deep,
            Error("data_token_refused", Some("expired"), DataFault::Token),
        ),
        row(
            "200-deep-member",
            200,
            None,
            deep_member,
            // serde_json skips an unknown member without recursion: no depth limit to hit.
            Expect::Data(&[]),
        ),
        row(
            "200-not-utf8",
            200,
            None,
            b"{\"sub\":\"1\",\"role\":\"cliente\",\"plugin\":\"p\",\"name\":\"Jo\xe3o\"}".to_vec(),
            Error("data_answer_invalid", None, p),
        ),
        row(
            "200-empty",
            200,
            None,
            "",
            Error("data_answer_invalid", None, p),
        ),
        row(
            "200-html",
            200,
            None,
            "<html>login</html>",
            Error("data_answer_invalid", None, p),
        ),
        row(
            "200-truncated",
            200,
            None,
            &FULL[..40],
            Error("data_answer_invalid", None, p),
        ),
        row(
            "200-wrong-type",
            200,
            None,
            r#"{"sub":"1","role":"cliente","plugin":"p","name":7}"#,
            Error("data_answer_invalid", None, p),
        ),
        row(
            "200-missing-sub",
            200,
            None,
            r#"{"role":"cliente","plugin":"p"}"#,
            Error("data_answer_invalid", None, p),
        ),
        row(
            "200-bad-cpf",
            200,
            None,
            r#"{"sub":"1","role":"cliente","plugin":"p","document":{"type":"cpf","number":"52998224724"}}"#,
            Error("data_answer_invalid", None, p),
        ),
        row(
            "200-duplicate-sub",
            200,
            None,
            r#"{"sub":"1","sub":"2","role":"cliente","plugin":"p"}"#,
            Error("data_answer_invalid", None, p),
        ),
        row(
            "200-array",
            200,
            None,
            "[]",
            Error("data_answer_invalid", None, p),
        ),
        row(
            "404-proxy-page",
            404,
            None,
            "<h1>Not Found</h1>",
            Error("data_endpoint_not_found", None, p),
        ),
        row(
            "404-other-code",
            404,
            None,
            error_body("not_found"),
            Error("data_endpoint_not_found", None, p),
        ),
        row(
            "204",
            204,
            None,
            "",
            Error("data_unexpected_status", None, p),
        ),
        row(
            "302",
            302,
            None,
            "",
            Error("data_unexpected_status", None, p),
        ),
        row(
            "500",
            500,
            None,
            error_body("expired"),
            Error("data_unexpected_status", None, p),
        ),
        row(
            "502-huge",
            502,
            None,
            vec![b'x'; MAX_BODY_LEN * 2],
            Error("data_unexpected_status", None, p),
        ),
        row(
            "status-0",
            0,
            None,
            FULL,
            Error("data_unexpected_status", None, p),
        ),
        row(
            "status-65535",
            65535,
            None,
            FULL,
            Error("data_unexpected_status", None, p),
        ),
        // Where the code comes from: the body, else error_description, else error.
        row(
            "401-header-only",
            401,
            Some(invalid_token("expired")),
            "<html>",
            Error("data_token_refused", Some("expired"), DataFault::Token),
        ),
        row(
            "401-error-only",
            401,
            Some(r#"Bearer error="invalid_token""#.to_owned()),
            "",
            Error(
                "data_token_refused",
                Some("invalid_token"),
                DataFault::Token,
            ),
        ),
        row(
            "401-body-wins",
            401,
            Some(invalid_token("expired")),
            error_body("replayed"),
            Error("data_token_refused", Some("replayed"), DataFault::Token),
        ),
        row(
            "401-nothing",
            401,
            None,
            "",
            Error("data_token_refused", None, DataFault::Token),
        ),
        row(
            "503-proxy",
            503,
            None,
            "<html>maintenance</html>",
            Error("data_portal_unavailable", None, DataFault::Unavailable),
        ),
        // Codes that are not snake_case are not codes; nothing else of the body is kept.
        row(
            "401-code-injection",
            401,
            None,
            error_body("expired\\r\\nSet-Cookie: a=1"),
            Error("data_token_refused", None, DataFault::Token),
        ),
        row(
            "401-code-upper",
            401,
            Some(invalid_token("Expired")),
            error_body("EXPIRED"),
            Error(
                "data_token_refused",
                Some("invalid_token"),
                DataFault::Token,
            ),
        ),
        row(
            "401-code-long",
            401,
            None,
            error_body(&"x".repeat(65)),
            Error("data_token_refused", None, DataFault::Token),
        ),
        row(
            "401-code-number",
            401,
            Some(invalid_token("expired")),
            r#"{"error":7}"#,
            Error("data_token_refused", Some("expired"), DataFault::Token),
        ),
        row(
            "401-code-duplicate",
            401,
            None,
            r#"{"error":"expired","error":"replayed"}"#,
            Error("data_token_refused", None, DataFault::Token),
        ),
        // A body that is not UTF-8 is not JSON, whatever a lenient parser would read in it.
        row(
            "401-body-not-utf8",
            401,
            Some(invalid_token("expired")),
            b"{\"error\":\"replayed\",\"error_description\":\"f\x8e\"}".to_vec(),
            Error("data_token_refused", Some("expired"), DataFault::Token),
        ),
        // Odd quoting and header injection in WWW-Authenticate.
        row(
            "401-header-crlf",
            401,
            Some(
                "Bearer error=\"invalid_token\", error_description=\"expired\r\nSet-Cookie: a=1\""
                    .to_owned(),
            ),
            "",
            Error("data_token_refused", None, DataFault::Token),
        ),
        row(
            "401-header-unterminated",
            401,
            Some(r#"Bearer error_description="expired"#.to_owned()),
            "",
            Error("data_token_refused", None, DataFault::Token),
        ),
        row(
            "401-header-escaped",
            401,
            Some(r#"Bearer error_description="ex\pi\r\ed""#.to_owned()),
            "",
            Error("data_token_refused", Some("expired"), DataFault::Token),
        ),
        row(
            "401-header-other-scheme",
            401,
            Some(r#"Basic realm="expired""#.to_owned()),
            "",
            Error("data_token_refused", None, DataFault::Token),
        ),
        row(
            "401-header-nul",
            401,
            Some("Bearer error=\"\0\"".to_owned()),
            "",
            Error("data_token_refused", None, DataFault::Token),
        ),
        row(
            "403-header-utf8",
            403,
            Some(
                "Bearer error=\"insufficient_scope\", error_description=\"inativo ção\"".to_owned(),
            ),
            "",
            Error(
                "data_access_denied",
                Some("insufficient_scope"),
                DataFault::Access,
            ),
        ),
    ]
}

fn check(row: &Row) {
    let answer = read_client_data(row.status, row.www_authenticate.as_deref(), &row.body);
    match (&row.expect, answer) {
        (Expect::Data(fields), Ok(data)) => {
            assert_eq!(data.fields(), *fields, "{}", row.name);
            // Re-serialised, the data reads back the same.
            let json = serde_json::to_vec(&data).unwrap();
            assert_eq!(read_client_data(200, None, &json), Ok(data), "{}", row.name);
        }
        (Expect::Error(code, server, fault), Err(error)) => {
            assert_eq!(error.code(), *code, "{}: {error}", row.name);
            assert_eq!(error.server_code(), *server, "{}: {error}", row.name);
            assert_eq!(error.fault(), *fault, "{}: {error}", row.name);
            assert_hides_the_body(row, &error);
        }
        (expect, answer) => panic!("{}: expected {expect:?}, got {answer:?}", row.name),
    }
}

/// No text of the body reaches the error but its code.
fn assert_hides_the_body(row: &Row, error: &ClientDataError) {
    let text = format!("{error} {error:?}");
    for secret in [
        "English text",
        "Maria",
        "52998224725",
        "Set-Cookie",
        "login",
        "maintenance",
        "\r",
        "\n",
    ] {
        assert!(!text.contains(secret), "{}: {text}", row.name);
    }
    assert!(text.len() < 300, "{}: {text}", row.name);
}

#[test]
fn every_row_of_the_contract_reads_as_the_contract_says() {
    let rows = contract_rows();
    assert!(rows.len() >= 16);
    rows.iter().for_each(check);
}

#[test]
fn hostile_answers_give_typed_errors() {
    hostile_rows().iter().for_each(check);
}

#[test]
fn data_is_strict_on_types_and_lenient_on_new_members() {
    let data = read_client_data(
        200,
        None,
        br#"{"sub":"1","role":"gestor","plugin":"p","name":"A","future":{"x":[1,2]},"email":null}"#,
    )
    .unwrap();
    assert_eq!(data.fields(), [ClientDataField::Name]);
    assert_eq!(data.email, None);
    let debug = format!("{data:?}");
    assert!(!debug.contains("\"A\""), "{debug}");
    // A 200 answer exactly at the limit is read; one byte more is not.
    let padded = |len: usize| {
        let mut body = br#"{"sub":"1","role":"cliente","plugin":"p"}"#.to_vec();
        body.resize(len, b' ');
        body
    };
    assert!(read_client_data(200, None, &padded(MAX_BODY_LEN)).is_ok());
    assert_eq!(
        read_client_data(200, None, &padded(MAX_BODY_LEN + 1)),
        Err(ClientDataError::TooLarge {
            len: MAX_BODY_LEN + 1,
            max: MAX_BODY_LEN
        })
    );
}

// ---- The request -------------------------------------------------------------------------------

const ENDPOINT: &str = "https://portal.construtora.com.br/api/cv-plugin/client-data";
const TOKEN: &str = "eyJhbGciOiJFZERTQSIsInR5cCI6ImN2LXBsdWdpbi1sYXVuY2grand0Iiwia2lkIjoiayJ9.eyJzdWIiOiI0ODIxMyJ9.SIGNATURE_that_must_stay_secret";

#[test]
fn the_request_is_a_get_with_the_bearer_token_and_hides_it() {
    let request = ClientDataRequest::new(ENDPOINT, TOKEN).unwrap();
    assert_eq!(request.method(), "GET");
    assert_eq!(request.url(), ENDPOINT);
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(
        request.headers(),
        [
            ("Authorization", bearer.as_str()),
            ("Accept", "application/json")
        ]
    );
    let debug = format!("{request:?}");
    assert!(
        !debug.contains("SIGNATURE") && !debug.contains("eyJ"),
        "{debug}"
    );
    assert!(
        debug.contains(ENDPOINT) && debug.contains("<redacted>"),
        "{debug}"
    );
    // Loopback http for development.
    assert!(ClientDataRequest::new("http://127.0.0.1:8080/client-data", TOKEN).is_ok());
}

#[test]
fn a_request_cannot_inject_a_header_or_leave_https() {
    for token in [
        "",
        "a b",
        "a\r\nX-Evil: 1",
        "a\nb",
        "abc\u{0}",
        "ção",
        &"a".repeat(4097),
    ] {
        let error = ClientDataRequest::new(ENDPOINT, token).unwrap_err();
        assert_eq!(error.code(), "bearer_token_invalid", "{token:?}");
        if token.len() > 3 {
            assert!(!error.to_string().contains(token), "{error}");
        }
    }
    for (endpoint, code) in [
        ("http://portal.construtora.com.br/api", "data_url_not_https"),
        (
            "https://portal.construtora.com.br/api\r\nX-Evil: 1",
            "data_url_invalid",
        ),
        (
            "https://user:pw@portal.construtora.com.br/api",
            "data_url_invalid",
        ),
        ("/api/cv-plugin/client-data", "data_url_invalid"),
    ] {
        assert_eq!(
            ClientDataRequest::new(endpoint, TOKEN).unwrap_err().code(),
            code,
            "{endpoint:?}"
        );
    }
}

// ---- Discovery ---------------------------------------------------------------------------------

const ISSUER: &str = "https://portal.construtora.com.br";

fn discovery(issuer: &str, version: u32, jwks: &str, endpoint: &str) -> String {
    serde_json::json!({
        "issuer": issuer, "protocol_version": version, "jwks_uri": jwks,
        "client_data_endpoint": endpoint, "token_signing_alg_values_supported": ["EdDSA"],
    })
    .to_string()
}

fn issuer(id: &str) -> IssuerId {
    IssuerId::new(id).unwrap()
}

const JWKS: &str = "https://portal.construtora.com.br/.well-known/cv-plugin/jwks.json";

#[test]
fn discovery_reads_the_documented_document() {
    assert_eq!(
        discovery_url(&issuer(ISSUER)).unwrap(),
        "https://portal.construtora.com.br/.well-known/cv-plugin"
    );
    let body = discovery(ISSUER, 1, JWKS, ENDPOINT);
    let document = read_discovery(&issuer(ISSUER), 200, body.as_bytes()).unwrap();
    assert_eq!(document.client_data_endpoint, ENDPOINT);
    assert_eq!(document.jwks_uri, JWKS);
    let local = discovery(
        "http://localhost:8080",
        1,
        "http://localhost:8080/jwks",
        "http://[::1]:8080/data",
    );
    assert!(read_discovery(&issuer("http://localhost:8080"), 200, local.as_bytes()).is_ok());
}

#[test]
fn discovery_issuer_must_match_exactly_and_both_are_shown() {
    let slash = format!("{ISSUER}/");
    let body = discovery(&slash, 1, JWKS, ENDPOINT);
    let error = read_discovery(&issuer(ISSUER), 200, body.as_bytes()).unwrap_err();
    assert_eq!(error.code(), "discovery_issuer_mismatch");
    let text = error.to_string();
    assert!(
        text.contains(&format!("\"{slash}\"")) && text.contains(&format!("\"{ISSUER}\"")),
        "{text}"
    );
    // The other way round, and a lookalike shown as its code point.
    let body = discovery(ISSUER, 1, JWKS, ENDPOINT);
    assert_eq!(
        read_discovery(&issuer(&slash), 200, body.as_bytes())
            .unwrap_err()
            .code(),
        "discovery_issuer_mismatch"
    );
    let body = discovery(
        "https://portal.construtora.com.br\u{200b}",
        1,
        JWKS,
        ENDPOINT,
    );
    let text = read_discovery(&issuer(ISSUER), 200, body.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(text.contains("\\u{200b}"), "{text}");
}

#[test]
fn discovery_refuses_http_other_versions_and_bad_answers() {
    let expected = issuer(ISSUER);
    let read = |status, body: &[u8]| read_discovery(&expected, status, body).unwrap_err();
    let cases: Vec<(&str, u16, Vec<u8>, &str)> = vec![
        (
            "http jwks",
            200,
            discovery(ISSUER, 1, "http://portal.construtora.com.br/jwks", ENDPOINT).into(),
            "data_url_not_https",
        ),
        (
            "http endpoint",
            200,
            discovery(ISSUER, 1, JWKS, "http://portal.construtora.com.br/d").into(),
            "data_url_not_https",
        ),
        (
            "endpoint fragment",
            200,
            discovery(ISSUER, 1, JWKS, "https://p.example/d#x").into(),
            "data_url_invalid",
        ),
        (
            "version 2",
            200,
            discovery(ISSUER, 2, JWKS, ENDPOINT).into(),
            "discovery_unsupported_version",
        ),
        (
            "version 2, other shape",
            200,
            br#"{"protocol_version":2,"endpoints":{}}"#.to_vec(),
            "discovery_unsupported_version",
        ),
        (
            "version 0",
            200,
            discovery(ISSUER, 0, JWKS, ENDPOINT).into(),
            "discovery_unsupported_version",
        ),
        (
            "version string",
            200,
            discovery(ISSUER, 1, JWKS, ENDPOINT)
                .replace(":1,", ":\"1\",")
                .into(),
            "discovery_invalid",
        ),
        (
            "no version",
            200,
            br#"{"issuer":"https://portal.construtora.com.br"}"#.to_vec(),
            "discovery_invalid",
        ),
        (
            "missing endpoint",
            200,
            br#"{"issuer":"https://portal.construtora.com.br","protocol_version":1}"#.to_vec(),
            "discovery_invalid",
        ),
        (
            "duplicate issuer",
            200,
            discovery(ISSUER, 1, JWKS, ENDPOINT)
                .replacen('{', "{\"issuer\":\"https://evil.example\",", 1)
                .into(),
            "discovery_invalid",
        ),
        ("not json", 200, b"<html>".to_vec(), "discovery_invalid"),
        (
            "not utf-8",
            200,
            b"{\"issuer\":\"\xff\"}".to_vec(),
            "discovery_invalid",
        ),
        ("deep", 200, "[".repeat(10_000).into(), "discovery_invalid"),
        (
            "too large",
            200,
            vec![b' '; MAX_BODY_LEN + 1],
            "discovery_too_large",
        ),
        ("404", 404, b"{}".to_vec(), "discovery_http_status"),
        ("301", 301, Vec::new(), "discovery_http_status"),
    ];
    for (name, status, body, code) in cases {
        assert_eq!(read(status, &body).code(), code, "{name}");
    }
}

#[test]
fn discovery_only_for_https_issuers() {
    for (id, code) in [
        ("http://portal.construtora.com.br", "data_url_not_https"),
        ("http://192.168.0.10", "data_url_not_https"),
        ("cv:construtora-x", "data_url_invalid"),
        ("https://portal.example?tenant=1", "data_url_invalid"),
        ("https://portal.example#x", "data_url_invalid"),
    ] {
        assert_eq!(discovery_url(&issuer(id)).unwrap_err().code(), code, "{id}");
    }
    for (id, url) in [
        (
            "http://127.0.0.1:9000",
            "http://127.0.0.1:9000/.well-known/cv-plugin",
        ),
        ("http://[::1]", "http://[::1]/.well-known/cv-plugin"),
        (
            "https://cv.example/tenant/",
            "https://cv.example/tenant/.well-known/cv-plugin",
        ),
    ] {
        assert_eq!(discovery_url(&issuer(id)).unwrap(), url);
    }
}

// ---- The fuzz target's seed corpus -------------------------------------------------------------

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fuzz/corpus/client_data_answer"
);

/// The fuzz target's input format (fuzz/props/client_data_answer.rs): status (u16 LE), a flag
/// byte (1: a WWW-Authenticate header follows), the header and a NUL, then the body.
fn fuzz_input(row: &Row) -> Vec<u8> {
    let mut data = row.status.to_le_bytes().to_vec();
    match &row.www_authenticate {
        Some(header) => {
            data.push(1);
            data.extend_from_slice(header.as_bytes());
            data.push(0);
        }
        None => data.push(0),
    }
    data.extend_from_slice(&row.body);
    data
}

/// The rows kept in the corpus: every contract row, and the hostile ones but the huge.
fn corpus_rows() -> Vec<Row> {
    let mut rows = contract_rows();
    rows.extend(hostile_rows().into_iter().filter(|r| {
        r.body.len() <= 4096
            && !r
                .www_authenticate
                .as_deref()
                .is_some_and(|h| h.contains('\0'))
    }));
    rows
}

/// Seeds that are not rows: the 64 KiB boundary (flag bit 1 pads the body to the limit, bit 2
/// one byte past it) and discovery documents, which the target also reads.
fn extra_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let small = br#"{"sub":"1","role":"cliente","plugin":"p"}"#;
    let seed = |status: u16, flags: u8, body: &[u8]| {
        let mut data = status.to_le_bytes().to_vec();
        data.push(flags);
        data.extend_from_slice(body);
        data
    };
    let local = discovery(
        "http://localhost:8080",
        1,
        "http://127.0.0.1:8080/jwks",
        "http://[::1]:8080/d",
    );
    let slash = format!("{ISSUER}/");
    vec![
        ("boundary-64k", seed(200, 2, small)),
        ("boundary-64k-plus-1", seed(200, 6, small)),
        (
            "boundary-64k-plus-1-503",
            seed(503, 6, error_body("keys_unavailable").as_bytes()),
        ),
        (
            "boundary-64k-plus-1-404",
            seed(404, 6, error_body("client_not_found").as_bytes()),
        ),
        (
            "discovery-documented",
            seed(200, 0, discovery(ISSUER, 1, JWKS, ENDPOINT).as_bytes()),
        ),
        (
            "discovery-trailing-slash",
            seed(200, 0, discovery(&slash, 1, JWKS, ENDPOINT).as_bytes()),
        ),
        (
            "discovery-version-2",
            seed(200, 0, discovery(ISSUER, 2, JWKS, ENDPOINT).as_bytes()),
        ),
        ("discovery-loopback-http", seed(200, 0, local.as_bytes())),
    ]
}

fn all_seeds() -> Vec<(String, Vec<u8>)> {
    let rows = corpus_rows()
        .into_iter()
        .map(|row| (row.name.to_owned(), fuzz_input(&row)));
    let extra = extra_seeds()
        .into_iter()
        .map(|(name, data)| (name.to_owned(), data));
    rows.chain(extra).collect()
}

#[test]
fn seed_corpus_holds_every_row() {
    for (name, data) in all_seeds() {
        let path = format!("{CORPUS}/{name}");
        let found = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}; run write_client_data_answer_corpus"));
        assert_eq!(
            found, data,
            "{path} is stale; run write_client_data_answer_corpus"
        );
    }
}

#[test]
#[ignore = "writes fuzz/corpus/client_data_answer: run by hand after changing a row"]
fn write_client_data_answer_corpus() {
    std::fs::create_dir_all(CORPUS).unwrap();
    for (name, data) in all_seeds() {
        std::fs::write(format!("{CORPUS}/{name}"), data).unwrap();
    }
}

// ---- The whole vendor flow, with a token minted by the portal's side ---------------------------

#[cfg(feature = "portal")]
#[test]
fn a_verified_launch_redeems_for_its_own_data_only() {
    use cv_portal_plugin::data_client::read_client_data_for;
    use cv_portal_plugin::{
        Algorithm, Dimension, Icon, Issuer, KeySet, PluginConfig, Role, SigningKey, SubjectId,
        Verifier, Viewer, VisibleTo,
    };

    let plugin = PluginConfig::builder()
        .id("financeiro")
        .name("Financeiro")
        .link("https://erp.example.com/portal/financeiro")
        .icon(Icon::Alerta)
        .title("Financeiro")
        .show_in_client_portal(true)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(VisibleTo::Cliente)
        .build()
        .unwrap();
    let portal = Issuer::new(
        issuer(ISSUER),
        SigningKey::generate(Algorithm::EdDSA).unwrap(),
    );
    let maria = Viewer::new(SubjectId::new("48213").unwrap(), Role::Cliente);
    let launch = portal.mint(&plugin, &maria).unwrap();
    let verifier = Verifier::builder(issuer(ISSUER), "financeiro".parse().unwrap())
        .key_set(KeySet::from_jwks_json(&portal.jwks().to_jwks_json()).unwrap())
        .replay_guard(std::sync::Arc::new(
            cv_portal_plugin::InMemoryReplayGuard::new(),
        ))
        .build()
        .unwrap();
    let claims = verifier.verify(launch.token()).unwrap();

    let discovery_body = discovery(ISSUER, 1, JWKS, ENDPOINT);
    let document = read_discovery(&issuer(ISSUER), 200, discovery_body.as_bytes()).unwrap();
    let request = ClientDataRequest::new(&document.client_data_endpoint, launch.token()).unwrap();
    assert_eq!(request.headers()[0].1, format!("Bearer {}", launch.token()));
    assert!(!format!("{request:?}").contains(launch.token()));

    let data = read_client_data_for(&claims, 200, None, FULL.as_bytes()).unwrap();
    assert_eq!(data.name.as_deref(), Some("Maria Souza"));
    let someone_else = FULL.replace("48213", "48214");
    assert_eq!(
        read_client_data_for(&claims, 200, None, someone_else.as_bytes())
            .unwrap_err()
            .code(),
        "data_not_for_this_launch"
    );
}

#[test]
fn an_https_portal_may_not_point_the_vendor_at_loopback_http() {
    let issuer = cv_portal_plugin::IssuerId::new("https://portal.example").unwrap();
    let document = serde_json::json!({
        "issuer": "https://portal.example", "protocol_version": 1,
        "jwks_uri": "https://portal.example/jwks.json",
        "client_data_endpoint": "http://127.0.0.1:6379/",
        "token_signing_alg_values_supported": ["EdDSA"],
    })
    .to_string();
    let error = cv_portal_plugin::data_client::read_discovery(&issuer, 200, document.as_bytes())
        .unwrap_err();
    assert_eq!(error.code(), "data_url_not_https");
    // A portal in development, itself on loopback http, may.
    let local = cv_portal_plugin::IssuerId::new("http://localhost:8080").unwrap();
    let document = document
        .replace(
            "https://portal.example/jwks.json",
            "http://localhost:8080/jwks.json",
        )
        .replace("https://portal.example", "http://localhost:8080");
    assert!(
        cv_portal_plugin::data_client::read_discovery(&local, 200, document.as_bytes()).is_ok()
    );
}

#[test]
fn an_https_portal_may_not_point_the_vendor_into_its_own_network() {
    let issuer = cv_portal_plugin::IssuerId::new("https://portal.example").unwrap();
    let document = |jwks: &str, endpoint: &str| {
        serde_json::json!({
            "issuer": "https://portal.example", "protocol_version": 1,
            "jwks_uri": jwks, "client_data_endpoint": endpoint,
            "token_signing_alg_values_supported": ["EdDSA"],
        })
        .to_string()
    };
    let read =
        |body: String| cv_portal_plugin::data_client::read_discovery(&issuer, 200, body.as_bytes());
    for (jwks, endpoint) in [
        (
            "https://169.254.169.254/latest/meta-data",
            "https://portal.example/data",
        ),
        ("https://portal.example/jwks.json", "https://10.0.0.5/admin"),
        (
            "https://portal.example/jwks.json",
            "https://127.0.0.1:6379/",
        ),
        ("https://portal.example/jwks.json", "https://[::1]/"),
        ("https://localhost/jwks.json", "https://portal.example/data"),
    ] {
        let error = read(document(jwks, endpoint)).unwrap_err();
        assert_eq!(error.code(), "data_url_invalid", "{jwks} {endpoint}");
        assert!(
            error.to_string().contains("local or private host"),
            "{error}"
        );
    }
    // Another public host is the portal's choice (an API host, a CDN for the keys).
    assert!(
        read(document(
            "https://keys.cdn.example/jwks.json",
            "https://api.portal.example/data"
        ))
        .is_ok()
    );
    // A portal that is itself on a private address may name its own host.
    let internal = cv_portal_plugin::IssuerId::new("https://10.0.0.5").unwrap();
    let body = document("https://10.0.0.5/jwks.json", "https://10.0.0.5/data")
        .replace("\"https://portal.example\"", "\"https://10.0.0.5\"");
    assert!(cv_portal_plugin::data_client::read_discovery(&internal, 200, body.as_bytes()).is_ok());
}

#[test]
fn a_json_array_is_neither_data_nor_an_error_body() {
    use cv_portal_plugin::data_client::read_client_data;
    // serde reads a struct from an array too; the contract's bodies are objects.
    let data = read_client_data(200, None, br#"["48213","cliente","financeiro"]"#).unwrap_err();
    assert_eq!(data.code(), "data_answer_invalid");
    let refusal = read_client_data(401, None, br#"["replayed"]"#).unwrap_err();
    assert_eq!(
        (refusal.code(), refusal.server_code()),
        ("data_token_refused", None)
    );
    let not_found = read_client_data(404, None, br#"  ["client_not_found"]"#).unwrap_err();
    assert_eq!(not_found.code(), "data_endpoint_not_found");
    // The object forms still read, JSON whitespace first included.
    let refusal = read_client_data(401, None, b" \n{\"error\":\"replayed\"}").unwrap_err();
    assert_eq!(refusal.server_code(), Some("replayed"));
}
