//! The OpenAPI document, generated from the code: handlers annotated with `#[utoipa::path]`,
//! schemas derived from the very types the handlers parse and answer, and the object routes
//! added for each object type from the same table the router uses ([`ObjectType::ALL`]), so
//! the document cannot drift from what is served.

// `Object` is a keyword to utoipa's macros (any JSON object); name our type otherwise there.
use liptako_model::Object as StoredObject;
use liptako_model::{
    Body, Marking, Meta, ObjectType, Point, Polygon, PolygonTag, Principal, Report, ReportKind,
    Role, SiteCategory, Unit, Zone, ZoneKind,
};
use serde_json::{Value, json};
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi as OpenApiDoc, Ref, RefOr, Required, Response, ResponseBuilder, Schema,
};
use utoipa::{IntoParams, Modify, OpenApi};

use super::live::{self, LiveParams};
use super::objects::{self, EnvelopeInput, ItemParams, ListPage, ListParams, ReadParams};
use super::ops;
use super::session::{
    self, AuditParams, AuditRecordDoc, LoginRequest, LoginResponse, NewUserRequest, NodeInfo,
    UserView,
};

pub use crate::http::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Liptako node API",
        description = "A national node of the Liptako federated common operational picture. \
            Every answer is filtered by the marking rule: an object the caller may not see is \
            answered like one that does not exist."
    ),
    paths(
        session::login, session::me, session::node_info, session::list_users,
        session::create_user, session::update_user, session::audit, session::links, live::live, ops::healthz,
        ops::metrics
    ),
    components(schemas(
        StoredObject, Body, Meta, Marking, Report, ReportKind, Unit, Zone, ZoneKind, SiteCategory,
        Point, Polygon, PolygonTag, Principal, Role, EnvelopeInput, ListPage, ErrorBody,
        LoginRequest, LoginResponse, NodeInfo, UserView, NewUserRequest, AuditRecordDoc,
        crate::init::UserChange
    )),
    modifiers(&BearerAuth, &ObjectRoutes),
    tags(
        (name = "auth", description = "Log in"),
        (name = "objects", description = "Reports, units and zones"),
        (name = "live", description = "The live change feed"),
        (name = "admin", description = "Users and the audit log")
    )
)]
struct ApiDoc;

