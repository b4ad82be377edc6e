//! What template.yaml promises about lateness and redrives, checked against the code's own
//! constants: no function decides an event older than an hour, and a claim outlives every
//! on-failure queue's copy of its event, so a redrive is recognised as done; and every kind
//! of the catalog is routed to a function that handles it; and the README's Operations
//! section lists every `error_type` the functions can fail with, and no other; and every
//! alarm is on the dashboard and in the runbook.

use forewarn_aws::dynamo::CLAIM_RETENTION_DAYS;

fn template() -> String {
    std::fs::read_to_string(forewarn_e2e::root().join("template.yaml")).expect("read template.yaml")
}

/// The value of `key: N` under each `header` line (up to the next line indented no deeper
/// than the header), `None` where it is missing.
fn values_under(text: &str, header: &str, key: &str) -> Vec<Option<i64>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() != header {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let value = lines[i + 1..]
            .iter()
            .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
            .find_map(|l| l.trim().strip_prefix(&format!("{key}:")))
            .and_then(|v| v.trim().parse().ok());
        out.push(value);
    }
    out
}

#[test]
fn every_function_sends_events_older_than_an_hour_to_its_on_failure_queue() {
    let ages = values_under(&template(), "EventInvokeConfig:", "MaximumEventAgeInSeconds");
    assert_eq!(ages.len(), 13, "one EventInvokeConfig per function");
    for age in ages {
        assert!(age.is_some_and(|a| (60..=3600).contains(&a)), "{age:?}");
    }
}

/// `(function, detail-type)` for every rule pattern of template.yaml on the producers' sources:
/// each `detail-type: [...]` line, under the function resource it belongs to.
fn producer_routes(text: &str) -> Vec<(String, String)> {
    let mut function = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(name) = line
            .strip_prefix("  ")
            .filter(|l| !l.starts_with(' '))
            .and_then(|l| l.strip_suffix(':'))
        {
            function = name.to_owned();
        }
        if line.contains("source: [forewarn]") {
            continue;
        }
        let Some(list) = line.split("detail-type: [").nth(1).and_then(|l| l.split(']').next()) else {
            continue;
        };
        out.extend(list.split(',').map(|t| (function.clone(), t.trim().to_owned())));
    }
    out
}

#[test]
fn every_catalog_kind_is_routed_to_a_function_that_handles_it() {
    let routes = producer_routes(&template());
    let catalog = forewarn_core::catalog::catalog();
    assert!(
        catalog.kinds().len() >= 10,
        "the catalog has {} kinds",
        catalog.kinds().len()
    );
    for kind in catalog.kinds() {
        let to: Vec<&str> = routes
            .iter()
            .filter(|(_, t)| t == kind.name())
            .map(|(f, _)| f.as_str())
            .collect();
        assert_eq!(
            to.len(),
            1,
            "{} ({}) must have exactly one route; it has {to:?}",
            kind.name(),
            kind.file
        );
        if kind.notifies() {
            assert!(
                to[0] != "ResolveFunction" && to[0].ends_with("Function"),
                "{} goes to {}",
                kind.name(),
                to[0]
            );
        } else {
            assert_eq!(to[0], "ResolveFunction", "{} resolves", kind.name());
        }
    }
    for (function, t) in &routes {
        let known = forewarn_core::events::DetailType::parse(t).is_some() || t.starts_with("Email ");
        assert!(known, "{function} is routed {t}, which no catalog kind declares");
    }
}

#[test]
fn a_kind_without_a_route_is_found() {
    let text = template().replace("detail-type: [PaymentDue]", "detail-type: []");
    let routes = producer_routes(&text);
    assert!(!routes.iter().any(|(_, t)| t == "PaymentDue"));
    assert!(
        routes
            .iter()
            .any(|(f, t)| f == "LowBalanceFunction" && t == "LowBalance")
    );
}

#[test]
fn claims_outlive_every_on_failure_queue_so_a_redrive_is_known_as_done() {
    let text = template();
    let retentions: Vec<i64> = text
        .lines()
        .filter_map(|l| l.split("MessageRetentionPeriod:").nth(1))
        .map(|v| {
            v.trim()
                .trim_end_matches('}')
                .trim()
                .parse()
                .expect("a retention in seconds")
        })
        .collect();
    assert!(retentions.len() >= 9, "{retentions:?}");
    let claim_seconds = CLAIM_RETENTION_DAYS * 24 * 3600;
    for r in retentions {
        assert!(
            r < claim_seconds,
            "a queue keeps events {r} s, claims are kept {claim_seconds} s"
        );
    }
}

