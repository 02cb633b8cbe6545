/* SPDX-License-Identifier: MIT */
/*
 * Domain XML: built from validated fields (never taken from a caller), and the
 * few facts read back from a live domain's XML (prov.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "prov.h"

/* The NIC's fixed root-complex address (see PROV_NIC_PCI_SLOT in prov.h). */
#define NIC_ADDR "<address type='pci' domain='0x0000' bus='0x00' slot='" PROV_NIC_PCI_SLOT \
		 "' function='0x0'/>"

#define FAIL(code, ...) do { bh_msg_set(msg, __VA_ARGS__); return (code); } while (0)

/* Paths go into attributes: allow a conservative set only (no quotes, <, >, &, controls). */
static bool safe_path(const char *p)
{
	size_t n = p ? strlen(p) : 0;
	if (n < 2 || n > 1024 || p[0] != '/' || strstr(p, "/../") || strstr(p, "/./"))
		return false;
	if (n >= 3 && strcmp(p + n - 3, "/..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("/._-+", c)))
			return false;
	}
	return true;
}

static bool safe_ident(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("_.-", c)))
			return false;
	}
	return true;
}

int prov_domain_xml(const struct prov_domain_spec *s, char **ret, struct bh_msg *msg)
{
	char *x = NULL, *nic = NULL, *seed = NULL, *emu = NULL, *qcmd = NULL;
	int n;

	if (!prov_valid_name(s->name))
		FAIL(BH_ERR_FORMAT, "name: must match ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$");
	if (!s->type || (strcmp(s->type, "kvm") != 0 && strcmp(s->type, "qemu") != 0))
		FAIL(BH_ERR_FORMAT, "domain type: expected kvm or qemu");
	if (s->vcpus < 1 || s->vcpus > 64)
		FAIL(BH_ERR_RANGE, "vcpus: %u is outside 1..64", s->vcpus);
	if (s->memory_mb < 128 || s->memory_mb > 1048576)
		FAIL(BH_ERR_RANGE, "memory_mb: %lu is outside 128..1048576", s->memory_mb);
	if (!safe_path(s->disk_path))
		FAIL(BH_ERR_FORMAT, "disk: not a safe absolute path");
	if (s->seed_path && !safe_path(s->seed_path))
		FAIL(BH_ERR_FORMAT, "seed: not a safe absolute path");
	if (s->emulator && !safe_path(s->emulator))
		FAIL(BH_ERR_FORMAT, "emulator: not a safe absolute path");
	if (s->bridge && !safe_ident(s->bridge, 15))
		FAIL(BH_ERR_FORMAT, "bridge: not an interface name");
	if (s->network && !safe_ident(s->network, 64))
		FAIL(BH_ERR_FORMAT, "network: not a network name");
	if (s->user_net_ssh_port && (s->user_net_ssh_port < 1024 || s->user_net_ssh_port > 65535))
		FAIL(BH_ERR_RANGE, "user_net_ssh_port: %u is outside 1024..65535", s->user_net_ssh_port);
	if (s->user_net_ssh_port && (s->bridge || s->network))
		FAIL(BH_ERR_FORMAT, "user_net_ssh_port: not together with a bridge or network");
	if (s->user_net_signing_port && (s->user_net_signing_port < 1024 ||
					 s->user_net_signing_port > 65535))
		FAIL(BH_ERR_RANGE, "user_net_signing_port: %u is outside 1024..65535",
		     s->user_net_signing_port);
	if (s->user_net_signing_port && !s->user_net_ssh_port)
		FAIL(BH_ERR_FORMAT, "user_net_signing_port: only with user_net_ssh_port");
	if (s->user_net_signing_port && s->user_net_signing_port == s->user_net_ssh_port)
		FAIL(BH_ERR_FORMAT, "user_net_signing_port: the same port as user_net_ssh_port");
	char sfwd[48] = "";
	if (s->user_net_signing_port)
		snprintf(sfwd, sizeof sfwd, ",hostfwd=tcp:127.0.0.1:%u-:%u", s->user_net_signing_port,
			 PROV_SIGNING_PAGE_PORT);

	if (s->user_net_ssh_port)
		/* QEMU's own user-mode stack: libvirt 9.0 forwards ports only with passt; the
		 * forward binds the host's loopback address only.  libvirt does not know this
		 * device, so it gets a fixed root-complex slot (0x10) that libvirt's own address
		 * assignment (root ports from slot 1 upwards, ICH9 functions at 0x1a-0x1f) does
		 * not reach for a domain of this size; an automatic slot collides with them.
		 * The same slot as the libvirt NICs below: the guest names it PROV_NIC_NAME. */
		n = asprintf(&qcmd, "  <qemu:commandline>\n"
				   "    <qemu:arg value='-netdev'/>\n"
				   "    <qemu:arg value='user,id=bhnet0,hostfwd=tcp:127.0.0.1:%u-:22%s'/>\n"
				   "    <qemu:arg value='-device'/>\n"
				   "    <qemu:arg value='virtio-net-pci,netdev=bhnet0,bus=pcie.0,addr=" PROV_NIC_PCI_SLOT "'/>\n"
				   "  </qemu:commandline>\n", s->user_net_ssh_port, sfwd);
	else if (s->bridge)
		n = asprintf(&nic, "    <interface type='bridge'><source bridge='%s'/>"
				   "<model type='virtio'/>" NIC_ADDR "</interface>\n", s->bridge);
	else if (s->network)
		n = asprintf(&nic, "    <interface type='network'><source network='%s'/>"
				   "<model type='virtio'/>" NIC_ADDR "</interface>\n", s->network);
	else
		n = asprintf(&nic, "%s", "");
	if (n < 0)
		goto nomem;
	if (!nic && (n = asprintf(&nic, "%s", "")) < 0)
		goto nomem;
	if (!qcmd && (n = asprintf(&qcmd, "%s", "")) < 0)
		goto nomem;
	if (s->seed_path)
		n = asprintf(&seed, "    <disk type='file' device='cdrom'>"
				    "<driver name='qemu' type='raw'/><source file='%s'/>"
				    "<target dev='sda' bus='sata'/><readonly/></disk>\n", s->seed_path);
	else
		n = asprintf(&seed, "%s", "");
	if (n < 0)
		goto nomem;
	if (s->emulator)
		n = asprintf(&emu, "    <emulator>%s</emulator>\n", s->emulator);
	else
		n = asprintf(&emu, "%s", "");
	if (n < 0)
		goto nomem;
	n = asprintf(&x,
		"<domain type='%s'%s>\n"
		"  <name>%s</name>\n"
		"  <memory unit='MiB'>%lu</memory>\n"
		"  <currentMemory unit='MiB'>%lu</currentMemory>\n"
		"  <vcpu placement='static'>%u</vcpu>\n"
		"  <os><type arch='x86_64' machine='q35'>hvm</type><boot dev='hd'/></os>\n"
		"  <features><acpi/><apic/></features>\n"
		"%s"
		"  <on_poweroff>destroy</on_poweroff>\n"
		"  <on_reboot>restart</on_reboot>\n"
		"  <on_crash>destroy</on_crash>\n"
		"  <devices>\n"
		"%s"
		"    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
		"<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n"
		"%s"
		"%s"
		"    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/>"
		"</channel>\n"
		"    <serial type='pty'><target port='0'/></serial>\n"
		"    <console type='pty'><target type='serial' port='0'/></console>\n"
		"    <memballoon model='virtio'/>\n"
		"  </devices>\n"
		"%s"
		"</domain>\n",
		s->type, s->user_net_ssh_port ? " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'" : "",
		s->name, s->memory_mb, s->memory_mb, s->vcpus,
		strcmp(s->type, "kvm") == 0 ? "  <cpu mode='host-passthrough'/>\n" : "",
		emu, s->disk_path, seed, nic, qcmd);
	free(nic);
	free(seed);
	free(emu);
	free(qcmd);
	if (n < 0)
		return -ENOMEM;
	*ret = x;
	return 0;
nomem:
	free(nic);
	free(seed);
	free(emu);
	free(qcmd);
	return -ENOMEM;
}

