//! The OpenWrt feed Makefile against the repository: its variables follow the packages feed's
//! Rust conventions, every file it installs exists, the cargo profile it selects is defined with
//! the settings a router build needs, the license and Rust version it declares hold, and
//! `scripts/sizes.sh feed` builds with the same switches as the Makefile.

mod package_support;

use package_support::{read, repo, shipped};
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

/// The conditional block of the Makefile that opens with `opener` (`ifeq (…)`), through its
/// `endif`, as GNU make can read it alone.
fn conditional(mk: &str, opener: &str) -> String {
    let block: String = mk
        .lines()
        .skip_while(|l| l.trim() != opener)
        .take_while(|l| l.trim() != "endif")
        .chain(["endif"])
        .collect::<Vec<_>>()
        .join("\n");
    assert!(block.len() > 10, "no `{opener}` block in the Makefile");
    block
}

/// The value of `NAME="…"` in scripts/sizes.sh.
fn sizes_var<'a>(sizes: &'a str, name: &str) -> &'a str {
    sizes
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("{name} in sizes.sh"))
        .trim_matches('"')
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
    // The feed forces its release settings (panic=unwind, overflow checks on) through
    // CARGO_PROFILE_RELEASE_* variables, which an inheriting profile would pick up: spell them out.
    for want in [
        "inherits=\"release\"",
        "opt-level=\"z\"",
        "lto=true",
        "panic=\"abort\"",
        "codegen-units=1",
        "overflow-checks=false",
        "debug-assertions=false",
        "debug=false",
        "strip=true",
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
        "/usr/share/logtrigger/fw4.include",
        "/etc/uci-defaults/90-logtrigger-firewall",
        "/lib/upgrade/keep.d/logtrigger",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(dests, want);
}

#[test]
fn conffiles_keep_the_config_and_the_action_scripts() {
    let mk = makefile();
    let conffiles = define(&mk, "Package/logtrigger/conffiles");
    assert_eq!(
        conffiles,
        [
            "/etc/config/logtrigger",
            "/etc/logtrigger/ipblock.sh",
            "/etc/logtrigger/logit.sh",
        ]
    );
    // Every conffile is a file the package installs (opkg keeps only those).
    let install = define(&mk, "Package/logtrigger/install").join("\n");
    for c in &conffiles {
        assert!(
            install.contains(&format!("$(1){c}")),
            "{c} is not installed"
        );
    }
}

#[test]
fn license_is_declared_everywhere_and_shipped() {
    let mk = makefile();
    let cargo = read(&repo().join("Cargo.toml"));
    assert_eq!(var(&mk, "PKG_LICENSE").as_deref(), Some("MIT"));
    assert!(
        cargo
            .lines()
            .any(|l| l.replace(' ', "") == "license=\"MIT\"")
    );
    let files = var(&mk, "PKG_LICENSE_FILES").expect("PKG_LICENSE_FILES");
    for f in files.split_whitespace() {
        let text = read(&repo().join(f));
        assert!(text.starts_with("MIT License"), "{f}");
        assert!(text.contains("logtrigger contributors"), "{f}");
    }
}

/// `major.minor` of a version string, for comparisons.
fn minor_version(v: &str) -> (u32, u32) {
    let mut it = v
        .trim_matches('"')
        .split('.')
        .map(|p| p.parse::<u32>().unwrap());
    (it.next().unwrap(), it.next().unwrap_or(0))
}

/// The `key = "value"` of a manifest's `[package]` section.
fn package_key(manifest: &str, key: &str) -> Option<String> {
    manifest
        .lines()
        .skip_while(|l| l.trim() != "[package]")
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
        })
}

/// The locked versions of `name` in Cargo.lock.
fn locked_versions(lock: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == format!("name = \"{name}\"")
            && let Some(v) = lines.next().and_then(|v| v.strip_prefix("version = "))
        {
            out.push(v.trim_matches('"').to_owned());
        }
    }
    out
}

#[test]
fn rust_version_covers_every_dependency_of_the_binary() {
    let cargo = read(&repo().join("Cargo.toml"));
    let ours = minor_version(&package_key(&cargo, "rust-version").expect("rust-version"));
    let lock = read(&repo().join("Cargo.lock"));
    let deps: Vec<String> = cargo
        .lines()
        .skip_while(|l| l.trim() != "[dependencies]")
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .filter_map(|l| Some(l.split_once('=')?.0.trim().to_owned()))
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect();
    assert!(!deps.is_empty());
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let registries: Vec<PathBuf> = std::fs::read_dir(home.join("registry/src"))
        .expect("the registry sources the build used")
        .map(|e| e.unwrap().path())
        .collect();
    let mut checked = 0;
    for dep in &deps {
        for version in locked_versions(&lock, dep) {
            let Some(manifest) = registries
                .iter()
                .map(|r| r.join(format!("{dep}-{version}/Cargo.toml")))
                .find(|p| p.is_file())
            else {
                continue;
            };
            if let Some(needs) = package_key(&read(&manifest), "rust-version") {
                assert!(
                    minor_version(&needs) <= ours,
                    "{dep} {version} needs Rust {needs}, Cargo.toml says {ours:?}"
                );
            }
            checked += 1;
        }
    }
    assert!(
        checked >= deps.len(),
        "only {checked} of {deps:?} found in the registry sources"
    );
}

