//! A unique index holds exactly the values its documents hold now. The product frees a value by
//! updating it away and expects to insert it again at once: a canceled post gives its queue slot
//! back with `$unset`, a moved post trades one slot for another with `$set`. A server that keeps
//! an updated-away value claimed refuses the next post in that slot; one that does not claim the
//! new value lets two posts share it.

use aistudio_jobs::store::StoreError;
use aistudio_tests::TestEnv;
use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};

/// Whether a write was refused as a duplicate (panics on any other error).
fn refused<T>(result: mongodb::error::Result<T>, write: &str) -> bool {
    match result.map_err(StoreError::from) {
        Ok(_) => false,
        Err(StoreError::Duplicate) => true,
        Err(other) => panic!("{write}: {other}"),
    }
}

/// Whether inserting `{_id: id, slot}` is refused as a duplicate.
async fn insert_refused(slots: &Collection<Document>, id: &str, slot: &str) -> bool {
    let result = slots.insert_one(doc! { "_id": id, "slot": slot }).await;
    refused(result, &format!("insert of {slot}"))
}

/// Whether moving document `id` to `slot` with `$set` is refused as a duplicate.
async fn move_refused(slots: &Collection<Document>, id: &str, slot: &str) -> bool {
    let result = slots
        .update_one(doc! { "_id": id }, doc! { "$set": { "slot": slot } })
        .await;
    refused(result, &format!("move to {slot}"))
}

#[tokio::test]
async fn a_value_an_update_changes_or_removes_is_free_at_once_and_the_new_value_is_taken() {
    let env = TestEnv::new();
    let db = env.database().await;
    let slots = db.collection::<Document>("slots");
    slots
        .create_index(
            IndexModel::builder()
                .keys(doc! { "slot": 1 })
                .options(IndexOptions::builder().unique(true).sparse(true).build())
                .build(),
        )
        .await
        .expect("unique index");
    slots
        .insert_one(doc! { "_id": "a", "slot": "9:00" })
        .await
        .expect("first post");

    // `$set` moves the value: the old one is free, the new one taken.
    assert!(!move_refused(&slots, "a", "10:00").await);
    assert!(
        !insert_refused(&slots, "b", "9:00").await,
        "a value moved away with $set must be free"
    );
    assert!(
        insert_refused(&slots, "c", "10:00").await,
        "the value an update moved to must be taken"
    );
    assert!(
        move_refused(&slots, "b", "10:00").await,
        "an update must not take a value another document holds"
    );

    // `$unset` frees it.
    slots
        .update_one(doc! { "_id": "a" }, doc! { "$unset": { "slot": 1 } })
        .await
        .expect("unset");
    assert!(
        !insert_refused(&slots, "c", "10:00").await,
        "a value removed with $unset must be free"
    );

    // A replacement and a find-and-modify free the value they drop as well.
    slots
        .replace_one(doc! { "_id": "c" }, doc! { "slot": "11:00" })
        .await
        .expect("replace");
    assert!(
        !insert_refused(&slots, "d", "10:00").await,
        "a value dropped by a replacement must be free"
    );
    slots
        .find_one_and_update(doc! { "_id": "d" }, doc! { "$set": { "slot": "12:00" } })
        .await
        .expect("find and modify");
    assert!(
        !insert_refused(&slots, "e", "10:00").await,
        "a value moved away by find-and-modify must be free"
    );

    // An update of many documents frees every value it removes.
    slots
        .update_many(doc! {}, doc! { "$unset": { "slot": 1 } })
        .await
        .expect("unset all");
    for (id, slot) in [
        ("f", "9:00"),
        ("g", "10:00"),
        ("h", "11:00"),
        ("i", "12:00"),
    ] {
        assert!(
            !insert_refused(&slots, id, slot).await,
            "{slot} must be free after every document gave its value up"
        );
    }
    db.drop().await.expect("drop the test database");
}
