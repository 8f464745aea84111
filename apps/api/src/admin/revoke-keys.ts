import { personKeyringId } from '../auth/person';
import type { KeyringStore } from '../keys/keyring/keyring-store';

/**
 * Deletes every key a person stored, whatever its lifetime and whichever browser set it, in one
 * command on the shared store: every instance reads keys from there for each request and
 * stream, so none can use them from the next one on. Returns the providers whose keys went.
 */
export function revokePersonKeys(keyrings: KeyringStore, personId: string): Promise<string[]> {
  return keyrings.removeAll(personKeyringId(personId));
}
