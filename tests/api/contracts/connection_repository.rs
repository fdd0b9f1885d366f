//! ConnectionRepository contract, over memory and PostgreSQL (two pools standing for two
//! instances): one connection per app, replace returns what it replaced, a claim is taken
//! by exactly one holder until saved, released or run out, and saves and deletes are fenced
//! by it; due connections are listed soonest first, claimed ones left out.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cti_server::adapters::memory::{MemoryAppRepository, MemoryConnectionRepository};
use cti_server::adapters::postgres::{PgAppRepository, PgConnectionRepository};
use cti_server::domain::app::{App, AppId, AppName};
use cti_server::domain::crypto::SealingKey;
use cti_server::domain::dialpad::{
    Connection, ConnectionStatus, DialpadIdentity, Provisioning, SealedToken, TokenPurpose,
};
use cti_server::ports::{AppRepository, Claim, ConnectionRepository};

use crate::infra::TestDb;

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000 + s, 0).unwrap()
}

fn connection(app_id: AppId, user: &str, lifetime_s: u64) -> Connection {
    let key = SealingKey::new(&[4; 32]);
    Connection::new(
        app_id,
        DialpadIdentity { company_id: "77".into(), user_id: user.into(), email: Some("a@example.com".into()) },
        vec!["offline_access".into(), "calls:list".into()],
        SealedToken::seal(&key, [1; 12], app_id, TokenPurpose::Access, &format!("access-{user}")),
        SealedToken::seal(&key, [2; 12], app_id, TokenPurpose::Refresh, &format!("refresh-{user}")),
        Duration::from_secs(lifetime_s),
        at(0),
    )
}

