//! Taking a workflow's lease from a state read earlier (one write instead of a write and a
//! read) is refused once anyone wrote the workflow since: a worker never runs steps from a
//! stale state, which could otherwise publish a post whose publish marker it did not see.

use aistudio_jobs::store::{Step, Workflow};
use mongodb::bson::doc;

fn waiting_workflow() -> Workflow {
    aistudio_tests::unleased_workflow("take-post", Step::Publish, chrono::Utc::now())
}

#[tokio::test]
async fn a_lease_is_taken_from_a_read_state_only_while_nobody_wrote_it_since() {
    let env = aistudio_tests::TestEnv::new();
    let workflows = env.store().await.workflows();
    let lease = chrono::Duration::seconds(10);
    workflows.create(&waiting_workflow()).await.unwrap();
    let read = workflows.by_post("take-post").await.unwrap().unwrap();

    // Another worker takes it, marks the publish and gives it back.
    let other = workflows
        .take(&read, "other", lease)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.lease_owner.as_deref(), Some("other"));
    let marked = workflows
        .save(
            &other,
            "other",
            lease,
            doc! { "publish_attempted_at": mongodb::bson::DateTime::now() },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        workflows
            .release(&marked, "other", chrono::Utc::now(), doc! {})
            .await
            .unwrap()
    );

    // The state read before that is stale: its lease is refused although nobody holds one.
    assert!(
        workflows
            .take(&read, "late", lease)
            .await
            .unwrap()
            .is_none()
    );
    // Read again, it is taken, with the marker.
    let fresh = workflows.by_post("take-post").await.unwrap().unwrap();
    let taken = workflows
        .take(&fresh, "late", lease)
        .await
        .unwrap()
        .unwrap();
    assert!(taken.publish_attempted_at.is_some());
    assert_eq!(taken.lease_owner.as_deref(), Some("late"));
    // Held now: nobody else takes it, even from the same fresh state.
    assert!(
        workflows
            .take(&fresh, "third", lease)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_state_read_before_the_workflow_was_replaced_by_a_later_claim_is_refused() {
    let env = aistudio_tests::TestEnv::new();
    let workflows = env.store().await.workflows();
    let lease = chrono::Duration::seconds(10);
    workflows.create(&waiting_workflow()).await.unwrap();
    let first = workflows.by_post("take-post").await.unwrap().unwrap();
    let taken = workflows.take(&first, "a", lease).await.unwrap().unwrap();
    assert!(
        workflows
            .release(&taken, "a", chrono::Utc::now(), doc! {})
            .await
            .unwrap()
    );
    // Read at revision 1 of the first claim, then that claim fails.
    let stale = workflows.by_post("take-post").await.unwrap().unwrap();
    assert_eq!(stale.revision, 1);
    let taken = workflows.take(&stale, "a", lease).await.unwrap().unwrap();
    assert!(
        workflows
            .release(&taken, "a", chrono::Utc::now(), doc! { "step": "failed" })
            .await
            .unwrap()
    );
    // An operator retries the post: a later claim replaces the workflow, and gives its lease
    // back once, which brings it to revision 1 as well.
    let retried = Workflow {
        post_version: 3,
        lease_owner: Some("b".into()),
        lease_expires_at: Some(chrono::Utc::now() + lease),
        ..waiting_workflow()
    };
    assert!(workflows.replace_finished(&retried).await.unwrap());
    assert!(
        workflows
            .release(&retried, "b", chrono::Utc::now(), doc! {})
            .await
            .unwrap()
    );
    let current = workflows.by_post("take-post").await.unwrap().unwrap();
    assert_eq!((current.revision, current.post_version), (1, 3));

    assert!(
        workflows
            .take(&stale, "late", lease)
            .await
            .unwrap()
            .is_none(),
        "a state of the earlier claim must not lease the later one"
    );
    assert!(
        workflows
            .take(&current, "late", lease)
            .await
            .unwrap()
            .is_some()
    );
}
