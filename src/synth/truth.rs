//! Writers: `records.csv` and `truth/records.csv` streamed chunk by chunk, `returned_mail.csv`
//! with `truth/debtors.csv`, `truth/people.csv` and `truth/config.json`. Ids are stable and
//! sortable: `R00000001` (records), `P00000001` (people), `H00000001` (households), `A0000001`
//! (accounts).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::config::SynthConfig;
use super::identifiers::ssn_digits;
use super::population::{Person, Window};
use super::returned_mail::{Debt, SsnGiven, MAIL_COLUMNS};
use super::sources::SourceRecord;
use crate::error::{Error, Result};
use crate::record::Field;

/// Columns of `truth/people.csv`. `father_of` / `son_of` link same-name fathers and sons
/// (Sr/Jr); `twin_of` links twins; `married_on` is the day the surname (may have) changed.
pub(crate) const PEOPLE_COLUMNS: [&str; 16] = [
    "person_id",
    "household_id",
    "sex",
    "first",
    "middle",
    "last",
    "birth_last",
    "suffix",
    "dob",
    "ssn",
    "deceased",
    "twin_of",
    "father_of",
    "son_of",
    "ethnicity",
    "married_on",
];

/// Columns of `truth/debtors.csv`.
pub(crate) const DEBTOR_COLUMNS: [&str; 20] = [
    "account_id",
    "person_id",
    "in_sources",
    "current_address_line1",
    "current_address_line2",
    "current_city",
    "current_state",
    "current_zip",
    "current_phone",
    "current_email",
    "moved",
    "unit_missing",
    "surname_changed",
    "nickname_used",
    "dob_error",
    "ssn_missing",
    "ssn_last4",
    "jr_sr",
    "twin",
    "common_name",
];

/// Person id of global person number `index`.
pub(crate) fn person_id(index: usize) -> String {
    format!("P{:08}", index + 1)
}

/// Household id of global household number `index`.
pub(crate) fn household_id(index: usize) -> String {
    format!("H{:08}", index + 1)
}

/// Opens a buffered CSV writer on `path`.
fn csv_writer(path: &Path) -> Result<csv::Writer<BufWriter<File>>> {
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    Ok(csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, file)))
}

/// Flushes a CSV writer, naming the file on failure.
fn finish(mut writer: csv::Writer<BufWriter<File>>, path: &Path) -> Result<()> {
    writer.flush().map_err(|e| Error::io(path, e))
}

/// Streams source records and their truth.
pub(crate) struct RecordsWriter {
    records_path: PathBuf,
    truth_path: PathBuf,
    records: csv::Writer<BufWriter<File>>,
    truth: csv::Writer<BufWriter<File>>,
    written: u64,
}

impl RecordsWriter {
    /// Creates `records.csv` and `truth/records.csv` with their headers.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Csv`] when a file cannot be created or written.
    pub(crate) fn create(out_dir: &Path) -> Result<RecordsWriter> {
        let records_path = out_dir.join("records.csv");
        let truth_path = out_dir.join("truth").join("records.csv");
        let mut records = csv_writer(&records_path)?;
        let mut truth = csv_writer(&truth_path)?;
        records.write_record(synth_record_fields().map(Field::name))?;
        truth.write_record(["record_id", "person_id"])?;
        Ok(RecordsWriter {
            records_path,
            truth_path,
            records,
            truth,
            written: 0,
        })
    }

    /// Writes one record with the next record id.
    ///
    /// # Errors
    /// [`Error::Csv`] when writing fails.
    pub(crate) fn write(&mut self, record: &mut SourceRecord) -> Result<()> {
        self.written += 1;
        let id = format!("R{:08}", self.written);
        record.values[Field::RecordId as usize].clone_from(&id);
        self.records
            .write_record(synth_record_fields().map(|f| &record.values[f as usize]))?;
        self.truth
            .write_record([id.as_str(), person_id(record.person).as_str()])?;
        Ok(())
    }

