//! Behaviour that can be changed while the simulator runs (start values come from the config).

use serde::{Deserialize, Serialize};

use crate::config::{MeShape, NumberStyle, SimConfig, TokenShape};

/// Run-time adjustable behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Shape of the short-lived token exchange answer.
    pub token_response_shape: TokenShape,
    /// Shape of `/me` answers.
    pub me_response_shape: MeShape,
    /// Image container processing time, in milliseconds.
    pub image_processing_ms: u64,
    /// Video container processing time, in milliseconds.
    pub video_processing_ms: u64,
    /// Default `quota_total` for accounts without their own.
    pub quota_total: u32,
    /// Answer `status_code: ""` on media download failures.
    pub empty_status_code_on_download_error: bool,
    /// How long a published media stays out of the account's media and story lists, in
    /// milliseconds.
    pub media_list_lag_ms: u64,
    /// Rendering of ImgBB numeric fields.
    pub imgbb_number_style: NumberStyle,
}

impl Settings {
    pub(crate) fn from_config(config: &SimConfig) -> Self {
        Self {
            token_response_shape: config.instagram.token_response_shape,
            me_response_shape: config.instagram.me_response_shape,
            image_processing_ms: config.instagram.image_processing_ms,
            video_processing_ms: config.instagram.video_processing_ms,
            quota_total: config.instagram.quota_total,
            empty_status_code_on_download_error: config
                .instagram
                .empty_status_code_on_download_error,
            media_list_lag_ms: config.instagram.media_list_lag_ms,
            imgbb_number_style: config.imgbb.number_style,
        }
    }

    /// Applies the fields present in `patch`.
    pub fn apply(&mut self, patch: &SettingsPatch) {
        if let Some(v) = patch.token_response_shape {
            self.token_response_shape = v;
        }
        if let Some(v) = patch.me_response_shape {
            self.me_response_shape = v;
        }
        if let Some(v) = patch.image_processing_ms {
            self.image_processing_ms = v;
        }
        if let Some(v) = patch.video_processing_ms {
            self.video_processing_ms = v;
        }
        if let Some(v) = patch.quota_total {
            self.quota_total = v;
        }
        if let Some(v) = patch.empty_status_code_on_download_error {
            self.empty_status_code_on_download_error = v;
        }
        if let Some(v) = patch.media_list_lag_ms {
            self.media_list_lag_ms = v;
        }
        if let Some(v) = patch.imgbb_number_style {
            self.imgbb_number_style = v;
        }
    }
}

/// A partial update of [`Settings`]: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SettingsPatch {
    /// New token exchange shape.
    pub token_response_shape: Option<TokenShape>,
    /// New `/me` shape.
    pub me_response_shape: Option<MeShape>,
    /// New image processing time.
    pub image_processing_ms: Option<u64>,
    /// New video processing time.
    pub video_processing_ms: Option<u64>,
    /// New default quota.
    pub quota_total: Option<u32>,
    /// New download-error rendering.
    pub empty_status_code_on_download_error: Option<bool>,
    /// New media list lag.
    pub media_list_lag_ms: Option<u64>,
    /// New ImgBB number rendering.
    pub imgbb_number_style: Option<NumberStyle>,
}
