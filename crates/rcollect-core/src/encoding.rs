//! [`Encoding`]: the content codings of the precompressed variants.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A content coding we precompress with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Brotli (`br`, suffix `.br`).
    Br,
    /// Zstandard (`zstd`, suffix `.zst`).
    Zstd,
    /// gzip (`gzip`, suffix `.gz`).
    Gzip,
}

impl Encoding {
    /// All encodings, in server preference order for equal q-values.
    pub const ALL: [Encoding; 3] = [Encoding::Br, Encoding::Zstd, Encoding::Gzip];

    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Br => "br",
            Encoding::Zstd => "zstd",
            Encoding::Gzip => "gzip",
        }
    }

    /// The file suffix of the variant, with the dot.
    pub fn suffix(self) -> &'static str {
        match self {
            Encoding::Br => ".br",
            Encoding::Zstd => ".zst",
            Encoding::Gzip => ".gz",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}
