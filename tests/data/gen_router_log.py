#!/usr/bin/env python3
"""Writes router.log (as `logread` shows it) and router.frames (raw syslog frames) from one
scenario. Rerun after editing: `python3 tests/data/gen_router_log.py`. router.expected is written
by hand from the scenario comments below and checked by tests/track_default_rules.rs."""
import os, time

BASE = 1795748400  # Fri Nov 27 03:00:00 2026 UTC
FAC = {"kern": 0, "user": 1, "daemon": 3, "auth": 4, "authpriv": 10, "local0": 16}
SEV = {"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warn": 4, "notice": 5, "info": 6, "debug": 7}
lines = []  # (t, "fac.sev", tag, msg)

def log(t, prio, tag, msg):
    lines.append((BASE + t, prio, tag, msg))

def dropbear(t, pid, msg, prio="authpriv.info"):
    log(t, prio, f"dropbear[{pid}]", msg)

# -- noise through the whole hour ------------------------------------------------------------
for i in range(0, 3600, 97):
    log(i, "daemon.info", "dnsmasq-dhcp[1843]", f"DHCPREQUEST(br-lan) 192.168.1.{100 + i % 50} 3c:22:fb:0{i % 10}:aa:{i % 90 + 10:02x}")
    log(i + 1, "daemon.info", "dnsmasq-dhcp[1843]", f"DHCPACK(br-lan) 192.168.1.{100 + i % 50} 3c:22:fb:0{i % 10}:aa:{i % 90 + 10:02x} laptop-{i}")
for i in range(13, 3600, 301):
    log(i, "daemon.info", "hostapd", f"phy0-ap0: STA 3c:22:fb:01:aa:{i % 90 + 10:02x} IEEE 802.11: authenticated")
    log(i + 1, "daemon.info", "hostapd", f"phy0-ap0: STA 3c:22:fb:01:aa:{i % 90 + 10:02x} WPA: pairwise key handshake completed (RSN)")
    log(i + 2, "daemon.notice", "netifd", "Network device 'wan' link is up")
    log(i + 3, "kern.info", "kernel", f"[{i + 12}.{i * 7 % 1000:03d}] br-lan: port 2(phy0-ap0) entered forwarding state")
    log(i + 4, "daemon.warn", "odhcpd[1651]", "No default route present, overriding ra_lifetime!")
    log(i + 5, "daemon.info", "dnsmasq[1843]", "query[AAAA] openwrt.org from fd00::1c2")

# -- dropbear -----------------------------------------------------------------------------------
# A. 203.0.113.5: 10 bad passwords in 4 minutes -> bad_password fires twice.
for n in range(10):
    t = 60 + n * 24
    dropbear(t, 3001, f"Child connection from 203.0.113.5:{41000 + n}")
    dropbear(t + 2, 3001, f"Bad password attempt for 'root' from 203.0.113.5:{41000 + n}", "authpriv.warn")
# B. IPv6 2001:db8:dead:beef::5: 5 bad passwords -> fires once (unbracketed v6:port).
for n in range(5):
    dropbear(400 + n * 30, 3002, f"Bad password attempt for 'root' from 2001:db8:dead:beef::5:{50000 + n}", "authpriv.warn")
# C. 198.51.100.7: only 4 -> never fires.
for n in range(4):
    dropbear(700 + n * 60, 3003, f"Bad password attempt for 'root' from 198.51.100.7:{52000 + n}", "authpriv.warn")
# D. 198.51.100.8: 5 attempts 150 s apart: the first is exactly 600 s old at the fifth -> outside
#    the window, count 4 -> never fires.
for n in range(5):
    dropbear(1000 + n * 150, 3004, f"Bad password attempt for 'root' from 198.51.100.8:{53000 + n}", "authpriv.warn")
# E. loopback (ignoreip): 6 from 127.0.0.1 and 5 from ::1 -> never fire.
for n in range(6):
    dropbear(1100 + n * 10, 3005, f"Bad password attempt for 'root' from 127.0.0.1:{54000 + n}", "authpriv.warn")
