//! The node's certificates: one certificate authority per node, which issues the node's own
//! certificate (for federation, where it authenticates the node to its partners, and for the
//! TLS listeners) and, later, client certificates.
//!
//! A node certificate names its nation in two places: the subject CN (`MLI`) and a DNS name
//! `mli.liptako.node` ([`node_dns_name`]), which is what partners check (the standard TLS name
//! check, both ways). Partners exchange CA certificates out of band; a node trusts, for each
//! link, only that partner's CA, and only for that partner's nation.
//!
//! Files, under `DATA/certs/`: `ca.pem`, `ca.key` (readable by the owner only), `node.pem`,
//! `node.key`; partners' CAs under `DATA/partners/<NATION>-ca.pem`.
//!
//! The node also has an **origin key** (Ed25519, `origin.key`, public half `origin.pub`): it
//! signs every version and recall this node originates, so that a partner relaying them
//! cannot forge or erase them (see `federation::sign`). Partners accredit it in their
//! `[federation] origin_keys`, with the link (`liptako link add`) or alone for a nation reached
//! only through a relay (`liptako link origin`).

use std::path::{Path, PathBuf};

use liptako_model::Nation;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use time::OffsetDateTime;

use crate::auth::write_private;

/// The crypto provider every TLS configuration of the node uses (partners, TAK, HTTPS).
pub fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates directory inside the data directory.
pub const CERT_DIR: &str = "certs";
/// The partner CAs directory inside the data directory.
pub const PARTNER_DIR: &str = "partners";
/// The file name of a node's origin public key (beside its `ca.pem`).
pub const ORIGIN_PUB_FILE: &str = "origin.pub";
/// How long node and CA certificates are valid.
const VALIDITY_DAYS: i64 = 5 * 365;

/// The DNS name a node certificate carries for its nation: `mli.liptako.node`.
pub fn node_dns_name(nation: Nation) -> String {
    format!("{}.liptako.node", nation.as_str().to_ascii_lowercase())
}

/// Where a node's certificate files are.
#[derive(Debug, Clone)]
pub struct PkiPaths {
    /// The CA certificate (give it to partners).
    pub ca_cert: PathBuf,
    /// The CA key.
    pub ca_key: PathBuf,
    /// The node certificate.
    pub node_cert: PathBuf,
    /// The node key.
    pub node_key: PathBuf,
    /// The origin signing key (PKCS#8, Ed25519).
    pub origin_key: PathBuf,
    /// Its public half, as text (give it to partners with the CA certificate).
    pub origin_pub: PathBuf,
}

impl PkiPaths {
    /// The standard paths under `data_dir`.
    pub fn new(data_dir: &Path) -> PkiPaths {
        let dir = data_dir.join(CERT_DIR);
        PkiPaths {
            ca_cert: dir.join("ca.pem"),
            ca_key: dir.join("ca.key"),
            node_cert: dir.join("node.pem"),
            node_key: dir.join("node.key"),
            origin_key: dir.join("origin.key"),
            origin_pub: dir.join(ORIGIN_PUB_FILE),
        }
    }

    /// Whether the node certificate exists.
    pub fn exists(&self) -> bool {
        self.node_cert.exists() && self.node_key.exists()
    }
}

/// The CA's parameters; deterministic from the nation, so that the CA can sign again later from
/// its key alone.
fn ca_params(nation: Nation) -> Result<CertificateParams, PkiError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, format!("Liptako {nation} CA"));
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Liptako");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(VALIDITY_DAYS);
    Ok(params)
}

/// Creates the node's CA and node certificate under `data_dir/certs`. `hosts` are extra DNS
/// names or IP addresses for the node certificate (what clients such as TAK phones connect
/// to); `localhost` and 127.0.0.1 are always included. Refuses to overwrite existing files.
pub fn init(data_dir: &Path, nation: Nation, hosts: &[String]) -> Result<PkiPaths, PkiError> {
    let paths = PkiPaths::new(data_dir);
    if paths.ca_key.exists() || paths.node_key.exists() {
        return Err(PkiError::Exists(paths.ca_key.clone()));
    }
    crate::config::create_dir_durably(&data_dir.join(CERT_DIR))
        .map_err(|err| PkiError::io(data_dir, err))?;
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca_params(nation)?.self_signed(&ca_key)?;

    let mut names = vec![
        node_dns_name(nation),
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
    ];
    for host in hosts {
        if !names.contains(host) {
            names.push(host.clone());
        }
    }
    let mut params = CertificateParams::new(names)?;
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, nation.as_str());
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Liptako");
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(VALIDITY_DAYS);
    let node_key = KeyPair::generate()?;
    let ca_params = ca_params(nation)?;
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let node_cert = params.signed_by(&node_key, &issuer)?;

    write_private(&paths.ca_key, ca_key.serialize_pem().as_bytes())
        .map_err(|err| PkiError::io(&paths.ca_key, err))?;
    write_private(&paths.node_key, node_key.serialize_pem().as_bytes())
        .map_err(|err| PkiError::io(&paths.node_key, err))?;
    std::fs::write(&paths.ca_cert, ca_cert.pem())
        .map_err(|err| PkiError::io(&paths.ca_cert, err))?;
    std::fs::write(&paths.node_cert, node_cert.pem())
        .map_err(|err| PkiError::io(&paths.node_cert, err))?;
    ensure_origin_key(data_dir)?;
    Ok(paths)
}

