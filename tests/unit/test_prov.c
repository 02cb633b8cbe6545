/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the provisioner's library (src/prov/prov.h) — validators, libvirt.json
 * errors, the domain XML builder (defined and started in libvirt's in-process test:///
 * driver), state mapping against real test-driver domains, list/metrics/result output,
 * cloud-init texts, root-agent reply checks and QEMU guest-agent reply parsing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "../../src/prov/prov.h"
#include "core/buf.h"
#include "core/spawn.h"
#include "host/result.h"

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

static void test_validators(void **state)
{
	(void)state;
	assert_true(prov_valid_name("blockhost-007"));
	assert_true(prov_valid_name("a"));
	assert_true(prov_valid_name("A.b_c-9"));
	assert_false(prov_valid_name(""));
	assert_false(prov_valid_name(NULL));
	assert_false(prov_valid_name("-x"));
	assert_false(prov_valid_name(".x"));
	assert_false(prov_valid_name("a b"));
	assert_false(prov_valid_name("a/b"));
	assert_false(prov_valid_name("a'b"));
	char n65[66];
	memset(n65, 'a', 65);
	n65[65] = '\0';
	assert_false(prov_valid_name(n65));
	n65[64] = '\0';
	assert_true(prov_valid_name(n65));

	assert_true(prov_valid_wallet("0x00000000000000000000000000000000000000aA"));
	assert_false(prov_valid_wallet("0x00000000000000000000000000000000000000a"));
	assert_false(prov_valid_wallet("0x00000000000000000000000000000000000000aaa"));
	assert_false(prov_valid_wallet("0X00000000000000000000000000000000000000aa"));
	assert_false(prov_valid_wallet("0x00000000000000000000000000000000000000ag"));

	assert_true(prov_valid_username("admin"));
	assert_true(prov_valid_username("_x-1"));
	assert_false(prov_valid_username("Admin"));
	assert_false(prov_valid_username("1x"));
	assert_false(prov_valid_username("a:b"));

}

static void conf_err(const char *doc, int want, const char *needle)
{
	struct prov_conf c;
	struct bh_msg m = { "" };
	json_t *j = J(doc);
	int r = prov_conf_from_json(j, "libvirt.json", &c, &m);
	json_decref(j);
	if (r != want)
		fail_msg("%s: got %d (%s), want %d", doc, r, m.text, want);
	if (!strstr(m.text, needle))
		fail_msg("%s: message '%s' lacks '%s'", doc, m.text, needle);
}

static void test_conf(void **state)
{
	struct prov_conf c;
	struct bh_msg m = { "" };
	json_t *j;

	(void)state;
	setenv("BLOCKHOST_ROOT", "/tmp/bhroot", 1);
	assert_int_equal(prov_conf_default(&c), 0);
	assert_string_equal(c.uri, "qemu:///system");
	assert_string_equal(c.domain_type, "kvm");
	assert_int_equal(c.guest_agent_timeout, 180);
	assert_string_equal(c.storage_path, "/tmp/bhroot/var/lib/blockhost/vms");
	assert_string_equal(c.agent_socket, "/tmp/bhroot/run/blockhost/root-agent.sock");
	assert_false(c.has_session_user);
	prov_conf_done(&c);

	j = J("{\"uri\":\"qemu+ssh://hv1/system\",\"domain_type\":\"qemu\",\"bridge\":\"br0\","
	      "\"storage_path\":\"/srv/vms\",\"guest_agent_timeout\":0,\"emulator\":\"/usr/bin/qemu\","
	      "\"session_user\":{\"uid\":1000,\"gid\":1000,\"home\":\"/home/u\","
	      "\"runtime_dir\":\"/run/user/1000\"}}");
	assert_int_equal(prov_conf_from_json(j, "x", &c, &m), 0);
	json_decref(j);
	assert_string_equal(c.uri, "qemu+ssh://hv1/system");
	assert_string_equal(c.bridge, "br0");
	assert_string_equal(c.storage_path, "/tmp/bhroot/srv/vms");
	assert_string_equal(c.emulator, "/usr/bin/qemu");
	assert_int_equal(c.guest_agent_timeout, 0);
	assert_true(c.has_session_user);
	assert_int_equal(c.session_uid, 1000);
	assert_string_equal(c.session_runtime_dir, "/run/user/1000");
	prov_conf_done(&c);

	conf_err("{\"uri\":\"nope\"}", BH_ERR_FORMAT, "key 'uri'");
	conf_err("{\"uri\":\"qemu:///system' x\"}", BH_ERR_FORMAT, "key 'uri'");
	conf_err("{\"uri\":7}", BH_ERR_WRONG_TYPE, "uri");
	conf_err("{\"domain_type\":\"xen\"}", BH_ERR_FORMAT, "domain_type");
	conf_err("{\"bridge\":\"br0; rm\"}", BH_ERR_FORMAT, "bridge");
	conf_err("{\"storage_path\":\"relative\"}", BH_ERR_FORMAT, "storage_path");
	conf_err("{\"guest_agent_timeout\":-1}", BH_ERR_RANGE, "guest_agent_timeout");
	conf_err("{\"session_user\":{\"uid\":1000}}", BH_ERR_MISSING_KEY, "session_user.gid");
	conf_err("{\"session_user\":{\"uid\":0,\"gid\":1,\"home\":\"/h\",\"runtime_dir\":\"/r\"}}",
		 BH_ERR_RANGE, "session_user.uid");

	/* a missing file gives the defaults; a broken one names the file */
	assert_int_equal(prov_conf_load("/nonexistent/libvirt.json", &c, &m), 0);
	prov_conf_done(&c);
	char path[] = "/tmp/test_prov_conf_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"uri\":", 7), 7);
	close(fd);
	m.text[0] = '\0';
	assert_true(prov_conf_load(path, &c, &m) < 0);
	assert_non_null(strstr(m.text, path));
	unlink(path);
	unsetenv("BLOCKHOST_ROOT");
}

