//! Release records against the real cluster and the real helm binaries:
//! tare reads what helm v3 and v4 write (and prints it as helm v4 does, byte
//! for byte), and helm reads, lists, shows and rolls back what tare writes.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{TestNamespace, admin_client, fixture, helm, kubeconfig_path};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::ListParams;
use serde_json::{Value, json};
use tare::release::{GoTime, Release, SecretStore, Status, codec, gojson};

/// Runs the tare binary against the test cluster and returns its stdout.
fn tare(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tare"))
        .args(args)
        .env("KUBECONFIG", kubeconfig_path())
        .output()
        .expect("run tare");
    assert!(
        output.status.success(),
        "tare {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("tare prints UTF-8")
}

fn helm_stdout(which: &str, args: &[&str]) -> String {
    String::from_utf8(helm(which, args).stdout).expect("helm prints UTF-8")
}

/// helm walks its map of resource kinds in random order: sort the
/// `==> kind` blocks of `RESOURCES:` so two runs can be compared.
fn sorted_resource_blocks(status: &str) -> String {
    let Some((head, rest)) = status.split_once("RESOURCES:\n") else {
        return status.to_string();
    };
    // Then TEST SUITE, or NOTES when no test has run.
    let end = ["\n\nTEST SUITE:", "\n\nNOTES:"]
        .iter()
        .filter_map(|next| rest.find(next))
        .min()
        .unwrap_or(rest.len());
    let (resources, tail) = rest.split_at(end);
    let resources = resources.strip_prefix("==> ").unwrap_or(resources);
    let resources = without_ages(resources);
    let mut blocks: Vec<&str> = resources.split("\n==> ").collect();
    blocks.sort_unstable();
    format!("{head}RESOURCES:\n==> {}{tail}", blocks.join("\n==> "))
}

/// Objects age between the two calls (`9s` then `10s`): the AGE column is
/// blanked out in both outputs, its width kept.
fn without_ages(resources: &str) -> String {
    let is_age = |token: &str| {
        !token.is_empty()
            && token.chars().next().is_some_and(|c| c.is_ascii_digit())
            && token
                .chars()
                .all(|c| c.is_ascii_digit() || "smhdy".contains(c))
            && token.chars().last().is_some_and(|c| "smhdy".contains(c))
    };
    resources
        .lines()
        .map(|line| match line.rsplit_once(' ') {
            Some((start, last)) if is_age(last) => format!("{start} {}", "~".repeat(last.len())),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Compares tare's and helm's output of one command. Live objects age and
/// change between the two calls, so a mismatch is retried a few times.
async fn assert_same(tare_args: &[&str], helm_args: &[&str]) {
    let mut last = (String::new(), String::new());
    for _ in 0..8 {
        let ours = sorted_resource_blocks(&tare(tare_args));
        let theirs = sorted_resource_blocks(&helm_stdout("HELM4", helm_args));
        if ours == theirs {
            return;
        }
        last = (ours, theirs);
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert_eq!(
        last.0, last.1,
        "tare {tare_args:?} differs from helm v4 {helm_args:?}"
    );
}

/// Every read-only command in every output mode prints what helm v4 prints.
async fn assert_commands_match_helm_v4(namespace: &str, release: &str) {
    let target = ["-n", namespace, "--release-name", release];
    for output in ["table", "json", "yaml"] {
        let mode = ["-o", output];
        let helm_target = [release, "-n", namespace, "-o", output];
        let with = |command: &[&'static str], target: &[&str], extra: &[&str]| -> Vec<String> {
            command
                .iter()
                .copied()
                .chain(target.iter().copied())
                .chain(extra.iter().copied())
                .map(str::to_string)
                .collect()
        };
        let cases: Vec<(Vec<String>, Vec<String>)> = vec![
            (
                with(&["history"], &target, &mode),
                with(&["history"], &helm_target, &[]),
            ),
            (
                with(&["history"], &target, &["-o", output, "--max", "1"]),
                with(&["history"], &helm_target, &["--max", "1"]),
            ),
            (
                with(&["get", "values"], &target, &mode),
                with(&["get", "values"], &helm_target, &[]),
            ),
            (
                with(&["get", "values"], &target, &["-o", output, "--all"]),
                with(&["get", "values"], &helm_target, &["--all"]),
            ),
            (
                with(
                    &["get", "values"],
                    &target,
                    &["-o", output, "--revision", "1"],
                ),
                with(&["get", "values"], &helm_target, &["--revision", "1"]),
            ),
            (
                with(&["status"], &target, &mode),
                with(&["status"], &helm_target, &[]),
            ),
            (
                with(&["status"], &target, &["-o", output, "--revision", "1"]),
                with(&["status"], &helm_target, &["--revision", "1"]),
            ),
        ];
        for (ours, theirs) in cases {
            let ours: Vec<&str> = ours.iter().map(String::as_str).collect();
            let theirs: Vec<&str> = theirs.iter().map(String::as_str).collect();
            assert_same(&ours, &theirs).await;
        }
    }
}

/// Installs the records chart (with a Deployment, so that status shows
/// related pods), upgrades it with new values of every kind and runs its
/// test hook, so that the record has a `TEST SUITE` to show.
fn install_and_upgrade(which: &str, namespace: &str, release: &str) {
    let chart = fixture("charts/records");
    let chart = chart.to_str().unwrap();
    let wait = ["-n", namespace, "--wait", "--timeout", "60s"];
    let install = [
        "--set",
        "deployment.enabled=true",
        "--set",
        "message=first <install> & more",
    ];
    helm(
        which,
        &[&["install", release, chart][..], &wait, &install].concat(),
    );
    let upgrade = [
        "--set",
        "deployment.enabled=true",
        "--set",
        "nested.port=9090",
        "--set",
        "nested.unset=null",
        "--set-string",
        "x=1",
        "--set-json",
        r#"j={"a":[1,2.5,1e21]}"#,
    ];
    helm(
        which,
        &[&["upgrade", release, chart][..], &wait, &upgrade].concat(),
    );
    helm(
        which,
        &["test", release, "-n", namespace, "--timeout", "60s"],
    );
}

async fn store(namespace: &str) -> SecretStore {
    SecretStore::new(admin_client().await, namespace)
}

#[tokio::test]
async fn a_helm_v4_release_reads_the_same_in_tare() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "rec-v4").await;
    install_and_upgrade("HELM4", &ns.name, "rec");

    let history = store(&ns.name).await.history("rec").await.unwrap();
    let versions: Vec<(u32, Status)> = history.iter().map(|r| (r.version, r.status())).collect();
    assert_eq!(versions, [(1, Status::Superseded), (2, Status::Deployed)]);
    assert!(history.iter().all(Release::server_side_applied));
    assert_eq!(
        history[1].config["nested"],
        json!({"port": 9090, "unset": null})
    );
    let events: Vec<&[String]> = history[1].hooks.iter().map(|h| &h.events[..]).collect();
    assert_eq!(events, [&["post-install", "post-upgrade"][..], &["test"]]);
    assert_eq!(history[1].hooks[1].last_run.phase, "Succeeded");
    let chart = history[1].chart.as_ref().unwrap();
    assert!(chart.schema.as_ref().unwrap().starts_with(b"{"));
    assert!(chart.modtime.is_some(), "v4 stores the chart's modtime");

    assert_commands_match_helm_v4(&ns.name, "rec").await;
    ns.delete().await;
}

#[tokio::test]
async fn a_helm_v3_release_reads_the_same_in_tare() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "rec-v3").await;
    install_and_upgrade("HELM3", &ns.name, "rec");

    let history = store(&ns.name).await.history("rec").await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].status(), Status::Deployed);
    assert_eq!(history[1].apply_method, "", "v3 has no apply_method");
    let info = history[1].info.as_ref().unwrap();
    assert_eq!(
        info.deleted,
        Some(GoTime::default()),
        "v3 writes zero times as \"\""
    );

    assert_commands_match_helm_v4(&ns.name, "rec").await;
    // helm v3 prints history the same way.
    let target = ["-n", ns.name.as_str(), "--release-name", "rec"];
    for output in ["table", "json", "yaml"] {
        let ours = tare(&[&["history"][..], &target, &["-o", output]].concat());
        let theirs = helm_stdout("HELM3", &["history", "rec", "-n", &ns.name, "-o", output]);
        assert_eq!(ours, theirs, "history -o {output} vs helm v3");
    }
    ns.delete().await;
}

