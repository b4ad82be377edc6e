//! The in-memory store's phone-number ports: who has a number, the questions sent to it and
//! its counted automatic answers (`Phones`), and what customers said of their contacts (`Contacts`).

use std::rc::Rc;

use forewarn_core::customer::{Channel, PhoneNumber, UnusableContact};
use forewarn_core::types::Id;
use jiff::{Timestamp, ToSpan};

use super::Memory;
use crate::error::FlowError;
use crate::ports::{Contacts, Phones};
use crate::records::{ANSWER_WINDOW_HOURS, AnswerCount, AnswerWindow, PhoneBook, Question};

impl Phones for Rc<Memory> {
    async fn phone_book(&self, phone: &PhoneNumber) -> Result<PhoneBook, FlowError> {
        let customers = self
            .profiles
            .borrow()
            .iter()
            .filter(|p| {
                p.contacts
                    .phone
                    .as_deref()
                    .and_then(|x| PhoneNumber::parse(x).ok())
                    .is_some_and(|x| x.e164() == phone.e164())
            })
            .map(|p| p.customer_id.clone())
            .collect();
        let questions = self
            .questions
            .borrow()
            .iter()
            .filter(|q| q.phone == phone.e164())
            .cloned()
            .collect();
        let answers = self
            .answers
            .borrow()
            .iter()
            .filter(|(p, _)| p == phone.e164())
            .map(|(_, w)| w.clone())
            .collect();
        Ok(PhoneBook {
            customers,
            questions,
            answers,
        })
    }

    async fn answer(&self, q: &Question) -> Result<bool, FlowError> {
        let mut questions = self.questions.borrow_mut();
        match questions.iter_mut().find(|x| x.same(q)) {
            Some(x) if x.answer.is_none() => {
                *x = q.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn count_answer(
        &self,
        phone: &PhoneNumber,
        count: AnswerCount,
        by: &str,
        now: Timestamp,
        limit: u32,
    ) -> Result<bool, FlowError> {
        if limit == 0 {
            return Ok(false);
        }
        let cutoff = now - ANSWER_WINDOW_HOURS.hours();
        let mut all = self.answers.borrow_mut();
        let mine = all.iter_mut().find(|(p, w)| p == phone.e164() && w.count == count);
        match mine {
            // The same two conditional writes as the table: one more in a live window with room…
            Some((_, w)) if w.started > cutoff => {
                if w.answered >= limit {
                    return Ok(false);
                }
                w.answered += 1;
                w.by.push(by.to_owned());
            }
            // …or a new window where none is live.
            Some((_, w)) => *w = window(count, by, now),
            None => all.push((phone.e164().to_owned(), window(count, by, now))),
        }
        Ok(true)
    }
}

/// A window that begins with the answer to `by` at `now`.
fn window(count: AnswerCount, by: &str, now: Timestamp) -> AnswerWindow {
    AnswerWindow {
        count,
        started: now,
        answered: 1,
        by: vec![by.to_owned()],
    }
}

impl Contacts for Rc<Memory> {
    async fn opt_out(&self, customer_id: &Id, channel: Channel, _reason: &str) -> Result<bool, FlowError> {
        let mut o = self.opt_outs.borrow_mut();
        let new = !o.iter().any(|(c, ch)| c == customer_id && *ch == channel);
        if new {
            o.push((customer_id.clone(), channel));
        }
        Ok(new)
    }

    async fn opt_in(&self, customer_id: &Id, channel: Channel, reason: &str) -> Result<bool, FlowError> {
        let mut o = self.opt_outs.borrow_mut();
        let before = o.len();
        o.retain(|(c, ch)| !(c == customer_id && *ch == channel));
        if o.len() == before {
            return Ok(false);
        }
        let mut ins = self.opt_ins.borrow_mut();
        ins.retain(|(c, ch, _)| !(c == customer_id && *ch == channel));
        ins.push((customer_id.clone(), channel, reason.to_owned()));
        Ok(true)
    }

    async fn suppress_contact(&self, customer_id: &Id, c: &UnusableContact) -> Result<(), FlowError> {
        self.unusable.borrow_mut().push((customer_id.clone(), c.clone()));
        Ok(())
    }
}
