use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::value::Value;

fn answers(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn holds(src: &str, given: &BTreeMap<String, Value>) -> bool {
    parse(src).unwrap().eval(given, None).unwrap()
}

#[test]
fn precedence_follows_the_usual_rules() {
    let e = parse("a = 1 or b = 2 and not c").unwrap();
    assert_eq!(e.to_string(), "a = 1 or b = 2 and not c");
    let Expr::Binary {
        op: BinOp::Or,
        right,
        ..
    } = &e
    else {
        panic!("`or` binds loosest: {e:?}")
    };
    assert!(matches!(**right, Expr::Binary { op: BinOp::And, .. }));
    assert_eq!(parse("(a + b) * 2").unwrap().to_string(), "(a + b) * 2");
    assert_eq!(parse("a - (b - c)").unwrap().to_string(), "a - (b - c)");
    assert_eq!(parse("((a - b)) - c").unwrap().to_string(), "a - b - c");
    assert_eq!(parse("not (a and b)").unwrap().to_string(), "not (a and b)");
}

#[test]
fn literals_read_and_print_canonically() {
    assert_eq!(
        parse("x = \"domestic\"").unwrap().to_string(),
        "x = 'domestic'"
    );
    assert_eq!(
        parse("x = 'it\\'s'").unwrap(),
        parse("x = \"it's\"").unwrap()
    );
    assert_eq!(parse("-3").unwrap(), Expr::Integer(-3));
    assert_eq!(parse("- (3)").unwrap().to_string(), "-(3)");
    assert_eq!(parse("x > 2.0").unwrap().to_string(), "x > 2.0");
    assert_eq!(parse("x > 1.50").unwrap().to_string(), "x > 1.5");
}

#[test]
fn references_are_sorted_and_unique() {
    let e = parse("selected(work, 'x') and age < 18 and answered(age) or length(.) > 2").unwrap();
    assert_eq!(e.references(), vec!["age".to_owned(), "work".to_owned()]);
    assert!(e.uses_current());
    assert!(!parse("age < 18").unwrap().uses_current());
}

#[test]
fn unanswered_questions_compare_false() {
    let none = answers(&[]);
    assert!(!holds("age < 18", &none));
    assert!(!holds("age != 18", &none));
    assert!(!holds("age + 1 > 0", &none));
    assert!(holds("not (age < 18)", &none));
    assert!(!holds("answered(age)", &none));
    assert!(holds("count_selected(work) = 0", &none));
}

#[test]
fn answers_are_compared_by_kind() {
    let given = answers(&[
        ("age", Value::Integer(12)),
        ("height", Value::Decimal(1.4)),
        (
            "work",
            Value::Choices(vec!["domestic".into(), "street".into()]),
        ),
        ("sex", Value::Choice("girl".into())),
        ("night", Value::Bool(true)),
        ("when", Value::Date("2024-03-01".into())),
        ("people", Value::Count(4)),
    ]);
    assert!(holds("age < 18 and age >= 12", &given));
    assert!(holds("height * 100 = 140", &given));
    assert!(holds(
        "selected(work, 'street') and not selected(work, 'farm')",
        &given
    ));
    assert!(holds("count_selected(work) = 2", &given));
    assert!(holds("selected(sex, 'girl') and sex = 'girl'", &given));
    assert!(holds("night and night = true", &given));
    assert!(holds("when < '2024-12-31'", &given));
    assert!(holds("people / 8 = 0.5", &given));
    assert!(holds("answered(age) and -age = -12", &given));
}

#[test]
fn constraints_see_the_current_answer() {
    let e = parse("length(.) <= 5").unwrap();
    let none = answers(&[]);
    assert!(e.eval(&none, Some(&Value::Text("hello".into()))).unwrap());
    assert!(!e.eval(&none, Some(&Value::Text("hello!".into()))).unwrap());
    assert!(parse(". >= 5 and . <= 17")
        .unwrap()
        .eval(&none, Some(&Value::Integer(9)))
        .unwrap());
    let err = e.eval(&none, None).unwrap_err();
    assert!(
        err.to_string().contains("only be used in a constraint"),
        "{err}"
    );
}

#[test]
fn type_mistakes_are_evaluation_errors() {
    let given = answers(&[
        ("sex", Value::Choice("girl".into())),
        ("age", Value::Integer(3)),
    ]);
    let err = parse("sex > 3").unwrap().eval(&given, None).unwrap_err();
    assert_eq!(err.to_string(), "cannot compare a text with a number");
    assert!(parse("age").unwrap().eval(&given, None).is_err());
    assert!(parse("age / 0 = 1").unwrap().eval(&given, None).is_err());
}

fn err(src: &str) -> ExprError {
    parse(src).unwrap_err()
}

#[test]
fn errors_point_at_the_column() {
    assert_eq!(err("age < ").column, 7);
    assert_eq!(err("age <> 3").column, 5);
    assert_eq!(err("age == 3").column, 5);
    assert_eq!(err("(age < 3").column, 9);
    assert_eq!(err("age < 3)").column, 8);
    assert_eq!(err("Age < 3").column, 1);
    assert_eq!(err("age < 3 AND b").column, 9);
    assert_eq!(err("x = 'open").column, 5);
    assert_eq!(err("1 < a < 3").column, 7);
    assert_eq!(err("selected(work, domestic)").column, 16);
    assert_eq!(err("size(work) > 1").column, 1);
    assert_eq!(err("${age} > 1").column, 1);
    assert_eq!(err("").column, 1);
    assert_eq!(err("é = 1").column, 1);
    assert_eq!(err("'é' = x y").column, 9);
    assert!(err("1 < a < 3").message.contains("and"));
    assert_eq!(err("a = not b").column, 5);
    assert!(err("a = not b").message.contains("parentheses"));
    assert_eq!(parse("a = (not b)").unwrap().to_string(), "a = (not b)");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(err(&deep).message.contains("nested too deeply"));
    let nots = format!("{}a", "not ".repeat(10_000));
    assert!(parse(&nots).is_err());
}

fn id() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,6}".prop_filter("not a keyword", |s| !KEYWORDS.contains(&s.as_str()))
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![Just(Target::Current), id().prop_map(Target::Question)]
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        Just(Expr::Current),
        id().prop_map(Expr::Question),
        (-1_000_000_i64..1_000_000).prop_map(Expr::Integer),
        (-1.0e6..1.0e6_f64).prop_map(Expr::Decimal),
        ".{0,6}".prop_map(Expr::Str),
        any::<bool>().prop_map(Expr::Bool),
        (target(), ".{0,4}").prop_map(|(target, value)| Expr::Selected { target, value }),
        target().prop_map(Expr::CountSelected),
        target().prop_map(Expr::Answered),
        target().prop_map(Expr::Length),
    ]
}

