//! The character encoding of an input file, found once from its first megabyte, and the
//! decoding that follows from it (docs/domain.md §5: agencies send Windows-1252 exports as
//! often as UTF-8 ones, and Excel's "Unicode text" is UTF-16).
//!
//! - A byte-order mark decides (UTF-8, UTF-16LE, UTF-16BE).
//! - A sample that is UTF-8 (or plain ASCII, which says nothing) is read as UTF-8. A CSV value
//!   that is not valid UTF-8 further on is read as Windows-1252, the usual culprit, and counted:
//!   the row is still searched (a JSON Lines line that is not UTF-8 is an error row).
//! - Otherwise `chardetng` guesses from the sample (Windows-1252 for accented Latin text), and
//!   the whole file is transcoded to UTF-8 before it is parsed.
//!
//! The caller can name the encoding instead (`--encoding`, any WHATWG label).

use std::io::Read;

use encoding_rs::{CoderResult, Decoder, Encoding, UTF_8, WINDOWS_1252};

/// Bytes looked at to decide the encoding.
pub const SAMPLE_BYTES: usize = 1 << 20;

/// What to say of a label [`FileEncoding::from_label`] does not know.
pub const UNKNOWN_ENCODING_HINT: &str =
    "unknown encoding (try utf-8, windows-1252, iso-8859-1, utf-16le or utf-16be)";

/// How the encoding of a file was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    /// Named by the caller.
    Given,
    /// By the file's byte-order mark.
    ByteOrderMark,
    /// The sample is UTF-8 (or ASCII).
    Utf8Sample,
    /// Guessed from the sample's bytes.
    Guessed,
}

/// The encoding a file is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileEncoding {
    /// The encoding.
    pub encoding: &'static Encoding,
    /// How it was decided.
    pub detection: Detection,
}

impl FileEncoding {
    /// The encoding named by a WHATWG label (`utf-8`, `windows-1252`, `latin1`, `utf-16le`...),
    /// `None` for a label no encoding has (say [`UNKNOWN_ENCODING_HINT`]).
    pub fn from_label(label: &str) -> Option<FileEncoding> {
        Encoding::for_label(label.trim().as_bytes()).map(|encoding| FileEncoding {
            encoding,
            detection: Detection::Given,
        })
    }

    /// Decides the encoding of a file from its first bytes (up to [`SAMPLE_BYTES`]).
    pub fn detect(sample: &[u8]) -> FileEncoding {
        if let Some((encoding, _)) = Encoding::for_bom(sample) {
            return FileEncoding {
                encoding,
                detection: Detection::ByteOrderMark,
            };
        }
        if is_utf8_sample(sample) {
            return FileEncoding {
                encoding: UTF_8,
                detection: Detection::Utf8Sample,
            };
        }
        let mut detector = chardetng::EncodingDetector::new();
        detector.feed(sample, sample.len() < SAMPLE_BYTES);
        FileEncoding {
            encoding: detector.guess(None, false),
            detection: Detection::Guessed,
        }
    }

    /// Says how the file was read, for a run's summary: `windows-1252 (detected)`.
    pub fn describe(&self) -> String {
        let how = match self.detection {
            Detection::Given => "given",
            Detection::ByteOrderMark => "byte-order mark",
            Detection::Utf8Sample | Detection::Guessed => "detected",
        };
        format!("{} ({how})", self.encoding.name().to_ascii_lowercase())
    }

    /// True when the bytes are parsed as they are (UTF-8, a BOM left to the CSV header and the
    /// format sniffing to skip); otherwise the stream goes through a [`TranscodingReader`]
    /// first.
    pub fn is_utf8(&self) -> bool {
        self.encoding == UTF_8
    }
}

/// True when the sample is UTF-8: valid (a sequence cut by the sample's end allowed), or with
/// a few invalid bytes among many valid multi-byte characters (a UTF-8 export with a few
/// Windows-1252 rows pasted in, whose bad values [`decode_value`] reads as Windows-1252).
fn is_utf8_sample(sample: &[u8]) -> bool {
    let mut rest = sample;
    let (mut multibyte, mut invalid) = (0usize, 0usize);
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                multibyte += valid.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(error) => {
                let (valid, after) = rest.split_at(error.valid_up_to());
                multibyte += std::str::from_utf8(valid)
                    .map_or(0, |v| v.chars().filter(|c| !c.is_ascii()).count());
                match error.error_len() {
                    // Cut off by the end of the sample.
                    None => break,
                    Some(length) => {
                        invalid += 1;
                        rest = &after[length..];
                    }
                }
            }
        }
    }
    invalid == 0 || invalid * 10 < multibyte
}

