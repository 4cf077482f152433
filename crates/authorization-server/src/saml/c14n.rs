//! Exclusive XML Canonicalization 1.0 without comments (the only canonicalization the IdP
//! accepts), over a parsed `roxmltree` document: the subtree of one element, optionally minus
//! one descendant (the enveloped signature), with an optional InclusiveNamespaces prefix list.
//!
//! Only what SAML messages need: elements, attributes, text. Comments are dropped (as the
//! algorithm says); processing instructions never reach here (`xml::parse` refuses them).

use super::xml::{escape_attr, escape_text};
use roxmltree::{Node, NodeId};

/// Why a subtree could not be canonicalized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum C14nError {
    /// A prefix is used without a declaration in scope (roxmltree would not have parsed it,
    /// but the original text is re-read for prefixes, so it is checked again).
    #[error("unbound namespace prefix")]
    Unbound,
    /// Something the canonical form cannot express here.
    #[error("unsupported node in the signed content")]
    Unsupported,
}

/// The canonical form of `apex`'s subtree without `exclude` (and its descendants).
/// `inclusive` is the InclusiveNamespaces PrefixList (`#default` for the default namespace).
pub fn canonicalize(
    text: &str,
    apex: Node<'_, '_>,
    exclude: Option<NodeId>,
    inclusive: &[&str],
) -> Result<String, C14nError> {
    let mut out = String::with_capacity(apex.range().len());
    let rendered: Vec<(String, String)> = Vec::new();
    element(text, apex, exclude, inclusive, &rendered, &mut out)?;
    Ok(out)
}

/// The element's prefixed name as written in the document.
pub fn qname<'t>(text: &'t str, n: Node<'_, '_>) -> &'t str {
    let start = n.range().start + 1;
    let rest = text.get(start..).unwrap_or("");
    let end = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        .unwrap_or(rest.len());
    &rest[..end]
}

fn prefix_of(q: &str) -> &str {
    q.split_once(':').map(|(p, _)| p).unwrap_or("")
}

