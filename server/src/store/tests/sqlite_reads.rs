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
