//! End-to-end test support: the local stack (DynamoDB Local, moto server), SDK clients pointed
//! at it, moto's record of what was sent, and the Lambda Runtime API harness.

pub mod cells;
pub mod eum;
pub mod faults;
pub mod keys;
pub mod runtime;
pub mod wait;

pub use wait::{DEADLINE, wait_for, wait_until};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

/// What `infra/stack.py start` reports.
#[derive(Clone, Debug, Deserialize)]
pub struct Stack {
    pub dynamodb: String,
    pub moto: String,
    pub table: String,
    pub bus: String,
    pub schedule_group: String,
    pub outcomes_queue_url: String,
    pub sender_email: String,
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The local stack for this test process: the one named by `FOREWARN_STACK` (a state file
/// written by `infra/stack.py start`), or one started now and stopped when the process exits.
pub fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        let state = match std::env::var_os("FOREWARN_STACK") {
            Some(s) => PathBuf::from(s),
            None => {
                let state = std::env::temp_dir().join(format!("forewarn-stack-{}.json", std::process::id()));
                let python = root().join(".tools/venv/bin/python");
                assert!(
                    python.exists(),
                    "the local stack tools are not installed: run infra/install-tools (scripts/test does)"
                );
                let out = Command::new(&python)
                    .arg(root().join("infra/stack.py"))
                    .args(["start", "--state"])
                    .arg(&state)
                    .args(["--prefix", &format!("forewarn-t{}", std::process::id())])
                    .args(["--parent-pid", &std::process::id().to_string()])
                    .output()
                    .expect("run infra/stack.py");
                assert!(
                    out.status.success(),
                    "the local stack did not start:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                state
            }
        };
        let text = std::fs::read_to_string(&state).unwrap_or_else(|e| panic!("{}: {e}", state.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", state.display()))
    })
}

impl Stack {
    /// The environment a function process needs to run against the local stack.
    pub fn function_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_LC_SYS_NO_JITTER_ENTROPY", "1"),
            ("AWS_ENDPOINT_URL", self.moto.as_str()),
            ("AWS_ENDPOINT_URL_DYNAMODB", self.dynamodb.as_str()),
            ("FOREWARN_TABLE", self.table.as_str()),
            ("FOREWARN_BUS", self.bus.as_str()),
            ("FOREWARN_SENDER_EMAIL", self.sender_email.as_str()),
            ("FOREWARN_SCHEDULE_GROUP", self.schedule_group.as_str()),
            // moto has no End User Messaging SMS: texts go through SNS, whose sends moto
            // records; tests/tests/sms.rs sets end-user-messaging against its fake (`eum`).
            ("FOREWARN_SMS_PROVIDER", "sns"),
            (
                "FOREWARN_SCHEDULER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/forewarn-scheduler",
            ),
            (
                "FOREWARN_DISPATCH_ARN",
                "arn:aws:lambda:eu-west-1:123456789012:function:forewarn-dispatch",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// An SDK config pointed at the local stack (DynamoDB at DynamoDB Local, the rest at moto).
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .endpoint_url(&self.moto)
            .load()
            .await
    }

    pub async fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        let sdk = self.sdk().await;
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .endpoint_url(&self.dynamodb)
                .build(),
        )
    }

    /// moto's record of everything it was asked to do (`sns.SMS`, `ses.Message`, …). moto
    /// builds it by walking its models while other requests change them, and then and again
    /// answers with an error page instead: that answer is asked again.
    pub async fn moto_data(&self) -> Value {
        let url = format!("{}/moto-api/data.json", self.moto);
        let mut last = String::new();
        for _ in 0..20 {
            match try_http_get_json(&url).await {
                Ok(v) => return v,
                Err(e) => last = e,
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{url}: no JSON after 20 tries: {last}")
    }
}

/// A plain HTTP/1.1 GET on loopback, returning the body as JSON.
pub async fn http_get_json(url: &str) -> Value {
    try_http_get_json(url).await.unwrap_or_else(|e| panic!("{e}"))
}

/// A plain HTTP/1.1 GET on loopback: the body as JSON, or why it is not.
async fn try_http_get_json(url: &str) -> Result<Value, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut conn = tokio::net::TcpStream::connect(host)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_vec()
    };
    serde_json::from_slice(&body).map_err(|e| {
        let status = head.lines().next().unwrap_or_default().to_owned();
        format!("{url}: not JSON ({e}; {status})")
    })
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < eol + 2 + n {
            break;
        }
        out.extend_from_slice(&rest[eol + 2..eol + 2 + n]);
        rest = &rest[(eol + 4 + n).min(rest.len())..];
    }
    out
}

