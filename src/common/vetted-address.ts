import { lookup } from 'node:dns/promises';
import { BlockList, isIP, LookupFunction } from 'node:net';

/** Addresses a URL someone else gave us must never make us reach: our own host and networks. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

/** True for loopback, private, link-local, CGNAT, multicast and reserved addresses (v4 and v6). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPrivateAddress(mapped[1]);
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family === 6) return PRIVATE.check(address, 'ipv6');
  return true;
}

export interface VettedAddress {
  address: string;
  family: number;
}

/** Why a host was not vetted: `refused` (private and not allowed) or `unresolvable`. */
export class AddressVettingError extends Error {
  constructor(
    message: string,
    readonly reason: 'refused' | 'unresolvable',
  ) {
    super(message);
    this.name = 'AddressVettingError';
  }
}

/**
 * Resolves a URL's host once; every address must be public unless private networks are
 * allowed. Connect to the answer with `pinnedLookup`, so a second lookup cannot rebind it.
 */
export async function vetHost(hostname: string, allowPrivate: boolean): Promise<VettedAddress> {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: VettedAddress[];
  if (isIP(bare)) addresses = [{ address: bare, family: isIP(bare) }];
  else {
    try {
      addresses = await lookup(bare, { all: true, verbatim: true });
    } catch (error) {
      throw new AddressVettingError(`cannot resolve ${bare}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, 'unresolvable');
    }
  }
  if (addresses.length === 0) throw new AddressVettingError(`cannot resolve ${bare}`, 'unresolvable');
  if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) {
    throw new AddressVettingError(`refused ${bare}: it resolves to a private or loopback address`, 'refused');
  }
  return addresses[0];
}

/** A `lookup` for http(s).request that answers only the vetted address. */
export function pinnedLookup(pinned: VettedAddress): LookupFunction {
  return ((_host: string, opts: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (opts?.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  }) as unknown as LookupFunction;
}
