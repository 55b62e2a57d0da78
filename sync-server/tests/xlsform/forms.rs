//! Realistic XLSForms, written as real .xlsx files with rust_xlsxwriter, shared
//! by the import tests and the pyxform comparison.

use rust_xlsxwriter::Workbook;

/// A sheet as rows of cells; the first row is the header.
pub type Table<'a> = &'a [&'a [&'a str]];

/// Writes an .xlsx workbook with the given sheets, in order.
pub fn workbook(sheets: &[(&str, Table<'_>)]) -> Vec<u8> {
    let mut book = Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    sheet
                        .write_string(u32::try_from(r).unwrap(), u16::try_from(c).unwrap(), *cell)
                        .unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// A survey sheet, a choices sheet and a settings sheet.
pub fn form(survey: Table<'_>, choices: Table<'_>, settings: Table<'_>) -> Vec<u8> {
    workbook(&[
        ("survey", survey),
        ("choices", choices),
        ("settings", settings),
    ])
}

const SURVEY_HEADER: &[&str] = &[
    "type",
    "name",
    "label::English (en)",
    "label::Français (fr)",
    "hint::English (en)",
    "hint::Français (fr)",
    "required",
    "relevant",
    "constraint",
    "constraint_message::English (en)",
    "constraint_message::Français (fr)",
    "fieldkit::purpose",
    "fieldkit::sensitive",
    "fieldkit::identifying",
    "fieldkit::disaggregation",
];

/// A child-labour survey in English and French: groups with conditions, a
/// note, skip logic, select_multiple with or_other, a sensitive question.
/// Spreadsheet rows are the index here plus one (row 1 is the header).
pub const CHILD_LABOUR_SURVEY: Table<'static> = &[
    SURVEY_HEADER,
    &["begin group", "about", "About you", "À propos de toi"],
    &[
        "note",
        "about_note",
        "These first questions are about you.",
        "Ces premières questions parlent de toi.",
    ],
    &[
        "integer",
        "age",
        "How old are you?",
        "Quel âge as-tu ?",
        "In whole years.",
        "En années.",
        "yes",
        "",
        ". >= 5 and . <= 17",
        "Ages 5 to 17 only.",
        "Seulement de 5 à 17 ans.",
        "disaggregation",
        "",
        "",
        "age",
    ],
    &[
        "select_one sex",
        "sex",
        "Are you a boy or a girl?",
        "Es-tu un garçon ou une fille ?",
        "",
        "",
        "yes",
        "",
        "",
        "",
        "",
        "disaggregation",
        "",
        "",
        "sex",
    ],
    &["end group"],
    &["begin group", "work", "Your work", "Ton travail"],
    &[
        "select_one yes_no",
        "works",
        "Do you do any work for pay or food?",
        "Fais-tu un travail pour de l'argent ou de la nourriture ?",
        "",
        "",
        "yes",
        "",
        "",
        "",
        "",
        "rq1",
    ],
    &[
        "select_multiple work_types or_other",
        "work_kind",
        "What kind of work?",
        "Quel genre de travail ?",
        "",
        "",
        "yes",
        "${works} = 'yes'",
        "",
        "",
        "",
        "rq1",
    ],
    &[
        "integer",
        "hours",
        "How many hours did you work last week?",
        "Combien d'heures as-tu travaillé la semaine dernière ?",
        "",
        "",
        "no",
        "${works} = 'yes' and ${age} < 15",
        ". >= 0 and . <= 112",
        "At most 112 hours.",
        "Au plus 112 heures.",
        "rq2",
    ],
    &[
        "select_one work_types",
        "main_work",
        "Which work takes most of your time?",
        "Quel travail te prend le plus de temps ?",
        "",
        "",
        "yes",
        "count-selected(${work_kind}) > 1",
        "",
        "",
        "",
        "rq1",
    ],
    &[
        "text",
        "employer",
        "Who do you work for?",
        "Pour qui travailles-tu ?",
        "",
        "",
        "no",
        "selected(${work_kind}, 'domestic') or selected(${work_kind}, 'street')",
        "string-length(.) <= 60",
        "",
        "",
        "rq2",
        "",
        "yes",
    ],
    &["end group"],
    &[
        "begin group",
        "school",
        "School",
        "École",
        "",
        "",
        "",
        "${age} >= 6",
    ],
    &[
        "select_one yes_no",
        "in_school",
        "Do you go to school?",
        "Vas-tu à l'école ?",
        "",
        "",
        "yes",
        "",
        "",
        "",
        "",
        "rq3",
    ],
    &[
        "select_one reasons",
        "left_school",
        "What made you stop going to school?",
        "Qu'est-ce qui t'a fait arrêter l'école ?",
        "",
        "",
        "no",
        "${in_school} = 'no'",
        "",
        "",
        "",
        "rq3",
        "yes",
    ],
    &["end group"],
    &[
        "note",
        "thanks",
        "Thank you for talking with us.",
        "Merci d'avoir parlé avec nous.",
    ],
];

pub const CHILD_LABOUR_CHOICES: Table<'static> = &[
    &[
        "list_name",
        "name",
        "label::English (en)",
        "label::Français (fr)",
    ],
    &["sex", "boy", "Boy", "Garçon"],
    &["sex", "girl", "Girl", "Fille"],
    &["yes_no", "yes", "Yes", "Oui"],
    &["yes_no", "no", "No", "Non"],
    &[
        "work_types",
        "domestic",
        "Housework in another family's home",
        "Travail domestique chez une autre famille",
    ],
    &["work_types", "farm", "Farm work", "Travail agricole"],
    &[
        "work_types",
        "street",
        "Selling in the street",
        "Vente dans la rue",
    ],
    &[
        "reasons",
        "cost",
        "School costs too much",
        "L'école coûte trop cher",
    ],
    &["reasons", "work", "I need to work", "Je dois travailler"],
];

pub const CHILD_LABOUR_SETTINGS: Table<'static> = &[
    &["form_title", "form_id", "version", "default_language"],
    &[
        "Child work and school",
        "child_labour_2024",
        "3",
        "English (en)",
    ],
];

