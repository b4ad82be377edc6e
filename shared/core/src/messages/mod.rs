//! Customer-facing words: each kind's templates per language × channel, from the catalog
//! (minijinja, compiled on first use), with money, dates and lists written for the customer's
//! locale by ICU4X.
//!
//! A kind has four templates per language (`catalog/kinds/<kind>.toml`): `sms`, `push` (first
//! line: the title), `email` (first line: the subject) and `html` (autoescaped). Templates see
//! the kind's placeholders, each a detail field formatted by its declared format. In SMS and
//! push bodies, template line breaks are dropped: spaces are written out. Producer text is
//! cleaned (control and bidi-override characters removed; `<` and `>` too outside HTML), its
//! links and phone numbers are replaced by placeholders on every channel ([`safe`]), and it is
//! cut to bounded lengths; an SMS that would still take more than [`MAX_SMS_SEGMENTS`] is
//! rendered again with tighter bounds, down to a compact form `forewarn catalog check` proves
//! to fit with the costliest values.

pub mod brand;
mod email;
pub mod format;
pub mod languages;
mod limits;
pub mod push;
pub mod safe;
mod silent;
pub mod sms;
pub mod sms_use;
pub mod traits;
mod values;

pub use traits::Traits;

use std::borrow::Cow;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Object;
use minijinja::{Environment, Value};

use crate::catalog::{Catalog, Kind, catalog};
use crate::customer::Channel;
use crate::events::Detail;
use crate::types::Url;
use format::{FormatCache, Formats, Lang, Match, resolve_why};
use limits::{EMAIL, Limits, PUSH, SMS_LEVELS};
use safe::{LinkHosts, Placeholders};

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
    /// The detail as JSON when the caller has it ([`crate::events::Event::detail_json`]);
    /// made from `detail` otherwise.
    pub json: Option<&'a serde_json::Value>,
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
    /// Push deep link: the producer's link (resume, rebooking) when there is one on an allowed
    /// host ([`LinkHosts`]).
    pub deep_link: Option<String>,
    /// Push: after this instant the message no longer matters.
    pub ttl: Option<Timestamp>,
    /// The customer is asked to answer (fraud SMS).
    pub expects_reply: bool,
    /// SMS only: encoding and segment count.
    pub sms: Option<sms::Segments>,
    /// The template language used (`en`, `pt`, `pt-BR`, `es`, `fr`, `de`).
    pub language: &'static str,
    /// The kind's category, urgency and subject, for the provider adapters.
    pub traits: Option<Traits>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no template for {0}")]
    NoTemplate(String),
    #[error("template {name}: {reason}")]
    Template { name: String, reason: String },
}

/// Most parts an SMS may take.
pub const MAX_SMS_SEGMENTS: usize = 2;

/// The template parts of one language, with the file-like suffix that sets autoescaping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Sms,
    Push,
    EmailText,
    EmailHtml,
}

impl Part {
    fn suffix(self) -> &'static str {
        match self {
            Part::Sms => "sms.txt",
            Part::Push => "push.txt",
            Part::EmailText => "email.txt",
            Part::EmailHtml => "email.html",
        }
    }
}

/// A template's name: `<detail-type>/<language tag>/<part>` (`LowBalance/pt-PT/email.html`).
fn template_name(kind: &str, lang: Lang, part: Part) -> String {
    format!("{kind}/{}/{}", lang.tag(), part.suffix())
}

/// The source of a template name in `catalog`.
fn template_source(catalog: &Catalog, name: &str) -> Option<String> {
    let mut parts = name.splitn(3, '/');
    let (kind, tag, part) = (parts.next()?, parts.next()?, parts.next()?);
    let t = catalog.kind(kind)?.def.templates.get(tag)?;
    let source = match part {
        "sms.txt" => &t.sms,
        "push.txt" => &t.push,
        "email.txt" => &t.email,
        "email.html" => &t.html,
        _ => return None,
    };
    Some(source.clone())
}

/// Renders messages; build once, use for every event. `Send + Sync`: share it across threads.
pub struct Renderer {
    env: Environment<'static>,
    catalog: &'static Catalog,
    formats: FormatCache,
    link_hosts: LinkHosts,
    sms_replies: SmsReplies,
}

/// Whether the SMS sender can receive an answer: an alphanumeric sender id cannot, so a
/// question sent from one asks the customer to answer in the app and opens no question.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SmsReplies {
    /// A number (long code, toll-free, short code) with two-way SMS.
    #[default]
    Received,
    /// An alphanumeric sender id, or a number without two-way SMS.
    Impossible,
}

impl Renderer {
    /// A renderer of this process's catalog ([`catalog`]).
    pub fn new() -> Renderer {
        Renderer::for_catalog(catalog())
    }

    /// A renderer of `catalog`'s templates, each compiled the first time it is used.
    pub fn for_catalog(catalog: &'static Catalog) -> Renderer {
        let mut env = Environment::new();
        env.set_syntax(
            SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .expect("the default delimiters are valid"),
        );
        // Autoescaping follows the name: `.html` templates escape HTML, others do not.
        env.set_loader(move |name| Ok(template_source(catalog, name)));
        env.add_template(email::LAYOUT_NAME, email::LAYOUT)
            .expect("the email layout compiles: the tests render it");
        Renderer {
            env,
            catalog,
            formats: FormatCache::default(),
            link_hosts: LinkHosts::default(),
            sms_replies: SmsReplies::Received,
        }
    }

    /// The same renderer, placing only producer links on `hosts` ([`LinkHosts`]).
    pub fn with_link_hosts(self, hosts: LinkHosts) -> Renderer {
        Renderer {
            link_hosts: hosts,
            ..self
        }
    }

    /// The same renderer, wording questions for an SMS sender that `replies` says can or cannot
    /// receive the answer.
    pub fn with_sms_replies(self, replies: SmsReplies) -> Renderer {
        Renderer {
            sms_replies: replies,
            ..self
        }
    }

    /// The producer link of `event` that messages leave out: one not on an allowed host.
    pub fn refused_link(&self, event: &crate::events::Event) -> Option<Url> {
        let kind = self.catalog.kind(event.detail_type().as_str())?;
        link_of(kind, event.detail_json()).filter(|u| !self.link_hosts.allows(u))
    }

    /// Words `input.detail` for `input.channel` in the customer's language.
    pub fn render(&self, input: &MessageInput<'_>) -> Result<Message, RenderError> {
        let no_template = || RenderError::NoTemplate(format!("{} on {}", input.detail.detail_type(), input.channel));
        let kind = self
            .catalog
            .kind(input.detail.detail_type().as_str())
            .filter(|k| k.notifies())
            .ok_or_else(no_template)?;
        let fmt = self.formats.get(input.locale);
        // A language the kind has no words in falls back to English.
        let lang = if kind.def.templates.contains_key(fmt.lang.tag()) {
            fmt.lang
        } else if kind.def.templates.contains_key(Lang::EN.tag()) {
            Lang::EN
        } else {
            return Err(no_template());
        };
        let r = Render {
            input,
            json: match input.json {
                Some(j) => Cow::Borrowed(j),
                None => Cow::Owned(input.detail.to_json()),
            },
            fmt: &fmt,
            lang,
            kind,
            hosts: &self.link_hosts,
            sms_replies: self.sms_replies,
        };
        let mut message = match input.channel {
            Channel::Sms => self.sms(&r)?,
            Channel::Push => self.push(&r)?,
            Channel::Email => self.email(&r)?,
        };
        message.language = lang.as_str();
        message.ttl = Some(r.ttl());
        message.traits = r.traits();
        Ok(message)
    }

