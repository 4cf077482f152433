//! XML the IdP reads and writes. Reading: one safe entry point (`parse`) that refuses DTDs,
//! entities and processing instructions and bounds size, node count and depth. Writing: a
//! writer that emits elements already in exclusive canonical form (attributes sorted,
//! namespaces declared where first used, explicit end tags, canonical escaping), so what is
//! signed is exactly what is sent. Also SAML's `xs:dateTime` both ways.

use roxmltree::{Document, Node, ParsingOptions};

/// SAML 2.0 protocol namespace.
pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 2.0 assertion namespace.
pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// SAML 2.0 metadata namespace.
pub const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// XML Signature namespace.
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// XML Encryption namespace.
pub const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";

/// Bounds on a document from outside.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of XML text.
    pub max_bytes: usize,
    /// Nodes (elements, attributes' owners, text).
    pub max_nodes: u32,
    /// Element nesting.
    pub max_depth: usize,
}

/// Limits for protocol messages from service providers (requests are a few kilobytes).
pub const MESSAGE_LIMITS: Limits = Limits {
    max_bytes: 32 * 1024,
    max_nodes: 2_000,
    max_depth: 24,
};

/// Limits for service-provider metadata given by an administrator.
pub const METADATA_LIMITS: Limits = Limits {
    max_bytes: 512 * 1024,
    max_nodes: 50_000,
    max_depth: 32,
};

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Bigger than the limit.
    #[error("the XML document is too large")]
    TooLarge,
    /// A DTD, entity declaration or processing instruction.
    #[error("the XML document has a DTD, an entity declaration or a processing instruction")]
    Forbidden,
    /// Nested too deep or too many nodes.
    #[error("the XML document is nested too deeply or has too many nodes")]
    TooComplex,
    /// Not well-formed (or not namespace-well-formed).
    #[error("the XML document is not well-formed")]
    Malformed,
}

/// Parses untrusted XML: no DTD (not even an empty one), no entity declarations, no
/// processing instructions, within `limits`.
pub fn parse(text: &str, limits: Limits) -> Result<Document<'_>, XmlError> {
    if text.len() > limits.max_bytes {
        return Err(XmlError::TooLarge);
    }
    // roxmltree refuses DTDs with content when asked to, but accepts an empty `<!DOCTYPE x>`;
    // nothing we read has any business declaring a document type.
    if text.contains("<!DOCTYPE") || text.contains("<!ENTITY") {
        return Err(XmlError::Forbidden);
    }
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, opts).map_err(|e| match e {
        roxmltree::Error::DtdDetected => XmlError::Forbidden,
        roxmltree::Error::NodesLimitReached => XmlError::TooComplex,
        _ => XmlError::Malformed,
    })?;
    // Depth, without recursion: each node's depth is its parent's plus one.
    let mut depth = vec![0usize; doc.descendants().count() + 1];
    for n in doc.descendants() {
        if n.is_pi() {
            return Err(XmlError::Forbidden);
        }
        let d = n
            .parent()
            .map(|p| depth.get(p.id().get_usize()).copied().unwrap_or(0) + 1)
            .unwrap_or(0);
        if d > limits.max_depth {
            return Err(XmlError::TooComplex);
        }
        if let Some(slot) = depth.get_mut(n.id().get_usize()) {
            *slot = d;
        }
    }
    Ok(doc)
}

/// The element children of `n` named `{ns}name`.
pub fn children<'a, 'i>(
    n: Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children()
        .filter(move |c| c.is_element() && c.has_tag_name((ns, name)))
}

/// An element that may appear once appears more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeated;