const OPS: [BinOp; 12] = [
    BinOp::Or,
    BinOp::And,
    BinOp::Eq,
    BinOp::Ne,
    BinOp::Lt,
    BinOp::Le,
    BinOp::Gt,
    BinOp::Ge,
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
];

/// Any syntax tree, including ones no author would write (`1 and 'x'`):
/// printing must still read back to the same tree.
fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(5, 40, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            inner.clone().prop_map(|e| Expr::Neg(Box::new(e))),
            (0..OPS.len(), inner.clone(), inner.clone()).prop_map(|(i, l, r)| Expr::Binary {
                op: OPS[i],
                left: Box::new(l),
                right: Box::new(r),
            }),
            (inner, 0u8..=10).prop_map(|(value, places)| Expr::Round {
                value: Box::new(value),
                places,
            }),
        ]
    })
}

proptest! {
    #[test]
    fn display_parses_back_to_the_same_expr(e in expr()) {
        let text = e.to_string();
        let back = parse(&text);
        prop_assert_eq!(back.as_ref(), Ok(&e), "printed as {}", text);
    }

    #[test]
    fn parse_never_panics(src in ".{0,40}") {
        let _ = parse(&src);
    }

    #[test]
    fn parse_never_panics_on_expression_like_text(
        src in "[a-z0-9 .,()'\"=!<>+*/-]{0,40}"
    ) {
        if let Err(e) = parse(&src) {
            prop_assert!(e.column >= 1 && e.column <= src.chars().count() + 1);
        }
    }

    #[test]
    fn eval_never_panics(e in expr(), n in -20_i64..20) {
        let given = answers(&[("a", Value::Integer(n)), ("b", Value::Text("x".into()))]);
        let _ = e.eval(&given, Some(&Value::Integer(n)));
    }
}

