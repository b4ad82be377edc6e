//! Configuration read once from the environment in `main`, failing fast with a clear
//! message. Each function reads only the settings its flow needs.

use std::env;

use forewarn_core::messages::SmsReplies;
use forewarn_core::messages::safe::LinkHosts;
use forewarn_core::policy::Policy;

use crate::tls::TrustedRoots;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

/// Which instant a function decides at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// The moment the input arrives: production.
    #[default]
    Wall,
    /// The input's own time (the event's `time`, the SMS's SNS timestamp, the time a schedule's
    /// firing was scheduled for): replaying recorded events into a staging stack, and the
    /// parity test.
    Event,
}

impl Clock {
    /// `now` on the wall clock, or the input's own time.
    pub fn at(self, input_time: jiff::Timestamp, wall: jiff::Timestamp) -> jiff::Timestamp {
        match self {
            Clock::Wall => wall,
            Clock::Event => input_time,
        }
    }
}

/// Which service sends texts (`FOREWARN_SMS_PROVIDER`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SmsProvider {
    /// `end-user-messaging` (the default): AWS End User Messaging SMS, with a configuration
    /// set per use case whose events settle the rows.
    #[default]
    EndUserMessaging,
    /// `sns`: SNS `Publish` to a number, the documented fallback (no delivery events).
    Sns,
}

/// The End User Messaging SMS settings of a function that sends texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EumSettings {
    pub sets: crate::sms::ConfigurationSets,
    pub max_price: Option<String>,
}

/// How much longer than a function's timeout a lease must last: half the timeout, at least
/// 10 s, for clock skew between workers and the time a settle takes after the send.
pub fn lease_margin(timeout_seconds: i64) -> i64 {
    (timeout_seconds / 2).max(10)
}

/// The process environment, or any lookup (so tests need not touch the process environment).
pub struct Env<F> {
    get: F,
}

