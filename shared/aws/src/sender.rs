//! The sender of the functions that notify: SMS and push through SNS, email through SES.

use forewarn_core::engine::Destination;
use forewarn_core::types::Id;
use forewarn_flows::FlowError;
use forewarn_flows::ports::Sender;
use forewarn_flows::records::{SendResult, StoredMessage};

use crate::ses::SesSender;
use crate::sns::SnsSender;

/// Every channel.
#[derive(Clone, Debug)]
pub struct AwsSender {
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
            Destination::Phone(p) => self.sns.sms(p.e164(), message).await,
            Destination::Endpoint(arn) => self.sns.push(arn, message).await,
            Destination::Email(e) => self.ses.email(e.as_str(), message, customer).await,
        }
    }
}
