import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/**
 * The address a request came from, for limits per source. Behind `trustedProxyHops` proxies of the bank's own
 * (an ingress, a mesh sidecar), it is the address the outermost of them saw, taken from X-Forwarded-For;
 * otherwise the socket's peer, since a header the caller writes proves nothing.
 */
export function sourceAddress(c: Context, trustedProxyHops: number): string {
  if (trustedProxyHops > 0) {
    const hops = (c.req.header('X-Forwarded-For') ?? '').split(',').map((hop) => hop.trim());
    const seen = hops[hops.length - trustedProxyHops];
    if (seen) return seen;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // No socket behind the request (app.request in tests): every such request is one source.
    return 'unknown';
  }
}
