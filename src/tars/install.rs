//! `tare install`, phase by phase: identity, values and the print modes here;
//! the cluster phases in `tars::deploy`.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::cli::InstallArgs;
use crate::tars::deploy::ClusterInputs;
use crate::tars::documents::{from_yaml, to_yaml, to_yaml_stream};
use crate::tars::identity::Identity;
use crate::tars::image_sync::ImageSync;
use crate::tars::images::{chart_images, chart_reference};
use crate::tars::resources::{RegistryCredentials, identity_secret, namespace, pull_secret};
use crate::tars::values::{GuardrailsScheduling, Registries, install_values, merge_over};

/// What `tare install` reads before it acts; stdin is read at most once.
struct Inputs {
    identity: Identity,
    registries: Registries,
    guardrails: GuardrailsScheduling,
    pull_credentials: Option<RegistryCredentials>,
}

/// Runs `tare install` with validated flags.
pub fn run(args: &InstallArgs) -> Result<ExitCode> {
    let inputs = Inputs::read(args)?;
    if args.print_helm_values {
        print!("{}", to_yaml(&helm_values(args, &inputs)?)?);
        return Ok(ExitCode::SUCCESS);
    }
    if args.print_images {
        print!("{}", image_list(args, &inputs)?);
        return Ok(ExitCode::SUCCESS);
    }
    if args.print_resources {
        print!("{}", to_yaml_stream(&resources(args, &inputs))?);
        return Ok(ExitCode::SUCCESS);
    }
    if args.image_sync.is_some() {
        crate::tars::image_sync::run(&ImageSync {
            images: image_pairs(args, &inputs)?,
            registries: &inputs.registries,
            identity: &inputs.identity,
            identity_file: &args.identity_file,
            insecure: args.insecure_registry,
        })?;
        if args.sync_only {
            return Ok(ExitCode::SUCCESS);
        }
    }
    if let Some(url) = args.serve_url.as_deref().filter(|_| !args.crds_only) {
        crate::mp::register_dataplane_url(&inputs.identity, url)?;
    }
    let cluster_inputs = ClusterInputs {
        values: helm_values(args, &inputs)?,
        resources: resources(args, &inputs),
    };
    crate::tars::deploy::install(args, cluster_inputs)
}

impl Inputs {
    fn read(args: &InstallArgs) -> Result<Inputs> {
        let identity = Identity::load(&args.identity_file)?;
        let registry_url = std::env::var("REGISTRY_URL").ok();
        let registries = Registries::resolve(args, registry_url.as_deref());
        let pull_credentials = if args.image_pull_secret_stdin {
            let text = read_stdin("--image-pull-secret-stdin")?;
            Some(RegistryCredentials::parse(&text).map_err(anyhow::Error::msg)?)
        } else {
            None
        };
        let guardrails = match args.guardrails_config.as_deref() {
            None => GuardrailsScheduling::default(),
            Some("-") => guardrails_config(&read_stdin("--guardrails-config -")?, "stdin")?,
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read --guardrails-config {path}"))?;
                guardrails_config(&text, path)?
            }
        };
        Ok(Inputs {
            identity,
            registries,
            guardrails,
            pull_credentials,
        })
    }
}

fn read_stdin(flag: &str) -> Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read stdin for {flag}"))?;
    Ok(text)
}

/// Parses the guardrails config: a map with nodeSelector, tolerations, affinity.
fn guardrails_config(text: &str, source: &str) -> Result<GuardrailsScheduling> {
    let what = format!("guardrails config {source}");
    let config = match from_yaml(text, &what)? {
        Value::Null => return Ok(GuardrailsScheduling::default()),
        Value::Object(map) => map,
        _ => bail!("{what} must be a map with nodeSelector, tolerations and affinity"),
    };
    if let Some(unknown) = config
        .keys()
        .find(|k| !["nodeSelector", "tolerations", "affinity"].contains(&k.as_str()))
    {
        bail!(
            "{what} has an unknown key \"{unknown}\" (expected nodeSelector, tolerations, affinity)"
        );
    }
    let field = |key: &str, is_shape: fn(&Value) -> bool, shape: &str| -> Result<Option<Value>> {
        match config.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) if is_shape(value) => Ok(Some(value.clone())),
            Some(_) => bail!("{what}: {key} must be {shape}"),
        }
    };
    Ok(GuardrailsScheduling {
        node_selector: field("nodeSelector", Value::is_object, "a map")?,
        affinity: field("affinity", Value::is_object, "a map")?,
        tolerations: field("tolerations", Value::is_array, "a list")?,
    })
}

/// The generated values with `--helm-values` merged over them.
fn helm_values(args: &InstallArgs, inputs: &Inputs) -> Result<Value> {
    let mut values = install_values(
        args,
        &inputs.identity,
        &inputs.registries,
        &inputs.guardrails,
    );
    if let Some(path) = &args.helm_values {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --helm-values {}", path.display()))?;
        match from_yaml(&text, &format!("--helm-values {}", path.display()))? {
            Value::Null => {}
            extra @ Value::Object(_) => merge_over(&mut values, extra),
            _ => bail!("--helm-values {} must hold a map of values", path.display()),
        }
    }
    Ok(values)
}

/// The namespaces, the identity Secret, then the pull secret in each namespace
/// when credentials were given: everything tare writes outside the release.
fn resources(args: &InstallArgs, inputs: &Inputs) -> Vec<Value> {
    let namespaces = [&args.system_namespace, &args.dataplane_namespace];
    let mut documents: Vec<Value> = namespaces.iter().map(|ns| namespace(ns)).collect();
    documents.push(identity_secret(&args.system_namespace, &inputs.identity));
    if let (Some(creds), Some(name)) = (&inputs.pull_credentials, args.pull_secret_name()) {
        for ns in namespaces {
            documents.push(pull_secret(name, ns, &inputs.registries.pull, creds));
        }
    }
    documents
}

/// One source reference per line, or `src → dst` pairs with `--image-sync`;
/// the chart artifact last.
fn image_list(args: &InstallArgs, inputs: &Inputs) -> Result<String> {
    let registries = &inputs.registries;
    let mut pairs = image_pairs(args, inputs)?;
    pairs.push((
        chart_reference(&registries.source),
        chart_reference(&registries.pull),
    ));
    let lines = pairs
        .into_iter()
        .map(|(source, destination)| match args.image_sync {
            Some(_) => format!("{source} → {destination}\n"),
            None => format!("{source}\n"),
        });
    Ok(lines.collect())
}

/// (source, destination) reference of every image the install uses.
fn image_pairs(args: &InstallArgs, inputs: &Inputs) -> Result<Vec<(String, String)>> {
    let values = helm_values(args, inputs)?;
    let registries = &inputs.registries;
    let tag = args.image_tag.as_deref();
    Ok(chart_images(&values)?
        .iter()
        .map(|image| {
            (
                image.reference(&registries.source, tag),
                image.reference(&registries.pull, tag),
            )
        })
        .collect())
}
