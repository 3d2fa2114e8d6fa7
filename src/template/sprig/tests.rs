//! Differential tests: `testdata/cases.json` holds templates with the output or
//! error that Go 1.26's `text/template` gave for them with Sprig v3.3.0's
//! functions (as Helm v4.1.4 configures them), on the same data.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::template::{Funcs, Map, MapKind, MissingKey, TemplateSet, Value};

fn from_json(j: &Json) -> Value {
    match j {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Float(n.as_f64().unwrap_or_default()),
        Json::String(s) => Value::str(s),
        Json::Array(a) => Value::list(a.iter().map(from_json).collect()),
        Json::Object(o) => {
            let entries: BTreeMap<String, Value> =
                o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect();
            Value::Map(Map::from_entries(MapKind::Any, entries))
        }
    }
}

/// The oracle's data: the JSON, plus values JSON can't express.
fn data(j: &Json) -> Value {
    let d = from_json(j);
    if let Value::Map(m) = &d {
        m.insert("i64", Value::Int64(42));
        m.insert("i", Value::Int(7));
        let vals = Map::new(MapKind::HelmValues);
        vals.insert("a", Value::Float(1.0));
        let inner = Map::default();
        inner.insert("x", Value::str("y"));
        vals.insert("m", Value::Map(inner));
        m.insert("vals", Value::Map(vals));
    }
    d
}

pub(super) fn render(tpl: &str, data: Value) -> Result<String, String> {
    let mut funcs = Funcs::new();
    super::register(&mut funcs);
    let mut set = TemplateSet::new("gotpl", funcs);
    set.set_missing_key(MissingKey::Zero);
    set.parse("t", tpl).map_err(|e| e.to_string())?;
    // The golden outputs hold Go's bytes as JSON strings: broken UTF-8 as U+FFFD.
    set.execute("t", data)
        .map(|out| crate::template::replace_raw_bytes(&out).replace("<no value>", ""))
        .map_err(|e| e.to_string())
}

/// The expectations were made with `TZ=UTC`; Sprig's date functions use the
/// local zone, so on machines in another zone those cases are left out.
fn local_zone_is_utc() -> bool {
    let tz = jiff::tz::TimeZone::system();
    ["2021-01-15T00:00:00Z", "2021-07-15T00:00:00Z"]
        .iter()
        .all(|t| {
            t.parse::<jiff::Timestamp>()
                .is_ok_and(|ts| tz.to_offset(ts) == jiff::tz::Offset::UTC)
        })
}

