//! The collectors' page (`GET /`), driven in headless Chromium over the DevTools protocol against
//! the real server on 127.0.0.1:0 with a generated population: a wrong key is refused in words,
//! a debtor picked from the generated truth is searched with a misspelt surname and found first
//! with their new address, a field the server refuses is named at its input, a number reported
//! as a wrong party is listed as hidden with why, a returned-mail
//! file is re-matched through the page, and a server that went away is said to be unreachable.
//! Screenshots are saved under `target/tmp/e2e/` (the path is printed).
//!
//! Chromium is Debian's `chromium` package (`.ci/run` installs it); `CHROMIUM` overrides the
//! path. Without it the test fails, saying how to install it: it never passes by skipping.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::browser::{
    SetDownloadBehaviorBehavior, SetDownloadBehaviorParams,
};
use chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams;
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::Page;
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::util::{column, generous_limits, read_table, synth_and_index, Table, TestServer};

/// Longest wait for any one state of the page (a search takes milliseconds; Chromium's first
/// paint on a loaded 2-core machine, seconds).
const WAIT: Duration = Duration::from_secs(30);

/// Laptop screen: the page must be readable at this size.
const VIEWPORT_WIDTH: u32 = 1366;
const VIEWPORT_HEIGHT: u32 = 900;

/// Where the Debian package puts the browser.
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_its_assets_are_served_with_a_content_security_policy() {
    let server =
        TestServer::start_in(tempfile::tempdir().expect("temp dir"), generous_limits()).await;
    for (path, media_type, marker) in [
        ("/", "text/html", "<title>skiptrace"),
        ("/app.js", "text/javascript", "'use strict'"),
        ("/app.css", "text/css", ":root"),
    ] {
        let response = server
            .request(Method::GET, path, None)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert!(header("content-type").starts_with(media_type), "{path}");
        assert_eq!(
            header("content-security-policy"),
            skiptrace::server::CONTENT_SECURITY_POLICY,
            "{path}"
        );
        assert!(header("content-security-policy").starts_with("default-src 'self'"));
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        let body = response.text().await.expect("body");
        assert!(body.contains(marker), "{path}: {body:.200}");
    }

    // The page signs in by listing the purposes: a searcher may, a loader may not, nobody
    // without a key.
    let (status, purposes) = server.get("/v1/purposes", Some(&server.searcher)).await;
    assert_eq!(status, StatusCode::OK, "{purposes}");
    let codes = |kind: &str| -> Vec<String> {
        purposes[kind]
            .as_array()
            .expect("a list")
            .iter()
            .map(|p| p["code"].as_str().expect("a code").to_string())
            .collect()
    };
    assert_eq!(codes("glba")[0], "consumer_authorized");
    assert!(codes("dppa").contains(&"debt_recovery".to_string()));
    assert!(purposes["dppa"][1]["description"]
        .as_str()
        .is_some_and(|d| d.contains("debt")));
    let (status, _) = server.get("/v1/purposes", Some(&server.loader)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = server.get("/v1/purposes", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    server.stop().await;
}

/// A debtor from the generated returned-mail file, with what the truth says about them.
struct Debtor {
    /// Their returned-mail row, by column.
    account: HashMap<String, String>,
    /// The person they are.
    person_id: String,
    /// Where they live now (the returned-mail address is stale).
    current_address_line1: String,
    current_zip: String,
}

/// Picks the first debtor in file order that has records in the population, has moved, and is
/// none of the hard cases (changed surname, DOB error, missing or partial SSN, Jr/Sr, twin,
/// common name): a debtor a collector should find from a misspelt surname.
fn pick_debtor(gen: &Path) -> Debtor {
    let mail = read_table(&gen.join("returned_mail.csv"));
    let truth = read_table(&gen.join("truth/debtors.csv"));
    let owners = read_table(&gen.join("truth/records.csv"));
    let people_with_records: std::collections::HashSet<&str> = owners
        .1
        .iter()
        .map(|row| row[column(&owners, "person_id")].as_str())
        .collect();
    let truth_by_account: HashMap<&str, &Vec<String>> = truth
        .1
        .iter()
        .map(|row| (row[column(&truth, "account_id")].as_str(), row))
        .collect();
    let at = |table: &Table, row: &Vec<String>, name: &str| row[column(table, name)].clone();
    for row in &mail.1 {
        let account_id = at(&mail, row, "account_id");
        let facts = truth_by_account[account_id.as_str()];
        let flag = |name: &str| at(&truth, facts, name) == "true";
        let person_id = at(&truth, facts, "person_id");
        let last_name = at(&mail, row, "last_name");
        let usable = flag("in_sources")
            && people_with_records.contains(person_id.as_str())
            && flag("moved")
            && !flag("surname_changed")
            && !flag("dob_error")
            && !flag("ssn_missing")
            && !flag("ssn_last4")
            && !flag("jr_sr")
            && !flag("twin")
            && !flag("common_name")
            && last_name.chars().filter(char::is_ascii_alphabetic).count() >= 6
            && !at(&mail, row, "dob").is_empty();
        if usable {
            return Debtor {
                account: mail.0.iter().cloned().zip(row.iter().cloned()).collect(),
                person_id,
                current_address_line1: at(&truth, facts, "current_address_line1"),
                current_zip: at(&truth, facts, "current_zip"),
            };
        }
    }
    panic!("no debtor in {} fits: the generator changed", gen.display());
}

/// Returns `name` with two different adjacent letters swapped near its middle (Kowalczyk →
/// Kowlaczyk), the commonest typing error.
fn misspell(name: &str) -> String {
    let mut letters: Vec<char> = name.chars().collect();
    let middle = letters.len() / 2;
    // First and last letters stay: a typist rarely gets those wrong.
    let at = (1..letters.len().saturating_sub(2))
        .filter(|&i| letters[i] != letters[i + 1])
        .min_by_key(|&i| i.abs_diff(middle.saturating_sub(1)))
        .expect("a name of six letters has two different neighbours inside");
    letters.swap(at, at + 1);
    letters.into_iter().collect()
}

/// The Chromium binary: `$CHROMIUM`, else Debian's.
fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CHROMIUM));
    assert!(
        path.is_file(),
        "the page's end-to-end test needs headless Chromium, not found at {}: install it with \
         `apt-get install -y --no-install-recommends chromium` (Debian; .ci/run does this), or \
         set CHROMIUM to the browser's path",
        path.display()
    );
    path
}