#[test]
fn dependencies_cover_what_the_ban_script_runs() {
    let deps = var(&makefile(), "DEPENDS").expect("DEPENDS");
    let words: Vec<&str> = deps.split_whitespace().collect();
    // fw4 images (and images without fw3) ban with nft; fw3 images with ipset + iptables.
    assert!(
        words.contains(&"+!PACKAGE_firewall:nftables-json"),
        "{deps}"
    );
    assert!(words.contains(&"+PACKAGE_firewall:ipset"), "{deps}");
    let ipblock = read(&shipped("ipblock.sh"));
    for tool in ["command -v nft", "command -v ipset", "command -v iptables"] {
        assert!(
            ipblock.contains(tool),
            "ipblock.sh no longer looks up {tool}"
        );
    }
}

#[test]
fn removal_stops_the_service_before_lifting_the_bans() {
    let prerm = define(&makefile(), "Package/logtrigger/prerm");
    let at = |needle: &str| {
        prerm
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("prerm lacks {needle}: {prerm:?}"))
    };
    // default_prerm stops and disables every init script of the package.
    let stop = at("default_prerm $$0 $$@");
    let teardown = at("/etc/logtrigger/ipblock.sh teardown");
    assert!(at(". $${IPKG_INSTROOT}/lib/functions.sh") < stop);
    assert!(
        stop < teardown,
        "the bans are lifted while the daemon still runs"
    );
    let line = &prerm[teardown];
    assert!(
        line.contains("$${IPKG_INSTROOT}"),
        "image builds must not run it: {line}"
    );
    assert!(
        line.contains("$${PKG_UPGRADE}"),
        "an upgrade must keep the bans: {line}"
    );
}

