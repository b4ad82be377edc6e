//! Email through SES v2, and the SES events that come back about it (delivery, bounce,
//! complaint), found again by the customer tag every email carries.

use aws_sdk_sesv2::types::{
    Body, Content, Destination as EmailDestination, EmailContent, Message as EmailMessage, MessageTag,
};
use forewarn_core::events::EventError;
use forewarn_core::time_fault::why_not_a_time;
use forewarn_core::types::{Id, truncate};
use forewarn_flows::feedback::{EmailFeedback, FeedbackKind};
use forewarn_flows::records::{SendResult, StoredMessage};
use forewarn_flows::{FlowError, Port};
use jiff::Timestamp;

use aws_sdk_sesv2::error::ProvideErrorMetadata;

use crate::error::{channel_refusal, port_error, unbuilt};

/// Sends email from the stack's verified identity, through the configuration set of the
/// message's category ([`configuration_set_for`]).
#[derive(Clone, Debug)]
pub struct SesSender {
    pub client: aws_sdk_sesv2::Client,
    pub from_email: String,
    /// The stack's base configuration set (`<stack>-email`): the one of a message without a
    /// category, and the stem of every category's.
    pub configuration_set: Option<String>,
}

/// The configuration set an email of `m` is sent through: `<base>-<category>`
/// (`mystack-email-security`), so each category keeps its own reputation, events and, later,
/// unsubscribe; `base` itself for a row stored before messages carried their traits. The one
/// place the naming rule lives: template.yaml names each category's set the same way, which
/// `tests/tests/template.rs` proves for every catalog category.
pub fn configuration_set_for(base: &str, m: &StoredMessage) -> String {
    match &m.traits {
        Some(t) => format!("{base}-{}", t.category.as_str()),
        None => base.to_owned(),
    }
}

impl SesSender {
    pub async fn email(&self, to: &str, m: &StoredMessage, customer: Option<&Id>) -> Result<SendResult, FlowError> {
        let content = |s: &str| {
            Content::builder()
                .data(s)
                .charset("UTF-8")
                .build()
                .map_err(unbuilt(Port::Ses))
        };
        let mut body = Body::builder().text(content(&m.body)?);
        if let Some(html) = &m.html {
            body = body.html(content(html)?);
        }
        let message = EmailMessage::builder()
            .subject(content(m.subject.as_deref().unwrap_or_default())?)
            .body(body.build())
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from_email)
            .destination(EmailDestination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(
                self.configuration_set
                    .as_deref()
                    .map(|base| configuration_set_for(base, m)),
            )
            .set_email_tags(match customer {
                Some(id) => {
                    let (name, value) = customer_tag(id);
                    Some(vec![
                        MessageTag::builder()
                            .name(name)
                            .value(value)
                            .build()
                            .map_err(unbuilt(Port::Ses))?,
                    ])
                }
                None => None,
            })
            .send()
            .await;
        match out {
            Ok(out) => Ok(SendResult::Sent {
                provider_message_id: out.message_id.unwrap_or_default(),
            }),
            Err(e) => match channel_refusal(e.code()) {
                Some(why) => Ok(SendResult::Unreachable(why.into())),
                None => Err(port_error(Port::Ses, e)),
            },
        }
    }
}

/// The SES message tag that carries the customer id (`fw-customer`, or hex in `fw-customer-hex`
/// when the id has characters SES does not allow in tags).
pub fn customer_tag(id: &Id) -> (&'static str, String) {
    let s = id.as_str();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        ("fw-customer", s.to_owned())
    } else {
        ("fw-customer-hex", s.bytes().map(|b| format!("{b:02x}")).collect())
    }
}

fn customer_from_tags(tags: &serde_json::Value) -> Option<Id> {
    let first = |k: &str| tags.get(k)?.get(0)?.as_str().map(str::to_owned);
    if let Some(v) = first("fw-customer") {
        return Id::parse(v.as_str()).ok();
    }
    let hex = first("fw-customer-hex")?;
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    Id::parse(String::from_utf8(bytes?).ok()?.as_str()).ok()
}

/// Parses an SES event as EventBridge delivers it (`source: aws.ses`), naming the field at fault.
pub fn parse_email_feedback(value: &serde_json::Value) -> Result<EmailFeedback, EventError> {
    let detail_type = str_at(value, "detail-type")?;
    let event_type = str_at(value, "detail.eventType")?;
    let message_id = str_at(value, "detail.mail.messageId")?;
    if message_id.is_empty() || message_id.len() > 200 {
        return Err(EventError::new("detail.mail.messageId", "must be 1 to 200 characters"));
    }
    let time = str_at(value, "time")?;
    let at = time
        .parse::<Timestamp>()
        .map_err(|_| EventError::new("time", why_not_a_time(time)))?;
    let (kind, recipients) = feedback_kind(value, detail_type, event_type)?;
    Ok(EmailFeedback {
        kind,
        message_id: message_id.to_owned(),
        customer_id: at_path(value, "detail.mail.tags").and_then(customer_from_tags),
        recipients,
        at,
    })
}

