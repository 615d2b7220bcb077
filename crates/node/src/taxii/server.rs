//! The TAXII 2.1 server under `/taxii2/` (OASIS TAXII 2.1, sections 4 and 5).
//!
//! - `GET /taxii2/`: discovery; `GET /taxii2/api/`: the one API root;
//!   `GET /taxii2/api/collections/` and `.../{id}/`: the confederation's reports (read) and one
//!   inbox per configured partner or tool (write).
//! - `GET .../objects/`, `.../manifest/`: `added_after`, `match[id]`, `match[type]`,
//!   `match[version]` (`last` by default, `first`, `all`, or timestamps), `match[spec_version]`,
//!   `limit` (default 100, at most 1000) and `next`. Objects come in the order this node took
//!   them (its arrival position), the collection's meta objects (identities, extension and
//!   marking definitions) first. `next` names the last object served by its Liptako id,
//!   version and place in its group, never by time alone, so objects sharing one `date_added`
//!   are neither lost nor repeated, and an object changed meanwhile comes again at its new
//!   place. `more` is true only when a further object the caller may see matches: the server
//!   looks one object ahead, so neither `more` nor a page's length tells of hidden objects.
//! - `GET .../objects/{id}/`, `.../objects/{id}/versions/`, `DELETE .../objects/{id}/` (the
//!   origin's own reports, by an editor who may see them).
//! - `POST .../objects/` (inboxes): an envelope, answered with a status resource
//!   (`GET /taxii2/api/status/{id}/`, for its poster) that lists each object's success or the
//!   reason it was refused; what is good is kept.
//!
//! Every request is authenticated ([`access::authenticate`]: HTTP basic or bearer); every object
//! served passes [`access::decide`] for the caller; content type
//! `application/taxii+json;version=2.1`.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use liptako_model::{Draft, Expect, Object, ObjectType, Principal, Role};
use liptako_stix::ids::{Part, StixId, named_uuid, report_candidate, report_of_part, report_uuid};
use liptako_stix::taxii::{
    self, ApiRoot, Collection, Collections, Discovery, Envelope, ErrorMessage, Manifest,
    ManifestRecord, Status, StatusDetails, Versions,
};
use liptako_stix::{Exporter, timestamp};
use liptako_store::{ArrivalQuery, WriteOp, WriteOutcome};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::access::{self, AuthFailure, REAL_WORLD};
use super::ingest::{self, Accepted};
use crate::config::taxii::{DEFAULT_PAGE, InboxSection, MAX_PAGE, Settings};
// The client address for login throttling: the API's extractor (core, not a feature).
use crate::http::extract::ClientAddr;
use crate::state::Node;

/// Status resources kept (oldest dropped first).
const MAX_STATUSES: usize = 1024;
/// Rows read from the store per step while filling a page.
const STORE_BATCH: usize = 512;
/// The `date_added` of the meta objects every collection starts with.
const META_ADDED: OffsetDateTime = time::macros::datetime!(2020-01-01 00:00 UTC);
/// Most ids or types in one `match[...]`.
const MAX_MATCH_VALUES: usize = 100;

/// The TAXII server's state.
pub struct Taxii {
    node: Arc<Node>,
    settings: Settings,
    exporter: Exporter,
    reports_collection: String,
    statuses: Mutex<VecDeque<(String, Status)>>,
}

/// The routes under `/taxii2/`, on `node`.
pub fn router(node: Arc<Node>, settings: Settings) -> Router<Arc<Node>> {
    let exporter = Exporter::new(node.policy(), settings.tlp.clone());
    let reports_collection = named_uuid(&format!("collection:reports:{}", node.nation()))
        .hyphenated()
        .to_string();
    let taxii = Arc::new(Taxii {
        node,
        settings,
        exporter,
        reports_collection,
        statuses: Mutex::new(VecDeque::new()),
    });
    let mut router = Router::new();
    // TAXII URLs end in '/'; the same routes answer without it.
    for (path, route) in [
        ("/taxii2", get(discovery)),
        ("/taxii2/api", get(api_root)),
        ("/taxii2/api/collections", get(collections)),
        ("/taxii2/api/collections/{collection}", get(collection)),
        (
            "/taxii2/api/collections/{collection}/objects",
            get(objects).post(add_objects),
        ),
        (
            "/taxii2/api/collections/{collection}/manifest",
            get(manifest),
        ),
        (
            "/taxii2/api/collections/{collection}/objects/{object}",
            get(object).delete(delete_object),
        ),
        (
            "/taxii2/api/collections/{collection}/objects/{object}/versions",
            get(versions),
        ),
        ("/taxii2/api/status/{status}", get(status)),
    ] {
        router = router
            .route(path, route.clone())
            .route(&format!("{path}/"), route);
    }
    router.with_state(taxii)
}

