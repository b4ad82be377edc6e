//! reply: an inbound SMS. An answer to the fraud question it threads to (or the newest open
//! one sent to that number), an opt-out, a request for help, or anything else; each gets
//! one `ReplyReceived` outcome event and, where it is due, a short answer.

use forewarn_core::conversation::{InboundSms, Intent, ReplyText, reply_text};
use forewarn_core::customer::{Channel, Customer};
use forewarn_core::engine::Destination;
use forewarn_core::events::{Detail, TransactionAnswer};
use forewarn_core::outcomes::{Outcome, OutcomeEvent, OutcomeType};
use forewarn_core::types::{Id, Instant, Text, truncate};
use jiff::Timestamp;

use crate::cancel::cancelled_before;
use crate::error::PortError;
use crate::ports::{Bus, Contacts, Deliveries, Partitions, Phones, Scheduler, Sender};
use crate::records::{Answer, AnswerKind, PhoneBook, Question, SendResult, StoredDelivery, StoredMessage};
use crate::report::Report;
use crate::service::Service;

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

/// What the reply flow knows while it works: the sender's customer and their rows.
struct Conversation {
    customer_id: Option<Id>,
    locale: String,
    rows: Vec<StoredDelivery>,
    outcome: OutcomeEvent,
    /// Pending reminders this reply cancelled.
    cancelled: usize,
}

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: Partitions + Deliveries + Phones + Contacts,
    Se: Sender,
    Sc: Scheduler,
    B: Bus,
{
    /// Handles one inbound SMS at `now`.
    pub async fn reply(&self, sms: &InboundSms, now: Timestamp) -> Result<Report, PortError> {
        crate::metrics::reply(sms.intent.as_str());
        let book = self.store.phone_book(&sms.from).await?;
        let matched = match sms.intent {
            Intent::Yes | Intent::No => match_question(&book.questions, sms, now),
            _ => Matched::None,
        };
        let customer_id = match &matched {
            Matched::Open(q) | Matched::Again(q) => Some(q.customer_id.clone()),
            _ => book.customers.first().cloned(),
        };
        let mut conv = self.conversation(sms, customer_id, now).await?;
        let (outcome, text) = match &matched {
            Matched::Open(q) | Matched::Again(q) => {
                let again = matches!(matched, Matched::Again(_));
                match self.answer(sms, q, again, &mut conv, now).await? {
                    Some(done) => done,
                    None => (Outcome::NoOpenQuestion, Some(ReplyText::NoOpenQuestion)),
                }
            }
            Matched::Expired => {
                conv.outcome.reasons.push("the question expired: no event".into());
                (Outcome::Expired, Some(ReplyText::Expired))
            }
            Matched::None => self.not_an_answer(sms, &book, &mut conv, now).await?,
        };
        let mut report = Report::of(outcome, vec![]);
        report.customer_id = conv.customer_id.clone();
        report.cancelled = conv.cancelled;
        if let Some(text) = text {
            conv.outcome.reasons.push(format!("answered with the {text:?} text"));
        }
        report.reasons = conv.outcome.reasons.clone();
        // The answer back is the last step: nothing after it can fail and make a retry send
        // it again.
        self.bus.publish(std::slice::from_ref(&conv.outcome)).await?;
        if let Some(text) = text {
            self.answer_back(sms, &conv.locale, text, &mut report).await?;
        }
        Ok(report)
    }

    /// The sender's customer, their language and rows, and the `ReplyReceived` event to fill.
    async fn conversation(
        &self,
        sms: &InboundSms,
        customer_id: Option<Id>,
        now: Timestamp,
    ) -> Result<Conversation, PortError> {
        let (rows, customer) = match &customer_id {
            Some(cid) => {
                let part = self.store.load(cid, None).await?;
                (
                    part.deliveries,
                    part.profile.and_then(|p| Customer::from_profile(&p).ok()),
                )
            }
            None => (vec![], None),
        };
        let reply_id = truncate(&sms.inbound_message_id, 120);
        let mut outcome = OutcomeEvent::new(
            OutcomeType::ReplyReceived,
            if reply_id.is_empty() { "-" } else { &reply_id },
            customer_id.as_ref().map_or("unknown", Id::as_str),
            now,
        );
        outcome.channel = Some(Channel::Sms);
        outcome.to = Some(sms.from.masked());
        Ok(Conversation {
            customer_id,
            locale: customer.map_or_else(|| "en".into(), |c| c.locale),
            rows,
            outcome,
            cancelled: 0,
        })
    }

    /// Records the answer to `q` (once), cancels its reminder and puts the bank's event on
    /// the bus; `None` when another answer got there first.
    async fn answer(
        &self,
        sms: &InboundSms,
        q: &Question,
        again: bool,
        conv: &mut Conversation,
        now: Timestamp,
    ) -> Result<Option<(Outcome, Option<ReplyText>)>, PortError> {
        let mut answered = q.clone();
        if answered.answer.is_none() {
            answered.answer = Some(Answer {
                intent: if sms.intent == Intent::Yes {
                    AnswerKind::Yes
                } else {
                    AnswerKind::No
                },
                at: now,
                inbound_message_id: sms.inbound_message_id.clone(),
            });
            if !self.store.answer(&answered).await? {
                conv.outcome
                    .reasons
                    .push("the question was answered meanwhile: nothing changed".into());
                return Ok(None);
            }
        }
        let answer = answered.answer.clone().expect("set above");
        let yes = if again {
            answer.intent == AnswerKind::Yes
        } else {
            sms.intent == Intent::Yes
        };
        let rows = std::mem::take(&mut conv.rows);
        let by = Id::parse(truncate(&sms.inbound_message_id, 120).as_ref()).ok();
        if let Some(by) = &by {
            let again = cancelled_before(&rows, by, now);
            self.delete_schedules_of(&rows, by).await?;
            conv.cancelled += again.len();
            self.bus.publish(&again).await?;
        }
        for row in rows
            .iter()
            .filter(|r| r.reminder && r.record.subject == answered.subject && r.record.event_id == answered.event_id)
        {
            let why = "the customer answered before the reminder".to_owned();
            if let Some(o) = self.cancel_pending(row, why, by.as_ref(), now).await? {
                self.bus.publish(std::slice::from_ref(&o)).await?;
                conv.cancelled += 1;
                conv.outcome
                    .reasons
                    .push(format!("cancelled the pending reminder on {}", row.record.channel));
            }
        }
        let detail = answer_detail(&answered, answer.at, yes, sms);
        let kind = detail.detail_type();
        self.bus.emit(&detail, answer.at).await?;
        conv.outcome.event_id = answered.event_id.to_string();
        conv.outcome.source_detail_type = Some("SuspiciousTransaction".into());
        conv.outcome.reasons.insert(
            0,
            format!(
                "answered {} to the question of event {}: {kind} put on the bus",
                if yes { "YES" } else { "NO" },
                answered.event_id
            ),
        );
        Ok(Some(if yes {
            (Outcome::Confirmed, Some(ReplyText::Confirmed))
        } else {
            (Outcome::Disputed, Some(ReplyText::Disputed))
        }))
    }

    /// Anything that does not answer an open question: STOP, HELP, a stray YES, other text.
    async fn not_an_answer(
        &self,
        sms: &InboundSms,
        book: &PhoneBook,
        conv: &mut Conversation,
        now: Timestamp,
    ) -> Result<(Outcome, Option<ReplyText>), PortError> {
        let reasons = &mut conv.outcome.reasons;
        let known = conv.customer_id.is_some();
        Ok(match sms.intent {
            Intent::Stop => {
                let mut new = false;
                for cid in &book.customers {
                    new |= self
                        .store
                        .opt_out(cid, Channel::Sms, &format!("replied STOP on {now}"))
                        .await?;
                }
                if new {
                    reasons.push("opted out of SMS: later decisions skip SMS".into());
                    (Outcome::OptedOut, Some(ReplyText::OptedOut))
                } else if book.customers.is_empty() {
                    reasons.push("STOP from a number no customer has: nothing to record".into());
                    (Outcome::OptedOut, None)
                } else {
                    reasons.push("already opted out of SMS: not confirmed again".into());
                    (Outcome::OptedOut, None)
                }
            }
            Intent::Help => {
                reasons.push("asked for help".into());
                (Outcome::Help, Some(ReplyText::Help))
            }
            _ if !known => {
                reasons.push("no customer or question for this number: no event".into());
                (Outcome::UnknownSender, Some(ReplyText::UnknownSender))
            }
            Intent::Yes | Intent::No => {
                reasons.push("no open question for this number: no event".into());
                (Outcome::NoOpenQuestion, Some(ReplyText::NoOpenQuestion))
            }
            Intent::Other => {
                let open = book.questions.iter().any(|q| q.phone == sms.from.e164() && q.open(now));
                reasons.push("not an answer forewarn understands: no event".into());
                let text = if open {
                    ReplyText::Unrecognised
                } else {
                    ReplyText::NoOpenQuestion
                };
                (Outcome::Unrecognised, Some(text))
            }
        })
    }

    /// Sends the short answer in the customer's language.
    async fn answer_back(
        &self,
        sms: &InboundSms,
        locale: &str,
        text: ReplyText,
        report: &mut Report,
    ) -> Result<(), PortError> {
        let to = Destination::Phone(sms.from.clone());
        let message = StoredMessage::text(reply_text(locale, text));
        match self.sender.send(&to, &message, report.customer_id.as_ref()).await? {
            SendResult::Sent { .. } => report.sent += 1,
            SendResult::Unreachable(why) => report.reasons.push(format!("could not answer: {why}")),
        }
        Ok(())
    }
}

/// `TransactionConfirmed` or `TransactionDisputed` for an answered question.
fn answer_detail(q: &Question, at: Timestamp, yes: bool, sms: &InboundSms) -> Detail {
    let answer = TransactionAnswer {
        customer_id: q.customer_id.clone(),
        transaction_id: Id::parse(q.transaction_id.as_str()).unwrap_or_else(|_| q.event_id.clone()),
        answered_at: Some(Instant(at)),
        channel: Id::parse("sms").ok(),
        event_id: Some(q.event_id.clone()),
        reply_id: Text::parse(truncate(&sms.inbound_message_id, 200).as_ref()).ok(),
    };
    if yes {
        Detail::TransactionConfirmed(answer)
    } else {
        Detail::TransactionDisputed(answer)
    }
}
