//! One entry point per Lambda function: read only the settings its flow needs, build only
//! the clients it uses (once, from one `SdkConfig`, with the request counter), and serve.
//! A function that never sends links no SNS or SES code.

use aws_config::{BehaviorVersion, SdkConfig};
use forewarn_core::engine::Engine;
use forewarn_core::events::DetailType;
use forewarn_flows::Service;

use crate::bus::EventBridgeBus;
use crate::config::{ConfigError, Env};
use crate::counter::RequestCounter;
use crate::dynamo::DynamoStore;
use crate::endpoints::SnsEndpoints;
use crate::handler::{
    FeedbackInput, activity_event, context_event, dispatch_request, envelope, feedback_input, inbound_sms,
    notifying_event, or_rejected, resolving_event, serve, sweep_time,
};
use crate::scheduler::{AwsScheduler, ScheduleTarget};
use crate::sender::{AwsSender, TextSender};
use crate::ses::SesSender;
use crate::sms::EumSender;
use crate::sns::SnsSender;

type Env0 = Env<fn(&str) -> Option<String>>;

/// What a function does with EventBridge Scheduler: whether it needs the dispatch target
/// (and the settings that name it) or only deletes schedules it no longer wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Schedules {
    /// Creates schedules that invoke `dispatch`, and deletes them.
    CreateAndDelete,
    /// Only deletes schedules (a cancellation, an answered question's reminder).
    DeleteOnly,
}

/// The SDK configuration and the request counter every client of the process shares.
struct Clients {
    sdk: SdkConfig,
    counter: RequestCounter,
}

macro_rules! client {
    ($krate:ident, $c:expr) => {
        $krate::Client::from_conf(
            $krate::config::Builder::from(&$c.sdk)
                .interceptor($c.counter.clone())
                .build(),
        )
    };
}

impl Clients {
    async fn load(env: &Env0) -> Result<Clients, ConfigError> {
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .http_client(crate::tls::http_client(env.tls_roots()?))
            .load()
            .await;
        Ok(Clients {
            sdk,
            counter: RequestCounter::default(),
        })
    }
    fn store(&self, env: &Env0) -> Result<DynamoStore, ConfigError> {
        Ok(DynamoStore::new(
            client!(aws_sdk_dynamodb, self),
            env.required("FOREWARN_TABLE")?,
        ))
    }
    fn bus(&self, env: &Env0) -> Result<EventBridgeBus, ConfigError> {
        Ok(EventBridgeBus {
            client: client!(aws_sdk_eventbridge, self),
            bus: env.required("FOREWARN_BUS")?,
        })
    }
    fn sns(&self, env: &Env0) -> SnsSender {
        SnsSender {
            client: client!(aws_sdk_sns, self),
            origination: env.optional("FOREWARN_SMS_ORIGINATION"),
        }
    }
    /// The End User Messaging SMS sender, when it is the provider; its client is built only here.
    fn eum(&self, env: &Env0) -> Result<Option<EumSender>, ConfigError> {
        Ok(env.eum_settings()?.map(|s| EumSender {
            client: client!(aws_sdk_pinpointsmsvoicev2, self),
            origination: env.optional("FOREWARN_SMS_ORIGINATION"),
            sets: s.sets,
            max_price: s.max_price,
        }))
    }
    /// Texts (and push) for the functions that send nothing else.
    fn texts(&self, env: &Env0) -> Result<TextSender, ConfigError> {
        Ok(TextSender {
            eum: self.eum(env)?,
            sns: self.sns(env),
        })
    }
    fn sender(&self, env: &Env0) -> Result<AwsSender, ConfigError> {
        Ok(AwsSender {
            eum: self.eum(env)?,
            sns: self.sns(env),
            ses: SesSender {
                client: client!(aws_sdk_sesv2, self),
                from_email: env.required("FOREWARN_SENDER_EMAIL")?,
                configuration_set: env.optional("FOREWARN_SES_CONFIGURATION_SET"),
            },
        })
    }
    /// A scheduler that does what `schedules` says.
    /// The service of the functions that send (notify, dispatch): every channel, the schedules
    /// of later rows, reminders and receipt checks, and the deployment's claim lease.
    fn sending_service(
        &self,
        env: &Env0,
    ) -> Result<Service<DynamoStore, AwsSender, AwsScheduler, EventBridgeBus>, ConfigError> {
        let mut service = Service::new(
            engine(env)?,
            self.store(env)?,
            self.sender(env)?,
            self.scheduler(env, Schedules::CreateAndDelete)?,
            self.bus(env)?,
        );
        service.lease_seconds = env.lease_seconds()?;
        Ok(service)
    }

