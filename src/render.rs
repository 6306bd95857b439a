//! Safe iframe markup for a plugin: [`IframeAttributes`] holds every attribute (for platforms that
//! render with their own templates) and [`render_iframe`] writes the escaped `<iframe>` tag.
//!
//! # Recommended attributes
//!
//! - `title`: the plugin's menu title, the iframe's accessible name (screen readers announce it).
//! - `width` / `height`: from the configured [`IframeSize`](crate::config::IframeSize); pixels as a
//!   bare number (`800`), percentages with `%` (`100%`, accepted by every browser).
//! - `referrerpolicy="no-referrer"`: the vendor never learns the portal URL the viewer was on.
//! - `sandbox` = [`IframeAttributes::SANDBOX`], each token needed by a typical plugin such as a
//!   "Financeiro" screen with boletos:
//!   - `allow-scripts`: vendor pages are applications;
//!   - `allow-same-origin`: the page keeps its own (vendor) origin, so it can keep the session it
//!     opened with the launch token and call its own API. This is safe **only because the plugin
//!     runs on the vendor's origin**: never point a plugin link at the portal's own origin, where
//!     `allow-scripts` plus `allow-same-origin` would let the page lift its own sandbox;
//!   - `allow-forms`: search and filter forms, and form-posted launch tokens;
//!   - `allow-popups` and `allow-popups-to-escape-sandbox`: "open boleto in a new tab"; the new
//!     tab is a normal page, where the browser's PDF viewer and printing work;
//!   - `allow-downloads`: downloading the boleto PDF.
//!
//!   Deliberately absent: `allow-top-navigation` and `allow-top-navigation-by-user-activation`
//!   (the plugin cannot navigate the portal away, e.g. to a phishing copy), `allow-modals`
//!   (no `alert`/`confirm`/`print` dialogs over the portal; print from the new tab),
//!   `allow-pointer-lock`, `allow-presentation`, `allow-orientation-lock`.
//! - `allow` = [`IframeAttributes::ALLOW`] (`clipboard-write`): copying a boleto's *linha
//!   digitável* or a PIX code. No camera, microphone, geolocation or payment features.
//!
//! # Session renewal
//!
//! A plugin page renews its session by asking the portal for a fresh launch token over
//! `postMessage`; [`PORTAL_LISTENER_SCRIPT`] is the portal's side of that exchange.

use std::fmt;

use url::Url;

use crate::config::{Dimension, PluginConfig, link};
use crate::html::escape;
use crate::quoted::Quoted;

/// The portal listener script, `assets/js/cv-plugin-portal.js` of this crate's repository, byte
/// for byte: it answers a plugin iframe's launch-token request over `postMessage` with a token
/// the portal's server mints for the logged-in person, only for a message whose `event.source`
/// is a registered plugin iframe and whose `event.origin` is that plugin link's origin,
/// rate-limited, and always to that exact origin (never `"*"`).
///
/// API: `CvPluginPortal.listen({ frames, maxPerMinute = 6 })` returns the function that removes
/// the listener; each frame is `{ iframe, origin, mint }`, `mint` resolving to a launch token or
/// `null` (assets/js/README.md §12.6).
///
/// Serve it from the portal's own origin, for example at `/assets/cv-plugin-portal.js`, with
/// `Content-Type: text/javascript; charset=utf-8`. It changes only with the crate's version, so
/// it may be cached (`Cache-Control: public, max-age=86400`, or longer under a path that names
/// the version). It holds no `</script` and no `<!--`, so it may also be inlined in a
/// `<script>` element.
pub const PORTAL_LISTENER_SCRIPT: &str = include_str!("../assets/js/cv-plugin-portal.js");

