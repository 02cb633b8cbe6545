/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm-metrics NAME: the upstream fields from read-only libvirt calls only (never
 * a guest-agent command, so never blocks on the guest); rates are deltas against the
 * previous call's sample in /var/lib/blockhost/metrics/NAME.json.  Exit 1 if the VM is
 * missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "core/atomicio.h"
#include "core/buf.h"
#include "subcommands.h"

static void sample_domain(virDomainPtr d, struct prov_sample *s)
{
	virDomainInfo info;
	virDomainMemoryStatStruct ms[VIR_DOMAIN_MEMORY_STAT_NR];
	struct prov_xml_info xi;
	char *xml;
	int n;

	memset(s, 0, sizeof *s);
	s->t_ms = now_ms();
	s->uptime_s = -1;
	if (virDomainGetInfo(d, &info) == 0) {
		s->state = info.state;
		s->vcpus = info.nrVirtCpu;
		s->cpu_time_ns = info.cpuTime;
		s->mem_total_kb = info.maxMem;
	}
	if (s->state == VIR_DOMAIN_RUNNING &&
	    (n = virDomainMemoryStats(d, ms, VIR_DOMAIN_MEMORY_STAT_NR, 0)) > 0) {
		uint64_t avail = 0, unused = 0, rss = 0;
		for (int i = 0; i < n; i++) {
			if (ms[i].tag == VIR_DOMAIN_MEMORY_STAT_AVAILABLE) avail = ms[i].val;
			if (ms[i].tag == VIR_DOMAIN_MEMORY_STAT_UNUSED) unused = ms[i].val;
			if (ms[i].tag == VIR_DOMAIN_MEMORY_STAT_RSS) rss = ms[i].val;
		}
		/* guest view (balloon driver) when present, else host RSS of qemu */
		s->mem_used_kb = avail && unused <= avail ? avail - unused : rss;
		if (s->mem_used_kb > s->mem_total_kb)
			s->mem_used_kb = s->mem_total_kb;
	}
	if (!(xml = virDomainGetXMLDesc(d, 0)))
		return;
	if (prov_xml_parse_info(xml, strlen(xml), &xi, NULL) == 0) {
		s->agent = xi.agent_connected;
		for (unsigned i = 0; i < xi.n_disks; i++) {
			virDomainBlockInfo bi;
			virDomainBlockStatsStruct bs;
			if (virDomainGetBlockInfo(d, xi.disk_targets[i], &bi, 0) == 0)
				s->disk_total_bytes += bi.capacity;
			if (s->state == VIR_DOMAIN_RUNNING &&
			    virDomainBlockStats(d, xi.disk_targets[i], &bs, sizeof bs) == 0) {
				s->rd_reqs += bs.rd_req > 0 ? (uint64_t)bs.rd_req : 0;
				s->wr_reqs += bs.wr_req > 0 ? (uint64_t)bs.wr_req : 0;
				s->rd_bytes += bs.rd_bytes > 0 ? (uint64_t)bs.rd_bytes : 0;
				s->wr_bytes += bs.wr_bytes > 0 ? (uint64_t)bs.wr_bytes : 0;
			}
		}
		for (unsigned i = 0; s->state == VIR_DOMAIN_RUNNING && i < xi.n_ifaces; i++) {
			virDomainInterfaceStatsStruct is;
			if (virDomainInterfaceStats(d, xi.iface_targets[i], &is, sizeof is) == 0) {
				s->rx_bytes += is.rx_bytes > 0 ? (uint64_t)is.rx_bytes : 0;
				s->tx_bytes += is.tx_bytes > 0 ? (uint64_t)is.tx_bytes : 0;
			}
		}
	}
	free(xml);
}

static int cmd_metrics(int argc, char **argv)
{
	const char *name;
	struct ctx c;
	virDomainPtr d = NULL;
	struct prov_sample cur, prev;
	bool have_prev = false;
	char *dir = NULL, *cache = NULL, *s = NULL;
	json_t *out = NULL, *js = NULL;
	int exitc = 1, rc;

	if ((rc = one_name(&prov_cmd_metrics, argc, argv, &name)) != 0)
		return rc;
	if (ctx_init(&c, false) < 0 || !ro_conn(&c))
		goto out;
	if (!(d = virDomainLookupByName(c.ro, name))) {
		say("VM %s not found", name);
		goto out;
	}
	sample_domain(d, &cur);
	/* delta samples: the previous call's counters, cached per VM */
	if (bh_path(BH_DIR_STATE, "metrics", &dir) == 0 &&
	    asprintf(&cache, "%s/%s.json", dir, name) >= 0) {
		struct bh_buf b;
		bh_buf_init(&b, 8192);
		if (bh_file_load_safe(&b, cache) == 0 &&
		    prov_sample_from_json((const char *)bh_buf_ptr(&b), bh_buf_len(&b), &prev,
					  NULL) == 0)
			have_prev = true;
		bh_buf_done(&b);
		/* uptime: first time seen running by this cache (libvirt has no read-only API) */
		if (cur.state == VIR_DOMAIN_RUNNING) {
			int64_t since = cur.t_ms;
			if (have_prev && prev.state == VIR_DOMAIN_RUNNING && prev.uptime_s >= 0 &&
			    cur.cpu_time_ns >= prev.cpu_time_ns)
				since = prev.t_ms - prev.uptime_s * 1000;
			cur.uptime_s = (cur.t_ms - since) / 1000;
		}
		mkdir(dir, 0750);
		if ((js = prov_sample_to_json(&cur)))
			bh_atomic_write_json(cache, js, 0640);
	}
	if (!(out = prov_metrics_json(&cur, have_prev ? &prev : NULL)) ||
	    !(s = json_dumps(out, JSON_COMPACT)))
		goto out;
	printf("%s\n", s);
	exitc = 0;
out:
	if (d)
		virDomainFree(d);
	free(s); free(dir); free(cache);
	json_decref(out);
	json_decref(js);
	ctx_done(&c);
	return exitc;
}

const struct prov_cmd prov_cmd_metrics = {
	.name = "metrics", .run = cmd_metrics, .usage = "blockhost-vm-metrics <name>",
};
