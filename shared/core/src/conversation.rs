//! Two-way SMS: reading an inbound reply (answers, STOP, HELP) and the short localized texts
//! forewarn answers with.

use serde::Serialize;

use crate::customer::PhoneNumber;
use crate::error::EventError;

/// What an inbound SMS says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Yes,
    No,
    /// An opt-out keyword: stop SMS.
    Stop,
    /// An opt-in keyword (START, UNSTOP…): SMS again.
    Start,
    Help,
    Other,
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Yes => "yes",
            Intent::No => "no",
            Intent::Stop => "stop",
            Intent::Start => "start",
            Intent::Help => "help",
            Intent::Other => "other",
        }
    }
}

/// The opt-out keywords AWS End User Messaging SMS requires, then Portuguese and Spanish ones.
pub const STOP_WORDS: [&str; 18] = [
    "arret",
    "arrêt",
    "cancel",
    "end",
    "opt-out",
    "optout",
    "opt out",
    "quit",
    "remove",
    "stop",
    "td",
    "unsubscribe",
    "parar",
    "pare",
    "sair",
    "cancelar",
    "baja",
    "alto",
];
/// Opt-in keywords: AWS's START and UNSTOP, Portuguese/Spanish INICIAR and Spanish ALTA.
pub const START_WORDS: [&str; 4] = ["start", "unstop", "iniciar", "alta"];
/// Help keywords in English, Portuguese and Spanish.
pub const HELP_WORDS: [&str; 3] = ["help", "ajuda", "ayuda"];

/// Longest accepted answer, in bytes, once trimmed ("unsubscribe"); longer bodies are not read further.
const MAX_ANSWER_BYTES: usize = 16;
/// Highest question number an answer can pick ("YES 2").
pub const MAX_CHOICE: u8 = 99;

/// What an inbound SMS says, and which listed question it picks ("YES 2" picks the second).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub intent: Intent,
    pub choice: Option<u8>,
}

/// Reads an answer: YES / Y / SIM / SÍ / SI and NO / N / NÃO / NAO, each optionally followed by
/// a question number ("YES 2", "sim #1", "no2"); the opt-out keywords ([`STOP_WORDS`], ALTO);
/// the opt-in keywords ([`START_WORDS`]); HELP / AJUDA / AYUDA. Any case, ignoring surrounding
/// whitespace, punctuation and symbols. Anything else, extra words included ("yes it was
/// me"), is `Other`.
pub fn parse_reply(body: &str) -> Reply {
    let other = Reply {
        intent: Intent::Other,
        choice: None,
    };
    let word = body.trim_matches(|c: char| !c.is_alphanumeric());
    if word.len() > MAX_ANSWER_BYTES {
        return other;
    }
    // Phones may send accents decomposed (NFD): "na\u{303}o" composes to "não".
    let word = icu::normalizer::ComposingNormalizerBorrowed::new_nfc()
        .normalize(word)
        .to_lowercase();
    let intent = |w: &str| match w {
        "yes" | "y" | "sim" | "sí" | "si" => Intent::Yes,
        "no" | "n" | "não" | "nao" => Intent::No,
        w if STOP_WORDS.contains(&w) => Intent::Stop,
        w if START_WORDS.contains(&w) => Intent::Start,
        w if HELP_WORDS.contains(&w) => Intent::Help,
        _ => Intent::Other,
    };
    match intent(&word) {
        Intent::Other => {}
        found => {
            return Reply {
                intent: found,
                choice: None,
            };
        }
    }
    // "yes 2", "sim #1", "no-2", "no2": an answer, then the number of a listed question.
    let number = word.trim_start_matches(|c: char| !c.is_ascii_digit());
    let head = word
        .strip_suffix(number)
        .unwrap_or_default()
        .trim_end_matches(|c: char| c.is_whitespace() || "#-.:".contains(c));
    let choice = number
        .parse::<u8>()
        .ok()
        .filter(|n| (1..=MAX_CHOICE).contains(n) && !number.starts_with('0'));
    match (intent(head), choice) {
        (answer @ (Intent::Yes | Intent::No), Some(n)) => Reply {
            intent: answer,
            choice: Some(n),
        },
        _ => other,
    }
}

