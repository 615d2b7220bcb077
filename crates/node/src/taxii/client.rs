//! The TAXII 2.1 client: one task per `[[taxii.source]]` pulls the source's collection every
//! `every`, page by page (`limit`, then the server's `next`), and stores what it may through
//! [`ingest`] with the source's default marking for objects that carry none this node knows.
//!
//! Where it stands is written after each page to `taxii-sources/<name>.json` in the data
//! directory (written to a temporary file, then renamed): the server's `next` while a pull is
//! under way, and the last `X-TAXII-Date-Added-Last` once it is done, so a restart resumes
//! where it stopped. A `next` the server no longer knows (it restarted) falls back to
//! `added_after`. Every object is counted by result and, if refused, by reason
//! (`liptako_taxii_source_objects_total{source,result}`).
//!
//! HTTP/1.1 over TCP, or TLS for `https://` with the source's `ca` (there are no system roots
//! in the node): one connection per request, bodies up to [`MAX_RESPONSE_BYTES`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64ct::{Base64, Encoding};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::Request;
use liptako_model::{Principal, Role};
use liptako_stix::{Exporter, taxii};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::ingest::{self, Accepted};
use crate::config::taxii::{Settings, SourceSection};
use crate::state::Node;

/// Largest response body taken.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Time allowed for one request, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a source's pull stands (the state file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    /// `added_after` for the next pull: the last `date_added` of the last complete pull.
    #[serde(default)]
    pub added_after: Option<String>,
    /// The server's `next` while a pull is under way.
    #[serde(default)]
    pub next: Option<String>,
    /// The `added_after` the pull under way started from (servers want `next` with the
    /// filters it was made for).
    #[serde(default)]
    pub pulling_since: Option<String>,
    /// The latest `date_added` the pull under way has seen.
    #[serde(default)]
    pub last_seen: Option<String>,
}

/// The later of two timestamps (as text; unreadable ones lose).
fn later(a: Option<String>, b: Option<String>) -> Option<String> {
    let at = |text: &Option<String>| {
        text.as_deref()
            .and_then(|text| liptako_stix::timestamp::parse(text).ok())
    };
    match (at(&a), at(&b)) {
        (Some(x), Some(y)) if y > x => b,
        (Some(_), _) => a,
        (None, Some(_)) => b,
        (None, None) => a.or(b),
    }
}

/// The state file of a source (names are 1 to 64 letters, digits, `-` and `_`: checked in
/// `[[taxii.source]]`).
pub fn state_path(node: &Node, source: &str) -> PathBuf {
    node.data_dir()
        .join("taxii-sources")
        .join(format!("{source}.json"))
}