    fn sms(&self, r: &Render<'_>) -> Result<Message, RenderError> {
        let name = template_name(r.kind.name(), r.lang, Part::Sms);
        let mut text = String::new();
        let mut counted = sms::segments("");
        for limits in SMS_LEVELS {
            let raw = self.run(&name, r.context(limits))?;
            // Named here, once, so no kind (a bank's own among them) can leave the bank out.
            text = sms::prefer_gsm7(&brand::sms_from_bank(&one_line(&raw))).into_owned();
            counted = sms::segments(&text);
            if counted.segments <= MAX_SMS_SEGMENTS {
                break;
            }
        }
        Ok(Message {
            body: text,
            sms: Some(counted),
            expects_reply: r.kind.def.expects_reply && r.sms_replies == SmsReplies::Received,
            ..Message::empty()
        })
    }

    /// No bank name before the title: the phone shows every push under the bank app's name.
    fn push(&self, r: &Render<'_>) -> Result<Message, RenderError> {
        let name = template_name(r.kind.name(), r.lang, Part::Push);
        let raw = self.run(&name, r.context(PUSH))?;
        let (title, body) = raw.split_once('\n').unwrap_or((&raw, ""));
        Ok(Message {
            title: Some(one_line(title)),
            body: one_line(body),
            deep_link: r.deep_link().map(|u| u.as_str().to_owned()),
            ..Message::empty()
        })
    }

    fn email(&self, r: &Render<'_>) -> Result<Message, RenderError> {
        let ctx = r.context(EMAIL);
        let text = template_name(r.kind.name(), r.lang, Part::EmailText);
        let raw = self.run(&text, ctx.clone())?;
        let (subject, body) = raw.split_once('\n').unwrap_or((&raw, ""));
        let html = template_name(r.kind.name(), r.lang, Part::EmailHtml);
        let html = self.run(&html, ctx)?;
        let subject = one_line(subject);
        let frame = email::Frame {
            lang: r.lang,
            subject: &subject,
            brand: brand::brand(),
            manage_url: None,
        };
        let html = email::html(&self.env, &frame, &paragraphs(&html, false)).map_err(|e| RenderError::Template {
            name: email::LAYOUT_NAME.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Message {
            body: email::text(&frame, &paragraphs(body, true)),
            html: Some(paragraphs(&html, false)),
            subject: Some(subject),
            ..Message::empty()
        })
    }

    fn run(&self, name: &str, ctx: Value) -> Result<String, RenderError> {
        let fail = |e: minijinja::Error| RenderError::Template {
            name: name.to_owned(),
            reason: e.to_string(),
        };
        self.env.get_template(name).map_err(fail)?.render(ctx).map_err(fail)
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Message {
    fn empty() -> Message {
        Message {
            subject: None,
            title: None,
            body: String::new(),
            html: None,
            deep_link: None,
            ttl: None,
            expects_reply: false,
            sms: None,
            language: "en",
            traits: None,
        }
    }
}

/// Why a message of `kind` for a customer of `locale` is not in the locale's own language: the
/// language it is written in (as [`Renderer::render`] picks it) and the locale its numbers and
/// dates follow (`written in en with en-NL numbers and dates: no templates for nl-NL`); none
/// when the catalog has the locale's language.
pub fn language_reason(kind: &Kind, locale: &str) -> Option<String> {
    let (lang, formats, how) = resolve_why(locale);
    let locale = crate::types::truncate(locale.trim(), 40);
    if !kind.def.templates.contains_key(lang.tag()) {
        return Some(format!(
            "written in {} with {formats} numbers and dates: {} has no templates in {}",
            Lang::EN.tag(),
            kind.name(),
            lang.tag()
        ));
    }
    match how {
        Match::Own => None,
        Match::OtherRegion | Match::English => Some(format!(
            "written in {} with {formats} numbers and dates: no templates for {locale}",
            lang.tag()
        )),
    }
}

/// The producer's own link in a detail of `kind` (resume, rebooking): the field it names as `link`.
pub fn link_of(kind: &Kind, json: &serde_json::Value) -> Option<Url> {
    let path = kind.def.link.as_deref()?;
    Url::parse(&crate::catalog::text_at(json, path)).ok()
}

/// Markup brackets never reach a plain-text part: the templates write none, and producer text
/// has lost them already (`limits::clean`), in the HTML part too, so both parts say the same.
fn plain(c: char) -> bool {
    c != '<' && c != '>'
}

/// SMS, push and subject lines: template line breaks dropped, runs of spaces made one.
fn one_line(s: &str) -> String {
    // Only ASCII bytes are dropped, so what is kept stays valid UTF-8.
    let mut out = Vec::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'\n' | b'\r' | b'<' | b'>' => {}
            b' ' if out.is_empty() || out.last() == Some(&b' ') => {}
            _ => out.push(b),
        }
    }
    while out.last() == Some(&b' ') {
        out.pop();
    }
    String::from_utf8(out).expect("ASCII bytes removed from UTF-8 leave UTF-8")
}

/// Email parts: trimmed, with at most one blank line between paragraphs; for the text part
/// (`text`), without markup brackets.
fn paragraphs(s: &str, text: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.trim().lines() {
        let line = line.trim_end();
        blank = if line.is_empty() { blank + 1 } else { 0 };
        if blank < 2 {
            if text {
                out.extend(line.chars().filter(|&c| plain(c)));
            } else {
                out.push_str(line);
            }
            out.push('\n');
        }
    }
    out
}

/// The values one template sees, already formatted and bounded: a flat list looked up by
/// name, cheaper than a serialized map. A missing (or `None`) name is undefined, which is
/// false in `{% if %}`.
#[derive(Debug, Default)]
struct Fields(Vec<(String, Value)>);

impl Fields {
    fn set(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        self.0.push((name.into(), value.into()));
    }
    fn opt(&mut self, name: impl Into<String>, value: Option<impl Into<Value>>) {
        if let Some(v) = value {
            self.set(name, v);
        }
    }
}

impl Object for Fields {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        self.0.iter().find(|(name, _)| name == key).map(|(_, v)| v.clone())
    }
}

/// One render: the input and its detail as JSON, its formatters and language, its kind and the
/// hosts links may lead to.
struct Render<'a> {
    input: &'a MessageInput<'a>,
    json: Cow<'a, serde_json::Value>,
    fmt: &'a Formats,
    lang: Lang,
    kind: &'a Kind,
    hosts: &'a LinkHosts,
    sms_replies: SmsReplies,
}

