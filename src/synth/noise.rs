//! Error injection and formatting: the ways real files differ from the truth. Typos (keyboard
//! neighbour substitution, adjacent transposition, drop, insertion; Damerau 1964), nicknames,
//! initials, swapped names, stale surnames, double-surname forms, DOB and SSN errors, Pub 28
//! address variants, ZIP+4, phone layouts, case and whitespace noise.

use rand::Rng;

use super::calendar::Day;
use super::config::{
    CaseStyle, DobErrorKinds, DobFormat, NoiseConfig, PhoneFormat, ReturnedMailConfig,
    SourceProfile,
};
use super::names::{fold_diacritics, nickname_options, title_word, Ethnicity, Joint, Surname};
use super::places::{places, Address, UnitKind};
use super::population::Person;
use super::sampling::{chance, Weighted};

/// QWERTY rows, for keyboard-neighbour typos.
const KEYBOARD_ROWS: [&str; 4] = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

/// Keys next to `key` on a QWERTY keyboard (same row, and the staggered rows above and below).
fn keyboard_neighbours(key: char) -> Vec<char> {
    let lower = key.to_ascii_lowercase();
    let Some((row, column)) = KEYBOARD_ROWS
        .iter()
        .enumerate()
        .find_map(|(row, keys)| keys.find(lower).map(|column| (row, column)))
    else {
        return Vec::new();
    };
    let mut neighbours = Vec::new();
    let mut push = |row: usize, column: isize| {
        let keys = KEYBOARD_ROWS[row].as_bytes();
        if column >= 0 && (column as usize) < keys.len() {
            neighbours.push(char::from(keys[column as usize]));
        }
    };
    let column = column as isize;
    push(row, column - 1);
    push(row, column + 1);
    if row > 0 {
        push(row - 1, column);
        push(row - 1, column + 1);
    }
    if row + 1 < KEYBOARD_ROWS.len() {
        push(row + 1, column - 1);
        push(row + 1, column);
    }
    neighbours.retain(|c| c.is_ascii_alphabetic() == lower.is_ascii_alphabetic());
    neighbours
}

/// Writes `replacement` in the case of `original`.
fn same_case(original: char, replacement: char) -> char {
    if original.is_uppercase() {
        replacement.to_ascii_uppercase()
    } else {
        replacement
    }
}

/// Replaces one letter by a keyboard neighbour. `None` when no letter has a neighbour.
pub(crate) fn substitute_neighbour<R: Rng + ?Sized>(rng: &mut R, text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let candidates: Vec<usize> = (0..chars.len())
        .filter(|&i| !keyboard_neighbours(chars[i]).is_empty())
        .collect();
    let &position = candidates.get(rng.random_range(0..candidates.len().max(1)))?;
    let neighbours = keyboard_neighbours(chars[position]);
    let replacement = neighbours[rng.random_range(0..neighbours.len())];
    let mut out = chars;
    out[position] = same_case(out[position], replacement);
    Some(out.into_iter().collect())
}

/// Swaps two adjacent, different characters. `None` when there are none.
pub(crate) fn transpose_adjacent<R: Rng + ?Sized>(rng: &mut R, text: &str) -> Option<String> {
    let mut chars: Vec<char> = text.chars().collect();
    let candidates: Vec<usize> = (0..chars.len().saturating_sub(1))
        .filter(|&i| {
            chars[i] != chars[i + 1] && chars[i].is_alphanumeric() && chars[i + 1].is_alphanumeric()
        })
        .collect();
    let &position = candidates.get(rng.random_range(0..candidates.len().max(1)))?;
    let (a, b) = (chars[position], chars[position + 1]);
    chars[position] = same_case(a, b.to_lowercase().next().unwrap_or(b));
    chars[position + 1] = if a.is_uppercase() && b.is_lowercase() {
        a.to_lowercase().next().unwrap_or(a)
    } else {
        a
    };
    let out: String = chars.into_iter().collect();
    (out != text).then_some(out)
}

/// Drops one letter. `None` for names of fewer than 3 letters (they would become an initial).
pub(crate) fn drop_letter<R: Rng + ?Sized>(rng: &mut R, text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < 3 {
        return None;
    }
    let candidates: Vec<usize> = (1..chars.len())
        .filter(|&i| chars[i].is_alphabetic())
        .collect();
    let &position = candidates.get(rng.random_range(0..candidates.len().max(1)))?;
    let mut out = chars;
    out.remove(position);
    Some(out.into_iter().collect())
}

