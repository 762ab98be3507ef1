//! When a failed call is tried again, and after how long.
//!
//! Only errors that [`Error::is_retryable`] are retried, and only for operations where a
//! repeat is safe: get, cryptogram and delete always (a repeated cryptogram request or delete
//! creates nothing extra), provisioning only because every provisioning call carries a
//! `Cko-Idempotency-Key` that all its attempts share. The delay doubles from attempt to
//! attempt up to a cap, with jitter so that many clients do not retry in step; a
//! `Retry-After` on 429 or 503 is honoured when it is within [`RetryPolicy::max_retry_after`].

use std::time::{Duration, SystemTime};

use crate::error::Error;

/// How failed calls are retried. The default makes 3 attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries: each call makes one attempt (a 401 still gets its one re-authentication).
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Up to `max_attempts` attempts in all (at least 1), with the default backoff.
    pub fn attempts(max_attempts: u32) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            ..Self::default()
        }
    }

    /// The first delay and the cap on any delay.
    #[must_use]
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// The longest `Retry-After` that is waited for; a longer one ends the retries.
    #[must_use]
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// The most attempts a call makes.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The longest `Retry-After` that is waited for.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// How long to wait before attempt `failed_attempts + 1`, or `None` to give up.
    pub(crate) fn delay_after(&self, failed_attempts: u32, error: &Error) -> Option<Duration> {
        if failed_attempts >= self.max_attempts || !error.is_retryable() {
            return None;
        }
        if let Some(wait) = error.retry_after() {
            return (wait <= self.max_retry_after).then_some(wait);
        }
        let exponent = failed_attempts.saturating_sub(1).min(16);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        // "Equal jitter": half fixed, half random, so the delay still grows.
        let half = ceiling / 2;
        let jitter = half.mul_f64(fastrand::f64());
        Some(half + jitter)
    }
}

/// A `Retry-After` header: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use crate::outcome::Operation;

    fn unexpected(status: u16, retry_after: Option<Duration>) -> Error {
        Error::UnexpectedStatus(Box::new(ApiError {
            operation: Operation::Get,
            status,
            kind: None,
            request_id: None,
            error_type: None,
            error_codes: vec![],
            retry_after,
        }))
    }

    #[test]
    fn backoff_grows_is_capped_and_stops_at_max_attempts() {
        let policy = RetryPolicy::attempts(4)
            .with_backoff(Duration::from_millis(100), Duration::from_millis(300));
        let error = unexpected(503, None);
        let d1 = policy.delay_after(1, &error).expect("retry 1");
        let d2 = policy.delay_after(2, &error).expect("retry 2");
        let d3 = policy.delay_after(3, &error).expect("retry 3");
        assert!(
            (Duration::from_millis(50)..=Duration::from_millis(100)).contains(&d1),
            "{d1:?}"
        );
        assert!(
            (Duration::from_millis(100)..=Duration::from_millis(200)).contains(&d2),
            "{d2:?}"
        );
        assert!(
            (Duration::from_millis(150)..=Duration::from_millis(300)).contains(&d3),
            "{d3:?}"
        );
        assert_eq!(policy.delay_after(4, &error), None);
        assert_eq!(RetryPolicy::none().delay_after(1, &error), None);
    }

    #[test]
    fn retry_after_is_honoured_within_the_cap_and_non_retryable_errors_stop() {
        let policy = RetryPolicy::attempts(3).with_max_retry_after(Duration::from_secs(5));
        let wait = unexpected(429, Some(Duration::from_secs(2)));
        assert_eq!(policy.delay_after(1, &wait), Some(Duration::from_secs(2)));
        assert_eq!(
            policy.delay_after(1, &unexpected(429, Some(Duration::from_secs(60)))),
            None
        );
        assert_eq!(policy.delay_after(1, &unexpected(409, None)), None);
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
