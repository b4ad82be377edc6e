//! reply: an inbound SMS. An answer to the fraud questions it picks (`matching`), an opt-out
//! or opt-in, a request for help, or anything else; each gets one `ReplyReceived` outcome
//! event and, where it is due, a short answer.

use forewarn_core::conversation::{InboundSms, Intent, ReplyText, reply_sms, which_text};
use forewarn_core::customer::Channel;
use forewarn_core::engine::Destination;
use forewarn_core::events::{Detail, TransactionAnswer};
use forewarn_core::outcomes::{Outcome, OutcomeEvent, OutcomeType};
use forewarn_core::types::{Id, Instant, Text, truncate};
use jiff::Timestamp;

use crate::cancel::cancelled_before;
use crate::error::FlowError;
use crate::limits::Kind;
use crate::ports::{Bus, Contacts, Deliveries, Partitions, Phones, Scheduler, Sender};
use crate::records::{Answer, AnswerKind, PhoneBook, Question, SendResult, StoredDelivery, StoredMessage};
use crate::report::Report;
use crate::service::Service;

pub use crate::matching::{Matched, match_question};

/// What forewarn answers an inbound SMS with.
#[derive(Clone, Debug, PartialEq)]
enum Say {
    Text(ReplyText),
    /// Which of the listed questions (number, what it is about) the answer is for.
    Which(Vec<(u8, String)>),
}

impl Say {
    fn name(&self) -> String {
        match self {
            Say::Text(t) => format!("{t:?}"),
            Say::Which(_) => "Which".into(),
        }
    }
    /// What the answer is, for the limits.
    fn kind(&self) -> Kind {
        match self {
            Say::Which(_) | Say::Text(ReplyText::Confirmed | ReplyText::Disputed) => Kind::Question,
            Say::Text(ReplyText::OptedOut) => Kind::OptedOut,
            Say::Text(ReplyText::OptedIn) => Kind::OptedIn,
            Say::Text(ReplyText::Help) => Kind::Help,
            Say::Text(_) => Kind::Other,
        }
    }
    fn body(&self, locale: &str) -> String {
        match self {
            Say::Text(t) => reply_sms(locale, *t),
            Say::Which(listed) => which_text(locale, listed),
        }
    }
}

/// How a question is named in a listing: what it is about, else when it was asked.
fn label(q: &Question) -> String {
    q.about
        .clone()
        .unwrap_or_else(|| format!("the alert of {}", q.asked_at.strftime("%d/%m %H:%M UTC")))
}

