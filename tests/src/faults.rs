//! A fault-injecting HTTP proxy between the functions and the local stack: it forwards every
//! request to DynamoDB Local or moto, except those a rule picks, which it fails (throttling,
//! 5xx), holds forever (so the process can be killed mid-call), or answers with a rewritten
//! body (a `PutEvents` that partly failed).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Which requests a rule applies to: the operation as the SDK names it in its request
/// (`DynamoDB_20120810.TransactWriteItems`, `AWSEvents.PutEvents`, `Action=Publish`, or a path
/// such as `/v2/email/outbound-emails`).
#[derive(Clone, Debug)]
pub struct Rule {
    pub operation: String,
    /// Requests of that operation let through before the rule starts to apply.
    pub skip: usize,
    /// How many requests it applies to after `skip` (`usize::MAX` for all).
    pub times: usize,
    pub fault: Fault,
}

#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status and body, e.g. 400 `ThrottlingException` or 500.
    Respond { status: u16, body: String },
    /// Never answer: the caller hangs until it is killed.
    Hold,
    /// Forward, then replace the response body.
    Rewrite { body: String },
    /// Wait this long, then forward: another invocation's work lands meanwhile.
    Delay { millis: u64 },
    /// Forward, then never answer: the call took effect, and the caller hangs until killed.
    ForwardThenHold,
}

#[derive(Default)]
struct Rules {
    rules: Vec<(Rule, usize)>,
    seen: Vec<String>,
    /// The operation of every request a rule answered with its fault.
    fired: Vec<String>,
}

/// A running proxy; requests it saw are kept for assertions.
#[derive(Clone)]
pub struct Proxy {
    pub url: String,
    rules: Arc<Mutex<Rules>>,
}

impl Proxy {
    /// Starts a proxy that sends DynamoDB requests to `dynamodb` and the rest to `moto`.
    pub async fn start(dynamodb: &str, moto: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let rules = Arc::new(Mutex::new(Rules::default()));
        let (d, m, r) = (host(dynamodb), host(moto), rules.clone());
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, d.clone(), m.clone(), r.clone()));
            }
        });
        Proxy { url, rules }
    }

    pub fn add(&self, rule: Rule) {
        self.rules.lock().unwrap().rules.push((rule, 0));
    }

    pub fn clear(&self) {
        self.rules.lock().unwrap().rules.clear();
    }

    /// The operations of every request seen so far, in order.
    pub fn seen(&self) -> Vec<String> {
        self.rules.lock().unwrap().seen.clone()
    }

    /// How many requests of `operation` a rule answered with its fault so far.
    pub fn fired(&self, operation: &str) -> usize {
        let r = self.rules.lock().unwrap();
        r.fired.iter().filter(|o| o.contains(operation)).count()
    }

    /// The environment a function needs to talk to the stack through this proxy.
    pub fn function_env(&self, base: Vec<(String, String)>) -> Vec<(String, String)> {
        base.into_iter()
            .map(|(k, v)| match k.as_str() {
                "AWS_ENDPOINT_URL" | "AWS_ENDPOINT_URL_DYNAMODB" => (k, self.url.clone()),
                _ => (k, v),
            })
            .collect()
    }
}

fn host(url: &str) -> String {
    url.trim_start_matches("http://").trim_end_matches('/').to_owned()
}

/// A DynamoDB-style JSON error (the SDK reads `__type`), e.g. throttling.
pub fn aws_json_error(status: u16, code: &str) -> Fault {
    Fault::Respond {
        status,
        body: format!(r#"{{"__type":"{code}","message":"injected by the fault proxy"}}"#),
    }
}

/// An error as the query protocol (SNS) writes it, e.g. `PlatformApplicationDisabled`.
pub fn aws_query_error(status: u16, code: &str) -> Fault {
    Fault::Respond {
        status,
        body: format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected by the fault proxy</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
        ),
    }
}

