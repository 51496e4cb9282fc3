//! Criterion benches of the engine's own code (the parts that are not a
//! compressor): the CSS and JS reference scanners, reference resolution, and
//! planning the bundled fixture project (find + scan + rewrite + hash).
//!
//! `cargo bench -p rcollect-core --bench pipeline`
#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rcollect_core::config::Config;
use rcollect_core::plan::{PlanOptions, plan};
use rcollect_core::rewrite::resolve;
use rcollect_core::scan::{RefKind, Syntax, scan};

fn css_input() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..8000 {
        s.push_str(&format!(
            "/* rule {i}: url(not-a-ref.png) */\n.c{i} {{ background: url(\"../img/i{i}.png?v=1#x\") no-repeat; content: \"x\"; margin: {i}px; }}\n"
        ));
    }
    s.into_bytes()
}

fn js_input() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..6000 {
        s.push_str(&format!(
            "import {{ a{i} }} from \"./m{i}.js\";\nconst r{i} = /import \"x\"/g, d{i} = a{i} / 2 / {i};\nconst t{i} = `${{d{i}}} import(\"./no.js\")`;\n"
        ));
    }
    s.into_bytes()
}

fn scanners(c: &mut Criterion) {
    let css = css_input();
    let js = js_input();
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(css.len() as u64));
    g.bench_function("css", |b| b.iter(|| scan(Syntax::Css, black_box(&css))));
    g.throughput(Throughput::Bytes(js.len() as u64));
    g.bench_function("js", |b| b.iter(|| scan(Syntax::Js, black_box(&js))));
    g.finish();
}

fn resolution(c: &mut Criterion) {
    c.bench_function("resolve", |b| {
        b.iter(|| {
            resolve(
                black_box("../img/hero%20image.png?v=3#frag"),
                RefKind::CssUrl,
                black_box("css/components/buttons.css"),
                "/static/",
            )
        })
    });
}

fn planning(c: &mut Criterion) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rcollect.toml");
    let Ok(config) = Config::load(Path::new("."), Some(&fixtures), &Default::default()) else {
        return;
    };
    let config = Config {
        static_root: std::env::temp_dir().join("rcollect-bench-unused-root"),
        ..config
    };
    c.bench_function("plan_fixtures", |b| {
        b.iter(|| plan(black_box(&config), PlanOptions::default()))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = scanners, resolution, planning
}
criterion_main!(benches);
