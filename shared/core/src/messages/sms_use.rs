//! The SMS use case of a message (security or reminders), from its traits: the one mapping that picks the SMS configuration set.

use crate::kinds::Urgency;

use super::Traits;

/// What an SMS is for, as the provider's configuration sets see it: each use case has its
/// own configuration set (event destination, protect configuration, spend and country rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SmsUse {
    /// A critical or high-urgency alert, or anything of the `security` category: fraud
    /// alerts, one-time confirmations.
    Security,
    /// Everything else: balances, delays, reminders.
    Reminders,
}

impl SmsUse {
    pub const ALL: [SmsUse; 2] = [SmsUse::Security, SmsUse::Reminders];

    /// The use case of a message of these traits; a message without traits (an automatic
    /// answer to an inbound text) is a reminder.
    pub fn of(traits: Option<&Traits>) -> SmsUse {
        match traits {
            Some(t) if matches!(t.urgency, Urgency::Critical | Urgency::High) || t.category.as_str() == "security" => {
                SmsUse::Security
            }
            _ => SmsUse::Reminders,
        }
    }

    /// The key naming the use case's configuration set (`security`, `reminders`).
    pub fn as_str(self) -> &'static str {
        match self {
            SmsUse::Security => "security",
            SmsUse::Reminders => "reminders",
        }
    }
}

impl std::fmt::Display for SmsUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Category;

    fn traits(category: &str, urgency: Urgency) -> Traits {
        Traits {
            kind: "K".into(),
            category: Category::parse(category).unwrap(),
            urgency,
            subject: "account:a-1".into(),
            question: false,
        }
    }

    #[test]
    fn urgent_or_security_messages_use_the_security_set_and_the_rest_reminders() {
        assert_eq!(
            SmsUse::of(Some(&traits("account", Urgency::Critical))),
            SmsUse::Security
        );
        assert_eq!(SmsUse::of(Some(&traits("travel", Urgency::High))), SmsUse::Security);
        assert_eq!(SmsUse::of(Some(&traits("security", Urgency::Low))), SmsUse::Security);
        assert_eq!(SmsUse::of(Some(&traits("account", Urgency::Normal))), SmsUse::Reminders);
        assert_eq!(SmsUse::of(None), SmsUse::Reminders);
        assert_eq!(SmsUse::Security.as_str(), "security");
    }
}
