//! Abuse limits on reply's automatic answers: none to an opted-out number, a daily count for the rest.

use forewarn_core::conversation::InboundSms;
use forewarn_core::types::truncate;
use jiff::Timestamp;

use crate::error::FlowError;
use crate::ports::Phones;
use crate::records::{AnswerCount, PhoneBook};
use crate::service::Service;

/// What an automatic answer is, as far as the limits go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An answer to a question: an acknowledgement, or which one of several. Not counted.
    Question,
    /// The confirmation of an opt-out: the one answer an opted-out number gets.
    OptedOut,
    /// The confirmation of an opt-in. Not counted.
    OptedIn,
    /// The help text: counted apart, under the same limit.
    Help,
    /// Anything else ("sorry, we didn't understand", "no open question", …): counted.
    Other,
}

impl<St: Phones, Se, Sc, B> Service<St, Se, Sc, B> {
    /// Whether an answer of `kind` may go back to `sms.from`, now that the reply's own effects
    /// are recorded (`opted_out`: the number is opted out of SMS after them). When it may not,
    /// `reasons` say why.
    pub(crate) async fn may_answer(
        &self,
        sms: &InboundSms,
        kind: Kind,
        opted_out: bool,
        book: &PhoneBook,
        reasons: &mut Vec<String>,
        now: Timestamp,
    ) -> Result<bool, FlowError> {
        if opted_out && kind != Kind::OptedOut {
            reasons.push("no answer sent: this number opted out of SMS".into());
            return Ok(false);
        }
        let count = match kind {
            Kind::Question | Kind::OptedOut | Kind::OptedIn => return Ok(true),
            Kind::Help => AnswerCount::Help,
            Kind::Other => AnswerCount::Reply,
        };
        let by = truncate(&sms.inbound_message_id, 120);
        // A redelivery of the very message that was counted (its answer may not have gone).
        let again = !by.is_empty()
            && book
                .answers
                .iter()
                .any(|w| w.count == count && w.by.iter().any(|b| *b == by));
        let limit = self.auto_answers_per_day;
        let by = if by.is_empty() { "-" } else { by.as_ref() };
        if again || (limit > 0 && self.store.count_answer(&sms.from, count, by, now, limit).await?) {
            return Ok(true);
        }
        let what = match (count, limit) {
            (AnswerCount::Help, 1) => "the help text".to_owned(),
            (AnswerCount::Help, n) => format!("the help text {n} times"),
            (AnswerCount::Reply, 1) => "its automatic answer".to_owned(),
            (AnswerCount::Reply, n) => format!("its {n} automatic answers"),
        };
        reasons.push(if limit == 0 {
            "no answer sent: automatic answers are turned off".into()
        } else {
            format!("no answer sent: this number already got {what} in the last 24 h")
        });
        Ok(false)
    }
}