/// What an inbound SMS says ([`parse_reply`] without the question number).
pub fn parse_intent(body: &str) -> Intent {
    parse_reply(body).intent
}

/// Longest body kept, in characters (ten concatenated segments).
const MAX_BODY_CHARS: usize = 1600;
/// Longest message id accepted, in characters.
const MAX_ID_CHARS: usize = 200;

/// The first `max` characters of `s`.
fn first_chars(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).and_then(|(i, _)| s.get(..i)).unwrap_or(s)
}

/// An inbound SMS as AWS End User Messaging publishes it to SNS.
#[derive(Clone, Debug, PartialEq)]
pub struct InboundSms {
    /// `originationNumber`: the customer.
    pub from: PhoneNumber,
    /// `destinationNumber`: our number, as given.
    pub to: String,
    /// `messageBody`, at most 1,600 characters.
    pub body: String,
    pub inbound_message_id: String,
    /// The id of our message this answers, when End User Messaging knows it.
    pub previous_published_message_id: Option<String>,
    pub intent: Intent,
    /// The listed question a numbered answer picks ("YES 2" → 2).
    pub choice: Option<u8>,
}

/// Parses the SNS `Message` JSON of an inbound SMS; an error names the faulty field (`$` for the whole message).
pub fn parse_inbound_sms(json: &str) -> Result<InboundSms, EventError> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| EventError::new("$", format!("not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(EventError::new("$", "an inbound SMS must be a JSON object"));
    }
    let text = |k: &str| -> Result<Option<&str>, EventError> {
        match v.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(EventError::new(k, "must be a string")),
        }
    };
    let required = |k: &str| -> Result<&str, EventError> {
        text(k)?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| EventError::new(k, "missing"))
    };
    // Any well-formed number: the carrier knows it is real even where the metadata does not.
    let from = PhoneNumber::parse_inbound(required("originationNumber")?)
        .map_err(|_| EventError::new("originationNumber", "not a phone number in E.164 form"))?;
    let to = required("destinationNumber")?.to_owned();
    let body = text("messageBody")?.ok_or_else(|| EventError::new("messageBody", "missing"))?;
    let id = required("inboundMessageId")?;
    if id.chars().count() > MAX_ID_CHARS {
        return Err(EventError::new("inboundMessageId", "longer than 200 characters"));
    }
    // An over-long thread id cannot be one of ours: the reply is then matched by its sender alone.
    let previous = text("previousPublishedMessageId")?
        .filter(|s| !s.trim().is_empty() && s.chars().count() <= MAX_ID_CHARS)
        .map(str::to_owned);
    let body = first_chars(body, MAX_BODY_CHARS).to_owned();
    let reply = parse_reply(&body);
    Ok(InboundSms {
        from,
        to,
        intent: reply.intent,
        choice: reply.choice,
        body,
        inbound_message_id: id.to_owned(),
        previous_published_message_id: previous,
    })
}

/// The texts forewarn answers an inbound SMS with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyText {
    Confirmed,
    Disputed,
    OptedOut,
    OptedIn,
    Help,
    NoOpenQuestion,
    Expired,
    Unrecognised,
    UnknownSender,
}

impl ReplyText {
    /// Every text, for tests and tools.
    pub const ALL: [ReplyText; 9] = [
        ReplyText::Confirmed,
        ReplyText::Disputed,
        ReplyText::OptedOut,
        ReplyText::OptedIn,
        ReplyText::Help,
        ReplyText::NoOpenQuestion,
        ReplyText::Expired,
        ReplyText::Unrecognised,
        ReplyText::UnknownSender,
    ];
}

