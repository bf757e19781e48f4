//! The OpenWrt feed Makefile against the repository: its variables follow the packages feed's
//! Rust conventions, every file it installs exists, and the cargo profile it selects is defined
//! with the settings a router build needs.

mod package_support;

use package_support::{read, repo};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn makefile() -> String {
    read(&repo().join("openwrt-package/Makefile"))
}

/// `NAME:=value` assignments at the top level and inside `define` blocks (last one wins).
fn var(src: &str, name: &str) -> Option<String> {
    src.lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix(name)?
                .strip_prefix(":=")
                .map(str::trim)
        })
        .next_back()
        .map(str::to_owned)
}

/// The body of `define NAME` … `endef`.
fn define(src: &str, name: &str) -> Vec<String> {
    let mut lines = src
        .lines()
        .skip_while(|l| l.trim() != format!("define {name}"));
    assert!(lines.next().is_some(), "no `define {name}` in the Makefile");
    lines
        .take_while(|l| l.trim() != "endef")
        .map(|l| l.trim().to_owned())
        .collect()
}

/// Maps a source path of an install line to the repository: the build dir is a checkout of the
/// repository, ./files is openwrt-package/files.
fn source_in_repo(src: &str) -> Option<PathBuf> {
    match src.strip_prefix("$(PKG_BUILD_DIR)/") {
        Some(rest) => Some(repo().join(rest)),
        None => src
            .strip_prefix("./")
            .map(|rest| repo().join("openwrt-package").join(rest)),
    }
}

#[test]
fn variables_follow_the_feed_rust_conventions() {
    let mk = makefile();
    assert_eq!(var(&mk, "PKG_NAME").as_deref(), Some("logtrigger"));
    let cargo = read(&repo().join("Cargo.toml"));
    let version = var(&mk, "PKG_VERSION").expect("PKG_VERSION");
    assert!(
        cargo.contains(&format!("version = \"{version}\"")),
        "PKG_VERSION {version} vs Cargo.toml"
    );
    for v in [
        "PKG_RELEASE",
        "PKG_LICENSE",
        "PKG_MAINTAINER",
        "PKG_SOURCE_PROTO",
        "PKG_SOURCE_URL",
    ] {
        assert!(var(&mk, v).is_some_and(|x| !x.is_empty()), "{v} missing");
    }
    let bdeps = var(&mk, "PKG_BUILD_DEPENDS").expect("PKG_BUILD_DEPENDS");
    assert!(
        bdeps.split_whitespace().any(|d| d == "rust/host"),
        "{bdeps}"
    );
    let deps = var(&mk, "DEPENDS").expect("DEPENDS");
    assert!(deps.contains("$(RUST_ARCH_DEPENDS)"), "{deps}");

    let lines: Vec<&str> = mk.lines().map(str::trim).collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| *l == needle)
            .unwrap_or_else(|| panic!("missing line {needle}"))
    };
    let package_mk = at("include $(INCLUDE_DIR)/package.mk");
    let rust_mk = at("include ../../lang/rust/rust-package.mk");
    assert!(package_mk < rust_mk);
    // rust-values.mk assigns CARGO_PKG_PROFILE with :=, so ours must come after the include.
    let profile_at = lines
        .iter()
        .position(|l| l.starts_with("CARGO_PKG_PROFILE:="))
        .expect("CARGO_PKG_PROFILE");
    assert!(
        profile_at > rust_mk,
        "CARGO_PKG_PROFILE set before rust-package.mk would be overwritten"
    );
    let rust_bin = at("$(eval $(call RustBinPackage,logtrigger))");
    let build = at("$(eval $(call BuildPackage,logtrigger))");
    assert!(rust_bin < build);
}

#[test]
fn the_selected_cargo_profile_is_small_and_aborts() {
    let profile = var(&makefile(), "CARGO_PKG_PROFILE").unwrap();
    assert_eq!(profile, "$(if $(CONFIG_DEBUG),dev,openwrt)");
    let cargo = read(&repo().join("Cargo.toml"));
    let section: Vec<String> = cargo
        .lines()
        .skip_while(|l| l.trim() != "[profile.openwrt]")
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .map(|l| l.split('#').next().unwrap().replace(' ', ""))
        .collect();
    assert!(!section.is_empty(), "Cargo.toml has no [profile.openwrt]");
    // The feed forces its release settings (panic=unwind in some versions) through
    // CARGO_PROFILE_RELEASE_* variables, which an inheriting profile would pick up: spell them out.
    for want in [
        "inherits=\"release\"",
        "opt-level=\"z\"",
        "lto=true",
        "panic=\"abort\"",
        "codegen-units=1",
    ] {
        assert!(
            section.iter().any(|l| l == want),
            "[profile.openwrt] lacks {want}: {section:?}"
        );
    }
    assert!(
        repo().join("Cargo.lock").is_file(),
        "the feed builds with --locked"
    );
}

#[test]
fn every_installed_file_exists_and_lands_where_the_spec_says() {
    let mk = makefile();
    let install = define(&mk, "Package/logtrigger/install");
    let mut dests = BTreeSet::new();
    let mut dirs = BTreeSet::new();
    for line in &install {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["$(INSTALL_DIR)", dir] => {
                dirs.insert(dir.trim_start_matches("$(1)").to_owned());
            }
            [cmd, src, dst] if cmd.starts_with("$(INSTALL_") || *cmd == "$(CP)" => {
                let dst = dst.strip_prefix("$(1)").expect("destination under $(1)");
                let parent = dst.rsplit_once('/').unwrap().0;
                assert!(
                    dirs.contains(parent),
                    "{dst}: $(INSTALL_DIR) {parent} missing before it"
                );
                if *src == "$(PKG_INSTALL_DIR)/bin/logtrigger" {
                    // cargo install puts the [[bin]] named after the package there.
                    let cargo = read(&repo().join("Cargo.toml"));
                    assert!(cargo.contains("name = \"logtrigger\""));
                    assert!(repo().join("src/main.rs").is_file());
                    assert_eq!(*cmd, "$(INSTALL_BIN)");
                } else {
                    let path =
                        source_in_repo(src).unwrap_or_else(|| panic!("unknown source {src}"));
                    assert!(
                        path.is_file(),
                        "installed file {} is not in the repository",
                        path.display()
                    );
                }
                if dst.starts_with("/etc/config/") {
                    assert_eq!(*cmd, "$(INSTALL_CONF)", "{dst} is a config file");
                }
                if dst.starts_with("/etc/init.d/") || dst.ends_with(".sh") {
                    assert_eq!(*cmd, "$(INSTALL_BIN)", "{dst} must be executable");
                }
                dests.insert(dst.to_owned());
            }
            [] => {}
            _ => panic!("unexpected install line: {line}"),
        }
    }
    let want: BTreeSet<String> = [
        "/usr/sbin/logtrigger",
        "/etc/init.d/logtrigger",
        "/etc/config/logtrigger",
        "/etc/logtrigger/ipblock.sh",
        "/etc/logtrigger/logit.sh",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(dests, want);
}

#[test]
fn conffiles_lists_the_config() {
    let conffiles = define(&makefile(), "Package/logtrigger/conffiles");
    assert_eq!(conffiles, ["/etc/config/logtrigger"]);
}

#[test]
fn shipped_scripts_are_executable_in_the_repository() {
    use std::os::unix::fs::PermissionsExt;
    for name in ["ipblock.sh", "logit.sh", "logtrigger.init"] {
        let p = repo().join("openwrt-package/files").join(name);
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert!(mode & 0o111 == 0o111, "{name} mode {mode:o}");
    }
}