/// The whole document.
pub fn document() -> OpenApiDoc {
    let _ = (AuditParams::default(), LiveParams::default());
    let mut document = ApiDoc::openapi()
        .merge_from(super::history::Doc::openapi().merge_from(super::acks::Doc::openapi()));
    // The version history is served for every type; the annotation names the reports'.
    let reports = objects::collection(ObjectType::Report);
    let history = format!("/api/v1/{reports}/{{id}}/versions");
    if let Some(item) = document.paths.paths.get_mut(&history)
        && let Some(operation) = item.get.as_mut()
    {
        operation.operation_id = Some("versions_report".to_owned());
    }
    if let Some(item) = document.paths.paths.get(&history).cloned() {
        for object_type in [ObjectType::Unit, ObjectType::Zone] {
            let collection = objects::collection(object_type);
            let mut item = item.clone();
            if let Some(operation) = item.get.as_mut() {
                operation.operation_id = Some(format!("versions_{}", object_type.as_str()));
            }
            document
                .paths
                .paths
                .insert(format!("/api/v1/{collection}/{{id}}/versions"), item);
        }
    }
    document
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Adds `/api/v1/<collection>` and `/api/v1/<collection>/{id}` for every object type.
struct ObjectRoutes;

impl Modify for ObjectRoutes {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        for object_type in ObjectType::ALL {
            let collection = objects::collection(object_type);
            let input_schema = |change: bool| -> RefOr<Schema> {
                Ref::from_schema_name(input_schema_name(object_type, change)).into()
            };
            let json = |schema: RefOr<Schema>| ContentBuilder::new().schema(Some(schema)).build();
            let object_ref: RefOr<Schema> = Ref::from_schema_name("Object").into();
            let name = object_type.as_str();
            let ok_object = |status: &str| {
                ResponseBuilder::new()
                    .description(format!("{status}: the {name}"))
                    .content("application/json", json(object_ref.clone()))
                    .build()
            };
            // What a client (and a stateful fuzzer) does next with the object it was answered.
            // The object is in its world (`exercise`); a change sends back what was read (its
            // `version` is the precondition).
            let link = |operation: &str, version: Option<&str>, send_back: bool| {
                let mut link = LinkBuilder::new()
                    .operation_id(format!("{operation}_{name}"))
                    .parameter("path.id", "$response.body#/id");
                if let Some(place) = version {
                    link = link.parameter(place, "$response.body#/version");
                }
                if send_back {
                    link = link.request_body(Some("$response.body#"));
                } else {
                    link = link.parameter("query.exercise", "$response.body#/exercise");
                }
                link.build()
            };
            let ok_object_linked = |status: &str| {
                ResponseBuilder::new()
                    .description(format!("{status}: the {name}"))
                    .content("application/json", json(object_ref.clone()))
                    .link("get", link("get", None, false))
                    .link("replace", link("replace", None, true))
                    .link("delete", link("delete", Some("query.version"), false))
                    .build()
            };
            let error = |description: &str| {
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        json(Ref::from_schema_name("ErrorBody").into()),
                    )
                    .build()
            };
            let request_body = |change: bool| {
                Some(
                    RequestBodyBuilder::new()
                        .content("application/json", json(input_schema(change)))
                        .required(Some(Required::True))
                        .build(),
                )
            };
            let id_param = || {
                ParameterBuilder::new()
                    .name("id")
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String).format(
                        Some(utoipa::openapi::SchemaFormat::KnownFormat(
                            utoipa::openapi::KnownFormat::Uuid,
                        )),
                    )))
                    .build()
            };
            let if_match = || {
                ParameterBuilder::new()
                    .name("If-Match")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some("The version the change is made against, e.g. \"3\""))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .build()
            };
            let security = || {
                utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new())
            };

            let list = OperationBuilder::new()
                .tag("objects")
                .operation_id(Some(format!("list_{collection}")))
                .summary(Some(format!("List {collection} the caller may see, newest change first")))
                .parameters(Some(ListParams::into_params(|| Some(ParameterIn::Query))))
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("A page (or a GeoJSON FeatureCollection with Accept: application/geo+json)")
                        .content("application/json", json(Ref::from_schema_name("ListPage").into()))
                        .content(
                            "application/geo+json",
                            json(ObjectBuilder::new().schema_type(Type::Object).into()),
                        )
                        .build(),
                )
                .response("400", error("Bad parameter"))
                .response("401", error("No valid token"))
                .security(security());
            let create = OperationBuilder::new()
                .tag("objects")
                .operation_id(Some(format!("create_{name}")))
                .summary(Some(format!("Create a {name} (editor)")))
                .request_body(request_body(false))
                .response("201", ok_object_linked("Created"))
                .response("400", error("Invalid body"))
                .response(
                    "403",
                    error("Role too low, or marking above the caller's clearance"),
                )
                .response("413", error("Body too large"))
                .security(security());
            let create = match object_type {
                ObjectType::SupportRequest => create.response(
                    "422",
                    error("The marking does not release the request to every nation it is addressed to, an addressed nation is not a partner, or the exercise named is not held here or has ended"),
                ),
                ObjectType::Exercise => create
                    .response(
                        "422",
                        error("The directing nation does not take part, a participant is not a member, the marking does not release the exercise to every participant, or `exercise` was given"),
                    )
                    .response("409", error("This node already directs an exercise of that name")),
                _ => create.response(
                    "422",
                    error("The exercise named is not held here or has ended"),
                ),
            };
            let get = OperationBuilder::new()
                .tag("objects")
                .operation_id(Some(format!("get_{name}")))
                .summary(Some(format!("One {name}")))
                .parameter(id_param())
                .parameters(Some(ReadParams::into_params(|| Some(ParameterIn::Query))))
                .response("200", ok_object("OK"))
                .response("404", error("No such object, or not visible to the caller"))
                .response("410", error("Deleted"))
                .security(security());
            let replace = OperationBuilder::new()
                .tag("objects")
                .operation_id(Some(format!("replace_{name}")))
                .summary(Some(format!("Change a {name} (editor, origin node only)")))
                .parameter(id_param())
                .parameter(if_match())
                .request_body(request_body(true))
                .response("200", ok_object_linked("Changed"))
                .response(
                    "403",
                    error("Role too low, not the origin node, or a marking the caller may not set"),
                )
                .response("404", error("No such object, or not visible to the caller"))
                .response("409", error("Stale version"))
                .response("410", error("Deleted"))
                .response("428", error("No version given"))
                .security(security());
            let replace = match object_type {
                ObjectType::SupportRequest => replace.response(
                    "422",
                    error("The marking does not release the request to every nation it is addressed to, an addressed nation is not a partner, or the request's exercise has ended"),
                ),
                ObjectType::Exercise => replace.response(
                    "422",
                    error("The name changed, the directing nation does not take part, a participant is not a member, or the marking does not release the exercise to every participant"),
                ),
                _ => replace.response("422", error("The object's exercise has ended")),
            };
            let delete = OperationBuilder::new()
                .tag("objects")
                .operation_id(Some(format!("delete_{name}")))
                .summary(Some(format!(
                    "Delete a {name} (editor, origin node only); answers the tombstone"
                )))
                .parameter(id_param())
                .parameter(if_match())
                .parameters(Some(ItemParams::into_params(|| Some(ParameterIn::Query))))
                .response("200", ok_object("Deleted"))
                .response("403", error("Role too low, or not the origin node"))
                .response("404", error("No such object, or not visible to the caller"))
                .response("409", error("Stale version"))
                .response("410", error("Already deleted"))
                .response("428", error("No version given"))
                .security(security());

            let mut collection_item = PathItem::new(HttpMethod::Get, list);
            let mut item = PathItem::new(HttpMethod::Get, get);
            // Objects the node writes itself are read-only here (see ObjectType::client_writable).
            if object_type.client_writable() {
                collection_item.merge_operations(PathItem::new(HttpMethod::Post, create));
                item.merge_operations(PathItem::new(HttpMethod::Put, replace));
                item.merge_operations(PathItem::new(HttpMethod::Delete, delete));
            }
            openapi
                .paths
                .paths
                .insert(format!("/api/v1/{collection}"), collection_item);
            openapi
                .paths
                .paths
                .insert(format!("/api/v1/{collection}/{{id}}"), item);
        }
    }
}

