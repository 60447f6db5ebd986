//! Agents: slug candidates, archive and restore, partial updates, paging cursors.

use super::*;

pub(super) async fn slug_candidates_with_collisions(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "grace").await;
    let other = user(&s, "heidi").await;
    let slugs: Vec<String> = [
        agent(&s, u.id, "Bot").await,
        agent(&s, u.id, "bot").await,
        agent(&s, u.id, "BOT!").await,
        agent(&s, other.id, "Bot").await,
    ]
    .into_iter()
    .map(|v| v.agent.slug)
    .collect();
    assert_eq!(slugs, ["bot", "bot-2", "bot-3", "bot"]);

    let two = || ["bot".to_owned(), "bot-2".to_owned()].into_iter();
    assert_err(
        s.create_agent(new_agent(u.id, "Bot"), two()).await,
        Error::Exhausted,
    );
    // More candidates than one lookup batch, all but the last taken.
    for i in 4..=150 {
        s.import_agent(new_agent(u.id, "Bot"), format!("bot-{i}"))
            .await
            .unwrap();
    }
    let v = agent(&s, u.id, "Bot").await;
    assert_eq!(v.agent.slug, "bot-151");
    assert_eq!(v.owner_username, "grace");

    assert_err(
        s.import_agent(new_agent(u.id, "X"), "bot".to_owned()).await,
        Error::Conflict,
    );
    let imported = s
        .import_agent(new_agent(u.id, "X"), "exact-name".to_owned())
        .await
        .unwrap();
    assert_eq!(imported.agent.slug, "exact-name");
    assert_eq!(imported.agent.status, "created");
}

pub(super) async fn concurrent_creates_get_distinct_slugs(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "ivan").await;
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            let uid = u.id;
            tokio::spawn(async move { s.create_agent(new_agent(uid, "Twin"), candidates("twin")).await })
        })
        .collect();
    let mut slugs = HashSet::new();
    for h in handles {
        slugs.insert(h.await.unwrap().unwrap().agent.slug);
    }
    let expected: HashSet<String> = candidates("twin").take(16).collect();
    assert_eq!(slugs, expected);
}

pub(super) async fn archive_revokes_token_and_frees_slug(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "judy").await;
    let first = agent(&s, u.id, "Bot").await;
    let tok = s
        .issue_agent_token(first.agent.id, u.id, "bot-token", scope(&["*"]), None)
        .await
        .unwrap();

    let archived = s.delete_agent(first.agent.id).await.unwrap();
    assert!(archived.archived_at.is_some());
    assert!(archived.updated_at >= first.agent.updated_at);
    let p = s.find_token(&tok.token_hash).await.unwrap();
    assert!(p.token.revoked_at.is_some(), "archiving revokes the token");
    assert_eq!(found(s.get_agent(u.id, "bot").await), None);
    assert_err(s.delete_agent(first.agent.id).await, Error::NotFound);
    assert_err(
        s.issue_agent_token(first.agent.id, u.id, "again", scope(&["*"]), None)
            .await,
        Error::NotFound,
    );

    // The slug is free for a new agent.
    let second = agent(&s, u.id, "Bot").await;
    assert_eq!(second.agent.slug, "bot");

    assert_eq!(
        s.find_archived_agent(u.id, first.agent.id).await.unwrap().slug,
        "bot"
    );
    assert_eq!(found(s.find_archived_agent(u.id, second.agent.id).await), None);
    let stranger = user(&s, "mallory").await;
    assert_eq!(
        found(s.find_archived_agent(stranger.id, first.agent.id).await),
        None
    );

    // Restoring re-resolves the slug against the live agents.
    let restored = s
        .restore_archived_agent(u.id, first.agent.id, candidates("bot"))
        .await
        .unwrap();
    assert_eq!(restored.agent.id, first.agent.id);
    assert_eq!(restored.agent.slug, "bot-2");
    assert_eq!(restored.agent.archived_at, None);
    assert_eq!(restored.token, None, "the old token stays revoked");
    assert_err(
        s.restore_archived_agent(u.id, first.agent.id, candidates("bot"))
            .await,
        Error::NotFound,
    );

    // Restore with every candidate taken.
    s.delete_agent(first.agent.id).await.unwrap();
    let only_bot = || std::iter::once("bot".to_owned());
    assert_err(
        s.restore_archived_agent(u.id, first.agent.id, only_bot()).await,
        Error::Exhausted,
    );

    // Purge deletes the row and its tokens; only archived agents of the caller.
    assert_err(
        s.purge_archived_agent(stranger.id, first.agent.id).await,
        Error::NotFound,
    );
    // Live.
    assert_err(
        s.purge_archived_agent(u.id, second.agent.id).await,
        Error::NotFound,
    );
    s.purge_archived_agent(u.id, first.agent.id).await.unwrap();
    assert_err(
        s.purge_archived_agent(u.id, first.agent.id).await,
        Error::NotFound,
    );
    assert_eq!(found(s.find_token(&tok.token_hash).await), None);
    assert_eq!(found(s.find_archived_agent(u.id, first.agent.id).await), None);
}

