//! Client certificates for TAK clients, signed by the node's CA (`pki.rs`): from a CSR
//! (enrollment, [`sign_csr`]) or with a new key ([`issue`]), and packed the way TAK clients
//! import them ([`client_bundle`]): PKCS#12 files and a TAK data package.
//!
//! # Choices for ATAK, iTAK and WinTAK
//! - **RSA-2048 client keys.** ATAK generates RSA-2048 keys itself when it enrols (its
//!   `commoncommo` enrollment code knows no other key type) and TAK Server issues RSA, so RSA
//!   is the key type every TAK client release is known to load from a `.p12`. ECDSA would work
//!   in recent clients but is untested across the fleet; RSA costs nothing at the phone.
//!   (The node's CA and server certificate stay ECDSA P-256: TLS clients only verify them.)
//! - **Legacy PKCS#12 encryption**: `pbeWithSHAAnd3-KeyTripleDES-CBC` for the key and the
//!   certificates, SHA-1 MAC, 2048 iterations. The current OpenSSL/Java default (PBES2 with
//!   AES-256 and PBKDF2) is not read by the Android key stores older ATAK builds use nor by
//!   iOS's `SecPKCS12Import` (iTAK), which is why TAK Server, `openssl pkcs12 -legacy` and
//!   pytak all write the legacy suite for TAK clients.
//! - Subject: `CN=<user>` (the principal the TLS listener looks up), `OU=<nation>`,
//!   `O=Liptako`; extended key usage client authentication.
//!
//! # The data package
//! One `.zip` a phone imports to be fully set up (ATAK, iTAK): `MANIFEST/manifest.xml`, a
//! `.pref` with the streaming connection (`host:port:ssl`), the truststore and client
//! certificate locations and passwords, and the callsign, then the two `.p12` files.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use blake2::Blake2b512;
use blake2::digest::Digest;
use liptako_model::Nation;
use p12_keystore::{
    Certificate as P12Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm,
    PrivateKey as P12PrivateKey, PrivateKeyChain,
};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair,
    KeyUsagePurpose, PKCS_RSA_SHA256, SerialNumber, SubjectPublicKeyInfo,
};
use rsa::pkcs8::EncodePrivateKey;
use rustls_pki_types::PrivatePkcs8KeyDer;
use time::OffsetDateTime;

use crate::auth::write_private;
use crate::pki::{PkiError, PkiPaths, load_certs, sign_with_ca};

/// RSA modulus of generated client keys.
pub const CLIENT_KEY_BITS: usize = 2048;
/// Smallest RSA modulus accepted in a CSR.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted in a CSR (bounds the signing work a request can ask for).
pub const MAX_RSA_BITS: usize = 8192;
/// Key-derivation iterations of the PKCS#12 files (what TAK Server and OpenSSL use).
pub const P12_ITERATIONS: u32 = 2048;
/// The organisation in client certificate subjects.
pub const ORGANIZATION: &str = "Liptako";

/// Why a certificate could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// The CA or a file.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// Generating or signing.
    #[error("certificate: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// The CSR is not usable.
    #[error("certificate signing request: {0}")]
    Csr(String),
    /// Key generation or encoding.
    #[error("key: {0}")]
    Key(String),
    /// PKCS#12 or zip writing.
    #[error("packaging: {0}")]
    Package(String),
}

/// A certificate issued with a new key.
pub struct Issued {
    /// The certificate, DER.
    pub certificate_der: Vec<u8>,
    /// The certificate, PEM.
    pub certificate_pem: String,
    /// The private key, PKCS#8 DER.
    pub key_pkcs8_der: Vec<u8>,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("certificate_pem", &self.certificate_pem)
            .finish_non_exhaustive()
    }
}

/// The parameters of a client certificate for `user`, valid `days` from `now`.
fn client_params(
    user: &str,
    nation: Nation,
    days: u32,
    now: OffsetDateTime,
) -> Result<CertificateParams, CertError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, user);
    params
        .distinguished_name
        .push(DnType::OrganizationalUnitName, nation.as_str());
    params
        .distinguished_name
        .push(DnType::OrganizationName, ORGANIZATION);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.use_authority_key_identifier_extension = true;
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|err| CertError::Key(err.to_string()))?;
    // A positive serial number: the first bit clear.
    serial[0] &= 0x7f;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(i64::from(days));
    Ok(params)
}