/// The name of the request body schema of a creation (`ReportNew`) or a change
/// (`ReportChange`).
fn input_schema_name(object_type: ObjectType, change: bool) -> String {
    format!(
        "{}{}",
        body_schema_name(object_type),
        if change { "Change" } else { "New" }
    )
}

/// The schema of a type's body fields.
fn body_schema_name(object_type: ObjectType) -> &'static str {
    match object_type {
        ObjectType::Report => "Report",
        ObjectType::Unit => "Unit",
        ObjectType::Zone => "Zone",
        ObjectType::Operation => "Operation",
        ObjectType::PursuitNotice => "PursuitNotice",
        ObjectType::Acknowledgement => "Acknowledgement",
        ObjectType::Asset => "Asset",
        ObjectType::SupportRequest => "SupportRequest",
        ObjectType::SupportResponse => "SupportResponse",
        ObjectType::Exercise => "Exercise",
    }
}

/// The error answer: [`ErrorBody`] as JSON.
fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::from(Ref::from_schema_name("ErrorBody"))))
                .build(),
        )
        .build()
}

/// Finishes the whole document (every feature's part merged), in one place rather than in
/// each annotation:
/// - every operation that needs a token answers 401; one with a query parameter or a body
///   answers 400; one with a path parameter 404; one with a body 413 and 415; every operation
///   of the API 500 (each with the [`ErrorBody`] the node sends);
/// - an error answer declared without a body gets the [`ErrorBody`];
/// - the objects' schemas are written flat, as serde writes and reads them: `Object` is one of
///   `ReportObject`, `UnitObject`, `ZoneObject` by `type`, and each type's request bodies
///   (`ReportNew`, `ReportChange`, ...) hold the body's fields and the envelope fields the
///   handler accepts, no more, so that a generator (and a client) can produce them.
pub fn complete(document: &mut OpenApiDoc) {
    for (path, item) in document.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            add_common_responses(path, operation);
        }
    }
    let components = document.components.get_or_insert_with(Default::default);
    let schemas = &mut components.schemas;
    let as_json = |name: &str| {
        schemas
            .get(name)
            .and_then(|schema| serde_json::to_value(schema).ok())
            .unwrap_or(Value::Null)
    };
    let meta = as_json("Meta");
    let mut flat = Vec::new();
    let mut one_of = Vec::new();
    let mut mapping = serde_json::Map::new();
    for object_type in ObjectType::ALL {
        let body_name = body_schema_name(object_type);
        let body = as_json(body_name);
        let object_name = format!("{body_name}Object");
        let reference = format!("#/components/schemas/{object_name}");
        one_of.push(json!({"$ref": reference}));
        mapping.insert(object_type.as_str().to_owned(), json!(reference));
        flat.push((object_name, object_schema(object_type, &meta, &body)));
        // Types the node writes itself take no body on the generic routes.
        if object_type.client_writable() {
            flat.push((
                input_schema_name(object_type, false),
                input_schema(object_type, &body, false),
            ));
            flat.push((
                input_schema_name(object_type, true),
                input_schema(object_type, &body, true),
            ));
        }
    }
    flat.push((
        "Object".to_owned(),
        json!({
            "description": "One object: its envelope, `type`, and the fields of its type.",
            "oneOf": one_of,
            "discriminator": {"propertyName": "type", "mapping": mapping},
        }),
    ));
    // Superseded by the flat schemas above: `Body` is an `allOf` of a closed body schema and
    // its `type` (no instance satisfies both), `EnvelopeInput` is half a request body.
    schemas.remove("Body");
    schemas.remove("EnvelopeInput");
    for (name, schema) in flat {
        match serde_json::from_value::<RefOr<Schema>>(schema) {
            Ok(schema) => {
                schemas.insert(name, schema);
            }
            Err(err) => tracing::error!(%name, %err, "an OpenAPI schema did not build"),
        }
    }
}

