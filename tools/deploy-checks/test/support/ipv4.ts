/** An IPv4 address or CIDR as [network, prefix length]. */
export function ipv4(cidr: string): [number, number] {
  const [address, bits = '32'] = cidr.split('/');
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((octet) => !Number.isInteger(octet) || octet < 0 || octet > 255)) {
    throw new Error(`not an IPv4 address: ${cidr}`);
  }
  return [octets.reduce((sum, octet) => sum * 256 + octet, 0), Number(bits)];
}

/** Whether an address, or every address of a CIDR, lies in `subnet`. */
export function inSubnet(addressOrCidr: string, subnet: string): boolean {
  const [value, innerBits] = ipv4(addressOrCidr);
  const [network, bits] = ipv4(subnet);
  const size = 2 ** (32 - bits);
  const start = network - (network % size);
  return innerBits >= bits && value >= start && value < start + size;
}
