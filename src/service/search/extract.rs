//! Text out of content, bounded: plain text and the text-like formats, PDF (lopdf), and the
//! Office Open XML and OpenDocument formats (their XML parts, read from the zip). Runs on a
//! blocking thread; every format is read from bytes already bounded by the caller; what a
//! zip's parts decompress to is bounded in total, what a PDF holds once loaded too, and each
//! of its pages' content; reading stops at a deadline; what comes out is cut at `max_text`
//! bytes.

use std::io::Read;
use std::time::Instant;

/// What extraction made of one content.
#[derive(Debug, PartialEq, Eq)]
pub enum Extracted {
    /// The folded words of its text.
    Text(String),
    /// Not a format text is read from.
    Unsupported,
}

/// The formats text is read from, by media type or, failing that, by extension.
#[derive(Clone, Copy)]
enum Format {
    Text,
    Pdf,
    /// A zip of XML parts; the parts whose text counts are those matching the predicate.
    Zipped(fn(&str) -> bool),
}

fn word_part(name: &str) -> bool {
    name == "word/document.xml"
        || name.starts_with("word/header")
        || name.starts_with("word/footer")
        || name == "word/footnotes.xml"
}

fn sheet_part(name: &str) -> bool {
    name == "xl/sharedStrings.xml" || name.starts_with("xl/worksheets/sheet")
}

fn slide_part(name: &str) -> bool {
    name.starts_with("ppt/slides/slide") && name.ends_with(".xml")
}

fn open_document_part(name: &str) -> bool {
    name == "content.xml"
}

fn format_of(mime: &str, name: &str) -> Option<Format> {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let mime = mime.split(';').next().unwrap_or("").trim();
    let by_mime = match mime {
        "application/pdf" => Some(Format::Pdf),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
            Some(Format::Zipped(word_part))
        }
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
            Some(Format::Zipped(sheet_part))
        }
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => {
            Some(Format::Zipped(slide_part))
        }
        m if m.starts_with("application/vnd.oasis.opendocument.") => {
            Some(Format::Zipped(open_document_part))
        }
        m if m.starts_with("text/") => Some(Format::Text),
        "application/json"
        | "application/xml"
        | "application/javascript"
        | "application/x-yaml"
        | "application/yaml"
        | "application/sql" => Some(Format::Text),
        _ => None,
    };
    by_mime.or(match extension.as_str() {
        "pdf" => Some(Format::Pdf),
        "docx" => Some(Format::Zipped(word_part)),
        "xlsx" => Some(Format::Zipped(sheet_part)),
        "pptx" => Some(Format::Zipped(slide_part)),
        "odt" | "ods" | "odp" => Some(Format::Zipped(open_document_part)),
        "txt" | "md" | "csv" | "tsv" | "json" | "xml" | "html" | "htm" | "yaml" | "yml" | "log"
        | "rs" | "py" | "js" | "ts" | "java" | "c" | "h" | "go" | "sql" | "ini" | "toml"
        | "rtf" | "tex" => Some(Format::Text),
        _ => None,
    })
}

/// Whether content of this media type and name is read for text at all (the rest is
/// `skipped` without reading a byte).
pub fn is_readable(mime: &str, name: &str) -> bool {
    format_of(mime, name).is_some()
}

/// How much a zip's parts, or a PDF's pages, may decompress to, for each byte of text kept.
const INFLATION: usize = 16;

/// What extraction may still spend: decompressed bytes, and time.
struct Budget {
    bytes: usize,
    deadline: Instant,
}

impl Budget {
    fn spent(&self) -> bool {
        self.bytes == 0 || Instant::now() >= self.deadline
    }

    fn spend(&mut self, bytes: usize) {
        self.bytes = self.bytes.saturating_sub(bytes);
    }
}

/// The folded words of `bytes`, cut at `max_text` bytes of folded text; reading stops at
/// `deadline` (what was read until then is kept).
pub fn extract(
    bytes: &[u8],
    mime: &str,
    name: &str,
    max_text: usize,
    deadline: Instant,
) -> anyhow::Result<Extracted> {
    let Some(format) = format_of(mime, name) else {
        return Ok(Extracted::Unsupported);
    };
    let mut budget = Budget {
        bytes: max_text.saturating_mul(INFLATION),
        deadline,
    };
    let text = match format {
        Format::Text => String::from_utf8_lossy(bytes).into_owned(),
        Format::Pdf => pdf_text(bytes, max_text, &mut budget)?,
        Format::Zipped(counts) => zipped_text(bytes, counts, max_text, &mut budget)?,
    };
    Ok(Extracted::Text(cut(super::words::fold(&text), max_text)))
}

/// `text` cut at `max` bytes, at a word's end.
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let end = text[..max].rfind(' ').unwrap_or(0);
        text.truncate(end);
    }
    text
}