/// A short answer in the customer's language (Portuguese for `pt*`, otherwise English).
pub fn reply_text(locale: &str, text: ReplyText) -> &'static str {
    let pt = locale.to_ascii_lowercase().starts_with("pt");
    match (text, pt) {
        (ReplyText::Confirmed, false) => "Thank you. The transaction stays approved; there is nothing more to do.",
        (ReplyText::Confirmed, true) => "Obrigado. A transação fica aprovada; não precisa de fazer mais nada.",
        (ReplyText::Disputed, false) => {
            "Thank you. We have blocked your card and disputed the transaction; we will contact you. We never ask for codes."
        }
        (ReplyText::Disputed, true) => {
            "Obrigado. Bloqueámos o cartão e contestámos a transação; vamos contactá-lo. Nunca pedimos códigos."
        }
        (ReplyText::OptedOut, false) => "You will get no more SMS from us. Reply HELP for help.",
        (ReplyText::OptedOut, true) => "Não voltará a receber SMS nossos. Responda AJUDA para obter ajuda.",
        (ReplyText::OptedIn, false) => "You will get SMS from us again. Reply STOP to stop them.",
        (ReplyText::OptedIn, true) => "Voltará a receber SMS nossos. Responda PARAR para deixar de os receber.",
        (ReplyText::Help, false) => {
            "Security alerts from your bank. Reply YES or NO to a security question, STOP to stop SMS."
        }
        (ReplyText::Help, true) => {
            "Alertas de segurança do seu banco. Responda SIM ou NÃO a uma pergunta de segurança, PARAR para deixar de receber SMS."
        }
        (ReplyText::NoOpenQuestion, false) => {
            "There is no open question to answer on this number; it may have been answered already."
        }
        (ReplyText::NoOpenQuestion, true) => {
            "Não há nenhuma pergunta por responder neste número; pode já ter sido respondida."
        }
        (ReplyText::Expired, false) => {
            "This question has expired. If you don't recognise a transaction, call the number on your card."
        }
        (ReplyText::Expired, true) => {
            "Esta pergunta expirou. Se não reconhece uma transação, ligue para o número no seu cartão."
        }
        (ReplyText::Unrecognised, false) => "Sorry, we didn't understand. Please reply YES or NO.",
        (ReplyText::Unrecognised, true) => "Desculpe, não percebemos. Responda SIM ou NÃO.",
        (ReplyText::UnknownSender, false) => "Sorry, we couldn't match this number to an account.",
        (ReplyText::UnknownSender, true) => "Lamentamos, não encontrámos uma conta com este número.",
    }
}

/// Longest answer listing open questions: two concatenated SMS segments.
const MAX_WHICH_SEGMENTS: usize = 2;
/// Most questions one listing names.
const MAX_LISTED: usize = 9;

/// The answer to a bare YES while several questions are open: which one? Each `(number,
/// label)` is named ("YES 1 for Shop 12.00 EUR"); labels are shortened, then left out, to
/// keep the text within two SMS segments. A bare NO disputes them all, and the text says so.
pub fn which_text(locale: &str, listed: &[(u8, String)]) -> String {
    let pt = locale.to_ascii_lowercase().starts_with("pt");
    let (yes, for_, intro, outro) = if pt {
        (
            "SIM",
            "para",
            "Tem várias perguntas abertas. Responda",
            "ou NÃO para contestar todas.",
        )
    } else {
        (
            "YES",
            "for",
            "You have several open questions. Reply",
            "or NO to dispute them all.",
        )
    };
    let listed = &listed[..listed.len().min(MAX_LISTED)];
    let build = |max: usize| {
        let items: Vec<String> = listed
            .iter()
            .map(|(n, label)| {
                let label = first_chars(label.trim(), max).trim_end();
                if label.is_empty() {
                    format!("{yes} {n}")
                } else {
                    format!("{yes} {n} {for_} {label}")
                }
            })
            .collect();
        format!("{intro} {}, {outro}", items.join(", "))
    };
    [40, 24, 16, 10, 6, 0]
        .into_iter()
        .map(build)
        .find(|t| crate::messages::sms::segments(t).segments <= MAX_WHICH_SEGMENTS)
        .unwrap_or_else(|| build(0))
}

