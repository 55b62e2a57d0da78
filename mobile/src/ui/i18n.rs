//! The app's own strings in every language it ships.
//!
//! One table, one row per key, every row names every language: a missing
//! translation does not compile. Protocol texts are translated in the protocol
//! files, not here.

/// A language the app's own buttons and messages are available in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// BCP 47 code, as stored in sessions and sent to the server.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The language's name in itself, so a person can find their own language.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
        }
    }
}

/// Defines `Key`, `Key::ALL` and the table from one list, so they cannot drift apart.
macro_rules! strings {
    ($($key:ident => { en: $en:expr, fr: $fr:expr $(,)? }),* $(,)?) => {
        /// A string the app shows. Look it up with [`text`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Key { $($key),* }

        impl Key {
            pub const ALL: &'static [Key] = &[$(Key::$key),*];
        }

        fn row(key: Key) -> [&'static str; 2] {
            match key { $(Key::$key => [$en, $fr]),* }
        }
    };
}

strings! {
    AppName => { en: "Fieldkit", fr: "Fieldkit" },
    QuickLock => { en: "Lock", fr: "Verrouiller" },
    QuickLockHelp => {
        en: "Lock and hide Fieldkit now",
        fr: "Verrouiller et masquer Fieldkit maintenant",
    },
    StepOf => { en: "Step {n} of {total}", fr: "Étape {n} sur {total}" },
    Continue => { en: "Continue", fr: "Continuer" },
    Back => { en: "Back", fr: "Retour" },

    LanguageTitle => { en: "Choose your language", fr: "Choisissez votre langue" },
    LanguageIntro => {
        en: "Fieldkit will use this language for its own buttons and messages. Each interview can still run in the language the child speaks.",
        fr: "Fieldkit utilisera cette langue pour ses boutons et ses messages. Chaque entretien peut se dérouler dans la langue que parle l’enfant.",
    },

    PassphraseTitle => { en: "Create a passphrase", fr: "Créez une phrase secrète" },
    PassphraseIntro => {
        en: "It locks every record on this phone. Nobody can recover it for you, so learn it by heart and never write it near the phone.",
        fr: "Elle verrouille chaque donnée de ce téléphone. Personne ne peut la retrouver pour vous : apprenez-la par cœur et ne la notez jamais près du téléphone.",
    },
    PassphraseLabel => { en: "Passphrase", fr: "Phrase secrète" },
    PassphraseConfirmLabel => { en: "Type it again", fr: "Saisissez-la à nouveau" },
    StrengthIs => { en: "Strength: {level}", fr: "Solidité : {level}" },
    StrengthTooWeak => { en: "too weak", fr: "trop faible" },
    StrengthWeak => { en: "weak", fr: "faible" },
    StrengthFair => { en: "fair", fr: "moyenne" },
    StrengthGood => { en: "good", fr: "bonne" },
    StrengthStrong => { en: "strong", fr: "très bonne" },
    HintLength => {
        en: "Use at least 12 characters; a few unrelated words work well.",
        fr: "Utilisez au moins 12 caractères ; quelques mots sans rapport entre eux conviennent bien.",
    },
    HintVariety => {
        en: "Mix in capitals, numbers or symbols, or add another word.",
        fr: "Ajoutez des majuscules, des chiffres ou des symboles, ou un mot de plus.",
    },
    HintCommon => {
        en: "This is one of the most common passwords. Choose something nobody would guess.",
        fr: "C’est l’un des mots de passe les plus courants. Choisissez quelque chose que personne ne devinerait.",
    },
    HintRepeats => {
        en: "Avoid repeated characters and runs like aaa or 1234.",
        fr: "Évitez les caractères répétés et les suites comme aaa ou 1234.",
    },
    PassphraseMismatch => {
        en: "The two passphrases are not the same.",
        fr: "Les deux phrases secrètes ne sont pas identiques.",
    },
    PassphraseRequirement => {
        en: "Continue opens when the strength is at least good and both fields match.",
        fr: "« Continuer » s’active quand la solidité est au moins bonne et que les deux champs sont identiques.",
    },

    CodeTitle => { en: "Code of practice", fr: "Code de conduite" },
    CodeIntro => {
        en: "Before your first session, read the rules that protect the children and their information. Your supervisor will see that you accepted them.",
        fr: "Avant votre premier entretien, lisez les règles qui protègent les enfants et leurs informations. Votre superviseur verra que vous les avez acceptées.",
    },
    CodeProtect => {
        en: "Children have a right to be protected, even from well-meaning people who put them at risk through carelessness. What you gather is exactly what traffickers want.",
        fr: "Les enfants ont le droit d’être protégés, y compris contre des personnes bien intentionnées qui les mettent en danger par négligence. Ce que vous recueillez est exactement ce que cherchent les trafiquants.",
    },
    CodeConsent => {
        en: "Ask for informed consent from the child, and from a guardian when the protocol says so. Tell the child what will be done with the information, who will see it and how they will be protected.",
        fr: "Demandez le consentement éclairé de l’enfant, et d’un tuteur quand le protocole le prévoit. Dites à l’enfant ce qui sera fait de ses informations, qui les verra et comment il sera protégé.",
    },
    CodeTrauma => {
        en: "A child who may be traumatised is not a subject for general research: stop and follow the referral pathway.",
        fr: "Un enfant qui pourrait être traumatisé ne doit pas servir de sujet de recherche générale : arrêtez et suivez le circuit d’orientation.",
    },
    CodeConduct => {
        en: "Never pretend to be someone you are not. Avoid direct and confrontational questions, and never ask the same question twice.",
        fr: "Ne prétendez jamais être quelqu’un d’autre. Évitez les questions directes et agressives, et ne posez jamais deux fois la même question.",
    },
    CodeSensitive => {
        en: "Leave sensitive topics until last, only once trust has been built. The child may stop at any time, and may withdraw later.",
        fr: "Gardez les sujets sensibles pour la fin, seulement une fois la confiance établie. L’enfant peut arrêter à tout moment, et se retirer plus tard.",
    },
    CodePrivacy => {
        en: "Collect only what you need. Each child gets a reference number; names and contacts are kept apart and never travel with the answers.",
        fr: "Ne recueillez que ce dont vous avez besoin. Chaque enfant reçoit un numéro de référence ; les noms et contacts sont conservés à part et ne voyagent jamais avec les réponses.",
    },
    CodeSafety => {
        en: "Keep yourself safe. If you feel at risk, tap Lock and leave.",
        fr: "Protégez-vous. Si vous vous sentez en danger, touchez « Verrouiller » et partez.",
    },
    CodeSource => {
        en: "From the ILO-IPEC, UNICEF and UN.GIFT training manual, section 1.7.",
        fr: "D’après le manuel de formation OIT-IPEC, UNICEF et UN.GIFT, section 1.7.",
    },
    CodeCheckbox => {
        en: "I have read this code of practice, I have been trained in it, and I commit to follow it.",
        fr: "J’ai lu ce code de conduite, j’y ai été formé·e et je m’engage à le respecter.",
    },
    CodeAccept => { en: "I accept", fr: "J’accepte" },

    EnrolTitle => { en: "Connect to your project", fr: "Connectez-vous à votre projet" },
    EnrolIntro => {
        en: "Your supervisor gives you the server address and a one-time code. Records stay on this phone until it can reach the server.",
        fr: "Votre superviseur vous donne l’adresse du serveur et un code à usage unique. Les données restent sur ce téléphone tant qu’il ne peut pas joindre le serveur.",
    },
    EnrolServerLabel => { en: "Server address", fr: "Adresse du serveur" },
    EnrolCodeLabel => { en: "One-time code", fr: "Code à usage unique" },
    EnrolSubmit => { en: "Enrol this phone", fr: "Inscrire ce téléphone" },
    EnrolBadServer => {
        en: "Enter the address starting with http:// or https://, for example https://fieldkit.example.org",
        fr: "Saisissez l’adresse qui commence par http:// ou https://, par exemple https://fieldkit.example.org",
    },
    EnrolBadCode => {
        en: "Enter the one-time code your supervisor gave you.",
        fr: "Saisissez le code à usage unique donné par votre superviseur.",
    },

    LockedTitle => { en: "Locked", fr: "Verrouillé" },
    LockedBody => {
        en: "Enter your passphrase to continue.",
        fr: "Saisissez votre phrase secrète pour continuer.",
    },
    Unlock => { en: "Unlock", fr: "Déverrouiller" },
    LockedNothingStored => {
        en: "Nothing was saved yet. Start the setup again when it is safe.",
        fr: "Rien n’a encore été enregistré. Recommencez la configuration quand vous êtes en sécurité.",
    },
    StartAgain => { en: "Start again", fr: "Recommencer" },

    HomeTitle => { en: "Ready", fr: "Prêt" },
    HomeBody => {
        en: "This phone is set up. Research protocols appear here after the first sync.",
        fr: "Ce téléphone est configuré. Les protocoles de recherche apparaîtront ici après la première synchronisation.",
    },

    ErrNotAvailable => {
        en: "This build of Fieldkit cannot do this yet: the part that stores and sends records is not connected.",
        fr: "Cette version de Fieldkit ne peut pas encore le faire : la partie qui enregistre et envoie les données n’est pas connectée.",
    },
    ErrWrongPassphrase => {
        en: "That passphrase does not open the records on this phone.",
        fr: "Cette phrase secrète n’ouvre pas les données de ce téléphone.",
    },
    PreviewBanner => {
        en: "Preview: nothing you enter is saved or sent.",
        fr: "Aperçu : rien de ce que vous saisissez n’est enregistré ni envoyé.",
    },
    ErrFailed => { en: "It did not work: {detail}", fr: "Cela n’a pas fonctionné : {detail}" },
}

