//! How hard a passphrase or password is to guess, in words a person can act
//! on. The app rates vault passphrases with it; the server holds web users'
//! passwords to the same meter.
//!
//! The passphrase wraps the key to every record on the phone (Argon2id slows
//! each guess, but a guessable passphrase is still guessable). The score is a
//! rough estimate of guessing work: length times the size of the alphabet used,
//! after discounting repeats and runs, and a flat fail for the passwords every
//! attacker tries first.

/// Strength levels, weakest first. A new passphrase must reach [`Level::Good`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    TooWeak,
    Weak,
    Fair,
    Good,
    Strong,
}

/// Something the person can change to make the passphrase stronger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hint {
    /// Fewer than [`RECOMMENDED_LENGTH`] characters.
    Length,
    /// Only one kind of character and not long enough to make up for it.
    Variety,
    /// On the list of passwords attackers try first.
    Common,
    /// Repeated characters (`aaa`) or runs (`1234`, `abcd`).
    Repeats,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub level: Level,
    pub hints: Vec<Hint>,
}

/// Shorter than this is never accepted, whatever the alphabet.
pub const MIN_LENGTH: usize = 8;
/// The length the hints ask for.
pub const RECOMMENDED_LENGTH: usize = 12;

/// Passwords (matched with leetspeak undone, see [`is_common`]) that appear at
/// the top of every leaked-password list, in English and French, plus words an
/// attacker would try first against this app.
const COMMON: &[&str] = &[
    "password",
    "passw",
    "pass",
    "motdepasse",
    "mdp",
    "azerty",
    "qwerty",
    "qwertz",
    "abc",
    "iloveyou",
    "jetaime",
    "admin",
    "administrator",
    "welcome",
    "bienvenue",
    "letmein",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "soccer",
    "princess",
    "sunshine",
    "master",
    "shadow",
    "superman",
    "batman",
    "trustno",
    "secret",
    "soleil",
    "bonjour",
    "doudou",
    "chouchou",
    "loulou",
    "marseille",
    "nicolas",
    "julien",
    "camille",
    "michael",
    "jennifer",
    "jordan",
    "hello",
    "freedom",
    "whatever",
    "starwars",
    "pokemon",
    "computer",
    "internet",
    "login",
    "user",
    "test",
    "qazwsx",
    "zxcvbn",
    "asdfgh",
    "fieldkit",
    "unicef",
    "ilo",
    "research",
    "recherche",
    "passphrase",
    "changeme",
];

/// Rates `passphrase` and says what would improve it.
pub fn assess(passphrase: &str) -> Assessment {
    let chars: Vec<char> = passphrase.chars().collect();
    let length = chars.len();
    let mut hints = Vec::new();

    if length < RECOMMENDED_LENGTH {
        hints.push(Hint::Length);
    }
    let common = is_common(passphrase);
    if common {
        hints.push(Hint::Common);
    }
    let wasted = repeated_or_running(&chars);
    if wasted >= 2 {
        hints.push(Hint::Repeats);
    }
    let classes = CharClasses::of(&chars);
    let effective_length = length - wasted;
    let bits = effective_length as f64 * classes.alphabet_size().log2();

    let level = if length < MIN_LENGTH || common {
        Level::TooWeak
    } else {
        match bits {
            b if b < 36.0 => Level::TooWeak,
            b if b < 48.0 => Level::Weak,
            b if b < 60.0 => Level::Fair,
            b if b < 80.0 => Level::Good,
            _ => Level::Strong,
        }
    };
    if level < Level::Good && classes.count() < 2 {
        hints.push(Hint::Variety);
    }
    Assessment { level, hints }
}

/// True when the passphrase is good enough to protect the vault.
pub fn acceptable(passphrase: &str) -> bool {
    assess(passphrase).level >= Level::Good
}

/// A passphrase is common when it is all digits (PINs, dates), or when its
/// letters, with the digits and symbols people bolt on dropped ("Password2024!")
/// or with leetspeak undone ("p4ssw0rd"), spell a word on the list.
fn is_common(passphrase: &str) -> bool {
    let lowered = passphrase.to_lowercase();
    if lowered.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    let plain: String = lowered.chars().filter(|c| c.is_alphabetic()).collect();
    let unleet: String = lowered
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            other => other,
        })
        .filter(|c| c.is_alphabetic())
        .collect();
    let listed = |word: &str| COMMON.contains(&word);
    // "P4ssw0rd1" unleets to "passwordi": the trailing 1 was decoration.
    listed(&plain) || listed(&unleet) || unleet.strip_suffix('i').is_some_and(listed)
}

