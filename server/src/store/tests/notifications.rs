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
