//! Collection outcomes through the real binary: recorded with `skiptrace outcomes`, applied by
//! the next `skiptrace rematch`, and still applied after the records are indexed again.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::util::{
    column, generous_limits, read_table, run, run_ok, status_and_json, synth_and_index, write,
    Table, TestServer,
};

/// The rows of a re-match output by account id, as column-name → value maps.
fn by_account(table: &Table) -> HashMap<String, HashMap<String, String>> {
    let account = column(table, "account_id");
    table
        .1
        .iter()
        .map(|row| {
            let values = table.0.iter().cloned().zip(row.iter().cloned()).collect();
            (row[account].clone(), values)
        })
        .collect()
}

fn phones_offered(row: &HashMap<String, String>) -> Vec<String> {
    let mut phones = vec![row["best_phone"].clone()];
    for n in 1..=3 {
        phones.push(row[&format!("phone_{n}")].clone());
    }
    phones.retain(|p| !p.is_empty());
    phones
}

#[test]
fn outcomes_rerank_and_suppress_contacts_in_the_next_rematch_and_survive_reindexing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path();
    synth_and_index(path);
    let rematch = |out: &str| {
        run_ok(
            path,
            &[
                "rematch",
                "--index",
                "idx",
                "--contacts",
                "3",
                "--unmasked",
                "--out",
                out,
                "gen/returned_mail.csv",
            ],
        );
        by_account(&read_table(&path.join(out)))
    };
    let before = rematch("before.csv");
    let mut matched: Vec<&HashMap<String, String>> = before
        .values()
        .filter(|r| r["match_status"] == "matched" && !r["phone_2"].is_empty())
        .collect();
    matched.sort_by_key(|r| r["account_id"].clone());
    assert!(
        matched.len() >= 4,
        "the population has matched rows with two phones"
    );
    let (wrong, dnc, right, returned) = (matched[0], matched[1], matched[2], matched[3]);
    let line =
        |row: &HashMap<String, String>, outcome: &str, phone: &str, address: (&str, &str)| {
            format!(
                "{},{},{outcome},{phone},{},{},2026-11-20,desk 4\n",
                row["account_id"], row["match_record_id"], address.0, address.1
            )
        };
    let mut file =
        String::from("account_id,match_record_id,outcome,phone,address_line1,zip,date,collector\n");
    file += &line(wrong, "wrong_party", &wrong["best_phone"], ("", ""));
    file += &line(dnc, "do_not_call", &dnc["best_phone"], ("", ""));
    file += &line(right, "right_party", &right["phone_2"], ("", ""));
    file += &line(
        returned,
        "mail_returned",
        "",
        (&returned["best_address_line1"], &returned["best_zip"]),
    );
    file += "A-unknown,R1,answered,6145550142,,,2026-11-20,desk 4\n";
    write(path, "outcomes.csv", &file);
    let recorded = run(path, &["outcomes", "--index", "idx", "outcomes.csv"]);
    let said = String::from_utf8_lossy(&recorded.stderr);
    assert!(recorded.status.success(), "{said}");
    assert!(said.contains("4 outcomes recorded, 1 rejected"), "{said}");
    assert!(said.contains("row 5, column outcome"), "{said}");
    // The compliance listing: what is kept from collectors, and why, contacts masked.
    let listing = run_ok(path, &["outcomes", "--index", "idx", "--report"]);
    let digits = |display: &str| {
        display
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
    };
    let (wrong_number, dnc_number) = (digits(&wrong["best_phone"]), digits(&dnc["best_phone"]));
    for (reason, number, account) in [
        ("wrong_party", &wrong_number, &wrong["account_id"]),
        ("do_not_call", &dnc_number, &dnc["account_id"]),
    ] {
        let line = listing
            .lines()
            .find(|l| l.contains(reason))
            .unwrap_or_else(|| panic!("{reason} listed: {listing}"));
        assert!(
            line.contains(account.as_str()) && line.contains("desk 4"),
            "{line}"
        );
        assert!(
            line.contains(&format!("***-***-{}", &number[6..])),
            "{line}"
        );
        assert!(
            !line.contains(number.as_str()),
            "the full number is masked: {line}"
        );
    }
    assert!(
        !listing.contains("right_party") && !listing.contains("mail_returned"),
        "{listing}"
    );

    for round in ["after", "after reindexing"] {
        let after = rematch(&format!("{}.csv", round.replace(' ', "_")));
        let get = |row: &HashMap<String, String>| &after[&row["account_id"]];
        assert!(
            !phones_offered(get(wrong)).contains(&wrong["best_phone"]),
            "{round}: a wrong-party number is never offered to that debtor again"
        );
        assert!(
            phones_offered(get(dnc)).is_empty(),
            "{round}: do_not_call hides every phone: {:?}",
            phones_offered(get(dnc))
        );
        assert_eq!(
            get(right)["best_phone"],
            right["phone_2"],
            "{round}: the right-party number comes first"
        );
        let confidence = |row: &HashMap<String, String>| {
            row["best_address_confidence"].parse::<f64>().unwrap_or(0.0)
        };
        let now = get(returned);
        assert!(
            now["best_address_line1"] != returned["best_address_line1"]
                || confidence(now) < confidence(returned) / 2.0,
            "{round}: a returned letter weighs the address down"
        );
        // Every other row is as it was. Only before re-indexing: upserting the same records
        // gives them new document ids, and retrieval's ties among equal scores (which of two
        // old phones is expanded to) can then differ for a row that no outcome touches.
        if round == "after" {
            let touched = [wrong, dnc, right, returned].map(|r| r["account_id"].clone());
            let unchanged = before
                .iter()
                .filter(|(account, _)| !touched.contains(account))
                .all(|(account, row)| &after[account] == row);
            assert!(unchanged, "outcomes touch only their debtors");
        }
        // Indexing the same records again rewrites segments, never the outcome log.
        run_ok(path, &["index", "--index", "idx", "gen/records.csv"]);
    }
}

