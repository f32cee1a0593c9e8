//! The creditor's returned-mail file: debtors as the creditor recorded them when each debt was
//! opened (1–8 years before `as_of`): the name then (maiden name if married since), the address
//! then (stale for movers), the phone then (sometimes a second one), SSN full / last 4 /
//! missing, DOB, sometimes email, with small creditor-side error rates, and often the reason the
//! mail came back. A returned letter does not prove a move: a share of debtors still live
//! there, their mail returned for a missing unit or a carrier's reason. Each row has a truth
//! row saying who it is and what makes it hard.

use rand::Rng;

use super::calendar::Day;
use super::config::{CaseStyle, DobFormat, PhoneFormat, SynthConfig};
use super::identifiers::ssn_digits;
use super::noise::{
    apply_case, dob_error_kind, format_dob, format_phone, format_ssn, render_address, render_name,
    ssn_typo, wrong_dob, AddressParts, AddressRates, NameRates,
};
use super::places::Address;
use super::population::{Person, Window};
use super::sampling::{chance, uniform};

/// Columns of `returned_mail.csv`.
pub(crate) const MAIL_COLUMNS: [&str; 17] = [
    "account_id",
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "dob",
    "ssn",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip",
    "phone",
    "email",
    "open_date",
    "phone2",
    "return_reason",
];

/// Return reasons of a mover's letter (USPS endorsements).
const MOVED_REASONS: [&str; 4] = [
    "MOVED LEFT NO ADDRESS",
    "ATTEMPTED NOT KNOWN",
    "FORWARDING ORDER EXPIRED",
    "UNABLE TO FORWARD",
];

/// Return reasons of a letter a carrier returned though the debtor lives there.
const CARRIER_REASONS: [&str; 2] = ["NOT DELIVERABLE AS ADDRESSED", "ATTEMPTED NOT KNOWN"];

/// Why the letter came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReturnCause {
    /// The debtor moved away.
    Moved,
    /// The debtor lives there; the file's address lacks the unit.
    UnitMissing,
    /// The debtor lives there; the carrier returned it anyway.
    Carrier,
}

/// Share of creditor addresses without their unit (design choice: creditors key addresses
/// carefully, sources less so).
const CREDITOR_UNIT_DROPPED_RATE: f64 = 0.02;
/// Share of creditor addresses with the unit on line 1 (design choice).
const CREDITOR_UNIT_IN_LINE1_RATE: f64 = 0.3;

/// How the file gives the SSN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SsnGiven {
    /// Nine digits.
    Full,
    /// Last four digits.
    Last4,
    /// No SSN.
    Missing,
}

/// Ground truth for one debtor row (`truth/debtors.csv`).
#[derive(Debug, Clone)]
pub(crate) struct DebtorTruth {
    /// Global person number.
    pub(crate) person: usize,
    /// The person has at least one source record.
    pub(crate) in_sources: bool,
    /// Latest address, line 1, canonical (`123 N MAIN ST`).
    pub(crate) current_line1: String,
    /// Latest address, line 2, canonical (`APT 4`).
    pub(crate) current_line2: String,
    /// Latest city, upper case.
    pub(crate) current_city: String,
    /// Latest state code.
    pub(crate) current_state: String,
    /// Latest 5-digit ZIP.
    pub(crate) current_zip: String,
    /// Latest mobile, else landline, 10 digits.
    pub(crate) current_phone: String,
    /// Latest email.
    pub(crate) current_email: String,
    /// The file's address differs from the current one.
    pub(crate) moved: bool,
    /// The debtor lives at the file's address, which lacks its unit.
    pub(crate) unit_missing: bool,
    /// The file's (true) surname differs from the current one.
    pub(crate) surname_changed: bool,
    /// The file's given name is a nickname.
    pub(crate) nickname_used: bool,
    /// The file's DOB is present and wrong.
    pub(crate) dob_error: bool,
    /// How the SSN was given.
    pub(crate) ssn: SsnGiven,
    /// The person has a same-name father or son.
    pub(crate) jr_sr: bool,
    /// The person has a twin.
    pub(crate) twin: bool,
    /// First+last held by 2+ people, or a Census top-100 surname.
    pub(crate) common_name: bool,
}

