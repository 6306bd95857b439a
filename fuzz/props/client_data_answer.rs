//! Target `client_data_answer`: the vendor reading the portal's answers, `read_client_data`
//! and `read_discovery`, and the `WWW-Authenticate` parser, on arbitrary (status, header,
//! body).
//!
//! Input: the status (u16 LE); a flag byte (bit 0: a header follows, up to a NUL; bit 1: the
//! body is padded with spaces to exactly 64 KiB, bit 2 with it: one byte more); the body.
//!
//! Properties:
//! - the variant follows from the status and the size alone, as the contract's table says
//!   (re-read here, independently): Ok only for 200; an oversized body is an error only for
//!   200 and is never read for a code;
//! - an Ok re-serialises to JSON that reads back as the same `ClientData`;
//! - every error's code is listed and snake_case ASCII; a server code is snake_case ASCII of at
//!   most 64 bytes and is the body's `error`, the challenge's `error_description` or its `error`;
//!   a 404 is `ClientNotFound` only when the body's `error` is `client_not_found`;
//! - error messages are short and hold no control character (nothing can forge a log line);
//! - a parsed challenge's values hold only HTAB, SP, visible ASCII and non-ASCII text;
//! - a discovery document accepted names exactly the expected issuer, version 1, and https
//!   (or loopback http) URLs.

use cv_portal_plugin::data_client::{
    BearerChallenge, ClientDataError, DataClientError, MAX_BODY_LEN, read_client_data,
    read_discovery,
};
use cv_portal_plugin::{IssuerId, Url, wire::ClientData};
use serde_json::Value;

use super::Input;

/// The issuer the discovery half of the target expects.
pub const ISSUER: &str = "https://portal.construtora.com.br";

/// The property of target `client_data_answer`.
pub fn check(data: &[u8]) {
    let mut input = Input(data);
    let status = input.u16();
    let flags = input.byte();
    let header = (flags & 1 == 1).then(|| input.text());
    let mut body = input.0.to_vec();
    if flags & 2 == 2 {
        body.resize(MAX_BODY_LEN + usize::from(flags & 4 == 4), b' ');
    }
    let answer = read_client_data(status, header.as_deref(), &body);
    assert_agrees(status, header.as_deref(), &body, &answer);
    if let Some(header) = &header {
        check_challenge(header);
    }
    check_discovery(status, &body);
}

/// The answer the crate gave agrees with the contract's table.
pub fn assert_agrees(
    status: u16,
    header: Option<&str>,
    body: &[u8],
    answer: &Result<ClientData, ClientDataError>,
) {
    let error = match answer {
        Ok(data) => {
            assert_eq!(status, 200, "data from a {status} answer");
            assert!(body.len() <= MAX_BODY_LEN, "data from an oversized body");
            let json = serde_json::to_vec(data).expect("client data serialises");
            assert_eq!(
                read_client_data(200, None, &json).as_ref(),
                Ok(data),
                "re-serialised data reads back differently"
            );
            return;
        }
        Err(error) => error,
    };
    let code = error.code();
    assert!(
        ClientDataError::ALL_CODES.contains(&code),
        "unlisted {code}"
    );
    assert!(snake_case(code), "{code}");
    let text = error.to_string();
    assert!(text.len() < 256, "long message for {code}: {text}");
    assert!(
        !text.chars().any(char::is_control),
        "control character: {text:?}"
    );

    let expected: &[&str] = match status {
        200 if body.len() > MAX_BODY_LEN => &["data_answer_too_large"],
        404 if body.len() > MAX_BODY_LEN => &["data_endpoint_not_found"],
        200 => &["data_answer_invalid"],
        404 => &["data_client_not_found", "data_endpoint_not_found"],
        401 => &["data_token_refused"],
        403 => &["data_access_denied"],
        400 => &["data_request_refused"],
        503 => &["data_portal_unavailable"],
        _ => &["data_unexpected_status"],
    };
    assert!(expected.contains(&code), "status {status}: {code}");

    let body_error = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error")?.as_str().map(str::to_owned));
    if matches!(error, ClientDataError::ClientNotFound) {
        assert_eq!(body_error.as_deref(), Some("client_not_found"));
    }
    if let Some(server) = error.server_code() {
        assert!(
            snake_case(server) && server.len() <= 64,
            "server code {server:?}"
        );
        let challenge = header.and_then(BearerChallenge::parse);
        let from_header = challenge
            .as_ref()
            .is_some_and(|c| c.error_description() == Some(server) || c.error() == Some(server));
        let from_body = body.len() <= MAX_BODY_LEN && body_error.as_deref() == Some(server);
        assert!(
            from_body || from_header,
            "server code {server:?} comes from neither the body nor the header"
        );
    }
}

