#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Build the signup page: bundle app.js (esbuild, pinned in tests/js/package.json), give the
// script and the stylesheet content-hashed names, and write index.html from index.html.in
// with each reference's Subresource Integrity hash (sha384).
//   node build.js NODE_MODULES OUTDIR
'use strict';
const path = require('path'), fs = require('fs'), crypto = require('crypto');
const [nm, out] = process.argv.slice(2);
if (!nm || !out) { console.error('usage: build.js NODE_MODULES OUTDIR'); process.exit(2); }
const esbuild = require(path.join(path.resolve(nm), 'esbuild'));
const src = __dirname;
const r = esbuild.buildSync({
  entryPoints: [path.join(src, 'app.js')], bundle: true, minify: true, format: 'iife', target: 'es2020',
  write: false, legalComments: 'none', nodePaths: [path.resolve(nm)], logLevel: 'error',
});
const js = Buffer.from(r.outputFiles[0].contents);
const css = fs.readFileSync(path.join(src, 'signup.css'));
const h8 = (b) => crypto.createHash('sha256').update(b).digest('hex').slice(0, 16);
const sri = (b) => 'sha384-' + crypto.createHash('sha384').update(b).digest('base64');
const names = { js: `app.${h8(js)}.js`, css: `signup.${h8(css)}.css` };
const assets = path.join(out, 'assets');
fs.mkdirSync(assets, { recursive: true });
for (const f of fs.readdirSync(assets)) if (/^(app|signup)\.[0-9a-f]{16}\.(js|css)$/.test(f)) fs.unlinkSync(path.join(assets, f));
const put = (p, b) => { const t = p + '.tmp'; fs.writeFileSync(t, b, { mode: 0o644 }); fs.renameSync(t, p); };
put(path.join(assets, names.js), js);
put(path.join(assets, names.css), css);
// the un-hashed stylesheet name the server's own tests fetch (test_signup_tls.sh)
put(path.join(assets, 'signup.css'), css);
const html = fs.readFileSync(path.join(src, 'index.html.in'), 'utf8')
  .replace('@JS@', names.js).replace('@JS_SRI@', sri(js)).replace('@CSS@', names.css).replace('@CSS_SRI@', sri(css));
if (/@[A-Z_]+@/.test(html)) { console.error('build.js: an unreplaced @NAME@ in index.html.in'); process.exit(1); }
put(path.join(out, 'index.html'), html);
const gz = require('zlib').gzipSync(js, { level: 9 }).length;
console.log(`signup page: ${names.js} ${js.length} bytes (${gz} gzipped), ${names.css} ${css.length} bytes`);
