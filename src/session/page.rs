//! The browser side the vendor serves: [`PAGE_SCRIPT`] (assets/js/cv-plugin-page.js, shipped in
//! the crate) and [`bounce_page`], the small page a load without a valid session gets.
//!
//! The bounce page inlines the script, so it needs no second request and works on any path of
//! the vendor's site. Its one piece of configuration is written as JSON made safe for a script
//! element: `<`, `>` and `&` (and U+2028, U+2029) are written as `\uXXXX` escapes, so no value
//! can close the element, open a comment or inject markup, whatever its characters.

use serde::Serialize;

use super::error::ExchangeUrlError;
use super::origin::{PortalOrigin, VendorOrigin};
use crate::quoted::Quoted;

/// The vendor page script, `assets/js/cv-plugin-page.js` of this crate's repository, byte for
/// byte: the `fetch` wrapper that adds `Authorization: Bearer <session>`, refreshes the session
/// over `postMessage` and retries once on the [`session_challenge`](super::session_challenge)
/// 401, removes `?token=` with `history.replaceState`, and runs the bounce.
///
/// API: `CvPluginPage.start({ portalOrigin, exchangeUrl, session, requestTimeoutMs })` returns
/// `{ fetch(input, init), refresh(), session() }`; `CvPluginPage.bounce(options)` returns a
/// promise (assets/js/README.md §12.6).
///
/// Serve it from the vendor's own origin (no CDN), for example at `/assets/cv-plugin-page.js`,
/// with `Content-Type: text/javascript; charset=utf-8`. It changes only with the crate's version,
/// so it may be cached (`Cache-Control: public, max-age=86400`, or longer under a path that names
/// the version). It holds no `</script` and no `<!--`, so it may also be inlined in a `<script>`
/// element, as [`bounce_page`] does.
pub const PAGE_SCRIPT: &str = include_str!("../../assets/js/cv-plugin-page.js");

/// The longest exchange URL accepted, in bytes.
const MAX_EXCHANGE_URL_LEN: usize = 2048;

/// What the bounce page shows when the refresh fails (the portal answered nothing: the person
/// logged out, or the page is not inside the portal's frame).
const BOUNCE_FAILED_TEXT: &str = "Abra o plugin novamente pelo portal.";

/// The bounce page: a complete HTML document for a page load (`GET`) that carries no valid
/// session, such as a reload of the frame or a link opened inside it.
///
/// It inlines [`PAGE_SCRIPT`] and runs `CvPluginPage.bounce({ portalOrigin, exchangeUrl })`: the
/// page asks the portal (its parent window) for a fresh launch token, exchanges it at
/// `exchange_url` for a session, then POSTs `session=<token>` as a form to the same address
/// (without any `token` parameter). If that fails, the page reads "Abra o plugin novamente pelo
/// portal.". Answer it with status 200 and [`page_headers`](super::page_headers), and:
///
/// - accept the form POST only from the vendor's own origin (`Sec-Fetch-Site: same-origin`, or
///   an `Origin` equal to it), else another site could post its own session into the frame;
/// - answer a POST whose session is invalid with an error page, never with this page again
///   (that would loop);
/// - if the site sends a `Content-Security-Policy` with `script-src`, allow the two inline
///   scripts (by their hashes, or a nonce).
///
/// `exchange_url` is where the page POSTs the launch token, on the page's own origin: an
/// absolute path (`/cv/exchange`, so it resolves the same from every page), or an `https` URL
/// (`http` for loopback hosts) with a path. Refused (`invalid_exchange_url`): a relative path,
/// a protocol-relative `//host`, other schemes, user info, a fragment, and any space, control
/// character, backslash or non-ASCII character (browsers drop or reinterpret those, and
/// `/\evil.example` would mean `//evil.example`). The script itself refuses, at run time, an
/// absolute URL on another origin than the page's.
///
/// ```
/// use cv_portal_plugin::{PortalOrigin, bounce_page};
/// let portal = PortalOrigin::parse("https://portal.construtora.com.br")?;
/// let html = bounce_page(&portal, "/cv/exchange")?;
/// assert!(html.starts_with("<!DOCTYPE html>"));
/// assert!(html.contains(
///     r#"{"portalOrigin":"https://portal.construtora.com.br","exchangeUrl":"/cv/exchange"}"#
/// ));
/// assert_eq!(bounce_page(&portal, "//evil.example/x").unwrap_err().code(), "invalid_exchange_url");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bounce_page(portal: &PortalOrigin, exchange_url: &str) -> Result<String, ExchangeUrlError> {
    check_exchange_url(exchange_url)?;
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct BounceOptions<'a> {
        portal_origin: &'a str,
        exchange_url: &'a str,
    }
    let options = script_json(&BounceOptions {
        portal_origin: portal.as_str(),
        exchange_url,
    });
    let failed = script_json(&BOUNCE_FAILED_TEXT);
    let mut html = String::with_capacity(PAGE_SCRIPT.len() + 700);
    html.push_str(BOUNCE_HEAD);
    html.push_str("<script>\n");
    html.push_str(PAGE_SCRIPT);
    html.push_str("</script>\n<script>\n");
    // `bounce` throws for a bad option: start from a promise so that `catch` sees it too.
    html.push_str(&format!(
        "Promise.resolve({options}).then(function (options) {{ return CvPluginPage.bounce(options); }})\n  \
         .catch(function () {{ document.body.textContent = {failed}; }});\n"
    ));
    html.push_str("</script>\n</body>\n</html>\n");
    Ok(html)
}