fn load_state(node: &Node, source: &str) -> SourceState {
    std::fs::read(state_path(node, source))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn save_state(node: &Node, source: &str, state: &SourceState) -> std::io::Result<()> {
    let path = state_path(node, source);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
    {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, &path)
}

/// Starts one pull task per source.
pub fn start(node: Arc<Node>, settings: Settings) -> anyhow::Result<()> {
    if settings.sources.is_empty() {
        return Ok(());
    }
    let exporter = Arc::new(Exporter::new(node.policy(), settings.tlp.clone()));
    let tlp_import = Arc::new(settings.tlp_import.clone());
    for source in settings.sources {
        let node = node.clone();
        let exporter = exporter.clone();
        let tlp_import = tlp_import.clone();
        tokio::spawn(async move {
            let mut shutdown = node.shutdown_signal();
            loop {
                match pull(&node, &source, &exporter, &tlp_import).await {
                    Ok(n_objects) => {
                        tracing::debug!(source = %source.name, n_objects, "TAXII source pulled");
                    }
                    Err(err) => {
                        tracing::warn!(source = %source.name, cause = %err, "TAXII source pull failed");
                        node.metrics()
                            .counter(
                                "liptako_taxii_source_failures_total",
                                "Pulls of a TAXII source that failed.",
                                &[("source", source.name.as_str())],
                            )
                            .inc();
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(source.every.0) => {}
                    _ = shutdown.wait_for(|stop| *stop) => return,
                }
            }
        });
    }
    Ok(())
}

/// The principal a source's objects are brought in by: this node, cleared to the highest
/// level (the source's markings are then checked, not capped).
fn source_principal(node: &Node, source: &SourceSection) -> Principal {
    Principal::new(
        &format!("taxii-source:{}", source.name),
        node.nation(),
        node.policy().levels().highest(),
        Role::Editor,
    )
}

/// One pull: pages until the server says no more. Returns how many objects came.
pub async fn pull(
    node: &Arc<Node>,
    source: &SourceSection,
    exporter: &Exporter,
    tlp_import: &[(liptako_stix::Tlp, liptako_model::Marking)],
) -> anyhow::Result<usize> {
    let mut state = load_state(node, &source.name);
    let principal = source_principal(node, source);
    let base = format!(
        "{}/collections/{}/objects/",
        source.api_root.trim_end_matches('/'),
        source.collection
    );
    let mut n_objects = 0usize;
    let mut retried_without_next = false;
    // A pull under way (a `next` saved) goes on with the `added_after` it started from; a
    // new one starts after the last complete pull. The mark moves only when a pull is
    // complete, so objects sharing a `date_added` across a page boundary are never skipped.
    if state.next.is_none() {
        state.pulling_since = state.added_after.clone();
        state.last_seen = None;
    }
    let since = state.pulling_since.clone();
    loop {
        let mut url = format!("{base}?limit={}", source.page);
        if let Some(after) = &since {
            url.push_str(&format!("&added_after={}", percent_encode(after)));
        }
        if let Some(next) = &state.next {
            url.push_str(&format!("&next={}", percent_encode(next)));
        }
        let (status, headers, body) = get(source, &url).await?;
        if status == 400 && state.next.is_some() && !retried_without_next {
            // The server forgot its `next` (a restart): take the pull again from where it
            // started; what is already held is recognised as unchanged.
            tracing::info!(source = %source.name, "TAXII source no longer knows our next; pulling again from where this pull started");
            state.next = None;
            retried_without_next = true;
            continue;
        }
        if status == 404 && state.next.is_none() && since.is_some() {
            // Some servers answer 404 for an empty page.
            break;
        }
        if !(200..300).contains(&status) {
            anyhow::bail!(
                "GET {url}: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
        }
        let envelope: Value = serde_json::from_slice(&body)
            .map_err(|err| anyhow::anyhow!("GET {url}: not JSON: {err}"))?;
        let more = envelope
            .get("more")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let next = envelope
            .get("next")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let text = std::str::from_utf8(&body)?;
        let results = ingest::ingest(
            node,
            exporter,
            &ingest::Source {
                principal: &principal,
                default_marking: Some(&source.default_marking),
                tlp_markings: tlp_import,
                allow_exercise: false,
            },
            text,
        )
        .await
        .map_err(|err| anyhow::anyhow!("GET {url}: {err}"))?;
        n_objects += results.len();
        for result in &results {
            let label = match &result.result {
                Ok(Accepted::Stored(_)) => "stored",
                Ok(Accepted::Unchanged(_)) => "unchanged",
                Ok(Accepted::Part) => "part",
                Ok(Accepted::Context) => "context",
                Err(refusal) => refusal.reason,
            };
            node.metrics()
                .counter(
                    "liptako_taxii_source_objects_total",
                    "Objects pulled from TAXII sources, by result (stored, unchanged, part, context) or refusal reason.",
                    &[("source", source.name.as_str()), ("result", label)],
                )
                .inc();
        }
        state.last_seen = later(state.last_seen.take(), headers);
        let done = !more || next.is_none();
        state.next = if done { None } else { next };
        if done {
            state.added_after = later(state.added_after.take(), state.last_seen.take());
            state.pulling_since = None;
        }
        save_state(node, &source.name, &state)
            .map_err(|err| anyhow::anyhow!("saving the state of source {}: {err}", source.name))?;
        if done {
            break;
        }
    }
    Ok(n_objects)
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// `GET url` with the source's credentials; returns the status, `X-TAXII-Date-Added-Last` and
/// the body.
async fn get(source: &SourceSection, url: &str) -> anyhow::Result<(u16, Option<String>, Bytes)> {
    tokio::time::timeout(REQUEST_TIMEOUT, get_inner(source, url))
        .await
        .map_err(|_| anyhow::anyhow!("GET {url}: no answer within {REQUEST_TIMEOUT:?}"))?
}

async fn get_inner(
    source: &SourceSection,
    url: &str,
) -> anyhow::Result<(u16, Option<String>, Bytes)> {
    let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        anyhow::bail!("{url}: only http:// and https:// are supported");
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => (
            host,
            port.parse::<u16>()
                .map_err(|_| anyhow::anyhow!("{url}: bad port"))?,
        ),
        _ => (authority, if tls { 443 } else { 80 }),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((host, port))
        .await
        .map_err(|err| anyhow::anyhow!("{url}: cannot connect: {err}"))?;
    let mut request = Request::get(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::ACCEPT, taxii::MEDIA_TYPE)
        .header(
            hyper::header::USER_AGENT,
            concat!("liptako/", env!("CARGO_PKG_VERSION")),
        );
    if let Some(token) = &source.token {
        request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    } else if let Some(user) = &source.username {
        let credentials = format!("{user}:{}", source.password.as_deref().unwrap_or_default());
        request = request.header(
            hyper::header::AUTHORIZATION,
            format!("Basic {}", Base64::encode_string(credentials.as_bytes())),
        );
    }
    let request = request.body(Full::new(Bytes::new()))?;
    if tls {
        let ca = source
            .ca
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("{url}: https needs `ca` (the server's CA certificate, PEM) in the source's configuration"))?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in crate::pki::load_certs(ca)? {
            roots.add(cert)?;
        }
        let config = rustls::ClientConfig::builder_with_provider(crate::pki::provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls_pki_types::ServerName::try_from(host.to_owned())?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|err| anyhow::anyhow!("{url}: TLS: {err}"))?;
        exchange(stream, request).await
    } else {
        exchange(tcp, request).await
    }
}

async fn exchange<S>(
    stream: S,
    request: Request<Full<Bytes>>,
) -> anyhow::Result<(u16, Option<String>, Bytes)>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let added_last = response
        .headers()
        .get("x-taxii-date-added-last")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map_err(|err| anyhow::anyhow!("reading the answer: {err}"))?
        .to_bytes();
    Ok((status, added_last, body))
}
