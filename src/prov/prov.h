/* SPDX-License-Identifier: MIT */
/*
 * The libvirt provisioner (blockhost-vm-* verbs, docs/provisioner.md): the pieces
 * shared by the multicall binary, the root-agent action plugins in actions/, the
 * unit tests and the fuzz targets.  Everything here returns 0 or a negative code
 * (err.h) and fills `msg` (may be NULL) with what was wrong; nothing logs or exits.
 *
 * Trust: the multicall binary runs as the unprivileged engine user and reads
 * libvirt through a READ-ONLY connection; every state change is a root-agent
 * action (domain-define, domain-start, ...), whose plugin re-validates its params
 * and builds the domain XML itself (prov_domain_xml) — it never accepts XML.
 */
#ifndef BH_PROV_H
#define BH_PROV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/err.h"

/* ------------------------------------------------------------ configuration */

/*
 * /etc/blockhost/libvirt.json (relocated by BLOCKHOST_ROOT; paths inside are
 * absolute system paths, resolved under the same prefix):
 *   uri              libvirt URI (default "qemu:///system"); qemu+ssh://, qemu+tls://
 *                    work too (docs/provisioner.md, "Multi-host")
 *   domain_type      "kvm" (default) or "qemu" (TCG)
 *   template         base image (default /var/lib/blockhost/templates/blockhost-base.qcow2)
 *   storage_path     VM disks (default /var/lib/blockhost/vms)
 *   cloud_init_dir   seeds (default /var/lib/blockhost/cloud-init)
 *   bridge           host bridge for the VM NIC (optional; none = no NIC)
 *   network          libvirt network name for the NIC (optional; bridge wins)
 *   agent_socket     root agent socket (default /run/blockhost/root-agent.sock)
 *   guest_agent_timeout  seconds create waits for the guest agent (default 180; 0 = skip)
 *   session_user     {"uid": N, "gid": N, "home": "/abs", "runtime_dir": "/abs"}:
 *                    the plugins drop to this user before connecting (qemu:///session);
 *                    home/runtime_dir are that user's host paths (not relocated)
 *   emulator         optional absolute path of the qemu binary put in <emulator>
 *   user_net_ssh     {"port_min": N, "port_max": M} (optional; demo and test hosts): the
 *                    VM's NIC is QEMU user-mode networking (slirp, guest DHCP) with
 *                    127.0.0.1:<port> forwarded to the guest's port 22, the port picked by
 *                    domain-define from port_min..port_max (free on 127.0.0.1 at define
 *                    time).  Not together with bridge or network.  Absent: no change.
 *                    Optional "signing_port": N (outside port_min..port_max): also
 *                    127.0.0.1:N forwarded to the guest's signing page (web3-auth-svc,
 *                    port 63108), so a browser on the host can open it.
 */
struct prov_conf {
	char *uri;
	char *domain_type;
	char *template_path;
	char *storage_path;
	char *cloud_init_dir;
	char *bridge;
	char *network;
	char *agent_socket;
	char *emulator;
	int guest_agent_timeout;
	bool has_session_user;
	uid_t session_uid;
	gid_t session_gid;
	char *session_home;
	char *session_runtime_dir;
	bool has_user_net_ssh;
	unsigned ssh_port_min, ssh_port_max; /* 1024..65535, min <= max */
	unsigned signing_port;               /* user_net_ssh.signing_port, or 0 */
};

#define PROV_CONF_NAME "libvirt.json"

/* Defaults only (no file). */
int prov_conf_default(struct prov_conf *ret);
/* Parse a config document (the fuzzing entry point); name is used in messages. */
int prov_conf_from_json(const json_t *root, const char *name, struct prov_conf *ret,
			struct bh_msg *msg);
/* Load path (NULL: bh_path(BH_DIR_ETC, "libvirt.json")); a missing file gives defaults. */
int prov_conf_load(const char *path, struct prov_conf *ret, struct bh_msg *msg);
void prov_conf_done(struct prov_conf *c);

/* ------------------------------------------------------------ validation */

bool prov_valid_name(const char *s);     /* ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$ */
bool prov_valid_wallet(const char *s);   /* ^0x[0-9a-fA-F]{40}$ */
bool prov_valid_username(const char *s); /* ^[a-z_][a-z0-9_-]{0,31}$ */
/* The GECOS value wallet=0x<40 hex>,nft=<id>: host/gecos.h (writer and reader). */

/* ------------------------------------------------------------ domain XML */