/// Inserts one letter: a doubled letter or a keyboard neighbour of the letter before.
pub(crate) fn insert_letter<R: Rng + ?Sized>(rng: &mut R, text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let candidates: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i].is_alphabetic())
        .collect();
    let &position = candidates.get(rng.random_range(0..candidates.len().max(1)))?;
    let base = chars[position];
    let neighbours = keyboard_neighbours(base);
    let letter = if neighbours.is_empty() || chance(rng, 0.4) {
        base.to_lowercase().next().unwrap_or(base)
    } else {
        neighbours[rng.random_range(0..neighbours.len())]
    };
    // Inside an upper-case word the extra letter is upper case too (JOHNNSON, not JOHNnSON).
    let upper_word =
        base.is_uppercase() && chars.get(position + 1).is_some_and(|c| c.is_uppercase());
    let inserted = if upper_word {
        letter.to_uppercase().next().unwrap_or(letter)
    } else {
        letter
    };
    let mut out = chars;
    out.insert(position + 1, inserted);
    Some(out.into_iter().collect())
}

/// Makes exactly one typo of a random kind (substitution 35 %, drop 25 %, transposition 20 %,
/// insertion 20 %; design choice), falling back to another kind when one does not apply.
/// Returns the text unchanged only when no kind applies (no letters).
pub(crate) fn one_typo<R: Rng + ?Sized>(rng: &mut R, text: &str) -> String {
    type Edit<R> = fn(&mut R, &str) -> Option<String>;
    let edits: [Edit<R>; 4] = [
        substitute_neighbour,
        drop_letter,
        transpose_adjacent,
        insert_letter,
    ];
    let draw = rng.random_range(0..20);
    let first = match draw {
        0..=6 => 0,
        7..=11 => 1,
        12..=15 => 2,
        _ => 3,
    };
    for offset in 0..edits.len() {
        if let Some(out) = edits[(first + offset) % edits.len()](rng, text) {
            return out;
        }
    }
    text.to_string()
}

/// Misspells a name: one typo, a second one with probability `multi_edit_share`.
pub(crate) fn misspell<R: Rng + ?Sized>(rng: &mut R, text: &str, multi_edit_share: f64) -> String {
    let once = one_typo(rng, text);
    if chance(rng, multi_edit_share) {
        one_typo(rng, &once)
    } else {
        once
    }
}

/// The name-error rates of one source or of the creditor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameRates {
    typo: f64,
    nickname: f64,
    given_initial: f64,
    middle_initial: f64,
    middle_missing: f64,
    swap: f64,
    suffix_omitted: f64,
    stale_surname: f64,
    diacritics_stripped: f64,
}

impl From<&SourceProfile> for NameRates {
    fn from(profile: &SourceProfile) -> NameRates {
        NameRates {
            typo: profile.name_typo_rate,
            nickname: profile.nickname_rate,
            given_initial: profile.given_initial_rate,
            middle_initial: profile.middle_initial_rate,
            middle_missing: profile.middle_missing_rate,
            swap: profile.first_last_swap_rate,
            suffix_omitted: profile.suffix_omitted_rate,
            stale_surname: profile.stale_surname_rate,
            diacritics_stripped: profile.diacritics_stripped_rate,
        }
    }
}

impl From<&ReturnedMailConfig> for NameRates {
    fn from(mail: &ReturnedMailConfig) -> NameRates {
        NameRates {
            typo: mail.name_typo_rate,
            nickname: mail.nickname_rate,
            given_initial: 0.0,
            middle_initial: mail.middle_initial_rate,
            middle_missing: mail.middle_missing_rate,
            swap: 0.0,
            suffix_omitted: mail.suffix_omitted_rate,
            stale_surname: 0.0,
            diacritics_stripped: 0.5,
        }
    }
}

/// A name as one record writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NameParts {
    /// Given name (or the surname when swapped).
    pub(crate) first: String,
    /// Middle name, initial or empty.
    pub(crate) middle: String,
    /// Surname (or the given name when swapped).
    pub(crate) last: String,
    /// Suffix or empty.
    pub(crate) suffix: String,
}

