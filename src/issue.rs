//! The portal side: minting a launch token when a viewer opens a plugin.
//!
//! The [`Issuer`] holds the portal's signing key, parsed once, and the issuer id. It mints only for
//! an active plugin that the viewer may see (the same rule as the menu), with the plugin's own
//! token lifetime, a fresh 128-bit `jti`, and `iat = nbf = now`. The result carries the launch URL
//! (the plugin link with a `token` query parameter) and can render the leak-resistant form POST.
//!
//! Signing goes straight to the ring key pair held by the issuer rather than through
//! jsonwebtoken's provider, whose factory would re-parse the PKCS#8 key on every mint (as costly as
//! the signature itself). The bytes are the same JWS jsonwebtoken produces; the tests check it.

use std::fmt;
use std::sync::{Arc, OnceLock};

use url::Url;

use crate::b64;
use crate::clock::{Clock, SystemClock};
use crate::config::{Delivery, PluginConfig};
use crate::html;
use crate::keys::{KeyError, KeySet, PublicKey, SigningKey};
use crate::viewer::Viewer;
use crate::wire::{IssuerId, LaunchClaims, MAX_TIMESTAMP, Role, TOKEN_PARAM, TOKEN_TYPE, TokenId};

/// Mints launch tokens for one portal.
///
/// ```
/// use cv_portal_plugin::{Algorithm, Issuer, IssuerId, SigningKey};
/// let key = SigningKey::generate(Algorithm::EdDSA)?;
/// let issuer = Issuer::new(IssuerId::new("https://portal.example.com.br").unwrap(), key);
/// assert_eq!(issuer.jwks().len(), 1);
/// # Ok::<(), cv_portal_plugin::KeyError>(())
/// ```
pub struct Issuer {
    issuer: IssuerId,
    key: Arc<SigningKey>,
    /// `base64url(header) + "."`, computed once per key.
    header_prefix: String,
    published: KeySet,
    clock: Arc<dyn Clock>,
}

/// Configures an [`Issuer`]: the signing key, keys published beside it, and the clock.
pub struct IssuerBuilder {
    issuer: IssuerId,
    key: Arc<SigningKey>,
    extra: Vec<PublicKey>,
    clock: Arc<dyn Clock>,
}

impl IssuerBuilder {
    /// Publishes another public key beside the signing key: the next key before a rotation, or a
    /// retired one during the max TTL + leeway after it (see PROTOCOL.md §7, "Keys and rotation").
    pub fn also_publish(mut self, key: PublicKey) -> Self {
        self.extra.push(key);
        self
    }

    /// The clock (tests inject a [`FixedClock`](crate::FixedClock)).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the issuer. Fails if a published key repeats the signing key's `kid`.
    pub fn build(self) -> Result<Issuer, KeyError> {
        let mut published = vec![self.key.public_key()];
        published.extend(self.extra);
        let published = KeySet::new(published)?;
        Ok(Issuer::assemble(
            self.issuer,
            self.key,
            published,
            self.clock,
        ))
    }
}

impl Issuer {
    /// An issuer signing with `key`, on the system clock, publishing only that key.
    pub fn new(issuer: IssuerId, key: SigningKey) -> Issuer {
        let published = KeySet::single(key.public_key());
        Issuer::assemble(issuer, Arc::new(key), published, Arc::new(SystemClock))
    }

    fn assemble(
        issuer: IssuerId,
        key: Arc<SigningKey>,
        published: KeySet,
        clock: Arc<dyn Clock>,
    ) -> Issuer {
        let header = serde_json::json!({
            "alg": key.algorithm().as_str(),
            "typ": TOKEN_TYPE,
            "kid": key.kid(),
        });
        let mut header_prefix = b64::encode(header.to_string().as_bytes());
        header_prefix.push('.');
        Issuer {
            issuer,
            key,
            header_prefix,
            published,
            clock,
        }
    }

