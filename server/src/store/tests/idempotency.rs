//! Idempotency keys: one winner per reservation, the lifecycle of a key, and sealed work: its
//! writes commit with the answer, or not at all.

use super::*;

pub(super) async fn concurrent_idem_reserve_has_one_winner(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let now = Utc::now();
    let handles: Vec<_> = (0..32)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.idem_reserve("user:1", "createAgent", "k1", "fp", now, POLICY)
                    .await
            })
        })
        .collect();
    let mut reserved = 0;
    for h in handles {
        match h.await.unwrap().unwrap() {
            IdemOutcome::Reserved(_) => reserved += 1,
            IdemOutcome::InFlight { fingerprint } => assert_eq!(fingerprint, "fp"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(reserved, 1);

    // Concurrent takeovers of an abandoned claim: still exactly one winner.
    let later = now + Duration::seconds(61);
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.idem_reserve("user:1", "createAgent", "k1", "fp2", later, POLICY)
                    .await
            })
        })
        .collect();
    let mut reserved = 0;
    for h in handles {
        match h.await.unwrap().unwrap() {
            IdemOutcome::Reserved(_) => reserved += 1,
            IdemOutcome::InFlight { fingerprint } => assert_eq!(fingerprint, "fp2"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(reserved, 1);
}

pub(super) async fn idem_lifecycle(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let now = Utc::now();
    let reserve = |key: &'static str, fp: &'static str, at| {
        let s = s.clone();
        async move {
            s.idem_reserve("agent:9", "notify", key, fp, at, POLICY)
                .await
                .unwrap()
        }
    };

    let a = claimed(reserve("a", "fp1", now).await);
    assert_eq!(
        reserve("a", "fp2", now).await,
        IdemOutcome::InFlight {
            fingerprint: "fp1".to_owned()
        }
    );
    // Scoped by principal and operation.
    assert!(matches!(
        s.idem_reserve("agent:10", "notify", "a", "fp1", now, POLICY)
            .await
            .unwrap(),
        IdemOutcome::Reserved(_)
    ));
    assert!(matches!(
        s.idem_reserve("agent:9", "other", "a", "fp1", now, POLICY)
            .await
            .unwrap(),
        IdemOutcome::Reserved(_)
    ));

    let (_, sealed) = s.sealed(a, async {}).await;
    s.idem_complete(sealed, 201, "{\"id\":1}".to_owned())
        .await
        .unwrap();
    let done = IdemOutcome::Done {
        fingerprint: "fp1".to_owned(),
        status: 201,
        body: "{\"id\":1}".to_owned(),
    };
    assert_eq!(reserve("a", "fp1", now).await, done);
    // A finished answer is not "abandoned", however old, until it expires.
    assert_eq!(reserve("a", "fp1", now + Duration::hours(23)).await, done);
    claimed(reserve("a", "fp9", now + Duration::hours(25)).await);
    assert_eq!(
        reserve("a", "fp1", now + Duration::hours(25)).await,
        IdemOutcome::InFlight {
            fingerprint: "fp9".to_owned()
        }
    );

    // Release frees the key at once.
    let b = claimed(reserve("b", "fp1", now).await);
    let (_, sealed) = s.sealed(b, async {}).await;
    s.idem_release(sealed).await.unwrap();
    claimed(reserve("b", "fp3", now).await);

    // In flight for under a minute is still in flight.
    assert_eq!(
        reserve("b", "fp4", now + Duration::seconds(59)).await,
        IdemOutcome::InFlight {
            fingerprint: "fp3".to_owned()
        }
    );

    let purged = s.idem_purge_expired(now + Duration::hours(24)).await.unwrap();
    assert_eq!(purged, 3, "b, the agent:10 claim and the other-operation claim");
    assert_eq!(s.idem_purge_expired(now + Duration::days(3)).await.unwrap(), 1);
}

const POLICY: IdemPolicy = IdemPolicy {
    ttl: Duration::hours(24),
    takeover: Duration::seconds(60),
};

#[track_caller]
fn claimed(outcome: IdemOutcome) -> IdemClaim {
    match outcome {
        IdemOutcome::Reserved(claim) => claim,
        other => panic!("expected the claim, got {other:?}"),
    }
}

async fn claim(s: &Store, key: &str, at: chrono::DateTime<Utc>) -> IdemClaim {
    claimed(
        s.idem_reserve("user:1", "createAgent", key, "fp", at, POLICY)
            .await
            .unwrap(),
    )
}

async fn agents_named(s: &Store, user_id: Uuid, slug: &str) -> usize {
    usize::from(found(s.get_agent(user_id, slug).await).is_some())
}

/// The writes of sealed work are kept only with its answer: released, or never finished (the
/// process died), they are gone; completed, they are there with the answer.
pub(super) async fn sealed_work_commits_with_its_answer(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let owner = user(&s, "ada").await;
    let now = Utc::now();

    let (made, sealed) = s
        .sealed(claim(&s, "k1", now).await, agent(&s, owner.id, "Kept"))
        .await;
    assert_eq!(made.agent.slug, "kept");
    assert_eq!(
        agents_named(&s, owner.id, "kept").await,
        0,
        "not visible before the commit"
    );
    s.idem_complete(sealed, 201, "{}".to_owned()).await.unwrap();
    assert_eq!(agents_named(&s, owner.id, "kept").await, 1);
    assert!(matches!(
        s.idem_reserve("user:1", "createAgent", "k1", "fp", now, POLICY)
            .await
            .unwrap(),
        IdemOutcome::Done { status: 201, .. }
    ));

    // Two writes in one piece of work are one commit.
    let work = async {
        agent(&s, owner.id, "Dropped").await;
        agent(&s, owner.id, "Dropped").await
    };
    let (second, sealed) = s.sealed(claim(&s, "k2", now).await, work).await;
    assert_eq!(second.agent.slug, "dropped-2");
    s.idem_release(sealed).await.unwrap();
    assert_eq!(agents_named(&s, owner.id, "dropped").await, 0);
    assert_eq!(agents_named(&s, owner.id, "dropped-2").await, 0);
    claim(&s, "k2", now).await;

    // Dropped without an answer: what a killed process leaves.
    let (_, sealed) = s
        .sealed(claim(&s, "k3", now).await, agent(&s, owner.id, "Lost"))
        .await;
    drop(sealed);
    assert_eq!(agents_named(&s, owner.id, "lost").await, 0);

    // Other writers go on beside sealed work once it is done.
    agent(&s, owner.id, "After").await;
}

/// A claim taken over by a retry (its request presumed dead) can no longer commit: the retry's
/// run is the one that counts.
pub(super) async fn a_taken_over_claim_cannot_commit(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let owner = user(&s, "ada").await;
    let now = Utc::now();
    let slow = claim(&s, "k", now).await;
    let retry = claim(&s, "k", now + Duration::seconds(61)).await;

    // The slow request only now gets to its work (holding no lock while the retry claimed).
    let (_, slow_done) = s.sealed(slow, agent(&s, owner.id, "Slow")).await;
    assert_err(
        s.idem_complete(slow_done, 201, "{}".to_owned()).await,
        Error::Conflict,
    );
    assert_eq!(
        agents_named(&s, owner.id, "slow").await,
        0,
        "the slow run's write is undone"
    );

    let (_, retry_done) = s.sealed(retry, agent(&s, owner.id, "Slow")).await;
    s.idem_complete(retry_done, 201, "{}".to_owned()).await.unwrap();
    assert_eq!(agents_named(&s, owner.id, "slow").await, 1);
}
