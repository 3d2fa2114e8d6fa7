//! Key, certificate, password and AES functions. Keys and certificates are
//! random, so only their form can match Go's: the same key types and PEM block
//! types, and certificates with the fields Sprig's template sets.

use std::net::IpAddr;
use std::rc::Rc;

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use rand::RngCore;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};

use super::encoding::b64_encode;
use super::{Ty, Value, as_list, def, i, s};
use crate::template::Funcs;
use crate::template::value::Object;

pub(super) fn register(f: &mut Funcs) {
    def(f, "bcrypt", &[Ty::Str], |a| Ok(bcrypt(s(&a[0])).into()));
    def(f, "htpasswd", &[Ty::Str, Ty::Str], |a| {
        let user = s(&a[0]);
        if user.contains(':') {
            return Ok(format!("invalid username: {user}").into());
        }
        Ok(format!("{user}:{}", bcrypt(s(&a[1]))).into())
    });
    def(
        f,
        "derivePassword",
        &[Ty::Int, Ty::Str, Ty::Str, Ty::Str, Ty::Str],
        |a| Ok(derive_password(i(&a[0]) as u32, s(&a[1]), s(&a[2]), s(&a[3]), s(&a[4])).into()),
    );
    def(f, "genPrivateKey", &[Ty::Str], |a| {
        Ok(match s(&a[0]) {
            "" | "rsa" => Ok(rsa_key(4096).pem()),
            "ecdsa" => ec_key().map(|k| k.pem()),
            "ed25519" => Ok(Key::Ed(random_bytes(32)).pem()),
            "dsa" => Ok("failed to generate dsa params: DSA keys are not supported".into()),
            other => Ok(format!("Unknown type {other}")),
        }
        .unwrap_or_else(|e| format!("failed to generate private key: {e}"))
        .into())
    });
    def(f, "encryptAES", &[Ty::Str, Ty::Str], |a| {
        Ok(encrypt_aes(s(&a[0]), s(&a[1])).into())
    });
    def(f, "decryptAES", &[Ty::Str, Ty::Str], |a| {
        decrypt_aes(s(&a[0]), s(&a[1])).map(Value::from)
    });
    def(f, "buildCustomCert", &[Ty::Str, Ty::Str], |a| {
        build_custom(s(&a[0]), s(&a[1]))
    });
    def(f, "genCA", &[Ty::Str, Ty::Int], |a| {
        gen_ca(s(&a[0]), i(&a[1]), rsa_key(2048))
    });
    def(f, "genCAWithKey", &[Ty::Str, Ty::Int, Ty::Str], |a| {
        let key = parse_key_pem(s(&a[2])).map_err(|e| format!("parsing private key: {e}"))?;
        gen_ca(s(&a[0]), i(&a[1]), key)
    });
    def(
        f,
        "genSelfSignedCert",
        &[Ty::Str, Ty::List, Ty::List, Ty::Int],
        |a| gen_cert(&a[0], &a[1], &a[2], &a[3], rsa_key(2048), None),
    );
    def(
        f,
        "genSelfSignedCertWithKey",
        &[Ty::Str, Ty::List, Ty::List, Ty::Int, Ty::Str],
        |a| {
            let key = parse_key_pem(s(&a[4])).map_err(|e| format!("parsing private key: {e}"))?;
            gen_cert(&a[0], &a[1], &a[2], &a[3], key, None)
        },
    );
    def(
        f,
        "genSignedCert",
        &[Ty::Str, Ty::List, Ty::List, Ty::Int, Ty::Any],
        |a| {
            let ca = cert_arg(&a[4])?;
            gen_cert(&a[0], &a[1], &a[2], &a[3], rsa_key(2048), Some(ca))
        },
    );
    def(
        f,
        "genSignedCertWithKey",
        &[Ty::Str, Ty::List, Ty::List, Ty::Int, Ty::Any, Ty::Str],
        |a| {
            let ca = cert_arg(&a[4])?;
            let key = parse_key_pem(s(&a[5])).map_err(|e| format!("parsing private key: {e}"))?;
            gen_cert(&a[0], &a[1], &a[2], &a[3], key, Some(ca))
        },
    );
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    b
}

