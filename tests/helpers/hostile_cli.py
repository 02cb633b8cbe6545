#!/usr/bin/env python3
"""Run a table of hostile command-line cases against a real program.

usage: hostile_cli.py TABLE [--var NAME=VALUE ...] [--min-rows N] -- PREFIX...

TABLE (tests/hostile_*.tsv): one case per line, tab-separated:
    argv<TAB>exit<TAB>expected<TAB>what
  argv      a JSON array of strings appended to PREFIX (the program, maybe behind
            setpriv/env); tokens inside the strings are expanded (below)
  exit      the expected exit status (a number)
  expected  a substring of stderr ("out:" prefix: of stdout; "-": nothing checked but
            the exit status); the clear error text the program prints
  what      what the case is
  Lines starting with # and empty lines are skipped.  A row whose `what` starts with
  "KNOWN:" documents a known issue: its result is printed but never fails the run.
Tokens: {NAME} from --var NAME=VALUE; {A*N} N letters a; {NUL} is refused by the
kernel in argv, so there is none.

Every case must exit with `exit` within 20 s, print `expected`, and never die by a signal
or print a sanitizer report; the last line is "hostile: N rows, N passed, N failed,
N known".  Exit status 0 when nothing failed and the table has at least --min-rows rows.
"""
import json
import re
import subprocess
import sys

TIMEOUT = 20


def expand(s, var):
    s = re.sub(r"\{([^{}*]{1,2})\*(\d+)\}", lambda m: m.group(1) * int(m.group(2)), s)
    for k, v in var.items():
        s = s.replace("{" + k + "}", v)
    return s


def main():
    a = sys.argv[1:]
    if "--" not in a or not a:
        print(__doc__, file=sys.stderr)
        return 2
    i = a.index("--")
    opts, prefix = a[:i], a[i + 1:]
    table = opts.pop(0)
    var, min_rows = {}, 50
    while opts:
        o = opts.pop(0)
        if o == "--var":
            k, _, v = opts.pop(0).partition("=")
            var[k] = v
        elif o == "--min-rows":
            min_rows = int(opts.pop(0))
        else:
            print("unknown option " + o, file=sys.stderr)
            return 2
    rows = passed = failed = known = 0
    with open(table, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for ln, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 4:
            print("FAIL %s:%d: %d columns, want 4" % (table, ln, len(cols)))
            failed += 1
            continue
        rows += 1
        argv_s, want_rc, want, what = cols
        try:
            argv = [expand(x, var) for x in json.loads(argv_s)]
            want_rc = int(want_rc)
        except (ValueError, TypeError) as e:
            print("FAIL %s:%d: bad row: %s" % (table, ln, e))
            failed += 1
            continue
        is_known = what.startswith("KNOWN:")
        why = []
        try:
            p = subprocess.run(prefix + argv, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=TIMEOUT)
            rc, out, err = p.returncode, p.stdout.decode(errors="replace"), \
                p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired:
            rc, out, err = None, "", ""
            why.append("hung (no exit within %d s)" % TIMEOUT)
        if rc is not None:
            if rc < 0:
                why.append("killed by signal %d" % -rc)
            elif rc != want_rc:
                why.append("exit %d, want %d" % (rc, want_rc))
            if "Sanitizer" in err or "runtime error:" in err:
                why.append("sanitizer report")
            if want != "-":
                stream, text = (out, want[4:]) if want.startswith("out:") else (err, want)
                if expand(text, var) not in stream:
                    why.append("%s lacks %r" % ("stdout" if stream is out else "stderr", text))
        shown = " ".join(argv)
        if len(shown) > 100:
            shown = shown[:97] + "..."
        if not why:
            passed += 1
            print("ok %d %s: %s" % (ln, what, shown))
        elif is_known:
            known += 1
            print("known %d %s: %s (%s)" % (ln, what, shown, "; ".join(why)))
        else:
            failed += 1
            print("FAIL %s:%d %s: %s: %s\n    stderr: %s\n    stdout: %s" % (
                table, ln, what, shown, "; ".join(why), err.strip()[-400:],
                out.strip()[-200:]))
    print("hostile: %d rows, %d passed, %d failed, %d known" % (rows, passed, failed, known))
    if rows < min_rows:
        print("FAIL %s: %d rows, at least %d wanted" % (table, rows, min_rows))
        return 1
    return 1 if failed else 0


sys.exit(main())