/// A TAXII error: an error message in TAXII's media type.
#[derive(Debug)]
pub struct TaxiiError {
    status: StatusCode,
    title: String,
    description: Option<String>,
    retry_after: Option<u64>,
}

impl TaxiiError {
    fn new(status: StatusCode, title: &str, description: impl Into<Option<String>>) -> TaxiiError {
        TaxiiError {
            status,
            title: title.to_owned(),
            description: description.into(),
            retry_after: None,
        }
    }

    fn not_found() -> TaxiiError {
        TaxiiError::new(StatusCode::NOT_FOUND, "not found", None)
    }

    fn bad_request(description: impl Into<String>) -> TaxiiError {
        TaxiiError::new(
            StatusCode::BAD_REQUEST,
            "bad request",
            Some(description.into()),
        )
    }

    fn internal(cause: impl std::fmt::Display) -> TaxiiError {
        tracing::error!(%cause, "TAXII: internal error");
        TaxiiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error", None)
    }
}

impl From<crate::http::error::AppError> for TaxiiError {
    fn from(err: crate::http::error::AppError) -> TaxiiError {
        TaxiiError::internal(err)
    }
}

impl From<crate::state::NodeError> for TaxiiError {
    fn from(err: crate::state::NodeError) -> TaxiiError {
        TaxiiError::internal(err)
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = ErrorMessage {
            title: self.title,
            description: self.description,
            http_status: Some(self.status.as_u16().to_string()),
        };
        let mut response = taxii_json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Liptako TAXII\", Bearer"),
            );
        }
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

fn taxii_json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(taxii::MEDIA_TYPE),
            );
            response
        }
        Err(err) => TaxiiError::internal(err).into_response(),
    }
}

/// The caller, after checking `Accept` and credentials.
async fn caller(
    taxii: &Taxii,
    headers: &HeaderMap,
    addr: Option<IpAddr>,
) -> Result<Principal, TaxiiError> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if !taxii::accepts_taxii(accept) {
        return Err(TaxiiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "not acceptable",
            Some(format!("this server answers {}", taxii::MEDIA_TYPE)),
        ));
    }
    access::authenticate(&taxii.node, headers, addr)
        .await
        .map_err(|failure| match failure {
            AuthFailure::Unauthorized(message) => {
                TaxiiError::new(StatusCode::UNAUTHORIZED, "unauthorized", Some(message))
            }
            AuthFailure::Throttled(wait) => TaxiiError {
                retry_after: Some(wait.as_secs().max(1)),
                ..TaxiiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many failed attempts",
                    None,
                )
            },
            AuthFailure::Internal(cause) => TaxiiError::internal(cause),
        })
}

async fn discovery(
    State(taxii): State<Arc<Taxii>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
) -> Result<Response, TaxiiError> {
    caller(&taxii, &headers, addr).await?;
    Ok(taxii_json(
        StatusCode::OK,
        &Discovery {
            title: taxii.settings.title.clone(),
            description: Some(format!(
                "TAXII 2.1 server of the {} node of {}: intelligence reports, marked by classification and releasability",
                taxii.node.nation(),
                taxii.node.policy().confederation().name()
            )),
            contact: None,
            default: Some("/taxii2/api/".into()),
            api_roots: vec!["/taxii2/api/".into()],
        },
    ))
}

async fn api_root(
    State(taxii): State<Arc<Taxii>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
) -> Result<Response, TaxiiError> {
    caller(&taxii, &headers, addr).await?;
    Ok(taxii_json(
        StatusCode::OK,
        &ApiRoot {
            title: format!("{} intelligence", taxii.node.nation()),
            description: Some("Reports of the confederation, and inboxes".into()),
            versions: vec![taxii::MEDIA_TYPE.into()],
            max_content_length: taxii.node.config().http.max_body_bytes as u64,
        },
    ))
}

/// What a collection is.
enum Kind<'a> {
    Reports,
    Inbox(&'a InboxSection),
}

impl Taxii {
    fn inbox_id(inbox: &InboxSection) -> String {
        named_uuid(&format!("collection:inbox:{}", inbox.name))
            .hyphenated()
            .to_string()
    }

    fn may_write(inbox: &InboxSection, principal: &Principal) -> bool {
        principal.role >= Role::Editor
            && (inbox.writers.is_empty() || inbox.writers.contains(&principal.name))
    }

