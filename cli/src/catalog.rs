//! `forewarn catalog check` proves a catalog directory before it ships; `forewarn preview` renders one message of a kind as a customer would get it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use forewarn_core::catalog::{self as core_catalog, Catalog, Kind};
use forewarn_core::catalog_check::{self as check, Problem};
use forewarn_core::conversation::install_replies;
use forewarn_core::customer::Channel;
use forewarn_core::events::{Event, parse_event, parse_event_value};
use forewarn_core::messages::brand;
use forewarn_core::messages::format::Lang;
use forewarn_core::messages::push::push_fields;
use forewarn_core::messages::sms::Encoding;
use forewarn_core::messages::{Message, MessageInput, Renderer};
use forewarn_core::policy::Intrusion;
use jiff::Timestamp;
use serde_json::{Value, json};

/// A usage error (exit 2) or a failure (exit 1), with what to say.
struct Failure(u8, String);

fn usage(message: impl Into<String>) -> Failure {
    Failure(2, message.into())
}

fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, message)) => {
            eprintln!("forewarn: {message}");
            ExitCode::from(code)
        }
    }
}

/// Makes `catalog` this process's catalog (event parsing and rendering use it), and returns it.
fn adopt(catalog: Catalog) -> &'static Catalog {
    match core_catalog::install(catalog) {
        Ok(()) => core_catalog::catalog(),
        Err(refused) => Box::leak(Box::new(refused)),
    }
}

/// Makes catalog directory `dir` this process's catalog (`forewarn simulate --catalog DIR`):
/// its kind files and, when it has them, its `categories.toml` and `replies.toml`, each proved as `catalog check`
/// proves them (sample events aside). Every problem, one a line, when it is unsound.
pub fn install_dir(dir: &Path) -> Result<(), String> {
    let catalog = Catalog::load(dir).map_err(|e| format!("cannot read the catalog: {e}"))?;
    let replies_path = dir.join("replies.toml");
    let replies = match replies_path.is_file() {
        true => Some(fs::read_to_string(&replies_path).map_err(|e| format!("{}: {e}", replies_path.display()))?),
        false => None,
    };
    // The reply texts first: their tables are the languages the kinds' templates are checked in.
    let mut problems: Vec<String> = match replies.as_deref().map(install_replies) {
        Some(Err(p)) => p.into_iter().map(|p| format!("replies.toml: {p}")).collect(),
        _ => Vec::new(),
    };
    let brand_text = read_brand(dir)?;
    problems.extend(
        brand_text
            .as_deref()
            .map(install_or_check_brand)
            .unwrap_or_default()
            .iter()
            .map(Problem::to_string),
    );
    let catalog = adopt(catalog);
    problems.extend(check::check(catalog, &[]).iter().map(Problem::to_string));
    match problems.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "catalog {} is unsound:\n{}",
            dir.display(),
            problems.join("\n")
        )),
    }
}

/// The text of `dir/brand.toml`, when there is one.
fn read_brand(dir: &Path) -> Result<Option<String>, String> {
    let path = dir.join("brand.toml");
    match path.is_file() {
        true => fs::read_to_string(&path)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        false => Ok(None),
    }
}

/// Makes a catalog directory's `brand.toml` this process's brand (after the reply texts, whose
/// tables are the languages it must cover): its problems, each naming its key.
fn install_or_check_brand(text: &str) -> Vec<Problem> {
    match brand::install(text) {
        Ok(()) => Vec::new(),
        // Unsound, or a brand already in use: every problem it has, by the same check.
        Err(_) => check::brand(text),
    }
}

/// `forewarn catalog check [DIR] [--events DIR]`: 0 when sound, 1 with every problem on
/// stderr, 2 when the catalog cannot be read.
pub fn run_check(dir: &Path, events: Option<&Path>) -> ExitCode {
    finish(check_dir(dir, events))
}

fn check_dir(dir: &Path, events: Option<&Path>) -> Result<(), Failure> {
    let catalog = Catalog::load(dir).map_err(|e| usage(format!("cannot read the catalog: {e}")))?;
    let replies_path = dir.join("replies.toml");
    let replies = match replies_path.is_file() {
        true => Some(fs::read_to_string(&replies_path).map_err(|e| usage(format!("{}: {e}", replies_path.display())))?),
        false => None,
    };
    // The reply texts first: their tables are the languages the kinds' templates are checked in.
    let replies_sound = replies.as_deref().is_none_or(|text| install_replies(text).is_ok());
    let brand_text = read_brand(dir).map_err(usage)?;
    // The brand next, before anything renders: the worst-case SMS are measured with its name.
    let brand_problems = brand_text.as_deref().map(install_or_check_brand).unwrap_or_default();
    let catalog = adopt(catalog);
    let (samples, mut problems) = match events {
        Some(d) => read_samples(d)?,
        None if Path::new("events").is_dir() => read_samples(Path::new("events"))?,
        None => (Vec::new(), Vec::new()),
    };
    let samples: Vec<(String, Value)> = samples
        .into_iter()
        .filter(|(_, s)| check::sample_kind(catalog, s).is_some())
        .collect();
    problems.extend(check::check(catalog, &samples));
    problems.extend(brand_problems);
    if !replies_sound {
        problems.extend(replies.as_deref().map(check::replies).unwrap_or_default());
    }
    if problems.is_empty() {
        println!(
            "ok: {} kinds, {} categories, {} languages ({}), {} samples",
            catalog.kinds().len(),
            catalog.categories().len(),
            Lang::all().len(),
            Lang::all().iter().map(|l| l.tag()).collect::<Vec<_>>().join(", "),
            samples.len()
        );
        return Ok(());
    }
    for p in &problems {
        eprintln!("{p}");
    }
    let n = problems.len();
    Err(Failure(
        1,
        format!(
            "catalog check: {n} problem{} in {}",
            if n == 1 { "" } else { "s" },
            dir.display()
        ),
    ))
}