    /// Flushes both files; returns the number of records.
    ///
    /// # Errors
    /// [`Error::Io`] when flushing fails.
    pub(crate) fn finish(self) -> Result<u64> {
        finish(self.records, &self.records_path)?;
        finish(self.truth, &self.truth_path)?;
        Ok(self.written)
    }
}

/// Writes `truth/people.csv`.
pub(crate) struct PeopleWriter {
    path: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
}

/// Where a person sits in the global numbering.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PersonPlace {
    /// Global person number.
    pub(crate) person: usize,
    /// Global household number.
    pub(crate) household: usize,
    /// Global number of the household's first member (local links are offsets from it).
    pub(crate) household_first: usize,
}

impl PeopleWriter {
    /// Creates the file with its header.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Csv`].
    pub(crate) fn create(out_dir: &Path) -> Result<PeopleWriter> {
        let path = out_dir.join("truth").join("people.csv");
        let mut writer = csv_writer(&path)?;
        writer.write_record(PEOPLE_COLUMNS)?;
        Ok(PeopleWriter { path, writer })
    }

    /// Writes one person.
    ///
    /// # Errors
    /// [`Error::Csv`].
    pub(crate) fn write(
        &mut self,
        person: &Person,
        place: PersonPlace,
        window: Window,
    ) -> Result<()> {
        let link = |local: Option<usize>| {
            local
                .map(|i| person_id(place.household_first + i))
                .unwrap_or_default()
        };
        let current = person.surname_at(person.end_of_life(window));
        let row = [
            person_id(place.person),
            household_id(place.household),
            person.sex.code().to_string(),
            person.given.to_string(),
            person.middle.unwrap_or_default().to_string(),
            current.canonical(),
            person.birth_surname.canonical(),
            person
                .suffix
                .map(|s| s.label())
                .unwrap_or_default()
                .to_string(),
            person.dob.iso(),
            ssn_digits(person.ssn),
            person.death.map(|d| d.iso()).unwrap_or_default(),
            link(person.twin_of),
            link(person.namesake_son),
            link(person.namesake_father),
            person.ethnicity.label().to_string(),
            person.marriage.map(|m| m.day.iso()).unwrap_or_default(),
        ];
        self.writer.write_record(&row)?;
        Ok(())
    }

    /// Flushes the file.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub(crate) fn finish(self) -> Result<()> {
        finish(self.writer, &self.path)
    }
}

