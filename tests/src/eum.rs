//! A small fake of AWS End User Messaging SMS (moto has none): it speaks the awsJson1_0 protocol of `SendTextMessage` (a POST with `X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage`), answers `{"MessageId": …}`, and keeps every request's JSON body for assertions.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The operation's target header value.
pub const SEND_TEXT_MESSAGE: &str = "PinpointSMSVoiceV2.SendTextMessage";

/// One request the fake answered: its target and its JSON body.
#[derive(Clone, Debug)]
pub struct Sent {
    pub target: String,
    pub body: Value,
    /// The `MessageId` the fake answered with.
    pub message_id: String,
}

/// A running fake; point `AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2` at `url`.
#[derive(Clone)]
pub struct FakeEum {
    pub url: String,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl FakeEum {
    pub async fn start() -> FakeEum {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let sent = Arc::new(Mutex::new(Vec::new()));
        let s = sent.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, s.clone()));
            }
        });
        FakeEum { url, sent }
    }

    /// Every `SendTextMessage` so far.
    pub fn texts(&self) -> Vec<Sent> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.target == SEND_TEXT_MESSAGE)
            .cloned()
            .collect()
    }
}

/// Reads one HTTP/1.1 request: its head and its body (by `Content-Length`).
async fn read_request(conn: &mut TcpStream) -> Option<(String, Vec<u8>)> {
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
    let len = header(&head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while body.len() < len {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

async fn serve(mut conn: TcpStream, sent: Arc<Mutex<Vec<Sent>>>) {
    while let Some((head, body)) = read_request(&mut conn).await {
        let target = header(&head, "x-amz-target").unwrap_or_default();
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (status, answer) = if target == SEND_TEXT_MESSAGE {
            let mut all = sent.lock().unwrap();
            let message_id = format!("eum-{:04}", all.len() + 1);
            all.push(Sent {
                target: target.clone(),
                body,
                message_id: message_id.clone(),
            });
            (200, json!({"MessageId": message_id}))
        } else {
            let why = format!("the fake answers only {SEND_TEXT_MESSAGE}, not {target:?}");
            (400, json!({"__type": "ValidationException", "message": why}))
        };
        let text = answer.to_string();
        let response = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{text}",
            if status == 200 { "OK" } else { "Bad Request" },
            text.len()
        );
        if conn.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}
