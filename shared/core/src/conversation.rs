//! Two-way SMS: reading an inbound reply (answers, STOP, HELP) and the localized texts forewarn answers with.

mod keywords;
mod texts;

use serde::Serialize;

pub use self::keywords::{Keywords, MAX_KEYWORD_BYTES, PROVIDER_START_WORDS, PROVIDER_STOP_WORDS, normalise};
pub use self::texts::{
    REPLIES_TOML, ReplyText, check_replies, install_replies, keywords, reminder_prefix, reply_sms, reply_text,
    which_text,
};
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

/// Longest accepted answer, in bytes, once trimmed ("unsubscribe"); longer bodies are not read further.
const MAX_ANSWER_BYTES: usize = MAX_KEYWORD_BYTES;
/// Highest question number an answer can pick ("YES 2").
pub const MAX_CHOICE: u8 = 99;

/// What an inbound SMS says, and which listed question it picks ("YES 2" picks the second).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub intent: Intent,
    pub choice: Option<u8>,
}

/// Reads an answer with the keywords of this process's catalog ([`keywords`]): yes and no
/// (YES / SIM / SÍ / OUI / JA…, NO / NÃO / NON / NEIN…), each optionally followed by a question
/// number ("YES 2", "sim #1", "no2"); the opt-out, opt-in and help keywords (the provider's
/// STOP, START… and each language's PARAR, HILFE…). Any case, ignoring surrounding whitespace,
/// punctuation and symbols. Anything else, extra words included ("yes it was me"), is `Other`.
pub fn parse_reply(body: &str) -> Reply {
    parse_reply_with(keywords(), body)
}

