//! Closing the loops: two-way SMS answers, escalation reminders, email delivery feedback and
//! learned device habits, as flows over the same ports as notify and dispatch.

use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::conversation::{InboundSms, Intent, ReplyText, reminder_prefix, reply_text};
use crate::customer::{Channel, Customer, DeviceKind, UnusableContact};
use crate::engine::{Destination, Engine};
use crate::events::{Detail, Event, EventError};
use crate::habits::Habits;
use crate::messages::{Message, RenderError};
use crate::policy::DeliveryStatus;
use crate::service::{Address, OutcomeType, SendResult};
use crate::service::{
    Bus, PortError, Report, Scheduler, Sender, Service, Store, StoredDelivery, StoredMessage, outcome_of, row_outcome,
};
use crate::types::{Id, truncate};

/// How long a question sent by SMS can be answered.
pub const QUESTION_HOURS: i64 = 24;

/// A YES/NO question sent by SMS, kept under the phone number it was sent to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// E.164 number the question went to; only this number can answer it.
    pub phone: String,
    pub customer_id: Id,
    pub event_id: Id,
    pub subject: String,
    pub transaction_id: String,
    pub asked_at: Timestamp,
    pub expires_at: Timestamp,
    pub provider_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answer>,
}

impl Question {
    /// The question's sort key under `PHONE#<e164>`: newest sorts last.
    pub fn sort_key(&self) -> String {
        format!(
            "QUESTION#{:015}#{}",
            self.asked_at.as_millisecond().max(0),
            self.event_id
        )
    }
    fn open(&self, now: Timestamp) -> bool {
        self.answer.is_none() && now < self.expires_at
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// `yes` or `no`.
    pub intent: String,
    pub at: Timestamp,
    pub inbound_message_id: String,
}

/// Everything kept under one phone number.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhoneBook {
    pub customers: Vec<Id>,
    pub questions: Vec<Question>,
}

/// A device's learned habits as stored, with what the session said about the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceActivity {
    pub device_id: Id,
    pub kind: DeviceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    pub last_seen: Timestamp,
    pub habits: Habits,
}

/// Which question an answer is for.
#[derive(Clone, Debug, PartialEq)]
pub enum Matched<'a> {
    Open(&'a Question),
    /// This very inbound message was already recorded (a redelivery): finish its effects.
    Again(&'a Question),
    Expired,
    None,
}

/// The question an answer from `sms.from` refers to: the one its reply threads to when the
/// carrier says so, else the newest open one sent to that number.
pub fn match_question<'a>(questions: &'a [Question], sms: &InboundSms, now: Timestamp) -> Matched<'a> {
    let mine = |q: &&Question| q.phone == sms.from.e164();
    let same_inbound = |q: &&Question| {
        q.answer
            .as_ref()
            .is_some_and(|a| a.inbound_message_id == sms.inbound_message_id)
    };
    if let Some(q) = questions.iter().filter(mine).find(same_inbound) {
        return Matched::Again(q);
    }
    if let Some(id) = &sms.previous_published_message_id
        && let Some(q) = questions
            .iter()
            .filter(mine)
            .find(|q| q.provider_message_id.as_deref() == Some(id.as_str()))
    {
        return match (q.answer.is_some(), q.open(now)) {
            (true, _) => Matched::None,
            (false, true) => Matched::Open(q),
            (false, false) => Matched::Expired,
        };
    }
    let newest = |a: &&Question, b: &&Question| a.asked_at.cmp(&b.asked_at);
    if let Some(q) = questions.iter().filter(mine).filter(|q| q.open(now)).max_by(newest) {
        return Matched::Open(q);
    }
    match questions
        .iter()
        .filter(mine)
        .filter(|q| q.answer.is_none())
        .max_by(newest)
    {
        Some(_) => Matched::Expired,
        None => Matched::None,
    }
}

/// Where a reminder goes: push if the SMS went out, otherwise SMS, then email.
pub fn reminder_channel(customer: &Customer, sms_sent: bool) -> Option<(Channel, Option<Id>, Destination)> {
    let order: &[Channel] = if sms_sent {
        &[Channel::Push, Channel::Email]
    } else {
        &[Channel::Sms, Channel::Email]
    };
    order.iter().find_map(|&ch| {
        if customer.has_opted_out(ch) {
            return None;
        }
        match ch {
            Channel::Sms => customer
                .phone
                .usable()
                .map(|p| (ch, None, Destination::Phone(p.clone()))),
            Channel::Email => customer
                .email
                .usable()
                .map(|e| (ch, None, Destination::Email(e.clone()))),
            Channel::Push => customer
                .devices
                .iter()
                .filter(|d| d.pushable())
                .max_by_key(|d| (d.kind.is_glanceable(), d.last_seen))
                .and_then(|d| {
                    let arn = d.push_endpoint.clone()?;
                    Some((ch, Some(d.id.clone()), Destination::Endpoint(arn)))
                }),
        }
    })
}

