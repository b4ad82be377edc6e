//! `forewarn simulate` end to end: the real binary on the bundled samples.

mod common;

use common::*;

use serde_json::Value;

#[test]
fn the_bare_command_prints_a_readable_timeline_of_the_samples() {
    let out = forewarn(&["simulate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "Ana (c-1001) · Europe/Lisbon · pt-PT",
        "quiet hours 22:00–08:00 until 08:00 Europe/Lisbon (Mon 23 Nov)",
        "scheduled for 08:00 Europe/Lisbon (Mon 23 Nov): usually on phone d1",
        "✗ cancelled lb-0002 (by br-0001)",
        "duplicate: event lb-0002 was already processed",
        "messages sent",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn json_output_follows_the_contract_with_one_decision_per_input_event() {
    let lines = json_lines(&["simulate", "--format", "json"]);
    let n_events: usize = std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(
            |p| match serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap() {
                Value::Array(items) => items.len(),
                _ => 1,
            },
        )
        .sum();
    let n_replies = std::fs::read_dir(format!("{}/inbound-sms", samples_dir()))
        .unwrap()
        .count();
    let replies: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "reply").collect();
    assert_eq!(replies.len(), n_replies, "one reply line per inbound SMS");
    // An answer puts TransactionConfirmed or TransactionDisputed on the bus, which is decided too.
    let answers = replies
        .iter()
        .filter(|r| ["confirmed", "disputed"].contains(&r["outcome"].as_str().unwrap()))
        .count();
    assert_eq!(
        lines.iter().filter(|l| l["kind"] == "decision").count(),
        n_events + answers
    );
    for l in &lines {
        match l["kind"].as_str().unwrap() {
            "decision" => {
                for k in [
                    "event_id",
                    "detail_type",
                    "customer_id",
                    "outcome",
                    "send_at",
                    "channels",
                    "reasons",
                ] {
                    assert!(l.get(k).is_some(), "decision without {k}: {l}");
                }
                assert!(
                    [
                        "send_now",
                        "scheduled",
                        "suppressed",
                        "rejected",
                        "resolved",
                        "recorded"
                    ]
                    .contains(&l["outcome"].as_str().unwrap()),
                    "{l}"
                );
                assert!(!l["reasons"].as_array().unwrap().is_empty(), "{l}");
                if let Some(t) = l["send_at"].as_str() {
                    assert!(t.ends_with('Z') && t.parse::<jiff::Timestamp>().is_ok(), "{l}");
                }
            }
            "delivery" => {
                for k in [
                    "event_id",
                    "customer_id",
                    "channel",
                    "device_id",
                    "sent_at",
                    "local_time",
                    "to",
                    "subject",
                    "body",
                    "expects_reply",
                ] {
                    assert!(l.get(k).is_some(), "delivery without {k}: {l}");
                }
                assert!(["sms", "push", "email"].contains(&l["channel"].as_str().unwrap()));
                assert!(
                    l["local_time"].as_str().unwrap().parse::<jiff::Zoned>().is_err(),
                    "an offset, not a zone annotation"
                );
                assert!(
                    jiff::fmt::temporal::DateTimeParser::new()
                        .parse_timestamp(l["local_time"].as_str().unwrap())
                        .is_ok(),
                    "{l}"
                );
                assert!(!l["body"].as_str().unwrap().is_empty());
            }
            "cancelled" => {
                for k in ["event_id", "customer_id", "by_event_id", "reason"] {
                    assert!(l.get(k).is_some(), "cancelled without {k}: {l}");
                }
            }
            "reply" => {
                for k in [
                    "reply_id",
                    "customer_id",
                    "from",
                    "intent",
                    "outcome",
                    "answer",
                    "reasons",
                ] {
                    assert!(l.get(k).is_some(), "reply without {k}: {l}");
                }
                assert!(l["from"].as_str().unwrap().contains("****"), "masked: {l}");
            }
            other => panic!("unknown kind {other}"),
        }
    }
}

#[test]
fn the_sample_story_plays_out_as_the_policy_says() {
    let lines = json_lines(&["simulate", "--format", "json"]);
    let d = decisions(&lines);
    let outcome = |id: &str, i: usize| d[id][i]["outcome"].as_str().unwrap().to_owned();
    assert_eq!(outcome("lb-0001", 0), "scheduled");
    assert_eq!(d["lb-0001"][0]["send_at"], "2026-11-23T08:00:00Z");
    assert_eq!(outcome("lb-0002", 0), "scheduled");
    assert_eq!(
        outcome("lb-0002", 1),
        "suppressed",
        "the redelivered event is a duplicate"
    );
    assert_eq!(outcome("st-0001", 0), "send_now");
    assert_eq!(outcome("st-0003", 0), "send_now");
    assert_eq!(d["st-0003"][0]["channels"], serde_json::json!(["email"]));
    assert_eq!(outcome("st-0004", 0), "suppressed");
    assert_eq!(outcome("lb-0003", 0), "suppressed");
    assert_eq!(
        outcome("ai-0004", 0),
        "suppressed",
        "Jon's third normal/low message in a day is capped"
    );
    let cancelled: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l["kind"] == "cancelled")
        .map(|l| (l["event_id"].as_str().unwrap(), l["by_event_id"].as_str().unwrap()))
        .collect();
    assert!(cancelled.contains(&("lb-0002", "br-0001")), "{cancelled:?}");
    assert!(cancelled.contains(&("fd-0001", "fd-0002")), "{cancelled:?}");
    assert!(cancelled.contains(&("ai-0002", "ac-0001")), "{cancelled:?}");
    let delivered: Vec<&str> = lines
        .iter()
        .filter(|l| l["kind"] == "delivery")
        .map(|l| l["event_id"].as_str().unwrap())
        .collect();
    for gone in ["lb-0002", "fd-0001", "ai-0002", "st-0004", "lb-0003"] {
        assert!(!delivered.contains(&gone), "{gone} must not be delivered");
    }
    for sent in ["lb-0001", "fd-0002", "st-0001", "st-0002", "ai-0001", "ai-0003"] {
        assert!(delivered.contains(&sent), "{sent} must be delivered");
    }
    let fraud_sms = lines
        .iter()
        .find(|l| l["kind"] == "delivery" && l["event_id"] == "st-0002" && l["channel"] == "sms")
        .unwrap();
    assert_eq!(fraud_sms["expects_reply"], true);
    assert_eq!(fraud_sms["to"], "+1********43");
}

#[test]
fn no_phone_number_or_email_address_appears_unmasked() {
    let out = forewarn(&["simulate", "--format", "json"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let customers: Value = serde_json::from_str(include_str!("../../infra/seed/customers.json")).unwrap();
    for c in customers.as_array().unwrap() {
        for k in ["phone", "email"] {
            if let Some(v) = c["contacts"][k].as_str() {
                assert!(!text.contains(v), "{v} appears unmasked");
            }
        }
    }
}

#[test]
fn a_malformed_event_is_rejected_with_its_path_and_the_run_goes_on() {
    let bad = format!("{}/../tests/fixtures/bad", env!("CARGO_MANIFEST_DIR"));
    let lines = json_lines(&[
        "simulate",
        "--format",
        "json",
        "--events",
        &bad,
        &format!("{}/low-balance.json", samples_dir()),
    ]);
    let d = decisions(&lines);
    assert_eq!(d["bad-0001"][0]["outcome"], "rejected");
    let reason = d["bad-0001"][0]["reasons"][0].as_str().unwrap();
    assert!(
        reason.contains("detail.flight.estimated_departure: not an RFC 3339 time"),
        "{reason}"
    );
    assert_eq!(d["lb-0001"][0]["outcome"], "scheduled");
}

#[test]
fn an_unreadable_file_exits_with_code_2() {
    let out = forewarn(&["simulate", "--events", "/nonexistent/events.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/events.json"));
    let out = forewarn(&["simulate", "--customers", "/nonexistent/customers.json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_samples_play_out_the_conversation_the_reminder_and_the_learned_habits() {
    let lines = json_lines(&["simulate", "--format", "json"]);
    let eve = lines
        .iter()
        .find(|l| l["kind"] == "reply" && l["reply_id"] == "in-0001")
        .expect("Eve's answer");
    assert_eq!(
        (eve["intent"].as_str(), eve["outcome"].as_str()),
        (Some("yes"), Some("confirmed"))
    );
    let reminders: Vec<&Value> = lines
        .iter()
        .filter(|l| l["kind"] == "delivery" && l["reminder"] == true)
        .collect();
    assert!(
        reminders
            .iter()
            .any(|r| r["event_id"] == "st-0006" && r["channel"] == "push" && r["sent_at"] == "2026-11-23T16:15:00Z"),
        "Greta's unanswered alert is followed by one push reminder 15 minutes later: {reminders:?}"
    );
    assert!(
        !reminders
            .iter()
            .any(|r| r["event_id"] == "st-0005" || r["event_id"] == "st-0002"),
        "answered alerts get no reminder: {reminders:?}"
    );
    let d = decisions(&lines);
    let ben = &d["ai-0014"][0];
    assert_eq!(ben["send_at"], "2026-11-23T20:00:00Z", "{ben}");
    assert!(ben["reasons"].to_string().contains("learned from 15 sessions"), "{ben}");
    let stop = lines
        .iter()
        .find(|l| l["kind"] == "reply" && l["intent"] == "stop")
        .expect("a STOP");
    assert_eq!(stop["outcome"], "opted_out");
}

#[test]
fn a_file_with_one_invalid_utf8_byte_is_rejected_alone_naming_the_file_and_offset_and_the_run_goes_on() {
    let dir = scratch("utf8");
    let sample = std::fs::read(format!("{}/low-balance.json", samples_dir())).unwrap();
    let mut broken = sample.clone();
    let at = broken.iter().position(|&b| b == b'{').unwrap() + 1;
    broken.insert(at, 0xFF);
    std::fs::write(dir.join("a-broken.json"), &broken).unwrap();
    let lines = json_lines(&[
        "simulate",
        "--format",
        "json",
        "--events",
        dir.to_str().unwrap(),
        &format!("{}/flight-delayed.json", samples_dir()),
        &format!("{}/low-balance.json", samples_dir()),
    ]);
    let rejected: Vec<&Value> = lines
        .iter()
        .filter(|l| l["kind"] == "decision" && l["outcome"] == "rejected")
        .collect();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let reason = rejected[0]["reasons"][0].as_str().unwrap();
    assert!(
        reason.contains("a-broken.json: not UTF-8: invalid byte at offset"),
        "{reason}"
    );
    assert!(reason.contains(&format!("offset {at}")), "{reason}");
    let d = decisions(&lines);
    assert_eq!(
        d["lb-0001"][0]["outcome"], "scheduled",
        "the neighbour after it is decided"
    );
    assert!(
        d.contains_key("fd-0001"),
        "the neighbour before it is decided: {:?}",
        d.keys()
    );
}

#[test]
fn an_event_with_a_repeated_key_in_an_array_file_is_rejected_alone_naming_the_key() {
    let dir = scratch("dupkey");
    let sample = std::fs::read_to_string(format!("{}/low-balance.json", samples_dir())).unwrap();
    let twice = sample.replacen("\"detail\":", "\"detail\": {},\n  \"detail\":", 1);
    assert_ne!(twice, sample);
    let second = sample.replace("lb-0001", "lb-0099");
    std::fs::write(dir.join("events.json"), format!("[{twice}, {second}]")).unwrap();
    let lines = json_lines(&["simulate", "--format", "json", "--events", dir.to_str().unwrap()]);
    let d = decisions(&lines);
    assert_eq!(d["lb-0001"][0]["outcome"], "rejected");
    let reason = d["lb-0001"][0]["reasons"][0].as_str().unwrap();
    assert!(reason.contains("detail: duplicate key `detail`"), "{reason}");
    assert_ne!(d["lb-0099"][0]["outcome"], "rejected", "{:?}", d["lb-0099"]);
}

#[test]
fn an_invalid_byte_inside_one_event_of_an_array_file_rejects_that_event_alone_with_its_offset() {
    let dir = scratch("badbyte-array");
    let sample = std::fs::read_to_string(format!("{}/low-balance.json", samples_dir())).unwrap();
    let first = sample.replace("lb-0001", "lb-0091");
    let broken = sample.replace("lb-0001", "lb-0092");
    let last = sample.replace("lb-0001", "lb-0093");
    let mut bytes = format!("[{first}, {broken}, {last}]").into_bytes();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let in_broken = text.find("lb-0092").unwrap();
    let at = in_broken + text[in_broken..].find("\"account_id\"").unwrap() + 3;
    bytes[at] = 0xff;
    std::fs::write(dir.join("events.json"), bytes).unwrap();
    let lines = json_lines(&["simulate", "--format", "json", "--events", dir.to_str().unwrap()]);
    let d = decisions(&lines);
    assert_eq!(d["lb-0092"][0]["outcome"], "rejected", "{:?}", d.keys());
    let reason = d["lb-0092"][0]["reasons"][0].as_str().unwrap();
    assert!(
        reason.contains(&format!("not UTF-8: invalid byte at offset {at}")),
        "{reason}"
    );
    assert_ne!(d["lb-0091"][0]["outcome"], "rejected", "the event before it is decided");
    assert_eq!(
        d["lb-0093"][0]["outcome"], "suppressed",
        "the event after it is decided (a repeat of lb-0091 within 24 h)"
    );
}

#[test]
fn simulating_the_samples_writes_nothing_to_stderr_even_for_a_currency_without_a_symbol() {
    // events/suspicious-transaction-email-fallback.json is in AED, which has no symbol in
    // ICU4X's en-GB data: the formatter writes its ISO code and must not log the miss.
    let out = forewarn(&["simulate", "--format", "json"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_low_balance_at_night_with_rent_due_at_dawn_reaches_the_customer_before_the_rent_by_email() {
    // events/low-balance-rent-due-at-dawn.json: Ana (Lisbon, quiet hours 22:00–08:00) is told
    // at 23:00 that her balance is low; the rent is due at 07:00, before quiet hours end.
    let lines = json_lines(&["simulate", "--format", "json"]);
    let d = decisions(&lines);
    let lb = d["lb-0007"][0];
    assert_eq!(lb["outcome"], "send_now", "{lb}");
    assert_eq!(lb["send_at"], "2026-11-24T23:00:00Z");
    assert_eq!(lb["channels"], serde_json::json!(["email"]));
    let reasons: Vec<&str> = lb["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(
            &"sent now despite quiet hours 22:00–08:00: the payment is due 07:00 Europe/Lisbon (Wed 25 Nov) \
              (`upcoming_payment.due_at`), before they end at 08:00 Europe/Lisbon (Wed 25 Nov)"
        ),
        "{reasons:?}"
    );
    let sent = lines
        .iter()
        .find(|l| l["kind"] == "delivery" && l["event_id"] == "lb-0007")
        .expect("the notice is delivered");
    assert_eq!(sent["channel"], "email");
    let at: jiff::Timestamp = sent["sent_at"].as_str().unwrap().parse().unwrap();
    assert!(
        at < "2026-11-25T07:00:00Z".parse().unwrap(),
        "sent at {at}, after the rent was due"
    );
}

#[test]
fn the_deadline_notice_for_a_customer_who_opted_out_of_email_is_stored_and_sent_as_a_passive_push() {
    let dir = scratch("passive");
    let mut customers: Vec<Value> = serde_json::from_str(include_str!("../../infra/seed/customers.json")).unwrap();
    customers.retain(|c| c["customer_id"] == "c-1001");
    customers[0]["opted_out"] = serde_json::json!(["sms", "email"]);
    let file = dir.join("customers.json");
    std::fs::write(&file, serde_json::to_string(&customers).unwrap()).unwrap();
    let sample = format!("{}/low-balance-rent-due-at-dawn.json", samples_dir());
    let lines = json_lines(&[
        "simulate",
        "--format",
        "json",
        "--customers",
        file.to_str().unwrap(),
        "--events",
        &sample,
    ]);
    let d = decisions(&lines);
    assert_eq!(d["lb-0007"][0]["channels"], serde_json::json!(["push"]), "{lines:?}");
    let sent = lines
        .iter()
        .find(|l| l["kind"] == "delivery" && l["event_id"] == "lb-0007")
        .expect("the notice is delivered");
    assert_eq!(sent["channel"], "push");
    assert_eq!(sent["intrusion"], "passive", "{sent}");
    assert_eq!(sent["sent_at"], "2026-11-24T23:00:00Z");
    let normal = json_lines(&["simulate", "--format", "json"]);
    assert!(
        normal
            .iter()
            .all(|l| l.get("intrusion").is_none() || l["event_id"] == "lb-0007"),
        "only a push that breaks quiet hours is passive"
    );
}

#[test]
fn a_redelivered_event_whose_message_went_out_shows_one_delivery_line_and_a_duplicate_decision() {
    let dir = scratch("redelivered");
    let sample = std::fs::read_to_string(format!("{}/flight-delayed-close-departure.json", samples_dir())).unwrap();
    let again = sample.replace("2026-11-23T05:10:00Z", "2026-11-23T05:11:00Z");
    assert_ne!(again, sample);
    std::fs::write(dir.join("events.json"), format!("[{sample}, {again}]")).unwrap();
    let lines = json_lines(&["simulate", "--format", "json", "--events", dir.to_str().unwrap()]);
    let d = decisions(&lines);
    assert_eq!(d["fd-0003"][0]["outcome"], "send_now");
    assert_eq!(d["fd-0003"][1]["outcome"], "suppressed", "{:?}", d["fd-0003"]);
    let deliveries: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "delivery").collect();
    assert_eq!(deliveries.len(), 1, "one message went out: {deliveries:?}");
    let out = forewarn(&["simulate", "--events", dir.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches('✉').count(), 1, "{text}");
    assert!(text.contains("1 messages sent"), "{text}");
}

#[test]
fn a_customer_created_by_context_events_is_headed_by_name_and_zone_though_erased_at_the_end() {
    // events/customer-context.json upserts c-3001, then erases them.
    let sample = format!("{}/customer-context.json", samples_dir());
    let out = forewarn(&["simulate", "--events", &sample]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Sam Example (c-3001) · Europe/London · en-GB"), "{text}");
    assert!(!text.contains("unknown customer c-3001"), "{text}");
}
