//! Reading outcome reports from a file's rows: which column holds the outcome, its date, who
//! reported it, the record the contact was offered from and the account; the contact itself
//! comes from the row's phone, email or address columns, recognised as everywhere else.

use super::{contact_key, Outcome, OutcomeKind, ReportedContact};
use crate::error::{InputError, Result};
use crate::input::InputRow;
use crate::normalize::{parse_date, Date};
use crate::record::Field;

/// Header spellings of the outcome column (compared without case, spaces or punctuation).
const OUTCOME_NAMES: [&str; 4] = ["outcome", "result", "disposition", "outcomecode"];
/// Header spellings of the outcome's date.
const DATE_NAMES: [&str; 6] = [
    "at",
    "date",
    "outcomedate",
    "reportedat",
    "attemptdate",
    "when",
];
/// Header spellings of who reported it.
const REPORTER_NAMES: [&str; 4] = ["reportedby", "collector", "agent", "reporter"];
/// Header spellings of the record the contact was offered from.
const RECORD_NAMES: [&str; 3] = ["matchrecordid", "recordid", "record"];
/// Header spellings of the creditor's account reference.
const ACCOUNT_NAMES: [&str; 6] = [
    "accountid",
    "account",
    "acct",
    "accountnumber",
    "clientreference",
    "reference",
];

/// The reports of a whole file: those recorded, and the rows refused with why.
#[derive(Debug, Default)]
pub struct ReadReports {
    /// Data rows read.
    pub rows: u64,
    /// One outcome per readable row, in file order.
    pub outcomes: Vec<Outcome>,
    /// The rows that could not be read, by row and column.
    pub rejected: Vec<InputError>,
}

/// Reads every row of `reader` as a report (see [`OutcomeColumns::outcome`]).
///
/// # Errors
/// When the file has no outcome or record column ([`OutcomeColumns::find`]).
pub fn read_reports(
    reader: crate::input::RecordReader,
    reported_by: &str,
    today: Date,
) -> Result<ReadReports> {
    let columns = reader.mapping().columns.clone();
    let found = OutcomeColumns::find(&columns)?;
    let mut read = ReadReports::default();
    for row in reader {
        read.rows += 1;
        match found.outcome(&row, &columns, reported_by, today) {
            Ok(outcome) => read.outcomes.push(outcome),
            Err(error) => read.rejected.push(error),
        }
    }
    Ok(read)
}

/// Where an outcome file keeps each part of a report.
#[derive(Debug, Clone)]
pub struct OutcomeColumns {
    outcome: usize,
    record: usize,
    at: Option<usize>,
    reported_by: Option<usize>,
    account: Option<usize>,
}

impl OutcomeColumns {
    /// Finds the columns by their header.
    ///
    /// # Errors
    /// When the file has no outcome column or no record column (`match_record_id`, as a search
    /// or re-match gave it).
    pub fn find(columns: &[String]) -> Result<OutcomeColumns> {
        let find = |names: &[&str]| {
            columns.iter().position(|c| {
                let key: String = c
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .flat_map(char::to_lowercase)
                    .collect();
                names.contains(&key.as_str())
            })
        };
        let outcome = find(&OUTCOME_NAMES).ok_or_else(|| {
            InputError::new(
                0,
                "outcome",
                format!(
                    "no outcome column (one of: {})",
                    OutcomeKind::ALL.map(OutcomeKind::as_str).join(", ")
                ),
            )
        })?;
        let record = find(&RECORD_NAMES).ok_or_else(|| {
            InputError::new(
                0,
                "match_record_id",
                "no match_record_id column: each outcome names the record its contact was offered \
                 from (match_record_id of the search or re-match)",
            )
        })?;
        Ok(OutcomeColumns {
            outcome,
            record,
            at: find(&DATE_NAMES),
            reported_by: find(&REPORTER_NAMES),
            account: find(&ACCOUNT_NAMES),
        })
    }

