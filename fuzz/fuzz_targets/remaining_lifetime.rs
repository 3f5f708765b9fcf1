//! `remainingLifetime(policy, snaptimeSeconds, nowMs)`: never negative,
//! rounded up to whole seconds, expired exactly at snaptime + lifetime, a
//! label that says the same, and an unknown age (snaptime 0) never expires.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::{api, Value};
use pve_snapshots_fuzz::{check, input, plans};

fuzz_target!(|data: &[u8]| {
    let [policy, snaptime, now] = input::args::<3>(data);
    let Some(r) = check::answer(api::remaining_lifetime(&policy, &snaptime, &now)) else { return };
    let p = api::validate_policy(&policy).expect("accepted policy");
    let Value::Number(s) = snaptime else { panic!("accepted snaptime {snaptime:?}") };
    let now_ms = plans::now(&now);
    assert!(r.seconds >= 0);
    if s == 0.0 {
        assert!(!r.expired && r.seconds == 0 && r.label == "unknown", "{r:?}");
        return;
    }
    let at = s as i64 * 1000 + i64::from(p.lifetime_days) * 86_400_000;
    assert_eq!(r.expired, now_ms >= at);
    if r.expired {
        assert_eq!((r.seconds, r.label.as_str()), (0, "expired"));
    } else {
        assert_eq!(r.seconds, (at - now_ms + 999) / 1000);
        assert_eq!(pve_snapshots_fuzz::check::label_seconds(&r.label), Some(r.seconds), "{:?}", r.label);
    }
});