/// Which errors a rendered name carries (for the realised-rate summary and the truth flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NameOutcome {
    /// A nickname replaced the given name.
    pub(crate) nickname: bool,
    /// A typo was made.
    pub(crate) typo: bool,
    /// First and last were swapped.
    pub(crate) swapped: bool,
    /// The maiden name was written after the marriage.
    pub(crate) stale_surname: bool,
    /// A suffix the person carries was left out.
    pub(crate) suffix_omitted: bool,
}

/// Writes a compound surname in one of the forms records use.
fn record_surname<R: Rng + ?Sized>(rng: &mut R, surname: Surname, noise: &NoiseConfig) -> String {
    let Some(second) = surname.second else {
        return surname.first.to_string();
    };
    let first = surname.first;
    let form = match surname.joint {
        Joint::Space => {
            let forms = &noise.double_surname_forms;
            *Weighted::new([
                (0, forms.two_tokens),
                (1, forms.hyphenated),
                (2, forms.first_only),
                (3, forms.concatenated),
            ])
            .sample(rng)
        }
        // A hyphenated married name: mostly as is; sometimes one half (maiden or husband's).
        Joint::Hyphen => *Weighted::new([(1, 0.6), (0, 0.15), (2, 0.1), (4, 0.15)]).sample(rng),
    };
    match form {
        0 => format!("{first} {second}"),
        1 => format!("{first}-{second}"),
        2 => first.to_string(),
        3 => format!("{first}{second}"),
        _ => second.to_string(),
    }
}

/// The initial of a name ("J").
fn initial(name: &str) -> String {
    name.chars().next().map(String::from).unwrap_or_default()
}

/// Renders `person`'s name as a source with `rates` wrote it on `day`.
pub(crate) fn render_name<R: Rng + ?Sized>(
    rng: &mut R,
    person: &Person,
    day: Day,
    rates: NameRates,
    noise: &NoiseConfig,
) -> (NameParts, NameOutcome) {
    let mut outcome = NameOutcome::default();
    let mut surname = person.surname_at(day);
    let changed_by_marriage = surname != person.birth_surname;
    if changed_by_marriage && chance(rng, rates.stale_surname) {
        surname = person.birth_surname;
        outcome.stale_surname = true;
    }
    let mut last = record_surname(rng, surname, noise);
    let mut first = person.given.to_string();
    let options = nickname_options(person.given);
    if !options.is_empty() && chance(rng, rates.nickname) {
        let preferred = person
            .nickname
            .filter(|_| chance(rng, noise.preferred_nickname_share));
        let nickname =
            preferred.unwrap_or_else(|| options[rng.random_range(0..options.len())].as_str());
        first = title_word(nickname);
        outcome.nickname = true;
    } else if chance(rng, rates.given_initial) {
        first = initial(person.given);
    }
    let mut middle = match person.middle {
        Some(_) if chance(rng, rates.middle_missing) => String::new(),
        Some(name) if chance(rng, rates.middle_initial) => initial(name),
        Some(name) => name.to_string(),
        None => String::new(),
    };
    let suffix = match person.suffix {
        Some(_) if chance(rng, rates.suffix_omitted) => {
            outcome.suffix_omitted = true;
            String::new()
        }
        Some(suffix) => suffix.label().to_string(),
        None => String::new(),
    };
    if chance(rng, rates.typo) {
        outcome.typo = true;
        let target = rng.random_range(0..20);
        if target < 9 || (first.chars().count() < 2 && middle.chars().count() < 2) {
            last = misspell(rng, &last, noise.multi_edit_share);
        } else if target < 18 || middle.chars().count() < 2 {
            first = misspell(rng, &first, noise.multi_edit_share);
        } else {
            middle = misspell(rng, &middle, noise.multi_edit_share);
        }
    }
    if chance(rng, rates.diacritics_stripped) {
        first = fold_diacritics(&first);
        middle = fold_diacritics(&middle);
        last = fold_diacritics(&last);
    }
    let swap_rate = match person.ethnicity {
        Ethnicity::Asian => rates.swap * noise.asian_swap_multiplier,
        _ => rates.swap,
    };
    if chance(rng, swap_rate) {
        std::mem::swap(&mut first, &mut last);
        outcome.swapped = true;
    }
    let parts = NameParts {
        first,
        middle,
        last,
        suffix,
    };
    (parts, outcome)
}

