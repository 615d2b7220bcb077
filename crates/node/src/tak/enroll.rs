//! The TAK certificate enrollment API (HTTPS, default port 8446), so that ATAK, iTAK and pytak
//! get a client certificate with a user name and password:
//!
//! - `GET /Marti/api/tls/config`: the subject entries the client puts in its CSR
//!   (`<ns2:certificateConfig><nameEntries><nameEntry name="O" value="Liptako"/>...`);
//! - `POST /Marti/api/tls/signClient/v2?clientUid=..&version=..`: the CSR in (PEM, or its
//!   base64 DER without PEM lines as ATAK sends it), the signed certificate and the CA out, as
//!   JSON `{"signedCert": <base64 DER>, "ca0": <base64 DER>}`, or as XML
//!   `<enrollment><signedCert>..</signedCert><ca>..</ca></enrollment>` when the client asks
//!   for `application/xml` (ATAK does);
//! - `GET /Marti/api/tls/profile/enrollment`: no enrollment profile (204).
//!
//! Every request needs HTTP basic authentication with a user's password (argon2, checked on a
//! blocking thread, throttled per user and address like API logins). The certificate is
//! issued to the authenticated user (CN = user name), whatever the CSR's subject says; the
//! TLS listener then gives its connections that user's principal. Each certificate issued is
//! written to the audit log (`certificate_issued`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64ct::{Base64, Encoding};
use liptako_model::Principal;
use liptako_store::{AuditEntry, WriteOp};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::certs::{csr_der, sign_csr};
use super::listener::server_identity;
use super::metrics::TakMetrics;
use crate::config::cot::Settings;
use crate::net::{Budget, Caps, serve_listener};
use crate::pki::provider;
use crate::pki::{PkiPaths, load_certs};
use crate::state::Node;

/// Largest CSR body accepted.
const MAX_CSR_BYTES: usize = 64 * 1024;
/// Share of the open-file budget for enrollment.
const ENROLL_SHARE_PERCENT: u64 = 2;
/// Most enrollment connections at once.
const MAX_CONNECTIONS: usize = 64;
/// Most enrollment connections from one address.
const MAX_PER_ADDRESS: usize = 4;

#[derive(Clone)]
struct Enrollment {
    node: Arc<Node>,
    settings: Arc<Settings>,
    metrics: TakMetrics,
}

/// The enrollment routes on `node` (served over TLS by [`serve`]; tests may call them
/// in-process).
pub fn router(node: Arc<Node>, settings: Arc<Settings>, metrics: TakMetrics) -> Router {
    Router::new()
        .route("/Marti/api/tls/config", get(tls_config))
        .route("/Marti/api/tls/signClient/v2", post(sign_client))
        .route("/Marti/api/tls/profile/enrollment", get(profile))
        .layer(DefaultBodyLimit::max(MAX_CSR_BYTES))
        .with_state(Enrollment {
            node,
            settings,
            metrics,
        })
}

/// An answer without a body but a status (and a challenge for 401).
fn status(code: StatusCode, message: &str) -> Response {
    let mut response = (code, message.to_owned()).into_response();
    if code == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Liptako TAK enrollment\""),
        );
    }
    response
}

/// The user name and password of `Authorization: Basic`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = Base64::decode_vec(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

impl Enrollment {
    async fn authenticate(
        &self,
        headers: &HeaderMap,
        addr: Option<SocketAddr>,
    ) -> Result<Principal, Response> {
        let Some((user, password)) = basic_credentials(headers) else {
            return Err(status(
                StatusCode::UNAUTHORIZED,
                "basic authentication with your user name and password is required",
            ));
        };
        crate::auth::verify_login(
            &self.node,
            &user,
            &password,
            addr.map(|addr| addr.ip()),
            "enroll",
        )
        .await
        .map(|user| crate::auth::user_principal(&user))
        .map_err(|err| {
            self.metrics.enrollment_failures.inc();
            tracing::warn!(%user, cause = %err, "TAK enrollment refused");
            match err {
                crate::auth::LoginError::Throttled(wait) => {
                    let mut response =
                        status(StatusCode::TOO_MANY_REQUESTS, "too many failed attempts");
                    if let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                        response.headers_mut().insert(header::RETRY_AFTER, value);
                    }
                    response
                }
                crate::auth::LoginError::Internal(_) => {
                    status(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
                }
                crate::auth::LoginError::Refused => {
                    status(StatusCode::UNAUTHORIZED, "wrong user name or password")
                }
            }
        })
    }
}

/// `GET /Marti/api/tls/config`
async fn tls_config(
    State(enrollment): State<Enrollment>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = enrollment.authenticate(&headers, Some(addr)).await {
        return response;
    }
    let nation = enrollment.node.nation();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <ns2:certificateConfig xmlns=\"http://bbn.com/marti/xml/config\" xmlns:ns2=\"com.bbn.marti.config\">\
         <nameEntries><nameEntry name=\"O\" value=\"{}\"/><nameEntry name=\"OU\" value=\"{}\"/></nameEntries>\
         </ns2:certificateConfig>",
        super::certs::ORGANIZATION,
        nation.as_str()
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        )],
        body,
    )
        .into_response()
}

