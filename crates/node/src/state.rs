//! [`Node`]: everything a running node shares between its tasks: configuration, the marking
//! policy, the store, the live change feed, the session authority and the metrics.
//!
//! The live feed is fed by the store's commit hook, so it carries every committed version in
//! commit order, whichever path wrote it (API, TAK, federation).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use liptako_model::{Meta, Nation, Object, Policy};
use liptako_store::{
    Change, CommitHook, SqliteStore, Store, StoreError, Stored, WriteCallback, WriteJob, WriteOp,
    WriteOutcome,
};
use time::OffsetDateTime;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::auth::{Auth, load_or_create_key};
use crate::config::{Config, StoreBackend};
use crate::error::AppError;
use crate::federation::links::LinkState;
use crate::metrics::{Counter, Metrics, RequestStats};

/// One committed change, as the live feed carries it.
#[derive(Debug)]
pub enum LiveChange {
    /// A new version.
    Version {
        /// The new version.
        object: Arc<Object>,
        /// The envelope of the version it replaced.
        previous: Option<Meta>,
        /// The new version's JSON, as stored.
        payload: Arc<[u8]>,
    },
    /// A partner recalled an object: this node no longer holds it.
    Recall {
        /// The version that was held, if any.
        previous: Option<Arc<Object>>,
    },
}

/// The shared state of a running node.
pub struct Node {
    config: Config,
    policy: Policy,
    data_dir: PathBuf,
    store: Arc<dyn Store>,
    live: broadcast::Sender<Arc<LiveChange>>,
    auth: Auth,
    metrics: Arc<Metrics>,
    cache: Arc<ObjectCache>,
    http_stats: RequestStats,
    links: Vec<Arc<LinkState>>,
    log_ticks: watch::Sender<u64>,
    shutdown: watch::Sender<bool>,
    tak: crate::tak::TakHub,
    air: crate::air::AirHub,
}

impl Node {
    /// Opens the node whose data directory is `data_dir` (reads `liptako.toml` there).
    pub fn open(data_dir: &Path) -> anyhow::Result<Arc<Node>> {
        let config = Config::load(data_dir)?;
        Node::with_config(data_dir, config)
    }

    /// Opens a node with an explicit configuration.
    pub fn with_config(data_dir: &Path, config: Config) -> anyhow::Result<Arc<Node>> {
        let policy = config.policy().map_err(anyhow::Error::msg)?;
        let metrics = Arc::new(Metrics::default());
        let (live, _) = broadcast::channel(config.live.queue.max(16));
        let committed = metrics.counter(
            "liptako_store_versions_committed_total",
            "Object versions committed to the store.",
            &[],
        );
        let cache = Arc::new(ObjectCache::new(config.cache.objects));
        let (log_ticks, _) = watch::channel(0u64);
        let hook = live_hook(live.clone(), committed, cache.clone(), log_ticks.clone());
        let links = config
            .links
            .iter()
            .map(|link| Arc::new(LinkState::new(link.clone(), &metrics)))
            .collect();
        let store: Arc<dyn Store> = match config.store.backend {
            StoreBackend::Sqlite => {
                Arc::new(SqliteStore::open(&config.store_path(data_dir), Some(hook))?)
            }
        };
        let key = load_or_create_key(data_dir)?;
        let auth = Auth::new(
            key,
            config.auth.token_ttl.0,
            config.auth.max_failed_logins,
            config.auth.lockout.0,
        );
        let (shutdown, _) = watch::channel(false);
        let air = crate::air::AirHub::new(config.node.nation);
        Ok(Arc::new(Node {
            config,
            policy,
            data_dir: data_dir.to_owned(),
            store,
            live,
            auth,
            metrics,
            cache,
            http_stats: RequestStats::default(),
            links,
            log_ticks,
            shutdown,
            tak: crate::tak::TakHub::new(),
            air,
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// This node's nation.
    pub fn nation(&self) -> Nation {
        self.config.node.nation
    }

    /// The marking policy: the one place access is decided.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The session authority.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// HTTP request statistics (fed by the API's middleware).
    pub fn http_stats(&self) -> &RequestStats {
        &self.http_stats
    }

    /// The links to partner nodes.
    pub fn links(&self) -> &[Arc<LinkState>] {
        &self.links
    }

    /// The link to `nation`, if one is configured.
    pub fn link(&self, nation: Nation) -> Option<Arc<LinkState>> {
        self.links
            .iter()
            .find(|link| link.config.nation == nation)
            .cloned()
    }

    /// Changes whenever the store commits a change (federation senders wait on it).
    pub fn log_ticks(&self) -> watch::Receiver<u64> {
        self.log_ticks.subscribe()
    }

    /// The TAK hub: publish to TAK clients (air tracks) through it.
    pub fn tak(&self) -> &crate::tak::TakHub {
        &self.tak
    }

    /// The air picture: the latest picture and its live updates.
    pub fn air(&self) -> &crate::air::AirHub {
        &self.air
    }

    /// A new subscription to the live feed.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveChange>> {
        self.live.subscribe()
    }

    /// Tells every long-lived task (WebSockets, listeners) to finish.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves when shutdown begins.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// The current time. The one clock of the node: pure crates get times from here.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    /// The latest version of an object with its stored JSON, from the cache or the store.
    pub async fn get_object(self: &Arc<Self>, id: Uuid) -> Result<Option<Stored>, AppError> {
        if let Some(stored) = self.cache.get(id) {
            return Ok(Some(stored));
        }
        let stored = self.with_store(move |store| store.get(id)).await?;
        if let Some(stored) = &stored {
            self.cache.offer(stored.clone());
        }
        Ok(stored)
    }

    /// Writes `ops` and waits (asynchronously) until they are durable. No thread blocks: the
    /// store's writer answers through a channel; only when its queue is full does a blocking
    /// thread wait for room (back-pressure).
    pub async fn write(&self, ops: Vec<WriteOp>) -> Result<Vec<WriteOutcome>, AppError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let done: WriteCallback = Box::new(move |result| {
            let _ = reply.send(result);
        });
        if let Err(job) = self.store.submit(WriteJob { ops, done }, false) {
            let store = self.store.clone();
            tokio::task::spawn_blocking(move || store.submit(job, true))
                .await
                .map_err(AppError::internal)?
                .map_err(|_| AppError::internal("store refused a waiting write"))?;
        }
        answer
            .await
            .map_err(|_| AppError::internal("store writer dropped a write"))?
            .map_err(AppError::from)
    }

    /// Runs a store call on a blocking thread (SQLite and fsync must not stall the runtime).
    pub async fn with_store<T, F>(self: &Arc<Self>, call: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || call(store.as_ref()))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::from)
    }
}

