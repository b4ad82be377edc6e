//! Every key of the table, spelled once: `Pk` and `Sk` write the stored strings (`Display`) and read them back (`parse`).

use std::fmt;

use forewarn_core::customer::Channel;
use forewarn_core::outcomes::DispatchRequest;
use forewarn_core::types::Id;
use forewarn_flows::records::{AnswerCount, Question};

/// A partition key: a customer's partition, a phone number's, or a partition of the sparse
/// `Pending` index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pk {
    /// `CUSTOMER#<id>`: the profile, devices, claims, rows, opt-outs, habits, resolutions.
    Customer(Id),
    /// `PHONE#<e164>`: which customers have the number, the questions sent to it, its
    /// counted automatic answers.
    Phone(String),
    /// `PENDING#<day>#<shard>`: the index partition of rows pending on a day (`YYYY-MM-DD`).
    Pending { day: String, shard: u32 },
    /// `TOKEN#<platform>#<token>`: which customer's device holds a push token.
    Token { platform: String, token: String },
    /// `ENDPOINT#<endpoint arn>`: which customer's device holds an SNS platform endpoint, for
    /// what SNS says about the endpoint (push feedback).
    Endpoint(String),
}

/// A sort key, under the partition its comment names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sk {
    /// `PROFILE` (customer): the profile without its devices.
    Profile,
    /// `DECISIONS` (customer): how many decisions wrote rows.
    Decisions,
    /// `EVENT#<event_id>` (customer): the event's idempotency claim.
    Event(Id),
    /// `DEVICE#<device_id>` (customer).
    Device(Id),
    /// `ACTIVITY#<device_id>` (customer): the device's learned habits.
    Activity(Id),
    /// `OPTOUT#<channel>` (customer).
    OptOut(Channel),
    /// `OPTIN#<channel>` (customer): a STOP taken back.
    OptIn(Channel),
    /// `UNUSABLE#<channel>#<address, lower case>` (customer).
    Unusable { channel: Channel, address: String },
    /// `DELIVERY#<subject>#<event_id>#<channel>[#device#<device_id>][#reminder]` (customer).
    Delivery(DeliveryKey),
    /// `RESOLVED#<subject>` (customer).
    Resolved(String),
    /// `CUSTOMER#<id>` (phone): the number is this customer's.
    Customer(Id),
    /// `QUESTION#<asked at, epoch ms, 15 digits>#<event_id>` (phone): newest sorts last.
    Question { asked_ms: i64, event_id: Id },
    /// `ANSWERS#<count>` (phone): a counted window of automatic answers.
    Answers(AnswerCount),
    /// `REGISTRATION#<device_id>` (customer): the device's push registration, or the marker
    /// of its removal, with the stamp of the change that made it.
    Registration(Id),
    /// `ERASED` (customer): the marker an erasure leaves, without personal data.
    Erased,
    /// `OWNER` (token, endpoint): the customer and device that hold the token or endpoint.
    Owner,
}

/// What names a delivery row within its customer's partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryKey {
    pub subject: String,
    pub event_id: Id,
    pub channel: Channel,
    pub device_id: Option<Id>,
    pub reminder: bool,
}

/// Why a stored key could not be read. No variant repeats the key: a phone number or an
/// address may be in it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No format of this table (or one a later version added): readers skip it.
    #[error("no key format of this table")]
    Unknown,
    /// A known format with a part that does not parse.
    #[error("a {format} key whose {part} does not parse")]
    Malformed { format: &'static str, part: &'static str },
}

const CUSTOMER: &str = "CUSTOMER#";
const PHONE: &str = "PHONE#";
const PENDING: &str = "PENDING#";
const PROFILE: &str = "PROFILE";
const DECISIONS: &str = "DECISIONS";
const EVENT: &str = "EVENT#";
const DEVICE: &str = "DEVICE#";
const ACTIVITY: &str = "ACTIVITY#";
const OPTOUT: &str = "OPTOUT#";
const OPTIN: &str = "OPTIN#";
const UNUSABLE: &str = "UNUSABLE#";
const DELIVERY: &str = "DELIVERY#";
const RESOLVED: &str = "RESOLVED#";
const QUESTION: &str = "QUESTION#";
const ANSWERS: &str = "ANSWERS#";
const TOKEN: &str = "TOKEN#";
const ENDPOINT: &str = "ENDPOINT#";
const REGISTRATION: &str = "REGISTRATION#";
const ERASED: &str = "ERASED";
const OWNER: &str = "OWNER";
const ON_DEVICE: &str = "#device#";
const REMINDER: &str = "#reminder";

