//! Logging in, who am I, what node is this, and the admin's views: users and the audit log.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liptako_model::{Nation, Principal, Role};
use liptako_store::{AuditQuery, AuditRecord, WriteOp};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::LoginError;
use crate::http::error::AppError;
use crate::http::extract::{Caller, ClientAddr, JsonBody, Params};
use crate::init::{NewUser, UserChange, changed_user, keeps_an_admin, new_user_record};
use crate::state::Node;

/// A login request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
    /// Who the token speaks for.
    pub principal: Principal,
}

/// `POST /api/v1/auth/login`
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse, description = "Logged in"),
        (status = 401, description = "Wrong user name or password"),
        (status = 429, description = "Too many failures: retry after the Retry-After delay"),
        (status = 500, description = "Something broke inside the node (logged there)"),
    ))]
pub async fn login(
    State(node): State<Arc<Node>>,
    ClientAddr(addr): ClientAddr,
    JsonBody(request): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>, AppError> {
    let result =
        crate::auth::verify_login(&node, &request.username, &request.password, addr, "api").await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(LoginError::Refused) => "failed",
        Err(LoginError::Throttled(_)) => "throttled",
        Err(LoginError::Internal(_)) => "error",
    };
    node.metrics()
        .counter(
            "liptako_logins_total",
            "Login attempts by result.",
            &[("result", outcome)],
        )
        .inc();
    let user = match result {
        Ok(user) => user,
        Err(LoginError::Refused) => {
            return Err(AppError::Unauthorized("wrong user name or password".into()));
        }
        Err(LoginError::Throttled(retry_after)) => {
            return Err(AppError::TooManyRequests { retry_after });
        }
        Err(LoginError::Internal(cause)) => return Err(AppError::Internal(cause)),
    };
    let (token, expires) = node.auth().issue(&user, node.now());
    Ok(Json(LoginResponse {
        token,
        expires,
        principal: crate::auth::user_principal(&user),
    }))
}

/// `GET /api/v1/auth/me`
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = Principal, description = "The caller")),
    security(("bearer" = [])))]
pub async fn me(caller: Caller) -> Json<Principal> {
    Json(caller.0)
}

/// What a node is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NodeInfo {
    /// The node's nation.
    pub nation: Nation,
    /// Its display name.
    pub name: String,
    /// The confederation's name.
    pub confederation: String,
    /// The member nations.
    pub members: Vec<Nation>,
    /// Classification levels, lowest first.
    pub levels: Vec<String>,
    /// The program's version.
    pub version: &'static str,
}

/// `GET /api/v1/node`
#[utoipa::path(get, path = "/api/v1/node", tag = "node",
    responses((status = 200, body = NodeInfo, description = "This node")),
    security(("bearer" = [])))]
pub async fn node_info(State(node): State<Arc<Node>>, _caller: Caller) -> Json<NodeInfo> {
    let policy = node.policy();
    Json(NodeInfo {
        nation: node.nation(),
        name: node
            .config()
            .node
            .name
            .clone()
            .unwrap_or_else(|| format!("{} node", node.nation())),
        confederation: policy.confederation().name().to_owned(),
        members: policy.confederation().members().to_vec(),
        levels: policy.levels().names().to_vec(),
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// A user as the admin sees it (never the password hash).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    /// Login name.
    pub name: String,
    /// Nation.
    pub nation: Nation,
    /// Clearance.
    pub clearance: String,
    /// Role.
    pub role: Role,
    /// Whether the account is disabled.
    pub disabled: bool,
}

/// `GET /api/v1/users` (admin)
#[utoipa::path(get, path = "/api/v1/users", tag = "admin",
    responses((status = 200, body = Vec<UserView>, description = "Every user"),
              (status = 403, description = "Not an admin")),
    security(("bearer" = [])))]
pub async fn list_users(
    State(node): State<Arc<Node>>,
    caller: Caller,
) -> Result<Json<Vec<UserView>>, AppError> {
    caller.require(Role::Admin)?;
    let users = node.with_store(|store| store.users()).await?;
    Ok(Json(
        users
            .into_iter()
            .map(|user| UserView {
                name: user.name,
                nation: user.nation,
                clearance: user.clearance,
                role: user.role,
                disabled: user.disabled,
            })
            .collect(),
    ))
}

