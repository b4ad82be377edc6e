//! A Lambda Runtime API harness: serves `/2018-06-01/runtime/...` on loopback and spawns the
//! real `bootstrap` binaries against it, exactly as Lambda does, measuring init time.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::{Notify, oneshot};

/// What an invocation ended with.
#[derive(Clone, Debug, PartialEq)]
pub enum Invocation {
    Ok(Value),
    /// The function reported an error: Lambda's `errorType` and `errorMessage`.
    Err {
        error_type: String,
        error_message: String,
    },
}

impl Invocation {
    pub fn ok(self) -> Value {
        match self {
            Invocation::Ok(v) => v,
            Invocation::Err {
                error_type,
                error_message,
            } => panic!("invocation failed: {error_type}: {error_message}"),
        }
    }
    /// The reason of an invocation that succeeded with outcome `rejected`: a producer's event
    /// forewarn could not read, answered with an `EventRejected` instead of a failure.
    pub fn rejected(self) -> String {
        let v = self.ok();
        assert_eq!(v["outcome"], "rejected", "expected a rejection: {v}");
        v["reasons"][0].as_str().unwrap_or_default().to_owned()
    }

    pub fn err(self) -> (String, String) {
        match self {
            Invocation::Err {
                error_type,
                error_message,
            } => (error_type, error_message),
            Invocation::Ok(v) => panic!("invocation succeeded unexpectedly: {v}"),
        }
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<(String, Value)>,
    waiting: HashMap<String, oneshot::Sender<Invocation>>,
    first_next: Option<Instant>,
    init_error: Option<String>,
    /// Request ids of the invocations the function answered (response or error), in order.
    answered: Vec<String>,
}

/// One function process, like one Lambda execution environment.
pub struct FunctionProcess {
    pub name: String,
    state: Arc<Mutex<State>>,
    ready: Arc<Notify>,
    spawned_at: Instant,
    child: Child,
    logs: Arc<Mutex<String>>,
    next_id: Mutex<u64>,
    /// Set by [`FunctionProcess::kill_now`]: invocations it cut short never log a final line.
    killed: std::sync::atomic::AtomicBool,
}

/// Where cargo put the workspace's binaries.
pub fn binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let profile = std::env::var("FOREWARN_PROFILE").unwrap_or_else(|_| "debug".into());
    let path = target.join(profile).join(name);
    assert!(
        path.exists(),
        "{} is missing: build the functions first (`cargo build --workspace --bins`; scripts/test does)",
        path.display()
    );
    path
}

