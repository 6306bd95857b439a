//! `config check` and `launch-url`: plugin configurations.

use std::path::Path;

use cv_portal_plugin::config::{ConfigWarning, PluginConfig};
use cv_portal_plugin::{Algorithm, IssueError, Viewer};

use crate::cli::{ConfigCheckArgs, Lang, LaunchUrlArgs};
use crate::commands::{issuer_arg, issuer_with, signing_keys_arg, subject_arg};
use crate::error::{CliError, Status, config_problem_lines, one_line, show_path};
use crate::io::{read_text_file_reason, write_stderr_lines, write_stdout};

/// Reads and validates one configuration file. An unreadable file is `error[io]`, exit 2; an
/// invalid one lists every problem, exit 1.
fn load_config(path: &Path, lang: Lang) -> Result<PluginConfig, CliError> {
    let json = read_text_file_reason(path)
        .map_err(|reason| CliError::io(format!("{}: {reason}", show_path(path))))?;
    PluginConfig::from_json(&json).map_err(|errors| CliError::config_file(path, &errors, lang))
}

/// A valid configuration's warnings as `warning[CODE]: FILE: message` lines.
fn warning_lines(path: &Path, warnings: &[ConfigWarning], lang: Lang) -> Vec<String> {
    let file = show_path(path);
    warnings
        .iter()
        .map(|w| {
            let message = match lang {
                Lang::En => w.message_en(),
                Lang::PtBr => w.message_pt_br(),
            };
            one_line(&format!("warning[{}]: {file}: {message}", w.code()))
        })
        .collect()
}

/// `cvplugin config check`: validates every file, printing `FILE: ok` on stdout for the valid
/// ones and their warnings (`warning[CODE]: FILE: message`) on stderr. The returned error (if
/// any) names the first failing file in its first line and lists the problems of every failing
/// file in its details, then the warnings (so that the first stderr line is still the
/// `error[CODE]` line); its status is 2 if a file could not be read, else 1. Warnings alone do
/// not fail.
pub fn check(args: ConfigCheckArgs) -> Result<(), CliError> {
    // The keys first: a key file that cannot be used stops the check (exit 2) before any output.
    let algorithms: Option<Vec<Algorithm>> = if args.key.is_empty() {
        None
    } else {
        Some(
            signing_keys_arg(&args.key)?
                .into_iter()
                .map(|(alg, _)| alg)
                .collect(),
        )
    };
    let mut failure: Option<CliError> = None;
    let mut details = Vec::new();
    let mut warnings = Vec::new();
    let mut unreadable = false;
    for path in &args.files {
        let error = match read_text_file_reason(path) {
            Err(reason) => {
                unreadable = true;
                details.push(one_line(&format!(
                    "{}: io at (file): {reason}",
                    show_path(path)
                )));
                CliError::io(format!("{}: {reason}", show_path(path)))
            }
            Ok(json) => match PluginConfig::from_json(&json) {
                Ok(config)
                    if algorithms
                        .as_ref()
                        .is_some_and(|algs| !algs.contains(&config.algorithm())) =>
                {
                    let missing = IssueError::NoSigningKey {
                        plugin: config.id().clone(),
                        algorithm: config.algorithm(),
                    };
                    let message = match args.lang {
                        Lang::En => missing.message_en(),
                        Lang::PtBr => missing.message_pt_br(),
                    };
                    let file = show_path(path);
                    details.push(one_line(&format!(
                        "{file}: {} at algorithm: {message}",
                        missing.code()
                    )));
                    CliError::new(
                        Status::Rejected,
                        missing.code(),
                        format!("{file}: {message}"),
                    )
                }
                Ok(config) => {
                    warnings.extend(warning_lines(path, &config.warnings(), args.lang));
                    write_stdout(&format!(
                        "{}: ok (algorithm {})\n",
                        show_path(path),
                        config.algorithm()
                    ))?;
                    continue;
                }
                Err(errors) => {
                    details.extend(config_problem_lines(path, &errors, args.lang));
                    CliError::config_file(path, &errors, args.lang)
                }
            },
        };
        failure.get_or_insert(error);
    }
    match failure {
        None => {
            write_stderr_lines(&warnings);
            Ok(())
        }
        Some(mut first) => {
            first.status = if unreadable {
                Status::Failed
            } else {
                Status::Rejected
            };
            details.extend(warnings);
            first.details = details;
            Err(first)
        }
    }
}

/// `cvplugin launch-url`: mints for a configured plugin and prints the launch URL, or the
/// form-post page with `--form-post`.
pub fn launch_url(args: LaunchUrlArgs) -> Result<(), CliError> {
    let issuer = issuer_arg(&args.issuer)?;
    let subject = subject_arg(&args.subject)?;
    let plugin = load_config(&args.config, Lang::En)?;
    let keys = signing_keys_arg(&args.key)?;
    let launch = issuer_with(issuer, keys)?
        .mint(&plugin, &Viewer::new(subject, args.role.into()))
        .map_err(|e| CliError::issue(&e))?;
    if args.form_post {
        write_stdout(&launch.form_post_html())
    } else {
        write_stdout(&format!("{}\n", launch.launch_url()))
    }
}
