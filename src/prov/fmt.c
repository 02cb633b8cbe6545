/* SPDX-License-Identifier: MIT */
/* State mapping, list/metrics/result output and the metrics sample cache (prov.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/frame.h"
#include "prov.h"
#include "host/result.h"

/* virDomainState values (libvirt-domain.h); kept numeric so this file needs no libvirt. */
enum {
	ST_NOSTATE = 0, ST_RUNNING = 1, ST_BLOCKED = 2, ST_PAUSED = 3, ST_SHUTDOWN = 4,
	ST_SHUTOFF = 5, ST_CRASHED = 6, ST_PMSUSPENDED = 7,
};

const char *prov_status_from_state(int state)
{
	switch (state) {
	case ST_RUNNING: case ST_BLOCKED: case ST_SHUTDOWN:
		return "active";
	case ST_PAUSED: case ST_SHUTOFF: case ST_CRASHED: case ST_PMSUSPENDED:
		return "suspended";
	default:
		return "unknown";
	}
}

const char *prov_metrics_state(int state)
{
	switch (state) {
	case ST_RUNNING: case ST_BLOCKED: case ST_SHUTDOWN:
		return "running";
	case ST_PAUSED: case ST_PMSUSPENDED:
		return "paused";
	case ST_SHUTOFF: case ST_CRASHED:
		return "stopped";
	default:
		return "unknown";
	}
}

/* Strings from vms.json are validated by vmdb, but keep TSV rows one line each. */
static void put_field(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc((*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s, f);
}

int prov_format_list(const json_t *records, const json_t *live, bool json, char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *arr = json ? json_array() : NULL;
	size_t i;
	const json_t *rec;
	int r = -ENOMEM;

	if (!f || (json && !arr))
		goto out;
	if (!json)
		fputs("NAME\tSTATUS\tIP\tCREATED\n", f);
	json_array_foreach(records, i, rec) {
		const char *name = json_string_value(json_object_get(rec, "vm_name"));
		const char *st = json_string_value(json_object_get(rec, "status"));
		const char *ip = json_string_value(json_object_get(rec, "ip_address"));
		const char *created = json_string_value(json_object_get(rec, "created_at"));
		char day[11] = "";
		if (!name)
			continue;
		if (live) {
			const char *l = json_string_value(json_object_get(live, name));
			st = l ? l : "destroyed";
		}
		if (!st)
			st = "unknown";
		if (created && strlen(created) >= 10) {
			memcpy(day, created, 10);
			day[10] = '\0';
		}
		if (json) {
			if (json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}", "name", name,
								 "status", st, "ip", ip ? ip : "",
								 "created", day)) < 0)
				goto out;
		} else {
			put_field(f, name);
			fputc('\t', f);
			put_field(f, st);
			fputc('\t', f);
			put_field(f, ip ? ip : "");
			fputc('\t', f);
			put_field(f, day);
			fputc('\n', f);
		}
	}
	if (json) {
		char *s = json_dumps(arr, JSON_COMPACT);
		if (!s)
			goto out;
		fprintf(f, "%s\n", s);
		free(s);
	}
	if (fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	*ret = buf;
	buf = NULL;
	r = 0;
out:
	if (f)
		fclose(f);
	free(buf);
	json_decref(arr);
	return r;
}

/* ------------------------------------------------------------ metrics */

json_t *prov_sample_to_json(const struct prov_sample *s)
{
	return json_pack("{s:I,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}",
			 "t_ms", (json_int_t)s->t_ms, "state", s->state, "vcpus", (int)s->vcpus,
			 "cpu_time_ns", (json_int_t)s->cpu_time_ns,
			 "mem_total_kb", (json_int_t)s->mem_total_kb,
			 "mem_used_kb", (json_int_t)s->mem_used_kb,
			 "disk_total_bytes", (json_int_t)s->disk_total_bytes,
			 "rd_reqs", (json_int_t)s->rd_reqs, "wr_reqs", (json_int_t)s->wr_reqs,
			 "rd_bytes", (json_int_t)s->rd_bytes, "wr_bytes", (json_int_t)s->wr_bytes,
			 "rx_bytes", (json_int_t)s->rx_bytes, "tx_bytes", (json_int_t)s->tx_bytes,
			 "uptime_s", (json_int_t)s->uptime_s, "agent", s->agent);
}

#define SAMPLE_MAX 4096

static int get_u64(const json_t *o, const char *k, uint64_t *dst, struct bh_msg *msg)
{
	const json_t *v = json_object_get(o, k);
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		bh_msg_set(msg, "metrics sample: key '%s': expected a non-negative integer", k);
		return BH_ERR_FORMAT;
	}
	*dst = (uint64_t)json_integer_value(v);
	return 0;
}

int prov_sample_from_json(const char *data, size_t len, struct prov_sample *ret,
			  struct bh_msg *msg)
{
	struct prov_sample s;
	json_t *o = NULL;
	uint64_t t, st, vc;
	const json_t *a, *u;
	int r;