impl Render<'_> {
    /// The template values for `self.input` within `limits`: the name, `compact`, and every
    /// placeholder of the kind that the detail holds.
    fn context(&self, limits: Limits) -> Value {
        let limits = Limits {
            words: Placeholders::of(self.fmt.lang),
            ..limits
        };
        let mut f = Fields(Vec::with_capacity(4 + self.kind.def.placeholders.len()));
        let name = self.input.customer_name.map(|n| limits.text(n));
        f.opt("name", name.filter(|n| n.as_str().is_some_and(|s| !s.is_empty())));
        f.set("compact", limits.compact);
        f.set("can_reply", self.sms_replies == SmsReplies::Received);
        f.set("bank", brand::brand().name.as_str());
        f.set("app", brand::brand().app.as_str());
        for (name, placeholder) in &self.kind.def.placeholders {
            values::place(self, &mut f, name, placeholder, limits);
        }
        Value::from_object(f)
    }

    /// Where a push opens: the producer's own link, never an invented one, and only on an
    /// allowed host.
    fn deep_link(&self) -> Option<Url> {
        link_of(self.kind, &self.json).filter(|u| self.hosts.allows(u))
    }

    /// After this instant the notice no longer matters: the kind's `expires` field, or a day
    /// after the event.
    fn ttl(&self) -> Timestamp {
        self.kind.stops_mattering(&self.json, self.input.event_time).0
    }

    /// The kind's facts for the provider adapters (a notifying kind has a category and an
    /// urgency: the catalog check proves it).
    fn traits(&self) -> Option<Traits> {
        let def = &self.kind.def;
        Some(Traits {
            kind: self.kind.name().to_owned(),
            category: def.category.clone()?,
            urgency: def.urgency?,
            subject: self.kind.subject_of(&self.json).as_str().to_owned(),
            question: def.expects_reply,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::limits::clean;
    use super::*;
    use crate::events::DetailType;
    use serde_json::{Value as Json, json};

    const EVENT_TIME: &str = "2026-11-22T08:00:00Z";

    fn lisbon() -> TimeZone {
        jiff::tz::db().get("Europe/Lisbon").unwrap()
    }

    fn eur(amount: &str) -> Json {
        json!({"amount": amount, "currency": "EUR"})
    }

    fn fraud_json() -> Json {
        json!({"customer_id": "c-1", "transaction_id": "t-1", "account_id": "a-1",
               "amount": eur("249.90"), "occurred_at": "2026-11-22T07:58:00Z",
               "merchant": {"name": "Electro Shop", "city": "Madrid", "country": "ES"},
               "card_last4": "4242", "reason": "unusual country"})
    }
    fn low_balance_json() -> Json {
        json!({"customer_id": "c-1", "account_id": "a-1", "balance": eur("42.10"),
               "threshold": eur("100"),
               "upcoming_payment": {"payee": "Landlord Lda", "amount": eur("850.00"),
                                    "due_at": "2026-11-25T09:00:00Z"}})
    }
    fn flight_json() -> Json {
        json!({"customer_id": "c-1", "booking_ref": "ABC123", "reason": "late inbound aircraft",
               "gate": "B12",
               "flight": {"number": "TP1234", "origin": "LIS", "destination": "JFK",
                          "scheduled_departure": "2026-11-22T14:00:00Z",
                          "estimated_departure": "2026-11-22T16:35:00Z"},
               "rebooking": {"url": "https://air.example/rebook/ABC123", "options": "later flights today"}})
    }
    fn application_json() -> Json {
        json!({"customer_id": "c-1", "application_id": "app-9", "product": "Visa Gold card",
               "missing_items": ["proof of address", "payslip"],
               "resume_url": "https://bank.example/apply/app-9",
               "expires_at": "2026-11-30T23:59:00Z"})
    }
    fn payment_due_json() -> Json {
        json!({"customer_id": "c-1", "account_id": "a-1", "payment_id": "dd-7", "payee": "EDP Comercial",
               "amount": eur("86.40"), "balance": eur("31.05"), "due_at": "2026-11-27T09:00:00Z",
               "method": "direct_debit"})
    }

    /// PaymentDue: a kind the catalog alone declares (no Rust type names it).
    fn payment_due() -> DetailType {
        DetailType::parse("PaymentDue").expect("the catalog declares PaymentDue")
    }

    fn detail(kind: DetailType, v: Json) -> Detail {
        match kind {
            DetailType::LowBalance => Detail::LowBalance(serde_json::from_value(v).unwrap()),
            DetailType::FlightDelayed => Detail::FlightDelayed(serde_json::from_value(v).unwrap()),
            DetailType::ApplicationIncomplete => Detail::ApplicationIncomplete(serde_json::from_value(v).unwrap()),
            DetailType::SuspiciousTransaction => Detail::SuspiciousTransaction(serde_json::from_value(v).unwrap()),
            // A catalog-only kind: read as producers send it, checked against its schema.
            other if other == payment_due() => {
                let event = json!({"version": "0", "id": "e-1", "detail-type": other.as_str(),
                    "source": "bank.core", "account": "123456789012", "time": EVENT_TIME,
                    "region": "eu-west-1", "resources": [], "detail": v});
                let event = crate::events::parse_event_value(event).unwrap_or_else(|e| panic!("{other}: {e}"));
                assert!(matches!(event.detail, Detail::Catalog(_)));
                event.detail
            }
            other => panic!("{other} does not notify"),
        }
    }

    /// A typical event of each notifying kind.
    fn typical(kind: DetailType) -> Detail {
        let v = match kind {
            DetailType::LowBalance => low_balance_json(),
            DetailType::FlightDelayed => flight_json(),
            DetailType::ApplicationIncomplete => application_json(),
            DetailType::SuspiciousTransaction => fraud_json(),
            other if other == payment_due() => payment_due_json(),
            other => panic!("{other} does not notify"),
        };
        detail(kind, v)
    }

    /// Every notifying kind: the four Rust types name, and PaymentDue, which only the catalog
    /// declares.
    fn notifying() -> [DetailType; 5] {
        [
            DetailType::LowBalance,
            DetailType::FlightDelayed,
            DetailType::ApplicationIncomplete,
            DetailType::SuspiciousTransaction,
            payment_due(),
        ]
    }
    const CHANNELS: [Channel; 3] = [Channel::Sms, Channel::Push, Channel::Email];

    fn render_with(r: &Renderer, d: &Detail, channel: Channel, locale: &str, name: Option<&str>) -> Message {
        let tz = lisbon();
        r.render(&MessageInput {
            detail: d,
            channel,
            locale,
            time_zone: &tz,
            customer_name: name,
            event_time: EVENT_TIME.parse().unwrap(),
            json: None,
        })
        .unwrap_or_else(|e| panic!("{:?} {channel} {locale}: {e}", d.detail_type()))
    }

    fn render(d: &Detail, channel: Channel, locale: &str) -> Message {
        render_with(&Renderer::new(), d, channel, locale, Some("Ana"))
    }

    /// Every text of a message, for "names X" checks.
    fn all_text(m: &Message) -> String {
        [
            m.subject.as_deref(),
            m.title.as_deref(),
            Some(m.body.as_str()),
            m.html.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
    }

    /// ICU's no-break spaces read as plain spaces, for comparisons.
    fn spaced(s: &str) -> String {
        s.replace(['\u{a0}', '\u{202f}'], " ")
    }

    /// Every template language's tag, then regional and other locales.
    fn locales_of_every_language<'a>(others: &[&'a str]) -> Vec<&'a str> {
        Lang::all()
            .iter()
            .map(|l| l.tag())
            .chain(others.iter().copied())
            .collect()
    }

    /// How the fraud SMS ends in each language: the question and the words to reply.
    fn fraud_ask(lang: Lang) -> &'static str {
        match lang.tag() {
            "en" => "Reply YES if this was you, NO if not.",
            "pt-PT" | "pt-BR" => "Foi você? Responda SIM ou NÃO.",
            "es" => "¿Ha sido usted? Responda SÍ o NO.",
            "fr" => "Est-ce vous ? Répondez OUI ou NON.",
            "de" => "Waren Sie das? Antworten Sie JA oder NEIN.",
            other => panic!("no fraud question known for {other}"),
        }
    }

    #[test]
    fn fraud_sms_asks_for_a_yes_or_no_reply_in_the_customers_language() {
        use crate::conversation::{Intent, parse_intent};
        let d = typical(DetailType::SuspiciousTransaction);
        for locale in locales_of_every_language(&["en-US", "es-MX", "fr-CA", "de-AT", "nl-NL"]) {
            let lang = Lang::of(locale);
            let ask = fraud_ask(lang);
            let m = render(&d, Channel::Sms, locale);
            assert!(m.body.ends_with(ask), "{locale}: {}", m.body);
            assert_eq!(m.language, lang.as_str(), "{locale}");
            assert!(m.expects_reply, "{locale}");
            // The words in capitals it asks for are a yes and a no the reply parser reads.
            let asked: Vec<Intent> = ask
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= 2 && w.chars().all(char::is_uppercase))
                .map(parse_intent)
                .collect();
            assert_eq!(asked, [Intent::Yes, Intent::No], "{locale}: {ask}");
        }
    }

    #[test]
    fn only_the_fraud_sms_expects_a_reply() {
        for kind in notifying() {
            for channel in CHANNELS {
                let m = render(&typical(kind), channel, "en");
                let asks = kind == DetailType::SuspiciousTransaction && channel == Channel::Sms;
                assert_eq!(m.expects_reply, asks, "{kind} {channel}");
            }
        }
    }

    #[test]
    fn the_fraud_message_names_the_amount_the_merchant_and_its_city_on_every_channel() {
        let d = typical(DetailType::SuspiciousTransaction);
        let cases = [
            ("en", "€249.90"),
            ("pt-PT", "249,90 €"),
            ("pt-BR", "€ 249,90"),
            ("es-ES", "249,90 €"),
            ("fr-FR", "249,90 €"),
            ("de-DE", "249,90 €"),
        ];
        for (locale, amount) in cases {
            assert_eq!(render(&d, Channel::Sms, locale).language, Lang::of(locale).as_str());
            for channel in CHANNELS {
                let m = render(&d, channel, locale);
                let text = spaced(&all_text(&m));
                for want in [amount, "Electro Shop", "Madrid"] {
                    assert!(text.contains(want), "{locale} {channel} lacks {want:?}: {text}");
                }
            }
        }
    }

    #[test]
    fn the_fraud_sms_reads_as_expected_in_english_and_portuguese() {
        let d = typical(DetailType::SuspiciousTransaction);
        let en = render(&d, Channel::Sms, "en-GB");
        assert_eq!(
            en.body,
            "Example Bank: €249.90 at Electro Shop, Madrid with card ending 4242 on 22 Nov, 07:58. \
             Reply YES if this was you, NO if not."
        );
        assert_eq!(en.sms.unwrap().encoding, sms::Encoding::Gsm7);
        let pt = render(&d, Channel::Sms, "pt-PT");
        assert_eq!(
            spaced(&pt.body),
            "Example Bank: 249,90 € em Electro Shop, Madrid com o cartão terminado em 4242 em 22 de nov., 07:58. \
             Foi você? Responda SIM ou NÃO."
        );
        assert_eq!(pt.sms.unwrap().encoding, sms::Encoding::Ucs2);
        assert_eq!((en.language, pt.language), ("en", "pt-PT"));
    }

    #[test]
    fn the_incomplete_application_message_names_the_missing_items_and_links_to_resume() {
        let d = typical(DetailType::ApplicationIncomplete);
        let url = "https://bank.example/apply/app-9";
        let cases = [
            ("en", "proof of address and payslip"),
            ("pt-PT", "proof of address e payslip"),
        ];
        for (locale, missing) in cases {
            let sms = render(&d, Channel::Sms, locale);
            assert!(sms.body.contains(missing) && sms.body.contains(url), "{}", sms.body);
            let push = render(&d, Channel::Push, locale);
            assert!(push.body.contains(missing), "{}", push.body);
            assert_eq!(push.deep_link.as_deref(), Some(url));
            let email = render(&d, Channel::Email, locale);
            let html = email.html.as_deref().unwrap();
            assert!(email.body.contains("- proof of address\n- payslip\n"), "{}", email.body);
            assert!(email.body.contains(url));
            assert!(html.contains("<li>payslip</li>"), "{html}");
            // Autoescaping writes `/` as `&#x2f;` in the attribute; browsers read it back.
            let href = url.replace('/', "&#x2f;");
            assert!(html.contains(&format!("href=\"{href}\"")), "{html}");
        }
    }

    #[test]
    fn the_low_balance_message_names_the_balance_and_the_upcoming_payment_and_its_date() {
        let d = typical(DetailType::LowBalance);
        let cases = [
            ("en", ["€42.10", "€850.00", "Landlord Lda", "November 25"]),
            ("pt-PT", ["42,10 €", "850,00 €", "Landlord Lda", "25 de novembro"]),
        ];
        for (locale, wants) in cases {
            for channel in CHANNELS {
                let text = spaced(&all_text(&render(&d, channel, locale)));
                for want in wants {
                    assert!(text.contains(want), "{locale} {channel} lacks {want:?}: {text}");
                }
            }
        }
    }

    #[test]
    fn the_low_balance_message_says_nothing_of_a_payment_when_none_is_known() {
        let mut v = low_balance_json();
        v.as_object_mut().unwrap().remove("upcoming_payment");
        let d = detail(DetailType::LowBalance, v);
        for channel in CHANNELS {
            let m = render(&d, channel, "en");
            let text = all_text(&m);
            assert!(text.contains("€42.10") && !text.contains("due"), "{channel}: {text}");
            if channel == Channel::Push {
                let day_after: Timestamp = "2026-11-23T08:00:00Z".parse().unwrap();
                assert_eq!(m.ttl, Some(day_after));
            }
        }
    }

    #[test]
    fn the_flight_message_names_the_flight_route_new_time_gate_reason_and_rebooking() {
        let d = typical(DetailType::FlightDelayed);
        // 16:35 UTC is 16:35 in Lisbon in November (WET), 11:35 in New York.
        let cases = [
            ("en-GB", "Europe/Lisbon", "22 Nov, 16:35"),
            ("en-US", "America/New_York", "Nov 22, 11:35 AM"),
            ("pt-PT", "Europe/Lisbon", "22 de nov., 16:35"),
        ];
        let r = Renderer::new();
        for (locale, zone, departure) in cases {
            let tz = jiff::tz::db().get(zone).unwrap();
            for channel in CHANNELS {
                let m = r
                    .render(&MessageInput {
                        detail: &d,
                        channel,
                        locale,
                        time_zone: &tz,
                        customer_name: None,
                        event_time: EVENT_TIME.parse().unwrap(),
                        json: None,
                    })
                    .unwrap();
                let text = spaced(&all_text(&m));
                let mut wants = vec!["TP1234", "LIS", "JFK", departure];
                if channel != Channel::Push {
                    wants.extend(["B12", "late inbound aircraft", "https://air.example/rebook/ABC123"]);
                }
                for want in wants {
                    assert!(text.contains(want), "{locale} {channel} lacks {want:?}: {text}");
                }
            }
        }
    }

    #[test]
    fn the_flight_message_leaves_out_gate_reason_and_rebooking_when_not_given() {
        let mut v = flight_json();
        for k in ["gate", "reason", "rebooking"] {
            v.as_object_mut().unwrap().remove(k);
        }
        let d = detail(DetailType::FlightDelayed, v);
        for channel in CHANNELS {
            let m = render(&d, channel, "en");
            let text = all_text(&m);
            for absent in ["Gate", "Reason", "ebook"] {
                assert!(!text.contains(absent), "{channel} mentions {absent:?}: {text}");
            }
            assert_eq!(m.deep_link, None, "{channel}");
        }
    }

    #[test]
    fn messages_on_every_channel_expire_when_they_stop_mattering() {
        let ts = |s: &str| Some(s.parse::<Timestamp>().unwrap());
        let no_expiry = {
            let mut v = application_json();
            v.as_object_mut().unwrap().remove("expires_at");
            detail(DetailType::ApplicationIncomplete, v)
        };
        let cases = [
            (typical(DetailType::FlightDelayed), ts("2026-11-22T16:35:00Z")),
            (typical(DetailType::ApplicationIncomplete), ts("2026-11-30T23:59:00Z")),
            (no_expiry, ts("2026-11-23T08:00:00Z")),
            (typical(DetailType::LowBalance), ts("2026-11-25T09:00:00Z")),
            (typical(DetailType::SuspiciousTransaction), ts("2026-11-23T08:00:00Z")),
            (typical(payment_due()), ts("2026-11-27T09:00:00Z")),
        ];
        for (d, ttl) in cases {
            let m = render(&d, Channel::Push, "en");
            assert_eq!(m.ttl, ttl, "{:?}", d.detail_type());
            assert!(m.title.as_deref().is_some_and(|t| !t.is_empty()));
            for channel in [Channel::Sms, Channel::Email] {
                assert_eq!(render(&d, channel, "en").ttl, ttl, "{:?} by {channel}", d.detail_type());
            }
        }
    }

    #[test]
    fn push_deep_links_are_the_producers_links_or_none() {
        let cases = [
            (DetailType::FlightDelayed, Some("https://air.example/rebook/ABC123")),
            (
                DetailType::ApplicationIncomplete,
                Some("https://bank.example/apply/app-9"),
            ),
            (DetailType::LowBalance, None),
            (DetailType::SuspiciousTransaction, None),
            (payment_due(), None),
        ];
        for (kind, link) in cases {
            let m = render(&typical(kind), Channel::Push, "en");
            assert_eq!(m.deep_link.as_deref(), link, "{kind}");
        }
    }

    #[test]
    fn the_email_greets_the_customer_by_name_when_known() {
        let r = Renderer::new();
        let cases = [
            ("en", Some("Ana"), "Hello Ana,"),
            ("en", None, "Hello,"),
            ("en", Some("  "), "Hello,"),
            ("pt-PT", Some("Ana"), "Olá Ana,"),
            ("pt-PT", None, "Olá,"),
            ("pt-BR", Some("Ana"), "Olá, Ana,"),
            ("pt-BR", None, "Olá,"),
            ("es-ES", Some("Ana"), "Hola, Ana:"),
            ("es-ES", None, "Hola:"),
            ("fr-FR", Some("Ana"), "Bonjour Ana,"),
            ("fr-FR", None, "Bonjour,"),
            ("de-DE", Some("Ana"), "Guten Tag Ana,"),
            ("de-DE", Some("  "), "Guten Tag,"),
        ];
        for kind in notifying() {
            for (locale, name, greeting) in cases {
                let m = render_with(&r, &typical(kind), Channel::Email, locale, name);
                // The plain text opens with the bank's name and the subject, as the HTML does.
                assert!(
                    m.body.contains(&format!("\n\n{greeting}\n")),
                    "{kind} {locale}: {}",
                    m.body
                );
                let html = m.html.unwrap();
                assert!(html.contains(&format!("<p>{greeting}</p>")), "{kind} {locale}: {html}");
                assert!(m.subject.is_some_and(|s| !s.is_empty() && !s.contains('\n')));
            }
        }
    }

    #[test]
    fn markup_from_producers_is_escaped_in_html_and_absent_from_plain_parts() {
        let mut v = fraud_json();
        v["merchant"]["name"] = json!("<script>alert('x')</script>Shop");
        let d = detail(DetailType::SuspiciousTransaction, v);
        for &lang in Lang::all() {
            let locale = lang.tag();
            let email = render(&d, Channel::Email, locale);
            assert_eq!(email.language, lang.as_str());
            let html = email.html.as_deref().unwrap();
            assert!(
                html.contains("scriptalert(&#x27;x&#x27;)&#x2f;scriptShop"),
                "{locale}: {html}"
            );
            assert!(!html.contains("<script>") && !html.contains("&lt;"), "{locale}");
            assert!(
                email.body.contains("scriptalert('x')/scriptShop"),
                "{locale}: {}",
                email.body
            );
            for channel in CHANNELS {
                let m = render(&d, channel, locale);
                for part in [m.subject.as_deref(), m.title.as_deref(), Some(m.body.as_str())] {
                    let part = part.unwrap_or_default();
                    assert!(!part.contains('<') && !part.contains('>'), "{channel} {locale}: {part}");
                }
                // A UCS-2 SMS (Portuguese) cuts the name shorter to stay within two parts.
                let kept = if channel == Channel::Sms {
                    "scriptalert('x')/"
                } else {
                    "scriptalert('x')/scriptShop"
                };
                assert!(m.body.contains(kept), "{channel} {locale}: {}", m.body);
            }
        }
    }

    #[test]
    fn templates_put_no_markup_in_sms_push_or_plain_text() {
        for kind in notifying() {
            for channel in CHANNELS {
                for locale in locales_of_every_language(&["pt"]) {
                    let m = render(&typical(kind), channel, locale);
                    for part in [m.subject.as_deref(), m.title.as_deref(), Some(m.body.as_str())] {
                        let part = part.unwrap_or_default();
                        assert!(
                            !part.contains('<') && !part.contains("&lt;"),
                            "{kind} {channel} {locale}: {part}"
                        );
                        assert!(
                            !part.contains("{{") && !part.contains("{%"),
                            "{kind} {channel} {locale}: {part}"
                        );
                    }
                    assert_eq!(m.html.is_some(), channel == Channel::Email);
                    assert_eq!(m.sms.is_some(), channel == Channel::Sms);
                }
            }
        }
    }

    #[test]
    fn control_and_bidi_characters_from_producers_are_removed() {
        let d = typical(DetailType::SuspiciousTransaction);
        let Detail::SuspiciousTransaction(mut t) = d else {
            unreachable!()
        };
        // Text::parse refuses control characters; bidi overrides get through it.
        t.merchant.name = crate::types::Text::parse("Shop\u{202e}moc.evil\u{202c}").unwrap();
        let d = Detail::SuspiciousTransaction(t);
        for channel in CHANNELS {
            let text = all_text(&render(&d, channel, "en"));
            assert!(text.contains("Shopmoc.evil"), "{channel}: {text}");
            assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{channel}");
            assert!(!text.contains(['\u{202e}', '\u{202c}']), "{channel}");
        }
        assert_eq!(clean(" a\u{7}b\tc "), "abc");
    }

    fn with_merchant(name: &str) -> Detail {
        let Detail::SuspiciousTransaction(mut t) = typical(DetailType::SuspiciousTransaction) else {
            unreachable!()
        };
        t.merchant.name = crate::types::Text::parse(name).unwrap();
        Detail::SuspiciousTransaction(t)
    }

    #[test]
    fn an_invisible_character_in_a_merchant_name_does_not_make_an_sms_ucs2() {
        let plain = render(&with_merchant("Electro Shop"), Channel::Sms, "en");
        let hidden = render(&with_merchant("Electro\u{200b} Shop\u{feff}"), Channel::Sms, "en");
        assert_eq!(hidden.body, plain.body);
        assert_eq!(hidden.sms, plain.sms);
        assert_eq!(hidden.sms.unwrap().encoding, sms::Encoding::Gsm7);
        for channel in CHANNELS {
            let text = all_text(&render(&with_merchant("Elec\u{ad}tro\u{2060} Shop"), channel, "en"));
            assert!(text.contains("Electro Shop"), "{channel}: {text}");
        }
    }

    #[test]
    fn a_zwj_family_emoji_in_a_merchant_name_survives_every_channel() {
        let family = "👨\u{200d}👩\u{200d}👧";
        for channel in CHANNELS {
            let text = all_text(&render(&with_merchant(&format!("Toys {family}")), channel, "en"));
            assert!(text.contains(family), "{channel}: {text}");
        }
    }

    #[test]
    fn details_that_do_not_notify_have_no_template() {
        let resolving = Detail::BalanceRestored(
            serde_json::from_value(json!({"customer_id": "c-1", "account_id": "a-1"})).unwrap(),
        );
        let tz = lisbon();
        for channel in CHANNELS {
            let err = Renderer::new()
                .render(&MessageInput {
                    detail: &resolving,
                    channel,
                    locale: "en",
                    time_zone: &tz,
                    customer_name: None,
                    event_time: EVENT_TIME.parse().unwrap(),
                    json: None,
                })
                .unwrap_err();
            assert!(
                matches!(&err, RenderError::NoTemplate(s) if s.contains("BalanceRestored")),
                "{err}"
            );
        }
    }

    #[test]
    fn any_other_or_unparseable_locale_falls_back_to_english() {
        let d = typical(DetailType::LowBalance);
        for locale in ["nl-NL", "ja", "", "???", "pt-PT-x-"] {
            let m = render(&d, Channel::Sms, locale);
            assert_eq!(m.language, "en", "{locale:?}");
            assert!(
                m.body.starts_with("Example Bank: Low balance"),
                "{locale:?}: {}",
                m.body
            );
        }
        // English words, Dutch numbers: the customer's region is kept.
        assert!(spaced(&render(&d, Channel::Sms, "nl-NL").body).contains("€ 42,10"));
    }

    #[test]
    fn english_sms_with_typical_values_travel_as_gsm7() {
        for kind in notifying() {
            for locale in ["en", "en-US", "en-GB"] {
                let m = render(&typical(kind), Channel::Sms, locale);
                let s = m.sms.unwrap();
                assert_eq!(s.encoding, sms::Encoding::Gsm7, "{kind} {locale}: {}", m.body);
                assert_eq!(s, sms::segments(&m.body));
            }
        }
    }

    /// Producer text at its longest, in the costliest characters for an SMS.
    fn worst_texts() -> [String; 4] {
        [
            "🙂".repeat(crate::types::MAX_TEXT_LEN),
            "ã".repeat(crate::types::MAX_TEXT_LEN),
            "€{".repeat(crate::types::MAX_TEXT_LEN / 2),
            "W".repeat(crate::types::MAX_TEXT_LEN),
        ]
    }

    fn worst_case(kind: DetailType, text: &str, id: &str, url: &str) -> Detail {
        let big = json!({"amount": "999999999999999.99", "currency": "EUR"});
        let neg = json!({"amount": "-999999999999999.99", "currency": "BRL"});
        let v = match kind {
            DetailType::LowBalance => json!({"customer_id": id, "account_id": id, "balance": neg,
                "threshold": big,
                "upcoming_payment": {"payee": text, "amount": big, "due_at": "2026-09-30T23:00:00Z"}}),
            DetailType::FlightDelayed => json!({"customer_id": id, "booking_ref": id, "reason": text,
                "gate": text,
                "flight": {"number": id, "origin": id, "destination": id,
                           "scheduled_departure": "2026-09-29T22:00:00Z",
                           "estimated_departure": "2026-09-30T23:59:00Z"},
                "rebooking": {"url": url, "options": text}}),
            DetailType::ApplicationIncomplete => json!({"customer_id": id, "application_id": id,
                "product": text, "missing_items": vec![text; 20],
                "resume_url": url, "expires_at": "2026-09-30T23:59:00Z"}),
            DetailType::SuspiciousTransaction => json!({"customer_id": id, "transaction_id": id,
                "account_id": id, "amount": big, "occurred_at": "2026-09-30T23:59:00Z",
                "merchant": {"name": text, "city": text, "country": id},
                "card_last4": "9999", "reason": text}),
            // Its schema bounds the payee to 60 characters.
            p if p == payment_due() => json!({"customer_id": id, "account_id": id, "payment_id": id,
                "payee": text.chars().take(60).collect::<String>(), "amount": big, "balance": big,
                "due_at": "2026-09-30T23:59:00Z", "method": "card"}),
            other => panic!("{other}"),
        };
        detail(kind, v)
    }

    /// The SMS of `kinds` with worst-case values (producer text from `texts`), in every
    /// language, that take more than [`MAX_SMS_SEGMENTS`]; and how full the fullest one is (%).
    fn worst_case_sms_over(kinds: &[DetailType], texts: &[String]) -> (Vec<String>, usize) {
        let r = Renderer::new();
        let long_url = format!("https://example.com/{}", "a".repeat(2000));
        let short_url = "https://bank.example/r/ABC123";
        let locales = locales_of_every_language(&["en-US", "es-MX", "fr-CA", "de-CH"]);
        let (mut worst, mut over) = (0, Vec::new());
        for &kind in kinds {
            for text in texts {
                let id = text.chars().take(crate::types::MAX_ID_LEN).collect::<String>();
                for url in [long_url.as_str(), short_url] {
                    let d = worst_case(kind, text, &id, url);
                    for &locale in &locales {
                        let m = render_with(&r, &d, Channel::Sms, locale, Some(text));
                        assert_eq!(m.language, Lang::of(locale).as_str(), "{kind} {locale}");
                        let s = sms::segments(&m.body);
                        if s.segments > MAX_SMS_SEGMENTS {
                            over.push(format!("{kind} {locale}: {} units: {}", s.units, m.body));
                        }
                        assert_eq!(m.sms, Some(s));
                        worst = worst.max(s.units * 100 / if s.encoding == sms::Encoding::Gsm7 { 306 } else { 134 });
                    }
                }
            }
        }
        (over, worst)
    }

    #[test]
    fn every_sms_stays_within_two_segments_with_worst_case_values() {
        let kinds: Vec<DetailType> = notifying().into_iter().filter(|&k| k != payment_due()).collect();
        let (over, worst) = worst_case_sms_over(&kinds, &worst_texts());
        assert!(over.is_empty(), "over {MAX_SMS_SEGMENTS} parts:\n{}", over.join("\n"));
        assert!(worst > 50, "the worst cases should come near the limit ({worst}%)");
        // PaymentDue's SMS has no compact form: it fits with the largest values GSM-7 carries
        // (the ignored test below shows where it does not).
        let gsm7: Vec<String> = worst_texts()
            .into_iter()
            .filter(|t| sms::segments(t).encoding == sms::Encoding::Gsm7)
            .collect();
        assert_eq!(gsm7.len(), 2);
        let (over, worst) = worst_case_sms_over(&[payment_due()], &gsm7);
        assert!(over.is_empty(), "over {MAX_SMS_SEGMENTS} parts:\n{}", over.join("\n"));
        assert!(worst > 50, "the worst cases should come near the limit ({worst}%)");
    }

    #[test]
    fn payment_due_sms_stay_within_two_segments_with_ucs2_worst_case_values() {
        let (over, _) = worst_case_sms_over(&[payment_due()], &worst_texts());
        assert!(over.is_empty(), "over {MAX_SMS_SEGMENTS} parts:\n{}", over.join("\n"));
    }

    #[test]
    fn worst_case_sms_still_carry_what_matters() {
        let r = Renderer::new();
        let text = "🙂".repeat(crate::types::MAX_TEXT_LEN);
        let d = worst_case(DetailType::SuspiciousTransaction, &text, "ES", "https://x.example/y");
        let m = render_with(&r, &d, Channel::Sms, "pt-PT", None);
        assert!(m.body.ends_with("Foi você? Responda SIM ou NÃO."), "{}", m.body);
        assert!(spaced(&m.body).contains("999 999 999 999 999,99 €"), "{}", m.body);
        for &lang in Lang::all() {
            let m = render_with(&r, &d, Channel::Sms, lang.tag(), None);
            assert!(m.body.ends_with(fraud_ask(lang)), "{lang:?}: {}", m.body);
            assert!(m.body.contains("999"), "{lang:?}: {}", m.body);
        }
        let d = worst_case(DetailType::ApplicationIncomplete, &text, "x", "https://x.example/y");
        let m = render_with(&r, &d, Channel::Sms, "en", None);
        assert!(m.body.contains("https://x.example/y"), "{}", m.body);
    }

    #[test]
    fn the_renderer_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Renderer>();
        let r = Renderer::new();
        std::thread::scope(|s| {
            for locale in ["en", "pt-PT", "pt-BR", "en-GB", "es-ES", "fr-FR", "de-DE"] {
                let r = &r;
                s.spawn(move || {
                    for kind in notifying() {
                        render_with(r, &typical(kind), Channel::Sms, locale, None);
                    }
                });
            }
        });
    }

    #[test]
    fn every_template_compiles_and_every_pair_renders() {
        assert_eq!(
            template_name(
                "SuspiciousTransaction",
                Lang::from_tag("pt-PT").unwrap(),
                Part::EmailHtml
            ),
            "SuspiciousTransaction/pt-PT/email.html"
        );
        assert!(template_source(catalog(), "SuspiciousTransaction/pt-PT/email.html").is_some());
        assert!(template_source(catalog(), "SuspiciousTransaction/xx/email.html").is_none());
        for kind in notifying() {
            for channel in CHANNELS {
                for &lang in Lang::all() {
                    let m = render(&typical(kind), channel, lang.tag());
                    assert!(!m.body.trim().is_empty(), "{kind} {channel} {lang:?}");
                }
            }
        }
    }

    #[test]
    fn links_and_numbers_in_producer_text_are_replaced_on_every_channel_in_the_customers_language() {
        let mut fraud = fraud_json();
        fraud["merchant"]["name"] = json!("Call +1 800 555 0100 to cancel");
        fraud["merchant"]["city"] = json!("evil.example/refund");
        let mut payment = low_balance_json();
        payment["upcoming_payment"]["payee"] = json!("www.pay.example");
        let mut application = application_json();
        application["product"] = json!("Loan 0800 123 4567");
        application["missing_items"] = json!(["send it to id@evil.example"]);
        let mut due = payment_due_json();
        due["payee"] = json!("Call 0800 123 4567 now");
        let cases = [
            (DetailType::SuspiciousTransaction, fraud),
            (DetailType::LowBalance, payment),
            (DetailType::ApplicationIncomplete, application),
            (payment_due(), due),
        ];
        for (kind, v) in cases {
            let d = detail(kind, v);
            for channel in CHANNELS {
                for &lang in Lang::all() {
                    let (locale, words) = (lang.tag(), Placeholders::of(lang));
                    let m = render(&d, channel, locale);
                    assert_eq!(m.language, lang.as_str(), "{kind} {channel} {locale}");
                    let text = all_text(&m);
                    // Email has room for the placeholder; SMS may cut it out whole to fit.
                    let shown = text.contains(words.link) || text.contains(words.number);
                    assert!(shown || channel == Channel::Sms, "{kind} {channel} {locale}: {text}");
                    let whole = |i: usize| [words.link, words.number].iter().any(|p| text[i..].starts_with(p));
                    assert!(
                        text.match_indices('[').all(|(i, _)| whole(i)),
                        "cut placeholder: {text}"
                    );
                    for bad in ["555 0100", "evil.example", "www.", "123 4567"] {
                        assert!(!text.contains(bad), "{kind} {channel} {locale}: {bad} in {text}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_producers_own_links_are_not_neutralised() {
        let d = typical(DetailType::ApplicationIncomplete);
        let email = render(&d, Channel::Email, "en");
        assert!(
            email.body.contains("https://bank.example/apply/app-9"),
            "{}",
            email.body
        );
        let push = render(&d, Channel::Push, "en");
        assert_eq!(push.deep_link.as_deref(), Some("https://bank.example/apply/app-9"));
    }

    /// A template's logic: its tags (`if x`, `else`, `endif`, `for`…) in order, each with the
    /// values shown (`{{ x }}`) up to the next tag, sorted: a translation may move words and
    /// values within a stretch, not change what is shown when.
    fn shape(source: &str) -> Vec<(String, Vec<String>)> {
        let mut shape = vec![(String::new(), Vec::new())];
        let mut rest = source;
        while let Some(i) = [rest.find("{{"), rest.find("{%"), rest.find("{#")]
            .into_iter()
            .flatten()
            .min()
        {
            let (value, close) = match &rest[i..i + 2] {
                "{{" => (true, "}}"),
                "{%" => (false, "%}"),
                _ => panic!("no comments in templates: {source}"),
            };
            let len = rest[i..]
                .find(close)
                .unwrap_or_else(|| panic!("unclosed {close}: {source}"));
            let inner = rest[i + 2..i + len].split_whitespace().collect::<Vec<_>>().join(" ");
            match value {
                true => shape.last_mut().unwrap().1.push(inner),
                false => shape.push((inner, Vec::new())),
            }
            rest = &rest[i + len + 2..];
        }
        for (_, values) in &mut shape {
            values.sort();
        }
        shape
    }

    #[test]
    fn every_language_shows_the_same_values_under_the_same_conditions_as_english() {
        assert_eq!(
            shape("A {{ a }}{% if b and not compact %} B {{b}} {{ a }}{% endif %}."),
            [
                (String::new(), vec!["a".to_owned()]),
                ("if b and not compact".to_owned(), vec!["a".to_owned(), "b".to_owned()]),
                ("endif".to_owned(), vec![]),
            ]
        );
        let mut kinds = 0;
        for kind in catalog().kinds().iter().filter(|k| k.notifies()) {
            kinds += 1;
            let templates = &kind.def.templates;
            let tags: Vec<&str> = templates.keys().map(String::as_str).collect();
            let mut want: Vec<&str> = Lang::all().iter().map(|l| l.tag()).collect();
            want.sort();
            assert_eq!(tags, want, "{}: one template set per language", kind.file);
            let en = &templates["en"];
            for (tag, t) in templates {
                let parts = [
                    ("sms", &t.sms, &en.sms),
                    ("push", &t.push, &en.push),
                    ("email", &t.email, &en.email),
                    ("html", &t.html, &en.html),
                ];
                for (part, source, english) in parts {
                    assert_eq!(shape(source), shape(english), "{} {tag} {part}", kind.file);
                }
            }
        }
        assert!(kinds >= 5, "{kinds} notifying kinds");
    }

    #[test]
    fn the_email_html_declares_its_language() {
        for kind in notifying() {
            for &lang in Lang::all() {
                let html = render(&typical(kind), Channel::Email, lang.tag()).html.unwrap();
                // The European Portuguese templates were written with the bare `pt`.
                let declared = match lang.tag() {
                    "pt-PT" => html.contains("<html lang=\"pt\">") || html.contains("<html lang=\"pt-PT\">"),
                    other => html.contains(&format!("<html lang=\"{other}\">")),
                };
                assert!(declared, "{kind} {lang:?}: {html}");
            }
        }
    }

    /// The built-in kind files without their words in any language but English: what a customer
    /// whose language had no templates would get.
    fn english_only_catalog() -> &'static Catalog {
        static ENGLISH: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
        ENGLISH.get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog/kinds");
            let mut files = Vec::new();
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|x| x != "toml") {
                    continue;
                }
                // Drop every `[templates."<tag>"]` table but English's: up to the next table
                // header outside a multi-line string.
                let (mut kept, mut in_string, mut dropping) = (String::new(), false, false);
                for line in std::fs::read_to_string(&path).unwrap().lines() {
                    if !in_string && line.starts_with('[') {
                        dropping = line.starts_with("[templates.") && line != "[templates.\"en\"]";
                    }
                    in_string ^= line.matches("'''").count() % 2 == 1;
                    if !dropping {
                        kept.push_str(line);
                        kept.push('\n');
                    }
                }
                files.push((path.file_name().unwrap().to_string_lossy().into_owned(), kept));
            }
            let c = Catalog::parse(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).unwrap();
            for kind in c.kinds().iter().filter(|k| k.notifies()) {
                assert_eq!(kind.def.templates.keys().collect::<Vec<_>>(), ["en"], "{}", kind.file);
            }
            c
        })
    }

    /// The words of a message that hold a digit (amounts, dates, times, card, flight, links),
    /// without the punctuation around them; of the HTML part, its text without markup.
    fn figures(m: &Message) -> std::collections::BTreeSet<String> {
        let html = m.html.as_deref().unwrap_or_default();
        let html_text: String = html
            .split('<')
            .map(|s| s.split_once('>').map_or(s, |(_, t)| t))
            .collect::<Vec<_>>()
            .join(" ");
        let parts = [
            m.subject.as_deref(),
            m.title.as_deref(),
            Some(m.body.as_str()),
            Some(html_text.as_str()),
        ];
        let words = parts.into_iter().flatten().flat_map(str::split_whitespace);
        words
            .map(|w| w.trim_matches(|c: char| ".,;:()".contains(c)))
            .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_locale_without_templates_is_written_in_the_best_language_and_the_reason_says_which() {
        let kind = catalog().kind("LowBalance").unwrap();
        let reason = |locale: &str| language_reason(kind, locale);
        assert_eq!(
            reason("nl-NL").as_deref(),
            Some("written in en with en-NL numbers and dates: no templates for nl-NL")
        );
        assert_eq!(
            reason("pt-AO").as_deref(),
            Some("written in pt-PT with pt-AO numbers and dates: no templates for pt-AO")
        );
        assert_eq!(
            reason("it-IT").as_deref(),
            Some("written in en with en-IT numbers and dates: no templates for it-IT")
        );
        for own in ["de-AT", "de-DE", "pt-BR", "pt-PT", "en-GB", "es-MX", "fr-CA", "en"] {
            assert_eq!(reason(own), None, "{own} has its language's templates");
        }
        let m = render(&typical(DetailType::LowBalance), Channel::Sms, "nl-NL");
        assert_eq!(m.language, "en", "the reason tells what render does");
        assert_eq!(
            render(&typical(DetailType::LowBalance), Channel::Sms, "pt-AO").language,
            "pt-PT"
        );
    }

    #[test]
    fn customers_with_german_spanish_and_french_locales_get_their_own_language() {
        let own = Renderer::new();
        let english = Renderer::for_catalog(english_only_catalog());
        let cases = [
            ("de-DE", Lang::from_tag("de").unwrap()),
            ("es-ES", Lang::from_tag("es").unwrap()),
            ("fr-FR", Lang::from_tag("fr").unwrap()),
            ("pt-BR", Lang::from_tag("pt-BR").unwrap()),
        ];
        let parts = |m: &Message| [m.subject.clone(), m.title.clone(), Some(m.body.clone()), m.html.clone()];
        for kind in notifying() {
            let d = typical(kind);
            for channel in CHANNELS {
                for (locale, lang) in cases {
                    let at = format!("{kind} {channel} {locale}");
                    let m = render_with(&own, &d, channel, locale, Some("Ana"));
                    assert_eq!(m.language, lang.as_str(), "{at}");
                    // The English words the same customer would otherwise get: the same
                    // locale's numbers and dates, so only the words differ.
                    let en = render_with(&english, &d, channel, locale, Some("Ana"));
                    assert_eq!(en.language, "en", "{at}");
                    for (ours, theirs) in parts(&m).into_iter().zip(parts(&en)) {
                        assert_eq!(ours.is_some(), theirs.is_some(), "{at}");
                        if let (Some(ours), Some(theirs)) = (ours, theirs) {
                            assert_ne!(ours, theirs, "{at}: still the English words");
                        }
                    }
                    // The same facts, written the same way, and the same message otherwise. A
                    // UCS-2 SMS (Portuguese) may leave out the details English has room for.
                    let (ours, theirs) = (figures(&m), figures(&en));
                    match channel {
                        Channel::Sms => assert!(ours.is_subset(&theirs), "{at}: {}", m.body),
                        _ => assert_eq!(ours, theirs, "{at}"),
                    }
                    assert_eq!(
                        (m.ttl, &m.deep_link, m.expects_reply),
                        (en.ttl, &en.deep_link, en.expects_reply),
                        "{at}"
                    );
                    if let Some(s) = m.sms {
                        assert!(s.segments <= MAX_SMS_SEGMENTS, "{at}: {}", m.body);
                    }
                }
            }
        }
    }

    #[test]
    fn the_fraud_sms_reads_as_expected_in_brazilian_portuguese_spanish_french_and_german() {
        let d = typical(DetailType::SuspiciousTransaction);
        let cases = [
            (
                "pt-BR",
                "Example Bank: € 249,90 em Electro Shop, Madrid com o cartão final 4242 em 22 de nov., 07:58. \
                 Foi você? Responda SIM ou NÃO.",
                sms::Encoding::Ucs2,
                2,
            ),
            (
                "es-ES",
                "Example Bank: 249,90 € en Electro Shop, Madrid con la tarjeta terminada en 4242 el 22 nov, 07:58. \
                 ¿Ha sido usted? Responda SÍ o NO.",
                sms::Encoding::Ucs2,
                2,
            ),
            (
                "fr-FR",
                "Example Bank: 249,90 € chez Electro Shop, Madrid avec la carte finissant par 4242 le 22 nov., 07:58. \
                 Est-ce vous ? Répondez OUI ou NON.",
                sms::Encoding::Gsm7,
                1,
            ),
            (
                "de-DE",
                "Example Bank: 249,90 € bei Electro Shop, Madrid mit Karte endend auf 4242 am 22. Nov., 07:58. \
                 Waren Sie das? Antworten Sie JA oder NEIN.",
                sms::Encoding::Gsm7,
                1,
            ),
        ];
        for (locale, want, encoding, segments) in cases {
            let m = render(&d, Channel::Sms, locale);
            let s = m.sms.unwrap();
            assert_eq!(spaced(&m.body), want, "{locale}");
            assert_eq!((s.encoding, s.segments), (encoding, segments), "{locale}: {}", m.body);
        }
    }
}