/// Sprig's `bcrypt`: cost 10, Go's `$2a$` prefix.
fn bcrypt(password: &str) -> String {
    if password.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .into();
    }
    match bcrypt::hash_with_result(password, 10) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

const PASSWORD_SEED: &str = "com.lyndir.masterpassword";

fn templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_chars(c: u8) -> &'static [u8] {
    match c {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// The scrypt key of a password and salt. A chart that derives several site
/// passwords from one master password and user needs it once, so the last
/// one is kept (it is what costs: scrypt with N=32768, r=8, p=2).
fn master_key(password: &str, salt: &[u8]) -> [u8; 64] {
    type Last = Option<(String, Vec<u8>, [u8; 64])>;
    thread_local!(static LAST: std::cell::RefCell<Last> = const { std::cell::RefCell::new(None) });
    LAST.with_borrow_mut(|last| {
        if let Some((p, s, key)) = last
            && p == password
            && s == salt
        {
            return *key;
        }
        let mut key = [0u8; 64];
        tare_scrypt::scrypt(password.as_bytes(), salt, 15, 8, 2, &mut key);
        *last = Some((password.to_string(), salt.to_vec(), key));
        key
    })
}

/// The Master Password algorithm, as Sprig implements it.
fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    use hmac::Mac;
    let Some(temps) = templates(kind) else {
        return format!("cannot find password template {kind}");
    };
    let mut salt = PASSWORD_SEED.as_bytes().to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let key = master_key(password, &salt);
    let mut msg = PASSWORD_SEED.as_bytes().to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return "failed to derive password".into();
    };
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let temp = temps[usize::from(seed[0]) % temps.len()].as_bytes();
    temp.iter()
        .enumerate()
        .map(|(k, c)| {
            let chars = template_chars(*c);
            char::from(chars[usize::from(seed[k + 1]) % chars.len()])
        })
        .collect()
}

fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let p = password.as_bytes();
    let n = p.len().min(32);
    key[..n].copy_from_slice(&p[..n]);
    key
}

fn encrypt_aes(password: &str, plain: &str) -> String {
    if plain.is_empty() {
        return String::new();
    }
    let iv = random_bytes(16);
    let mut buf = plain.as_bytes().to_vec();
    let pad = 16 - buf.len() % 16;
    buf.extend(std::iter::repeat_n(pad as u8, pad));
    let n = buf.len();
    let enc = cbc::Encryptor::<aes::Aes256>::new(&aes_key(password).into(), iv.as_slice().into());
    let Ok(ct) = enc.encrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(&mut buf, n)
    else {
        return String::new();
    };
    let mut out = iv;
    out.extend_from_slice(ct);
    b64_encode(&out)
}

fn decrypt_aes(password: &str, crypt64: &str) -> Result<String, String> {
    if crypt64.is_empty() {
        return Ok(String::new());
    }
    let crypt = super::encoding::b64_decode(crypt64.as_bytes())
        .map_err(|at| format!("illegal base64 data at input byte {at}"))?;
    if crypt.len() < 16 {
        return Err(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            crypt.len()
        ));
    }
    let (iv, body) = crypt.split_at(16);
    if body.len() % 16 != 0 {
        return Err("crypto/cipher: input not full blocks".into());
    }
    if body.is_empty() {
        return Err("runtime error: index out of range [-1]".into());
    }
    let mut buf = body.to_vec();
    let dec = cbc::Decryptor::<aes::Aes256>::new(&aes_key(password).into(), iv.into());
    let plain = dec
        .decrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(&mut buf)
        .map_err(|_| "crypto/cipher: input not full blocks".to_string())?;
    let pad = usize::from(plain[plain.len() - 1]);
    if pad > plain.len() {
        return Err(format!(
            "runtime error: slice bounds out of range [:{}]",
            plain.len() as i64 - pad as i64
        ));
    }
    Ok(String::from_utf8_lossy(&plain[..plain.len() - pad]).into_owned())
}