/// A new user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// Login name: letters, digits, `.`, `-`, `_`.
    pub name: String,
    /// Password, 8 to 256 characters.
    pub password: String,
    /// Clearance level.
    pub clearance: String,
    /// Role.
    pub role: Role,
    /// Nation (default: the node's; a liaison officer from a partner nation has theirs).
    #[serde(default)]
    pub nation: Option<Nation>,
}

/// `POST /api/v1/users` (admin)
#[utoipa::path(post, path = "/api/v1/users", tag = "admin",
    request_body = NewUserRequest,
    responses((status = 201, body = UserView, description = "Created"),
              (status = 403, description = "Not an admin"),
              (status = 409, description = "The name is taken")),
    security(("bearer" = [])))]
pub async fn create_user(
    State(node): State<Arc<Node>>,
    caller: Caller,
    JsonBody(request): JsonBody<NewUserRequest>,
) -> Result<Response, AppError> {
    caller.require(Role::Admin)?;
    let name = request.name.clone();
    if node
        .with_store(move |store| store.user(&name))
        .await?
        .is_some()
    {
        return Err(AppError::Conflict {
            message: format!("user {:?} already exists", request.name),
            current_version: None,
        });
    }
    let worker = node.clone();
    let record = tokio::task::spawn_blocking(move || {
        new_user_record(
            worker.config(),
            worker.policy(),
            NewUser {
                name: request.name,
                nation: request.nation,
                clearance: request.clearance,
                role: request.role,
                password: Some(request.password),
            },
        )
    })
    .await
    .map_err(AppError::internal)?
    .map_err(|err| AppError::BadRequest(format!("{err:#}")))?;
    let record = liptako_store::UserRecord {
        created: node.now(),
        ..record
    };
    let view = UserView {
        name: record.name.clone(),
        nation: record.nation,
        clearance: record.clearance.clone(),
        role: record.role,
        disabled: record.disabled,
    };
    let audit = WriteOp::Audit(liptako_store::AuditEntry {
        at: node.now(),
        actor: caller.0.name.clone(),
        action: "user_create".into(),
        object_id: None,
        version: None,
        partner: None,
        detail: format!(
            "{} {} {} {}",
            view.name,
            view.nation,
            view.clearance,
            view.role.as_str()
        ),
    });
    node.write(vec![WriteOp::PutUser(record), audit]).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// `PUT /api/v1/users/{name}` (admin): change an account. Disabling it or setting a new
/// password ends every session of it at once, on every door (API, live feed, TAK); a new
/// clearance, role or nation applies at their next decision.
#[utoipa::path(put, path = "/api/v1/users/{name}", tag = "admin",
    request_body = UserChange,
    params(("name" = String, Path, description = "The login name")),
    responses((status = 200, body = UserView, description = "Changed"),
              (status = 400, body = crate::http::error::ErrorBody, description = "Bad value"),
              (status = 401, body = crate::http::error::ErrorBody, description = "No valid session"),
              (status = 403, body = crate::http::error::ErrorBody, description = "Not an admin"),
              (status = 404, body = crate::http::error::ErrorBody, description = "No such user"),
              (status = 409, body = crate::http::error::ErrorBody, description = "It would leave no enabled admin")),
    security(("bearer" = [])))]
pub async fn update_user(
    State(node): State<Arc<Node>>,
    caller: Caller,
    axum::extract::Path(name): axum::extract::Path<String>,
    JsonBody(change): JsonBody<UserChange>,
) -> Result<Json<UserView>, AppError> {
    caller.require(Role::Admin)?;
    let lookup = name.clone();
    let user = node
        .with_store(move |store| store.user(&lookup))
        .await?
        .ok_or(AppError::NotFound)?;
    let users = node.with_store(|store| store.users()).await?;
    let policy = node.policy().clone();
    let detail = describe_change(&change);
    let changed = tokio::task::spawn_blocking(move || changed_user(&policy, user, change))
        .await
        .map_err(AppError::internal)?
        .map_err(|err| AppError::BadRequest(format!("{err:#}")))?;
    if !keeps_an_admin(&users, &changed) {
        return Err(AppError::Conflict {
            message: "this would leave the node without an enabled admin".into(),
            current_version: None,
        });
    }
    let audit = WriteOp::Audit(liptako_store::AuditEntry {
        at: node.now(),
        actor: caller.0.name.clone(),
        action: "user_update".into(),
        object_id: None,
        version: None,
        partner: None,
        detail: format!("{name}: {detail}"),
    });
    let view = UserView {
        name: changed.name.clone(),
        nation: changed.nation,
        clearance: changed.clearance.clone(),
        role: changed.role,
        disabled: changed.disabled,
    };
    node.write(vec![WriteOp::PutUser(changed), audit]).await?;
    Ok(Json(view))
}

