/** Where the Worker of the benchmarks serves the baseline room (bench/baseline/with-room.ts). */
export const ROOM_PATH = '/__bench/room';