struct prov_domain_spec {
	const char *name;          /* prov_valid_name */
	const char *type;          /* "kvm" | "qemu" */
	unsigned vcpus;            /* 1..64 */
	unsigned long memory_mb;   /* 128..1048576 */
	const char *disk_path;     /* absolute */
	const char *seed_path;     /* absolute, or NULL */
	const char *bridge;        /* ^[a-zA-Z0-9_.-]{1,15}$ or NULL */
	const char *network;       /* ^[a-zA-Z0-9_.-]{1,64}$ or NULL (ignored with bridge) */
	const char *emulator;      /* absolute or NULL */
	/* 1024..65535: a QEMU user-mode NIC (slirp) with hostfwd 127.0.0.1:port → guest :22
	 * (qemu:commandline); 0 = none.  Refused together with bridge or network. */
	unsigned user_net_ssh_port;
	/* 1024..65535 with user_net_ssh_port: also hostfwd 127.0.0.1:port → guest :63108 (the
	 * signing page, web3-auth-svc); 0 = none. */
	unsigned user_net_signing_port;
};

/*
 * The guest NIC's fixed place and name.  Every NIC we define (bridge, network or the
 * user-mode SSH forward) sits on the q35 root complex (pcie.0) at this slot, so the
 * guest's udev names it by path (systemd's net_id, Debian 12: "enp0s16" for bus 0,
 * slot 0x10), and the seed's network-config names exactly that interface: cloud-init's
 * ifupdown (ENI) renderer in the template cannot "match:" an interface, it writes the
 * ethernets key as the interface name.  Change both together (docs/provisioner.md).
 */
#define PROV_NIC_PCI_SLOT "0x10"
/* The guest port of the signing page (web3-auth-svc: 1024 + crc32("evm") % 64511). */
#define PROV_SIGNING_PAGE_PORT 63108u
#define PROV_NIC_NAME "enp0s16"

/*
 * Build the domain XML from validated fields (every value is re-checked here and
 * XML-escaped): q35/pc machine defaults, virtio qcow2 disk, the seed as a
 * read-only SATA cdrom, the QEMU guest agent channel, a serial pty console, no
 * graphics; the NIC from bridge, network or user_net_ssh_port (loopback SSH forward).  *ret: heap string.  BH_ERR_FORMAT / BH_ERR_RANGE naming the field.
 */
int prov_domain_xml(const struct prov_domain_spec *s, char **ret, struct bh_msg *msg);

/* What the provisioner reads back from a live domain XML (virDomainGetXMLDesc). */
struct prov_xml_info {
	bool has_agent_channel;
	bool agent_connected;     /* <channel> target org.qemu.guest_agent.0 state='connected' */
	char disk_targets[4][16]; /* <disk device='disk'> <target dev=...> */
	unsigned n_disks;
	char iface_targets[4][16];/* <interface> <target dev=...> */
	unsigned n_ifaces;
};

/* Parse a domain XML (untrusted: comes over the libvirt socket; the fuzz entry point). */
int prov_xml_parse_info(const char *xml, size_t len, struct prov_xml_info *ret,
			struct bh_msg *msg);

/*
 * Check a VM disk's qcow2 header (the first bytes of the file, up to 64 KiB): v2/v3,
 * unencrypted, no external data file, backing file exactly template_path (qcow2 when
 * the backing format is recorded).  0, or BH_ERR_* with msg naming what was refused.
 */
int prov_qcow2_check(const void *hdr, size_t len, const char *template_path, struct bh_msg *msg);
#define PROV_QCOW2_HDR_MAX 65536

/* ------------------------------------------------------------ states and output */

/* libvirt virDomainState (int) → "active" | "suspended" | "unknown" (status verb). */
const char *prov_status_from_state(int state);
/* libvirt virDomainState → metrics "running" | "paused" | "stopped" | "unknown". */
const char *prov_metrics_state(int state);

/*
 * list output.  records: array of vms.json records (bh_vmdb_list); live: object
 * name → status string from libvirt (missing → the record's own status, except
 * destroyed).  json=false: TSV "NAME\tSTATUS\tIP\tCREATED\n" header then rows;
 * json=true: [{"name","status","ip","created":"YYYY-MM-DD"}].  *ret heap string.
 */
int prov_format_list(const json_t *records, const json_t *live, bool json, char **ret);

