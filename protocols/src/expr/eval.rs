//! Evaluation over recorded answers. An unanswered question is `Missing`,
//! which makes every comparison false and counts as false where a yes/no is
//! needed, like XLSForm's empty value.

use std::cmp::Ordering;

use super::{Answers, BinOp, Expr, Target};
use crate::value::Value;

/// An expression that could not be evaluated against these answers, e.g. a
/// text compared with a number. The engine treats it as a protocol bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

fn fail<T>(message: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError(message.into()))
}

/// An intermediate result.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Missing,
    Bool(bool),
    Int(i64),
    Dec(f64),
    Str(String),
    List(Vec<String>),
    Place,
}

impl Val {
    fn from_answer(value: Option<&Value>) -> Val {
        match value {
            None => Val::Missing,
            Some(Value::Bool(b)) => Val::Bool(*b),
            Some(Value::Integer(n)) => Val::Int(*n),
            Some(Value::Decimal(x)) => Val::Dec(*x),
            Some(Value::Count(n)) => Val::Int(i64::from(*n)),
            Some(Value::Text(s) | Value::Choice(s) | Value::Date(s) | Value::Time(s)) => {
                Val::Str(s.clone())
            }
            Some(Value::Choices(list) | Value::Ranking(list)) => Val::List(list.clone()),
            Some(Value::Location { .. }) => Val::Place,
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Val::Missing => "no answer",
            Val::Bool(_) => "yes/no",
            Val::Int(_) | Val::Dec(_) => "a number",
            Val::Str(_) => "a text",
            Val::List(_) => "a list of choices",
            Val::Place => "a location",
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            #[allow(clippy::cast_precision_loss)] // survey numbers are far below 2^53
            Val::Int(n) => Some(*n as f64),
            Val::Dec(x) => Some(*x),
            Val::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

pub(super) fn eval(
    expr: &Expr,
    answers: &dyn Answers,
    current: Option<&Value>,
) -> Result<bool, EvalError> {
    let ctx = Ctx { answers, current };
    truth(&ctx.value(expr)?, expr)
}

pub(super) fn value(
    expr: &Expr,
    answers: &dyn Answers,
    current: Option<&Value>,
) -> Result<Option<Value>, EvalError> {
    let ctx = Ctx { answers, current };
    Ok(match ctx.value(expr)? {
        Val::Missing | Val::Place => None,
        Val::Str(s) if s.is_empty() => None,
        Val::Bool(b) => Some(Value::Bool(b)),
        Val::Int(n) => Some(Value::Integer(n)),
        Val::Dec(x) if x.is_finite() => Some(Value::Decimal(x)),
        Val::Dec(_) => None,
        Val::Str(s) => Some(Value::Text(s)),
        Val::List(list) => Some(Value::Choices(list)),
    })
}

impl Val {
    /// The value as ODK writes it into a text: numbers without a needless
    /// `.0`, several choices joined by spaces, nothing for no answer.
    fn text(&self) -> String {
        match self {
            Val::Missing | Val::Place => String::new(),
            Val::Bool(b) => b.to_string(),
            Val::Int(n) => n.to_string(),
            Val::Dec(x) => x.to_string(),
            Val::Str(s) => s.clone(),
            Val::List(list) => list.join(" "),
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Val::Missing => true,
            Val::Str(s) => s.is_empty(),
            _ => false,
        }
    }
}

struct Ctx<'a> {
    answers: &'a dyn Answers,
    current: Option<&'a Value>,
}

/// A value used as a condition: unanswered is false.
fn truth(v: &Val, expr: &Expr) -> Result<bool, EvalError> {
    match v {
        Val::Bool(b) => Ok(*b),
        Val::Missing => Ok(false),
        other => fail(format!(
            "`{expr}` is {}, not true/false: compare it, e.g. `{expr} = 'value'`",
            other.describe()
        )),
    }
}

impl Ctx<'_> {
    fn target(&self, target: &Target) -> Result<Val, EvalError> {
        match target {
            Target::Current => match self.current {
                Some(v) => Ok(Val::from_answer(Some(v))),
                None => fail("`.` (the answer being given) can only be used in a constraint"),
            },
            Target::Question(id) => Ok(Val::from_answer(self.answers.answer(id))),
        }
    }

    fn value(&self, expr: &Expr) -> Result<Val, EvalError> {
        Ok(match expr {
            Expr::Current => self.target(&Target::Current)?,
            Expr::Question(id) => self.target(&Target::Question(id.clone()))?,
            Expr::Integer(n) => Val::Int(*n),
            Expr::Decimal(x) => Val::Dec(*x),
            Expr::Str(s) => Val::Str(s.clone()),
            Expr::Bool(b) => Val::Bool(*b),
            Expr::Not(inner) => Val::Bool(!truth(&self.value(inner)?, inner)?),
            Expr::Neg(inner) => match self.value(inner)? {
                Val::Missing => Val::Missing,
                Val::Int(n) => n.checked_neg().map_or(Val::Dec(-(n as f64)), Val::Int),
                Val::Dec(x) => Val::Dec(-x),
                other => return fail(format!("cannot negate {}", other.describe())),
            },
            Expr::Binary { op, left, right } => self.binary(*op, left, right)?,
            Expr::If(parts) => {
                let [condition, then, otherwise] = &**parts;
                if truth(&self.value(condition)?, condition)? {
                    self.value(then)?
                } else {
                    self.value(otherwise)?
                }
            }
            Expr::Coalesce(parts) => {
                let first = self.value(&parts[0])?;
                if first.is_blank() {
                    self.value(&parts[1])?
                } else {
                    first
                }
            }
            Expr::Round { value, places } => match self.value(value)? {
                Val::Missing => Val::Missing,
                Val::Int(n) => Val::Int(n),
                other => match other.as_f64() {
                    Some(x) => round(x, *places).map_or(Val::Missing, Val::Dec),
                    None => {
                        return fail(format!("round() needs a number, not {}", other.describe()))
                    }
                },
            },
            Expr::Concat(parts) => {
                let mut out = String::new();
                for part in parts {
                    out.push_str(&self.value(part)?.text());
                }
                Val::Str(out)
            }
            Expr::Selected { target, value } => match self.target(target)? {
                Val::Missing => Val::Bool(false),
                Val::Str(s) => Val::Bool(&s == value),
                Val::List(list) => Val::Bool(list.contains(value)),
                other => {
                    return fail(format!(
                        "selected({target}, ...) needs a choice question, but `{target}` is {}",
                        other.describe()
                    ))
                }
            },
            Expr::CountSelected(target) => match self.target(target)? {
                Val::Missing => Val::Int(0),
                Val::Str(_) => Val::Int(1),
                Val::List(list) => Val::Int(i64::try_from(list.len()).unwrap_or(i64::MAX)),
                other => {
                    return fail(format!(
                        "count_selected({target}) needs a choice question, but `{target}` is {}",
                        other.describe()
                    ))
                }
            },
            Expr::Answered(target) => Val::Bool(self.target(target)? != Val::Missing),
            Expr::Matches { target, pattern } => match self.target(target)? {
                Val::Missing => Val::Bool(false),
                Val::Str(s) => Val::Bool(
                    super::pattern::compile(pattern)
                        .map_err(EvalError)?
                        .is_match(&s),
                ),
                other => {
                    return fail(format!(
                        "matches({target}, ...) needs a text answer, but `{target}` is {}",
                        other.describe()
                    ))
                }
            },
            Expr::Length(target) => match self.target(target)? {
                Val::Missing => Val::Missing,
                Val::Str(s) => Val::Int(i64::try_from(s.chars().count()).unwrap_or(i64::MAX)),
                other => {
                    return fail(format!(
                        "length({target}) needs a text answer, but `{target}` is {}",
                        other.describe()
                    ))
                }
            },
        })
    }

    fn binary(&self, op: BinOp, left: &Expr, right: &Expr) -> Result<Val, EvalError> {
        match op {
            BinOp::And => {
                let l = truth(&self.value(left)?, left)?;
                Ok(Val::Bool(l && truth(&self.value(right)?, right)?))
            }
            BinOp::Or => {
                let l = truth(&self.value(left)?, left)?;
                Ok(Val::Bool(l || truth(&self.value(right)?, right)?))
            }
            _ if op.is_comparison() => {
                let (l, r) = (self.value(left)?, self.value(right)?);
                compare(op, &l, &r).map(Val::Bool)
            }
            _ => arithmetic(op, &self.value(left)?, &self.value(right)?),
        }
    }
}

fn compare(op: BinOp, l: &Val, r: &Val) -> Result<bool, EvalError> {
    let ordering = match (l, r) {
        (Val::Missing, _) | (_, Val::Missing) => return Ok(false),
        (Val::Bool(a), Val::Bool(b)) => {
            if !matches!(op, BinOp::Eq | BinOp::Ne) {
                return fail("yes/no answers can only be compared with = or !=");
            }
            a.cmp(b)
        }
        // Dates (YYYY-MM-DD) and times (HH:MM) order correctly as text.
        (Val::Str(a), Val::Str(b)) => a.cmp(b),
        (Val::Int(a), Val::Int(b)) => a.cmp(b),
        (a, b) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => {
                return fail(format!(
                    "cannot compare {} with {}",
                    a.describe(),
                    b.describe()
                ))
            }
        },
    };
    Ok(match op {
        BinOp::Eq => ordering == Ordering::Equal,
        BinOp::Ne => ordering != Ordering::Equal,
        BinOp::Lt => ordering == Ordering::Less,
        BinOp::Le => ordering != Ordering::Greater,
        BinOp::Gt => ordering == Ordering::Greater,
        _ => ordering != Ordering::Less,
    })
}

