//! `values.schema.json` validation with the messages of santhosh-tekuri/jsonschema
//! v6, which helm v4 uses (`- at '/port': minimum: got 0, want 1`).
//!
//! Covered: `type`, `enum`, `const`, `minimum`/`maximum` (and exclusive forms),
//! `multipleOf`, `minLength`/`maxLength`, `required`, `properties`,
//! `additionalProperties`, `items`/`prefixItems`, `minItems`/`maxItems`,
//! `uniqueItems`, `minProperties`/`maxProperties`, `allOf`/`anyOf`/`oneOf`/`not`,
//! `if`/`then`/`else` and local `$ref`s. `pattern`, `patternProperties` and
//! `format` are not checked.

use serde_json::Value as Json;

use super::model::Chart;
use super::values::lookup;
use crate::yaml::Node;

struct Failure {
    location: String,
    message: String,
    causes: Vec<Failure>,
}

impl Failure {
    fn write(&self, indent: usize, out: &mut String) {
        out.push_str(&"  ".repeat(indent));
        out.push_str(&format!("- at '{}': {}\n", self.location, self.message));
        for cause in &self.causes {
            cause.write(indent + 1, out);
        }
    }
}

/// Helm's `ValidateAgainstSchema`: every chart with a schema, each against its
/// own values sub-tree. The text lists the failing charts (empty when valid).
pub(crate) fn validate_chart(chart: &Chart, values: &Node) -> Result<(), String> {
    let mut out = String::new();
    if let Some(schema) = &chart.schema {
        let json: Json = serde_json::from_slice(schema)
            .map_err(|e| format!("unable to validate schema: {e}"))?;
        let mut failures = Vec::new();
        let ctx = Ctx {
            root: &json,
            legacy_ref: json.get("$schema").and_then(Json::as_str).is_some_and(|s| {
                s.contains("draft-04")
                    || s.contains("draft-06")
                    || s.contains("draft-07")
                    || s.ends_with("/schema#")
                    || s.ends_with("/schema")
            }),
        };
        ctx.validate(&json, values, "", &mut failures, 0);
        if !failures.is_empty() {
            failures.sort_by(|a, b| a.location.cmp(&b.location));
            out.push_str(&format!("{}:\n", chart.name()));
            for f in &failures {
                f.write(0, &mut out);
            }
            out.push('\n');
        }
    }
    for sub in &chart.dependencies {
        let empty = Node::Map(Vec::new());
        let sub_values = lookup(values, sub.name()).unwrap_or(&empty);
        if let Err(e) = validate_chart(sub, sub_values) {
            out.push_str(&e);
        }
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
}

struct Ctx<'a> {
    root: &'a Json,
    /// Drafts 4–7: `$ref` replaces its siblings.
    legacy_ref: bool,
}

fn type_of(node: &Node) -> &'static str {
    match node {
        Node::Null => "null",
        Node::Bool(_) => "boolean",
        Node::Int(_) => "number",
        Node::Float(_) => "number",
        Node::Str(_) => "string",
        Node::Seq(_) => "array",
        Node::Map(_) => "object",
    }
}

fn is_integer(node: &Node) -> bool {
    match node {
        Node::Int(_) => true,
        Node::Float(f) => f.fract() == 0.0 && f.is_finite(),
        _ => false,
    }
}

fn number(node: &Node) -> Option<f64> {
    match node {
        Node::Int(i) => Some(*i as f64),
        Node::Float(f) => Some(*f),
        _ => None,
    }
}

fn fmt_num(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{}", f as i128)
    } else {
        format!("{f}")
    }
}

fn json_eq(node: &Node, json: &Json) -> bool {
    match (node, json) {
        (Node::Null, Json::Null) => true,
        (Node::Bool(a), Json::Bool(b)) => a == b,
        (Node::Str(a), Json::String(b)) => a == b,
        (n, Json::Number(b)) => number(n).is_some_and(|a| Some(a) == b.as_f64()),
        (Node::Seq(a), Json::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| json_eq(x, y))
        }
        (Node::Map(a), Json::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|bv| json_eq(v, bv)))
        }
        _ => false,
    }
}

