/** IPv4 addresses as the pacer's rings hold them: unsigned 32-bit numbers in host order. */

/** 'a.b.c.d' as an unsigned 32-bit number, or undefined when not a dotted quad. */
export function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** The dotted quad of an unsigned 32-bit IPv4 number. */
export function numberToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
