//! [`Node`], the core: everything a running node's features share, and nothing of any
//! feature: configuration, the marking policy, the store, the [`Bus`], the session authority,
//! the [`Clock`], the metrics, the state of partner links, and the tasks it runs.
//!
//! Features (`api`, `tak`, `air`, `federation`, ...) take an `Arc<Node>` and talk to each other
//! only through the bus. The bus's change topic is fed by the store's commit hook, so it carries
//! every committed version in commit order, whichever path wrote it (API, TAK, federation).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use liptako_model::{ExerciseWorlds, Nation, ObjectType, Policy};
use liptako_store::{
    Change, CommitHook, Query, SqliteStore, Store, StoreError, Stored, WriteCallback, WriteJob,
    WriteOp, WriteOutcome,
};
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::auth::{Auth, Users, load_or_create_key};
use crate::bus::{Bus, LiveChange};
use crate::clock::Clock;
use crate::config::{Config, StoreBackend};
use crate::links::LinkState;
use crate::metrics::{Counter, Metrics, RequestStats};

/// A failure of the core's own machinery (the store, a worker thread). Features map it to
/// their own errors; only the HTTP edge turns errors into responses.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A worker thread or channel failed.
    #[error("{0}")]
    Internal(String),
}

impl NodeError {
    /// An internal error from anything displayable.
    pub fn internal(err: impl std::fmt::Display) -> NodeError {
        NodeError::Internal(err.to_string())
    }
}

/// The shared state of a running node.
pub struct Node {
    config: Config,
    policy: Policy,
    data_dir: PathBuf,
    store: Arc<dyn Store>,
    bus: Arc<Bus>,
    auth: Auth,
    users: Users,
    clock: Clock,
    metrics: Arc<Metrics>,
    cache: Arc<ObjectCache>,
    http_stats: RequestStats,
    links: Vec<Arc<LinkState>>,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<JoinSet<()>>,
    /// One value per type that a feature keeps for the node's life (its routes and its task
    /// share it): the core stores them without knowing what they are.
    shared: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Node {
    /// Opens the node whose data directory is `data_dir` (reads `liptako.toml` there).
    pub fn open(data_dir: &Path) -> anyhow::Result<Arc<Node>> {
        let config = Config::load(data_dir)?;
        Node::with_config(data_dir, config)
    }

    /// Opens a node with an explicit configuration and the system clock.
    pub fn with_config(data_dir: &Path, config: Config) -> anyhow::Result<Arc<Node>> {
        Node::with_clock(data_dir, config, Clock::system())
    }

    /// Opens a node with an explicit configuration and clock (tests fix and step it).
    pub fn with_clock(data_dir: &Path, config: Config, clock: Clock) -> anyhow::Result<Arc<Node>> {
        let policy = config.policy().map_err(anyhow::Error::msg)?;
        let metrics = Arc::new(Metrics::default());
        let bus = Arc::new(Bus::new(config.live.queue, config.node.nation));
        let committed = metrics.counter(
            "liptako_store_versions_committed_total",
            "Object versions committed to the store.",
            &[],
        );
        let cache = Arc::new(ObjectCache::new(config.cache.objects));
        let hook = commit_hook(bus.clone(), committed, cache.clone());
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
        )?;
        let (shutdown, _) = watch::channel(false);
        let users = Users::new(bus.users());
        Ok(Arc::new(Node {
            config,
            policy,
            data_dir: data_dir.to_owned(),
            store,
            bus,
            auth,
            users,
            clock,
            metrics,
            cache,
            http_stats: RequestStats::default(),
            links,
            shutdown,
            tasks: Mutex::new(JoinSet::new()),
            shared: Mutex::new(HashMap::new()),
        }))
    }

