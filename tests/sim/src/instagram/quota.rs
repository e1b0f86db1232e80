//! `GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config`: publishes in the
//! rolling 24 h window and the account's `quota_total`.

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{respond, token_of};
use crate::faults::{Call, Endpoint, guarded};
use crate::graph_error::GraphError;
use crate::params::Params;
use crate::shared::Shared;

/// `GET {graph}/{version}/{ig-user-id}/content_publishing_limit`.
pub(crate) async fn get_limit(shared: &Shared, path_id: &str, params: Params) -> Response {
    let call = Call::new(Endpoint::PublishingLimit, params.kill.clone()).about(path_id);
    guarded(shared, call, || async {
        respond(limit(shared, path_id, &params))
    })
    .await
}

fn limit(shared: &Shared, path_id: &str, params: &Params) -> Result<Value, GraphError> {
    let now = shared.now_ms();
    let state = shared.lock();
    let token = state.ig.authenticate(token_of(params), now)?;
    let account = state.ig.path_account(token, path_id, "get")?;
    let usage = state.ig.quota_usage(&account.user_id, now);
    let total = account.quota_total.unwrap_or(state.settings.quota_total);
    let mut fields = params.fields();
    if fields.is_empty() {
        fields.push("quota_usage".to_owned());
    }
    let mut out = Map::new();
    for field in fields {
        let value = match field.as_str() {
            "quota_usage" => json!(usage),
            "config" => json!({"quota_total": total, "quota_duration": 86400}),
            other => {
                return Err(GraphError::param(format!(
                    "(#100) Tried accessing nonexisting field ({other}) on node type \
                     (ContentPublishingLimit)"
                )));
            }
        };
        out.insert(field, value);
    }
    Ok(json!({ "data": [out] }))
}
