import { describe, expectTypeOf, it } from 'vitest';
import type { ServerFrame as ClientSideFrame, RealtimeEvent } from '../client/index.ts';
import type { EventOut } from '../core/schemas/events';
import type { ServerFrame } from '../core/schemas/realtime';

// The SDK carries its own copy of the protocol's types; these checks fail the type-check when they drift.
describe('client SDK protocol types', () => {
  it('describe an event exactly as the server’s schema does', () => {
    expectTypeOf<RealtimeEvent>().toEqualTypeOf<EventOut>();
  });

  it('describe every server frame exactly as the server sends it', () => {
    expectTypeOf<ClientSideFrame>().toEqualTypeOf<ServerFrame>();
  });
});