/// `true` / `false`.
fn flag(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// Writes `returned_mail.csv` and `truth/debtors.csv`, in the given order, numbering accounts.
///
/// # Errors
/// [`Error::Io`] or [`Error::Csv`].
pub(crate) fn write_debts(out_dir: &Path, debts: &mut [Debt], split_layout: bool) -> Result<()> {
    let mail_path = out_dir.join("returned_mail.csv");
    let truth_path = out_dir.join("truth").join("debtors.csv");
    let mut mail = csv_writer(&mail_path)?;
    let mut truth = csv_writer(&truth_path)?;
    if split_layout {
        mail.write_record(split_row(&MAIL_COLUMNS.map(String::from), true))?;
    } else {
        mail.write_record(MAIL_COLUMNS)?;
    }
    truth.write_record(DEBTOR_COLUMNS)?;
    for (index, debt) in debts.iter_mut().enumerate() {
        let account = format!("A{:07}", index + 1);
        debt.row[0].clone_from(&account);
        if split_layout {
            mail.write_record(split_row(&debt.row, false))?;
        } else {
            mail.write_record(&debt.row)?;
        }
        let t = &debt.truth;
        let row = [
            account.as_str(),
            &person_id(t.person),
            flag(t.in_sources),
            &t.current_line1,
            &t.current_line2,
            &t.current_city,
            &t.current_state,
            &t.current_zip,
            &t.current_phone,
            &t.current_email,
            flag(t.moved),
            flag(t.unit_missing),
            flag(t.surname_changed),
            flag(t.nickname_used),
            flag(t.dob_error),
            flag(t.ssn == SsnGiven::Missing),
            flag(t.ssn == SsnGiven::Last4),
            flag(t.jr_sr),
            flag(t.twin),
            flag(t.common_name),
        ];
        truth.write_record(row)?;
    }
    finish(mail, &mail_path)?;
    finish(truth, &truth_path)
}

/// Returns a returned-mail row (or, with `header`, the header) in the split layout: `ssn_last4`
/// before `ssn`, a last 4 in the first and a full SSN in the second; `street_number` and
/// `street_name` in place of `address_line1` (a line that does not start with a number keeps
/// it all in `street_name`).
fn split_row(row: &[String], header: bool) -> Vec<String> {
    let mut out = Vec::with_capacity(row.len() + 2);
    for (column, value) in MAIL_COLUMNS.iter().zip(row) {
        match *column {
            "ssn" if header => out.extend(["ssn_last4".to_string(), "ssn".to_string()]),
            "ssn" if value.len() == 4 => out.extend([value.clone(), String::new()]),
            "ssn" => out.extend([String::new(), value.clone()]),
            "address_line1" if header => {
                out.extend(["street_number".to_string(), "street_name".to_string()]);
            }
            "address_line1" => {
                let (number, name) = match value.split_once(' ') {
                    Some((number, name)) if number.starts_with(|c: char| c.is_ascii_digit()) => {
                        (number.to_string(), name.to_string())
                    }
                    _ => (String::new(), value.clone()),
                };
                out.extend([number, name]);
            }
            _ => out.push(value.clone()),
        }
    }
    out
}

/// Writes `truth/config.json`.
///
/// # Errors
/// [`Error::Json`] or [`Error::Io`].
pub(crate) fn write_config(out_dir: &Path, config: &SynthConfig) -> Result<()> {
    let path = out_dir.join("truth").join("config.json");
    let mut text = config.to_json_pretty()?;
    text.push('\n');
    let mut file = File::create(&path).map_err(|e| Error::io(&path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(&path, e))
}

/// The columns of a generated `records.csv`: the record fields the generated sources fill (no
/// source in the synthetic population carries an identifier other than the SSN, and each
/// writes its street line whole).
fn synth_record_fields() -> impl Iterator<Item = Field> {
    Field::record_fields()
        .filter(|f| !matches!(f, Field::OtherId | Field::HouseNumber | Field::StreetName))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fixed_width_and_one_based() {
        assert_eq!(person_id(0), "P00000001");
        assert_eq!(household_id(41), "H00000042");
        assert_eq!(flag(true), "true");
        assert_eq!(DEBTOR_COLUMNS.len(), 20);
        assert_eq!(MAIL_COLUMNS[0], "account_id");
    }

    #[test]
    fn the_split_layout_puts_each_ssn_and_street_part_in_its_own_column() {
        let header = split_row(&MAIL_COLUMNS.map(String::from), true);
        let row = |ssn: &str, line1: &str| {
            let mut row: Vec<String> = MAIL_COLUMNS.iter().map(|_| String::new()).collect();
            row[6] = ssn.into();
            row[7] = line1.into();
            split_row(&row, false)
        };
        let at = |row: &[String], name: &str| {
            let i = header.iter().position(|c| c == name).expect(name);
            row[i].clone()
        };
        let full = row("123456789", "12 ELM ST");
        assert_eq!(full.len(), header.len());
        assert_eq!(
            (at(&full, "ssn_last4"), at(&full, "ssn")),
            ("".into(), "123456789".into())
        );
        assert_eq!(
            (at(&full, "street_number"), at(&full, "street_name")),
            ("12".into(), "ELM ST".into())
        );
        let last4 = row("6789", "PO BOX 12");
        assert_eq!(
            (at(&last4, "ssn_last4"), at(&last4, "ssn")),
            ("6789".into(), "".into())
        );
        assert_eq!(at(&last4, "street_name"), "PO BOX 12");
    }
}