/// Writes a name in one field: "SMITH, JOHN A JR" (60 %) or "John A. Smith Jr." (design
/// choice: the two layouts public records use).
pub(crate) fn full_name<R: Rng + ?Sized>(rng: &mut R, parts: &NameParts) -> String {
    let mut out = String::new();
    if chance(rng, 0.6) {
        out.push_str(&parts.last);
        out.push_str(", ");
        out.push_str(&parts.first);
        for extra in [&parts.middle, &parts.suffix] {
            if !extra.is_empty() {
                out.push(' ');
                out.push_str(extra);
            }
        }
        return out;
    }
    out.push_str(&parts.first);
    if !parts.middle.is_empty() {
        out.push(' ');
        out.push_str(&parts.middle);
        if parts.middle.chars().count() == 1 {
            out.push('.');
        }
    }
    out.push(' ');
    out.push_str(&parts.last);
    if !parts.suffix.is_empty() {
        out.push(' ');
        out.push_str(&parts.suffix);
        if parts.suffix != "III" {
            out.push('.');
        }
    }
    out
}

/// Which kind of DOB error was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DobError {
    /// Day and month swapped.
    DayMonthSwap,
    /// One digit wrong.
    OneDigit,
    /// Year off by one.
    YearOffByOne,
}

/// A wrong DOB of the given kind (a day/month swap needs a day of 12 or less and different
/// from the month, else one digit changes). Always differs from `dob`.
pub(crate) fn wrong_dob<R: Rng + ?Sized>(rng: &mut R, dob: Day, kind: DobError) -> Day {
    let (year, month, day) = dob.ymd();
    if kind == DobError::DayMonthSwap && day <= 12 && day != month {
        if let Some(swapped) = Day::from_ymd(year, day, month) {
            return swapped;
        }
    }
    if kind == DobError::YearOffByOne {
        let delta = if chance(rng, 0.5) { 1 } else { -1 };
        return dob.plus_years(delta);
    }
    let digits: Vec<u8> = format!("{year:04}{month:02}{day:02}").into_bytes();
    for _ in 0..32 {
        let mut changed = digits.clone();
        let position = rng.random_range(2..changed.len());
        let digit = b'0' + rng.random_range(0..10u8);
        if digit == changed[position] {
            continue;
        }
        changed[position] = digit;
        let text = String::from_utf8_lossy(&changed).to_string();
        let parsed = (|| {
            let y = text[0..4].parse().ok()?;
            let m = text[4..6].parse().ok()?;
            let d = text[6..8].parse().ok()?;
            Day::from_ymd(y, m, d)
        })();
        if let Some(wrong) = parsed.filter(|w| *w != dob && w.year() > 1900) {
            return wrong;
        }
    }
    dob.plus_years(1)
}

/// Draws the kind of a DOB error by the configured weights.
pub(crate) fn dob_error_kind<R: Rng + ?Sized>(rng: &mut R, kinds: &DobErrorKinds) -> DobError {
    *Weighted::new([
        (DobError::DayMonthSwap, kinds.day_month_swap),
        (DobError::OneDigit, kinds.one_digit),
        (DobError::YearOffByOne, kinds.year_off_by_one),
    ])
    .sample(rng)
}

/// Writes a DOB in a source's layout.
pub(crate) fn format_dob(dob: Day, format: DobFormat) -> String {
    let (year, month, day) = dob.ymd();
    match format {
        DobFormat::Iso => format!("{year:04}-{month:02}-{day:02}"),
        DobFormat::MonthDayYear => format!("{month:02}/{day:02}/{year:04}"),
        DobFormat::Compact => format!("{year:04}{month:02}{day:02}"),
    }
}

/// An SSN with one typo: a digit replaced or two adjacent different digits transposed.
/// Always differs from the input (nine digits).
pub(crate) fn ssn_typo<R: Rng + ?Sized>(rng: &mut R, digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    let transposable: Vec<usize> = (0..bytes.len().saturating_sub(1))
        .filter(|&i| bytes[i] != bytes[i + 1])
        .collect();
    if chance(rng, 0.5) && !transposable.is_empty() {
        let position = transposable[rng.random_range(0..transposable.len())];
        bytes.swap(position, position + 1);
    } else {
        let position = rng.random_range(0..bytes.len());
        let offset = rng.random_range(1..10u8);
        bytes[position] = b'0' + (bytes[position] - b'0' + offset) % 10;
    }
    String::from_utf8_lossy(&bytes).to_string()
}