thread_local! {
    /// What the PDF being loaded on this thread holds so far, roughly, in bytes, and its bound.
    static LOADED: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// Keeps a loaded PDF object while what the document holds stays within its bound: object
/// streams decompress while a document loads, so a small file could otherwise hold gigabytes.
fn within_bound(id: (u32, u16), object: &mut lopdf::Object) -> Option<((u32, u16), lopdf::Object)> {
    let size = 64
        + match &*object {
            lopdf::Object::String(text, _) => text.len(),
            lopdf::Object::Stream(stream) => stream.content.len(),
            lopdf::Object::Array(values) => values.len() * 16,
            lopdf::Object::Dictionary(entries) => entries.len() * 32,
            _ => 0,
        };
    let (loaded, bound) = LOADED.get();
    LOADED.set((loaded + size, bound));
    (loaded + size <= bound).then(|| (id, object.clone()))
}

fn pdf_text(bytes: &[u8], max_text: usize, budget: &mut Budget) -> anyhow::Result<String> {
    // What the document may hold: its own bytes, and the budget of what may decompress.
    LOADED.set((0, bytes.len() + budget.bytes));
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some(budget.bytes),
        filter: Some(within_bound),
        ..Default::default()
    };
    let document = lopdf::Document::load_mem_with_options(bytes, options)?;
    let mut text = String::new();
    // Page by page, each page's decompressed content bounded by what is left of the budget,
    // until enough text is read.
    for number in document.get_pages().into_keys() {
        if budget.spent() || text.len() > max_text * 2 {
            break;
        }
        match document.extract_text_with_limit(&[number], budget.bytes) {
            Ok(page) => {
                // lopdf does not tell what a page decompressed (each page is bounded by what
                // is left): its text is charged, and the deadline bounds the rest.
                budget.spend(page.len().max(1));
                text.push_str(&page);
            }
            Err(err) if text.is_empty() => return Err(err.into()),
            Err(_) => break,
        }
        text.push(' ');
    }
    Ok(text)
}

/// The text of the XML parts `counts` names in a zip: what is between tags, parts and
/// paragraphs apart. Each part is read up to a bound, so a zip bomb costs that much at most.
fn zipped_text(
    bytes: &[u8],
    counts: fn(&str) -> bool,
    max_text: usize,
    budget: &mut Budget,
) -> anyhow::Result<String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let mut names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|name| counts(name))
        .map(|name| name.into_owned())
        .collect();
    names.sort();
    let mut text = String::new();
    for name in names {
        if budget.spent() || text.len() > max_text * 2 {
            break;
        }
        let part = archive.by_name(&name)?;
        let mut xml = Vec::new();
        part.take(budget.bytes as u64).read_to_end(&mut xml)?;
        budget.spend(xml.len().max(1));
        xml_text(&xml, &mut text);
        text.push(' ');
    }
    Ok(text)
}

/// Appends the character data of `xml` to `text`, a space between elements (so that words in
/// separate runs or cells stay apart).
fn xml_text(xml: &[u8], text: &mut String) {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buffer = Vec::new();
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(quick_xml::events::Event::Text(chars)) => {
                if let Ok(decoded) = chars.decode() {
                    text.push_str(&decoded);
                }
            }
            Ok(quick_xml::events::Event::End(_)) => text.push(' '),
            Ok(quick_xml::events::Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
        buffer.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn later() -> Instant {
        Instant::now() + std::time::Duration::from_secs(10)
    }

    #[test]
    fn text_is_folded_and_cut_at_a_word() {
        let got = extract(
            "Été budget prévisionnel".as_bytes(),
            "text/plain",
            "a.txt",
            14,
            later(),
        );
        assert_eq!(got.unwrap(), Extracted::Text("ete budget".into()));
    }

    #[test]
    fn formats_without_text_are_not_read() {
        assert_eq!(
            extract(b"\x89PNG", "image/png", "a.png", 100, later()).unwrap(),
            Extracted::Unsupported
        );
        assert!(!is_readable("video/mp4", "clip.mp4"));
        assert!(is_readable("application/octet-stream", "notes.odt"));
    }

    #[test]
    fn a_pdf_holds_no_more_than_its_bound_once_loaded() {
        LOADED.set((0, 200));
        let mut small = lopdf::Object::Integer(1);
        assert!(within_bound((1, 0), &mut small).is_some());
        let mut large = lopdf::Object::string_literal(vec![b'x'; 300]);
        assert!(
            within_bound((2, 0), &mut large).is_none(),
            "over the bound: dropped"
        );
        assert!(
            within_bound((3, 0), &mut small).is_none(),
            "and everything after it"
        );
    }

    #[test]
    fn a_broken_pdf_fails() {
        assert!(
            extract(
                b"%PDF-1.4 nonsense",
                "application/pdf",
                "a.pdf",
                100,
                later()
            )
            .is_err()
        );
    }
}
