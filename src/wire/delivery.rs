//! [`Delivery`]: how a launch token reaches the plugin's link (PROTOCOL.md §5). A wire
//! concept: the portal configures it per plugin, and the vendor accepts a plugin's launches by
//! that one method.

/// How the launch token reaches the plugin's link ("Entrega do token"), PROTOCOL.md §5.
///
/// | Variant                 | JSON          | Label (pt-BR)        |
/// |-------------------------|---------------|----------------------|
/// | [`Delivery::Query`]     | `"query"`     | Na URL do link       |
/// | [`Delivery::FormPost`]  | `"form_post"` | POST de formulário   |
///
/// `Query` (the default) appends `token=` to the link and uses it as the iframe's `src`
/// (`LaunchToken::launch_url`). `FormPost` has the portal serve
/// a page that POSTs the token to the link
/// (`LaunchToken::form_post_html`), so the token never
/// appears in a URL, an access log or a `Referer` header: choose it whenever the plugin is granted
/// personal data, which the vendor's page must then accept as a POST. New deliveries may come:
/// match with a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Delivery {
    /// The `token` query parameter of the launch URL ("Na URL do link").
    #[default]
    Query,
    /// An auto-submitting form POST ("POST de formulário").
    FormPost,
}

impl Delivery {
    /// Every value, in the screen's order.
    pub const ALL: &'static [Delivery] = &[Delivery::Query, Delivery::FormPost];

    /// The JSON name: `"query"` or `"form_post"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Delivery::Query => "query",
            Delivery::FormPost => "form_post",
        }
    }

    /// The label on the configuration screen: "Na URL do link" or "POST de formulário".
    pub const fn label_pt_br(self) -> &'static str {
        match self {
            Delivery::Query => "Na URL do link",
            Delivery::FormPost => "POST de formulário",
        }
    }

    /// The HTTP method of the launch request the vendor receives: `GET` or `POST`.
    pub const fn http_method(self) -> &'static str {
        match self {
            Delivery::Query => "GET",
            Delivery::FormPost => "POST",
        }
    }
}