/// Writes a full SSN: `123-45-6789` or `123456789`.
pub(crate) fn format_ssn<R: Rng + ?Sized>(rng: &mut R, digits: &str) -> String {
    if digits.len() == 9 && chance(rng, 0.5) {
        format!("{}-{}-{}", &digits[0..3], &digits[3..5], &digits[5..9])
    } else {
        digits.to_string()
    }
}

/// Writes the last four SSN digits: `6789` or masked `XXX-XX-6789`.
pub(crate) fn format_ssn_last4<R: Rng + ?Sized>(rng: &mut R, digits: &str) -> String {
    let last4 = &digits[digits.len().saturating_sub(4)..];
    if chance(rng, 0.8) {
        last4.to_string()
    } else {
        format!("XXX-XX-{last4}")
    }
}

/// All phone layouts, for the mix.
const PHONE_FORMATS: [PhoneFormat; 6] = [
    PhoneFormat::Digits,
    PhoneFormat::Dashed,
    PhoneFormat::Parenthesized,
    PhoneFormat::Dotted,
    PhoneFormat::International,
    PhoneFormat::TrunkDashed,
];

/// Writes a 10-digit phone number in `format`.
pub(crate) fn format_phone(number: u64, format: PhoneFormat) -> String {
    let digits = format!("{number:010}");
    let (area, exchange, line) = (&digits[0..3], &digits[3..6], &digits[6..10]);
    match format {
        PhoneFormat::Digits => digits.clone(),
        PhoneFormat::Dashed => format!("{area}-{exchange}-{line}"),
        PhoneFormat::Parenthesized => format!("({area}) {exchange}-{line}"),
        PhoneFormat::Dotted => format!("{area}.{exchange}.{line}"),
        PhoneFormat::International => format!("+1 {area} {exchange} {line}"),
        PhoneFormat::TrunkDashed => format!("1-{area}-{exchange}-{line}"),
    }
}

/// The source's usual phone layout, or another one with `mix_rate`.
pub(crate) fn pick_phone_format<R: Rng + ?Sized>(
    rng: &mut R,
    usual: PhoneFormat,
    mix_rate: f64,
) -> PhoneFormat {
    if chance(rng, mix_rate) {
        PHONE_FORMATS[rng.random_range(0..PHONE_FORMATS.len())]
    } else {
        usual
    }
}

/// The source's usual letter case, or another one with `mix_rate`.
pub(crate) fn pick_case<R: Rng + ?Sized>(
    rng: &mut R,
    usual: CaseStyle,
    mix_rate: f64,
) -> CaseStyle {
    if !chance(rng, mix_rate) {
        return usual;
    }
    [CaseStyle::Upper, CaseStyle::Lower, CaseStyle::Title][rng.random_range(0..3)]
}

/// Applies a letter case. Title keeps text that already has lower-case letters (names in their
/// natural spelling, O'Brien, McDonald) and title-cases upper-case text word by word.
pub(crate) fn apply_case(text: &str, style: CaseStyle) -> String {
    match style {
        CaseStyle::Upper => text.to_uppercase(),
        CaseStyle::Lower => text.to_lowercase(),
        CaseStyle::Title if text.chars().any(char::is_lowercase) => text.to_string(),
        CaseStyle::Title => text
            .split(' ')
            .map(title_word)
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Adds whitespace noise: a doubled inner space, or a leading or trailing space.
pub(crate) fn whitespace_noise<R: Rng + ?Sized>(rng: &mut R, text: &str) -> String {
    let spaces: Vec<usize> = text.match_indices(' ').map(|(i, _)| i).collect();
    if !spaces.is_empty() && chance(rng, 0.6) {
        let position = spaces[rng.random_range(0..spaces.len())];
        return format!("{}  {}", &text[..position], &text[position + 1..]);
    }
    if chance(rng, 0.5) {
        format!("{text} ")
    } else {
        format!(" {text}")
    }
}

/// The address-formatting rates of one source or of the creditor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AddressRates {
    /// Probability each token is written in a variant.
    pub(crate) variant: f64,
    /// Probability the unit is left out.
    pub(crate) unit_dropped: f64,
    /// Probability the unit goes on line 1.
    pub(crate) unit_in_line1: f64,
    /// Probability of a ZIP+4.
    pub(crate) zip_plus4: f64,
}

impl From<&SourceProfile> for AddressRates {
    fn from(profile: &SourceProfile) -> AddressRates {
        AddressRates {
            variant: profile.address_variant_rate,
            unit_dropped: profile.unit_dropped_rate,
            unit_in_line1: profile.unit_in_line1_rate,
            zip_plus4: profile.zip_plus4_rate,
        }
    }
}

/// An address as one record writes it (upper case; the record's case style comes later).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AddressParts {
    /// Street line.
    pub(crate) line1: String,
    /// Unit line.
    pub(crate) line2: String,
    /// City.
    pub(crate) city: String,
    /// State code (rarely the full name).
    pub(crate) state: String,
    /// ZIP or ZIP+4.
    pub(crate) zip: String,
}

