//! A management plane for the tests: HTTPS with a CA made for the test run,
//! recording every call and answering what the test tells it to.
//!
//! tare trusts the CA through `TARE_MP_CA_FILE` (see [`MpServer::tare`]).

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

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
    dir: tempfile::TempDir,
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
        let dir = tempfile::tempdir().unwrap();
        let (ca_pem, config) = test_pki();
        std::fs::write(dir.path().join("ca.pem"), ca_pem).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!(
            "https://localhost:{}",
            listener.local_addr().unwrap().port()
        );
        let calls = Arc::new(Mutex::new(Vec::new()));
        let responder: Arc<Mutex<Arc<Responder>>> = Arc::new(Mutex::new(Arc::new(accept_all)));
        let (calls_seen, answers) = (calls.clone(), responder.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let listener = TcpListener::from_std(listener).unwrap();
                serve(
                    listener,
                    TlsAcceptor::from(Arc::new(config)),
                    calls_seen,
                    answers,
                )
                .await
            });
        });
        MpServer {
            url,
            calls,
            responder,
            dir,
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
        self.dir.path().join("ca.pem")
    }

    /// The fixture identity, pointing at this server.
    pub fn identity_file(&self) -> PathBuf {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/identity.json");
        let mut identity: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
        identity["managementPlaneUrl"] = json!(self.url);
        let path = self.dir.path().join("identity.json");
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

/// A CA and a server certificate for localhost signed by it.
fn test_pki() -> (String, ServerConfig) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let mut server_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    server_params
        .subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    let server = server_params.signed_by(&server_key, &ca, &ca_key).unwrap();
    let config = ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(server.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
    )
    .unwrap();
    (ca.pem(), config)
}

async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    calls: Arc<Mutex<Vec<Call>>>,
    responder: Arc<Mutex<Arc<Responder>>>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (acceptor, calls, responder) = (acceptor.clone(), calls.clone(), responder.clone());
        tokio::spawn(async move {
            let Ok(mut tls) = acceptor.accept(stream).await else {
                return;
            };
            let Some(call) = read_request(&mut tls).await else {
                return;
            };
            calls.lock().unwrap().push(call.clone());
            let answer = responder.lock().unwrap().clone();
            let (status, body) = answer(&call);
            let body = body.to_string();
            let response = format!(
                "HTTP/1.1 {status} Test\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(response.as_bytes()).await;
            let _ = tls.shutdown().await;
        });
    }
}

/// Reads one HTTP/1.1 request with a Content-Length body.
async fn read_request<S: AsyncReadExt + Unpin>(stream: &mut S) -> Option<Call> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut lines = head.lines();
    let path = lines.next()?.split(' ').nth(1)?.to_string();
    let header = |name: &str| {
        head.lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_string())
            })
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Some(Call {
        path,
        authorization: header("authorization"),
        body: serde_json::from_slice(&buffer[head_end..head_end + length]).unwrap_or(Value::Null),
    })
}