#[test]
fn matches_finds_a_pattern_in_a_text_answer() {
    let e = parse(r"matches(., '^[0-9]{3}-[0-9]{4}$')").unwrap();
    assert_eq!(e.to_string(), r"matches(., '^[0-9]{3}-[0-9]{4}$')");
    assert_eq!(parse(&e.to_string()).unwrap(), e);
    let no_answers: BTreeMap<String, Value> = BTreeMap::new();
    let text = |s: &str| Value::Text(s.to_owned());
    assert!(e.eval(&no_answers, Some(&text("555-1234"))).unwrap());
    assert!(!e.eval(&no_answers, Some(&text("5551234"))).unwrap());
    // Like ODK's regex(): a match anywhere counts unless the pattern anchors it.
    let anywhere = parse("matches(code, '[0-9]')").unwrap();
    let answers = BTreeMap::from([("code".to_owned(), text("ab3"))]);
    assert!(anywhere.eval(&answers, None).unwrap());
    assert!(
        !anywhere.eval(&no_answers, None).unwrap(),
        "unanswered never matches"
    );
    assert_eq!(anywhere.references(), ["code"]);
    let bad = parse(r"matches(., '(?=x)')").unwrap_err();
    assert!(bad.message.contains("look-around"), "{}", bad.message);
}

/// A flat chain is parsed in a loop, but the tree it builds is walked
/// recursively (evaluation, printing, dropping): 90,000 terms must be refused
/// with an error at the operator that crosses the limit, not crash.
#[test]
fn a_long_flat_chain_is_an_error_not_a_crash() {
    use super::parse::MAX_HEIGHT;
    for op in ["or", "and", "+", "*"] {
        let chain = vec!["a"; 90_000].join(&format!(" {op} "));
        let e = err(&chain);
        assert!(e.message.contains("too long"), "{op}: {}", e.message);
        // `a op ` is 3 + op characters; the error is at the operator that
        // makes the tree one level too tall (a leaf is one level).
        assert_eq!(e.column, (MAX_HEIGHT - 1) * (3 + op.len()) + 3, "{op}");
    }
    let fits = vec!["a"; MAX_HEIGHT].join(" or ");
    let parsed = parse(&fits).unwrap();
    assert_eq!(parse(&parsed.to_string()).unwrap(), parsed);
    // Parentheses do not reset the count: a chain inside a chain still adds up.
    let inner = vec!["a"; MAX_HEIGHT - 10].join(" or ");
    let outer =
        format!("({inner}) and b and c and d and e and f and g and h and i and j and k and l");
    assert!(err(&outer).message.contains("too long"));
}

