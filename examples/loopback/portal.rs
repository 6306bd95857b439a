//! The fixture portal of `vectors/client-data.json`: its keys, plugins, people and pinned clock,
//! its discovery document and JWKS, and a [`ClientDataEndpoint`] with one fresh redemption
//! record. [`FixturePortal::respond`] routes an HTTP request to them.

use std::collections::HashMap;
use std::sync::Arc;

use cv_portal_plugin::config::PluginConfig;
use cv_portal_plugin::wire::{ClientData, DISCOVERY_PATH};
use cv_portal_plugin::{
    Algorithm, Answer, ClientDataEndpoint, FixedClock, IssuerId, KeySet, Role, SubjectId, Url,
    render_discovery,
};
use serde_json::Value;

use super::http::{Request, Response};

/// The portal the client-data vectors describe.
pub struct FixturePortal {
    issuer: IssuerId,
    endpoint: ClientDataEndpoint,
    people: HashMap<(String, Role), ClientData>,
    discovery: String,
    jwks: String,
    jwks_path: String,
    client_data_path: String,
}

impl FixturePortal {
    /// The portal of `vectors` (the parsed `client-data.json`), with a fresh redemption record.
    pub fn from_vectors(vectors: &Value) -> Result<FixturePortal, String> {
        let text = |name: &str| {
            vectors[name]
                .as_str()
                .ok_or_else(|| format!("`{name}` is not a string"))
        };
        let issuer = IssuerId::new(text("issuer")?).map_err(|e| format!("issuer: {e}"))?;
        let now = vectors["now"].as_i64().ok_or("`now` is not an integer")?;
        let keys = KeySet::from_jwks_json(&vectors["jwks"].to_string())
            .map_err(|e| format!("jwks: {e}"))?;

        let mut plugins = Vec::new();
        for plugin in vectors["plugins"]
            .as_array()
            .ok_or("`plugins` is not a list")?
        {
            plugins.push(
                PluginConfig::from_json(&plugin.to_string()).map_err(|e| format!("plugin: {e}"))?,
            );
        }

        // What the portal's own database returns for (sub, role). Its `plugin` is a placeholder:
        // the lookup does not know the plugin, and the endpoint answers with the token's `aud`.
        let mut people = HashMap::new();
        for person in vectors["people"]
            .as_array()
            .ok_or("`people` is not a list")?
        {
            let mut record = person["data"].clone();
            let fields = record
                .as_object_mut()
                .ok_or("a person's `data` is not an object")?;
            fields.insert("sub".into(), person["sub"].clone());
            fields.insert("role".into(), person["role"].clone());
            fields.insert("plugin".into(), Value::from("lookup-placeholder"));
            let data: ClientData =
                serde_json::from_value(record).map_err(|e| format!("a person's data: {e}"))?;
            people.insert((data.sub.as_str().to_owned(), data.role), data);
        }

        let document = &vectors["discovery"];
        let url = |name: &str| {
            let text = document[name]
                .as_str()
                .ok_or_else(|| format!("discovery `{name}` is not a string"))?;
            Url::parse(text).map_err(|e| format!("discovery `{name}`: {e}"))
        };
        let (jwks_uri, client_data_endpoint) = (url("jwks_uri")?, url("client_data_endpoint")?);
        let path_of = |url: &Url| {
            url.as_str()
                .strip_prefix(issuer.as_str().trim_end_matches('/'))
                .filter(|path| path.starts_with('/'))
                .map(str::to_owned)
                .ok_or_else(|| format!("{url} is not under the issuer {}", issuer.as_str()))
        };
        let jwks_path = path_of(&jwks_uri)?;
        let client_data_path = path_of(&client_data_endpoint)?;
        // The portal signs with the algorithms of its keys.
        let algorithms: Vec<Algorithm> = keys.iter().map(|key| key.algorithm()).collect();
        let discovery = render_discovery(&issuer, &jwks_uri, &client_data_endpoint, algorithms);

        let endpoint = ClientDataEndpoint::builder(issuer.clone(), keys.clone())
            .plugins(plugins)
            .clock(Arc::new(FixedClock::new(now)))
            .build();
        Ok(FixturePortal {
            issuer,
            endpoint,
            people,
            discovery,
            jwks: keys.to_jwks_json(),
            jwks_path,
            client_data_path,
        })
    }

    /// The portal's issuer id.
    pub fn issuer(&self) -> &IssuerId {
        &self.issuer
    }

    /// The discovery document, as served.
    pub fn discovery(&self) -> &str {
        &self.discovery
    }

    /// The JWKS, as served.
    pub fn jwks(&self) -> &str {
        &self.jwks
    }

    /// The path of the client-data endpoint.
    pub fn client_data_path(&self) -> &str {
        &self.client_data_path
    }

    /// What the portal's database holds for `sub` as `role`.
    pub fn lookup(&self, sub: &SubjectId, role: Role) -> Option<ClientData> {
        self.people.get(&(sub.as_str().to_owned(), role)).cloned()
    }

    /// The client-data endpoint's answer to a request with this `Authorization` value.
    pub fn redeem(&self, authorization: Option<&str>) -> Answer {
        self.endpoint
            .handle(authorization, |sub, role| self.lookup(sub, role))
    }

    /// Routes a request: the discovery document, the JWKS, the client-data endpoint.
    pub fn respond(&self, request: &Request) -> Response {
        let json = |body: &str| Response {
            status: 200,
            headers: vec![(
                "Content-Type".to_owned(),
                "application/json; charset=utf-8".to_owned(),
            )],
            body: body.as_bytes().to_vec(),
        };
        let path = request.target.as_str();
        let known = [DISCOVERY_PATH, &self.jwks_path, &self.client_data_path];
        if !known.contains(&path) {
            return Response::text(404, "not found\n");
        }
        if request.method != "GET" {
            let mut refusal = Response::text(405, "GET only\n");
            refusal.headers.push(("Allow".to_owned(), "GET".to_owned()));
            return refusal;
        }
        if path == DISCOVERY_PATH {
            return json(&self.discovery);
        }
        if path == self.jwks_path {
            return json(&self.jwks);
        }
        let answer = match request.header_values("Authorization").as_slice() {
            [] => self.redeem(None),
            [one] => self.redeem(Some(one)),
            // Two credentials are not one Bearer credential: refused as a malformed one is.
            [_, _, ..] => self.redeem(Some("")),
        };
        Response {
            status: answer.status,
            headers: answer
                .headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect(),
            body: answer.body.into_bytes(),
        }
    }
}