/// Posts an outcomes CSV; returns the status and JSON body.
async fn post_outcomes(
    server: &TestServer,
    key: Option<&str>,
    csv: String,
) -> (StatusCode, serde_json::Value) {
    let response = server
        .request(Method::POST, "/v1/outcomes", key)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("sent");
    status_and_json(response).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_posted_to_the_api_suppress_and_explain_contacts_in_search() {
    let dir = tempfile::tempdir().expect("tempdir");
    synth_and_index(dir.path());
    run_ok(
        dir.path(),
        &[
            "rematch",
            "--index",
            "idx",
            "--out",
            "m.csv",
            "gen/returned_mail.csv",
        ],
    );
    let rematched = read_table(&dir.path().join("m.csv"));
    let get = |row: &Vec<String>, name: &str| row[column(&rematched, name)].clone();
    let row = rematched
        .1
        .iter()
        .find(|r| {
            get(r, "match_status") == "matched"
                && !get(r, "best_phone").is_empty()
                && !get(r, "best_address_line1").is_empty()
        })
        .expect("a matched row with a phone and an address")
        .clone();
    let server = TestServer::start_in(dir, generous_limits()).await;
    let query = json!({
        "first_name": get(&row, "first_name"), "last_name": get(&row, "last_name"),
        "dob": get(&row, "dob"), "ssn": get(&row, "ssn"),
        "address_line1": get(&row, "address_line1"), "zip": get(&row, "zip"),
        "permissible_purpose": {"glba": "consumer_authorized", "dppa": "debt_recovery"}
    });
    let contacts = |answer: &serde_json::Value, kind: &str| -> Vec<serde_json::Value> {
        answer["identities"][0]["contacts"]
            .as_array()
            .expect("contacts")
            .iter()
            .filter(|c| c["kind"] == kind)
            .cloned()
            .collect()
    };
    let (status, before) = server.search(&server.searcher, &query).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert!(!contacts(&before, "phone").is_empty());

    let record = get(&row, "match_record_id");
    let account = get(&row, "account_id");
    let (status, answer) = post_outcomes(
        &server,
        Some(&server.searcher),
        format!(
            "account_id,match_record_id,outcome,phone,address_line1,zip,collector\n\
             {account},{record},do_not_call,{},,,\n\
             {account},{record},right_party,,{},{},desk 4\n\
             {account},{record},picked_up,{},,,\n",
            get(&row, "best_phone"),
            get(&row, "best_address_line1"),
            get(&row, "best_zip"),
            get(&row, "best_phone"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (answer["recorded"].as_u64(), answer["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(answer["issues"][0]["row"], 3, "{answer}");
    assert_eq!(answer["issues"][0]["column"], "outcome", "{answer}");

    let (_, after) = server.search(&server.searcher, &query).await;
    assert!(
        contacts(&after, "phone").is_empty(),
        "do_not_call hides every phone: {:?}",
        contacts(&after, "phone")
    );
    let best_address = &contacts(&after, "address")[0];
    let note = best_address["outcome"].as_str().unwrap_or_default();
    assert!(
        note.starts_with("right party reached") && note.ends_with("by desk 4"),
        "{best_address}"
    );
    // The hidden phones are listed for the collector, masked, each with why.
    let hidden_phones = |answer: &serde_json::Value| -> Vec<(String, String)> {
        answer["identities"][0]["hidden_contacts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|h| h["kind"] == "phone")
            .map(|h| {
                let text = |k: &str| h[k].as_str().unwrap_or_default().to_string();
                (text("contact"), text("reason"))
            })
            .collect()
    };
    let hidden = hidden_phones(&after);
    assert_eq!(
        hidden.len(),
        contacts(&before, "phone").len(),
        "every phone shown before is listed as hidden: {after}"
    );
    let best_phone_digits: String = get(&row, "best_phone")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let last4 = &best_phone_digits[best_phone_digits.len() - 4..];
    assert!(
        hidden
            .iter()
            .any(|(contact, _)| *contact == format!("***-***-{last4}")),
        "the do-not-call number is listed masked: {hidden:?}"
    );
    assert!(
        hidden
            .iter()
            .all(|(_, reason)| reason.starts_with("do_not_call reported")
                && reason.contains("suppressed for this debtor until lifted")),
        "{hidden:?}"
    );
    let answer_text = after.to_string();
    for phone in contacts(&before, "phone") {
        let value = phone["value"].as_str().expect("a phone's value");
        assert!(
            !answer_text.contains(value),
            "{value} appears nowhere in the answer"
        );
    }

    // Who reported what is in the audit log.
    let log = std::fs::read_to_string(server.audit_path()).expect("audit log");
    assert!(
        log.contains(&format!("do_not_call:{record}")),
        "audit line names the outcome"
    );
    // A loader may report; no key may not; a body without the columns is refused whole.
    let (status, _) = post_outcomes(
        &server,
        Some(&server.loader),
        "outcome,match_record_id,phone\nno_answer,R1,6145550142\n".into(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post_outcomes(&server, None, "outcome\nno_answer\n".into()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) =
        post_outcomes(&server, Some(&server.loader), "phone\n6145550142\n".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // A restart reads the outcomes back from the index's log: the same answer.
    let keys = [
        server.admin.clone(),
        server.searcher.clone(),
        server.loader.clone(),
    ];
    let dir = server.stop_and_keep().await;
    let server = TestServer::start_with_keys(dir, generous_limits(), keys).await;
    let (status, restarted) = server.search(&server.searcher, &query).await;
    assert_eq!(status, StatusCode::OK, "{restarted}");
    assert!(contacts(&restarted, "phone").is_empty(), "{restarted}");
    assert_eq!(hidden_phones(&restarted), hidden);
    assert_eq!(
        contacts(&restarted, "address")[0]["outcome"],
        best_address["outcome"]
    );
    server.stop().await;
}

/// The rows of the outcome-round table `eval` prints.
fn round_table(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .skip_while(|l| !l.starts_with("| round"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn simulated_outcome_rounds_raise_the_share_of_offers_that_reach_the_debtor_and_replay_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    synth_and_index(dir.path());
    let eval = |extra: &[&'static str]| -> Vec<&'static str> {
        ["eval", "--synth", "gen", "--index", "idx"]
            .iter()
            .chain(extra)
            .copied()
            .collect()
    };
    let out = run_ok(
        dir.path(),
        &eval(&["--outcome-rounds", "2", "--outcomes-out", "stream.jsonl"]),
    );
    let rows = round_table(&out);
    assert_eq!(rows.len(), 3, "{out}");
    // round, matched, address right, findable, phone right, findable, address offers right,
    // phone offers right, outcomes recorded, forbidden offered again.
    let figure = |round: usize, column: usize| rows[round][column].parse::<f64>().expect("number");
    let stream = std::fs::read_to_string(dir.path().join("stream.jsonl")).expect("stream");
    assert!(
        stream.contains("\"wrong_party\""),
        "some worked numbers reached strangers"
    );
    for round in 0..3 {
        assert_eq!(
            figure(round, 9),
            0.0,
            "round {round}: a wrong-party contact offered again"
        );
        assert!(figure(round, 4) <= figure(round, 5), "{out}");
    }
    assert!(
        figure(1, 7) > figure(0, 7),
        "phone offers reach the debtor more often: {out}"
    );
    assert!(
        figure(1, 4) >= figure(0, 4),
        "no fewer debtors get their current phone: {out}"
    );
    assert!(figure(0, 8) > 0.0, "collectors recorded outcomes");
    assert_eq!(
        stream.lines().count() as f64,
        figure(0, 8) + figure(1, 8),
        "the stream holds every outcome recorded"
    );
    assert!(
        !dir.path().join("idx").join("outcomes.jsonl").exists(),
        "simulated outcomes never reach the index's log"
    );

    // Replaying the stream (one round per date) gives the same rounds.
    let replayed = run_ok(dir.path(), &eval(&["--outcomes", "stream.jsonl"]));
    assert!(replayed.contains("replayed outcomes"), "{replayed}");
    assert_eq!(round_table(&replayed), rows, "{replayed}");

    // A stream with a line that is no outcome is refused, naming the line.
    std::fs::write(
        dir.path().join("broken.jsonl"),
        format!(
            "{}not an outcome\n{}",
            &stream[..=stream.find('\n').expect("a line")],
            stream
        ),
    )
    .expect("write");
    let refused = run(dir.path(), &eval(&["--outcomes", "broken.jsonl"]));
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("line 2 is not an outcome"), "{message}");
}
