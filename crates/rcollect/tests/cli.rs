//! The integration tests of the `rcollect` binary: one test binary, a module
//! per command or concern, helpers in `common/`. Each test runs the real
//! binary on real files in temp dirs; the serve tests talk HTTP over a real
//! socket (the TLS tests with real TLS and HTTP/2 clients); the store tests
//! talk to an S3 server (see `scripts/s3/`), the nginx test to a real nginx.

mod common;

mod bad_inputs;
mod bundlers;
mod check;
mod clean;
mod collect;
mod deltas;
mod first_hour;
mod hostile;
mod importmap;
mod limits;
mod nginx;
mod serve;
#[cfg(feature = "s3")]
mod store;
mod tls;