/// A private key of one of the types Sprig generates or reads.
enum Key {
    Rsa(Box<rsa::RsaPrivateKey>),
    /// An EC key: curve OID, private scalar, public point.
    Ec(&'static [u8], Vec<u8>, Vec<u8>),
    /// An Ed25519 seed.
    Ed(Vec<u8>),
}

const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const ED25519_PKCS8_PREFIX: &[u8] = &[
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// An RSA key as `rsa::RsaPrivateKey::new` makes one (two primes with their
/// top two bits set, e = 65537), but faster: tare-primes searches the two
/// primes on two threads (the search dominates charts that generate
/// certificates).
fn rsa_key(bits: usize) -> Key {
    let exponent = rsa::BigUint::from(65_537_u32);
    loop {
        let primes = tare_primes::rsa_primes(bits / 2, |b| rand::thread_rng().fill_bytes(b));
        let [first, second] = primes.map(|p| rsa::BigUint::from_bytes_be(&p));
        if first == second {
            continue;
        }
        // Fails when e is not invertible modulo the totient: draw again, as rsa does.
        if let Ok(key) = rsa::RsaPrivateKey::from_primes(vec![first, second], exponent.clone()) {
            return Key::Rsa(Box::new(key));
        }
    }
}

fn ec_key() -> Result<Key, String> {
    let kp =
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    ec_from_pkcs8(&kp.serialize_der()).ok_or_else(|| "bad generated key".to_string())
}

/// DER: one tag-length-value, and what follows it.
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, head) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len = b
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |acc, x| (acc << 8) | usize::from(*x));
        (len, 2 + n)
    };
    let body = b.get(head..head + len)?;
    Some((tag, body, &b[head + len..]))
}

fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = body.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(body);
    out
}

/// The private scalar, public point and curve in a SEC 1 `ECPrivateKey`.
fn parse_sec1(b: &[u8], curve: Option<&'static [u8]>) -> Option<Key> {
    let (_, seq, _) = tlv(b)?;
    let (_, _version, rest) = tlv(seq)?;
    let (_, private, mut rest) = tlv(rest)?;
    let (mut oid, mut public) = (curve, None);
    while let Some((tag, body, more)) = tlv(rest) {
        match tag {
            0xa0 => {
                let (_, o, _) = tlv(body)?;
                oid = [OID_P256, OID_P384].into_iter().find(|known| *known == o);
            }
            0xa1 => public = Some(tlv(body)?.1.to_vec()),
            _ => {}
        }
        rest = more;
    }
    Some(Key::Ec(oid?, private.to_vec(), public?))
}

/// An EC key from a PKCS #8 `PrivateKeyInfo`.
fn ec_from_pkcs8(b: &[u8]) -> Option<Key> {
    let (_, seq, _) = tlv(b)?;
    let (_, _version, rest) = tlv(seq)?;
    let (_, alg, rest) = tlv(rest)?;
    let (_, _, params) = tlv(alg)?;
    let (_, curve, _) = tlv(params)?;
    let curve = [OID_P256, OID_P384]
        .into_iter()
        .find(|known| *known == curve)?;
    let (_, inner, _) = tlv(rest)?;
    parse_sec1(inner, Some(curve))
}

fn pem_block(kind: &str, der: &[u8]) -> String {
    let b64 = b64_encode(der);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

impl Key {
    /// Go's `pemBlockForKey`.
    fn pem(&self) -> String {
        match self {
            Key::Rsa(k) => match k.to_pkcs1_der() {
                Ok(d) => pem_block("RSA PRIVATE KEY", d.as_bytes()),
                Err(_) => String::new(),
            },
            Key::Ec(curve, private, public) => {
                let mut body = der(0x02, &[1]);
                body.extend(der(0x04, private));
                body.extend(der(0xa0, &der(0x06, curve)));
                body.extend(der(0xa1, &der(0x03, public)));
                pem_block("EC PRIVATE KEY", &der(0x30, &body))
            }
            Key::Ed(seed) => pem_block("PRIVATE KEY", &[ED25519_PKCS8_PREFIX, seed].concat()),
        }
    }

    /// The key as PKCS #8, which the signer reads.
    fn pkcs8(&self) -> Result<Vec<u8>, String> {
        match self {
            Key::Rsa(k) => k
                .to_pkcs8_der()
                .map(|d| d.as_bytes().to_vec())
                .map_err(|e| e.to_string()),
            Key::Ec(curve, private, public) => {
                let mut alg = der(0x06, OID_EC_PUBLIC_KEY);
                alg.extend(der(0x06, curve));
                let mut inner = der(0x02, &[1]);
                inner.extend(der(0x04, private));
                inner.extend(der(0xa1, &der(0x03, public)));
                let mut body = der(0x02, &[0]);
                body.extend(der(0x30, &alg));
                body.extend(der(0x04, &der(0x30, &inner)));
                Ok(der(0x30, &body))
            }
            Key::Ed(seed) => Ok([ED25519_PKCS8_PREFIX, seed].concat()),
        }
    }

    fn key_pair(&self) -> Result<rcgen::KeyPair, String> {
        let der = self.pkcs8()?;
        let alg = match self {
            Key::Rsa(_) => &rcgen::PKCS_RSA_SHA256,
            Key::Ec(c, ..) if *c == OID_P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            Key::Ec(..) => &rcgen::PKCS_ECDSA_P256_SHA256,
            Key::Ed(_) => &rcgen::PKCS_ED25519,
        };
        rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der.into(), alg).map_err(|e| e.to_string())
    }
}

