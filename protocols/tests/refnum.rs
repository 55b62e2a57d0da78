//! Reference numbers as a researcher copies them from a card: forgiving about
//! case, hyphens and look-alike letters, strict about the check character.

use fieldkit_protocols::refnum::{RefNumber, RefNumberError};
use proptest::prelude::*;
use uuid::Uuid;

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

fn uuid(prefix: u64) -> Uuid {
    // The first 40 bits are the prefix; the rest must not matter.
    Uuid::from_u128((u128::from(prefix) << 88) | 0x00ab_cdef_1234_5678_9abc)
}

#[test]
fn a_code_is_shown_in_three_groups() {
    let code = RefNumber::from_uuid(uuid(0x9c_f4a2_e1ab));
    let shown = code.to_string();
    assert_eq!(shown.len(), 11);
    assert_eq!(shown.as_bytes()[4], b'-');
    assert_eq!(shown.as_bytes()[9], b'-');
    assert_eq!(code.bits(), 0x9c_f4a2_e1ab);
    assert!(code.matches(uuid(0x9c_f4a2_e1ab)));
    assert!(!code.matches(uuid(0x9c_f4a2_e1ac)));
}

#[test]
fn known_codes() {
    // 1 is `0000-0001` with check 1; 32 is `0000-0010` with check 32 (`*`).
    assert_eq!(RefNumber::from_uuid(uuid(1)).to_string(), "0000-0001-1");
    assert_eq!(RefNumber::from_uuid(uuid(32)).to_string(), "0000-0010-*");
    assert_eq!(RefNumber::from_uuid(uuid(36)).to_string(), "0000-0014-U");
    assert_eq!(RefNumber::from_uuid(uuid(37)).to_string(), "0000-0015-0");
}

#[test]
fn people_may_type_it_loosely() {
    let code = RefNumber::from_uuid(uuid(0x9c_f4a2_e1ab));
    let shown = code.to_string();
    let bare: String = shown.chars().filter(|c| *c != '-').collect();
    for typed in [
        shown.clone(),
        shown.to_lowercase(),
        bare.clone(),
        format!(" {} {} {} ", &bare[..4], &bare[4..8], &bare[8..]),
    ] {
        assert_eq!(RefNumber::parse(&typed), Ok(code), "typed as `{typed}`");
    }
}

#[test]
fn look_alike_letters_read_as_digits() {
    // 0x0000_0421 is `0000-0111` in base32; its check symbol is 1057 mod 37 = 21 (`N`).
    let code = RefNumber::from_uuid(uuid(0x421));
    assert_eq!(code.to_string(), "0000-0111-N");
    for typed in ["OOOO-OIL1-N", "oooo-0il1-n", "0o0O 01l1 N"] {
        assert_eq!(RefNumber::parse(typed), Ok(code), "typed as `{typed}`");
    }
}

#[test]
fn errors_say_what_to_do_and_where() {
    let err = RefNumber::parse("K7QM-2XHD").unwrap_err();
    assert_eq!(err, RefNumberError::WrongLength { found: 8 });
    assert!(err.to_string().contains("9 characters"), "{err}");

    let err = RefNumber::parse("K7QM-2UHD-P").unwrap_err();
    assert_eq!(
        err,
        RefNumberError::InvalidCharacter {
            position: 6,
            character: 'U'
        }
    );
    assert!(err.to_string().starts_with("character 6 (`U`)"), "{err}");

    let err = RefNumber::parse("K7QM-2XH!-P").unwrap_err();
    assert_eq!(
        err,
        RefNumberError::InvalidCharacter {
            position: 8,
            character: '!'
        }
    );

    let right = RefNumber::from_uuid(uuid(0x9c_f4a2_e1ab)).to_string();
    let mut wrong: Vec<char> = right.chars().collect();
    wrong[10] = if wrong[10] == '0' { '1' } else { '0' };
    let err = RefNumber::parse(&wrong.iter().collect::<String>()).unwrap_err();
    assert_eq!(err, RefNumberError::CheckMismatch);
    assert_eq!(
        err.to_string(),
        "the check character does not match: the code was probably mistyped; read it again from the card"
    );
}

#[test]
fn serialises_as_the_displayed_code() {
    let code = RefNumber::from_uuid(uuid(0x9c_f4a2_e1ab));
    let json = serde_json::to_string(&code).unwrap();
    assert_eq!(json, format!("\"{code}\""));
    assert_eq!(serde_json::from_str::<RefNumber>(&json).unwrap(), code);
    let err = serde_json::from_str::<RefNumber>("\"0000-0001-2\"").unwrap_err();
    assert!(err.to_string().contains("check character"), "{err}");
}

/// The nine symbols of a code, without hyphens.
fn symbols(code: RefNumber) -> Vec<char> {
    code.to_string().chars().filter(|c| *c != '-').collect()
}

proptest! {
    #[test]
    fn every_code_round_trips(bits in 0u64..(1 << 40), rest in any::<u128>()) {
        let uuid = Uuid::from_u128((u128::from(bits) << 88) | (rest >> 40));
        let code = RefNumber::from_uuid(uuid);
        prop_assert_eq!(code.bits(), bits);
        prop_assert_eq!(RefNumber::parse(&code.to_string()), Ok(code));
        prop_assert_eq!(RefNumber::parse(&code.to_string().to_lowercase()), Ok(code));
    }

    /// Every one of the 9 x 36 ways of mistyping one symbol is caught.
    #[test]
    fn every_single_substitution_is_detected(bits in 0u64..(1 << 40)) {
        let code = RefNumber::from_uuid(uuid(bits));
        let original = symbols(code);
        for position in 0..original.len() {
            for replacement in ALPHABET.chars().filter(|c| *c != original[position]) {
                let mut typed = original.clone();
                typed[position] = replacement;
                let typed: String = typed.into_iter().collect();
                prop_assert!(RefNumber::parse(&typed).is_err(), "`{}` was accepted for {}", typed, code);
            }
        }
    }

    /// Swapping any two neighbouring, different symbols is caught, the check
    /// symbol included.
    #[test]
    fn every_adjacent_transposition_is_detected(bits in 0u64..(1 << 40)) {
        let code = RefNumber::from_uuid(uuid(bits));
        let original = symbols(code);
        for position in 0..original.len() - 1 {
            if original[position] == original[position + 1] {
                continue;
            }
            let mut typed = original.clone();
            typed.swap(position, position + 1);
            let typed: String = typed.into_iter().collect();
            prop_assert!(RefNumber::parse(&typed).is_err(), "`{}` was accepted for {}", typed, code);
        }
    }
}