#[test]
fn the_template_reader_finds_a_missing_value() {
    let text = "A:\n  EventInvokeConfig:\n    MaximumRetryAttempts: 2\n  Other: 1\n  EventInvokeConfig:\n    MaximumEventAgeInSeconds: 60\n";
    assert_eq!(
        values_under(text, "EventInvokeConfig:", "MaximumEventAgeInSeconds"),
        [None, Some(60)]
    );
}

/// The dashboard's body as CloudFormation will hand it to CloudWatch, with every `${…}`
/// substitution replaced by a placeholder.
fn dashboard_body(text: &str) -> String {
    let start = text.find("DashboardBody: !Sub").expect("the dashboard");
    let body: Vec<&str> = text[start..]
        .lines()
        .skip(2)
        .take_while(|l| !l.trim_start().starts_with("- ns:"))
        .collect();
    let mut out = String::new();
    let mut rest = body.join("\n");
    while let Some(i) = rest.find("${") {
        let end = rest[i..].find('}').expect("a closed substitution") + i;
        out += &rest[..i];
        out += "X";
        rest = rest[end + 1..].to_owned();
    }
    out + &rest
}

#[test]
fn the_dashboard_is_valid_json_and_shows_every_metric_the_functions_write() {
    let text = template();
    let body: serde_json::Value = serde_json::from_str(&dashboard_body(&text)).expect("the dashboard body is JSON");
    let widgets = body["widgets"].as_array().expect("widgets");
    assert!(widgets.len() >= 8, "{}", widgets.len());
    let shown = body.to_string();
    for name in forewarn_flows::metrics::NAMES {
        let searched = format!("MetricName=\\\"{name}\\\"");
        let listed = format!("\"X\",\"{name}\"");
        assert!(
            shown.contains(&searched) || shown.contains(&listed),
            "the dashboard does not show {name}"
        );
    }
}

#[test]
fn every_alarm_on_forewarn_s_own_metrics_names_one_the_functions_write() {
    let text = template();
    let own: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("MetricName: "))
        .chain(text.split("SELECT SUM(").skip(1).filter_map(|s| s.split(')').next()))
        .filter(|m| !m.contains("AWS") && m.chars().next().is_some_and(char::is_uppercase))
        .filter(|m| {
            ![
                "Errors",
                "Throttles",
                "Url5xxCount",
                "ApproximateNumberOfMessagesVisible",
                "SMSMonthToDateSpentUSD",
            ]
            .contains(m)
        })
        .collect();
    assert!(
        own.contains(&"ScheduleLateness") && own.contains(&"Deliveries"),
        "{own:?}"
    );
    for m in own {
        assert!(
            forewarn_flows::metrics::NAMES.contains(&m),
            "an alarm watches {m}, which nothing writes"
        );
    }
}

#[test]
fn every_function_s_lease_outlasts_its_timeout_with_margin() {
    let text = template();
    let timeouts: Vec<i64> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Timeout: "))
        .map(|v| v.trim().parse().expect("a Timeout in seconds"))
        .collect();
    let declared: i64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("FOREWARN_FUNCTION_TIMEOUT_SECONDS: "))
        .expect("the functions are told their timeout")
        .trim()
        .parse()
        .unwrap();
    assert!(!timeouts.is_empty());
    assert!(
        timeouts.iter().all(|&t| t == declared),
        "a function's Timeout {timeouts:?} differs from FOREWARN_FUNCTION_TIMEOUT_SECONDS {declared}"
    );
    let lease = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("FOREWARN_CLAIM_LEASE_SECONDS: "))
        .map_or(forewarn_flows::service::CLAIM_LEASE_SECONDS, |v| {
            v.trim().parse().unwrap()
        });
    let least = declared + forewarn_aws::config::lease_margin(declared);
    assert!(lease >= least, "the lease ({lease} s) must be at least {least} s");
}

