//! Item names: what is allowed, how they sort, and how collisions are renamed.

use crate::error::AppError;

/// The longest name, in bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// Characters that reorder the text around them (bidi embeddings, overrides, isolates and
/// marks): in a name they make `evil.exe` read as something else.
fn is_bidi_control(ch: char) -> bool {
    matches!(ch, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks a client-sent name: trimmed, non-empty, at most 255 bytes, no `/`, no control
/// characters (NUL, CR, LF, tabs…) or bidi controls, not `.` or `..`.
pub fn validate(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::bad_input("name must not be empty"));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(AppError::bad_input(format!(
            "name must be at most {MAX_NAME_BYTES} bytes, got {}",
            name.len()
        )));
    }
    if name.contains('/') {
        return Err(AppError::bad_input("name must not contain '/'"));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            "name must not contain control characters (NUL, tab, CR, LF…)",
        ));
    }
    if name.chars().any(is_bidi_control) {
        return Err(AppError::bad_input(
            "name must not contain bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C)",
        ));
    }
    if name == "." || name == ".." {
        return Err(AppError::bad_input("name must not be '.' or '..'"));
    }
    Ok(name.to_owned())
}

/// The extension of a file name (`report.PDF` → `PDF`), empty when there is none.
pub fn extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_owned(),
        _ => String::new(),
    }
}

/// A key whose byte order is the natural order of names: case-folded, with every run of
/// digits left-padded so that `file2` sorts before `file10`.
pub fn sort_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() + 8);
    let mut digits = String::new();
    let flush = |digits: &mut String, key: &mut String| {
        if !digits.is_empty() {
            let trimmed = digits.trim_start_matches('0');
            let width = 20usize.saturating_sub(trimmed.len());
            key.extend(std::iter::repeat_n('0', width));
            key.push_str(trimmed);
            digits.clear();
        }
    };
    for ch in name.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
        } else {
            flush(&mut digits, &mut key);
            key.extend(ch.to_lowercase());
        }
    }
    flush(&mut digits, &mut key);
    key
}

/// The `n`th name tried for `name` when it collides: `a.txt` → `a-2.txt`, `a-3.txt`…;
/// `folder` → `folder-2`; `.bashrc` → `.bashrc-2`. Stays within 255 bytes.
pub fn candidate(name: &str, n: u32) -> String {
    if n <= 1 {
        return name.to_owned();
    }
    let suffix = format!("-{n}");
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    let mut stem = stem.to_owned();
    while stem.len() + suffix.len() + ext.len() > MAX_NAME_BYTES && !stem.is_empty() {
        stem.pop();
    }
    format!("{stem}{suffix}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_names() {
        for bad in [
            "",
            "  ",
            ".",
            "..",
            "a/b",
            "a\0b",
            "a\nb",
            "a\rb",
            "a\tb",
            "a\u{7f}b",
            "a\u{85}b",
            "invoice\u{202E}fdp.exe",
            "x\u{2066}y",
            &"x".repeat(256),
        ] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
        assert_eq!(validate(" ok.txt ").unwrap(), "ok.txt");
        assert!(validate(&"é".repeat(127)).is_ok());
        assert!(validate(&"é".repeat(128)).is_err());
    }

    #[test]
    fn natural_order() {
        let mut names = vec!["file10", "File2", "file1", "a", "file02b"];
        names.sort_by_key(|n| sort_key(n));
        assert_eq!(names, ["a", "file1", "File2", "file02b", "file10"]);
    }

    #[test]
    fn collision_candidates() {
        assert_eq!(candidate("a.txt", 1), "a.txt");
        assert_eq!(candidate("a.txt", 2), "a-2.txt");
        assert_eq!(candidate("a.tar.gz", 3), "a.tar-3.gz");
        assert_eq!(candidate("folder", 2), "folder-2");
        assert_eq!(candidate(".bashrc", 2), ".bashrc-2");
        let long = format!("{}.txt", "x".repeat(251));
        assert_eq!(candidate(&long, 12).len(), MAX_NAME_BYTES);
        assert!(candidate(&long, 12).ends_with("-12.txt"));
        assert_eq!(extension("a.b.PDF"), "PDF");
        assert_eq!(extension(".bashrc"), "");
        assert_eq!(extension("noext"), "");
    }
}