fn add_common_responses(path: &str, operation: &mut Operation) {
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| {
        parameters.iter().any(|parameter| match parameter {
            RefOr::T(parameter) => parameter.parameter_in == place,
            RefOr::Ref(_) => false,
        })
    };
    let (has_query, has_path) = (has(ParameterIn::Query), has(ParameterIn::Path));
    let has_body = operation.request_body.is_some();
    let responses = &mut operation.responses.responses;
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description).into());
    };
    if secured {
        add(
            "401",
            "No valid token: missing, malformed, expired, or its session ended",
        );
    }
    if has_query || has_body {
        add("400", "A bad parameter or body (the message says which)");
    }
    if has_path {
        add("404", "No such thing, or one the caller may not see");
    }
    if has_body {
        add("413", "The body is larger than `[http] max_body_bytes`");
        add("415", "The body is not JSON");
    }
    if path.starts_with("/api/") {
        add("500", "Something broke inside the node (logged there)");
    }
    // An error declared without a body has the one the node sends.
    for (status, response) in responses.iter_mut() {
        if let RefOr::T(response) = response
            && (status.starts_with('4') || status.starts_with('5'))
            && response.content.is_empty()
            && status != "503"
        {
            *response = error_response(&response.description);
        }
    }
}

/// The properties and required names of an object schema (as JSON).
fn parts(schema: &Value) -> (serde_json::Map<String, Value>, Vec<Value>) {
    let properties = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let required = schema["required"].as_array().cloned().unwrap_or_default();
    (properties, required)
}