/// Writes an address with Pub 28 variants (Street/St./Str, North/N., Apartment/#/Unit), the
/// unit on line 1 or 2 or dropped, and ZIP or ZIP+4.
pub(crate) fn render_address<R: Rng + ?Sized>(
    rng: &mut R,
    address: &Address,
    rates: AddressRates,
) -> AddressParts {
    let tables = places();
    let mut line1 = address.house.to_string();
    if let (Some(standard), Some(index)) = (address.directional(), address.predirectional) {
        let written = if chance(rng, rates.variant) {
            if chance(rng, 0.6) {
                tables.directional_words[usize::from(index)].to_string()
            } else {
                format!("{standard}.")
            }
        } else {
            standard.to_string()
        };
        line1.push(' ');
        line1.push_str(&written);
    }
    line1.push(' ');
    line1.push_str(&address.street_name());
    line1.push(' ');
    line1.push_str(&street_suffix(rng, address, rates.variant));
    let unit = address
        .unit
        .filter(|_| !chance(rng, rates.unit_dropped))
        .map(|unit| {
            let designator = unit_designator(rng, unit.kind, rates.variant);
            if designator == "#" && chance(rng, 0.5) {
                format!("#{}", unit.identifier())
            } else {
                format!("{designator} {}", unit.identifier())
            }
        });
    let mut line2 = String::new();
    if let Some(unit) = unit {
        if chance(rng, rates.unit_in_line1) {
            line1.push(' ');
            line1.push_str(&unit);
        } else {
            line2 = unit;
        }
    }
    let zip_code = address.zip_code();
    let state = match tables.state_names.get(zip_code.state) {
        Some(name) if chance(rng, rates.variant * 0.2) => (*name).to_string(),
        _ => zip_code.state.to_string(),
    };
    let zip = if chance(rng, rates.zip_plus4) {
        if chance(rng, 0.8) {
            format!("{}-{:04}", zip_code.zip, address.plus4)
        } else {
            format!("{}{:04}", zip_code.zip, address.plus4)
        }
    } else {
        zip_code.zip.to_string()
    };
    AddressParts {
        line1,
        line2,
        city: address.canonical_city(),
        state,
        zip,
    }
}

/// The street suffix: standard (ST), or a variant: primary name (STREET), with a period (ST.),
/// or another Pub 28 spelling (STR).
fn street_suffix<R: Rng + ?Sized>(rng: &mut R, address: &Address, variant_rate: f64) -> String {
    let standard = address.suffix();
    if !chance(rng, variant_rate) {
        return standard.to_string();
    }
    let variants = &places().suffix_variants[usize::from(address.suffix)];
    match rng.random_range(0..10) {
        0..=4 if !variants.is_empty() => variants[0].to_string(),
        5..=7 => format!("{standard}."),
        _ if variants.len() > 1 => variants[rng.random_range(1..variants.len())].to_string(),
        _ => format!("{standard}."),
    }
}

