//! A file's final bytes, hash and name: rewriting its references to the
//! names of what it loads, alone ([`Single`]) or with the members of its
//! reference cycle ([`plan_cycle`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::find::SourceFile;
use crate::hash::{Digests, hashed_name, name_hash};
use crate::rewrite::{replacement, splice};
use crate::statcache::Output;

use super::{Content, Planned, Scanned};

pub(super) fn mtime_secs(t: SystemTime) -> u64 {
    crate::manifest::http_time(t)
}

/// Rewrites the edges of `scanned` whose targets already have names in
/// `names` (edges for which `names` returns `None` are left as written)
/// and removes its hidden source-map comments.
pub(super) fn rewrite_with<'a>(
    scanned: &Scanned,
    bytes: &[u8],
    names: impl Fn(usize) -> Option<&'a str>,
) -> (Vec<u8>, bool) {
    let mut edits: Vec<(std::ops::Range<usize>, String)> = scanned
        .strip
        .iter()
        .map(|r| (r.clone(), String::new()))
        .collect();
    for e in &scanned.edges {
        let Some(hashed) = names(e.target) else {
            continue;
        };
        let Some(text) = bytes
            .get(e.span.clone())
            .and_then(|b| std::str::from_utf8(b).ok())
        else {
            continue;
        };
        let new = replacement(text, e.name_start, e.path_end, hashed);
        if new != text {
            edits.push((e.span.clone(), new));
        }
    }
    let changed = !edits.is_empty();
    // A comment and a reference never overlap (a hidden source map is not
    // an edge), so sorting by start orders them for `splice`.
    edits.sort_by_key(|(r, _)| r.start);
    (splice(bytes, &edits), changed)
}

impl Scanned {
    /// The source bytes: those read while scanning, or (when the stat
    /// cache stood in for them) the file's bytes now, which must be the
    /// ones the cache recorded.
    fn source_bytes(&self, a: &SourceFile) -> Result<Cow<'_, [u8]>> {
        if self.loaded {
            return Ok(Cow::Borrowed(&self.bytes));
        }
        let bytes = std::fs::read(&a.source).map_err(|e| Error::io(&a.source, e))?;
        if Digests::of(&bytes) != self.source {
            return Err(Error::SourceChanged {
                path: a.source.clone(),
            });
        }
        Ok(Cow::Owned(bytes))
    }

    /// What the final bytes are made of besides the source: each
    /// rewritten span, how it is rewritten and the name put there
    /// (`names`), and the removed ranges. Equal inputs over equal source
    /// bytes give equal final bytes.
    fn inputs<'a>(&self, names: impl Fn(usize) -> Option<&'a str>) -> [u8; 32] {
        let mut h = Sha256::new();
        let num = |h: &mut Sha256, n: usize| h.update((n as u64).to_le_bytes());
        h.update(self.source.sha256);
        for e in &self.edges {
            for n in [e.span.start, e.span.end, e.name_start, e.path_end] {
                num(&mut h, n);
            }
            match names(e.target) {
                Some(name) => {
                    h.update([1]);
                    num(&mut h, name.len());
                    h.update(name.as_bytes());
                }
                None => h.update([0]),
            }
        }
        h.update([2]);
        for r in &self.strip {
            num(&mut h, r.start);
            num(&mut h, r.end);
        }
        h.finalize().into()
    }
}

/// The hashed name already planned for asset `t`.
pub(super) fn name_of(results: &[Option<Planned>], t: usize) -> Option<&str> {
    results
        .get(t)
        .and_then(|r| r.as_ref())
        .map(|p| p.hashed.as_str())
}

pub(super) fn dep_modified(scanned: Option<&Scanned>, results: &[Option<Planned>]) -> u64 {
    scanned.map_or(0, |s| {
        s.edges
            .iter()
            .filter_map(|e| results.get(e.target).and_then(|r| r.as_ref()))
            .map(|p| p.modified)
            .max()
            .unwrap_or(0)
    })
}

/// A planned file and, for a rewritten one, what its final bytes are made
/// of (for the stat cache).
pub(super) type PlannedWith = (Planned, Option<Output>);

/// What planning one file (not in a cycle) needs besides the results so far.
pub(super) struct Single<'a> {
    pub(super) assets: &'a [SourceFile],
    pub(super) bundled: &'a crate::bundler::Bundled,
    /// Source digests the stat cache knows, by asset.
    pub(super) known: &'a [Option<Digests>],
    pub(super) reuse_root: Option<&'a Path>,
}

