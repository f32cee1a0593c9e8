//! Labelled data for `skiptrace eval`: the queries to re-match, and what the right answer to each
//! one is.
//!
//! First step of an evaluation. Two forms are read: a `skiptrace synth` folder (queries in
//! `returned_mail.csv`, truth in `truth/`), or a records file and a queries file sharing a label
//! column that names the true person. The label column is read apart from the fields: it is
//! never mapped, so it reaches neither matching nor the index.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::bulk;
use crate::error::{Error, InputError, Result};
use crate::input::{InputRow, MappingOverrides, RecordReader};
use crate::mask::{dob_text, ssn_text};
use crate::normalize::{parse_email, parse_phone, Address, AddressMark, NormalizedRecord};
use crate::record::{Field, RawRecord};

/// Rows normalized per parallel batch while reading records for contact truth.
const BATCH_ROWS: usize = 8_192;

/// Columns of `truth/debtors.csv` that are not hard-case flags.
const DEBTOR_FACT_COLUMNS: [&str; 3] = ["account_id", "person_id", "in_sources"];

/// How the labelled data was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// A `skiptrace synth` folder.
    Synth,
    /// A records file and a queries file with a label column.
    Labelled,
}

/// A true current contact value of a debtor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactTruth {
    /// Comparable key: address delivery key, 10-digit phone or canonical email.
    pub key: String,
    /// True when one of the person's source records carries it.
    pub findable: bool,
    /// True when the query already carries it (the debtor did not move, or kept the number).
    pub on_file: bool,
    /// True when the query carries it and marks it as bad (a carrier's return reason on an
    /// address the debtor still lives at): the rules forbid confirming it.
    pub marked_bad: bool,
}

/// The query as it may be shown in a report: SSN to its last four, DOB to its year (docs/domain.md
/// §6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MaskedQuery {
    /// Name as given.
    pub name: String,
    /// Year of birth.
    pub dob: String,
    /// `***-**-1234`.
    pub ssn: String,
    /// ZIP5.
    pub zip: String,
}

/// What is true about one query.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTruth {
    /// The query's id column value, or its row number when there is no id column.
    pub id: String,
    /// 1-based data row in the queries file.
    pub row: u64,
    /// The true person (a `person_id`, or the label value).
    pub person: String,
    /// True when the person has at least one record (else the right answer is no match).
    pub present: bool,
    /// True current address, when truth has one.
    pub address: Option<ContactTruth>,
    /// True current phone, likewise.
    pub phone: Option<ContactTruth>,
    /// True current email, likewise.
    pub email: Option<ContactTruth>,
    /// Hard-case flags true for the query (moved, twin, jr_sr, ...).
    pub flags: Vec<String>,
    /// The query, masked, for error samples.
    pub masked: MaskedQuery,
}

/// Queries, their truth, and the record → person map answers are judged by.
#[derive(Debug)]
pub struct LabelledSet {
    /// How the data was given.
    pub form: Form,
    /// Query rows as read, in file order: what re-matching searches.
    pub rows: Vec<InputRow>,
    /// Truth per query row, in the same order.
    pub queries: Vec<QueryTruth>,
    /// Record id → true person, for every labelled record.
    pub owner: HashMap<String, String>,
    /// Columns of the queries file.
    pub query_columns: Vec<String>,
    /// Position of the queries' id column, when there is one and its values are unique.
    pub id_column: Option<usize>,
    /// Records read.
    pub records: u64,
    /// Records without a label (they belong to nobody a query names).
    pub unlabelled_records: u64,
}

impl LabelledSet {
    /// Returns the name of the id column answers are aligned by, if any.
    pub fn id_column_name(&self) -> Option<&str> {
        self.id_column.map(|i| self.query_columns[i].as_str())
    }

    /// Returns the number of queries whose person has a record.
    pub fn present(&self) -> usize {
        self.queries.iter().filter(|q| q.present).count()
    }
}

/// Values of one debtor's true current contacts, as `truth/debtors.csv` writes them.
#[derive(Debug, Clone, Default)]
struct DebtorRow {
    person: String,
    address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    flags: Vec<String>,
}

