//! Valid identifiers: SSNs unique per person and NANP telephone numbers (docs/domain.md section 6,
//! "Identifier validity").

use rand::Rng;

/// Valid SSN areas: 001–899 without 666.
const SSN_AREAS: u32 = 898;
/// Valid groups: 01–99.
const SSN_GROUPS: u32 = 99;
/// Valid serials: 0001–9999.
const SSN_SERIALS: u32 = 9_999;
/// Number of valid SSNs.
const SSN_SPACE: u32 = SSN_AREAS * SSN_GROUPS * SSN_SERIALS;
/// Bits of the Feistel permutation domain (2^30 > SSN_SPACE).
const FEISTEL_HALF_BITS: u32 = 15;
/// Rounds of the Feistel permutation.
const FEISTEL_ROUNDS: usize = 4;

/// A keyed permutation of the valid SSNs: person number `n` gets `ssn(n)`, never shared.
#[derive(Debug, Clone)]
pub(crate) struct SsnPermutation {
    keys: [u64; FEISTEL_ROUNDS],
}

/// Mixes a 64-bit value (SplitMix64 finalizer).
fn mix(mut value: u64) -> u64 {
    value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    value ^ (value >> 31)
}

impl SsnPermutation {
    /// Draws the permutation keys.
    pub(crate) fn new<R: Rng + ?Sized>(rng: &mut R) -> SsnPermutation {
        SsnPermutation {
            keys: std::array::from_fn(|_| rng.random()),
        }
    }

    /// One pass of the 30-bit Feistel network (a bijection on 0..2^30).
    fn feistel(&self, value: u32) -> u32 {
        let mask = (1u32 << FEISTEL_HALF_BITS) - 1;
        let mut left = value >> FEISTEL_HALF_BITS;
        let mut right = value & mask;
        for key in self.keys {
            let round = (mix(u64::from(right) ^ key) as u32) & mask;
            let next_right = left ^ round;
            left = right;
            right = next_right;
        }
        (left << FEISTEL_HALF_BITS) | right
    }

    /// Returns the SSN (nine digits as a number) of person number `index`; distinct indexes
    /// below the number of valid SSNs get distinct SSNs (cycle-walking keeps the permutation
    /// inside the valid range).
    pub(crate) fn ssn(&self, index: u32) -> u32 {
        debug_assert!(index < SSN_SPACE, "more people than valid SSNs");
        let mut value = index % SSN_SPACE;
        loop {
            value = self.feistel(value);
            if value < SSN_SPACE {
                let ssn = decode_ssn(value);
                debug_assert!(is_valid_ssn(&ssn_digits(ssn)));
                return ssn;
            }
        }
    }
}

/// Maps an ordinal in `0..SSN_SPACE` onto a valid SSN.
fn decode_ssn(ordinal: u32) -> u32 {
    let serial = ordinal % SSN_SERIALS + 1;
    let group = (ordinal / SSN_SERIALS) % SSN_GROUPS + 1;
    let area_index = ordinal / (SSN_SERIALS * SSN_GROUPS) + 1;
    let area = if area_index >= 666 {
        area_index + 1
    } else {
        area_index
    };
    area * 1_000_000 + group * 10_000 + serial
}

/// Nine-digit text of an SSN number.
pub(crate) fn ssn_digits(ssn: u32) -> String {
    format!("{ssn:09}")
}

/// True for a valid SSN: area 001–899 but not 666, group not 00, serial not 0000.
pub(crate) fn is_valid_ssn(digits: &str) -> bool {
    if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let area: u32 = digits[0..3].parse().unwrap_or(0);
    let group: u32 = digits[3..5].parse().unwrap_or(0);
    let serial: u32 = digits[5..9].parse().unwrap_or(0);
    (1..=899).contains(&area) && area != 666 && group != 0 && serial != 0
}

/// True for a usable NANP area code or exchange: three digits, not starting with 0 or 1, not
/// an N11 service code.
fn is_valid_nanp_triple(value: u16) -> bool {
    (200..=999).contains(&value) && value % 100 != 11
}

