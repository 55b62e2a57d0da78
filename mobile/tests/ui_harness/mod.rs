//! Drives the real `App` component headlessly: renders to HTML with
//! dioxus-ssr and delivers click/input/change events to elements found by
//! their `id` attribute, as the desktop webview would.

#![allow(dead_code)] // Each test file uses a different part.

pub mod enrolment;
pub mod journey;
pub mod phone;
pub mod server;

use std::any::Any;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dioxus::dioxus_core::{
    AttributeValue, ElementId, Template, TemplateAttribute, TemplateNode, WriteMutations,
};
use dioxus::prelude::*;
use dioxus_html::{
    PlatformEventData, SerializedFormData, SerializedHtmlEventConverter, SerializedMouseData,
};
use fieldkit_mobile::ui::i18n::Lang;
use fieldkit_mobile::ui::services::{AppServices, EnrolDefaults, ServiceError, Services};
use fieldkit_mobile::ui::state::{EnrolForm, SetupProgress};
use fieldkit_mobile::ui::App;

/// Tracks which `ElementId` each `id="..."` attribute belongs to.
#[derive(Default)]
struct IdMap {
    ids: HashMap<String, ElementId>,
    /// The template root most recently loaded; ids assigned next are paths in it.
    current: Option<(Template, usize)>,
    /// What was typed into each text field, as the webview would hold it:
    /// the app never writes into a field, so this is what the person sees.
    /// A new element under a reused id starts from its `initial_value`.
    typed: HashMap<ElementId, String>,
}

impl IdMap {
    fn static_id(node: &TemplateNode) -> Option<&'static str> {
        match node {
            TemplateNode::Element { attrs, .. } => attrs.iter().find_map(|a| match a {
                TemplateAttribute::Static {
                    name: "id", value, ..
                } => Some(*value),
                _ => None,
            }),
            _ => None,
        }
    }

    fn remember(&mut self, node: &TemplateNode, id: ElementId) {
        if let Some(name) = Self::static_id(node) {
            self.ids.insert(name.to_owned(), id);
        }
    }
}

