//! `${name}` inside labels, hints, choice labels and constraint messages:
//! ODK shows the answer there, and so does Fieldkit (`fieldkit_protocols::
//! piping`), once each name is rewritten as the question's Fieldkit id.

use fieldkit_protocols::Text;

/// `text` with every `${name}` rewritten as `${id}`; `resolve` gives the id,
/// or says why the name cannot be shown.
pub(crate) fn rewrite(
    text: Text,
    resolve: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Text, String> {
    let mut out = Text::default();
    for (lang, value) in text.0 {
        let mut written = String::new();
        let mut rest = value.as_str();
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("`${{` without a closing `}}` in `{value}`"))?;
            written.push_str(&rest[..start]);
            written.push_str(&format!("${{{}}}", resolve(after[..end].trim())?));
            rest = &after[end + 1..];
        }
        written.push_str(rest);
        out.0.insert(lang, written);
    }
    Ok(out)
}
