//! User isolation: one person never sees or touches another's agents, archive entries,
//! tokens or notifications — and gets 404, not 403, so existence does not leak.

use serde_json::json;
use taos_conformance::*;

e2e!(users_never_see_each_others_objects);
/// Everything of user A answers 404 to user B (and to B's agents), and B's listings are empty.
async fn users_never_see_each_others_objects(s: &Server) {
    let admin = s.setup_admin().await;
    let bob = s.add_user(&admin, "bob").await;
    let a = s.client(&admin.token);
    let secret = create_agent(&a, "Secret Agent").await;
    let a_token = issue_agent_token_with(&a, "secret-agent", json!({"scope": ["*"]}))
        .await
        .token;
    create_agent(&a, "Archived One").await;
    let archived = a.delete_agent().name("archived-one").send().await.value();
    let note = a
        .notify_user()
        .body(from_json::<types::NotifyRequest>(json!({"title": "private"})))
        .send()
        .await
        .value();
    let a_user_token_id = a.list_user_tokens().send().await.value().items[0].id;

    // Bob as a person, and as one of his agents with scope `*`.
    let b = s.client(&bob.token);
    create_agent(&b, "Bobs Bot").await;
    let bob_agent_token = issue_agent_token_with(&b, "bobs-bot", json!({"scope": ["*"]}))
        .await
        .token;
    for (who, token) in [("bob", &bob.token), ("bob's agent", &bob_agent_token)] {
        let c = s.client(token);
        let list = c.list_agents().send().await.value();
        assert_eq!(list.items.len(), 1, "{who} sees someone else's agents");
        assert_eq!(list.items[0].name, "bobs-bot");
        assert!(
            c.list_archived_agents().send().await.value().items.is_empty(),
            "{who}"
        );
        assert!(
            c.list_notifications().send().await.value().items.is_empty(),
            "{who}"
        );

        c.get_agent()
            .name("secret-agent")
            .send()
            .await
            .api_err(404, "agent_not_found");
        c.update_agent()
            .name("secret-agent")
            .body(from_json::<types::AgentUpdate>(json!({"host": "192.0.2.66"})))
            .send()
            .await
            .api_err(404, "agent_not_found");
        c.set_agent_permissions()
            .name("secret-agent")
            .body(types::AgentPermissions {
                can_read_user_memory: true,
            })
            .send()
            .await
            .api_err(404, "agent_not_found");
        c.export_agent()
            .name("secret-agent")
            .send()
            .await
            .api_err(404, "agent_not_found");
        c.issue_agent_token()
            .name("secret-agent")
            .body(types::TokenIssueRequest::default())
            .send()
            .await
            .api_err(404, "agent_not_found");
        c.revoke_agent_token()
            .name("secret-agent")
            .send()
            .await
            .api_err(404, "agent_not_found");
        c.delete_agent()
            .name("secret-agent")
            .send()
            .await
            .api_err(404, "agent_not_found");
        c.restore_archived_agent()
            .id(archived.id)
            .send()
            .await
            .api_err(404, "archived_agent_not_found");
        c.purge_archived_agent()
            .id(archived.id)
            .send()
            .await
            .api_err(404, "archived_agent_not_found");
        c.mark_notification_read()
            .id(note.notification_id)
            .send()
            .await
            .api_err(404, "notification_not_found");
        assert_eq!(
            c.mark_all_notifications_read().send().await.value().updated,
            0,
            "{who}"
        );
    }
    // Personal tokens: bob cannot see or revoke the admin's.
    let b_tokens = b.list_user_tokens().send().await.value();
    assert!(b_tokens.items.iter().all(|t| t.id != a_user_token_id));
    b.revoke_user_token()
        .id(a_user_token_id)
        .send()
        .await
        .api_err(404, "user_token_not_found");

    // Nothing of A's changed.
    let still = a.get_agent().name("secret-agent").send().await.value();
    assert_eq!(still.host, secret.host);
    assert!(!still.can_read_user_memory);
    s.client(&a_token).whoami().send().await.value();
    assert_eq!(a.list_archived_agents().send().await.value().items.len(), 1);
    let inbox = a.list_notifications().send().await.value();
    assert_eq!(inbox.items.len(), 1);
    assert!(!inbox.items[0].read);
    a.whoami().send().await.value();
}

e2e!(slugs_and_notifications_are_per_user);
/// Slugs are per user (B's "Secret Agent" is `secret-agent` too: nothing leaks through
/// suffixes), import is per user, and notifications go to the sender's own user.
async fn slugs_and_notifications_are_per_user(s: &Server) {
    let admin = s.setup_admin().await;
    let bob = s.add_user(&admin, "bob").await;
    let a = s.client(&admin.token);
    let b = s.client(&bob.token);
    let mine = create_agent(&a, "Secret Agent").await;
    let theirs = create_agent(&b, "Secret Agent").await;
    assert_eq!(mine.name, "secret-agent");
    assert_eq!(
        theirs.name, "secret-agent",
        "B's slug reveals that A has an agent of that name"
    );
    assert_ne!(mine.id, theirs.id);
    assert_eq!(
        a.get_agent().name("secret-agent").send().await.value().id,
        mine.id
    );
    assert_eq!(
        b.get_agent().name("secret-agent").send().await.value().id,
        theirs.id
    );

    // Import: A's export imports fine for B under the same name once B's is gone.
    let doc = a.export_agent().name("secret-agent").send().await.value();
    b.import_agent()
        .body(doc.clone())
        .send()
        .await
        .api_err(409, "agent_exists");
    b.delete_agent().name("secret-agent").send().await.value();
    let imported = b.import_agent().body(doc).send().await.value();
    assert_eq!(imported.owner.user_id, bob.id);

    // B's agent notifies B, not A.
    let token = issue_agent_token(&b, "secret-agent").await;
    s.client(&token)
        .notify_user()
        .body(from_json::<types::NotifyRequest>(json!({"title": "for bob"})))
        .send()
        .await
        .value();
    assert!(a.list_notifications().send().await.value().items.is_empty());
    let inbox = b.list_notifications().send().await.value();
    assert_eq!(inbox.items.len(), 1);
    assert_eq!(inbox.items[0].source, "agent:secret-agent");

    // An agent acts for its owner: its whoami names bob.
    let me = s.client(&token).whoami().send().await.value();
    assert_eq!(me.user_id, bob.id);
    assert_eq!(me.username, "bob");
}
