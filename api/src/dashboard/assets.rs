//! The embedded files: the dashboard's shell and assets (under `/app/assets/`) and the public
//! pages.

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Path below `/app/assets/` (for the shell and public pages: its URL path).
    pub path: &'static str,
    /// `Content-Type` it is served with.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $type:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            bytes: include_bytes!(concat!("../../assets/app/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// The dashboard's assets, served at `/app/assets/{path}`.
pub const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("js/main.js", JS),
    asset!("js/api.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/format.js", JS),
    asset!("js/caption.js", JS),
    asset!("js/auth.js", JS),
    asset!("js/password_reset.js", JS),
    asset!("js/verify_email.js", JS),
    asset!("js/verify_banner.js", JS),
    asset!("js/account.js", JS),
    asset!("js/instagram.js", JS),
    asset!("js/media.js", JS),
    asset!("js/upload.js", JS),
    asset!("js/compose.js", JS),
    asset!("js/preview.js", JS),
    asset!("js/posts.js", JS),
    asset!("js/post_list.js", JS),
    asset!("js/live_posts.js", JS),
    asset!("js/post_bulk.js", JS),
    asset!("js/post_bulk_plan.js", JS),
    asset!("js/post_bulk_dialog.js", JS),
    asset!("js/calendar.js", JS),
    asset!("js/calendar_slots.js", JS),
    asset!("js/calendar_move.js", JS),
    asset!("js/schedule.js", JS),
    asset!("js/queue_list.js", JS),
    asset!("js/queue_pause.js", JS),
    asset!("js/overview.js", JS),
    asset!("js/bell.js", JS),
    asset!("js/notifications.js", JS),
    asset!("js/notification_settings.js", JS),
    asset!("js/webhooks.js", JS),
];

/// The single-page shell, served for `/app/` and every unknown path below it.
pub const SHELL: Asset = Asset {
    path: "/app/",
    content_type: "text/html; charset=utf-8",
    bytes: include_bytes!("../../assets/app/index.html"),
};

/// The public pages (no sign-in), by URL path.
pub const PUBLIC_PAGES: &[Asset] = &[
    Asset {
        path: "/privacy",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../../assets/public/privacy.html"),
    },
    Asset {
        path: "/data-deletion",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../../assets/public/data-deletion.html"),
    },
];

/// The asset at `path` below `/app/assets/`.
pub fn find_asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}
