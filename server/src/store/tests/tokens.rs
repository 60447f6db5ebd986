//! Tokens: lookups joining user and agent, one active agent token under races and by index.

use super::*;

pub(super) async fn find_token_joins_user_and_agent(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "carol").await;
    let (_, new) = user_token(u.id);
    let ut = s.create_user_token(new).await.unwrap();
    let p = s.find_token(&ut.token_hash).await.unwrap();
    assert_eq!(p.token, ut);
    assert_eq!(p.user.id, u.id);
    assert_eq!(p.agent, None);
    assert_eq!(p.token.scope, scope(&["*"]));

    let a = agent(&s, u.id, "Scout").await;
    let exp = Utc::now() + Duration::days(3);
    let at = s
        .issue_agent_token(
            a.agent.id,
            u.id,
            "agent-hash",
            scope(&["agents.list", "ui.notify"]),
            Some(exp),
        )
        .await
        .unwrap();
    let p = s.find_token("agent-hash").await.unwrap();
    assert_eq!(p.token.kind, TokenKind::Agent);
    assert_eq!(p.token.scope, scope(&["agents.list", "ui.notify"]));
    assert_eq!(p.agent.as_ref().map(|a| a.slug.as_str()), Some("scout"));
    assert_eq!(p.user.username, "carol");
    assert_eq!(found(s.find_token("unknown").await), None);

    // Revoked tokens come back (the caller answers 401 for them), marked revoked.
    s.revoke_user_token(u.id, ut.id).await.unwrap();
    assert_err(s.revoke_user_token(u.id, ut.id).await, Error::NotFound);
    // Not a user token.
    assert_err(s.revoke_user_token(u.id, at.id).await, Error::NotFound);
    assert!(
        s.find_token(&ut.token_hash)
            .await
            .unwrap()
            .token
            .revoked_at
            .is_some()
    );
    s.revoke_agent_token(a.agent.id, u.id).await.unwrap();
    assert!(
        s.find_token("agent-hash")
            .await
            .unwrap()
            .token
            .revoked_at
            .is_some()
    );
    s.revoke_agent_token(a.agent.id, u.id).await.unwrap();
    assert_eq!(active_agent_tokens(&s, a.agent.id).await, 0);

    let when = Utc::now() - Duration::minutes(5);
    s.touch_tokens(&[ut.id, at.id], when).await.unwrap();
    s.touch_tokens(&[], when).await.unwrap();
    let p = s.find_token("agent-hash").await.unwrap();
    let got = p.token.last_used_at.unwrap();
    assert!((got - when).num_milliseconds().abs() < 1, "{got} vs {when}");
}

pub(super) async fn concurrent_agent_token_issue_leaves_one_active(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "dave").await;
    let a = agent(&s, u.id, "Racer").await;
    let handles: Vec<_> = (0..64)
        .map(|i| {
            let s = s.clone();
            let (agent_id, user_id) = (a.agent.id, u.id);
            tokio::spawn(async move {
                s.issue_agent_token(agent_id, user_id, &format!("race-{i}"), scope(&["*"]), None)
                    .await
            })
        })
        .collect();
    let mut issued = HashSet::new();
    for h in handles {
        let t = h.await.unwrap().unwrap();
        issued.insert(t.id);
    }
    assert_eq!(issued.len(), 64);
    assert_eq!(active_agent_tokens(&s, a.agent.id).await, 1);
    let view = s.get_agent(u.id, "racer").await.unwrap();
    let active = view.token.unwrap();
    assert!(issued.contains(&active.id));
    let total = api_tokens::Entity::find()
        .filter(api_tokens::Column::AgentId.eq(a.agent.id))
        .count(&s.db)
        .await
        .unwrap();
    assert_eq!(total, 64);

    // Issuing for an archived agent, or someone else's, is refused.
    let other = user(&s, "eve").await;
    assert_err(
        s.issue_agent_token(a.agent.id, other.id, "x", scope(&["*"]), None)
            .await,
        Error::NotFound,
    );
}

pub(super) async fn partial_unique_index_rejects_second_active_token(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "frank").await;
    let a = agent(&s, u.id, "Solo").await;
    s.issue_agent_token(a.agent.id, u.id, "first", scope(&["*"]), None)
        .await
        .unwrap();
    let row = |hash: &str, revoked: bool, agent_id: Option<Uuid>| api_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(if agent_id.is_some() { "agent" } else { "user" }.to_owned()),
        user_id: Set(u.id),
        agent_id: Set(agent_id),
        label: Set(None),
        token_hash: Set(hash.to_owned()),
        scope: Set("[]".to_owned()),
        created_at: Set(Utc::now()),
        expires_at: Set(None),
        revoked_at: Set(revoked.then(Utc::now)),
        last_used_at: Set(None),
    };
    let err = row("second", false, Some(a.agent.id))
        .insert(&s.db)
        .await
        .unwrap_err();
    assert!(is_unique_violation(&err), "{err}");
    // Revoked rows and user tokens (NULL agent) are outside the index.
    row("revoked", true, Some(a.agent.id))
        .insert(&s.db)
        .await
        .unwrap();
    row("u1", false, None).insert(&s.db).await.unwrap();
    row("u2", false, None).insert(&s.db).await.unwrap();
    // The hash is unique across all tokens.
    let err = row("u1", true, None).insert(&s.db).await.unwrap_err();
    assert!(is_unique_violation(&err), "{err}");
    // The schema also refuses a second live agent with the same slug.
    let err = super::entities::agents::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(u.id),
        slug: Set("solo".to_owned()),
        display_name: Set("Solo".to_owned()),
        host: Set(None),
        qmd_index: Set(None),
        color: Set("#000000".to_owned()),
        emoji: Set(None),
        can_read_user_memory: Set(false),
        scope: Set("[]".to_owned()),
        status: Set("created".to_owned()),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        archived_at: Set(None),
        model: Set(None),
        soul_md: Set(None),
        agent_md: Set(None),
        memory_plugin: Set(None),
    }
    .insert(&s.db)
    .await
    .unwrap_err();
    assert!(is_unique_violation(&err), "{err}");
}