/// Contact keys found in one person's source records.
#[derive(Debug, Clone, Default)]
struct PersonContacts {
    addresses: HashSet<String>,
    phones: HashSet<String>,
    emails: HashSet<String>,
}

/// Returns the delivery key of an address given in parts, when it has a street.
pub fn address_key(line1: &str, line2: &str, city: &str, state: &str, zip: &str) -> Option<String> {
    let (address, _) = Address::parse(line1, line2, city, state, zip);
    address.has_street().then(|| address.delivery_key())
}

/// Returns the address, phone and email keys of a raw record.
fn contact_keys(raw: &RawRecord) -> (Option<String>, Option<String>, Option<String>) {
    (
        address_key(
            raw.get(Field::AddressLine1),
            raw.get(Field::AddressLine2),
            raw.get(Field::City),
            raw.get(Field::State),
            raw.get(Field::Zip),
        ),
        parse_phone(raw.get(Field::Phone)).ok(),
        parse_email(raw.get(Field::Email)).ok(),
    )
}

/// Streams a headed CSV file, calling `each` with the header and every row.
fn for_each_csv_row(
    path: &Path,
    mut each: impl FnMut(&[String], &csv::StringRecord) -> Result<()>,
) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::Reader::from_reader(std::io::BufReader::with_capacity(1 << 16, file));
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        each(&headers, &record)?;
    }
    Ok(())
}

/// Reads `truth/records.csv`: record id → person id.
fn read_record_owners(path: &Path) -> Result<HashMap<String, String>> {
    let mut owner = HashMap::new();
    for_each_csv_row(path, |_, row| {
        if let (Some(record), Some(person)) = (row.get(0), row.get(1)) {
            owner.insert(record.to_string(), person.to_string());
        }
        Ok(())
    })?;
    Ok(owner)
}

/// Reads `truth/debtors.csv`: account id → the debtor's person, current contacts and flags.
fn read_debtors(path: &Path) -> Result<HashMap<String, DebtorRow>> {
    let mut debtors = HashMap::new();
    for_each_csv_row(path, |headers, row| {
        let get = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| row.get(i))
                .unwrap_or_default()
        };
        let flags = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| {
                !h.starts_with("current_") && !DEBTOR_FACT_COLUMNS.contains(&h.as_str())
            })
            .filter(|(i, _)| row.get(*i) == Some("true"))
            .map(|(_, h)| h.clone())
            .collect();
        let debtor = DebtorRow {
            person: get("person_id").to_string(),
            address: address_key(
                get("current_address_line1"),
                get("current_address_line2"),
                get("current_city"),
                get("current_state"),
                get("current_zip"),
            ),
            phone: parse_phone(get("current_phone")).ok(),
            email: parse_email(get("current_email")).ok(),
            flags,
        };
        debtors.insert(get("account_id").to_string(), debtor);
        Ok(())
    })?;
    Ok(debtors)
}

/// Collects the contact keys of every record belonging to one of `wanted`.
fn person_contacts(
    records: RecordReader,
    owner: &HashMap<String, String>,
    wanted: &HashSet<&str>,
) -> Result<HashMap<String, PersonContacts>> {
    let mut contacts: HashMap<String, PersonContacts> = HashMap::new();
    let mut records = records;
    loop {
        let batch: Vec<InputRow> = records.by_ref().take(BATCH_ROWS).collect();
        if batch.is_empty() {
            break;
        }
        let keyed: Vec<_> = batch
            .par_iter()
            .filter_map(|row| {
                let person = owner.get(row.raw.get(Field::RecordId))?;
                wanted
                    .contains(person.as_str())
                    .then(|| (person.clone(), contact_keys(&row.raw)))
            })
            .collect();
        for (person, (address, phone, email)) in keyed {
            let entry = contacts.entry(person).or_default();
            entry.addresses.extend(address);
            entry.phones.extend(phone);
            entry.emails.extend(email);
        }
    }
    records.finish()?;
    Ok(contacts)
}