/// What starts an escalation reminder: "Reminder: " or "Lembrete: ".
pub fn reminder_prefix(locale: &str) -> &'static str {
    if locale.to_ascii_lowercase().starts_with("pt") {
        "Lembrete: "
    } else {
        "Reminder: "
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// Every form `parse_intent` accepts, with its intent.
    const ACCEPTED: [(&str, Intent); 16] = [
        ("yes", Intent::Yes),
        ("y", Intent::Yes),
        ("sim", Intent::Yes),
        ("sí", Intent::Yes),
        ("si", Intent::Yes),
        ("no", Intent::No),
        ("n", Intent::No),
        ("não", Intent::No),
        ("nao", Intent::No),
        ("stop", Intent::Stop),
        ("unsubscribe", Intent::Stop),
        ("parar", Intent::Stop),
        ("pare", Intent::Stop),
        ("help", Intent::Help),
        ("ajuda", Intent::Help),
        ("ayuda", Intent::Help),
    ];

    /// Every answer form and every keyword, with its intent.
    fn accepted() -> Vec<(&'static str, Intent)> {
        let mut all = ACCEPTED.to_vec();
        all.extend(keywords());
        all
    }

    #[test]
    fn every_accepted_form_is_read_in_any_case_with_punctuation_around() {
        let cases = [
            ("yes", Intent::Yes),
            (" YES! ", Intent::Yes),
            ("Y", Intent::Yes),
            ("sim.", Intent::Yes),
            ("Sí", Intent::Yes),
            ("SI", Intent::Yes),
            ("¡sí!", Intent::Yes),
            ("\"yes\" 👍", Intent::Yes),
            ("si\u{301}", Intent::Yes),
            ("não", Intent::No),
            ("NÃO", Intent::No),
            ("NAO", Intent::No),
            ("na\u{303}o", Intent::No),
            ("n", Intent::No),
            ("no!!!", Intent::No),
            ("Stop", Intent::Stop),
            ("unsubscribe", Intent::Stop),
            ("PARAR", Intent::Stop),
            ("Pare.", Intent::Stop),
            ("help?", Intent::Help),
            ("ajuda", Intent::Help),
            ("¿AYUDA?", Intent::Help),
        ];
        for (body, want) in cases {
            assert_eq!(parse_intent(body), want, "{body:?}");
        }
    }

    #[test]
    fn anything_but_a_lone_answer_is_other() {
        for body in [
            "yes it was me",
            "",
            "   ",
            "yess",
            "🙂",
            "y.e.s",
            "no way",
            "stopall",
            "sim não",
            "yes 0",
            "yes 01",
            "yes 100",
            "yes 1 2",
            "1 yes",
            "stop 1",
            "help 2",
            "y2k",
            "start now",
        ] {
            assert_eq!(
                parse_reply(body),
                Reply {
                    intent: Intent::Other,
                    choice: None
                },
                "{body:?}"
            );
        }
    }

    /// Every keyword, each with its intent.
    fn keywords() -> Vec<(&'static str, Intent)> {
        let mut all: Vec<(&str, Intent)> = STOP_WORDS.iter().map(|w| (*w, Intent::Stop)).collect();
        all.extend(START_WORDS.iter().map(|w| (*w, Intent::Start)));
        all.extend(HELP_WORDS.iter().map(|w| (*w, Intent::Help)));
        all
    }

    #[test]
    fn every_opt_out_opt_in_and_help_keyword_is_read_in_any_case_with_punctuation_around() {
        let required = [
            "ARRET",
            "CANCEL",
            "END",
            "OPT-OUT",
            "OPTOUT",
            "QUIT",
            "REMOVE",
            "STOP",
            "TD",
            "UNSUBSCRIBE",
        ];
        let iberian = ["PARAR", "PARE", "SAIR", "CANCELAR", "BAJA", "ALTO"];
        for word in required.iter().chain(&iberian) {
            assert!(
                STOP_WORDS.contains(&word.to_lowercase().as_str()),
                "{word} is not an opt-out keyword"
            );
        }
        for word in ["START", "UNSTOP"] {
            assert!(START_WORDS.contains(&word.to_lowercase().as_str()), "{word}");
        }
        let upper_first = |w: &str| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        };
        for (word, want) in keywords() {
            let variants = [
                word.to_owned(),
                word.to_uppercase(),
                upper_first(word),
                format!("  {}.  ", word.to_uppercase()),
                format!("\"{word}\""),
                format!("{}!!", upper_first(word)),
                format!("\n{word}?\t"),
                format!("*{}*", word.to_uppercase()),
            ];
            for body in variants {
                assert_eq!(
                    parse_reply(&body),
                    Reply {
                        intent: want,
                        choice: None
                    },
                    "{body:?}"
                );
            }
        }
        assert_eq!(parse_intent("Arrêt"), Intent::Stop);
        assert_eq!(parse_intent("Opt Out"), Intent::Stop);
    }

    #[test]
    fn a_numbered_answer_picks_a_listed_question() {
        let cases = [
            ("YES 1", Intent::Yes, 1),
            ("yes1", Intent::Yes, 1),
            ("Yes #2", Intent::Yes, 2),
            ("sim 2", Intent::Yes, 2),
            ("SÍ 3.", Intent::Yes, 3),
            ("y-4", Intent::Yes, 4),
            ("NO 2", Intent::No, 2),
            ("não 1", Intent::No, 1),
            (" No: 12! ", Intent::No, 12),
            ("n 99", Intent::No, 99),
        ];
        for (body, intent, n) in cases {
            assert_eq!(
                parse_reply(body),
                Reply {
                    intent,
                    choice: Some(n)
                },
                "{body:?}"
            );
            assert_eq!(parse_intent(body), intent, "{body:?}");
        }
        assert_eq!(parse_reply("yes").choice, None);
    }

    #[test]
    fn the_question_listing_names_each_merchant_within_two_segments_and_parses_back() {
        let listed = vec![
            (1, "Shop 12.00 EUR".to_owned()),
            (2, "Café Lisboa 99.00 EUR".to_owned()),
        ];
        let en = which_text("en-GB", &listed);
        assert_eq!(
            en,
            "You have several open questions. Reply YES 1 for Shop 12.00 EUR, YES 2 for Café Lisboa 99.00 EUR, \
             or NO to dispute them all."
        );
        let pt = which_text("pt-PT", &listed);
        assert!(pt.contains("SIM 1 para Shop 12.00 EUR, SIM 2 para Café"), "{pt}");
        for text in [&en, &pt] {
            for pick in ["YES 1", "YES 2", "SIM 1", "SIM 2"]
                .into_iter()
                .filter(|p| text.contains(p))
            {
                assert_eq!(parse_reply(pick).choice, Some(pick.as_bytes()[4] - b'0'));
            }
        }
        let long: Vec<(u8, String)> = (1..=12)
            .map(|n| (n, format!("Mercado Ünïcode Ltd №{n} 1234.56 EUR")))
            .collect();
        for locale in ["en", "pt"] {
            for few in [2, 4, 12] {
                let t = which_text(locale, &long[..few]);
                assert!(crate::messages::sms::segments(&t).segments <= 2, "{few} {locale}: {t}");
                assert!(t.contains(if locale == "en" { "YES 2" } else { "SIM 2" }), "{t}");
            }
        }
    }

    #[test]
    fn intents_are_named_in_snake_case() {
        for (intent, name) in [
            (Intent::Yes, "yes"),
            (Intent::No, "no"),
            (Intent::Stop, "stop"),
            (Intent::Start, "start"),
            (Intent::Help, "help"),
            (Intent::Other, "other"),
        ] {
            assert_eq!(intent.as_str(), name);
            assert_eq!(serde_json::to_value(intent).unwrap(), json!(name));
        }
    }

    fn message() -> Value {
        json!({"originationNumber": "+351912345678", "destinationNumber": "+18005550100",
            "messageKeyword": "KEYWORD_123456789012", "messageBody": "Yes",
            "inboundMessageId": "cae173d2-66b9-564c-8309-21f858e9fb84",
            "previousPublishedMessageId": "wJ0APMVa-8oa9fFl8XwNTpVVzCI"})
    }

    fn with(field: &str, value: Value) -> String {
        let mut m = message();
        m[field] = value;
        m.to_string()
    }

    fn without(field: &str) -> String {
        let mut m = message();
        m.as_object_mut().map(|o| o.remove(field));
        m.to_string()
    }

    #[test]
    fn an_inbound_sms_is_read_with_its_thread_and_intent() {
        let sms = parse_inbound_sms(&message().to_string()).unwrap();
        assert_eq!(sms.from.e164(), "+351912345678");
        assert_eq!(sms.to, "+18005550100");
        assert_eq!(sms.body, "Yes");
        assert_eq!(sms.intent, Intent::Yes);
        assert_eq!(sms.inbound_message_id, "cae173d2-66b9-564c-8309-21f858e9fb84");
        assert_eq!(
            sms.previous_published_message_id.as_deref(),
            Some("wJ0APMVa-8oa9fFl8XwNTpVVzCI")
        );
    }

    #[test]
    fn an_empty_or_absent_thread_id_is_none() {
        for json in [
            with("previousPublishedMessageId", json!("")),
            with("previousPublishedMessageId", Value::Null),
            without("previousPublishedMessageId"),
        ] {
            assert_eq!(
                parse_inbound_sms(&json).unwrap().previous_published_message_id,
                None,
                "{json}"
            );
        }
    }

    #[test]
    fn an_empty_body_is_other_and_a_long_one_is_cut_to_1600_characters() {
        let sms = parse_inbound_sms(&with("messageBody", json!(""))).unwrap();
        assert_eq!((sms.body.as_str(), sms.intent), ("", Intent::Other));
        let sms = parse_inbound_sms(&with("messageBody", json!("é".repeat(2000)))).unwrap();
        assert_eq!(sms.body, "é".repeat(1600));
    }

    #[test]
    fn a_faulty_inbound_sms_names_the_field() {
        let cases = [
            (without("originationNumber"), "originationNumber", "missing"),
            (
                with("originationNumber", json!("912345678")),
                "originationNumber",
                "not a phone number in E.164 form",
            ),
            (
                with("originationNumber", json!("+12")),
                "originationNumber",
                "not a phone number in E.164 form",
            ),
            (
                with("originationNumber", json!(351912345678u64)),
                "originationNumber",
                "must be a string",
            ),
            (without("destinationNumber"), "destinationNumber", "missing"),
            (with("destinationNumber", json!("")), "destinationNumber", "missing"),
            (without("messageBody"), "messageBody", "missing"),
            (with("messageBody", Value::Null), "messageBody", "missing"),
            (with("messageBody", json!(5)), "messageBody", "must be a string"),
            (without("inboundMessageId"), "inboundMessageId", "missing"),
            (with("inboundMessageId", json!("")), "inboundMessageId", "missing"),
            (
                with("inboundMessageId", json!("x".repeat(201))),
                "inboundMessageId",
                "longer than 200 characters",
            ),
            ("[1]".to_owned(), "$", "an inbound SMS must be a JSON object"),
            ("\"yes\"".to_owned(), "$", "an inbound SMS must be a JSON object"),
        ];
        for (json, path, reason) in cases {
            let err = parse_inbound_sms(&json).unwrap_err();
            assert_eq!((err.path.as_str(), err.reason.as_str()), (path, reason), "{json}");
        }
        let err = parse_inbound_sms("{").unwrap_err();
        assert_eq!(err.path, "$");
        assert!(err.reason.starts_with("not valid JSON"), "{}", err.reason);
    }

    /// GSM 03.38 basic character set: each counts as one of an SMS's 160.
    const GSM7: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
        ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    #[test]
    fn every_text_is_one_short_sms_in_both_languages() {
        for t in ReplyText::ALL {
            let en = reply_text("en", t);
            assert!(!en.is_empty() && en.chars().count() <= 160, "{t:?}: {en}");
            assert!(en.chars().all(|c| GSM7.contains(c)), "{t:?} is not GSM-7: {en}");
            let pt = reply_text("pt", t);
            assert!(!pt.is_empty() && pt.chars().count() <= 160, "{t:?}: {pt}");
        }
    }

    #[test]
    fn any_pt_locale_is_portuguese_and_the_rest_english() {
        for t in ReplyText::ALL {
            for locale in ["pt", "pt-PT", "pt-BR", "pt_BR", "PT-br"] {
                assert_eq!(reply_text(locale, t), reply_text("pt", t), "{locale}");
            }
            for locale in ["en", "en-GB", "es", "", "fr-PT"] {
                assert_eq!(reply_text(locale, t), reply_text("en", t), "{locale}");
            }
            assert_ne!(reply_text("pt-BR", t), reply_text("en", t));
        }
        assert_eq!(reminder_prefix("pt-BR"), "Lembrete: ");
        assert_eq!(reminder_prefix("en-US"), "Reminder: ");
        assert_eq!(reminder_prefix(""), "Reminder: ");
    }

    #[test]
    fn every_keyword_a_text_mentions_is_understood() {
        let asks_for = |text: &str| -> Vec<String> {
            text.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= 2 && w.chars().all(char::is_uppercase) && *w != "SMS")
                .map(str::to_owned)
                .collect()
        };
        let mut seen = Vec::new();
        for t in ReplyText::ALL {
            for locale in ["en", "pt"] {
                for word in asks_for(reply_text(locale, t)) {
                    assert_ne!(parse_intent(&word), Intent::Other, "{t:?} {locale}: {word}");
                    seen.push(word);
                }
            }
        }
        for word in ["YES", "NO", "STOP", "HELP", "SIM", "NÃO", "AJUDA"] {
            assert!(seen.iter().any(|w| w == word), "no text asks for {word}");
        }
    }

    /// Case changed character by character.
    fn recase(word: &str, upper: &[bool]) -> String {
        word.chars()
            .zip(upper.iter().chain(std::iter::repeat(&false)))
            .map(|(c, up)| {
                if *up {
                    c.to_uppercase().collect::<String>()
                } else {
                    c.to_string()
                }
            })
            .collect()
    }

    /// Whitespace, punctuation and symbols, ASCII or not.
    const NOISE: &str = "[\\s\\p{P}\\p{S}&&[^\\p{Alphabetic}\\p{N}]]{0,4}";

    proptest! {
        #[test]
        fn any_text_is_read_without_panicking(s in any::<String>()) {
            let _ = parse_intent(&s);
            let _ = parse_inbound_sms(&s);
        }

        #[test]
        fn any_json_ish_message_is_parsed_without_panicking(
            fields in prop::collection::vec(
                (
                    prop::sample::select(vec!["originationNumber", "destinationNumber", "messageBody",
                        "inboundMessageId", "previousPublishedMessageId", "x"]),
                    prop_oneof![
                        any::<String>().prop_map(Value::from),
                        "\\+[0-9]{0,16}".prop_map(Value::from),
                        any::<i64>().prop_map(Value::from),
                        Just(Value::Null),
                        Just(json!([])),
                        Just(json!({})),
                    ],
                ),
                0..8,
            ),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut m = message();
            for (k, v) in fields {
                m[k] = v;
            }
            let json = m.to_string();
            let _ = parse_inbound_sms(&json);
            let at = cut.index(json.len() + 1);
            if let Some(prefix) = json.get(..at) {
                let _ = parse_inbound_sms(prefix);
            }
        }

        #[test]
        fn noise_around_an_accepted_form_keeps_its_intent(
            (word, want) in prop::sample::select(accepted()), before in NOISE, after in NOISE,
        ) {
            prop_assert_eq!(parse_intent(&format!("{before}{word}{after}")), want);
        }

        #[test]
        fn case_changes_keep_an_accepted_forms_intent(
            (word, want) in prop::sample::select(accepted()), upper in prop::collection::vec(any::<bool>(), 11),
        ) {
            prop_assert_eq!(parse_intent(&recase(word, &upper)), want);
        }
    }
}