    /// Starts configuring an issuer around its signing key (shared with an `Arc` if needed).
    pub fn builder(issuer: IssuerId, key: impl Into<Arc<SigningKey>>) -> IssuerBuilder {
        IssuerBuilder {
            issuer,
            key: key.into(),
            extra: Vec::new(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The issuer id (`iss`).
    pub fn issuer_id(&self) -> &IssuerId {
        &self.issuer
    }

    /// The signing key's `kid`.
    pub fn kid(&self) -> &str {
        self.key.kid()
    }

    /// The public keys to publish as the portal's JWKS: the signing key first.
    pub fn jwks(&self) -> &KeySet {
        &self.published
    }

    /// Mints a launch token for `viewer` opening `plugin`.
    ///
    /// Refuses with [`IssueError::PluginInactive`] or [`IssueError::NotVisibleToViewer`] when the
    /// menu would not show the plugin to this viewer.
    pub fn mint(&self, plugin: &PluginConfig, viewer: &Viewer) -> Result<LaunchToken, IssueError> {
        if !plugin.is_active() {
            return Err(IssueError::PluginInactive);
        }
        if !plugin.is_shown_to(viewer.role()) {
            return Err(IssueError::NotVisibleToViewer {
                role: viewer.role(),
            });
        }
        let lifetime = i64::try_from(plugin.token_lifetime().as_secs())
            .map_err(|_| IssueError::ClockOutOfRange)?;
        let now = self.clock.now_unix();
        if now < 0 || now > MAX_TIMESTAMP - lifetime {
            return Err(IssueError::ClockOutOfRange);
        }
        let claims = LaunchClaims {
            iss: self.issuer.clone(),
            aud: plugin.id().clone(),
            sub: viewer.subject().clone(),
            role: viewer.role(),
            iat: now,
            nbf: now,
            exp: now + lifetime,
            jti: TokenId::random().ok_or(IssueError::Rng)?,
        };
        let token = self.sign(&claims)?;
        Ok(LaunchToken {
            token,
            claims,
            link: plugin.link().clone(),
            delivery: plugin.delivery(),
            launch_url: OnceLock::new(),
        })
    }

    fn sign(&self, claims: &LaunchClaims) -> Result<String, IssueError> {
        let payload = serde_json::to_vec(claims).map_err(|_| IssueError::Signing)?;
        let mut token =
            String::with_capacity(self.header_prefix.len() + payload.len() * 4 / 3 + 90);
        token.push_str(&self.header_prefix);
        b64::encode_into(&payload, &mut token);
        let signature = self
            .key
            .sign(token.as_bytes())
            .map_err(|_| IssueError::Signing)?;
        token.push('.');
        b64::encode_into(&signature, &mut token);
        Ok(token)
    }
}

impl fmt::Debug for IssuerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerBuilder")
            .field("issuer", &self.issuer)
            .field("key", &self.key)
            .field("also_published", &self.extra.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer")
            .field("issuer", &self.issuer)
            .field("key", &self.key)
            .field("published", &self.published.len())
            .finish_non_exhaustive()
    }
}

/// A freshly minted launch token, its claims, and the ways to deliver it.
///
/// The token is a bearer credential until it expires: `Debug` does not show it.
#[derive(Clone)]
pub struct LaunchToken {
    token: String,
    claims: LaunchClaims,
    link: Url,
    delivery: Delivery,
    /// Built on first use: appending the token to the link is about half of minting's work
    /// besides the signature (BENCHMARKS.md), and a portal that delivers by form POST never
    /// needs it.
    launch_url: OnceLock<Url>,
}

impl LaunchToken {
    /// The compact JWS.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The claims inside it.
    pub fn claims(&self) -> &LaunchClaims {
        &self.claims
    }

    /// How the plugin's configuration says to deliver this token ([`PluginConfig::delivery`]):
    /// with [`Delivery::Query`], use [`launch_url`](Self::launch_url) as the iframe `src`; with
    /// [`Delivery::FormPost`], serve [`form_post_html`](Self::form_post_html) as the iframe's
    /// document. Both methods work whatever the setting; the vendor expects the configured one.
    ///
    /// ```
    /// # use cv_portal_plugin::{Algorithm, Issuer, IssuerId, Role, SigningKey, SubjectId, Viewer};
    /// # use cv_portal_plugin::config::{Delivery, Dimension, Icon, PluginConfig, VisibleTo};
    /// # let issuer = Issuer::new(IssuerId::new("https://portal.example.com")?, SigningKey::generate(Algorithm::EdDSA)?);
    /// let plugin = PluginConfig::builder()
    ///     .id("financeiro").name("Financeiro").title("Financeiro").icon(Icon::Boleto)
    ///     .link("https://erp.example.com/financeiro")
    ///     .show_in_client_portal(true).visible_to(VisibleTo::Cliente)
    ///     .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
    ///     .delivery(Delivery::FormPost)
    ///     .build()?;
    /// let launch = issuer.mint(&plugin, &Viewer::new(SubjectId::new("48213")?, Role::Cliente))?;
    /// let document = match launch.delivery() {
    ///     Delivery::FormPost => launch.form_post_html(),
    ///     _ => format!("<iframe src=\"{}\"></iframe>", launch.launch_url()),
    /// };
    /// assert!(document.contains("method=\"post\""));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delivery(&self) -> Delivery {
        self.delivery
    }

    /// The plugin link with the token appended as the `token` query parameter (path and any
    /// existing query kept). Use it as the iframe `src`.
    pub fn launch_url(&self) -> &Url {
        self.launch_url.get_or_init(|| {
            let mut launch_url = self.link.clone();
            launch_url
                .query_pairs_mut()
                .append_pair(TOKEN_PARAM, &self.token);
            launch_url
        })
    }

    /// An HTML page that POSTs the token to the plugin link as the form field `token` as soon as it
    /// loads: the token never appears in a URL, so it cannot leak through logs, history or
    /// `Referer`. Serve it as the iframe's document (for example via `srcdoc`): under the
    /// recommended sandbox it runs with the portal's origin until it navigates to the plugin link,
    /// which is safe only because its markup is the crate's own; never add other content. Every interpolated
    /// value is HTML-escaped; the page sends no referrer and has a no-script fallback button.
    pub fn form_post_html(&self) -> String {
        let action = html::escape(self.link.as_str());
        let token = html::escape(&self.token);
        format!(
            "<!DOCTYPE html>\n<html lang=\"pt-BR\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"referrer\" content=\"no-referrer\">\n<title>Abrindo plugin…</title>\n\
             </head>\n<body>\n<form method=\"post\" action=\"{action}\" \
             enctype=\"application/x-www-form-urlencoded\">\n\
             <input type=\"hidden\" name=\"{TOKEN_PARAM}\" value=\"{token}\">\n\
             <noscript><button type=\"submit\">Continuar</button></noscript>\n</form>\n\
             <script>document.forms[0].submit();</script>\n</body>\n</html>\n"
        )
    }

    /// Consumes the value, returning the compact JWS.
    pub fn into_token(self) -> String {
        self.token
    }
}

impl fmt::Debug for LaunchToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LaunchToken")
            .field("token", &"[redacted]")
            .field("claims", &self.claims)
            .field("link", &self.link.as_str())
            .field("delivery", &self.delivery)
            .finish()
    }
}