/// Returns the masked form of a query.
fn masked(query: &NormalizedRecord) -> MaskedQuery {
    MaskedQuery {
        name: query.display_name.clone(),
        dob: query.dob.map(|d| dob_text(d, false)).unwrap_or_default(),
        ssn: query
            .ssn
            .as_ref()
            .map(|s| ssn_text(s, false))
            .unwrap_or_default(),
        zip: query
            .address
            .as_ref()
            .map(|a| a.zip5.clone())
            .unwrap_or_default(),
    }
}

/// Returns the truth of a contact kind, judged wherever truth has a value: a returned letter
/// does not prove a move, and confirming the one on file is an answer too.
fn contact_truth(
    truth: Option<&String>,
    query_has: Option<&String>,
    query_marks_bad: bool,
    known: Option<&HashSet<String>>,
) -> Option<ContactTruth> {
    let key = truth?;
    let on_file = Some(key) == query_has;
    Some(ContactTruth {
        key: key.clone(),
        findable: known.is_some_and(|k| k.contains(key)),
        on_file,
        marked_bad: on_file && query_marks_bad,
    })
}

/// Returns the query's id column (requested, or detected by name), dropped when its values are
/// not unique.
fn unique_id_column(
    columns: &[String],
    rows: &[InputRow],
    requested: Option<&str>,
) -> Result<Option<usize>> {
    let Some(column) = bulk::id_column(columns, requested)? else {
        return Ok(None);
    };
    let mut seen = HashSet::with_capacity(rows.len());
    let unique = rows
        .iter()
        .all(|row| seen.insert(row.values[column].as_str()));
    if !unique && requested.is_some() {
        return Err(InputError::new(
            0,
            columns[column].clone(),
            "--id-column: values are not unique",
        )
        .into());
    }
    Ok(unique.then_some(column))
}

fn query_id(row: &InputRow, id_column: Option<usize>) -> String {
    match id_column {
        Some(column) => row.values[column].clone(),
        None => format!("row {}", row.row),
    }
}

/// Reads a `skiptrace synth` folder: `returned_mail.csv` (queries, mapped with
/// `query_overrides`), `truth/records.csv`, `truth/debtors.csv`, and `records.csv` (mapped with
/// `record_overrides`, to learn which current contacts appear in some record of their person).
/// `id_column` names the account column when it is not detected.
///
/// # Errors
/// When a file is missing or malformed, or a query's account is not in the truth.
#[tracing::instrument(skip_all, fields(dir = %dir.display()))]
pub fn load_synth(
    dir: &Path,
    query_overrides: &MappingOverrides,
    record_overrides: &MappingOverrides,
    id_column: Option<&str>,
) -> Result<LabelledSet> {
    let owner = read_record_owners(&dir.join("truth").join("records.csv"))?;
    let debtors = read_debtors(&dir.join("truth").join("debtors.csv"))?;
    let mail_path = dir.join("returned_mail.csv");
    let mut reader = RecordReader::open(&mail_path, query_overrides)?;
    let query_columns = reader.mapping().columns.clone();
    let rows: Vec<InputRow> = reader.by_ref().collect();
    reader.finish()?;
    let account = bulk::id_column(&query_columns, id_column)?.ok_or_else(|| {
        InputError::new(
            0,
            "account_id",
            format!("{} has no account id column", mail_path.display()),
        )
    })?;
    let wanted: HashSet<&str> = debtors.values().map(|d| d.person.as_str()).collect();
    let records_reader = RecordReader::open(&dir.join("records.csv"), record_overrides)?;
    let contacts = person_contacts(records_reader, &owner, &wanted)?;
    let with_records: HashSet<&str> = owner.values().map(String::as_str).collect();

    let mut queries = Vec::with_capacity(rows.len());
    for row in &rows {
        let account_id = &row.values[account];
        let debtor = debtors.get(account_id).ok_or_else(|| {
            InputError::new(
                row.row,
                query_columns[account].clone(),
                format!("account {account_id} is not in truth/debtors.csv"),
            )
        })?;
        let (query, _) = NormalizedRecord::from_raw(&row.raw);
        let own_address = query
            .address
            .as_ref()
            .filter(|a| a.has_street())
            .map(Address::delivery_key);
        let known = contacts.get(&debtor.person);
        queries.push(QueryTruth {
            id: account_id.clone(),
            row: row.row,
            person: debtor.person.clone(),
            present: with_records.contains(debtor.person.as_str()),
            address: contact_truth(
                debtor.address.as_ref(),
                own_address.as_ref(),
                query.on_file.address_mark == Some(AddressMark::Undeliverable),
                known.map(|k| &k.addresses),
            ),
            phone: contact_truth(
                debtor.phone.as_ref(),
                debtor.phone.as_ref().filter(|phone| {
                    query.phone.as_ref() == Some(*phone)
                        || query.on_file.other_phones.contains(phone)
                }),
                query.on_file.phones_bad,
                known.map(|k| &k.phones),
            ),
            email: contact_truth(
                debtor.email.as_ref(),
                query.email.as_ref(),
                false,
                known.map(|k| &k.emails),
            ),
            flags: debtor.flags.clone(),
            masked: masked(&query),
        });
    }
    let id_column = unique_id_column(&query_columns, &rows, id_column)?;
    Ok(LabelledSet {
        form: Form::Synth,
        records: owner.len() as u64,
        unlabelled_records: 0,
        owner,
        rows,
        queries,
        query_columns,
        id_column,
    })
}