impl Env<fn(&str) -> Option<String>> {
    /// The process environment.
    pub fn process() -> Self {
        Env {
            get: |k| env::var(k).ok(),
        }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub fn from_lookup(get: F) -> Self {
        Env { get }
    }

    /// `FOREWARN_METRICS_NAMESPACE`: the CloudWatch namespace of the metrics.
    pub fn metrics_namespace(&self) -> String {
        self.optional("FOREWARN_METRICS_NAMESPACE")
            .unwrap_or_else(|| crate::emf::DEFAULT_NAMESPACE.to_owned())
    }

    /// A setting that must be there.
    pub fn required(&self, k: &str) -> Result<String, ConfigError> {
        self.optional(k)
            .ok_or_else(|| ConfigError(format!("{k} is not set; see template.yaml for what it should hold")))
    }

    /// A setting that may be left out (empty counts as left out).
    pub fn optional(&self, k: &str) -> Option<String> {
        (self.get)(k).filter(|v| !v.trim().is_empty())
    }

    /// A whole number in `range`, or `default` when left out.
    fn number(
        &self,
        k: &str,
        default: i64,
        range: std::ops::RangeInclusive<i64>,
        unit: &str,
    ) -> Result<i64, ConfigError> {
        match self.optional(k) {
            None => Ok(default),
            Some(v) => v.parse().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                ConfigError(format!(
                    "{k} must be a whole number of {unit} from {} to {}, not {v:?}",
                    range.start(),
                    range.end()
                ))
            }),
        }
    }

    /// `FOREWARN_DAILY_CAP` and `FOREWARN_REMINDER_MINUTES`.
    pub fn policy(&self) -> Result<Policy, ConfigError> {
        let daily_cap = match self.optional("FOREWARN_DAILY_CAP") {
            None => Policy::default().daily_cap,
            Some(v) => v
                .parse()
                .map_err(|_| ConfigError(format!("FOREWARN_DAILY_CAP must be a whole number, not {v:?}")))?,
        };
        let reminder_minutes = self.number("FOREWARN_REMINDER_MINUTES", 15, 1..=1440, "minutes")?;
        Ok(Policy {
            daily_cap,
            reminder_minutes,
        })
    }

    /// `FOREWARN_LINK_HOSTS`: comma-separated host suffixes that producer links (resume,
    /// rebooking, push deep link) may lead to; unset or empty, any https host.
    pub fn link_hosts(&self) -> Result<LinkHosts, ConfigError> {
        let list = self.optional("FOREWARN_LINK_HOSTS").unwrap_or_default();
        LinkHosts::parse(&list).map_err(|e| ConfigError(format!("FOREWARN_LINK_HOSTS: {e}")))
    }

    /// Whether SMS questions can be answered by SMS: not when `FOREWARN_SMS_ORIGINATION` is an
    /// alphanumeric sender id (only a number, `+…`, receives replies), nor when
    /// `FOREWARN_SMS_TWO_WAY` is `false` (a number without two-way SMS). The account default
    /// (unset) is taken to be a two-way number.
    pub fn sms_replies(&self) -> Result<SmsReplies, ConfigError> {
        let numbered = self
            .optional("FOREWARN_SMS_ORIGINATION")
            .is_none_or(|o| o.trim_start().starts_with('+'));
        let two_way = match self.optional("FOREWARN_SMS_TWO_WAY").as_deref() {
            None | Some("true") => true,
            Some("false") => false,
            Some(v) => {
                return Err(ConfigError(format!(
                    "FOREWARN_SMS_TWO_WAY must be true or false, not {v:?}"
                )));
            }
        };
        Ok(match numbered && two_way {
            true => SmsReplies::Received,
            false => SmsReplies::Impossible,
        })
    }

    /// `FOREWARN_CLAIM_LEASE_SECONDS`: how long a claim or a row's send lease keeps other
    /// workers off. When `FOREWARN_FUNCTION_TIMEOUT_SECONDS` (the function's `Timeout`) is
    /// set, the lease must outlast it by [`lease_margin`]: a worker still sending when its
    /// lease runs out could send beside the one that takes the row over.
    pub fn lease_seconds(&self) -> Result<i64, ConfigError> {
        let lease = self.number(
            "FOREWARN_CLAIM_LEASE_SECONDS",
            forewarn_flows::service::CLAIM_LEASE_SECONDS,
            1..=900,
            "seconds",
        )?;
        let Some(timeout) = self
            .optional("FOREWARN_FUNCTION_TIMEOUT_SECONDS")
            .map(|_| self.number("FOREWARN_FUNCTION_TIMEOUT_SECONDS", 0, 1..=900, "seconds"))
            .transpose()?
        else {
            return Ok(lease);
        };
        let least = timeout + lease_margin(timeout);
        if lease < least {
            return Err(ConfigError(format!(
                "FOREWARN_CLAIM_LEASE_SECONDS ({lease}) must be at least {least}: the function's timeout \
                 (FOREWARN_FUNCTION_TIMEOUT_SECONDS, {timeout}) plus a margin of {}",
                lease_margin(timeout)
            )));
        }
        Ok(lease)
    }

    /// `FOREWARN_SMS_SELF_MANAGED_OPT_OUTS`: `true` when the origination number's opt-outs are
    /// self-managed (forewarn answers STOP, START and HELP), `false` (the default) when AWS
    /// manages them and answers those keywords itself.
    pub fn self_managed_opt_outs(&self) -> Result<bool, ConfigError> {
        const K: &str = "FOREWARN_SMS_SELF_MANAGED_OPT_OUTS";
        match self.optional(K).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(ConfigError(format!("{K} must be true or false"))),
        }
    }

    /// `FOREWARN_SMS_AUTO_ANSWERS_PER_DAY`: how many automatic answers a number gets per 24 h
    /// outside answers to questions and opt-out or opt-in confirmations (and, counted apart,
    /// how many help texts); 1 by default, 0 for none.
    pub fn auto_answers_per_day(&self) -> Result<u32, ConfigError> {
        let default = i64::from(forewarn_flows::service::AUTO_ANSWERS_PER_DAY);
        let n = self.number("FOREWARN_SMS_AUTO_ANSWERS_PER_DAY", default, 0..=100, "answers")?;
        Ok(u32::try_from(n).unwrap_or_default())
    }

    /// `FOREWARN_SMS_PROVIDER`: `end-user-messaging` (the default) or `sns`.
    pub fn sms_provider(&self) -> Result<SmsProvider, ConfigError> {
        match self.optional("FOREWARN_SMS_PROVIDER").as_deref().map(str::trim) {
            None | Some("end-user-messaging") => Ok(SmsProvider::EndUserMessaging),
            Some("sns") => Ok(SmsProvider::Sns),
            Some(v) => Err(ConfigError(format!(
                "FOREWARN_SMS_PROVIDER must be end-user-messaging or sns, not {v:?}"
            ))),
        }
    }

    /// The End User Messaging SMS settings when it is the provider (none for `sns`):
    /// `FOREWARN_SMS_CONFIGURATION_SET_SECURITY` and `FOREWARN_SMS_CONFIGURATION_SET_REMINDERS`
    /// (required), `FOREWARN_SMS_MAX_PRICE` (optional; `[0-9]{0,2}.[0-9]{1,5}`, the API's form).
    pub fn eum_settings(&self) -> Result<Option<EumSettings>, ConfigError> {
        if self.sms_provider()? == SmsProvider::Sns {
            return Ok(None);
        }
        let sets = crate::sms::ConfigurationSets {
            security: self.required("FOREWARN_SMS_CONFIGURATION_SET_SECURITY")?,
            reminders: self.required("FOREWARN_SMS_CONFIGURATION_SET_REMINDERS")?,
        };
        let max_price = self.optional("FOREWARN_SMS_MAX_PRICE").map(|v| v.trim().to_owned());
        if let Some(p) = &max_price
            && !is_price(p)
        {
            return Err(ConfigError(format!(
                "FOREWARN_SMS_MAX_PRICE must be a price per part such as 0.05000 (up to 2 digits, a point, 1 to 5 digits), not {p:?}"
            )));
        }
        Ok(Some(EumSettings { sets, max_price }))
    }

    /// `FOREWARN_CLOCK`: `wall` (the default) or `event`.
    pub fn clock(&self) -> Result<Clock, ConfigError> {
        match self.optional("FOREWARN_CLOCK").as_deref() {
            None | Some("wall") => Ok(Clock::Wall),
            Some("event") => Ok(Clock::Event),
            Some(v) => Err(ConfigError(format!("FOREWARN_CLOCK must be wall or event, not {v:?}"))),
        }
    }

    /// `FOREWARN_TLS_ROOTS`: `aws` (the default) or `system`.
    pub fn tls_roots(&self) -> Result<TrustedRoots, ConfigError> {
        match self.optional("FOREWARN_TLS_ROOTS") {
            None => Ok(TrustedRoots::default()),
            Some(v) => TrustedRoots::parse(&v).map_err(ConfigError),
        }
    }
}