/// The logical ids of the template's resources of `kind`.
fn resources_of(text: &str, kind: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[1].trim() == format!("Type: {kind}"))
        .filter_map(|w| w[0].trim().strip_suffix(':'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_function_s_errors_and_every_on_failure_queue_are_watched_by_an_alarm() {
    let text = template();
    let alarms = &text[text.find("Type: AWS::CloudWatch::Alarm").expect("alarms")..];
    let functions = resources_of(&text, "AWS::Serverless::Function");
    let queues = resources_of(&text, "AWS::SQS::Queue");
    assert!(functions.len() >= 13 && queues.len() >= 12, "{functions:?} {queues:?}");
    for f in functions {
        assert!(
            alarms.contains(&format!("Value: !Ref {f}}}")),
            "no alarm watches {f}'s errors"
        );
    }
    for q in queues.iter().filter(|q| q.ends_with("DLQ")) {
        assert!(
            alarms.contains(&format!("Value: !GetAtt {q}.QueueName}}")),
            "no alarm watches {q}"
        );
    }
}

/// The default of a `CommaDelimitedList` parameter.
fn list_default(text: &str, parameter: &str) -> Vec<String> {
    let start = text.find(&format!("\n  {parameter}:\n")).expect("the parameter");
    let line = text[start..]
        .lines()
        .find_map(|l| l.trim().strip_prefix("Default: "))
        .expect("a default");
    line.split(',').map(|s| s.trim().to_owned()).collect()
}

#[test]
fn every_sample_a_producer_puts_has_a_source_the_default_stack_lets_through() {
    let allowed = list_default(&template(), "ProducerSources");
    let mut seen = 0;
    let mut stack = vec![forewarn_e2e::root().join("events")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("events/") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                if !path.ends_with("schemas") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for event in v.as_array().cloned().unwrap_or_else(|| vec![v]) {
                let source = event["source"].as_str().unwrap_or_default().to_owned();
                // AWS services' own sources (inbound SMS, SES) reach the stack without a rule
                // on ProducerSources.
                if source.starts_with("aws.") {
                    continue;
                }
                seen += 1;
                assert!(
                    allowed.contains(&source),
                    "{}: source {source:?} is not in ProducerSources' default {allowed:?}: PutEvents succeeds and nothing happens",
                    path.display()
                );
            }
        }
    }
    assert!(seen >= 40, "only {seen} producer samples found");
}

/// The logical ids of the template's alarms.
fn alarms(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[1].trim() == "Type: AWS::CloudWatch::Alarm")
        .filter_map(|w| w[0].trim().strip_suffix(':'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_alarm_is_on_the_dashboard_and_has_a_runbook_section() {
    let text = template();
    let found = alarms(&text);
    assert!(found.len() >= 7, "{found:?}");
    let widget = text
        .lines()
        .find(|l| l.contains("\"type\": \"alarm\""))
        .expect("the dashboard's alarm widget");
    let runbook = std::fs::read_to_string(forewarn_e2e::root().join("docs/RUNBOOK.md")).expect("docs/RUNBOOK.md");
    for alarm in &found {
        assert!(
            widget.contains(&format!("${{{alarm}.Arn}}")),
            "{alarm} is not on the dashboard"
        );
        assert!(
            runbook.lines().any(|l| l == format!("## {alarm}")),
            "docs/RUNBOOK.md has no section for {alarm}"
        );
    }
}

/// The `forewarn.<what>.<retry>` names in backticks within `text`.
fn error_types_named(text: &str) -> std::collections::BTreeSet<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| {
            let parts: Vec<&str> = t.split('.').collect();
            parts.len() == 3
                && parts[0] == "forewarn"
                && ["Retryable", "NonRetryable"].contains(&parts[2])
                && parts[1].chars().all(|c| c.is_ascii_alphanumeric())
        })
        .map(str::to_owned)
        .collect()
}

/// The README's section on operations: what operators alarm and act on.
fn operations_section() -> String {
    let readme = std::fs::read_to_string(forewarn_e2e::root().join("README.md")).expect("read README.md");
    let start = readme.find("## Operations").expect("an Operations section");
    let end = readme[start + 2..]
        .find("\n## ")
        .map_or(readme.len(), |i| start + 2 + i);
    readme[start..end].to_owned()
}

#[test]
fn the_operations_section_lists_every_error_type_the_functions_can_fail_with_and_no_other() {
    let code: std::collections::BTreeSet<String> = forewarn_aws::handler::error_types().into_iter().collect();
    assert!(code.contains("forewarn.dynamodb.Retryable") && code.contains("forewarn.InvalidEvent.NonRetryable"));
    let documented = error_types_named(&operations_section());
    let missing: Vec<_> = code.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&code).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "README's Operations section does not name {missing:?}; it names {stale:?}, which nothing fails with"
    );
}