    /// The value of type `T` a feature keeps for this node, made by `init` the first time.
    pub fn shared<T: Any + Send + Sync>(&self, init: impl FnOnce() -> T) -> Arc<T> {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = shared
            .get(&TypeId::of::<T>())
            .and_then(|value| value.clone().downcast::<T>().ok())
        {
            return value;
        }
        let value = Arc::new(init());
        shared.insert(TypeId::of::<T>(), value.clone());
        value
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

    /// The accounts behind sessions (the principal of a session, read at each decision).
    pub fn users(&self) -> &Users {
        &self.users
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

    /// The bus: how features talk to each other.
    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// The clock: every time the node reads comes from here.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Wall time now (the clock's).
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Tells every long-lived task (WebSockets, listeners) to finish.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves when shutdown begins.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Runs a long-lived task of a feature (a listener, a hub, a sender). Shutdown waits for it:
    /// it must end when [`Node::shutdown_signal`] changes.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .spawn(task);
    }

    /// After [`Node::begin_shutdown`]: waits for every task started with [`Node::spawn`], at
    /// most `limit`; returns how many did not finish in time (they are aborted).
    pub async fn join_tasks(&self, limit: Duration) -> usize {
        let mut tasks =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        let deadline = tokio::time::Instant::now() + limit;
        while !tasks.is_empty() {
            match tokio::time::timeout_at(deadline, tasks.join_next()).await {
                Ok(Some(Err(err))) if err.is_panic() => {
                    tracing::error!(cause = %err, "a node task panicked");
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => {
                    let late = tasks.len();
                    tasks.abort_all();
                    return late;
                }
            }
        }
        0
    }

    /// The latest version of an object with its stored JSON, from the cache or the store.
    pub async fn get_object(self: &Arc<Self>, id: Uuid) -> Result<Option<Stored>, NodeError> {
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
    pub async fn write(&self, ops: Vec<WriteOp>) -> Result<Vec<WriteOutcome>, NodeError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let done: WriteCallback = Box::new(move |result| {
            let _ = reply.send(result);
        });
        if let Err(job) = self.store.submit(WriteJob { ops, done }, false) {
            let store = self.store.clone();
            tokio::task::spawn_blocking(move || store.submit(job, true))
                .await
                .map_err(NodeError::internal)?
                .map_err(|_| NodeError::internal("store refused a waiting write"))?;
        }
        answer
            .await
            .map_err(|_| NodeError::internal("store writer dropped a write"))?
            .map_err(NodeError::from)
    }

    /// The exercise worlds this node holds now and who takes part in each, read from the
    /// store's exercise objects at each call (no cache: a nation removed from an exercise is
    /// refused its world at the next decision). What a partner link's audience carries
    /// (`Audience::link`).
    pub async fn exercise_worlds(&self) -> Result<ExerciseWorlds, NodeError> {
        self.with_store(exercise_worlds).await
    }

    /// Runs a store call on a blocking thread (SQLite and fsync must not stall the runtime).
    pub async fn with_store<T, F>(&self, call: F) -> Result<T, NodeError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || call(store.as_ref()))
            .await
            .map_err(NodeError::internal)?
            .map_err(NodeError::from)
    }
}

/// Most exercises a node takes into account (more are a configuration error, logged).
pub const MAX_EXERCISES: usize = 1000;

/// The exercise worlds `store` holds now: its live, real-world exercise objects (see
/// [`Node::exercise_worlds`]). Blocking (a store read); federation's sender calls it once per
/// round over the logs.
pub fn exercise_worlds(store: &dyn Store) -> Result<ExerciseWorlds, StoreError> {
    let mut query = Query::all(ObjectType::Exercise, MAX_EXERCISES);
    query.scan_budget = MAX_EXERCISES * 4;
    let page = store.scan(&query, &mut |_| true)?;
    if page.next_cursor.is_some() {
        tracing::warn!(
            max = MAX_EXERCISES,
            "more exercises than a node takes into account: the oldest cross to nobody"
        );
    }
    Ok(ExerciseWorlds::from_objects(&page.objects))
}

/// The commit hook: every committed version refreshes the cache and goes on the bus (never
/// blocks: a broadcast send only drops the oldest entry for subscribers that are too far
/// behind).
fn commit_hook(bus: Arc<Bus>, committed: Counter, cache: Arc<ObjectCache>) -> CommitHook {
    Box::new(move |changes: &[Change]| {
        let mut live = Vec::with_capacity(changes.len());
        for change in changes {
            match change {
                Change::Version(version) => {
                    committed.inc();
                    cache.offer(Stored {
                        object: version.object.clone(),
                        payload: version.payload.clone(),
                    });
                    live.push(LiveChange::Version {
                        object: version.object.clone(),
                        previous: version.previous.clone(),
                        payload: version.payload.clone(),
                    });
                }
                Change::Recall(recall) => {
                    cache.forget(recall.id, recall.version);
                    live.push(LiveChange::Recall {
                        previous: recall.previous.clone(),
                    });
                }
                Change::User(name) => bus.publish_user(name),
            }
        }
        bus.publish_changes(live);
    })
}

/// The latest versions of recently read or written objects, with their stored JSON, so that a
/// read by id costs neither a database query nor a serialisation.
///
/// Coherence: the commit hook offers every committed version, in commit order; a read that
/// missed offers what it read. An offer never replaces a newer version, so a slow reader cannot
/// put back an old one; a recall leaves a marker, so a read that missed just before the recall
/// cannot put the recalled version back either. Bounded: past the capacity, a slice of entries
/// is dropped.
pub struct ObjectCache {
    capacity: usize,
    entries: RwLock<HashMap<Uuid, Slot>>,
}

#[derive(Clone)]
enum Slot {
    /// The latest version known.
    Held(Stored),
    /// Recalled at this version: nothing at or below it may come back.
    Recalled(u64),
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
        match self
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            Some(Slot::Held(stored)) => Some(stored.clone()),
            Some(Slot::Recalled(_)) | None => None,
        }
    }

    /// Keeps `stored` unless a newer version of the same object is already here.
    pub fn offer(&self, stored: Stored) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let id = stored.object.meta.id;
        let version = stored.object.meta.version;
        match entries.get(&id) {
            Some(Slot::Held(held)) if held.object.meta.version >= version => return,
            Some(Slot::Recalled(recalled)) if *recalled >= version => return,
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
        entries.insert(id, Slot::Held(stored));
    }

    /// Forgets an object recalled at `version` (this node may no longer hold it), and refuses
    /// any later offer of that version or an older one.
    pub fn forget(&self, id: Uuid, version: u64) {
        if self.capacity == 0 {
            return;
        }
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Slot::Recalled(version));
    }
}
