//! Content decoding of message bodies (`Content-Encoding`), with the output capped so that a
//! small compressed body cannot expand into an unbounded allocation.

use std::io::{self, Read};

use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};
use palisade_core::Body;

/// Decodes `bytes` by the codings listed in a `Content-Encoding` header value and cuts the
/// result at `max_bytes`.
///
/// Handles `gzip` (and its alias `x-gzip`), `deflate` (zlib-wrapped as RFC 9110 defines it,
/// or raw deflate, which some servers send), `br`, `identity`, and comma-separated chains
/// such as `gzip, br`, which are undone from last to first. A coding is undone only when the
/// bytes really are in it. Gzip needs its magic bytes, and a deflate or brotli stream that
/// fails to decode is taken to be already decoded. Decoding stops at the first coding that
/// does not apply or that is unknown (such as `zstd`), and the bytes reached so far are kept.
///
/// At most `max_bytes + 1` bytes of output are produced per coding, so the result, and every
/// buffer on the way, stays within the cap plus the decoders' own windows (32 KiB for
/// deflate, at most 16 MiB for brotli).
pub fn decode_body(bytes: Vec<u8>, content_encoding: Option<&str>, max_bytes: usize) -> Body {
    let Some(header) = content_encoding else {
        return Body::capped(bytes, max_bytes);
    };

    let mut current = bytes;
    let mut truncated = false;
    for coding in header.rsplit(',').map(str::trim).filter(|coding| !coding.is_empty()) {
        let step = match coding.to_ascii_lowercase().as_str() {
            "identity" => continue,
            "gzip" | "x-gzip" => decode_gzip(&current, max_bytes, truncated),
            "deflate" => decode_deflate(&current, max_bytes, truncated),
            "br" => decode_read(brotli::Decompressor::new(current.as_slice(), 4096), max_bytes, truncated),
            _ => None,
        };
        let Some(output) = step else {
            break;
        };
        current = output.bytes;
        truncated = output.truncated;
    }

    let mut body = Body::capped(current, max_bytes);
    body.truncated |= truncated;
    body
}

fn decode_gzip(input: &[u8], max_bytes: usize, input_truncated: bool) -> Option<Body> {
    const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
    if !input.starts_with(&GZIP_MAGIC) {
        return None;
    }
    // Several gzip members in a row are one body (RFC 1952 section 2.2).
    decode_read(MultiGzDecoder::new(input), max_bytes, input_truncated)
}

fn decode_deflate(input: &[u8], max_bytes: usize, input_truncated: bool) -> Option<Body> {
    if has_zlib_header(input)
        && let Some(body) = decode_read(ZlibDecoder::new(input), max_bytes, input_truncated)
    {
        return Some(body);
    }
    decode_read(DeflateDecoder::new(input), max_bytes, input_truncated)
}

/// True when the first two bytes are a valid zlib header (RFC 1950 section 2.2): compression
/// method 8 and a check value that makes the 16-bit header a multiple of 31.
fn has_zlib_header(input: &[u8]) -> bool {
    let [cmf, flg, ..] = *input else {
        return false;
    };
    cmf & 0x0f == 8 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
}

/// Reads a decoder to its end, keeping at most `max_bytes + 1` bytes. Returns `None` when the
/// stream is invalid, so the caller keeps its input. When the input was itself cut short by
/// an earlier step, an unexpected end is expected and the output so far is kept.
fn decode_read(decoder: impl Read, max_bytes: usize, input_truncated: bool) -> Option<Body> {
    let cap = max_bytes.saturating_add(1);
    let mut limited = decoder.take(cap as u64);
    let mut output = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let read = match limited.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) if input_truncated && error.kind() == io::ErrorKind::UnexpectedEof => {
                return Some(Body { bytes: output, truncated: true });
            }
            Err(_) => return None,
        };
        reserve_capped(&mut output, read, cap);
        output.extend_from_slice(&chunk[..read]);
    }

    let mut body = Body::capped(output, max_bytes);
    body.truncated |= input_truncated;
    Some(body)
}

