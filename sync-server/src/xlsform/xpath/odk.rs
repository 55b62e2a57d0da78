//! ODK's meaning where Fieldkit's expressions differ: blanks, texts against
//! numbers, multiple choices, what may stand as a condition, and Java's
//! regular expression classes.

use super::parse::Parser;
use super::{and, xpath_name, Node, Shape, XPathError};

impl Parser<'_> {
    pub(super) fn comparison(&mut self) -> Result<Node, XPathError> {
        let left = self.sum()?;
        let column = self.column();
        let Some(op) = self.op(&["=", "!=", "<", "<=", ">", ">="]) else {
            return Ok(left);
        };
        let right = self.sum()?;
        // A choice column the choices sheet lacks is an empty node-set in
        // ODK: every comparison with it is false.
        if matches!(left, Node::NoCell(..)) || matches!(right, Node::NoCell(..)) {
            return Ok(Node::Bool(false));
        }
        // Two texts (a note's value is always '') compare as texts.
        if let (Node::Str(a), Node::Str(b), "=" | "!=") = (&left, &right, op) {
            return Ok(Node::Bool((a == b) == (op == "=")));
        }
        // `${q} != ''` is how XLSForm says "q was answered".
        let blank = |n: &Node| matches!(n, Node::Str(s) if s.is_empty());
        let answered = |n: &Node| Node::Call("answered", vec![n.clone()]);
        match (op, &left, &right) {
            ("!=", q @ Node::Ref(_), r) | ("!=", r, q @ Node::Ref(_)) if blank(r) => {
                return Ok(answered(q))
            }
            ("=", q @ Node::Ref(_), r) | ("=", r, q @ Node::Ref(_)) if blank(r) => {
                return Ok(Node::Not(Box::new(answered(q))))
            }
            _ if blank(&left) || blank(&right) => {
                return self
                    .fail("comparing with '' is only supported as ${question} = '' or != ''")
            }
            _ => {}
        }
        let fail = |message: String| Err(XPathError { column, message });
        let (ls, rs) = (self.shape(&left), self.shape(&right));
        // A multiple-choice answer is its values joined by spaces in ODK.
        if let (Shape::Multiple, _) | (_, Shape::Multiple) = (ls, rs) {
            let (q, other) = if ls == Shape::Multiple {
                (&left, &right)
            } else {
                (&right, &left)
            };
            return match (op, other) {
                ("=" | "!=", Node::Str(v)) if !v.contains(char::is_whitespace) => {
                    let exactly = and(
                        Node::Binary(
                            "=",
                            Box::new(Node::Call("count_selected", vec![q.clone()])),
                            Box::new(Node::Number("1".to_owned())),
                        ),
                        Node::Call("selected", vec![q.clone(), Node::Str(v.clone())]),
                    );
                    Ok(if op == "=" { exactly } else { Node::Not(Box::new(exactly)) })
                }
                _ => fail(format!(
                    "`{}` can hold several choices: test one with selected({}, 'value') or count them with count-selected({})",
                    q, xpath_name(q), xpath_name(q)
                )),
            };
        }
        let text_like = |s: Shape, n: &Node| {
            matches!(s, Shape::Text | Shape::Choice { numeric: false })
                || matches!(n, Node::Str(v) if v.trim().parse::<f64>().is_err())
        };
        let number_like = |s: Shape| s == Shape::Number;
        if matches!(op, "<" | "<=" | ">" | ">=")
            && (text_like(ls, &left) || text_like(rs, &right))
            && !(ls == Shape::Date || rs == Shape::Date)
        {
            return fail(format!(
                "`{op}` compares numbers in ODK, and a text is no number (the comparison is always false); compare a number question, or test the text with = or !="
            ));
        }
        if (number_like(ls) && text_like(rs, &right)) || (text_like(ls, &left) && number_like(rs)) {
            return fail(
                "a number is compared with a text here; in ODK that is always false. Quote the value if the answer is a choice or a text ('1'), or compare the number question with a number".to_owned(),
            );
        }
        if matches!(ls, Shape::Choice { numeric: false } | Shape::Text)
            && matches!(right, Node::Number(_))
            || matches!(rs, Shape::Choice { numeric: false } | Shape::Text)
                && matches!(left, Node::Number(_))
        {
            return fail(
                "a choice or text answer is compared with a number; write the value in quotes, e.g. '1'".to_owned(),
            );
        }
        let compared = Node::Binary(op, Box::new(left.clone()), Box::new(right.clone()));
        let both_answers = matches!(left, Node::Ref(_)) && matches!(right, Node::Ref(_));
        let neither = || {
            and(
                Node::Not(Box::new(answered(&left))),
                Node::Not(Box::new(answered(&right))),
            )
        };
        Ok(match op {
            // ODK: '' != 'x' holds, and two unanswered questions are equal.
            "!=" if both_answers => and(
                Node::Not(Box::new(Node::Binary(
                    "=",
                    Box::new(left.clone()),
                    Box::new(right.clone()),
                ))),
                Node::Binary("or", Box::new(answered(&left)), Box::new(answered(&right))),
            ),
            "!=" => Node::Not(Box::new(Node::Binary("=", Box::new(left), Box::new(right)))),
            "=" if both_answers => Node::Binary(
                "or",
                Box::new(Node::Group(Box::new(compared))),
                Box::new(Node::Group(Box::new(neither()))),
            ),
            _ => compared,
        })
    }

    /// The kind of value `node` is.
    pub(super) fn shape(&self, node: &Node) -> Shape {
        match node {
            Node::Ref(id) => (self.shapes)(Some(id)),
            Node::Current => (self.shapes)(None),
            Node::Number(_) => Shape::Number,
            Node::Str(_) => Shape::Text,
            Node::Group(inner) => self.shape(inner),
            Node::Call("count_selected" | "length" | "round", _) => Shape::Number,
            Node::Call("concat", _) => Shape::Text,
            Node::Call("if" | "coalesce", args) => {
                let (a, b) = (&args[args.len() - 2], &args[args.len() - 1]);
                let (sa, sb) = (self.shape(a), self.shape(b));
                if sa == sb {
                    sa
                } else {
                    Shape::Other
                }
            }
            Node::Binary("+" | "-" | "*" | "/", ..) => Shape::Number,
            Node::Bool(_) | Node::Not(_) | Node::Binary(..) | Node::Call(..) | Node::Raw(_) => {
                Shape::Condition
            }
            Node::NoCell(..) => Shape::Other,
        }
    }

    /// A value where ODK expects a condition, read as ODK reads it: a number
    /// is true unless 0, a text unless empty, a choice column the choices
    /// sheet lacks (an empty node-set) is false. An answer that is not
    /// yes/no is refused (ODK and Fieldkit read those differently).
    pub(super) fn condition(&self, node: Node, column: usize) -> Result<Node, XPathError> {
        let fail = |message: String| Err(XPathError { column, message });
        match node {
            Node::Binary(op @ ("and" | "or"), left, right) => Ok(Node::Binary(
                op,
                Box::new(self.condition(*left, column)?),
                Box::new(self.condition(*right, column)?),
            )),
            Node::Not(inner) => Ok(Node::Not(Box::new(self.condition(*inner, column)?))),
            Node::Group(inner) => Ok(Node::Group(Box::new(self.condition(*inner, column)?))),
            Node::Number(n) => Ok(Node::Bool(n.parse::<f64>().is_ok_and(|x| x != 0.0))),
            Node::Str(s) => Ok(Node::Bool(!s.is_empty())),
            Node::NoCell(..) => Ok(Node::Bool(false)),
            other => match self.shape(&other) {
                Shape::Condition | Shape::Other => Ok(other),
                _ => fail(format!(
                    "`{other}` is an answer or a number, not a condition: compare it, e.g. {} != '' or {} > 0",
                    xpath_name(&other),
                    xpath_name(&other)
                )),
            },
        }
    }
}

/// Java's `\d`, `\w` and `\s` (what ODK's regex() uses), and their negations
/// `\D`, `\W` and `\S`, are ASCII classes; Rust's are Unicode. Spelled out so
/// a pattern accepts exactly what ODK does (Rust reads a class inside a class,
/// `[a[^0-9]]`, as Java does).
pub(super) fn java_classes(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                let class = match next.to_ascii_lowercase() {
                    'd' => Some("0-9"),
                    'w' => Some("0-9A-Za-z_"),
                    's' => Some(" \\t\\n\\x0B\\f\\r"),
                    _ => None,
                };
                match (class, in_class) {
                    (Some(class), true) if next.is_ascii_lowercase() => out.push_str(class),
                    (Some(class), _) => {
                        out.push('[');
                        if next.is_ascii_uppercase() {
                            out.push('^');
                        }
                        out.push_str(class);
                        out.push(']');
                    }
                    (None, _) => {
                        out.push(c);
                        out.push(next);
                    }
                }
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}