    /// The collections the caller may know of.
    fn collections_for(&self, principal: &Principal) -> Vec<(Collection, Kind<'_>)> {
        let media_types = vec![taxii::STIX_MEDIA_TYPE.to_owned()];
        let mut all = vec![(
            Collection {
                id: self.reports_collection.clone(),
                title: format!(
                    "{} reports ({})",
                    self.node.policy().confederation().name(),
                    self.node.nation()
                ),
                description: Some(
                    "Every report this node holds that you may see: incidents, threat warnings, intelligence summaries, spot reports, civilian harm, airspace alerts".into(),
                ),
                alias: Some("reports".into()),
                can_read: true,
                can_write: false,
                media_types: media_types.clone(),
            },
            Kind::Reports,
        )];
        for inbox in &self.settings.inboxes {
            if Taxii::may_write(inbox, principal) {
                all.push((
                    Collection {
                        id: Taxii::inbox_id(inbox),
                        title: inbox
                            .title
                            .clone()
                            .unwrap_or_else(|| format!("Inbox {}", inbox.name)),
                        description: Some(
                            "Post STIX 2.1 here: each object becomes a report of this node".into(),
                        ),
                        alias: Some(inbox.name.clone()),
                        can_read: false,
                        can_write: true,
                        media_types: media_types.clone(),
                    },
                    Kind::Inbox(inbox),
                ));
            }
        }
        all
    }

    fn find_collection(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<(Collection, Kind<'_>), TaxiiError> {
        self.collections_for(principal)
            .into_iter()
            .find(|(collection, _)| collection.id == id || collection.alias.as_deref() == Some(id))
            .ok_or_else(TaxiiError::not_found)
    }

    fn readable(&self, principal: &Principal, id: &str) -> Result<(), TaxiiError> {
        match self.find_collection(principal, id)? {
            (_, Kind::Reports) => Ok(()),
            (_, Kind::Inbox(_)) => Err(TaxiiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                Some("this collection takes objects; it is not read".into()),
            )),
        }
    }

    /// The meta objects the caller gets: marking definitions up to their clearance.
    fn meta_objects(&self, principal: &Principal) -> Vec<Value> {
        let levels = self.node.policy().levels();
        let cleared = levels.rank(&principal.clearance);
        self.exporter.meta_objects(|marking| {
            matches!((cleared, levels.rank(&marking.level)), (Some(c), Some(l)) if l <= c)
        })
    }
}

async fn collections(
    State(taxii): State<Arc<Taxii>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
) -> Result<Response, TaxiiError> {
    let principal = caller(&taxii, &headers, addr).await?;
    let collections = taxii
        .collections_for(&principal)
        .into_iter()
        .map(|(collection, _)| collection)
        .collect();
    Ok(taxii_json(StatusCode::OK, &Collections { collections }))
}

async fn collection(
    State(taxii): State<Arc<Taxii>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, TaxiiError> {
    let principal = caller(&taxii, &headers, addr).await?;
    let (collection, _) = taxii.find_collection(&principal, &id)?;
    Ok(taxii_json(StatusCode::OK, &collection))
}

/// `match[version]`.
#[derive(Debug, Clone, PartialEq)]
enum VersionMatch {
    Last,
    First,
    All,
    At(Vec<OffsetDateTime>),
}

/// The filters of `objects`, `manifest`, a single object and `versions`.
#[derive(Debug, Clone)]
struct Filters {
    added_after: Option<OffsetDateTime>,
    ids: Option<Vec<String>>,
    types: Option<Vec<String>>,
    version: VersionMatch,
    spec_ok: bool,
    limit: usize,
    next: Option<String>,
}

fn parse_filters(query: Option<&str>) -> Result<Filters, TaxiiError> {
    let mut filters = Filters {
        added_after: None,
        ids: None,
        types: None,
        version: VersionMatch::Last,
        spec_ok: true,
        limit: DEFAULT_PAGE,
        next: None,
    };
    let list = |value: &str, what: &str| -> Result<Vec<String>, TaxiiError> {
        let values: Vec<String> = value.split(',').map(|v| v.trim().to_owned()).collect();
        if values.len() > MAX_MATCH_VALUES {
            return Err(TaxiiError::bad_request(format!(
                "{what}: at most {MAX_MATCH_VALUES} values"
            )));
        }
        Ok(values)
    };
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(name);
        let value = percent_decode(value);
        match name.as_str() {
            "added_after" => {
                filters.added_after = Some(
                    timestamp::parse(&value)
                        .map_err(|err| TaxiiError::bad_request(format!("added_after: {err}")))?,
                );
            }
            "match[id]" => filters.ids = Some(list(&value, "match[id]")?),
            "match[type]" => filters.types = Some(list(&value, "match[type]")?),
            "match[spec_version]" => {
                filters.spec_ok = list(&value, "match[spec_version]")?
                    .iter()
                    .any(|version| version == "2.1");
            }
            "match[version]" => {
                let values = list(&value, "match[version]")?;
                filters.version = if values.iter().any(|v| v == "all") {
                    VersionMatch::All
                } else if values.iter().all(|v| v == "last") {
                    VersionMatch::Last
                } else if values.iter().all(|v| v == "first") {
                    VersionMatch::First
                } else {
                    VersionMatch::At(
                        values
                            .iter()
                            .map(|v| {
                                timestamp::parse(v).map_err(|err| {
                                    TaxiiError::bad_request(format!("match[version]: {err}"))
                                })
                            })
                            .collect::<Result<_, _>>()?,
                    )
                };
            }
            "limit" => {
                let limit: usize = value
                    .parse()
                    .map_err(|_| TaxiiError::bad_request("limit must be a positive integer"))?;
                if limit == 0 {
                    return Err(TaxiiError::bad_request("limit must be a positive integer"));
                }
                filters.limit = limit.min(MAX_PAGE);
            }
            "next" => filters.next = Some(value),
            other => {
                return Err(TaxiiError::bad_request(format!(
                    "unknown parameter {:?}",
                    other.chars().take(40).collect::<String>()
                )));
            }
        }
    }
    Ok(filters)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while let Some(&byte) = bytes.get(idx) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(idx + 1..idx + 3)
                    .and_then(|pair| std::str::from_utf8(pair).ok())
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok());
                if let Some(decoded) = hex {
                    out.push(decoded);
                    idx += 2;
                } else {
                    out.push(b'%');
                }
            }
            other => out.push(other),
        }
        idx += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where a page stops: the last object served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// The `n`th meta object.
    Meta(usize),
    /// Object `part` of the group of report `id` at `version` (its latest when served).
    Report { id: Uuid, version: u64, part: usize },
}