fn element(
    text: &str,
    n: Node<'_, '_>,
    exclude: Option<NodeId>,
    inclusive: &[&str],
    rendered: &[(String, String)],
    out: &mut String,
) -> Result<(), C14nError> {
    let qn = qname(text, n);
    // Prefixes this element visibly uses, then those the prefix list adds.
    let mut used: Vec<&str> = vec![prefix_of(qn)];
    let mut attrs: Vec<(&str, &str, &str, &str)> = Vec::new(); // (ns, local, qname, value)
    for a in n.attributes() {
        let aq = text.get(a.range_qname()).unwrap_or(a.name());
        let p = prefix_of(aq);
        if !p.is_empty() && p != "xml" && !used.contains(&p) {
            used.push(p);
        }
        attrs.push((a.namespace().unwrap_or(""), a.name(), aq, a.value()));
    }
    for p in inclusive {
        let p = if *p == "#default" { "" } else { *p };
        let in_scope = if p.is_empty() {
            n.default_namespace().is_some()
        } else {
            n.lookup_namespace_uri(Some(p)).is_some()
        };
        if in_scope && !used.contains(&p) {
            used.push(p);
        }
    }
    let mut decls: Vec<(String, String)> = Vec::new();
    for p in used {
        if p == "xml" {
            continue;
        }
        let uri = if p.is_empty() {
            n.default_namespace().unwrap_or("")
        } else {
            n.lookup_namespace_uri(Some(p)).ok_or(C14nError::Unbound)?
        };
        let current = rendered
            .iter()
            .rev()
            .find(|(rp, _)| rp == p)
            .map(|(_, u)| u.as_str());
        let needed = if p.is_empty() {
            // xmlns="" only undoes a default an output ancestor rendered.
            uri != current.unwrap_or("")
        } else {
            current != Some(uri)
        };
        if needed {
            decls.push((p.to_owned(), uri.to_owned()));
        }
    }
    decls.sort();
    attrs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    out.push('<');
    out.push_str(qn);
    for (p, uri) in &decls {
        if p.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(p);
            out.push_str("=\"");
        }
        escape_attr(uri, out);
        out.push('"');
    }
    for (_, _, q, v) in &attrs {
        out.push(' ');
        out.push_str(q);
        out.push_str("=\"");
        escape_attr(v, out);
        out.push('"');
    }
    out.push('>');
    let mut scope: Vec<(String, String)> = rendered.to_vec();
    scope.extend(decls);
    for c in n.children() {
        if Some(c.id()) == exclude {
            continue;
        }
        if c.is_element() {
            element(text, c, exclude, inclusive, &scope, out)?;
        } else if c.is_text() {
            escape_text(c.text().unwrap_or(""), out);
        } else if c.is_comment() {
            continue;
        } else {
            return Err(C14nError::Unsupported);
        }
    }
    out.push_str("</");
    out.push_str(qn);
    out.push('>');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::xml::{parse, MESSAGE_LIMITS};

    fn c14n(xml: &str, path: &[&str]) -> String {
        let doc = parse(xml, MESSAGE_LIMITS).unwrap();
        let mut n = doc.root_element();
        for name in path {
            n = n
                .children()
                .find(|c| c.is_element() && c.tag_name().name() == *name)
                .unwrap();
        }
        canonicalize(xml, n, None, &[]).unwrap()
    }

    #[test]
    fn namespaces_are_rendered_where_visibly_used_only() {
        let xml = r#"<r:Root xmlns:r="urn:r" xmlns:a="urn:a" xmlns:unused="urn:u"><a:Child b="1" a="2"/><Plain/></r:Root>"#;
        assert_eq!(
            c14n(xml, &[]),
            r#"<r:Root xmlns:r="urn:r"><a:Child xmlns:a="urn:a" a="2" b="1"></a:Child><Plain></Plain></r:Root>"#
        );
        // The subtree alone carries the declarations it needs from its ancestors.
        assert_eq!(
            c14n(xml, &["Child"]),
            r#"<a:Child xmlns:a="urn:a" a="2" b="1"></a:Child>"#
        );
    }

    #[test]
    fn attributes_sort_by_namespace_then_name_and_text_is_escaped() {
        let xml = "<e xmlns:z=\"urn:a\" xmlns:y=\"urn:b\" z:k=\"1\" y:k=\"2\" b=\"&#13;&#9;\">a&amp;b&gt;\r\n<!-- c --></e>";
        assert_eq!(
            c14n(xml, &[]),
            "<e xmlns:y=\"urn:b\" xmlns:z=\"urn:a\" b=\"&#xD;&#x9;\" z:k=\"1\" y:k=\"2\">a&amp;b&gt;\n</e>"
        );
    }

    #[test]
    fn a_default_namespace_is_undone_only_below_a_rendered_one() {
        let xml = r#"<a xmlns="urn:d"><b xmlns=""><c/></b></a>"#;
        assert_eq!(
            c14n(xml, &[]),
            r#"<a xmlns="urn:d"><b xmlns=""><c></c></b></a>"#
        );
        assert_eq!(c14n(xml, &["b"]), "<b><c></c></b>");
    }

    #[test]
    fn inclusive_prefixes_are_rendered_at_the_apex() {
        let xml = r#"<r xmlns:xs="urn:xs"><v>xs:string</v></r>"#;
        let doc = parse(xml, MESSAGE_LIMITS).unwrap();
        let v = doc.root_element().first_element_child().unwrap();
        assert_eq!(canonicalize(xml, v, None, &[]).unwrap(), "<v>xs:string</v>");
        assert_eq!(
            canonicalize(xml, v, None, &["xs"]).unwrap(),
            r#"<v xmlns:xs="urn:xs">xs:string</v>"#
        );
    }
}