/// Helpers over the local stack's state, for assertions.
impl Stack {
    /// Writes a customer profile and its devices, as `forewarn customers import` does.
    pub async fn seed(&self, profile: Value) {
        let profile: forewarn_core::customer::CustomerProfile =
            serde_json::from_value(profile).expect("a valid profile");
        let client = self.dynamodb().await;
        let store = forewarn_aws::dynamo::DynamoStore::new(client.clone(), &self.table);
        for item in store.profile_items(&profile) {
            client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .expect("seed a profile");
        }
    }

    /// The APNs platform application in moto's SNS (`forewarn-test`), made if need be.
    pub async fn push_application(&self) -> String {
        let sns = aws_sdk_sns::Client::new(&self.sdk().await);
        sns.create_platform_application()
            .name("forewarn-test")
            .platform("APNS")
            .send()
            .await
            .expect("platform application")
            .platform_application_arn
            .unwrap()
    }

    /// Registers a push endpoint in moto's SNS and returns its ARN.
    pub async fn push_endpoint(&self, token: &str) -> String {
        let sns = aws_sdk_sns::Client::new(&self.sdk().await);
        let app = self.push_application().await;
        sns.create_platform_endpoint()
            .platform_application_arn(app)
            .token(token)
            .send()
            .await
            .expect("endpoint")
            .endpoint_arn
            .unwrap()
    }

    pub async fn disable_endpoint(&self, arn: &str) {
        let sns = aws_sdk_sns::Client::new(&self.sdk().await);
        sns.set_endpoint_attributes()
            .endpoint_arn(arn)
            .attributes("Enabled", "false")
            .send()
            .await
            .expect("disable endpoint");
    }