impl FunctionProcess {
    /// Starts the Runtime API on a free loopback port and spawns `bin` against it.
    pub async fn spawn(bin: &Path, env: &[(String, String)]) -> FunctionProcess {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let ready = Arc::new(Notify::new());
        let (s, r) = (state.clone(), ready.clone());
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, s.clone(), r.clone()));
            }
        });
        let name = bin.file_name().unwrap().to_string_lossy().into_owned();
        let spawned_at = Instant::now();
        let mut child = Command::new(bin)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {}: {e}", bin.display()));
        let logs = Arc::new(Mutex::new(String::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let logs = logs.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(pipe).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let mut l = logs.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        FunctionProcess {
            name,
            state,
            ready,
            spawned_at,
            child,
            logs,
            next_id: Mutex::new(0),
            killed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Time from spawn to the first `GET .../invocation/next`, waiting up to `timeout`.
    pub async fn init_time(&mut self, timeout: Duration) -> Duration {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(t) = self.state.lock().unwrap().first_next {
                return t - self.spawned_at;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited during init ({status}); logs:\n{}", self.name, self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not ask for an invocation within {timeout:?}; logs:\n{}",
                self.name,
                self.logs()
            );
            let _ = tokio::time::timeout(Duration::from_millis(20), self.ready.notified()).await;
        }
    }

    /// Queues one invocation and waits for its result.
    pub async fn invoke(&self, payload: Value) -> Invocation {
        let id = {
            let mut n = self.next_id.lock().unwrap();
            *n += 1;
            format!("{}-{}", self.name, n)
        };
        let (tx, rx) = oneshot::channel();
        {
            let mut s = self.state.lock().unwrap();
            s.waiting.insert(id.clone(), tx);
            s.queue.push_back((id, payload));
        }
        self.ready.notify_waiters();
        match tokio::time::timeout(Duration::from_secs(60), rx).await {
            Ok(Ok(result)) => result,
            _ => panic!(
                "{} gave no answer within 60 s; init error: {:?}; logs:\n{}",
                self.name,
                self.state.lock().unwrap().init_error,
                self.logs()
            ),
        }
    }

    /// Everything the process wrote to stdout and stderr so far: a snapshot, which may lack
    /// the last lines of an invocation that just returned (the pipes are read concurrently).
    /// Tests inspect logs through [`FunctionProcess::settled_logs`] instead.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// The request ids of the invocations made so far, or, once the process was killed with
    /// [`FunctionProcess::kill_now`], of those it answered.
    pub fn invocations(&self) -> Vec<String> {
        if self.killed.load(std::sync::atomic::Ordering::SeqCst) {
            return self.state.lock().unwrap().answered.clone();
        }
        let n = *self.next_id.lock().unwrap();
        (1..=n).map(|i| format!("{}-{i}", self.name)).collect()
    }

    /// The logs once every invocation made so far has written its final line (`done` or
    /// `failed`, one per invocation), so a test reading them sees all each invocation logged.
    /// Waits up to [`crate::wait::DEADLINE`].
    pub async fn settled_logs(&self) -> String {
        let ids = self.invocations();
        let what = format!(
            "{}'s final log line (\"done\" or \"failed\") of invocations {ids:?}",
            self.name
        );
        crate::wait::wait_for(&what, crate::wait::DEADLINE, async || {
            let logs = self.logs();
            let finished = finished_invocations(&logs);
            let missing: Vec<&String> = ids.iter().filter(|id| !finished.contains(id.as_str())).collect();
            if missing.is_empty() {
                Ok(logs)
            } else {
                Err(format!("no final line yet for {missing:?}; logs:\n{logs}"))
            }
        })
        .await
    }

    /// Waits until the logs hold `needle`, and returns them.
    pub async fn wait_for_log(&self, needle: &str, deadline: Duration) -> String {
        let what = format!("{:?} in {}'s logs", needle, self.name);
        crate::wait::wait_until(&what, deadline, async || self.logs(), |logs| logs.contains(needle)).await
    }

    /// Kills the process, as Lambda does when an environment dies.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }

    /// Kills the process with SIGKILL while an invocation may be in flight, as when a Lambda
    /// environment dies mid-call.
    pub fn kill_now(&self) {
        self.killed.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    }

    /// Peak resident memory (VmHWM) of the process, in kB, from /proc.
    pub fn peak_rss_kb(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }
}

async fn serve(conn: TcpStream, state: Arc<Mutex<State>>, ready: Arc<Notify>) {
    let (read, mut write) = conn.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut content_length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                content_length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; content_length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let response = if method == "GET" && path.ends_with("/runtime/invocation/next") {
            let (id, payload) = next_invocation(&state, &ready).await;
            let deadline = (std::time::SystemTime::now() + Duration::from_secs(30))
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis();
            let body = payload.to_string();
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:eu-west-1:123456789012:function:test\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            )
        } else if method == "POST" {
            let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
            let text = String::from_utf8_lossy(&body).into_owned();
            match segments.as_slice() {
                [_, "runtime", "invocation", id, "response"] => finish(
                    &state,
                    id,
                    Invocation::Ok(serde_json::from_str(&text).unwrap_or(Value::String(text))),
                ),
                [_, "runtime", "invocation", id, "error"] => {
                    let v: Value = serde_json::from_str(&text).unwrap_or_default();
                    let result = Invocation::Err {
                        error_type: v["errorType"].as_str().unwrap_or("").to_owned(),
                        error_message: v["errorMessage"].as_str().unwrap_or("").to_owned(),
                    };
                    finish(&state, id, result)
                }
                [_, "runtime", "init", "error"] => {
                    state.lock().unwrap().init_error = Some(text);
                    "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n".to_owned()
                }
                _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_owned(),
            }
        } else {
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_owned()
        };
        if write.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn finish(state: &Arc<Mutex<State>>, id: &str, result: Invocation) -> String {
    let mut s = state.lock().unwrap();
    if let Some(tx) = s.waiting.remove(id) {
        s.answered.push(id.to_owned());
        let _ = tx.send(result);
    }
    drop(s);
    "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n"
        .to_owned()
}

/// The request ids whose final line (`done` on success, `failed` on error) is in `logs`. The
/// harness sets `AWS_LAMBDA_LOG_FORMAT=JSON`, so each line is a JSON object: the message in
/// `fields.message`, the request id in the handler's span (`request_id`) and in the runtime's
/// (`requestId`).
fn finished_invocations(logs: &str) -> std::collections::HashSet<String> {
    let mut ids = std::collections::HashSet::new();
    for line in logs.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if !matches!(v["fields"]["message"].as_str(), Some("done" | "failed")) {
            continue;
        }
        let spans = std::iter::once(&v["span"]).chain(v["spans"].as_array().into_iter().flatten());
        for span in spans {
            for key in ["request_id", "requestId"] {
                if let Some(id) = span[key].as_str() {
                    ids.insert(id.to_owned());
                }
            }
        }
    }
    ids
}

async fn next_invocation(state: &Arc<Mutex<State>>, ready: &Arc<Notify>) -> (String, Value) {
    {
        let mut s = state.lock().unwrap();
        s.first_next.get_or_insert_with(Instant::now);
    }
    ready.notify_waiters();
    loop {
        let notified = ready.notified();
        if let Some(job) = state.lock().unwrap().queue.pop_front() {
            return job;
        }
        let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
    }
}
