//! What every operation of a kind can answer, added to the document where an annotation leaves
//! it out, so that clients and fuzzers see the whole contract: the session an operation needs
//! and its 401, the 400 / 413 / 415 of a body (400 for a malformed multipart body too), the 422
//! of query parameters.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// Operations anyone may call (`METHOD path`): health, sign-up and sign-in, the emailed links,
/// the OAuth callbacks, Meta's callbacks, the public pages and unsubscribe links. Every other
/// operation needs a session.
const PUBLIC: [&str; 18] = [
    "GET /healthz",
    "GET /readyz",
    "POST /api/v1/auth/signup",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/token",
    "POST /api/v1/auth/password-reset",
    "POST /api/v1/auth/password-reset/confirm",
    "POST /api/v1/auth/verify-email/confirm",
    "GET /api/v1/auth/google",
    "GET /api/v1/auth/google/callback",
    "GET /api/v1/instagram/callback",
    "POST /api/v1/meta/deauthorize",
    "POST /api/v1/meta/data-deletion",
    "GET /deletion-status/{code}",
    "GET /api/v1/deletions/{code}",
    "GET /api/v1/public-media/{id}",
    "GET /unsubscribe",
    "POST /unsubscribe",
];

/// Adds the session requirement and the responses common to each kind of operation.
pub struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                if !PUBLIC.contains(&format!("{method} {path}").as_str()) {
                    operation.security = Some(vec![
                        SecurityRequirement::new("session_cookie", Vec::<String>::new()),
                        SecurityRequirement::new("bearer", Vec::<String>::new()),
                    ]);
                    add(operation, 401, "Sign-in required: no valid session");
                }
                add_body_responses(operation);
                let has_query = operation
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Query));
                if has_query {
                    add(
                        operation,
                        422,
                        "A query parameter is unknown, missing or invalid; `field` names it",
                    );
                }
            }
        }
    }
}

fn add_body_responses(operation: &mut Operation) {
    let Some(body) = &operation.request_body else {
        return;
    };
    let json = body.content.contains_key("application/json");
    let multipart = body.content.contains_key("multipart/form-data");
    add(operation, 413, "The body is larger than allowed");
    if multipart {
        add(operation, 400, "The multipart body is malformed");
    }
    if json {
        add(
            operation,
            400,
            "The body is not valid JSON, or has bytes after it",
        );
        add(
            operation,
            415,
            "The body is not JSON (`Content-Type: application/json`)",
        );
        add(
            operation,
            422,
            "A field is missing, unknown or invalid; `field` names it",
        );
    }
}

/// The operations of a path, with their methods as written in `PUBLIC`.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("GET", &mut item.get),
        ("PUT", &mut item.put),
        ("POST", &mut item.post),
        ("DELETE", &mut item.delete),
        ("PATCH", &mut item.patch),
        ("HEAD", &mut item.head),
        ("OPTIONS", &mut item.options),
        ("TRACE", &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|o| (method, o)))
}

/// Documents `status` with the error body, unless the annotation already says more about it.
fn add(operation: &mut Operation, status: u16, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| RefOr::T(error_response(description)));
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorOut")))
                .build(),
        )
        .build()
}