    fn scheduler(&self, env: &Env0, schedules: Schedules) -> Result<AwsScheduler, ConfigError> {
        let target = match schedules {
            Schedules::CreateAndDelete => Some(ScheduleTarget {
                dispatch_arn: env.required("FOREWARN_DISPATCH_ARN")?,
                role_arn: env.required("FOREWARN_SCHEDULER_ROLE_ARN")?,
            }),
            Schedules::DeleteOnly => None,
        };
        Ok(AwsScheduler {
            client: client!(aws_sdk_scheduler, self),
            group: env.required("FOREWARN_SCHEDULE_GROUP")?,
            target,
        })
    }
}

/// The engine with the deployment's policy, the hosts its messages' links may lead to, and
/// whether its SMS sender receives answers.
fn engine(env: &Env0) -> Result<Engine, ConfigError> {
    Ok(Engine::new(env.policy()?)
        .with_link_hosts(env.link_hosts()?)
        .with_sms_replies(env.sms_replies()?))
}

/// The engine of a function that decides but sends nothing: no templates, no ICU4X data.
fn quiet_engine(env: &Env0) -> Result<Engine, ConfigError> {
    Ok(Engine::without_messages(env.policy()?))
}

/// `low-balance`, `flight-delay`, `incomplete-application`, `suspicious-transaction` (one kind
/// each), and `notify` (`None`: any notifying kind of the catalog, routed by one rule).
pub async fn notify(detail_type: Option<DetailType>) -> Result<(), lambda_runtime::Error> {
    let env = Env::process();
    let c = Clients::load(&env).await?;
    let clock = env.clock()?;
    let service = c.sending_service(&env)?;
    serve("notify", c.counter, |payload, now| {
        let service = &service;
        async move {
            let envelope = envelope(&payload);
            let result = Box::pin(async {
                let event = notifying_event(payload, detail_type)?;
                Ok(Box::pin(service.notify(&event, clock.at(event.time.0, now))).await?)
            });
            Box::pin(or_rejected(service, envelope, now, result.await)).await
        }
    })
    .await
}

/// `dispatch`: invoked by a schedule.
pub async fn dispatch() -> Result<(), lambda_runtime::Error> {
    let env = Env::process();
    let c = Clients::load(&env).await?;
    let clock = env.clock()?;
    let service = c.sending_service(&env)?;
    serve("dispatch", c.counter, |payload, now| {
        let service = &service;
        async move {
            let (request, scheduled) = dispatch_request(payload)?;
            let now = clock.at(scheduled.unwrap_or(now), now);
            Ok(Box::pin(service.dispatch(&request, now)).await?)
        }
    })
    .await
}

/// `resolve`: cancels what a resolving event makes moot. Sends nothing.
pub async fn resolve() -> Result<(), lambda_runtime::Error> {
    let env = Env::process();
    let c = Clients::load(&env).await?;
    let clock = env.clock()?;
    let service = Service::new(
        quiet_engine(&env)?,
        c.store(&env)?,
        (),
        c.scheduler(&env, Schedules::DeleteOnly)?,
        c.bus(&env)?,
    );
    serve("resolve", c.counter, |payload, now| {
        let service = &service;
        async move {
            let envelope = envelope(&payload);
            let result = Box::pin(async {
                let event = resolving_event(payload)?;
                Ok(Box::pin(service.resolve(&event, clock.at(event.time.0, now))).await?)
            });
            Box::pin(or_rejected(service, envelope, now, result.await)).await
        }
    })
    .await
}

/// `reply`: inbound SMS. Answers by SMS only.
pub async fn reply() -> Result<(), lambda_runtime::Error> {
    let env = Env::process();
    let c = Clients::load(&env).await?;
    let clock = env.clock()?;
    let mut service = Service::new(
        engine(&env)?,
        c.store(&env)?,
        c.texts(&env)?,
        c.scheduler(&env, Schedules::DeleteOnly)?,
        c.bus(&env)?,
    );
    service.self_managed_opt_outs = env.self_managed_opt_outs()?;
    service.auto_answers_per_day = env.auto_answers_per_day()?;
    serve("reply", c.counter, |payload, now| {
        let service = &service;
        async move {
            let mut last = forewarn_flows::Report::default();
            for (sms, at) in inbound_sms(payload)? {
                last = Box::pin(service.reply(&sms, clock.at(at, now))).await?;
            }
            Ok(last)
        }
    })
    .await
}

