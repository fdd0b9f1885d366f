use chrono::TimeZone;

use super::*;

fn key() -> SealingKey {
    SealingKey::new(&[9; 32])
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

fn sealed(app: AppId, purpose: TokenPurpose, token: &str) -> SealedToken {
    SealedToken::seal(&key(), [3; NONCE_LEN], app, purpose, token)
}

fn connection(lifetime: Duration) -> Connection {
    let app = AppId::generate();
    Connection::new(
        app,
        DialpadIdentity { company_id: "1".into(), user_id: "2".into(), email: None },
        vec!["offline_access".into()],
        sealed(app, TokenPurpose::Access, "access-1"),
        sealed(app, TokenPurpose::Refresh, "refresh-1"),
        lifetime,
        t0(),
    )
}

#[test]
fn sealed_tokens_open_only_for_their_app_and_purpose() {
    let app = AppId::generate();
    let token = sealed(app, TokenPurpose::Refresh, "the-refresh-token");
    assert!(!token.ciphertext.windows(5).any(|w| w == b"refre"), "no plaintext in the ciphertext");
    assert_eq!(token.open(&key(), app, TokenPurpose::Refresh).unwrap(), "the-refresh-token");
    assert_eq!(token.open(&key(), AppId::generate(), TokenPurpose::Refresh), Err(OpenError), "another app");
    assert_eq!(token.open(&key(), app, TokenPurpose::Access), Err(OpenError), "another purpose");
    assert_eq!(token.open(&SealingKey::new(&[1; 32]), app, TokenPurpose::Refresh), Err(OpenError));
    assert!(!format!("{token:?}").contains("refresh"), "Debug shows nothing");
}

#[test]
fn a_connection_is_refreshed_at_eighty_percent_of_whatever_lifetime_it_got() {
    for (lifetime, due_after) in [(3600, 2880), (5, 4), (100, 80)] {
        let c = connection(Duration::from_secs(lifetime));
        assert_eq!(c.next_refresh_at, Some(t0() + Duration::from_secs(due_after)), "lifetime {lifetime}");
        assert_eq!(c.access_token_expires_at, t0() + Duration::from_secs(lifetime));
        assert!(!c.is_due(t0() + Duration::from_secs(due_after - 1)));
        assert!(c.is_due(t0() + Duration::from_secs(due_after)));
    }
    let zero = connection(Duration::ZERO);
    assert_eq!(zero.next_refresh_at, Some(t0() + MIN_REFRESH_DELAY), "a zero lifetime does not spin");
}

#[test]
fn lifetimes_default_when_absent_and_are_bounded() {
    assert_eq!(lifetime(None), DEFAULT_LIFETIME);
    assert_eq!(lifetime(Some(Duration::from_secs(7))), Duration::from_secs(7));
    assert_eq!(lifetime(Some(Duration::from_secs(u64::MAX))), MAX_LIFETIME);
}

#[test]
fn a_refresh_replaces_both_tokens_and_clears_failures() {
    let mut c = connection(Duration::from_secs(10));
    let app = c.app_id;
    c.refresh_failed("Dialpad unreachable".into(), None, t0() + Duration::from_secs(8));
    let now = t0() + Duration::from_secs(9);
    c.refreshed(
        sealed(app, TokenPurpose::Access, "access-2"),
        Some(sealed(app, TokenPurpose::Refresh, "refresh-2")),
        Duration::from_secs(20),
        now,
    );
    assert_eq!(c.status, ConnectionStatus::Active);
    assert_eq!(c.refresh_token.open(&key(), app, TokenPurpose::Refresh).unwrap(), "refresh-2");
    assert_eq!(c.access_token.open(&key(), app, TokenPurpose::Access).unwrap(), "access-2");
    assert_eq!((c.last_error.clone(), c.refresh_failures), (None, 0));
    assert_eq!(c.last_refreshed_at, Some(now));
    assert_eq!(c.next_refresh_at, Some(now + Duration::from_secs(16)));
}

#[test]
fn an_answer_without_a_refresh_token_keeps_the_old_one_and_says_why() {
    let mut c = connection(Duration::from_secs(10));
    let app = c.app_id;
    c.refreshed(sealed(app, TokenPurpose::Access, "access-2"), None, Duration::from_secs(10), t0());
    assert_eq!(c.status, ConnectionStatus::RefreshFailed);
    assert_eq!(c.last_error.as_deref(), Some(NO_REFRESH_TOKEN));
    assert!(c.last_error.as_deref().unwrap().contains("offline_access"));
    assert_eq!(c.refresh_token.open(&key(), app, TokenPurpose::Refresh).unwrap(), "refresh-1");
    assert!(c.next_refresh_at.is_some(), "still tried again");
}

#[test]
fn transient_failures_back_off_but_stay_active_until_the_access_token_expires() {
    let mut c = connection(Duration::from_secs(100));
    let first = t0() + Duration::from_secs(80);
    c.refresh_failed("Dialpad unreachable".into(), None, first);
    assert_eq!(c.status, ConnectionStatus::Active);
    assert_eq!(c.next_refresh_at, Some(first + Duration::from_secs(2)));
    c.refresh_failed("Dialpad unreachable".into(), Some(Duration::from_secs(10)), first + Duration::from_secs(2));
    assert_eq!(c.next_refresh_at, Some(first + Duration::from_secs(12)), "Retry-After is honoured");
    let late = t0() + Duration::from_secs(99);
    c.refresh_failed("Dialpad unreachable".into(), None, late);
    assert_eq!(c.next_refresh_at, Some(c.access_token_expires_at), "tried again by the expiry at the latest");
    assert_eq!(c.status, ConnectionStatus::Active);
    c.refresh_failed("Dialpad answered 503".into(), None, c.access_token_expires_at);
    assert_eq!(c.status, ConnectionStatus::RefreshFailed, "expired: the status says so");
    assert_eq!(c.last_error.as_deref(), Some("Dialpad answered 503"));
    assert!(c.next_refresh_at.is_some(), "and it is still retried");
}

#[test]
fn a_refused_refresh_token_ends_the_retries() {
    let mut c = connection(Duration::from_secs(100));
    c.refresh_refused("Dialpad refused the refresh token (invalid_grant)".into());
    assert_eq!(c.status, ConnectionStatus::ReauthRequired);
    assert_eq!(c.next_refresh_at, None);
    assert!(!c.is_due(t0() + Duration::from_secs(1_000_000)));
}

#[test]
fn backoff_doubles_up_to_five_minutes() {
    let waits: Vec<u64> = (1..=10).map(|n| backoff(n).as_secs()).collect();
    assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
}

#[test]
fn statuses_round_trip() {
    for status in [ConnectionStatus::Active, ConnectionStatus::RefreshFailed, ConnectionStatus::ReauthRequired] {
        assert_eq!(ConnectionStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(ConnectionStatus::parse("connected"), None);
}
