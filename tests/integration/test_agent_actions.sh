#!/usr/bin/env bash
# Core action plugins, signed at build time with the test key, run by the agent
# inside a network namespace this test creates: iptables-open/close (checked
# with iptables -S there), ip6-route-add/del, bridge-port-isolate, addressbook-save.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helpers/agent_lib.sh"

command -v ip > /dev/null || skip "iproute2 missing"
[ -x /usr/sbin/iptables ] || skip "iptables missing"
for a in iptables-open iptables-close ip6-route-add ip6-route-del bridge-port-isolate addressbook-save; do
	[ -f "$BUILD/agent-actions/$a.sig" ] || fail "action $a not built/signed"
	install -m 0755 "$BUILD/agent-actions/$a" "$ACT/$a"
	install -m 0644 "$BUILD/agent-actions/$a.manifest" "$BUILD/agent-actions/$a.sig" "$ACT/"
done
KEYS="$BUILD/agent-test-key/pub"
"$VERIFY" --actions-dir "$ACT" --keys-dir "$KEYS" > "$T/verify.out" || { cat "$T/verify.out"; fail "signed actions do not verify"; }
cat "$T/verify.out"
# only addressbook-save asks for uid 0; the networking actions below run as the plugin
# user (nobody here) with ambient net_admin/net_raw
[ "$(grep -c 'runs as root)' "$T/verify.out")" = 1 ] && grepq '^addressbook-save: .*runs as root)' "$T/verify.out" ||
	fail "run_as of the shipped actions"

NS="bhagent$$"
ip netns add "$NS" || skip "cannot create a network namespace"
trap 'ip netns del "$NS" 2>/dev/null; bh_cleanup' EXIT
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up
nsx ip link add br0 type bridge
nsx ip link add vnet7 type veth peer name vnet7p
nsx ip link set vnet7 master br0
for d in br0 vnet7 vnet7p; do nsx ip link set "$d" up; done

# the agent (and so its plugins) runs inside the namespace
ip netns exec "$NS" "$AGENT_BIN" --keys-dir "$KEYS" > "$T/agent.log" 2>&1 &
AGENT_PID=$!; bh_track "$AGENT_PID"
for _ in $(seq 200); do grep -q 'actions verified' "$T/agent.log" && break; sleep 0.05; done
[ -S "$SOCK" ] || { cat "$T/agent.log"; fail "agent did not start"; }
grep -q '6 actions verified' "$T/agent.log" || { cat "$T/agent.log"; fail "not all actions verified"; }

# --- iptables-open / close, with and without source
expect_ok iptables-open '{"port":2222,"proto":"tcp","comment":"knock-1"}' > /dev/null
expect_ok iptables-open '{"port":5353,"proto":"udp","comment":"vm-7","source":"192.0.2.0/24"}' > /dev/null
rules=$(nsx iptables -S INPUT)
echo "$rules"
echo "$rules" | grepq -- '-A INPUT -p tcp -m tcp --dport 2222 -m comment --comment blockhost-knock-1 -j ACCEPT' \
	|| fail "tcp rule missing"
echo "$rules" | grepq -- '-A INPUT -s 192.0.2.0/24 -p udp -m udp --dport 5353 -m comment --comment blockhost-vm-7 -j ACCEPT' \
	|| fail "udp rule with source missing"
out=$(expect_ok iptables-open '{"port":2222,"proto":"tcp","comment":"knock-1"}')
case $out in *'"added":false'*) ;; *) fail "duplicate open added a rule: $out" ;; esac
[ "$(nsx iptables -S INPUT | grep -c blockhost-knock-1)" = 1 ] || fail "duplicate rule"
ok "iptables-open adds tagged rules, honours source, is idempotent"
expect_err iptables-open '{"port":22,"comment":"x; rm -rf /"}' "param 'comment'"
expect_err iptables-open '{"port":22,"comment":"x","source":"2001:db8::1"}' "IPv6 sources"
expect_err iptables-open '{"port":22,"comment":"x","source":"300.1.1.1"}' "param 'source'"
expect_err iptables-open '{"port":22,"proto":"icmp","comment":"x"}' "param 'proto'"
expect_ok iptables-close '{"port":2222,"proto":"tcp","comment":"knock-1"}' > /dev/null
expect_ok iptables-close '{"port":5353,"proto":"udp","comment":"vm-7","source":"192.0.2.0/24"}' > /dev/null
rules=$(nsx iptables -S INPUT)
grep -q blockhost- <<< "$rules" && fail "rules left after close"
out=$(expect_ok iptables-close '{"port":2222,"proto":"tcp","comment":"knock-1"}')
case $out in *'"removed":false'*) ;; *) fail "close of a missing rule: $out" ;; esac
ok "iptables-close removes them; closing twice is harmless"
rules=$(iptables -S INPUT 2>/dev/null || true)
grep -q 'blockhost-knock-1' <<< "$rules" && fail "rule leaked into the host namespace"