    /// Reads one row's report. `reported_by` is used when the row names no reporter, `today`
    /// when it gives no date.
    ///
    /// # Errors
    /// An [`InputError`] naming the row and the column at fault.
    pub fn outcome(
        &self,
        row: &InputRow,
        columns: &[String],
        reported_by: &str,
        today: Date,
    ) -> std::result::Result<Outcome, InputError> {
        if let Some(issue) = row.issues.first() {
            return Err(issue.clone());
        }
        let cell = |i: usize| row.values.get(i).map_or("", |v| v.trim());
        let error = |column: usize, message: String| {
            InputError::new(row.row, columns[column].clone(), message)
        };
        let kind = OutcomeKind::from_name(cell(self.outcome)).ok_or_else(|| {
            error(
                self.outcome,
                format!(
                    "unknown outcome {:?} (one of: {})",
                    cell(self.outcome),
                    OutcomeKind::ALL.map(OutcomeKind::as_str).join(", ")
                ),
            )
        })?;
        let record_id = cell(self.record);
        if record_id.is_empty() {
            return Err(error(
                self.record,
                "empty: the outcome needs the record its contact was offered from".into(),
            ));
        }
        let contact = ReportedContact {
            phone: row.raw.get(Field::Phone).to_string(),
            email: row.raw.get(Field::Email).to_string(),
            address_line1: row.raw.get(Field::AddressLine1).to_string(),
            address_line2: row.raw.get(Field::AddressLine2).to_string(),
            city: row.raw.get(Field::City).to_string(),
            state: row.raw.get(Field::State).to_string(),
            zip: row.raw.get(Field::Zip).to_string(),
        };
        let (channel, key) = contact_key(&contact)
            .map_err(|(field, message)| InputError::new(row.row, field, message))?;
        if !kind.fits(channel) {
            return Err(error(
                self.outcome,
                format!(
                    "{} is not an outcome of a {}",
                    kind.as_str(),
                    channel.as_str()
                ),
            ));
        }
        let at = match self.at.map(cell).filter(|v| !v.is_empty()) {
            None => today,
            Some(text) => {
                let column = self.at.unwrap_or_default();
                let date = parse_date(text).map_err(|e| error(column, e.to_string()))?;
                if !date.is_full() || date > today {
                    return Err(error(column, "needs a full date, not in the future".into()));
                }
                date
            }
        };
        let reported_by = self
            .reported_by
            .map(cell)
            .filter(|v| !v.is_empty())
            .unwrap_or(reported_by);
        Ok(Outcome {
            outcome: kind,
            channel,
            contact: key,
            record_id: record_id.to_string(),
            account: self.account.map(cell).unwrap_or_default().to_string(),
            at,
            reported_by: reported_by.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{InputFormat, MappingOverrides, RecordReader};

    fn rows(text: &str) -> (Vec<String>, Vec<InputRow>) {
        let reader = RecordReader::from_reader(
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            Some(InputFormat::Csv { delimiter: b',' }),
            &MappingOverrides::default(),
            "outcomes",
            None,
        )
        .expect("reader");
        let columns = reader.mapping().columns.clone();
        (columns, reader.collect())
    }

    #[test]
    fn rows_become_outcomes_or_name_their_fault() {
        let (columns, rows) = rows(
            "account_id,match_record_id,outcome,phone,address_line1,zip,date,collector\n\
             A1,R1,right_party,(614) 555-0142,,,2026-10-02,desk 4\n\
             A1,R1,mail_returned,,12 Elm St,45402,,\n\
             A2,R2,answered,614-555-0142,,,,\n\
             A2,,no_answer,614-555-0142,,,,\n\
             A3,R3,mail_returned,614-555-0142,,,,\n\
             A3,R3,no_answer,614-555-0142,,,2026-12-31,\n",
        );
        let found = OutcomeColumns::find(&columns).expect("columns");
        let today = parse_date("2026-12-05").expect("date");
        let read: Vec<_> = rows
            .iter()
            .map(|r| found.outcome(r, &columns, "loader", today))
            .collect();
        let first = read[0].as_ref().expect("first");
        assert_eq!(
            (
                first.outcome,
                first.contact.as_str(),
                first.reported_by.as_str(),
                first.account.as_str()
            ),
            (OutcomeKind::RightParty, "6145550142", "desk 4", "A1")
        );
        let second = read[1].as_ref().expect("second");
        assert_eq!((second.at, second.reported_by.as_str()), (today, "loader"));
        let faults: Vec<String> = read[2..]
            .iter()
            .map(|r| r.as_ref().expect_err("refused").to_string())
            .collect();
        assert!(
            faults[0].contains("outcome") && faults[0].contains("answered"),
            "{faults:?}"
        );
        assert!(faults[1].contains("match_record_id"), "{faults:?}");
        assert!(
            faults[2].contains("not an outcome of a phone"),
            "{faults:?}"
        );
        assert!(faults[3].contains("future"), "{faults:?}");
    }

    #[test]
    fn a_file_without_the_needed_columns_is_refused() {
        let (columns, _) = rows("account_id,phone\nA1,6145550142\n");
        let error = OutcomeColumns::find(&columns).expect_err("no outcome column");
        assert!(error.to_string().contains("no outcome column"), "{error}");
        let (columns, _) = rows("account_id,outcome,phone\nA1,right_party,6145550142\n");
        let error = OutcomeColumns::find(&columns).expect_err("no record column");
        assert!(error.to_string().contains("match_record_id"), "{error}");
    }
}
