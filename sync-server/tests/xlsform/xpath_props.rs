//! Property tests of the XPath -> Fieldkit expression translator: generated
//! `${q} op literal and/or ...` expressions translate to text that Fieldkit's
//! parser reads, that names the same questions, and that means the same thing.

use std::collections::{BTreeMap, BTreeSet};

use fieldkit_protocols::{expr, Value};
use fieldkit_sync_server::xlsform::translate_xpath;
use proptest::prelude::*;

const OPS: [&str; 6] = ["=", "!=", "<", "<=", ">", ">="];

/// A generated XPath condition, kept as a tree so its truth can be computed.
#[derive(Debug, Clone)]
enum Cond {
    /// `${n_x} op 7` over an integer question (maybe unanswered).
    Number(String, usize, i64),
    /// `${c_x} = 'v'` / `!=` over a single-choice question.
    Choice(String, bool, String),
    /// `selected(${m_x}, 'v')` over a multiple-choice question.
    Selected(String, String),
    /// `count-selected(${m_x}) op 2`.
    Count(String, usize, i64),
    Not(Box<Cond>),
    Both(Box<Cond>, bool /* and */, Box<Cond>),
}

fn value() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c"]).prop_map(str::to_owned)
}

fn cond() -> impl Strategy<Value = Cond> {
    let leaf = prop_oneof![
        ("n_[a-d]", 0..6usize, -3..20i64).prop_map(|(n, op, k)| Cond::Number(n, op, k)),
        ("c_[a-d]", any::<bool>(), value()).prop_map(|(n, eq, v)| Cond::Choice(n, eq, v)),
        ("m_[a-d]", value()).prop_map(|(n, v)| Cond::Selected(n, v)),
        ("m_[a-d]", 0..6usize, 0..4i64).prop_map(|(n, op, k)| Cond::Count(n, op, k)),
    ];
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Cond::Not(Box::new(c))),
            (inner.clone(), any::<bool>(), inner).prop_map(|(a, and, b)| Cond::Both(
                Box::new(a),
                and,
                Box::new(b)
            )),
        ]
    })
}

impl Cond {
    fn xpath(&self) -> String {
        match self {
            Cond::Number(n, op, k) => format!("${{{n}}} {} {k}", OPS[*op]),
            Cond::Choice(n, eq, v) => format!("${{{n}}} {} '{v}'", if *eq { "=" } else { "!=" }),
            Cond::Selected(n, v) => format!("selected(${{{n}}}, '{v}')"),
            Cond::Count(n, op, k) => format!("count-selected(${{{n}}}) {} {k}", OPS[*op]),
            Cond::Not(c) => format!("not({})", c.xpath()),
            Cond::Both(a, and, b) => format!(
                "({}) {} ({})",
                a.xpath(),
                if *and { "and" } else { "or" },
                b.xpath()
            ),
        }
    }

    fn names(&self, into: &mut BTreeSet<String>) {
        match self {
            Cond::Number(n, ..)
            | Cond::Choice(n, ..)
            | Cond::Selected(n, _)
            | Cond::Count(n, ..) => {
                into.insert(n.clone());
            }
            Cond::Not(c) => c.names(into),
            Cond::Both(a, _, b) => {
                a.names(into);
                b.names(into);
            }
        }
    }