#[test]
fn matches_go_sprig() {
    let file: Json = serde_json::from_str(include_str!("testdata/cases.json"))
        .unwrap_or_else(|e| panic!("bad test data: {e}"));
    let cases = file["cases"].as_array().map_or(&[][..], |v| v.as_slice());
    let mut failures = vec![];
    let utc = local_zone_is_utc();
    for case in cases {
        let tpl = case["tpl"].as_str().unwrap_or_default();
        if !utc && tpl.to_lowercase().contains("date") {
            continue;
        }
        let want_err = case["err"].as_str().unwrap_or_default();
        let want = if want_err.is_empty() {
            Ok(case["out"].as_str().unwrap_or_default().to_string())
        } else {
            Err(want_err.to_string())
        };
        let got = render(tpl, data(&file["data"]));
        if got != want {
            failures.push(format!("{tpl}\n   want {want:?}\n    got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Go:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Runs a template whose output is a list of PEM texts joined by `|`.
fn pems(tpl: &str) -> Vec<String> {
    render(tpl, Value::Map(Map::default()))
        .unwrap_or_else(|e| panic!("{tpl}: {e}"))
        .split('|')
        .map(str::to_string)
        .collect()
}

fn cert_der(pem: &str) -> Vec<u8> {
    let (_, doc) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .unwrap_or_else(|e| panic!("not a PEM certificate: {e}\n{pem}"));
    assert_eq!(doc.label, "CERTIFICATE");
    doc.contents
}

#[test]
fn generated_certificates_have_sprigs_fields() {
    use x509_parser::prelude::*;
    let out = pems(
        r#"{{ $ca := genCA "my-ca" 365 }}{{ $leaf := genSignedCert "leaf.svc" (list "10.0.0.1") (list "leaf.svc" "leaf.svc.cluster.local") 30 $ca }}{{ $ca.Cert }}|{{ $ca.Key }}|{{ $leaf.Cert }}|{{ $leaf.Key }}"#,
    );
    let ca_der = cert_der(&out[0]);
    let (_, ca) = X509Certificate::from_der(&ca_der).unwrap_or_else(|e| panic!("{e}"));
    assert!(ca.is_ca());
    let cn: Vec<_> = ca
        .subject()
        .iter_common_name()
        .filter_map(|c| c.as_str().ok())
        .collect();
    assert_eq!(cn, ["my-ca"]);
    let days = (ca.validity().not_after.timestamp() - ca.validity().not_before.timestamp()) / 86400;
    assert_eq!(days, 365);
    assert!(out[1].starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    assert!(out[1].ends_with("-----END RSA PRIVATE KEY-----\n"));

    let leaf_der = cert_der(&out[2]);
    let (_, leaf) = X509Certificate::from_der(&leaf_der).unwrap_or_else(|e| panic!("{e}"));
    assert!(!leaf.is_ca());
    assert_eq!(leaf.issuer(), ca.subject());
    assert!(leaf.verify_signature(Some(ca.public_key())).is_ok());
    let san = leaf
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|s| format!("{:?}", s.value.general_names))
        .unwrap_or_default();
    assert!(san.starts_with("[DNSName"), "{san}");
    assert!(
        san.contains("leaf.svc.cluster.local") && san.contains("[10, 0, 0, 1]"),
        "{san}"
    );
    let ext = leaf
        .extended_key_usage()
        .ok()
        .flatten()
        .map(|e| e.value.clone());
    assert!(ext.is_some_and(|e| e.server_auth && e.client_auth));
    assert!(out[3].starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
}

#[test]
fn generated_keys_have_go_pem_types() {
    let out = pems(
        r#"{{ genPrivateKey "rsa" }}|{{ genPrivateKey "ecdsa" }}|{{ genPrivateKey "ed25519" }}"#,
    );
    assert!(out[0].starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    let body: String = out[0].lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(out[0].lines().all(|l| l.len() <= 64));
    // A 4096-bit PKCS #1 key is a little over 2.3 KB of DER.
    assert!((3100..3300).contains(&body.len()), "{}", body.len());
    assert!(out[1].starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
    assert!(out[2].starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let self_signed = pems(&format!(
        "{{{{ (genSelfSignedCertWithKey \"x\" nil nil 1 {:?}).Cert }}}}",
        out[0]
    ));
    assert!(!cert_der(&self_signed[0]).is_empty());
}

#[test]
fn generated_rsa_keys_are_valid() {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};
    let out = pems(r#"{{ (genCA "ca" 1).Key }}"#);
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(&out[0]).unwrap_or_else(|e| panic!("{e}"));
    assert!(key.validate().is_ok());
    assert_eq!(key.n().bits(), 2048);
    // Fermat's test with num-bigint's own arithmetic, not the prime search's.
    for p in key.primes() {
        let one = rsa::BigUint::from(1u32);
        for base in [2u32, 3, 5, 7] {
            assert_eq!(rsa::BigUint::from(base).modpow(&(p - &one), p), one);
        }
    }
}

#[test]
fn scrypt_matches_rfc_7914_test_vectors() {
    let hex = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
    let mut out = [0u8; 64];
    tare_scrypt::scrypt(b"", b"", 4, 1, 1, &mut out);
    assert_eq!(
        hex(&out),
        "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442\
         fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"
    );
    tare_scrypt::scrypt(b"password", b"NaCl", 10, 8, 16, &mut out);
    assert_eq!(
        hex(&out),
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162\
         2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
    );
}

#[test]
fn bcrypt_hashes_verify() {
    let out = render(r#"{{ htpasswd "admin" "s3cret" }}"#, Value::Nil).unwrap_or_default();
    let hash = out.strip_prefix("admin:").unwrap_or_default();
    assert!(hash.starts_with("$2a$10$"), "{out}");
    assert!(bcrypt::verify("s3cret", hash).unwrap_or(false));
}

#[test]
fn now_prints_like_go() {
    let out = render("{{ now }}|{{ now | date \"2006\" }}", Value::Nil).unwrap_or_default();
    let (t, year) = out.split_once('|').unwrap_or_default();
    // 2026-11-21 06:30:10.123456789 +0000 UTC m=+0.000012345
    assert!(t.starts_with(year) && t.contains(" m=+"), "{out}");
}

#[test]
fn self_referencing_maps_end_in_errors_not_crashes() {
    let tpl = r#"{{ $d := dict "a" 1 }}{{ $_ := set $d "self" $d }}{{ deepEqual $d $d }} {{ $_ := merge $d $d }}{{ len $d }} {{ deepCopy $d | len }}"#;
    let got = render(tpl, Value::Nil);
    assert!(
        got.as_ref().is_err_and(|e| e.contains("nests too deeply")),
        "{got:?}"
    );
}

#[test]
fn deeply_nested_lists_encode_as_in_go() {
    // 3000 levels of `[…]` around `[1]`: Go encodes them (only real cycles
    // fail). The recursion needs more than a test thread's default stack.
    let deep = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let lists = r#"{{ $l := list 1 }}{{ range until 3000 }}{{ $l = list $l }}{{ end }}{{ toRawJson $l | len }}"#;
            render(lists, Value::Nil)
        })
        .expect("spawn a test thread")
        .join()
        .expect("the render thread finishes");
    assert_eq!(deep.as_deref(), Ok("6003"));
}

/// Every function (bar the slow key generators) on awkward arguments: Go
/// panics must come back as errors, never as Rust panics.
#[test]
fn no_function_panics_on_odd_arguments() {
    const NAMES: &[&str] = &[
        "abbrev",
        "abbrevboth",
        "add",
        "add1",
        "add1f",
        "addf",
        "adler32sum",
        "ago",
        "all",
        "any",
        "append",
        "atoi",
        "b32dec",
        "b32enc",
        "b64dec",
        "b64enc",
        "base",
        "biggest",
        "buildCustomCert",
        "camelcase",
        "cat",
        "ceil",
        "chunk",
        "clean",
        "coalesce",
        "compact",
        "concat",
        "contains",
        "date",
        "dateInZone",
        "dateModify",
        "date_in_zone",
        "date_modify",
        "decryptAES",
        "deepCopy",
        "deepEqual",
        "default",
        "dict",
        "dig",
        "dir",
        "div",
        "divf",
        "duration",
        "durationRound",
        "empty",
        "encryptAES",
        "ext",
        "first",
        "float64",
        "floor",
        "get",
        "getHostByName",
        "has",
        "hasKey",
        "hasPrefix",
        "hasSuffix",
        "hello",
        "htmlDate",
        "htmlDateInZone",
        "indent",
        "initial",
        "initials",
        "int",
        "int64",
        "isAbs",
        "join",
        "kebabcase",
        "keys",
        "kindIs",
        "kindOf",
        "last",
        "list",
        "lower",
        "max",
        "maxf",
        "merge",
        "mergeOverwrite",
        "min",
        "minf",
        "mod",
        "mul",
        "mulf",
        "mustAppend",
        "mustChunk",
        "mustCompact",
        "mustDateModify",
        "mustDeepCopy",
        "mustFirst",
        "mustFromJson",
        "mustHas",
        "mustInitial",
        "mustLast",
        "mustMerge",
        "mustMergeOverwrite",
        "mustPrepend",
        "mustRegexFind",
        "mustRegexFindAll",
        "mustRegexMatch",
        "mustRegexReplaceAll",
        "mustRegexReplaceAllLiteral",
        "mustRegexSplit",
        "mustRest",
        "mustReverse",
        "mustSlice",
        "mustToDate",
        "mustToPrettyJson",
        "mustToRawJson",
        "mustUniq",
        "mustWithout",
        "must_date_modify",
        "nindent",
        "nospace",
        "now",
        "omit",
        "osBase",
        "osClean",
        "osDir",
        "osExt",
        "osIsAbs",
        "pick",
        "pluck",
        "plural",
        "prepend",
        "quote",
        "randAlpha",
        "randAlphaNum",
        "randAscii",
        "randBytes",
        "randInt",
        "randNumeric",
        "regexFind",
        "regexFindAll",
        "regexMatch",
        "regexQuoteMeta",
        "regexReplaceAll",
        "regexReplaceAllLiteral",
        "regexSplit",
        "repeat",
        "replace",
        "rest",
        "reverse",
        "round",
        "semver",
        "semverCompare",
        "seq",
        "set",
        "sha1sum",
        "sha256sum",
        "sha512sum",
        "shuffle",
        "slice",
        "snakecase",
        "sortAlpha",
        "split",
        "splitList",
        "splitn",
        "squote",
        "sub",
        "subf",
        "substr",
        "swapcase",
        "ternary",
        "title",
        "toDate",
        "toDecimal",
        "toPrettyJson",
        "toRawJson",
        "toString",
        "toStrings",
        "trim",
        "trimAll",
        "trimPrefix",
        "trimSuffix",
        "trimall",
        "trunc",
        "tuple",
        "typeIs",
        "typeIsLike",
        "typeOf",
        "uniq",
        "unixEpoch",
        "unset",
        "until",
        "untilStep",
        "untitle",
        "upper",
        "urlJoin",
        "urlParse",
        "uuidv4",
        "values",
        "without",
        "wrap",
        "wrapWith",
    ];
    const ARGS: &[&str] = &[
        "\"\"",
        "\"a\"",
        "\"-1\"",
        "\"1.5\"",
        "\"é本\"",
        "0",
        "1",
        "-1",
        "-100",
        "1.5",
        "1e300",
        "nil",
        "true",
        "(list)",
        "(list 1 \"a\" nil)",
        "(dict)",
        "(dict \"a\" 1)",
        ".m",
        ".list",
        ".nul",
        "\"((\"",
        "\"{\"",
        "\"%zz\"",
        "\"2006-01-02 MST -07:00\"",
        "\"+é\"",
        "(splitList \",\" \"a,b\")",
        "(semver \"1.2.3\")",
        "(toDate \"2006\" \"2020\")",
        "9223372036854775807",
        "(until 3)",
        "(split \",\" \"a\")",
    ];
    let file: Json = serde_json::from_str(include_str!("testdata/cases.json")).unwrap_or_default();
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    for _ in 0..4000 {
        let name = NAMES[next(NAMES.len())];
        let args: Vec<&str> = (0..next(5)).map(|_| ARGS[next(ARGS.len())]).collect();
        let tpl = format!("{{{{ {name} {} }}}}", args.join(" "));
        let _ = render(&tpl, data(&file["data"]));
    }
}

/// redis-ha's `^[\w-\.]+$` (argo-cd's HA values): Go reads the `-` after `\w` as a literal.
#[test]
fn a_dash_after_a_class_escape_is_a_literal_as_in_go() {
    let tpl =
        r#"{{ regexMatch "^[\\w-\\.]+$" "my-master.1" }} {{ regexMatch "^[\\w-\\.]+$" "a b" }}"#;
    assert_eq!(render(tpl, data(&Json::Null)), Ok("true false".into()));
}
