//! `mint`, `verify` and `inspect`: launch tokens.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::verify::{DANGEROUS_MAX_TOKEN_LEN, Segment};
use cv_portal_plugin::{Algorithm, Clock as _, SystemClock, UntrustedToken, VerifyError, Viewer};
use serde::Serialize;
use serde_json::Value;

use crate::cli::{InspectArgs, MintArgs, VerifyArgs};
use crate::commands::{
    issuer_arg, issuer_with, plugin_arg, print_json, signing_keys_arg, subject_arg, verifier_arg,
};
use crate::error::{CliError, excerpt};
use crate::io::{read_token, write_stderr_lines, write_stdout};
use crate::keyfile::load_jwks;

/// The link of the configuration `mint` builds internally. `.invalid` (RFC 2606) never resolves.
pub const PLACEHOLDER_LINK: &str = "https://plugin.invalid/";

/// The plugin configuration `mint` mints for: id `--plugin`, the placeholder link, shown to every
/// role, lifetime `--ttl`, algorithm `--alg` (EdDSA without it; [`mint`] then takes the first
/// `--key`'s). A rejected `--plugin` or `--ttl` fails with its configuration code.
fn placeholder_plugin(args: &MintArgs) -> Result<PluginConfig, CliError> {
    let plugin = plugin_arg(&args.plugin)?;
    PluginConfig::builder()
        .id(plugin.as_str())
        .name("cvplugin mint")
        .link(PLACEHOLDER_LINK)
        .icon(Icon::Ferramenta)
        .title("cvplugin mint")
        .show_in_client_portal(true)
        .show_in_manager_panel(true)
        .iframe_size(Dimension::Percent(100), Dimension::Percent(100))
        .visible_to(VisibleTo::ClienteESindico)
        .token_lifetime(Duration::from_secs(args.ttl))
        .algorithm(args.alg.map_or_else(Algorithm::default, Algorithm::from))
        .build()
        .map_err(|errors| match errors.iter().next() {
            Some(first) => {
                let option = match first.path() {
                    "id" => "--plugin",
                    path if path.starts_with("auth") => "--ttl",
                    _ => "mint",
                };
                CliError::config_arg(option, first)
            }
            None => CliError::usage("--plugin or --ttl was rejected"),
        })
}

/// `cvplugin mint`: prints a launch token alone on stdout.
pub fn mint(args: MintArgs) -> Result<(), CliError> {
    let issuer = issuer_arg(&args.issuer)?;
    let subject = subject_arg(&args.subject)?;
    // Checked before any key file is read.
    let mut plugin = placeholder_plugin(&args)?;
    let keys = signing_keys_arg(&args.key)?;
    if args.alg.is_none()
        && let Some((first, _)) = keys.first()
    {
        plugin = plugin
            .to_builder()
            .algorithm(*first)
            .build()
            .map_err(|_| CliError::usage("--key: the placeholder plugin was rejected"))?;
    }
    let token = issuer_with(issuer, keys)?
        .mint(&plugin, &Viewer::new(subject, args.role.into()))
        .map_err(|e| CliError::issue(&e))?;
    write_stdout(&format!("{}\n", token.token()))
}

/// `cvplugin verify`: verifies a token and prints its claims as JSON, the only output on stdout.
/// stderr then says that the token verified, and with which key (after the whitespace warning
/// of [`TokenInput`](crate::token_input::TokenInput), if any).
pub fn verify(args: VerifyArgs) -> Result<(), CliError> {
    let issuer = issuer_arg(&args.issuer)?;
    let plugin = plugin_arg(&args.plugin)?;
    let keys = load_jwks(&args.jwks)?;
    let verifier = verifier_arg(issuer, plugin, keys, args.leeway)?;
    let input = read_token(args.token)?;
    // Parsed first only to name the key in the success line; verify_untrusted runs every check
    // that verify would.
    let untrusted = UntrustedToken::parse(input.token()).map_err(|e| input.rejected(&e))?;
    let signed_with = format!(
        "kid \"{}\" ({})",
        excerpt(untrusted.kid()),
        untrusted.algorithm().as_str()
    );
    let claims = verifier
        .verify_untrusted(untrusted)
        .map_err(|e| input.rejected(&e))?;
    print_json(&claims)?;
    let remaining = claims.expires_at().saturating_sub(SystemClock.now_unix());
    let expiry = if remaining >= 0 {
        format!("expires in {remaining} s")
    } else {
        format!(
            "expired {} s ago, accepted within the leeway",
            remaining.saturating_neg()
        )
    };
    let mut lines: Vec<String> = input.warning().map(str::to_owned).into_iter().collect();
    lines.push(format!(
        "verified: signed with {signed_with}; issuer, audience and times are as expected; {expiry}"
    ));
    write_stderr_lines(&lines);
    Ok(())
}

