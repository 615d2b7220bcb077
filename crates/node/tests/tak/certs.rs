//! Client certificates: what `liptako certs client` writes (checked by Python's cryptography,
//! pytak's loader), the legacy PKCS#12 encryption TAK clients need, CSR signing rules, and
//! enrollment exactly as ATAK sends it.

use liptako_node::tak::certs::{
    ClientRequest, client_p12, csr_der, issue_client, sign_csr, truststore_p12,
};
use rcgen::{CertificateParams, KeyPair};
use serde_json::json;

use super::common::{PASSWORD, Peers, TakNode, nation};

/// DER of the OIDs a PKCS#12 names its algorithms with.
const PBE_SHA1_3DES: &[u8] = &[
    0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x03,
];
const PBES2: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d,
];
const SHA1: &[u8] = &[0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a];

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_bundles_use_the_legacy_pkcs12_suite_and_load_in_python() {
    let node = TakNode::start(|_| {}).await;
    let cert = node.client_cert("ner_dr");
    let p12 = std::fs::read(&cert.p12).unwrap();
    // pbeWithSHAAnd3-KeyTripleDES-CBC for key and certificates, SHA-1 MAC, no PBES2.
    assert!(contains(&p12, PBE_SHA1_3DES));
    assert!(contains(&p12, SHA1));
    assert!(!contains(&p12, PBES2));
    let truststore = cert.p12.with_file_name("truststore-mli.p12");
    let result = Peers::run(json!({"steps": [
        {"op": "load_p12", "name": "client", "p12": cert.p12, "password": cert.password},
    ]}))
    .result()
    .await;
    let loaded = &result["enrolled"]["client"];
    assert_eq!(loaded["rsa_bits"], 2048, "{result}");
    assert_eq!(loaded["subject"], "O=Liptako,OU=MLI,CN=ner_dr");
    assert_eq!(loaded["key_matches"], true);
    // The CA travels in the client .p12.
    assert_eq!(loaded["n_extra"], 1);
    assert!(truststore.exists());
    // The data package holds the manifest, the preferences and both stores.
    let zip = std::fs::read(&cert.package).unwrap();
    for name in [
        &b"MANIFEST/manifest.xml"[..],
        b"NER_DR.pref",
        b"truststore-mli.p12",
        b"NER_DR.p12",
    ] {
        assert!(contains(&zip, name), "{}", String::from_utf8_lossy(name));
    }
    let audit = node
        .node
        .store()
        .audit(&liptako_store::AuditQuery {
            action: Some("certificate_issued".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(audit.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundles_are_refused_for_unknown_or_disabled_users_and_never_overwrite() {
    let node = TakNode::start(|_| {}).await;
    let request = |user: &str, out: &str| ClientRequest {
        callsign: "X".into(),
        user: user.into(),
        host: Some("127.0.0.1".into()),
        port: None,
        password: Some("long enough".into()),
        out: Some(node.dir.path().join(out)),
        days: None,
    };
    let err = issue_client(node.dir.path(), request("nobody", "a")).unwrap_err();
    assert!(err.to_string().contains("no user"), "{err}");
    issue_client(node.dir.path(), request("mli_np", "b")).unwrap();
    let err = issue_client(node.dir.path(), request("mli_np", "b")).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    let mut short = request("mli_np", "c");
    short.password = Some("short".into());
    assert!(issue_client(node.dir.path(), short).is_err());
    let mut record = node.node.store().user("bfa_np").unwrap().unwrap();
    record.disabled = true;
    node.node
        .store()
        .write(vec![liptako_store::WriteOp::PutUser(record)])
        .unwrap();
    let err = issue_client(node.dir.path(), request("bfa_np", "d")).unwrap_err();
    assert!(err.to_string().contains("disabled"), "{err}");
}

#[test]
fn pkcs12_round_trips_through_its_reader() {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(vec!["ca".into()]).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let mut leaf_params = CertificateParams::new(vec!["leaf".into()]).unwrap();
    leaf_params.distinguished_name = rcgen::DistinguishedName::new();
    leaf_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "leaf");
    let leaf = leaf_params.signed_by(&key, &issuer).unwrap();
    let bytes = client_p12("leaf", &key.serialize_der(), leaf.der(), ca.der(), "pw").unwrap();
    let store = p12_keystore::KeyStore::from_pkcs12(
        &bytes,
        "pw",
        p12_keystore::Pkcs12ImportPolicy::default(),
    )
    .unwrap();
    // The key with its chain: its certificate, then the CA.
    let (_, chain) = store.private_key_chain().unwrap();
    assert_eq!(chain.certs().len(), 2);
    assert_eq!(chain.certs()[0].as_der(), leaf.der().as_ref());
    assert_eq!(chain.certs()[1].as_der(), ca.der().as_ref());
    assert_eq!(chain.key().as_der(), key.serialize_der().as_slice());
    assert!(
        p12_keystore::KeyStore::from_pkcs12(
            &bytes,
            "wrong",
            p12_keystore::Pkcs12ImportPolicy::default()
        )
        .is_err()
    );
    let trust = truststore_p12("ca", ca.der(), "pw").unwrap();
    assert!(contains(&trust, PBE_SHA1_3DES));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrs_are_checked_and_the_node_names_the_subject() {
    let node = TakNode::start(|_| {}).await;
    let now = time::OffsetDateTime::now_utc();
    let sign = |csr: &[u8]| sign_csr(node.dir.path(), nation("MLI"), "mli_dr", csr, 30, now);
    // ECDSA P-256 CSR claiming to be someone else: signed, but for mli_dr.
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "admin");
    let csr = params.serialize_request(&key).unwrap();
    let signed = sign(csr.der()).unwrap();
    let (cn, units) = liptako_node::tak::listener::certificate_subject(signed.der()).unwrap();
    assert_eq!(cn, "mli_dr");
    assert_eq!(units, ["MLI"]);
    // The same CSR as ATAK's base64 body and as PEM decodes to the same DER.
    let pem = csr.pem().unwrap();
    assert_eq!(csr_der(pem.as_bytes()).unwrap(), csr.der().to_vec());
    // A tampered CSR does not verify.
    let mut tampered = csr.der().to_vec();
    let last = tampered.len() - 3;
    tampered[last] ^= 0x55;
    assert!(sign(&tampered).is_err());
    assert!(sign(b"\x30\x03\x02\x01\x00").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollment_as_atak_sends_it_answers_in_xml() {
    let node = TakNode::start(|_| {}).await;
    let port = node.started.enroll.unwrap().port();
    let result = Peers::run(json!({"steps": [
        {"op": "atak_enroll", "name": "atak", "port": port, "username": "bfa_c",
         "password": PASSWORD, "cafile": node.ca_pem(), "claim": "admin"},
        {"op": "atak_enroll", "name": "wrong", "port": port, "username": "bfa_c",
         "password": "wrong-password", "cafile": node.ca_pem()},
        {"op": "atak_enroll", "name": "weak", "port": port, "username": "bfa_c",
         "password": PASSWORD, "cafile": node.ca_pem(), "key_size": 1024},
    ]}))
    .result()
    .await;
    let atak = &result["enrolled"]["atak"];
    assert_eq!(atak["status"], 200, "{result}");
    assert_eq!(atak["content_type"], "application/xml");
    assert_eq!(atak["config_entries"], json!({"O": "Liptako", "OU": "MLI"}));
    // Issued to the authenticated user, whatever the CSR claimed.
    assert_eq!(atak["subject_cn"], "bfa_c");
    assert_eq!(atak["key_matches"], true);
    assert_eq!(atak["ca_is_node_ca"], true);
    assert_eq!(atak["client_auth"], true);
    assert_eq!(result["enrolled"]["wrong"]["config_status"], 401);
    // A key below 2048 bits is refused.
    assert_eq!(result["enrolled"]["weak"]["status"], 400, "{result}");
    assert_eq!(node.metric("liptako_tak_enrollments_total"), 1);
}
