#!/usr/bin/env python3
"""Regenerate fuzz/<name>.dict (libFuzzer dictionary format).

Tokens = the keys found in the target's seed corpus (JSON "key": and TOML key =/[section])
+ the short identifier-like string literals of the parser's sources + per-format tokens
(ABI types, RLP prefixes, HTTP routes).  Run from the top directory: fuzz/gen-dicts.py
"""
import os, re, glob

JSON = ['{', '}', '[', ']', ':', ',', '"', 'true', 'false', 'null', '\\u0000', '\\"',
        '0x', '-0', '1e309', '18446744073709551616', '\\ud800']
TOML = ['[', ']', '=', '"', "'", '"""', '#', '\n', 'true', 'false', '\\u0000', '\r\n']
ABI = ['uint256', 'uint8', 'uint', 'int256', 'int8', 'int', 'address', 'bool', 'bytes',
       'bytes1', 'bytes32', 'string', 'function', 'tuple', '(', ')', '[]', '[2]', ',',
       '[0]', '[65536]', 'uint257', 'bytes33', 'fixed128x18', 'transfer(address,uint256)',
       '\x00\x00\x00\x20', '\xff\xff\xff\xff']
RLP = ['\x80', '\x81', '\xb7', '\xb8', '\xb9', '\xba', '\xbf', '\xc0', '\xc1', '\xf7',
       '\xf8', '\xf9', '\xfa', '\xff', '\xb8\x38', '\xf8\x38', '\xb9\x04\x00', '\x01', '\x02',
       '\x88\xff\xff\xff\xff\xff\xff\xff\xff', '\x94']
TX_JSON = ['"chainId"', '"nonce"', '"gas"', '"gasPrice"', '"maxFeePerGas"',
           '"maxPriorityFeePerGas"', '"to"', '"value"', '"data"', '"accessList"', '"type"',
           '"v"', '"r"', '"s"', '"address"', '"storageKeys"', '0xffffffffffffffff']
HTTP = ['GET ', 'POST ', 'PUT ', 'HEAD ', ' HTTP/1.1\r\n', ' HTTP/1.0\r\n', '\r\n\r\n',
        'Host: ', 'Content-Length: ', 'Content-Type: application/json\r\n',
        'Transfer-Encoding: chunked\r\n', 'Connection: close\r\n', '/auth/pending/',
        '/auth/callback/', '/engine.js', '/', '%00', '%2f', '..']

# target -> (formats, parser sources whose literals are tokens)
T = {
 'pam_config': (['toml'], ['src/pam/pw3.c']),
 'pam_message': ([], ['src/pam/pw3.c']),
 'gecos': ([], ['src/common/host/gecos.c']),
 'config': (['json'], ['src/common/host/config.c']),
 'manifest': (['json'], ['src/common/host/manifest.c']),
 'vmdb': (['json'], glob.glob('src/common/host/vmdb*.c')),
 'result': (['json'], ['src/common/host/result.c']),
 'frame': (['json'], ['src/common/core/frame.c', 'src/common/host/keystore_client.c']),
 'keystore_client': (['json'], ['src/common/host/keystore_client.c']),
 'keystore_req': (['json'], ['src/keystore/ops.c', 'src/keystore/keys.c']),
 'keystore_blob': ([], ['src/keystore/blob.c']),
 'rpc_block': (['json'], ['src/common/eth/rpc-parse.c']),
 'rpc_logs': (['json'], ['src/common/eth/rpc-parse.c']),
 'rpc_receipt': (['json'], ['src/common/eth/rpc-parse.c']),
 'rpc_reply': (['json'], ['src/common/eth/rpc-parse.c', 'src/common/eth/rpc.c']),
 'header': (['json'], ['src/common/eth/header.c', 'src/common/eth/rpc-parse.c']),
 'receipts': (['json'], ['src/common/eth/receipt.c', 'src/common/eth/proof.c', 'src/common/eth/rpc-parse.c']),
 'txs': (['json', 'tx'], ['src/common/eth/proof-tx.c', 'src/common/eth/rpc-parse.c']),
 'proof': (['json'], ['src/common/eth/proof.c', 'src/common/eth/receipt.c', 'src/common/eth/header.c', 'src/common/eth/rpc-parse.c']),
 'events': (['json', 'abi'], ['src/common/eth/events.c']),
 'engine_journal': (['json'], ['src/engine/journal.c']),
 'engine_payload': (['json'], ['src/engine/payload.c']),
 'agent_request': (['json'], ['src/agent/request.c']),
 'plugin_manifest': (['json'], ['src/agent/plugin-manifest.c']),
 'plugin_schema': (['json'], ['src/agent/plugin-params.c']),
 'abi': (['abi'], glob.glob('src/common/eth/abi-*.c')),
 'abi_call': (['abi'], glob.glob('src/common/eth/abi-*.c')),
 'rlp': (['rlp'], ['src/common/eth/rlp.c']),
 'tx': (['rlp', 'json', 'tx'], ['src/common/eth/tx.c']),
 'authsvc': (['http', 'json'], ['src/pam/auth-svc.c', 'src/pam/http.c', 'src/pam/pending.c']),
 'authsvc_mhd': (['http', 'json'], ['src/pam/auth-svc.c', 'src/pam/http.c', 'src/pam/pending.c']),
 'pending': (['json'], ['src/pam/pending.c']),
 'seccomp': ([], glob.glob('src/common/sandbox/*.c')),
 'policy': (['toml'], glob.glob('src/common/sandbox/policy*.c')),
}
FMT = {'json': JSON, 'toml': TOML, 'abi': ABI, 'rlp': RLP, 'tx': TX_JSON, 'http': HTTP}
LIT = re.compile(r'"((?:[^"\\\n]|\\.){1,48})"')
OK = re.compile(r'^[A-Za-z_/\[][A-Za-z0-9_./\[\] =-]*$')

def esc(s):
    out = ''
    for ch in s.encode('latin-1'):
        c = chr(ch)
        out += '\\' + c if c in '"\\' else (c if 32 <= ch < 127 else '\\x%02x' % ch)
    return out

for name, (fmts, srcs) in sorted(T.items()):
    if not os.path.exists('fuzz/fuzz_%s.c' % name):
        continue
    toks = set()
    for f in fmts:
        toks.update(FMT[f])
    for s in srcs:
        if not os.path.exists(s):
            continue
        for m in LIT.finditer(open(s, errors='replace').read()):
            t = m.group(1)
            if not t.endswith('.h') and not (' ' in t and len(t) > 24) and '\\' not in t and '%' not in t and OK.match(t) and len(t) >= 2:
                toks.add(t)
                if 'json' in fmts and re.match(r'^[a-z_][a-z0-9_]*$', t):
                    toks.add('"%s":' % t)
    for p in glob.glob('fuzz/corpus/%s/*' % name):
        b = open(p, 'rb').read(65536).decode('latin-1')
        toks.update('"%s":' % k for k in re.findall(r'"([A-Za-z_][A-Za-z0-9_]{0,40})"\s*:', b))
        if 'toml' in fmts:
            toks.update(re.findall(r'(?m)^\s*(\[[A-Za-z0-9_.]{1,40}\])', b))
            toks.update(k + ' = ' for k in re.findall(r'(?m)^\s*([A-Za-z_][A-Za-z0-9_]{0,40})\s*=', b))
    with open('fuzz/%s.dict' % name, 'w') as o:
        o.write('# fuzz/%s.dict: generated by fuzz/gen-dicts.py\n' % name)
        for t in sorted(toks):
            o.write('"%s"\n' % esc(t))
    print(name, len(toks))
