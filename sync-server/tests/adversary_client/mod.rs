//! A hostile client written from scratch (issue 14): it builds and seals
//! envelopes without the engine or the wire types, using only `serde_json`,
//! `sha2` and `reqwest`, the way an outsider reading the API would. JSON is
//! written with keys in the order the format fixes (the content hash is
//! taken over it), reference numbers get their check character from a
//! second implementation of Crockford's mod-37 scheme, and the protocol's
//! hashes come from the server's own listing.
//!
//! The server itself is started, and protocols published, with the test
//! support (`support::TestServer`): that is setup, not the client.
#![allow(dead_code)]

use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

/// JSON whose object keys keep the order they were written in.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    V(Json),
    O(Vec<(String, J)>),
    A(Vec<J>),
}

impl J {
    pub fn obj(pairs: Vec<(&str, J)>) -> J {
        J::O(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            J::V(value) => out.push_str(&value.to_string()),
            J::A(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            J::O(pairs) => {
                out.push('{');
                for (i, (key, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Json::String(key.clone()).to_string());
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The value under `key` of an object.
    pub fn get_mut(&mut self, key: &str) -> &mut J {
        match self {
            J::O(pairs) => {
                &mut pairs
                    .iter_mut()
                    .find(|(k, _)| k == key)
                    .unwrap_or_else(|| panic!("no key `{key}`"))
                    .1
            }
            other => panic!("not an object: {other:?}"),
        }
    }

    pub fn set(&mut self, key: &str, value: J) {
        *self.get_mut(key) = value;
    }
}

pub fn v(value: Json) -> J {
    J::V(value)
}

/// One event: `seq`, `at`, then the `event` tag and the variant's fields.
pub fn event(seq: usize, at: &str, tag: &str, fields: Vec<(&str, J)>) -> J {
    let mut pairs = vec![
        ("seq", v(json!(seq))),
        ("at", v(json!(at))),
        ("event", v(json!(tag))),
    ];
    pairs.extend(fields);
    J::obj(pairs)
}

/// An answer value: `{"type": ..., "value": ...}`.
pub fn value(kind: &str, value: J) -> J {
    J::obj(vec![("type", v(json!(kind))), ("value", value)])
}

pub fn integer(n: i64) -> J {
    value("integer", v(json!(n)))
}

pub fn text(s: &str) -> J {
    value("text", v(json!(s)))
}

/// A consenter: `{"role": "guardian"}`, `{"role": "participant", "code": "P1"}`.
pub fn consenter(role: &str) -> J {
    J::obj(vec![("role", v(json!(role)))])
}

/// The content hash: SHA-256 of the envelope's JSON without `content_hash`.
pub fn content_hash(fields: &J) -> String {
    let digest = Sha256::digest(fields.text().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// An envelope under construction: the sealed fields in their order.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub fields: J,
}

impl Envelope {
    pub fn new(
        record_id: &str,
        device_id: &str,
        protocol: &Listing,
        respondent: &str,
        events: Vec<J>,
    ) -> Envelope {
        let redactions = J::obj(
            [
                "identifying_answers_withheld",
                "names",
                "phones",
                "emails",
                "id_numbers",
                "locations_coarsened",
                "notes_dropped",
            ]
            .into_iter()
            .map(|k| (k, v(json!(0))))
            .collect(),
        );
        Envelope {
            fields: J::obj(vec![
                ("wire_version", v(json!("v1"))),
                ("record_id", v(json!(record_id))),
                ("device_id", v(json!(device_id))),
                ("protocol_id", v(json!(protocol.id))),
                ("protocol_version", v(json!(protocol.version))),
                ("protocol_hash", v(json!(protocol.content_hash))),
                ("respondent", v(json!(respondent))),
                ("events", J::A(events)),
                ("redactions", redactions),
            ]),
        }
    }

    pub fn events(&mut self) -> &mut Vec<J> {
        match self.fields.get_mut("events") {
            J::A(items) => items,
            other => panic!("events is not a list: {other:?}"),
        }
    }

    /// Sets `seq` to 0, 1, 2 ... after events were moved, added or removed.
    pub fn renumber(&mut self) {
        for (i, e) in self.events().iter_mut().enumerate() {
            e.set("seq", v(json!(i)));
        }
    }

    /// The sealed envelope's JSON text, hash included.
    pub fn sealed(&self) -> String {
        let hash = content_hash(&self.fields);
        let mut whole = self.fields.clone();
        if let J::O(pairs) = &mut whole {
            pairs.push(("content_hash".to_owned(), v(json!(hash))));
        }
        whole.text()
    }

    pub fn record_id(&self) -> String {
        match &self.fields {
            J::O(pairs) => match &pairs[1].1 {
                J::V(Json::String(id)) => id.clone(),
                other => panic!("record_id: {other:?}"),
            },
            _ => unreachable!(),
        }
    }
}

/// What the server lists of a protocol version.
#[derive(Debug, Clone)]
pub struct Listing {
    pub id: String,
    pub version: u64,
    pub content_hash: String,
    pub data_use_hash: String,
    pub source_toml: String,
}

impl Listing {
    pub fn from_json(item: &Json) -> Listing {
        Listing {
            id: item["protocol_id"].as_str().unwrap().to_owned(),
            version: item["version"].as_u64().unwrap(),
            content_hash: item["content_hash"].as_str().unwrap().to_owned(),
            data_use_hash: item["data_use_hash"].as_str().unwrap().to_owned(),
            source_toml: item["source_toml"].as_str().unwrap().to_owned(),
        }
    }
}

/// Crockford base32 data symbols, then the five check-only symbols.
const ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

/// A reference number for `bits` (40 bits), written `XXXX-XXXX-C`.
pub fn reference(bits: u64) -> String {
    let bits = bits & ((1 << 40) - 1);
    let symbols: String = (0..8)
        .map(|i| char::from(ALPHABET[((bits >> (35 - 5 * i)) & 0x1f) as usize]))
        .collect();
    let check = char::from(ALPHABET[(bits % 37) as usize]);
    format!("{}-{}-{check}", &symbols[..4], &symbols[4..])
}

/// A fresh id that looks like a v4 UUID, from a counter and the clock.
pub fn uuid(n: u64) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (nanos >> 32) as u32,
        (nanos >> 16) & 0xffff,
        n & 0xfff,
        (n >> 12) & 0xfff,
        (nanos & 0xffff_ffff) ^ (n << 20)
    )
}

/// Today at midnight UTC, as RFC 3339: the child protocol keeps the day.
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    format!("{}T00:00:00Z", civil_date(days as i64))
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A day `offset` days from today, at midnight UTC.
pub fn day(offset: i64) -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        / 86_400;
    format!("{}T00:00:00Z", civil_date(days + offset))
}

/// A device's connection: its id and bearer token.
#[derive(Debug, Clone)]
pub struct Device {
    pub id: String,
    pub token: String,
}

/// Posts a raw JSON body; the HTTP status and the answer.
pub async fn post(client: &reqwest::Client, url: &str, token: &str, body: String) -> (u16, Json) {
    let response = client
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    let answer = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("HTTP {status}: not JSON ({e}): {bytes:?}"));
    (status, answer)
}

/// A batch of sealed envelopes, as the wire format wants it.
pub fn batch(sealed: &[String]) -> String {
    format!(
        r#"{{"wire_version":"v1","records":[{}]}}"#,
        sealed.join(",")
    )
}

/// A tombstone batch of one.
pub fn tombstone(tombstone_id: &str, record_id: &str, device_id: &str, on: &str) -> String {
    format!(
        r#"{{"wire_version":"v1","tombstones":[{{"wire_version":"v1","tombstone_id":"{tombstone_id}","record_id":"{record_id}","device_id":"{device_id}","withdrawn_on":"{on}"}}]}}"#
    )
}
