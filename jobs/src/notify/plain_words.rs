//! Failure reasons as a business owner reads them. The reasons the workflow stores are written
//! for users already, except the one that ends many retries, which carries the technical error
//! in parentheses: the notification says what happened and what to do, without it.

/// What to tell the user about a post that failed with `reason` (as stored on the post).
pub fn failure(reason: Option<&str>) -> String {
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
        return "Instagram did not publish it. Open the post to see it and schedule it again."
            .into();
    };
    if reason.starts_with("Instagram kept failing while publishing") {
        return "Instagram kept answering with errors every time we tried, so we stopped. \
                This is usually temporary: schedule the post again in a little while."
            .into();
    }
    reason.to_string()
}

#[cfg(test)]
mod tests {
    use super::failure;

    #[test]
    fn technical_details_stay_out_and_written_reasons_pass_through() {
        let retried = failure(Some(
            "Instagram kept failing while publishing (OAuthException code 2: Service temporarily unavailable); try again later.",
        ));
        assert!(!retried.contains("OAuthException"), "{retried}");
        assert!(retried.contains("schedule the post again"), "{retried}");
        let spam = "Instagram flagged this post as spam and did not publish it.";
        assert_eq!(failure(Some(spam)), spam);
        assert!(failure(None).contains("did not publish"));
        assert!(failure(Some("  ")).contains("did not publish"));
    }
}
