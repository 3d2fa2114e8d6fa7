//! One registry, spoken to over the distribution API (`/v2/`): manifests and
//! blobs by HEAD/GET/PUT, uploads with cross-repository mounts, and the
//! authentication the registry asks for (none, basic, or the bearer token
//! flow with per-repository scopes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE,
};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper::body::Incoming;
use tokio::sync::OnceCell;

use super::auth::{Challenge, Credentials, RegistryLogin};
use super::error::{ErrorKind, RegistryError, describe_body, is_tls_failure, kind_of_status};
use super::reference::Digest;
use crate::https::HttpClient;
use crate::percent::percent_encode;

pub use crate::https::BoxError;
/// Request bodies: empty, small bytes, or a blob streamed from another registry.
pub type Body = BoxBody<Bytes, BoxError>;
type Result<T> = std::result::Result<T, RegistryError>;

/// The manifest media types tare copies: OCI and Docker, single and multi-platform.
pub const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// The distribution spec lets registries refuse manifests above 4 MiB.
const MAX_MANIFEST_BYTES: usize = 4 << 20;
const MAX_ERROR_BODY_BYTES: usize = 64 << 10;

/// A manifest exactly as the registry serves it; its digest is over these bytes.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub bytes: Bytes,
    pub media_type: String,
    pub digest: Digest,
}

/// What a repository may be used for; tokens are scoped to it.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    Pull,
    Push,
}

fn scope(repository: &str, access: Access) -> String {
    let actions = match access {
        Access::Pull => "pull",
        Access::Push => "pull,push",
    };
    format!("repository:{repository}:{actions}")
}

/// An upload either landed by mount, or is open at `location` for the bytes.
pub enum Upload {
    Mounted,
    Open { location: String },
}

enum Payload {
    Empty,
    Bytes(Bytes),
    /// Sent once: a stream cannot be replayed after a 401.
    Stream(Body),
}

impl Payload {
    fn take(&mut self) -> Body {
        match std::mem::replace(self, Payload::Empty) {
            Payload::Empty => empty_body(),
            Payload::Bytes(bytes) => {
                let body = bytes_body(bytes.clone());
                *self = Payload::Bytes(bytes);
                body
            }
            Payload::Stream(body) => body,
        }
    }

    fn replayable(&self) -> bool {
        !matches!(self, Payload::Stream(_))
    }
}