/// One debtor: the file row (account id filled at writing) and its truth.
#[derive(Debug, Clone)]
pub(crate) struct Debt {
    /// Values in [`MAIL_COLUMNS`] order; `account_id` empty.
    pub(crate) row: Vec<String>,
    /// What the row really is.
    pub(crate) truth: DebtorTruth,
}

/// The days a debt may have been opened on: `open_years_min..max` before `as_of`, while the
/// person was an adult with a known address and alive. `None` when there is no such day.
pub(crate) fn open_window(
    person: &Person,
    window: Window,
    config: &SynthConfig,
) -> Option<(Day, Day)> {
    let mail = &config.returned_mail;
    let first_home = person.residences.first()?.move_in;
    let earliest = window
        .as_of
        .plus_years(-(mail.open_years_max as i32))
        .max(person.adult_from())
        .max(first_home);
    let latest = window
        .as_of
        .plus_years(-(mail.open_years_min as i32))
        .min(person.end_of_life(window).plus_days(-1));
    (earliest < latest).then_some((earliest, latest))
}

/// Facts about the person the debt row needs from the whole population.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DebtorFacts {
    /// Global person number.
    pub(crate) person: usize,
    /// Has source records.
    pub(crate) in_sources: bool,
    /// Common name (see [`DebtorTruth::common_name`]).
    pub(crate) common_name: bool,
}

/// Builds the creditor's row for `person` and its truth.
pub(crate) fn make_debt<R: Rng + ?Sized>(
    rng: &mut R,
    person: &Person,
    facts: DebtorFacts,
    open: (Day, Day),
    window: Window,
    config: &SynthConfig,
) -> Debt {
    let mail = &config.returned_mail;
    let open = mover_or_not_window(rng, person, open, window, config);
    let span = open.1.days_since(open.0).max(1);
    let open_date = open.0.plus_days(rng.random_range(0..span));
    let case = if chance(rng, 0.4) {
        CaseStyle::Upper
    } else {
        CaseStyle::Title
    };
    let (name, name_outcome) =
        render_name(rng, person, open_date, NameRates::from(mail), &config.noise);
    let (dob_text, dob_error) = creditor_dob(rng, person, config);
    let (ssn_text, ssn_given) = creditor_ssn(rng, person, config);
    let current_address = current_residence(person, window).address;
    let contact = creditor_contact(rng, person, open_date, current_address, config);
    let reason_share = match contact.cause {
        ReturnCause::Carrier => mail.carrier_return_reason_share,
        ReturnCause::Moved | ReturnCause::UnitMissing => mail.return_reason_share,
    };
    let return_reason = if chance(rng, reason_share) {
        let reasons: &[&str] = match contact.cause {
            ReturnCause::Moved => &MOVED_REASONS,
            ReturnCause::UnitMissing => &["INSUFFICIENT ADDRESS"],
            ReturnCause::Carrier => &CARRIER_REASONS,
        };
        reasons[rng.random_range(0..reasons.len())].to_string()
    } else {
        String::new()
    };
    let row = vec![
        String::new(),
        apply_case(&name.first, case),
        apply_case(&name.middle, case),
        apply_case(&name.last, case),
        apply_case(&name.suffix, case),
        dob_text,
        ssn_text,
        apply_case(&contact.lines.line1, case),
        apply_case(&contact.lines.line2, case),
        apply_case(&contact.lines.city, case),
        contact.lines.state.to_uppercase(),
        contact.lines.zip,
        contact.phone,
        contact.email,
        open_date.iso(),
        contact.phone2,
        return_reason,
    ];
    let file = FileFacts {
        open_date,
        address: contact.address,
        unit_missing: contact.cause == ReturnCause::UnitMissing,
        nickname_used: name_outcome.nickname,
        dob_error,
        ssn: ssn_given,
    };
    Debt {
        row,
        truth: debtor_truth(person, facts, file, window),
    }
}

/// The residence the person lives in at the end of the window (or of life).
fn current_residence(person: &Person, window: Window) -> &super::population::Residence {
    let index = person
        .residence_index_at(person.end_of_life(window))
        .unwrap_or(person.residences.len() - 1);
    &person.residences[index]
}