    /// The truth under ODK's meaning: an unanswered number is blank, which
    /// compares false except with `!=` (`'' != 7` holds).
    fn holds(&self, answers: &BTreeMap<String, Value>) -> bool {
        let compare = |op: usize, a: i64, b: i64| match OPS[op] {
            "=" => a == b,
            "!=" => a != b,
            "<" => a < b,
            "<=" => a <= b,
            ">" => a > b,
            _ => a >= b,
        };
        let chosen = |n: &str| match answers.get(n) {
            Some(Value::Choices(c)) => c.clone(),
            other => panic!("generated answers give {n} choices, not {other:?}"),
        };
        match self {
            Cond::Number(n, op, k) => match answers.get(n) {
                Some(Value::Integer(a)) => compare(*op, *a, *k),
                _ => OPS[*op] == "!=",
            },
            Cond::Choice(n, eq, v) => (answers.get(n) == Some(&Value::Choice(v.clone()))) == *eq,
            Cond::Selected(n, v) => chosen(n).contains(v),
            Cond::Count(n, op, k) => compare(*op, i64::try_from(chosen(n).len()).unwrap(), *k),
            Cond::Not(c) => !c.holds(answers),
            Cond::Both(a, true, b) => a.holds(answers) && b.holds(answers),
            Cond::Both(a, false, b) => a.holds(answers) || b.holds(answers),
        }
    }
}

/// Answers for every question name the generator can use.
fn answers() -> impl Strategy<Value = BTreeMap<String, Value>> {
    let numbers = prop::collection::vec(prop::option::of(-3..20i64), 4);
    let choices = prop::collection::vec(value(), 4);
    let multi = prop::collection::vec(prop::collection::btree_set(value(), 0..=3), 4);
    (numbers, choices, multi).prop_map(|(numbers, choices, multi)| {
        let mut map = BTreeMap::new();
        for (i, letter) in ["a", "b", "c", "d"].into_iter().enumerate() {
            if let Some(n) = numbers[i] {
                map.insert(format!("n_{letter}"), Value::Integer(n));
            }
            map.insert(format!("c_{letter}"), Value::Choice(choices[i].clone()));
            map.insert(
                format!("m_{letter}"),
                Value::Choices(multi[i].iter().cloned().collect()),
            );
        }
        map
    })
}

proptest! {
    #[test]
    fn translated_conditions_parse_name_the_same_questions_and_agree(cond in cond(), answers in answers()) {
        let xpath = cond.xpath();
        let translated = translate_xpath(&xpath, false).unwrap();
        let parsed = expr::parse(&translated).unwrap_or_else(|e| panic!("{xpath} -> {translated}: {e}"));
        let mut names = BTreeSet::new();
        cond.names(&mut names);
        prop_assert_eq!(parsed.references(), names.into_iter().collect::<Vec<_>>());
        prop_assert!(!parsed.uses_current());
        prop_assert_eq!(parsed.eval(&answers, None).unwrap(), cond.holds(&answers), "{} -> {}", xpath, translated);
    }

    #[test]
    fn flat_comparison_chains_with_any_literal_parse(
        clauses in prop::collection::vec(
            ("[a-z][a-z0-9_]{0,6}", 0..6usize, prop_oneof![
                (0..100_000i64).prop_map(|n| n.to_string()),
                (0..1000u32, 0..100u32).prop_map(|(a, b)| format!("{a}.{b}")),
                "[a-z][a-z ]{0,6}".prop_map(|s| format!("'{s}'")),
            ]),
            1..6,
        ),
        joins in prop::collection::vec(any::<bool>(), 6),
    ) {
        prop_assume!(clauses.iter().all(|(n, ..)| !["and", "or", "not", "div", "mod", "true", "false"].contains(&n.as_str())));
        // ODK orders texts as numbers (always false): such a clause is refused, tested below.
        prop_assume!(clauses.iter().all(|(_, op, lit)| *op < 2 || !lit.starts_with('\'')));
        let xpath = clauses
            .iter()
            .enumerate()
            .map(|(i, (n, op, lit))| {
                let join = if i == 0 { "" } else if joins[i] { " and " } else { " or " };
                format!("{join}${{{n}}} {} {lit}", OPS[*op])
            })
            .collect::<String>();
        let translated = translate_xpath(&xpath, false).unwrap();
        let parsed = expr::parse(&translated).unwrap_or_else(|e| panic!("{xpath} -> {translated}: {e}"));
        let names: BTreeSet<String> = clauses.iter().map(|(n, ..)| n.clone()).collect();
        prop_assert_eq!(parsed.references(), names.into_iter().collect::<Vec<_>>());
        // Without parentheses, `and` binds tighter than `or` in both languages.
        prop_assert_eq!(translated.matches(" and ").count(), xpath.matches(" and ").count());
    }
}

