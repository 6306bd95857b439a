//! `cvplugin`: the command-line tool for the CV portal plugin protocol: portal keys (`keygen`,
//! `jwks`), launch tokens (`mint`, `verify`, `inspect`, `launch-url`), plugin configurations
//! (`config check`) and a vendor's exchanges with a running portal (`discovery`, `client-data`).
//!
//! Exit status 0 is success, 1 a rejected token or configuration or a portal's refusal, 2 a
//! usage, I/O, key-file or network error. On failure the first line on stderr is `error[CODE]: message` with a stable code (see
//! `cvplugin --help`), and the lines after it may start with `hint:`, naming the likely mistake.
//! On success stdout carries only the result; stderr may say `warning:` (whitespace removed around
//! a token) and, for `verify`, `verified:`. No input makes the tool panic: reads are bounded to
//! 1 MiB, messages quote at most a short excerpt of input, and a closed stdout is an ordinary
//! error.
//!
//! Build it with `cargo install --path . --features cli`.

#![forbid(unsafe_code)]

mod cli;
mod commands;
mod error;
mod io;
mod keyfile;
mod token_input;

use std::process::ExitCode;

use clap::Parser as _;
use clap::error::ErrorKind;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::error::{CliError, cut};
use crate::io::{write_stderr_lines, write_stdout};

/// The longest line of a clap message echoed on stderr, in characters (clap quotes arguments).
const CLAP_LINE_MAX_CHARS: usize = 400;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return clap_exit(&error),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            write_stderr_lines(&error.lines());
            ExitCode::from(error.status.exit_code())
        }
    }
}

/// Runs one subcommand.
fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Keygen(args) => commands::keys::keygen(args),
        Command::Jwks(args) => commands::keys::jwks(args),
        Command::Mint(args) => commands::token::mint(args),
        Command::Verify(args) => commands::token::verify(args),
        Command::Inspect(args) => commands::token::inspect(args),
        Command::Config(ConfigCommand::Check(args)) => commands::config::check(args),
        Command::LaunchUrl(args) => commands::config::launch_url(args),
        Command::Discovery(args) => commands::portal::discovery(args),
        Command::ClientData(args) => commands::portal::client_data(args),
        Command::VendorCheck(args) => commands::vendor_check::vendor_check(args),
    }
}

/// Handles what clap returns instead of arguments: help and version go to stdout with exit 0;
/// every usage error becomes `error[usage]: ...` on stderr (clap's text kept below it), exit 2.
fn clap_exit(error: &clap::Error) -> ExitCode {
    let text = error.render().to_string();
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => match write_stdout(&text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                write_stderr_lines(&e.lines());
                ExitCode::from(e.status.exit_code())
            }
        },
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let mut lines = CliError::usage("a subcommand is required").lines();
            lines.push(String::new());
            lines.extend(text.lines().map(|line| cut(line, CLAP_LINE_MAX_CHARS)));
            write_stderr_lines(&lines);
            ExitCode::from(CliError::usage("").status.exit_code())
        }
        _ => {
            write_stderr_lines(&usage_lines(&text));
            ExitCode::from(CliError::usage("").status.exit_code())
        }
    }
}

/// clap's error text as stderr lines, the first one in the `error[usage]: ...` form.
fn usage_lines(clap_text: &str) -> Vec<String> {
    let mut lines: Vec<String> = clap_text
        .lines()
        .map(|line| cut(line, CLAP_LINE_MAX_CHARS))
        .collect();
    let first = lines
        .iter()
        .position(|line| !line.trim().is_empty())
        .map(|i| lines.remove(i))
        .unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(&first);
    let first = if first.trim().is_empty() {
        "invalid command line"
    } else {
        first
    };
    let mut out = CliError::usage(first).lines();
    out.extend(lines);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_become_usage_lines() {
        let lines = usage_lines(
            "error: unexpected argument '--x' found\n\nUsage: cvplugin keygen\n\nFor more information, try '--help'.\n",
        );
        assert_eq!(lines[0], "error[usage]: unexpected argument '--x' found");
        assert!(lines.iter().any(|l| l.starts_with("Usage:")));
        assert_eq!(usage_lines("")[0], "error[usage]: invalid command line");
        let long = format!("error: {}", "y".repeat(10_000));
        assert!(usage_lines(&long)[0].chars().count() < CLAP_LINE_MAX_CHARS + 20);
    }
}