/// What a change does, for the audit log (never the password).
fn describe_change(change: &UserChange) -> String {
    let mut parts = Vec::new();
    if let Some(clearance) = &change.clearance {
        parts.push(format!("clearance {clearance}"));
    }
    if let Some(role) = change.role {
        parts.push(format!("role {}", role.as_str()));
    }
    if let Some(nation) = change.nation {
        parts.push(format!("nation {nation}"));
    }
    if let Some(disabled) = change.disabled {
        parts.push(if disabled { "disabled" } else { "enabled" }.to_owned());
    }
    if change.password.is_some() {
        parts.push("password reset".to_owned());
    }
    if parts.is_empty() {
        "no change".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Filters of the audit log.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only this action (create, update, delete, release, recall, login_failed, ...).
    pub action: Option<String>,
    /// Only releases and recalls to this partner nation.
    pub partner: Option<Nation>,
    /// Only this object.
    pub object: Option<Uuid>,
    /// Only at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Only records older than this id (paging back; an int64).
    pub before: Option<u64>,
    /// At most this many (1 to 10000, default 1000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<usize>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// `GET /api/v1/audit` (admin): newest first, as JSON or CSV.
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin",
    params(AuditParams),
    responses((status = 200, description = "Audit records, newest first (or CSV with `format=csv`)",
                content((Vec<AuditRecordDoc> = "application/json"), (String = "text/csv"))),
              (status = 403, description = "Not an admin")),
    security(("bearer" = [])))]
pub async fn audit(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Params(params): Params<AuditParams>,
) -> Result<Response, AppError> {
    caller.require(Role::Admin)?;
    let limit = params.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(AppError::BadRequest("limit: 1 to 10000".into()));
    }
    let since = params
        .since
        .as_deref()
        .map(|text| super::objects::parse_time("since", text))
        .transpose()?;
    // Record ids are SQLite rows (at most i64::MAX), as the document says.
    if params
        .before
        .is_some_and(|before| i64::try_from(before).is_err())
    {
        return Err(AppError::BadRequest(format!(
            "before: at most {}",
            i64::MAX
        )));
    }
    let query = AuditQuery {
        action: params.action,
        partner: params.partner,
        object_id: params.object,
        since,
        before_id: params.before,
        limit,
    };
    let records = node.with_store(move |store| store.audit(&query)).await?;
    match params.format.as_deref() {
        None | Some("json") => Ok(Json(records).into_response()),
        Some("csv") => {
            let mut response = audit_csv(&records).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            Ok(response)
        }
        Some(other) => Err(AppError::BadRequest(format!(
            "format {other:?}: json or csv"
        ))),
    }
}

/// The OpenAPI shape of an audit record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditRecordDoc {
    /// Position in the audit log.
    pub id: u64,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Which object.
    pub object_id: Option<Uuid>,
    /// Which version.
    pub version: Option<u64>,
    /// To which partner.
    pub partner: Option<Nation>,
    /// More.
    pub detail: String,
}

fn audit_csv(records: &[AuditRecord]) -> String {
    let mut out = String::from("id,at,actor,action,object_id,version,partner,detail\n");
    for record in records {
        let entry = &record.entry;
        let at = entry
            .at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let fields = [
            record.id.to_string(),
            at,
            entry.actor.clone(),
            entry.action.clone(),
            entry.object_id.map(|id| id.to_string()).unwrap_or_default(),
            entry.version.map(|v| v.to_string()).unwrap_or_default(),
            entry.partner.map(|n| n.to_string()).unwrap_or_default(),
            entry.detail.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// RFC 4180 quoting; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet does
/// not run it as a formula.
fn csv_field(field: &str) -> String {
    let guarded = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// `GET /api/v1/links`: the state of every partner link, both directions.
#[utoipa::path(get, path = "/api/v1/links", tag = "node",
    responses((status = 200, body = Vec<crate::links::LinkView>, description = "Partner links")),
    security(("bearer" = [])))]
pub async fn links(
    State(node): State<Arc<Node>>,
    _caller: Caller,
) -> Json<Vec<crate::links::LinkView>> {
    Json(node.links().iter().map(|link| link.view()).collect())
}