/// `SendTextMessage`'s `MaxPrice` form: up to 2 digits, a point, 1 to 5 digits.
fn is_price(p: &str) -> bool {
    let digits = |s: &str, most: usize| s.len() <= most && s.chars().all(|c| c.is_ascii_digit());
    match p.split_once('.') {
        Some((whole, part)) => digits(whole, 2) && !part.is_empty() && digits(part, 5),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn full() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("FOREWARN_TABLE", "t"),
            ("FOREWARN_BUS", "b"),
            ("FOREWARN_SENDER_EMAIL", "alerts@bank.example"),
            ("FOREWARN_SCHEDULE_GROUP", "g"),
            ("FOREWARN_SCHEDULER_ROLE_ARN", "arn:aws:iam::1:role/r"),
            ("FOREWARN_DISPATCH_ARN", "arn:aws:lambda:eu-west-1:1:function:d"),
        ])
    }

    fn env<'a>(vars: &'a HashMap<&'static str, &'static str>) -> Env<impl Fn(&str) -> Option<String> + 'a> {
        Env::from_lookup(|k: &str| vars.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn a_complete_environment_gives_the_settings_with_defaults() {
        let vars = full();
        let e = env(&vars);
        let p = e.policy().unwrap();
        assert_eq!((p.daily_cap, p.reminder_minutes), (2, 15));
        assert_eq!(e.optional("FOREWARN_SMS_ORIGINATION"), None);
        assert_eq!(e.tls_roots().unwrap(), TrustedRoots::Aws);
        assert_eq!(e.lease_seconds().unwrap(), 60);
    }

    #[test]
    fn the_system_trust_store_can_be_chosen_and_a_bad_choice_is_named() {
        let mut vars = full();
        vars.insert("FOREWARN_TLS_ROOTS", "system");
        assert_eq!(env(&vars).tls_roots().unwrap(), TrustedRoots::System);
        vars.insert("FOREWARN_TLS_ROOTS", "amazon");
        let err = env(&vars).tls_roots().unwrap_err();
        assert!(err.to_string().contains("FOREWARN_TLS_ROOTS"), "{err}");
    }

    #[test]
    fn a_missing_variable_is_named() {
        let mut vars = full();
        vars.remove("FOREWARN_TABLE");
        let err = env(&vars).required("FOREWARN_TABLE").unwrap_err();
        assert!(err.to_string().contains("FOREWARN_TABLE is not set"), "{err}");
    }

    #[test]
    fn a_reminder_delay_out_of_range_is_named() {
        let mut vars = full();
        vars.insert("FOREWARN_REMINDER_MINUTES", "0");
        let err = env(&vars).policy().unwrap_err();
        assert!(err.to_string().contains("FOREWARN_REMINDER_MINUTES"), "{err}");
    }

    #[test]
    fn a_bad_cap_is_named() {
        let mut vars = full();
        vars.insert("FOREWARN_DAILY_CAP", "two");
        let err = env(&vars).policy().unwrap_err();
        assert!(err.to_string().contains("FOREWARN_DAILY_CAP"), "{err}");
    }

    #[test]
    fn the_clock_is_the_wall_clock_unless_replaying_at_event_time() {
        let mut vars = full();
        assert_eq!(env(&vars).clock().unwrap(), Clock::Wall);
        vars.insert("FOREWARN_CLOCK", "event");
        let c = env(&vars).clock().unwrap();
        let (event, wall) = ("2026-11-23T08:00:00Z".parse().unwrap(), jiff::Timestamp::now());
        assert_eq!(c.at(event, wall), event);
        vars.insert("FOREWARN_CLOCK", "virtual");
        assert!(env(&vars).clock().unwrap_err().to_string().contains("FOREWARN_CLOCK"));
    }

    #[test]
    fn opt_outs_are_managed_by_aws_unless_the_setting_says_self_managed() {
        let mut vars = full();
        assert!(!env(&vars).self_managed_opt_outs().unwrap());
        for (v, want) in [("true", true), ("TRUE", true), ("false", false), (" ", false)] {
            vars.insert("FOREWARN_SMS_SELF_MANAGED_OPT_OUTS", v);
            assert_eq!(env(&vars).self_managed_opt_outs().unwrap(), want, "{v:?}");
        }
        vars.insert("FOREWARN_SMS_SELF_MANAGED_OPT_OUTS", "yes");
        let err = env(&vars).self_managed_opt_outs().unwrap_err();
        assert!(
            err.to_string()
                .contains("FOREWARN_SMS_SELF_MANAGED_OPT_OUTS must be true or false"),
            "{err}"
        );
    }

    #[test]
    fn an_alphanumeric_sender_or_a_one_way_number_cannot_receive_answers_and_a_bad_flag_is_named() {
        let mut vars = full();
        vars.remove("FOREWARN_SMS_ORIGINATION");
        assert_eq!(env(&vars).sms_replies().unwrap(), SmsReplies::Received);
        vars.insert("FOREWARN_SMS_ORIGINATION", "+15550100123");
        assert_eq!(env(&vars).sms_replies().unwrap(), SmsReplies::Received);
        vars.insert("FOREWARN_SMS_TWO_WAY", "false");
        assert_eq!(env(&vars).sms_replies().unwrap(), SmsReplies::Impossible);
        vars.insert("FOREWARN_SMS_TWO_WAY", "true");
        vars.insert("FOREWARN_SMS_ORIGINATION", "ExampleBnk");
        assert_eq!(env(&vars).sms_replies().unwrap(), SmsReplies::Impossible);
        vars.insert("FOREWARN_SMS_TWO_WAY", "yes");
        let err = env(&vars).sms_replies().unwrap_err();
        assert!(
            err.to_string().contains("FOREWARN_SMS_TWO_WAY must be true or false"),
            "{err}"
        );
    }

    #[test]
    fn link_hosts_allow_any_https_host_unless_listed_and_a_bad_entry_is_named() {
        let mut vars = full();
        assert!(env(&vars).link_hosts().unwrap().is_any());
        vars.insert("FOREWARN_LINK_HOSTS", "bank.example, air.example");
        assert_eq!(
            env(&vars).link_hosts().unwrap(),
            LinkHosts::parse("bank.example,air.example").unwrap()
        );
        vars.insert("FOREWARN_LINK_HOSTS", "https://bank.example");
        let err = env(&vars).link_hosts().unwrap_err();
        assert!(
            err.to_string().contains("FOREWARN_LINK_HOSTS: not a host name"),
            "{err}"
        );
    }

    #[test]
    fn a_lease_that_does_not_outlast_the_function_s_timeout_is_refused_naming_both() {
        let mut vars = full();
        vars.insert("FOREWARN_FUNCTION_TIMEOUT_SECONDS", "15");
        assert_eq!(
            env(&vars).lease_seconds().unwrap(),
            60,
            "the default outlasts 15 s by 45"
        );
        vars.insert("FOREWARN_CLAIM_LEASE_SECONDS", "24");
        let err = env(&vars).lease_seconds().unwrap_err().to_string();
        assert!(
            err.contains("FOREWARN_CLAIM_LEASE_SECONDS (24) must be at least 25"),
            "{err}"
        );
        assert!(err.contains("FOREWARN_FUNCTION_TIMEOUT_SECONDS, 15"), "{err}");
        vars.insert("FOREWARN_CLAIM_LEASE_SECONDS", "25");
        assert_eq!(env(&vars).lease_seconds().unwrap(), 25);
        vars.insert("FOREWARN_FUNCTION_TIMEOUT_SECONDS", "soon");
        assert!(env(&vars).lease_seconds().is_err());
    }

    #[test]
    fn end_user_messaging_is_the_default_sms_provider_and_needs_both_configuration_sets() {
        let mut vars = full();
        assert_eq!(env(&vars).sms_provider().unwrap(), SmsProvider::EndUserMessaging);
        let err = env(&vars).eum_settings().unwrap_err().to_string();
        assert!(
            err.contains("FOREWARN_SMS_CONFIGURATION_SET_SECURITY is not set"),
            "{err}"
        );
        vars.insert("FOREWARN_SMS_CONFIGURATION_SET_SECURITY", "forewarn-security");
        vars.insert("FOREWARN_SMS_CONFIGURATION_SET_REMINDERS", "forewarn-reminders");
        let s = env(&vars).eum_settings().unwrap().unwrap();
        assert_eq!((s.sets.security.as_str(), s.max_price), ("forewarn-security", None));
        vars.insert("FOREWARN_SMS_MAX_PRICE", "0.05000");
        let s = env(&vars).eum_settings().unwrap().unwrap();
        assert_eq!(s.max_price.as_deref(), Some("0.05000"));
        for bad in ["five cents", "100.0", "0.123456", "1"] {
            vars.insert("FOREWARN_SMS_MAX_PRICE", bad);
            let err = env(&vars).eum_settings().unwrap_err().to_string();
            assert!(err.contains("FOREWARN_SMS_MAX_PRICE"), "{bad}: {err}");
        }
        vars.insert("FOREWARN_SMS_PROVIDER", "sns");
        assert_eq!(env(&vars).eum_settings().unwrap(), None);
        vars.insert("FOREWARN_SMS_PROVIDER", "pinpoint");
        let err = env(&vars).sms_provider().unwrap_err().to_string();
        assert!(
            err.contains("FOREWARN_SMS_PROVIDER must be end-user-messaging or sns"),
            "{err}"
        );
    }

    #[test]
    fn a_lease_out_of_range_is_named() {
        let mut vars = full();
        vars.insert("FOREWARN_CLAIM_LEASE_SECONDS", "3600");
        let err = env(&vars).lease_seconds().unwrap_err();
        assert!(err.to_string().contains("FOREWARN_CLAIM_LEASE_SECONDS"), "{err}");
    }
}
