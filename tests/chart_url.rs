//! `tare template <release> https://…/chart.tgz`: a chart archive made by real
//! helm v4, served over HTTPS by a server with its own CA, renders exactly as
//! `helm template` renders the same URL; a missing file, bytes that are no
//! chart and an untrusted certificate each fail in one line.

mod common;
mod https_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{assert_succeeded, helm};
use https_server::{HttpsServer, Response};

const PODINFO: &str = "/work/shared/corpus/podinfo/chart";
const PACKAGE_PATH: &str = "/charts/podinfo-6.14.1.tgz";

/// Serves the podinfo package helm made, a redirect to it, a file that is
/// not a chart, and 404 for anything else.
fn chart_server() -> HttpsServer {
    let scratch = tempfile::tempdir().unwrap();
    helm(
        "HELM4",
        &["package", PODINFO, "-d", scratch.path().to_str().unwrap()],
    );
    let package = std::fs::read(scratch.path().join("podinfo-6.14.1.tgz")).unwrap();
    HttpsServer::start(move |request| match request.path.as_str() {
        PACKAGE_PATH => answer(200, "application/gzip", package.clone()),
        "/latest.tgz" => Response {
            headers: vec![("location", PACKAGE_PATH.to_string())],
            ..answer(302, "text/plain", Vec::new())
        },
        "/charts/notes.tgz" => answer(200, "text/plain", b"just some text\n".to_vec()),
        _ => answer(404, "text/plain", b"404 page not found\n".to_vec()),
    })
}

fn answer(status: u16, content_type: &'static str, body: Vec<u8>) -> Response {
    Response {
        status,
        content_type,
        headers: Vec::new(),
        body,
    }
}

fn url(server: &HttpsServer, path: &str) -> String {
    format!("https://127.0.0.1:{}{path}", server.port)
}

/// podinfo's test hooks have random names: both renders leave them out.
const SKIP_TESTS: &str = "--skip-tests";

fn tare_template(chart_url: &str, ca_file: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tare"));
    command.args(["template", "rel", chart_url, SKIP_TESTS]);
    if let Some(ca_file) = ca_file {
        command.arg("--ca-file").arg(ca_file);
    }
    command.output().unwrap()
}

/// Asserts exit status 1 with one line on stderr, and returns that line.
fn failed_in_one_line(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(output.stdout.is_empty());
    stderr.trim_end().to_string()
}

#[test]
fn a_chart_url_renders_as_helm_renders_it() {
    let server = chart_server();
    let ca_file: PathBuf = server.ca_file();
    let chart_url = url(&server, PACKAGE_PATH);
    let helm_output = helm(
        "HELM4",
        &[
            "template",
            "rel",
            &chart_url,
            SKIP_TESTS,
            "--ca-file",
            ca_file.to_str().unwrap(),
        ],
    );
    let tare_output = tare_template(&chart_url, Some(&ca_file));
    let stderr = assert_succeeded("tare template <url>", &tare_output);
    assert!(
        stderr.starts_with(&format!("Downloaded {chart_url} (")),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8(tare_output.stdout).unwrap(),
        String::from_utf8(helm_output.stdout).unwrap()
    );
}

#[test]
fn a_redirect_is_followed_to_the_chart() {
    let server = chart_server();
    let direct = tare_template(&url(&server, PACKAGE_PATH), Some(&server.ca_file()));
    let redirected = tare_template(&url(&server, "/latest.tgz"), Some(&server.ca_file()));
    assert_succeeded("tare template <redirecting url>", &redirected);
    assert_eq!(
        String::from_utf8(redirected.stdout).unwrap(),
        String::from_utf8(direct.stdout).unwrap()
    );
}

#[test]
fn a_missing_file_fails_with_the_http_status() {
    let server = chart_server();
    let missing = url(&server, "/charts/podinfo-9.9.9.tgz");
    let line = failed_in_one_line(&tare_template(&missing, Some(&server.ca_file())));
    assert_eq!(
        line,
        format!("error: cannot download {missing}: HTTP 404 Not Found")
    );
}

#[test]
fn bytes_that_are_not_a_chart_archive_are_refused() {
    let server = chart_server();
    let notes = url(&server, "/charts/notes.tgz");
    let line = failed_in_one_line(&tare_template(&notes, Some(&server.ca_file())));
    assert_eq!(
        line,
        format!(
            "error: {notes} is not a chart archive: the content is not gzip (a .tgz is expected)"
        )
    );
}

#[test]
fn an_untrusted_certificate_names_the_host_and_the_flag_that_trusts_it() {
    let server = chart_server();
    let chart_url = url(&server, PACKAGE_PATH);
    let line = failed_in_one_line(&tare_template(&chart_url, None));
    assert_eq!(
        line,
        format!(
            "error: cannot download {chart_url}: the certificate of 127.0.0.1 is not trusted \
             (UnknownIssuer); give its CA bundle with --ca-file"
        )
    );
}