/// The alert worded again for `channel`, marked as a reminder.
pub fn reminder_message(
    engine: &Engine,
    event: &Event,
    customer: &Customer,
    channel: Channel,
) -> Result<Message, RenderError> {
    let mut message = engine.render(event, customer, channel)?;
    let prefix = reminder_prefix(&customer.locale);
    message.body = format!("{prefix}{}", message.body);
    message.subject = message.subject.map(|s| format!("{prefix}{s}"));
    message.title = message.title.map(|s| format!("{prefix}{s}"));
    Ok(message)
}

/// What an SES event on EventBridge says about one email.
#[derive(Clone, Debug, PartialEq)]
pub struct EmailFeedback {
    pub kind: FeedbackKind,
    pub message_id: String,
    /// The customer, from the message tag forewarn set when sending.
    pub customer_id: Option<Id>,
    pub recipients: Vec<String>,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FeedbackKind {
    Delivered,
    Bounced { permanent: bool, sub_type: String },
    Complained { feedback_type: String },
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
    let str_at = |path: &str| -> Result<&str, EventError> {
        let mut v = value;
        for part in path.split('.') {
            v = v.get(part).ok_or_else(|| EventError::new(path, "missing"))?;
        }
        v.as_str().ok_or_else(|| EventError::new(path, "must be a string"))
    };
    let detail_type = str_at("detail-type")?;
    let event_type = str_at("detail.eventType")?;
    let message_id = str_at("detail.mail.messageId")?;
    if message_id.is_empty() || message_id.len() > 200 {
        return Err(EventError::new("detail.mail.messageId", "must be 1 to 200 characters"));
    }
    let at = str_at("time")?
        .parse::<Timestamp>()
        .map_err(|_| EventError::new("time", "not an RFC 3339 time"))?;
    let emails = |list: Option<&serde_json::Value>, path: &str| -> Result<Vec<String>, EventError> {
        let Some(items) = list.and_then(|l| l.as_array()) else {
            return Err(EventError::new(path, "missing or not a list"));
        };
        Ok(items
            .iter()
            .filter_map(|r| r.get("emailAddress").and_then(|e| e.as_str()).or_else(|| r.as_str()))
            .map(str::to_owned)
            .collect())
    };
    let detail = &value["detail"];
    let (kind, recipients) = match (detail_type, event_type) {
        ("Email Delivered", "Delivery") => (
            FeedbackKind::Delivered,
            emails(
                detail.get("delivery").and_then(|d| d.get("recipients")),
                "detail.delivery.recipients",
            )?,
        ),
        ("Email Bounced", "Bounce") => {
            let bounce_type = str_at("detail.bounce.bounceType")?;
            (
                FeedbackKind::Bounced {
                    permanent: bounce_type == "Permanent",
                    sub_type: truncate(str_at("detail.bounce.bounceSubType").unwrap_or("Undetermined"), 40).into(),
                },
                emails(
                    detail.get("bounce").and_then(|b| b.get("bouncedRecipients")),
                    "detail.bounce.bouncedRecipients",
                )?,
            )
        }
        ("Email Complaint Received", "Complaint") => (
            FeedbackKind::Complained {
                feedback_type: truncate(
                    str_at("detail.complaint.complaintFeedbackType").unwrap_or("unspecified"),
                    40,
                )
                .into(),
            },
            emails(
                detail.get("complaint").and_then(|c| c.get("complainedRecipients")),
                "detail.complaint.complainedRecipients",
            )?,
        ),
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
    Ok(EmailFeedback {
        kind,
        message_id: message_id.to_owned(),
        customer_id: detail
            .get("mail")
            .and_then(|m| m.get("tags"))
            .and_then(customer_from_tags),
        recipients,
        at,
    })
}

fn ack(to: &Destination, text: &str) -> (Destination, StoredMessage) {
    (
        to.clone(),
        StoredMessage {
            subject: None,
            title: None,
            body: text.to_owned(),
            html: None,
            deep_link: None,
            ttl: None,
            expects_reply: false,
        },
    )
}

impl<St: Store, Se: Sender, Sc: Scheduler, B: Bus> Service<St, Se, Sc, B> {
    /// An inbound SMS: an answer to a question, an opt-out, a request for help, or anything else.
    pub async fn reply(&self, sms: &InboundSms, now: Timestamp) -> Result<Report, PortError> {
        let book = self.store.phone_book(&sms.from).await?;
        let matched = match sms.intent {
            Intent::Yes | Intent::No => match_question(&book.questions, sms, now),
            _ => Matched::None,
        };
        let customer_id = match &matched {
            Matched::Open(q) | Matched::Again(q) => Some(q.customer_id.clone()),
            _ => book.customers.first().cloned(),
        };
        let customer = match &customer_id {
            Some(cid) => {
                let part = self.store.load(cid, &Id::parse("-").expect("a valid id")).await?;
                Some((
                    part.deliveries,
                    part.profile.and_then(|p| Customer::from_profile(&p).ok()),
                ))
            }
            None => None,
        };
        let locale = customer
            .as_ref()
            .and_then(|(_, c)| c.as_ref().map(|c| c.locale.clone()))
            .unwrap_or_else(|| "en".into());
        let from = Destination::Phone(sms.from.clone());
        let mut outcome = outcome_of(
            OutcomeType::ReplyReceived,
            &Id::parse(truncate(&sms.inbound_message_id, 120)).unwrap_or_else(|_| Id::parse("-").expect("valid")),
            customer_id.as_ref().unwrap_or(&Id::parse("unknown").expect("valid")),
            now,
        );
        outcome.channel = Some(Channel::Sms);
        outcome.to = Some(from.masked());
        let mut report = Report {
            outcome: "reply".into(),
            ..Report::default()
        };
        let text = match (&matched, sms.intent) {
            (Matched::Open(q) | Matched::Again(q), Intent::Yes | Intent::No) => {
                let yes = sms.intent == Intent::Yes;
                let mut answered = (*q).clone();
                if answered.answer.is_none() {
                    answered.answer = Some(Answer {
                        intent: sms.intent.as_str().into(),
                        at: now,
                        inbound_message_id: sms.inbound_message_id.clone(),
                    });
                    if !self.store.answer(&answered).await? {
                        outcome
                            .reasons
                            .push("the question was answered meanwhile: nothing changed".into());
                        self.finish_reply(&from, &locale, ReplyText::NoOpenQuestion, outcome, &mut report)
                            .await?;
                        return Ok(report);
                    }
                }
                let answer = answered.answer.as_ref().expect("set above");
                let at = answer.at;
                let yes = if matches!(matched, Matched::Again(_)) {
                    answer.intent == "yes"
                } else {
                    yes
                };
                let rows = customer.as_ref().map(|(rows, _)| rows.as_slice()).unwrap_or_default();
                report.cancelled = self
                    .cancel_reminders(rows, &answered.subject, &answered.event_id, now, &mut outcome)
                    .await?;
                let kind = if yes {
                    "TransactionConfirmed"
                } else {
                    "TransactionDisputed"
                };
                self.bus
                    .emit(
                        kind,
                        &json!({
                            "customer_id": answered.customer_id,
                            "transaction_id": answered.transaction_id,
                            "answered_at": at.to_string(),
                            "channel": "sms",
                            "event_id": answered.event_id,
                            "reply_id": sms.inbound_message_id,
                        }),
                    )
                    .await?;
                outcome.event_id = answered.event_id.to_string();
                outcome.source_detail_type = Some("SuspiciousTransaction".into());
                outcome.reasons.insert(
                    0,
                    format!(
                        "answered {} to the question of event {}: {kind} put on the bus",
                        if yes { "YES" } else { "NO" },
                        answered.event_id
                    ),
                );
                report.outcome = if yes { "confirmed" } else { "disputed" }.into();
                if yes { ReplyText::Confirmed } else { ReplyText::Disputed }
            }
            (Matched::Expired, _) => {
                outcome.reasons.push("the question expired: no event".into());
                report.outcome = "expired".into();
                ReplyText::Expired
            }
            (_, Intent::Yes | Intent::No) if customer_id.is_none() => {
                outcome
                    .reasons
                    .push("no customer or question for this number: no event".into());
                report.outcome = "unknown_sender".into();
                ReplyText::UnknownSender
            }
            (_, Intent::Yes | Intent::No) => {
                outcome
                    .reasons
                    .push("no open question for this number: no event".into());
                report.outcome = "no_open_question".into();
                ReplyText::NoOpenQuestion
            }
            (_, Intent::Stop) => {
                report.outcome = "opted_out".into();
                let mut new = false;
                for cid in &book.customers {
                    new |= self
                        .store
                        .opt_out(cid, Channel::Sms, &format!("replied STOP on {now}"))
                        .await?;
                }
                if !new {
                    outcome.reasons.push(if book.customers.is_empty() {
                        "STOP from a number no customer has: nothing to record".into()
                    } else {
                        "already opted out of SMS: not confirmed again".into()
                    });
                    self.bus.publish(&[outcome]).await?;
                    return Ok(report);
                }
                outcome
                    .reasons
                    .push("opted out of SMS: later decisions skip SMS".into());
                ReplyText::OptedOut
            }
            (_, Intent::Help) => {
                outcome.reasons.push("asked for help".into());
                report.outcome = "help".into();
                ReplyText::Help
            }
            (_, Intent::Other) if customer_id.is_none() => {
                outcome
                    .reasons
                    .push("no customer or question for this number: no event".into());
                report.outcome = "unknown_sender".into();
                ReplyText::UnknownSender
            }
            (_, Intent::Other) => {
                let open = book.questions.iter().any(|q| q.phone == sms.from.e164() && q.open(now));
                outcome
                    .reasons
                    .push("not an answer forewarn understands: no event".into());
                report.outcome = "unrecognised".into();
                if open {
                    ReplyText::Unrecognised
                } else {
                    ReplyText::NoOpenQuestion
                }
            }
        };
        self.finish_reply(&from, &locale, text, outcome, &mut report).await?;
        Ok(report)
    }

    async fn finish_reply(
        &self,
        to: &Destination,
        locale: &str,
        text: ReplyText,
        mut outcome: crate::service::OutcomeEvent,
        report: &mut Report,
    ) -> Result<(), PortError> {
        let (to, message) = ack(to, reply_text(locale, text));
        let customer = Id::parse(outcome.customer_id.as_str()).ok();
        match self.sender.send(&to, &message, customer.as_ref()).await? {
            SendResult::Sent { provider_message_id } => {
                report.sent += 1;
                outcome.provider_message_id = Some(provider_message_id);
                outcome.reasons.push(format!("answered with the {text:?} text"));
            }
            SendResult::Unreachable(why) => outcome.reasons.push(format!("could not answer: {why}")),
        }
        self.bus.publish(&[outcome]).await
    }

    /// Cancels the pending reminders of a question that was answered.
    async fn cancel_reminders(
        &self,
        rows: &[StoredDelivery],
        subject: &str,
        event_id: &Id,
        now: Timestamp,
        outcome: &mut crate::service::OutcomeEvent,
    ) -> Result<usize, PortError> {
        let mut cancelled = 0;
        for row in rows.iter().filter(|r| {
            r.reminder && r.record.subject == subject && &r.record.event_id == event_id && r.record.is_pending()
        }) {
            let mut r = row.clone();
            r.record.status = DeliveryStatus::Cancelled;
            r.failure = Some("the customer answered before the reminder".into());
            if self.store.transition(&r, DeliveryStatus::Scheduled).await? {
                self.scheduler.delete(&r.schedule_name()).await?;
                let mut o = row_outcome(OutcomeType::NotificationCancelled, &r, now);
                o.by_event_id = Some(event_id.to_string());
                self.bus.publish(&[o]).await?;
                outcome
                    .reasons
                    .push(format!("cancelled the pending reminder on {}", r.record.channel));
                cancelled += 1;
            }
        }
        Ok(cancelled)
    }

    /// SES said an email was delivered, bounced or complained about.
    pub async fn feedback(&self, fb: &EmailFeedback, now: Timestamp) -> Result<Report, PortError> {
        let Some(cid) = &fb.customer_id else {
            return Ok(Report {
                outcome: "unmatched".into(),
                ..Report::default()
            });
        };
        let part = self.store.load(cid, &Id::parse("-").expect("a valid id")).await?;
        let Some(row) = part
            .deliveries
            .iter()
            .find(|r| r.provider_message_id.as_deref() == Some(fb.message_id.as_str()))
        else {
            return Ok(Report {
                outcome: "unmatched".into(),
                ..Report::default()
            });
        };
        let Address::Email(address) = &row.address else {
            return Ok(Report {
                outcome: "unmatched".into(),
                ..Report::default()
            });
        };
        let mut updated = row.clone();
        let (kind, outcome, reason, suppress) = match &fb.kind {
            FeedbackKind::Delivered => {
                updated.delivered_at = Some(fb.at);
                (
                    OutcomeType::NotificationDelivered,
                    "delivered",
                    "delivered to the mailbox".to_owned(),
                    false,
                )
            }
            FeedbackKind::Bounced {
                permanent: true,
                sub_type,
            } => {
                updated.record.status = DeliveryStatus::Failed;
                (
                    OutcomeType::NotificationBounced,
                    "bounced",
                    format!(
                        "hard bounce ({sub_type}) on {}: email to this address will not be tried again",
                        fb.at.strftime("%Y-%m-%d")
                    ),
                    true,
                )
            }
            FeedbackKind::Bounced {
                permanent: false,
                sub_type,
            } => (
                OutcomeType::NotificationBounced,
                "soft_bounce",
                format!("soft bounce ({sub_type}): the address stays usable"),
                false,
            ),
            FeedbackKind::Complained { feedback_type } => (
                OutcomeType::NotificationComplained,
                "complained",
                format!(
                    "complaint ({feedback_type}) on {}: email to this address will not be tried again",
                    fb.at.strftime("%Y-%m-%d")
                ),
                true,
            ),
        };
        if suppress {
            let contact = UnusableContact {
                channel: Channel::Email,
                address: address.clone(),
                reason: reason.clone(),
            };
            self.store.suppress_contact(cid, &contact).await?;
        }
        updated.failure = (kind != OutcomeType::NotificationDelivered).then(|| reason.clone());
        let changed = updated != *row && self.store.transition(&updated, row.record.status).await?;
        if changed {
            let mut o = row_outcome(kind, &updated, now);
            o.reasons = vec![reason];
            self.bus.publish(&[o]).await?;
        }
        Ok(Report {
            outcome: outcome.into(),
            ..Report::default()
        })
    }

    /// A session seen on a device: its hour of the week, in the customer's local time, joins
    /// the device's habits. Redelivered events count once; concurrent writers retry.
    pub async fn activity(&self, event: &Event, _now: Timestamp) -> Result<Report, PortError> {
        let Detail::CustomerActivity(a) = &event.detail else {
            return Err(PortError::permanent("input", "not a CustomerActivity event"));
        };
        for _ in 0..4 {
            let part = self.store.load(&a.customer_id, &event.id).await?;
            let zone = part
                .profile
                .as_ref()
                .and_then(|p| Customer::from_profile(p).ok())
                .map(|c| c.zone.primary())
                .unwrap_or(jiff::tz::TimeZone::UTC);
            let stored = part.activity.iter().find(|d| d.device_id == a.device_id);
            let mut habits = stored.map(|d| d.habits.clone()).unwrap_or_else(|| Habits::new(a.at.0));
            if !habits.record(event.id.as_str(), zone.to_datetime(a.at.0), a.at.0) {
                return Ok(Report::duplicate());
            }
            let activity = DeviceActivity {
                device_id: a.device_id.clone(),
                kind: a.device_kind,
                platform: a.platform.as_ref().map(|p| p.to_string()),
                last_seen: stored.map_or(a.at.0, |d| d.last_seen.max(a.at.0)),
                habits,
            };
            let previous = stored.map(|d| d.habits.sessions);
            if self.store.save_activity(&a.customer_id, &activity, previous).await? {
                let learned = activity.habits.windows().is_some();
                return Ok(Report {
                    outcome: if learned { "learned" } else { "recorded" }.into(),
                    ..Report::default()
                });
            }
        }
        Err(PortError::retryable(
            "dynamodb",
            format!("device {} habits kept changing under concurrent writers", a.device_id),
        ))
    }

    /// The reminder row for a critical alert that asks for an answer, if one is due.
    pub(crate) fn reminder_row(
        &self,
        event: &Event,
        customer: &Customer,
        done: &[StoredDelivery],
        now: Timestamp,
    ) -> Result<Option<StoredDelivery>, PortError> {
        if !matches!(event.detail, Detail::SuspiciousTransaction(_)) {
            return Ok(None);
        }
        let sent: Vec<&StoredDelivery> = done
            .iter()
            .filter(|r| r.record.status == DeliveryStatus::Sent)
            .collect();
        let Some(first) = sent.first() else { return Ok(None) };
        let sms_sent = sent.iter().any(|r| r.record.channel == Channel::Sms);
        let Some((channel, device_id, to)) = reminder_channel(customer, sms_sent) else {
            return Ok(None);
        };
        let message = reminder_message(&self.engine, event, customer, channel)
            .map_err(|e| PortError::permanent("render", e.to_string()))?;
        let minutes = self.engine.policy.reminder_minutes;
        let mut row = (*first).clone();
        row.record.channel = channel;
        row.record.status = DeliveryStatus::Scheduled;
        row.record.send_at = now + minutes.minutes();
        row.record.expects_reply = message.expects_reply;
        row.device_id = device_id;
        row.address = Address::from_destination(&to);
        row.message = StoredMessage::from(&message);
        row.provider_message_id = None;
        row.failure = None;
        row.reminder = true;
        row.reasons = vec![format!(
            "reminder on {channel} in {minutes} min unless the customer answers first (push if the SMS went out, otherwise SMS, then email)"
        )];
        Ok(Some(row))
    }
}

/// The transaction a question is about, from the subject `transaction:<id>`.
pub fn transaction_of(subject: &str) -> Option<&str> {
    subject.strip_prefix("transaction:")
}

/// The questions sent rows asked, for the reply function to match answers to.
pub fn questions_of(rows: &[StoredDelivery]) -> Vec<Question> {
    rows.iter()
        .filter(|r| {
            r.record.status == DeliveryStatus::Sent && r.record.channel == Channel::Sms && r.message.expects_reply
        })
        .filter_map(|r| {
            let Address::Phone(phone) = &r.address else { return None };
            Some(Question {
                phone: phone.clone(),
                customer_id: r.customer_id.clone(),
                event_id: r.record.event_id.clone(),
                subject: r.record.subject.clone(),
                transaction_id: transaction_of(&r.record.subject)?.to_owned(),
                asked_at: r.record.send_at,
                expires_at: r.record.send_at + QUESTION_HOURS.hours(),
                provider_message_id: r.provider_message_id.clone(),
                answer: None,
            })
        })
        .collect()
}

/// Push devices that turned out unable to receive, with why: `(device_id, reason)`.
pub fn disabled_of(rows: &[StoredDelivery]) -> Vec<(Id, String)> {
    rows.iter()
        .filter(|r| r.record.channel == Channel::Push && r.record.status == DeliveryStatus::Failed)
        .filter_map(|r| {
            Some((
                r.device_id.clone()?,
                r.failure.clone().unwrap_or_else(|| "push unreachable".into()),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    fn question(at: &str, provider: &str) -> Question {
        let at: Timestamp = at.parse().unwrap();
        Question {
            phone: "+351912345678".into(),
            customer_id: Id::parse("c").unwrap(),
            event_id: Id::parse(provider).unwrap(),
            subject: "transaction:t".into(),
            transaction_id: "t".into(),
            asked_at: at,
            expires_at: at + QUESTION_HOURS.hours(),
            provider_message_id: Some(provider.into()),
            answer: None,
        }
    }

    fn sms(from: &str, previous: Option<&str>) -> InboundSms {
        crate::conversation::parse_inbound_sms(
            &json!({"originationNumber": from, "destinationNumber": "+1800", "messageBody": "yes",
                "inboundMessageId": "in", "previousPublishedMessageId": previous})
            .to_string(),
        )
        .unwrap()
    }

    #[test]
    fn an_answer_goes_to_the_threaded_question_else_to_the_newest_open_one_from_that_number_only() {
        let qs = [
            question("2026-11-23T01:00:00Z", "m-old"),
            question("2026-11-23T02:00:00Z", "m-new"),
        ];
        let now: Timestamp = "2026-11-23T03:00:00Z".parse().unwrap();
        let pick = |m: Matched<'_>| match m {
            Matched::Open(q) => q.event_id.to_string(),
            other => format!("{other:?}"),
        };
        assert_eq!(pick(match_question(&qs, &sms("+351912345678", None), now)), "m-new");
        assert_eq!(
            pick(match_question(&qs, &sms("+351912345678", Some("m-old")), now)),
            "m-old"
        );
        assert_eq!(match_question(&qs, &sms("+351919999999", None), now), Matched::None);
        let late: Timestamp = "2026-11-24T02:00:00Z".parse().unwrap();
        assert_eq!(match_question(&qs, &sms("+351912345678", None), late), Matched::Expired);
    }
}
