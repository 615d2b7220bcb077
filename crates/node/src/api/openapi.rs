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
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi as OpenApiDoc, Ref, RefOr, Required, ResponseBuilder, Schema,
};
use utoipa::{IntoParams, Modify, OpenApi};

use super::live::{self, LiveParams};
use super::objects::{self, EnvelopeInput, ItemParams, ListPage, ListParams};
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
    ApiDoc::openapi()
        .merge_from(super::history::Doc::openapi().merge_from(super::acks::Doc::openapi()))
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
            let body_schema = match object_type {
                ObjectType::Report => "Report",
                ObjectType::Unit => "Unit",
                ObjectType::Zone => "Zone",
                ObjectType::Operation => "Operation",
                ObjectType::PursuitNotice => "PursuitNotice",
                ObjectType::Acknowledgement => "Acknowledgement",
            };
            let input: RefOr<Schema> = AllOfBuilder::new()
                .item(Ref::from_schema_name("EnvelopeInput"))
                .item(Ref::from_schema_name(body_schema))
                .into();
            let json = |schema: RefOr<Schema>| ContentBuilder::new().schema(Some(schema)).build();
            let object_ref: RefOr<Schema> = Ref::from_schema_name("Object").into();
            let ok_object = |status: &str| {
                ResponseBuilder::new()
                    .description(format!("{status}: the {}", object_type.as_str()))
                    .content("application/json", json(object_ref.clone()))
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
            let request_body = || {
                Some(
                    RequestBodyBuilder::new()
                        .content("application/json", json(input.clone()))
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
            let name = object_type.as_str();

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
                .request_body(request_body())
                .response("201", ok_object("Created"))
                .response("400", error("Invalid body"))
                .response(
                    "403",
                    error("Role too low, or marking above the caller's clearance"),
                )
                .response("413", error("Body too large"))
                .security(security());
            let get = OperationBuilder::new()
                .tag("objects")
                .operation_id(Some(format!("get_{name}")))
                .summary(Some(format!("One {name}")))
                .parameter(id_param())
                .parameters(Some(ItemParams::into_params(|| Some(ParameterIn::Query))))
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
                .request_body(request_body())
                .response("200", ok_object("Changed"))
                .response(
                    "403",
                    error("Not the origin node, or marking above clearance"),
                )
                .response("404", error("No such object, or not visible to the caller"))
                .response("409", error("Stale version"))
                .response("428", error("No version given"))
                .security(security());
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
                .response("404", error("No such object, or not visible to the caller"))
                .response("409", error("Stale version"))
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
