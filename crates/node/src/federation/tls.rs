//! Mutual TLS between partner nodes (rustls, ring provider).
//!
//! - As a server, a node asks every partner for a certificate and accepts one only if, for
//!   some configured link, it chains to **that link's** CA and names **that link's** nation
//!   ([`PartnerVerifier`]): a partner's CA cannot vouch for another nation.
//! - As a client, a node trusts only the partner's CA for that link and checks that the server
//!   certificate names the partner's nation (the standard name check on
//!   [`node_dns_name`](crate::pki::node_dns_name)).
//! - Both sides speak HTTP/2 only (ALPN `h2`).

use std::sync::Arc;

use liptako_model::Nation;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, RootCertStore,
    ServerConfig, SignatureScheme,
};

use crate::pki::{node_dns_name, provider};

/// Whether `cert` names `nation` (carries its node DNS name).
pub fn names_nation(cert: &CertificateDer<'_>, nation: Nation) -> bool {
    let Ok(name) = ServerName::try_from(node_dns_name(nation)) else {
        return false;
    };
    webpki::EndEntityCert::try_from(cert)
        .is_ok_and(|end_entity| end_entity.verify_is_valid_for_subject_name(&name).is_ok())
}

/// The nation, among `candidates`, that a verified partner certificate names.
pub fn peer_nation(cert: &CertificateDer<'_>, candidates: &[Nation]) -> Option<Nation> {
    candidates
        .iter()
        .copied()
        .find(|nation| names_nation(cert, *nation))
}

/// Accepts a client certificate only from a configured partner: chained to that partner's CA
/// and naming that partner's nation.
#[derive(Debug)]
pub struct PartnerVerifier {
    partners: Vec<(Nation, Arc<dyn ClientCertVerifier>)>,
    hints: Vec<DistinguishedName>,
    provider: Arc<CryptoProvider>,
}

impl PartnerVerifier {
    /// A verifier for these partners, each with the CA certificates trusted for it.
    pub fn new(
        partners: &[(Nation, Vec<CertificateDer<'static>>)],
        provider: Arc<CryptoProvider>,
    ) -> Result<PartnerVerifier, rustls::Error> {
        let mut verifiers = Vec::new();
        let mut hints = Vec::new();
        for (nation, cas) in partners {
            let mut roots = RootCertStore::empty();
            for ca in cas {
                roots.add(ca.clone())?;
            }
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|err| rustls::Error::General(err.to_string()))?;
            hints.extend(verifier.root_hint_subjects().iter().cloned());
            verifiers.push((*nation, verifier));
        }
        Ok(PartnerVerifier {
            partners: verifiers,
            hints,
            provider,
        })
    }
}

impl ClientCertVerifier for PartnerVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        for (nation, verifier) in &self.partners {
            if names_nation(end_entity, *nation)
                && verifier
                    .verify_client_cert(end_entity, intermediates, now)
                    .is_ok()
            {
                return Ok(ClientCertVerified::assertion());
            }
        }
        Err(rustls::Error::InvalidCertificate(
            CertificateError::ApplicationVerificationFailure,
        ))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The server side: this node's certificate, partners' certificates verified per link.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    partners: &[(Nation, Vec<CertificateDer<'static>>)],
) -> Result<Arc<ServerConfig>, rustls::Error> {
    let provider = provider();
    let verifier = Arc::new(PartnerVerifier::new(partners, provider.clone())?);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// The client side towards one partner: only its CA is trusted; this node's certificate
/// authenticates it.
pub fn client_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    partner_cas: &[CertificateDer<'static>],
) -> Result<Arc<ClientConfig>, rustls::Error> {
    let mut roots = RootCertStore::empty();
    for ca in partner_cas {
        roots.add(ca.clone())?;
    }
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}
