//! `forewarn capacity`: the model's month-end example in docs/SCALE.md is what the command
//! prints, a quotas file changes the answer, and a bad one is refused naming the key.

mod common;

use common::*;

fn stdout(args: &[&str]) -> String {
    let out = forewarn(args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

const START: &str = "<!-- capacity: generated -->\n";
const END: &str = "<!-- capacity end -->";

#[test]
fn the_month_end_example_in_scale_md_is_what_the_command_prints() {
    let printed = stdout(&["capacity", "--events", "2000000", "--window", "60"]);
    let path = format!("{}/../docs/SCALE.md", env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = doc.split_once(START).expect("the generated block's start");
    let (_, tail) = rest.split_once(END).expect("the generated block's end");
    let fresh = format!("{head}{START}{printed}{END}{tail}");
    if std::env::var_os("FOREWARN_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    assert!(
        doc == fresh,
        "docs/SCALE.md's example differs from `forewarn capacity --events 2000000 --window 60`; rewrite it with FOREWARN_BLESS=1"
    );
}

#[test]
fn two_million_notices_in_an_hour_need_more_sms_and_email_than_aws_gives_by_default() {
    let printed = stdout(&["capacity", "--events", "2000000", "--window", "60"]);
    assert!(
        printed.contains("the slowest stage is \"SMS: message parts\""),
        "{printed}"
    );
    assert!(
        printed.contains("- `ses_send_rate`: from 14 to at least 167 emails/s"),
        "{printed}"
    );
    assert!(printed.contains("- `sms_parts`: from 10 to at least 73"), "{printed}");
    assert!(!printed.contains("- `schedule_invocations`"), "{printed}");
}

#[test]
fn an_account_with_the_quotas_it_needs_drains_the_burst_within_the_window() {
    let dir = scratch("enough");
    let file = dir.join("quotas.toml");
    std::fs::write(&file, "[quotas]\nsms_parts = 100\nses_send_rate = 200\n").unwrap();
    let printed = stdout(&[
        "capacity",
        "--events",
        "2000000",
        "--window",
        "60",
        "--quotas",
        file.to_str().unwrap(),
    ]);
    assert!(
        printed.contains("Every stage fits the window at these quotas."),
        "{printed}"
    );
    assert!(
        printed.contains("Drains in **50 min 10 s**: the slowest stage is \"email: SES\""),
        "{printed}"
    );
}

#[test]
fn a_quotas_file_with_an_unknown_key_or_a_zero_quota_is_refused_naming_it() {
    let dir = scratch("bad");
    for (text, named) in [
        ("[quotas]\nsms_part = 100\n", "sms_part"),
        ("[quotas]\nses_send_rate = 0\n", "quotas.ses_send_rate"),
        ("[workload]\nsms_share = 0.5\n", "sms_share"),
    ] {
        let file = dir.join("quotas.toml");
        std::fs::write(&file, text).unwrap();
        let out = forewarn(&[
            "capacity",
            "--events",
            "10",
            "--window",
            "60",
            "--quotas",
            file.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(named), "{text}: {err}");
    }
    let out = forewarn(&["capacity", "--events", "10", "--window", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--window"));
}