static void quiet(void *ud, virErrorPtr e)
{
	(void)ud;
	(void)e;
}

static const struct prov_domain_spec good_spec = {
	.name = "bh-001", .type = "qemu", .vcpus = 2, .memory_mb = 512,
	.disk_path = "/var/lib/blockhost/vms/bh-001.qcow2",
	.seed_path = "/var/lib/blockhost/cloud-init/bh-001/cidata.iso",
};

static void xml_err(struct prov_domain_spec s, int want, const char *needle)
{
	struct bh_msg m = { "" };
	char *x = NULL;
	int r = prov_domain_xml(&s, &x, &m);
	if (r != want || x)
		fail_msg("got %d (%s), want %d", r, m.text, want);
	if (!strstr(m.text, needle))
		fail_msg("message '%s' lacks '%s'", m.text, needle);
}

static void test_xml_builder(void **state)
{
	struct prov_domain_spec s = good_spec;
	struct prov_xml_info info;
	char *x = NULL;

	(void)state;
	assert_int_equal(prov_domain_xml(&s, &x, NULL), 0);
	assert_non_null(strstr(x, "<domain type='qemu'>"));
	assert_non_null(strstr(x, "<name>bh-001</name>"));
	assert_non_null(strstr(x, "<memory unit='MiB'>512</memory>"));
	assert_non_null(strstr(x, "<vcpu placement='static'>2</vcpu>"));
	assert_non_null(strstr(x, "org.qemu.guest_agent.0"));
	assert_non_null(strstr(x, "<readonly/>"));
	assert_null(strstr(x, "<graphics"));      /* session: graphics omitted */
	assert_null(strstr(x, "<interface"));     /* no bridge/network configured */
	assert_null(strstr(x, "host-passthrough"));
	assert_int_equal(prov_xml_parse_info(x, strlen(x), &info, NULL), 0);
	assert_true(info.has_agent_channel);
	assert_false(info.agent_connected);
	assert_int_equal(info.n_disks, 1);
	assert_string_equal(info.disk_targets[0], "vda");
	free(x);

	s.type = "kvm";
	s.bridge = "br0";
	s.seed_path = NULL;
	assert_int_equal(prov_domain_xml(&s, &x, NULL), 0);
	assert_non_null(strstr(x, "<source bridge='br0'/>"));
	/* every NIC at the fixed root-complex slot the seed's interface name depends on */
	assert_non_null(strstr(x, "<model type='virtio'/><address type='pci' domain='0x0000' "
				  "bus='0x00' slot='0x10' function='0x0'/></interface>"));
	assert_non_null(strstr(x, "host-passthrough"));
	assert_null(strstr(x, "cdrom"));
	free(x);
	s.bridge = NULL;
	s.network = "default";
	assert_int_equal(prov_domain_xml(&s, &x, NULL), 0);
	assert_non_null(strstr(x, "<source network='default'/>"));
	assert_non_null(strstr(x, "<address type='pci' domain='0x0000' bus='0x00' slot='0x10' "
				  "function='0x0'/></interface>"));
	free(x);

	s = good_spec; s.name = "a'b";             xml_err(s, BH_ERR_FORMAT, "name");
	s = good_spec; s.type = "xen";             xml_err(s, BH_ERR_FORMAT, "type");
	s = good_spec; s.vcpus = 0;                xml_err(s, BH_ERR_RANGE, "vcpus");
	s = good_spec; s.vcpus = 65;               xml_err(s, BH_ERR_RANGE, "vcpus");
	s = good_spec; s.memory_mb = 64;           xml_err(s, BH_ERR_RANGE, "memory_mb");
	s = good_spec; s.disk_path = "rel/x";      xml_err(s, BH_ERR_FORMAT, "disk");
	s = good_spec; s.disk_path = "/a/'/>x";    xml_err(s, BH_ERR_FORMAT, "disk");
	s = good_spec; s.disk_path = "/a/../etc";  xml_err(s, BH_ERR_FORMAT, "disk");
	s = good_spec; s.disk_path = "/a/b/..";    xml_err(s, BH_ERR_FORMAT, "disk");
	s = good_spec; s.seed_path = "/a b";       xml_err(s, BH_ERR_FORMAT, "seed");
	s = good_spec; s.emulator = "/x&y";        xml_err(s, BH_ERR_FORMAT, "emulator");
	s = good_spec; s.bridge = "br0'";          xml_err(s, BH_ERR_FORMAT, "bridge");
	s = good_spec; s.bridge = "abcdefghijklmnop"; xml_err(s, BH_ERR_FORMAT, "bridge");
	s = good_spec; s.network = "n/x";          xml_err(s, BH_ERR_FORMAT, "network");
}

/* libvirt.json "user_net_ssh" and the XML it gives: a QEMU user-mode NIC whose only host
 * side is a forward from 127.0.0.1:<port> to the guest's port 22 (demo and test hosts). */