/// What happened to the email, and to which recipients.
fn feedback_kind(
    value: &serde_json::Value,
    detail_type: &str,
    event_type: &str,
) -> Result<(FeedbackKind, Vec<String>), EventError> {
    let kind = match (detail_type, event_type) {
        ("Email Delivered", "Delivery") => {
            return Ok((FeedbackKind::Delivered, emails(value, "detail.delivery.recipients")?));
        }
        ("Email Bounced", "Bounce") => FeedbackKind::Bounced {
            permanent: str_at(value, "detail.bounce.bounceType")? == "Permanent",
            sub_type: truncate(
                str_at(value, "detail.bounce.bounceSubType").unwrap_or("Undetermined"),
                40,
            )
            .into(),
        },
        ("Email Complaint Received", "Complaint") => FeedbackKind::Complained {
            feedback_type: truncate(
                str_at(value, "detail.complaint.complaintFeedbackType").unwrap_or("unspecified"),
                40,
            )
            .into(),
        },
        (dt, et) => {
            return Err(EventError::new(
                "detail-type",
                format!(
                    "{:?} with eventType {:?} is not an email delivery, bounce or complaint",
                    truncate(dt, 40),
                    truncate(et, 40)
                ),
            ));
        }
    };
    let recipients = match kind {
        FeedbackKind::Bounced { .. } => emails(value, "detail.bounce.bouncedRecipients")?,
        _ => emails(value, "detail.complaint.complainedRecipients")?,
    };
    Ok((kind, recipients))
}

/// The value at a dotted path, if every step is there.
fn at_path<'a>(value: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(value, |v, part| v.get(part))
}

/// The string at a dotted path, or an error naming the path.
fn str_at<'a>(value: &'a serde_json::Value, path: &str) -> Result<&'a str, EventError> {
    at_path(value, path)
        .ok_or_else(|| EventError::new(path, "missing"))?
        .as_str()
        .ok_or_else(|| EventError::new(path, "must be a string"))
}

/// The addresses in the list at `path`: objects with `emailAddress`, or plain strings.
fn emails(value: &serde_json::Value, path: &str) -> Result<Vec<String>, EventError> {
    let Some(items) = at_path(value, path).and_then(|l| l.as_array()) else {
        return Err(EventError::new(path, "missing or not a list"));
    };
    Ok(items
        .iter()
        .filter_map(|r| r.get("emailAddress").and_then(|e| e.as_str()).or_else(|| r.as_str()))
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_email_goes_through_its_categorys_configuration_set_and_an_old_row_through_the_base() {
        let mut m = StoredMessage::text("x");
        assert_eq!(configuration_set_for("stack-email", &m), "stack-email");
        for category in ["security", "travel", "account", "applications"] {
            m.traits = Some(forewarn_core::messages::Traits {
                kind: "LowBalance".into(),
                category: forewarn_core::kinds::Category::parse(category).unwrap(),
                urgency: forewarn_core::kinds::Urgency::Normal,
                subject: "account:a-1".into(),
                question: false,
            });
            assert_eq!(
                configuration_set_for("stack-email", &m),
                format!("stack-email-{category}")
            );
        }
    }

    fn ses(detail_type: &str, detail: serde_json::Value) -> serde_json::Value {
        json!({"version": "0", "id": "e", "detail-type": detail_type, "source": "aws.ses",
            "time": "2026-11-23T10:00:00Z", "detail": detail})
    }

    #[test]
    fn a_permanent_bounce_names_the_customer_from_its_tag() {
        let fb = parse_email_feedback(&ses(
            "Email Bounced",
            json!({"eventType": "Bounce", "mail": {"messageId": "m-1", "tags": {"fw-customer": ["c-1"]}},
                "bounce": {"bounceType": "Permanent", "bounceSubType": "NoEmail",
                           "bouncedRecipients": [{"emailAddress": "a@example.com"}]}}),
        ))
        .unwrap();
        assert_eq!(fb.customer_id.as_ref().map(Id::as_str), Some("c-1"));
        assert_eq!(
            fb.kind,
            FeedbackKind::Bounced {
                permanent: true,
                sub_type: "NoEmail".into()
            }
        );
        assert_eq!(fb.recipients, ["a@example.com"]);
    }

    #[test]
    fn feedback_without_a_message_id_names_the_field() {
        let err = parse_email_feedback(&ses(
            "Email Delivered",
            json!({"eventType": "Delivery", "mail": {}, "delivery": {"recipients": []}}),
        ))
        .unwrap_err();
        assert_eq!(err.path, "detail.mail.messageId");
    }

    #[test]
    fn feedback_with_an_out_of_range_time_says_which_part_is_out_of_range() {
        let mut v = ses(
            "Email Delivered",
            json!({"eventType": "Delivery", "mail": {"messageId": "m-1"}, "delivery": {"recipients": []}}),
        );
        v["time"] = json!("2026-11-23T25:00:00Z");
        let err = parse_email_feedback(&v).unwrap_err();
        assert_eq!(err.path, "time");
        assert!(err.reason.contains("hour 25 is out of range"), "{err:?}");
    }

    #[test]
    fn customer_ids_survive_the_tag_round_trip_even_with_characters_ses_refuses() {
        for raw in ["c-1001", "cust:42/ä", "a_b"] {
            let id = Id::parse(raw).unwrap();
            let (name, value) = customer_tag(&id);
            assert!(
                value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{value}"
            );
            let tags = json!({ name: [value] });
            assert_eq!(customer_from_tags(&tags), Some(id));
        }
    }

    proptest::proptest! {
        #[test]
        fn any_json_is_parsed_as_ses_feedback_or_rejected_with_a_field(v in any_json()) {
            if let Err(e) = parse_email_feedback(&v) {
                proptest::prop_assert!(!e.path.is_empty(), "{e:?}");
            }
        }
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            ".{0,12}".prop_map(serde_json::Value::from),
            Just(json!("Email Bounced")),
            Just(json!("Bounce")),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("detail".to_owned()),
                        Just("detail-type".to_owned()),
                        Just("mail".to_owned()),
                        Just("eventType".to_owned()),
                        Just("time".to_owned()),
                        ".{0,6}".prop_map(String::from)
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