/// The text for `key` in `lang`.
pub fn text(lang: Lang, key: Key) -> &'static str {
    let [en, fr] = row(key);
    match lang {
        Lang::En => en,
        Lang::Fr => fr,
    }
}

/// The text for `key` with each `{name}` placeholder replaced by its value.
pub fn fill(lang: Lang, key: Key, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(text(lang, key).to_owned(), |acc, (name, value)| {
            acc.replace(&format!("{{{name}}}"), value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys that are the same word in every language (names).
    const SAME_EVERYWHERE: &[Key] = &[Key::AppName];

    fn placeholders(s: &str) -> Vec<&str> {
        let mut names: Vec<&str> = s
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        names.sort_unstable();
        names
    }

    #[test]
    fn every_key_has_a_nonempty_text_in_every_language() {
        for &key in Key::ALL {
            for lang in Lang::ALL {
                assert!(
                    !text(lang, key).trim().is_empty(),
                    "{key:?} is empty in {lang:?}"
                );
            }
        }
    }

    #[test]
    fn french_is_translated_not_copied() {
        for &key in Key::ALL {
            if SAME_EVERYWHERE.contains(&key) {
                continue;
            }
            assert_ne!(
                text(Lang::En, key),
                text(Lang::Fr, key),
                "{key:?} has English text in French"
            );
        }
    }

    #[test]
    fn translations_keep_the_same_placeholders() {
        for &key in Key::ALL {
            assert_eq!(
                placeholders(text(Lang::En, key)),
                placeholders(text(Lang::Fr, key)),
                "{key:?} placeholders differ between English and French"
            );
        }
    }

    #[test]
    fn fill_replaces_named_placeholders() {
        let s = fill(Lang::Fr, Key::StepOf, &[("n", "2"), ("total", "4")]);
        assert_eq!(s, "Étape 2 sur 4");
        let s = fill(Lang::En, Key::StepOf, &[("n", "3"), ("total", "4")]);
        assert_eq!(s, "Step 3 of 4");
    }

    #[test]
    fn language_codes_are_distinct() {
        assert_ne!(Lang::En.code(), Lang::Fr.code());
        assert_eq!(Lang::Fr.native_name(), "Français");
    }
}