/// The first PEM block in `text` (Go's `pem.Decode`).
fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    use base64::Engine;
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let kind_end = rest.find("-----")?;
    let kind = rest[..kind_end].to_string();
    let body = &rest[kind_end + 5..];
    let end = body.find(&format!("-----END {kind}-----"))?;
    let b64: String = body[..end]
        .lines()
        .filter(|l| !l.contains(':'))
        .flat_map(|l| l.trim().chars())
        .collect();
    let data = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some((kind, data))
}

/// Sprig's `parsePrivateKeyPEM`.
fn parse_key_pem(text: &str) -> Result<Key, String> {
    let (kind, data) = pem_decode(text).ok_or("no PEM data in input")?;
    if kind == "PRIVATE KEY" {
        if data.starts_with(ED25519_PKCS8_PREFIX) && data.len() == 48 {
            return Ok(Key::Ed(data[16..].to_vec()));
        }
        if let Some(k) = ec_from_pkcs8(&data) {
            return Ok(k);
        }
        return rsa::RsaPrivateKey::from_pkcs8_der(&data)
            .map(|k| Key::Rsa(Box::new(k)))
            .map_err(|e| format!("decoding PEM as PKCS#8: x509: {e}"));
    }
    let Some(prefix) = kind.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {kind}"));
    };
    match prefix {
        "RSA" => rsa::RsaPrivateKey::from_pkcs1_der(&data)
            .map(|k| Key::Rsa(Box::new(k)))
            .map_err(|e| format!("parsing RSA private key from PEM: x509: {e}")),
        "EC" => parse_sec1(&data, None).ok_or_else(|| {
            "parsing EC private key from PEM: x509: failed to parse EC private key".to_string()
        }),
        "DSA" => Err("parsing DSA private key from PEM: DSA keys are not supported".into()),
        _ => Err(format!("invalid private key type {kind}")),
    }
}

/// Sprig's `certificate`: `.Cert` and `.Key`, both PEM.
struct Certificate {
    cert: String,
    key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> String {
        "sprig.certificate".into()
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::str(&self.cert)),
            "Key" => Some(Value::str(&self.key)),
            _ => None,
        }
    }

    fn struct_fields(&self) -> Vec<(String, Value)> {
        vec![
            ("Cert".into(), Value::str(&self.cert)),
            ("Key".into(), Value::str(&self.key)),
        ]
    }
}

fn cert_value(cert: String, key: String) -> Value {
    Value::Object(Rc::new(Certificate { cert, key }))
}

fn cert_arg(v: &Value) -> Result<(String, String), String> {
    if let Value::Object(o) = v
        && o.type_name() == "sprig.certificate"
    {
        let get = |f: &str| o.field(f).and_then(|x| x.as_str().map(str::to_string));
        return Ok((
            get("Cert").unwrap_or_default(),
            get("Key").unwrap_or_default(),
        ));
    }
    let got = if v.is_nil() {
        "<nil>".to_string()
    } else {
        v.type_name()
    };
    Err(format!(
        "wrong type for value; expected sprig.certificate; got {got}"
    ))
}