# --- ip6 routes
expect_ok ip6-route-add '{"address":"2001:db8::42/128","dev":"br0"}' > /dev/null
routes=$(nsx ip -6 route show)
grep -q '^2001:db8::42 dev br0' <<< "$routes" || fail "route missing: $routes"
expect_err ip6-route-add '{"address":"2001:db8::42/64","dev":"br0"}' "param 'address'"
expect_err ip6-route-add '{"address":"2001:db8::42/128","dev":"eth0"}' "param 'dev'"
expect_err ip6-route-add '{"address":"2001:zz8::42/128","dev":"br0"}' "param 'address'"
# addresses that are never a VM's (issue 11): unspecified, loopback, multicast, link-local
expect_err ip6-route-add '{"address":"::/128","dev":"br0"}' "unspecified address"
expect_err ip6-route-add '{"address":"0:0:0:0:0:0:0:0/128","dev":"br0"}' "unspecified address"
expect_err ip6-route-add '{"address":"::1/128","dev":"br0"}' "loopback address"
expect_err ip6-route-add '{"address":"ff02::1/128","dev":"br0"}' "multicast address"
expect_err ip6-route-add '{"address":"FF05::2/128","dev":"br0"}' "multicast address"
expect_err ip6-route-add '{"address":"fe80::1/128","dev":"br0"}' "link-local address"
expect_err ip6-route-add '{"address":"febf:ffff::1/128","dev":"br0"}' "link-local address"
expect_err ip6-route-add '{"address":"::ffff:192.0.2.1/128","dev":"br0"}' "param 'address'"
expect_err ip6-route-del '{"address":"::1/128","dev":"br0"}' "loopback address"
expect_ok ip6-route-add '{"address":"fec0::1/128","dev":"br0"}' > /dev/null   # just outside fe80::/10
expect_ok ip6-route-del '{"address":"fec0::1/128","dev":"br0"}' > /dev/null
expect_ok ip6-route-del '{"address":"2001:db8::42/128","dev":"br0"}' > /dev/null
routes=$(nsx ip -6 route show)
grep -q '2001:db8::42' <<< "$routes" && fail "route not deleted"
ok "ip6-route-add/-del"

# --- bridge port isolation
expect_ok bridge-port-isolate '{"dev":"vnet7"}' > /dev/null
link=$(nsx bridge -d link show dev vnet7)
grep -q 'isolated on' <<< "$link" || fail "port not isolated: $link"
expect_err bridge-port-isolate '{"dev":"br0"}' "param 'dev'"
ok "bridge-port-isolate"

# --- addressbook-save
mkdir -p "$BLOCKHOST_ROOT/etc/blockhost"
expect_ok addressbook-save '{"entries":{"admin":{"address":"0x00000000000000000000000000000000000000aa"},
  "server":{"address":"0x00000000000000000000000000000000000000bb","keyfile":"/etc/blockhost/deployer.key"}}}' > /dev/null
AB="$BLOCKHOST_ROOT/etc/blockhost/addressbook.json"
[ "$(stat -c %a "$AB")" = 640 ] || fail "addressbook mode $(stat -c %a "$AB")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["server"]["keyfile"]=="/etc/blockhost/deployer.key" and d["admin"]=={"address":"0x00000000000000000000000000000000000000aa"}, d' "$AB" \
	|| fail "addressbook content"
expect_err addressbook-save '{"entries":{"Admin":{"address":"0x00000000000000000000000000000000000000aa"}}}' "role name"
expect_err addressbook-save '{"entries":{"hot":{"address":"0x12"}}}' "address is not a valid address"
expect_err addressbook-save '{"entries":{"hot":{"address":"0x00000000000000000000000000000000000000aa","keyfile":"/etc/passwd"}}}' "keyfile"
expect_err addressbook-save '{"entries":{"hot":{"address":"0x00000000000000000000000000000000000000aa","x":1}}}' "unknown member"
expect_err addressbook-save '{"entries":[]}' "param 'entries'"
grep -q deployer.key "$AB" || fail "a refused save changed the file"
ok "addressbook-save validates and writes atomically 0640"
for a in iptables-open iptables-close ip6-route-add ip6-route-del bridge-port-isolate; do
	grepq "$a (version [0-9]*, ran as uid 65534): ok=true" "$T/agent.log" || fail "$a did not run as the plugin user"
done
grepq "addressbook-save (version [0-9]*, ran as uid 0): ok=true" "$T/agent.log" || fail "addressbook-save uid"
ok "networking actions ran as the plugin user (ambient caps), addressbook-save as root"