impl Single<'_> {
    /// Plans asset `i`, and says what its final bytes are made of when
    /// references are rewritten in it (for the stat cache).
    pub(super) fn plan(
        &self,
        scanned: &[Option<Scanned>],
        results: &[Option<Planned>],
        i: usize,
    ) -> Result<PlannedWith> {
        let a = &self.assets[i];
        let source_digests = || match self.known.get(i).copied().flatten() {
            Some(d) => Ok(d),
            None => Digests::of_file(&a.source),
        };
        if let Some(by) = self.bundled.hashed.get(&a.logical) {
            let planned = Planned {
                logical: a.logical.clone(),
                hashed: a.logical.clone(),
                source: a.source.clone(),
                content: Content::Source(a.source.clone()),
                digests: source_digests()?,
                modified: mtime_secs(a.modified),
                rewritten: false,
                hashed_by: Some(by.clone()),
            };
            return Ok((planned, None));
        }
        let own = mtime_secs(a.modified);
        let planned =
            |digests: Digests, content: Content, modified: u64, rewritten: bool| Planned {
                logical: a.logical.clone(),
                hashed: hashed_name(&a.logical, &name_hash(&digests.sha256)),
                source: a.source.clone(),
                content,
                digests,
                modified,
                rewritten,
                hashed_by: None,
            };
        match &scanned[i] {
            Some(Scanned {
                digests: Some(digests),
                ..
            }) => Ok((
                planned(*digests, Content::Source(a.source.clone()), own, false),
                None,
            )),
            Some(s) => {
                let modified = own.max(dep_modified(Some(s), results));
                let inputs = s.inputs(|t| name_of(results, t));
                // The same source rewritten the same way: the final bytes
                // a previous run made, if STATIC_ROOT still holds them.
                if let (Some(out), Some(root)) = (&s.output, self.reuse_root)
                    && out.inputs == inputs
                {
                    let p = planned(
                        out.digests,
                        Content::Memory(Arc::default()),
                        modified,
                        out.rewritten,
                    );
                    let existing = root.join(&p.hashed);
                    if crate::write::file_len(&existing) == Some(out.digests.size) {
                        let p = Planned {
                            content: Content::Source(existing),
                            ..p
                        };
                        return Ok((p, Some(out.clone())));
                    }
                }
                let source = s.source_bytes(a)?;
                let (bytes, rewritten) = rewrite_with(s, &source, |t| name_of(results, t));
                let digests = Digests::of(&bytes);
                let output = Output {
                    inputs,
                    digests,
                    rewritten,
                };
                let p = planned(
                    digests,
                    Content::Memory(Arc::new(bytes)),
                    modified,
                    rewritten,
                );
                Ok((p, Some(output)))
            }
            None => Ok((
                planned(
                    source_digests()?,
                    Content::Source(a.source.clone()),
                    own,
                    false,
                ),
                None,
            )),
        }
    }
}

pub(super) fn plan_cycle(
    assets: &[SourceFile],
    scanned: &[Option<Scanned>],
    results: &[Option<Planned>],
    comp: &[usize],
) -> Result<Vec<Planned>> {
    // Pass 1: rewrite references that leave the cycle; hash the members together.
    let mut cycle_hash = Sha256::new();
    let mut modified = 0;
    let mut sources: HashMap<usize, Cow<'_, [u8]>> = HashMap::new();
    for &i in comp {
        let a = &assets[i];
        let s = scanned[i].as_ref();
        let partial = match s {
            Some(s) => {
                let source = sources.entry(i).or_insert(s.source_bytes(a)?);
                rewrite_with(s, source, |t| {
                    if comp.contains(&t) {
                        None
                    } else {
                        name_of(results, t)
                    }
                })
                .0
            }
            None => std::fs::read(&a.source).map_err(|e| Error::io(&a.source, e))?,
        };
        cycle_hash.update(a.logical.as_bytes());
        cycle_hash.update([0]);
        cycle_hash.update((partial.len() as u64).to_le_bytes());
        cycle_hash.update(&partial);
        modified = modified
            .max(mtime_secs(a.modified))
            .max(dep_modified(s, results));
    }
    let cycle_hash: [u8; 32] = cycle_hash.finalize().into();
    let names: HashMap<usize, String> = comp
        .iter()
        .map(|&i| {
            let mut h = Sha256::new();
            h.update(cycle_hash);
            h.update(assets[i].logical.as_bytes());
            let digest: [u8; 32] = h.finalize().into();
            (i, hashed_name(&assets[i].logical, &name_hash(&digest)))
        })
        .collect();
    // Pass 2: every name is known; produce the final bytes.
    comp.iter()
        .map(|&i| {
            let a = &assets[i];
            let Some(s) = scanned[i].as_ref() else {
                return Err(Error::Internal {
                    path: a.source.clone(),
                    message: "a file without references cannot be part of a cycle",
                });
            };
            let source = sources.get(&i).map_or(&[][..], |b| &b[..]);
            let (bytes, rewritten) = rewrite_with(s, source, |t| {
                names
                    .get(&t)
                    .map(String::as_str)
                    .or_else(|| name_of(results, t))
            });
            let digests = Digests::of(&bytes);
            Ok(Planned {
                logical: a.logical.clone(),
                hashed: names.get(&i).cloned().unwrap_or_default(),
                source: a.source.clone(),
                content: Content::Memory(Arc::new(bytes)),
                digests,
                modified,
                rewritten,
                hashed_by: None,
            })
        })
        .collect()
}
