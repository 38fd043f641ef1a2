//! A small element tree over `quick-xml`, for KML and GPX (documents of placemarks and
//! waypoints, read whole), and escaping for the writers.

use quick_xml::events::Event;

/// An element: its local name (namespace prefix dropped), attributes, text and children.
#[derive(Debug, Default, Clone)]
pub(crate) struct El {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<El>,
}

impl El {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name.eq_ignore_ascii_case(name))
    }
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name.eq_ignore_ascii_case(name))
    }
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }
    /// Every descendant named `name`, depth first.
    pub fn descendants<'a>(&'a self, name: &str, out: &mut Vec<&'a El>) {
        for c in &self.children {
            if c.name.eq_ignore_ascii_case(name) {
                out.push(c);
            }
            c.descendants(name, out);
        }
    }
}

fn local(name: &[u8]) -> String {
    let s = String::from_utf8_lossy(name);
    match s.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => s.into_owned(),
    }
}

/// Parses a document; `Err` names the byte offset and the defect. Depth is bounded.
pub(crate) fn parse(bytes: &[u8]) -> Result<El, String> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<El> = vec![El {
        name: "#document".into(),
        ..Default::default()
    }];
    let mut buf = Vec::new();
    let err = |reader: &quick_xml::Reader<&[u8]>, e: &dyn std::fmt::Display| {
        format!("not well-formed XML at byte {}: {e}", reader.buffer_position())
    };
    loop {
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev.into_owned(),
            Err(e) => return Err(err(&reader, &e)),
        };
        match ev {
            Event::Start(_) if stack.len() > 256 => {
                return Err("XML nested deeper than 256 elements".into());
            }
            Event::Start(e) => {
                let mut el = El {
                    name: local(e.name().as_ref()),
                    ..Default::default()
                };
                for a in e.attributes().flatten() {
                    let v = a
                        .decode_and_unescape_value(reader.decoder())
                        .map_err(|x| err(&reader, &x))?
                        .into_owned();
                    el.attrs.push((local(a.key.as_ref()), v));
                }
                stack.push(el);
            }
            Event::Empty(e) => {
                let mut el = El {
                    name: local(e.name().as_ref()),
                    ..Default::default()
                };
                for a in e.attributes().flatten() {
                    let v = a
                        .decode_and_unescape_value(reader.decoder())
                        .map_err(|x| err(&reader, &x))?
                        .into_owned();
                    el.attrs.push((local(a.key.as_ref()), v));
                }
                if let Some(top) = stack.last_mut() {
                    top.children.push(el);
                }
            }
            Event::End(_) => {
                if stack.len() < 2 {
                    return Err(err(&reader, &"a closing tag without its opening tag"));
                }
                let el = stack.pop().expect("checked");
                if let Some(top) = stack.last_mut() {
                    top.children.push(el);
                }
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|x| err(&reader, &x))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if stack.len() != 1 {
        return Err(format!(
            "the XML ends inside <{}>: the file is truncated",
            stack.last().map_or("?", |e| e.name.as_str())
        ));
    }
    Ok(stack.pop().expect("document"))
}

/// Text escaped for XML content and attributes.
pub(crate) fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}
