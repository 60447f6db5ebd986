//! Notifications: read state, one and all.

use super::*;

fn note(user_id: Uuid, title: &str) -> NewNotification {
    NewNotification {
        user_id,
        title: title.to_owned(),
        message: "hello".to_owned(),
        level: "normal".to_owned(),
        source: "agent:bot".to_owned(),
        app_origin: None,
        action_url: Some("https://example.com".to_owned()),
    }
}

pub(super) async fn notifications_read_state(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "mia").await;
    let other = user(&s, "ned").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(s.notify_user(note(u.id, &format!("n{i}"))).await.unwrap().id);
    }
    let foreign = s.notify_user(note(other.id, "theirs")).await.unwrap();
    assert!(!foreign.read);
    assert_eq!(foreign.action_url.as_deref(), Some("https://example.com"));

    let page = s.list_notifications(u.id, false, None, 3).await.unwrap();
    assert_eq!(
        page.iter().map(|n| n.id).collect::<Vec<_>>(),
        [ids[4], ids[3], ids[2]]
    );
    let page = s.list_notifications(u.id, false, Some(ids[2]), 3).await.unwrap();
    assert_eq!(page.iter().map(|n| n.id).collect::<Vec<_>>(), [ids[1], ids[0]]);

    assert_eq!(s.mark_notification_read(u.id, ids[3]).await.unwrap(), 1);
    assert_eq!(s.mark_notification_read(u.id, ids[3]).await.unwrap(), 0);
    assert_err(s.mark_notification_read(u.id, foreign.id).await, Error::NotFound);
    assert_err(
        s.mark_notification_read(u.id, Uuid::now_v7()).await,
        Error::NotFound,
    );
    let unread = s.list_notifications(u.id, true, None, 10).await.unwrap();
    assert_eq!(
        unread.iter().map(|n| n.id).collect::<Vec<_>>(),
        [ids[4], ids[2], ids[1], ids[0]]
    );
    let unread = s.list_notifications(u.id, true, Some(ids[4]), 2).await.unwrap();
    assert_eq!(unread.iter().map(|n| n.id).collect::<Vec<_>>(), [ids[2], ids[1]]);

    assert_eq!(s.mark_all_notifications_read(u.id).await.unwrap(), 4);
    assert_eq!(s.mark_all_notifications_read(u.id).await.unwrap(), 0);
    assert!(
        s.list_notifications(u.id, true, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.list_notifications(other.id, true, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Notifications sent at once, for two users one of whom is removed meanwhile, are committed
/// together: each answer is the stored row or `UserGone`; the live user's all land, and each
/// inbox holds exactly the rows answered as delivered (nothing refused is stored).
pub(super) async fn concurrent_notifies_are_committed_together(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let stays = user(&s, "olga").await;
    let leaves = user(&s, "pete").await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let store = s.clone();
        let who = if i % 2 == 0 { stays.id } else { leaves.id };
        tasks.push(tokio::spawn(async move {
            (who, store.notify_user(note(who, &format!("n{i}"))).await)
        }));
        if i == 32 {
            s.delete_user(leaves.id).await.unwrap();
        }
    }
    let mut delivered = HashSet::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            (_, Ok(n)) => assert!(delivered.insert((n.user_id, n.id))),
            (who, Err(Error::UserGone)) => {
                assert_eq!(
                    who, leaves.id,
                    "only the removed user's notifications are refused"
                );
                refused += 1;
            }
            (_, Err(e)) => panic!("notify failed: {e}"),
        }
    }
    assert!(refused > 0, "notifications sent after the removal are refused");
    for (who, count) in [(stays.id, Some(32)), (leaves.id, None)] {
        let listed = s.list_notifications(who, false, None, 200).await.unwrap();
        let expected: HashSet<Uuid> = delivered
            .iter()
            .filter(|(u, _)| *u == who)
            .map(|(_, id)| *id)
            .collect();
        if let Some(count) = count {
            assert_eq!(
                expected.len(),
                count,
                "every notification of the live user is delivered"
            );
        }
        assert_eq!(listed.iter().map(|n| n.id).collect::<HashSet<_>>(), expected);
        assert!(listed.iter().all(|n| n.user_id == who && n.message == "hello"));
    }
    let after = s.notify_user(note(leaves.id, "late")).await;
    assert_err(after, Error::UserGone);
}
