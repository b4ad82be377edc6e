//! Customer-facing words: templates per detail type × channel × locale, formatted with ICU4X.
//! (Placeholder interface: the implementation replaces this file.)

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::customer::Channel;
use crate::events::Detail;

pub mod sms;

/// What a message is rendered from.
pub struct MessageInput<'a> {
    pub detail: &'a Detail,
    pub channel: Channel,
    /// BCP 47 locale from the profile, e.g. `pt-PT`.
    pub locale: &'a str,
    /// The customer's zone, for times shown in the message.
    pub time_zone: &'a TimeZone,
    pub customer_name: Option<&'a str>,
    /// When the event happened (envelope time).
    pub event_time: Timestamp,
}

/// A rendered message for one channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Email subject.
    pub subject: Option<String>,
    /// Push title.
    pub title: Option<String>,
    /// SMS text, push body, or the email's plain-text part.
    pub body: String,
    /// Email HTML part (autoescaped).
    pub html: Option<String>,
    /// Push deep link.
    pub deep_link: Option<String>,
    /// Push: after this instant the message no longer matters.
    pub ttl: Option<Timestamp>,
    /// The customer is asked to answer (fraud SMS).
    pub expects_reply: bool,
    /// SMS only: encoding and segment count.
    pub sms: Option<sms::Segments>,
    /// The template language used (`en`, `pt`).
    pub language: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no template for {0}")]
    NoTemplate(String),
    #[error("template {name}: {reason}")]
    Template { name: String, reason: String },
}

/// Renders messages; build once, use for every event.
pub struct Renderer {}

impl Renderer {
    pub fn new() -> Renderer {
        Renderer {}
    }
    pub fn render(&self, input: &MessageInput<'_>) -> Result<Message, RenderError> {
        let _ = input;
        Err(RenderError::NoTemplate("placeholder".into()))
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}