/// An object of one type as the node answers it: the envelope, `type`, the body's fields.
fn object_schema(object_type: ObjectType, meta: &Value, body: &Value) -> Value {
    let (mut properties, mut required) = parts(meta);
    let (body_properties, body_required) = parts(body);
    properties.extend(body_properties);
    properties.insert(
        "type".into(),
        json!({"type": "string", "enum": [object_type.as_str()]}),
    );
    required.push(json!("type"));
    required.extend(body_required);
    if matches!(
        object_type,
        ObjectType::PursuitNotice | ObjectType::SupportRequest
    ) {
        // The head of a workflow between nations is read with the state this node derives.
        properties.insert(
            "workflow".into(),
            json!({"type": "object", "description": "The workflow's state (on a single read)."}),
        );
    }
    if object_type == ObjectType::Operation {
        // Derived on a single read: the civilian-harm reports inside its area and window.
        properties.insert(
            "civilian_harm_reports".into(),
            json!({"type": "array", "items": {"type": "string", "format": "uuid"},
                   "description": "Civilian-harm reports linked to it (on a single read)."}),
        );
    }
    if object_type == ObjectType::SupportRequest {
        properties.insert(
            "state".into(),
            json!({"type": "string", "description": "The request's state as this node derives it.",
                   "enum": ["requested", "approved", "declined", "tasked", "completed", "cancelled"]}),
        );
    }
    json!({
        "type": "object",
        "description": format!("A {} with its envelope.", object_type.as_str()),
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// A request body of one type: the body's fields and the envelope fields the handler accepts
/// (`objects::parse_input`); `change` adds `version` and `id` and makes `marking` optional.
fn input_schema(object_type: ObjectType, body: &Value, change: bool) -> Value {
    let (mut properties, mut required) = parts(body);
    let nullable = |schema: Value| json!({"oneOf": [schema, {"type": "null"}]});
    let marking = json!({"$ref": "#/components/schemas/Marking"});
    let envelope = [
        ("marking", if change { nullable(marking) } else { marking }),
        (
            "valid_until",
            json!({"type": ["string", "null"], "format": "date-time",
                   "description": "End of validity (RFC 3339)."}),
        ),
        (
            "exercise",
            json!({"type": ["string", "null"], "minLength": 1, "maxLength": 64,
                   "description": "The exercise the object belongs to (absent: the real world): \
                                   letters, digits, spaces, `-`, `_`, `.`."}),
        ),
        (
            "origin",
            nullable(json!({"$ref": "#/components/schemas/Nation"})),
        ),
        (
            "type",
            json!({"type": ["string", "null"], "enum": [object_type.as_str(), null],
                   "description": "Read-only; must be the collection's type."}),
        ),
        (
            "created",
            json!({"type": ["string", "null"], "description": "Read-only; ignored."}),
        ),
        (
            "updated",
            json!({"type": ["string", "null"], "description": "Read-only; ignored."}),
        ),
        (
            "deleted",
            json!({"type": ["boolean", "null"], "enum": [false, null], "description": "Read-only; use DELETE to delete."}),
        ),
    ];
    for (name, schema) in envelope {
        properties.insert(name.into(), schema);
    }
    if change {
        properties.insert(
            "version".into(),
            json!({"type": ["integer", "null"], "format": "int64", "minimum": 0,
                   "description": "The version the change is made against (or send If-Match)."}),
        );
        properties.insert(
            "id".into(),
            json!({"type": ["string", "null"], "format": "uuid",
                   "description": "Read-only; must be the path's."}),
        );
    } else {
        required.push(json!("marking"));
    }
    let example = match object_type {
        ObjectType::Report => Some(json!({
            "kind": "incident", "title": "Convoy attacked near Boni",
            "body": "Two vehicles hit.", "location": {"lat": 15.1, "lon": -1.9},
        })),
        ObjectType::Unit => Some(json!({
            "callsign": "ALPHA 1", "symbol": "SFGPUCI----K---",
            "position": {"lat": 14.2, "lon": 0.9}, "course_deg": 90.0, "speed_mps": 4.5,
        })),
        ObjectType::Zone => Some(json!({
            "kind": "restricted", "name": "Airfield", "description": "Closed to traffic.",
            "area": {"type": "Polygon", "coordinates":
                [[[0.9, 14.1], [1.1, 14.1], [1.1, 14.3], [0.9, 14.1]]]},
        })),
        ObjectType::Asset => Some(json!({
            "name": "HERON 2", "category": "isr_drone",
            "capabilities": {"tags": ["eo/ir"], "range_km": 250.0, "endurance_h": 20.0},
            "home_base": {"lat": 12.35, "lon": -1.52}, "status": "available",
        })),
        // Valid on a node of the default confederation other than NER's (the marking `configure`
        // writes releases it to all members).
        ObjectType::SupportRequest => Some(json!({
            "category": "medevac", "purpose": "medevac", "priority": "urgent",
            "addressed_to": ["NER"], "location": {"lat": 15.1, "lon": 1.2},
            "start": "2026-12-06T12:00:00Z", "end": "2026-12-06T18:00:00Z",
            "description": "Two casualties, one on a litter.",
        })),
        ObjectType::Exercise => Some(json!({
            "name": "SAHEL 27", "participating_nations": ["MLI", "NER"],
            "start": "2026-12-07T08:00:00Z", "end": "2026-12-07T18:00:00Z",
            "status": "planned", "control": ["admin"],
        })),
        ObjectType::Operation
        | ObjectType::PursuitNotice
        | ObjectType::Acknowledgement
        | ObjectType::SupportResponse => None,
    };
    let examples: Vec<Value> = example
        .map(|mut example| {
            // `configure` puts a marking of the node's own levels here.
            example["marking"] = json!({"level": "DR", "releasable_to": []});
            if change {
                example["version"] = json!(1);
            }
            example
        })
        .into_iter()
        .collect();
    json!({
        "type": "object",
        "description": format!(
            "A {} {}: its fields and the envelope's.",
            object_type.as_str(),
            if change { "change" } else { "creation" }
        ),
        "properties": properties,
        "required": required,
        "additionalProperties": false,
        "examples": examples,
    })
}

/// Makes the document say what this node's policy accepts in a marking: `level` one of its
/// configured levels, `releasable_to` its confederation's name or member nations.
pub fn configure(document: &mut OpenApiDoc, policy: &liptako_model::Policy) {
    let Some(components) = document.components.as_mut() else {
        return;
    };
    let Some(Ok(mut marking)) = components.schemas.get("Marking").map(serde_json::to_value) else {
        return;
    };
    let levels = policy.levels().names().to_vec();
    let confederation = policy.confederation();
    let mut tokens = vec![confederation.name().to_owned()];
    tokens.extend(confederation.members().iter().map(ToString::to_string));
    marking["properties"]["level"]["enum"] = json!(levels);
    marking["properties"]["releasable_to"]["items"]["enum"] = json!(tokens);
    let mut changed = vec![("Marking".to_owned(), marking)];
    // The request examples: the lowest level, released to the whole confederation.
    for object_type in ObjectType::ALL {
        for change in [false, true] {
            let name = input_schema_name(object_type, change);
            let Some(Ok(mut schema)) = components.schemas.get(&name).map(serde_json::to_value)
            else {
                continue;
            };
            if let Some(examples) = schema["examples"].as_array_mut() {
                for example in examples {
                    example["marking"] = json!({
                        "level": levels.first(),
                        "releasable_to": [confederation.name()],
                    });
                }
            }
            changed.push((name, schema));
        }
    }
    for (name, schema) in changed {
        match serde_json::from_value::<RefOr<Schema>>(schema) {
            Ok(schema) => {
                components.schemas.insert(name, schema);
            }
            Err(err) => tracing::error!(%name, %err, "an OpenAPI schema did not build"),
        }
    }
}
