//! `remainingLifetime(policy, snaptimeSeconds, nowMs)`: never negative,
//! rounded up to whole seconds, expired exactly at snaptime + lifetime, a
//! label that says the same, and an unknown age (snaptime 0) never expires.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::api;
use pve_snapshots::error::Result;
use pve_snapshots::lifetime::{NowMs, Snaptime};
use pve_snapshots::policy::PolicyInput;
use pve_snapshots_fuzz::input::read;
use pve_snapshots_fuzz::{check, input};

fuzz_target!(|data: &[u8]| {
    let [policy, snaptime, now] = input::args::<3>(data);
    let args = || -> Result<_> {
        Ok((
            read::<PolicyInput>("policy", &policy)?,
            read::<Snaptime>("snaptimeSeconds", &snaptime)?,
            read::<NowMs>("nowMs", &now)?,
        ))
    };
    let Some((p, s, now_ms)) = check::answer(args()) else { return };
    let r = api::remaining_lifetime(p.clone(), s, now_ms);
    let p = api::validate_policy(p);
    // Both below 2^53, so the comparison in f64 is exact.
    assert_eq!(snaptime.as_f64(), Some(s.0 as f64), "snaptimeSeconds misread");
    assert_eq!(now.as_f64(), Some(now_ms.0 as f64), "nowMs misread");
    let now_ms = now_ms.0;
    assert!(r.seconds >= 0);
    if s.0 == 0 {
        assert!(!r.expired && r.seconds == 0 && r.label == "unknown", "{r:?}");
        return;
    }
    let at = s.0 * 1000 + i64::from(p.lifetime_days) * 86_400_000;
    assert_eq!(r.expired, now_ms >= at);
    if r.expired {
        assert_eq!((r.seconds, r.label.as_str()), (0, "expired"));
    } else {
        assert_eq!(r.seconds, (at - now_ms + 999) / 1000);
        assert_eq!(check::label_seconds(&r.label), Some(r.seconds), "{:?}", r.label);
    }
});