impl Pk {
    pub fn customer(id: &Id) -> Pk {
        Pk::Customer(id.clone())
    }

    pub fn phone(e164: &str) -> Pk {
        Pk::Phone(e164.to_owned())
    }

    pub fn parse(key: &str) -> Result<Pk, KeyError> {
        if let Some(id) = key.strip_prefix(CUSTOMER) {
            return id_of(id, "customer", "id").map(Pk::Customer);
        }
        if let Some(e164) = key.strip_prefix(PHONE) {
            return Ok(Pk::Phone(e164.to_owned()));
        }
        if let Some(arn) = key.strip_prefix(ENDPOINT) {
            return Ok(Pk::Endpoint(arn.to_owned()));
        }
        if let Some(rest) = key.strip_prefix(TOKEN) {
            let (platform, token) = rest.split_once('#').ok_or(KeyError::Malformed {
                format: "token",
                part: "platform",
            })?;
            return Ok(Pk::Token {
                platform: platform.to_owned(),
                token: token.to_owned(),
            });
        }
        let Some(rest) = key.strip_prefix(PENDING) else {
            return Err(KeyError::Unknown);
        };
        let malformed = || KeyError::Malformed {
            format: "pending",
            part: "shard",
        };
        let (day, shard) = rest.rsplit_once('#').ok_or_else(malformed)?;
        let shard = shard.parse().map_err(|_| malformed())?;
        Ok(Pk::Pending {
            day: day.to_owned(),
            shard,
        })
    }
}

impl fmt::Display for Pk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pk::Customer(id) => write!(f, "{CUSTOMER}{id}"),
            Pk::Phone(e164) => write!(f, "{PHONE}{e164}"),
            Pk::Pending { day, shard } => write!(f, "{PENDING}{day}#{shard}"),
            Pk::Token { platform, token } => write!(f, "{TOKEN}{platform}#{token}"),
            Pk::Endpoint(arn) => write!(f, "{ENDPOINT}{arn}"),
        }
    }
}

impl Sk {
    /// The prefix every delivery row's key starts with, for a `begins_with` condition.
    pub const DELIVERIES: &str = DELIVERY;

    pub fn delivery(key: &DispatchRequest) -> Sk {
        Sk::Delivery(DeliveryKey {
            subject: key.subject.clone(),
            event_id: key.event_id.clone(),
            channel: key.channel,
            device_id: key.device_id.clone(),
            reminder: key.reminder,
        })
    }

    pub fn question(q: &Question) -> Sk {
        Sk::Question {
            asked_ms: q.asked_at.as_millisecond().max(0),
            event_id: q.event_id.clone(),
        }
    }

    /// An address known to be unusable, kept in lower case so that one spelling is one key.
    pub fn unusable(channel: Channel, address: &str) -> Sk {
        Sk::Unusable {
            channel,
            address: address.to_ascii_lowercase(),
        }
    }

    pub fn parse(key: &str) -> Result<Sk, KeyError> {
        match key {
            PROFILE => return Ok(Sk::Profile),
            DECISIONS => return Ok(Sk::Decisions),
            ERASED => return Ok(Sk::Erased),
            OWNER => return Ok(Sk::Owner),
            _ => {}
        }
        let (prefix, rest) = key.find('#').map(|i| key.split_at(i + 1)).ok_or(KeyError::Unknown)?;
        match prefix {
            EVENT => id_of(rest, "claim", "event id").map(Sk::Event),
            DEVICE => id_of(rest, "device", "device id").map(Sk::Device),
            ACTIVITY => id_of(rest, "activity", "device id").map(Sk::Activity),
            OPTOUT => channel_of(rest, "opt-out").map(Sk::OptOut),
            OPTIN => channel_of(rest, "opt-in").map(Sk::OptIn),
            UNUSABLE => {
                let (channel, address) = rest.split_once('#').ok_or(KeyError::Malformed {
                    format: "unusable contact",
                    part: "address",
                })?;
                Ok(Sk::Unusable {
                    channel: channel_of(channel, "unusable contact")?,
                    address: address.to_owned(),
                })
            }
            DELIVERY => delivery_of(rest).map(Sk::Delivery),
            RESOLVED => Ok(Sk::Resolved(rest.to_owned())),
            CUSTOMER => id_of(rest, "phone link", "customer id").map(Sk::Customer),
            QUESTION => question_of(rest),
            // A count this version does not know is another version's: skipped.
            ANSWERS => AnswerCount::parse(rest).map(Sk::Answers).ok_or(KeyError::Unknown),
            REGISTRATION => id_of(rest, "registration", "device id").map(Sk::Registration),
            _ => Err(KeyError::Unknown),
        }
    }
}