#[test]
fn constraints_keep_the_current_answer() {
    let translated = translate_xpath(". >= 5 and . <= 17 and string-length(.) < 3", true).unwrap();
    assert_eq!(translated, ". >= 5 and . <= 17 and length(.) < 3");
    assert!(expr::parse(&translated).unwrap().uses_current());
    assert!(translate_xpath(". > 1", false)
        .unwrap_err()
        .message
        .contains("only has a meaning in a constraint"));
}

#[test]
fn arithmetic_keeps_its_grouping() {
    assert_eq!(
        translate_xpath("${a} - (${b} - ${c}) > 1", false).unwrap(),
        "a - (b - c) > 1"
    );
    assert_eq!(
        translate_xpath("${a} div 2 * ${b} = -1", false).unwrap(),
        "a / 2 * b = 0 - 1"
    );
    assert_eq!(
        translate_xpath("not(${a} > 1 or ${b} < 2) and true()", false).unwrap(),
        "not (a > 1 or b < 2) and true"
    );
    // XPath numbers may start or end with the point (CI found `.12`).
    assert_eq!(
        translate_xpath("${a} > .5 and ${b} < 3.", false).unwrap(),
        "a > 0.5 and b < 3"
    );
    // A whole number past 64 bits is refused where it stands (the fuzzer
    // found `-222…2`).
    let huge = translate_xpath("${a} > -222222222222222222222222", false).unwrap_err();
    assert_eq!(huge.column, 9, "{huge}");
    assert!(huge.message.contains("too large"), "{huge}");
    let pointed = translate_xpath(". = 444444444444444444444.", true).unwrap_err();
    assert!(pointed.message.contains("too large"), "{pointed}");
    // Deep nesting is refused at a column, never a stack overflow; unary
    // minus counts, since it becomes `(0 - x)` (the fuzzer found that).
    for deep in [
        format!("{}${{a}}{} > 1", "(".repeat(10_000), ")".repeat(10_000)),
        format!("${{a}} > {}1", "-".repeat(200)),
        format!("{}${{a}} > 1{}", "not(".repeat(40), ")".repeat(40)),
    ] {
        let refused = translate_xpath(&deep, false).unwrap_err();
        assert!(refused.message.contains("nested too deeply"), "{refused}");
        assert!(refused.column <= deep.chars().count());
    }
    let fine = translate_xpath(&format!("${{a}} > {}1", "-".repeat(60)), false).unwrap();
    expr::parse(&fine).unwrap();
    let doubled = translate_xpath("${a} = 2..", false).unwrap_err();
    assert!(
        doubled.message.contains("`2..` is not a number"),
        "{doubled}"
    );
}

/// Pieces of XPath, glued at random: what a form author's typo or a foreign
/// tool's extension looks like to the translator.
fn xpath_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("${age}"),
            Just("${"),
            Just("}"),
            Just("."),
            Just(" and "),
            Just(" or "),
            Just("not("),
            Just("("),
            Just(")"),
            Just("selected("),
            Just("count-selected("),
            Just(", "),
            Just("'x'"),
            Just("'"),
            Just("\""),
            Just(" = "),
            Just(" != "),
            Just(" <= "),
            Just(" div "),
            Just(" mod "),
            Just("-"),
            Just("12"),
            Just("1.5e3"),
            Just("é"),
            Just("/data/age"),
            Just("today()"),
            Just("instance('towns')"),
            Just("/root/item"),
            Just("["),
            Just("]"),
            Just("/"),
            Just("name"),
            Just("/label"),
            Just("jr:choice-name("),
            Just("'${age}'"),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn check_translation(xpath: &str, allow_current: bool) -> Result<(), TestCaseError> {
    match translate_xpath(xpath, allow_current) {
        Ok(translated) => {
            let parsed = expr::parse(&translated);
            prop_assert!(parsed.is_ok(), "{xpath:?} -> {translated:?}: {parsed:?}");
            if !allow_current {
                prop_assert!(!parsed.unwrap().uses_current(), "{xpath:?} -> {translated}");
            }
        }
        Err(err) => {
            prop_assert!(!err.message.is_empty(), "{xpath:?}");
            let width = xpath.chars().count();
            prop_assert!(
                err.column >= 1 && err.column <= width + 1,
                "{xpath:?}: {err}"
            );
        }
    }
    Ok(())
}

