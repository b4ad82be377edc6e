//! SNS platform endpoints on the stack's platform applications: created idempotently from a raw token, enabled and updated on refresh, deleted when no device uses them.

use aws_sdk_sns::error::ProvideErrorMetadata;
use forewarn_core::events::{PushPlatform, PushToken};
use forewarn_core::types::Id;
use forewarn_flows::ports::Endpoints;
use forewarn_flows::{FlowError, Port};

use crate::error::port_error;

/// The SNS client and the platform application of each push service the stack has.
#[derive(Clone, Debug)]
pub struct SnsEndpoints {
    pub client: aws_sdk_sns::Client,
    /// `FOREWARN_APNS_APPLICATION`: the APNs platform application's ARN.
    pub apns: Option<String>,
    /// `FOREWARN_APNS_SANDBOX_APPLICATION`: the APNs sandbox platform application's ARN.
    pub apns_sandbox: Option<String>,
    /// `FOREWARN_FCM_APPLICATION`: the FCM platform application's ARN.
    pub fcm: Option<String>,
}

impl SnsEndpoints {
    fn application(&self, platform: PushPlatform) -> Result<&str, FlowError> {
        let (app, setting) = match platform {
            PushPlatform::Apns => (&self.apns, "FOREWARN_APNS_APPLICATION"),
            PushPlatform::ApnsSandbox => (&self.apns_sandbox, "FOREWARN_APNS_SANDBOX_APPLICATION"),
            PushPlatform::Fcm => (&self.fcm, "FOREWARN_FCM_APPLICATION"),
        };
        app.as_deref().ok_or_else(|| {
            FlowError::permanent(
                Port::Sns,
                format!(
                    "no {} platform application: set {setting} (the template's parameter)",
                    platform.as_str()
                ),
            )
        })
    }
}

/// The endpoint ARN SNS names when it refuses to create a second endpoint for a token it
/// already holds with other attributes: `Endpoint <arn> already exists with the same Token…`.
fn existing_endpoint(message: &str) -> Option<&str> {
    let start = message.find("arn:aws")?;
    message[start..].split_whitespace().next()
}

impl Endpoints for SnsEndpoints {
    async fn register(&self, platform: PushPlatform, token: &PushToken, _customer: &Id) -> Result<String, FlowError> {
        let app = self.application(platform)?;
        let created = self
            .client
            .create_platform_endpoint()
            .platform_application_arn(app)
            .token(token.expose())
            .send()
            .await;
        let arn = match created {
            Ok(out) => out
                .endpoint_arn
                .ok_or_else(|| FlowError::transient(Port::Sns, "CreatePlatformEndpoint returned no endpoint"))?,
            Err(e) => match (e.code(), e.message().and_then(existing_endpoint)) {
                (Some("InvalidParameter"), Some(arn)) => arn.to_owned(),
                _ => return Err(port_error(Port::Sns, e)),
            },
        };
        // A refreshed or re-registered token: the endpoint is enabled again and holds it
        // (AWS's recipe: read the attributes, and write them only when they differ).
        let held = self
            .client
            .get_endpoint_attributes()
            .endpoint_arn(&arn)
            .send()
            .await
            .map_err(|e| port_error(Port::Sns, e))?;
        let attrs = held.attributes.unwrap_or_default();
        let enabled = attrs.get("Enabled").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if !enabled || attrs.get("Token").map(String::as_str) != Some(token.expose()) {
            self.client
                .set_endpoint_attributes()
                .endpoint_arn(&arn)
                .attributes("Enabled", "true")
                .attributes("Token", token.expose())
                .send()
                .await
                .map_err(|e| port_error(Port::Sns, e))?;
        }
        Ok(arn)
    }

    async fn retire(&self, endpoint: &str) -> Result<(), FlowError> {
        match self.client.delete_endpoint().endpoint_arn(endpoint).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("NotFound") => Ok(()),
            Err(e) => Err(port_error(Port::Sns, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_sns_already_holds_is_read_from_its_refusal() {
        let m = "Invalid parameter: Token Reason: Endpoint arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/app/1f2e already exists with the same Token, but different attributes.";
        assert_eq!(
            existing_endpoint(m),
            Some("arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/app/1f2e")
        );
        assert_eq!(existing_endpoint("Invalid parameter: Token"), None);
    }
}