/// Grows `output` for `additional` more bytes, doubling as `Vec` does but never past `cap`,
/// so that the buffer's capacity stays within the body limit.
fn reserve_capped(output: &mut Vec<u8>, additional: usize, cap: usize) {
    let needed = output.len() + additional;
    if needed <= output.capacity() {
        return;
    }
    let target = (output.capacity() * 2).max(needed).min(cap.max(needed));
    output.reserve_exact(target - output.len());
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};

    use super::*;

    const TEXT: &[u8] = b"{\"users\":[{\"id\":1,\"email\":\"ada@example.com\"}]}";

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut output = Vec::new();
        {
            let mut writer = brotli::CompressorWriter::new(&mut output, 4096, 1, 22);
            writer.write_all(data).unwrap();
        }
        output
    }

    #[test]
    fn no_encoding_only_caps() {
        let body = decode_body(b"abcdef".to_vec(), None, 4);
        assert_eq!(body.bytes, b"abcd");
        assert!(body.truncated);
    }

    #[test]
    fn gzip_decodes() {
        for name in ["gzip", "x-gzip", "GZIP", " gzip "] {
            let body = decode_body(gzip(TEXT), Some(name), 1024);
            assert_eq!(body.bytes, TEXT, "{name}");
            assert!(!body.truncated);
        }
    }

    #[test]
    fn gzip_header_on_plain_text_keeps_text() {
        let body = decode_body(TEXT.to_vec(), Some("gzip"), 1024);
        assert_eq!(body.bytes, TEXT);
        assert!(!body.truncated);
    }

    #[test]
    fn corrupt_gzip_keeps_input() {
        let mut data = gzip(TEXT);
        let middle = data.len() / 2;
        data[middle] ^= 0xff;
        data.truncate(data.len() - 4);
        let body = decode_body(data.clone(), Some("gzip"), 1024);
        assert_eq!(body.bytes, data);
    }

    #[test]
    fn deflate_zlib_and_raw_decode() {
        let body = decode_body(zlib(TEXT), Some("deflate"), 1024);
        assert_eq!(body.bytes, TEXT);

        let body = decode_body(raw_deflate(TEXT), Some("deflate"), 1024);
        assert_eq!(body.bytes, TEXT);
    }

    #[test]
    fn deflate_header_on_plain_text_keeps_text() {
        let body = decode_body(TEXT.to_vec(), Some("deflate"), 1024);
        assert_eq!(body.bytes, TEXT);
    }

    #[test]
    fn brotli_decodes() {
        let body = decode_body(brotli(TEXT), Some("br"), 1024);
        assert_eq!(body.bytes, TEXT);
        assert!(!body.truncated);
    }

    #[test]
    fn brotli_header_on_plain_text_keeps_text() {
        for text in [TEXT, b"hello world".as_slice(), b"".as_slice()] {
            let body = decode_body(text.to_vec(), Some("br"), 1024);
            assert_eq!(body.bytes, text);
        }
    }

    #[test]
    fn chain_is_undone_last_first() {
        // `Content-Encoding: gzip, br` means gzip was applied first, then brotli.
        let data = brotli(&gzip(TEXT));
        let body = decode_body(data, Some("gzip, br"), 1024);
        assert_eq!(body.bytes, TEXT);

        let data = gzip(&zlib(TEXT));
        let body = decode_body(data, Some("deflate,gzip"), 1024);
        assert_eq!(body.bytes, TEXT);
    }

    #[test]
    fn unknown_coding_stops_chain() {
        let data = gzip(TEXT);
        let body = decode_body(data.clone(), Some("gzip, zstd"), 1024);
        assert_eq!(body.bytes, data);
    }

    #[test]
    fn identity_is_skipped() {
        let body = decode_body(gzip(TEXT), Some("gzip, identity"), 1024);
        assert_eq!(body.bytes, TEXT);
    }

    #[test]
    fn output_is_capped() {
        let data = vec![b'a'; 10_000];
        let body = decode_body(gzip(&data), Some("gzip"), 100);
        assert_eq!(body.bytes, vec![b'a'; 100]);
        assert!(body.truncated);

        let body = decode_body(gzip(&data), Some("gzip"), 10_000);
        assert_eq!(body.bytes.len(), 10_000);
        assert!(!body.truncated);
    }

    #[test]
    fn gzip_bomb_is_capped_at_limit() {
        // 100 MB of zeros compresses to about 100 KB.
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..100 {
            encoder.write_all(&zeros).unwrap();
        }
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 200_000, "bomb is {} bytes", bomb.len());

        let cap = 1024 * 1024;
        let body = decode_body(bomb, Some("gzip"), cap);
        assert_eq!(body.bytes.len(), cap);
        assert!(body.truncated);
        assert!(body.bytes.capacity() <= cap + 1, "capacity {}", body.bytes.capacity());
    }

    #[test]
    fn brotli_bomb_is_capped_at_limit() {
        let zeros = vec![0u8; 20 * 1024 * 1024];
        let bomb = brotli(&zeros);
        drop(zeros);
        let body = decode_body(bomb, Some("br"), 1024 * 1024);
        assert_eq!(body.bytes.len(), 1024 * 1024);
        assert!(body.truncated);
    }

    #[test]
    fn truncated_inner_stream_keeps_prefix() {
        // Pseudo-random bytes barely compress, so the inner stream is about as long as the
        // text. The outer gzip expands past the cap, so the inner stream arrives cut short
        // and decodes to a prefix shorter than the cap.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let text: Vec<u8> = (0..100_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let inner = gzip(&text);
        let outer = gzip(&inner);
        let cap = inner.len() / 2;

        let body = decode_body(outer, Some("gzip, gzip"), cap);

        assert!(body.truncated);
        assert!(!body.bytes.is_empty());
        assert!(body.bytes.len() <= cap);
        assert_eq!(body.bytes, text[..body.bytes.len()]);
    }

    #[test]
    fn zlib_header_check() {
        assert!(has_zlib_header(&zlib(TEXT)));
        assert!(!has_zlib_header(b"{\"a\":1}"));
        assert!(!has_zlib_header(b"x"));
    }
}
