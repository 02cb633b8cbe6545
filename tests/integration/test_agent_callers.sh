#!/usr/bin/env bash
# Root agent, issue 19: the SHIPPED [callers] rules tell engine, provisioner and wizard
# apart.  The test host has no blockhost-engine/-prov/-wizard accounts, so each
# user:blockhost-X principal of the shipped policy becomes uid:N of a stand-in uid (all
# three members of the socket's group, as in production): every action called by a
# caller outside its list is refused with an error naming the rule (file:line and the
# line itself); a caller inside it passes the gate (the request then fails on its
# params, so no firewall rule, address book or domain is touched).  Also: an action
# signed "run_as": "libvirt" runs as the [libvirt] user of the policy, with its
# supplementary groups and no capability; with no such user it is refused naming it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helpers/agent_lib.sh"

ENG=4301 PROV=4302 WIZ=4303 OTHER=4304
AGID=$(getent group "$AGENT_GROUP" | cut -d: -f3)
POL="$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy"
# the shipped [callers] section again (bh_agent_policy mapped its users to the group)
cp "$TOP/policy/blockhost-root-agent.policy" "$POL"
sed -i -e "s/^group = blockhost\$/group = $AGENT_GROUP/" \
	-e "s/user:blockhost-engine\b/uid:$ENG/g" -e "s/user:blockhost-prov\b/uid:$PROV/g" \
	-e "s/user:blockhost-wizard\b/uid:$WIZ/g" "$POL"
bh_agent_libvirt_user daemon daemon "$AGENT_GROUP"
grep -q 'user:blockhost' "$POL" && fail "unmapped principal left: $(grep -n 'user:blockhost' "$POL")"