impl Position {
    fn encode(self) -> String {
        match self {
            Position::Meta(n) => format!("m.{n}"),
            Position::Report { id, version, part } => {
                format!("r.{}.{version}.{part}", id.simple())
            }
        }
    }

    fn decode(text: &str) -> Option<Position> {
        let mut fields = text.split('.');
        let position = match (fields.next()?, fields.next(), fields.next(), fields.next()) {
            ("m", Some(n), None, None) => Position::Meta(n.parse().ok()?),
            ("r", Some(id), Some(version), Some(part)) => Position::Report {
                id: Uuid::try_parse(id).ok()?,
                version: version.parse().ok()?,
                part: part.parse().ok()?,
            },
            _ => return None,
        };
        fields.next().is_none().then_some(position)
    }
}

/// One object of a page.
struct Item {
    object: Value,
    added: OffsetDateTime,
    position: Position,
}

fn value_str<'v>(value: &'v Value, key: &str) -> &'v str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn version_of(value: &Value) -> &str {
    let modified = value_str(value, "modified");
    if modified.is_empty() {
        value_str(value, "created")
    } else {
        modified
    }
}

fn matches(filters: &Filters, value: &Value) -> bool {
    let id = value_str(value, "id");
    let object_type = value_str(value, "type");
    filters.spec_ok
        && filters
            .ids
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|wanted| wanted == id))
        && filters
            .types
            .as_ref()
            .is_none_or(|types| types.iter().any(|wanted| wanted == object_type))
}

impl Taxii {
    /// The versions of `latest` the filter selects, each with when this node took it, oldest
    /// first; only versions the caller may see.
    async fn selected_versions(
        &self,
        principal: &Principal,
        latest: &Object,
        latest_added: OffsetDateTime,
        version: &VersionMatch,
    ) -> Result<Vec<(Object, OffsetDateTime)>, TaxiiError> {
        if *version == VersionMatch::Last {
            return Ok(vec![(latest.clone(), latest_added)]);
        }
        let id = latest.meta.id;
        let mut held: Vec<(Object, OffsetDateTime)> = self
            .node
            .with_store(move |store| store.version_arrivals(id))
            .await?
            .into_iter()
            .filter(|arrival| {
                !arrival.object.meta.deleted
                    && access::decide(&self.node, principal, &arrival.object.meta, REAL_WORLD)
            })
            .map(|arrival| (arrival.object, arrival.added))
            .collect();
        Ok(match version {
            VersionMatch::Last => Vec::new(),
            VersionMatch::All => held,
            VersionMatch::First => held.drain(..).take(1).collect(),
            VersionMatch::At(times) => held
                .into_iter()
                .filter(|(object, _)| times.contains(&object.meta.updated.max(object.meta.created)))
                .collect(),
        })
    }

