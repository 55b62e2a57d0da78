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

    /// The language with this code, if the app ships it.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code.trim())
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
    EnrolConnecting => {
        en: "Connecting to the server… This can take a minute on a slow network.",
        fr: "Connexion au serveur… Cela peut prendre une minute sur un réseau lent.",
    },
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
    Unlocking => { en: "Unlocking…", fr: "Déverrouillage…" },
    CreatingVault => {
        en: "Creating your encrypted vault…",
        fr: "Création de votre coffre chiffré…",
    },
    LockedNothingStored => {
        en: "Nothing was saved yet. Start the setup again when it is safe.",
        fr: "Rien n’a encore été enregistré. Recommencez la configuration quand vous êtes en sécurité.",
    },
    StartAgain => { en: "Start again", fr: "Recommencer" },

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
    ErrBusy => {
        en: "A sync is running: this is ready again in a moment.",
        fr: "Une synchronisation est en cours : ce sera prêt dans un instant.",
    },
    ErrFailed => { en: "It did not work: {detail}", fr: "Cela n’a pas fonctionné : {detail}" },
    ErrWrongSupervisorCode => {
        en: "Wrong supervisor’s code: {left} attempt(s) left before the identity store erases itself.",
        fr: "Code du superviseur erroné : encore {left} essai(s) avant que le registre des identités ne s’efface.",
    },
    ErrIdentityErased => {
        en: "Too many wrong codes: the identity store on this phone (names and contacts) was erased. The research records are untouched. Your supervisor can set a new code.",
        fr: "Trop de codes erronés : le registre des identités de ce téléphone (noms et contacts) a été effacé. Les données de recherche sont intactes. Votre superviseur peut définir un nouveau code.",
    },
    ErrWeakSupervisorCode => {
        en: "That code is too easy to guess: use at least 8 digits (not a run such as 12345678), or a passphrase the meter rates good.",
        fr: "Ce code est trop facile à deviner : utilisez au moins 8 chiffres (pas une suite comme 12345678), ou une phrase secrète jugée bonne.",
    },

    FwHomeTitle => { en: "Fieldwork", fr: "Terrain" },
    FwOffline => {
        en: "Works offline: everything is saved on this phone first and sent when a connection is available.",
        fr: "Fonctionne hors ligne : tout est d’abord enregistré sur ce téléphone, puis envoyé dès qu’une connexion est disponible.",
    },
    FwProtocols => { en: "Start a session", fr: "Commencer une session" },
    FwDrafts => { en: "In progress", fr: "En cours" },
    FwNoDrafts => { en: "No session in progress.", fr: "Aucune session en cours." },
    FwResume => { en: "Continue", fr: "Reprendre" },
    FwRespondents => { en: "Respondents", fr: "Répondants" },
    FwNoRespondents => { en: "No respondent yet.", fr: "Aucun répondant pour l’instant." },
    FwSyncStatus => { en: "Sync", fr: "Synchronisation" },
    FwSyncCounts => {
        en: "{pending} waiting to send, {sent} sent, {acknowledged} received by the server, {rejected} refused",
        fr: "{pending} en attente d’envoi, {sent} envoyés, {acknowledged} reçus par le serveur, {rejected} refusés",
    },
    FwLastSync => { en: "Last sync: {when}", fr: "Dernière synchronisation : {when}" },
    FwClockTitle => { en: "Check this phone's clock", fr: "Vérifiez l’horloge de ce téléphone" },
    FwClockAhead => {
        en: "At the last sync ({when} by the server's clock) this phone's clock was {amount} ahead of the server's. Set the phone's date and time before the next session: every session is dated by this clock. Then sync again to check.",
        fr: "À la dernière synchronisation ({when} à l’heure du serveur), l’horloge de ce téléphone avait {amount} d’avance sur celle du serveur. Réglez la date et l’heure du téléphone avant la prochaine séance : chaque séance est datée par cette horloge. Synchronisez ensuite pour vérifier.",
    },
    FwClockBehind => {
        en: "At the last sync ({when} by the server's clock) this phone's clock was {amount} behind the server's. Set the phone's date and time before the next session: every session is dated by this clock. Then sync again to check.",
        fr: "À la dernière synchronisation ({when} à l’heure du serveur), l’horloge de ce téléphone avait {amount} de retard sur celle du serveur. Réglez la date et l’heure du téléphone avant la prochaine séance : chaque séance est datée par cette horloge. Synchronisez ensuite pour vérifier.",
    },
    FwOneDay => { en: "1 day", fr: "1 jour" },
    FwDays => { en: "{n} days", fr: "{n} jours" },
    FwOneHour => { en: "1 hour", fr: "1 heure" },
    FwHours => { en: "{n} hours", fr: "{n} heures" },
    FwMinutes => { en: "{n} minutes", fr: "{n} minutes" },
    FwNever => { en: "never", fr: "jamais" },
    FwOpenSync => { en: "Record status", fr: "État des données" },
    FwIdentityStore => { en: "Identity store", fr: "Registre des identités" },
    FwLanguage => { en: "Language", fr: "Langue" },
    FwWithdraw => { en: "Withdraw", fr: "Retrait" },
    FwHome => { en: "Home", fr: "Accueil" },
    FwUnavailable => {
        en: "This build has no vault for fieldwork: sessions cannot be saved.",
        fr: "Cette version n’a pas de coffre pour le terrain : les sessions ne peuvent pas être enregistrées.",
    },

    FwStartTitle => { en: "New session", fr: "Nouvelle session" },
    FwRefLabel => { en: "Respondent’s reference number", fr: "Numéro de référence du répondant" },
    FwRefHelp => {
        en: "Write this number on the respondent’s card. Never write a name here.",
        fr: "Notez ce numéro sur la carte du répondant. N’écrivez jamais de nom ici.",
    },
    FwAgeLabel => { en: "Age in years (if known)", fr: "Âge en années (si connu)" },
    FwSessionLanguage => { en: "Language of the session", fr: "Langue de la session" },
    FwSiteLabel => { en: "Site type", fr: "Type de site" },
    FwBegin => { en: "Begin", fr: "Commencer" },
    FwBadRef => { en: "Reference number: {detail}", fr: "Numéro de référence : {detail}" },
    FwBadAge => { en: "Enter the age as a whole number, or leave it empty.", fr: "Saisissez l’âge en nombre entier, ou laissez vide." },

    FwOthersPresent => { en: "Others present", fr: "Autres personnes présentes" },
    FwPresentNone => { en: "Nobody", fr: "Personne" },
    FwPresentParent => { en: "A parent", fr: "Un parent" },
    FwPresentEmployer => { en: "Employer", fr: "Employeur" },
    FwPresentPeer => { en: "Another child", fr: "Un autre enfant" },
    FwPresentOfficial => { en: "Official", fr: "Agent officiel" },
    FwPresentOther => { en: "Someone else", fr: "Quelqu’un d’autre" },
    FwEmployerGuidance => {
        en: "An employer is listening: do not ask about work, pay or treatment now. Keep to neutral questions, or stop and come back when the child can talk alone.",
        fr: "Un employeur écoute : ne posez pas maintenant de questions sur le travail, le salaire ou le traitement. Restez sur des questions neutres, ou arrêtez et revenez quand l’enfant pourra parler seul.",
    },
    FwStop => { en: "Stop", fr: "Arrêter" },
    FwStopTitle => { en: "Stop the session?", fr: "Arrêter la session ?" },
    FwStopWithdrew => { en: "The respondent wants to stop", fr: "Le répondant veut arrêter" },
    FwStopSafety => { en: "It is not safe to continue", fr: "Il n’est pas sûr de continuer" },
    FwStopEnded => { en: "I am ending it", fr: "J’y mets fin" },
    FwCancel => { en: "Cancel", fr: "Annuler" },

    FwIntroTitle => { en: "Introduce yourself", fr: "Présentez-vous" },
    FwIntroDone => { en: "I have said this", fr: "Je l’ai dit" },
    FwDataUseTitle => { en: "What happens with the answers", fr: "Ce que deviennent les réponses" },
    FwDataPurpose => { en: "What it is for", fr: "À quoi cela sert" },
    FwDataWho => { en: "Who sees it", fr: "Qui le voit" },
    FwDataProtection => { en: "How you are protected", fr: "Comment tu es protégé·e" },
    FwDataResults => { en: "How results come back", fr: "Comment les résultats reviennent" },
    FwDataUseDone => { en: "I have read this out", fr: "Je l’ai lu à voix haute" },
    FwConsentTitle => { en: "Consent", fr: "Consentement" },
    FwConsentRespondent => { en: "Does the respondent agree to take part?", fr: "Le répondant accepte-t-il de participer ?" },
    FwConsentGuardian => {
        en: "Does a parent or guardian agree to the child taking part?",
        fr: "Un parent ou un tuteur accepte-t-il que l’enfant participe ?",
    },
    FwConsentParticipant => { en: "Does participant {code} agree to take part?", fr: "Le participant {code} accepte-t-il de participer ?" },
    FwConsentParticipantGuardian => {
        en: "Does the guardian of participant {code} agree?",
        fr: "Le tuteur du participant {code} est-il d’accord ?",
    },
    FwAudio => { en: "Agrees to audio recording", fr: "Accepte l’enregistrement audio" },
    FwAgrees => { en: "Agrees", fr: "Accepte" },
    FwRefuses => { en: "Does not agree", fr: "N’accepte pas" },
    FwTrustedAdult => { en: "A trusted adult agrees instead", fr: "Un adulte de confiance accepte à sa place" },
    FwRosterTitle => { en: "Participants", fr: "Liste des participants" },
    FwRosterCount => {
        en: "Taking part: {n} (at least {min}, at most {max})",
        fr: "Participent : {n} (au moins {min}, au plus {max})",
    },
    FwAddParticipant => { en: "Add participant {code}", fr: "Ajouter le participant {code}" },
    FwScreeningTitle => { en: "Screening {n} of {total}", fr: "Dépistage {n} sur {total}" },
    FwScreeningAgain => {
        en: "Someone joined since the screening: ask it again, for everyone now present.",
        fr: "Quelqu’un est arrivé depuis le dépistage : refaites-le, pour toutes les personnes présentes.",
    },
    FwYes => { en: "Yes", fr: "Oui" },
    FwNo => { en: "No", fr: "Non" },
    FwReferralTitle => { en: "Stop: refer the child", fr: "Arrêt : orienter l’enfant" },
    FwContacts => { en: "Who to call", fr: "Qui appeler" },
    FwDemoBanner => {
        en: "Demo protocol: the organisation and the referral contacts are not real. Never use it with a child.",
        fr: "Protocole de démonstration : l’organisation et les contacts d’orientation ne sont pas réels. Ne l’utilisez jamais avec un enfant.",
    },
    FwSafety => { en: "Stay safe", fr: "Restez en sécurité" },
    FwSaveAnswer => { en: "Save answer", fr: "Enregistrer la réponse" },
    FwSkip => { en: "Skip (does not want to answer)", fr: "Passer (ne veut pas répondre)" },
    FwDoesNotKnow => { en: "Does not know", fr: "Ne sait pas" },
    FwSensitiveTag => { en: "Sensitive", fr: "Sensible" },
    FwAnswerEmpty => { en: "Give an answer, or skip the question.", fr: "Donnez une réponse, ou passez la question." },
    FwAnswerWhole => { en: "Enter a whole number.", fr: "Saisissez un nombre entier." },
    FwAnswerNumber => { en: "Enter a number.", fr: "Saisissez un nombre." },
    FwAnswerLocation => { en: "Enter latitude, longitude.", fr: "Saisissez latitude, longitude." },
    FwRefused => { en: "Not accepted: {detail}", fr: "Refusé : {detail}" },
    FwNotStored => {
        en: "Not saved, nothing changed: {detail}",
        fr: "Non enregistré, rien n’a changé : {detail}",
    },
    FwPrevious => { en: "Answers given", fr: "Réponses données" },
    FwCorrect => { en: "Correct", fr: "Corriger" },
    FwAmendTitle => { en: "Correct this answer", fr: "Corriger cette réponse" },
    FwAmendReason => { en: "Why is it corrected?", fr: "Pourquoi la corriger ?" },
    FwAmendSave => { en: "Save correction", fr: "Enregistrer la correction" },
    FwAmendNeedsReason => { en: "Say why the answer is corrected.", fr: "Indiquez pourquoi la réponse est corrigée." },
    FwRankHelp => { en: "Tap the choices in order, most important first.", fr: "Touchez les choix dans l’ordre, le plus important d’abord." },
    FwRankClear => { en: "Start the order again", fr: "Recommencer l’ordre" },
    FwCardMissing => { en: "This picture is not on the phone yet: sync to fetch it, or describe the card in words.", fr: "Cette image n'est pas encore sur le téléphone : synchronisez pour la télécharger, ou décrivez la carte avec des mots." },
    FwCardZoom => { en: "Show the card full-screen", fr: "Afficher la carte en plein écran" },
    FwCardClose => { en: "Back to the question", fr: "Revenir à la question" },
    FwListen => { en: "Listen: read aloud", fr: "Écouter : lu à voix haute" },
    FwListenPause => { en: "Pause the reading", fr: "Mettre la lecture en pause" },
    FwNote => { en: "Note", fr: "Remarque" },
    FwAddNote => { en: "Add note", fr: "Ajouter la note" },
    FwRapportTitle => { en: "Rapport checkpoint", fr: "Point sur la confiance" },
    FwRapportBody => {
        en: "Sensitive questions come next. Go on only if the child is at ease and trusts you.",
        fr: "Les questions sensibles viennent ensuite. Continuez seulement si l’enfant est à l’aise et vous fait confiance.",
    },
    FwRapportConfirm => { en: "Trust is established", fr: "La confiance est établie" },
    FwRapportAgain => {
        en: "Someone joined since trust was confirmed: check it again with them here.",
        fr: "Quelqu’un est arrivé depuis que la confiance a été confirmée : vérifiez-la de nouveau en sa présence.",
    },
    FwSensitiveTitle => { en: "Sensitive questions", fr: "Questions sensibles" },
    FwSensitiveBody => {
        en: "Tell the child that every one of these questions may be skipped, without giving a reason.",
        fr: "Dites à l’enfant que chacune de ces questions peut être passée, sans donner de raison.",
    },
    FwSkipSection => { en: "Skip the whole section", fr: "Passer toute la section" },
    FwClosingTitle => { en: "Closing", fr: "Clôture" },
    FwFinish => { en: "Finish session", fr: "Terminer la session" },
    FwFinishedTitle => { en: "Session ended", fr: "Session terminée" },
    FwQueued => {
        en: "The anonymised record is saved and waits to be sent.",
        fr: "Les données anonymisées sont enregistrées et attendent d’être envoyées.",
    },

    FwObservationTitle => { en: "Observation sheet", fr: "Fiche d’observation" },
    FwWindows => { en: "When to observe", fr: "Quand observer" },
    FwCounts => { en: "Counts", fr: "Comptages" },
    FwFemale => { en: "Female", fr: "Fille" },
    FwMale => { en: "Male", fr: "Garçon" },
    FwSexUnknown => { en: "Not sure", fr: "Incertain" },
    FwIndicators => { en: "What was seen", fr: "Ce qui a été vu" },

    FwIdentityTitle => { en: "Identity store", fr: "Registre des identités" },
    FwIdentityIntro => {
        en: "Names and contacts are kept here, apart from the answers, and never sent. Opening it needs your supervisor’s code.",
        fr: "Les noms et contacts sont conservés ici, à part des réponses, et jamais envoyés. Il faut le code du superviseur pour l’ouvrir.",
    },
    FwSupervisorCode => { en: "Supervisor’s code", fr: "Code du superviseur" },
    FwOpen => { en: "Open", fr: "Ouvrir" },
    FwClose => { en: "Close", fr: "Fermer" },
    FwName => { en: "Name", fr: "Nom" },
    FwNickname => { en: "Nickname", fr: "Surnom" },
    FwContact => { en: "How to reach them", fr: "Comment les joindre" },
    FwPlace => { en: "Place", fr: "Lieu" },
    FwIdentityNotes => { en: "Notes", fr: "Remarques" },
    FwSaveIdentity => { en: "Save under a new reference number", fr: "Enregistrer sous un nouveau numéro de référence" },
    FwSavedAs => { en: "Saved. Reference number: {code}", fr: "Enregistré. Numéro de référence : {code}" },
    FwIdentityNotSetUp => {
        en: "There is no identity store on this phone yet. Only a supervisor may set its code: hand the phone to your supervisor.",
        fr: "Ce téléphone n’a pas encore de registre des identités. Seul un superviseur peut en définir le code : donnez le téléphone à votre superviseur.",
    },
    FwIdentitySetUp => { en: "I am the supervisor: set the code", fr: "Je suis le superviseur : définir le code" },
    FwSetCodeTitle => { en: "Supervisor: set the code", fr: "Superviseur : définir le code" },
    FwSetCodeIntro => {
        en: "This code opens the names and contacts kept on this phone. Choose it yourself; the researcher must not choose it or see it. After 5 wrong codes in a row, the identity store erases itself (the research records stay).",
        fr: "Ce code ouvre les noms et contacts conservés sur ce téléphone. Choisissez-le vous-même ; le chercheur ne doit ni le choisir ni le voir. Après 5 codes erronés de suite, le registre des identités s’efface (les données de recherche restent).",
    },
    FwSupervisorName => { en: "Your name (supervisor)", fr: "Votre nom (superviseur)" },
    FwNewCode => { en: "New supervisor’s code", fr: "Nouveau code du superviseur" },
    FwConfirmCode => { en: "Type the code again", fr: "Retapez le code" },
    FwCodeMismatch => { en: "The two codes are not the same.", fr: "Les deux codes ne sont pas identiques." },
    FwCodeDigits => { en: "{n} digits: at least 8 are needed.", fr: "{n} chiffres : il en faut au moins 8." },
    FwCodeRequirement => {
        en: "At least 8 digits (not a run such as 12345678 or one digit repeated), or a passphrase rated good; typed twice; your name; and the box ticked.",
        fr: "Au moins 8 chiffres (pas une suite comme 12345678 ni un seul chiffre répété), ou une phrase secrète jugée bonne ; tapé deux fois ; votre nom ; et la case cochée.",
    },
    FwIAmSupervisor => {
        en: "I am the supervisor. The researcher who uses this phone did not choose this code and did not see it.",
        fr: "Je suis le superviseur. Le chercheur qui utilise ce téléphone n’a pas choisi ce code et ne l’a pas vu.",
    },
    FwSetCode => { en: "Set the code", fr: "Définir le code" },
    FwCodeSet => {
        en: "The identity store is ready and closed. Hand the phone back: opening it takes your code each time.",
        fr: "Le registre des identités est prêt et fermé. Rendez le téléphone : il faut votre code à chaque ouverture.",
    },
    FwCodeSetBy => { en: "Code set by {name} on {date}.", fr: "Code défini par {name} le {date}." },

    FwWithdrawTitle => { en: "Withdraw a respondent", fr: "Retirer un répondant" },
    FwWithdrawIntro => {
        en: "A respondent may withdraw at any time. Their sessions are deleted from this phone and the server is asked to delete what it has.",
        fr: "Un répondant peut se retirer à tout moment. Ses sessions sont supprimées de ce téléphone et le serveur est prié de supprimer ce qu’il détient.",
    },
    FwWithdrawConfirm => { en: "Yes, withdraw {code}", fr: "Oui, retirer {code}" },
    FwWithdrawDone => {
        en: "Withdrawn: {sessions} sessions and {records} records deleted from this phone; {tombstones} deletion requests queued for the server.",
        fr: "Retiré : {sessions} sessions et {records} données supprimées de ce téléphone ; {tombstones} demandes de suppression en attente pour le serveur.",
    },
    FwWithdrawIdentityDeleted => {
        en: "Their name and contact were deleted from the identity store.",
        fr: "Son nom et son contact ont été supprimés du registre des identités.",
    },
    FwWithdrawIdentityNone => {
        en: "The identity store held no name or contact for this reference number.",
        fr: "Le registre des identités ne contenait ni nom ni contact pour ce numéro de référence.",
    },
    FwWithdrawNoIdentityStore => {
        en: "There is no identity store on this phone, so no name or contact to delete.",
        fr: "Ce téléphone n’a pas de registre des identités : aucun nom ni contact à supprimer.",
    },

    FwSyncTitle => { en: "Record status", fr: "État des données" },
    FwNoRecords => { en: "No finished record yet.", fr: "Aucune donnée terminée pour l’instant." },
    FwStatePending => { en: "Waiting to send", fr: "En attente d’envoi" },
    FwStateSent => { en: "Sent, not yet confirmed", fr: "Envoyé, pas encore confirmé" },
    FwStateAcknowledged => { en: "Received by the server", fr: "Reçu par le serveur" },
    FwSyncNow => { en: "Sync now", fr: "Synchroniser maintenant" },
    FwSyncRunning => { en: "Sending: {done} of {total} sent", fr: "Envoi : {done} sur {total} envoyés" },
    FwSyncDone => {
        en: "Up to date: {stored} received, {duplicates} already there, {rejected} refused, {tombstones} deletions.",
        fr: "À jour : {stored} reçues, {duplicates} déjà présentes, {rejected} refusées, {tombstones} suppressions.",
    },
    FwSyncOffline => {
        en: "No connection right now. Everything stays safe on this phone and goes at the next sync.",
        fr: "Pas de connexion pour le moment. Tout reste en sécurité sur ce téléphone et partira à la prochaine synchronisation.",
    },
    FwSyncFailed => { en: "The sync stopped: {detail}", fr: "La synchronisation s’est arrêtée : {detail}" },
    FwNoProtocols => {
        en: "No protocol on this phone yet: sync to download the project’s protocols.",
        fr: "Aucun protocole sur ce téléphone : synchronisez pour télécharger ceux du projet.",
    },
    FwStateRejected => { en: "Refused by the server ({rule}): {reason}", fr: "Refusé par le serveur ({rule}) : {reason}" },
    FwDeletionRequest => { en: "Deletion request", fr: "Demande de suppression" },
    // The supervisor's notes (issue 20).
    FbTitle => { en: "From your supervisor", fr: "De la part de votre superviseur" },
    FbIntro => {
        en: "Your supervisor reviewed these records. Read each note, then say you have read it: your supervisor sees that after the next sync.",
        fr: "Votre superviseur a relu ces enregistrements. Lisez chaque note, puis indiquez que vous l’avez lue : votre superviseur le verra après la prochaine synchronisation.",
    },
    FbNone => { en: "No notes from your supervisor.", fr: "Aucune note de votre superviseur." },
    FbUnread => { en: "Notes to read: {count}", fr: "Notes à lire : {count}" },
    FbAllRead => { en: "You have read every note.", fr: "Vous avez lu toutes les notes." },
    FbOpen => { en: "Read the notes", fr: "Lire les notes" },
    FbRecord => { en: "Record {reference} · {protocol}", fr: "Enregistrement {reference} · {protocol}" },
    FbAnonymous => { en: "anonymous refusal", fr: "refus anonyme" },
    FbStateReceived => { en: "Not reviewed yet", fr: "Pas encore relu" },
    FbStateApproved => { en: "Approved", fr: "Approuvé" },
    FbStateHasIssues => { en: "Has issues", fr: "À revoir" },
    FbStateRejected => { en: "Rejected", fr: "Rejeté" },
    FbManual => { en: "What the manual says ({rule}):", fr: "Ce que dit le manuel ({rule}) :" },
    FbWritten => { en: "Written {when}", fr: "Écrite le {when}" },
    FbAcknowledge => { en: "I have read this", fr: "J’ai lu cette note" },
    FbAckWaiting => {
        en: "Read {when}. Your supervisor sees this after the next sync.",
        fr: "Lue le {when}. Votre superviseur le verra après la prochaine synchronisation.",
    },
    FbAckSent => {
        en: "Read {when}. Your supervisor knows you have read it.",
        fr: "Lue le {when}. Votre superviseur sait que vous l’avez lue.",
    },
    // Validation sessions: findings packs (issue 22).
    VdPackLabel => { en: "Findings pack to show", fr: "Résultats à présenter" },
    VdPackChoice => { en: "{site} · published {date} · findings: {findings}", fr: "{site} · publiés le {date} · résultats : {findings}" },
    VdNoPack => {
        en: "No findings pack on this phone yet: sync to download the packs your analyst published.",
        fr: "Aucun ensemble de résultats sur ce téléphone : synchronisez pour télécharger ceux que l’analyste a publiés.",
    },
    VdFinding => { en: "What the children told us", fr: "Ce que les enfants nous ont dit" },
    VdReadAloud => { en: "Read aloud:", fr: "À lire à voix haute :" },
    VdSuppressed => { en: "fewer than {k}: not shown", fr: "moins de {k} : non affiché" },
    VdMissing => {
        en: "This pack has no table for this finding: ask the group anyway, or skip.",
        fr: "Cet ensemble ne contient pas ce résultat : posez quand même la question au groupe, ou passez.",
    },
    // Protocol media arriving (issue 18).
    FwMediaRunning => {
        en: "Pictures and sounds: {files} of {total} files, {done} of {size}",
        fr: "Images et sons : {files} sur {total} fichiers, {done} sur {size}",
    },
    FwMediaProgress => { en: "Pictures and sounds downloaded", fr: "Images et sons téléchargés" },
    FwMediaWaitingTitle => { en: "Waiting for pictures and sounds", fr: "En attente des images et des sons" },
    FwMediaWaiting => {
        en: "{protocol}: {have} of {total} files are on this phone. It can be started once all of them are: sync when you have a connection.",
        fr: "{protocol} : {have} sur {total} fichiers sont sur ce téléphone. Il pourra être lancé quand ils y seront tous : synchronisez quand vous avez une connexion.",
    },
    FwKilobytes => { en: "{n} KB", fr: "{n} Ko" },
    FwMegabytes => { en: "{n} MB", fr: "{n} Mo" },
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

    /// Keys that are the same word in every language (names, and "minutes").
    const SAME_EVERYWHERE: &[Key] = &[Key::AppName, Key::FwMinutes];

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
