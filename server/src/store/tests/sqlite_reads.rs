//! The inline SQLite reads of the hot path against the sea-orm queries.

use super::*;

/// The inline SQLite reads (`sqlite_reads`) return exactly what the sea-orm queries return,
/// in every state the hot path meets: user and agent tokens, with and without expiry and use,
/// revoked, unknown, a deleted owner, and agents with and without an active token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_sqlite_reads_match_sea_orm() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::connect(&format!("sqlite://{}/taos.db", dir.path().display()))
        .await
        .unwrap();
    assert!(s.reads.is_some(), "a SQLite file gets the inline reads");
    let same_token = |hash: &'static str| {
        let s = s.clone();
        async move {
            let inline = found(s.find_token(hash).await);
            let orm = found(s.find_token_orm(hash).await);
            assert_eq!(inline, orm, "find_token({hash})");
            inline
        }
    };
    let u = user(&s, "erin").await;
    let (_, mut new) = user_token(u.id);
    new.token_hash = "user-hash".into();
    new.expires_at = Some(Utc::now() + Duration::days(1));
    s.create_user_token(new).await.unwrap();
    assert!(same_token("user-hash").await.is_some());
    assert!(same_token("unknown").await.is_none());

    let a = agent(&s, u.id, "Fast Reader").await;
    let same_agent = |slug: &'static str| {
        let s = s.clone();
        async move {
            let inline = found(s.get_agent(u.id, slug).await);
            let orm = found(s.get_agent_orm(u.id, slug).await);
            assert_eq!(inline, orm, "get_agent({slug})");
            inline
        }
    };
    assert!(same_agent("fast-reader").await.is_some_and(|v| v.token.is_none()));
    assert!(same_agent("nobody").await.is_none());
    let t = s
        .issue_agent_token(a.agent.id, u.id, "agent-hash", scope(&["agents.*"]), None)
        .await
        .unwrap();
    s.touch_tokens(&[t.id], Utc::now()).await.unwrap();
    assert!(same_token("agent-hash").await.is_some_and(|p| p.agent.is_some()));
    assert!(same_agent("fast-reader").await.is_some_and(|v| v.token.is_some()));
    s.update_agent(
        a.agent.id,
        u.id,
        AgentChanges {
            emoji: Some(Some("🔬".into())),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(same_agent("fast-reader").await.is_some());

    s.delete_agent(a.agent.id).await.unwrap();
    assert!(
        same_token("agent-hash")
            .await
            .is_some_and(|p| p.token.revoked_at.is_some())
    );
    assert!(same_agent("fast-reader").await.is_none());

    let other = user(&s, "frank").await;
    let (_, mut new) = user_token(other.id);
    new.token_hash = "frank-hash".into();
    s.create_user_token(new).await.unwrap();
    s.delete_user(other.id).await.unwrap();
    assert!(
        same_token("frank-hash").await.is_none(),
        "a deleted user's token finds nobody"
    );
}

/// The inline list pages (agents with owners and tokens, notifications) return exactly what
/// the sea-orm queries return, first pages and later ones, with and without the unread filter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_list_pages_match_sea_orm() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::connect(&format!("sqlite://{}/taos.db", dir.path().display()))
        .await
        .unwrap();
    let u = user(&s, "gina").await;
    let other = user(&s, "hal").await;
    let mut agents = Vec::new();
    for i in 0..7 {
        agents.push(agent(&s, u.id, &format!("Lister {i}")).await);
    }
    agent(&s, other.id, "Not Gina's").await;
    s.issue_agent_token(
        agents[2].agent.id,
        u.id,
        "lister-hash",
        scope(&["ui.notify"]),
        None,
    )
    .await
    .unwrap();
    s.delete_agent(agents[4].agent.id).await.unwrap();
    let mut notes = Vec::new();
    for i in 0..7 {
        let new = NewNotification {
            user_id: u.id,
            title: format!("t{i}"),
            message: "m".to_owned(),
            level: "high".to_owned(),
            source: "user:gina".to_owned(),
            app_origin: (i % 2 == 0).then(|| "app".to_owned()),
            action_url: (i % 3 == 0).then(|| "/x".to_owned()),
        };
        notes.push(s.notify_user(new).await.unwrap().id);
    }
    s.mark_notification_read(u.id, notes[5]).await.unwrap();

    let cursors = [None, Some(agents[1].agent.id), Some(agents[6].agent.id)];
    for after in cursors {
        for limit in [1, 3, 50] {
            let inline = s.list_agents(u.id, after, limit).await.unwrap();
            let orm = s.list_agents_orm(u.id, after, limit).await.unwrap();
            assert_eq!(inline, orm, "list_agents(after {after:?}, limit {limit})");
        }
    }
    let all = s.list_agents(u.id, None, 50).await.unwrap();
    assert_eq!(all.len(), 6, "live agents of the user only");
    assert!(all.iter().any(|v| v.token.is_some()));

    for before in [None, Some(notes[6]), Some(notes[3]), Some(notes[0])] {
        for unread in [false, true] {
            for limit in [2, 50] {
                let inline = s.list_notifications(u.id, unread, before, limit).await.unwrap();
                let orm = s
                    .list_notifications_orm(u.id, unread, before, limit)
                    .await
                    .unwrap();
                assert_eq!(
                    inline, orm,
                    "list_notifications(unread {unread}, before {before:?})"
                );
            }
        }
    }
    assert_eq!(s.list_notifications(u.id, true, None, 50).await.unwrap().len(), 6);
    assert!(
        s.list_notifications(other.id, false, None, 50)
            .await
            .unwrap()
            .is_empty()
    );
}