/// `signClient` query parameters.
#[derive(Debug, Default, Deserialize)]
struct SignParams {
    #[serde(rename = "clientUid", alias = "clientUID", default)]
    client_uid: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

/// `POST /Marti/api/tls/signClient/v2`
async fn sign_client(
    State(enrollment): State<Enrollment>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(params): Query<SignParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let principal = match enrollment.authenticate(&headers, Some(addr)).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    let csr = match csr_der(&body) {
        Ok(csr) => csr,
        Err(err) => {
            enrollment.metrics.enrollment_failures.inc();
            return status(StatusCode::BAD_REQUEST, &err.to_string());
        }
    };
    let node = enrollment.node.clone();
    let user = principal.name.clone();
    let days = enrollment.settings.client_cert_days;
    let now = node.now();
    let signed = tokio::task::spawn_blocking(move || {
        sign_csr(node.data_dir(), node.nation(), &user, &csr, days, now).and_then(|certificate| {
            let ca = load_certs(&PkiPaths::new(node.data_dir()).ca_cert)?;
            Ok((certificate, ca))
        })
    })
    .await;
    let (certificate, ca) = match signed {
        Ok(Ok(signed)) => signed,
        Ok(Err(super::certs::CertError::Csr(message))) => {
            enrollment.metrics.enrollment_failures.inc();
            tracing::warn!(user = %principal.name, cause = %message, "TAK enrollment: bad CSR");
            return status(
                StatusCode::BAD_REQUEST,
                &format!("certificate signing request: {message}"),
            );
        }
        Ok(Err(err)) => {
            tracing::error!(cause = %err, "TAK enrollment: cannot sign");
            return status(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
        Err(err) => {
            tracing::error!(cause = %err, "TAK enrollment: signing task failed");
            return status(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let client_uid = params.client_uid.unwrap_or_default();
    let audit = WriteOp::Audit(AuditEntry {
        at: enrollment.node.now(),
        actor: principal.name.clone(),
        action: "certificate_issued".into(),
        object_id: None,
        version: None,
        partner: None,
        detail: format!(
            "TAK enrollment from {addr}: clientUid={client_uid:?} version={:?}, valid {days} days",
            params.version.unwrap_or_default()
        ),
    });
    if let Err(err) = enrollment.node.write(vec![audit]).await {
        // No certificate leaves unaudited.
        tracing::error!(cause = %err, "TAK enrollment: cannot audit");
        return status(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    }
    enrollment.metrics.enrollments.inc();
    tracing::info!(user = %principal.name, client_uid, "TAK client certificate issued");
    let signed_b64 = Base64::encode_string(certificate.der());
    let cas: Vec<String> = ca
        .iter()
        .map(|ca| Base64::encode_string(ca.as_ref()))
        .collect();
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if accept.contains("xml") && !accept.contains("json") {
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<enrollment>");
        xml.push_str(&format!("<signedCert>{signed_b64}</signedCert>"));
        for ca in &cas {
            xml.push_str(&format!("<ca>{ca}</ca>"));
        }
        xml.push_str("</enrollment>");
        return (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml"),
            )],
            xml,
        )
            .into_response();
    }
    let mut json = serde_json::Map::new();
    json.insert("signedCert".into(), signed_b64.into());
    for (idx, ca) in cas.into_iter().enumerate() {
        json.insert(format!("ca{idx}"), ca.into());
    }
    axum::Json(serde_json::Value::Object(json)).into_response()
}

/// `GET /Marti/api/tls/profile/enrollment`: no profile to hand out.
async fn profile(
    State(enrollment): State<Enrollment>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    match enrollment.authenticate(&headers, Some(addr)).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(response) => response,
    }
}

/// The TLS configuration of the enrollment listener: the node's certificate, no client
/// certificate (the client has none yet).
pub fn acceptor(node: &Node) -> anyhow::Result<TlsAcceptor> {
    let (chain, key) = server_identity(node)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves the enrollment API on `listener` until the node shuts down, in the node's one accept
/// loop (its own small share of the open-file budget, a few connections per address: a device
/// enrolls once), each connection's TLS handshake bounded in time.
pub async fn serve(
    node: Arc<Node>,
    settings: Arc<Settings>,
    metrics: TakMetrics,
    listener: TcpListener,
    acceptor: TlsAcceptor,
) {
    let app = router(node.clone(), settings, metrics);
    let caps = Caps {
        max_connections: Budget::current().share(ENROLL_SHARE_PERCENT, Some(MAX_CONNECTIONS)),
        max_per_address: MAX_PER_ADDRESS,
    };
    let shutdown = node.shutdown_signal();
    serve_listener(
        node,
        "tak_enroll",
        listener,
        caps,
        move |tcp, peer, slot| {
            crate::http::serve::connection(
                app.clone(),
                tcp,
                peer,
                slot,
                Some(acceptor.clone()),
                shutdown.clone(),
            )
        },
    )
    .await;
}