    /// SMS bodies moto recorded for `phone`.
    pub async fn sms_to(&self, phone: &str) -> Vec<String> {
        let data = self.moto_data().await;
        data["sns"]["SMS"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["phone_number"] == phone)
            .map(|m| m["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Push payloads (the JSON message structure) moto recorded for an endpoint.
    pub async fn pushes_to(&self, arn: &str) -> Vec<Value> {
        let data = self.moto_data().await;
        data["sns"]["PlatformEndpoint"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["arn"] == arn)
            .flat_map(|e| e["messages"].as_object().cloned().unwrap_or_default().into_values())
            .map(|m| serde_json::from_str(m.as_str().unwrap_or("null")).unwrap_or(m))
            .collect()
    }

    /// (subject, body) of the emails moto recorded for `to`.
    pub async fn emails_to(&self, to: &str) -> Vec<(String, String)> {
        let data = self.moto_data().await;
        data["ses"]["Message"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| {
                m["destinations"]["ToAddresses"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == to))
            })
            .map(|m| {
                (
                    m["subject"].as_str().unwrap_or_default().to_owned(),
                    m["body"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Waits until moto has recorded at least `n` SMS to `phone`, and returns them all.
    pub async fn wait_sms_to(&self, phone: &str, n: usize) -> Vec<String> {
        let what = format!("{n} SMS to {phone}");
        wait_until(&what, DEADLINE, async || self.sms_to(phone).await, |sms| sms.len() >= n).await
    }

    /// Waits until moto has recorded at least `n` pushes to the endpoint `arn`, and returns them all.
    pub async fn wait_pushes_to(&self, arn: &str, n: usize) -> Vec<Value> {
        let what = format!("{n} pushes to {arn}");
        wait_until(&what, DEADLINE, async || self.pushes_to(arn).await, |p| p.len() >= n).await
    }

    /// Waits until moto has recorded at least `n` emails to `to`, and returns them all.
    pub async fn wait_emails_to(&self, to: &str, n: usize) -> Vec<(String, String)> {
        let what = format!("{n} emails to {to}");
        wait_until(&what, DEADLINE, async || self.emails_to(to).await, |e| e.len() >= n).await
    }

    /// Waits until a schedule `pick` chooses exists, and returns it.
    pub async fn wait_schedule(
        &self,
        what: &str,
        mut pick: impl FnMut(&(String, String, String)) -> bool,
    ) -> (String, String, String) {
        wait_for(what, DEADLINE, async || {
            let all = self.schedules().await;
            all.iter().find(|s| pick(s)).cloned().ok_or(all)
        })
        .await
    }

    /// Waits until no schedule `pick` chooses is left (it was deleted).
    pub async fn wait_no_schedule(&self, what: &str, mut pick: impl FnMut(&(String, String, String)) -> bool) {
        wait_until(
            what,
            DEADLINE,
            async || self.schedules().await,
            |all| !all.iter().any(&mut pick),
        )
        .await;
    }

    /// The schedules in the stack's group, asked through the Scheduler API (moto's data dump
    /// keeps deleted ones): (name, expression, target input). Every page of the listing (moto
    /// pages by 50); a schedule deleted between the listing and its read (other tests share the
    /// group) is left out, as it is gone.
    pub async fn schedules(&self) -> Vec<(String, String, String)> {
        let client = aws_sdk_scheduler::Client::new(&self.sdk().await);
        let mut names = Vec::new();
        let mut next_token = None;
        loop {
            let page = client
                .list_schedules()
                .group_name(&self.schedule_group)
                .set_next_token(next_token)
                .send()
                .await
                .expect("list schedules");
            names.extend(page.schedules.into_iter().map(|s| s.name.unwrap_or_default()));
            next_token = page.next_token;
            if next_token.is_none() {
                break;
            }
        }
        let mut out = Vec::new();
        for name in names {
            let got = match client
                .get_schedule()
                .group_name(&self.schedule_group)
                .name(&name)
                .send()
                .await
            {
                Ok(got) => got,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_resource_not_found_exception()) =>
                {
                    continue;
                }
                Err(e) => panic!("get schedule {name}: {e:?}"),
            };
            let input = got.target.and_then(|t| t.input).unwrap_or_default();
            out.push((name, got.schedule_expression.unwrap_or_default(), input));
        }
        out
    }

    /// Every item in a customer's partition, as (SK, status).
    pub async fn rows(&self, customer_id: &str) -> Vec<(String, Option<String>)> {
        self.partition_rows(&keys::customer_pk(customer_id)).await
    }

    /// Every item under a partition key, as (SK, status).
    pub async fn partition_rows(&self, pk: &str) -> Vec<(String, Option<String>)> {
        let client = self.dynamodb().await;
        let out = client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.to_owned()))
            .send()
            .await
            .expect("query the table");
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|i| {
                let get = |k: &str| i.get(k).and_then(|v| v.as_s().ok()).cloned();
                (get("SK").unwrap_or_default(), get("status"))
            })
            .collect()
    }
}

impl Stack {
    /// Waits until a customer's items (as [`Stack::rows`] reads them) satisfy `done`, and
    /// returns them.
    pub async fn wait_rows(
        &self,
        customer_id: &str,
        what: &str,
        done: impl FnMut(&Vec<(String, Option<String>)>) -> bool,
    ) -> Vec<(String, Option<String>)> {
        let what = format!("{what} (the items of {customer_id})");
        wait_until(&what, DEADLINE, async || self.rows(customer_id).await, done).await
    }

    /// Waits until a customer's delivery rows satisfy `done`, and returns them.
    pub async fn wait_deliveries(
        &self,
        customer_id: &str,
        what: &str,
        done: impl FnMut(&Vec<forewarn_flows::records::StoredDelivery>) -> bool,
    ) -> Vec<forewarn_flows::records::StoredDelivery> {
        let what = format!("{what} (the deliveries of {customer_id})");
        wait_until(&what, DEADLINE, async || self.deliveries(customer_id).await, done).await
    }
}

/// Up to ten outcome events taken off the stack's outcomes queue (a catch-all rule on the
/// bus): read, then deleted in one batch. Empty when the queue is.
pub async fn take_outcome_events(sqs: &aws_sdk_sqs::Client) -> Vec<Value> {
    let queue = &stack().outcomes_queue_url;
    let out = sqs
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("read the outcomes queue");
    let mut bodies = Vec::new();
    let mut handles = Vec::new();
    for (n, m) in out.messages.unwrap_or_default().into_iter().enumerate() {
        bodies.extend(m.body.as_deref().and_then(|b| serde_json::from_str::<Value>(b).ok()));
        if let Some(handle) = m.receipt_handle {
            handles.push(
                aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                    .id(n.to_string())
                    .receipt_handle(handle)
                    .build()
                    .expect("id and receipt handle are set"),
            );
        }
    }
    if !handles.is_empty() {
        sqs.delete_message_batch()
            .queue_url(queue)
            .set_entries(Some(handles))
            .send()
            .await
            .expect("delete the outcome events read");
    }
    bodies
}

/// Outcome events drained off the outcomes queue so far, kept for every test of the process.
static SEEN: std::sync::Mutex<Vec<Value>> = std::sync::Mutex::new(Vec::new());

/// The detail type of the events [`outcomes_settled`] puts on the bus to know the queue caught up.
const MARKER: &str = "TestQueueMarker";

/// Drains the outcomes queue into [`SEEN`] until it is empty. One drain at a time, so that
/// once a drain ends, every event that was on the queue when it began is in [`SEEN`] (no
/// other test holds some of them, read but not yet recorded).
async fn drain_outcomes() {
    static DRAIN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = DRAIN.lock().await;
    let sqs = aws_sdk_sqs::Client::new(&stack().sdk().await);
    loop {
        let batch = take_outcome_events(&sqs).await;
        if batch.is_empty() {
            break;
        }
        SEEN.lock().unwrap().extend(batch);
    }
}

fn seen_for(customer_id: &str) -> Vec<Value> {
    SEEN.lock()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["customer_id"] == customer_id && e["detail-type"] != MARKER)
        .cloned()
        .collect()
}

/// Outcome events that reached the stack's outcomes queue, for one customer, as of now: a
/// snapshot that may lack events still on their way. Messages are drained into a process-wide
/// buffer, so parallel tests share it.
pub async fn outcomes_for(customer_id: &str) -> Vec<Value> {
    drain_outcomes().await;
    seen_for(customer_id)
}

/// Every outcome event of a customer put on the bus before this call: puts a marker event
/// for the customer on the bus and waits until the marker comes off the queue (moto delivers
/// a bus's events to the queue in order), so an event that is not here was never put. For
/// asserting that something did not happen, or happened exactly so often.
pub async fn outcomes_settled(customer_id: &str) -> Vec<Value> {
    let token = format!("{customer_id}-{}", unique());
    let bus = aws_sdk_eventbridge::Client::new(&stack().sdk().await);
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .event_bus_name(&stack().bus)
        .source("forewarn")
        .detail_type(MARKER)
        .detail(serde_json::json!({"customer_id": customer_id, "marker": token}).to_string())
        .build();
    let put = bus
        .put_events()
        .entries(entry)
        .send()
        .await
        .expect("put a marker event");
    assert_eq!(put.failed_entry_count, 0, "the marker event was not put: {put:?}");
    let what = format!("the marker event {token} to come off the outcomes queue");
    wait_for(&what, DEADLINE, async || {
        drain_outcomes().await;
        let seen = SEEN.lock().unwrap();
        if seen.iter().any(|e| e["detail"]["marker"] == token) {
            Ok(())
        } else {
            Err(format!("{} events drained, none of them the marker", seen.len()))
        }
    })
    .await;
    seen_for(customer_id)
}

/// Waits until a customer's outcome events satisfy `done`, then returns every one of them put
/// so far (see [`outcomes_settled`]): what was awaited, and nothing still on its way.
pub async fn wait_outcomes(customer_id: &str, what: &str, done: impl FnMut(&Vec<Value>) -> bool) -> Vec<Value> {
    let what = format!("{what} (outcome events of {customer_id})");
    wait_until(&what, DEADLINE, async || outcomes_for(customer_id).await, done).await;
    outcomes_settled(customer_id).await
}

/// A sample event from `events/`, re-addressed: a fresh id, `time` now, and `customer_id`.
/// Its deadline (the kind's `expires` field) moves with `time`, as far ahead as in the file:
/// a notice is never scheduled past the moment it stops mattering, so a stale one would be
/// dropped at decision time.
pub fn sample(file: &str, id: &str, customer_id: &str) -> Value {
    let text = std::fs::read_to_string(root().join("events").join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let now = jiff::Timestamp::now();
    let was = v["time"].as_str().and_then(|t| t.parse::<jiff::Timestamp>().ok());
    let kind = v["detail-type"]
        .as_str()
        .and_then(|t| forewarn_core::catalog::catalog().kind(t));
    if let (Some(was), Some(path)) = (was, kind.and_then(|k| k.def.expires.as_deref())) {
        let field = path.split('.').try_fold(&mut v["detail"], |d, key| d.get_mut(key));
        if let Some(field) = field
            && let Some(at) = field.as_str().and_then(|t| t.parse::<jiff::Timestamp>().ok())
        {
            *field = Value::String((at + now.duration_since(was)).to_string());
        }
    }
    v["id"] = Value::String(id.to_owned());
    v["time"] = Value::String(now.to_string());
    v["detail"]["customer_id"] = Value::String(customer_id.to_owned());
    v
}

/// A unique suffix for ids and phone numbers, so parallel tests never share a customer.
pub fn unique() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    (std::process::id() % 1000) * 100 + n
}

/// Reading and planting the state the loops keep.
impl Stack {
    /// The delivery rows of a customer, as stored.
    pub async fn deliveries(&self, customer_id: &str) -> Vec<forewarn_flows::records::StoredDelivery> {
        let client = self.dynamodb().await;
        let out = client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :d)")
            .expression_attribute_values(
                ":pk",
                aws_sdk_dynamodb::types::AttributeValue::S(keys::customer_pk(customer_id)),
            )
            .expression_attribute_values(
                ":d",
                aws_sdk_dynamodb::types::AttributeValue::S(keys::Sk::DELIVERIES.into()),
            )
            .send()
            .await
            .expect("query the table");
        out.items
            .unwrap_or_default()
            .iter()
            .filter_map(|i| i.get("data").and_then(|v| v.as_s().ok()))
            .map(|d| serde_json::from_str(d).expect("a stored delivery"))
            .collect()
    }

    /// Writes an open question as an alert sent at `asked_at` would have left it.
    pub async fn seed_question(&self, customer_id: &str, phone: &str, transaction_id: &str, asked_at: jiff::Timestamp) {
        use forewarn_flows::ports::Claims;
        let id = |s: &str| forewarn_core::types::Id::parse(s).unwrap();
        let question = forewarn_flows::records::Question {
            phone: phone.to_owned(),
            customer_id: id(customer_id),
            event_id: id(&format!("st-seeded-{transaction_id}")),
            subject: format!("transaction:{transaction_id}"),
            transaction_id: transaction_id.to_owned(),
            asked_at,
            expires_at: asked_at + jiff::SignedDuration::from_hours(forewarn_flows::records::QUESTION_HOURS),
            provider_message_id: Some(format!("seeded-{transaction_id}")),
            answer: None,
            about: None,
        };
        let store = forewarn_aws::dynamo::DynamoStore::new(self.dynamodb().await, &self.table);
        store
            .finish(&forewarn_flows::records::Finish {
                questions: vec![question],
                ..Default::default()
            })
            .await
            .expect("seed a question");
    }
}

/// The SNS event AWS End User Messaging delivers for an inbound SMS from `phone`.
pub fn inbound_sms(phone: &str, body: &str, id: &str) -> Value {
    let message = serde_json::json!({"originationNumber": phone, "destinationNumber": "+18005550100",
        "messageKeyword": "KEYWORD_123456789012", "messageBody": body, "inboundMessageId": id});
    serde_json::json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:inbound-sms:1",
        "Sns": {"Type": "Notification", "MessageId": format!("sns-{id}"),
            "TopicArn": "arn:aws:sns:eu-west-1:123456789012:inbound-sms", "Subject": null,
            "Message": message.to_string(), "Timestamp": "2026-11-23T10:00:00.000Z",
            "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "https://sns.example/cert",
            "UnsubscribeUrl": "https://sns.example/unsub", "MessageAttributes": {}}}]})
}