/// Returns the position of the label column, checking it maps to no field.
fn label_position(reader: &RecordReader, label: &str, file: &str) -> Result<usize> {
    let mapping = reader.mapping();
    let position = mapping
        .columns
        .iter()
        .position(|c| c.trim().eq_ignore_ascii_case(label.trim()))
        .ok_or_else(|| {
            InputError::new(
                0,
                label,
                format!("--label-column: the {file} have no such column"),
            )
        })?;
    if let Some(field) = mapping.fields[position] {
        return Err(InputError::new(
            0,
            label,
            format!(
                "the label column maps to {} in the {file}: open them with MappingOverrides::ignoring",
                field.name()
            ),
        )
        .into());
    }
    Ok(position)
}

/// Reads labelled data given as a records file and a queries file that share the column
/// `label` naming the true person. Both readers must be opened with overrides
/// [`ignoring`](MappingOverrides::ignoring) the label, so it maps to no field. A query with an
/// empty label, or a label no record carries, has no record: its right answer is no match.
///
/// # Errors
/// When a file lacks the label column, or the label maps to a field.
pub fn load_labelled(
    mut records: RecordReader,
    mut queries: RecordReader,
    label: &str,
    id_column: Option<&str>,
) -> Result<LabelledSet> {
    let record_label = label_position(&records, label, "records")?;
    let query_label = label_position(&queries, label, "queries")?;
    let mut owner = HashMap::new();
    let (mut read, mut unlabelled) = (0u64, 0u64);
    for row in records.by_ref() {
        read += 1;
        let person = row.values[record_label].trim();
        if person.is_empty() {
            unlabelled += 1;
            continue;
        }
        owner.insert(row.raw.get(Field::RecordId).to_string(), person.to_string());
    }
    records.finish()?;
    let with_records: HashSet<&str> = owner.values().map(String::as_str).collect();
    let query_columns = queries.mapping().columns.clone();
    let rows: Vec<InputRow> = queries.by_ref().collect();
    queries.finish()?;
    let id_column = unique_id_column(&query_columns, &rows, id_column)?;
    let queries = rows
        .iter()
        .map(|row| {
            let person = row.values[query_label].trim().to_string();
            let (query, _) = NormalizedRecord::from_raw(&row.raw);
            QueryTruth {
                id: query_id(row, id_column),
                row: row.row,
                present: !person.is_empty() && with_records.contains(person.as_str()),
                person,
                address: None,
                phone: None,
                email: None,
                flags: Vec::new(),
                masked: masked(&query),
            }
        })
        .collect();
    Ok(LabelledSet {
        form: Form::Labelled,
        rows,
        queries,
        owner,
        query_columns,
        id_column,
        records: read,
        unlabelled_records: unlabelled,
    })
}

