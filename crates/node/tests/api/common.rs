//! A node in a temporary directory, users of several nations and clearances, and small
//! helpers to call the API in-process.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use liptako_model::{Nation, Role};
use liptako_node::Node;
use liptako_node::init::{InitOptions, NewUser, init_data_dir, new_user_record};
use liptako_store::WriteOp;
use serde_json::Value;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestNode {
    pub node: Arc<Node>,
    pub app: Router,
    _dir: tempfile::TempDir,
}

pub fn nation(code: &str) -> Nation {
    Nation::parse(code).unwrap()
}

/// A user to create: name, nation, clearance, role.
pub type UserSpec = (&'static str, &'static str, &'static str, Role);

/// The principals the tests read as: every level, the node's nation and both partners.
pub const USERS: [UserSpec; 7] = [
    ("mli_np", "MLI", "NP", Role::Viewer),
    ("mli_dr", "MLI", "DR", Role::Editor),
    ("mli_c", "MLI", "C", Role::Viewer),
    ("bfa_c", "BFA", "C", Role::Viewer),
    ("bfa_np", "BFA", "NP", Role::Viewer),
    ("ner_s", "NER", "S", Role::Viewer),
    ("ner_dr", "NER", "DR", Role::Viewer),
];

impl TestNode {
    /// An MLI node of the AES confederation (MLI, BFA, NER) with the [`USERS`] and `admin`.
    pub async fn new() -> TestNode {
        TestNode::with_max_body(None).await
    }

    pub async fn with_max_body(max_body: Option<usize>) -> TestNode {
        TestNode::with(max_body, liptako_node::clock::Clock::system()).await
    }

    /// An MLI node as [`TestNode::new`] whose time is `clock` (a fixed clock tests step).
    pub async fn with_clock(clock: liptako_node::clock::Clock) -> TestNode {
        TestNode::with(None, clock).await
    }

    async fn with(max_body: Option<usize>, clock: liptako_node::clock::Clock) -> TestNode {
        let dir = tempfile::tempdir().unwrap();
        init_mli(dir.path());
        let mut config = liptako_node::Config::load(dir.path()).unwrap();
        if let Some(max_body) = max_body {
            config.http.max_body_bytes = max_body;
        }
        let node = Node::with_clock(dir.path(), config, clock).unwrap();
        add_users(&node, &USERS);
        let app = liptako_node::server::router(node.clone());
        TestNode {
            node,
            app,
            _dir: dir,
        }
    }

    pub async fn login(&self, user: &str) -> String {
        login(&self.app, user).await
    }

    /// Calls the API with an optional token and JSON body; returns status and JSON (or the
    /// body as a JSON string when it is not JSON).
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call(&self.app, method, uri, token, body).await
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        send(&self.app, request).await
    }

    /// The number of objects of every type in the store, whoever may see them.
    pub fn n_objects(&self) -> usize {
        self.node
            .store()
            .log_heads()
            .unwrap()
            .iter()
            .map(|(_, seq)| *seq as usize)
            .sum()
    }
}

/// Initialises `dir` as an MLI node of the AES confederation (MLI, BFA, NER) whose `admin` has
/// [`PASSWORD`].
pub fn init_mli(dir: &std::path::Path) {
    init_data_dir(
        dir,
        InitOptions {
            nation: nation("MLI"),
            confederation: "AES".into(),
            members: vec![nation("MLI"), nation("BFA"), nation("NER")],
            admin_password: Some(PASSWORD.into()),
            http: None,
            federation: None,
        },
    )
    .unwrap();
}

/// Creates `users` on `node`, each with [`PASSWORD`].
pub fn add_users(node: &Node, users: &[UserSpec]) {
    let mut ops = Vec::new();
    for (name, code, clearance, role) in users {
        let record = new_user_record(
            node.config(),
            node.policy(),
            NewUser {
                name: (*name).into(),
                nation: Some(nation(code)),
                clearance: (*clearance).into(),
                role: *role,
                password: Some(PASSWORD.into()),
            },
        )
        .unwrap();
        ops.push(WriteOp::PutUser(record));
    }
    node.store().write(ops).unwrap();
}

/// Calls `app` in-process with an optional token and JSON body; returns status and JSON (or
/// the body as a JSON string when it is not JSON).
pub async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    send(app, request).await
}

/// Logs `user` in (password [`PASSWORD`]) through `app`; returns the token.
pub async fn login(app: &Router, user: &str) -> String {
    let (status, body) = call(
        app,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(serde_json::json!({"username": user, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "login {user}: {body}");
    body["token"].as_str().unwrap().to_owned()
}

/// Sends `request` to `app` in-process; returns status and JSON (or the body as a JSON string).
pub async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value)
}