static void test_user_net_ssh(void **state)
{
	struct prov_conf c;
	struct bh_msg m = { "" };
	struct prov_domain_spec s = good_spec;
	char *x = NULL, *p;
	json_t *j;

	(void)state;
	/* absent: nothing changes (no NIC here, no qemu namespace) */
	j = J("{}");
	assert_int_equal(prov_conf_from_json(j, "x", &c, &m), 0);
	json_decref(j);
	assert_false(c.has_user_net_ssh);
	prov_conf_done(&c);
	j = J("{\"user_net_ssh\":null}");
	assert_int_equal(prov_conf_from_json(j, "x", &c, &m), 0);
	json_decref(j);
	assert_false(c.has_user_net_ssh);
	prov_conf_done(&c);
	assert_int_equal(prov_domain_xml(&s, &x, NULL), 0);
	assert_null(strstr(x, "qemu:"));
	assert_null(strstr(x, "hostfwd"));
	free(x);

	j = J("{\"user_net_ssh\":{\"port_min\":20000,\"port_max\":20063}}");
	assert_int_equal(prov_conf_from_json(j, "x", &c, &m), 0);
	json_decref(j);
	assert_true(c.has_user_net_ssh);
	assert_int_equal(c.ssh_port_min, 20000);
	assert_int_equal(c.ssh_port_max, 20063);
	prov_conf_done(&c);
	j = J("{\"user_net_ssh\":{\"port_min\":2222,\"port_max\":2222}}");
	assert_int_equal(prov_conf_from_json(j, "x", &c, &m), 0);
	json_decref(j);
	assert_int_equal(c.ssh_port_min, 2222);
	prov_conf_done(&c);

	j = J("{\"user_net_ssh\":{\"port_min\":2222,\"port_max\":2230,\"signing_port\":63108}}");
	assert_int_equal(prov_conf_from_json(j, "x", &c, &m), 0);
	json_decref(j);
	assert_int_equal(c.signing_port, 63108);
	prov_conf_done(&c);
	conf_err("{\"user_net_ssh\":{\"port_min\":2222,\"port_max\":2230,\"signing_port\":2225}}",
		 BH_ERR_RANGE, "signing_port 2225 is inside port_min..port_max");
	conf_err("{\"user_net_ssh\":{\"port_min\":2222,\"port_max\":2230,\"signing_port\":80}}",
		 BH_ERR_RANGE, "user_net_ssh.signing_port");
	conf_err("{\"user_net_ssh\":{\"port_min\":2000}}", BH_ERR_MISSING_KEY, "user_net_ssh.port_max");
	conf_err("{\"user_net_ssh\":{\"port_min\":22,\"port_max\":30}}", BH_ERR_RANGE,
		 "user_net_ssh.port_min");
	conf_err("{\"user_net_ssh\":{\"port_min\":2000,\"port_max\":70000}}", BH_ERR_RANGE,
		 "user_net_ssh.port_max");
	conf_err("{\"user_net_ssh\":{\"port_min\":3000,\"port_max\":2000}}", BH_ERR_RANGE,
		 "port_min 3000 is above port_max 2000");
	conf_err("{\"user_net_ssh\":{\"port_min\":\"2000\",\"port_max\":2001}}", BH_ERR_WRONG_TYPE,
		 "user_net_ssh.port_min");
	conf_err("{\"user_net_ssh\":true}", BH_ERR_WRONG_TYPE, "user_net_ssh");
	conf_err("{\"bridge\":\"br0\",\"user_net_ssh\":{\"port_min\":2000,\"port_max\":2001}}",
		 BH_ERR_FORMAT, "not together with 'bridge'");
	conf_err("{\"network\":\"default\",\"user_net_ssh\":{\"port_min\":2000,\"port_max\":2001}}",
		 BH_ERR_FORMAT, "not together with 'network'");

	s.user_net_ssh_port = 20005;
	assert_int_equal(prov_domain_xml(&s, &x, NULL), 0);
	assert_non_null(strstr(x, "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"));
	assert_non_null(strstr(x, "<qemu:arg value='user,id=bhnet0,hostfwd=tcp:127.0.0.1:20005-:22'/>"));
	assert_non_null(strstr(x, "<qemu:arg value='virtio-net-pci,netdev=bhnet0,bus=pcie.0,addr=0x10'/>"));
	assert_null(strstr(x, "<interface"));
	/* the block is a child of <domain>, after <devices> */
	assert_true(strstr(x, "</devices>") < strstr(x, "<qemu:commandline>"));
	assert_true(strstr(x, "</qemu:commandline>") < strstr(x, "</domain>"));
	/* well-formed: the reader parses it, and libvirt's test driver defines it */
	struct prov_xml_info info;
	assert_int_equal(prov_xml_parse_info(x, strlen(x), &info, NULL), 0);
	assert_int_equal(info.n_disks, 1);
	virSetErrorFunc(NULL, quiet);
	virConnectPtr conn = virConnectOpen("test:///default");
	assert_non_null(conn);
	p = strstr(x, "type='qemu'");
	memcpy(p, "type='test'", 11);
	virDomainPtr d = virDomainDefineXML(conn, x);
	if (!d)
		fail_msg("test driver refused the XML: %s", virGetLastErrorMessage());
	assert_int_equal(virDomainUndefine(d), 0);
	virDomainFree(d);
	virConnectClose(conn);
	free(x);

	/* the signing page forward beside the SSH one */
	s.user_net_signing_port = 63108;
	assert_int_equal(prov_domain_xml(&s, &x, NULL), 0);
	assert_non_null(strstr(x, "<qemu:arg value='user,id=bhnet0,hostfwd=tcp:127.0.0.1:20005-:22,"
				  "hostfwd=tcp:127.0.0.1:63108-:63108'/>"));
	free(x);
	s.user_net_signing_port = 20005;
	xml_err(s, BH_ERR_FORMAT, "the same port");
	s = good_spec; s.user_net_signing_port = 63108; xml_err(s, BH_ERR_FORMAT, "only with user_net_ssh_port");
	s = good_spec; s.user_net_ssh_port = 2222; s.user_net_signing_port = 80;
	xml_err(s, BH_ERR_RANGE, "user_net_signing_port");
	s = good_spec; s.user_net_ssh_port = 1023;  xml_err(s, BH_ERR_RANGE, "user_net_ssh_port");
	s = good_spec; s.user_net_ssh_port = 65536; xml_err(s, BH_ERR_RANGE, "user_net_ssh_port");
	s = good_spec; s.user_net_ssh_port = 2222; s.bridge = "br0";
	xml_err(s, BH_ERR_FORMAT, "not together");
	s = good_spec; s.user_net_ssh_port = 2222; s.network = "default";
	xml_err(s, BH_ERR_FORMAT, "not together");
}

