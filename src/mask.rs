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

/// Masks every identity's SSN and DOB in place.
pub fn mask_resolution(resolution: &mut Resolution) {
    for identity in &mut resolution.identities {
        identity.dob = identity.dob.map(mask_dob);
        identity.ssn = identity.ssn.as_ref().map(mask_ssn);
    }
}
