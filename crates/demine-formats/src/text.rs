//! Text files in the encodings they arrive in. Excel in Ukraine saves "CSV (comma delimited)" in
//! Windows-1251, not UTF-8; a table's reader should read it, and say so, rather than refuse it.

/// The encoding read when a file is not UTF-8 and none is given: Windows Cyrillic, which
/// spreadsheets in Ukraine and its neighbours save CSV in.
pub const FALLBACK_ENCODING: &str = "windows-1251";

/// A file's bytes as text: in `encoding` (any WHATWG label: `cp1251`, `utf-8`, `koi8-u`, …) when
/// given, else UTF-8 when they are, else [`FALLBACK_ENCODING`]. A byte-order mark decides over
/// both. Returns the text and the encoding read when it was not UTF-8; the error is the problem
/// with `encoding`.
///
/// ```
/// use demine_formats::text::decode;
/// // "Площа" in Windows-1251.
/// let cp1251 = [0xCF, 0xEB, 0xEE, 0xF9, 0xE0];
/// assert_eq!(decode(&cp1251, None).unwrap(), ("Площа".to_string(), Some("windows-1251")));
/// assert_eq!(decode("Площа".as_bytes(), None).unwrap(), ("Площа".to_string(), None));
/// assert!(decode(b"x", Some("klingon")).unwrap_err().contains("unknown encoding 'klingon'"));
/// ```
pub fn decode(bytes: &[u8], encoding: Option<&str>) -> Result<(String, Option<&'static str>), String> {
    let encoding = match encoding {
        Some(label) => encoding_rs::Encoding::for_label(label.trim().as_bytes())
            .ok_or_else(|| format!("unknown encoding '{label}'; give utf-8, cp1251, koi8-u or another WHATWG label"))?,
        None => match std::str::from_utf8(bytes) {
            Ok(text) => return Ok((text.to_string(), None)),
            Err(_) => encoding_rs::WINDOWS_1251,
        },
    };
    let (text, used, _) = encoding.decode(bytes);
    let name = (used != encoding_rs::UTF_8).then(|| used.name());
    Ok((text.into_owned(), name))
}