for n in range(5):
    dropbear(1200 + n * 10, 3006, f"Bad password attempt for 'root' from ::1:{54100 + n}", "authpriv.warn")
# F. nonexistent users: 192.0.2.66 (current wording) and 2001:db8::66 (old wording with a name).
for n in range(5):
    dropbear(1300 + n * 20, 3007, f"Login attempt for nonexistent user from 192.0.2.66:{55000 + n}", "authpriv.warn")
    dropbear(1310 + n * 20, 3008, f"Login attempt for nonexistent user 'admin{n}' from 2001:db8::66:{55100 + n}", "authpriv.warn")
# G. 192.0.2.77: 5 connections, each a nonexistent user then max tries -> both rules fire once.
for n in range(5):
    dropbear(1500 + n * 40, 3100 + n, f"Child connection from 192.0.2.77:{56000 + n}")
    dropbear(1501 + n * 40, 3100 + n, f"Login attempt for nonexistent user from 192.0.2.77:{56000 + n}", "authpriv.warn")
    dropbear(1530 + n * 40, 3100 + n, f"Exit before auth from <192.0.2.77:{56000 + n}>: Max auth tries reached - user 'is invalid'")
#    2001:db8:bad::9: 5 connections x (3 bad passwords + max tries) -> bad_password fires 3 times,
#    exit_before_auth once.
for n in range(5):
    for k in range(3):
        dropbear(1800 + n * 60 + k * 5, 3200 + n, f"Bad password attempt for 'root' from 2001:db8:bad::9:{57000 + n}", "authpriv.warn")
    dropbear(1816 + n * 60, 3200 + n, f"Exit before auth from <2001:db8:bad::9:{57000 + n}>: (user 'root', 3 fails): Max auth tries reached - user 'root'")
#    Legitimate disconnects before auth (client cancelled, port check): not counted.
for n in range(6):
    dropbear(2200 + n * 30, 3300 + n, f"Exit before auth from <192.168.1.50:{58000 + n}>: Exited normally")
    dropbear(2210 + n * 30, 3400 + n, f"Exit before auth from <192.168.1.51:{58100 + n}>: (user 'root', 1 fails): Exited normally")
# H. injection attempts: the real peer is at the end, the fake one inside a name.
for n in range(5):
    dropbear(2500 + n * 10, 3500, f"Bad password attempt for 'x' from 203.0.113.9:22' from 192.0.2.200:{59000 + n}", "authpriv.warn")
    dropbear(2501 + n * 10, 3501, f"Login attempt for nonexistent user 'a from 203.0.113.9:22' from 192.0.2.201:{59100 + n}", "authpriv.warn")
    # another daemon quoting dropbear's wording (e.g. a URL): must not count (program filter).
    log(2502 + n * 10, "daemon.err", "uhttpd[2100]", f"GET /cgi-bin/dropbear[1]: Bad password attempt for 'root' from 203.0.113.9:22")
# K. successful logins and notices.
dropbear(2700, 3600, "Child connection from 192.168.1.10:60001")
dropbear(2701, 3600, "Password auth succeeded for 'root' from 192.168.1.10:60001", "authpriv.notice")
dropbear(2702, 3601, "Pubkey auth succeeded for 'root' with ssh-ed25519 key SHA256:Hq3SSTZ2pS9Dnk8V3wq9tZ7+uVv2e3E6vCzv8oN9y6k from fd00::10:60002", "authpriv.notice")
dropbear(3500, 3600, "Exit (root) from <192.168.1.10:60001>: Disconnect received")
dropbear(5, 1650, "Running in background")

# -- LuCI (uhttpd) --------------------------------------------------------------------------------
# J. 192.0.2.50: 5 failures, ucode dispatcher with "[info] " -> fires once.
for n in range(5):
    log(800 + n * 15, "daemon.err", "uhttpd[2100]", f"[info] luci: failed login on / for root from 192.0.2.50")
#    2001:db8:8::50: 5 failures, Lua dispatcher without prefix -> fires once.
for n in range(5):
    log(900 + n * 15, "daemon.err", "uhttpd[2100]", f"luci: failed login on /admin/status for admin from 2001:db8:8::50")
