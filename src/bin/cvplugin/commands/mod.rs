//! One module per subcommand family, and the argument checks they share.

pub mod config;
pub mod keys;
pub mod portal;
pub mod token;

use std::time::Duration;

use cv_portal_plugin::verify::DEFAULT_LEEWAY;
use cv_portal_plugin::{IssuerId, KeySet, PluginId, SubjectId, Verifier};
use serde::Serialize;

use crate::error::{CliError, bad_value};
use crate::io::write_stdout;

/// `--issuer`: 1 to 256 bytes of printable ASCII without spaces (`error[usage]` otherwise).
pub fn issuer_arg(value: &str) -> Result<IssuerId, CliError> {
    IssuerId::new(value).map_err(|e| bad_value("--issuer", e))
}

/// `--subject`: the person's opaque id (`error[usage]` otherwise).
pub fn subject_arg(value: &str) -> Result<SubjectId, CliError> {
    SubjectId::new(value).map_err(|e| bad_value("--subject", e))
}

/// `--plugin`: a plugin id (`error[usage]` otherwise, like `--issuer` and `--subject`).
pub fn plugin_arg(value: &str) -> Result<PluginId, CliError> {
    PluginId::new(value).map_err(|e| bad_value("--plugin", e))
}

/// The verifier of `verify` and `client-data`: `issuer`, `plugin`, `keys`, and `--leeway`
/// seconds when given (above the default 30 only through the library's visibly dangerous door,
/// up to its limit of 300; `error[leeway_too_large]` beyond).
pub fn verifier_arg(
    issuer: IssuerId,
    plugin: PluginId,
    keys: KeySet,
    leeway: Option<u64>,
) -> Result<Verifier, CliError> {
    let mut builder = Verifier::builder(issuer, plugin)
        .key_set(keys)
        // One process verifies one token: single use in memory still refuses a token given twice.
        .replay_guard(std::sync::Arc::new(
            cv_portal_plugin::InMemoryReplayGuard::new(),
        ));
    if let Some(seconds) = leeway {
        let leeway = Duration::from_secs(seconds);
        builder = if leeway <= DEFAULT_LEEWAY {
            builder.leeway(leeway)
        } else {
            builder.dangerous_extended_leeway(leeway)
        };
    }
    builder.build().map_err(|e| CliError::verifier_config(&e))
}

/// Prints `value` as indented JSON and a newline on stdout.
pub fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::io(format!("cannot serialize the output: {e}")))?;
    text.push('\n');
    write_stdout(&text)
}