fn snake_case(code: &str) -> bool {
    code.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_challenge(header: &str) {
    let Some(challenge) = BearerChallenge::parse(header) else {
        return;
    };
    let values = [
        challenge.realm(),
        challenge.error(),
        challenge.error_description(),
        challenge.scope(),
    ];
    for value in values.into_iter().flatten() {
        assert!(
            value.chars().all(|c| c == '\t' || !c.is_control()),
            "a challenge value holds a control character: {value:?}"
        );
        assert!(header.len() >= value.len());
    }
}

/// `https`, or `http` to a loopback host, judged by a full URL parse (a prefix such as
/// `http://127.` would also pass `http://127.evil.example`).
fn secure_or_loopback(url: &str) -> bool {
    let Ok(parsed) = Url::parse(url) else {
        return false;
    };
    let host = parsed.host_str().unwrap_or_default();
    let ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>();
    match parsed.scheme() {
        "https" => !host.is_empty(),
        "http" => host.eq_ignore_ascii_case("localhost") || ip.is_ok_and(|ip| ip.is_loopback()),
        _ => false,
    }
}

fn check_discovery(status: u16, body: &[u8]) {
    let expected = IssuerId::new(ISSUER).expect("issuer");
    match read_discovery(&expected, status, body) {
        Ok(document) => {
            assert_eq!(status, 200);
            assert!(body.len() <= MAX_BODY_LEN);
            assert_eq!(document.issuer, expected);
            assert_eq!(document.protocol_version, 1);
            for url in [&document.jwks_uri, &document.client_data_endpoint] {
                assert!(url.bytes().all(|b| b.is_ascii_graphic()), "{url:?}");
                assert!(secure_or_loopback(url), "insecure URL accepted: {url}");
            }
        }
        Err(error) => {
            let code = error.code();
            assert!(
                DataClientError::ALL_CODES.contains(&code),
                "unlisted {code}"
            );
            let text = error.to_string();
            assert!(text.len() < 512, "long message for {code}: {text}");
            assert!(
                !text.chars().any(char::is_control),
                "control character: {text:?}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cv_portal_plugin::data_client::ServerCode;
    use std::panic::catch_unwind;

    /// The property can fail: answers the crate must not give are caught.
    #[test]
    fn a_wrong_answer_fails_the_property() {
        let not_found = br#"{"error":"client_not_found"}"#;
        let expired = br#"{"error":"expired"}"#;
        let wrong: [(u16, &[u8], Result<ClientData, ClientDataError>); 4] = [
            (
                404,
                b"<h1>Not Found</h1>",
                Err(ClientDataError::ClientNotFound),
            ),
            (
                401,
                not_found,
                Err(ClientDataError::AccessDenied { code: None }),
            ),
            (
                401,
                expired,
                Err(ClientDataError::TokenRefused {
                    code: ServerCode::new("replayed"),
                }),
            ),
            (
                500,
                expired,
                Err(ClientDataError::PortalUnavailable { code: None }),
            ),
        ];
        for url in [
            "http://127.evil.example/jwks",
            "http://localhost.evil.example/jwks",
            "http://[::1].example/x",
            "ftp://portal.example/x",
        ] {
            assert!(!secure_or_loopback(url), "{url}");
        }
        for url in [
            "https://portal.example/x",
            "http://127.0.0.1:8080/x",
            "http://[::1]/x",
            "http://LOCALHOST/x",
        ] {
            assert!(secure_or_loopback(url), "{url}");
        }
        for (status, body, answer) in wrong {
            let caught = catch_unwind(|| assert_agrees(status, None, body, &answer));
            assert!(caught.is_err(), "{status} {answer:?} passed the property");
        }
    }
}
