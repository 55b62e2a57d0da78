//! Answers shown inside texts (`${id}`, see `crate::piping`): each must name
//! a question of the protocol, or the phone would show nothing there.

use super::{questions_with_location, Findings};
use crate::model::{Protocol, Text};
use crate::piping::references;

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    let mut texts: Vec<(String, &Text)> = vec![("closing".to_owned(), &p.closing)];
    for (loc, q) in questions_with_location(p) {
        texts.push((format!("{loc}.text"), &q.text));
        texts.extend(q.hint.iter().map(|h| (format!("{loc}.hint"), h)));
        texts.extend(
            q.constraint_message
                .iter()
                .map(|m| (format!("{loc}.constraint_message"), m)),
        );
        for c in &q.choices {
            texts.push((format!("{loc}.choices.{}", c.value), &c.label));
        }
    }
    for (loc, text) in texts {
        for value in text.0.values() {
            for id in references(value) {
                if p.question(&id).is_none() {
                    out.error(
                        "unknown-reference",
                        loc.clone(),
                        format!("the text shows `${{{id}}}`, which is not a question in this protocol: check the spelling"),
                    );
                }
            }
        }
    }
}