fn empty_body() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// A request body of bytes already in memory.
pub fn bytes_body(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

struct Token {
    value: String,
    expires: Instant,
}

/// A connection to one registry host with its credentials.
pub struct Registry {
    /// `host[:port]`, as operators name the registry.
    pub host: String,
    base: String,
    http: HttpClient<Body>,
    login: RegistryLogin,
    challenge: OnceCell<Challenge>,
    tokens: Mutex<HashMap<String, Token>>,
}

impl Registry {
    /// A client for `host`; `plain_http` speaks HTTP instead of HTTPS.
    pub fn new(host: &str, plain_http: bool, login: RegistryLogin) -> Arc<Registry> {
        let scheme = if plain_http { "http" } else { "https" };
        Arc::new(Registry {
            host: host.to_string(),
            base: format!("{scheme}://{host}"),
            http: HttpClient::new(),
            login,
            challenge: OnceCell::new(),
            tokens: Mutex::new(HashMap::new()),
        })
    }

    /// Where the credentials for this registry came from, for error messages.
    pub fn credentials_origin(&self) -> Option<&str> {
        (self.login.credentials != Credentials::Anonymous).then_some(self.login.origin.as_str())
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v2/{path}", self.base)
    }

    /// The manifest `reference` (tag or digest) of `repository`, checked
    /// against its digest.
    pub async fn manifest(&self, repository: &str, reference: &str) -> Result<Manifest> {
        let what = || format!("manifest {}/{repository}:{reference}", self.host);
        let url = self.url(&format!("{repository}/manifests/{reference}"));
        let headers = [(ACCEPT, MANIFEST_TYPES.join(", "))];
        let response = self
            .send(
                Method::GET,
                &url,
                &headers,
                Payload::Empty,
                &[scope(repository, Access::Pull)],
            )
            .await?;
        let response = expect(response, &[StatusCode::OK], &what).await?;
        let media_type = header(response.headers(), CONTENT_TYPE.as_str())
            .map(|t| t.split(';').next().unwrap_or_default().trim().to_string());
        let bytes = Limited::new(response.into_body(), MAX_MANIFEST_BYTES)
            .collect()
            .await
            .map_err(|e| transport(&format!("reading {}", what()), &*e))?
            .to_bytes();
        let digest = Digest::of(&bytes);
        if reference.starts_with("sha256:") && digest.as_str() != reference {
            return Err(RegistryError::new(
                ErrorKind::Other,
                format!("{} has digest {digest}, not the one asked for", what()),
            ));
        }
        let media_type = match media_type.filter(|t| MANIFEST_TYPES.contains(&t.as_str())) {
            Some(t) => t,
            None => embedded_media_type(&bytes).ok_or_else(|| {
                RegistryError::new(
                    ErrorKind::Other,
                    format!("{} is not an image manifest or index tare can copy", what()),
                )
            })?,
        };
        Ok(Manifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// The digest `reference` resolves to, or None when it does not exist.
    pub async fn manifest_digest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<Option<Digest>> {
        let what = || format!("manifest {}/{repository}:{reference}", self.host);
        let url = self.url(&format!("{repository}/manifests/{reference}"));
        let headers = [(ACCEPT, MANIFEST_TYPES.join(", "))];
        let response = self
            .send(
                Method::HEAD,
                &url,
                &headers,
                Payload::Empty,
                &[scope(repository, Access::Pull)],
            )
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response = expect(response, &[StatusCode::OK], &what).await?;
        match header(response.headers(), "docker-content-digest") {
            Some(digest) => Ok(Some(Digest::parse(&digest).map_err(|e| {
                RegistryError::new(ErrorKind::Other, format!("{}: {e}", what()))
            })?)),
            // Without the header, only a GET tells the digest.
            None => Ok(Some(self.manifest(repository, reference).await?.digest)),
        }
    }

    /// Stores `manifest` under `reference` (its digest, or a tag).
    pub async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        manifest: &Manifest,
    ) -> Result<()> {
        let what = || format!("pushing manifest {}/{repository}:{reference}", self.host);
        let url = self.url(&format!("{repository}/manifests/{reference}"));
        let headers = [(CONTENT_TYPE, manifest.media_type.clone())];
        let payload = Payload::Bytes(manifest.bytes.clone());
        let response = self
            .send(
                Method::PUT,
                &url,
                &headers,
                payload,
                &[scope(repository, Access::Push)],
            )
            .await?;
        expect(response, &[StatusCode::CREATED, StatusCode::OK], &what).await?;
        Ok(())
    }

    pub async fn has_blob(&self, repository: &str, digest: &Digest) -> Result<bool> {
        let what = || format!("blob {}/{repository}@{digest}", self.host);
        let url = self.url(&format!("{repository}/blobs/{digest}"));
        let response = self
            .send(
                Method::HEAD,
                &url,
                &[],
                Payload::Empty,
                &[scope(repository, Access::Pull)],
            )
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        expect(response, &[StatusCode::OK], &what).await?;
        Ok(true)
    }

    /// The blob's content as a stream, following a redirect to storage.
    pub async fn blob(&self, repository: &str, digest: &Digest) -> Result<Incoming> {
        let what = || format!("blob {}/{repository}@{digest}", self.host);
        let url = self.url(&format!("{repository}/blobs/{digest}"));
        let response = self
            .send(
                Method::GET,
                &url,
                &[],
                Payload::Empty,
                &[scope(repository, Access::Pull)],
            )
            .await?;
        let response = if response.status().is_redirection() {
            let location = header(response.headers(), LOCATION.as_str()).ok_or_else(|| {
                RegistryError::new(
                    ErrorKind::Other,
                    format!("{}: redirect without a Location", what()),
                )
            })?;
            // Storage URLs carry their own signature: no registry credentials go there.
            let request = Request::get(self.resolve(&location))
                .body(empty_body())
                .map_err(|e| RegistryError::new(ErrorKind::Other, format!("{}: {e}", what())))?;
            self.http
                .request(request)
                .await
                .map_err(|e| transport(&what(), &e))?
        } else {
            response
        };
        Ok(expect(response, &[StatusCode::OK], &what)
            .await?
            .into_body())
    }

    /// Opens an upload in `repository`, asking to mount `mount.0` from the
    /// repository `mount.1` of this registry first.
    pub async fn start_upload(
        &self,
        repository: &str,
        mount: Option<(&Digest, &str)>,
    ) -> Result<Upload> {
        let what = || format!("starting an upload to {}/{repository}", self.host);
        let mut path = format!("{repository}/blobs/uploads/");
        let mut scopes = vec![scope(repository, Access::Push)];
        if let Some((digest, from)) = mount {
            path.push_str(&format!("?mount={digest}&from={from}"));
            scopes.push(scope(from, Access::Pull));
        }
        let response = self
            .send(Method::POST, &self.url(&path), &[], Payload::Empty, &scopes)
            .await?;
        let response = expect(
            response,
            &[StatusCode::CREATED, StatusCode::ACCEPTED],
            &what,
        )
        .await?;
        if response.status() == StatusCode::CREATED {
            return Ok(Upload::Mounted);
        }
        let location = header(response.headers(), LOCATION.as_str()).ok_or_else(|| {
            RegistryError::new(
                ErrorKind::Other,
                format!("{}: no Location in the answer", what()),
            )
        })?;
        Ok(Upload::Open {
            location: self.resolve(&location),
        })
    }

    /// Sends the whole blob in one PUT to an open upload, which the registry
    /// commits only if the bytes hash to `digest`.
    pub async fn finish_upload(
        &self,
        repository: &str,
        location: &str,
        digest: &Digest,
        size: u64,
        body: Body,
    ) -> Result<()> {
        let what = || format!("uploading blob {digest} to {}/{repository}", self.host);
        let separator = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{separator}digest={digest}");
        let headers = [
            (CONTENT_TYPE, "application/octet-stream".to_string()),
            (CONTENT_LENGTH, size.to_string()),
        ];
        let response = self
            .send(
                Method::PUT,
                &url,
                &headers,
                Payload::Stream(body),
                &[scope(repository, Access::Push)],
            )
            .await?;
        expect(response, &[StatusCode::CREATED], &what).await?;
        Ok(())
    }

    /// An absolute URL for a Location header, which may be relative.
    fn resolve(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else {
            format!("{}{location}", self.base)
        }
    }

    /// Sends one request with the authorization the registry wants for
    /// `scopes`; a 401 on a replayable request gets one more try with fresh
    /// credentials (an expired token).
    async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(http::HeaderName, String)],
        mut payload: Payload,
        scopes: &[String],
    ) -> Result<Response<Incoming>> {
        let mut fresh = false;
        loop {
            let authorization = self.authorization(scopes, fresh).await?;
            let mut request = Request::builder().method(method.clone()).uri(url);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            if let Some(authorization) = authorization {
                request = request.header(AUTHORIZATION, authorization);
            }
            let request = request.body(payload.take()).map_err(|e| {
                RegistryError::new(ErrorKind::Other, format!("{method} {url}: {e}"))
            })?;
            let response = self
                .http
                .request(request)
                .await
                .map_err(|e| transport(&format!("{method} {url}"), &e))?;
            if response.status() != StatusCode::UNAUTHORIZED || fresh || !payload.replayable() {
                return Ok(response);
            }
            fresh = true;
        }
    }

    /// How the registry wants to be authenticated, asked once (`GET /v2/`).
    async fn challenge(&self) -> Result<&Challenge> {
        self.challenge
            .get_or_try_init(|| async {
                let url = self.url("");
                let request = Request::get(&url)
                    .body(empty_body())
                    .map_err(|e| RegistryError::new(ErrorKind::Other, format!("GET {url}: {e}")))?;
                let response = self
                    .http
                    .request(request)
                    .await
                    .map_err(|e| transport(&format!("GET {url}"), &e))?;
                match response.status() {
                    StatusCode::UNAUTHORIZED => {
                        Ok(header(response.headers(), WWW_AUTHENTICATE.as_str())
                            .and_then(|h| Challenge::parse(&h))
                            .unwrap_or(Challenge::Basic))
                    }
                    status if status.is_success() => Ok(Challenge::None),
                    _ => {
                        let what = || format!("{} is not an OCI registry (GET {url})", self.host);
                        expect(response, &[], &what).await.map(|_| Challenge::None)
                    }
                }
            })
            .await
    }

    /// The `Authorization` header for a request needing `scopes`.
    async fn authorization(&self, scopes: &[String], fresh: bool) -> Result<Option<String>> {
        match self.challenge().await? {
            Challenge::None => Ok(None),
            Challenge::Basic => Ok(self.login.credentials.basic_header()),
            Challenge::Bearer { realm, service } => {
                let key = scopes.join(" ");
                if !fresh {
                    let tokens = self.tokens.lock().expect("token cache lock");
                    if let Some(token) = tokens.get(&key).filter(|t| t.expires > Instant::now()) {
                        return Ok(Some(format!("Bearer {}", token.value)));
                    }
                }
                let token = self.fetch_token(realm, service.as_deref(), scopes).await?;
                let header = format!("Bearer {}", token.value);
                self.tokens
                    .lock()
                    .expect("token cache lock")
                    .insert(key, token);
                Ok(Some(header))
            }
        }
    }

    /// The distribution token flow: credentials go to the realm, never to the
    /// registry itself; an identity token is traded with OAuth2's refresh grant.
    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
    ) -> Result<Token> {
        let what = || format!("getting a token for {} from {realm}", self.host);
        let mut query: Vec<(&str, &str)> = scopes.iter().map(|s| ("scope", s.as_str())).collect();
        if let Some(service) = service {
            query.push(("service", service));
        }
        let request = match &self.login.credentials {
            Credentials::IdentityToken(refresh) => {
                let mut form = query.clone();
                form.extend([
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.as_str()),
                    ("client_id", "tare"),
                ]);
                Request::post(realm)
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(bytes_body(Bytes::from(encode_query(&form))))
            }
            credentials => {
                let separator = if realm.contains('?') { '&' } else { '?' };
                let mut request =
                    Request::get(format!("{realm}{separator}{}", encode_query(&query)));
                if let Some(basic) = credentials.basic_header() {
                    request = request.header(AUTHORIZATION, basic);
                }
                request.body(empty_body())
            }
        }
        .map_err(|e| RegistryError::new(ErrorKind::Other, format!("{}: {e}", what())))?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| transport(&what(), &e))?;
        let response = expect(response, &[StatusCode::OK], &what).await?;
        let body = Limited::new(response.into_body(), MAX_ERROR_BODY_BYTES)
            .collect()
            .await
            .map_err(|e| transport(&what(), &*e))?
            .to_bytes();
        #[derive(serde::Deserialize)]
        struct Answer {
            token: Option<String>,
            access_token: Option<String>,
            expires_in: Option<u64>,
        }
        let answer: Answer = serde_json::from_slice(&body).map_err(|_| {
            RegistryError::new(
                ErrorKind::Other,
                format!("{}: the answer is not a token", what()),
            )
        })?;
        let value = answer.token.or(answer.access_token).ok_or_else(|| {
            RegistryError::new(
                ErrorKind::Other,
                format!("{}: the answer holds no token", what()),
            )
        })?;
        // Renew a little early; the spec's default lifetime is 60 seconds.
        let lifetime =
            Duration::from_secs(answer.expires_in.unwrap_or(60).saturating_sub(10).max(10));
        Ok(Token {
            value,
            expires: Instant::now() + lifetime,
        })
    }
}

