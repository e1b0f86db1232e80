//! Duplicating a post: the input of a new draft with the content of a post in any state.

use crate::content::ComposeInput;
use crate::store::{PostContent, Store, StoreError};

/// The input of a draft copying `content` of `user_id`'s post: its kind, caption, alternative
/// texts, time zone, the media items and cover still in the library, and the Instagram
/// account while it is still connected; never its time (a draft has none).
pub async fn draft_input(
    store: &Store,
    user_id: &str,
    content: &PostContent,
) -> Result<ComposeInput, StoreError> {
    let media = store.media();
    let mut items = Vec::with_capacity(content.items.len());
    for item in &content.items {
        if media
            .by_id_for_user(&item.media_id, user_id)
            .await?
            .is_some()
        {
            items.push(item.clone());
        }
    }
    let cover_media_id = match &content.cover_media_id {
        Some(id) if media.by_id_for_user(id, user_id).await?.is_some() => Some(id.clone()),
        _ => None,
    };
    let connection_id = match &content.connection_id {
        Some(id)
            if store
                .connections()
                .by_id_for_user(id, user_id)
                .await?
                .is_some() =>
        {
            Some(id.clone())
        }
        _ => None,
    };
    Ok(ComposeInput {
        kind: content.kind.as_str().to_string(),
        connection_id,
        caption: content.caption.clone(),
        items,
        cover_media_id,
        scheduled_at: None,
        publish_now: false,
        time_zone: Some(content.time_zone.clone()),
    })
}