#[tokio::test]
async fn helm_reads_lists_and_rolls_back_a_revision_tare_wrote() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "rec-write").await;
    let chart = fixture("charts/smoke");
    let chart = chart.to_str().unwrap();
    helm("HELM4", &["install", "smoke", chart, "-n", &ns.name]);
    let store = store(&ns.name).await;

    // A new revision as an upgrade writes it: the old one superseded, the
    // new one deployed with new values.
    let mut first = store.last("smoke").await.unwrap();
    let mut second = first.clone();
    second.version = 2;
    second.labels.insert("team".into(), "tare".into());
    second.config = serde_json::from_value(json!({"message": "from tare & co"})).unwrap();
    second.manifest = first.manifest.replace("hello from smoke", "from tare & co");
    let info = second.info.as_mut().unwrap();
    info.last_deployed = Some(GoTime::now());
    second.set_status(Status::Deployed, "Upgrade complete");
    first.set_status(Status::Superseded, "Install complete");
    store.create(&second).await.unwrap();
    store.update(&first).await.unwrap();
    assert!(
        store.create(&second).await.is_err(),
        "a revision is never overwritten by create"
    );

    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns.name);
    let labels = |secret: Secret| secret.metadata.labels.unwrap_or_default();
    let created = labels(secrets.get("sh.helm.release.v1.smoke.v2").await.unwrap());
    assert_eq!(created["status"], "deployed");
    assert_eq!(created["version"], "2");
    assert_eq!(created["owner"], "helm");
    assert_eq!(created["name"], "smoke");
    assert_eq!(created["team"], "tare");
    assert!(created.contains_key("createdAt"));
    let updated = labels(secrets.get("sh.helm.release.v1.smoke.v1").await.unwrap());
    assert_eq!(updated["status"], "superseded");
    assert!(updated.contains_key("modifiedAt") && !updated.contains_key("createdAt"));

    for which in ["HELM3", "HELM4"] {
        let history: Value = serde_json::from_str(&helm_stdout(
            which,
            &["history", "smoke", "-n", &ns.name, "-o", "json"],
        ))
        .unwrap();
        let summary: Vec<(i64, &str, &str)> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["revision"].as_i64().unwrap(),
                    r["status"].as_str().unwrap(),
                    r["description"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (1, "superseded", "Install complete"),
                (2, "deployed", "Upgrade complete")
            ],
            "{which} history"
        );
        let values = helm_stdout(
            which,
            &["get", "values", "smoke", "-n", &ns.name, "-o", "json"],
        );
        assert_eq!(
            values, "{\"message\":\"from tare \\u0026 co\"}\n",
            "{which} get values"
        );
        let all = helm_stdout(which, &["get", "values", "smoke", "-n", &ns.name, "--all"]);
        assert_eq!(
            all, "COMPUTED VALUES:\nmessage: from tare & co\n",
            "{which} get values --all"
        );
        let list = helm_stdout(which, &["list", "-n", &ns.name, "-o", "json"]);
        assert!(list.contains("\"revision\":\"2\""), "{which} list: {list}");
    }

    helm("HELM4", &["rollback", "smoke", "1", "-n", &ns.name]);
    helm("HELM3", &["rollback", "smoke", "2", "-n", &ns.name]);
    let history = store.history("smoke").await.unwrap();
    let summary: Vec<(u32, Status, &str)> = history
        .iter()
        .map(|r| {
            (
                r.version,
                r.status(),
                r.info.as_ref().unwrap().description.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, Status::Superseded, "Install complete"),
            (2, Status::Superseded, "Upgrade complete"),
            (3, Status::Superseded, "Rollback to 1"),
            (4, Status::Deployed, "Rollback to 2"),
        ]
    );
    assert_eq!(
        history[3].config, second.config,
        "rollback copies tare's values"
    );
    assert_commands_match_helm_v4(&ns.name, "smoke").await;
    ns.delete().await;
}

