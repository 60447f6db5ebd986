//! Idempotency keys: one winner per reservation, the lifecycle of a key.

use super::*;

pub(super) async fn concurrent_idem_reserve_has_one_winner(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let now = Utc::now();
    let handles: Vec<_> = (0..32)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.idem_reserve("user:1", "createAgent", "k1", "fp", now, Duration::hours(24))
                    .await
            })
        })
        .collect();
    let mut reserved = 0;
    for h in handles {
        match h.await.unwrap().unwrap() {
            IdemOutcome::Reserved => reserved += 1,
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
                s.idem_reserve("user:1", "createAgent", "k1", "fp2", later, Duration::hours(24))
                    .await
            })
        })
        .collect();
    let mut reserved = 0;
    for h in handles {
        match h.await.unwrap().unwrap() {
            IdemOutcome::Reserved => reserved += 1,
            IdemOutcome::InFlight { fingerprint } => assert_eq!(fingerprint, "fp2"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(reserved, 1);
}

pub(super) async fn idem_lifecycle(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let now = Utc::now();
    let ttl = Duration::hours(24);
    let reserve = |key: &'static str, fp: &'static str, at| {
        let s = s.clone();
        async move {
            s.idem_reserve("agent:9", "notify", key, fp, at, ttl)
                .await
                .unwrap()
        }
    };

    assert_eq!(reserve("a", "fp1", now).await, IdemOutcome::Reserved);
    assert_eq!(
        reserve("a", "fp2", now).await,
        IdemOutcome::InFlight {
            fingerprint: "fp1".to_owned()
        }
    );
    // Scoped by principal and operation.
    assert_eq!(
        s.idem_reserve("agent:10", "notify", "a", "fp1", now, ttl)
            .await
            .unwrap(),
        IdemOutcome::Reserved
    );
    assert_eq!(
        s.idem_reserve("agent:9", "other", "a", "fp1", now, ttl)
            .await
            .unwrap(),
        IdemOutcome::Reserved
    );

    s.idem_complete("agent:9", "notify", "a", 201, "{\"id\":1}".to_owned())
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
    assert_eq!(
        reserve("a", "fp9", now + Duration::hours(25)).await,
        IdemOutcome::Reserved
    );
    assert_eq!(
        reserve("a", "fp1", now + Duration::hours(25)).await,
        IdemOutcome::InFlight {
            fingerprint: "fp9".to_owned()
        }
    );

    // Release frees the key at once.
    assert_eq!(reserve("b", "fp1", now).await, IdemOutcome::Reserved);
    s.idem_release("agent:9", "notify", "b").await.unwrap();
    assert_eq!(reserve("b", "fp3", now).await, IdemOutcome::Reserved);

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