impl fmt::Display for Sk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sk::Profile => f.write_str(PROFILE),
            Sk::Decisions => f.write_str(DECISIONS),
            Sk::Event(id) => write!(f, "{EVENT}{id}"),
            Sk::Device(id) => write!(f, "{DEVICE}{id}"),
            Sk::Activity(id) => write!(f, "{ACTIVITY}{id}"),
            Sk::OptOut(channel) => write!(f, "{OPTOUT}{channel}"),
            Sk::OptIn(channel) => write!(f, "{OPTIN}{channel}"),
            Sk::Unusable { channel, address } => write!(f, "{UNUSABLE}{channel}#{address}"),
            Sk::Delivery(d) => {
                write!(f, "{DELIVERY}{}#{}#{}", d.subject, d.event_id, d.channel)?;
                if let Some(device) = &d.device_id {
                    write!(f, "{ON_DEVICE}{device}")?;
                }
                if d.reminder { f.write_str(REMINDER) } else { Ok(()) }
            }
            Sk::Resolved(subject) => write!(f, "{RESOLVED}{subject}"),
            Sk::Customer(id) => write!(f, "{CUSTOMER}{id}"),
            Sk::Question { asked_ms, event_id } => write!(f, "{QUESTION}{asked_ms:015}#{event_id}"),
            Sk::Answers(count) => write!(f, "{ANSWERS}{}", count.as_str()),
            Sk::Registration(id) => write!(f, "{REGISTRATION}{id}"),
            Sk::Erased => f.write_str(ERASED),
            Sk::Owner => f.write_str(OWNER),
        }
    }
}

fn id_of(text: &str, format: &'static str, part: &'static str) -> Result<Id, KeyError> {
    Id::parse(text).map_err(|_| KeyError::Malformed { format, part })
}

fn channel_of(text: &str, format: &'static str) -> Result<Channel, KeyError> {
    [Channel::Sms, Channel::Push, Channel::Email]
        .into_iter()
        .find(|c| c.as_str() == text)
        .ok_or(KeyError::Malformed {
            format,
            part: "channel",
        })
}

