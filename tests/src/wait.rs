//! The one way tests wait for state that arrives asynchronously (logs, the outcomes queue, the
//! table, moto's record): poll with a deadline, then fail loudly with what was last seen.

use std::fmt::Debug;
use std::time::{Duration, Instant};

/// How long a test waits for anything by default: generous, since CI machines are slow and busy.
/// A condition that holds returns at once, so only a failing test ever waits this long.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// The first pause between two looks, doubled up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const MAX_PAUSE: Duration = Duration::from_millis(250);

/// Runs `probe` until it yields `Ok`, pausing briefly between looks, and returns that value.
/// Each `Err` is what the probe saw instead; once `deadline` has passed, the test panics with
/// `what` it waited for and the last thing seen.
pub async fn wait_for<T, Seen: Debug>(
    what: &str,
    deadline: Duration,
    mut probe: impl AsyncFnMut() -> Result<T, Seen>,
) -> T {
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    let mut looks = 0u32;
    loop {
        looks += 1;
        let seen = match probe().await {
            Ok(value) => return value,
            Err(seen) => seen,
        };
        let waited = started.elapsed();
        if waited >= deadline {
            panic!("gave up after {waited:.1?} ({looks} looks) waiting for {what}; last seen:\n{seen:#?}");
        }
        tokio::time::sleep(pause.min(deadline - waited)).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// Reads with `read` until `done` holds of what was read, and returns that reading; see
/// [`wait_for`] for the deadline and the failure.
pub async fn wait_until<V: Debug>(
    what: &str,
    deadline: Duration,
    mut read: impl AsyncFnMut() -> V,
    mut done: impl FnMut(&V) -> bool,
) -> V {
    wait_for(what, deadline, async || {
        let v = read().await;
        if done(&v) { Ok(v) } else { Err(v) }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_the_first_value_the_probe_yields() {
        let mut n = 0;
        let got = wait_for("three looks", DEADLINE, async || {
            n += 1;
            if n == 3 { Ok(n) } else { Err(n) }
        })
        .await;
        assert_eq!(got, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "waiting for a value that never comes; last seen:\n\"still nothing\"")]
    async fn names_what_it_waited_for_and_the_last_thing_seen_after_the_deadline() {
        wait_until(
            "a value that never comes",
            Duration::from_millis(50),
            async || "still nothing",
            |_| false,
        )
        .await;
    }
}
