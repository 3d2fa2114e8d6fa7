//! Parses and executes arbitrary template text as a chart's only template,
//! through the same path as `tare template` (Helm's and Sprig's functions,
//! `include`/`tpl`, the values below). Any panic aborts and is a finding;
//! errors are fine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tare::chart::{self, Chart, File, Metadata, RenderOptions};
use tare::yaml::{Node, Numbers};

const VALUES: &str = "\
name: demo
replicas: 3
ratio: 0.5
big: 1e6
enabled: true
off: off
empty: \"\"
none: null
list: [1, two, 3.5, null, {k: v}]
map: {a: 1, b: [x, y], c: {d: deep}}
";

fn chart_with(template: &[u8]) -> Chart {
    Chart {
        metadata: Metadata {
            name: "fuzz".into(),
            version: "0.1.0".into(),
            api_version: "v2".into(),
            ..Metadata::default()
        },
        templates: vec![
            File {
                name: "templates/fuzz.yaml".into(),
                data: template.to_vec().into(),
            },
            File {
                name: "templates/_helpers.tpl".into(),
                data: b"{{ define \"h\" }}[{{ . }}]{{ end }}".to_vec().into(),
            },
        ],
        values: tare::yaml::load(VALUES, Numbers::Float64).expect("the fuzz values are valid YAML"),
        schema: None,
        files: vec![File {
            name: "files/a.txt".into(),
            data: b"hello\n".to_vec().into(),
        }],
        dependencies: Vec::new(),
    }
}

fuzz_target!(|data: &[u8]| {
    let chart = chart_with(data);
    let user = Node::Map(Vec::new());
    if let Ok(rendered) = chart::render(chart, &user, &RenderOptions::default()) {
        let _ = rendered.helm_template_output(&Default::default());
    }
});