/// `feedback`: SES delivery, bounce and complaint events, SNS's push feedback (a device
/// whose endpoint failed for good becomes unusable) and End User Messaging SMS's delivery
/// events (the text's row settles). Sends only to re-route a critical alert whose email
/// bounced hard or whose text failed, on the next channel (SMS, push or email).
pub async fn feedback() -> Result<(), lambda_runtime::Error> {
    let env = Env::process();
    let c = Clients::load(&env).await?;
    let service = Service::new(engine(&env)?, c.store(&env)?, c.sender(&env)?, (), c.bus(&env)?);
    serve("feedback", c.counter, |payload, now| {
        let service = &service;
        async move {
            match feedback_input(payload)? {
                FeedbackInput::Email(feedback) => Ok(Box::pin(service.feedback(&feedback, now)).await?),
                FeedbackInput::Sms(all) => {
                    let mut last = forewarn_flows::Report::default();
                    for fb in &all {
                        last = Box::pin(service.sms_feedback(fb, now)).await?;
                    }
                    Ok(last)
                }
                FeedbackInput::Push(all) => {
                    let mut last = forewarn_flows::Report::default();
                    for fb in &all {
                        last = Box::pin(service.push_feedback(fb, now)).await?;
                    }
                    Ok(last)
                }
            }
        }
    })
    .await
}

/// `activity`: learns device habits. Touches only the table.
pub async fn activity() -> Result<(), lambda_runtime::Error> {
    let env = Env::process();
    let c = Clients::load(&env).await?;
    let clock = env.clock()?;
    let service = Service::new(quiet_engine(&env)?, c.store(&env)?, (), (), c.bus(&env)?);
    serve("activity", c.counter, |payload, now| {
        let service = &service;
        async move {
            let envelope = envelope(&payload);
            let result = Box::pin(async {
                let event = activity_event(payload)?;
                Ok(Box::pin(service.activity(&event, clock.at(event.time.0, now))).await?)
            });
            Box::pin(or_rejected(service, envelope, now, result.await)).await
        }
    })
    .await
}

/// `context`: applies the bank's context events to the table; makes and keeps SNS platform
/// endpoints from push tokens; deletes an erased customer's schedules. Sends nothing.
pub async fn context() -> Result<(), lambda_runtime::Error> {
    let env = Env::process();
    let c = Clients::load(&env).await?;
    let clock = env.clock()?;
    let endpoints = SnsEndpoints {
        client: client!(aws_sdk_sns, c),
        apns: env.optional("FOREWARN_APNS_APPLICATION"),
        apns_sandbox: env.optional("FOREWARN_APNS_SANDBOX_APPLICATION"),
        fcm: env.optional("FOREWARN_FCM_APPLICATION"),
    };
    let service = Service::new(
        quiet_engine(&env)?,
        c.store(&env)?,
        endpoints,
        c.scheduler(&env, Schedules::DeleteOnly)?,
        c.bus(&env)?,
    );
    serve("context", c.counter, |payload, now| {
        let service = &service;
        async move {
            let envelope = envelope(&payload);
            let result = Box::pin(async {
                let event = context_event(payload)?;
                Ok(Box::pin(service.context(&event, clock.at(event.time.0, now))).await?)
            });
            Box::pin(or_rejected(service, envelope, now, result.await)).await
        }
    })
    .await
}

/// `api`: the HTTP API (a function URL, IAM-signed) over the context flow: the same clients
/// as `context`, answering each request at once. Sends nothing.
pub async fn api() -> Result<(), lambda_runtime::Error> {
    let env = Env::process();
    let c = Clients::load(&env).await?;
    let endpoints = SnsEndpoints {
        client: client!(aws_sdk_sns, c),
        apns: env.optional("FOREWARN_APNS_APPLICATION"),
        apns_sandbox: env.optional("FOREWARN_APNS_SANDBOX_APPLICATION"),
        fcm: env.optional("FOREWARN_FCM_APPLICATION"),
    };
    let service = Service::new(
        quiet_engine(&env)?,
        c.store(&env)?,
        endpoints,
        c.scheduler(&env, Schedules::DeleteOnly)?,
        c.bus(&env)?,
    );
    crate::api_serve::serve_api(&service, c.counter).await
}

/// `sweep`: every 15 minutes, fails the rows stuck past their horizon and reports them.
/// Touches the table and the bus only.
pub async fn sweep() -> Result<(), lambda_runtime::Error> {
    let env = Env::process();
    let c = Clients::load(&env).await?;
    let clock = env.clock()?;
    let mut service = Service::new(quiet_engine(&env)?, c.store(&env)?, (), (), c.bus(&env)?);
    service.lease_seconds = env.lease_seconds()?;
    serve("sweep", c.counter, |payload, now| {
        let service = &service;
        async move {
            let at = sweep_time(payload)?;
            Ok(Box::pin(service.sweep(clock.at(at, now))).await?)
        }
    })
    .await
}
