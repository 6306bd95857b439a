//! `discovery` and `client-data`: a vendor's exchanges with a running portal, over the library's
//! [`PortalHttp`] on a current-thread runtime that lives only for the command.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use cv_portal_plugin::data_client::discovery_url;
use cv_portal_plugin::http::PortalHttp;
use cv_portal_plugin::verify::MAX_LEEWAY;
use cv_portal_plugin::{ClientDataRequest, IssuerId, UntrustedToken, VerifierConfigError};

use crate::cli::{ClientDataArgs, DiscoveryArgs};
use crate::commands::{issuer_arg, plugin_arg, print_json, verifier_arg};
use crate::error::{CliError, Status, excerpt, show_path};
use crate::io::{read_file, read_token, write_stderr_lines};

/// `--issuer` of a portal to talk to: an issuer id whose discovery URL is https (http only on
/// loopback), or exit 2 with the library's URL code.
fn portal_issuer(value: &str) -> Result<(IssuerId, String), CliError> {
    let issuer = issuer_arg(value)?;
    let url = discovery_url(&issuer)
        .map_err(|e| CliError::new(Status::Failed, e.code(), format!("--issuer: {e}")))?;
    Ok((issuer, url))
}

/// The HTTP client, trusting `--ca-cert`'s certificates beside the system's.
fn client(ca_cert: Option<&Path>) -> Result<PortalHttp, CliError> {
    let mut builder = PortalHttp::builder();
    if let Some(path) = ca_cert {
        let pem = read_file(path)?;
        builder = builder.add_root_certificates_pem(&pem).map_err(|e| {
            CliError::new(
                Status::Failed,
                e.code(),
                format!("--ca-cert {}: {e}", show_path(path)),
            )
        })?;
    }
    builder
        .build()
        .map_err(|e| CliError::new(Status::Failed, e.code(), e.to_string()))
}

/// Runs `future` to completion on a current-thread runtime made for it.
fn block_on<T>(future: impl Future<Output = T>) -> Result<T, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io(format!("cannot start the I/O runtime: {e}")))?;
    Ok(runtime.block_on(future))
}

/// `cvplugin discovery`: prints the checked discovery document as indented JSON.
pub fn discovery(args: DiscoveryArgs) -> Result<(), CliError> {
    let (issuer, url) = portal_issuer(&args.issuer)?;
    let http = client(args.ca_cert.as_deref())?;
    let document = block_on(http.discovery(&issuer))?.map_err(|e| CliError::http(&e, &url))?;
    print_json(&document)
}

/// `cvplugin client-data`: verifies the token as a vendor would, redeems it at the portal's
/// client-data endpoint and prints the person's data as indented JSON.
pub fn client_data(args: ClientDataArgs) -> Result<(), CliError> {
    let (issuer, url) = portal_issuer(&args.issuer)?;
    let plugin = plugin_arg(&args.plugin)?;
    if let Some(seconds) = args.leeway
        && Duration::from_secs(seconds) > MAX_LEEWAY
    {
        let error = VerifierConfigError::LeewayTooLarge {
            seconds,
            max: MAX_LEEWAY.as_secs(),
        };
        return Err(CliError::verifier_config(&error));
    }
    let http = client(args.ca_cert.as_deref())?;
    let input = read_token(args.token)?;
    // A token that cannot even be parsed is refused before anything is fetched.
    UntrustedToken::parse(input.token()).map_err(|e| input.rejected(&e))?;
    block_on(async {
        let discovery = http
            .discovery(&issuer)
            .await
            .map_err(|e| CliError::http(&e, &url))?;
        let keys = http
            .key_set(&discovery)
            .await
            .map_err(|e| CliError::http(&e, &discovery.jwks_uri))?;
        let verifier = verifier_arg(issuer, plugin, keys, args.leeway)?;
        let claims = verifier
            .verify(input.token())
            .map_err(|e| input.rejected(&e))?;
        let request = ClientDataRequest::for_launch(&discovery, &claims, input.token())
            .map_err(|e| CliError::new(Status::Rejected, e.code(), e.to_string()))?;
        // Said after the request, so that a failure's first line stays `error[CODE]`.
        let redeemed = format!(
            "warning: the token was sent to {} to be redeemed; a launch token redeems once, so \
             neither this tool nor a vendor's server can redeem it again",
            excerpt(request.url())
        );
        let data = match http.client_data_for(&request, &claims).await {
            Ok(data) => data,
            Err(e) => {
                let mut error = CliError::http(&e, request.url());
                error.details.push(redeemed);
                return Err(error);
            }
        };
        print_json(&data)?;
        let mut lines: Vec<String> = input.warning().map(str::to_owned).into_iter().collect();
        lines.push(redeemed);
        write_stderr_lines(&lines);
        Ok(())
    })?
}