    /// The group of STIX objects of the selected versions of one report.
    async fn group(
        &self,
        principal: &Principal,
        latest: &Object,
        latest_added: OffsetDateTime,
        filters: &Filters,
    ) -> Result<Vec<(Value, OffsetDateTime)>, TaxiiError> {
        let mut group = Vec::new();
        for (object, added) in self
            .selected_versions(principal, latest, latest_added, &filters.version)
            .await?
        {
            if let Ok(values) = self.exporter.export(&object) {
                group.extend(values.into_iter().map(|value| (value, added)));
            }
        }
        Ok(group)
    }

    /// Where to resume after `next`: the meta index, or the report position and part.
    async fn resume(
        &self,
        principal: &Principal,
        next: Option<&str>,
    ) -> Result<Option<Position>, TaxiiError> {
        let Some(text) = next else {
            return Ok(None);
        };
        let invalid =
            || TaxiiError::bad_request("next is not one this server gave, or no longer valid");
        let position = Position::decode(text).ok_or_else(invalid)?;
        if let Position::Report { id, version, .. } = position {
            // The version named must be one the caller saw: it is visible to them.
            let held = self
                .node
                .with_store(move |store| store.version_arrivals(id))
                .await?;
            let seen = held.iter().any(|arrival| {
                arrival.object.meta.version == version
                    && access::decide(&self.node, principal, &arrival.object.meta, REAL_WORLD)
            });
            if !seen {
                return Err(invalid());
            }
        }
        Ok(Some(position))
    }

    /// One page of the reports collection: up to `limit` items and whether more match.
    async fn page(
        &self,
        principal: &Principal,
        filters: &Filters,
    ) -> Result<(Vec<Item>, bool), TaxiiError> {
        let wanted = filters.limit + 1;
        let mut items: Vec<Item> = Vec::new();
        let start = self.resume(principal, filters.next.as_deref()).await?;

        // The meta objects first.
        let meta_from = match start {
            None => Some(0),
            Some(Position::Meta(n)) => Some(n + 1),
            Some(Position::Report { .. }) => None,
        };
        if let Some(from) = meta_from
            && filters.added_after.is_none_or(|after| META_ADDED > after)
        {
            for (idx, value) in self
                .meta_objects(principal)
                .into_iter()
                .enumerate()
                .skip(from)
            {
                // A meta object has one version: the first, the last and all of them.
                if let VersionMatch::At(times) = &filters.version
                    && !timestamp::parse(version_of(&value)).is_ok_and(|at| times.contains(&at))
                {
                    continue;
                }
                if matches(filters, &value) {
                    items.push(Item {
                        object: value,
                        added: META_ADDED,
                        position: Position::Meta(idx),
                    });
                    if items.len() >= wanted {
                        return Ok(finish(items, filters.limit));
                    }
                }
            }
        }

        // Then the reports, in arrival order.
        let (mut after, mut skip_in_first) = match start {
            Some(Position::Report { id, version, part }) => {
                let held = self
                    .node
                    .with_store(move |store| store.version_arrivals(id))
                    .await?;
                let position = held
                    .iter()
                    .find(|arrival| arrival.object.meta.version == version)
                    .map(|arrival| arrival.position)
                    .ok_or_else(|| TaxiiError::bad_request("next is no longer valid"))?;
                // Resume inside that group when the object is still at that position.
                (position.saturating_sub(1), Some((position, part)))
            }
            _ => (0, None),
        };
        loop {
            let query = ArrivalQuery {
                object_type: ObjectType::Report,
                exercise: None,
                after,
                added_after: filters.added_after,
                limit: STORE_BATCH,
            };
            let node = self.node.clone();
            let caller = principal.clone();
            let batch = self
                .node
                .with_store(move |store| {
                    store.arrivals(&query, &mut |object| {
                        access::decide(&node, &caller, &object.meta, REAL_WORLD)
                    })
                })
                .await?;
            let n_batch = batch.len();
            for arrival in batch {
                after = arrival.position;
                // The first row is the resumed object, unless it changed (and moved) since.
                let skip_upto = match skip_in_first.take() {
                    Some((position, part)) if position == arrival.position => Some(part),
                    _ => None,
                };
                let group = self
                    .group(principal, &arrival.object, arrival.added, filters)
                    .await?;
                for (idx, (value, added)) in group.into_iter().enumerate() {
                    // An older version (match[version]=all) has its own date_added.
                    let too_old = filters.added_after.is_some_and(|after| added <= after);
                    if skip_upto.is_some_and(|last| idx <= last)
                        || too_old
                        || !matches(filters, &value)
                    {
                        continue;
                    }
                    items.push(Item {
                        object: value,
                        added,
                        position: Position::Report {
                            id: arrival.object.meta.id,
                            version: arrival.object.meta.version,
                            part: idx,
                        },
                    });
                    if items.len() >= wanted {
                        return Ok(finish(items, filters.limit));
                    }
                }
            }
            if n_batch < STORE_BATCH {
                return Ok(finish(items, filters.limit));
            }
        }
    }

