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
    paths(
        routes::health::get_health,
        routes::health::get_readiness,
        routes::auth::create_account,
        routes::auth::create_session,
        routes::auth::create_token,
        routes::auth::delete_session,
        routes::google::start_google_sign_in,
        routes::google::finish_google_sign_in,
        routes::me::get_me,
        routes::me::update_me,
        routes::me::change_password,
        routes::me::delete_me,
        routes::deletions::get_deletion,
        routes::instagram::start_instagram_connection,
        routes::instagram::finish_instagram_connection,
        routes::instagram::list_connections,
        routes::instagram::delete_connection,
        routes::meta::create_deauthorization,
        routes::meta::create_data_deletion,
        routes::deletion_status::get_deletion_status,
        routes::media::upload_media,
        routes::media::list_media,
        routes::media::get_media,
        routes::media::download_media,
        routes::media::delete_media_item,
        routes::public_media::get_public_media,
        routes::posts::create_post,
        routes::posts::list_posts,
        routes::posts::get_post,
        routes::posts::update_post,
        routes::posts::reschedule_post,
        routes::posts::cancel_post,
        routes::posts::delete_post,
        routes::post_views::get_summary,
        routes::post_views::get_calendar,
    ),
    components(schemas(ErrorOut)),
    modifiers(&SessionAuth),
    tags(
        (name = "operations", description = "Health and readiness"),
        (name = "accounts", description = "Sign-up, sign-in, sessions, account settings and deletion"),
        (name = "instagram", description = "Connecting Instagram professional accounts"),
        (name = "meta", description = "Meta's deauthorize and data-deletion callbacks, and the public deletion status page"),
        (name = "media", description = "The media library: upload (images are stored as JPEG), list, download, delete"),
        (name = "posts", description = "Compose, schedule, edit, reschedule, cancel and delete posts; dashboard summary and calendar. Deleting a post deletes our record only: Instagram's API cannot delete published media."),
    )
)]
pub struct ApiDoc;

/// Declares the two ways to send a session: the cookie and a bearer token.
struct SessionAuth;

impl utoipa::Modify for SessionAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::extract::SESSION_COOKIE,
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `/openapi.json` and the interactive docs page at `/docs`.
pub fn router() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
}