/// The only element child of `n` named `{ns}name`: `Ok(None)` when absent, an error when
/// repeated.
pub fn only_child<'a, 'i>(
    n: Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> Result<Option<Node<'a, 'i>>, Repeated> {
    let mut it = children(n, ns, name);
    let first = it.next();
    if it.next().is_some() {
        return Err(Repeated);
    }
    Ok(first)
}

/// All text directly inside `n`, trimmed.
pub fn text_of(n: Node<'_, '_>) -> String {
    n.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Escapes text content as canonical XML does.
pub fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Escapes an attribute value as canonical XML does.
pub fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Builds XML in exclusive canonical form. Attributes are unprefixed and sorted by name;
/// namespace declarations go on the element that first uses the prefix.
#[derive(Debug, Default)]
pub struct Writer {
    /// The text so far.
    pub out: String,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// `<qname xmlns:p="ns"... a="v"...>`: `ns` as (prefix, uri), attributes in any order.
    pub fn open(&mut self, qname: &str, ns: &[(&str, &str)], attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(qname);
        let mut ns = ns.to_vec();
        ns.sort_by(|a, b| a.0.cmp(b.0));
        for (p, uri) in ns {
            if p.is_empty() {
                self.out.push_str(" xmlns=\"");
            } else {
                self.out.push_str(" xmlns:");
                self.out.push_str(p);
                self.out.push_str("=\"");
            }
            escape_attr(uri, &mut self.out);
            self.out.push('"');
        }
        let mut attrs = attrs.to_vec();
        attrs.sort_by(|a, b| a.0.cmp(b.0));
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_attr(v, &mut self.out);
            self.out.push('"');
        }
        self.out.push('>');
    }

    /// `</qname>`.
    pub fn close(&mut self, qname: &str) {
        self.out.push_str("</");
        self.out.push_str(qname);
        self.out.push('>');
    }

    /// Text content.
    pub fn text(&mut self, s: &str) {
        escape_text(s, &mut self.out);
    }

    /// An element with only text in it.
    pub fn leaf(&mut self, qname: &str, ns: &[(&str, &str)], attrs: &[(&str, &str)], text: &str) {
        self.open(qname, ns, attrs);
        self.text(text);
        self.close(qname);
    }

    /// Appends already-built (canonical) XML.
    pub fn raw(&mut self, xml: &str) {
        self.out.push_str(xml);
    }
}

/// `xs:dateTime` in UTC with a `Z`, from unix seconds (SAML core §1.3.3).
pub fn datetime(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// Unix seconds from an `xs:dateTime` (fractions dropped; `Z`, an offset, or none = UTC).
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &r[n..];
    }
    let offset = match rest {
        "" | "Z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) && &o[3..4] == ":" => {
            let oh: i64 = o.get(1..3)?.parse().ok()?;
            let om: i64 = o.get(4..6)?.parse().ok()?;
            let v = oh * 3600 + om * 60;
            if o.starts_with('+') {
                v
            } else {
                -v
            }
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset)
}

// Howard Hinnant's civil calendar algorithms (public domain).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A fresh SAML identifier (an `xs:ID`: starts with `_`, then 160 random bits).
pub fn new_id() -> String {
    format!("_{}", platform::crypto::random_token(20))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_round_trip_and_accept_fractions_and_offsets() {
        assert_eq!(datetime(0), "1970-01-01T00:00:00Z");
        assert_eq!(datetime(951_782_400), "2000-02-29T00:00:00Z");
        for t in [0, 1, 951_782_399, 1_795_000_000, 4_102_444_800] {
            assert_eq!(parse_datetime(&datetime(t)), Some(t));
        }
        assert_eq!(
            parse_datetime("2000-02-29T00:00:00.123456Z"),
            Some(951_782_400)
        );
        assert_eq!(
            parse_datetime("2000-02-29T01:00:00+01:00"),
            Some(951_782_400)
        );
        assert_eq!(parse_datetime("2000-02-29 00:00:00Z"), None);
        assert_eq!(parse_datetime("2000-13-29T00:00:00Z"), None);
        assert_eq!(parse_datetime("2000-02-29T00:00:00Zjunk"), None);
        assert_eq!(parse_datetime("2000-02-29T00:00:00."), None);
    }

    #[test]
    fn dtds_entities_and_instructions_are_refused() {
        let l = MESSAGE_LIMITS;
        assert_eq!(
            parse("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", l).err(),
            Some(XmlError::Forbidden)
        );
        assert_eq!(
            parse("<!DOCTYPE a><a/>", l).err(),
            Some(XmlError::Forbidden)
        );
        assert_eq!(
            parse("<a><?evil x?></a>", l).err(),
            Some(XmlError::Forbidden)
        );
        assert!(parse("<?xml version=\"1.0\"?><a/>", l).is_ok());
    }

    #[test]
    fn size_depth_and_node_count_are_bounded() {
        let l = MESSAGE_LIMITS;
        let deep = format!("{}{}", "<a>".repeat(30), "</a>".repeat(30));
        assert_eq!(parse(&deep, l).err(), Some(XmlError::TooComplex));
        let wide = format!("<a>{}</a>", "<b/>".repeat(3000));
        assert_eq!(parse(&wide, l).err(), Some(XmlError::TooComplex));
        let big = format!("<a>{}</a>", "x".repeat(40_000));
        assert_eq!(parse(&big, l).err(), Some(XmlError::TooLarge));
        assert_eq!(parse("<a>", l).err(), Some(XmlError::Malformed));
    }

    #[test]
    fn the_writer_sorts_attributes_and_escapes_canonically() {
        let mut w = Writer::new();
        w.open(
            "p:e",
            &[("p", "urn:x"), ("", "urn:d")],
            &[("b", "1\"<&\t"), ("a", "2")],
        );
        w.text("x<y>&\r");
        w.close("p:e");
        assert_eq!(
            w.out,
            "<p:e xmlns=\"urn:d\" xmlns:p=\"urn:x\" a=\"2\" b=\"1&quot;&lt;&amp;&#x9;\">x&lt;y&gt;&amp;&#xD;</p:e>"
        );
    }
}