/// Draws a valid NANP area code or exchange other than `excluded`.
fn valid_triple<R: Rng + ?Sized>(rng: &mut R, excluded: u16) -> u16 {
    loop {
        let candidate: u16 = rng.random_range(200..=999);
        if is_valid_nanp_triple(candidate) && candidate != excluded {
            return candidate;
        }
    }
}

/// Draws a phone number (10 digits as a number) in `area_code`: exchange not starting with 0
/// or 1, no N11, and never the fictional 555 exchange (555-01xx).
pub(crate) fn phone_in_area<R: Rng + ?Sized>(rng: &mut R, area_code: u16) -> u64 {
    let area = if is_valid_nanp_triple(area_code) {
        area_code
    } else {
        valid_triple(rng, 0)
    };
    let exchange = valid_triple(rng, 555);
    let line: u64 = rng.random_range(0..=9999);
    let number = u64::from(area) * 10_000_000 + u64::from(exchange) * 10_000 + line;
    debug_assert!(is_valid_phone(&format!("{number:010}")));
    number
}

/// True for a valid NANP number written as 10 digits.
pub(crate) fn is_valid_phone(digits: &str) -> bool {
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let area: u16 = digits[0..3].parse().unwrap_or(0);
    let exchange: u16 = digits[3..6].parse().unwrap_or(0);
    let line: u16 = digits[6..10].parse().unwrap_or(0);
    let fictional = exchange == 555 && (100..=199).contains(&line);
    is_valid_nanp_triple(area) && is_valid_nanp_triple(exchange) && !fictional
}

/// Returns the area code of an area-code text if it is a valid NANP area code.
pub(crate) fn parse_area_code(text: &str) -> Option<u16> {
    let value: u16 = text.parse().ok()?;
    (text.len() == 3 && is_valid_nanp_triple(value)).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::sampling::{stream_rng, Stream};
    use std::collections::HashSet;

    #[test]
    fn ssns_are_valid_and_unique() {
        let mut rng = stream_rng(1, Stream::SsnKey, 0);
        let permutation = SsnPermutation::new(&mut rng);
        let mut seen = HashSet::new();
        for index in 0..200_000 {
            let digits = ssn_digits(permutation.ssn(index));
            assert!(is_valid_ssn(&digits), "{digits}");
            assert!(seen.insert(digits), "duplicate SSN");
        }
    }

    #[test]
    fn ssn_decoding_covers_the_edges_of_the_valid_space() {
        assert_eq!(ssn_digits(decode_ssn(0)), "001010001");
        assert_eq!(ssn_digits(decode_ssn(SSN_SPACE - 1)), "899999999");
        let area_665_last = 665 * SSN_GROUPS * SSN_SERIALS - 1;
        assert_eq!(&ssn_digits(decode_ssn(area_665_last))[0..3], "665");
        assert_eq!(&ssn_digits(decode_ssn(area_665_last + 1))[0..3], "667");
        assert!(!is_valid_ssn("666123456"));
        assert!(!is_valid_ssn("123001234") && !is_valid_ssn("123450000"));
        assert!(!is_valid_ssn("900123456") && !is_valid_ssn("000123456"));
    }

    #[test]
    fn phones_are_valid_nanp() {
        let mut rng = stream_rng(2, Stream::Household, 9);
        for area in [212, 415, 100, 911, 0] {
            for _ in 0..2_000 {
                let digits = format!("{:010}", phone_in_area(&mut rng, area));
                assert!(is_valid_phone(&digits), "{digits}");
                if is_valid_nanp_triple(area) {
                    assert!(digits.starts_with(&area.to_string()));
                }
            }
        }
        assert!(!is_valid_phone("212555012"));
        assert!(!is_valid_phone("2125550142"));
        assert!(!is_valid_phone("1125551234") && !is_valid_phone("2121231234"));
        assert_eq!(parse_area_code("011"), None);
        assert_eq!(parse_area_code("415"), Some(415));
    }
}