#[tokio::test]
async fn helm_records_round_trip_through_tare_unchanged() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "rec-codec").await;
    install_and_upgrade("HELM3", &ns.name, "three");
    install_and_upgrade("HELM4", &ns.name, "four");

    let records = store(&ns.name).await.list().await.unwrap();
    let listed: Vec<(&str, u32)> = records
        .iter()
        .map(|r| (r.name.as_str(), r.version))
        .collect();
    assert_eq!(
        listed,
        [("four", 1), ("four", 2), ("three", 1), ("three", 2)]
    );

    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns.name);
    let list = secrets
        .list(&ListParams::default().labels("owner=helm"))
        .await
        .unwrap();
    assert_eq!(list.items.len(), 4);
    for secret in list.items {
        let name = secret.metadata.name.clone().unwrap();
        let data = &secret.data.as_ref().unwrap()["release"].0;
        let json = codec::decode_json(data, &name).unwrap();
        let release = codec::decode(data, &name).unwrap();
        let original: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            serde_json::to_value(&release).unwrap(),
            original,
            "{name}: decoded and re-encoded"
        );
        assert_eq!(
            String::from_utf8(gojson::to_vec(&release).unwrap()).unwrap(),
            String::from_utf8(json.clone()).unwrap(),
            "{name}: re-encoded byte for byte as Go marshals it"
        );
        let again = codec::decode_json(&codec::encode(&release).unwrap(), &name).unwrap();
        assert_eq!(again, json, "{name}: encode/decode");
    }
    ns.delete().await;
}

