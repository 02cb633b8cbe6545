/* SPDX-License-Identifier: MIT */
/*
 * domain-throttle: live resource limits (blockhost-vm-throttle).  cpu_shares →
 * scheduler cpu_shares; cpu_quota (% of one vCPU, per vCPU) → vcpu_quota/vcpu_period;
 * iops_read/iops_write → block iotune read/write_iops_sec on every disk;
 * bandwidth_in/out (kbit/s) → interface inbound/outbound average (KiB/s) on every NIC.
 * 0 = unlimited.  reset clears all first.  Reply "changes": one line per change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"

static void note(struct act_ctx *c, const char *key, long long v, const char *unit)
{
	char b[96];
	json_t *a = json_object_get(c->reply, "changes");
	snprintf(b, sizeof b, "%s=%lld%s", key, v, unit);
	json_array_append_new(a, json_string(b));
}

static int sched(struct act_ctx *c, virDomainPtr d, long long shares, long long quota)
{
	virTypedParameterPtr tp = NULL;
	int n = 0, max = 0, r = 0;

	if (shares >= 0)
		virTypedParamsAddULLong(&tp, &n, &max, VIR_DOMAIN_SCHEDULER_CPU_SHARES,
					(unsigned long long)(shares ? shares : 1024));
	if (quota >= 0) {
		virTypedParamsAddULLong(&tp, &n, &max, VIR_DOMAIN_SCHEDULER_VCPU_PERIOD, 100000);
		virTypedParamsAddLLong(&tp, &n, &max, VIR_DOMAIN_SCHEDULER_VCPU_QUOTA,
				       quota ? quota * 1000 : -1);
	}
	if (n && virDomainSetSchedulerParametersFlags(d, tp, n, VIR_DOMAIN_AFFECT_LIVE) < 0) {
		bh_msg_set(&c->msg, "cpu limits: %s", act_virt_error());
		r = BH_ERR_PEER;
	}
	virTypedParamsFree(tp, n);
	if (r == 0 && shares >= 0)
		note(c, "cpu_shares", shares, "");
	if (r == 0 && quota >= 0)
		note(c, "cpu_quota", quota, "%");
	return r;
}

static int throttle(struct act_ctx *c)
{
	bool reset = json_is_true(json_object_get(c->params, "reset"));
	long long shares = act_int(c, "cpu_shares", reset ? 0 : -1);
	long long quota = act_int(c, "cpu_quota", reset ? 0 : -1);
	long long ir = act_int(c, "iops_read", reset ? 0 : -1);
	long long iw = act_int(c, "iops_write", reset ? 0 : -1);
	long long bi = act_int(c, "bandwidth_in", reset ? 0 : -1);
	long long bo = act_int(c, "bandwidth_out", reset ? 0 : -1);
	struct prov_xml_info xi;
	virDomainPtr d;
	char *xml;
	int r;

	if (!(d = act_domain(c)))
		return BH_ERR_NOT_FOUND;
	json_object_set_new(c->reply, "changes", json_array());
	if (virDomainIsActive(d) != 1) {
		bh_msg_set(&c->msg, "domain is not running (limits are applied live)");
		r = BH_ERR_STATE;
		goto out;
	}
	if ((r = sched(c, d, shares, quota)) < 0)
		goto out;
	if (!(xml = virDomainGetXMLDesc(d, 0))) {
		bh_msg_set(&c->msg, "domain XML: %s", act_virt_error());
		r = BH_ERR_PEER;
		goto out;
	}
	r = prov_xml_parse_info(xml, strlen(xml), &xi, &c->msg);
	free(xml);
	if (r < 0)
		goto out;
	for (unsigned i = 0; (ir >= 0 || iw >= 0) && i < xi.n_disks; i++) {
		virTypedParameterPtr tp = NULL;
		int n = 0, max = 0;
		if (ir >= 0)
			virTypedParamsAddULLong(&tp, &n, &max, VIR_DOMAIN_BLOCK_IOTUNE_READ_IOPS_SEC,
						(unsigned long long)ir);
		if (iw >= 0)
			virTypedParamsAddULLong(&tp, &n, &max, VIR_DOMAIN_BLOCK_IOTUNE_WRITE_IOPS_SEC,
						(unsigned long long)iw);
		r = virDomainSetBlockIoTune(d, xi.disk_targets[i], tp, n, VIR_DOMAIN_AFFECT_LIVE);
		virTypedParamsFree(tp, n);
		if (r < 0) {
			bh_msg_set(&c->msg, "iops on %s: %s", xi.disk_targets[i], act_virt_error());
			r = BH_ERR_PEER;
			goto out;
		}
	}
	if (ir >= 0)
		note(c, "iops_read", ir, "");
	if (iw >= 0)
		note(c, "iops_write", iw, "");
	for (unsigned i = 0; (bi >= 0 || bo >= 0) && i < xi.n_ifaces; i++) {
		virTypedParameterPtr tp = NULL;
		int n = 0, max = 0;
		if (bi >= 0)
			virTypedParamsAddUInt(&tp, &n, &max, VIR_DOMAIN_BANDWIDTH_IN_AVERAGE,
					      (unsigned)((bi + 7) / 8));
		if (bo >= 0)
			virTypedParamsAddUInt(&tp, &n, &max, VIR_DOMAIN_BANDWIDTH_OUT_AVERAGE,
					      (unsigned)((bo + 7) / 8));
		r = virDomainSetInterfaceParameters(d, xi.iface_targets[i], tp, n,
						    VIR_DOMAIN_AFFECT_LIVE);
		virTypedParamsFree(tp, n);
		if (r < 0) {
			bh_msg_set(&c->msg, "bandwidth on %s: %s", xi.iface_targets[i],
				   act_virt_error());
			r = BH_ERR_PEER;
			goto out;
		}
	}
	if (bi >= 0)
		note(c, "bandwidth_in", bi, xi.n_ifaces ? "kbps" : "kbps (no NIC)");
	if (bo >= 0)
		note(c, "bandwidth_out", bo, xi.n_ifaces ? "kbps" : "kbps (no NIC)");
	r = 0;
out:
	virDomainFree(d);
	return r;
}

int main(void)
{
	return act_main("domain-throttle", throttle);
}