/// Sample events: (file name, envelope).
type Samples = Vec<(String, Value)>;

/// The envelopes of every `*.json` file directly inside `dir` (an array's one by one, named
/// `file[i]`); a file that is not JSON is a problem, one that holds no envelope is skipped.
fn read_samples(dir: &Path) -> Result<(Samples, Vec<Problem>), Failure> {
    let unreadable = |e: std::io::Error| usage(format!("--events {}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let (mut samples, mut problems) = (Vec::new(), Vec::new());
    for path in paths {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = fs::read_to_string(&path).map_err(unreadable)?;
        let json: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                let reason = format!("not valid JSON: {e}");
                problems.push(Problem {
                    file,
                    at: String::new(),
                    reason,
                });
                continue;
            }
        };
        let envelope = |v: &Value| v.get("detail-type").is_some_and(Value::is_string) && v.get("detail").is_some();
        match json {
            Value::Array(items) => {
                let items = items.into_iter().enumerate().filter(|(_, v)| envelope(v));
                samples.extend(items.map(|(i, v)| (format!("{file}[{i}]"), v)));
            }
            v if envelope(&v) => samples.push((file, v)),
            _ => {}
        }
    }
    Ok((samples, problems))
}

/// `forewarn preview`: one message of a kind, rendered.
#[derive(clap::Args)]
pub struct PreviewArgs {
    /// The kind's detail-type (`PaymentDue`): a notifying kind of the catalog.
    kind: String,
    /// The customer's BCP 47 locale (`de-DE`, `pt-BR`).
    #[arg(long)]
    locale: String,
    /// sms, push or email.
    #[arg(long)]
    channel: String,
    /// An event file (an EventBridge envelope of the kind); default: the kind's first schema
    /// example, happening now.
    #[arg(long)]
    event: Option<PathBuf>,
    /// A catalog directory (`DIR/kinds/*.toml`); default: the catalog built into forewarn.
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// The customer's name.
    #[arg(long)]
    name: Option<String>,
    /// The customer's IANA time zone, for the times in the message (default UTC).
    #[arg(long = "time-zone")]
    time_zone: Option<String>,
}

pub fn run_preview(args: PreviewArgs) -> ExitCode {
    finish(preview(args))
}

fn preview(args: PreviewArgs) -> Result<(), Failure> {
    let channel = match args.channel.as_str() {
        "sms" => Channel::Sms,
        "push" => Channel::Push,
        "email" => Channel::Email,
        other => return Err(usage(format!("--channel {other}: expected sms, push or email"))),
    };
    let zone_name = args.time_zone.as_deref().unwrap_or("UTC");
    let time_zone = jiff::tz::db().get(zone_name).map_err(|_| {
        usage(format!(
            "--time-zone {zone_name}: not an IANA time zone (e.g. Europe/Lisbon)"
        ))
    })?;
    if args.locale.trim().is_empty() {
        return Err(usage("--locale: expected a BCP 47 locale such as de-DE"));
    }
    if let Some(dir) = &args.catalog {
        let c = Catalog::load(dir).map_err(|e| usage(format!("--catalog {}: {e}", dir.display())))?;
        // The directory's reply texts, when it has them, are its languages.
        let replies = dir.join("replies.toml");
        if replies.is_file() {
            let text = fs::read_to_string(&replies).map_err(|e| usage(format!("{}: {e}", replies.display())))?;
            install_replies(&text).map_err(|p| usage(format!("{}: {}", replies.display(), p.join("; "))))?;
        }
        if let Some(text) = read_brand(dir).map_err(usage)? {
            let problems = install_or_check_brand(&text);
            if !problems.is_empty() {
                let words: Vec<String> = problems.iter().map(Problem::to_string).collect();
                return Err(usage(format!("--catalog {}: {}", dir.display(), words.join("; "))));
            }
        }
        adopt(c);
    }
    let catalog = core_catalog::catalog();
    let kind = catalog.kind(&args.kind).filter(|k| k.notifies()).ok_or_else(|| {
        let kinds: Vec<&str> = catalog
            .kinds()
            .iter()
            .filter(|k| k.notifies())
            .map(Kind::name)
            .collect();
        usage(format!(
            "KIND {}: not a notifying kind of the catalog; expected one of {}",
            args.kind,
            kinds.join(", ")
        ))
    })?;
    let event = match &args.event {
        Some(path) => event_from_file(path, kind)?,
        None => event_from_example(kind)?,
    };
    let message = Renderer::new()
        .render(&MessageInput {
            detail: &event.detail,
            channel,
            locale: &args.locale,
            time_zone: &time_zone,
            customer_name: args.name.as_deref(),
            event_time: event.time.0,
            json: None,
        })
        .map_err(|e| Failure(1, format!("{}: {e}", kind.file)))?;
    println!(
        "{} · {channel} · {} (templates: {}) · times in {zone_name}\n",
        kind.name(),
        args.locale,
        message.language
    );
    print!("{}", show(channel, &message));
    if channel == Channel::Push {
        print!("{}", push_lines(&message, Timestamp::now()));
    }
    if channel == Channel::Sms {
        println!("{}", sms_use_line(&message));
    }
    Ok(())
}