#    The admin mistypes twice, then logs in: no firing.
log(2650, "daemon.err", "uhttpd[2100]", "[info] luci: failed login on / for root from 192.168.1.10")
log(2660, "daemon.err", "uhttpd[2100]", "[info] luci: failed login on / for root from 192.168.1.10")
log(2670, "daemon.err", "uhttpd[2100]", "[info] luci: accepted login on / for root from 192.168.1.10")
#    Injection: the fake address becomes part of a non-address capture and is never banned.
for n in range(5):
    log(2800 + n * 10, "daemon.err", "uhttpd[2100]", f"[info] luci: failed login on / for root from 203.0.113.9 from 192.0.2.202")

# -- FreeSWITCH -----------------------------------------------------------------------------------
for n in range(5):
    log(1000 + n * 40, "local0.warn", "freeswitch[2500]", f"[WARNING] sofia_reg.c:1843 SIP auth challenge (REGISTER) on sofia profile 'internal' for [100{n}@pbx.example.net] from ip 198.51.100.20")
    log(1001 + n * 40, "local0.warn", "freeswitch[2500]", f"[WARNING] sofia_reg.c:3018 SIP auth failure (REGISTER) on sofia profile 'internal' for [100{n}@pbx.example.net] from ip 198.51.100.20")
    log(1400 + n * 40, "local0.warn", "freeswitch[2500]", f"[WARNING] sofia_reg.c:3018 SIP auth failure (INVITE) on sofia profile 'external' for [0044123456{n}@pbx.example.net] from ip 2001:db8:5::20")
    log(2900 + n * 10, "local0.warn", "freeswitch[2500]", f"[WARNING] sofia_reg.c:3018 SIP auth failure (REGISTER) on sofia profile 'internal' for [1000@x] from ip 203.0.113.9 [y@pbx.example.net] from ip 192.0.2.204")

# -- Asterisk -------------------------------------------------------------------------------------
ast = "asterisk[2600]"
for n in range(5):
    log(1100 + n * 30, "local0.notice", ast, f"NOTICE[2633]: chan_sip.c:28468 in handle_request_register: Registration from '<sip:301@pbx.example.net>' failed for '198.51.100.30:{5060 + n}' - Wrong password")
    log(1150 + n * 30, "local0.notice", ast, f"NOTICE[2633]: chan_sip.c:28474 in handle_request_register: Registration from '\"100\" <sip:100@pbx.example.net>' failed for '[2001:db8:6::30]:5060' - No matching peer found")
    log(1200 + n * 30, "local0.notice", ast, f"NOTICE[2633][C-0000{n:04x}]: chan_sip.c:26689 in handle_request_invite: Call from '' (198.51.100.31:5070) to extension '00972598285{n:03d}' rejected because extension not found in context 'default'.")
    log(1250 + n * 30, "local0.notice", ast, f"NOTICE[2640]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'REGISTER' from '\"1000\" <sip:1000@pbx.example.net>' failed for '198.51.100.32:5060' (callid: 206f178f-896564cb-{n:08x}@198.51.100.32) - Failed to authenticate")
    log(1300 + n * 30, "local0.notice", ast, f"NOTICE[2640]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'INVITE' from '<sip:scanner@pbx.example.net>' failed for '[2001:db8:7::32]:5062' (callid: {n}a2b3c4d5e6) - No matching endpoint found")
    # injections through From headers
    log(3000 + n * 10, "local0.notice", ast, f"NOTICE[2633]: chan_sip.c:28468 in handle_request_register: Registration from '\"x\" <sip:1@x>' failed for '203.0.113.9:5060' - Wrong password' failed for '192.0.2.205:5060' - Wrong password")
    log(3001 + n * 10, "local0.notice", ast, f"NOTICE[2640]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'REGISTER' from '\"x' failed for '203.0.113.9:5060' (callid: a) - Failed to authenticate\" <sip:1@x>' failed for '192.0.2.206:5060' (callid: abc{n}@192.0.2.206) - Failed to authenticate")