/// What the reply flow knows while it works: the sender's customer and their rows.
struct Conversation {
    customer_id: Option<Id>,
    locale: String,
    rows: Vec<StoredDelivery>,
    outcome: OutcomeEvent,
    /// Pending reminders this reply cancelled.
    cancelled: usize,
    /// Whether the number is opted out of SMS (its customer's opt-out, after this reply's).
    opted_out: bool,
}

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: Partitions + Deliveries + Phones + Contacts,
    Se: Sender,
    Sc: Scheduler,
    B: Bus,
{
    /// Handles one inbound SMS at `now`.
    pub async fn reply(&self, sms: &InboundSms, now: Timestamp) -> Result<Report, FlowError> {
        crate::metrics::reply(sms.intent);
        let book = self.store.phone_book(&sms.from).await?;
        let matched = match sms.intent {
            Intent::Yes | Intent::No => match_question(&book.questions, sms, now),
            _ => Matched::None,
        };
        let customer_id = match &matched {
            Matched::Answer(qs) => qs.first().map(|q| q.customer_id.clone()),
            Matched::Ambiguous(listed) => listed.first().map(|(_, q)| q.customer_id.clone()),
            _ => None,
        };
        let customer_id = customer_id.or_else(|| book.customers.first().cloned());
        let mut conv = self.conversation(sms, customer_id, now).await?;
        let (outcome, say) = match &matched {
            Matched::Answer(qs) => match self.answer(sms, qs, &mut conv, now).await? {
                Some(done) => done,
                None => (Outcome::NoOpenQuestion, Some(Say::Text(ReplyText::NoOpenQuestion))),
            },
            Matched::Ambiguous(listed) => {
                conv.outcome.reasons.push(format!(
                    "a bare YES while {} questions are open: none confirmed, the customer is asked which",
                    listed.len()
                ));
                let named = listed.iter().map(|(n, q)| (*n, label(q))).collect();
                (Outcome::Ambiguous, Some(Say::Which(named)))
            }
            Matched::Expired => {
                conv.outcome.reasons.push("the question expired: no event".into());
                (Outcome::Expired, Some(Say::Text(ReplyText::Expired)))
            }
            Matched::None => self.not_an_answer(sms, &book, &mut conv, now).await?,
        };
        let say = match say {
            Some(say) => {
                let (kind, opted_out) = (say.kind(), conv.opted_out);
                let reasons = &mut conv.outcome.reasons;
                let may = self.may_answer(sms, kind, opted_out, &book, reasons, now).await?;
                may.then_some(say)
            }
            None => None,
        };
        let mut report = Report::of(outcome, vec![]);
        report.customer_id = conv.customer_id.clone();
        report.cancelled = conv.cancelled;
        if let Some(say) = &say {
            conv.outcome
                .reasons
                .push(format!("answered with the {} text", say.name()));
        }
        report.reasons = conv.outcome.reasons.clone();
        // The answer back is the last step: nothing after it can fail and make a retry send
        // it again.
        self.bus.publish(std::slice::from_ref(&conv.outcome)).await?;
        if let Some(say) = say {
            self.answer_back(sms, &conv.locale, &say, &mut report).await?;
        }
        Ok(report)
    }

    /// The sender's customer, their language and rows, and the `ReplyReceived` event to fill.
    async fn conversation(
        &self,
        sms: &InboundSms,
        customer_id: Option<Id>,
        now: Timestamp,
    ) -> Result<Conversation, FlowError> {
        let (mut unreadable, mut opted_out, mut locale) = (false, false, "en".to_owned());
        let rows = match &customer_id {
            Some(cid) => {
                let part = self.store.load(cid, None).await?;
                match part.customer() {
                    Ok(customer) => {
                        opted_out = customer.as_ref().is_some_and(|c| c.has_opted_out(Channel::Sms));
                        locale = customer.map_or(locale, |c| c.locale);
                    }
                    // The only policy for a corrupt profile is to stop, but for an answer or an
                    // opt-out, which the number that was asked gives and which must be
                    // honoured: it goes on, with what of the profile could be read.
                    Err(FlowError::Corrupt { .. }) => {
                        let raw = part.profile.as_ref();
                        unreadable = true;
                        opted_out = raw.is_some_and(|p| p.opted_out.contains(&Channel::Sms));
                        locale = raw.and_then(|p| p.locale.clone()).unwrap_or(locale);
                    }
                    Err(e) => return Err(e),
                }
                part.deliveries
            }
            None => vec![],
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
        if unreadable {
            outcome
                .reasons
                .push("the customer's stored profile is unreadable: the reply is honoured all the same".into());
        }
        Ok(Conversation {
            customer_id,
            opted_out,
            locale,
            rows,
            outcome,
            cancelled: 0,
        })
    }

    /// Records the answer to each of `qs` (once each), cancels their reminders and puts the
    /// bank's events on the bus; `None` when other answers got there first for all of them.
    async fn answer(
        &self,
        sms: &InboundSms,
        qs: &[&Question],
        conv: &mut Conversation,
        now: Timestamp,
    ) -> Result<Option<(Outcome, Option<Say>)>, FlowError> {
        let by = Id::parse(truncate(&sms.inbound_message_id, 120).as_ref()).ok();
        let mut read: Vec<(Id, Vec<StoredDelivery>)> = Vec::new();
        let mut said = Vec::new();
        for q in qs {
            let Some(answer) = self.record(sms, q, conv, now).await? else {
                continue;
            };
            let rows = self.rows_for(&q.customer_id, &mut read, by.as_ref(), conv, now).await?;
            self.cancel_reminder(q, rows, by.as_ref(), conv, now).await?;
            let detail = answer_detail(q, answer.at, answer.intent, sms);
            let kind = detail.detail_type();
            self.bus.emit(&detail, answer.at).await?;
            if said.is_empty() {
                conv.outcome.event_id = q.event_id.to_string();
            }
            said.push((
                answer.intent,
                format!(
                    "answered {} to the question of event {}: {kind} put on the bus",
                    if answer.intent == AnswerKind::Yes { "YES" } else { "NO" },
                    q.event_id
                ),
            ));
        }
        let Some(&(first, _)) = said.first() else {
            return Ok(None);
        };
        conv.outcome.source_detail_type = Some("SuspiciousTransaction".into());
        conv.outcome.reasons.splice(0..0, said.into_iter().map(|(_, why)| why));
        Ok(Some(match first {
            AnswerKind::Yes => (Outcome::Confirmed, Some(Say::Text(ReplyText::Confirmed))),
            AnswerKind::No | AnswerKind::Closed => (Outcome::Disputed, Some(Say::Text(ReplyText::Disputed))),
        }))
    }

    /// The delivery rows of `cid`, read once. The first time, it also finishes what a first
    /// delivery of this very message cancelled before it died: schedules and outcome events.
    async fn rows_for<'r>(
        &self,
        cid: &Id,
        read: &'r mut Vec<(Id, Vec<StoredDelivery>)>,
        by: Option<&Id>,
        conv: &mut Conversation,
        now: Timestamp,
    ) -> Result<&'r [StoredDelivery], FlowError> {
        let Some(i) = read.iter().position(|(c, _)| c == cid) else {
            let rows = if conv.customer_id.as_ref() == Some(cid) {
                std::mem::take(&mut conv.rows)
            } else {
                self.store.load(cid, None).await?.deliveries
            };
            if let Some(by) = by {
                let again = cancelled_before(&rows, by, now);
                self.delete_schedules_of(&rows, by).await?;
                conv.cancelled += again.len();
                self.bus.publish(&again).await?;
            }
            read.push((cid.clone(), rows));
            return Ok(&read[read.len() - 1].1);
        };
        Ok(&read[i].1)
    }

    /// The answer recorded on `q`: this one if it counts (a conditional write), the one a
    /// first delivery of this very message recorded, or `None` when another got there first.
    async fn record(
        &self,
        sms: &InboundSms,
        q: &Question,
        conv: &mut Conversation,
        now: Timestamp,
    ) -> Result<Option<Answer>, FlowError> {
        if let Some(a) = &q.answer {
            return Ok(Some(a.clone()));
        }
        let mut answered = q.clone();
        let answer = Answer {
            intent: if sms.intent == Intent::Yes {
                AnswerKind::Yes
            } else {
                AnswerKind::No
            },
            at: now,
            inbound_message_id: sms.inbound_message_id.clone(),
        };
        answered.answer = Some(answer.clone());
        if self.store.answer(&answered).await? {
            return Ok(Some(answer));
        }
        conv.outcome.reasons.push(format!(
            "the question of event {} was answered meanwhile: nothing changed",
            q.event_id
        ));
        Ok(None)
    }

    /// Cancels the pending reminder of an answered question.
    async fn cancel_reminder(
        &self,
        q: &Question,
        rows: &[StoredDelivery],
        by: Option<&Id>,
        conv: &mut Conversation,
        now: Timestamp,
    ) -> Result<(), FlowError> {
        let reminders = rows
            .iter()
            .filter(|r| r.reminder && r.record.subject == *q.subject && r.record.event_id == q.event_id);
        for row in reminders {
            let why = "the customer answered before the reminder".to_owned();
            if let Some(o) = self.cancel_pending(row, why, by, now).await? {
                self.bus.publish(std::slice::from_ref(&o)).await?;
                conv.cancelled += 1;
                conv.outcome
                    .reasons
                    .push(format!("cancelled the pending reminder on {}", row.record.channel));
            }
        }
        Ok(())
    }

    /// Anything that does not answer an open question: STOP, START, HELP, a stray YES, other text.
    async fn not_an_answer(
        &self,
        sms: &InboundSms,
        book: &PhoneBook,
        conv: &mut Conversation,
        now: Timestamp,
    ) -> Result<(Outcome, Option<Say>), FlowError> {
        let known = conv.customer_id.is_some();
        let (outcome, text) = match sms.intent {
            Intent::Stop | Intent::Start => self.opt_out_or_in(sms.intent, book, conv, now).await?,
            Intent::Help => {
                conv.outcome.reasons.push("asked for help".into());
                (Outcome::Help, Some(ReplyText::Help))
            }
            _ if !known => {
                conv.outcome
                    .reasons
                    .push("no customer or question for this number: no event".into());
                (Outcome::UnknownSender, Some(ReplyText::UnknownSender))
            }
            Intent::Yes | Intent::No => {
                conv.outcome
                    .reasons
                    .push("no open question for this number: no event".into());
                (Outcome::NoOpenQuestion, Some(ReplyText::NoOpenQuestion))
            }
            Intent::Other => {
                let open = book.questions.iter().any(|q| q.phone == sms.from.e164() && q.open(now));
                conv.outcome
                    .reasons
                    .push("not an answer forewarn understands: no event".into());
                let text = if open {
                    ReplyText::Unrecognised
                } else {
                    ReplyText::NoOpenQuestion
                };
                (Outcome::Unrecognised, Some(text))
            }
        };
        let keyword = matches!(sms.intent, Intent::Stop | Intent::Start | Intent::Help);
        if keyword && text.is_some() && !self.self_managed_opt_outs {
            conv.outcome.reasons.push(
                "AWS manages this number's opt-outs and answers STOP, START and HELP itself: no answer of ours".into(),
            );
            return Ok((outcome, None));
        }
        Ok((outcome, text.map(Say::Text)))
    }

    /// STOP records an SMS opt-out, START lifts it, for every customer with the number;
    /// either is confirmed once.
    async fn opt_out_or_in(
        &self,
        intent: Intent,
        book: &PhoneBook,
        conv: &mut Conversation,
        now: Timestamp,
    ) -> Result<(Outcome, Option<ReplyText>), FlowError> {
        let stop = intent == Intent::Stop;
        let mut new = false;
        for cid in &book.customers {
            new |= if stop {
                let why = format!("replied STOP on {now}");
                self.store.opt_out(cid, Channel::Sms, &why).await?
            } else {
                let why = format!("the customer replied START on {now}");
                self.store.opt_in(cid, Channel::Sms, &why).await?
            };
        }
        let (outcome, text, done, already) = if stop {
            let done = "opted out of SMS: later decisions skip SMS";
            (Outcome::OptedOut, ReplyText::OptedOut, done, "already opted out of SMS")
        } else {
            let done = "opted back in to SMS: later decisions may use SMS again";
            (Outcome::OptedIn, ReplyText::OptedIn, done, "not opted out of SMS")
        };
        if !book.customers.is_empty() {
            conv.opted_out = stop;
        }
        let reasons = &mut conv.outcome.reasons;
        let word = if stop { "STOP" } else { "START" };
        Ok(if new {
            reasons.push(done.into());
            (outcome, Some(text))
        } else if book.customers.is_empty() {
            reasons.push(format!("{word} from a number no customer has: nothing to record"));
            (outcome, None)
        } else {
            reasons.push(format!("{already}: not confirmed again"));
            (outcome, None)
        })
    }

    /// Sends the short answer in the customer's language.
    async fn answer_back(
        &self,
        sms: &InboundSms,
        locale: &str,
        say: &Say,
        report: &mut Report,
    ) -> Result<(), FlowError> {
        let to = Destination::Phone(sms.from.clone());
        let message = StoredMessage::text(&say.body(locale));
        match self.sender.send(&to, &message, report.customer_id.as_ref()).await? {
            SendResult::Sent { .. } => report.sent += 1,
            SendResult::Unreachable(why) => report.reasons.push(format!("could not answer: {why}")),
        }
        Ok(())
    }
}

/// `TransactionConfirmed` for a question answered YES, `TransactionDisputed` for one answered
/// otherwise (a question the bank closed is never matched again, so never answered here).
fn answer_detail(q: &Question, at: Timestamp, said: AnswerKind, sms: &InboundSms) -> Detail {
    let answer = TransactionAnswer {
        customer_id: q.customer_id.clone(),
        transaction_id: Id::parse(q.transaction_id.as_str()).unwrap_or_else(|_| q.event_id.clone()),
        answered_at: Some(Instant(at)),
        channel: Id::parse("sms").ok(),
        event_id: Some(q.event_id.clone()),
        reply_id: Text::parse(truncate(&sms.inbound_message_id, 200).as_ref()).ok(),
    };
    match said {
        AnswerKind::Yes => Detail::TransactionConfirmed(answer),
        AnswerKind::No | AnswerKind::Closed => Detail::TransactionDisputed(answer),
    }
}
