//! The OpenAPI document, generated from the handlers' annotations, and its interactive page.

use axum::Router;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ErrorOut;
use crate::routes;
use crate::state::AppState;

/// The API description served at `/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(title = "AIStudio API", description = "Schedule posts and have them published to your Instagram professional account."),
    paths(routes::health::get_health, routes::health::get_readiness),
    components(schemas(ErrorOut)),
    tags((name = "operations", description = "Health and readiness"))
)]
pub struct ApiDoc;

/// `/openapi.json` and the interactive docs page at `/docs`.
pub fn router() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
}