static void test_xml_reader(void **state)
{
	struct prov_xml_info i;
	struct bh_msg m = { "" };
	const char *live =
		"<domain type='kvm' id='3'><name>x</name><devices>"
		"<disk type='file' device='disk'><target dev='vda' bus='virtio'/></disk>"
		"<disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>"
		"<disk type='file' device='disk'><target dev='vdb'/></disk>"
		"<interface type='bridge'><target dev='vnet7'/></interface>"
		"<interface type='bridge'><target dev='bad name'/></interface>"
		"<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0' "
		"state='connected'/></channel></devices></domain>";

	(void)state;
	assert_int_equal(prov_xml_parse_info(live, strlen(live), &i, &m), 0);
	assert_true(i.agent_connected);
	assert_int_equal(i.n_disks, 2);
	assert_string_equal(i.disk_targets[1], "vdb");
	assert_int_equal(i.n_ifaces, 1);            /* the unsafe target name is skipped */
	assert_string_equal(i.iface_targets[0], "vnet7");

	assert_int_equal(prov_xml_parse_info("<domain>", 8, &i, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "well-formed"));
	assert_int_equal(prov_xml_parse_info("<network/>", 10, &i, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "<domain>"));
	assert_int_equal(prov_xml_parse_info("", 0, &i, &m), BH_ERR_LIMIT);
	/* no external entities or DTDs are fetched */
	const char *xxe = "<!DOCTYPE d [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
			  "<domain><devices><interface><target dev='&e;'/></interface>"
			  "</devices></domain>";
	if (prov_xml_parse_info(xxe, strlen(xxe), &i, NULL) == 0)
		assert_int_equal(i.n_ifaces, 0);
}

/* The builder's XML, with the type swapped to 'test', runs in the in-process test driver. */
static void test_state_mapping_test_driver(void **state)
{
	virConnectPtr c;
	virDomainPtr d;
	char *x = NULL, *p;
	int st, reason;

	(void)state;
	virSetErrorFunc(NULL, quiet);
	assert_non_null(c = virConnectOpen("test:///default"));
	struct prov_domain_spec s = good_spec;
	s.seed_path = NULL;
	assert_int_equal(prov_domain_xml(&s, &x, NULL), 0);
	p = strstr(x, "type='qemu'");
	memcpy(p, "type='test'", 11);
	assert_non_null(d = virDomainDefineXML(c, x));
	free(x);
	assert_int_equal(virDomainGetState(d, &st, &reason, 0), 0);
	assert_string_equal(prov_status_from_state(st), "suspended");   /* defined, shut off */
	assert_string_equal(prov_metrics_state(st), "stopped");
	assert_int_equal(virDomainCreate(d), 0);
	assert_int_equal(virDomainGetState(d, &st, &reason, 0), 0);
	assert_string_equal(prov_status_from_state(st), "active");
	assert_string_equal(prov_metrics_state(st), "running");
	assert_int_equal(virDomainSuspend(d), 0);
	assert_int_equal(virDomainGetState(d, &st, &reason, 0), 0);
	assert_string_equal(prov_status_from_state(st), "suspended");
	assert_string_equal(prov_metrics_state(st), "paused");
	assert_int_equal(virDomainResume(d), 0);
	assert_int_equal(virDomainDestroy(d), 0);
	assert_int_equal(virDomainGetState(d, &st, &reason, 0), 0);
	assert_string_equal(prov_status_from_state(st), "suspended");
	/* the live XML the test driver returns parses */
	struct prov_xml_info info;
	assert_non_null(x = virDomainGetXMLDesc(d, 0));
	assert_int_equal(prov_xml_parse_info(x, strlen(x), &info, NULL), 0);
	assert_int_equal(info.n_disks, 1);
	free(x);
	assert_int_equal(virDomainUndefine(d), 0);
	virDomainFree(d);
	assert_null(virDomainLookupByName(c, "bh-001"));
	assert_int_equal(virGetLastError()->code, VIR_ERR_NO_DOMAIN);
	virConnectClose(c);

	assert_string_equal(prov_status_from_state(0), "unknown");
	assert_string_equal(prov_status_from_state(6), "suspended");   /* crashed */
	assert_string_equal(prov_status_from_state(7), "suspended");   /* pmsuspended */
	assert_string_equal(prov_status_from_state(4), "active");      /* shutting down */
	assert_string_equal(prov_status_from_state(99), "unknown");
	assert_string_equal(prov_metrics_state(-1), "unknown");
}

static void test_list_format(void **state)
{
	json_t *recs = J("[{\"vm_name\":\"a\",\"status\":\"active\",\"ip_address\":\"10.0.0.2\","
			 "\"created_at\":\"2026-03-01T12:00:00+00:00\"},"
			 "{\"vm_name\":\"b\",\"status\":\"suspended\",\"ip_address\":null,"
			 "\"created_at\":\"2026-03-02T00:00:00.5+00:00\"},"
			 "{\"vm_name\":\"c\\tx\",\"status\":\"destroyed\"}]");
	json_t *live = J("{\"a\":\"suspended\"}");
	char *s = NULL;

	(void)state;
	assert_int_equal(prov_format_list(recs, NULL, false, &s), 0);
	assert_string_equal(s, "NAME\tSTATUS\tIP\tCREATED\n"
			       "a\tactive\t10.0.0.2\t2026-03-01\n"
			       "b\tsuspended\t\t2026-03-02\n"
			       "c x\tdestroyed\t\t\n");
	free(s);
	assert_int_equal(prov_format_list(recs, live, false, &s), 0);
	assert_non_null(strstr(s, "a\tsuspended\t10.0.0.2"));
	assert_non_null(strstr(s, "b\tdestroyed\t"));  /* no domain any more */
	free(s);
	assert_int_equal(prov_format_list(recs, NULL, true, &s), 0);
	assert_string_equal(s, "[{\"name\":\"a\",\"status\":\"active\",\"ip\":\"10.0.0.2\","
			       "\"created\":\"2026-03-01\"},{\"name\":\"b\",\"status\":\"suspended\","
			       "\"ip\":\"\",\"created\":\"2026-03-02\"},{\"name\":\"c\\tx\","
			       "\"status\":\"destroyed\",\"ip\":\"\",\"created\":\"\"}]\n");
	free(s);
	json_t *empty = json_array();
	assert_int_equal(prov_format_list(empty, NULL, true, &s), 0);
	assert_string_equal(s, "[]\n");
	free(s);
	assert_int_equal(prov_format_list(empty, NULL, false, &s), 0);
	assert_string_equal(s, "NAME\tSTATUS\tIP\tCREATED\n");
	free(s);
	json_decref(empty);
	json_decref(recs);
	json_decref(live);
}

