//! An HTTPS server for the tests, with a CA made for the test run (its PEM
//! in [`HttpsServer::ca_file`]): one request per connection, answered by a
//! function the test gives. The management plane (`mp_server`) and the chart
//! file server (`chart_url`) are built on it.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    head: String,
    pub body: Vec<u8>,
}

impl Request {
    /// The value of header `name`, empty when absent.
    pub fn header(&self, name: &str) -> String {
        self.head
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_string())
            })
            .unwrap_or_default()
    }
}

/// What the server answers.
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    /// Headers besides Content-Type and Content-Length (e.g. Location).
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

pub struct HttpsServer {
    /// `https://localhost:<port>`; the certificate is for 127.0.0.1 too.
    pub url: String,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl HttpsServer {
    /// Serves on a free loopback port until the test process ends.
    pub fn start(answer: impl Fn(&Request) -> Response + Send + Sync + 'static) -> HttpsServer {
        let dir = tempfile::tempdir().unwrap();
        let (ca_pem, config) = test_pki();
        std::fs::write(dir.path().join("ca.pem"), ca_pem).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let listener = TcpListener::from_std(listener).unwrap();
                serve(listener, TlsAcceptor::from(Arc::new(config)), answer).await
            });
        });
        HttpsServer {
            url: format!("https://localhost:{port}"),
            port,
            dir,
        }
    }

    /// The PEM of the CA that signed the server's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A scratch directory that lives as long as the server.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// A CA and a server certificate for localhost and 127.0.0.1 signed by it.
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

async fn serve<F>(listener: TcpListener, acceptor: TlsAcceptor, answer: Arc<F>)
where
    F: Fn(&Request) -> Response + Send + Sync + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (acceptor, answer) = (acceptor.clone(), answer.clone());
        tokio::spawn(async move {
            let Ok(mut tls) = acceptor.accept(stream).await else {
                return;
            };
            let Some(request) = read_request(&mut tls).await else {
                return;
            };
            let response = answer(&request);
            let extra: String = response
                .headers
                .iter()
                .map(|(name, value)| format!("{name}: {value}\r\n"))
                .collect();
            let head = format!(
                "HTTP/1.1 {} Test\r\ncontent-type: {}\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n",
                response.status,
                response.content_type,
                response.body.len()
            );
            let _ = tls.write_all(head.as_bytes()).await;
            let _ = tls.write_all(&response.body).await;
            let _ = tls.shutdown().await;
        });
    }
}

/// Reads one HTTP/1.1 request with a Content-Length body.
async fn read_request<S: AsyncReadExt + Unpin>(stream: &mut S) -> Option<Request> {
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
    let path = head.lines().next()?.split(' ').nth(1)?.to_string();
    let mut request = Request {
        path,
        head,
        body: Vec::new(),
    };
    let length: usize = request.header("content-length").parse().unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    request.body = buffer[head_end..head_end + length].to_vec();
    Some(request)
}