/// One function process on the local stack, past its init.
pub async fn function(name: &str) -> runtime::FunctionProcess {
    let mut f = runtime::FunctionProcess::spawn(&runtime::binary(name), &stack().function_env()).await;
    f.init_time(std::time::Duration::from_secs(20)).await;
    f
}

/// The function `name` (`context`, `api`) with an APNs platform application of its own, made
/// in moto now, as the stack's `ApnsPlatformApplicationArn` parameter gives it one.
pub async fn function_with_apns(name: &str) -> runtime::FunctionProcess {
    let sns = aws_sdk_sns::Client::new(&stack().sdk().await);
    let app = sns
        .create_platform_application()
        .name(format!("forewarn-{name}-{}", unique()))
        .platform("APNS")
        .send()
        .await
        .expect("a platform application")
        .platform_application_arn
        .expect("moto names the application");
    let mut env = stack().function_env();
    env.push(("FOREWARN_APNS_APPLICATION".into(), app));
    let mut f = runtime::FunctionProcess::spawn(&runtime::binary(name), &env).await;
    f.init_time(std::time::Duration::from_secs(20)).await;
    f
}

/// A customer of a test's own: reachable on every channel (a phone with a push endpoint, an
/// SMS number, an email address), no quiet hours and a desktop in use all day, so what the
/// functions decide does not depend on when the test runs.
pub struct TestCustomer {
    pub id: String,
    pub phone: String,
    pub email: String,
    pub endpoint: String,
}

