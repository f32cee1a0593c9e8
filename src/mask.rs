//! Masking of sensitive identifiers in results: SSN to its last four (`***-**-1234`), DOB to its
//! year, unless the caller is allowed to see them (docs/domain.md §6).

use crate::normalize::{Date, Ssn};
use crate::resolve::Resolution;

/// Returns the DOB reduced to its year.
pub fn mask_dob(dob: Date) -> Date {
    Date {
        year: dob.year,
        month: 0,
        day: 0,
    }
}

/// Returns the SSN reduced to its last four.
pub fn mask_ssn(ssn: &Ssn) -> Ssn {
    Ssn::Last4(ssn.last4().to_string())
}

/// Renders a DOB for a caller: the year alone (`1984`) unless `unmasked`.
pub fn dob_text(dob: Date, unmasked: bool) -> String {
    if unmasked {
        dob.to_string()
    } else {
        mask_dob(dob).to_string()
    }
}

/// Renders an SSN for a caller: `***-**-1234` unless `unmasked`.
pub fn ssn_text(ssn: &Ssn, unmasked: bool) -> String {
    if unmasked {
        ssn.display_full()
    } else {
        mask_ssn(ssn).display_full()
    }
}

/// Masks every identity's SSN and DOB in place.
pub fn mask_resolution(resolution: &mut Resolution) {
    for identity in &mut resolution.identities {
        identity.dob = identity.dob.map(mask_dob);
        identity.ssn = identity.ssn.as_ref().map(mask_ssn);
    }
}