fn build_custom(b64cert: &str, b64key: &str) -> Result<Value, String> {
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let cert = engine
        .decode(b64cert)
        .map_err(|_| "unable to decode base64 certificate")?;
    let key = engine
        .decode(b64key)
        .map_err(|_| "unable to decode base64 private key")?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let (_, der) = pem_decode(&cert).ok_or("unable to decode certificate")?;
    x509_parser::parse_x509_certificate(&der)
        .map_err(|e| format!("error parsing certificate: decodedCert.Bytes: x509: {e}"))?;
    parse_key_pem(&key).map_err(|e| format!("error parsing private key: {e}"))?;
    Ok(cert_value(cert, key))
}

fn offset_time(days: i64) -> Result<(time::OffsetDateTime, time::OffsetDateTime), String> {
    let now = time::OffsetDateTime::now_utc();
    let after = days
        .checked_mul(86_400)
        .and_then(|secs| now.checked_add(time::Duration::seconds(secs)))
        .ok_or("error creating certificate: x509: invalid validity period")?;
    Ok((now, after))
}

/// Sprig's `getBaseCertTemplate`.
fn base_params(
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
) -> Result<rcgen::CertificateParams, String> {
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    // Go writes DNS names before IP addresses.
    let mut ip_sans = Vec::new();
    for ip in as_list(ips).iter().flat_map(|l| l.iter()) {
        let text = ip
            .as_str()
            .ok_or_else(|| format!("error parsing ip: {} is not a string", super::sprint1(ip)))?;
        let addr: IpAddr = text
            .parse()
            .map_err(|_| format!("error parsing ip: {text}"))?;
        ip_sans.push(rcgen::SanType::IpAddress(addr));
    }
    for name in as_list(dns).iter().flat_map(|l| l.iter()) {
        let text = name.as_str().ok_or_else(|| {
            format!(
                "error processing alternate dns name: {} is not a string",
                super::sprint1(name)
            )
        })?;
        let ia5 = rcgen::Ia5String::try_from(text).map_err(|e| e.to_string())?;
        p.subject_alt_names.push(rcgen::SanType::DnsName(ia5));
    }
    p.subject_alt_names.extend(ip_sans);
    let mut serial = random_bytes(16);
    serial[0] &= 0x7f;
    p.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    (p.not_before, p.not_after) = offset_time(days)?;
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    p.is_ca = rcgen::IsCa::ExplicitNoCa;
    Ok(p)
}

fn creating(e: impl std::fmt::Display) -> String {
    format!("error creating certificate: {e}")
}

fn gen_ca(cn: &str, days: i64, key: Key) -> Result<Value, String> {
    let mut p = base_params(cn, &Value::Nil, &Value::Nil, days)?;
    p.key_usages.push(rcgen::KeyUsagePurpose::KeyCertSign);
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let kp = key.key_pair().map_err(creating)?;
    let cert = p.self_signed(&kp).map_err(creating)?;
    Ok(cert_value(cert.pem(), key.pem()))
}

fn gen_cert(
    cn: &Value,
    ips: &Value,
    dns: &Value,
    days: &Value,
    key: Key,
    ca: Option<(String, String)>,
) -> Result<Value, String> {
    let p = base_params(s(cn), ips, dns, i(days))?;
    let kp = key.key_pair().map_err(creating)?;
    let cert = match ca {
        None => p.self_signed(&kp).map_err(creating)?,
        Some((ca_cert, ca_key)) => {
            let (_, der) = pem_decode(&ca_cert).ok_or("unable to decode certificate")?;
            x509_parser::parse_x509_certificate(&der).map_err(|e| {
                format!("error parsing certificate: decodedSignerCert.Bytes: x509: {e}")
            })?;
            let signer =
                parse_key_pem(&ca_key).map_err(|e| format!("error parsing private key: {e}"))?;
            let signer = signer.key_pair().map_err(creating)?;
            let issuer = rcgen::CertificateParams::from_ca_cert_pem(&ca_cert)
                .map_err(creating)?
                .self_signed(&signer)
                .map_err(creating)?;
            p.signed_by(&kp, &issuer, &signer).map_err(creating)?
        }
    };
    Ok(cert_value(cert.pem(), key.pem()))
}