#[test]
fn the_error_type_reader_finds_only_whole_error_types_in_backticks() {
    let text = "`forewarn.sns.Retryable`, `forewarn.<service>.Retryable`, forewarn.ses.Retryable, `forewarn.x.Maybe`";
    assert_eq!(
        error_types_named(text).into_iter().collect::<Vec<_>>(),
        ["forewarn.sns.Retryable"]
    );
}

/// The lines of the block that `header` (a line, trimmed) opens, up to the next line indented
/// no deeper.
fn block<'a>(text: &'a str, header: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(i) = lines.iter().position(|l| l.trim() == header) else {
        return vec![];
    };
    let indent = lines[i].len() - lines[i].trim_start().len();
    lines[i + 1..]
        .iter()
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
        .copied()
        .collect()
}

#[test]
fn the_push_feedback_topic_reaches_feedback_lets_only_sns_of_this_account_publish_and_is_an_output() {
    let text = template();
    assert!(resources_of(&text, "AWS::SNS::Topic").contains(&"PushFeedbackTopic".to_owned()));
    let feedback = block(&text, "FeedbackFunction:").join("\n");
    assert!(
        feedback.contains("Type: SNS") && feedback.contains("Topic: !Ref PushFeedbackTopic"),
        "feedback subscribes to the topic"
    );
    let policy = block(&text, "PushFeedbackTopicPolicy:").join("\n");
    for needed in [
        "Topics: [!Ref PushFeedbackTopic]",
        "Service: sns.amazonaws.com",
        "Action: sns:Publish",
        "aws:SourceAccount: !Ref AWS::AccountId",
    ] {
        assert!(policy.contains(needed), "{needed} in {policy}");
    }
    let outputs = block(&text, "Outputs:").join("\n");
    assert!(
        outputs.contains("Value: !Ref PushFeedbackTopic"),
        "an output names the topic"
    );
    for parameter in ["ApnsApplicationArn:", "FcmApplicationArn:"] {
        let p = block(&text, parameter).join("\n");
        assert!(
            p.contains("EventDeliveryFailure") && p.contains("PushFeedbackTopic"),
            "{parameter} {p}"
        );
    }
}

#[test]
fn every_function_whose_role_may_put_events_may_put_source_forewarn_past_the_bus_policy() {
    let text = template();
    let deny = block(&text, "OnlyForewarnPutsSourceForewarn:").join("\n");
    for function in resources_of(&text, "AWS::Serverless::Function") {
        let puts = block(&text, &format!("{function}:"))
            .iter()
            .any(|l| l.contains("EventBridgePutEventsPolicy"));
        let let_through = deny.contains(&format!("!GetAtt {function}Role.Arn"));
        assert!(
            !puts || let_through,
            "{function} may put events, but the bus's Deny on source forewarn stops its outcomes"
        );
    }
    assert!(
        deny.contains("!GetAtt ActivityFunctionRole.Arn"),
        "the reader finds the roles"
    );
}

/// The SES configuration sets of template.yaml, by the name each is given (`${AWS::StackName}-email-security`).
fn configuration_sets(text: &str) -> Vec<(String, String)> {
    resources_of(text, "AWS::SES::ConfigurationSet")
        .into_iter()
        .map(|r| {
            let body = block(text, &format!("{r}:")).join("\n");
            let name = body
                .split("Name: !Sub ")
                .nth(1)
                .and_then(|n| n.lines().next())
                .unwrap_or_default()
                .trim()
                .to_owned();
            (r, name)
        })
        .collect()
}

