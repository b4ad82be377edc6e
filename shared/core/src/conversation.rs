//! Two-way SMS: reading an inbound reply (answers, STOP, HELP) and the short localized texts
//! forewarn answers with.

use serde::Serialize;

use crate::customer::PhoneNumber;
use crate::events::EventError;
use crate::types::truncate;

/// What an inbound SMS says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Yes,
    No,
    Stop,
    Help,
    Other,
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Yes => "yes",
            Intent::No => "no",
            Intent::Stop => "stop",
            Intent::Help => "help",
            Intent::Other => "other",
        }
    }
}

/// Reads an answer in English, Portuguese or Spanish, in any case, ignoring surrounding
/// whitespace, punctuation and symbols; anything else, extra words included, is `Other`.
pub fn parse_intent(body: &str) -> Intent {
    let word = body.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    match word.as_str() {
        "yes" | "y" | "sim" | "sí" | "si" => Intent::Yes,
        "no" | "n" | "não" | "nao" => Intent::No,
        "stop" | "unsubscribe" | "parar" | "pare" => Intent::Stop,
        "help" | "ajuda" | "ayuda" => Intent::Help,
        _ => Intent::Other,
    }
}

/// Longest body kept (ten concatenated segments).
const MAX_BODY_CHARS: usize = 1600;

/// An inbound SMS as AWS End User Messaging publishes it to SNS.
#[derive(Clone, Debug, PartialEq)]
pub struct InboundSms {
    pub from: PhoneNumber,
    pub to: String,
    pub body: String,
    pub inbound_message_id: String,
    pub previous_published_message_id: Option<String>,
    pub intent: Intent,
}

/// Parses the SNS `Message` JSON of an inbound SMS, naming the field of the first fault.
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
    let from = PhoneNumber::parse(required("originationNumber")?)
        .map_err(|_| EventError::new("originationNumber", "not a phone number in E.164 form"))?;
    let to = required("destinationNumber")?.to_owned();
    let body = text("messageBody")?.ok_or_else(|| EventError::new("messageBody", "missing"))?;
    let id = required("inboundMessageId")?;
    if id.chars().count() > 200 {
        return Err(EventError::new("inboundMessageId", "longer than 200 characters"));
    }
    let previous = text("previousPublishedMessageId")?
        .filter(|s| !s.trim().is_empty())
        .map(|s| truncate(s, 200).into_owned());
    let body = truncate(body, MAX_BODY_CHARS).into_owned();
    Ok(InboundSms {
        from,
        to,
        intent: parse_intent(&body),
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
    Help,
    NoOpenQuestion,
    Expired,
    Unrecognised,
    UnknownSender,
}

impl ReplyText {
    pub const ALL: [ReplyText; 8] = [
        ReplyText::Confirmed,
        ReplyText::Disputed,
        ReplyText::OptedOut,
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

/// What starts an escalation reminder.
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
    use serde_json::json;

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
            ("não", Intent::No),
            ("NÃO", Intent::No),
            ("NAO", Intent::No),
            ("n", Intent::No),
            ("no!!!", Intent::No),
            ("Stop", Intent::Stop),
            ("unsubscribe", Intent::Stop),
            ("PARAR", Intent::Stop),
            ("help?", Intent::Help),
            ("ajuda", Intent::Help),
            ("AYUDA", Intent::Help),
            ("yes it was me", Intent::Other),
            ("", Intent::Other),
            ("   ", Intent::Other),
            ("yess", Intent::Other),
            ("🙂", Intent::Other),
            ("\"yes\" 👍", Intent::Yes),
        ];
        for (body, want) in cases {
            assert_eq!(parse_intent(body), want, "{body:?}");
        }
    }

    fn message(patch: serde_json::Value) -> String {
        let mut m = json!({"originationNumber": "+351912345678", "destinationNumber": "+18005550100",
            "messageKeyword": "KEYWORD_1", "messageBody": "Yes", "inboundMessageId": "in-1",
            "previousPublishedMessageId": "out-1"});
        for (k, v) in patch.as_object().unwrap() {
            m[k] = v.clone();
        }
        m.to_string()
    }

    #[test]
    fn an_inbound_sms_is_read_with_its_thread_and_intent() {
        let sms = parse_inbound_sms(&message(json!({}))).unwrap();
        assert_eq!(sms.from.e164(), "+351912345678");
        assert_eq!(sms.intent, Intent::Yes);
        assert_eq!(sms.previous_published_message_id.as_deref(), Some("out-1"));
        let sms = parse_inbound_sms(&message(json!({"previousPublishedMessageId": ""}))).unwrap();
        assert_eq!(sms.previous_published_message_id, None);
    }

    #[test]
    fn a_faulty_inbound_sms_names_the_field() {
        let cases = [
            (json!({"originationNumber": "12"}), "originationNumber"),
            (json!({"originationNumber": null}), "originationNumber"),
            (json!({"destinationNumber": ""}), "destinationNumber"),
            (json!({"messageBody": null}), "messageBody"),
            (json!({"messageBody": 5}), "messageBody"),
            (json!({"inboundMessageId": "x".repeat(201)}), "inboundMessageId"),
        ];
        for (patch, field) in cases {
            assert_eq!(
                parse_inbound_sms(&message(patch.clone())).unwrap_err().path,
                field,
                "{patch}"
            );
        }
        assert_eq!(parse_inbound_sms("[1]").unwrap_err().path, "$");
        assert_eq!(parse_inbound_sms("{").unwrap_err().path, "$");
    }

    #[test]
    fn every_answer_text_is_short_in_both_languages() {
        for t in ReplyText::ALL {
            for locale in ["en", "en-GB", "pt-PT", "pt-BR"] {
                let s = reply_text(locale, t);
                assert!(!s.is_empty() && s.chars().count() <= 160, "{t:?} {locale}: {s}");
            }
            assert_eq!(reply_text("pt-BR", t), reply_text("pt-PT", t));
            assert_ne!(reply_text("en", t), reply_text("pt", t));
        }
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_panicking(s in any::<String>()) {
            let _ = parse_intent(&s);
            let _ = parse_inbound_sms(&s);
        }

        #[test]
        fn surrounding_noise_and_case_keep_an_answer(
            word in prop::sample::select(vec!["yes", "y", "sim", "sí", "no", "não", "nao", "stop", "parar", "help"]),
            before in "[ .!?¡¿,;:'\"\\t-]{0,4}", after in "[ .!?,;:'\"\\t-]{0,4}", upper in any::<bool>()
        ) {
            let want = parse_intent(word);
            let w = if upper { word.to_uppercase() } else { word.to_owned() };
            prop_assert_eq!(parse_intent(&format!("{before}{w}{after}")), want);
            prop_assert_ne!(want, Intent::Other);
        }
    }
}
