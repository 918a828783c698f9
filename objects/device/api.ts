/**
 * The Worker's view of DeviceObject: how it hands a socket to a device's actor. The Worker
 * imports these from here and nothing else from `objects/device`.
 */
export { connectRequest, type DeviceRecord } from './connect';
