/**
 * Which addresses the media core may fetch from on an assistant's behalf (the `audio`
 * response's URL is untrusted input: server-side request forgery toward cloud metadata at
 * 169.254.169.254 or internal hosts). Public unicast only; every special-purpose block of
 * the IANA registries (RFC 6890, https://www.iana.org/assignments/iana-ipv4-special-registry
 * and iana-ipv6-special-registry) is refused, and so is every IPv4-mapped or -translated
 * IPv6 address (it would smuggle a refused IPv4 address past an IPv6 rule).
 *
 * The check runs inside the HTTP agent's own DNS `lookup` ({@link guardedLookup}), i.e. on
 * the very address the socket connects to, so DNS rebinding (a first answer public, the
 * next one private) cannot bypass it. IP literals in the URL never reach `lookup` in Node,
 * so {@link addressProblem} is also applied to them before the request.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** [network, prefix length] of every refused IPv4 block. */
const V4_BLOCKS: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network" (RFC 791)
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, carrier-grade NAT (RFC 6598)
  ['169.254.0.0', 16], // link-local, cloud metadata (RFC 3927)
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments (RFC 6890)
  ['192.0.2.0', 24], // documentation (RFC 5737)
  ['192.88.99.0', 24], // 6to4 relay anycast (RFC 7526)
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking (RFC 2544)
  ['198.51.100.0', 24], // documentation (RFC 5737)
  ['203.0.113.0', 24], // documentation (RFC 5737)
  ['224.0.0.0', 4], // multicast (RFC 5771)
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast (RFC 1112, RFC 919)
];
/** Loopback, refused unless the development option allows it (then checked before the rest). */
const V4_LOOPBACK: readonly [string, number] = ['127.0.0.0', 8];

const V6_BLOCKS: ReadonlyArray<readonly [string, number]> = [
  ['::', 128], // unspecified (RFC 4291)
  ['::ffff:0:0', 96], // IPv4-mapped (RFC 4291 section 2.5.5.2)
  ['::', 96], // IPv4-compatible, deprecated (RFC 4291 section 2.5.5.1)
  ['64:ff9b::', 96], // IPv4/IPv6 translation (RFC 6052)
  ['64:ff9b:1::', 48], // local-use translation (RFC 8215)
  ['100::', 64], // discard-only (RFC 6666)
  ['2001::', 23], // IETF protocol assignments, Teredo included (RFC 2928, RFC 4380)
  ['2001:db8::', 32], // documentation (RFC 3849)
  ['2002::', 16], // 6to4, embeds any IPv4 address (RFC 3056)
  ['fc00::', 7], // unique local (RFC 4193)
  ['fe80::', 10], // link-local (RFC 4291)
  ['fec0::', 10], // site-local, deprecated (RFC 3879)
  ['ff00::', 8], // multicast (RFC 4291)
];
const V6_LOOPBACK: readonly [string, number] = ['::1', 128];

/** One BlockList per family: node's BlockList matches IPv4 addresses against IPv4-mapped IPv6 rules too. */
function blockLists(): { v4: BlockList; v6: BlockList } {
  const v4 = new BlockList();
  const v6 = new BlockList();
  for (const [net, len] of V4_BLOCKS) v4.addSubnet(net, len, 'ipv4');
  for (const [net, len] of V6_BLOCKS) v6.addSubnet(net, len, 'ipv6');
  v4.addSubnet(V4_LOOPBACK[0], V4_LOOPBACK[1], 'ipv4');
  v6.addSubnet(V6_LOOPBACK[0], V6_LOOPBACK[1], 'ipv6');
  return { v4, v6 };
}
const STRICT = blockLists();
const LOOPBACK = { v4: new BlockList(), v6: new BlockList() };
LOOPBACK.v4.addSubnet(V4_LOOPBACK[0], V4_LOOPBACK[1], 'ipv4');
LOOPBACK.v6.addSubnet(V6_LOOPBACK[0], V6_LOOPBACK[1], 'ipv6');

/** Thrown (as a lookup error) for a refused address; `code` is ERR_ADDRESS_REFUSED. */
export class AddressRefusedError extends Error {
  readonly code = 'ERR_ADDRESS_REFUSED';
  constructor(readonly address: string) {
    super(`address ${address} is private, loopback, link-local or otherwise special-use; refused`);
    this.name = 'AddressRefusedError';
  }
}

/**
 * What is wrong with connecting to `address` (an IP literal), or undefined when it is public.
 * @param allowLoopback development only: 127.0.0.0/8 and ::1 allowed (the local demo and tests).
 */
export function addressProblem(address: string, allowLoopback = false): string | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 0) return `${address} is not an IP address`;
  // ::1 also lies in the deprecated IPv4-compatible ::/96, so loopback is let through first.
  if (allowLoopback && (family === 4 ? LOOPBACK.v4.check(bare, 'ipv4') : LOOPBACK.v6.check(bare, 'ipv6'))) return undefined;
  const refused = family === 4 ? STRICT.v4.check(bare, 'ipv4') : STRICT.v6.check(bare, 'ipv6');
  return refused ? new AddressRefusedError(bare).message : undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).Agent / net.connect that resolves as dns.lookup does and fails with
 * {@link AddressRefusedError} when ANY resolved address is refused (an attacker's name may
 * answer a mix). Answers in the form the caller asked for (`all` or one address).
 */
export function guardedLookup(allowLoopback = false) {
  return (hostname: string, options: LookupOptions | number | undefined, callback: LookupCallback): void => {
    const opts: LookupOptions = typeof options === 'number' ? { family: options } : { ...(options ?? {}) };
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as LookupAddress[];
      if (list.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      for (const a of list) {
        if (addressProblem(a.address, allowLoopback)) return callback(new AddressRefusedError(a.address), '');
      }
      if (opts.all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
