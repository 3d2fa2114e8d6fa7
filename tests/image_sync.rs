//! `tare install --image-sync`, against the two real local registries.
//!
//! Each test seeds a source of its own (`<registry>/<unique prefix>/src`) with
//! images it builds itself: multi-platform OCI indexes, Docker manifest lists
//! and single-platform manifests, with random gzip layers and one base layer
//! they all share. They sit at the repositories and tags the embedded chart
//! pins (taken from `tare install --print-images`), so the real
//! `tare install fixtures/identity.json --image-registry <src> --image-sync <dst>
//! --sync-only` runs end to end: `--image-registry` names the source when
//! `--image-sync` is set, as the install reference says.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use rand::RngCore;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use common::{fixture, required_env};

// ---------------------------------------------------------------- seeding

/// The shapes of image the chart's images are seeded as, in turn.
#[derive(Clone, Copy)]
enum Shape {
    OciIndex,
    DockerList,
    OciSingle,
    DockerSingle,
}

const SHAPES: [Shape; 4] = [
    Shape::OciIndex,
    Shape::DockerList,
    Shape::OciSingle,
    Shape::DockerSingle,
];

struct MediaTypes {
    manifest: &'static str,
    config: &'static str,
    layer: &'static str,
    index: &'static str,
}

const OCI: MediaTypes = MediaTypes {
    manifest: "application/vnd.oci.image.manifest.v1+json",
    config: "application/vnd.oci.image.config.v1+json",
    layer: "application/vnd.oci.image.layer.v1.tar+gzip",
    index: "application/vnd.oci.image.index.v1+json",
};

const DOCKER: MediaTypes = MediaTypes {
    manifest: "application/vnd.docker.distribution.manifest.v2+json",
    config: "application/vnd.docker.container.image.v1+json",
    layer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
    index: "application/vnd.docker.distribution.manifest.list.v2+json",
};

fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// A gzip layer of `size` random bytes, and its uncompressed digest (diff id).
fn random_layer(size: usize) -> (Vec<u8>, String) {
    let mut raw = vec![0u8; size];
    rand::thread_rng().fill_bytes(&mut raw);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    (gz.finish().unwrap(), sha256(&raw))
}

/// Pushes one repository's content straight through the registry API with
/// curl, so the seeding shares no code with tare.
struct Seeder {
    /// `http://host:port/v2/<repository>`.
    base: String,
}