pub fn child_labour() -> Vec<u8> {
    form(
        CHILD_LABOUR_SURVEY,
        CHILD_LABOUR_CHOICES,
        CHILD_LABOUR_SETTINGS,
    )
}

/// A household survey in one language (plain `label`): questions outside any
/// group, metadata rows, a calculate used in skip logic, or_other on a
/// select_one, `not(...)` and the `!= ''` idiom.
pub const HOUSEHOLD_SURVEY: Table<'static> = &[
    &[
        "type",
        "name",
        "label",
        "hint",
        "required",
        "relevant",
        "constraint",
        "constraint_message",
        "calculation",
        "fieldkit::purpose",
    ],
    &["start", "start"],
    &["deviceid", "device"],
    &[
        "date",
        "visit_date",
        "Date of the visit",
        "",
        "yes",
        "",
        "",
        "",
        "",
        "rq1",
    ],
    &[
        "time",
        "visit_time",
        "Time the visit started",
        "",
        "no",
        "",
        "",
        "",
        "",
        "rq1",
    ],
    &[
        "integer",
        "adults",
        "How many adults live here?",
        "",
        "yes",
        "",
        ". >= 1",
        "At least one adult.",
        "",
        "rq1",
    ],
    &[
        "integer",
        "children",
        "How many children under 18 live here?",
        "",
        "yes",
        "",
        ". >= 0",
        "",
        "",
        "rq1",
    ],
    &[
        "calculate",
        "household_size",
        "",
        "",
        "",
        "",
        "",
        "",
        "${adults} + ${children}",
    ],
    &[
        "decimal",
        "income",
        "Monthly income, in thousands",
        "Your best estimate.",
        "no",
        "${household_size} > 2",
        ". >= 0",
        "",
        "",
        "rq2",
    ],
    &[
        "select_one water or_other",
        "water_source",
        "Where does your drinking water come from?",
        "",
        "yes",
        "",
        "",
        "",
        "",
        "rq2",
    ],
    &["begin group", "kids", "Children in the household"],
    &[
        "select_one yes_no",
        "child_works",
        "Does any child here work outside the home?",
        "",
        "yes",
        "${children} > 0",
        "",
        "",
        "",
        "rq1",
    ],
    &[
        "text",
        "child_work_note",
        "Describe the work in a few words.",
        "",
        "no",
        "${child_works} != '' and not(${child_works} = 'no')",
        "string-length(.) <= 50",
        "Keep it short.",
        "",
        "rq1",
    ],
    &["end group"],
    &["geopoint", "location", "Where is the household?", "", "no"],
];

pub const HOUSEHOLD_CHOICES: Table<'static> = &[
    &["list_name", "name", "label"],
    &["water", "tap", "Tap"],
    &["water", "well", "Well"],
    &["water", "river", "River"],
    &["yes_no", "yes", "Yes"],
    &["yes_no", "no", "No"],
];

pub const HOUSEHOLD_SETTINGS: Table<'static> = &[
    &["form_title", "form_id", "version", "fieldkit::method"],
    &[
        "Household survey",
        "household",
        "2",
        "key_informant_interview",
    ],
];

pub fn household() -> Vec<u8> {
    form(HOUSEHOLD_SURVEY, HOUSEHOLD_CHOICES, HOUSEHOLD_SETTINGS)
}