static void test_metrics(void **state)
{
	struct prov_sample a = {
		.t_ms = 1000000, .state = 1, .vcpus = 2, .cpu_time_ns = 5000000000ull,
		.mem_total_kb = 2097152, .mem_used_kb = 524288, .disk_total_bytes = 20ull << 30,
		.rd_reqs = 100, .wr_reqs = 50, .rd_bytes = 1 << 20, .wr_bytes = 1 << 19,
		.rx_bytes = 1000, .tx_bytes = 2000, .uptime_s = 60, .agent = false,
	};
	struct prov_sample b = a, back;
	json_t *j, *s;
	char *t;

	(void)state;
	b.t_ms += 2000;                       /* 2 s later */
	b.cpu_time_ns += 1000000000ull;       /* 1 s of CPU in 2 s = 50 % */
	b.rd_reqs += 200;
	b.wr_bytes += 4096;
	b.rx_bytes = 10;                      /* counter reset: rate 0, not negative */
	assert_non_null(j = prov_metrics_json(&b, &a));
	assert_true(json_real_value(json_object_get(j, "cpu_percent")) == 50.0);
	assert_int_equal(json_integer_value(json_object_get(j, "cpu_count")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "memory_used_mb")), 512);
	assert_int_equal(json_integer_value(json_object_get(j, "memory_total_mb")), 2048);
	assert_int_equal(json_integer_value(json_object_get(j, "disk_used_mb")), -1);
	assert_int_equal(json_integer_value(json_object_get(j, "disk_total_mb")), 20480);
	assert_true(json_real_value(json_object_get(j, "disk_read_iops")) == 100.0);
	assert_true(json_real_value(json_object_get(j, "disk_write_bytes_sec")) == 2048.0);
	assert_true(json_real_value(json_object_get(j, "net_rx_bytes_sec")) == 0.0);
	assert_int_equal(json_integer_value(json_object_get(j, "net_connections")), -1);
	assert_true(json_is_false(json_object_get(j, "guest_agent_responsive")));
	assert_int_equal(json_integer_value(json_object_get(j, "uptime_seconds")), 60);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "running");
	assert_int_equal(json_object_size(j), 16);
	json_decref(j);

	/* no previous sample: rates 0; cpu clamped to 100 x vCPU */
	b.cpu_time_ns = a.cpu_time_ns + 100000000000ull;
	assert_non_null(j = prov_metrics_json(&b, NULL));
	assert_true(json_real_value(json_object_get(j, "cpu_percent")) == 0.0);
	json_decref(j);
	assert_non_null(j = prov_metrics_json(&b, &a));
	assert_true(json_real_value(json_object_get(j, "cpu_percent")) == 200.0);
	json_decref(j);
	/* stopped: no memory in use, no uptime */
	b.state = 5;
	assert_non_null(j = prov_metrics_json(&b, &a));
	assert_int_equal(json_integer_value(json_object_get(j, "memory_used_mb")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "uptime_seconds")), 0);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "stopped");
	json_decref(j);

	/* the cache round-trips; bad caches are refused with a message */
	assert_non_null(s = prov_sample_to_json(&a));
	assert_non_null(t = json_dumps(s, JSON_COMPACT));
	assert_int_equal(prov_sample_from_json(t, strlen(t), &back, NULL), 0);
	assert_int_equal(back.t_ms, a.t_ms);
	assert_int_equal(back.state, a.state);
	assert_int_equal(back.vcpus, a.vcpus);
	assert_int_equal(back.cpu_time_ns, a.cpu_time_ns);
	assert_int_equal(back.mem_used_kb, a.mem_used_kb);
	assert_int_equal(back.disk_total_bytes, a.disk_total_bytes);
	assert_int_equal(back.wr_bytes, a.wr_bytes);
	assert_int_equal(back.tx_bytes, a.tx_bytes);
	assert_int_equal(back.uptime_s, a.uptime_s);
	assert_int_equal(back.agent, a.agent);
	free(t);
	json_decref(s);
	struct bh_msg m = { "" };
	assert_int_equal(prov_sample_from_json("{}", 2, &back, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "t_ms"));
	assert_true(prov_sample_from_json("[1]", 3, &back, &m) < 0);
	assert_true(prov_sample_from_json("{\"t_ms\":1", 9, &back, &m) < 0);
	const char *neg = "{\"t_ms\":-1}";
	assert_int_equal(prov_sample_from_json(neg, strlen(neg), &back, &m), BH_ERR_FORMAT);
}

