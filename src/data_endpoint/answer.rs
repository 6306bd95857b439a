//! [`Answer`]: the endpoint's HTTP answer as plain data, and how each outcome is rendered
//! (status, RFC 6750 headers, bounded JSON body).

use std::fmt;

use serde::Serialize;

use super::error::EndpointError;
use crate::wire::{ClientData, LaunchClaims};

/// The realm of every `WWW-Authenticate` challenge of the endpoint.
pub const REALM: &str = "cv-plugin";

/// The `Retry-After` of a 503 answer, in seconds.
pub const RETRY_AFTER_SECS: u32 = 5;

/// The largest body the endpoint sends, in bytes: 64 KiB.
pub const MAX_BODY_LEN: usize = 64 * 1024;

/// The longest `error_description` the endpoint writes, in bytes.
const MAX_DESCRIPTION_LEN: usize = 256;

/// The endpoint's answer to one request, as plain data for any HTTP server to send.
///
/// Every answer has `Content-Type: application/json; charset=utf-8`, `Cache-Control: no-store`
/// and `Pragma: no-cache`; a body of at most [`MAX_BODY_LEN`] bytes. `error` and `claims` are
/// for the portal's own logs (which token was redeemed, for whom, or why it was refused), never
/// for the vendor: only `status`, `headers` and `body` go on the wire.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names in their canonical case.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: String,
    /// Why the request was refused (`None` for a 200).
    pub error: Option<EndpointError>,
    /// The verified claims of the token, when it verified and named a plugin of the portal (a
    /// 200, 403, 404, a second redemption refused, and a 503 from the redemption store or the
    /// lookup; not `plugin_not_found`): log `jti`, `aud`, `sub` to trace a redemption.
    pub claims: Option<LaunchClaims>,
}

impl Answer {
    /// The value of header `name` (compared ASCII case-insensitively), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The error code of a refusal (`None` for a 200).
    pub fn code(&self) -> Option<&'static str> {
        self.error.as_ref().map(EndpointError::code)
    }

    /// A 200 with `data`, or a 500 `client_data_too_large` if it would exceed the body bound.
    pub(crate) fn ok(data: &ClientData, claims: LaunchClaims) -> Answer {
        // ClientData holds only strings, enums and validated ids: serialization cannot fail.
        let body = serde_json::to_string(data).unwrap_or_default();
        if body.len() > MAX_BODY_LEN || body.is_empty() {
            let error = EndpointError::ClientDataTooLarge {
                len: body.len(),
                max: MAX_BODY_LEN,
            };
            return Answer::refusal(error, Some(claims));
        }
        Answer {
            status: 200,
            headers: common_headers(),
            body,
            error: None,
            claims: Some(claims),
        }
    }

    /// The answer to a refusal, as the contract's table says.
    pub(crate) fn refusal(error: EndpointError, claims: Option<LaunchClaims>) -> Answer {
        let status = error.http_status();
        let code = error.code();
        let mut headers = common_headers();
        match status {
            400 => headers.push((
                "WWW-Authenticate",
                format!("Bearer realm=\"{REALM}\", error=\"invalid_request\""),
            )),
            401 if matches!(error, EndpointError::MissingToken) => {
                headers.push(("WWW-Authenticate", format!("Bearer realm=\"{REALM}\"")));
            }
            401 => headers.push((
                "WWW-Authenticate",
                format!(
                    "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{code}\""
                ),
            )),
            403 => headers.push((
                "WWW-Authenticate",
                format!(
                    "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", \
                     error_description=\"{code}\""
                ),
            )),
            503 => headers.push(("Retry-After", RETRY_AFTER_SECS.to_string())),
            _ => {}
        }
        let body = serde_json::to_string(&ErrorBody {
            error: code,
            error_description: &description(&error),
        })
        .unwrap_or_default();
        Answer {
            status,
            headers,
            body,
            error: Some(error),
            claims,
        }
    }
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body of a 200 is personal data: only its length is shown.
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .field("error", &self.error)
            .field("claims", &self.claims)
            .finish()
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    error_description: &'a str,
}

fn common_headers() -> Vec<(&'static str, String)> {
    vec![
        ("Content-Type", "application/json; charset=utf-8".to_owned()),
        ("Cache-Control", "no-store".to_owned()),
        ("Pragma", "no-cache".to_owned()),
    ]
}

/// English text for the vendor's logs: the error's message (attacker text in it is already a
/// bounded [`Quoted`](crate::Quoted) excerpt), except for outages, whose details (the store's
/// failure) are the portal's business and stay in its own logs.
fn description(error: &EndpointError) -> String {
    let text = match error {
        EndpointError::Token(verify) if error.http_status() == 503 => match verify.code() {
            "keys_unavailable" => "the portal's signing keys are unavailable; retry later".into(),
            _ => "the portal's redemption store is unavailable; retry later".into(),
        },
        EndpointError::ClientDataTooLarge { .. } => {
            "the portal could not send this person's data".into()
        }
        _ => error.to_string(),
    };
    bounded(text)
}

fn bounded(mut text: String) -> String {
    if text.len() > MAX_DESCRIPTION_LEN {
        let mut end = MAX_DESCRIPTION_LEN - '…'.len_utf8();
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_bounded_on_a_char_boundary() {
        let text = bounded("é".repeat(400));
        assert!(text.len() <= MAX_DESCRIPTION_LEN && text.ends_with('…'));
        assert_eq!(bounded("short".into()), "short");
    }
}