/// Passes a response with an expected status; turns any other into an error
/// that says what was attempted and what the registry answered.
async fn expect(
    response: Response<Incoming>,
    ok: &[StatusCode],
    what: &(dyn Fn() -> String + Sync),
) -> Result<Response<Incoming>> {
    let status = response.status();
    if ok.contains(&status) {
        return Ok(response);
    }
    let retry_after = header(response.headers(), RETRY_AFTER.as_str())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let detail = match Limited::new(response.into_body(), MAX_ERROR_BODY_BYTES)
        .collect()
        .await
    {
        Ok(body) => describe_body(&body.to_bytes()),
        Err(_) => String::new(),
    };
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    };
    Err(RegistryError::new(
        kind_of_status(status.as_u16(), retry_after),
        format!("{}: {status}{detail}", what()),
    ))
}

fn transport(what: &str, error: &(dyn std::error::Error + 'static)) -> RegistryError {
    let kind = if is_tls_failure(error) {
        ErrorKind::Tls
    } else {
        ErrorKind::Transport
    };
    let mut message = format!("{what}: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    RegistryError::new(kind, message)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_string)
}

/// The `mediaType` a manifest declares in its JSON, for registries that serve
/// a generic Content-Type.
fn embedded_media_type(bytes: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let declared = value.get("mediaType").and_then(|m| m.as_str());
    match declared {
        Some(t) if MANIFEST_TYPES.contains(&t) => Some(t.to_string()),
        Some(_) => None,
        // OCI allows leaving mediaType out; the shape tells index from manifest.
        None if value.get("manifests").is_some() => Some(MANIFEST_TYPES[0].to_string()),
        None if value.get("layers").is_some() => Some(MANIFEST_TYPES[1].to_string()),
        None => None,
    }
}

/// `application/x-www-form-urlencoded` encoding of pairs.
fn encode_query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    use super::*;

    /// A request the fake registry saw.
    #[derive(Debug, Clone)]
    struct Seen {
        target: String,
        authorization: Option<String>,
    }

    /// A stand-in registry on loopback that speaks just enough HTTP/1.1:
    /// `answer` turns each request into a raw response (status line and
    /// headers; no body). Returns its `host:port` and what it saw.
    async fn fake_registry(
        answer: impl Fn(&str, &Seen) -> String + Send + Sync + 'static,
    ) -> (String, Arc<Mutex<Vec<Seen>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (answer, log, me) = (Arc::new(answer), seen.clone(), host.clone());
        tokio::spawn(async move {
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                let (answer, log, me) = (answer.clone(), log.clone(), me.clone());
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    while let Ok(Some(request_line)) = lines.next_line().await {
                        let target = request_line
                            .split(' ')
                            .nth(1)
                            .unwrap_or_default()
                            .to_string();
                        let mut authorization = None;
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line.is_empty() {
                                break;
                            }
                            if let Some(value) = line.strip_prefix("authorization: ") {
                                authorization = Some(value.to_string());
                            }
                        }
                        let request = Seen {
                            target,
                            authorization,
                        };
                        log.lock().unwrap().push(request.clone());
                        let response = answer(&me, &request);
                        if write.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (host, seen)
    }

    fn login(username: &str, password: &str) -> RegistryLogin {
        RegistryLogin {
            credentials: Credentials::Basic {
                username: username.into(),
                password: password.into(),
            },
            origin: "test".into(),
        }
    }

    const BLOB: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[tokio::test]
    async fn the_token_flow_sends_credentials_to_the_realm_only_and_reuses_the_token() {
        let basic = login("ws-1", "jwt").credentials.basic_header().unwrap();
        let expected_basic = basic.clone();
        let (host, seen) = fake_registry(move |me, request| {
            let ok = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".to_string();
            match request.target.as_str() {
                "/v2/" => format!(
                    "HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer realm=\"http://{me}/token\",service=\"fake\"\r\ncontent-length: 0\r\n\r\n"
                ),
                "/token?scope=repository%3Aapp%3Apull&service=fake"
                    if request.authorization.as_deref() == Some(expected_basic.as_str()) =>
                {
                    let body = r#"{"token":"t0k","expires_in":300}"#;
                    format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len())
                }
                _ if request.authorization.as_deref() == Some("Bearer t0k") => ok,
                _ => "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n".to_string(),
            }
        })
        .await;
        let registry = Registry::new(&host, true, login("ws-1", "jwt"));
        let digest = Digest::parse(BLOB).unwrap();
        assert!(registry.has_blob("app", &digest).await.unwrap());
        assert!(registry.has_blob("app", &digest).await.unwrap());
        let seen = seen.lock().unwrap().clone();
        let token_requests = seen
            .iter()
            .filter(|s| s.target.starts_with("/token"))
            .count();
        assert_eq!(token_requests, 1, "the token is cached: {seen:?}");
        for request in seen.iter().filter(|s| !s.target.starts_with("/token")) {
            assert_ne!(
                request.authorization.as_deref(),
                Some(basic.as_str()),
                "{seen:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_registry_without_tls_reached_over_https_is_a_tls_failure() {
        let (host, _) = fake_registry(|_, _| "HTTP/1.1 400 Bad Request\r\n\r\n".to_string()).await;
        let registry = Registry::new(&host, false, login("u", "p"));
        let error = registry
            .has_blob("app", &Digest::parse(BLOB).unwrap())
            .await
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::Tls, "{error}");
    }

    #[test]
    fn scopes_ask_for_the_least_access() {
        assert_eq!(scope("a/b", Access::Pull), "repository:a/b:pull");
        assert_eq!(scope("a/b", Access::Push), "repository:a/b:pull,push");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode_query(&[("scope", "repository:a/b:pull,push"), ("service", "r x")]),
            "scope=repository%3Aa%2Fb%3Apull%2Cpush&service=r%20x"
        );
    }

    #[test]
    fn a_manifest_without_media_type_is_known_by_its_shape() {
        assert_eq!(
            embedded_media_type(br#"{"schemaVersion":2,"manifests":[]}"#).as_deref(),
            Some("application/vnd.oci.image.index.v1+json")
        );
        assert_eq!(embedded_media_type(br#"{"mediaType":"text/plain"}"#), None);
    }
}
