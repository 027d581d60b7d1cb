//! Build-time switches of the test suite: `quire_postgres` when `QUIRE_TEST_POSTGRES_URL` is
//! set, so the PostgreSQL variants of the tests run, or show as ignored with the reason.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(quire_postgres)");
    println!("cargo::rerun-if-env-changed=QUIRE_TEST_POSTGRES_URL");
    if std::env::var_os("QUIRE_TEST_POSTGRES_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=quire_postgres");
    }
}