fn node_eq(a: &Node, b: &Node) -> bool {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x == y,
        _ => match (a, b) {
            (Node::Seq(x), Node::Seq(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| node_eq(p, q))
            }
            (Node::Map(x), Node::Map(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && node_eq(v, v2)))
            }
            _ => a == b,
        },
    }
}

fn quote_json(json: &Json) -> String {
    match json {
        Json::String(s) => format!("'{s}'"),
        other => format!("'{other}'"),
    }
}

fn quote_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl Ctx<'_> {
    fn resolve(&self, reference: &str) -> Option<&Json> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            return Some(self.root);
        }
        let decoded = pointer
            .split('/')
            .map(|p| p.replace("~1", "/").replace("~0", "~"))
            .collect::<Vec<_>>()
            .join("/");
        self.root.pointer(&decoded)
    }

    fn valid(&self, schema: &Json, node: &Node, loc: &str, depth: usize) -> bool {
        let mut failures = Vec::new();
        self.validate(schema, node, loc, &mut failures, depth);
        failures.is_empty()
    }

    fn validate(
        &self,
        schema: &Json,
        node: &Node,
        loc: &str,
        out: &mut Vec<Failure>,
        depth: usize,
    ) {
        if depth > 200 {
            return;
        }
        let fail = |out: &mut Vec<Failure>, message: String| {
            out.push(Failure {
                location: loc.to_string(),
                message,
                causes: Vec::new(),
            })
        };
        let obj = match schema {
            Json::Bool(false) => return fail(out, "false schema".into()),
            Json::Object(obj) => obj,
            _ => return,
        };
        if let Some(reference) = obj.get("$ref").and_then(Json::as_str) {
            if let Some(target) = self.resolve(reference) {
                self.validate(target, node, loc, out, depth + 1);
            }
            if self.legacy_ref {
                return;
            }
        }
        if let Some(ty) = obj.get("type") {
            let wanted: Vec<&str> = match ty {
                Json::String(s) => vec![s.as_str()],
                Json::Array(items) => items.iter().filter_map(Json::as_str).collect(),
                _ => Vec::new(),
            };
            let actual = type_of(node);
            let ok = wanted
                .iter()
                .any(|w| *w == actual || (*w == "integer" && is_integer(node)));
            if !wanted.is_empty() && !ok {
                let got = if is_integer(node) { "integer" } else { actual };
                let got = if got == "integer"
                    && !wanted.contains(&"integer")
                    && matches!(node, Node::Float(_))
                {
                    "number"
                } else {
                    got
                };
                return fail(out, format!("got {got}, want {}", wanted.join(" or ")));
            }
        }
        if let Some(Json::Array(options)) = obj.get("enum")
            && !options.iter().any(|o| json_eq(node, o))
        {
            let list: Vec<String> = options.iter().map(quote_json).collect();
            if list.len() == 1 {
                fail(out, format!("value must be {}", list[0]));
            } else {
                fail(out, format!("value must be one of {}", list.join(", ")));
            }
        }
        if let Some(c) = obj.get("const")
            && !json_eq(node, c)
        {
            fail(out, format!("value must be {}", quote_json(c)));
        }
        if let Some(n) = number(node) {
            let bound = |key: &str| obj.get(key).and_then(Json::as_f64);
            if let Some(min) = bound("minimum") {
                let exclusive = obj.get("exclusiveMinimum") == Some(&Json::Bool(true));
                if n < min || (exclusive && n == min) {
                    let key = if exclusive {
                        "exclusiveMinimum"
                    } else {
                        "minimum"
                    };
                    fail(
                        out,
                        format!("{key}: got {}, want {}", fmt_num(n), fmt_num(min)),
                    );
                }
            }
            if let Some(max) = bound("maximum") {
                let exclusive = obj.get("exclusiveMaximum") == Some(&Json::Bool(true));
                if n > max || (exclusive && n == max) {
                    let key = if exclusive {
                        "exclusiveMaximum"
                    } else {
                        "maximum"
                    };
                    fail(
                        out,
                        format!("{key}: got {}, want {}", fmt_num(n), fmt_num(max)),
                    );
                }
            }
            if let Some(min) = bound("exclusiveMinimum")
                && n <= min
            {
                fail(
                    out,
                    format!(
                        "exclusiveMinimum: got {}, want {}",
                        fmt_num(n),
                        fmt_num(min)
                    ),
                );
            }
            if let Some(max) = bound("exclusiveMaximum")
                && n >= max
            {
                fail(
                    out,
                    format!(
                        "exclusiveMaximum: got {}, want {}",
                        fmt_num(n),
                        fmt_num(max)
                    ),
                );
            }
            if let Some(m) = bound("multipleOf")
                && m > 0.0
                && (n / m).fract() != 0.0
            {
                fail(
                    out,
                    format!("multipleOf: got {}, want {}", fmt_num(n), fmt_num(m)),
                );
            }
        }
        if let Node::Str(s) = node {
            let len = s.chars().count() as u64;
            if let Some(min) = obj.get("minLength").and_then(Json::as_u64)
                && len < min
            {
                fail(out, format!("minLength: got {len}, want {min}"));
            }
            if let Some(max) = obj.get("maxLength").and_then(Json::as_u64)
                && len > max
            {
                fail(out, format!("maxLength: got {len}, want {max}"));
            }
        }
        if let Node::Map(entries) = node {
            self.validate_object(obj, entries, loc, out, depth);
        }
        if let Node::Seq(items) = node {
            self.validate_array(obj, items, loc, out, depth);
        }
        if let Some(Json::Array(all)) = obj.get("allOf") {
            for sub in all {
                self.validate(sub, node, loc, out, depth + 1);
            }
        }
        if let Some(Json::Array(any)) = obj.get("anyOf") {
            let mut causes = Vec::new();
            let mut matched = false;
            for sub in any {
                let mut f = Vec::new();
                self.validate(sub, node, loc, &mut f, depth + 1);
                if f.is_empty() {
                    matched = true;
                    break;
                }
                causes.extend(f);
            }
            if !matched {
                out.push(Failure {
                    location: loc.to_string(),
                    message: "anyOf failed".into(),
                    causes,
                });
            }
        }
        if let Some(Json::Array(one)) = obj.get("oneOf") {
            let mut causes = Vec::new();
            let mut matched = Vec::new();
            for (i, sub) in one.iter().enumerate() {
                let mut f = Vec::new();
                self.validate(sub, node, loc, &mut f, depth + 1);
                if f.is_empty() {
                    matched.push(i);
                } else {
                    causes.extend(f);
                }
            }
            if matched.is_empty() {
                out.push(Failure {
                    location: loc.to_string(),
                    message: "oneOf failed, none matched".into(),
                    causes,
                });
            } else if matched.len() > 1 {
                fail(
                    out,
                    format!(
                        "oneOf failed, subschemas {} and {} matched",
                        matched[0], matched[1]
                    ),
                );
            }
        }
        if let Some(not) = obj.get("not")
            && self.valid(not, node, loc, depth + 1)
        {
            fail(out, "not failed".into());
        }
        if let Some(cond) = obj.get("if") {
            if self.valid(cond, node, loc, depth + 1) {
                if let Some(then) = obj.get("then") {
                    self.validate(then, node, loc, out, depth + 1);
                }
            } else if let Some(otherwise) = obj.get("else") {
                self.validate(otherwise, node, loc, out, depth + 1);
            }
        }
    }

    fn validate_object(
        &self,
        obj: &serde_json::Map<String, Json>,
        entries: &[(String, Node)],
        loc: &str,
        out: &mut Vec<Failure>,
        depth: usize,
    ) {
        let fail = |out: &mut Vec<Failure>, message: String| {
            out.push(Failure {
                location: loc.to_string(),
                message,
                causes: Vec::new(),
            })
        };
        if let Some(Json::Array(required)) = obj.get("required") {
            let missing: Vec<String> = required
                .iter()
                .filter_map(Json::as_str)
                .filter(|r| !entries.iter().any(|(k, _)| k == r))
                .map(str::to_string)
                .collect();
            match missing.len() {
                0 => {}
                1 => fail(out, format!("missing property {}", quote_list(&missing))),
                _ => fail(out, format!("missing properties {}", quote_list(&missing))),
            }
        }
        let count = entries.len() as u64;
        if let Some(min) = obj.get("minProperties").and_then(Json::as_u64)
            && count < min
        {
            fail(out, format!("minProperties: got {count}, want {min}"));
        }
        if let Some(max) = obj.get("maxProperties").and_then(Json::as_u64)
            && count > max
        {
            fail(out, format!("maxProperties: got {count}, want {max}"));
        }
        let properties = obj.get("properties").and_then(Json::as_object);
        let mut sorted: Vec<&(String, Node)> = entries.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut extra = Vec::new();
        for (key, value) in sorted {
            let child_loc = format!("{loc}/{}", escape_pointer(key));
            match properties.and_then(|p| p.get(key)) {
                Some(sub) => self.validate(sub, value, &child_loc, out, depth + 1),
                None => extra.push((key, value, child_loc)),
            }
        }
        if obj.contains_key("patternProperties") {
            return;
        }
        match obj.get("additionalProperties") {
            Some(Json::Bool(false)) if !extra.is_empty() => {
                let names: Vec<String> = extra.iter().map(|(k, _, _)| k.to_string()).collect();
                fail(
                    out,
                    format!("additional properties {} not allowed", quote_list(&names)),
                );
            }
            Some(sub @ Json::Object(_)) => {
                for (_, value, child_loc) in extra {
                    self.validate(sub, value, &child_loc, out, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn validate_array(
        &self,
        obj: &serde_json::Map<String, Json>,
        items: &[Node],
        loc: &str,
        out: &mut Vec<Failure>,
        depth: usize,
    ) {
        let fail = |out: &mut Vec<Failure>, message: String| {
            out.push(Failure {
                location: loc.to_string(),
                message,
                causes: Vec::new(),
            })
        };
        let count = items.len() as u64;
        if let Some(min) = obj.get("minItems").and_then(Json::as_u64)
            && count < min
        {
            fail(out, format!("minItems: got {count}, want {min}"));
        }
        if let Some(max) = obj.get("maxItems").and_then(Json::as_u64)
            && count > max
        {
            fail(out, format!("maxItems: got {count}, want {max}"));
        }
        if obj.get("uniqueItems") == Some(&Json::Bool(true)) {
            'outer: for i in 0..items.len() {
                for j in i + 1..items.len() {
                    if node_eq(&items[i], &items[j]) {
                        fail(out, format!("items at {i} and {j} are equal"));
                        break 'outer;
                    }
                }
            }
        }
        let prefix: &[Json] = match obj.get("prefixItems").or_else(|| match obj.get("items") {
            Some(a @ Json::Array(_)) => Some(a),
            _ => None,
        }) {
            Some(Json::Array(p)) => p,
            _ => &[],
        };
        for (i, item) in items.iter().enumerate() {
            let child_loc = format!("{loc}/{i}");
            if let Some(sub) = prefix.get(i) {
                self.validate(sub, item, &child_loc, out, depth + 1);
            } else if let Some(sub @ (Json::Object(_) | Json::Bool(_))) = obj.get("items") {
                self.validate(sub, item, &child_loc, out, depth + 1);
            } else if !prefix.is_empty()
                && let Some(sub @ (Json::Object(_) | Json::Bool(_))) = obj.get("additionalItems")
            {
                self.validate(sub, item, &child_loc, out, depth + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{self, Numbers};

    fn check(schema: &str, values: &str) -> Result<(), String> {
        let mut chart = Chart {
            metadata: Default::default(),
            templates: vec![],
            values: Node::Map(vec![]),
            schema: Some(schema.as_bytes().to_vec().into()),
            files: vec![],
            dependencies: vec![],
        };
        chart.metadata.name = "c".into();
        validate_chart(&chart, &yaml::load(values, Numbers::Float64).unwrap())
    }

    #[test]
    fn messages_follow_santhosh_tekuri() {
        let schema = r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,
            "properties":{"port":{"type":"integer","minimum":1},"policy":{"type":"string"},
            "level":{"enum":["a","b"]}}}"#;
        assert_eq!(
            check(schema, "port: 0\npolicy: null\nlevel: c\nextra: 1\n").unwrap_err(),
            "c:\n- at '': additional properties 'extra' not allowed\n- at '/level': value must be one of 'a', 'b'\n- at '/policy': got null, want string\n- at '/port': minimum: got 0, want 1\n\n"
        );
        assert!(check(schema, "port: 2.0\n").is_ok());
    }
}