/// Where screenshots go.
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

async fn screenshot(page: &Page, name: &str) -> PathBuf {
    let path = screenshot_dir().join(format!("{name}.png"));
    page.save_screenshot(ScreenshotParams::builder().full_page(true).build(), &path)
        .await
        .expect("screenshot");
    println!("screenshot: {}", path.display());
    path
}

/// Runs `function` (JavaScript, `() => ...`) in the page and returns its JSON result.
async fn eval(page: &Page, function: &str) -> Value {
    page.evaluate_function(function)
        .await
        .unwrap_or_else(|e| panic!("{function}: {e}"))
        .into_value()
        .unwrap_or(Value::Null)
}

/// Waits until the JavaScript `condition` holds in the page, polling; on timeout, fails with a
/// screenshot and the page's text.
async fn wait_for(page: &Page, condition: &str, what: &str) {
    let started = Instant::now();
    let probe = format!("() => Boolean({condition})");
    loop {
        let holds = match page.evaluate_function(probe.as_str()).await {
            Ok(result) => result.into_value::<bool>().unwrap_or(false),
            Err(_) => false, // navigating: no document to ask yet
        };
        if holds {
            return;
        }
        if started.elapsed() > WAIT {
            let shot = screenshot(page, "timeout").await;
            let text = eval(page, "() => document.body.innerText").await;
            panic!(
                "waited {WAIT:?} for {what} ({condition}); screenshot {}; the page reads:\n{}",
                shot.display(),
                text.as_str().unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Returns the text of the element `selector`, `None` when absent or hidden.
async fn visible_text(page: &Page, selector: &str) -> Option<String> {
    let script = format!(
        "() => {{ const e = document.querySelector({selector:?}); \
         return e && !e.closest('[hidden]') ? e.textContent : null; }}"
    );
    eval(page, &script).await.as_str().map(str::to_string)
}

/// Types `text` into the input `selector` as keystrokes, replacing what it held.
async fn type_into(page: &Page, selector: &str, text: &str) {
    eval(
        page,
        &format!("() => {{ document.querySelector({selector:?}).value = ''; }}"),
    )
    .await;
    page.find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .click()
        .await
        .expect("click")
        .type_str(text)
        .await
        .expect("type");
}

/// Presses Enter in the input `selector` (focused first: keys go where the focus is).
async fn press_enter_in(page: &Page, selector: &str) {
    page.find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .focus()
        .await
        .expect("focus")
        .press_key("Enter")
        .await
        .expect("enter");
}

/// Chooses `code` in the select `id`, failing when the server did not offer it.
async fn choose(page: &Page, id: &str, code: &str) {
    let script = format!(
        "() => {{ const s = document.getElementById({id:?}); \
         if (![...s.options].some(o => o.value === {code:?})) return false; \
         s.value = {code:?}; s.dispatchEvent(new Event('change')); return true; }}"
    );
    assert_eq!(
        eval(page, &script).await,
        Value::Bool(true),
        "{id} offers {code}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_signs_in_and_finds_a_misspelt_debtor_at_their_new_address() {
    let chromium = chromium();
    let dir = tempfile::tempdir().expect("temp dir");
    synth_and_index(dir.path());
    let gen = dir.path().join("gen");
    let debtor = pick_debtor(&gen);
    let owners = read_table(&gen.join("truth/records.csv"));
    let owner: HashMap<String, String> = owners
        .1
        .iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect();
    let server = TestServer::start_in(dir, generous_limits()).await;

    let profile = tempfile::tempdir().expect("browser profile");
    let config = BrowserConfig::builder()
        .chrome_executable(chromium)
        .no_sandbox()
        .user_data_dir(profile.path())
        .window_size(VIEWPORT_WIDTH, VIEWPORT_HEIGHT)
        .viewport(Viewport {
            width: VIEWPORT_WIDTH,
            height: VIEWPORT_HEIGHT,
            device_scale_factor: Some(1.0),
            ..Viewport::default()
        })
        // Headless on a closed network: nothing but the page may open a connection (Chromium's
        // own background requests are refused here and would slow it down).
        .args([
            "disable-gpu",
            "disable-quic",
            "no-first-run",
            "disable-background-networking",
            "disable-component-update",
            "disable-sync",
        ])
        .launch_timeout(WAIT)
        .request_timeout(WAIT)
        .build()
        .expect("browser configuration");
    let (mut browser, mut handler) = Browser::launch(config).await.expect("Chromium starts");
    let events = tokio::spawn(async move {
        // Every event must be polled for commands to complete; a bad one is not fatal.
        while let Some(_event) = handler.next().await {}
    });
    let page = browser
        .new_page(format!("{}/", server.base))
        .await
        .expect("page opens");

    // A wrong key: refused, and the page says so in words.
    wait_for(
        &page,
        "document.getElementById('api-key')",
        "the sign-in form",
    )
    .await;
    type_into(&page, "#api-key", "stk_nosuchkey_wrongsecret").await;
    press_enter_in(&page, "#api-key").await;
    wait_for(
        &page,
        "!document.getElementById('signin-error').hidden",
        "the sign-in error",
    )
    .await;
    let refusal = visible_text(&page, "#signin-error")
        .await
        .expect("an error is shown");
    assert!(
        refusal.contains("401") && refusal.contains("not accepted"),
        "the 401 is explained: {refusal}"
    );
    assert!(
        visible_text(&page, "#search-form").await.is_none(),
        "no search without a key"
    );
    screenshot(&page, "web-wrong-key").await;

    // The right key: signed in, the server's purposes offered.
    type_into(&page, "#api-key", &server.searcher).await;
    press_enter_in(&page, "#api-key").await;
    wait_for(
        &page,
        "!document.getElementById('work').hidden && document.getElementById('glba').options.length > 1",
        "the search view",
    )
    .await;
    let stored = eval(&page, "() => sessionStorage.getItem('skiptrace.key')").await;
    assert_eq!(
        stored.as_str(),
        Some(server.searcher.as_str()),
        "kept for the tab"
    );
    let persisted = eval(&page, "() => localStorage.length").await;
    assert_eq!(persisted, Value::from(0), "nothing outlives the tab");
    choose(&page, "glba", "consumer_authorized").await;
    choose(&page, "dppa", "debt_recovery").await;

    // What the account holds, with the surname misspelt and, at first, a DOB that is no date.
    let real_last_name = debtor.account["last_name"].clone();
    let misspelt = misspell(&real_last_name);
    for field in [
        "first_name",
        "middle_name",
        "name_suffix",
        "ssn",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "zip",
        "phone",
        "email",
    ] {
        let value = &debtor.account[field];
        if !value.is_empty() {
            type_into(&page, &format!("#{field}"), value).await;
        }
    }
    type_into(&page, "#last_name", &misspelt).await;
    type_into(&page, "#client_reference", &debtor.account["account_id"]).await;
    type_into(&page, "#dob", "13/45/19xx").await;
    press_enter_in(&page, "#last_name").await;
    wait_for(
        &page,
        "document.getElementById('dob-error')",
        "the DOB named as the field at fault",
    )
    .await;
    let field_error = visible_text(&page, "#dob-error").await.unwrap_or_default();
    assert!(
        field_error.starts_with("Date of birth"),
        "the field is named: {field_error}"
    );
    let invalid = eval(
        &page,
        "() => document.getElementById('dob').getAttribute('aria-invalid')",
    )
    .await;
    assert_eq!(invalid.as_str(), Some("true"));

    type_into(&page, "#dob", &debtor.account["dob"]).await;
    press_enter_in(&page, "#dob").await;
    wait_for(
        &page,
        "document.querySelector('#results-body .identity') && !document.getElementById('dob-error')",
        "the results",
    )
    .await;
    let first = eval(
        &page,
        "() => { const card = document.querySelector('#results-body .identity'); \
         const text = (s) => { const e = card.querySelector(s); return e ? e.textContent : null; }; \
         return { status: document.getElementById('verdict').dataset.status, \
                  verdict: document.getElementById('verdict').textContent, \
                  identity: card.dataset.identityId, name: text('.identity-name'), \
                  role: text('.identity-role'), probability: text('.probability'), \
                  best_address: text('.best-address .value'), \
                  best_address_line: text('.best-address'), \
                  copy: !!card.querySelector('.best-address button.copy'), \
                  on_file: [...card.querySelectorAll('tr.on-file .value')].map(e => e.textContent), \
                  dob: text('.dob'), explained: card.querySelectorAll('.explanation tbody tr').length }; }",
    )
    .await;
    let shot = screenshot(&page, "web-search").await;
    let shown = |key: &str| first[key].as_str().unwrap_or_default().to_string();
    assert_eq!(
        shown("status"),
        "resolved",
        "{misspelt} (for {real_last_name}) resolves: {first}"
    );
    assert!(shown("verdict").starts_with("Resolved"), "{first}");
    assert_eq!(
        owner.get(&shown("identity")),
        Some(&debtor.person_id),
        "the right person is first: {first}; screenshot {}",
        shot.display()
    );
    assert_eq!(shown("role"), "The debtor");
    let best_address = shown("best_address");
    assert!(
        best_address.contains(&debtor.current_address_line1)
            && best_address.contains(&debtor.current_zip),
        "the best address {best_address:?} is where they live now: {} {}",
        debtor.current_address_line1,
        debtor.current_zip
    );
    assert!(
        shown("best_address_line").starts_with("Best address (new): "),
        "the headline says the best address is new: {first}"
    );
    assert_eq!(first["copy"], Value::Bool(true), "a copy button: {first}");
    assert!(
        first["on_file"]
            .as_array()
            .is_some_and(|on_file| !on_file.is_empty()),
        "the returned-mail address is listed as the one on file: {first}"
    );
    assert!(
        first["explained"].as_u64().is_some_and(|n| n >= 5),
        "a per-field explanation: {first}"
    );
    let year = &debtor.account["dob"][..4];
    assert!(
        shown("dob").starts_with(year) && shown("dob").contains("masked"),
        "a searcher sees the year only: {first}"
    );
    assert!(
        !eval(&page, "() => document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .contains(&debtor.account["dob"]),
        "the full DOB is nowhere on a searcher's page"
    );

    // A collector reports a wrong party on the debtor's first number: the next search lists it
    // as hidden, masked, with why, and offers it no more.
    let card_phones = "() => { const card = document.querySelector('#results-body .identity'); \
         return { phones: [...card.querySelectorAll('table.contacts tbody tr')] \
                    .filter(r => r.cells[0].textContent === 'Phone') \
                    .map(r => r.querySelector('.value').textContent), \
                  record: card.querySelector('.record-id').textContent, \
                  hidden: [...card.querySelectorAll('.hidden-contacts li')].map(e => e.textContent) }; }";
    let shown_before = eval(&page, card_phones).await;
    let phones: Vec<String> =
        serde_json::from_value(shown_before["phones"].clone()).expect("the card's phones");
    let wrong = phones
        .first()
        .unwrap_or_else(|| panic!("the generated debtor has a phone to report: {shown_before}"));
    let anchor = shown_before["record"].as_str().expect("a record id");
    let reported = server
        .request(Method::POST, "/v1/outcomes", Some(&server.searcher))
        .header("content-type", "text/csv")
        .body(format!(
            "match_record_id,outcome,phone\n{anchor},wrong_party,{wrong}\n"
        ))
        .send()
        .await
        .expect("outcome sent");
    assert_eq!(reported.status(), StatusCode::OK);
    press_enter_in(&page, "#last_name").await;
    wait_for(
        &page,
        "document.querySelector('#results-body .identity .hidden-contacts')",
        "the hidden contacts",
    )
    .await;
    let shown_after = eval(&page, card_phones).await;
    screenshot(&page, "web-hidden-contact").await;
    let last4: String = wrong.chars().filter(char::is_ascii_digit).skip(6).collect();
    let hidden: Vec<String> =
        serde_json::from_value(shown_after["hidden"].clone()).expect("hidden list");
    assert!(
        hidden.len() == 1
            && hidden[0].contains(&format!("***-***-{last4}"))
            && hidden[0].contains("wrong party reached"),
        "the number is listed masked with why: {shown_after}"
    );
    assert!(
        !shown_after["phones"]
            .as_array()
            .expect("phones")
            .iter()
            .any(|p| p == wrong.as_str()),
        "{wrong} is offered no more: {shown_after}"
    );

    // The returned-mail file, through the page, as a background job. Its surname column has a
    // name no alias knows: the collector maps it in the upload, watches the progress, and
    // downloads the result, also after a reload.
    let mail_table = read_table(&gen.join("returned_mail.csv"));
    let rows = mail_table.1.len();
    let renamed = std::fs::read_to_string(gen.join("returned_mail.csv"))
        .expect("mail")
        .replacen("last_name", "surname_at_birth", 1);
    let mail = gen.join("returned_mail_renamed.csv");
    std::fs::write(&mail, renamed).expect("renamed file");
    page.find_element("#tab-rematch")
        .await
        .expect("the file view's tab")
        .click()
        .await
        .expect("click");
    wait_for(
        &page,
        "!document.getElementById('rematch-view').hidden",
        "the file view",
    )
    .await;
    let input = page
        .find_element("#rematch-file")
        .await
        .expect("file input");
    page.execute(
        SetFileInputFilesParams::builder()
            .file(mail.display().to_string())
            .backend_node_id(input.backend_node_id)
            .build()
            .expect("file parameters"),
    )
    .await
    .expect("file chosen");
    wait_for(
        &page,
        "!document.getElementById('rematch-mapping').hidden",
        "the file's columns and their guessed fields",
    )
    .await;
    let unmapped = eval(
        &page,
        "() => [...document.querySelectorAll('#rematch-mapping select')].find(s => s.dataset.column === 'surname_at_birth').value",
    )
    .await;
    assert_eq!(unmapped, "", "no alias knows the renamed column");
    eval(
        &page,
        "() => { const s = [...document.querySelectorAll('#rematch-mapping select')].find(s => s.dataset.column === 'surname_at_birth'); s.value = 'last_name'; return s.value; }",
    )
    .await;
    screenshot(&page, "web-rematch-mapping").await;
    page.find_element("#rematch-start")
        .await
        .expect("start button")
        .click()
        .await
        .expect("click");
    wait_for(
        &page,
        "!document.getElementById('rematch-progress').hidden || !document.getElementById('rematch-error').hidden",
        "the job's progress",
    )
    .await;
    wait_for(
        &page,
        "!document.getElementById('rematch-download').hidden || !document.getElementById('rematch-error').hidden",
        "the job to finish",
    )
    .await;
    screenshot(&page, "web-rematch").await;
    assert_eq!(visible_text(&page, "#rematch-error").await, None);
    let done = visible_text(&page, "#rematch-text")
        .await
        .unwrap_or_default();
    assert!(
        done.starts_with(&format!("Done: {} rows", thousands(rows))),
        "{done}"
    );
    let counts = eval(
        &page,
        "() => Object.fromEntries([...document.querySelectorAll('#rematch-counts dd')].map(d => [d.dataset.outcome, Number(d.textContent.replace(/,/g, ''))]))",
    )
    .await;
    let found = [
        "new_address_and_phone",
        "new_address",
        "new_phone",
        "confirmed_on_file",
    ]
    .iter()
    .filter_map(|code| counts[*code].as_u64())
    .sum::<u64>();
    assert!(
        found > 0,
        "with the surname mapped, debtors are found: {counts}"
    );
    // Download it as a collector would: click, find the file in the download folder.
    let downloads = tempfile::tempdir().expect("download folder");
    browser
        .execute(
            SetDownloadBehaviorParams::builder()
                .behavior(SetDownloadBehaviorBehavior::Allow)
                .download_path(downloads.path().display().to_string())
                .build()
                .expect("download parameters"),
        )
        .await
        .expect("downloads allowed");
    let saved = downloads.path().join("returned_mail_renamed-rematched.csv");
    let wait_for_file = |path: PathBuf| async move {
        let started = Instant::now();
        while !path.is_file() {
            assert!(
                started.elapsed() < WAIT,
                "no {} after {WAIT:?}",
                path.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    page.find_element("#rematch-download")
        .await
        .expect("the download button")
        .click()
        .await
        .expect("click");
    wait_for_file(saved.clone()).await;
    let result = read_table(&saved);
    assert!(
        result.0.iter().any(|h| h == "surname_at_birth")
            && result.0.iter().any(|h| h == "outcome_code"),
        "{:?}",
        result.0
    );
    assert_eq!(result.1.len(), rows, "one row out per row in");

    // After a reload the job is still listed, and its result downloads again.
    std::fs::remove_file(&saved).expect("remove the first download");
    page.reload().await.expect("reload");
    page.find_element("#tab-rematch")
        .await
        .expect("the file view's tab")
        .click()
        .await
        .expect("click");
    wait_for(
        &page,
        "document.querySelector('#jobs-list button.download-job') !== null",
        "the finished job in the list",
    )
    .await;
    page.find_element("#jobs-list button.download-job")
        .await
        .expect("the list's download")
        .click()
        .await
        .expect("click");
    wait_for_file(saved.clone()).await;
    assert_eq!(read_table(&saved).1.len(), rows);

    // The server goes away: the page says it cannot reach it (no blank screen).
    server.stop().await;
    page.find_element("#tab-search")
        .await
        .expect("the search tab")
        .click()
        .await
        .expect("click");
    // The reload emptied the form: a search needs a name and one more field.
    type_into(&page, "#last_name", &misspelt).await;
    type_into(&page, "#dob", &debtor.account["dob"]).await;
    press_enter_in(&page, "#last_name").await;
    wait_for(
        &page,
        "!document.getElementById('search-error').hidden",
        "the network error",
    )
    .await;
    let down = visible_text(&page, "#search-error")
        .await
        .unwrap_or_default();
    assert!(down.contains("Cannot reach the skiptrace server"), "{down}");
    let in_results = visible_text(&page, "#search-failed")
        .await
        .unwrap_or_default();
    assert!(in_results.starts_with("No results"), "{in_results}");
    screenshot(&page, "web-server-down").await;

    browser.close().await.expect("Chromium closes");
    let _ = browser.wait().await;
    events.abort();
}

/// Formats `n` as the page does (`toLocaleString` in en-US): 1,234.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
