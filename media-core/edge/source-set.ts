/**
 * A set of source address ranges (CIDR, IPv4 and IPv6) matched against the address a
 * packet or connection came from: the UDP datagram's or the socket's peer address, never a
 * Via header (Via is written by the sender and proves nothing). Built on node:net BlockList
 * (https://nodejs.org/api/net.html#class-netblocklist); IPv4-mapped IPv6 peers
 * ("::ffff:192.0.2.1", as a dual-stack socket reports them) are matched as IPv4.
 */
import { BlockList, isIP } from 'node:net';

/** Parses "a.b.c.d/n", "x::y/n" or a bare address (a /32 or /128). @throws RangeError on a malformed entry. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const v = isIP(address);
  if (!v) throw new RangeError(`not an IP address range: ${JSON.stringify(text)}`);
  const max = v === 4 ? 32 : 128;
  const prefix = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!/^\d{1,3}$/.test(slash < 0 ? String(max) : text.slice(slash + 1)) || prefix > max) throw new RangeError(`bad prefix length in ${JSON.stringify(text)}`);
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** Ranges of source addresses; `has` is O(number of ranges) and allocation-free for IPv4. */
export class SourceSet {
  private readonly list = new BlockList();
  readonly size: number;

  /** @param cidrs CIDR strings ("3.80.16.0/23", "127.0.0.1", "2001:db8::/32"). @throws RangeError on a malformed entry. */
  constructor(readonly cidrs: readonly string[]) {
    for (const c of cidrs) {
      const { address, prefix, family } = parseCidr(c);
      this.list.addSubnet(address, prefix, family);
    }
    this.size = cidrs.length;
  }

  /** Whether `address` (as reported by the socket) lies in one of the ranges. */
  has(address: string): boolean {
    if (!this.size || !address) return false;
    const mapped = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const v = isIP(mapped);
    if (!v) return false;
    return this.list.check(mapped, v === 4 ? 'ipv4' : 'ipv6');
  }
}