/// Every attribute of a plugin's `<iframe>`, unescaped (a template engine escapes them; so does
/// [`to_html`](Self::to_html)).
///
/// ```
/// use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
/// use cv_portal_plugin::render::IframeAttributes;
///
/// let plugin = PluginConfig::builder()
///     .id("financeiro")
///     .name("Financeiro")
///     .link("https://erp.example.com/portal?empresa=42&modo=boleto")
///     .icon(Icon::Financeiro)
///     .title("Financeiro")
///     .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
///     .visible_to(VisibleTo::Cliente)
///     .build()?;
/// let attributes = IframeAttributes::for_plugin(&plugin);
/// assert_eq!(attributes.src(), "https://erp.example.com/portal?empresa=42&modo=boleto");
/// assert_eq!(
///     attributes.to_html(),
///     "<iframe src=\"https://erp.example.com/portal?empresa=42&amp;modo=boleto\" width=\"100%\" \
///      height=\"800\" title=\"Financeiro\" referrerpolicy=\"no-referrer\" \
///      sandbox=\"allow-scripts allow-same-origin allow-forms allow-popups \
///      allow-popups-to-escape-sandbox allow-downloads\" allow=\"clipboard-write\"></iframe>"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IframeAttributes {
    src: String,
    width: Dimension,
    height: Dimension,
    title: String,
}

impl IframeAttributes {
    /// The recommended `sandbox` tokens (each justified in the [module documentation](self)).
    pub const SANDBOX: &'static str = "allow-scripts allow-same-origin allow-forms allow-popups \
                                       allow-popups-to-escape-sandbox allow-downloads";
    /// The recommended `allow` (Permissions Policy) value.
    pub const ALLOW: &'static str = "clipboard-write";
    /// The `referrerpolicy` value.
    pub const REFERRER_POLICY: &'static str = "no-referrer";

    /// The attributes of `config`'s iframe loading its configured link.
    pub fn for_plugin(config: &PluginConfig) -> Self {
        IframeAttributes {
            src: config.link().as_str().to_owned(),
            width: config.iframe_size().width(),
            height: config.iframe_size().height(),
            title: config.title().to_owned(),
        }
    }

    /// The attributes of `config`'s iframe loading `src` (for example the link with launch
    /// parameters added). `src` must be `https`, or `http` to a loopback host, like a plugin
    /// link: a `javascript:` or `data:` source would run in a frame that allows scripts.
    pub fn new(config: &PluginConfig, src: &Url) -> Result<Self, UnsafeSrc> {
        if !link::has_allowed_scheme(src) {
            return Err(UnsafeSrc {
                scheme: Quoted::new(src.scheme()),
            });
        }
        Ok(IframeAttributes {
            src: src.as_str().to_owned(),
            ..IframeAttributes::for_plugin(config)
        })
    }

    /// The `src` URL (unescaped).
    pub fn src(&self) -> &str {
        &self.src
    }

    /// The width.
    pub fn width(&self) -> Dimension {
        self.width
    }

    /// The height.
    pub fn height(&self) -> Dimension {
        self.height
    }

    /// The `title` attribute: the plugin's menu title, the iframe's accessible name (unescaped).
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Every attribute as `(name, unescaped value)`, in the order [`to_html`](Self::to_html)
    /// writes them.
    pub fn attributes(&self) -> [(&'static str, String); 7] {
        [
            ("src", self.src.clone()),
            ("width", self.width.html_attribute_value()),
            ("height", self.height.html_attribute_value()),
            ("title", self.title.clone()),
            ("referrerpolicy", Self::REFERRER_POLICY.to_owned()),
            ("sandbox", Self::SANDBOX.to_owned()),
            ("allow", Self::ALLOW.to_owned()),
        ]
    }

    /// The `<iframe>` tag, every value escaped.
    pub fn to_html(&self) -> String {
        let mut html = String::from("<iframe");
        for (name, value) in self.attributes() {
            html.push(' ');
            html.push_str(name);
            html.push_str("=\"");
            html.push_str(&escape(&value));
            html.push('"');
        }
        html.push_str("></iframe>");
        html
    }
}

impl fmt::Display for IframeAttributes {
    /// Same as [`to_html`](IframeAttributes::to_html).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_html())
    }
}

/// The `<iframe>` tag for `config` loading `src`, every value escaped (see
/// [`IframeAttributes::new`] for the rule on `src`).
pub fn render_iframe(config: &PluginConfig, src: &Url) -> Result<String, UnsafeSrc> {
    IframeAttributes::new(config, src).map(|attributes| attributes.to_html())
}

/// The iframe source is neither `https` nor `http` to a loopback host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("iframe src must use https (or http to a loopback host); found scheme {scheme}")]
pub struct UnsafeSrc {
    scheme: Quoted,
}