/// Decodes a CSR as TAK clients send it: PEM, the base64 of its DER without the PEM lines
/// (ATAK), or DER.
pub fn csr_der(body: &[u8]) -> Result<Vec<u8>, CertError> {
    if body.first() == Some(&0x30) {
        return Ok(body.to_vec());
    }
    let text =
        std::str::from_utf8(body).map_err(|_| CertError::Csr("neither DER nor text".into()))?;
    let base64: String = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("-----"))
        .collect();
    <base64ct::Base64 as base64ct::Encoding>::decode_vec(&base64)
        .map_err(|_| CertError::Csr("not PEM or base64 DER".into()))
}

/// Signs the key of a CSR (DER) for `user`. The CSR's signature must verify and its key be
/// RSA of 2048 to 8192 bits, ECDSA P-256/P-384 or Ed25519; its subject and extensions are
/// ignored: the node decides what the certificate says.
pub fn sign_csr(
    data_dir: &Path,
    nation: Nation,
    user: &str,
    csr_der: &[u8],
    days: u32,
    now: OffsetDateTime,
) -> Result<rcgen::Certificate, CertError> {
    use x509_parser::prelude::FromDer;
    let (rest, csr) =
        x509_parser::certification_request::X509CertificationRequest::from_der(csr_der)
            .map_err(|err| CertError::Csr(format!("unreadable: {err}")))?;
    if !rest.is_empty() {
        return Err(CertError::Csr("trailing bytes".into()));
    }
    csr.verify_signature()
        .map_err(|_| CertError::Csr("its signature does not verify".into()))?;
    let spki = &csr.certification_request_info.subject_pki;
    if let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = spki.parsed() {
        let bits = rsa.key_size();
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(CertError::Csr(format!(
                "RSA key of {bits} bits; {MIN_RSA_BITS} to {MAX_RSA_BITS} are accepted"
            )));
        }
    }
    let public_key = SubjectPublicKeyInfo::from_der(spki.raw)
        .map_err(|_| CertError::Csr("unsupported key type".into()))?;
    let params = client_params(user, nation, days, now)?;
    Ok(sign_with_ca(data_dir, nation, &params, &public_key)?)
}

/// A random source for key generation: the operating system's, through `getrandom`.
struct OsRandom;

/// The operating system's random source failed.
#[derive(Debug)]
struct RandomError(String);

impl std::fmt::Display for RandomError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "random source: {}", self.0)
    }
}

impl std::error::Error for RandomError {}

impl rsa::rand_core::TryRng for OsRandom {
    type Error = RandomError;
    fn try_next_u32(&mut self) -> Result<u32, RandomError> {
        let mut bytes = [0u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }
    fn try_next_u64(&mut self) -> Result<u64, RandomError> {
        let mut bytes = [0u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), RandomError> {
        getrandom::fill(dst).map_err(|err| RandomError(err.to_string()))
    }
}

impl rsa::rand_core::TryCryptoRng for OsRandom {}

/// Issues a certificate for `user` with a new RSA-2048 key (slow: hundreds of milliseconds;
/// run it on a blocking thread).
pub fn issue(
    data_dir: &Path,
    nation: Nation,
    user: &str,
    days: u32,
    now: OffsetDateTime,
) -> Result<Issued, CertError> {
    let key = rsa::PrivateKey::new(&mut OsRandom, CLIENT_KEY_BITS)
        .map_err(|err| CertError::Key(err.to_string()))?;
    let pkcs8 = key
        .to_pkcs8_der()
        .map_err(|err| CertError::Key(err.to_string()))?;
    let key_pkcs8_der = pkcs8.as_bytes().to_vec();
    let key_pair = KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(key_pkcs8_der.as_slice()),
        &PKCS_RSA_SHA256,
    )?;
    let params = client_params(user, nation, days, now)?;
    let certificate = sign_with_ca(data_dir, nation, &params, &key_pair)?;
    Ok(Issued {
        certificate_der: certificate.der().to_vec(),
        certificate_pem: certificate.pem(),
        key_pem: key_pair.serialize_pem(),
        key_pkcs8_der,
    })
}

fn p12_error(err: impl std::fmt::Display) -> CertError {
    CertError::Package(format!("PKCS#12: {err}"))
}

fn write_p12(keystore: &KeyStore, password: &str) -> Result<Vec<u8>, CertError> {
    keystore
        .writer(password)
        .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
        .encryption_iterations(P12_ITERATIONS)
        .mac_algorithm(MacAlgorithm::HmacSha1)
        .mac_iterations(P12_ITERATIONS)
        .write()
        .map_err(p12_error)
}

/// A PKCS#12 with the client's key, its certificate and the CA (legacy encryption, see the
/// module docs), the key under `alias`.
pub fn client_p12(
    alias: &str,
    key_pkcs8_der: &[u8],
    certificate_der: &[u8],
    ca_der: &[u8],
    password: &str,
) -> Result<Vec<u8>, CertError> {
    let key = P12PrivateKey::from_der(key_pkcs8_der).map_err(p12_error)?;
    let chain = [
        P12Certificate::from_der(certificate_der).map_err(p12_error)?,
        P12Certificate::from_der(ca_der).map_err(p12_error)?,
    ];
    let local_key_id: Vec<u8> = Blake2b512::digest(certificate_der)
        .iter()
        .take(20)
        .copied()
        .collect();
    let mut keystore = KeyStore::new();
    keystore.add_entry(
        alias,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, chain)),
    );
    write_p12(&keystore, password)
}