/// Why the issuer refused to mint a launch token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The plugin is not active: inactive plugins never get tokens.
    #[error("plugin is inactive")]
    PluginInactive,
    /// The viewer's role may not see this plugin (the menu rule), so it gets no token.
    #[error("plugin is not shown to role {role}")]
    NotVisibleToViewer {
        /// The viewer's role.
        role: Role,
    },
    /// The clock reads a time outside the range a token can carry.
    #[error("the clock reads a time a token cannot carry")]
    ClockOutOfRange,
    /// The random generator failed while drawing a `jti`.
    #[error("the system random number generator failed while drawing a token id")]
    Rng,
    /// The signing operation failed.
    #[error("signing failed")]
    Signing,
}

impl IssueError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            IssueError::PluginInactive => "plugin_inactive",
            IssueError::NotVisibleToViewer { .. } => "not_visible_to_viewer",
            IssueError::ClockOutOfRange => "clock_out_of_range",
            IssueError::Rng => "jti_generation_failed",
            IssueError::Signing => "signing_failed",
        }
    }

    /// Every code of this enum.
    pub const ALL_CODES: &'static [&'static str] = &[
        "plugin_inactive",
        "not_visible_to_viewer",
        "clock_out_of_range",
        "jti_generation_failed",
        "signing_failed",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::config::{Dimension, Icon, VisibleTo};
    use crate::keys::Algorithm;
    use crate::wire::SubjectId;

    #[test]
    fn launch_url_is_built_once_on_demand_and_survives_clones() {
        let issuer = Issuer::builder(
            IssuerId::new("https://portal.construtora.com.br").unwrap(),
            SigningKey::generate(Algorithm::EdDSA).unwrap(),
        )
        .clock(Arc::new(FixedClock::new(1_764_288_000)))
        .build()
        .unwrap();
        let plugin = PluginConfig::builder()
            .id("financeiro")
            .name("Financeiro")
            .link("https://erp.example.com/portal/financeiro?empresa=7")
            .icon(Icon::Alerta)
            .title("Financeiro")
            .show_in_client_portal(true)
            .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
            .visible_to(VisibleTo::Cliente)
            .build()
            .unwrap();
        let viewer = Viewer::new(SubjectId::new("48213").unwrap(), Role::Cliente);
        let launch = issuer.mint(&plugin, &viewer).unwrap();
        let early_clone = launch.clone();

        let expected = format!(
            "https://erp.example.com/portal/financeiro?empresa=7&token={}",
            launch.token()
        );
        assert_eq!(launch.launch_url().as_str(), expected);
        // The same value on every call, and in clones made before or after the first call.
        assert!(std::ptr::eq(launch.launch_url(), launch.launch_url()));
        assert_eq!(early_clone.launch_url().as_str(), expected);
        assert_eq!(launch.clone().launch_url().as_str(), expected);
        // Building it does not touch the link the form POST uses.
        assert!(
            launch
                .form_post_html()
                .contains("action=\"https://erp.example.com/portal/financeiro?empresa=7\"")
        );
    }
}