/// Counts queries per hard-case flag.
pub fn flag_counts(queries: &[QueryTruth]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for flag in queries.iter().flat_map(|q| &q.flags) {
        *counts.entry(flag.clone()).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(text: &'static str, overrides: &MappingOverrides) -> RecordReader {
        RecordReader::from_reader(Box::new(text.as_bytes()), None, overrides, "file", None)
            .expect("reader")
    }

    const RECORDS: &str = "person,record_id,first_name,last_name,dob,ssn\n\
        P1,r1,Ann,Lee,1980-02-03,123-45-6789\n\
        P1,r2,Ann,Lee,,\n\
        P2,r3,Bo,Chu,,\n\
        ,r4,Cy,Dee,,\n";
    const QUERIES: &str = "account_id,person,first_name,last_name,dob,ssn\n\
        A1,P1,Ann,Lee,1980-02-03,123-45-6789\n\
        A2,P9,Di,Eve,,\n\
        A3,,Ed,Fox,,\n";

    #[test]
    fn labels_name_the_true_person_and_never_a_field() {
        let overrides = MappingOverrides::default().ignoring("person");
        let set = load_labelled(
            reader(RECORDS, &overrides),
            reader(QUERIES, &overrides),
            "person",
            None,
        )
        .expect("loaded");
        assert_eq!((set.records, set.unlabelled_records), (4, 1));
        assert_eq!(set.owner.get("r2").map(String::as_str), Some("P1"));
        assert!(!set.owner.contains_key("r4"));
        let present: Vec<bool> = set.queries.iter().map(|q| q.present).collect();
        assert_eq!(present, vec![true, false, false]);
        assert_eq!(set.queries[0].id, "A1");
        assert_eq!(set.id_column_name(), Some("account_id"));
        for row in &set.rows {
            for field in Field::ALL {
                assert!(
                    !row.raw.get(field).starts_with('P'),
                    "label leaked into {field:?}"
                );
            }
        }
        let masked = &set.queries[0].masked;
        assert_eq!(
            (masked.dob.as_str(), masked.ssn.as_str()),
            ("1980", "***-**-6789")
        );
    }

    #[test]
    fn a_mapped_or_missing_label_column_is_refused() {
        let plain = MappingOverrides::default();
        let mapped = "ssn,first_name\n1,Ann\n";
        let error = load_labelled(reader(mapped, &plain), reader(mapped, &plain), "ssn", None)
            .expect_err("mapped label");
        assert!(error.to_string().contains("maps to ssn"), "{error}");
        let overrides = MappingOverrides::default().ignoring("nope");
        let error = load_labelled(
            reader(RECORDS, &overrides),
            reader(QUERIES, &overrides),
            "nope",
            None,
        )
        .expect_err("missing label");
        assert!(error.to_string().contains("no such column"), "{error}");
    }

    #[test]
    fn contact_truth_is_judged_on_file_or_not_and_says_which() {
        let key = "1 main st||62704".to_string();
        let known: HashSet<String> = [key.clone()].into_iter().collect();
        let kept = contact_truth(Some(&key), Some(&key), false, Some(&known)).expect("judged");
        assert!(kept.on_file && kept.findable && !kept.marked_bad);
        let returned = contact_truth(Some(&key), Some(&key), true, Some(&known)).expect("judged");
        assert!(returned.marked_bad);
        let truth = contact_truth(Some(&key), None, true, Some(&known)).expect("judged");
        assert!(truth.findable && !truth.on_file && !truth.marked_bad);
        assert!(
            !contact_truth(Some(&key), None, false, None)
                .expect("judged")
                .findable
        );
        assert_eq!(contact_truth(None, None, false, None), None);
    }

    #[test]
    fn duplicate_ids_are_not_used_for_alignment() {
        let overrides = MappingOverrides::default().ignoring("person");
        let queries = "account_id,person,last_name\nA1,P1,Lee\nA1,P2,Chu\n";
        let set = load_labelled(
            reader(RECORDS, &overrides),
            reader(queries, &overrides),
            "person",
            None,
        )
        .expect("loaded");
        assert_eq!(set.id_column, None);
        assert_eq!(set.queries[1].id, "row 2");
    }
}