impl WriteMutations for IdMap {
    fn append_children(&mut self, _: ElementId, _: usize) {}
    fn assign_node_id(&mut self, path: &'static [u8], id: ElementId) {
        let Some((template, root)) = self.current else {
            return;
        };
        let mut node = &template.roots[root];
        for &step in path {
            match node {
                TemplateNode::Element { children, .. } => node = &children[step as usize],
                _ => return,
            }
        }
        self.typed.remove(&id);
        self.remember(node, id);
    }
    fn create_placeholder(&mut self, _: ElementId) {}
    fn create_text_node(&mut self, _: &str, _: ElementId) {}
    fn load_template(&mut self, template: Template, index: usize, id: ElementId) {
        self.current = Some((template, index));
        self.typed.remove(&id);
        self.remember(&template.roots[index], id);
    }
    fn replace_node_with(&mut self, _: ElementId, _: usize) {}
    fn replace_placeholder_with_nodes(&mut self, _: &'static [u8], _: usize) {}
    fn insert_nodes_after(&mut self, _: ElementId, _: usize) {}
    fn insert_nodes_before(&mut self, _: ElementId, _: usize) {}
    fn set_attribute(
        &mut self,
        name: &'static str,
        _: Option<&'static str>,
        value: &AttributeValue,
        id: ElementId,
    ) {
        if name == "id" {
            if let AttributeValue::Text(text) = value {
                self.ids.insert(text.clone(), id);
            }
        }
    }
    fn set_node_text(&mut self, _: &str, _: ElementId) {}
    fn create_event_listener(&mut self, _: &'static str, _: ElementId) {}
    fn remove_event_listener(&mut self, _: &'static str, _: ElementId) {}
    fn remove_node(&mut self, _: ElementId) {}
    fn push_root(&mut self, _: ElementId) {}
}

/// The app under test.
pub struct Ui {
    dom: VirtualDom,
    ids: IdMap,
}

impl Ui {
    pub fn start(services: impl AppServices + 'static) -> Self {
        dioxus_html::set_event_converter(Box::new(SerializedHtmlEventConverter));
        let mut dom = VirtualDom::new(App).with_root_context(Services::new(services));
        let mut ids = IdMap::default();
        dom.rebuild(&mut ids);
        Self { dom, ids }
    }

    /// The rendered page.
    pub fn html(&self) -> String {
        dioxus_ssr::render(&self.dom)
    }

    /// What a person reads: the page without tags, entities decoded, spaces collapsed.
    pub fn text(&self) -> String {
        let html = self.html();
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        decode_entities(&out)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn has(&self, id: &str) -> bool {
        self.html().contains(&format!("id=\"{id}\""))
    }

    /// Whether the element with this id is rendered with `disabled`.
    pub fn is_disabled(&self, id: &str) -> bool {
        let html = self.html();
        let start = html
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no element with id {id} in {html}"));
        let tag_start = html[..start].rfind('<').unwrap();
        let tag_end = start + html[start..].find('>').unwrap();
        let tag = &html[tag_start..tag_end];
        tag.contains("disabled=true")
            || tag.contains("disabled=\"true\"")
            || tag.contains(" disabled ")
    }

    fn element(&self, id: &str) -> ElementId {
        assert!(
            self.has(id),
            "no element with id {id} on screen:\n{}",
            self.text()
        );
        *self
            .ids
            .ids
            .get(id)
            .unwrap_or_else(|| panic!("element {id} has no ElementId"))
    }

    fn send(&mut self, name: &str, id: &str, data: Box<dyn Any>) {
        let element = self.element(id);
        let event = Event::new(Rc::new(PlatformEventData::new(data)) as Rc<dyn Any>, true);
        self.dom.runtime().handle_event(name, event, element);
        self.dom.process_events();
        self.dom.render_immediate(&mut self.ids);
    }

    /// Lets spawned tasks (a sync) run until `done` holds for the page
    /// text, or fails after `limit` with what the page said.
    pub fn wait_until(&mut self, what: &str, limit: Duration, done: impl Fn(&str) -> bool) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let deadline = Instant::now() + limit;
        loop {
            self.dom.process_events();
            self.dom.render_immediate(&mut self.ids);
            let text = self.text();
            if done(&text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited {limit:?} for {what}; the screen says:\n{text}"
            );
            runtime.block_on(async {
                let _ =
                    tokio::time::timeout(Duration::from_millis(50), self.dom.wait_for_work()).await;
            });
        }
    }

    /// Lets spawned tasks run until `done` holds for something off the
    /// screen (a call the services received).
    pub fn run_until(&mut self, what: &str, limit: Duration, done: impl Fn() -> bool) {
        self.wait_until(what, limit, |_| done());
    }

    /// Lets spawned tasks run for `time`, whatever they do.
    pub fn run_for(&mut self, time: Duration) {
        let end = Instant::now() + time;
        self.run_until("time to pass", time * 2, || Instant::now() >= end);
    }

    /// Waits out the enrolment's network call (it runs off the screen).
    pub fn wait_for_enrolment(&mut self) {
        self.wait_until("the enrolment to end", Duration::from_secs(60), |text| {
            !text.contains("Connecting to the server")
        });
    }

    /// Taps; when the tap starts work that runs off the screen and ends on
    /// its own (deriving the vault's key), waits until it has ended.
    pub fn click(&mut self, id: &str) {
        self.tap(id);
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.has("unlocking") || self.has("creating-vault") {
            assert!(Instant::now() < deadline, "waited 60s for the vault's key");
            self.run_for(Duration::from_millis(20));
        }
    }

    /// Taps and returns at once, whatever the tap started.
    pub fn tap(&mut self, id: &str) {
        self.send("click", id, Box::new(SerializedMouseData::default()));
    }

    /// What the text field with this id shows: what was typed into this
    /// element, else the text it was made with.
    pub fn shown(&self, id: &str) -> String {
        let element = self.element(id);
        if let Some(typed) = self.ids.typed.get(&element) {
            return typed.clone();
        }
        let html = self.html();
        let start = html.find(&format!("id=\"{id}\"")).unwrap();
        let tag_start = html[..start].rfind('<').unwrap();
        let tag = &html[tag_start..start + html[start..].find('>').unwrap()];
        tag.split_once("initial_value=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(value, _)| decode_entities(value))
            .unwrap_or_default()
    }

    pub fn type_into(&mut self, id: &str, value: &str) {
        let element = self.element(id);
        self.ids.typed.insert(element, value.to_owned());
        self.send(
            "input",
            id,
            Box::new(SerializedFormData::new(value.to_owned(), vec![])),
        );
    }

    /// Chooses an option of a `select`, by its value.
    pub fn select(&mut self, id: &str, value: &str) {
        self.send(
            "change",
            id,
            Box::new(SerializedFormData::new(value.to_owned(), vec![])),
        );
    }

    pub fn set_checked(&mut self, id: &str, checked: bool) {
        self.send(
            "change",
            id,
            Box::new(SerializedFormData::new(checked.to_string(), vec![])),
        );
    }
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let Some(semi) = after.find(';') else {
            out.push_str(after);
            return out;
        };
        let entity = &after[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// What the app asked of its services, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    CreateVault(String),
    Acknowledge(Lang),
    Enrol(EnrolForm),
    Lock,
    Unlock(String),
}

/// Services that succeed and remember every call, so a test can check what
/// the screens passed across the boundary. `unlock` accepts only the
/// passphrase the vault was created with.
#[derive(Clone, Default)]
pub struct Recorder {
    pub calls: Arc<Mutex<Vec<Call>>>,
    pub defaults: EnrolDefaults,
    pub progress: SetupProgress,
    pub fail_enrol: Option<ServiceError>,
    /// When set, `enrol` waits for a message here: a network that is slow.
    pub enrol_gate: Option<Arc<Mutex<std::sync::mpsc::Receiver<()>>>>,
}

impl Recorder {
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
    fn record(&self, call: Call) {
        self.calls.lock().unwrap().push(call);
    }
}

impl AppServices for Recorder {
    fn progress(&self) -> SetupProgress {
        self.progress
    }
    fn enrol_defaults(&self) -> EnrolDefaults {
        self.defaults.clone()
    }
    fn create_vault(&self, passphrase: &str) -> Result<(), ServiceError> {
        self.record(Call::CreateVault(passphrase.to_owned()));
        Ok(())
    }
    fn acknowledge_code_of_practice(&self, lang: Lang) -> Result<(), ServiceError> {
        self.record(Call::Acknowledge(lang));
        Ok(())
    }
    fn enrol(&self, form: &EnrolForm) -> Result<(), ServiceError> {
        self.record(Call::Enrol(form.clone()));
        if let Some(gate) = &self.enrol_gate {
            let _ = gate.lock().unwrap().recv();
        }
        match &self.fail_enrol {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
    fn lock(&self) {
        self.record(Call::Lock);
    }
    fn unlock(&self, passphrase: &str) -> Result<SetupProgress, ServiceError> {
        self.record(Call::Unlock(passphrase.to_owned()));
        let created = self
            .calls()
            .iter()
            .any(|c| *c == Call::CreateVault(passphrase.to_owned()));
        if created {
            let acknowledged = self
                .calls()
                .iter()
                .any(|c| matches!(c, Call::Acknowledge(_)));
            Ok(SetupProgress {
                vault_created: true,
                code_acknowledged: acknowledged,
                enrolled: false,
            })
        } else {
            Err(ServiceError::WrongPassphrase)
        }
    }
}

/// A passphrase the strength meter rates strong.
pub const STRONG: &str = "river lamp quietly orange";
