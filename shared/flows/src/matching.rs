//! Which open fraud questions an inbound YES or NO answers, and how they are numbered.

use forewarn_core::conversation::{InboundSms, Intent, MAX_CHOICE};
use jiff::{SignedDuration, Timestamp};

use crate::records::Question;

/// How long after it expires a question keeps its number, so a listing stays valid while
/// the customer reads it.
const NUMBER_GRACE: SignedDuration = SignedDuration::from_hours(1);

/// Which questions an answer is for.
#[derive(Clone, Debug, PartialEq)]
pub enum Matched<'a> {
    /// The questions the answer settles: one, or every open one for a bare NO. A question
    /// this very inbound message already answered (a redelivery) is among them, so its
    /// effects are finished.
    Answer(Vec<&'a Question>),
    /// A bare YES while several questions are open and nothing says which: the open ones,
    /// each with the number that picks it ("YES 2"). Nothing is confirmed.
    Ambiguous(Vec<(u8, &'a Question)>),
    Expired,
    None,
}

/// Whether `sms` is the answer recorded on `q`.
fn answered_by(q: &Question, sms: &InboundSms) -> bool {
    q.answer
        .as_ref()
        .is_some_and(|a| a.inbound_message_id == sms.inbound_message_id)
}

/// The questions sent to a number, each with its number, oldest first. Answered questions
/// keep theirs until they expire (and an hour more), so answering "YES 1" does not make the
/// old "2" a "1", and a question asked later only ever gets a higher number.
pub fn numbered<'a>(mine: &[&'a Question], now: Timestamp) -> Vec<(u8, &'a Question)> {
    let mut kept: Vec<&Question> = mine
        .iter()
        .copied()
        .filter(|q| q.expires_at > q.asked_at && now < q.expires_at + NUMBER_GRACE)
        .collect();
    kept.sort_by(|a, b| (a.asked_at, &a.event_id).cmp(&(b.asked_at, &b.event_id)));
    (1..=MAX_CHOICE).zip(kept).collect()
}

/// The questions an answer from `sms.from` refers to: the one its number picks ("YES 2"),
/// else the one its reply threads to when the carrier says so, else the only open one sent
/// to that number. With several open and nothing to choose, a bare NO disputes them all
/// (the safe side) and a bare YES confirms none.
pub fn match_question<'a>(questions: &'a [Question], sms: &InboundSms, now: Timestamp) -> Matched<'a> {
    let mine: Vec<&Question> = questions.iter().filter(|q| q.phone == sms.from.e164()).collect();
    let numbers = numbered(&mine, now);
    let listed: Vec<(u8, &Question)> = numbers.iter().copied().filter(|(_, q)| q.open(now)).collect();
    if let Some(n) = sms.choice {
        return match numbers.iter().find(|(k, _)| *k == n) {
            Some((_, q)) if answered_by(q, sms) || q.open(now) => Matched::Answer(vec![q]),
            Some((_, q)) if q.answer.is_some() => Matched::None,
            Some(_) => Matched::Expired,
            None if listed.is_empty() => Matched::None,
            None => Matched::Ambiguous(listed),
        };
    }
    let thread = sms.previous_published_message_id.as_deref();
    if let Some(q) = mine
        .iter()
        .find(|q| thread.is_some() && q.provider_message_id.as_deref() == thread)
    {
        return match (answered_by(q, sms), q.answer.is_some(), q.open(now)) {
            (true, ..) | (false, false, true) => Matched::Answer(vec![q]),
            (false, true, _) => Matched::None,
            (false, false, false) => Matched::Expired,
        };
    }
    let again: Vec<&Question> = mine.iter().copied().filter(|q| answered_by(q, sms)).collect();
    let mut open: Vec<&Question> = mine.iter().copied().filter(|q| q.open(now)).collect();
    open.sort_by(|a, b| (a.asked_at, &a.event_id).cmp(&(b.asked_at, &b.event_id)));
    if sms.intent == Intent::No && !(again.is_empty() && open.is_empty()) {
        return Matched::Answer(again.into_iter().chain(open).collect());
    }
    match (again.is_empty(), open.len()) {
        (false, _) => Matched::Answer(again),
        (true, 1) => Matched::Answer(open),
        (true, 0) if mine.iter().any(|q| q.answer.is_none()) => Matched::Expired,
        (true, 0) => Matched::None,
        (true, _) => Matched::Ambiguous(listed),
    }
}
