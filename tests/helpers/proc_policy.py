#!/usr/bin/env python3
# proc_policy.py PID POLICY_FILE [--section identity|reader|libvirt] [--seccomp 0|2]
# Compare a running process's /proc/PID/status with a policy file (issue 19): uid, gid
# and supplementary groups with [identity] (or the root agent's [reader] or [libvirt],
# which keep no capabilities), CapEff/CapPrm/CapInh/CapAmb with [capabilities] keep, NoNewPrivs 1,
# Seccomp (2 = filter; 0 for the agent's monitor).  Prints each mismatch; exit 1 if any.
import grp, pwd, re, sys

def caps_by_name():
    m = {}
    for line in open("/usr/include/linux/capability.h"):
        x = re.match(r"#define (CAP_[A-Z_]+)\s+(\d+)\s*$", line)
        if x:
            m[x.group(1)] = int(x.group(2))
    return m

def policy(path):
    secs, cur = {}, None
    for raw in open(path):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            cur = secs.setdefault(line.strip("[]"), {})
        elif "=" in line and cur is not None:
            k, v = line.split("=", 1)
            cur.setdefault(k.strip(), v.strip())
    return secs

def main():
    pid, pfile = sys.argv[1], sys.argv[2]
    section, seccomp = "identity", "2"
    a = sys.argv[3:]
    while a:
        if a[0] == "--section":
            section = a[1]; a = a[2:]
        elif a[0] == "--seccomp":
            seccomp = a[1]; a = a[2:]
        else:
            sys.exit("unknown argument " + a[0])
    p = policy(pfile)
    ident = p[section]
    uid = pwd.getpwnam(ident["user"]).pw_uid
    gid = grp.getgrnam(ident["group"]).gr_gid
    supp = {grp.getgrnam(g.strip()).gr_gid for g in ident.get("supplementary_groups", "").split(",") if g.strip()}
    want_caps = 0
    if section == "identity":
        names = caps_by_name()
        for c in p["capabilities"].get("keep", "").split(","):
            if c.strip():
                want_caps |= 1 << names[c.strip()]
    st = {}
    for line in open("/proc/%s/status" % pid):
        k, v = line.split(":", 1)
        st[k] = v.split()
    bad = []
    if [int(x) for x in st["Uid"]][:3] != [uid] * 3:
        bad.append("Uid %s, policy %d" % (st["Uid"], uid))
    if [int(x) for x in st["Gid"]][:3] != [gid] * 3:
        bad.append("Gid %s, policy %d" % (st["Gid"], gid))
    groups = {int(x) for x in st.get("Groups", [])} - {gid}
    if groups != supp - {gid}:
        bad.append("Groups %s, policy %s" % (sorted(groups), sorted(supp)))
    for k in ("CapEff", "CapPrm"):
        if int(st[k][0], 16) != want_caps:
            bad.append("%s %s, policy %016x" % (k, st[k][0], want_caps))
    for k in ("CapInh", "CapAmb"):
        if int(st[k][0], 16) != 0:
            bad.append("%s %s, want 0" % (k, st[k][0]))
    if st["NoNewPrivs"][0] != "1":
        bad.append("NoNewPrivs %s" % st["NoNewPrivs"][0])
    if st["Seccomp"][0] != seccomp:
        bad.append("Seccomp %s, want %s" % (st["Seccomp"][0], seccomp))
    for b in bad:
        print("pid %s vs %s [%s]: %s" % (pid, pfile, section, b))
    sys.exit(1 if bad else 0)

main()
