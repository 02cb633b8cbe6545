// Load generator for bench/bench_signup.sh: CONC keep-alive clients POSTing one JSON-RPC call
// (eth_blockNumber) for SECS seconds to URL (https with the test CA, or plain http), counts
// the answers that carry a result.  Prints "<answers> <seconds>".
"use strict";
const [url, secs, conc, caFile] = process.argv.slice(2);
const u = new URL(url);
const mod = require(u.protocol === "https:" ? "https" : "http");
const opts = { keepAlive: true, maxSockets: Number(conc) };
if (caFile) opts.ca = require("fs").readFileSync(caFile);
const agent = new mod.Agent(opts);
const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] });
const end = Date.now() + Number(secs) * 1000;
let ok = 0, bad = 0;
const t0 = process.hrtime.bigint();
function one(done) {
	const req = mod.request(u, { method: "POST", agent, headers: { "content-type": "application/json",
		"content-length": Buffer.byteLength(body) } }, (res) => {
		let s = "";
		res.on("data", (d) => (s += d)).on("end", () => {
			try { if (JSON.parse(s).result) ok++; else bad++; } catch { bad++; }
			Date.now() < end ? one(done) : done();
		});
	});
	req.on("error", () => { bad++; Date.now() < end ? one(done) : done(); });
	req.end(body);
}
let left = Number(conc);
for (let i = 0; i < Number(conc); i++)
	one(() => {
		if (--left) return;
		const s = Number(process.hrtime.bigint() - t0) / 1e9;
		if (bad) console.error(`${bad} requests failed or had no result`);
		console.log(`${ok} ${s.toFixed(3)}`);
		agent.destroy();
	});