/// The warning attached to every `inspect` output.
pub const NOT_VERIFIED: &str = "NOT VERIFIED: decoded without checking the signature, issuer, \
                                audience or times; do not trust these values";

/// What `inspect` prints.
#[derive(Debug, Serialize)]
struct Inspection {
    /// Always `false`.
    verified: bool,
    /// [`NOT_VERIFIED`].
    warning: &'static str,
    /// The decoded protected header.
    header: Value,
    /// The decoded claims.
    claims: Value,
    /// The decoded signature's length in bytes (64 for both protocol algorithms).
    signature_len: usize,
}

/// Decodes one canonical unpadded base64url segment, as the verifier does.
fn decode_segment(text: &str, segment: Segment) -> Result<Vec<u8>, VerifyError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| VerifyError::NonCanonicalBase64 { segment })
}

/// Parses a decoded segment as a JSON object.
fn json_object(bytes: &[u8], not_object: &'static str) -> Result<Value, VerifyError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(VerifyError::Malformed { reason: not_object }),
    }
}

/// Decodes a token without checking anything but its shape.
fn decode_unverified(token: &str) -> Result<Inspection, VerifyError> {
    let max = DANGEROUS_MAX_TOKEN_LEN;
    if token.len() > max {
        return Err(VerifyError::TooLarge {
            len: token.len(),
            max,
        });
    }
    let shape = VerifyError::Malformed {
        reason: "a token is three base64url segments separated by dots",
    };
    let mut segments = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(shape);
    };
    let header = decode_segment(header, Segment::Header)?;
    let payload = decode_segment(payload, Segment::Payload)?;
    let signature = decode_segment(signature, Segment::Signature)?;
    Ok(Inspection {
        verified: false,
        warning: NOT_VERIFIED,
        header: json_object(&header, "the header is not a JSON object")?,
        claims: json_object(&payload, "the payload is not a JSON object")?,
        signature_len: signature.len(),
    })
}

/// `cvplugin inspect`: prints a token's header and claims, marked unverified.
pub fn inspect(args: InspectArgs) -> Result<(), CliError> {
    let input = read_token(args.token)?;
    let inspection = decode_unverified(input.token()).map_err(|e| input.rejected(&e))?;
    print_json(&inspection)?;
    if let Some(warning) = input.warning() {
        write_stderr_lines(&[warning.to_owned()]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(token: &str) -> &'static str {
        match decode_unverified(token) {
            Ok(_) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn inspect_decodes_only_well_formed_tokens() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA"}"#);
        let claims = URL_SAFE_NO_PAD.encode(br#"{"sub":"1"}"#);
        let sig = URL_SAFE_NO_PAD.encode([0u8; 64]);
        let token = format!("{header}.{claims}.{sig}");
        let inspection = decode_unverified(&token).unwrap();
        assert!(!inspection.verified);
        assert_eq!(inspection.header["alg"], "EdDSA");
        assert_eq!(inspection.claims["sub"], "1");
        assert_eq!(inspection.signature_len, 64);

        assert_eq!(code(""), "malformed");
        assert_eq!(code("a.b"), "malformed");
        assert_eq!(code("a.b.c.d"), "malformed");
        assert_eq!(
            code(&format!("{header}=.{claims}.{sig}")),
            "non_canonical_base64"
        );
        assert_eq!(
            code(&format!("{header}.{claims}.{sig}x")),
            "non_canonical_base64"
        );
        let array = URL_SAFE_NO_PAD.encode(b"[1]");
        assert_eq!(code(&format!("{array}.{claims}.{sig}")), "malformed");
        assert_eq!(code(&format!("{header}.{array}.{sig}")), "malformed");
        assert_eq!(code(&"a".repeat(70_000)), "token_too_large");
    }
}