struct Request {
    head: String,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn operation(&self) -> String {
        if let Some(t) = self.header("x-amz-target") {
            return t.to_owned();
        }
        let body = String::from_utf8_lossy(&self.body);
        if let Some(a) = body.split('&').find(|p| p.starts_with("Action=")) {
            return a.to_owned();
        }
        let line = self.head.lines().next().unwrap_or_default();
        line.split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

async fn read_message(conn: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let split = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut body = buf[split + 4..].to_vec();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while body.len() < len {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request { head, body })
}

async fn serve(mut conn: TcpStream, dynamodb: String, moto: String, rules: Arc<Mutex<Rules>>) {
    while let Some(req) = read_message(&mut conn).await {
        let op = req.operation();
        let fault = {
            let mut r = rules.lock().unwrap();
            r.seen.push(op.clone());
            let mut hit = None;
            for (rule, count) in r.rules.iter_mut() {
                if op.contains(&rule.operation) {
                    *count += 1;
                    if *count > rule.skip && *count - rule.skip <= rule.times {
                        hit = Some(rule.fault.clone());
                        break;
                    }
                }
            }
            // A forwarded call counts as fired once it took effect, below.
            if hit.as_ref().is_some_and(|f| !matches!(f, Fault::ForwardThenHold)) {
                r.fired.push(op.clone());
            }
            hit
        };
        let upstream = if op.starts_with("DynamoDB_") { &dynamodb } else { &moto };
        let response = match fault {
            Some(Fault::Hold) => {
                // Keep the connection open and silent until the client goes away.
                let mut sink = [0u8; 1024];
                while conn.read(&mut sink).await.is_ok_and(|n| n > 0) {}
                return;
            }
            Some(Fault::Respond { status, body }) => {
                http_response(status, "application/x-amz-json-1.0", body.as_bytes())
            }
            Some(Fault::ForwardThenHold) => {
                if forward(upstream, &req).await.is_none() {
                    return;
                }
                rules.lock().unwrap().fired.push(op.clone());
                let mut sink = [0u8; 1024];
                while conn.read(&mut sink).await.is_ok_and(|n| n > 0) {}
                return;
            }
            Some(Fault::Delay { millis }) => {
                tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
                match forward(upstream, &req).await {
                    Some(r) => r,
                    None => return,
                }
            }
            Some(Fault::Rewrite { body }) => match forward(upstream, &req).await {
                Some(_) => http_response(200, "application/x-amz-json-1.1", body.as_bytes()),
                None => return,
            },
            None => match forward(upstream, &req).await {
                Some(r) => r,
                None => return,
            },
        };
        if conn.write_all(&response).await.is_err() {
            return;
        }
    }
}

fn http_response(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} Injected\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nx-amzn-requestid: fault-proxy\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Sends the request upstream on a fresh connection and returns the whole response, re-framed
/// with a content length so the client's connection can be kept alive.
async fn forward(upstream: &str, req: &Request) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await.ok()?;
    let mut head: Vec<String> = req
        .head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(str::to_owned)
        .collect();
    head.push("Connection: close".into());
    let mut out = head.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(&req.body);
    up.write_all(&out).await.ok()?;
    let mut raw = Vec::new();
    up.read_to_end(&mut raw).await.ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = crate::dechunk(&body);
    }
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("HTTP/1.1 502 Bad Gateway").to_owned();
    let mut rebuilt = vec![status];
    rebuilt.extend(
        lines
            .filter(|l| {
                let l = l.to_ascii_lowercase();
                !l.starts_with("content-length:")
                    && !l.starts_with("transfer-encoding:")
                    && !l.starts_with("connection:")
            })
            .map(str::to_owned),
    );
    rebuilt.push(format!("content-length: {}", body.len()));
    let mut response = rebuilt.join("\r\n").into_bytes();
    response.extend_from_slice(b"\r\n\r\n");
    response.extend_from_slice(&body);
    Some(response)
}