/// Narrows the open window so that the debtor moved since (or did not, at
/// `non_mover_share`), when the history allows either; else returns it unchanged.
fn mover_or_not_window<R: Rng + ?Sized>(
    rng: &mut R,
    person: &Person,
    open: (Day, Day),
    window: Window,
    config: &SynthConfig,
) -> (Day, Day) {
    let moved_in = current_residence(person, window).move_in;
    let stays = chance(rng, config.returned_mail.non_mover_share);
    let narrowed = if stays {
        (open.0.max(moved_in), open.1)
    } else {
        (open.0, open.1.min(moved_in.plus_days(-1)))
    };
    if narrowed.0 < narrowed.1 {
        narrowed
    } else {
        open
    }
}

/// The contact points of the file: address, phone and email of the open date.
struct CreditorContact {
    /// The true address of the time.
    address: Address,
    /// How the creditor wrote it.
    lines: AddressParts,
    /// Why mail to it came back.
    cause: ReturnCause,
    /// Phone of the time, or empty.
    phone: String,
    /// Another phone of the time (the home's landline or the mobile), or empty.
    phone2: String,
    /// Email of the time, or empty.
    email: String,
}

fn creditor_contact<R: Rng + ?Sized>(
    rng: &mut R,
    person: &Person,
    open_date: Day,
    current: Address,
    config: &SynthConfig,
) -> CreditorContact {
    let mail = &config.returned_mail;
    let residence_index = person
        .residence_index_at(open_date)
        .expect("open_window starts at the first residence");
    let residence = &person.residences[residence_index];
    let address = residence.address;
    let has_unit = !address.canonical_line2().is_empty();
    let cause = if address != current {
        ReturnCause::Moved
    } else if has_unit && chance(rng, mail.non_mover_unit_missing_rate) {
        ReturnCause::UnitMissing
    } else {
        ReturnCause::Carrier
    };
    let address_rates = AddressRates {
        variant: mail.address_variant_rate,
        unit_dropped: if cause == ReturnCause::UnitMissing {
            1.0
        } else {
            CREDITOR_UNIT_DROPPED_RATE
        },
        unit_in_line1: CREDITOR_UNIT_IN_LINE1_RATE,
        zip_plus4: mail.zip_plus4_rate,
    };
    let lines = render_address(rng, &address, address_rates);
    let written = |rng: &mut R, number: u64| {
        let format = if chance(rng, 0.5) {
            PhoneFormat::Dashed
        } else {
            PhoneFormat::Parenthesized
        };
        format_phone(number, format)
    };
    let main = person
        .phone_at(open_date)
        .filter(|_| chance(rng, mail.phone_share));
    let phone = main.map(|n| written(rng, n)).unwrap_or_default();
    let other = [person.mobile_at(open_date), residence.landline]
        .into_iter()
        .flatten()
        .find(|n| Some(*n) != main);
    let phone2 = other
        .filter(|_| chance(rng, mail.second_phone_share))
        .map(|n| written(rng, n))
        .unwrap_or_default();
    let email = person
        .email_at(open_date)
        .filter(|_| chance(rng, mail.email_share))
        .unwrap_or_default()
        .to_string();
    CreditorContact {
        address,
        lines,
        cause,
        phone,
        phone2,
        email,
    }
}

/// What the file says, as far as the truth flags need it.
struct FileFacts {
    open_date: Day,
    address: Address,
    unit_missing: bool,
    nickname_used: bool,
    dob_error: bool,
    ssn: SsnGiven,
}