/// An Ed25519 public key accredited for an origin nation: `ed25519:<base64 of 32 bytes>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginPublicKey(pub [u8; 32]);

impl OriginPublicKey {
    /// Parses `ed25519:<base64>`.
    pub fn parse(text: &str) -> Result<OriginPublicKey, String> {
        use base64ct::Encoding;
        let encoded = text
            .trim()
            .strip_prefix("ed25519:")
            .ok_or_else(|| format!("origin key {text:?}: expected ed25519:<base64>"))?;
        let bytes = base64ct::Base64::decode_vec(encoded)
            .map_err(|_| format!("origin key {text:?}: not base64"))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("origin key {text:?}: an Ed25519 key has 32 bytes"))?;
        Ok(OriginPublicKey(key))
    }
}

impl std::fmt::Display for OriginPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use base64ct::Encoding;
        write!(f, "ed25519:{}", base64ct::Base64::encode_string(&self.0))
    }
}

/// Creates the node's origin key if it has none yet (nodes whose certificates predate it);
/// returns its public half.
pub fn ensure_origin_key(data_dir: &Path) -> Result<OriginPublicKey, PkiError> {
    let paths = PkiPaths::new(data_dir);
    if !paths.origin_key.exists() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| PkiError::io(&paths.origin_key, std::io::Error::other("no randomness")))?;
        write_private(&paths.origin_key, pkcs8.as_ref())
            .map_err(|err| PkiError::io(&paths.origin_key, err))?;
    }
    let key = load_origin_key(data_dir)?;
    let public = origin_public_key(&key);
    if !paths.origin_pub.exists() {
        std::fs::write(&paths.origin_pub, format!("{public}\n"))
            .map_err(|err| PkiError::io(&paths.origin_pub, err))?;
    }
    Ok(public)
}

/// The node's origin signing key.
pub fn load_origin_key(data_dir: &Path) -> Result<ring::signature::Ed25519KeyPair, PkiError> {
    let path = PkiPaths::new(data_dir).origin_key;
    let pkcs8 = std::fs::read(&path).map_err(|err| PkiError::io(&path, err))?;
    ring::signature::Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|err| PkiError::Pem {
        path,
        message: format!("not an Ed25519 PKCS#8 key: {err}"),
    })
}

/// The public half of an origin key.
pub fn origin_public_key(key: &ring::signature::Ed25519KeyPair) -> OriginPublicKey {
    use ring::signature::KeyPair as _;
    let mut bytes = [0; 32];
    bytes.copy_from_slice(key.public_key().as_ref());
    OriginPublicKey(bytes)
}

/// Reads an origin public key file (`origin.pub`).
pub fn read_origin_public_key(path: &Path) -> Result<OriginPublicKey, PkiError> {
    let text = std::fs::read_to_string(path).map_err(|err| PkiError::io(path, err))?;
    OriginPublicKey::parse(&text).map_err(|message| PkiError::Pem {
        path: path.to_owned(),
        message,
    })
}

/// Signs a certificate for `params` and `public_key` with the node's CA (for client
/// certificates).
pub fn sign_with_ca(
    data_dir: &Path,
    nation: Nation,
    params: &CertificateParams,
    public_key: &impl rcgen::PublicKeyData,
) -> Result<rcgen::Certificate, PkiError> {
    let paths = PkiPaths::new(data_dir);
    let pem =
        std::fs::read_to_string(&paths.ca_key).map_err(|err| PkiError::io(&paths.ca_key, err))?;
    let ca_key = KeyPair::from_pem(&pem)?;
    let ca_params = ca_params(nation)?;
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    Ok(params.signed_by(public_key, &issuer)?)
}

/// Reads every certificate of a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|err| PkiError::Pem {
            path: path.to_owned(),
            message: err.to_string(),
        })?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| PkiError::Pem {
            path: path.to_owned(),
            message: err.to_string(),
        })?;
    if certs.is_empty() {
        return Err(PkiError::Pem {
            path: path.to_owned(),
            message: "no certificate in the file".into(),
        });
    }
    Ok(certs)
}

/// Reads a private key from a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, PkiError> {
    PrivateKeyDer::from_pem_file(path).map_err(|err| PkiError::Pem {
        path: path.to_owned(),
        message: err.to_string(),
    })
}

/// A certificate operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// Generating or signing failed.
    #[error("certificate: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// A file could not be read or written.
    #[error("{}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A PEM file is unusable.
    #[error("{}: {message}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Refusing to overwrite keys.
    #[error("{} already exists: this node already has its certificates", .0.display())]
    Exists(PathBuf),
}

impl PkiError {
    fn io(path: &Path, err: std::io::Error) -> PkiError {
        PkiError::Io {
            path: path.to_owned(),
            message: err.to_string(),
        }
    }
}
