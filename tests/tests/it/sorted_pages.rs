//! A page of a sorted read is the front of the whole sort. The post list asks for one user's
//! posts newest first (`created_at` then `_id`, both descending, over the `user_newest` index) a
//! page at a time, and a server that stops reading after the page (as MongoDB does, and the
//! patched Rust server) must still return exactly the posts the full sort puts first: with
//! instants shared by many posts, with ids that are prefixes of one another (a descending index
//! keys them in a different order than the sort), with a missing `created_at`, and through the
//! reads an index cannot answer alone.

use aistudio_tests::TestEnv;
use futures::TryStreamExt;
use mongodb::bson::{Bson, DateTime, Document, doc};
use mongodb::{Collection, IndexModel};
use std::cmp::Ordering;

const POSTS: usize = 40;

/// The ids of what `filter` matches in `sort`'s order, after `skip`, at most `limit` (0: all).
async fn ids(
    posts: &Collection<Document>,
    filter: Document,
    sort: Document,
    skip: u64,
    limit: i64,
) -> Vec<String> {
    let found: Vec<Document> = posts
        .find(filter)
        .sort(sort)
        .skip(skip)
        .limit(limit)
        .await
        .expect("find")
        .try_collect()
        .await
        .expect("documents");
    found.iter().map(id).collect()
}

/// A post's id.
fn id(post: &Document) -> String {
    post.get_str("_id").expect("string id").to_string()
}

/// One user's posts: ids "a", "aa", "ab", "aab", ... (many a prefix of another) spread over five
/// instants, one without `created_at`, and another user's posts between them.
fn documents() -> Vec<Document> {
    let mut documents = Vec::new();
    for i in 0..POSTS {
        let suffix = ["", "b", "bb", "c", "ba", "cc", "bc", "cb", "bbb", "ca"][i / 4];
        let id = format!("{}{suffix}", "a".repeat(1 + i % 4));
        let kind = ["image", "reel"][i % 2];
        let tag = i as i64 % 4;
        let mut post = doc! { "_id": &id, "user_id": "u1", "kind": kind, "tags": [tag] };
        if i != 7 {
            post.insert("created_at", DateTime::from_millis(1_000 * (i as i64 % 5)));
        }
        documents.push(post);
        let between = DateTime::from_millis(1_500);
        let other = doc! { "_id": format!("{id}-other"), "user_id": "u2", "created_at": between };
        documents.push(other);
    }
    documents
}

/// `a` before `b` newest first: a later `created_at` (a missing one is the oldest), then the
/// greater id by bytes.
fn newest_first(a: &Document, b: &Document) -> Ordering {
    let at = |post: &Document| {
        post.get_datetime("created_at")
            .ok()
            .map(|at| at.timestamp_millis())
    };
    at(b)
        .cmp(&at(a))
        .then_with(|| b.get_str("_id").unwrap().cmp(a.get_str("_id").unwrap()))
}

#[tokio::test]
async fn every_page_of_a_sorted_read_is_the_front_of_the_whole_sort() {
    let env = TestEnv::new();
    let db = env.database().await;
    let posts = db.collection::<Document>("posts");
    for keys in [
        doc! { "user_id": 1, "created_at": -1, "_id": -1 },
        doc! { "kind": 1, "user_id": 1, "created_at": -1, "_id": -1 },
        doc! { "tags": 1, "created_at": -1, "_id": -1 },
    ] {
        posts
            .create_index(IndexModel::builder().keys(keys).build())
            .await
            .expect("index");
    }
    let all = documents();
    posts.insert_many(&all).await.expect("posts");
    let newest = doc! { "created_at": -1, "_id": -1 };
    let oldest = doc! { "created_at": 1, "_id": 1 };

    let mut mine: Vec<&Document> = all
        .iter()
        .filter(|post| post.get_str("user_id") == Ok("u1"))
        .collect();
    mine.sort_by(|a, b| newest_first(a, b));
    let expected: Vec<String> = mine.iter().map(|post| id(post)).collect();
    assert_eq!(
        ids(&posts, doc! { "user_id": "u1" }, newest.clone(), 0, 0).await,
        expected,
        "the whole sort"
    );
    let mut reversed = expected.clone();
    reversed.reverse();

    // Every page size, from the front and after a skip, both ways over the index.
    for (sort, order, way) in [
        (&newest, &expected, "newest"),
        (&oldest, &reversed, "oldest"),
    ] {
        for limit in 1..=POSTS {
            for skip in [0, 1, 9] {
                let end = (skip + limit).min(POSTS);
                let filter = doc! { "user_id": "u1" };
                assert_eq!(
                    ids(&posts, filter, sort.clone(), skip as u64, limit as i64).await,
                    order[skip..end],
                    "{way} first, skip {skip}, limit {limit}"
                );
            }
        }
    }

    // Two equalities over an index that leads with the other field; an index holding arrays
    // (`tags`); the next page's range (`$lt` the last instant shown), which no index answers in
    // the sort's order alone.
    let reads = [
        doc! { "user_id": "u1", "kind": "reel" },
        doc! { "tags": 2_i64 },
        doc! { "user_id": "u1", "created_at": { "$lt": DateTime::from_millis(3_000) } },
    ];
    for filter in reads {
        let mut matching: Vec<&Document> = all
            .iter()
            .filter(|post| {
                filter
                    .iter()
                    .all(|(field, want)| matches(post, field, want))
            })
            .collect();
        matching.sort_by(|a, b| newest_first(a, b));
        let whole: Vec<String> = matching.iter().map(|post| id(post)).collect();
        assert!(!whole.is_empty(), "{filter} matches posts");
        for limit in 1..=whole.len() {
            assert_eq!(
                ids(&posts, filter.clone(), newest.clone(), 0, limit as i64).await,
                whole[..limit],
                "{filter}, limit {limit}"
            );
        }
    }
}

/// Whether `post` meets one condition of the reads above.
fn matches(post: &Document, field: &str, want: &Bson) -> bool {
    match (post.get(field), want) {
        (Some(Bson::Array(values)), want) => values.contains(want),
        (Some(Bson::DateTime(at)), Bson::Document(range)) => {
            range.get_datetime("$lt").is_ok_and(|to| at < to)
        }
        (Some(value), want) => value == want,
        (None, _) => false,
    }
}
