//! Scanning one source (or taking what the stat cache recorded of it) and
//! resolving its references to planned files, with their lines and columns.

use std::collections::HashMap;

use crate::config::Config;
use crate::error::Error;
use crate::find::SourceFile;
use crate::hash::Digests;
use crate::rewrite::{Target, resolve};
use crate::scan::{self, RefKind, Syntax};
use crate::statcache::{Entry, RawRef};

use super::{BrokenReference, Edge, Linking, MAX_BROKEN_PER_FILE, ScanResult, Scanned};

/// Scans `asset` (or takes what the stat cache entry `cached` recorded of
/// its bytes) and resolves its references.
pub(super) fn scan_asset(
    config: &Config,
    linking: &Linking<'_>,
    asset: &SourceFile,
    index: &HashMap<&str, usize>,
    cached: Option<Entry>,
) -> ScanResult {
    let Some(syntax) = Syntax::of(&asset.logical) else {
        return Ok(None);
    };
    let (bytes, loaded, source, raw, output) = match cached
        .and_then(|e| Some((e.source, e.refs?, e.output)))
    {
        Some((source, raw, output)) => (Vec::new(), false, source, raw, output),
        None => {
            let bytes = std::fs::read(&asset.source).map_err(|e| Error::io(&asset.source, e))?;
            let raw = raw_refs(syntax, &bytes);
            let source = Digests::of(&bytes);
            (bytes, true, source, raw, None)
        }
    };
    let mut edges = Vec::new();
    let mut links = Vec::new();
    let mut strip = Vec::new();
    let mut broken = Vec::new();
    let mut omitted = 0;
    let hidden = config.sourcemaps.mode == crate::config::SourceMapMode::Hidden;
    for r in &raw {
        // Hidden source maps: the comment goes, whatever it names (a
        // collected map, another URL, an inline `data:` map).
        if hidden && r.kind == RefKind::SourceMap {
            strip.extend(r.comment.clone());
            continue;
        }
        let Some(text) = r.text.as_deref() else {
            continue;
        };
        let js = matches!(r.kind, RefKind::JsImport | RefKind::JsDynamicImport);
        let resolved = match resolve(text, r.kind, &asset.logical, &config.static_url) {
            Target::External => {
                // A bare specifier the import map names (its value was
                // checked to be a collected file).
                if js
                    && let Some(&target) =
                        linking.bare.get(text).and_then(|l| index.get(l.as_str()))
                {
                    links.push((r.kind, target));
                }
                continue;
            }
            Target::Outside { resolved } => resolved,
            Target::Local { logical, .. } if js && linking.importmap => {
                match index.get(logical.as_str()) {
                    Some(&target) => {
                        links.push((r.kind, target));
                        continue;
                    }
                    None => logical,
                }
            }
            Target::Local {
                logical,
                name_start,
                path_end,
            } => match index.get(logical.as_str()) {
                Some(&target) => {
                    edges.push(Edge {
                        span: r.span.clone(),
                        kind: r.kind,
                        target,
                        name_start,
                        path_end,
                    });
                    continue;
                }
                None => logical,
            },
        };
        if broken.len() == MAX_BROKEN_PER_FILE {
            omitted += 1;
            continue;
        }
        broken.push(BrokenReference {
            source: asset.source.clone(),
            logical: asset.logical.clone(),
            line: r.line,
            col: r.col,
            target: text.to_string(),
            resolved,
        });
    }
    // Nothing to rewrite or strip: the output is the source, and its
    // digests are the source's (the bytes need not be kept).
    let unchanged = edges.is_empty() && strip.is_empty();
    let (digests, bytes, loaded) = if unchanged {
        (Some(source), Vec::new(), false)
    } else {
        (None, bytes, loaded)
    };
    let scanned = Scanned {
        digests,
        bytes,
        loaded,
        source,
        raw,
        output,
        edges,
        links,
        strip,
    };
    Ok(Some((scanned, broken, omitted)))
}

/// The references `bytes` hold, as the stat cache keeps them.
pub(super) fn raw_refs(syntax: Syntax, bytes: &[u8]) -> Vec<RawRef> {
    let mut columns = Columns::new(bytes);
    scan::scan(syntax, bytes)
        .into_iter()
        .map(|r| RawRef {
            comment: if r.kind == RefKind::SourceMap {
                scan::source_map_comment(bytes, &r.span)
            } else {
                None
            },
            text: bytes
                .get(r.span.clone())
                .and_then(|b| std::str::from_utf8(b).ok())
                .map(str::to_owned),
            col: columns.of(r.span.start),
            line: r.line,
            kind: r.kind,
            span: r.span,
        })
        .collect()
}

/// [`column`] of positions in increasing order, in one pass: a long
/// minified line with many references is counted once, not once per
/// reference.
pub(super) struct Columns<'a> {
    bytes: &'a [u8],
    /// The last position asked for.
    at: usize,
    /// Characters between its line's start and it.
    chars: usize,
}

impl<'a> Columns<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Columns {
            bytes,
            at: 0,
            chars: 0,
        }
    }

    /// The 1-based column of `at`, in characters.
    pub(super) fn of(&mut self, at: usize) -> u32 {
        // Counting on from the last position gives the same count when
        // the bytes from there on start with an ASCII byte (no UTF-8
        // sequence spans it); otherwise, count from the line's start.
        let on = at >= self.at && self.bytes.get(self.at).is_some_and(u8::is_ascii);
        let chars = match self.bytes.get(self.at..at).filter(|_| on) {
            Some(seg) => match seg.iter().rposition(|&b| b == b'\n' || b == b'\r') {
                Some(nl) => lossy_chars(seg.get(nl + 1..).unwrap_or_default()),
                None => self.chars.saturating_add(lossy_chars(seg)),
            },
            None => (column(self.bytes, at) as usize).saturating_sub(1),
        };
        self.at = at;
        self.chars = chars;
        u32::try_from(chars).unwrap_or(u32::MAX).saturating_add(1)
    }
}

/// Characters in `bytes` decoded lossily (as [`column`] counts them).
pub(super) fn lossy_chars(bytes: &[u8]) -> usize {
    String::from_utf8_lossy(bytes).chars().count()
}

/// 1-based column, in characters, of byte `at` on its line.
pub(super) fn column(bytes: &[u8], at: usize) -> u32 {
    let before = bytes.get(..at).unwrap_or(bytes);
    let start = before
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(0, |i| i + 1);
    let line = before.get(start..).unwrap_or_default();
    let chars = String::from_utf8_lossy(line).chars().count();
    u32::try_from(chars).unwrap_or(u32::MAX).saturating_add(1)
}