#[test]
fn calculations_choose_join_and_fall_back_as_odk_does() {
    let given = answers(&[
        ("zone", Value::Choice("z1".into())),
        ("adults", Value::Integer(2)),
        ("children", Value::Integer(3)),
        ("name", Value::Text("Ama".into())),
    ]);
    let value = |src: &str| {
        let parsed = parse(src).unwrap();
        assert_eq!(parse(&parsed.to_string()).unwrap(), parsed, "{src}");
        parsed.value(&given, None).unwrap()
    };
    let text = |s: &str| Some(Value::Text(s.to_owned()));
    assert_eq!(value("if(zone = 'z1', 'north', 'south')"), text("north"));
    assert_eq!(value("if(zone = 'z2', 'north', missing)"), None);
    assert_eq!(value("adults + children"), Some(Value::Integer(5)));
    assert_eq!(
        value("concat(name, ' has ', adults * 2.5)"),
        text("Ama has 5")
    );
    assert_eq!(value("concat('[', missing, ']')"), text("[]"));
    assert_eq!(value("coalesce(missing, name)"), text("Ama"));
    assert_eq!(value("coalesce('', adults)"), Some(Value::Integer(2)));
    // A calculation used as a condition: its yes/no is the condition.
    assert!(holds("if(adults > 1, true, false)", &given));
    assert!(holds("if(zone = 'z1', 'north', 'south') = 'north'", &given));
    for bad in ["if(a, b)", "coalesce(a)", "concat()"] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn round_rounds_halves_upwards_on_the_written_number_as_odk_does() {
    // The expected values are what JavaRosa's round() gives (run on a JVM).
    let given = answers(&[
        ("bill", Value::Decimal(55.88)),
        ("adults", Value::Integer(2)),
    ]);
    let value = |src: &str| {
        let parsed = parse(src).unwrap();
        assert_eq!(parse(&parsed.to_string()).unwrap(), parsed, "{src}");
        parsed.value(&given, None).unwrap()
    };
    let dec = |x: f64| Some(Value::Decimal(x));
    for (src, expected) in [
        ("round(2.5)", 3.0),
        ("round(-2.5)", -2.0),
        ("round(-2.6)", -3.0),
        ("round(-0.5)", 0.0),
        ("round(1.005, 2)", 1.01),
        ("round(2.675, 2)", 2.68),
        ("round(-1.45, 1)", -1.4),
        ("round(-1.46, 1)", -1.5),
        ("round(-1.451, 1)", -1.5),
        ("round(bill * 0.18, 2)", 10.06),
        ("round(33.333, 0)", 33.0),
        ("round(0.0004, 3)", 0.0),
        ("round(9.9996, 3)", 10.0),
    ] {
        assert_eq!(value(src), dec(expected), "{src}");
    }
    assert_eq!(
        value("round(-0.4)").map(|v| format!("{v:?}")),
        Some("Decimal(0.0)".into())
    );
    assert_eq!(value("round(adults, 2)"), Some(Value::Integer(2)));
    assert_eq!(value("round(missing, 2)"), None);
    assert_eq!(value("round(1.25, 10)"), dec(1.25));
    for bad in [
        "round()",
        "round(a, 2, 3)",
        "round(a, -1)",
        "round(a, 11)",
        "round(a, b)",
        "round(a, 1.5)",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

proptest! {
    /// round() against exact integer arithmetic on the written number:
    /// halves towards +infinity is floor(x * 10^p + 1/2).
    #[test]
    fn round_agrees_with_exact_decimal_arithmetic(
        mantissa in -10_000_000i64..10_000_000,
        scale in 0u32..7,
        places in 0u8..7,
    ) {
        let written = {
            let digits = format!("{:0>width$}", mantissa.unsigned_abs(), width = scale as usize + 1);
            let (int, frac) = digits.split_at(digits.len() - scale as usize);
            let sign = if mantissa < 0 { "-" } else { "" };
            if scale == 0 { format!("{sign}{int}.0") } else { format!("{sign}{int}.{frac}") }
        };
        let expected = if u32::from(places) >= scale {
            written.parse::<f64>().unwrap()
        } else {
            let drop = 10i128.pow(scale - u32::from(places));
            let kept = (2 * i128::from(mantissa) + drop).div_euclid(2 * drop);
            kept as f64 / 10f64.powi(i32::from(places))
        };
        let expr = parse(&format!("round({written}, {places})")).unwrap();
        let got = expr.value(&answers(&[]), None).unwrap();
        prop_assert_eq!(got, Some(Value::Decimal(expected)), "round({}, {})", written, places);
    }
}