/// Decodes one value of a UTF-8 file: as UTF-8 when it is, else as Windows-1252 (counted in
/// `fallbacks`). Values of transcoded files are always UTF-8.
pub fn decode_value(bytes: &[u8], fallbacks: &mut u64) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => {
            *fallbacks += 1;
            WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned()
        }
    }
}

/// Reads a stream in any encoding as UTF-8 (the BOM removed, malformed bytes replaced by
/// U+FFFD).
pub struct TranscodingReader<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    finished: bool,
}

impl<R: Read> TranscodingReader<R> {
    /// Wraps `inner`, read in `encoding`.
    pub fn new(inner: R, encoding: &'static Encoding) -> TranscodingReader<R> {
        TranscodingReader {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: vec![0; 1 << 16],
            start: 0,
            end: 0,
            // UTF-8 of any input chunk fits in three times its bytes, plus slack.
            output: vec![0; 3 * (1 << 16) + 16],
            out_start: 0,
            out_end: 0,
            finished: false,
        }
    }
}

impl<R: Read> Read for TranscodingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        while self.out_start == self.out_end {
            if self.finished {
                return Ok(0);
            }
            if self.start == self.end {
                self.start = 0;
                self.end = self.inner.read(&mut self.input)?;
            }
            let last = self.end == 0;
            let (result, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.start..self.end],
                &mut self.output,
                last,
            );
            self.start += read;
            self.out_start = 0;
            self.out_end = written;
            if last && result == CoderResult::InputEmpty {
                self.finished = true;
            }
        }
        let n = buffer.len().min(self.out_end - self.out_start);
        buffer[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read_all(bytes: &[u8], encoding: &'static Encoding) -> String {
        let mut text = String::new();
        TranscodingReader::new(bytes, encoding)
            .read_to_string(&mut text)
            .expect("transcodes");
        text
    }

    #[test]
    fn a_windows_1252_file_is_recognized_and_read() {
        let file = b"first_name,last_name\nJos\xe9,N\xfa\xf1ez\nRen\xe9e,Fran\xe7ois\n";
        let found = FileEncoding::detect(file);
        assert_eq!(found.encoding, WINDOWS_1252);
        assert_eq!(found.describe(), "windows-1252 (detected)");
        assert_eq!(
            read_all(file, found.encoding),
            "first_name,last_name\nJosé,Núñez\nRenée,François\n"
        );
    }

    #[test]
    fn utf8_ascii_and_mostly_utf8_samples_read_as_utf8() {
        assert!(FileEncoding::detect("José,Núñez\n".as_bytes()).is_utf8());
        assert!(FileEncoding::detect(b"Jose,Nunez\n").is_utf8());
        let mut mixed = "José Núñez Müller Ærø Çelik Öztürk\n"
            .repeat(3)
            .into_bytes();
        mixed.extend_from_slice(b"Ren\xe9e\n");
        assert!(FileEncoding::detect(&mixed).is_utf8());
        let mut fallbacks = 0;
        assert_eq!(decode_value(b"Ren\xe9e", &mut fallbacks), "Renée");
        assert_eq!(fallbacks, 1);
    }

    #[test]
    fn a_utf16_file_is_found_by_its_mark() {
        let mut file = vec![0xff, 0xfe];
        for unit in "name\tcity\nJosé\tZürich\n".encode_utf16() {
            file.extend_from_slice(&unit.to_le_bytes());
        }
        let found = FileEncoding::detect(&file);
        assert_eq!(found.detection, Detection::ByteOrderMark);
        assert_eq!(
            read_all(&file, found.encoding),
            "name\tcity\nJosé\tZürich\n"
        );
    }

    #[test]
    fn a_label_names_an_encoding_and_a_bad_one_is_refused() {
        assert_eq!(
            FileEncoding::from_label("latin1").expect("known").encoding,
            WINDOWS_1252
        );
        assert!(FileEncoding::from_label("klingon").is_none());
    }

    proptest! {
        /// Any text survives Windows-1252 or UTF-16 encoding and transcoding back, whatever
        /// the read sizes.
        #[test]
        fn transcoding_gives_back_the_text(text in "[a-zA-Z0-9 ,;\"\n\u{e0}-\u{ff}]{0,300}") {
            let (bytes, _, unmappable) = WINDOWS_1252.encode(&text);
            prop_assert!(!unmappable);
            prop_assert_eq!(read_all(&bytes, WINDOWS_1252), text.clone());
            let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
            prop_assert_eq!(read_all(&utf16, encoding_rs::UTF_16BE), text);
        }
    }
}
