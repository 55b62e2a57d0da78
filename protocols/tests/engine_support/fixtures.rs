//! Small protocols for the engine tests, written here so the tests do not
//! depend on the shipped library.

/// A child interview in English and French: screening, a guardian needed
/// under 18, skip logic, a constraint, an identifying question and a
/// sensitive section.
pub const CHILD: &str = r#"
id = "child-engine-test"
version = 3
title = { en = "Children at work", fr = "Enfants au travail" }
method = "child_interview"
languages = ["en", "fr"]
aim = { en = "Learn how children come to work.", fr = "Comprendre comment les enfants arrivent au travail." }
closing = { en = "Thank you.", fr = "Merci." }

[[research_questions]]
id = "rq1"
text = { en = "What work do children do?", fr = "Quel travail font les enfants ?" }

[introduction]
organisation = "Field Research Group"
script = { en = "My name is {interviewer}, I work for {organisation}.", fr = "Je m'appelle {interviewer}, je travaille pour {organisation}." }

[data_use]
purpose = { en = "To plan services.", fr = "Pour planifier des services." }
who_sees = { en = "Only the research team.", fr = "Seulement l'equipe." }
protection = { en = "No names are kept.", fr = "Aucun nom n'est garde." }
results_return = { en = "A meeting at school.", fr = "Une reunion a l'ecole." }

[consent]
guardian_required_under = 18
trusted_adult_may_stand_in = true
audio_recording = false

[[screening.items]]
id = "distress"
text = { en = "Is the child visibly distressed?", fr = "L'enfant est-il visiblement en detresse ?" }

[[screening.items]]
id = "injury"
text = { en = "Does the child have an untreated injury?", fr = "L'enfant a-t-il une blessure non soignee ?" }

[referral]
pathway = { en = "Call the child protection unit.", fr = "Appeler l'unite de protection." }
safety_notes = { en = "Work in pairs.", fr = "Travailler a deux." }

[[sections]]
id = "background"
title = { en = "About you", fr = "A propos de toi" }

[[sections.questions]]
id = "age"
text = { en = "How old are you?", fr = "Quel age as-tu ?" }
kind = "integer"
purpose = "disaggregation"
disaggregation = "age"
constraint = ". >= 5 and . <= 17"
constraint_message = { en = "Age must be between 5 and 17.", fr = "L'age doit etre entre 5 et 17 ans." }

[[sections.questions]]
id = "nickname"
text = { en = "What do friends call you?", fr = "Comment tes amis t'appellent-ils ?" }
kind = "text"
purpose = "rq1"
required = false
identifying = true

[[sections.questions]]
id = "sex"
text = { en = "Are you a girl or a boy?", fr = "Es-tu une fille ou un garcon ?" }
kind = "single_choice"
purpose = "disaggregation"
disaggregation = "sex"
choices = [
  { value = "girl", label = { en = "Girl", fr = "Fille" } },
  { value = "boy", label = { en = "Boy", fr = "Garcon" } },
  { value = "other", label = { en = "Other", fr = "Autre" } },
]

[[sections.questions]]
id = "works"
text = { en = "Do you do any work?", fr = "Travailles-tu ?" }
kind = "yes_no"
purpose = "rq1"

[[sections.questions]]
id = "work_kind"
text = { en = "What work?", fr = "Quel travail ?" }
kind = "multiple_choice"
purpose = "rq1"
relevant = "works = true"
choices = [
  { value = "domestic", label = { en = "Housework", fr = "Menage" } },
  { value = "vending", label = { en = "Selling", fr = "Vente" } },
  { value = "farm", label = { en = "Farm", fr = "Champs" } },
]

[[sections.questions]]
id = "hours"
text = { en = "How many hours a day?", fr = "Combien d'heures par jour ?" }
kind = "integer"
purpose = "rq1"
relevant = "works = true"
constraint = ". >= 0 and . <= 24"
constraint_message = { en = "A day has 24 hours.", fr = "Une journee a 24 heures." }

[[sections.questions]]
id = "school"
text = { en = "What do you like about school?", fr = "Qu'aimes-tu a l'ecole ?" }
kind = "text"
purpose = "rq1"
required = false

[[sections]]
id = "journey"
title = { en = "Your journey", fr = "Ton voyage" }