fn curl(args: &[&str], body: &[u8]) -> String {
    let mut child = Command::new("curl")
        .args(["-sS", "--fail-with-body", "-D", "-", "-o", "/dev/null"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run curl");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

impl Seeder {
    /// `image` is `host:port/repository:tag` on the anonymous registry.
    fn new(image: &str) -> Seeder {
        let (host, rest) = image.split_once('/').unwrap();
        let repository = rest.rsplit_once(':').unwrap().0;
        Seeder {
            base: format!("http://{host}/v2/{repository}"),
        }
    }

    /// Uploads a blob; returns its descriptor.
    fn blob(&self, media_type: &str, bytes: &[u8]) -> Value {
        let digest = sha256(bytes);
        let headers = curl(
            &["-X", "POST", &format!("{}/blobs/uploads/", self.base)],
            b"",
        );
        let location = headers
            .lines()
            .find_map(|l| {
                l.strip_prefix("Location: ")
                    .or_else(|| l.strip_prefix("location: "))
            })
            .expect("upload location")
            .trim();
        let separator = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{separator}digest={digest}");
        curl(
            &[
                "-X",
                "PUT",
                "-H",
                "Content-Type: application/octet-stream",
                "--data-binary",
                "@-",
                &url,
            ],
            bytes,
        );
        json!({ "mediaType": media_type, "digest": digest, "size": bytes.len() })
    }

    /// Pushes a manifest under `reference`; returns its descriptor.
    fn manifest(&self, media_type: &str, manifest: &Value, reference: Option<&str>) -> Value {
        let bytes = serde_json::to_vec(manifest).unwrap();
        let digest = sha256(&bytes);
        let url = format!("{}/manifests/{}", self.base, reference.unwrap_or(&digest));
        let content_type = format!("Content-Type: {media_type}");
        curl(
            &[
                "-X",
                "PUT",
                "-H",
                &content_type,
                "--data-binary",
                "@-",
                &url,
            ],
            &bytes,
        );
        json!({ "mediaType": media_type, "digest": digest, "size": bytes.len() })
    }

    /// A single-platform manifest over the shared base layer and one of its own.
    fn platform_image(
        &self,
        types: &MediaTypes,
        arch: &str,
        base: &(Vec<u8>, String),
        layer_size: usize,
        tag: Option<&str>,
    ) -> Value {
        let own = random_layer(layer_size);
        let config = json!({
            "architecture": arch, "os": "linux",
            "config": { "Env": [format!("SEED={}", rand::random::<u64>())] },
            "rootfs": { "type": "layers", "diff_ids": [base.1, own.1] },
        });
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": types.manifest,
            "config": self.blob(types.config, &serde_json::to_vec(&config).unwrap()),
            "layers": [self.blob(types.layer, &base.0), self.blob(types.layer, &own.0)],
        });
        self.manifest(types.manifest, &manifest, tag)
    }

    /// Builds the image in `shape` and tags it `tag`.
    fn image(&self, shape: Shape, tag: &str, base: &(Vec<u8>, String), layer_size: usize) {
        let (types, platforms): (&MediaTypes, &[&str]) = match shape {
            Shape::OciIndex => (&OCI, &["amd64", "arm64"]),
            Shape::DockerList => (&DOCKER, &["amd64", "arm64"]),
            Shape::OciSingle => (&OCI, &[]),
            Shape::DockerSingle => (&DOCKER, &[]),
        };
        if platforms.is_empty() {
            self.platform_image(types, "amd64", base, layer_size, Some(tag));
            return;
        }
        let manifests: Vec<Value> = platforms
            .iter()
            .map(|arch| {
                let mut descriptor = self.platform_image(types, arch, base, layer_size, None);
                descriptor["platform"] = json!({ "architecture": arch, "os": "linux" });
                descriptor
            })
            .collect();
        let index = json!({ "schemaVersion": 2, "mediaType": types.index, "manifests": manifests });
        self.manifest(types.index, &index, Some(tag));
    }
}

fn skopeo(args: &[&str]) -> Output {
    let output = Command::new(required_env("SKOPEO"))
        .args(args)
        .output()
        .expect("run skopeo");
    assert!(
        output.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `host:port` of the anonymous test registry.
fn anonymous_registry() -> String {
    required_env("TARE_TEST_REGISTRY")
}

fn auth_registry() -> (String, String, String) {
    (
        required_env("TARE_TEST_AUTH_REGISTRY"),
        required_env("TARE_TEST_AUTH_REGISTRY_USER"),
        required_env("TARE_TEST_AUTH_REGISTRY_PASSWORD"),
    )
}

/// A registry path no other test (or earlier run) uses.
fn unique_path(registry: &str, test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{registry}/sync-{test}-{}-{nanos}", std::process::id())
}

/// Seeds `source` with every image the embedded chart uses (`extra_flags`
/// choose which); returns their source references. `skip` leaves one out.
fn seed_source(
    source: &str,
    extra_flags: &[&str],
    layer_size: usize,
    skip: Option<&str>,
) -> Vec<String> {
    let mut args = vec!["--image-registry", source, "--print-images"];
    args.extend_from_slice(extra_flags);
    let listed = tare_ok(&args, &empty_docker_config());
    let images: Vec<String> = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .filter(|line| !line.contains("/serve-helm:"))
        .map(str::to_string)
        .collect();
    let base = random_layer(layer_size);
    for (n, image) in images.iter().enumerate() {
        if skip.is_some_and(|s| image.contains(s)) {
            continue;
        }
        let tag = image.rsplit(':').next().unwrap();
        Seeder::new(image).image(SHAPES[n % SHAPES.len()], tag, &base, layer_size);
    }
    images
}

// ---------------------------------------------------------------- running tare

/// A DOCKER_CONFIG directory with the given `config.json`.
fn docker_config(config: Value) -> PathBuf {
    let dir = tempfile::tempdir().unwrap().keep();
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec(&config).unwrap(),
    )
    .unwrap();
    dir
}

fn empty_docker_config() -> PathBuf {
    docker_config(json!({}))
}

fn docker_login_for(registry: &str, user: &str, password: &str) -> PathBuf {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    docker_config(json!({ "auths": { registry: { "auth": auth } } }))
}

fn tare_command(args: &[&str], docker_config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tare"));
    command
        .arg("install")
        .arg(fixture("identity.json"))
        .args(args)
        .env("DOCKER_CONFIG", docker_config)
        .env_remove("REGISTRY_URL");
    command
}

fn tare(args: &[&str], docker_config: &Path) -> Output {
    tare_command(args, docker_config)
        .output()
        .expect("run tare")
}

fn tare_ok(args: &[&str], docker_config: &Path) -> Output {
    let output = tare(args, docker_config);
    assert!(
        output.status.success(),
        "tare {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `tare install identity --image-registry SOURCE --image-sync DEST --sync-only [FLAGS]`.
fn sync_command(source: &str, destination: &str, flags: &[&str], docker_config: &Path) -> Command {
    let mut args = vec![
        "--image-registry",
        source,
        "--image-sync",
        destination,
        "--sync-only",
    ];
    args.extend_from_slice(flags);
    tare_command(&args, docker_config)
}

fn sync(source: &str, destination: &str, docker_config: &Path) -> Output {
    sync_command(source, destination, &[], docker_config)
        .output()
        .expect("run tare")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The numbers of the closing summary: (blobs copied, blobs present, blobs mounted).
fn summary_counts(stderr: &str) -> (u64, u64, u64) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("Image sync complete: "))
        .unwrap_or_else(|| panic!("no summary in:\n{stderr}"));
    let count = |pattern: &str| -> u64 {
        regex::Regex::new(pattern)
            .unwrap()
            .captures(line)
            .map_or(0, |c| c[1].parse().unwrap())
    };
    (
        count(r"(\d+) blobs copied"),
        count(r"(\d+) present"),
        count(r"(\d+) mounted"),
    )
}

/// The raw manifest `reference` serves.
fn raw_manifest(reference: &str, creds: Option<&str>) -> Vec<u8> {
    let target = format!("docker://{reference}");
    let mut args = vec!["inspect", "--raw", "--tls-verify=false", target.as_str()];
    if let Some(creds) = creds {
        args.extend(["--creds", creds]);
    }
    skopeo(&args).stdout
}

/// Requires `destination` to serve byte-identical manifests to `source` for
/// every image, and for every platform manifest of the indexes.
fn assert_identical(images: &[String], source: &str, destination: &str, creds: Option<&str>) {
    for image in images {
        let copy = image.replacen(source, destination, 1);
        let (original, copied) = (raw_manifest(image, None), raw_manifest(&copy, creds));
        assert_eq!(
            sha256(&original),
            sha256(&copied),
            "{copy} differs from {image}"
        );
        let parsed: Value = serde_json::from_slice(&original).unwrap();
        let repository = copy.rsplit_once(':').unwrap().0;
        for child in parsed["manifests"].as_array().into_iter().flatten() {
            let digest = child["digest"].as_str().unwrap();
            let served = raw_manifest(&format!("{repository}@{digest}"), creds);
            assert_eq!(sha256(&served), digest, "{repository}@{digest}");
        }
    }
}

// ---------------------------------------------------------------- tests

#[test]
fn a_sync_copies_every_image_by_digest_and_the_chart_as_a_helm_artifact() {
    let registry = anonymous_registry();
    let base = unique_path(&registry, "full");
    let (source, destination) = (format!("{base}/src"), format!("{base}/dst"));
    let images = seed_source(&source, &[], 32 << 10, None);
    let config = empty_docker_config();

    let first = sync(&source, &destination, &config);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        first.stdout.is_empty(),
        "nothing but --print-* output goes to stdout"
    );
    let log = stderr(&first);
    assert!(
        log.starts_with(&format!("Syncing images {source} → {destination}\n")),
        "{log}"
    );
    for image in &images {
        assert!(
            log.contains(&format!("  copied {image} → ")),
            "{image} in\n{log}"
        );
    }
    let (copied, _, mounted) = summary_counts(&log);
    assert!(copied > 0, "{log}");
    assert!(
        mounted > 0,
        "the shared base layer is mounted across repositories:\n{log}"
    );
    assert_identical(&images, &source, &destination, None);

    let again = sync(&source, &destination, &config);
    assert!(again.status.success(), "{}", stderr(&again));
    let log = stderr(&again);
    assert_eq!(
        summary_counts(&log).0,
        0,
        "a second run copies no blob:\n{log}"
    );
    assert_eq!(
        log.matches(": up to date").count(),
        images.len() + 1,
        "{log}"
    );

    assert_chart_pullable_and_identical(&destination);
}

/// The chart at `destination` comes back through helm v4 as the very package
/// tare embeds, and renders like `tare template` of the embedded chart.
fn assert_chart_pullable_and_identical(destination: &str) {
    let dir = tempfile::tempdir().unwrap();
    let version = tare::version::chart_version();
    let helm = |args: &[&str]| {
        let output = Command::new(required_env("HELM4"))
            .args(args)
            .current_dir(dir.path())
            .env("HELM_CACHE_HOME", dir.path().join("cache"))
            .env("HELM_CONFIG_HOME", dir.path().join("config"))
            .env("HELM_DATA_HOME", dir.path().join("data"))
            .output()
            .expect("run helm");
        assert!(
            output.status.success(),
            "helm {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    let chart = format!("oci://{destination}/serve-helm");
    std::fs::create_dir(dir.path().join("pulled")).unwrap();
    helm(&[
        "pull",
        &chart,
        "--version",
        version,
        "--plain-http",
        "-d",
        "pulled",
    ]);
    let pulled =
        std::fs::read(dir.path().join(format!("pulled/serve-helm-{version}.tgz"))).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_tare"))
        .args(["chart", "export", "embedded.tgz"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        pulled,
        std::fs::read(dir.path().join("embedded.tgz")).unwrap(),
        "same package bytes"
    );

    let values = tare_ok(&["--print-helm-values"], &empty_docker_config()).stdout;
    std::fs::write(dir.path().join("values.yaml"), values).unwrap();
    let pulled_tgz = format!("pulled/serve-helm-{version}.tgz");
    let by_helm = helm(&[
        "template",
        "tars",
        &pulled_tgz,
        "-n",
        "tars-system",
        "-f",
        "values.yaml",
    ]);
    let by_tare = Command::new(env!("CARGO_BIN_EXE_tare"))
        .args([
            "template",
            "tars",
            "embedded.tgz",
            "-n",
            "tars-system",
            "-f",
            "values.yaml",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(by_tare.status.success(), "{}", stderr(&by_tare));
    assert_eq!(
        String::from_utf8(by_helm).unwrap(),
        String::from_utf8(by_tare.stdout).unwrap()
    );

    match tare::version::release_tag() {
        Some(tag) => {
            raw_manifest(&format!("{destination}/serve-helm:{tag}"), None);
        }
        None => {
            let tags = skopeo(&[
                "list-tags",
                "--tls-verify=false",
                &format!("docker://{destination}/serve-helm"),
            ]);
            let tags: Value = serde_json::from_slice(&tags.stdout).unwrap();
            assert_eq!(
                tags["Tags"],
                json!([tare::version::chart_oci_tag()]),
                "dev builds push one tag"
            );
        }
    }
}

#[test]
fn an_interrupted_sync_is_completed_by_the_next_run() {
    let registry = anonymous_registry();
    let base = unique_path(&registry, "resume");
    let (source, destination) = (format!("{base}/src"), format!("{base}/dst"));
    let guardrails = ["--enable-guardrails"];
    let images = seed_source(&source, &guardrails, 1 << 20, None);
    let config = empty_docker_config();

    let mut first = sync_command(&source, &destination, &guardrails, &config)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(first.stderr.take().unwrap()).lines();
    let finished_one = lines
        .by_ref()
        .map(Result::unwrap)
        .find(|line| line.starts_with("  copied "));
    assert!(
        finished_one.is_some(),
        "the first run never finished an image"
    );
    first.kill().unwrap();
    first.wait().unwrap();

    let second = sync_command(&source, &destination, &guardrails, &config)
        .output()
        .unwrap();
    let log = stderr(&second);
    assert!(second.status.success(), "{log}");
    let (copied, present, _) = summary_counts(&log);
    assert!(copied > 0, "the interrupted run left work to do:\n{log}");
    assert!(
        present + log.matches(": up to date").count() as u64 > 0,
        "what the first run copied is kept:\n{log}"
    );
    assert_identical(&images, &source, &destination, None);
}

#[test]
fn a_wrong_destination_password_names_the_registry_and_docker_login() {
    let (auth, user, password) = auth_registry();
    let source = format!("{}/src", unique_path(&anonymous_registry(), "authfail"));
    seed_source(&source, &[], 1024, None);
    let destination = unique_path(&auth, "authfail");
    let wrong = format!("{password}-wrong");
    let output = sync(
        &source,
        &destination,
        &docker_login_for(&auth, &user, &wrong),
    );
    assert_eq!(output.status.code(), Some(1));
    let log = stderr(&output);
    assert!(
        log.contains(&format!(
            "the destination registry {auth} did not accept docker config"
        )),
        "{log}"
    );
    assert!(log.contains(&format!("run docker login {auth}")), "{log}");
    assert_no_secret(&output, &[&wrong, &password]);
}

#[test]
fn destination_credentials_come_from_a_docker_credential_helper() {
    let (auth, user, password) = auth_registry();
    let base = unique_path(&anonymous_registry(), "helper");
    let source = format!("{base}/src");
    let images = seed_source(&source, &[], 1024, None);
    let destination = unique_path(&auth, "helper");
    let config = docker_config(json!({ "credHelpers": { auth.as_str(): "tare-test" } }));
    let helper = config.join("docker-credential-tare-test");
    let answer = json!({ "ServerURL": auth, "Username": user, "Secret": password });
    std::fs::write(
        &helper,
        format!("#!/bin/sh\ncat >/dev/null\necho '{answer}'\n"),
    )
    .unwrap();
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&helper, executable).unwrap();
    let path = format!("{}:{}", config.display(), std::env::var("PATH").unwrap());

    let output = sync_command(&source, &destination, &[], &config)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_identical(
        &images,
        &source,
        &destination,
        Some(&format!("{user}:{password}")),
    );
    assert_no_secret(&output, &[&password]);
}

#[test]
fn a_source_that_refuses_the_identity_token_says_to_regenerate_the_credential() {
    let (auth, _, _) = auth_registry();
    let source = unique_path(&auth, "srcauth");
    let destination = unique_path(&anonymous_registry(), "srcauth");
    let output = sync(&source, &destination, &empty_docker_config());
    assert_eq!(output.status.code(), Some(1));
    let log = stderr(&output);
    assert!(
        log.contains(&format!(
            "the source registry {auth} did not accept the token of identity file"
        )),
        "{log}"
    );
    assert!(log.contains("regenerate the credential"), "{log}");
    let identity: Value =
        serde_json::from_slice(&std::fs::read(fixture("identity.json")).unwrap()).unwrap();
    assert_no_secret(&output, &[identity["token"].as_str().unwrap()]);
}

#[test]
fn a_missing_source_image_is_named_with_the_registry_to_check() {
    let registry = anonymous_registry();
    let base = unique_path(&registry, "missing");
    let source = format!("{base}/src");
    seed_source(&source, &[], 1024, Some("/redis:"));
    let output = sync(&source, &format!("{base}/dst"), &empty_docker_config());
    assert_eq!(output.status.code(), Some(1));
    let log = stderr(&output);
    assert!(
        log.contains(&format!("image sync failed for {source}/redis:")),
        "{log}"
    );
    assert!(
        log.contains(&format!("the source registry {registry} has no such image")),
        "{log}"
    );
    assert!(log.contains("--image-registry"), "{log}");
}

#[test]
fn print_images_lists_pairs_and_copies_nothing() {
    let registry = anonymous_registry();
    let base = unique_path(&registry, "print");
    let output = tare_ok(
        &[
            "--image-registry",
            &format!("{base}/src"),
            "--image-sync",
            &format!("{base}/dst"),
            "--print-images",
        ],
        &empty_docker_config(),
    );
    let listed = String::from_utf8(output.stdout.clone()).unwrap();
    assert!(
        listed
            .lines()
            .all(|l| l.starts_with(&format!("{base}/src/"))
                && l.contains(&format!(" → {base}/dst/")))
    );
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
}

/// No secret appears anywhere in what tare printed.
fn assert_no_secret(output: &Output, secrets: &[&str]) {
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(output)
    );
    for secret in secrets {
        assert!(
            !printed.contains(secret),
            "a credential was printed:\n{printed}"
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(secret);
        assert!(
            !printed.contains(&encoded),
            "a credential was printed (base64):\n{printed}"
        );
    }
}

#[test]
fn insecure_registry_needs_image_sync() {
    let output = tare(&["--insecure-registry"], &empty_docker_config());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--insecure-registry requires --image-sync"));
}

#[test]
fn syncing_a_registry_onto_itself_is_refused() {
    let registry = unique_path(&anonymous_registry(), "self");
    let output = sync(&registry, &registry, &empty_docker_config());
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("is also the source registry"),
        "{}",
        stderr(&output)
    );
}
