/**
 * This browser's device for a user: its id and a non-extractable WebCrypto key, kept in
 * IndexedDB (a CryptoKey is stored as is; its private part can never be read by script).
 */
import type { DeviceKey } from '../../client/index.ts';

export interface SavedDevice {
  id: string;
  key: DeviceKey;
}

const STORE = 'devices';

function open(): Promise<IDBDatabase> {
  const request = indexedDB.open('notes-example', 1);
  request.onupgradeneeded = () => request.result.createObjectStore(STORE);
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function loadDevice(userId: string): Promise<SavedDevice | undefined> {
  const request = (await open()).transaction(STORE).objectStore(STORE).get(userId);
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result as SavedDevice | undefined);
    request.onerror = () => reject(request.error);
  });
}

export async function saveDevice(userId: string, device: SavedDevice): Promise<void> {
  const tx = (await open()).transaction(STORE, 'readwrite');
  tx.objectStore(STORE).put(device, userId);
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
}