[[sections.questions]]
id = "left_home"
text = { en = "Did you leave home to work?", fr = "As-tu quitte la maison pour travailler ?" }
kind = "yes_no"
purpose = "rq1"
sensitive = true

[[sections.questions]]
id = "who_brought"
text = { en = "Who came with you?", fr = "Qui est venu avec toi ?" }
kind = "single_choice"
purpose = "rq1"
sensitive = true
relevant = "left_home = true"
choices = [
  { value = "family", label = { en = "Family", fr = "Famille" } },
  { value = "stranger", label = { en = "Someone I did not know", fr = "Un inconnu" } },
  { value = "alone", label = { en = "Nobody", fr = "Personne" } },
]
"#;

/// A focus group of two to four children, by code `P1`..`P4`.
pub const GROUP: &str = r#"
id = "group-engine-test"
version = 1
title = { en = "Group talk", fr = "Discussion de groupe" }
method = "focus_group"
languages = ["en", "fr"]
aim = { en = "Hear children's worries.", fr = "Entendre les soucis des enfants." }
closing = { en = "Thank you all.", fr = "Merci a tous." }

[[research_questions]]
id = "rq1"
text = { en = "What worries children?", fr = "Qu'est-ce qui inquiete les enfants ?" }

[introduction]
organisation = "Field Research Group"
script = { en = "I am {interviewer} from {organisation}.", fr = "Je suis {interviewer} de {organisation}." }

[data_use]
purpose = { en = "To plan services.", fr = "Pour planifier des services." }
who_sees = { en = "Only the research team.", fr = "Seulement l'equipe." }
protection = { en = "No names are kept.", fr = "Aucun nom n'est garde." }
results_return = { en = "A meeting at school.", fr = "Une reunion a l'ecole." }

[consent]
guardian_required_under = 16

[focus_group]
min_participants = 2
max_participants = 4
code_prefix = "P"

[[sections]]
id = "activities"
title = { en = "Activities", fr = "Activites" }

[[sections.questions]]
id = "worries"
text = { en = "Put these worries in order.", fr = "Classez ces soucis." }
kind = "ranking"
purpose = "rq1"
choices = [
  { value = "money", label = { en = "Money", fr = "Argent" } },
  { value = "school", label = { en = "School", fr = "Ecole" } },
  { value = "violence", label = { en = "Violence", fr = "Violence" } },
]

[[sections.questions]]
id = "market_card"
text = { en = "What is happening in this picture?", fr = "Que se passe-t-il sur cette image ?" }
kind = "picture_card"
purpose = "rq1"
card = "market.png"
"#;

/// An observation sheet for a bus station at night.
pub const OBSERVATION: &str = r#"
id = "observation-engine-test"
version = 2
title = { en = "Bus station at night", fr = "Gare routiere la nuit" }
method = "direct_observation"
languages = ["en"]
aim = { en = "Count children working at night.", fr = "Compter les enfants qui travaillent la nuit." }
closing = { en = "Leave quietly.", fr = "Partir discretement." }

[[research_questions]]
id = "rq1"
text = { en = "How many children work at night?", fr = "Combien d'enfants travaillent la nuit ?" }

[introduction]
organisation = "Field Research Group"
script = { en = "Observation only: {interviewer}, {organisation}.", fr = "Observation : {interviewer}, {organisation}." }

[data_use]
purpose = { en = "Counts only.", fr = "Comptages seulement." }
who_sees = { en = "The team.", fr = "L'equipe." }
protection = { en = "No one is described.", fr = "Personne n'est decrit." }
results_return = { en = "A public summary.", fr = "Un resume public." }

[observation]
age_groups = ["under_12", "12_17", "adult"]

[[observation.site_types]]
id = "bus_station"
label = { en = "Bus station", fr = "Gare routiere" }

[[observation.time_windows]]
label = { en = "Weekend nights", fr = "Nuits de week-end" }
days = ["fri", "sat"]
start = "22:00"
end = "02:00"

[[observation.tallies]]
id = "children_vending"
label = { en = "Children selling", fr = "Enfants vendant" }
purpose = "rq1"

[[observation.tallies]]
id = "children_carrying"
label = { en = "Children carrying loads", fr = "Enfants portant des charges" }
purpose = "rq1"

[[observation.indicators]]
id = "adult_collects"
text = { en = "An adult collects the children's money", fr = "Un adulte ramasse l'argent des enfants" }
purpose = "rq1"
"#;
