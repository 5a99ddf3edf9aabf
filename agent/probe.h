/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probe.h - the probe of a VM's tenant segment (policy.h): an ARP probe
 * (RFC 5227: sender address 0.0.0.0) for the tenant router's address,
 * sent on the segment's VXLAN device, whose reply proves that the
 * tunnel to the remote end carries frames both ways.
 */
#ifndef MIG_AGENT_PROBE_H
#define MIG_AGENT_PROBE_H

#include <stdbool.h>

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

#endif /* MIG_AGENT_PROBE_H */