/* One raw sample, the metrics verb's input. */
struct prov_sample {
	int64_t t_ms;               /* monotonic-ish wall clock of the sample, ms */
	int state;                  /* virDomainState */
	unsigned vcpus;
	uint64_t cpu_time_ns;
	uint64_t mem_total_kb, mem_used_kb; /* used 0 = unknown → total */
	uint64_t disk_total_bytes;
	uint64_t rd_reqs, wr_reqs, rd_bytes, wr_bytes;
	uint64_t rx_bytes, tx_bytes;
	int64_t uptime_s;           /* -1 unknown */
	bool agent;                 /* guest agent channel connected */
};

/* The cache file under /var/lib/blockhost/metrics/<name>.json: serialise / parse. */
json_t *prov_sample_to_json(const struct prov_sample *s);
int prov_sample_from_json(const char *data, size_t len, struct prov_sample *ret,
			  struct bh_msg *msg);

/* The metrics JSON (upstream field set); prev may be NULL (rates 0). New reference. */
json_t *prov_metrics_json(const struct prov_sample *cur, const struct prov_sample *prev);

/* "BLOCKHOST_RESULT: {json}\n" for create (ipv6 "" when none; nft_token_id null);
 * ssh_port 1..65535 adds "ssh_port" (the user_net_ssh forward on 127.0.0.1), 0 leaves it out. */
int prov_result_line(const char *vm_name, const char *ip, const char *ipv6,
		     const char *username, unsigned ssh_port, char **ret);

/* ------------------------------------------------------------ cloud-init */

struct prov_seed_spec {
	const char *vm_name;
	const char *username;
	const char *wallet;
	const char *secret_hex;     /* 64 hex: pam_web3 [machine] secret_key */
	const char *ip, *ipv6;      /* may be NULL/"" */
	const char *gateway;        /* may be NULL */
	const char *ipv6_gateway;   /* may be NULL */
	const char *pam_sshd;       /* /etc/pam.d/sshd contents (NULL: built-in) */
	const char *sshd_dropin;    /* sshd_config.d/50-blockhost.conf (NULL: built-in) */
};

/* user-data (#cloud-config), meta-data and network-config (v2) texts; heap strings. */
int prov_render_user_data(const struct prov_seed_spec *s, char **ret, struct bh_msg *msg);
int prov_render_meta_data(const struct prov_seed_spec *s, char **ret);
int prov_render_network_config(const struct prov_seed_spec *s, char **ret);

/*
 * The template's /etc/ssh/sshd_config (build-template; was sed in a shell): every line
 * starting "KbdInteractiveAuthentication no" commented out (newer Debian images ship it,
 * which silently disables the wallet login, upstream.md §11), and
 * "Include /etc/ssh/sshd_config.d/<star>.conf" put first unless a line already starts
 * "Include /etc/ssh/sshd_config.d/".  *ret: heap string.  BH_ERR_NUL, BH_ERR_LIMIT (> 1 MiB).
 */
int prov_sshd_config_fix(const char *text, size_t len, char **ret);

/* ------------------------------------------------------------ root agent */

/*
 * Send {action, params} to the root agent and check the reply: ok:true → 0 and
 * *ret_reply (may be NULL) the reply; ok:false → BH_ERR_DENIED with the agent's
 * error in msg; unreachable agent → its -errno: -ENOENT / -ECONNREFUSED with "is
 * blockhost-root-agent running?", -EACCES / -EPERM naming the group, else the socket.
 */
int prov_agent_call(const char *socket_path, const char *action, json_t *params,
		    int timeout_ms, json_t **ret_reply, struct bh_msg *msg);
/* The reply check alone (fuzz entry point): 0, or BH_ERR_DENIED/BH_ERR_FORMAT + msg. */
int prov_agent_check_reply(const json_t *reply, const char *action, struct bh_msg *msg);

/* ------------------------------------------------------------ guest-exec */

/* Guest-exec replies from the QEMU agent, parsed by the domain-guest-exec plugin. */
int prov_ga_exec_pid(const char *reply, int64_t *ret_pid, struct bh_msg *msg);
struct prov_ga_status {
	bool exited;
	int exitcode;
	char *out, *err;            /* base64-decoded, NUL-terminated (heap) */
	size_t out_len, err_len;
};
int prov_ga_exec_status(const char *reply, size_t cap, struct prov_ga_status *ret,
			struct bh_msg *msg);
void prov_ga_status_done(struct prov_ga_status *s);

#define PROV_GUEST_EXEC_MAX 4000  /* command bytes, as upstream */

#endif
