//! Reference numbers: the short code a researcher writes on a card instead of
//! a child's name (R21), like `K7QM-2XHD-P`.
//!
//! Eight Crockford base32 symbols carry the first 40 bits of the respondent's
//! UUID; a ninth is Crockford's mod-37 check symbol. Because 37 is prime and
//! larger than the alphabet, the check catches every single mistyped symbol
//! and every swap of two neighbouring symbols, the two mistakes people make
//! most when copying codes by hand.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Data symbols (values 0-31) followed by the five check-only symbols (32-36).
const ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";
const DATA_SYMBOLS: usize = 8;
const SYMBOLS: usize = DATA_SYMBOLS + 1;
const BITS: u32 = 40;

/// A respondent's reference number: 40 bits of their UUID plus a check symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RefNumber(u64);

/// Why a typed reference number was not accepted. Positions count the code's
/// symbols from 1, not the hyphens or spaces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefNumberError {
    #[error("a reference number has 9 characters, like K7QM-2XHD-P; this one has {found}: read it again from the card")]
    WrongLength { found: usize },
    #[error("character {position} (`{character}`) cannot be in a reference number: they use 0-9 and the letters A-Z without I, L, O and U")]
    InvalidCharacter { position: usize, character: char },
    #[error("the check character does not match: the code was probably mistyped; read it again from the card")]
    CheckMismatch,
}

impl RefNumber {
    /// The reference number for a respondent's UUID: its first 40 bits.
    pub fn from_uuid(uuid: Uuid) -> RefNumber {
        let bytes = uuid.as_bytes();
        let bits = bytes[..5]
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        RefNumber(bits)
    }

    /// Whether `uuid` is the respondent this reference number stands for.
    pub fn matches(&self, uuid: Uuid) -> bool {
        RefNumber::from_uuid(uuid) == *self
    }

    /// The 40 bits the code carries.
    pub fn bits(&self) -> u64 {
        self.0
    }

    /// Reads a code as a person typed it: any case, hyphens and spaces
    /// anywhere, and Crockford's look-alikes (`I` and `L` for 1, `O` for 0).
    pub fn parse(text: &str) -> Result<RefNumber, RefNumberError> {
        let symbols: Vec<char> = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if symbols.len() != SYMBOLS {
            return Err(RefNumberError::WrongLength {
                found: symbols.len(),
            });
        }
        let mut bits = 0u64;
        for (index, &character) in symbols[..DATA_SYMBOLS].iter().enumerate() {
            let value = symbol_value(character).filter(|&v| v < 32).ok_or(
                RefNumberError::InvalidCharacter {
                    position: index + 1,
                    character,
                },
            )?;
            bits = (bits << 5) | value;
        }
        let character = symbols[DATA_SYMBOLS];
        let check = symbol_value(character).ok_or(RefNumberError::InvalidCharacter {
            position: SYMBOLS,
            character,
        })?;
        if check != bits % 37 {
            return Err(RefNumberError::CheckMismatch);
        }
        Ok(RefNumber(bits))
    }

    /// The nine symbols without hyphens: eight data symbols, then the check.
    fn symbols(&self) -> [char; SYMBOLS] {
        let mut out = ['0'; SYMBOLS];
        for (index, slot) in out[..DATA_SYMBOLS].iter_mut().enumerate() {
            let shift = BITS - 5 * (index as u32 + 1);
            *slot = char::from(ALPHABET[((self.0 >> shift) & 0x1f) as usize]);
        }
        out[DATA_SYMBOLS] = char::from(ALPHABET[(self.0 % 37) as usize]);
        out
    }
}

/// A symbol's value, accepting lowercase and Crockford's aliases.
fn symbol_value(character: char) -> Option<u64> {
    let upper = match character.to_ascii_uppercase() {
        'I' | 'L' => '1',
        'O' => '0',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&s| char::from(s) == upper)
        .map(|p| p as u64)
}

impl fmt::Display for RefNumber {
    /// `K7QM-2XHD-P`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.symbols();
        let part = |range: std::ops::Range<usize>| s[range].iter().collect::<String>();
        write!(f, "{}-{}-{}", part(0..4), part(4..8), part(8..9))
    }
}

impl FromStr for RefNumber {
    type Err = RefNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RefNumber::parse(s)
    }
}

impl Serialize for RefNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RefNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RefNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_forty_bits_become_eight_symbols_and_a_check() {
        let uuid = Uuid::from_bytes([0xff; 16]);
        let code = RefNumber::from_uuid(uuid);
        assert_eq!(code.bits(), (1 << 40) - 1);
        // 2^40 - 1 = 1099511627775, which is 15 (`F`) modulo 37.
        assert_eq!(code.to_string(), "ZZZZ-ZZZZ-F");
        let zero = RefNumber::from_uuid(Uuid::nil());
        assert_eq!(zero.to_string(), "0000-0000-0");
    }
}
