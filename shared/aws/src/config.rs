//! Configuration read once from the environment in `main`, failing fast with a clear message.

use std::env;

use crate::tls::TrustedRoots;

/// Everything the functions need to know about their deployment.
#[derive(Clone, Debug)]
pub struct Config {
    pub table: String,
    pub bus: String,
    pub sender_email: String,
    pub ses_configuration_set: Option<String>,
    pub sms_origination: Option<String>,
    pub schedule_group: String,
    pub scheduler_role_arn: String,
    pub dispatch_arn: String,
    pub daily_cap: usize,
    pub reminder_minutes: i64,
    pub claim_lease_seconds: i64,
    pub tls_roots: TrustedRoots,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|k| env::var(k).ok())
    }

    /// Reads the configuration through `get`, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let required = |k: &str| {
            get(k)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| ConfigError(format!("{k} is not set; see template.yaml for what it should hold")))
        };
        let optional = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let daily_cap = match optional("FOREWARN_DAILY_CAP") {
            None => 2,
            Some(v) => v
                .parse()
                .map_err(|_| ConfigError(format!("FOREWARN_DAILY_CAP must be a whole number, not {v:?}")))?,
        };
        let reminder_minutes = match optional("FOREWARN_REMINDER_MINUTES") {
            None => 15,
            Some(v) => v.parse().ok().filter(|m| (1..=1440).contains(m)).ok_or_else(|| {
                ConfigError(format!(
                    "FOREWARN_REMINDER_MINUTES must be a whole number of minutes from 1 to 1440, not {v:?}"
                ))
            })?,
        };
        let claim_lease_seconds = match optional("FOREWARN_CLAIM_LEASE_SECONDS") {
            None => forewarn_core::service::CLAIM_LEASE_SECONDS,
            Some(v) => v.parse().ok().filter(|s| (1..=900).contains(s)).ok_or_else(|| {
                ConfigError(format!(
                    "FOREWARN_CLAIM_LEASE_SECONDS must be a whole number of seconds from 1 to 900, not {v:?}"
                ))
            })?,
        };
        let tls_roots = match optional("FOREWARN_TLS_ROOTS") {
            None => TrustedRoots::default(),
            Some(v) => TrustedRoots::parse(&v).map_err(ConfigError)?,
        };
        Ok(Config {
            table: required("FOREWARN_TABLE")?,
            bus: required("FOREWARN_BUS")?,
            sender_email: required("FOREWARN_SENDER_EMAIL")?,
            ses_configuration_set: optional("FOREWARN_SES_CONFIGURATION_SET"),
            sms_origination: optional("FOREWARN_SMS_ORIGINATION"),
            schedule_group: required("FOREWARN_SCHEDULE_GROUP")?,
            scheduler_role_arn: required("FOREWARN_SCHEDULER_ROLE_ARN")?,
            dispatch_arn: required("FOREWARN_DISPATCH_ARN")?,
            daily_cap,
            reminder_minutes,
            claim_lease_seconds,
            tls_roots,
        })
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

    #[test]
    fn a_complete_environment_gives_a_config_with_defaults() {
        let env = full();
        let c = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!((c.daily_cap, c.reminder_minutes), (2, 15));
        assert_eq!(c.sms_origination, None);
        assert_eq!(c.tls_roots, TrustedRoots::Aws);
    }

    #[test]
    fn the_system_trust_store_can_be_chosen_and_a_bad_choice_is_named() {
        let mut env = full();
        env.insert("FOREWARN_TLS_ROOTS", "system");
        let c = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(c.tls_roots, TrustedRoots::System);
        env.insert("FOREWARN_TLS_ROOTS", "amazon");
        let err = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap_err();
        assert!(err.to_string().contains("FOREWARN_TLS_ROOTS"), "{err}");
    }

    #[test]
    fn a_missing_variable_is_named() {
        let mut env = full();
        env.remove("FOREWARN_TABLE");
        let err = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap_err();
        assert!(err.to_string().contains("FOREWARN_TABLE is not set"), "{err}");
    }

    #[test]
    fn a_reminder_delay_out_of_range_is_named() {
        let mut env = full();
        env.insert("FOREWARN_REMINDER_MINUTES", "0");
        let err = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap_err();
        assert!(err.to_string().contains("FOREWARN_REMINDER_MINUTES"), "{err}");
    }

    #[test]
    fn a_bad_cap_is_named() {
        let mut env = full();
        env.insert("FOREWARN_DAILY_CAP", "two");
        let err = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap_err();
        assert!(err.to_string().contains("FOREWARN_DAILY_CAP"), "{err}");
    }
}
