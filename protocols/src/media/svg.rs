//! SVG pictures: an allowlist of drawing elements and attributes. Nothing
//! that runs (script, event attributes, `javascript:`), nothing that reaches
//! outside the file (links, external `href`, `url(...)` other than `#id`,
//! `@import`, `foreignObject`, embedded documents), no DOCTYPE (entity
//! expansion), no `<metadata>` (author and licence blocks that can name a
//! person; say the licence in the bundle's README). A hostile file is
//! refused with the reason, never silently cleaned: the author must know.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{Checked, MediaKind};

type Outcome = Result<Checked, (&'static str, String)>;

const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "title",
    "desc",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "pattern",
    "style",
];

fn hostile(why: &str) -> (&'static str, String) {
    ("media-svg", format!("is refused: {why}. A picture card must be a plain drawing; remove it and publish again"))
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or_default().to_owned()
}

/// `url(...)` may point only inside the file; `@import`, `javascript:` and
/// `expression(` never appear.
fn check_css(value: &str, at: &str) -> Result<(), (&'static str, String)> {
    let lower = value
        .to_ascii_lowercase()
        .replace(|c: char| c.is_whitespace(), "");
    if lower.contains("javascript:") || lower.contains("@import") || lower.contains("expression(") {
        return Err(hostile(&format!("{at} runs or loads something")));
    }
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("url(") {
        rest = &rest[i + 4..];
        let inner = rest.trim_start_matches(['\'', '"']);
        if !inner.starts_with('#') {
            return Err(hostile(&format!(
                "{at} refers to a file or address outside the picture (`url(` that is not `#id`)"
            )));
        }
    }
    Ok(())
}

fn check_element(e: &BytesStart<'_>, depth: usize) -> Result<String, (&'static str, String)> {
    let name = local(e.name().as_ref());
    if depth == 0 && name != "svg" {
        return Err(hostile("the root element is not `<svg>`"));
    }
    if name == "metadata" {
        return Err(("media-metadata", "has a `<metadata>` block (it can name an author or a place); remove it and state the licence beside the bundle".to_owned()));
    }
    if !ELEMENTS.contains(&name.as_str()) {
        let why = match name.as_str() {
            "script" => "it contains a `<script>`".to_owned(),
            "foreignObject" => {
                "it contains a `<foreignObject>` (a web page inside the picture)".to_owned()
            }
            "a" => "it contains a link (`<a>`)".to_owned(),
            "image" | "feImage" => {
                "it loads another picture (`<image>`); draw it in the SVG or use a PNG".to_owned()
            }
            other => format!("`<{other}>` is not a plain drawing element"),
        };
        return Err(hostile(&why));
    }
    for attr in e.attributes() {
        let attr =
            attr.map_err(|err| ("media-invalid", format!("is not well-formed SVG ({err})")))?;
        let key = local(attr.key.as_ref());
        // Unescaped first, so `&#106;avascript:` is read as the browser reads it.
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| {
                hostile(&format!(
                    "an attribute of `<{name}>` cannot be read ({err})"
                ))
            })?
            .into_owned();
        let at = format!("`<{name} {key}=...>`");
        if key.to_ascii_lowercase().starts_with("on") {
            return Err(hostile(&format!(
                "{at} is an event handler (code that runs)"
            )));
        }
        if key == "href" && !value.trim_start().starts_with('#') {
            return Err(hostile(&format!(
                "{at} points outside the picture (only `#id` is allowed)"
            )));
        }
        check_css(&value, &at)?;
    }
    Ok(name)
}

pub(super) fn check(bytes: &[u8]) -> Outcome {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        (
            "media-invalid",
            "is not UTF-8 text, so not an SVG file".to_owned(),
        )
    })?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<String> = Vec::new();
    let mut root_seen = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            (
                "media-invalid",
                format!("is not well-formed SVG ({e}); save it again from the drawing program"),
            )
        })?;
        match event {
            Event::Start(e) => {
                if root_seen && stack.is_empty() {
                    return Err(hostile("there is more than one root element"));
                }
                let name = check_element(&e, stack.len())?;
                stack.push(name);
                root_seen = true;
            }
            Event::Empty(e) => {
                if stack.is_empty() {
                    return Err(hostile("the file is an empty `<svg/>`"));
                }
                check_element(&e, stack.len())?;
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) => {
                if stack.last().is_some_and(|n| n == "style") {
                    check_css(&t, "a `<style>` block")?;
                }
            }
            Event::CData(t) => {
                check_css(&t, "a CDATA block")?;
            }
            Event::GeneralRef(r) => {
                let name = r.to_string();
                if stack.last().is_some_and(|n| n == "style") {
                    // A reference could spell `url(` past the check above.
                    return Err(hostile(
                        "a `<style>` block uses an entity or character reference",
                    ));
                }
                let predefined = ["lt", "gt", "amp", "quot", "apos"].contains(&name.as_str());
                if !predefined && !name.starts_with('#') {
                    return Err(hostile(&format!("it uses the entity `&{name};`")));
                }
            }
            Event::DocType(_) => {
                return Err(hostile(
                    "it has a DOCTYPE (entities can expand without end or read files)",
                ));
            }
            Event::PI(_) => return Err(hostile("it has a processing instruction (`<?...?>`)")),
            Event::Comment(_) | Event::Decl(_) => {}
            Event::Eof => break,
        }
    }
    if !root_seen || !stack.is_empty() {
        return Err(("media-invalid", "is not a complete SVG document".to_owned()));
    }
    Ok(Checked {
        kind: MediaKind::Svg,
        bytes: bytes.to_vec(),
        removed: Vec::new(),
    })
}