static void test_sshd_config_fix(void **state)
{
	char *o = NULL;
	const char *in = "# comment\nKbdInteractiveAuthentication no\nUsePAM yes\n"
			 " KbdInteractiveAuthentication no\nKbdInteractiveAuthentication no";

	(void)state;
	assert_int_equal(prov_sshd_config_fix(in, strlen(in), &o), 0);
	assert_string_equal(o, "Include /etc/ssh/sshd_config.d/*.conf\n# comment\n"
			       "#KbdInteractiveAuthentication no\nUsePAM yes\n"
			       " KbdInteractiveAuthentication no\n#KbdInteractiveAuthentication no");
	free(o);
	/* an Include of the drop-in directory is kept, not doubled */
	const char *inc = "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n";
	assert_int_equal(prov_sshd_config_fix(inc, strlen(inc), &o), 0);
	assert_string_equal(o, inc);
	free(o);
	assert_int_equal(prov_sshd_config_fix("", 0, &o), 0);
	assert_string_equal(o, "Include /etc/ssh/sshd_config.d/*.conf\n");
	free(o);
	assert_int_equal(prov_sshd_config_fix("a\0b", 3, &o), BH_ERR_NUL);
}

static void test_result_line(void **state)
{
	char *l = NULL;
	json_t *j = NULL;

	(void)state;
	assert_int_equal(prov_result_line("bh-001", "10.0.0.5", NULL, "admin", 0, &l), 0);
	assert_string_equal(l, "BLOCKHOST_RESULT: {\"status\":\"ok\",\"vm_name\":\"bh-001\","
			       "\"ip\":\"10.0.0.5\",\"ipv6\":\"\",\"vmid\":\"bh-001\","
			       "\"nft_token_id\":null,\"username\":\"admin\"}\n");
	/* what the engine side parses back (host/result.h) */
	struct bh_buf b;
	bh_buf_view(&b, l, strlen(l));
	assert_int_equal(bh_result_parse(&b, &j, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(j, "vmid")), "bh-001");
	assert_null(json_object_get(j, "ssh_port"));
	json_decref(j);
	free(l);
	/* a user_net_ssh forward: "ssh_port" last, an integer the engine reads back */
	assert_int_equal(prov_result_line("bh-002", NULL, NULL, "admin", 22207, &l), 0);
	assert_string_equal(l, "BLOCKHOST_RESULT: {\"status\":\"ok\",\"vm_name\":\"bh-002\","
			       "\"ip\":\"\",\"ipv6\":\"\",\"vmid\":\"bh-002\","
			       "\"nft_token_id\":null,\"username\":\"admin\",\"ssh_port\":22207}\n");
	bh_buf_view(&b, l, strlen(l));
	assert_int_equal(bh_result_parse(&b, &j, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "ssh_port")), 22207);
	json_decref(j);
	free(l);
}

#define NC_STATIC "version: 2\nethernets:\n  enp0s16:\n    addresses:\n"

static const struct prov_seed_spec seed = {
	.vm_name = "bh-001", .username = "admin",
	.wallet = "0x00000000000000000000000000000000000000aa",
	.secret_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	.ip = "192.168.122.200", .ipv6 = "2001:db8::3", .gateway = "192.168.122.1",
	.ipv6_gateway = "2001:db8::1",
};

static void test_cloud_init(void **state)
{
	struct prov_seed_spec s = seed;
	struct bh_msg m = { "" };
	char *u = NULL;

	(void)state;
	assert_int_equal(prov_render_user_data(&s, &u, &m), 0);
	assert_true(strncmp(u, "#cloud-config\n", 14) == 0);
	assert_non_null(strstr(u, "    gecos: \"wallet=0x00000000000000000000000000000000000000aa,nft=\"\n"));
	assert_non_null(strstr(u, "      id = \"bh-001\"\n"));
	assert_non_null(strstr(u, "      secret_key = \"00112233445566778899aabbccddeeff"));
	assert_non_null(strstr(u, "/etc/ssh/sshd_config.d/50-blockhost.conf"));
	assert_non_null(strstr(u, "      auth [success=done default=die] pam_web3.so\n"));
	assert_non_null(strstr(u, "pam_succeed_if.so quiet user = admin\n"));   /* substituted */
	assert_null(strstr(u, "@USERNAME@"));
	free(u);

	s.pam_sshd = "auth required pam_web3.so\n# for @USERNAME@";   /* no final newline */
	s.sshd_dropin = "UsePAM yes\n";
	assert_int_equal(prov_render_user_data(&s, &u, &m), 0);
	assert_non_null(strstr(u, "      auth required pam_web3.so\n      # for admin\nruncmd:"));
	assert_non_null(strstr(u, "      UsePAM yes\n  - path: /etc/pam.d/sshd"));
	free(u);
	s.pam_sshd = "auth\x1b[2J";
	assert_int_equal(prov_render_user_data(&s, &u, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "control"));

	s = seed; s.username = "root\nx";  assert_int_equal(prov_render_user_data(&s, &u, &m), BH_ERR_FORMAT);
	s = seed; s.wallet = "0x\"";       assert_int_equal(prov_render_user_data(&s, &u, &m), BH_ERR_FORMAT);
	s = seed; s.secret_hex = "00";     assert_int_equal(prov_render_user_data(&s, &u, &m), BH_ERR_FORMAT);
	s = seed; s.vm_name = "x y";       assert_int_equal(prov_render_user_data(&s, &u, &m), BH_ERR_FORMAT);

	s = seed;
	assert_int_equal(prov_render_meta_data(&s, &u), 0);
	assert_string_equal(u, "instance-id: bh-001\nlocal-hostname: bh-001\n");
	free(u);
	assert_int_equal(prov_render_network_config(&s, &u), 0);
	/* the NIC by its predictable name (fixed PCI slot), not a "match:" the template's
	 * ifupdown renderer cannot apply */
	assert_true(strncmp(u, NC_STATIC, strlen(NC_STATIC)) == 0);
	assert_null(strstr(u, "match"));
	assert_null(strstr(u, "dhcp"));
	assert_non_null(strstr(u, "      - 192.168.122.200/24\n      - 2001:db8::3/128\n"));
	/* gateways as subnet gateways (ifupdown adds them "onlink"), no "routes:" — cloud-init
	 * 22.4 refuses "to: default" and ENI renders routes with net-tools */
	assert_non_null(strstr(u, "/128\n    gateway4: 192.168.122.1\n    gateway6: 2001:db8::1\n"));
	assert_null(strstr(u, "routes"));
	assert_non_null(strstr(u, "nameservers:\n      addresses: [192.168.122.1]\n"));
	free(u);
	s.ip = s.ipv6 = NULL;
	assert_int_equal(prov_render_network_config(&s, &u), 0);
	assert_string_equal(u, "version: 2\nethernets:\n  enp0s16:\n    dhcp4: true\n");
	free(u);
	s = seed; s.ipv6 = "";             /* IPv4 only: no IPv6 address or route */
	assert_int_equal(prov_render_network_config(&s, &u), 0);
	assert_non_null(strstr(u, "  enp0s16:\n    addresses:\n      - 192.168.122.200/24\n"
				  "    gateway4: 192.168.122.1\n    nameservers:\n"));
	assert_null(strstr(u, "2001:db8"));
	assert_null(strstr(u, "gateway6"));
	assert_null(strstr(u, "dhcp"));
	free(u);
	s = seed; s.ip = NULL;             /* IPv6 only: static, still no DHCP */
	assert_int_equal(prov_render_network_config(&s, &u), 0);
	assert_non_null(strstr(u, "    addresses:\n      - 2001:db8::3/128\n    gateway6: 2001:db8::1\n"));
	assert_null(strstr(u, "192.168.122."));
	assert_null(strstr(u, "gateway4"));
	assert_null(strstr(u, "dhcp"));
	free(u);
	s = seed; s.ip = "1.2.3";          assert_int_equal(prov_render_network_config(&s, &u), BH_ERR_FORMAT);
	s = seed; s.gateway = "x";         assert_int_equal(prov_render_network_config(&s, &u), BH_ERR_FORMAT);
}

