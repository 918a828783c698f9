/**
 * The Worker's view of MaintenanceObject: the singleton's name and the types of
 * `startBackup` and the data key sweep. The Worker imports these from here and nothing else from
 * `objects/maintenance`.
 */
export type { SweepState } from './reseal';
export type { StartedRun, StartFailure, StartRequest } from './start';

/** The name of the one MaintenanceObject: `env.MAINTENANCE.getByName(MAINTENANCE_NAME)`. */
export const MAINTENANCE_NAME = 'maintenance';
