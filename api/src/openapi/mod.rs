//! The OpenAPI document, generated from the handlers' annotations, and its interactive page.

use axum::Router;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

mod common_responses;

use crate::error::ErrorOut;
use crate::routes;
use crate::state::AppState;
use common_responses::CommonResponses;

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
        routes::password_reset::create_password_reset,
        routes::password_reset::confirm_password_reset,
        routes::email_verification::resend_email_verification,
        routes::email_verification::confirm_email_verification,
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
        routes::posting_schedule::get_schedule,
        routes::posting_schedule::put_schedule,
        routes::posting_schedule::list_slots,
        routes::queue_pause::pause_queue,
        routes::queue_pause::resume_queue,
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
        routes::posts::duplicate_post,
        routes::queue_move::move_queued_post,
        routes::post_views::get_summary,
        routes::post_views::get_calendar,
        routes::notifications::list_notifications,
        routes::notifications::get_unread_count,
        routes::notifications::mark_notification_read,
        routes::notifications::mark_all_notifications_read,
        routes::notifications::stream_unread_count,
        routes::notification_preferences::get_notification_preferences,
        routes::notification_preferences::update_notification_preferences,
        routes::unsubscribe::get_unsubscribe,
        routes::unsubscribe::create_unsubscribe,
        routes::webhooks::create_webhook,
        routes::webhooks::list_webhooks,
        routes::webhooks::get_webhook,
        routes::webhooks::update_webhook,
        routes::webhooks::delete_webhook,
        routes::webhooks::rotate_webhook_secret,
        routes::webhooks::test_webhook,
        routes::webhooks::list_webhook_deliveries,
        routes::webhooks::redeliver_webhook,
    ),
    components(schemas(ErrorOut, routes::webhooks_io::WebhookPayload)),
    modifiers(&SessionAuth, &CommonResponses),
    tags(
        (name = "operations", description = "Health and readiness"),
        (name = "accounts", description = "Sign-up, sign-in, sessions, account settings and deletion"),
        (name = "instagram", description = "Connecting Instagram professional accounts; each account's posting schedule (weekly time slots that `POST /posts` with `queue: true` fills) and pausing its queue"),
        (name = "meta", description = "Meta's deauthorize and data-deletion callbacks, and the public deletion status page"),
        (name = "media", description = "The media library: upload (images are stored as JPEG), list, download, delete"),
        (name = "notifications", description = "The notification center (failed, parked and published posts, Instagram access ending), its live unread count, preferences per kind and channel, and one-click unsubscribe from notification emails"),
        (name = "webhooks", description = "Signed HTTP callbacks to your own systems when a post is published or fails and when a connection needs reconnecting or is disconnected (Standard Webhooks). Every delivery's body is a `WebhookPayload`."),
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

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use utoipa::OpenApi;

    use super::ApiDoc;

    fn operations() -> Vec<(String, String, Value)> {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                out.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
        out
    }

    #[test]
    fn path_parameters_are_exactly_the_names_in_the_path() {
        for (method, path, operation) in operations() {
            let empty = Vec::new();
            let parameters = operation["parameters"].as_array().unwrap_or(&empty);
            for p in parameters {
                let name = p["name"].as_str().unwrap();
                let in_path = path.contains(&format!("{{{name}}}"));
                assert_eq!(
                    p["in"] == "path",
                    in_path,
                    "{method} {path}: `{name}` is declared in {}",
                    p["in"]
                );
            }
        }
    }

    #[test]
    fn the_documented_webhook_payload_is_what_deliveries_send() {
        use aistudio_jobs::webhooks::event::TestData;
        use aistudio_jobs::webhooks::{Event, EventType};
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let schema = &doc["components"]["schemas"]["WebhookPayload"];
        let mut documented: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        documented.sort();
        let data = TestData {
            endpoint_id: "e".into(),
            message: "m".into(),
        };
        let event = Event::new("k", EventType::WebhookTest, chrono::Utc::now(), &data);
        let body: Value = serde_json::from_str(&event.body()).unwrap();
        let mut sent: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        sent.sort();
        assert_eq!(documented, sent);
        for name in [
            "PostPublishedData",
            "PostFailedData",
            "ConnectionData",
            "TestData",
        ] {
            assert!(
                doc["components"]["schemas"][name]["properties"].is_object(),
                "{name} is documented"
            );
        }
        let test_data = &doc["components"]["schemas"]["TestData"]["properties"];
        for key in body["data"].as_object().unwrap().keys() {
            assert!(test_data[key].is_object(), "data.{key} is documented");
        }
    }

    #[test]
    fn page_limits_declare_the_range_the_server_takes() {
        let mut seen = 0;
        for (method, path, operation) in operations() {
            for p in operation["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "limit" {
                    seen += 1;
                    assert_eq!(p["schema"]["minimum"], 1, "{method} {path}");
                    assert_eq!(p["schema"]["maximum"], 100, "{method} {path}");
                }
            }
        }
        assert_eq!(seen, 3, "the post, media and notification lists are paged");
    }

    #[test]
    fn every_body_documents_its_refusals_and_every_session_its_401() {
        for (method, path, operation) in operations() {
            let responses = operation["responses"].as_object().unwrap();
            let has = |status: &str| responses.contains_key(status);
            let json_body = operation["requestBody"]["content"]["application/json"].is_object();
            if json_body {
                for status in ["400", "413", "415", "422"] {
                    assert!(has(status), "{method} {path} lacks {status}");
                }
            }
            if operation["security"].is_array() {
                assert!(has("401"), "{method} {path} needs a session but lacks 401");
            }
        }
    }
}
