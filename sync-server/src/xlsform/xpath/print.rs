//! Printing a translation as Fieldkit expression text, with only the
//! parentheses that are needed.

use std::fmt;

use super::Node;

/// Binding strength, for printing only the parentheses that are needed.
fn strength(node: &Node) -> u8 {
    match node {
        Node::Raw(_) => 0,
        Node::Binary("or", ..) => 1,
        Node::Binary("and", ..) => 2,
        Node::Not(_) => 3,
        Node::Binary("+" | "-", ..) => 5,
        Node::Binary("*" | "/", ..) => 6,
        Node::Binary(..) => 4,
        _ => 7,
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Ref(id) => f.write_str(id),
            Node::Current => f.write_str("."),
            Node::Number(n) => f.write_str(n),
            // XPath text has no escapes; Fieldkit's has, so a backslash or
            // quote inside must be escaped to keep its meaning.
            Node::Str(s) => write!(f, "'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            Node::Bool(b) => write!(f, "{b}"),
            Node::Not(inner) => write!(f, "not ({inner})"),
            Node::Group(inner) => write!(f, "({inner})"),
            Node::Raw(text) => f.write_str(text),
            // Never left in a translation (`translate` refuses it); false is
            // what ODK reads it as.
            Node::NoCell(..) => f.write_str("false"),
            Node::Call(name, args) => {
                write!(f, "{name}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
            Node::Binary(op, left, right) => {
                let own = strength(self);
                // Comparisons don't chain; the right side of - and / must bind tighter.
                let left_min = if own == 4 { own + 1 } else { own };
                let right_min = if matches!(*op, "and" | "or" | "+" | "*") {
                    own
                } else {
                    own + 1
                };
                write_operand(f, left, left_min)?;
                write!(f, " {op} ")?;
                write_operand(f, right, right_min)
            }
        }
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, node: &Node, min: u8) -> fmt::Result {
    if strength(node) < min {
        write!(f, "({node})")
    } else {
        write!(f, "{node}")
    }
}