/// The truth row: current contact points in canonical form and the hard-case flags.
fn debtor_truth(
    person: &Person,
    facts: DebtorFacts,
    file: FileFacts,
    window: Window,
) -> DebtorTruth {
    let end = person.end_of_life(window);
    let current_index = person
        .residence_index_at(end)
        .unwrap_or(person.residences.len() - 1);
    let current = person.residences[current_index].address;
    DebtorTruth {
        person: facts.person,
        in_sources: facts.in_sources,
        current_line1: current.canonical_line1(),
        current_line2: current.canonical_line2(),
        current_city: current.canonical_city(),
        current_state: current.zip_code().state.to_string(),
        current_zip: current.zip_code().zip.to_string(),
        current_phone: person
            .phone_at(end)
            .map(|p| format!("{p:010}"))
            .unwrap_or_default(),
        current_email: person.email_at(end).unwrap_or_default().to_string(),
        moved: file.address != current,
        unit_missing: file.unit_missing,
        surname_changed: person.surname_at(file.open_date) != person.surname_at(end),
        nickname_used: file.nickname_used,
        dob_error: file.dob_error,
        ssn: file.ssn,
        jr_sr: person.namesake_father.is_some() || person.namesake_son.is_some(),
        twin: person.twin_of.is_some(),
        common_name: facts.common_name,
    }
}

/// The DOB as the creditor has it, and whether it is wrong.
fn creditor_dob<R: Rng + ?Sized>(
    rng: &mut R,
    person: &Person,
    config: &SynthConfig,
) -> (String, bool) {
    let mail = &config.returned_mail;
    if !chance(rng, mail.dob_share) {
        return (String::new(), false);
    }
    if chance(rng, mail.dob_error_rate) {
        let kind = dob_error_kind(rng, &config.noise.dob_error_kinds);
        let wrong = wrong_dob(rng, person.dob, kind);
        return (format_dob(wrong, DobFormat::Iso), true);
    }
    (format_dob(person.dob, DobFormat::Iso), false)
}

/// The SSN as the creditor has it: full (with a small typo rate), last 4, or missing.
fn creditor_ssn<R: Rng + ?Sized>(
    rng: &mut R,
    person: &Person,
    config: &SynthConfig,
) -> (String, SsnGiven) {
    let mail = &config.returned_mail;
    let digits = ssn_digits(person.ssn);
    let draw = uniform(rng, 0.0, 1.0);
    if draw < mail.ssn_full_share {
        let written = if chance(rng, mail.ssn_typo_rate) {
            ssn_typo(rng, &digits)
        } else {
            digits
        };
        return (format_ssn(rng, &written), SsnGiven::Full);
    }
    if draw < mail.ssn_full_share + mail.ssn_last4_share {
        return (digits[5..].to_string(), SsnGiven::Last4);
    }
    (String::new(), SsnGiven::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::population::Generator;
    use crate::synth::sampling::{stream_rng, Stream};

    #[test]
    fn debts_describe_the_person_at_the_open_date() {
        let config = SynthConfig::default();
        let generator = Generator::new(&config);
        let window = generator.window();
        let mut made = 0;
        let (mut last4, mut missing) = (0, 0);
        for index in 0..2_000 {
            let mut rng = stream_rng(9, Stream::Household, index);
            let household = generator.lone_person(&mut rng);
            let person = &household.people[0];
            let Some(open) = open_window(person, window, &config) else {
                continue;
            };
            let facts = DebtorFacts {
                person: 0,
                in_sources: true,
                common_name: false,
            };
            let debt = make_debt(&mut rng, person, facts, open, window, &config);
            made += 1;
            let open_date = Day::parse_iso(&debt.row[14]).expect("iso open date");
            assert!(
                open_date >= window.as_of.plus_years(-8)
                    && open_date <= window.as_of.plus_years(-1)
            );
            assert_eq!(debt.row.len(), MAIL_COLUMNS.len());
            match debt.truth.ssn {
                SsnGiven::Last4 => {
                    last4 += 1;
                    assert_eq!(debt.row[6].len(), 4);
                }
                SsnGiven::Missing => {
                    missing += 1;
                    assert!(debt.row[6].is_empty());
                }
                SsnGiven::Full => assert!(debt.row[6].len() >= 9),
            }
            assert_eq!(debt.truth.current_zip.len(), 5);
            if !debt.truth.moved {
                assert_eq!(debt.row[11].get(..5), Some(debt.truth.current_zip.as_str()));
            }
        }
        assert!(made > 1_500, "{made}");
        let last4_share = f64::from(last4) / f64::from(made);
        let missing_share = f64::from(missing) / f64::from(made);
        assert!((0.16..0.24).contains(&last4_share), "{last4_share}");
        assert!((0.11..0.19).contains(&missing_share), "{missing_share}");
    }
}
