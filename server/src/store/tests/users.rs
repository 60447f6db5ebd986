//! Connecting (migrations run once), the first user, users and sessions.

use super::*;

pub(super) async fn concurrent_connects_migrate_once(url: String) {
    // Replicas starting together against an empty database must not trip over each other.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { Store::connect(&url).await })
        })
        .collect();
    for h in handles {
        let s = h.await.unwrap().unwrap();
        s.ping().await.unwrap();
    }
    // And again on a migrated database.
    let s = Store::connect(&url).await.unwrap();
    assert_eq!(s.is_sqlite(), url.starts_with("sqlite:"));
    if s.is_sqlite() {
        let row =
            s.db.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "PRAGMA journal_mode",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<String>("", "journal_mode").unwrap(), "wal");
    }
    assert_eq!(s.count_users().await.unwrap(), 0);
}

pub(super) async fn first_user_is_created_once(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut new = new_user(&format!("admin{i}"));
                new.admin = true;
                let (_, token) = user_token(Uuid::nil());
                s.setup_account(new, token).await
            })
        })
        .collect();
    let mut created = Vec::new();
    for h in handles {
        match h.await.unwrap() {
            Ok(pair) => created.push(pair),
            Err(Error::Conflict) => {}
            Err(e) => panic!("a concurrent setup failed: {e}"),
        }
    }
    assert_eq!(created.len(), 1, "exactly one setup wins");
    let (admin, token) = &created[0];
    assert!(admin.admin);
    assert_eq!(token.user_id, admin.id);
    assert_eq!(token.kind, TokenKind::User);
    assert_eq!(s.count_users().await.unwrap(), 1);
    let found = s.find_token(&token.token_hash).await.unwrap();
    assert_eq!(&found.user, admin);
    // Setup stays closed even after the admin is gone.
    s.delete_user(admin.id).await.unwrap();
    let (_, token) = user_token(Uuid::nil());
    assert_err(s.setup_account(new_user("late"), token).await, Error::Conflict);
}

pub(super) async fn users_conflicts_and_deletion(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let alice = user(&s, "alice").await;
    assert_err(s.create_user(new_user("alice")).await, Error::Conflict);
    assert_eq!(s.find_user_by_username("alice").await.unwrap(), alice);
    assert_eq!(s.find_user(alice.id).await.unwrap(), alice);
    assert!(format!("{alice:?}").contains("redacted"));
    assert!(!format!("{alice:?}").contains("argon2"));

    let (_, tok) = user_token(alice.id);
    let tok = s.create_user_token(tok).await.unwrap();
    let a = agent(&s, alice.id, "Helper").await;
    let agent_tok = s
        .issue_agent_token(a.agent.id, alice.id, "h-agent", scope(&["agents.list"]), None)
        .await
        .unwrap();
    s.create_session(alice.id, "h-session", Utc::now() + Duration::hours(1))
        .await
        .unwrap();

    s.delete_user(alice.id).await.unwrap();
    assert_err(s.delete_user(alice.id).await, Error::NotFound);
    assert_err(s.delete_user(Uuid::now_v7()).await, Error::NotFound);
    assert_eq!(found(s.find_user(alice.id).await), None);
    assert_eq!(found(s.find_user_by_username("alice").await), None);
    assert_eq!(found(s.find_token(&tok.token_hash).await), None);
    assert_eq!(found(s.find_token(&agent_tok.token_hash).await), None);
    assert_eq!(found(s.find_session("h-session").await), None);
    assert_eq!(active_agent_tokens(&s, a.agent.id).await, 0);
    assert_eq!(found(s.get_agent(alice.id, "helper").await), None);
    assert_eq!(
        s.find_archived_agent(alice.id, a.agent.id).await.unwrap().id,
        a.agent.id
    );
    // Nothing new can be made for a removed user, and nothing of theirs changed: the token
    // or cookie would be dead on arrival, the agent live under nobody.
    assert_err(s.create_user_token(user_token(alice.id).1).await, Error::UserGone);
    let in_an_hour = Utc::now() + Duration::hours(1);
    assert_err(
        s.create_session(alice.id, "late", in_an_hour).await,
        Error::UserGone,
    );
    assert_err(
        s.create_agent(new_agent(alice.id, "Late"), candidates("late"))
            .await,
        Error::UserGone,
    );
    assert_err(
        s.import_agent(new_agent(alice.id, "Late"), "late".to_owned())
            .await,
        Error::UserGone,
    );
    assert_err(
        s.restore_archived_agent(alice.id, a.agent.id, candidates("helper"))
            .await,
        Error::UserGone,
    );

    assert_err(
        s.update_agent(a.agent.id, alice.id, AgentChanges::default())
            .await,
        Error::UserGone,
    );
    assert_err(
        s.issue_agent_token(a.agent.id, alice.id, "late", scope(&["*"]), None)
            .await,
        Error::UserGone,
    );
    assert_err(s.revoke_agent_token(a.agent.id, alice.id).await, Error::UserGone);
    assert_err(s.revoke_user_token(alice.id, tok.id).await, Error::UserGone);
    assert_err(s.notify_user(late_note(alice.id)).await, Error::UserGone);
    assert_err(
        s.mark_notification_read(alice.id, Uuid::now_v7()).await,
        Error::UserGone,
    );
    assert_err(s.mark_all_notifications_read(alice.id).await, Error::UserGone);

    // The name is free again for a new person.
    let alice2 = user(&s, "alice").await;
    assert_ne!(alice2.id, alice.id);
    assert_eq!(s.count_users().await.unwrap(), 1);
}

pub(super) async fn sessions_lifecycle(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "bob").await;
    let now = Utc::now();
    let live = s
        .create_session(u.id, "live", now + Duration::hours(1))
        .await
        .unwrap();
    s.create_session(u.id, "old", now - Duration::seconds(1))
        .await
        .unwrap();
    let (session, owner) = s.find_session("live").await.unwrap();
    assert_eq!(session, live);
    assert_eq!(owner.id, u.id);
    // Expired sessions are still returned; the caller decides.
    assert!(found(s.find_session("old").await).is_some());
    assert_eq!(s.purge_expired_sessions(now).await.unwrap(), 1);
    assert!(found(s.find_session("old").await).is_none());
    s.delete_session("live").await.unwrap();
    assert!(found(s.find_session("live").await).is_none());
    assert!(found(s.find_session("nope").await).is_none());
}

fn late_note(user_id: Uuid) -> NewNotification {
    NewNotification {
        user_id,
        title: "late".to_owned(),
        message: String::new(),
        level: "normal".to_owned(),
        source: "agent:helper".to_owned(),
        app_origin: None,
        action_url: None,
    }
}