/// [`parse_reply`] with `keywords`.
pub fn parse_reply_with(keywords: &Keywords, body: &str) -> Reply {
    let other = Reply {
        intent: Intent::Other,
        choice: None,
    };
    // Phones may send accents decomposed (NFD): "na\u{303}o" composes to "não", and "si\u{300}"
    // to "sì" before the trim, which would take a trailing combining accent for punctuation.
    let composed = normalise(first_chars(body, MAX_BODY_CHARS));
    let word = composed.trim_matches(|c: char| !c.is_alphanumeric());
    if word.len() > MAX_ANSWER_BYTES {
        return other;
    }
    let intent = |w: &str| keywords.intent(w);
    match intent(word) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::format::Lang;
    use proptest::prelude::*;

    /// The keywords of the built-in catalog that mean `i`.
    fn words(i: Intent) -> Vec<&'static str> {
        super::keywords().words(i)
    }
    use serde_json::{Value, json};

    /// Every form `parse_intent` accepts, with its intent.
    const ACCEPTED: [(&str, Intent); 20] = [
        ("yes", Intent::Yes),
        ("y", Intent::Yes),
        ("sim", Intent::Yes),
        ("sí", Intent::Yes),
        ("si", Intent::Yes),
        ("oui", Intent::Yes),
        ("ja", Intent::Yes),
        ("no", Intent::No),
        ("n", Intent::No),
        ("não", Intent::No),
        ("nao", Intent::No),
        ("non", Intent::No),
        ("nein", Intent::No),
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
            ("Oui", Intent::Yes),
            ("JA!", Intent::Yes),
            ("non.", Intent::No),
            ("NEIN", Intent::No),
            ("STOPP", Intent::Stop),
            ("Aide ?", Intent::Help),
            ("hilfe", Intent::Help),
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
            "ja nein",
            "oui non",
            "non merci",
            "jaa",
            "stop stopp",
            "ja 0",
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

    /// Every yes and no word and every keyword, each with its intent.
    fn all_words() -> Vec<(&'static str, Intent)> {
        let mut all: Vec<(&str, Intent)> = words(Intent::Yes).iter().map(|w| (*w, Intent::Yes)).collect();
        all.extend(words(Intent::No).iter().map(|w| (*w, Intent::No)));
        all.extend(keywords());
        all
    }

    #[test]
    fn no_word_has_two_intents_and_each_is_read_as_its_own() {
        let all = all_words();
        for (i, (word, want)) in all.iter().enumerate() {
            assert_eq!(parse_intent(word), *want, "{word}");
            assert!(all[i + 1..].iter().all(|(w, _)| w != word), "{word} is listed twice");
        }
    }

    /// Every keyword, each with its intent.
    fn keywords() -> Vec<(&'static str, Intent)> {
        let mut all: Vec<(&str, Intent)> = words(Intent::Stop).iter().map(|w| (*w, Intent::Stop)).collect();
        all.extend(words(Intent::Start).iter().map(|w| (*w, Intent::Start)));
        all.extend(words(Intent::Help).iter().map(|w| (*w, Intent::Help)));
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
                words(Intent::Stop).contains(&word.to_lowercase().as_str()),
                "{word} is not an opt-out keyword"
            );
        }
        for (words, want) in [
            (&["OUI", "JA", "SÍ", "SIM"][..], &words(Intent::Yes)[..]),
            (&["NON", "NEIN", "NÃO"], &words(Intent::No)[..]),
            (&["STOPP", "ARRET", "BAJA"], &words(Intent::Stop)[..]),
            (&["AIDE", "HILFE", "AYUDA"], &words(Intent::Help)[..]),
        ] {
            for word in words {
                assert!(want.contains(&word.to_lowercase().as_str()), "{word}");
            }
        }
        for word in ["START", "UNSTOP"] {
            assert!(words(Intent::Start).contains(&word.to_lowercase().as_str()), "{word}");
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
            ("OUI 2", Intent::Yes, 2),
            ("ja 1", Intent::Yes, 1),
            ("Non #3", Intent::No, 3),
            ("NEIN 2", Intent::No, 2),
            ("SÍ 2", Intent::Yes, 2),
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

    /// Each language's locale and the answer its listing asks for.
    const YES_BY_LANGUAGE: [(&str, &str); 6] = [
        ("en", "YES"),
        ("pt-PT", "SIM"),
        ("pt-BR", "SIM"),
        ("es", "SÍ"),
        ("fr", "OUI"),
        ("de", "JA"),
    ];

    #[test]
    fn the_question_listing_names_each_merchant_within_two_segments_and_parses_back() {
        let listed = vec![
            (1, "Shop 12.00 EUR".to_owned()),
            (2, "Café Lisboa 99.00 EUR".to_owned()),
        ];
        let en = which_text("en-GB", &listed);
        assert_eq!(
            en,
            "Example Bank: You have several open questions. Reply YES 1 for Shop 12.00 EUR, YES 2 for Café Lisboa 99.00 EUR, \
             or NO to dispute them all."
        );
        let pt = which_text("pt-PT", &listed);
        assert!(pt.contains("SIM 1 para Shop 12.00 EUR, SIM 2 para Café"), "{pt}");
        let de = which_text("de-DE", &listed);
        assert!(
            de.contains("JA 1 für Shop 12.00 EUR, JA 2 für Café Lisboa 99.00 EUR, oder NEIN"),
            "{de}"
        );
        for (locale, yes) in YES_BY_LANGUAGE {
            let text = which_text(locale, &listed);
            for n in [1, 2] {
                let pick = format!("{yes} {n}");
                assert!(text.contains(&pick), "{locale}: {text}");
                assert_eq!(
                    parse_reply(&pick),
                    Reply {
                        intent: Intent::Yes,
                        choice: Some(n)
                    },
                    "{pick}"
                );
            }
        }
    }

    #[test]
    fn the_question_listing_stays_within_two_segments_in_every_language() {
        let long: Vec<(u8, String)> = (1..=12)
            .map(|n| (n, format!("Mercado Ünïcode Ltd №{n} 1234.56 EUR")))
            .collect();
        let plain: Vec<(u8, String)> = (1..=12).map(|n| (n, format!("Supermarket {n} 1234.56 EUR"))).collect();
        for (locale, yes) in YES_BY_LANGUAGE {
            for labels in [&long, &plain] {
                for few in [2, 4, 9, 12] {
                    let t = which_text(locale, &labels[..few]);
                    assert!(crate::messages::sms::segments(&t).segments <= 2, "{few} {locale}: {t}");
                    assert!(t.contains(&format!("{yes} 2")), "{t}");
                    assert!(t.contains(&format!("{yes} {}", few.min(9))), "{t}");
                }
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
    fn every_text_is_one_short_sms_in_every_language() {
        for &lang in Lang::all() {
            for t in ReplyText::ALL {
                let text = reply_text(lang.tag(), t);
                assert!(!text.trim().is_empty(), "{lang:?} {t:?} is empty");
                assert!(text.chars().count() <= 160, "{lang:?} {t:?}: {text}");
                let sms = crate::messages::sms::segments(text);
                assert!(sms.segments <= 3, "{lang:?} {t:?}: {sms:?}");
                if lang == Lang::EN {
                    assert!(text.chars().all(|c| GSM7.contains(c)), "{t:?} is not GSM-7: {text}");
                    assert_eq!(sms.segments, 1, "{t:?}: {text}");
                }
            }
        }
    }

    #[test]
    fn every_language_has_every_text_in_its_own_words() {
        for t in ReplyText::ALL {
            let texts: Vec<&str> = Lang::all().iter().map(|l| reply_text(l.tag(), t)).collect();
            for (i, text) in texts.iter().enumerate() {
                assert!(!text.trim().is_empty(), "{:?} {t:?} is empty", Lang::all()[i]);
                assert!(
                    texts[i + 1..].iter().all(|other| other != text),
                    "{:?} {t:?} repeats another language: {text}",
                    Lang::all()[i]
                );
            }
        }
        for &lang in Lang::all() {
            assert!(reminder_prefix(lang.tag()).ends_with(' '), "{lang:?}");
        }
    }

    #[test]
    fn brazilian_portuguese_differs_from_european_portuguese_where_the_languages_differ() {
        for t in ReplyText::ALL {
            assert_ne!(reply_text("pt-BR", t), reply_text("pt-PT", t), "{t:?}");
        }
        let br = ReplyText::ALL.map(|t| reply_text("pt-BR", t)).join(" ");
        let pt = ReplyText::ALL.map(|t| reply_text("pt-PT", t)).join(" ");
        for brazilian in [
            "transação",
            "cartão",
            "Registramos",
            "equipe",
            "Responda",
            "você",
            "Você",
        ] {
            assert!(br.contains(brazilian), "pt-BR lacks {brazilian}");
        }
        for european in ["equipa", "Registámos", "Passámos", "encontrámos", "percebemos"] {
            assert!(pt.contains(european), "pt-PT lacks {european}");
            assert!(!br.contains(european), "pt-BR says {european}");
        }
        assert_ne!(which_text("pt-BR", &[]), which_text("pt-PT", &[]));
        assert_eq!(reminder_prefix("pt-BR"), reminder_prefix("pt-PT"));
    }

    #[test]
    fn each_locale_picks_its_language_and_any_other_is_english() {
        let cases = [
            ("de-DE", Lang::from_tag("de").unwrap()),
            ("de-AT", Lang::from_tag("de").unwrap()),
            ("de", Lang::from_tag("de").unwrap()),
            ("es-MX", Lang::from_tag("es").unwrap()),
            ("es-ES", Lang::from_tag("es").unwrap()),
            ("es", Lang::from_tag("es").unwrap()),
            ("fr-CA", Lang::from_tag("fr").unwrap()),
            ("fr-PT", Lang::from_tag("fr").unwrap()),
            ("fr", Lang::from_tag("fr").unwrap()),
            ("pt-BR", Lang::from_tag("pt-BR").unwrap()),
            ("pt_BR", Lang::from_tag("pt-BR").unwrap()),
            ("PT-br", Lang::from_tag("pt-BR").unwrap()),
            ("pt", Lang::from_tag("pt-PT").unwrap()),
            ("pt-PT", Lang::from_tag("pt-PT").unwrap()),
            ("pt-AO", Lang::from_tag("pt-PT").unwrap()),
            ("en", Lang::EN),
            ("en-GB", Lang::EN),
            ("nl-NL", Lang::EN),
            ("it", Lang::EN),
            ("", Lang::EN),
            ("not a locale!", Lang::EN),
        ];
        for (locale, lang) in cases {
            for t in ReplyText::ALL {
                assert_eq!(reply_text(locale, t), reply_text(lang.tag(), t), "{locale} {t:?}");
            }
            assert_eq!(reminder_prefix(locale), reminder_prefix(lang.tag()), "{locale}");
        }
        assert!(reply_text("de-DE", ReplyText::Help).contains("Antworten Sie JA oder NEIN"));
        assert!(reply_text("es-MX", ReplyText::Unrecognised).contains("Responda SÍ o NO"));
        assert!(reply_text("fr-CA", ReplyText::Help).contains("Répondez OUI ou NON"));
        assert!(reply_text("pt-BR", ReplyText::Disputed).contains("equipe de fraudes"));
        assert_eq!(
            reply_text("sv-SE", ReplyText::Confirmed),
            "Thank you. We have recorded that this was you and passed your answer to our team."
        );
        let prefixes = [
            ("en-US", "Reminder: "),
            ("", "Reminder: "),
            ("pt-PT", "Lembrete: "),
            ("pt-BR", "Lembrete: "),
            ("es-MX", "Recordatorio: "),
            ("fr-CA", "Rappel : "),
            ("de-DE", "Erinnerung: "),
        ];
        for (locale, prefix) in prefixes {
            assert_eq!(reminder_prefix(locale), prefix, "{locale}");
        }
    }

    #[test]
    fn the_texts_address_the_customer_formally() {
        let all = |locale: &str| format!(" {} ", ReplyText::ALL.map(|t| reply_text(locale, t)).join(" "));
        let (fr, de, es) = (all("fr"), all("de"), all("es"));
        assert!(fr.contains(" vous ") && fr.contains(" votre "), "{fr}");
        assert!(de.contains(" Sie ") && de.contains(" Ihre "), "{de}");
        assert!(es.contains(" usted") && es.contains(" su "), "{es}");
        for informal in [" tu ", " ton ", " ta ", " te "] {
            assert!(!fr.contains(informal), "fr: {informal}");
        }
        for informal in [" du ", " dich ", " dir ", " dein", " Du "] {
            assert!(!de.contains(informal), "de: {informal}");
        }
        for informal in [" tú ", " tu ", " te ", " ti "] {
            assert!(!es.contains(informal), "es: {informal}");
        }
    }

    #[test]
    fn every_keyword_a_text_mentions_is_understood() {
        let asks_for = |text: &str| -> Vec<String> {
            text.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= 2 && w.chars().all(char::is_uppercase) && *w != "SMS")
                .map(str::to_owned)
                .collect()
        };
        let intents = |text: &str| asks_for(text).iter().map(|w| parse_intent(w)).collect::<Vec<_>>();
        let mut seen = Vec::new();
        for &lang in Lang::all() {
            let locale = lang.tag();
            let listing = which_text(locale, &[(1, "Shop".to_owned()), (2, "Café".to_owned())]);
            let texts = ReplyText::ALL.map(|t| reply_text(locale, t));
            for text in texts.into_iter().chain([listing.as_str()]) {
                for word in asks_for(text) {
                    assert_ne!(parse_intent(&word), Intent::Other, "{locale}: {word} in {text}");
                    seen.push(word);
                }
            }
            let asks = |t: ReplyText, want: &[Intent]| {
                let found = intents(reply_text(locale, t));
                assert!(
                    want.iter().all(|i| found.contains(i)),
                    "{locale} {t:?} asks for {found:?}"
                );
            };
            asks(ReplyText::Help, &[Intent::Yes, Intent::No, Intent::Stop]);
            asks(ReplyText::Unrecognised, &[Intent::Yes, Intent::No]);
            asks(ReplyText::OptedOut, &[Intent::Help]);
            asks(ReplyText::OptedIn, &[Intent::Stop]);
            assert_eq!(intents(&listing), [Intent::Yes, Intent::Yes, Intent::No], "{listing}");
        }
        let expected = [
            "YES", "NO", "STOP", "HELP", "SIM", "NÃO", "AJUDA", "PARAR", "SÍ", "BAJA", "AYUDA", "OUI", "NON", "ARRET",
            "AIDE", "JA", "NEIN", "STOPP", "HILFE",
        ];
        for word in expected {
            assert!(seen.iter().any(|w| w == word), "no text asks for {word}");
        }
    }

    #[test]
    fn the_catalog_has_no_problems() {
        assert_eq!(check_replies(REPLIES_TOML), Vec::<String>::new());
    }

    /// The catalog with the first `from` after the table `header` replaced by `to`.
    fn edited(header: &str, from: &str, to: &str) -> String {
        let at = REPLIES_TOML.find(&format!("\n{header}\n")).expect(header);
        let (head, tail) = REPLIES_TOML.split_at(at);
        assert!(tail.contains(from), "{header} has no {from}");
        format!("{head}{}", tail.replacen(from, to, 1))
    }

    #[test]
    fn a_broken_catalog_is_reported_naming_the_language_and_key() {
        let (en, pt) = (
            REPLIES_TOML.find("\n[en]\n").unwrap(),
            REPLIES_TOML.find("\n[\"pt-PT\"]\n").unwrap(),
        );
        let without_english = format!("{}{}", &REPLIES_TOML[..en], &REPLIES_TOML[pt..]);
        assert_eq!(
            check_replies(&without_english),
            ["`en`: missing: English is what a locale without templates reads"]
        );
        let cases = [
            (
                edited("[de]", "\nhelp = ", "\nhilfe_text = "),
                vec!["`de.help`: missing", "`de.hilfe_text`: unknown key"],
            ),
            (
                edited(
                    "[es]",
                    "expired = \"",
                    &format!("expired = \"{}", "Atención. ".repeat(7)),
                ),
                vec!["`es.expired`: 170 characters, more than 160"],
            ),
            (
                edited("[en]", "Please reply YES or NO.", "Please reply “YES” or “NO”."),
                vec![
                    "`en.unrecognised`: an English text must be one GSM-7 SMS segment after the longest bank name, \
                     not 2 UCS-2 segment(s)",
                ],
            ),
            (
                edited("[fr]", "Répondez AIDE", "Répondez AIDEZ"),
                vec!["`fr.opted_out`: asks the customer to send AIDEZ"],
            ),
            (
                edited("[\"pt-BR\"]", "which_yes = \"SIM\"", "which_yes = \" \""),
                vec!["`pt-BR.which_yes`: empty"],
            ),
            (
                edited("[\"pt-PT\"]", "ou NÃO para", "ou NAN para"),
                vec![
                    "`pt-PT.which_outro`: asks the customer to send NAN",
                    "`pt-PT.which_outro`: must offer",
                ],
            ),
            (
                edited("[de]", "which_yes = \"JA\"", "which_yes = \"JAWOHL\""),
                vec!["`de.which_yes`: JAWOHL is not read as yes"],
            ),
            (
                format!("{REPLIES_TOML}\n[it]\nhelp = \"Aiuto\"\n"),
                vec!["`it.confirmed`: missing", "`it.reminder_prefix`: missing"],
            ),
            (
                format!("{REPLIES_TOML}\n[it_IT]\nhelp = \"Aiuto\"\n"),
                vec!["`it_IT`: not a BCP 47 language tag"],
            ),
            (
                edited("[de.keywords]", "help = [\"HILFE\"]", "help = [\"HILFE\", \"NEIN\"]"),
                vec!["`de.keywords.help`: NEIN already means no (`de.keywords.no`)"],
            ),
            (
                edited("[fr.keywords]", "stop = [\"ARRÊT\"]", "stop = [\"STOP\", \"START\"]"),
                vec!["`fr.keywords.stop`: START already means start (the SMS provider)"],
            ),
            (
                edited("[de.keywords]", "yes = [\"JA\"]", "yes = \"JA\""),
                vec!["`de.keywords`: invalid type"],
            ),
            (
                edited("[es]", "\"Recordatorio: \"", "\"Recordatorio:\""),
                vec!["`es.reminder_prefix`: must end with a space"],
            ),
            (
                edited(
                    "[fr]",
                    "which_intro = \"",
                    &format!("which_intro = \"{}", "Vraiment ".repeat(40)),
                ),
                vec!["`fr.which_intro`, `fr.which_outro`: listing nine questions takes 4 SMS segments, more than 2"],
            ),
            (
                edited("[de]", "unknown_sender = \"", "unknown_sender = 5\nx = \""),
                vec!["`de.unknown_sender`: must be a string"],
            ),
            (
                format!("nl = 1\n[x]\nhelp = \"\"\n{REPLIES_TOML}"),
                vec!["`nl`: must be a table of texts", "`x`: not a BCP 47 language tag"],
            ),
        ];
        for (text, wants) in cases {
            let problems = check_replies(&text);
            for want in wants {
                assert!(
                    problems.iter().any(|p| p.starts_with(want)),
                    "{want} is not in {problems:#?}"
                );
            }
        }
        assert!(check_replies("[en\n")[0].starts_with("not valid TOML"));
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