impl TestCustomer {
    /// Seeds the customer, with `patch`'s top-level fields replacing the defaults.
    pub async fn seed(prefix: &str, patch: Value) -> TestCustomer {
        let n = unique();
        let c = TestCustomer {
            id: format!("{prefix}-{n}"),
            phone: format!("+35191{n:07}"),
            email: format!("{prefix}{n}@example.com"),
            endpoint: stack().push_endpoint(&format!("{prefix}-token-{n}")).await,
        };
        let mut profile = serde_json::json!({
            "customer_id": c.id, "name": "Test", "locale": "en-GB", "time_zone": "Europe/Lisbon",
            "contacts": {"email": c.email, "phone": c.phone},
            "quiet_hours": {"start": "00:00", "end": "00:00"},
            "devices": [
                {"device_id": "phone", "kind": "phone", "platform": "ios", "push_endpoint": c.endpoint,
                 "last_seen": "2026-11-20T08:00:00Z"},
                {"device_id": "desk", "kind": "desktop", "platform": "web",
                 "active_hours": ["Mon-Sun 00:00-12:00", "Mon-Sun 12:00-00:00"]}]});
        for (k, v) in patch.as_object().into_iter().flatten() {
            profile[k] = v.clone();
        }
        stack().seed(profile).await;
        c
    }
}

