//! Lookups into the form's choice lists: `instance('list')/root/item[name =
//! ${q}]/column` (a cell of the chosen item) and `jr:choice-name(${q},
//! '${q}')` (the chosen choice's label), and into a data file beside the
//! form: `pulldata('file', 'column', 'key_column', ${q})`. Each becomes one `if` per choice,
//! joined: `concat(if(q = 'a', 'cell of a', ''), if(q = 'b', ...))`, which
//! is the chosen choice's cell, and '' while `q` is unanswered, as in ODK.

use super::lex::Token;
use super::parse::Parser;
use super::{ListOf, Node, Shape, XPathError};

/// A lookup writes one `if` per choice; past this, refuse rather than
/// write an expression nobody can read.
const MAX_CHOICES: usize = 500;

impl Parser<'_> {
    /// `instance('list')/root/item[name = ${q}]/column`; `instance` is read.
    pub(super) fn instance_lookup(&mut self, column: usize) -> Result<Node, XPathError> {
        let shape = "instance() is supported as instance('list')/root/item[name = ${q}]/column";
        let expect = |p: &mut Self, token: Token| {
            if p.peek() == Some(&token) {
                p.at += 1;
                Ok(())
            } else {
                p.fail(shape)
            }
        };
        expect(self, Token::Open)?;
        let Some(Token::Str(list)) = self.peek().cloned() else {
            return self.fail(shape);
        };
        self.at += 1;
        expect(self, Token::Close)?;
        for token in [
            Token::Path('/'),
            Token::Name("root".to_owned()),
            Token::Path('/'),
            Token::Name("item".to_owned()),
            Token::Path('['),
        ] {
            expect(self, token)?;
        }
        let name = Token::Name("name".to_owned());
        let equals = Token::Op("=");
        let answer_column = self.column();
        let name_first = self.peek() == Some(&name)
            && self.tokens.get(self.at + 1).map(|t| &t.0) == Some(&equals);
        let answer = if name_first {
            // `name = ${q}`
            self.at += 2;
            self.sum()?
        } else if self.peek() == Some(&name) {
            return self.fail(shape);
        } else {
            // `${q} = name`
            let answer = self.sum()?;
            expect(self, equals)?;
            expect(self, name)?;
            answer
        };
        expect(self, Token::Path(']'))?;
        expect(self, Token::Path('/'))?;
        let Some(Token::Name(cell)) = self.peek().cloned() else {
            return self.fail(shape);
        };
        self.at += 1;
        self.pick(&answer, ListOf::List(&list), &cell, column, answer_column)
    }

    /// `jr:choice-name(value, '${q}')`: the label of the choice `value` in
    /// the list of question `q`.
    pub(super) fn choice_name(
        &self,
        value: &Node,
        path: &str,
        column: usize,
    ) -> Result<Node, XPathError> {
        let fail = |message: String| Err(XPathError { column, message });
        let question = path
            .trim()
            .strip_prefix("${")
            .and_then(|p| p.strip_suffix('}'))
            .map(|name| (self.resolve)(name.trim()));
        let Some(Ok(Node::Ref(id))) = question else {
            return fail(format!(
                "jr:choice-name() needs its select question's name as '${{q}}', not '{path}'"
            ));
        };
        self.pick(value, ListOf::Question(&id), "label", column, column)
    }

    /// The cell in `cell` of the choice `answer` names, one `if` per choice.
    pub(super) fn pick(
        &self,
        answer: &Node,
        list: ListOf<'_>,
        cell: &str,
        column: usize,
        answer_column: usize,
    ) -> Result<Node, XPathError> {
        match self.shape(answer) {
            Shape::Choice { .. } | Shape::Text | Shape::Other => {}
            _ => {
                return Err(XPathError {
                    column: answer_column,
                    message: "a lookup takes a single-choice or text answer: `name = ${q}` with q a select_one".to_owned(),
                })
            }
        }
        let lookup = self.lookup.ok_or_else(|| XPathError {
            column,
            message: "a lookup into a choice list needs the form's lists".to_owned(),
        })?;
        let pairs = lookup(list, cell).map_err(|message| XPathError { column, message })?;
        // A fixed key (`pulldata(..., 'mango')`) is a fixed value.
        if let Node::Str(key) = answer {
            let found = pairs.into_iter().find(|(value, _)| value == key);
            return Ok(Node::Str(found.map(|(_, cell)| cell).unwrap_or_default()));
        }
        if pairs.len() > MAX_CHOICES {
            return Err(XPathError {
                column,
                message: format!("a lookup into a list of more than {MAX_CHOICES} choices is not supported; work the value out with if() over the choices you need"),
            });
        }
        if pairs.is_empty() {
            return Ok(Node::Str(String::new()));
        }
        let ifs = pairs
            .into_iter()
            .map(|(value, found)| {
                let chosen =
                    Node::Binary("=", Box::new(answer.clone()), Box::new(Node::Str(value)));
                Node::Call(
                    "if",
                    vec![chosen, Node::Str(found), Node::Str(String::new())],
                )
            })
            .collect();
        Ok(Node::Call("concat", ifs))
    }
}
