//! A management plane for the tests: the test HTTPS server (`https_server`,
//! with its own CA) recording every call and answering what the test tells it to.
//!
//! tare trusts the CA through `TARE_MP_CA_FILE` (see [`MpServer::tare`]).

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::https_server::{HttpsServer, Response};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub path: String,
    pub authorization: String,
    pub body: Value,
}

/// Decides the status and JSON body of the answer to a call.
pub type Responder = dyn Fn(&Call) -> (u16, Value) + Send + Sync;

pub struct MpServer {
    pub url: String,
    calls: Arc<Mutex<Vec<Call>>>,
    responder: Arc<Mutex<Arc<Responder>>>,
    server: HttpsServer,
}

/// 200 everywhere; the health report gets bundle ids `bundle-1`, `bundle-2`, …
pub fn accept_all(call: &Call) -> (u16, Value) {
    match call.path.as_str() {
        "/v1/dataplane-status" => (200, json!({ "bundleId": "bundle-1" })),
        _ => (200, json!({})),
    }
}

impl MpServer {
    pub fn start() -> MpServer {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let responder: Arc<Mutex<Arc<Responder>>> = Arc::new(Mutex::new(Arc::new(accept_all)));
        let (calls_seen, answers) = (calls.clone(), responder.clone());
        let server = HttpsServer::start(move |request| {
            let call = Call {
                path: request.path.clone(),
                authorization: request.header("authorization"),
                body: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
            };
            calls_seen.lock().unwrap().push(call.clone());
            let answer = answers.lock().unwrap().clone();
            let (status, body) = answer(&call);
            Response {
                status,
                content_type: "application/json",
                headers: Vec::new(),
                body: body.to_string().into_bytes(),
            }
        });
        MpServer {
            url: server.url.clone(),
            calls,
            responder,
            server,
        }
    }

    /// Answers every later call with `responder`.
    pub fn answer_with(&self, responder: impl Fn(&Call) -> (u16, Value) + Send + Sync + 'static) {
        *self.responder.lock().unwrap() = Arc::new(responder);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    pub fn calls_to(&self, path: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.path == path)
            .collect()
    }

    pub fn ca_file(&self) -> PathBuf {
        self.server.ca_file()
    }

    /// The fixture identity, pointing at this server.
    pub fn identity_file(&self) -> PathBuf {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/identity.json");
        let mut identity: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
        identity["managementPlaneUrl"] = json!(self.url);
        let path = self.server.dir().join("identity.json");
        std::fs::write(&path, identity.to_string()).unwrap();
        path
    }

    /// The fixture identity's bearer token.
    pub fn token(&self) -> String {
        let identity: Value =
            serde_json::from_str(&std::fs::read_to_string(self.identity_file()).unwrap()).unwrap();
        identity["token"].as_str().unwrap().to_string()
    }

    /// Runs tare against the test cluster, trusting this server's CA.
    pub fn tare(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tare"))
            .args(args)
            .env("KUBECONFIG", crate::common::kubeconfig_path())
            .env("TARE_MP_CA_FILE", self.ca_file())
            .env("TARE_OPERATOR", "alice@example.test")
            .output()
            .expect("run tare")
    }
}