# A successful registration: noise.
log(1260, "local0.notice", ast, "VERBOSE[2640]: res_pjsip_registrar.c:1123 in register_aor_core: Added contact 'sip:1001@192.168.1.60:5060' to AOR '1001' with expiration of 3600 seconds")

# -- OpenSSH (sshd-session, OpenSSH 9.8+) -------------------------------------------------------
sshd = "sshd-session[4100]"
for n in range(5):
    # L. 192.0.2.110: 5 wrong passwords -> sshd_failed_password fires once.
    log(600 + n * 20, "authpriv.info", sshd, f"Failed password for root from 192.0.2.110 port {42000 + n} ssh2")
    # 2001:db8:10::110: an invalid user's passwords -> sshd_failed_password fires once.
    log(610 + n * 20, "authpriv.info", sshd, f"Failed password for invalid user admin from 2001:db8:10::110 port {42100 + n} ssh2")
    # 198.51.100.111: 5 invalid users -> sshd_invalid_user fires once.
    log(1600 + n * 20, "authpriv.info", sshd, f"Invalid user oracle{n} from 198.51.100.111 port {42200 + n}")
    # 198.51.100.112: 5 connections that used up their tries -> sshd_max_auth_tries fires once.
    log(1700 + n * 20, "authpriv.err", sshd, f"error: maximum authentication attempts exceeded for root from 198.51.100.112 port {42300 + n} ssh2 [preauth]")
    # The admin's LAN PC: ignored, never fires.
    log(2300 + n * 20, "authpriv.info", sshd, f"Failed password for root from 192.168.1.10 port {42400 + n} ssh2")
    # Injection in the user name: the real peer 192.0.2.113 fires, 203.0.113.9 never.
    log(2310 + n * 20, "authpriv.info", sshd, f"Failed password for invalid user x from 203.0.113.9 port 22 ssh2 from 192.0.2.113 port {42500 + n} ssh2")
    # Older OpenSSH logs under `sshd`: another program, not counted by the shipped rules.
    log(2320 + n * 20, "authpriv.info", "sshd[4000]", f"Failed password for root from 198.51.100.114 port {42600 + n} ssh2")

# -- OpenVPN (OpenWrt tags it openvpn(<instance>)) ------------------------------------------------
ovpn = "openvpn(server)[1700]"
for n in range(5):
    # M. 198.51.100.120: 5 failed TLS handshakes -> fires once.
    log(700 + n * 30, "daemon.err", ovpn, f"198.51.100.120:{43000 + n} TLS Error: TLS handshake failed")
    # 198.51.100.121: 5 wrong user names/passwords -> fires once.
    log(710 + n * 30, "daemon.err", ovpn, f"198.51.100.121:{43100 + n} TLS Auth Error: Auth Username/Password verification failed for peer")
    # Packets without the tls-auth key, IPv4 and IPv6 -> each fires once.
    log(720 + n * 30, "daemon.err", ovpn, f"TLS Error: incoming packet authentication failed from [AF_INET]198.51.100.122:{43200 + n}")
    log(730 + n * 30, "daemon.err", ovpn, f"TLS Error: tls-crypt unwrapping failed from [AF_INET6]2001:db8:12::122:{43300 + n}")
    # IPv6 peers are prefixed without a port: no capture, never a wrong address.
    log(740 + n * 30, "daemon.err", ovpn, "2001:db8:12::123 TLS Error: TLS handshake failed")
    # Another instance's tag: not the shipped program.
    log(750 + n * 30, "daemon.err", "openvpn(client)[1701]", f"198.51.100.124:{43400 + n} TLS Error: TLS handshake failed")