#[allow(clippy::cast_precision_loss)] // survey numbers are far below 2^53
fn arithmetic(op: BinOp, l: &Val, r: &Val) -> Result<Val, EvalError> {
    if *l == Val::Missing || *r == Val::Missing {
        return Ok(Val::Missing);
    }
    if let (Val::Int(a), Val::Int(b)) = (l, r) {
        let exact = match op {
            BinOp::Add => a.checked_add(*b),
            BinOp::Sub => a.checked_sub(*b),
            BinOp::Mul => a.checked_mul(*b),
            _ => None, // division gives a decimal: 7 / 2 is 3.5
        };
        if let Some(n) = exact {
            return Ok(Val::Int(n));
        }
    }
    let (Some(a), Some(b)) = (l.as_f64(), r.as_f64()) else {
        return fail(format!(
            "cannot do arithmetic ({}) with {} and {}",
            op.symbol(),
            l.describe(),
            r.describe()
        ));
    };
    Ok(Val::Dec(match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        _ => {
            if b == 0.0 {
                return fail("division by zero");
            }
            a / b
        }
    }))
}

/// `x` to `places` decimals, halves towards +infinity, on the number as it
/// is written (1.005 is 1.01): what JavaRosa's round() does through
/// `BigDecimal(Double.toString(x))`. `None` for a value that is not finite.
fn round(x: f64, places: u8) -> Option<f64> {
    if !x.is_finite() {
        return None;
    }
    // Rust writes the shortest decimal that reads back as `x`, never in
    // exponent form: the digits JavaRosa rounds.
    let written = format!("{}", x.abs());
    let (whole, fraction) = written.split_once('.').unwrap_or((&written, ""));
    let places = usize::from(places);
    if fraction.len() <= places {
        return Some(x);
    }
    let kept = format!("{whole}{}", &fraction[..places]);
    let next = fraction.as_bytes()[places] - b'0';
    let beyond = fraction[places + 1..].bytes().any(|d| d != b'0');
    // Towards +infinity: a positive half goes up, a negative half goes
    // towards zero.
    let away_from_zero = next > 5 || (next == 5 && (x > 0.0 || beyond));
    let mut digits: u128 = kept.parse().ok()?;
    digits += u128::from(away_from_zero);
    let rounded = format!("{digits:0>width$}", width = places + 1);
    let (int, dec) = rounded.split_at(rounded.len() - places);
    let magnitude: f64 = format!("{int}.{dec}").trim_end_matches('.').parse().ok()?;
    // BigDecimal has no negative zero: round(-0.4) is 0.
    Some(if x < 0.0 && magnitude != 0.0 {
        -magnitude
    } else {
        magnitude
    })
}