pub(super) async fn update_agent_applies_only_given_fields(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "ken").await;
    let mut new = new_agent(u.id, "Painter");
    new.host = Some("box-1".to_owned());
    new.emoji = Some("🎨".to_owned());
    let base = s.create_agent(new, candidates("painter")).await.unwrap();
    s.issue_agent_token(base.agent.id, u.id, "painter-token", scope(&["*"]), None)
        .await
        .unwrap();

    let v = s
        .update_agent(
            base.agent.id,
            u.id,
            AgentChanges {
                color: Some("#ff0000".to_owned()),
                emoji: Some(None),
                scope: Some(scope(&["ui.notify"])),
                can_read_user_memory: Some(true),
                status: Some("running".to_owned()),
                ..AgentChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(v.agent.color, "#ff0000");
    assert_eq!(v.agent.emoji, None);
    assert_eq!(v.agent.host.as_deref(), Some("box-1"), "untouched");
    assert_eq!(v.agent.display_name, "Painter");
    assert_eq!(v.agent.scope, scope(&["ui.notify"]));
    assert!(v.agent.can_read_user_memory);
    assert_eq!(v.agent.status, "running");
    assert_eq!(v.agent.slug, "painter");
    assert!(v.agent.updated_at >= base.agent.updated_at);
    assert_eq!(v.owner_username, "ken");
    assert_eq!(v.token.map(|t| t.token_hash).as_deref(), Some("painter-token"));
    assert_eq!(s.get_agent(u.id, "painter").await.unwrap().agent, v.agent);

    let v = s
        .update_agent(
            base.agent.id,
            u.id,
            AgentChanges {
                host: Some(None),
                display_name: Some("Painter Two".to_owned()),
                ..AgentChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(v.agent.host, None);
    assert_eq!(v.agent.display_name, "Painter Two");
    assert_eq!(v.agent.color, "#ff0000");

    s.delete_agent(base.agent.id).await.unwrap();
    assert_err(
        s.update_agent(base.agent.id, u.id, AgentChanges::default()).await,
        Error::NotFound,
    );
}

pub(super) async fn pagination_cursors(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "liz").await;
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(agent(&s, u.id, &format!("Worker {i}")).await.agent.id);
    }
    // A token on one of them must not duplicate or drop rows.
    s.issue_agent_token(created[3], u.id, "w3", scope(&["*"]), None)
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = s.list_agents(u.id, after, 3).await.unwrap();
        seen.extend(page.iter().map(|v| v.agent.id));
        if page.len() < 3 {
            break;
        }
        after = page.last().map(|v| v.agent.id);
    }
    assert_eq!(seen, created, "ascending, complete, no overlap");
    let all = s.list_agents(u.id, None, 100).await.unwrap();
    assert_eq!(all.iter().filter(|v| v.token.is_some()).count(), 1);
    assert_eq!(all[3].token.as_ref().map(|t| t.token_hash.as_str()), Some("w3"));
    assert!(all.iter().all(|v| v.owner_username == "liz"));

    // Archived: newest first, cursor means "older than".
    for id in &created[..5] {
        s.delete_agent(*id).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = s.list_archived_agents(u.id, after, 2).await.unwrap();
        seen.extend(page.iter().map(|a| a.id));
        if page.len() < 2 {
            break;
        }
        after = page.last().map(|a| a.id);
    }
    let mut expected = created[..5].to_vec();
    expected.reverse();
    assert_eq!(seen, expected);
    assert_eq!(s.list_agents(u.id, None, 100).await.unwrap().len(), 2);

    // Users: ascending, live only.
    let more: Vec<Uuid> = vec![user(&s, "m1").await.id, user(&s, "m2").await.id];
    let first = s.list_users(None, 2).await.unwrap();
    assert_eq!(first.iter().map(|u| u.id).collect::<Vec<_>>(), [u.id, more[0]]);
    let rest = s.list_users(Some(more[0]), 2).await.unwrap();
    assert_eq!(rest.iter().map(|u| u.id).collect::<Vec<_>>(), [more[1]]);
    s.delete_user(more[1]).await.unwrap();
    assert!(s.list_users(Some(more[0]), 2).await.unwrap().is_empty());

    // User tokens: ascending, unrevoked only.
    let mut toks = Vec::new();
    for _ in 0..4 {
        toks.push(s.create_user_token(user_token(u.id).1).await.unwrap().id);
    }
    s.revoke_user_token(u.id, toks[1]).await.unwrap();
    let page = s.list_user_tokens(u.id, None, 2).await.unwrap();
    assert_eq!(page.iter().map(|t| t.id).collect::<Vec<_>>(), [toks[0], toks[2]]);
    let page = s.list_user_tokens(u.id, Some(toks[2]), 2).await.unwrap();
    assert_eq!(page.iter().map(|t| t.id).collect::<Vec<_>>(), [toks[3]]);
    assert!(s.list_user_tokens(more[0], None, 10).await.unwrap().is_empty());
}