/// The commit hook: every committed version refreshes the cache and goes to the live feed
/// (never blocks: a broadcast send only drops the oldest entry for subscribers that are too far
/// behind).
fn live_hook(
    live: broadcast::Sender<Arc<LiveChange>>,
    committed: Counter,
    cache: Arc<ObjectCache>,
    log_ticks: watch::Sender<u64>,
) -> CommitHook {
    Box::new(move |changes: &[Change]| {
        log_ticks.send_modify(|tick| *tick = tick.wrapping_add(1));
        committed.add(changes.len() as u64);
        for change in changes {
            let live_change = match change {
                Change::Version(version) => {
                    cache.offer(Stored {
                        object: version.object.clone(),
                        payload: version.payload.clone(),
                    });
                    LiveChange::Version {
                        object: version.object.clone(),
                        previous: version.previous.clone(),
                        payload: version.payload.clone(),
                    }
                }
                Change::Recall(recall) => {
                    cache.forget(recall.id);
                    LiveChange::Recall {
                        previous: recall.previous.clone(),
                    }
                }
            };
            // No subscriber is not an error.
            let _ = live.send(Arc::new(live_change));
        }
    })
}

/// The latest versions of recently read or written objects, with their stored JSON, so that a
/// read by id costs neither a database query nor a serialisation.
///
/// Coherence: the commit hook offers every committed version, in commit order; a read that
/// missed offers what it read. An offer never replaces a newer version, so a slow reader cannot
/// put back an old one. Bounded: past the capacity, a slice of entries is dropped.
pub struct ObjectCache {
    capacity: usize,
    entries: RwLock<HashMap<Uuid, Stored>>,
}

impl ObjectCache {
    /// A cache of at most `capacity` objects (0 disables it).
    pub fn new(capacity: usize) -> ObjectCache {
        ObjectCache {
            capacity,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The cached latest version of `id`.
    pub fn get(&self, id: Uuid) -> Option<Stored> {
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// Keeps `stored` unless a newer version of the same object is already here.
    pub fn offer(&self, stored: Stored) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let id = stored.object.meta.id;
        match entries.get(&id) {
            Some(held) if held.object.meta.version >= stored.object.meta.version => return,
            Some(_) => {}
            None if entries.len() >= self.capacity => {
                // Drop about 1/64 of the entries (hash order: effectively random).
                let mut n_seen = 0usize;
                entries.retain(|_, _| {
                    n_seen += 1;
                    !n_seen.is_multiple_of(64)
                });
            }
            None => {}
        }
        entries.insert(id, stored);
    }

    /// Forgets an object (it was recalled: this node may no longer hold it).
    pub fn forget(&self, id: Uuid) {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id);
    }
}