# the shipped plugins whose rules are checked, signed by the build's test key
cp "$BUILD"/agent-test-key/pub/*.pub "$KEYS/"
for f in "$BUILD"/agent-actions/{iptables-open,iptables-close,addressbook-save,ip6-route-add} \
	"$BUILD"/prov-actions/domain-{guest-exec,define,start,destroy}; do
	[ -f "$f.sig" ] || fail "build first: $f.sig missing"
	install -m 0755 "$f" "$ACT/"; install -m 0644 "$f.manifest" "$f.sig" "$ACT/"
done
# a test plugin signed "run_as": "libvirt" that reports its identity
echo "libvirt-echo = user:root, uid:$PROV" >> "$POL"
install -m 0755 "$TESTPLUGIN" "$ACT/libvirt-echo"
write_manifest libvirt-echo 1 '[]' '{"mode":{"type":"string","pattern":"^[a-z]+$"}}' 5000 65536 ',"run_as":"libvirt"'
sign_action libvirt-echo
start_agent
grep -q "\"run_as\": \"libvirt\" as daemon (1:1, 1 supplementary groups)" "$T/agent.log" ||
	fail "start-up line does not name the libvirt user: $(grep listening "$T/agent.log")"

as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --groups="$AGID" $CALL "$SOCK" "$@"; }
# refused UID ACTION PARAMS: "permission denied: <policy>:<line>: [callers] ACTION = <the rule>"
refused() {
	local out rule; out=$(as "$1" "$2" "$3")
	rule=$(grep -m1 "^$2 = " "$POL")
	case $out in *"permission denied: "*"blockhost-root-agent.policy:"[0-9]*": [callers] $rule (uid $1 gid $1 is none of them)"*) ;;
		*) fail "uid $1 calling $2: expected a refusal naming '[callers] $rule', got $out" ;; esac
}
# passes UID ACTION PARAMS EXPECTED: the gate lets it through; the reply is EXPECTED
passes() {
	local out; out=$(as "$1" "$2" "$3")
	case $out in *"permission denied"*) fail "uid $1 calling $2 refused by [callers]: $out" ;;
		*"$4"*) ;; *) fail "uid $1 calling $2: expected '$4', got $out" ;; esac
}

# nobody but the provisioner (and root) may guest-exec, define or start a domain: not the
# engine, not the wizard, not another member of the socket's group
for a in domain-guest-exec domain-define domain-start domain-destroy ip6-route-add; do
	for u in $ENG $WIZ $OTHER; do refused $u $a '{"name":"../x"}'; done
	passes $PROV $a '{"name":"../x"}' "param 'name'"
done
# a path param is resolved (realpath) by the handler's checker under its filter
passes $PROV domain-define '{"name":"bh-x","vcpus":1,"memory_mb":128,"disk_gb":1,"seed":"/var/lib/blockhost/nosuch.iso"}' \
	"param 'seed': cannot resolve path"
ok "domain-*, ip6-route-add: engine, wizard and other group members refused naming the rule; the provisioner passes"
# the firewall and the address book: engine and wizard, not the provisioner
for a in iptables-open iptables-close; do
	for u in $PROV $OTHER; do refused $u $a '{"port":0}'; done
	for u in $ENG $WIZ; do passes $u $a '{"port":0}' "param 'port'"; done
done
for u in $PROV $OTHER; do refused $u addressbook-save '{"entries":[]}'; done
for u in $ENG $WIZ; do passes $u addressbook-save '{"entries":[]}' "param 'entries'"; done
ok "iptables-*, addressbook-save: the provisioner and others refused naming the rule; engine and wizard pass"
grep -q "\[callers\] domain-guest-exec = user:root, uid:$PROV" "$T/agent.log" ||
	fail "refusal not logged with the rule: $(tail -3 "$T/agent.log")"

# run_as "libvirt": the [libvirt] user (daemon here), its group and supplementary groups,
# no capability at all, securebits locked; never uid 0
out=$(as $PROV libvirt-echo '{}')
for f in '"uid":1' '"gid":1' '"capeff":"0000000000000000"' '"capprm":"0000000000000000"' \
	 '"capamb":"0000000000000000"' '"capbnd":"0000000000000000"' '"secbits":47' \
	 "\"groups\":[1,$AGID]"; do
	case $out in *"$f"*) ;; *) fail "run_as libvirt: no $f in $out" ;; esac
done
ok "run_as libvirt: runs as the [libvirt] user with its groups and no capability ($out)"
# ... and its /proc/<pid>/status is the policy's [libvirt] section (caps none, no_new_privs,
# no filter of its own), while it runs
as $PROV libvirt-echo '{"mode":"sleep"}' > "$T/sleep.out" &
caller=$!
plug=
for _ in $(seq 100); do
	hs=$(pgrep -d, -P "$AGENT_PID" || true)
	[ -n "$hs" ] && plug=$(pgrep -u 1 -P "$hs" | head -1 || true)
	[ -n "$plug" ] && break; sleep 0.05
done
[ -n "$plug" ] || fail "the run_as libvirt plugin process was not found"
# the connection handler's checker waits meanwhile: root, no capabilities, its own filter
chk=$(pgrep -u 0 -P "$hs" | head -1 || true)
[ -n "$chk" ] || fail "the connection handler's checker was not found"
/usr/bin/python3 "$TOP/tests/helpers/proc_policy.py" "$chk" "$BLOCKHOST_POLICY_DIR/blockhost-root-agent-handler.policy" --seccomp 2 ||
	fail "/proc/$chk/status differs from blockhost-root-agent-handler.policy"
/usr/bin/python3 "$TOP/tests/helpers/proc_policy.py" "$plug" "$POL" --section libvirt --seccomp 0 ||
	fail "/proc/$plug/status differs from [libvirt] of $POL"
wait "$caller" || true
grepq 'timed out' "$T/sleep.out" || fail "sleeping plugin: $(cat "$T/sleep.out")"
ok "/proc/<pid>/status of a run_as libvirt plugin = the policy's [libvirt]; of the handler's checker = blockhost-root-agent-handler.policy + its filter"
# a domain-* plugin checks it is not root and is the session's owner
out=$(as $PROV domain-start '{"name":"bh-x"}')
case $out in *'"ok": false'*|*'"ok":false'*) ;; *) fail "domain-start without libvirt.json: $out" ;; esac
# no such user on the host: the agent serves the rest, refuses these naming it
stop_agent
bh_agent_libvirt_user blockhost-no-such-user blockhost-no-such-user
start_agent
grep -q '\[libvirt\] user blockhost-no-such-user / group blockhost-no-such-user does not exist' "$T/agent.log" ||
	fail "missing libvirt user not logged: $(cat "$T/agent.log")"
out=$(as $PROV libvirt-echo '{}')
case $out in *'"run_as": "libvirt" but the agent has no libvirt user'*|*'\"run_as\": \"libvirt\" but the agent has no libvirt user'*) ;;
	*) fail "run_as libvirt without the user: $out" ;; esac
ok "run_as libvirt without a [libvirt] user on the host: refused, naming it"
