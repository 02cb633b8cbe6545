#!/usr/bin/env bash
# Escape probes (issue 19): every service's policy, identity and seccomp filter, applied as
# its daemon applies them (tests/helpers/escape_probe.c), against a dozen escape attempts.
# The expected outcome of each service x probe is tests/escape_probes.tsv: killed (the
# filter kills the process with SIGSYS), denied (the kernel refuses: the identity or the
# missing capability), allowed (it works: the service needs it, see the comment there).
# A row whose outcome differs fails the test; so does a probe or service without a row.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "escape probes need root (they switch to each service's identity)"
PROBE="$BUILD/helpers/escape_probe"
TABLE="$TOP/tests/escape_probes.tsv"
[ -x "$PROBE" ] || fail "$PROBE not built"
# the table is for production filters: a sanitizer build adds the runtime's rules
# (seccomp/sanitizer.inc: ptrace, clone, read-only openat ...), so outcomes differ there
ldd "$PROBE" | grepq libasan && skip "sanitizer build: escape probes are checked against production filters only"
chmod 0755 "$T"

# Each service under its own test user (the production users do not exist here); the root
# agent's row is its request reader: nobody, no capabilities, seccomp/blockhost-root-agent;
# blockhost-root-agent-handler is its connection handler's checker: root, no capabilities;
# blockhost-build-template is the template tool's builder half: root, no capabilities.
bh_policy_copy
bh_policy_identity blockhost-root-agent nobody nogroup
sed -i 's/^keep = .*/keep =/' "$T/policy/blockhost-root-agent.policy"
bh_policy_identity blockhost-keystore daemon daemon
bh_policy_identity blockhost-engine bin bin
bh_policy_identity blockhost-provisioner sys sys
bh_policy_identity web3-auth-svc lp lp
bh_policy_identity blockhost-wizard games games
bh_policy_identity blockhost-signup mail mail
declare -A USER=([blockhost-root-agent]=nobody [blockhost-keystore]=daemon [blockhost-engine]=bin
	[blockhost-provisioner]=sys [web3-auth-svc]=lp [blockhost-wizard]=games [blockhost-signup]=mail
	[blockhost-root-agent-handler]=root [blockhost-build-template]=root)
# the sibling whose process and 0600 file the *-sibling probes aim at: engine, provisioner
# and wizard have separate uids (policy/README.md "Users"), so each is the others' stranger
declare -A SIB=([blockhost-root-agent]=blockhost-engine [blockhost-keystore]=blockhost-engine
	[blockhost-engine]=blockhost-provisioner [blockhost-provisioner]=blockhost-engine
	[web3-auth-svc]=blockhost-wizard [blockhost-wizard]=blockhost-engine
	[blockhost-root-agent-handler]=blockhost-engine [blockhost-signup]=blockhost-engine
	[blockhost-build-template]=blockhost-engine)

# targets: a root-owned 0644 file, a world-writable dir, a 0600 file of another service
install -m 0644 /dev/null "$T/rootfile"
mkdir -m 1777 "$T/wdir" "$T/mnt"
install -m 0600 -o daemon /dev/null "$T/secret-keystore"   # the keystore's (uid daemon here)
install -m 0600 -o bin /dev/null "$T/secret-engine"        # the engine's, for the keystore row
for s in "${!USER[@]}"; do install -m 0600 -o "${USER[$s]}" /dev/null "$T/secret-$s"; done

n=0 bad=0
while IFS=$'\t' read -r svc probe want why; do
	case $svc in ''|'#'*) continue ;; esac
	u=${USER[$svc]:-}; [ -n "$u" ] || fail "$TABLE: unknown service $svc"
	case $probe in *-sibling) u=${USER[${SIB[$svc]}]} ;; esac   # the victim is the sibling's
	g=$(id -g "$u")
	# the victim: a process of the same uid (traps reset: a TERM before its exec must not
	# run this shell's cleanup in the subshell)
	( trap - TERM INT EXIT; exec setpriv --reuid="$u" --regid="$g" --clear-groups sleep 30 ) &
	victim=$!; bh_track "$victim"
	for _ in $(seq 100); do [ "$(cat /proc/$victim/comm 2>/dev/null)" = sleep ] && break; sleep 0.01; done
	case $probe in
	write-root) a=$T/rootfile ;; signal|ptrace|signal-sibling) a=$victim ;; read-sibling) a=$T/secret-${SIB[$svc]} ;; create-0644) a=$T/wdir ;;
	mount) a=$T/mnt ;; read-other) a=$T/secret-keystore; [ "$svc" = blockhost-keystore ] && a=$T/secret-engine ;;
	*) a= ;;
	esac
	rc=0; ( "$PROBE" "$svc" "$probe" $a 2> "$T/probe.err" ) 2> /dev/null || rc=$?
	case $rc in 0) got=allowed ;; 1) got=denied ;; 159) got=killed ;; *) got="error($rc): $(head -c 300 "$T/probe.err")" ;; esac
	kill -9 "$victim" 2>/dev/null || true; wait "$victim" 2>/dev/null || true   # -9: a traced victim is stopped
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok   $svc $probe: $got"
	else
		echo "FAIL $svc $probe: expected $want, got $got"; bad=$((bad + 1))
	fi
done < "$TABLE"
# every service and every probe has its rows
for s in $(grep -v '^#' "$TOP/policy/services"); do
	for p in write-root signal create-0644 exec ptrace mount netlink raw-socket mmap-exec setuid read-other \
		 signal-sibling read-sibling; do
		grep -q "^$s"$'\t'"$p"$'\t' "$TABLE" || { echo "FAIL no row for $s $p"; bad=$((bad + 1)); }
	done
done
[ $bad = 0 ] || fail "$bad of $n escape probes did not end as tests/escape_probes.tsv says"
ok "$n escape probes ended as tests/escape_probes.tsv says"
