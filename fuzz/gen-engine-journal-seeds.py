#!/usr/bin/env python3
# Seeds for fuzz/fuzz_engine_journal.c: the first byte picks the parser ('c' cursor, 's'
# subscription record); the layouts are those src/engine/journal.c writes (docs/engine.md).
import json, os
d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "engine_journal")
os.makedirs(d, exist_ok=True)
H = lambda c: "0x" + c * 64
A = "0x" + "ab" * 20
def put(name, kind, obj):
    with open(os.path.join(d, name), "w") as f:
        f.write(kind + (obj if isinstance(obj, str) else json.dumps(obj, indent=2)))
put("cursor", "c", {"version": 1, "chain_id": 31337, "contract": A, "block": 42,
                    "hashes": [{"n": 40, "hash": H("1")}, {"n": 42, "hash": H("2")}]})
put("cursor-empty", "c", {"version": 1, "chain_id": 1, "contract": A, "block": 0, "hashes": []})
put("cursor-bad-order", "c", {"version": 1, "chain_id": 1, "contract": A, "block": 9,
                              "hashes": [{"n": 5, "hash": H("1")}, {"n": 4, "hash": H("2")}]})
put("cursor-trunc", "c", '{"version":1,"chain_id":1,"contract":"0x')
ev = {"block": 8, "block_hash": H("3"), "tx": H("4"), "log_index": 2}
base = {"id": 1, "state": "seen", "vm": "blockhost-001", "ops": [], "attempts": 0, "event": ev,
        "subscriber": A, "plan_id": 1, "expires_at": 1800000000, "user_encrypted": "0x04" + "11" * 100}
put("seen", "s", base)
put("created", "s", dict(base, state="created", create={"host": "127.0.0.1", "port": 22001, "username": "user"}))
put("minting", "s", dict(base, state="minting", create={"host": "::1", "port": 22, "username": "user"},
                         mint={"nonce": 3, "raws": ["0x02f8" + "00" * 100]}))
put("done", "s", dict(base, state="done", token_id=0, tx=H("5"),
                      create={"host": "h", "port": 22, "username": "user"},
                      ops=[{"key": H("6") + ":" + H("7") + ":0", "kind": "extend", "expires_at": 1900000000, "done": True},
                           {"key": H("8") + ":" + H("9") + ":1", "kind": "cancel", "done": False}]))
put("failing", "s", dict(base, state="decrypted", attempts=4, last_error="provisioner create exited 1: x", next_retry=1800000100))
put("refused", "s", dict(base, state="refused", refusal="the purchase carries no payload"))
put("external", "s", {"id": 9, "state": "external", "vm": "blockhost-009", "ops": [], "attempts": 0})
put("bad-state", "s", dict(base, state="flying"))
put("bad-vm", "s", dict(base, vm="../etc"))
put("bad-unknown-key", "s", dict(base, extra=1))
put("bad-created-no-details", "s", dict(base, state="created"))