/// A PKCS#12 truststore holding the CA certificate (what TAK clients call `caLocation`).
pub fn truststore_p12(alias: &str, ca_der: &[u8], password: &str) -> Result<Vec<u8>, CertError> {
    let mut keystore = KeyStore::new();
    keystore.add_entry(
        alias,
        KeyStoreEntry::Certificate(P12Certificate::from_der(ca_der).map_err(p12_error)?),
    );
    write_p12(&keystore, password)
}

/// What goes in a TAK data package.
#[derive(Debug, Clone)]
pub struct PackageSpec {
    /// The server as TAK clients list it.
    pub description: String,
    /// Host name or address the phone connects to.
    pub host: String,
    /// The TLS streaming port (8089).
    pub port: u16,
    /// The device's callsign.
    pub callsign: String,
    /// File name of the client `.p12` in the package.
    pub client_p12_name: String,
    /// File name of the truststore `.p12` in the package.
    pub truststore_name: String,
    /// Password of both `.p12` files.
    pub password: String,
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The `.pref` of a data package: ATAK's preference file format (`cot_streams` holds the
/// connection; the app preferences the certificate locations and the callsign).
pub fn preferences(spec: &PackageSpec) -> String {
    let string = |key: &str, value: &str| {
        format!(
            "    <entry key=\"{key}\" class=\"class java.lang.String\">{}</entry>\n",
            xml_escape(value)
        )
    };
    let boolean = |key: &str, value: bool| {
        format!("    <entry key=\"{key}\" class=\"class java.lang.Boolean\">{value}</entry>\n")
    };
    let ca_location = format!("cert/{}", spec.truststore_name);
    let client_location = format!("cert/{}", spec.client_p12_name);
    let mut pref =
        String::from("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n<preferences>\n");
    pref.push_str("  <preference version=\"1\" name=\"cot_streams\">\n");
    pref.push_str("    <entry key=\"count\" class=\"class java.lang.Integer\">1</entry>\n");
    pref.push_str(&string("description0", &spec.description));
    pref.push_str(&boolean("enabled0", true));
    pref.push_str(&string(
        "connectString0",
        &format!("{}:{}:ssl", spec.host, spec.port),
    ));
    pref.push_str(&string("caLocation0", &ca_location));
    pref.push_str(&string("caPassword0", &spec.password));
    pref.push_str(&string("certificateLocation0", &client_location));
    pref.push_str(&string("clientPassword0", &spec.password));
    pref.push_str(&boolean("useAuth0", false));
    pref.push_str("  </preference>\n");
    pref.push_str("  <preference version=\"1\" name=\"com.atakmap.app_preferences\">\n");
    pref.push_str(&boolean("displayServerConnectionWidget", true));
    pref.push_str(&string("caLocation", &ca_location));
    pref.push_str(&string("caPassword", &spec.password));
    pref.push_str(&string("certificateLocation", &client_location));
    pref.push_str(&string("clientPassword", &spec.password));
    pref.push_str(&string("locationCallsign", &spec.callsign));
    pref.push_str("  </preference>\n</preferences>\n");
    pref
}

/// The data package `.zip`: manifest, preferences and both `.p12` files (stored entries).
pub fn data_package(
    spec: &PackageSpec,
    package_uid: &str,
    client_p12: &[u8],
    truststore: &[u8],
    now: OffsetDateTime,
) -> Result<Vec<u8>, CertError> {
    let pref_name = format!("{}.pref", file_stem(&spec.callsign));
    let mut manifest = String::new();
    let _ = write!(
        manifest,
        "<MissionPackageManifest version=\"2\">\n  <Configuration>\n    \
         <Parameter name=\"uid\" value=\"{}\"/>\n    \
         <Parameter name=\"name\" value=\"{}\"/>\n    \
         <Parameter name=\"onReceiveImport\" value=\"true\"/>\n    \
         <Parameter name=\"onReceiveDelete\" value=\"true\"/>\n  </Configuration>\n  <Contents>\n",
        xml_escape(package_uid),
        xml_escape(&format!("{} ({})", spec.description, spec.callsign)),
    );
    for entry in [&pref_name, &spec.truststore_name, &spec.client_p12_name] {
        let _ = writeln!(
            manifest,
            "    <Content ignore=\"false\" zipEntry=\"{}\"/>",
            xml_escape(entry)
        );
    }
    manifest.push_str("  </Contents>\n</MissionPackageManifest>\n");
    let zip_error = |err: &dyn std::fmt::Display| CertError::Package(format!("zip: {err}"));
    let modified = zip::DateTime::from_date_and_time(
        now.year().clamp(1980, 2107) as u16,
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
    )
    .unwrap_or_default();
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(modified)
        .unix_permissions(0o600);
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in [
        ("MANIFEST/manifest.xml", manifest.as_bytes()),
        (pref_name.as_str(), preferences(spec).as_bytes()),
        (spec.truststore_name.as_str(), truststore),
        (spec.client_p12_name.as_str(), client_p12),
    ] {
        writer
            .start_file(name, options)
            .map_err(|err| zip_error(&err))?;
        writer.write_all(bytes).map_err(|err| zip_error(&err))?;
    }
    let cursor = writer.finish().map_err(|err| zip_error(&err))?;
    Ok(cursor.into_inner())
}

/// A callsign as a file name: letters, digits, `-` and `_`, other characters as `_`.
pub fn file_stem(callsign: &str) -> String {
    let stem: String = callsign
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() {
        "client".to_owned()
    } else {
        stem
    }
}

/// What `liptako certs client` asks for.
#[derive(Debug, Clone)]
pub struct BundleOptions {
    /// The device's callsign.
    pub callsign: String,
    /// The user the certificate is issued to (its CN).
    pub user: String,
    /// The host the phone connects to.
    pub host: String,
    /// The TLS streaming port.
    pub port: u16,
    /// The `.p12` password.
    pub password: String,
    /// Validity in days.
    pub days: u32,
}

/// The files of a client bundle, by name, and whether each is secret.
#[derive(Debug)]
pub struct Bundle {
    /// (file name, content, secret).
    pub files: Vec<(String, Vec<u8>, bool)>,
}

impl Bundle {
    /// Writes every file into `dir` (secrets readable by the owner only); refuses to
    /// overwrite.
    pub fn write_to(&self, dir: &Path) -> Result<(), CertError> {
        std::fs::create_dir_all(dir).map_err(|err| PkiError::Io {
            path: dir.to_owned(),
            message: err.to_string(),
        })?;
        for (name, bytes, secret) in &self.files {
            let path = dir.join(name);
            let written = if *secret {
                write_private(&path, bytes)
            } else {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .and_then(|mut file| file.write_all(bytes))
            };
            written.map_err(|err| PkiError::Io {
                path: path.clone(),
                message: err.to_string(),
            })?;
        }
        Ok(())
    }
}

/// Issues a certificate with a new key and packs it for a phone: `<stem>.p12` (key,
/// certificate, CA), `<stem>.pem`, `<stem>-key.pem`, `ca.pem`, `truststore-<nation>.p12` and
/// the data package `<stem>.zip`.
pub fn client_bundle(
    data_dir: &Path,
    nation: Nation,
    options: &BundleOptions,
    now: OffsetDateTime,
) -> Result<Bundle, CertError> {
    let paths = PkiPaths::new(data_dir);
    let ca = load_certs(&paths.ca_cert)?;
    let ca_der = ca
        .first()
        .map(|cert| cert.as_ref().to_vec())
        .ok_or_else(|| CertError::Package("no CA certificate".into()))?;
    let ca_pem = std::fs::read(&paths.ca_cert).map_err(|err| PkiError::Io {
        path: paths.ca_cert.clone(),
        message: err.to_string(),
    })?;
    let issued = issue(data_dir, nation, &options.user, options.days, now)?;
    let stem = file_stem(&options.callsign);
    let client_p12_name = format!("{stem}.p12");
    let truststore_name = format!("truststore-{}.p12", nation.as_str().to_ascii_lowercase());
    let client = client_p12(
        &stem,
        &issued.key_pkcs8_der,
        &issued.certificate_der,
        &ca_der,
        &options.password,
    )?;
    let truststore = truststore_p12(
        &format!("liptako-{}-ca", nation.as_str().to_ascii_lowercase()),
        &ca_der,
        &options.password,
    )?;
    let spec = PackageSpec {
        description: format!("Liptako {nation}"),
        host: options.host.clone(),
        port: options.port,
        callsign: options.callsign.clone(),
        client_p12_name: client_p12_name.clone(),
        truststore_name: truststore_name.clone(),
        password: options.password.clone(),
    };
    let package = data_package(
        &spec,
        &uuid::Uuid::new_v4().to_string(),
        &client,
        &truststore,
        now,
    )?;
    Ok(Bundle {
        files: vec![
            (client_p12_name, client, true),
            (
                format!("{stem}.pem"),
                issued.certificate_pem.into_bytes(),
                false,
            ),
            (format!("{stem}-key.pem"), issued.key_pem.into_bytes(), true),
            ("ca.pem".to_owned(), ca_pem, false),
            (truststore_name, truststore, false),
            (format!("{stem}.zip"), package, true),
        ],
    })
}

/// What `liptako certs client` asks for (everything optional has a default).
#[derive(Debug, Clone)]
pub struct ClientRequest {
    /// The device's callsign.
    pub callsign: String,
    /// The user the certificate is issued to; must exist and be enabled.
    pub user: String,
    /// Host phones connect to; default: the TLS listener's address unless it is a wildcard.
    pub host: Option<String>,
    /// TLS port; default: the TLS listener's, else 8089.
    pub port: Option<u16>,
    /// `.p12` password; generated when absent.
    pub password: Option<String>,
    /// Output directory; default `DATA/clients/<callsign>`.
    pub out: Option<std::path::PathBuf>,
    /// Validity in days; default `[cot] client_cert_days`.
    pub days: Option<u32>,
}

/// What [`issue_client`] did.
#[derive(Debug)]
pub struct IssuedClient {
    /// Where the files are.
    pub dir: std::path::PathBuf,
    /// The files written.
    pub files: Vec<String>,
    /// The `.p12` password when it was generated (shown once, stored nowhere).
    pub generated_password: Option<String>,
    /// `host:port` the data package points phones at.
    pub connect: String,
}

/// The default TAK TLS port.
pub const DEFAULT_TLS_PORT: u16 = 8089;

/// Issues a client certificate bundle for a user of the node in `data_dir` and writes it
/// (see [`client_bundle`]); the issue is audited (`certificate_issued`). Works on the files
/// directly, so also while the server runs.
pub fn issue_client(data_dir: &Path, request: ClientRequest) -> anyhow::Result<IssuedClient> {
    use liptako_store::{AuditEntry, SqliteStore, Store, WriteOp};
    let config = crate::Config::load(data_dir)?;
    let nation = config.node.nation;
    let callsign = request.callsign.trim().to_owned();
    if callsign.is_empty()
        || callsign.chars().count() > 120
        || callsign.chars().any(char::is_control)
    {
        anyhow::bail!("--name: a callsign of 1 to 120 printable characters");
    }
    let store = SqliteStore::open(&config.store_path(data_dir), None)?;
    match store.user(&request.user)? {
        None => anyhow::bail!(
            "no user {:?} on this node: add it first with `liptako user add`",
            request.user
        ),
        Some(user) if user.disabled => anyhow::bail!("user {:?} is disabled", request.user),
        Some(_) => {}
    }
    let tls = config.cot.tls_listen;
    let host = match (request.host, tls) {
        (Some(host), _) => host,
        (None, Some(addr)) if !addr.ip().is_unspecified() && !addr.ip().is_loopback() => {
            addr.ip().to_string()
        }
        _ => anyhow::bail!(
            "--host: the name or address phones reach this node at (the TLS listener is not bound to one)"
        ),
    };
    let port = request
        .port
        .or(tls.map(|addr| addr.port()))
        .unwrap_or(DEFAULT_TLS_PORT);
    let (password, generated_password) = match request.password {
        Some(password) => {
            if password.chars().count() < 8 {
                anyhow::bail!("--password: at least 8 characters");
            }
            (password, None)
        }
        None => {
            let password = crate::auth::generate_password()?;
            (password.clone(), Some(password))
        }
    };
    let dir = request
        .out
        .unwrap_or_else(|| data_dir.join("clients").join(file_stem(&callsign)));
    if dir.exists() && std::fs::read_dir(&dir).map(|mut entries| entries.next().is_some())? {
        anyhow::bail!(
            "{} exists and is not empty: choose another --out or --name",
            dir.display()
        );
    }
    let days = request.days.unwrap_or(config.cot.client_cert_days);
    if days == 0 {
        anyhow::bail!("--days: at least 1");
    }
    let now = OffsetDateTime::now_utc();
    let bundle = client_bundle(
        data_dir,
        nation,
        &BundleOptions {
            callsign: callsign.clone(),
            user: request.user.clone(),
            host: host.clone(),
            port,
            password,
            days,
        },
        now,
    )?;
    bundle.write_to(&dir)?;
    store.write(vec![WriteOp::Audit(AuditEntry {
        at: now,
        actor: request.user.clone(),
        action: "certificate_issued".into(),
        object_id: None,
        version: None,
        partner: None,
        detail: format!("liptako certs client: callsign {callsign:?}, valid {days} days"),
    })])?;
    Ok(IssuedClient {
        dir,
        files: bundle
            .files
            .iter()
            .map(|(name, _, _)| name.clone())
            .collect(),
        generated_password,
        connect: format!("{host}:{port}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_bodies_in_every_form_decode() {
        let der = vec![0x30, 0x03, 0x02, 0x01, 0x00];
        assert_eq!(csr_der(&der).unwrap(), der);
        let base64 = <base64ct::Base64 as base64ct::Encoding>::encode_string(&der);
        assert_eq!(csr_der(base64.as_bytes()).unwrap(), der);
        let pem = format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{base64}\n-----END CERTIFICATE REQUEST-----\n"
        );
        assert_eq!(csr_der(pem.as_bytes()).unwrap(), der);
        assert!(csr_der(b"not base64 !").is_err());
        assert!(csr_der(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn preferences_name_the_connection_and_files() {
        let spec = PackageSpec {
            description: "Liptako MLI".into(),
            host: "tak.example.ml".into(),
            port: 8089,
            callsign: "FALCON <1>".into(),
            client_p12_name: "FALCON__1_.p12".into(),
            truststore_name: "truststore-mli.p12".into(),
            password: "s3cret&x".into(),
        };
        let pref = preferences(&spec);
        assert!(pref.contains(">tak.example.ml:8089:ssl<"), "{pref}");
        assert!(pref.contains("name=\"cot_streams\""));
        assert!(pref.contains(">cert/truststore-mli.p12<"));
        assert!(pref.contains(">cert/FALCON__1_.p12<"));
        assert!(pref.contains(">FALCON &lt;1&gt;<"));
        assert!(pref.contains(">s3cret&amp;x<"));
        assert_eq!(file_stem("FALCON <1>"), "FALCON__1_");
        assert_eq!(file_stem(""), "client");
    }
}