/// The unit designator: standard (APT) or a variant (APARTMENT, APT., #, UNIT).
fn unit_designator<R: Rng + ?Sized>(
    rng: &mut R,
    kind: UnitKind,
    variant_rate: f64,
) -> &'static str {
    if !chance(rng, variant_rate) {
        return kind.standard();
    }
    let variants: &[&'static str] = match kind {
        UnitKind::Apartment => &["APARTMENT", "#", "UNIT", "APT."],
        UnitKind::Unit => &["#", "APT"],
        UnitKind::Lot => &["#"],
    };
    variants[rng.random_range(0..variants.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::places::{Street, Unit};
    use crate::synth::sampling::{stream_rng, Stream};

    /// Optimal-string-alignment distance (Damerau–Levenshtein without repeated edits).
    fn osa_distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[a.len()][b.len()]
    }

    /// Edits are made on letters whatever their case (a transposed capital keeps the word's
    /// case pattern, as a typist holding shift would), so distances ignore case.
    fn edit_distance(a: &str, b: &str) -> usize {
        osa_distance(&a.to_lowercase(), &b.to_lowercase())
    }

    #[test]
    fn osa_distance_counts_transpositions_as_one_edit() {
        assert_eq!(osa_distance("smith", "smtih"), 1);
        assert_eq!(osa_distance("smith", "smyth"), 1);
        assert_eq!(osa_distance("smith", "smth"), 1);
        assert_eq!(osa_distance("smith", "smiith"), 1);
        assert_eq!(osa_distance("smith", "jones"), 5);
    }

    #[test]
    fn every_typo_kind_makes_exactly_one_edit() {
        let mut rng = stream_rng(4, Stream::Observation, 0);
        let edits: [fn(&mut rand_chacha::ChaCha8Rng, &str) -> Option<String>; 4] = [
            substitute_neighbour,
            transpose_adjacent,
            drop_letter,
            insert_letter,
        ];
        for name in [
            "Smith", "JOHNSON", "Muñoz", "O'Brien", "Li", "Ji-hoon", "Anna",
        ] {
            for edit in edits {
                for _ in 0..200 {
                    if let Some(out) = edit(&mut rng, name) {
                        assert_eq!(edit_distance(name, &out), 1, "{name} -> {out}");
                    }
                }
            }
            for _ in 0..200 {
                let out = one_typo(&mut rng, name);
                assert_eq!(edit_distance(name, &out), 1, "{name} -> {out}");
            }
        }
    }

    #[test]
    fn neighbour_substitution_uses_adjacent_keys() {
        assert!(keyboard_neighbours('s').contains(&'a'));
        assert!(keyboard_neighbours('s').contains(&'d'));
        assert!(!keyboard_neighbours('s').contains(&'p'));
        let mut rng = stream_rng(4, Stream::Observation, 1);
        let out = substitute_neighbour(&mut rng, "S").expect("letter");
        assert!(keyboard_neighbours('s')
            .contains(&out.to_ascii_lowercase().chars().next().expect("one char")));
        assert!(out.chars().all(char::is_uppercase));
    }

    #[test]
    fn most_misspellings_are_single_edits() {
        let mut rng = stream_rng(4, Stream::Observation, 2);
        let singles = (0..2_000)
            .filter(|_| edit_distance("Williams", &misspell(&mut rng, "Williams", 0.12)) == 1)
            .count();
        assert!(singles > 1_600, "{singles} single edits of 2000");
    }

    #[test]
    fn ssn_typos_change_one_digit_or_transpose() {
        let mut rng = stream_rng(4, Stream::Observation, 3);
        for _ in 0..1_000 {
            let out = ssn_typo(&mut rng, "123456789");
            assert_ne!(out, "123456789");
            assert_eq!(out.len(), 9);
            assert_eq!(osa_distance("123456789", &out), 1, "{out}");
        }
        assert_eq!(ssn_typo(&mut rng, "111111111").len(), 9);
    }

    #[test]
    fn dob_errors_differ_in_the_intended_way() {
        let mut rng = stream_rng(4, Stream::Observation, 4);
        let dob = Day::from_ymd(1980, 3, 7).expect("valid");
        assert_eq!(
            wrong_dob(&mut rng, dob, DobError::DayMonthSwap).ymd(),
            (1980, 7, 3)
        );
        let year = wrong_dob(&mut rng, dob, DobError::YearOffByOne).ymd();
        assert!(year == (1981, 3, 7) || year == (1979, 3, 7));
        for _ in 0..500 {
            let digit = wrong_dob(&mut rng, dob, DobError::OneDigit);
            assert_ne!(digit, dob);
            let differing = format_dob(dob, DobFormat::Compact)
                .bytes()
                .zip(format_dob(digit, DobFormat::Compact).bytes())
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(differing, 1);
        }
        let late = Day::from_ymd(1980, 3, 25).expect("valid");
        assert_ne!(wrong_dob(&mut rng, late, DobError::DayMonthSwap), late);
    }

    #[test]
    fn dob_and_phone_layouts() {
        let dob = Day::from_ymd(1975, 11, 2).expect("valid");
        assert_eq!(format_dob(dob, DobFormat::Iso), "1975-11-02");
        assert_eq!(format_dob(dob, DobFormat::MonthDayYear), "11/02/1975");
        assert_eq!(format_dob(dob, DobFormat::Compact), "19751102");
        let phone = 2_125_550_199;
        assert_eq!(
            format_phone(phone, PhoneFormat::Parenthesized),
            "(212) 555-0199"
        );
        assert_eq!(format_phone(phone, PhoneFormat::Dotted), "212.555.0199");
        assert_eq!(format_phone(phone, PhoneFormat::Digits), "2125550199");
        assert_eq!(
            format_phone(phone, PhoneFormat::International),
            "+1 212 555 0199"
        );
        assert_eq!(
            format_phone(phone, PhoneFormat::TrunkDashed),
            "1-212-555-0199"
        );
    }

    #[test]
    fn case_styles() {
        assert_eq!(
            apply_case("123 N MAIN ST", CaseStyle::Title),
            "123 N Main St"
        );
        assert_eq!(apply_case("O'Brien", CaseStyle::Title), "O'Brien");
        assert_eq!(apply_case("O'Brien", CaseStyle::Upper), "O'BRIEN");
        assert_eq!(apply_case("José", CaseStyle::Lower), "josé");
    }

    #[test]
    fn address_variants_stay_recognisable() {
        let mut rng = stream_rng(4, Stream::Observation, 5);
        let address = Address {
            house: 12,
            predirectional: Some(0),
            street: Street::Named(0),
            suffix: 0,
            unit: Some(Unit {
                kind: UnitKind::Apartment,
                number: 4,
                letter: None,
            }),
            zip: 0,
            plus4: 1234,
        };
        let plain = AddressRates {
            variant: 0.0,
            unit_dropped: 0.0,
            unit_in_line1: 0.0,
            zip_plus4: 0.0,
        };
        let parts = render_address(&mut rng, &address, plain);
        assert_eq!(parts.line1, "12 N MAIN ST");
        assert_eq!(parts.line2, "APT 4");
        assert_eq!(parts.zip.len(), 5);
        let noisy = AddressRates {
            variant: 1.0,
            unit_dropped: 0.0,
            unit_in_line1: 1.0,
            zip_plus4: 1.0,
        };
        let mut seen_street = false;
        for _ in 0..200 {
            let parts = render_address(&mut rng, &address, noisy);
            assert!(parts.line1.starts_with("12 N"), "{}", parts.line1);
            assert!(parts.line1.contains(" MAIN "));
            assert!(parts.line2.is_empty());
            assert!(parts.zip.len() >= 9);
            seen_street |= parts.line1.contains(" MAIN STREET ");
        }
        assert!(seen_street);
    }

    #[test]
    fn nickname_substitution_gives_a_real_nickname() {
        use crate::synth::config::SynthConfig;
        use crate::synth::population::Generator;
        let config = SynthConfig::default();
        let generator = Generator::new(&config);
        let mut rng = stream_rng(4, Stream::Household, 6);
        let rates = NameRates {
            typo: 0.0,
            nickname: 1.0,
            given_initial: 0.0,
            middle_initial: 0.0,
            middle_missing: 0.0,
            swap: 0.0,
            suffix_omitted: 0.0,
            stale_surname: 0.0,
            diacritics_stripped: 0.0,
        };
        let mut substituted = 0;
        for _ in 0..200 {
            let household = generator.household(&mut rng);
            for person in &household.people {
                let (parts, outcome) =
                    render_name(&mut rng, person, config_day(&config), rates, &config.noise);
                let options = nickname_options(person.given);
                assert_eq!(outcome.nickname, !options.is_empty());
                if outcome.nickname {
                    substituted += 1;
                    let written = parts.first.to_lowercase();
                    assert!(
                        options.contains(&written),
                        "{} -> {}",
                        person.given,
                        parts.first
                    );
                    let formal = fold_diacritics(person.given).to_lowercase();
                    assert!(crate::reference::nicknames().equivalent(&written, &formal));
                } else {
                    assert_eq!(parts.first, person.given);
                }
            }
        }
        assert!(substituted > 100, "{substituted}");
    }

    fn config_day(config: &crate::synth::config::SynthConfig) -> Day {
        Day::parse_iso(&config.as_of).expect("valid")
    }
}