impl UnsafeSrc {
    /// The stable code: `render_unsafe_src`.
    pub fn code(&self) -> &'static str {
        "render_unsafe_src"
    }

    /// The scheme found (a [`Quoted`] excerpt: at most 64 characters).
    pub fn scheme(&self) -> &str {
        self.scheme.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Icon, VisibleTo};

    fn plugin(title: &str, link: &str) -> PluginConfig {
        PluginConfig::builder()
            .id("p")
            .name("p")
            .link(link)
            .icon(Icon::Alerta)
            .title(title)
            .iframe_size(Dimension::Pixels(640), Dimension::Percent(75))
            .visible_to(VisibleTo::Cliente)
            .build()
            .unwrap()
    }

    /// The values between `name="` and the next `"`: proves no value broke out of its quotes.
    fn attribute(html: &str, name: &str) -> String {
        let start = html.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        let end = start + html[start..].find('"').unwrap();
        html[start..end].to_owned()
    }

    #[test]
    fn hostile_titles_are_escaped() {
        let cases = [
            (
                "\"><script>alert(1)</script>",
                "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            ("Tom & Jerry", "Tom &amp; Jerry"),
            ("it's", "it&#39;s"),
            ("a\" onload=\"x", "a&quot; onload=&quot;x"),
            ("Financeiro – 2ª via", "Financeiro – 2ª via"),
        ];
        for (title, escaped) in cases {
            let config = plugin(title, "https://erp.example.com/");
            let html = render_iframe(&config, config.link()).unwrap();
            assert_eq!(attribute(&html, "title"), escaped, "{html}");
            assert!(!html.contains("<script"), "{html}");
            assert_eq!(
                html.matches('"').count(),
                14,
                "7 attributes, 2 quotes each: {html}"
            );
            assert!(html.starts_with("<iframe ") && html.ends_with("></iframe>"));
            assert_eq!(IframeAttributes::for_plugin(&config).title(), title);
        }
    }

    #[test]
    fn hostile_urls_are_escaped() {
        let config = plugin("T", "https://erp.example.com/");
        let src = Url::parse("https://erp.example.com/a\"b'c<d>?q=\"x\"&r='y'&s=<z>").unwrap();
        let html = render_iframe(&config, &src).unwrap();
        let value = attribute(&html, "src");
        assert!(!value.contains(['<', '>', '\'']), "{value}");
        // `&` stays a query separator, escaped for HTML.
        assert!(value.contains("&amp;r="), "{value}");
        assert_eq!(html.matches('"').count(), 14, "{html}");
        // Unescaping the attribute gives back the URL exactly.
        let unescaped = value
            .replace("&#39;", "'")
            .replace("&quot;", "\"")
            .replace("&amp;", "&");
        assert_eq!(unescaped, src.as_str());
    }

    #[test]
    fn sizes_sandbox_and_policy() {
        let config = plugin("T", "https://erp.example.com/");
        let html = IframeAttributes::for_plugin(&config).to_html();
        assert_eq!(attribute(&html, "width"), "640");
        assert_eq!(attribute(&html, "height"), "75%");
        assert_eq!(attribute(&html, "referrerpolicy"), "no-referrer");
        assert_eq!(attribute(&html, "allow"), "clipboard-write");
        let sandbox = attribute(&html, "sandbox");
        assert!(sandbox.contains("allow-downloads") && sandbox.contains("allow-scripts"));
        assert!(!sandbox.contains("top-navigation") && !sandbox.contains("allow-modals"));
    }

    #[test]
    fn the_listener_can_be_inlined() {
        assert!(PORTAL_LISTENER_SCRIPT.contains("function listen("));
        let lower = PORTAL_LISTENER_SCRIPT.to_ascii_lowercase();
        assert!(!lower.contains("</script") && !lower.contains("<!--"));
    }

    #[test]
    fn src_must_be_http_s() {
        let config = plugin("T", "https://erp.example.com/");
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "http://erp.example.com/",
            "blob:https://a/b",
        ] {
            let err = render_iframe(&config, &Url::parse(bad).unwrap()).unwrap_err();
            assert_eq!(err.code(), "render_unsafe_src");
            assert!(bad.starts_with(err.scheme()), "{err}");
        }
        for ok in [
            "https://other.example.com/launch?t=1",
            "http://localhost:3000/",
        ] {
            let html = render_iframe(&config, &Url::parse(ok).unwrap()).unwrap();
            assert_eq!(attribute(&html, "src"), escape(ok));
        }
    }
}
