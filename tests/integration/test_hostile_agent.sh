#!/usr/bin/env bash
# The root-agent socket's catalogue of hostile requests (tests/hostile_agent.tsv, issue 11
# item 9), against the real agent with a signed test plugin: every row gets a one-line
# reply with its clear error (or ok), no crash or hang, the agent serves after each row,
# and no plugin process, fd or temp file is left.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helpers/agent_lib.sh"

PARAMS='{"mode":{"type":"string","pattern":"^[a-z]+$","max_len":16},
 "n":{"type":"int","min":1,"max":10},"flag":{"type":"bool"},
 "tags":{"type":"string-array","max_items":3,"max_len":8},"opts":{"type":"object","max_items":2}}'
install -m 0755 "$TESTPLUGIN" "$ACT/hostile-echo"
write_manifest hostile-echo 1 '[]' "$PARAMS" 1500 65536
sign_action hostile-echo
# the agent's [callers] (issue 19): the test action may be called like the others
echo "hostile-echo = user:root, group:$AGENT_GROUP" >> "$T/policy/blockhost-root-agent.policy"
start_agent
fds0=$(ls /proc/$AGENT_PID/fd | wc -l)

python3 "$TOP/tests/helpers/agent_call.py" --table "$SOCK" "$TOP/tests/hostile_agent.tsv" ||
	{ tail -n 30 "$T/agent.log"; fail "hostile agent rows"; }
ok "every row of tests/hostile_agent.tsv answered with its clear error; agent served after each"

kill -0 "$AGENT_PID" || fail "agent died"
fds1=$(ls /proc/$AGENT_PID/fd | wc -l)
[ "$fds1" -le "$fds0" ] || fail "agent fds: $fds0 before, $fds1 after"
for _ in $(seq 50); do pgrep -P "$AGENT_PID" > /dev/null || break; sleep 0.1; done
kids=$(pgrep -P "$AGENT_PID" | xargs -r ps -o pid=,args= -p | grep -c hostile-echo || true)
[ "$kids" = 0 ] || fail "plugin processes left: $kids"
ok "agent alive, fds $fds0 -> $fds1, no plugin process left"