    /// The latest version of the report a STIX id names, with when this node took it, if the
    /// caller may see it.
    async fn resolve(
        &self,
        principal: &Principal,
        stix_id: &str,
    ) -> Result<Option<(Object, OffsetDateTime)>, TaxiiError> {
        let Some(parsed) = StixId::parse(stix_id) else {
            return Ok(None);
        };
        let report = match parsed.object_type {
            "report" => parsed.uuid,
            other => match Part::from_stix_type(other) {
                Some(part) => report_of_part(parsed.uuid, part),
                None => return Ok(None),
            },
        };
        let candidate = report_candidate(report).filter(|id| report_uuid(*id) == report);
        let id = match candidate {
            Some(id) => Some(id),
            // A report whose Liptako id is no UUIDv7 has a name-based STIX id: find it.
            None => {
                let node = self.node.clone();
                let caller = principal.clone();
                let found = self
                    .node
                    .with_store(move |store| {
                        store.arrivals(
                            &ArrivalQuery {
                                object_type: ObjectType::Report,
                                exercise: None,
                                after: 0,
                                added_after: None,
                                limit: 1,
                            },
                            &mut |object| {
                                report_uuid(object.meta.id) == report
                                    && access::decide(&node, &caller, &object.meta, REAL_WORLD)
                            },
                        )
                    })
                    .await?;
                found.first().map(|arrival| arrival.object.meta.id)
            }
        };
        let Some(id) = id else {
            return Ok(None);
        };
        let held = self
            .node
            .with_store(move |store| store.version_arrivals(id))
            .await?;
        let Some(latest) = held.last() else {
            return Ok(None);
        };
        let object = &latest.object;
        let visible = object.object_type() == ObjectType::Report
            && !object.meta.deleted
            && access::decide(&self.node, principal, &object.meta, REAL_WORLD);
        // Is this the latest version the store holds? A later one may be a tombstone or a
        // recall (then `versions` has no content for it): check against the latest row.
        let current = self.node.get_object(id).await?;
        let current_ok = current.is_some_and(|stored| {
            stored.object.meta.version == object.meta.version && !stored.object.meta.deleted
        });
        Ok((visible && current_ok).then(|| (object.clone(), latest.added)))
    }
}

fn finish(mut items: Vec<Item>, limit: usize) -> (Vec<Item>, bool) {
    let more = items.len() > limit;
    items.truncate(limit);
    (items, more)
}

fn date_headers(response: &mut Response, items: &[Item]) {
    set_date_headers(
        response,
        items.first().map(|item| item.added),
        items.last().map(|item| item.added),
    );
}

/// `X-TAXII-Date-Added-First` and `-Last`.
fn set_date_headers(
    response: &mut Response,
    first: Option<OffsetDateTime>,
    last: Option<OffsetDateTime>,
) {
    for (name, added) in [
        ("x-taxii-date-added-first", first),
        ("x-taxii-date-added-last", last),
    ] {
        if let Some(added) = added
            && let Ok(value) = HeaderValue::from_str(&timestamp::format(added))
        {
            response.headers_mut().insert(name, value);
        }
    }
}

fn served(taxii: &Taxii, n_objects: usize) {
    taxii
        .node
        .metrics()
        .counter(
            "liptako_taxii_objects_served_total",
            "STIX objects served by the TAXII server (objects, single objects, versions).",
            &[],
        )
        .add(n_objects as u64);
}

/// The caller and filters of a read of a collection the caller may read.
async fn read_request(
    taxii: &Taxii,
    headers: &HeaderMap,
    addr: Option<IpAddr>,
    collection: &str,
    query: Option<&str>,
) -> Result<(Principal, Filters), TaxiiError> {
    let principal = caller(taxii, headers, addr).await?;
    taxii.readable(&principal, collection)?;
    let filters = parse_filters(query)?;
    Ok((principal, filters))
}

/// `next` for a page: the position of its last object, when more follow.
fn next_token(items: &[Item], more: bool) -> Option<String> {
    more.then(|| items.last().map(|item| item.position.encode()))
        .flatten()
}

/// Versions found for one object as items (for the date headers).
fn found_items(found: Vec<(Value, OffsetDateTime)>) -> Vec<Item> {
    found
        .into_iter()
        .map(|(object, added)| Item {
            object,
            added,
            position: Position::Meta(0),
        })
        .collect()
}

