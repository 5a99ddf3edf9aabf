/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probe.h - ARP probes (RFC 5227: sender address 0.0.0.0): of a VM's
 * tenant segment (policy.h), for the tenant router's address, sent on the
 * segment's VXLAN device, whose reply proves that the tunnel to the
 * remote end carries frames both ways; and of a VM's new address on its
 * bridge (the address check, ops.c), whose reply from the VM's MAC proves
 * that the VM uses it (for IPv6 a neighbour solicitation, RFC 4861).
 */
#ifndef MIG_AGENT_PROBE_H
#define MIG_AGENT_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#define PROBE_TRIES 3
#define PROBE_WAIT_MS 300 /* per try */

/**
 * probe_channel() - send an ARP probe for @ip on @dev (sender MAC the
 * device's) and wait for an ARP reply whose sender is @ip, up to
 * PROBE_TRIES times PROBE_WAIT_MS.
 * @dev: the segment's device (mvxVNI).
 * @vni: its VNI (for the error message).
 * @remote: its remote (for the error message).
 * @ip: the address probed (IPv4).
 * @rtt_ms: set to the round-trip time of the answered try, in ms.
 * @error: set (G_IO_ERROR) if there is no reply ("no ARP reply from IP
 *         over mvxN (VNI N, remote R) in 900 ms") or the device cannot be
 *         used.
 *
 * The socket is an AF_PACKET one bound to the device with ETH_P_ALL: the
 * device is a bridge port, whose rx_handler takes frames before the
 * packet sockets of one protocol see them (as snoop.c).
 *
 * Return: true if answered.
 */
bool probe_channel(const char *dev, unsigned int vni, const char *remote, const char *ip,
		   double *rtt_ms, GError **error);

/**
 * probe_vm() - the same probe for a VM's address @ip on @dev (its bridge),
 * answered only by a reply whose sender MAC is @mac.
 * @dev: the VMs' bridge.
 * @ip: the address (IPv4).
 * @mac: the VM's MAC.
 * @rtt_ms: set to the round-trip time of the answered try, in ms.
 * @error: set (G_IO_ERROR) if there is no such reply ("no ARP reply from
 *         IP over DEV in 900 ms") or the device cannot be used.
 *
 * Return: true if the VM answered.
 */
bool probe_vm(const char *dev, const char *ip, const uint8_t mac[6], double *rtt_ms,
	      GError **error);

/**
 * probe_vm6() - the IPv6 form of probe_vm(): a neighbour solicitation
 * (RFC 4861) for @ip on @dev, answered only by a neighbour advertisement
 * whose target link-layer address is @mac.  The VM answers once its
 * address has passed duplicate address detection.
 * @dev: the VMs' bridge.
 * @ip: the address (IPv6).
 * @mac: the VM's MAC.
 * @rtt_ms: set to the round-trip time of the answered try, in ms.
 * @error: set (G_IO_ERROR) if there is no such advertisement ("no
 *         neighbour advertisement for IP over DEV in 900 ms") or the
 *         device cannot be used.
 *
 * Return: true if the VM answered.
 */
bool probe_vm6(const char *dev, const char *ip, const uint8_t mac[6], double *rtt_ms,
	       GError **error);

#endif /* MIG_AGENT_PROBE_H */