const BOUNCE_HEAD: &str = "<!DOCTYPE html>\n\
<html lang=\"pt-BR\">\n\
<head>\n\
<meta charset=\"utf-8\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n\
<title>Abrindo o plugin…</title>\n\
</head>\n\
<body>\n";

/// `value` as JSON that is safe inside a `<script>` element: `<`, `>`, `&`, U+2028 and U+2029
/// written as `\uXXXX`. Outside strings, JSON has none of these characters, so only string
/// contents change, and a JavaScript parser reads the same value back.
pub(crate) fn script_json(value: &impl Serialize) -> String {
    // Serializing plain strings cannot fail.
    let json = serde_json::to_string(value).unwrap_or_default();
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out
}

/// The exchange URL rule of [`bounce_page`].
fn check_exchange_url(text: &str) -> Result<(), ExchangeUrlError> {
    let refuse = |reason| ExchangeUrlError {
        found: Quoted::ascii(text),
        reason,
    };
    if text.is_empty() || text.len() > MAX_EXCHANGE_URL_LEN {
        return Err(refuse("expected 1 to 2048 bytes"));
    }
    // A URL parser drops tabs, newlines and surrounding spaces, and reads `\` as `/`:
    // `/\t/evil.example` and `/\evil.example` would both become `//evil.example`.
    if !text.bytes().all(|b| b.is_ascii_graphic()) || text.contains('\\') {
        return Err(refuse(
            "only printable ASCII without spaces or backslashes (percent-encode the rest)",
        ));
    }
    if text.contains('#') {
        return Err(refuse("a fragment is never sent to the server"));
    }
    if let Some(path) = text.strip_prefix('/') {
        if path.starts_with('/') {
            return Err(refuse("`//` starts another host, not a path"));
        }
        return Ok(());
    }
    let lower = text.to_ascii_lowercase();
    let scheme_len = if lower.starts_with("https://") {
        "https://".len()
    } else if lower.starts_with("http://") {
        "http://".len()
    } else if lower.contains(':') {
        return Err(refuse("the scheme must be https (or http for loopback)"));
    } else {
        return Err(refuse(
            "a relative path depends on each page's address; use an absolute path such as /cv/exchange",
        ));
    };
    let end = text[scheme_len..]
        .find(['/', '?'])
        .map_or(text.len(), |i| scheme_len + i);
    if !text[end..].starts_with('/') {
        return Err(refuse("an absolute URL needs a path, such as /cv/exchange"));
    }
    // The origin part follows the origin rules: https (http for loopback), no user info, no
    // wildcard, a valid host and port.
    VendorOrigin::parse(&text[..end]).map_err(|e| refuse(e.reason()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORTAL: &str = "https://portal.example.com";
    const VENDOR: &str = "https://erp.example.com";

    fn portal() -> PortalOrigin {
        PortalOrigin::parse(PORTAL).unwrap()
    }

    /// The text of each `<script>…</script>` element, in order, as an HTML parser reads them:
    /// a start tag on its own line, then everything up to the first `</script`. (The page
    /// script's comments mention `<script>` in prose; that is text, not a tag.)
    fn scripts(html: &str) -> Vec<&str> {
        html.split("\n<script>")
            .skip(1)
            .map(|rest| &rest[..rest.to_ascii_lowercase().find("</script").unwrap()])
            .collect()
    }

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.to_ascii_lowercase().matches(needle).count()
    }

    #[test]
    fn the_page_script_can_be_inlined() {
        assert!(PAGE_SCRIPT.contains("function bounce(options)"));
        // Inside a script element an HTML parser reacts only to `</script` and `<!--`.
        assert_eq!(count(PAGE_SCRIPT, "</script"), 0);
        assert_eq!(count(PAGE_SCRIPT, "<!--"), 0);
    }

    #[test]
    fn the_page_is_exactly_the_head_the_script_and_the_call() {
        let html = bounce_page(&portal(), "/cv/exchange").unwrap();
        let expected = format!(
            "{BOUNCE_HEAD}<script>\n{PAGE_SCRIPT}</script>\n<script>\n\
             Promise.resolve({{\"portalOrigin\":\"https://portal.example.com\",\"exchangeUrl\":\"/cv/exchange\"}})\
             .then(function (options) {{ return CvPluginPage.bounce(options); }})\n  \
             .catch(function () {{ document.body.textContent = \"Abra o plugin novamente pelo portal.\"; }});\n\
             </script>\n</body>\n</html>\n"
        );
        assert_eq!(html, expected);
        assert_eq!(scripts(&html).len(), 2);
        assert_eq!(scripts(&html)[0], format!("\n{PAGE_SCRIPT}"));
        assert!(html.starts_with(
            "<!DOCTYPE html>\n<html lang=\"pt-BR\">\n<head>\n<meta charset=\"utf-8\">\n"
        ));
        assert!(html.contains("<meta name=\"referrer\" content=\"no-referrer\">"));
    }

    #[test]
    fn exchange_urls_the_page_accepts() {
        for ok in [
            "/cv/exchange",
            "/cv/exchange?v=1",
            "/",
            "/a%2F%2Fb",
            "https://erp.example.com/cv/exchange",
            "HTTPS://ERP.example.com:8443/cv/exchange?x=1",
            "http://localhost:8080/cv/exchange",
            "http://127.0.0.1/cv",
            "http://[::1]:3000/cv",
            "/</script><script>alert(1)</script>",
            "/x'\"&<!--",
        ] {
            assert!(bounce_page(&portal(), ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn hostile_exchange_urls_are_refused() {
        let long = format!("/{}", "a".repeat(MAX_EXCHANGE_URL_LEN));
        for bad in [
            "",
            long.as_str(),
            "cv/exchange",
            "./cv/exchange",
            "../cv",
            "?token=x",
            "//evil.example/cv",
            "///evil.example/cv",
            "/\\evil.example/cv",
            "\\\\evil.example/cv",
            "/\t/evil.example/cv",
            "/\n/evil.example/cv",
            " //evil.example/cv",
            "/cv/exchange ",
            "/cv/ex change",
            "/cv/\u{2028}",
            "/cv/finança",
            "/cv/exchange#x",
            "/cv#",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "ftp://erp.example.com/cv",
            "https:/erp.example.com/cv",
            "https:erp.example.com/cv",
            "https://erp.example.com",
            "https://erp.example.com?x=1",
            "https:///cv",
            "https://user:pw@erp.example.com/cv",
            "https://user@erp.example.com/cv",
            "https://evil.example@erp.example.com/cv",
            "https://*.example.com/cv",
            "https://erp.example.com:99999/cv",
            "http://erp.example.com/cv",
            "http://10.0.0.5/cv",
        ] {
            let error = bounce_page(&portal(), bad).unwrap_err();
            assert_eq!(error.code(), "invalid_exchange_url", "{bad:?}");
            let message = error.to_string();
            assert!(
                !message.contains(['\n', '\t', '\u{2028}']),
                "{bad:?}: {message}"
            );
        }
    }

    #[test]
    fn the_configuration_cannot_close_the_script_or_open_markup() {
        let hostile = "/</script><script>alert(1)</script><!--&'\"";
        let html = bounce_page(&portal(), hostile).unwrap();
        // Two script elements, each closed once: nothing in the value ended one.
        assert_eq!(count(&html, "<script"), 2 + count(PAGE_SCRIPT, "<script"));
        assert_eq!(count(&html, "</script"), 2);
        assert_eq!(count(&html, "<!--"), 0);
        let call = scripts(&html)[1];
        assert!(!call.contains(['<', '>', '&']), "{call}");
        // The JSON still says exactly what was given.
        let json = &call[call.find('{').unwrap()..=call.find('}').unwrap()];
        let read: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(read["exchangeUrl"], hostile);
        assert_eq!(read["portalOrigin"], PORTAL);
    }

    #[test]
    fn the_error_code_is_its_own() {
        // The crate-wide uniqueness test (src/config/error.rs) does not list this type yet;
        // meanwhile, no vendor-side code already means something else.
        let code = ExchangeUrlError::ALL_CODES[0];
        assert_eq!(bounce_page(&portal(), "x").unwrap_err().code(), code);
        for others in [
            super::super::SessionError::ALL_CODES,
            super::super::SessionConfigError::ALL_CODES,
            super::super::OriginError::ALL_CODES,
            crate::verify::VerifyError::ALL_CODES,
        ] {
            assert!(!others.contains(&code));
        }
    }

    #[test]
    fn script_json_escapes_what_an_html_or_js_parser_would_read() {
        let value = "</script>\u{2028}\u{2029}<!--&-->é\"\\";
        let json = script_json(&value);
        assert_eq!(
            json,
            "\"\\u003c/script\\u003e\\u2028\\u2029\\u003c!--\\u0026--\\u003eé\\\"\\\\\""
        );
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), value);
    }

    /// Where node is: `None` (the test says so and passes) on a machine without it. CI has it.
    fn node() -> Option<&'static str> {
        let ok = std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("node not found: the bounce page's scripts were not run");
        }
        ok.then_some("node")
    }

    /// Runs the page's two inline scripts under node as classic scripts, with the global
    /// object dressed as the vendor page inside the portal's frame (assets/js/test/fakes.js),
    /// and returns what happened, as node reports it.
    fn run_bounce_page(html: &str) -> Option<serde_json::Value> {
        let node = node()?;
        let dir = std::env::temp_dir().join(format!(
            "cv-bounce-{}-{:x}",
            std::process::id(),
            ring_random_u64()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let scripts_path = dir.join("scripts.json");
        std::fs::write(
            &scripts_path,
            serde_json::to_string(&scripts(html)).unwrap(),
        )
        .unwrap();
        let harness = dir.join("harness.js");
        std::fs::write(&harness, NODE_HARNESS).unwrap();
        let output = std::process::Command::new(node)
            .arg(&harness)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/js/test/fakes.js"
            ))
            .arg(&scripts_path)
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            output.status.success(),
            "node failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Some(serde_json::from_slice(&output.stdout).unwrap())
    }

    fn ring_random_u64() -> u64 {
        use ring::rand::SecureRandom;
        let mut b = [0u8; 8];
        ring::rand::SystemRandom::new().fill(&mut b).unwrap();
        u64::from_le_bytes(b)
    }

    /// The node side of [`run_bounce_page`]: it only records; the Rust test asserts.
    const NODE_HARNESS: &str = r#"'use strict';
const fs = require('node:fs');
const vm = require('node:vm');
const [fakesPath, scriptsPath] = process.argv.slice(2);
const { FakeWindow, PORTAL, VENDOR, LAUNCH_A, LAUNCH_B, json, flush } = require(fakesPath);
const scripts = JSON.parse(fs.readFileSync(scriptsPath, 'utf8'));

const page = new FakeWindow(VENDOR + '/portal/financeiro?empresa=7&token=' + LAUNCH_A + '#boletos');
const portal = new FakeWindow(PORTAL + '/cliente/plugins/financeiro');
const exchanges = [], submitted = [], alerts = [];
const body = { textContent: '', children: [], appendChild(el) { this.children.push(el); } };
portal.onPost = (data) => setImmediate(() => page.dispatch({
  source: portal, origin: PORTAL,
  data: { type: 'cv-plugin:launch-token-response', version: 1, id: data.id, token: LAUNCH_B }
}));
Object.assign(globalThis, {
  location: page.location,
  history: page.history,
  parent: portal,
  addEventListener: page.addEventListener.bind(page),
  removeEventListener: page.removeEventListener.bind(page),
  alert: (x) => alerts.push(String(x)),
  fetch: async (url, init) => {
    exchanges.push({ url: String(url), method: init.method, body: init.body });
    return json(200, { session: 'S1', expires_in: 900 });
  },
  document: {
    body,
    createElement(tag) {
      const el = { tag, children: [], appendChild(c) { this.children.push(c); } };
      if (tag === 'form') el.submit = function () { submitted.push(this); };
      return el;
    }
  }
});
// Classic scripts in this realm, where `module` is not defined: the page script sets
// globalThis.CvPluginPage, as in a browser.
for (const text of scripts) vm.runInThisContext(text, { filename: 'bounce-page.html' });
(async () => {
  for (let i = 0; i < 40 && submitted.length === 0 && body.textContent === ''; i++) await flush();
  process.stdout.write(JSON.stringify({
    requests: portal.posted.map((p) => ({ targetOrigin: p.targetOrigin, type: p.data.type })),
    exchanges,
    launchB: 'token=' + encodeURIComponent(LAUNCH_B),
    submitted: submitted.map((f) => ({
      method: f.method, action: f.action, enctype: f.enctype,
      fields: f.children.map((c) => [c.type, c.name, c.value])
    })),
    addressBar: page.location.href,
    text: body.textContent,
    alerts
  }));
})();
"#;

    #[test]
    fn under_node_the_page_refreshes_and_posts_the_session_back() {
        let html = bounce_page(&portal(), "/cv/exchange").unwrap();
        let Some(run) = run_bounce_page(&html) else {
            return;
        };
        assert_eq!(run["requests"].as_array().unwrap().len(), 1, "{run}");
        assert_eq!(run["requests"][0]["targetOrigin"], PORTAL);
        assert_eq!(run["requests"][0]["type"], "cv-plugin:launch-token-request");
        assert_eq!(run["exchanges"].as_array().unwrap().len(), 1, "{run}");
        assert_eq!(run["exchanges"][0]["url"], format!("{VENDOR}/cv/exchange"));
        assert_eq!(run["exchanges"][0]["method"], "POST");
        assert_eq!(run["exchanges"][0]["body"], run["launchB"]);
        // The same address, without the launch token, by a form POST carrying the session.
        let action = format!("{VENDOR}/portal/financeiro?empresa=7#boletos");
        assert_eq!(
            run["submitted"],
            serde_json::json!([{
                "method": "POST",
                "action": action,
                "enctype": "application/x-www-form-urlencoded",
                "fields": [["hidden", "session", "S1"]]
            }])
        );
        assert_eq!(run["addressBar"], action);
        assert_eq!(run["text"], "");
    }

    #[test]
    fn under_node_a_hostile_exchange_url_stays_a_string() {
        let hostile = "/</script><script>alert(1)</script>";
        let html = bounce_page(&portal(), hostile).unwrap();
        let Some(run) = run_bounce_page(&html) else {
            return;
        };
        assert_eq!(run["alerts"], serde_json::json!([]));
        // The page POSTed the launch token to that path of its own origin, as the URL parser
        // encodes it: the value arrived intact, as data.
        assert_eq!(
            run["exchanges"][0]["url"],
            format!("{VENDOR}/%3C/script%3E%3Cscript%3Ealert(1)%3C/script%3E")
        );
        assert_eq!(run["submitted"].as_array().unwrap().len(), 1, "{run}");
    }

    #[test]
    fn under_node_an_exchange_url_on_another_origin_ends_on_the_message() {
        // Accepted here (the origin is well formed), refused by the script at run time: the
        // launch token never leaves the page's origin.
        let html = bounce_page(&portal(), "https://other.example.com/cv/exchange").unwrap();
        let Some(run) = run_bounce_page(&html) else {
            return;
        };
        assert_eq!(run["requests"], serde_json::json!([]));
        assert_eq!(run["exchanges"], serde_json::json!([]));
        assert_eq!(run["submitted"], serde_json::json!([]));
        assert_eq!(run["text"], BOUNCE_FAILED_TEXT);
    }
}
