//! `logtrigger --dry-run` (the README's first command): a firing prints the script and its
//! `LT_*` environment instead of running it, so trying the shipped configuration on a
//! development machine never touches its firewall.

use crate::shared::*;

#[test]
fn a_dry_run_prints_the_firing_and_runs_nothing() {
    let s = Setup::new("dry-run", "");
    let out = s.dir.join("ran.env");
    let script = s.env_script("ban.sh", &out);
    s.write_config(&format!(
        "\nconfig rule 'probe'\n\toption pattern 'failed for %s'\n\toption fields 'ip'\n\
         \toption maxfail '2'\n\toption script '{}'\n",
        script.display()
    ));
    let mut d = s.start_ready(&["--dry-run", "-D", "1"]);
    s.send(b"<13>app: failed for 203.0.113.9");
    s.send(b"<13>app: failed for 203.0.113.9");
    let printed = |s: &Setup| {
        let e = s.stderr();
        e.contains(&format!("[probe] dry run: would run {}", script.display()))
            && e.contains("[probe] env LT_ip=203.0.113.9")
            && e.contains("[probe] env LT_count=2")
    };
    assert!(poll(ms(5000), || printed(&s)), "{}", s.stderr());
    assert_eq!(script_num(&s.json(), "started"), Some(0), "{}", s.json());
    stop(&mut d, &s);
    assert!(!out.exists(), "the script ran in a dry run");
}