/// The function that handles a sample, by its detail type (`InboundSms` goes to `reply`; a
/// notifying kind the catalog alone declares to `notify`, a resolving one to `resolve`), as
/// template.yaml routes them; `None` for what no function of the stack takes.
pub fn function_for(detail_type: &str) -> Option<&'static str> {
    Some(match detail_type {
        "LowBalance" => "low-balance",
        "FlightDelayed" => "flight-delay",
        "ApplicationIncomplete" => "incomplete-application",
        "SuspiciousTransaction" => "suspicious-transaction",
        "CustomerActivity" => "activity",
        "CustomerUpserted" | "CustomerChanged" | "CustomerErased" | "DeviceRegistered" | "DeviceRemoved" => "context",
        "InboundSms" => "reply",
        other => match forewarn_core::catalog::catalog().kind(other)? {
            k if k.notifies() => "notify",
            _ => "resolve",
        },
    })
}

/// An SES event for an email sent to `c` (`Delivery`, or a permanent `Bounce`), as the
/// configuration set puts it on the bus.
pub fn ses_event(detail_type: &str, event_type: &str, message_id: &str, c: &TestCustomer) -> Value {
    let mut detail = serde_json::json!({"eventType": event_type, "mail": {"timestamp": "2026-11-23T10:00:00.000Z",
        "source": "alerts@bank.example", "messageId": message_id, "destination": [c.email],
        "tags": {"ses:configuration-set": ["forewarn-email"], "fw-customer": [c.id]}}});
    match event_type {
        "Bounce" => {
            detail["bounce"] = serde_json::json!({"bounceType": "Permanent", "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": c.email, "action": "failed", "status": "5.1.1"}],
                "timestamp": "2026-11-23T10:00:02.000Z", "feedbackId": "f-1"})
        }
        _ => {
            detail["delivery"] = serde_json::json!({"timestamp": "2026-11-23T10:00:01.000Z", "recipients": [c.email],
                "processingTimeMillis": 900, "smtpResponse": "250 ok"})
        }
    }
    serde_json::json!({"version": "0", "id": format!("ses-{}-{event_type}", c.id), "detail-type": detail_type,
        "source": "aws.ses", "account": "123456789012", "time": jiff::Timestamp::now().to_string(),
        "region": "eu-west-1", "resources": [], "detail": detail})
}
