#!/usr/bin/env python3
# Differential oracle (tests/run-fuzz-oracle.sh): fuzz/corpus/pam_config through python3's
# tomllib (a full TOML 1.0 parser) and through pw3_config_parse (fuzz/oracle_pam_config.c,
# its output on stdin).  Our parser reads a strict subset, so where it accepts, tomllib
# must accept too and read the same values (absent keys: our defaults); where we refuse
# and TOML accepts (unknown keys, other value forms, ranges), ours is stricter: counted.
import json, sys, tomllib
DEFAULTS = {'otp_length': 6, 'otp_ttl_seconds': 90, 'use_tls': True, 'callback_enabled': True,
            'callback_grace_seconds': 10, 'signing_url': ''}
bad = n = stricter = 0
for line in sys.stdin.read().splitlines():
    f = line.split('\t')
    base = f[0].rsplit('/', 1)[-1]
    n += 1
    try:
        doc = tomllib.loads(open(f[0], 'rb').read().decode('utf-8'))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        doc, why = None, str(e)
    if f[1] == 'reject':
        stricter += doc is not None
        continue
    if doc is None:
        bad += 1
        print(f'DIFF {base}: ours accepts, tomllib refuses ({why})')
        continue
    ours = json.loads(f[2])
    m, a = doc.get('machine', {}), doc.get('auth', {})
    theirs = {'id': m.get('id'), 'secret_key': str(m.get('secret_key', '')).lower().removeprefix('0x')}
    for k, d in DEFAULTS.items():
        theirs[k] = a.get(k, d)
    mine = dict(ours, secret_key=ours['secret_key'].lower())
    if mine != theirs:
        bad += 1
        print(f'DIFF {base}: values differ\n  ours    {mine}\n  tomllib {theirs}')
print(f'oracle-toml: {n} inputs, {bad} differences, {stricter} refused by us only')
sys.exit(1 if bad else 0)