# -- Asterisk, res_pjsip ACLs and dial plan, chan_sip INVITE injection ----------------------------
for n in range(5):
    acl = "Not match Endpoint ACL" if n % 2 else "Not match Endpoint Contact ACL"
    # N. 198.51.100.130: 5 ACL refusals -> fires once.
    log(1900 + n * 20, "local0.notice", ast, f"NOTICE[2640]: res_pjsip/pjsip_distributor.c:590 in log_failed_request: Request 'REGISTER' from '<sip:100@pbx.example.net>' failed for '198.51.100.130:5060' (callid: acl{n}) - {acl}")
    # 198.51.100.131 and 2001:db8:13::131: the anonymous endpoint dials 5 unknown numbers each.
    log(1910 + n * 20, "local0.notice", ast, f"NOTICE[2641][C-0000{n:04x}]: res_pjsip_session.c:3779 in new_invite: Call from 'anonymous' (UDP:198.51.100.131:5060) to extension '00972{n}' rejected because extension not found in context 'public'.")
    log(1911 + n * 20, "local0.notice", ast, f"NOTICE[2641][C-0001{n:04x}]: res_pjsip_session.c:3779 in new_invite: Call from 'anonymous' (UDP6:[2001:db8:13::131]:5060) to extension '00972{n}' rejected because extension not found in context 'public'.")
    # 198.51.100.133: unidentified requests, plain and counted wording -> fires once.
    tail = " after 5 tries in 2.040 ms" if n < 2 else ""
    log(1920 + n * 20, "local0.notice", ast, f"NOTICE[2640]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'OPTIONS' from '<sip:100@198.51.100.133>' failed for '198.51.100.133:5060' (callid: u{n}) - No matching endpoint found{tail}")
    # Injections. A quote in the Call-ID: no match (evasion).
    log(3002 + n * 10, "local0.notice", ast, f"NOTICE[2640]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'REGISTER' from '<sip:1@x>' failed for '192.0.2.207:5060' (callid: a' failed for '203.0.113.9:5060' (callid: b) - Failed to authenticate")
    # A copy of the line in the chan_sip extension: the real caller 192.0.2.208 fires.
    log(3003 + n * 10, "local0.notice", ast, f"NOTICE[2633][C-0002{n:04x}]: chan_sip.c:26689 in handle_request_invite: Call from '' (192.0.2.208:5060) to extension '1' (203.0.113.9:5060) to extension '2' rejected because extension not found in context 'default'.")

# -- ddns-scripts, miniupnpd ----------------------------------------------------------------------
log(30, "user.info", "ddns-scripts[4242]", "myddns_ipv4: Detect registered/public IP")
log(31, "user.info", "ddns-scripts[4242]", "myddns_ipv4: Registered IP '198.51.100.4' detected")
log(32, "user.info", "ddns-scripts[4242]", "myddns_ipv4: Update needed - L: '198.51.100.99' <> R: '198.51.100.4'")
log(34, "user.info", "ddns-scripts[4242]", "myddns_ipv4: Update successful - IP '198.51.100.99' send")
log(2000, "daemon.notice", "miniupnpd[1990]", "AddPortMapping: ext port 34770 to 192.168.1.17:4670 protocol TCP for: msnmsgr leaseduration=0 rhost=")
log(2000, "daemon.info", "miniupnpd[1990]", "upnp_redirect: eport=34770, iport=4670, protocol=<<TCP>>")
log(2001, "daemon.info", "miniupnpd[1990]", "redirecting port 34770 to 192.168.1.17:4670 protocol TCP for: msnmsgr")
log(2100, "daemon.notice", "miniupnpd[1990]", "AddPortMapping: ext port 3074 to 192.168.1.23:3074 protocol UDP for: Xbox 3074 leaseduration=7200 rhost=")
log(3400, "daemon.notice", "miniupnpd[1990]", "DeletePortMapping: external port: 34770, protocol: TCP")

lines.sort(key=lambda l: l[0])
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "router.log"), "w") as f, open(os.path.join(here, "router.frames"), "w") as g:
    for t, prio, tag, msg in lines:
        tm = time.gmtime(t)
        fac, sev = prio.split(".")
        f.write(time.strftime("%a %b %e %H:%M:%S %Y", tm) + f" {prio} {tag}: {msg}\n")
        g.write(f"<{FAC[fac] * 8 + SEV[sev]}>" + time.strftime("%b %e %H:%M:%S", tm) + f" {tag}: {msg}\n")
