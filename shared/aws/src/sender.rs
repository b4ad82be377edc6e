//! The sender of the functions that notify: SMS through End User Messaging SMS (or SNS, the documented fallback), push through SNS, email through SES.

use forewarn_core::customer::Channel;
use forewarn_core::engine::Destination;
use forewarn_core::types::Id;
use forewarn_flows::FlowError;
use forewarn_flows::error::Port;
use forewarn_flows::ports::Sender;
use forewarn_flows::records::{SendResult, StoredMessage};

use crate::ses::SesSender;
use crate::sms::EumSender;
use crate::sns::SnsSender;

/// Every channel. `eum` set: texts go through End User Messaging SMS; unset
/// (`FOREWARN_SMS_PROVIDER=sns`), through SNS.
#[derive(Clone, Debug)]
pub struct AwsSender {
    pub eum: Option<EumSender>,
    pub sns: SnsSender,
    pub ses: SesSender,
}

impl Sender for AwsSender {
    async fn send(
        &self,
        to: &Destination,
        message: &StoredMessage,
        customer: Option<&Id>,
    ) -> Result<SendResult, FlowError> {
        match to {
            Destination::Phone(p) => match &self.eum {
                Some(eum) => eum.sms(p.e164(), message, customer).await,
                None => self.sns.sms(p.e164(), message).await,
            },
            Destination::Endpoint(arn) => self.sns.push(arn, message).await,
            Destination::Email(e) => self.ses.email(e.as_str(), message, customer).await,
        }
    }

    fn reports_delivery(&self, channel: Channel) -> bool {
        channel == Channel::Sms && self.eum.is_some()
    }

    fn provider(&self, channel: Channel) -> Port {
        provider(channel, self.eum.is_some())
    }
}

/// The texts of a function that sends nothing else (`reply`, `feedback`'s re-route by SMS
/// or push): End User Messaging SMS or SNS for texts, SNS for push.
#[derive(Clone, Debug)]
pub struct TextSender {
    pub eum: Option<EumSender>,
    pub sns: SnsSender,
}

impl Sender for TextSender {
    async fn send(
        &self,
        to: &Destination,
        message: &StoredMessage,
        customer: Option<&Id>,
    ) -> Result<SendResult, FlowError> {
        match (to, &self.eum) {
            (Destination::Phone(p), Some(eum)) => eum.sms(p.e164(), message, customer).await,
            _ => self.sns.send(to, message, customer).await,
        }
    }

    fn reports_delivery(&self, channel: Channel) -> bool {
        channel == Channel::Sms && self.eum.is_some()
    }

    fn provider(&self, channel: Channel) -> Port {
        provider(channel, self.eum.is_some())
    }
}

/// The service that carries `channel`: End User Messaging SMS for texts when `eum`.
fn provider(channel: Channel, eum: bool) -> Port {
    match channel {
        Channel::Email => Port::Ses,
        Channel::Sms if eum => Port::SmsVoice,
        Channel::Sms | Channel::Push => Port::Sns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_through_end_user_messaging_count_their_failures_under_smsvoice_not_sns() {
        assert_eq!(provider(Channel::Sms, true), Port::SmsVoice);
        assert_eq!(provider(Channel::Sms, false), Port::Sns);
        assert_eq!(provider(Channel::Push, true), Port::Sns);
        assert_eq!(provider(Channel::Email, true), Port::Ses);
    }
}