/* ------------------------------------------------------------ reading */

#define PROV_XML_MAX (4u * 1024u * 1024u)

static void copy_attr(xmlNode *n, const char *attr, char *dst, size_t cap, unsigned *count)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
	size_t l;
	if (!v)
		return;
	l = strlen((const char *)v);
	if (l > 0 && l < cap && safe_ident((const char *)v, cap - 1)) {
		memcpy(dst, v, l + 1);
		(*count)++;
	}
	xmlFree(v);
}

static bool name_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static bool prop_is(xmlNode *n, const char *attr, const char *want)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
	bool eq = v && strcmp((const char *)v, want) == 0;
	xmlFree(v);
	return eq;
}

static void silent(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

int prov_xml_parse_info(const char *xml, size_t len, struct prov_xml_info *ret,
			struct bh_msg *msg)
{
	struct prov_xml_info info;
	xmlDoc *doc;
	xmlNode *root, *devs = NULL;

	if (len == 0 || len > PROV_XML_MAX || len > (size_t)INT32_MAX)
		FAIL(BH_ERR_LIMIT, "domain XML: size %zu outside 1..%u", len, PROV_XML_MAX);
	memset(&info, 0, sizeof info);
	xmlSetGenericErrorFunc(NULL, silent);
	/* no network, no entity expansion, no DTD loading; huge input refused above */
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		FAIL(BH_ERR_FORMAT, "domain XML: not well-formed");
	root = xmlDocGetRootElement(doc);
	if (!root || !name_is(root, "domain")) {
		xmlFreeDoc(doc);
		FAIL(BH_ERR_FORMAT, "domain XML: root element is not <domain>");
	}
	for (xmlNode *c = root->children; c; c = c->next)
		if (name_is(c, "devices"))
			devs = c;
	for (xmlNode *d = devs ? devs->children : NULL; d; d = d->next) {
		if (name_is(d, "channel")) {
			for (xmlNode *t = d->children; t; t = t->next) {
				if (!name_is(t, "target") ||
				    !prop_is(t, "name", "org.qemu.guest_agent.0"))
					continue;
				info.has_agent_channel = true;
				if (prop_is(t, "state", "connected"))
					info.agent_connected = true;
			}
		} else if (name_is(d, "disk") && prop_is(d, "device", "disk")) {
			for (xmlNode *t = d->children; t; t = t->next)
				if (name_is(t, "target") && info.n_disks < 4)
					copy_attr(t, "dev", info.disk_targets[info.n_disks],
						  sizeof info.disk_targets[0], &info.n_disks);
		} else if (name_is(d, "interface")) {
			for (xmlNode *t = d->children; t; t = t->next)
				if (name_is(t, "target") && info.n_ifaces < 4)
					copy_attr(t, "dev", info.iface_targets[info.n_ifaces],
						  sizeof info.iface_targets[0], &info.n_ifaces);
		}
	}
	xmlFreeDoc(doc);
	*ret = info;
	return 0;
}