#[test]
fn prerm_runs_the_default_prerm_and_skips_the_teardown_in_an_image_build() {
    // The script opkg gets: the define's body with make's `$$` turned into `$`.
    let body = define(&makefile(), "Package/logtrigger/prerm")
        .join("\n")
        .replace("$$", "$");
    let root = package_support::Scratch::new("prerm");
    std::fs::create_dir_all(root.path("lib")).unwrap();
    let calls = root.path("default_prerm.calls");
    std::fs::write(
        root.path("lib/functions.sh"),
        format!(
            "default_prerm() {{ printf '%s\\n' \"$*\" >>'{}'; }}\n",
            calls.display()
        ),
    )
    .unwrap();
    let prerm = root.script("logtrigger.prerm", &body);
    for shell in package_support::SHELLS {
        let _ = std::fs::remove_file(&calls);
        let out = std::process::Command::new(shell[0])
            .args(&shell[1..])
            .arg(&prerm)
            .arg("remove")
            .env("IPKG_INSTROOT", &root.0)
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell:?}: {out:?}");
        // Called with the script's own name and arguments, as OpenWrt's default prerm is; in
        // an image build (IPKG_INSTROOT set) nothing else runs.
        let logged = std::fs::read_to_string(&calls).unwrap();
        assert_eq!(logged, format!("{} remove\n", prerm.display()), "{shell:?}");
        assert!(
            out.stderr.is_empty(),
            "{shell:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Evaluates the Makefile's LOGTRIGGER_SMALL_STD block with GNU make, with `rustc` on PATH
/// answering `version`: what cargo's environment and RUSTFLAGS get (`VARS|FLAGS`).
fn small_std_with_rustc(block: &str, version: &str) -> (String, String) {
    let dir = package_support::Scratch::new("small-std");
    dir.script(
        "rustc",
        &format!("echo 'rustc {version} (0000000 2026-01-01)'"),
    );
    let mk = dir.path("Makefile");
    std::fs::write(
        &mk,
        format!(
            "comma:=,\nCONFIG_LOGTRIGGER_SMALL_STD:=y\nCARGO_PKG_VARS=CC=cc\n\
             CARGO_RUSTFLAGS+=-Ctarget-feature=-crt-static\n{block}\n\
             show:\n\t@echo '$(strip $(CARGO_PKG_VARS))|$(strip $(CARGO_RUSTFLAGS))'\n"
        ),
    )
    .unwrap();
    let path = format!("{}:{}", dir.0.display(), std::env::var("PATH").unwrap());
    let out = std::process::Command::new("make")
        .args(["-s", "-f"])
        .arg(&mk)
        .arg("show")
        .env("PATH", path)
        .output()
        .expect("GNU make");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (vars, flags) = text.trim().split_once('|').unwrap();
    (vars.to_owned(), flags.to_owned())
}

#[test]
fn small_std_switches_follow_the_compiler_and_the_size_script() {
    let mk = makefile();
    let config = define(&mk, "Package/logtrigger/config");
    assert_eq!(
        config.first().map(String::as_str),
        Some("config LOGTRIGGER_SMALL_STD")
    );
    assert!(config.iter().any(|l| l == "default y"), "{config:?}");
    let block = conditional(&mk, "ifeq ($(CONFIG_LOGTRIGGER_SMALL_STD),y)");

    // Rust 1.92 and later: the immediate-abort panic strategy, exactly as sizes.sh builds.
    let sizes = read(&repo().join("scripts/sizes.sh"));
    let vars = sizes
        .lines()
        .find_map(|l| l.strip_prefix("SMALL_STD_VARS=("))
        .expect("SMALL_STD_VARS in sizes.sh")
        .trim_end_matches(')');
    let flags = sizes_var(&sizes, "SMALL_STD_RUSTFLAGS");
    let (got_vars, got_flags) = small_std_with_rustc(&block, "1.95.0");
    assert_eq!(got_vars, format!("CC=cc {vars}"));
    assert_eq!(got_flags, format!("-Ctarget-feature=-crt-static {flags}"));

    // Before 1.92 the same panics are a std feature, and the panic flag does not exist; a
    // panic aborts either way, so no unwind tables.
    let (old_vars, old_flags) = small_std_with_rustc(&block, "1.90.0");
    assert!(
        old_vars
            .ends_with("CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size,panic_immediate_abort"),
        "{old_vars}"
    );
    assert!(old_vars.contains("RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort"));
    assert_eq!(
        old_flags,
        "-Ctarget-feature=-crt-static -Cforce-unwind-tables=no"
    );

    // The size check runs in CI.
    let test_sh = read(&repo().join("scripts/test.sh"));
    assert!(test_sh.lines().any(|l| l.trim() == "scripts/sizes.sh feed"));
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

/// Evaluates `lines` of the Makefile with GNU make after `config`: what RUSTFLAGS get.
fn rustflags_with(config: &str, lines: &str) -> String {
    let dir = package_support::Scratch::new("rustflags");
    let mk = dir.path("Makefile");
    std::fs::write(
        &mk,
        format!(
            "{config}\nCARGO_RUSTFLAGS+=-Ctarget-feature=-crt-static\n{lines}\n\
             show:\n\t@echo '$(strip $(CARGO_RUSTFLAGS))'\n"
        ),
    )
    .unwrap();
    let out = std::process::Command::new("make")
        .args(["-s", "-f"])
        .arg(&mk)
        .arg("show")
        .output()
        .expect("GNU make");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn inlining_and_position_independence_follow_the_image_and_the_size_script() {
    let mk = makefile();
    let sizes = read(&repo().join("scripts/sizes.sh"));
    // Every build: the inlining threshold, as sizes.sh builds.
    let feed_flags = sizes_var(&sizes, "FEED_RUSTFLAGS");
    assert!(
        mk.lines()
            .any(|l| l.trim() == format!("CARGO_RUSTFLAGS+= {feed_flags}")),
        "the Makefile adds {feed_flags} to every build"
    );

    // Position independence as hardening.mk gives it to a package that does not opt in to
    // Regular: PIE only when the image builds every package PIE (All), with sizes.sh's flag.
    assert_eq!(var(&mk, "PKG_ASLR_PIE_REGULAR"), None);
    let block = conditional(&mk, "ifneq ($(CONFIG_PKG_ASLR_PIE_ALL),y)");
    let static_flag = sizes_var(&sizes, "NOT_PIE_RUSTFLAGS");
    assert!(
        sizes
            .lines()
            .any(|l| l.contains("*-pie ]] ||") && l.contains("$NOT_PIE_RUSTFLAGS")),
        "sizes.sh builds with {static_flag} unless it builds as a PIE image"
    );
    for (config, want) in [
        ("CONFIG_PKG_ASLR_PIE_NONE:=y", format!(" {static_flag}")),
        ("CONFIG_PKG_ASLR_PIE_REGULAR:=y", format!(" {static_flag}")),
        ("CONFIG_PKG_ASLR_PIE_ALL:=y", String::new()),
    ] {
        assert_eq!(
            rustflags_with(config, &block),
            format!("-Ctarget-feature=-crt-static{want}"),
            "{config}"
        );
    }
}