/// Read from the right: the subject is the producer's and may hold a `#`; the event and
/// device ids of a key this table wrote do not.
fn delivery_of(rest: &str) -> Result<DeliveryKey, KeyError> {
    let malformed = |part| KeyError::Malformed {
        format: "delivery",
        part,
    };
    let (rest, reminder) = match rest.strip_suffix(REMINDER) {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let (rest, device_id) = match rest.rsplit_once(ON_DEVICE) {
        Some((r, device)) => (r, Some(id_of(device, "delivery", "device id")?)),
        None => (rest, None),
    };
    let mut parts = rest.rsplitn(3, '#');
    let channel = channel_of(parts.next().unwrap_or_default(), "delivery")?;
    let event_id = id_of(parts.next().ok_or(malformed("event id"))?, "delivery", "event id")?;
    let subject = parts.next().ok_or(malformed("subject"))?.to_owned();
    Ok(DeliveryKey {
        subject,
        event_id,
        channel,
        device_id,
        reminder,
    })
}

fn question_of(rest: &str) -> Result<Sk, KeyError> {
    let malformed = |part| KeyError::Malformed {
        format: "question",
        part,
    };
    let (asked, event) = rest.split_once('#').ok_or(malformed("event id"))?;
    let asked_ms = asked.parse().map_err(|_| malformed("time asked"))?;
    Ok(Sk::Question {
        asked_ms,
        event_id: id_of(event, "question", "event id")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Id {
        Id::parse(s).unwrap()
    }

    fn every_sort_key() -> Vec<(Sk, &'static str)> {
        let delivery = |device: Option<&str>, reminder| {
            Sk::Delivery(DeliveryKey {
                subject: "payment:DE89-0007:sepa#dd".into(),
                event_id: id("lb-1"),
                channel: Channel::Push,
                device_id: device.map(id),
                reminder,
            })
        };
        vec![
            (Sk::Profile, "PROFILE"),
            (Sk::Decisions, "DECISIONS"),
            (Sk::Event(id("e-1")), "EVENT#e-1"),
            (Sk::Device(id("d1")), "DEVICE#d1"),
            (Sk::Activity(id("laptop")), "ACTIVITY#laptop"),
            (Sk::OptOut(Channel::Sms), "OPTOUT#sms"),
            (Sk::OptIn(Channel::Email), "OPTIN#email"),
            (
                Sk::unusable(Channel::Email, "Ana@Example.com"),
                "UNUSABLE#email#ana@example.com",
            ),
            (delivery(None, false), "DELIVERY#payment:DE89-0007:sepa#dd#lb-1#push"),
            (
                delivery(Some("tablet"), true),
                "DELIVERY#payment:DE89-0007:sepa#dd#lb-1#push#device#tablet#reminder",
            ),
            (Sk::Resolved("account:a".into()), "RESOLVED#account:a"),
            (Sk::Customer(id("c-1")), "CUSTOMER#c-1"),
            (
                Sk::Question {
                    asked_ms: 1_764_000_000_000,
                    event_id: id("st-1"),
                },
                "QUESTION#001764000000000#st-1",
            ),
            (Sk::Answers(AnswerCount::Help), "ANSWERS#help"),
        ]
    }

    #[test]
    fn every_sort_key_is_written_as_the_table_stores_it_and_read_back_the_same() {
        for (key, stored) in every_sort_key() {
            assert_eq!(key.to_string(), stored);
            assert_eq!(Sk::parse(stored), Ok(key), "{stored}");
        }
    }

    #[test]
    fn every_partition_key_is_written_as_the_table_stores_it_and_read_back_the_same() {
        for (key, stored) in [
            (Pk::customer(&id("c-1")), "CUSTOMER#c-1"),
            (Pk::phone("+351912345678"), "PHONE#+351912345678"),
            (
                Pk::Pending {
                    day: "2026-11-23".into(),
                    shard: 3,
                },
                "PENDING#2026-11-23#3",
            ),
            (
                Pk::Endpoint("arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/1f2e".into()),
                "ENDPOINT#arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/1f2e",
            ),
        ] {
            assert_eq!(key.to_string(), stored);
            assert_eq!(Pk::parse(stored), Ok(key), "{stored}");
        }
    }

    #[test]
    fn a_delivery_key_is_the_one_its_dispatch_request_names() {
        let request = DispatchRequest {
            customer_id: id("c-1"),
            subject: "account:a".into(),
            event_id: id("lb"),
            channel: Channel::Push,
            device_id: Some(id("tablet")),
            reminder: false,
            receipt_check: false,
        };
        assert_eq!(
            Sk::delivery(&request).to_string(),
            "DELIVERY#account:a#lb#push#device#tablet"
        );
        assert!(Sk::delivery(&request).to_string().starts_with(Sk::DELIVERIES));
    }

    #[test]
    fn a_key_of_no_known_format_is_skipped_and_a_broken_one_says_which_part_without_repeating_it() {
        assert_eq!(Sk::parse("SOMETHING#new"), Err(KeyError::Unknown));
        assert_eq!(Sk::parse("ANSWERS#weekly"), Err(KeyError::Unknown));
        assert_eq!(Pk::parse("ORDER#1"), Err(KeyError::Unknown));
        let broken = Sk::parse("OPTOUT#pigeon").unwrap_err();
        assert_eq!(
            broken,
            KeyError::Malformed {
                format: "opt-out",
                part: "channel"
            }
        );
        let broken = Sk::parse("UNUSABLE#fax+351912345678").unwrap_err().to_string();
        assert!(!broken.contains("351912345678"), "{broken}");
        assert!(Sk::parse("QUESTION#soon#st-1").is_err());
        assert!(Sk::parse("DELIVERY#lb#push").is_err());
        assert!(Pk::parse("PENDING#2026-11-23#x").is_err());
    }
}