static void test_agent_replies(void **state)
{
	struct bh_msg m = { "" };
	json_t *j, *r = NULL;

	(void)state;
	j = J("{\"ok\":true}");
	assert_int_equal(prov_agent_check_reply(j, "domain-start", &m), 0);
	json_decref(j);
	j = J("{\"ok\":false,\"error\":\"Unknown action: domain-start\"}");
	assert_int_equal(prov_agent_check_reply(j, "domain-start", &m), BH_ERR_DENIED);
	assert_string_equal(m.text, "root agent domain-start: Unknown action: domain-start");
	json_decref(j);
	j = J("{\"ok\":false}");
	assert_int_equal(prov_agent_check_reply(j, "x", &m), BH_ERR_DENIED);
	assert_non_null(strstr(m.text, "no error text"));
	json_decref(j);
	j = J("{\"ok\":1}");
	assert_int_equal(prov_agent_check_reply(j, "x", &m), BH_ERR_FORMAT);
	json_decref(j);
	j = J("[true]");
	assert_int_equal(prov_agent_check_reply(j, "x", &m), BH_ERR_FORMAT);
	json_decref(j);

	/* no agent listening: what to check (HACKING.md), not the socket path and ENOENT */
	j = json_object();
	assert_int_equal(prov_agent_call("/nonexistent/root-agent.sock", "domain-start", j, 1000, &r,
					 &m), -ENOENT);
	assert_non_null(strstr(m.text, "domain-start"));
	assert_non_null(strstr(m.text, "is blockhost-root-agent running?"));
	assert_null(strstr(m.text, "/nonexistent"));
	assert_null(r);
	json_decref(j);
}

static void test_guest_agent_replies(void **state)
{
	struct prov_ga_status st;
	struct bh_msg m = { "" };
	int64_t pid = 0;

	(void)state;
	assert_int_equal(prov_ga_exec_pid("{\"return\":{\"pid\":4242}}", &pid, &m), 0);
	assert_int_equal(pid, 4242);
	assert_int_equal(prov_ga_exec_pid("{\"return\":{}}", &pid, &m), BH_ERR_FORMAT);
	assert_int_equal(prov_ga_exec_pid("{\"error\":{\"class\":\"GenericError\","
					  "\"desc\":\"Failed to execute child\"}}", &pid, &m),
			 BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "Failed to execute child"));
	assert_int_equal(prov_ga_exec_pid("nope", &pid, &m), BH_ERR_FORMAT);
	assert_int_equal(prov_ga_exec_pid(NULL, &pid, &m), BH_ERR_FORMAT);

	assert_int_equal(prov_ga_exec_status("{\"return\":{\"exited\":false}}", 100, &st, &m), 0);
	assert_false(st.exited);
	prov_ga_status_done(&st);
	/* "hi\n" / "oops" */
	assert_int_equal(prov_ga_exec_status("{\"return\":{\"exited\":true,\"exitcode\":3,"
					     "\"out-data\":\"aGkK\",\"err-data\":\"b29wcw==\"}}",
					     100, &st, &m), 0);
	assert_true(st.exited);
	assert_int_equal(st.exitcode, 3);
	assert_int_equal(st.out_len, 3);
	assert_string_equal(st.out, "hi\n");
	assert_string_equal(st.err, "oops");
	prov_ga_status_done(&st);
	assert_int_equal(prov_ga_exec_status("{\"return\":{\"exited\":true,\"signal\":9}}", 100,
					     &st, &m), 0);
	assert_int_equal(st.exitcode, 128);
	prov_ga_status_done(&st);
	assert_int_equal(prov_ga_exec_status("{\"return\":{\"exited\":true,\"out-data\":\"@@@@\"}}",
					     100, &st, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "base64"));
	assert_int_equal(prov_ga_exec_status("{\"return\":{\"exited\":true,"
					     "\"out-data\":\"QUFBQUFBQUFBQUFBQUFBQUFB\"}}",
					     4, &st, &m), BH_ERR_LIMIT);
	assert_int_equal(prov_ga_exec_status("{\"return\":{\"exited\":1}}", 100, &st, &m),
			 BH_ERR_FORMAT);
	assert_int_equal(prov_ga_exec_status("{\"return\":{\"exited\":true,\"exitcode\":\"0\"}}",
					     100, &st, &m), BH_ERR_FORMAT);
	assert_int_equal(prov_ga_exec_status("{\"return\":{\"exited\":true,\"out-data\":5}}",
					     100, &st, &m), BH_ERR_FORMAT);
}