	if (len > SAMPLE_MAX) {
		bh_msg_set(msg, "metrics sample: larger than %u bytes", SAMPLE_MAX);
		return BH_ERR_LIMIT;
	}
	if ((r = bh_frame_decode_json(data, len, &o)) < 0) {
		bh_msg_set(msg, "metrics sample: %s", bh_strerror(r));
		return r;
	}
	memset(&s, 0, sizeof s);
	if ((r = get_u64(o, "t_ms", &t, msg)) < 0 || (r = get_u64(o, "state", &st, msg)) < 0 ||
	    (r = get_u64(o, "vcpus", &vc, msg)) < 0 ||
	    (r = get_u64(o, "cpu_time_ns", &s.cpu_time_ns, msg)) < 0 ||
	    (r = get_u64(o, "mem_total_kb", &s.mem_total_kb, msg)) < 0 ||
	    (r = get_u64(o, "mem_used_kb", &s.mem_used_kb, msg)) < 0 ||
	    (r = get_u64(o, "disk_total_bytes", &s.disk_total_bytes, msg)) < 0 ||
	    (r = get_u64(o, "rd_reqs", &s.rd_reqs, msg)) < 0 ||
	    (r = get_u64(o, "wr_reqs", &s.wr_reqs, msg)) < 0 ||
	    (r = get_u64(o, "rd_bytes", &s.rd_bytes, msg)) < 0 ||
	    (r = get_u64(o, "wr_bytes", &s.wr_bytes, msg)) < 0 ||
	    (r = get_u64(o, "rx_bytes", &s.rx_bytes, msg)) < 0 ||
	    (r = get_u64(o, "tx_bytes", &s.tx_bytes, msg)) < 0)
		goto out;
	u = json_object_get(o, "uptime_s");
	a = json_object_get(o, "agent");
	if (!json_is_integer(u) || json_integer_value(u) < -1 || !json_is_boolean(a) ||
	    st > 7 || vc > 4096) {
		bh_msg_set(msg, "metrics sample: bad uptime_s/agent/state/vcpus");
		r = BH_ERR_FORMAT;
		goto out;
	}
	s.t_ms = (int64_t)t;
	s.state = (int)st;
	s.vcpus = (unsigned)vc;
	s.uptime_s = json_integer_value(u);
	s.agent = json_is_true(a);
	*ret = s;
	r = 0;
out:
	json_decref(o);
	return r;
}

/* counter delta per second; counters that went backwards (VM restarted) give 0 */
static double rate(uint64_t cur, uint64_t prev, double secs)
{
	return cur >= prev && secs > 0 ? (double)(cur - prev) / secs : 0.0;
}

json_t *prov_metrics_json(const struct prov_sample *c, const struct prov_sample *p)
{
	double secs = 0, cpu = 0;
	bool run = strcmp(prov_metrics_state(c->state), "running") == 0;
	uint64_t used = c->mem_used_kb ? c->mem_used_kb : c->mem_total_kb;

	if (p && c->t_ms > p->t_ms)
		secs = (double)(c->t_ms - p->t_ms) / 1000.0;
	if (p && secs > 0 && c->cpu_time_ns >= p->cpu_time_ns) {
		cpu = (double)(c->cpu_time_ns - p->cpu_time_ns) / (secs * 1e9) * 100.0;
		if (cpu > 100.0 * (c->vcpus ? c->vcpus : 1))
			cpu = 100.0 * (c->vcpus ? c->vcpus : 1);
	}
	if (!p)
		p = c;
	if (!run)
		used = 0;
	return json_pack("{s:f,s:i,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:i,s:b,s:I,s:s}",
			 "cpu_percent", (double)((int64_t)(cpu * 100.0 + 0.5)) / 100.0,
			 "cpu_count", (int)c->vcpus,
			 "memory_used_mb", (json_int_t)(used / 1024),
			 "memory_total_mb", (json_int_t)(c->mem_total_kb / 1024),
			 /* filesystem usage needs the guest agent: never asked here (cheap) */
			 "disk_used_mb", (json_int_t)-1,
			 "disk_total_mb", (json_int_t)(c->disk_total_bytes / (1024 * 1024)),
			 "disk_read_iops", rate(c->rd_reqs, p->rd_reqs, secs),
			 "disk_write_iops", rate(c->wr_reqs, p->wr_reqs, secs),
			 "disk_read_bytes_sec", rate(c->rd_bytes, p->rd_bytes, secs),
			 "disk_write_bytes_sec", rate(c->wr_bytes, p->wr_bytes, secs),
			 "net_rx_bytes_sec", rate(c->rx_bytes, p->rx_bytes, secs),
			 "net_tx_bytes_sec", rate(c->tx_bytes, p->tx_bytes, secs),
			 "net_connections", -1,
			 "guest_agent_responsive", c->agent,
			 "uptime_seconds", (json_int_t)(run && c->uptime_s > 0 ? c->uptime_s : 0),
			 "state", prov_metrics_state(c->state));
}

int prov_result_line(const char *vm_name, const char *ip, const char *ipv6,
		     const char *username, unsigned ssh_port, char **ret)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:n,s:s}", "status", "ok", "vm_name", vm_name,
			      "ip", ip ? ip : "", "ipv6", ipv6 ? ipv6 : "", "vmid", vm_name,
			      "nft_token_id", "username", username);
	int r;

	if (!o)
		return -ENOMEM;
	if (ssh_port > 0 && ssh_port <= 65535 &&
	    json_object_set_new(o, "ssh_port", json_integer((json_int_t)ssh_port)) < 0) {
		json_decref(o);
		return -ENOMEM;
	}
	r = bh_result_format(o, ret, NULL);
	json_decref(o);
	return r;
}