/// `here` and `there` share storage (two instances).
async fn contract(
    apps: Arc<dyn AppRepository>,
    here: Arc<dyn ConnectionRepository>,
    there: Arc<dyn ConnectionRepository>,
) {
    let (a, b, never) = (AppId::generate(), AppId::generate(), AppId::generate());
    for id in [a, b] {
        apps.insert(&App::new(id, AppName::parse("c").unwrap(), at(0))).await.unwrap();
    }
    assert_eq!(here.get(a).await.unwrap(), None);
    assert_eq!(here.next_due().await.unwrap(), None);
    let first = connection(a, "u1", 100);
    assert_eq!(here.replace(&first).await.unwrap(), None);
    assert_eq!(there.get(a).await.unwrap(), Some(first.clone()), "every instance reads it, tokens intact");
    let second = connection(a, "u2", 100);
    assert_eq!(there.replace(&second).await.unwrap(), Some(first), "replace gives back what it replaced");

    // Claims: one holder at a time, every instance.
    assert_eq!(here.claim(never, "h1", at(0), at(30)).await.unwrap(), Claim::Absent);
    assert_eq!(here.claim(a, "h1", at(0), at(30)).await.unwrap(), Claim::Taken(Box::new(second.clone())));
    assert_eq!(there.claim(a, "h2", at(10), at(40)).await.unwrap(), Claim::Busy);
    assert!(!there.save_claimed(&connection(a, "u3", 100), "h2").await.unwrap(), "not the holder");
    assert!(!there.delete_claimed(a, "h2").await.unwrap());
    there.release(a, "h2").await.unwrap();
    assert_eq!(there.claim(a, "h2", at(29), at(59)).await.unwrap(), Claim::Busy, "a stranger's release is nothing");
    // Run out: taken over, and the first holder's late save is fenced out.
    assert!(matches!(there.claim(a, "h2", at(31), at(61)).await.unwrap(), Claim::Taken(_)));
    assert!(!here.save_claimed(&connection(a, "late", 100), "h1").await.unwrap());
    let mut refreshed = second.clone();
    refreshed.status = ConnectionStatus::RefreshFailed;
    refreshed.last_error = Some("Dialpad answered 503".into());
    refreshed.refresh_failures = 2;
    refreshed.last_refreshed_at = Some(at(31));
    assert!(there.save_claimed(&refreshed, "h2").await.unwrap());
    assert_eq!(here.get(a).await.unwrap(), Some(refreshed.clone()), "saved whole");
    assert!(matches!(here.claim(a, "h3", at(32), at(62)).await.unwrap(), Claim::Taken(_)), "a save ends the claim");
    here.release(a, "h3").await.unwrap();

    // Provisioning: recorded on its own, kept by a token save, read by every instance and
    // by a claim, and forgotten by a replace (a new connect provisions anew).
    let provisioning = Provisioning {
        webhook_id: Some("4500000000000001".into()),
        subscription_id: Some("4500000000000002".into()),
        provisioned_at: Some(at(33)),
        error: None,
    };
    assert!(here.record_provisioning(a, &provisioning).await.unwrap());
    assert!(!here.record_provisioning(never, &provisioning).await.unwrap(), "no connection, nothing recorded");
    let Claim::Taken(claimed) = there.claim(a, "h3", at(34), at(64)).await.unwrap() else { panic!("not taken") };
    assert_eq!(claimed.provisioning, provisioning, "a claim reads it");
    assert!(there.save_claimed(&refreshed, "h3").await.unwrap(), "a token save (which carries none)");
    refreshed.provisioning = provisioning.clone();
    assert_eq!(here.get(a).await.unwrap(), Some(refreshed.clone()), "kept by the token save");
    let failed = Provisioning { error: Some("Dialpad refused (http_403)".into()), ..provisioning };
    assert!(there.record_provisioning(a, &failed).await.unwrap());
    assert_eq!(here.get(a).await.unwrap().unwrap().provisioning, failed);

    assert!(here.replace(&second).await.unwrap().is_some_and(|old| old.provisioning.error.is_some()));
    assert_eq!(there.get(a).await.unwrap().unwrap().provisioning, Provisioning::default(), "a replace resets it");

    // Due: soonest first, claimed ones left out; next_due sees them all.
    let mut later = connection(b, "u4", 200);
    later.next_refresh_at = Some(at(150));
    here.replace(&later).await.unwrap();
    assert_eq!(here.next_due().await.unwrap(), Some(at(80)));
    assert_eq!(here.due(at(79), 10).await.unwrap(), Vec::<AppId>::new());
    assert_eq!(here.due(at(200), 10).await.unwrap(), vec![a, b]);
    assert_eq!(here.due(at(200), 1).await.unwrap(), vec![a]);
    assert!(matches!(there.claim(a, "h4", at(200), at(230)).await.unwrap(), Claim::Taken(_)));
    assert_eq!(here.due(at(200), 10).await.unwrap(), vec![b], "claimed: not listed");
    assert_eq!(here.due(at(231), 10).await.unwrap(), vec![a, b], "the claim ran out");
    let mut reauth = later.clone();
    reauth.refresh_refused("invalid_grant".into());
    here.replace(&reauth).await.unwrap();
    assert_eq!(here.due(at(10_000), 10).await.unwrap(), vec![a], "reauth_required is never due");
    assert_eq!(there.get(b).await.unwrap().unwrap().provisioning, Provisioning::default());

    // Delete: fenced.
    assert!(!here.delete_claimed(a, "h3").await.unwrap());
    assert!(there.delete_claimed(a, "h4").await.unwrap());
    assert_eq!(here.get(a).await.unwrap(), None);
    assert_eq!(here.claim(a, "h5", at(0), at(30)).await.unwrap(), Claim::Absent);

    // Racing claims from both instances: one wins.
    let claims = (0..20).map(|i| {
        let repo = if i % 2 == 0 { here.clone() } else { there.clone() };
        async move { repo.claim(b, &format!("racer-{i}"), at(500), at(530)).await.unwrap() }
    });
    let won = futures_util::future::join_all(claims).await.into_iter().filter(|c| matches!(c, Claim::Taken(_))).count();
    assert_eq!(won, 1, "exactly one of concurrent claims is taken");
}

#[tokio::test]
async fn memory_connection_repository_honours_the_contract() {
    let repo = Arc::new(MemoryConnectionRepository::new());
    contract(Arc::new(MemoryAppRepository::new()), repo.clone(), repo).await;
}

#[tokio::test]
async fn postgres_connection_repository_honours_the_contract_across_instances() {
    let Some(db) = TestDb::create().await else { return };
    let (here, there) = (db.migrated_pool().await, db.migrated_pool().await);
    contract(
        Arc::new(PgAppRepository::new(here.clone())),
        Arc::new(PgConnectionRepository::new(here)),
        Arc::new(PgConnectionRepository::new(there)),
    )
    .await;
}
