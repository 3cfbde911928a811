import { MemoryStore } from '../../storage/index.js';
import { describeKvStoreContract } from './kv-store-contract.js';

describeKvStoreContract('MemoryStore', async () => ({
  store: new MemoryStore(),
  cleanup: async () => {},
}));