/* A qcow2 header as qemu-img writes it: v3 (104 bytes) or v2 (72), extensions, backing name. */
static size_t qhdr(uint8_t *h, unsigned version, const char *backing, const char *fmt,
		   uint64_t incompat, bool data_ext, uint32_t crypt)
{
	size_t off = version == 3 ? 104 : 72;
	memset(h, 0, 4096);
#define BE32(p, v) do { (p)[0] = (uint8_t)((v) >> 24); (p)[1] = (uint8_t)((v) >> 16); \
			(p)[2] = (uint8_t)((v) >> 8); (p)[3] = (uint8_t)(v); } while (0)
	BE32(h, 0x514649fbu);
	BE32(h + 4, version);
	BE32(h + 32, crypt);
	if (version == 3) {
		BE32(h + 76, (uint32_t)incompat);
		BE32(h + 96, 4);
		BE32(h + 100, 104);
	}
	if (fmt) {
		size_t n = strlen(fmt);
		BE32(h + off, 0xe2792acau);
		BE32(h + off + 4, (uint32_t)n);
		memcpy(h + off + 8, fmt, n);
		off += 8 + ((n + 7) & ~(size_t)7);
	}
	if (data_ext) {
		BE32(h + off, 0x44415441u);
		BE32(h + off + 4, 4);
		memcpy(h + off + 8, "/x/y", 4);
		off += 16;
	}
	off += 8; /* end extension: zeros */
	if (backing) {
		BE32(h + 12, (uint32_t)off);       /* backing_file_offset (low 32 bits) */
		BE32(h + 16, (uint32_t)strlen(backing));
		memcpy(h + off, backing, strlen(backing));
		off += strlen(backing);
	}
	return off;
}

static void test_qcow2_check(void **state)
{
	static uint8_t h[4096];
	const char *tpl = "/var/lib/blockhost/templates/blockhost-base.qcow2";
	struct bh_msg m = { "" };
	size_t n;

	(void)state;
	n = qhdr(h, 3, tpl, "qcow2", 0, false, 0);
	assert_int_equal(prov_qcow2_check(h, n, tpl, &m), 0);
	n = qhdr(h, 2, tpl, NULL, 0, false, 0);
	assert_int_equal(prov_qcow2_check(h, n, tpl, &m), 0);
	n = qhdr(h, 3, "/etc/shadow", "raw", 0, false, 0);
	assert_int_equal(prov_qcow2_check(h, n, tpl, &m), BH_ERR_MISMATCH);
	assert_non_null(strstr(m.text, "not the configured template"));
	n = qhdr(h, 3, tpl, "raw", 0, false, 0);
	assert_int_equal(prov_qcow2_check(h, n, tpl, &m), BH_ERR_MISMATCH);
	assert_non_null(strstr(m.text, "backing format 'raw'"));
	n = qhdr(h, 3, NULL, NULL, 0, false, 0);
	assert_int_equal(prov_qcow2_check(h, n, tpl, &m), BH_ERR_MISMATCH);
	n = qhdr(h, 3, tpl, "qcow2", 1u << 2, false, 0);
	assert_int_equal(prov_qcow2_check(h, n, tpl, &m), BH_ERR_DENIED);
	assert_non_null(strstr(m.text, "external data file"));
	n = qhdr(h, 3, tpl, "qcow2", 0, true, 0);
	assert_int_equal(prov_qcow2_check(h, n, tpl, &m), BH_ERR_DENIED);
	n = qhdr(h, 3, tpl, "qcow2", 0, false, 1);
	assert_int_equal(prov_qcow2_check(h, n, tpl, &m), BH_ERR_UNSUPPORTED);
	n = qhdr(h, 3, tpl, "qcow2", 0, false, 0);
	assert_int_equal(prov_qcow2_check(h, n - 1, tpl, &m), BH_ERR_FORMAT);   /* name cut */
	assert_int_equal(prov_qcow2_check(h, 50, tpl, &m), BH_ERR_INCOMPLETE);
	h[3] = 0;
	assert_int_equal(prov_qcow2_check(h, n, tpl, &m), BH_ERR_FORMAT);
	n = qhdr(h, 4, tpl, NULL, 0, false, 0);
	assert_int_equal(prov_qcow2_check(h, n, tpl, &m), BH_ERR_UNSUPPORTED);
	/* a backing name with an embedded NUL, or a prefix of the template, is refused */
	n = qhdr(h, 3, tpl, NULL, 0, false, 0);
	BE32(h + 16, (uint32_t)strlen(tpl) + 2);
	h[n] = 0;
	h[n + 1] = 'x';
	assert_int_equal(prov_qcow2_check(h, n + 2, tpl, &m), BH_ERR_MISMATCH);
	n = qhdr(h, 3, "/var/lib/blockhost/templates/blockhost-base", NULL, 0, false, 0);
	assert_int_equal(prov_qcow2_check(h, n, tpl, &m), BH_ERR_MISMATCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_xml_builder),
		cmocka_unit_test(test_user_net_ssh),
		cmocka_unit_test(test_xml_reader),
		cmocka_unit_test(test_state_mapping_test_driver),
		cmocka_unit_test(test_list_format),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_result_line),
		cmocka_unit_test(test_sshd_config_fix),
		cmocka_unit_test(test_cloud_init),
		cmocka_unit_test(test_agent_replies),
		cmocka_unit_test(test_guest_agent_replies),
		cmocka_unit_test(test_qcow2_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