/// The push fields of `m` sent at `now`: how it interrupts, groups, collapses and lasts.
fn push_lines(m: &Message, now: Timestamp) -> String {
    let f = push_fields(m.traits.as_ref(), Intrusion::Normal, m.ttl, m.deep_link.as_deref(), now);
    let or_none = |v: Option<&str>| v.unwrap_or("none").to_owned();
    let ttl = f.ttl_secs.map_or("none".to_owned(), |s| format!("{s} s"));
    let actions = match f.actions.is_empty() {
        true => String::new(),
        false => format!(" (actions {})", f.actions.join(", ")),
    };
    format!(
        "\npush: interruption-level {} · apns-priority {} · relevance-score {}\n\
         thread-id {} · collapse id {} · category {}{actions}\n\
         android: priority {} · channel {} · ttl {ttl}\n",
        f.interruption.as_str(),
        f.apns_priority,
        f.relevance_score,
        or_none(f.thread_id.as_deref()),
        or_none(f.collapse_id.as_deref()),
        or_none(f.category),
        f.android_priority.as_str(),
        or_none(f.android_channel.as_deref()),
    )
}

/// The SMS use case the adapter picks for the message, and the setting naming its configuration set.
fn sms_use_line(m: &Message) -> String {
    let u = forewarn_core::messages::sms_use::SmsUse::of(m.traits.as_ref());
    format!(
        "sms use case: {u} · configuration set: FOREWARN_SMS_CONFIGURATION_SET_{}",
        u.as_str().to_ascii_uppercase()
    )
}

/// The event of `--event FILE`, which must be of `kind`.
fn event_from_file(path: &Path, kind: &Kind) -> Result<Event, Failure> {
    let at = format!("--event {}", path.display());
    let text = fs::read_to_string(path).map_err(|e| usage(format!("{at}: {e}")))?;
    let event = parse_event(&text).map_err(|e| usage(format!("{at}: {e}")))?;
    if event.detail_type().as_str() != kind.name() {
        let reason = format!("{at}: its detail-type is {}, not {}", event.detail_type(), kind.name());
        return Err(usage(reason));
    }
    Ok(event)
}

/// An event of `kind` happening now, with its first schema example as the detail.
fn event_from_example(kind: &Kind) -> Result<Event, Failure> {
    let examples = kind.def.schema.get("examples").and_then(Value::as_array);
    let Some(detail) = examples.and_then(|e| e.first()) else {
        return Err(usage(format!(
            "KIND {}: its schema has no examples; pass --event FILE",
            kind.name()
        )));
    };
    let envelope = json!({
        "version": "0", "id": "preview", "detail-type": kind.name(), "source": "forewarn.preview",
        "time": Timestamp::now(), "resources": [], "detail": detail,
    });
    parse_event_value(envelope).map_err(|e| {
        Failure(
            1,
            format!("{}: schema.examples[0] is not a valid event: {e}", kind.file),
        )
    })
}

/// The rendered message as text: the title or subject, the body, and the SMS cost or the HTML part.
fn show(channel: Channel, m: &Message) -> String {
    let mut out = String::new();
    match channel {
        Channel::Sms => {
            out.push_str(&format!("{}\n", m.body));
            if let Some(s) = m.sms {
                let encoding = if s.encoding == Encoding::Gsm7 { "GSM-7" } else { "UCS-2" };
                let plural = if s.segments == 1 { "" } else { "s" };
                out.push_str(&format!(
                    "\nencoding: {encoding} · {} segment{plural} · {} units\n",
                    s.segments, s.units
                ));
            }
        }
        Channel::Push => {
            out.push_str(&format!(
                "title: {}\n{}\n",
                m.title.as_deref().unwrap_or_default(),
                m.body
            ));
            if let Some(link) = &m.deep_link {
                out.push_str(&format!("link: {link}\n"));
            }
        }
        Channel::Email => {
            out.push_str(&format!(
                "subject: {}\n\n{}",
                m.subject.as_deref().unwrap_or_default(),
                m.body
            ));
            out.push_str(&format!("\n--- html ---\n{}", m.html.as_deref().unwrap_or_default()));
        }
    }
    out
}
