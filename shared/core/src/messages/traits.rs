//! What a rendered message is about, for the providers: its kind, category, urgency and subject.

use serde::{Deserialize, Serialize};

use crate::kinds::{Category, Urgency};

/// The catalog facts a provider adapter needs to send a message the way its platform means it:
/// push interruption and grouping, the SMS configuration set, the email configuration set and
/// unsubscribe headers. Carried on the message and on its stored row, so a retry, a failover
/// or a reminder sends with the same facts. No customer data: the subject names an event's
/// identifiers (`transaction:tx-1`), never a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traits {
    /// The kind's detail type (`SuspiciousTransaction`).
    pub kind: String,
    pub category: Category,
    pub urgency: Urgency,
    /// What the message is about (`transaction:tx-1`): a later message of the same subject
    /// replaces this one.
    pub subject: String,
    /// The customer is asked to answer (a question).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub question: bool,
}