#[test]
fn every_catalog_category_has_an_email_configuration_set_with_feedback_that_the_sending_roles_may_use() {
    let text = template();
    let sets = configuration_sets(&text);
    let destinations = resources_of(&text, "AWS::SES::ConfigurationSetEventDestination");
    // The same naming rule the SES sender sends with, from the base set every function is given.
    let base = sets
        .iter()
        .find(|(r, _)| r == "EmailConfigurationSet")
        .map(|(_, n)| n.clone())
        .expect("the base configuration set");
    assert!(text.contains("FOREWARN_SES_CONFIGURATION_SET: !Ref EmailConfigurationSet"));
    let mut m = forewarn_flows::records::StoredMessage::text("x");
    let senders: Vec<&str> = text
        .split("- Sid: SesSendFromTheSenderIdentityOnly")
        .skip(1)
        .map(|s| s.split("- Sid:").next().unwrap_or_default())
        .collect();
    assert_eq!(
        senders.len(),
        3,
        "the notifier, dispatch and feedback (which fails a text over to email) roles send email"
    );
    for category in forewarn_core::catalog::catalog().categories() {
        m.traits = Some(forewarn_core::messages::Traits {
            kind: "LowBalance".into(),
            category: category.name.clone(),
            urgency: forewarn_core::kinds::Urgency::Normal,
            subject: "account:a-1".into(),
            question: false,
        });
        let want = forewarn_aws::ses::configuration_set_for(&base, &m);
        let (resource, _) = sets.iter().find(|(_, n)| *n == want).unwrap_or_else(|| {
            panic!(
                "no AWS::SES::ConfigurationSet named {want} for category {}",
                category.name.as_str()
            )
        });
        let wired = destinations.iter().any(|d| {
            let body = block(&text, &format!("{d}:")).join("\n");
            body.contains(&format!("ConfigurationSetName: !Ref {resource}\n"))
                && body.contains("MatchingEventTypes: [bounce, complaint, delivery]")
                && body.contains("event-bus/default")
        });
        assert!(
            wired,
            "{resource}: no event destination sends its feedback to the default bus"
        );
        for sender in &senders {
            assert!(
                sender.contains(&format!(":configuration-set/${{{resource}}}\n")),
                "a sending role may not use {resource}:\n{sender}"
            );
        }
    }
}

#[test]
fn every_role_that_sends_texts_may_send_through_both_sms_configuration_sets_whose_events_reach_feedback() {
    let text = template();
    let anchor = block(&text, "- &send-texts-through-end-user-messaging").join("\n");
    for set in ["sms-security", "sms-reminders"] {
        let arn = format!(":configuration-set/${{AWS::StackName}}-{set}");
        assert!(anchor.contains(&arn), "{arn} in {anchor}");
        let env = format!("!Sub ${{AWS::StackName}}-{set}");
        assert!(text.contains(&env), "the functions are told the set's name: {env}");
    }
    assert!(anchor.contains("Action: sms-voice:SendTextMessage"), "{anchor}");
    let mut senders = 0;
    for function in resources_of(&text, "AWS::Serverless::Function") {
        let role = block(&text, &format!("{function}:")).join("\n");
        let sends = role.contains("SmsToPhoneNumbers") || role.contains("*notifier-policies");
        let eum = role.contains("send-texts-through-end-user-messaging") || role.contains("*notifier-policies");
        senders += usize::from(sends);
        assert!(
            !sends || eum,
            "{function} sends texts but not through End User Messaging SMS"
        );
    }
    assert!(senders >= 4, "the reader finds the sending roles ({senders})");
    for set in ["SmsSecurityConfigurationSet:", "SmsRemindersConfigurationSet:"] {
        let b = block(&text, set).join("\n");
        assert!(
            b.contains("TopicArn: !Ref SmsEventsTopic") && b.contains("ProtectConfigurationId: !GetAtt"),
            "{set} {b}"
        );
    }
    let feedback = block(&text, "FeedbackFunction:").join("\n");
    assert!(
        feedback.contains("Topic: !Ref SmsEventsTopic"),
        "feedback subscribes to the SMS events"
    );
    let policy = block(&text, "SmsEventsTopicPolicy:").join("\n");
    assert!(policy.contains("Service: sms-voice.amazonaws.com"), "{policy}");
}