proptest! {
    /// Whatever a cell holds: a translation that Fieldkit's parser reads,
    /// or an error at a column inside the cell; never a panic.
    #[test]
    fn any_cell_text_translates_or_is_refused_at_a_column(
        soup in xpath_soup(),
        noise in ".{0,24}",
        allow_current in any::<bool>(),
    ) {
        check_translation(&soup, allow_current)?;
        check_translation(&noise, allow_current)?;
        check_translation(&format!("{soup}{noise}"), allow_current)?;
    }
}

/// XPath text has no escapes, so a backslash or the other quote inside it is
/// plain text; the translation must keep it so (CI found `"\"` once).
#[test]
fn quotes_and_backslashes_in_text_keep_their_meaning() {
    for (xpath, text) in [
        (r#"${c} = "\""#, r"\"),
        (r#"${c} = "it's""#, "it's"),
        (r#"${c} = 'say "hi"'"#, r#"say "hi""#),
        (r#"${c} = "a\'b""#, r"a\'b"),
    ] {
        let translated = translate_xpath(xpath, false).unwrap();
        let parsed = expr::parse(&translated).unwrap_or_else(|e| panic!("{translated}: {e}"));
        let answers = BTreeMap::from([("c".to_owned(), Value::Choice(text.to_owned()))]);
        assert!(
            parsed.eval(&answers, None).unwrap(),
            "{xpath} -> {translated}"
        );
        let other = BTreeMap::from([("c".to_owned(), Value::Choice("x".to_owned()))]);
        assert!(
            !parsed.eval(&other, None).unwrap(),
            "{xpath} -> {translated}"
        );
    }
}

#[test]
fn lookups_into_a_list_pick_the_chosen_choice_cell() {
    // Without a form, a lookup reads two choices, `a` and `b`.
    for xpath in [
        "instance('towns')/root/item[name = ${town}]/district",
        "instance('towns')/root/item[${town} = name]/district",
    ] {
        let translated = translate_xpath(xpath, false).unwrap();
        let parsed = expr::parse(&translated).unwrap();
        let answers = BTreeMap::from([("town".to_owned(), Value::Choice("b".to_owned()))]);
        let cell = parsed.value(&answers, None).unwrap();
        assert_eq!(
            cell,
            Some(Value::Text("district of b".to_owned())),
            "{translated}"
        );
        // Unanswered: '' in ODK, blank here.
        let blank = parsed.value(&BTreeMap::new(), None).unwrap();
        assert!(
            blank
                .as_ref()
                .is_none_or(|v| *v == Value::Text(String::new())),
            "{blank:?}"
        );
    }
    let label = translate_xpath("jr:choice-name(${town}, '${town}')", false).unwrap();
    assert!(label.contains("'label of a'"), "{label}");
    for (bad, column) in [
        ("instance('towns')/root/item[name > ${town}]/district", 29),
        ("instance('towns')/root[name = ${town}]/district", 23),
        ("${town}/name", 8),
        ("jr:choice-name(${town}, 'town')", 1),
    ] {
        let err = translate_xpath(bad, false).unwrap_err();
        assert_eq!(err.column, column, "{bad}: {err}");
    }
}
