//! An inclusive bound holds the documents at the bound. The product reads ranges after an
//! equality over compound indexes with more fields after the range's (`user_schedule` is
//! `user_id`, `scheduled_at`, `_id`; a posting schedule reads `scheduled_at` from ..= to). A
//! server that stops its index scan at the first entry equal to an inclusive bound, or starts it
//! past them, loses every post at exactly that value.

use aistudio_tests::TestEnv;
use futures::TryStreamExt;
use mongodb::bson::{DateTime, Document, doc};
use mongodb::{Collection, IndexModel};

/// Posts of one user at five instants (seconds 1 to 5), three at each, and another user's.
fn documents() -> Vec<Document> {
    (0..15)
        .flat_map(|i: i64| {
            let at = DateTime::from_millis(1_000 * (1 + i % 5));
            [
                doc! { "_id": format!("p{i:02}"), "user_id": "u1", "at": at },
                doc! { "_id": format!("q{i:02}"), "user_id": "u2", "at": at },
            ]
        })
        .collect()
}

/// The ids `filter` finds, sorted.
async fn found(posts: &Collection<Document>, filter: Document) -> Vec<String> {
    let found: Vec<Document> = posts
        .find(filter)
        .await
        .expect("find")
        .try_collect()
        .await
        .expect("documents");
    let mut ids: Vec<String> = found
        .iter()
        .map(|post| post.get_str("_id").expect("string id").to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn every_range_over_a_compound_index_holds_the_documents_at_its_inclusive_bounds() {
    let env = TestEnv::new();
    let db = env.database().await;
    let all = documents();
    // The same range, over the instant ascending and descending in the index, each with `_id`
    // after it, as the product's `user_schedule` and `user_newest` are.
    for (name, direction) in [("ascending", 1), ("descending", -1)] {
        let posts = db.collection::<Document>(&format!("posts_{name}"));
        posts
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "user_id": 1, "at": direction, "_id": direction })
                    .build(),
            )
            .await
            .expect("index");
        posts.insert_many(&all).await.expect("posts");
        let bound = DateTime::from_millis(3_000);
        for op in ["$gte", "$lte", "$gt", "$lt"] {
            let holds = |at: DateTime| match op {
                "$gte" => at >= bound,
                "$lte" => at <= bound,
                "$gt" => at > bound,
                _ => at < bound,
            };
            let mut expected: Vec<String> = all
                .iter()
                .filter(|post| post.get_str("user_id") == Ok("u1"))
                .filter(|post| holds(*post.get_datetime("at").unwrap()))
                .map(|post| post.get_str("_id").unwrap().to_string())
                .collect();
            expected.sort();
            assert_eq!(
                found(&posts, doc! { "user_id": "u1", "at": { op: bound } }).await,
                expected,
                "{op} over an index {name} on the instant"
            );
        }
        // Both bounds at once, as a posting schedule's week is read.
        let (from, to) = (DateTime::from_millis(2_000), DateTime::from_millis(4_000));
        let week = found(
            &posts,
            doc! { "user_id": "u1", "at": { "$gte": from, "$lte": to } },
        );
        assert_eq!(
            week.await.len(),
            9,
            "from ..= to over an index {name} on the instant"
        );
    }
}