/// How many characters add nothing: the third and later of a run of the same
/// character (`aaaa` wastes 2), or of a run that steps by one (`1234`, `dcba`).
fn repeated_or_running(chars: &[char]) -> usize {
    let mut wasted = 0;
    let mut run = 1;
    let mut step: Option<i64> = None;
    for pair in chars.windows(2) {
        let delta = i64::from(u32::from(pair[1])) - i64::from(u32::from(pair[0]));
        let continues = matches!(delta, -1..=1) && step.is_none_or(|s| s == delta);
        if continues {
            run += 1;
            step = Some(delta);
            if run >= 3 {
                wasted += 1;
            }
        } else {
            run = if matches!(delta, -1..=1) { 2 } else { 1 };
            step = if run == 2 { Some(delta) } else { None };
        }
    }
    wasted
}

#[derive(Default)]
struct CharClasses {
    lower: bool,
    upper: bool,
    digit: bool,
    symbol: bool,
    space: bool,
    other: bool,
}

impl CharClasses {
    fn of(chars: &[char]) -> Self {
        let mut classes = Self::default();
        for &c in chars {
            match c {
                'a'..='z' => classes.lower = true,
                'A'..='Z' => classes.upper = true,
                '0'..='9' => classes.digit = true,
                ' ' => classes.space = true,
                c if c.is_ascii() => classes.symbol = true,
                _ => classes.other = true,
            }
        }
        classes
    }

    /// Kinds of character used; spaces between words do not count as a kind.
    fn count(&self) -> usize {
        [self.lower, self.upper, self.digit, self.symbol, self.other]
            .iter()
            .filter(|used| **used)
            .count()
    }

    /// Size of the alphabet an attacker would have to search.
    fn alphabet_size(&self) -> f64 {
        let mut size = 0.0;
        for (used, n) in [
            (self.lower, 26.0),
            (self.upper, 26.0),
            (self.digit, 10.0),
            (self.symbol, 32.0),
            (self.space, 1.0),
            // Accented and non-Latin letters: a conservative guess.
            (self.other, 40.0),
        ] {
            if used {
                size += n;
            }
        }
        f64::max(size, 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passphrases_are_too_weak_whatever_they_contain() {
        assert_eq!(assess("").level, Level::TooWeak);
        assert_eq!(assess("aB3$xZ9").level, Level::TooWeak);
        assert!(assess("aB3$xZ9").hints.contains(&Hint::Length));
    }

    #[test]
    fn common_passwords_fail_even_when_decorated() {
        for pw in [
            "password",
            "Password2024!",
            "P4ssw0rd",
            "motdepasse123",
            "AZERTY!!",
            "12345678",
            "1234567890123",
            "Password1",
        ] {
            let a = assess(pw);
            assert_eq!(a.level, Level::TooWeak, "{pw} should be too weak");
            assert!(
                a.hints.contains(&Hint::Common),
                "{pw} should get the common hint"
            );
        }
    }

    #[test]
    fn repeats_and_runs_count_for_little() {
        let repeated = assess("aaaaaaaaaaaaaaaaaaaa");
        assert_eq!(repeated.level, Level::TooWeak);
        assert!(repeated.hints.contains(&Hint::Repeats));
        let run = assess("abcdefghijklmnop");
        assert_eq!(run.level, Level::TooWeak);
        assert!(run.hints.contains(&Hint::Repeats));
        // The same length without a run is fine.
        assert!(assess("kqmzrtwbhxnvplsd").level >= Level::Good);
    }

    #[test]
    fn more_kinds_of_character_score_higher_at_the_same_length() {
        let lower = assess("mkqzrtwbhx").level;
        let mixed = assess("mK7zR!wbHx").level;
        assert!(mixed > lower, "{mixed:?} should beat {lower:?}");
        assert!(assess("mkqzrtwbhx").hints.contains(&Hint::Variety));
    }

    #[test]
    fn a_few_unrelated_words_are_strong() {
        assert_eq!(assess("correct horse battery staple").level, Level::Strong);
        assert_eq!(assess("cheval correct pile agrafe").level, Level::Strong);
        assert!(acceptable("river lamp quietly"));
    }

    #[test]
    fn twelve_mixed_characters_reach_good_but_eight_do_not() {
        assert!(acceptable("Tq8vLm2pXr4k"));
        assert!(!acceptable("Tq8vLm2p"));
    }

    #[test]
    fn accented_letters_count_as_their_own_kind() {
        let a = assess("éléphantçàù");
        assert!(a.level >= Level::Fair, "{a:?}");
    }

    #[test]
    fn longer_never_scores_lower_for_random_like_text() {
        let base = "q7Rm2vK9xLp4Tz8W";
        let mut previous = Level::TooWeak;
        for end in 1..=base.len() {
            let level = assess(&base[..end]).level;
            assert!(
                level >= previous,
                "{} scored lower than a prefix",
                &base[..end]
            );
            previous = level;
        }
    }

    #[test]
    fn good_passphrases_get_no_hints_about_what_they_already_do() {
        let a = assess("correct horse battery staple");
        assert!(a.hints.is_empty(), "{:?}", a.hints);
    }
}