async fn objects(
    State(taxii): State<Arc<Taxii>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Path(collection): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, TaxiiError> {
    let (principal, filters) =
        read_request(&taxii, &headers, addr, &collection, query.as_deref()).await?;
    let (items, more) = taxii.page(&principal, &filters).await?;
    served(&taxii, items.len());
    let (first, last) = (
        items.first().map(|item| item.added),
        items.last().map(|item| item.added),
    );
    let envelope = Envelope {
        more,
        next: next_token(&items, more),
        objects: items.into_iter().map(|item| item.object).collect(),
    };
    let mut response = taxii_json(StatusCode::OK, &envelope);
    set_date_headers(&mut response, first, last);
    Ok(response)
}

async fn manifest(
    State(taxii): State<Arc<Taxii>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Path(collection): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, TaxiiError> {
    let (principal, filters) =
        read_request(&taxii, &headers, addr, &collection, query.as_deref()).await?;
    let (items, more) = taxii.page(&principal, &filters).await?;
    let manifest = Manifest {
        more,
        next: next_token(&items, more),
        objects: items
            .iter()
            .map(|item| ManifestRecord {
                id: value_str(&item.object, "id").to_owned(),
                date_added: timestamp::format(item.added),
                version: version_of(&item.object).to_owned(),
                media_type: Some(taxii::STIX_MEDIA_TYPE.into()),
            })
            .collect(),
    };
    let mut response = taxii_json(StatusCode::OK, &manifest);
    date_headers(&mut response, &items);
    Ok(response)
}

/// The versions of one object the caller may see (meta objects: their one version), with
/// when this node took each.
async fn object_versions(
    taxii: &Taxii,
    principal: &Principal,
    stix_id: &str,
    filters: &Filters,
) -> Result<Vec<(Value, OffsetDateTime)>, TaxiiError> {
    if let Some(meta) = taxii
        .meta_objects(principal)
        .into_iter()
        .find(|value| value_str(value, "id") == stix_id)
    {
        return Ok(vec![(meta, META_ADDED)]);
    }
    let Some((latest, added)) = taxii.resolve(principal, stix_id).await? else {
        return Err(TaxiiError::not_found());
    };
    let group = taxii.group(principal, &latest, added, filters).await?;
    Ok(group
        .into_iter()
        .filter(|(value, _)| value_str(value, "id") == stix_id)
        .collect())
}

async fn object(
    State(taxii): State<Arc<Taxii>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Path((collection, object)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, TaxiiError> {
    let (principal, filters) =
        read_request(&taxii, &headers, addr, &collection, query.as_deref()).await?;
    let found = object_versions(&taxii, &principal, &object, &filters).await?;
    let objects: Vec<Value> = found
        .iter()
        .filter(|(value, _)| matches(&filters, value))
        .map(|(value, _)| value.clone())
        .take(filters.limit)
        .collect();
    served(&taxii, objects.len());
    let mut response = taxii_json(
        StatusCode::OK,
        &Envelope {
            more: false,
            next: None,
            objects,
        },
    );
    date_headers(&mut response, &found_items(found));
    Ok(response)
}

async fn versions(
    State(taxii): State<Arc<Taxii>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Path((collection, object)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, TaxiiError> {
    let (principal, mut filters) =
        read_request(&taxii, &headers, addr, &collection, query.as_deref()).await?;
    if filters.version == VersionMatch::Last {
        filters.version = VersionMatch::All;
    }
    let found = object_versions(&taxii, &principal, &object, &filters).await?;
    let mut versions: Vec<String> = found
        .iter()
        .filter(|(_, added)| filters.added_after.is_none_or(|after| *added > after))
        .map(|(value, _)| version_of(value).to_owned())
        .collect();
    versions.dedup();
    versions.truncate(filters.limit);
    let mut response = taxii_json(
        StatusCode::OK,
        &Versions {
            more: false,
            next: None,
            versions,
        },
    );
    date_headers(&mut response, &found_items(found));
    Ok(response)
}

async fn delete_object(
    State(taxii): State<Arc<Taxii>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Path((collection, object)): Path<(String, String)>,
) -> Result<Response, TaxiiError> {
    let principal = caller(&taxii, &headers, addr).await?;
    taxii.readable(&principal, &collection)?;
    let Some((latest, _)) = taxii.resolve(&principal, &object).await? else {
        return Err(TaxiiError::not_found());
    };
    if !object.starts_with("report--") {
        return Err(TaxiiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            Some("delete the report this object belongs to".into()),
        ));
    }
    if principal.role < Role::Editor {
        return Err(TaxiiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            Some(format!(
                "role {} may not delete; editor is needed",
                principal.role.as_str()
            )),
        ));
    }
    if latest.meta.origin != taxii.node.nation() {
        return Err(TaxiiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            Some(format!(
                "this report is {}'s; only its origin deletes it",
                latest.meta.origin
            )),
        ));
    }
    let draft = Draft {
        id: latest.meta.id,
        origin: latest.meta.origin,
        expect: Expect::Version(latest.meta.version),
        at: taxii.node.now(),
        marking: latest.meta.marking.clone(),
        valid_until: latest.meta.valid_until,
        exercise: latest.meta.exercise.clone(),
        body: None,
    };
    let outcomes = taxii
        .node
        .write(vec![WriteOp::Local {
            draft,
            actor: principal.name.clone(),
        }])
        .await?;
    match outcomes.first() {
        Some(WriteOutcome::Committed(_)) => Ok(StatusCode::OK.into_response()),
        Some(WriteOutcome::Conflict(conflict)) => Err(TaxiiError::new(
            StatusCode::CONFLICT,
            "conflict",
            Some(conflict.to_string()),
        )),
        _ => Err(TaxiiError::internal("a delete had no version as outcome")),
    }
}

async fn add_objects(
    State(taxii): State<Arc<Taxii>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Path(collection): Path<String>,
    body: Bytes,
) -> Result<Response, TaxiiError> {
    let principal = caller(&taxii, &headers, addr).await?;
    let received = taxii.node.now();
    let inbox = match taxii.find_collection(&principal, &collection)? {
        (_, Kind::Inbox(inbox)) => inbox.clone(),
        (_, Kind::Reports) => {
            return Err(TaxiiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                Some("this collection is read only: post to an inbox".into()),
            ));
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !taxii::is_taxii_content(content_type) {
        return Err(TaxiiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported media type",
            Some(format!("send {}", taxii::MEDIA_TYPE)),
        ));
    }
    let text =
        std::str::from_utf8(&body).map_err(|_| TaxiiError::bad_request("the body is not UTF-8"))?;
    let source = ingest::Source {
        principal: &principal,
        default_marking: inbox.default_marking.as_ref(),
        tlp_markings: &taxii.settings.tlp_import,
        allow_exercise: false,
    };
    let results = ingest::ingest(&taxii.node, &taxii.exporter, &source, text)
        .await
        .map_err(|err| TaxiiError::bad_request(err.to_string()))?;
    let mut status = Status {
        id: Uuid::new_v4().hyphenated().to_string(),
        status: "complete".into(),
        request_timestamp: Some(timestamp::format(received)),
        total_count: results.len() as u64,
        success_count: 0,
        successes: Vec::new(),
        failure_count: 0,
        failures: Vec::new(),
        pending_count: 0,
        pendings: Vec::new(),
    };
    for result in results {
        let details = |message: Option<String>| StatusDetails {
            id: result.id.clone().unwrap_or_default(),
            version: result.version.clone().unwrap_or_default(),
            message,
        };
        match &result.result {
            Ok(accepted) => {
                let message = match accepted {
                    Accepted::Stored(_) => None,
                    Accepted::Unchanged(_) => Some("already held".to_owned()),
                    Accepted::Part => {
                        Some("stored as part of the report that refers to it".to_owned())
                    }
                    Accepted::Context => Some("read for context, not stored".to_owned()),
                };
                status.successes.push(details(message));
            }
            Err(refusal) => {
                taxii
                    .node
                    .metrics()
                    .counter(
                        "liptako_taxii_refused_total",
                        "STIX objects refused by the TAXII inboxes, by reason.",
                        &[("reason", refusal.reason)],
                    )
                    .inc();
                status.failures.push(details(Some(refusal.message.clone())));
            }
        }
    }
    status.success_count = status.successes.len() as u64;
    status.failure_count = status.failures.len() as u64;
    if let Ok(mut statuses) = taxii.statuses.lock() {
        if statuses.len() >= MAX_STATUSES {
            statuses.pop_front();
        }
        statuses.push_back((principal.name.clone(), status.clone()));
    }
    Ok(taxii_json(StatusCode::ACCEPTED, &status))
}

async fn status(
    State(taxii): State<Arc<Taxii>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, TaxiiError> {
    let principal = caller(&taxii, &headers, addr).await?;
    let found = taxii.statuses.lock().ok().and_then(|statuses| {
        statuses
            .iter()
            .find(|(owner, status)| status.id == id && *owner == principal.name)
            .map(|(_, status)| status.clone())
    });
    match found {
        Some(status) => Ok(taxii_json(StatusCode::OK, &status)),
        None => Err(TaxiiError::not_found()),
    }
}