#[tokio::test]
async fn pruning_keeps_the_newest_deployed_revision_as_helm_does() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "rec-prune").await;
    let chart = fixture("charts/smoke");
    let chart = chart.to_str().unwrap();
    helm("HELM4", &["install", "smoke", chart, "-n", &ns.name]);
    let store = store(&ns.name).await;
    let deployed = store.deployed("smoke").await.unwrap();
    assert_eq!(deployed.version, 1);

    // Three failed upgrades after the deployed revision 1.
    let write_failures = |versions: [u32; 3]| {
        let store = store.clone();
        let deployed = deployed.clone();
        async move {
            for version in versions {
                let mut failed = deployed.clone();
                failed.version = version;
                // A description over several lines, with wide characters:
                // helm's table spreads it over lines and pads by width.
                failed.set_status(
                    Status::Failed,
                    format!(
                        "Upgrade \"smoke\" failed: on purpose {version}\n\tsee 日本 <docs> & more"
                    ),
                );
                store.create(&failed).await.unwrap();
            }
        }
    };
    write_failures([2, 3, 4]).await;
    assert_eq!(store.last("smoke").await.unwrap().version, 4);
    for output in ["table", "json", "yaml"] {
        assert_same(
            &[
                "history",
                "-n",
                &ns.name,
                "--release-name",
                "smoke",
                "-o",
                output,
            ],
            &["history", "smoke", "-n", &ns.name, "-o", output],
        )
        .await;
    }
    let history = store.history("smoke").await.unwrap();
    assert_eq!(store.prune("smoke", &history, 2).await.unwrap(), [2, 3, 4]);
    let left: Vec<u32> = store
        .history("smoke")
        .await
        .unwrap()
        .iter()
        .map(|r| r.version)
        .collect();
    assert_eq!(left, [1], "the newest deployed revision survives");
    assert_eq!(
        store.prune("smoke", &history, 0).await.unwrap(),
        Vec::<u32>::new(),
        "0 is unlimited"
    );

    // helm prunes the same history the same way before its upgrade.
    write_failures([5, 6, 7]).await;
    helm(
        "HELM4",
        &[
            "upgrade",
            "smoke",
            chart,
            "-n",
            &ns.name,
            "--history-max",
            "2",
        ],
    );
    let left: Vec<(u32, Status)> = store
        .history("smoke")
        .await
        .unwrap()
        .iter()
        .map(|r| (r.version, r.status()))
        .collect();
    assert_eq!(left, [(1, Status::Superseded), (8, Status::Deployed)]);

    // A record over the Secret size limit is refused before the API call.
    let mut huge = deployed.clone();
    huge.version = 9;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let noise: String = (0..2_000_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            char::from(b"0123456789abcdef"[(seed % 16) as usize])
        })
        .collect();
    huge.config.insert("noise".into(), noise.into());
    let error = store.create(&huge).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("more than the 1048576"),
        "{error:#}"
    );

    let missing = store.history("nothing").await.unwrap_err();
    assert!(
        missing.downcast_ref::<tare::release::NotFound>().is_some(),
        "{missing:#}"
    );
    assert!(store.get("smoke", 3).await.is_err());
    ns.delete().await;
}
